//! GitHub Actions workflow commands: one annotation per distinct leak, and
//! the step outputs.
//!
//! * `::error` for each new leak at its origin (`file=` repository-relative,
//!   `line=`), titled with the tests that reported it; the message gives
//!   the state, the top function, the count and the user's frames.
//! * `::warning` for flaky leaks; `::notice` for allowed leaks are not
//!   written (they pass); expired or unused policy rules will be notices.
//! * Other failures (assertions, panics, build) are errors without a
//!   place, after the leaks; a run that could not be judged is one error
//!   per reason.
//!
//! GitHub shows 10 annotations of each level per step and 50 per job and
//! hides the rest without a word, so each level is capped
//! ([`Context::max_annotations`]), most important first (the order of
//! [`Analysis::distinct_leaks`]); the last one of a capped level says how
//! many more there are and where to read them.
//!
//! Escaping follows the runner's unescaping (`ActionCommand.cs`): data
//! escapes `%`, `\r`, `\n`; properties also `:` and `,`. Everything else in
//! a command line is inert, because a command is one line.
//!
//! Step outputs ([`step_outputs`]) use the `name<<DELIMITER` form with a
//! random delimiter, so no value can end its block early.

use std::io::{self, Write};

use super::{
    class, count_text, leak_place, reporter_name, state_text, tally, test_list, user_frames, Class,
    Context,
};
use crate::findings::FailureKind;
use crate::verdict::{Analysis, Verdict};

/// Frames shown in an annotation message.
pub const ANNOTATION_FRAMES: usize = 5;
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
}

/// Escapes a command's data (the message).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
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

fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("\n…");
    }
    s
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
        });
    }
    for d in a.distinct_leaks() {
        let level = match class(&d) {
            Class::New => Level::Error,
            Class::Flaky => Level::Warning,
            Class::Allowed | Class::Harness => continue,
        };
        let g = d.example;
        let place = leak_place(&d, a);
        let kind = if level == Level::Warning {
            "Flaky goroutine leak"
        } else {
            "Goroutine leak"
        };
        let title = format!("{kind} in {}", test_list(&d, TITLE_TESTS));
        let mut msg = format!("{} leaked [{}]", count_text(&d), state_text(g));
        if let Some(top) = g.goroutine.top_function() {
            msg.push_str(&format!(" in {top}"));
        }
        if let Some(c) = &g.goroutine.created_by {
            msg.push_str(&format!("\nstarted by {}", c.function));
            if let Some(o) = &g.origin {
                msg.push_str(&format!(" at {}:{}", o.file, o.line));
            }
        }
        let reporters: Vec<String> = d
            .reporters
            .iter()
            .map(|(p, t)| reporter_name(*p, *t))
            .collect();
        msg.push_str(&format!("\nreported by {}", reporters.join("; ")));
        let (frames, hidden) = user_frames(g, ANNOTATION_FRAMES);
        if !frames.is_empty() {
            msg.push('\n');
            for f in &frames {
                msg.push_str(&format!("\n  {}\n      {}", f.function, f.place));
            }
            if hidden > 0 {
                msg.push_str(&format!("\n  ({hidden} more frames)"));
            }
        }
        if place.is_some_and(|p| Some(p) != g.anchor()) {
            msg.push_str(
                "\n(the goroutine was started outside the repository; placed at the leak check)",
            );
        }
        out.push(Annotation {
            level,
            file: place.map(|p| p.file.clone()),
            line: place.map(|p| p.line),
            title,
            message: cut(msg, MAX_MESSAGE),
        });
    }
    for f in a.other_failures() {
        let what = match f.kind {
            FailureKind::Build => "Build failed",
            FailureKind::Panic => "Test panicked",
            FailureKind::Timeout => "Test timed out",
            FailureKind::Incomplete => "Test did not finish",
            FailureKind::Test | FailureKind::Leak => "Test failed",
        };
        out.push(Annotation {
            level: Level::Error,
            file: None,
            line: None,
            title: format!(
                "{what}: {}",
                reporter_name(f.package.as_deref(), f.test.as_deref())
            ),
            message: cut(f.message.clone(), MAX_MESSAGE),
        });
    }
    out
}

/// Keeps at most `max` annotations per level; a level over the cap keeps
/// `max - 1` and ends with one saying how many more there are.
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
        out.extend(of_level.into_iter().take(keep));
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
                "{more} more {} annotations were left out (GitHub shows only 10 per level per step); see {}.",
                level.command(),
                where_.join(", ")
            ),
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
    let distinct = a.distinct_leaks();
    let t = tally(a, &distinct);
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
            })
            .collect();
        let ctx = Context::default();
        let c = capped(all, 10, &ctx);
        let errors: Vec<&Annotation> = c.iter().filter(|a| a.level == Level::Error).collect();
        assert_eq!(errors.len(), 10);
        assert_eq!(errors[0].title, "1");
        assert_eq!(errors[9].title, "11 more not shown as annotations");
        assert_eq!(c.iter().filter(|a| a.level == Level::Warning).count(), 5);
    }
}
