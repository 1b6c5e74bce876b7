//! A run's identity: everything that decides what the model was asked and how, so that
//! answers from two runs may be mixed only when it is the same. `--resume` compares the
//! identity recorded by the earlier run (journal header, results `meta.identity`) with
//! this run's and refuses a difference unless the user accepts it by name.
//!
//! Not part of the identity, because they change how a run goes but not what an answer
//! means: the endpoint address, the API key, concurrency, retries, timeouts, shards and
//! `--limit`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::dataset::LoadedCase;
use crate::prompt::{ImageMode, Picture, case_turns};

/// The settings that make answers comparable, as recorded in the journal header and in
/// the results `meta.identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub model: String,
    /// The config's name.
    pub dataset: String,
    pub image_mode: String,
    /// SHA-256 of the config's JSONL bytes.
    pub dataset_sha256: String,
    /// SHA-256 over every picture the config refers to (path, size and bytes, in path
    /// order); `None` in url mode, where no picture file is sent.
    pub pictures_sha256: Option<String>,
    pub temperature: f64,
    pub max_tokens: u64,
    /// `--extra-body`, as sent.
    pub extra_body: Map<String, Value>,
    /// liveclin's version: the prompt bytes and the extraction rules are the version's.
    pub version: String,
}

/// One setting of the identity, named as `--allow-change` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setting {
    Model,
    Dataset,
    ImageMode,
    DatasetFile,
    Pictures,
    Temperature,
    MaxTokens,
    ExtraBody,
    Version,
}

impl Setting {
    pub const ALL: [Setting; 9] = [
        Setting::Model,
        Setting::Dataset,
        Setting::ImageMode,
        Setting::DatasetFile,
        Setting::Pictures,
        Setting::Temperature,
        Setting::MaxTokens,
        Setting::ExtraBody,
        Setting::Version,
    ];

    /// The key in `meta.identity`.
    fn key(self) -> &'static str {
        match self {
            Setting::Model => "model",
            Setting::Dataset => "dataset",
            Setting::ImageMode => "image_mode",
            Setting::DatasetFile => "dataset_sha256",
            Setting::Pictures => "pictures_sha256",
            Setting::Temperature => "temperature",
            Setting::MaxTokens => "max_tokens",
            Setting::ExtraBody => "extra_body",
            Setting::Version => "version",
        }
    }

    /// The name `--allow-change` takes.
    pub fn flag_name(self) -> &'static str {
        match self {
            Setting::Model => "model",
            Setting::Dataset => "dataset",
            Setting::ImageMode => "image-mode",
            Setting::DatasetFile => "dataset-file",
            Setting::Pictures => "pictures",
            Setting::Temperature => "temperature",
            Setting::MaxTokens => "max-tokens",
            Setting::ExtraBody => "extra-body",
            Setting::Version => "version",
        }
    }

    /// Settings an older results file or journal (without `meta.identity`) recorded under
    /// the same keys in `meta`. The official tool's `liveclin_version` is its own, not ours.
    fn in_legacy_meta(self) -> bool {
        matches!(
            self,
            Setting::Model
                | Setting::Dataset
                | Setting::ImageMode
                | Setting::Temperature
                | Setting::MaxTokens
        )
    }
}

/// What an earlier run recorded about itself: its identity's settings as JSON, by key,
/// leniently (an official results file records only some of them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded(Map<String, Value>);

impl Recorded {
    /// From a results file's or journal header's `meta`: its `identity` object, else the
    /// settings older files kept at the top of `meta`.
    pub fn from_meta(meta: &Map<String, Value>) -> Self {
        if let Some(Value::Object(identity)) = meta.get("identity") {
            return Recorded(identity.clone());
        }
        let legacy = Setting::ALL
            .iter()
            .filter(|s| s.in_legacy_meta())
            .filter_map(|s| meta.get(s.key()).map(|v| (s.key().to_string(), v.clone())))
            .collect();
        Recorded(legacy)
    }
}

/// A setting whose recorded value differs from this run's.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub setting: Setting,
    pub recorded: Value,
    pub now: Value,
}

impl RunIdentity {
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("an identity always serialises")
    }

    /// Settings recorded by earlier runs that differ from this run's (each setting once,
    /// the first recorded value that differs). A setting an earlier run did not record
    /// is not a difference.
    pub fn differences(&self, recorded: &[Recorded]) -> Vec<Difference> {
        let now = match self.to_value() {
            Value::Object(map) => map,
            _ => unreachable!("an identity is an object"),
        };
        let mut found = Vec::new();
        for setting in Setting::ALL {
            let current = &now[setting.key()];
            let earlier = recorded
                .iter()
                .filter_map(|r| r.0.get(setting.key()))
                .find(|value| !same(value, current));
            if let Some(value) = earlier {
                found.push(Difference {
                    setting,
                    recorded: value.clone(),
                    now: current.clone(),
                });
            }
        }
        found
    }
}

/// JSON equality, with numbers compared by value (`0` and `0.0` are one temperature).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The refusal of a resume whose settings differ, with a table of what differs and how
/// to go on; `None` when every difference is accepted by `--allow-change`.
pub fn refusal(
    differences: &[Difference],
    allowed: &BTreeSet<Setting>,
    source: &str,
) -> Option<String> {
    let refused: Vec<&Difference> = differences
        .iter()
        .filter(|d| !allowed.contains(&d.setting))
        .collect();
    if refused.is_empty() {
        return None;
    }
    let mut text = format!(
        "--resume: {source} holds answers made with other settings; mixing them with this run's would give numbers that mean neither:\n"
    );
    let rows: Vec<(String, String, String)> = refused
        .iter()
        .map(|d| {
            (
                d.setting.flag_name().to_string(),
                shown(&d.recorded),
                shown(&d.now),
            )
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(7);
    let _ = writeln!(text, "  {:width$}  {:32}  now", "setting", "recorded");
    for (name, recorded, now) in rows {
        let _ = writeln!(text, "  {name:width$}  {recorded:32}  {now}");
    }
    let flags: Vec<String> = refused
        .iter()
        .map(|d| format!("--allow-change {}", d.setting.flag_name()))
        .collect();
    let _ = write!(
        text,
        "To continue that run, rerun with its settings. To start a new run, give another --output \
         (or --overwrite, which moves the old files to a numbered backup). To mix the answers \
         anyway, add {}.",
        flags.join(" ")
    );
    Some(text)
}

/// A recorded value as the table shows it: strings bare, long hashes shortened.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("sha256 {}…", &s[..12])
        }
        Value::String(s) => s.clone(),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

/// The accepted differences as results `meta.accepted_changes` records them.
pub fn accepted(differences: &[Difference]) -> Value {
    Value::Array(
        differences
            .iter()
            .map(
                |d| json!({"setting": d.setting.flag_name(), "recorded": d.recorded, "now": d.now}),
            )
            .collect(),
    )
}

/// SHA-256 over every picture file the cases refer to in local mode: relative path,
/// size and bytes, in path order, each once. A missing file counts as missing, so a
/// picture that appears later changes the hash. Reads every picture once (a full config
/// is a few hundred MB; the page cache then serves the run).
pub fn pictures_sha256(cases: &[LoadedCase], image_root: &Path) -> std::io::Result<String> {
    let mut files = BTreeSet::new();
    for lc in cases {
        for turn in case_turns(&lc.case, ImageMode::Local, image_root) {
            for picture in turn.pictures {
                if let Picture::File(path) = picture {
                    files.insert(path);
                }
            }
        }
    }
    let mut hasher = Sha256::new();
    for path in files {
        let relative = path.strip_prefix(image_root).unwrap_or(&path);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update([0]);
        match std::fs::read(&path) {
            Ok(bytes) => {
                hasher.update((bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => hasher.update(b"missing"),
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot read the picture {}: {e}", path.display()),
                ));
            }
        }
    }
    Ok(crate::digest::hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> RunIdentity {
        RunIdentity {
            model: "m".into(),
            dataset: "demo".into(),
            image_mode: "local".into(),
            dataset_sha256: "a".repeat(64),
            pictures_sha256: Some("b".repeat(64)),
            temperature: 0.0,
            max_tokens: 16384,
            extra_body: Map::new(),
            version: "0.1.0".into(),
        }
    }

    fn recorded(identity: &RunIdentity) -> Recorded {
        let mut meta = Map::new();
        meta.insert("identity".into(), identity.to_value());
        Recorded::from_meta(&meta)
    }

    #[test]
    fn the_same_settings_differ_in_nothing() {
        let now = identity();
        assert!(now.differences(&[recorded(&now)]).is_empty());
        assert!(now.differences(&[]).is_empty());
    }

    #[test]
    fn each_difference_is_named_and_refused_unless_allowed() {
        let before = identity();
        let mut now = identity();
        now.model = "other".into();
        now.temperature = 0.7;
        now.extra_body.insert("top_p".into(), json!(0.9));
        let differences = now.differences(&[recorded(&before)]);
        let names: Vec<&str> = differences.iter().map(|d| d.setting.flag_name()).collect();
        assert_eq!(names, ["model", "temperature", "extra-body"]);
        let text = refusal(&differences, &BTreeSet::new(), "run.json").unwrap();
        assert!(text.contains("model"), "{text}");
        assert!(text.contains("0.7"), "{text}");
        assert!(
            text.contains(
                "--allow-change model --allow-change temperature --allow-change extra-body"
            ),
            "{text}"
        );
        let some: BTreeSet<Setting> = [Setting::Model, Setting::Temperature].into();
        let text = refusal(&differences, &some, "run.json").unwrap();
        assert!(!text.contains("--allow-change model"), "{text}");
        let all: BTreeSet<Setting> =
            [Setting::Model, Setting::Temperature, Setting::ExtraBody].into();
        assert!(refusal(&differences, &all, "run.json").is_none());
    }

    #[test]
    fn older_files_are_checked_on_what_they_recorded() {
        let meta: Map<String, Value> = serde_json::from_value(json!({
            "model": "m", "dataset": "demo", "image_mode": "url",
            "temperature": 0, "liveclin_version": "1.0.0"
        }))
        .unwrap();
        let differences = identity().differences(&[Recorded::from_meta(&meta)]);
        let names: Vec<&str> = differences.iter().map(|d| d.setting.flag_name()).collect();
        // 0 and 0.0 are one temperature; the official tool's version is not ours.
        assert_eq!(names, ["image-mode"]);
    }
}
