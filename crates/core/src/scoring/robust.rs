//! A stronger answer extractor, run beside the official one.
//!
//! It reads the reply the way a grader would: reasoning (`<think>` sections, and any
//! separately supplied reasoning text, which is never passed in) is ignored; the last
//! boxed letter wins; otherwise the last explicit commitment ("the answer is C",
//! "I'd go with B", "答案是C", a final line "C"); letters outside the question's own
//! options are never returned. On every reply whose boxed letters all agree it returns
//! the official letter, so the official verdict on well-formed replies never changes.

use std::sync::LazyLock;

use regex::Regex;

/// Which rule produced the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RobustRule {
    /// The last `\boxed{..}` or `\fbox{..}` holding an option letter.
    Boxed,
    /// `<answer>C</answer>` or a JSON `"answer": "C"`.
    Tagged,
    /// The last explicit commitment in words, in any of the supported languages.
    Phrase,
    /// The last line is only a letter.
    FinalLine,
    /// Nothing explicit, but every parenthesised option letter names the same option.
    SoleMention,
    /// The reply ends with the chosen option's line: `C. Recent travel`, `(C) ...`,
    /// `**C. ...**`, `Option C: ...`.
    OptionLine,
    /// No letter at all, but the reply names exactly one option by its text.
    OptionText,
}

/// One option of a question: its letter and its text (empty when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<'a> {
    pub letter: &'a str,
    pub text: &'a str,
}

impl<'a> Choice<'a> {
    /// Options known by their letters only.
    pub fn letters(letters: &[&'a str]) -> Vec<Choice<'a>> {
        letters
            .iter()
            .map(|letter| Choice { letter, text: "" })
            .collect()
    }
}

/// Extracts the chosen option. `options` are the question's options (letters in any
/// case, with their texts when known); when empty, A-J are allowed. When two readings
/// of the reply conflict (an option line whose text is another option's), it abstains.
pub fn extract(reply: &str, options: &[Choice]) -> Option<(char, RobustRule)> {
    let allowed = |c: char| {
        let c = c.to_ascii_uppercase();
        if options.is_empty() {
            ('A'..='J').contains(&c)
        } else {
            options
                .iter()
                .any(|o| o.letter.len() == 1 && o.letter.eq_ignore_ascii_case(&c.to_string()))
        }
    };
    let text = final_text(reply);
    let letter = |c: char| allowed(c).then(|| c.to_ascii_uppercase());
    if let Some(c) = boxed(&text).into_iter().rev().find_map(letter) {
        return Some((c, RobustRule::Boxed));
    }
    if let Some(c) = last_capture(&TAGGED, &text, &allowed).map(|(_, c)| c) {
        return Some((c, RobustRule::Tagged));
    }
    let phrase = PHRASES
        .iter()
        .filter_map(|re| last_capture(re, &text, &allowed))
        .max_by_key(|(at, _)| *at)
        .map(|(at, c)| (at, c, RobustRule::Phrase));
    let line = final_line(&text)
        .filter(|(_, c)| allowed(*c))
        .map(|(at, c)| (at, c, RobustRule::FinalLine));
    let option_line = match option_line(&text, options) {
        Some(Line::Chosen(at, c)) if allowed(c) => Some((at, c, RobustRule::OptionLine)),
        Some(Line::Conflict) => return None,
        _ => None,
    };
    if let Some((_, c, rule)) = [phrase, line, option_line]
        .into_iter()
        .flatten()
        .max_by_key(|(at, _, _)| *at)
    {
        return Some((c.to_ascii_uppercase(), rule));
    }
    if let Some(c) = sole_mention(&text, &allowed) {
        return Some((c, RobustRule::SoleMention));
    }
    option_text(&text, options).map(|c| (c, RobustRule::OptionText))
}

/// What the last line says when it is an option's line.
enum Line {
    /// The letter it starts with (at this byte offset), its text agreeing or unknown.
    Chosen(usize, char),
    /// Its letter is one option and its text another's: no single reading.
    Conflict,
}

/// The last non-empty line when it is an option line: a letter marker followed by text
/// (`C. text`, `C) text`, `(C) text`, `**C. text**`, `Option C: text`). When the text
/// is exactly another option's text, the line conflicts with itself.
fn option_line(text: &str, options: &[Choice]) -> Option<Line> {
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^[\s*_#>`-]*(?:(?:option|choice|answer)\s*:?\s*)?(?:\(([A-J])\)|([A-J])[.):])[\s*_`]*(\S.*?)[\s*_`.]*$",
        )
        .unwrap()
    });
    let trimmed = text.trim_end();
    let start = trimmed.rfind('\n').map_or(0, |i| i + 1);
    let caps = LINE.captures(&trimmed[start..])?;
    let m = caps.get(1).or(caps.get(2))?;
    let letter = m.as_str().chars().next()?.to_ascii_uppercase();
    // The last line of a list of options ("Why not the others: A. ... E. ...") is not a
    // choice: an option line counts only when no other option has a line of its own.
    let listed = trimmed.lines().filter_map(|l| LINE.captures(l)).any(|c| {
        c.get(1)
            .or(c.get(2))
            .and_then(|m| m.as_str().chars().next())
            .is_some_and(|other| other.to_ascii_uppercase() != letter)
    });
    if listed {
        return None;
    }
    let said = normalise(&caps[3]);
    let named = options
        .iter()
        .filter(|o| !o.text.is_empty() && normalise(o.text) == said)
        .filter_map(|o| o.letter.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .next();
    Some(match named {
        Some(other) if other != letter => Line::Conflict,
        _ => Line::Chosen(start + m.start(), letter),
    })
}

/// The one option the reply names by its text, when it names exactly one: texts are
/// compared normalised (case, punctuation, whitespace, articles), a text inside a longer
/// named text does not count on its own, and a text after "not", "rather than" or
/// "instead of" is not a choice.
fn option_text(text: &str, options: &[Choice]) -> Option<char> {
    let reply = format!(" {} ", normalise(text));
    // Every occurrence of every option's text, as (letter, start, end).
    let mut found: Vec<(char, usize, usize)> = Vec::new();
    for o in options {
        let wanted = normalise(o.text);
        // Short texts ("Yes", "IV") would be found inside any explanation.
        let Some(letter) = o.letter.chars().next().filter(|_| wanted.len() >= 4) else {
            continue;
        };
        let needle = format!(" {wanted} ");
        for (at, _) in reply.match_indices(&needle) {
            found.push((letter.to_ascii_uppercase(), at, at + needle.len()));
        }
    }
    // An occurrence inside a longer option's occurrence ("meningitis" in "viral
    // meningitis") names nothing on its own; a negated one names no choice.
    let mut chosen: Vec<char> = found
        .iter()
        .filter(|(c, start, end)| {
            let inside = found
                .iter()
                .any(|(d, s, e)| d != c && s <= start && end <= e && e - s > end - start);
            !inside && !negated(&reply[..*start])
        })
        .map(|(c, _, _)| *c)
        .collect();
    chosen.sort_unstable();
    chosen.dedup();
    match chosen.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Whether normalised text ends in a negation of what follows.
fn negated(before: &str) -> bool {
    [
        " not",
        " no",
        " rather than",
        " instead of",
        " unlikely",
        " excluded",
        " rule out",
        " ruled out",
    ]
    .iter()
    .any(|n| before.trim_end().ends_with(n))
}

/// Lowercase words separated by single spaces, without punctuation or the articles
/// "a", "an" and "the".
fn normalise(text: &str) -> String {
    let lower = text.to_lowercase();
    let words = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "a" | "an" | "the"));
    words.collect::<Vec<_>>().join(" ")
}

/// The reply without its reasoning: closed `<think>`/`<thinking>`/`<reasoning>` sections
/// are removed, text before a stray closing tag is dropped (servers often strip the
/// opening tag), and of an unterminated section only its last line is kept (a model
/// that forgot to close the tag still ends with its answer). Struck-through markdown
/// (`~~B~~`) is a retracted answer and is removed too.
fn final_text(reply: &str) -> String {
    static STRUCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"~~[^~\n]*~~").unwrap());
    let reply = &*STRUCK.replace_all(reply, "");
    static CLOSED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(think|thinking|reasoning)>.*?</(?:think|thinking|reasoning)>").unwrap()
    });
    static STRAY_CLOSE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)^.*</(?:think|thinking|reasoning)>").unwrap());
    static OPEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)<(?:think|thinking|reasoning)>").unwrap());
    let text = CLOSED.replace_all(reply, "");
    let text = STRAY_CLOSE.replace(&text, "");
    match OPEN.find(&text) {
        Some(open) => {
            let inside = &text[open.end()..];
            let last = inside.trim_end().rsplit('\n').next().unwrap_or("");
            format!("{}\n{}", &text[..open.start()], last)
        }
        None => text.into_owned(),
    }
}

/// The letter of every boxed answer, in order: `\boxed{C}`, `\boxed{\text{C}}`,
/// `\boxed{C. Surgery}`, `\boxed{(C)}`, `\boxed{Option C}`, `\fbox{C}`.
fn boxed(text: &str) -> Vec<char> {
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
        let Some(end) = body.char_indices().find_map(|(i, c)| {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            (depth == 0).then_some(i)
        }) else {
            continue;
        };
        // "\boxed{A}?" is a doubt, not an answer.
        if body[end + 1..].starts_with('?') {
            continue;
        }
        let mut inner = body[..end].to_string();
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

/// Structured answers: an `<answer>` element or an answer key in JSON-like text.
static TAGGED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?i)<answer>\s*[(\[]?([A-J])[)\].]?\s*</answer>"#,
        r#"|"(?:answer|final_answer|choice|selected_option|option)"\s*:\s*\[?\s*"\(?([A-J])\)?(?:[.)]\s[^"]*)?""#,
    ))
    .unwrap()
});

/// Explicit commitments in words. Each has one letter group; a lowercase letter only
/// counts when nothing word-like follows it ("the answer is a rare..." is not "A").
static PHRASES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let deco = r"[\s*_`'\x22(\[{]*";
    [
        // "the answer is C", "Final answer: C", "correct option here is (D)", "Answer — E"
        format!(
            r"(?i)\b(?:answer|option|choice|selection|response|pick|final)(?:\s+here)?\s*(?:(?:is|would\s+be|will\s+be|should\s+be|must\s+be)(?:\s+(?:actually|definitely|clearly|probably|therefore|still|then))?|[:：=]|\s[\-–—])\s*(?:option|choice|letter)?\s*[:：]?{deco}([A-J])"
        ),
        // "I'd go with B", "I would choose D", "Choose B.", "I'd say C"
        format!(r"(?i)\b(?:choose|chose|select|pick|go\s+with|going\s+with|opt\s+for|say)\s+(?:option\s+|choice\s+|answer\s+)?{deco}([A-J])"),
        // "Therefore, C.", "that's D.", "i.e. A.", "which is option D;" (the letter must end a clause)
        format!(
            r"(?i)(?:\btherefore|\bthus|\bhence|\bso|\bi\.e\.|\bthat's|\bthat\s+is|\bwhich\s+is|\bcorresponds\s+to)\s*,?\s*(?:the\s+)?(?:option\s+|choice\s+|answer\s+)?{deco}([A-J])[*)\]]*(?:[.,;:!]|\s*$)"
        ),
        // "B seems the most defensible", "option C is correct", "D is most consistent"
        r"(?:\b(?i:option|choice)\s+)?\(?\b([A-J])\)?\s+(?i:is|seems|would\s+be|appears|looks)\s+(?i:to\s+be\s+)?(?i:the\s+)?(?i:most|best|correct|right|preferred|appropriate|answer)".to_string(),
        // "The most appropriate next step is E", "Preferred management is D", "Most likely diagnosis: A"
        format!(
            r"(?i)\b(?:best|most\s+appropriate|most\s+likely|preferred|correct)(?:\s+(?:next\s+|initial\s+)?(?:step|management|diagnosis|treatment|test|investigation|approach|option|choice|answer|guess))?\s*(?:(?:is|would\s+be)(?:\s+therefore)?\s*[:：]?|[:：]){deco}([A-J])"
        ),
        // "it is C", "it's probably b"
        format!(r"(?i)\bit(?:'s|’s|\s+is)\s+(?:probably\s+|definitely\s+|clearly\s+|actually\s+)?(?:option\s+)?{deco}([A-J])"),
        // A reply that ends with "option b." / "Option D."
        r"(?i)\b(?:option|choice)\s+\(?([A-J])\)?[.!]?\s*$".to_string(),
        // A clause that ends in a bare capital: "..., B." / ": E." / " - D." / " — C — is"
        r"(?:[,:：]|[ \t][\-–—])[ \t]*\**([A-J])\**[ \t]*(?:[.;]|$|[ \t][\-–—])".to_string(),
        // An arrow or a bold letter after "is" or a colon: "→ C", "is **B**", ": **D**"
        r"(?:→|=>|->|\bis|[:：])\s*\*\*\s*(?:→\s*)?\(?([A-J])\)?\*\*|(?:→|=>)\s*\**\(?([A-J])\b".to_string(),
        // A line that opens with a bold or dashed letter: "**E** — refer ...", "G — ..."
        r"(?m)^[\s>#]*(?:\*\*\(?([A-J])\)?\*\*|\(?([A-J])\)?\s+[—–])".to_string(),
        // Chinese, Japanese, Korean, Spanish, French, German, Italian.
        format!(
            r"(?i)(?:答案|答え|正解|정답|選択|选择|选项|選|选)\s*(?:是|为|為|は|은|:|：)?\s*(?:选项)?{deco}([A-J])"
        ),
        format!(
            r"(?i)\b(?:respuesta|resposta|réponse|reponse|antwort|risposta|opción|opcion)(?:\s+(?:correcta|correta|final|finale|correcte|richtige|corretta))?\s*(?:es|é|est|ist|è|:|：)\s*(?:la\s+|a\s+|le\s+|die\s+)?(?:opción\s+|alternativa\s+|option\s+|l'option\s+)?{deco}([A-J])"
        ),
        // "la correcta es D", "a alternativa correta é a B", "la bonne réponse est C"
        format!(
            r"(?i)\b(?:correcta|correcto|correta|correto|corretta|richtige|bonne\s+réponse)\s+(?:es|é|est|ist|è)\s+(?:la\s+|a\s+|le\s+|die\s+)?(?:opción\s+|alternativa\s+|option\s+)?{deco}([A-J])"
        ),
        // "Je choisis la réponse C", "elijo la B", "escolho a C", "ich wähle B"
        format!(
            r"(?i)\b(?:choisis|choisir|elijo|escojo|escolho|wähle|scelgo)\s+(?:la\s+|a\s+|le\s+|l')?(?:réponse\s+|respuesta\s+|resposta\s+|option\s+|opción\s+|alternativa\s+|antwort\s+)?{deco}([A-J])"
        ),
        // A label, then markdown between it and the letter: "| **Answer** | **B** |",
        // "*Answer*: __B__", "### Answer: **D**"
        r"(?i)\b(?:final\s+)?answer\b[\s*_|:：\-–—]*\(?([A-J])\)?[\s*_|]*(?:[.;]|$)".to_string(),
        // Corrections: "Correct that to B", "Changing my answer to B", "I revise to B"
        format!(
            r"(?i)\b(?:correct|change|changing|changed|revise|revising|switch|switching|update)\s+(?:that|it|this|my\s+answer|the\s+answer)?\s*to\s+(?:option\s+)?{deco}([A-J])"
        ),
        // Leaning answers: "Probably D, though ...", "Leaning B over E", "on balance B",
        // "E is my best guess", "the immediate priority is A", "..., but B."
        format!(
            r"(?i)\b(?:probably|most\s+likely|likely|perhaps|leaning(?:\s+towards?)?|lean\s+towards?|on\s+balance|on\s+reflection|on\s+second\s+thought|i\s+think|but)\s*,?\s*(?:option\s+)?{deco}([A-J])\b(?:[\s*)]*(?:[.,;:!]|$|over\b|though\b))"
        ),
        r"\b([A-J])(?:\s+(?i:is\s+my\s+(?:best\s+guess|answer|choice|pick)|fits\s+best)|\s*,\s*(?i:probably))".to_string(),
        // A line that is only a letter, anywhere: "C" after a struck-through "~~B~~".
        r"(?m)^[ \t*_#>]*\(?([A-J])\)?[.)]?[ \t*_]*$".to_string(),
        format!(r"(?i)\bpriority\s+is\s+(?:option\s+)?{deco}([A-J])\b"),
        // A last sentence that is only a letter: "... teratogenic. B."
        r"[.!?][ \t]+\**\(?([A-J])\)?\**[.!]?\s*$".to_string(),
    ]
    .iter()
    .map(|p| Regex::new(p).expect("robust patterns are valid"))
    .collect()
});

/// The last match of `re` whose letter is allowed and stands alone: not followed by an
/// ASCII letter or digit, and, in lower case, followed by nothing word-like at all.
/// Returns the letter's byte offset and the letter.
fn last_capture(re: &Regex, text: &str, allowed: &dyn Fn(char) -> bool) -> Option<(usize, char)> {
    re.captures_iter(text)
        .filter_map(|caps| {
            let m = caps.iter().skip(1).flatten().next()?;
            let c = m.as_str().chars().next()?;
            let rest = &text[m.end()..];
            let next = rest.chars().next();
            if next.is_some_and(|n| n.is_ascii_alphanumeric()) || !allowed(c) {
                return None;
            }
            if c.is_ascii_lowercase() && !ends_clause(rest) {
                return None;
            }
            if matches!(c, 'A' | 'I') && pronoun_or_article(rest) {
                return None;
            }
            let before = &text[..m.start()];
            if in_range(before, rest) || in_list(before) || rest.starts_with(" if ") {
                return None;
            }
            Some((m.start(), c.to_ascii_uppercase()))
        })
        .last()
}

/// After a lowercase letter: end of text, punctuation, a line break, or a reason
/// ("b given the lipase", "d because ...").
fn ends_clause(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches([' ', '\t', '*', '_', ')', ']', '}', '"', '\'', '`']);
    trimmed.is_empty()
        || trimmed.starts_with(['.', ',', ';', ':', '!', '?', '\n', '\r', '。'])
        || ["given ", "because ", "since ", "as "]
            .iter()
            .any(|w| trimmed.starts_with(w))
}

/// A letter that ends a list of two or more letters ("Incorrect: A, C, D, E") names no
/// single option.
fn in_list(before: &str) -> bool {
    /// The text before a standalone letter that ends `text` (after separators), if any.
    fn strip_letter(text: &str) -> Option<&str> {
        let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || ",;/&*".contains(c));
        let trimmed = trimmed
            .strip_suffix(" and")
            .or_else(|| trimmed.strip_suffix(" or"))
            .unwrap_or(trimmed);
        let rest = trimmed.strip_suffix(|c: char| ('A'..='J').contains(&c))?;
        rest.chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
            .then_some(rest)
    }
    strip_letter(before).and_then(strip_letter).is_some()
}

/// A letter that is an end of a range of options ("A-E", "(A–E)") names no option.
fn in_range(before: &str, rest: &str) -> bool {
    let dash = |c: char| matches!(c, '-' | '–');
    let letter = |c: Option<char>| c.is_some_and(|c| ('A'..='J').contains(&c));
    let mut back = before.chars().rev();
    let mut ahead = rest.chars();
    (back.next().is_some_and(dash) && letter(back.next()))
        || (ahead.next().is_some_and(dash) && letter(ahead.next()))
}

/// "A rare ..." or "I think ...": a capital A or I followed by a lowercase word.
fn pronoun_or_article(rest: &str) -> bool {
    let mut chars = rest.chars();
    chars.next() == Some(' ')
        && chars.next().is_some_and(|c| c.is_lowercase())
        && ![
            "because", "since", "as ", "is ", "which", "given", "due ", "seems", "appears",
            "looks", "fits",
        ]
        .iter()
        .any(|w| rest[1..].starts_with(w))
}

/// The last non-empty line when it is only a letter (`C`, `C.`, `(C)`, `**C**`).
fn final_line(text: &str) -> Option<(usize, char)> {
    static LINE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^[\s*_#>`]*[(\[]?([A-J])[)\]]?[.)]?[\s*_`]*$").unwrap());
    let trimmed = text.trim_end();
    let start = trimmed.rfind('\n').map_or(0, |i| i + 1);
    let caps = LINE.captures(&trimmed[start..])?;
    let m = caps.get(1)?;
    Some((start + m.start(), m.as_str().chars().next()?))
}

/// When every parenthesised single letter that is an option names the same option
/// ("use febuxostat (C) rather than ...", "(option B)"), that option; lists such as
/// "(A, B)" don't count.
fn sole_mention(text: &str, allowed: &dyn Fn(char) -> bool) -> Option<char> {
    static PAREN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\((?i:option\s+|choice\s+)?([A-J])\)").unwrap());
    let mut found: Option<char> = None;
    for caps in PAREN.captures_iter(text) {
        let c = caps[1].chars().next()?;
        if !allowed(c) {
            continue;
        }
        match found {
            Some(f) if f != c => return None,
            _ => found = Some(c),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABCDE: &[&str] = &["A", "B", "C", "D", "E"];

    fn letter(reply: &str) -> Option<char> {
        extract(reply, &Choice::letters(ABCDE)).map(|(c, _)| c)
    }

    #[test]
    fn fixes_the_official_weaknesses() {
        assert_eq!(
            letter("Option A is tempting, but the answer is C"),
            Some('C')
        );
        assert_eq!(
            letter("The answer is a rare variant; I choose D."),
            Some('D')
        );
        assert_eq!(letter("\\boxed{\\text{C}}"), Some('C'));
        assert_eq!(letter("\\boxed{C. Surgery}"), Some('C'));
        assert_eq!(letter("So $\\boxed{C}$ it is"), Some('C'));
        assert_eq!(letter("Answer: **C**"), Some('C'));
        assert_eq!(letter("ANSWER: (C)"), Some('C'));
        assert_eq!(letter("the best choice is C"), Some('C'));
        assert_eq!(letter("Reasoning about vitamin D.\nC"), Some('C'));
        assert_eq!(letter("the answer is c"), Some('C'));
        assert_eq!(
            letter("<think>maybe \\boxed{A}</think>The answer is B."),
            Some('B')
        );
        assert_eq!(letter("a type I error, so the answer is E"), Some('E'));
    }

    #[test]
    fn letters_come_from_the_options() {
        assert_eq!(
            extract("The answer is E", &Choice::letters(&["A", "B", "C", "D"])),
            None
        );
        let eight = Choice::letters(&["A", "B", "C", "D", "E", "F", "G", "H"]);
        assert_eq!(extract("The answer is H", &eight).map(|x| x.0), Some('H'));
    }

    #[test]
    fn records_the_rule() {
        let abcde = Choice::letters(ABCDE);
        assert_eq!(
            extract("\\boxed{B}", &abcde),
            Some(('B', RobustRule::Boxed))
        );
        assert_eq!(
            extract("<answer>D</answer>", &abcde),
            Some(('D', RobustRule::Tagged))
        );
        assert_eq!(
            extract("I'd go with B.", &abcde),
            Some(('B', RobustRule::Phrase))
        );
        assert_eq!(
            extract("blah\n**C**", &abcde),
            Some(('C', RobustRule::FinalLine))
        );
        assert_eq!(extract("I cannot determine this.", &abcde), None);
    }

    fn clinical() -> Vec<Choice<'static>> {
        [
            ("A", "Viral meningitis"),
            ("B", "Tuberculous meningitis"),
            ("C", "Recent travel and animal exposure"),
            ("D", "Start intravenous acyclovir"),
            ("E", "Meningitis"),
        ]
        .iter()
        .map(|(letter, text)| Choice { letter, text })
        .collect()
    }

    #[test]
    fn the_bare_option_line_is_read_in_its_usual_shapes() {
        for reply in [
            "C. Recent travel and animal exposure",
            "C) Recent travel and animal exposure",
            "(C) Recent travel and animal exposure",
            "**C. Recent travel and animal exposure**",
            "Option C: Recent travel and animal exposure",
            "The exposure history matters most here.\n\nC. Recent travel and animal exposure",
        ] {
            assert_eq!(
                extract(reply, &clinical()),
                Some(('C', RobustRule::OptionLine)),
                "{reply}"
            );
        }
    }

    #[test]
    fn an_option_named_only_by_its_text_is_read_when_it_is_the_only_one() {
        let read = |reply: &str| extract(reply, &clinical());
        assert_eq!(
            read("The most likely diagnosis is tuberculous meningitis."),
            Some(('B', RobustRule::OptionText))
        );
        assert_eq!(
            read("I would \"start intravenous acyclovir\" now"),
            Some(('D', RobustRule::OptionText))
        );
        // "Meningitis" inside "tuberculous meningitis" is not a second option named.
        assert_eq!(
            read("Tuberculous meningitis, given the CSF."),
            Some(('B', RobustRule::OptionText))
        );
        // Two options named, or the only one named is denied: no single reading.
        assert_eq!(
            read("Viral meningitis or tuberculous meningitis; hard to say."),
            None
        );
        assert_eq!(read("This is not viral meningitis."), None);
        assert_eq!(
            read("Rather than viral meningitis, tuberculous meningitis fits."),
            Some(('B', RobustRule::OptionText))
        );
    }

    #[test]
    fn conflicting_readings_abstain_and_explicit_letters_still_win() {
        // The letter says C, the text is B's: no single reading.
        assert_eq!(extract("C. Tuberculous meningitis", &clinical()), None);
        // An explicit commitment beats an option named by its text.
        assert_eq!(
            extract(
                "Tuberculous meningitis is tempting, but the answer is A.",
                &clinical()
            )
            .map(|x| x.0),
            Some('A')
        );
        // Corrections: the later commitment wins.
        assert_eq!(
            extract("A, no wait, C", &clinical()).map(|x| x.0),
            Some('C')
        );
        assert_eq!(
            extract("Not A. The answer is C.", &clinical()).map(|x| x.0),
            Some('C')
        );
    }
}
