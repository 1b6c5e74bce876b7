//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use liveclin_net::httpd;
use serde_json::Value;

/// Requests `evaluate` makes before any case: one short preflight probe per endpoint
/// (the mock answers it outside the dataset, so it is never in `Stats::answered`).
pub(crate) const PREFLIGHT: u64 = 1;

/// A path inside the repository.
pub(crate) fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Every line of a JSONL file, parsed.
pub(crate) fn jsonl(relative: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo(relative)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The `liveclin` binary, run from the repository root. Offline: a test never reaches
/// the real Hub (the download tests point it at their own server instead).
pub(crate) fn liveclin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("liveclin").unwrap();
    cmd.current_dir(repo("")).env("HF_HUB_OFFLINE", "1");
    cmd
}

/// The built-in mock model, serving the demo config on a free loopback port from a
/// runtime of its own while the test runs commands against it.
pub(crate) struct MockServer {
    pub base: String,
    pub mock: std::sync::Arc<liveclin_net::mock::Mock>,
    runtime: tokio::runtime::Runtime,
}

impl MockServer {
    /// Stops the server as a crash would: the port refuses connections and the requests
    /// being answered are cut off.
    pub(crate) fn kill(self) {
        self.runtime
            .shutdown_timeout(std::time::Duration::from_millis(100));
    }
}

/// A server of the test's own on a free loopback port, answering on a runtime of its own
/// for as long as the test holds it.
pub(crate) struct LocalServer {
    /// `http://127.0.0.1:PORT`.
    pub root: String,
    pub runtime: tokio::runtime::Runtime,
}

/// Serves `handler` (which routes requests itself) as [`LocalServer`].
pub(crate) fn serve_local<H, F>(handler: H) -> LocalServer
where
    H: Fn(httpd::Request) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = httpd::Response> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(httpd::serve(listener, httpd::BODY_LIMIT, handler));
    LocalServer { root, runtime }
}

pub(crate) fn mock_server(config: liveclin_net::mock::MockConfig) -> MockServer {
    mock_server_of(
        config,
        &repo("data/demo/demo.jsonl"),
        &repo("data/demo/image"),
    )
}

/// The built-in mock model serving another config than the demo.
pub(crate) fn mock_server_of(
    config: liveclin_net::mock::MockConfig,
    jsonl: &Path,
    image_root: &Path,
) -> MockServer {
    let dataset = liveclin_core::dataset::load_jsonl(jsonl).unwrap();
    let mock = std::sync::Arc::new(liveclin_net::mock::Mock::new(
        config,
        &dataset.cases,
        image_root,
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (addr, _server) = runtime
        .block_on(liveclin_net::mock::start(mock.clone(), 0))
        .unwrap();
    MockServer {
        base: format!("http://{addr}/v1"),
        mock,
        runtime,
    }
}

/// The arguments of `liveclin evaluate` of the demo config against `base`, writing `output`.
pub(crate) fn evaluate_args(base: &str, output: &Path, extra: &[&str]) -> Vec<std::ffi::OsString> {
    model_args("mock", base, output, extra)
}

/// As `evaluate_args`, for the model named `model`.
pub(crate) fn model_args(
    model: &str,
    base: &str,
    output: &Path,
    extra: &[&str],
) -> Vec<std::ffi::OsString> {
    let fixed = [
        "evaluate",
        "--model",
        model,
        "--api-base",
        base,
        "--data-dir",
        ".",
        "--dataset",
        "demo",
        "--output",
    ];
    let mut args: Vec<std::ffi::OsString> = fixed.iter().map(Into::into).collect();
    args.push(output.into());
    args.extend(extra.iter().map(Into::into));
    args
}

/// `liveclin evaluate` of the demo config against `base`, writing `output`.
pub(crate) fn evaluate(base: &str, output: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = liveclin();
    cmd.args(evaluate_args(base, output, extra));
    cmd
}

/// `liveclin evaluate` of the demo config in the background (to be killed or interrupted).
pub(crate) fn spawn_evaluate(
    base: &str,
    output: &std::path::Path,
    extra: &[&str],
    stdout: std::process::Stdio,
) -> std::process::Child {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("liveclin"));
    cmd.current_dir(repo(""))
        .env("HF_HUB_OFFLINE", "1")
        .args(evaluate_args(base, output, extra))
        .stdout(stdout)
        .stderr(std::process::Stdio::null());
    cmd.spawn().unwrap()
}

/// "<case id>|<turn>" of every turn in a journal, read leniently: a kill may have cut
/// its last line, even inside a character.
pub(crate) fn journal_turns(path: &std::path::Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["mcq"].is_object())
        .map(|v| {
            format!(
                "{}|{}",
                v["case_id"].as_str().unwrap(),
                v["mcq"]["mcq_index"].as_u64().unwrap() + 1
            )
        })
        .collect()
}

/// Copies a folder and everything in it.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Waits until the journal holds `turns` turns.
pub(crate) fn wait_for_turns(journal: &Path, turns: usize) {
    let started = Instant::now();
    while journal_turns(journal).len() < turns {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run made no progress"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The case ids of a results file, in its order.
pub(crate) fn case_ids(path: &Path) -> Vec<String> {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["case_id"].as_str().unwrap().to_string())
        .collect()
}

/// The `summary` of a results file.
pub(crate) fn summary_of(path: &Path) -> Value {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["summary"].clone()
}

/// Breakdowns whose order among equal counts the official tool leaves to Python's hash
/// seed (modalities first seen in the same type string come out of a `set`).
const SEED_ORDERED: [&str; 2] = ["by_image_modality", "by_table_modality"];

/// Equal values and equal key order, except inside the seed-ordered breakdowns, where
/// the keys must be the same set and sorted by MCQ count, largest first.
pub(crate) fn assert_same(ours: &Value, theirs: &Value, path: &str) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<&String> = a.keys().collect();
            let mut kb: Vec<&String> = b.keys().collect();
            if SEED_ORDERED.iter().any(|k| path.ends_with(k)) {
                let counts: Vec<i64> = a.values().map(|v| v["mcqs"].as_i64().unwrap()).collect();
                assert!(
                    counts.windows(2).all(|w| w[0] >= w[1]),
                    "{path} not sorted by MCQs"
                );
                ka.sort();
                kb.sort();
            }
            assert_eq!(ka, kb, "keys of {path}");
            for (k, v) in a {
                assert_same(v, &b[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(ours, theirs, "value of {path}"),
    }
}

/// Nothing on an HTML page makes the browser fetch anything; it has one inline style and
/// `scripts` inline scripts.
pub(crate) fn assert_self_contained(page: &str, scripts: usize) {
    let lower = page.to_ascii_lowercase();
    for bad in [
        "<script src",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "<image",
        "@import",
        "url(",
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "xlink:href",
    ] {
        assert!(!lower.contains(bad), "the page contains {bad:?}");
    }
    assert_eq!(lower.matches("<script").count(), scripts, "inline scripts");
    assert_eq!(
        lower.matches("<script>").count(),
        scripts,
        "scripts without attributes"
    );
    assert_eq!(lower.matches("<style").count(), 1, "one inline style");
}

/// The `<svg>` element of an HTML page titled `title`.
pub(crate) fn chart<'a>(page: &'a str, title: &str) -> &'a str {
    let marker = format!("aria-label=\"{}\"", liveclin_report::html::escape(title));
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no chart titled {title:?}"));
    let start = page[..at].rfind("<svg").unwrap();
    let end = at + page[at..].find("</svg>").unwrap() + "</svg>".len();
    &page[start..end]
}

/// `--html=PATH` (the flag takes its value after `=`; alone it picks a path under results/).
pub(crate) fn html_flag(path: &Path) -> std::ffi::OsString {
    let mut flag = std::ffi::OsString::from("--html=");
    flag.push(path);
    flag
}

/// `liveclin ARGS --html DIR/sub/page.html` (a folder it must create); checks it succeeded
/// and returns (stdout, stderr, the page).
pub(crate) fn with_html(args: &[&std::ffi::OsStr]) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sub/page.html");
    let output = liveclin().args(args).arg(html_flag(&out)).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    let page = std::fs::read_to_string(&out).unwrap();
    (String::from_utf8(output.stdout).unwrap(), stderr, page)
}
