//! Result records of cases and MCQs, in the official format (docs/results.md) plus our keys.

use serde_json::{Value, json};

use crate::client::{MAX_USAGE_DEPTH, Reply, Usage};
use liveclin_core::analysis::outcome::Outcome;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::dataset::schema::{Image, List, Mcq, Table, Text, items};
use liveclin_core::results::{CaseRecord, McqRecord, QUESTION_IMAGE_TYPES, QUESTION_TABLE_TYPES};
use liveclin_core::scoring::{official, robust};

/// The official error text of the MCQs after a failed one.
pub(crate) const SKIPPED: &str = "Skipped: prior question failed";

/// A case record without MCQs: the official fields from the dataset, and where the case
/// came from.
pub(crate) fn case_record(lc: &LoadedCase, mcqs: Vec<McqRecord>) -> CaseRecord {
    let case = &lc.case;
    let correct = mcqs.iter().filter(|m| m.is_correct()).count();
    let mut record = CaseRecord {
        case_id: Value::String(lc.id.clone()),
        pmc: text_value(&case.pmc, Value::Null),
        doi: text_value(&case.doi, Value::Null),
        rarity: default_text(&case.rarity, "unknown"),
        level1: default_text(&case.level1, ""),
        level2: default_text(&case.level2, ""),
        total_mcqs: json!(case.mcqs().len()),
        correct_mcqs: Some(json!(correct)),
        mcqs,
        extra: Default::default(),
    };
    record.extra.insert("line".into(), json!(lc.line));
    if lc.id_is_fallback {
        record.extra.insert(
            "case_id_note".into(),
            json!("no pmc, pmid or doi: id derived from the title, scenario and questions"),
        );
    }
    record
}

/// `dict.get(key, default)` as stored by the official tool.
fn text_value(field: &Text, default: Value) -> Value {
    match field {
        Text::Missing => default,
        Text::Null => Value::Null,
        Text::Str(s) => Value::String(s.clone()),
        Text::Other(v) => v.clone(),
    }
}

fn default_text(field: &Text, default: &str) -> Text {
    match field {
        Text::Missing => Text::Str(default.to_string()),
        other => other.clone(),
    }
}

/// The `type` strings of an MCQ's images and tables (Q1 also gets the scenario's first).
fn types(case: &LoadedCase, index: usize, mcq: &Mcq) -> (Vec<Value>, Vec<Value>) {
    fn kinds<'a, T: 'a>(
        list: &'a List<T>,
        kind: fn(&T) -> &Text,
    ) -> impl Iterator<Item = Value> + 'a {
        items(list)
            .map(kind)
            .filter(|t| t.is_truthy())
            .map(|t| text_value(t, Value::Null))
    }
    let image_kind: fn(&Image) -> &Text = |i| &i.kind;
    let table_kind: fn(&Table) -> &Text = |t| &t.kind;
    let mut images = Vec::new();
    let mut tables = Vec::new();
    if index == 0
        && let Some(policy) = case.case.policy()
    {
        images.extend(kinds(&policy.scenario_image_details, image_kind));
        tables.extend(kinds(&policy.scenario_table_details, table_kind));
    }
    images.extend(kinds(&mcq.image_details, image_kind));
    tables.extend(kinds(&mcq.table_details, table_kind));
    (images, tables)
}

fn base(case: &LoadedCase, index: usize, mcq: &Mcq) -> McqRecord {
    let (image_types, table_types) = types(case, index, mcq);
    McqRecord {
        stage: default_text(&mcq.stage, ""),
        mcq_index: json!(index),
        correct_answer: text_value(&mcq.correct_answer, json!("")),
        extracted_answer: Value::Null,
        is_correct: json!(false),
        model_response: Value::Null,
        error: Value::Null,
        image_types: Value::Array(image_types),
        table_types: Value::Array(table_types),
        extra: Default::default(),
    }
}

/// The record of an answered MCQ: the official verdict, and the robust extractor's
/// beside it.
pub fn answered(case: &LoadedCase, index: usize, mcq: &Mcq, reply: &Reply) -> McqRecord {
    let mut record = base(case, index, mcq);
    let correct = mcq.correct_answer.py_get("").to_uppercase();
    let official = official::extract(&reply.content);
    record.is_correct = json!(official.as_ref().is_some_and(|(l, _)| *l == correct));
    record.extracted_answer = official.as_ref().map_or(Value::Null, |(l, _)| json!(l));
    record.model_response = json!(reply.content);
    let texts: Vec<(&str, std::borrow::Cow<str>)> = mcq
        .options
        .get()
        .map(|o| o.iter().map(|(l, t)| (l.as_str(), t.py_get(""))).collect())
        .unwrap_or_default();
    let choices: Vec<robust::Choice> = texts
        .iter()
        .map(|(letter, text)| robust::Choice { letter, text })
        .collect();
    let robust = robust::extract(&reply.content, &choices);
    let extra = &mut record.extra;
    extra.insert(
        "extraction_rule".into(),
        official.map_or(Value::Null, |(_, rule)| json!(rule)),
    );
    extra.insert(
        "robust_answer".into(),
        robust.map_or(Value::Null, |(c, _)| json!(c.to_string())),
    );
    extra.insert(
        "robust_rule".into(),
        robust.map_or(Value::Null, |(_, rule)| json!(rule)),
    );
    extra.insert(
        "robust_correct".into(),
        json!(robust.is_some_and(|(c, _)| c.to_string() == correct)),
    );
    extra.insert("finish_reason".into(), json!(reply.finish_reason));
    match &reply.usage {
        Some(Usage::Kept(usage)) => {
            extra.insert("usage".into(), usage.clone());
        }
        Some(Usage::TooDeep) => {
            extra.insert("usage_note".into(), json!(usage_note()));
        }
        None => {}
    }
    if let Some(reasoning) = &reply.reasoning {
        extra.insert("reasoning".into(), json!(reasoning));
    }
    with_outcome(record)
}

/// Why a reply's `usage` is missing from its record.
fn usage_note() -> String {
    format!("usage not kept: nested deeper than {MAX_USAGE_DEPTH} levels")
}

/// The record of an MCQ that failed with `error`.
pub fn failed(case: &LoadedCase, index: usize, mcq: &Mcq, error: &str) -> McqRecord {
    let mut record = base(case, index, mcq);
    record.error = json!(error);
    with_outcome(record)
}

/// The record of an MCQ skipped after an earlier one failed. As the official tool does,
/// its `image_types` and `table_types` are empty, so the official summary's modality
/// breakdowns leave it out; the question's real types are kept under our keys
/// (`question_image_types`, `question_table_types`) for the view that counts them.
pub fn skipped(case: &LoadedCase, index: usize, mcq: &Mcq) -> McqRecord {
    let mut record = base(case, index, mcq);
    record.error = json!(SKIPPED);
    let images = std::mem::replace(&mut record.image_types, json!([]));
    let tables = std::mem::replace(&mut record.table_types, json!([]));
    record.extra.insert(QUESTION_IMAGE_TYPES.into(), images);
    record.extra.insert(QUESTION_TABLE_TYPES.into(), tables);
    with_outcome(record)
}

/// Adds the record's `outcome` (ours: correct, wrong, no_answer, cut_off, api_failure,
/// skipped).
fn with_outcome(mut record: McqRecord) -> McqRecord {
    let outcome = Outcome::of(&record);
    record.extra.insert("outcome".into(), json!(outcome.key()));
    record
}

/// Whether a record is a successful answer (no error), which a resumed run keeps.
pub fn succeeded(record: &McqRecord) -> bool {
    !record.has_error()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Outcome, classify};
    use liveclin_core::dataset::schema::Case;
    use reqwest::StatusCode;

    /// A one-question case whose answer is B.
    fn one_question_case() -> LoadedCase {
        let case: Case = serde_json::from_value(json!({
            "pmc": "PMC1",
            "exam_creation": {"final_policy": {"mcqs": [
                {"stage": "Diagnosis", "question": "Q?", "options": {"A": "a", "B": "b"},
                 "correct_answer": "B"}
            ]}}
        }))
        .unwrap();
        LoadedCase {
            line: 1,
            id: "PMC1".into(),
            id_is_fallback: false,
            case,
        }
    }

    /// The reply of a server whose `usage` is nested `levels` deep.
    fn reply_with_usage(levels: usize) -> Reply {
        let usage = format!("{}0{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
        let body = format!(
            r#"{{"choices":[{{"message":{{"content":"\\boxed{{B}}"}}}}],"usage":{usage}}}"#
        );
        match classify(StatusCode::OK, None, &body) {
            Outcome::Reply(reply) => reply,
            other => panic!("{other:?}"),
        }
    }

    /// The case record of `reply` answering the case's question, as stored.
    fn stored(lc: &LoadedCase, reply: &Reply) -> Vec<u8> {
        let mcq = lc.case.mcqs()[0];
        let record = case_record(lc, vec![answered(lc, 0, mcq, reply)]);
        serde_json::to_vec(&record).unwrap()
    }

    #[test]
    fn a_deeply_nested_usage_is_dropped_so_the_record_re_reads() {
        let lc = one_question_case();
        let bytes = stored(&lc, &reply_with_usage(126));
        let back: CaseRecord = serde_json::from_slice(&bytes).expect("the record re-reads");
        let mcq = &back.mcqs[0];
        assert!(mcq.is_correct());
        assert!(!mcq.extra.contains_key("usage"));
        assert_eq!(mcq.extra["usage_note"], json!(usage_note()));
        // Inside a results file too (two more levels: the file and its `cases`).
        let file = format!(r#"{{"cases":[{}]}}"#, String::from_utf8(bytes).unwrap());
        serde_json::from_str::<liveclin_core::results::ResultsFile>(&file)
            .expect("the file re-reads");
    }

    #[test]
    fn a_shallow_usage_is_kept() {
        let lc = one_question_case();
        let bytes = stored(&lc, &reply_with_usage(MAX_USAGE_DEPTH));
        let back: CaseRecord = serde_json::from_slice(&bytes).unwrap();
        let usage = &back.mcqs[0].extra["usage"];
        assert_eq!(
            usage.pointer(&"/a".repeat(MAX_USAGE_DEPTH)),
            Some(&json!(0))
        );
        assert!(!back.mcqs[0].extra.contains_key("usage_note"));
    }
}
