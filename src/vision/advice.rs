//! From the checks' findings to advice: which `--image-mode` to use, or what failed and
//! what to do about it. A mode is usable only when every one of its checks passed,
//! because `evaluate` sends pictures in all those ways.

use super::checks::{Finding, Shape, Verdict};
use crate::prompt::ImageMode;

#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// Modes whose every check passed, local first.
    pub usable: Vec<ImageMode>,
    /// One line per failed mode: what went wrong, and what to do.
    pub problems: Vec<String>,
    /// Which mode to use, or the statement that none works.
    pub conclusion: String,
}

pub fn advise(findings: &[Finding]) -> Advice {
    let mut usable = Vec::new();
    let mut problems = Vec::new();
    for mode in [ImageMode::Local, ImageMode::Url] {
        let checks: Vec<&Finding> = findings.iter().filter(|f| f.mode == mode).collect();
        let failed: Vec<&Finding> = checks
            .iter()
            .copied()
            .filter(|f| f.verdict != Verdict::Pass)
            .collect();
        if failed.is_empty() {
            usable.push(mode);
        } else {
            problems.push(format!(
                "{} mode failed {} of {} checks: {}",
                mode.as_str(),
                failed.len(),
                checks.len(),
                diagnose(mode, &failed)
            ));
        }
    }
    let conclusion = match usable.as_slice() {
        [] => "No image mode works: the model does not see the pictures as LiveClin sends \
               them; fix the problems above before evaluating."
            .to_string(),
        [ImageMode::Local] => {
            "Use --image-mode local (pictures sent inline as base64 data URIs).".into()
        }
        [ImageMode::Url] => {
            "Use --image-mode url (the model's server fetches each picture's URL).".into()
        }
        _ => "Use either --image-mode local or --image-mode url: both work.".into(),
    };
    Advice {
        usable,
        problems,
        conclusion,
    }
}

/// What the failures of one mode mean, most telling first.
fn diagnose(mode: ImageMode, failed: &[&Finding]) -> String {
    let errors: Vec<&str> = failed
        .iter()
        .filter_map(|f| match &f.verdict {
            Verdict::ApiError(e) => Some(e.as_str()),
            _ => None,
        })
        .collect();
    if errors.len() == failed.len() {
        let hint = match mode {
            ImageMode::Local => {
                "does the server accept base64 data URIs, and is it serving a vision model \
                 (SGLang: --enable-multimodal)?"
            }
            ImageMode::Url => {
                "the model's server fetches image URLs itself: can it reach --image-url? \
                 (an offline cluster: point --image-url at a server inside it, or use local mode)"
            }
        };
        return format!("the requests failed ({}); {hint}", errors[0]);
    }
    let shapes: Vec<Shape> = failed.iter().map(|f| f.shape).collect();
    match shapes.as_slice() {
        [Shape::History] => "the model sees a picture in the current message but not one \
                             sent in an earlier turn; LiveClin shows each picture once and \
                             asks about it in later turns, so its scores would be wrong."
            .into(),
        [Shape::TwoPictures] => "the model does not tell apart two pictures in one message; \
                                 LiveClin's turns often carry several."
            .into(),
        _ if failed.iter().any(|f| f.verdict == Verdict::Blind) => {
            "the model answers as if no picture were attached: it does not see images (a \
             text-only model, or a server started without image support, e.g. SGLang \
             without --enable-multimodal)."
                .into()
        }
        _ => "the replies do not match the pictures sent (see above).".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(mode: ImageMode, shape: Shape, verdict: Verdict) -> Finding {
        Finding {
            mode,
            shape,
            name: "a check",
            reply: None,
            verdict,
        }
    }

    fn all(local: [Verdict; 3], url: [Verdict; 2]) -> Vec<Finding> {
        let local_shapes = [Shape::OnePicture, Shape::TwoPictures, Shape::History];
        let url_shapes = [Shape::OnePicture, Shape::History];
        let local = local_shapes
            .into_iter()
            .zip(local)
            .map(|(s, v)| finding(ImageMode::Local, s, v));
        let url = url_shapes
            .into_iter()
            .zip(url)
            .map(|(s, v)| finding(ImageMode::Url, s, v));
        local.chain(url).collect()
    }

    const P: Verdict = Verdict::Pass;

    #[test]
    fn a_mode_is_usable_only_when_all_its_checks_pass() {
        let both = advise(&all([P, P, P], [P, P]));
        assert_eq!(both.usable, [ImageMode::Local, ImageMode::Url]);
        assert!(both.problems.is_empty());
        assert!(both.conclusion.contains("either"));

        let wrong = Verdict::Wrong("expected green".into());
        let local_only = advise(&all(
            [P, P, P],
            [Verdict::ApiError("HTTP 400: cannot fetch".into()), P],
        ));
        assert_eq!(local_only.usable, [ImageMode::Local]);
        assert!(local_only.conclusion.contains("--image-mode local"));
        assert!(local_only.problems[0].starts_with("url mode failed 1 of 2 checks"));
        assert!(local_only.problems[0].contains("HTTP 400: cannot fetch"));
        assert!(local_only.problems[0].contains("--image-url"));

        let url_only = advise(&all([P, P, wrong], [P, P]));
        assert_eq!(url_only.usable, [ImageMode::Url]);
        assert!(url_only.conclusion.contains("--image-mode url"));
        assert!(
            url_only.problems[0].contains("earlier turn"),
            "{url_only:?}"
        );
        // A model that sees the current message only says it sees nothing on turn 2.
        let history = advise(&all([P, P, Verdict::Blind], [P, Verdict::Blind]));
        assert!(history.usable.is_empty());
        assert!(history.problems.iter().all(|p| p.contains("earlier turn")));
    }

    #[test]
    fn nothing_usable_says_why() {
        let b = || Verdict::Blind;
        let none = advise(&all([b(), b(), b()], [b(), b()]));
        assert!(none.usable.is_empty());
        assert!(none.conclusion.starts_with("No image mode works"));
        assert_eq!(none.problems.len(), 2);
        assert!(
            none.problems
                .iter()
                .all(|p| p.contains("does not see images"))
        );

        let two = Verdict::Wrong("expected red, then blue".into());
        let refused = Verdict::ApiError("HTTP 400: images not supported".into());
        let mixed = advise(&all([P, two, P], [refused.clone(), refused]));
        assert!(mixed.problems[0].contains("two pictures in one message"));
        assert!(mixed.problems[1].contains("the requests failed (HTTP 400"));
    }
}
