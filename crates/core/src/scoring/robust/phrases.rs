//! Letters committed to in words, in JSON or in tags, and the guards that keep ordinary
//! words (an article "a", a pronoun "I", a range "A-E", a list "A, C, D", a condition
//! "B if ...") from being read as answers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// Structured answers: an `<answer>` element or an answer key in JSON-like text (double
/// or single quotes, a one-element list allowed).
static TAGGED: LazyLock<Regex> = LazyLock::new(|| {
    let keys = "answer|final_answer|revised_answer|corrected_answer|updated_answer|choice|\
                selected_option|selected|option|letter|answer_letter|correct_option|\
                correct_answer|prediction|predicted_answer|predicted_option|final|most_likely|\
                most_likely_diagnosis|best_answer|best_option|best_choice|final_choice|result|label|\
                ans";
    let value =
        |q: &str| format!(r#"\[\s*{q}\(?([A-J])\)?{q}\s*\]|{q}\(?([A-J])\)?(?:[.)]\s[^{q}]*)?{q}"#);
    Regex::new(&format!(
        r#"(?i)<(?:answer|final_answer|choice|option|letter|selected)>\s*[(\[]?([A-J])[)\].]?\s*</(?:answer|final_answer|choice|option|letter|selected)>|"({keys})"\s*:\s*(?:{})|'({keys})'\s*:\s*(?:{})"#,
        value("\""),
        value("'")
    ))
    .unwrap()
});

/// An answer key on a line of its own, unquoted: `final_answer: D` (YAML; keys in
/// snake case only, so that a prose "Answer: A" later corrected stays a phrase).
static YAML: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:final_answer|selected_option|correct_answer|predicted_answer|most_likely|answer_letter)\s*:\s*["']?\(?([A-J])\)?["']?\s*$"#)
        .unwrap()
});

/// The last structured answer. A key that names several different letters (a list of
/// options with their probabilities) is not an answer; of the others, the last wins
/// (`"answer": "D", "revised_answer": "A"` is A).
pub(super) fn tagged(text: &str, allowed: &dyn Fn(char) -> bool) -> Option<char> {
    let mut by_key: BTreeMap<String, Vec<(usize, char)>> = BTreeMap::new();
    for caps in TAGGED.captures_iter(text) {
        let key = caps
            .get(2)
            .or(caps.get(5))
            .map_or("answer".to_string(), |k| k.as_str().to_ascii_lowercase());
        let letter = [1, 3, 4, 6, 7]
            .iter()
            .find_map(|&i| caps.get(i))
            .and_then(|m| m.as_str().chars().next());
        if let Some(c) = letter.filter(|c| allowed(*c)) {
            by_key
                .entry(key)
                .or_default()
                .push((caps.get(0).map_or(0, |m| m.start()), c.to_ascii_uppercase()));
        }
    }
    for caps in YAML.captures_iter(text) {
        if let Some(m) = caps.get(1)
            && let Some(c) = m.as_str().chars().next().filter(|c| allowed(*c))
        {
            by_key
                .entry("yaml".into())
                .or_default()
                .push((m.start(), c.to_ascii_uppercase()));
        }
    }
    by_key
        .into_values()
        .filter(|found| found.iter().all(|(_, c)| *c == found[0].1))
        .flatten()
        .max_by_key(|(at, _)| *at)
        .map(|(_, c)| c)
}

/// Explicit commitments in words. Each has one letter group (or alternatives of one); a
/// lowercase letter only counts when the clause ends after it ("the answer is a rare..."
/// is not "A"). Articles before a letter are matched in lower case only, so that "A" is
/// never taken for the Portuguese article.
static PHRASES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let deco = r"[\s*_`'\x22(\[{]*";
    let article = r"(?-i:la\s+|a\s+|le\s+|die\s+|l')?";
    let letter_word = r"(?:(?i:letra|lettre|lettera|buchstabe)\s+)?";
    [
        // "the answer is C", "Final answer: C", "correct option here is (D)", "Answer — E"
        format!(
            r"(?i)\b(?:answer|option|choice|selection|response|pick|final)(?:\s+here)?\s*(?:(?:is|would\s+be|will\s+be|should\s+be|must\s+be)(?:\s+(?:actually|definitely|clearly|probably|therefore|still|then))?|[:：=]|\s[\-–—])\s*(?:option|choice|letter)?\s*[:：]?{deco}([A-J])"
        ),
        // "I'd go with B", "I would choose D", "Choose B.", "I'd say C", "I'll stay with C"
        format!(
            r"(?i)\b(?:choose|chose|select|pick|go\s+with|going\s+with|opt\s+for|say|stay\s+with|staying\s+with|stick\s+with|sticking\s+with|settle\s+on|back\s+to|(?:i'?d|i\s+would|i'll|i\s+will)\s+answer)\s+(?:option\s+|choice\s+|answer\s+)?{deco}([A-J])"
        ),
        // Corrections in passing: "A—sorry, I mean B", "A... no wait, actually B"
        format!(
            r"(?i)\b(?:i\s+mean|i\s+meant|meant\s+to\s+say|make\s+that|should\s+have\s+(?:said|chosen|picked|answered)|actually|no\s+wait|wait)\s*,?\s*(?:option\s+)?{deco}([A-J])\b(?:[\s*)]*(?:[.,;:!—–-]|$))"
        ),
        // "Therefore, C.", "that's D.", "i.e. A.", "which is option D;" (the letter must end a clause)
        format!(
            r"(?i)(?:\btherefore|\bthus|\bhence|\bso|\bi\.e\.|\bthat's|\bthat\s+is|\bwhich\s+is|\bcorresponds\s+to|\bobviously|\bclearly|\bcertainly)\s*,?\s*(?:the\s+)?(?:option\s+|choice\s+|answer\s+)?{deco}([A-J])[*)\]]*(?:\s*\([^)\n]*\))?(?:[.,;:!]|\s*$)"
        ),
        // "B seems the most defensible", "option C is correct", "C remains correct", "a is right"
        r"(?:\b(?i:option|choice)\s+)?\(?\b([A-Ja-j])\)?\s+(?i:is|seems|would\s+be|appears|looks|remains|stays)\s+(?i:therefore\s+|thus\s+|clearly\s+|definitely\s+)?(?i:to\s+be\s+)?(?i:the\s+)?(?i:most|best|correct|right|preferred|appropriate|answer|safer|safest|better|closest)".to_string(),
        // "makes **A** the best answer", "make B the answer"
        format!(
            r"(?i)\bmak(?:e|es|ing)\s+(?:option\s+)?{deco}([A-J])[*_)]*\s+the\s+(?:best\s+|correct\s+|right\s+|likely\s+|most\s+likely\s+)?(?:answer|choice|option)"
        ),
        // A last sentence that picks one letter over another: "D, not B."
        r"(?:[.!?]|^)\s+\**\(?([A-J])\)?\**,?\s+not\s+\(?[A-J]\)?[.!]?\s*$".to_string(),
        // "E it is.", "B it is, then"
        r"\b([A-J])\s+it\s+is\b\s*(?:[.,;!]|$)".to_string(),
        // "with B slightly more probable", "C much more likely"
        r"\b([A-J])\)?\s+(?i:(?:seems|is|looks|appears)\s+)?(?i:(?:slightly|somewhat|much|far|a\s+bit)\s+)?(?i:more\s+(?:probable|likely))".to_string(),
        // "Tentatively B.", "I'm fairly confident in C", "i think it's d", "ans: c"
        format!(
            r"(?i)\b(?:tentatively|confident\s+in|confident\s+it'?s|i\s+think\s+it'?s|i\s+think\s+it\s+is|ans|ans\.)\s*[:：]?\s*(?:option\s+)?{deco}([A-J])\b"
        ),
        // "I'm around 70% on B", "80% B"
        r"(?i)\b\d{2}\s*%\s+(?:on\s+|for\s+|sure\s+(?:it's\s+|of\s+)?)?\(?([A-J])\)?\b".to_string(),
        // A label word, the letter and its gloss: "Diagnosis A (TTP).", "choice C."
        r"(?i)\b(?:diagnosis|answer|choice|option)\s+\(?([A-J])\)?\s*(?:\([^)\n]*\)\s*)?[.;](?:\s|$)".to_string(),
        // A reply that opens with the chosen option's text and letter: "Magnesium
        // sulfate (A) — it is ...", "Cause: drug-induced (C) — ..."
        r"^\s*[^\n()]{3,80}\(([A-J])\)\s*[—–:-]".to_string(),
        // "The most appropriate next step is E", "Preferred management is D", "Most likely diagnosis: A"
        format!(
            r"(?i)\b(?:best|most\s+appropriate|most\s+likely|preferred|correct)(?:\s+(?:next\s+|initial\s+)?(?:step|management|diagnosis|treatment|test|investigation|approach|option|choice|answer|guess))?\s*(?:(?:is|would\s+be)(?:\s+therefore)?\s*[:：]?|[:：]){deco}([A-J])"
        ),
        // "it is C", "it's probably b"
        format!(
            r"(?i)\bit(?:'s|’s|\s+is)\s+(?:probably\s+|definitely\s+|clearly\s+|actually\s+)?(?:option\s+)?{deco}([A-J])"
        ),
        // A reply that ends with "option b." / "Option D.", or an option named in
        // apposition: "..., option B;", "intubation, choice D, despite ..."
        r"(?i)\b(?:option|choice)\s+\(?([A-J])\)?[.!]?\s*$|(?:[,:=→]|\s[\-–—])\s*[*_]*(?:option|choice)\s+\(?([A-J])\)?[*)\]]*(?:[.;,!]|\s*$)|(?:^|[.!?]\s+)(?:option|choice)\s+\(?([A-J])\)?[.!]\s".to_string(),
        // A clause that ends in a bare letter: "..., B." / ": E." / " - D." / " — C — is" / "type b: b"
        r"(?:[,:：]|[ \t][\-–—])[ \t]*\**([A-Ja-j])\**[ \t]*(?:[.;]|$|[ \t][\-–—])".to_string(),
        // An arrow or a bold letter after "is" or a colon: "→ C", "is **B**", ": **D**", "fna → b"
        r"(?:→|➡\x{FE0F}?|⇒|=>|->|\bis|[:：])\s*\*\*\s*(?:→\s*)?\(?([A-J])\)?\*\*|(?:→|➡\x{FE0F}?|⇒|=>|->)\s*\**\(?([A-Ja-j])\b".to_string(),
        // A line that opens with a bold or dashed letter: "**E** — refer ...", "G — ..."
        r"(?m)^[\s>#]*(?:\*\*\(?([A-J])\)?\*\*|\**\(?([A-J])\)?\s+[—–])".to_string(),
        // A reply that opens with its letter: "b, calcium gluconate first", "B, but A or D
        // could also help", "c!! hook-like osteophytes", "c for sure"; a sentence that
        // does: "B? No. C, because ..."
        r"^\s*[*_]*\(?([A-Ja-j])\)?[*_]*[ \t]*(?:[,:—–-][ \t]+\S|\(|!+\s|[ \t]+for[ \t]+sure\b)|(?:[.!?]|^)[ \t]+\**\(?([A-J])\)?\**[ \t]*,?[ \t]+(?i:because|since|given)\b".to_string(),
        // Chinese, Japanese, Korean: "答案是C", "【答案】A", "正解はC"
        format!(
            r"(?i)(?:答案|答え|正解|정답|답|選択|选择|选项|選|选)\s*[】\]]?\s*(?:是|为|為|は|은|:|：)?\s*(?:选项)?{deco}([A-J])"
        ),
        // Spanish, Portuguese, French, German, Italian: "Risposta: A", "Réponse A.",
        // "a resposta correta é a letra E", "a resposta certa é E"
        format!(
            r"(?i)\b(?:respuesta|resposta|réponse|reponse|antwort|risposta|opción|opcion|alternativa)(?:\s+(?:correcta|correta|certa|cierta|final|finale|correcte|bonne|richtige|corretta|giusta))?\s*(?:es|é|est|ist|è|:|：)?\s*{article}{letter_word}(?:opción\s+|alternativa\s+|option\s+)?{deco}([A-J])"
        ),
        // "la correcta es D", "a alternativa correta é a B", "la bonne réponse est C"
        format!(
            r"(?i)\b(?:correcta|correcto|correta|correto|certa|corretta|richtige|bonne\s+réponse)\s+(?:es|é|est|ist|è)\s+{article}{letter_word}(?:opción\s+|alternativa\s+|option\s+)?{deco}([A-J])"
        ),
        // The letter first: "La opción D es la correcta", "D ist richtig"; "É a C: ..."
        format!(
            r"(?-i:\b([A-J]))\)?\s+(?i:es|é|est|ist|è)\s+{article}(?i:correcta|correcto|correta|correto|certa|corretta|richtig|richtige|juste|correcte|la\s+bonne)|(?i:(?:^|[.!?]\s+)(?:é|es|c'est))\s+{article}{deco}([A-J])"
        ),
        // "Je choisis la réponse C", "elijo la B", "escolho a C", "Eu escolheria a alternativa B"
        format!(
            r"(?i)\b(?:choisis|choisirais|choisir|elijo|elegiría|elegiria|escojo|escolho|escolheria|wähle|scelgo|sceglierei)\s+{article}(?:réponse\s+|respuesta\s+|resposta\s+|option\s+|opción\s+|alternativa\s+|antwort\s+)?{deco}([A-J])"
        ),
        // Vietnamese, Turkish, Russian, Arabic, Indonesian, Polish, Dutch, Hindi: "Chọn đáp
        // án B", "Doğru cevap: C şıkkı", "Ответ: B", "الإجابة الصحيحة هي (C)", "Jawaban: B"
        format!(
            r"(?i)(?:đáp\s+án|chọn|câu\s+trả\s+lời|cevap|yanıt|ответ|відповідь|الإجابة|الجواب|jawaban(?:nya)?|odpowiedź|odpowiedz|antwoord|उत्तर|คำตอบ|پاسخ|απάντηση|התשובה|jibu)(?:\s*(?:đúng|là|doğru|правильный|правильна|الصحيحة|yang\s+benar|poprawna|juiste|सही|صحیح|ที่ถูกต้อง|σωστή|הנכונה|sahihi))?\s*(?:là|hi|هي|adalah|is|to|คือ|گزینه|είναι(?:\s+η)?|היא|ni|:|：|—|-)?\s*(?:đáp\s+án\s+|گزینه\s*|ข้อ\s*)?{deco}([A-J])"
        ),
        // The letter first, then "is correct": "گزینه A صحیح است", "ข้อ A ถูกต้อง"
        r"(?:گزینه|ข้อ)\s*([A-J])\s*(?:صحیح|درست|ถูก)".to_string(),
        // "Nicht B, sondern A", "no la B sino la D": the letter after the contrast wins
        format!(r"(?i)\b(?:sondern|sino|mais\s+plutôt|but\s+rather)\s+{article}{deco}([A-J])"),
        // A label, then markdown between it and the letter: "| **Answer** | **B** |",
        // "*Answer*: __B__", "### Answer: **D**"
        r"(?i)\b(?:(?:final\s+)?answer|best\s+fit|best\s+answer|verdict)\b[\s*_|:：\-–—]*\(?([A-J])\)?[\s*_|]*(?:[.;—–]|$)".to_string(),
        // Corrections: "Correct that to B", "Changing my answer to B", "I revise to B",
        // "I'm changing from A to C"
        format!(
            r"(?i)\b(?:correct|correcting|change|changing|changed|revise|revising|switch|switching|update)\s+(?:that|it|this|my\s+answer|the\s+answer)?\s*(?:from\s+(?:option\s+)?\(?[A-J]\)?\s+)?to\s+(?:option\s+)?{deco}([A-J])"
        ),
        // Leaning answers: "Probably D, though ...", "Leaning B over E", "on balance B",
        // "E is my best guess", "the immediate priority is A", "..., but B.", "on reflection D —"
        format!(
            r"(?i)\b(?:probably|prob|most\s+likely|likely|perhaps|lean(?:ing)?(?:\s+slightly)?(?:\s+towards?)?|on\s+balance|on\s+reflection|on\s+second\s+thought|i\s+think|but)\s*,?\s*(?:option\s+)?{deco}([A-J])\b(?:\s*\([^)\n]*\))?(?:[\s*)]*(?:[.,;:!—–]|$|over\b|though\b|given\b|because\b|since\b|for\b|but\b|if\s+forced\b))"
        ),
        r"\b([A-Ja-j])(?:\s+(?i:is\s+my\s+(?:best\s+guess|answer|choice|pick)|fits\s+best)|\s*,\s*(?i:probably|tentatively|i\s+think|i\s+guess|i\s+suppose|maybe))".to_string(),
        // What the reasoning leaves: "That leaves A as the best answer", "B as the answer"
        format!(
            r"(?i)\bleaves?\s+(?:us\s+with\s+)?(?:option\s+|choice\s+)?{deco}([A-J])\b|(?-i:\b([A-J]))\s+as\s+(?i:the\s+)?(?i:best|correct|right|most|only|answer|final)"
        ),
        // What the findings point to: "This matches option B (anti-Sm", "most consistent
        // with C", "making the answer C rather than A"
        format!(
            r"(?i)\b(?:matches|match|fits?|suggests|indicates|consistent\s+with|points\s+to|favou?rs?|mak(?:e|es|ing)\s+(?:the\s+answer|it|this))\s+(?:option\s+|choice\s+|answer\s+)?{deco}([A-J])\b"
        ),
        // A reply that ends by naming what to treat with: "... stabilize first with A."
        r"(?i)\bwith\s+(?:option\s+)?\(?([A-J])\)?[.!]?\s*$".to_string(),
        // A letter that ends a clause after "is": "the first drug is B, IM adrenaline"
        // ("could be A, could be C" is not a commitment)
        format!(r"(?-i:\b(?:is|are|(?:will|would|should|must)\s+be))\s+(?:option\s+|choice\s+)?{deco}(?-i:([A-J]))[*)\]]*(?:[.,;!]|\s*$)"),
        // A line that is only a letter, anywhere: "C" after a struck-through "~~B~~".
        r"(?m)^[ \t*_#>]*\(?([A-J])\)?[.)!]?[ \t*_]*$".to_string(),
        format!(r"(?i)\bpriority\s+is\s+(?:option\s+)?{deco}([A-J])\b"),
        // A last sentence that is only a letter: "... teratogenic. B.", "... vasa previa. C"
        // (not when the sentence before went through the option before it: "A is unlikely
        // because ... B" is a reply cut off while it went through the options)
        r"[.!?][ \t]+\**\(?([A-Ja-j])\)?\**[.!]?\s*$".to_string(),
    ]
    .iter()
    .map(|p| Regex::new(p).expect("robust patterns are valid"))
    .collect()
});

/// The stretch at the end of a reply the patterns are run on first. Replies that reason
/// at length commit near their end, and running some thirty patterns over all of a
/// 10 KB reply costs milliseconds (the regex engine runs without its lazy DFA).
const LAST_STRETCH: usize = 2048;

/// The latest explicit commitment in words: its byte offset and letter. The patterns
/// are run on the reply's last stretch first, and on all of it when that holds none: a
/// match starting in the last stretch is later than any before it (the text before the
/// stretch still counts for word boundaries and for the guards).
pub(super) fn phrase(text: &str, allowed: &dyn Fn(char) -> bool) -> Option<(usize, char)> {
    let latest = |from: usize| {
        PHRASES
            .iter()
            .filter_map(|re| last_capture(re, text, from, allowed))
            .max_by_key(|(at, _)| *at)
    };
    let mut from = text.len().saturating_sub(LAST_STRETCH);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    match from {
        0 => latest(0),
        _ => latest(from).or_else(|| latest(0)),
    }
}

/// The last match of `re` starting at `from` or later whose letter is allowed and
/// stands alone: not followed by an ASCII letter or digit, and, in lower case, followed
/// by nothing word-like at all. Returns the letter's byte offset and the letter.
fn last_capture(
    re: &Regex,
    text: &str,
    from: usize,
    allowed: &dyn Fn(char) -> bool,
) -> Option<(usize, char)> {
    let mut at = from;
    std::iter::from_fn(|| {
        let caps = re.captures_at(text, at)?;
        let whole = caps.get(0)?;
        // No pattern matches the empty text; a step past the start keeps that so.
        at = whole.end().max(whole.start() + 1);
        while !text.is_char_boundary(at) {
            at += 1;
        }
        Some(caps)
    })
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
        if in_range(before, rest)
            || in_list(before)
            || starts_list(rest)
            || conditional(before, rest)
            || list_item(before, rest, c)
            || after_sentence_on_previous_option(before, c)
        {
            return None;
        }
        Some((m.start(), c.to_ascii_uppercase()))
    })
    .last()
}

/// After a lowercase letter: end of text, punctuation, a line break, a gloss in
/// parentheses or after a dash, a reason ("b given the lipase", "d because ..."), or a
/// verdict ("a is right").
fn ends_clause(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches([' ', '\t', '*', '_', ')', ']', '}', '"', '\'', '`']);
    trimmed.is_empty()
        || trimmed.starts_with([
            '.', ',', ';', ':', '!', '?', '\n', '\r', '。', '(', '—', '–',
        ])
        || rest.starts_with(" - ")
        || [
            "given ",
            "but ",
            "because ",
            "since ",
            "as ",
            "is correct",
            "is right",
            "is the answer",
            "is the best",
            "is the correct",
            "is my ",
            "for sure",
        ]
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

/// A letter that opens a list ("A, B and E are all glucocorticoids", "A or C") names no
/// single option.
fn starts_list(rest: &str) -> bool {
    let after = rest.trim_start_matches([')', '*']);
    let Some(after) = [",", "/", "&", " and ", " or "]
        .iter()
        .find_map(|sep| after.strip_prefix(sep))
    else {
        return false;
    };
    let after = after.trim_start_matches([' ', '(', '*']);
    let after = after
        .strip_prefix("and ")
        .or_else(|| after.strip_prefix("or "))
        .unwrap_or(after);
    let mut chars = after.chars();
    let letter = chars
        .next()
        .is_some_and(|c| ('A'..='J').contains(&c.to_ascii_uppercase()))
        && chars.next().is_none_or(|c| !c.is_alphanumeric());
    // "A, I think", "B, a rare cause": a pronoun or an article, not a second letter.
    let word = (after.starts_with("I ") || after.starts_with("a "))
        && after[2..].starts_with(|c: char| c.is_lowercase());
    letter && !word
}

/// A letter that starts its line between the lines of the options before and after it
/// ("A. Metformin - first-line" above "B. ...", or "C." below "B. Insulin - not
/// first-line unless") is an item of a list being gone through, not an answer.
pub(super) fn list_item(before: &str, rest: &str, c: char) -> bool {
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before[line_start..]
        .chars()
        .all(|ch| ch.is_whitespace() || "*_#>(-".contains(ch))
    {
        return false;
    }
    let marks = |line: &str, letter: Option<char>| {
        let line = line.trim_start_matches([' ', '\t', '-', '*', '(', '#', '>']);
        letter.is_some_and(|l| {
            line.starts_with(l) && line[l.len_utf8()..].starts_with(['.', ')', ':'])
        })
    };
    let code = u32::from(c.to_ascii_uppercase());
    let previous = before[..line_start].trim_end().lines().last().unwrap_or("");
    let next = rest.split_once('\n').map_or("", |(_, after)| after);
    let next = next.trim_start().lines().next().unwrap_or("");
    marks(previous, char::from_u32(code - 1)) || marks(next, char::from_u32(code + 1))
}

/// A letter that opens a sentence right after a sentence about the option before it ("A
/// is unlikely because the CSF shows lymphocytes. B") is the next one being gone through,
/// unless that sentence took the option back ("A — scratch that. B.").
fn after_sentence_on_previous_option(before: &str, c: char) -> bool {
    let trimmed = before.trim_end_matches([' ', '\t', '*', '(']);
    if !trimmed.ends_with(['.', '!', '?']) {
        return false;
    }
    let body = &trimmed[..trimmed.len() - 1];
    let sentence = body
        .rfind(['.', '!', '?', '\n'])
        .map_or(body, |i| &body[i + 1..])
        .trim_start_matches([' ', '\t', '*', '(', '-']);
    let Some(previous) = char::from_u32(u32::from(c.to_ascii_uppercase()) - 1) else {
        return false;
    };
    let retracted = [
        "scratch",
        "wait",
        "sorry",
        "actually",
        "i mean",
        "correction",
    ]
    .iter()
    .any(|w| sentence.to_lowercase().contains(w));
    sentence.starts_with(previous)
        && sentence[previous.len_utf8()..].starts_with([' ', ')', ',', ':'])
        && !retracted
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

/// A letter said under a condition ("If the collection crosses sutures, B", "B if it
/// respects them") is not a commitment, unless the condition is being made to choose
/// ("if forced to choose, C", "C if I had to pick").
fn conditional(before: &str, rest: &str) -> bool {
    let forced = |text: &str| {
        let text = text.trim_start().to_lowercase();
        [
            "if forced",
            "if this is a",
            "if you need",
            "if i had to",
            "if i have to",
            "if i must",
            "if pushed",
            "if made to",
            "if required",
        ]
        .iter()
        .any(|w| text.starts_with(w))
    };
    let clause = before
        .rsplit(['.', ';', '!', '?', '\n'])
        .next()
        .unwrap_or(before)
        .trim_start()
        .to_lowercase();
    let condition_before =
        (clause.starts_with("if ") || clause.starts_with("unless ")) && !forced(&clause);
    let condition_after = rest.starts_with(" if ") && !forced(rest);
    condition_before || condition_after
}

/// "A rare ..." or "I think ...": a capital A or I followed by a lowercase English word
/// ("A şıkkı", Turkish for "option A", is not one).
fn pronoun_or_article(rest: &str) -> bool {
    let mut chars = rest.chars();
    chars.next() == Some(' ')
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && ![
            "because",
            "since",
            "as ",
            "is ",
            "which",
            "given",
            "due ",
            "seems",
            "appears",
            "looks",
            "fits",
            "remains",
            "stays",
            "instead",
            "over ",
            "rather",
            "then",
            "now",
            "here",
            "again",
            "after all",
            "anyway",
            "if forced",
        ]
        .iter()
        .any(|w| rest[1..].starts_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: char) -> bool {
        true
    }

    #[test]
    fn a_key_naming_several_letters_is_a_list_not_an_answer() {
        let probabilities = r#"[{"option": "A", "p": 0.1}, {"option": "C", "p": 0.9}]"#;
        assert_eq!(tagged(probabilities, &any), None);
        assert_eq!(
            tagged(r#"{"answer": "D", "revised_answer": "A"}"#, &any),
            Some('A')
        );
        assert_eq!(tagged("{'answer': 'B'}", &any), Some('B'));
        assert_eq!(tagged(r#"{"answer": ["A", "C"]}"#, &any), None);
        assert_eq!(tagged(r#"{"letter": "a"}"#, &any), Some('A'));
    }

    #[test]
    fn conditions_are_not_commitments_unless_forced() {
        assert!(conditional("If the collection crosses sutures, ", ";"));
        assert!(conditional("Give ", " if the level is high"));
        assert!(!conditional("If forced to choose, ", "."));
        assert!(!conditional("I'd go with ", " if forced to choose."));
    }

    #[test]
    fn lists_of_letters_name_no_option() {
        assert!(starts_list(", B and E are all steroids"));
        assert!(starts_list(" or C"));
        assert!(!starts_list(", because B is wrong"));
        assert!(in_list("Incorrect: A, C, "));
    }
}
