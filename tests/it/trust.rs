//! A paid run is never lost, overwritten or mixed with another: reruns, resumes with
//! other settings, a full disk (torn journal lines: crash.rs), signals, dangerous output paths,
//! concurrent runs and partial runs, each through the real binary against the mock.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use liveclin_net::mock::MockConfig;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::{
    PREFLIGHT, evaluate, evaluate_args, liveclin, mock_server, repo, spawn_evaluate, summary_of,
    wait_for_turns,
};

fn slow_mock() -> MockConfig {
    MockConfig {
        latency: Duration::from_millis(60),
        ..MockConfig::default()
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Answered MCQs of a results file, finished and unfinished cases alike.
fn answered_turns(file: &Value) -> usize {
    ["cases", "unfinished_cases"]
        .iter()
        .filter_map(|key| file[key].as_array())
        .flatten()
        .flat_map(|c| c["mcqs"].as_array().unwrap())
        .filter(|m| m["error"].is_null())
        .count()
}

/// Two accidental reruns and a Ctrl-C'd rerun leave every finished answer recoverable.
#[test]
fn reruns_never_destroy_a_finished_run() {
    let server = mock_server(MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    evaluate(&server.base, &output, &["--image-mode", "url"])
        .assert()
        .success();
    let paid = std::fs::read(&output).unwrap();
    let requests = server.mock.stats().requests;

    for _ in 0..2 {
        evaluate(&server.base, &output, &["--image-mode", "url"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("already holds results"))
            .stderr(predicate::str::contains("--resume"))
            .stderr(predicate::str::contains("--overwrite"));
    }
    assert_eq!(std::fs::read(&output).unwrap(), paid, "results untouched");
    assert_eq!(server.mock.stats().requests, requests, "no call was made");

    // --overwrite keeps the old run as a numbered backup; a second one as the next.
    evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--overwrite"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("run.backup-1.json"));
    assert_eq!(
        std::fs::read(dir.path().join("run.backup-1.json")).unwrap(),
        paid
    );
    let second = std::fs::read(&output).unwrap();

    let slow = mock_server(slow_mock());
    let child = spawn_evaluate(
        &slow.base,
        &output,
        &["--image-mode", "url", "--overwrite", "--concurrency", "2"],
        Stdio::null(),
    );
    // The rerun moves the old files aside first; then its own journal fills.
    let started = Instant::now();
    while !dir.path().join("run.backup-2.json").exists() {
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10));
    }
    wait_for_turns(&output.with_file_name("run.json.journal.jsonl"), 3);
    signal(&child, "INT");
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    assert_eq!(
        std::fs::read(dir.path().join("run.backup-1.json")).unwrap(),
        paid
    );
    assert_eq!(
        std::fs::read(dir.path().join("run.backup-2.json")).unwrap(),
        second
    );
    // The backup is a whole run: it can be reported, and resumed where it is.
    liveclin()
        .arg("report")
        .arg(dir.path().join("run.backup-1.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("LiveClin Results: mock (demo)"));
}

/// A resume with another model, image mode, temperature or an edited dataset is refused
/// before any call, with the difference named; `--allow-change` accepts one by name.
#[test]
fn resume_with_other_settings_is_refused_naming_the_difference() {
    let data = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&repo("data/demo"), &data.path().join("data/demo"));
    let server = mock_server(MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run_as = |model: &str, extra: &[&str]| {
        let mut args = crate::common::model_args(model, &server.base, &output, &["--limit", "2"]);
        let at = args.iter().position(|a| a == "--data-dir").unwrap() + 1;
        args[at] = data.path().into();
        let mut cmd = liveclin();
        cmd.args(args).args(extra);
        cmd
    };
    let run = |extra: &[&str]| run_as("mock", extra);
    run(&["--image-mode", "local", "--temperature", "0"])
        .assert()
        .success();
    let requests = server.mock.stats().requests;

    let refused = |extra: &[&str], setting: &str| {
        let out = run(extra).assert().code(2).get_output().clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("other settings"), "{stderr}");
        assert!(
            stderr.contains(&format!("--allow-change {setting}")),
            "{setting}: {stderr}"
        );
        stderr
    };
    let stderr = refused(
        &["--image-mode", "url", "--resume", "--temperature", "0.5"],
        "image-mode",
    );
    assert!(stderr.contains("temperature"), "{stderr}");
    let stderr = refused(
        &["--image-mode", "local", "--resume", "--max-tokens", "100"],
        "max-tokens",
    );
    assert!(
        stderr.contains("16384") && stderr.contains("100"),
        "{stderr}"
    );
    let jsonl = data.path().join("data/demo/demo.jsonl");
    let original = std::fs::read(&jsonl).unwrap();
    let mut edited = original.clone();
    edited.extend_from_slice(b"\n");
    std::fs::write(&jsonl, &edited).unwrap();
    refused(&["--image-mode", "local", "--resume"], "dataset-file");
    std::fs::write(&jsonl, &original).unwrap();
    let picture = data.path().join("data/demo/image/case01/fig1a.png");
    let mut bytes = std::fs::read(&picture).unwrap();
    bytes.push(0);
    std::fs::write(&picture, &bytes).unwrap();
    refused(&["--image-mode", "local", "--resume"], "pictures");
    bytes.pop();
    std::fs::write(&picture, &bytes).unwrap();
    assert_eq!(server.mock.stats().requests, requests, "no call was made");

    run_as("other-model", &["--image-mode", "local", "--resume"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--allow-change model"));

    // The same settings resume; an accepted difference is recorded.
    run(&[
        "--image-mode",
        "local",
        "--resume",
        "--temperature",
        "0.5",
        "--allow-change",
        "temperature",
    ])
    .assert()
    .success()
    .stderr(predicate::str::contains("--allow-change temperature"));
    let file = read_json(&output);
    assert_eq!(
        file["meta"]["accepted_changes"][0]["setting"],
        "temperature"
    );
    assert_eq!(file["meta"]["identity"]["temperature"], 0.5);
}

/// A results file whose MCQs lack `mcq_index` is refused on resume, never placed by
/// guessing (it used to put the last MCQ's answer into Q1).
#[test]
fn results_without_mcq_index_are_refused_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("official.json");
    let mut file = read_json(&repo("tests/fixtures/official/results-url.json"));
    for mcq in file["cases"][0]["mcqs"].as_array_mut().unwrap() {
        mcq.as_object_mut().unwrap().remove("mcq_index");
    }
    std::fs::write(&output, serde_json::to_string(&file).unwrap()).unwrap();
    let server = mock_server(MockConfig::default());
    liveclin()
        .args(crate::common::model_args(
            "m",
            &server.base,
            &output,
            &["--image-mode", "url", "--resume"],
        ))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("has no mcq_index"))
        .stderr(predicate::str::contains("official.json"));
    assert_eq!(server.mock.stats().requests, 0);
}

/// A journal on a full file system (a 20 KB tmpfs of a private mount namespace): the run
/// stops paying at the first failed write, exits 4 naming the journal and the OS error,
/// and every answer it held reaches a results file elsewhere, which resumes the run.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_stops_paying_and_keeps_the_answers() {
    let server = mock_server(MockConfig {
        latency: Duration::from_millis(5),
        ..MockConfig::default()
    });
    let full = tempfile::tempdir().unwrap();
    let rescue = tempfile::tempdir().unwrap();
    let output = full.path().join("run.json");
    let script = r#"mount -t tmpfs -o size=20k tmpfs "$1" && shift && exec "$@""#;
    let out = std::process::Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(full.path())
        .arg(assert_cmd::cargo::cargo_bin("liveclin"))
        .args(evaluate_args(
            &server.base,
            &output,
            &["--image-mode", "url", "--concurrency", "4"],
        ))
        .current_dir(repo(""))
        .env("HF_HUB_OFFLINE", "1")
        .env("TMPDIR", rescue.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot write the journal {}",
            output.with_file_name("run.json.journal.jsonl").display()
        )) && stderr.contains("No space left on device"),
        "{stderr}"
    );
    let rescued = std::fs::read_dir(rescue.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("rescued"))
        .unwrap_or_else(|| panic!("no rescued results: {stderr}"));
    assert!(stderr.contains(&rescued.display().to_string()), "{stderr}");
    let file = read_json(&rescued);
    let kept = answered_turns(&file);
    let asked = server.mock.stats().requests as usize;
    assert!(kept > 0 && kept < 72, "{kept} answers kept");
    assert!(
        asked <= PREFLIGHT as usize + kept + 4,
        "{asked} calls paid for, {kept} answers kept: at most the 4 in flight are lost"
    );
    assert_eq!(file["meta"]["complete"], false);

    // Once there is room: the rescued file, moved to the output, resumes the run.
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    std::fs::copy(&rescued, &output).unwrap();
    let fresh = mock_server(MockConfig::default());
    evaluate(&fresh.base, &output, &["--image-mode", "url", "--resume"])
        .assert()
        .success();
    assert_eq!(
        fresh.mock.stats().requests as usize,
        PREFLIGHT as usize + 72 - kept
    );
    let whole = dir.path().join("whole.json");
    evaluate(&fresh.base, &whole, &["--image-mode", "url"])
        .assert()
        .success();
    assert_eq!(summary_of(&output), summary_of(&whole));
}

/// SIGTERM and SIGHUP stop a run as Ctrl-C does: finished cases written, the resume
/// command printed, exit 130. A second signal exits at once with the journal whole.
#[test]
fn sigterm_and_sighup_write_results_and_exit_130() {
    let server = mock_server(slow_mock());
    for name in ["TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("run.json");
        let child = spawn_evaluate(
            &server.base,
            &output,
            &["--image-mode", "url", "--concurrency", "2"],
            Stdio::piped(),
        );
        wait_for_turns(&dir.path().join("run.json.journal.jsonl"), 8);
        signal(&child, name);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "SIG{name}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("--resume"), "{stdout}");
        let file = read_json(&output);
        let finished = file["cases"].as_array().unwrap().len();
        assert!(finished > 0 && finished < 16, "SIG{name}: {finished} cases");
        assert_eq!(file["meta"]["complete"], false);
        assert_eq!(file["meta"]["cases_run"], finished);
    }

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let journal = dir.path().join("run.json.journal.jsonl");
    let child = spawn_evaluate(
        &server.base,
        &output,
        &["--image-mode", "url"],
        Stdio::null(),
    );
    wait_for_turns(&journal, 4);
    signal(&child, "TERM");
    signal(&child, "TERM");
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.ends_with('\n'));
    evaluate(&server.base, &output, &["--image-mode", "url", "--resume"])
        .assert()
        .success();
}

/// A FIFO, a device, the dataset itself or a journal as `--output` are refused with exit
/// 2 before any call, and nothing is replaced.
#[cfg(unix)]
#[test]
fn dangerous_outputs_are_refused_before_any_call() {
    let server = mock_server(MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let dataset = repo("data/demo/demo.jsonl");
    let before = std::fs::read(&dataset).unwrap();
    for (output, says) in [
        (fifo.clone(), "a FIFO"),
        (Path::new("/dev/null").to_path_buf(), "a device"),
        (dataset.clone(), "would overwrite the dataset"),
        (repo("data/demo/image/x.json"), "inside the image folder"),
        (dir.path().join("a.json.journal.jsonl"), "journal or lock"),
    ] {
        evaluate(&server.base, &output, &["--image-mode", "url"])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    assert_eq!(std::fs::read(&dataset).unwrap(), before);
    assert!(!repo("data/demo/image/x.json").exists());
    assert_eq!(server.mock.stats().requests, 0);
}

/// A second run on an output another run is writing refuses, naming its PID; the lock is
/// gone once the first finishes.
#[test]
fn a_second_run_on_the_same_output_refuses() {
    let server = mock_server(slow_mock());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let child = spawn_evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--limit", "6"],
        Stdio::null(),
    );
    wait_for_turns(&dir.path().join("run.json.journal.jsonl"), 1);
    evaluate(&server.base, &output, &["--image-mode", "url", "--resume"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "another liveclin run (PID {}",
            child.id()
        )));
    assert!(child.wait_with_output().unwrap().status.success());
    assert!(!dir.path().join("run.json.lock").exists());
}

/// A `--limit` run says it is partial: in `meta`, and after the summary.
#[test]
fn a_partial_run_says_so() {
    let server = mock_server(MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    evaluate(
        &server.base,
        &output,
        &["--image-mode", "url", "--limit", "3"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains(
        "Partial run: 13 of 16 cases were not run",
    ));
    let meta = &read_json(&output)["meta"];
    assert_eq!(
        (
            &meta["complete"],
            &meta["cases_in_config"],
            &meta["cases_run"]
        ),
        (&Value::Bool(false), &Value::from(16), &Value::from(3))
    );
    liveclin()
        .arg("report")
        .arg(&output)
        .assert()
        .success()
        .stderr(predicate::str::contains("13 of 16 cases were not run"));
}
