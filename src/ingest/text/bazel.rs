//! Bazel's lines around test output: target banners (`Executing tests from
//! //p:t`, `Test output for //p:t (shard 1 of 2):`) and status lines, and
//! the package a label names.

/// The target of a Bazel banner line: `Executing tests from //p:t`,
/// `==================== Test output for //p:t (shard 2 of 2):`.
#[cold]
pub(super) fn bazel_banner(line: &str) -> Option<&str> {
    let t = line.trim();
    if let Some(target) = t.strip_prefix("Executing tests from ") {
        return Some(target.trim());
    }
    let rest = t.trim_start_matches('=').trim_start();
    if rest.len() == t.len() && !t.starts_with("Test output for ") {
        return None;
    }
    let rest = rest.strip_prefix("Test output for ")?.strip_suffix(':')?;
    let target = match rest.split_once(" (shard ") {
        Some((target, shard)) if shard.ends_with(')') => target,
        _ => rest,
    };
    (target.starts_with("//") || target.starts_with('@')).then_some(target.trim())
}

/// The package a Bazel label names, relative to the workspace, as the
/// label writes it: `//pkg/foo:foo_test` and `//pkg/foo` are `pkg/foo`.
/// A label of the workspace root (`//:t`) or another repository
/// (`@repo//p:t`) stays as printed.
pub(super) fn bazel_package(label: &str) -> String {
    let Some(rest) = label.strip_prefix("//") else {
        return label.to_string();
    };
    let package = rest.split_once(':').map_or(rest, |(p, _)| p);
    if package.is_empty() {
        return label.to_string();
    }
    package.to_string()
}

/// A Bazel status line: the label and whether it says the target did not
/// pass. `FAIL: //p:t (see …/test.log)`, `TIMEOUT: //p:t (see …)`,
/// `FLAKY: //p:t (see …)` before a target's output; `//p:t  (cached)
/// PASSED in 0.1s`, `FAILED in 2 out of 2 in 0.5s`, `TIMEOUT in 60.0s`,
/// `FLAKY, failed in 1 out of 2 in 0.4s`, `NO STATUS`, `FAILED TO BUILD`,
/// `INCOMPLETE`, `SKIPPED` in the summary. A flaky target failed at least
/// once: Bazel's own rerun is not leakgate's retry policy, so it counts.
#[cold]
pub(super) fn bazel_status(line: &str) -> Option<(&str, bool)> {
    let t = line.trim_end();
    for prefix in ["FAIL: ", "TIMEOUT: ", "FLAKY: "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let label = rest.split_once(' ').map_or(rest, |(l, _)| l);
            return is_label(label).then_some((label, true));
        }
    }
    let (label, rest) = t.split_once([' ', '\t'])?;
    if !is_label(label) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("(cached)").unwrap_or(rest).trim_start();
    let word = |w: &str| rest == w || rest.starts_with(&format!("{w} "));
    if word("PASSED") || word("SKIPPED") {
        return Some((label, false));
    }
    let failed = word("FAILED")
        || word("TIMEOUT")
        || rest.starts_with("FLAKY,")
        || word("FLAKY")
        || rest == "NO STATUS"
        || rest == "INCOMPLETE"
        || rest == "FAILED TO BUILD";
    failed.then_some((label, true))
}

/// `//p:t`, `//p`, `@repo//p:t`: no spaces, a `//`.
fn is_label(s: &str) -> bool {
    (s.starts_with("//") || (s.starts_with('@') && s.contains("//")))
        && !s.bytes().any(|b| b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bazel_banners_and_labels() {
        for (line, want) in [
            (
                "Executing tests from //pkg/foo:foo_test",
                Some("//pkg/foo:foo_test"),
            ),
            (
                "==================== Test output for //pkg/foo:foo_test (shard 2 of 2):",
                Some("//pkg/foo:foo_test"),
            ),
            ("==================== Test output for //a:b:", Some("//a:b")),
            ("Test output for @r//a:b:", Some("@r//a:b")),
            ("==================== Test output for something:", None),
            ("=== RUN   TestA", None),
            ("Test output for //a:b is below", None),
        ] {
            assert_eq!(bazel_banner(line), want, "{line}");
        }
        assert_eq!(bazel_package("//pkg/foo:foo_test"), "pkg/foo");
        assert_eq!(bazel_package("//pkg/foo"), "pkg/foo");
        assert_eq!(bazel_package("//:root_test"), "//:root_test");
        assert_eq!(bazel_package("@repo//p:t"), "@repo//p:t");
    }
    #[test]
    fn bazel_statuses() {
        for (line, want) in [
            (
                "FAIL: //p/q:q_test (see /x/test.log)",
                Some(("//p/q:q_test", true)),
            ),
            ("TIMEOUT: //p:t (see /x/test.log)", Some(("//p:t", true))),
            ("FLAKY: //p:t (see /x/test.log)", Some(("//p:t", true))),
            (
                "//p:t          (cached) PASSED in 0.1s",
                Some(("//p:t", false)),
            ),
            (
                "//p:t                   FAILED in 2 out of 2 in 0.5s",
                Some(("//p:t", true)),
            ),
            ("//p:t\tTIMEOUT in 60.0s", Some(("//p:t", true))),
            (
                "//p:t   FLAKY, failed in 1 out of 2 in 0.4s",
                Some(("//p:t", true)),
            ),
            ("//p:t   NO STATUS", Some(("//p:t", true))),
            ("@r//p:t   FAILED TO BUILD", Some(("@r//p:t", true))),
            ("//p:t   SKIPPED", Some(("//p:t", false))),
            ("FAIL: TestX", None),
            ("FAIL\tex.com/p\t0.1s", None),
            ("// a comment FAILED in", None),
            ("//p:t is fine", None),
        ] {
            assert_eq!(bazel_status(line), want, "{line}");
        }
    }
}
