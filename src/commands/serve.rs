//! `liveclin serve sglang|vllm`: start a model server, wait until it answers, print the
//! `evaluate` command for it, supervise it, and stop it cleanly on Ctrl-C (docs/commands.md).

use std::io;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crate::cli::{ServeArgs, ServeCommon};
use crate::exit::Exit;
use liveclin_net::serve::{Probe, Server, Stopped, api_base};
use liveclin_net::shell::shell_word;
use liveclin_net::signals::Interrupts;

/// How the wait for readiness ended.
enum Startup {
    /// The server answered; the model id it gave, if any.
    Ready(Option<String>),
    TimedOut,
    Exited(io::Result<ExitStatus>),
    Interrupted,
}

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<Exit> {
    let launch = args.engine.launch();
    let common = args.engine.common();
    tokio::runtime::Runtime::new()?.block_on(async {
        launch.check_installed().await?;
        let base = api_base(&common.host, common.port);
        let probe = Probe::new(&base)?;
        let mut interrupts = Interrupts::new()?;
        eprintln!("Launching: {launch}\n");
        let mut server = Server::spawn(&launch).map_err(|err| launch.missing(&err))?;
        let started = Instant::now();
        eprintln!("Waiting for the server at {} ...", probe.url);
        let startup = tokio::select! {
            model = tokio::time::timeout(common.timeout, probe.wait(common.poll_interval)) => {
                model.map_or(Startup::TimedOut, Startup::Ready)
            }
            status = server.wait() => Startup::Exited(status),
            _ = interrupts.recv() => Startup::Interrupted,
        };
        let grace = common.grace;
        Ok(match startup {
            Startup::Ready(model) => {
                announce(common, &base, model, started);
                supervise(&mut server, &mut interrupts, grace).await?
            }
            Startup::TimedOut => {
                eprintln!(
                    "{} the server did not answer GET {} within {}",
                    liveclin_term::error(),
                    probe.url,
                    secs(common.timeout)
                );
                shutdown(&mut server, &mut interrupts, grace, Exit::CheckFailed).await?
            }
            Startup::Exited(status) => {
                eprintln!(
                    "{} {} exited with {} before it was ready (its output is above)",
                    liveclin_term::error(),
                    launch.engine,
                    status?
                );
                Exit::CheckFailed
            }
            Startup::Interrupted => {
                shutdown(&mut server, &mut interrupts, grace, Exit::Interrupted).await?
            }
        })
    })
}

/// Prints the `evaluate` command, naming the model as the server does (`model`, from its
/// `/v1/models`); failing that, as the engines do unless told otherwise.
fn announce(common: &ServeCommon, base: &str, model: Option<String>, started: Instant) {
    let model = model
        .or_else(|| common.served_model_name.clone())
        .unwrap_or_else(|| common.model_path.clone());
    // A reader gone from stdout must not stop the supervision of a running server.
    let _ = writeln!(
        crate::output::stdout(),
        "Server ready after {:.0} s: model {model:?} at {base}\nEvaluate with:\n  liveclin evaluate --model {} --api-base {base} --image-mode local",
        started.elapsed().as_secs_f64(),
        shell_word(&model)
    );
    eprintln!("Press Ctrl-C to stop the server.");
}

/// Waits for Ctrl-C (then stops the server) or for the server to exit on its own.
async fn supervise(
    server: &mut Server,
    interrupts: &mut Interrupts,
    grace: Duration,
) -> io::Result<Exit> {
    tokio::select! {
        status = server.wait() => {
            let status = status?;
            eprintln!("The server exited on its own ({status}).");
            Ok(if status.success() { Exit::Success } else { Exit::CheckFailed })
        }
        _ = interrupts.recv() => shutdown(server, interrupts, grace, Exit::Interrupted).await,
    }
}

/// Stops the server, says how it went, and exits with `code`.
async fn shutdown(
    server: &mut Server,
    interrupts: &mut Interrupts,
    grace: Duration,
    code: Exit,
) -> io::Result<Exit> {
    eprintln!("Stopping the server (Ctrl-C again to kill it at once) ...");
    match server.stop(grace, interrupts).await? {
        Stopped::Exited(_) => eprintln!("Server stopped."),
        Stopped::Killed => eprintln!("Server killed, with every process it started."),
    }
    Ok(code)
}

/// "10 s", "0.5 s".
fn secs(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}
