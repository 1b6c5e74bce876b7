//! A built-in OpenAI-compatible endpoint for demos and tests, on 127.0.0.1.
//!
//! It knows the dataset, so it answers each question deterministically: right with a
//! configurable probability, in one of several reply styles. It can inject faults (429
//! with Retry-After, 500, slow replies, hangs, malformed bodies, empty replies) on the
//! first attempt of a chosen share of turns, so a client that retries recovers. It checks
//! that requests are well formed (content parts, data URIs that decode to real images)
//! and answers 400 when they are not.
//!
//! Outside the dataset it is a small vision model, so `check-vision` can be tested for
//! real: asked about colours or for a description, it decodes the PNGs it was sent
//! (fetching http URLs as a model server does) and names their dominant colour, or, with
//! `ignore_images`, answers as a text-only model would.

mod batch;
mod files;
pub mod ratelimit;
mod routes;
mod usage;

pub use batch::{BatchLog, CreatedBatch};
pub use usage::UsageSums;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use crate::httpd::{self, Response};
use crate::vision::picture::{self, Look};
use liveclin_core::cost::picture::ImageTokens;
use liveclin_core::cost::tokens::Counter;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::prompt::{ANSWER_INSTRUCTION, ImageMode, case_turns};

/// Kinds of injected faults, in the order their rates are applied.
pub const FAULTS: [&str; 8] = [
    "429",
    "500",
    "400",
    "401",
    "slow",
    "hang",
    "malformed",
    "empty",
];

#[derive(Debug, Clone)]
pub struct MockConfig {
    pub model: String,
    /// Probability that an answer is the correct option.
    pub accuracy: f64,
    pub seed: u64,
    /// Delay before every reply.
    pub latency: Duration,
    /// Answer one request at a time, in arrival order, each taking `latency`, as a
    /// llama.cpp server with one slot does: a request waits for every one before it, and
    /// one its client gave up on still takes its turn (the server goes on generating it),
    /// so too many requests at once make every one late.
    pub one_at_a_time: bool,
    /// Fault kind -> share of turns whose first attempt gets it.
    pub faults: HashMap<String, f64>,
    /// `Retry-After` seconds sent with an injected 429 or 500.
    pub retry_after: u64,
    /// Extra delay of a "slow" fault.
    pub slow: Duration,
    /// Answer questions about pictures as a text-only model would, without looking.
    pub ignore_images: bool,
    /// Requests answered at once; one arriving beyond that gets a 429 with
    /// `Retry-After`, as a server at capacity does.
    pub max_in_flight: Option<usize>,
    /// Bytes of filler reasoning written before each dataset answer (0: none), so that
    /// replies, journal lines and results are as large as a reasoning model's. The filler
    /// is deterministic and never changes the letter either extractor reads.
    pub reply_padding: usize,
    /// When set, a request without `Authorization: Bearer <key>` gets a 401, as a cloud
    /// API's does.
    pub api_key: Option<String>,
    /// Refuse a request for another model than `model` with a 404, as vLLM does (by
    /// default the mock answers whatever model is asked for).
    pub strict_model: bool,
    /// A text counted in `Stats::watched` whenever a request body holds it, so that a
    /// test can tell that something (a secret's bytes) was never sent.
    pub watch: Option<String>,
    /// A turn's fault comes back on every attempt, not only the first: the question
    /// fails for good, and the rest of its case is skipped.
    pub persistent_faults: bool,
    /// Answer nothing to content sent as a list of parts, as llama.cpp's server does with
    /// its llama-2 and chatml chat formats (plain string content is still answered).
    pub ignore_list_content: bool,
    /// The context length `/v1/models` reports (as vLLM's `max_model_len`).
    pub context_length: Option<u64>,
    /// A provider's rate limit, stated in `x-ratelimit-*` headers and enforced with 429s.
    pub rate_limit: Option<ratelimit::RateLimit>,
    /// How the `usage` it reports counts a picture's tokens (text is always counted by
    /// o200k_base), so a run's reported usage can be checked against `estimate`.
    pub image_tokens: ImageTokens,
    /// Send replies without `usage`, as some servers do.
    pub omit_usage: bool,
    /// How long a batch takes, from creation to its files (`/v1/batches`).
    pub batch_delay: Duration,
    /// Share of the requests a batch sees for the first time that it leaves undone,
    /// ending `expired` (a retry of the same request is answered).
    pub batch_expire: f64,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            model: "mock".into(),
            accuracy: 0.7,
            seed: 0,
            latency: Duration::ZERO,
            one_at_a_time: false,
            faults: HashMap::new(),
            retry_after: 1,
            slow: Duration::from_secs(2),
            ignore_images: false,
            max_in_flight: None,
            reply_padding: 0,
            api_key: None,
            strict_model: false,
            watch: None,
            persistent_faults: false,
            ignore_list_content: false,
            context_length: None,
            rate_limit: None,
            image_tokens: ImageTokens::OpenAi,
            omit_usage: false,
            batch_delay: Duration::from_millis(200),
            batch_expire: 0.0,
        }
    }
}

/// What the mock has seen, for tests and for `GET /v1/mock/stats`.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Stats {
    pub requests: u64,
    /// Bytes of request bodies received.
    pub bytes_received: u64,
    pub rejected: u64,
    pub faults: u64,
    /// "<case id>|<turn>" -> successful answers given for that turn.
    pub answered: HashMap<String, u64>,
    /// Authorization headers seen (to check what a client sends), by value.
    pub bearer_tokens: HashMap<String, u64>,
    /// Requests by `User-Agent` header.
    pub user_agents: HashMap<String, u64>,
    /// Milliseconds between an attempt and the next one for the same turn.
    pub retry_gaps_ms: Vec<u64>,
    /// Requests refused with a 429 because `max_in_flight` were being answered.
    pub over_capacity: u64,
    /// The most requests being answered at once.
    pub(crate) peak_in_flight: usize,
    /// Requests whose body held `MockConfig::watch`.
    pub watched: u64,
    /// Requests refused with a 429 because they did not fit `MockConfig::rate_limit`.
    pub rate_limited: u64,
    /// What the usage of the answers to dataset questions added up to: the replies a
    /// run records (not the preflight probe, vision checks or injected empty replies).
    pub usage: UsageSums,
    /// Files uploaded, batches created and requests a batch answered.
    pub batch: BatchLog,
}

struct Known {
    id: String,
    /// Correct letter and option letters of each question.
    questions: Vec<(String, Vec<String>)>,
}

pub struct Mock {
    config: MockConfig,
    /// First-turn text (in either image mode) -> case.
    cases: HashMap<String, Arc<Known>>,
    /// Per turn: attempts so far and when the last one came.
    attempts: Mutex<HashMap<String, (u64, std::time::Instant)>>,
    stats: Mutex<Stats>,
    /// Requests being answered now.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    /// With `one_at_a_time`: when the requests taken so far are all answered.
    busy_until: Mutex<tokio::time::Instant>,
    /// Fetches the http(s) pictures it is asked about.
    http: reqwest::Client,
    /// Enforces `MockConfig::rate_limit`.
    limiter: Option<ratelimit::Limiter>,
    /// Counts the input tokens of the `usage` it reports (the dataset's figures sent by
    /// URL are sized from their files).
    counter: Counter,
    /// Uploaded files and the batches' output files (`/v1/files`).
    files: files::Files,
    /// Batches (`/v1/batches`).
    batches: batch::Batches,
}

impl Mock {
    pub fn new(config: MockConfig, cases: &[LoadedCase], image_root: &std::path::Path) -> Self {
        let mut index = HashMap::new();
        for lc in cases {
            let questions = lc
                .case
                .mcqs()
                .iter()
                .map(|m| {
                    let letters: Vec<String> = m
                        .options
                        .get()
                        .map(|o| o.keys().cloned().collect())
                        .unwrap_or_default();
                    (m.correct_answer.py_get("").to_uppercase(), letters)
                })
                .collect();
            let known = Arc::new(Known {
                id: lc.id.clone(),
                questions,
            });
            for mode in [ImageMode::Url, ImageMode::Local] {
                if let Some(first) = case_turns(&lc.case, mode, image_root).into_iter().next() {
                    index.insert(first.text, known.clone());
                }
            }
        }
        Mock {
            limiter: config.rate_limit.map(ratelimit::Limiter::new),
            counter: Counter::with_dataset(config.image_tokens, cases, image_root),
            config,
            cases: index,
            attempts: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
            in_flight: Arc::default(),
            busy_until: Mutex::new(tokio::time::Instant::now()),
            http: crate::client::http_builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a default HTTP client builds"),
            files: files::Files::default(),
            batches: batch::Batches::default(),
        }
    }

    pub fn stats(&self) -> Stats {
        self.stats.lock().expect("stats lock").clone()
    }

    /// Counts a request as being answered until the guard drops, or refuses it when
    /// `max_in_flight` are being answered already.
    fn admit(&self) -> Option<InFlight> {
        use std::sync::atomic::Ordering;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let guard = InFlight(self.in_flight.clone());
        if self.config.max_in_flight.is_some_and(|max| now > max) {
            return None;
        }
        let mut stats = self.stats.lock().expect("stats lock");
        stats.peak_in_flight = stats.peak_in_flight.max(now);
        Some(guard)
    }

    /// Waits as long as the model takes to answer: `latency`, after every request taken
    /// before when `one_at_a_time` (the turn is taken before waiting, so a request whose
    /// client hangs up keeps it).
    async fn generate(&self) {
        if !self.config.one_at_a_time {
            return tokio::time::sleep(self.config.latency).await;
        }
        let done = {
            let mut busy = self.busy_until.lock().expect("busy lock");
            *busy = (*busy).max(tokio::time::Instant::now()) + self.config.latency;
            *busy
        };
        tokio::time::sleep_until(done).await;
    }

    /// A 401 when a key is required and the request does not carry it.
    fn refuse_key(&self, headers: &HeaderMap) -> Option<Response> {
        let key = self.config.api_key.as_ref()?;
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        (sent != Some(format!("Bearer {key}").as_str()))
            .then(|| error(StatusCode::UNAUTHORIZED, "Incorrect API key provided"))
    }

    /// An error with the configured `Retry-After`.
    fn retry_later(&self, status: StatusCode, text: &str) -> Response {
        let mut response = error(status, text);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, self.config.retry_after.into());
        response
    }

    fn reject(&self, message: String) -> Response {
        self.stats.lock().expect("stats lock").rejected += 1;
        error(StatusCode::BAD_REQUEST, &message)
    }

    async fn chat(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        {
            let mut stats = self.stats.lock().expect("stats lock");
            stats.requests += 1;
            stats.bytes_received += body.len() as u64;
            if let Some(watch) = &self.config.watch
                && String::from_utf8_lossy(body).contains(watch.as_str())
            {
                stats.watched += 1;
            }
            let auth = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            *stats.bearer_tokens.entry(auth.to_string()).or_default() += 1;
            let agent = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            *stats.user_agents.entry(agent.to_string()).or_default() += 1;
        }
        if let Some(refused) = self.refuse_key(headers) {
            return refused;
        }
        let Some(_answering) = self.admit() else {
            self.stats.lock().expect("stats lock").over_capacity += 1;
            return self.retry_later(StatusCode::TOO_MANY_REQUESTS, "at capacity");
        };
        let request: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return self.reject(format!("body is not JSON: {e}")),
        };
        let model = request["model"].as_str().unwrap_or_default();
        if self.config.strict_model && model != self.config.model {
            return error(
                StatusCode::NOT_FOUND,
                &format!("The model `{model}` does not exist."),
            );
        }
        if is_plain_question(&request) {
            // A conversation of one message sent as a plain string (not LiveClin's list
            // of parts): answered as text, so a probe can tell a server that drops lists.
            return self.reply(&request, "A".into());
        }
        let users = match check_request(&request) {
            Ok(users) => users,
            Err(message) => return self.reject(message),
        };
        if self.config.ignore_list_content {
            return self.reply(&request, String::new());
        }
        let first_text = users[0][0]["text"].as_str().unwrap_or_default();
        let turn = users.len();
        let Some(known) = self.cases.get(first_text) else {
            return self.answer_unknown(&request, &users).await;
        };
        let key = format!("{}|{}", known.id, turn);
        let attempt = {
            let now = std::time::Instant::now();
            let mut attempts = self.attempts.lock().expect("attempts lock");
            let (n, last) = attempts.entry(key.clone()).or_insert((0, now));
            if *n > 0 {
                let gap = now.duration_since(*last).as_millis() as u64;
                self.stats
                    .lock()
                    .expect("stats lock")
                    .retry_gaps_ms
                    .push(gap);
            }
            *n += 1;
            *last = now;
            *n - 1
        };
        self.generate().await;
        if (attempt == 0 || self.config.persistent_faults)
            && let Some(fault) = self.fault(&key)
        {
            self.stats.lock().expect("stats lock").faults += 1;
            match fault {
                "429" => {
                    return self
                        .retry_later(StatusCode::TOO_MANY_REQUESTS, "rate limited (injected)");
                }
                "500" => {
                    return self
                        .retry_later(StatusCode::INTERNAL_SERVER_ERROR, "server error (injected)");
                }
                "400" => return error(StatusCode::BAD_REQUEST, "bad request (injected)"),
                "401" => return error(StatusCode::UNAUTHORIZED, "key revoked (injected)"),
                "slow" => tokio::time::sleep(self.config.slow).await,
                "hang" => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                "malformed" => {
                    return httpd::text(StatusCode::OK, "{\"choices\": [ (injected)");
                }
                "empty" => return self.reply(&request, String::new()),
                _ => {}
            }
        }
        let Some((correct, letters)) = known.questions.get(turn - 1) else {
            return self.reject(format!("case {} has no question {turn}", known.id));
        };
        let h = hash(&[&self.config.seed.to_string(), &key]);
        let right = (h % 10_000) as f64 / 10_000.0 < self.config.accuracy;
        let wrong: Vec<&String> = letters
            .iter()
            .filter(|l| l.to_uppercase() != *correct)
            .collect();
        let letter = if right || wrong.is_empty() {
            correct.clone()
        } else {
            wrong[(h as usize / 7) % wrong.len()].clone()
        };
        self.stats
            .lock()
            .expect("stats lock")
            .answered
            .entry(key)
            .and_modify(|n| *n += 1)
            .or_insert(1);
        let styled = styled(&letter, h);
        match self.config.reply_padding {
            0 => self.answer(&request, styled, ""),
            bytes => {
                let reasoning = filler(bytes, h);
                let content = format!("{reasoning}\n\n{styled}");
                self.answer(&request, content, &reasoning)
            }
        }
    }

    /// A request from outside the dataset: a question about pictures is answered by
    /// looking at them (the last message's, else the earlier ones'); anything else gets
    /// a fixed answer.
    async fn answer_unknown(&self, request: &Value, users: &[&Vec<Value>]) -> Response {
        let last = users[users.len() - 1];
        let Some(question) = picture_question(last[0]["text"].as_str().unwrap_or_default()) else {
            return self.reply(request, "The answer is \\boxed{A}.".into());
        };
        if self.config.ignore_images {
            return self.reply(request, BLIND.into());
        }
        let urls = |parts: &[Value]| -> Vec<String> {
            parts[1..]
                .iter()
                .filter_map(|p| p["image_url"]["url"].as_str().map(String::from))
                .collect()
        };
        let mut shown = urls(last);
        if shown.is_empty() {
            shown = users.iter().flat_map(|parts| urls(parts)).collect();
        }
        let mut looks = Vec::with_capacity(shown.len());
        for url in &shown {
            match self.picture_bytes(url).await {
                Ok(bytes) => looks.push(picture::look(&bytes)),
                Err(message) => return self.reject(message),
            }
        }
        self.reply(request, describe(question, &looks))
    }

    /// A picture's bytes: a data URI decoded, an http(s) URL fetched (a model server
    /// answers 400 when it cannot fetch one, and so does the mock).
    async fn picture_bytes(&self, url: &str) -> Result<Vec<u8>, String> {
        if !liveclin_core::images::is_http_url(url) {
            return data_uri_bytes(url).map(|(_, bytes)| bytes);
        }
        let fetched = async {
            let response = self.http.get(url).send().await?.error_for_status()?;
            response.bytes().await
        };
        match fetched.await {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(e) => Err(format!("cannot fetch image {url}: {}", e.without_url())),
        }
    }

    /// The fault (if any) the first attempt of this turn gets.
    fn fault(&self, key: &str) -> Option<&'static str> {
        let u =
            (hash(&[&self.config.seed.to_string(), key, "fault"]) % 1_000_000) as f64 / 1_000_000.0;
        let mut edge = 0.0;
        FAULTS.into_iter().find(|kind| {
            edge += self.config.faults.get(*kind).copied().unwrap_or(0.0);
            u < edge
        })
    }

    /// The answer to a dataset question, whose `content` starts with `reasoning` (or
    /// ""): its usage is added to `Stats::usage`.
    fn answer(&self, request: &Value, content: String, reasoning: &str) -> Response {
        let usage = self.usage(request, &content, reasoning);
        self.stats.lock().expect("stats lock").usage.add(usage);
        self.respond(request, content, usage)
    }

    /// Any other reply (a probe's, a vision check's, an injected empty one): its usage is
    /// sent but not added up, as a run's results record none of them.
    fn reply(&self, request: &Value, content: String) -> Response {
        let usage = self.usage(request, &content, "");
        self.respond(request, content, usage)
    }

    /// The usage sent with a reply; none with `omit_usage`.
    fn usage(&self, request: &Value, content: &str, reasoning: &str) -> Option<usage::Reported> {
        (!self.config.omit_usage)
            .then(|| usage::Reported::of(request, content, reasoning, &self.counter))
    }

    fn respond(
        &self,
        request: &Value,
        content: String,
        usage: Option<usage::Reported>,
    ) -> Response {
        let model = request["model"].as_str().unwrap_or(&self.config.model);
        let mut body = json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        });
        if let Some(usage) = usage {
            body["usage"] = usage.to_value();
        }
        httpd::json(StatusCode::OK, &body)
    }

    /// `GET /v1/models`: the one model it serves.
    fn models(&self) -> Value {
        let mut model = json!({"id": self.config.model, "object": "model"});
        if let Some(context) = self.config.context_length {
            model["max_model_len"] = json!(context);
        }
        json!({"object": "list", "data": [model]})
    }
}

/// Reply styles the mock writes; each is read correctly by the official rules.
fn styled(letter: &str, h: u64) -> String {
    match (h / 13) % 4 {
        0 => format!("\\boxed{{{letter}}}"),
        1 => format!("The findings point to option {letter}.\n\n\\boxed{{{letter}}}"),
        2 => format!("Answer: {letter}"),
        _ => format!("After weighing the options, the answer is \\boxed{{ {letter} }}."),
    }
}

/// Sentences of the filler: lowercase prose with no single letters, digits, capitals,
/// punctuation other than full stops, and none of the words either extractor looks for.
const FILLER: [&str; 6] = [
    "the history and the imaging were reviewed together. ",
    "each finding was weighed against the clinical picture. ",
    "the laboratory values were read in the light of the presenting complaint. ",
    "several differential diagnoses were considered and compared in turn. ",
    "the timeline of the illness was traced from the first visit onwards. ",
    "the examination findings were matched with the reported complaints. ",
];

/// Exactly `bytes` bytes of filler reasoning, starting at a sentence chosen by `h`. A
/// word the length cuts short is blanked out, so no fragment can be read as a letter.
fn filler(bytes: usize, h: u64) -> String {
    let mut text = String::with_capacity(bytes + 80);
    let mut i = (h % FILLER.len() as u64) as usize;
    while text.len() < bytes {
        text.push_str(FILLER[i % FILLER.len()]);
        i += 1;
    }
    text.truncate(bytes);
    let whole = text.rfind(' ').map_or(0, |space| space + 1);
    text.replace_range(whole.., &" ".repeat(bytes - whole));
    text
}

/// What a text-only model says when asked about a picture.
const BLIND: &str = "I'm sorry, but I can't see any image. I can only read text.";

/// What the mock is asked about pictures.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PictureQuestion {
    Colour,
    Description,
}

/// The question a user text asks about pictures, if any. A dataset question (it ends
/// with the answer instruction) never counts, whatever words it uses.
fn picture_question(text: &str) -> Option<PictureQuestion> {
    let text = text.to_lowercase();
    if text.contains(&ANSWER_INSTRUCTION.to_lowercase()) {
        None
    } else if text.contains("describe") {
        Some(PictureQuestion::Description)
    } else if text.contains("color") || text.contains("colour") {
        Some(PictureQuestion::Colour)
    } else {
        None
    }
}

/// The mock's truthful answer about the pictures it looked at.
fn describe(question: PictureQuestion, looks: &[Result<Look, String>]) -> String {
    let one = |look: &Result<Look, String>| match (question, look) {
        (PictureQuestion::Colour, Ok(look)) => look.colour.to_string(),
        (PictureQuestion::Description, Ok(look)) => format!(
            "a plain {} picture of {}x{} pixels, with nothing else in it",
            look.colour, look.width, look.height
        ),
        (_, Err(e)) => format!("a picture the mock cannot read ({e})"),
    };
    match looks {
        [] => BLIND.into(),
        [look] => {
            let text = one(look);
            let mut chars = text.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            format!("{}{}.", first.unwrap_or_default(), chars.as_str())
        }
        _ => {
            let each: Vec<String> = looks
                .iter()
                .enumerate()
                .map(|(i, look)| format!("image {}: {}", i + 1, one(look)))
                .collect();
            format!("{}.", each.join("; "))
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let body =
        json!({"error": {"message": message, "type": "mock_error", "code": status.as_u16()}});
    httpd::json(status, &body)
}

/// The user-message contents of a well-formed request, or what is wrong with it.
/// Whether a request is one user message whose content is a plain string.
fn is_plain_question(request: &Value) -> bool {
    match request["messages"].as_array().map(Vec::as_slice) {
        Some([message]) => message["role"] == "user" && message["content"].is_string(),
        _ => false,
    }
}

fn check_request(request: &Value) -> Result<Vec<&Vec<Value>>, String> {
    if !request["model"].is_string() {
        return Err("model must be a string".into());
    }
    let messages = request["messages"]
        .as_array()
        .ok_or("messages must be a list")?;
    if messages.last().map(|m| &m["role"]) != Some(&json!("user")) {
        return Err("the last message must be the user's".into());
    }
    let mut users = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        match message["role"].as_str() {
            Some("user") => {
                let parts = message["content"]
                    .as_array()
                    .ok_or(format!("messages[{i}].content must be a list of parts"))?;
                if parts.first().map(|p| &p["type"]) != Some(&json!("text"))
                    || !parts[0]["text"].is_string()
                {
                    return Err(format!("messages[{i}] must start with a text part"));
                }
                for part in &parts[1..] {
                    check_image_part(part).map_err(|e| format!("messages[{i}]: {e}"))?;
                }
                users.push(parts);
            }
            Some("assistant") if message["content"].is_string() => {}
            _ => return Err(format!("messages[{i}] has an unexpected role or content")),
        }
    }
    Ok(users)
}

fn check_image_part(part: &Value) -> Result<(), String> {
    if part["type"] != "image_url" {
        return Err("a part after the text must be an image_url".into());
    }
    let url = part["image_url"]["url"]
        .as_str()
        .ok_or("image_url.url must be a string")?;
    if liveclin_core::images::is_http_url(url) {
        return Ok(());
    }
    let (head, bytes) = data_uri_bytes(url)?;
    match infer::get(&bytes) {
        Some(kind)
            if kind.matcher_type() == infer::MatcherType::Image && kind.mime_type() == head =>
        {
            Ok(())
        }
        Some(kind) => Err(format!(
            "data URI says {head} but holds {}",
            kind.mime_type()
        )),
        None => Err(format!("data URI ({head}) does not hold a known image")),
    }
}

/// One request being answered; dropped when its answer is sent (or the client leaves).
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The MIME type a base64 data URI claims, and its decoded bytes.
fn data_uri_bytes(url: &str) -> Result<(&str, Vec<u8>), String> {
    let (head, data) = url
        .strip_prefix("data:")
        .and_then(|u| u.split_once(";base64,"))
        .ok_or("image URL is neither http(s) nor a base64 data URI")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("data URI is not base64: {e}"))?;
    Ok((head, bytes))
}

/// FNV-1a over the parts: stable across machines and Rust versions.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0x1f]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Serves the mock on 127.0.0.1:`port` (0 picks a free port) until the task ends, with
/// the request body limit it has always had.
pub async fn start(
    mock: Arc<Mock>,
    port: u16,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(httpd::serve(listener, httpd::BODY_LIMIT, move |request| {
        routes::answer(mock.clone(), request)
    }));
    Ok((addr, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_questions_about_pictures_are_looked_at() {
        use PictureQuestion::*;
        let ask = picture_question;
        assert_eq!(ask(crate::vision::checks::ONE_PICTURE), Some(Colour));
        assert_eq!(ask(crate::vision::checks::DESCRIBE), Some(Description));
        assert_eq!(ask(crate::vision::checks::SHOW), None);
        // A dataset question keeps the dataset answer, whatever words it uses.
        let mcq =
            format!("* Question: Which best describes the color Doppler?\n\n{ANSWER_INSTRUCTION}");
        assert_eq!(ask(&mcq), None);
    }

    #[test]
    fn padding_never_changes_the_letter_read() {
        use liveclin_core::scoring::{official, robust};
        let options = ["A", "B", "C", "D", "E"];
        for bytes in [1, 2, 7, 50, 51, 52, 53, 4000, 16_001] {
            // Every reply style ((h / 13) % 4) and every first sentence (h % 6).
            for h in (0..52).step_by(5) {
                let padding = filler(bytes, h);
                assert_eq!(padding.len(), bytes);
                assert!(
                    padding
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == ' ' || c == '.'),
                    "{padding:?}"
                );
                assert_eq!(official::extract(&padding), None, "{padding:?}");
                assert_eq!(robust::extract(&padding, &[]), None, "{padding:?}");
                for letter in ["A", "B", "C", "D", "E", "J"] {
                    let plain = styled(letter, h);
                    let padded = format!("{padding}\n\n{plain}");
                    let official = |r: &str| official::extract(r).map(|(l, _)| l);
                    assert_eq!(official(&padded), official(&plain), "{padded:?}");
                    assert_eq!(official(&plain).as_deref(), Some(letter));
                    for opts in [&options[..], &[]] {
                        let robust = |r: &str| {
                            robust::extract(r, &robust::Choice::letters(opts)).map(|(l, _)| l)
                        };
                        assert_eq!(robust(&padded), robust(&plain), "{padded:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn answers_name_what_was_seen() {
        let look = |colour| {
            Ok(Look {
                colour,
                width: 64,
                height: 32,
            })
        };
        let colour = PictureQuestion::Colour;
        assert_eq!(describe(colour, &[look("yellow")]), "Yellow.");
        assert_eq!(
            describe(colour, &[look("red"), look("blue")]),
            "image 1: red; image 2: blue."
        );
        assert_eq!(
            describe(PictureQuestion::Description, &[look("green")]),
            "A plain green picture of 64x32 pixels, with nothing else in it."
        );
        assert_eq!(describe(colour, &[]), BLIND);
        assert!(describe(colour, &[Err("not a PNG".into())]).contains("cannot read (not a PNG)"));
    }
}
