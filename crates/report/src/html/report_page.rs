//! The page of `report --html` for one run: its header, the headline numbers, a chart
//! per breakdown, the position chart and the multi-turn diagnostics, then the case
//! transcripts of [`super::transcripts`]. Separate from the comparison page, which shares
//! only the shell and the chart helpers of [`super`].

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use serde_json::{Map, Value};

use super::transcripts::{self, Questions, chapter_order};
use super::{
    chart_or_note, chart_title, escape, figure, is_small, meta_text, outcome_name, page_end,
    page_start_styled, plural,
};
use crate::reference::Reference;
use crate::svg::{self, Bar, ChartOptions, Group, Line, Point, SortKey, percent};
use liveclin_core::analysis::failures::FailureTable;
use liveclin_core::analysis::outcome::Outcome;
use liveclin_core::analysis::summary::{CaseCounts, Groups, McqCounts};
use liveclin_core::analysis::{Summary, insight, summarize};
use liveclin_core::dataset::taxonomy;
use liveclin_core::results::{CaseRecord, Coverage, ResultsFile};

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
    page_start_styled(&mut out, &title, STYLE);
    partial_banner(&mut out, file);
    header(&mut out, page, &ctx);
    headline(&mut out, &ctx, file);
    failures(&mut out, &FailureTable::of(&file.cases));
    weakest(&mut out, &ctx);
    breakdowns(&mut out, &ctx);
    multi_turn(&mut out, &ctx);
    let script = transcripts::cases(&mut out, file, &page.questions);
    page_end(
        &mut out,
        &format!(
            "<code>{}</code>. This page is self-contained: it loads nothing from the network; pictures are named, not shown.",
            escape(page.source)
        ),
        Some(&script),
    );
    out
}

/// The report page's own style, after the one both pages share.
const STYLE: &str = include_str!("report.css");

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

/// A timestamp as `2026-11-27 02:23:08 UTC` when it is RFC 3339, else as written.
fn when(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) if t.offset().local_minus_utc() == 0 => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Ok(t) => t.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => text.to_string(),
    }
}

fn interval(entry: Option<&Value>, metric: &str) -> Option<(f64, f64)> {
    let m = entry?.get(metric)?;
    Some((m.get("low")?.as_f64()?, m.get("high")?.as_f64()?))
}

/// A banner above everything else when the run left cases of its config out (stopped
/// early, `--limit`, one shard): the numbers alone look like a whole run's, and a page is
/// often shared without the terminal output that said so. Nothing for a complete run or a
/// file that does not say (the official tool's, older ones).
fn partial_banner(out: &mut String, file: &ResultsFile) {
    let Some(note) = Coverage::of(&file.meta).and_then(|c| c.note()) else {
        return;
    };
    let text = format!(
        "Partial run: {note}; every number on this page is over the {} that ran.",
        plural(file.cases.len() as i64, "case")
    );
    let _ = writeln!(
        out,
        "<div class=\"warnings partial\" role=\"alert\">{}</div>",
        escape(&text)
    );
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
        "</dl>\n<nav><a href=\"#headline\">Headline</a><a href=\"#weakest\">Weakest groups</a><a href=\"#breakdowns\">Breakdowns</a>",
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

/// The robust reading's question accuracy, as the terminal and the results'
/// `robust_reading` count it: MCQs whose `robust_correct` is true (a failed or skipped one
/// stays wrong) over every MCQ; `None` for a file without the robust reading (the official
/// tool's).
fn robust_accuracy(file: &ResultsFile) -> Option<(f64, i64, i64)> {
    let robust = liveclin_core::analysis::reading::robust_cases(&file.cases)?;
    let totals = summarize(&robust)?.totals;
    Some((totals.question_accuracy(), totals.correct_mcqs, totals.mcqs))
}

fn headline(out: &mut String, ctx: &Context, file: &ResultsFile) {
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
    let robust = robust_accuracy(file);
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
        if metric == "question_accuracy"
            && let Some((value, right, all)) = robust
        {
            let _ = write!(
                out,
                "<div class=\"robust\">Robust reading: <b>{}</b> <span class=\"n\">({right} of {all})</span></div>",
                percent(value)
            );
        }
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
        for outcome in Outcome::ALL {
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
    if robust.is_some() {
        let differ = transcripts::disagreements(file).len();
        let _ = write!(
            out,
            "<p class=\"note\">Question accuracy is the official reading of each reply (<code>extracted_answer</code>, the official tool's extraction); the robust reading is liveclin's extractor on the same replies (<code>robust_answer</code>; README, Answer extraction). "
        );
        if differ == 0 {
            out.push_str("The two readings agree on every question.</p>\n");
        } else {
            let _ = writeln!(
                out,
                "They differ on {}: <a href=\"#cases\" id=\"show-differ\">list them</a>.</p>",
                plural(differ as i64, "question")
            );
        }
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

/// Why questions failed, by cause, with one message and the fix each (nothing when no
/// question failed): the table the terminal prints after the summary.
fn failures(out: &mut String, table: &FailureTable) {
    if table.is_empty() {
        return;
    }
    out.push_str("<section id=\"failures\">\n<h2>Failed questions by cause</h2>\n<table class=\"failures\">\n<tr><th>Cause</th><th class=\"num\">Questions</th><th>First message</th><th>Fix</th></tr>\n");
    for row in &table.rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(row.class.label()),
            row.mcqs,
            escape(&row.example),
            escape(row.class.fix())
        );
    }
    out.push_str("</table>\n<p class=\"note\">Each later question of a failed case is skipped and counted as wrong too.</p>\n</section>\n");
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

/// A group of a sortable chart with the keys it sorts by.
type Row = (Group, SortKey);

/// The value a group sorts by: its first bar's.
fn group_value(group: &Group) -> f64 {
    group
        .bars
        .first()
        .and_then(Option::as_ref)
        .map_or(-1.0, |b| b.value)
}

/// Numbers `groups` (in the breakdown's own order, from `first`) and orders them as the
/// page first shows them, which is also its script's "accuracy" order: accuracy, worst
/// first; then size, largest first; then the breakdown's own order.
fn by_accuracy(groups: Vec<(Group, f64)>, first: usize) -> Vec<Row> {
    let mut rows: Vec<Row> = groups
        .into_iter()
        .enumerate()
        .map(|(i, (group, size))| {
            (
                group,
                SortKey {
                    size,
                    natural: first + i,
                },
            )
        })
        .collect();
    rows.sort_by(|(a, ka), (b, kb)| {
        group_value(a)
            .total_cmp(&group_value(b))
            .then(kb.size.total_cmp(&ka.size))
            .then(ka.natural.cmp(&kb.natural))
    });
    rows
}

/// The ICD code range a subcategory ends with, "(C40-C41)" -> ('C', 40), for its order.
fn icd_code(name: &str) -> Option<(char, u32)> {
    let inner = name.trim_end().strip_suffix(')')?;
    let code = &inner[inner.rfind('(')? + 1..];
    let mut chars = code.chars();
    let letter = chars.next().filter(char::is_ascii_uppercase)?;
    let digits: String = chars.take_while(char::is_ascii_digit).collect();
    Some((letter, digits.parse().ok()?))
}

/// The chapters of the summary, by chapter number.
fn chapters_in_order(summary: &Summary) -> Vec<(&String, &CaseCounts)> {
    let mut chapters: Vec<(&String, &CaseCounts)> =
        summary.by_chapter.0.iter().map(|(k, c)| (k, c)).collect();
    chapters.sort_by(|(a, _), (b, _)| chapter_order(a, b));
    chapters
}

/// The subcategories of the summary under their chapters, chapters by number and
/// subcategories by ICD code (else as the summary lists them).
fn subcategories_in_order(summary: &Summary) -> Vec<(&String, Vec<(&String, &CaseCounts)>)> {
    let mut chapters: Vec<(&String, Vec<(&String, &CaseCounts)>)> = summary
        .by_subcategory
        .0
        .iter()
        .map(|(chapter, subs)| {
            let mut subs: Vec<(&String, &CaseCounts)> =
                subs.0.iter().map(|(k, c)| (k, c)).collect();
            subs.sort_by_key(|(name, _)| icd_code(name).map_or((1, ' ', 0), |(l, n)| (0, l, n)));
            (chapter, subs)
        })
        .collect();
    chapters.sort_by(|(a, _), (b, _)| chapter_order(a, b));
    chapters
}

/// The breakdowns' groups, each with its accuracy, interval, cases and size text, in the
/// breakdown's own order: what the charts and the weakest groups are made of.
struct Candidate {
    label: String,
    section: Option<String>,
    value: f64,
    interval: Option<(f64, f64)>,
    cases: i64,
    size: String,
}

/// Each breakdown's groups as candidates for the weakest groups: (name of the breakdown,
/// what it measures, chart id, groups).
fn candidates(
    ctx: &Context,
    summary: &Summary,
) -> Vec<(&'static str, &'static str, &'static str, Vec<Candidate>)> {
    let case = |label: String, section: Option<String>, c: &CaseCounts, entry: Option<&Value>| {
        let bar = case_bar(c, entry);
        Candidate {
            label,
            section,
            value: bar.value,
            interval: bar.interval,
            cases: c.cases,
            size: bar.size,
        }
    };
    let mut out = Vec::new();
    out.push((
        "Rarity",
        "case accuracy",
        "by_rarity",
        summary
            .by_rarity
            .0
            .iter()
            .map(|(k, c)| {
                case(
                    liveclin_core::pytext::capitalize(k),
                    None,
                    c,
                    ctx.ci_entry("by_rarity", k),
                )
            })
            .collect(),
    ));
    out.push((
        "Chapter",
        "case accuracy",
        "by_chapter",
        chapters_in_order(summary)
            .into_iter()
            .map(|(k, c)| case(k.clone(), None, c, ctx.ci_entry("by_chapter", k)))
            .collect(),
    ));
    out.push((
        "Subcategory",
        "case accuracy",
        "by_subcategory",
        subcategories_in_order(summary)
            .into_iter()
            .flat_map(|(chapter, subs)| {
                subs.into_iter().map(move |(sub, c)| {
                    let entry = ctx
                        .ci
                        .and_then(|ci| ci.get("by_subcategory"))
                        .and_then(|b| b.get(chapter))
                        .and_then(|b| b.get(sub));
                    case(sub.clone(), Some(chapter.clone()), c, entry)
                })
            })
            .collect(),
    ));
    for (name, breakdown, groups) in [
        ("Clinical stage", "by_stage", &summary.by_stage),
        ("Question position", "by_position", &summary.by_position),
        (
            "Image modality",
            "by_image_modality",
            &summary.by_image_modality,
        ),
        (
            "Table modality",
            "by_table_modality",
            &summary.by_table_modality,
        ),
    ] {
        out.push((
            name,
            "question accuracy",
            breakdown,
            groups
                .0
                .iter()
                .map(|(k, c)| {
                    let cases = group_cases_of(ctx, breakdown, k);
                    let bar = mcq_bar(c, ctx.ci_entry(breakdown, k), cases);
                    Candidate {
                        label: k.clone(),
                        section: None,
                        value: bar.value,
                        interval: bar.interval,
                        cases,
                        size: format!("{}, {}", bar.size, plural(cases, "case")),
                    }
                })
                .collect(),
        ));
    }
    out
}

fn group_cases_of(ctx: &Context, breakdown: &'static str, group: &str) -> i64 {
    ctx.group_cases
        .get(&(breakdown, group.to_string()))
        .copied()
        .unwrap_or(0)
}

/// Groups of fewer cases are left out of the weakest groups (their numbers swing most).
pub(crate) const WEAKEST_MIN_CASES: i64 = 10;
/// The weakest groups listed per breakdown, at most.
pub(crate) const WEAKEST_PER_BREAKDOWN: usize = 3;

/// The lowest-accuracy groups of each breakdown among those with at least
/// [`WEAKEST_MIN_CASES`] cases (a breakdown needs two such groups to have a weakest), with
/// their intervals: where to look first.
fn weakest(out: &mut String, ctx: &Context) {
    let Some(summary) = ctx.summary else { return };
    out.push_str("<section id=\"weakest\">\n<h2>Weakest groups</h2>\n");
    let label = ctx.interval_label();
    let mut rows = String::new();
    for (name, measure, chart, groups) in candidates(ctx, summary) {
        let mut eligible: Vec<&Candidate> = groups
            .iter()
            .filter(|g| g.cases >= WEAKEST_MIN_CASES)
            .collect();
        if eligible.len() < 2 {
            continue;
        }
        eligible.sort_by(|a, b| a.value.total_cmp(&b.value).then(b.cases.cmp(&a.cases)));
        let shown = WEAKEST_PER_BREAKDOWN.min(eligible.len() - 1);
        for (i, g) in eligible.iter().take(shown).enumerate() {
            let head = if i == 0 {
                format!(
                    "<th rowspan=\"{shown}\" scope=\"rowgroup\"><a href=\"#chart-{chart}\">{}</a><span class=\"measure\">{measure}</span></th>",
                    escape(name)
                )
            } else {
                String::new()
            };
            let group = match &g.section {
                Some(section) => format!(
                    "{}<span class=\"section\">{}</span>",
                    escape(&g.label),
                    escape(section)
                ),
                None => escape(&g.label),
            };
            let interval = g.interval.map_or_else(
                || "<span class=\"none\">–</span>".to_string(),
                |(low, high)| format!("{}–{}", percent(low), percent(high)),
            );
            let _ = writeln!(
                rows,
                "<tr data-breakdown=\"{chart}\">{head}<td>{group}</td><td class=\"num\"><b>{}</b></td><td class=\"num\">{interval}</td><td class=\"num\">{}{}</td></tr>",
                percent(g.value),
                escape(&g.size),
                if is_small(None, g.cases) {
                    " <span class=\"small\">small</span>"
                } else {
                    ""
                }
            );
        }
    }
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">No breakdown has two groups of {WEAKEST_MIN_CASES} cases or more: too few cases to single any group out.</p>\n</section>"
        );
        return;
    }
    let overall = format!(
        "case accuracy {}, question accuracy {}",
        percent(summary.totals.case_accuracy()),
        percent(summary.totals.question_accuracy())
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">The lowest-accuracy groups of each breakdown, among groups of {WEAKEST_MIN_CASES} cases or more (overall: {overall}). Where a group's interval reaches the overall value, its gap may be chance.</p>"
    );
    let _ = writeln!(
        out,
        "<table class=\"weakest\">\n<tr><th>Breakdown</th><th>Group</th><th class=\"num\">Accuracy</th><th class=\"num\">{}</th><th class=\"num\">Size</th></tr>\n{rows}</table>\n</section>",
        escape(label.as_deref().unwrap_or("Interval"))
    );
}

fn breakdowns(out: &mut String, ctx: &Context) {
    out.push_str("<section id=\"breakdowns\">\n<h2>Breakdowns</h2>\n");
    let Some(summary) = ctx.summary else {
        out.push_str("<p>No results.</p>\n</section>\n");
        return;
    };
    out.push_str("<div class=\"chart-order\" role=\"radiogroup\" aria-label=\"Order of the bars\">Order the bars by <label><input type=\"radio\" name=\"chart-order\" value=\"accuracy\" checked> accuracy, worst first</label><label><input type=\"radio\" name=\"chart-order\" value=\"size\"> size, largest first</label><label><input type=\"radio\" name=\"chart-order\" value=\"natural\"> the breakdown's own order (chapter number, stage...)</label></div>\n<p class=\"note\">A case-accuracy chart's size is its cases; a question-accuracy chart's, its questions (MCQs). Subcategories stay under their chapters, in chapter order.</p>\n");
    let series = [ctx.model.clone()];
    let interval_label = ctx.interval_label();
    let reference =
        |breakdown: &str, group: &str| ctx.reference.and_then(|r| r.value(breakdown, group));
    let chart = |out: &mut String, breakdown: &str, rows: Vec<Row>, axis: &str, caption: &str| {
        let (groups, keys): (Vec<Group>, Vec<SortKey>) = rows.into_iter().unzip();
        chart_or_note(
            out,
            breakdown,
            &groups,
            &series,
            &ChartOptions {
                axis,
                reference_label: ctx.reference.map(|r| r.label.as_str()),
                interval_label: interval_label.as_deref(),
                sort: Some(&keys),
            },
            caption,
        );
    };
    let case_axis = "case accuracy (every question of the case right)";
    let case_caption = "Case accuracy: the share of cases whose every question was answered right.";

    let rarity: Vec<(Group, f64)> = summary
        .by_rarity
        .0
        .iter()
        .map(|(name, c)| {
            (
                Group {
                    label: liveclin_core::pytext::capitalize(name),
                    section: None,
                    bars: vec![Some(case_bar(c, ctx.ci_entry("by_rarity", name)))],
                    reference: reference("by_rarity", name),
                },
                c.cases as f64,
            )
        })
        .collect();
    chart(
        out,
        "by_rarity",
        by_accuracy(rarity, 0),
        case_axis,
        case_caption,
    );

    let chapters: Vec<(Group, f64)> = chapters_in_order(summary)
        .into_iter()
        .map(|(name, c)| {
            (
                Group {
                    label: name.clone(),
                    section: None,
                    bars: vec![Some(case_bar(c, ctx.ci_entry("by_chapter", name)))],
                    reference: reference("by_chapter", name),
                },
                c.cases as f64,
            )
        })
        .collect();
    chart(
        out,
        "by_chapter",
        by_accuracy(chapters, 0),
        case_axis,
        case_caption,
    );

    let mut subs: Vec<Row> = Vec::new();
    for (chapter, groups) in subcategories_in_order(summary) {
        let groups: Vec<(Group, f64)> = groups
            .into_iter()
            .map(|(sub, c)| {
                let entry = ctx
                    .ci
                    .and_then(|ci| ci.get("by_subcategory"))
                    .and_then(|b| b.get(chapter))
                    .and_then(|b| b.get(sub));
                (
                    Group {
                        label: sub.clone(),
                        section: Some(chapter.clone()),
                        bars: vec![Some(case_bar(c, entry))],
                        reference: ctx.reference.and_then(|r| r.subcategory(chapter, sub)),
                    },
                    c.cases as f64,
                )
            })
            .collect();
        let first = subs.len();
        subs.extend(by_accuracy(groups, first));
    }
    chart(
        out,
        "by_subcategory",
        subs,
        case_axis,
        "Every subcategory, under its chapter (chapters in chapter order).",
    );

    let stage = mcq_groups(ctx, "by_stage", &summary.by_stage);
    chart(
        out,
        "by_stage",
        by_accuracy(stage, 0),
        "question accuracy",
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
        let groups = mcq_groups(ctx, breakdown, groups);
        chart(
            out,
            breakdown,
            by_accuracy(groups, 0),
            "question accuracy",
            caption,
        );
    }
    out.push_str("</section>\n");
}

/// The groups of an MCQ-level breakdown, in the summary's order, with their MCQ counts
/// (what their size label says and "size" orders by).
fn mcq_groups(
    ctx: &Context,
    breakdown: &'static str,
    groups: &Groups<McqCounts>,
) -> Vec<(Group, f64)> {
    groups
        .0
        .iter()
        .map(|(name, c)| {
            let cases = group_cases_of(ctx, breakdown, name);
            (
                Group {
                    label: name.clone(),
                    section: None,
                    bars: vec![Some(mcq_bar(c, ctx.ci_entry(breakdown, name), cases))],
                    reference: ctx.reference.and_then(|r| r.value(breakdown, name)),
                },
                c.mcqs as f64,
            )
        })
        .collect()
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
            sort: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::CHART_TITLES;

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
        // The reply is in the transcripts' data, as it was, for the script to show as text.
        let data = super::super::page_cases(&html).expect("the transcripts' data");
        assert_eq!(data[0]["turns"][0]["reply"], "<img src=x onerror=alert(1)>");
        assert_eq!(data[0]["turns"][1]["error"], "HTTP 500");
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

    /// A results file of `n` one-question cases per chapter, `right` of them right.
    fn chapters(spec: &[(&str, usize, usize)]) -> ResultsFile {
        let mut cases = Vec::new();
        for (chapter, n, right) in spec {
            for i in 0..*n {
                cases.push(serde_json::json!({
                    "case_id": format!("{chapter}-{i}"), "level1": chapter, "level2": "S", "rarity": "rare",
                    "mcqs": [{"mcq_index": 0, "stage": "Diagnosis", "correct_answer": "A",
                              "extracted_answer": if i < *right { "A" } else { "B" },
                              "is_correct": i < *right}]
                }));
            }
        }
        file(Value::Array(cases), serde_json::json!({}))
    }

    #[test]
    fn the_weakest_groups_are_the_lowest_of_enough_cases_with_their_intervals() {
        let f = chapters(&[
            ("Chapter 10: Ten", 12, 9),
            ("Chapter 2: Two", 12, 3),
            ("Chapter 9: Nine", 15, 6),
            ("Chapter 1: Tiny", 3, 0),
        ]);
        let html = page(&f);
        let section = &html[html.find("<section id=\"weakest\">").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        let rows: Vec<&str> = section
            .split("<tr data-breakdown=\"by_chapter\">")
            .skip(1)
            .collect();
        // Three chapters have 10 cases or more: the two lowest are listed, worst first;
        // the tiny one (0%) is not.
        assert_eq!(rows.len(), 2, "{section}");
        assert!(
            rows[0].contains("<td>Chapter 2: Two</td><td class=\"num\"><b>25.0%</b></td>"),
            "{}",
            rows[0]
        );
        assert!(
            rows[1].contains("<td>Chapter 9: Nine</td><td class=\"num\"><b>40.0%</b></td>"),
            "{}",
            rows[1]
        );
        assert!(!section.contains("Tiny"));
        // With the intervals of the results (computed here: the file has none).
        assert!(rows[0].contains("%–"), "{}", rows[0]);
        assert!(rows[0].contains("12 cases <span class=\"small\">small</span>"));
        assert!(section.contains("<a href=\"#chart-by_chapter\">Chapter</a>"));

        // Too few cases anywhere: said, not listed.
        let html = page(&chapters(&[("Chapter 1: A", 4, 2), ("Chapter 2: B", 5, 1)]));
        assert!(html.contains("No breakdown has two groups of 10 cases or more"));
    }

    #[test]
    fn without_the_robust_reading_the_headline_is_the_official_one() {
        let html = page(&chapters(&[("Chapter 1: A", 4, 2)]));
        assert!(!html.contains("<div class=\"robust\">"));
        assert!(!html.contains("id=\"show-differ\""));
    }
}
