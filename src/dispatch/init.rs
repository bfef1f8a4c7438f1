//! `leakgate init`: a commented starter policy.

use leakgate::exit;
use leakgate::paths;
use leakgate::policy::{self, config};
use miette::{miette, IntoDiagnostic, Result, WrapErr};

use super::args::InitArgs;

pub(crate) fn init(args: InitArgs) -> Result<i32> {
    if args.root.is_some() && args.config.is_some() {
        eprintln!("leakgate: warning: --root is unused: --config names the file to write");
    }
    let root = args.root.unwrap_or_else(paths::default_root);
    let path = args.config.unwrap_or_else(|| root.join(policy::FILE_NAME));
    if path.exists() && !args.force {
        return Err(miette!(
            "{} already exists; --force overwrites it",
            path.display()
        ));
    }
    std::fs::write(&path, config::STARTER)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(exit::PASS)
}
