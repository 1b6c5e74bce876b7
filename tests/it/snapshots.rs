//! Snapshots of what a person reads, from the binary on the demo config: the terminal
//! summary (the official block on stdout, our extras on stderr) after a run and from
//! `report` and `report --ci`, `validate`'s text, the `compare` tables, and the skeletons
//! of the HTML report and comparison pages. A change of layout fails here with its diff,
//! where a test of single words would pass.
//!
//! The snapshots are the files under `snapshots/`, each headed by the command it shows.
//! Volatile parts (times, durations, rates, ports, temporary folders) are redacted. Under
//! CI (`CI=true`) insta only compares: a missing or changed snapshot fails and nothing is
//! written. To accept a deliberate change, run the tests with `INSTA_UPDATE=always` (or
//! `cargo insta review`) and read the diff of the snapshot files before committing it.

mod skeleton;

use std::path::Path;
use std::process::Output;

use liveclin_net::mock::MockConfig;

use crate::common::{evaluate, liveclin, mock_server, repo};
use skeleton::skeleton;

/// Checks `text` against the snapshot file `snapshots/{name}.snap`, whose header says
/// `what` it shows, after redacting what changes from run to run.
fn assert_snapshot(name: &str, what: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(what);
    for (volatile, shown) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"completed in \d+\.\ds", "completed in [SECONDS]s"),
        // The last progress line: its clock and pace ("465.0 MCQs/s", or "4.0s/MCQ").
        (r"(?m)^\[[0-9hms ]+\] ", "[ELAPSED] "),
        (r"\d[0-9hms. ]*(MCQs/s|/MCQ)", "[RATE]"),
        // The report page's start and finish, and the run's length.
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", "[TIME]"),
        (r"\(\d[^()]* later\)", "([DURATION] later)"),
    ] {
        settings.add_filter(volatile, shown);
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// What a command printed, as one text: its exit status, then stdout and stderr each
/// under a heading and kept exactly (a blank first or last line shows).
fn printed(output: &Output) -> String {
    format!(
        "exit status: {}\n----- stdout -----\n{}----- stderr -----\n{}----- end -----\n",
        output.status.code().expect("the command exited"),
        text(&output.stdout),
        text(&output.stderr)
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `liveclin`, uncoloured whatever the environment says (`CLICOLOR_FORCE`), run in `dir`,
/// where the tests keep their runs: the files are named as given (`a.json`), so no
/// temporary path is printed and none needs redacting.
fn liveclin_in(dir: &Path) -> assert_cmd::Command {
    let mut cmd = liveclin();
    cmd.current_dir(dir).arg("--color=never");
    cmd
}

/// `liveclin evaluate` of the demo config into `results` against the mock model `mock`,
/// in local image mode as `liveclin demo` runs, with `extra`, uncoloured; returns what it
/// printed. A progress interval of a day leaves only the progress line that ends the run.
fn evaluate_demo(results: &Path, mock: MockConfig, extra: &[&str]) -> Output {
    let server = mock_server(mock);
    let mut args = vec![
        "--image-mode",
        "local",
        "--progress-interval",
        "86400",
        "--color=never",
    ];
    args.extend(extra);
    evaluate(&server.base, results, &args).output().unwrap()
}

/// A successful run of the demo config into `results`, the mock answering right with
/// probability `accuracy` (drawn from `seed`); returns what `evaluate` printed.
fn demo_run(results: &Path, accuracy: f64, seed: u64) -> Output {
    let mock = MockConfig {
        accuracy,
        seed,
        ..MockConfig::default()
    };
    let output = evaluate_demo(results, mock, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    output
}

/// `text` with the temporary folder `dir` shown as `[TMP]`.
fn in_tmp(text: &str, dir: &Path) -> String {
    text.replace(dir.to_str().unwrap(), "[TMP]")
}

/// The runs of these tests: the demo's own (the mock's defaults, accuracy 0.7 and seed 0,
/// as `liveclin demo` runs), then a weaker and a stronger one for the comparisons.
const RUNS: [(&str, f64, u64); 3] = [("a.json", 0.7, 0), ("b.json", 0.5, 3), ("c.json", 0.9, 5)];

#[test]
fn the_terminal_summary_after_a_run_and_from_report() {
    let dir = tempfile::tempdir().unwrap();
    let (name, accuracy, seed) = RUNS[0];
    let results = dir.path().join(name);
    let run = demo_run(&results, accuracy, seed);
    assert_snapshot(
        "evaluate",
        "liveclin evaluate --model mock --dataset demo --image-mode local --output [TMP]/a.json (the mock at accuracy 0.7, seed 0): the official summary on stdout, our extras on stderr after the progress line",
        &in_tmp(&printed(&run), dir.path()),
    );

    let report = liveclin_in(dir.path())
        .args(["report", "a.json"])
        .output()
        .unwrap();
    assert_snapshot(
        "report",
        "liveclin report a.json (the run of the `evaluate` snapshot)",
        &printed(&report),
    );
    // Word for word what the run printed: its summary block and its extras.
    let block = text(&report.stdout);
    let after_block = text(&run.stdout)
        .split_once(&block)
        .map(|(_, after)| after.to_string());
    assert_eq!(
        after_block,
        Some(format!("Detailed results: {}\n", results.display()))
    );
    assert!(text(&run.stderr).ends_with(&text(&report.stderr)));

    let ci = liveclin_in(dir.path())
        .args(["report", "a.json", "--ci"])
        .output()
        .unwrap();
    assert_eq!(ci.stdout, report.stdout, "--ci changes stderr only");
    assert_snapshot(
        "report_ci",
        "liveclin report a.json --ci (the run of the `evaluate` snapshot)",
        &printed(&ci),
    );
}

/// The summary of a run whose questions fail for good: some turns get a 400 or an empty
/// reply at every attempt, and the rest of their case is skipped. The errors on stdout,
/// the failures by cause on stderr. One case at a time, so that the last failure (which
/// the progress line names) is always the same one.
#[test]
fn the_terminal_summary_of_a_run_with_failures() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockConfig {
        accuracy: 0.6,
        seed: 3,
        retry_after: 0,
        faults: [("400".to_string(), 0.08), ("empty".to_string(), 0.05)].into(),
        persistent_faults: true,
        ..MockConfig::default()
    };
    let run = evaluate_demo(
        &dir.path().join("failures.json"),
        mock,
        &["--concurrency", "1", "--max-retries", "1"],
    );
    assert_eq!(run.status.code(), Some(3), "{}", text(&run.stderr));
    assert_snapshot(
        "evaluate_failures",
        "liveclin evaluate --model mock --dataset demo --image-mode local --concurrency 1 --max-retries 1 --output [TMP]/failures.json (the mock at accuracy 0.6, seed 3, with 400s and empty replies at every attempt of some turns)",
        &in_tmp(&printed(&run), dir.path()),
    );
}

#[test]
fn validate_of_the_demo_config() {
    let output = liveclin_in(&repo(""))
        .args(["validate", "--data-dir", ".", "--dataset", "demo"])
        .output()
        .unwrap();
    assert_snapshot(
        "validate",
        "liveclin validate --data-dir . --dataset demo (from the repository's root)",
        &printed(&output),
    );
}

#[test]
fn compare_tables_of_two_and_of_three_demo_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (name, accuracy, seed) in RUNS {
        demo_run(&dir.path().join(name), accuracy, seed);
    }
    let two = liveclin_in(dir.path())
        .args(["compare", "a.json", "b.json"])
        .output()
        .unwrap();
    assert_snapshot(
        "compare",
        "liveclin compare a.json b.json (demo runs of the mock at accuracy 0.7, seed 0 and 0.5, seed 3)",
        &printed(&two),
    );
    let three = liveclin_in(dir.path())
        .args(["compare", "a.json", "b.json", "c.json", "--all-pairs"])
        .output()
        .unwrap();
    assert_snapshot(
        "compare_all_pairs",
        "liveclin compare a.json b.json c.json --all-pairs (demo runs of the mock at accuracy 0.7, seed 0; 0.5, seed 3; 0.9, seed 5)",
        &printed(&three),
    );
}

/// Runs `liveclin ARGS --html=NAME` in `dir`, checks that it succeeded, and returns the
/// skeleton of the page it wrote.
fn page_skeleton(dir: &Path, args: &[&std::ffi::OsStr], name: &str) -> String {
    let output = liveclin_in(dir)
        .args(args)
        .arg(format!("--html={name}"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    skeleton(&std::fs::read_to_string(dir.join(name)).unwrap())
}

#[test]
fn skeleton_of_the_report_page_of_a_demo_run() {
    let dir = tempfile::tempdir().unwrap();
    let (name, accuracy, seed) = RUNS[0];
    demo_run(&dir.path().join(name), accuracy, seed);
    let data_dir = repo("");
    let page = page_skeleton(
        dir.path(),
        &[
            "report".as_ref(),
            "a.json".as_ref(),
            "--data-dir".as_ref(),
            data_dir.as_os_str(),
        ],
        "page.html",
    );
    assert_snapshot(
        "report_page",
        "The skeleton of the page of liveclin report a.json --data-dir REPO --html=page.html (the run of the `evaluate` snapshot)",
        &page,
    );
}

#[test]
fn skeleton_of_the_compare_page_of_two_demo_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (name, accuracy, seed) in &RUNS[..2] {
        demo_run(&dir.path().join(name), *accuracy, *seed);
    }
    let page = page_skeleton(
        dir.path(),
        &["compare".as_ref(), "a.json".as_ref(), "b.json".as_ref()],
        "compare.html",
    );
    assert_snapshot(
        "compare_page",
        "The skeleton of the page of liveclin compare a.json b.json --html=compare.html (the runs of the `compare` snapshot)",
        &page,
    );
}
