//! The page of `compare --html`: several runs side by side over the cases they all have,
//! with every pair's difference. Separate from [`super::report_page`]: it reads a
//! comparison, not one run's summary, and shares only the shell and chart helpers of
//! [`super`].

use std::fmt::Write;

use serde_json::Value;

use super::{
    CHART_TITLES, chart_or_note, escape, is_small, meta_text, page_end, page_start, plural,
};
use crate::analysis::compare::pair_text;
use crate::report::svg::{self, Bar, ChartOptions, Group, percent};
use crate::results::ResultsFile;

/// One run of a comparison page.
pub struct ComparedRun<'a> {
    /// Its label, as in the comparison.
    pub label: &'a str,
    pub file: &'a ResultsFile,
    /// How its results file is named on the page (its path as given).
    pub source: &'a str,
}

/// The page of `liveclin compare --html`: the runs and the comparison's warnings; each
/// run's question and case accuracy with every pair's difference; and a chart per
/// breakdown with one bar per run in each group and, beside each later run's bar, its
/// difference from the first with its interval and p-value. `comparison` is
/// [`crate::analysis::compare::Comparison::value`], computed from the same runs.
pub fn compare_page(runs: &[ComparedRun], comparison: &Value) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let names: Vec<&str> = runs.iter().map(|r| r.label).collect();
    page_start(
        &mut out,
        &format!("LiveClin comparison: {}", names.join(" vs ")),
    );
    compare_header(&mut out, runs, comparison);
    compare_headline(&mut out, runs, comparison);
    compare_breakdowns(&mut out, runs, comparison);
    let files: Vec<String> = runs
        .iter()
        .map(|r| format!("<code>{}</code>", escape(r.source)))
        .collect();
    page_end(
        &mut out,
        &format!(
            "{}. This page is self-contained: it loads nothing from the network.",
            files.join(", ")
        ),
        None,
    );
    out
}

/// A run's colour in the charts, as a small square.
fn swatch(run: usize) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{}\"></span>",
        svg::PALETTE[run % svg::PALETTE.len()]
    )
}

/// `[2]`: how the table, the charts and the differences name a run.
fn run_tag(run: usize) -> String {
    format!("[{}]", run + 1)
}

/// Whether the interval of a pair's difference excludes 0.
fn excludes_zero(pair: &Value) -> bool {
    let side = |key: &str| pair[key].as_f64().unwrap_or(0.0);
    side("low") > 0.0 || side("high") < 0.0
}

fn compare_header(out: &mut String, runs: &[ComparedRun], v: &Value) {
    let names: Vec<String> = runs.iter().map(|r| escape(r.label)).collect();
    let _ = write!(
        out,
        "<header>\n<p class=\"kicker\">LiveClin comparison</p>\n<h1>{}</h1>\n<table class=\"runs\"><thead><tr><th>Run</th><th>Label</th><th>Model</th><th>Dataset</th><th>Image mode</th><th>Cases in the file</th><th>Results file</th></tr></thead><tbody>\n",
        names.join(" <span class=\"vs\">vs</span> ")
    );
    for (i, run) in runs.iter().enumerate() {
        let meta = |key: &str| escape(&meta_text(&run.file.meta, key).unwrap_or_default());
        let _ = writeln!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            swatch(i),
            run_tag(i),
            escape(run.label),
            meta("model"),
            meta("dataset"),
            meta("image_mode"),
            run.file.cases.len(),
            escape(run.source)
        );
    }
    out.push_str("</tbody></table>\n<dl class=\"meta\">");
    let common = v["common_cases"].as_i64().unwrap_or(0);
    let _ = write!(
        out,
        "<dt>Compared over</dt><dd>{} all runs have</dd>",
        plural(common, "case")
    );
    if let Some(method) = v["method"].as_str() {
        let _ = write!(
            out,
            "<dt>Method</dt><dd>{}, {} resamples, seed {}</dd>",
            escape(method),
            v["resamples"],
            v["seed"]
        );
    }
    out.push_str("</dl>\n");
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if warnings.is_empty() {
        out.push_str("<p class=\"note\">No warnings: the runs share their config, image mode, tool and cases, each covers its whole config, and none has API failures or skipped questions.</p>\n");
    } else {
        out.push_str("<div class=\"warnings\" role=\"alert\"><strong>Warnings: read these before the numbers</strong><ul>");
        for warning in warnings {
            let _ = write!(out, "<li>{}</li>", escape(warning));
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str(
        "<nav><a href=\"#headline\">Headline</a><a href=\"#breakdowns\">Breakdowns</a></nav>\n</header>\n",
    );
}

const COMPARED_STATS: [(&str, &str); 2] = [
    ("question_accuracy", "Question accuracy"),
    ("case_accuracy", "Case accuracy"),
];

fn compare_headline(out: &mut String, runs: &[ComparedRun], v: &Value) {
    out.push_str("<section id=\"headline\">\n<h2>Headline</h2>\n");
    let overall = &v["overall"];
    if !overall.is_object() {
        out.push_str(
            "<p>No results to compare: the runs have no case in common.</p>\n</section>\n",
        );
        return;
    }
    out.push_str("<div class=\"cards\">\n");
    for (stat, name) in COMPARED_STATS {
        let _ = write!(out, "<div class=\"card\"><div class=\"k\">{name}</div>");
        for (i, run) in runs.iter().enumerate() {
            let value = overall[stat]["values"][i].as_f64();
            let _ = write!(
                out,
                "<div class=\"runv\"><span>{}{} {}</span><b style=\"color:{}\">{}</b></div>",
                swatch(i),
                run_tag(i),
                escape(run.label),
                svg::PALETTE[i % svg::PALETTE.len()],
                value.map_or_else(|| "n/a".to_string(), percent)
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n");
    out.push_str("<table class=\"diffs\"><thead><tr><th>Difference</th><th>Measure</th><th class=\"num\">Points</th><th class=\"num\">95% interval</th><th class=\"num\">p-value</th></tr></thead><tbody>\n");
    let mut k = 0;
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            for (stat, name) in COMPARED_STATS {
                let pair = &overall[stat]["pairs"][k];
                let points = |key: &str| pair[key].as_f64().unwrap_or(0.0) * 100.0;
                let _ = writeln!(
                    out,
                    "<tr{}><td>{} {} − {} {}</td><td>{name}</td><td class=\"num\">{:+.1}</td><td class=\"num\">{:+.1} to {:+.1}</td><td class=\"num\">{}</td></tr>",
                    if excludes_zero(pair) {
                        " class=\"sig\""
                    } else {
                        ""
                    },
                    run_tag(j),
                    escape(runs[j].label),
                    run_tag(i),
                    escape(runs[i].label),
                    points("difference"),
                    points("low"),
                    points("high"),
                    pair["p_value"]
                        .as_f64()
                        .map_or("n/a".to_string(), |p| format!("{p:.3}"))
                );
            }
            k += 1;
        }
    }
    out.push_str("</tbody></table>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">Accuracies over the {} all runs have (a run's own report may count others). Differences: the later run minus the earlier, in percentage points, with a 95% paired case-level bootstrap interval (every resample draws the same cases for both runs) and a two-sided p-value. In bold, the differences whose interval excludes 0. Groups of fewer than 20 cases are flagged \"small\": their intervals are wide.</p>",
        plural(v["common_cases"].as_i64().unwrap_or(0), "case")
    );
    out.push_str("</section>\n");
}

fn compare_breakdowns(out: &mut String, runs: &[ComparedRun], v: &Value) {
    out.push_str("<section id=\"breakdowns\">\n<h2>Breakdowns</h2>\n");
    let series: Vec<String> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{} {}", run_tag(i), r.label))
        .collect();
    for (breakdown, _) in CHART_TITLES {
        let case_level = ["by_rarity", "by_chapter", "by_subcategory"].contains(&breakdown);
        let (stat, other, axis) = if case_level {
            (
                "case_accuracy",
                "question_accuracy",
                "case accuracy (every question of the case right)",
            )
        } else {
            ("question_accuracy", "case_accuracy", "question accuracy")
        };
        let mut groups: Vec<Group> = Vec::new();
        for (name, entry) in v[breakdown].as_object().into_iter().flatten() {
            if breakdown == "by_subcategory" {
                for (sub, inner) in entry.as_object().into_iter().flatten() {
                    groups.push(compared_group(
                        sub,
                        Some(name),
                        inner,
                        stat,
                        other,
                        runs.len(),
                    ));
                }
            } else {
                let label = if breakdown == "by_rarity" {
                    crate::pytext::capitalize(name)
                } else {
                    name.clone()
                };
                groups.push(compared_group(&label, None, entry, stat, other, runs.len()));
            }
        }
        let measure = if case_level {
            "Case accuracy"
        } else {
            "Question accuracy"
        };
        let caption = format!(
            "{measure} of each run over the common cases. Beside each later run's bar: its difference from {} in points, with the 95% paired bootstrap interval and the two-sided p-value.",
            run_tag(0)
        );
        chart_or_note(
            out,
            breakdown,
            &groups,
            &series,
            &ChartOptions {
                axis,
                ..Default::default()
            },
            &caption,
        );
    }
    out.push_str("</section>\n");
}

/// One group of a comparison chart: a bar per run, the later ones annotated with their
/// difference from the first (`pairs` lists the pairs with the first run first).
fn compared_group(
    label: &str,
    section: Option<&str>,
    entry: &Value,
    stat: &str,
    other: &str,
    runs: usize,
) -> Group {
    let cases = entry["cases"].as_i64().unwrap_or(0);
    let small = is_small(Some(entry), cases);
    let other_name = other.replace('_', " ");
    let bars = (0..runs)
        .map(|i| {
            let value = entry[stat]["values"][i].as_f64()?;
            let mut note = String::new();
            if let Some(o) = entry[other]["values"][i].as_f64() {
                note = format!("{other_name} {}", percent(o));
            }
            let annotation = match i {
                0 => String::new(),
                _ => pair_text(&entry[stat]["pairs"][i - 1]),
            };
            Some(Bar {
                value,
                interval: None,
                size: plural(cases, "case"),
                small,
                note,
                annotation,
            })
        })
        .collect();
    Group {
        label: label.to_string(),
        section: section.map(str::to_string),
        bars,
        reference: None,
    }
}
