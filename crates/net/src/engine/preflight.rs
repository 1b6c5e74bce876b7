//! Before the first case: one tiny real request per endpoint, so that the first mistake
//! anyone makes (a wrong key, an address without `/v1`, http against https, a model the
//! server does not know, nothing listening) ends the run in seconds with what to fix,
//! instead of a minute of silent retries and a results file scoring 0%.

use std::time::Duration;

use serde_json::Value;

use crate::client::{ChatClient, ChatSettings, Conversation, Outcome};
use liveclin_core::analysis::failures::FailureClass;

/// Tokens the probe may generate: enough for any model to answer "A", little enough to
/// cost nothing (a reasoning model may answer nothing at all, which is fine: the server
/// answered).
const PROBE_TOKENS: u64 = 16;

/// The probe's question.
const PROBE: &str = "Reply with the letter A.";

/// What the probe of one endpoint found.
#[derive(Debug)]
pub enum Finding {
    /// The server answered (a reply, an empty reply, or a rate limit): go.
    Ready,
    /// A problem that retries may ride out (a 5xx, a timeout): go, with a warning.
    Shaky(String),
    /// A mistake no retry fixes, with what to do.
    Broken(String),
    /// Nothing answers at that address.
    Unreachable(String),
}

/// Probes every endpoint at once. Refuses (with every diagnosis) when any endpoint is
/// misconfigured or none can be reached; prints the warnings of the others.
pub async fn check(clients: &[ChatClient], key_source: &str) -> anyhow::Result<()> {
    let findings =
        futures_util::future::join_all(clients.iter().map(|c| probe(c, key_source))).await;
    let warnings =
        futures_util::future::join_all(clients.iter().map(|c| context_warning(c.settings()))).await;
    for (client, warning) in clients.iter().zip(warnings) {
        if let Some(warning) = warning {
            eprintln!(
                "{} {}: {warning}",
                liveclin_term::warning(),
                client.settings().api_base
            );
        }
    }
    let mut problems = Vec::new();
    let unreachable = findings
        .iter()
        .filter(|f| matches!(f, Finding::Unreachable(_)))
        .count();
    for (client, finding) in clients.iter().zip(&findings) {
        let base = &client.settings().api_base;
        match finding {
            Finding::Ready => {}
            Finding::Shaky(note) => eprintln!(
                "{} {base}: {note}; going on, retries apply",
                liveclin_term::warning()
            ),
            Finding::Broken(why) => problems.push(format!("{base}: {why}")),
            Finding::Unreachable(why) if unreachable == clients.len() => {
                problems.push(format!("{base}: {why}"))
            }
            Finding::Unreachable(why) => {
                eprintln!(
                    "{} {base}: {why}; its cases go to the other endpoints",
                    liveclin_term::warning()
                )
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the model server cannot be used (checked with one short request before any case; nothing was written):\n  {}",
        problems.join("\n  ")
    )
}

/// One short request to an endpoint, judged.
async fn probe(client: &ChatClient, key_source: &str) -> Finding {
    let settings = ChatSettings {
        max_tokens: PROBE_TOKENS,
        ..client.settings().clone()
    };
    let probe = match ChatClient::new(settings) {
        Ok(probe) => probe,
        Err(e) => return Finding::Broken(format!("{e:#}")),
    };
    let mut conversation = Conversation::default();
    conversation.user(serde_json::json!([{"type": "text", "text": PROBE}]));
    let (message, permanent) = match probe.complete(&conversation).await {
        Outcome::Reply(_) => return Finding::Ready,
        Outcome::Empty if ignores_list_content(&probe).await => {
            return Finding::Broken(LIST_CONTENT_DROPPED.into());
        }
        Outcome::Empty => return Finding::Ready,
        Outcome::Retryable {
            throttled: true, ..
        } => return Finding::Ready,
        Outcome::Retryable { message, .. } => (message, false),
        Outcome::Permanent { message } => (message, true),
    };
    let settings = client.settings();
    match FailureClass::of(&message) {
        FailureClass::Connection if !permanent => {
            Finding::Unreachable(connection_advice(&settings.api_base, &message))
        }
        FailureClass::Auth => Finding::Broken(format!(
            "the server refused the API key ({message}). The key came from {key_source}; check it, and that it may use model {:?}",
            settings.model
        )),
        FailureClass::NotFound | FailureClass::Rejected => {
            Finding::Broken(not_found_advice(settings, &message).await)
        }
        _ if permanent => Finding::Broken(message),
        _ => Finding::Shaky(message),
    }
}

/// Why every reply of a server is empty when it drops list content, and the fix.
pub const LIST_CONTENT_DROPPED: &str = "the server's chat template ignores message content sent as a list of parts, which is how LiveClin sends every question (text and pictures): every reply would be empty. It answers the same text sent as a plain string. Use a chat template that reads OpenAI content parts (for llama.cpp's server: --jinja, or a multimodal --chat-format)";

/// Whether a server that answered nothing to a question sent as a list of parts answers
/// the same question sent as a plain string: then its chat template drops list content
/// (llama.cpp's llama-2 and chatml formats do), and no question of LiveClin can be
/// answered.
pub async fn ignores_list_content(client: &ChatClient) -> bool {
    let mut conversation = Conversation::default();
    conversation.user(Value::from(PROBE));
    matches!(client.complete(&conversation).await, Outcome::Reply(_))
}

/// What a failed connection most likely means.
fn connection_advice(base: &str, message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let https = base.to_ascii_lowercase().starts_with("https:");
    let tls_garbage = [
        "invalidcontenttype",
        "corrupt message",
        "wrong version number",
        "record overflow",
        "invalid message",
    ]
    .iter()
    .any(|t| lower.contains(t));
    let reason = if https && tls_garbage {
        "the server speaks http, not https: use http:// in --api-base".to_string()
    } else if lower.contains("certificate") || lower.contains("unknownissuer") {
        "the server's TLS certificate is not trusted; for a private CA, set SSL_CERT_FILE=/path/to/ca.pem".into()
    } else if lower.contains("connection refused") {
        "nothing is listening there (connection refused): is the server running, on that host and port?".into()
    } else if lower.contains("dns") || lower.contains("lookup") {
        "the host name in --api-base does not resolve".into()
    } else if !https
        && (lower.contains("invalid http version")
            || lower.contains("closed before message completed"))
    {
        "the server closed the connection: if it speaks https, use https:// in --api-base".into()
    } else {
        "cannot connect; check --api-base".into()
    };
    format!("{reason} ({message})")
}

/// A 404 or another 4xx on a one-line request: the model name, or the path. The
/// server's model list (`GET <base>/models`) tells them apart.
async fn not_found_advice(settings: &ChatSettings, message: &str) -> String {
    let base = settings.api_base.trim_end_matches('/');
    if let Some(models) = models(base, &settings.api_key).await {
        if !models.contains(&settings.model) {
            return format!(
                "model {:?} is not served here ({message}); the server lists: {} (pass one with --model)",
                settings.model,
                models.join(", ")
            );
        }
        return format!(
            "the server lists model {:?} but refused a one-line request to it: {message}. Every question would fail the same way: check --max-tokens and --extra-body",
            settings.model
        );
    }
    if !base.ends_with("/v1")
        && models(&format!("{base}/v1"), &settings.api_key)
            .await
            .is_some()
    {
        return format!(
            "nothing answers at {base}/chat/completions ({message}); the server answers under /v1: use --api-base {base}/v1"
        );
    }
    format!(
        "the server refused a one-line request ({message}); check --api-base (most servers want the /v1 suffix) and --model"
    )
}

/// A model as `GET <base>/models` lists it.
#[derive(Debug, Clone, PartialEq)]
struct Listed {
    id: String,
    /// The context length the server reports, where it says: vLLM's `max_model_len`,
    /// llama.cpp's `meta.n_ctx`, or a `context_length` some servers and gateways give.
    context: Option<u64>,
}

impl Listed {
    fn of(entry: &Value) -> Option<Self> {
        let context = [
            "/max_model_len",
            "/meta/n_ctx",
            "/context_length",
            "/meta/n_ctx_train",
        ]
        .iter()
        .find_map(|pointer| entry.pointer(pointer).and_then(Value::as_u64));
        Some(Listed {
            id: entry["id"].as_str()?.to_string(),
            context,
        })
    }
}

/// The models `GET <base>/models` lists, if it answers with a list.
async fn listing(base: &str, key: &str) -> Option<Vec<Listed>> {
    let http = crate::client::http_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .ok()?;
    let response = http
        .get(format!("{base}/models"))
        .bearer_auth(key)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let listing: Value = response.json().await.ok()?;
    Some(
        listing["data"]
            .as_array()?
            .iter()
            .filter_map(Listed::of)
            .collect(),
    )
}

/// The model ids the server lists (at most 20, for a message).
async fn models(base: &str, key: &str) -> Option<Vec<String>> {
    let listed = listing(base, key).await?;
    Some(listed.into_iter().take(20).map(|m| m.id).collect())
}

/// A warning when `--max-tokens` is not below the context the server reports for the
/// model: a reply can never be that long, and a small server may generate until the
/// context is full (one request of 440 s was seen), past `--timeout`.
async fn context_warning(settings: &ChatSettings) -> Option<String> {
    let listed = listing(settings.api_base.trim_end_matches('/'), &settings.api_key).await?;
    let context = listed.iter().find(|m| m.id == settings.model)?.context?;
    (settings.max_tokens >= context).then(|| {
        format!(
            "--max-tokens {} is not below the context of {:?} as the server reports it ({context} tokens, prompt included): a reply can never be that long, and a server may generate until its context is full. Pass --max-tokens {} or less",
            settings.max_tokens,
            settings.model,
            context / 2
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_say_what_to_change() {
        let refused = connection_advice(
            "http://127.0.0.1:9/v1",
            "request connection failed: error sending request (Connection refused (os error 111))",
        );
        assert!(refused.contains("nothing is listening"), "{refused}");
        let tls = connection_advice(
            "https://127.0.0.1:8000/v1",
            "request connection failed: error sending request (received corrupt message of type InvalidContentType)",
        );
        assert!(tls.contains("speaks http, not https"), "{tls}");
        let ca = connection_advice(
            "https://example.org/v1",
            "request connection failed: invalid peer certificate: UnknownIssuer",
        );
        assert!(ca.contains("SSL_CERT_FILE"), "{ca}");
    }
}
