//! Entry points shared by the fuzz targets (`fuzz/`) and the regression
//! test that replays their saved inputs (`tests/fuzz_regressions.rs`).
//! Each runs one parser on arbitrary bytes; the property is "returns".

use crate::ingest::{Format, FormatChoice};
use crate::paths::Repo;
use crate::policy::Policy;

/// The whole pipeline on `data`, in `format` (or detected), through every
/// report.
pub fn pipeline(data: &[u8], format: Option<Format>) {
    let repo = Repo::bare("/repo");
    let choice = format.map_or(FormatChoice::Auto, FormatChoice::Fixed);
    if let Ok(analysis) = crate::analyze_readers(
        vec![("fuzz".to_string(), data)],
        choice,
        &repo,
        &Policy::default(),
    ) {
        for kind in [
            crate::report::ReportKind::Terminal,
            crate::report::ReportKind::Json,
        ] {
            let mut sink = std::io::sink();
            let _ =
                crate::report::write(kind, &analysis, crate::report::Style::default(), &mut sink);
        }
    }
}

/// The goroutine-stack parser on `data`.
pub fn stack(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for g in crate::stack::parse_dump(&text) {
        let _ = crate::findings::fingerprint(&g);
        let _ = g.render();
    }
    for line in text.lines() {
        let _ = crate::stack::parse_header(line);
        let _ = crate::stack::classify(line);
    }
}

/// The goleak report finder on `data`.
pub fn scan(data: &[u8]) {
    let _ = crate::scan::scan_text(&String::from_utf8_lossy(data));
}

/// The policy loader on `data` as a `.leakgate.yml`.
pub fn policy(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ =
        crate::policy::config::from_text(".leakgate.yml", &text, jiff::civil::date(2026, 11, 28));
}

/// The goroutine-dump reader (debug=2 tracebacks, debug=1 counts,
/// profile.proto) on `data`, grouped under the default policy.
pub fn dump(data: &[u8]) {
    let repo = Repo::bare("/repo");
    let _ = crate::dump::read("fuzz", data, &repo, &Policy::default());
}
