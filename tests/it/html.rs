//! `report --html`: one self-contained page with the headline, a chart per breakdown,
//! the multi-turn diagnostics and every case's conversation, escaped, loading nothing.

use std::path::{Path, PathBuf};

use liveclin::report::html::{CHART_TITLES, escape};
use serde_json::Value;

use crate::common::{
    assert_self_contained, chart, evaluate, jsonl, liveclin, mock_server, repo, with_html,
};

const OFFICIAL: &str = "tests/fixtures/official/results-url.json";

/// `report RESULTS --html OUT` plus `extra`; returns (stdout, stderr, page).
fn report_html(results: &Path, extra: &[&str]) -> (String, String, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["report".as_ref(), results.as_os_str()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    with_html(&args)
}

#[test]
fn the_page_of_an_official_results_file() {
    let results = repo(OFFICIAL);
    // No --dataset: the config comes from the file's meta ("demo").
    let (stdout, stderr, page) = report_html(&results, &["--data-dir", "."]);
    assert!(stderr.contains("HTML report:"), "{stderr}");
    assert!(!stderr.contains("could not be loaded"), "{stderr}");

    // stdout is what `report` prints without --html.
    let plain = liveclin().arg("report").arg(&results).output().unwrap();
    assert_eq!(stdout.as_bytes(), plain.stdout.as_slice());

    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_self_contained(&page, 1);
    // Header and headline.
    for text in [
        "<h1>m</h1>",
        "demo",
        "16 cases, 72 MCQs",
        "Question accuracy",
        "56.9%",
        "Case accuracy",
        "18.8%",
        "Question accuracy counts API failures and skipped questions as wrong",
    ] {
        assert!(page.contains(text), "{text} missing");
    }
    // One chart per breakdown, every group in it.
    for (_, title) in CHART_TITLES {
        assert_eq!(
            page.matches(&format!("aria-label=\"{title}\"")).count(),
            1,
            "{title}"
        );
    }
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let subcategories = chart(&page, "Case accuracy by subcategory");
    for (chapter, subs) in file["summary"]["by_subcategory"].as_object().unwrap() {
        assert!(subcategories.contains(&escape(chapter)), "{chapter}");
        for sub in subs.as_object().unwrap().keys() {
            assert!(
                subcategories.contains(&format!("<title>{}</title>", escape(sub))),
                "{sub}"
            );
        }
    }
    assert!(chart(&page, "Case accuracy by chapter").contains("small"));

    // Transcripts: the exact question text and a known reply, escaped.
    let first = &jsonl("data/demo/demo.jsonl")[0];
    let question = first["exam_creation"]["final_policy"]["mcqs"][0]["question"]
        .as_str()
        .unwrap();
    assert!(page.contains(&escape(&format!("* Question: {question}"))));
    assert!(page.contains(&escape(
        "* Scenario: A 15-year-old boy was brought to the emergency department"
    )));
    assert!(
        page.contains("Picture: <code>https://example.org/liveclin-demo/case01/fig1a.png</code>")
    );
    assert!(page.contains("Option A is tempting, but the answer is D."));
    assert_eq!(
        page.matches("<details class=\"case\"").count(),
        file["cases"].as_array().unwrap().len()
    );
    // Filters: outcome, chapter and modality, from data-attributes.
    for text in [
        "data-filter=\"outcome\"",
        "data-filter=\"chapter\"",
        "data-filter=\"modality\"",
        "data-outcome=\"[",
        "data-chapter=\"[&quot;Chapter 2: Neoplasms&quot;]\"",
        "<option value=\"image:X-ray\">X-ray",
        "<option value=\"api_failure\">",
    ] {
        assert!(page.contains(text), "{text} missing");
    }
}

/// A copy of the official results file, changed by `edit`.
fn edited(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut file: Value =
        serde_json::from_str(&std::fs::read_to_string(repo(OFFICIAL)).unwrap()).unwrap();
    edit(&mut file);
    let path = dir.join("results.json");
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    path
}

#[test]
fn hostile_text_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
    let results = edited(dir.path(), |file| {
        file["cases"][0]["mcqs"][0]["model_response"] = hostile.into();
        file["cases"][0]["level1"] = "Chapter \"9\" <b>'x'</b>".into();
        file["meta"]["model"] = "<svg onload=alert(2)>".into();
    });
    let (_, _, page) = report_html(&results, &["--data-dir", ".", "--dataset", "demo"]);
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("<svg onload"));
    assert!(!page.contains("<b>'x'</b>"));
    assert!(page.contains(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    ));
    assert!(page.contains("&lt;svg onload=alert(2)&gt;"));
    // In attribute values too (the chapter filter's data and option value).
    assert!(page.contains(
        "data-chapter=\"[&quot;Chapter \\&quot;9\\&quot; &lt;b&gt;&#39;x&#39;&lt;/b&gt;&quot;]\""
    ));
    assert!(
        page.contains("<option value=\"Chapter &quot;9&quot; &lt;b&gt;&#39;x&#39;&lt;/b&gt;\">")
    );
    assert_self_contained(&page, 1);
}

#[test]
fn reference_values_are_drawn_with_their_label() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("physicians.json");
    std::fs::write(
        &reference,
        r#"{"label": "Physicians (published)", "question_accuracy": 0.62, "case_accuracy": 0.31,
            "by_chapter": {"Chapter 2: Neoplasms": 0.40, "Chapter 99: Nowhere": 0.5},
            "by_rarity": {"rare": 0.25}}"#,
    )
    .unwrap();
    let reference_arg = reference.to_str().unwrap();
    let (_, stderr, page) = report_html(
        &repo(OFFICIAL),
        &["--data-dir", ".", "--reference", reference_arg],
    );
    // Beside the headline numbers.
    assert!(page.contains("Physicians (published): 62.0%"));
    assert!(page.contains("Physicians (published): 31.0%"));
    // In the charts of the breakdowns it gives, as a dashed line, with its label.
    let chapters = chart(&page, "Case accuracy by chapter");
    assert!(
        chapters.contains(">Physicians (published)</text>"),
        "legend"
    );
    assert!(chapters.contains("<title>Physicians (published): 40.0%</title>"));
    assert!(chapters.contains("stroke-dasharray"));
    assert!(chart(&page, "Case accuracy by rarity").contains("Physicians (published): 25.0%"));
    assert!(!chart(&page, "Question accuracy by clinical stage").contains("Physicians"));
    // A group the results do not have is named on stderr.
    assert!(
        stderr.contains("by_chapter: Chapter 99: Nowhere"),
        "{stderr}"
    );
}

#[test]
fn a_bad_reference_file_is_an_input_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    for (name, text, message) in [
        ("broken.json", "{\"label\": ", "not JSON"),
        (
            "percent.json",
            r#"{"question_accuracy": 62}"#,
            "fractions between 0 and 1",
        ),
        (
            "typo.json",
            r#"{"by_chaptr": {}}"#,
            "unknown key \"by_chaptr\"",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = liveclin()
            .args(["report", OFFICIAL, "--data-dir", "."])
            .arg(crate::common::html_flag(&out))
            .arg("--reference")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing printed before the error");
        assert!(!out.exists());
    }
    let missing = dir.path().join("missing.json");
    let output = liveclin()
        .args(["report", OFFICIAL])
        .arg(crate::common::html_flag(&out))
        .arg("--reference")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&missing.display().to_string()));
    // --reference alone is a usage error.
    liveclin()
        .args(["report", OFFICIAL, "--reference", "x.json"])
        .assert()
        .code(2);
}

#[test]
fn without_the_dataset_the_transcripts_come_from_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let (_, stderr, page) =
        report_html(&repo(OFFICIAL), &["--data-dir", missing.to_str().unwrap()]);
    assert_eq!(stderr.matches("could not be loaded").count(), 1, "{stderr}");
    assert!(page.contains("The questions are not shown: the dataset could not be loaded"));
    assert!(!page.contains("* Question:"));
    assert!(page.contains("Option A is tempting, but the answer is D."));
    assert!(page.contains("Correct answer"));
    assert_self_contained(&page, 1);

    // A --dataset given on the command line beats the file's meta.dataset ("demo").
    let (_, stderr, page) =
        report_html(&repo(OFFICIAL), &["--data-dir", ".", "--dataset", "nosuch"]);
    assert!(stderr.contains("\"nosuch\" not found"), "{stderr}");
    assert!(!page.contains("* Question:"));
}

#[test]
fn the_page_of_our_own_run() {
    let server = mock_server(liveclin::mock::MockConfig {
        accuracy: 0.7,
        seed: 0,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("run.json");
    evaluate(&server.base, &results, &["--image-mode", "url"])
        .assert()
        .success();
    let (_, stderr, page) = report_html(&results, &["--data-dir", ".", "--dataset", "demo"]);
    assert!(!stderr.contains("not in"), "{stderr}");
    assert_self_contained(&page, 1);
    for (_, title) in CHART_TITLES {
        chart(&page, title);
    }
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    if file.get("multi_turn").is_some() {
        assert!(page.contains("Multi-turn diagnostics"));
        assert!(
            chart(&page, "Question accuracy by question position")
                .contains("given all earlier answers of the case right")
        );
        chart(&page, "Where each case first went wrong");
        chart(&page, "Error rate of the next question");
    }
    if file.get("confidence_intervals").is_some() {
        assert!(page.contains("95% interval"));
    }
    // The first reply of the run, as sent back by the mock.
    let reply = file["cases"][0]["mcqs"][0]["model_response"]
        .as_str()
        .unwrap();
    assert!(page.contains(&escape(reply)));
}

/// The banner of a partial run's page.
const PARTIAL: &str = "Partial run: 13 of 16 cases were not run; every number on this page is over the 3 cases that ran.";

#[test]
fn a_partial_run_is_flagged_at_the_top_of_its_page_and_on_the_terminal() {
    let server = mock_server(liveclin::mock::MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let dataset = ["--data-dir", ".", "--dataset", "demo"];
    let partial = dir.path().join("partial.json");
    evaluate(
        &server.base,
        &partial,
        &["--image-mode", "url", "--limit", "3"],
    )
    .assert()
    .success();
    let (_, stderr, page) = report_html(&partial, &dataset);
    assert!(
        stderr.contains("  Partial run: 13 of 16 cases were not run"),
        "{stderr}"
    );
    assert_self_contained(&page, 1);
    // Before everything else, the headline numbers included.
    let banner = page.find(&escape(PARTIAL)).expect("the banner");
    assert!(banner < page.find("<header>").unwrap());
    assert!(page[..banner].ends_with("<div class=\"warnings partial\" role=\"alert\">"));

    // The terminal report says it too, on stderr (stdout stays the official layout).
    let output = liveclin().arg("report").arg(&partial).output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("  Partial run: 13 of 16 cases were not run; every number above is over the 3 cases that ran."),
        "{stderr}"
    );
    assert!(
        !String::from_utf8(output.stdout)
            .unwrap()
            .contains("Partial run")
    );

    // A complete run has no banner.
    let complete = dir.path().join("complete.json");
    evaluate(&server.base, &complete, &["--image-mode", "url"])
        .assert()
        .success();
    let (_, stderr, page) = report_html(&complete, &dataset);
    assert!(!stderr.contains("Partial run"), "{stderr}");
    assert!(!page.contains("Partial run"));
    assert!(!page.contains("class=\"warnings"));
}

/// The page lists failed questions by cause, with a message and the fix, as the terminal
/// does (the official run failed one question each with a 400, an empty reply and a 500).
#[test]
fn failures_are_listed_by_cause_with_the_fix() {
    let (_, stderr, page) = report_html(&repo(OFFICIAL), &[]);
    let section = &page[page
        .find("<section id=\"failures\">")
        .expect("a failures section")..];
    let section = &section[..section.find("</section>").unwrap()];
    for (cause, message) in [
        (
            "request rejected (HTTP 4xx)",
            "Error code: 400 - Mock error 400",
        ),
        ("empty reply", "Empty response from API."),
        (
            "server error (HTTP 5xx)",
            "Error code: 500 - Mock error 500",
        ),
    ] {
        assert!(
            section.contains(cause) && section.contains(message),
            "{cause}: {section}"
        );
    }
    assert!(stderr.contains("Failed questions by cause:"), "{stderr}");
}

/// `--html` alone writes under results/, named after the results file. A value needs
/// `=`, so in `report --html run.json` the file is the results, never the page's path.
#[test]
fn html_alone_writes_under_results_and_never_over_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("my-run.json");
    std::fs::copy(repo(OFFICIAL), &run).unwrap();
    let before = std::fs::read(&run).unwrap();
    for args in [
        ["report", "my-run.json", "--html"],
        ["report", "--html", "my-run.json"],
    ] {
        let mut cmd = assert_cmd::Command::cargo_bin("liveclin").unwrap();
        cmd.current_dir(dir.path())
            .env("HF_HUB_OFFLINE", "1")
            .args(args)
            .assert()
            .success()
            .stderr(predicates::str::contains(
                "HTML report: results/my-run.html",
            ));
        assert!(dir.path().join("results/my-run.html").is_file());
        assert_eq!(std::fs::read(&run).unwrap(), before);
    }
}
