//! leakgate reads what Go test runs print, finds the goroutine leaks that
//! `go.uber.org/goleak` (or synctest) reported, applies a checked-in policy
//! and gives one verdict.
//!
//! The whole flow, one stage per module:
//!
//! ```text
//!  inputs ─ingest─▶ events ─tree─▶ RunTree ─attribution─▶ Findings ─policy─▶ Evaluation ─retry─▶ RetryRecord ─verdict─▶ Analysis + View ─report─▶ bytes
//!  go-json, JUnit,  (formats)      tests, packages,       failures, leak     each distinct    reruns, each     one judge: every     terminal, json,
//!  text, CI logs                   evidence per node      reports, distinct  leak allowed     leak flaky or    leak, failure, test  github, markdown,
//!                                                         leaks              or new           real             and package, once    junit, sarif, …
//! ```
//!
//! * [`ingest`] detects each input's format and turns it into [`events`];
//! * [`tree`] collects the events into the run tree: package runs, test
//!   attempts, and the evidence of each (output lines go through [`scan`],
//!   which reads goleak's reports, panics and timeouts with [`stack`]);
//! * [`attribution`] turns the finished tree into [`findings`]: failures,
//!   leak reports with their goroutines resolved against the repository
//!   ([`paths`]), and the distinct leaks they show
//!   ([`findings::DistinctLeak`], the unit of every decision);
//! * [`policy`] says of each distinct leak whether it is allowed;
//! * [`retry`] plans reruns of what first reported a new leak that may be a
//!   flake, runs them (through [`run`], which also runs the first `go test`
//!   for `leakgate run`), and derives from the attempts which leaks were
//!   flaky;
//! * [`verdict`] is the one judge: each distinct leak's status, rules,
//!   retry and gate, which failures gate, how every test and package ends,
//!   the counts ([`verdict::View`]), pass, fail or error ([`exit`] codes);
//! * [`report`] renders the [`verdict::Analysis`] and never decides.
//!
//! [`collect`] runs the stages up to findings, [`judge`] the rest.
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

pub mod assertions;
pub mod attribution;
mod bytes;
pub mod config;
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

/// ingest → tree → attribution: reads every input into one set of
/// findings (shards make one verdict).
pub fn collect(
    inputs: &[Input],
    format: FormatChoice,
    repo: &Repo,
) -> Result<findings::Findings, IngestError> {
    let mut collector = tree::Collector::new();
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
    Ok(attribution::attribute(collector.finish(), repo))
}

/// How retries rerun what may be a flake: the `retry:` settings, how the
/// first run's command is repeated, and what runs each attempt.
pub struct Retries<'a> {
    /// The settings.
    pub config: &'a retry::RetryConfig,
    /// The first run's command, directory and environment.
    pub invocation: &'a retry::Invocation,
    /// What runs each attempt.
    pub runner: &'a mut dyn retry::Runner,
}

/// policy → retry → verdict: the one judge after findings.
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

/// The whole pipeline: inputs to analysis, without retries.
pub fn analyze(
    inputs: &[Input],
    format: FormatChoice,
    repo: &Repo,
    policy: &Policy,
) -> Result<Analysis, IngestError> {
    Ok(judge(collect(inputs, format, repo)?, policy, None))
}

/// The whole pipeline on readers already open (tests and tools).
pub fn analyze_readers<R: Read>(
    inputs: Vec<(String, R)>,
    format: FormatChoice,
    repo: &Repo,
    policy: &Policy,
) -> Result<Analysis, IngestError> {
    let mut collector = tree::Collector::new();
    for (index, (name, reader)) in inputs.into_iter().enumerate() {
        let summary = ingest::ingest(index, &name, reader, format, &mut collector)?;
        collector.input_done(summary);
    }
    Ok(judge(
        attribution::attribute(collector.finish(), repo),
        policy,
        None,
    ))
}
