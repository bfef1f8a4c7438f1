//! `leakgate completions` and `leakgate man`: shell completion scripts and
//! roff man pages, generated from the same clap definitions that parse
//! the command line (`main.rs`).

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;
use leakgate::exit;
use miette::{IntoDiagnostic, Result, WrapErr};

use super::args::Cli;

/// Prints the completion script for `shell`.
pub(crate) fn completions(shell: Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "leakgate", &mut script);
    print(&script)
}

/// Prints the man page of `leakgate`, or writes one page per command
/// (`leakgate.1`, `leakgate-check.1`, ...) to `out_dir`.
pub(crate) fn man(out_dir: Option<&Path>) -> Result<i32> {
    // The footer names the version and commit, as `--version` (build.rs).
    let cmd = Cli::command();
    match out_dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .into_diagnostic()?;
            print(&page)
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot write man pages to {}", dir.display()))?;
            eprintln!("leakgate: wrote man pages to {}", dir.display());
            Ok(exit::PASS)
        }
    }
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn print(bytes: &[u8]) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(exit::PASS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::PASS),
        Err(e) => Err(e)
            .into_diagnostic()
            .wrap_err("cannot write to standard output"),
    }
}
