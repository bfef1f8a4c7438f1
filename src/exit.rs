//! leakgate's exit codes. They are part of its interface: CI scripts
//! branch on them, so they never change meaning.
//!
//! Incomplete input (a cut line, an unclosed XML root, a run stopped by
//! `--timeout` or Ctrl-C, a package that never reported a result, no
//! results at all) is judged on what it shows, and never passes:
//!
//! * a new leak, or another failure the input states, found in it is
//!   [`FAIL`]; the report also names the input and the line it ends at;
//! * otherwise (only allowed leaks, tests the end of the input cut off,
//!   failures that only the missing rest could have ruled out, or nothing
//!   at all) it is [`ERROR`].

/// The gate passed: every test passed, or its only failures were leaks that
/// the policy allows. Never for incomplete input.
pub const PASS: i32 = 0;
/// The gate failed: a new leak, or another test failure (assertion, panic,
/// timeout, build failure), also when found in incomplete input.
pub const FAIL: i32 = 1;
/// leakgate could not judge: bad usage or configuration, unreadable or
/// empty input, or cut or incomplete input in which nothing fails the
/// gate. Never a pass.
pub const ERROR: i32 = 2;
