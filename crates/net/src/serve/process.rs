//! The engine process, and the signals that tell liveclin to stop it.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::Child;

use super::Launch;
use crate::signals::Interrupts;

/// The running engine. Its output goes to our terminal.
pub struct Server {
    child: Child,
}

/// How a stop ended.
pub enum Stopped {
    /// The engine exited within the grace period (or had already exited).
    Exited(ExitStatus),
    /// The grace period ran out, or a second interrupt came first: the engine's whole
    /// process group was killed.
    Killed,
}

impl Server {
    pub fn spawn(launch: &Launch) -> io::Result<Self> {
        let mut command = tokio::process::Command::new(&launch.program);
        command
            .args(&launch.args)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        // A process group of its own: a Ctrl-C at the terminal reaches only liveclin, so
        // the shutdown is ours to sequence, and the final SIGKILL reaches every worker
        // the engine forked (one per GPU; an orphan would keep its GPU memory).
        #[cfg(unix)]
        command.process_group(0);
        Ok(Server {
            child: command.spawn()?,
        })
    }

    /// Resolves when the engine exits on its own.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// SIGTERM, then up to `grace` for the engine to exit; after that, or at the next
    /// interrupt, SIGKILL to its process group.
    pub async fn stop(
        &mut self,
        grace: Duration,
        interrupts: &mut Interrupts,
    ) -> io::Result<Stopped> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(Stopped::Exited(status));
        }
        self.terminate();
        tokio::select! {
            status = self.child.wait() => return Ok(Stopped::Exited(status?)),
            () = tokio::time::sleep(grace) => {}
            _ = interrupts.recv() => {}
        }
        self.kill_group();
        self.child.wait().await?;
        Ok(Stopped::Killed)
    }

    #[cfg(unix)]
    fn terminate(&mut self) {
        self.send(libc::SIGTERM, false);
    }

    #[cfg(unix)]
    fn kill_group(&mut self) {
        self.send(libc::SIGKILL, true);
    }

    /// Signals the engine (or its process group). Only called while the child is not
    /// reaped, so its pid, which is also its group id, cannot belong to anyone else.
    #[cfg(unix)]
    fn send(&self, signal: libc::c_int, group: bool) {
        let Some(pid) = self
            .child
            .id()
            .and_then(|id| libc::pid_t::try_from(id).ok())
        else {
            return;
        };
        let target = if group { -pid } else { pid };
        // SAFETY: kill(2) has no memory effects; the target is our own child's pid or group.
        unsafe {
            libc::kill(target, signal);
        }
    }

    /// Without POSIX signals there is no polite stop: both steps kill.
    #[cfg(not(unix))]
    fn terminate(&mut self) {
        let _ = self.child.start_kill();
    }

    #[cfg(not(unix))]
    fn kill_group(&mut self) {
        let _ = self.child.start_kill();
    }
}
