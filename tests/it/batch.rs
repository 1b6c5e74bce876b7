//! `evaluate --batch` against the mock's Files and Batches API: the same results as a live
//! run, requests that fail or expire asked again, and a run killed at any moment
//! resumed without a request submitted twice.

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use liveclin_net::mock::{MockConfig, Stats};
use serde_json::Value;

use crate::common::{evaluate, mock_server, spawn_evaluate, summary_of};

/// Turns (MCQs) of the demo config.
const TURNS: usize = 72;
const BATCH: [&str; 5] = ["--image-mode", "local", "--batch", "--batch-poll-max", "1"];

fn mock(faults: &[(&str, f64)], expire: f64) -> MockConfig {
    MockConfig {
        accuracy: 0.6,
        seed: 5,
        retry_after: 0,
        faults: faults.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        batch_delay: Duration::from_millis(150),
        batch_expire: expire,
        ..MockConfig::default()
    }
}

/// The summary of a live run against a fresh mock with `config`.
fn live_summary(config: MockConfig, dir: &Path) -> Value {
    let server = mock_server(config);
    let output = dir.join("live.json");
    evaluate(&server.base, &output, &["--image-mode", "local"])
        .assert()
        .success();
    summary_of(&output)
}

/// No file made into two batches, no turn answered twice, every turn answered once.
fn assert_each_request_once(stats: &Stats) {
    let inputs: HashSet<&str> = stats
        .batch
        .batches_created
        .iter()
        .map(|b| b.input_file_id.as_str())
        .collect();
    assert_eq!(
        inputs.len(),
        stats.batch.batches_created.len(),
        "a file was submitted twice: {:?}",
        stats.batch.batches_created
    );
    let twice: Vec<_> = stats
        .batch
        .processed
        .iter()
        .filter(|(_, n)| **n > 1)
        .collect();
    assert!(twice.is_empty(), "requests processed twice: {twice:?}");
    let again: Vec<_> = stats.answered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(again.is_empty(), "turns answered twice: {again:?}");
    assert_eq!(stats.answered.len(), TURNS);
}

#[test]
fn a_batch_run_gives_the_live_run_s_results_with_failed_and_expired_requests_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let faults = [("500", 0.1), ("empty", 0.05), ("malformed", 0.05)];
    let live = live_summary(mock(&faults, 0.0), dir.path());

    let server = mock_server(mock(&faults, 0.15));
    let output = dir.path().join("batch.json");
    let run = evaluate(&server.base, &output, &BATCH).assert().success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains("round 1: 16 requests in 1 batch file(s) submitted"),
        "{stderr}"
    );
    assert!(
        stderr.contains("round 1: 1 batch(es) (expired 1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("round 3: 1 batch(es) (completed 1)"),
        "{stderr}"
    );
    assert_eq!(summary_of(&output), live);

    let stats = server.mock.stats();
    assert!(stats.faults > 0 && stats.batch.expired > 0, "{stats:?}");
    // Every request went through a batch (the one live call is the preflight probe).
    let processed: u64 = stats.batch.processed.values().sum();
    assert_eq!(stats.requests, processed + 1);
    assert_eq!(
        processed as usize,
        TURNS + stats.faults as usize,
        "each failed request is asked once more"
    );
    // Faults and expiry make retries, never duplicates of one submission.
    assert!(stats.batch.processed.values().all(|n| *n == 1));
    let inputs: HashSet<_> = stats
        .batch
        .batches_created
        .iter()
        .map(|b| &b.input_file_id)
        .collect();
    assert_eq!(inputs.len(), stats.batch.batches_created.len());
}

/// How many lines of the journal hold a batch event of `kind` (`uploaded`, ...).
fn events(journal: &Path, kind: &str) -> usize {
    let text = std::fs::read(journal).unwrap_or_default();
    String::from_utf8_lossy(&text)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["batch"]["event"] == kind)
        .count()
}

/// Lines of the journal.
fn lines(journal: &Path) -> usize {
    std::fs::read(journal).map_or(0, |t| t.iter().filter(|b| **b == b'\n').count())
}

#[test]
fn a_batch_run_killed_anywhere_resumes_without_submitting_a_request_twice() {
    let dir = tempfile::tempdir().unwrap();
    let live = live_summary(mock(&[], 0.0), dir.path());
    let server = mock_server(mock(&[], 0.0));
    let output = dir.path().join("batch.json");
    let journal = dir.path().join("batch.json.journal.jsonl");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    fastrand::seed(seed);
    println!("seed {seed}");
    // Kill moments: just after a file's id is journalled (submission), while a batch is
    // polled, as results are journalled (download and recording), and at random.
    let moments: [(&str, Option<&str>); 6] = [
        ("submission", Some("uploaded")),
        ("polling", Some("submitted")),
        ("download", None),
        ("submission", Some("uploaded")),
        ("random", Some("random")),
        ("polling", Some("submitted")),
    ];
    let mut kills = 0;
    for (what, event) in moments {
        let mut extra = BATCH.to_vec();
        if lines(&journal) > 0 {
            extra.push("--resume");
        }
        let (before, seen) = (lines(&journal), event.map_or(0, |e| events(&journal, e)));
        let mut child = spawn_evaluate(&server.base, &output, &extra, Stdio::null());
        let deadline = Instant::now() + Duration::from_secs(60);
        let reached = || match event {
            Some("random") => {
                std::thread::sleep(Duration::from_millis(fastrand::u64(0..1500)));
                true
            }
            Some(kind) => events(&journal, kind) > seen,
            None => lines(&journal) > before + 2,
        };
        let mut killed = false;
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if reached() {
                if what == "polling" {
                    std::thread::sleep(Duration::from_millis(fastrand::u64(0..200)));
                }
                killed = child.kill().is_ok();
                child.wait().unwrap();
                break;
            }
            assert!(Instant::now() < deadline, "the run hangs ({what})");
            std::thread::sleep(Duration::from_micros(300));
        }
        kills += usize::from(killed);
        println!("seed {seed}: kill during {what}: {killed}");
        assert_each_request_once_so_far(&server.mock.stats());
    }
    assert!(kills >= 4, "seed {seed}: only {kills} kills landed");
    evaluate(&server.base, &output, &[&BATCH[..], &["--resume"]].concat())
        .assert()
        .success();
    assert_each_request_once(&server.mock.stats());
    assert_eq!(summary_of(&output), live, "seed {seed}");

    // A batch created but never journalled (a kill between the server's answer and the
    // journal): the resumed run finds it by its file and polls it, not submitting again.
    let text = std::fs::read_to_string(&journal).unwrap();
    let last_upload = text.rfind("\"event\":\"uploaded\"").unwrap();
    let cut = last_upload + text[last_upload..].find('\n').unwrap() + 1;
    std::fs::write(&journal, &text[..cut]).unwrap();
    std::fs::remove_file(&output).unwrap();
    let created = server.mock.stats().batch.batches_created.len();
    evaluate(&server.base, &output, &[&BATCH[..], &["--resume"]].concat())
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "Resuming 1 batch(es) of the earlier run",
        ));
    assert_eq!(server.mock.stats().batch.batches_created.len(), created);
    assert_each_request_once(&server.mock.stats());
    assert_eq!(summary_of(&output), live, "seed {seed}");
}

/// As `assert_each_request_once`, before every turn is answered.
fn assert_each_request_once_so_far(stats: &Stats) {
    let again: Vec<_> = stats.answered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(again.is_empty(), "turns answered twice: {again:?}");
    assert!(stats.batch.processed.values().all(|n| *n == 1));
}

#[test]
fn with_fallback_live_a_failed_or_expired_request_is_asked_live_without_an_extra_round() {
    let dir = tempfile::tempdir().unwrap();
    let faults = [("500", 0.1), ("empty", 0.05)];
    let live = live_summary(mock(&faults, 0.0), dir.path());
    let server = mock_server(mock(&faults, 0.15));
    let output = dir.path().join("batch.json");
    let args = [&BATCH[..], &["--batch-fallback", "live"]].concat();
    let run = evaluate(&server.base, &output, &args).assert().success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains("that failed in their batch asked live"),
        "{stderr}"
    );
    // The demo's longest case has 6 questions: 6 rounds, none added for retries.
    assert!(
        stderr.contains("round 6:") && !stderr.contains("round 7:"),
        "{stderr}"
    );
    assert_eq!(summary_of(&output), live);
    let stats = server.mock.stats();
    let processed: u64 = stats.batch.processed.values().sum();
    let asked_live = stats.requests - processed - 1;
    assert!(stats.batch.expired > 0 && asked_live > 0, "{stats:?}");
    assert_eq!(
        (processed + asked_live) as usize,
        TURNS + stats.faults as usize,
        "every question answered once, plus one retry per fault"
    );
}

/// Stands in for `vllm run-batch`: answers every request of a request file by posting its
/// body to the mock's chat endpoint (plain HTTP/1.1 on loopback), and writes the results
/// in OpenAI's batch output format.
fn run_batch_offline(base: &str, input: &Path, output: &Path) {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://").trim_end_matches("/v1");
    let mut out = String::new();
    for line in std::fs::read_to_string(input).unwrap().lines() {
        let request: Value = serde_json::from_str(line).unwrap();
        assert_eq!(request["url"], "/v1/chat/completions");
        let body = request["body"].to_string();
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(
            stream,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, reply) = answer.split_once("\r\n\r\n").unwrap();
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let result = serde_json::json!({
            "id": "vllm-batch", "custom_id": request["custom_id"],
            "response": {"status_code": status, "request_id": "r", "body": serde_json::from_str::<Value>(reply).unwrap()},
            "error": null,
        });
        out.push_str(&format!("{result}\n"));
    }
    std::fs::write(output, out).unwrap();
}

#[test]
fn offline_batches_through_request_files_give_the_live_results() {
    let dir = tempfile::tempdir().unwrap();
    let faults = [("500", 0.1)];
    let live = live_summary(mock(&faults, 0.0), dir.path());
    let server = mock_server(mock(&faults, 0.0));
    let output = dir.path().join("offline.json");
    let requests = dir.path().join("requests");
    let answers = dir.path().join("answers.jsonl");
    let export = [
        "--image-mode",
        "local",
        "--batch-export",
        requests.to_str().unwrap(),
    ];
    // No --api-base: no call is made.
    let mut cmd = crate::common::liveclin();
    cmd.args([
        "evaluate",
        "--model",
        "mock",
        "--data-dir",
        ".",
        "--dataset",
        "demo",
        "--output",
    ])
    .arg(&output)
    .args(export);
    let first = cmd.assert().success();
    let stdout = String::from_utf8_lossy(&first.get_output().stdout).into_owned();
    assert!(
        stdout.contains("vllm run-batch -i FILE -o OUTPUT.jsonl --model mock"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--resume --batch-import OUTPUT.jsonl"),
        "{stdout}"
    );
    assert_eq!(server.mock.stats().requests, 0);
    let mut rounds = 1;
    loop {
        let files: Vec<_> = std::fs::read_dir(&requests).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "the demo's rounds fit in one file each");
        run_batch_offline(&server.base, &files[0].path(), &answers);
        let import = ["--resume", "--batch-import", answers.to_str().unwrap()];
        let step = evaluate(&server.base, &output, &[&export[..], &import[..]].concat())
            .assert()
            .success();
        if rounds == 1 {
            let stderr = String::from_utf8_lossy(&step.get_output().stderr).into_owned();
            assert!(stderr.contains("16 for questions still open"), "{stderr}");
        }
        rounds += 1;
        let stdout = String::from_utf8_lossy(&step.get_output().stdout).into_owned();
        if stdout.contains("Evaluation completed") {
            break;
        }
        assert!(rounds < 20, "offline rounds never end: {stdout}");
    }
    assert_eq!(summary_of(&output), live);
    // Six rounds for the longest case, and some more for the requests that failed.
    assert!(rounds > 6, "{rounds}");
    // Answers imported twice are recorded once.
    let import = ["--resume", "--batch-import", answers.to_str().unwrap()];
    evaluate(&server.base, &output, &[&export[..], &import[..]].concat())
        .assert()
        .success()
        .stderr(predicates::str::contains(", 0 for questions still open"));
    assert_eq!(summary_of(&output), live);
}

#[test]
fn a_live_resume_of_a_run_with_batches_pending_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = mock_server(MockConfig {
        batch_delay: Duration::from_secs(30),
        ..mock(&[], 0.0)
    });
    let output = dir.path().join("batch.json");
    let journal = dir.path().join("batch.json.journal.jsonl");
    let mut child = spawn_evaluate(&server.base, &output, &BATCH, Stdio::null());
    let deadline = Instant::now() + Duration::from_secs(30);
    while events(&journal, "submitted") == 0 {
        assert!(Instant::now() < deadline, "no batch was submitted");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let refused = evaluate(
        &server.base,
        &output,
        &["--image-mode", "local", "--resume"],
    )
    .assert()
    .code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        stderr.contains("1 file or batch of the earlier run is still with the provider")
            && stderr.contains("resume with --batch"),
        "{stderr}"
    );
    // Nothing was asked live.
    assert!(server.mock.stats().answered.is_empty());
}
