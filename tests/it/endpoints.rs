//! Several `--api-base` replicas in one run, and adaptive concurrency: cases stay on one
//! endpoint, the load is shared, a dying endpoint loses nothing, and a 429 storm slows
//! the run down instead of failing it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use liveclin_net::mock::MockConfig;
use serde_json::Value;

use super::common::{MockServer, evaluate, mock_server, summary_of};

const CASES: usize = 16;

fn config(latency_ms: u64) -> MockConfig {
    MockConfig {
        accuracy: 0.6,
        seed: 11,
        latency: Duration::from_millis(latency_ms),
        ..MockConfig::default()
    }
}

/// The summary of the demo against one fault-free endpoint: what every run must give.
fn reference(dir: &Path) -> Value {
    let server = mock_server(config(0));
    let out = dir.join("reference.json");
    evaluate(&server.base, &out, &["--image-mode", "local"])
        .assert()
        .success();
    summary_of(&out)
}

/// `--api-base` for every server after the first, then `extra`.
fn more_bases<'a>(servers: &'a [MockServer], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = Vec::new();
    for s in &servers[1..] {
        args.extend(["--api-base", s.base.as_str()]);
    }
    args.extend(extra);
    args
}

/// Case id -> the servers that answered any of its turns.
fn who_answered(servers: &[MockServer]) -> BTreeMap<String, BTreeSet<usize>> {
    let mut seen: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (i, s) in servers.iter().enumerate() {
        for key in s.mock.stats().answered.keys() {
            let case = key.rsplit_once('|').unwrap().0.to_string();
            seen.entry(case).or_default().insert(i);
        }
    }
    seen
}

fn errors(path: &Path) -> usize {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["mcqs"].as_array().unwrap())
        .filter(|m| !m["error"].is_null())
        .count()
}

#[test]
fn two_and_three_endpoints_share_the_load_and_keep_each_case_on_one() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    for n in [2, 3] {
        let servers: Vec<MockServer> = (0..n).map(|_| mock_server(config(40))).collect();
        let out = dir.path().join(format!("{n}.json"));
        let assert = evaluate(
            &servers[0].base,
            &out,
            &more_bases(&servers, &["--image-mode", "local", "--concurrency", "6"]),
        )
        .assert()
        .success();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(&format!("{n} endpoints")), "{stderr}");
        assert_eq!(summary_of(&out), expected, "{n} endpoints");

        let seen = who_answered(&servers);
        assert_eq!(seen.len(), CASES);
        for (case, on) in &seen {
            assert_eq!(on.len(), 1, "case {case} was spread over servers {on:?}");
        }
        for i in 0..n {
            let cases = seen.values().filter(|on| on.contains(&i)).count();
            assert!(
                cases >= CASES / n / 2,
                "{n} endpoints: server {i} had only {cases} cases: {seen:?}"
            );
        }
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let endpoints = file["meta"]["endpoints"].as_array().unwrap();
        assert_eq!(endpoints.len(), n);
        let total: u64 = endpoints.iter().map(|e| e["cases"].as_u64().unwrap()).sum();
        assert_eq!(total as usize, CASES);
        assert_eq!(file["meta"]["api_bases"].as_array().unwrap().len(), n);
    }
}

#[test]
fn an_endpoint_dying_mid_run_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let mut servers: Vec<MockServer> = (0..2).map(|_| mock_server(config(100))).collect();
    let out = dir.path().join("run.json");
    let run = {
        let (first, rest) = (servers[0].base.clone(), more_bases(&servers, &[]).join(" "));
        let out = out.clone();
        std::thread::spawn(move || {
            let mut extra: Vec<&str> = rest.split(' ').collect();
            extra.extend(["--image-mode", "local", "--concurrency", "4"]);
            evaluate(&first, &out, &extra).output().unwrap()
        })
    };
    let dying = servers.pop().unwrap();
    let started = Instant::now();
    while dying.mock.stats().answered.len() < 8 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    let answered_before = dying.mock.stats().answered.len();
    dying.kill();

    let output = run.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(answered_before < 72, "killed before the end");
    assert!(
        stderr.contains("keeps failing") && stderr.contains("its cases continue elsewhere"),
        "{stderr}"
    );
    assert_eq!(errors(&out), 0, "{stderr}");
    assert_eq!(summary_of(&out), expected);
    let survivor = servers[0].mock.stats().answered;
    assert!(
        survivor.len() + answered_before >= 72,
        "every turn the dead server did not answer was answered by the other"
    );
}

#[test]
fn a_429_storm_lowers_the_cases_in_flight_and_the_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    let server = mock_server(MockConfig {
        max_in_flight: Some(2),
        retry_after: 1,
        ..config(60)
    });
    let out = dir.path().join("storm.json");
    let assert = evaluate(
        &server.base,
        &out,
        &["--image-mode", "local", "--concurrency", "8"],
    )
    .assert()
    .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(
            "keeps answering 429 (rate limited): cases in flight there lowered from 8 to"
        ),
        "{stderr}"
    );
    assert_eq!(errors(&out), 0);
    assert_eq!(summary_of(&out), expected);
    let stats = server.mock.stats();
    assert!(stats.over_capacity > 0);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let endpoint = &file["meta"]["endpoints"][0];
    assert!(endpoint["lowest_limit"].as_u64().unwrap() < 8, "{endpoint}");
    assert_eq!(endpoint["throttled"].as_u64(), Some(stats.over_capacity));
}

#[test]
fn timeouts_from_an_overloaded_server_lower_the_cases_in_flight_and_the_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let expected = reference(dir.path());
    // One request at a time, 100 ms each: 16 at once wait up to 1.6 s, past --timeout 1,
    // and the abandoned ones still take their turn, as on llama.cpp with one slot.
    let server = mock_server(MockConfig {
        one_at_a_time: true,
        ..config(100)
    });
    let out = dir.path().join("overloaded.json");
    let assert = evaluate(
        &server.base,
        &out,
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
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("3 calls in a row timed out: cases in flight there lowered from 16 to 8"),
        "{stderr}"
    );
    assert!(
        stderr.contains("calls so far timed out (--timeout 1s)")
            && stderr.contains("raise --timeout or lower --concurrency"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("calls so far timed out").count(),
        1,
        "said once: {stderr}"
    );
    assert_eq!(errors(&out), 0, "{stderr}");
    assert_eq!(summary_of(&out), expected);
}
