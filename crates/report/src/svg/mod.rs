//! Charts as inline SVG, for the HTML report: horizontal bars of accuracy per group (one
//! bar per run, so several runs can be compared side by side), curves over question
//! positions, and forest plots of the differences between runs. Pure functions from
//! numbers to SVG text: no scripts, no external fonts or images, and every piece of text
//! goes through [`escape`].
//!
//! Values are fractions in 0..=1 and are drawn on a 0-100% axis (differences, from -1 to
//! 1, on an axis in percentage points fitted to them).
//!
//! Each chart is drawn in two steps: a layout step works out every position, size,
//! wrapped label and legend entry into plain structs, and an emit step writes the markup
//! from them, so that the geometry can be read (and changed) apart from the SVG syntax.
//! The pieces the charts share have modules of their own: the colours ([`colour`]), the
//! runs' shapes ([`shape`]), the legend ([`legend`]), the value axes ([`axis`]) and the
//! labelled rows of bar charts and forest plots ([`rows`]).

mod axis;
mod bar;
mod colour;
mod forest;
mod legend;
mod line;
mod rows;
mod shape;

use std::fmt::Write;

use super::html::escape;

pub(crate) use bar::{Bar, Group, SortKey, bar_chart};
pub use colour::PALETTE;
pub(crate) use forest::{Estimate, ForestOptions, ForestRow, excludes_zero, forest_plot};
pub(crate) use line::line_chart;
pub use line::{Line, Point};
pub(crate) use shape::series_shape;
pub use shape::{SHAPES, Shape, marker};

/// The width of a chart's viewBox (the page scales a chart to its column).
const WIDTH: f64 = 900.0;
/// The room added on the right of a bar chart whose bars have annotations.
const ANNOTATION_ROOM: f64 = 120.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

/// What a bar or line chart says beyond its data.
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

/// `62.5%`.
pub fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

/// The opening tag of a chart `width` wide, with its title: scalable, titled for screen
/// readers (`aria-label` and `<title>`) and for sighted ones (the heading drawn at the
/// top). The chart's markup follows, then `</svg>`.
fn open(out: &mut String, title: &str, width: f64, height: f64) {
    let t = escape(title);
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {width} {height:.0}" width="{width}" height="{height:.0}" role="img" aria-label="{t}" font-family="{FONT}" font-size="12.5"><title>{t}</title>"#
    );
    let _ = write!(
        out,
        r#"<text x="8" y="22" font-size="15.5" font-weight="600" fill="{}">{t}</text>"#,
        colour::INK
    );
}
