//! The two readings of a reply, the official one (`extracted_answer`, by
//! `extraction_rule`) and the robust one (`robust_answer`, by `robust_rule`), and the
//! questions where they differ, which the page lists in a table of their own.

use std::fmt::Write;

use serde_json::Value;

use super::super::{escape, plural};
use super::value_text;
use liveclin_core::results::{McqRecord, ResultsFile};

/// An answer read from a reply: `None` when nothing was read (null or empty).
pub(super) fn reading(value: &Value) -> Option<String> {
    value_text(value).filter(|s| !s.is_empty())
}

/// A reading of a reply: the answer read, if any, and the rule that read it.
pub(super) struct Read {
    pub(super) answer: Option<String>,
    pub(super) rule: Option<String>,
}

/// The official reading of an MCQ's reply.
pub(super) fn official(mcq: &McqRecord) -> Read {
    Read {
        answer: reading(&mcq.extracted_answer),
        rule: mcq.extra.get("extraction_rule").and_then(reading),
    }
}

/// The robust reading of an MCQ's reply (no answer either when the record has none).
pub(super) fn robust(mcq: &McqRecord) -> Read {
    Read {
        answer: mcq.extra.get("robust_answer").and_then(reading),
        rule: mcq.extra.get("robust_rule").and_then(reading),
    }
}

/// Whether the official reading (`extracted_answer`) and the robust one (`robust_answer`)
/// of an answered MCQ differ: different letters (in any case), or one read nothing, as
/// the results' `robust_reading` counts them. `None` when the record has no robust reading
/// (files of the official tool); never for a failed or skipped MCQ, which was not read.
pub(super) fn readings_differ(mcq: &McqRecord) -> Option<bool> {
    let robust = mcq.extra.get("robust_answer")?;
    if mcq.has_error() {
        return Some(false);
    }
    Some(match (reading(&mcq.extracted_answer), reading(robust)) {
        (Some(official), Some(robust)) => !official.eq_ignore_ascii_case(&robust),
        (official, robust) => official.is_some() != robust.is_some(),
    })
}

/// Whether any MCQ of the file has the robust reading.
pub(super) fn has_robust_reading(file: &ResultsFile) -> bool {
    file.cases
        .iter()
        .flat_map(|c| &c.mcqs)
        .any(|m| m.extra.contains_key("robust_answer"))
}

/// One MCQ whose two readings differ.
pub(in crate::html) struct Disagreement<'a> {
    case_id: String,
    mcq: &'a McqRecord,
}

/// Every MCQ of the file whose two readings differ, in the file's order.
pub(in crate::html) fn disagreements(file: &ResultsFile) -> Vec<Disagreement<'_>> {
    let mut out = Vec::new();
    for case in &file.cases {
        let mut mcqs: Vec<&McqRecord> = case.mcqs.iter().collect();
        mcqs.sort_by_key(|m| m.position());
        for mcq in mcqs {
            if readings_differ(mcq) == Some(true) {
                out.push(Disagreement {
                    case_id: case.id_text(),
                    mcq,
                });
            }
        }
    }
    out
}

/// The MCQs whose two readings differ, one row each (shown with the "readings differ"
/// filter): the case, the question, both readings with their rules, the correct answer.
/// Nothing for a file without the robust reading.
pub(super) fn emit_table(out: &mut String, file: &ResultsFile) {
    if !has_robust_reading(file) {
        return;
    }
    let list = disagreements(file);
    out.push_str("<div id=\"disagreements\" hidden>\n");
    if list.is_empty() {
        out.push_str("<p class=\"note\">The official and robust readings agree on every question.</p>\n</div>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">The {} where the official reading (<code>extracted_answer</code>, by <code>extraction_rule</code>) and the robust one (<code>robust_answer</code>, by <code>robust_rule</code>) differ: different letters, or one read nothing.</p>",
        plural(list.len() as i64, "question")
    );
    out.push_str("<table class=\"disagree\">\n<tr><th>Case</th><th>Question</th><th>Official reading</th><th>Robust reading</th><th>Correct</th></tr>\n");
    for d in &list {
        emit_row(out, d);
    }
    out.push_str("</table>\n</div>\n");
}

/// A question's row: a link to its case, then its readings and the correct answer.
fn emit_row(out: &mut String, d: &Disagreement) {
    let q = d.mcq.position() + 1;
    let correct = Read {
        answer: reading(&d.mcq.correct_answer),
        rule: None,
    };
    let _ = writeln!(
        out,
        "<tr data-case=\"{0}\" data-q=\"{q}\"><td><a href=\"#case-{0}\" class=\"cid\">{0}</a></td><td>Q{q}</td><td>{1}</td><td>{2}</td><td>{3}</td></tr>",
        escape(&d.case_id),
        cell(&official(d.mcq)),
        cell(&robust(d.mcq)),
        cell(&correct)
    );
}

/// A reading as a cell: the answer in bold (or "none"), then its rule.
fn cell(read: &Read) -> String {
    let answer = read.answer.as_ref().map_or_else(
        || "<span class=\"none\">none</span>".to_string(),
        |a| format!("<b>{}</b>", escape(a)),
    );
    match &read.rule {
        Some(rule) => format!("{answer} <span class=\"rule\">({})</span>", escape(rule)),
        None => answer,
    }
}
