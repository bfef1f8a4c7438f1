//! Reports of goroutine dumps (`leakgate dump`, `diff`, `watch`): the
//! judged [`Diff`] rendered for a terminal, as JSON, as Markdown, and as
//! GitHub annotations at each failing group's `go` statement. Nothing
//! here counts or decides; every input-derived text is escaped.

use std::io::{self, Write};

use serde::Serialize;

use super::github::{capped, Annotation, Level};
use super::markdown::inline;
use super::terminal::clean;
use super::Context;
use crate::dump::diff::{Diff, GroupDiff, GroupVerdict};
use crate::findings::SourceRef;

/// The JSON report's schema name.
pub const SCHEMA: &str = "leakgate-dump/1";

fn place(s: Option<&SourceRef>) -> Option<String> {
    s.map(|s| format!("{}:{}", s.file, s.line))
}

/// Where a group is shown: its `go` statement, else where it is blocked.
fn spot(g: &GroupDiff) -> Option<&SourceRef> {
    g.group.origin.as_ref().or(g.group.blocked_at.as_ref())
}

fn title(g: &GroupDiff) -> String {
    match &g.group.created_by {
        Some(c) => format!("{} (started by {c})", g.group.key.entry),
        None => g.group.key.entry.clone(),
    }
}

fn counts(d: &Diff, g: &GroupDiff) -> String {
    if d.before.is_none() {
        return format!("{}", g.after);
    }
    let delta = g.after as i128 - g.before as i128;
    format!("{} → {} ({delta:+})", g.before, g.after)
}

fn verdict_word(v: &GroupVerdict) -> &'static str {
    match v {
        GroupVerdict::Fails(_) => "FAIL",
        GroupVerdict::Allowed(_) => "allowed",
        GroupVerdict::Passes => "ok",
    }
}

/// For a person.
pub fn terminal(d: &Diff, verbose: bool, out: &mut dyn Write) -> io::Result<()> {
    match &d.before {
        Some((name, format, total)) => writeln!(
            out,
            "{} ({}, {total} goroutines) → {} ({}, {} goroutines)",
            clean(name),
            format.name(),
            clean(&d.after.0),
            d.after.1.name(),
            d.after.2
        )?,
        None => writeln!(
            out,
            "{} ({}): {} goroutines in {} groups",
            clean(&d.after.0),
            d.after.1.name(),
            d.after.2,
            d.groups.len()
        )?,
    }
    if d.by_entry_only {
        writeln!(
            out,
            "grouped by the function each goroutine started in: a count profile (debug=1, debug=0) does not say which `go` statement started it"
        )?;
    }
    writeln!(out)?;
    let shown: Vec<&GroupDiff> = d
        .groups
        .iter()
        .filter(|g| {
            verbose || d.before.is_none() || g.change != Some(crate::dump::diff::Change::Same)
        })
        .collect();
    for g in &shown {
        let change = g.change.map(|c| c.name()).unwrap_or("");
        writeln!(
            out,
            "{:<7} {:>16} {:<9} {}",
            verdict_word(&g.verdict),
            counts(d, g),
            change,
            clean(&title(g))
        )?;
        if let Some(p) = &g.group.origin {
            writeln!(
                out,
                "        go statement  {}",
                clean(&format!("{}:{}", p.file, p.line))
            )?;
        }
        if let Some(p) = &g.group.blocked_at {
            let state = g
                .group
                .states
                .first()
                .map(|(s, _)| format!(" [{}]", clean(s)))
                .unwrap_or_default();
            writeln!(
                out,
                "        blocked at    {}{state}",
                clean(&format!("{}:{}", p.file, p.line))
            )?;
        }
        // pprof labels (`pprof.Do`) of the most common stack: which
        // handler or job the goroutines serve.
        if let Some(labels) = g
            .group
            .stacks
            .first()
            .and_then(|s| s.goroutine.state.labels.as_deref())
        {
            writeln!(out, "        labels        {}", clean(labels))?;
        }
        if !g.samples.is_empty() {
            let tail = &g.samples[g.samples.len().saturating_sub(12)..];
            let more = if tail.len() < g.samples.len() {
                "… "
            } else {
                ""
            };
            let text: Vec<String> = tail.iter().map(u64::to_string).collect();
            writeln!(out, "        samples       {more}{}", text.join(" "))?;
        }
        match &g.verdict {
            GroupVerdict::Fails(why) => writeln!(out, "        {}", clean(why))?,
            GroupVerdict::Allowed(rules) => {
                writeln!(out, "        allowed by {}", clean(&rules.join(", ")))?
            }
            GroupVerdict::Passes => {}
        }
    }
    let hidden = d.groups.len() - shown.len();
    if hidden > 0 {
        writeln!(
            out,
            "({hidden} unchanged groups not shown; --verbose shows them)"
        )?;
    }
    writeln!(out)?;
    let failing = d.failing();
    if let Some(why) = &d.stopped {
        writeln!(
            out,
            "STOPPED  {}: not a pass ({failing} failing group{} in the samples taken)",
            clean(why),
            if failing == 1 { "" } else { "s" }
        )
    } else if failing == 0 {
        writeln!(out, "PASS  no group of goroutines failed the gate")
    } else {
        writeln!(
            out,
            "FAIL  {failing} group{} of goroutines failed the gate",
            if failing == 1 { "" } else { "s" }
        )
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    command: &'static str,
    before: Option<JsonInput<'a>>,
    after: JsonInput<'a>,
    grouped_by: &'static str,
    thresholds: Option<JsonThresholds>,
    passed: bool,
    /// Why a watch stopped short (`null` when it did not).
    stopped: Option<&'a str>,
    failing_groups: usize,
    groups: Vec<JsonGroup<'a>>,
}

#[derive(Serialize)]
struct JsonInput<'a> {
    name: &'a str,
    format: &'static str,
    goroutines: u64,
}

#[derive(Serialize)]
struct JsonThresholds {
    grow_by: u64,
    grow_percent: u64,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    entry_function: &'a str,
    created_by: Option<&'a str>,
    go_statement: Option<JsonSource<'a>>,
    blocked_at: Option<JsonSource<'a>>,
    before: Option<u64>,
    after: u64,
    change: Option<&'static str>,
    leaked: u64,
    states: Vec<JsonState<'a>>,
    verdict: &'static str,
    reason: Option<&'a str>,
    allowed_by: &'a [String],
    stacks: Vec<JsonStack<'a>>,
    other_stacks: u64,
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    samples: &'a [u64],
}

#[derive(Serialize)]
struct JsonSource<'a> {
    file: &'a str,
    line: u32,
    in_repo: bool,
}

#[derive(Serialize)]
struct JsonState<'a> {
    state: &'a str,
    goroutines: u64,
}

#[derive(Serialize)]
struct JsonStack<'a> {
    goroutines: u64,
    state: &'a str,
    /// The pprof labels of the first goroutine with this stack.
    labels: Option<&'a str>,
    frames: Vec<JsonFrame<'a>>,
}

#[derive(Serialize)]
struct JsonFrame<'a> {
    function: &'a str,
    file: &'a str,
    line: u32,
}

fn source(s: Option<&SourceRef>) -> Option<JsonSource<'_>> {
    s.map(|s| JsonSource {
        file: &s.file,
        line: s.line,
        in_repo: s.in_repo,
    })
}

/// The JSON report (schema [`SCHEMA`]).
pub fn json(d: &Diff, command: &'static str, out: &mut dyn Write) -> io::Result<()> {
    fn input(i: &(String, crate::dump::DumpFormat, u64)) -> JsonInput<'_> {
        JsonInput {
            name: i.0.as_str(),
            format: i.1.name(),
            goroutines: i.2,
        }
    }
    let report = JsonReport {
        schema: SCHEMA,
        command,
        before: d.before.as_ref().map(input),
        after: input(&d.after),
        grouped_by: if d.by_entry_only {
            "entry function"
        } else {
            "go statement"
        },
        thresholds: d.before.as_ref().map(|_| JsonThresholds {
            grow_by: d.settings.grow_by,
            grow_percent: d.settings.grow_percent,
        }),
        passed: d.passed(),
        stopped: d.stopped.as_deref(),
        failing_groups: d.failing(),
        groups: d
            .groups
            .iter()
            .map(|g| JsonGroup {
                entry_function: &g.group.key.entry,
                created_by: g.group.created_by.as_deref(),
                go_statement: source(g.group.origin.as_ref()),
                blocked_at: source(g.group.blocked_at.as_ref()),
                before: d.before.as_ref().map(|_| g.before),
                after: g.after,
                change: g.change.map(|c| c.name()),
                leaked: g.group.leaked,
                states: g
                    .group
                    .states
                    .iter()
                    .map(|(s, n)| JsonState {
                        state: s,
                        goroutines: *n,
                    })
                    .collect(),
                verdict: match g.verdict {
                    GroupVerdict::Fails(_) => "fail",
                    GroupVerdict::Allowed(_) => "allowed",
                    GroupVerdict::Passes => "pass",
                },
                reason: match &g.verdict {
                    GroupVerdict::Fails(why) => Some(why),
                    _ => None,
                },
                allowed_by: match &g.verdict {
                    GroupVerdict::Allowed(r) => r,
                    _ => &[],
                },
                stacks: g
                    .group
                    .stacks
                    .iter()
                    .map(|s| JsonStack {
                        goroutines: s.count,
                        state: &s.goroutine.state.status,
                        labels: s.goroutine.state.labels.as_deref(),
                        frames: s
                            .goroutine
                            .frames
                            .iter()
                            .zip(&s.frames)
                            .map(|(f, r)| JsonFrame {
                                function: &f.function,
                                file: if r.file.is_empty() { &f.file } else { &r.file },
                                line: f.line,
                            })
                            .collect(),
                    })
                    .collect(),
                other_stacks: g.group.other_stacks,
                samples: &g.samples,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}

/// A Markdown table (the GitHub job summary).
pub fn markdown(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let failing = d.failing();
    writeln!(
        out,
        "### leakgate: goroutines {}",
        if d.stopped.is_some() {
            "STOPPED"
        } else if failing == 0 {
            "pass"
        } else {
            "FAIL"
        }
    )?;
    writeln!(out)?;
    if let Some(why) = &d.stopped {
        writeln!(out, "{}: not a pass.", inline(why))?;
        writeln!(out)?;
    }
    match &d.before {
        Some((name, _, total)) => writeln!(
            out,
            "`{}` ({total} goroutines) → `{}` ({} goroutines); {failing} failing group{}.",
            inline(name),
            inline(&d.after.0),
            d.after.2,
            if failing == 1 { "" } else { "s" }
        )?,
        None => writeln!(out, "`{}`: {} goroutines.", inline(&d.after.0), d.after.2)?,
    }
    writeln!(out)?;
    writeln!(
        out,
        "| | goroutines | change | started in | go statement | state |"
    )?;
    writeln!(out, "|---|---:|---|---|---|---|")?;
    for g in &d.groups {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            verdict_word(&g.verdict),
            inline(&counts(d, g)),
            g.change.map(|c| c.name()).unwrap_or(""),
            inline(&title(g)),
            place(g.group.origin.as_ref())
                .map(|p| inline(&p))
                .unwrap_or_else(|| "unknown".into()),
            g.group
                .states
                .first()
                .map(|(s, _)| inline(s))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// GitHub annotations: one error per failing group at its `go` statement
/// (else where it is blocked; else without a place), most goroutines
/// first, at most `ctx.max_annotations`: past the cap the last one says how
/// many more there are and where to read them (the job summary, which has
/// every group).
pub fn github(d: &Diff, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    let mut all = Vec::new();
    for g in &d.groups {
        let GroupVerdict::Fails(why) = &g.verdict else {
            continue;
        };
        let at = spot(g).filter(|s| s.in_repo);
        all.push(Annotation {
            level: Level::Error,
            file: at.map(|s| s.file.clone()),
            line: at.map(|s| s.line),
            title: format!("goroutines {}: {}", counts(d, g), title(g)),
            message: why.clone(),
            leaks: 0,
            failures: 0,
        });
    }
    if let Some(why) = &d.stopped {
        all.insert(
            0,
            Annotation {
                level: Level::Error,
                file: None,
                line: None,
                title: "leakgate watch stopped".to_string(),
                message: format!("{why}: not a pass"),
                leaks: 0,
                failures: 0,
            },
        );
    }
    for a in capped(all, ctx.max_annotations, ctx) {
        writeln!(out, "{}", a.command())?;
    }
    Ok(())
}
