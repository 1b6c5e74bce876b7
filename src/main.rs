//! The `liveclin` binary: parse, dispatch, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use liveclin::cli::{Cli, Command};
use liveclin::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Download(args) => commands::download::run(&args),
        Command::Validate(args) => commands::validate::run(&args),
        Command::Prompts(args) => commands::prompts::run(&args),
        Command::Merge(args) => commands::merge::run(&args),
        Command::Report(args) => commands::report::run(&args),
        Command::Extract(args) => commands::extract::run(&args),
        Command::Evaluate(args) => commands::evaluate::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::CheckVision(args) => commands::check_vision::run(&args),
        Command::MockServer(args) => commands::mock_server::run(&args),
        Command::Demo(args) => commands::mock_server::demo(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
