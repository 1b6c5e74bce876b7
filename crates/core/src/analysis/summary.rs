//! The official summary (docs/analysis.md): totals and every breakdown, with the official keys,
//! rounding and ordering, computed from the case records of a results file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::bootstrap::Statistic;
use super::breakdown::Breakdown;

use crate::dataset::schema::Text;
use crate::dataset::taxonomy::{self, OTHER_STAGE, STAGE_CATEGORIES};
use crate::pytext::accuracy;
use crate::results::{CaseRecord, McqRecord};

/// Case-level counts of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CaseCounts {
    pub cases: i64,
    pub correct_cases: i64,
    pub mcqs: i64,
    pub correct_mcqs: i64,
}

/// MCQ-level counts of one group; `errors` is only reported by position.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct McqCounts {
    pub mcqs: i64,
    pub correct_mcqs: i64,
    pub errors: i64,
    /// Cases with an MCQ in the group (not in the official summary).
    pub cases: i64,
}

/// Groups in their official order, serialised as a JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Groups<T>(pub Vec<(String, T)>);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub totals: CaseCounts,
    pub by_rarity: Groups<CaseCounts>,
    pub by_chapter: Groups<CaseCounts>,
    pub by_subcategory: Groups<Groups<CaseCounts>>,
    pub by_stage: Groups<McqCounts>,
    /// Keys `Q1`, `Q2`, ... in position order.
    pub by_position: Groups<McqCounts>,
    pub by_image_modality: Groups<McqCounts>,
    pub by_table_modality: Groups<McqCounts>,
}

/// Accumulates counts by key, remembering the order keys were first seen (the official
/// tool's dict insertion order, on which its stable sorts depend).
struct Tally<T> {
    index: HashMap<String, usize>,
    groups: Vec<(String, T)>,
}

impl<T: Default> Tally<T> {
    fn new() -> Self {
        Tally {
            index: HashMap::new(),
            groups: Vec::new(),
        }
    }

    fn entry(&mut self, key: &str) -> &mut T {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.groups.push((key.to_string(), T::default()));
                self.index.insert(key.to_string(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        &mut self.groups[i].1
    }
}

/// Groups sorted by MCQ count, largest first; ties keep first-seen order (stable sort).
fn by_mcq_count<T>(mut groups: Vec<(String, T)>, mcqs: fn(&T) -> i64) -> Groups<T> {
    groups.sort_by_key(|(_, t)| std::cmp::Reverse(mcqs(t)));
    Groups(groups)
}

impl CaseCounts {
    fn add_case(&mut self, n: i64, c: i64, correct: bool) {
        self.cases += 1;
        self.correct_cases += i64::from(correct);
        self.mcqs += n;
        self.correct_mcqs += c;
    }
}

impl McqCounts {
    fn add(&mut self, correct: bool) {
        self.mcqs += 1;
        self.correct_mcqs += i64::from(correct);
    }
}

/// A key of the official dicts as `json.dump` writes it: the text, `Unknown`-style
/// default when absent, and JSON spellings for non-text values (`null`, `true`, `3`).
fn group_key(field: &Text, default: &str) -> String {
    match field {
        Text::Missing => default.to_string(),
        Text::Str(s) => s.clone(),
        Text::Null => "null".to_string(),
        Text::Other(v) => match v {
            serde_json::Value::Number(n) => n
                .as_f64()
                .filter(|_| !n.is_i64() && !n.is_u64())
                .map_or_else(|| n.to_string(), crate::pytext::float_repr),
            other => other.to_string(),
        },
    }
}

/// The groups a case belongs to in the case-level breakdowns.
pub(super) struct CaseKeys {
    pub rarity: String,
    pub chapter: String,
    /// Within `chapter`.
    pub subcategory: String,
}

impl CaseKeys {
    pub(super) fn of(case: &CaseRecord) -> Self {
        CaseKeys {
            rarity: case.rarity.py_get("unknown").to_lowercase(),
            chapter: group_key(&case.level1, "Unknown"),
            subcategory: group_key(&case.level2, "Unknown"),
        }
    }
}

/// The groups an MCQ belongs to in the MCQ-level breakdowns (its position is
/// `mcq.position()`); a modality appears once per type string naming it, as the
/// official analysis counts.
pub(super) struct McqKeys {
    pub stage: &'static str,
    pub images: Vec<&'static str>,
    pub tables: Vec<&'static str>,
}

impl McqKeys {
    pub(super) fn of(mcq: &McqRecord) -> Self {
        McqKeys {
            stage: mcq
                .stage
                .as_str()
                .map_or(OTHER_STAGE, taxonomy::classify_stage),
            images: mcq
                .image_types()
                .flat_map(taxonomy::image_modalities)
                .collect(),
            tables: mcq
                .table_types()
                .flat_map(taxonomy::table_modalities)
                .collect(),
        }
    }
}

/// The summary of a list of case records; `None` when there are no cases (the official
/// tool then writes an empty summary object).
pub fn summarize(cases: &[CaseRecord]) -> Option<Summary> {
    if cases.is_empty() {
        return None;
    }
    let mut totals = CaseCounts::default();
    let mut rarity = BTreeMap::<String, CaseCounts>::new();
    let mut chapters = Tally::<CaseCounts>::new();
    let mut subcategories = BTreeMap::<String, Tally<CaseCounts>>::new();
    let mut stages = HashMap::<&'static str, McqCounts>::new();
    let mut positions = BTreeMap::<i64, McqCounts>::new();
    let mut images = Tally::<McqCounts>::new();
    let mut tables = Tally::<McqCounts>::new();

    for case in cases {
        // The MCQ-level groups this case has MCQs in, each counted once per case.
        let mut stages_in = HashSet::new();
        let mut positions_in = HashSet::new();
        let mut images_in = HashSet::new();
        let mut tables_in = HashSet::new();
        let n = case.mcqs.len() as i64;
        let c = case.correct_count();
        let correct = n > 0 && c == n;
        totals.add_case(n, c, correct);

        let keys = CaseKeys::of(case);
        rarity
            .entry(keys.rarity)
            .or_default()
            .add_case(n, c, correct);
        chapters.entry(&keys.chapter).add_case(n, c, correct);
        subcategories
            .entry(keys.chapter)
            .or_insert_with(Tally::new)
            .entry(&keys.subcategory)
            .add_case(n, c, correct);

        for mcq in &case.mcqs {
            let ok = mcq.is_correct();
            let keys = McqKeys::of(mcq);
            stages.entry(keys.stage).or_default().add(ok);
            let position = positions.entry(mcq.position()).or_default();
            position.add(ok);
            position.errors += i64::from(mcq.has_error());
            stages_in.insert(keys.stage);
            positions_in.insert(mcq.position());
            for mode in keys.images {
                images.entry(mode).add(ok);
                images_in.insert(mode);
            }
            for mode in keys.tables {
                tables.entry(mode).add(ok);
                tables_in.insert(mode);
            }
        }
        for stage in stages_in {
            stages.entry(stage).or_default().cases += 1;
        }
        for position in positions_in {
            positions.entry(position).or_default().cases += 1;
        }
        for mode in images_in {
            images.entry(mode).cases += 1;
        }
        for mode in tables_in {
            tables.entry(mode).cases += 1;
        }
    }

    let stage_order = STAGE_CATEGORIES
        .iter()
        .map(|(k, _)| *k)
        .chain([OTHER_STAGE]);
    Some(Summary {
        totals,
        by_rarity: Groups(rarity.into_iter().collect()),
        by_chapter: by_mcq_count(chapters.groups, |c| c.mcqs),
        by_subcategory: Groups(
            subcategories
                .into_iter()
                .map(|(chapter, subs)| (chapter, by_mcq_count(subs.groups, |c| c.mcqs)))
                .collect(),
        ),
        by_stage: Groups(
            stage_order
                .filter_map(|k| stages.get(k).map(|s| (k.to_string(), *s)))
                .collect(),
        ),
        by_position: Groups(
            positions
                .into_iter()
                .map(|(p, s)| (format!("Q{}", p + 1), s))
                .collect(),
        ),
        by_image_modality: by_mcq_count(images.groups, |c| c.mcqs),
        by_table_modality: by_mcq_count(tables.groups, |c| c.mcqs),
    })
}

impl CaseCounts {
    pub fn case_accuracy(&self) -> f64 {
        accuracy(self.correct_cases, self.cases)
    }
    pub fn question_accuracy(&self) -> f64 {
        accuracy(self.correct_mcqs, self.mcqs)
    }
}

impl McqCounts {
    pub fn question_accuracy(&self) -> f64 {
        accuracy(self.correct_mcqs, self.mcqs)
    }
    pub fn error_rate(&self) -> f64 {
        accuracy(self.errors, self.mcqs)
    }
}

impl Serialize for CaseCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("cases", &self.cases)?;
        m.serialize_entry("correct_cases", &self.correct_cases)?;
        m.serialize_entry(Statistic::Case.key(), &self.case_accuracy())?;
        m.serialize_entry("mcqs", &self.mcqs)?;
        m.serialize_entry("correct_mcqs", &self.correct_mcqs)?;
        m.serialize_entry(Statistic::Question.key(), &self.question_accuracy())?;
        m.end()
    }
}

/// Serialises as the official MCQ block; the position breakdown adds its error count.
pub(super) struct McqBlock<'a>(&'a McqCounts, bool);

impl Serialize for McqBlock<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let McqBlock(c, with_errors) = *self;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("mcqs", &c.mcqs)?;
        m.serialize_entry("correct_mcqs", &c.correct_mcqs)?;
        m.serialize_entry(Statistic::Question.key(), &c.question_accuracy())?;
        if with_errors {
            m.serialize_entry("errors", &c.errors)?;
            m.serialize_entry("error_rate", &c.error_rate())?;
        }
        m.end()
    }
}

impl<T> Groups<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Summary {
    /// A case-level breakdown's groups with their counts, in the summary's order, each with
    /// its chapter when it is a subcategory; nothing for an MCQ-level breakdown.
    pub fn case_groups(&self, breakdown: Breakdown) -> Vec<(Option<&str>, &str, &CaseCounts)> {
        fn flat(groups: &Groups<CaseCounts>) -> Vec<(Option<&str>, &str, &CaseCounts)> {
            groups
                .0
                .iter()
                .map(|(k, c)| (None, k.as_str(), c))
                .collect()
        }
        match breakdown {
            Breakdown::Rarity => flat(&self.by_rarity),
            Breakdown::Chapter => flat(&self.by_chapter),
            Breakdown::Subcategory => self
                .by_subcategory
                .0
                .iter()
                .flat_map(|(chapter, subs)| {
                    subs.0
                        .iter()
                        .map(move |(k, c)| (Some(chapter.as_str()), k.as_str(), c))
                })
                .collect(),
            Breakdown::Stage
            | Breakdown::Position
            | Breakdown::ImageModality
            | Breakdown::TableModality => Vec::new(),
        }
    }

    /// An MCQ-level breakdown's groups; nothing for a case-level one.
    pub fn mcq_groups(&self, breakdown: Breakdown) -> &[(String, McqCounts)] {
        match breakdown {
            Breakdown::Stage => &self.by_stage.0,
            Breakdown::Position => &self.by_position.0,
            Breakdown::ImageModality => &self.by_image_modality.0,
            Breakdown::TableModality => &self.by_table_modality.0,
            Breakdown::Rarity | Breakdown::Chapter | Breakdown::Subcategory => &[],
        }
    }

    /// A breakdown's group names in the summary's order, each with its chapter when it is
    /// a subcategory.
    pub fn names(&self, breakdown: Breakdown) -> Vec<(Option<&str>, &str)> {
        if breakdown.case_level() {
            self.case_groups(breakdown)
                .into_iter()
                .map(|(chapter, name, _)| (chapter, name))
                .collect()
        } else {
            self.mcq_groups(breakdown)
                .iter()
                .map(|(k, _)| (None, k.as_str()))
                .collect()
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Groups<T> {
    /// An object, its keys in the order written.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = Groups<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of groups")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut groups = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    groups.push(entry);
                }
                Ok(Groups(groups))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

impl<T: Serialize> Serialize for Groups<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// MCQ-level groups as the official summary writes them.
pub(super) fn mcq_blocks(groups: &Groups<McqCounts>, with_errors: bool) -> Groups<McqBlock<'_>> {
    Groups(
        groups
            .0
            .iter()
            .map(|(k, c)| (k.clone(), McqBlock(c, with_errors)))
            .collect(),
    )
}

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = &self.totals;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("total_cases", &t.cases)?;
        m.serialize_entry("total_mcqs", &t.mcqs)?;
        m.serialize_entry("correct_mcqs", &t.correct_mcqs)?;
        m.serialize_entry("correct_cases", &t.correct_cases)?;
        m.serialize_entry(Statistic::Question.key(), &t.question_accuracy())?;
        m.serialize_entry(Statistic::Case.key(), &t.case_accuracy())?;
        m.serialize_entry(Breakdown::Rarity.key(), &self.by_rarity)?;
        m.serialize_entry(Breakdown::Chapter.key(), &self.by_chapter)?;
        m.serialize_entry(Breakdown::Subcategory.key(), &self.by_subcategory)?;
        m.serialize_entry(Breakdown::Stage.key(), &mcq_blocks(&self.by_stage, false))?;
        m.serialize_entry(
            Breakdown::Position.key(),
            &mcq_blocks(&self.by_position, true),
        )?;
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

/// The `summary` value of a results file: the summary, or `{}` when there are no cases.
pub fn summary_value(summary: Option<&Summary>) -> serde_json::Value {
    match summary {
        Some(s) => serde_json::to_value(s).expect("a summary serialises"),
        None => serde_json::Value::Object(Default::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn summary_of(cases: Value) -> Value {
        let cases: Vec<CaseRecord> = serde_json::from_value(cases).unwrap();
        summary_value(summarize(&cases).as_ref())
    }

    fn mcq(correct: bool, stage: &str, index: u64) -> Value {
        json!({"stage": stage, "mcq_index": index, "is_correct": correct, "error": null,
               "image_types": [], "table_types": []})
    }

    #[test]
    fn defaults_and_python_spellings_of_group_keys() {
        let s = summary_of(json!([
            {"rarity": null, "mcqs": [mcq(true, "x", 0)]},
            {"level1": "C1", "level2": null, "rarity": "RARE", "mcqs": [mcq(false, "x", 0)]},
        ]));
        let rarity: Vec<&String> = s["by_rarity"].as_object().unwrap().keys().collect();
        assert_eq!(rarity, ["none", "rare"]); // str(None).lower(), sorted
        assert!(s["by_chapter"]["Unknown"].is_object());
        assert!(s["by_subcategory"]["C1"]["null"].is_object());
        assert_eq!(s["by_stage"]["Other"]["mcqs"], 2);
    }

    #[test]
    fn stored_correct_count_is_trusted_as_the_official_tool_does() {
        let s = summary_of(
            json!([{"correct_mcqs": 2, "mcqs": [mcq(false, "", 0), mcq(false, "", 1)]}]),
        );
        assert_eq!(s["correct_mcqs"], 2);
        assert_eq!(s["correct_cases"], 1);
    }

    #[test]
    fn accuracy_rounds_ties_to_even_like_python() {
        // 1/32 = 0.03125 -> 0.0312 (Python's round), not 0.0313.
        let mut mcqs = vec![mcq(true, "", 0)];
        mcqs.extend((1..32).map(|i| mcq(false, "", i)));
        let s = summary_of(json!([{"mcqs": mcqs}]));
        assert_eq!(s["question_accuracy"], 0.0312);
        assert_eq!(s["by_position"]["Q1"]["question_accuracy"], 1.0);
    }

    #[test]
    fn ordering_follows_counts_then_first_appearance() {
        let s = summary_of(json!([
            {"level1": "B", "level2": "b1", "mcqs": [mcq(true, "", 0)]},
            {"level1": "A", "level2": "a1", "mcqs": [mcq(true, "", 0)]},
            {"level1": "C", "level2": "c1", "mcqs": [mcq(true, "", 0), mcq(true, "", 1)]},
            {"level1": "A", "level2": "a2", "mcqs": [mcq(true, "", 0), mcq(true, "", 1)]},
        ]));
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        // By MCQ count: A 3, C 2, B 1.
        assert_eq!(keys(&s["by_chapter"]), ["A", "C", "B"]);
        // Chapters of by_subcategory sorted by name, inner by MCQs then first appearance.
        assert_eq!(keys(&s["by_subcategory"]), ["A", "B", "C"]);
        assert_eq!(keys(&s["by_subcategory"]["A"]), ["a2", "a1"]);
        let s = summary_of(json!([
            {"level1": "B", "mcqs": [mcq(true, "", 0)]},
            {"level1": "A", "mcqs": [mcq(true, "", 0)]},
        ]));
        assert_eq!(keys(&s["by_chapter"]), ["B", "A"]); // a tie keeps first appearance
    }

    #[test]
    fn positions_count_errors_and_modalities_count_each_type_string() {
        let s = summary_of(json!([{"mcqs": [
            {"mcq_index": 0, "is_correct": true, "image_types": ["CT", "CT; MRI"], "table_types": ["Lab"]},
            {"mcq_index": 1, "is_correct": false, "error": "API error: boom"},
            {"mcq_index": 2, "is_correct": false, "error": "Skipped: prior question failed"},
        ]}]));
        assert_eq!(s["by_position"]["Q2"]["errors"], 1);
        assert_eq!(s["by_position"]["Q3"]["error_rate"], 1.0);
        assert_eq!(s["by_image_modality"]["CT"]["mcqs"], 2);
        assert_eq!(s["by_image_modality"]["MRI"]["mcqs"], 1);
        assert_eq!(s["by_table_modality"]["Lab Results"]["correct_mcqs"], 1);
        assert_eq!(s["case_accuracy"], 0.0);
    }

    #[test]
    fn no_cases_gives_an_empty_summary() {
        assert_eq!(summary_of(json!([])), json!({}));
    }
}
