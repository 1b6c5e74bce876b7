//! The part of a reply that is its answer: reasoning sections and retracted text set
//! aside, full-width letters made ASCII.

use std::sync::LazyLock;

use regex::Regex;

/// A closed reasoning section; group 1 is its text.
static CLOSED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(?:think|thinking|reasoning)>(.*?)</(?:think|thinking|reasoning)>").unwrap()
});

/// Where the text to read came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The reply after its reasoning (or a reply without any).
    Answer,
    /// A reply that was all reasoning, read as its answer.
    ReasoningOnly,
    /// The last line of a reasoning section the model never closed.
    UnclosedReasoning,
}

/// The reply without its reasoning: closed `<think>`/`<thinking>`/`<reasoning>` sections
/// are removed, text before a stray closing tag is dropped (servers often strip the
/// opening tag), and of an unterminated section only its last line is kept (a model
/// that forgot to close the tag still ends with its answer). When nothing is left after
/// a closed section, the section itself is read: a model that put its answer inside
/// and stopped still answered. Struck-through markdown (`~~B~~`) is a retracted answer
/// and is removed; letters written otherwise become Latin capitals ([`plain_letters`]).
pub(super) fn final_text(reply: &str) -> (String, Source) {
    static STRUCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"~~[^~\n]*~~").unwrap());
    let reply = plain_letters(reply);
    let reply = &*STRUCK.replace_all(&reply, "");
    static STRAY_CLOSE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)^(.*)</(?:think|thinking|reasoning)>").unwrap());
    static OPEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)<(?:think|thinking|reasoning)>").unwrap());
    let text = CLOSED.replace_all(reply, "");
    // After a closed section, a second closing tag with nothing after it is debris at the
    // end of the answer ("</think>B. Clarithromycin</think>"); otherwise what came before
    // a stray closing tag was reasoning whose opening tag the server stripped.
    let closed_before = text.len() < reply.len();
    let text = match STRAY_CLOSE.captures(&text) {
        Some(caps)
            if closed_before && text[caps.get(0).map_or(0, |m| m.end())..].trim().is_empty() =>
        {
            caps[1].to_string()
        }
        Some(_) => STRAY_CLOSE.replace(&text, "").into_owned(),
        None => text.into_owned(),
    };
    // An opening tag with nothing after it ends a reply that is otherwise all reasoning.
    let text = match OPEN.find_iter(&text).last() {
        Some(open) if text[open.end()..].trim().is_empty() => text[..open.start()].to_string(),
        _ => text,
    };
    if text.trim().is_empty() {
        let inside = CLOSED
            .captures_iter(reply)
            .last()
            .or_else(|| STRAY_CLOSE.captures(reply))
            .map(|caps| caps[1].to_string());
        return (inside.unwrap_or_default(), Source::ReasoningOnly);
    }
    match OPEN.find(&text) {
        Some(open) => {
            let inside = &text[open.end()..];
            let last = inside.trim_end().rsplit('\n').next().unwrap_or("");
            let text = format!("{}\n{}", &text[..open.start()], last);
            (text, Source::UnclosedReasoning)
        }
        None => (text, Source::Answer),
    }
}

/// The text of the reply's last closed reasoning section, if it has one.
pub(super) fn last_section(reply: &str) -> Option<String> {
    CLOSED
        .captures_iter(&plain_letters(reply))
        .last()
        .map(|caps| caps[1].to_string())
}

/// Letters as Latin capitals where a reply writes them otherwise: full-width forms
/// (`Ａ`, `（`, `：`), circled numbers (`③` is option C, as Korean and Japanese exams number
/// them), and a Cyrillic or Arabic letter standing alone (`Ответ: В —`, `(ج)`). A Cyrillic
/// letter that looks like a Latin one is read as that letter (`В` is B, `С` is C: a model
/// answering in Russian types the option's letter in its own script); the others by their
/// place in the alphabet (`Б` B, `Г` D, `Д` E), as are the Arabic ones (`أ ب ج د ه`).
fn plain_letters(text: &str) -> String {
    // The Arabic fifth letter is often written with a joining stroke: `هـ`.
    let chars: Vec<char> = text.replace("هـ", "ه").chars().collect();
    // Alone: no letter on either side, and no word of its own script right after it
    // ("В случае" is the preposition "in").
    let alone = |i: usize| {
        let letter = |j: Option<&char>| j.is_some_and(|c| c.is_alphabetic());
        let next_word = chars[i + 1..].iter().find(|c| !c.is_whitespace());
        !letter(i.checked_sub(1).and_then(|j| chars.get(j)))
            && !letter(chars.get(i + 1))
            && !next_word.is_some_and(|c| c.is_alphabetic() && !c.is_ascii())
    };
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\u{FF01}'..='\u{FF5E}' => {
                out.push(char::from_u32(u32::from(c) - 0xFF01 + 0x21).unwrap_or(c));
            }
            '①'..='⑩' => {
                let letter = char::from_u32(u32::from('A') + u32::from(c) - u32::from('①'));
                out.push('(');
                out.extend(letter);
                out.push(')');
            }
            _ => match (alone(i), other_script_letter(c)) {
                (true, Some(latin)) => out.push(latin),
                _ => out.push(c),
            },
        }
    }
    out
}

/// The Latin option letter a Cyrillic or Arabic letter stands for.
fn other_script_letter(c: char) -> Option<char> {
    Some(match c {
        'А' | 'أ' | 'ا' => 'A',
        'В' | 'Б' | 'ب' => 'B',
        'С' | 'ج' => 'C',
        'Г' | 'د' => 'D',
        'Е' | 'Д' | 'ه' => 'E',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_is_set_aside_unless_it_is_all_there_is() {
        let read = |reply: &str| final_text(reply);
        assert_eq!(
            read("<think>A?</think>The answer is B."),
            ("The answer is B.".into(), Source::Answer)
        );
        assert_eq!(read("maybe A</think>\nB"), ("\nB".into(), Source::Answer));
        assert_eq!(
            read("<think>x\ny\nThe answer is C"),
            ("\nThe answer is C".into(), Source::UnclosedReasoning)
        );
        let (inside, source) = read("<think>\nIt fits. The answer is B.\n</think>\n\n");
        assert_eq!(
            (inside.trim(), source),
            ("It fits. The answer is B.", Source::ReasoningOnly)
        );
        assert_eq!(read("~~B~~ C").0, " C");
        assert_eq!(read("答案：Ａ（Ｂ）").0, "答案:A(B)");
        assert_eq!(read("정답: ③").0, "정답: (C)");
        assert_eq!(read("Ответ: В — выпот").0, "Ответ: B — выпот");
        assert_eq!(read("В случае").0, "В случае");
        assert_eq!(read("هي (ج) الشريان").0, "هي (C) الشريان");
        assert_eq!(read("(هـ)").0, "(E)");
    }
}
