//! Options named by an acronym of their text: "FNH" for "Focal nodular hyperplasia",
//! "TURP" for "Transurethral resection of the prostate", "TMP-SMX" for
//! "Trimethoprim-sulfamethoxazole". Clinicians write the common ones without a thought,
//! and no option list spells them out.

use std::sync::LazyLock;

use regex::Regex;

use super::options::normalise;

/// Words an acronym may use or pass over ("TOF" uses the "of" of "Tetralogy of Fallot",
/// "TURP" passes over the one of "resection of the prostate").
const LINKING: [&str; 10] = [
    "of", "and", "to", "with", "for", "plus", "in", "on", "by", "or",
];

/// An acronym in a reply.
#[derive(Debug, PartialEq)]
pub(super) struct Acronym {
    /// Its letters in lower case (`tmpsmx`).
    letters: String,
    /// As [`normalise`] writes it (`tmp smx`), to be found in the normalised reply.
    pub(super) normalised: String,
}

/// The reply's acronyms: words of three or more letters, two or more of them capitals,
/// in runs joined by `-` or `/` (`TMP-SMX`), not ending a compound (`anti-CCP`).
pub(super) fn in_reply(text: &str) -> Vec<Acronym> {
    static ACRONYM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b[A-Z][A-Za-z0-9]*(?:[-/][A-Z][A-Za-z0-9]*)*\b").unwrap());
    let mut found: Vec<Acronym> = ACRONYM
        .find_iter(text)
        // "anti-CCP", "pre-ECMO": part of a longer word.
        .filter(|m| !text[..m.start()].ends_with('-'))
        .map(|m| m.as_str())
        .filter(|word| {
            word.chars().filter(char::is_ascii_uppercase).count() >= 2
                && word.chars().filter(char::is_ascii_alphabetic).count() >= 3
        })
        .map(|word| Acronym {
            letters: word
                .chars()
                .filter(char::is_ascii_alphabetic)
                .map(|c| c.to_ascii_lowercase())
                .collect(),
            normalised: normalise(word),
        })
        .collect();
    found.sort_unstable_by(|a, b| a.letters.cmp(&b.letters));
    found.dedup();
    found
}

/// Whether `acronym` stands for the start of `option` (its text): its letters
/// in order, the first opening the option's first word, each later one either further
/// inside the word it is in or opening the next word (linking words may be passed over),
/// two words or more covered. Inner letters allow the usual medical compounds: "IVIG" for
/// "Intravenous immunoglobulin", "HOCM" for "Hypertrophic obstructive cardiomyopathy".
pub(super) fn stands_for(acronym: &Acronym, option: &str) -> bool {
    let letters: Vec<char> = acronym.letters.chars().collect();
    let normalised = normalise(option);
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    words.len() >= 2 && words[0].starts_with(letters[0]) && covers(&letters[1..], &words, 0, 0)
}

/// Whether `letters` can follow a letter read at byte `at` of word `word` (see
/// [`stands_for`]); true once they are all read and a second word was reached.
fn covers(letters: &[char], words: &[&str], word: usize, at: usize) -> bool {
    let Some((&next, rest)) = letters.split_first() else {
        return word >= 1 && trailing(&words[word + 1..]);
    };
    // Further inside the same word.
    let inside = words[word][at + 1..]
        .char_indices()
        .filter(|&(_, c)| c == next)
        .any(|(i, _)| covers(rest, words, word, at + 1 + i));
    if inside {
        return true;
    }
    // Opening a later word, past linking words only.
    for (later, w) in words.iter().enumerate().skip(word + 1) {
        if w.starts_with(next) && covers(rest, words, later, 0) {
            return true;
        }
        if !LINKING.contains(w) {
            return false;
        }
    }
    false
}

/// Whether the words an acronym leaves uncovered at the end of an option can be left
/// out: none, what follows a linking word ("IVIG" of "Intravenous immunoglobulin plus
/// aspirin"), or a generic head ("WPW" of "Wolff-Parkinson-White syndrome"). "CCP" is no
/// acronym of "Calcium pyrophosphate deposition disease".
fn trailing(words: &[&str]) -> bool {
    const GENERIC: [&str; 8] = [
        "syndrome",
        "disease",
        "disorder",
        "infusion",
        "injection",
        "therapy",
        "scan",
        "test",
    ];
    match words.first() {
        None => true,
        Some(first) if LINKING.contains(first) => true,
        Some(_) => words.iter().all(|w| GENERIC.contains(w)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stands_for(acronym: &str, option: &str) -> bool {
        let [acronym] = &in_reply(acronym)[..] else {
            panic!("{acronym} is one acronym");
        };
        super::stands_for(acronym, option)
    }

    #[test]
    fn acronyms_stand_for_the_start_of_an_option() {
        assert!(stands_for("FNH", "Focal nodular hyperplasia"));
        assert!(stands_for(
            "TURP",
            "Transurethral resection of the prostate"
        ));
        assert!(stands_for("ToF", "Tetralogy of Fallot"));
        assert!(stands_for("CTPA", "CT pulmonary angiography"));
        assert!(stands_for("WPW", "Wolff-Parkinson-White syndrome"));
        assert!(stands_for(
            "IVIG",
            "Intravenous immunoglobulin plus aspirin"
        ));
        assert!(stands_for(
            "HOCM",
            "Hypertrophic obstructive cardiomyopathy"
        ));
        assert!(stands_for("NAC", "N-acetylcysteine infusion"));
        assert!(stands_for("TMP-SMX", "Trimethoprim-sulfamethoxazole"));
    }

    #[test]
    fn other_words_are_no_acronym_of_an_option() {
        // The first letter must open the option; one word is not enough.
        assert!(!stands_for("PLEX", "Therapeutic plasma exchange"));
        assert!(!stands_for("TPT", "Teriparatide"));
        assert!(!stands_for("INR", "Insulin glargine"));
        assert!(!stands_for("ECG", "Transthoracic echocardiography"));
        // A content word cannot be passed over, nor left out at the end.
        assert!(!stands_for("FHY", "Focal nodular hyperplasia"));
        assert!(!stands_for(
            "CCP",
            "Calcium pyrophosphate deposition disease"
        ));
    }

    #[test]
    fn a_reply_s_acronyms_are_its_capitalised_words() {
        let found = in_reply("Give TMP-SMX, not IVIG; CT and MRI were normal, HbA1c 7.");
        let normalised: Vec<&str> = found.iter().map(|a| a.normalised.as_str()).collect();
        assert_eq!(
            normalised,
            ["hba1c", "ivig", "magnetic resonance imaging", "tmp smx"]
        );
    }
}
