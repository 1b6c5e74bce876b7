//! `liveclin estimate` against what a real run reports: the input tokens the mock model
//! bills (counted with the same tokenizer and picture rule) over every request of a run,
//! in both image modes, on the demo and on a small synthetic config.

use std::path::Path;

use serde_json::Value;

use crate::common::{liveclin, mock_server_of, repo};
use liveclin_net::mock::MockConfig;

// The benchmark's generator of synthetic configs, at a small size here.
#[allow(dead_code)]
#[path = "../../benches/full_run/synth.rs"]
mod synth;

/// Sums of the `usage` the mock reported for every question of a results file, and the
/// questions answered (one request each: no faults are injected).
struct Reported {
    prompt_tokens: u64,
    completion_tokens: u64,
    requests: u64,
}

fn reported(results: &Path) -> Reported {
    let results: Value = serde_json::from_slice(&std::fs::read(results).unwrap()).unwrap();
    let mut sums = Reported {
        prompt_tokens: 0,
        completion_tokens: 0,
        requests: 0,
    };
    for mcq in results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|case| case["mcqs"].as_array().unwrap())
    {
        let usage = &mcq["usage"];
        sums.prompt_tokens += usage["prompt_tokens"].as_u64().unwrap();
        sums.completion_tokens += usage["completion_tokens"].as_u64().unwrap();
        sums.requests += 1;
    }
    sums
}

/// Runs `evaluate` of a config against the mock (replies padded to about a reasoning
/// model's length), then `estimate` with the replies' mean length as --expect-output, and
/// checks that the estimate's input tokens are within 10% of what the mock billed.
fn check(data_dir: &Path, dataset: &str, image_mode: &str, image_tokens: &str) {
    let paths = liveclin_core::dataset::DataPaths::resolve(data_dir, dataset, None, None);
    let config = MockConfig {
        reply_padding: 3000,
        image_tokens: image_tokens.parse().unwrap(),
        ..MockConfig::default()
    };
    let server = mock_server_of(config, &paths.jsonl, &paths.image_root);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("run.json");
    let data = [
        "--data-dir".as_ref(),
        data_dir.as_os_str(),
        "--dataset".as_ref(),
        dataset.as_ref(),
        "--image-mode".as_ref(),
        image_mode.as_ref(),
    ];
    liveclin()
        .args([
            "evaluate",
            "--model",
            "gpt-4o",
            "--api-base",
            &server.base,
            "-q",
        ])
        .args(data)
        .arg("--output")
        .arg(&output)
        .assert()
        .success();
    let run = reported(&output);
    let mean_reply = run.completion_tokens.div_ceil(run.requests);

    let out = liveclin()
        .args(["estimate", "--model", "gpt-4o", "--json"])
        .args(data)
        .args(["--image-tokens", image_tokens])
        .args(["--expect-output", &mean_reply.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let estimate: Value = serde_json::from_slice(&out.stdout).unwrap();
    let estimated = estimate["input_tokens"].as_u64().unwrap();
    let off = (estimated as f64 - run.prompt_tokens as f64) / run.prompt_tokens as f64;
    println!(
        "{dataset}, {image_mode} mode, {image_tokens} pictures: estimate {estimated} input tokens, \
         the mock billed {} over {} requests (replies of {mean_reply} tokens on average): {:+.2}%",
        run.prompt_tokens,
        run.requests,
        100.0 * off
    );
    assert_eq!(estimate["requests"], run.requests);
    assert!(off.abs() < 0.10, "estimate off by {:.1}%", 100.0 * off);
    assert!(estimate["picture_tokens"].as_u64().unwrap() > 0);
}

#[test]
fn the_estimate_matches_what_the_mock_bills_for_the_demo() {
    check(&repo(""), "demo", "local", "openai");
    check(&repo(""), "demo", "url", "anthropic");
}

#[test]
fn the_estimate_matches_what_the_mock_bills_for_a_synthetic_config() {
    let root = tempfile::tempdir().unwrap();
    let size = synth::Size {
        cases: 40,
        mcqs: 170,
        images: 60,
        image_bytes: 3000,
    };
    let config = synth::generate(root.path(), size, &repo("data/demo/demo.jsonl")).unwrap();
    check(&config.data_dir, config.dataset, "local", "openai");
    check(&config.data_dir, config.dataset, "url", "gemini");
}

/// The table says what the JSON says, with the cost and the least wall time worked out
/// from the counts; bad values name their flag.
#[test]
fn the_table_prices_and_paces_the_counts() {
    let demo = [
        "estimate",
        "--model",
        "gpt-4o",
        "--data-dir",
        ".",
        "--dataset",
        "demo",
        "--image-mode",
        "local",
        "--price",
        "2.5,10,1.25",
        "--rpm",
        "30",
        "--tpm",
        "1000000",
    ];
    let json = liveclin().args(demo).arg("--json").output().unwrap();
    let e: Value = serde_json::from_slice(&json.stdout).unwrap();
    let n = |key: &str| e[key].as_u64().unwrap();
    assert_eq!(n("requests"), 72);
    assert_eq!(n("output_tokens"), 72 * 1000);
    assert_eq!(n("input_tokens"), n("text_tokens") + n("picture_tokens"));
    assert!(n("cache_eligible_tokens") < n("input_tokens"));
    assert_eq!(e["tokenizer_exact"], true);
    let usd = (n("input_tokens") - n("cache_eligible_tokens")) as f64 * 2.5e-6
        + n("cache_eligible_tokens") as f64 * 1.25e-6
        + n("output_tokens") as f64 * 10e-6;
    assert!((e["cost_usd"].as_f64().unwrap() - usd).abs() < 1e-9);
    // 72 requests at 30 a minute take 2.4 minutes; the tokens at 1M TPM far less.
    assert!((e["min_wall_minutes"].as_f64().unwrap() - 2.4).abs() < 1e-9);

    let table = liveclin().args(demo).output().unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    println!("{table}");
    let thousands = |key: &str| {
        let digits = n(key).to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    for (row, key) in [
        ("input tokens", "input_tokens"),
        ("picture tokens", "picture_tokens"),
        ("cache-eligible", "cache_eligible_tokens"),
    ] {
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(row))
            .unwrap();
        assert!(line.contains(&thousands(key)), "{line}");
    }
    assert!(table.contains(&format!("${usd:.2}  at $2.50 in, $10.00 out, $1.25 cached")));
    assert!(table.contains("2 min 24 s  72 requests at 30 RPM: 2 min 24 s"));

    for (flag, value, says) in [
        ("--price", "2.5", "is not INPUT,OUTPUT[,CACHED]"),
        (
            "--image-tokens",
            "claude",
            "is not openai, anthropic, gemini",
        ),
        ("--rpm", "0", "0 is not in 1.."),
    ] {
        let mut args = demo[..9].to_vec();
        args.extend([flag, value]);
        let out = liveclin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(flag) && stderr.contains(says), "{stderr}");
    }
}
