//! The `usage` the mock reports with each reply, counted from the request and the reply
//! as a provider counts them, so that liveclin's token accounting and `estimate` can be
//! checked against what a server says it billed. Every field a provider may send is
//! reported (cached prompt and reasoning tokens too), and the mock adds up what it
//! reported ([`UsageSums`]) so that a test can compare.

use liveclin_core::cost::tokens::Counter;
use serde_json::{Value, json};

/// The counts of one reply's `usage`, as the mock reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reported {
    prompt: u64,
    completion: u64,
    /// The prompt tokens of what the case's previous turn sent (every message but the
    /// last reply and the new question), as a provider with prefix caching serves them
    /// from its cache.
    cached: u64,
    /// The tokens of the filler reasoning (`reply_padding`), a part of `completion`.
    reasoning: u64,
}

impl Reported {
    /// The usage of a reply to `request` whose text is `content`, of which `reasoning`
    /// (a prefix of it, or "") is reasoning.
    pub(super) fn of(
        request: &Value,
        content: &str,
        reasoning: &str,
        counter: &Counter,
    ) -> Reported {
        Reported {
            prompt: prompt_tokens(request, counter),
            completion: text_tokens(content),
            cached: earlier_turn(request).map_or(0, |earlier| prompt_tokens(&earlier, counter)),
            reasoning: text_tokens(reasoning),
        }
    }

    /// The `usage` object of the reply, with the details OpenAI sends.
    pub(super) fn to_value(self) -> Value {
        json!({
            "prompt_tokens": self.prompt,
            "completion_tokens": self.completion,
            "total_tokens": self.prompt + self.completion,
            "prompt_tokens_details": {"cached_tokens": self.cached},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning},
        })
    }
}

/// The sums of every usage field the mock reported with its answers to dataset questions
/// (not with the preflight probe, vision checks or an injected empty reply, which a
/// client retries), so a test can check a run's token totals against what the server
/// said it billed for the replies the run records.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UsageSums {
    /// Answers to dataset questions.
    pub replies: u64,
    /// Of those, replies sent without `usage` (`MockConfig::omit_usage`).
    pub replies_without_usage: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    pub reasoning_tokens: u64,
}

impl UsageSums {
    /// Counts one successful reply, sent with `usage` or (`None`) without.
    pub(super) fn add(&mut self, usage: Option<Reported>) {
        self.replies += 1;
        match usage {
            Some(u) => {
                self.prompt_tokens += u.prompt;
                self.completion_tokens += u.completion;
                self.cached_tokens += u.cached;
                self.reasoning_tokens += u.reasoning;
            }
            None => self.replies_without_usage += 1,
        }
    }
}

/// The request the case's previous turn sent: this one without its last two messages
/// (the model's reply to that turn and the new question); `None` on a first turn.
fn earlier_turn(request: &Value) -> Option<Value> {
    let sent_before = request["messages"].as_array()?.len().checked_sub(2)?;
    if sent_before == 0 {
        return None;
    }
    let mut earlier = request.clone();
    earlier["messages"].as_array_mut()?.truncate(sent_before);
    Some(earlier)
}

/// The request's input tokens, counted as `liveclin estimate` counts them: every
/// message's text by o200k_base with OpenAI's framing, and every picture at its real size
/// by the mock's picture rule (`MockConfig::image_tokens`).
pub(super) fn prompt_tokens(request: &Value, counter: &Counter) -> u64 {
    counter.request(request)
}

/// Tokens of a text by o200k_base, the tokenizer of OpenAI's current models.
fn text_tokens(text: &str) -> u64 {
    liveclin_core::cost::tokens::text_tokens(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_turn_reports_the_earlier_turn_as_cached() {
        let question =
            |text: &str| json!({"role": "user", "content": [{"type": "text", "text": text}]});
        let first = json!({"model": "m", "messages": [question("abcdefgh")]});
        let counter = Counter::default();
        let u = Reported::of(&first, "reasoning\n\nB", "reasoning", &counter);
        let first_prompt = counter.request(&first);
        assert_eq!(
            (u.prompt, u.cached, u.completion, u.reasoning),
            (
                first_prompt,
                0,
                text_tokens("reasoning\n\nB"),
                text_tokens("reasoning")
            )
        );
        let second = json!({"model": "m", "messages": [question("abcdefgh"),
            {"role": "assistant", "content": "B"}, question("abcd")]});
        let u = Reported::of(&second, "C", "", &counter);
        assert_eq!(
            (u.prompt, u.cached, u.reasoning),
            (counter.request(&second), first_prompt, 0)
        );
        assert!(u.prompt > u.cached);
        let value = u.to_value();
        assert_eq!(
            value["prompt_tokens_details"]["cached_tokens"],
            first_prompt
        );
        assert_eq!(value["completion_tokens_details"]["reasoning_tokens"], 0);
        assert_eq!(value["total_tokens"], u.prompt + u.completion);
        let mut sums = UsageSums::default();
        sums.add(Some(u));
        sums.add(None);
        assert_eq!(
            sums,
            UsageSums {
                replies: 2,
                replies_without_usage: 1,
                prompt_tokens: u.prompt,
                completion_tokens: u.completion,
                cached_tokens: u.cached,
                reasoning_tokens: 0
            }
        );
    }
}
