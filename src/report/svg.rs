//! Charts as inline SVG, for the HTML report: horizontal bars of accuracy per group (one
//! bar per run, so several runs can be compared side by side), and curves over question
//! positions. Pure functions from numbers to SVG text: no scripts, no external fonts or
//! images, and every piece of text goes through [`escape`].
//!
//! Values are fractions in 0..=1 and are drawn on a 0-100% axis.

use std::fmt::Write;

use super::html::escape;

/// Colours of the runs (series), dark enough for white text to be unnecessary and for
/// the bars to stand out on white and on the light stripes.
pub const PALETTE: [&str; 4] = ["#1f5fa8", "#d55e00", "#117a55", "#7b3294"];
/// Reference lines (published or user-given values).
pub const REFERENCE_COLOUR: &str = "#b5179e";
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
pub struct Bar {
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
    pub annotation: String,
}

/// One group of a bar chart (a chapter, a rarity, a stage...): one bar per series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
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
pub struct ChartOptions<'a> {
    /// What the axis measures, e.g. "case accuracy".
    pub axis: &'a str,
    /// The legend text of the reference lines, e.g. "Physicians (published)".
    pub reference_label: Option<&'a str>,
    /// The legend text of the whiskers, e.g. "95% interval".
    pub interval_label: Option<&'a str>,
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
pub fn bar_chart(
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
    let mut stripes = String::new();
    let mut marks = String::new();
    let mut y = plot_top + 6.0;
    let mut previous_section: Option<&str> = None;
    for (i, group) in groups.iter().enumerate() {
        if let Some(section) = group.section.as_deref()
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
        previous_section = group.section.as_deref();

        let lines = wrap(&group.label, LABEL_CHARS, 2);
        let height = (series as f64 * pitch).max(lines.len() as f64 * LINE_H) + 8.0;
        if i % 2 == 0 {
            let _ = write!(
                stripes,
                r#"<rect x="0" y="{y:.1}" width="{width}" height="{height:.1}" fill="{STRIPE}"/>"#
            );
        }
        let first_baseline = y + (height - lines.len() as f64 * LINE_H) / 2.0 + 11.0;
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

        let bars_top = y + (height - series as f64 * pitch) / 2.0 + 2.0;
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
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{REFERENCE_COLOUR}" stroke-width="2.5" stroke-dasharray="5 3"><title>{}</title></line>"#,
                y + 1.0,
                y + height - 1.0,
                escape(&format!("{label}: {}", percent(reference)))
            );
        }
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
pub fn line_chart(
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
                // The first curve's labels above-left of its points, the second's below-right.
                let (dx, dy, anchor) = if l == 0 {
                    (-9.0, 4.0, "end")
                } else {
                    (9.0, 4.0, "start")
                };
                let _ = write!(
                    marks,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11.5" font-weight="600" fill="{colour}" stroke="{WHITE}" stroke-width="3" paint-order="stroke">{}</text>"#,
                    x + dx,
                    (y + dy).clamp(top + 10.0, bottom + 4.0),
                    percent(p.value)
                );
            }
        }
    }
    let height = bottom + 58.0;
    open(&mut out, title, WIDTH, height);
    out.push_str(&legend.out);
    out.push_str(&grid);
    out.push_str(&marks);
    out.push_str("</svg>");
    out
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
}
