//! One rule for case ids in `merge`, `compare` and `evaluate --resume`: a `case_id` that
//! is a non-empty string or a number is an id (the number 90000101 is the case
//! "90000101"); null, absent or "" is none, and such a case cannot be matched. Each
//! command sets it apart, names it by its place in its file, and never drops or counts
//! its answers twice without saying.

use std::path::{Path, PathBuf};

use liveclin_net::mock::MockConfig;
use predicates::prelude::*;
use serde_json::Value;

use super::common::{PREFLIGHT, liveclin, mock_server, model_args, repo};

/// Written by the official tool: 16 cases, the 11th ("#11 in cases") with the empty id
/// the official tool gives a case without pmc, pmid or doi.
const RUN: &str = "tests/fixtures/official/results-url.json";

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo(RUN)).unwrap()).unwrap()
}

fn cases(file: &Value) -> &Vec<Value> {
    file["cases"].as_array().unwrap()
}

/// The fixture with its cases replaced by `picked`, written to `dir/name`.
fn with_cases(dir: &Path, name: &str, picked: Vec<Value>) -> PathBuf {
    let mut file = fixture();
    file["cases"] = Value::Array(picked);
    let path = dir.join(name);
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

fn merge(files: &[&PathBuf], output: &Path) -> assert_cmd::Command {
    let mut cmd = liveclin();
    cmd.arg("merge")
        .args(files)
        .arg("--output")
        .arg(output)
        .args(["--data-dir", "."]);
    cmd
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn merge_keeps_one_file_s_cases_without_an_id_and_refuses_them_in_two() {
    let dir = tempfile::tempdir().unwrap();
    let all = fixture();
    let all = cases(&all);
    let output = dir.path().join("merged.json");

    // The unnamed case (#3 of the second file) is kept, once, and named by its place.
    let first = with_cases(dir.path(), "first.json", all[..8].to_vec());
    let second = with_cases(dir.path(), "second.json", all[8..].to_vec());
    let done = merge(&[&first, &second], &output).assert().success();
    assert!(
        stderr(&done).contains(&format!(
            "{} (#3 in cases): 1 case without a case id, kept",
            second.display()
        )),
        "{}",
        stderr(&done)
    );
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    assert_eq!(cases(&merged).len(), all.len());
    let unnamed: Vec<&Value> = cases(&merged)
        .iter()
        .filter(|c| c["case_id"] == "")
        .collect();
    assert_eq!(unnamed, [&all[10]], "kept once, unchanged");
    for key in ["total_cases", "total_mcqs", "correct_mcqs"] {
        assert_eq!(merged["summary"][key], fixture()["summary"][key], "{key}");
    }

    // A null id is no id either: cases without one in two files may be the same case,
    // so nothing is merged.
    let mut nulled = all[..8].to_vec();
    nulled[3]["case_id"] = Value::Null;
    let nulled = with_cases(dir.path(), "nulled.json", nulled);
    std::fs::remove_file(&output).unwrap();
    let refused = merge(&[&nulled, &second], &output).assert().code(2);
    assert!(
        stderr(&refused).contains(&format!(
            "cases without a case id are in {} (#4 in cases) and {} (#3 in cases)",
            nulled.display(),
            second.display()
        )),
        "{}",
        stderr(&refused)
    );
    assert!(!output.exists(), "a refused merge writes nothing");

    // An id written as a number is the same id as its text: the files overlap.
    let mut numbered = all[..8].to_vec();
    numbered[0]["case_id"] = 90000101.into();
    let numbered = with_cases(dir.path(), "numbered.json", numbered);
    let overlapping = with_cases(
        dir.path(),
        "overlapping.json",
        [&all[..1], &all[8..10]].concat(),
    );
    merge(&[&numbered, &overlapping], &output)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "case \"90000101\" is in both {} and {}",
            numbered.display(),
            overlapping.display()
        )));
}

#[test]
fn compare_leaves_out_cases_it_cannot_match_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let all = fixture();
    let mut edited = cases(&all).clone();
    // The same cases, but one id written as a number, the unnamed case's id null, and
    // 90000102 twice (which copy to compare?).
    edited[0]["case_id"] = 90000101.into();
    edited[10]["case_id"] = Value::Null;
    edited.push(edited[1].clone());
    let edited = with_cases(dir.path(), "edited.json", edited);

    // The run holding an id twice comes first: its order leads the comparison.
    let out = liveclin()
        .arg("compare")
        .arg(&edited)
        .arg(repo(RUN))
        .arg("--json")
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    // 16 cases, less the unnamed one and 90000102; the numbered one is matched.
    assert_eq!(v["common_cases"], 14);
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let expected = [
        "has 1 case without a case id: left out (they cannot be matched): #11 in cases",
        "holds 1 case id more than once: left out (they cannot be matched): 90000102",
        "has 1 case the others lack: compared over the 14 cases all runs have",
    ];
    for text in expected {
        assert!(
            warnings.iter().any(|w| w.contains(text)),
            "{text:?} not in {warnings:?}"
        );
    }
    assert_eq!(
        warnings
            .iter()
            .filter(|w| w.contains("without a case id"))
            .count(),
        2,
        "one per run"
    );
}

#[test]
fn resume_matches_numbered_ids_and_runs_again_an_unnamed_case_it_cannot_place() {
    let dir = tempfile::tempdir().unwrap();
    let before = fixture();
    let mut edited = cases(&before).clone();
    edited[0]["case_id"] = 90000101.into();
    // No case of the dataset has this rarity with these questions: the unnamed case
    // fits none, so its answers cannot be kept.
    edited[10]["rarity"] = "unrare".into();
    let output = with_cases(dir.path(), "official.json", edited);
    let server = mock_server(MockConfig {
        accuracy: 0.6,
        seed: 3,
        ..MockConfig::default()
    });
    let done = liveclin()
        .args(model_args(
            "m",
            &server.base,
            &output,
            &["--image-mode", "url", "--resume"],
        ))
        .assert()
        .success();
    let stderr = stderr(&done);
    assert!(
        stderr.contains(&format!(
            "1 case of {} without a case id fit no single case of the dataset (#11 in cases), \
             so its recorded answers cannot be kept: run again",
            output.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("12 cases finished, 4 to run"), "{stderr}");

    let after: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    assert_eq!(cases(&after).len(), 16);
    let kept = cases(&after)
        .iter()
        .find(|c| c["case_id"] == "90000101")
        .unwrap();
    for (old, new) in cases(&before)[0]["mcqs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(kept["mcqs"].as_array().unwrap())
    {
        assert_eq!(old["model_response"], new["model_response"]);
    }
    // Asked: the turns the three failed cases lacked, and every turn of the unnamed one.
    let unanswered: usize = cases(&before)
        .iter()
        .flat_map(|c| c["mcqs"].as_array().unwrap())
        .filter(|m| !m["error"].is_null())
        .count();
    let unnamed = cases(&before)[10]["mcqs"].as_array().unwrap().len();
    assert_eq!(
        server.mock.stats().requests as usize,
        PREFLIGHT as usize + unanswered + unnamed
    );
}
