//! The choices of the lower crates (`--image-mode`, `--allow-change`, `--reading`,
//! `--color`) as clap values. The crates below the binary know nothing of clap, so the
//! names and the help of each value are given here, next to the flags.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use liveclin_core::analysis::compare::Reading;
use liveclin_core::identity::Setting;
use liveclin_core::prompt::ImageMode;
use liveclin_term::ColorChoice;

/// A closed set of values a flag takes.
pub(crate) trait Choice: Copy + Send + Sync + 'static {
    const ALL: &'static [Self];
    /// As typed on the command line.
    fn name(self) -> &'static str;
    /// The value's line in `--help`.
    fn help(self) -> Option<&'static str> {
        None
    }
}

/// clap's parser of a [`Choice`]: lists the values (with their help) and returns the one
/// typed.
pub(crate) fn parser<T: Choice>() -> impl TypedValueParser<Value = T> {
    // A value without help of its own gets none (an empty one would print as `- model:`).
    let values = T::ALL.iter().map(|&value| {
        let possible = PossibleValue::new(value.name());
        match value.help() {
            Some(help) => possible.help(help),
            None => possible,
        }
    });
    PossibleValuesParser::new(values).map(|name: String| {
        *T::ALL
            .iter()
            .find(|value| value.name() == name)
            .expect("clap accepts only the names listed")
    })
}

impl Choice for ImageMode {
    const ALL: &'static [Self] = &[ImageMode::Url, ImageMode::Local];
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn help(self) -> Option<&'static str> {
        Some(match self {
            ImageMode::Url => "Send each figure's public `url`; the model's server fetches it",
            ImageMode::Local => {
                "Read each figure's `file` under the image root and send it inline as base64"
            }
        })
    }
}

impl Choice for Setting {
    const ALL: &'static [Self] = &Setting::ALL;
    fn name(self) -> &'static str {
        self.flag_name()
    }
}

impl Choice for Reading {
    const ALL: &'static [Self] = &[Reading::Official, Reading::Robust];
    fn name(self) -> &'static str {
        Reading::name(self)
    }
    fn help(self) -> Option<&'static str> {
        Some(match self {
            Reading::Official => {
                "The official tool's answer extraction: `is_correct` (and the stored `correct_mcqs`), the benchmark's numbers"
            }
            Reading::Robust => {
                "Our robust extractor's: `robust_correct`, with case correctness recounted from it"
            }
        })
    }
}

impl Choice for ColorChoice {
    const ALL: &'static [Self] = &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never];
    fn name(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }
    fn help(self) -> Option<&'static str> {
        match self {
            ColorChoice::Auto => Some(
                "When stderr is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it on)",
            ),
            _ => None,
        }
    }
}
