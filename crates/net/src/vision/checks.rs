//! The checks of `check-vision`: what each sends, and how its reply is judged.
//!
//! Every check is one conversation of user turns built like LiveClin's own (a text part,
//! then the pictures), sent through the same chat client as `evaluate`. Local pictures are
//! generated solid-colour PNGs, so the right answer is known. URL pictures are the same
//! PNGs when the user hosts them (`--picture-url`), asked about the same way; otherwise a
//! URL picture is whatever `--image-url` shows, so only a description can be asked of it,
//! and those checks are weak: a model that ignores pictures can pass them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::picture::{colour, file_name, solid_png};
use crate::client::{ChatClient, Conversation, Outcome, retry};
use liveclin_core::images;
use liveclin_core::prompt::{ImageMode, Picture, Turn, user_content};

/// The official local-mode question (docs/commands.md).
pub(crate) const ONE_PICTURE: &str =
    "What is the dominant color of this image? Reply with just the color name in one word.";
/// The official url-mode request (docs/commands.md).
pub(crate) const DESCRIBE: &str = "Briefly describe what you see in this image in 1-2 sentences.";
pub(crate) const TWO_PICTURES: &str = "Two images are attached. What is the dominant color of each? \
                                Reply in the form: first: <color>, second: <color>.";
/// Turn 1 of a history check: shows the picture without revealing anything about it in
/// the model's reply, so turn 2 can only be answered by looking back at the picture.
pub(crate) const SHOW: &str = "Here is an image. I will ask you about it in my next message; \
                        for now, reply with just the word READY.";
pub(crate) const RECALL_COLOUR: &str = "What is the dominant color of the image in my previous \
                                 message? Reply with just the color name in one word.";
pub(crate) const RECALL_DESCRIPTION: &str =
    "Briefly describe the image in my previous message in 1-2 sentences.";
/// Sent before any check: a failure here is the endpoint's, not the model's eyesight.
pub(crate) const PING: &str = "Reply with just the word OK.";
/// The official smoke test's public picture, the default `--image-url`.
pub const DEFAULT_IMAGE_URL: &str = "https://upload.wikimedia.org/wikipedia/commons/thumb/4/47/PNG_transparency_demonstration_1.png/280px-PNG_transparency_demonstration_1.png";

/// One check: a conversation of user turns and a rule for the reply to the last one.
#[derive(Debug, Clone)]
pub struct Check {
    pub mode: ImageMode,
    pub shape: Shape,
    pub name: &'static str,
    pub turns: Vec<Turn>,
    pub expect: Expect,
}

/// How a check shows its pictures: the ways LiveClin shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    OnePicture,
    TwoPictures,
    /// The picture comes in turn 1 and the question about it in turn 2.
    History,
}

/// How the reply to a check's last turn is judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// The official local-mode rule: the reply contains this word, in any case.
    Contains(&'static str),
    /// The palette colours the reply names, in order, are these (repeats ignored).
    Colours(&'static [&'static str]),
    /// A real description: the official rule (more than 10 characters once stripped),
    /// and not a reply saying there is no picture to see.
    Description,
}

impl Expect {
    /// Whether a pass shows the picture was seen. A description of a picture whose
    /// content is unknown can be written without looking, so such a check is weak: its
    /// failure means something, its pass does not.
    pub(crate) fn depends_on_picture(self) -> bool {
        self != Expect::Description
    }
}

/// What the url-mode checks show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlPictures {
    /// The test pictures (`--write-pictures`) served under this base URL
    /// (`--picture-url`): the url checks ask their colours, as the local checks do.
    Known { base: String },
    /// One picture whose content is unknown (`--image-url`): the url checks can only ask
    /// for a description, so they are weak.
    Unknown { url: String },
}

/// The colour checks of one mode: one per way LiveClin shows pictures, each with the
/// colours it shows and the names its lines carry.
struct ColourChecks {
    mode: ImageMode,
    /// Names of the one-picture, two-picture and history checks.
    names: [&'static str; 3],
    /// The one-picture check is the official one, judged by its rule (the reply contains
    /// the colour) so that it passes exactly when the official script's does.
    official: bool,
    one: [&'static str; 1],
    two: [&'static str; 2],
    recalled: [&'static str; 1],
}

static LOCAL: ColourChecks = ColourChecks {
    mode: ImageMode::Local,
    names: [
        "one picture, base64 (official check)",
        "two pictures in one message",
        "a picture in turn 1, asked about in turn 2",
    ],
    official: true,
    one: ["yellow"],
    two: ["red", "blue"],
    recalled: ["green"],
};

/// The same four colours as the local checks (only four files to host), each check
/// showing a different one than its local twin, so no answer carries over by chance.
static URL: ColourChecks = ColourChecks {
    mode: ImageMode::Url,
    names: [
        "one picture by URL",
        "two pictures by URL in one message",
        "a picture by URL in turn 1, asked about in turn 2",
    ],
    official: false,
    one: ["blue"],
    two: ["green", "yellow"],
    recalled: ["red"],
};

/// The colours of the url-mode pictures, each once: the files a user hosts for
/// `--picture-url`.
pub fn url_colours() -> Vec<&'static str> {
    let mut colours: Vec<&'static str> = Vec::new();
    for name in URL.one.iter().chain(&URL.two).chain(&URL.recalled) {
        if !colours.contains(name) {
            colours.push(name);
        }
    }
    colours
}

/// The URL of the test picture of colour `name` under `base` (with or without a
/// trailing slash).
pub fn picture_url(base: &str, name: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), file_name(name))
}

/// A user turn: the text, then the pictures.
fn turn(text: &str, pictures: Vec<Picture>) -> Turn {
    Turn {
        text: text.to_string(),
        pictures,
    }
}

/// A mode's colour checks, its pictures made by `picture` from a colour name.
fn colour_checks(plan: &'static ColourChecks, picture: impl Fn(&str) -> Picture) -> Vec<Check> {
    let check = |shape, name, turns, expect| Check {
        mode: plan.mode,
        shape,
        name,
        turns,
        expect,
    };
    let first = if plan.official {
        Expect::Contains(plan.one[0])
    } else {
        Expect::Colours(&plan.one)
    };
    vec![
        check(
            Shape::OnePicture,
            plan.names[0],
            vec![turn(ONE_PICTURE, vec![picture(plan.one[0])])],
            first,
        ),
        check(
            Shape::TwoPictures,
            plan.names[1],
            vec![turn(TWO_PICTURES, plan.two.map(&picture).to_vec())],
            Expect::Colours(&plan.two),
        ),
        check(
            Shape::History,
            plan.names[2],
            vec![
                turn(SHOW, vec![picture(plan.recalled[0])]),
                turn(RECALL_COLOUR, vec![]),
            ],
            Expect::Colours(&plan.recalled),
        ),
    ]
}

/// The weak url checks of a picture whose content is unknown: the official describe
/// check, and the same picture described a turn later.
fn describe_checks(url: &str) -> Vec<Check> {
    let picture = || vec![Picture::Url(url.to_string())];
    let check = |shape, name, turns| Check {
        mode: ImageMode::Url,
        shape,
        name,
        turns,
        expect: Expect::Description,
    };
    vec![
        check(
            Shape::OnePicture,
            "one picture by URL (official check)",
            vec![turn(DESCRIBE, picture())],
        ),
        check(
            Shape::History,
            "a picture by URL in turn 1, asked about in turn 2",
            vec![turn(SHOW, picture()), turn(RECALL_DESCRIPTION, vec![])],
        ),
    ]
}

/// The checks, local mode first, each with the pictures it sends. Local pictures are
/// named after their colour (`picture::file_name`) and generated when the request is
/// built.
pub fn checks(url_pictures: &UrlPictures) -> Vec<Check> {
    let local = |name: &str| Picture::File(PathBuf::from(file_name(name)));
    let mut all = colour_checks(&LOCAL, local);
    all.extend(match url_pictures {
        UrlPictures::Known { base } => {
            colour_checks(&URL, |name| Picture::Url(picture_url(base, name)))
        }
        UrlPictures::Unknown { url } => describe_checks(url),
    });
    all
}

/// The user-message content of a turn, built as `evaluate` builds it: a local picture
/// `<colour>.png` becomes the data URI of a generated solid PNG of that colour.
pub fn content(turn: &Turn) -> Value {
    user_content(turn, |path: &Path| {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        images::encode(path, &solid_png(colour(name)))
    })
}

/// What became of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// The model answered, but not what the pictures show; says what was expected.
    Wrong(String),
    /// The model says it has no picture to look at.
    Blind,
    /// No reply: the API's error, after retries.
    ApiError(String),
}

/// A check's outcome, with the last reply when there was one.
#[derive(Debug, Clone)]
pub struct Finding {
    pub mode: ImageMode,
    pub shape: Shape,
    pub name: &'static str,
    /// The right answer did not depend on the picture (`Expect::depends_on_picture`): a
    /// pass does not show the picture was seen.
    pub weak: bool,
    pub reply: Option<String>,
    pub verdict: Verdict,
}

/// Judges the reply to a check's last turn.
pub(crate) fn judge(expect: Expect, reply: &str) -> Verdict {
    let passed = match expect {
        Expect::Contains(word) => reply.to_lowercase().contains(word),
        Expect::Colours(wanted) => colours_named(reply) == wanted,
        Expect::Description => reply.trim().chars().count() > 10 && !says_blind(reply),
    };
    if passed {
        return Verdict::Pass;
    }
    if says_blind(reply) {
        return Verdict::Blind;
    }
    Verdict::Wrong(match expect {
        Expect::Contains(word) => format!("expected {word}"),
        Expect::Colours(wanted) => format!("expected {}", wanted.join(", then ")),
        Expect::Description => "expected a description of more than 10 characters".into(),
    })
}

/// The palette colours a reply names, in order of first mention (whole words only, so
/// "reduced" is not red; "gray" counts as grey).
fn colours_named(reply: &str) -> Vec<&'static str> {
    let mut named = Vec::new();
    for word in reply.split(|c: char| !c.is_alphabetic()) {
        let word = word.to_lowercase();
        let word = if word == "gray" { "grey".into() } else { word };
        if let Some(c) = super::picture::PALETTE.iter().find(|c| c.name == word)
            && !named.contains(&c.name)
        {
            named.push(c.name);
        }
    }
    named
}

/// Phrases by which a model says it received no picture: a text-only model, or one whose
/// server dropped the picture (from an earlier turn, say).
const BLIND_PHRASES: &[&str] = &[
    "can't see",
    "cannot see",
    "can not see",
    "unable to see",
    "not able to see",
    "can't view",
    "cannot view",
    "unable to view",
    "can't access",
    "cannot access",
    "unable to access",
    "don't see any image",
    "don't see an image",
    "do not see any image",
    "do not see an image",
    "no image",
    "no picture",
    "not attached",
    "haven't provided",
    "didn't provide",
    "did not provide",
];

/// Whether a reply says there is no picture to look at (a text-only model's answer).
fn says_blind(reply: &str) -> bool {
    let text = reply.to_lowercase().replace('\u{2019}', "'");
    BLIND_PHRASES.iter().any(|p| text.contains(p))
}

/// Sends conversations through the chat client: a few tries, the shared backoff and
/// `Retry-After`, no retry of a permanent failure.
pub struct Asker {
    pub client: ChatClient,
    /// API calls per request, at least 1.
    pub tries: u32,
}

/// Why an empty reply usually happens, and what to change.
const EMPTY_HINT: &str = "the model returned an empty reply (a reasoning model may have spent \
                          --max-tokens on thinking: raise it, or switch thinking off with \
                          --extra-body)";

impl Asker {
    /// The reply to a conversation, or the error of its last try.
    pub async fn ask(&self, conversation: &Conversation) -> Result<String, String> {
        let mut last = String::new();
        for call in 0..self.tries {
            match self.client.complete(conversation).await {
                Outcome::Reply(reply) => return Ok(reply.content),
                Outcome::Permanent { message } => return Err(message),
                Outcome::Empty => return Err(EMPTY_HINT.into()),
                Outcome::Retryable {
                    message,
                    retry_after,
                    ..
                } => {
                    last = message;
                    if call + 1 < self.tries {
                        tokio::time::sleep(retry::delay(call, retry_after)).await;
                    }
                }
            }
        }
        Err(last)
    }

    /// Whether the endpoint answers a text-only message at all.
    pub async fn ping(&self) -> Result<String, String> {
        let turn = Turn {
            text: PING.into(),
            pictures: vec![],
        };
        let mut conversation = Conversation::default();
        conversation.user(content(&turn));
        self.ask(&conversation).await
    }

    /// Runs a check: its turns in one conversation, each reply kept in the history as
    /// `evaluate` keeps it, and the last reply judged.
    pub async fn run(&self, check: &Check) -> Finding {
        let mut conversation = Conversation::default();
        let mut outcome = Err(String::new());
        for turn in &check.turns {
            conversation.user(content(turn));
            outcome = self.ask(&conversation).await;
            match &outcome {
                Ok(reply) => conversation.assistant(reply),
                Err(_) => break,
            }
        }
        let (reply, verdict) = match outcome {
            Ok(reply) => {
                let verdict = judge(check.expect, &reply);
                (Some(reply), verdict)
            }
            Err(error) => (None, Verdict::ApiError(error)),
        };
        Finding {
            mode: check.mode,
            shape: check.shape,
            name: check.name,
            weak: !check.expect.depends_on_picture(),
            reply,
            verdict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_rules_for_the_official_checks() {
        let yellow = Expect::Contains("yellow");
        assert_eq!(judge(yellow, "Yellow"), Verdict::Pass);
        assert_eq!(judge(yellow, "yellowish."), Verdict::Pass);
        assert_eq!(
            judge(yellow, "Green."),
            Verdict::Wrong("expected yellow".into())
        );
        assert_eq!(
            judge(Expect::Description, "A dog on a lawn."),
            Verdict::Pass
        );
        assert!(matches!(
            judge(Expect::Description, "  A square. "),
            Verdict::Wrong(_)
        ));
    }

    #[test]
    fn a_reply_without_sight_fails_even_when_long() {
        let blind = "I'm sorry, but I can\u{2019}t see any image. I can only read text.";
        assert_eq!(judge(Expect::Description, blind), Verdict::Blind);
        assert_eq!(judge(Expect::Contains("yellow"), blind), Verdict::Blind);
        for blind in [
            "No image was attached to your message.",
            "There is no image in your previous message, so I cannot describe it.",
            "I don\u{2019}t see an image in our conversation.",
        ] {
            assert_eq!(judge(Expect::Description, blind), Verdict::Blind, "{blind}");
        }
    }

    #[test]
    fn colours_must_come_in_order() {
        let two = Expect::Colours(&["red", "blue"]);
        assert_eq!(judge(two, "first: red, second: blue"), Verdict::Pass);
        assert_eq!(
            judge(two, "Image 1 is RED; image 2 is Blue."),
            Verdict::Pass
        );
        assert_eq!(
            judge(two, "first: blue, second: red"),
            Verdict::Wrong("expected red, then blue".into())
        );
        assert!(matches!(
            judge(two, "first: red, second: red"),
            Verdict::Wrong(_)
        ));
        assert!(matches!(
            judge(two, "Both are reduced blue."),
            Verdict::Wrong(_)
        ));
        let green = Expect::Colours(&["green"]);
        assert_eq!(judge(green, "Green."), Verdict::Pass);
        assert!(matches!(judge(green, "green or yellow"), Verdict::Wrong(_)));
        assert_eq!(
            colours_named("gray, then Grey and white"),
            ["grey", "white"]
        );
    }

    #[test]
    fn local_pictures_are_generated_png_data_uris_after_the_text() {
        let all = checks(&UrlPictures::Unknown {
            url: "http://127.0.0.1:9/x.png".into(),
        });
        let two = &all[1];
        let parts = content(&two.turns[0]);
        let parts = parts.as_array().unwrap();
        assert_eq!(
            parts[0],
            serde_json::json!({"type": "text", "text": TWO_PICTURES})
        );
        for (part, name) in parts[1..].iter().zip(["red", "blue"]) {
            let uri = part["image_url"]["url"].as_str().unwrap();
            let data = uri.strip_prefix("data:image/png;base64,").unwrap();
            let bytes =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap();
            assert_eq!(super::super::picture::look(&bytes).unwrap().colour, name);
        }
        let url = content(&all[3].turns[0]);
        assert_eq!(url[1]["image_url"]["url"], "http://127.0.0.1:9/x.png");
        let history = &all[2];
        assert_eq!(content(&history.turns[1]).as_array().unwrap().len(), 1);
    }

    /// The URLs a check sends, turn by turn.
    fn urls_sent(check: &Check) -> Vec<Vec<String>> {
        let url = |part: &Value| part["image_url"]["url"].as_str().map(String::from);
        let turn_urls = |turn| -> Vec<String> {
            let parts = content(turn);
            parts.as_array().unwrap().iter().filter_map(url).collect()
        };
        check.turns.iter().map(turn_urls).collect()
    }

    #[test]
    fn hosted_pictures_make_url_checks_colour_checks_in_every_shape() {
        let all = checks(&UrlPictures::Known {
            base: "http://files.local/pics/".into(),
        });
        let url: Vec<&Check> = all.iter().filter(|c| c.mode == ImageMode::Url).collect();
        let shapes: Vec<Shape> = url.iter().map(|c| c.shape).collect();
        assert_eq!(
            shapes,
            [Shape::OnePicture, Shape::TwoPictures, Shape::History]
        );
        assert!(all.iter().all(|c| c.expect.depends_on_picture()));
        let at = |name: &str| format!("http://files.local/pics/{name}.png");
        assert_eq!(urls_sent(url[0]), [vec![at("blue")]]);
        assert_eq!(urls_sent(url[1]), [vec![at("green"), at("yellow")]]);
        assert_eq!(urls_sent(url[2]), [vec![at("red")], vec![]]);
        assert_eq!(url[1].expect, Expect::Colours(&["green", "yellow"]));
        assert_eq!(url[2].turns[1].text, RECALL_COLOUR);
        // Every colour shown by URL is among the files a user is told to host.
        let hosted = url_colours();
        assert_eq!(hosted, ["blue", "green", "yellow", "red"]);
        for sent in url.iter().flat_map(|c| urls_sent(c)).flatten() {
            assert!(hosted.iter().any(|name| sent == at(name)), "{sent}");
        }
    }

    #[test]
    fn only_the_describe_checks_of_an_unknown_picture_are_weak() {
        let all = checks(&UrlPictures::Unknown {
            url: "http://files.local/x.png".into(),
        });
        let weak: Vec<(ImageMode, &str)> = all
            .iter()
            .filter(|c| !c.expect.depends_on_picture())
            .map(|c| (c.mode, c.turns[0].text.as_str()))
            .collect();
        assert_eq!(weak, [(ImageMode::Url, DESCRIBE), (ImageMode::Url, SHOW)]);
        assert_eq!(all.len(), 5);
    }

    #[test]
    fn picture_urls_join_the_base_with_one_slash() {
        for base in ["http://h:8080/p", "http://h:8080/p/"] {
            assert_eq!(picture_url(base, "red"), "http://h:8080/p/red.png");
        }
    }
}
