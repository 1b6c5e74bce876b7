//! The signals that ask liveclin to stop: SIGINT (Ctrl-C), SIGTERM (what Slurm,
//! Kubernetes, systemd and `timeout` send) and SIGHUP (a closed terminal or SSH session).
//! Each command that runs for long decides what stopping means; none is killed by them.

use std::io;

/// A listener for the stopping signals, installed from its creation on.
pub struct Interrupts {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Interrupts {
    /// Listens from now on: from here, these signals no longer end the process.
    #[cfg(unix)]
    pub fn new() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Interrupts {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    #[cfg(not(unix))]
    pub fn new() -> io::Result<Self> {
        Ok(Interrupts {})
    }

    /// Resolves at the next stopping signal, with its name.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
            _ = self.hup.recv() => "SIGHUP",
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
