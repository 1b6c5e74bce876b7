//! The case list: each case as one collapsed row (plain `div`s: a thousand `details`
//! elements cost the browser a quarter of a second to build) with its score, id, title
//! and badges, and the facts the filters read in escaped data-attributes. Its body is
//! drawn by the page's script from the transcripts' data when it is opened.

use std::fmt::Write;

use super::super::{escape, outcome_name};
use super::rows::Row;
use liveclin_core::analysis::outcome::Outcome;

/// The head of a case's row, which opens and closes it (by click, Enter or Space).
const HEAD: &str =
    "<div class=\"case-head\" role=\"button\" tabindex=\"0\" aria-expanded=\"false\">";

/// A case's row, worked out: its score and badges.
pub(super) struct CaseHead<'a> {
    row: &'a Row<'a>,
    /// Its place in the list, which is its entry in the transcripts' data.
    index: usize,
    /// The score as written ("3/4", or "–" for a case that did not run) and its class.
    score: (String, &'static str),
    /// The badges after the title, (class, text): the outcomes other than correct and
    /// "readings differ", or "not run".
    badges: Vec<(String, &'static str)>,
}

impl<'a> CaseHead<'a> {
    pub(super) fn new(row: &'a Row<'a>, index: usize) -> Self {
        let Some(record) = row.record else {
            return CaseHead {
                row,
                index,
                score: ("–".into(), "none"),
                badges: vec![("o-not_run".into(), "not run")],
            };
        };
        let n = record.mcqs.len();
        let correct = record
            .mcqs
            .iter()
            .filter(|m| Outcome::recorded(m) == Outcome::Correct)
            .count();
        let class = if n > 0 && correct == n {
            "all"
        } else if correct == 0 {
            "none"
        } else {
            "some"
        };
        let mut badges: Vec<(String, &'static str)> = row
            .outcomes
            .iter()
            .filter(|key| **key != "correct")
            .filter_map(|key| Some((format!("o-{key}"), outcome_name(Outcome::from_key(key)?))))
            .collect();
        if row.differ > 0 {
            badges.push(("differ".into(), "readings differ"));
        }
        CaseHead {
            row,
            index,
            score: (format!("{correct}/{n}"), class),
            badges,
        }
    }
}

/// A list as a JSON array in an attribute (escaped), for the page's script to parse.
fn json_attr(values: &[impl AsRef<str>]) -> String {
    let list: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    escape(&serde_json::to_string(&list).expect("strings serialise"))
}

/// The row: the case's anchor and facets, then its head (a case that did not run is
/// hidden until the case filter asks for it).
pub(super) fn emit(out: &mut String, head: &CaseHead) {
    let row = head.row;
    let id = escape(&row.id);
    let shown_id = if row.id.is_empty() { "(no id)" } else { &id };
    let ran = row.record.is_some();
    let differ = if row.differ > 0 {
        format!(" data-differ=\"{}\"", row.differ)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<div class=\"case{}\" id=\"case-{id}\" data-i=\"{}\" data-case=\"{}\" data-outcome=\"{}\" data-chapter=\"{}\" data-modality=\"{}\"{differ}{}>{HEAD}",
        if ran { "" } else { " not-run" },
        head.index,
        json_attr(&row.case),
        json_attr(&row.outcomes),
        json_attr(&[row.chapter.as_str()]),
        json_attr(&row.modalities),
        if ran { "" } else { " hidden" },
    );
    let (score, class) = &head.score;
    let _ = write!(
        out,
        "<span class=\"score {class}\">{score}</span><span class=\"cid\">{shown_id}</span><span class=\"ctitle\">{}</span>",
        escape(&row.title)
    );
    for (class, text) in &head.badges {
        let _ = write!(out, "<span class=\"badge {class}\">{text}</span>");
    }
    out.push_str("</div></div>\n");
}
