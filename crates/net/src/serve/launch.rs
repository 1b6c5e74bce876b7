//! Each engine's command line, and the check that the engine is installed.

use crate::shell::shell_word;
use std::fmt;
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::anyhow;

/// Asks the interpreter whether it can find `sglang` without importing it: importing
/// would take seconds and may initialise CUDA, `find_spec` only looks at the paths.
const SGLANG_CHECK: &str =
    "import importlib.util, sys; sys.exit(importlib.util.find_spec('sglang') is None)";

/// The engine to start, with what only it is told.
#[derive(Debug, Clone)]
pub enum Engine {
    /// `PYTHON -m sglang.launch_server ... --log-level LOG_LEVEL`.
    Sglang { python: PathBuf, log_level: String },
    /// `VLLM_BIN serve ...`.
    Vllm { vllm_bin: PathBuf },
}

/// What every engine is told about the model and where to serve it.
#[derive(Debug, Clone)]
pub struct ServedModel {
    /// A local directory or a Hugging Face model id.
    pub path: String,
    /// Tensor-parallel size.
    pub tp: u32,
    /// Data-parallel size.
    pub dp: u32,
    pub port: u16,
    pub host: String,
    /// `--served-model-name`, when the engine's default (the path) is not wanted.
    pub served_name: Option<String>,
    /// Passed unchanged after the engine's own flags.
    pub engine_args: Vec<String>,
}

/// One engine command line, ready to spawn.
pub struct Launch {
    /// "SGLang" or "vLLM", for messages.
    pub engine: &'static str,
    pub(crate) program: PathBuf,
    pub args: Vec<String>,
    /// The flag that names `program`, for messages that say how to point elsewhere.
    program_flag: &'static str,
    install: &'static str,
    /// Arguments that make `program` exit 0 only if the engine is installed.
    check: Option<[&'static str; 2]>,
}

impl Launch {
    /// SGLang gets the official helper's flags (docs/commands.md); vLLM the same settings under
    /// its own names. `--served-model-name` and the arguments after `--` come last.
    pub fn new(engine: &Engine, model: &ServedModel) -> Self {
        let tp = model.tp.to_string();
        let dp = model.dp.to_string();
        let port = model.port.to_string();
        let mut launch = match engine {
            Engine::Sglang { python, log_level } => {
                let args = [
                    "-m",
                    "sglang.launch_server",
                    "--model-path",
                    &model.path,
                    "--tp",
                    &tp,
                    "--dp",
                    &dp,
                    "--port",
                    &port,
                    "--host",
                    &model.host,
                    "--trust-remote-code",
                    "--enable-multimodal",
                    "--log-level",
                    log_level,
                ];
                Launch {
                    engine: "SGLang",
                    program: python.clone(),
                    args: args.map(String::from).to_vec(),
                    program_flag: "--python",
                    install: "pip install \"sglang[all]\"",
                    check: Some(["-c", SGLANG_CHECK]),
                }
            }
            Engine::Vllm { vllm_bin } => {
                let args = [
                    "serve",
                    &model.path,
                    "--tensor-parallel-size",
                    &tp,
                    "--data-parallel-size",
                    &dp,
                    "--port",
                    &port,
                    "--host",
                    &model.host,
                    "--trust-remote-code",
                ];
                Launch {
                    engine: "vLLM",
                    program: vllm_bin.clone(),
                    args: args.map(String::from).to_vec(),
                    program_flag: "--vllm-bin",
                    install: "pip install vllm",
                    check: None,
                }
            }
        };
        if let Some(name) = &model.served_name {
            launch
                .args
                .extend(["--served-model-name".into(), name.clone()]);
        }
        launch.args.extend(model.engine_args.iter().cloned());
        launch
    }

    /// Fails with the install command when the engine cannot be run. SGLang is a Python
    /// package, so its interpreter is asked; an executable (vLLM) is found when spawned.
    pub async fn check_installed(&self) -> anyhow::Result<()> {
        let Some(check) = self.check else {
            return Ok(());
        };
        let status = tokio::process::Command::new(&self.program)
            .args(check)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .map_err(|err| self.missing(&err))?;
        if status.success() {
            return Ok(());
        }
        Err(anyhow!(
            "{} is not installed for {}. Install it with: {} (or pass {} with the interpreter of the environment that has it)",
            self.engine,
            self.program.display(),
            self.install,
            self.program_flag
        ))
    }

    /// The message for a program that could not be started at all.
    pub fn missing(&self, err: &std::io::Error) -> anyhow::Error {
        anyhow!(
            "cannot run {} ({err}). Install {} with: {} (or pass {} with the path of the program to use)",
            self.program.display(),
            self.engine,
            self.install,
            self.program_flag
        )
    }
}

/// The command line as a shell would take it back.
impl fmt::Display for Launch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", shell_word(&self.program.to_string_lossy()))?;
        for arg in &self.args {
            write!(f, " {}", shell_word(arg))?;
        }
        Ok(())
    }
}
