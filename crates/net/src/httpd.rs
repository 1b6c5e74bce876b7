//! A small HTTP/1.1 server on hyper, for the mock model and the tests' own servers: it
//! accepts connections, reads each request's body whole (up to a limit) and hands the
//! request to a handler, which routes it with a plain `match` on method and path.
//!
//! It replaces axum, whose router, extractors and their dependencies were a large part of
//! a clean build for two servers with a dozen routes; hyper is compiled anyway for the
//! chat client. Its answers to bodies too large, JSON bodies that do not parse, query
//! strings that do not parse and methods a path does not take are axum's, word for word,
//! so a client sees the same server as before.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body::{Frame, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A request as a handler gets it: its body read whole.
pub type Request = http::Request<Bytes>;

/// A handler's answer.
pub type Response = http::Response<Body>;

/// What a streamed body may fail with (the connection is then cut, as a server that
/// stops half-way does).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The request body limit axum applied by default, kept for the servers that had it.
pub const BODY_LIMIT: usize = 2 << 20;

/// A response body: bytes known in advance (sent with their `Content-Length`), or a
/// stream sent as it comes (a slow, endless or broken transfer).
pub struct Body(Kind);

enum Kind {
    Full(Option<Bytes>),
    Stream(Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>),
}

impl Body {
    pub fn empty() -> Self {
        Body(Kind::Full(None))
    }

    pub fn from_stream<S, D, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<D, E>> + Send + 'static,
        D: Into<Bytes>,
        E: Into<BoxError>,
    {
        use futures_util::StreamExt as _;
        Body(Kind::Stream(Box::pin(
            stream.map(|chunk| chunk.map(Into::into).map_err(Into::into)),
        )))
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body(Kind::Full((!bytes.is_empty()).then_some(bytes)))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Stream(stream) => stream
                .as_mut()
                .poll_next(cx)
                .map(|chunk| chunk.map(|c| c.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.0, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream(_) => SizeHint::default(),
        }
    }
}

/// Serves `handler` on every connection `listener` accepts, for as long as the future
/// runs (a server ends with the task or runtime it runs on). A request whose body is
/// larger than `body_limit` gets a 413 without reaching the handler.
pub async fn serve<H, F>(listener: tokio::net::TcpListener, body_limit: usize, handler: H)
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let handler = Arc::new(handler);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                wait_after_accept_error(e).await;
                continue;
            }
        };
        let handler = handler.clone();
        let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let handler = handler.clone();
            async move {
                let (parts, body) = request.into_parts();
                Ok::<_, Infallible>(match read_body(body, body_limit).await {
                    Ok(body) => handler(http::Request::from_parts(parts, body)).await,
                    Err(refusal) => refusal.into(),
                })
            }
        });
        tokio::spawn(async move {
            // A connection that fails (the client left, a malformed request) ends alone.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// After a failed accept: nothing for a connection the client gave up on, a second's
/// pause for anything else (out of file descriptors), so the loop does not spin.
async fn wait_after_accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if !matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A request refused before its handler could use it: a status and a plain-text reason.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    text: String,
}

impl From<Refusal> for Response {
    fn from(refusal: Refusal) -> Self {
        text(refusal.status, refusal.text)
    }
}

/// A body's bytes, or the refusal of a body that is too large or breaks off.
async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, Refusal>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let refused = |status, why: &dyn std::fmt::Display| Refusal {
        status,
        text: format!("Failed to buffer the request body: {why}"),
    };
    match collect(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(Collect::TooLarge) => Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            &"length limit exceeded",
        )),
        Err(Collect::Failed(e)) => Err(refused(StatusCode::BAD_REQUEST, &e)),
    }
}

/// Why a body could not be read whole.
pub(crate) enum Collect<E> {
    TooLarge,
    Failed(E),
}

/// A body's data frames joined, up to `limit` bytes.
pub(crate) async fn collect<B>(mut body: B, limit: usize) -> Result<Bytes, Collect<B::Error>>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    let mut bytes = BytesMut::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(data) = frame.map_err(Collect::Failed)?.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(Collect::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes.freeze())
}

/// `value` as a JSON body.
pub fn json(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("a JSON value serialises");
    with_type(status, "application/json", body)
}

/// `text` as a plain-text body.
pub fn text(status: StatusCode, text: impl Into<String>) -> Response {
    with_type(status, "text/plain; charset=utf-8", text.into())
}

/// `body` with its `Content-Type`.
pub fn with_type(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut response = http::Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A status with no body.
pub fn status(status: StatusCode) -> Response {
    let mut response = http::Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// The answer to a method a path does not take; `allow` lists the ones it does.
pub fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = status(StatusCode::METHOD_NOT_ALLOWED);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// A JSON request body, or the refusal of one that is not JSON: a 415 without a JSON
/// `Content-Type`, a 400 for bytes that do not parse, a 422 for JSON of the wrong shape.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Refusal> {
    if !is_json(headers) {
        return Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            text: "Expected request with `Content-Type: application/json`".into(),
        });
    }
    serde_json::from_slice(body).map_err(|e| {
        let (status, what) = match e.classify() {
            serde_json::error::Category::Data => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Failed to deserialize the JSON body into the target type",
            ),
            _ => (
                StatusCode::BAD_REQUEST,
                "Failed to parse the request body as JSON",
            ),
        };
        Refusal {
            status,
            text: format!("{what}: {e}"),
        }
    })
}

/// Whether the `Content-Type` is `application/json` or `application/*+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence
        .to_ascii_lowercase()
        .split_once('/')
        .is_some_and(|(kind, sub)| {
            kind == "application" && (sub == "json" || sub.ends_with("+json"))
        })
}

/// The value of `key` in a query string (form-decoded), if given.
pub fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let form = |s: &str| percent_decode(&s.replace('+', " "));
        (form(name) == key).then(|| form(value))
    })
}

/// A percent-encoded URL part back to text (bytes that are not UTF-8 replaced), as a
/// router hands path parameters to its handlers.
pub fn percent_decode(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        let hex = tail
            .get(..2)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) if b == b'%' => {
                out.push(byte);
                rest = &tail[2..];
            }
            _ => {
                out.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts_decode_as_a_router_s() {
        assert_eq!(percent_decode("scan%2001.png"), "scan 01.png");
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
        let query = Some("recursive=true&after=batch+1%21&limit");
        assert_eq!(query_value(query, "after").as_deref(), Some("batch 1!"));
        assert_eq!(query_value(query, "limit").as_deref(), Some(""));
        assert_eq!(query_value(query, "cursor"), None);
    }

    #[test]
    fn only_a_json_content_type_is_read_as_json() {
        let mut headers = HeaderMap::new();
        let read = |headers: &HeaderMap| json_body::<serde_json::Value>(headers, b"{}");
        assert_eq!(read(&headers).unwrap_err().status, 415);
        for json in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/x+json",
        ] {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(json));
            assert!(read(&headers).is_ok(), "{json}");
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let status = |body: &[u8]| json_body::<Vec<u8>>(&headers, body).unwrap_err().status;
        assert_eq!(status(b"[1,"), 400);
        assert_eq!(status(b"{}"), 422);
    }
}
