//! `liveclin check-vision`: does the model see pictures, and which `--image-mode` to use.

use std::path::Path;

use anyhow::{Context, bail};

use super::evaluate::{api_key, extra_body};
use crate::cli::CheckVisionArgs;
use crate::exit::Exit;
use liveclin_net::client::{ChatClient, ChatSettings, retry};
use liveclin_net::engine::preflight;
use liveclin_net::shell::shell_word;
use liveclin_net::vision::advice::advise;
use liveclin_net::vision::checks::{Asker, Finding, UrlPictures, Verdict, checks, url_colours};
use liveclin_net::vision::picture;

pub(crate) fn run(args: &CheckVisionArgs) -> anyhow::Result<Exit> {
    if let Some(dir) = &args.write_pictures {
        return write_pictures(dir);
    }
    // clap requires both unless --write-pictures is given.
    let (Some(model), Some(api_base)) = (&args.model, &args.api_base) else {
        bail!("--model and --api-base are required");
    };
    let url_pictures = url_pictures(args)?;
    let client = ChatClient::new(ChatSettings {
        api_base: api_base.clone(),
        api_key: api_key(args.api_key.as_deref()),
        model: model.clone(),
        temperature: 0.0,
        max_tokens: args.max_tokens,
        timeout: args.timeout,
        max_wait: retry::WaitCap::new(retry::DEFAULT_MAX_WAIT, "the longest wait liveclin honours"),
        extra_body: extra_body(args.extra_body.as_deref())?,
    })?;
    let asker = Asker {
        client,
        tries: args.max_retries,
    };
    writeln!(
        crate::output::stdout(),
        "Checking whether model {model} at {api_base} sees pictures"
    )?;
    tokio::runtime::Runtime::new()?.block_on(check(&url_pictures, &asker))
}

/// What the url checks show: the hosted test pictures when --picture-url is given, else
/// the --image-url picture (weak checks). Either is fetched by the model's server, so it
/// must be http(s).
fn url_pictures(args: &CheckVisionArgs) -> anyhow::Result<UrlPictures> {
    let (flag, url) = match &args.picture_url {
        Some(base) => ("--picture-url", base),
        None => ("--image-url", &args.image_url),
    };
    if !liveclin_core::images::is_http_url(url) {
        bail!("{flag} must be an http:// or https:// URL");
    }
    Ok(match args.picture_url {
        Some(_) => UrlPictures::Known { base: url.clone() },
        None => UrlPictures::Unknown { url: url.clone() },
    })
}

/// `--write-pictures DIR`: writes the url checks' pictures for the user to host (the
/// checks need them at a URL the model's server fetches, which only the user can
/// provide), and says how to serve them and point --picture-url at them.
fn write_pictures(dir: &Path) -> anyhow::Result<Exit> {
    let written = picture::write_pictures(dir, &url_colours())
        .with_context(|| format!("cannot write the test pictures to {}", dir.display()))?;
    writeln!(
        crate::output::stdout(),
        "Wrote {} test pictures:",
        written.len()
    )?;
    for path in &written {
        writeln!(crate::output::stdout(), "  {}", path.display())?;
    }
    let dir = dir.to_string_lossy();
    writeln!(
        crate::output::stdout(),
        "Serve this folder where the model's server can fetch it, e.g.\n  \
         python3 -m http.server 8080 --directory {}\n\
         then check url mode with\n  \
         liveclin check-vision --model MODEL --api-base URL --picture-url http://HOST:8080/",
        shell_word(&dir)
    )?;
    Ok(Exit::Success)
}

async fn check(url_pictures: &UrlPictures, asker: &Asker) -> anyhow::Result<Exit> {
    // Without any reply, no verdict on sight is possible: a usage or connection error.
    if let Err(error) = asker.ping().await {
        if preflight::ignores_list_content(&asker.client).await {
            bail!("{}", preflight::LIST_CONTENT_DROPPED);
        }
        bail!("no reply to a text-only message: {error}");
    }
    let mut findings = Vec::new();
    for check in checks(url_pictures) {
        let finding = asker.run(&check).await;
        writeln!(crate::output::stdout(), "{}", line(&finding))?;
        findings.push(finding);
    }
    let advice = advise(&findings);
    writeln!(crate::output::stdout())?;
    for problem in &advice.problems {
        writeln!(crate::output::stdout(), "{problem}")?;
    }
    writeln!(crate::output::stdout(), "{}", advice.conclusion)?;
    Ok(if advice.usable.is_empty() {
        Exit::CheckFailed
    } else {
        Exit::Success
    })
}

/// One check's line: PASS/FAIL, mode, check, and the reply (shortened) with the reason.
fn line(finding: &Finding) -> String {
    let quoted = || {
        format!(
            "\"{}\"",
            shorten(finding.reply.as_deref().unwrap_or_default())
        )
    };
    let (status, detail) = match &finding.verdict {
        Verdict::Pass => ("PASS", quoted()),
        Verdict::Wrong(why) => ("FAIL", format!("{} ({why})", quoted())),
        Verdict::Blind => ("FAIL", format!("{} (says it sees no picture)", quoted())),
        Verdict::ApiError(error) => ("FAIL", format!("API error: {}", shorten(error))),
    };
    // A weak check's pass does not show sight: the line says so, the advice explains.
    let weak = if finding.weak { " [weak check]" } else { "" };
    format!(
        "{status}  {:<5}  {:<49}  {detail}{weak}",
        finding.mode.as_str(),
        finding.name
    )
}

/// A reply on one line, cut to a readable length.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(MAX_CHARS - 3).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveclin_core::prompt::ImageMode;
    use liveclin_net::vision::checks::Shape;

    #[test]
    fn lines_say_pass_or_fail_and_why() {
        let finding = |reply: Option<&str>, verdict| Finding {
            mode: ImageMode::Local,
            shape: Shape::OnePicture,
            name: "one picture",
            weak: false,
            reply: reply.map(String::from),
            verdict,
        };
        let pass = line(&finding(Some("Yellow\n"), Verdict::Pass));
        assert!(pass.starts_with("PASS  local  one picture"), "{pass}");
        assert!(pass.ends_with("\"Yellow\""), "{pass}");
        let wrong = line(&finding(
            Some("Green."),
            Verdict::Wrong("expected yellow".into()),
        ));
        assert!(wrong.starts_with("FAIL") && wrong.ends_with("\"Green.\" (expected yellow)"));
        let error = line(&finding(None, Verdict::ApiError("HTTP 400".into())));
        assert!(error.ends_with("API error: HTTP 400"), "{error}");
        let weak = Finding {
            weak: true,
            ..finding(Some("A dog."), Verdict::Pass)
        };
        assert!(line(&weak).ends_with("\"A dog.\" [weak check]"));
        assert!(!pass.contains("weak"));
    }

    #[test]
    fn long_replies_are_cut_on_one_line() {
        let long = "word ".repeat(40);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), 80);
        assert!(short.ends_with("...") && !short.contains('\n'));
        assert_eq!(shorten("  a\n b  "), "a b");
    }
}
