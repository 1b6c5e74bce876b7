//! The official answer extractor (docs/extraction.md), reproduced exactly.
//!
//! The official rules are Python regular expressions. They are matched here by hand,
//! because Python's `\s`, `\b` and IGNORECASE differ from Rust's `regex` on characters
//! such as U+001C, combining marks and the dotless `ı`; a hand matcher with the Python
//! character classes of `crate::pytext` gives the official verdict on every input.

use crate::pytext::{self, is_space, is_word};

/// Which official rule produced the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OfficialRule {
    /// 1. `\boxed{X}`.
    Boxed,
    /// 2. The first "answer/option/choice ... X".
    AnswerWord,
    /// 3. The last line that is only a letter.
    LetterLine,
    /// 4. The last standalone capital A-J anywhere.
    LastCapital,
    /// 5. The whole reply is one letter.
    SingleLetter,
}

/// The official verdict: the letter (upper-cased as Python does) and the rule that fired.
pub fn extract(response: &str) -> Option<(String, OfficialRule)> {
    if response.is_empty() {
        return None;
    }
    let chars: Vec<char> = response.chars().collect();
    boxed(&chars)
        .map(|c| (c, OfficialRule::Boxed))
        .or_else(|| answer_word(&chars).map(|c| (c, OfficialRule::AnswerWord)))
        .or_else(|| letter_line(response).map(|c| (c, OfficialRule::LetterLine)))
        .or_else(|| last_capital(&chars).map(|c| (c, OfficialRule::LastCapital)))
        .map(|(c, rule)| (pytext::upper_letter(c), rule))
        .or_else(|| single_letter(response).map(|s| (s, OfficialRule::SingleLetter)))
}

/// `[A-J]` under IGNORECASE: ASCII A-J in either case, and the Turkish `ı` and `İ`,
/// which Python's case folding equates with `i`.
fn is_letter_ci(c: char) -> bool {
    matches!(c, 'A'..='J' | 'a'..='j' | 'ı' | 'İ')
}

/// One character of a literal matched under IGNORECASE (`s` also matches `ſ`,
/// `i` also `ı` and `İ`, `k` also the Kelvin sign).
fn same_ci(c: char, literal: char) -> bool {
    let folded = match c {
        'ſ' => 's',
        'ı' | 'İ' => 'i',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    folded == literal
}

fn literal_at(chars: &[char], at: usize, literal: &str) -> Option<usize> {
    let mut i = at;
    for l in literal.chars() {
        if !chars.get(i).is_some_and(|&c| same_ci(c, l)) {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// Rule 1: `\\boxed{\s*([A-J])\s*}`, IGNORECASE, first match.
fn boxed(chars: &[char]) -> Option<char> {
    (0..chars.len()).find_map(|start| {
        if chars[start] != '\\' {
            return None;
        }
        let mut i = literal_at(chars, start + 1, "boxed{")?;
        while chars.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        let letter = *chars.get(i).filter(|c| is_letter_ci(**c))?;
        i += 1;
        while chars.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        (chars.get(i) == Some(&'}')).then_some(letter)
    })
}

/// Rule 2: `(?:answer|option|choice|selected option)\s*[:\-is\s]*\s*([A-Ja-j])\b`,
/// IGNORECASE, first match. The run between the word and the letter may hold `:`, `-`,
/// `i`, `s` and spaces; the regex backtracks from the longest run, so the letter is the
/// last position inside (or just after) that run that is a letter followed by a word
/// boundary.
fn answer_word(chars: &[char]) -> Option<char> {
    const WORDS: [&str; 4] = ["answer", "option", "choice", "selected option"];
    (0..chars.len()).find_map(|start| {
        let after = WORDS.iter().find_map(|w| literal_at(chars, start, w))?;
        let in_run =
            |c: char| c == ':' || c == '-' || is_space(c) || same_ci(c, 'i') || same_ci(c, 's');
        let run = chars[after..].iter().take_while(|c| in_run(**c)).count();
        (0..=run).rev().find_map(|k| {
            let at = after + k;
            let letter = *chars.get(at).filter(|c| is_letter_ci(**c))?;
            let boundary = chars.get(at + 1).is_none_or(|c| !is_word(*c));
            boundary.then_some(letter)
        })
    })
}

/// Rule 3: from the last line up, a line that is one letter then only spaces, `.`, `)`.
fn letter_line(response: &str) -> Option<char> {
    pytext::strip(response).split('\n').rev().find_map(|line| {
        let mut chars = pytext::strip(line).chars();
        let first = chars.next().filter(|c| is_letter_ci(*c))?;
        chars
            .all(|c| is_space(c) || c == '.' || c == ')')
            .then_some(first)
    })
}

/// Rule 4: the last `\b[A-J]\b` (capitals only; this rule has no IGNORECASE).
fn last_capital(chars: &[char]) -> Option<char> {
    (0..chars.len()).rev().find_map(|i| {
        let c = chars[i];
        let before = i == 0 || !is_word(chars[i - 1]);
        let after = chars.get(i + 1).is_none_or(|n| !is_word(*n));
        (('A'..='J').contains(&c) && before && after).then_some(c)
    })
}

/// Rule 5: the stripped reply is one character whose upper case is in "ABCDEFGHIJ".
fn single_letter(response: &str) -> Option<String> {
    let s = pytext::strip(response);
    let mut chars = s.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    let upper = pytext::upper_letter(c);
    "ABCDEFGHIJ".contains(upper.as_str()).then_some(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(r: &str) -> Option<String> {
        extract(r).map(|(l, _)| l)
    }

    #[test]
    fn rules_in_order() {
        assert_eq!(
            extract("so \\boxed{ c }"),
            Some(("C".into(), OfficialRule::Boxed))
        );
        assert_eq!(
            extract("\\BOXED{b}"),
            Some(("B".into(), OfficialRule::Boxed))
        );
        assert_eq!(
            extract("The answer is: d."),
            Some(("D".into(), OfficialRule::AnswerWord))
        );
        assert_eq!(
            extract("Reasoning...\nB.\n"),
            Some(("B".into(), OfficialRule::LetterLine))
        );
        assert_eq!(
            extract("I pick E here"),
            Some(("E".into(), OfficialRule::LastCapital))
        );
        assert_eq!(extract(""), None);
        assert_eq!(extract("no letter here"), None);
    }

    #[test]
    fn known_weaknesses_are_reproduced() {
        assert_eq!(
            letter("Option A is tempting, but the answer is C"),
            Some("A".into())
        );
        assert_eq!(
            letter("The answer is a rare variant, so D"),
            Some("A".into())
        );
        assert_eq!(
            letter("\\boxed{\\text{C}} because of a type I error"),
            Some("I".into())
        );
        assert_eq!(
            letter("\\boxed{C. Surgery} needs vitamin D"),
            Some("D".into())
        );
    }

    #[test]
    fn answer_word_backtracks_over_i_and_s() {
        // "answer is i" -> the run "␠is␠" then "i": the last letter in the run wins.
        assert_eq!(letter("answer is i."), Some("I".into()));
        // "answers: B" -> "s: " is part of the run.
        assert_eq!(letter("answers: B"), Some("B".into()));
        // "options include" -> no letter followed by a boundary: rule 2 fails here.
        assert_eq!(letter("options include many"), None);
        assert_eq!(letter("Choice-C"), Some("C".into()));
    }

    #[test]
    fn python_character_classes() {
        // U+001C is whitespace to Python's \s.
        assert_eq!(letter("\\boxed{\u{1c}B\u{1c}}"), Some("B".into()));
        // The dotless ı matches [A-J] under IGNORECASE and upper-cases to I.
        assert_eq!(letter("\\boxed{ı}"), Some("I".into()));
        // A combining mark after the letter is not a word character to Python.
        assert_eq!(letter("x C\u{301}"), Some("C".into()));
        // The long s matches "s" under IGNORECASE.
        assert_eq!(letter("choice ſ b"), Some("B".into()));
    }
}
