//! `liveclin extract`: both extractors on one reply, or measured on a labelled corpus.

use std::io::Read;

use crate::cli::ExtractArgs;
use crate::exit::Exit;
use crate::output;
use liveclin_core::scoring::corpus::{read_corpus, score_corpus};
use liveclin_core::scoring::{official, robust};

pub(crate) fn run(args: &ExtractArgs) -> anyhow::Result<Exit> {
    if let Some(corpus) = &args.corpus {
        let entries = read_corpus(corpus)?;
        let score = score_corpus(&entries);
        let mut out = output::stdout();
        write!(out, "{}", score.table())?;
        if args.misses {
            for e in &entries {
                let reading = robust::extract(&e.reply, &e.options.choices());
                let letter = reading.map(|(c, _)| c.to_string());
                if letter == e.label {
                    continue;
                }
                let rule = reading.map_or("no answer".to_string(), |(_, rule)| format!("{rule:?}"));
                writeln!(
                    out,
                    "robust miss {}: got {letter:?} ({rule}), label {:?}",
                    e.id, e.label
                )?;
            }
        }
        return Ok(Exit::Success);
    }
    let reply = match &args.reply {
        Some(reply) => reply.clone(),
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        }
    };
    let options: Vec<String> = args.options.chars().map(|c| c.to_string()).collect();
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let options = robust::Choice::letters(&options);
    let mut out = output::stdout();
    match official::extract(&reply) {
        Some((letter, rule)) => writeln!(out, "official: {letter} (rule {})", rule_name(&rule))?,
        None => writeln!(out, "official: no answer")?,
    }
    match robust::extract(&reply, &options) {
        Some((letter, rule)) => writeln!(out, "robust:   {letter} (rule {})", rule_name(&rule))?,
        None => writeln!(out, "robust:   no answer")?,
    }
    Ok(Exit::Success)
}

fn rule_name(rule: &impl serde::Serialize) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}
