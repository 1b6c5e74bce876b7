//! The LiveClin case schema (docs/dataset.md), typed but lenient.
//!
//! Every field is optional and may hold the wrong JSON type: reading never fails on
//! shape, so one odd case cannot stop a run. What a field held is kept precisely enough
//! to reproduce the official tool's prompt bytes (a JSON `null` prints as `None` there,
//! a missing field as its default) and for `validate` to report what is wrong.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::pytext;

/// A scalar field as Python's `dict.get(key, default)` sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Text {
    #[default]
    Missing,
    Null,
    Str(String),
    /// A number, boolean, list or object where text was expected.
    Other(Value),
}

impl Text {
    /// `f"{d.get(key, default)}"`: the default when missing, `None` for null, `str()` else.
    pub fn py_get<'a>(&'a self, default: &'a str) -> std::borrow::Cow<'a, str> {
        match self {
            Text::Missing => default.into(),
            Text::Null => "None".into(),
            Text::Str(s) => s.as_str().into(),
            Text::Other(v) => pytext::py_str(v).into(),
        }
    }

    /// Python truthiness of the value (`if value:`).
    pub fn is_truthy(&self) -> bool {
        match self {
            Text::Missing | Text::Null => false,
            Text::Str(s) => !s.is_empty(),
            Text::Other(v) => pytext::truthy(v),
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Text::Missing)
    }

    /// The text when the field holds a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A missing field is not written (callers skip it); anything else is written as read.
impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Text::Missing | Text::Null => s.serialize_none(),
            Text::Str(text) => s.serialize_str(text),
            Text::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Text::Null,
            Value::String(s) => Text::Str(s),
            other => Text::Other(other),
        })
    }
}

/// A structured field (object or list) that may be absent, null, or of the wrong shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Lenient<T> {
    #[default]
    Missing,
    Null,
    Ok(T),
    /// The value did not have the expected shape; what it was, for `validate`.
    Invalid(String),
}

impl<T> Lenient<T> {
    pub fn get(&self) -> Option<&T> {
        match self {
            Lenient::Ok(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        if value.is_null() {
            return Ok(Lenient::Null);
        }
        let kind = json_kind(&value);
        Ok(match T::deserialize(value) {
            Ok(v) => Lenient::Ok(v),
            Err(e) => Lenient::Invalid(format!("{kind} ({e})")),
        })
    }
}

/// The name of a JSON value's type, for messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A list whose items may individually be malformed.
pub type List<T> = Lenient<Vec<Lenient<T>>>;

/// The well-formed items of a list, in order (absent, null and malformed lists are empty).
pub fn items<T>(list: &List<T>) -> impl Iterator<Item = &T> {
    list.get().into_iter().flatten().filter_map(Lenient::get)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Case {
    #[serde(default)]
    pub pmc: Text,
    #[serde(default)]
    pub pmid: Text,
    #[serde(default, rename = "PMID")]
    pub(crate) pmid_upper: Text,
    #[serde(default)]
    pub doi: Text,
    #[serde(default)]
    pub title: Text,
    #[serde(default, rename = "Level1")]
    pub level1: Text,
    #[serde(default, rename = "Level2")]
    pub level2: Text,
    #[serde(default, rename = "Rarity")]
    pub rarity: Text,
    #[serde(default)]
    pub exam_creation: Lenient<ExamCreation>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExamCreation {
    #[serde(default)]
    pub final_policy: Lenient<Policy>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Policy {
    #[serde(default)]
    pub scenario: Text,
    #[serde(default)]
    pub scenario_image_details: List<Image>,
    #[serde(default)]
    pub scenario_table_details: List<Table>,
    #[serde(default)]
    pub mcqs: List<Mcq>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Mcq {
    #[serde(default)]
    pub stage: Text,
    #[serde(default)]
    pub question: Text,
    /// Letter -> option text. A `BTreeMap` iterates in code-point order of the letters,
    /// which is the official `sorted(options.items())`.
    #[serde(default)]
    pub options: Lenient<BTreeMap<String, Text>>,
    #[serde(default)]
    pub correct_answer: Text,
    #[serde(default)]
    pub image_details: List<Image>,
    #[serde(default)]
    pub table_details: List<Table>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Image {
    #[serde(default)]
    pub caption_prefix: Text,
    #[serde(default)]
    pub file: Text,
    #[serde(default)]
    pub url: Text,
    #[serde(default, rename = "type")]
    pub kind: Text,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Table {
    #[serde(default)]
    pub caption_prefix: Text,
    #[serde(default)]
    pub caption: Text,
    #[serde(default)]
    pub content: Text,
    #[serde(default, rename = "type")]
    pub kind: Text,
}

/// An MCQ entry that is not an object still occupies its position in the case.
static EMPTY_MCQ: Mcq = Mcq {
    stage: Text::Missing,
    question: Text::Missing,
    options: Lenient::Missing,
    correct_answer: Text::Missing,
    image_details: Lenient::Missing,
    table_details: Lenient::Missing,
};

impl Case {
    pub fn policy(&self) -> Option<&Policy> {
        self.exam_creation.get()?.final_policy.get()
    }

    /// Every MCQ in order; a malformed entry reads as an empty MCQ so positions hold.
    pub fn mcqs(&self) -> Vec<&Mcq> {
        self.policy()
            .and_then(|p| p.mcqs.get())
            .map(|list| list.iter().map(|m| m.get().unwrap_or(&EMPTY_MCQ)).collect())
            .unwrap_or_default()
    }

    /// The case id of the official tool: `pmc`, else `PMID_<pmid>`, else `doi`, else "".
    pub(crate) fn official_id(&self) -> String {
        if self.pmc.is_truthy() {
            return pytext::strip(&self.pmc.py_get("")).to_string();
        }
        let pmid = if self.pmid.is_truthy() {
            &self.pmid
        } else {
            &self.pmid_upper
        };
        if pmid.is_truthy() {
            return format!("PMID_{}", pmid.py_get(""));
        }
        if self.doi.is_truthy() {
            return pytext::strip(&self.doi.py_get("")).to_string();
        }
        String::new()
    }
}
