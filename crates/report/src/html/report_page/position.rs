//! The chart of question accuracy by position in the case, with the accuracy at each
//! position of the cases whose earlier answers were all right (from the multi-turn
//! diagnostics) beside it.

use std::fmt::Write;

use super::super::{axis, chart_title, escape, figure, plural};
use super::View;
use super::groups::drawn;
use crate::svg::{self, ChartOptions, Line, Point};
use liveclin_core::analysis::bootstrap::Statistic;
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::analysis::{Breakdown, Summary};

pub(super) fn position_chart(
    out: &mut String,
    view: &View,
    summary: &Summary,
    interval_label: Option<&str>,
    caption: &str,
) {
    let conditional = &view.analysis.multi_turn.conditional_accuracy;
    let mut keys: Vec<String> = summary
        .mcq_groups(Breakdown::Position)
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    for (key, _) in &conditional.0 {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    keys.sort_by_key(|k| position_number(k));
    let title = chart_title(Breakdown::Position);
    if keys.is_empty() {
        let _ = writeln!(
            out,
            "<h3>{}</h3><p class=\"note\">No questions.</p>",
            escape(&title)
        );
        return;
    }
    let positions = drawn(view, summary, Breakdown::Position);
    let all = Line {
        label: "all questions".into(),
        points: keys
            .iter()
            .map(|k| {
                let bar = &positions.iter().find(|g| g.label == *k)?.bar;
                Some(Point {
                    value: bar.value,
                    interval: bar.interval,
                    size: bar.size.clone(),
                    small: bar.small,
                })
            })
            .collect(),
        colour: Some(0),
        dashed: false,
    };
    let given_right = Line {
        label: "given all earlier answers of the case right".into(),
        points: keys
            .iter()
            .map(|k| {
                let entry = conditional.get(k)?;
                (entry.reached > 0).then(|| Point {
                    value: entry.accuracy,
                    interval: None,
                    size: format!("{} reached", plural(entry.reached as i64, "case")),
                    small: entry.reached < SMALL_GROUP as u64,
                })
            })
            .collect(),
        colour: Some(1),
        dashed: false,
    };
    let mut lines = vec![all, given_right];
    if let Some(r) = view.reference.filter(|r| r.has(Breakdown::Position)) {
        lines.push(Line {
            label: r.label.clone(),
            points: keys
                .iter()
                .map(|k| {
                    r.value(Breakdown::Position, k).map(|value| Point {
                        value,
                        ..Default::default()
                    })
                })
                .collect(),
            colour: None,
            dashed: true,
        });
    }
    let svg = svg::line_chart(
        &title,
        &keys,
        &lines,
        &ChartOptions {
            axis: axis(Statistic::Question),
            reference_label: None,
            interval_label,
            sort: None,
        },
    );
    figure(out, Breakdown::Position.key(), &svg, caption);
}

/// Key `Q3` -> 3, for ordering positions.
fn position_number(key: &str) -> u64 {
    key.strip_prefix('Q')
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}
