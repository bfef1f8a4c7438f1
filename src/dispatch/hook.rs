//! `leakgate hook`: install, uninstall and run the pre-push check.
//!
//! `leakgate hook run` ([`check_push`]) judges what is pushed, never the
//! working tree: it reads the refs being pushed from standard input (git's
//! pre-push protocol), and for each pushed tip it
//!
//! 1. lists the files the pushed commits change (against the remote's old
//!    tip, or, for a new branch, the commits no remote-tracking branch has);
//! 2. checks the tip out in a temporary worktree (`git worktree add
//!    --detach`, with hooks off), removed afterwards, also after a failure
//!    or a first Ctrl-C (a worktree left by a killed run is removed by the
//!    next one);
//! 3. loads the policy of that tree: its `.leakgate.yml`, or the file given
//!    with `--config` (a relative path names a file of the pushed tree, as
//!    `leakgate check --config` in CI's checkout of that commit would read
//!    it; an absolute path is read as it is);
//! 4. runs `go test -json -count=1` on the changed packages and the packages
//!    of the same module that import them, in the worktree, retries as the
//!    policy's `retry:` section says (reruns run in the worktree too), and
//!    judges like `check`.
//!
//! The exit code is the worst verdict of all pushed tips; non-zero refuses
//! the push. What git knows (refs, changed files and packages, worktrees)
//! is the library's `leakgate::hook`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leakgate::exit;
use leakgate::hook::{self, HookError, PushedRef, Worktree};
use leakgate::ingest::{Format, FormatChoice};
use leakgate::paths::Repo;
use leakgate::policy::{self, config::PolicyError};
use leakgate::report::{self, ReportKind, Style};
use leakgate::retry::Base;
use leakgate::run::{self, AttemptRunner, RunError, Spawn};
use leakgate::verdict::Analysis;
use miette::{IntoDiagnostic, Result};

use super::args::HookCommand;
use super::settings::Env;

pub(crate) fn hook(cmd: HookCommand) -> Result<i32> {
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
            let check = PushCheck {
                config,
                today: today.unwrap_or_else(policy::today),
                interrupt: run::interrupt_flag().into_diagnostic()?,
                style: Style {
                    verbose: false,
                    color: Env::read().terminal_color(),
                },
            };
            let code = match check_push(&cwd, &check, &refs) {
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

/// Why the pushed commits could not be checked.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
enum PushError {
    /// git failed, or a worktree could not be made.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] HookError),
    /// The `--config` file is not in the pushed tree.
    #[error("the policy {config} (--config) is not in the pushed commit {commit}")]
    #[diagnostic(help("commit it, or give `leakgate hook install --config` an absolute path"))]
    ConfigMissing {
        /// The path given, relative to the tree.
        config: PathBuf,
        /// The pushed commit (abbreviated).
        commit: String,
    },
    /// The pushed tree's policy is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policy(#[from] PolicyError),
    /// `go test` could not be run.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Run(#[from] RunError),
}

/// How pushed commits are checked.
struct PushCheck {
    /// `--config`: relative, a file of each pushed tree; absolute, that
    /// file. `None`: the pushed tree's `.leakgate.yml`, if it has one.
    config: Option<PathBuf>,
    /// The day rule expiry is judged against.
    today: jiff::civil::Date,
    /// Set by SIGINT/SIGTERM ([`run::interrupt_flag`]).
    interrupt: Arc<AtomicBool>,
    /// How each judged run is shown on standard error.
    style: Style,
}

/// Checks every pushed tip (see the module's documentation) from the
/// repository at `dir`; returns the exit code: the worst verdict.
fn check_push(dir: &Path, check: &PushCheck, refs: &[PushedRef]) -> Result<i32, PushError> {
    for path in hook::remove_stale_worktrees(dir) {
        eprintln!(
            "leakgate: removed {}, left by a pre-push check that was killed",
            path.display()
        );
    }
    // One check per pushed commit, whatever refs (branches, tags) it is
    // pushed as.
    let mut tips: Vec<(String, Vec<&PushedRef>)> = Vec::new();
    for r in refs {
        let Some(commit) = hook::commit_of(dir, &r.local_sha) else {
            eprintln!(
                "leakgate: {} at {} is not a commit; nothing to test",
                r.remote_ref,
                hook::short(&r.local_sha)
            );
            continue;
        };
        match tips.iter_mut().find(|(sha, _)| *sha == commit) {
            Some((_, rs)) => rs.push(r),
            None => tips.push((commit, vec![r])),
        }
    }
    let mut code = exit::PASS;
    let mut tested = false;
    for (sha, pushed) in &tips {
        let mut files = BTreeSet::new();
        for r in pushed {
            files.extend(hook::changed_files(dir, r)?);
        }
        let names: Vec<&str> = pushed.iter().map(|r| r.remote_ref.as_str()).collect();
        let what = format!("{} at {}", names.join(", "), hook::short(sha));
        if !files.iter().any(|f| hook::is_go_file(f)) {
            eprintln!("leakgate: {what}: no Go file changed; nothing to test");
            continue;
        }
        let tip_code = check_tip(dir, check, sha, &what, &files, &mut tested)?;
        code = code.max(tip_code);
        if check.interrupt.load(Ordering::SeqCst) {
            eprintln!("leakgate: interrupted");
            return Ok(exit::ERROR);
        }
    }
    if !tested {
        eprintln!("leakgate: no Go package changed; nothing to check");
    }
    Ok(code)
}

/// Checks one pushed commit in a worktree of its own.
fn check_tip(
    dir: &Path,
    check: &PushCheck,
    sha: &str,
    what: &str,
    files: &BTreeSet<String>,
    tested: &mut bool,
) -> Result<i32, PushError> {
    let interrupted = || check.interrupt.load(Ordering::SeqCst);
    let tree = Worktree::add(dir, sha)?;
    if interrupted() {
        return Ok(exit::ERROR);
    }
    let root = tree.path();
    let config = match &check.config {
        Some(c) if c.is_relative() => {
            let in_tree = root.join(c);
            if !in_tree.is_file() {
                return Err(PushError::ConfigMissing {
                    config: c.clone(),
                    commit: hook::short(sha).to_string(),
                });
            }
            Some(in_tree)
        }
        Some(c) => Some(c.clone()),
        None => None,
    };
    let mut policy = policy::config::load(root, config.as_deref(), check.today)?;
    // leakgate runs `go test` itself, without -failfast.
    policy.verdict.no_failfast = true;
    let repo = Repo::discover(root);
    let mut code = exit::PASS;
    for (module, changed) in hook::packages_by_module(root, files) {
        let packages = hook::with_dependents(&module, &changed)?;
        if interrupted() {
            return Ok(exit::ERROR);
        }
        if packages.is_empty() {
            continue;
        }
        *tested = true;
        let mut argv: Vec<String> = ["go", "test", "-json", "-count=1"]
            .into_iter()
            .map(str::to_string)
            .collect();
        argv.extend(packages);
        let shown = leakgate::retry::rerun::display(&argv);
        let place = match module.strip_prefix(root) {
            Ok(rel) if !rel.as_os_str().is_empty() => format!(" (in {}/)", rel.display()),
            _ => String::new(),
        };
        eprintln!("leakgate: {what}: {shown}{place}");
        let spawn = Spawn {
            argv: argv.clone(),
            cwd: Some(module.clone()),
            timeout: None,
            jsonfile: None,
            name: format!("{shown} ({what})"),
            format: FormatChoice::Fixed(Format::GoJson),
        };
        let out = run::run(&spawn, &repo, &check.interrupt, &mut |_| {})?;
        let analysis = match policy.retry.clone().filter(|c| c.attempts > 0) {
            Some(retry) => {
                let base = match &retry.command {
                    Some(template) => Base::Template(template.clone()),
                    None => Base::GoTest(argv),
                };
                let mut runner = AttemptRunner {
                    cwd: Some(module.clone()),
                    ..super::attempt_runner(&retry, &repo, &check.interrupt)
                };
                let invocation = leakgate::retry::Invocation::new(base.clone());
                leakgate::judge(
                    out.findings,
                    &policy,
                    Some(leakgate::Retries {
                        config: &retry,
                        invocation: &invocation,
                        runner: &mut runner,
                    }),
                )
            }
            None => leakgate::judge(out.findings, &policy, None),
        };
        print_analysis(&analysis, check.style);
        code = code.max(analysis.verdict.exit_code());
        if interrupted() {
            return Ok(exit::ERROR);
        }
    }
    Ok(code)
}

/// The terminal report of one pushed tip (and module), on standard error.
fn print_analysis(analysis: &Analysis, style: Style) {
    let mut buf = Vec::new();
    if report::write(ReportKind::Terminal, analysis, style, &mut buf).is_ok() {
        let _ = std::io::stderr().write_all(&buf);
    }
}
