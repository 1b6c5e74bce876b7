//! The analysis of one results file, as every report shows it: computed once and handed
//! to the terminal and the HTML page, which only draw it.

use super::bootstrap::{self, Intervals};
use super::failures::FailureTable;
use super::insight::Stored;
use super::multiturn::{MultiTurn, diagnostics};
use super::outcome::OutcomeCounts;
use super::reading::RobustReading;
use super::{Summary, summarize};
use serde_json::{Map, Value};

use super::tokens::TokenTotals;
use super::{insight, summary_value};
use crate::cost::price::Price;
use crate::results::{CaseRecord, Coverage, ResultsFile};

/// Everything the reports say about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The official summary, from the cases (as the official tool computes it); `None`
    /// without cases.
    pub summary: Option<Summary>,
    pub outcomes: OutcomeCounts,
    /// `None` without cases.
    pub intervals: Option<Intervals>,
    pub multi_turn: MultiTurn,
    /// The same replies by the robust extractor's verdicts; `None` for a file without them
    /// (the official tool's).
    pub robust: Option<RobustReading>,
    pub failures: FailureTable,
    /// How much of its config the run covers, when the file says.
    pub coverage: Option<Coverage>,
    /// The cases that ran (the file's `cases`).
    pub cases: usize,
    /// The tokens of every recorded reply (of unfinished cases too), from the records.
    pub tokens: TokenTotals,
    /// The price the run recorded (`meta.price`); `report --price` replaces it.
    pub price: Option<Price>,
}

impl Analysis {
    /// The analysis of a results file: our keys as it stores them (evaluate and merge
    /// write them), computed from its cases where it lacks them, as the official tool's
    /// files do.
    pub fn of(file: &ResultsFile) -> Analysis {
        let cases = &file.cases;
        let stored = Stored::of(&file.extra);
        Analysis {
            summary: summarize(cases),
            outcomes: stored.outcomes.unwrap_or_else(|| OutcomeCounts::of(cases)),
            intervals: stored
                .confidence_intervals
                .or_else(|| bootstrap::intervals(cases, &bootstrap::Options::default())),
            multi_turn: stored.multi_turn.unwrap_or_else(|| diagnostics(cases)),
            robust: RobustReading::of(cases),
            failures: FailureTable::of(cases),
            coverage: Coverage::of(&file.meta),
            cases: cases.len(),
            tokens: TokenTotals::of(cases.iter().chain(&file.unfinished_cases)),
            price: Price::of(&file.meta),
        }
    }
}

/// The results file of these cases under `meta` (by `evaluate` and `merge` alike), with
/// everything computed from the cases in one place: the official `summary`, our
/// top-level keys (outcomes, intervals, multi-turn diagnostics, tokens priced at
/// `meta.price` when it has one), and, when the config's
/// size is known, the coverage added at the end of `meta` (its `cases_run` is
/// `cases.len()`).
pub fn assemble(
    mut meta: Map<String, Value>,
    cases_in_config: Option<usize>,
    cases: Vec<CaseRecord>,
    unfinished_cases: Vec<CaseRecord>,
) -> ResultsFile {
    if let Some(in_config) = cases_in_config {
        Coverage::new(in_config, cases.len()).insert_into(&mut meta);
    }
    let extra = insight::keys(&cases, &unfinished_cases, Price::of(&meta).as_ref());
    ResultsFile {
        meta,
        summary: summary_value(summarize(&cases).as_ref()),
        extra,
        cases,
        unfinished_cases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coverage_is_counted_from_the_cases_and_comes_last() {
        let cases = vec![CaseRecord::default(); 3];
        let file = assemble(Map::new(), Some(5), cases, Vec::new());
        let coverage = Coverage::of(&file.meta).unwrap();
        assert_eq!(coverage, Coverage::new(5, 3));
        assert_eq!(file.meta.keys().next_back().unwrap(), "cases_run");
        let unknown = assemble(Map::new(), None, Vec::new(), Vec::new());
        assert_eq!(Coverage::of(&unknown.meta), None);
    }

    /// The answered turns of a stopped run's unfinished cases were paid for: they count in
    /// the tokens (and only there), priced at `meta.price`, in the file and its analysis.
    #[test]
    fn unfinished_cases_count_in_the_tokens_at_the_recorded_price() {
        let case = |prompt: u64| -> CaseRecord {
            serde_json::from_value(serde_json::json!({"case_id": "c", "mcqs": [
                {"is_correct": true, "usage": {"prompt_tokens": prompt, "completion_tokens": 1}}]}))
            .unwrap()
        };
        let mut meta = Map::new();
        meta.insert(
            crate::cost::price::META_KEY.into(),
            serde_json::json!({"input": 1.0, "output": 0.0}),
        );
        let file = assemble(meta, Some(2), vec![case(300_000)], vec![case(700_000)]);
        assert_eq!(file.extra["tokens"]["prompt"]["tokens"], 1_000_000);
        assert_eq!(file.extra["tokens"]["cost_usd"]["total"], 1.0);
        assert_eq!(file.extra["outcomes"]["mcqs"], 1);
        let analysis = Analysis::of(&file);
        assert_eq!(analysis.tokens.replies, 2);
        assert_eq!(analysis.price, Price::of(&file.meta));
        assert!(analysis.price.is_some());
    }
}
