//! A Hugging Face Hub imitation on 127.0.0.1 for the download tests: the revision, tree
//! and resolve endpoints of a dataset repo with `Link` pagination and LFS metadata, a
//! second "CDN" origin that LFS files redirect to, gating by token, and faults (429 with
//! Retry-After, 500, transfers cut half-way, slow transfers). Every request is logged.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use liveclin_net::httpd::{self, Body, Request, Response};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::common::repo;

pub(crate) const REPO: &str = "AQ-MedAI/LiveClin";
pub(crate) const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
pub(crate) const TOKEN: &str = "hf_test_token_do_not_leak";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub cdn: bool,
    pub path: String,
    pub authorization: Option<String>,
    pub range: Option<String>,
    pub status: u16,
    pub at: Instant,
}

/// What the tests can switch on.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// The next N file requests (resolve) get 429 with `Retry-After: 1`.
    pub rate_limit_files: usize,
    /// Files (repo paths) whose first transfer stops half-way.
    pub cut_first: HashSet<String>,
    /// Files whose first resolve answers 500.
    pub fail_first: HashSet<String>,
    /// Pause between 1 KiB chunks of every transfer.
    pub throttle: Option<Duration>,
    /// When set, the Hub API and resolve refuse requests without this bearer token.
    pub require_token: Option<String>,
    /// Raw entries appended to every tree listing.
    pub inject: Vec<Value>,
}

pub(crate) struct Hub {
    files: BTreeMap<String, Vec<u8>>,
    by_sha256: HashMap<String, String>,
    page_size: usize,
    pub faults: Mutex<Faults>,
    log: Mutex<Vec<Seen>>,
    /// Transfers whose last byte was sent.
    pub completed: AtomicUsize,
    cdn_base: Mutex<String>,
    hub_base: Mutex<String>,
}

/// The server and the runtime it runs on, for as long as the test holds it.
pub(crate) struct HubServer {
    pub endpoint: String,
    pub hub: Arc<Hub>,
    _runtime: tokio::runtime::Runtime,
}

/// The repo the server holds: the demo config (plus a file whose name needs encoding),
/// another config, and files at the root, so a download that strays is seen.
pub(crate) fn repo_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let root = repo("data/demo");
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(format!("data/demo/{rel}"), std::fs::read(&path).unwrap());
            }
        }
    }
    // A large LFS file whose name needs percent-encoding.
    let scan: Vec<u8> = (0u32..64 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    files.insert("data/demo/extra/scan 01.png".into(), scan);
    files.insert(
        "data/other/other.jsonl".into(),
        b"{\"pmc\": \"1\"}\n".to_vec(),
    );
    files.insert("data/other/image/x.png".into(), vec![7u8; 3000]);
    files.insert("README.md".into(), b"# LiveClin\n".to_vec());
    files.insert(".gitattributes".into(), b"*.png filter=lfs\n".to_vec());
    files
}

/// Images are LFS files (sha256 in the listing, bytes from the CDN); the rest are git.
fn is_lfs(path: &str) -> bool {
    path.ends_with(".png") || path.ends_with(".jpg")
}

pub(crate) fn hex<D: Digest>(bytes: &[u8], header: &[u8]) -> String {
    let mut d = D::new();
    d.update(header);
    d.update(bytes);
    d.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn start(page_size: usize) -> HubServer {
    let files = repo_files();
    let by_sha256 = files
        .iter()
        .filter(|(p, _)| is_lfs(p))
        .map(|(p, b)| (hex::<Sha256>(b, b""), p.clone()))
        .collect();
    let hub = Arc::new(Hub {
        files,
        by_sha256,
        page_size,
        faults: Mutex::new(Faults::default()),
        log: Mutex::new(Vec::new()),
        completed: AtomicUsize::new(0),
        cdn_base: Mutex::new(String::new()),
        hub_base: Mutex::new(String::new()),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (hub_addr, cdn_addr) = runtime.block_on(async {
        let hub_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cdn_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (hub_addr, cdn_addr) = (
            hub_listener.local_addr().unwrap(),
            cdn_listener.local_addr().unwrap(),
        );
        for (listener, answer) in [
            (
                hub_listener,
                hub_answer as fn(&Arc<Hub>, &Request) -> Response,
            ),
            (cdn_listener, cdn_answer),
        ] {
            let hub = hub.clone();
            let handler = move |request: Request| std::future::ready(answer(&hub, &request));
            tokio::spawn(httpd::serve(listener, httpd::BODY_LIMIT, handler));
        }
        (hub_addr, cdn_addr)
    });
    *hub.hub_base.lock().unwrap() = format!("http://{hub_addr}");
    *hub.cdn_base.lock().unwrap() = format!("http://{cdn_addr}");
    HubServer {
        endpoint: format!("http://{hub_addr}"),
        hub,
        _runtime: runtime,
    }
}

impl Hub {
    pub(crate) fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    pub(crate) fn log(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    pub(crate) fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }

    /// The repo paths whose bytes were requested (resolve on the Hub), in order.
    pub(crate) fn resolved(&self) -> Vec<String> {
        self.log()
            .iter()
            .filter(|s| !s.cdn)
            .filter_map(|s| {
                s.path
                    .split_once(&format!("/resolve/{COMMIT}/"))
                    .map(|(_, p)| httpd::percent_decode(p))
            })
            .collect()
    }

    fn record(&self, cdn: bool, uri: &Uri, headers: &HeaderMap, status: StatusCode) {
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        self.log.lock().unwrap().push(Seen {
            cdn,
            path: uri.path().to_string(),
            authorization: text(header::AUTHORIZATION),
            range: text(header::RANGE),
            status: status.as_u16(),
            at: Instant::now(),
        });
    }

    /// A 429 for this file request, while the rate limit fault lasts.
    fn rate_limited(&self) -> Option<Response> {
        let mut faults = self.faults.lock().unwrap();
        (faults.rate_limit_files > 0).then(|| {
            faults.rate_limit_files -= 1;
            let slow_down = httpd::text(StatusCode::TOO_MANY_REQUESTS, "slow down");
            with_header(slow_down, header::RETRY_AFTER, "1")
        })
    }

    /// The refusal this request gets when the repo is gated and the token is not right.
    fn gate(&self, headers: &HeaderMap) -> Option<Response> {
        let faults = self.faults.lock().unwrap();
        let required = faults.require_token.as_ref()?;
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if sent == Some(format!("Bearer {required}").as_str()) {
            return None;
        }
        let message = if sent.is_none() {
            "Access to dataset AQ-MedAI/LiveClin is restricted. You must be authenticated to access it."
        } else {
            "Invalid credentials in Authorization header"
        };
        Some(error(StatusCode::UNAUTHORIZED, "GatedRepo", message))
    }

    /// `bytes` from `start` on, in 1 KiB chunks (slowed by the throttle), stopping with an
    /// error half-way when `cut`.
    fn body(self: &Arc<Self>, bytes: Vec<u8>, start: usize, cut: bool) -> Body {
        let throttle = self.faults.lock().unwrap().throttle;
        let end = if cut {
            start + (bytes.len() - start) / 2
        } else {
            bytes.len()
        };
        let hub = self.clone();
        let stream = futures_util::stream::unfold(start, move |at| {
            let (bytes, hub) = (bytes.clone(), hub.clone());
            async move {
                if at == usize::MAX {
                    return None;
                }
                if at >= end {
                    return cut.then(|| (Err(std::io::Error::other("cut")), usize::MAX));
                }
                if let Some(pause) = throttle {
                    tokio::time::sleep(pause).await;
                }
                let next = (at + 1024).min(end);
                // Counted as the last byte leaves: the server stops polling after it.
                if next == bytes.len() {
                    hub.completed.fetch_add(1, Ordering::SeqCst);
                }
                Some((Ok(bytes[at..next].to_vec()), next))
            }
        });
        Body::from_stream(stream)
    }

    /// The file's bytes, honouring `Range: bytes=N-`.
    fn serve(self: &Arc<Self>, path: &str, headers: &HeaderMap) -> Response {
        let bytes = self.files[path].clone();
        let cut = self.faults.lock().unwrap().cut_first.remove(path);
        let total = bytes.len();
        let start = headers
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| {
                r.strip_prefix("bytes=")?
                    .strip_suffix('-')?
                    .parse::<usize>()
                    .ok()
            });
        match start {
            Some(start) if start >= total => with_header(
                httpd::status(StatusCode::RANGE_NOT_SATISFIABLE),
                header::CONTENT_RANGE,
                &format!("bytes */{total}"),
            ),
            Some(start) => http::Response::builder()
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_LENGTH, total - start)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{}/{total}", total - 1),
                )
                .body(self.body(bytes, start, cut))
                .unwrap(),
            None => http::Response::builder()
                .header(header::CONTENT_LENGTH, total)
                .header(header::ACCEPT_RANGES, "bytes")
                .body(self.body(bytes, 0, cut))
                .unwrap(),
        }
    }

    /// Files and folders under `folder` (all levels, or direct children only).
    fn entries(&self, folder: &str, recursive: bool) -> Vec<Value> {
        let prefix = format!("{folder}/");
        let mut dirs = BTreeSet::new();
        let mut files = Vec::new();
        for (path, bytes) in self.files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
            let rest = &path[prefix.len()..];
            let parts: Vec<&str> = rest.split('/').collect();
            for depth in 1..parts.len() {
                if recursive || depth == 1 {
                    dirs.insert(format!("{prefix}{}", parts[..depth].join("/")));
                }
            }
            if !recursive && parts.len() > 1 {
                continue;
            }
            let mut entry = json!({
                "type": "file",
                "oid": hex::<Sha1>(bytes, format!("blob {}\0", bytes.len()).as_bytes()),
                "size": bytes.len(),
                "path": path,
            });
            if is_lfs(path) {
                entry["oid"] = json!(hex::<Sha1>(path.as_bytes(), b"pointer"));
                entry["lfs"] = json!({ "oid": hex::<Sha256>(bytes, b""), "size": bytes.len(), "pointerSize": 134 });
            }
            files.push(entry);
        }
        let mut all: Vec<Value> = dirs
            .into_iter()
            .map(|d| json!({ "type": "directory", "oid": hex::<Sha1>(d.as_bytes(), b"tree"), "size": 0, "path": d }))
            .collect();
        all.extend(files);
        all
    }
}

/// `response` with one more header.
fn with_header(mut response: Response, name: header::HeaderName, value: &str) -> Response {
    let value = HeaderValue::try_from(value).unwrap();
    response.headers_mut().insert(name, value);
    response
}

fn error(status: StatusCode, code: &'static str, message: &str) -> Response {
    let response = httpd::json(status, &json!({ "error": message }));
    with_header(
        response,
        header::HeaderName::from_static("x-error-code"),
        code,
    )
}

/// A path's parameters after `prefix`: `n` non-empty segments, the last one holding the
/// rest of the path, slashes and all (a router's `{param}`s and `{*rest}`).
fn params<'a>(path: &'a str, prefix: &str, n: usize) -> Option<Vec<&'a str>> {
    let params: Vec<&str> = path.strip_prefix(prefix)?.splitn(n, '/').collect();
    (params.len() == n && params.iter().all(|p| !p.is_empty())).then_some(params)
}

/// `{rev}/{*path}`: a revision and the path after it, both non-empty, decoded.
fn rev_and_path(rest: &str) -> Option<(String, String)> {
    let (rev, path) = rest.split_once('/')?;
    (!rev.is_empty() && !path.is_empty())
        .then(|| (httpd::percent_decode(rev), httpd::percent_decode(path)))
}

/// The Hub's API (revision, tree) and its file downloads (resolve); anything else is a
/// logged 404.
fn hub_answer(hub: &Arc<Hub>, request: &Request) -> Response {
    let (uri, headers) = (request.uri(), request.headers());
    let decode = httpd::percent_decode;
    let get = request.method() == http::Method::GET;
    let api = params(uri.path(), "/api/datasets/", 4).filter(|_| get);
    let files = params(uri.path(), "/datasets/", 4).filter(|_| get);
    let answer = match (api.as_deref(), files.as_deref()) {
        (Some([owner, name, "revision", rev]), _) => Some(revision(
            hub,
            &decode(owner),
            &decode(name),
            &decode(rev),
            uri,
            headers,
        )),
        (Some([owner, name, "tree", rest]), _) => rev_and_path(rest).map(|(rev, path)| {
            tree(
                hub,
                &decode(owner),
                &decode(name),
                &rev,
                &path,
                uri,
                headers,
            )
        }),
        (_, Some([owner, name, "resolve", rest])) => rev_and_path(rest).map(|(rev, path)| {
            resolve(
                hub,
                &decode(owner),
                &decode(name),
                &rev,
                &path,
                uri,
                headers,
            )
        }),
        _ => None,
    };
    answer.unwrap_or_else(|| not_found(hub, uri, headers))
}

/// The CDN's `/blobs/{sha}`; anything else is a logged 404.
fn cdn_answer(hub: &Arc<Hub>, request: &Request) -> Response {
    let (uri, headers) = (request.uri(), request.headers());
    match params(uri.path(), "/blobs/", 1).as_deref() {
        Some([sha]) if !sha.contains('/') && request.method() == http::Method::GET => {
            blob(hub, &httpd::percent_decode(sha), uri, headers)
        }
        _ => not_found(hub, uri, headers),
    }
}

fn not_found(hub: &Hub, uri: &Uri, headers: &HeaderMap) -> Response {
    hub.record(false, uri, headers, StatusCode::NOT_FOUND);
    httpd::status(StatusCode::NOT_FOUND)
}

fn known_repo(owner: &str, name: &str) -> Option<Response> {
    (format!("{owner}/{name}") != REPO).then(|| {
        error(
            StatusCode::NOT_FOUND,
            "RepoNotFound",
            "Repository not found",
        )
    })
}

fn revision(
    hub: &Hub,
    owner: &str,
    name: &str,
    rev: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let response = hub
        .gate(headers)
        .or_else(|| known_repo(owner, name))
        .unwrap_or_else(|| {
            if rev == "main" || rev == COMMIT {
                let revision = json!({ "id": REPO, "sha": COMMIT, "private": false });
                httpd::json(StatusCode::OK, &revision)
            } else {
                error(StatusCode::NOT_FOUND, "RevisionNotFound", "Invalid rev id")
            }
        });
    hub.record(false, uri, headers, response.status());
    response
}

fn tree(
    hub: &Hub,
    owner: &str,
    name: &str,
    rev: &str,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let query = |key| httpd::query_value(uri.query(), key);
    let response = hub
        .gate(headers)
        .or_else(|| known_repo(owner, name))
        .unwrap_or_else(|| {
            if rev != COMMIT && rev != "main" {
                return error(StatusCode::NOT_FOUND, "RevisionNotFound", "Invalid rev id");
            }
            let recursive = query("recursive").is_some_and(|r| r == "true" || r == "True");
            let mut entries = hub.entries(path.trim_end_matches('/'), recursive);
            if entries.is_empty() {
                return error(
                    StatusCode::NOT_FOUND,
                    "EntryNotFound",
                    &format!("{path} does not exist on \"{rev}\""),
                );
            }
            entries.extend(hub.faults.lock().unwrap().inject.iter().cloned());
            let cursor: usize = query("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
            let end = (cursor + hub.page_size).min(entries.len());
            let page = entries[cursor.min(end)..end].to_vec();
            let mut response = httpd::json(StatusCode::OK, &page);
            if end < entries.len() {
                let base = hub.hub_base.lock().unwrap().clone();
                let next = format!(
                    "<{base}{}?recursive={recursive}&cursor={end}>; rel=\"next\"",
                    uri.path()
                );
                response
                    .headers_mut()
                    .insert(header::LINK, next.parse().unwrap());
            }
            response
        });
    hub.record(false, uri, headers, response.status());
    response
}

fn resolve(
    hub: &Arc<Hub>,
    owner: &str,
    name: &str,
    rev: &str,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let response = hub
        .gate(headers)
        .or_else(|| known_repo(owner, name))
        .or_else(|| hub.rate_limited())
        .unwrap_or_else(|| {
            if rev != COMMIT && rev != "main" {
                return error(StatusCode::NOT_FOUND, "RevisionNotFound", "Invalid rev id");
            }
            if !hub.files.contains_key(path) {
                return error(StatusCode::NOT_FOUND, "EntryNotFound", "Entry not found");
            }
            if hub.faults.lock().unwrap().fail_first.remove(path) {
                return httpd::text(StatusCode::INTERNAL_SERVER_ERROR, "try again");
            }
            if is_lfs(path) {
                let sha = hex::<Sha256>(&hub.files[path], b"");
                let cdn = hub.cdn_base.lock().unwrap().clone();
                let location = format!("{cdn}/blobs/{sha}?expires=1999999999&signature=abc");
                let found = httpd::status(StatusCode::FOUND);
                return with_header(found, header::LOCATION, &location);
            }
            hub.serve(path, headers)
        });
    hub.record(false, uri, headers, response.status());
    response
}

fn blob(hub: &Arc<Hub>, sha: &str, uri: &Uri, headers: &HeaderMap) -> Response {
    let response = match hub.by_sha256.get(sha) {
        Some(path) if uri.query().is_some_and(|q| q.contains("signature=")) => {
            hub.serve(&path.clone(), headers)
        }
        _ => httpd::status(StatusCode::FORBIDDEN),
    };
    hub.record(true, uri, headers, response.status());
    response
}
