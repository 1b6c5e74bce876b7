//! `liveclin estimate`: what a run would send and cost, counted without calling anyone.
//!
//! Every request is built as the engine builds it: the case's turns from `prompt`, each
//! user message with its pictures (inline base64 in local mode), and every request
//! resending the whole conversation so far. The replies are unknown, so each is assumed
//! to be `expect_output` tokens long (its bytes at [`BYTES_PER_TOKEN`]), and resent as
//! the assistant message of every later turn. Retries are not counted: a run with
//! failures sends more.

use std::path::Path;

use serde_json::json;

use super::price::Price;
use super::tokens::{Counter, REPLY_PRIMING};
use crate::dataset::LoadedCase;
use crate::images;
use crate::prompt::{ImageMode, case_turns, user_content};

/// Bytes of an assumed reply per token: the usual four characters a token of English.
pub const BYTES_PER_TOKEN: u64 = 4;

/// The request settings that change what is sent.
#[derive(Debug, Clone)]
pub struct Settings {
    pub model: String,
    pub mode: ImageMode,
    pub max_tokens: u64,
    /// Tokens assumed for every reply (at most `max_tokens`).
    pub expect_output: u64,
}

/// A run's requests, counted. Token counts are summed over every request, so a message
/// resent by later turns counts each time it is sent, as providers bill it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub cases: u64,
    pub requests: u64,
    /// Request bodies' bytes, as sent (pictures inline in local mode).
    pub request_bytes: u64,
    /// Pictures in the user turns, each counted once.
    pub pictures: u64,
    /// Pictures in every request, resent ones included.
    pub pictures_sent: u64,
    /// Pictures whose size could not be read, counted at the assumed size.
    pub pictures_assumed_size: u64,
    /// Text tokens of every request (messages' framing and the reply priming included).
    pub text_tokens: u64,
    pub picture_tokens: u64,
    pub input_tokens: u64,
    /// Input tokens that repeat the previous request's prompt of the same case (the
    /// conversation so far): what a provider's prompt cache may serve. An upper bound:
    /// caches work in blocks (OpenAI: 1,024 tokens, then 128 at a time) and expire.
    pub cache_eligible_tokens: u64,
    /// The output assumed: `expect_output` per request.
    pub output_tokens: u64,
    pub expect_output: u64,
    /// The most turns of one case: turns are sent one after another, so a run takes at
    /// least this many replies' time however many cases run at once.
    pub max_turns: u64,
}

/// Counts every request `settings` would send for `cases`.
pub fn estimate(
    cases: &[LoadedCase],
    image_root: &Path,
    settings: &Settings,
    counter: &Counter,
) -> Estimate {
    let expect_output = settings.expect_output.min(settings.max_tokens);
    let envelope = json!({
        "model": settings.model,
        "messages": [],
        "max_tokens": settings.max_tokens,
        "n": 1,
        "temperature": 0.0,
    });
    let envelope_bytes = serde_json::to_vec(&envelope).map_or(0, |v| v.len() as u64);
    let reply = assumed_reply(expect_output, counter);
    let mut total = Estimate {
        cases: cases.len() as u64,
        expect_output,
        ..Estimate::default()
    };
    for lc in cases {
        let turns = case_turns(&lc.case, settings.mode, image_root);
        total.max_turns = total.max_turns.max(turns.len() as u64);
        // The conversation so far: its messages' bytes and tokens.
        let mut sent = Sent::default();
        for (index, turn) in turns.iter().enumerate() {
            // The previous request's prompt, which this one repeats before the reply.
            let cached = sent.tokens;
            if index > 0 {
                sent.add(reply);
            }
            let message = json!({"role": "user", "content": user_content(turn, images::data_uri)});
            let user = counter.message(&message);
            total.pictures += user.pictures;
            sent.add(Message {
                bytes: serde_json::to_vec(&message).map_or(0, |v| v.len() as u64),
                tokens: user.total(),
                text: user.text,
                pictures: user.pictures,
            });
            total.requests += 1;
            total.request_bytes += envelope_bytes + sent.bytes + sent.messages - 1;
            total.pictures_sent += sent.pictures;
            total.pictures_assumed_size += user.assumed_sizes;
            total.text_tokens += sent.text + REPLY_PRIMING;
            total.picture_tokens += sent.tokens - sent.text;
            total.cache_eligible_tokens += cached;
            total.output_tokens += expect_output;
        }
    }
    total.input_tokens = total.text_tokens + total.picture_tokens;
    total
}

impl Estimate {
    /// The run's price: every cache-eligible token at the cached price when one is given
    /// (the most a cache can save), the rest at the input price.
    pub fn cost(&self, price: &Price) -> f64 {
        price
            .cost(
                self.input_tokens,
                self.cache_eligible_tokens,
                self.output_tokens,
            )
            .total
    }

    /// The least time, in minutes, that requests-per-minute and tokens-per-minute limits
    /// allow: all requests at `rpm`, all tokens (input and the assumed output) at `tpm`,
    /// whichever takes longer. `None` without a limit. (OpenAI counts a request's
    /// `max_tokens` against the TPM budget when it is admitted, so a large --max-tokens
    /// can slow a run more than this.)
    pub fn min_minutes(&self, rpm: Option<u64>, tpm: Option<u64>) -> Option<f64> {
        let by_requests = rpm.map(|rpm| self.requests as f64 / rpm as f64);
        let tokens = (self.input_tokens + self.output_tokens) as f64;
        let by_tokens = tpm.map(|tpm| tokens / tpm as f64);
        match (by_requests, by_tokens) {
            (Some(r), Some(t)) => Some(r.max(t)),
            (one, other) => one.or(other),
        }
    }
}

/// One message of a conversation, as counted.
#[derive(Debug, Clone, Copy, Default)]
struct Message {
    bytes: u64,
    /// Input tokens, pictures included.
    tokens: u64,
    /// Of which text.
    text: u64,
    pictures: u64,
}

/// The conversation sent so far: its messages' sums.
#[derive(Debug, Default)]
struct Sent {
    messages: u64,
    bytes: u64,
    tokens: u64,
    text: u64,
    pictures: u64,
}

impl Sent {
    fn add(&mut self, m: Message) {
        self.messages += 1;
        self.bytes += m.bytes;
        self.tokens += m.tokens;
        self.text += m.text;
        self.pictures += m.pictures;
    }
}

/// The assistant message of an assumed reply of `tokens` tokens.
fn assumed_reply(tokens: u64, counter: &Counter) -> Message {
    let empty = json!({"role": "assistant", "content": ""});
    let framing = counter.message(&empty);
    let bytes = serde_json::to_vec(&empty).map_or(0, |v| v.len() as u64);
    Message {
        bytes: bytes + tokens * BYTES_PER_TOKEN,
        tokens: framing.text + tokens,
        text: framing.text + tokens,
        ..Message::default()
    }
}

/// A value's serialised size, for tests.
#[cfg(test)]
fn size(value: &serde_json::Value) -> u64 {
    serde_json::to_vec(value).unwrap().len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::picture::ImageTokens;
    use crate::cost::tokens::text_tokens;
    use serde_json::Value;

    /// Two turns of one case, counted by hand from the messages the engine would send.
    #[test]
    fn every_turn_resends_the_conversation() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
        let dataset = crate::dataset::load_jsonl(&demo.join("demo.jsonl")).unwrap();
        let root = demo.join("image");
        let case = &dataset.cases[..1];
        let counter = Counter::new(ImageTokens::Fixed(100));
        let settings = Settings {
            model: "m".into(),
            mode: ImageMode::Local,
            max_tokens: 50,
            expect_output: 10,
        };
        let got = estimate(case, &root, &settings, &counter);
        let turns = case_turns(&case[0].case, ImageMode::Local, &root);
        let users: Vec<Value> = turns
            .iter()
            .map(|t| json!({"role": "user", "content": user_content(t, images::data_uri)}))
            .collect();
        let reply = json!({"role": "assistant", "content": "x".repeat(40)});
        let envelope = size(
            &json!({"model": "m", "messages": [], "max_tokens": 50, "n": 1, "temperature": 0.0}),
        );
        let (mut bytes, mut input, mut cached, mut pictures_sent) = (0, 0, 0, 0);
        // The assumed reply counts 10 tokens, not those of the 40 x's standing for its bytes.
        let x_tokens = text_tokens(&"x".repeat(40));
        let mut conversation: Vec<&Value> = Vec::new();
        for (i, user) in users.iter().enumerate() {
            // The previous request's messages, counted as sent (the reply as 10 tokens).
            cached += conversation
                .iter()
                .map(|m| counter.message(m).total())
                .sum::<u64>()
                - (i as u64).saturating_sub(1) * x_tokens
                + (i as u64).saturating_sub(1) * 10;
            if i > 0 {
                conversation.push(&reply);
            }
            conversation.push(user);
            let request = json!({"model": "m", "messages": conversation, "max_tokens": 50, "n": 1, "temperature": 0.0});
            bytes += size(&request);
            assert_eq!(
                size(&request),
                envelope
                    + conversation.iter().map(|m| size(m)).sum::<u64>()
                    + conversation.len() as u64
                    - 1
            );
            input += counter.request(&request) - (i as u64) * x_tokens + (i as u64) * 10;
            pictures_sent += conversation
                .iter()
                .map(|m| counter.message(m).pictures)
                .sum::<u64>();
        }
        assert_eq!(got.requests, users.len() as u64);
        assert_eq!(got.request_bytes, bytes);
        assert_eq!(got.input_tokens, input);
        assert_eq!(got.cache_eligible_tokens, cached);
        assert!(cached > 0 && cached < input);
        assert_eq!(got.pictures_sent, pictures_sent);
        assert_eq!(got.picture_tokens, pictures_sent * 100);
        assert_eq!(got.output_tokens, 10 * users.len() as u64);
        assert_eq!(got.max_turns, users.len() as u64);
        // Limits: 3 requests a minute, or 1,000 tokens a minute.
        let minutes = got.min_minutes(Some(3), Some(1000)).unwrap();
        let expected = (got.requests as f64 / 3.0).max((input + got.output_tokens) as f64 / 1000.0);
        assert!((minutes - expected).abs() < 1e-9);
        assert_eq!(got.min_minutes(None, None), None);
    }
}
