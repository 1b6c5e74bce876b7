//! `liveclin report`: re-analyse a results file.

use std::process::ExitCode;

use crate::analysis::multiturn;
use crate::analysis::outcome::OutcomeCounts;
use crate::analysis::{summarize, summary_value};
use crate::cli::ReportArgs;
use crate::report::terminal;
use crate::results;

pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let file = results::read(&args.results)?;
    let summary = summarize(&file.cases);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary_value(summary.as_ref()))?
        );
    } else {
        print!("{}", terminal::render(&file.meta, summary.as_ref()));
        // Ours, on stderr: stdout stays the official layout.
        let outcomes = OutcomeCounts::of(&file.cases);
        if outcomes.mcqs > 0 {
            eprint!("{}", outcomes.line());
        }
        if !file.cases.is_empty() {
            eprint!("{}", multiturn::diagnostics(&file.cases).text());
        }
    }
    Ok(ExitCode::SUCCESS)
}
