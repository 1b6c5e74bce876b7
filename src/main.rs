//! The `liveclin` binary: parse, dispatch, map errors to exit codes.

use std::process::ExitCode;

mod choice;
mod cli;
mod commands;
mod demo;
mod exit;
mod output;

use clap::Parser;
use cli::{Cli, Command};
use exit::Exit;

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    liveclin_term::init(cli.color, cli.quiet, cli.verbose);
    let outcome = match cli.command {
        Command::Download(args) => commands::download::run(&args),
        Command::Validate(args) => commands::validate::run(&args),
        Command::Prompts(args) => commands::prompts::run(&args),
        Command::Estimate(args) => commands::estimate::run(&args),
        Command::Merge(args) => commands::merge::run(&args),
        Command::Report(args) => commands::report::run(&args),
        Command::Compare(args) => commands::compare::run(&args),
        Command::Extract(args) => commands::extract::run(&args),
        Command::Evaluate(args) => commands::evaluate::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::CheckVision(args) => commands::check_vision::run(&args),
        Command::MockServer(args) => commands::mock_server::run(&args),
        Command::Completions(args) => commands::completions::run(&args),
        Command::Demo(args) => commands::mock_server::demo(&args),
    };
    match outcome {
        Ok(exit) => exit.into(),
        // The reader of stdout went away (`| head`): nothing is wrong, nothing to say.
        Err(err) if output::is_closed(&err) => Exit::Success.into(),
        Err(err) => {
            eprintln!("{} {err:#}", liveclin_term::error());
            Exit::Usage.into()
        }
    }
}

/// glibc's allocator, left alone, fragments under `evaluate`: many threads allocate and
/// free picture-sized buffers (150-800 KB), its mmap threshold rises past them after the
/// first free, and every thread gets an arena. A fixed 512 KiB threshold and two arenas
/// cut the peak memory of a full-size run from 123 MB to 93 MB at no cost in time
/// (measured in BENCHMARKS.md); lower thresholds save more memory but cost page faults.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 512 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
