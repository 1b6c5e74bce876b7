//! Tokens and money: what each reply's stored `usage` says, added up per MCQ, per case
//! and per run. Read from the records alone, so it works for any results file (ours
//! keep each reply's `usage`; the official tool's keep none, and then it says so).
//!
//! Absent is not zero: a reply without `usage`, or whose `usage` lacks a field (many
//! servers send no `prompt_tokens_details`), is counted as not reporting it, and every
//! total says over how many replies it is. Only the replies a results file records are
//! counted: an attempt that failed and was retried (an injected empty reply, a timeout
//! the server still answered) may have been billed, but its usage is never seen.

use serde::Serialize;
use serde_json::Value;

use crate::cost::price::{Cost, Price};
use crate::plural;
use crate::results::{CaseRecord, McqRecord};

/// The four counts of one reply's `usage`, each `None` when the reply did not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplyUsage {
    pub prompt: Option<u64>,
    pub completion: Option<u64>,
    /// `prompt_tokens_details.cached_tokens`: prompt tokens served from the provider's
    /// prompt cache (a part of `prompt`).
    pub cached_prompt: Option<u64>,
    /// `completion_tokens_details.reasoning_tokens`: a part of `completion`.
    pub reasoning: Option<u64>,
}

impl ReplyUsage {
    /// The usage stored with an answered MCQ; `None` when the record has none (no reply,
    /// a server that sends none, the official tool's records, a `usage` too deep to keep).
    pub fn of(mcq: &McqRecord) -> Option<ReplyUsage> {
        let usage = mcq.extra.get("usage").filter(|u| u.is_object())?;
        let count = |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64);
        Some(ReplyUsage {
            prompt: count("/prompt_tokens"),
            completion: count("/completion_tokens"),
            cached_prompt: count("/prompt_tokens_details/cached_tokens"),
            reasoning: count("/completion_tokens_details/reasoning_tokens"),
        })
    }
}

/// One kind of token, added over the replies that reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Reported {
    pub tokens: u64,
    /// Replies whose usage gave this count.
    pub replies: u64,
}

impl Reported {
    fn add(&mut self, count: Option<u64>) {
        if let Some(n) = count {
            self.tokens += n;
            self.replies += 1;
        }
    }
}

/// Tokens of a set of replies (an MCQ's, a case's, a run's): the `tokens` key of a
/// results file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenTotals {
    /// MCQs the model answered (records without an error): the replies a run paid for.
    pub replies: u64,
    /// Of those, replies with no `usage` at all: their tokens are in no total.
    pub replies_without_usage: u64,
    pub prompt: Reported,
    pub completion: Reported,
    pub cached_prompt: Reported,
    pub reasoning: Reported,
}

impl TokenTotals {
    /// One MCQ's: nothing for a question not answered (failed or skipped).
    pub fn of_mcq(mcq: &McqRecord) -> TokenTotals {
        let mut totals = TokenTotals::default();
        if mcq.has_error() {
            return totals;
        }
        totals.replies = 1;
        match ReplyUsage::of(mcq) {
            Some(usage) => {
                totals.prompt.add(usage.prompt);
                totals.completion.add(usage.completion);
                totals.cached_prompt.add(usage.cached_prompt);
                totals.reasoning.add(usage.reasoning);
            }
            None => totals.replies_without_usage = 1,
        }
        totals
    }

    /// One case's: the sum of its MCQs'.
    pub fn of_case(case: &CaseRecord) -> TokenTotals {
        case.mcqs.iter().map(TokenTotals::of_mcq).sum()
    }

    /// A run's: the sum of its cases' (give the unfinished cases of a stopped run too:
    /// their answered turns were paid for).
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseRecord>) -> TokenTotals {
        cases.into_iter().map(TokenTotals::of_case).sum()
    }

    /// What these tokens cost at `price`.
    pub fn cost(&self, price: &Price) -> Cost {
        price.cost(
            self.prompt.tokens,
            self.cached_prompt.tokens,
            self.completion.tokens,
        )
    }

    /// The line the terminal prints: `Tokens: ...`, with the cost when priced.
    pub fn line(&self, price: Option<&Price>) -> String {
        let mut out = String::from("  Tokens: ");
        if self.replies == 0 {
            out.push_str("no replies to count\n");
            return out;
        }
        if !self.reported() {
            out.push_str(&format!(
                "none reported ({} no usage; the official tool does not keep it)\n",
                if self.replies == 1 {
                    "the reply has".to_string()
                } else {
                    format!("the {} replies have", self.replies)
                }
            ));
            return out;
        }
        out.push_str(&self.counts());
        if let Some(price) = price {
            out.push_str(&format!("\n  Cost: {} at {price}", self.cost(price)));
            if self.replies_without_usage > 0 {
                out.push_str(", replies without usage not counted");
            }
        }
        out.push('\n');
        out
    }

    /// Whether any reply reported its usage.
    pub fn reported(&self) -> bool {
        self.replies_without_usage < self.replies
    }

    /// The four totals and over how many replies, then what some replies did not report:
    /// `1,200 prompt (400 cached), 350 completion (200 reasoning) over 4 replies; not
    /// reported: usage by 2 of 4`.
    pub fn counts(&self) -> String {
        let mut out = format!(
            "{} prompt ({} cached), {} completion ({} reasoning) over {}",
            grouped(self.prompt.tokens),
            grouped(self.cached_prompt.tokens),
            grouped(self.completion.tokens),
            grouped(self.reasoning.tokens),
            plural::count(self.replies, "reply", "replies")
        );
        let gaps = self.gaps();
        if !gaps.is_empty() {
            out.push_str(&format!("; not reported: {}", gaps.join(", ")));
        }
        out
    }

    /// What some replies did not report, as `"usage by 2 replies"`, `"cached by 40"`.
    pub fn gaps(&self) -> Vec<String> {
        let with_usage = self.replies - self.replies_without_usage;
        let mut gaps = Vec::new();
        if self.replies_without_usage > 0 {
            gaps.push(format!(
                "usage by {} of {}",
                self.replies_without_usage, self.replies
            ));
        }
        for (name, field) in [
            ("prompt", &self.prompt),
            ("completion", &self.completion),
            ("cached", &self.cached_prompt),
            ("reasoning", &self.reasoning),
        ] {
            if field.replies < with_usage {
                gaps.push(format!(
                    "{name} by {} of {with_usage} with usage",
                    with_usage - field.replies
                ));
            }
        }
        gaps
    }
}

/// A count with its thousands grouped, `12,345,678`: a run's tokens run to tens of
/// millions.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

impl std::ops::Add for TokenTotals {
    type Output = TokenTotals;

    fn add(self, o: TokenTotals) -> TokenTotals {
        let sum = |a: Reported, b: Reported| Reported {
            tokens: a.tokens + b.tokens,
            replies: a.replies + b.replies,
        };
        TokenTotals {
            replies: self.replies + o.replies,
            replies_without_usage: self.replies_without_usage + o.replies_without_usage,
            prompt: sum(self.prompt, o.prompt),
            completion: sum(self.completion, o.completion),
            cached_prompt: sum(self.cached_prompt, o.cached_prompt),
            reasoning: sum(self.reasoning, o.reasoning),
        }
    }
}

impl std::iter::Sum for TokenTotals {
    fn sum<I: Iterator<Item = TokenTotals>>(iter: I) -> TokenTotals {
        iter.fold(TokenTotals::default(), std::ops::Add::add)
    }
}

/// The `tokens` key of a results file: the run's totals, and their cost when the run
/// was given a price (`meta.price`) and some reply reported its usage (a cost of zero
/// for tokens nobody counted would read as free).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tokens {
    #[serde(flatten)]
    pub totals: TokenTotals,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<Cost>,
}

impl Tokens {
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseRecord>, price: Option<&Price>) -> Self {
        let totals = TokenTotals::of(cases);
        Tokens {
            totals,
            cost_usd: price.filter(|_| totals.reported()).map(|p| totals.cost(p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cases(value: Value) -> Vec<CaseRecord> {
        serde_json::from_value(value).unwrap()
    }

    /// Two cases: full usage, usage without details, no usage, a failed and a skipped MCQ.
    fn mixed() -> Vec<CaseRecord> {
        cases(json!([
            {"case_id": "1", "mcqs": [
                {"is_correct": true, "usage": {"prompt_tokens": 1000, "completion_tokens": 300,
                    "prompt_tokens_details": {"cached_tokens": 400},
                    "completion_tokens_details": {"reasoning_tokens": 200}}},
                {"is_correct": false, "usage": {"prompt_tokens": 2000, "completion_tokens": 50}},
            ]},
            {"case_id": "2", "mcqs": [
                {"is_correct": false},
                {"is_correct": false, "error": "API error: 500", "usage": {"prompt_tokens": 9}},
                {"is_correct": false, "error": "Skipped: prior question failed"},
                {"is_correct": true, "usage_note": "usage not kept: nested deeper than 16 levels"},
            ]},
        ]))
    }

    #[test]
    fn absent_fields_are_not_zeros() {
        let data = mixed();
        let one = TokenTotals::of_case(&data[0]);
        assert_eq!(one.replies, 2);
        assert_eq!(
            one.prompt,
            Reported {
                tokens: 3000,
                replies: 2
            }
        );
        assert_eq!(
            one.cached_prompt,
            Reported {
                tokens: 400,
                replies: 1
            }
        );
        assert_eq!(
            one.reasoning,
            Reported {
                tokens: 200,
                replies: 1
            }
        );
        let two = TokenTotals::of_case(&data[1]);
        assert_eq!((two.replies, two.replies_without_usage), (2, 2));
        assert_eq!(two.prompt, Reported::default());
        let run = TokenTotals::of(&data);
        assert_eq!(run, one + two);
        assert_eq!(
            run.gaps(),
            [
                "usage by 2 of 4",
                "cached by 1 of 2 with usage",
                "reasoning by 1 of 2 with usage"
            ]
        );
        assert_eq!(
            run.line(None),
            "  Tokens: 3,000 prompt (400 cached), 350 completion (200 reasoning) over 4 replies; not reported: usage by 2 of 4, cached by 1 of 2 with usage, reasoning by 1 of 2 with usage\n"
        );
        let mcq = ReplyUsage::of(&data[0].mcqs[1]).unwrap();
        assert_eq!((mcq.prompt, mcq.cached_prompt), (Some(2000), None));
        assert_eq!(ReplyUsage::of(&data[1].mcqs[0]), None);
    }

    #[test]
    fn the_price_counts_cached_tokens_at_their_own_price_or_the_input_one() {
        let run = TokenTotals::of(&mixed());
        // 2600 uncached + 400 cached prompt tokens, 350 completion tokens.
        let full = run.cost(&"2,10,0.5".parse().unwrap());
        assert!((full.input - 2600.0 * 2e-6).abs() < 1e-12);
        assert!((full.cached_input - 400.0 * 0.5e-6).abs() < 1e-12);
        assert!((full.output - 350.0 * 10e-6).abs() < 1e-12);
        assert!((full.total - (0.0052 + 0.0002 + 0.0035)).abs() < 1e-12);
        let no_cached = run.cost(&"2,10".parse().unwrap());
        assert!((no_cached.cached_input - 400.0 * 2e-6).abs() < 1e-12);
        assert!((no_cached.total - (0.006 + 0.0035)).abs() < 1e-12);
        let line = run.line(Some(&"2,10,0.5".parse().unwrap()));
        assert!(
            line.ends_with("\n  Cost: $0.0089 (input $0.0052, cached input $0.0002, output $0.0035) at $2.00 in, $10.00 out, $0.50 cached per million tokens, replies without usage not counted\n"),
            "{line}"
        );
    }

    #[test]
    fn thousands_are_grouped() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (123_456, "123,456"),
        ];
        for (n, text) in cases {
            assert_eq!(grouped(n), text);
        }
        assert_eq!(grouped(12_345_678), "12,345,678");
    }

    #[test]
    fn a_file_without_usage_says_so() {
        let official = cases(json!([{"case_id": "1", "mcqs": [
            {"is_correct": true}, {"is_correct": false}]}]));
        let totals = TokenTotals::of(&official);
        assert_eq!((totals.replies, totals.replies_without_usage), (2, 2));
        assert_eq!(
            totals.line(Some(&"1,1".parse().unwrap())),
            "  Tokens: none reported (the 2 replies have no usage; the official tool does not keep it)\n"
        );
        assert_eq!(
            TokenTotals::default().line(None),
            "  Tokens: no replies to count\n"
        );
    }

    #[test]
    fn the_results_key_holds_the_totals_and_the_cost_when_priced() {
        let data = mixed();
        let unpriced = serde_json::to_value(Tokens::of(&data, None)).unwrap();
        assert_eq!(
            unpriced,
            json!({"replies": 4, "replies_without_usage": 2,
                "prompt": {"tokens": 3000, "replies": 2},
                "completion": {"tokens": 350, "replies": 2},
                "cached_prompt": {"tokens": 400, "replies": 1},
                "reasoning": {"tokens": 200, "replies": 1}})
        );
        let priced =
            serde_json::to_value(Tokens::of(&data, Some(&"1,1".parse().unwrap()))).unwrap();
        assert_eq!(priced["cost_usd"]["total"], json!(0.00335));
    }
}
