//! GitLab Code Quality report (`artifacts:reports:codequality`): a JSON
//! array with one entry per distinct leak (harness goroutines left out)
//! and one per other failure that fails the gate.
//!
//! Each entry has what GitLab requires: `description`, `check_name`,
//! `fingerprint` (the leak's fingerprint, stable across runs and
//! machines, so the merge-request widget tells new from existing),
//! `severity`, `location.path` (repository-relative) and
//! `location.lines.begin`. Written by `serde_json` (UTF-8, no byte-order
//! mark, which GitLab rejects). Leaks with nothing in the repository are
//! placed at the repository root's `go.mod` line 1 so GitLab keeps them.
//!
//! Severities: a new leak and another gate-failing failure are `major`, a
//! flaky leak `minor`, an allowed leak `info`; `check_name` tells leaks
//! ([`CHECK_LEAK`], [`CHECK_FLAKY`]) from other failures
//! (`leakgate/<kind>-failure`, [`check_failure`]). Another failure is
//! placed at its location in the repository (the assertion, the compile
//! error, the line a timed-out test was stuck at), headed by its message;
//! its fingerprint is [`super::failure_fingerprint`].

use std::io::{self, Write};

use serde::Serialize;

use super::{
    count_text, failure_fingerprint, failure_name, failure_title, leak_place, seen_again_text,
    state_text, test_list, Class,
};
use crate::findings::FailureKind;
use crate::verdict::Analysis;

/// The check name of a new or allowed leak.
pub const CHECK_LEAK: &str = "leakgate/goroutine-leak";
/// The check name of a flaky leak.
pub const CHECK_FLAKY: &str = "leakgate/flaky-goroutine-leak";

/// The check name of a failure other than a leak.
pub fn check_failure(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Build => "leakgate/build-failure",
        FailureKind::Panic => "leakgate/panic-failure",
        FailureKind::Timeout => "leakgate/timeout-failure",
        FailureKind::Incomplete => "leakgate/incomplete-failure",
        FailureKind::Test | FailureKind::Leak => "leakgate/test-failure",
    }
}

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// Writes the Code Quality report.
pub fn write(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let mut issues = Vec::new();
    for d in a.leaks() {
        let (check, severity) = match d.class() {
            Class::New => (CHECK_LEAK, "major"),
            Class::Flaky => (CHECK_FLAKY, "minor"),
            Class::Allowed => (CHECK_LEAK, "info"),
            Class::Harness => continue,
        };
        let g = &d.leak.example;
        let mut description = format!("Goroutine leak: {} [{}]", count_text(d), state_text(g));
        if let Some(top) = g.goroutine.top_function() {
            description.push_str(&format!(" in {top}"));
        }
        description.push_str(&format!(", reported by {}", test_list(d, 3)));
        if let Some(again) = seen_again_text(d) {
            description.push_str(&format!(" ({again})"));
        }
        if d.class() == Class::Allowed {
            description.push_str(" (allowed by the policy)");
        }
        let place = leak_place(d);
        issues.push(Issue {
            description,
            check_name: check,
            fingerprint: d.key().as_str().to_string(),
            severity,
            location: Location {
                path: place.map_or_else(|| "go.mod".to_string(), |p| p.file.clone()),
                lines: Lines {
                    begin: place.map_or(1, |p| p.line.max(1)),
                },
            },
        });
    }
    for f in a.other_failures() {
        let place = a.failure_place(f);
        issues.push(Issue {
            description: format!(
                "{}: {}: {}",
                failure_title(f.kind),
                failure_name(f.package.as_deref(), f.test.as_deref()),
                f.message
            ),
            check_name: check_failure(f.kind),
            fingerprint: failure_fingerprint(f),
            severity: "major",
            location: Location {
                path: place.map_or_else(|| "go.mod".to_string(), |p| p.file.clone()),
                lines: Lines {
                    begin: place.map_or(1, |p| p.line.max(1)),
                },
            },
        });
    }
    serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::from)?;
    writeln!(out)
}
