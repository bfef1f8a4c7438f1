//! GitLab Code Quality report (`artifacts:reports:codequality`): a JSON
//! array with one entry per distinct leak.
//!
//! Each entry has what GitLab requires: `description`, `check_name`,
//! `fingerprint` (the leak's fingerprint, stable across runs and
//! machines, so the merge-request widget tells new from existing),
//! `severity`, `location.path` (repository-relative) and
//! `location.lines.begin`. Written by `serde_json` (UTF-8, no byte-order
//! mark, which GitLab rejects). Leaks with nothing in the repository are
//! placed at the repository root's `go.mod` line 1 so GitLab keeps them.

use std::io::{self, Write};

use serde::Serialize;

use super::{class, count_text, leak_place, state_text, test_list, Class};
use crate::verdict::Analysis;

/// The check name of a new or allowed leak.
pub const CHECK_LEAK: &str = "leakgate/goroutine-leak";
/// The check name of a flaky leak.
pub const CHECK_FLAKY: &str = "leakgate/flaky-goroutine-leak";

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
    for d in a.distinct_leaks() {
        let (check, severity) = match class(&d) {
            Class::New => (CHECK_LEAK, "major"),
            Class::Flaky => (CHECK_FLAKY, "minor"),
            Class::Allowed => (CHECK_LEAK, "info"),
            Class::Harness => continue,
        };
        let g = d.example;
        let mut description = format!("Goroutine leak: {} [{}]", count_text(&d), state_text(g));
        if let Some(top) = g.goroutine.top_function() {
            description.push_str(&format!(" in {top}"));
        }
        description.push_str(&format!(", reported by {}", test_list(&d, 3)));
        if class(&d) == Class::Allowed {
            description.push_str(" (allowed by the policy)");
        }
        let place = leak_place(&d, a);
        issues.push(Issue {
            description,
            check_name: check,
            fingerprint: d.fingerprint.to_string(),
            severity,
            location: Location {
                path: place.map_or_else(|| "go.mod".to_string(), |p| p.file.clone()),
                lines: Lines {
                    begin: place.map_or(1, |p| p.line.max(1)),
                },
            },
        });
    }
    serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::other)?;
    writeln!(out)
}
