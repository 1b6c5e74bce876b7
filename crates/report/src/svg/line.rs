//! Line charts: curves of a value over ordered positions (Q1, Q2, ...), 0-100% on the y
//! axis, with interval whiskers at the points, value labels placed so that none hides
//! another, and the first curve's sizes under the axis.

use crate::svg::legend::small_legend;
use std::fmt::Write;

use super::axis::{self, Tick};
use super::colour::{
    BASELINE, GRID, INK, MUTED, REFERENCE_COLOUR, SMALL_COLOUR, WHITE, series_colour,
};
use super::legend::{Legend, Swatch};
use super::{ChartOptions, WIDTH, escape, open, percent};

/// The plot's left and right ends, and its height.
const X0: f64 = 70.0;
const X1: f64 = WIDTH - 30.0;
const PLOT_H: f64 = 230.0;
/// The height a value label takes, baseline to baseline (11.5 px text with its halo).
const VALUE_LABEL_H: f64 = 14.0;

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
    /// Index into [`PALETTE`](super::PALETTE); `None` draws a reference line (its own
    /// colour, dashed).
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
    emit(title, &lay_out(x_labels, lines, options))
}

// Layout --------------------------------------------------------------------------------

/// Where things fall in the plot: a column per x label, values from 0 at `bottom` to 1
/// at `bottom - PLOT_H`.
#[derive(Debug, Clone, Copy)]
struct Frame {
    top: f64,
    bottom: f64,
    /// The width of a column.
    step: f64,
}

impl Frame {
    /// The middle of column `i`.
    fn x(&self, i: usize) -> f64 {
        X0 + (i as f64 + 0.5) * self.step
    }

    fn y(&self, value: f64) -> f64 {
        self.bottom - value.clamp(0.0, 1.0) * PLOT_H
    }
}

/// A line chart laid out: every position and text its markup needs.
struct Layout<'a> {
    height: f64,
    legend: Legend,
    frame: Frame,
    y_ticks: Vec<Tick>,
    axis_title: &'a str,
    columns: Vec<Column<'a>>,
    curves: Vec<Curve>,
    value_labels: Vec<ValueLabel>,
}

/// An x label, with the first curve's size there and whether it is small.
struct Column<'a> {
    label: &'a str,
    size: Option<(&'a str, bool)>,
}

/// A curve: its runs of consecutive points (a missing point breaks the curve), and its
/// points with their whiskers and tooltips.
struct Curve {
    colour: &'static str,
    dashed: bool,
    segments: Vec<Vec<(f64, f64)>>,
    points: Vec<PointMark>,
}

struct PointMark {
    x: f64,
    y: f64,
    /// The y of the interval's ends (low, high).
    whisker: Option<(f64, f64)>,
    tooltip: String,
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

/// A curve's colour: its run's, or the reference colour.
fn colour_of(line: &Line) -> &'static str {
    line.colour.map_or(REFERENCE_COLOUR, series_colour)
}

/// Whether a curve is drawn dashed: a reference curve always is.
fn is_dashed(line: &Line) -> bool {
    line.dashed || line.colour.is_none()
}

/// Works the chart out: the legend first (its height sets where the plot starts), then
/// the plot's frame, the columns under it, the curves and their value labels.
fn lay_out<'a>(
    x_labels: &'a [String],
    lines: &'a [Line],
    options: &ChartOptions<'a>,
) -> Layout<'a> {
    let legend = legend(lines, options);
    let top = legend.bottom() + 16.0;
    let frame = Frame {
        top,
        bottom: top + PLOT_H,
        step: (X1 - X0) / x_labels.len().max(1) as f64,
    };
    let columns = x_labels
        .iter()
        .enumerate()
        .map(|(i, label)| Column {
            label,
            size: lines
                .first()
                .and_then(|l| l.points.get(i))
                .and_then(Option::as_ref)
                .map(|p| (p.size.as_str(), p.small)),
        })
        .collect();
    let curves = lines
        .iter()
        .map(|line| lay_out_curve(line, x_labels, &frame, options))
        .collect();
    let mut value_labels = value_labels(lines, &frame);
    place_value_labels(&mut value_labels, frame.top, frame.bottom);
    Layout {
        height: frame.bottom + 58.0,
        legend,
        frame,
        y_ticks: axis::percent_ticks(|v| frame.y(v)),
        axis_title: options.axis,
        columns,
        curves,
        value_labels,
    }
}

/// The legend: every curve (a dashed stroke for a dashed or reference one, a swatch of
/// its colour otherwise), then the whiskers and "small" when there are.
fn legend(lines: &[Line], options: &ChartOptions) -> Legend {
    let mut legend = Legend::new();
    for line in lines {
        let colour = colour_of(line);
        let swatch = if is_dashed(line) {
            Swatch::DashedCurve(colour)
        } else {
            Swatch::Bar {
                colour,
                faded: false,
            }
        };
        legend.add(&line.label, swatch);
    }
    let points = || lines.iter().flat_map(|l| l.points.iter().flatten());
    if let Some(label) = options.interval_label
        && points().any(|p| p.interval.is_some())
    {
        legend.add(label, Swatch::Whisker);
    }
    if points().any(|p| p.small) {
        legend.add(&small_legend(), Swatch::Small);
    }
    legend
}

/// A curve in the plot's coordinates, with each point's whisker and tooltip.
fn lay_out_curve(line: &Line, x_labels: &[String], frame: &Frame, options: &ChartOptions) -> Curve {
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut pen_down = false;
    let mut points = Vec::new();
    for (i, point) in line.points.iter().enumerate() {
        let Some(p) = point else {
            pen_down = false;
            continue;
        };
        let (x, y) = (frame.x(i), frame.y(p.value));
        if !pen_down {
            segments.push(Vec::new());
            pen_down = true;
        }
        segments
            .last_mut()
            .expect("a segment was started")
            .push((x, y));
        let mut tooltip = format!("{}: {}: {}", line.label, x_labels[i], percent(p.value));
        if let Some((low, high)) = p.interval {
            let label = options.interval_label.unwrap_or("interval");
            let _ = write!(tooltip, " ({label} {}–{})", percent(low), percent(high));
        }
        if !p.size.is_empty() {
            let _ = write!(tooltip, ", {}", p.size);
        }
        let whisker = p.interval.map(|(low, high)| (frame.y(low), frame.y(high)));
        points.push(PointMark {
            x,
            y,
            whisker,
            tooltip,
        });
    }
    Curve {
        colour: colour_of(line),
        dashed: is_dashed(line),
        segments,
        points,
    }
}

/// The value labels, unplaced: those of the first two curves, unless one is a reference
/// curve (its values were given, not measured). More labels would crowd a column.
fn value_labels(lines: &[Line], frame: &Frame) -> Vec<ValueLabel> {
    let mut labels = Vec::new();
    for line in lines.iter().take(2).filter(|l| l.colour.is_some()) {
        for (i, point) in line.points.iter().enumerate() {
            let Some(p) = point else { continue };
            let y = frame.y(p.value);
            let (whisker_top, whisker_bottom) = p.interval.map_or((y, y), |(low, high)| {
                (frame.y(high).min(y), frame.y(low).max(y))
            });
            labels.push(ValueLabel {
                column: i,
                point_y: y,
                above_from: whisker_top,
                below_from: whisker_bottom,
                text: percent(p.value),
                colour: colour_of(line),
                baseline: 0.0,
            });
        }
    }
    labels
}

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

// Markup --------------------------------------------------------------------------------

/// The chart, back to front: legend, axes, curves, then the value labels over them.
fn emit(title: &str, layout: &Layout) -> String {
    let mut out = String::new();
    open(&mut out, title, WIDTH, layout.height);
    layout.legend.emit(&mut out);
    emit_axes(&mut out, layout);
    for curve in &layout.curves {
        emit_curve(&mut out, curve);
    }
    for label in &layout.value_labels {
        let _ = write!(
            out,
            r#"<text class="value" x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11.5" font-weight="600" fill="{}" stroke="{WHITE}" stroke-width="3" paint-order="stroke">{}</text>"#,
            layout.frame.x(label.column),
            label.baseline,
            label.colour,
            label.text
        );
    }
    out.push_str("</svg>");
    out
}

/// The y axis (a grid line and a label per tick, what it measures turned upright), then
/// under the plot each x label with the first curve's size there.
fn emit_axes(out: &mut String, layout: &Layout) {
    for tick in &layout.y_ticks {
        let (y, colour) = (tick.at, if tick.zero { BASELINE } else { GRID });
        let _ = write!(
            out,
            r#"<line x1="{X0}" y1="{y:.1}" x2="{X1}" y2="{y:.1}" stroke="{colour}"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="{MUTED}">{}</text>"#,
            X0 - 8.0,
            y + 4.0,
            tick.label
        );
    }
    let frame = &layout.frame;
    let _ = write!(
        out,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle" font-size="11.5" fill="{MUTED}">{}</text>"#,
        (frame.top + frame.bottom) / 2.0,
        escape(layout.axis_title)
    );
    for (i, column) in layout.columns.iter().enumerate() {
        let (x, bottom) = (frame.x(i), frame.bottom);
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-weight="600" fill="{INK}">{}</text>"#,
            bottom + 18.0,
            escape(column.label)
        );
        let Some((size, small)) = column.size else {
            continue;
        };
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{MUTED}">{}</text>"#,
            bottom + 33.0,
            escape(size)
        );
        if small {
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{SMALL_COLOUR}" font-style="italic" font-weight="600">small</text>"#,
                bottom + 47.0
            );
        }
    }
}

/// A curve, then its points, each with its whisker and its tooltip.
fn emit_curve(out: &mut String, curve: &Curve) {
    let colour = curve.colour;
    let dash = if curve.dashed {
        r#" stroke-dasharray="6 4""#
    } else {
        ""
    };
    let mut path = String::new();
    for segment in &curve.segments {
        for (k, (x, y)) in segment.iter().enumerate() {
            let command = if k == 0 { 'M' } else { 'L' };
            let _ = write!(path, "{command}{x:.1} {y:.1}");
        }
    }
    let _ = write!(
        out,
        r#"<path d="{path}" stroke="{colour}" stroke-width="2.5" fill="none"{dash}/>"#
    );
    for point in &curve.points {
        let (x, y) = (point.x, point.y);
        if let Some((y1, y2)) = point.whisker {
            let _ = write!(
                out,
                r#"<path d="M{:.1} {y1:.1}h10M{x:.1} {y1:.1}V{y2:.1}M{:.1} {y2:.1}h10" stroke="{colour}" stroke-opacity="0.7" stroke-width="1.5" fill="none"/>"#,
                x - 5.0,
                x - 5.0
            );
        }
        let _ = write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="4.5" fill="{colour}" stroke="{WHITE}" stroke-width="1.5"><title>{}</title></circle>"#,
            escape(&point.tooltip)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
