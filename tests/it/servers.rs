//! Real servers' ways, played by the mock: a chat template that drops list content, a
//! context shorter than `--max-tokens`, gateways that look at the User-Agent.

use std::time::Duration;

use liveclin_net::mock::MockConfig;
use predicates::prelude::*;

use crate::common::{evaluate, liveclin, mock_server};

/// A server whose chat template ignores content sent as a list of parts answers every
/// LiveClin question with nothing: `evaluate` says so before any case (exit 2), and
/// `check-vision` says the same instead of blaming a reasoning model.
#[test]
fn a_server_that_drops_list_content_is_named_as_such() {
    let server = mock_server(MockConfig {
        ignore_list_content: true,
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    evaluate(&server.base, &output, &["--image-mode", "url"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "chat template ignores message content sent as a list of parts",
        ));
    assert!(!output.exists());
    assert!(server.mock.stats().answered.is_empty());
    liveclin()
        .args([
            "check-vision",
            "--model",
            "mock",
            "--api-base",
            &server.base,
        ])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "ignores message content sent as a list",
        ))
        .stderr(predicate::str::contains("reasoning").not());
}

/// `--max-tokens` at or above the context the server reports for the model is warned
/// about before the run, with a value that fits.
#[test]
fn max_tokens_beyond_the_server_s_context_is_warned_about() {
    let server = mock_server(MockConfig {
        context_length: Some(8192),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    evaluate(
        &server.base,
        &dir.path().join("run.json"),
        &["--image-mode", "url", "--limit", "1"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains(
        "--max-tokens 16384 is not below the context of \"mock\" as the server reports it (8192 tokens",
    ))
    .stderr(predicate::str::contains("Pass --max-tokens 4096 or less"));
    evaluate(
        &server.base,
        &dir.path().join("fits.json"),
        &[
            "--image-mode",
            "url",
            "--limit",
            "1",
            "--max-tokens",
            "4096",
        ],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("--max-tokens 4096 is not below").not());
}

/// Every request says who sends it (some gateways refuse requests without a User-Agent).
#[test]
fn requests_carry_a_user_agent() {
    let server = mock_server(MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    evaluate(
        &server.base,
        &dir.path().join("run.json"),
        &["--image-mode", "url", "--limit", "2"],
    )
    .assert()
    .success();
    let agents = server.mock.stats().user_agents;
    let ours = format!("liveclin/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(agents.keys().collect::<Vec<_>>(), [&ours], "{agents:?}");
}
