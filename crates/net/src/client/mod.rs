//! One OpenAI-compatible chat client with one shared connection pool.
//!
//! A call returns a typed outcome instead of an error, because the caller branches on it:
//! a reply, a failure worth retrying (timeout, connection error, 429, 5xx, a body that is
//! not a chat completion), a permanent failure (400, 401, 403, 404) or an empty reply.
//! Unknown response fields are kept; reasoning text is returned apart from the content.
//!
//! A server is not trusted: its body is read up to a limit, its `Retry-After` is capped,
//! a `usage` object too deeply nested to re-read is dropped, and the API key is
//! replaced by `***` in everything it says before that text is stored or printed.

pub mod conversation;
pub mod ratelimit;
pub mod retry;

use std::borrow::Cow;
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
    /// The longest `Retry-After` honoured (`--max-wait`).
    pub max_wait: retry::WaitCap,
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
    pub usage: Option<Usage>,
}

/// The reply's `usage` object as it can be stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Usage {
    /// At most `MAX_USAGE_DEPTH` levels deep.
    Kept(Value),
    /// Nested deeper: dropped, because a stored record must re-read within serde_json's
    /// 128-level limit, and `usage` sits a few levels down in a results file.
    TooDeep,
}

/// The deepest `usage` kept (real ones are 2 or 3 levels deep).
pub(crate) const MAX_USAGE_DEPTH: usize = 8;

/// The largest reply body read: far above any real chat completion, low enough that an
/// endless body cannot exhaust memory.
pub(crate) const MAX_REPLY_BYTES: usize = 32 << 20;

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

/// Who liveclin says it is to the servers it calls.
pub(crate) const USER_AGENT: &str = concat!("liveclin/", env!("CARGO_PKG_VERSION"));

/// The official error text for a reply without content.
pub(crate) const EMPTY_REPLY: &str = "Empty response from API.";

pub struct ChatClient {
    http: reqwest::Client,
    url: String,
    settings: ChatSettings,
    /// The API key as it is replaced in what the server says.
    secret: Secret,
    /// The request body around the messages, serialised once.
    envelope: Envelope,
    /// The rate-limit budgets the endpoint stated last, for pacing.
    limits: ratelimit::Latest,
}

impl ChatClient {
    pub fn new(settings: ChatSettings) -> anyhow::Result<Self> {
        let http = http_builder()
            .timeout(settings.timeout)
            .pool_max_idle_per_host(1024)
            // Some gateways refuse requests without one.
            .user_agent(USER_AGENT)
            .build()?;
        let url = format!(
            "{}/chat/completions",
            settings.api_base.trim_end_matches('/')
        );
        let envelope = Envelope::new(&settings);
        Ok(ChatClient {
            http,
            url,
            secret: Secret::new(&settings.api_key),
            settings,
            envelope,
            limits: ratelimit::Latest::default(),
        })
    }

    pub fn settings(&self) -> &ChatSettings {
        &self.settings
    }

    /// The budgets the endpoint's latest answer stated in `x-ratelimit-*` headers.
    pub fn rate_limits(&self) -> Option<ratelimit::RateLimits> {
        self.limits.get()
    }

    /// The request body (docs/requests.md) for a conversation, with `--extra-body` merged in.
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

    /// The exact body `complete` sends for a conversation, in one buffer: what a batch
    /// request file carries for it.
    pub(crate) fn request_body(&self, conversation: &Conversation) -> Vec<u8> {
        self.body(conversation).concat()
    }

    /// The HTTP client, for batch mode's calls (uploads, batches, downloads).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// One attempt: sends the conversation and classifies what came back, with the API
    /// key replaced in every text of the server's and its `Retry-After` capped.
    pub async fn complete(&self, conversation: &Conversation) -> Outcome {
        let request = self
            .http
            .post(&self.url)
            .bearer_auth(&self.settings.api_key)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(reqwest::Body::wrap(self.body(conversation)));
        let sent = std::time::Instant::now();
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport_failure(e, &self.secret),
        };
        let status = response.status();
        self.limits.observe(response.headers(), sent);
        let retry_after = retry::retry_after(response.headers()).map(|asked| self.capped(asked));
        let text = match read_body(response, MAX_REPLY_BYTES, &self.secret).await {
            Ok(t) => t,
            Err(failure) => return failure,
        };
        classify(status, retry_after, &self.secret.redact(&text))
    }

    /// A server's `Retry-After` cut to `--max-wait`, saying so on stderr the first time.
    fn capped(&self, asked: Duration) -> Duration {
        let (wait, notice) = self.settings.max_wait.cap(asked);
        if let Some(notice) = notice {
            eprintln!("{notice}");
        }
        wait
    }
}

/// The body of an answer, read in chunks and abandoned once it passes `limit` bytes (a
/// server streaming without end would otherwise fill memory). Invalid UTF-8 is replaced,
/// as `Response::text` does.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
    secret: &Secret,
) -> Result<String, Outcome> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > limit => {
                return Err(retryable(format!(
                    "reply body larger than {} MiB: abandoned",
                    limit >> 20
                )));
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => return Err(transport_failure(e, secret)),
        }
    }
    Ok(String::from_utf8(body)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// A secret (the API key, the Hub token) and the spellings a server may echo it in: as
/// sent, and as a JSON string writes it (with `\"`, `\\`, and `\/` for a slash, as PHP
/// writes it). Replaced by `***` in whatever a server says before the text is stored
/// or printed, so a server echoing the Authorization header cannot leak it.
#[derive(Clone, Default)]
pub(crate) struct Secret {
    spellings: Vec<String>,
}

/// Shorter "keys" are placeholders (`token`, `EMPTY`, `none`) that servers without
/// authentication accept; replacing them would mangle ordinary replies ("max_tokens").
const MIN_SECRET_CHARS: usize = 8;

impl Secret {
    pub(crate) fn new(secret: &str) -> Self {
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Secret::default();
        }
        let json = Value::from(secret).to_string();
        let json = json[1..json.len() - 1].to_string();
        let mut spellings = vec![secret.to_string(), json.replace('/', "\\/"), json];
        // Sorted to drop duplicates: for most keys the three spellings are one.
        spellings.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        spellings.dedup();
        Secret { spellings }
    }

    /// `text` with every spelling of the secret replaced by `***`.
    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for spelling in &self.spellings {
            if text.contains(spelling.as_str()) {
                text = Cow::Owned(text.replace(spelling.as_str(), "***"));
            }
        }
        text
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The body without its messages: `{"model":...,"messages":[` and `],"max_tokens":...}`,
/// the standard keys in the order the official client sends them (`model, messages,
/// max_tokens, n, temperature`, as captured from it), then the `--extra-body` keys, which
/// replace a standard key of the same name (an `--extra-body` `messages` replaces the
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
            ("max_tokens", Some(Value::from(st.max_tokens))),
            ("n", Some(Value::from(1))),
            ("temperature", Some(Value::from(st.temperature))),
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

const STANDARD_KEYS: [&str; 5] = ["model", "messages", "max_tokens", "n", "temperature"];

/// A failure worth another attempt, without a server's say on when.
fn retryable(message: String) -> Outcome {
    Outcome::Retryable {
        message,
        retry_after: None,
        throttled: false,
    }
}

fn transport_failure(e: reqwest::Error, secret: &Secret) -> Outcome {
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
    retryable(
        secret
            .redact(&format!("request {kind}: {detail}"))
            .into_owned(),
    )
}

/// The outcome of an HTTP answer (its body already read and redacted).
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
        return retryable(format!("unparseable reply body{}", excerpt()));
    };
    let Some(message) = value.pointer("/choices/0/message") else {
        return retryable(format!("reply has no choices[0].message{}", excerpt()));
    };
    let text = |key: &str| message.get(key).and_then(Value::as_str).map(String::from);
    let content = text("content")
        .map(|c| liveclin_core::pytext::strip(&c).to_string())
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
        usage: value.get("usage").map(usage),
    })
}

/// `usage` kept when it is shallow enough to be stored and re-read.
fn usage(value: &Value) -> Usage {
    if deeper_than(value, MAX_USAGE_DEPTH) {
        Usage::TooDeep
    } else {
        Usage::Kept(value.clone())
    }
}

/// Whether `value` nests more than `levels` levels (a scalar is 0 deep, `{}` and `[]` 1).
/// Stops at the limit, so a deep value costs no deeper recursion than `levels`.
fn deeper_than(value: &Value, levels: usize) -> bool {
    let deeper = |child: &Value| deeper_than(child, levels - 1);
    match value {
        Value::Array(items) => levels == 0 || items.iter().any(deeper),
        Value::Object(map) => levels == 0 || map.values().any(deeper),
        _ => false,
    }
}

/// The start of every HTTP client liveclin builds (the chat API, the Hub, the server
/// probes, the mock's picture fetches). TLS is rustls with the ring provider, installed
/// as the process's default the first time a client is built: reqwest is built without
/// a provider of its own so that aws-lc-sys, a C library, stays out of the build.
pub(crate) fn http_builder() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Err only when another provider was installed first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

/// Whether `text` is an http(s) URL with a host: what an API base must be.
pub fn is_http_url(text: &str) -> bool {
    reqwest::Url::parse(text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
    })
}

/// A time limit of network calls (`--timeout`, `--max-wait`, the Hub's read timeout) in
/// seconds, fractions allowed: at least a second (less cannot get a reply), at most a
/// day (more is a typo, and `1e300` would overflow a duration). NaN and infinities are
/// refused.
pub fn call_seconds(text: &str) -> Result<Duration, String> {
    const RANGE: std::ops::RangeInclusive<f64> = 1.0..=86_400.0;
    match text.trim().parse::<f64>() {
        Ok(v) if RANGE.contains(&v) => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 1 to 86400"
        )),
    }
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
            max_wait: retry::WaitCap::new(retry::DEFAULT_MAX_WAIT, "--max-wait"),
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

    /// The order of tests/fixtures/official/requests-url.jsonl, captured from the
    /// official client: model, messages, max_tokens, n, temperature.
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
            r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":99,"n":1,"temperature":0.0,"chat_template_kwargs":{"enable_thinking":false}}"#
        );
        conversation.assistant("B");
        assert!(
            sent(&client, &conversation)
                .contains(r#""text":"hi"}]},{"role":"assistant","content":"B"}],"max_tokens":99"#)
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
            r#"{"model":"other","messages":[],"max_tokens":16384,"n":1,"temperature":0.0}"#
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
                assert_eq!(r.usage, Some(Usage::Kept(json!({"total_tokens": 9}))));
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

    /// `{"a":{"a":...{"a":0}}}`, `levels` objects deep.
    fn nested(levels: usize) -> String {
        format!("{}0{}", r#"{"a":"#.repeat(levels), "}".repeat(levels))
    }

    #[test]
    fn usage_is_kept_only_when_shallow() {
        let reply = |usage: &str| {
            let body =
                format!(r#"{{"choices":[{{"message":{{"content":"B"}}}}],"usage":{usage}}}"#);
            match classify(StatusCode::OK, None, &body) {
                Outcome::Reply(r) => r.usage,
                other => panic!("{other:?}"),
            }
        };
        let shallow = nested(MAX_USAGE_DEPTH);
        let kept: Value = serde_json::from_str(&shallow).unwrap();
        assert_eq!(reply(&shallow), Some(Usage::Kept(kept)));
        assert_eq!(reply(&nested(MAX_USAGE_DEPTH + 1)), Some(Usage::TooDeep));
        assert_eq!(reply(&nested(126)), Some(Usage::TooDeep));
        assert_eq!(reply("[[[[[[[[[1]]]]]]]]]"), Some(Usage::TooDeep));
        assert_eq!(reply("{}"), Some(Usage::Kept(json!({}))));
    }

    #[test]
    fn every_spelling_of_a_secret_is_replaced() {
        let secret = Secret::new("sk-a/b\"c-123");
        let echoed = r#"Bearer sk-a/b"c-123, {"key":"sk-a/b\"c-123"}, {"key":"sk-a\/b\"c-123"}"#;
        assert_eq!(
            secret.redact(echoed),
            r#"Bearer ***, {"key":"***"}, {"key":"***"}"#
        );
        assert!(matches!(secret.redact("nothing here"), Cow::Borrowed(_)));
        // Placeholder keys are left alone: "token" is the default key.
        assert_eq!(Secret::new("token").redact("max_tokens"), "max_tokens");
        assert!(!format!("{secret:?}").contains("sk-"));
    }
}
