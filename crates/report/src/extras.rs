//! What we print beyond the official summary: outcomes, 95% intervals (the headline
//! numbers'; every group's with `--ci`) and multi-turn diagnostics. On stderr, so that
//! stdout stays exactly the official layout.

use std::fmt::Write;

use serde_json::Value;

use liveclin_core::analysis::bootstrap::{self, Options};
use liveclin_core::analysis::failures::FailureTable;
use liveclin_core::analysis::multiturn;
use liveclin_core::analysis::outcome::OutcomeCounts;
use liveclin_core::analysis::{reading, summarize};
use liveclin_core::results::{Coverage, ResultsFile};

/// Prints the extras of a results file to stderr: outcomes, failures by cause,
/// multi-turn diagnostics (and with `every_group` every group's interval), then, as the
/// last lines, whether the run covers its config and the headline numbers with their
/// intervals and the robust reading, so a run's end shows them without scrolling.
pub fn print(file: &ResultsFile, every_group: bool) {
    let note = coverage_note(file);
    if file.cases.is_empty() {
        if let Some(note) = note {
            eprintln!("{note}");
        }
        return;
    }
    // Intervals are stored by evaluate and merge; an official results file has none.
    let computed;
    let ci = match file.extra.get("confidence_intervals") {
        Some(ci) if ci.get("overall").is_some() => ci,
        _ => {
            computed = bootstrap::intervals(&file.cases, &Options::default());
            &computed
        }
    };
    let mut out = String::new();
    if !liveclin_term::quiet() {
        out.push_str(&OutcomeCounts::of(&file.cases).line());
        out.push_str(&multiturn::diagnostics(&file.cases).text());
        if every_group {
            out.push_str(&groups(ci));
        }
    }
    out.push_str(&FailureTable::of(&file.cases).text());
    if let Some(note) = note {
        out.push_str(&note);
        out.push('\n');
    }
    out.push_str(&headline(ci));
    out.push_str(&closing(file));
    eprint!("{out}");
}

/// The headline numbers, last: question and case accuracy with their counts, and the
/// robust reading of the same replies when the file has it.
fn closing(file: &ResultsFile) -> String {
    let Some(summary) = summarize(&file.cases) else {
        return String::new();
    };
    let t = &summary.totals;
    let mut out = format!(
        "  {} {} ({} of {} questions)   {} {} ({} of {} cases fully right)\n",
        liveclin_term::strong("Question Accuracy"),
        liveclin_term::strong(&format!("{:.1}%", t.question_accuracy() * 100.0)),
        t.correct_mcqs,
        t.mcqs,
        liveclin_term::strong("Case Accuracy"),
        liveclin_term::strong(&format!("{:.1}%", t.case_accuracy() * 100.0)),
        t.correct_cases,
        t.cases
    );
    if let Some(robust) = reading::robust_cases(&file.cases)
        .as_deref()
        .and_then(summarize)
    {
        let r = &robust.totals;
        let d = reading::disagreements(&file.cases);
        let _ = writeln!(
            out,
            "  Robust reading of the same replies: Q-Acc {:.1}% ({} of {}), C-Acc {:.1}% ({} of {}); {} from the official rules: {} official missed an answer, {} read a different letter, {} robust missed",
            r.question_accuracy() * 100.0,
            r.correct_mcqs,
            r.mcqs,
            r.case_accuracy() * 100.0,
            r.correct_cases,
            r.cases,
            liveclin_core::plural::count(d.total, "verdict differs", "verdicts differ"),
            d.official_missed,
            d.different_letter,
            d.robust_missed
        );
    }
    out
}

/// `"  Partial run: 1380 of 1407 cases were not run; ..."` when the file says so.
pub(crate) fn coverage_note(file: &ResultsFile) -> Option<String> {
    let note = Coverage::of(&file.meta)?.note()?;
    let ran = format!(
        "the {}",
        liveclin_core::plural::count(file.cases.len() as u64, "case", "cases")
    );
    Some(format!(
        "  Partial run: {note}; every number above is over {ran} that ran."
    ))
}

fn percent(v: &Value) -> String {
    format!("{:.1}%", v.as_f64().unwrap_or(0.0) * 100.0)
}

/// `95% interval 59.7%-73.6%`.
fn span(interval: &Value) -> String {
    format!(
        "{}-{}",
        percent(&interval["low"]),
        percent(&interval["high"])
    )
}

/// The intervals of question and case accuracy.
pub fn headline(ci: &Value) -> String {
    let overall = &ci["overall"];
    let small = if overall["small"] == true {
        " (few cases: wide)"
    } else {
        ""
    };
    format!(
        "  95% intervals (case-level bootstrap, {} resamples): Question Accuracy {}, Case Accuracy {}{small}\n",
        ci["resamples"],
        span(&overall["question_accuracy"]),
        span(&overall["case_accuracy"])
    )
}

const BREAKDOWNS: [(&str, &str); 7] = [
    ("by_rarity", "Rarity"),
    ("by_chapter", "Chapter"),
    ("by_subcategory", "Subcategory"),
    ("by_stage", "Clinical Stage"),
    ("by_position", "Question Position"),
    ("by_image_modality", "Image Modality"),
    ("by_table_modality", "Table Modality"),
];

/// Every group's estimate and interval, breakdown by breakdown; `*` marks small groups.
pub fn groups(ci: &Value) -> String {
    let mut out = String::from("  95% intervals by group (* fewer than 20 cases):\n");
    let o = &mut out;
    for (key, title) in BREAKDOWNS {
        let _ = writeln!(o, "  {title}:");
        let Some(groups) = ci[key].as_object() else {
            continue;
        };
        for (name, entry) in groups {
            if key == "by_subcategory" {
                let _ = writeln!(o, "    {name}");
                for (sub, inner) in entry.as_object().into_iter().flatten() {
                    line(o, &format!("  {sub}"), inner);
                }
            } else {
                line(o, name, entry);
            }
        }
    }
    out
}

fn line(o: &mut String, name: &str, entry: &Value) {
    let mut label: String = name.chars().take(46).collect();
    if name.chars().count() > 46 {
        label.pop();
        label.push('~');
    }
    let small = if entry["small"] == true { "*" } else { " " };
    let _ = write!(
        o,
        "    {label:<46} {:>5} cases{small}",
        entry["cases"].as_u64().unwrap_or(0)
    );
    for (key, short) in [("question_accuracy", "Q"), ("case_accuracy", "C")] {
        let interval = &entry[key];
        if interval.is_object() {
            let _ = write!(
                o,
                "  {short} {:>6} ({})",
                percent(&interval["estimate"]),
                span(interval)
            );
        }
    }
    let _ = writeln!(o);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headline_and_groups_read_the_stored_intervals() {
        let ci = json!({"resamples": 2000,
            "overall": {"cases": 16, "small": true,
                "question_accuracy": {"estimate": 0.6667, "low": 0.5, "high": 0.8125},
                "case_accuracy": {"estimate": 0.3125, "low": 0.125, "high": 0.5625}},
            "by_stage": {"Diagnosis": {"cases": 30, "small": false,
                "question_accuracy": {"estimate": 0.7, "low": 0.6, "high": 0.8}}},
            "by_subcategory": {"C2": {"Bone": {"cases": 3, "small": true,
                "question_accuracy": {"estimate": 1.0, "low": 1.0, "high": 1.0},
                "case_accuracy": {"estimate": 1.0, "low": 1.0, "high": 1.0}}}}});
        assert_eq!(
            headline(&ci),
            "  95% intervals (case-level bootstrap, 2000 resamples): Question Accuracy 50.0%-81.2%, Case Accuracy 12.5%-56.2% (few cases: wide)\n"
        );
        let text = groups(&ci);
        assert!(text.contains("    Diagnosis"), "{text}");
        assert!(
            text.contains("   30 cases   Q  70.0% (60.0%-80.0%)\n"),
            "{text}"
        );
        assert!(text.contains("    C2\n      Bone "), "{text}");
        assert!(
            text.contains("    3 cases*  Q 100.0% (100.0%-100.0%)  C 100.0% (100.0%-100.0%)"),
            "{text}"
        );
    }
}
