//! The OpenAI Files and Batches API as types: what `evaluate --batch` sends and reads, and
//! what the mock serves (one definition, so the two cannot drift apart).
//!
//! Shapes as documented by OpenAI (and served by SGLang and gateways): a request file is
//! JSON Lines of `{"custom_id", "method", "url", "body"}`; a batch is created from an
//! uploaded file's id and moves through `validating`, `in_progress`, `finalizing` to
//! `completed`, `expired`, `failed` or `cancelled`; its output file holds a line per
//! answered request (`response.status_code`, `response.body`), its error file one per
//! request that failed (a non-2xx `response`, or an `error` such as `batch_expired`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The one endpoint liveclin batches.
pub(crate) const CHAT_ENDPOINT: &str = "/v1/chat/completions";
/// The only completion window OpenAI offers.
pub(crate) const COMPLETION_WINDOW: &str = "24h";
/// The `purpose` of an uploaded request file.
pub(crate) const PURPOSE: &str = "batch";

/// An uploaded file (`POST /v1/files`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileObject {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) bytes: u64,
    #[serde(default)]
    pub(crate) filename: String,
    #[serde(default)]
    pub(crate) purpose: String,
}

/// `POST /v1/batches`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CreateBatch {
    pub(crate) input_file_id: String,
    pub(crate) endpoint: String,
    pub(crate) completion_window: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BatchStatus {
    Validating,
    InProgress,
    Finalizing,
    Completed,
    Expired,
    Failed,
    Cancelling,
    Cancelled,
}

impl BatchStatus {
    /// Whether the batch has stopped changing (its files, if any, are final).
    pub(crate) fn is_final(self) -> bool {
        matches!(
            self,
            BatchStatus::Completed
                | BatchStatus::Expired
                | BatchStatus::Failed
                | BatchStatus::Cancelled
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Validating => "validating",
            BatchStatus::InProgress => "in_progress",
            BatchStatus::Finalizing => "finalizing",
            BatchStatus::Completed => "completed",
            BatchStatus::Expired => "expired",
            BatchStatus::Failed => "failed",
            BatchStatus::Cancelling => "cancelling",
            BatchStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RequestCounts {
    #[serde(default)]
    pub(crate) total: u64,
    #[serde(default)]
    pub(crate) completed: u64,
    #[serde(default)]
    pub(crate) failed: u64,
}

/// A batch (`POST /v1/batches`, `GET /v1/batches/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BatchObject {
    pub(crate) id: String,
    #[serde(default = "batch_object")]
    pub(crate) object: String,
    #[serde(default)]
    pub(crate) endpoint: String,
    pub(crate) input_file_id: String,
    #[serde(default)]
    pub(crate) completion_window: String,
    pub(crate) status: BatchStatus,
    #[serde(default)]
    pub(crate) output_file_id: Option<String>,
    #[serde(default)]
    pub(crate) error_file_id: Option<String>,
    #[serde(default)]
    pub(crate) created_at: u64,
    #[serde(default)]
    pub(crate) request_counts: Option<RequestCounts>,
    /// Why a batch failed as a whole (validation), as the server words it.
    #[serde(default)]
    pub(crate) errors: Option<Value>,
}

fn batch_object() -> String {
    "batch".into()
}

/// A page of `GET /v1/batches`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BatchPage {
    pub(crate) data: Vec<BatchObject>,
    #[serde(default)]
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) last_id: Option<String>,
}

/// A line of a request file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RequestLine {
    pub(crate) custom_id: String,
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) body: Value,
}

/// A line of an output or error file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResultLine {
    #[serde(default)]
    pub(crate) id: String,
    pub(crate) custom_id: String,
    #[serde(default)]
    pub(crate) response: Option<ResultResponse>,
    #[serde(default)]
    pub(crate) error: Option<ResultError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResultResponse {
    pub(crate) status_code: u16,
    #[serde(default)]
    pub(crate) request_id: String,
    #[serde(default)]
    pub(crate) body: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResultError {
    #[serde(default)]
    pub(crate) code: String,
    #[serde(default)]
    pub(crate) message: String,
}

/// The error code of a request a batch did not reach before its window closed.
pub(crate) const EXPIRED: &str = "batch_expired";
