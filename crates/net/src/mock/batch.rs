//! `/v1/batches` of the mock: a batch reads its uploaded request file, waits
//! `batch_delay` (validating, then in progress), answers every request through the same
//! code as a live `/v1/chat/completions` call (so its answers, faults and usage are a live
//! run's), and writes an output file (the 2xx answers) and an error file (the rest).
//! With `batch_expire`, a share of the requests a batch sees for the first time are left
//! undone and the batch ends `expired`, as one whose 24-hour window closed.
//!
//! Every batch created and every request answered is logged in `Stats::batch`, so a test
//! can tell that no request was submitted twice.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::{Mock, error, hash};
use crate::engine::batch::wire::{
    BatchObject, BatchPage, BatchStatus, CHAT_ENDPOINT, CreateBatch, EXPIRED, RequestCounts,
    RequestLine, ResultError, ResultLine, ResultResponse,
};
use crate::httpd::{self, Response};

/// What the mock's batches did, for tests (in `Stats`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct BatchLog {
    /// Ids of the files uploaded, in order.
    pub files_uploaded: Vec<String>,
    /// Every batch created, in order.
    pub batches_created: Vec<CreatedBatch>,
    /// `custom_id` -> times a batch answered it.
    pub processed: HashMap<String, u64>,
    /// Requests left undone by an expired batch.
    pub expired: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedBatch {
    pub id: String,
    pub input_file_id: String,
    pub requests: usize,
}

/// The batches the mock holds, in creation order, and the request bodies its batches have
/// seen (a request expires only the first time it is seen, so a retry gets through).
#[derive(Default)]
pub(crate) struct Batches {
    list: Mutex<Vec<BatchObject>>,
    seen: Mutex<HashSet<u64>>,
}

impl Batches {
    fn update(&self, id: &str, change: impl FnOnce(&mut BatchObject)) {
        let mut list = self.list.lock().expect("batches lock");
        if let Some(batch) = list.iter_mut().find(|b| b.id == id) {
            change(batch);
        }
    }

    fn get(&self, id: &str) -> Option<BatchObject> {
        let list = self.list.lock().expect("batches lock");
        list.iter().find(|b| b.id == id).cloned()
    }
}

/// `POST /v1/batches`.
pub(super) fn create(mock: &Arc<Mock>, headers: &HeaderMap, body: &[u8]) -> Response {
    let create: CreateBatch = match httpd::json_body(headers, body) {
        Ok(create) => create,
        Err(refused) => return refused.into(),
    };
    if let Some(refused) = mock.refuse_key(headers) {
        return refused;
    }
    if create.endpoint != CHAT_ENDPOINT {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("endpoint {} is not supported", create.endpoint),
        );
    }
    let Some(content) = mock.files.content(&create.input_file_id) else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("No such File object: {}", create.input_file_id),
        );
    };
    let mut requests = Vec::new();
    for (i, line) in content.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<RequestLine>(line) {
            Ok(request) if request.url == CHAT_ENDPOINT && request.method == "POST" => {
                requests.push(request)
            }
            Ok(request) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "line {}: {} {} is not batched here",
                        i + 1,
                        request.method,
                        request.url
                    ),
                );
            }
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("line {} of the input file is not a request: {e}", i + 1),
                );
            }
        }
    }
    let batch = {
        let mut list = mock.batches.list.lock().expect("batches lock");
        let batch = BatchObject {
            id: format!("batch_mock{}", list.len() + 1),
            object: "batch".into(),
            endpoint: create.endpoint.clone(),
            input_file_id: create.input_file_id.clone(),
            completion_window: create.completion_window.clone(),
            status: BatchStatus::Validating,
            output_file_id: None,
            error_file_id: None,
            created_at: crate::engine::batch::api::unix_now(),
            request_counts: Some(RequestCounts {
                total: requests.len() as u64,
                ..RequestCounts::default()
            }),
            errors: None,
        };
        list.push(batch.clone());
        batch
    };
    mock.stats
        .lock()
        .expect("stats lock")
        .batch
        .batches_created
        .push(CreatedBatch {
            id: batch.id.clone(),
            input_file_id: batch.input_file_id.clone(),
            requests: requests.len(),
        });
    tokio::spawn(process(
        mock.clone(),
        batch.id.clone(),
        headers.clone(),
        requests,
    ));
    httpd::json(StatusCode::OK, &batch)
}

/// Answers a batch's requests after the processing delay, then writes its files.
async fn process(mock: Arc<Mock>, id: String, headers: HeaderMap, requests: Vec<RequestLine>) {
    tokio::time::sleep(mock.config.batch_delay / 2).await;
    mock.batches
        .update(&id, |b| b.status = BatchStatus::InProgress);
    tokio::time::sleep(mock.config.batch_delay / 2).await;
    let (mut output, mut errors) = (Vec::new(), Vec::new());
    let mut expired = false;
    for (n, request) in requests.into_iter().enumerate() {
        let body = serde_json::to_vec(&request.body).expect("a JSON value serialises");
        let line_id = format!("batch_req_{id}_{n}");
        if mock.expires(&body) {
            expired = true;
            mock.stats.lock().expect("stats lock").batch.expired += 1;
            errors.push(ResultLine {
                id: line_id,
                custom_id: request.custom_id,
                response: None,
                error: Some(ResultError {
                    code: EXPIRED.into(),
                    message:
                        "This request could not be executed before the completion window expired."
                            .into(),
                }),
            });
            continue;
        }
        let response = mock.chat(&headers, &body).await;
        let status = response.status();
        let bytes = httpd::collect(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
        *mock
            .stats
            .lock()
            .expect("stats lock")
            .batch
            .processed
            .entry(request.custom_id.clone())
            .or_default() += 1;
        let line = ResultLine {
            id: line_id,
            custom_id: request.custom_id,
            response: Some(ResultResponse {
                status_code: status.as_u16(),
                request_id: format!("req_mock_{n}"),
                body,
            }),
            error: None,
        };
        let done = status.is_success();
        if done {
            output.push(line)
        } else {
            errors.push(line)
        }
        mock.batches.update(&id, |b| {
            let counts = b.request_counts.get_or_insert_default();
            if done {
                counts.completed += 1
            } else {
                counts.failed += 1
            }
        });
    }
    let store = |lines: &[ResultLine], kind: &str| {
        (!lines.is_empty()).then(|| {
            let mut text = Vec::new();
            for line in lines {
                serde_json::to_writer(&mut text, line).expect("a result line serialises");
                text.push(b'\n');
            }
            mock.files
                .add(&format!("{id}_{kind}.jsonl"), "batch_output", text.into())
                .id
        })
    };
    let output_file_id = store(&output, "output");
    let error_file_id = store(&errors, "error");
    mock.batches.update(&id, |b| {
        b.status = if expired {
            BatchStatus::Expired
        } else {
            BatchStatus::Completed
        };
        b.output_file_id = output_file_id;
        b.error_file_id = error_file_id;
    });
}

impl Mock {
    /// Whether a batch leaves this request undone: a `batch_expire` share of the requests
    /// seen for the first time, chosen by a hash of the body.
    fn expires(&self, body: &[u8]) -> bool {
        let text = String::from_utf8_lossy(body);
        let h = hash(&[&self.config.seed.to_string(), &text]);
        let first = self.batches.seen.lock().expect("seen lock").insert(h);
        let u = (hash(&[&h.to_string(), "expire"]) % 1_000_000) as f64 / 1_000_000.0;
        first && u < self.config.batch_expire
    }
}

/// `GET /v1/batches/{id}`.
pub(super) fn retrieve(mock: &Mock, id: &str) -> Response {
    match mock.batches.get(id) {
        Some(batch) => httpd::json(StatusCode::OK, &batch),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("No such Batch object: {id}"),
        ),
    }
}

/// `GET /v1/batches`: newest first, paged with `after` and `limit` (default 20).
pub(super) fn list(mock: &Mock, query: Option<&str>) -> Response {
    let limit = match httpd::query_value(query, "limit").map(|l| l.parse::<usize>()) {
        None => None,
        Some(Ok(limit)) => Some(limit),
        Some(Err(e)) => {
            return httpd::text(
                StatusCode::BAD_REQUEST,
                format!("Failed to deserialize query string: {e}"),
            );
        }
    };
    let all: Vec<BatchObject> = mock
        .batches
        .list
        .lock()
        .expect("batches lock")
        .iter()
        .rev()
        .cloned()
        .collect();
    let start = httpd::query_value(query, "after")
        .and_then(|after| all.iter().position(|b| b.id == after).map(|i| i + 1))
        .unwrap_or(0);
    let limit = limit.unwrap_or(20).clamp(1, 100);
    let data: Vec<BatchObject> = all.iter().skip(start).take(limit).cloned().collect();
    let page = BatchPage {
        has_more: start + data.len() < all.len(),
        last_id: data.last().map(|b| b.id.clone()),
        data,
    };
    httpd::json(StatusCode::OK, &page)
}
