//! The calls of batch mode: upload a request file, create a batch (or find the one already
//! made from a file), retrieve it, download a file. Failures a retry can fix (a lost
//! connection, 429, 5xx) are retried with the shared backoff; the API key is sent only in
//! the Authorization header and replaced by `***` in anything a server says.

use std::time::Duration;

use anyhow::bail;
use reqwest::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::wire::{
    BatchObject, BatchPage, CHAT_ENDPOINT, COMPLETION_WINDOW, CreateBatch, FileObject, PURPOSE,
};
use crate::client::{ChatClient, Secret, retry};

/// Where and how batch calls are made: the first endpoint's address, key and HTTP client.
pub(crate) struct BatchApi {
    http: reqwest::Client,
    base: String,
    key: String,
    secret: Secret,
    /// Tries per call (`--max-retries`).
    tries: u32,
}

impl BatchApi {
    pub(crate) fn new(client: &ChatClient, tries: u32) -> Self {
        let settings = client.settings();
        BatchApi {
            http: client.http().clone(),
            base: settings.api_base.trim_end_matches('/').to_string(),
            key: settings.api_key.clone(),
            secret: Secret::new(&settings.api_key),
            tries,
        }
    }

    /// Uploads a request file (`POST /v1/files`, purpose `batch`); returns its id.
    pub(crate) async fn upload(&self, name: &str, content: Vec<u8>) -> anyhow::Result<String> {
        let (boundary, body) = multipart_body(name, content);
        let body = bytes::Bytes::from(body);
        let file: FileObject = self
            .call("upload the request file", || {
                self.http
                    .post(format!("{}/files", self.base))
                    .header(
                        CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body.clone())
            })
            .await?;
        Ok(file.id)
    }

    /// The batch made from `file_id`, creating it unless one already exists. A create
    /// whose answer was lost (a dropped connection, a kill) may have made the batch: the
    /// list is checked before every try but the first of a file `fresh` from its upload
    /// in this process, so a file is never submitted twice. `uploaded_at` (Unix seconds)
    /// bounds the search: batches made more than an hour before it are not looked at.
    pub(crate) async fn submit(
        &self,
        file_id: &str,
        uploaded_at: u64,
        fresh: bool,
    ) -> anyhow::Result<BatchObject> {
        if !fresh && let Some(batch) = self.find_by_input(file_id, uploaded_at).await? {
            return Ok(batch);
        }
        let create = CreateBatch {
            input_file_id: file_id.into(),
            endpoint: CHAT_ENDPOINT.into(),
            completion_window: COMPLETION_WINDOW.into(),
        };
        let url = format!("{}/batches", self.base);
        let mut last = String::new();
        for attempt in 0..self.tries {
            if attempt > 0 {
                tokio::time::sleep(retry::delay(attempt - 1, None)).await;
                if let Some(batch) = self.find_by_input(file_id, uploaded_at).await? {
                    return Ok(batch);
                }
            }
            match self.once(self.http.post(&url).json(&create)).await {
                Ok(batch) => return Ok(batch),
                Err(Failure::Retryable(message)) => last = message,
                Err(Failure::Permanent(message)) => {
                    bail!("the server refused to create a batch: {message}")
                }
            }
        }
        bail!(
            "could not create a batch after {} tries: {last}",
            self.tries
        )
    }

    /// The batch whose input is `file_id`, if any (`GET /v1/batches`, newest first, page
    /// by page, until the batches are an hour older than the file: clocks differ, but
    /// not by an hour).
    async fn find_by_input(
        &self,
        file_id: &str,
        uploaded_at: u64,
    ) -> anyhow::Result<Option<BatchObject>> {
        let oldest = uploaded_at.saturating_sub(3600);
        let mut after: Option<String> = None;
        loop {
            let mut url = format!("{}/batches?limit=100", self.base);
            if let Some(after) = &after {
                url.push_str(&format!("&after={after}"));
            }
            let page: BatchPage = self
                .call("list the batches", || self.http.get(&url))
                .await?;
            if let Some(batch) = page.data.iter().find(|b| b.input_file_id == file_id) {
                return Ok(Some(batch.clone()));
            }
            let older = page
                .data
                .iter()
                .any(|b| b.created_at > 0 && b.created_at < oldest);
            match page.last_id {
                Some(last) if page.has_more && !older => after = Some(last),
                _ => return Ok(None),
            }
        }
    }

    /// `GET /v1/batches/{id}`.
    pub(crate) async fn retrieve(&self, batch_id: &str) -> anyhow::Result<BatchObject> {
        let url = format!("{}/batches/{batch_id}", self.base);
        self.call("check the batch", || self.http.get(&url)).await
    }

    /// A file's content (`GET /v1/files/{id}/content`).
    pub(crate) async fn content(&self, file_id: &str) -> anyhow::Result<String> {
        let url = format!("{}/files/{file_id}/content", self.base);
        let mut last = String::new();
        for attempt in 0..self.tries {
            if attempt > 0 {
                tokio::time::sleep(retry::delay(attempt - 1, None)).await;
            }
            match self.text(self.http.get(&url)).await {
                Ok(text) => return Ok(text),
                Err(Failure::Retryable(message)) => last = message,
                Err(Failure::Permanent(message)) => {
                    bail!("cannot download the batch file {file_id}: {message}")
                }
            }
        }
        bail!(
            "cannot download the batch file {file_id} after {} tries: {last}",
            self.tries
        )
    }

    /// A JSON call, retried while it fails in a way a retry can fix.
    async fn call<T: DeserializeOwned>(
        &self,
        what: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> anyhow::Result<T> {
        let mut last = String::new();
        for attempt in 0..self.tries {
            if attempt > 0 {
                tokio::time::sleep(retry::delay(attempt - 1, None)).await;
            }
            match self.once(request()).await {
                Ok(value) => return Ok(value),
                Err(Failure::Retryable(message)) => last = message,
                Err(Failure::Permanent(message)) => bail!("cannot {what}: {message}"),
            }
        }
        bail!("cannot {what} after {} tries: {last}", self.tries)
    }

    async fn once<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, Failure> {
        let text = self.text(request).await?;
        serde_json::from_str(&text).map_err(|e| {
            let excerpt: String = text.chars().take(300).collect();
            Failure::Retryable(format!("unexpected answer ({e}): {excerpt}"))
        })
    }

    /// One call's body, or why it failed (the server's words, with the key replaced).
    async fn text(&self, request: reqwest::RequestBuilder) -> Result<String, Failure> {
        let response = request
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|e| Failure::Retryable(self.redact(&e.without_url().to_string())))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Retryable(self.redact(&e.without_url().to_string())))?;
        if status.is_success() {
            return Ok(text);
        }
        let excerpt: String = text.chars().take(300).collect();
        let message = self.redact(&format!("HTTP {status}: {excerpt}"));
        if status.as_u16() == 429 || status.is_server_error() {
            Err(Failure::Retryable(message))
        } else {
            Err(Failure::Permanent(message))
        }
    }

    fn redact(&self, text: &str) -> String {
        self.secret.redact(text).into_owned()
    }
}

enum Failure {
    Retryable(String),
    Permanent(String),
}

/// A `multipart/form-data` body with the fields `purpose` (`batch`) and `file`; returns
/// the boundary and the body. The boundary is chosen so that it occurs nowhere in the
/// content.
pub(crate) fn multipart_body(name: &str, content: Vec<u8>) -> (String, Vec<u8>) {
    let mut n = 0u64;
    let boundary = loop {
        let candidate = format!("liveclin-batch-{n:016x}");
        if !content
            .windows(candidate.len())
            .any(|w| w == candidate.as_bytes())
        {
            break candidate;
        }
        n += 1;
    };
    let mut body = Vec::with_capacity(content.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n{PURPOSE}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

/// Poll waits: from a quarter second, half again each time, up to `max` (a batch takes
/// minutes to hours; the first polls catch a small one that is quick).
pub(crate) fn poll_wait(polls: u32, max: Duration) -> Duration {
    let wait = 0.25 * 1.5f64.powi(polls.min(40) as i32);
    Duration::from_secs_f64(wait).min(max)
}

/// What a server said about a whole batch that failed, for the error message.
pub(crate) fn batch_errors(batch: &BatchObject) -> String {
    batch
        .errors
        .as_ref()
        .and_then(|e| e.get("data"))
        .and_then(|d| d.as_array())
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e.get("message").and_then(|m| m.as_str()))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "no reason given".into())
}

/// Now in Unix seconds, as batch times are given.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
