//! o200k_base's pre-tokenizer, written out by hand. tiktoken splits a text with this
//! pattern, taking at each position the first alternative that matches, with a
//! backtracking engine's semantics (greedy quantifiers give characters back when what
//! follows fails):
//!
//! ```text
//! [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//! |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//! |\p{N}{1,3}
//! | ?[^\s\p{L}\p{N}]+[\r\n/]*
//! |\s*[\r\n]+
//! |\s+(?!\S)
//! |\s+
//! ```
//!
//! Every character starts a match (a letter or mark a word, a number a number, whitespace
//! whitespace, anything else punctuation), so the pieces cover the text. `\s` is Unicode
//! White_Space, `char::is_whitespace`.
//! Each class answers ASCII before looking up the general-category tables, which cost
//! more than the rest of the split.

use unicode_general_category::{GeneralCategory, get_general_category};

/// The pieces of `text`, in order; concatenated, they are `text`.
pub(crate) fn pieces(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = word(rest)
            .or_else(|| number(rest))
            .or_else(|| punctuation(rest))
            .unwrap_or_else(|| whitespace(rest));
        let (piece, tail) = rest.split_at(len);
        rest = tail;
        Some(piece)
    })
}

/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: a word's capitals (and letters without case, and marks).
fn is_upper(c: char) -> bool {
    use GeneralCategory::*;
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    matches!(
        get_general_category(c),
        UppercaseLetter
            | TitlecaseLetter
            | ModifierLetter
            | OtherLetter
            | NonspacingMark
            | SpacingMark
            | EnclosingMark
    )
}

/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: a word's small letters (and letters without case, and marks).
fn is_lower(c: char) -> bool {
    use GeneralCategory::*;
    if c.is_ascii() {
        return c.is_ascii_lowercase();
    }
    matches!(
        get_general_category(c),
        LowercaseLetter
            | ModifierLetter
            | OtherLetter
            | NonspacingMark
            | SpacingMark
            | EnclosingMark
    )
}

/// `\p{L}` or `\p{N}`.
fn is_letter_or_number(c: char) -> bool {
    use GeneralCategory::*;
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(
        get_general_category(c),
        UppercaseLetter
            | LowercaseLetter
            | TitlecaseLetter
            | ModifierLetter
            | OtherLetter
            | DecimalNumber
            | LetterNumber
            | OtherNumber
    )
}

/// `\p{N}`.
fn is_number(c: char) -> bool {
    use GeneralCategory::*;
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    matches!(
        get_general_category(c),
        DecimalNumber | LetterNumber | OtherNumber
    )
}

/// Bytes of the run of characters at the start of `s` that are all `class`.
fn run(s: &str, class: impl Fn(char) -> bool) -> usize {
    s.find(|c| !class(c)).unwrap_or(s.len())
}

/// The first two alternatives: an optional leading character that is no letter, number
/// or line break (a space, a quote, a mark...), then a word, then an English contraction.
/// Each alternative tries first with the leading character, then without it.
fn word(s: &str) -> Option<usize> {
    let first = s.chars().next()?;
    let starts = || {
        let lead = (!matches!(first, '\r' | '\n') && !is_letter_or_number(first))
            .then(|| first.len_utf8());
        lead.into_iter().chain([0])
    };
    let end = starts()
        .find_map(|start| capitals_then_small(s, start))
        .or_else(|| starts().find_map(|start| capitals_first(s, start)))?;
    Some(end + contraction(&s[end..]))
}

/// `[\p{Lu}...]*[\p{Ll}...]+` from `start`: the capitals' run is taken whole, then given
/// back a character at a time until small letters can follow (the two classes share the
/// letters without case and the marks).
fn capitals_then_small(s: &str, start: usize) -> Option<usize> {
    let capitals_end = start + run(&s[start..], is_upper);
    let small_start = std::iter::once(capitals_end)
        .chain(
            s[start..capitals_end]
                .char_indices()
                .rev()
                .map(|(at, _)| start + at),
        )
        .find(|&at| s[at..].starts_with(is_lower))?;
    Some(small_start + run(&s[small_start..], is_lower))
}

/// `[\p{Lu}...]+[\p{Ll}...]*` from `start`: at least one capital; nothing after them can fail.
fn capitals_first(s: &str, start: usize) -> Option<usize> {
    let capitals = run(&s[start..], is_upper);
    (capitals > 0).then(|| {
        let end = start + capitals;
        end + run(&s[end..], is_lower)
    })
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at the start of `s`: its length, 0 if none. The match
/// ignores case by Unicode's simple folding, under which `ſ` (long s) is an `s` too.
fn contraction(s: &str) -> usize {
    let Some(tail) = s.strip_prefix('\'') else {
        return 0;
    };
    let mut letters = tail.char_indices().map(|(at, c)| {
        let folded = if c == 'ſ' {
            's'
        } else {
            c.to_ascii_lowercase()
        };
        (1 + at + c.len_utf8(), folded)
    });
    match (letters.next(), letters.next()) {
        (Some((end, 's' | 't' | 'm' | 'd')), _) => end,
        (Some((_, 'r' | 'v')), Some((end, 'e'))) | (Some((_, 'l')), Some((end, 'l'))) => end,
        _ => 0,
    }
}

/// `\p{N}{1,3}`: numbers go in threes.
fn number(s: &str) -> Option<usize> {
    let digits = s.char_indices().take_while(|&(_, c)| is_number(c)).take(3);
    digits.last().map(|(at, c)| at + c.len_utf8())
}

/// ` ?[^\s\p{L}\p{N}]+[\r\n/]*`: a run of punctuation and symbols, with one space before
/// it and the line breaks and slashes after it.
fn punctuation(s: &str) -> Option<usize> {
    let start = usize::from(s.starts_with(' '));
    let symbols = run(&s[start..], |c| {
        !c.is_whitespace() && !is_letter_or_number(c)
    });
    (symbols > 0).then(|| {
        let end = start + symbols;
        end + run(&s[end..], |c| matches!(c, '\r' | '\n' | '/'))
    })
}

/// The last three alternatives, for `s` starting with whitespace (every other character
/// starts one of the others): `\s*[\r\n]+` takes the run up to its last line break;
/// failing that `\s+(?!\S)` takes the run at the end of the text, else all of it but its
/// last character (left to lead the word that follows, as in " word"); failing that (a
/// single character) `\s+` takes it.
fn whitespace(s: &str) -> usize {
    let spaces = &s[..run(s, char::is_whitespace)];
    if let Some(line_break) = spaces.rfind(['\r', '\n']) {
        return line_break + 1;
    }
    let last = spaces.chars().next_back().map_or(0, char::len_utf8);
    if spaces.len() == s.len() || spaces.len() == last {
        spaces.len()
    } else {
        spaces.len() - last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_tiktoken_does() {
        let fixture = crate::tests::fixture();
        let wrong: Vec<_> = fixture
            .iter()
            .filter(|(text, expected, _)| !pieces(text).eq(expected.iter().map(String::as_str)))
            .map(|(text, expected, _)| {
                let got: Vec<_> = pieces(text).collect();
                format!("{text:?}: {got:?} instead of {expected:?}")
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{} wrong:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}
