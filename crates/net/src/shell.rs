//! Words quoted for a POSIX shell, so commands we print can be pasted as they are.

use std::borrow::Cow;

/// `word` quoted for a POSIX shell when it needs to be, so printed commands can be pasted.
pub fn shell_word(word: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn quotes_only_what_a_shell_would_split_or_expand() {
        assert_eq!(
            shell_word("Qwen/Qwen2.5-VL-7B-Instruct"),
            "Qwen/Qwen2.5-VL-7B-Instruct"
        );
        assert_eq!(shell_word("my model"), "'my model'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word(""), "''");
    }
}
