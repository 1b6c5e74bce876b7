//! The results file (docs/results.md), read leniently so that files written by the official
//! Python tool, by older versions of ours, or edited by hand all load.
//!
//! Unknown keys are kept (`extra`) so that rewriting a file loses nothing.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dataset::schema::Text;
use crate::pytext;

mod case_id;
mod meta;

pub use case_id::{ById, CaseId, places};
pub use meta::RunMeta;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResultsFile {
    #[serde(default)]
    pub meta: Map<String, Value>,
    #[serde(default)]
    pub summary: Value,
    #[serde(default)]
    pub cases: Vec<CaseRecord>,
    /// Ours: cases a stopped run had started but not finished, with the turns they had
    /// answered, so that the results file alone (without its journal) loses nothing and
    /// `--resume` continues them. Not counted in any score.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfinished_cases: Vec<CaseRecord>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CaseRecord {
    #[serde(default)]
    pub case_id: Value,
    #[serde(default)]
    pub pmc: Value,
    #[serde(default)]
    pub doi: Value,
    #[serde(default, skip_serializing_if = "Text::is_missing")]
    pub rarity: Text,
    #[serde(default, skip_serializing_if = "Text::is_missing")]
    pub level1: Text,
    #[serde(default, skip_serializing_if = "Text::is_missing")]
    pub level2: Text,
    #[serde(default)]
    pub total_mcqs: Value,
    /// Absent in hand-made files; the analysis then counts `is_correct`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct_mcqs: Option<Value>,
    #[serde(default)]
    pub mcqs: Vec<McqRecord>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct McqRecord {
    #[serde(default, skip_serializing_if = "Text::is_missing")]
    pub stage: Text,
    #[serde(default)]
    pub mcq_index: Value,
    #[serde(default)]
    pub correct_answer: Value,
    #[serde(default)]
    pub extracted_answer: Value,
    #[serde(default)]
    pub is_correct: Value,
    #[serde(default)]
    pub model_response: Value,
    #[serde(default)]
    pub error: Value,
    #[serde(default)]
    pub image_types: Value,
    #[serde(default)]
    pub table_types: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How much of its config a results file covers (ours, in `meta`; files of the official
/// tool and of older versions do not say). A run stopped early, a `--limit` run and a
/// shard all cover part of it, and every report says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Every case of the config is in `cases`.
    pub complete: bool,
    /// Cases in the config's JSONL.
    pub cases_in_config: u64,
    /// Cases in `cases` (finished, with or without errors).
    pub cases_run: u64,
}

impl Coverage {
    pub fn new(cases_in_config: usize, cases_run: usize) -> Self {
        Coverage {
            complete: cases_run >= cases_in_config,
            cases_in_config: cases_in_config as u64,
            cases_run: cases_run as u64,
        }
    }

    /// What a results file's `meta` says, if it says.
    pub fn of(meta: &Map<String, Value>) -> Option<Self> {
        let number = |key: &str| meta.get(key).and_then(Value::as_u64);
        Some(Coverage {
            complete: meta.get("complete")?.as_bool()?,
            cases_in_config: number("cases_in_config")?,
            cases_run: number("cases_run")?,
        })
    }

    pub fn insert_into(&self, meta: &mut Map<String, Value>) {
        meta.insert("complete".into(), Value::Bool(self.complete));
        meta.insert("cases_in_config".into(), self.cases_in_config.into());
        meta.insert("cases_run".into(), self.cases_run.into());
    }

    /// `"1,380 of 1,407 cases were not run"` when some were not.
    pub fn note(&self) -> Option<String> {
        if self.complete || self.cases_run >= self.cases_in_config {
            return None;
        }
        let missing = self.cases_in_config - self.cases_run;
        Some(format!(
            "{missing} of {} {} not run",
            crate::plural::count(self.cases_in_config, "case", "cases"),
            crate::plural::were(missing)
        ))
    }
}

impl CaseRecord {
    /// Correct MCQs as the official analysis counts them: the stored `correct_mcqs` when
    /// present (even if it disagrees with the MCQ list), else the `is_correct` count. An
    /// impossible stored count is refused when a file is read (`read`); a record built in
    /// memory with one falls back to the `is_correct` count.
    pub(crate) fn correct_count(&self) -> i64 {
        match self.stored_correct() {
            Ok(Some(count)) => count,
            _ => self.mcqs.iter().filter(|m| m.is_correct()).count() as i64,
        }
    }

    /// The stored `correct_mcqs`, if any, when it is possible: a whole number from 0 to
    /// the case's MCQ count (`2.0` reads as 2). Anything else (`1e300`, `-1`, `"2"`) is
    /// an error saying what it holds: summed, it would overflow or give an accuracy
    /// outside 0-100 %.
    pub(crate) fn stored_correct(&self) -> Result<Option<i64>, String> {
        let Some(value) = &self.correct_mcqs else {
            return Ok(None);
        };
        let most = self.mcqs.len();
        match value.as_f64() {
            Some(n) if n.fract() == 0.0 && (0.0..=most as f64).contains(&n) => Ok(Some(n as i64)),
            _ => Err(format!(
                "correct_mcqs is {value}, not a whole number from 0 to its {most} MCQs"
            )),
        }
    }
}

/// Our keys on a skipped MCQ holding its question's real types (the official fields are
/// left empty, as the official tool leaves them).
pub const QUESTION_IMAGE_TYPES: &str = "question_image_types";
pub const QUESTION_TABLE_TYPES: &str = "question_table_types";

impl McqRecord {
    /// This record with a skipped question's real types put back into `image_types` and
    /// `table_types` (for the modality view that counts skipped questions); `None` when
    /// it holds none.
    pub(crate) fn with_question_types(&self) -> Option<McqRecord> {
        let images = self.extra.get(QUESTION_IMAGE_TYPES)?;
        let tables = self.extra.get(QUESTION_TABLE_TYPES)?;
        Some(McqRecord {
            image_types: images.clone(),
            table_types: tables.clone(),
            ..self.clone()
        })
    }

    pub fn is_correct(&self) -> bool {
        pytext::truthy(&self.is_correct)
    }

    pub fn has_error(&self) -> bool {
        pytext::truthy(&self.error)
    }

    /// 0-based position in the case (`mcq_index`, 0 when absent, as the official
    /// analysis reads it).
    pub fn position(&self) -> i64 {
        self.index().unwrap_or(0)
    }

    /// The question this record answers (`mcq_index`), if it says.
    pub fn index(&self) -> Option<i64> {
        self.mcq_index.as_i64().filter(|i| *i >= 0)
    }

    pub fn image_types(&self) -> impl Iterator<Item = &str> {
        strings(&self.image_types)
    }

    pub fn table_types(&self) -> impl Iterator<Item = &str> {
        strings(&self.table_types)
    }
}

fn strings(list: &Value) -> impl Iterator<Item = &str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a LiveClin results file")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    /// A count no run can produce (a hand-edited file): refused rather than summed.
    #[error("{path}: case {case}: {problem}")]
    Count {
        path: String,
        case: String,
        problem: String,
    },
}

/// Reads a results file written by us or by the official tool.
pub fn read(path: &Path) -> Result<ResultsFile, ReadError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: shown.clone(),
        source,
    })?;
    let file: ResultsFile = serde_json::from_slice(&bytes).map_err(|source| ReadError::Json {
        path: shown.clone(),
        source,
    })?;
    check_counts(&file.cases).map_err(|(case, problem)| ReadError::Count {
        path: shown,
        case,
        problem,
    })?;
    Ok(file)
}

/// The first scored case whose stored count is impossible, named by its id and its
/// position in `cases` (1-based), with what is wrong.
fn check_counts(cases: &[CaseRecord]) -> Result<(), (String, String)> {
    for (i, case) in cases.iter().enumerate() {
        if let Err(problem) = case.stored_correct() {
            return Err((case.describe("cases", i), problem));
        }
    }
    Ok(())
}

/// Writes a results file atomically and durably: a temporary file next to it, fsync'd,
/// renamed over the old one, and the folder fsync'd, so a crash or power cut leaves the
/// old file or the new one, never a half-written one. The temporary file is removed when
/// anything fails. Only a regular file (or nothing) is ever replaced. Indented by two
/// spaces, non-ASCII kept, as the official tool writes it.
pub fn write_atomic(path: &Path, file: &ResultsFile) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.file_type().is_file()
    {
        anyhow::bail!(
            "{} is not a regular file; results are written only to regular files",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let written = write_new(&tmp, file).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    sync_dir(path);
    Ok(())
}

/// Makes a rename or a new file in `path`'s folder durable (best effort: some file
/// systems cannot sync a folder).
pub fn sync_dir(path: &Path) {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir,
        None => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

fn write_new(path: &Path, file: &ResultsFile) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer_pretty(&mut out, file)?;
    out.write_all(b"\n")?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_possible_correct_counts_are_read() {
        let case = |correct: Value| -> CaseRecord {
            serde_json::from_value(serde_json::json!({
                "case_id": "PMC1", "correct_mcqs": correct,
                "mcqs": [{"is_correct": true}, {"is_correct": false}]
            }))
            .unwrap()
        };
        for (stored, read) in [
            (Value::from(2), 2),
            (Value::from(0), 0),
            (Value::from(1.0), 1),
        ] {
            assert_eq!(
                case(stored.clone()).stored_correct(),
                Ok(Some(read)),
                "{stored}"
            );
        }
        assert_eq!(case(Value::Null).stored_correct(), Ok(None));
        assert_eq!(case(Value::Null).correct_count(), 1);
        for impossible in [
            Value::from(1e300),
            Value::from(-1),
            Value::from(3),
            Value::from(0.5),
            Value::from("2"),
            Value::from(u64::MAX),
        ] {
            let case = case(impossible.clone());
            let problem = case.stored_correct().unwrap_err();
            assert!(problem.contains(&impossible.to_string()), "{problem}");
            assert_eq!(case.correct_count(), 1, "{impossible}");
            let (name, _) = check_counts(&[CaseRecord::default(), case]).unwrap_err();
            assert_eq!(name, "PMC1 (#2 in cases)");
        }
    }
}
