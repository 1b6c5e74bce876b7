//! `liveclin estimate`: what a run would send and cost, counted without calling anyone
//! (the counting is `liveclin_core::cost`).

use crate::cli::EstimateArgs;
use crate::exit::Exit;
use crate::output;
use liveclin_core::cost::estimate::{Estimate, Settings, estimate};
use liveclin_core::cost::picture::{ASSUMED_SIZE, ImageTokens};
use liveclin_core::cost::price::Price;
use liveclin_core::cost::tokens::{Counter, tokenizer_is_exact};
use liveclin_core::prompt::ImageMode;

/// Everything `estimate` says, as `--json` prints it.
#[derive(Debug, serde::Serialize)]
struct Report {
    model: String,
    dataset: String,
    image_mode: ImageMode,
    /// Always o200k_base; `tokenizer_exact` says whether it is the model's own.
    tokenizer: &'static str,
    tokenizer_exact: bool,
    /// The picture rule, as `--image-tokens` takes it.
    image_tokens: ImageTokens,
    #[serde(flatten)]
    estimate: Estimate,
    price: Option<Price>,
    cost_usd: Option<f64>,
    rpm: Option<u64>,
    tpm: Option<u64>,
    /// The least wall time the limits allow, in minutes.
    min_wall_minutes: Option<f64>,
}

pub(crate) fn run(args: &EstimateArgs) -> anyhow::Result<Exit> {
    let shard = liveclin_net::shard::resolve(args.shard, args.shard_count)?;
    super::download::fetch_missing(&args.data)?;
    let (mut dataset, paths) = super::load_config(&args.data)?;
    if let Some(shard) = shard {
        dataset.cases.retain(|case| shard.contains(&case.id));
    }
    if let Some(limit) = args.limit {
        dataset.cases.truncate(limit);
    }
    let counter = Counter::with_dataset(args.image_tokens, &dataset.cases, &paths.image_root);
    let settings = Settings {
        model: args.model.clone(),
        mode: args.image_mode,
        max_tokens: args.max_tokens,
        expect_output: args.expect_output,
    };
    let estimate = estimate(&dataset.cases, &paths.image_root, &settings, &counter);
    let report = Report {
        model: args.model.clone(),
        dataset: args.data.dataset.clone(),
        image_mode: args.image_mode,
        tokenizer: "o200k_base",
        tokenizer_exact: tokenizer_is_exact(&args.model),
        image_tokens: args.image_tokens,
        cost_usd: args.price.map(|p| estimate.cost(&p)),
        min_wall_minutes: estimate.min_minutes(args.rpm, args.tpm),
        estimate,
        price: args.price,
        rpm: args.rpm,
        tpm: args.tpm,
    };
    let mut out = output::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", table(&report))?;
    }
    Ok(Exit::Success)
}

/// The report as a table of lines: what, how much, and how it was counted.
fn table(r: &Report) -> String {
    let e = &r.estimate;
    let mut rows: Vec<(&str, String, String)> = Vec::new();
    rows.push((
        "requests",
        thousands(e.requests),
        format!(
            "one per question, at most {} turns a case, each resending the conversation",
            e.max_turns
        ),
    ));
    rows.push((
        "request bytes",
        bytes(e.request_bytes),
        match r.image_mode {
            ImageMode::Local => "pictures inline as base64".into(),
            ImageMode::Url => "pictures as URLs".into(),
        },
    ));
    let mut pictures = format!(
        "in the turns; {} sent with every resend",
        thousands(e.pictures_sent)
    );
    if e.pictures_assumed_size > 0 {
        pictures.push_str(&format!(
            "; {} without a readable file counted at {}x{}",
            thousands(e.pictures_assumed_size),
            ASSUMED_SIZE.width,
            ASSUMED_SIZE.height
        ));
    }
    rows.push(("pictures", thousands(e.pictures), pictures));
    rows.push((
        "text tokens",
        thousands(e.text_tokens),
        if r.tokenizer_exact {
            format!("{}, {}'s own tokenizer", r.tokenizer, r.model)
        } else {
            format!(
                "{}: an approximation for {} (other tokenizers differ by about 10-30%)",
                r.tokenizer, r.model
            )
        },
    ));
    rows.push((
        "picture tokens",
        thousands(e.picture_tokens),
        match r.image_tokens {
            ImageTokens::Fixed(n) => format!("{n} a picture"),
            rule => format!("{rule}'s rule, at each picture's real size"),
        },
    ));
    rows.push(("input tokens", thousands(e.input_tokens), String::new()));
    rows.push((
        "cache-eligible",
        thousands(e.cache_eligible_tokens),
        format!(
            "{} of the input repeats the previous turn's prompt (a provider's prompt cache may serve it)",
            percent(e.cache_eligible_tokens, e.input_tokens)
        ),
    ));
    rows.push((
        "output tokens",
        thousands(e.output_tokens),
        format!(
            "assumed {} a reply (--expect-output)",
            thousands(e.expect_output)
        ),
    ));
    rows.push(match (r.cost_usd, &r.price) {
        (Some(usd), Some(price)) => ("cost", format!("${usd:.2}"), format!("at {price}")),
        _ => (
            "cost",
            "-".into(),
            "give --price INPUT,OUTPUT[,CACHED] (USD per million tokens)".into(),
        ),
    });
    rows.push(match r.min_wall_minutes {
        Some(minutes) => ("least wall time", duration(minutes), limits(r)),
        None => (
            "least wall time",
            "-".into(),
            "give --rpm and/or --tpm".into(),
        ),
    });
    let mut text = format!(
        "Estimate of {} on {} ({} cases, {} mode); no calls made\n",
        r.model,
        r.dataset,
        thousands(e.cases),
        r.image_mode.as_str()
    );
    let value_width = rows.iter().map(|(_, v, _)| v.len()).max().unwrap_or(0);
    for (what, value, how) in rows {
        text.push_str(format!("  {what:<16} {value:>value_width$}  {how}").trim_end());
        text.push('\n');
    }
    text.push_str(&format!(
        "Turns are sequential: however many cases run at once, a run lasts at least {} replies one after another.\n",
        e.max_turns
    ));
    text
}

/// How each limit bounds the run.
fn limits(r: &Report) -> String {
    let e = &r.estimate;
    let mut parts = Vec::new();
    if let Some(rpm) = r.rpm {
        parts.push(format!(
            "{} requests at {} RPM: {}",
            thousands(e.requests),
            thousands(rpm),
            duration(e.min_minutes(Some(rpm), None).unwrap_or(0.0))
        ));
    }
    if let Some(tpm) = r.tpm {
        parts.push(format!(
            "{} tokens at {} TPM: {}",
            thousands(e.input_tokens + e.output_tokens),
            thousands(tpm),
            duration(e.min_minutes(None, Some(tpm)).unwrap_or(0.0))
        ));
    }
    parts.join("; ")
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in decimal units, as providers and `du --si` count them.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".into();
    }
    format!("{:.0}%", 100.0 * part as f64 / whole as f64)
}

/// Minutes as `45 s`, `12 min 30 s` or `3 h 05 min`.
fn duration(minutes: f64) -> String {
    let secs = (minutes * 60.0).ceil() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {:02} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_234_567), "1.2 MB");
        assert_eq!(duration(0.5), "30 s");
        assert_eq!(duration(12.5), "12 min 30 s");
        assert_eq!(duration(185.0), "3 h 05 min");
        assert_eq!(percent(1, 3), "33%");
    }
}
