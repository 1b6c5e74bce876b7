//! Is the server up? `GET /v1/models` until it answers 200, as the official helper does.

use std::time::Duration;

use serde_json::Value;

/// How long one readiness request may take (the official helper's value).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The API base URL of a server listening on `host:port`, as seen from this machine: a
/// server bound to every interface (0.0.0.0, ::) is reached on loopback, and an IPv6
/// address gets its brackets.
pub fn api_base(host: &str, port: u16) -> String {
    let host = match host.trim_start_matches('[').trim_end_matches(']') {
        "0.0.0.0" => "127.0.0.1".to_string(),
        "::" => "[::1]".to_string(),
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_string(),
    };
    format!("http://{host}:{port}/v1")
}

/// Asks one server whether it is ready.
pub struct Probe {
    http: reqwest::Client,
    pub url: String,
}

impl Probe {
    pub fn new(api_base: &str) -> anyhow::Result<Self> {
        // The server is local or the user's own: a proxy from the environment would only
        // stand between us and it.
        let http = crate::client::http_builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()?;
        Ok(Probe {
            http,
            url: format!("{api_base}/models"),
        })
    }

    /// Polls every `interval` until the server answers 200; returns the first model id
    /// of the answer (the name `evaluate` must send), if it has one. Never gives up: the
    /// caller bounds the wait.
    pub async fn wait(&self, interval: Duration) -> Option<String> {
        loop {
            if let Some(answer) = self.once().await {
                return model_id(&answer);
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// One request: the body of a 200 answer (`Null` if it is not JSON), else `None`.
    async fn once(&self) -> Option<Value> {
        let response = self.http.get(&self.url).send().await.ok()?;
        if response.status() != reqwest::StatusCode::OK {
            return None;
        }
        Some(response.json().await.unwrap_or(Value::Null))
    }
}

/// `data[0].id` of an OpenAI `/v1/models` answer.
fn model_id(answer: &Value) -> Option<String> {
    answer["data"][0]["id"].as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_is_reachable_from_this_machine() {
        assert_eq!(api_base("127.0.0.1", 8000), "http://127.0.0.1:8000/v1");
        assert_eq!(api_base("0.0.0.0", 30000), "http://127.0.0.1:30000/v1");
        assert_eq!(api_base("::", 8000), "http://[::1]:8000/v1");
        assert_eq!(api_base("[::]", 8000), "http://[::1]:8000/v1");
        assert_eq!(api_base("fe80::1", 8000), "http://[fe80::1]:8000/v1");
        assert_eq!(api_base("gpu-node-3", 8000), "http://gpu-node-3:8000/v1");
    }

    #[test]
    fn model_id_is_the_first_listed() {
        let answer =
            serde_json::json!({"object": "list", "data": [{"id": "Qwen2.5-VL"}, {"id": "other"}]});
        assert_eq!(model_id(&answer).as_deref(), Some("Qwen2.5-VL"));
        assert_eq!(model_id(&serde_json::json!({"data": []})), None);
        assert_eq!(model_id(&Value::Null), None);
    }
}
