//! Readings that need the options' texts, or the reply's layout of them: an option's own
//! line, a tick beside one option, an option named by its text, and a text cut off
//! while it was being written.

use std::sync::LazyLock;

use regex::Regex;

use super::{Choice, acronyms};

/// What an option line says.
pub(super) enum Line {
    /// The letter it starts with (at this byte offset), its text agreeing or unknown.
    Chosen(usize, char),
    /// Its letter is one option and its text another's: no single reading.
    Conflict,
}

/// A line that starts with an option's letter: `C. text`, `C) text`, `(C) text`,
/// `**C. text**`, `Option C: text`. Groups: the letter (two alternatives), the text.
static OPTION_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[\s*_#>`-]*(?:(?:option|choice|answer)\s*:?\s*)?(?:\(([A-J])\)|([A-J])[.):])[\s*_`]*(\S.*?)[\s*_`.]*$",
    )
    .unwrap()
});

/// The reply's option line, when it has exactly one letter's: the last line, or the first
/// when its text is that option's own (the chosen line, then an explanation). A list of
/// several options' lines ("Why not the others: A. ... E. ...") is not a choice. When the
/// line's text is exactly another option's, the line conflicts with itself; a line whose
/// text runs on past its option's and breaks off ("Option A: lumbar puncture would show")
/// is a reply cut off while weighing that option.
pub(super) fn option_line(text: &str, options: &[Choice]) -> Option<Line> {
    let letter_of = |caps: &regex::Captures| {
        caps.get(1)
            .or(caps.get(2))
            .map(|m| (m.start(), m.as_str().chars().next().unwrap_or('?')))
    };
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(caps) = OPTION_LINE.captures(line.trim_end())
            && let Some((at, c)) = letter_of(&caps)
        {
            lines.push((offset + at, c.to_ascii_uppercase(), caps[3].to_string()));
        }
        offset += line.len();
    }
    let (at, letter, said) = lines.last()?.clone();
    if lines.iter().any(|(_, c, _)| *c != letter) {
        return None;
    }
    let said = normalise(&said);
    let own = options
        .iter()
        .find(|o| o.letter.eq_ignore_ascii_case(&letter.to_string()))
        .map(|o| normalise(o.text))
        .filter(|t| !t.is_empty());
    let named = options
        .iter()
        .filter(|o| !o.text.is_empty() && normalise(o.text) == said)
        .find_map(Choice::upper);
    let last_line = text.trim_end().lines().last().unwrap_or("");
    let is_last = OPTION_LINE.is_match(last_line.trim_end());
    match named {
        Some(other) if other != letter => Some(Line::Conflict),
        Some(_) => Some(Line::Chosen(at, letter)),
        None if !is_last => None,
        None if own.is_some_and(|own| said.starts_with(&own)) && broke_off(text) => None,
        None => Some(Line::Chosen(at, letter)),
    }
}

/// Whether the reply has option lines of two or more letters (`A. ...`, `D. ...`).
pub(super) fn listed_options(text: &str) -> bool {
    let mut letters = text.lines().filter_map(|line| {
        let caps = OPTION_LINE.captures(line.trim_end())?;
        caps.get(1).or(caps.get(2))?.as_str().chars().next()
    });
    let first = letters.next();
    letters.any(|c| Some(c) != first)
}

/// The one option marked as chosen in a list or table: a tick (✓ ✔ ✅ ☑), a checked box
/// `[x]` or an arrow `←` on its line and on no other option's, and no cross on it. The
/// line names its option by letter, or by its text alone (`* ✅ **IV fluids**`).
pub(super) fn checked(text: &str, options: &[Choice]) -> Option<char> {
    static ROW: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^[\s>*_|#-]*(?:\d+[.)]\s*)?(?:\[[ xX]\]\s*)?[*_]*\(?([A-J])\)?[*_]*(?:[.):|\s]|$)",
        )
        .unwrap()
    });
    let ticked = |line: &str| {
        (line.contains(['✓', '✔', '✅', '☑', '←']) || line.contains("[x]") || line.contains("[X]"))
            && !line.contains(['✗', '✘', '❌', '☐'])
    };
    let mut chosen = None;
    for line in text.lines() {
        let by_text = || match named_options(line, options).as_slice() {
            [(one, _)] => Some(*one),
            _ => None,
        };
        let Some(letter) = ROW
            .captures(line)
            .and_then(|c| c[1].chars().next())
            .or_else(by_text)
        else {
            continue;
        };
        if ticked(line) {
            match chosen {
                Some(c) if c != letter => return None,
                _ => chosen = Some(letter),
            }
        }
    }
    chosen
}

/// The one option the reply names by its text, when it names exactly one: texts are
/// compared normalised (case, punctuation, whitespace, articles, common abbreviations),
/// an option's text without its parenthesis counts ("croup" for "Croup
/// (laryngotracheobronchitis)"), a text inside a longer named text does not count on its
/// own, and a text denied before or after ("not ...", "... is less likely") is no choice.
pub(super) fn option_text(text: &str, options: &[Choice]) -> Option<char> {
    // A reply that lists the options' lines is going through them, not naming one.
    if listed_options(text) {
        return None;
    }
    let only = |named: Vec<(char, bool)>| -> Option<char> {
        let mut letters: Vec<char> = named.iter().map(|(c, _)| *c).collect();
        letters.dedup();
        match letters.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    };
    let named = named_options(text, options);
    if let Some(one) = only(named.clone()) {
        return Some(one);
    }
    // Several named: the one said to be the diagnosis or the step ("The diagnosis is
    // hepatitis A", "needle decompression is the immediate step"), else the one the
    // reply turns to last ("X and Y for diagnosis, but for prognosis Z").
    let affirmed = named.into_iter().filter(|(_, yes)| *yes).collect();
    only(affirmed)
        .or_else(|| only(named_options(after_pivot(text), options)))
        .or_else(|| {
            let concluded = !unfinished(text);
            concluded
                .then(|| only(named_options(last_sentence(text), options)))
                .flatten()
        })
        .or_else(|| named_by_start(text, options))
}

/// The one option whose text a sentence's conclusion begins ("Most likely: acute angle
/// closure." for "Acute angle-closure glaucoma", "...: iron deficiency." for "Iron
/// deficiency anaemia"): the words after a colon or "is" up to the sentence's end, two
/// words or more, the start of exactly one option's text and of no other.
fn named_by_start(text: &str, options: &[Choice]) -> Option<char> {
    static CONCLUSION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:[:：]|\bis)\s+([^.:;!?\n]{6,80})[.!]?\s*(?:$|\n)|(?:[:：]|\bis)\s+([^.:;!?\n]{6,80})[.!]\s")
            .unwrap()
    });
    let mut found = Vec::new();
    for caps in CONCLUSION.captures_iter(text) {
        let said = normalise(caps.get(1).or(caps.get(2))?.as_str());
        if said.split(' ').count() < 2 {
            continue;
        }
        let mut starting = options
            .iter()
            .filter(|o| normalise(o.text).starts_with(&format!("{said} ")));
        if let (Some(o), None) = (starting.next(), starting.next()) {
            found.extend(o.upper());
        }
    }
    found.dedup();
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The reply's last sentence (or line), where a reply that went through the options
/// states the one it concludes with ("Only one of these would explain it: X.").
fn last_sentence(text: &str) -> &str {
    let trimmed = text.trim_end().trim_end_matches(['.', '!', '*', ' ']);
    trimmed
        .rfind(['.', '!', '?', '\n'])
        .map_or(trimmed, |i| &trimmed[i + 1..])
}

/// The one option whose text the reply gives as its answer, when exactly one is.
pub(super) fn affirmed_text(text: &str, options: &[Choice]) -> Option<char> {
    if listed_options(text) {
        return None;
    }
    let mut affirmed = named_options(text, options)
        .into_iter()
        .filter(|(_, yes)| *yes);
    match (affirmed.next(), affirmed.next()) {
        (Some((one, _)), None) => Some(one),
        _ => None,
    }
}

/// The options named by their texts, in letter order, each with whether some mention of
/// it affirms it.
fn named_options(text: &str, options: &[Choice]) -> Vec<(char, bool)> {
    static GLOSS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*\([^()]*\)").unwrap());
    // Read with its glosses and without: "secondary (central) hypothyroidism".
    let reply = format!(
        " {} | {} ",
        normalise(text),
        normalise(&GLOSS.replace_all(text, ""))
    );
    let acronyms = acronyms::in_reply(text);
    // Every occurrence of every option's text or of an acronym of it, as (letter, start,
    // end).
    let mut found: Vec<(char, usize, usize)> = Vec::new();
    for o in options {
        let Some(letter) = o.upper() else {
            continue;
        };
        let short = o.text.split(" (").next().unwrap_or(o.text);
        let mut wanted = vec![normalise(o.text), normalise(short)];
        wanted.dedup();
        // Short texts ("Yes", "IV") would be found inside any explanation.
        wanted.retain(|w| w.len() >= 4);
        wanted.extend(
            acronyms
                .iter()
                .filter(|a| acronyms::stands_for(a, o.text))
                .map(|a| a.normalised.clone()),
        );
        for wanted in wanted {
            let needle = format!(" {wanted} ");
            for (at, _) in reply.match_indices(&needle) {
                found.push((letter, at, at + needle.len()));
            }
        }
    }
    // An occurrence inside a longer option's occurrence ("meningitis" in "viral
    // meningitis") names nothing on its own; a negated one names no choice.
    let mut chosen: Vec<(char, bool)> = found
        .iter()
        .filter(|(c, start, end)| {
            let inside = found
                .iter()
                .any(|(d, s, e)| d != c && s <= start && end <= e && e - s > end - start);
            !inside && !negated(&reply[..*start]) && !denied(&reply[*end - 1..])
        })
        .map(|&(c, start, end)| (c, affirmed(&reply[..start], &reply[end - 1..])))
        .collect();
    chosen.sort_unstable();
    // One entry per letter, affirmed when any mention is.
    chosen.dedup_by(|later, first| {
        let same = later.0 == first.0;
        first.1 |= same && later.1;
        same
    });
    chosen
}

/// Whether a mention of an option's text says it is the answer: as the complement of
/// "is" ("the diagnosis is", "the first-line drug is", "this is"), after "I would give",
/// or before "is the immediate step", "is the answer", "is correct" (normalised text on
/// both sides).
fn affirmed(before: &str, after: &str) -> bool {
    let before = before.trim_end();
    [
        " is",
        " answer",
        " diagnosis",
        " diagnosis is",
        " answer is",
        " this is",
        " it is",
        " is therefore",
        " most likely",
        " would give",
        " would start",
        " would choose",
        " next step is",
        " treatment is",
        " cause is",
        " confirm diagnosis of",
    ]
    .iter()
    .any(|cue| before.ends_with(cue))
        || [
            " is immediate step",
            " is first step",
            " is next step",
            " is answer",
            " is correct",
            " is most likely",
            " is best",
            " is diagnosis",
            " is treatment of choice",
        ]
        .iter()
        .any(|cue| after.starts_with(cue))
}

/// A reply cut off while it named its answer: it ends, unfinished, after a commitment
/// ("the most likely diagnosis is", "suggests") in exactly one option's text or in the
/// middle of it ("... is thrombotic thrombocytopenic purp").
pub(super) fn cut_off_text(text: &str, options: &[Choice]) -> Option<char> {
    if !unfinished(text) {
        return None;
    }
    let normalised = normalise(text);
    let words: Vec<&str> = normalised.split(' ').collect();
    const COMMITS: [&str; 12] = [
        "is",
        "are",
        "be",
        "suggests",
        "indicates",
        "likely",
        "diagnosis",
        "answer",
        "choose",
        "with",
        "confirms",
        "favour",
    ];
    for start in (words.len().saturating_sub(8)..words.len()).rev() {
        let tail = words[start..].join(" ");
        let committed = start > 0 && COMMITS.contains(&words[start - 1]);
        if tail.len() < 8 || !committed {
            continue;
        }
        let mut matching = options.iter().filter(|o| {
            let t = normalise(o.text);
            t.starts_with(&tail)
        });
        if let (Some(o), None) = (matching.next(), matching.next()) {
            return o.upper();
        }
    }
    None
}

/// Whether the reply's last line ends without a closing mark (a full stop, a bracket, a
/// tick): a reply can be cut off only there.
pub(super) fn unfinished(text: &str) -> bool {
    let last = text.trim_end().lines().last().unwrap_or("").trim();
    !last.is_empty()
        && !last.ends_with([
            '.', '!', '?', ')', ']', '}', '"', '\'', '*', '`', '。', '！', '？', '”', '’', '|',
            '✓', '✔', '❌', '✗',
        ])
}

/// Whether the reply broke off mid-sentence: it is unfinished and its last word is one a
/// sentence cannot end with ("which", "if", "would", "probably", "typically"). Such a
/// reply was still weighing the options, so an option it named is no answer.
pub(super) fn broke_off(text: &str) -> bool {
    const OPEN_ENDED: [&str; 55] = [
        "which",
        "that",
        "who",
        "if",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "would",
        "could",
        "should",
        "will",
        "is",
        "are",
        "was",
        "be",
        "because",
        "since",
        "as",
        "than",
        "then",
        "so",
        "by",
        "at",
        "from",
        "its",
        "their",
        "this",
        "not",
        "more",
        "less",
        "most",
        "however",
        "probably",
        "typically",
        "usually",
        "likely",
        "possibly",
        "generally",
        "mostly",
        "clearly",
        "actually",
        "especially",
        "particularly",
        "initially",
        "currently",
        "potentially",
    ];
    let Some(last_word) = text.split_whitespace().last() else {
        return false;
    };
    let last_word = last_word
        .trim_end_matches([',', ';', '—', '–', '-'])
        .to_lowercase();
    unfinished(text)
        && last_word.chars().all(char::is_alphabetic)
        && OPEN_ENDED.contains(&last_word.as_str())
}

/// Ways of saying no option is chosen that both hedge a reply and take back an answer
/// given before them ("50/50", "a coin flip", "a toss-up", "none is appropriate", "I withdraw my
/// answer", "I retract B", "... or maybe B"): one list for [`hedged`] and [`undecided`].
macro_rules! no_choice {
    () => {
        r"|\b50 ?[/-] ?50\b|\bcoin (?:flip|toss)\b|\btoss-? ?up\b|\bnone (?:of the options )?is (?:appropriate|correct)\b|\b(?:withdraw|retract)\s+(?:my\s+answer|that(?:\s+answer)?|it|[A-J])\b|\bnot pick any\b|\bor maybe (?-i:[A-J])\b"
    };
}

/// Whether the reply declines or hedges ("I can't determine...", "either A or B", "it
/// depends on..."): then an option merely named in it is no answer.
pub(super) fn hedged(text: &str) -> bool {
    static HEDGE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"(?i)\b(?:cannot|can't|can not|unable to|won't|will not|not able to)\s+(?:\w+\s+){0,3}",
            r"(?:determine|decide|distinguish|tell|say|answer|guess|choose|pick|select|be sure|provide|give|commit|settle|resolve|diagnose|recommend|evaluate|assess|advise)",
            r"|\beither\b.{1,80}\bor\b|\bnot enough (?:information|data)|\binsufficient (?:information|data)",
            r"|\b(?:hard|difficult|impossible) to (?:say|tell|decide)|\bdepend(?:s|ing)? on\b",
            r"|\bboth (?:remain|are|seem) (?:possible|plausible|reasonable)|\b(?:doesn't|does not|can't|cannot) resolve",
            r"|\b(?:isn't|is not|aren't|are not) (?:provided|given|described)",
            r"|\b(?:needed|required|necessary|enough) to (?:separate|distinguish|differentiate|tell|decide|choose)",
            r"|\bboth (?:are|seem) (?:acceptable|reasonable|correct)",
            r"|\bi (?:don't|do not) (?:feel|think) i should",
            // Weighing two or more options by letter: "it's between C and D", "It might be
            // A, it might be D", "Any of A, B or C", "Both B and C are acceptable"
            r"|\btorn between\b|\b(?:it's|it is) between (?-i:[A-J]) and (?-i:[A-J])\b",
            r"|\bmight be (?-i:[A-J]), it might be\b|\bany of (?-i:[A-J])\b|\bboth (?-i:[A-J]) and (?-i:[A-J]) are\b",
            no_choice!(),
            // German, Spanish, Portuguese, French, Chinese, Japanese
            r"|\bnicht (?:sicher|festlegen|entscheiden)|\bno (?:puedo|es posible) (?:determinar|decidir|elegir)",
            r"|\bnão (?:posso|é possível) (?:determinar|decidir|escolher)|\bje ne peux pas|无法(?:确定|判断)|判断できません",
        ))
        .unwrap()
    });
    // "I can't diagnose this. However, ... sarcoidosis", "... Okay, for the exam question
    // as written: ... neuroblastoma (B)": what follows a strong turn counts.
    static TURN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b(?:however|that said|nonetheless|nevertheless|for (?:\w+ ){0,2}purposes?|for the exam)\b",
        )
        .unwrap()
    });
    let after = TURN
        .find_iter(text)
        .last()
        .map_or(text, |m| &text[m.end()..]);
    HEDGE.is_match(after)
}

/// Whether a text says the reply has not decided ("I'm torn between A and B", "I'm not
/// sure which the question wants", "I can't settle this"): said after a commitment, it
/// takes the commitment back.
pub(super) fn undecided(text: &str) -> bool {
    static UNDECIDED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"(?i)\btorn between\b|\bnot sure which\b|\b(?:can't|cannot|can not) (?:settle|decide|choose|pick)\b",
            r"|\bdon't think i can (?:settle|decide|choose)\b",
            no_choice!(),
        ))
        .unwrap()
    });
    UNDECIDED.is_match(text)
}

/// The text after its last turn of argument ("However, ...", "..., but ..."), where a
/// reply that began by declining or weighing gets to what it settles on; the whole text
/// when it has none.
fn after_pivot(text: &str) -> &str {
    static PIVOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:however|that said|nonetheless|nevertheless|but)\b").unwrap()
    });
    PIVOT
        .find_iter(text)
        .last()
        .map_or(text, |m| &text[m.end()..])
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
        " against",
        " wait for",
    ]
    .iter()
    .any(|n| before.trim_end().ends_with(n))
}

/// Whether normalised text starts with a denial of what came before it ("... is less
/// likely", "... would be harmful", "... would delay").
fn denied(after: &str) -> bool {
    [
        " is less likely",
        " less likely",
        " are less likely",
        " is unlikely",
        " unlikely",
        " would be harmful",
        " is harmful",
        " would delay",
        " is wrong",
        " is incorrect",
        " is not",
        " would not",
        " is contraindicated",
        " is excluded",
        " can be excluded",
        " is ruled out",
        " can be dismissed",
    ]
    .iter()
    .any(|d| after.starts_with(d))
}

/// Lowercase words separated by single spaces, without punctuation or the articles "an",
/// "the" and a lowercase "a" (a capital A is a letter: "Vitamin A", "hepatitis A"), with
/// "IV", "IM" and "MRI" spelled out so either spelling matches the other.
pub(super) fn normalise(text: &str) -> String {
    let words = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "a")
        .map(str::to_lowercase)
        .filter(|w| !matches!(w.as_str(), "an" | "the"))
        .map(|w| match w.as_str() {
            "iv" => "intravenous".to_string(),
            "im" => "intramuscular".to_string(),
            "mri" => "magnetic resonance imaging".to_string(),
            _ => singular(w),
        });
    words.collect::<Vec<_>>().join(" ")
}

/// A word without a plural `s` ("granulomas", "crystals"), leaving words whose `s` is
/// not one ("class", "virus", "sepsis", "pancreas"). Crude, but applied to both sides.
fn singular(word: String) -> String {
    let keeps_s = ["ss", "us", "is", "os", "ys"]
        .iter()
        .any(|e| word.ends_with(e))
        || ["pancreas", "atlas", "alias"].contains(&word.as_str());
    if word.len() > 4 && word.ends_with('s') && !keeps_s {
        word[..word.len() - 1].to_string()
    } else {
        word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(pairs: &[(&'static str, &'static str)]) -> Vec<Choice<'static>> {
        pairs
            .iter()
            .map(|&(letter, text)| Choice { letter, text })
            .collect()
    }

    #[test]
    fn a_capital_a_is_a_letter_and_a_lowercase_a_an_article() {
        assert_eq!(normalise("Vitamin A, a cause"), "vitamin a cause");
        assert_eq!(normalise("An IV line"), "intravenous line");
    }

    #[test]
    fn one_ticked_option_is_the_choice() {
        assert_eq!(checked("- [x] A. One\n- [ ] B. Two", &[]), Some('A'));
        assert_eq!(checked("| A | One | ✗ |\n| B | Two | ✓ |", &[]), Some('B'));
        assert_eq!(checked("- A. One ❌\n- C. Three ✔️", &[]), Some('C'));
        assert_eq!(checked("- A. One ✓\n- C. Three ✔️", &[]), None);
        assert_eq!(checked("No ticks here", &[]), None);
    }

    #[test]
    fn a_reply_cut_off_inside_one_option_text_is_read() {
        let options = choices(&[
            ("A", "Immune thrombocytopenic purpura"),
            ("B", "Thrombotic thrombocytopenic purpura"),
        ]);
        let read = |text: &str| cut_off_text(text, &options);
        assert_eq!(
            read("The most likely diagnosis is thrombotic thrombocytopenic purp"),
            Some('B')
        );
        assert_eq!(read("Let me weigh thrombotic thrombocytopenic purp"), None);
        assert_eq!(
            read("The diagnosis is thrombotic thrombocytopenic purpura."),
            None
        );
        assert_eq!(
            read("The diagnosis is thrombotic thrombocytopenic purpura"),
            Some('B')
        );
    }

    #[test]
    fn denied_texts_are_no_choice() {
        let options = choices(&[
            ("A", "Minimal change disease"),
            ("C", "Focal segmental glomerulosclerosis"),
        ]);
        assert_eq!(
            option_text(
                "Minimal change disease is most likely; focal segmental glomerulosclerosis is less likely.",
                &options
            ),
            Some('A')
        );
    }

    #[test]
    fn a_conclusion_that_begins_one_option_text_names_it() {
        let options = choices(&[
            ("A", "Iron deficiency anaemia"),
            ("B", "Anaemia of chronic disease"),
            ("D", "Acute angle-closure glaucoma"),
        ]);
        assert_eq!(
            named_by_start("Low ferritin in a young woman: iron deficiency.", &options),
            Some('A')
        );
        assert_eq!(
            named_by_start("Most likely: acute angle closure. Treat now.", &options),
            Some('D')
        );
        assert_eq!(named_by_start("The answer is anaemia.", &options), None);
    }

    #[test]
    fn a_list_of_option_lines_names_no_option_by_text() {
        let options = choices(&[("A", "Nitrofurantoin"), ("D", "Fosfomycin")]);
        assert_eq!(
            option_text("A. Nitrofurantoin\nD. Fosfomycin", &options),
            None
        );
    }
}
