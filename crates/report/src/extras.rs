//! What we print beyond the official summary: outcomes, 95% intervals (the headline
//! numbers'; every group's with `--ci`) and multi-turn diagnostics. On stderr, so that
//! stdout stays exactly the official layout.

use std::fmt::Write;

use liveclin_core::analysis::bootstrap::{GroupInterval, Interval, Intervals, Statistic};
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::analysis::tokens::TokenTotals;
use liveclin_core::analysis::{Analysis, Breakdown};
use liveclin_core::cost::price::Price;
use liveclin_core::results::ResultsFile;

/// Prints the extras of a results file to stderr (see [`print_analysis`]).
pub fn print(file: &ResultsFile, every_group: bool) {
    print_analysis(&Analysis::of(file), every_group);
}

/// Prints the tokens of a run's recorded replies (and their cost at its recorded price)
/// to stderr: what a run stopped before its end (a signal, a failure no retry fixes) has
/// used so far.
pub fn print_tokens(file: &ResultsFile) {
    let tokens = TokenTotals::of(file.cases.iter().chain(&file.unfinished_cases));
    eprint!("{}", tokens.line(Price::of(&file.meta).as_ref()));
}

/// Prints the extras of a run's analysis to stderr: outcomes, failures by cause,
/// multi-turn diagnostics (and with `every_group` every group's interval), the tokens
/// (and their cost when priced), then, as the
/// last lines, whether the run covers its config and the headline numbers with their
/// intervals and the robust reading, so a run's end shows them without scrolling.
pub fn print_analysis(analysis: &Analysis, every_group: bool) {
    let note = coverage_note(analysis);
    if analysis.cases == 0 {
        if let Some(note) = note {
            eprintln!("{note}");
        }
        return;
    }
    let mut out = String::new();
    if !liveclin_term::quiet() {
        out.push_str(&analysis.outcomes.line());
        out.push_str(&analysis.multi_turn.text());
        if every_group && let Some(intervals) = &analysis.intervals {
            out.push_str(&groups(intervals));
        }
    }
    out.push_str(&analysis.failures.text());
    out.push_str(&analysis.tokens.line(analysis.price.as_ref()));
    if let Some(note) = note {
        out.push_str(&note);
        out.push('\n');
    }
    if let Some(intervals) = &analysis.intervals {
        out.push_str(&headline(intervals));
    }
    out.push_str(&closing(analysis));
    eprint!("{out}");
}

/// The headline numbers, last: question and case accuracy with their counts, and the
/// robust reading of the same replies when the file has it.
fn closing(analysis: &Analysis) -> String {
    let Some(summary) = &analysis.summary else {
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
    if let Some(robust) = &analysis.robust {
        let r = &robust.summary.totals;
        let d = &robust.disagreements;
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
fn coverage_note(analysis: &Analysis) -> Option<String> {
    let note = analysis.coverage?.note()?;
    let ran = format!(
        "the {}",
        liveclin_core::plural::count(analysis.cases as u64, "case", "cases")
    );
    Some(format!(
        "  Partial run: {note}; every number above is over {ran} that ran."
    ))
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// `59.7%-73.6%`.
fn span(interval: &Interval) -> String {
    format!("{}-{}", percent(interval.low), percent(interval.high))
}

/// The intervals of question and case accuracy.
pub fn headline(intervals: &Intervals) -> String {
    let overall = &intervals.overall;
    let small = if overall.small {
        " (few cases: wide)"
    } else {
        ""
    };
    let case = overall
        .case_accuracy
        .as_ref()
        .map(|c| format!(", Case Accuracy {}", span(c)))
        .unwrap_or_default();
    format!(
        "  95% intervals (case-level bootstrap, {} resamples): Question Accuracy {}{case}{small}\n",
        intervals.resamples,
        span(&overall.question_accuracy),
    )
}

/// Every group's estimate and interval, breakdown by breakdown; `*` marks small groups.
pub fn groups(intervals: &Intervals) -> String {
    let mut out = format!("  95% intervals by group (* fewer than {SMALL_GROUP} cases):\n");
    let o = &mut out;
    for breakdown in Breakdown::ALL {
        let _ = writeln!(o, "  {}:", breakdown.title());
        let mut chapter = None;
        for group in intervals.groups.of(breakdown) {
            match &group.chapter {
                Some(this) => {
                    if chapter != Some(this) {
                        let _ = writeln!(o, "    {this}");
                        chapter = Some(this);
                    }
                    line(o, &format!("  {}", group.name), &group.value);
                }
                None => line(o, &group.name, &group.value),
            }
        }
    }
    out
}

fn line(o: &mut String, name: &str, entry: &GroupInterval) {
    let mut label: String = name.chars().take(46).collect();
    if name.chars().count() > 46 {
        label.pop();
        label.push('~');
    }
    let small = if entry.small { "*" } else { " " };
    let _ = write!(o, "    {label:<46} {:>5} cases{small}", entry.cases);
    for statistic in Statistic::ALL {
        let short = match statistic {
            Statistic::Question => "Q",
            Statistic::Case => "C",
        };
        if let Some(interval) = entry.get(statistic) {
            let _ = write!(
                o,
                "  {short} {:>6} ({})",
                percent(interval.estimate),
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
        let ci: Intervals =
            serde_json::from_value(json!({"method": "m", "level": 0.95, "resamples": 2000,
            "overall": {"cases": 16, "small": true,
                "question_accuracy": {"estimate": 0.6667, "low": 0.5, "high": 0.8125},
                "case_accuracy": {"estimate": 0.3125, "low": 0.125, "high": 0.5625}},
            "by_stage": {"Diagnosis": {"cases": 30, "small": false,
                "question_accuracy": {"estimate": 0.7, "low": 0.6, "high": 0.8}}},
            "by_subcategory": {"C2": {"Bone": {"cases": 3, "small": true,
                "question_accuracy": {"estimate": 1.0, "low": 1.0, "high": 1.0},
                "case_accuracy": {"estimate": 1.0, "low": 1.0, "high": 1.0}}}}}))
            .unwrap();
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
