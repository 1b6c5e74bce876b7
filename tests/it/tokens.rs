//! Token and cost accounting, end to end: a real run against the mock, whose reported
//! usage is added up on both sides of the wire and must agree exactly.

use std::path::Path;
use std::time::Duration;

use liveclin_core::analysis::tokens::grouped;
use liveclin_net::mock::{MockConfig, UsageSums};
use serde_json::{Value, json};

use crate::common::{evaluate, liveclin, mock_server};

fn results(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The results file's `tokens` key, as the mock would write it from what it reported.
fn tokens_key(sums: &UsageSums) -> Value {
    let with_usage = sums.replies - sums.replies_without_usage;
    let field = |tokens: u64| json!({"tokens": tokens, "replies": with_usage});
    json!({
        "replies": sums.replies,
        "replies_without_usage": sums.replies_without_usage,
        "prompt": field(sums.prompt_tokens),
        "completion": field(sums.completion_tokens),
        "cached_prompt": field(sums.cached_tokens),
        "reasoning": field(sums.reasoning_tokens),
    })
}

/// A run whose first attempts meet 429s, 500s, empty and malformed replies and slow
/// answers: the totals in the results file, on the terminal and in `report` are exactly
/// the sums of the usage the mock reported with the replies the run recorded (a failed
/// attempt's, even an empty reply that came with usage, counts on neither side), and the
/// cost is those tokens at the given price.
#[test]
fn totals_equal_the_usage_the_mock_reported_through_retries() {
    let server = mock_server(MockConfig {
        seed: 5,
        retry_after: 0,
        reply_padding: 300,
        slow: Duration::from_millis(50),
        faults: [
            ("429", 0.1),
            ("500", 0.1),
            ("empty", 0.1),
            ("malformed", 0.05),
            ("slow", 0.05),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .into(),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run = evaluate(
        &server.base,
        &output,
        &[
            "--image-mode",
            "local",
            "--concurrency",
            "4",
            "--price",
            "2.5,10,1.25",
        ],
    )
    .assert()
    .success();
    let stats = server.mock.stats();
    assert!(stats.faults >= 10, "faults were injected: {}", stats.faults);
    let sums = stats.usage;
    assert_eq!(sums.replies, 72, "every MCQ of the demo answered once");
    assert!(
        sums.cached_tokens > 0 && sums.reasoning_tokens > 0,
        "{sums:?}"
    );
    assert!(sums.cached_tokens < sums.prompt_tokens, "{sums:?}");

    let file = results(&output);
    let mut expected = tokens_key(&sums);
    let cost = |tokens: u64, usd: f64| tokens as f64 * usd / 1e6;
    let input = cost(sums.prompt_tokens - sums.cached_tokens, 2.5);
    let cached = cost(sums.cached_tokens, 1.25);
    let output_usd = cost(sums.completion_tokens, 10.0);
    let written = file["tokens"]["cost_usd"].clone();
    for (key, usd) in [
        ("input", input),
        ("cached_input", cached),
        ("output", output_usd),
        ("total", input + cached + output_usd),
    ] {
        let got = written[key].as_f64().unwrap();
        assert!((got - usd).abs() < 1e-9, "{key}: {got} vs {usd}");
    }
    expected["cost_usd"] = written;
    assert_eq!(file["tokens"], expected);
    assert_eq!(
        file["meta"]["price"],
        json!({"input": 2.5, "output": 10.0, "cached": 1.25})
    );

    let line = format!(
        "  Tokens: {} prompt ({} cached), {} completion ({} reasoning) over 72 replies\n  Cost: ${:.2} ",
        grouped(sums.prompt_tokens),
        grouped(sums.cached_tokens),
        grouped(sums.completion_tokens),
        grouped(sums.reasoning_tokens),
        input + cached + output_usd
    );
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains(&line), "{line}\nnot in\n{stderr}");
    assert!(
        stderr.contains(" at $2.50 in, $10.00 out, $1.25 cached per million tokens\n"),
        "{stderr}"
    );

    // `report` reads the same totals and the recorded price; `--price` replaces it.
    let report = liveclin().arg("report").arg(&output).assert().success();
    let stderr = String::from_utf8_lossy(&report.get_output().stderr).into_owned();
    assert!(stderr.contains(&line), "{stderr}");
    let repriced = liveclin()
        .arg("report")
        .arg(&output)
        .args(["--price", "1,1"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&repriced.get_output().stderr).into_owned();
    let all = cost(sums.prompt_tokens + sums.completion_tokens, 1.0);
    assert!(
        stderr.contains(&format!("  Cost: ${:.2} ", all))
            && stderr.contains(" at $1.00 in, $1.00 out per million tokens\n"),
        "{stderr}"
    );
}

/// A server that sends no usage: every reply is counted as without usage, no token is
/// made up, and the page and the terminal say so.
#[test]
fn replies_without_usage_are_not_zeros() {
    let server = mock_server(MockConfig {
        omit_usage: true,
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run = evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--price", "3,15"],
    )
    .assert()
    .success();
    let sums = server.mock.stats().usage;
    assert_eq!((sums.replies, sums.replies_without_usage), (72, 72));
    let file = results(&output);
    // No cost: nothing was counted, which is not free.
    assert_eq!(file["tokens"], tokens_key(&sums));
    assert_eq!(file["meta"]["price"], json!({"input": 3.0, "output": 15.0}));
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains("  Tokens: none reported (the 72 replies have no usage; the official tool does not keep it)\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("Cost:"), "{stderr}");
    let page = dir.path().join("page.html");
    liveclin()
        .arg("report")
        .arg(&output)
        .arg(format!("--html={}", page.display()))
        .assert()
        .success();
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.contains("<dt>Tokens</dt><dd>not reported (no reply has its usage)</dd>"));
}

/// The official tool keeps no usage: its results file's report says so, priced or not.
#[test]
fn an_official_results_file_has_no_tokens_to_count() {
    let report = liveclin()
        .args([
            "report",
            "tests/fixtures/official/mock-results-url.json",
            "--price",
            "2.5,10",
        ])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&report.get_output().stderr).into_owned();
    assert!(
        stderr.contains("  Tokens: none reported (the 72 replies have no usage; the official tool does not keep it)\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("Cost:"), "{stderr}");
}

/// The page's header shows the tokens and the cost at `report --price`.
#[test]
fn the_page_shows_tokens_and_cost() {
    let server = mock_server(MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    evaluate(&server.base, &output, &["--image-mode", "url"])
        .assert()
        .success();
    assert!(results(&output)["meta"].get("price").is_none());
    assert!(results(&output)["tokens"].get("cost_usd").is_none());
    let page = dir.path().join("page.html");
    liveclin()
        .arg("report")
        .arg(&output)
        .arg(format!("--html={}", page.display()))
        .args(["--price", "1000000,0"])
        .assert()
        .success();
    let html = std::fs::read_to_string(page).unwrap();
    let sums = server.mock.stats().usage;
    // At $1 a token, the input costs one dollar per prompt token, cached ones too.
    let row = format!(
        "<dt>Cost</dt><dd>${}.00 (input ${}.00, cached input ${}.00, output $0.00) at $1000000.00 in, $0.00 out per million tokens</dd>",
        sums.prompt_tokens,
        sums.prompt_tokens - sums.cached_tokens,
        sums.cached_tokens
    );
    assert!(html.contains(&row), "{row}");
    assert!(html.contains(&format!(
        "<dt>Tokens</dt><dd>{} prompt",
        grouped(sums.prompt_tokens)
    )));
}

/// A bad `--price` is refused before anything runs, naming the flag and the format.
#[test]
fn a_bad_price_names_the_flag() {
    for (command, price) in [
        ("report", "2.5"),
        ("evaluate", "a,1"),
        ("demo", "1,-1"),
        ("report", "1,2,3,4"),
    ] {
        let mut cmd = liveclin();
        cmd.arg(command);
        if command == "report" {
            cmd.arg("tests/fixtures/official/mock-results-url.json");
        }
        if command == "evaluate" {
            cmd.args(["--model", "m", "--api-base", "http://127.0.0.1:9/v1"]);
        }
        let out = cmd.args(["--price", price]).assert().failure().code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains("--price <INPUT,OUTPUT[,CACHED]>"),
            "{stderr}"
        );
        assert!(stderr.contains("USD per million tokens"), "{stderr}");
    }
}

/// `demo --price` prices the demo run.
#[test]
fn the_demo_takes_a_price() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("demo.json");
    let run = liveclin()
        .args(["demo", "--price", "2.5,10", "--output"])
        .arg(&output)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains("  Cost: $"), "{stderr}");
    assert_eq!(
        results(&output)["meta"]["price"],
        json!({"input": 2.5, "output": 10.0})
    );
}

/// A run stopped by SIGTERM says what it has used so far (its unfinished cases' answered
/// turns included), and after `--resume` (which keeps the recorded price) the totals are
/// again exactly what the mock reported over both runs: no turn is counted twice or lost.
#[cfg(unix)]
#[test]
fn a_stopped_run_counts_what_it_used_and_its_resume_adds_up() {
    let server = mock_server(MockConfig {
        latency: Duration::from_millis(40),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let journal = dir.path().join("run.json.journal.jsonl");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("liveclin"))
        .current_dir(crate::common::repo(""))
        .env("HF_HUB_OFFLINE", "1")
        .args(crate::common::evaluate_args(
            &server.base,
            &output,
            &[
                "--image-mode",
                "url",
                "--concurrency",
                "3",
                "--price",
                "1,1",
            ],
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    crate::common::wait_for_turns(&journal, 12);
    // SAFETY: a plain kill(2) of the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let stopped = child.wait_with_output().unwrap();
    assert_eq!(stopped.status.code(), Some(130));
    let file = results(&output);
    let records: Vec<&Value> = ["cases", "unfinished_cases"]
        .iter()
        .filter_map(|key| file[key].as_array())
        .flatten()
        .flat_map(|case| case["mcqs"].as_array().unwrap())
        .collect();
    // Usually some cases are unfinished (not always: the cases in flight may all have been
    // on their last turn); core's tests check that those count on their own.
    let prompt: u64 = records
        .iter()
        .map(|m| m["usage"]["prompt_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(file["tokens"]["replies"], records.len());
    assert_eq!(file["tokens"]["prompt"]["tokens"], prompt);
    let stderr = String::from_utf8_lossy(&stopped.stderr).into_owned();
    assert!(
        stderr.contains(&format!("  Tokens: {} prompt (", grouped(prompt)))
            && stderr.contains("  Cost: $"),
        "{stderr}"
    );

    evaluate(&server.base, &output, &["--image-mode", "url", "--resume"])
        .assert()
        .success();
    let sums = server.mock.stats().usage;
    assert_eq!(sums.replies, 72, "no turn was answered twice");
    let resumed = results(&output);
    // The resume, given no --price, keeps the one the stopped run recorded.
    assert_eq!(
        resumed["meta"]["price"],
        json!({"input": 1.0, "output": 1.0})
    );
    let cost = resumed["tokens"]["cost_usd"].clone();
    let all = (sums.prompt_tokens + sums.completion_tokens) as f64 / 1e6;
    assert!(
        (cost["total"].as_f64().unwrap() - all).abs() < 1e-9,
        "{cost}"
    );
    let mut expected = tokens_key(&sums);
    expected["cost_usd"] = cost;
    assert_eq!(resumed["tokens"], expected);
}
