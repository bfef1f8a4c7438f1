//! Building the command that reruns what led to a leak report.
//!
//! goleak reports a goroutine in whichever check runs next, not in the test
//! that started it, so a rerun must repeat what ran before the report, not
//! the reporting test alone:
//!
//! * A `VerifyNone` leak in `TestB` (or `TestB/sub case`) of a package run
//!   reruns the top-level tests of that run up to and including `TestB`:
//!   `-run '^(TestA|TestB)$'`, each name quoted like Go's
//!   `regexp.QuoteMeta`. `go test` runs them in source order, the order of
//!   the first run, and every subtest of `TestB` runs again. A report from
//!   the N-th run of a `-count` loop reruns with `-count=N`, so everything
//!   that ran before it runs again. ([`Selection::Tests`])
//! * A `VerifyTestMain` leak, a run whose order a rerun of fewer tests
//!   cannot repeat (`-shuffle`), or a report whose goroutines came from a
//!   test that started after the reporting one (`t.Parallel`), reruns the
//!   whole package with the user's own `-run`/`-skip` ([`Selection::Package`]):
//!   `-run ^$` (which runs nothing and passes) would hide it.
//! * `-count` is replaced (never a cached result), `-json` ensured, the
//!   package restricted to the one that leaked, and every other flag of the
//!   user's (`-race`, `-tags`, `-timeout`, `-ldflags`, `-v`, `-cover`, `-C`,
//!   …) kept. Flags that write files the first run wrote are not repeated
//!   ([`OUTPUT_FLAGS`]): `-coverprofile` becomes `-cover` (the same
//!   instrumented build, no file), profiles, traces and `-o` are dropped.
//!
//! Everything here is pure: argument vectors in, argument vectors out.

/// Which tests a rerun runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These top-level tests (`-run '^(A|B)$'`), `count` times; the last
    /// one is the reporting test's.
    Tests {
        /// Top-level test names, in the order they first ran.
        tests: Vec<String>,
        /// `-count`: the reporting test's attempt in its package run.
        count: u32,
    },
    /// The whole package, with the user's own `-run`/`-skip`, `count`
    /// times: the reporting test's attempt, or for a package-level check
    /// the most runs any test had (the first run's `-count`).
    Package {
        /// `-count`.
        count: u32,
    },
}

/// What to rerun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Import path.
    pub package: String,
    /// The test that reported the leak (`TestA/sub_case`); `None` for a
    /// package-level (`VerifyTestMain`) leak.
    pub reporter: Option<String>,
    /// What runs.
    pub selection: Selection,
}

impl Target {
    /// The package's import path.
    pub fn package(&self) -> &str {
        &self.package
    }

    /// The reporting test, if one.
    pub fn test(&self) -> Option<&str> {
        self.reporter.as_deref()
    }

    /// The `-run` pattern, `None` for a whole package.
    pub fn run_pattern(&self) -> Option<String> {
        match &self.selection {
            Selection::Tests { tests, .. } => Some(tests_pattern(tests)),
            Selection::Package { .. } => None,
        }
    }

    /// The `-count` of the rerun.
    pub fn count(&self) -> u32 {
        match &self.selection {
            Selection::Tests { count, .. } => (*count).max(1),
            Selection::Package { count } => (*count).max(1),
        }
    }
}

/// `-run` for exactly these top-level tests: `^TestA$`, `^(TestA|TestB)$`.
pub fn tests_pattern(tests: &[String]) -> String {
    let names: Vec<String> = tests
        .iter()
        .map(|t| quote_meta(&space_to_underscore(t)))
        .collect();
    match names.as_slice() {
        [one] => format!("^{one}$"),
        _ => format!("^({})$", names.join("|")),
    }
}

/// `go test` flags that write a file the first run also wrote, without the
/// dash: a rerun would overwrite it. `-coverprofile` is replaced by
/// `-cover`, the others are dropped.
pub const OUTPUT_FLAGS: &[&str] = &[
    "coverprofile",
    "cpuprofile",
    "memprofile",
    "blockprofile",
    "mutexprofile",
    "trace",
    "o",
    "outputdir",
    "gocoverdir",
    "testlogfile",
];

/// The default `retry.command` for `check`, where the original command is
/// not known (`check --test-command` gives it).
pub const DEFAULT_COMMAND: &str = "go test -json -count={count} {run} {package}";

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

fn space_to_underscore(s: &str) -> String {
    s.chars()
        .map(|c| if go_is_space(c) { '_' } else { c })
        .collect()
}

/// The `-run` pattern that selects exactly `test`: each `/` segment
/// anchored and quoted. Names printed by `go test` are already rewritten;
/// spaces (from hand-written names) are rewritten the way `t.Run` does.
pub fn run_pattern(test: &str) -> String {
    test.split('/')
        .map(|seg| format!("^{}$", quote_meta(&space_to_underscore(seg))))
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
    "gocoverdir",
    "testlogfile",
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
/// kept, their `-count` (and, for a test selection, `-run`, `-bench`,
/// `-fuzz`) replaced, their packages replaced by the target's, flags that
/// write the first run's files ([`OUTPUT_FLAGS`]) left out, `-json` ensured.
pub fn from_go_test(argv: &[String], target: &Target) -> Result<Vec<String>, RerunError> {
    if !is_go_test(argv) {
        return Err(RerunError::NotGoTest);
    }
    let tests = matches!(target.selection, Selection::Tests { .. });
    let start = leading_end(argv);
    let mut out: Vec<String> = argv[..start].to_vec();
    let mut kept: Vec<String> = Vec::new();
    let mut package_at: Option<usize> = None;
    let mut binary_args: Vec<String> = Vec::new();
    let mut json = false;
    let mut cover = false;
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
        let selects = matches!(
            base,
            "run" | "bench" | "benchtime" | "fuzz" | "fuzztime" | "fuzzminimizetime"
        );
        if base == "count" || (tests && selects) {
            continue;
        }
        if OUTPUT_FLAGS.contains(&base) {
            if base == "coverprofile" && !cover {
                // The same instrumented build, no file.
                kept.push("-cover".to_string());
                cover = true;
            }
            continue;
        }
        if base == "cover" {
            if cover {
                continue;
            }
            cover = true;
        }
        if base == "json" {
            json = true;
        }
        kept.extend(words);
    }
    if let Some(p) = target.run_pattern() {
        out.push("-run".to_string());
        out.push(p);
    }
    out.push(format!("-count={}", target.count()));
    if !json {
        out.push("-json".to_string());
    }
    let at = package_at.unwrap_or(kept.len());
    kept.insert(at, target.package().to_string());
    out.extend(kept);
    out.extend(binary_args);
    Ok(out)
}

/// The words of `argv` a rerun leaves out because they write the first
/// run's files (for the plan's explanation).
pub fn dropped_outputs(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = leading_end(argv);
    while i < argv.len() {
        let arg = &argv[i];
        i += 1;
        if arg == "-args" || arg == "--args" {
            break;
        }
        let Some((name, value)) = parse_flag(arg) else {
            continue;
        };
        let base = base_name(name);
        let mut words = arg.clone();
        if VALUE_FLAGS.contains(&base) && value.is_none() {
            if let Some(v) = argv.get(i) {
                words = format!("{arg} {v}");
                i += 1;
            }
        }
        if OUTPUT_FLAGS.contains(&base) {
            out.push(words);
        }
    }
    out
}

/// Whether a `go test` command line shuffles its tests (`-shuffle` other
/// than `off`): a rerun of fewer tests cannot repeat that order.
pub fn uses_shuffle(argv: &[String]) -> bool {
    let mut i = leading_end(argv);
    while i < argv.len() {
        let arg = &argv[i];
        i += 1;
        if arg == "-args" || arg == "--args" {
            break;
        }
        if let Some((name, value)) = parse_flag(arg) {
            if base_name(name) == "shuffle" {
                let v = value.map(str::to_string).or_else(|| argv.get(i).cloned());
                return v.is_some_and(|v| v != "off");
            }
        }
    }
    false
}

/// Fills a `retry.command` template: `{run}` becomes `-run PATTERN` (or
/// nothing for a whole package), `{count}` the count, `{package}` the
/// import path, `{test}` the reporting test's name; `{run}` and
/// `{package}` standing alone are whole words. A template without
/// `{count}` gets `-count=N` after a `{run}` that stands alone when N is
/// not 1 (after any `-count` the template has: the last one counts).
pub fn from_template(template: &str, target: &Target) -> Result<Vec<String>, RerunError> {
    let words =
        shlex::split(template).ok_or_else(|| RerunError::BadTemplate(template.to_string()))?;
    if words.is_empty() {
        return Err(RerunError::EmptyTemplate);
    }
    let pattern = target.run_pattern();
    let count = target.count().to_string();
    let mut out = Vec::new();
    for w in words {
        match w.as_str() {
            "{run}" => {
                if let Some(p) = &pattern {
                    out.push("-run".to_string());
                    out.push(p.clone());
                }
                if target.count() > 1 && !template.contains("{count}") {
                    out.push(format!("-count={count}"));
                }
            }
            _ => out.push(
                w.replace("{package}", target.package())
                    .replace("{test}", target.test().unwrap_or(""))
                    .replace("{count}", &count)
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

/// A test command as given to `check --test-command` (what a CI step
/// ran, written for a shell): leading `NAME=value` assignments, then the
/// command up to the first `|`, `;`, `&&`, `||` or `&`, without
/// redirections (`> file`, `2>&1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellCommand {
    /// Environment assignments before the command.
    pub env: Vec<(String, String)>,
    /// The command's words.
    pub argv: Vec<String>,
}

/// Splits a test command; `None` when it has unbalanced quotes or no
/// command.
pub fn split_shell_command(text: &str) -> Option<ShellCommand> {
    let words = shlex::split(text)?;
    let mut env = Vec::new();
    let mut argv = Vec::new();
    let mut skip_next = false;
    for w in words {
        if skip_next {
            skip_next = false;
            continue;
        }
        if matches!(w.as_str(), "|" | "||" | "&&" | ";" | "&" | "|&") {
            break;
        }
        let redirect = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
        if redirect.starts_with('>') || redirect.starts_with('<') {
            // `>`, `>>`, `<` alone take the next word; `>file`, `2>&1` not.
            skip_next = matches!(redirect, ">" | ">>" | "<" | ">|");
            continue;
        }
        if argv.is_empty() {
            if let Some((name, value)) = w.split_once('=') {
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                {
                    env.push((name.to_string(), value.to_string()));
                    continue;
                }
            }
        }
        argv.push(w);
    }
    (!argv.is_empty()).then_some(ShellCommand { env, argv })
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

    /// A report by `t`, rerunning its top-level test alone.
    fn test(t: &str) -> Target {
        tests(t, &[t.split('/').next().unwrap()], 1)
    }

    /// A report by `t`, rerunning `names` `count` times.
    fn tests(t: &str, names: &[&str], count: u32) -> Target {
        Target {
            package: "example.com/m/pkg".to_string(),
            reporter: Some(t.to_string()),
            selection: Selection::Tests {
                tests: names.iter().map(|n| n.to_string()).collect(),
                count,
            },
        }
    }

    fn pkg() -> Target {
        Target {
            package: "example.com/m/pkg".to_string(),
            reporter: None,
            selection: Selection::Package { count: 1 },
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
    fn rerun_tests_keeps_flags_and_replaces_run_and_count() {
        let argv = v("go test -race -tags 'integration slow' -timeout 10m -ldflags=-s -v -cover -run 'TestA|TestB' -count 5 ./...");
        // A subtest's report reruns its top-level test, every subtest.
        assert_eq!(
            from_go_test(&argv, &test("TestA/sub case")).unwrap(),
            v("go test -run '^TestA$' -count=1 -json -race -tags 'integration slow' -timeout 10m -ldflags=-s -v -cover example.com/m/pkg")
        );
        // A report in the second run of a -count loop, after TestZ.
        assert_eq!(
            from_go_test(&argv, &tests("TestA/x", &["TestZ", "TestA"], 2)).unwrap(),
            v("go test -run '^(TestZ|TestA)$' -count=2 -json -race -tags 'integration slow' -timeout 10m -ldflags=-s -v -cover example.com/m/pkg")
        );
    }

    #[test]
    fn output_files_are_not_overwritten() {
        let argv = v("go test -coverprofile cover.out -covermode=atomic -cpuprofile=cpu.out -memprofile mem.out -blockprofile b.out -mutexprofile m.out -trace t.out -o x.test -outputdir out -test.gocoverdir=/c ./a");
        let out = from_go_test(&argv, &test("TestA")).unwrap();
        assert_eq!(
            out,
            v("go test -run ^TestA$ -count=1 -json -cover -covermode=atomic example.com/m/pkg")
        );
        assert_eq!(
            dropped_outputs(&argv),
            [
                "-coverprofile cover.out",
                "-cpuprofile=cpu.out",
                "-memprofile mem.out",
                "-blockprofile b.out",
                "-mutexprofile m.out",
                "-trace t.out",
                "-o x.test",
                "-outputdir out",
                "-test.gocoverdir=/c"
            ]
        );
        // -cover given too: once.
        let out = from_go_test(&v("go test -cover -coverprofile=c.out ./a"), &pkg()).unwrap();
        assert_eq!(out, v("go test -count=1 -json -cover example.com/m/pkg"));
        // Benchmarks and fuzzing select what runs: gone for a test rerun,
        // kept for a package.
        let argv = v("go test -bench . -benchtime 2s -fuzz FuzzX -fuzztime=10s ./a");
        assert_eq!(
            from_go_test(&argv, &test("TestA")).unwrap(),
            v("go test -run ^TestA$ -count=1 -json example.com/m/pkg")
        );
        assert_eq!(
            from_go_test(&argv, &pkg()).unwrap(),
            v("go test -count=1 -json -bench . -benchtime 2s -fuzz FuzzX -fuzztime=10s example.com/m/pkg")
        );
    }

    #[test]
    fn shuffle_and_shell_commands() {
        assert!(uses_shuffle(&v("go test -shuffle on ./...")));
        assert!(uses_shuffle(&v("go test -shuffle=123 ./...")));
        assert!(!uses_shuffle(&v("go test -shuffle=off ./...")));
        assert!(!uses_shuffle(&v("go test ./... -args -shuffle on")));
        assert_eq!(
            split_shell_command(
                "CGO_ENABLED=0 GOFLAGS=-mod=mod go test -json -race ./... 2>&1 | tee out.json"
            ),
            Some(ShellCommand {
                env: vec![
                    ("CGO_ENABLED".to_string(), "0".to_string()),
                    ("GOFLAGS".to_string(), "-mod=mod".to_string())
                ],
                argv: v("go test -json -race ./..."),
            })
        );
        assert_eq!(
            split_shell_command("go test -json ./x > out.json && echo done")
                .unwrap()
                .argv,
            v("go test -json ./x")
        );
        assert_eq!(
            split_shell_command("go test -ldflags=-X=a=b ./x")
                .unwrap()
                .argv,
            v("go test -ldflags=-X=a=b ./x")
        );
        assert_eq!(split_shell_command("go test 'x"), None);
        assert_eq!(split_shell_command("A=1"), None);
        assert_eq!(
            tests_pattern(&["TestA".to_string(), "TestB".to_string()]),
            "^(TestA|TestB)$"
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
    fn a_package_rerun_repeats_the_count_loop() {
        let target = Target {
            package: "example.com/m/pkg".to_string(),
            reporter: None,
            selection: Selection::Package { count: 3 },
        };
        assert_eq!(
            from_go_test(&v("go test -count 3 -run TestX ./..."), &target).unwrap(),
            v("go test -count=3 -json -run TestX example.com/m/pkg")
        );
        assert_eq!(
            from_template(DEFAULT_COMMAND, &target).unwrap(),
            v("go test -json -count=3 example.com/m/pkg")
        );
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
            v("go test -run ^TestA$ -count=1 -json -p 1 -cover -shuffle on example.com/m/pkg")
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
            v("go test -json -count=1 -run '^TestA$' example.com/m/pkg")
        );
        assert_eq!(
            from_template(DEFAULT_COMMAND, &tests("TestB", &["TestA", "TestB"], 3)).unwrap(),
            v("go test -json -count=3 -run '^(TestA|TestB)$' example.com/m/pkg")
        );
        assert_eq!(
            from_template("go test {run} {package}", &tests("TestB", &["TestB"], 2)).unwrap(),
            v("go test -run ^TestB$ -count=2 example.com/m/pkg")
        );
        assert_eq!(
            from_template("t {test}", &test("TestA/sub case")).unwrap(),
            v("t 'TestA/sub case'")
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
