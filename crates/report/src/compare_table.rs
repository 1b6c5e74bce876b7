//! The table of `liveclin compare`: for every group, each run's accuracy and the
//! differences between the runs, with their intervals and p-values.

use std::fmt::Write;

use liveclin_core::analysis::Breakdown;
use liveclin_core::analysis::bootstrap::Statistic;
use liveclin_core::analysis::breakdown::SMALL_GROUP;
use liveclin_core::analysis::compare::{ComparedGroup, Comparison, PairDifference};
use liveclin_core::dataset::icd::chapter_number;

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
        let mut groups: Vec<_> = c.groups.of(breakdown).iter().collect();
        groups.sort_by(|a, b| {
            breakdown.icd_order(
                (a.chapter.as_deref(), &a.name),
                (b.chapter.as_deref(), &b.name),
            )
        });
        for group in groups {
            // A subcategory's chapter by its number: the width is for telling groups apart.
            let label = match &group.chapter {
                Some(chapter) => match chapter_number(chapter) {
                    Some(n) => format!("Ch. {n} / {}", group.name),
                    None => format!("{chapter} / {}", group.name),
                },
                None => group.name.clone(),
            };
            row(o, &label, &group.value, statistic, all_pairs);
        }
    }
    out
}

/// Characters of a group's name in the table.
const LABEL_WIDTH: usize = 44;

/// A name cut to `width` characters, `~` where it was cut; a code range it ends with
/// ("(C40-C41)") is kept, as it is what tells similar subcategories apart.
fn fit(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    let code = name
        .rfind(" (")
        .map(|at| &name[at + 1..])
        .filter(|code| code.ends_with(')') && code.chars().count() <= width / 3)
        .unwrap_or("");
    let head: String = name
        .chars()
        .take(width - 1 - code.chars().count())
        .collect();
    format!("{}~{code}", head.trim_end())
}

/// One group: `name  n cases  61.2%  66.0%  [2]-[1] +4.8 (-1.0, +10.5) p=0.110`.
fn row(o: &mut String, name: &str, group: &ComparedGroup, statistic: Statistic, all_pairs: bool) {
    let small = if group.small { "*" } else { " " };
    let label = fit(name, LABEL_WIDTH);
    let _ = write!(o, "  {label:<LABEL_WIDTH$} {:>5} cases{small}", group.cases);
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

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn a_cut_name_keeps_its_code_range() {
        assert_eq!(fit("Rare", 44), "Rare");
        assert_eq!(
            fit(
                "Ch. 2 / Malignant neoplasms of bone and articular cartilage (C40-C41)",
                44
            ),
            "Ch. 2 / Malignant neoplasms of bon~(C40-C41)"
        );
        assert_eq!(
            fit(
                "Chapter 3: Diseases of the blood and blood-forming organs",
                20
            ),
            "Chapter 3: Diseases~"
        );
    }
}
