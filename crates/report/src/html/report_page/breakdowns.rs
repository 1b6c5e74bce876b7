//! The breakdowns: a chart per breakdown (the position chart is [`super::position`]'s),
//! its bars sortable in the page.

use super::super::{axis, chart_or_note};
use super::View;
use super::groups::{Drawn, drawn};
use super::position;
use crate::svg::{ChartOptions, Group, SortKey};
use liveclin_core::analysis::Breakdown;

pub(super) fn breakdowns(out: &mut String, view: &View) {
    out.push_str("<section id=\"breakdowns\">\n<h2>Breakdowns</h2>\n");
    let Some(summary) = &view.analysis.summary else {
        out.push_str("<p>No results.</p>\n</section>\n");
        return;
    };
    out.push_str("<div class=\"chart-order\" role=\"radiogroup\" aria-label=\"Order of the bars\">Order the bars by <label><input type=\"radio\" name=\"chart-order\" value=\"accuracy\" checked> accuracy, worst first</label><label><input type=\"radio\" name=\"chart-order\" value=\"size\"> size, largest first</label><label><input type=\"radio\" name=\"chart-order\" value=\"natural\"> the breakdown's own order (chapter number, stage...)</label></div>\n<p class=\"note\">A case-accuracy chart's size is its cases; a question-accuracy chart's, its questions (MCQs). Subcategories stay under their chapters, in chapter order.</p>\n");
    let series = [view.model.clone()];
    let interval_label = view.interval_label();
    for breakdown in Breakdown::ALL {
        if breakdown == Breakdown::Position {
            let label = interval_label.as_deref();
            position::position_chart(out, view, summary, label, caption(breakdown));
            continue;
        }
        let (groups, keys) = by_accuracy(drawn(view, summary, breakdown));
        chart_or_note(
            out,
            breakdown,
            &groups,
            &series,
            &ChartOptions {
                axis: axis(breakdown.statistic()),
                reference_label: view.reference.map(|r| r.label.as_str()),
                interval_label: interval_label.as_deref(),
                sort: Some(&keys),
            },
            caption(breakdown),
        );
    }
    out.push_str("</section>\n");
}

/// What a breakdown's chart shows, under it.
fn caption(breakdown: Breakdown) -> &'static str {
    match breakdown {
        Breakdown::Rarity | Breakdown::Chapter => {
            "Case accuracy: the share of cases whose every question was answered right."
        }
        Breakdown::Subcategory => {
            "Every subcategory, under its chapter (chapters in chapter order)."
        }
        Breakdown::Stage => "Questions grouped by the broad clinical stage they ask about.",
        Breakdown::Position => {
            "Q1 is the first question of a case, asked with the scenario. The second curve counts, at each position, only the cases whose earlier questions were all answered right."
        }
        Breakdown::ImageModality => {
            "Questions grouped by the modality of their pictures; a question with pictures of several modalities counts in each."
        }
        Breakdown::TableModality => {
            "Questions grouped by the kind of their tables; a question with several kinds counts in each."
        }
    }
}

/// The groups (numbered in the page's order, the breakdown's own) as the page first shows
/// them, which is also its script's "accuracy" order: within each section (a chapter of
/// subcategories; else the whole breakdown), accuracy, worst first; then size, largest
/// first; then the breakdown's own order. With each group's sort keys.
fn by_accuracy(groups: Vec<Drawn>) -> (Vec<Group>, Vec<SortKey>) {
    let mut rows: Vec<(Drawn, SortKey)> = groups
        .into_iter()
        .enumerate()
        .map(|(natural, g)| {
            let key = SortKey {
                size: g.size,
                natural,
            };
            (g, key)
        })
        .collect();
    for section in rows.chunk_by_mut(|(a, _), (b, _)| a.section == b.section) {
        section.sort_by(|(a, ka), (b, kb)| {
            a.bar
                .value
                .total_cmp(&b.bar.value)
                .then(kb.size.total_cmp(&ka.size))
                .then(ka.natural.cmp(&kb.natural))
        });
    }
    rows.into_iter()
        .map(|(g, key)| {
            let group = Group {
                label: g.label,
                section: g.section,
                bars: vec![Some(g.bar)],
                reference: g.reference,
            };
            (group, key)
        })
        .unzip()
}
