//! The first mistake gets a clear answer in seconds: preflight of every endpoint, the
//! circuit breaker, failure reasons on the terminal, progress without a terminal.

use std::time::Duration;

use liveclin_net::mock::MockConfig;

use crate::common::{evaluate, mock_server};

/// The printed resume command never holds the key, and says it must be given again.
#[test]
fn the_resume_command_names_the_key_source_never_the_key() {
    let server = mock_server(MockConfig {
        latency: Duration::from_millis(100),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let child = crate::common::spawn_evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--api-key", "sk-hidden-42"],
        std::process::Stdio::piped(),
    );
    crate::common::wait_for_turns(&dir.path().join("run.json.journal.jsonl"), 2);
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("sk-hidden-42"), "{stdout}");
    assert!(
        stdout.contains("--api-key was given on the command line"),
        "{stdout}"
    );
}

/// `liveclin evaluate` of the demo against `base` with `extra` flags: it must fail with
/// exit 2 in under 5 s, write no results, and say `says`; returns stderr.
fn refused_in_seconds(base: &str, extra: &[&str], says: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let started = std::time::Instant::now();
    let out = evaluate(base, &output, extra)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(5),
        "took {elapsed:?}: {stderr}"
    );
    assert!(stderr.contains(says), "wanted {says:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!output.exists(), "no results file pretending to be a score");
    stderr
}

/// A wrong key, a missing /v1, a wrong model, http against https and a dead port each
/// stop `evaluate` in seconds with the fix named.
#[test]
fn first_mistakes_stop_the_run_in_seconds_with_the_fix() {
    let server = mock_server(MockConfig {
        api_key: Some("sk-right".into()),
        strict_model: true,
        ..MockConfig::default()
    });
    let url = ["--image-mode", "url"];
    let with = |more: &[&'static str]| -> Vec<&str> { url.iter().chain(more).copied().collect() };
    let stderr = refused_in_seconds(
        &server.base,
        &with(&["--api-key", "sk-wrong-77"]),
        "refused the API key",
    );
    assert!(
        stderr.contains("came from --api-key") && !stderr.contains("sk-wrong-77"),
        "{stderr}"
    );

    let root = server.base.trim_end_matches("/v1");
    refused_in_seconds(
        root,
        &with(&["--api-key", "sk-right"]),
        &format!("use --api-base {root}/v1"),
    );

    let https = server.base.replace("http://", "https://");
    refused_in_seconds(
        &https,
        &with(&["--api-key", "sk-right"]),
        "speaks http, not https",
    );

    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1", listener.local_addr().unwrap())
    };
    refused_in_seconds(
        &dead,
        &with(&["--api-key", "sk-right"]),
        "nothing is listening",
    );
    assert_eq!(
        server.mock.stats().answered.len(),
        0,
        "no question was asked"
    );
}

#[test]
fn an_unknown_model_is_named_with_the_models_the_server_has() {
    let server = mock_server(MockConfig {
        strict_model: true,
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::liveclin()
        .args(crate::common::model_args(
            "gpt-wrong",
            &server.base,
            &dir.path().join("run.json"),
            &["--image-mode", "url"],
        ))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("model \"gpt-wrong\" is not served here") && stderr.contains("lists: mock"),
        "{stderr}"
    );
}

/// A key revoked mid-run (every call answered 401): the circuit breaker stops the run at
/// once, writes what finished, names the cause, the server's message and the fix; exit 3.
#[test]
fn the_circuit_breaker_stops_a_run_whose_calls_all_fail_the_same_way() {
    let server = mock_server(MockConfig {
        faults: [("401".to_string(), 1.0)].into(),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run = evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--concurrency", "2"],
    )
    .timeout(Duration::from_secs(30))
    .assert()
    .code(3);
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("authentication (HTTP 401/403)"), "{stderr}");
    assert!(stderr.contains("key revoked (injected)"), "{stderr}");
    assert!(stderr.contains("Fix: check the API key"), "{stderr}");
    // Stopped at once: not one call per question (72), only the cases in flight.
    assert!(
        server.mock.stats().requests <= 4,
        "{:?}",
        server.mock.stats().requests
    );
    assert!(output.exists());
}

/// The end of a run lists failures by cause with a count, one message and the fix.
#[test]
fn failures_are_grouped_by_cause_at_the_end() {
    let server = mock_server(MockConfig {
        faults: [("400".to_string(), 0.1)].into(),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run = evaluate(&server.base, &output, &["--image-mode", "url"])
        .assert()
        .code(3);
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("Failed questions by cause:"), "{stderr}");
    assert!(
        stderr.contains("request rejected (HTTP 4xx): HTTP 400"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fix: read the server's message"),
        "{stderr}"
    );
}

/// `evaluate | head`: a reader gone from stdout changes nothing (results saved, exit 0).
#[test]
fn a_closed_stdout_does_not_end_a_run() {
    let server = mock_server(MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let mut child = crate::common::spawn_evaluate(
        &server.base,
        &output,
        &["--image-mode", "url"],
        std::process::Stdio::piped(),
    );
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(crate::common::summary_of(&output)["total_cases"], 16);
}

/// Without a terminal, the plain lines say "estimating" until a question has been
/// answered, then an ETA from the questions' latency, always with the time elapsed.
#[test]
fn plain_progress_estimates_first_then_gives_an_eta_and_the_time_elapsed() {
    // Much slower than the first line (0.3 s), so that it comes before any answer.
    let server = mock_server(MockConfig {
        latency: Duration::from_millis(1000),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run = evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--progress-interval", "0.3"],
    )
    .assert()
    .success();
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    let line = regex::Regex::new(
        r"^\[(\d+)s\] \d+/16 cases, (\d+)/72 MCQs, (ETA estimating|\S+ MCQs/s, ETA ([^,]+)|\S+/MCQ, ETA ([^,]+)), Q-Acc",
    )
    .unwrap();
    let lines: Vec<_> = stderr.lines().filter_map(|l| line.captures(l)).collect();
    assert!(lines.len() >= 4, "{stderr}");
    assert_eq!(&lines[0][3], "ETA estimating", "{stderr}");
    assert_eq!(&lines[0][2], "0", "nothing answered yet: {stderr}");
    let eta_mid_run = lines.iter().find(|c| {
        let eta = c.get(4).or(c.get(5)).map(|m| m.as_str());
        &c[2] != "72" && eta.is_some_and(|eta| eta != "0s")
    });
    assert!(
        eta_mid_run.is_some(),
        "an ETA while questions are left: {stderr}"
    );
    let last = lines.last().unwrap();
    assert_eq!(&last[2], "72", "{stderr}");
    assert!(last[3].ends_with("ETA 0s"), "{stderr}");
    let elapsed: u64 = last[1].parse().unwrap();
    assert!(elapsed >= 5, "a case of six questions of 1 s: {stderr}");
}
