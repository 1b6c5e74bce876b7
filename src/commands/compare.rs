//! `liveclin compare A.json B.json [...]`: runs side by side over the cases they all
//! have, with paired bootstrap intervals and p-values for every difference.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::CompareArgs;
use crate::exit::Exit;
use crate::output;
use liveclin_core::analysis::bootstrap::Options;
use liveclin_core::analysis::compare::{Reading, Run, compare};
use liveclin_core::results::{self, ResultsFile};
use liveclin_report::compare_table::table;
use liveclin_report::html::{self, ComparedRun, html_path};

pub(crate) fn run(args: &CompareArgs) -> anyhow::Result<Exit> {
    let files: Vec<ResultsFile> = args
        .results
        .iter()
        .map(|p| results::read(p))
        .collect::<Result<_, _>>()?;
    let counted = read_as(args.reading, &files, &args.results)?;
    let runs = labelled(args, &counted);
    let opts = Options {
        resamples: args.resamples as usize,
        seed: args.seed,
        ..Options::default()
    };
    let comparison = compare(&runs, &opts, args.reading);
    // A closed stdout (`| head`) ends the command quietly, after its warnings and page.
    let printed = if args.json {
        serde_json::to_string_pretty(&comparison)
            .map_err(anyhow::Error::from)
            .and_then(|json| writeln!(output::stdout(), "{json}"))
    } else {
        write!(output::stdout(), "{}", table(&comparison, args.all_pairs))
    };
    for warning in &comparison.warnings {
        eprintln!("{} {warning}", liveclin_term::warning());
    }
    let results: Vec<&Path> = args.results.iter().map(PathBuf::as_path).collect();
    // The robust page gets a name of its own, so that it never overwrites the official one.
    let prefix = match args.reading {
        Reading::Official => "compare-".to_string(),
        other => format!("compare-{}-", other.name()),
    };
    if let Some(out) = html_path(args.html.as_ref().map(Option::as_deref), &results, &prefix) {
        let out = &out;
        let sources: Vec<String> = args
            .results
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let pages: Vec<ComparedRun> = runs
            .iter()
            .zip(&sources)
            .map(|(run, source)| ComparedRun {
                label: &run.label,
                file: run.file,
                source,
            })
            .collect();
        html::write_page(
            out,
            &html::compare_page(&pages, &comparison, args.all_pairs),
        )?;
        eprintln!("HTML comparison: {}", out.display());
    }
    printed?;
    Ok(Exit::Success)
}

/// Every file as `reading` counts it, before anything is compared: a file the reading
/// cannot count is refused by its path, with nothing written.
fn read_as<'a>(
    reading: Reading,
    files: &'a [ResultsFile],
    paths: &[PathBuf],
) -> anyhow::Result<Vec<Cow<'a, ResultsFile>>> {
    files
        .iter()
        .zip(paths)
        .map(|(file, path)| {
            reading
                .apply(file)
                .map_err(|why| anyhow::anyhow!("{}: {why}", path.display()))
        })
        .collect()
}

/// Each run's label: its model, with the file name added when two runs share a model.
fn labelled<'a>(args: &CompareArgs, files: &'a [Cow<'a, ResultsFile>]) -> Vec<Run<'a>> {
    let model = |f: &ResultsFile| {
        f.meta
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    files
        .iter()
        .zip(&args.results)
        .map(|(file, path)| {
            let name = model(file);
            let shared = files.iter().filter(|f| model(f) == name).count() > 1;
            let label = if shared {
                format!("{name} ({})", path.display())
            } else {
                name
            };
            Run {
                label,
                file: file.as_ref(),
            }
        })
        .collect()
}
