//! `liveclin compare A.json B.json [...]`: runs side by side over the cases they all
//! have, with paired bootstrap intervals and p-values for every difference.

use std::borrow::Cow;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::CompareArgs;
use crate::exit::Exit;
use crate::output;
use liveclin_core::analysis::bootstrap::{Options, SUBCATEGORY_SEPARATOR};
use liveclin_core::analysis::compare::{Comparison, Reading, Run, compare, pair_text};
use liveclin_core::results::{self, ResultsFile};
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
        serde_json::to_string_pretty(&comparison.value)
            .map_err(anyhow::Error::from)
            .and_then(|json| writeln!(output::stdout(), "{json}"))
    } else {
        write!(
            output::stdout(),
            "{}",
            table(&comparison, args.reading, args.all_pairs)
        )
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
            &html::compare_page(&pages, &comparison.value, args.all_pairs),
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

const BREAKDOWNS: [(&str, &str); 8] = [
    ("overall", "Overall"),
    ("by_rarity", "By Rarity (case accuracy)"),
    ("by_chapter", "By Chapter (case accuracy)"),
    ("by_subcategory", "By Subcategory (case accuracy)"),
    ("by_stage", "By Clinical Stage (question accuracy)"),
    ("by_position", "By Question Position (question accuracy)"),
    ("by_image_modality", "By Image Modality (question accuracy)"),
    ("by_table_modality", "By Table Modality (question accuracy)"),
];

/// The readable table: for every group, each run's accuracy and the difference of each
/// later run from the first (every pair with `all_pairs`), with its interval and p-value.
/// The header says which reading counted the answers: the numbers depend on it.
fn table(c: &Comparison, reading: Reading, all_pairs: bool) -> String {
    let v = &c.value;
    let runs: Vec<&str> = v["runs"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(
        o,
        "Comparing {} runs over the {} cases all of them have:",
        runs.len(),
        c.common_cases
    );
    for (i, run) in runs.iter().enumerate() {
        let _ = writeln!(o, "  [{}] {run}", i + 1);
    }
    let _ = writeln!(o, "Reading: {}, {}.", reading.name(), reading.description());
    let _ = writeln!(
        o,
        "Differences: later run minus earlier, in points, with a 95% paired case-level bootstrap interval\nand p-value ({} resamples); * marks groups of fewer than 20 cases.",
        v["resamples"]
    );
    for (key, title) in BREAKDOWNS {
        let _ = writeln!(o, "\n{title}");
        if key == "overall" {
            for stat in ["question_accuracy", "case_accuracy"] {
                row(o, &stat_label(stat), &v["overall"], stat, all_pairs);
            }
            continue;
        }
        let stat =
            if key == "overall" || ["by_rarity", "by_chapter", "by_subcategory"].contains(&key) {
                "case_accuracy"
            } else {
                "question_accuracy"
            };
        let Some(groups) = v[key].as_object() else {
            continue;
        };
        for (name, entry) in groups {
            if key == "by_subcategory" {
                for (sub, inner) in entry.as_object().into_iter().flatten() {
                    let label = format!("{name}{SUBCATEGORY_SEPARATOR}{sub}");
                    row(
                        o,
                        &label.replace(SUBCATEGORY_SEPARATOR, " / "),
                        inner,
                        stat,
                        all_pairs,
                    );
                }
            } else {
                row(o, name, entry, stat, all_pairs);
            }
        }
    }
    out
}

fn stat_label(stat: &str) -> String {
    match stat {
        "question_accuracy" => "Question accuracy".into(),
        _ => "Case accuracy".into(),
    }
}

/// One group: `name  n cases  61.2%  66.0%  [2]-[1] +4.8 (-1.0, +10.5) p=0.110`.
fn row(o: &mut String, name: &str, entry: &Value, stat: &str, all_pairs: bool) {
    let small = if entry["small"] == true { "*" } else { " " };
    let mut label: String = name.chars().take(44).collect();
    if name.chars().count() > 44 {
        label.pop();
        label.push('~');
    }
    let cases = entry["cases"].as_u64().unwrap_or(0);
    let _ = write!(o, "  {label:<44} {cases:>5} cases{small}");
    let values = entry[stat]["values"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for value in &values {
        let _ = write!(o, " {:>6.1}%", value.as_f64().unwrap_or(0.0) * 100.0);
    }
    let runs = values.len();
    let mut k = 0;
    for i in 0..runs {
        for j in i + 1..runs {
            let pair = &entry[stat]["pairs"][k];
            k += 1;
            if i > 0 && !all_pairs {
                continue;
            }
            let _ = write!(o, "  [{}]-[{}] {}", j + 1, i + 1, pair_text(pair));
        }
    }
    let _ = writeln!(o);
}
