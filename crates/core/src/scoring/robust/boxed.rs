//! Boxed answers: `\boxed{C}` and its relatives.

use std::sync::LazyLock;

use regex::Regex;

/// The letter of every boxed answer, in order: `\boxed{C}`, `\boxed{\text{C}}`,
/// `\boxed{C. Surgery}`, `\boxed{(C)}`, `\boxed{Option C}`, `\fbox{C}`. A box the reply
/// was cut off inside (`... \boxed{B` at its very end) still holds its letter.
pub(super) fn boxed(text: &str) -> Vec<char> {
    static START: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\\(?:boxed|fbox)\s*\{").unwrap());
    static WRAPPER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\\(?:text|textbf|textrm|textsf|mathrm|mathbf|mathit|mbox|bf)\s*\{([^{}]*)\}")
            .unwrap()
    });
    static LETTER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^[\s$*(\[]*(?:(?:option|answer|choice)\s*:?\s*)?[(\[]?([A-J])(?:[\s.):\]\-–,]|$)",
        )
        .unwrap()
    });
    // "\boxed{A, C}" commits to no single option.
    static MANY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^[\s$*(\[]*[A-J]\s*(?:,|/|&|\band\b|\bor\b)\s*[A-J]\b").unwrap()
    });
    let mut letters = Vec::new();
    for start in START.find_iter(text) {
        let body = &text[start.end()..];
        let mut depth = 1;
        let closed = body.char_indices().find_map(|(i, c)| {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            (depth == 0).then_some(i)
        });
        let inner = match closed {
            // "\boxed{A}?" is a doubt, not an answer.
            Some(end) if body[end + 1..].starts_with('?') => continue,
            Some(end) => &body[..end],
            // Cut off inside the box: only a lone letter at the very end counts.
            None if body.trim().chars().count() == 1 => body.trim(),
            None => continue,
        };
        let mut inner = inner.to_string();
        while let std::borrow::Cow::Owned(unwrapped) = WRAPPER.replace_all(&inner, "$1") {
            inner = unwrapped;
        }
        if MANY.is_match(&inner) {
            continue;
        }
        if let Some(c) = LETTER.captures(&inner).and_then(|m| m[1].chars().next()) {
            letters.push(c);
        }
    }
    letters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_in_their_shapes() {
        assert_eq!(boxed(r"\boxed{\text{C}} and \fbox{D}"), ['C', 'D']);
        assert_eq!(boxed(r"\boxed{A, C} \boxed{B}? \boxed{Option E}"), ['E']);
        assert_eq!(boxed(r"Answer: \boxed{B"), ['B']);
        assert_eq!(boxed(r"\boxed{Bec"), [] as [char; 0]);
    }
}
