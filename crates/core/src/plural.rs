//! Counts in words: "1 case", "2 cases", "1 of 16 cases was", "3 of 16 cases were".

/// `n` and its noun, singular for exactly one.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "was" for one, "were" for any other count.
pub fn were(n: u64) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "case", "cases"), "1 case");
        assert_eq!(count(0, "case", "cases"), "0 cases");
        assert_eq!(count(2, "case", "cases"), "2 cases");
        assert_eq!((were(1), were(3)), ("was", "were"));
    }
}
