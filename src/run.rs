//! `leakgate run`: run `go test` (or another command printing test
//! output), judge what it prints as it prints it.
//!
//! The command runs in its own process group
//! (`CommandExt::process_group(0)`), so that a timeout or Ctrl-C ends
//! `go test`, the test binaries it started and anything they started, and
//! nothing is left behind: when the command exits on its own, stragglers
//! still in its group (a background process a test forgot) are killed too.
//! Its standard output goes straight through the same ingest → findings
//! pipeline as `check` (teed byte for byte to `--jsonfile`), its standard
//! error passes through.
//!
//! A watcher thread does the killing: SIGTERM to the group on a timeout or
//! interrupt, SIGKILL after [`GRACE`]. It observes the command's exit with
//! `waitid(WNOWAIT)`, which does not reap it, so the group id cannot be
//! reused by another process before the group is killed; the main thread
//! reaps it afterwards.
//!
//! Crates: rustix (safe `kill`/`waitid` wrappers) and signal-hook (an
//! `AtomicBool` set from SIGINT/SIGTERM, a second signal exits at once).
//!
//! This module never prints: progress goes to a callback, and only the
//! binary writes.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::events::{Event, Loc, Outcome, Sink};
use crate::findings::{Findings, Problem};
use crate::ingest::{self, Format, FormatChoice, IngestError, InputSummary};
use crate::paths::Repo;
use crate::retry::rerun::Target;
use crate::retry::{AttemptRun, Rerun, Runner};
use crate::tree::Collector;

/// Time between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(3);
/// How often the watcher looks at the clock, the interrupt flag and the
/// command.
const POLL: Duration = Duration::from_millis(50);

/// Registers SIGINT and SIGTERM: the first sets the returned flag (the run
/// stops and reports what it saw), a second one exits at once with
/// [`crate::exit::ERROR`].
pub fn interrupt_flag() -> io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(
            sig,
            crate::exit::ERROR,
            Arc::clone(&flag),
        )?;
        signal_hook::flag::register(sig, Arc::clone(&flag))?;
    }
    Ok(flag)
}

/// One command to run.
#[derive(Debug, Clone)]
pub struct Spawn {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Working directory (`None`: the current one).
    pub cwd: Option<PathBuf>,
    /// Kill the process group after this long.
    pub timeout: Option<Duration>,
    /// Tee the raw output here.
    pub jsonfile: Option<PathBuf>,
    /// The input's name in reports.
    pub name: String,
    /// The output's format (`go test -json` for `go test`).
    pub format: FormatChoice,
}

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// It exited with this code (`None`: killed by a signal).
    Exited(Option<i32>),
    /// The time limit expired; the group was killed.
    TimedOut(Duration),
    /// The user interrupted; the group was killed.
    Interrupted,
}

/// Live counts, sent to the progress callback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Packages that reported a result.
    pub packages_done: u64,
    /// Tests that failed so far.
    pub tests_failed: u64,
    /// Leak reports found so far.
    pub leaks: usize,
    /// The package that just ended and its result.
    pub last: Option<(String, Outcome)>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// Findings, with problems added for a timeout, an interrupt or an
    /// unexplained non-zero exit.
    pub findings: Findings,
    /// How the command ended.
    pub end: End,
    /// Results of the watched tests and packages, by (package, test).
    pub outcomes: HashMap<(String, Option<String>), Outcome>,
    /// How long it ran.
    pub duration: Duration,
}

/// Why a run could not start or be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RunError {
    /// No command after `--`.
    #[error("no command to run: give one after `--`, e.g. `leakgate run -- go test ./...`")]
    #[diagnostic(code(leakgate::run::no_command))]
    NoCommand,
    /// The command could not be started.
    #[error("cannot start {program}: {source}")]
    #[diagnostic(code(leakgate::run::spawn))]
    Spawn {
        /// The program.
        program: String,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// `--jsonfile` could not be created.
    #[error("cannot create {path}: {source}")]
    #[diagnostic(code(leakgate::run::jsonfile))]
    JsonFile {
        /// The file.
        path: String,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// Reading the output failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Ingest(#[from] IngestError),
}

/// The child's output, teed to a file.
struct Tee<R> {
    inner: R,
    file: Option<BufWriter<File>>,
    error: Option<io::Error>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(f) = &mut self.file {
            if let Err(e) = f.write_all(&buf[..n]) {
                self.error = Some(e);
                self.file = None;
            }
        }
        Ok(n)
    }
}

/// Forwards events to the collector, counting progress and remembering
/// results.
struct Watch<'c, 'p> {
    collector: &'c mut Collector,
    progress: Progress,
    on_progress: &'p mut dyn FnMut(&Progress),
    outcomes: HashMap<(String, Option<String>), Outcome>,
}

impl Sink for Watch<'_, '_> {
    fn event(&mut self, loc: Loc, event: Event<'_>) {
        let mut ended: Option<(String, Outcome)> = None;
        match &event {
            Event::TestEnd {
                package,
                test,
                outcome,
                ..
            } => {
                if *outcome == Outcome::Fail {
                    self.progress.tests_failed += 1;
                }
                self.outcomes
                    .insert((package.to_string(), Some(test.to_string())), *outcome);
            }
            Event::PackageEnd {
                package,
                outcome,
                replay: false,
                summary: false,
                ..
            } => {
                self.outcomes.insert((package.to_string(), None), *outcome);
                ended = Some((package.to_string(), *outcome));
            }
            _ => {}
        }
        self.collector.event(loc, event);
        if let Some(last) = ended {
            self.progress.packages_done += 1;
            self.progress.leaks = self.collector.leaks_so_far();
            self.progress.last = Some(last);
            (self.on_progress)(&self.progress);
        }
    }
}

/// The watcher: ends the group on timeout or interrupt, kills stragglers
/// when the command exits, returns how it ended (`None`: on its own).
fn watch(
    group: crate::process::Group,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    interrupt: Arc<AtomicBool>,
) -> Option<End> {
    let mut ending: Option<End> = None;
    let mut term_sent: Option<Instant> = None;
    loop {
        if group.exited() {
            // Whatever is left in the group was started by the command
            // and would be orphaned.
            group.kill();
            return ending;
        }
        if ending.is_none() {
            if interrupt.load(Ordering::SeqCst) {
                ending = Some(End::Interrupted);
            } else if let (Some(d), Some(t)) = (deadline, timeout) {
                if Instant::now() >= d {
                    ending = Some(End::TimedOut(t));
                }
            }
            if ending.is_some() {
                group.terminate();
                term_sent = Some(Instant::now());
            }
        }
        if let Some(t) = term_sent {
            if t.elapsed() >= GRACE {
                group.kill();
                term_sent = None;
            }
        }
        std::thread::sleep(POLL);
    }
}

/// Runs the command to its end, reading its output as it comes.
pub fn run(
    spawn: &Spawn,
    repo: &Repo,
    interrupt: &Arc<AtomicBool>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<RunOutput, RunError> {
    run_with_env(spawn, &[], repo, interrupt, on_progress)
}

/// [`run`] with `env` set on top of the inherited environment.
pub fn run_with_env(
    spawn: &Spawn,
    env: &[(String, String)],
    repo: &Repo,
    interrupt: &Arc<AtomicBool>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<RunOutput, RunError> {
    let started = Instant::now();
    let Some(program) = spawn.argv.first() else {
        return Err(RunError::NoCommand);
    };
    let file = match &spawn.jsonfile {
        Some(p) => Some(BufWriter::new(File::create(p).map_err(|source| {
            RunError::JsonFile {
                path: p.display().to_string(),
                source,
            }
        })?)),
        None => None,
    };
    let mut cmd = Command::new(program);
    cmd.args(&spawn.argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    crate::process::prepare(&mut cmd);
    if let Some(dir) = &spawn.cwd {
        cmd.current_dir(dir);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
        program: program.clone(),
        source,
    })?;
    let stdout = child.stdout.take();
    let watcher = crate::process::Group::of(&child).map(|group| {
        let deadline = spawn.timeout.map(|t| started + t);
        let timeout = spawn.timeout;
        let flag = Arc::clone(interrupt);
        std::thread::spawn(move || watch(group, deadline, timeout, flag))
    });

    let mut collector = Collector::new();
    let mut sink = Watch {
        collector: &mut collector,
        progress: Progress::default(),
        on_progress,
        outcomes: HashMap::new(),
    };
    let mut tee_error = None;
    let ingested = match stdout {
        Some(out) => {
            let mut tee = Tee {
                inner: out,
                file,
                error: None,
            };
            let r = ingest::ingest(0, &spawn.name, &mut tee, spawn.format, &mut sink);
            if let Some(f) = &mut tee.file {
                if let Err(e) = f.flush() {
                    tee.error = Some(e);
                }
            }
            tee_error = tee.error;
            r
        }
        None => Err(IngestError::Empty {
            path: spawn.name.clone(),
        }),
    };
    let outcomes = std::mem::take(&mut sink.outcomes);
    // The output is closed; the watcher returns once the command exits
    // (or is killed).
    let ending = watcher.and_then(|w| w.join().ok()).flatten();
    let status = child.wait().ok();
    let end = ending.unwrap_or(End::Exited(status.and_then(|s| s.code())));
    let summary = match ingested {
        Ok(summary) => Some(summary),
        // Nothing printed: fine to say so when we stopped it, and an error
        // of its own otherwise.
        Err(IngestError::Empty { .. }) if end != End::Exited(Some(0)) => None,
        Err(e) => return Err(e.into()),
    };
    let mut summary = summary.unwrap_or_else(|| {
        let format = match spawn.format {
            FormatChoice::Fixed(f) => f,
            FormatChoice::Auto => Format::GoJson,
        };
        InputSummary::new(&spawn.name, format)
    });
    if let Some(e) = tee_error {
        summary.warnings.push(format!(
            "could not write the raw output to {}: {e}",
            spawn
                .jsonfile
                .as_deref()
                .map(Path::display)
                .map(|d| d.to_string())
                .unwrap_or_default()
        ));
    }
    match end {
        End::TimedOut(t) => summary.mark_incomplete(format!(
            "the command ran longer than {}; its process group was killed",
            display_duration(t)
        )),
        End::Interrupted => summary
            .mark_incomplete("interrupted; the command's process group was killed".to_string()),
        End::Exited(_) => {}
    }
    let printed_anything = summary.bytes > 0;
    collector.input_done(summary);
    let mut findings = crate::attribution::attribute(collector.finish(), repo);
    if let End::Exited(code) = end {
        let explained = !findings.failures.is_empty() || !findings.leaks.is_empty();
        if code != Some(0) && !explained {
            let what = match code {
                Some(c) => format!("exited with status {c}"),
                None => "was killed by a signal".to_string(),
            };
            let message = if printed_anything {
                format!(
                    "`{}` {what}, but its output records no failure",
                    crate::retry::rerun::display(&spawn.argv)
                )
            } else {
                format!(
                    "`{}` {what} and printed nothing",
                    crate::retry::rerun::display(&spawn.argv)
                )
            };
            findings.problems.push(Problem { at: None, message });
        }
    }
    Ok(RunOutput {
        findings,
        end,
        outcomes,
        duration: started.elapsed(),
    })
}

/// Told before each attempt: (target, command, attempt, attempts).
pub type OnStart<'a> = Box<dyn FnMut(&Target, &[String], u32, u32) + 'a>;

/// Reruns through [`run`], for [`crate::retry::execute`]: each in the
/// plan's directory, with the plan's variables set on top of leakgate's own
/// environment (which the first run's command had too).
pub struct AttemptRunner<'a> {
    /// Where reruns whose plan names no directory run (`None`: the
    /// current directory).
    pub cwd: Option<PathBuf>,
    /// Per-attempt time limit.
    pub timeout: Duration,
    /// The repository, to resolve files.
    pub repo: &'a Repo,
    /// Set by SIGINT/SIGTERM.
    pub interrupt: Arc<AtomicBool>,
    /// Told before each attempt.
    pub on_start: OnStart<'a>,
    /// Told after each package of an attempt.
    pub on_progress: Box<dyn FnMut(&Progress) + 'a>,
}

impl Runner for AttemptRunner<'_> {
    fn run(&mut self, rerun: &Rerun, number: u32, of: u32) -> AttemptRun {
        (self.on_start)(&rerun.target, &rerun.argv, number, of);
        let cwd = rerun.dir.clone().or_else(|| self.cwd.clone());
        let spawn = Spawn {
            argv: rerun.argv.clone(),
            cwd: cwd.clone(),
            timeout: Some(self.timeout),
            jsonfile: None,
            name: format!(
                "retry {number} of {}",
                crate::retry::rerun::display(&rerun.argv)
            ),
            format: FormatChoice::Auto,
        };
        let started = Instant::now();
        let on_progress = &mut self.on_progress;
        let result = run_with_env(&spawn, &rerun.env, self.repo, &self.interrupt, &mut |p| {
            on_progress(p)
        });
        match result {
            Ok(out) => {
                let error = match out.end {
                    End::TimedOut(t) => Some(format!("timed out after {}", display_duration(t))),
                    End::Interrupted => Some("interrupted".to_string()),
                    End::Exited(_) => None,
                };
                AttemptRun {
                    exit_code: match out.end {
                        End::Exited(c) => c,
                        _ => None,
                    },
                    findings: out.findings,
                    error,
                    duration: out.duration,
                }
            }
            Err(e) => AttemptRun {
                error: Some(match &cwd {
                    Some(d) => format!("{e} (in {})", d.display()),
                    None => e.to_string(),
                }),
                duration: started.elapsed(),
                ..AttemptRun::default()
            },
        }
    }

    fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::SeqCst)
    }
}

/// A duration as people write it: `90s` is `1m 30s`, `1h 30m`, `1s 500ms`
/// (jiff's friendly format; hours are the largest unit).
pub fn display_duration(d: Duration) -> String {
    format!(
        "{:#}",
        jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_shown_as_people_write_them() {
        let parse = crate::config::parse_duration;
        for (text, secs) in [
            ("90s", 90),
            ("5m", 300),
            (" 1h 30m ", 5400),
            ("1h30m", 5400),
            ("1.5h", 5400),
            ("10sec", 10),
            ("3 minutes", 180),
            ("2d", 172_800),
            ("1w", 604_800),
            ("0s", 0),
        ] {
            assert_eq!(parse(text), Ok(Duration::from_secs(secs)), "{text:?}");
        }
        assert_eq!(parse("100ms"), Ok(Duration::from_millis(100)));
        for bad in ["", "5", "-5m", "5m ago", "1y", "1mo", "PT5M", "1h,30m"] {
            let err = parse(bad).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid duration {bad:?}: ")),
                "{err}"
            );
            assert!(err.ends_with("(examples: 90s, 5m, 1h)"), "{err}");
        }
        for (secs, shown) in [
            (0.0, "0s"),
            (0.5, "500ms"),
            (90.0, "1m 30s"),
            (300.0, "5m"),
            (5400.0, "1h 30m"),
            (600.25, "10m 250ms"),
        ] {
            assert_eq!(display_duration(Duration::from_secs_f64(secs)), shown);
        }
    }

    fn sh(script: &str, timeout: Option<Duration>) -> Result<RunOutput, RunError> {
        let repo = Repo::discover(Path::new(env!("CARGO_MANIFEST_DIR")));
        let spawn = Spawn {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            cwd: None,
            timeout,
            jsonfile: None,
            name: "sh".into(),
            format: FormatChoice::Auto,
        };
        run(
            &spawn,
            &repo,
            &Arc::new(AtomicBool::new(false)),
            &mut |_| {},
        )
    }

    #[test]
    fn reads_a_commands_output() {
        let fixture = format!(
            "{}/tests/fixtures/go1.26-goleak1.3.0/labels.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let out = sh(&format!("cat '{fixture}'; exit 1"), None).unwrap();
        assert_eq!(out.end, End::Exited(Some(1)));
        assert_eq!(out.findings.leaks.len(), 1);
        assert!(
            out.findings.problems.is_empty(),
            "{:?}",
            out.findings.problems
        );
        assert!(out
            .outcomes
            .iter()
            .any(|((_, t), o)| t.as_deref() == Some("TestLabeledWorker") && *o == Outcome::Fail));
    }

    #[test]
    fn non_zero_exit_without_failures_is_a_problem() {
        let line = r#"{"Action":"start","Package":"p"}
{"Action":"pass","Package":"p","Elapsed":0}
"#;
        let out = sh(&format!("printf '%s' '{line}'; exit 3"), None).unwrap();
        assert_eq!(out.end, End::Exited(Some(3)));
        assert!(
            out.findings
                .problems
                .iter()
                .any(|p| p.message.contains("exited with status 3")),
            "{:?}",
            out.findings.problems
        );
        let out = sh("exit 4", None).unwrap();
        assert!(out
            .findings
            .problems
            .iter()
            .any(|p| p.message.contains("printed nothing")));
        assert!(matches!(
            sh("true", None),
            Err(RunError::Ingest(IngestError::Empty { .. }))
        ));
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 300 & echo $! > '{}'; sleep 300", pidfile.display());
        let t0 = Instant::now();
        let out = sh(&script, Some(Duration::from_millis(700))).unwrap();
        assert!(t0.elapsed() < Duration::from_secs(10));
        assert_eq!(out.end, End::TimedOut(Duration::from_millis(700)));
        assert!(out.findings.inputs[0]
            .incomplete
            .as_deref()
            .unwrap()
            .contains("process group was killed"));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(gone(pid), "grandchild {pid} survived");
    }

    #[test]
    fn stragglers_are_killed_when_the_command_exits() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        // The background process keeps no copy of the output open.
        let script = format!(
            "sleep 300 >/dev/null & echo $! > '{}'; exit 5",
            pidfile.display()
        );
        let out = sh(&script, None).unwrap();
        assert_eq!(out.end, End::Exited(Some(5)));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(gone(pid), "straggler {pid} survived");
    }

    /// Gone or a zombie waiting for init.
    fn gone(pid: i32) -> bool {
        for _ in 0..100 {
            match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                Err(_) => return true,
                Ok(s)
                    if s.rsplit(')')
                        .next()
                        .is_some_and(|r| r.trim_start().starts_with('Z')) =>
                {
                    return true
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        false
    }
}
