//! The `usage` the mock reports with each reply, counted from the request and the reply
//! as a provider counts them, so that liveclin's token accounting and `estimate` can be
//! checked against what a server says it billed.

use liveclin_core::cost::tokens::Counter;
use serde_json::{Value, json};

/// The `usage` object of a reply to `request` whose text is `content`.
pub(super) fn reported(request: &Value, content: &str, counter: &Counter) -> Value {
    let prompt = prompt_tokens(request, counter);
    let completion = text_tokens(content);
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
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
