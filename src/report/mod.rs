//! Reporters: render an [`Analysis`] for a person or a machine.
//!
//! Reporters never parse and never decide; they only format what the
//! earlier stages concluded, and escape every piece of text that came from
//! the input for the medium they write to.
//!
//! | kind | for | module |
//! |---|---|---|
//! | `terminal` | a person reading a log (GitLab sections, GitHub command guard) | [`terminal`] |
//! | `json` | machines; the stable schema | [`json`] |
//! | `github` | GitHub Actions workflow-command annotations | [`github`] |
//! | `markdown` | the GitHub job summary, or any Markdown viewer | [`markdown`] |
//! | `junit` | GitLab, Jenkins and the JUnit report actions | [`junit`] |
//! | `codequality` | GitLab Code Quality (merge-request widget) | [`codequality`] |
//! | `sarif` | SARIF 2.1.0 for code scanning | [`sarif`] |
//!
//! Every report shows one entry per *distinct* leak
//! ([`Analysis::leaks`], judged once by [`crate::verdict`]), placed at its
//! origin in the repository ([`leak_place`]).

pub mod codequality;
pub mod dump;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod progress;
pub mod sarif;
pub mod terminal;

use std::io::{self, Write};

use crate::findings::SourceRef;
use crate::findings::{Counts, Failure, FailureKind, LeakedGoroutine, Reporter};
use crate::verdict::{Analysis, JudgedLeak};

/// The kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// For a person: distinct leaks with their origin, then a summary line.
    Terminal,
    /// The stable machine-readable report (`schema_version` 1).
    Json,
    /// GitHub Actions annotations (`::error file=…,line=…::…`).
    Github,
    /// A Markdown summary (the GitHub job summary in Actions).
    Markdown,
    /// JUnit XML (Jenkins schema) for GitLab, Jenkins and report actions.
    Junit,
    /// GitLab Code Quality JSON.
    Codequality,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
}

impl ReportKind {
    /// Every kind, in the order the command line lists them.
    pub const ALL: [ReportKind; 7] = [
        ReportKind::Terminal,
        ReportKind::Json,
        ReportKind::Github,
        ReportKind::Markdown,
        ReportKind::Junit,
        ReportKind::Codequality,
        ReportKind::Sarif,
    ];

    /// Name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Terminal => "terminal",
            ReportKind::Json => "json",
            ReportKind::Github => "github",
            ReportKind::Markdown => "markdown",
            ReportKind::Junit => "junit",
            ReportKind::Codequality => "codequality",
            ReportKind::Sarif => "sarif",
        }
    }
}

/// A report kind's name that is none of [`ReportKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report kind {0:?}; known kinds: {names}", names = ReportKind::ALL.map(ReportKind::name).join(", "))]
pub struct UnknownReportKind(pub String);

impl std::str::FromStr for ReportKind {
    type Err = UnknownReportKind;

    /// A kind by its name, in any ASCII case (`json`, `JSON`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownReportKind(s.to_string()))
    }
}

/// Options that change how reports look.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Show every frame and all output, not just the user's frames.
    pub verbose: bool,
    /// Use ANSI colour.
    pub color: bool,
}

/// Default number of GitHub annotations per level (GitHub shows 10 per
/// level per step and drops the rest silently).
pub const DEFAULT_MAX_ANNOTATIONS: usize = 10;

/// What reporters know about the CI system they run in. Built once by the
/// binary from the environment ([`Context::from_env`]); tests build it by
/// hand so that reports are reproducible.
#[derive(Debug, Clone)]
pub struct Context {
    /// Running in GitHub Actions (`GITHUB_ACTIONS=true`).
    pub github_actions: bool,
    /// `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_SHA`, when all
    /// set: origins become links to the source at that commit.
    pub github_blob: Option<String>,
    /// Running in GitLab CI (`GITLAB_CI=true`): collapsible log sections.
    pub gitlab_ci: bool,
    /// Annotations per level before the "N more" annotation.
    pub max_annotations: usize,
    /// The `::stop-commands::` token guarding echoed text in Actions logs;
    /// fresh and random per run ([`random_token`]).
    pub stop_token: String,
    /// Seconds since the epoch, for GitLab section markers.
    pub now: u64,
    /// Where the JSON report was written, named in outputs and summaries.
    pub json_report: Option<String>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            github_actions: false,
            github_blob: None,
            gitlab_ci: false,
            max_annotations: DEFAULT_MAX_ANNOTATIONS,
            stop_token: String::new(),
            now: 0,
            json_report: None,
        }
    }
}

impl Context {
    /// Reads the CI environment.
    pub fn from_env() -> Context {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let github_actions = var("GITHUB_ACTIONS").as_deref() == Some("true");
        let github_blob = match (var("GITHUB_REPOSITORY"), var("GITHUB_SHA")) {
            (Some(repo), Some(sha)) => {
                let server =
                    var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_string());
                Some(format!(
                    "{}/{}/blob/{}",
                    server.trim_end_matches('/'),
                    repo,
                    sha
                ))
            }
            _ => None,
        };
        Context {
            github_actions,
            github_blob,
            gitlab_ci: var("GITLAB_CI").as_deref() == Some("true"),
            max_annotations: DEFAULT_MAX_ANNOTATIONS,
            stop_token: random_token(),
            now: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            json_report: None,
        }
    }
}

/// A fresh unguessable token (128 bits from the operating system, hex).
/// Test output cannot predict it, so it cannot end a `::stop-commands::`
/// block or an output heredoc early. `getrandom` is the OS-entropy crate
/// that `rand` itself builds on; nothing more is needed here.
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy source: fall back to time and process id, still
        // unknown to the test output that was written before this run.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mixed = nanos ^ (u128::from(std::process::id()) << 64);
        bytes = mixed.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes one report with a default [`Context`] (no CI).
pub fn write(
    kind: ReportKind,
    analysis: &Analysis,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_with(kind, analysis, style, &Context::default(), out)
}

/// Writes one report.
pub fn write_with(
    kind: ReportKind,
    analysis: &Analysis,
    style: Style,
    ctx: &Context,
    out: &mut dyn Write,
) -> io::Result<()> {
    match kind {
        ReportKind::Terminal => terminal::write_with(analysis, style, ctx, out),
        ReportKind::Json => json::write(analysis, out),
        ReportKind::Github => github::write(analysis, ctx, out),
        ReportKind::Markdown => markdown::write(analysis, style, ctx, out),
        ReportKind::Junit => junit::write(analysis, out),
        ReportKind::Codequality => codequality::write(analysis, out),
        ReportKind::Sarif => sarif::write(analysis, out),
    }
}

pub use crate::verdict::{Class, Tally};

/// The tally as the summaries state it, one phrase per count: new leaks,
/// allowed, flaky, other failures, and test-harness goroutines when there
/// are any. The terminal and Markdown summaries both write these, so they
/// cannot disagree; every number is the judged view's
/// ([`Analysis::tally`]): reporters never count on their own.
pub fn tally_phrases(t: &Tally) -> Vec<String> {
    let mut v = vec![
        format!("{} new leak{}", t.new, plural(t.new)),
        format!("{} allowed", t.allowed),
        format!("{} flaky", t.flaky),
        format!(
            "{} other failure{}",
            t.other_failures,
            plural(t.other_failures)
        ),
    ];
    if t.harness > 0 {
        v.push(format!("{} test-harness (not leaks)", t.harness));
    }
    v
}

/// The test counts as the summaries state them: "3 passed, 1 failed, 0
/// skipped in 2 packages".
pub fn counts_text(c: &Counts) -> String {
    format!(
        "{} passed, {} failed, {} skipped in {} package{}",
        c.passed,
        c.failed,
        c.skipped,
        c.packages,
        plural(c.packages as usize)
    )
}

/// "s" unless one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "also seen by N later checks": the goleak checks of the same test
/// binary that only listed this leak's goroutines again after another
/// test had reported them ([`crate::findings::DistinctLeak::seen_again`]).
/// They are not leaks of their own and are never counted as such.
pub fn seen_again_text(j: &JudgedLeak) -> Option<String> {
    let n = j.leak.seen_again.len();
    (n > 0).then(|| format!("also seen by {n} later check{}", plural(n)))
}

/// The label of a package for people: its import path, or
/// "(unknown package)" when the output named none.
pub fn package_label(package: Option<&str>) -> &str {
    package.unwrap_or(UNNAMED_PACKAGE)
}

/// The label of a package whose name the output did not give.
pub const UNNAMED_PACKAGE: &str = crate::findings::UNKNOWN_PACKAGE;

/// A person's headline for a failure of this kind.
pub fn failure_title(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Build => "Build failed",
        FailureKind::Panic => "Test panicked",
        FailureKind::Timeout => "Test timed out",
        FailureKind::Incomplete => "Test did not finish",
        FailureKind::Test => "Test failed",
        FailureKind::Leak => "Goroutines not shown",
    }
}

/// A failure's fingerprint for machines that track findings across runs
/// (Code Quality, SARIF): its kind, package, test and attempt (beyond the
/// first); no messages, lines or paths, so it survives unrelated edits.
pub fn failure_fingerprint(f: &Failure) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"leakgate-failure-v1\n");
    h.update(f.kind.name().as_bytes());
    h.update(b"\n");
    h.update(f.package.as_deref().unwrap_or("").as_bytes());
    h.update(b"\n");
    match &f.test {
        Some(t) => h.update(t.as_bytes()),
        None => h.update(b"\0package"),
    }
    if f.node.attempt > 1 {
        h.update(format!("\n#{}", f.node.attempt).as_bytes());
    }
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Where a distinct leak is placed: the `go` statement in the repository,
/// else its first frame in the repository, else the leak check
/// (`VerifyNone`) of a test that reported it, when that is in the
/// repository. `None` when nothing of it is in the repository.
pub fn leak_place(j: &JudgedLeak) -> Option<&SourceRef> {
    j.leak.place()
}

/// The name of a test that reported, for a person: `pkg TestX`, or
/// `pkg TestMain (goleak.VerifyTestMain)` for a package-level report.
pub fn reporter_name(package: Option<&str>, test: Option<&str>) -> String {
    let p = package_label(package);
    match test {
        Some(t) => format!("{p} {t}"),
        None => format!("{p} {PACKAGE_LEVEL_TEST}"),
    }
}

/// The name of a failed test or package, for a person: `pkg TestX`, or
/// `pkg (package)` for a failure at the package level (TestMain's own, a
/// panic outside tests, a build failure).
pub fn failure_name(package: Option<&str>, test: Option<&str>) -> String {
    let p = package_label(package);
    match test {
        Some(t) => format!("{p} {t}"),
        None => format!("{p} (package)"),
    }
}

/// The test name given to a package-level leak (goleak's `VerifyTestMain`).
pub const PACKAGE_LEVEL_TEST: &str = "TestMain (goleak.VerifyTestMain)";

/// Short test names for a title: the first few, then "and N more".
pub fn test_list(j: &JudgedLeak, max: usize) -> String {
    short_names(&j.leak.reporters, max)
}

/// Short names of reporters: the first `max`, then "and N more".
pub fn short_names(who: &[Reporter], max: usize) -> String {
    let names: Vec<String> = who
        .iter()
        .map(|r| match &r.test {
            Some(t) => t.clone(),
            None => format!(
                "{} {}",
                package_label(r.package.as_deref()),
                PACKAGE_LEVEL_TEST
            ),
        })
        .collect();
    let shown = names.len().min(max);
    let mut s = names[..shown].join(", ");
    if names.len() > shown {
        s.push_str(&format!(" and {} more", names.len() - shown));
    }
    s
}

/// The goroutine's state as printed, with its wait.
pub fn state_text(g: &LeakedGoroutine) -> String {
    let mut state = g.goroutine.state.status.clone();
    if let Some(m) = g.goroutine.state.wait_minutes {
        state.push_str(&format!(", {m} minutes"));
    }
    state
}

/// "1 goroutine", "3 goroutines", "50 goroutines (50 in one report)".
pub fn count_text(j: &JudgedLeak) -> String {
    let d = &j.leak;
    if d.max_in_report > 1 && d.max_in_report != d.goroutines {
        format!(
            "{} goroutines ({} in one report)",
            d.goroutines, d.max_in_report
        )
    } else if d.goroutines > 1 {
        format!("{} goroutines", d.goroutines)
    } else {
        "1 goroutine".to_string()
    }
}

/// One frame as reports show it: function and `file:line` (repo-relative
/// when in the repository).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownFrame<'a> {
    /// Function name.
    pub function: &'a str,
    /// `file:line`.
    pub place: String,
}

/// `file:line` of a frame, or a note when the report gave no position
/// (an excerpt cut after the function line, or goleak's header only).
fn frame_place(file: &str, line: u32) -> String {
    if file.is_empty() {
        "(no position in the report)".to_string()
    } else {
        format!("{file}:{line}")
    }
}

/// The user's frames (not the standard library's), at most `max`, then
/// the `created by` line; and how many frames were left out.
pub fn user_frames(g: &LeakedGoroutine, max: usize) -> (Vec<ShownFrame<'_>>, usize) {
    let frames = &g.frames;
    let mut shown = Vec::new();
    for f in frames.iter().filter(|f| !f.stdlib) {
        if shown.len() == max {
            break;
        }
        shown.push(ShownFrame {
            function: &f.function,
            place: frame_place(&f.place.file, f.place.line),
        });
    }
    let hidden = frames.len() - shown.len();
    (shown, hidden)
}

/// The stack as text (indented with spaces: some formats drop tabs):
/// the user's frames, or every frame when `verbose`, then `created by`.
pub fn stack_text(g: &LeakedGoroutine, verbose: bool, max: usize) -> String {
    let mut s = format!(
        "goroutine {} [{}]:\n",
        g.goroutine.id, g.goroutine.state.raw
    );
    if verbose {
        for f in &g.frames {
            s.push_str(&format!(
                "{}\n    {}\n",
                f.function,
                frame_place(&f.place.file, f.place.line)
            ));
        }
    } else {
        let (frames, hidden) = user_frames(g, max);
        for f in &frames {
            s.push_str(&format!("{}\n    {}\n", f.function, f.place));
        }
        if hidden > 0 {
            s.push_str(&format!(
                "({hidden} standard-library or further frames not shown)\n"
            ));
        }
    }
    if let Some(c) = &g.goroutine.created_by {
        let place = g.origin.as_ref().map_or_else(
            || format!("{}:{}", c.file, c.line),
            |o| format!("{}:{}", o.file, o.line),
        );
        s.push_str(&format!("created by {}\n    {}\n", c.function, place));
    }
    s
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        for k in ReportKind::ALL {
            assert_eq!(k.name().parse::<ReportKind>(), Ok(k));
        }
        assert_eq!("JSON".parse::<ReportKind>(), Ok(ReportKind::Json));
        assert_eq!(
            "html".parse::<ReportKind>().map_err(|e| e.to_string()),
            Err("unknown report kind \"html\"; known kinds: terminal, json, github, markdown, junit, codequality, sarif".to_string())
        );
    }
}
