//! The robust reading of a run: the same replies scored with our robust extractor's
//! verdicts (`robust_correct`) instead of the official rules', as a second summary beside
//! the official one, with where the two readings disagree. The official summary stays
//! the score; this says how much of it the official rules' misreadings explain.

use serde::Serialize;
use serde_json::Value;

use super::{Summary, summarize};
use crate::results::{CaseRecord, McqRecord};

/// How the two readings of the same replies differ, MCQ by MCQ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Disagreements {
    /// MCQs read differently (one reads nothing, or they read different letters).
    pub total: u64,
    /// The official rules read nothing where the robust extractor read a letter.
    pub official_missed: u64,
    /// The robust extractor read nothing (or abstained) where the official rules read one.
    pub robust_missed: u64,
    /// Both read a letter, not the same one.
    pub different_letter: u64,
}

/// The cases with each answered MCQ scored by its robust verdict (and every case's
/// correct count recounted from it); `None` when the records have no robust verdicts
/// (a file of the official tool's).
pub fn robust_cases(cases: &[CaseRecord]) -> Option<Vec<CaseRecord>> {
    let has_robust = cases
        .iter()
        .flat_map(|c| &c.mcqs)
        .any(|m| m.extra.contains_key("robust_correct"));
    if !has_robust {
        return None;
    }
    Some(
        cases
            .iter()
            .map(|case| {
                let mcqs: Vec<McqRecord> = case.mcqs.iter().map(robust_mcq).collect();
                let correct = mcqs.iter().filter(|m| m.is_correct()).count();
                // Field by field: `..case.clone()` would copy every MCQ (replies included)
                // only to drop them.
                CaseRecord {
                    case_id: case.case_id.clone(),
                    pmc: case.pmc.clone(),
                    doi: case.doi.clone(),
                    rarity: case.rarity.clone(),
                    level1: case.level1.clone(),
                    level2: case.level2.clone(),
                    total_mcqs: case.total_mcqs.clone(),
                    correct_mcqs: Some(correct.into()),
                    mcqs,
                    extra: case.extra.clone(),
                }
            })
            .collect(),
    )
}

/// An MCQ scored by its robust verdict (a failed or skipped one stays wrong).
fn robust_mcq(mcq: &McqRecord) -> McqRecord {
    let robust = mcq
        .extra
        .get("robust_correct")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    McqRecord {
        is_correct: Value::Bool(robust && !mcq.has_error()),
        extracted_answer: mcq
            .extra
            .get("robust_answer")
            .cloned()
            .unwrap_or(Value::Null),
        ..mcq.clone()
    }
}

/// Where the official and robust readings of the answered MCQs differ.
pub fn disagreements(cases: &[CaseRecord]) -> Disagreements {
    let mut d = Disagreements::default();
    for mcq in cases.iter().flat_map(|c| &c.mcqs) {
        if mcq.has_error() || !mcq.extra.contains_key("robust_answer") {
            continue;
        }
        let official = mcq.extracted_answer.as_str();
        let robust = mcq.extra.get("robust_answer").and_then(Value::as_str);
        match (official, robust) {
            (None, Some(_)) => d.official_missed += 1,
            (Some(_), None) => d.robust_missed += 1,
            (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => d.different_letter += 1,
            _ => continue,
        }
        d.total += 1;
    }
    d
}

/// The robust reading of a run, the results key of ours `robust_reading`: the summary by
/// the robust verdicts (in the official summary's shape) and the disagreements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RobustReading {
    pub summary: Summary,
    pub disagreements: Disagreements,
}

impl RobustReading {
    /// `None` without robust verdicts (a file of the official tool's).
    pub fn of(cases: &[CaseRecord]) -> Option<Self> {
        Some(RobustReading {
            summary: summarize(&robust_cases(cases)?)?,
            disagreements: disagreements(cases),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mcq(official: Option<&str>, robust: Option<&str>, correct: &str) -> McqRecord {
        let mut m = McqRecord {
            extracted_answer: json!(official),
            is_correct: json!(official == Some(correct)),
            correct_answer: json!(correct),
            ..Default::default()
        };
        m.extra.insert("robust_answer".into(), json!(robust));
        m.extra
            .insert("robust_correct".into(), json!(robust == Some(correct)));
        m
    }

    #[test]
    fn the_robust_reading_rescores_and_counts_every_kind_of_disagreement() {
        let case = CaseRecord {
            total_mcqs: json!(4),
            mcqs: vec![
                mcq(None, Some("C"), "C"),      // official missed
                mcq(Some("A"), Some("C"), "C"), // different letter
                mcq(Some("B"), None, "B"),      // robust missed
                mcq(Some("D"), Some("D"), "D"), // agree
            ],
            ..Default::default()
        };
        let d = disagreements(std::slice::from_ref(&case));
        assert_eq!(
            d,
            Disagreements {
                total: 3,
                official_missed: 1,
                robust_missed: 1,
                different_letter: 1
            }
        );
        let robust = robust_cases(std::slice::from_ref(&case)).unwrap();
        let right: Vec<bool> = robust[0].mcqs.iter().map(McqRecord::is_correct).collect();
        assert_eq!(right, [true, true, false, true]);
        assert_eq!(robust[0].correct_count(), 3);
        let key = serde_json::to_value(RobustReading::of(&[case]).unwrap()).unwrap();
        assert_eq!(key["summary"]["correct_mcqs"], 3);
        assert_eq!(key["disagreements"]["total"], 3);
        // A file without robust verdicts has no robust reading.
        assert!(robust_cases(&[CaseRecord::default()]).is_none());
    }
}
