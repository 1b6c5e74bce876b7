//! The filters over the case list: the search box, a select per facet (the case's
//! outcome, its questions' outcomes, its chapter, its modalities), each choice with how
//! many cases it keeps, the "readings differ" switch, and the buttons that open and close
//! the cases shown. The page's script applies them.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::super::{escape, outcome_name, plural};
use super::rows::Row;
use liveclin_core::analysis::outcome::Outcome;
use liveclin_core::dataset::icd::chapter_order;

/// How many cases "Open the first 50 shown" opens at a time.
const OPEN_CAP: usize = 50;

/// The case-level outcomes of the case filter, in its order: (key, label).
const CASE_OUTCOMES: [(&str, &str); 4] = [
    ("fully_right", "fully right"),
    ("some_wrong", "some wrong"),
    ("api_failure", "API failure"),
    ("not_run", "not run"),
];

/// The filters worked out from the rows: every choice and count, before any markup.
pub(super) struct Filters {
    /// The cases that ran, which the page shows at first.
    ran: usize,
    selects: [Select; 4],
    /// With the robust reading: the questions whose readings differ, and their cases.
    differ: Option<(usize, usize)>,
}

/// One facet's `<select>`.
struct Select {
    /// Its label on the page, and what it filters (its `data-filter`).
    label: &'static str,
    facet: &'static str,
    /// The options outside any group, the one that keeps every case first.
    options: Vec<Choice>,
    /// The options in labelled groups (the modalities: pictures, then tables).
    groups: Vec<(&'static str, Vec<Choice>)>,
}

/// One option: its value, and its text (its name, then how much it keeps).
struct Choice {
    value: String,
    text: String,
}

impl Choice {
    fn new(value: impl Into<String>, text: String) -> Self {
        Choice {
            value: value.into(),
            text,
        }
    }
}

fn count(rows: &[Row], keep: impl Fn(&Row) -> bool) -> usize {
    rows.iter().filter(|r| keep(r)).count()
}

fn cases(n: usize) -> String {
    plural(n as i64, "case")
}

impl Filters {
    pub(super) fn new(rows: &[Row], robust: bool) -> Self {
        let differ = robust.then(|| {
            let questions = rows.iter().map(|r| r.differ).sum();
            (questions, count(rows, |r| r.differ > 0))
        });
        Filters {
            ran: count(rows, |r| r.record.is_some()),
            selects: [
                case_select(rows),
                question_select(rows),
                chapter_select(rows),
                modality_select(rows),
            ],
            differ,
        }
    }
}

/// The case's outcome: "fully right" and "some wrong" always, "API failure" and "not
/// run" only when some case is.
fn case_select(rows: &[Row]) -> Select {
    let ran = count(rows, |r| r.record.is_some());
    let mut options = vec![Choice::new(
        "ran",
        format!("any case that ran ({})", cases(ran)),
    )];
    for (key, label) in CASE_OUTCOMES {
        let n = count(rows, |r| r.case.contains(&key));
        if n > 0 || (key != "not_run" && key != "api_failure") {
            options.push(Choice::new(key, format!("{label} ({})", cases(n))));
        }
    }
    Select {
        label: "Case",
        facet: "case",
        options,
        groups: Vec::new(),
    }
}

/// The outcome of any of the case's questions: those that occur, with how many questions
/// and cases have one.
fn question_select(rows: &[Row]) -> Select {
    let mut options = vec![Choice::new("", "any outcome".into())];
    for outcome in Outcome::ALL {
        let key = outcome.key();
        let mcqs = rows
            .iter()
            .filter_map(|r| r.record)
            .flat_map(|c| &c.mcqs)
            .filter(|m| Outcome::recorded(m) == outcome)
            .count();
        if mcqs > 0 {
            let n = count(rows, |r| r.outcomes.contains(&key));
            let text = format!(
                "{} ({} in {})",
                outcome_name(outcome),
                plural(mcqs as i64, "question"),
                cases(n)
            );
            options.push(Choice::new(key, text));
        }
    }
    Select {
        label: "Question",
        facet: "outcome",
        options,
        groups: Vec::new(),
    }
}

/// The case's chapter, by chapter number.
fn chapter_select(rows: &[Row]) -> Select {
    let mut chapters: Vec<&str> = rows.iter().map(|r| r.chapter.as_str()).collect();
    chapters.sort_by(|a, b| chapter_order(a, b));
    chapters.dedup();
    let mut options = vec![Choice::new("", "any".into())];
    for chapter in chapters {
        let n = count(rows, |r| r.chapter == chapter);
        options.push(Choice::new(chapter, format!("{chapter} ({})", cases(n))));
    }
    Select {
        label: "Chapter",
        facet: "chapter",
        options,
        groups: Vec::new(),
    }
}

/// A modality of the case: pictures, then tables, each the most frequent first.
fn modality_select(rows: &[Row]) -> Select {
    let mut groups = Vec::new();
    for (prefix, group_label) in [("image:", "Pictures"), ("table:", "Tables")] {
        let seen: BTreeSet<&str> = rows
            .iter()
            .flat_map(|r| &r.modalities)
            .map(String::as_str)
            .filter(|m| m.starts_with(prefix))
            .collect();
        if seen.is_empty() {
            continue;
        }
        let mut listed: Vec<(&str, usize)> = seen
            .into_iter()
            .map(|m| (m, count(rows, |r| r.modalities.iter().any(|x| x == m))))
            .collect();
        listed.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let choices = listed
            .into_iter()
            .map(|(m, n)| Choice::new(m, format!("{} ({})", &m[prefix.len()..], cases(n))))
            .collect();
        groups.push((group_label, choices));
    }
    Select {
        label: "Modality",
        facet: "modality",
        options: vec![Choice::new("", "any".into())],
        groups,
    }
}

/// The filters' bar: the search box, the selects, the "readings differ" switch (disabled
/// when no reading differs), the buttons and how many cases are shown.
pub(super) fn emit(out: &mut String, filters: &Filters) {
    out.push_str("<div class=\"filters\">\n");
    out.push_str("<label class=\"search\">Search <input type=\"search\" id=\"case-search\" placeholder=\"case id, title or question text\" autocomplete=\"off\" spellcheck=\"false\"></label>\n");
    for select in &filters.selects {
        emit_select(out, select);
    }
    if let Some((questions, cases)) = filters.differ {
        let _ = writeln!(
            out,
            "<label class=\"check\"><input type=\"checkbox\" id=\"differ-only\"{}> only where the official and robust readings differ ({} in {})</label>",
            if questions == 0 { " disabled" } else { "" },
            plural(questions as i64, "question"),
            plural(cases as i64, "case")
        );
    }
    let _ = write!(
        out,
        "<span class=\"buttons\"><button type=\"button\" id=\"expand-all\" data-cap=\"{OPEN_CAP}\">Open the first {OPEN_CAP} shown</button><button type=\"button\" id=\"collapse-all\">Close all</button></span>\n<span id=\"shown\" class=\"shown\" aria-live=\"polite\">{} shown</span>\n<span id=\"open-note\" class=\"open-note\" aria-live=\"polite\"></span>\n</div>\n",
        cases(filters.ran)
    );
}

fn emit_select(out: &mut String, select: &Select) {
    let _ = write!(
        out,
        "<label>{} <select data-filter=\"{}\">",
        select.label, select.facet
    );
    emit_choices(out, &select.options);
    for (label, choices) in &select.groups {
        let _ = write!(out, "<optgroup label=\"{label}\">");
        emit_choices(out, choices);
        out.push_str("</optgroup>");
    }
    out.push_str("</select></label>\n");
}

fn emit_choices(out: &mut String, choices: &[Choice]) {
    for choice in choices {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            escape(&choice.value),
            escape(&choice.text)
        );
    }
}
