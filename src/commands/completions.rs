//! `liveclin completions SHELL`: the shell completion script, from the clap definitions,
//! so it can never disagree with the flags.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;

pub(crate) fn run(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "liveclin", &mut script);
    let mut out = crate::output::stdout();
    write!(out, "{}", String::from_utf8_lossy(&script))?;
    out.flush()?;
    Ok(Exit::Success)
}
