//! `liveclin check-vision`: does the model see pictures, and which `--image-mode` to use.

use anyhow::bail;

use super::evaluate::{api_key, extra_body};
use crate::cli::CheckVisionArgs;
use crate::client::{ChatClient, ChatSettings};
use crate::exit::Exit;
use crate::vision::advice::advise;
use crate::vision::checks::{Asker, Finding, Verdict, checks};

pub fn run(args: &CheckVisionArgs) -> anyhow::Result<Exit> {
    if !crate::images::is_http_url(&args.image_url) {
        bail!("--image-url must be an http:// or https:// URL");
    }
    let client = ChatClient::new(ChatSettings {
        api_base: args.api_base.clone(),
        api_key: api_key(args.api_key.as_deref()),
        model: args.model.clone(),
        temperature: 0.0,
        max_tokens: args.max_tokens,
        timeout: crate::client::call_timeout(args.timeout)?,
        extra_body: extra_body(args.extra_body.as_deref())?,
    })?;
    let asker = Asker {
        client,
        tries: args.max_retries,
    };
    tokio::runtime::Runtime::new()?.block_on(check(args, &asker))
}

async fn check(args: &CheckVisionArgs, asker: &Asker) -> anyhow::Result<Exit> {
    println!(
        "Checking whether model {} at {} sees pictures",
        args.model, args.api_base
    );
    // Without any reply, no verdict on sight is possible: a usage or connection error.
    if let Err(error) = asker.ping().await {
        bail!("no reply to a text-only message: {error}");
    }
    let mut findings = Vec::new();
    for check in checks(&args.image_url) {
        let finding = asker.run(&check).await;
        println!("{}", line(&finding));
        findings.push(finding);
    }
    let advice = advise(&findings);
    println!();
    for problem in &advice.problems {
        println!("{problem}");
    }
    println!("{}", advice.conclusion);
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
    format!(
        "{status}  {:<5}  {:<49}  {detail}",
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
    use crate::prompt::ImageMode;
    use crate::vision::checks::Shape;

    #[test]
    fn lines_say_pass_or_fail_and_why() {
        let finding = |reply: Option<&str>, verdict| Finding {
            mode: ImageMode::Local,
            shape: Shape::OnePicture,
            name: "one picture",
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
