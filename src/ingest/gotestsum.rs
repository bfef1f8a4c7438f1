//! The lines gotestsum's console formats add around `go test` output, so
//! that its logs (a common sight in CI) are read as precisely as `go test
//! -v`:
//!
//! * `testname`: `PASS example.com/m/pkg.TestX (0.00s)`,
//!   `FAIL example.com/m/pkg.TestX/sub (0.45s)` after a failed test's
//!   output, and `FAIL example.com/m/pkg` / `PASS …` / `EMPTY …` per package;
//! * `github-actions`: the same, indented by two spaces, with
//!   `Package` before a package (`  FAIL Package example.com/m/pkg (452ms)`),
//!   and a failed test's output between `::group::FAIL pkg.TestX (0.45s)`
//!   and `::endgroup::`.
//!
//! (The `=== Failed` summary that every format ends with is read by
//! [`super::text`] itself.)

use crate::events::Outcome;

/// A gotestsum line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtsLine<'a> {
    /// A test's result, its package named.
    Test {
        /// Import path.
        package: &'a str,
        /// Full test name.
        test: &'a str,
        /// Result.
        outcome: Outcome,
    },
    /// A package's result.
    Package {
        /// Import path.
        package: &'a str,
        /// Result (`EMPTY` is a skip).
        outcome: Outcome,
    },
    /// `::group::FAIL pkg.TestX (0.45s)`: the test's output follows.
    GroupStart {
        /// Import path.
        package: &'a str,
        /// Full test name.
        test: &'a str,
        /// Result.
        outcome: Outcome,
    },
    /// `::endgroup::`.
    GroupEnd,
    /// `✓  pkg (3ms)`, `✖  pkg (452ms)`, `∅  pkg` (`pkgname` formats): a
    /// package's result after its failed tests' output, which did not name
    /// the package.
    Symbol {
        /// Import path.
        package: &'a str,
        /// Result.
        outcome: Outcome,
    },
}

fn outcome(word: &str) -> Option<Outcome> {
    match word {
        "PASS" => Some(Outcome::Pass),
        "FAIL" => Some(Outcome::Fail),
        "SKIP" | "EMPTY" => Some(Outcome::Skip),
        _ => None,
    }
}

/// Splits `example.com/m/pkg.TestX/sub` into package and test: the test
/// starts at the first `.Test`, `.Example`, `.Benchmark` or `.Fuzz`.
pub fn split_package_test(s: &str) -> Option<(&str, &str)> {
    let mut from = 0;
    while let Some(i) = s[from..].find('.') {
        let dot = from + i;
        let rest = &s[dot + 1..];
        let is_test = ["Test", "Example", "Benchmark", "Fuzz"]
            .iter()
            .any(|p| rest.starts_with(p));
        if is_test && dot > 0 {
            return Some((&s[..dot], rest));
        }
        from = dot + 1;
    }
    None
}

/// Strips a trailing ` (0.45s)` / ` (452ms)` / ` (cached)`.
fn strip_duration(s: &str) -> &str {
    match s.rsplit_once(" (") {
        Some((head, tail)) if tail.ends_with(')') && !tail.contains(' ') => head,
        _ => s,
    }
}

/// Recognizes a gotestsum line.
pub fn classify(line: &str) -> Option<GtsLine<'_>> {
    let t = line.trim_end();
    if t == "::endgroup::" {
        return Some(GtsLine::GroupEnd);
    }
    if let Some(rest) = t.strip_prefix("::group::") {
        let (word, rest) = rest.split_once(' ')?;
        let outcome = outcome(word)?;
        let (package, test) = split_package_test(strip_duration(rest))?;
        return Some(GtsLine::GroupStart {
            package,
            test,
            outcome,
        });
    }
    for (symbol, outcome) in [
        ("✓  ", Outcome::Pass),
        ("✖  ", Outcome::Fail),
        ("∅  ", Outcome::Skip),
    ] {
        if let Some(rest) = t.strip_prefix(symbol) {
            let package = rest.split(' ').next().unwrap_or_default();
            if !package.is_empty() {
                return Some(GtsLine::Symbol { package, outcome });
            }
        }
    }
    // `PASS x` at column 0 (testname) or 2 (github-actions).
    let body = t.strip_prefix("  ").unwrap_or(t);
    if body.starts_with(' ') {
        return None;
    }
    let (word, rest) = body.split_once(' ')?;
    let outcome = outcome(word)?;
    let rest = rest.strip_prefix("Package ").unwrap_or(rest);
    let subject = strip_duration(rest);
    if subject.is_empty() || subject.contains(' ') || subject.contains('\t') {
        return None;
    }
    if let Some((package, test)) = split_package_test(subject) {
        return Some(GtsLine::Test {
            package,
            test,
            outcome,
        });
    }
    // A package: an import path (a dot in its first element, or a slash).
    let looks_like_path =
        subject.contains('/') || subject.split('/').next().is_some_and(|f| f.contains('.'));
    looks_like_path.then_some(GtsLine::Package {
        package: subject,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testname_lines() {
        assert_eq!(
            classify("FAIL example.com/m/assertfail.TestAdd (0.00s)"),
            Some(GtsLine::Test {
                package: "example.com/m/assertfail",
                test: "TestAdd",
                outcome: Outcome::Fail
            })
        );
        assert_eq!(
            classify("PASS example.com/m/clean.TestWorkerStopped/stop/immediately (0.00s)"),
            Some(GtsLine::Test {
                package: "example.com/m/clean",
                test: "TestWorkerStopped/stop/immediately",
                outcome: Outcome::Pass
            })
        );
        assert_eq!(
            classify("PASS example.com/m/clean"),
            Some(GtsLine::Package {
                package: "example.com/m/clean",
                outcome: Outcome::Pass
            })
        );
        assert_eq!(
            classify("EMPTY example.com/m"),
            Some(GtsLine::Package {
                package: "example.com/m",
                outcome: Outcome::Skip
            })
        );
    }

    #[test]
    fn github_actions_lines() {
        assert_eq!(
            classify("  FAIL Package example.com/m/assertfail (452ms)"),
            Some(GtsLine::Package {
                package: "example.com/m/assertfail",
                outcome: Outcome::Fail
            })
        );
        assert_eq!(
            classify(
                "::group::FAIL example.com/m/parallel.TestParallelGroup/leaks/fast_path (0.45s)"
            ),
            Some(GtsLine::GroupStart {
                package: "example.com/m/parallel",
                test: "TestParallelGroup/leaks/fast_path",
                outcome: Outcome::Fail
            })
        );
        assert_eq!(classify("::endgroup::"), Some(GtsLine::GroupEnd));
    }

    #[test]
    fn pkgname_symbols() {
        assert_eq!(
            classify("✖  example.com/m/assertfail (452ms)"),
            Some(GtsLine::Symbol {
                package: "example.com/m/assertfail",
                outcome: Outcome::Fail
            })
        );
        assert_eq!(
            classify("✓  example.com/m/clean (cached) (coverage: 50.0% of statements)"),
            Some(GtsLine::Symbol {
                package: "example.com/m/clean",
                outcome: Outcome::Pass
            })
        );
        assert_eq!(
            classify("∅  example.com/m"),
            Some(GtsLine::Symbol {
                package: "example.com/m",
                outcome: Outcome::Skip
            })
        );
    }

    #[test]
    fn ordinary_lines_are_not_gotestsum() {
        for l in [
            "PASS",
            "FAIL",
            "FAIL\tex.com/p\t0.4s",
            "    PASS ex.com/p.TestX (0.00s)",
            "PASS: all good",
            "FAIL the build please",
            "ok  \tex.com/p\t0.1s",
        ] {
            assert_eq!(classify(l), None, "{l}");
        }
    }
}
