//! `liveclin validate`.

use crate::cli::ValidateArgs;
use crate::exit::Exit;
use crate::output;
use liveclin_core::dataset::validate::validate;
use liveclin_net::hub::record::SourceRecord;

pub(crate) fn run(args: &ValidateArgs) -> anyhow::Result<Exit> {
    super::download::fetch_missing(&args.data)?;
    let (dataset, paths) = super::load_config(&args.data)?;
    let mut report = validate(&dataset, &paths.image_root);
    if let Some(dir) = paths.jsonl.parent() {
        report.source = SourceRecord::read(dir)?.map(|record| record.source);
    }
    let mut out = output::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{report}")?;
    }
    Ok(if report.has_errors() {
        Exit::CheckFailed
    } else {
        Exit::Success
    })
}
