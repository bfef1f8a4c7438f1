//! The Markdown report: the GitHub job summary (`$GITHUB_STEP_SUMMARY`),
//! or any GitHub-flavoured Markdown viewer.
//!
//! Verdict and counts, then a table of distinct leaks with their origin
//! (a link to the source at the commit when `GITHUB_REPOSITORY` and
//! `GITHUB_SHA` are set), each leak's stack in a collapsible `<details>`,
//! other failures, flaky and allowed leaks.
//!
//! Text from the input (test names, functions, paths, output) never
//! reaches the page as Markdown or HTML: in tables and headings every
//! character Markdown or HTML gives a meaning to is written as an HTML
//! entity ([`inline`]), so `|` cannot end a cell, backticks cannot open
//! code, `<script>` stays text and `@name` mentions no one; stacks and
//! output go in `<pre>` with `&`, `<`, `>` escaped ([`pre`]).
//!
//! GitHub rejects a step summary over 1 MiB, so the report stops adding
//! leaks at [`MAX_BYTES`] and says so in a visible note.

use std::fmt::Write as _;
use std::io::{self, Write};

pub use super::helpers::{markdown_inline as inline, markdown_pre as pre};
use super::{
    count_text, counts_text, failure_name, leak_place, reporter_name, seen_again_text, stack_text,
    state_text, tally_phrases, Class, Context, Style,
};
use crate::findings::SourceRef;
use crate::verdict::{Analysis, JudgedLeak, LeakStatus, Verdict};

/// Budget for the whole report, under GitHub's 1 MiB step-summary limit
/// (leaving room for what other steps' commands add to the same file).
pub const MAX_BYTES: usize = 1_000_000;
/// Frames per stack when not verbose.
pub const STACK_FRAMES: usize = 12;
/// Output lines per failure.
pub const OUTPUT_LINES: usize = 40;
/// Test names listed in a table cell.
pub const CELL_TESTS: usize = 5;

/// Percent-encodes a repository path for a URL (keeps `/`).
fn url_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `file:line`, linked to the source when the commit is known.
fn origin_cell(place: Option<&SourceRef>, ctx: &Context) -> String {
    match place {
        Some(p) => {
            let text = inline(&format!("{}:{}", p.file, p.line));
            match (&ctx.github_blob, p.in_repo) {
                (Some(blob), true) => format!("[{text}]({blob}/{}#L{})", url_path(&p.file), p.line),
                _ => text,
            }
        }
        None => "(outside the repository)".to_string(),
    }
}

fn tests_cell(d: &JudgedLeak) -> String {
    let names: Vec<String> = d
        .leak
        .reporters
        .iter()
        .take(CELL_TESTS)
        .map(|r| inline(&reporter_name(r.package.as_deref(), r.test.as_deref())))
        .collect();
    let mut s = names.join("<br>");
    if d.leak.reporters.len() > CELL_TESTS {
        let _ = write!(s, "<br>and {} more", d.leak.reporters.len() - CELL_TESTS);
    }
    if let Some(again) = seen_again_text(d) {
        let _ = write!(s, "<br><sub>{}</sub>", inline(&again));
    }
    s
}

const TABLE_HEAD: &str =
    "| # | Origin | State | Blocked in | Goroutines | Reported by |\n|---:|---|---|---|---:|---|\n";

fn table_row(n: usize, d: &JudgedLeak, ctx: &Context) -> String {
    let g = &d.leak.example;
    format!(
        "| {n} | {} | {} | {} | {} | {} |\n",
        origin_cell(leak_place(d), ctx),
        inline(&state_text(g)),
        inline(g.goroutine.top_function().unwrap_or("?")),
        d.leak.goroutines,
        tests_cell(d),
    )
}

fn details(n: usize, d: &JudgedLeak, style: Style) -> String {
    let g = &d.leak.example;
    let place = leak_place(d).map_or_else(
        || "outside the repository".to_string(),
        |p| format!("{}:{}", p.file, p.line),
    );
    let mut body = stack_text(g, style.verbose, STACK_FRAMES);
    let reporters: Vec<String> = d
        .leak
        .reporters
        .iter()
        .map(|r| reporter_name(r.package.as_deref(), r.test.as_deref()))
        .collect();
    let _ = write!(body, "\nreported by {}\n", reporters.join("; "));
    if let Some(again) = seen_again_text(d) {
        let names: Vec<String> = d
            .leak
            .seen_again
            .iter()
            .map(|r| reporter_name(r.package.as_deref(), r.test.as_deref()))
            .collect();
        let _ = writeln!(body, "{again}: {}", names.join("; "));
    }
    if let LeakStatus::Allowed { rules } = &d.status {
        let _ = write!(body, "\nallowed by {}\n", rules.join(", "));
    }
    if let Some(why) = g.harness {
        let _ = write!(body, "\nnot a leak: {why}\n");
    }
    format!(
        "<details><summary>{n}. {} — {}, {}</summary>\n\n<pre>\n{}</pre>\n\n</details>\n",
        inline(&place),
        inline(g.goroutine.top_function().unwrap_or("?")),
        inline(&count_text(d)),
        pre(&body)
    )
}

/// Writes the Markdown report.
pub fn write(a: &Analysis, style: Style, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    write_limited(a, style, ctx, MAX_BYTES, out)
}

/// Writes the Markdown report in at most about `max_bytes`.
pub fn write_limited(
    a: &Analysis,
    style: Style,
    ctx: &Context,
    max_bytes: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let distinct = a.leaks();
    let mut doc = String::new();
    let head = match a.verdict {
        Verdict::Pass => "✅ leakgate: pass",
        Verdict::Fail => "❌ leakgate: fail",
        Verdict::Error => "⚠️ leakgate: could not judge",
    };
    let _ = writeln!(doc, "## {head}\n");
    let phrases = tally_phrases(&a.tally());
    let _ = writeln!(
        doc,
        "**{}**, {} · {}\n",
        phrases[0],
        phrases[1..].join(", "),
        counts_text(&a.findings.counts),
    );
    if a.verdict == Verdict::Error {
        for r in &a.reasons {
            let _ = writeln!(doc, "- {}", inline(r));
        }
        doc.push('\n');
    } else if !a.incomplete.is_empty() {
        // Failed on what an incomplete input shows: say where it ends.
        for r in &a.incomplete {
            let _ = writeln!(doc, "- ⚠️ {}", inline(r));
        }
        doc.push('\n');
    }
    let sections = [
        (Class::New, "New leaks"),
        (Class::Flaky, "Flaky leaks"),
        (Class::Allowed, "Allowed leaks"),
        (Class::Harness, "Test-harness goroutines (not leaks)"),
    ];
    let numbered: Vec<(usize, &JudgedLeak)> = distinct
        .iter()
        .enumerate()
        .map(|(i, d)| (i + 1, d))
        .collect();
    let mut left_out = 0usize;
    let footer_room = 2_000;
    for (cls, title) in sections {
        let rows: Vec<(usize, &JudgedLeak)> = numbered
            .iter()
            .filter(|(_, d)| d.class() == cls)
            .copied()
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut rows_text = String::new();
        let mut blocks = String::new();
        for &(n, d) in &rows {
            let row = table_row(n, d, ctx);
            let block = details(n, d, style);
            let heading = title.len() + 8 + TABLE_HEAD.len();
            if doc.len()
                + heading
                + rows_text.len()
                + blocks.len()
                + row.len()
                + block.len()
                + footer_room
                > max_bytes
            {
                left_out += 1;
                continue;
            }
            rows_text.push_str(&row);
            blocks.push_str(&block);
        }
        if rows_text.is_empty() {
            continue;
        }
        let _ = writeln!(doc, "### {title}\n");
        doc.push_str(TABLE_HEAD);
        doc.push_str(&rows_text);
        doc.push('\n');
        doc.push_str(&blocks);
        doc.push('\n');
    }
    let others: Vec<_> = a.other_failures().collect();
    if !others.is_empty() {
        let mut part = String::from("### Other failures\n\n");
        for f in &others {
            let at = a
                .failure_place(f)
                .map(|p| format!(" at {}", inline(&format!("{}:{}", p.file, p.line))))
                .unwrap_or_default();
            let mut block = format!(
                "<details><summary>{} [{}]: {}{at}</summary>\n\n<pre>\n",
                inline(&failure_name(f.package.as_deref(), f.test.as_deref())),
                f.kind.name(),
                inline(&f.message)
            );
            let lines: Vec<&String> = f.excerpt.iter().filter(|l| !l.trim().is_empty()).collect();
            for l in lines.iter().take(if style.verbose {
                usize::MAX
            } else {
                OUTPUT_LINES
            }) {
                block.push_str(&pre(l));
                block.push('\n');
            }
            if !style.verbose && lines.len() > OUTPUT_LINES {
                let _ = writeln!(block, "… {} more lines", lines.len() - OUTPUT_LINES);
            }
            block.push_str("</pre>\n\n</details>\n");
            if doc.len() + part.len() + block.len() + footer_room > max_bytes {
                left_out += 1;
                continue;
            }
            part.push_str(&block);
        }
        doc.push_str(&part);
        doc.push('\n');
    }
    if left_out > 0 {
        let _ = writeln!(
            doc,
            "> [!WARNING]\n> **Truncated:** {left_out} more entr{} left out to keep this summary under GitHub's 1 MiB limit{}.\n",
            if left_out == 1 { "y was" } else { "ies were" },
            ctx.json_report
                .as_deref()
                .map(|p| format!("; the JSON report ({}) has everything", inline(p)))
                .unwrap_or_default()
        );
    }
    if a.default_policy && !a.findings.leaks.is_empty() {
        doc.push_str("<sub>No .leakgate.yml found: the default policy allows no leak.</sub>\n");
    }
    out.write_all(doc.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_is_inert() {
        let s = inline("a|b `c` <script>x</script> [l](u) @team **b**");
        assert!(!s.contains('|') && !s.contains('`') && !s.contains('<') && !s.contains('['));
        assert!(!s.contains('@') && !s.contains('*'));
    }

    #[test]
    fn pre_escapes_html() {
        assert_eq!(pre("</pre><script>&"), "&lt;/pre&gt;&lt;script&gt;&amp;");
    }

    #[test]
    fn urls_are_encoded() {
        assert_eq!(url_path("a b/c#d.go"), "a%20b/c%23d.go");
    }
}
