//! GitHub Actions workflow commands: one annotation per place of the
//! distinct leaks, one per other failure, and the step outputs.
//!
//! * `::error` for new leaks at their place ([`leak_place`]: `file=`
//!   repository-relative, `line=`), titled with the tests that reported
//!   them; the message gives the state, the top function, the count, who
//!   reported it ("reported by"), how many later goleak checks only saw it
//!   again ("also seen by N later checks", never counted as leaks of their
//!   own) and the user's frames. Several distinct leaks at the same line
//!   (the net/http goroutines of one unclosed `httptest.Server`, all
//!   placed at its leak check) are one annotation listing them: GitHub
//!   shows one box per annotation at a line, and four boxes saying the
//!   same line leaked hide the rest of the diff.
//! * `::warning` for flaky leaks, grouped the same way; allowed leaks are
//!   not written (they pass); expired or unused policy rules will be
//!   notices.
//! * Other failures that fail the gate (assertions, panics, timeouts,
//!   build errors) are errors headed by their message, at their
//!   [`crate::findings::Failure::location`] when it is in the repository
//!   (the assertion, the compile error, the line a timed-out test was
//!   stuck at), so a pull request shows them there; a run that could not
//!   be judged is one error per reason.
//!
//! GitHub shows 10 annotations of each level per step and 50 per job and
//! hides the rest without a word, so each level is capped
//! ([`Context::max_annotations`]), most important first (the order of
//! [`Analysis::leaks`]); the last one of a capped level says how
//! many more there are, what they hold, and where to read them (the job
//! summary has everything).
//!
//! Escaping follows the runner's unescaping (`ActionCommand.cs`): data
//! escapes `%`, `\r`, `\n`; properties also `:` and `,`. Everything else in
//! a command line is inert, because a command is one line.
//!
//! Step outputs ([`step_outputs`]) use the `name<<DELIMITER` form with a
//! random delimiter, so no value can end its block early.

use std::io::{self, Write};

use super::helpers::cut;
pub use super::helpers::{workflow_data as escape_data, workflow_property as escape_property};
use super::{
    count_text, failure_headline, leak_place, plural, reporter_name, seen_again_text, short_names,
    state_text, user_frames, Class, Context,
};
use crate::findings::Reporter;
use crate::findings::SourceRef;
use crate::verdict::{Analysis, JudgedLeak, Verdict};

/// Frames shown in an annotation message.
pub const ANNOTATION_FRAMES: usize = 5;
/// Frames shown per leak in an annotation listing several leaks.
pub const GROUP_FRAMES: usize = 3;
/// Test names in an annotation title.
pub const TITLE_TESTS: usize = 3;
/// Message length kept per annotation (GitHub truncates long ones anyway).
pub const MAX_MESSAGE: usize = 4000;

/// Annotation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `::error`
    Error,
    /// `::warning`
    Warning,
    /// `::notice`
    Notice,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// One annotation before escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Level.
    pub level: Level,
    /// Repository-relative file.
    pub file: Option<String>,
    /// Line (from 1).
    pub line: Option<u32>,
    /// Title.
    pub title: String,
    /// Message (may span lines).
    pub message: String,
    /// Distinct leaks it shows.
    pub leaks: usize,
    /// Failures other than leaks it shows.
    pub failures: usize,
}

impl Annotation {
    /// The workflow command line (without the newline).
    pub fn command(&self) -> String {
        let mut props = Vec::new();
        if let Some(f) = &self.file {
            props.push(format!("file={}", escape_property(f)));
            if let Some(l) = self.line.filter(|l| *l > 0) {
                props.push(format!("line={l}"));
            }
        }
        if !self.title.is_empty() {
            props.push(format!("title={}", escape_property(&self.title)));
        }
        let props = if props.is_empty() {
            String::new()
        } else {
            format!(" {}", props.join(","))
        };
        format!(
            "::{}{}::{}",
            self.level.command(),
            props,
            escape_data(&self.message)
        )
    }
}

/// What an annotation says about one distinct leak: the headline, who
/// started it, who reported it, who saw it again, and the user's frames
/// (at most `frames`), each line prefixed with `indent` after the first.
fn leak_lines(d: &JudgedLeak, frames: usize, indent: &str) -> String {
    let g = &d.leak.example;
    let mut msg = format!("{} leaked [{}]", count_text(d), state_text(g));
    if let Some(top) = g.goroutine.top_function() {
        msg.push_str(&format!(" in {top}"));
    }
    if let Some(c) = &g.goroutine.created_by {
        msg.push_str(&format!("\n{indent}started by {}", c.function));
        if let Some(o) = &g.origin {
            msg.push_str(&format!(" at {}:{}", o.file, o.line));
        }
    }
    let reporters: Vec<String> = d
        .leak
        .reporters
        .iter()
        .map(|r| reporter_name(r.package.as_deref(), r.test.as_deref()))
        .collect();
    msg.push_str(&format!("\n{indent}reported by {}", reporters.join("; ")));
    if let Some(again) = seen_again_text(d) {
        msg.push_str(&format!("\n{indent}{again}"));
    }
    let (shown, hidden) = user_frames(g, frames);
    if !shown.is_empty() {
        msg.push('\n');
        for f in &shown {
            msg.push_str(&format!(
                "\n{indent}  {}\n{indent}      {}",
                f.function, f.place
            ));
        }
        if hidden > 0 {
            msg.push_str(&format!("\n{indent}  ({hidden} more frames)"));
        }
    }
    msg
}

/// Distinct leaks of one level placed at one line (or one leak without a
/// place).
struct Spot<'a> {
    level: Level,
    place: Option<&'a SourceRef>,
    leaks: Vec<&'a JudgedLeak>,
}

fn leak_annotation(spot: &Spot<'_>) -> Annotation {
    let flaky = spot.level == Level::Warning;
    let mut who: Vec<Reporter> = Vec::new();
    for d in &spot.leaks {
        for r in &d.leak.reporters {
            if !who.contains(r) {
                who.push(r.clone());
            }
        }
    }
    let n = spot.leaks.len();
    let title = match (n, flaky) {
        (1, false) => format!("Goroutine leak in {}", short_names(&who, TITLE_TESTS)),
        (1, true) => format!("Flaky goroutine leak in {}", short_names(&who, TITLE_TESTS)),
        (_, false) => format!("{n} goroutine leaks in {}", short_names(&who, TITLE_TESTS)),
        (_, true) => format!(
            "{n} flaky goroutine leaks in {}",
            short_names(&who, TITLE_TESTS)
        ),
    };
    let mut msg = if n == 1 {
        leak_lines(spot.leaks[0], ANNOTATION_FRAMES, "")
    } else {
        let mut m = format!("{n} distinct goroutine leaks are placed at this line:");
        for (i, d) in spot.leaks.iter().enumerate() {
            m.push_str(&format!(
                "\n\n{}. {}",
                i + 1,
                leak_lines(d, GROUP_FRAMES, "   ")
            ));
        }
        m
    };
    let at_check = spot.place.is_some_and(|p| {
        spot.leaks
            .iter()
            .any(|d| d.leak.example.anchor() != Some(p))
    });
    if at_check {
        let what = if n == 1 {
            "the goroutine was"
        } else {
            "the goroutines were"
        };
        msg.push_str(&format!(
            "\n({what} started outside the repository; placed at the leak check)"
        ));
    }
    Annotation {
        level: spot.level,
        file: spot.place.map(|p| p.file.clone()),
        line: spot.place.map(|p| p.line),
        title,
        message: cut(msg, MAX_MESSAGE),
        leaks: n,
        failures: 0,
    }
}

/// Every annotation, most important first within each level.
pub fn annotations(a: &Analysis) -> Vec<Annotation> {
    let mut out = Vec::new();
    for reason in a.reasons.iter().filter(|_| a.verdict == Verdict::Error) {
        out.push(Annotation {
            level: Level::Error,
            file: None,
            line: None,
            title: "leakgate could not judge this run".to_string(),
            message: reason.clone(),
            leaks: 0,
            failures: 0,
        });
    }
    // Failed on what an incomplete input shows: say where it ends.
    for note in a.incomplete.iter().filter(|_| a.verdict != Verdict::Error) {
        out.push(Annotation {
            level: Level::Warning,
            file: None,
            line: None,
            title: "leakgate judged an incomplete input".to_string(),
            message: note.clone(),
            leaks: 0,
            failures: 0,
        });
    }
    let mut spots: Vec<Spot<'_>> = Vec::new();
    for d in a.leaks() {
        let level = match d.class() {
            Class::New => Level::Error,
            Class::Flaky => Level::Warning,
            Class::Allowed | Class::Harness => continue,
        };
        let place = leak_place(d);
        let same = |s: &&mut Spot<'_>| {
            s.level == level
                && place.is_some()
                && s.place.map(|p| (&p.file, p.line)) == place.map(|p| (&p.file, p.line))
        };
        match spots.iter_mut().find(same) {
            Some(s) => s.leaks.push(d),
            None => spots.push(Spot {
                level,
                place,
                leaks: vec![d],
            }),
        }
    }
    for spot in &spots {
        out.push(leak_annotation(spot));
    }
    for f in a.other_failures() {
        let place = a.failure_place(f);
        out.push(Annotation {
            level: Level::Error,
            file: place.map(|p| p.file.clone()),
            line: place.map(|p| p.line),
            title: failure_headline(f),
            message: cut(f.message.clone(), MAX_MESSAGE),
            leaks: 0,
            failures: 1,
        });
    }
    out
}

/// Keeps at most `max` annotations per level; a level over the cap keeps
/// `max - 1` and ends with one saying how many more there are and what
/// they hold (in the view's numbers: distinct leaks, other failures).
pub fn capped(all: Vec<Annotation>, max: usize, ctx: &Context) -> Vec<Annotation> {
    let max = max.max(1);
    let mut out = Vec::new();
    for level in [Level::Error, Level::Warning, Level::Notice] {
        let of_level: Vec<Annotation> = all.iter().filter(|x| x.level == level).cloned().collect();
        if of_level.len() <= max {
            out.extend(of_level);
            continue;
        }
        let keep = max - 1;
        let more = of_level.len() - keep;
        let left: &[Annotation] = &of_level[keep..];
        let leaks: usize = left.iter().map(|x| x.leaks).sum();
        let failures: usize = left.iter().map(|x| x.failures).sum();
        out.extend(of_level[..keep].iter().cloned());
        let mut holds = Vec::new();
        if leaks > 0 {
            let kind = if level == Level::Warning {
                "flaky"
            } else {
                "new"
            };
            holds.push(format!("{leaks} {kind} leak{}", plural(leaks)));
        }
        if failures > 0 {
            holds.push(format!("{failures} other failure{}", plural(failures)));
        }
        let holds = if holds.is_empty() {
            String::new()
        } else {
            format!(" ({})", holds.join(", "))
        };
        let mut where_ = vec!["the job log"];
        if ctx.github_actions {
            where_.insert(0, "the job summary");
        }
        let json = ctx
            .json_report
            .as_deref()
            .map(|p| format!("the JSON report ({p})"));
        if let Some(j) = &json {
            where_.push(j);
        }
        out.push(Annotation {
            level,
            file: None,
            line: None,
            title: format!("{more} more not shown as annotations"),
            message: format!(
                "{more} more {} annotation{}{holds} {} left out (GitHub shows only 10 per level per step); see {}.",
                level.command(),
                plural(more),
                if more == 1 { "was" } else { "were" },
                where_.join(", ")
            ),
            leaks: 0,
            failures: 0,
        });
    }
    out
}

/// Writes the annotations.
pub fn write(a: &Analysis, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    for x in capped(annotations(a), ctx.max_annotations, ctx) {
        writeln!(out, "{}", x.command())?;
    }
    Ok(())
}

/// The step outputs for `$GITHUB_OUTPUT`: `verdict`, `new`, `allowed`,
/// `flaky`, `report`, each as `name<<DELIM`, value, `DELIM` with a
/// delimiter made from `token` (fresh and random per run).
pub fn step_outputs(a: &Analysis, json_report: Option<&str>, token: &str) -> String {
    let t = a.tally();
    let delim = format!("ghadelimiter_{token}");
    let values = [
        ("verdict", a.verdict.name().to_string()),
        ("new", t.new.to_string()),
        ("allowed", t.allowed.to_string()),
        ("flaky", t.flaky.to_string()),
        ("report", json_report.unwrap_or("").to_string()),
    ];
    let mut s = String::new();
    for (k, v) in values {
        // A value holding the delimiter on its own line would end the
        // block early; the token is random, so only a path could, and a
        // path cannot hold a newline here.
        let v = v.replace(['\n', '\r'], " ");
        s.push_str(&format!("{k}<<{delim}\n{v}\n{delim}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("a%b\r\nc::d,e"), "a%25b%0D%0Ac::d,e");
        assert_eq!(escape_property("a%b\r\nc::d,e"), "a%25b%0D%0Ac%3A%3Ad%2Ce");
        // %0A in the input must not turn into a newline when unescaped.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn one_line_per_command() {
        let a = Annotation {
            level: Level::Error,
            file: Some("a,b:c.go".into()),
            line: Some(3),
            title: "::error::x\n##[error]y".into(),
            message: "line one\n::error::two\r\n##[error]three".into(),
            leaks: 1,
            failures: 0,
        };
        let c = a.command();
        assert!(!c.contains('\n') && !c.contains('\r'));
        assert_eq!(
            c,
            "::error file=a%2Cb%3Ac.go,line=3,title=%3A%3Aerror%3A%3Ax%0A##[error]y::line one%0A::error::two%0D%0A##[error]three"
        );
    }

    #[test]
    fn cap_keeps_order_and_counts() {
        let all: Vec<Annotation> = (0..25)
            .map(|i| Annotation {
                level: if i % 5 == 0 {
                    Level::Warning
                } else {
                    Level::Error
                },
                file: None,
                line: None,
                title: format!("{i}"),
                message: String::new(),
                leaks: 1,
                failures: 0,
            })
            .collect();
        let ctx = Context::default();
        let c = capped(all, 10, &ctx);
        let errors: Vec<&Annotation> = c.iter().filter(|a| a.level == Level::Error).collect();
        assert_eq!(errors.len(), 10);
        assert_eq!(errors[0].title, "1");
        assert_eq!(errors[9].title, "11 more not shown as annotations");
        assert!(
            errors[9]
                .message
                .starts_with("11 more error annotations (11 new leaks) were left out"),
            "{}",
            errors[9].message
        );
        assert_eq!(c.iter().filter(|a| a.level == Level::Warning).count(), 5);
    }
}
