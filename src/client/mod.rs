//! One OpenAI-compatible chat client with one shared connection pool.
//!
//! A call returns a typed outcome instead of an error, because the caller branches on it:
//! a reply, a failure worth retrying (timeout, connection error, 429, 5xx, a body that is
//! not a chat completion), a permanent failure (400, 401, 403, 404) or an empty reply.
//! Unknown response fields are kept; reasoning text is returned apart from the content.

pub mod conversation;
pub mod retry;

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value};

use conversation::Chunks;
pub use conversation::Conversation;

/// What a chat endpoint needs to know; the API key never leaves this struct except in
/// the Authorization header.
#[derive(Clone)]
pub struct ChatSettings {
    pub api_base: String,
    pub api_key: String,
    pub model: String,
    pub temperature: f64,
    pub max_tokens: u64,
    pub timeout: Duration,
    /// Merged into every request body (e.g. `chat_template_kwargs` for SGLang/vLLM).
    pub extra_body: Map<String, Value>,
}

impl std::fmt::Debug for ChatSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatSettings")
            .field("api_base", &self.api_base)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// A successful reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// `choices[0].message.content` with surrounding whitespace stripped.
    pub content: String,
    /// `reasoning_content` or `reasoning`, kept out of answer extraction.
    pub reasoning: Option<String>,
    pub finish_reason: Option<String>,
    pub usage: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Reply(Reply),
    /// Worth another attempt; the server may say when (`Retry-After`).
    Retryable {
        message: String,
        retry_after: Option<Duration>,
        /// A 429: the server is up but wants fewer requests (the engine slows down
        /// rather than counting it against the endpoint's health).
        throttled: bool,
    },
    /// Will fail again: not retried.
    Permanent {
        message: String,
    },
    /// The server answered without content (the official "Empty response from API.").
    Empty,
}

/// The official error text for a reply without content.
pub const EMPTY_REPLY: &str = "Empty response from API.";

pub struct ChatClient {
    http: reqwest::Client,
    url: String,
    settings: ChatSettings,
    /// The request body around the messages, serialised once.
    envelope: Envelope,
}

impl ChatClient {
    pub fn new(settings: ChatSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .pool_max_idle_per_host(1024)
            .build()?;
        let url = format!(
            "{}/chat/completions",
            settings.api_base.trim_end_matches('/')
        );
        let envelope = Envelope::new(&settings);
        Ok(ChatClient {
            http,
            url,
            settings,
            envelope,
        })
    }

    pub fn settings(&self) -> &ChatSettings {
        &self.settings
    }

    /// The request body of spec §3 for a conversation, with `--extra-body` merged in.
    fn body(&self, conversation: &Conversation) -> Chunks {
        let messages = self
            .envelope
            .sends_messages
            .then(|| conversation.array_items())
            .into_iter()
            .flatten();
        Chunks::new(
            std::iter::once(self.envelope.before.clone())
                .chain(messages)
                .chain([self.envelope.after.clone()]),
        )
    }

    /// One attempt: sends the conversation and classifies what came back.
    pub async fn complete(&self, conversation: &Conversation) -> Outcome {
        let request = self
            .http
            .post(&self.url)
            .bearer_auth(&self.settings.api_key)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(reqwest::Body::wrap(self.body(conversation)));
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport_failure(e),
        };
        let status = response.status();
        let retry_after = retry::retry_after(response.headers());
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => return transport_failure(e),
        };
        classify(status, retry_after, &text)
    }
}

/// The body without its messages: `{"model":...,"messages":[` and `],"n":1,...}`, the
/// standard keys in the official order, then the `--extra-body` keys, which replace a
/// standard key of the same name (an `--extra-body` `messages` replaces the
/// conversation, as the official `body.update(extra)` does).
struct Envelope {
    before: Bytes,
    after: Bytes,
    sends_messages: bool,
}

impl Envelope {
    fn new(st: &ChatSettings) -> Self {
        let extra = &st.extra_body;
        let mut parts: Vec<(&str, Option<Value>)> = vec![
            ("model", Some(Value::from(st.model.as_str()))),
            ("messages", None),
            ("n", Some(Value::from(1))),
            ("temperature", Some(Value::from(st.temperature))),
            ("max_tokens", Some(Value::from(st.max_tokens))),
        ];
        for (key, value) in &mut parts {
            if let Some(v) = extra.get(*key) {
                *value = Some(v.clone());
            }
        }
        for (k, v) in extra {
            if !STANDARD_KEYS.contains(&k.as_str()) {
                parts.push((k, Some(v.clone())));
            }
        }
        let mut envelope = Envelope {
            before: Bytes::new(),
            after: Bytes::new(),
            sends_messages: false,
        };
        let mut text = String::from("{");
        for (i, (key, value)) in parts.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&Value::from(*key).to_string());
            text.push(':');
            match value {
                Some(v) => text.push_str(&v.to_string()),
                None => {
                    text.push('[');
                    envelope.before = Bytes::from(std::mem::take(&mut text));
                    envelope.sends_messages = true;
                    text.push(']');
                }
            }
        }
        text.push('}');
        if envelope.sends_messages {
            envelope.after = Bytes::from(text);
        } else {
            envelope.before = Bytes::from(text);
        }
        envelope
    }
}

const STANDARD_KEYS: [&str; 5] = ["model", "messages", "n", "temperature", "max_tokens"];

fn transport_failure(e: reqwest::Error) -> Outcome {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "transfer failed"
    };
    // Without the URL: it is in the settings already, and errors are written to files.
    // reqwest's own text is generic ("error sending request"); the innermost cause
    // says what happened ("Connection refused", "connection closed before message
    // completed").
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut cause: &dyn std::error::Error = &e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let cause = cause.to_string();
    if cause != detail {
        detail = format!("{detail} ({cause})");
    }
    Outcome::Retryable {
        message: format!("request {kind}: {detail}"),
        retry_after: None,
        throttled: false,
    }
}

/// The outcome of an HTTP answer.
/// `--timeout` (seconds per API call) as a duration, refusing what reqwest cannot use.
pub fn call_timeout(seconds: f64) -> anyhow::Result<Duration> {
    if !seconds.is_finite() || seconds <= 0.0 {
        anyhow::bail!("--timeout must be a positive number of seconds");
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub fn classify(status: StatusCode, retry_after: Option<Duration>, body: &str) -> Outcome {
    let excerpt = || {
        let text: String = body.chars().take(300).collect();
        if text.is_empty() {
            String::new()
        } else {
            format!(": {text}")
        }
    };
    if status == StatusCode::UNAUTHORIZED {
        return Outcome::Permanent {
            message: format!(
                "authentication failed (HTTP 401): check --api-key{}",
                excerpt()
            ),
        };
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Outcome::Retryable {
            message: format!("HTTP {status}{}", excerpt()),
            retry_after,
            throttled: status == StatusCode::TOO_MANY_REQUESTS,
        };
    }
    if !status.is_success() {
        return Outcome::Permanent {
            message: format!("HTTP {status}{}", excerpt()),
        };
    }
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return Outcome::Retryable {
            message: format!("unparseable reply body{}", excerpt()),
            retry_after: None,
            throttled: false,
        };
    };
    let Some(message) = value.pointer("/choices/0/message") else {
        return Outcome::Retryable {
            message: format!("reply has no choices[0].message{}", excerpt()),
            retry_after: None,
            throttled: false,
        };
    };
    let text = |key: &str| message.get(key).and_then(Value::as_str).map(String::from);
    let content = text("content")
        .map(|c| crate::pytext::strip(&c).to_string())
        .unwrap_or_default();
    if content.is_empty() {
        return Outcome::Empty;
    }
    Outcome::Reply(Reply {
        content,
        reasoning: text("reasoning_content").or_else(|| text("reasoning")),
        finish_reason: value
            .pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
            .map(String::from),
        usage: value.get("usage").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client(extra: &[(&str, Value)]) -> ChatClient {
        ChatClient::new(ChatSettings {
            api_base: "http://127.0.0.1:1/v1/".into(),
            api_key: "secret".into(),
            model: "m".into(),
            temperature: 0.0,
            max_tokens: 16384,
            timeout: Duration::from_secs(1),
            extra_body: extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        })
        .unwrap()
    }

    fn sent(client: &ChatClient, conversation: &Conversation) -> String {
        String::from_utf8(client.body(conversation).concat()).unwrap()
    }

    #[test]
    fn body_in_official_order_with_extra_keys() {
        let client = client(&[
            ("chat_template_kwargs", json!({"enable_thinking": false})),
            ("max_tokens", json!(99)),
        ]);
        let mut conversation = Conversation::default();
        conversation.user(json!([{"type": "text", "text": "hi"}]));
        assert_eq!(
            sent(&client, &conversation),
            r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"n":1,"temperature":0.0,"max_tokens":99,"chat_template_kwargs":{"enable_thinking":false}}"#
        );
        conversation.assistant("B");
        assert!(
            sent(&client, &conversation)
                .contains(r#""text":"hi"}]},{"role":"assistant","content":"B"}],"n":1"#)
        );
        assert_eq!(client.url, "http://127.0.0.1:1/v1/chat/completions");
        assert!(!format!("{:?}", client.settings()).contains("secret"));
    }

    #[test]
    fn extra_body_messages_replace_the_conversation() {
        let client = client(&[("messages", json!([])), ("model", json!("other"))]);
        let mut conversation = Conversation::default();
        conversation.user(json!("ignored"));
        assert_eq!(
            sent(&client, &conversation),
            r#"{"model":"other","messages":[],"n":1,"temperature":0.0,"max_tokens":16384}"#
        );
    }

    #[test]
    fn classifies_statuses_and_bodies() {
        let ok = r#"{"choices":[{"message":{"content":"  \\boxed{B}\n","reasoning_content":"hmm A"},"finish_reason":"length"}],"usage":{"total_tokens":9},"x":1}"#;
        match classify(StatusCode::OK, None, ok) {
            Outcome::Reply(r) => {
                assert_eq!(r.content, "\\boxed{B}");
                assert_eq!(r.reasoning.as_deref(), Some("hmm A"));
                assert_eq!(r.finish_reason.as_deref(), Some("length"));
                assert_eq!(r.usage.unwrap()["total_tokens"], 9);
            }
            other => panic!("{other:?}"),
        }
        let empty = r#"{"choices":[{"message":{"content":"  "}}]}"#;
        assert_eq!(classify(StatusCode::OK, None, empty), Outcome::Empty);
        assert!(matches!(
            classify(StatusCode::OK, None, "<html>"),
            Outcome::Retryable { .. }
        ));
        let wait = Some(Duration::from_secs(3));
        assert!(
            matches!(classify(StatusCode::TOO_MANY_REQUESTS, wait, ""), Outcome::Retryable { retry_after, throttled: true, .. } if retry_after == wait)
        );
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, None, ""),
            Outcome::Retryable {
                throttled: false,
                ..
            }
        ));
        for status in [
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
        ] {
            assert!(matches!(
                classify(status, None, ""),
                Outcome::Permanent { .. }
            ));
        }
        match classify(StatusCode::UNAUTHORIZED, None, "") {
            Outcome::Permanent { message } => assert!(message.contains("check --api-key")),
            other => panic!("{other:?}"),
        }
    }
}
