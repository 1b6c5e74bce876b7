//! Reference values for the HTML report (`report --reference FILE`): numbers the user
//! wants beside the model's, such as a published physician baseline, drawn as dashed
//! lines in the charts and shown next to the headline numbers.
//!
//! The file is a small JSON object:
//!
//! ```json
//! {"label": "Physicians (published)", "question_accuracy": 0.62, "case_accuracy": 0.31,
//!  "by_chapter": {"Chapter 2: Neoplasms": 0.40},
//!  "by_subcategory": {"Chapter 2: Neoplasms": {"Malignant neoplasms of bone (C40-C41)": 0.5}}}
//! ```
//!
//! Every value is a fraction (0.62 for 62%). Breakdowns are the `summary` ones (keyed as
//! [`Breakdown::key`] names them), each an object of group name to value;
//! `by_subcategory` is keyed by chapter then subcategory, or by subcategory alone.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::Value;

use liveclin_core::analysis::{Breakdown, Summary};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reference {
    pub label: String,
    pub question_accuracy: Option<f64>,
    pub case_accuracy: Option<f64>,
    /// Breakdown -> group -> value. Subcategories given under their chapter are stored as
    /// `chapter\u{1f}subcategory`, alone as the subcategory name.
    groups: BTreeMap<Breakdown, BTreeMap<String, f64>>,
}

const SEPARATOR: char = '\u{1f}';

impl Reference {
    /// Reads a reference file; every error names the file.
    pub fn read(path: &Path) -> anyhow::Result<Reference> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the reference file {}", path.display()))?;
        Reference::parse(&text)
            .with_context(|| format!("reference file {} is not valid", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Reference> {
        let value: Value = serde_json::from_str(text).context("not JSON")?;
        let Value::Object(map) = value else {
            bail!(
                "expected a JSON object such as {{\"label\": \"Physicians\", \"question_accuracy\": 0.62}}"
            );
        };
        let mut reference = Reference {
            label: "Reference".into(),
            ..Default::default()
        };
        for (key, value) in &map {
            match key.as_str() {
                "label" => match value {
                    Value::String(s) if !s.trim().is_empty() => reference.label = s.clone(),
                    _ => bail!("\"label\" must be a non-empty string"),
                },
                "question_accuracy" => reference.question_accuracy = Some(fraction(key, value)?),
                "case_accuracy" => reference.case_accuracy = Some(fraction(key, value)?),
                name if let Some(breakdown) = Breakdown::from_key(name) => {
                    let Value::Object(groups) = value else {
                        bail!("\"{name}\" must be an object of group name to value");
                    };
                    let target = reference.groups.entry(breakdown).or_default();
                    for (group, value) in groups {
                        match value {
                            Value::Object(subs) if breakdown == Breakdown::Subcategory => {
                                for (sub, value) in subs {
                                    let at = format!("{name}.{group}.{sub}");
                                    target.insert(
                                        format!("{group}{SEPARATOR}{sub}"),
                                        fraction(&at, value)?,
                                    );
                                }
                            }
                            _ => {
                                target.insert(
                                    group.clone(),
                                    fraction(&format!("{name}.{group}"), value)?,
                                );
                            }
                        }
                    }
                }
                other => bail!(
                    "unknown key \"{other}\" (expected \"label\", \"question_accuracy\", \"case_accuracy\" or one of {})",
                    Breakdown::ALL.map(Breakdown::key).join(", ")
                ),
            }
        }
        Ok(reference)
    }

    /// The value for a group of a breakdown. Names match exactly, else ignoring case
    /// (rarity groups are lower case in the summary).
    pub fn value(&self, breakdown: Breakdown, group: &str) -> Option<f64> {
        let groups = self.groups.get(&breakdown)?;
        groups.get(group).copied().or_else(|| {
            groups
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(group))
                .map(|(_, v)| *v)
        })
    }

    /// The value for a subcategory of a chapter (given under the chapter, or alone).
    pub fn subcategory(&self, chapter: &str, sub: &str) -> Option<f64> {
        self.value(
            Breakdown::Subcategory,
            &format!("{chapter}{SEPARATOR}{sub}"),
        )
        .or_else(|| self.value(Breakdown::Subcategory, sub))
    }

    /// The value for a group, a subcategory named with its chapter.
    pub fn group(&self, breakdown: Breakdown, chapter: Option<&str>, name: &str) -> Option<f64> {
        match chapter {
            Some(chapter) => self.subcategory(chapter, name),
            None => self.value(breakdown, name),
        }
    }

    /// Whether any value is given for this breakdown.
    pub fn has(&self, breakdown: Breakdown) -> bool {
        self.groups.get(&breakdown).is_some_and(|g| !g.is_empty())
    }

    /// The groups of the reference that match no group of the results (they are not
    /// drawn), as `breakdown: group`, breakdowns in the order of their keys.
    pub fn unmatched(&self, summary: &Summary) -> Vec<String> {
        let mut given: Vec<(&Breakdown, &BTreeMap<String, f64>)> = self.groups.iter().collect();
        given.sort_by_key(|(breakdown, _)| breakdown.key());
        let mut out = Vec::new();
        for (breakdown, groups) in given {
            let known: Vec<String> = summary
                .names(*breakdown)
                .into_iter()
                .flat_map(|(chapter, name)| match chapter {
                    Some(chapter) => vec![format!("{chapter}{SEPARATOR}{name}"), name.to_string()],
                    None => vec![name.to_string()],
                })
                .collect();
            for group in groups.keys() {
                if !known.iter().any(|k| k.eq_ignore_ascii_case(group)) {
                    out.push(format!(
                        "{}: {}",
                        breakdown.key(),
                        group.replace(SEPARATOR, " / ")
                    ));
                }
            }
        }
        out
    }
}

fn fraction(at: &str, value: &Value) -> anyhow::Result<f64> {
    match value.as_f64() {
        Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Some(v) => bail!("\"{at}\" is {v}: values are fractions between 0 and 1 (0.62 for 62%)"),
        None => bail!("\"{at}\" must be a number between 0 and 1, not {value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_breakdown() {
        let r = Reference::parse(
            r#"{"label": "Physicians", "question_accuracy": 0.62, "case_accuracy": 0.31,
                "by_chapter": {"Chapter 2: Neoplasms": 0.4}, "by_rarity": {"Rare": 0.2},
                "by_subcategory": {"Ch": {"Sub": 0.5}, "Alone": 0.6}}"#,
        )
        .unwrap();
        assert_eq!(r.label, "Physicians");
        assert_eq!(r.question_accuracy, Some(0.62));
        assert_eq!(
            r.value(Breakdown::Chapter, "Chapter 2: Neoplasms"),
            Some(0.4)
        );
        assert_eq!(r.value(Breakdown::Rarity, "rare"), Some(0.2));
        assert_eq!(r.subcategory("Ch", "Sub"), Some(0.5));
        assert_eq!(r.subcategory("Other", "Alone"), Some(0.6));
        assert_eq!(r.subcategory("Other", "Sub"), None);
        assert!(r.has(Breakdown::Chapter) && !r.has(Breakdown::Stage));
    }

    #[test]
    fn refuses_what_it_cannot_draw() {
        for (text, message) in [
            ("[1]", "expected a JSON object"),
            ("{", "not JSON"),
            (r#"{"question_accuracy": 62}"#, "fractions between 0 and 1"),
            (
                r#"{"by_chapter": {"A": "x"}}"#,
                "\"by_chapter.A\" must be a number",
            ),
            (r#"{"by_chaptr": {}}"#, "unknown key \"by_chaptr\""),
            (r#"{"label": 3}"#, "\"label\" must be"),
        ] {
            let err = format!("{:#}", Reference::parse(text).unwrap_err());
            assert!(err.contains(message), "{text}: {err}");
        }
    }
}
