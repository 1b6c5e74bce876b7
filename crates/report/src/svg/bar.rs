//! Bar charts: horizontal bars of a value per group, one bar per series (run) in each
//! group, with interval whiskers, the group's size or an annotation as text, small groups
//! faded and flagged, dashed reference lines, and optionally rows the page's script can
//! reorder.

use liveclin_core::analysis::breakdown::SMALL_GROUP;
use std::fmt::Write;

use super::axis::{self, Axis};
use super::colour::{BASELINE, INK, MUTED, REFERENCE_COLOUR, STRIPE, WHISKER, series_colour};
use super::legend::{Legend, Swatch};
use super::rows::{self, LINE_H, RowPlace};
use super::{ANNOTATION_ROOM, ChartOptions, WIDTH, escape, open, percent};

/// Group labels are right-aligned here.
const LABEL_END: f64 = 318.0;
const PLOT_X0: f64 = 326.0;
const PLOT_W: f64 = 380.0;
/// The value and size text of each bar starts here.
const TEXT_X: f64 = PLOT_X0 + PLOT_W + 10.0;
/// Characters per line of a group label (two lines at most).
const LABEL_CHARS: usize = 46;

/// One bar: the value of one run in one group.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Bar {
    /// A fraction, 0..=1.
    pub value: f64,
    /// The interval around the value (low, high), drawn as a whisker.
    pub interval: Option<(f64, f64)>,
    /// The group's size, shown beside the bar, e.g. "12 cases".
    pub size: String,
    /// Too few cases for a stable number: drawn faded and flagged "small".
    pub small: bool,
    /// More about the value, shown in the tooltip only (e.g. the other accuracy).
    pub note: String,
    /// Shown beside the bar in place of `size` when not empty (e.g. the difference from
    /// the first run, with its interval and p-value); `size` then goes to the tooltip.
    /// A chart with annotations is drawn wider, to make room for them.
    pub(crate) annotation: String,
}

/// One group of a bar chart (a chapter, a rarity, a stage...): one bar per series.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Group {
    pub label: String,
    /// A heading drawn above the group when it differs from the previous group's (for
    /// example the chapter of a subcategory).
    pub section: Option<String>,
    /// One entry per series label, in the same order; `None` when that run has no such
    /// group (drawn as "no data").
    pub bars: Vec<Option<Bar>>,
    /// A reference value for this group, drawn as a dashed vertical line.
    pub reference: Option<f64>,
}

/// The keys a sortable chart's script orders a group by (see [`ChartOptions::sort`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SortKey {
    /// What the group's size label counts (cases for case accuracy, MCQs for question
    /// accuracy): "size, largest first" orders by it.
    pub size: f64,
    /// The group's place in the breakdown's own order (chapter number, stage, ...).
    pub natural: usize,
}

/// Horizontal bars of a value per group, one bar per series (run) in each group, with
/// interval whiskers, the group's size as text, small groups faded and flagged, and
/// dashed reference lines. `series_labels` names the runs (a legend is drawn when there
/// are several); every group's `bars` follows that order.
pub(crate) fn bar_chart(
    title: &str,
    groups: &[Group],
    series_labels: &[String],
    options: &ChartOptions,
) -> String {
    emit(
        title,
        &lay_out(groups, series_labels, options),
        options.axis,
    )
}

// Layout --------------------------------------------------------------------------------

/// The sizes of a chart's bars, set by how many series (runs) it has: one run gets
/// thicker bars and larger text than several side by side.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    series: usize,
    bar_h: f64,
    /// From the top of one bar of a group to the next's.
    pitch: f64,
    /// The size of the text beside each bar.
    font: f64,
}

impl Geometry {
    fn new(groups: &[Group], series_labels: &[String]) -> Self {
        let series = series_labels
            .len()
            .max(groups.iter().map(|g| g.bars.len()).max().unwrap_or(1))
            .max(1);
        let bar_h = if series == 1 { 16.0 } else { 12.0 };
        Geometry {
            series,
            bar_h,
            pitch: bar_h + 4.0,
            font: if series == 1 { 12.5 } else { 11.0 },
        }
    }

    /// A row's height: room for every bar and for every line of its label.
    fn row_height(&self, label_lines: usize) -> f64 {
        (self.series as f64 * self.pitch).max(label_lines as f64 * LINE_H) + 8.0
    }
}

/// A bar chart laid out: every position and text its markup needs.
struct Layout<'a> {
    width: f64,
    height: f64,
    legend: Legend,
    axis: Axis,
    plot_top: f64,
    plot_bottom: f64,
    /// Tick labels above the plot too, for a chart too long to see both ends at once.
    ticks_on_top: bool,
    geometry: Geometry,
    /// Whether the rows carry the keys of the page's script ([`ChartOptions::sort`]).
    sortable: bool,
    rows: Vec<Row<'a>>,
}

/// One group's row. It is drawn as a `<g>` moved to the row's top (which the page's
/// script can move), so every y inside it is relative to that top.
struct Row<'a> {
    place: RowPlace<'a>,
    label: &'a str,
    /// The wrapped label's lines, each with its baseline.
    lines: Vec<(String, f64)>,
    /// The keys of a sortable chart: the first bar's value (-1 without one), the size,
    /// the natural order.
    keys: Option<(f64, SortKey)>,
    slots: Vec<Slot<'a>>,
    /// The reference line: its x, and its title.
    reference: Option<(f64, String)>,
}

/// One series' place in a row: its bar, or "no data".
struct Slot<'a> {
    top: f64,
    middle: f64,
    colour: &'static str,
    bar: Option<BarMarks<'a>>,
}

/// A bar and what goes with it.
struct BarMarks<'a> {
    length: f64,
    /// The x of the interval's ends.
    whisker: Option<(f64, f64)>,
    faded: bool,
    value: String,
    /// Written after the value: the size, or the annotation.
    said: &'a str,
    tooltip: String,
    /// Whether " · small" follows (the group's first small bar).
    flag_small: bool,
}

/// The x of a value on the 0-100% axis (a value outside is drawn at the nearer end).
fn x_of(value: f64) -> f64 {
    PLOT_X0 + value.clamp(0.0, 1.0) * PLOT_W
}

/// Works the chart out from its groups: the legend first (its height sets where the plot
/// starts), then the rows stacked under it, the axis under them, and the width (wider
/// when a bar has an annotation to write).
fn lay_out<'a>(
    groups: &'a [Group],
    series_labels: &[String],
    options: &ChartOptions,
) -> Layout<'a> {
    let geometry = Geometry::new(groups, series_labels);
    let legend = legend(groups, series_labels, options);
    let plot_top = legend.bottom() + 12.0;
    let labels: Vec<Vec<String>> = groups
        .iter()
        .map(|g| rows::wrap(&g.label, LABEL_CHARS, 2))
        .collect();
    let heights = groups
        .iter()
        .zip(&labels)
        .map(|(group, lines)| (group.section.as_deref(), geometry.row_height(lines.len())));
    let (places, end) = rows::stack(heights, plot_top + 6.0);
    let sort = options.sort.filter(|keys| keys.len() == groups.len());
    let rows = groups
        .iter()
        .zip(labels)
        .zip(places)
        .enumerate()
        .map(|(i, ((group, lines), place))| {
            let key = sort.map(|keys| keys[i]);
            lay_out_row(group, lines, place, key, &geometry, series_labels, options)
        })
        .collect();
    let annotated = groups
        .iter()
        .flat_map(|g| g.bars.iter().flatten())
        .any(|b| !b.annotation.is_empty());
    let plot_bottom = end + 4.0;
    Layout {
        width: if annotated {
            WIDTH + ANNOTATION_ROOM
        } else {
            WIDTH
        },
        height: plot_bottom + 40.0,
        legend,
        axis: percent_axis(),
        plot_top,
        plot_bottom,
        ticks_on_top: groups.len() > 8,
        geometry,
        sortable: sort.is_some(),
        rows,
    }
}

/// The legend: the runs when there are several, then the reference lines, the whiskers
/// and the faded bars, each when the chart draws one.
fn legend(groups: &[Group], series_labels: &[String], options: &ChartOptions) -> Legend {
    let mut legend = Legend::new();
    if series_labels.len() > 1 {
        for (i, label) in series_labels.iter().enumerate() {
            let colour = series_colour(i);
            legend.add(
                label,
                Swatch::Bar {
                    colour,
                    faded: false,
                },
            );
        }
    }
    if let Some(label) = options.reference_label
        && groups.iter().any(|g| g.reference.is_some())
    {
        legend.add(label, Swatch::ReferenceLine);
    }
    let bars = || groups.iter().flat_map(|g| g.bars.iter().flatten());
    if let Some(label) = options.interval_label
        && bars().any(|b| b.interval.is_some())
    {
        legend.add(label, Swatch::Whisker);
    }
    if bars().any(|b| b.small) {
        let colour = series_colour(0);
        let text = format!("faded, \"small\": fewer than {SMALL_GROUP} cases");
        legend.add(
            &text,
            Swatch::Bar {
                colour,
                faded: true,
            },
        );
    }
    legend
}

/// The 0-100% axis under the bars, its 0% line darker than the rest.
fn percent_axis() -> Axis {
    Axis {
        ticks: axis::percent_ticks(x_of),
        zero_line: (BASELINE, 1.2),
    }
}

/// A group's row, from its wrapped label and its place: the label centred on the row,
/// the bars centred together in it, the reference line across it.
fn lay_out_row<'a>(
    group: &'a Group,
    lines: Vec<String>,
    place: RowPlace<'a>,
    key: Option<SortKey>,
    geometry: &Geometry,
    series_labels: &[String],
    options: &ChartOptions,
) -> Row<'a> {
    let baselines = rows::baselines(0.0, place.height, lines.len());
    let first_value = group.bars.first().and_then(Option::as_ref);
    let reference = group.reference.map(|value| {
        let label = options.reference_label.unwrap_or("reference");
        (x_of(value), format!("{label}: {}", percent(value)))
    });
    Row {
        place,
        label: &group.label,
        lines: lines.into_iter().zip(baselines).collect(),
        keys: key.map(|key| (first_value.map_or(-1.0, |b| b.value), key)),
        slots: lay_out_slots(group, place.height, geometry, series_labels, options),
        reference,
    }
}

/// The bars of a group, centred in its row, one slot per series.
fn lay_out_slots<'a>(
    group: &'a Group,
    height: f64,
    geometry: &Geometry,
    series_labels: &[String],
    options: &ChartOptions,
) -> Vec<Slot<'a>> {
    let bars_top = (height - geometry.series as f64 * geometry.pitch) / 2.0 + 2.0;
    // "small" is said once per group, beside its first small bar (the others are faded).
    let mut flagged = false;
    (0..geometry.series)
        .map(|s| {
            let top = bars_top + s as f64 * geometry.pitch;
            let bar = group.bars.get(s).and_then(Option::as_ref).map(|bar| {
                let series = series_labels.get(s).map(String::as_str);
                let flag_small = bar.small && !flagged;
                flagged |= bar.small;
                BarMarks {
                    length: x_of(bar.value) - PLOT_X0,
                    whisker: bar.interval.map(|(low, high)| (x_of(low), x_of(high))),
                    faded: bar.small,
                    value: percent(bar.value),
                    said: if bar.annotation.is_empty() {
                        &bar.size
                    } else {
                        &bar.annotation
                    },
                    tooltip: bar_tooltip(series, &group.label, bar, options),
                    flag_small,
                }
            });
            Slot {
                top,
                middle: top + geometry.bar_h / 2.0,
                colour: series_colour(s),
                bar,
            }
        })
        .collect()
}

/// Everything about a bar in words, for its tooltip: the run, the group, the value with
/// its interval, the size, and the annotation, note and "small" when there are.
fn bar_tooltip(series: Option<&str>, group: &str, bar: &Bar, options: &ChartOptions) -> String {
    let mut text = String::new();
    if let Some(series) = series {
        text.push_str(series);
        text.push_str(": ");
    }
    let _ = write!(text, "{group}: {}", percent(bar.value));
    if let Some((low, high)) = bar.interval {
        let label = options.interval_label.unwrap_or("interval");
        let _ = write!(text, " ({label} {}–{})", percent(low), percent(high));
    }
    let _ = write!(text, ", {}", bar.size);
    if !bar.annotation.is_empty() {
        let _ = write!(text, "; {}", bar.annotation);
    }
    if !bar.note.is_empty() {
        let _ = write!(text, "; {}", bar.note);
    }
    if bar.small {
        text.push_str(&format!("; fewer than {SMALL_GROUP} cases"));
    }
    text
}

// Markup --------------------------------------------------------------------------------

/// The chart, back to front: stripes, legend, grid, rows, then the axis's text.
fn emit(title: &str, layout: &Layout, axis_title: &str) -> String {
    let mut out = String::new();
    open(&mut out, title, layout.width, layout.height);
    for (i, row) in layout.rows.iter().enumerate() {
        emit_stripe(&mut out, row, i, layout);
    }
    layout.legend.emit(&mut out);
    let axis = &layout.axis;
    axis.emit_grid(&mut out, layout.plot_top + 2.0, layout.plot_bottom);
    for row in &layout.rows {
        rows::emit_heading(&mut out, &row.place);
        emit_row(&mut out, row, &layout.geometry);
    }
    if layout.ticks_on_top {
        axis.emit_labels(&mut out, layout.plot_top);
    }
    axis.emit_labels(&mut out, layout.plot_bottom + 14.0);
    let middle = PLOT_X0 + PLOT_W / 2.0;
    axis::emit_title(&mut out, middle, layout.plot_bottom + 30.0, axis_title);
    out.push_str("</svg>");
    out
}

/// The stripe under row `i`: shaded on even rows. A sortable chart has a stripe under
/// every row (transparent on odd places), so that the script can move it with its row
/// and recolour it by its new place.
fn emit_stripe(out: &mut String, row: &Row, i: usize, layout: &Layout) {
    let (y, height, width) = (row.place.top, row.place.height, layout.width);
    if layout.sortable {
        let fill = if i.is_multiple_of(2) { STRIPE } else { "none" };
        let _ = write!(
            out,
            r#"<rect class="stripe" x="0" y="{y:.1}" width="{width}" height="{height:.1}" fill="{fill}"/>"#
        );
    } else if i.is_multiple_of(2) {
        rows::emit_stripe(out, &row.place, width);
    }
}

/// A row: its group (with a sortable chart's keys), its label, its bars and its
/// reference line, drawn from the row's own top, 0.
fn emit_row(out: &mut String, row: &Row, geometry: &Geometry) {
    let (y, height) = (row.place.top, row.place.height);
    match row.keys {
        Some((accuracy, key)) => {
            let _ = write!(
                out,
                r#"<g class="row" transform="translate(0 {y:.1})" data-y="{y:.1}" data-h="{height:.1}" data-acc="{accuracy}" data-size="{}" data-nat="{}" data-sec="{}">"#,
                key.size, key.natural, row.place.section
            );
        }
        None => {
            let _ = write!(out, r#"<g transform="translate(0 {y:.1})">"#);
        }
    }
    let _ = write!(
        out,
        r#"<text text-anchor="end" fill="{INK}"><title>{}</title>"#,
        escape(row.label)
    );
    for (line, baseline) in &row.lines {
        let _ = write!(
            out,
            r#"<tspan x="{LABEL_END}" y="{baseline:.1}">{}</tspan>"#,
            escape(line)
        );
    }
    out.push_str("</text>");
    for slot in &row.slots {
        emit_slot(out, slot, geometry);
    }
    if let Some((x, title)) = &row.reference {
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="1" x2="{x:.1}" y2="{:.1}" stroke="{REFERENCE_COLOUR}" stroke-width="2.5" stroke-dasharray="5 3"><title>{}</title></line>"#,
            height - 1.0,
            escape(title)
        );
    }
    out.push_str("</g>");
}

/// A bar with its whisker and its text, or "no data".
fn emit_slot(out: &mut String, slot: &Slot, geometry: &Geometry) {
    let (top, middle, colour) = (slot.top, slot.middle, slot.colour);
    let Some(bar) = &slot.bar else {
        rows::emit_no_data(out, PLOT_X0 + 4.0, middle + 4.0);
        return;
    };
    let tooltip = escape(&bar.tooltip);
    let (bar_h, font) = (geometry.bar_h, geometry.font);
    let opacity = if bar.faded { 0.5 } else { 1.0 };
    let _ = write!(
        out,
        r#"<rect x="{PLOT_X0}" y="{top:.1}" width="{:.1}" height="{bar_h}" fill="{colour}" fill-opacity="{opacity}"><title>{tooltip}</title></rect>"#,
        bar.length
    );
    if let Some((x1, x2)) = bar.whisker {
        let cap = bar_h / 2.0 - 1.0;
        let _ = write!(
            out,
            r#"<path d="M{x1:.1} {:.1}v{:.1}M{x1:.1} {middle:.1}H{x2:.1}M{x2:.1} {:.1}v{:.1}" stroke="{WHISKER}" stroke-width="1.5" fill="none"><title>{tooltip}</title></path>"#,
            middle - cap,
            2.0 * cap,
            middle - cap,
            2.0 * cap
        );
    }
    let _ = write!(
        out,
        r#"<text x="{TEXT_X}" y="{:.1}" font-size="{font}"><tspan font-weight="600" fill="{INK}">{}</tspan><tspan fill="{MUTED}"> · {}</tspan>"#,
        middle + 4.0,
        bar.value,
        escape(bar.said)
    );
    if bar.flag_small {
        rows::emit_small_flag(out);
    }
    out.push_str("</text>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(value: f64) -> Option<Bar> {
        Some(Bar {
            value,
            interval: Some((value - 0.1, value + 0.1)),
            size: "12 cases".into(),
            small: true,
            note: String::new(),
            annotation: String::new(),
        })
    }

    #[test]
    fn several_series_get_a_legend_and_text_is_escaped() {
        let groups = [
            Group {
                label: "<b>A & B</b>".into(),
                bars: vec![bar(0.5), None],
                reference: Some(0.4),
                ..Default::default()
            },
            Group {
                label: "C".into(),
                bars: vec![bar(0.2), bar(0.9)],
                ..Default::default()
            },
        ];
        let svg = bar_chart(
            "Title <x>",
            &groups,
            &["run 1".into(), "run 2".into()],
            &ChartOptions {
                axis: "case accuracy",
                reference_label: Some("Physicians"),
                interval_label: Some("95% interval"),
                ..Default::default()
            },
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;A &amp; B&lt;/b&gt;"));
        assert!(svg.contains("Title &lt;x&gt;"));
        for text in [
            "run 1",
            "run 2",
            "Physicians",
            "95% interval",
            "no data",
            "small",
            "90.0%",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert_eq!(
            svg.matches("stroke-dasharray").count(),
            2,
            "legend and one line"
        );
    }

    #[test]
    fn annotations_replace_the_size_widen_the_chart_and_small_is_said_once() {
        let annotated = |text: &str| {
            bar(0.5).map(|b| Bar {
                annotation: text.into(),
                ..b
            })
        };
        let groups = [Group {
            label: "A".into(),
            bars: vec![bar(0.2), annotated("+30.0 (+10.0, +50.0) p=0.004 <x>")],
            ..Default::default()
        }];
        let svg = bar_chart(
            "T",
            &groups,
            &["[1] a".into(), "[2] b".into()],
            &ChartOptions::default(),
        );
        assert!(svg.contains(&format!("viewBox=\"0 0 {} ", WIDTH + ANNOTATION_ROOM)));
        assert!(svg.contains("> · +30.0 (+10.0, +50.0) p=0.004 &lt;x&gt;</tspan>"));
        assert_eq!(
            svg.matches("> · 12 cases</tspan>").count(),
            1,
            "size of bar 1"
        );
        assert!(svg.contains("12 cases; +30.0 (+10.0, +50.0)"), "tooltip");
        assert_eq!(svg.matches("> · small</tspan>").count(), 1);
        let plain = bar_chart("T", &groups[..0], &["a".into()], &ChartOptions::default());
        assert!(plain.contains(&format!("viewBox=\"0 0 {WIDTH} ")));
    }

    #[test]
    fn one_series_has_no_series_legend() {
        let groups = [Group {
            label: "A".into(),
            bars: vec![Some(Bar {
                value: 0.25,
                size: "40 cases".into(),
                ..Default::default()
            })],
            ..Default::default()
        }];
        let svg = bar_chart("T", &groups, &["run".into()], &ChartOptions::default());
        assert!(!svg.contains(">run<"));
        assert!(svg.contains("25.0%") && svg.contains("40 cases"));
        assert!(!svg.contains("small"));
    }

    #[test]
    fn a_sortable_chart_draws_each_group_as_a_row_with_its_keys() {
        let groups = [
            Group {
                label: "B".into(),
                section: Some("S1".into()),
                bars: vec![bar(0.2)],
                ..Default::default()
            },
            Group {
                label: "A".into(),
                section: Some("S1".into()),
                bars: vec![bar(0.7)],
                ..Default::default()
            },
            Group {
                label: "C".into(),
                section: Some("S2".into()),
                bars: vec![bar(0.5)],
                ..Default::default()
            },
        ];
        let keys = [
            SortKey {
                size: 12.0,
                natural: 1,
            },
            SortKey {
                size: 30.0,
                natural: 0,
            },
            SortKey {
                size: 5.0,
                natural: 2,
            },
        ];
        let svg = bar_chart(
            "T",
            &groups,
            &["run".into()],
            &ChartOptions {
                sort: Some(&keys),
                ..Default::default()
            },
        );
        assert_eq!(svg.matches("<g class=\"row\"").count(), 3);
        assert_eq!(svg.matches("<rect class=\"stripe\"").count(), 3);
        assert!(svg.contains("data-acc=\"0.2\" data-size=\"12\" data-nat=\"1\" data-sec=\"0\""));
        assert!(svg.contains("data-acc=\"0.5\" data-size=\"5\" data-nat=\"2\" data-sec=\"1\""));
        // Without keys: no row keys, the stripes of even rows only.
        let plain = bar_chart("T", &groups, &["run".into()], &ChartOptions::default());
        assert!(!plain.contains("class=\"row\"") && !plain.contains("data-acc"));
    }
}
