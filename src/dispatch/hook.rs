//! `leakgate hook`: install, uninstall and run the pre-push check.

use std::io::Write;

use leakgate::exit;
use leakgate::policy;
use leakgate::report::{self, ReportKind, Style};
use leakgate::run;
use miette::{IntoDiagnostic, Result};

use super::settings::Env;
use crate::HookCommand;

pub(crate) fn hook(cmd: HookCommand) -> Result<i32> {
    use leakgate::hook;
    let cwd = std::env::current_dir().into_diagnostic()?;
    match cmd {
        HookCommand::Install { force, config } => {
            let exe = std::env::current_exe().into_diagnostic()?;
            let path = hook::install(&cwd, &exe, config.as_deref(), force)?;
            eprintln!("leakgate: installed {}", path.display());
            Ok(exit::PASS)
        }
        HookCommand::Uninstall => {
            if hook::uninstall(&cwd)? {
                eprintln!("leakgate: removed the pre-push hook");
            } else {
                eprintln!("leakgate: no pre-push hook to remove");
            }
            Ok(exit::PASS)
        }
        HookCommand::Run { config, today, .. } => {
            let input = hook::read_push_input(std::io::stdin().lock());
            let refs = hook::parse_push_refs(&input);
            let check = hook::PushCheck {
                config,
                today: today.unwrap_or_else(policy::today),
                interrupt: run::interrupt_flag().into_diagnostic()?,
            };
            let style = Style {
                verbose: false,
                color: Env::read().terminal_color(),
            };
            let result = hook::check_push(&cwd, &check, &refs, &mut |n| match n {
                hook::Note::Line(line) => eprintln!("{line}"),
                hook::Note::Analysis(analysis) => {
                    let mut buf = Vec::new();
                    if report::write(ReportKind::Terminal, analysis, style, &mut buf).is_ok() {
                        let _ = std::io::stderr().write_all(&buf);
                    }
                }
            });
            let code = match result {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("{:?}", miette::Report::new(e));
                    exit::ERROR
                }
            };
            if code != exit::PASS {
                eprintln!("leakgate: push refused; fix the leak or push with --no-verify");
            }
            Ok(code)
        }
    }
}
