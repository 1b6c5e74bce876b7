//! `evaluate --shard K/N` and `merge`: the shards of a run partition it, and merged
//! they give exactly the unsharded run's results.

use std::path::PathBuf;

use serde_json::Value;

use super::common::{evaluate, liveclin, mock_server, summary_of};

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let server = mock_server(liveclin_net::mock::MockConfig {
        accuracy: 0.6,
        seed: 5,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.json");
    evaluate(&server.base, &whole, &["--image-mode", "local"])
        .assert()
        .success();

    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let out = dir.path().join(format!("shard{k}.json"));
            evaluate(
                &server.base,
                &out,
                &["--image-mode", "local", "--shard", &format!("{k}/3")],
            )
            .assert()
            .success();
            out
        })
        .collect();
    let mut union: Vec<String> = shards
        .iter()
        .flat_map(|s| crate::common::case_ids(s))
        .collect();
    assert!(
        shards
            .iter()
            .all(|s| !crate::common::case_ids(s).is_empty()),
        "every shard has cases"
    );
    union.sort();
    let mut all = crate::common::case_ids(&whole);
    all.sort();
    assert_eq!(union, all, "the shards partition the cases");

    let merged = dir.path().join("merged.json");
    let out = liveclin()
        .arg("merge")
        .args(&shards)
        .arg("--output")
        .arg(&merged)
        .args(["--data-dir", "."])
        .assert()
        .success();
    let out = out.get_output();
    assert_eq!(summary_of(&merged), summary_of(&whole));
    assert_eq!(
        crate::common::case_ids(&merged),
        crate::common::case_ids(&whole),
        "the dataset's order"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Question Accuracy:"));

    // The same shard twice is an overlap; a missing shard is named.
    liveclin()
        .arg("merge")
        .args([&shards[0], &shards[0]])
        .arg("--output")
        .arg(dir.path().join("bad.json"))
        .args(["--data-dir", "."])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the files overlap"));
    let partial = liveclin()
        .arg("merge")
        .args(&shards[..2])
        .arg("--output")
        .arg(dir.path().join("partial.json"))
        .args(["--data-dir", "."])
        .output()
        .unwrap();
    assert!(partial.status.success());
    let missing = crate::common::case_ids(&shards[2]).len();
    assert!(
        String::from_utf8_lossy(&partial.stderr)
            .contains(&format!("{missing} cases of the dataset are in no shard")),
        "{}",
        String::from_utf8_lossy(&partial.stderr)
    );

    // Results of another model are not a shard of this run.
    let mut other: Value =
        serde_json::from_str(&std::fs::read_to_string(&shards[2]).unwrap()).unwrap();
    other["meta"]["model"] = "another".into();
    let other_path = dir.path().join("other.json");
    std::fs::write(&other_path, other.to_string()).unwrap();
    liveclin()
        .arg("merge")
        .args([&shards[0], &other_path])
        .arg("--output")
        .arg(dir.path().join("bad.json"))
        .args(["--data-dir", "."])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("model is"));
}

/// A case twice is refused wherever the second copy is: in another file (overlapping
/// shards) or in the same one (a file concatenated by hand). Nothing is written.
#[test]
fn merge_refuses_a_case_found_twice() {
    let dir = tempfile::tempdir().unwrap();
    let run: Value = serde_json::from_str(
        &std::fs::read_to_string(super::common::repo(
            "tests/fixtures/official/results-url.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let cases = run["cases"].as_array().unwrap();
    let id = |i: usize| cases[i]["case_id"].as_str().unwrap();
    let shard = |name: &str, picked: Vec<Value>| {
        let mut file = run.clone();
        file["cases"] = Value::Array(picked);
        let path = dir.path().join(name);
        std::fs::write(&path, file.to_string()).unwrap();
        path
    };
    let first = shard("first.json", cases[..8].to_vec());
    let second = shard("second.json", cases[8..].to_vec());
    let doubled = shard("doubled.json", [&cases[8..], &cases[9..10]].concat());
    let overlapping = shard("overlapping.json", cases[7..].to_vec());
    let output = dir.path().join("merged.json");
    let merge = |files: &[&PathBuf]| {
        let mut cmd = liveclin();
        cmd.arg("merge")
            .args(files)
            .arg("--output")
            .arg(&output)
            .args(["--data-dir", "."]);
        cmd
    };

    for files in [&[&first, &doubled][..], &[&doubled]] {
        merge(files)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "case {:?} appears twice in {}",
                id(9),
                doubled.display()
            )));
    }
    merge(&[&first, &overlapping])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "case {:?} is in both {} and {}: the files overlap",
            id(7),
            first.display(),
            overlapping.display()
        )));
    assert!(!output.exists(), "a refused merge writes nothing");

    // The same cases, each once, merge.
    merge(&[&first, &second]).assert().success();
    assert_eq!(crate::common::case_ids(&output).len(), cases.len());
}
