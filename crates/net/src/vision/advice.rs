//! From the checks' findings to advice: which `--image-mode` to use, or what failed and
//! what to do about it. A mode is usable only when every one of its checks passed,
//! because `evaluate` sends pictures in all those ways, and none of them was weak: a mode
//! is never recommended unless its pictures were shown to be seen.

use super::checks::{Finding, Shape, Verdict};
use liveclin_core::prompt::ImageMode;

#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// Modes whose every check passed and showed the pictures were seen, local first.
    pub usable: Vec<ImageMode>,
    /// One line per mode that is not usable: what went wrong, or what is unknown, and
    /// what to do.
    pub problems: Vec<String>,
    /// Which mode to use, or the statement that none is shown to work.
    pub conclusion: String,
}

/// What the checks of one mode showed.
enum Standing {
    /// Every check passed, and each one's answer depended on the pictures.
    Works,
    /// Every check passed, but some only weakly: the mode may work, or the model may
    /// ignore the pictures.
    Unverified,
    /// Some checks failed: a sure sign, weak check or not.
    Fails,
}

pub fn advise(findings: &[Finding]) -> Advice {
    let mut usable = Vec::new();
    let mut problems = Vec::new();
    let mut unverified = false;
    for mode in [ImageMode::Local, ImageMode::Url] {
        let checks: Vec<&Finding> = findings.iter().filter(|f| f.mode == mode).collect();
        let failed: Vec<&Finding> = checks
            .iter()
            .copied()
            .filter(|f| f.verdict != Verdict::Pass)
            .collect();
        match standing(&checks, &failed) {
            Standing::Works => usable.push(mode),
            Standing::Unverified => {
                unverified = true;
                problems.push(unverified_line(mode, checks.len()));
            }
            Standing::Fails => problems.push(format!(
                "{} mode failed {} of {} checks: {}",
                mode.as_str(),
                failed.len(),
                checks.len(),
                diagnose(mode, &failed)
            )),
        }
    }
    let conclusion = match usable.as_slice() {
        [] if unverified => "No image mode is shown to work: fix the problems above, or \
                             verify url mode with --picture-url, before evaluating."
            .to_string(),
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

/// A mode's standing from its checks and the ones that failed. A mode without checks
/// showed nothing, so it is unverified rather than vacuously working.
fn standing(checks: &[&Finding], failed: &[&Finding]) -> Standing {
    if !failed.is_empty() {
        Standing::Fails
    } else if checks.is_empty() || checks.iter().any(|f| f.weak) {
        Standing::Unverified
    } else {
        Standing::Works
    }
}

/// Why a mode that passed weakly is not recommended, and how to check it for real. Only
/// url checks are ever weak (their picture is `--image-url`, of unknown content), so the
/// remedy is url mode's: host the known-colour pictures and point --picture-url at them.
fn unverified_line(mode: ImageMode, checks: usize) -> String {
    format!(
        "{} mode is unverified: its {checks} checks passed, but they are weak checks (a \
         description of --image-url, which a model that ignores pictures can write too). To \
         verify it: `liveclin check-vision --write-pictures DIR`, put DIR's PNGs on a web \
         server the model's server can reach, and check again with --picture-url \
         <the URL of that folder>.",
        mode.as_str()
    )
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
                    .to_string()
            }
            ImageMode::Url => url_fetch_hint(failed),
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

/// Why url requests fail when the model's server cannot fetch the picture, naming the
/// flag that chose it: --image-url for the weak checks, --picture-url for the others.
fn url_fetch_hint(failed: &[&Finding]) -> String {
    let flag = if failed.iter().any(|f| f.weak) {
        "--image-url"
    } else {
        "--picture-url"
    };
    format!(
        "the model's server fetches image URLs itself: can it reach {flag}? (an offline \
         cluster: point {flag} at a server inside it, or use local mode)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPES: [Shape; 3] = [Shape::OnePicture, Shape::TwoPictures, Shape::History];

    fn findings<const N: usize>(
        mode: ImageMode,
        shapes: [Shape; N],
        verdicts: [Verdict; N],
        weak: bool,
    ) -> impl Iterator<Item = Finding> {
        shapes
            .into_iter()
            .zip(verdicts)
            .map(move |(shape, verdict)| Finding {
                mode,
                shape,
                name: "a check",
                weak,
                reply: None,
                verdict,
            })
    }

    /// The local checks and the url colour checks of hosted pictures: none weak.
    fn all(local: [Verdict; 3], url: [Verdict; 3]) -> Vec<Finding> {
        let url = findings(ImageMode::Url, SHAPES, url, false);
        findings(ImageMode::Local, SHAPES, local, false)
            .chain(url)
            .collect()
    }

    /// The local checks and the weak url checks of an --image-url picture.
    fn weak_url(local: [Verdict; 3], url: [Verdict; 2]) -> Vec<Finding> {
        let shapes = [Shape::OnePicture, Shape::History];
        let url = findings(ImageMode::Url, shapes, url, true);
        findings(ImageMode::Local, SHAPES, local, false)
            .chain(url)
            .collect()
    }

    const P: Verdict = Verdict::Pass;

    #[test]
    fn a_mode_is_usable_only_when_all_its_checks_pass() {
        let both = advise(&all([P, P, P], [P, P, P]));
        assert_eq!(both.usable, [ImageMode::Local, ImageMode::Url]);
        assert!(both.problems.is_empty());
        assert!(both.conclusion.contains("either"));

        let wrong = Verdict::Wrong("expected green".into());
        let cannot_fetch = || Verdict::ApiError("HTTP 400: cannot fetch".into());
        let local_only = advise(&all([P, P, P], [cannot_fetch(), P, P]));
        assert_eq!(local_only.usable, [ImageMode::Local]);
        assert!(local_only.conclusion.contains("--image-mode local"));
        assert!(local_only.problems[0].starts_with("url mode failed 1 of 3 checks"));
        assert!(local_only.problems[0].contains("HTTP 400: cannot fetch"));
        assert!(local_only.problems[0].contains("can it reach --picture-url?"));
        // The weak checks fetch --image-url, and the hint says so.
        let weak = advise(&weak_url([P, P, P], [cannot_fetch(), P]));
        assert!(weak.problems[0].starts_with("url mode failed 1 of 2 checks"));
        assert!(weak.problems[0].contains("can it reach --image-url?"));

        let url_only = advise(&all([P, P, wrong], [P, P, P]));
        assert_eq!(url_only.usable, [ImageMode::Url]);
        assert!(url_only.conclusion.contains("--image-mode url"));
        assert!(
            url_only.problems[0].contains("earlier turn"),
            "{url_only:?}"
        );
        // A model that sees the current message only says it sees nothing on turn 2.
        let history = advise(&all([P, P, Verdict::Blind], [P, P, Verdict::Blind]));
        assert!(history.usable.is_empty());
        assert!(history.problems.iter().all(|p| p.contains("earlier turn")));
    }

    #[test]
    fn weak_passes_never_recommend_a_mode() {
        let weak = advise(&weak_url([P, P, P], [P, P]));
        assert_eq!(weak.usable, [ImageMode::Local]);
        assert_eq!(
            weak.conclusion,
            "Use --image-mode local (pictures sent inline as base64 data URIs)."
        );
        let [unverified] = weak.problems.as_slice() else {
            panic!("{weak:?}")
        };
        assert!(
            unverified
                .starts_with("url mode is unverified: its 2 checks passed, but they are weak")
        );
        assert!(
            unverified.contains("--write-pictures DIR") && unverified.contains("--picture-url")
        );

        // Weak passes alone: nothing is recommended, and the way to verify url mode is given.
        let b = || Verdict::Blind;
        let alone = advise(&weak_url([b(), b(), b()], [P, P]));
        assert!(alone.usable.is_empty());
        assert!(
            alone
                .conclusion
                .starts_with("No image mode is shown to work")
        );
        assert!(alone.conclusion.contains("--picture-url"));
        assert!(alone.problems[0].starts_with("local mode failed 3 of 3"));
        assert!(alone.problems[1].starts_with("url mode is unverified"));
        assert!(!alone.conclusion.contains("--image-mode"));

        // A weak check's failure is a real one.
        let blind = advise(&weak_url([P, P, P], [b(), b()]));
        assert!(blind.problems[0].starts_with("url mode failed 2 of 2"));
        assert!(blind.problems[0].contains("does not see images"));
    }

    #[test]
    fn a_mode_without_checks_is_not_recommended() {
        let local_only: Vec<Finding> =
            findings(ImageMode::Local, SHAPES, [P, P, P], false).collect();
        let advice = advise(&local_only);
        assert_eq!(advice.usable, [ImageMode::Local]);
        assert!(advice.problems[0].starts_with("url mode is unverified"));
    }

    #[test]
    fn nothing_usable_says_why() {
        let b = || Verdict::Blind;
        let none = advise(&all([b(), b(), b()], [b(), b(), b()]));
        assert!(none.usable.is_empty());
        assert!(none.conclusion.starts_with("No image mode works"));
        assert_eq!(none.problems.len(), 2);
        assert!(
            none.problems
                .iter()
                .all(|p| p.contains("does not see images"))
        );

        let two = Verdict::Wrong("expected red, then blue".into());
        let refused = || Verdict::ApiError("HTTP 400: images not supported".into());
        let mixed = advise(&all([P, two, P], [refused(), refused(), refused()]));
        assert!(mixed.problems[0].contains("two pictures in one message"));
        assert!(mixed.problems[1].contains("the requests failed (HTTP 400"));
    }
}
