//! Live progress lines of `leakgate run`, for standard error.
//!
//! Plain lines, one per finished package and one per retry attempt: they
//! read the same in a terminal and in a CI log. On an interactive terminal
//! `leakgate run` shows a status line (a spinner with the counts) instead,
//! and prints only failed packages above it.

use super::terminal::clean;
use crate::events::Outcome;
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
    format!("leakgate: {tag} {}  ({})", clean(package), status(p))
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
        Some(t) => format!("{} {t}", target.package()),
        None => format!("{} (package level)", target.package()),
    };
    format!(
        "leakgate: retry {number}/{of} of {}: {}",
        clean(&what),
        clean(&display(argv))
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
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
        let t = Target::Package {
            package: "example.com/m/a".to_string(),
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
