//! Forest plots of the differences between runs: per group, one line per difference (a
//! pair of runs), its point in the run's colour and shape with its interval as a line,
//! filled and in bold when the interval excludes 0, hollow otherwise.

mod scale;

use crate::svg::legend::small_legend;
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use std::fmt::Write;

use super::axis::{self, Axis};
use super::colour::{INK, MUTED, series_colour};
use super::legend::{Legend, Swatch};
use super::rows::{self, LINE_H, RowPlace};
use super::shape::marker;
use super::{ANNOTATION_ROOM, WIDTH, escape, open};
use scale::Scale;

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

/// A forest plot: per group, one line per difference (a pair of runs), its point in the
/// run's colour and shape with its interval as a line, filled and in bold when the
/// interval excludes 0, hollow otherwise; a vertical line at 0; the group's label on the
/// left, the pair's tag beside the plot and the difference as text on the right, each
/// in a column of its own so that no two texts overlap however many runs there are.
pub(crate) fn forest_plot(title: &str, rows: &[ForestRow], options: &ForestOptions) -> String {
    emit(title, &lay_out(rows, options), options)
}

// Layout --------------------------------------------------------------------------------

/// A forest plot laid out: every position and text its markup needs.
struct Layout<'a> {
    height: f64,
    legend: Legend,
    axis: Axis,
    plot_top: f64,
    plot_bottom: f64,
    /// Tick labels above the plot too, for a plot too long to see both ends at once.
    ticks_on_top: bool,
    rows: Vec<Row<'a>>,
}

/// One group's row, in the plot's coordinates.
struct Row<'a> {
    place: RowPlace<'a>,
    label: &'a str,
    /// The wrapped label's lines, each with its baseline.
    lines: Vec<(String, f64)>,
    /// Where "no data" goes, for a group without differences.
    no_data: Option<f64>,
    estimates: Vec<EstimateMarks<'a>>,
}

/// One difference's line, centred on `y`.
struct EstimateMarks<'a> {
    y: f64,
    estimate: &'a Estimate,
    /// The x of the point and of its interval's ends.
    x: f64,
    low_x: f64,
    high_x: f64,
    /// Whether the interval excludes 0: a filled marker and bold text.
    significant: bool,
    tooltip: String,
    /// Whether " · small" follows its text (the group's first line).
    flag_small: bool,
}

/// Works the plot out: the axis fitted to every difference, the legend (its height sets
/// where the plot starts), then the rows stacked under it.
fn lay_out<'a>(rows: &'a [ForestRow], options: &ForestOptions) -> Layout<'a> {
    let values = rows
        .iter()
        .flat_map(|r| &r.estimates)
        .flat_map(|e| [e.low, e.value, e.high]);
    let scale = Scale::fit(values);
    let legend = legend(rows, options);
    let plot_top = legend.bottom() + 12.0;
    let labels: Vec<Vec<String>> = rows
        .iter()
        .map(|r| rows::wrap(&r.label, FOREST_LABEL_CHARS, 2))
        .collect();
    let heights = rows.iter().zip(&labels).map(|(row, lines)| {
        let count = row.estimates.len().max(1) as f64;
        let height = (count * FOREST_PITCH).max(lines.len() as f64 * LINE_H) + 10.0;
        (row.section.as_deref(), height)
    });
    let (places, end) = rows::stack(heights, plot_top + 6.0);
    let laid_out = rows
        .iter()
        .zip(labels)
        .zip(places)
        .map(|((row, lines), place)| lay_out_row(row, lines, place, &scale))
        .collect();
    let plot_bottom = end + 4.0;
    Layout {
        height: plot_bottom + 56.0,
        legend,
        axis: scale.axis(),
        plot_top,
        plot_bottom,
        ticks_on_top: rows.len() > 8,
        rows: laid_out,
    }
}

/// The legend: the runs its differences are drawn in, what filled and hollow mean, and
/// "small" when a group is.
fn legend(rows: &[ForestRow], options: &ForestOptions) -> Legend {
    let mut legend = Legend::new();
    let estimates = || rows.iter().flat_map(|r| &r.estimates);
    for (s, label) in options.series_labels.iter().enumerate() {
        if estimates().any(|e| e.series == s) {
            legend.add(label, Swatch::Marker(s));
        }
    }
    legend.add("filled, bold: the interval excludes 0", Swatch::Fill(true));
    legend.add("hollow: it includes 0", Swatch::Fill(false));
    if rows.iter().any(|r| r.small) {
        legend.add(&small_legend(), Swatch::Small);
    }
    legend
}

/// A group's row: its label centred on the row, and its differences' lines centred
/// together in it.
fn lay_out_row<'a>(
    row: &'a ForestRow,
    lines: Vec<String>,
    place: RowPlace<'a>,
    scale: &Scale,
) -> Row<'a> {
    let (top, height) = (place.top, place.height);
    let baselines = rows::baselines(top, height, lines.len());
    let count = row.estimates.len().max(1) as f64;
    let first_middle = top + (height - count * FOREST_PITCH) / 2.0 + FOREST_PITCH / 2.0;
    let estimates = row.estimates.iter().enumerate().map(|(k, estimate)| {
        let y = first_middle + k as f64 * FOREST_PITCH;
        let mut tooltip = format!(
            "{}, {}: {}, {}",
            estimate.name, row.label, estimate.text, row.size
        );
        if row.small {
            tooltip.push_str(&format!("; fewer than {SMALL_GROUP} cases"));
        }
        EstimateMarks {
            y,
            estimate,
            x: scale.x(estimate.value),
            low_x: scale.x(estimate.low),
            high_x: scale.x(estimate.high),
            significant: excludes_zero(estimate.low, estimate.high),
            tooltip,
            flag_small: row.small && k == 0,
        }
    });
    Row {
        place,
        label: &row.label,
        lines: lines.into_iter().zip(baselines).collect(),
        no_data: row.estimates.is_empty().then_some(first_middle + 4.0),
        estimates: estimates.collect(),
    }
}

// Markup --------------------------------------------------------------------------------

/// The plot, back to front: stripes, legend, axis with its text, then the rows.
fn emit(title: &str, layout: &Layout, options: &ForestOptions) -> String {
    let mut out = String::new();
    open(&mut out, title, FOREST_WIDTH, layout.height);
    for row in layout.rows.iter().step_by(2) {
        rows::emit_stripe(&mut out, &row.place, FOREST_WIDTH);
    }
    layout.legend.emit(&mut out);
    let axis = &layout.axis;
    axis.emit_grid(&mut out, layout.plot_top + 2.0, layout.plot_bottom);
    if layout.ticks_on_top {
        axis.emit_labels(&mut out, layout.plot_top);
    }
    axis.emit_labels(&mut out, layout.plot_bottom + 14.0);
    emit_axis_text(&mut out, options, layout.plot_bottom);
    for row in &layout.rows {
        rows::emit_heading(&mut out, &row.place);
        emit_row(&mut out, row);
    }
    out.push_str("</svg>");
    out
}

/// Under the axis: what each side of 0 means, at its two ends, then what it measures.
fn emit_axis_text(out: &mut String, options: &ForestOptions, plot_bottom: f64) {
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
    axis::emit_title(out, FOREST_X0 + FOREST_W / 2.0, y + 16.0, options.axis);
}

/// A group: its label (each line with the whole label as its tooltip), then its lines,
/// or "no data".
fn emit_row(out: &mut String, row: &Row) {
    for (line, baseline) in &row.lines {
        let _ = write!(
            out,
            r#"<text x="{FOREST_LABEL_END}" y="{baseline:.1}" text-anchor="end" fill="{INK}">{}<title>{}</title></text>"#,
            escape(line),
            escape(row.label)
        );
    }
    if let Some(y) = row.no_data {
        rows::emit_no_data(out, FOREST_X0 + 4.0, y);
    }
    for marks in &row.estimates {
        emit_estimate(out, marks);
    }
}

/// One difference: its tag, its interval and point (with a tooltip), and its text,
/// flagged "small" when it is the first of a small group.
fn emit_estimate(out: &mut String, marks: &EstimateMarks) {
    let (e, y) = (marks.estimate, marks.y);
    let (x1, x2) = (marks.low_x, marks.high_x);
    let colour = series_colour(e.series);
    let _ = write!(
        out,
        r#"<text x="{FOREST_TAG_X}" y="{:.1}" font-size="11" fill="{MUTED}">{}</text>"#,
        y + 4.0,
        escape(&e.tag)
    );
    let _ = write!(
        out,
        r#"<g><title>{}</title><path d="M{x1:.1} {y:.1}H{x2:.1}M{x1:.1} {:.1}v8M{x2:.1} {:.1}v8" stroke="{colour}" stroke-width="2" fill="none"/>{}</g>"#,
        escape(&marks.tooltip),
        y - 4.0,
        y - 4.0,
        marker(e.series, marks.x, y, 5.5, marks.significant)
    );
    let (weight, fill) = if marks.significant {
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
    if marks.flag_small {
        rows::emit_small_flag(out);
    }
    out.push_str("</text>");
}

#[cfg(test)]
mod tests {
    use super::super::colour::WHITE;
    use super::*;

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
}
