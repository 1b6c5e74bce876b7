//! `liveclin evaluate` over real HTTP against the built-in mock on 127.0.0.1.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use liveclin_net::mock::MockConfig;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::{
    PREFLIGHT, assert_same, evaluate, journal_turns, liveclin, mock_server, model_args, repo,
    spawn_evaluate, summary_of,
};

/// The mock the official tool was run against for `mock-results-url.json`.
fn fixture_mock(faults: &[(&str, f64)]) -> MockConfig {
    MockConfig {
        accuracy: 0.6,
        seed: 3,
        retry_after: 0,
        faults: faults.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..MockConfig::default()
    }
}

/// The official evaluate.py, run against `liveclin mock-server --accuracy 0.6 --seed 3
/// --faults 429=0.1,500=0.1,empty=0.05,malformed=0.05` on the demo config, wrote
/// `tests/fixtures/official/mock-results-url.json`. Ours, against the same endpoint with
/// the same faults, writes the same summary.
#[test]
fn full_run_gives_the_official_summary() {
    let server = mock_server(fixture_mock(&[
        ("429", 0.1),
        ("500", 0.1),
        ("empty", 0.05),
        ("malformed", 0.05),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--concurrency", "4"],
    )
    .assert()
    .success()
    .stdout(predicate::str::contains("Results saved to:"))
    .stdout(predicate::str::contains(
        "Question Accuracy:  52/72 (72.2%)",
    ));
    let official = summary_of(&repo("tests/fixtures/official/mock-results-url.json"));
    assert_same(&summary_of(&output), &official, "summary");
    let stats = server.mock.stats();
    assert!(stats.faults >= 10, "faults were injected: {}", stats.faults);
    assert_eq!(stats.rejected, 0, "every request was well formed");
}

/// Every fault kind (429, 500, slow, hang past the timeout, malformed body, empty reply)
/// is ridden out: the summary equals a fault-free run's.
#[test]
fn every_fault_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.json");
    let clean_server = mock_server(fixture_mock(&[]));
    evaluate(
        &clean_server.base,
        &clean,
        &["--image-mode", "local", "--concurrency", "8"],
    )
    .assert()
    .success();

    let faults = [
        ("429", 0.1),
        ("500", 0.1),
        ("slow", 0.05),
        ("hang", 0.05),
        ("malformed", 0.1),
        ("empty", 0.1),
    ];
    let mut config = fixture_mock(&faults);
    config.slow = Duration::from_millis(300);
    let server = mock_server(config);
    let faulty = dir.path().join("faulty.json");
    evaluate(
        &server.base,
        &faulty,
        &[
            "--image-mode",
            "local",
            "--concurrency",
            "16",
            "--timeout",
            "1",
        ],
    )
    .assert()
    .success();
    assert!(server.mock.stats().faults >= 20);
    assert_eq!(summary_of(&faulty), summary_of(&clean));
}

/// A permanent failure (400) is recorded on its MCQ, the rest of the case is skipped, and
/// it is not retried.
#[test]
fn permanent_failures_are_recorded_not_retried() {
    let server = mock_server(fixture_mock(&[("400", 0.08)]));
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    evaluate(&server.base, &output, &["--image-mode", "url"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "Tip: re-run with --resume to retry failed cases.",
        ));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let mut failed = Vec::new();
    for case in file["cases"].as_array().unwrap() {
        let mcqs = case["mcqs"].as_array().unwrap();
        if let Some(at) = mcqs.iter().position(|m| m["error"].is_string()) {
            failed.push((case["case_id"].clone(), at));
            assert!(
                mcqs[at]["error"].as_str().unwrap().contains("HTTP 400"),
                "{}",
                mcqs[at]["error"]
            );
            for later in &mcqs[at + 1..] {
                assert_eq!(later["error"], "Skipped: prior question failed");
            }
        }
    }
    let failed_count = failed.len();
    // Every MCQ has an outcome; the counts add up and say what the accuracy hides.
    let outcomes = &file["outcomes"];
    let mcqs: u64 = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["mcqs"].as_array().unwrap().len() as u64)
        .sum();
    let kinds = [
        "correct",
        "wrong",
        "no_answer",
        "cut_off",
        "api_failure",
        "skipped",
    ];
    let sum: u64 = kinds.iter().map(|k| outcomes[k].as_u64().unwrap()).sum();
    assert_eq!((sum, outcomes["mcqs"].as_u64().unwrap()), (mcqs, mcqs));
    assert_eq!(
        outcomes["api_failure"].as_u64().unwrap() as usize,
        failed_count
    );
    let skipped = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["mcqs"].as_array().unwrap())
        .filter(|m| m["outcome"] == "skipped")
        .count();
    assert_eq!(outcomes["skipped"].as_u64().unwrap() as usize, skipped);
    assert_eq!(
        outcomes["answered"].as_u64().unwrap(),
        mcqs - failed_count as u64 - skipped as u64
    );
    liveclin()
        .arg("report")
        .arg(&output)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "{failed_count} API failures, {skipped} skipped: Question Accuracy counts these"
        )));
    let stats = server.mock.stats();
    assert!(
        failed_count > 0 && stats.faults as usize == failed_count,
        "{failed_count} failed, {} faults",
        stats.faults
    );
    // One request per answered turn plus exactly one per permanent failure.
    let answered: u64 = stats.answered.values().sum();
    assert_eq!(stats.requests, PREFLIGHT + answered + stats.faults);
    // Resuming asks the failed questions again (the injected fault hits only a first
    // attempt), so each of them is answered now. (A question skipped before may meet its
    // own first-attempt fault now.)
    evaluate(&server.base, &output, &["--image-mode", "url", "--resume"])
        .assert()
        .code(predicate::in_iter([0, 3]));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    for (id, at) in failed {
        let case = file["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["case_id"] == id)
            .unwrap();
        assert!(
            case["mcqs"][at]["error"].is_null(),
            "case {id} Q{} answered on resume",
            at + 1
        );
    }
}

/// `Retry-After` is honoured: the next attempt waits at least that long.
#[test]
fn retry_after_is_honoured() {
    let mut config = fixture_mock(&[("429", 0.1)]);
    config.retry_after = 1;
    let server = mock_server(config);
    let dir = tempfile::tempdir().unwrap();
    evaluate(
        &server.base,
        &dir.path().join("run.json"),
        &["--image-mode", "url", "--concurrency", "16"],
    )
    .assert()
    .success();
    let gaps = server.mock.stats().retry_gaps_ms;
    assert!(!gaps.is_empty());
    assert!(gaps.iter().all(|g| *g >= 1000), "{gaps:?}");
}

/// A run killed with SIGKILL part-way and resumed gives exactly the summary of an
/// uninterrupted run, and no journalled turn is asked again.
#[test]
fn killed_run_resumes_without_asking_twice() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.json");
    let whole_server = mock_server(fixture_mock(&[]));
    evaluate(&whole_server.base, &whole, &["--image-mode", "local"])
        .assert()
        .success();

    let mut config = fixture_mock(&[]);
    config.latency = Duration::from_millis(100);
    let server = mock_server(config);
    let output = dir.path().join("run.json");
    let journal = dir.path().join("run.json.journal.jsonl");
    let mut child = spawn_evaluate(
        &server.base,
        &output,
        &["--image-mode", "local", "--concurrency", "4"],
        std::process::Stdio::null(),
    );
    let started = Instant::now();
    while journal_turns(&journal).len() < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done_before = journal_turns(&journal);
    assert!(done_before.len() < 72, "killed before the end");

    evaluate(
        &server.base,
        &output,
        &["--image-mode", "local", "--resume"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("Resuming from"));
    assert_eq!(summary_of(&output), summary_of(&whole));
    let answered = server.mock.stats().answered;
    for key in &done_before {
        assert_eq!(answered[key], 1, "turn {key} was asked again");
    }
}

/// A results file written by the official tool (with failed cases) is resumed: finished
/// cases are kept untouched, failed ones continue after their last answered turn.
#[test]
fn official_results_file_is_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("official.json");
    std::fs::copy(repo("tests/fixtures/official/results-url.json"), &output).unwrap();
    let before: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let server = mock_server(fixture_mock(&[]));
    // The official run's model was called "m"; resuming it as another model is refused.
    evaluate(&server.base, &output, &["--image-mode", "url", "--resume"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("other settings"));
    liveclin()
        .args(model_args(
            "m",
            &server.base,
            &output,
            &["--image-mode", "url", "--resume"],
        ))
        .assert()
        .success()
        // The official tool left the id of the case without pmc/pmid/doi empty; it is
        // placed on the dataset's one case without an id by what they share, and kept.
        .stderr(predicate::str::contains("13 cases finished, 3 to run"));
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let by_id = |file: &Value| -> HashMap<String, Value> {
        file["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["case_id"].as_str().unwrap().to_string(), c.clone()))
            .collect()
    };
    let (before, after) = (by_id(&before), by_id(&after));
    assert_eq!(after.len(), 16);
    let noid = after.keys().find(|id| id.starts_with("NOID_")).unwrap();
    let mut asked = 0;
    for (id, old) in &before {
        let new = &after[if id.is_empty() { noid } else { id }];
        let old_mcqs = old["mcqs"].as_array().unwrap();
        let answered_before = old_mcqs.iter().take_while(|m| m["error"].is_null()).count();
        for (old_m, new_m) in old_mcqs
            .iter()
            .zip(new["mcqs"].as_array().unwrap())
            .take(answered_before)
        {
            assert_eq!(
                old_m["model_response"], new_m["model_response"],
                "case {id} kept its answers"
            );
        }
        assert!(
            new["mcqs"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["error"].is_null())
        );
        asked += old_mcqs.len() - answered_before;
    }
    assert_eq!(
        server.mock.stats().requests as usize,
        PREFLIGHT as usize + asked,
        "only the unanswered turns were asked"
    );
}

/// The API key reaches the server and no file, no output.
#[test]
fn api_key_is_never_written() {
    let server = mock_server(fixture_mock(&[("400", 0.05)]));
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let secret = "sk-SECRET-do-not-store-1234";
    let run = evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--api-key", secret, "--verbose"],
    )
    .assert()
    .code(3);
    let out = run.get_output();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(secret));
    // A second run started afresh moves the first run's files to a backup.
    evaluate(
        &server.base,
        &output,
        &[
            "--image-mode",
            "url",
            "--limit",
            "1",
            "--api-key",
            secret,
            "--overwrite",
        ],
    )
    .assert()
    .code(predicate::in_iter([0, 3]))
    .stderr(predicate::str::contains("moved to"));
    assert!(dir.path().join("run.backup-1.json.journal.jsonl").is_file());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(secret));
    }
    assert_eq!(
        server.mock.stats().bearer_tokens.keys().collect::<Vec<_>>(),
        [&format!("Bearer {secret}")]
    );
    // From the environment when the flag is absent.
    evaluate(
        &server.base,
        &dir.path().join("env.json"),
        &["--image-mode", "url", "--limit", "1"],
    )
    .env("LIVECLIN_API_KEY", "sk-from-env")
    .env_remove("OPENAI_API_KEY")
    .assert()
    .code(predicate::in_iter([0, 3]));
    assert!(
        server
            .mock
            .stats()
            .bearer_tokens
            .contains_key("Bearer sk-from-env")
    );
}

/// Ctrl-C stops cleanly: partial results are written and the resume command printed.
#[test]
fn interrupt_writes_partial_results_and_says_how_to_resume() {
    let mut config = fixture_mock(&[]);
    config.latency = Duration::from_millis(100);
    let server = mock_server(config);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let child = spawn_evaluate(
        &server.base,
        &output,
        &[
            "--image-mode",
            "url",
            "--concurrency",
            "2",
            "--api-key",
            "sk-secret-x",
        ],
        std::process::Stdio::piped(),
    );
    let journal = dir.path().join("run.json.journal.jsonl");
    let started = Instant::now();
    while journal_turns(&journal).len() < 8 {
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("--resume") && !stdout.contains("sk-secret-x"),
        "{stdout}"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    assert!(file["cases"].as_array().unwrap().len() < 16);
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("demo.json");
    crate::common::liveclin()
        .args(["demo", "--output"])
        .arg(&output)
        .assert()
        .success()
        .stdout(predicate::str::contains("LiveClin Results: mock (demo)"))
        .stdout(predicate::str::contains(format!(
            "Detailed results: {}",
            output.display()
        )));
    let summary = summary_of(&output);
    assert_eq!(summary["total_cases"], 16);
    assert_eq!(summary["total_mcqs"], 72);
}

/// Questions that fail for good (a fault on every attempt) skip the rest of their case.
/// The official evaluate.py, run against `liveclin mock-server --accuracy 0.6 --seed 3
/// --faults 400=0.08,empty=0.05 --persistent-faults` on the demo config, wrote
/// `tests/fixtures/official/persistent-faults-results-url.json`: its skipped questions
/// have no picture or table types, so its modality breakdowns leave them out. Ours writes
/// the same summary, and the view that counts them under a key of ours.
#[test]
fn questions_failing_for_good_give_the_official_summary() {
    let mut config = fixture_mock(&[("400", 0.08), ("empty", 0.05)]);
    config.persistent_faults = true;
    let server = mock_server(config);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--concurrency", "8"],
    )
    .assert()
    .code(3);
    let official = repo("tests/fixtures/official/persistent-faults-results-url.json");
    assert_same(&summary_of(&output), &summary_of(&official), "summary");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let skipped: Vec<&Value> = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["mcqs"].as_array().unwrap())
        .filter(|m| m["outcome"] == "skipped")
        .collect();
    assert!(skipped.len() >= 5, "{} skipped", skipped.len());
    assert!(
        skipped
            .iter()
            .all(|m| m["image_types"] == serde_json::json!([]))
    );
    // The view of ours counts the skipped questions' modalities: more MCQs than official.
    let count = |breakdown: &Value| -> u64 {
        breakdown
            .as_object()
            .unwrap()
            .values()
            .map(|g| g["mcqs"].as_u64().unwrap())
            .sum()
    };
    let view = &file["modalities_counting_skipped"];
    assert!(
        count(&view["by_image_modality"]) > count(&file["summary"]["by_image_modality"]),
        "{view}"
    );
}
