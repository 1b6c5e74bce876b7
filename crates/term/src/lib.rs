//! How liveclin speaks on the terminal: whether it colours (`--color`, `NO_COLOR`,
//! `CLICOLOR_FORCE`) and how much it says (`-q`, `-v`). Set once by `main` from the global
//! flags; read anywhere. Colour only ever goes to a terminal, never into a file or a pipe,
//! and never into the official summary on stdout.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// When stderr is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it on).
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    color: bool,
    /// -1 quiet, 0 normal, 1 and more verbose.
    verbosity: i8,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Records the global flags (the first call wins).
pub fn init(choice: ColorChoice, quiet: u8, verbose: u8) {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let color = colour(
        choice,
        env("NO_COLOR").is_some(),
        env("CLICOLOR_FORCE").is_some_and(|v| v != "0"),
        std::io::stderr().is_terminal(),
    );
    let verbosity = if quiet > 0 { -1 } else { verbose.min(9) as i8 };
    let _ = SETTINGS.set(Settings { color, verbosity });
}

/// Whether stderr gets colour: `--color` first, then NO_COLOR, then CLICOLOR_FORCE, then
/// whether stderr is a terminal.
fn colour(choice: ColorChoice, no_color: bool, force: bool, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && (force || terminal),
    }
}

fn settings() -> Settings {
    SETTINGS.get().copied().unwrap_or(Settings {
        color: false,
        verbosity: 0,
    })
}

/// `-q`: say only warnings, errors and results.
pub fn quiet() -> bool {
    settings().verbosity < 0
}

/// `-v` given at least `level` times.
pub fn verbose(level: i8) -> bool {
    settings().verbosity >= level
}

/// Prints a line on stderr unless `-q`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::quiet() {
            eprintln!($($arg)*);
        }
    };
}

fn paint(text: &str, code: &str) -> String {
    if settings().color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `error:` in bold red on a colour terminal.
pub fn error() -> String {
    paint("error:", "1;31")
}

/// `Warning:` in bold yellow on a colour terminal.
pub fn warning() -> String {
    paint("Warning:", "1;33")
}

/// A headline number in bold on a colour terminal.
pub fn strong(text: &str) -> String {
    paint(text, "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
        use ColorChoice::*;
        assert!(colour(Always, true, false, false));
        assert!(!colour(Never, false, true, true));
        assert!(
            !colour(Auto, true, true, true),
            "NO_COLOR wins over CLICOLOR_FORCE"
        );
        assert!(
            colour(Auto, false, true, false),
            "CLICOLOR_FORCE colours a pipe"
        );
        assert!(colour(Auto, false, false, true));
        assert!(!colour(Auto, false, false, false));
    }
}
