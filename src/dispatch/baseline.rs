//! `leakgate baseline`: an allow rule for each distinct leak of a run.

use leakgate::exit;
use leakgate::paths::{self, Repo};
use leakgate::policy::{self, baseline, config};
use miette::{miette, IntoDiagnostic, Result, WrapErr};

use super::args::BaselineArgs;
use super::{format_of, input_list};

pub(crate) fn baseline(args: BaselineArgs) -> Result<i32> {
    let inputs = input_list(&args.inputs)?;
    let root = args.root.unwrap_or_else(paths::default_root);
    let repo = Repo::discover(&root);
    let today = args.policy.today.unwrap_or_else(policy::today);
    let target = args
        .policy
        .config
        .clone()
        .unwrap_or_else(|| root.join(policy::FILE_NAME));
    let existing = if target.is_file() {
        Some(config::read(&target).map_err(miette::Report::new)?)
    } else if args.policy.config.is_some() {
        return Err(miette!("the policy {} does not exist", target.display()));
    } else {
        None
    };
    let findings = leakgate::collect(&inputs, format_of(args.format), &repo)?;
    for p in &findings.problems {
        eprintln!("warning: {}", p.message);
    }
    let name = config::display_name(&root, &target);
    let merged = baseline::merge(existing.as_deref(), &name, &findings, today, args.expires)
        .map_err(miette::Report::new)?;
    for (c, rule) in &merged.covered {
        let what = c
            .created_by
            .as_deref()
            .or(c.top_function.as_deref())
            .unwrap_or("?");
        eprintln!("already allowed by `{rule}`: {what}");
    }
    match args.write {
        Some(path) => {
            let path = path.unwrap_or(target);
            if merged.added.is_empty() && path.is_file() {
                eprintln!("baseline: nothing to add to {}", path.display());
            } else {
                std::fs::write(&path, &merged.text)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "baseline: added {} rule{} to {}",
                    merged.added.len(),
                    if merged.added.len() == 1 { "" } else { "s" },
                    path.display()
                );
            }
        }
        None => {
            print!("{}", merged.text);
            eprintln!(
                "baseline: {} new rule{} (--write saves them)",
                merged.added.len(),
                if merged.added.len() == 1 { "" } else { "s" }
            );
        }
    }
    Ok(exit::PASS)
}
