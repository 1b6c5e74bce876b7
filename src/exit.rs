//! Exit statuses: every command ends with one of these, so a script (or a scheduler's
//! retry policy) can tell "fix your input" from "rerun with --resume" from "the disk".

use std::process::ExitCode;

/// How a command ended. The numbers are part of the interface: documented in the
/// README and in `liveclin --help`, never reused for another meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done.
    Success,
    /// The command ran and its check failed: `validate` found problems that would corrupt
    /// an evaluation, `check-vision` found no image mode that works, `serve`'s server
    /// never got ready.
    CheckFailed,
    /// Bad input or usage: a flag, a file, a dataset, an output path. Nothing was spent.
    Usage,
    /// `evaluate` finished, but some cases ended with an error; `--resume` retries them.
    CaseErrors,
    /// `evaluate` could not keep its work (the journal or results file could not be
    /// written); what it held was saved where the message says.
    Io,
    /// Stopped by SIGINT, SIGTERM or SIGHUP after saving what had finished.
    Interrupted,
}

impl Exit {
    pub const fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::CheckFailed => 1,
            Exit::Usage => 2,
            Exit::CaseErrors => 3,
            Exit::Io => 4,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// The exit statuses as `--help` shows them (kept next to the enum so they cannot drift).
pub(crate) const HELP: &str = "Exit status:
  0    success
  1    a check failed (validate found problems, check-vision no working mode, serve never ready)
  2    bad input or usage; nothing was spent
  3    evaluate finished but some cases errored (rerun with --resume to retry them)
  4    evaluate could not keep its work (disk full, unwritable output): see the message
  130  interrupted (SIGINT, SIGTERM, SIGHUP) after saving the finished cases";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_status_once() {
        for exit in [
            Exit::Success,
            Exit::CheckFailed,
            Exit::Usage,
            Exit::CaseErrors,
            Exit::Io,
            Exit::Interrupted,
        ] {
            let line = format!("\n  {:<4} ", exit.code());
            assert_eq!(HELP.matches(&line).count(), 1, "{exit:?}");
        }
    }
}
