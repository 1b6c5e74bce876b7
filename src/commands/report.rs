//! `liveclin report`: re-analyse a results file.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::cli::{DataArgs, ReportArgs};
use crate::exit::Exit;
use crate::output;
use liveclin_core::analysis::{summarize, summary_value};
use liveclin_core::results::{self, ResultsFile};
use liveclin_report::extras;
use liveclin_report::html::{self, Page, Questions, html_path};
use liveclin_report::reference::Reference;
use liveclin_report::terminal;

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<Exit> {
    let file = results::read(&args.results)?;
    // Every input is read before anything is printed: a bad reference file fails alone.
    let reference = args.reference.as_deref().map(Reference::read).transpose()?;
    let summary = summarize(&file.cases);
    // A closed stdout (`| head`) still gets the HTML page written before the quiet end.
    let printed = print_summary(args, &file, summary.as_ref());
    if let Some(out) = html_path(
        args.html.as_ref().map(Option::as_deref),
        &[&args.results],
        "",
    ) {
        let out = &out;
        if let (Some(reference), Some(summary)) = (&reference, &summary) {
            for group in reference.unmatched(summary) {
                eprintln!("Reference: {group} is not a group of these results; not drawn");
            }
        }
        write_html(args, &file, reference.as_ref(), out)?;
    }
    printed?;
    Ok(Exit::Success)
}

/// The summary on stdout (JSON, or the official layout with our extras on stderr).
fn print_summary(
    args: &ReportArgs,
    file: &ResultsFile,
    summary: Option<&liveclin_core::analysis::Summary>,
) -> anyhow::Result<()> {
    let mut out = output::stdout();
    if args.json {
        let value = summary_value(summary);
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        write!(out, "{}", terminal::render(&file.meta, summary))?;
        extras::print(file, args.ci);
    }
    Ok(())
}

fn write_html(
    args: &ReportArgs,
    file: &ResultsFile,
    reference: Option<&Reference>,
    out: &Path,
) -> anyhow::Result<()> {
    let data = data_args(&args.data, file);
    let loaded = if file.cases.is_empty() {
        Err(anyhow::anyhow!("no cases to show"))
    } else {
        super::load_config(&data)
    };
    let questions = match &loaded {
        Ok((dataset, paths)) => {
            let ids: HashSet<&str> = dataset.cases.iter().map(|c| c.id.as_str()).collect();
            let missing = file
                .cases
                .iter()
                .filter(|c| !ids.contains(c.id_text().as_str()))
                .count();
            if missing > 0 {
                eprintln!(
                    "{missing} of the {} cases of the results are not in {}: their transcripts show no question text (is --dataset right?)",
                    file.cases.len(),
                    dataset.path.display()
                );
            }
            Questions::Dataset {
                dataset,
                image_root: &paths.image_root,
            }
        }
        Err(err) => {
            let why = format!("{err:#}");
            if !file.cases.is_empty() {
                eprintln!(
                    "The dataset could not be loaded ({why}): the HTML transcripts show the results alone (replies, answers, errors), without the questions"
                );
            }
            Questions::Unavailable(why)
        }
    };
    let source = args.results.display().to_string();
    let page = html::render(&Page {
        file,
        source: &source,
        reference,
        questions,
    });
    html::write_page(out, &page)?;
    eprintln!("HTML report: {}", out.display());
    Ok(())
}

/// The dataset flags, with `--dataset` taken from the results file's `meta.dataset` when
/// it was not given on the command line.
fn data_args(given: &DataArgs, file: &ResultsFile) -> DataArgs {
    let mut data = given.clone();
    if !dataset_on_command_line()
        && let Some(name) = file.meta.get("dataset").and_then(Value::as_str)
        && !name.is_empty()
    {
        data.dataset = name.to_string();
    }
    data
}

/// Whether `--dataset` was given to `report` on this process's command line (clap's
/// default and an explicit value look alike once parsed). When the arguments are not a
/// `report` command line (the function called as a library), the value given is kept.
fn dataset_on_command_line() -> bool {
    use clap::CommandFactory;
    use clap::parser::ValueSource;
    let Ok(matches) = crate::cli::Cli::command().try_get_matches_from(std::env::args_os()) else {
        return true;
    };
    matches
        .subcommand_matches("report")
        .is_none_or(|m| m.value_source("dataset") == Some(ValueSource::CommandLine))
}
