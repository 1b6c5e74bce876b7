//! Chapters in the ICD's order, for the chapter filter and the report's chapter charts.

/// The number in "Chapter 12: ..." (case-insensitive), for ordering chapters as the ICD
/// does rather than as strings ("Chapter 10" after "Chapter 9").
fn chapter_number(name: &str) -> Option<u32> {
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
pub(in crate::html) fn chapter_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| (chapter_number(s).unwrap_or(u32::MAX), s.to_string());
    key(a).cmp(&key(b))
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
