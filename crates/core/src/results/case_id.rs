//! Case ids: the key that matches a case across files (`--resume`, `merge`, `compare`),
//! with one rule for the records whose id is missing, empty or not an id at all.
//!
//! The official tool writes `""` for a case with no pmc, pmid or doi, may copy a numeric
//! pmc as a number, and a hand-edited file may hold anything. A record whose id is not
//! usable cannot be matched to another file's case or to the dataset's: every command
//! sets it apart and says so, naming it by its place in its file (`#11 in cases`), and
//! none drops or counts its answers twice without saying.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use serde_json::Value;

use super::CaseRecord;

/// A case's id, never empty. In a results file a `case_id` is one when it is a non-empty
/// string, or a number, read as its JSON text (`7`, as the dataset's id of a case whose
/// pmc is the number 7); null, absent, `""`, booleans, lists and objects are not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(String);

impl CaseId {
    /// `text` as an id, unless it is empty.
    pub fn new(text: impl Into<String>) -> Option<CaseId> {
        let text = text.into();
        (!text.is_empty()).then_some(CaseId(text))
    }

    /// The id a record's `case_id` holds, if it holds a usable one.
    pub fn of(value: &Value) -> Option<CaseId> {
        match value {
            Value::String(text) => CaseId::new(text.as_str()),
            Value::Number(number) => CaseId::new(number.to_string()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lets a map keyed by ids be searched with the dataset's ids (`&str`).
impl Borrow<str> for CaseId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl CaseRecord {
    /// Its id, if it has a usable one (see [`CaseId`]).
    pub fn id(&self) -> Option<CaseId> {
        CaseId::of(&self.case_id)
    }

    /// Its id as text, empty when it has none: for display, and for looking a record up
    /// by the dataset's ids (never empty).
    pub fn id_text(&self) -> String {
        self.id().map(|id| id.0).unwrap_or_default()
    }

    /// How a message names it: its id and its place (`PMC1 (#2 in cases)`), or its place
    /// alone when it has no id (`#2 in cases`). `index` is 0-based in `list`.
    pub fn describe(&self, list: &str, index: usize) -> String {
        let place = place(list, index);
        match self.id() {
            Some(id) => format!("{id} ({place})"),
            None => place,
        }
    }
}

/// A case's place in a list of a results file, 1-based: `#2 in cases`.
fn place(list: &str, index: usize) -> String {
    format!("#{} in {list}", index + 1)
}

/// The places of several cases of one list, for one message: `#3, #7 in cases`, the
/// first ten and then how many more.
pub fn places(list: &str, indexes: &[usize]) -> String {
    const SHOWN: usize = 10;
    let mut text: Vec<String> = indexes
        .iter()
        .take(SHOWN)
        .map(|i| format!("#{}", i + 1))
        .collect();
    if indexes.len() > SHOWN {
        text.push(format!("and {} more", indexes.len() - SHOWN));
    }
    format!("{} in {list}", text.join(", "))
}

/// The cases of one results file by id, for matching them with another file's cases. A
/// case without an id, and an id the file holds more than once, cannot be matched: they
/// are set apart for the caller to refuse or to leave out with a warning.
#[derive(Debug)]
pub struct ById<'a> {
    /// The cases whose id the file holds once, in the file's order.
    pub named: Vec<(CaseId, &'a CaseRecord)>,
    /// 0-based places in `cases` of the cases without an id.
    pub unnamed: Vec<usize>,
    /// The ids held by more than one case, in the order of their first case.
    pub repeated: Vec<CaseId>,
    /// Where each id of `named` is.
    index: HashMap<CaseId, usize>,
}

impl<'a> ById<'a> {
    pub fn new(cases: &'a [CaseRecord]) -> Self {
        // Each id's first case, and whether another case holds it too.
        let mut first: HashMap<CaseId, (usize, bool)> = HashMap::new();
        let mut ids = Vec::with_capacity(cases.len());
        let mut unnamed = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let Some(id) = case.id() else {
                unnamed.push(i);
                continue;
            };
            match first.entry(id.clone()) {
                Entry::Occupied(mut seen) => seen.get_mut().1 = true,
                Entry::Vacant(slot) => {
                    slot.insert((i, false));
                    ids.push((id, case));
                }
            }
        }
        let (named, repeated): (Vec<_>, Vec<_>) = ids.into_iter().partition(|(id, _)| !first[id].1);
        let index = named
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.clone(), i))
            .collect();
        ById {
            named,
            unnamed,
            repeated: repeated.into_iter().map(|(id, _)| id).collect(),
            index,
        }
    }

    /// The case whose id is `id`, if the file holds it once.
    pub fn get(&self, id: &str) -> Option<&'a CaseRecord> {
        self.index.get(id).map(|&i| self.named[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(case_id: Value) -> CaseRecord {
        CaseRecord {
            case_id,
            ..Default::default()
        }
    }

    #[test]
    fn strings_and_numbers_are_ids_and_nothing_else_is() {
        let id = |value: Value| CaseId::of(&value).map(|id| id.to_string());
        assert_eq!(id(json!("PMC1")), Some("PMC1".into()));
        assert_eq!(id(json!(" ")), Some(" ".into()));
        assert_eq!(id(json!(7)), Some("7".into()));
        assert_eq!(id(json!(7.5)), Some("7.5".into()));
        for none in [json!(""), json!(null), json!(true), json!([1]), json!({})] {
            assert_eq!(id(none.clone()), None, "{none}");
        }
        // An absent case_id reads as null.
        let absent: CaseRecord = serde_json::from_value(json!({"mcqs": []})).unwrap();
        assert_eq!(absent.id(), None);
        assert_eq!(absent.id_text(), "");
        assert_eq!(record(json!(7)).id_text(), "7");
    }

    #[test]
    fn a_case_is_named_by_its_id_and_place_or_its_place_alone() {
        assert_eq!(
            record(json!("PMC1")).describe("cases", 1),
            "PMC1 (#2 in cases)"
        );
        assert_eq!(
            record(json!("")).describe("unfinished_cases", 0),
            "#1 in unfinished_cases"
        );
        assert_eq!(places("cases", &[2, 6]), "#3, #7 in cases");
        let many: Vec<usize> = (0..12).collect();
        assert_eq!(
            places("cases", &many),
            "#1, #2, #3, #4, #5, #6, #7, #8, #9, #10, and 2 more in cases"
        );
    }

    #[test]
    fn cases_without_an_id_and_repeated_ids_are_set_apart() {
        let cases = [
            record(json!("a")),
            record(json!("")),
            record(json!("b")),
            record(json!(null)),
            record(json!("a")),
            record(json!(3)),
        ];
        let by_id = ById::new(&cases);
        let named: Vec<&str> = by_id.named.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(named, ["b", "3"]);
        assert_eq!(by_id.unnamed, [1, 3]);
        assert_eq!(by_id.repeated, [CaseId::new("a").unwrap()]);
        assert!(std::ptr::eq(by_id.get("3").unwrap(), &cases[5]));
        assert!(by_id.get("a").is_none());
    }
}
