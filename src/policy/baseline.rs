//! `leakgate baseline`: one allow rule per distinct leak of a run, merged
//! into a policy file as text.
//!
//! Each rule is the narrowest that matches the leak it was written for:
//! the package whose test reported it, the function that started the
//! goroutine and the function on top of its stack, each exact (never
//! goroutine ids, lines or paths, which change from run to run). A new leak
//! of the same goroutine in another package, started by another function or
//! blocked in another one, is not allowed by it. A report made only of
//! test-harness goroutines also names its test. Values are written so that
//! they read back exactly ([`Pattern::literal`]): Go names as printed,
//! `pkg.(*Pool).run`, are exact values, and anything that would read as a
//! glob gets `exact:`.
//!
//! Merging appends text after the last item of the file's `allow:` list
//! (or adds the list) instead of re-serializing the YAML, so existing rules,
//! comments and formatting are untouched. A leak that an existing rule
//! already matches (expired or not) gets no new rule, so running baseline
//! twice on the same input changes nothing.

use std::collections::HashSet;
use std::fmt::Write as _;

use jiff::civil::Date;
use sha2::{Digest, Sha256};

use super::config::{self, PolicyError};
use super::Policy;
use crate::findings::{Findings, Leak, LeakedGoroutine};
use crate::matching::matcher::{Scratch, Subject};
use crate::matching::{Field, Pattern};

/// One rule to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Rule id.
    pub id: String,
    /// `top_function`.
    pub top_function: Option<String>,
    /// `created_by`.
    pub created_by: Option<String>,
    /// `package`: the package whose test reported it.
    pub package: Option<String>,
    /// `test`, for reports made only of harness goroutines.
    pub test: Option<String>,
    /// Goroutines it covers in this run.
    pub goroutines: usize,
    /// Wait reason of the first.
    pub state: String,
    /// Where the first was started (`file:line`).
    pub origin: Option<String>,
    /// Reporters (`package test`).
    pub reporters: Vec<String>,
    /// Whether the goroutines are the test harness's.
    pub harness: bool,
}

impl Candidate {
    /// The `match:` entries, as written: each reads back as exactly the
    /// value seen.
    pub fn patterns(&self) -> Vec<(Field, String)> {
        let mut out = Vec::new();
        for (f, v) in [
            (Field::TopFunction, &self.top_function),
            (Field::CreatedBy, &self.created_by),
            (Field::Package, &self.package),
            (Field::Test, &self.test),
        ] {
            if let Some(v) = v {
                out.push((f, Pattern::literal(f, v)));
            }
        }
        out
    }
}

/// The result of a merge.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The whole file after the merge.
    pub text: String,
    /// Rules added.
    pub added: Vec<Candidate>,
    /// Leaks already matched by a rule of the file: (leak, rule id).
    pub covered: Vec<(Candidate, String)>,
}

/// Why the merge could not be done.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BaselineError {
    /// The existing file is not a valid policy.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policy(#[from] PolicyError),
    /// The file's `allow:` is in a form text cannot be appended to.
    #[error("{file}:{line}: `allow:` is written as a flow list; baseline appends to a block list (`allow:` followed by `- id: ...` items)")]
    FlowList {
        /// The file.
        file: String,
        /// Line of `allow:`.
        line: usize,
    },
}

/// Replaces control characters so input text cannot break a YAML comment.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn slug(s: &str) -> String {
    let last = s.rsplit('/').next().unwrap_or(s);
    let mut out = String::new();
    for c in last.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    out.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

fn subject<'a>(leak: &'a Leak, g: &'a LeakedGoroutine) -> Subject<'a> {
    super::subject(leak, g)
}

/// The distinct leaks of a run, one candidate rule each, in order of
/// first appearance.
pub fn candidates(findings: &Findings) -> Vec<(Candidate, (usize, usize))> {
    let mut out: Vec<(Candidate, (usize, usize))> = Vec::new();
    for (li, leak) in findings.leaks.iter().enumerate() {
        let harness_only = leak.goroutines.iter().all(|g| g.harness.is_some());
        for (gi, g) in leak.goroutines.iter().enumerate() {
            if g.harness.is_some() && !harness_only {
                continue;
            }
            let r = &g.goroutine;
            let top = r.top_function().map(str::to_string);
            let created = r.created_by.as_ref().map(|c| c.function.clone());
            if top.is_none() && created.is_none() {
                continue;
            }
            let package = leak.package.clone();
            let test = if harness_only {
                leak.test.clone()
            } else {
                None
            };
            let who = format!(
                "{} {}",
                leak.package
                    .as_deref()
                    .unwrap_or(crate::findings::UNKNOWN_PACKAGE),
                leak.test.as_deref().unwrap_or("(package level)")
            );
            if let Some((c, _)) = out.iter_mut().find(|(c, _)| {
                c.top_function == top
                    && c.created_by == created
                    && c.package == package
                    && c.test == test
            }) {
                c.goroutines += 1;
                if !c.reporters.contains(&who) {
                    c.reporters.push(who);
                }
                continue;
            }
            let mut h = Sha256::new();
            for part in [&top, &created, &package, &test] {
                h.update(part.as_deref().unwrap_or("").as_bytes());
                h.update(b"\n");
            }
            let hash: String = h
                .finalize()
                .iter()
                .take(3)
                .map(|b| format!("{b:02x}"))
                .collect();
            let name = created
                .as_deref()
                .or(top.as_deref())
                .map(slug)
                .unwrap_or_default();
            let id = if name.is_empty() {
                format!("baseline-{hash}")
            } else {
                format!("baseline-{name}-{hash}")
            };
            out.push((
                Candidate {
                    id,
                    top_function: top,
                    created_by: created,
                    package,
                    test,
                    goroutines: 1,
                    state: r.state.status.clone(),
                    origin: g.origin.as_ref().map(|o| format!("{}:{}", o.file, o.line)),
                    reporters: vec![who],
                    harness: g.harness.is_some(),
                },
                (li, gi),
            ));
        }
    }
    out
}

fn quote(s: &str) -> String {
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn render(c: &Candidate, indent: &str, nl: &str, today: Date, expires: Option<Date>) -> String {
    let mut s = String::new();
    let inner = format!("{indent}  ");
    let mut what = format!(
        "{} goroutine{} [{}]",
        c.goroutines,
        if c.goroutines == 1 { "" } else { "s" },
        c.state
    );
    if let Some(o) = &c.origin {
        let _ = write!(what, ", started at {o}");
    }
    if c.harness {
        what.push_str("; test-harness goroutines only (t.Parallel siblings, goleak#16)");
    }
    let _ = write!(s, "{indent}# {}{nl}", clean(&what));
    let shown: Vec<&str> = c.reporters.iter().take(3).map(String::as_str).collect();
    let more = c.reporters.len().saturating_sub(shown.len());
    let mut by = format!("reported by {}", shown.join("; "));
    if more > 0 {
        let _ = write!(by, " and {more} more");
    }
    let _ = write!(s, "{indent}# {}{nl}", clean(&by));
    let _ = write!(s, "{indent}- id: {}{nl}", c.id);
    let _ = write!(
        s,
        "{inner}reason: {}{nl}",
        quote(&format!(
            "baseline {today}: leak present when the policy was adopted, not reviewed yet (TODO: say why it is acceptable, or fix it and delete this rule)"
        ))
    );
    if let Some(e) = expires {
        let _ = write!(s, "{inner}expires: {e}{nl}");
    }
    let _ = write!(s, "{inner}match:{nl}");
    for (f, v) in c.patterns() {
        let _ = write!(s, "{inner}  {}: {}{nl}", f.key(), quote(&v));
    }
    s
}

/// The text of a new policy file holding only `rules` (already rendered).
fn new_file(body: &str, nl: &str) -> String {
    format!(
        "# leakgate policy: known goroutine leaks, with reasons. See {}{nl}version: 1{nl}allow:{nl}{body}",
        config::DOCS_URL
    )
}

/// Merges one rule per distinct leak of `findings` into `existing` (the
/// current text of the file named `file`, `None` when there is none).
pub fn merge(
    existing: Option<&str>,
    file: &str,
    findings: &Findings,
    today: Date,
    expires: Option<Date>,
) -> Result<Baseline, BaselineError> {
    let policy = match existing {
        Some(text) => config::from_text(file, text, today)?,
        None => Policy::default(),
    };
    let mut ids: HashSet<String> = policy.rules.iter().map(|r| r.id.clone()).collect();
    let mut scratch = Scratch::default();
    let mut added = Vec::new();
    let mut covered = Vec::new();
    for (mut c, (li, gi)) in candidates(findings) {
        let leak = &findings.leaks[li];
        let g = &leak.goroutines[gi];
        let hits = policy.matcher.matching(&subject(leak, g), &mut scratch);
        // An existing rule with exactly these patterns, or any rule that
        // matches the goroutine, covers it.
        let exact = policy.rules.iter().find(|r| {
            let mut want: Vec<Pattern> = c
                .patterns()
                .into_iter()
                .map(|(f, v)| Pattern::new(f, &v))
                .collect();
            let mut have = r.patterns.clone();
            want.sort_by_key(|p| p.field);
            have.sort_by_key(|p| p.field);
            want == have
        });
        if let Some(r) = exact.or_else(|| hits.first().map(|&i| &policy.rules[i])) {
            covered.push((c, r.id.clone()));
            continue;
        }
        let base = c.id.clone();
        let mut n = 2;
        while ids.contains(&c.id) {
            c.id = format!("{base}-{n}");
            n += 1;
        }
        ids.insert(c.id.clone());
        added.push(c);
    }
    let nl = if existing.is_some_and(|t| t.contains("\r\n")) {
        "\r\n"
    } else {
        "\n"
    };
    let text = match existing {
        None => {
            let body: String = added
                .iter()
                .map(|c| render(c, "  ", nl, today, expires))
                .collect();
            new_file(&body, nl)
        }
        Some(text) if added.is_empty() => text.to_string(),
        Some(text) => append(text, file, &added, nl, today, expires)?,
    };
    // Never hand back a file that does not load.
    config::from_text(file, &text, today)?;
    Ok(Baseline {
        text,
        added,
        covered,
    })
}

/// Appends rendered rules to the block `allow:` list of `text`.
fn append(
    text: &str,
    file: &str,
    added: &[Candidate],
    nl: &str,
    today: Date,
    expires: Option<Date>,
) -> Result<String, BaselineError> {
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0usize, |pos, l| {
            let start = *pos;
            *pos += l.len();
            Some((start, l))
        })
        .collect();
    let is_allow = |l: &str| {
        l.strip_prefix("allow")
            .map(str::trim_start)
            .is_some_and(|r| r.starts_with(':'))
    };
    let Some(ai) = lines.iter().position(|(_, l)| is_allow(l)) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str("allow:");
        out.push_str(nl);
        for c in added {
            out.push_str(&render(c, "  ", nl, today, expires));
        }
        return Ok(out);
    };
    let (allow_start, allow_line) = lines[ai];
    let after_colon = allow_line.split_once(':').map_or("", |(_, r)| r);
    let value = after_colon.split(" #").next().unwrap_or("").trim();
    let mut out = String::new();
    let mut items_from = ai + 1;
    match value {
        "" | "~" | "null" => {}
        "[]" => {
            out.push_str(&text[..allow_start]);
            out.push_str("allow:");
            out.push_str(nl);
            let rest_start = allow_start + allow_line.len();
            let mut tail = String::new();
            for c in added {
                tail.push_str(&render(c, "  ", nl, today, expires));
            }
            out.push_str(&tail);
            out.push_str(&text[rest_start..]);
            return Ok(out);
        }
        _ => {
            return Err(BaselineError::FlowList {
                file: file.to_string(),
                line: ai + 1,
            })
        }
    }
    // The block: indented lines, `- ` items at column 0, blank lines and
    // indented comments. It ends at the next top-level key.
    let mut last_content = ai;
    let mut indent: Option<String> = None;
    while items_from < lines.len() {
        let l = lines[items_from].1;
        let t = l.trim_end_matches(['\n', '\r']);
        if t.trim().is_empty() {
            items_from += 1;
            continue;
        }
        let starts_indented = t.starts_with(' ') || t.starts_with('\t');
        if t.starts_with('#') {
            items_from += 1;
            continue;
        }
        if !starts_indented && !t.starts_with('-') {
            break;
        }
        if indent.is_none() && t.trim_start().starts_with('-') && !t.trim_start().starts_with("---")
        {
            indent = Some(t[..t.len() - t.trim_start().len()].to_string());
        }
        if !t.trim_start().starts_with('#') {
            last_content = items_from;
        }
        items_from += 1;
    }
    let indent = indent.unwrap_or_else(|| "  ".to_string());
    let (pos, line) = lines[last_content];
    let insert_at = pos + line.len();
    out.push_str(&text[..insert_at]);
    if !out.ends_with('\n') {
        out.push_str(nl);
    }
    for c in added {
        out.push_str(&render(c, &indent, nl, today, expires));
    }
    out.push_str(&text[insert_at..]);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::policy::PatternKind;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("example.com/m/fiftyworkers.NewPool"),
            "fiftyworkers-newpool"
        );
        assert_eq!(
            slug("net/http.(*Transport).dialConn"),
            "http-transport-dialconn"
        );
    }

    fn cand() -> Candidate {
        Candidate {
            id: "baseline-x-abcdef".into(),
            top_function: Some("example.com/m.(*W).run".into()),
            created_by: Some("example.com/m.Start".into()),
            package: None,
            test: None,
            goroutines: 2,
            state: "select".into(),
            origin: Some("m/w.go:12".into()),
            reporters: vec!["example.com/m TestX\n# injected".into()],
            harness: false,
        }
    }

    use crate::findings::Findings;
    use proptest::prelude::*;

    /// A leak of the captured `labels.json` run (one worker goroutine of
    /// package ctxworker), to vary.
    fn template() -> &'static crate::findings::Leak {
        static LEAK: std::sync::OnceLock<crate::findings::Leak> = std::sync::OnceLock::new();
        LEAK.get_or_init(|| {
            let f = crate::testutil::fixture_findings("go1.26-goleak1.3.0/labels.json");
            let leak = f.leaks[0].clone();
            assert_eq!(leak.goroutines.len(), 1);
            assert_eq!(
                leak.goroutines[0].goroutine.top_function(),
                Some("example.com/leakgate/fixtures/ctxworker.(*Worker).run")
            );
            leak
        })
    }

    /// One goroutine: (reporting package, top function, creator).
    type Seen = (String, String, String);

    fn findings(g: &Seen) -> Findings {
        let mut leak = template().clone();
        leak.package = Some(g.0.clone());
        let lg = &mut leak.goroutines[0];
        lg.harness = None;
        lg.goroutine.frames.truncate(1);
        lg.goroutine.frames[0].function = g.1.clone();
        lg.goroutine.created_by.as_mut().unwrap().function = g.2.clone();
        Findings {
            leaks: vec![leak],
            ..Findings::default()
        }
    }

    fn baseline_policy(g: &Seen) -> Policy {
        let today = jiff::civil::date(2026, 11, 28);
        let b = merge(None, ".leakgate.yml", &findings(g), today, None).unwrap();
        assert_eq!(b.added.len(), 1);
        config::from_text(".leakgate.yml", &b.text, today).unwrap()
    }

    fn allowed(policy: &Policy, g: &Seen) -> bool {
        let f = findings(g);
        let key = crate::findings::LeakKey::of(&f.leaks[0].goroutines[0]);
        super::super::evaluate(&f, policy)
            .of(&key)
            .is_some_and(|a| a.allowed)
    }

    /// Import paths as Go spells them: dots in elements, major-version
    /// suffixes, `gopkg.in`-style `.v2` elements.
    fn import_path() -> impl Strategy<Value = String> {
        let domain = prop::sample::select(vec![
            "example.com",
            "github.com/acme",
            "gopkg.in",
            "a.b",
            "go.uber.org",
        ]);
        let elem = prop::sample::select(vec![
            "pkg", "a.b", "pool", "yaml.v3", "v2", "internal", "conn", "x",
        ]);
        (domain, prop::collection::vec(elem, 1..4))
            .prop_map(|(d, es)| format!("{d}/{}", es.join("/")))
    }

    /// Function names as the runtime prints them: pointer and value
    /// receivers, type parameters (`[...]` and go.shape arguments),
    /// closures and wrappers; the last path element's dots are `%2e`.
    fn go_name() -> impl Strategy<Value = String> {
        let ty = prop::sample::select(vec!["Pool", "ConnPool", "List", "T", "Map", "worker"]);
        let f = prop::sample::select(vec!["run", "Run", "Push", "F", "loop", "serve"]);
        let args = prop::sample::select(vec![
            "[...]",
            "[go.shape.int,go.shape.string]",
            "[go.shape.*uint8]",
            "[go.shape.struct { X int }]",
        ]);
        let suffix = prop::sample::select(vec![
            "",
            ".func1",
            ".func2",
            ".gowrap2",
            ".func1.1",
            "-fm",
            ".deferwrap1",
            "-range1",
        ]);
        (import_path(), 0..6usize, ty, f, args, suffix).prop_map(
            |(path, form, ty, f, args, suffix)| {
                let (dir, last) = path.rsplit_once('/').unwrap_or(("", &path));
                let pkg = format!("{dir}/{}", last.replace('.', "%2e"));
                let name = match form {
                    0 => format!("{pkg}.{f}"),
                    1 => format!("{pkg}.(*{ty}).{f}"),
                    2 => format!("{pkg}.{ty}.{f}"),
                    3 => format!("{pkg}.(*{ty}{args}).{f}"),
                    4 => format!("{pkg}.{ty}{args}.{f}"),
                    _ => format!("{pkg}.{f}{args}"),
                };
                format!("{name}{suffix}")
            },
        )
    }

    /// Names a glob reading of `name` would match: another receiver type
    /// ending the same way, one character for `[...]`, other type
    /// arguments, a closure of it.
    fn neighbours(name: &str) -> Vec<String> {
        let mut out = vec![
            name.replace("(*", "(*Conn"),
            name.replacen("[...]", ".", 1),
            name.replacen("[...]", "[go.shape.int]", 1),
            name.replacen(
                "[go.shape.int,go.shape.string]",
                "[go.shape.int,go.shape.int]",
                1,
            ),
            name.replacen("go.shape.*uint8", "go.shape.uint8", 1),
            format!("{name}.func1"),
            format!("x{name}"),
        ];
        out.retain(|n| n != name);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// The rule baseline writes allows the goroutine it was written
        /// for, and nothing that differs from it in package, creator or
        /// top function.
        #[test]
        fn a_baseline_rule_matches_only_what_it_saw(
            package in import_path(),
            top in go_name(),
            creator in go_name(),
            other_package in import_path(),
            other_top in go_name(),
            other_creator in go_name(),
        ) {
            let seen = (package, top, creator);
            let policy = baseline_policy(&seen);
            prop_assert!(allowed(&policy, &seen), "{:?}", policy.rules);
            let mut variants: Vec<Seen> = Vec::new();
            variants.push((other_package.clone(), seen.1.clone(), seen.2.clone()));
            variants.push((format!("{}/sub", seen.0), seen.1.clone(), seen.2.clone()));
            variants.push((seen.0.replace("v2", "v3"), seen.1.clone(), seen.2.clone()));
            variants.push((seen.0.clone(), other_top.clone(), seen.2.clone()));
            variants.push((seen.0.clone(), seen.1.clone(), other_creator.clone()));
            for n in neighbours(&seen.1) {
                variants.push((seen.0.clone(), n, seen.2.clone()));
            }
            for n in neighbours(&seen.2) {
                variants.push((seen.0.clone(), seen.1.clone(), n));
            }
            for v in variants.into_iter().filter(|v| *v != seen) {
                prop_assert!(!allowed(&policy, &v), "the rule for {seen:?} allows {v:?}:\n{:?}", policy.rules[0].patterns);
            }
        }
    }

    /// The case of the issue: the rule for `(*Pool).run` does not allow a
    /// new `(*ConnPool).run` leak, nor the same leak in another package.
    #[test]
    fn the_rule_for_a_pool_does_not_allow_a_conn_pool() {
        let seen: Seen = (
            "example.com/leakgate/fixtures/ctxworker".into(),
            "example.com/leakgate/fixtures/ctxworker.(*Pool).run".into(),
            "example.com/leakgate/fixtures/ctxworker.Start".into(),
        );
        let policy = baseline_policy(&seen);
        let p: Vec<(Field, PatternKind, &str)> = policy.rules[0]
            .patterns
            .iter()
            .map(|p| (p.field, p.kind, p.body()))
            .collect();
        assert_eq!(
            p,
            vec![
                (Field::TopFunction, PatternKind::Exact, seen.1.as_str()),
                (Field::CreatedBy, PatternKind::Exact, seen.2.as_str()),
                (Field::Package, PatternKind::Exact, seen.0.as_str()),
            ]
        );
        assert!(allowed(&policy, &seen));
        let conn = (
            seen.0.clone(),
            seen.1.replace("(*Pool)", "(*ConnPool)"),
            seen.2.clone(),
        );
        assert!(!allowed(&policy, &conn));
        let elsewhere = (
            "example.com/leakgate/fixtures/other".to_string(),
            seen.1.clone(),
            seen.2.clone(),
        );
        assert!(!allowed(&policy, &elsewhere));
        assert!(policy.warnings.is_empty(), "{:?}", policy.warnings);
    }

    #[test]
    fn appends_after_the_last_item_and_keeps_everything_else() {
        let d = jiff::civil::date(2026, 11, 28);
        let text = "# head\nversion: 1\nallow:\n    # first\n    - id: a # trailing\n      reason: r\n      match: {state: select}\n\n# about extends\nextends: [known-libraries]\n";
        let out = append(text, "f", &[cand()], "\n", d, None).unwrap();
        assert!(out.starts_with("# head\nversion: 1\nallow:\n    # first\n    - id: a # trailing\n      reason: r\n      match: {state: select}\n    # 2 goroutines"));
        assert!(out.ends_with("\n\n# about extends\nextends: [known-libraries]\n"));
        assert!(!out.contains("\n# injected"));
        let parsed = config::parse("f", &out).unwrap();
        assert_eq!(parsed.rules.len(), 2);
        assert_eq!(parsed.rules[1].patterns.len(), 2);
    }

    #[test]
    fn adds_a_list_when_there_is_none() {
        let d = jiff::civil::date(2026, 11, 28);
        let out = append(
            "version: 1",
            "f",
            &[cand()],
            "\n",
            d,
            Some(jiff::civil::date(2027, 1, 31)),
        )
        .unwrap();
        let parsed = config::parse("f", &out).unwrap();
        assert_eq!(
            parsed.rules[0].expires,
            Some(jiff::civil::date(2027, 1, 31))
        );
        let out = append("version: 1\nallow: []\n", "f", &[cand()], "\n", d, None).unwrap();
        assert_eq!(config::parse("f", &out).unwrap().rules.len(), 1);
        assert!(append(
            "version: 1\nallow: [{id: a}]\n",
            "f",
            &[cand()],
            "\n",
            d,
            None
        )
        .is_err());
    }
}
