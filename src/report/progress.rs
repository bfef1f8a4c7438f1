//! Live progress lines of `leakgate run`, for standard error.
//!
//! Plain lines, one per finished package and one per retry attempt: they
//! read the same in a terminal and in a CI log. On an interactive terminal
//! `leakgate run` shows a status line (a spinner with the counts) instead,
//! and prints only failed packages above it.

use super::helpers::{clean, plural};
use crate::findings::Outcome;
use crate::retry::rerun::{display, Target};
use crate::run::Progress;

/// The line printed when a package ends.
pub fn package_line(p: &Progress) -> String {
    let (package, outcome) = match &p.last {
        Some((package, outcome)) => (package.as_str(), *outcome),
        None => ("", Outcome::Pass),
    };
    let tag = match outcome {
        Outcome::Pass => "ok  ",
        Outcome::Fail => "FAIL",
        Outcome::Skip => "skip",
    };
    format!(
        "leakgate: {tag} {}  ({})",
        clean(package_name(package)),
        status(p)
    )
}

/// The package's name for people: a reader that has not learned a
/// package's import path keys it internally with a `\0`-prefixed key
/// (`\0text#0#0`), which is never printed; such a package (or one with
/// no key at all) is the neutral [`super::UNNAMED_PACKAGE`].
pub fn package_name(key: &str) -> &str {
    if key.is_empty() || key.starts_with('\u{0}') {
        super::UNNAMED_PACKAGE
    } else {
        key
    }
}

/// The counts alone, for the status line on a terminal.
pub fn status(p: &Progress) -> String {
    format!(
        "{} package{} done, {} test{} failed, {} leak report{} so far",
        p.packages_done,
        plural(p.packages_done as usize),
        p.tests_failed,
        plural(p.tests_failed as usize),
        p.leaks,
        plural(p.leaks),
    )
}

/// Whether the package that just ended failed.
pub fn last_failed(p: &Progress) -> bool {
    matches!(p.last, Some((_, Outcome::Fail)))
}

/// The line printed before a retry attempt.
pub fn attempt_line(target: &Target, argv: &[String], number: u32, of: u32) -> String {
    let what = match target.test() {
        Some(t) => format!("{} {t}", package_name(target.package())),
        None => format!("{} (package level)", package_name(target.package())),
    };
    format!(
        "leakgate: retry {number}/{of} of {}: {}",
        clean(&what),
        clean(&display(argv))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let p = Progress {
            packages_done: 2,
            tests_failed: 1,
            leaks: 1,
            last: Some(("example.com/m/a\x1b[2J".to_string(), Outcome::Fail)),
        };
        assert_eq!(
            package_line(&p),
            "leakgate: FAIL example.com/m/a\u{FFFD}[2J  (2 packages done, 1 test failed, 1 leak report so far)"
        );
        for key in ["\u{0}text#0#0", ""] {
            let unnamed = Progress {
                last: Some((key.to_string(), Outcome::Pass)),
                ..p.clone()
            };
            let line = package_line(&unnamed);
            assert_eq!(
                line,
                "leakgate: ok   (unknown package)  (2 packages done, 1 test failed, 1 leak report so far)"
            );
            assert!(!line.contains('\u{0}') && !line.contains('\u{FFFD}'));
        }
        let t = Target {
            package: "example.com/m/a".to_string(),
            reporter: None,
            selection: crate::retry::rerun::Selection::Package { count: 1 },
        };
        let argv: Vec<String> = ["go", "test", "-count=1", "example.com/m/a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            attempt_line(&t, &argv, 1, 2),
            "leakgate: retry 1/2 of example.com/m/a (package level): go test -count=1 example.com/m/a"
        );
    }
}
