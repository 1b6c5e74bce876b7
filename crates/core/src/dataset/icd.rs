//! Chapters and subcategories in the ICD's order ("Chapter 10" after "Chapter 9", not
//! after "Chapter 1"), for `validate`, the report's charts and its chapter filter.

use std::cmp::Ordering;

/// The number in "Chapter 12: ..." (case-insensitive), for ordering chapters as the ICD
/// does rather than as strings ("Chapter 10" after "Chapter 9").
pub fn chapter_number(name: &str) -> Option<u32> {
    let rest = name.trim_start();
    let head = rest.get(..8)?;
    if !head.eq_ignore_ascii_case("chapter ") {
        return None;
    }
    let digits: String = rest[8..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Orders chapter names by chapter number; names without one come after, by name.
pub fn chapter_order(a: &str, b: &str) -> Ordering {
    let key = |s: &str| (chapter_number(s).unwrap_or(u32::MAX), s.to_string());
    key(a).cmp(&key(b))
}

/// Subcategories by the ICD code range they end with; those without one after.
pub fn icd_order(a: &str, b: &str) -> Ordering {
    let key = |name: &str| icd_code(name).map_or((1, ' ', 0), |(l, n)| (0, l, n));
    key(a).cmp(&key(b))
}

/// The ICD code range a subcategory ends with, "(C40-C41)" -> ('C', 40), for its order.
fn icd_code(name: &str) -> Option<(char, u32)> {
    let inner = name.trim_end().strip_suffix(')')?;
    let code = &inner[inner.rfind('(')? + 1..];
    let mut chars = code.chars();
    let letter = chars.next().filter(char::is_ascii_uppercase)?;
    let digits: String = chars.take_while(char::is_ascii_digit).collect();
    Some((letter, digits.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_are_ordered_by_their_number() {
        let mut names = vec![
            "Chapter 10: Respiratory",
            "Unknown",
            "Chapter 2: Neoplasms",
            "chapter 1: Infections",
            "Chapter 21: Factors",
            "Chapter 9: Circulatory",
        ];
        names.sort_by(|a, b| chapter_order(a, b));
        assert_eq!(
            names,
            [
                "chapter 1: Infections",
                "Chapter 2: Neoplasms",
                "Chapter 9: Circulatory",
                "Chapter 10: Respiratory",
                "Chapter 21: Factors",
                "Unknown"
            ]
        );
        assert_eq!(chapter_number("Chapter 13: x"), Some(13));
        assert_eq!(chapter_number("Chapters"), None);
    }
}
