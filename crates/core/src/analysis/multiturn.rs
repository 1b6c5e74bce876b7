//! Multi-turn diagnostics: how errors propagate across the turns of a case.
//!
//! Each case is one conversation of MCQs asked in order. The MCQs of a case are taken in
//! their stored order, sorted (stably) by `mcq_index`; "position k" is the k-th MCQ in
//! that order (keys `Q1`, `Q2`, ... are 1-based).
//!
//! Definitions:
//! - Cases with any MCQ whose outcome is ApiFailure or Skipped are left out of every
//!   diagnostic (the model never answered those turns); they are counted as
//!   `excluded_cases`. `cases` = cases included. A "wrong" MCQ is any included MCQ that
//!   is not Correct (Wrong, NoAnswer, CutOff).
//! - `conditional_accuracy`: for each position k (keys "Q1", "Q2", ... in position order,
//!   as many as the longest included case): `reached` = included cases that have an MCQ
//!   at position k and whose MCQs before k were all correct; `correct` = how many of
//!   those got position k right; `accuracy` = correct / reached (0.0 when reached is 0),
//!   rounded to 4 decimals.
//! - `first_wrong`: for each included case, the 1-based position of its first wrong MCQ
//!   as key "Q1".."Qn", or "none" when every MCQ is correct; counts. Keys in position
//!   order with "none" last; only keys with a count > 0. The counts add up to `cases`.
//! - `error_after_error`: over consecutive pairs (k, k+1) within included cases where
//!   MCQ k is wrong: `pairs` = number of such pairs, `wrong` = pairs where k+1 is also
//!   wrong, `rate` = wrong / pairs (rounded to 4 decimals, 0.0 when no pairs).
//! - `error_after_correct`: the same over pairs where MCQ k is correct: `pairs`, `wrong`
//!   (k+1 wrong), `rate`. Comparing the two rates shows whether one error makes the next
//!   more likely.

use serde::{Deserialize, Serialize};

use super::outcome::Outcome;
use super::summary::Groups;
use crate::pytext;
use crate::results::CaseRecord;

/// The multi-turn diagnostics of a set of cases (the `multi_turn` key of a results file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiTurn {
    /// Cases included (no API failure, nothing skipped).
    pub cases: u64,
    /// Cases left out because at least one MCQ failed at the API or was skipped.
    pub excluded_cases: u64,
    /// Per position, accuracy among the cases whose earlier MCQs were all correct.
    pub conditional_accuracy: Groups<Conditional>,
    /// How many cases first went wrong at each position (`none`: never).
    pub first_wrong: Groups<u64>,
    pub error_after_error: Transition,
    pub error_after_correct: Transition,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Conditional {
    pub reached: u64,
    pub correct: u64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub pairs: u64,
    pub wrong: u64,
    pub rate: f64,
}

impl Transition {
    fn new(pairs: u64, wrong: u64) -> Self {
        Transition {
            pairs,
            wrong,
            rate: pytext::accuracy(wrong as i64, pairs as i64),
        }
    }
}

/// The multi-turn diagnostics of these cases (definitions in the module documentation).
pub fn diagnostics(cases: &[CaseRecord]) -> MultiTurn {
    let mut excluded_cases = 0u64;
    // Per included case, whether each MCQ (in position order) is correct.
    let mut included: Vec<Vec<bool>> = Vec::new();
    for case in cases {
        let mut mcqs: Vec<_> = case.mcqs.iter().collect();
        mcqs.sort_by_key(|m| m.position());
        let outcomes: Vec<Outcome> = mcqs.iter().map(|m| Outcome::of(m)).collect();
        if outcomes
            .iter()
            .any(|o| matches!(o, Outcome::ApiFailure | Outcome::Skipped))
        {
            excluded_cases += 1;
            continue;
        }
        included.push(outcomes.iter().map(|o| *o == Outcome::Correct).collect());
    }

    let longest = included.iter().map(Vec::len).max().unwrap_or(0);
    let mut reached = vec![0u64; longest];
    let mut correct = vec![0u64; longest];
    let mut first_wrong = vec![0u64; longest];
    let mut none_wrong = 0u64;
    let (mut after_wrong, mut after_wrong_wrong) = (0u64, 0u64);
    let (mut after_right, mut after_right_wrong) = (0u64, 0u64);

    for answers in &included {
        // Reached position k while every earlier MCQ was correct.
        for (k, &right) in answers.iter().enumerate() {
            reached[k] += 1;
            if !right {
                first_wrong[k] += 1;
                break;
            }
            correct[k] += 1;
        }
        if answers.iter().all(|&right| right) {
            none_wrong += 1;
        }
        for pair in answers.windows(2) {
            let next_wrong = u64::from(!pair[1]);
            if pair[0] {
                after_right += 1;
                after_right_wrong += next_wrong;
            } else {
                after_wrong += 1;
                after_wrong_wrong += next_wrong;
            }
        }
    }

    let conditional_accuracy = (0..longest)
        .map(|k| {
            let group = Conditional {
                reached: reached[k],
                correct: correct[k],
                accuracy: pytext::accuracy(correct[k] as i64, reached[k] as i64),
            };
            (format!("Q{}", k + 1), group)
        })
        .collect();
    let mut first: Vec<(String, u64)> = first_wrong
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (format!("Q{}", k + 1), *n))
        .collect();
    if none_wrong > 0 {
        first.push(("none".into(), none_wrong));
    }

    MultiTurn {
        cases: included.len() as u64,
        excluded_cases,
        conditional_accuracy: Groups(conditional_accuracy),
        first_wrong: Groups(first),
        error_after_error: Transition::new(after_wrong, after_wrong_wrong),
        error_after_correct: Transition::new(after_right, after_right_wrong),
    }
}

/// `part / whole` as a percentage with one decimal, "-" when `whole` is 0.
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

impl MultiTurn {
    /// A few lines for the terminal (on stderr, after the official block).
    pub fn text(&self) -> String {
        let noun = if self.cases == 1 { "case" } else { "cases" };
        let mut out = format!("  Multi-turn ({} {noun}", self.cases);
        if self.excluded_cases > 0 {
            out.push_str(&format!(
                "; {} with API failures left out",
                self.excluded_cases
            ));
        }
        out.push_str("):\n");
        if self.cases == 0 {
            return out;
        }
        let conditional: Vec<String> = self
            .conditional_accuracy
            .0
            .iter()
            .map(|(key, g)| format!("{key} {} ({})", percent(g.correct, g.reached), g.reached))
            .collect();
        out.push_str(&format!(
            "    Accuracy given all earlier right: {}\n",
            conditional.join("  ")
        ));
        let first: Vec<String> = self
            .first_wrong
            .0
            .iter()
            .map(|(key, n)| format!("{key} {n}"))
            .collect();
        out.push_str(&format!("    First wrong question: {}\n", first.join(", ")));
        let (ee, ec) = (&self.error_after_error, &self.error_after_correct);
        out.push_str(&format!(
            "    After a wrong answer the next is wrong {} of the time ({} pairs); after a right one {} ({})\n",
            percent(ee.wrong, ee.pairs),
            ee.pairs,
            percent(ec.wrong, ec.pairs),
            ec.pairs
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A case from MCQ outcomes in order: 'R' right, 'W' wrong (a letter), 'N' no answer,
    /// 'C' cut off, 'F' API failure, 'S' skipped.
    fn case(outcomes: &str) -> CaseRecord {
        let mcqs: Vec<Value> = outcomes
            .chars()
            .enumerate()
            .map(|(i, c)| match c {
                'R' => json!({"mcq_index": i, "is_correct": true, "extracted_answer": "A"}),
                'W' => json!({"mcq_index": i, "is_correct": false, "extracted_answer": "B"}),
                'N' => json!({"mcq_index": i, "is_correct": false, "extracted_answer": null}),
                'C' => json!({"mcq_index": i, "is_correct": false, "extracted_answer": "B",
                              "finish_reason": "length"}),
                'F' => json!({"mcq_index": i, "is_correct": false, "error": "HTTP 500"}),
                'S' => json!({"mcq_index": i, "is_correct": false,
                              "error": "Skipped: prior question failed"}),
                other => panic!("unknown outcome {other}"),
            })
            .collect();
        serde_json::from_value(json!({ "mcqs": mcqs })).unwrap()
    }

    fn cases(list: &[&str]) -> Vec<CaseRecord> {
        list.iter().map(|s| case(s)).collect()
    }

    #[test]
    fn conditional_accuracy_by_position() {
        // Included: RRR, RWR, WRR, RRRR, RRW. Left out: RFS (API failure + skip).
        let m = diagnostics(&cases(&["RRR", "RWR", "WRR", "RRRR", "RFS", "RRW"]));
        assert_eq!(m.cases, 5);
        assert_eq!(m.excluded_cases, 1);
        let keys: Vec<&str> = m
            .conditional_accuracy
            .0
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["Q1", "Q2", "Q3", "Q4"]);
        // Q1: all 5 reach it; WRR misses it -> 4/5.
        // Q2: RRR, RWR, RRRR, RRW reach it; RWR misses -> 3/4.
        // Q3: RRR, RRRR, RRW reach it; RRW misses -> 2/3 = 0.6667.
        // Q4: only RRRR reaches it and is right -> 1/1.
        let q = |k: &str| *m.conditional_accuracy.get(k).unwrap();
        assert_eq!(
            q("Q1"),
            Conditional {
                reached: 5,
                correct: 4,
                accuracy: 0.8
            }
        );
        assert_eq!(
            q("Q2"),
            Conditional {
                reached: 4,
                correct: 3,
                accuracy: 0.75
            }
        );
        assert_eq!(
            q("Q3"),
            Conditional {
                reached: 3,
                correct: 2,
                accuracy: 0.6667
            }
        );
        assert_eq!(
            q("Q4"),
            Conditional {
                reached: 1,
                correct: 1,
                accuracy: 1.0
            }
        );
    }

    #[test]
    fn a_position_nobody_reaches_has_accuracy_zero() {
        // The only 3-MCQ case goes wrong at Q1, so Q2 and Q3 are never reached by it;
        // RW reaches Q2 only.
        let m = diagnostics(&cases(&["WRR", "RW"]));
        let q = |k: &str| *m.conditional_accuracy.get(k).unwrap();
        assert_eq!(
            (q("Q2").reached, q("Q2").correct, q("Q2").accuracy),
            (1, 0, 0.0)
        );
        assert_eq!(
            (q("Q3").reached, q("Q3").correct, q("Q3").accuracy),
            (0, 0, 0.0)
        );
    }

    #[test]
    fn first_wrong_counts_add_up_to_cases() {
        // First wrong: RRR none, RWR Q2, WRR Q1, RRRR none, RRW Q3, NRR Q1, RCR Q2;
        // RRF left out.
        let m = diagnostics(&cases(&[
            "RRR", "RWR", "WRR", "RRRR", "RRW", "NRR", "RCR", "RRF",
        ]));
        assert_eq!(m.cases, 7);
        assert_eq!(m.excluded_cases, 1);
        let expected: Vec<(String, u64)> = vec![
            ("Q1".into(), 2),
            ("Q2".into(), 2),
            ("Q3".into(), 1),
            ("none".into(), 2),
        ];
        assert_eq!(m.first_wrong.0, expected);
        let total: u64 = m.first_wrong.0.iter().map(|(_, n)| n).sum();
        assert_eq!(total, m.cases);
    }

    #[test]
    fn first_wrong_leaves_out_empty_keys() {
        // Both go wrong first at Q3: no Q1, Q2 or "none" keys, and no Q4 although
        // RRWR has a fourth MCQ.
        let m = diagnostics(&cases(&["RRW", "RRWR"]));
        let expected: Vec<(String, u64)> = vec![("Q3".into(), 2)];
        assert_eq!(m.first_wrong.0, expected);
    }

    #[test]
    fn error_transitions() {
        // Pairs (k, k+1), wrong = W/N/C:
        // RWW:  R->W (after right, wrong), W->W (after wrong, wrong)
        // WRN:  W->R (after wrong, right), R->N (after right, wrong)
        // RRR:  R->R, R->R (after right, right x2)
        // CWR:  C->W (after wrong, wrong), W->R (after wrong, right)
        // WFR:  left out (API failure)
        // after wrong: 4 pairs, 2 wrong -> 0.5; after right: 4 pairs, 2 wrong -> 0.5
        let m = diagnostics(&cases(&["RWW", "WRN", "RRR", "CWR", "WFR"]));
        assert_eq!(m.excluded_cases, 1);
        assert_eq!(
            m.error_after_error,
            Transition {
                pairs: 4,
                wrong: 2,
                rate: 0.5
            }
        );
        assert_eq!(
            m.error_after_correct,
            Transition {
                pairs: 4,
                wrong: 2,
                rate: 0.5
            }
        );
    }

    #[test]
    fn rates_round_to_four_decimals() {
        // RRWW: R->R, R->W (right: 2 pairs, 1 wrong), W->W (wrong: 1 pair, 1 wrong)
        // RRRR: 3 right->right pairs
        // RRRW: R->R, R->R, R->W (right: 3 pairs, 1 wrong)
        // WRRR: W->R (wrong: 1 pair, 0 wrong), R->R x2 (right: 2 pairs, 0 wrong)
        // WWRR: W->W (wrong, wrong), W->R (wrong, right), R->R (right)
        // after right: 2+3+3+2+1 = 11 pairs, 2 wrong -> 0.181818.. -> 0.1818
        // after wrong: 1+1+2 = 4 pairs, 2 wrong -> 0.5
        let m = diagnostics(&cases(&["RRWW", "RRRR", "RRRW", "WRRR", "WWRR"]));
        assert_eq!(m.error_after_correct.pairs, 11);
        assert_eq!(m.error_after_correct.wrong, 2);
        assert_eq!(m.error_after_correct.rate, 0.1818);
        assert_eq!(m.error_after_error.pairs, 4);
        assert_eq!(m.error_after_error.wrong, 2);
        assert_eq!(m.error_after_error.rate, 0.5);
        // Q1 reached 5, right 3 -> 0.6; Q2 reached 3, right 3; Q3 reached 3, right 2 ->
        // 0.6667; Q4 reached 2 (RRRR, RRRW), right 1 -> 0.5.
        let q4 = m.conditional_accuracy.get("Q4").unwrap();
        assert_eq!((q4.reached, q4.correct, q4.accuracy), (2, 1, 0.5));
        let q3 = m.conditional_accuracy.get("Q3").unwrap();
        assert_eq!((q3.reached, q3.correct, q3.accuracy), (3, 2, 0.6667));
    }

    #[test]
    fn mcqs_are_taken_in_position_order() {
        // Stored as Q2 (wrong), Q1 (right): in position order R then W.
        let case: CaseRecord = serde_json::from_value(json!({"mcqs": [
            {"mcq_index": 1, "is_correct": false, "extracted_answer": "B"},
            {"mcq_index": 0, "is_correct": true, "extracted_answer": "A"},
        ]}))
        .unwrap();
        let m = diagnostics(&[case]);
        let expected: Vec<(String, u64)> = vec![("Q2".into(), 1)];
        assert_eq!(m.first_wrong.0, expected);
        assert_eq!(m.error_after_correct.pairs, 1);
        assert_eq!(m.error_after_correct.wrong, 1);
        assert_eq!(m.error_after_error.pairs, 0);
    }

    #[test]
    fn no_cases_or_all_excluded() {
        let m = diagnostics(&[]);
        assert_eq!((m.cases, m.excluded_cases), (0, 0));
        let m = diagnostics(&cases(&["RF", "S"]));
        assert_eq!((m.cases, m.excluded_cases), (0, 2));
        let value = serde_json::to_value(&m).unwrap();
        assert_eq!(
            value,
            json!({"cases": 0, "excluded_cases": 2, "conditional_accuracy": {},
                   "first_wrong": {},
                   "error_after_error": {"pairs": 0, "wrong": 0, "rate": 0.0},
                   "error_after_correct": {"pairs": 0, "wrong": 0, "rate": 0.0}})
        );
    }

    #[test]
    fn json_shape_and_key_order() {
        // Included: RW (first wrong Q2), RR (none), W (Q1); RS left out.
        // Q1: reached 3, right 2 -> 0.6667; Q2: reached 2 (RW, RR), right 1 -> 0.5.
        // Pairs: R->W, R->R after right (2 pairs, 1 wrong); none after wrong.
        let m = diagnostics(&cases(&["RW", "RR", "W", "RS"]));
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(
            text,
            r#"{"cases":3,"excluded_cases":1,"conditional_accuracy":{"Q1":{"reached":3,"correct":2,"accuracy":0.6667},"Q2":{"reached":2,"correct":1,"accuracy":0.5}},"first_wrong":{"Q1":1,"Q2":1,"none":1},"error_after_error":{"pairs":0,"wrong":0,"rate":0.0},"error_after_correct":{"pairs":2,"wrong":1,"rate":0.5}}"#
        );
        assert_eq!(serde_json::from_str::<MultiTurn>(&text).unwrap(), m);
    }

    #[test]
    fn text_block() {
        // Same cases as json_shape_and_key_order.
        let m = diagnostics(&cases(&["RW", "RR", "W", "RS"]));
        assert_eq!(
            m.text(),
            "  Multi-turn (3 cases; 1 with API failures left out):\n\
             \x20   Accuracy given all earlier right: Q1 66.7% (3)  Q2 50.0% (2)\n\
             \x20   First wrong question: Q1 1, Q2 1, none 1\n\
             \x20   After a wrong answer the next is wrong - of the time (0 pairs); after a right one 50.0% (2)\n"
        );
        let m = diagnostics(&cases(&["RR"]));
        assert!(m.text().starts_with("  Multi-turn (1 case):\n"));
    }
}
