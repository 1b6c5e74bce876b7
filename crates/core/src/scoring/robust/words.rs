//! An option named by its own words, not its text: "air enema reduction" for "Air or
//! contrast enema reduction", "restricting fluid intake" for "Fluid restriction", and,
//! in the languages that share its roots, "sulfato de magnesio" for "Magnesium sulfate"
//! or "Hydrocortison i.v." for "Intravenous hydrocortisone".
//!
//! Only the words that set an option apart count (those of no other option), and only in
//! sentences that deny nothing: "Don't transfuse platelets" names no choice.

use super::Choice;
use super::options::normalise;

/// The one option whose distinctive words the reply uses: at least half of them, and
/// at least twice the share of any other option's.
pub(super) fn named_by_words(text: &str, options: &[Choice]) -> Option<char> {
    let said: Vec<String> = text
        .split_inclusive(['.', '!', '?', ';', '\n'])
        .filter(|sentence| !denies(sentence))
        .flat_map(words)
        .collect();
    let own: Vec<(char, Vec<String>)> = options
        .iter()
        .filter_map(|o| Some((o.upper()?, words(o.text))))
        .collect();
    // Per option: its distinctive words the reply uses, and how many it has.
    let mut shares: Vec<(usize, usize, char)> = own
        .iter()
        .filter_map(|(letter, mine)| {
            let distinctive: Vec<&String> = mine
                .iter()
                .filter(|w| w.chars().count() >= 4)
                .filter(|w| {
                    own.iter()
                        .all(|(other, theirs)| other == letter || !theirs.contains(w))
                })
                .collect();
            let used = distinctive
                .iter()
                .filter(|w| said.iter().any(|s| same_root(s, w)))
                .count();
            (used > 0).then_some((used, distinctive.len(), *letter))
        })
        .collect();
    // Largest share first (a/b before c/d when a*d > c*b).
    shares.sort_by(|x, y| (y.0 * x.1).cmp(&(x.0 * y.1)));
    let half = |(used, of, _): &(usize, usize, char)| 2 * used >= *of;
    match shares.as_slice() {
        [best] if half(best) => Some(best.2),
        [best, second, ..] if half(best) && best.0 * second.1 >= 2 * second.0 * best.1 => {
            Some(best.2)
        }
        _ => None,
    }
}

/// A text's words as [`normalise`] writes them, with accents taken off (`fémorale` is
/// `femorale`), so that words of languages written in Latin letters meet their English
/// roots.
fn words(text: &str) -> Vec<String> {
    let plain: String = text.chars().map(unaccented).collect();
    normalise(&plain).split(' ').map(String::from).collect()
}

/// A letter without its accent (the Latin-script languages' common ones).
fn unaccented(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ı' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ş' => 's',
        'ğ' => 'g',
        _ => c,
    }
}

/// Whether two words share a root: equal, or a common start of six letters or more that
/// is most of the shorter word ("magnesio" and "magnesium", "restricting" and
/// "restriction"; not "hypertension" and "hypertrophic").
fn same_root(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let shorter = a.chars().count().min(b.chars().count());
    common >= 6 && common * 10 >= shorter * 7
}

/// Whether a sentence denies or rules something out: then the options it names are not
/// the choice.
fn denies(sentence: &str) -> bool {
    let lower = format!(" {} ", normalise(sentence));
    [
        " not ",
        " no ",
        " don t ",
        " never ",
        " avoid ",
        " without ",
        " rather than ",
        " instead of ",
        " unlikely ",
        " less likely ",
        " excluded ",
        " rule out ",
        " ruled out ",
        " contraindicated ",
    ]
    .iter()
    .any(|cue| lower.contains(cue))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(reply: &str, texts: &[&'static str]) -> Option<char> {
        const LETTERS: [&str; 5] = ["A", "B", "C", "D", "E"];
        let options: Vec<Choice> = LETTERS
            .iter()
            .zip(texts)
            .map(|(&letter, &text)| Choice { letter, text })
            .collect();
        named_by_words(reply, &options)
    }

    #[test]
    fn an_option_s_own_words_name_it_in_any_order_and_inflection() {
        let intussusception = [
            "Air or contrast enema reduction",
            "Immediate laparotomy",
            "Observation and repeat ultrasound",
        ];
        assert_eq!(
            read(
                "After the ultrasound: radiologically guided air enema reduction.",
                &intussusception
            ),
            Some('A')
        );
        let sodium = ["Fluid restriction", "3% hypertonic saline", "Tolvaptan"];
        assert_eq!(
            read("Start with restricting fluid intake.", &sodium),
            Some('A')
        );
    }

    #[test]
    fn words_of_a_shared_root_name_an_option_in_other_languages() {
        let eclampsia = [
            "Magnesium sulfate",
            "Phenytoin",
            "Diazepam",
            "Labetalol alone",
        ];
        assert_eq!(
            read("El tratamiento es el sulfato de magnesio.", &eclampsia),
            Some('A')
        );
        let hernia = [
            "Indirect inguinal hernia",
            "Direct inguinal hernia",
            "Femoral hernia",
        ];
        assert_eq!(
            read("Sous le ligament inguinal : une hernie fémorale.", &hernia),
            Some('C')
        );
    }

    #[test]
    fn denied_words_and_shared_words_name_nothing() {
        let ttp = [
            "Therapeutic plasma exchange",
            "Platelet transfusion",
            "Urgent splenectomy",
        ];
        assert_eq!(read("Don't transfuse platelets.", &ttp), None);
        let hernia = ["Indirect inguinal hernia", "Direct inguinal hernia"];
        assert_eq!(read("An inguinal hernia.", &hernia), None);
        // Two options' words, neither clearly more.
        let adrenal = ["Phenoxybenzamine before surgery", "Immediate adrenalectomy"];
        assert_eq!(
            read("Phenoxybenzamine, then adrenalectomy.", &adrenal),
            None
        );
        assert!(!same_root("hypertension", "hypertrophic"));
    }
}
