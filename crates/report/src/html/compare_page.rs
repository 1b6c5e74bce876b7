//! The page of `compare --html`: several runs side by side over the cases they all have,
//! with every pair's difference. Separate from [`super::report_page`]: it reads a
//! comparison, not one run's summary, and shares only the shell and chart helpers of
//! [`super`].

use std::fmt::Write;

use super::{
    axis, chart_or_note, chart_title, escape, figure, meta_text, page_end, page_start, plural,
};
use crate::compare_table::pair_text;
use crate::svg::{self, Bar, ChartOptions, Estimate, ForestOptions, ForestRow, Group, percent};
use liveclin_core::analysis::Breakdown;
use liveclin_core::analysis::bootstrap::Statistic;
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::analysis::compare::{ComparedGroup, Comparison, PairDifference};
use liveclin_core::results::ResultsFile;

/// One run of a comparison page.
pub struct ComparedRun<'a> {
    /// Its label, as in the comparison.
    pub label: &'a str,
    pub file: &'a ResultsFile,
    /// How its results file is named on the page (its path as given).
    pub source: &'a str,
}

/// The page of `liveclin compare --html`: the runs, the reading and the comparison's
/// warnings; each run's question and case accuracy with every pair's difference and a
/// forest plot of them; and per breakdown a chart with one bar per run in each group
/// (each bar labelled with its run's shape and number, and the later runs' with their
/// difference from the first), then a forest plot of the differences. The forest plots
/// show each later run against the first, or every pair with `all_pairs` (as the table
/// does). `comparison` is computed from the same runs.
pub fn compare_page(runs: &[ComparedRun], comparison: &Comparison, all_pairs: bool) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let names: Vec<&str> = runs.iter().map(|r| r.label).collect();
    page_start(
        &mut out,
        &format!("LiveClin comparison: {}", names.join(" vs ")),
    );
    compare_header(&mut out, runs, comparison);
    let pairs = shown_pairs(runs.len(), all_pairs);
    compare_headline(&mut out, runs, comparison, &pairs);
    compare_breakdowns(&mut out, runs, comparison, &pairs);
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

/// A run's mark in the charts, its colour and its shape, beside its name wherever the
/// page names it.
fn swatch(run: usize) -> String {
    format!(
        "<svg class=\"swatch\" viewBox=\"0 0 12 12\" width=\"12\" height=\"12\" aria-hidden=\"true\">{}</svg>",
        svg::marker(run, 6.0, 6.0, 4.0, true)
    )
}

/// `[2]`: how the table, the charts and the differences name a run.
fn run_tag(run: usize) -> String {
    format!("[{}]", run + 1)
}

/// Whether the interval of a pair's difference excludes 0.
fn excludes_zero(pair: &PairDifference) -> bool {
    svg::excludes_zero(pair.low, pair.high)
}

/// A pair of runs whose difference is shown: `later` minus `earlier`, the `index`-th of
/// the comparison's `pairs` (which list every pair, earlier run first).
#[derive(Debug, Clone, Copy)]
struct Pair {
    earlier: usize,
    later: usize,
    index: usize,
}

/// The pairs the forest plots show: each later run against the first, or every pair
/// with `all_pairs`, in the comparison's order.
fn shown_pairs(runs: usize, all_pairs: bool) -> Vec<Pair> {
    let every =
        (0..runs).flat_map(|earlier| (earlier + 1..runs).map(move |later| (earlier, later)));
    every
        .enumerate()
        .map(|(index, (earlier, later))| Pair {
            earlier,
            later,
            index,
        })
        .filter(|p| all_pairs || p.earlier == 0)
        .collect()
}

fn compare_header(out: &mut String, runs: &[ComparedRun], v: &Comparison) {
    let names: Vec<String> = runs.iter().map(|r| escape(r.label)).collect();
    let _ = write!(
        out,
        "<header>\n<p class=\"kicker\">LiveClin comparison · {} reading</p>\n<h1>{}</h1>\n<table class=\"runs\"><thead><tr><th>Run</th><th>Label</th><th>Model</th><th>Dataset</th><th>Image mode</th><th>Cases in the file</th><th>Results file</th></tr></thead><tbody>\n",
        v.reading.name(),
        names.join(" <span class=\"vs\">vs</span> ")
    );
    for (i, run) in runs.iter().enumerate() {
        let meta = |key: &str| escape(&meta_text(&run.file.meta, key).unwrap_or_default());
        let _ = writeln!(
            out,
            "<tr><td style=\"white-space:nowrap\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
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
    let _ = write!(
        out,
        "<dt>Compared over</dt><dd>{} all runs have</dd>",
        plural(v.common_cases as i64, "case")
    );
    let _ = write!(
        out,
        "<dt>Reading</dt><dd>{}: {} (<code>--reading</code>)</dd>",
        v.reading.name(),
        escape(v.reading.description())
    );
    let _ = write!(
        out,
        "<dt>Method</dt><dd>{}, {} resamples, seed {}</dd>",
        escape(v.method),
        v.resamples,
        v.seed
    );
    out.push_str("</dl>\n");
    let warnings = &v.warnings;
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

/// Each run's overall accuracies, every pair's differences as a table, and the shown
/// pairs' as a forest plot: the numbers a reader looks at first.
fn compare_headline(out: &mut String, runs: &[ComparedRun], v: &Comparison, pairs: &[Pair]) {
    out.push_str("<section id=\"headline\">\n<h2>Headline</h2>\n");
    let Some(overall) = &v.overall else {
        out.push_str(
            "<p>No results to compare: the runs have no case in common.</p>\n</section>\n",
        );
        return;
    };
    out.push_str("<div class=\"cards\">\n");
    for statistic in Statistic::ALL {
        let _ = write!(
            out,
            "<div class=\"card\"><div class=\"k\">{}</div>",
            statistic.title()
        );
        for (i, run) in runs.iter().enumerate() {
            let value = value_of(overall, statistic, i);
            // In ink, not in the run's colour: the light colours of the palette are
            // too faint for text; the swatch beside it carries the colour.
            let _ = write!(
                out,
                "<div class=\"runv\"><span>{}{} {}</span><b>{}</b></div>",
                swatch(i),
                run_tag(i),
                escape(run.label),
                value.map_or_else(|| "n/a".to_string(), percent)
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n");
    out.push_str("<table class=\"diffs\"><thead><tr><th>Difference</th><th>Measure</th><th class=\"num\">Points</th><th class=\"num\">95% interval</th><th class=\"num\">p-value</th></tr></thead><tbody>\n");
    for pair in shown_pairs(runs.len(), true) {
        for statistic in Statistic::ALL {
            if let Some(difference) = pair_of(overall, statistic, pair) {
                difference_row(out, runs, pair, statistic.title(), difference);
            }
        }
    }
    out.push_str("</tbody></table>\n");
    let rows: Vec<ForestRow> = Statistic::ALL
        .iter()
        .map(|statistic| forest_row(statistic.title(), None, overall, *statistic, pairs, runs))
        .collect();
    let svg = svg::forest_plot(
        "Overall differences",
        &rows,
        &forest_options("difference, percentage points", &series(runs)),
    );
    figure(out, "overall-differences", &svg, &forest_caption(pairs));
    let _ = writeln!(
        out,
        "<p class=\"note\">Accuracies over the {} all runs have (a run's own report may count others), by the {} reading: {}. Differences: the later run minus the earlier, in percentage points, with a 95% paired case-level bootstrap interval (every resample draws the same cases for both runs) and a two-sided p-value. In bold, the differences whose interval excludes 0. Groups of fewer than {SMALL_GROUP} cases are flagged \"small\": their intervals are wide.</p>",
        plural(v.common_cases as i64, "case"),
        v.reading.name(),
        escape(v.reading.description())
    );
    out.push_str("</section>\n");
}

/// One line of the headline's table: a pair's difference in one measure, in bold when
/// its interval excludes 0.
fn difference_row(
    out: &mut String,
    runs: &[ComparedRun],
    p: Pair,
    measure: &str,
    pair: &PairDifference,
) {
    let _ = writeln!(
        out,
        "<tr{}><td>{}{} {} − {} {}</td><td>{measure}</td><td class=\"num\">{:+.1}</td><td class=\"num\">{:+.1} to {:+.1}</td><td class=\"num\">{}</td></tr>",
        if excludes_zero(pair) {
            " class=\"sig\""
        } else {
            ""
        },
        swatch(p.later),
        run_tag(p.later),
        escape(runs[p.later].label),
        run_tag(p.earlier),
        escape(runs[p.earlier].label),
        pair.difference * 100.0,
        pair.low * 100.0,
        pair.high * 100.0,
        pair.p_value
            .map_or("n/a".to_string(), |p| format!("{p:.3}"))
    );
}

/// Run `run`'s value of a statistic in a group, if the statistic applies.
fn value_of(group: &ComparedGroup, statistic: Statistic, run: usize) -> Option<f64> {
    group.get(statistic)?.values.get(run).copied()
}

/// A shown pair's difference in a statistic of a group, if the statistic applies.
fn pair_of(group: &ComparedGroup, statistic: Statistic, pair: Pair) -> Option<&PairDifference> {
    group.get(statistic)?.pairs.get(pair.index)
}

/// Each run as the charts' legends name it: `[2] label`.
fn series(runs: &[ComparedRun]) -> Vec<String> {
    runs.iter()
        .enumerate()
        .map(|(i, r)| format!("{} {}", run_tag(i), r.label))
        .collect()
}

/// The options of every forest plot of the page, measuring `axis`.
fn forest_options<'a>(axis: &'a str, series: &'a [String]) -> ForestOptions<'a> {
    ForestOptions {
        axis,
        series_labels: series,
        below: "earlier run better",
        above: "later run better",
    }
}

/// What a forest plot of the page shows, under it.
fn forest_caption(pairs: &[Pair]) -> String {
    let which = if pairs.iter().all(|p| p.earlier == 0) {
        format!("each later run minus {}", run_tag(0))
    } else {
        "every pair, the later run minus the earlier".to_string()
    };
    format!(
        "One line per difference: {which}, in percentage points, at its tag on the left, drawn in the later run's colour and shape with its 95% paired bootstrap interval; filled and in bold when the interval excludes 0, hollow when it includes 0. On the right, the difference, interval and two-sided p-value."
    )
}

/// One group of a breakdown: its label, the section it is drawn under (the chapter of a
/// subcategory) and its numbers in the comparison.
struct Compared<'v> {
    label: String,
    section: Option<String>,
    group: &'v ComparedGroup,
}

/// The groups of `breakdown` in the comparison, in its order.
fn compared_groups(v: &Comparison, breakdown: Breakdown) -> Vec<Compared<'_>> {
    v.groups
        .of(breakdown)
        .iter()
        .map(|g| Compared {
            label: if breakdown == Breakdown::Rarity {
                liveclin_core::pytext::capitalize(&g.name)
            } else {
                g.name.clone()
            },
            section: g.chapter.clone(),
            group: &g.value,
        })
        .collect()
}

/// Per breakdown, the runs' accuracies as bars, then the shown pairs' differences as a
/// forest plot: the bars say how good each run is, the forest plot whether they differ.
fn compare_breakdowns(out: &mut String, runs: &[ComparedRun], v: &Comparison, pairs: &[Pair]) {
    out.push_str("<section id=\"breakdowns\">\n<h2>Breakdowns</h2>\n");
    let series = series(runs);
    for breakdown in Breakdown::ALL {
        let statistic = breakdown.statistic();
        let compared = compared_groups(v, breakdown);
        let groups: Vec<Group> = compared
            .iter()
            .map(|c| compared_group(c, statistic, runs.len()))
            .collect();
        let caption = format!(
            "{} of each run over the common cases. Beside each bar: its run's shape and number; beside each later run's, its difference from {} in points, with the 95% paired bootstrap interval and the two-sided p-value.",
            statistic.title(),
            run_tag(0)
        );
        chart_or_note(
            out,
            breakdown,
            &groups,
            &series,
            &ChartOptions {
                axis: axis(statistic),
                ..Default::default()
            },
            &caption,
        );
        if compared.is_empty() {
            continue;
        }
        let rows: Vec<ForestRow> = compared
            .iter()
            .map(|c| {
                forest_row(
                    &c.label,
                    c.section.as_deref(),
                    c.group,
                    statistic,
                    pairs,
                    runs,
                )
            })
            .collect();
        let forest_axis = format!(
            "difference in {}, percentage points",
            statistic.title().to_lowercase()
        );
        let svg = svg::forest_plot(
            &differences_title(&chart_title(breakdown)),
            &rows,
            &forest_options(&forest_axis, &series),
        );
        figure(
            out,
            &format!("{}-differences", breakdown.key()),
            &svg,
            &forest_caption(pairs),
        );
    }
    out.push_str("</section>\n");
}

/// "Differences in case accuracy by rarity", from the bar chart's title.
fn differences_title(title: &str) -> String {
    let mut chars = title.chars();
    let first = chars.next().map(|c| c.to_lowercase().to_string());
    format!(
        "Differences in {}{}",
        first.unwrap_or_default(),
        chars.as_str()
    )
}

/// One group of a comparison chart: a bar per run, each labelled with its run's shape
/// and number (the cue besides colour), the later ones with their difference from the
/// first (the comparison lists the first run's pairs first: run `i`'s is the
/// `i - 1`-th).
fn compared_group(compared: &Compared, statistic: Statistic, runs: usize) -> Group {
    let group = compared.group;
    let cases = group.cases as i64;
    let other = match statistic {
        Statistic::Question => Statistic::Case,
        Statistic::Case => Statistic::Question,
    };
    let bars = (0..runs)
        .map(|i| {
            let value = value_of(group, statistic, i)?;
            let note = value_of(group, other, i)
                .map(|o| format!("{} {}", other.title().to_lowercase(), percent(o)))
                .unwrap_or_default();
            let said = match i {
                0 => plural(cases, "case"),
                _ => group
                    .get(statistic)
                    .and_then(|c| c.pairs.get(i - 1))
                    .map(pair_text)
                    .unwrap_or_default(),
            };
            Some(Bar {
                value,
                interval: None,
                size: plural(cases, "case"),
                small: group.small,
                note,
                annotation: format!("{} {} {said}", svg::series_shape(i).glyph(), run_tag(i)),
            })
        })
        .collect();
    Group {
        label: compared.label.clone(),
        section: compared.section.clone(),
        bars,
        reference: None,
    }
}

/// One group of a forest plot: a line per shown pair, its difference in `statistic`.
fn forest_row(
    label: &str,
    section: Option<&str>,
    group: &ComparedGroup,
    statistic: Statistic,
    pairs: &[Pair],
    runs: &[ComparedRun],
) -> ForestRow {
    ForestRow {
        label: label.to_string(),
        section: section.map(str::to_string),
        size: plural(group.cases as i64, "case"),
        small: group.small,
        estimates: pairs
            .iter()
            .filter_map(|&p| Some(estimate(pair_of(group, statistic, p)?, p, runs)))
            .collect(),
    }
}

/// A pair's difference as a forest plot draws it.
fn estimate(pair: &PairDifference, p: Pair, runs: &[ComparedRun]) -> Estimate {
    Estimate {
        tag: format!("{}-{}", run_tag(p.later), run_tag(p.earlier)),
        series: p.later,
        value: pair.difference,
        low: pair.low,
        high: pair.high,
        text: pair_text(pair),
        name: format!(
            "{} {} minus {} {}",
            run_tag(p.later),
            runs[p.later].label,
            run_tag(p.earlier),
            runs[p.earlier].label
        ),
    }
}
