//! `report --html`: one self-contained page with the headline, a chart per breakdown,
//! the multi-turn diagnostics and every case's conversation, escaped, loading nothing.

use std::path::{Path, PathBuf};

use liveclin_core::analysis::Breakdown;
use liveclin_report::html::{chart_title, escape, page_cases};
use serde_json::Value;

use crate::common::{
    assert_self_contained, chart, evaluate, jsonl, liveclin, mock_server, repo, with_html,
};

const OFFICIAL: &str = "tests/fixtures/official/results-url.json";

/// The transcripts' data of a page: one entry per row of its case list.
fn cases_of(page: &str) -> Vec<Value> {
    page_cases(page)
        .expect("the page carries its transcripts")
        .as_array()
        .unwrap()
        .clone()
}

/// Every turn of every case of a page's data.
fn turns_of(page: &str) -> Vec<Value> {
    cases_of(page)
        .iter()
        .flat_map(|c| c["turns"].as_array().unwrap().clone())
        .collect()
}

/// The rows of a page's case list (`<div class="case"...>`, not those of cases not run).
fn case_rows(page: &str) -> usize {
    page.matches("<div class=\"case\" ").count()
}

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
    for title in Breakdown::ALL.map(chart_title) {
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

    // Transcripts, in the page's data: the exact question text, the picture URL sent, a
    // known reply.
    let first = &jsonl("data/demo/demo.jsonl")[0];
    let question = first["exam_creation"]["final_policy"]["mcqs"][0]["question"]
        .as_str()
        .unwrap();
    let data = cases_of(&page);
    let sent = data[0]["turns"][0]["sent"].as_str().unwrap();
    assert!(sent.contains(&format!("* Question: {question}")), "{sent}");
    assert!(
        sent.starts_with("* Scenario: A 15-year-old boy was brought to the emergency department")
    );
    assert_eq!(
        data[0]["turns"][0]["pictures"][0],
        serde_json::json!({"url": "https://example.org/liveclin-demo/case01/fig1a.png", "how": "sent as a URL"})
    );
    assert!(turns_of(&page).iter().any(|t| {
        t["reply"]
            .as_str()
            .unwrap_or("")
            .contains("Option A is tempting, but the answer is D.")
    }));
    assert_eq!(case_rows(&page), file["cases"].as_array().unwrap().len());
    assert_eq!(data.len(), file["cases"].as_array().unwrap().len());
    // The question filter offers the outcomes this run has, API failures among them (the
    // filters themselves are in the `report_page` snapshot).
    assert!(page.contains("<option value=\"api_failure\">"));
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
    // The reply is in the page's data as it was (compressed: no text of it shows in the
    // page's source), for the script to draw as text.
    assert_eq!(cases_of(&page)[0]["turns"][0]["reply"], hostile);
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
    let turns = turns_of(&page);
    assert!(
        turns
            .iter()
            .all(|t| t.get("sent").is_none() && t.get("unsent").is_none())
    );
    assert!(turns.iter().any(|t| {
        t["reply"]
            .as_str()
            .unwrap_or("")
            .contains("Option A is tempting, but the answer is D.")
    }));
    assert!(turns.iter().all(|t| t["correct"].is_string()));
    // Without the dataset, no case can be said not run.
    assert!(!page.contains("<option value=\"not_run\">"));
    assert_self_contained(&page, 1);

    // A --dataset given on the command line beats the file's meta.dataset ("demo").
    let (_, stderr, page) =
        report_html(&repo(OFFICIAL), &["--data-dir", ".", "--dataset", "nosuch"]);
    assert!(stderr.contains("\"nosuch\" not found"), "{stderr}");
    assert!(turns_of(&page).iter().all(|t| t.get("sent").is_none()));
}

#[test]
fn the_page_of_our_own_run() {
    let server = mock_server(liveclin_net::mock::MockConfig {
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
    // Its charts, intervals and multi-turn section are in the `report_page` snapshot; the
    // transcripts are data the skeleton leaves out: the first reply of the run, as sent
    // back by the mock.
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let reply = file["cases"][0]["mcqs"][0]["model_response"]
        .as_str()
        .unwrap();
    assert_eq!(cases_of(&page)[0]["turns"][0]["reply"], reply);
}

/// The banner of a partial run's page.
const PARTIAL: &str = "Partial run: 13 of 16 cases were not run; every number on this page is over the 3 cases that ran.";

#[test]
fn a_partial_run_is_flagged_at_the_top_of_its_page_and_on_the_terminal() {
    let server = mock_server(liveclin_net::mock::MockConfig::default());
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
    // The cases of the config that did not run are listed, hidden until asked for.
    assert!(page.contains("<option value=\"not_run\">not run (13 cases)</option>"));
    assert_eq!(page.matches("<div class=\"case not-run\" ").count(), 13);
    assert_eq!(case_rows(&page), 3);
    let data = cases_of(&page);
    assert_eq!(data.len(), 16);
    assert!(data[3..].iter().all(|c| {
        c["turns"].as_array().unwrap().iter().all(|t| {
            t["outcome"] == "not_run" && t.get("sent").is_none() && t["unsent"].is_string()
        })
    }));

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

/// The `data-KEY="..."` values of every `<g class="row">` of a chart, top to bottom.
fn row_keys(svg: &str, key: &str) -> Vec<f64> {
    svg.split("<g class=\"row\"")
        .skip(1)
        .map(|row| {
            let marker = format!(" data-{key}=\"");
            let rest = &row[row.find(&marker).unwrap() + marker.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The labels of a chart's rows (each row's `<title>`), top to bottom.
fn row_labels(svg: &str) -> Vec<String> {
    svg.split("<g class=\"row\"")
        .skip(1)
        .map(|row| {
            let rest = &row[row.find("<title>").unwrap() + "<title>".len()..];
            rest[..rest.find("</title>").unwrap()].to_string()
        })
        .collect()
}

fn chapter_number(name: &str) -> u32 {
    name.strip_prefix("Chapter ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u32::MAX)
}

/// Chapters are ordered by their ICD number ("Chapter 10" after "Chapter 9"), not as
/// strings: in the chapter filter, the subcategory chart's sections and the charts' own
/// order; the charts first show the worst groups first, with their case counts.
#[test]
fn chapters_are_ordered_by_chapter_number_and_charts_worst_first() {
    let (_, _, page) = report_html(&repo(OFFICIAL), &["--data-dir", "."]);
    // The chapter filter.
    let filter = &page[page.find("data-filter=\"chapter\"").unwrap()..];
    let filter = &filter[..filter.find("</select>").unwrap()];
    let numbers: Vec<u32> = filter
        .split("<option value=\"")
        .skip(2)
        .map(|o| chapter_number(&o[..o.find('"').unwrap()]))
        .collect();
    assert_eq!(numbers.len(), 13);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    // Each option counts cases, as the filter filters cases.
    assert!(
        filter.contains(">Chapter 2: Neoplasms (3 cases)</option>"),
        "{filter}"
    );

    // The chapter chart: worst first, each bar labelled with its cases, and its own order
    // (data-nat) by chapter number.
    let svg = chart(&page, "Case accuracy by chapter");
    let accuracy = row_keys(svg, "acc");
    assert!(accuracy.windows(2).all(|w| w[0] <= w[1]), "{accuracy:?}");
    let labels = row_labels(svg);
    let natural = row_keys(svg, "nat");
    let mut by_natural: Vec<(f64, u32)> = natural
        .iter()
        .zip(&labels)
        .map(|(n, l)| (*n, chapter_number(l)))
        .collect();
    by_natural.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        by_natural.windows(2).all(|w| w[0].1 < w[1].1),
        "{by_natural:?}"
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(repo(OFFICIAL)).unwrap()).unwrap();
    let sizes = row_keys(svg, "size");
    for (label, size) in labels.iter().zip(&sizes) {
        let cases = file["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| escape(c["level1"].as_str().unwrap()) == *label)
            .count();
        assert_eq!(*size as usize, cases, "{label}");
        let case_word = if cases == 1 { "case" } else { "cases" };
        assert!(
            svg.contains(&format!(" · {cases} {case_word}</tspan>")),
            "{label}"
        );
    }
    // A question-level chart counts and orders by questions.
    let stage = chart(&page, "Question accuracy by clinical stage");
    assert!(stage.contains(" MCQs</tspan>") && !stage.contains(" cases</tspan>"));
    // The subcategory chart: its chapter headings by number, worst first within each.
    let subs = chart(&page, "Case accuracy by subcategory");
    let mut at = 0;
    let mut previous = 0;
    while let Some(i) = subs[at..].find("font-weight=\"600\" fill=\"#1d2330\">Chapter ") {
        let heading = &subs[at + i + "font-weight=\"600\" fill=\"#1d2330\">".len()..];
        let n = chapter_number(&heading[..heading.find('<').unwrap()]);
        assert!(n > previous, "chapter {n} after {previous}");
        previous = n;
        at += i + 1;
    }
    assert_eq!(previous, 15);
}

/// The case-level filter counts cases, the question-level one questions (and the cases
/// that have one), from the results file.
#[test]
fn case_and_question_filters_say_their_unit() {
    let (_, _, page) = report_html(&repo(OFFICIAL), &["--data-dir", "."]);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(repo(OFFICIAL)).unwrap()).unwrap();
    let cases = file["cases"].as_array().unwrap();
    // Cases whose MCQs all (or any) satisfy `test`.
    let cases_where = |all: bool, test: fn(&Value) -> bool| {
        cases
            .iter()
            .filter(|c| {
                let mut mcqs = c["mcqs"].as_array().unwrap().iter();
                if all { mcqs.all(test) } else { mcqs.any(test) }
            })
            .count()
    };
    let right = |m: &Value| m["is_correct"] == true;
    let fully = cases_where(true, right);
    let failed = cases_where(false, |m| m["error"].is_string());
    let correct_mcqs = cases
        .iter()
        .flat_map(|c| c["mcqs"].as_array().unwrap())
        .filter(|m| right(m))
        .count();
    let with_correct = cases_where(false, right);
    for option in [
        format!(
            "<option value=\"ran\">any case that ran ({} cases)</option>",
            cases.len()
        ),
        format!("<option value=\"fully_right\">fully right ({fully} cases)</option>"),
        format!(
            "<option value=\"some_wrong\">some wrong ({} cases)</option>",
            cases.len() - fully - failed
        ),
        format!("<option value=\"api_failure\">API failure ({failed} cases)</option>"),
        format!(
            "<option value=\"correct\">correct ({correct_mcqs} questions in {with_correct} cases)</option>"
        ),
    ] {
        assert!(page.contains(&option), "{option}");
    }
}

/// A question skipped after a failure never reached the model: its text is kept as not
/// sent; the failed question itself was sent.
#[test]
fn skipped_questions_are_not_under_sent() {
    let (_, _, page) = report_html(&repo(OFFICIAL), &["--data-dir", "."]);
    let turns = turns_of(&page);
    let skipped: Vec<&Value> = turns.iter().filter(|t| t["outcome"] == "skipped").collect();
    assert_eq!(skipped.len(), 9);
    for turn in skipped {
        assert!(turn.get("sent").is_none(), "{turn}");
        assert!(
            turn["unsent"].as_str().unwrap().contains("* Question:"),
            "{turn}"
        );
        assert!(turn.get("reply").is_none());
    }
    let failed: Vec<&Value> = turns
        .iter()
        .filter(|t| t["outcome"] == "api_failure")
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(
        failed
            .iter()
            .all(|t| t["sent"].is_string() && t["error"].is_string())
    );
}

/// In local mode the pictures went out inline, as data URIs of files: the transcripts
/// name each by its file under the image root, never by a URL that was not sent.
#[test]
fn local_pictures_are_named_by_file() {
    let (_, _, page) = report_html(
        &repo("tests/fixtures/official/results-local.json"),
        &["--data-dir", "."],
    );
    assert!(page.contains("pictures are named by their file under the image root"));
    let pictures: Vec<Value> = turns_of(&page)
        .iter()
        .flat_map(|t| t["pictures"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(!pictures.is_empty());
    for picture in &pictures {
        assert!(picture.get("url").is_none(), "{picture}");
        let file = picture["file"].as_str().unwrap();
        assert!(!file.starts_with('/') && !file.contains("http"), "{file}");
        assert!(
            std::path::Path::new("data/demo/image").join(file).is_file(),
            "{file}"
        );
        assert!(
            picture["how"]
                .as_str()
                .unwrap()
                .starts_with("sent inline as a data URI ("),
            "{picture}"
        );
    }
    assert!(
        pictures.iter().any(|p| p["file"] == "case01/fig1a.png"),
        "{pictures:?}"
    );
}

/// With the robust reading in the file: both accuracies in the headline, and the list of
/// disagreements is exactly the MCQs whose readings differ (a recount from the file),
/// with both readings and their rules. Without it (the official tool's files): neither.
#[test]
fn disagreements_match_a_recount_from_the_results() {
    let dir = tempfile::tempdir().unwrap();
    // The official run with the robust reading added: the same letter mostly, another
    // letter for every fifth answered question, nothing for every seventh.
    let results = edited(dir.path(), |file| {
        let mut k = 0;
        for case in file["cases"].as_array_mut().unwrap() {
            for mcq in case["mcqs"].as_array_mut().unwrap() {
                if mcq["error"].is_string() {
                    continue;
                }
                k += 1;
                let official = mcq["extracted_answer"].clone();
                let robust = if k % 5 == 0 {
                    Value::from(if official == "A" { "B" } else { "A" })
                } else if k % 7 == 0 {
                    Value::Null
                } else {
                    official
                };
                mcq["robust_correct"] = Value::from(robust == mcq["correct_answer"]);
                mcq["robust_rule"] = if robust.is_null() {
                    Value::Null
                } else {
                    Value::from("rule <r>")
                };
                mcq["robust_answer"] = robust;
                mcq["extraction_rule"] = Value::from("boxed");
            }
        }
    });
    let (_, _, page) = report_html(&results, &["--data-dir", ".", "--dataset", "demo"]);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let reading = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let mut expected: Vec<String> = Vec::new();
    let (mut robust_right, mut mcqs) = (0, 0);
    for case in file["cases"].as_array().unwrap() {
        for mcq in case["mcqs"].as_array().unwrap() {
            mcqs += 1;
            robust_right += usize::from(mcq["robust_correct"] == true);
            let differ = match (
                reading(&mcq["extracted_answer"]),
                reading(&mcq["robust_answer"]),
            ) {
                (Some(a), Some(b)) => !a.eq_ignore_ascii_case(&b),
                (a, b) => a.is_some() != b.is_some(),
            };
            if mcq.get("robust_answer").is_some() && !mcq["error"].is_string() && differ {
                expected.push(format!(
                    "{}/{}",
                    case["case_id"].as_str().unwrap(),
                    mcq["mcq_index"].as_i64().unwrap() + 1
                ));
            }
        }
    }
    assert!(expected.len() >= 8, "{expected:?}");
    let table = &page[page
        .find("<div id=\"disagreements\" hidden>")
        .expect("the table")..];
    let table = &table[..table.find("</table>").unwrap()];
    let listed: Vec<String> = table
        .split("<tr data-case=\"")
        .skip(1)
        .map(|row| {
            let id = &row[..row.find('"').unwrap()];
            let q = &row[row.find("data-q=\"").unwrap() + 8..];
            format!("{id}/{}", &q[..q.find('"').unwrap()])
        })
        .collect();
    assert_eq!(listed, expected);
    assert!(table.contains("<b>A</b> <span class=\"rule\">(rule &lt;r&gt;)</span>"));
    assert!(table.contains("<span class=\"none\">none</span>"));
    // The filter that shows them, with its counts, and the headline.
    let cases = expected
        .iter()
        .map(|e| e.split('/').next().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(page.contains(&format!(
        "only where the official and robust readings differ ({} questions in {cases} cases)",
        expected.len()
    )));
    assert!(page.contains(&format!(
        "Robust reading: <b>{:.1}%</b> <span class=\"n\">({robust_right} of {mcqs})</span>",
        100.0 * robust_right as f64 / mcqs as f64
    )));
    assert!(page.contains(&format!("They differ on {} questions", expected.len())));
    // Each differing turn is flagged in the data, with both readings and both rules.
    let flagged = turns_of(&page)
        .iter()
        .filter(|t| t["differ"] == true)
        .count();
    assert_eq!(flagged, expected.len());
    assert!(
        turns_of(&page)
            .iter()
            .any(|t| t["differ"] == true && t["robust"].is_null() && t["rule"] == "boxed")
    );

    // The official tool's file: the official numbers only.
    let (_, _, official) = report_html(&repo(OFFICIAL), &["--data-dir", "."]);
    assert!(!official.contains("<div class=\"robust\">"));
    assert!(!official.contains("id=\"differ-only\""));
    assert!(!official.contains("id=\"disagreements\""));
    assert!(
        turns_of(&official)
            .iter()
            .all(|t| t.get("robust").is_none())
    );
}
