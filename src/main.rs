//! The `leakgate` command: `main` parses the command line (its definitions
//! are in `dispatch/args.rs`) and `run` dispatches to one module per command
//! (`dispatch/`).

mod dispatch;

use std::process::ExitCode;

use clap::Parser;
use dispatch::args::{Cli, Command, ConfigCommand};
use leakgate::exit;
use miette::Result;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::ERROR as u8 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(exit::ERROR as u8)
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Check(args) => dispatch::check::check(args),
        Command::Run(args) => dispatch::run::run_command(args),
        Command::Hook(cmd) => dispatch::hook::hook(cmd),
        Command::Config(ConfigCommand::Check(args)) => dispatch::config::config_check(args),
        Command::Config(ConfigCommand::Schema) => dispatch::config::config_schema(),
        Command::Baseline(args) => dispatch::baseline::baseline(args),
        Command::Init(args) => dispatch::init::init(args),
        Command::Dump(args) => dispatch::dump::dump(args),
        Command::Diff(args) => dispatch::dump::diff(args),
        Command::Watch(args) => dispatch::dump::watch(args),
        Command::Completions { shell } => dispatch::docs::completions(shell),
        Command::Man { out_dir } => dispatch::docs::man(out_dir.as_deref()),
    }
}
