//! Building the command that reruns exactly one leaking test or package.
//!
//! * A `VerifyNone` leak in `TestA/sub case` reruns that test alone:
//!   `-run '^TestA$/^sub_case$'`, every path segment anchored and quoted
//!   like Go's `regexp.QuoteMeta` (as gotestsum's `goTestRunFlagForTestCase`
//!   does, but per segment), spaces rewritten to `_` as `testing` does.
//! * A `VerifyTestMain` leak reruns the whole package: goleak checks after
//!   all its tests ran, so `-run ^$` (which runs nothing and passes) would
//!   hide it. The user's own `-run`/`-skip` stay, since they decided which
//!   tests ran before the check.
//! * `-count=1` always (never a cached result), `-json` always, the
//!   package restricted to the one that leaked, every other flag of the
//!   user's (`-race`, `-tags`, `-timeout`, `-ldflags`, `-v`, `-cover`, …)
//!   kept, and the user's `-run`/`-count` (also `-run=X`, `-test.run`)
//!   replaced.
//!
//! Everything here is pure: argument vectors in, argument vectors out.

/// What to rerun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One test (or subtest) of a package.
    Test {
        /// Import path.
        package: String,
        /// Full test name, `TestA/sub_case`.
        test: String,
    },
    /// A whole package (a `VerifyTestMain` leak).
    Package {
        /// Import path.
        package: String,
    },
}

impl Target {
    /// The package's import path.
    pub fn package(&self) -> &str {
        match self {
            Target::Test { package, .. } | Target::Package { package } => package,
        }
    }

    /// The test, if one.
    pub fn test(&self) -> Option<&str> {
        match self {
            Target::Test { test, .. } => Some(test),
            Target::Package { .. } => None,
        }
    }
}

/// The default `retry.command` for `check`, where the original command is
/// not known.
pub const DEFAULT_COMMAND: &str = "go test -json -count=1 {run} {package}";

/// Go's `regexp.QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `testing`'s `isSpace`: what `t.Run` rewrites to `_` in a subtest name.
fn go_is_space(c: char) -> bool {
    let r = c as u32;
    if r < 0x2000 {
        matches!(
            r,
            0x09 | 0x0a | 0x0b | 0x0c | 0x0d | 0x20 | 0x85 | 0xa0 | 0x1680
        )
    } else {
        r <= 0x200a || matches!(r, 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000)
    }
}

/// The `-run` pattern that selects exactly `test`: each `/` segment
/// anchored and quoted. Names printed by `go test` are already rewritten;
/// spaces (from hand-written names) are rewritten the way `t.Run` does.
pub fn run_pattern(test: &str) -> String {
    test.split('/')
        .map(|seg| {
            let seg: String = seg
                .chars()
                .map(|c| if go_is_space(c) { '_' } else { c })
                .collect();
            format!("^{}$", quote_meta(&seg))
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `go test` flags that take a value (build flags and test flags), without
/// the leading dash. Everything else is a boolean flag.
const VALUE_FLAGS: &[&str] = &[
    // build flags
    "C",
    "p",
    "asmflags",
    "buildmode",
    "compiler",
    "gccgoflags",
    "gcflags",
    "installsuffix",
    "ldflags",
    "mod",
    "modfile",
    "overlay",
    "pgo",
    "pkgdir",
    "tags",
    "toolexec",
    "covermode",
    "coverpkg",
    "o",
    "exec",
    "vet",
    // test flags
    "bench",
    "benchtime",
    "blockprofile",
    "blockprofilerate",
    "count",
    "coverprofile",
    "cpu",
    "cpuprofile",
    "fuzz",
    "fuzzminimizetime",
    "fuzztime",
    "list",
    "memprofile",
    "memprofilerate",
    "mutexprofile",
    "mutexprofilefraction",
    "outputdir",
    "parallel",
    "run",
    "skip",
    "shuffle",
    "timeout",
    "trace",
];

/// A command-line flag split up: `-run=X` → (`run`, Some("X")).
fn parse_flag(arg: &str) -> Option<(&str, Option<&str>)> {
    let body = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    if body.is_empty() || body.starts_with('-') {
        return None;
    }
    Some(match body.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    })
}

/// The flag's name without the test binary's `test.` prefix.
fn base_name(name: &str) -> &str {
    name.strip_prefix("test.").unwrap_or(name)
}

/// Whether `argv` is `go test …` (the program's file name is `go`).
pub fn is_go_test(argv: &[String]) -> bool {
    let program = argv.first().map(|p| p.rsplit('/').next().unwrap_or(p));
    program == Some("go") && argv.get(1).map(String::as_str) == Some("test")
}

/// Whether a `go test` command line may ask for `-failfast` (before
/// `-args`): any spelling but an explicit false. A flag set through
/// `GOFLAGS` is not seen here, so that is read too.
pub fn uses_failfast(argv: &[String]) -> bool {
    let set = |arg: &str| {
        parse_flag(arg).is_some_and(|(name, value)| {
            base_name(name) == "failfast" && !value.is_some_and(|v| v == "false" || v == "0")
        })
    };
    let goflags = std::env::var("GOFLAGS").unwrap_or_default();
    argv.iter()
        .skip(2)
        .take_while(|a| *a != "-args" && *a != "--args")
        .any(|a| set(a))
        || goflags.split_whitespace().any(set)
}

/// Whether a `go test` command line asks for `-json` (before `-args`).
fn has_json(argv: &[String]) -> bool {
    for arg in argv.iter().skip(2) {
        if arg == "-args" || arg == "--args" {
            break;
        }
        if let Some((name, value)) = parse_flag(arg) {
            if base_name(name) == "json" && value.is_none_or(|v| v == "true" || v == "1") {
                return true;
            }
        }
    }
    false
}

/// `go test …` with `-json` added when missing (right after `test` and a
/// leading `-C dir`). Other commands are returned unchanged.
pub fn ensure_json(argv: &[String]) -> Vec<String> {
    if !is_go_test(argv) || has_json(argv) {
        return argv.to_vec();
    }
    let mut out = argv.to_vec();
    out.insert(leading_end(argv), "-json".to_string());
    out
}

/// Index after `go test` and a leading `-C dir` / `-C=dir` (which must
/// stay the first flag).
fn leading_end(argv: &[String]) -> usize {
    match argv.get(2).and_then(|a| parse_flag(a)) {
        Some(("C", Some(_))) => 3,
        Some(("C", None)) => 4.min(argv.len()),
        _ => 2.min(argv.len()),
    }
}

/// Why a rerun command cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RerunError {
    /// The original command is not `go test`.
    #[error("the command is not `go test`; give a retry command (--retry-command or retry.command) with {{run}} and {{package}}")]
    NotGoTest,
    /// The template did not split into words.
    #[error("the retry command {0:?} has unbalanced quotes")]
    BadTemplate(String),
    /// The template is empty.
    #[error("the retry command is empty")]
    EmptyTemplate,
}

/// Reruns `target` with the user's `go test` command line: their flags
/// kept, their `-run` (for a test) and `-count` replaced, their packages
/// replaced by the target's, `-json` ensured.
pub fn from_go_test(argv: &[String], target: &Target) -> Result<Vec<String>, RerunError> {
    if !is_go_test(argv) {
        return Err(RerunError::NotGoTest);
    }
    let start = leading_end(argv);
    let mut out: Vec<String> = argv[..start].to_vec();
    let mut kept: Vec<String> = Vec::new();
    let mut package_at: Option<usize> = None;
    let mut binary_args: Vec<String> = Vec::new();
    let mut json = false;
    let mut i = start;
    while i < argv.len() {
        let arg = &argv[i];
        i += 1;
        if arg == "-args" || arg == "--args" {
            binary_args = argv[i - 1..].to_vec();
            break;
        }
        let Some((name, value)) = parse_flag(arg) else {
            // A package pattern (or `-`): replaced by the target.
            package_at.get_or_insert(kept.len());
            continue;
        };
        let base = base_name(name);
        let takes_value = VALUE_FLAGS.contains(&base) && value.is_none();
        let mut words = vec![arg.clone()];
        if takes_value {
            if let Some(v) = argv.get(i) {
                words.push(v.clone());
                i += 1;
            }
        }
        let replaced = base == "count" || (base == "run" && matches!(target, Target::Test { .. }));
        if replaced {
            continue;
        }
        if base == "json" {
            json = true;
        }
        kept.extend(words);
    }
    if let Target::Test { test, .. } = target {
        out.push("-run".to_string());
        out.push(run_pattern(test));
    }
    out.push("-count=1".to_string());
    if !json {
        out.push("-json".to_string());
    }
    let at = package_at.unwrap_or(kept.len());
    kept.insert(at, target.package().to_string());
    out.extend(kept);
    out.extend(binary_args);
    Ok(out)
}

/// Fills a `retry.command` template: `{run}` becomes `-run PATTERN` (or
/// nothing for a package), `{package}` the import path, `{test}` the test
/// name; `{run}` and `{package}` standing alone are whole words.
pub fn from_template(template: &str, target: &Target) -> Result<Vec<String>, RerunError> {
    let words =
        shlex::split(template).ok_or_else(|| RerunError::BadTemplate(template.to_string()))?;
    if words.is_empty() {
        return Err(RerunError::EmptyTemplate);
    }
    let pattern = target.test().map(run_pattern);
    let mut out = Vec::new();
    for w in words {
        match w.as_str() {
            "{run}" => {
                if let Some(p) = &pattern {
                    out.push("-run".to_string());
                    out.push(p.clone());
                }
            }
            _ => out.push(
                w.replace("{package}", target.package())
                    .replace("{test}", target.test().unwrap_or(""))
                    .replace(
                        "{run}",
                        pattern
                            .as_deref()
                            .map(|p| format!("-run={p}"))
                            .as_deref()
                            .unwrap_or(""),
                    ),
            ),
        }
    }
    out.retain(|w| !w.is_empty());
    Ok(out)
}

/// A command line as a person would type it: POSIX shell single quotes
/// around every word that needs them.
pub fn display(argv: &[String]) -> String {
    argv.iter()
        .map(|a| quote_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_word(w: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !w.is_empty() && w.chars().all(safe) {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        shlex::split(s).unwrap()
    }

    fn test(t: &str) -> Target {
        Target::Test {
            package: "example.com/m/pkg".to_string(),
            test: t.to_string(),
        }
    }

    fn pkg() -> Target {
        Target::Package {
            package: "example.com/m/pkg".to_string(),
        }
    }

    #[test]
    fn quote_meta_matches_go() {
        // Go: regexp.QuoteMeta(`Escaping symbols like: .+*?()|[]{}^$`)
        assert_eq!(
            quote_meta(r"Escaping symbols like: .+*?()|[]{}^$"),
            r"Escaping symbols like: \.\+\*\?\(\)\|\[\]\{\}\^\$"
        );
        assert_eq!(quote_meta(r"a\b"), r"a\\b");
        assert_eq!(quote_meta("héllo-wörld_#01"), "héllo-wörld_#01");
    }

    #[test]
    fn run_patterns() {
        assert_eq!(run_pattern("TestA"), "^TestA$");
        assert_eq!(run_pattern("TestA/sub case"), "^TestA$/^sub_case$");
        assert_eq!(run_pattern("TestA/sub_case"), "^TestA$/^sub_case$");
        assert_eq!(
            run_pattern("TestParallelGroup/leaks/fast_path"),
            "^TestParallelGroup$/^leaks$/^fast_path$"
        );
        assert_eq!(
            run_pattern("TestA/[bracket]_(x)"),
            r"^TestA$/^\[bracket\]_\(x\)$"
        );
        assert_eq!(
            run_pattern("TestA/a+b*c?|d.e^f$g{1}"),
            r"^TestA$/^a\+b\*c\?\|d\.e\^f\$g\{1\}$"
        );
        assert_eq!(
            run_pattern("TestA/日本語 テスト"),
            "^TestA$/^日本語_テスト$"
        );
        assert_eq!(
            run_pattern("TestA/tab\there\u{3000}x"),
            "^TestA$/^tab_here_x$"
        );
        assert_eq!(run_pattern("TestA/dup#01"), "^TestA$/^dup#01$");
        assert_eq!(run_pattern(r"TestA/back\slash"), r"^TestA$/^back\\slash$");
    }

    #[test]
    fn rerun_a_test_keeps_flags_and_replaces_run_and_count() {
        let argv = v("go test -race -tags 'integration slow' -timeout 10m -ldflags=-s -v -cover -run 'TestA|TestB' -count 5 ./...");
        assert_eq!(
            from_go_test(&argv, &test("TestA/sub case")).unwrap(),
            v("go test -run '^TestA$/^sub_case$' -count=1 -json -race -tags 'integration slow' -timeout 10m -ldflags=-s -v -cover example.com/m/pkg")
        );
    }

    #[test]
    fn every_run_and_count_spelling_is_replaced() {
        for argv in [
            "go test -run=X -count=3 ./a ./b",
            "go test -test.run X -test.count 3 ./a ./b",
            "go test --run X --count=3 ./a ./b",
            "go test ./a ./b -run X -count 3",
            "go test -json -run=X ./a ./b -test.count=3",
        ] {
            let out = from_go_test(&v(argv), &test("TestZ")).unwrap();
            assert_eq!(
                out.iter().filter(|a| a.contains('X')).count(),
                0,
                "{argv}: {out:?}"
            );
            assert_eq!(
                out.iter().filter(|a| a.contains("count")).count(),
                1,
                "{argv}: {out:?}"
            );
            assert_eq!(
                out.iter().filter(|a| *a == "-json").count(),
                1,
                "{argv}: {out:?}"
            );
            assert!(
                out.contains(&"example.com/m/pkg".to_string()),
                "{argv}: {out:?}"
            );
            assert!(
                !out.iter().any(|a| a == "./a" || a == "./b"),
                "{argv}: {out:?}"
            );
        }
    }

    #[test]
    fn rerun_a_package_keeps_the_users_run_and_never_runs_nothing() {
        let out = from_go_test(&v("go test -count=2 -run TestX -race ./..."), &pkg()).unwrap();
        assert_eq!(
            out,
            v("go test -count=1 -json -run TestX -race example.com/m/pkg")
        );
        let out = from_go_test(&v("go test ./..."), &pkg()).unwrap();
        assert_eq!(out, v("go test -count=1 -json example.com/m/pkg"));
        assert!(!out.iter().any(|a| a.contains("^$")));
    }

    #[test]
    fn leading_c_flag_and_binary_args() {
        let out =
            from_go_test(&v("go test -C sub -v ./x -args -myflag 1"), &test("TestA")).unwrap();
        assert_eq!(
            out,
            v("go test -C sub -run ^TestA$ -count=1 -json -v example.com/m/pkg -args -myflag 1")
        );
        let out = from_go_test(&v("/usr/local/go/bin/go test"), &test("TestA")).unwrap();
        assert_eq!(
            out,
            v("/usr/local/go/bin/go test -run ^TestA$ -count=1 -json example.com/m/pkg")
        );
    }

    #[test]
    fn value_flags_are_not_mistaken_for_packages() {
        let out = from_go_test(
            &v("go test -p 1 -coverprofile cover.out -bench . -shuffle on ./a"),
            &test("TestA"),
        )
        .unwrap();
        assert_eq!(
            out,
            v("go test -run ^TestA$ -count=1 -json -p 1 -coverprofile cover.out -bench . -shuffle on example.com/m/pkg")
        );
    }

    #[test]
    fn not_go_test() {
        assert_eq!(
            from_go_test(&v("gotestsum -- ./..."), &pkg()),
            Err(RerunError::NotGoTest)
        );
        assert_eq!(
            from_go_test(&v("go vet ./..."), &pkg()),
            Err(RerunError::NotGoTest)
        );
    }

    #[test]
    fn json_is_added_only_to_go_test() {
        assert_eq!(ensure_json(&v("go test ./...")), v("go test -json ./..."));
        assert_eq!(
            ensure_json(&v("go test -C d ./...")),
            v("go test -C d -json ./...")
        );
        assert_eq!(
            ensure_json(&v("go test -json ./...")),
            v("go test -json ./...")
        );
        assert_eq!(
            ensure_json(&v("go test -test.json ./...")),
            v("go test -test.json ./...")
        );
        assert_eq!(
            ensure_json(&v("go test ./... -args -json")),
            v("go test -json ./... -args -json")
        );
        assert_eq!(
            ensure_json(&v("sh -c 'go test ./...'")),
            v("sh -c 'go test ./...'")
        );
    }

    #[test]
    fn templates() {
        assert_eq!(
            from_template(DEFAULT_COMMAND, &test("TestA/sub case")).unwrap(),
            v("go test -json -count=1 -run '^TestA$/^sub_case$' example.com/m/pkg")
        );
        assert_eq!(
            from_template(DEFAULT_COMMAND, &pkg()).unwrap(),
            v("go test -json -count=1 example.com/m/pkg")
        );
        assert_eq!(
            from_template(
                "gotestsum --jsonfile - -- {run} '{package}' -race",
                &test("TestA")
            )
            .unwrap(),
            v("gotestsum --jsonfile - -- -run ^TestA$ example.com/m/pkg -race")
        );
        assert!(from_template("go test '{run}", &pkg()).is_err());
        assert!(from_template("   ", &pkg()).is_err());
    }

    #[test]
    fn display_quotes() {
        assert_eq!(
            display(&v("go test -run '^TestA$/^sub_case$' ./x")),
            "go test -run '^TestA$/^sub_case$' ./x"
        );
        assert_eq!(
            display(&["it's".to_string(), String::new()]),
            r"'it'\''s' ''"
        );
    }
}
