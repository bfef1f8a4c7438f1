//! Reporters: render an [`Analysis`] for a person or a machine.
//!
//! Reporters never parse and never decide; they only format what the
//! earlier stages concluded, and escape every piece of text that came from
//! the input for the medium they write to.

pub mod json;
pub mod terminal;

use std::io::{self, Write};

use crate::verdict::Analysis;

/// The kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportKind {
    /// For a person: distinct leaks with their origin, then a summary line.
    Terminal,
    /// The stable machine-readable report (`schema_version` 1).
    Json,
}

impl ReportKind {
    /// Name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Terminal => "terminal",
            ReportKind::Json => "json",
        }
    }
}

/// Options that change how reports look.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Show every frame and all output, not just the user's frames.
    pub verbose: bool,
    /// Use ANSI colour.
    pub color: bool,
}

/// Writes one report.
pub fn write(kind: ReportKind, analysis: &Analysis, style: Style, out: &mut dyn Write) -> io::Result<()> {
    match kind {
        ReportKind::Terminal => terminal::write(analysis, style, out),
        ReportKind::Json => json::write(analysis, out),
    }
}
