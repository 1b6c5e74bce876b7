//! Result records of cases and MCQs, in the official format (spec §6) plus our keys.

use serde_json::{Value, json};

use crate::analysis::outcome::Outcome;
use crate::client::Reply;
use crate::dataset::LoadedCase;
use crate::dataset::schema::{Image, List, Mcq, Table, Text, items};
use crate::results::{CaseRecord, McqRecord};
use crate::scoring::{official, robust};

/// The official error text of the MCQs after a failed one.
pub const SKIPPED: &str = "Skipped: prior question failed";

/// A case record without MCQs: the official fields from the dataset, and where the case
/// came from.
pub fn case_record(lc: &LoadedCase, mcqs: Vec<McqRecord>) -> CaseRecord {
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

/// The `type` strings of an MCQ's images and tables (Q1 also gets the scenario's first),
/// filled for every MCQ, skipped ones included.
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
    let letters: Vec<&str> = mcq
        .options
        .get()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let robust = robust::extract(&reply.content, &letters);
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
    if let Some(usage) = &reply.usage {
        extra.insert("usage".into(), usage.clone());
    }
    if let Some(reasoning) = &reply.reasoning {
        extra.insert("reasoning".into(), json!(reasoning));
    }
    with_outcome(record)
}

/// The record of an MCQ that failed (`error`) or was skipped after a failure.
pub fn failed(case: &LoadedCase, index: usize, mcq: &Mcq, error: &str) -> McqRecord {
    let mut record = base(case, index, mcq);
    record.error = json!(error);
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
