//! leakgate's exit codes. They are part of its interface: CI scripts
//! branch on them, so they never change meaning.

/// The gate passed: every test passed, or its only failures were leaks that
/// the policy allows.
pub const PASS: i32 = 0;
/// The gate failed: a new leak, or another test failure (assertion, panic,
/// timeout, build failure).
pub const FAIL: i32 = 1;
/// leakgate could not judge: bad usage or configuration, unreadable,
/// empty, cut or incomplete input. Never a pass.
pub const ERROR: i32 = 2;
