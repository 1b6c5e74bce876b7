//! The turns of a case, byte-identical to the official tool (docs/prompts.md).
//!
//! Pure functions from a case and an image mode to the text and pictures of each user
//! turn. The only I/O is checking that a local image file exists (inside the image root,
//! symbolic links resolved: see `image_path`), because the official tool drops a figure's
//! caption when its file is missing.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::dataset::paths::image_path;
use crate::dataset::schema::{Case, Image, List, Mcq, Table, items};
use crate::images::{self, ImageSkip};
use crate::pytext;

/// The instruction closing every question, one line.
pub const ANSWER_INSTRUCTION: &str = "Please provide the letter of the correct option, formatted as \\boxed{LETTER} (e.g., \\boxed{A}).";

/// How pictures reach the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageMode {
    /// Send each figure's public `url`; the model's server fetches it.
    Url,
    /// Read each figure's `file` under the image root and send it inline as base64.
    Local,
}

impl ImageMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageMode::Url => "url",
            ImageMode::Local => "local",
        }
    }
}

/// A picture attached to a turn: a URL (url mode) or a local file (local mode).
#[derive(Debug, Clone, PartialEq)]
pub enum Picture {
    Url(String),
    File(PathBuf),
}

/// One user turn: its text and the pictures that follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub text: String,
    pub pictures: Vec<Picture>,
}

/// Every user turn of a case, in order: the scenario with Q1, then one turn per question.
pub fn case_turns(case: &Case, mode: ImageMode, image_root: &Path) -> Vec<Turn> {
    let Some(policy) = case.policy() else {
        return Vec::new();
    };
    let blocks = Blocks { mode, image_root };
    case.mcqs()
        .into_iter()
        .enumerate()
        .map(|(index, mcq)| {
            let question = blocks.question(mcq);
            if index > 0 {
                return question;
            }
            let scenario_head = format!("* Scenario: {}", policy.scenario.py_get(""));
            let mut turn = blocks.block(
                scenario_head,
                &policy.scenario_image_details,
                &policy.scenario_table_details,
            );
            turn.text.push_str("\n\n");
            turn.text.push_str(&question.text);
            turn.pictures.extend(question.pictures);
            turn
        })
        .collect()
}

/// `"<letter>. <text>"` for every option, sorted by letter, one per line.
pub(crate) fn options_text(mcq: &Mcq) -> String {
    let Some(options) = mcq.options.get() else {
        return String::new();
    };
    let lines: Vec<String> = options
        .iter()
        .map(|(letter, text)| format!("{letter}. {}", text.py_get("")))
        .collect();
    lines.join("\n")
}

struct Blocks<'a> {
    mode: ImageMode,
    image_root: &'a Path,
}

impl Blocks<'_> {
    fn question(&self, mcq: &Mcq) -> Turn {
        let head = format!(
            "* Question: {}\n* Options:\n{}\n\n{}",
            mcq.question.py_get(""),
            options_text(mcq),
            ANSWER_INSTRUCTION
        );
        self.block(head, &mcq.image_details, &mcq.table_details)
    }

    /// The head, then `* Figures:` with the kept captions, then `* Tables:` with each table.
    fn block(&self, head: String, images: &List<Image>, tables: &List<Table>) -> Turn {
        let mut lines = vec![head];
        let mut captions = Vec::new();
        let mut pictures = Vec::new();
        for image in items(images) {
            if !image.caption_prefix.is_truthy() {
                continue;
            }
            if let Some(picture) = self.picture(image) {
                captions.push(image.caption_prefix.py_get("").into_owned());
                pictures.push(picture);
            }
        }
        if !captions.is_empty() {
            lines.push("* Figures:".into());
            lines.extend(captions);
        }
        let tables: Vec<String> = items(tables)
            .filter(|t| t.content.is_truthy())
            .map(|t| {
                let text = format!(
                    "{} {}\n{}",
                    t.caption_prefix.py_get(""),
                    t.caption.py_get(""),
                    t.content.py_get("")
                );
                pytext::strip(&text).to_string()
            })
            .collect();
        if !tables.is_empty() {
            lines.push("* Tables:".into());
            lines.extend(tables);
        }
        Turn {
            text: lines.join("\n"),
            pictures,
        }
    }

    /// The picture an image contributes in this mode, if it is available at all.
    fn picture(&self, image: &Image) -> Option<Picture> {
        match self.mode {
            ImageMode::Url => image
                .url
                .is_truthy()
                .then(|| Picture::Url(image.url.py_get("").into_owned())),
            ImageMode::Local => {
                if !image.file.is_truthy() {
                    return None;
                }
                let path = image_path(self.image_root, &image.file.py_get("")).ok()?;
                path.is_file().then_some(Picture::File(path))
            }
        }
    }
}

/// The `content` list of a user message: the text, then one `image_url` part per
/// picture that can be sent. A URL that is not http(s), or a file that is not an image
/// or too large, loses its picture here while its caption stays in the text (the
/// official order of decisions). `encode` turns a file into a data URI.
pub fn user_content(
    turn: &Turn,
    mut encode: impl FnMut(&Path) -> Result<String, ImageSkip>,
) -> Value {
    let mut parts = vec![json!({"type": "text", "text": turn.text})];
    for picture in &turn.pictures {
        let url = match picture {
            Picture::Url(url) if images::is_http_url(url) => Some(url.clone()),
            Picture::Url(_) => None,
            Picture::File(path) => encode(path).ok(),
        };
        if let Some(url) = url {
            parts.push(json!({"type": "image_url", "image_url": {"url": url}}));
        }
    }
    Value::Array(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case exercising every rule of docs/prompts.md; the expected bytes are written by
    /// hand from those rules, not produced by the code.
    fn case(dir: &Path) -> Case {
        std::fs::write(dir.join("s1.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        std::fs::write(dir.join("q2.jpg"), b"\xff\xd8\xff\xe0").unwrap();
        let json = serde_json::json!({
            "pmc": "1",
            "exam_creation": {"final_policy": {
                "scenario": "A 60-year-old man.",
                "scenario_image_details": [
                    {"caption_prefix": "Figure 1:", "file": "s1.png", "url": "https://x/s1.png", "type": "CT"},
                    {"caption_prefix": "", "file": "s1.png", "url": "https://x/none.png"},
                    {"caption_prefix": "Figure 9:", "file": "absent.png", "url": "ftp://x/9.png"}
                ],
                "scenario_table_details": [
                    {"caption_prefix": "Table 1:", "caption": "Labs", "content": "Hb 9", "type": "Laboratory"},
                    {"caption_prefix": "Table 2:", "caption": "Empty", "content": ""}
                ],
                "mcqs": [
                    {"question": "Next step?", "options": {"B": "CT", "A": "MRI"}, "correct_answer": "A"},
                    {"question": "Q two", "options": {"A": "x", "B": 5},
                     "image_details": [{"caption_prefix": "Figure 2:", "file": "q2.jpg", "url": "http://x/q2.jpg"}],
                     "table_details": [{"caption_prefix": null, "caption": "Doses", "content": " 5 mg \n"}]}
                ]
            }}
        });
        serde_json::from_value(json).unwrap()
    }

    const Q1: &str = "* Question: Next step?\n* Options:\nA. MRI\nB. CT\n\nPlease provide the letter of the correct option, formatted as \\boxed{LETTER} (e.g., \\boxed{A}).";
    const Q2: &str = "* Question: Q two\n* Options:\nA. x\nB. 5\n\nPlease provide the letter of the correct option, formatted as \\boxed{LETTER} (e.g., \\boxed{A}).";

    #[test]
    fn url_mode_turns() {
        let dir = tempfile::tempdir().unwrap();
        let turns = case_turns(&case(dir.path()), ImageMode::Url, dir.path());
        assert_eq!(
            turns[0].text,
            format!(
                "* Scenario: A 60-year-old man.\n* Figures:\nFigure 1:\nFigure 9:\n* Tables:\nTable 1: Labs\nHb 9\n\n{Q1}"
            )
        );
        assert_eq!(
            turns[0].pictures,
            [
                Picture::Url("https://x/s1.png".into()),
                Picture::Url("ftp://x/9.png".into())
            ]
        );
        // A null caption_prefix prints as Python's None; the table text is stripped.
        assert_eq!(
            turns[1].text,
            format!("{Q2}\n* Figures:\nFigure 2:\n* Tables:\nNone Doses\n 5 mg")
        );
        // The ftp picture keeps its caption but is not sent.
        let content = user_content(&turns[0], |_| unreachable!());
        assert_eq!(content.as_array().unwrap().len(), 2);
        assert_eq!(content[1]["image_url"]["url"], "https://x/s1.png");
    }

    #[test]
    fn local_mode_turns() {
        let dir = tempfile::tempdir().unwrap();
        let turns = case_turns(&case(dir.path()), ImageMode::Local, dir.path());
        // Figure 9's file is absent: caption and picture are both dropped.
        assert_eq!(
            turns[0].text,
            format!(
                "* Scenario: A 60-year-old man.\n* Figures:\nFigure 1:\n* Tables:\nTable 1: Labs\nHb 9\n\n{Q1}"
            )
        );
        assert_eq!(
            turns[0].pictures,
            [Picture::File(dir.path().join("s1.png"))]
        );
        let content = user_content(&turns[1], images::data_uri);
        assert_eq!(content[0], json!({"type": "text", "text": turns[1].text}));
        assert_eq!(
            content[1]["image_url"]["url"],
            "data:image/jpeg;base64,/9j/4A=="
        );
    }
}
