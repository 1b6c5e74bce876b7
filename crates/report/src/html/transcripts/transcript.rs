//! A case's transcript as the page's script draws it (one entry of the transcripts'
//! JSON): its facts, a note when the results and the dataset do not both have it, and
//! each question's turn, with the text sent (rebuilt from the dataset, exactly as the
//! run sent it), the reply, the readings and the verdict.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::readings::{self, reading, readings_differ};
use super::rows::Row;
use super::value_text;
use liveclin_core::analysis::outcome::Outcome;
use liveclin_core::images;
use liveclin_core::prompt::{self, ImageMode, Picture, Turn};
use liveclin_core::pytext::capitalize;
use liveclin_core::results::McqRecord;

/// The transcript of one case, as the page's script draws it.
#[derive(Serialize)]
pub(super) struct CaseData {
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

/// The user turns of a case as the run built them from the dataset, with the image root
/// their pictures' files are named under. `None` without the dataset's case.
struct Prompts<'a> {
    turns: Vec<Turn>,
    image_root: &'a Path,
}

impl Prompts<'_> {
    /// The text and pictures of the turn at 0-based `position`, if the case has it.
    fn turn(&self, position: i64) -> Option<(String, Vec<PictureData>)> {
        let turn = self.turns.get(usize::try_from(position).ok()?)?;
        Some((turn.text.clone(), self.pictures(turn)))
    }

    fn pictures(&self, turn: &Turn) -> Vec<PictureData> {
        turn.pictures
            .iter()
            .map(|p| picture_data(p, self.image_root))
            .collect()
    }
}

/// A case's transcript: its facts, its note, and its turns (every question it ran, or
/// every question it would have asked when it did not run).
pub(super) fn case_data(row: &Row, image_root: Option<&Path>, mode: ImageMode) -> CaseData {
    let prompts = match (row.loaded, image_root) {
        (Some(c), Some(image_root)) => Some(Prompts {
            turns: prompt::case_turns(&c.case, mode, image_root),
            image_root,
        }),
        _ => None,
    };
    let turns = match row.record {
        None => prompts
            .as_ref()
            .map(|p| not_run_turns(row, p))
            .unwrap_or_default(),
        Some(record) => {
            let mut mcqs: Vec<&McqRecord> = record.mcqs.iter().collect();
            mcqs.sort_by_key(|m| m.position());
            mcqs.into_iter()
                .map(|mcq| run_turn(mcq, prompts.as_ref()))
                .collect()
        }
    };
    CaseData {
        id: row.id.clone(),
        title: row.title.clone(),
        meta: meta(row),
        note: note(row, image_root.is_some()),
        turns,
    }
}

/// The case's facts, from its record or else from the dataset, the empty ones left out.
fn meta(row: &Row) -> Vec<(&'static str, String)> {
    let (level2, rarity, doi) = match (row.record, row.loaded) {
        (Some(r), _) => (
            r.level2.py_get("").into_owned(),
            r.rarity.as_str().map(capitalize),
            value_text(&r.doi),
        ),
        (None, Some(l)) => (
            l.case.level2.py_get("").into_owned(),
            l.case.rarity.as_str().map(capitalize),
            l.case.doi.as_str().map(str::to_string),
        ),
        (None, None) => (String::new(), None, None),
    };
    let line = row
        .record
        .and_then(|r| r.extra.get("line").and_then(Value::as_u64))
        .or(row.loaded.map(|c| c.line as u64));
    let facts = [
        ("Chapter", row.chapter.clone()),
        ("Subcategory", level2),
        ("Rarity", rarity.unwrap_or_default()),
        ("DOI", doi.unwrap_or_default()),
        (
            "Dataset line",
            line.map(|l| l.to_string()).unwrap_or_default(),
        ),
    ];
    facts.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// Why a case shows no questions, or only some of the story: it did not run, or the
/// dataset loaded has no case of its id.
fn note(row: &Row, dataset_loaded: bool) -> Option<&'static str> {
    if row.record.is_none() {
        Some(
            "This case of the config is not in the results file: it was not run (or ran in another shard).",
        )
    } else if dataset_loaded && row.loaded.is_none() {
        Some("This case id is not in the dataset loaded: its questions are not shown.")
    } else {
        None
    }
}

/// The turns of a case that did not run: each question it would have asked, never sent.
fn not_run_turns(row: &Row, prompts: &Prompts) -> Vec<TurnData> {
    let mcqs = row.loaded.map(|c| c.case.mcqs()).unwrap_or_default();
    prompts
        .turns
        .iter()
        .enumerate()
        .map(|(i, turn)| TurnData {
            q: i as i64 + 1,
            stage: mcqs
                .get(i)
                .and_then(|m| m.stage.as_str().map(String::from))
                .unwrap_or_default(),
            outcome: "not_run",
            unsent: Some(turn.text.clone()),
            pictures: prompts.pictures(turn),
            ..Default::default()
        })
        .collect()
}

/// The turn of a question that ran: its record's reply, readings and verdict, and the
/// text it sent (or, skipped after a failure, would have sent) from the dataset.
fn run_turn(mcq: &McqRecord, prompts: Option<&Prompts>) -> TurnData {
    let outcome = Outcome::recorded(mcq);
    let (official, robust) = (readings::official(mcq), readings::robust(mcq));
    let extra = |key: &str| mcq.extra.get(key).and_then(value_text);
    let mut turn = TurnData {
        q: mcq.position() + 1,
        stage: mcq.stage.as_str().unwrap_or("").to_string(),
        outcome: outcome.key(),
        reply: value_text(&mcq.model_response).filter(|r| !r.is_empty()),
        reasoning: extra("reasoning").filter(|r| !r.is_empty()),
        read: official.answer,
        rule: official.rule,
        correct: reading(&mcq.correct_answer),
        robust: mcq
            .extra
            .contains_key("robust_answer")
            .then_some(robust.answer),
        robust_rule: robust.rule,
        differ: readings_differ(mcq) == Some(true),
        finish: extra("finish_reason").filter(|r| r != "stop"),
        error: mcq
            .has_error()
            .then(|| value_text(&mcq.error).unwrap_or_default()),
        ..Default::default()
    };
    match prompts.and_then(|p| p.turn(mcq.position())) {
        Some((text, pictures)) => {
            // A skipped question never reached the model.
            if outcome == Outcome::Skipped {
                turn.unsent = Some(text);
            } else {
                turn.sent = Some(text);
            }
            turn.pictures = pictures;
        }
        None => turn.missing = prompts.is_some(),
    }
    turn
}

/// A picture as the transcript names it: its URL, or its file under the image root,
/// with how it went out.
fn picture_data(picture: &Picture, image_root: &Path) -> PictureData {
    match picture {
        Picture::Url(url) => PictureData {
            url: Some(url.clone()),
            file: None,
            how: if images::is_http_url(url) {
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

/// How a local picture went out: inline as a data URI, or why not (as the run decided).
fn local_picture_note(path: &Path) -> String {
    let Some(mime) = images::file_image_mime(path) else {
        return if images::file_is_lfs_pointer(path) {
            "not sent: a Git LFS pointer, not the picture".into()
        } else {
            "not sent: not an image file".into()
        };
    };
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len()) as usize;
    let chars = format!("data:{mime};base64,").len() + bytes.div_ceil(3) * 4;
    if chars > images::MAX_DATA_URI_CHARS {
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
