//! The weakest groups: the lowest-accuracy groups of each breakdown, with their
//! intervals, where to look first.

use std::fmt::Write;

use super::super::{escape, plural};
use super::View;
use super::groups::{Drawn, drawn};
use crate::svg::percent;
use liveclin_core::analysis::Breakdown;
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::pytext::capitalize;

/// Groups of fewer cases are left out of the weakest groups (their numbers swing most).
const WEAKEST_MIN_CASES: i64 = 10;
/// The weakest groups listed per breakdown, at most.
const WEAKEST_PER_BREAKDOWN: usize = 3;

/// The lowest-accuracy groups of each breakdown among those with at least
/// [`WEAKEST_MIN_CASES`] cases (a breakdown needs two such groups to have a weakest).
pub(super) fn weakest(out: &mut String, view: &View) {
    let Some(summary) = &view.analysis.summary else {
        return;
    };
    out.push_str("<section id=\"weakest\">\n<h2>Weakest groups</h2>\n");
    let label = view.interval_label();
    let mut rows = String::new();
    for breakdown in Breakdown::ALL {
        let groups = drawn(view, summary, breakdown);
        let mut eligible: Vec<&Drawn> = groups
            .iter()
            .filter(|g| g.cases >= WEAKEST_MIN_CASES)
            .collect();
        if eligible.len() < 2 {
            continue;
        }
        eligible.sort_by(|a, b| {
            a.bar
                .value
                .total_cmp(&b.bar.value)
                .then(b.cases.cmp(&a.cases))
        });
        let shown = WEAKEST_PER_BREAKDOWN.min(eligible.len() - 1);
        let chart = breakdown.key();
        for (i, g) in eligible.iter().take(shown).enumerate() {
            let head = if i == 0 {
                format!(
                    "<th rowspan=\"{shown}\" scope=\"rowgroup\"><a href=\"#chart-{chart}\">{}</a><span class=\"measure\">{}</span></th>",
                    escape(&capitalize(breakdown.title())),
                    breakdown.statistic().title().to_lowercase()
                )
            } else {
                String::new()
            };
            let group = match &g.section {
                Some(section) => format!(
                    "{}<span class=\"section\">{}</span>",
                    escape(&g.label),
                    escape(section)
                ),
                None => escape(&g.label),
            };
            let interval = g.bar.interval.map_or_else(
                || "<span class=\"none\">–</span>".to_string(),
                |(low, high)| format!("{}–{}", percent(low), percent(high)),
            );
            let size = if breakdown.case_level() {
                g.bar.size.clone()
            } else {
                format!("{}, {}", g.bar.size, plural(g.cases, "case"))
            };
            let _ = writeln!(
                rows,
                "<tr data-breakdown=\"{chart}\">{head}<td>{group}</td><td class=\"num\"><b>{}</b></td><td class=\"num\">{interval}</td><td class=\"num\">{}{}</td></tr>",
                percent(g.bar.value),
                escape(&size),
                if g.cases < SMALL_GROUP as i64 {
                    " <span class=\"small\">small</span>"
                } else {
                    ""
                }
            );
        }
    }
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">No breakdown has two groups of {WEAKEST_MIN_CASES} cases or more: too few cases to single any group out.</p>\n</section>"
        );
        return;
    }
    let overall = format!(
        "case accuracy {}, question accuracy {}",
        percent(summary.totals.case_accuracy()),
        percent(summary.totals.question_accuracy())
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">The lowest-accuracy groups of each breakdown, among groups of {WEAKEST_MIN_CASES} cases or more (overall: {overall}). Where a group's interval reaches the overall value, its gap may be chance.</p>"
    );
    let _ = writeln!(
        out,
        "<table class=\"weakest\">\n<tr><th>Breakdown</th><th>Group</th><th class=\"num\">Accuracy</th><th class=\"num\">{}</th><th class=\"num\">Size</th></tr>\n{rows}</table>\n</section>",
        escape(label.as_deref().unwrap_or("Interval"))
    );
}
