//! `/v1/files` of the mock: uploads (`multipart/form-data` with `purpose` and `file`) kept
//! in memory, and their content served back; the batches' output and error files are
//! stored here too. Every file created is logged in `Stats::batch`.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};

use super::{Mock, error};
use crate::engine::batch::wire::FileObject;
use crate::httpd::{self, Response};

/// The files the mock holds.
#[derive(Default)]
pub(crate) struct Files {
    stored: Mutex<HashMap<String, (FileObject, Bytes)>>,
}

impl Files {
    /// Stores a file and returns its object, with the next id.
    pub(crate) fn add(&self, filename: &str, purpose: &str, content: Bytes) -> FileObject {
        let mut stored = self.stored.lock().expect("files lock");
        let object = FileObject {
            id: format!("file-mock{}", stored.len() + 1),
            bytes: content.len() as u64,
            filename: filename.into(),
            purpose: purpose.into(),
        };
        stored.insert(object.id.clone(), (object.clone(), content));
        object
    }

    pub(crate) fn content(&self, id: &str) -> Option<Bytes> {
        let stored = self.stored.lock().expect("files lock");
        stored.get(id).map(|(_, content)| content.clone())
    }
}

/// `POST /v1/files`.
pub(super) fn upload(mock: &Mock, headers: &HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = mock.refuse_key(headers) {
        return refused;
    }
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once("boundary="))
        .map(|(_, b)| b.trim_matches('"').to_string());
    let Some(boundary) = boundary else {
        return error(StatusCode::BAD_REQUEST, "expected multipart/form-data");
    };
    let parts = multipart_parts(&body, &boundary);
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let (Some(purpose), Some(file)) = (field("purpose"), field("file")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "a file upload needs the fields purpose and file",
        );
    };
    let purpose = String::from_utf8_lossy(&purpose.content).into_owned();
    let filename = file.filename.clone().unwrap_or_default();
    let object = mock.files.add(&filename, &purpose, file.content.clone());
    mock.stats
        .lock()
        .expect("stats lock")
        .batch
        .files_uploaded
        .push(object.id.clone());
    httpd::json(StatusCode::OK, &object)
}

/// `GET /v1/files/{id}/content`.
pub(super) fn content(mock: &Mock, id: &str) -> Response {
    match mock.files.content(id) {
        Some(content) => httpd::with_type(StatusCode::OK, "application/octet-stream", content),
        None => error(StatusCode::NOT_FOUND, &format!("No such File object: {id}")),
    }
}

/// One field of a `multipart/form-data` body.
struct Part {
    name: String,
    filename: Option<String>,
    content: Bytes,
}

/// The fields of a `multipart/form-data` body (RFC 7578): parts between `--boundary`
/// lines, each its headers, a blank line, then its bytes up to the CRLF before the next.
fn multipart_parts(body: &Bytes, boundary: &str) -> Vec<Part> {
    let delimiter = format!("\r\n--{boundary}");
    // The first delimiter has no CRLF before it.
    let mut text = Vec::with_capacity(body.len() + 2);
    text.extend_from_slice(b"\r\n");
    text.extend_from_slice(body);
    let text = Bytes::from(text);
    let mut parts = Vec::new();
    let mut at = match find(&text, delimiter.as_bytes(), 0) {
        Some(i) => i + delimiter.len(),
        None => return parts,
    };
    while let Some(next) = find(&text, delimiter.as_bytes(), at) {
        let part = text.slice(at..next);
        at = next + delimiter.len();
        let Some(split) = find(&part, b"\r\n\r\n", 0) else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        let quoted = |key: &str| {
            let start = head.find(&format!("{key}=\""))? + key.len() + 2;
            let end = head[start..].find('"')? + start;
            Some(head[start..end].to_string())
        };
        if let Some(name) = quoted("name") {
            parts.push(Part {
                name,
                filename: quoted("filename"),
                content: part.slice(split + 4..),
            });
        }
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::batch::api::multipart_body;

    #[test]
    fn the_engine_s_upload_body_reads_back_as_its_fields() {
        let content = b"{\"a\":1}\r\n--not-it\n{\"b\":2}\n".to_vec();
        let (boundary, body) = multipart_body("round-1.jsonl", content.clone());
        let parts = multipart_parts(&Bytes::from(body), &boundary);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "purpose");
        assert_eq!(&parts[0].content[..], b"batch");
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].filename.as_deref(), Some("round-1.jsonl"));
        assert_eq!(&parts[1].content[..], &content[..]);
    }
}
