//! A stronger answer extractor, run beside the official one.
//!
//! It reads the reply the way a grader would: reasoning (`<think>` sections, and any
//! separately supplied reasoning text, which is never passed in) is ignored; the last
//! boxed letter wins; otherwise the last explicit commitment ("the answer is C",
//! "I'd go with B", "答案是C", a final line "C", the chosen option's own line); then a
//! tick beside one option; then, in a reply that neither hedges nor breaks off, the one
//! option named by letter in parentheses or by its text; letters outside the question's
//! own options are never returned. On every reply whose boxed letters all agree it
//! returns the official letter, so the official verdict on well-formed replies never
//! changes.
//!
//! Modules: `reasoning` (what part of the reply is the answer), `boxed`, `phrases`
//! (commitments in words, JSON and tags, with their guards), `options` (readings that
//! use the options' texts or the reply's layout of them).

mod acronyms;
mod boxed;
mod elimination;
mod options;
mod phrases;
mod reasoning;
mod words;

use std::sync::LazyLock;

use regex::Regex;

use super::official::OfficialRule;
use options::Line;
use reasoning::Source;

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
    /// The reply rules out every other option by its letter, one after another, and its
    /// last sentence names the one left ("B, pulmonary embolism.", "E it is.").
    Elimination,
    /// The reply's one option line: its last line (`C. Recent travel`, `(C) ...`,
    /// `**C. ...**`, `Option C: ...`), or its first when that is the option's own text.
    OptionLine,
    /// A tick, a checked box or an arrow beside exactly one option of a list or table.
    Checked,
    /// Nothing explicit, but every parenthesised option letter names the same option.
    SoleMention,
    /// No letter at all, but the reply names exactly one option by its text or by an
    /// acronym of it (`TURP`).
    OptionText,
    /// The reply was cut off after a commitment, in (or at the end of) one option's text.
    CutOff,
    /// Nothing above, in a reply that neither hedges nor breaks off: the official rules'
    /// letter by one of their explicit rules (a box, an answer word, a letter line) on the
    /// answer part, when it is one of the options. The robust reading departs from the official one only
    /// where it has a reason to.
    Official,
    /// Nothing above, in a reply that neither hedges nor breaks off: the one option whose
    /// own words (those of no other option) the reply uses, in any order or inflection, or
    /// in a language that shares their roots ("sulfato de magnesio"), outside sentences
    /// that deny something.
    OptionWords,
}

/// One option of a question: its letter and its text (empty when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<'a> {
    pub letter: &'a str,
    pub text: &'a str,
}

impl<'a> Choice<'a> {
    /// The option's letter in upper case, as readings give it (None when it is empty).
    pub fn upper(&self) -> Option<char> {
        self.letter.chars().next().map(|c| c.to_ascii_uppercase())
    }

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
    let (text, source) = reasoning::final_text(reply);
    let found = read(&text, source, options, &allowed);
    if found.is_none() && source == Source::Answer && !abstains(&text) {
        // Its explicit rules only ("the last capital anywhere" is a guess), and on the
        // answer part only: the official rules would read the reasoning too.
        let official = super::official::extract(&text)
            .filter(|(_, rule)| !matches!(rule, OfficialRule::LastCapital))
            .and_then(|(letter, _)| letter.chars().next())
            .filter(|c| allowed(*c));
        if let Some(c) = official {
            return Some((c.to_ascii_uppercase(), RobustRule::Official));
        }
        if let Some(c) = by_words(&text, options) {
            return Some((c, RobustRule::OptionWords));
        }
    }
    // A short answer part that commits to nothing ("The answer is..." cut off): the
    // answer its reasoning gave in so many words, if any.
    let short = text.split_whitespace().count() <= 6;
    if found.is_some() || source != Source::Answer || !short || options::hedged(&text) {
        return found;
    }
    let inside = reasoning::last_section(reply)?;
    read(&inside, Source::ReasoningOnly, options, &allowed)
}

/// The option a reply names by its own words ([`words::named_by_words`]), in a finished
/// reply that uses no letters and does not decline: one that boxes a letter (even one
/// that is no option), writes an option line against its text, or goes through options
/// by letter has committed to something else, or to nothing, and one that declines to
/// diagnose or choose ("I'm not a doctor ... iron studies", "beyond my ability to decide
/// between surgical and endovascular repair", "check B12 and folate before deciding")
/// names options it did not choose.
fn by_words(text: &str, options: &[Choice]) -> Option<char> {
    static DECLINES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:can't|cannot|can not|unable to|not able to|won't)\s+(?:\w+\s+){0,2}(?:diagnose|recommend|assist|help|advise)\b|\bnot a doctor\b|\bsee (?:a|your) (?:doctor|physician)\b|\bbeyond my ability\b|\b(?:decide|choose) between\b|\bbefore (?:deciding|choosing)\b")
            .unwrap()
    });
    let mut letters: Vec<char> = elimination::standalone_letters(text)
        .map(|(_, c)| c)
        .collect();
    letters.sort_unstable();
    letters.dedup();
    let uses_letters = letters.len() >= 2
        || !boxed::boxed(text).is_empty()
        || matches!(options::option_line(text, options), Some(Line::Conflict));
    if uses_letters || options::unfinished(text) || DECLINES.is_match(text) {
        return None;
    }
    words::named_by_words(text, options)
}

/// Whether the reply gives reasons to read no answer: it hedges or declines, takes its
/// commitment back, breaks off mid-sentence, or lists options' lines.
fn abstains(text: &str) -> bool {
    options::hedged(text)
        || options::undecided(text)
        || options::broke_off(text)
        || options::listed_options(text)
}

/// Reads one text, with the rules its source allows.
fn read(
    text: &str,
    source: Source,
    options: &[Choice],
    allowed: &dyn Fn(char) -> bool,
) -> Option<(char, RobustRule)> {
    let letter = |c: char| allowed(c).then(|| c.to_ascii_uppercase());
    if let Some(c) = boxed::boxed(text).into_iter().rev().find_map(letter) {
        return Some((c, RobustRule::Boxed));
    }
    if let Some(c) = phrases::tagged(text, allowed) {
        return Some((c, RobustRule::Tagged));
    }
    // A reasoning section the model never closed, broken off mid-sentence: it never
    // got to its answer.
    if source == Source::UnclosedReasoning && options::broke_off(text) {
        return None;
    }
    let phrase = phrases::phrase(text, allowed).map(|(at, c)| (at, c, RobustRule::Phrase));
    let line = final_line(text)
        .filter(|(_, c)| allowed(*c))
        .map(|(at, c)| (at, c, RobustRule::FinalLine));
    let option_line = match options::option_line(text, options) {
        Some(Line::Chosen(at, c)) if allowed(c) => Some((at, c, RobustRule::OptionLine)),
        Some(Line::Conflict) => return None,
        _ => None,
    };
    let letters: Vec<char> = options.iter().filter_map(Choice::upper).collect();
    let left =
        elimination::remaining(text, &letters).map(|(at, c)| (at, c, RobustRule::Elimination));
    if let Some((at, c, rule)) = [phrase, line, option_line, left]
        .into_iter()
        .flatten()
        .max_by_key(|(at, _, _)| *at)
    {
        // "... V/Q would be better: C. But ... I'm not sure which the question wants":
        // what follows takes the commitment back.
        if options::undecided(&text[at..]) {
            return None;
        }
        return Some((c.to_ascii_uppercase(), rule));
    }
    if let Some(c) = options::checked(text, options).and_then(letter) {
        return Some((c, RobustRule::Checked));
    }
    // Reasoning read as the answer commits only in so many words: an option it merely
    // names was one being weighed.
    if source != Source::Answer || options::hedged(text) {
        return None;
    }
    if !options::broke_off(text) {
        // An option text given as the answer ("Answer: **Wilson disease**") outranks a
        // letter in parentheses elsewhere.
        if let Some(c) = options::affirmed_text(text, options) {
            return Some((c, RobustRule::OptionText));
        }
        if let Some(c) = sole_mention(text, allowed) {
            return Some((c, RobustRule::SoleMention));
        }
        if let Some(c) = options::option_text(text, options) {
            return Some((c, RobustRule::OptionText));
        }
    }
    options::cut_off_text(text, options)
        .and_then(letter)
        .map(|c| (c, RobustRule::CutOff))
}

/// The last non-empty line when it is only a letter (`C`, `C.`, `(C)`, `**C**`, `B!`),
/// unless it continues a list of options being gone through ("A. ...", "B. ...", "C.").
fn final_line(text: &str) -> Option<(usize, char)> {
    static LINE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^[\s*_#>`]*[(\[]?([A-J])[)\]]?[.)!]?[\s*_`]*$").unwrap());
    let trimmed = text.trim_end();
    let start = trimmed.rfind('\n').map_or(0, |i| i + 1);
    let caps = LINE.captures(&trimmed[start..])?;
    let m = caps.get(1)?;
    let c = m.as_str().chars().next()?;
    let at = start + m.start();
    (!phrases::list_item(&text[..at], "", c)).then_some((at, c))
}

/// When every parenthesised single letter that is an option names the same option
/// ("use febuxostat (C) rather than ...", "(option B)", "(réponse A)"), that option;
/// lists such as "(A, B)" don't count.
fn sole_mention(text: &str, allowed: &dyn Fn(char) -> bool) -> Option<char> {
    static PAREN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"\((?i:option\s+|choice\s+|answer\s+|réponse\s+|respuesta\s+|resposta\s+|risposta\s+|antwort\s+)?([A-J])\)",
        )
        .unwrap()
    });
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
    fn eliminations_corrections_and_retractions() {
        assert_eq!(letter("Most likely A, I think."), Some('A'));
        assert_eq!(
            letter("A looks obvious, but no. I'm changing from A to C."),
            Some('C')
        );
        assert_eq!(letter(r#"{"ans": "C"}"#), Some('C'));
        assert_eq!(
            letter(r#"{"most_likely_diagnosis": "B", "differential": ["C", "D"]}"#),
            Some('B')
        );
        assert_eq!(
            letter("B. Hmm, hold on. I'll withdraw B and not pick any."),
            None
        );
        assert_eq!(letter("E, I think? Or maybe B. Hard to be sure."), None);
        assert_eq!(
            letter("These findings make **A** the best answer."),
            Some('A')
        );
        assert_eq!(
            letter("Going with B at first... no, that's ketoacidosis. D, not B."),
            Some('D')
        );
        assert_eq!(letter("c for sure"), Some('C'));
        assert_eq!(letter("prob a. classic hidradenitis"), Some('A'));
        assert_eq!(letter("I'd say it's between C and D: MODY or LADA."), None);
        assert_eq!(
            letter(
                "A (aspirin) is given later, B has no role, C is for prevention, D is too slow. E it is."
            ),
            Some('E')
        );
        assert_eq!(
            extract(
                "A — no vomiting; C — breath sounds equal; D — no tearing pain; E — no rub. B, pulmonary embolism.",
                &Choice::letters(ABCDE)
            ),
            Some(('B', RobustRule::Elimination))
        );
    }

    #[test]
    fn an_acronym_or_an_option_s_own_words_name_it_when_nothing_else_does() {
        let options: Vec<Choice> = [
            ("A", "Tamsulosin"),
            ("B", "Finasteride"),
            ("C", "Transurethral resection of the prostate"),
            ("D", "Intravenous hydrocortisone"),
        ]
        .iter()
        .map(|(letter, text)| Choice { letter, text })
        .collect();
        let read = |reply: &str| extract(reply, &options);
        assert_eq!(
            read("He needs a TURP."),
            Some(('C', RobustRule::OptionText))
        );
        assert_eq!(
            read("Sofort Hydrocortison 100 mg i.v. geben."),
            Some(('D', RobustRule::OptionWords))
        );
        // A boxed letter that is no option, two letters weighed, a reply that declines or
        // is cut off: no reading by words.
        assert_eq!(read("Hydrocortisone i.v. \\boxed{F}"), None);
        assert_eq!(read("A or D: hydrocortisone i.v. perhaps."), None);
        assert_eq!(read("I'm not a doctor; ask about hydrocortison i.v."), None);
        assert_eq!(read("Give intravenous hydro"), None);
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

    #[test]
    fn shapes_added_from_the_development_corpora() {
        let options = clinical();
        let read = |reply: &str| extract(reply, &options);
        let phrase = |c| Some((c, RobustRule::Phrase));
        // Other scripts: full-width, circled numbers, Cyrillic and Arabic letters.
        assert_eq!(read("答案：Ｃ"), phrase('C'));
        assert_eq!(read("정답: ③ 설명"), phrase('C'));
        assert_eq!(read("Ответ: В — вирусный"), phrase('B'));
        assert_eq!(read("الإجابة الصحيحة هي (ج)"), phrase('C'));
        assert_eq!(read("Chọn đáp án D."), phrase('D'));
        assert_eq!(read("Doğru cevap: A şıkkı"), phrase('A'));
        assert_eq!(read("Alternativa C."), phrase('C'));
        // Corrections in passing, and going back.
        assert_eq!(read("The answer is A—sorry, I mean B."), phrase('B'));
        assert_eq!(
            read("B at first. Then A. I'm going back to B."),
            phrase('B')
        );
        assert_eq!(read("A — scratch that. B."), phrase('B'));
        // Conditions and lists are not commitments; a forced choice is.
        assert_eq!(read("If it crosses sutures, B; if not, A. Unclear."), None);
        assert_eq!(
            read("Possibly C; I'd go with C if forced to choose."),
            phrase('C')
        );
        assert_eq!(
            read("Each option:\nA. Viral - often\nB. Tuberculous - when\nC."),
            None
        );
        assert_eq!(read("A is unlikely because of the CSF. B"), None);
        // Lowercase letters with a gloss, an arrow or a verdict.
        assert_eq!(read("answer - b (tuberculous)"), phrase('B'));
        assert_eq!(read("lymphocytic csf -> b"), phrase('B'));
        assert_eq!(read("e is wrong, a is right."), phrase('A'));
        // JSON: a revised key wins, a list of probabilities is no answer.
        assert_eq!(
            read(r#"{"answer": "D", "revised_answer": "A"}"#),
            Some(('A', RobustRule::Tagged))
        );
        assert_eq!(
            read(r#"[{"option": "A", "p": 0.1}, {"option": "C", "p": 0.9}]"#),
            None
        );
        // A tick beside one option.
        assert_eq!(
            read("| A | Viral | ✗ |\n| B | Tuberculous | ✓ |"),
            Some(('B', RobustRule::Checked))
        );
        // The chosen option's line first, then why.
        assert_eq!(
            read("B. Tuberculous meningitis\n\nNot viral (A): the glucose is low."),
            Some(('B', RobustRule::OptionLine))
        );
        // Cut off inside the one option being named; cut off while weighing one.
        assert_eq!(
            read("The most likely diagnosis is tuberculous menin"),
            Some(('B', RobustRule::CutOff))
        );
        assert_eq!(read("Comparing with viral meningitis (A), which"), None);
        // Answers left inside reasoning count in words only.
        assert_eq!(
            read("<think>It fits. The answer is B.</think>"),
            phrase('B')
        );
        assert_eq!(read("<think>Viral meningitis? Or not?</think>"), None);
        // An option named by its text among others: the one affirmed.
        assert_eq!(
            read("Viral meningitis was considered; the diagnosis is tuberculous meningitis."),
            Some(('B', RobustRule::OptionText))
        );
        // A refusal that still answers after "however"; one that does not.
        assert_eq!(
            read("I cannot diagnose from one image. However, this fits tuberculous meningitis."),
            Some(('B', RobustRule::OptionText))
        );
        assert_eq!(
            read("I can't distinguish viral meningitis from the rest here."),
            None
        );
    }

    #[test]
    fn shapes_added_from_heldout4() {
        let options = clinical();
        let read = |reply: &str| extract(reply, &options);
        let phrase = |c| Some((c, RobustRule::Phrase));
        // XML-like tags and more JSON keys.
        assert_eq!(
            read("<result><choice>B</choice><confidence>0.8</confidence></result>"),
            Some(('B', RobustRule::Tagged))
        );
        assert_eq!(
            read(r#"{"question_id": 3, "predicted_answer": "D"}"#),
            Some(('D', RobustRule::Tagged))
        );
        // A letter opening the reply with its gloss; a lowercase verdict.
        assert_eq!(read("C (recent travel)."), phrase('C'));
        assert_eq!(read("a is my answer"), phrase('A'));
        // Leaning with a gloss, tentatively, slightly.
        assert_eq!(read("Likely B (tuberculous) – most common."), phrase('B'));
        assert_eq!(read("Hard to be certain. B, tentatively."), phrase('B'));
        assert_eq!(
            read("Close call; I'd lean slightly towards D."),
            phrase('D')
        );
        assert_eq!(read("The labs fit B."), phrase('B'));
        assert_eq!(
            read("My answer is A. Correction: I should have said D."),
            phrase('D')
        );
        // A commitment taken back by what follows.
        assert_eq!(
            read("I'll go with B. Or C? I'm torn between B and C and can't settle it."),
            None
        );
        // Reasoning: an answer that ends in a bare opening tag, a closing tag after the
        // answer, and an answer part that says nothing.
        assert_eq!(read("<think>It is B.</think>\n\n<think>"), phrase('B'));
        assert_eq!(
            read("<think>hmm</think>\nB. Tuberculous meningitis</think>"),
            Some(('B', RobustRule::OptionLine))
        );
        assert_eq!(read("<think>So B.</think>\nThe answer is..."), phrase('B'));
        // Option texts: plurals, glosses, the one affirmed, the one concluded with, a
        // ticked line without its letter.
        assert_eq!(
            read("CSF shows lymphocytes; this is tuberculous (chronic) meningitis."),
            Some(('B', RobustRule::OptionText))
        );
        assert_eq!(
            read(
                "Viral meningitis and meningitis in general were weighed. Only one fits: tuberculous meningitis."
            ),
            Some(('B', RobustRule::OptionText))
        );
        assert_eq!(
            read("* ❌ Viral meningitis\n* ✅ **Tuberculous meningitis**"),
            Some(('B', RobustRule::Checked))
        );
        // Hedges in other words.
        assert_eq!(read("Viral meningitis or not: I'd give it 50/50."), None);
    }

    #[test]
    fn shapes_added_from_heldout5() {
        let options = clinical();
        let read = |reply: &str| extract(reply, &options);
        let phrase = |c| Some((c, RobustRule::Phrase));
        assert_eq!(read("PLASMIC 7. Diagnosis A (viral)."), phrase('A'));
        assert_eq!(read("Low glucose. TB = option B. Not viral."), phrase('B'));
        assert_eq!(read("So B (tuberculous), not A."), phrase('B'));
        assert_eq!(read("<think>Obviously A.</think>"), phrase('A'));
        assert_eq!(read("Hmm. I'm around 70% on B."), phrase('B'));
        assert_eq!(read("Could be C or B. B seems more likely."), phrase('B'));
        assert_eq!(
            read("Viral meningitis (A) — the CSF is clear and"),
            phrase('A')
        );
        assert_eq!(
            read("If this is a practice question: TB, choice B."),
            phrase('B')
        );
        assert_eq!(read("csf lymphocytic, low glucose. b"), phrase('B'));
        assert_eq!(read("คำตอบคือ C: ..."), phrase('C'));
        assert_eq!(read("پاسخ صحیح گزینه D است."), phrase('D'));
        assert_eq!(read("Η σωστή απάντηση είναι η B."), phrase('B'));
        assert_eq!(read("התשובה הנכונה היא A."), phrase('A'));
        assert_eq!(
            read("```yaml\nfinal_answer: D\nreason: x\n```"),
            Some(('D', RobustRule::Tagged))
        );
        assert_eq!(
            read(r#"{"most_likely": "E", "differential": ["A", "D"]}"#),
            Some(('E', RobustRule::Tagged))
        );
        // A prose "Answer: A" later corrected is a phrase, not a tag.
        assert_eq!(
            read("Answer: A\n\nCorrection: the answer is B."),
            phrase('B')
        );
        // An option text given as the answer beats a letter in parentheses.
        assert_eq!(
            read("## Answer: **Tuberculous meningitis**\n\nViral meningitis (A) is less likely."),
            Some(('B', RobustRule::OptionText))
        );
        // Nothing stronger: the official rules' explicit reading, never their last-capital
        // guess, never in a reply that breaks off.
        assert_eq!(
            read("Option B fits the CSF"),
            Some(('B', RobustRule::Official))
        );
        assert_eq!(read("Option A (viral) is usually first. However,"), None);
    }

    #[test]
    fn shapes_added_from_heldout6() {
        let options = clinical();
        let read = |reply: &str| extract(reply, &options);
        let phrase = |c| Some((c, RobustRule::Phrase));
        assert_eq!(read("Initially B. Correcting to A."), phrase('A'));
        assert_eq!(read("Perhaps viral? Tentatively B."), phrase('B'));
        assert_eq!(read("i think it's d but not sure"), phrase('D'));
        assert_eq!(read("ans: c\nbecause of the history"), phrase('C'));
        assert_eq!(read("คำตอบคือข้อ A"), phrase('A'));
        assert_eq!(read("گزینه A صحیح است."), phrase('A'));
        assert_eq!(
            read("Answer:\n```json\n{\"label\": \"E\"}\n```"),
            Some(('E', RobustRule::Tagged))
        );
        assert_eq!(
            read("# Answer\n\n## **B — Tuberculous meningitis**"),
            phrase('B')
        );
        assert_eq!(read("Answer: E. Hmm, no. I'll withdraw my answer."), None);
        assert_eq!(
            read("d. start intravenous acyclovir — check renal function monthly"),
            Some(('D', RobustRule::OptionLine))
        );
    }
}
