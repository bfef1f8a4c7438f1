//! `leakgate config check`: validate the policy file.

use leakgate::exit;
use leakgate::paths;
use leakgate::policy::config;
use miette::Result;

use super::load_policy;
use crate::ConfigCheckArgs;

pub(crate) fn config_check(args: ConfigCheckArgs) -> Result<i32> {
    let root = args.root.unwrap_or_else(paths::default_root);
    let policy = load_policy(&root, &args.policy)?;
    print!("{}", config::describe(&policy));
    for w in &policy.warnings {
        eprintln!("{:?}", miette::Report::new(w.clone()));
    }
    Ok(exit::PASS)
}
