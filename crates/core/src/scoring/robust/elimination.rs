//! An answer reached by elimination: the reply rules out the other options one by one
//! ("A — no vomiting; C — breath sounds equal; D — no tearing pain; E — no rub.") and its
//! last sentence names the one left ("B, pulmonary embolism.", "A comes first.", "E it
//! is."). Each ruled-out option opens a sentence of its own, so the letter-first phrases
//! read the first of them; the last sentence is the answer.

use std::sync::LazyLock;

use regex::Regex;

/// The capital letters A-J that stand alone in `text` ("B, C and D"), with their offsets.
pub(super) fn standalone_letters(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    static LETTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[A-J]\b").unwrap());
    LETTER
        .find_iter(text)
        .filter_map(|m| Some((m.start(), m.as_str().chars().next()?)))
}

/// The letter the last sentence names and its byte offset, when every other option's
/// letter came before it and it did not, and nothing before it gave an answer in words.
pub(super) fn remaining(text: &str, letters: &[char]) -> Option<(usize, char)> {
    static ANSWERED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:answer|final|choose|chose|pick|go with|correct option|best option)\b")
            .unwrap()
    });
    static DENIES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:not|no|never|wrong|incorrect|unlikely|irrelevant)\b|n't\b").unwrap()
    });
    if letters.len() < 3 {
        return None;
    }
    let trimmed = text.trim_end();
    // The last sentence (or clause after a semicolon), which ends the reply.
    let body = trimmed.trim_end_matches(['.', '!', '*', ')']);
    if body.len() == trimmed.len() {
        return None;
    }
    let start = body.rfind(['.', '!', '?', ';', '\n']).map_or(0, |i| i + 1);
    let (earlier, last) = (&text[..start], &text[start..]);
    let named = |part: &str| -> Vec<(usize, char)> {
        standalone_letters(part)
            .filter(|(_, c)| letters.contains(c))
            .collect()
    };
    let in_last = named(last);
    let (at, chosen) = *in_last.first()?;
    let ruled_out = named(earlier);
    let alone = in_last.iter().all(|(_, c)| *c == chosen)
        && ruled_out.iter().all(|(_, c)| *c != chosen)
        && letters
            .iter()
            .all(|l| *l == chosen || ruled_out.iter().any(|(_, c)| c == l));
    (alone && !ANSWERED.is_match(earlier) && !DENIES.is_match(last)).then_some((start + at, chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABCDE: [char; 5] = ['A', 'B', 'C', 'D', 'E'];
    const ABCD: [char; 4] = ['A', 'B', 'C', 'D'];

    #[test]
    fn the_option_left_after_the_others_are_ruled_out() {
        let pe = "A — no vomiting history; C — breath sounds equal; D — no tearing pain or \
                  pulse deficit; E — no rub, no ST changes. B, pulmonary embolism.";
        assert_eq!(remaining(pe, &ABCDE).map(|(_, c)| c), Some('B'));
        let copd = "Only one of these improves mortality. B, C and D don't; A does.";
        assert_eq!(remaining(copd, &ABCD).map(|(_, c)| c), Some('A'));
        let knee = "A and B won't exclude infection. C is irrelevant here. D.";
        assert_eq!(remaining(knee, &ABCD).map(|(_, c)| c), Some('D'));
    }

    #[test]
    fn no_elimination_without_every_other_option_or_after_an_answer() {
        // B and E were never ruled out.
        assert_eq!(remaining("A is wrong. C is wrong. D.", &ABCDE), None);
        // The answer came first; the last sentence rules one more out.
        assert_eq!(
            remaining(
                "Answer: B. A is too slow, C is for later. D is for X.",
                &ABCD
            ),
            None
        );
        // The last sentence rules the last one out too.
        assert_eq!(
            remaining(
                "A is wrong. B is wrong. C is wrong. D is not it either.",
                &ABCD
            ),
            None
        );
        // Cut off.
        assert_eq!(
            remaining("A is wrong. B is wrong. C is wrong. D is", &ABCD),
            None
        );
    }
}
