//! `liveclin report`: re-analyse a results file.

use std::cell::LazyCell;
use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::cli::{DataArgs, ReportArgs, ReportDataArgs};
use crate::exit::Exit;
use crate::output;
use liveclin_core::analysis::{Analysis, summarize, summary_value};
use liveclin_core::results::{self, ResultsFile};
use liveclin_report::extras;
use liveclin_report::html::{self, Page, Questions, html_path};
use liveclin_report::reference::Reference;
use liveclin_report::terminal;

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<Exit> {
    let file = results::read(&args.results)?;
    // Every input is read before anything is printed: a bad reference file fails alone.
    let reference = args.reference.as_deref().map(Reference::read).transpose()?;
    // Computed once for the extras and the page (`--json` alone needs neither).
    // `--price` replaces the price the run recorded, if any.
    let analysis = LazyCell::new(|| {
        let mut analysis = Analysis::of(&file);
        analysis.price = args.price.or(analysis.price);
        analysis
    });
    // A closed stdout (`| head`) still gets the HTML page written before the quiet end.
    let printed = print_summary(args, &file, &analysis);
    if let Some(out) = html_path(
        args.html.as_ref().map(Option::as_deref),
        &[&args.results],
        "",
    ) {
        let out = &out;
        if let (Some(reference), Some(summary)) = (&reference, &analysis.summary) {
            for group in reference.unmatched(summary) {
                eprintln!("Reference: {group} is not a group of these results; not drawn");
            }
        }
        write_html(args, &file, &analysis, reference.as_ref(), out)?;
    }
    printed?;
    Ok(Exit::Success)
}

/// The summary on stdout (JSON, or the official layout with our extras on stderr).
fn print_summary(
    args: &ReportArgs,
    file: &ResultsFile,
    analysis: &LazyCell<Analysis, impl FnOnce() -> Analysis>,
) -> anyhow::Result<()> {
    let mut out = output::stdout();
    if args.json {
        let value = summary_value(summarize(&file.cases).as_ref());
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        write!(
            out,
            "{}",
            terminal::render(&file.meta, analysis.summary.as_ref())
        )?;
        extras::print_analysis(analysis, args.ci);
    }
    Ok(())
}

fn write_html(
    args: &ReportArgs,
    file: &ResultsFile,
    analysis: &Analysis,
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
        analysis,
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
fn data_args(given: &ReportDataArgs, file: &ResultsFile) -> DataArgs {
    let mut data = given.flags.clone();
    if given.dataset.is_none()
        && let Some(name) = file.meta.get("dataset").and_then(Value::as_str)
        && !name.is_empty()
    {
        data.dataset = name.to_string();
    }
    data
}
