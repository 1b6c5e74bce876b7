//! The `usage` the mock reports with each reply, counted from the request and the reply
//! as a provider counts them, so that liveclin's token accounting and `estimate` can be
//! checked against what a server says it billed.

use serde_json::{Value, json};

/// The `usage` object of a reply to `request` whose text is `content`.
pub(super) fn reported(request: &Value, content: &str) -> Value {
    let prompt = prompt_tokens(request);
    let completion = text_tokens(content);
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

/// The request's input tokens: the text of every message, plus a fixed cost per picture.
fn prompt_tokens(request: &Value) -> u64 {
    /// What a picture costs, whatever its size (OpenAI's low-detail price).
    const PER_PICTURE: u64 = 85;
    let mut tokens = 0;
    for message in request["messages"].as_array().into_iter().flatten() {
        match &message["content"] {
            Value::String(text) => tokens += text_tokens(text),
            Value::Array(parts) => {
                for part in parts {
                    match part["type"].as_str() {
                        Some("text") => tokens += text_tokens(part["text"].as_str().unwrap_or("")),
                        Some("image_url") => tokens += PER_PICTURE,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    tokens
}

/// Tokens of a text, by the usual rule of thumb of four characters a token.
fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}
