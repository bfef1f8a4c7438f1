//! leakgate reads what Go test runs print, finds the goroutine leaks that
//! `go.uber.org/goleak` reported, applies a checked-in policy and gives one
//! verdict.
//!
//! The whole flow, one stage per module:
//!
//! ```text
//!  inputs ─ingest─▶ events ─findings─▶ Findings ─policy─▶ statuses ─retry─▶ statuses ─verdict─▶ Analysis ─report─▶ bytes
//!  go-json, JUnit,            scan, stack,         .leakgate.yml    reruns (run)      exit code       terminal, json,
//!  text                       paths                allow rules      flaky or real                     github, markdown,
//!                                                                                                     junit, sarif, …
//! ```
//!
//! * [`ingest`] detects each input's format and turns it into [`events`];
//! * [`findings`] collects events per test and package, runs their output
//!   through [`scan`] (goleak reports, synctest, panics, timeouts), which
//!   parses goroutines with [`stack`], and resolves files with [`paths`];
//! * [`policy`] marks each leak report new or allowed;
//! * [`retry`] plans reruns of what led to new leaks that may be flakes,
//!   runs them (through [`run`], which also runs the first `go test` for
//!   `leakgate run`), and derives which ones were flaky from the attempts;
//! * [`verdict`] turns all of it into pass, fail or error ([`exit`] codes);
//! * [`report`] renders the [`verdict::Analysis`].
//!
//! Beside the test pipeline, [`dump`] reads goroutine dumps of running
//! services (`leakgate dump`, `diff`, `watch`): dump → groups by `go`
//! statement → policy → growth gate → [`report::dump`].
//!
//! Only [`report`] and the binary write; every parser is total (no panics on
//! input) and streams.

#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
// Input never makes the library panic: no unwrap/expect outside tests.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod attribution;
mod bytes;
pub mod dump;
pub mod events;
pub mod exit;
pub mod findings;
#[doc(hidden)]
pub mod fuzzing;
pub mod hook;
pub mod ingest;
pub mod matching;
pub mod passed;
pub mod paths;
pub mod policy;
pub mod process;
pub mod report;
pub mod retry;
pub mod run;
pub mod scan;
pub mod stack;
#[cfg(test)]
mod testutil;
pub mod tree;
pub mod verdict;

use std::io::Read;
use std::path::PathBuf;

use ingest::{FormatChoice, IngestError};
use paths::Repo;
use policy::Policy;
use verdict::Analysis;

/// Where one input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Input {
    /// The name shown in reports and errors.
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// Reads every input into one set of findings (shards make one verdict).
pub fn collect(
    inputs: &[Input],
    format: FormatChoice,
    repo: &Repo,
) -> Result<findings::Findings, IngestError> {
    let mut collector = findings::Collector::new(repo);
    for (index, input) in inputs.iter().enumerate() {
        let name = input.display();
        let summary = match input {
            Input::Stdin => {
                ingest::ingest_prefetched(index, &name, std::io::stdin(), format, &mut collector)?
            }
            Input::File(path) => {
                let file = std::fs::File::open(path).map_err(|source| IngestError::Unreadable {
                    path: name.clone(),
                    source,
                })?;
                ingest::ingest_prefetched(index, &name, file, format, &mut collector)?
            }
        };
        collector.input_done(summary);
    }
    Ok(collector.finish())
}

/// The whole pipeline on readers already open (used by tests and tools).
pub fn analyze_readers<R: Read>(
    inputs: Vec<(String, R)>,
    format: FormatChoice,
    repo: &Repo,
    policy: &Policy,
) -> Result<Analysis, IngestError> {
    let mut collector = findings::Collector::new(repo);
    for (index, (name, reader)) in inputs.into_iter().enumerate() {
        let summary = ingest::ingest(index, &name, reader, format, &mut collector)?;
        collector.input_done(summary);
    }
    Ok(judge(collector.finish(), policy, None))
}

/// How retries rerun what may be a flake: the `retry:` settings, how the
/// first run's command is repeated, and what runs it.
pub struct Retries<'a> {
    /// The settings.
    pub config: &'a retry::RetryConfig,
    /// The first run's command, directory and environment.
    pub invocation: &'a retry::Invocation,
    /// What runs each attempt.
    pub runner: &'a mut dyn retry::Runner,
}

/// The judge: policy → retries → verdict, the one entry after findings.
///
/// The policy says of every distinct leak whether it is allowed; with
/// `retries`, the tests and packages that first reported a new leak that
/// may be a flake are rerun and each leak's attempts make it flaky or real;
/// the verdict then judges every leak, failure, test and package once
/// ([`verdict::View`]). A run that cannot be judged (problems, incomplete
/// input) is not retried.
pub fn judge(
    mut findings: findings::Findings,
    policy: &Policy,
    retries: Option<Retries<'_>>,
) -> Analysis {
    let mut evaluation = policy::evaluate(&findings, policy);
    let judgeable =
        findings.problems.is_empty() && findings.inputs.iter().all(|i| i.incomplete.is_none());
    let mut records = Vec::new();
    let mut flaky = retry::FlakyMode::Pass;
    if let Some(r) = retries {
        flaky = r.config.flaky;
        if judgeable {
            let new = evaluation
                .leaks
                .iter()
                .filter(|(_, a)| !a.allowed)
                .map(|(k, _)| k.clone())
                .collect();
            records = retry::plan(&findings, &new, r.config, r.invocation);
            retry::execute(&mut findings, &mut records, r.config, r.runner);
            // Attempts may have added leaks: the policy judges them too.
            if records
                .iter()
                .any(|r| r.attempts.iter().any(|a| !a.new_leaks.is_empty()))
            {
                evaluation = policy::evaluate(&findings, policy);
            }
        }
    }
    let outcome = policy::PolicyOutcome::new(policy, &evaluation);
    verdict::judge(
        findings,
        &evaluation,
        outcome,
        records,
        verdict::Options {
            default_policy: policy.is_default(),
            flaky,
            settings: policy.verdict,
        },
    )
}

/// [`judge`] with reruns of `base` in the runner's own directory and
/// environment.
pub fn judge_with_retries(
    findings: findings::Findings,
    policy: &Policy,
    config: &retry::RetryConfig,
    base: &retry::Base,
    runner: &mut dyn retry::Runner,
) -> Analysis {
    let invocation = retry::Invocation::new(base.clone());
    judge(
        findings,
        policy,
        Some(Retries {
            config,
            invocation: &invocation,
            runner,
        }),
    )
}

/// The whole pipeline: inputs to analysis.
pub fn analyze(
    inputs: &[Input],
    format: FormatChoice,
    repo: &Repo,
    policy: &Policy,
) -> Result<Analysis, IngestError> {
    let findings = collect(inputs, format, repo)?;
    Ok(judge(findings, policy, None))
}
