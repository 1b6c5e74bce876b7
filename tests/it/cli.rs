//! The commands as a user runs them: exit codes, messages, flags.

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{liveclin, repo};

fn stdout_json(cmd: &mut assert_cmd::Command) -> Value {
    let out = cmd.assert().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn validate_demo_is_clean_and_complete() {
    let report = stdout_json(liveclin().args([
        "validate",
        "--json",
        "--data-dir",
        ".",
        "--dataset",
        "demo",
    ]));
    assert_eq!(report["cases"], 16);
    assert_eq!(report["mcqs"], 72);
    assert!(report["chapters"].as_object().unwrap().len() >= 12);
    assert!(report["subcategories"].as_object().unwrap().len() >= 12);
    assert_eq!(report["rarity"]["rare"], 11);
    assert_eq!(report["rarity"]["unrare"], 5);
    assert_eq!(report["images_referenced"], 77);
    assert_eq!(report["images_missing"], 0);
    assert_eq!(report["errors"], 0);
    // Every stage category, every image and table modality is covered by the demo.
    assert_eq!(report["stages"].as_object().unwrap().len(), 6);
    assert_eq!(report["image_modalities"].as_object().unwrap().len(), 11);
    assert_eq!(report["table_modalities"].as_object().unwrap().len(), 9);
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .all(|p| p["line"].is_u64() && p["message"].is_string())
    );
}

#[test]
fn validate_reports_every_problem_with_its_line_and_fails() {
    let mut cmd = liveclin();
    cmd.args([
        "validate",
        "--json",
        "--jsonl-path",
        "tests/fixtures/broken/broken.jsonl",
        "--image-root",
        "tests/fixtures/broken/image",
    ]);
    cmd.assert().code(1);
    let report = stdout_json(&mut cmd);
    let problems: Vec<(u64, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |line: u64, text: &str| problems.iter().any(|(l, m)| *l == line && m.contains(text));
    assert!(has(2, "Q1: no options"));
    assert!(has(
        2,
        "correct_answer \"E\" is not among the options A, B, C"
    ));
    assert!(has(2, "not letters A-J"));
    assert!(has(3, "duplicate case id \"1\" (first on line 1)"));
    assert!(has(4, "scenario is missing"));
    assert!(has(4, "leaves the image root"));
    assert!(has(4, "absolute path \"/etc/passwd\""));
    assert!(has(5, "mcqs is empty"));
    assert!(has(6, "mcqs has the wrong shape"));
    assert!(has(7, "Q2: not an MCQ object"));
    assert!(has(7, "Q4: question is missing"));
    assert_eq!(report["images_unsafe"], 2);
    assert_eq!(report["images_missing"], 1);
    assert_eq!(report["images_present"], 1);
}

#[test]
fn malformed_lines_are_an_error_naming_file_and_line() {
    liveclin()
        .args([
            "validate",
            "--jsonl-path",
            "tests/fixtures/broken/malformed.jsonl",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "tests/fixtures/broken/malformed.jsonl:2: invalid JSON at column 2",
        ))
        .stderr(predicate::str::contains("(and 1 other malformed line)"));
}

#[test]
fn data_paths_resolve_like_the_official_tool() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("data").join("mini");
    std::fs::create_dir_all(config.join("image")).unwrap();
    let first = std::fs::read_to_string(repo("data/demo/demo.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(config.join("mini.jsonl"), format!("{first}\n")).unwrap();
    let d = dir.path().to_str().unwrap();

    // --data-dir D resolves to D/data/<config>/<config>.jsonl and D/data/<config>/image.
    let report =
        stdout_json(liveclin().args(["validate", "--json", "--data-dir", d, "--dataset", "mini"]));
    assert_eq!(report["cases"], 1);
    assert!(
        report["image_root"]
            .as_str()
            .unwrap()
            .ends_with("data/mini/image")
    );
    assert!(
        report["images_missing"].as_u64().unwrap() > 0,
        "images are looked up under the config's image dir"
    );

    // --image-root beats --data-dir.
    let report = stdout_json(liveclin().args([
        "validate",
        "--json",
        "--data-dir",
        d,
        "--dataset",
        "mini",
        "--image-root",
        "data/demo/image",
    ]));
    assert_eq!(report["images_missing"], 0);

    // --jsonl-path beats --data-dir.
    let report = stdout_json(liveclin().args([
        "validate",
        "--json",
        "--data-dir",
        d,
        "--dataset",
        "mini",
        "--jsonl-path",
        "data/demo/demo.jsonl",
    ]));
    assert_eq!(report["cases"], 16);

    // A config that is not there (and cannot be downloaded) is a clear error naming the
    // path looked at.
    liveclin()
        .args(["validate", "--data-dir", d, "--dataset", "2025_H2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "dataset config \"2025_H2\" not found at",
        ))
        .stderr(predicate::str::contains("data/2025_H2/2025_H2.jsonl"));
    liveclin()
        .args(["validate", "--jsonl-path", "nope.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--jsonl-path not found: nope.jsonl",
        ));
}

#[test]
fn prompts_shows_chosen_cases() {
    let demo = ["--data-dir", ".", "--dataset", "demo"];
    liveclin()
        .arg("prompts")
        .args(demo)
        .args(["--case", "90000102", "--image-mode", "url"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "=== case 90000102 (line 2): 4 turns, url mode\n--- turn 1 ---\n* Scenario: ",
        ))
        .stdout(predicate::str::contains(
            "[picture] https://example.org/liveclin-demo/",
        ))
        .stdout(predicate::str::contains("=== case").count(1));
    liveclin()
        .arg("prompts")
        .args(demo)
        .args(["--limit", "3", "--json", "--short-data-uris"])
        .assert()
        .success()
        .stdout(predicate::function(|out: &str| {
            let lines: Vec<&str> = out.split_terminator('\n').collect();
            out.ends_with('\n')
                && lines.len() == 3
                && lines.iter().all(|l| l.starts_with('{') && l.ends_with('}'))
        }))
        .stdout(predicate::str::contains(r#""url":"data:image/png;base64,"#))
        .stdout(predicate::str::contains("more characters]"));
    liveclin()
        .arg("prompts")
        .args(demo)
        .args(["--case", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no case with id \"nope\""));
}

/// A hostile image path is never read: its caption is dropped in local mode.
#[test]
fn prompts_never_read_outside_the_image_root() {
    let out = liveclin()
        .args([
            "prompts",
            "--json",
            "--image-mode",
            "local",
            "--case",
            "4",
            "--jsonl-path",
            "tests/fixtures/broken/broken.jsonl",
            "--image-root",
            "tests/fixtures/broken/image",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        !text.contains("Figure 2:") && !text.contains("Figure 3:") && !text.contains("Figure 4:"),
        "{text}"
    );
}

#[test]
fn report_of_an_empty_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.json");
    std::fs::write(
        &path,
        r#"{"meta": {"model": "m"}, "summary": {}, "cases": []}"#,
    )
    .unwrap();
    liveclin()
        .arg("report")
        .arg(&path)
        .assert()
        .success()
        .stdout("No results to summarize.\n");
    liveclin()
        .args(["report", "--json"])
        .arg(&path)
        .assert()
        .success()
        .stdout("{}\n");
    std::fs::write(&path, "not json").unwrap();
    liveclin()
        .arg("report")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a LiveClin results file"));
}

#[test]
fn help_explains_every_flag() {
    for (command, flags) in [
        (
            "validate",
            &[
                "--dataset",
                "--data-dir",
                "--jsonl-path",
                "--image-root",
                "--json",
            ][..],
        ),
        (
            "prompts",
            &[
                "--image-mode",
                "--case",
                "--limit",
                "--json",
                "--short-data-uris",
                "--data-dir",
            ][..],
        ),
        ("report", &["--json", "<RESULTS>"][..]),
        ("extract", &["--options", "--corpus", "--misses"][..]),
    ] {
        let out = liveclin()
            .args([command, "--help"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let help = String::from_utf8(out).unwrap();
        for flag in flags {
            assert!(help.contains(flag), "{command} --help lacks {flag}");
        }
    }
}

#[test]
fn validate_catches_images_left_as_git_lfs_pointers() {
    // A `git clone` without git-lfs leaves pointer files where the images should be.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("data/demo");
    std::fs::create_dir_all(config.join("image/case01")).unwrap();
    std::fs::copy(repo("data/demo/demo.jsonl"), config.join("demo.jsonl")).unwrap();
    std::fs::write(
        config.join("image/case01/fig2.png"),
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1234\n",
    )
    .unwrap();
    liveclin()
        .args(["validate", "--dataset", "demo", "--data-dir"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "fig2.png is a Git LFS pointer, not the image",
        ));
}

/// Runs `liveclin ARGS` with stdout a pipe whose reader takes `lines` lines and leaves,
/// as `| head -N` does (with 0, it is gone before the command starts, so the command's
/// first write meets the closed pipe for sure). Returns the exit status, the lines read
/// and stderr.
fn with_stdout_closed_after(
    lines: usize,
    args: &[&str],
) -> (std::process::ExitStatus, Vec<String>, String) {
    use std::io::{BufRead, Read};
    let (reader, writer) = std::io::pipe().unwrap();
    let reader = (lines > 0).then_some(reader);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("liveclin"))
        .current_dir(repo(""))
        .env("HF_HUB_OFFLINE", "1")
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut read = Vec::new();
    if let Some(reader) = reader {
        let mut reader = std::io::BufReader::new(reader);
        for _ in 0..lines {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            read.push(line);
        }
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap(), read, stderr)
}

/// `liveclin ... | head` ends quietly with status 0, as `rg` and `cargo` do: no panic,
/// no "error: Broken pipe".
fn assert_quiet_success(args: &[&str], status: std::process::ExitStatus, stderr: &str) {
    assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{args:?}: {stderr}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("error:")),
        "{args:?}: {stderr}"
    );
}

#[test]
fn printing_commands_end_quietly_when_stdout_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let page_flag = format!("--html={}", page.to_str().unwrap());
    let merged = dir.path().join("merged.json");
    let merged_arg = merged.to_str().unwrap();
    let run = "tests/fixtures/official/results-url.json";
    let demo = ["--data-dir", ".", "--dataset", "demo"];
    let commands: [Vec<&str>; 8] = [
        vec!["report", run, &page_flag],
        vec!["report", "--json", run],
        [&["prompts"][..], &demo].concat(),
        [&["validate"][..], &demo].concat(),
        vec![
            "extract",
            "--corpus",
            "tests/data/extraction_corpus.jsonl",
            "--misses",
        ],
        vec!["extract", "The answer is \\boxed{B}."],
        vec!["compare", run, "tests/fixtures/official/results-local.json"],
        vec!["merge", run, "--output", merged_arg, "--data-dir", "."],
    ];
    for args in &commands {
        let (status, _, stderr) = with_stdout_closed_after(0, args);
        assert_quiet_success(args, status, &stderr);
    }
    // What the commands write besides stdout is still written.
    assert!(std::fs::read_to_string(&page).unwrap().contains("<html"));
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(merged["cases"].as_array().unwrap().len(), 16);
}

/// The `| head -1` of a long output: the first line arrives whole, then the command
/// meets the closed pipe part way and ends quietly.
#[test]
fn prompts_piped_to_head_gives_one_whole_line_then_ends_quietly() {
    let args = ["prompts", "--json", "--data-dir", ".", "--dataset", "demo"];
    let (status, lines, stderr) = with_stdout_closed_after(1, &args);
    assert_quiet_success(&args, status, &stderr);
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["line"], 1);
}

/// An installed binary has no checkout beside it: `demo` run from an empty directory uses
/// the config built into the binary, writes its results under that directory and leaves
/// nothing behind in the temporary folder it unpacked the config into.
#[test]
fn demo_runs_from_an_empty_directory_with_the_built_in_config() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("liveclin")
        .unwrap()
        .arg("demo")
        .current_dir(cwd.path())
        .env("HF_HUB_OFFLINE", "1")
        .env("TMPDIR", tmp.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("LiveClin Results: mock (demo)"));
    let results = cwd.path().join("results/demo-mock_demo.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    assert_eq!(file["summary"]["total_cases"], 16);
    assert_eq!(file["meta"]["complete"], true);
    let entries = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect::<Vec<_>>()
    };
    assert_eq!(entries(cwd.path()), ["results"]);
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}
