//! Charts as inline SVG, for the HTML report: horizontal bars of accuracy per group (one
//! bar per run, so several runs can be compared side by side), and curves over question
//! positions. Pure functions from numbers to SVG text: no scripts, no external fonts or
//! images, and every piece of text goes through [`escape`].
//!
//! Values are fractions in 0..=1 and are drawn on a 0-100% axis.

use std::fmt::Write;

use super::html::escape;

/// Colours of the runs (series): Okabe & Ito's colour-blind-safe palette (2008), black
/// and yellow left out (black is the ink, yellow vanishes on white), in the order that
/// keeps the first runs furthest apart under protanopia, deuteranopia and tritanopia
/// (checked by `forest_tests`). Each run also has a shape ([`series_shape`]).
pub const PALETTE: [&str; 6] = [
    "#0072b2", "#d55e00", "#56b4e9", "#e69f00", "#009e73", "#cc79a7",
];
/// Reference lines (published or user-given values).
pub(crate) const REFERENCE_COLOUR: &str = "#b5179e";
/// Text flagging a small group.
const SMALL_COLOUR: &str = "#9a5b00";
const MUTED: &str = "#5b6474";
const GRID: &str = "#d3d8e0";
const STRIPE: &str = "#f4f6f9";
const WHISKER: &str = "#1b1f27";
const INK: &str = "#1d2330";
const WHITE: &str = "#fff";

const WIDTH: f64 = 900.0;
/// The room added on the right of a bar chart whose bars have annotations.
const ANNOTATION_ROOM: f64 = 120.0;
/// Group labels are right-aligned here.
const LABEL_END: f64 = 318.0;
const PLOT_X0: f64 = 326.0;
const PLOT_W: f64 = 380.0;
/// The value and size text of each bar starts here.
const TEXT_X: f64 = PLOT_X0 + PLOT_W + 10.0;
/// Characters per line of a group label (two lines at most).
const LABEL_CHARS: usize = 46;
const LINE_H: f64 = 15.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

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

/// What a chart says beyond its groups.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChartOptions<'a> {
    /// What the axis measures, e.g. "case accuracy".
    pub(crate) axis: &'a str,
    /// The legend text of the reference lines, e.g. "Physicians (published)".
    pub(crate) reference_label: Option<&'a str>,
    /// The legend text of the whiskers, e.g. "95% interval".
    pub(crate) interval_label: Option<&'a str>,
    /// Makes a bar chart sortable in the page: one key per group, in the groups' order.
    /// Each group is then drawn as a `<g class="row">` carrying its keys (`data-acc`, the
    /// first bar's value; `data-size`; `data-nat`, its place in the breakdown's own order;
    /// `data-sec`, its section) so that the page's script can reorder the rows of each
    /// section without redrawing the chart. The groups must already be in the order shown.
    pub sort: Option<&'a [SortKey]>,
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

/// `62.5%`.
pub fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

fn x_of(value: f64) -> f64 {
    PLOT_X0 + value.clamp(0.0, 1.0) * PLOT_W
}

/// The opening tag of a chart `width` wide: scalable, titled for screen readers.
fn open(out: &mut String, title: &str, width: f64, height: f64) {
    let t = escape(title);
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {width} {height:.0}" width="{width}" height="{height:.0}" role="img" aria-label="{t}" font-family="{FONT}" font-size="12.5"><title>{t}</title>"#
    );
    let _ = write!(
        out,
        r#"<text x="8" y="22" font-size="15.5" font-weight="600" fill="{INK}">{t}</text>"#
    );
}

/// A legend entry: its swatch, drawn at (x, y) by `swatch`, then its text.
struct Legend {
    out: String,
    x: f64,
    y: f64,
}

impl Legend {
    fn new(y: f64) -> Self {
        Legend {
            out: String::new(),
            x: 8.0,
            y,
        }
    }

    fn entry(&mut self, text: &str, swatch: impl FnOnce(f64, f64) -> String) {
        let width = 26.0 + text.chars().count() as f64 * 6.6 + 18.0;
        if self.x + width > WIDTH && self.x > 8.0 {
            self.x = 8.0;
            self.y += 18.0;
        }
        self.out.push_str(&swatch(self.x, self.y));
        let _ = write!(
            self.out,
            r#"<text x="{:.1}" y="{:.1}" fill="{MUTED}">{}</text>"#,
            self.x + 24.0,
            self.y + 4.0,
            escape(text)
        );
        self.x += width;
    }

    /// The y just below the legend (the legend's own y when it is empty).
    fn bottom(&self, empty_y: f64) -> f64 {
        if self.out.is_empty() {
            empty_y
        } else {
            self.y + 14.0
        }
    }
}

fn series_swatch(colour: &'static str, faded: bool) -> impl FnOnce(f64, f64) -> String {
    move |x, y| {
        let opacity = if faded { 0.5 } else { 1.0 };
        format!(
            r#"<rect x="{x:.1}" y="{:.1}" width="18" height="11" rx="2" fill="{colour}" fill-opacity="{opacity}"/>"#,
            y - 5.5
        )
    }
}

fn reference_swatch(x: f64, y: f64) -> String {
    format!(
        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{REFERENCE_COLOUR}" stroke-width="2.5" stroke-dasharray="5 3"/>"#,
        x + 9.0,
        y - 7.0,
        x + 9.0,
        y + 7.0
    )
}

fn horizontal_reference_swatch(x: f64, y: f64) -> String {
    format!(
        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{REFERENCE_COLOUR}" stroke-width="2.5" stroke-dasharray="5 3"/>"#,
        x + 18.0
    )
}

fn whisker_swatch(x: f64, y: f64) -> String {
    format!(
        r#"<path d="M{:.1} {:.1}v8M{:.1} {y:.1}h14M{:.1} {:.1}v8" stroke="{WHISKER}" stroke-width="1.5" fill="none"/>"#,
        x + 2.0,
        y - 4.0,
        x + 2.0,
        x + 16.0,
        y - 4.0
    )
}

/// Splits a label into at most `lines` lines of about `width` characters at spaces; the
/// last line ends in "…" when the label is longer.
fn wrap(label: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in label.split_whitespace() {
        let len = current.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    if out.len() > lines {
        let rest = out[lines - 1..].join(" ");
        out.truncate(lines - 1);
        let kept: String = rest.chars().take(width.saturating_sub(1)).collect();
        out.push(format!("{}…", kept.trim_end()));
    }
    // A single word longer than the width is cut too.
    for line in &mut out {
        if line.chars().count() > width + 1 {
            let kept: String = line.chars().take(width).collect();
            *line = format!("{kept}…");
        }
    }
    out
}

fn ticks(out: &mut String, y: f64) {
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{y:.1}" text-anchor="middle" font-size="11" fill="{MUTED}">{:.0}%</text>"#,
            x_of(tick),
            tick * 100.0
        );
    }
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
    let series = series_labels
        .len()
        .max(groups.iter().map(|g| g.bars.len()).max().unwrap_or(1))
        .max(1);
    let bar_h = if series == 1 { 16.0 } else { 12.0 };
    let pitch = bar_h + 4.0;
    let bars = || groups.iter().flat_map(|g| g.bars.iter().flatten());
    let width = if bars().any(|b| !b.annotation.is_empty()) {
        WIDTH + ANNOTATION_ROOM
    } else {
        WIDTH
    };

    let mut legend = Legend::new(44.0);
    if series_labels.len() > 1 {
        for (i, label) in series_labels.iter().enumerate() {
            legend.entry(label, series_swatch(PALETTE[i % PALETTE.len()], false));
        }
    }
    if let Some(label) = options.reference_label
        && groups.iter().any(|g| g.reference.is_some())
    {
        legend.entry(label, reference_swatch);
    }
    if let Some(label) = options.interval_label
        && bars().any(|b| b.interval.is_some())
    {
        legend.entry(label, whisker_swatch);
    }
    if bars().any(|b| b.small) {
        legend.entry(
            "faded, \"small\": fewer than 20 cases",
            series_swatch(PALETTE[0], true),
        );
    }

    let plot_top = legend.bottom(34.0) + 12.0;
    let sort = options.sort.filter(|keys| keys.len() == groups.len());
    let mut stripes = String::new();
    let mut marks = String::new();
    let mut y = plot_top + 6.0;
    let mut previous_section: Option<&str> = None;
    let mut section_index = 0usize;
    for (i, group) in groups.iter().enumerate() {
        if let Some(section) = group.section.as_deref()
            && previous_section != Some(section)
        {
            if previous_section.is_some() {
                section_index += 1;
            }
            let _ = write!(
                marks,
                r#"<text x="8" y="{:.1}" font-weight="600" fill="{INK}">{}</text>"#,
                y + 16.0,
                escape(section)
            );
            y += 24.0;
        }
        previous_section = group.section.as_deref();

        let lines = wrap(&group.label, LABEL_CHARS, 2);
        let height = (series as f64 * pitch).max(lines.len() as f64 * LINE_H) + 8.0;
        // A sortable chart has a stripe under every row (transparent on odd places), so
        // that the script can move it with its row and recolour it by its new place.
        if let Some(keys) = sort {
            let fill = if i % 2 == 0 { STRIPE } else { "none" };
            let _ = write!(
                stripes,
                r#"<rect class="stripe" x="0" y="{y:.1}" width="{width}" height="{height:.1}" fill="{fill}"/>"#
            );
            let key = keys[i];
            let accuracy = group
                .bars
                .first()
                .and_then(Option::as_ref)
                .map_or(-1.0, |b| b.value);
            let _ = write!(
                marks,
                r#"<g class="row" transform="translate(0 {y:.1})" data-y="{y:.1}" data-h="{height:.1}" data-acc="{accuracy}" data-size="{}" data-nat="{}" data-sec="{section_index}">"#,
                key.size, key.natural
            );
        } else {
            if i % 2 == 0 {
                let _ = write!(
                    stripes,
                    r#"<rect x="0" y="{y:.1}" width="{width}" height="{height:.1}" fill="{STRIPE}"/>"#
                );
            }
            let _ = write!(marks, r#"<g transform="translate(0 {y:.1})">"#);
        }
        // Everything of the row is drawn from its own top, 0.
        let first_baseline = (height - lines.len() as f64 * LINE_H) / 2.0 + 11.0;
        let _ = write!(
            marks,
            r#"<text text-anchor="end" fill="{INK}"><title>{}</title>"#,
            escape(&group.label)
        );
        for (l, line) in lines.iter().enumerate() {
            let _ = write!(
                marks,
                r#"<tspan x="{LABEL_END}" y="{:.1}">{}</tspan>"#,
                first_baseline + l as f64 * LINE_H,
                escape(line)
            );
        }
        marks.push_str("</text>");

        let bars_top = (height - series as f64 * pitch) / 2.0 + 2.0;
        // "small" is said once per group, beside its first small bar (the others are faded).
        let mut flagged = false;
        for s in 0..series {
            let top = bars_top + s as f64 * pitch;
            let middle = top + bar_h / 2.0;
            let colour = PALETTE[s % PALETTE.len()];
            let series_name = series_labels.get(s).map(String::as_str);
            let Some(Some(bar)) = group.bars.get(s) else {
                let _ = write!(
                    marks,
                    r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{MUTED}" font-style="italic">no data</text>"#,
                    PLOT_X0 + 4.0,
                    middle + 4.0
                );
                continue;
            };
            let tooltip = bar_tooltip(series_name, &group.label, bar, options);
            let opacity = if bar.small { 0.5 } else { 1.0 };
            let _ = write!(
                marks,
                r#"<rect x="{PLOT_X0}" y="{top:.1}" width="{:.1}" height="{bar_h}" fill="{colour}" fill-opacity="{opacity}"><title>{}</title></rect>"#,
                x_of(bar.value) - PLOT_X0,
                escape(&tooltip)
            );
            if let Some((low, high)) = bar.interval {
                let (x1, x2) = (x_of(low), x_of(high));
                let cap = bar_h / 2.0 - 1.0;
                let _ = write!(
                    marks,
                    r#"<path d="M{x1:.1} {:.1}v{:.1}M{x1:.1} {middle:.1}H{x2:.1}M{x2:.1} {:.1}v{:.1}" stroke="{WHISKER}" stroke-width="1.5" fill="none"><title>{}</title></path>"#,
                    middle - cap,
                    2.0 * cap,
                    middle - cap,
                    2.0 * cap,
                    escape(&tooltip)
                );
            }
            let font = if series == 1 { 12.5 } else { 11.0 };
            let _ = write!(
                marks,
                r#"<text x="{TEXT_X}" y="{:.1}" font-size="{font}"><tspan font-weight="600" fill="{INK}">{}</tspan><tspan fill="{MUTED}"> · {}</tspan>"#,
                middle + 4.0,
                percent(bar.value),
                escape(if bar.annotation.is_empty() {
                    &bar.size
                } else {
                    &bar.annotation
                })
            );
            if bar.small && !flagged {
                flagged = true;
                let _ = write!(
                    marks,
                    r#"<tspan fill="{SMALL_COLOUR}" font-style="italic" font-weight="600"> · small</tspan>"#
                );
            }
            marks.push_str("</text>");
        }
        if let Some(reference) = group.reference {
            let x = x_of(reference);
            let label = options.reference_label.unwrap_or("reference");
            let _ = write!(
                marks,
                r#"<line x1="{x:.1}" y1="1" x2="{x:.1}" y2="{:.1}" stroke="{REFERENCE_COLOUR}" stroke-width="2.5" stroke-dasharray="5 3"><title>{}</title></line>"#,
                height - 1.0,
                escape(&format!("{label}: {}", percent(reference)))
            );
        }
        marks.push_str("</g>");
        y += height;
    }
    let plot_bottom = y + 4.0;

    let mut grid = String::new();
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = x_of(tick);
        let (colour, width) = if tick == 0.0 {
            ("#8a93a3", 1.2)
        } else {
            (GRID, 1.0)
        };
        let _ = write!(
            grid,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{plot_bottom:.1}" stroke="{colour}" stroke-width="{width}"/>"#,
            plot_top + 2.0
        );
    }
    let mut axis = String::new();
    if groups.len() > 8 {
        ticks(&mut axis, plot_top);
    }
    ticks(&mut axis, plot_bottom + 14.0);
    let _ = write!(
        axis,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11.5" fill="{MUTED}">{}</text>"#,
        PLOT_X0 + PLOT_W / 2.0,
        plot_bottom + 30.0,
        escape(options.axis)
    );
    let height = plot_bottom + 40.0;

    let mut out = String::new();
    open(&mut out, title, width, height);
    out.push_str(&stripes);
    out.push_str(&legend.out);
    out.push_str(&grid);
    out.push_str(&marks);
    out.push_str(&axis);
    out.push_str("</svg>");
    out
}

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
        text.push_str("; fewer than 20 cases");
    }
    text
}

/// One point of a curve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Point {
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    /// The size behind the value, e.g. "72 MCQs" (shown under the axis for the first
    /// curve, and in the tooltip).
    pub size: String,
    pub small: bool,
}

/// One curve over the x labels; `points` follows the x labels (`None`: no value there).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<Option<Point>>,
    /// Index into [`PALETTE`]; `None` draws a reference line (its own colour, dashed).
    pub colour: Option<usize>,
    /// Dashed instead of solid.
    pub dashed: bool,
}

/// Curves of a value over ordered positions (Q1, Q2, ...), 0-100% on the y axis, with
/// interval whiskers at the points, value labels, and the first curve's sizes under the
/// axis.
pub(crate) fn line_chart(
    title: &str,
    x_labels: &[String],
    lines: &[Line],
    options: &ChartOptions,
) -> String {
    const X0: f64 = 70.0;
    const X1: f64 = WIDTH - 30.0;
    const PLOT_H: f64 = 230.0;
    let n = x_labels.len().max(1);
    let step = (X1 - X0) / n as f64;
    let x_at = |i: usize| X0 + (i as f64 + 0.5) * step;

    let colour_of = |line: &Line| {
        line.colour
            .map_or(REFERENCE_COLOUR, |c| PALETTE[c % PALETTE.len()])
    };
    let mut legend = Legend::new(44.0);
    for line in lines {
        let colour = colour_of(line);
        if line.colour.is_none() || line.dashed {
            legend.entry(&line.label, move |x, y| {
                horizontal_reference_swatch(x, y).replace(REFERENCE_COLOUR, colour)
            });
        } else {
            legend.entry(&line.label, series_swatch(colour, false));
        }
    }
    let points = || lines.iter().flat_map(|l| l.points.iter().flatten());
    if let Some(label) = options.interval_label
        && points().any(|p| p.interval.is_some())
    {
        legend.entry(label, whisker_swatch);
    }
    if points().any(|p| p.small) {
        legend.entry("\"small\": fewer than 20 cases", |x, y| {
            format!(
                r#"<circle cx="{:.1}" cy="{y:.1}" r="4" fill="{SMALL_COLOUR}"/>"#,
                x + 9.0
            )
        });
    }
    let top = legend.bottom(34.0) + 16.0;
    let bottom = top + PLOT_H;
    let y_of = |v: f64| bottom - v.clamp(0.0, 1.0) * PLOT_H;

    let mut out = String::new();
    let mut grid = String::new();
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let y = y_of(tick);
        let colour = if tick == 0.0 { "#8a93a3" } else { GRID };
        let _ = write!(
            grid,
            r#"<line x1="{X0}" y1="{y:.1}" x2="{X1}" y2="{y:.1}" stroke="{colour}"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="{MUTED}">{:.0}%</text>"#,
            X0 - 8.0,
            y + 4.0,
            tick * 100.0
        );
    }
    let _ = write!(
        grid,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle" font-size="11.5" fill="{MUTED}">{}</text>"#,
        (top + bottom) / 2.0,
        escape(options.axis)
    );
    for (i, label) in x_labels.iter().enumerate() {
        let _ = write!(
            grid,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="600" fill="{INK}">{}</text>"#,
            x_at(i),
            bottom + 18.0,
            escape(label)
        );
        if let Some(Some(point)) = lines.first().and_then(|l| l.points.get(i)) {
            let _ = write!(
                grid,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{MUTED}">{}</text>"#,
                x_at(i),
                bottom + 33.0,
                escape(&point.size)
            );
            if point.small {
                let _ = write!(
                    grid,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{SMALL_COLOUR}" font-style="italic" font-weight="600">small</text>"#,
                    x_at(i),
                    bottom + 47.0
                );
            }
        }
    }

    let mut marks = String::new();
    let mut labels: Vec<ValueLabel> = Vec::new();
    for (l, line) in lines.iter().enumerate() {
        let colour = colour_of(line);
        let dash = if line.dashed || line.colour.is_none() {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        // Consecutive points are joined; a missing point breaks the curve.
        let mut path = String::new();
        let mut pen_down = false;
        for (i, point) in line.points.iter().enumerate() {
            match point {
                Some(p) => {
                    let command = if pen_down { 'L' } else { 'M' };
                    let _ = write!(path, "{command}{:.1} {:.1}", x_at(i), y_of(p.value));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            marks,
            r#"<path d="{path}" stroke="{colour}" stroke-width="2.5" fill="none"{dash}/>"#
        );
        for (i, point) in line.points.iter().enumerate() {
            let Some(p) = point else { continue };
            let (x, y) = (x_at(i), y_of(p.value));
            let mut tooltip = format!("{}: {}: {}", line.label, x_labels[i], percent(p.value));
            if let Some((low, high)) = p.interval {
                let label = options.interval_label.unwrap_or("interval");
                let _ = write!(tooltip, " ({label} {}–{})", percent(low), percent(high));
                let (y1, y2) = (y_of(low), y_of(high));
                let _ = write!(
                    marks,
                    r#"<path d="M{:.1} {y1:.1}h10M{x:.1} {y1:.1}V{y2:.1}M{:.1} {y2:.1}h10" stroke="{colour}" stroke-opacity="0.7" stroke-width="1.5" fill="none"/>"#,
                    x - 5.0,
                    x - 5.0
                );
            }
            if !p.size.is_empty() {
                let _ = write!(tooltip, ", {}", p.size);
            }
            let _ = write!(
                marks,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="4.5" fill="{colour}" stroke="{WHITE}" stroke-width="1.5"><title>{}</title></circle>"#,
                escape(&tooltip)
            );
            if line.colour.is_some() && l < 2 {
                let (whisker_top, whisker_bottom) = p
                    .interval
                    .map_or((y, y), |(low, high)| (y_of(high).min(y), y_of(low).max(y)));
                labels.push(ValueLabel {
                    column: i,
                    point_y: y,
                    above_from: whisker_top,
                    below_from: whisker_bottom,
                    text: percent(p.value),
                    colour,
                    baseline: 0.0,
                });
            }
        }
    }
    place_value_labels(&mut labels, top, bottom);
    for label in &labels {
        let _ = write!(
            marks,
            r#"<text class="value" x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11.5" font-weight="600" fill="{}" stroke="{WHITE}" stroke-width="3" paint-order="stroke">{}</text>"#,
            x_at(label.column),
            label.baseline,
            label.colour,
            label.text
        );
    }
    let height = bottom + 58.0;
    open(&mut out, title, WIDTH, height);
    out.push_str(&legend.out);
    out.push_str(&grid);
    out.push_str(&marks);
    out.push_str("</svg>");
    out
}

/// The value label of one point of a curve, placed by [`place_value_labels`].
struct ValueLabel {
    column: usize,
    point_y: f64,
    /// The top and bottom of the point with its whisker: a label goes above the one or
    /// below the other, never over them.
    above_from: f64,
    below_from: f64,
    text: String,
    colour: &'static str,
    /// The text's baseline, once placed.
    baseline: f64,
}

/// The height a value label takes, baseline to baseline (11.5 px text with its halo).
const VALUE_LABEL_H: f64 = 14.0;

/// Places the value labels of each column so that none overlaps another or its point:
/// the highest point's label above it (unless there is no room under the title), every
/// other below its point, each at least [`VALUE_LABEL_H`] below the one before, all
/// kept between `top` and `bottom` (pushed up from the bottom when they run out of room).
fn place_value_labels(labels: &mut [ValueLabel], top: f64, bottom: f64) {
    let columns = labels.iter().map(|l| l.column + 1).max().unwrap_or(0);
    for column in 0..columns {
        let mut here: Vec<&mut ValueLabel> =
            labels.iter_mut().filter(|l| l.column == column).collect();
        here.sort_by(|a, b| a.point_y.total_cmp(&b.point_y));
        let mut previous: Option<f64> = None;
        for (k, label) in here.iter_mut().enumerate() {
            let above = label.above_from - 6.0;
            let below = label.below_from + 15.0;
            let baseline = if k == 0 && above - VALUE_LABEL_H + 3.0 >= top {
                above
            } else {
                previous.map_or(below, |p| below.max(p + VALUE_LABEL_H))
            };
            label.baseline = baseline;
            previous = Some(baseline);
        }
        // Out of room at the bottom: shift the lowest ones up, keeping them apart.
        let mut limit = bottom - 3.0;
        for label in here.iter_mut().rev() {
            if label.baseline > limit {
                label.baseline = limit;
            }
            limit = label.baseline - VALUE_LABEL_H;
        }
    }
}

// Forest plots of differences, and the shapes that tell runs apart ---------------------

/// The shape of a run's marks, its cue besides colour: where runs are drawn side by side,
/// a reader who cannot tell two colours apart (a colour-vision deficiency, a grey print)
/// still tells the runs apart. Run `i` has [`series_shape`]`(i)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Star,
}

/// The runs' shapes, in order: as many as [`PALETTE`] has colours, so that colour and
/// shape repeat together.
pub const SHAPES: [Shape; 6] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Star,
];

/// Run (series) `i`'s colour; after six runs the colours repeat.
pub(crate) fn series_colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Run (series) `i`'s shape.
pub(crate) fn series_shape(i: usize) -> Shape {
    SHAPES[i % SHAPES.len()]
}

/// Run `i`'s marker centred on (x, y), about `2r` across: filled in its colour, or hollow
/// (white inside its colour) when `filled` is false. For legends and HTML swatches too,
/// so that every view of a run shows the same mark.
pub fn marker(i: usize, x: f64, y: f64, r: f64, filled: bool) -> String {
    series_shape(i).svg(x, y, r, &paint(series_colour(i), filled))
}

impl Shape {
    /// The shape as one character, for text that names a run beside a bar (the same
    /// shapes as the markers, so text and charts agree).
    pub fn glyph(self) -> char {
        match self {
            Shape::Circle => '●',
            Shape::Square => '■',
            Shape::Triangle => '▲',
            Shape::Diamond => '◆',
            Shape::TriangleDown => '▼',
            Shape::Star => '★',
        }
    }

    /// The shape centred on (x, y), about `2r` across, with `paint` (its fill and stroke
    /// attributes, from [`paint`]).
    fn svg(self, x: f64, y: f64, r: f64, paint: &str) -> String {
        match self {
            Shape::Circle => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" {paint}/>"#),
            // Squares and diamonds look bigger than circles of the same width: drawn a
            // little smaller, and the triangles and star a little bigger.
            Shape::Square => {
                let half = 0.85 * r;
                format!(
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" {paint}/>"#,
                    x - half,
                    y - half,
                    2.0 * half,
                    2.0 * half
                )
            }
            _ => {
                let points: Vec<String> = self
                    .outline()
                    .into_iter()
                    .map(|(dx, dy)| format!("{:.1},{:.1}", x + dx * r, y + dy * r))
                    .collect();
                format!(r#"<polygon points="{}" {paint}/>"#, points.join(" "))
            }
        }
    }

    /// The corners of a polygonal shape around (0, 0) for a radius of 1 (none for the
    /// circle and the square, drawn as such).
    fn outline(self) -> Vec<(f64, f64)> {
        match self {
            Shape::Circle | Shape::Square => Vec::new(),
            Shape::Triangle => vec![(0.0, -1.25), (1.15, 0.8), (-1.15, 0.8)],
            Shape::TriangleDown => vec![(0.0, 1.25), (1.15, -0.8), (-1.15, -0.8)],
            Shape::Diamond => vec![(0.0, -1.3), (1.3, 0.0), (0.0, 1.3), (-1.3, 0.0)],
            Shape::Star => (0..10)
                .map(|k| {
                    let radius = if k % 2 == 0 { 1.45 } else { 0.6 };
                    let angle = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
                    (radius * angle.cos(), radius * angle.sin())
                })
                .collect(),
        }
    }
}

/// The fill and stroke of a marker: filled in `colour` with a dark rim (the rim keeps
/// the light colours visible on white), or hollow with a `colour` rim.
fn paint(colour: &str, filled: bool) -> String {
    if filled {
        format!(r#"fill="{colour}" stroke="{WHISKER}" stroke-width="1""#)
    } else {
        format!(r#"fill="{WHITE}" stroke="{colour}" stroke-width="2""#)
    }
}

/// Whether an interval excludes 0: the differences the comparison marks (filled markers,
/// bold text), as unlikely to be noise.
pub(crate) fn excludes_zero(low: f64, high: f64) -> bool {
    low > 0.0 || high < 0.0
}

/// One difference in a forest plot: a point with its interval, on a line of its group.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Estimate {
    /// Which difference, written left of the plot, e.g. "[2]-[1]".
    pub tag: String,
    /// The series (run) whose colour and shape it is drawn in.
    pub(crate) series: usize,
    /// The difference and its interval, as fractions from -1 to 1 (drawn in points).
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// Written right of the plot, e.g. "+4.8 (-1.0, +10.5) p=0.110".
    pub text: String,
    /// Who minus whom, for the tooltip, e.g. "[2] b minus [1] a".
    pub name: String,
}

/// One group of a forest plot (a chapter, a stage...): a line per estimate.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ForestRow {
    pub label: String,
    /// A heading drawn above the row when it differs from the previous row's (the
    /// chapter of a subcategory).
    pub section: Option<String>,
    /// The group's size, for the tooltips, e.g. "12 cases".
    pub size: String,
    /// Too few cases for a stable difference: flagged "small".
    pub small: bool,
    pub(crate) estimates: Vec<Estimate>,
}

/// What a forest plot says beyond its rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct ForestOptions<'a> {
    /// What the axis measures, e.g. "difference in case accuracy, percentage points".
    pub(crate) axis: &'a str,
    /// The series' names: the legend shows those the estimates are drawn in.
    pub(crate) series_labels: &'a [String],
    /// What a difference below 0, and above it, means, written under the two ends of
    /// the axis (about 25 characters at most, so the two never meet).
    pub below: &'a str,
    pub above: &'a str,
}

/// The forest plot is as wide as an annotated bar chart, to sit under it on the page.
const FOREST_WIDTH: f64 = WIDTH + ANNOTATION_ROOM;
/// Group labels are right-aligned here, wrapped to two lines of this many characters
/// (room for 0.6 em each, generous for a proportional font).
const FOREST_LABEL_END: f64 = 296.0;
const FOREST_LABEL_CHARS: usize = 38;
/// The tags of the differences ("[2]-[1]") start here, in a column of their own.
const FOREST_TAG_X: f64 = 304.0;
const FOREST_X0: f64 = 366.0;
const FOREST_W: f64 = 340.0;
/// The text of each difference starts here.
const FOREST_TEXT_X: f64 = FOREST_X0 + FOREST_W + 12.0;
/// The height of each difference's line: its tag and its text never touch the next.
const FOREST_PITCH: f64 = 18.0;
/// At most this many steps between ticks: at least 42 px apart, room for "-100".
const FOREST_MAX_STEPS: f64 = 8.0;

/// A forest plot: per group, one line per difference (a pair of runs), its point in the
/// run's colour and shape with its interval as a line, filled and in bold when the
/// interval excludes 0, hollow otherwise; a vertical line at 0; the group's label on the
/// left, the pair's tag beside the plot and the difference as text on the right, each
/// in a column of its own so that no two texts overlap however many runs there are.
pub(crate) fn forest_plot(title: &str, rows: &[ForestRow], options: &ForestOptions) -> String {
    let scale = Scale::fit(rows);
    let legend = forest_legend(rows, options);
    let plot_top = legend.bottom(34.0) + 12.0;
    let mut stripes = String::new();
    let mut marks = String::new();
    let mut y = plot_top + 6.0;
    let mut previous_section: Option<&str> = None;
    for (i, row) in rows.iter().enumerate() {
        if let Some(section) = row.section.as_deref()
            && previous_section != Some(section)
        {
            let _ = write!(
                marks,
                r#"<text x="8" y="{:.1}" font-weight="600" fill="{INK}">{}</text>"#,
                y + 16.0,
                escape(section)
            );
            y += 24.0;
        }
        previous_section = row.section.as_deref();
        let height = forest_row(&mut marks, row, &scale, y);
        if i % 2 == 0 {
            let _ = write!(
                stripes,
                r#"<rect x="0" y="{y:.1}" width="{FOREST_WIDTH}" height="{height:.1}" fill="{STRIPE}"/>"#
            );
        }
        y += height;
    }
    let plot_bottom = y + 4.0;
    let mut axis = String::new();
    scale.grid(&mut axis, plot_top + 2.0, plot_bottom);
    if rows.len() > 8 {
        scale.labels(&mut axis, plot_top);
    }
    scale.labels(&mut axis, plot_bottom + 14.0);
    forest_axis_text(&mut axis, options, plot_bottom);

    let mut out = String::new();
    open(&mut out, title, FOREST_WIDTH, plot_bottom + 56.0);
    out.push_str(&stripes);
    out.push_str(&legend.out);
    out.push_str(&axis);
    out.push_str(&marks);
    out.push_str("</svg>");
    out
}

/// The legend of a forest plot: the runs its differences are drawn in, what filled and
/// hollow mean, and "small" when a group is.
fn forest_legend(rows: &[ForestRow], options: &ForestOptions) -> Legend {
    let mut legend = Legend::new(44.0);
    let estimates = || rows.iter().flat_map(|r| &r.estimates);
    for (s, label) in options.series_labels.iter().enumerate() {
        if estimates().any(|e| e.series == s) {
            legend.entry(label, move |x, y| marker(s, x + 9.0, y, 5.0, true));
        }
    }
    legend.entry("filled, bold: the interval excludes 0", |x, y| {
        Shape::Circle.svg(x + 9.0, y, 5.0, &paint(MUTED, true))
    });
    legend.entry("hollow: it includes 0", |x, y| {
        Shape::Circle.svg(x + 9.0, y, 5.0, &paint(MUTED, false))
    });
    if rows.iter().any(|r| r.small) {
        legend.entry("\"small\": fewer than 20 cases", |x, y| {
            format!(
                r#"<circle cx="{:.1}" cy="{y:.1}" r="4" fill="{SMALL_COLOUR}"/>"#,
                x + 9.0
            )
        });
    }
    legend
}

/// Draws one group at `top`: its label, then a line per difference. Returns its height,
/// enough for every line and for the label's two lines.
fn forest_row(out: &mut String, row: &ForestRow, scale: &Scale, top: f64) -> f64 {
    let lines = wrap(&row.label, FOREST_LABEL_CHARS, 2);
    let count = row.estimates.len().max(1) as f64;
    let height = (count * FOREST_PITCH).max(lines.len() as f64 * LINE_H) + 10.0;
    let first_baseline = top + (height - lines.len() as f64 * LINE_H) / 2.0 + 11.0;
    for (l, line) in lines.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{FOREST_LABEL_END}" y="{:.1}" text-anchor="end" fill="{INK}">{}<title>{}</title></text>"#,
            first_baseline + l as f64 * LINE_H,
            escape(line),
            escape(&row.label)
        );
    }
    let first_middle = top + (height - count * FOREST_PITCH) / 2.0 + FOREST_PITCH / 2.0;
    if row.estimates.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{MUTED}" font-style="italic">no data</text>"#,
            FOREST_X0 + 4.0,
            first_middle + 4.0
        );
    }
    for (k, estimate) in row.estimates.iter().enumerate() {
        let middle = first_middle + k as f64 * FOREST_PITCH;
        forest_estimate(out, row, estimate, scale, middle, row.small && k == 0);
    }
    height
}

/// One difference on the line centred at `y`: its tag, its interval and point (with a
/// tooltip), and its text, flagged "small" when `flag_small` (once per group).
fn forest_estimate(
    out: &mut String,
    row: &ForestRow,
    e: &Estimate,
    scale: &Scale,
    y: f64,
    flag_small: bool,
) {
    let colour = series_colour(e.series);
    let significant = excludes_zero(e.low, e.high);
    let (x1, x2) = (scale.x(e.low), scale.x(e.high));
    let mut tooltip = format!("{}, {}: {}, {}", e.name, row.label, e.text, row.size);
    if row.small {
        tooltip.push_str("; fewer than 20 cases");
    }
    let _ = write!(
        out,
        r#"<text x="{FOREST_TAG_X}" y="{:.1}" font-size="11" fill="{MUTED}">{}</text>"#,
        y + 4.0,
        escape(&e.tag)
    );
    let _ = write!(
        out,
        r#"<g><title>{}</title><path d="M{x1:.1} {y:.1}H{x2:.1}M{x1:.1} {:.1}v8M{x2:.1} {:.1}v8" stroke="{colour}" stroke-width="2" fill="none"/>{}</g>"#,
        escape(&tooltip),
        y - 4.0,
        y - 4.0,
        marker(e.series, scale.x(e.value), y, 5.5, significant)
    );
    let (weight, fill) = if significant {
        ("600", INK)
    } else {
        ("400", MUTED)
    };
    let _ = write!(
        out,
        r#"<text x="{FOREST_TEXT_X}" y="{:.1}" font-size="11" font-weight="{weight}" fill="{fill}">{}"#,
        y + 4.0,
        escape(&e.text)
    );
    if flag_small {
        let _ = write!(
            out,
            r#"<tspan fill="{SMALL_COLOUR}" font-style="italic" font-weight="600"> · small</tspan>"#
        );
    }
    out.push_str("</text>");
}

/// Under the axis: what each side of 0 means, at its two ends, then what it measures.
fn forest_axis_text(out: &mut String, options: &ForestOptions, plot_bottom: f64) {
    let y = plot_bottom + 30.0;
    if !options.below.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{FOREST_X0}" y="{y:.1}" font-size="11" fill="{MUTED}">← {}</text>"#,
            escape(options.below)
        );
    }
    if !options.above.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{y:.1}" text-anchor="end" font-size="11" fill="{MUTED}">{} →</text>"#,
            FOREST_X0 + FOREST_W,
            escape(options.above)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11.5" fill="{MUTED}">{}</text>"#,
        FOREST_X0 + FOREST_W / 2.0,
        y + 16.0,
        escape(options.axis)
    );
}

/// The x axis of a forest plot, in percentage points: from `low` to `high`, both
/// multiples of `step`, 0 among the ticks and every interval inside.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    low: f64,
    high: f64,
    step: f64,
}

impl Scale {
    /// The narrowest round axis holding 0 and every point and interval of `rows`: a
    /// +2-point difference is not drawn on a -100..+100 axis, where it would be a dot.
    fn fit(rows: &[ForestRow]) -> Scale {
        let (low, high) = rows
            .iter()
            .flat_map(|r| &r.estimates)
            .flat_map(|e| [e.low, e.value, e.high])
            .fold((0.0_f64, 0.0_f64), |(low, high), v| {
                (low.min(v * 100.0), high.max(v * 100.0))
            });
        let (low, high) = (low.max(-100.0), high.min(100.0));
        if high - low < 1e-9 {
            // Nothing but zeros: an axis around 0 all the same.
            return Scale {
                low: -5.0,
                high: 5.0,
                step: 5.0,
            };
        }
        let steps = |step: f64| (high / step).ceil() - (low / step).floor();
        let step = [1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0]
            .into_iter()
            .find(|&step| steps(step) <= FOREST_MAX_STEPS)
            .unwrap_or(50.0);
        Scale {
            low: (low / step).floor() * step,
            high: (high / step).ceil() * step,
            step,
        }
    }

    /// The x of a difference given as a fraction.
    fn x(&self, fraction: f64) -> f64 {
        let share = (fraction * 100.0 - self.low) / (self.high - self.low);
        FOREST_X0 + share.clamp(0.0, 1.0) * FOREST_W
    }

    /// The ticks, in points.
    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let count = ((self.high - self.low) / self.step).round() as usize;
        (0..=count).map(move |k| self.low + k as f64 * self.step)
    }

    /// A vertical line per tick from `top` to `bottom`, the one at 0 dark: the line a
    /// difference is read against.
    fn grid(&self, out: &mut String, top: f64, bottom: f64) {
        for tick in self.ticks() {
            let x = self.x(tick / 100.0);
            let (colour, width) = if tick == 0.0 { (INK, 1.5) } else { (GRID, 1.0) };
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="{colour}" stroke-width="{width}"/>"#
            );
        }
    }

    /// The tick labels at `y`: "-10", "0", "+10".
    fn labels(&self, out: &mut String, y: f64) {
        for tick in self.ticks() {
            let text = if tick == 0.0 {
                "0".to_string()
            } else {
                format!("{tick:+.0}")
            };
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{y:.1}" text-anchor="middle" font-size="11" fill="{MUTED}">{text}</text>"#,
                self.x(tick / 100.0)
            );
        }
    }
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
    fn labels_wrap_and_shorten() {
        assert_eq!(wrap("Short", 10, 2), ["Short"]);
        assert_eq!(
            wrap("Chapter 13: Diseases of the musculoskeletal system", 20, 2),
            ["Chapter 13: Diseases", "of the musculoskele…"]
        );
        let lines = wrap(
            "Chapter 13: Diseases of the musculoskeletal system and connective tissue",
            20,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert_eq!(wrap("", 10, 2), [""]);
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
    fn curves_break_at_missing_points() {
        let point = |v: f64| {
            Some(Point {
                value: v,
                size: "9 MCQs".into(),
                ..Default::default()
            })
        };
        let svg = line_chart(
            "By position",
            &["Q1".into(), "Q2".into(), "Q3".into()],
            &[Line {
                label: "all".into(),
                points: vec![point(0.5), None, point(0.7)],
                colour: Some(0),
                dashed: false,
            }],
            &ChartOptions::default(),
        );
        assert_eq!(svg.matches("<circle").count(), 2);
        let path = svg
            .split("<path d=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap();
        assert_eq!(path.matches('M').count(), 2, "{path}");
    }

    /// The (x, y) of every value label of a line chart.
    fn value_labels(svg: &str) -> Vec<(f64, f64)> {
        svg.split("<text class=\"value\" ")
            .skip(1)
            .map(|t| {
                let number = |key: &str| -> f64 {
                    let rest = &t[t.find(key).unwrap() + key.len()..];
                    rest[..rest.find('"').unwrap()].parse().unwrap()
                };
                (number("x=\""), number("y=\""))
            })
            .collect()
    }

    #[test]
    fn value_labels_of_close_points_do_not_overlap() {
        let point = |v: f64, interval: Option<(f64, f64)>| {
            Some(Point {
                value: v,
                interval,
                ..Default::default()
            })
        };
        // Equal values, close values, values at the edges, with and without whiskers.
        let pairs = [
            (0.709, 0.709),
            (0.689, 0.677),
            (0.0, 0.01),
            (1.0, 0.995),
            (0.72, 0.91),
        ];
        let x: Vec<String> = (1..=pairs.len()).map(|i| format!("Q{i}")).collect();
        let lines = [
            Line {
                label: "all".into(),
                points: pairs
                    .iter()
                    .map(|(a, _)| point(*a, Some(((a - 0.03f64).max(0.0), (a + 0.03f64).min(1.0)))))
                    .collect(),
                colour: Some(0),
                dashed: false,
            },
            Line {
                label: "given".into(),
                points: pairs.iter().map(|(_, b)| point(*b, None)).collect(),
                colour: Some(1),
                dashed: false,
            },
        ];
        let svg = line_chart("T", &x, &lines, &ChartOptions::default());
        let labels = value_labels(&svg);
        assert_eq!(labels.len(), 2 * pairs.len());
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                // Labels are about 40 px wide, centred on their x.
                if (a.0 - b.0).abs() < 48.0 {
                    assert!(
                        (a.1 - b.1).abs() >= VALUE_LABEL_H,
                        "{a:?} and {b:?} overlap"
                    );
                }
            }
        }
        // Inside the plot, clear of the axis labels under it.
        let bottom = svg
            .split("<text x=")
            .find(|t| t.contains(">Q1<"))
            .and_then(|t| t.split("y=\"").nth(1))
            .and_then(|t| t.split('"').next())
            .and_then(|y| y.parse::<f64>().ok())
            .unwrap();
        assert!(labels.iter().all(|(_, y)| *y < bottom - 12.0), "{labels:?}");
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

#[cfg(test)]
mod forest_tests {
    use super::*;

    /// The palette's colours, as the fraction of each sRGB channel made linear.
    fn linear(hex: &str) -> [f64; 3] {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
            if v < 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        [channel(0), channel(1), channel(2)]
    }

    fn times(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
        m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
    }

    /// Protanopia and deuteranopia by Viénot, Brettel & Mollon (1999), tritanopia by
    /// Brettel, Viénot & Mollon (1997) (Viénot's single plane is wrong for it), with
    /// the sRGB-based matrices of libDaltonLens (public domain), in linear RGB.
    #[derive(Debug, Clone, Copy)]
    enum Deficiency {
        Protanopia,
        Deuteranopia,
        Tritanopia,
    }

    fn simulate(deficiency: Deficiency, rgb: [f64; 3]) -> [f64; 3] {
        match deficiency {
            Deficiency::Protanopia => times(
                &[
                    [0.10889, 0.89111, 0.0],
                    [0.10889, 0.89111, 0.0],
                    [0.00447, -0.00447, 1.0],
                ],
                rgb,
            ),
            Deficiency::Deuteranopia => times(
                &[
                    [0.29031, 0.70969, 0.0],
                    [0.29031, 0.70969, 0.0],
                    [-0.02197, 0.02197, 1.0],
                ],
                rgb,
            ),
            Deficiency::Tritanopia => tritanopia(rgb),
        }
    }

    /// Brettel 1997: the S cone's response replaced by a projection onto one of two
    /// half-planes, picked by the side of their separation plane.
    fn tritanopia(rgb: [f64; 3]) -> [f64; 3] {
        let mut lms = times(
            &[
                [0.17886, 0.43997, 0.03597],
                [0.03380, 0.27515, 0.03621],
                [0.00031, 0.00192, 0.01528],
            ],
            rgb,
        );
        let side = 0.34516 * lms[0] - 0.65480 * lms[1];
        let plane = if side >= 0.0 {
            [-0.00213, 0.05477]
        } else {
            [-0.06195, 0.16826]
        };
        lms[2] = plane[0] * lms[0] + plane[1] * lms[1];
        times(
            &[
                [8.00533, -12.88195, 11.68065],
                [-0.97821, 5.26945, -10.18300],
                [-0.04017, -0.39885, 66.48079],
            ],
            lms,
        )
    }

    /// CIE L*a*b* (D65) of a linear RGB colour, clipped to the displayable range first.
    fn lab(rgb: [f64; 3]) -> [f64; 3] {
        let rgb = rgb.map(|c| c.clamp(0.0, 1.0));
        let xyz = times(
            &[
                [0.4124, 0.3576, 0.1805],
                [0.2126, 0.7152, 0.0722],
                [0.0193, 0.1192, 0.9505],
            ],
            rgb,
        );
        let f = |t: f64| {
            let d: f64 = 6.0 / 29.0;
            if t > d.powi(3) {
                t.cbrt()
            } else {
                t / (3.0 * d * d) + 4.0 / 29.0
            }
        };
        let [fx, fy, fz] = [xyz[0] / 0.95047, xyz[1], xyz[2] / 1.08883].map(f);
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// Chroma and hue angle (degrees) of a Lab colour after CIEDE2000's a* stretch `g`.
    fn chroma_hue([_, a, b]: [f64; 3], g: f64) -> (f64, f64) {
        let a = (1.0 + g) * a;
        (a.hypot(b), b.atan2(a).to_degrees().rem_euclid(360.0))
    }

    /// The CIEDE2000 colour difference (Sharma, Wu & Dalal 2005).
    fn delta_e(c1: [f64; 3], c2: [f64; 3]) -> f64 {
        let seventh = |c: f64| (c.powi(7) / (c.powi(7) + 25f64.powi(7))).sqrt();
        let mean_c = (c1[1].hypot(c1[2]) + c2[1].hypot(c2[2])) / 2.0;
        let g = 0.5 * (1.0 - seventh(mean_c));
        let ((ch1, h1), (ch2, h2)) = (chroma_hue(c1, g), chroma_hue(c2, g));
        let neutral = ch1 * ch2 == 0.0;
        let mut dh = h2 - h1;
        if dh > 180.0 {
            dh -= 360.0;
        } else if dh < -180.0 {
            dh += 360.0;
        }
        let dh = if neutral { 0.0 } else { dh };
        let big_dh = 2.0 * (ch1 * ch2).sqrt() * (dh.to_radians() / 2.0).sin();
        let mean_h = if neutral {
            h1 + h2
        } else if (h1 - h2).abs() <= 180.0 {
            (h1 + h2) / 2.0
        } else {
            (h1 + h2 + 360.0 * if h1 + h2 < 360.0 { 1.0 } else { -1.0 }) / 2.0
        };
        let cos = |deg: f64| deg.to_radians().cos();
        let t = 1.0 - 0.17 * cos(mean_h - 30.0)
            + 0.24 * cos(2.0 * mean_h)
            + 0.32 * cos(3.0 * mean_h + 6.0)
            - 0.20 * cos(4.0 * mean_h - 63.0);
        let mean_l = (c1[0] + c2[0]) / 2.0;
        let mean_cp = (ch1 + ch2) / 2.0;
        let sl = 1.0 + 0.015 * (mean_l - 50.0).powi(2) / (20.0 + (mean_l - 50.0).powi(2)).sqrt();
        let sc = 1.0 + 0.045 * mean_cp;
        let sh = 1.0 + 0.015 * mean_cp * t;
        let rotation = -(2.0 * 30.0 * (-((mean_h - 275.0) / 25.0).powi(2)).exp())
            .to_radians()
            .sin()
            * 2.0
            * seventh(mean_cp);
        let (l, c, h) = ((c2[0] - c1[0]) / sl, (ch2 - ch1) / sc, big_dh / sh);
        (l * l + c * c + h * h + rotation * c * h).sqrt()
    }

    /// The smallest CIEDE2000 difference between two of `colours` as a viewer with
    /// `deficiency` sees them, with the pair.
    fn closest(colours: &[&str], deficiency: Deficiency) -> (f64, String) {
        let seen: Vec<[f64; 3]> = colours
            .iter()
            .map(|c| lab(simulate(deficiency, linear(c))))
            .collect();
        let mut worst = (f64::INFINITY, String::new());
        for i in 0..colours.len() {
            for j in i + 1..colours.len() {
                let d = delta_e(seen[i], seen[j]);
                if d < worst.0 {
                    worst = (d, format!("{} and {}", colours[i], colours[j]));
                }
            }
        }
        worst
    }

    /// How far apart two runs' colours must stay, in CIEDE2000: 1 is about one
    /// just-noticeable difference between large patches side by side, and marks as small
    /// as these bars and markers, seen apart, need several times that (Stone, Szafir &
    /// Setlur 2014, "An engineering model for color difference as a function of size").
    /// 10 asks for several such steps.
    const APART: f64 = 10.0;

    #[test]
    fn delta_e_matches_the_published_test_pairs() {
        // Sharma, Wu & Dalal (2005), table 1, pairs 1 and 17.
        let d = delta_e([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485]);
        assert!((d - 2.0425).abs() < 1e-3, "{d}");
        let d = delta_e([22.7233, 20.0904, -46.6940], [23.0331, 14.9730, -42.5619]);
        assert!((d - 2.0373).abs() < 1e-3, "{d}");
        assert_eq!(delta_e([50.0, 10.0, 10.0], [50.0, 10.0, 10.0]), 0.0);
    }

    #[test]
    fn the_runs_colours_stay_apart_under_colour_blindness() {
        for deficiency in [Deficiency::Protanopia, Deficiency::Deuteranopia] {
            let (d, pair) = closest(&PALETTE, deficiency);
            assert!(d >= APART, "{deficiency:?}: {pair} only {d:.1} apart");
        }
        // Tritanopia (about 1 in 10,000) separates five runs by colour; a sixth is told
        // from the others by its shape.
        let (d, pair) = closest(&PALETTE[..5], Deficiency::Tritanopia);
        assert!(d >= APART, "tritanopia: {pair} only {d:.1} apart");
        // The check can fail: the palette before Okabe-Ito's did, the blue and purple of
        // runs 1 and 4 all but one colour for a deuteranope.
        let before = ["#1f5fa8", "#d55e00", "#117a55", "#7b3294"];
        assert!(closest(&before, Deficiency::Deuteranopia).0 < APART);
        assert!(closest(&before, Deficiency::Protanopia).0 < APART);
    }

    #[test]
    fn every_colour_has_its_own_shape() {
        assert_eq!(SHAPES.len(), PALETTE.len());
        let shapes: std::collections::HashSet<String> = (0..SHAPES.len())
            .map(|i| marker(i, 10.0, 10.0, 5.0, true).replace(PALETTE[i], "colour"))
            .collect();
        assert_eq!(shapes.len(), SHAPES.len(), "{shapes:?}");
        let glyphs: std::collections::HashSet<char> = SHAPES.iter().map(|s| s.glyph()).collect();
        assert_eq!(glyphs.len(), SHAPES.len());
        assert_eq!(series_shape(SHAPES.len()), series_shape(0));
        assert!(
            marker(2, 0.0, 0.0, 5.0, false)
                .contains(&format!("fill=\"{WHITE}\" stroke=\"{}\"", PALETTE[2]))
        );
    }

    /// A difference of `value` points with its interval, drawn for run `series`.
    fn estimate(series: usize, tag: &str, value: f64, low: f64, high: f64) -> Estimate {
        Estimate {
            tag: tag.into(),
            series,
            value: value / 100.0,
            low: low / 100.0,
            high: high / 100.0,
            text: format!("{value:+.1} ({low:+.1}, {high:+.1}) p=0.5"),
            name: format!("run {series} minus run 0"),
        }
    }

    /// Three runs, every pair: long labels, sections, small groups, a point interval.
    fn three_runs() -> Vec<ForestRow> {
        let pairs = |a: f64, b: f64, c: f64| {
            vec![
                estimate(1, "[2]-[1]", a, a - 8.0, a + 8.0),
                estimate(2, "[3]-[1]", b, b - 3.0, b + 3.0),
                estimate(2, "[3]-[2]", c, c, c),
            ]
        };
        (0..12)
            .map(|i| ForestRow {
                label: format!("Chapter {i}: Diseases of the musculoskeletal system and connective tissue <b>&</b>"),
                section: Some(format!("Section {}", i / 4)),
                size: format!("{} cases", 5 + i),
                small: i % 3 == 0,
                estimates: pairs(i as f64 * 2.0 - 10.0, 4.0, -1.0),
            })
            .collect()
    }

    fn forest(rows: &[ForestRow]) -> String {
        let labels: Vec<String> = ["[1] a", "[2] b", "[3] c"].map(String::from).into();
        forest_plot(
            "Differences <by chapter>",
            rows,
            &ForestOptions {
                axis: "difference in case accuracy, points",
                series_labels: &labels,
                below: "earlier run better",
                above: "later run better",
            },
        )
    }

    /// Every text element of an SVG: x, y, anchor, font size and its characters (its
    /// tooltip left out, an entity counted as one).
    fn texts(svg: &str) -> Vec<(f64, f64, String, f64, String)> {
        svg.split("<text ")
            .skip(1)
            .map(|element| {
                let (open, rest) = element.split_once('>').unwrap();
                let open = format!(" {open}");
                let attr = |name: &str| {
                    open.split(&format!(" {name}=\""))
                        .nth(1)
                        .and_then(|v| v.split('"').next())
                        .map(str::to_string)
                };
                let inner = rest.split("</text>").next().unwrap();
                let inner = match inner.split_once("<title>") {
                    Some((before, after)) => {
                        format!("{before}{}", after.split_once("</title>").unwrap().1)
                    }
                    None => inner.to_string(),
                };
                let mut shown = String::new();
                let mut in_tag = false;
                for c in inner.chars() {
                    match c {
                        '<' => in_tag = true,
                        '>' => in_tag = false,
                        c if !in_tag => shown.push(c),
                        _ => {}
                    }
                }
                for entity in ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"] {
                    shown = shown.replace(entity, "&");
                }
                let number = |name: &str| attr(name).and_then(|v| v.parse().ok());
                (
                    number("x").unwrap_or(0.0),
                    number("y").unwrap_or(0.0),
                    attr("text-anchor").unwrap_or_else(|| "start".into()),
                    number("font-size").unwrap_or(12.5),
                    shown,
                )
            })
            .collect()
    }

    /// The horizontal extent of a text, at a generous 0.6 em a character.
    fn extent(x: f64, anchor: &str, size: f64, text: &str) -> (f64, f64) {
        let width = text.chars().count() as f64 * size * 0.6;
        match anchor {
            "end" => (x - width, x),
            "middle" => (x - width / 2.0, x + width / 2.0),
            _ => (x, x + width),
        }
    }

    #[test]
    fn no_two_texts_of_a_forest_plot_overlap() {
        let svg = forest(&three_runs());
        let texts = texts(&svg);
        assert!(texts.len() > 12 * 7, "{}", texts.len());
        for (i, a) in texts.iter().enumerate() {
            let (a0, a1) = extent(a.0, &a.2, a.3, &a.4);
            assert!(a0 >= 0.0 && a1 <= FOREST_WIDTH, "{a:?} leaves the chart");
            for b in &texts[i + 1..] {
                let (b0, b1) = extent(b.0, &b.2, b.3, &b.4);
                let same_line = (a.1 - b.1).abs() < a.3.max(b.3);
                assert!(!same_line || a1 <= b0 || b1 <= a0, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn a_forest_plot_marks_what_excludes_zero_and_escapes_its_text() {
        let rows = three_runs();
        let svg = forest(&rows);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Differences &lt;by chapter&gt;"));
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;&amp;&lt;/b&gt;"));
        // One marker per difference, filled exactly when its interval excludes 0.
        let markers: Vec<&str> = svg.split("<g><title>").skip(1).collect();
        let estimates: Vec<&Estimate> = rows.iter().flat_map(|r| &r.estimates).collect();
        assert_eq!(markers.len(), estimates.len());
        for (marker, e) in markers.iter().zip(&estimates) {
            let hollow = marker.contains(&format!("fill=\"{WHITE}\""));
            assert_eq!(hollow, !excludes_zero(e.low, e.high), "{marker}");
            assert!(marker.contains(series_colour(e.series)));
        }
        assert!(estimates.iter().any(|e| excludes_zero(e.low, e.high)));
        assert!(estimates.iter().any(|e| !excludes_zero(e.low, e.high)));
        // The zero line, once, dark; the legend names the runs drawn, not the baseline.
        assert_eq!(
            svg.matches(&format!("stroke=\"{INK}\" stroke-width=\"1.5\""))
                .count(),
            1
        );
        assert!(svg.contains(">[2] b</text>") && svg.contains(">[3] c</text>"));
        assert!(!svg.contains(">[1] a</text>"));
        assert_eq!(
            svg.matches("> · small</tspan>").count(),
            4,
            "once per small group"
        );
        assert!(svg.contains(">Section 2</text>") && svg.matches(">Section 0</text>").count() == 1);
    }

    #[test]
    fn the_axis_is_round_tight_and_holds_zero_and_every_interval() {
        for (low, value, high) in [
            (-1.0, 2.0, 5.0),
            (-30.0, 10.0, 62.0),
            (3.0, 4.0, 7.5),
            (-100.0, 0.0, 100.0),
            (0.0, 0.0, 0.0),
        ] {
            let rows = [ForestRow {
                estimates: vec![estimate(1, "t", value, low, high)],
                ..Default::default()
            }];
            let scale = Scale::fit(&rows);
            let ticks: Vec<f64> = scale.ticks().collect();
            assert!(scale.low <= low && scale.high >= high, "{scale:?}");
            assert!(ticks.contains(&0.0), "{ticks:?}");
            assert!(ticks.len() >= 3 && ticks.len() <= 9, "{ticks:?}");
            // Tight: no more than one step beyond the data (or 0) on either side.
            assert!(scale.low >= low.min(0.0) - scale.step, "{scale:?}");
            assert!(scale.high <= high.max(0.0) + scale.step, "{scale:?}");
        }
    }
}
