//! The case transcripts of the report page: each case as one conversation (the text sent
//! at each turn, the model's reply, the answer read and the correct one), with the
//! filters, the search and the little script that applies them. Separate from
//! [`super::report_page`] because it is most of the page's weight and the only part that
//! reads the dataset.
//!
//! The page stays light however many cases it has: each case is one collapsed row of
//! HTML (a plain `div`: its score, id, title and badges, with the facts the filters need
//! in escaped data-attributes), and the transcripts themselves are one JSON array,
//! zlib-compressed and base64-encoded in the page's script (`const LIVECLIN_CASES_Z =
//! "..."`; [`page_cases`] reads it back). The script inflates it after the page has
//! loaded and draws a case's transcript, as text (never as HTML), when it is opened.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::path::Path;

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use super::{deflate, escape, outcome_name, plural};
use liveclin_core::analysis::outcome::Outcome;
use liveclin_core::dataset::schema::{Case, items};
use liveclin_core::dataset::taxonomy;
use liveclin_core::dataset::{Dataset, LoadedCase};
use liveclin_core::prompt::{self, ImageMode, Picture};
use liveclin_core::results::{CaseRecord, McqRecord, ResultsFile};

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

/// How many cases "Open the first 50 shown" opens at a time.
pub(crate) const OPEN_CAP: usize = 50;

/// The page's script: the chart order, the filters, the search and the transcripts.
const SCRIPT: &str = include_str!("report.js");

/// The case-level outcomes of the case filter, in its order: (key, label).
const CASE_OUTCOMES: [(&str, &str); 4] = [
    ("fully_right", "fully right"),
    ("some_wrong", "some wrong"),
    ("api_failure", "API failure"),
    ("not_run", "not run"),
];

fn text_or<'a>(
    text: &'a liveclin_core::dataset::schema::Text,
    default: &'a str,
) -> std::borrow::Cow<'a, str> {
    if text.is_missing() {
        default.into()
    } else {
        text.py_get(default)
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

/// An answer read from a reply: `None` when nothing was read (null or empty).
pub(super) fn reading(value: &Value) -> Option<String> {
    value_text(value).filter(|s| !s.is_empty())
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
pub(super) struct Disagreement<'a> {
    pub case_id: String,
    pub mcq: &'a McqRecord,
}

/// Every MCQ of the file whose two readings differ, in the file's order.
pub(super) fn disagreements(file: &ResultsFile) -> Vec<Disagreement<'_>> {
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

/// The number in "Chapter 12: ..." (case-insensitive), for ordering chapters as the ICD
/// does rather than as strings ("Chapter 10" after "Chapter 9").
pub(super) fn chapter_number(name: &str) -> Option<u32> {
    let rest = name.trim_start();
    let head = rest.get(..8)?;
    if !head.eq_ignore_ascii_case("chapter ") {
        return None;
    }
    let digits: String = rest[8..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Orders chapter names by chapter number; names without one come after, by name.
pub(super) fn chapter_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| (chapter_number(s).unwrap_or(u32::MAX), s.to_string());
    key(a).cmp(&key(b))
}

/// What the filters need to know about a row of the case list.
struct Row<'a> {
    id: String,
    title: String,
    record: Option<&'a CaseRecord>,
    loaded: Option<&'a LoadedCase>,
    /// The case filter's values: "ran" and the case outcome, or "not_run".
    case: Vec<&'static str>,
    /// The outcomes of its MCQs (the question filter).
    outcomes: Vec<&'static str>,
    chapter: String,
    modalities: Vec<String>,
    /// MCQs whose two readings differ.
    differ: usize,
}

/// The case-level outcome of a case that ran: every MCQ right, else one failed (API
/// failure or skipped after one), else some wrong.
fn case_outcome(record: &CaseRecord) -> &'static str {
    let outcomes: Vec<Outcome> = record.mcqs.iter().map(Outcome::recorded).collect();
    if !outcomes.is_empty() && outcomes.iter().all(|o| *o == Outcome::Correct) {
        "fully_right"
    } else if outcomes
        .iter()
        .any(|o| matches!(o, Outcome::ApiFailure | Outcome::Skipped))
    {
        "api_failure"
    } else {
        "some_wrong"
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn run_row<'a>(record: &'a CaseRecord, loaded: Option<&'a LoadedCase>) -> Row<'a> {
    let mut outcomes: Vec<&'static str> = Vec::new();
    let mut modalities: Vec<String> = Vec::new();
    for mcq in &record.mcqs {
        push_unique(&mut outcomes, Outcome::recorded(mcq).key());
        let image = mcq
            .image_types()
            .flat_map(taxonomy::image_modalities)
            .map(|m| format!("image:{m}"));
        let table = mcq
            .table_types()
            .flat_map(taxonomy::table_modalities)
            .map(|m| format!("table:{m}"));
        for m in image.chain(table) {
            push_unique(&mut modalities, m);
        }
    }
    let title = loaded
        .and_then(|c| c.case.title.as_str().map(str::to_string))
        .or_else(|| record.extra.get("title").and_then(value_text))
        .unwrap_or_default();
    Row {
        id: record.id_text(),
        title,
        record: Some(record),
        loaded,
        case: vec!["ran", case_outcome(record)],
        outcomes,
        chapter: text_or(&record.level1, "Unknown").into_owned(),
        modalities,
        differ: record
            .mcqs
            .iter()
            .filter(|m| readings_differ(m) == Some(true))
            .count(),
    }
}

/// The modalities of a case of the dataset, as its records would have them.
fn dataset_modalities(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    let mut images: Vec<String> = Vec::new();
    let mut tables: Vec<String> = Vec::new();
    if let Some(policy) = case.policy() {
        images.extend(
            items(&policy.scenario_image_details).filter_map(|i| i.kind.as_str().map(String::from)),
        );
        tables.extend(
            items(&policy.scenario_table_details).filter_map(|t| t.kind.as_str().map(String::from)),
        );
    }
    for mcq in case.mcqs() {
        images.extend(items(&mcq.image_details).filter_map(|i| i.kind.as_str().map(String::from)));
        tables.extend(items(&mcq.table_details).filter_map(|t| t.kind.as_str().map(String::from)));
    }
    for m in images.iter().flat_map(|t| taxonomy::image_modalities(t)) {
        push_unique(&mut out, format!("image:{m}"));
    }
    for m in tables.iter().flat_map(|t| taxonomy::table_modalities(t)) {
        push_unique(&mut out, format!("table:{m}"));
    }
    out
}

fn not_run_row(loaded: &LoadedCase) -> Row<'_> {
    Row {
        id: loaded.id.clone(),
        title: loaded.case.title.as_str().unwrap_or_default().to_string(),
        record: None,
        loaded: Some(loaded),
        case: vec!["not_run"],
        outcomes: Vec::new(),
        chapter: text_or(&loaded.case.level1, "Unknown").into_owned(),
        modalities: dataset_modalities(&loaded.case),
        differ: 0,
    }
}

/// The transcript of one case, as the page's script draws it.
#[derive(Serialize)]
struct CaseData {
    id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    /// (label, value) rows: chapter, subcategory, rarity, DOI, dataset line.
    meta: Vec<(&'static str, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    turns: Vec<TurnData>,
}

/// A picture of a turn: its URL (url mode) or its file under the image root (local mode,
/// where it is sent inline as a data URI), and how it went out.
#[derive(Serialize)]
struct PictureData {
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    how: String,
}

/// One question of a case: what was sent (or not), the reply and the verdict.
#[derive(Serialize, Default)]
struct TurnData {
    /// 1-based position.
    q: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    stage: String,
    /// The outcome key, or "not_run".
    outcome: &'static str,
    /// The text sent to the model at this turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    sent: Option<String>,
    /// The text of a turn that never reached the model (skipped, or the case not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    unsent: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pictures: Vec<PictureData>,
    /// The dataset was loaded but its case has no such question.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    missing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<String>,
    /// The official reading (`extracted_answer`) and its rule (`extraction_rule`).
    #[serde(skip_serializing_if = "Option::is_none")]
    read: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    correct: Option<String>,
    /// The robust reading: absent when the file has none, null when it read nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    robust: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    robust_rule: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    differ: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    finish: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The cases section (a note on where the questions come from, the filters, the
/// disagreements, then every case as a collapsed row), and the page's script with the
/// transcripts' data, to give to [`super::page_end`].
pub(super) fn cases(out: &mut String, file: &ResultsFile, questions: &Questions) -> String {
    out.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n");
    let (by_id, image_root): (HashMap<&str, &LoadedCase>, Option<&Path>) = match questions {
        Questions::Dataset {
            dataset,
            image_root,
        } => (
            dataset.cases.iter().map(|c| (c.id.as_str(), c)).collect(),
            Some(*image_root),
        ),
        Questions::Unavailable(_) => (HashMap::new(), None),
    };
    let mode = match file.meta.get("image_mode").and_then(Value::as_str) {
        Some("local") => ImageMode::Local,
        _ => ImageMode::Url,
    };
    match questions {
        Questions::Dataset { .. } => {
            let pictures = match mode {
                ImageMode::Local => {
                    "pictures are named by their file under the image root, as they were sent inline as data URIs, not shown"
                }
                ImageMode::Url => "pictures are named by the URL sent, not shown",
            };
            let _ = writeln!(
                out,
                "<p class=\"note\">Each case is one conversation: the text sent at each turn (exactly as sent; {pictures}), the model's reply, the answer read from it and the correct answer. A question skipped after a failure shows the text it would have sent, marked as never sent.</p>"
            );
        }
        Questions::Unavailable(why) => {
            let _ = writeln!(
                out,
                "<p class=\"note warn\">The questions are not shown: the dataset could not be loaded ({}). Replies, answers and errors come from the results file.</p>",
                escape(why)
            );
        }
    }

    let mut rows: Vec<Row> = file
        .cases
        .iter()
        .map(|record| run_row(record, by_id.get(record.id_text().as_str()).copied()))
        .collect();
    if let Questions::Dataset { dataset, .. } = questions {
        let ran: HashSet<String> = file.cases.iter().map(CaseRecord::id_text).collect();
        // The official tool leaves the id of a case without pmc, pmid or doi empty, where
        // the dataset gives it a stand-in: as many such cases as empty ids count as run.
        let mut unnamed = file.cases.iter().filter(|c| c.id_text().is_empty()).count();
        rows.extend(
            dataset
                .cases
                .iter()
                .filter(|c| !ran.contains(&c.id))
                .filter(|c| {
                    let stand_in = c.id_is_fallback && unnamed > 0;
                    unnamed -= usize::from(stand_in);
                    !stand_in
                })
                .map(not_run_row),
        );
    }
    let robust = has_robust_reading(file);
    filters(out, &rows, robust);
    disagreement_table(out, file);

    out.push_str("<noscript><p class=\"note warn\">The transcripts are drawn by the page's script: allow JavaScript to read them.</p></noscript>\n<div id=\"case-list\">\n");
    let mut data: Vec<CaseData> = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        case_row(out, row, index);
        data.push(case_data(row, image_root, mode));
    }
    out.push_str("</div>\n</section>\n");
    let json = serde_json::to_vec(&data).expect("the transcripts serialise");
    let packed = base64::engine::general_purpose::STANDARD.encode(deflate::zlib(&json));
    let mut script = String::with_capacity(packed.len() + SCRIPT.len() + 64);
    let _ = write!(script, "\n{DATA_START}{packed}\";\n{SCRIPT}");
    script
}

/// How the page's script starts its data (base64 text follows, up to a `"`).
const DATA_START: &str = "const LIVECLIN_CASES_Z = \"";

/// The transcripts' data of a report page written by [`super::render`]: one entry per
/// row of its case list (`data-i`), `id`, `title`, `meta`, `turns`... `None` when the
/// page has none or it does not unpack.
pub fn page_cases(page: &str) -> Option<Value> {
    use base64::Engine;
    let start = page.find(DATA_START)? + DATA_START.len();
    let end = start + page[start..].find('"')?;
    let packed = base64::engine::general_purpose::STANDARD
        .decode(&page[start..end])
        .ok()?;
    serde_json::from_slice(&deflate::inflate_zlib(&packed).ok()?).ok()
}

fn filters(out: &mut String, rows: &[Row], robust: bool) {
    let count = |pred: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| pred(r)).count();
    let ran = count(&|r| r.record.is_some());
    out.push_str("<div class=\"filters\">\n");
    out.push_str("<label class=\"search\">Search <input type=\"search\" id=\"case-search\" placeholder=\"case id, title or question text\" autocomplete=\"off\" spellcheck=\"false\"></label>\n");
    // Case outcome: one per case.
    let _ = write!(
        out,
        "<label>Case <select data-filter=\"case\"><option value=\"ran\">any case that ran ({})</option>",
        plural(ran as i64, "case")
    );
    for (key, label) in CASE_OUTCOMES {
        let n = count(&|r| r.case.contains(&key));
        if n > 0 || (key != "not_run" && key != "api_failure") {
            let _ = write!(
                out,
                "<option value=\"{key}\">{label} ({})</option>",
                plural(n as i64, "case")
            );
        }
    }
    out.push_str("</select></label>\n");
    // Question outcome: per MCQ, with the cases that have one.
    out.push_str(
        "<label>Question <select data-filter=\"outcome\"><option value=\"\">any outcome</option>",
    );
    for outcome in Outcome::ALL {
        let key = outcome.key();
        let mcqs: usize = rows
            .iter()
            .filter_map(|r| r.record)
            .flat_map(|c| &c.mcqs)
            .filter(|m| Outcome::recorded(m) == outcome)
            .count();
        if mcqs > 0 {
            let cases = count(&|r| r.outcomes.contains(&key));
            let _ = write!(
                out,
                "<option value=\"{key}\">{} ({} in {})</option>",
                outcome_name(outcome),
                plural(mcqs as i64, "question"),
                plural(cases as i64, "case")
            );
        }
    }
    out.push_str("</select></label>\n");
    // Chapter, by chapter number.
    let mut chapters: Vec<&str> = rows.iter().map(|r| r.chapter.as_str()).collect();
    chapters.sort_by(|a, b| chapter_order(a, b));
    chapters.dedup();
    out.push_str("<label>Chapter <select data-filter=\"chapter\"><option value=\"\">any</option>");
    for chapter in chapters {
        let n = count(&|r| r.chapter == chapter);
        let _ = write!(
            out,
            "<option value=\"{}\">{} ({})</option>",
            escape(chapter),
            escape(chapter),
            plural(n as i64, "case")
        );
    }
    out.push_str("</select></label>\n");
    // Modality: images, then tables, most frequent first.
    out.push_str(
        "<label>Modality <select data-filter=\"modality\"><option value=\"\">any</option>",
    );
    for (prefix, group_label) in [("image:", "Pictures"), ("table:", "Tables")] {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for r in rows {
            for m in &r.modalities {
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
            .map(|m| (m, count(&|r| r.modalities.iter().any(|x| x == m))))
            .collect();
        listed.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let _ = write!(out, "<optgroup label=\"{group_label}\">");
        for (m, n) in listed {
            let _ = write!(
                out,
                "<option value=\"{}\">{} ({})</option>",
                escape(m),
                escape(&m[prefix.len()..]),
                plural(n as i64, "case")
            );
        }
        out.push_str("</optgroup>");
    }
    out.push_str("</select></label>\n");
    if robust {
        let questions: usize = rows.iter().map(|r| r.differ).sum();
        let cases = count(&|r| r.differ > 0);
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
        plural(ran as i64, "case")
    );
}

/// The MCQs whose two readings differ, one row each (shown with the "readings differ"
/// filter): the case, the question, both readings with their rules, the correct answer.
fn disagreement_table(out: &mut String, file: &ResultsFile) {
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
    let cell = |answer: Option<String>, rule: Option<String>| {
        let answer = answer.map_or_else(
            || "<span class=\"none\">none</span>".to_string(),
            |a| format!("<b>{}</b>", escape(&a)),
        );
        match rule {
            Some(rule) => format!("{answer} <span class=\"rule\">({})</span>", escape(&rule)),
            None => answer,
        }
    };
    for d in &list {
        let mcq = d.mcq;
        let q = mcq.position() + 1;
        let _ = writeln!(
            out,
            "<tr data-case=\"{0}\" data-q=\"{q}\"><td><a href=\"#case-{0}\" class=\"cid\">{0}</a></td><td>Q{q}</td><td>{1}</td><td>{2}</td><td>{3}</td></tr>",
            escape(&d.case_id),
            cell(
                reading(&mcq.extracted_answer),
                mcq.extra.get("extraction_rule").and_then(reading)
            ),
            cell(
                mcq.extra.get("robust_answer").and_then(reading),
                mcq.extra.get("robust_rule").and_then(reading)
            ),
            cell(reading(&mcq.correct_answer), None)
        );
    }
    out.push_str("</table>\n</div>\n");
}

fn json_attr(values: &[impl AsRef<str>]) -> String {
    let list: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    escape(&serde_json::to_string(&list).expect("strings serialise"))
}

/// The head of a case's row, which opens and closes it (by click, Enter or Space).
const HEAD: &str =
    "<div class=\"case-head\" role=\"button\" tabindex=\"0\" aria-expanded=\"false\">";

/// The collapsed row of a case: its score, id, title and badges (plain `div`s: a
/// thousand `details` elements cost the browser a quarter of a second to build); its
/// body is drawn by the script from the data when it is opened.
fn case_row(out: &mut String, row: &Row, index: usize) {
    let id = escape(&row.id);
    let shown_id = if row.id.is_empty() {
        "(no id)".to_string()
    } else {
        id.clone()
    };
    let common = format!(
        "id=\"case-{id}\" data-i=\"{index}\" data-case=\"{}\" data-outcome=\"{}\" data-chapter=\"{}\" data-modality=\"{}\"",
        json_attr(&row.case),
        json_attr(&row.outcomes),
        json_attr(&[row.chapter.as_str()]),
        json_attr(&row.modalities),
    );
    let Some(record) = row.record else {
        let _ = writeln!(
            out,
            "<div class=\"case not-run\" {common} hidden>{HEAD}<span class=\"score none\">–</span><span class=\"cid\">{shown_id}</span><span class=\"ctitle\">{}</span><span class=\"badge o-not_run\">not run</span></div></div>",
            escape(&row.title)
        );
        return;
    };
    let n = record.mcqs.len();
    let correct = record
        .mcqs
        .iter()
        .filter(|m| Outcome::recorded(m) == Outcome::Correct)
        .count();
    let score_class = if n > 0 && correct == n {
        "all"
    } else if correct == 0 {
        "none"
    } else {
        "some"
    };
    let differ = if row.differ > 0 {
        format!(" data-differ=\"{}\"", row.differ)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<div class=\"case\" {common}{differ}>{HEAD}<span class=\"score {score_class}\">{correct}/{n}</span><span class=\"cid\">{shown_id}</span><span class=\"ctitle\">{}</span>",
        escape(&row.title)
    );
    for key in &row.outcomes {
        if *key != "correct"
            && let Some(o) = Outcome::from_key(key)
        {
            let _ = write!(
                out,
                "<span class=\"badge o-{key}\">{}</span>",
                outcome_name(o)
            );
        }
    }
    if row.differ > 0 {
        out.push_str("<span class=\"badge differ\">readings differ</span>");
    }
    out.push_str("</div></div>\n");
}

/// How a local picture went out: inline as a data URI, or why not (as the run decided).
fn local_picture_note(path: &Path) -> String {
    let Some(mime) = liveclin_core::images::file_image_mime(path) else {
        return if liveclin_core::images::file_is_lfs_pointer(path) {
            "not sent: a Git LFS pointer, not the picture".into()
        } else {
            "not sent: not an image file".into()
        };
    };
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len()) as usize;
    let chars = format!("data:{mime};base64,").len() + bytes.div_ceil(3) * 4;
    if chars > liveclin_core::images::MAX_DATA_URI_CHARS {
        return "not sent: too large to send inline".into();
    }
    format!(
        "sent inline as a data URI ({mime}, {})",
        if bytes >= 1024 * 1024 {
            format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
        } else {
            format!("{} KB", bytes.div_ceil(1024))
        }
    )
}

fn picture_data(picture: &Picture, image_root: &Path) -> PictureData {
    match picture {
        Picture::Url(url) => PictureData {
            url: Some(url.clone()),
            file: None,
            how: if liveclin_core::images::is_http_url(url) {
                "sent as a URL".into()
            } else {
                "not sent: not an http(s) URL".into()
            },
        },
        Picture::File(path) => PictureData {
            url: None,
            file: Some(
                path.strip_prefix(image_root)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            ),
            how: local_picture_note(path),
        },
    }
}

fn case_data(row: &Row, image_root: Option<&Path>, mode: ImageMode) -> CaseData {
    let mut meta: Vec<(&'static str, String)> = Vec::new();
    let mut add = |k: &'static str, v: String| {
        if !v.is_empty() {
            meta.push((k, v));
        }
    };
    add("Chapter", row.chapter.clone());
    let (level2, rarity, doi) = match (row.record, row.loaded) {
        (Some(r), _) => (
            text_or(&r.level2, "").into_owned(),
            r.rarity.as_str().map(liveclin_core::pytext::capitalize),
            value_text(&r.doi),
        ),
        (None, Some(l)) => (
            text_or(&l.case.level2, "").into_owned(),
            l.case
                .rarity
                .as_str()
                .map(liveclin_core::pytext::capitalize),
            l.case.doi.as_str().map(str::to_string),
        ),
        (None, None) => (String::new(), None, None),
    };
    add("Subcategory", level2);
    add("Rarity", rarity.unwrap_or_default());
    add("DOI", doi.unwrap_or_default());
    if let Some(line) = row
        .record
        .and_then(|r| r.extra.get("line").and_then(Value::as_u64))
        .or(row.loaded.map(|c| c.line as u64))
    {
        add("Dataset line", line.to_string());
    }

    let turns = match (row.loaded, image_root) {
        (Some(c), Some(root)) => Some((prompt::case_turns(&c.case, mode, root), root)),
        _ => None,
    };
    let mut note = None;
    if row.record.is_none() {
        note = Some(
            "This case of the config is not in the results file: it was not run (or ran in another shard).",
        );
    } else if image_root.is_some() && row.loaded.is_none() {
        note = Some("This case id is not in the dataset loaded: its questions are not shown.");
    }
    let turn_text = |position: i64| {
        let (turns, root) = turns.as_ref()?;
        let turn = turns.get(usize::try_from(position).ok()?)?;
        Some((
            turn.text.clone(),
            turn.pictures
                .iter()
                .map(|p| picture_data(p, root))
                .collect::<Vec<_>>(),
        ))
    };

    let data_turns: Vec<TurnData> = match row.record {
        None => turns
            .as_ref()
            .map(|(t, root)| {
                t.iter()
                    .enumerate()
                    .map(|(i, turn)| TurnData {
                        q: i as i64 + 1,
                        stage: row
                            .loaded
                            .and_then(|c| {
                                c.case
                                    .mcqs()
                                    .get(i)
                                    .and_then(|m| m.stage.as_str().map(String::from))
                            })
                            .unwrap_or_default(),
                        outcome: "not_run",
                        unsent: Some(turn.text.clone()),
                        pictures: turn
                            .pictures
                            .iter()
                            .map(|p| picture_data(p, root))
                            .collect(),
                        ..Default::default()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Some(record) => {
            let mut mcqs: Vec<&McqRecord> = record.mcqs.iter().collect();
            mcqs.sort_by_key(|m| m.position());
            mcqs.into_iter()
                .map(|mcq| {
                    let outcome = Outcome::recorded(mcq);
                    let mut turn = TurnData {
                        q: mcq.position() + 1,
                        stage: mcq.stage.as_str().unwrap_or("").to_string(),
                        outcome: outcome.key(),
                        reply: value_text(&mcq.model_response).filter(|r| !r.is_empty()),
                        reasoning: mcq
                            .extra
                            .get("reasoning")
                            .and_then(value_text)
                            .filter(|r| !r.is_empty()),
                        read: reading(&mcq.extracted_answer),
                        rule: mcq.extra.get("extraction_rule").and_then(reading),
                        correct: reading(&mcq.correct_answer),
                        robust: mcq.extra.get("robust_answer").map(reading),
                        robust_rule: mcq.extra.get("robust_rule").and_then(reading),
                        differ: readings_differ(mcq) == Some(true),
                        finish: mcq
                            .extra
                            .get("finish_reason")
                            .and_then(value_text)
                            .filter(|r| r != "stop"),
                        error: mcq
                            .has_error()
                            .then(|| value_text(&mcq.error).unwrap_or_default()),
                        ..Default::default()
                    };
                    match turn_text(mcq.position()) {
                        Some((text, pictures)) => {
                            // A skipped question never reached the model.
                            if outcome == Outcome::Skipped {
                                turn.unsent = Some(text);
                            } else {
                                turn.sent = Some(text);
                            }
                            turn.pictures = pictures;
                        }
                        None => turn.missing = turns.is_some(),
                    }
                    turn
                })
                .collect()
        }
    };
    CaseData {
        id: row.id.clone(),
        title: row.title.clone(),
        meta,
        note,
        turns: data_turns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_are_ordered_by_their_number() {
        let mut names = vec![
            "Chapter 10: Respiratory",
            "Unknown",
            "Chapter 2: Neoplasms",
            "chapter 1: Infections",
            "Chapter 21: Factors",
            "Chapter 9: Circulatory",
        ];
        names.sort_by(|a, b| chapter_order(a, b));
        assert_eq!(
            names,
            [
                "chapter 1: Infections",
                "Chapter 2: Neoplasms",
                "Chapter 9: Circulatory",
                "Chapter 10: Respiratory",
                "Chapter 21: Factors",
                "Unknown"
            ]
        );
        assert_eq!(chapter_number("Chapter 13: x"), Some(13));
        assert_eq!(chapter_number("Chapters"), None);
    }
}
