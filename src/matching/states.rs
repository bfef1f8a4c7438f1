//! The goroutine states a Go runtime prints, so that a `state:` that no
//! runtime prints (`chan recieve`) is a mistake with a suggestion instead
//! of a rule that silently matches nothing.
//!
//! A goroutine header reads `goroutine N [STATE...]:`. The runtime's
//! `goroutineheader` (runtime/traceback.go) prints the wait reason
//! (`waitReasonStrings`, runtime/runtime2.go) of a waiting goroutine and
//! the status name (`gStatusStrings`) otherwise, then modifiers that
//! [`crate::stack::parse_state`] keeps out of the state: ` (leaked)`,
//! ` (scan)`, ` (durable)`, `, N minutes`, `, locked to thread`,
//! `, synctest bubble N`.
//!
//! The list is the union over the releases leakgate reads (Go 1.19 to
//! 1.27): read from go1.26.8's runtime sources on the machine that wrote
//! it and golang/go's history for older releases (`timer goroutine
//! (idle)` until the timer rework of Go 1.23, the `(synctest)` spellings
//! of Go 1.24's experiment, renamed `(durable)` in 1.25). A state a new Go
//! release adds is a one-line change here.

/// Every state a Go runtime (1.19 to 1.27) prints, as [`crate::stack::State::status`] holds it.
pub const KNOWN: &[&str] = &[
    // gStatusStrings: goroutines that are not waiting.
    "idle",
    "runnable",
    "running",
    "syscall",
    "waiting",
    "dead",
    "copystack",
    "preempted",
    "leaked",
    "waiting for cgo callback",
    // waitReasonStrings.
    "GC assist marking",
    "IO wait",
    "chan receive (nil chan)",
    "chan send (nil chan)",
    "dumping heap",
    "garbage collection",
    "garbage collection scan",
    "panicwait",
    "select",
    "select (no cases)",
    "GC assist wait",
    "GC sweep wait",
    "GC scavenge wait",
    "chan receive",
    "chan send",
    "finalizer wait",
    "force gc (idle)",
    "GOMAXPROCS updater (idle)",
    "semacquire",
    "sleep",
    "sync.Cond.Wait",
    "sync.Mutex.Lock",
    "sync.RWMutex.RLock",
    "sync.RWMutex.Lock",
    "sync.WaitGroup.Wait",
    "timer goroutine (idle)",
    "trace reader (blocked)",
    "wait for GC cycle",
    "GC worker (idle)",
    "GC worker (active)",
    "debug call",
    "GC mark termination",
    "stopping the world",
    "flushing proc caches",
    "trace goroutine status",
    "trace proc status",
    "page trace flush",
    "coroutine",
    "GC weak to strong wait",
    "synctest.Run",
    "synctest.Wait",
    "chan receive (synctest)",
    "chan send (synctest)",
    "select (synctest)",
    "cleanup wait",
];

/// Modifiers the runtime prints after a state, which leakgate keeps out of
/// the state it matches.
const MODIFIERS: &[&str] = &[" (durable)", " (leaked)", " (scan)"];

/// Whether a Go runtime prints `state`.
pub fn is_known(state: &str) -> bool {
    KNOWN.contains(&state)
}

/// What to write instead of an unknown state, for the diagnostic's help.
pub fn suggest(state: &str) -> String {
    let trimmed = state.trim();
    // `chan receive, 5 minutes`, `select (durable)`: a known state with
    // what the runtime prints after it.
    let head = trimmed.split(',').next().unwrap_or(trimmed).trim();
    let mut base = head;
    for m in MODIFIERS {
        if let Some(b) = base.strip_suffix(m) {
            base = b;
        }
    }
    if base != trimmed && is_known(base) {
        return format!(
            "write `{base}`: a state is matched without what the runtime prints after it (`, N minutes`, `, locked to thread`, ` (durable)`, ` (leaked)`)"
        );
    }
    if let Some(k) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(trimmed)) {
        return format!("did you mean `{k}`? states are matched as Go prints them, case included");
    }
    let lower = trimmed.to_ascii_lowercase();
    let best = KNOWN
        .iter()
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k);
    let common = "select, chan receive, chan send, IO wait, sleep, sync.Mutex.Lock, sync.WaitGroup.Wait, semacquire, runnable, running";
    match best {
        Some(k) => format!("did you mean `{k}`? common states: {common}"),
        None => format!("common states: {common}; `leakgate config check` lists them all"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_unknown_states() {
        assert!(suggest("chan recieve").starts_with("did you mean `chan receive`?"));
        assert!(suggest("io wait").starts_with("did you mean `IO wait`?"));
        assert!(suggest("chan receive, 5 minutes").starts_with("write `chan receive`:"));
        assert!(suggest("select (durable)").starts_with("write `select`:"));
        assert!(suggest("blocked forever").starts_with("common states:"));
    }

    #[test]
    fn every_state_of_the_fixtures_is_known() {
        // The states the captured runs (Go 1.26 and 1.27) print.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut seen = 0;
        for sub in [
            "go1.26-goleak1.3.0",
            "go1.27-goleak1.3.0",
            "go1.21-goleak1.3.0",
        ] {
            let Ok(text) = std::fs::read_to_string(dir.join(sub).join("all.txt")) else {
                continue;
            };
            for line in text.lines() {
                // Runtime headers, and goleak's `Goroutine N in state S, with`.
                let state = match crate::stack::parse_header(line.trim()) {
                    Some(h) => h.state,
                    None => match line.split_once(" in state ") {
                        Some((_, rest)) if line.contains("Goroutine ") => {
                            match rest.split_once(", with ") {
                                Some((s, _)) => crate::stack::parse_state(s),
                                None => continue,
                            }
                        }
                        _ => continue,
                    },
                };
                assert!(is_known(&state.status), "{:?} in {sub}", state.status);
                seen += 1;
            }
        }
        assert!(seen > 100, "{seen} headers");
    }
}
