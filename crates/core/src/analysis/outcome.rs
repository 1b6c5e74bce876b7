//! What became of each MCQ, beyond right or wrong.
//!
//! The official question accuracy counts an MCQ whose API call failed, or that was
//! skipped after a failure, as wrong. That is kept (it is the benchmark's number), but
//! every MCQ also gets an outcome, so a run hit by a flaky server never passes its
//! failures off as the model's mistakes, and the denominators are stated.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::results::{CaseRecord, McqRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Correct,
    /// An answer was found and it is not the correct one.
    Wrong,
    /// The reply was read but no answer letter was found in it.
    NoAnswer,
    /// Not correct, and the reply was cut off (`finish_reason` = `length`).
    CutOff,
    /// The API call failed after every retry (or was refused).
    ApiFailure,
    /// Not asked: an earlier question of the case failed.
    Skipped,
}

impl Outcome {
    /// Every outcome, in the order the reports list them.
    pub const ALL: [Outcome; 6] = [
        Outcome::Correct,
        Outcome::Wrong,
        Outcome::NoAnswer,
        Outcome::CutOff,
        Outcome::ApiFailure,
        Outcome::Skipped,
    ];

    /// The outcome of a record (ours or the official tool's). A correct answer is correct
    /// even when the reply was cut off after it; a cut-off reply otherwise counts as cut
    /// off, whatever letter was read from it.
    pub fn of(mcq: &McqRecord) -> Outcome {
        if mcq.has_error() {
            let skipped = mcq
                .error
                .as_str()
                .is_some_and(|e| e.starts_with("Skipped:"));
            return if skipped {
                Outcome::Skipped
            } else {
                Outcome::ApiFailure
            };
        }
        if mcq.is_correct() {
            return Outcome::Correct;
        }
        if mcq.extra.get("finish_reason").and_then(Value::as_str) == Some("length") {
            return Outcome::CutOff;
        }
        match &mcq.extracted_answer {
            Value::String(s) if !s.is_empty() => Outcome::Wrong,
            _ => Outcome::NoAnswer,
        }
    }

    /// The outcome a results file records for an MCQ: its stored `outcome` key when it is
    /// one we know (see [`Outcome::from_key`]), else computed by [`Outcome::of`].
    pub fn recorded(mcq: &McqRecord) -> Outcome {
        mcq.extra
            .get("outcome")
            .and_then(Value::as_str)
            .and_then(Outcome::from_key)
            .unwrap_or_else(|| Outcome::of(mcq))
    }

    /// The name of the outcome in results files (the `outcome` key of an MCQ record, the
    /// keys of the `outcomes` counts).
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Correct => "correct",
            Outcome::Wrong => "wrong",
            Outcome::NoAnswer => "no_answer",
            Outcome::CutOff => "cut_off",
            Outcome::ApiFailure => "api_failure",
            Outcome::Skipped => "skipped",
        }
    }

    /// The outcome whose [`Outcome::key`] is `key`, if any.
    pub fn from_key(key: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.key() == key)
    }
}

/// Outcome counts of a run, with the two denominators: the `outcomes` key of a results
/// file (ours; official readers ignore it), which adds `accuracy_of_answered` and a note.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct OutcomeCounts {
    /// Every MCQ: the denominator of the official question accuracy.
    pub mcqs: u64,
    /// MCQs the model answered (no API failure, not skipped): the denominator of
    /// `accuracy_of_answered`.
    pub answered: u64,
    pub correct: u64,
    pub wrong: u64,
    pub no_answer: u64,
    pub cut_off: u64,
    pub api_failure: u64,
    pub skipped: u64,
}

/// Cases with at least one MCQ that failed or was skipped: what `--resume` would retry.
pub fn cases_with_errors(cases: &[CaseRecord]) -> usize {
    cases
        .iter()
        .filter(|c| c.mcqs.iter().any(|m| m.has_error()))
        .count()
}

impl OutcomeCounts {
    pub fn of(cases: &[CaseRecord]) -> Self {
        let mut counts = OutcomeCounts::default();
        for mcq in cases.iter().flat_map(|c| &c.mcqs) {
            counts.add(Outcome::of(mcq));
        }
        counts
    }

    /// The MCQs with this outcome.
    pub fn count(&self, outcome: Outcome) -> u64 {
        let mut copy = *self;
        *copy.slot(outcome)
    }

    fn slot(&mut self, outcome: Outcome) -> &mut u64 {
        match outcome {
            Outcome::Correct => &mut self.correct,
            Outcome::Wrong => &mut self.wrong,
            Outcome::NoAnswer => &mut self.no_answer,
            Outcome::CutOff => &mut self.cut_off,
            Outcome::ApiFailure => &mut self.api_failure,
            Outcome::Skipped => &mut self.skipped,
        }
    }

    fn add(&mut self, outcome: Outcome) {
        self.mcqs += 1;
        *self.slot(outcome) += 1;
        if !matches!(outcome, Outcome::ApiFailure | Outcome::Skipped) {
            self.answered += 1;
        }
    }

    /// Correct among the answered MCQs (API failures and skips left out).
    pub(crate) fn accuracy_of_answered(&self) -> f64 {
        crate::pytext::accuracy(self.correct as i64, self.answered as i64)
    }

    /// One line for the terminal, after the official block (on stderr, so that stdout
    /// stays the official layout).
    pub fn line(&self) -> String {
        let mut line = format!(
            "  Outcomes: {} correct, {} wrong, {} no answer, {} cut off",
            self.correct, self.wrong, self.no_answer, self.cut_off
        );
        if self.api_failure + self.skipped > 0 {
            line.push_str(&format!(
                ", {} API failures, {} skipped: Question Accuracy counts these {} as wrong; over the {} answered: {:.1}%",
                self.api_failure,
                self.skipped,
                self.api_failure + self.skipped,
                self.answered,
                100.0 * self.correct as f64 / self.answered.max(1) as f64
            ));
        }
        line.push_str(&format!(" ({} MCQs)\n", self.mcqs));
        line
    }
}

impl Serialize for OutcomeCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(10))?;
        m.serialize_entry("mcqs", &self.mcqs)?;
        m.serialize_entry("answered", &self.answered)?;
        m.serialize_entry("correct", &self.correct)?;
        m.serialize_entry("wrong", &self.wrong)?;
        m.serialize_entry("no_answer", &self.no_answer)?;
        m.serialize_entry("cut_off", &self.cut_off)?;
        m.serialize_entry("api_failure", &self.api_failure)?;
        m.serialize_entry("skipped", &self.skipped)?;
        m.serialize_entry("accuracy_of_answered", &self.accuracy_of_answered())?;
        m.serialize_entry(
            "note",
            "question_accuracy counts api_failure and skipped MCQs as wrong, as the official \
             tool does; accuracy_of_answered leaves them out",
        )?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(value: Value) -> McqRecord {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn every_record_gets_one_outcome() {
        let cases = [
            (
                json!({"is_correct": true, "extracted_answer": "B", "finish_reason": "length"}),
                Outcome::Correct,
            ),
            (
                json!({"is_correct": false, "extracted_answer": "C"}),
                Outcome::Wrong,
            ),
            (
                json!({"is_correct": false, "extracted_answer": null}),
                Outcome::NoAnswer,
            ),
            (
                json!({"is_correct": false, "extracted_answer": ""}),
                Outcome::NoAnswer,
            ),
            (
                json!({"is_correct": false, "extracted_answer": "C", "finish_reason": "length"}),
                Outcome::CutOff,
            ),
            (
                json!({"is_correct": false, "error": "HTTP 500"}),
                Outcome::ApiFailure,
            ),
            (
                json!({"is_correct": false, "error": "Skipped: prior question failed"}),
                Outcome::Skipped,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(Outcome::of(&record(value.clone())), expected, "{value}");
        }
    }

    #[test]
    fn keys_read_back_and_a_stored_outcome_wins() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::from_key(outcome.key()), Some(outcome));
        }
        assert_eq!(Outcome::from_key("unknown"), None);
        let stored = json!({"is_correct": false, "extracted_answer": "C", "outcome": "cut_off"});
        assert_eq!(Outcome::recorded(&record(stored)), Outcome::CutOff);
        let unknown = json!({"is_correct": false, "extracted_answer": "C", "outcome": "odd"});
        assert_eq!(Outcome::recorded(&record(unknown)), Outcome::Wrong);
    }

    #[test]
    fn counts_add_up_and_state_both_denominators() {
        let case: CaseRecord = serde_json::from_value(json!({"mcqs": [
            {"is_correct": true, "extracted_answer": "A"},
            {"is_correct": false, "extracted_answer": "B"},
            {"is_correct": false, "error": "timed out"},
            {"is_correct": false, "error": "Skipped: prior question failed"},
        ]}))
        .unwrap();
        let counts = OutcomeCounts::of(&[case]);
        assert_eq!(counts.mcqs, 4);
        assert_eq!(counts.answered, 2);
        let parts: u64 = Outcome::ALL.into_iter().map(|o| counts.count(o)).sum();
        assert_eq!(parts, counts.mcqs);
        let written = serde_json::to_value(counts).unwrap();
        assert_eq!(written["accuracy_of_answered"], 0.5);
        // The counts read back; the added keys are ignored.
        assert_eq!(
            serde_json::from_value::<OutcomeCounts>(written).unwrap(),
            counts
        );
        assert!(counts.line().contains("1 API failures, 1 skipped: Question Accuracy counts these 2 as wrong; over the 2 answered: 50.0%"));
    }
}
