//! Each breakdown's groups as the page draws them, in the page's order (chapters by
//! number, subcategories under their chapters by ICD code, else the summary's order):
//! what the charts of the breakdowns and the weakest groups are both made of.

use super::super::plural;
use super::View;
use crate::svg::{Bar, percent};
use liveclin_core::analysis::bootstrap::{GroupInterval, Statistic};
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::analysis::summary::{CaseCounts, McqCounts};
use liveclin_core::analysis::{Breakdown, Summary};

/// One group of a breakdown, drawn.
pub(super) struct Drawn {
    pub label: String,
    /// The chapter a subcategory is drawn under.
    pub section: Option<String>,
    pub bar: Bar,
    /// Its cases (of an MCQ-level group: the cases its MCQs come from).
    pub cases: i64,
    /// Its cases (case-level) or MCQs (MCQ-level): what its size label says and "size"
    /// orders by.
    pub size: f64,
    /// The reference value given for it, if any.
    pub reference: Option<f64>,
}

/// The groups of `breakdown`, in the page's order.
pub(super) fn drawn(view: &View, summary: &Summary, breakdown: Breakdown) -> Vec<Drawn> {
    let reference = |chapter: Option<&str>, name: &str| {
        view.reference
            .and_then(|r| r.group(breakdown, chapter, name))
    };
    if !breakdown.case_level() {
        return summary
            .mcq_groups(breakdown)
            .iter()
            .map(|(name, c)| Drawn {
                label: name.clone(),
                section: None,
                bar: mcq_bar(c, view.interval(breakdown, None, name)),
                cases: c.cases,
                size: c.mcqs as f64,
                reference: reference(None, name),
            })
            .collect();
    }
    let mut groups = summary.case_groups(breakdown);
    groups.sort_by(|a, b| breakdown.icd_order((a.0, a.1), (b.0, b.1)));
    groups
        .into_iter()
        .map(|(chapter, name, c)| Drawn {
            label: if breakdown == Breakdown::Rarity {
                liveclin_core::pytext::capitalize(name)
            } else {
                name.to_string()
            },
            section: chapter.map(str::to_string),
            bar: case_bar(c, view.interval(breakdown, chapter, name)),
            cases: c.cases,
            size: c.cases as f64,
            reference: reference(chapter, name),
        })
        .collect()
}

/// The interval of `statistic` in a group's intervals.
fn span(entry: Option<&GroupInterval>, statistic: Statistic) -> Option<(f64, f64)> {
    let interval = entry?.get(statistic)?;
    Some((interval.low, interval.high))
}

/// Flagged small: as the intervals say, else by its cases.
fn small(entry: Option<&GroupInterval>, cases: i64) -> bool {
    entry.map_or(cases < SMALL_GROUP as i64, |e| e.small)
}

/// A case-level group's bar: its case accuracy.
fn case_bar(c: &CaseCounts, entry: Option<&GroupInterval>) -> Bar {
    Bar {
        value: c.case_accuracy(),
        interval: span(entry, Statistic::Case),
        size: plural(c.cases, "case"),
        small: small(entry, c.cases),
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

/// An MCQ-level group's bar: its question accuracy.
fn mcq_bar(c: &McqCounts, entry: Option<&GroupInterval>) -> Bar {
    let cases = entry.map_or(c.cases, |e| e.cases as i64);
    Bar {
        value: c.question_accuracy(),
        interval: span(entry, Statistic::Question),
        size: plural(c.mcqs, "MCQ"),
        small: small(entry, cases),
        note: format!(
            "{} of {} right, in {}",
            c.correct_mcqs,
            c.mcqs,
            plural(cases, "case")
        ),
        annotation: String::new(),
    }
}
