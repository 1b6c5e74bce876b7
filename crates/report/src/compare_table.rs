//! The table of `liveclin compare`: for every group, each run's accuracy and the
//! differences between the runs, with their intervals and p-values.

use std::fmt::Write;

use liveclin_core::analysis::Breakdown;
use liveclin_core::analysis::bootstrap::Statistic;
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::analysis::compare::{ComparedGroup, Comparison, PairDifference};

/// A pair's difference in points as the table and the page write it:
/// `+4.8 (-1.0, +10.5) p=0.110` (`p=n/a` for a group of one case).
pub(crate) fn pair_text(pair: &PairDifference) -> String {
    let p = pair
        .p_value
        .map_or("n/a".to_string(), |p| format!("{p:.3}"));
    format!(
        "{:+.1} ({:+.1}, {:+.1}) p={p}",
        pair.difference * 100.0,
        pair.low * 100.0,
        pair.high * 100.0,
    )
}

/// The readable table: for every group, each run's accuracy and the difference of each
/// later run from the first (every pair with `all_pairs`), with its interval and p-value.
/// The header says which reading counted the answers: the numbers depend on it.
pub fn table(c: &Comparison, all_pairs: bool) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(
        o,
        "Comparing {} runs over the {} cases all of them have:",
        c.runs.len(),
        c.common_cases
    );
    for (i, run) in c.runs.iter().enumerate() {
        let _ = writeln!(o, "  [{}] {run}", i + 1);
    }
    let _ = writeln!(
        o,
        "Reading: {}, {}.",
        c.reading.name(),
        c.reading.description()
    );
    let _ = writeln!(
        o,
        "Differences: later run minus earlier, in points, with a 95% paired case-level bootstrap interval\nand p-value ({} resamples); * marks groups of fewer than {SMALL_GROUP} cases.",
        c.resamples
    );
    let _ = writeln!(o, "\nOverall");
    if let Some(overall) = &c.overall {
        for statistic in Statistic::ALL {
            row(o, statistic.title(), overall, statistic, all_pairs);
        }
    }
    for breakdown in Breakdown::ALL {
        let statistic = breakdown.statistic();
        let _ = writeln!(
            o,
            "\nBy {} ({})",
            breakdown.title(),
            statistic.title().to_lowercase()
        );
        for group in c.groups.of(breakdown) {
            let label = match &group.chapter {
                Some(chapter) => format!("{chapter} / {}", group.name),
                None => group.name.clone(),
            };
            row(o, &label, &group.value, statistic, all_pairs);
        }
    }
    out
}

/// One group: `name  n cases  61.2%  66.0%  [2]-[1] +4.8 (-1.0, +10.5) p=0.110`.
fn row(o: &mut String, name: &str, group: &ComparedGroup, statistic: Statistic, all_pairs: bool) {
    let small = if group.small { "*" } else { " " };
    let mut label: String = name.chars().take(44).collect();
    if name.chars().count() > 44 {
        label.pop();
        label.push('~');
    }
    let _ = write!(o, "  {label:<44} {:>5} cases{small}", group.cases);
    let Some(compared) = group.get(statistic) else {
        let _ = writeln!(o);
        return;
    };
    for value in &compared.values {
        let _ = write!(o, " {:>6.1}%", value * 100.0);
    }
    let runs = compared.values.len();
    let mut pairs = compared.pairs.iter();
    for i in 0..runs {
        for j in i + 1..runs {
            let Some(pair) = pairs.next() else { break };
            if i > 0 && !all_pairs {
                continue;
            }
            let _ = write!(o, "  [{}]-[{}] {}", j + 1, i + 1, pair_text(pair));
        }
    }
    let _ = writeln!(o);
}
