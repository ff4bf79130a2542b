//! `supine`: guided lying-down yoga for back pain. This binary parses arguments and wires the
//! crates together: content files, the journal, the plan compiler and the terminal player.

mod admin_cmd;
mod analyze_cmd;
mod camera;
mod cli;
#[cfg(target_os = "linux")]
mod device;
mod doctor;
mod export;
mod files;
mod lan;
mod log_cmd;
mod manual;
mod plan_text;
mod pose_cmd;
mod practice;
mod progress_cmd;
mod prompt;
mod psfs_cmd;
mod remind;
mod serve;
mod term_text;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Exit codes, documented in the README.
pub mod exit {
    /// Something went wrong (bad input, unreadable journal, ...); the message says what.
    pub const ERROR: u8 = 1;
    /// Bad command-line usage (clap's own code).
    pub const USAGE: u8 = 2;
    /// Practice did not start for safety reasons (a red flag in the screening or daily check).
    pub const NOT_SAFE: u8 = 3;
    /// Practice stopped for safety: numbness, tingling or weakness, or pain spreading down a
    /// leg, during the session. Its advice was printed.
    pub const STOPPED_FOR_SAFETY: u8 = 4;
}

/// Bad command-line usage found after parsing (a value out of range, an unknown routine, a
/// content folder that is not there): printed like any error, with the usage exit code.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// An error that carries its own exit code.
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for Exit {}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(Exit(code)) = e.downcast_ref::<Exit>() {
                return ExitCode::from(*code);
            }
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            // A message may quote text from the journal: no control character reaches the
            // terminal as it is.
            let message = format!("{e:#}");
            let _ = writeln!(io::stderr(), "error: {}", term_text::show_lines(&message));
            if e.chain().any(|c| c.is::<Usage>()) {
                return ExitCode::from(exit::USAGE);
            }
            ExitCode::from(exit::ERROR)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Plan(args) => practice::plan(&cli, args),
        Command::Practice(args) => practice::practice(&cli, args),
        Command::Screen => practice::screen(&cli),
        Command::Log(args) => log_cmd::log(&cli, args),
        Command::Serve(args) => serve::serve(&cli, args),
        Command::Admin { command } => admin_cmd::admin(&cli, command),
        Command::Devices { command } => lan::devices(&cli, command.as_ref()),
        Command::CheckContent { dir } => files::check_content(dir),
        Command::Pose { image, model, json } => pose_cmd::run(image, model, *json),
        Command::Analyze {
            input,
            model,
            json,
            annotate,
            fps,
            threads,
        } => analyze_cmd::run(
            input,
            model,
            *json,
            annotate.as_deref(),
            *fps,
            threads.map(usize::from),
        ),
        Command::Progress(args) => progress_cmd::run(&cli, args),
        Command::Psfs(args) => psfs_cmd::psfs(&cli, args),
        Command::Export(args) => export::export(&cli, args),
        Command::Import { file } => export::import(&cli, file),
        Command::Remind(args) => remind::remind(&cli, args),
        Command::Doctor(args) => doctor::doctor(&cli, args),
        Command::Completions { shell } => manual::completions(*shell, &mut io::stdout().lock()),
        Command::Man { out } => {
            manual::man(out.as_deref(), &mut io::stdout().lock(), &mut io::stderr())
        }
    }
}
