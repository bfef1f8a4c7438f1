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

use crate::verdict::Analysis;

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

mod helpers;
pub use helpers::*;

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
