//! Our additions to a results file, beside the official `summary` (whose keys keep their
//! official meaning): top-level keys that official readers ignore.

use serde_json::{Map, Value};

use super::bootstrap;
use super::multiturn::diagnostics;
use super::outcome::OutcomeCounts;
use crate::results::CaseRecord;

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
    keys
}
