//! Our additions to a results file, beside the official `summary` (whose keys keep their
//! official meaning): top-level keys that official readers ignore.

use serde_json::{Map, Value};

use super::bootstrap;
use super::multiturn::diagnostics;
use super::outcome::OutcomeCounts;
use super::{summarize, summary_value};
use crate::results::{CaseRecord, McqRecord};

/// The top-level keys of ours for a results file of these cases.
pub fn keys(cases: &[CaseRecord]) -> Map<String, Value> {
    let mut keys = Map::new();
    keys.insert("outcomes".into(), OutcomeCounts::of(cases).to_value());
    keys.insert(
        "confidence_intervals".into(),
        bootstrap::intervals(cases, &bootstrap::Options::default()),
    );
    keys.insert(
        "multi_turn".into(),
        serde_json::to_value(diagnostics(cases)).expect("diagnostics serialise"),
    );
    if let Some(robust) = super::reading::key(cases) {
        keys.insert("robust_reading".into(), robust);
    }
    if let Some(view) = modalities_counting_skipped(cases) {
        keys.insert("modalities_counting_skipped".into(), view);
    }
    keys
}

/// The modality breakdowns as they would be if skipped questions kept their picture and
/// table types: the official summary leaves them out of `by_image_modality` and
/// `by_table_modality` (the official tool records them with no types), which hides how
/// many questions of a modality never reached the model. `None` when no skipped question
/// has types of its own (then the official breakdowns are the whole story).
fn modalities_counting_skipped(cases: &[CaseRecord]) -> Option<Value> {
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
    let any = cases
        .iter()
        .flat_map(|c| &c.mcqs)
        .filter_map(McqRecord::with_question_types)
        .any(|m| m.image_types().next().is_some() || m.table_types().next().is_some());
    if !any {
        return None;
    }
    let mut summary = summary_value(summarize(&restored).as_ref());
    Some(serde_json::json!({
        "by_image_modality": summary["by_image_modality"].take(),
        "by_table_modality": summary["by_table_modality"].take(),
    }))
}
