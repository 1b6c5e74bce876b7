//! The first mistake gets a clear answer in seconds: preflight of every endpoint, the
//! circuit breaker, failure reasons on the terminal, progress without a terminal.

use std::time::Duration;

use liveclin::mock::MockConfig;

use crate::common::{evaluate, mock_server};

/// Without a terminal (a Slurm log), a plain progress line every interval and at the end.
#[test]
fn progress_without_a_terminal_is_a_plain_line_every_interval() {
    let server = mock_server(MockConfig {
        latency: Duration::from_millis(40),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let run = evaluate(
        &server.base,
        &output,
        &[
            "--image-mode",
            "url",
            "--concurrency",
            "2",
            "--progress-interval",
            "0.3",
        ],
    )
    .assert()
    .success();
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" MCQs/s, ETA "))
        .collect();
    assert!(lines.len() >= 3, "{stderr}");
    assert!(
        lines.last().unwrap().contains("16/16 cases, 72/72 MCQs"),
        "the last line is the final count: {stderr}"
    );
    assert!(lines[0].contains("Q-Acc"), "{stderr}");
}

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
