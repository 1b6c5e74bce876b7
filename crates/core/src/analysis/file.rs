//! The analysis of one results file, as every report shows it: computed once and handed
//! to the terminal and the HTML page, which only draw it.

use super::bootstrap::{self, Intervals};
use super::failures::FailureTable;
use super::insight::Stored;
use super::multiturn::{MultiTurn, diagnostics};
use super::outcome::OutcomeCounts;
use super::reading::RobustReading;
use super::{Summary, summarize};
use crate::results::{Coverage, ResultsFile};

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
        }
    }
}
