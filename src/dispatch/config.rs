//! `leakgate config check` validates the policy file; `leakgate config
//! schema` prints its JSON Schema.

use leakgate::exit;
use leakgate::paths;
use leakgate::policy::config;
use miette::Result;

use super::args::ConfigCheckArgs;
use super::load_policy;

pub(crate) fn config_check(args: ConfigCheckArgs) -> Result<i32> {
    let root = args.root.unwrap_or_else(paths::default_root);
    let policy = load_policy(&root, &args.policy)?;
    print!("{}", config::describe(&policy));
    for w in &policy.warnings {
        eprintln!("{:?}", miette::Report::new(w.clone()));
    }
    Ok(exit::PASS)
}

pub(crate) fn config_schema() -> Result<i32> {
    let text = serde_json::to_string_pretty(&config::schema()).expect("a schema serializes");
    println!("{text}");
    Ok(exit::PASS)
}
