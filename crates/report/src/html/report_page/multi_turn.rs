//! The multi-turn diagnostics: where each case first went wrong, and whether one wrong
//! answer makes the next more likely.

use std::fmt::Write;

use super::super::{figure, plural};
use super::View;
use crate::svg::{self, Bar, ChartOptions, Group, percent};
use liveclin_core::analysis::multiturn::Transition;

pub(super) fn multi_turn(out: &mut String, view: &View) {
    let multi = &view.analysis.multi_turn;
    out.push_str("<section id=\"multi-turn\">\n<h2>Multi-turn diagnostics</h2>\n");
    let cases = multi.cases as i64;
    let excluded = multi.excluded_cases as i64;
    let _ = write!(
        out,
        "<p>Each case is one conversation. These diagnostics use the {} in which the model answered every question",
        plural(cases, "case")
    );
    if excluded > 0 {
        let _ = write!(
            out,
            "; {} with an API failure or a skipped question {} left out",
            plural(excluded, "case"),
            if excluded == 1 { "is" } else { "are" }
        );
    }
    out.push_str(".</p>\n");
    if cases == 0 {
        out.push_str("</section>\n");
        return;
    }
    let series = [view.model.clone()];
    if !multi.first_wrong.is_empty() {
        let total = multi
            .first_wrong
            .0
            .iter()
            .map(|(_, n)| n)
            .sum::<u64>()
            .max(1);
        let groups: Vec<Group> = multi
            .first_wrong
            .0
            .iter()
            .map(|(key, n)| Group {
                label: if key == "none" {
                    "never (every answer right)".into()
                } else {
                    key.clone()
                },
                bars: vec![Some(Bar {
                    value: *n as f64 / total as f64,
                    size: plural(*n as i64, "case"),
                    ..Default::default()
                })],
                ..Default::default()
            })
            .collect();
        let svg = svg::bar_chart(
            "Where each case first went wrong",
            &groups,
            &series,
            &ChartOptions {
                axis: "share of cases",
                ..Default::default()
            },
        );
        figure(
            out,
            "first-wrong",
            &svg,
            "The position of the first wrong answer of each case.",
        );
    }
    after_errors(
        out,
        &series,
        &multi.error_after_error,
        &multi.error_after_correct,
    );
    out.push_str("</section>\n");
}

/// How often the next answer is wrong, after a wrong and after a right one.
fn after_errors(
    out: &mut String,
    series: &[String],
    after_error: &Transition,
    after_correct: &Transition,
) {
    let groups: Vec<Group> = [
        ("after a wrong answer", after_error),
        ("after a right answer", after_correct),
    ]
    .into_iter()
    .map(|(label, t)| Group {
        label: label.into(),
        bars: vec![Some(Bar {
            value: t.rate,
            size: format!("{} of {}", t.wrong, plural(t.pairs as i64, "pair")),
            small: false,
            note: "consecutive questions of one case".into(),
            ..Default::default()
        })],
        ..Default::default()
    })
    .collect();
    let svg = svg::bar_chart(
        "Error rate of the next question",
        &groups,
        series,
        &ChartOptions {
            axis: "share of next questions answered wrong",
            ..Default::default()
        },
    );
    let mut caption = String::from(
        "Over consecutive questions of a case: how often the next answer is wrong, after a wrong and after a right answer.",
    );
    if after_error.pairs > 0 && after_correct.pairs > 0 {
        let (re, rc) = (after_error.rate, after_correct.rate);
        let verdict = if re > rc {
            "one error makes the next more likely"
        } else if re < rc {
            "errors do not cluster"
        } else {
            "no difference"
        };
        caption.push_str(&format!(
            " Here: {} after a wrong answer, {} after a right one ({verdict}).",
            percent(re),
            percent(rc)
        ));
    }
    figure(out, "error-after", &svg, &caption);
}
