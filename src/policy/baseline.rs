//! `leakgate baseline`: one allow rule per distinct leak of a run, merged
//! into a policy file as text.
//!
//! Rules match on the stable parts of a leak's fingerprint: the function on
//! top of the stack and the function that started the goroutine (never
//! goroutine ids, lines or paths). A report made only of test-harness
//! goroutines also names its package and test, so such a rule stays narrow.
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
use super::matcher::{Scratch, Subject};
use super::{Field, Pattern, Policy};
use crate::findings::{Findings, Leak, LeakedGoroutine};

/// One rule to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Rule id.
    pub id: String,
    /// `top_function`.
    pub top_function: Option<String>,
    /// `created_by`.
    pub created_by: Option<String>,
    /// `package` and `test`, for reports made only of harness goroutines.
    pub package: Option<String>,
    /// See `package`.
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
    fn patterns(&self) -> Vec<(Field, &str)> {
        let mut out = Vec::new();
        for (f, v) in [
            (Field::TopFunction, &self.top_function),
            (Field::CreatedBy, &self.created_by),
            (Field::Package, &self.package),
            (Field::Test, &self.test),
        ] {
            if let Some(v) = v {
                out.push((f, v.as_str()));
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
            let (package, test) = if harness_only {
                (leak.package.clone(), leak.test.clone())
            } else {
                (None, None)
            };
            let who = format!(
                "{} {}",
                leak.package.as_deref().unwrap_or("(unnamed package)"),
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
        let _ = write!(s, "{inner}  {}: {}{nl}", f.key(), quote(v));
    }
    s
}

/// The text of a new policy file holding only `rules` (already rendered).
fn new_file(body: &str, nl: &str) -> String {
    format!(
        "# leakgate policy: known goroutine leaks, with reasons. See docs/policy.md.{nl}version: 1{nl}allow:{nl}{body}"
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
                .map(|(f, v)| Pattern::new(f, v))
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
