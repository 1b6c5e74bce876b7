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
//!
//! Every part is derived first (the cases' facts in [`rows`], the filters' choices, a
//! case's transcript), then written: [`case_list`] the collapsed rows, [`filters`] the
//! filters, [`readings`] the table of readings that differ, [`transcript`] the data the
//! script draws.

mod case_list;
mod filters;
mod readings;
mod rows;
mod transcript;

use std::fmt::Write;
use std::path::Path;

use base64::Engine;
use serde_json::Value;

use super::escape;
use liveclin_core::dataset::Dataset;
use liveclin_core::prompt::ImageMode;
use liveclin_core::results::ResultsFile;

pub(super) use readings::disagreements;

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

/// The page's script: the chart order, the filters, the search and the transcripts.
const SCRIPT: &str = include_str!("../report.js");

/// How the page's script starts its data (base64 text follows, up to a `"`).
const DATA_START: &str = "const LIVECLIN_CASES_Z = \"";

/// The cases section (a note on where the questions come from, the filters, the
/// disagreements, then every case as a collapsed row), and the page's script with the
/// transcripts' data, to give to [`super::page_end`].
pub(super) fn cases(out: &mut String, file: &ResultsFile, questions: &Questions) -> String {
    let mode = match file.meta.get("image_mode").and_then(Value::as_str) {
        Some("local") => ImageMode::Local,
        _ => ImageMode::Url,
    };
    let image_root = match questions {
        Questions::Dataset { image_root, .. } => Some(*image_root),
        Questions::Unavailable(_) => None,
    };
    let rows = rows::case_rows(file, questions);

    out.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n");
    questions_note(out, questions, mode);
    filters::emit(
        out,
        &filters::Filters::new(&rows, readings::has_robust_reading(file)),
    );
    readings::emit_table(out, file);
    out.push_str("<noscript><p class=\"note warn\">The transcripts are drawn by the page's script: allow JavaScript to read them.</p></noscript>\n<div id=\"case-list\">\n");
    for (index, row) in rows.iter().enumerate() {
        case_list::emit(out, &case_list::CaseHead::new(row, index));
    }
    out.push_str("</div>\n</section>\n");
    let data: Vec<transcript::CaseData> = rows
        .iter()
        .map(|row| transcript::case_data(row, image_root, mode))
        .collect();
    script(&data)
}

/// Where the questions of the transcripts come from, and how their pictures are named;
/// or why they are not shown.
fn questions_note(out: &mut String, questions: &Questions, mode: ImageMode) {
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
}

/// The page's script: the transcripts' data, packed (JSON, zlib-compressed, base64) to
/// keep a page of many cases light, then [`SCRIPT`].
fn script(data: &[transcript::CaseData]) -> String {
    let json = serde_json::to_vec(data).expect("the transcripts serialise");
    let packed = base64::engine::general_purpose::STANDARD.encode(liveclin_zlib::compress(&json));
    let mut script = String::with_capacity(packed.len() + SCRIPT.len() + 64);
    let _ = write!(script, "\n{DATA_START}{packed}\";\n{SCRIPT}");
    script
}

/// The transcripts' data of a report page written by [`super::render`]: one entry per
/// row of its case list (`data-i`), `id`, `title`, `meta`, `turns`... `None` when the
/// page has none or it does not unpack.
pub fn page_cases(page: &str) -> Option<Value> {
    let start = page.find(DATA_START)? + DATA_START.len();
    let end = start + page[start..].find('"')?;
    let packed = base64::engine::general_purpose::STANDARD
        .decode(&page[start..end])
        .ok()?;
    serde_json::from_slice(&liveclin_zlib::inflate(&packed, usize::MAX).ok()?).ok()
}

/// A value of the results as text: strings as they are, null as `None`.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
