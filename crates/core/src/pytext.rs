//! Python's text semantics, where the official tool's numbers or bytes depend on them.
//!
//! The official evaluator is Python: its prompts use `str.strip()` and `str()` of JSON
//! values, its extractor uses `re` with Unicode `\s` and `\b`, and its summary uses
//! `round(x, 4)` and `{:.1%}`. Rust's nearest equivalents differ at the edges (for example
//! `\x1c`..`\x1f` are whitespace to Python, not to Rust), so the few functions that must
//! agree byte for byte live here, each tested against values printed by CPython.

use serde_json::Value;
use unicode_general_category::{GeneralCategory, get_general_category};

/// `str.isspace()`: Unicode White_Space plus the ASCII separators U+001C..U+001F,
/// which Python also counts (their bidirectional class is B or S).
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `str.strip()` with no argument.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// A word character for Python's `re` on `str` patterns (`\w`, and so `\b`):
/// `str.isalnum()` (letters and numbers of every category) or `_`. Unlike Rust's
/// `regex`, combining marks and connector punctuation other than `_` are not word
/// characters.
pub(crate) fn is_word(c: char) -> bool {
    use GeneralCategory::*;
    c == '_'
        || matches!(
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

/// `round(x, 4)`: the exact binary value rounded to 4 decimals, ties to even.
/// Rust's fixed-precision formatting rounds the exact value the same way, so the
/// formatted text parsed back is Python's result.
pub(crate) fn round4(x: f64) -> f64 {
    format!("{x:.4}").parse().expect("a formatted float parses")
}

/// The official accuracy: `round(correct / total, 4)`, or 0 when nothing was counted.
pub fn accuracy(correct: i64, total: i64) -> f64 {
    if total > 0 {
        round4(correct as f64 / total as f64)
    } else {
        0.0
    }
}

/// `f"{x:.1%}"`: the float multiplied by 100 (in binary), then one decimal.
pub fn percent1(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// `repr(float)`: the shortest digits that read back to the same value, in fixed notation
/// with at least one decimal when the decimal exponent is in -4..16, else scientific with
/// a signed two-digit exponent (`1e-05`, `1.5e+16`).
pub(crate) fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // Python's decpt: the value is 0.DIGITS * 10^decpt.
    let decpt = exp + 1;
    if (-3..=16).contains(&decpt) {
        let n = digits.len() as i32;
        let body = if decpt <= 0 {
            format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
        } else if decpt >= n {
            format!("{}{}.0", digits, "0".repeat((decpt - n) as usize))
        } else {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

/// Python truthiness of a decoded JSON value (`if value:`).
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `str(value)` of a value decoded by Python's `json` module, as an f-string prints it:
/// `None`, `True`, `3`, `1.5`, `['a', 1]`.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// `repr(value)` of a decoded JSON value (strings quoted, as inside a list or dict).
fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => float_repr(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => str_repr(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// `repr(str)`: single quotes unless the text holds a single quote and no double quote;
/// backslash, the quote in use and control characters escaped.
fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `str.upper()` of a single character the extractor matched. Python's `re` with
/// IGNORECASE lets `[A-J]` match the dotless `ı` (its upper case is `I`) and the dotted
/// `İ` (its own upper case); every other match is an ASCII letter.
pub(crate) fn upper_letter(c: char) -> String {
    c.to_uppercase().collect()
}

/// Python's `str.capitalize()`: first character upper-cased, the rest lower-cased.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Python's `s[:n]` on a `str`: the first `n` code points.
pub fn prefix_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strip_matches_python_isspace() {
        assert_eq!(strip("\u{1c}\u{a0} x \u{85}\u{3000}"), "x");
        assert_eq!(strip("\u{200b}x"), "\u{200b}x"); // zero-width space is not a space
    }

    #[test]
    fn word_characters_follow_python() {
        assert!(is_word('é') && is_word('中') && is_word('²') && is_word('_'));
        assert!(!is_word('\u{301}')); // combining acute: a word char to Rust's regex, not Python
        assert!(!is_word('‿') && !is_word('-'));
    }

    #[test]
    fn round4_is_python_round() {
        // Values printed by CPython 3.11: round(x, 4).
        assert_eq!(round4(1.0 / 32.0), 0.0312);
        assert_eq!(round4(0.12345), 0.1235);
        assert_eq!(round4(3.0 / 160.0), 0.0187);
        assert_eq!(round4(0.00005), 0.0001);
        assert_eq!(round4(0.00015), 0.0001);
        assert_eq!(round4(2.0 / 3.0), 0.6667);
        assert_eq!(accuracy(0, 0), 0.0);
    }

    #[test]
    fn percent_matches_python_format() {
        assert_eq!(percent1(0.0312), "3.1%");
        assert_eq!(percent1(0.3075), "30.8%");
        assert_eq!(percent1(0.0), "0.0%");
        assert_eq!(percent1(1.0), "100.0%");
        assert_eq!(percent1(0.00125), "0.1%"); // 0.125 exactly would tie; 0.00125*100 is above
    }

    #[test]
    fn float_repr_matches_python() {
        for (x, want) in [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e-7, "1.5e-07"),
            (2.5e300, "2.5e+300"),
        ] {
            assert_eq!(float_repr(x), want, "{x}");
        }
    }

    #[test]
    fn py_str_of_json_values() {
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!(12)), "12");
        assert_eq!(py_str(&json!(2.50)), "2.5");
        assert_eq!(py_str(&json!("x")), "x");
        assert_eq!(py_str(&json!(["a", 1, null])), "['a', 1, None]");
        assert_eq!(py_str(&json!({"k": "it's"})), "{'k': \"it's\"}");
    }

    #[test]
    fn capitalize_and_prefix() {
        assert_eq!(capitalize("unRARE"), "Unrare");
        assert_eq!(prefix_chars("Chapter é", 9), "Chapter é");
        assert_eq!(prefix_chars("abcdef", 3), "abc");
        assert_eq!(upper_letter('ı'), "I");
    }
}
