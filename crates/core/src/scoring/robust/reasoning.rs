//! The part of a reply that is its answer: reasoning sections and retracted text set
//! aside, full-width letters made ASCII.

use std::sync::LazyLock;

use regex::Regex;

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
/// and is removed; full-width letters and digits (`答案：Ａ`) become ASCII.
pub(super) fn final_text(reply: &str) -> (String, Source) {
    static STRUCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"~~[^~\n]*~~").unwrap());
    let reply = ascii_width(reply);
    let reply = &*STRUCK.replace_all(&reply, "");
    static CLOSED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(?:think|thinking|reasoning)>(.*?)</(?:think|thinking|reasoning)>")
            .unwrap()
    });
    static STRAY_CLOSE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)^(.*)</(?:think|thinking|reasoning)>").unwrap());
    static OPEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)<(?:think|thinking|reasoning)>").unwrap());
    let text = CLOSED.replace_all(reply, "");
    let text = STRAY_CLOSE.replace(&text, "");
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
        None => (text.into_owned(), Source::Answer),
    }
}

/// Full-width ASCII forms (U+FF01..U+FF5E: `Ａ`, `（`, `：`) as their ASCII characters.
fn ascii_width(text: &str) -> String {
    text.chars()
        .map(|c| match u32::from(c) {
            wide @ 0xFF01..=0xFF5E => char::from_u32(wide - 0xFF01 + 0x21).unwrap_or(c),
            _ => c,
        })
        .collect()
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
    }
}
