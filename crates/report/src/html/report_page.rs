//! The page of `report --html` for one run: its header, the headline numbers, the
//! failures by cause, the weakest groups, a chart per breakdown and the multi-turn
//! diagnostics (one module per section), then the case transcripts of
//! [`super::transcripts`]. Drawn from the run's [`Analysis`], computed before: the page
//! computes nothing. Separate from the comparison page, which shares only the shell and
//! the chart helpers of [`super`].

mod breakdowns;
mod failures;
mod groups;
mod header;
mod headline;
mod multi_turn;
mod position;
mod tokens;
mod weakest;

use super::transcripts::{self, Questions};
use super::{escape, meta_text, page_end, page_start_styled};
use crate::reference::Reference;
use liveclin_core::analysis::bootstrap::GroupInterval;
use liveclin_core::analysis::{Analysis, Breakdown};
use liveclin_core::results::ResultsFile;

/// Everything the page is made of.
pub struct Page<'a> {
    pub file: &'a ResultsFile,
    /// The analysis of `file` (`Analysis::of`).
    pub analysis: &'a Analysis,
    /// How the results file is named on the page (its path as given).
    pub source: &'a str,
    pub reference: Option<&'a Reference>,
    pub questions: Questions<'a>,
}

/// The whole page.
pub fn render(page: &Page) -> String {
    let file = page.file;
    let view = View {
        analysis: page.analysis,
        reference: page.reference,
        model: meta_text(&file.meta, "model").unwrap_or_else(|| "model".into()),
    };

    let mut out = String::with_capacity(64 * 1024 + file.cases.len() * 8 * 1024);
    let title = format!(
        "LiveClin report: {} ({})",
        view.model,
        meta_text(&file.meta, "dataset").unwrap_or_else(|| "?".into())
    );
    page_start_styled(&mut out, &title, STYLE);
    header::partial_banner(&mut out, view.analysis);
    header::header(&mut out, page, &view);
    headline::headline(&mut out, &view, file);
    failures::failures(&mut out, &view.analysis.failures);
    weakest::weakest(&mut out, &view);
    breakdowns::breakdowns(&mut out, &view);
    multi_turn::multi_turn(&mut out, &view);
    let script = transcripts::cases(&mut out, file, &page.questions);
    page_end(
        &mut out,
        &format!(
            "<code>{}</code>. This page is self-contained: it loads nothing from the network; pictures are named, not shown.",
            escape(page.source)
        ),
        Some(&script),
    );
    out
}

/// The report page's own style, after the one both pages share.
const STYLE: &str = include_str!("report.css");

/// What every section draws from.
struct View<'a> {
    analysis: &'a Analysis,
    reference: Option<&'a Reference>,
    model: String,
}

impl View<'_> {
    /// "95% interval", from the intervals' level.
    fn interval_label(&self) -> Option<String> {
        let level = self.analysis.intervals.as_ref()?.level;
        Some(format!("{}% interval", trim_number(level * 100.0)))
    }

    /// The intervals of a group; `chapter` names a subcategory's chapter.
    fn interval(
        &self,
        breakdown: Breakdown,
        chapter: Option<&str>,
        name: &str,
    ) -> Option<&GroupInterval> {
        self.analysis
            .intervals
            .as_ref()?
            .groups
            .get(breakdown, chapter, name)
    }
}

fn trim_number(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::chart_title;
    use serde_json::Value;

    fn file(cases: Value, extra: Value) -> ResultsFile {
        let mut value = serde_json::json!({
            "meta": {"model": "m<1>", "dataset": "demo", "image_mode": "url",
                     "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:01:30+00:00"},
            "cases": cases,
        });
        for (k, v) in extra.as_object().unwrap() {
            value[k] = v.clone();
        }
        serde_json::from_value(value).unwrap()
    }

    fn page(file: &ResultsFile) -> String {
        render(&Page {
            file,
            analysis: &Analysis::of(file),
            source: "r.json",
            reference: None,
            questions: Questions::Unavailable("not given".into()),
        })
    }

    #[test]
    fn results_alone_make_a_page() {
        let f = file(
            serde_json::json!([
                {"case_id": "1", "level1": "Ch <A>", "level2": "S", "rarity": "rare", "mcqs": [
                    {"mcq_index": 0, "stage": "Diagnosis", "correct_answer": "A", "extracted_answer": "A", "is_correct": true,
                     "model_response": "<img src=x onerror=alert(1)>", "image_types": ["CT"], "table_types": []},
                    {"mcq_index": 1, "correct_answer": "B", "is_correct": false, "error": "HTTP 500"}]}
            ]),
            serde_json::json!({}),
        );
        let html = page(&f);
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        assert!(!html.contains("<img"));
        // The reply is in the transcripts' data, as it was, for the script to show as text.
        let data = super::super::page_cases(&html).expect("the transcripts' data");
        assert_eq!(data[0]["turns"][0]["reply"], "<img src=x onerror=alert(1)>");
        assert_eq!(data[0]["turns"][1]["error"], "HTTP 500");
        assert!(html.contains("m&lt;1&gt;"));
        assert!(html.contains("data-chapter=\"[&quot;Ch &lt;A&gt;&quot;]\""));
        assert!(html.contains("data-modality=\"[&quot;image:CT&quot;]\""));
        assert!(html.contains("data-outcome=\"[&quot;correct&quot;,&quot;api_failure&quot;]\""));
        assert!(html.contains("1 min 30 s later"));
        for breakdown in Breakdown::ALL {
            let title = chart_title(breakdown);
            if breakdown == Breakdown::TableModality {
                // No tables: the title, and why there is no chart.
                assert!(html.contains(&format!("<h3>{title}</h3><p class=\"note\">No questions")));
            } else {
                assert!(html.contains(&format!("aria-label=\"{title}\"")), "{title}");
            }
        }
        assert!(html.contains("the dataset could not be loaded (not given)"));
    }

    #[test]
    fn intervals_and_multi_turn_are_read_when_present() {
        let f = file(
            serde_json::json!([{"case_id": "1", "level1": "C", "mcqs": [{"mcq_index": 0, "is_correct": true}]}]),
            serde_json::json!({
                "confidence_intervals": {"level": 0.9, "method": "case bootstrap", "resamples": 100,
                    "overall": {"cases": 1, "small": true,
                        "question_accuracy": {"estimate": 1.0, "low": 0.5, "high": 1.0},
                        "case_accuracy": {"estimate": 1.0, "low": 0.25, "high": 1.0}}},
                "multi_turn": {"cases": 1, "excluded_cases": 0, "first_wrong": {"none": 1},
                    "conditional_accuracy": {"Q1": {"reached": 1, "correct": 1, "accuracy": 1.0}},
                    "error_after_error": {"pairs": 0, "wrong": 0, "rate": 0.0},
                    "error_after_correct": {"pairs": 0, "wrong": 0, "rate": 0.0}}
            }),
        );
        let html = page(&f);
        assert!(html.contains("90% interval 25.0%–100.0%"), "{html}");
        assert!(html.contains("case bootstrap, 100 resamples"));
        assert!(html.contains("Where each case first went wrong"));
        assert!(html.contains("given all earlier answers of the case right"));
    }

    #[test]
    fn partial_keys_are_tolerated() {
        let f = file(
            serde_json::json!([{"case_id": 7, "mcqs": [{"is_correct": false, "extracted_answer": "B"}]}]),
            serde_json::json!({"confidence_intervals": {"by_chapter": 3}, "multi_turn": {"first_wrong": []}, "outcomes": "x"}),
        );
        let html = page(&f);
        assert!(html.contains("id=\"case-7\""));
    }

    /// A results file of `n` one-question cases per chapter, `right` of them right.
    fn chapters(spec: &[(&str, usize, usize)]) -> ResultsFile {
        let mut cases = Vec::new();
        for (chapter, n, right) in spec {
            for i in 0..*n {
                cases.push(serde_json::json!({
                    "case_id": format!("{chapter}-{i}"), "level1": chapter, "level2": "S", "rarity": "rare",
                    "mcqs": [{"mcq_index": 0, "stage": "Diagnosis", "correct_answer": "A",
                              "extracted_answer": if i < *right { "A" } else { "B" },
                              "is_correct": i < *right}]
                }));
            }
        }
        file(Value::Array(cases), serde_json::json!({}))
    }

    #[test]
    fn the_weakest_groups_are_the_lowest_of_enough_cases_with_their_intervals() {
        let f = chapters(&[
            ("Chapter 10: Ten", 12, 9),
            ("Chapter 2: Two", 12, 3),
            ("Chapter 9: Nine", 15, 6),
            ("Chapter 1: Tiny", 3, 0),
        ]);
        let html = page(&f);
        let section = &html[html.find("<section id=\"weakest\">").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        let rows: Vec<&str> = section
            .split("<tr data-breakdown=\"by_chapter\">")
            .skip(1)
            .collect();
        // Three chapters have 10 cases or more: the two lowest are listed, worst first;
        // the tiny one (0%) is not.
        assert_eq!(rows.len(), 2, "{section}");
        assert!(
            rows[0].contains("<td>Chapter 2: Two</td><td class=\"num\"><b>25.0%</b></td>"),
            "{}",
            rows[0]
        );
        assert!(
            rows[1].contains("<td>Chapter 9: Nine</td><td class=\"num\"><b>40.0%</b></td>"),
            "{}",
            rows[1]
        );
        assert!(!section.contains("Tiny"));
        // With the intervals of the results (computed here: the file has none).
        assert!(rows[0].contains("%–"), "{}", rows[0]);
        assert!(rows[0].contains("12 cases <span class=\"small\">small</span>"));
        assert!(section.contains("<a href=\"#chart-by_chapter\">Chapter</a>"));

        // Too few cases anywhere: said, not listed.
        let html = page(&chapters(&[("Chapter 1: A", 4, 2), ("Chapter 2: B", 5, 1)]));
        assert!(html.contains("No breakdown has two groups of 10 cases or more"));
    }

    #[test]
    fn without_the_robust_reading_the_headline_is_the_official_one() {
        let html = page(&chapters(&[("Chapter 1: A", 4, 2)]));
        assert!(!html.contains("<div class=\"robust\">"));
        assert!(!html.contains("id=\"show-differ\""));
    }
}
