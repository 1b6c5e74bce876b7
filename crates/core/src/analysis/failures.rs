//! Why questions failed, by class: the error texts of a run (ours, or the official tool's
//! `Error code: 401 - ...`) sorted into a few classes that each have one fix. Read from
//! the error strings themselves, so a results file of any origin gets the same table,
//! and the engine's circuit breaker sees calls exactly as the table will count them.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::outcome::Outcome;
use crate::results::CaseRecord;

/// A class of failure, with one fix each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// 401 or 403: the key.
    Auth,
    /// 404: the address or the model name.
    NotFound,
    /// Another 4xx (400, 413, 422): the request itself, e.g. a conversation over the
    /// model's context.
    Rejected,
    /// 429: the provider's rate limit.
    RateLimited,
    /// 5xx: the server.
    ServerError,
    /// No answer within `--timeout`.
    Timeout,
    /// No connection, or one broken mid-transfer.
    Connection,
    /// A body that is not a chat completion.
    BadReply,
    /// A reply without content.
    EmptyReply,
    /// A bug of ours, caught in one case.
    Internal,
    Other,
}

impl FailureClass {
    /// The class of an error text.
    pub fn of(error: &str) -> Self {
        if let Some(status) = http_status(error) {
            return match status {
                401 | 403 => FailureClass::Auth,
                404 => FailureClass::NotFound,
                429 => FailureClass::RateLimited,
                500..=599 => FailureClass::ServerError,
                400..=499 => FailureClass::Rejected,
                _ => FailureClass::Other,
            };
        }
        let lower = error.to_ascii_lowercase();
        let has = |needle: &str| lower.contains(needle);
        if has("empty response") {
            FailureClass::EmptyReply
        } else if has("timed out") || has("timeout") {
            FailureClass::Timeout
        } else if has("connection") || has("request transfer failed") || has("dns") {
            FailureClass::Connection
        } else if has("unparseable") || has("no choices") || has("reply body") {
            FailureClass::BadReply
        } else if has("internal error") {
            FailureClass::Internal
        } else {
            FailureClass::Other
        }
    }

    /// Whether waiting can fix it (so retries and endpoint rests apply, never the
    /// circuit breaker).
    pub fn transient(self) -> bool {
        !matches!(
            self,
            FailureClass::Auth | FailureClass::NotFound | FailureClass::Rejected
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureClass::Auth => "authentication (HTTP 401/403)",
            FailureClass::NotFound => "not found (HTTP 404)",
            FailureClass::Rejected => "request rejected (HTTP 4xx)",
            FailureClass::RateLimited => "rate limited (HTTP 429)",
            FailureClass::ServerError => "server error (HTTP 5xx)",
            FailureClass::Timeout => "timed out",
            FailureClass::Connection => "connection failed",
            FailureClass::BadReply => "unreadable reply",
            FailureClass::EmptyReply => "empty reply",
            FailureClass::Internal => "internal error",
            FailureClass::Other => "other",
        }
    }

    /// What to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            FailureClass::Auth => {
                "check the API key (--api-key, $LIVECLIN_API_KEY or $OPENAI_API_KEY) and that it may use this model"
            }
            FailureClass::NotFound => {
                "check --api-base (most servers want the /v1 suffix) and --model (the name the server lists at /v1/models)"
            }
            FailureClass::Rejected => {
                "read the server's message: often the conversation is longer than the model's context, or a setting (--max-tokens, --extra-body) is not accepted"
            }
            FailureClass::RateLimited => {
                "lower --concurrency, or raise the provider's rate limit; --resume retries these questions"
            }
            FailureClass::ServerError => {
                "the server failed; check its log, then --resume retries these questions"
            }
            FailureClass::Timeout => {
                "raise --timeout (a long reasoning reply can take minutes), or lower --concurrency"
            }
            FailureClass::Connection => {
                "check that the server is running and reachable at --api-base"
            }
            FailureClass::BadReply => {
                "the server's reply is not an OpenAI chat completion; check --api-base"
            }
            FailureClass::EmptyReply => {
                "the model answered nothing: a reasoning model may have spent --max-tokens on thinking, or the chat template drops the question"
            }
            FailureClass::Internal => "a bug in liveclin: please report it with the message",
            FailureClass::Other => "read the message",
        }
    }
}

/// The HTTP status an error text names: `HTTP 401 ...` (ours) or `Error code: 401`
/// (the official tool's, from the openai SDK).
fn http_status(error: &str) -> Option<u16> {
    ["HTTP ", "Error code: "].iter().find_map(|marker| {
        let at = error.find(marker)? + marker.len();
        let digits = error.get(at..at + 3)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    })
}

/// One row of the failure table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureRow {
    pub class: FailureClass,
    /// Questions that failed with it (skipped ones are not counted: they follow a failure).
    pub mcqs: usize,
    /// The first message of the class, as recorded.
    pub example: String,
}

/// The failures of a run by class, largest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FailureTable {
    pub rows: Vec<FailureRow>,
}

impl FailureTable {
    pub fn of(cases: &[CaseRecord]) -> Self {
        let mut rows: Vec<FailureRow> = Vec::new();
        let failures = cases
            .iter()
            .flat_map(|c| &c.mcqs)
            .filter(|m| Outcome::of(m) == Outcome::ApiFailure)
            .filter_map(|m| m.error.as_str());
        for error in failures {
            let class = FailureClass::of(error);
            match rows.iter_mut().find(|r| r.class == class) {
                Some(row) => row.mcqs += 1,
                None => rows.push(FailureRow {
                    class,
                    mcqs: 1,
                    example: error.chars().take(200).collect(),
                }),
            }
        }
        rows.sort_by(|a, b| b.mcqs.cmp(&a.mcqs).then(a.class.cmp(&b.class)));
        FailureTable { rows }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as the terminal shows it (nothing when there were no failures).
    pub fn text(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            return out;
        }
        out.push_str("  Failed questions by cause:\n");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "    {:>5}  {}: {}",
                row.mcqs,
                row.class.label(),
                row.example
            );
            let _ = writeln!(out, "           fix: {}", row.class.fix());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::McqRecord;
    use serde_json::json;

    #[test]
    fn classes_come_from_our_texts_and_the_official_tool_s() {
        let class = FailureClass::of;
        assert_eq!(
            class("authentication failed (HTTP 401): check --api-key"),
            FailureClass::Auth
        );
        assert_eq!(
            class("HTTP 404 Not Found: no such model"),
            FailureClass::NotFound
        );
        assert_eq!(
            class("Error code: 401 - {'error': 'bad key'}"),
            FailureClass::Auth
        );
        assert_eq!(
            class("HTTP 400 Bad Request: context length"),
            FailureClass::Rejected
        );
        assert_eq!(
            class("HTTP 503 Service Unavailable"),
            FailureClass::ServerError
        );
        assert_eq!(
            class(
                "request connection failed: error sending request (Connection refused (os error 111))"
            ),
            FailureClass::Connection
        );
        assert_eq!(
            class("request timed out: operation timed out"),
            FailureClass::Timeout
        );
        assert_eq!(class("Empty response from API."), FailureClass::EmptyReply);
        assert_eq!(class("unparseable reply body: {"), FailureClass::BadReply);
        assert!(!FailureClass::Auth.transient() && FailureClass::RateLimited.transient());
    }

    #[test]
    fn the_table_counts_failures_not_skips_largest_first() {
        let mcq = |error: &str| McqRecord {
            error: json!(error),
            ..Default::default()
        };
        let case = CaseRecord {
            mcqs: vec![
                mcq("HTTP 400 Bad Request: too long"),
                mcq("Skipped: prior question failed"),
                mcq("HTTP 401 Unauthorized"),
                mcq("HTTP 400 Bad Request: again"),
            ],
            ..Default::default()
        };
        let table = FailureTable::of(&[case]);
        let rows: Vec<(FailureClass, usize)> =
            table.rows.iter().map(|r| (r.class, r.mcqs)).collect();
        assert_eq!(rows, [(FailureClass::Rejected, 2), (FailureClass::Auth, 1)]);
        assert_eq!(table.rows[0].example, "HTTP 400 Bad Request: too long");
        assert!(table.text().contains("fix: check the API key"));
    }
}
