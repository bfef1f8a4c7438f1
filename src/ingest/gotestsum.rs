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

impl<'a> GtsLine<'a> {
    /// The package the line names, if any.
    pub fn package(&self) -> Option<&'a str> {
        match *self {
            GtsLine::Test { package, .. }
            | GtsLine::Package { package, .. }
            | GtsLine::GroupStart { package, .. }
            | GtsLine::Symbol { package, .. } => Some(package),
            GtsLine::GroupEnd => None,
        }
    }

    /// The same line naming `package` instead.
    pub fn with_package<'b>(self, package: &'b str) -> GtsLine<'b>
    where
        'a: 'b,
    {
        match self {
            GtsLine::Test { test, outcome, .. } => GtsLine::Test {
                package,
                test,
                outcome,
            },
            GtsLine::Package { outcome, .. } => GtsLine::Package { package, outcome },
            GtsLine::GroupStart { test, outcome, .. } => GtsLine::GroupStart {
                package,
                test,
                outcome,
            },
            GtsLine::Symbol { outcome, .. } => GtsLine::Symbol { package, outcome },
            GtsLine::GroupEnd => GtsLine::GroupEnd,
        }
    }
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

/// Whether `s` can be a package path as gotestsum prints it relative to
/// the module (`clean`, `internal/pool`, `.` for the module itself).
fn is_relative_package(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['-', '/'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./~+".contains(&b))
}

/// Whether `s` is a test function's name, with no package before it:
/// `Test`, `TestX`, `Test_x/sub` (the `testing` rule: no lower-case
/// letter right after the prefix).
fn is_test_name(s: &str) -> bool {
    ["Test", "Example", "Benchmark", "Fuzz"].iter().any(|p| {
        s.strip_prefix(p)
            .is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_lowercase()))
    })
}

/// Recognizes a gotestsum line. Run from a module's root directory,
/// gotestsum names packages relative to the module (`PASS clean.TestX`,
/// `PASS clean`, `EMPTY .`, and a root package's tests without a package:
/// `PASS TestX (0.00s)`); see [`classify_in`].
pub fn classify(line: &str) -> Option<GtsLine<'_>> {
    classify_in(line, false)
}

/// [`classify`], knowing whether the input already showed gotestsum
/// lines (`in_gotestsum`): only then is `PASS name` with a name that is
/// not an import path (`PASS clean`) a package result. `EMPTY name` and
/// `PASS Package name` are gotestsum's alone, and read either way.
pub fn classify_in(line: &str, in_gotestsum: bool) -> Option<GtsLine<'_>> {
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
    let keyword = rest.strip_prefix("Package ");
    let rest = keyword.unwrap_or(rest);
    let subject = strip_duration(rest);
    if subject.is_empty() || subject.contains(' ') || subject.contains('\t') {
        return None;
    }
    if keyword.is_none() {
        if let Some((package, test)) = split_package_test(subject) {
            if !is_test_name(package) {
                return Some(GtsLine::Test {
                    package,
                    test,
                    outcome,
                });
            }
        }
        // The module's own package: its tests are printed bare.
        if is_test_name(subject) && subject.len() < rest.len() {
            return Some(GtsLine::Test {
                package: ".",
                test: subject,
                outcome,
            });
        }
    }
    // A package: an import path (a dot in its first element, or a slash),
    // or a module-relative one where only gotestsum prints it.
    let looks_like_path =
        subject.contains('/') || subject.split('/').next().is_some_and(|f| f.contains('.'));
    let relative = (keyword.is_some() || word == "EMPTY" || in_gotestsum || subject == ".")
        && is_relative_package(subject);
    (looks_like_path || relative).then_some(GtsLine::Package {
        package: subject,
        outcome,
    })
}

/// The import path of a package gotestsum printed relative to `module`
/// (the module of the directory it ran in): `clean` is `module/clean`,
/// `.` is `module`. A name that is already an import path under it, or
/// any name with no module known, stays as printed.
pub fn full_package<'a>(name: &'a str, module: Option<&str>) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    let Some(module) = module.filter(|m| !m.is_empty()) else {
        return Cow::Borrowed(name);
    };
    if name == "." {
        return Cow::Owned(module.to_string());
    }
    let first = name.split('/').next().unwrap_or(name);
    let absolute = first.contains('.')
        || name == module
        || name
            .strip_prefix(module)
            .is_some_and(|r| r.starts_with('/'));
    if absolute {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{module}/{name}"))
    }
}

/// The module gotestsum named packages relative to: that of the nearest
/// `go.mod` at or above `dir` (gotestsum's own rule, from the directory it
/// runs in), read as [`crate::paths::module_path`] reads it.
pub fn module_at(dir: &std::path::Path) -> Option<String> {
    let mut dir = Some(dir);
    while let Some(d) = dir {
        if let Ok(text) = std::fs::read_to_string(d.join("go.mod")) {
            return crate::paths::module_path(&text);
        }
        dir = d.parent();
    }
    None
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

    /// From `tests/fixtures/ingest/*/gts-*.out`, gotestsum run in the
    /// module root; the root package's bare test name is what gotestsum's
    /// `joinPkgToTestName` prints for package `.`.
    #[test]
    fn module_relative_names() {
        let pkg = |package| {
            Some(GtsLine::Package {
                package,
                outcome: Outcome::Pass,
            })
        };
        assert_eq!(classify("PASS clean"), None);
        assert_eq!(classify_in("PASS clean", true), pkg("clean"));
        assert_eq!(
            classify_in("PASS deephelper/internal/pool", false),
            pkg("deephelper/internal/pool")
        );
        assert_eq!(classify("  PASS Package clean (6ms)"), pkg("clean"));
        assert_eq!(
            classify("EMPTY ."),
            Some(GtsLine::Package {
                package: ".",
                outcome: Outcome::Skip
            })
        );
        assert_eq!(
            classify("  EMPTY Package ."),
            Some(GtsLine::Package {
                package: ".",
                outcome: Outcome::Skip
            })
        );
        assert_eq!(
            classify("FAIL assertfail.TestAdd (0.00s)"),
            Some(GtsLine::Test {
                package: "assertfail",
                test: "TestAdd",
                outcome: Outcome::Fail
            })
        );
        assert_eq!(
            classify("PASS TestRoot/sub.x (0.00s)"),
            Some(GtsLine::Test {
                package: ".",
                test: "TestRoot/sub.x",
                outcome: Outcome::Pass
            })
        );
        for l in [
            "PASS TestRoot",
            "PASS Testify (0.00s)",
            "FAIL the-build",
            "PASS a:b",
        ] {
            assert_eq!(classify(l), None, "{l}");
        }
    }

    #[test]
    fn relative_names_under_the_module() {
        let m = Some("example.com/m");
        assert_eq!(full_package("clean", m), "example.com/m/clean");
        assert_eq!(full_package("a/b", m), "example.com/m/a/b");
        assert_eq!(full_package(".", m), "example.com/m");
        assert_eq!(
            full_package("example.com/m/clean", m),
            "example.com/m/clean"
        );
        assert_eq!(full_package("github.com/x/y", m), "github.com/x/y");
        assert_eq!(full_package("clean", None), "clean");
        assert_eq!(full_package("mono/x", Some("mono")), "mono/x");
    }

    #[test]
    fn module_of_the_nearest_gomod() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("go.mod"),
            "module example.com/m // c\n\ngo 1.26\n",
        )
        .unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(module_at(&sub).as_deref(), Some("example.com/m"));
        assert_eq!(module_at(dir.path()).as_deref(), Some("example.com/m"));
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
