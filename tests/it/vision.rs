//! `liveclin check-vision` against the built-in mock model, which really decodes the
//! pictures it is sent (and fetches URLs from a picture server on loopback).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use liveclin::mock::MockConfig;
use liveclin::vision::picture::{PALETTE, solid_png};

use crate::common::{liveclin, mock_server};

/// Serves `GET /<colour>.png` as a solid PNG of that palette colour, 404 otherwise, on a
/// free loopback port, from a runtime of its own.
struct PictureServer {
    base: String,
    _runtime: tokio::runtime::Runtime,
}

fn picture_server() -> PictureServer {
    let serve = |Path(file): Path<String>| async move {
        let colour = file
            .strip_suffix(".png")
            .and_then(|name| PALETTE.into_iter().find(|c| c.name == name));
        match colour {
            Some(colour) => {
                ([(header::CONTENT_TYPE, "image/png")], solid_png(colour)).into_response()
            }
            None => StatusCode::NOT_FOUND.into_response(),
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/{file}", axum::routing::get(serve));
    runtime.spawn(async move { axum::serve(listener, app).await });
    PictureServer {
        base,
        _runtime: runtime,
    }
}

/// `liveclin check-vision` of the mock model at `api_base`, the url checks showing `image_url`.
fn check_vision(api_base: &str, image_url: &str) -> assert_cmd::Command {
    let mut cmd = liveclin();
    cmd.args(["check-vision", "--model", "mock", "--api-base", api_base])
        .args(["--image-url", image_url]);
    cmd
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn lines_starting(text: &str, prefix: &str) -> usize {
    text.lines().filter(|l| l.starts_with(prefix)).count()
}

#[test]
fn a_model_that_sees_passes_every_check_in_both_modes() {
    let mock = mock_server(MockConfig::default());
    let pictures = picture_server();
    let secret = "sk-vision-check-secret";
    let output = check_vision(&mock.base, &format!("{}/orange.png", pictures.base))
        .args(["--api-key", secret])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = stdout(&output);
    assert_eq!(lines_starting(&text, "PASS"), 5, "{text}");
    assert_eq!(lines_starting(&text, "FAIL"), 0, "{text}");
    // The mock named what it saw: the generated pictures, and the one it fetched.
    assert!(text.contains("\"Yellow.\""), "{text}");
    assert!(text.contains("\"image 1: red; image 2: blue.\""), "{text}");
    assert!(text.contains("\"Green.\""), "{text}");
    assert!(
        text.contains("A plain orange picture of 64x64 pixels"),
        "{text}"
    );
    assert!(text.contains("Use either --image-mode local or --image-mode url"));
    // The key was sent, and never shown.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!text.contains(secret) && !stderr.contains(secret));
    let sent = mock.mock.stats().bearer_tokens;
    assert!(sent.contains_key(&format!("Bearer {secret}")), "{sent:?}");
}

#[test]
fn an_endpoint_that_ignores_images_fails_with_advice() {
    let mock = mock_server(MockConfig {
        ignore_images: true,
        ..MockConfig::default()
    });
    let pictures = picture_server();
    let output = check_vision(&mock.base, &format!("{}/orange.png", pictures.base))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = stdout(&output);
    assert_eq!(lines_starting(&text, "FAIL"), 5, "{text}");
    assert_eq!(lines_starting(&text, "PASS"), 0, "{text}");
    assert!(text.contains("(says it sees no picture)"), "{text}");
    for mode in ["local mode failed 3 of 3", "url mode failed 2 of 2"] {
        let problem = text.lines().find(|l| l.starts_with(mode)).expect(mode);
        assert!(problem.contains("it does not see images"), "{problem}");
        assert!(problem.contains("--enable-multimodal"), "{problem}");
    }
    assert!(text.contains("No image mode works"), "{text}");
}

#[test]
fn a_server_that_cannot_fetch_the_url_is_told_to_use_local_mode() {
    let mock = mock_server(MockConfig::default());
    let pictures = picture_server();
    let missing = format!("{}/no-such-picture.png", pictures.base);
    let output = check_vision(&mock.base, &missing)
        .assert()
        .success()
        .get_output()
        .clone();
    let text = stdout(&output);
    assert_eq!(lines_starting(&text, "PASS  local"), 3, "{text}");
    assert_eq!(lines_starting(&text, "FAIL  url"), 2, "{text}");
    assert!(text.contains("API error: HTTP 400"), "{text}");
    let problem = text
        .lines()
        .find(|l| l.starts_with("url mode failed 2 of 2"))
        .unwrap();
    assert!(
        problem.contains("cannot fetch image") && problem.contains("can it reach --image-url"),
        "{problem}"
    );
    assert!(text.contains("Use --image-mode local"), "{text}");
}

/// The same failure through the command line: `liveclin mock-server --ignore-images`.
#[test]
fn the_mock_server_command_can_ignore_images() {
    let mut server = Command::new(env!("CARGO_BIN_EXE_liveclin"))
        .args(["mock-server", "--data-dir", ".", "--dataset", "demo"])
        .args(["--port", "0", "--ignore-images"])
        .current_dir(crate::common::repo(""))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Kept open while the server runs: it prints more, and a closed pipe would kill it.
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let result = check_vision(&base, "http://127.0.0.1:9/never-fetched.png")
        .assert()
        .try_code(1);
    server.kill().unwrap();
    server.wait().unwrap();
    let text = stdout(result.unwrap().get_output());
    assert!(text.contains("No image mode works"), "{text}");
}

#[test]
fn an_unreachable_endpoint_is_a_connection_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    liveclin()
        .args(["check-vision", "--model", "m", "--max-retries", "1"])
        .args(["--api-base", &format!("http://127.0.0.1:{port}/v1")])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no reply to a text-only message: request connection failed",
        ));
}

#[test]
fn a_non_http_image_url_is_a_usage_error() {
    liveclin()
        .args([
            "check-vision",
            "--model",
            "m",
            "--api-base",
            "http://127.0.0.1:9/v1",
        ])
        .args(["--image-url", "file:///etc/passwd"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--image-url must be an http"));
}
