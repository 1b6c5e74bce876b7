//! The cases of the page, each with the facts its row in the case list and the filters
//! need: every case of the results file, then, when the dataset is loaded, every case
//! of the config that did not run.

use std::collections::{HashMap, HashSet};

use super::Questions;
use super::readings::readings_differ;
use super::value_text;
use liveclin_core::analysis::outcome::Outcome;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::dataset::schema::{Case, items};
use liveclin_core::dataset::taxonomy;
use liveclin_core::results::{CaseRecord, ResultsFile};

/// What the case list and the filters need to know about a case.
pub(super) struct Row<'a> {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) record: Option<&'a CaseRecord>,
    pub(super) loaded: Option<&'a LoadedCase>,
    /// The case filter's values: "ran" and the case outcome, or "not_run".
    pub(super) case: Vec<&'static str>,
    /// The outcomes of its MCQs (the question filter).
    pub(super) outcomes: Vec<&'static str>,
    pub(super) chapter: String,
    pub(super) modalities: Vec<String>,
    /// MCQs whose two readings differ.
    pub(super) differ: usize,
}

/// The rows of the page: the results file's cases, in its order, matched to the
/// dataset's by case id, then the dataset's cases that did not run.
pub(super) fn case_rows<'a>(file: &'a ResultsFile, questions: &Questions<'a>) -> Vec<Row<'a>> {
    let by_id: HashMap<&str, &LoadedCase> = match questions {
        Questions::Dataset { dataset, .. } => {
            dataset.cases.iter().map(|c| (c.id.as_str(), c)).collect()
        }
        Questions::Unavailable(_) => HashMap::new(),
    };
    let mut rows: Vec<Row> = file
        .cases
        .iter()
        .map(|record| run_row(record, by_id.get(record.id_text().as_str()).copied()))
        .collect();
    if let Questions::Dataset { dataset, .. } = questions {
        let ran: HashSet<String> = file.cases.iter().map(CaseRecord::id_text).collect();
        // The official tool leaves the id of a case without pmc, pmid or doi empty, where
        // the dataset gives it a stand-in: as many such cases as empty ids count as run.
        let mut unnamed = file.cases.iter().filter(|c| c.id_text().is_empty()).count();
        rows.extend(
            dataset
                .cases
                .iter()
                .filter(|c| !ran.contains(&c.id))
                .filter(|c| {
                    let stand_in = c.id_is_fallback && unnamed > 0;
                    unnamed -= usize::from(stand_in);
                    !stand_in
                })
                .map(not_run_row),
        );
    }
    rows
}

/// The case-level outcome of a case that ran: every MCQ right, else one failed (API
/// failure or skipped after one), else some wrong.
fn case_outcome(record: &CaseRecord) -> &'static str {
    let outcomes: Vec<Outcome> = record.mcqs.iter().map(Outcome::recorded).collect();
    if !outcomes.is_empty() && outcomes.iter().all(|o| *o == Outcome::Correct) {
        "fully_right"
    } else if outcomes
        .iter()
        .any(|o| matches!(o, Outcome::ApiFailure | Outcome::Skipped))
    {
        "api_failure"
    } else {
        "some_wrong"
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A case that ran: its facts from its record (the title from the dataset when loaded).
fn run_row<'a>(record: &'a CaseRecord, loaded: Option<&'a LoadedCase>) -> Row<'a> {
    let mut outcomes: Vec<&'static str> = Vec::new();
    let mut modalities: Vec<String> = Vec::new();
    for mcq in &record.mcqs {
        push_unique(&mut outcomes, Outcome::recorded(mcq).key());
        let image = mcq
            .image_types()
            .flat_map(taxonomy::image_modalities)
            .map(|m| format!("image:{m}"));
        let table = mcq
            .table_types()
            .flat_map(taxonomy::table_modalities)
            .map(|m| format!("table:{m}"));
        for m in image.chain(table) {
            push_unique(&mut modalities, m);
        }
    }
    let title = loaded
        .and_then(|c| c.case.title.as_str().map(str::to_string))
        .or_else(|| record.extra.get("title").and_then(value_text))
        .unwrap_or_default();
    Row {
        id: record.id_text(),
        title,
        record: Some(record),
        loaded,
        case: vec!["ran", case_outcome(record)],
        outcomes,
        chapter: record.level1.py_get("Unknown").into_owned(),
        modalities,
        differ: record
            .mcqs
            .iter()
            .filter(|m| readings_differ(m) == Some(true))
            .count(),
    }
}

/// The modalities of a case of the dataset, as its records would have them.
fn dataset_modalities(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    let mut images: Vec<String> = Vec::new();
    let mut tables: Vec<String> = Vec::new();
    if let Some(policy) = case.policy() {
        images.extend(
            items(&policy.scenario_image_details).filter_map(|i| i.kind.as_str().map(String::from)),
        );
        tables.extend(
            items(&policy.scenario_table_details).filter_map(|t| t.kind.as_str().map(String::from)),
        );
    }
    for mcq in case.mcqs() {
        images.extend(items(&mcq.image_details).filter_map(|i| i.kind.as_str().map(String::from)));
        tables.extend(items(&mcq.table_details).filter_map(|t| t.kind.as_str().map(String::from)));
    }
    for m in images.iter().flat_map(|t| taxonomy::image_modalities(t)) {
        push_unique(&mut out, format!("image:{m}"));
    }
    for m in tables.iter().flat_map(|t| taxonomy::table_modalities(t)) {
        push_unique(&mut out, format!("table:{m}"));
    }
    out
}

/// A case of the dataset that did not run: its facts from the dataset.
fn not_run_row(loaded: &LoadedCase) -> Row<'_> {
    Row {
        id: loaded.id.clone(),
        title: loaded.case.title.as_str().unwrap_or_default().to_string(),
        record: None,
        loaded: Some(loaded),
        case: vec!["not_run"],
        outcomes: Vec::new(),
        chapter: loaded.case.level1.py_get("Unknown").into_owned(),
        modalities: dataset_modalities(&loaded.case),
        differ: 0,
    }
}
