//! The input tokens of a chat request, counted as a provider bills them: every message's
//! text by OpenAI's o200k_base tokenizer, every picture by an [`ImageTokens`] rule at its
//! real size, and the fixed framing OpenAI documents for chat messages. `estimate` counts
//! the requests a run would send with it, and the mock model reports its `usage` with it,
//! so the two can be compared on a real run.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::picture::{self, ASSUMED_SIZE, ImageTokens, Size};
use crate::dataset::LoadedCase;
use crate::dataset::paths::image_path;
use crate::dataset::schema::{Case, Image, items};

/// Tokens framing each message (its role and separators), as OpenAI's cookbook counts
/// them for GPT-4o-era chat models.
pub const PER_MESSAGE: u64 = 3;
/// Tokens priming the reply (`<|start|>assistant<|message|>`), once per request.
pub const REPLY_PRIMING: u64 = 3;

/// Tokens of a text by o200k_base, the tokenizer of GPT-4o, GPT-4.1, GPT-5 and the
/// o-series (its ranks are built into the binary; loaded once, on first use).
pub fn text_tokens(text: &str) -> u64 {
    liveclin_o200k::count(text) as u64
}

/// Whether o200k_base is the model's own tokenizer (OpenAI's models since GPT-4o), judged
/// by its name; for any other model its counts are an approximation (other tokenizers
/// typically count English clinical text within about 10-30% of it).
pub fn tokenizer_is_exact(model: &str) -> bool {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    [
        "gpt-4o",
        "gpt-4.1",
        "gpt-4.5",
        "gpt-5",
        "chatgpt-4o",
        "o1",
        "o3",
        "o4",
    ]
    .iter()
    .any(|family| name.starts_with(family))
}

/// One message's share of a request's input tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageTokens {
    /// Text tokens, framing included.
    pub text: u64,
    /// Pictures in the message.
    pub pictures: u64,
    /// Their tokens by the rule.
    pub picture_tokens: u64,
    /// Pictures whose size could not be read, counted at [`ASSUMED_SIZE`].
    pub assumed_sizes: u64,
}

impl MessageTokens {
    pub fn total(&self) -> u64 {
        self.text + self.picture_tokens
    }
}

/// Counts the input tokens of chat messages with one picture rule. A picture sent as a
/// data URI is sized from its bytes; one sent as an http(s) URL from the dataset file of
/// the same figure, when the counter knows the dataset (a provider fetches the URL and
/// sees the same picture), else at [`ASSUMED_SIZE`].
#[derive(Debug, Clone, Default)]
pub struct Counter {
    rule: ImageTokens,
    /// Figure URL -> its local file's size, when the file has a readable header.
    url_sizes: HashMap<String, Size>,
}

impl Counter {
    pub fn new(rule: ImageTokens) -> Self {
        Counter {
            rule,
            url_sizes: HashMap::new(),
        }
    }

    /// A counter that sizes the figures of `cases` sent by URL from their files under
    /// `image_root`.
    pub fn with_dataset(rule: ImageTokens, cases: &[LoadedCase], image_root: &Path) -> Self {
        let mut url_sizes = HashMap::new();
        for image in cases.iter().flat_map(|lc| figures(&lc.case)) {
            let (url, file) = (image.url.py_get(""), image.file.py_get(""));
            if url.is_empty() || url_sizes.contains_key(url.as_ref()) {
                continue;
            }
            let size = image_path(image_root, &file)
                .ok()
                .and_then(|path| picture::file_size(&path));
            if let Some(size) = size {
                url_sizes.insert(url.into_owned(), size);
            }
        }
        Counter { rule, url_sizes }
    }

    /// The input tokens of a whole request body (`messages` and the reply's priming).
    pub fn request(&self, request: &Value) -> u64 {
        let messages = request["messages"].as_array().into_iter().flatten();
        REPLY_PRIMING + messages.map(|m| self.message(m).total()).sum::<u64>()
    }

    /// One message's tokens: its framing and its content.
    pub fn message(&self, message: &Value) -> MessageTokens {
        let mut tokens = self.content(&message["content"]);
        tokens.text += PER_MESSAGE;
        tokens
    }

    /// A message's content: a string, or text and `image_url` parts.
    pub fn content(&self, content: &Value) -> MessageTokens {
        let mut tokens = MessageTokens::default();
        match content {
            Value::String(text) => tokens.text += text_tokens(text),
            Value::Array(parts) => {
                for part in parts {
                    match part["type"].as_str() {
                        Some("text") => {
                            tokens.text += text_tokens(part["text"].as_str().unwrap_or(""));
                        }
                        Some("image_url") => {
                            let url = part["image_url"]["url"].as_str().unwrap_or("");
                            let size = self.picture_size(url);
                            tokens.pictures += 1;
                            tokens.assumed_sizes += u64::from(size.is_none());
                            tokens.picture_tokens += self.rule.tokens(size.unwrap_or(ASSUMED_SIZE));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        tokens
    }

    fn picture_size(&self, url: &str) -> Option<Size> {
        if url.starts_with("data:") {
            picture::data_uri_size(url)
        } else {
            self.url_sizes.get(url).copied()
        }
    }
}

/// Every figure of a case: the scenario's, then each question's.
fn figures(case: &Case) -> impl Iterator<Item = &Image> {
    let scenario = case
        .policy()
        .into_iter()
        .flat_map(|p| items(&p.scenario_image_details));
    let questions = case
        .mcqs()
        .into_iter()
        .flat_map(|mcq| items(&mcq.image_details));
    scenario.chain(questions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn o200k_counts_text() {
        // Reference counts from OpenAI's tokenizer for o200k_base.
        assert_eq!(text_tokens("Hello, world!"), 4);
        assert_eq!(text_tokens(""), 0);
        assert!(tokenizer_is_exact("gpt-4o-2024-08-06"));
        assert!(tokenizer_is_exact("openai/o3-mini"));
        assert!(!tokenizer_is_exact("Qwen2.5-VL-7B-Instruct"));
    }

    #[test]
    fn a_request_is_its_messages_and_their_pictures() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo");
        let dataset = crate::dataset::load_jsonl(&demo.join("demo.jsonl")).unwrap();
        let counter =
            Counter::with_dataset(ImageTokens::Fixed(100), &dataset.cases, &demo.join("image"));
        let uri = crate::images::data_uri(&demo.join("image/case01/fig3.jpg")).unwrap();
        let request = json!({"model": "m", "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Hello, world!"},
                {"type": "image_url", "image_url": {"url": "https://example.org/liveclin-demo/case01/fig1a.png"}},
                {"type": "image_url", "image_url": {"url": uri}},
                {"type": "image_url", "image_url": {"url": "https://elsewhere/unknown.png"}}
            ]},
            {"role": "assistant", "content": "Hello, world!"}
        ]});
        let user = counter.message(&request["messages"][0]);
        assert_eq!(
            user,
            MessageTokens {
                text: PER_MESSAGE + 4,
                pictures: 3,
                picture_tokens: 300,
                assumed_sizes: 1
            }
        );
        assert_eq!(
            counter.request(&request),
            REPLY_PRIMING + user.total() + PER_MESSAGE + 4
        );
        // The dataset's URL is sized from its file: 64 x 64 is one tile for OpenAI.
        let openai =
            Counter::with_dataset(ImageTokens::OpenAi, &dataset.cases, &demo.join("image"));
        assert_eq!(
            openai.message(&request["messages"][0]).picture_tokens,
            255 * 2 + 765
        );
    }
}
