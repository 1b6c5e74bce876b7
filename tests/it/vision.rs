//! `liveclin check-vision` against the built-in mock model, which really decodes the
//! pictures it is sent (and fetches URLs from a picture server on loopback).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use http::{Method, StatusCode};
use liveclin_net::httpd::{self, Request, Response};
use liveclin_net::mock::MockConfig;
use liveclin_net::vision::checks::url_colours;
use liveclin_net::vision::picture::look;

use crate::common::{liveclin, mock_server, serve_local};

/// Serves the files of a folder as PNGs (404 for a missing one) on a free loopback port,
/// from a runtime of its own, as a user would host the written test pictures; keeps the
/// names of the files asked for.
struct PictureServer {
    base: String,
    requested: Arc<Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

/// `GET /{file}`: the file's bytes as a PNG, or a 404.
async fn serve_file(
    dir: PathBuf,
    requested: Arc<Mutex<Vec<String>>>,
    request: Request,
) -> Response {
    let file = match request.uri().path().strip_prefix('/') {
        Some(file) if !file.is_empty() && !file.contains('/') => httpd::percent_decode(file),
        _ => return httpd::status(StatusCode::NOT_FOUND),
    };
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return httpd::method_not_allowed("GET,HEAD");
    }
    requested.lock().unwrap().push(file.clone());
    match tokio::fs::read(dir.join(file)).await {
        Ok(bytes) => httpd::with_type(StatusCode::OK, "image/png", bytes),
        Err(_) => httpd::status(StatusCode::NOT_FOUND),
    }
}

fn picture_server(dir: &std::path::Path) -> PictureServer {
    let requested: Arc<Mutex<Vec<String>>> = Arc::default();
    let (dir, files) = (dir.to_path_buf(), Arc::clone(&requested));
    let server = serve_local(move |request| serve_file(dir.clone(), files.clone(), request));
    PictureServer {
        base: server.root,
        requested,
        _runtime: server.runtime,
    }
}

/// A folder holding what `liveclin check-vision --write-pictures` wrote into it.
fn written_pictures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    liveclin()
        .args(["check-vision", "--write-pictures"])
        .arg(dir.path())
        .assert()
        .success();
    dir
}

/// `liveclin check-vision` of the mock model at `api_base`.
fn check_vision(api_base: &str) -> assert_cmd::Command {
    let mut cmd = liveclin();
    cmd.args(["check-vision", "--model", "mock", "--api-base", api_base]);
    cmd
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn lines_starting<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn hosted_pictures_make_url_mode_pass_real_colour_checks() {
    let mock = mock_server(MockConfig::default());
    let dir = written_pictures();
    let pictures = picture_server(dir.path());
    let secret = "sk-vision-check-secret";
    let output = check_vision(&mock.base)
        .args(["--picture-url", &format!("{}/", pictures.base)])
        .args(["--api-key", secret])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = stdout(&output);
    assert_eq!(lines_starting(&text, "PASS").len(), 6, "{text}");
    assert!(lines_starting(&text, "FAIL").is_empty(), "{text}");
    assert!(!text.contains("weak"), "{text}");
    // The mock named what it saw: the generated pictures, and the ones it fetched.
    let local = lines_starting(&text, "PASS  local").join("\n");
    for reply in [
        "\"Yellow.\"",
        "\"image 1: red; image 2: blue.\"",
        "\"Green.\"",
    ] {
        assert!(local.contains(reply), "{reply} in {local}");
    }
    let url = lines_starting(&text, "PASS  url").join("\n");
    for reply in [
        "\"Blue.\"",
        "\"image 1: green; image 2: yellow.\"",
        "\"Red.\"",
    ] {
        assert!(url.contains(reply), "{reply} in {url}");
    }
    let mut fetched = pictures.requested.lock().unwrap().clone();
    fetched.sort();
    fetched.dedup();
    assert_eq!(fetched, ["blue.png", "green.png", "red.png", "yellow.png"]);
    assert!(text.contains("Use either --image-mode local or --image-mode url"));
    // The key was sent, and never shown.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!text.contains(secret) && !stderr.contains(secret));
    let sent = mock.mock.stats().bearer_tokens;
    assert!(sent.contains_key(&format!("Bearer {secret}")), "{sent:?}");
}

#[test]
fn an_endpoint_that_ignores_images_fails_url_mode_even_with_hosted_pictures() {
    let mock = mock_server(MockConfig {
        ignore_images: true,
        ..MockConfig::default()
    });
    let dir = written_pictures();
    let pictures = picture_server(dir.path());
    let output = check_vision(&mock.base)
        .args(["--picture-url", &pictures.base])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = stdout(&output);
    assert_eq!(lines_starting(&text, "FAIL").len(), 6, "{text}");
    assert!(lines_starting(&text, "PASS").is_empty(), "{text}");
    assert!(text.contains("(says it sees no picture)"), "{text}");
    for mode in ["local mode failed 3 of 3", "url mode failed 3 of 3"] {
        let problem = lines_starting(&text, mode);
        let problem = problem.first().expect(mode);
        assert!(problem.contains("it does not see images"), "{problem}");
        assert!(problem.contains("--enable-multimodal"), "{problem}");
    }
    assert!(text.contains("No image mode works"), "{text}");
    assert!(!text.contains("Use "), "{text}");
}

#[test]
fn without_hosted_pictures_url_checks_are_weak_and_never_recommended() {
    let mock = mock_server(MockConfig::default());
    let dir = written_pictures();
    let pictures = picture_server(dir.path());
    let output = check_vision(&mock.base)
        .args(["--image-url", &format!("{}/blue.png", pictures.base)])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = stdout(&output);
    let local = lines_starting(&text, "PASS  local");
    assert_eq!(local.len(), 3, "{text}");
    assert!(local.iter().all(|l| !l.contains("weak")), "{text}");
    let url = lines_starting(&text, "PASS  url");
    assert_eq!(url.len(), 2, "{text}");
    assert!(url.iter().all(|l| l.ends_with("[weak check]")), "{text}");
    assert!(
        text.contains("A plain blue picture of 64x64 pixels"),
        "{text}"
    );
    let unverified = lines_starting(&text, "url mode is unverified");
    let unverified = unverified.first().expect("a line on url mode");
    assert!(unverified.contains("--write-pictures DIR"), "{unverified}");
    assert!(unverified.contains("--picture-url"), "{unverified}");
    assert_eq!(
        text.lines().last(),
        Some("Use --image-mode local (pictures sent inline as base64 data URIs).")
    );
    assert!(!text.contains("--image-mode url"), "{text}");
}

#[test]
fn write_pictures_writes_pngs_of_the_named_colours() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("to/host");
    let output = liveclin()
        .args(["check-vision", "--write-pictures"])
        .arg(&target)
        .assert()
        .success()
        .get_output()
        .clone();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&target).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert_eq!(path.extension().unwrap(), "png", "{path:?}");
        let seen = look(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(seen.colour, name, "{path:?}");
        names.push(name);
    }
    names.sort();
    let mut wanted = url_colours();
    wanted.sort();
    assert_eq!(names, wanted);
    let text = stdout(&output);
    assert!(text.contains(&target.display().to_string()), "{text}");
    assert!(text.contains("--picture-url http://HOST:8080/"), "{text}");
}

#[test]
fn a_server_that_cannot_fetch_the_pictures_is_told_to_use_local_mode() {
    let mock = mock_server(MockConfig::default());
    let empty = tempfile::tempdir().unwrap();
    let pictures = picture_server(empty.path());
    let output = check_vision(&mock.base)
        .args(["--picture-url", &pictures.base])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = stdout(&output);
    assert_eq!(lines_starting(&text, "PASS  local").len(), 3, "{text}");
    assert_eq!(lines_starting(&text, "FAIL  url").len(), 3, "{text}");
    assert!(text.contains("API error: HTTP 400"), "{text}");
    let problem = lines_starting(&text, "url mode failed 3 of 3");
    let problem = problem.first().expect("a line on url mode");
    assert!(
        problem.contains("cannot fetch image") && problem.contains("can it reach --picture-url"),
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
    let result = check_vision(&base)
        .args(["--image-url", "http://127.0.0.1:9/never-fetched.png"])
        .assert()
        .try_code(1);
    server.kill().unwrap();
    server.wait().unwrap();
    let text = stdout(result.unwrap().get_output());
    // Weak checks prove little when they pass, but their failure is a real one.
    let url = lines_starting(&text, "FAIL  url");
    assert_eq!(url.len(), 2, "{text}");
    assert!(url.iter().all(|l| l.ends_with("[weak check]")), "{text}");
    assert!(text.contains("url mode failed 2 of 2"), "{text}");
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
fn non_http_picture_urls_are_usage_errors() {
    for flag in ["--image-url", "--picture-url"] {
        liveclin()
            .args(["check-vision", "--model", "m"])
            .args(["--api-base", "http://127.0.0.1:9/v1"])
            .args([flag, "file:///etc/passwd"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!("{flag} must be an http")));
    }
}

#[test]
fn write_pictures_stands_alone_and_the_model_is_otherwise_required() {
    let dir = tempfile::tempdir().unwrap();
    liveclin()
        .args(["check-vision", "--model", "m", "--write-pictures"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    liveclin()
        .args(["check-vision", "--api-base", "http://127.0.0.1:9/v1"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--model"));
}
