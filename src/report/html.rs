//! `report --html`: one self-contained HTML page for a results file, to open offline
//! and share. Everything is inline: the CSS in one `<style>`, a little vanilla JS in one
//! `<script>` (the case filters), the charts as inline SVG ([`super::svg`]). Nothing is
//! loaded from anywhere: no external script, stylesheet, font or image, and pictures of
//! the cases are named by caption and URL as text, never shown.
//!
//! Every piece of text that comes from the dataset, the model or the results file goes
//! through [`escape`], in element content and in attribute values alike; the data the
//! filters need sits in escaped data-attributes, never in a script.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::path::Path;

use serde_json::{Map, Value};

use super::reference::Reference;
use super::svg::{self, Bar, ChartOptions, Group, Line, Point, percent};
use crate::analysis::compare::pair_text;
use crate::analysis::outcome::Outcome;
use crate::analysis::summary::{CaseCounts, Groups, McqCounts};
use crate::analysis::{Summary, insight, summarize, taxonomy};
use crate::dataset::{Dataset, LoadedCase};
use crate::prompt::{self, ImageMode, Picture};
use crate::results::{CaseRecord, McqRecord, ResultsFile};

/// The one escape function of the report: `& < > " '` as entities, for element
/// content and (double- or single-quoted) attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where the question texts of the transcripts come from.
pub enum Questions<'a> {
    /// The dataset config the results were run on; cases are matched by case id.
    Dataset {
        dataset: &'a Dataset,
        image_root: &'a Path,
    },
    /// The dataset could not be loaded (why): transcripts show the results alone.
    Unavailable(String),
}

/// Everything the page is made of.
pub struct Page<'a> {
    pub file: &'a ResultsFile,
    /// How the results file is named on the page (its path as given).
    pub source: &'a str,
    pub reference: Option<&'a Reference>,
    pub questions: Questions<'a>,
}

/// Our top-level keys (`outcomes`, `confidence_intervals`, `multi_turn`): as stored in
/// the file, and computed from its cases for any that is absent.
pub fn our_keys(file: &ResultsFile) -> Map<String, Value> {
    const KEYS: [&str; 3] = ["outcomes", "confidence_intervals", "multi_turn"];
    let mut keys = Map::new();
    let mut computed: Option<Map<String, Value>> = None;
    for key in KEYS {
        let value = match file.extra.get(key) {
            Some(value) if !value.is_null() => Some(value.clone()),
            _ => computed
                .get_or_insert_with(|| insight::keys(&file.cases))
                .get(key)
                .cloned(),
        };
        if let Some(value) = value {
            keys.insert(key.to_string(), value);
        }
    }
    keys
}

/// The whole page.
pub fn render(page: &Page) -> String {
    let file = page.file;
    let summary = summarize(&file.cases);
    let ours = our_keys(file);
    let ctx = Context {
        summary: summary.as_ref(),
        ci: ours.get("confidence_intervals"),
        multi: ours.get("multi_turn"),
        outcomes: ours.get("outcomes"),
        reference: page.reference,
        model: meta_text(&file.meta, "model").unwrap_or_else(|| "model".into()),
        group_cases: group_cases(&file.cases),
    };

    let mut out = String::with_capacity(64 * 1024 + file.cases.len() * 8 * 1024);
    let title = format!(
        "LiveClin report: {} ({})",
        ctx.model,
        meta_text(&file.meta, "dataset").unwrap_or_else(|| "?".into())
    );
    page_start(&mut out, &title);
    header(&mut out, page, &ctx);
    headline(&mut out, &ctx);
    breakdowns(&mut out, &ctx);
    multi_turn(&mut out, &ctx);
    cases(&mut out, page, &ctx);
    page_end(
        &mut out,
        &format!(
            "<code>{}</code>. This page is self-contained: it loads nothing from the network; pictures are named, not shown.",
            escape(page.source)
        ),
        Some(SCRIPT),
    );
    out
}

/// The start of a page: its head, with `title` and the one inline style, up to `<main>`.
fn page_start(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"liveclin {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        escape(title)
    );
}

/// The end of a page: the footer, "Written by liveclin V from " then `from_html` (HTML,
/// its texts already escaped), and the inline script, if any.
fn page_end(out: &mut String, from_html: &str, script: Option<&str>) {
    let _ = write!(
        out,
        "<footer>Written by liveclin {} from {from_html}</footer>\n</main>\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(script) = script {
        let _ = writeln!(out, "<script>{script}</script>");
    }
    out.push_str("</body>\n</html>\n");
}

struct Context<'a> {
    summary: Option<&'a Summary>,
    ci: Option<&'a Value>,
    multi: Option<&'a Value>,
    outcomes: Option<&'a Value>,
    reference: Option<&'a Reference>,
    model: String,
    /// Distinct cases per group of the MCQ-level breakdowns, keyed by (breakdown, group).
    group_cases: HashMap<(&'static str, String), i64>,
}

impl Context<'_> {
    /// "95% interval", from the intervals' `level`.
    fn interval_label(&self) -> Option<String> {
        let ci = self.ci?;
        let level = ci.get("level").and_then(Value::as_f64).unwrap_or(0.95);
        Some(format!("{}% interval", trim_number(level * 100.0)))
    }

    /// The interval entry of a group: `confidence_intervals[breakdown][group]`.
    fn ci_entry(&self, breakdown: &str, group: &str) -> Option<&Value> {
        self.ci?.get(breakdown)?.get(group)
    }
}

fn trim_number(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

fn meta_text(meta: &Map<String, Value>, key: &str) -> Option<String> {
    match meta.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A timestamp as `2026-11-27 02:23:08 UTC` when it is RFC 3339, else as written.
fn when(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) if t.offset().local_minus_utc() == 0 => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Ok(t) => t.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => text.to_string(),
    }
}

fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn interval(entry: Option<&Value>, metric: &str) -> Option<(f64, f64)> {
    let m = entry?.get(metric)?;
    Some((m.get("low")?.as_f64()?, m.get("high")?.as_f64()?))
}

/// Flagged small: as the intervals say, else fewer than 20 cases.
fn is_small(entry: Option<&Value>, cases: i64) -> bool {
    entry
        .and_then(|e| e.get("small"))
        .and_then(Value::as_bool)
        .unwrap_or(cases < 20)
}

fn header(out: &mut String, page: &Page, ctx: &Context) {
    let meta = &page.file.meta;
    let _ = write!(
        out,
        "<header>\n<p class=\"kicker\">LiveClin evaluation report</p>\n<h1>{}</h1>\n<dl class=\"meta\">",
        escape(&ctx.model)
    );
    let mut row = |key: &str, value: String| {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(key), escape(&value));
    };
    if let Some(dataset) = meta_text(meta, "dataset") {
        row("Dataset", dataset);
    }
    if let Some(mode) = meta_text(meta, "image_mode") {
        row("Image mode", mode);
    }
    if let Some(t) = ctx.summary.map(|s| s.totals) {
        row(
            "Size",
            format!(
                "{}, {} (multiple-choice questions)",
                plural(t.cases, "case"),
                plural(t.mcqs, "MCQ")
            ),
        );
    }
    let started = meta_text(meta, "started_at");
    let finished = meta_text(meta, "finished_at");
    if let Some(s) = &started {
        row("Started", when(s));
    }
    if let Some(f) = &finished {
        let mut text = when(f);
        if let (Some(s), Some(f)) = (&started, &finished)
            && let (Ok(s), Ok(f)) = (
                chrono::DateTime::parse_from_rfc3339(s),
                chrono::DateTime::parse_from_rfc3339(f),
            )
        {
            let secs = (f - s).num_milliseconds() as f64 / 1000.0;
            if secs >= 0.0 {
                text.push_str(&format!(" ({} later)", duration(secs)));
            }
        }
        row("Finished", text);
    }
    if let Some(base) = meta_text(meta, "api_base") {
        row("API base", base);
    }
    let tool = [
        meta_text(meta, "tool"),
        meta_text(meta, "liveclin_version").map(|v| format!("v{v}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    if !tool.is_empty() {
        row("Written by", tool);
    }
    row("Results file", page.source.to_string());
    out.push_str(
        "</dl>\n<nav><a href=\"#headline\">Headline</a><a href=\"#breakdowns\">Breakdowns</a>",
    );
    if ctx.multi.is_some() {
        out.push_str("<a href=\"#multi-turn\">Multi-turn</a>");
    }
    out.push_str("<a href=\"#cases\">Cases</a></nav>\n</header>\n");
}

fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if secs < 3600.0 {
        format!("{:.0} min {:.0} s", (secs / 60.0).floor(), secs % 60.0)
    } else {
        format!(
            "{:.0} h {:.0} min",
            (secs / 3600.0).floor(),
            (secs % 3600.0) / 60.0
        )
    }
}

fn headline(out: &mut String, ctx: &Context) {
    out.push_str("<section id=\"headline\">\n<h2>Headline</h2>\n");
    let Some(summary) = ctx.summary else {
        out.push_str(
            "<p>No results to summarize: the results file has no cases.</p>\n</section>\n",
        );
        return;
    };
    let t = &summary.totals;
    let overall = ctx.ci.and_then(|ci| ci.get("overall"));
    let label = ctx.interval_label();
    out.push_str("<div class=\"cards\">\n");
    let reference_label = ctx.reference.map(|r| r.label.as_str());
    for (name, value, correct, total, unit, metric, reference) in [
        (
            "Question accuracy",
            t.question_accuracy(),
            t.correct_mcqs,
            t.mcqs,
            "questions",
            "question_accuracy",
            ctx.reference.and_then(|r| r.question_accuracy),
        ),
        (
            "Case accuracy",
            t.case_accuracy(),
            t.correct_cases,
            t.cases,
            "cases fully right",
            "case_accuracy",
            ctx.reference.and_then(|r| r.case_accuracy),
        ),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\"><div class=\"k\">{name}</div><div class=\"v\">{}</div>",
            percent(value)
        );
        if let (Some((low, high)), Some(label)) = (interval(overall, metric), &label) {
            let _ = write!(
                out,
                "<div class=\"ci\">{} {}–{}</div>",
                escape(label),
                percent(low),
                percent(high)
            );
        }
        let _ = write!(out, "<div class=\"n\">{correct} of {total} {unit}</div>");
        if let (Some(r), Some(l)) = (reference, reference_label) {
            let _ = write!(
                out,
                "<div class=\"ref\"><span class=\"dash\"></span>{}: {}</div>",
                escape(l),
                percent(r)
            );
        }
        out.push_str("</div>\n");
    }
    if let Some(o) = ctx.outcomes {
        let count = |k: &str| o.get(k).and_then(Value::as_u64).unwrap_or(0);
        out.push_str(
            "<div class=\"card outcomes\"><div class=\"k\">Outcomes of the questions</div><table>",
        );
        for outcome in OUTCOMES {
            let _ = write!(
                out,
                "<tr><td><span class=\"badge o-{0}\">{1}</span></td><td class=\"num\">{2}</td></tr>",
                outcome.key(),
                outcome_name(outcome),
                count(outcome.key())
            );
        }
        let _ = writeln!(
            out,
            "<tr class=\"total\"><td>answered / all MCQs</td><td class=\"num\">{} / {}</td></tr></table></div>",
            count("answered"),
            count("mcqs")
        );
        out.push_str("</div>\n");
        let failed = count("api_failure") + count("skipped");
        let answered = count("answered");
        let _ = write!(
            out,
            "<p class=\"note\">Question accuracy counts API failures and skipped questions as wrong, as the official tool does"
        );
        if failed > 0 {
            let correct = count("correct");
            let _ = write!(
                out,
                ": {failed} of the {} questions were never answered by the model; over the {answered} answered, accuracy is {}",
                count("mcqs"),
                percent(if answered > 0 {
                    correct as f64 / answered as f64
                } else {
                    0.0
                })
            );
        } else {
            out.push_str(" (this run has none)");
        }
        out.push_str(".</p>\n");
    } else {
        out.push_str("</div>\n");
    }
    if let (Some(ci), Some(label)) = (ctx.ci, &label) {
        let method = ci
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("bootstrap");
        let mut text = format!("{label}s: {method}");
        if let Some(n) = ci.get("resamples").and_then(Value::as_u64) {
            text.push_str(&format!(", {n} resamples"));
        }
        if let Some(seed) = ci.get("seed").filter(|v| !v.is_null()) {
            text.push_str(&format!(", seed {seed}"));
        }
        let _ = writeln!(
            out,
            "<p class=\"note\">{}. Groups of fewer than 20 cases are flagged \"small\": their intervals are wide.</p>",
            escape(&text)
        );
    } else {
        out.push_str("<p class=\"note\">This results file has no confidence intervals; the numbers are shown without them. Groups of fewer than 20 cases are flagged \"small\".</p>\n");
    }
    out.push_str("</section>\n");
}

const OUTCOMES: [Outcome; 6] = [
    Outcome::Correct,
    Outcome::Wrong,
    Outcome::NoAnswer,
    Outcome::CutOff,
    Outcome::ApiFailure,
    Outcome::Skipped,
];

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Correct => "correct",
        Outcome::Wrong => "wrong",
        Outcome::NoAnswer => "no answer",
        Outcome::CutOff => "cut off",
        Outcome::ApiFailure => "API failure",
        Outcome::Skipped => "skipped",
    }
}

fn outcome_from_key(key: &str) -> Option<Outcome> {
    OUTCOMES.into_iter().find(|o| o.key() == key)
}

/// The outcome of an MCQ: its stored `outcome` when it is one we know, else computed.
fn outcome_of(mcq: &McqRecord) -> Outcome {
    mcq.extra
        .get("outcome")
        .and_then(Value::as_str)
        .and_then(outcome_from_key)
        .unwrap_or_else(|| Outcome::of(mcq))
}

/// Distinct cases in each group of the MCQ-level breakdowns, as the summary groups MCQs.
fn group_cases(cases: &[CaseRecord]) -> HashMap<(&'static str, String), i64> {
    let mut counts = HashMap::new();
    for case in cases {
        let mut seen: HashSet<(&'static str, String)> = HashSet::new();
        for mcq in &case.mcqs {
            let stage = mcq
                .stage
                .as_str()
                .map_or(taxonomy::OTHER_STAGE, taxonomy::classify_stage);
            seen.insert(("by_stage", stage.to_string()));
            seen.insert(("by_position", format!("Q{}", mcq.position() + 1)));
            for m in mcq.image_types().flat_map(taxonomy::image_modalities) {
                seen.insert(("by_image_modality", m.to_string()));
            }
            for m in mcq.table_types().flat_map(taxonomy::table_modalities) {
                seen.insert(("by_table_modality", m.to_string()));
            }
        }
        for key in seen {
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    counts
}

fn case_bar(c: &CaseCounts, entry: Option<&Value>) -> Bar {
    let cases = entry
        .and_then(|e| e.get("cases"))
        .and_then(Value::as_i64)
        .unwrap_or(c.cases);
    Bar {
        value: c.case_accuracy(),
        interval: interval(entry, "case_accuracy"),
        size: plural(c.cases, "case"),
        small: is_small(entry, cases),
        note: format!(
            "{} of {} cases fully right; question accuracy {} ({} of {})",
            c.correct_cases,
            c.cases,
            percent(c.question_accuracy()),
            c.correct_mcqs,
            c.mcqs
        ),
        annotation: String::new(),
    }
}

fn mcq_bar(c: &McqCounts, entry: Option<&Value>, cases: i64) -> Bar {
    let cases = entry
        .and_then(|e| e.get("cases"))
        .and_then(Value::as_i64)
        .unwrap_or(cases);
    Bar {
        value: c.question_accuracy(),
        interval: interval(entry, "question_accuracy"),
        size: plural(c.mcqs, "MCQ"),
        small: is_small(entry, cases),
        note: format!(
            "{} of {} right, in {}",
            c.correct_mcqs,
            c.mcqs,
            plural(cases, "case")
        ),
        annotation: String::new(),
    }
}

/// The title of each breakdown's chart (tests look for them).
pub const CHART_TITLES: [(&str, &str); 7] = [
    ("by_rarity", "Case accuracy by rarity"),
    ("by_chapter", "Case accuracy by chapter"),
    ("by_subcategory", "Case accuracy by subcategory"),
    ("by_stage", "Question accuracy by clinical stage"),
    ("by_position", "Question accuracy by question position"),
    ("by_image_modality", "Question accuracy by image modality"),
    ("by_table_modality", "Question accuracy by table modality"),
];

fn chart_title(breakdown: &str) -> &'static str {
    CHART_TITLES
        .iter()
        .find(|(k, _)| *k == breakdown)
        .map_or("", |(_, t)| t)
}

fn figure(out: &mut String, id: &str, svg: &str, caption: &str) {
    let _ = writeln!(
        out,
        "<figure class=\"chart\" id=\"chart-{id}\">{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
}

fn breakdowns(out: &mut String, ctx: &Context) {
    out.push_str("<section id=\"breakdowns\">\n<h2>Breakdowns</h2>\n");
    let Some(summary) = ctx.summary else {
        out.push_str("<p>No results.</p>\n</section>\n");
        return;
    };
    let series = [ctx.model.clone()];
    let interval_label = ctx.interval_label();
    let options = |axis: &'static str| ChartOptions {
        axis,
        reference_label: ctx.reference.map(|r| r.label.as_str()),
        interval_label: interval_label.as_deref(),
    };
    let reference =
        |breakdown: &str, group: &str| ctx.reference.and_then(|r| r.value(breakdown, group));

    for breakdown in ["by_rarity", "by_chapter"] {
        let groups = match breakdown {
            "by_rarity" => &summary.by_rarity,
            _ => &summary.by_chapter,
        };
        let chart: Vec<Group> = groups
            .0
            .iter()
            .map(|(name, c)| Group {
                label: if breakdown == "by_rarity" {
                    crate::pytext::capitalize(name)
                } else {
                    name.clone()
                },
                section: None,
                bars: vec![Some(case_bar(c, ctx.ci_entry(breakdown, name)))],
                reference: reference(breakdown, name),
            })
            .collect();
        chart_or_note(
            out,
            breakdown,
            &chart,
            &series,
            &options("case accuracy (every question of the case right)"),
            "Case accuracy: the share of cases whose every question was answered right.",
        );
    }

    let subs: Vec<Group> = summary
        .by_subcategory
        .0
        .iter()
        .flat_map(|(chapter, subs)| {
            subs.0.iter().map(move |(sub, c)| {
                let entry = ctx
                    .ci
                    .and_then(|ci| ci.get("by_subcategory"))
                    .and_then(|b| b.get(chapter))
                    .and_then(|b| b.get(sub));
                Group {
                    label: sub.clone(),
                    section: Some(chapter.clone()),
                    bars: vec![Some(case_bar(c, entry))],
                    reference: ctx.reference.and_then(|r| r.subcategory(chapter, sub)),
                }
            })
        })
        .collect();
    chart_or_note(
        out,
        "by_subcategory",
        &subs,
        &series,
        &options("case accuracy (every question of the case right)"),
        "Every subcategory, under its chapter.",
    );

    let stage = mcq_groups(ctx, "by_stage", &summary.by_stage);
    chart_or_note(
        out,
        "by_stage",
        &stage,
        &series,
        &options("question accuracy"),
        "Questions grouped by the broad clinical stage they ask about.",
    );

    position_chart(out, ctx, summary, interval_label.as_deref());

    for (breakdown, groups, caption) in [
        (
            "by_image_modality",
            &summary.by_image_modality,
            "Questions grouped by the modality of their pictures; a question with pictures of several modalities counts in each.",
        ),
        (
            "by_table_modality",
            &summary.by_table_modality,
            "Questions grouped by the kind of their tables; a question with several kinds counts in each.",
        ),
    ] {
        let chart = mcq_groups(ctx, breakdown, groups);
        chart_or_note(
            out,
            breakdown,
            &chart,
            &series,
            &options("question accuracy"),
            caption,
        );
    }
    out.push_str("</section>\n");
}

fn mcq_groups(ctx: &Context, breakdown: &'static str, groups: &Groups<McqCounts>) -> Vec<Group> {
    groups
        .0
        .iter()
        .map(|(name, c)| {
            let cases = ctx
                .group_cases
                .get(&(breakdown, name.clone()))
                .copied()
                .unwrap_or(0);
            Group {
                label: name.clone(),
                section: None,
                bars: vec![Some(mcq_bar(c, ctx.ci_entry(breakdown, name), cases))],
                reference: ctx.reference.and_then(|r| r.value(breakdown, name)),
            }
        })
        .collect()
}

fn chart_or_note(
    out: &mut String,
    breakdown: &str,
    groups: &[Group],
    series: &[String],
    options: &ChartOptions,
    caption: &str,
) {
    let title = chart_title(breakdown);
    if groups.is_empty() {
        let _ = writeln!(
            out,
            "<h3>{}</h3><p class=\"note\">No questions in this breakdown.</p>",
            escape(title)
        );
        return;
    }
    figure(
        out,
        breakdown,
        &svg::bar_chart(title, groups, series, options),
        caption,
    );
}

/// Key `Q3` -> 3, for ordering positions.
fn position_number(key: &str) -> u64 {
    key.strip_prefix('Q')
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

fn position_chart(
    out: &mut String,
    ctx: &Context,
    summary: &Summary,
    interval_label: Option<&str>,
) {
    let conditional = ctx
        .multi
        .and_then(|m| m.get("conditional_accuracy"))
        .and_then(Value::as_object);
    let mut keys: Vec<String> = summary
        .by_position
        .0
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    for key in conditional.into_iter().flat_map(|c| c.keys()) {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    keys.sort_by_key(|k| position_number(k));
    let title = chart_title("by_position");
    if keys.is_empty() {
        let _ = writeln!(
            out,
            "<h3>{}</h3><p class=\"note\">No questions.</p>",
            escape(title)
        );
        return;
    }
    let all = Line {
        label: "all questions".into(),
        points: keys
            .iter()
            .map(|k| {
                let (_, c) = summary.by_position.0.iter().find(|(name, _)| name == k)?;
                let entry = ctx.ci_entry("by_position", k);
                let cases = ctx
                    .group_cases
                    .get(&("by_position", k.clone()))
                    .copied()
                    .unwrap_or(0);
                let bar = mcq_bar(c, entry, cases);
                Some(Point {
                    value: bar.value,
                    interval: bar.interval,
                    size: bar.size,
                    small: bar.small,
                })
            })
            .collect(),
        colour: Some(0),
        dashed: false,
    };
    let mut lines = vec![all];
    if let Some(conditional) = conditional {
        lines.push(Line {
            label: "given all earlier answers of the case right".into(),
            points: keys
                .iter()
                .map(|k| {
                    let entry = conditional.get(k)?;
                    let reached = entry.get("reached").and_then(Value::as_i64).unwrap_or(0);
                    let value = entry.get("accuracy").and_then(Value::as_f64)?;
                    (reached > 0).then(|| Point {
                        value,
                        interval: None,
                        size: format!("{} reached", plural(reached, "case")),
                        small: reached < 20,
                    })
                })
                .collect(),
            colour: Some(1),
            dashed: false,
        });
    }
    if let Some(r) = ctx.reference.filter(|r| r.has("by_position")) {
        lines.push(Line {
            label: r.label.clone(),
            points: keys
                .iter()
                .map(|k| {
                    r.value("by_position", k).map(|value| Point {
                        value,
                        ..Default::default()
                    })
                })
                .collect(),
            colour: None,
            dashed: true,
        });
    }
    let svg = svg::line_chart(
        title,
        &keys,
        &lines,
        &ChartOptions {
            axis: "question accuracy",
            reference_label: None,
            interval_label,
        },
    );
    let caption = if conditional.is_some() {
        "Q1 is the first question of a case, asked with the scenario. The second curve counts, at each position, only the cases whose earlier questions were all answered right."
    } else {
        "Q1 is the first question of a case, asked with the scenario."
    };
    figure(out, "by_position", &svg, caption);
}

fn multi_turn(out: &mut String, ctx: &Context) {
    let Some(multi) = ctx.multi else { return };
    out.push_str("<section id=\"multi-turn\">\n<h2>Multi-turn diagnostics</h2>\n");
    let cases = multi.get("cases").and_then(Value::as_i64).unwrap_or(0);
    let excluded = multi
        .get("excluded_cases")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let _ = write!(
        out,
        "<p>Each case is one conversation. These diagnostics use the {} in which the model answered every question",
        plural(cases, "case")
    );
    if excluded > 0 {
        let _ = write!(
            out,
            "; {} with an API failure or a skipped question {} left out",
            plural(excluded, "case"),
            if excluded == 1 { "is" } else { "are" }
        );
    }
    out.push_str(".</p>\n");
    if cases == 0 {
        out.push_str("</section>\n");
        return;
    }
    let series = [ctx.model.clone()];

    if let Some(first) = multi.get("first_wrong").and_then(Value::as_object)
        && !first.is_empty()
    {
        let total: i64 = first.values().filter_map(Value::as_i64).sum::<i64>().max(1);
        let groups: Vec<Group> = first
            .iter()
            .map(|(key, n)| {
                let n = n.as_i64().unwrap_or(0);
                Group {
                    label: if key == "none" {
                        "never (every answer right)".into()
                    } else {
                        key.clone()
                    },
                    bars: vec![Some(Bar {
                        value: n as f64 / total as f64,
                        size: plural(n, "case"),
                        ..Default::default()
                    })],
                    ..Default::default()
                }
            })
            .collect();
        let svg = svg::bar_chart(
            "Where each case first went wrong",
            &groups,
            &series,
            &ChartOptions {
                axis: "share of cases",
                ..Default::default()
            },
        );
        figure(
            out,
            "first-wrong",
            &svg,
            "The position of the first wrong answer of each case.",
        );
    }

    let transition = |key: &str| -> Option<(i64, i64, f64)> {
        let t = multi.get(key)?;
        Some((
            t.get("pairs").and_then(Value::as_i64).unwrap_or(0),
            t.get("wrong").and_then(Value::as_i64).unwrap_or(0),
            t.get("rate").and_then(Value::as_f64).unwrap_or(0.0),
        ))
    };
    let after_error = transition("error_after_error");
    let after_correct = transition("error_after_correct");
    if after_error.is_some() || after_correct.is_some() {
        let groups: Vec<Group> = [
            ("after a wrong answer", after_error),
            ("after a right answer", after_correct),
        ]
        .into_iter()
        .filter_map(|(label, t)| {
            let (pairs, wrong, rate) = t?;
            Some(Group {
                label: label.into(),
                bars: vec![Some(Bar {
                    value: rate,
                    size: format!("{wrong} of {}", plural(pairs, "pair")),
                    small: false,
                    note: "consecutive questions of one case".into(),
                    ..Default::default()
                })],
                ..Default::default()
            })
        })
        .collect();
        let svg = svg::bar_chart(
            "Error rate of the next question",
            &groups,
            &series,
            &ChartOptions {
                axis: "share of next questions answered wrong",
                ..Default::default()
            },
        );
        let mut caption = String::from(
            "Over consecutive questions of a case: how often the next answer is wrong, after a wrong and after a right answer.",
        );
        if let (Some((pe, _, re)), Some((pc, _, rc))) = (after_error, after_correct)
            && pe > 0
            && pc > 0
        {
            let verdict = if re > rc {
                "one error makes the next more likely"
            } else if re < rc {
                "errors do not cluster"
            } else {
                "no difference"
            };
            caption.push_str(&format!(
                " Here: {} after a wrong answer, {} after a right one ({verdict}).",
                percent(re),
                percent(rc)
            ));
        }
        figure(out, "error-after", &svg, &caption);
    }
    out.push_str("</section>\n");
}

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
        out.push_str("<p class=\"note\">No warnings: the runs share their config, image mode, tool and cases.</p>\n");
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

/// What the filters need to know about a case.
struct CaseFacts {
    outcomes: Vec<&'static str>,
    chapter: String,
    modalities: Vec<String>,
}

fn text_or<'a>(
    text: &'a crate::dataset::schema::Text,
    default: &'a str,
) -> std::borrow::Cow<'a, str> {
    if text.is_missing() {
        default.into()
    } else {
        text.py_get(default)
    }
}

/// A results case's id as text (the dataset's `LoadedCase::id` it matches).
pub fn case_id(record: &CaseRecord) -> String {
    match &record.case_id {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A value of the results as text: strings as they are, null as `None`.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn cases(out: &mut String, page: &Page, ctx: &Context) {
    let file = page.file;
    out.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n");
    let by_id: HashMap<&str, &LoadedCase> = match &page.questions {
        Questions::Dataset { dataset, .. } => {
            dataset.cases.iter().map(|c| (c.id.as_str(), c)).collect()
        }
        Questions::Unavailable(_) => HashMap::new(),
    };
    match &page.questions {
        Questions::Dataset { .. } => out.push_str(
            "<p class=\"note\">Each case is one conversation: the text sent at each turn (exactly as sent; pictures are listed by URL, not shown), the model's reply, the answer read from it and the correct answer.</p>\n",
        ),
        Questions::Unavailable(why) => {
            let _ = writeln!(
                out,
                "<p class=\"note warn\">The questions are not shown: the dataset could not be loaded ({}). Replies, answers and errors come from the results file.</p>",
                escape(why)
            );
        }
    }

    let facts: Vec<CaseFacts> = file.cases.iter().map(case_facts).collect();
    filters(out, &facts, ctx);
    out.push_str("<div id=\"case-list\">\n");
    for (record, facts) in file.cases.iter().zip(&facts) {
        let id = case_id(record);
        let loaded = by_id.get(id.as_str()).copied();
        let image_root = match &page.questions {
            Questions::Dataset { image_root, .. } => Some(*image_root),
            Questions::Unavailable(_) => None,
        };
        case_block(out, record, facts, &id, loaded, image_root);
    }
    out.push_str("</div>\n</section>\n");
}

fn case_facts(record: &CaseRecord) -> CaseFacts {
    let mut outcomes: Vec<&'static str> = Vec::new();
    let mut modalities: Vec<String> = Vec::new();
    for mcq in &record.mcqs {
        let key = outcome_of(mcq).key();
        if !outcomes.contains(&key) {
            outcomes.push(key);
        }
        let image = mcq
            .image_types()
            .flat_map(taxonomy::image_modalities)
            .map(|m| format!("image:{m}"));
        let table = mcq
            .table_types()
            .flat_map(taxonomy::table_modalities)
            .map(|m| format!("table:{m}"));
        for m in image.chain(table) {
            if !modalities.contains(&m) {
                modalities.push(m);
            }
        }
    }
    CaseFacts {
        outcomes,
        chapter: text_or(&record.level1, "Unknown").into_owned(),
        modalities,
    }
}

fn filters(out: &mut String, facts: &[CaseFacts], ctx: &Context) {
    let count = |pred: &dyn Fn(&CaseFacts) -> bool| facts.iter().filter(|f| pred(f)).count();
    out.push_str("<div class=\"filters\">\n");
    // Outcome
    out.push_str("<label>Outcome <select data-filter=\"outcome\"><option value=\"\">any</option>");
    for outcome in OUTCOMES {
        let n = count(&|f| f.outcomes.contains(&outcome.key()));
        if n > 0 {
            let _ = write!(
                out,
                "<option value=\"{}\">{} ({})</option>",
                outcome.key(),
                outcome_name(outcome),
                plural(n as i64, "case")
            );
        }
    }
    out.push_str("</select></label>\n");
    // Chapter, in the summary's order, then any other.
    let mut chapters: Vec<String> = ctx
        .summary
        .map(|s| s.by_chapter.0.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    for f in facts {
        if !chapters.contains(&f.chapter) {
            chapters.push(f.chapter.clone());
        }
    }
    out.push_str("<label>Chapter <select data-filter=\"chapter\"><option value=\"\">any</option>");
    for chapter in &chapters {
        let n = count(&|f| &f.chapter == chapter);
        let _ = write!(
            out,
            "<option value=\"{}\">{} ({n})</option>",
            escape(chapter),
            escape(chapter)
        );
    }
    out.push_str("</select></label>\n");
    // Modality: images, then tables, most frequent first.
    out.push_str(
        "<label>Modality <select data-filter=\"modality\"><option value=\"\">any</option>",
    );
    for (prefix, group_label) in [("image:", "Pictures"), ("table:", "Tables")] {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for f in facts {
            for m in &f.modalities {
                if m.starts_with(prefix) {
                    seen.insert(m);
                }
            }
        }
        if seen.is_empty() {
            continue;
        }
        let mut listed: Vec<(&str, usize)> = seen
            .into_iter()
            .map(|m| (m, count(&|f| f.modalities.iter().any(|x| x == m))))
            .collect();
        listed.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let _ = write!(out, "<optgroup label=\"{group_label}\">");
        for (m, n) in listed {
            let _ = write!(
                out,
                "<option value=\"{}\">{} ({n})</option>",
                escape(m),
                escape(&m[prefix.len()..])
            );
        }
        out.push_str("</optgroup>");
    }
    out.push_str("</select></label>\n");
    let _ = write!(
        out,
        "<span class=\"buttons\"><button type=\"button\" id=\"expand-all\">Open all shown</button><button type=\"button\" id=\"collapse-all\">Close all</button></span>\n<span id=\"shown\" class=\"shown\">{} shown</span>\n</div>\n",
        plural(facts.len() as i64, "case")
    );
}

fn json_attr(values: &[impl AsRef<str>]) -> String {
    let list: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    escape(&serde_json::to_string(&list).expect("strings serialise"))
}

fn case_block(
    out: &mut String,
    record: &CaseRecord,
    facts: &CaseFacts,
    id: &str,
    loaded: Option<&LoadedCase>,
    image_root: Option<&Path>,
) {
    let n = record.mcqs.len();
    let correct = record
        .mcqs
        .iter()
        .filter(|m| outcome_of(m) == Outcome::Correct)
        .count();
    let score_class = if n > 0 && correct == n {
        "all"
    } else if correct == 0 {
        "none"
    } else {
        "some"
    };
    let title = loaded
        .and_then(|c| c.case.title.as_str().map(str::to_string))
        .or_else(|| record.extra.get("title").and_then(value_text))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<details class=\"case\" id=\"case-{}\" data-outcome=\"{}\" data-chapter=\"{}\" data-modality=\"{}\">\n<summary><span class=\"score {score_class}\">{correct}/{n}</span><span class=\"cid\">{}</span><span class=\"ctitle\">{}</span>",
        escape(id),
        json_attr(&facts.outcomes),
        json_attr(&[facts.chapter.as_str()]),
        json_attr(&facts.modalities),
        escape(if id.is_empty() { "(no id)" } else { id }),
        escape(&title)
    );
    for key in &facts.outcomes {
        if *key != "correct"
            && let Some(o) = outcome_from_key(key)
        {
            let _ = write!(
                out,
                "<span class=\"badge o-{key}\">{}</span>",
                outcome_name(o)
            );
        }
    }
    out.push_str("</summary>\n<div class=\"case-body\">\n<dl class=\"case-meta\">");
    let mut row = |k: &str, v: &str| {
        if !v.is_empty() {
            let _ = write!(out, "<dt>{k}</dt><dd>{}</dd>", escape(v));
        }
    };
    row("Chapter", &facts.chapter);
    row("Subcategory", &text_or(&record.level2, ""));
    row(
        "Rarity",
        &record
            .rarity
            .as_str()
            .map(crate::pytext::capitalize)
            .unwrap_or_default(),
    );
    row("DOI", &value_text(&record.doi).unwrap_or_default());
    if let Some(line) = record
        .extra
        .get("line")
        .and_then(Value::as_u64)
        .or(loaded.map(|c| c.line as u64))
    {
        row("Dataset line", &line.to_string());
    }
    out.push_str("</dl>\n");

    let turns = match (loaded, image_root) {
        (Some(c), Some(root)) => Some(prompt::case_turns(&c.case, ImageMode::Url, root)),
        (None, Some(_)) => {
            out.push_str("<p class=\"note warn\">This case id is not in the dataset loaded: its questions are not shown.</p>\n");
            None
        }
        _ => None,
    };
    let mut mcqs: Vec<&McqRecord> = record.mcqs.iter().collect();
    mcqs.sort_by_key(|m| m.position());
    out.push_str("<ol class=\"turns\">\n");
    for mcq in mcqs {
        let position = mcq.position();
        let outcome = outcome_of(mcq);
        let _ = writeln!(
            out,
            "<li class=\"turn\"><div class=\"turn-head\"><span class=\"q\">Q{}</span><span class=\"stage\">{}</span><span class=\"badge o-{}\">{}</span></div>",
            position + 1,
            escape(mcq.stage.as_str().unwrap_or("")),
            outcome.key(),
            outcome_name(outcome)
        );
        if let Some(turn) = turns
            .as_ref()
            .and_then(|t| usize::try_from(position).ok().and_then(|p| t.get(p)))
        {
            let _ = write!(
                out,
                "<div class=\"msg user\"><div class=\"who\">Sent to the model</div><pre>{}</pre>",
                escape(&turn.text)
            );
            if !turn.pictures.is_empty() {
                out.push_str("<ul class=\"pics\">");
                for picture in &turn.pictures {
                    let text = match picture {
                        Picture::Url(url) => url.clone(),
                        Picture::File(path) => path.display().to_string(),
                    };
                    let _ = write!(out, "<li>Picture: <code>{}</code></li>", escape(&text));
                }
                out.push_str("</ul>");
            }
            out.push_str("</div>\n");
        } else if turns.is_some() {
            out.push_str(
                "<p class=\"note warn\">This question is not in the dataset's case.</p>\n",
            );
        }
        match value_text(&mcq.model_response) {
            Some(reply) if !reply.is_empty() => {
                let _ = writeln!(
                    out,
                    "<div class=\"msg model\"><div class=\"who\">Model reply</div><pre>{}</pre></div>",
                    escape(&reply)
                );
            }
            _ => out.push_str("<div class=\"msg model empty\"><div class=\"who\">Model reply</div><p>(none)</p></div>\n"),
        }
        if let Some(reasoning) = mcq
            .extra
            .get("reasoning")
            .and_then(value_text)
            .filter(|r| !r.is_empty())
        {
            let _ = writeln!(
                out,
                "<details class=\"reasoning\"><summary>Reasoning returned separately ({} characters)</summary><pre>{}</pre></details>",
                reasoning.chars().count(),
                escape(&reasoning)
            );
        }
        out.push_str("<dl class=\"verdict\">");
        let shown = |v: &Value| value_text(v).filter(|s| !s.is_empty());
        let _ = write!(
            out,
            "<dt>Answer read</dt><dd>{}</dd><dt>Correct answer</dt><dd>{}</dd>",
            shown(&mcq.extracted_answer).map_or_else(
                || "<span class=\"none\">none</span>".to_string(),
                |s| format!("<b>{}</b>", escape(&s))
            ),
            shown(&mcq.correct_answer).map_or_else(
                || "<span class=\"none\">none</span>".to_string(),
                |s| format!("<b>{}</b>", escape(&s))
            )
        );
        if let Some(robust) = mcq.extra.get("robust_answer") {
            let rule = mcq.extra.get("robust_rule").and_then(value_text);
            let _ = write!(
                out,
                "<dt>Robust extractor</dt><dd>{}{}</dd>",
                shown(robust).map_or_else(
                    || "<span class=\"none\">none</span>".to_string(),
                    |s| escape(&s)
                ),
                rule.map(|r| format!(" <span class=\"none\">({})</span>", escape(&r)))
                    .unwrap_or_default()
            );
        }
        if let Some(reason) = mcq.extra.get("finish_reason").and_then(value_text)
            && reason != "stop"
        {
            let _ = write!(out, "<dt>Finish reason</dt><dd>{}</dd>", escape(&reason));
        }
        if mcq.has_error() {
            let error = value_text(&mcq.error).unwrap_or_default();
            let _ = write!(
                out,
                "<dt>Error</dt><dd class=\"error\">{}</dd>",
                escape(&error)
            );
        }
        out.push_str("</dl></li>\n");
    }
    out.push_str("</ol>\n</div>\n</details>\n");
}

const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5b6474;--line:#d9dee7;--panel:#f6f8fb;--accent:#1f5fa8;--ref:#b5179e}
*{box-sizing:border-box}
html{background:#e9edf2}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg)}
main{max-width:1000px;margin:0 auto;padding:28px 32px 40px;background:#fff;min-height:100vh}
header .kicker{margin:0;color:var(--muted);font-size:13px;letter-spacing:.06em;text-transform:uppercase}
h1{font-size:28px;margin:2px 0 10px;overflow-wrap:anywhere}
h2{font-size:21px;margin:34px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:22px 0 6px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;margin:0 0 12px;font-size:14px}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere}
nav{font-size:14px}
nav a{margin-right:16px;color:var(--accent);text-decoration:none}
nav a:hover{text-decoration:underline}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:14px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.card .k{color:var(--muted);font-size:12.5px;text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:38px;font-weight:700;line-height:1.15;margin:4px 0 2px;color:var(--accent)}
.card .ci{font-size:14px}
.card .n{font-size:14px;color:var(--muted)}
.card .ref{font-size:14px;margin-top:6px;color:var(--ref);font-weight:600}
.card .ref .dash{display:inline-block;width:18px;margin-right:6px;vertical-align:middle;border-top:2.5px dashed var(--ref)}
.card.outcomes table{border-collapse:collapse;width:100%;margin-top:6px;font-size:14px}
.card.outcomes td{padding:1px 0}
.card.outcomes td.num{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.card.outcomes tr.total td{border-top:1px solid var(--line);padding-top:4px;color:var(--muted)}
.note{color:var(--muted);font-size:14px}
.note.warn{color:#8a4b00}
figure.chart{margin:14px 0 22px;padding:10px 10px 4px;border:1px solid var(--line);border-radius:10px;background:#fff}
figure.chart svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:13px;padding:2px 6px 6px}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:0 7px;border-radius:9px;margin-left:6px;white-space:nowrap;line-height:18px}
td .badge{margin-left:0}
.o-correct{background:#dff3e4;color:#145c2c}
.o-wrong{background:#fde3e1;color:#9b1c13}
.o-no_answer{background:#fff1c2;color:#6b5000}
.o-cut_off{background:#ffe2c7;color:#8a3f00}
.o-api_failure{background:#ece1f8;color:#4e2578}
.o-skipped{background:#e8eaee;color:#454c57}
.filters{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 14px;margin:10px 0 12px;font-size:14px}
.filters select{font:inherit;margin-left:6px;max-width:300px;padding:2px 4px}
.filters button{font:inherit;font-size:13px;margin-right:6px;padding:2px 10px;border:1px solid #b9c1cd;border-radius:6px;background:#fff;cursor:pointer}
.filters .shown{color:var(--muted);margin-left:auto}
details.case{border:1px solid var(--line);border-radius:8px;margin:6px 0;background:#fff}
details.case[open]{box-shadow:0 1px 4px rgba(20,30,50,.08)}
details.case>summary{cursor:pointer;padding:8px 12px;display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 10px}
details.case>summary::-webkit-details-marker{display:none}
details.case>summary::before{content:"\25B8";color:var(--muted);width:10px}
details.case[open]>summary::before{content:"\25BE"}
.score{font-weight:700;font-variant-numeric:tabular-nums;min-width:34px}
.score.all{color:#145c2c}.score.some{color:#8a5a00}.score.none{color:#9b1c13}
.cid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;color:var(--muted)}
.ctitle{flex:1 1 300px;font-weight:500}
.case-body{padding:0 14px 12px;border-top:1px solid var(--line)}
dl.case-meta{display:grid;grid-template-columns:max-content 1fr;gap:0 14px;font-size:13.5px;margin:10px 0}
dl.case-meta dt{color:var(--muted)}
dl.case-meta dd{margin:0;overflow-wrap:anywhere}
ol.turns{list-style:none;padding:0;margin:0}
li.turn{border-left:3px solid var(--line);padding:4px 0 6px 12px;margin:12px 0}
.turn-head{font-size:14px;margin-bottom:4px}
.turn-head .q{font-weight:700;margin-right:8px}
.turn-head .stage{color:var(--muted)}
.msg{margin:6px 0}
.msg .who{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin-bottom:2px}
.msg p{margin:0;color:var(--muted)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;margin:0;padding:8px 10px;border-radius:6px;background:var(--panel);border:1px solid var(--line)}
.msg.model pre{background:#f3f7ff;border-color:#cfdcf2}
ul.pics{margin:4px 0 0;padding-left:18px;font-size:13px;color:var(--muted)}
ul.pics code{overflow-wrap:anywhere}
details.reasoning{font-size:13px;margin:4px 0}
details.reasoning summary{cursor:pointer;color:var(--muted)}
dl.verdict{display:flex;flex-wrap:wrap;gap:2px 6px;font-size:14px;margin:6px 0 0}
dl.verdict dt{color:var(--muted)}
dl.verdict dt::after{content:":"}
dl.verdict dd{margin:0 14px 0 0}
dl.verdict dd.error{color:#9b1c13;flex-basis:100%;margin-right:0}
.none{color:var(--muted);font-style:italic}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
table.runs,table.diffs{border-collapse:collapse;width:100%;margin:8px 0 12px;font-size:14px}
table.runs th,table.diffs th{text-align:left;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:4px 8px}
table.runs td,table.diffs td{border-bottom:1px solid var(--line);padding:4px 8px;overflow-wrap:anywhere}
table.runs .num,table.diffs .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.diffs tr.sig td{font-weight:700}
h1 .vs{color:var(--muted);font-weight:400}
.warnings{background:#fff4e0;border:2px solid #e0a040;border-radius:10px;padding:10px 16px;margin:10px 0 14px;color:#5c3400}
.warnings ul{margin:6px 0 0;padding-left:20px}
.card .runv{display:flex;justify-content:space-between;align-items:baseline;gap:12px;margin-top:6px;font-size:14px}
.card .runv span{overflow-wrap:anywhere}
.card .runv b{font-size:24px;font-variant-numeric:tabular-nums}
footer{margin-top:36px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);font-size:13px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
[hidden]{display:none!important}
@media (max-width:700px){main{padding:16px}.card .v{font-size:30px}}
@media print{html{background:#fff}main{max-width:none;padding:0}.filters{display:none}figure.chart{break-inside:avoid}}
"#;

/// The filters: each `<select data-filter="KEY">` keeps the cases whose `data-KEY` (a
/// JSON list) contains the chosen value; the cases that fail are given `hidden`.
const SCRIPT: &str = r#"
(function () {
  "use strict";
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var cases = Array.prototype.slice.call(document.querySelectorAll("details.case"));
  var shown = document.getElementById("shown");
  function values(el, key) {
    try { return JSON.parse(el.getAttribute("data-" + key) || "[]"); } catch (e) { return []; }
  }
  function apply() {
    var n = 0;
    cases.forEach(function (c) {
      var keep = selects.every(function (s) {
        return !s.value || values(c, s.getAttribute("data-filter")).indexOf(s.value) >= 0;
      });
      c.hidden = !keep;
      if (keep) { n += 1; }
    });
    shown.textContent = n + " of " + cases.length + " cases shown";
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  document.getElementById("expand-all").addEventListener("click", function () {
    cases.forEach(function (c) { if (!c.hidden) { c.open = true; } });
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    cases.forEach(function (c) { c.open = false; });
  });
  apply();
})();
"#;

/// Writes a page to `out`, creating its directory.
pub fn write_page(out: &Path, page: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(out, page).with_context(|| format!("cannot write {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_every_special_character() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("plain é"), "plain é");
    }

    fn file(cases: Value, extra: Value) -> ResultsFile {
        let mut value = serde_json::json!({
            "meta": {"model": "m<1>", "dataset": "demo", "image_mode": "url",
                     "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:01:30+00:00"},
            "cases": cases,
        });
        for (k, v) in extra.as_object().unwrap() {
            value[k] = v.clone();
        }
        serde_json::from_value(value).unwrap()
    }

    fn page(file: &ResultsFile) -> String {
        render(&Page {
            file,
            source: "r.json",
            reference: None,
            questions: Questions::Unavailable("not given".into()),
        })
    }

    #[test]
    fn results_alone_make_a_page() {
        let f = file(
            serde_json::json!([
                {"case_id": "1", "level1": "Ch <A>", "level2": "S", "rarity": "rare", "mcqs": [
                    {"mcq_index": 0, "stage": "Diagnosis", "correct_answer": "A", "extracted_answer": "A", "is_correct": true,
                     "model_response": "<img src=x onerror=alert(1)>", "image_types": ["CT"], "table_types": []},
                    {"mcq_index": 1, "correct_answer": "B", "is_correct": false, "error": "HTTP 500"}]}
            ]),
            serde_json::json!({}),
        );
        let html = page(&f);
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("m&lt;1&gt;"));
        assert!(html.contains("data-chapter=\"[&quot;Ch &lt;A&gt;&quot;]\""));
        assert!(html.contains("data-modality=\"[&quot;image:CT&quot;]\""));
        assert!(html.contains("data-outcome=\"[&quot;correct&quot;,&quot;api_failure&quot;]\""));
        assert!(html.contains("1 min 30 s later"));
        for (breakdown, title) in CHART_TITLES {
            if breakdown == "by_table_modality" {
                // No tables: the title, and why there is no chart.
                assert!(html.contains(&format!("<h3>{title}</h3><p class=\"note\">No questions")));
            } else {
                assert!(html.contains(&format!("aria-label=\"{title}\"")), "{title}");
            }
        }
        assert!(html.contains("the dataset could not be loaded (not given)"));
    }

    #[test]
    fn intervals_and_multi_turn_are_read_when_present() {
        let f = file(
            serde_json::json!([{"case_id": "1", "level1": "C", "mcqs": [{"mcq_index": 0, "is_correct": true}]}]),
            serde_json::json!({
                "confidence_intervals": {"level": 0.9, "method": "case bootstrap", "resamples": 100,
                    "overall": {"cases": 1, "small": true,
                        "question_accuracy": {"estimate": 1.0, "low": 0.5, "high": 1.0},
                        "case_accuracy": {"estimate": 1.0, "low": 0.25, "high": 1.0}}},
                "multi_turn": {"cases": 1, "excluded_cases": 0, "first_wrong": {"none": 1},
                    "conditional_accuracy": {"Q1": {"reached": 1, "correct": 1, "accuracy": 1.0}},
                    "error_after_error": {"pairs": 0, "wrong": 0, "rate": 0.0},
                    "error_after_correct": {"pairs": 0, "wrong": 0, "rate": 0.0}}
            }),
        );
        let html = page(&f);
        assert!(html.contains("90% interval 25.0%–100.0%"), "{html}");
        assert!(html.contains("case bootstrap, 100 resamples"));
        assert!(html.contains("Where each case first went wrong"));
        assert!(html.contains("given all earlier answers of the case right"));
    }

    #[test]
    fn partial_keys_are_tolerated() {
        let f = file(
            serde_json::json!([{"case_id": 7, "mcqs": [{"is_correct": false, "extracted_answer": "B"}]}]),
            serde_json::json!({"confidence_intervals": {"by_chapter": 3}, "multi_turn": {"first_wrong": []}, "outcomes": "x"}),
        );
        let html = page(&f);
        assert!(html.contains("id=\"case-7\""));
    }
}
