//! leakgate's integration tests, in one test binary (as cargo-nextest and
//! ripgrep organise theirs): each module drives the built `leakgate`
//! binary or the library on real captured `go test` output.

mod common;

mod action;
mod architecture;
mod check;
mod ci_logs;
mod cli;
mod docs;
mod dumps;
mod excerpts;
mod fail_closed;
mod fuzz_regressions;
mod gitlab;
mod headlines;
mod hook;
mod hostile;
mod incomplete;
mod live;
mod live_run;
mod memory;
mod model;
mod policy;
mod properties;
mod reports;
mod retry;
mod schema;
mod text_logs;
mod verdict;
