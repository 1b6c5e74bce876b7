//! Command-line definitions: raw arguments to typed settings. No work happens here.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use liveclin_core::analysis::compare::Reading;
use liveclin_core::cost::picture::ImageTokens;
use liveclin_core::cost::price::Price;
use liveclin_core::identity::Setting;
use liveclin_term::ColorChoice;

use crate::choice;

use liveclin_core::dataset::paths::DEFAULT_CONFIG;
use liveclin_core::prompt::ImageMode;
use liveclin_net::client::call_seconds;
use liveclin_net::hub::{
    DATASET_REPO, DEFAULT_ENDPOINT, DEFAULT_JOBS, DEFAULT_REVISION, HubSettings,
};
use liveclin_net::serve::{Engine, Launch, ServedModel};
use liveclin_net::shard::ShardArg;

#[derive(Debug, Parser)]
#[command(
    name = "liveclin",
    version,
    after_help = crate::exit::HELP,
    about = "LiveClin benchmark harness: validate a dataset config, inspect its prompts, score and report results.",
    long_about = "LiveClin benchmark harness.\n\nScores vision-language models on LiveClin, a live clinical benchmark of multi-turn \
                  multiple-choice cases with images and tables. Numbers, prompts and results files match the official \
                  Python evaluator (AQ-MedAI/LiveClin)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to colour warnings, errors and headlines on stderr (never in files or pipes;
    /// NO_COLOR turns it off, CLICOLOR_FORCE on).
    #[arg(
        long,
        global = true,
        value_parser = choice::parser::<ColorChoice>(),
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: ColorChoice,
    /// Say less: no progress or notes on stderr, only warnings, errors and results.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Say more (repeat for more): `evaluate -v` prints every retry and every picture not
    /// sent, with its reason.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the bundled demo end to end against the built-in mock model
    ///
    /// The full evaluation of the demo config (16 fictional cases) against a deterministic
    /// mock model served on 127.0.0.1: no key, no network.
    Demo(DemoArgs),
    /// Fetch a dataset config from the Hugging Face Hub
    ///
    /// Into DATA_DIR/data/<config>/: only that config, pinned to one commit, verified,
    /// resumable. `evaluate`, `validate` and `prompts` do the same on their own when the
    /// config is missing.
    Download(DownloadArgs),
    /// Check a dataset config before spending money on it
    ///
    /// Counts, coverage, images, and every schema problem with its line number. Exits 1 if
    /// an evaluation would be corrupted.
    Validate(ValidateArgs),
    /// Start a model server (SGLang or vLLM) and print the command to evaluate it
    ///
    /// Waits until the server answers, prints the `evaluate` command to run against it, and
    /// stops it cleanly on Ctrl-C. Exits 1 if the server never got ready, 2 if the engine is
    /// not installed, 130 after Ctrl-C.
    Serve(ServeArgs),
    /// Check that a model sees pictures, and which --image-mode to use
    ///
    /// In each image mode and in every way LiveClin sends them. Exits 0 when at least one
    /// mode works, 1 when none does, 2 when the endpoint cannot be used at all.
    CheckVision(CheckVisionArgs),
    /// Score a model on a config over an OpenAI-compatible chat API
    ///
    /// Every case as one conversation, many cases at once, crash-safe and resumable. Exits
    /// 0 when every case finished without error, 3 when some cases errored (rerun with
    /// --resume), 4 when the journal or results could not be written, 130 when stopped by a
    /// signal, 2 on bad input.
    Evaluate(EvaluateArgs),
    /// Print the official summary of a results file (ours or the official tool's)
    Report(ReportArgs),
    /// Compare runs side by side, with paired intervals for every difference
    ///
    /// Over the cases all the results files have: every breakdown, and each difference
    /// with a paired bootstrap interval and p-value.
    Compare(CompareArgs),
    /// Join the results of the shards of one run into one results file
    ///
    /// For `evaluate --shard K/N`: refuses overlaps, lists cases no shard ran, and prints
    /// the summary.
    Merge(MergeArgs),
    /// Show the exact turns (text and pictures) that would be sent for chosen cases
    Prompts(PromptsArgs),
    /// Count what a run would send and cost, without calling anyone
    ///
    /// Requests, bytes, pictures, input tokens (text by o200k_base, pictures by a
    /// provider's rule at their real sizes), the prompt-cache-eligible share, the output
    /// assumed, the cost at --price and the least time under --rpm/--tpm limits.
    Estimate(EstimateArgs),
    /// Run both answer extractors on a reply, or measure them on a labelled corpus
    Extract(ExtractArgs),
    /// Serve a deterministic OpenAI-compatible mock model on 127.0.0.1 (demos and tests)
    MockServer(MockServerArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    ///
    /// For example `liveclin completions bash > ~/.local/share/bash-completion/completions/liveclin`.
    Completions(CompletionsArgs),
}

/// Where the dataset config is; the same flags and precedence as the official evaluator.
#[derive(Debug, Args, Clone)]
pub(crate) struct DataArgs {
    /// Dataset config name (a folder `data/<config>/` of the dataset repo).
    #[arg(long, default_value = DEFAULT_CONFIG)]
    pub dataset: String,
    /// Root of the local dataset copy: the config is read from
    /// DATA_DIR/data/<config>/<config>.jsonl with images under DATA_DIR/data/<config>/image/.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Override: the JSONL file to read (beats --data-dir).
    #[arg(long)]
    pub jsonl_path: Option<PathBuf>,
    /// Override: the image directory (beats --data-dir).
    #[arg(long)]
    pub image_root: Option<PathBuf>,
    /// Where a missing config is downloaded from.
    #[command(flatten)]
    pub hub: HubArgs,
}

/// The heading of the Hub flags in `--help`: set on each flag (not as the next heading),
/// so the flags declared after them keep their own heading.
const HUB_HEADING: &str = "Hugging Face Hub (where a missing config is downloaded from)";

/// The Hugging Face Hub source of the dataset: used by `download`, and by `evaluate`,
/// `validate` and `prompts` when the config is not on disk yet.
#[derive(Debug, Args, Clone)]
pub(crate) struct HubArgs {
    /// The dataset repo on the Hub.
    #[arg(long, help_heading = HUB_HEADING, value_name = "OWNER/NAME", default_value = DATASET_REPO)]
    pub hf_repo: String,
    /// Branch, tag or commit to download. It is resolved to one commit once, and every
    /// file comes from that commit (recorded next to the data; `validate` shows it).
    #[arg(long, help_heading = HUB_HEADING, default_value = DEFAULT_REVISION)]
    pub revision: String,
    /// Access token for a gated or private repo (default: $HF_TOKEN, else the token saved
    /// by `huggingface-cli login`). Sent only to the Hub itself, never written anywhere.
    #[arg(long, help_heading = HUB_HEADING, env = "HF_TOKEN", hide_env_values = true)]
    pub hf_token: Option<String>,
    /// The Hub's address (set HF_ENDPOINT for a mirror).
    #[arg(long, help_heading = HUB_HEADING, env = "HF_ENDPOINT", hide_env_values = true, default_value = DEFAULT_ENDPOINT)]
    pub hf_endpoint: String,
    /// Never touch the network; use only the local copy (also HF_HUB_OFFLINE=1).
    #[arg(long, help_heading = HUB_HEADING)]
    pub offline: bool,
}

impl HubArgs {
    /// What the flags ask of the Hub.
    pub(crate) fn settings(&self) -> HubSettings {
        HubSettings {
            repo: self.hf_repo.clone(),
            revision: self.revision.clone(),
            token: self.hf_token.clone(),
            endpoint: self.hf_endpoint.clone(),
            offline: self.offline,
        }
    }
}

/// One command's arguments as a list of words (no program name) would give them: how a
/// command that runs another's code path gets that command's settings (`demo` runs
/// `evaluate`). Every flag the words leave out takes its own default, written once, in
/// its `#[arg]`.
pub(crate) fn parse_words<T: Args>(
    words: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> Result<T, clap::Error> {
    #[derive(Parser)]
    #[command(no_binary_name = true)]
    struct Words<T: Args> {
        #[command(flatten)]
        args: T,
    }
    Ok(Words::<T>::try_parse_from(words)?.args)
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// Dataset config name (the folder `data/<config>/` of the dataset repo).
    #[arg(long, default_value = DEFAULT_CONFIG)]
    pub dataset: String,
    /// Root of the local copy: files land in DATA_DIR/data/<config>/ (the repo's layout).
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Re-check every local file against the listing (size and hash) and fetch again the
    /// ones that differ. With --offline, checks against the recorded listing only.
    #[arg(long)]
    pub verify: bool,
    /// Files downloaded at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = DEFAULT_JOBS, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    #[command(flatten)]
    pub hub: HubArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Print the report as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PromptsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// How pictures are sent: `url` (public URLs) or `local` (files as base64 data URIs).
    #[arg(long, value_parser = choice::parser::<ImageMode>(), default_value = "local")]
    pub image_mode: ImageMode,
    /// Show only this case (its case id; repeat the flag for several).
    #[arg(long = "case", value_name = "ID")]
    pub cases: Vec<String>,
    /// Show at most N cases (the first N, after --case).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print one JSON object per case: its id and the list of user-message contents
    /// exactly as they would be sent.
    #[arg(long)]
    pub json: bool,
    /// In --json output, shorten base64 data URIs to their first characters (display only;
    /// real requests always carry the whole image).
    #[arg(long)]
    pub short_data_uris: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EstimateArgs {
    /// Model name, as the API knows it (it is in every request's bytes; an OpenAI model's
    /// own tokenizer is o200k_base, for any other the text tokens are an approximation).
    #[arg(long, short = 'm')]
    pub model: String,
    /// How pictures would be sent: `url` (public URLs) or `local` (files as base64 data
    /// URIs, which make the requests large).
    #[arg(long, value_parser = choice::parser::<ImageMode>())]
    pub image_mode: ImageMode,
    #[command(flatten)]
    pub data: DataArgs,
    /// Max tokens per reply, as for `evaluate` (in each request's bytes; caps
    /// --expect-output).
    #[arg(long, default_value_t = 16384)]
    pub max_tokens: u64,
    /// Count only the first N cases (as `evaluate --limit`).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Count only shard K of N (as `evaluate --shard`).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<ShardArg>,
    /// With --shard auto: the number of shards (as `evaluate --shard-count`).
    #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u32).range(1..))]
    pub shard_count: Option<u32>,
    /// Tokens assumed for every reply: its output, and its share of every later turn's
    /// input (each turn resends the conversation). A model answering with a letter and a
    /// line writes under 100; a reasoning model thousands.
    #[arg(long, value_name = "TOKENS", default_value_t = 1000)]
    pub expect_output: u64,
    /// How a picture's input tokens are counted, at its real size: `openai` (512-px tiles
    /// at high detail), `anthropic` (width x height / 750), `gemini` (258 a picture) or a
    /// fixed number of tokens a picture.
    #[arg(
        long,
        value_name = "openai|anthropic|gemini|N",
        default_value = "openai"
    )]
    pub image_tokens: ImageTokens,
    /// Prices in USD per million tokens: input, output and optionally cached input (e.g.
    /// 2.5,10,1.25); the cost is then printed.
    #[arg(long, value_name = "INPUT,OUTPUT[,CACHED]")]
    pub price: Option<Price>,
    /// The provider's requests-per-minute limit: the least wall time is printed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub rpm: Option<u64>,
    /// The provider's tokens-per-minute limit (input and output): the least wall time is
    /// printed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub tpm: Option<u64>,
    /// Print the estimate as one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The shards' results files (from `liveclin evaluate --shard`, or any results files
    /// of disjoint case sets of one model and config).
    #[arg(required = true, value_name = "RESULTS")]
    pub results: Vec<PathBuf>,
    /// Where to write the merged results file.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// The config the shards ran (default: the `dataset` their files name). Used to list
    /// cases no shard ran and to keep the dataset's case order.
    #[arg(long)]
    pub dataset: Option<String>,
    /// Root of the local dataset copy (as for `evaluate`).
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Override: the config's JSONL file.
    #[arg(long)]
    pub jsonl_path: Option<PathBuf>,
    #[command(flatten)]
    pub hub: HubArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// Two or more results files (ours or the official tool's), the first the baseline.
    #[arg(required = true, num_args = 2.., value_name = "RESULTS")]
    pub results: Vec<PathBuf>,
    /// Print the comparison as JSON (every group, every pair) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// In the table and the page's forest plots, every pair of runs (default: each run
    /// against the first).
    #[arg(long)]
    pub all_pairs: bool,
    /// Which verdict of each MCQ is counted: `official` (the official answer extraction,
    /// `is_correct`) or `robust` (our robust extractor's, `robust_correct`, with case
    /// correctness recounted from it). `robust` refuses runs that lack it (the official
    /// tool's files).
    #[arg(long, value_parser = choice::parser::<Reading>(), value_name = "READING", default_value = "official")]
    pub reading: Reading,
    /// Bootstrap resamples (100 to 1,000,000: each costs memory and time per case).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    pub resamples: u32,
    /// Seed of the bootstrap (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also write one self-contained HTML page of the comparison (the runs and the
    /// warnings, the headline differences, per breakdown a chart with a bar per run and a
    /// forest plot of the differences): it loads nothing from the network. `--html`
    /// alone writes results/compare-<first>-vs-<second>.html; `--html=PATH` chooses.
    #[arg(long, value_name = "OUT.html", num_args = 0..=1, require_equals = true)]
    pub html: Option<Option<PathBuf>>,
}

#[derive(Debug, Args)]
#[command(mut_arg("dataset", |arg| arg
    .help(format!("Dataset config name, for the --html transcripts (default: the results file's `meta.dataset`, else {DEFAULT_CONFIG})"))
    .hide_default_value(true)))]
// `report` never downloads: the Hub flags it shares with the dataset flags are hidden.
#[command(mut_arg("hf_repo", |a| a.hide(true)), mut_arg("revision", |a| a.hide(true)),
    mut_arg("hf_token", |a| a.hide(true)), mut_arg("hf_endpoint", |a| a.hide(true)),
    mut_arg("offline", |a| a.hide(true)))]
pub(crate) struct ReportArgs {
    /// A results JSON file written by `liveclin evaluate` or by the official evaluate.py.
    pub results: PathBuf,
    /// Print only the summary object (the official `summary` keys and values) as JSON.
    #[arg(long)]
    pub json: bool,
    /// After the summary, also print the 95% interval of every group of every breakdown
    /// (on stderr, as the headline intervals, outcomes and multi-turn diagnostics).
    #[arg(long)]
    pub ci: bool,
    /// Also write one self-contained HTML report (headline numbers, a chart per
    /// breakdown, multi-turn diagnostics, every case's conversation, filters): it loads
    /// nothing from the network, so it opens offline and can be shared as one file. The
    /// questions of the transcripts come from the dataset flags below (the config
    /// defaults to the results file's `meta.dataset`). `--html` alone writes
    /// results/<results file's name>.html; `--html=PATH` chooses.
    #[arg(long, value_name = "OUT.html", num_args = 0..=1, require_equals = true)]
    pub html: Option<Option<PathBuf>>,
    /// With --html: reference values drawn as dashed lines, a JSON object such as
    /// {"label": "Physicians (published)", "question_accuracy": 0.62, "case_accuracy":
    /// 0.31, "by_chapter": {"Chapter 2: Neoplasms": 0.40}} (any summary breakdown, group
    /// name to value, values as fractions).
    #[arg(long, value_name = "FILE", requires = "html")]
    pub reference: Option<PathBuf>,
    /// Prices in USD per million tokens, INPUT,OUTPUT[,CACHED] (e.g. 2.5,10,1.25), for
    /// the cost of the tokens the replies reported (instead of the price the run
    /// recorded in `meta.price`, if any); cached prompt tokens at CACHED, else at INPUT.
    #[arg(long, value_name = "INPUT,OUTPUT[,CACHED]", value_parser = price)]
    pub price: Option<Price>,
    /// Where the dataset config is, for the question texts of the --html transcripts
    /// (--dataset defaults to the results file's `meta.dataset`; nothing is downloaded).
    #[command(flatten)]
    pub data: ReportDataArgs,
}

/// The dataset flags of `report`, and whether `--dataset` was typed: `report` defaults
/// the config to the results file's own (`meta.dataset`), which the flags' own default
/// (the demo config) cannot say. The same flags, with the same help, as every command's.
#[derive(Debug, Clone)]
pub(crate) struct ReportDataArgs {
    pub flags: DataArgs,
    /// `--dataset` as given on the command line; `None` when left to its default.
    pub dataset: Option<String>,
}

impl clap::FromArgMatches for ReportDataArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        use clap::parser::ValueSource;
        let typed = matches.value_source("dataset") == Some(ValueSource::CommandLine);
        let flags = DataArgs::from_arg_matches(matches)?;
        Ok(ReportDataArgs {
            dataset: typed.then(|| flags.dataset.clone()),
            flags,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = ReportDataArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for ReportDataArgs {
    fn group_id() -> Option<clap::Id> {
        DataArgs::group_id()
    }

    fn augment_args(cmd: clap::Command) -> clap::Command {
        DataArgs::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        DataArgs::augment_args_for_update(cmd)
    }
}

#[derive(Debug, Args)]
pub(crate) struct ExtractArgs {
    /// The reply text; read from standard input when absent.
    pub reply: Option<String>,
    /// The question's option letters, e.g. ABCDE (default A-J).
    #[arg(long, default_value = "ABCDEFGHIJ")]
    pub options: String,
    /// Measure both extractors on a labelled corpus (JSONL with `reply`, `options`, `label`,
    /// `style`) instead of reading one reply.
    #[arg(long, value_name = "FILE", conflicts_with = "reply")]
    pub corpus: Option<PathBuf>,
    /// With --corpus, list every reply the robust extractor gets wrong.
    #[arg(long, requires = "corpus")]
    pub misses: bool,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct EvaluateArgs {
    /// Model name, as the API knows it.
    #[arg(long, short = 'm')]
    pub model: String,
    /// API base URL, e.g. https://api.openai.com/v1 or http://localhost:8000/v1. Give it
    /// several times for replicas of the same model (say one per GPU node): each case
    /// stays on one endpoint for all its turns, new cases go to the least-loaded one, and
    /// one that keeps failing is rested while its cases continue on the others.
    #[arg(long, required_unless_present_any = ["batch_export", "batch_import"], value_name = "URL", value_parser = http_url)]
    pub api_base: Vec<String>,
    /// API key (default: $LIVECLIN_API_KEY, then $OPENAI_API_KEY, then "token"). Never
    /// written to any file or log.
    #[arg(long, hide_env_values = true)]
    pub api_key: Option<String>,
    /// How pictures are sent: `url` (public URLs) or `local` (files as base64 data URIs).
    #[arg(long, value_parser = choice::parser::<ImageMode>())]
    pub image_mode: ImageMode,
    #[command(flatten)]
    pub data: DataArgs,
    /// Cases in flight at once, over all endpoints. An endpoint that keeps answering 429
    /// gets fewer for a while (halved, then raised by one per round of answers).
    #[arg(long, short = 'c', value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// Results JSON (default: results/<model, with / and spaces as _>_<dataset>.json). The
    /// journal of finished turns is written next to it as <output>.journal.jsonl, and
    /// <output>.lock while the run lasts. Must be a regular file or not exist.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Keep every case that finished without error and run the rest; a case interrupted
    /// after k answered turns continues at turn k+1. Reads our journal and results file,
    /// or a results file written by the official evaluate.py. Refused when the earlier
    /// run's settings (model, image mode, dataset, pictures, temperature, max tokens,
    /// extra body, liveclin version) differ from this run's.
    #[arg(long)]
    pub resume: bool,
    /// Start afresh even though --output holds an earlier run: its results and journal
    /// are moved to a numbered backup (<name>.backup-N.json), never deleted. Without it,
    /// a run refuses to start over earlier work.
    #[arg(long, conflicts_with = "resume")]
    pub overwrite: bool,
    /// With --resume: keep the earlier answers although this setting differs (repeat for
    /// several). The results file records the accepted changes.
    #[arg(long, value_parser = choice::parser::<Setting>(), value_name = "SETTING", requires = "resume")]
    pub allow_change: Vec<Setting>,
    /// Tries per question, and API calls per try (as the official tool).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_retries: u32,
    /// Sampling temperature (0 to 2).
    #[arg(long, default_value_t = 0.0, value_parser = temperature)]
    pub temperature: f64,
    /// Max tokens per reply.
    #[arg(long, default_value_t = 16384)]
    pub max_tokens: u64,
    /// Seconds before an API call is abandoned (and retried), 1 to 86400.
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = call_seconds)]
    pub timeout: Duration,
    /// The longest wait honoured when a server asks for one (Retry-After), in seconds (1
    /// to 86400); a server asking for more is told once, and waited for this long.
    #[arg(long, value_name = "SECONDS", default_value = "600", value_parser = call_seconds)]
    pub max_wait: Duration,
    /// Requests per minute allowed per endpoint: calls are held back to stay under it
    /// (a second's worth may go at once). Without it, a limit the provider states in
    /// its x-ratelimit-* headers is still followed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub rpm: Option<u64>,
    /// Tokens per minute allowed per endpoint, counted as a request's estimated prompt
    /// tokens (o200k_base, pictures by OpenAI's rule, as `estimate` counts them) plus
    /// --max-tokens, as OpenAI counts them: calls are held back to stay under it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub tpm: Option<u64>,
    /// Ignore the x-ratelimit-* headers a provider sends: calls are not held back (the
    /// provider's 429s still slow the run down).
    #[arg(long, conflicts_with_all = ["rpm", "tpm"])]
    pub no_pacing: bool,
    /// Seconds between plain progress lines when stderr is not a terminal (a Slurm log,
    /// nohup, CI); on a terminal a progress bar is drawn instead.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = progress_interval)]
    pub progress_interval: f64,
    /// After the summary, also print the 95% interval of every group of every breakdown
    /// (the headline numbers' are always printed; all are in the results file).
    #[arg(long)]
    pub ci: bool,
    /// Evaluate only the first N cases (a dry run).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Run only shard K of N (e.g. 2/4): a fixed share of the cases chosen by a hash of
    /// the case id, the same on every machine. Run each shard anywhere, then join the
    /// results with `liveclin merge`. The default output gets a `_shard-K-of-N` suffix.
    /// `auto`: K and N from a Slurm job array ($SLURM_ARRAY_TASK_ID with
    /// $SLURM_ARRAY_TASK_MIN/MAX/COUNT) or a Kubernetes Indexed Job ($JOB_COMPLETION_INDEX
    /// with --shard-count).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<ShardArg>,
    /// With --shard auto: the number of shards, which a Kubernetes Indexed Job does not
    /// export (its `completions`); default $LIVECLIN_SHARD_COUNT. Under Slurm it is
    /// checked against the array.
    #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u32).range(1..))]
    pub shard_count: Option<u32>,
    /// JSON object merged into every request body, e.g.
    /// '{"chat_template_kwargs":{"enable_thinking":false}}'.
    #[arg(long, value_name = "JSON")]
    pub extra_body: Option<String>,
    /// Prices in USD per million tokens, INPUT,OUTPUT[,CACHED] (e.g. 2.5,10,1.25): the
    /// end of the run (and the results file, which records the price) gives the cost of
    /// the tokens the replies reported; cached prompt tokens at CACHED, else at INPUT;
    /// reasoning tokens are completion tokens, at OUTPUT. Without it, tokens only.
    #[arg(long, value_name = "INPUT,OUTPUT[,CACHED]", value_parser = price)]
    pub price: Option<Price>,
    /// Run through the provider's Batch API (OpenAI's Files and Batches; SGLang and
    /// gateways serve the same) at half the price of live calls: the config in rounds, a
    /// round the next turn of every case, each finishing within 24 hours (usually
    /// minutes to hours). Every batch is journalled: --resume polls it, never submits it
    /// again. Uses the first --api-base.
    #[arg(long)]
    pub batch: bool,
    /// With --batch: the longest wait, in seconds, between two polls of a batch (polls
    /// start at a quarter second and grow by half each time).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = call_seconds, requires = "batch")]
    pub batch_poll_max: Duration,
    /// With --batch: where a request that failed or expired inside its batch is asked
    /// again: `next-round` (in the next batch, at the batch price) or `live` (at once,
    /// with the live retries, at the live price; no extra round).
    #[arg(
        long,
        value_enum,
        value_name = "WHERE",
        default_value = "next-round",
        requires = "batch"
    )]
    pub batch_fallback: BatchFallback,
    /// Offline batches, for an engine that reads request files (`vllm run-batch`): write
    /// the next round's requests (the next turn of every unfinished case) to request files
    /// in DIR, and stop. No call is made (--api-base is not needed). Answer them, then
    /// run again with --resume --batch-import OUTPUT --batch-export DIR, until nothing is
    /// left to write.
    #[arg(long, value_name = "DIR")]
    pub batch_export: Option<PathBuf>,
    /// Offline batches: record the results file (JSON Lines, OpenAI's batch output format)
    /// an engine wrote for requests of --batch-export, as a batch's are recorded.
    #[arg(long, value_name = "FILE", requires = "resume")]
    pub batch_import: Option<PathBuf>,
}

impl EvaluateArgs {
    /// Offline batches (`--batch-export` or `--batch-import`): request files instead of
    /// calls, so no endpoint is probed or called.
    pub(crate) fn offline_batch(&self) -> bool {
        self.batch_export.is_some() || self.batch_import.is_some()
    }
}

/// Where `--batch` asks a request again that failed inside its batch.
#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
pub(crate) enum BatchFallback {
    NextRound,
    Live,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(subcommand)]
    pub engine: ServeEngine,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ServeEngine {
    /// SGLang, with the official helper's flags: `PYTHON -m sglang.launch_server
    /// --model-path P --tp T --dp D --port N --host H --trust-remote-code
    /// --enable-multimodal --log-level L`.
    Sglang(SglangArgs),
    /// vLLM: `VLLM_BIN serve P --tensor-parallel-size T --data-parallel-size D --port N
    /// --host H --trust-remote-code`.
    Vllm(VllmArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SglangArgs {
    #[command(flatten)]
    pub common: ServeCommon,
    /// The Python interpreter that has SGLang installed, e.g. a virtualenv's bin/python
    /// (the default is found on PATH; some systems have no plain `python`).
    #[arg(long, value_name = "PROGRAM", default_value = "python3")]
    pub python: PathBuf,
    /// SGLang's log level.
    #[arg(long, default_value = "info")]
    pub log_level: String,
}

#[derive(Debug, Args)]
pub(crate) struct VllmArgs {
    #[command(flatten)]
    pub common: ServeCommon,
    /// The vllm executable (found on PATH unless a path is given).
    #[arg(long, value_name = "PROGRAM", default_value = "vllm")]
    pub vllm_bin: PathBuf,
}

/// What every engine is told, and how liveclin waits for it and stops it.
#[derive(Debug, Args)]
pub(crate) struct ServeCommon {
    /// The model: a local directory or a Hugging Face model id.
    #[arg(long, value_name = "PATH")]
    pub model_path: String,
    /// Tensor-parallel size: the GPUs one copy of the model is split across.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub tp: u32,
    /// Data-parallel size: copies of the model answering requests side by side.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub dp: u32,
    /// The port the server listens on.
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// The address the server listens on (0.0.0.0 to accept other machines; liveclin then
    /// checks it on 127.0.0.1).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The name the server gives the model (passed to the engine as --served-model-name;
    /// default: the engine's choice, the model path).
    #[arg(long, value_name = "NAME")]
    pub served_model_name: Option<String>,
    /// Seconds to wait for GET /v1/models to answer 200 before giving up and stopping the
    /// server.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = seconds)]
    pub timeout: Duration,
    /// Seconds between readiness checks.
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = seconds)]
    pub poll_interval: Duration,
    /// Seconds the server is given to exit after SIGTERM before it and every process it
    /// started are killed (a second Ctrl-C kills at once).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub grace: Duration,
    /// Further arguments for the engine, passed unchanged after `--`, e.g.
    /// `-- --mem-fraction-static 0.8`.
    #[arg(last = true, value_name = "ENGINE ARGS")]
    pub engine_args: Vec<String>,
}

impl ServeEngine {
    /// The settings every engine shares.
    pub(crate) fn common(&self) -> &ServeCommon {
        match self {
            ServeEngine::Sglang(a) => &a.common,
            ServeEngine::Vllm(a) => &a.common,
        }
    }

    /// The engine's command line.
    pub(crate) fn launch(&self) -> Launch {
        let engine = match self {
            ServeEngine::Sglang(a) => Engine::Sglang {
                python: a.python.clone(),
                log_level: a.log_level.clone(),
            },
            ServeEngine::Vllm(a) => Engine::Vllm {
                vllm_bin: a.vllm_bin.clone(),
            },
        };
        let c = self.common();
        let model = ServedModel {
            path: c.model_path.clone(),
            tp: c.tp,
            dp: c.dp,
            port: c.port,
            host: c.host.clone(),
            served_name: c.served_model_name.clone(),
            engine_args: c.engine_args.clone(),
        };
        Launch::new(&engine, &model)
    }
}

/// `--price`: see [`Price`]'s parsing.
fn price(text: &str) -> Result<Price, String> {
    text.parse()
}

/// Seconds between plain progress lines: at least 0.1, at most a day.
fn progress_interval(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.1..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{text:?} is not a number of seconds from 0.1 to 86400"
        )),
    }
}

/// `--temperature`: a finite number from 0 to 2, the range OpenAI-compatible servers
/// accept (NaN would be sent as `null`).
fn temperature(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=2.0).contains(&v) => Ok(v),
        _ => Err(format!("{text:?} is not a temperature from 0 to 2")),
    }
}

/// An API base: an http(s) URL with a host, checked before anything is sent so that a
/// typo is a usage error, not every case failing.
fn http_url(text: &str) -> Result<String, String> {
    if liveclin_net::client::is_http_url(text) {
        Ok(text.to_string())
    } else if !text.is_ascii() {
        // Host names are read as ASCII only (Cargo.toml, `idna_adapter`).
        Err(format!(
            "{text:?} is not an http(s) URL: give a non-ASCII host name in its ASCII \
             (xn--) form, e.g. http://xn--r8jz45g.example/v1"
        ))
    } else {
        Err(format!(
            "{text:?} is not an http(s) URL (e.g. http://localhost:8000/v1)"
        ))
    }
}

/// A duration given in seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("{text:?} is not a duration (seconds, 0 or more)"))
}

#[derive(Debug, Args)]
pub(crate) struct CheckVisionArgs {
    /// Model name, as the API knows it.
    #[arg(long, short = 'm', required_unless_present = "write_pictures")]
    pub model: Option<String>,
    /// API base URL, e.g. https://api.openai.com/v1 or http://localhost:8000/v1.
    #[arg(long, required_unless_present = "write_pictures", value_parser = http_url)]
    pub api_base: Option<String>,
    /// API key (default: $LIVECLIN_API_KEY, then $OPENAI_API_KEY, then "token"). Never
    /// printed or written.
    #[arg(long)]
    pub api_key: Option<String>,
    /// Where the test pictures of `--write-pictures` are served, as an http(s) URL of their
    /// folder that the model's server can fetch (e.g. http://files.local/liveclin/ serving
    /// blue.png, green.png, ...). The url-mode checks then ask the pictures' colours and
    /// are judged as the local ones; without it they are weak checks of --image-url.
    #[arg(long, value_name = "URL", conflicts_with = "image_url")]
    pub picture_url: Option<String>,
    /// Without --picture-url, the picture of the weak url-mode checks (describe it): an
    /// http(s) URL that the model's server fetches itself. The default is the official
    /// smoke test's public picture.
    #[arg(long, value_name = "URL", default_value = liveclin_net::vision::checks::DEFAULT_IMAGE_URL)]
    pub image_url: String,
    /// Write the test pictures of the url-mode checks (solid-colour PNGs) into DIR, to be
    /// put on a web server for --picture-url, and exit without checking anything.
    #[arg(long, value_name = "DIR", exclusive = true)]
    pub write_pictures: Option<PathBuf>,
    /// Seconds before an API call is abandoned (and retried), 1 to 86400.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = call_seconds)]
    pub timeout: Duration,
    /// API calls per request: rate limits, 5xx and timeouts are retried with backoff.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_retries: u32,
    /// Max tokens per reply (raise it for a reasoning model that thinks before it answers).
    #[arg(long, default_value_t = 256)]
    pub max_tokens: u64,
    /// JSON object merged into every request body, as for `evaluate`, e.g.
    /// '{"chat_template_kwargs":{"enable_thinking":false}}'.
    #[arg(long, value_name = "JSON")]
    pub extra_body: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct MockServerArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    #[command(flatten)]
    pub behaviour: MockBehaviour,
}

/// How the mock model answers.
#[derive(Debug, Args, Clone)]
pub(crate) struct MockBehaviour {
    /// Share of questions answered correctly (deterministic per case and turn).
    #[arg(long, default_value_t = 0.7)]
    pub accuracy: f64,
    /// Seed of the deterministic answers and faults.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Delay before every reply, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Faults injected on the first attempt of a share of turns, e.g.
    /// "429=0.1,500=0.05,slow=0.02,hang=0.01,malformed=0.02,empty=0.02" (also "400" and
    /// "401", permanent failures).
    #[arg(long, default_value = "")]
    pub faults: String,
    /// A turn's fault comes back on every attempt instead of only the first, so its
    /// question fails for good and the rest of the case is skipped.
    #[arg(long)]
    pub persistent_faults: bool,
    /// Answer nothing to content sent as a list of parts (LiveClin's shape), as
    /// llama.cpp's server does with its llama-2 and chatml chat formats.
    #[arg(long)]
    pub ignore_list_content: bool,
    /// Answer 401 to requests without `Authorization: Bearer KEY`, as a cloud API does.
    #[arg(long, value_name = "KEY")]
    pub require_key: Option<String>,
    /// Answer 404 to requests for another model than "mock", as vLLM does.
    #[arg(long)]
    pub strict_model: bool,
    /// The context length /v1/models reports (as vLLM's max_model_len).
    #[arg(long, value_name = "TOKENS")]
    pub context_length: Option<u64>,
    /// Answer one request at a time, in arrival order, as a server with one slot does
    /// (a request whose client gave up still takes its turn).
    #[arg(long)]
    pub one_at_a_time: bool,
    /// Retry-After seconds sent with an injected 429 or 500.
    #[arg(long, default_value_t = 1)]
    pub retry_after: u64,
    /// Extra delay of a "slow" fault, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub slow_ms: u64,
    /// Answer questions about pictures as a text-only model would ("I can't see any
    /// image") instead of looking at them: an endpoint for which `check-vision` fails.
    #[arg(long)]
    pub ignore_images: bool,
    /// Requests answered at once; more get a 429 with Retry-After, as a server at
    /// capacity does (with --latency-ms, a rate-limit storm for a run with more cases in
    /// flight).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_in_flight: Option<u64>,
    /// Bytes of filler reasoning before each answer (lowercase prose that never changes
    /// the letter read), for replies as large as a reasoning model's.
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub reply_padding: usize,
    /// Enforce a provider's rate limit of N requests per --limit-window: stated on every
    /// answer in OpenAI's x-ratelimit-* headers, a 429 with Retry-After beyond it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit_rpm: Option<u64>,
    /// Enforce a rate limit of N tokens per --limit-window (a request counts its prompt
    /// tokens as the mock bills them plus its max_tokens, as OpenAI counts them).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit_tpm: Option<u64>,
    /// What --limit-rpm and --limit-tpm are per, in seconds (a minute, as OpenAI's;
    /// shorter for a quick test).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = call_seconds)]
    pub limit_window: Duration,
    /// How the `usage` it reports counts a picture's tokens (`openai`, `anthropic`,
    /// `gemini` or N a picture, as `estimate --image-tokens`); text is counted by
    /// o200k_base.
    #[arg(
        long,
        value_name = "openai|anthropic|gemini|N",
        default_value = "openai"
    )]
    pub image_tokens: ImageTokens,
    /// Send replies without `usage` (token counts), as some servers do.
    #[arg(long)]
    pub no_usage: bool,
    /// Milliseconds a batch (/v1/batches) takes from creation to its output file.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub batch_delay_ms: u64,
    /// Share of the requests a batch sees for the first time that it leaves undone,
    /// ending `expired` (their retry is answered); 0 to 1.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub batch_expire: f64,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Read the demo config from DATA_DIR/data/demo/ on disk (e.g. `.` in a checkout)
    /// instead of the copy built into liveclin.
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
    /// Results JSON of the demo run.
    #[arg(long, default_value = "results/demo-mock_demo.json")]
    pub output: std::path::PathBuf,
    /// Cases in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: u32,
    /// Prices in USD per million tokens, INPUT,OUTPUT[,CACHED], as `evaluate --price`.
    #[arg(long, value_name = "INPUT,OUTPUT[,CACHED]", value_parser = price)]
    pub price: Option<Price>,
    #[command(flatten)]
    pub behaviour: MockBehaviour,
}
