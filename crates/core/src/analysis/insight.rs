//! Our additions to a results file, beside the official `summary` (whose keys keep their
//! official meaning): top-level keys that official readers ignore. Typed here; JSON only
//! where a results file is written ([`Insight::keys`]) or read back ([`Stored::of`]).

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::Breakdown;
use super::bootstrap::{self, Intervals};
use super::multiturn::{MultiTurn, diagnostics};
use super::outcome::OutcomeCounts;
use super::reading::RobustReading;
use super::summarize;
use super::summary::{Groups, McqCounts, mcq_blocks};
use super::tokens::Tokens;
use crate::cost::price::Price;
use crate::results::{CaseRecord, McqRecord};

/// Our keys of a results file, in the order they are written.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Insight {
    pub outcomes: OutcomeCounts,
    /// Written `{}` when there are no cases.
    #[serde(serialize_with = "empty_when_none")]
    pub confidence_intervals: Option<Intervals>,
    pub multi_turn: MultiTurn,
    /// Only when the records have robust verdicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub robust_reading: Option<RobustReading>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modalities_counting_skipped: Option<ModalitiesCountingSkipped>,
    /// The tokens of every recorded reply, and their cost when the run had a price.
    pub tokens: Tokens,
}

impl Insight {
    /// Our keys for `cases`; `unfinished` (a stopped run's started cases) count only in
    /// the tokens, which they used.
    pub fn of(cases: &[CaseRecord], unfinished: &[CaseRecord], price: Option<&Price>) -> Self {
        Insight {
            outcomes: OutcomeCounts::of(cases),
            confidence_intervals: bootstrap::intervals(cases, &bootstrap::Options::default()),
            multi_turn: diagnostics(cases),
            robust_reading: RobustReading::of(cases),
            modalities_counting_skipped: ModalitiesCountingSkipped::of(cases),
            tokens: Tokens::of(cases.iter().chain(unfinished), price),
        }
    }

    /// As the top-level keys of a results file.
    pub fn keys(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(keys)) => keys,
            other => unreachable!("our keys serialise as an object: {other:?}"),
        }
    }
}

/// The top-level keys of ours for a results file of these cases (see [`Insight::of`]).
pub fn keys(
    cases: &[CaseRecord],
    unfinished: &[CaseRecord],
    price: Option<&Price>,
) -> Map<String, Value> {
    Insight::of(cases, unfinished, price).keys()
}

fn empty_when_none<S: Serializer>(intervals: &Option<Intervals>, s: S) -> Result<S::Ok, S::Error> {
    match intervals {
        Some(intervals) => intervals.serialize(s),
        None => s.serialize_map(Some(0))?.end(),
    }
}

/// The keys of ours the reports read back from a results file: each as stored, `None`
/// when the file lacks it (the official tool's files, hand-made ones) or holds something
/// else there (then the reports compute it from the cases).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct Stored {
    #[serde(default, deserialize_with = "if_readable")]
    pub outcomes: Option<OutcomeCounts>,
    #[serde(default, deserialize_with = "if_readable")]
    pub confidence_intervals: Option<Intervals>,
    #[serde(default, deserialize_with = "if_readable")]
    pub multi_turn: Option<MultiTurn>,
}

impl Stored {
    /// What the top-level keys beside `meta`, `summary` and `cases` hold.
    pub fn of(extra: &Map<String, Value>) -> Stored {
        Stored::deserialize(Value::Object(extra.clone())).unwrap_or_default()
    }
}

/// A value that reads as `T`, else `None`.
fn if_readable<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(serde_json::from_value(Value::deserialize(d)?).ok())
}

/// The modality breakdowns as they would be if skipped questions kept their picture and
/// table types: the official summary leaves them out of `by_image_modality` and
/// `by_table_modality` (the official tool records them with no types), which hides how
/// many questions of a modality never reached the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModalitiesCountingSkipped {
    pub by_image_modality: Groups<McqCounts>,
    pub by_table_modality: Groups<McqCounts>,
}

impl ModalitiesCountingSkipped {
    /// `None` when no skipped question has types of its own (then the official
    /// breakdowns are the whole story).
    fn of(cases: &[CaseRecord]) -> Option<Self> {
        let any = cases
            .iter()
            .flat_map(|c| &c.mcqs)
            .filter_map(McqRecord::with_question_types)
            .any(|m| m.image_types().next().is_some() || m.table_types().next().is_some());
        if !any {
            return None;
        }
        let restored: Vec<CaseRecord> = cases
            .iter()
            .map(|case| CaseRecord {
                mcqs: case
                    .mcqs
                    .iter()
                    .map(|m| m.with_question_types().unwrap_or_else(|| m.clone()))
                    .collect(),
                ..case.clone()
            })
            .collect();
        let summary = summarize(&restored)?;
        Some(ModalitiesCountingSkipped {
            by_image_modality: summary.by_image_modality,
            by_table_modality: summary.by_table_modality,
        })
    }
}

impl Serialize for ModalitiesCountingSkipped {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry(
            Breakdown::ImageModality.key(),
            &mcq_blocks(&self.by_image_modality, false),
        )?;
        m.serialize_entry(
            Breakdown::TableModality.key(),
            &mcq_blocks(&self.by_table_modality, false),
        )?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cases(value: Value) -> Vec<CaseRecord> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn keys_are_written_in_order_and_the_read_ones_read_back() {
        let data = cases(json!([{"case_id": "1", "level1": "C", "mcqs": [
            {"mcq_index": 0, "is_correct": true, "extracted_answer": "A"},
            {"mcq_index": 1, "is_correct": false, "error": "Skipped: prior question failed",
             "question_image_types": ["CT"], "question_table_types": []}]}]));
        let insight = Insight::of(&data, &[], None);
        let keys = insight.keys();
        let names: Vec<&String> = keys.keys().collect();
        assert_eq!(
            names,
            [
                "outcomes",
                "confidence_intervals",
                "multi_turn",
                "modalities_counting_skipped",
                "tokens"
            ]
        );
        assert_eq!(
            keys["modalities_counting_skipped"]["by_image_modality"]["CT"]["mcqs"],
            1
        );
        let stored = Stored::of(&keys);
        assert_eq!(stored.outcomes, Some(insight.outcomes));
        assert_eq!(stored.confidence_intervals, insight.confidence_intervals);
        assert_eq!(stored.multi_turn, Some(insight.multi_turn));
    }

    #[test]
    fn no_cases_write_empty_intervals_and_odd_keys_read_as_absent() {
        let keys = keys(&[], &[], None);
        assert_eq!(keys["confidence_intervals"], json!({}));
        assert_eq!(Stored::of(&keys).confidence_intervals, None);
        let odd = json!({"confidence_intervals": {"by_chapter": 3}, "multi_turn": {"first_wrong": []}, "outcomes": "x"});
        assert_eq!(Stored::of(odd.as_object().unwrap()), Stored::default());
    }
}
