//! `liveclin prompts`: the exact turns of chosen cases, for inspection.

use anyhow::bail;
use serde_json::{Value, json};

use crate::cli::PromptsArgs;
use crate::exit::Exit;
use crate::output;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::images;
use liveclin_core::prompt::{Picture, case_turns, user_content};

/// How many characters of a data URI `--short-data-uris` keeps.
const SHORT_URI_CHARS: usize = 48;

pub(crate) fn run(args: &PromptsArgs) -> anyhow::Result<Exit> {
    super::download::fetch_missing(&args.data)?;
    let (dataset, paths) = super::load_config(&args.data)?;
    let mut chosen: Vec<&LoadedCase> = if args.cases.is_empty() {
        dataset.cases.iter().collect()
    } else {
        let unknown: Vec<&String> = args
            .cases
            .iter()
            .filter(|id| !dataset.cases.iter().any(|c| &c.id == *id))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "no case with id {} in {}",
                quoted(&unknown),
                dataset.path.display()
            );
        }
        dataset
            .cases
            .iter()
            .filter(|c| args.cases.contains(&c.id))
            .collect()
    };
    chosen.truncate(args.limit.unwrap_or(usize::MAX));

    let mut out = output::stdout();
    for case in chosen {
        let turns = case_turns(&case.case, args.image_mode, &paths.image_root);
        if args.json {
            let contents: Vec<Value> = turns
                .iter()
                .map(|turn| {
                    let mut content = user_content(turn, images::data_uri);
                    if args.short_data_uris {
                        shorten_data_uris(&mut content);
                    }
                    content
                })
                .collect();
            let record = json!({"case_id": case.id, "line": case.line, "contents": contents});
            writeln!(out, "{}", serde_json::to_string(&record)?)?;
            continue;
        }
        writeln!(
            out,
            "=== case {} (line {}): {} turns, {} mode",
            case.id,
            case.line,
            turns.len(),
            args.image_mode.as_str()
        )?;
        for (i, turn) in turns.iter().enumerate() {
            writeln!(out, "--- turn {} ---", i + 1)?;
            writeln!(out, "{}", turn.text)?;
            for picture in &turn.pictures {
                match picture {
                    Picture::Url(url) if images::is_http_url(url) => {
                        writeln!(out, "  [picture] {url}")?
                    }
                    Picture::Url(url) => {
                        writeln!(out, "  [picture not sent: not an http(s) URL] {url}")?
                    }
                    Picture::File(path) => match images::data_uri(path) {
                        Ok(uri) => writeln!(
                            out,
                            "  [picture] {} ({} characters as a data URI)",
                            path.display(),
                            uri.len()
                        )?,
                        Err(skip) => writeln!(out, "  [picture not sent: {skip}]")?,
                    },
                }
            }
        }
        writeln!(out)?;
    }
    Ok(Exit::Success)
}

fn quoted(ids: &[&String]) -> String {
    ids.iter()
        .map(|id| format!("{id:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replaces every data URI in a message content with its first characters and a count.
fn shorten_data_uris(content: &mut Value) {
    let Some(parts) = content.as_array_mut() else {
        return;
    };
    for part in parts {
        if let Some(Value::String(url)) = part.pointer_mut("/image_url/url")
            && url.starts_with("data:")
            && url.len() > SHORT_URI_CHARS
        {
            let cut = url
                .char_indices()
                .nth(SHORT_URI_CHARS)
                .map_or(url.len(), |(i, _)| i);
            *url = format!("{}...[{} more characters]", &url[..cut], url.len() - cut);
        }
    }
}
