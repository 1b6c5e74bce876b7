//! The x axis of a forest plot, fitted to its differences.

use super::super::axis::{Axis, Tick};
use super::super::colour::INK;
use super::{FOREST_MAX_STEPS, FOREST_W, FOREST_X0};

/// The x axis of a forest plot, in percentage points: from `low` to `high`, both
/// multiples of `step`, 0 among the ticks and every interval inside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    pub(super) low: f64,
    pub(super) high: f64,
    pub(super) step: f64,
}

impl Scale {
    /// The narrowest round axis holding 0 and every one of `values` (differences given as
    /// fractions: the points and their intervals' ends): a +2-point difference is not
    /// drawn on a -100..+100 axis, where it would be a dot.
    pub(super) fn fit(values: impl IntoIterator<Item = f64>) -> Scale {
        let (low, high) = values
            .into_iter()
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
    pub(super) fn x(&self, fraction: f64) -> f64 {
        let share = (fraction * 100.0 - self.low) / (self.high - self.low);
        FOREST_X0 + share.clamp(0.0, 1.0) * FOREST_W
    }

    /// The ticks, in points.
    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let count = ((self.high - self.low) / self.step).round() as usize;
        (0..=count).map(move |k| self.low + k as f64 * self.step)
    }

    /// The axis laid out: a tick per step, labelled "-10", "0", "+10", the line at 0 dark
    /// (the line a difference is read against).
    pub(super) fn axis(&self) -> Axis {
        let ticks = self.ticks().map(|tick| Tick {
            at: self.x(tick / 100.0),
            label: if tick == 0.0 {
                "0".to_string()
            } else {
                format!("{tick:+.0}")
            },
            zero: tick == 0.0,
        });
        Axis {
            ticks: ticks.collect(),
            zero_line: (INK, 1.5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_is_round_tight_and_holds_zero_and_every_interval() {
        for (low, value, high) in [
            (-1.0, 2.0, 5.0),
            (-30.0, 10.0, 62.0),
            (3.0, 4.0, 7.5),
            (-100.0, 0.0, 100.0),
            (0.0, 0.0, 0.0),
        ] {
            // A difference of `value` points with its interval.
            let scale = Scale::fit([low, value, high].map(|v: f64| v / 100.0));
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
