//! The mock's HTTP routes, matched on the path, then the method: a path the mock does not
//! serve gets an empty 404, a method a path does not take a 405 with `Allow` (as the
//! router of an OpenAI-compatible server answers).

use std::sync::Arc;

use http::{Method, StatusCode};

use super::{Mock, batch, files};
use crate::httpd::{self, Request, Response};

/// The mock's answer to one request.
pub(super) async fn answer(mock: Arc<Mock>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let get = matches!(parts.method, Method::GET | Method::HEAD);
    let post = parts.method == Method::POST;
    let segments: Vec<&str> = parts.uri.path().split('/').skip(1).collect();
    // No route has an empty segment: a trailing or doubled slash, or an empty id.
    if segments.iter().any(|s| s.is_empty()) {
        return httpd::status(StatusCode::NOT_FOUND);
    }
    let headers = &parts.headers;
    match segments[..] {
        ["v1", "chat", "completions"] if post => mock.limited_chat(headers, &body).await,
        ["v1", "chat", "completions"] => httpd::method_not_allowed("POST"),
        ["v1", "models"] if get => httpd::json(StatusCode::OK, &mock.models()),
        ["v1", "files"] if post => files::upload(&mock, headers, body),
        ["v1", "files"] => httpd::method_not_allowed("POST"),
        ["v1", "files", id, "content"] if get => files::content(&mock, &httpd::percent_decode(id)),
        ["v1", "batches"] if post => batch::create(&mock, headers, &body),
        ["v1", "batches"] if get => batch::list(&mock, parts.uri.query()),
        ["v1", "batches"] => httpd::method_not_allowed("POST,GET,HEAD"),
        ["v1", "batches", id] if get => batch::retrieve(&mock, &httpd::percent_decode(id)),
        ["v1", "mock", "stats"] if get => httpd::json(StatusCode::OK, &mock.stats()),
        ["v1", "models"]
        | ["v1", "files", _, "content"]
        | ["v1", "batches", _]
        | ["v1", "mock", "stats"] => httpd::method_not_allowed("GET,HEAD"),
        _ => httpd::status(StatusCode::NOT_FOUND),
    }
}
