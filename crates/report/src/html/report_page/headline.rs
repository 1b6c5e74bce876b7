//! The headline: question and case accuracy with their intervals (and the robust reading
//! and reference values beside them), what became of the questions, and how to read them.

use std::fmt::Write;

use super::super::transcripts;
use super::super::{escape, outcome_name, plural};
use super::View;
use crate::svg::percent;
use liveclin_core::analysis::bootstrap::Statistic;
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::analysis::outcome::Outcome;
use liveclin_core::results::ResultsFile;

pub(super) fn headline(out: &mut String, view: &View, file: &ResultsFile) {
    out.push_str("<section id=\"headline\">\n<h2>Headline</h2>\n");
    let analysis = view.analysis;
    let Some(summary) = &analysis.summary else {
        out.push_str(
            "<p>No results to summarize: the results file has no cases.</p>\n</section>\n",
        );
        return;
    };
    let t = &summary.totals;
    let overall = analysis.intervals.as_ref().map(|i| &i.overall);
    let label = view.interval_label();
    out.push_str("<div class=\"cards\">\n");
    let reference_label = view.reference.map(|r| r.label.as_str());
    for (name, value, correct, total, unit, statistic, reference) in [
        (
            "Question accuracy",
            t.question_accuracy(),
            t.correct_mcqs,
            t.mcqs,
            "questions",
            Statistic::Question,
            view.reference.and_then(|r| r.question_accuracy),
        ),
        (
            "Case accuracy",
            t.case_accuracy(),
            t.correct_cases,
            t.cases,
            "cases fully right",
            Statistic::Case,
            view.reference.and_then(|r| r.case_accuracy),
        ),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\"><div class=\"k\">{name}</div><div class=\"v\">{}</div>",
            percent(value)
        );
        if let (Some(interval), Some(label)) = (overall.and_then(|o| o.get(statistic)), &label) {
            let _ = write!(
                out,
                "<div class=\"ci\">{} {}–{}</div>",
                escape(label),
                percent(interval.low),
                percent(interval.high)
            );
        }
        let _ = write!(out, "<div class=\"n\">{correct} of {total} {unit}</div>");
        if statistic == Statistic::Question
            && let Some(robust) = &analysis.robust
        {
            let r = &robust.summary.totals;
            let _ = write!(
                out,
                "<div class=\"robust\">Robust reading: <b>{}</b> <span class=\"n\">({} of {})</span></div>",
                percent(r.question_accuracy()),
                r.correct_mcqs,
                r.mcqs
            );
        }
        if let (Some(r), Some(l)) = (reference, reference_label) {
            let _ = write!(
                out,
                "<div class=\"ref\"><span class=\"dash\"></span>{}: {}</div>",
                escape(l),
                percent(r)
            );
        }
        out.push_str("</div>\n");
    }
    outcomes(out, view);
    if analysis.robust.is_some() {
        let differ = transcripts::disagreements(file).len();
        let _ = write!(
            out,
            "<p class=\"note\">Question accuracy is the official reading of each reply (<code>extracted_answer</code>, the official tool's extraction); the robust reading is liveclin's extractor on the same replies (<code>robust_answer</code>; README, Answer extraction). "
        );
        if differ == 0 {
            out.push_str("The two readings agree on every question.</p>\n");
        } else {
            let _ = writeln!(
                out,
                "They differ on {}: <a href=\"#cases\" id=\"show-differ\">list them</a>.</p>",
                plural(differ as i64, "question")
            );
        }
    }
    if let (Some(intervals), Some(label)) = (&analysis.intervals, &label) {
        let mut text = format!(
            "{label}s: {}, {} resamples",
            intervals.method, intervals.resamples
        );
        if let Some(seed) = intervals.seed {
            text.push_str(&format!(", seed {seed}"));
        }
        let _ = writeln!(
            out,
            "<p class=\"note\">{}. Groups of fewer than {SMALL_GROUP} cases are flagged \"small\": their intervals are wide.</p>",
            escape(&text)
        );
    } else {
        let _ = writeln!(
            out,
            "<p class=\"note\">This results file has no confidence intervals; the numbers are shown without them. Groups of fewer than {SMALL_GROUP} cases are flagged \"small\".</p>"
        );
    }
    out.push_str("</section>\n");
}

/// The card of what became of the questions (closing the cards), and what the official
/// accuracy counts as wrong.
fn outcomes(out: &mut String, view: &View) {
    let o = &view.analysis.outcomes;
    out.push_str(
        "<div class=\"card outcomes\"><div class=\"k\">Outcomes of the questions</div><table>",
    );
    for outcome in Outcome::ALL {
        let _ = write!(
            out,
            "<tr><td><span class=\"badge o-{0}\">{1}</span></td><td class=\"num\">{2}</td></tr>",
            outcome.key(),
            outcome_name(outcome),
            o.count(outcome)
        );
    }
    let _ = writeln!(
        out,
        "<tr class=\"total\"><td>answered / all MCQs</td><td class=\"num\">{} / {}</td></tr></table></div>",
        o.answered, o.mcqs
    );
    out.push_str("</div>\n");
    let failed = o.api_failure + o.skipped;
    let _ = write!(
        out,
        "<p class=\"note\">Question accuracy counts API failures and skipped questions as wrong, as the official tool does"
    );
    if failed > 0 {
        let _ = write!(
            out,
            ": {failed} of the {} questions were never answered by the model; over the {} answered, accuracy is {}",
            o.mcqs,
            o.answered,
            percent(if o.answered > 0 {
                o.correct as f64 / o.answered as f64
            } else {
                0.0
            })
        );
    } else {
        out.push_str(" (this run has none)");
    }
    out.push_str(".</p>\n");
}
