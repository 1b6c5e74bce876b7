//! Pacing before the 429: `evaluate` against a mock that enforces a tokens-per-minute
//! limit as OpenAI does (`x-ratelimit-*` headers on every answer, 429 with Retry-After
//! beyond it), with and without pacing.
//!
//! The mock's window is one second instead of a minute (its headers keep OpenAI's
//! format), so the demo's 72 requests (about 77k tokens with `--max-tokens 100`) take a
//! few seconds at 30k tokens a second; `--tpm` is the same limit per minute.

use std::time::{Duration, Instant};

use liveclin_net::mock::MockConfig;
use liveclin_net::mock::ratelimit::RateLimit;

use crate::common::{evaluate, mock_server};

/// Tokens a second the mock allows.
const TOKENS_PER_SECOND: u64 = 30_000;

/// The 429s the mock sent and the wall time of a demo run with `extra` flags, and what
/// the run printed on stderr.
fn run(extra: &[&str]) -> (u64, Duration, String) {
    let server = mock_server(MockConfig {
        latency: Duration::from_millis(200),
        rate_limit: Some(RateLimit {
            requests: None,
            tokens: Some(TOKENS_PER_SECOND),
            window: Duration::from_secs(1),
        }),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let mut args = vec!["--image-mode", "local", "--max-tokens", "100"];
    args.extend(extra);
    let started = Instant::now();
    let done = evaluate(&server.base, &output, &args).assert().success();
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&done.get_output().stdout).into_owned();
    assert!(
        stdout.contains("Question Accuracy:  48/72") && !stdout.contains("Errors:"),
        "every question answered: {stdout}"
    );
    let stderr = String::from_utf8_lossy(&done.get_output().stderr).into_owned();
    (server.mock.stats().rate_limited, wall, stderr)
}

/// Prints a run's 429s and wall time (the figures in BENCHMARKS.md come from this
/// output; they are printed, not asserted: a timed assertion fails on a loaded machine).
fn report(how: &str, rate_limited: u64, wall: Duration) {
    eprintln!(
        "against a limit of {TOKENS_PER_SECOND} tokens/s, {how}: {rate_limited} 429s in {wall:.2?}"
    );
}

/// What a paced run says it did on stderr.
fn assert_pacing_shown(stderr: &str) {
    let shown = format!(
        "Pacing (paced: {:.1}M TPM): ",
        (TOKENS_PER_SECOND * 60) as f64 / 1e6
    );
    assert!(
        stderr.contains(&shown) && stderr.contains("calls waited for the rate limit"),
        "{stderr}"
    );
}

// The three runs are three tests, so that they run side by side.

#[test]
fn without_pacing_the_limit_answers_429s() {
    let (rate_limited, wall, _) = run(&["--no-pacing"]);
    report("without pacing", rate_limited, wall);
    assert!(rate_limited >= 20, "without pacing: {rate_limited} 429s");
}

#[test]
fn tpm_paces_a_run_below_the_limit() {
    let tpm = (TOKENS_PER_SECOND * 60).to_string();
    let (rate_limited, wall, stderr) = run(&["--tpm", &tpm]);
    report(&format!("--tpm {tpm}"), rate_limited, wall);
    assert!(rate_limited <= 8, "--tpm: {rate_limited} 429s");
    assert_pacing_shown(&stderr);
}

#[test]
fn the_rate_limit_headers_alone_pace_a_run() {
    let (rate_limited, wall, stderr) = run(&[]);
    report("from the headers alone", rate_limited, wall);
    assert!(rate_limited <= 8, "headers: {rate_limited} 429s");
    assert_pacing_shown(&stderr);
}
