//! `liveclin compare`: paired differences, p-values and warnings on real results files.

use std::path::{Path, PathBuf};

use liveclin_core::analysis::Breakdown;
use liveclin_report::html::{chart_title, escape};
use predicates::prelude::*;
use serde_json::Value;

use super::common::{
    assert_self_contained, chart, evaluate, liveclin, mock_server, repo, with_html,
};

const RUN: &str = "tests/fixtures/official/results-url.json";

/// The warning about the fixture run's failures, after its label.
const FIXTURE_FAILURES: &str = ": 3 API failures and 9 skipped MCQs are counted as wrong";

/// A copy of the fixture run, changed by `edit`, written into `dir`. The fixture's case
/// without an id (the official tool writes "" when a case has no pmc, pmid or doi) gets
/// one, so that every case can be matched across runs.
fn variant(dir: &Path, name: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    edited(&repo(RUN), dir, name, |file| {
        for case in file["cases"].as_array_mut().unwrap() {
            if case["case_id"] == "" {
                case["case_id"] = "unnamed".into();
            }
        }
        edit(file);
    })
}

/// A copy of the results file `source`, changed by `edit`, written into `dir`.
fn edited(source: &Path, dir: &Path, name: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    edit(&mut file);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    path
}

/// The fixture run with every answer right, its model named "better".
fn better_run(dir: &Path) -> PathBuf {
    variant(dir, "better.json", |f| {
        f["meta"]["model"] = "better".into();
        for case in f["cases"].as_array_mut().unwrap() {
            let n = case["mcqs"].as_array().unwrap().len();
            for mcq in case["mcqs"].as_array_mut().unwrap() {
                mcq["is_correct"] = true.into();
                mcq["error"] = Value::Null;
            }
            case["correct_mcqs"] = n.into();
        }
    })
}

fn compare_json(files: &[&Path]) -> Value {
    compare_json_with(files, &[])
}

/// `compare FILES --json` plus `extra`, parsed.
fn compare_json_with(files: &[&Path], extra: &[&str]) -> Value {
    let assert = liveclin()
        .arg("compare")
        .args(files)
        .args(extra)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

#[test]
fn a_run_against_itself_differs_by_nothing_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let run = variant(dir.path(), "run.json", |_| {});
    let v = compare_json(&[&run, &run]);
    assert_eq!(v["common_cases"], 16);
    for stat in ["question_accuracy", "case_accuracy"] {
        let pair = &v["overall"][stat]["pairs"][0];
        assert_eq!(pair["difference"], 0.0);
        assert_eq!(pair["p_value"], 1.0, "{stat}");
    }
    for (name, group) in v["by_chapter"].as_object().unwrap() {
        // A group of one case has nothing to resample: no test, no p-value.
        let expected = if group["cases"] == 1 {
            Value::Null
        } else {
            1.0.into()
        };
        assert_eq!(
            group["case_accuracy"]["pairs"][0]["p_value"], expected,
            "{name}"
        );
    }
    liveclin()
        .arg("compare")
        .args([&run, &run])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "[2]-[1] +0.0 (+0.0, +0.0) p=1.000",
        ));
}

#[test]
fn a_clearly_better_run_is_significantly_better() {
    let dir = tempfile::tempdir().unwrap();
    let better = better_run(dir.path());
    let run = variant(dir.path(), "run.json", |_| {});
    let v = compare_json(&[&run, &better]);
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
    let run = variant(dir.path(), "run.json", |_| {});
    let out = liveclin()
        .arg("compare")
        .arg(&run)
        .args([&other, &third])
        .arg("--all-pairs")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "over the 15 cases all of them have",
        ))
        .stderr(predicate::str::contains(
            "Warning: the runs used different configs",
        ))
        .stderr(predicate::str::contains("has 1 case the others lack"));
    drop(out);
    let v = compare_json(&[&run, &other]);
    assert_eq!(v["common_cases"], 15);
    // Those two, then each run's API failures and skipped MCQs (the fixture has some).
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(warnings[2].as_str().unwrap().ends_with(FIXTURE_FAILURES));
}

/// `compare FILES --html OUT` plus `extra`; returns (stdout, stderr, page).
fn compare_html(files: &[&Path], extra: &[&str]) -> (String, String, String) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["compare".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    let (stdout, stderr, page) = with_html(&args);
    assert!(stderr.contains("HTML comparison: "), "{stderr}");
    (stdout, stderr, page)
}

/// A pair's difference as the page and the table write it: `+4.8 (-1.0, +10.5) p=0.110`
/// (`p=n/a` for a group of one case).
fn difference(pair: &Value) -> String {
    let points = |key: &str| pair[key].as_f64().unwrap() * 100.0;
    let p = match pair["p_value"].as_f64() {
        Some(p) => format!("{p:.3}"),
        None => "n/a".into(),
    };
    format!(
        "{:+.1} ({:+.1}, {:+.1}) p={p}",
        points("difference"),
        points("low"),
        points("high"),
    )
}

#[test]
fn the_html_page_has_a_chart_per_breakdown_with_every_run_and_difference() {
    let dir = tempfile::tempdir().unwrap();
    let better = better_run(dir.path());
    let run = variant(dir.path(), "run.json", |_| {});
    let (stdout, _, page) = compare_html(&[&run, &better], &[]);
    // stdout is what `compare` prints without --html.
    let plain = liveclin()
        .arg("compare")
        .args([&run, &better])
        .output()
        .unwrap();
    assert_eq!(stdout.as_bytes(), plain.stdout.as_slice());
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert_self_contained(&page, 0);

    let v = compare_json(&[&run, &better]);
    // The header: both runs, their files, the common cases, the one warning (the
    // fixture's failures; the better run has none).
    for text in [
        &escape(&run.display().to_string()),
        &escape(&better.display().to_string()),
        "16 cases all runs have",
        &format!("<li>m{FIXTURE_FAILURES}</li>"),
    ] {
        assert!(page.contains(text), "{text} missing");
    }
    // The headline: each run's accuracies and their difference.
    for stat in ["question_accuracy", "case_accuracy"] {
        let pair = &v["overall"][stat]["pairs"][0];
        let points = |key: &str| pair[key].as_f64().unwrap() * 100.0;
        assert!(page.contains(&format!(
            "<td class=\"num\">{:+.1}</td><td class=\"num\">{:+.1} to {:+.1}</td>",
            points("difference"),
            points("low"),
            points("high")
        )));
    }
    assert!(page.contains(">100.0%</b>"));
    // One chart per breakdown, a bar per run in each, and each group's difference.
    for breakdown in Breakdown::ALL {
        let title = &chart_title(breakdown);
        assert_eq!(
            page.matches(&format!("aria-label=\"{title}\"")).count(),
            1,
            "{title}"
        );
        let svg = chart(&page, title);
        assert!(svg.contains(">[1] m</text>"), "{title}: legend of run 1");
        assert!(
            svg.contains(">[2] better</text>"),
            "{title}: legend of run 2"
        );
        let entries = entries(&v, breakdown);
        assert!(!entries.is_empty(), "{breakdown:?}");
        for entry in entries {
            let text = difference(&entry[stat_of(breakdown)]["pairs"][0]);
            assert!(svg.contains(&text), "{title}: {text} missing");
        }
        assert!(svg.contains("small"), "{title}: small groups flagged");
    }

    // With --json, stdout is the JSON and the page is written all the same.
    let (stdout, _, page) = compare_html(&[&run, &better], &["--json"]);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["common_cases"], 16);
    assert!(page.contains("Case accuracy by chapter"));

    // Runs with nothing to warn about say so.
    let (_, _, page) = compare_html(&[&better, &better], &[]);
    assert!(page.contains("No warnings"));
    assert!(!page.contains("class=\"warnings\""));
}

#[test]
fn the_html_page_escapes_what_the_files_say_and_shows_the_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = variant(dir.path(), "hostile.json", |f| {
        f["meta"]["model"] = "<script>alert(1)</script>".into();
        f["meta"]["dataset"] = "2025_H2".into();
        f["cases"].as_array_mut().unwrap().pop();
    });
    let run = variant(dir.path(), "run.json", |_| {});
    let (_, stderr, page) = compare_html(&[&run, &hostile], &[]);
    assert!(stderr.contains("Warning: the runs used different configs"));
    assert_self_contained(&page, 0);
    assert!(!page.contains("<script>alert"), "the model name is escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for title in Breakdown::ALL.map(chart_title) {
        for title in [differences_title(&title), title] {
            assert!(
                chart(&page, &title).contains(">[2] &lt;script&gt;alert(1)&lt;/script&gt;</text>"),
                "{title}"
            );
        }
    }
    // The warnings, prominently in the header, escaped: configs, cases, and each run's
    // failures.
    let v = compare_json(&[&run, &hostile]);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 4);
    assert_eq!(
        warnings[3],
        format!("<script>alert(1)</script>{FIXTURE_FAILURES}")
    );
    let header = &page[..page.find("id=\"headline\"").unwrap()];
    assert!(header.contains("<div class=\"warnings\" role=\"alert\">"));
    for warning in warnings {
        let text = escape(warning.as_str().unwrap());
        assert!(
            header.contains(&format!("<li>{text}</li>")),
            "{text} missing"
        );
    }
    assert!(header.contains("15 cases all runs have"));
}

#[test]
fn cases_without_an_id_are_left_out_with_a_warning() {
    let v = compare_json(&[&repo(RUN), &repo(RUN)]);
    assert_eq!(v["common_cases"], 15);
    let warnings = v["warnings"].as_array().unwrap();
    // One per run, then each run's failures.
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("has 1 case without a case id: left out")
    );
}

/// `evaluate` of the demo config against `base`, with `extra`, into `dir/name`.
fn mock_run(base: &str, dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut args = vec!["--image-mode", "url"];
    args.extend(extra);
    evaluate(base, &path, &args).assert().success();
    path
}

#[test]
fn partial_runs_and_runs_with_failures_are_warned_about() {
    let server = mock_server(liveclin_net::mock::MockConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let complete = mock_run(&server.base, dir.path(), "complete.json", &[]);
    let partial = mock_run(&server.base, dir.path(), "partial.json", &["--limit", "3"]);
    // Both runs are of the model "mock": each is labelled with its file too.
    let partial_warning = format!("mock ({}): 13 of 16 cases were not run", partial.display());
    liveclin()
        .arg("compare")
        .args([&complete, &partial])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "Warning: {partial_warning}\n"
        )))
        .stderr(predicate::str::contains("were not run").count(1))
        .stderr(predicate::str::contains("counted as wrong").not());
    let v = compare_json(&[&complete, &partial]);
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings.contains(&partial_warning.as_str().into()),
        "{warnings:?}"
    );

    // The fixture run has API failures and skipped MCQs; the mock's complete run none.
    let failing = variant(dir.path(), "failing.json", |_| {});
    liveclin()
        .arg("compare")
        .args([&complete, &failing])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "Warning: m{FIXTURE_FAILURES}\n"
        )))
        .stderr(predicate::str::contains("counted as wrong").count(1));
    let v = compare_json(&[&complete, &failing]);
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings.contains(&format!("m{FIXTURE_FAILURES}").into()),
        "{warnings:?}"
    );
    // Nothing of the kind about the complete run.
    assert!(
        !warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("mock:")),
        "{warnings:?}"
    );

    // On the page, at the top (the runs' models differ: each is labelled by its model).
    let (_, _, page) = compare_html(&[&partial, &failing], &[]);
    let header = &page[..page.find("id=\"headline\"").unwrap()];
    for warning in [
        "mock: 13 of 16 cases were not run".to_string(),
        format!("m{FIXTURE_FAILURES}"),
    ] {
        assert!(
            header.contains(&format!("<li>{}</li>", escape(&warning))),
            "{warning}"
        );
    }
}

/// The title of a breakdown's forest plot, from its bar chart's title:
/// "Differences in case accuracy by rarity".
fn differences_title(title: &str) -> String {
    format!(
        "Differences in {}{}",
        title[..1].to_lowercase(),
        &title[1..]
    )
}

/// Each group entry of `breakdown` in a comparison (subcategories within chapters).
fn entries(v: &Value, breakdown: Breakdown) -> Vec<&Value> {
    let mut entries: Vec<&Value> = Vec::new();
    for (_, entry) in v[breakdown.key()].as_object().unwrap() {
        if breakdown == Breakdown::Subcategory {
            entries.extend(entry.as_object().unwrap().values());
        } else {
            entries.push(entry);
        }
    }
    entries
}

/// The accuracy a breakdown's charts show.
fn stat_of(breakdown: Breakdown) -> &'static str {
    breakdown.statistic().key()
}

#[test]
fn the_html_page_has_a_forest_plot_of_differences_per_breakdown_readable_with_three_runs() {
    let dir = tempfile::tempdir().unwrap();
    let run = variant(dir.path(), "run.json", |_| {});
    let better = better_run(dir.path());
    let third = variant(dir.path(), "third.json", |f| {
        f["meta"]["model"] = "third".into();
        f["cases"][0]["mcqs"][0]["is_correct"] = true.into();
    });
    let files = [run.as_path(), better.as_path(), third.as_path()];
    let (_, _, page) = compare_html(&files, &["--all-pairs"]);
    assert_self_contained(&page, 0);
    let v = compare_json(&files);
    let tags = ["[2]-[1]", "[3]-[1]", "[3]-[2]"];
    let mut titles: Vec<String> = vec!["Overall differences".into()];
    titles.extend(Breakdown::ALL.map(|b| differences_title(&chart_title(b))));
    for title in &titles {
        let svg = chart(&page, title);
        // The later runs in the legend, each in its colour and shape; the zero line.
        assert!(
            svg.contains(">[2] better</text>") && svg.contains(">[3] third</text>"),
            "{title}"
        );
        assert!(svg.contains(">0</text>"), "{title}: the zero tick");
        for tag in tags {
            assert!(svg.contains(&format!(">{tag}</text>")), "{title}: {tag}");
        }
    }
    // Every group's every pair, by its difference, interval and p-value.
    for breakdown in Breakdown::ALL {
        let title = differences_title(&chart_title(breakdown));
        let svg = chart(&page, &title);
        for entry in entries(&v, breakdown) {
            for k in 0..3 {
                let text = difference(&entry[stat_of(breakdown)]["pairs"][k]);
                assert!(svg.contains(&format!(">{text}")), "{title}: {text} missing");
            }
        }
    }
    // The better run is significantly better overall: drawn filled, in bold.
    let overall = chart(&page, "Overall differences");
    let line = difference(&v["overall"]["question_accuracy"]["pairs"][0]);
    assert!(
        overall.contains(&format!("font-weight=\"600\" fill=\"#1d2330\">{line}")),
        "{line}"
    );
    // The runs are told apart by shape as well as colour, in the swatches and on the bars.
    let header = &page[..page.find("id=\"headline\"").unwrap()];
    for shape in ["<circle", "<rect", "<polygon"] {
        assert!(
            header.contains(&format!("aria-hidden=\"true\">{shape}")),
            "{shape}"
        );
    }
    let bars = chart(&page, &chart_title(Breakdown::ALL[0]));
    for (i, glyph) in ["●", "■", "▲"].iter().enumerate() {
        assert!(bars.contains(&format!("{glyph} [{}]", i + 1)), "{glyph}");
    }

    // Without --all-pairs, each later run against the first only, as in the table.
    let (_, _, page) = compare_html(&files, &[]);
    let svg = chart(&page, &differences_title(&chart_title(Breakdown::ALL[0])));
    assert!(svg.contains(">[3]-[1]</text>") && !svg.contains(">[3]-[2]</text>"));
}

/// A run of the mock model, and a copy of it (its model "robust-right") whose robust
/// extractor read every answered MCQ right while the official verdicts stay the same.
fn robust_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let server = mock_server(liveclin_net::mock::MockConfig::default());
    let run = mock_run(&server.base, dir, "mock.json", &[]);
    let right = edited(&run, dir, "right.json", |f| {
        f["meta"]["model"] = "robust-right".into();
        for case in f["cases"].as_array_mut().unwrap() {
            for mcq in case["mcqs"].as_array_mut().unwrap() {
                if mcq["robust_correct"].is_boolean() {
                    mcq["robust_correct"] = true.into();
                    mcq["robust_answer"] = mcq["correct_answer"].clone();
                }
            }
        }
    });
    (run, right)
}

/// The share of a results file's MCQs whose `key` is true.
fn share_true(path: &Path, key: &str) -> f64 {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mcqs: Vec<&Value> = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["mcqs"].as_array().unwrap())
        .collect();
    mcqs.iter().filter(|m| m[key] == true).count() as f64 / mcqs.len() as f64
}

#[test]
fn the_robust_reading_counts_the_robust_verdicts_where_the_files_differ() {
    let dir = tempfile::tempdir().unwrap();
    let (run, right) = robust_pair(dir.path());
    let official = share_true(&run, "is_correct");
    let robust = share_true(&run, "robust_correct");
    assert!(robust < 1.0, "the mock gets some wrong: {robust}");

    // Officially the two files are the same run: no difference anywhere.
    let v = compare_json(&[&run, &right]);
    assert_eq!(v["reading"], "official");
    let q = &v["overall"]["question_accuracy"];
    assert_eq!(q["pairs"][0]["difference"], 0.0);
    assert!((q["values"][0].as_f64().unwrap() - official).abs() < 1e-4);

    // Robustly, the copy got everything right, cases included (recounted: its stored
    // correct_mcqs are the official ones).
    let v = compare_json_with(&[&run, &right], &["--reading", "robust"]);
    assert_eq!(v["reading"], "robust");
    let q = &v["overall"]["question_accuracy"];
    assert!(
        (q["values"][0].as_f64().unwrap() - robust).abs() < 1e-4,
        "{q}"
    );
    assert_eq!(q["values"][1], 1.0);
    assert!(q["pairs"][0]["difference"].as_f64().unwrap() > 0.0, "{q}");
    assert_eq!(v["overall"]["case_accuracy"]["values"][1], 1.0);
    for breakdown in Breakdown::ALL {
        for entry in entries(&v, breakdown) {
            assert_eq!(entry[stat_of(breakdown)]["values"][1], 1.0, "{breakdown:?}");
        }
    }

    // The table, and the page, say which reading they count (the official one: the
    // `compare` snapshot).
    let (stdout, _, page) = compare_html(&[&run, &right], &["--reading", "robust"]);
    assert!(stdout.contains("Reading: robust, the robust extractor's verdict (robust_correct)"));
    assert!(page.contains("LiveClin comparison · robust reading"));
    assert!(page.contains("<dt>Reading</dt><dd>robust: the robust extractor"));

    // `--html` alone: the robust page is named apart from the official one, beside it.
    for (reading, page) in [
        ("official", "results/compare-mock-vs-right.html"),
        ("robust", "results/compare-robust-mock-vs-right.html"),
    ] {
        let mut cmd = assert_cmd::Command::cargo_bin("liveclin").unwrap();
        cmd.current_dir(dir.path())
            .args([
                "compare",
                "mock.json",
                "right.json",
                "--html",
                "--reading",
                reading,
            ])
            .assert()
            .success()
            .stderr(predicate::str::contains(format!("HTML comparison: {page}")));
        assert!(dir.path().join(page).is_file(), "{page}");
    }
}

#[test]
fn the_robust_reading_refuses_a_file_of_the_official_tool() {
    let dir = tempfile::tempdir().unwrap();
    let official = variant(dir.path(), "official.json", |_| {});
    let (run, _) = robust_pair(dir.path());
    let page = dir.path().join("page.html");
    liveclin()
        .arg("compare")
        .args([&run, &official])
        .args(["--reading", "robust"])
        .arg(super::common::html_flag(&page))
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "{}: --reading robust needs the robust extractor's verdict (robust_correct) of every answered MCQ",
            official.display()
        )))
        .stderr(predicate::str::contains("--reading official (the default)"));
    assert!(!page.exists(), "nothing written");
    // The official reading compares the same files.
    assert_eq!(compare_json(&[&run, &official])["reading"], "official");
}
