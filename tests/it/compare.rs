//! `liveclin compare`: paired differences, p-values and warnings on real results files.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

use super::common::{liveclin, repo};

const RUN: &str = "tests/fixtures/official/results-url.json";

/// A copy of the fixture run, changed by `edit`, written into `dir`.
fn variant(dir: &Path, name: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let mut file: Value =
        serde_json::from_str(&std::fs::read_to_string(repo(RUN)).unwrap()).unwrap();
    edit(&mut file);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    path
}

fn compare_json(files: &[&Path]) -> Value {
    let out = liveclin()
        .arg("compare")
        .args(files)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_run_against_itself_differs_by_nothing_anywhere() {
    let run = repo(RUN);
    let v = compare_json(&[&run, &run]);
    assert_eq!(v["common_cases"], 16);
    for stat in ["question_accuracy", "case_accuracy"] {
        let pair = &v["overall"][stat]["pairs"][0];
        assert_eq!(pair["difference"], 0.0);
        assert_eq!(pair["p_value"], 1.0, "{stat}");
    }
    for (name, group) in v["by_chapter"].as_object().unwrap() {
        assert_eq!(group["case_accuracy"]["pairs"][0]["p_value"], 1.0, "{name}");
    }
    liveclin()
        .args(["compare", RUN, RUN])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "By Clinical Stage (question accuracy)",
        ))
        .stdout(predicate::str::contains(
            "[2]-[1] +0.0 (+0.0, +0.0) p=1.000",
        ));
}

#[test]
fn a_clearly_better_run_is_significantly_better() {
    let dir = tempfile::tempdir().unwrap();
    let better = variant(dir.path(), "better.json", |f| {
        f["meta"]["model"] = "better".into();
        for case in f["cases"].as_array_mut().unwrap() {
            let n = case["mcqs"].as_array().unwrap().len();
            for mcq in case["mcqs"].as_array_mut().unwrap() {
                mcq["is_correct"] = true.into();
                mcq["error"] = Value::Null;
            }
            case["correct_mcqs"] = n.into();
        }
    });
    let v = compare_json(&[&repo(RUN), &better]);
    let q = &v["overall"]["question_accuracy"];
    assert_eq!(q["values"][1], 1.0);
    let pair = &q["pairs"][0];
    assert!(pair["p_value"].as_f64().unwrap() < 0.01, "{pair}");
    assert!(pair["low"].as_f64().unwrap() > 0.0, "{pair}");
    assert_eq!(pair["b"], "better");
}

#[test]
fn different_configs_and_case_sets_are_warned_about_and_only_shared_cases_compared() {
    let dir = tempfile::tempdir().unwrap();
    let other = variant(dir.path(), "other.json", |f| {
        f["meta"]["dataset"] = "2025_H2".into();
        f["cases"].as_array_mut().unwrap().pop();
    });
    let third = variant(dir.path(), "third.json", |f| {
        f["meta"]["model"] = "third".into()
    });
    let out = liveclin()
        .arg("compare")
        .arg(repo(RUN))
        .args([&other, &third])
        .arg("--all-pairs")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "over the 15 cases all of them have",
        ))
        .stdout(predicate::str::contains("[3]-[2]"))
        .stderr(predicate::str::contains(
            "Warning: the runs used different configs",
        ))
        .stderr(predicate::str::contains("has 1 cases the others lack"));
    drop(out);
    let v = compare_json(&[&repo(RUN), &other]);
    assert_eq!(v["common_cases"], 15);
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2);
}
