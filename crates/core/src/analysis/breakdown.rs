//! The breakdowns of the official summary, named once: their keys in the results, their
//! titles, and whether their groups are whole cases; and the per-group shape every
//! analysis beyond the summary shares (the intervals, a comparison), typed.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::bootstrap::Statistic;
use super::summary::Groups;
use crate::dataset::icd::{chapter_order, icd_order};

/// Groups with fewer cases than this are flagged as small: their intervals are wide.
pub const SMALL_GROUP: usize = 20;

/// A breakdown of the official summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Breakdown {
    Rarity,
    Chapter,
    /// Within a chapter: a subcategory's group is named by its chapter too.
    Subcategory,
    Stage,
    Position,
    ImageModality,
    TableModality,
}

impl Breakdown {
    /// Orders this breakdown's groups as the ICD does: chapters by number, subcategories
    /// (given with their chapters) by chapter, then by the code range they end with;
    /// other breakdowns keep their order. Used by `compare` and the report page.
    pub fn icd_order(self, a: (Option<&str>, &str), b: (Option<&str>, &str)) -> Ordering {
        match self {
            Breakdown::Chapter => chapter_order(a.1, b.1),
            Breakdown::Subcategory => {
                chapter_order(a.0.unwrap_or_default(), b.0.unwrap_or_default())
                    .then_with(|| icd_order(a.1, b.1))
            }
            _ => Ordering::Equal,
        }
    }

    /// Every breakdown, in the summary's order.
    pub const ALL: [Breakdown; 7] = [
        Breakdown::Rarity,
        Breakdown::Chapter,
        Breakdown::Subcategory,
        Breakdown::Stage,
        Breakdown::Position,
        Breakdown::ImageModality,
        Breakdown::TableModality,
    ];

    /// Its key in the summary, the intervals and a comparison: `by_chapter`.
    pub fn key(self) -> &'static str {
        match self {
            Breakdown::Rarity => "by_rarity",
            Breakdown::Chapter => "by_chapter",
            Breakdown::Subcategory => "by_subcategory",
            Breakdown::Stage => "by_stage",
            Breakdown::Position => "by_position",
            Breakdown::ImageModality => "by_image_modality",
            Breakdown::TableModality => "by_table_modality",
        }
    }

    /// The breakdown whose [`Breakdown::key`] is `key`.
    pub fn from_key(key: &str) -> Option<Breakdown> {
        Breakdown::ALL.into_iter().find(|b| b.key() == key)
    }

    /// Its name in titles, as the official terminal summary writes it: `Clinical Stage`.
    pub fn title(self) -> &'static str {
        match self {
            Breakdown::Rarity => "Rarity",
            Breakdown::Chapter => "Chapter",
            Breakdown::Subcategory => "Subcategory",
            Breakdown::Stage => "Clinical Stage",
            Breakdown::Position => "Question Position",
            Breakdown::ImageModality => "Image Modality",
            Breakdown::TableModality => "Table Modality",
        }
    }

    /// Whether its groups are whole cases, so that case accuracy applies; the others
    /// group MCQs (a case's MCQs can fall in several of their groups).
    pub fn case_level(self) -> bool {
        matches!(
            self,
            Breakdown::Rarity | Breakdown::Chapter | Breakdown::Subcategory
        )
    }

    /// The statistic its groups are ranked and charted by: case accuracy where groups are
    /// whole cases, else question accuracy.
    pub fn statistic(self) -> Statistic {
        if self.case_level() {
            Statistic::Case
        } else {
            Statistic::Question
        }
    }
}

/// A group the analysis measures: the whole run, or one group of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum GroupId {
    Overall,
    In {
        breakdown: Breakdown,
        /// The chapter of a subcategory.
        chapter: Option<String>,
        name: String,
    },
}

impl GroupId {
    pub(crate) fn of(breakdown: Breakdown, name: impl Into<String>) -> GroupId {
        GroupId::In {
            breakdown,
            chapter: None,
            name: name.into(),
        }
    }

    /// What names the group in a seed: `overall` with an empty name, else the breakdown's
    /// key, the chapter of a subcategory, and the name.
    pub(crate) fn seed_parts(&self) -> Vec<&str> {
        match self {
            GroupId::Overall => vec!["overall", ""],
            GroupId::In {
                breakdown,
                chapter,
                name,
            } => [breakdown.key()]
                .into_iter()
                .chain(chapter.as_deref())
                .chain([name.as_str()])
                .collect(),
        }
    }

    /// The statistics that apply: question accuracy, and case accuracy where groups are
    /// whole cases.
    pub(crate) fn statistics(&self) -> &'static [Statistic] {
        match self {
            GroupId::In { breakdown, .. } if !breakdown.case_level() => &[Statistic::Question],
            _ => &Statistic::ALL,
        }
    }
}

/// A group's size and a value `S` per statistic that applies to it: the shape of every
/// group of the intervals and of a comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measured<S> {
    /// Its cases.
    pub cases: usize,
    /// Fewer than [`SMALL_GROUP`] cases.
    pub small: bool,
    pub question_accuracy: S,
    /// Only where groups are whole cases (overall and the case-level breakdowns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_accuracy: Option<S>,
}

impl<S> Measured<S> {
    /// The group `id` of `cases` cases, with `value` of each statistic that applies.
    pub(crate) fn new(id: &GroupId, cases: usize, mut value: impl FnMut(Statistic) -> S) -> Self {
        let statistics = id.statistics();
        Measured {
            cases,
            small: cases < SMALL_GROUP,
            question_accuracy: value(Statistic::Question),
            case_accuracy: statistics
                .contains(&Statistic::Case)
                .then(|| value(Statistic::Case)),
        }
    }

    /// The value of `statistic`, if it applies to the group.
    pub fn get(&self, statistic: Statistic) -> Option<&S> {
        match statistic {
            Statistic::Question => Some(&self.question_accuracy),
            Statistic::Case => self.case_accuracy.as_ref(),
        }
    }
}

/// One group of a breakdown with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouped<T> {
    /// The chapter of a subcategory; `None` in every other breakdown.
    pub chapter: Option<String>,
    pub name: String,
    pub value: T,
}

/// A value per group of every breakdown, the groups of each in the summary's order: the
/// breakdowns of the `confidence_intervals` key and of a comparison. In JSON an object
/// per breakdown, group name to value, subcategories under their chapters; a breakdown
/// without groups is left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdowns<T> {
    groups: BTreeMap<Breakdown, Vec<Grouped<T>>>,
}

impl<T> Default for Breakdowns<T> {
    fn default() -> Self {
        Breakdowns {
            groups: BTreeMap::new(),
        }
    }
}

impl<T> Breakdowns<T> {
    /// The groups of `breakdown`, in order.
    pub fn of(&self, breakdown: Breakdown) -> &[Grouped<T>] {
        self.groups.get(&breakdown).map_or(&[], Vec::as_slice)
    }

    /// The value of a group: `chapter` names a subcategory's chapter.
    pub fn get(&self, breakdown: Breakdown, chapter: Option<&str>, name: &str) -> Option<&T> {
        self.of(breakdown)
            .iter()
            .find(|g| g.name == name && g.chapter.as_deref() == chapter)
            .map(|g| &g.value)
    }

    /// Adds a group after the others of its breakdown.
    pub(crate) fn push(
        &mut self,
        breakdown: Breakdown,
        chapter: Option<String>,
        name: String,
        value: T,
    ) {
        self.groups.entry(breakdown).or_default().push(Grouped {
            chapter,
            name,
            value,
        });
    }
}

/// The overall value, and the breakdowns' in their order, of measured groups.
pub(crate) fn split<T>(
    groups: impl IntoIterator<Item = (GroupId, T)>,
) -> (Option<T>, Breakdowns<T>) {
    let mut overall = None;
    let mut breakdowns = Breakdowns::default();
    for (id, value) in groups {
        match id {
            GroupId::Overall => overall = Some(value),
            GroupId::In {
                breakdown,
                chapter,
                name,
            } => breakdowns.push(breakdown, chapter, name, value),
        }
    }
    (overall, breakdowns)
}

/// One breakdown's groups in JSON: group name to value, or for subcategories chapter to
/// (subcategory to value), chapters in the order they first appear.
struct BreakdownJson<'a, T>(Breakdown, &'a [Grouped<T>]);

impl<T: Serialize> Serialize for BreakdownJson<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let BreakdownJson(breakdown, groups) = *self;
        if breakdown != Breakdown::Subcategory {
            let mut m = s.serialize_map(Some(groups.len()))?;
            for g in groups {
                m.serialize_entry(&g.name, &g.value)?;
            }
            return m.end();
        }
        let mut chapters: Vec<(&str, Groups<&T>)> = Vec::new();
        for g in groups {
            let chapter = g.chapter.as_deref().unwrap_or_default();
            let at = match chapters.iter().position(|(c, _)| *c == chapter) {
                Some(at) => at,
                None => {
                    chapters.push((chapter, Groups(Vec::new())));
                    chapters.len() - 1
                }
            };
            chapters[at].1.0.push((g.name.clone(), &g.value));
        }
        let mut m = s.serialize_map(Some(chapters.len()))?;
        for (chapter, subs) in &chapters {
            m.serialize_entry(chapter, subs)?;
        }
        m.end()
    }
}

impl<T: Serialize> Serialize for Breakdowns<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (breakdown, groups) in &self.groups {
            if !groups.is_empty() {
                m.serialize_entry(breakdown.key(), &BreakdownJson(*breakdown, groups))?;
            }
        }
        m.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Breakdowns<T> {
    /// Reads the breakdown keys of an object and ignores every other key.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Keys<T> {
            type Value = Breakdowns<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of breakdowns")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Breakdowns::default();
                while let Some(key) = map.next_key::<String>()? {
                    match Breakdown::from_key(&key) {
                        Some(Breakdown::Subcategory) => {
                            let chapters: Groups<Groups<T>> = map.next_value()?;
                            for (chapter, subs) in chapters.0 {
                                for (name, value) in subs.0 {
                                    out.push(
                                        Breakdown::Subcategory,
                                        Some(chapter.clone()),
                                        name,
                                        value,
                                    );
                                }
                            }
                        }
                        Some(breakdown) => {
                            let groups: Groups<T> = map.next_value()?;
                            for (name, value) in groups.0 {
                                out.push(breakdown, None, name, value);
                            }
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(Keys(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back() {
        for breakdown in Breakdown::ALL {
            assert_eq!(Breakdown::from_key(breakdown.key()), Some(breakdown));
        }
        assert_eq!(Breakdown::from_key("overall"), None);
    }

    #[test]
    fn subcategories_nest_under_their_chapters_and_read_back() {
        let mut b = Breakdowns::default();
        b.push(Breakdown::Subcategory, Some("B".into()), "b1".into(), 1);
        b.push(Breakdown::Stage, None, "Diagnosis".into(), 2);
        b.push(Breakdown::Subcategory, Some("A".into()), "a1".into(), 3);
        b.push(Breakdown::Subcategory, Some("B".into()), "b2".into(), 4);
        let text = serde_json::to_string(&b).unwrap();
        // In the breakdowns' order; chapters in the order they first appear.
        assert_eq!(
            text,
            r#"{"by_subcategory":{"B":{"b1":1,"b2":4},"A":{"a1":3}},"by_stage":{"Diagnosis":2}}"#
        );
        let back: Breakdowns<i32> =
            serde_json::from_str(r#"{"by_subcategory":{"B":{"b1":1,"b2":4},"A":{"a1":3}},"by_stage":{"Diagnosis":2},"other":[1]}"#)
                .unwrap();
        assert_eq!(back.get(Breakdown::Subcategory, Some("B"), "b2"), Some(&4));
        assert_eq!(back.get(Breakdown::Subcategory, None, "b2"), None);
        assert_eq!(back.of(Breakdown::Stage).len(), 1);
        assert!(back.of(Breakdown::Chapter).is_empty());
    }

    #[test]
    fn case_accuracy_applies_to_whole_cases_only() {
        let measured = |id: &GroupId| Measured::new(id, 20, |s| s);
        let overall = measured(&GroupId::Overall);
        assert_eq!(overall.get(Statistic::Case), Some(&Statistic::Case));
        assert!(!overall.small);
        let stage = measured(&GroupId::of(Breakdown::Stage, "Diagnosis"));
        assert_eq!(stage.get(Statistic::Case), None);
        assert!(Measured::new(&GroupId::Overall, 19, |_| ()).small);
    }
}
