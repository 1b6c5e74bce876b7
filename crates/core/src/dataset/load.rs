//! Reading a LiveClin JSONL file into cases, with errors that name the file and line.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::schema::Case;

/// One case of a config, with where it came from and the id used for resume and results.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// 1-based line number in the JSONL file.
    pub line: usize,
    pub id: String,
    /// True when the case has no pmc, pmid or doi and `id` is our stable stand-in
    /// (the official tool would leave it empty).
    pub id_is_fallback: bool,
    pub case: Case,
}

#[derive(Debug)]
pub struct Dataset {
    pub path: PathBuf,
    pub cases: Vec<LoadedCase>,
    /// SHA-256 of the file's bytes (hex): part of a run's identity, so that a resume
    /// against an edited dataset is noticed.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}{}", others_note(*others))]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
        /// How many other lines of the file were also malformed.
        others: usize,
    },
}

fn others_note(others: usize) -> String {
    match others {
        0 => String::new(),
        1 => " (and 1 other malformed line)".into(),
        n => format!(" (and {n} other malformed lines)"),
    }
}

/// Reads every case of a JSONL file. Blank lines are skipped, as the official tool does;
/// a line that is not a JSON object is an error naming the first such line, never a
/// silent skip.
pub fn load_jsonl(path: &Path) -> Result<Dataset, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_jsonl(path, &bytes)
}

fn parse_jsonl(path: &Path, bytes: &[u8]) -> Result<Dataset, LoadError> {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut cases = Vec::new();
    let mut bad: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(e) => {
                bad.push((line, format!("not valid UTF-8 ({e})")));
                continue;
            }
        };
        let text = crate::pytext::strip(text);
        if text.is_empty() {
            continue;
        }
        match parse_case(text) {
            Ok(case) => {
                let official = case.official_id();
                let (id, id_is_fallback) = if official.is_empty() {
                    (fallback_id(&case), true)
                } else {
                    (official, false)
                };
                cases.push(LoadedCase {
                    line,
                    id,
                    id_is_fallback,
                    case,
                });
            }
            Err(message) => bad.push((line, message)),
        }
    }
    match bad.first() {
        None => Ok(Dataset {
            path: path.to_path_buf(),
            cases,
            sha256: crate::digest::hex(&Sha256::digest(bytes)),
        }),
        Some((line, message)) => Err(LoadError::Malformed {
            path: path.to_path_buf(),
            line: *line,
            message: message.clone(),
            others: bad.len() - 1,
        }),
    }
}

fn parse_case(text: &str) -> Result<Case, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        // serde_json counts lines inside the text; here the text is one line of the file.
        let message = e.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |at| &message[..at]);
        format!("invalid JSON at column {}: {message}", e.column())
    })?;
    if !value.is_object() {
        return Err(format!(
            "expected a JSON object (one case per line), found {}",
            super::schema::json_kind(&value)
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("unreadable case: {e}"))
}

/// A stable id for a case without pmc, pmid or doi: a hash of its title, scenario and
/// questions, so it survives reordering of the file and is the same on every machine.
fn fallback_id(case: &Case) -> String {
    let mut hasher = Sha256::new();
    hasher.update(case.title.py_get("").as_bytes());
    if let Some(policy) = case.policy() {
        hasher.update(b"\x1f");
        hasher.update(policy.scenario.py_get("").as_bytes());
    }
    for mcq in case.mcqs() {
        hasher.update(b"\x1f");
        hasher.update(mcq.question.py_get("").as_bytes());
    }
    let digest = hasher.finalize();
    format!("NOID_{}", crate::digest::hex(&digest[..6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Dataset, LoadError> {
        parse_jsonl(Path::new("cases.jsonl"), text.as_bytes())
    }

    #[test]
    fn reads_cases_and_skips_blank_lines() {
        let ds =
            parse("{\"pmc\": \"1\"}\n\n  \n{\"pmid\": 7}\r\n{\"doi\": \" 10.1/x \"}\n").unwrap();
        let ids: Vec<_> = ds.cases.iter().map(|c| (c.line, c.id.as_str())).collect();
        assert_eq!(ids, [(1, "1"), (4, "PMID_7"), (5, "10.1/x")]);
    }

    #[test]
    fn malformed_line_names_file_line_and_count() {
        let err = parse("{\"pmc\": \"1\"}\n{oops\n[1]\n{\"pmc\": \"2\"}\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("cases.jsonl:2: invalid JSON at column 2: key must be a string"),
            "{text}"
        );
        assert!(text.ends_with("(and 1 other malformed line)"), "{text}");
        let err = parse("[1]\n").unwrap_err().to_string();
        assert!(
            err.contains("cases.jsonl:1: expected a JSON object"),
            "{err}"
        );
    }

    #[test]
    fn wrong_shapes_are_read_leniently() {
        let ds = parse(r#"{"pmc": 5, "exam_creation": {"final_policy": {"mcqs": "none", "scenario": null}}, "extra": [1]}"#).unwrap();
        let case = &ds.cases[0];
        assert_eq!(case.id, "5");
        assert!(case.case.mcqs().is_empty());
    }

    #[test]
    fn id_order_and_fallback() {
        let ds = parse(concat!(
            "{\"pmc\": \"\", \"pmid\": \"\", \"PMID\": 42}\n",
            "{\"pmc\": \" \", \"pmid\": 1}\n",
            "{\"title\": \"t\"}\n",
            "{\"title\": \"t\"}\n",
            "{\"title\": \"u\"}\n",
        ))
        .unwrap();
        assert_eq!(ds.cases[0].id, "PMID_42");
        // A whitespace pmc is truthy to the official tool and strips to "": no fallthrough.
        assert!(ds.cases[1].id_is_fallback);
        assert!(ds.cases[2].id.starts_with("NOID_") && ds.cases[2].id_is_fallback);
        assert_eq!(ds.cases[2].id, ds.cases[3].id);
        assert_ne!(ds.cases[2].id, ds.cases[4].id);
    }
}
