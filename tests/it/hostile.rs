//! Hostile servers, files and flags are contained: no crash, no endless wait, no
//! unbounded memory, no secret leaked. Every server here is the test's own, on 127.0.0.1.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use liveclin_net::httpd::{self, Body, Request, Response};
use predicates::prelude::*;
use serde_json::json;

use super::common::{evaluate, liveclin, serve_local};

/// A server of the test's own, its API under `/v1`.
struct Local {
    base: String,
    runtime: tokio::runtime::Runtime,
}

/// Serves `chat` as `POST /v1/chat/completions` on a free loopback port (any other path
/// gets a 404).
fn serve<F>(chat: impl Fn(Request) -> F + Send + Sync + 'static) -> Local
where
    F: std::future::Future<Output = Response> + Send + 'static,
{
    let server = serve_local(move |request: Request| {
        let answer = match (request.method(), request.uri().path()) {
            (&Method::POST, "/v1/chat/completions") => Ok(chat(request)),
            (_, "/v1/chat/completions") => Err(httpd::method_not_allowed("POST")),
            _ => Err(httpd::status(StatusCode::NOT_FOUND)),
        };
        async move {
            match answer {
                Ok(answer) => answer.await,
                Err(refused) => refused,
            }
        }
    });
    Local {
        base: format!("{}/v1", server.root),
        runtime: server.runtime,
    }
}

/// A chat completion answering `content` (and thinking `reasoning`).
fn completion(content: &str, reasoning: &str) -> Response {
    let body = json!({
        "choices": [{"message": {"content": content, "reasoning_content": reasoning},
                     "finish_reason": "stop"}],
        "usage": {"total_tokens": 3}
    });
    httpd::json(StatusCode::OK, &body)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn flags_out_of_bounds_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let base = "http://127.0.0.1:1/v1";
    let refused = [
        ("--timeout", "1e300", "from 1 to 86400"),
        ("--timeout", "0.5", "from 1 to 86400"),
        ("--timeout", "nan", "from 1 to 86400"),
        ("--max-wait", "inf", "from 1 to 86400"),
        ("--temperature", "nan", "temperature from 0 to 2"),
        ("--temperature", "2.5", "temperature from 0 to 2"),
        ("--api-base", "not a url", "not an http(s) URL"),
        ("--api-base", "ftp://host/v1", "not an http(s) URL"),
        (
            "--api-base",
            "http://例え.jp/v1",
            "in its ASCII (xn--) form",
        ),
    ];
    for (flag, value, says) in refused {
        evaluate(base, &output, &["--image-mode", "url", flag, value])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says).and(predicate::str::contains(flag)));
    }
    assert!(!output.exists(), "nothing is written on a usage error");
    liveclin()
        .args(["check-vision", "--model", "m", "--api-base", "not a url"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an http(s) URL"));
    liveclin()
        .args(["check-vision", "--model", "m", "--api-base", base])
        .args(["--timeout", "1e300"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from 1 to 86400"));
    liveclin()
        .args(["compare", "a.json", "b.json", "--resamples", "4000000000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resamples"));
}

/// A server asking for an absurd `Retry-After` (which overflowed a duration) is waited
/// for `--max-wait` only, and told once.
#[test]
fn an_absurd_retry_after_is_capped_and_told_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = serve(move |_| {
        let call = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if call < 2 {
                let mut slow_down = httpd::text(StatusCode::TOO_MANY_REQUESTS, "slow down");
                let forever = HeaderValue::from_static("1e20");
                slow_down.headers_mut().insert(header::RETRY_AFTER, forever);
                slow_down
            } else {
                completion("\\boxed{A}", "")
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let started = std::time::Instant::now();
    let run = evaluate(
        &server.base,
        &output,
        &[
            "--image-mode",
            "url",
            "--limit",
            "1",
            "--concurrency",
            "1",
            "--max-wait",
            "1",
        ],
    )
    .timeout(Duration::from_secs(60))
    .assert()
    .success();
    let stderr = text(&run.get_output().stderr);
    assert_eq!(
        stderr
            .matches("asked to wait more than 18446744073709551615 s before retrying")
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("waits 1 s instead (--max-wait)"),
        "{stderr}"
    );
    assert!(calls.load(Ordering::SeqCst) > 2);
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Peak resident memory of this process (VmHWM), in bytes.
#[cfg(target_os = "linux")]
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib * 1024
}

/// A 200 whose body never ends: the call is abandoned at the body limit, with a clear
/// retryable message, and memory stays bounded.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_reply_body_is_abandoned_in_bounded_memory() {
    use liveclin_net::client::{ChatClient, ChatSettings, Conversation, Outcome, retry};

    let chunk = Bytes::from(vec![b' '; 64 * 1024]);
    let server = serve(move |_| {
        let endless = futures_util::stream::repeat(Ok::<_, Infallible>(chunk.clone()));
        async move { http::Response::new(Body::from_stream(endless)) }
    });
    let client = ChatClient::new(ChatSettings {
        api_base: server.base.clone(),
        api_key: "sk-test-key-123456".into(),
        model: "m".into(),
        temperature: 0.0,
        max_tokens: 16,
        timeout: Duration::from_secs(60),
        max_wait: retry::WaitCap::new(retry::DEFAULT_MAX_WAIT, "--max-wait"),
        extra_body: Default::default(),
    })
    .unwrap();
    let mut conversation = Conversation::default();
    conversation.user(json!("hello"));
    let before = peak_rss();
    let outcome = server.runtime.block_on(client.complete(&conversation));
    let grown = peak_rss().saturating_sub(before);
    assert!(grown < 200 << 20, "peak memory grew by {} MiB", grown >> 20);
    match outcome {
        Outcome::Retryable { message, .. } => {
            assert_eq!(message, "reply body larger than 32 MiB: abandoned");
        }
        other => panic!("{other:?}"),
    }
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

/// A server that echoes the Authorization header back, in a reply (to a conversation's
/// first turn) and in an error body (to later turns): the key reaches no file and no
/// output; what the server said is kept, key replaced.
#[test]
fn a_server_echoing_the_api_key_cannot_leak_it() {
    let secret = "sk-ECHOED-secret-0987654321";
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = serve(move |request: Request| {
        let body = httpd::json_body::<serde_json::Value>(request.headers(), request.body());
        let answer = body.map(|body| {
            counted.fetch_add(1, Ordering::SeqCst);
            let first_turn = body["messages"].as_array().is_some_and(|m| m.len() == 1);
            let auth = request.headers()[header::AUTHORIZATION]
                .to_str()
                .unwrap()
                .to_string();
            if first_turn {
                completion(&format!("\\boxed{{A}} ({auth})"), &format!("I saw {auth}"))
            } else {
                let body = json!({"error": {"message": "bad request",
                                        "received": {"authorization": auth}}});
                httpd::text(StatusCode::BAD_REQUEST, body.to_string())
            }
        });
        async move { answer.unwrap_or_else(Response::from) }
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run = evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--limit", "1", "--verbose"],
    )
    .env("LIVECLIN_API_KEY", secret)
    .env_remove("OPENAI_API_KEY")
    .assert()
    .code(3);
    let out = run.get_output();
    assert!(
        calls.load(Ordering::SeqCst) >= 2,
        "the reply and the error were both sent"
    );
    let report = dir.path().join("report.html");
    let html = liveclin()
        .arg("report")
        .arg(&output)
        .arg(crate::common::html_flag(&report))
        .args(["--data-dir", "."])
        .assert()
        .success();
    let html_out = html.get_output();
    for printed in [&out.stdout, &out.stderr, &html_out.stdout, &html_out.stderr] {
        assert!(!text(printed).contains(secret));
    }
    let written = files(dir.path());
    assert!(written.len() >= 3, "results, journal and report");
    for (path, bytes) in &written {
        assert!(
            !text(bytes).contains(secret),
            "{} holds the key",
            path.display()
        );
    }
    let results = std::fs::read_to_string(&output).unwrap();
    assert!(
        results.contains("(Bearer ***)") && results.contains("I saw Bearer ***"),
        "the reply and its reasoning are kept, key replaced: {results}"
    );
    assert!(
        results.contains(r#"\"authorization\":\"Bearer ***\""#),
        "the error body is kept, key replaced: {results}"
    );
}

/// A hand-edited count no run can produce is refused, naming the file and the case.
#[test]
fn an_impossible_correct_count_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.json");
    let file = r#"{"cases": [
        {"case_id": "PMC1", "correct_mcqs": 1, "mcqs": [{"is_correct": true}]},
        {"case_id": "PMC9", "correct_mcqs": 1e300, "mcqs": [{"is_correct": true}]}
    ]}"#;
    std::fs::write(&path, file).unwrap();
    liveclin().arg("report").arg(&path).assert().code(2).stderr(
        predicate::str::contains(path.display().to_string())
            .and(predicate::str::contains("case PMC9 (#2 in cases)"))
            .and(predicate::str::contains("correct_mcqs is 1e+300")),
    );
    std::fs::write(&path, file.replace("1e300", "1")).unwrap();
    liveclin().arg("report").arg(&path).assert().success();
}
