//! What a command prints on stdout, written so that a reader going away ends the
//! command quietly.
//!
//! `liveclin report r.json | head -1` closes the pipe after one line. Rust ignores
//! SIGPIPE, so the next write fails with `BrokenPipe`; `println!` would panic on it, and
//! a plain `?` would end in "error: Broken pipe" with exit status 2. Writes through
//! [`stdout`] turn that failure into [`StdoutClosed`], which the binary's `main` ends
//! with exit status 0 and no message, as `rg` and `cargo` do. SIGPIPE is deliberately
//! not reset to its default: that would kill a long `evaluate` whose stdout closed, with
//! its results unwritten, instead of letting it finish and keep them.
//!
//! `write!(output::stdout(), ...)?` and `writeln!(...)?` work as with `std::io::Write`,
//! but give an `anyhow::Error`.

use std::fmt;
use std::io::{self, Write as _};

/// Stdout was closed by its reader (`EPIPE`): nobody reads what the command prints.
/// Not a failure of the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub(crate) struct StdoutClosed;

/// Whether `err` is (or was caused by) a closed stdout.
pub(crate) fn is_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<StdoutClosed>())
}

/// The locked stdout, for one print or a whole command's output.
pub(crate) fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

/// A locked stdout whose `write_fmt` (what `write!` and `writeln!` call) names a closed
/// pipe as [`StdoutClosed`] and any other failure as a failure to write stdout.
pub(crate) struct Stdout(io::StdoutLock<'static>);

impl Stdout {
    /// Writes formatted text; called by `write!` and `writeln!`.
    pub(crate) fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> anyhow::Result<()> {
        self.0.write_fmt(args).map_err(classify)
    }

    /// Writes out what is buffered (a last line without its newline).
    pub(crate) fn flush(&mut self) -> anyhow::Result<()> {
        self.0.flush().map_err(classify)
    }
}

/// A closed pipe is [`StdoutClosed`]; anything else (a full disk behind `> file`) is an
/// error worth reporting.
fn classify(err: io::Error) -> anyhow::Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(err).context("cannot write to standard output")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_broken_pipe_is_a_closed_stdout() {
        let closed = classify(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_closed(&closed));
        assert!(is_closed(&closed.context("printing the summary")));
        let full = classify(io::Error::from(io::ErrorKind::StorageFull));
        assert!(!is_closed(&full));
        assert!(format!("{full:#}").starts_with("cannot write to standard output: "));
        // A broken pipe elsewhere (a server's socket, a child's stdin) is a real error.
        assert!(!is_closed(
            &io::Error::from(io::ErrorKind::BrokenPipe).into()
        ));
    }
}
