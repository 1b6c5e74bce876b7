//! `liveclin merge`: the shards of one run, joined back into one results file whose
//! summary is the unsharded run's. Cases take the dataset's order (the order an
//! unsharded run writes, which the official analysis's tie order depends on).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::bail;
use serde_json::{Value, json};

use crate::cli::{DataArgs, MergeArgs};
use crate::exit::Exit;
use crate::output;
use liveclin_core::analysis::summarize;
use liveclin_core::results::{self, ById, CaseId, CaseRecord, Coverage, ResultsFile, places};
use liveclin_report::{extras, terminal};

/// Settings that must agree across shards of one run.
const SAME_IN_EVERY_SHARD: [&str; 3] = ["model", "dataset", "image_mode"];

pub(crate) fn run(args: &MergeArgs) -> anyhow::Result<Exit> {
    let mut shards = Vec::new();
    for path in &args.results {
        shards.push((path.clone(), results::read(path)?));
    }
    check_same_run(&shards)?;
    let mut cases = disjoint_cases(&shards)?;

    let config = args.dataset.clone().or_else(|| {
        shards[0]
            .1
            .meta
            .get("dataset")
            .and_then(Value::as_str)
            .map(String::from)
    });
    let order = match &config {
        Some(config) => dataset_order(args, config),
        None => Err(anyhow::anyhow!(
            "the shards do not name their dataset; pass --dataset"
        )),
    };
    let mut missing = Vec::new();
    // Cases in the config: the dataset's count, else what the shards' files say.
    let mut in_config = shards
        .iter()
        .filter_map(|(_, f)| Coverage::of(&f.meta))
        .map(|c| c.cases_in_config as usize)
        .max();
    match order {
        Ok(ids) => {
            in_config = Some(ids.len());
            let position: HashMap<&str, usize> = ids
                .iter()
                .enumerate()
                .rev()
                .map(|(i, id)| (id.as_str(), i))
                .collect();
            let present: std::collections::HashSet<CaseId> =
                cases.iter().filter_map(CaseRecord::id).collect();
            missing = ids
                .iter()
                .filter(|id| !present.contains(id.as_str()))
                .cloned()
                .collect();
            // Cases without an id were warned about already.
            let unknown = present
                .iter()
                .filter(|id| !position.contains_key(id.as_str()))
                .count();
            if unknown > 0 {
                eprintln!(
                    "{} {unknown} merged cases are not in the dataset; they are kept at the end.",
                    liveclin_term::warning()
                );
            }
            cases.sort_by_key(|c| {
                c.id()
                    .and_then(|id| position.get(id.as_str()).copied())
                    .unwrap_or(usize::MAX)
            });
        }
        Err(err) => eprintln!(
            "{} cannot read the dataset ({err:#}); cases keep the order of the files and \
             cases no shard ran cannot be listed.",
            liveclin_term::warning()
        ),
    }

    let file =
        liveclin_core::analysis::file::assemble(merged_meta(&shards), in_config, cases, Vec::new());
    results::write_atomic(&args.output, &file)?;
    let summary = summarize(&file.cases);
    // The merged file is written; a closed stdout (`| head`) still gets the notes below.
    let printed = write!(
        output::stdout(),
        "{}",
        terminal::render(&file.meta, summary.as_ref())
    );
    eprintln!(
        "Merged {} ({}) into {}",
        liveclin_core::plural::count(shards.len() as u64, "results file", "results files"),
        liveclin_core::plural::count(file.cases.len() as u64, "case", "cases"),
        args.output.display()
    );
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(20).map(String::as_str).collect();
        eprintln!(
            "{} {} of the dataset {} in no shard: {}{}",
            liveclin_term::warning(),
            liveclin_core::plural::count(missing.len() as u64, "case", "cases"),
            if missing.len() == 1 { "is" } else { "are" },
            shown.join(", "),
            if missing.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    // The headline numbers last, after what the merge did.
    extras::print(&file, false);
    printed?;
    Ok(Exit::Success)
}

/// Refuses files of different models, configs or image modes: their union is no run.
fn check_same_run(shards: &[(PathBuf, ResultsFile)]) -> anyhow::Result<()> {
    let (first_path, first) = &shards[0];
    for key in SAME_IN_EVERY_SHARD {
        for (path, file) in &shards[1..] {
            let (a, b) = (first.meta.get(key), file.meta.get(key));
            if a != b {
                bail!(
                    "{} and {} are not shards of one run: {key} is {} in one and {} in the other",
                    first_path.display(),
                    path.display(),
                    a.map_or("absent".into(), Value::to_string),
                    b.map_or("absent".into(), Value::to_string)
                );
            }
        }
    }
    Ok(())
}

/// Every case of every file, refusing any case found twice, in two files (overlapping
/// shards) or in one (a file edited or joined by hand): either way the merged summary
/// would count it twice. A case without an id cannot be checked: such cases are kept
/// when they all come from one file (they are that file's own, each once), and refused
/// when several files have some, which may be the same case twice.
fn disjoint_cases(shards: &[(PathBuf, ResultsFile)]) -> anyhow::Result<Vec<CaseRecord>> {
    let files: Vec<ById> = shards.iter().map(|(_, f)| ById::new(&f.cases)).collect();
    // Case id -> index of the first file holding it.
    let mut first_file: HashMap<&CaseId, usize> = HashMap::new();
    for (index, ((path, _), file)) in shards.iter().zip(&files).enumerate() {
        if let Some(id) = file.repeated.first() {
            bail!(duplicate_case(id.as_str(), path, path, true));
        }
        for (id, _) in &file.named {
            if let Some(&first) = first_file.get(id) {
                bail!(duplicate_case(id.as_str(), &shards[first].0, path, false));
            }
            first_file.insert(id, index);
        }
    }
    // Each file with cases without an id, and where they are in it.
    let unnamed: Vec<(&Path, &[usize])> = shards
        .iter()
        .zip(&files)
        .filter(|(_, file)| !file.unnamed.is_empty())
        .map(|((path, _), file)| (path.as_path(), file.unnamed.as_slice()))
        .collect();
    let named =
        |(path, at): &(&Path, &[usize])| format!("{} ({})", path.display(), places("cases", at));
    match unnamed.as_slice() {
        [] => {}
        [one] => eprintln!(
            "{} {}: {} without a case id, kept: {} cannot be placed in the dataset's order or \
             checked against the other files",
            liveclin_term::warning(),
            named(one),
            liveclin_core::plural::count(one.1.len() as u64, "case", "cases"),
            if one.1.len() == 1 { "it" } else { "they" }
        ),
        several => bail!(
            "cases without a case id are in {}: merge cannot tell whether they are the same case \
             twice, so it would either count one twice or drop one. Give each of them its case_id \
             (the dataset's, as `liveclin evaluate` writes it), or merge these files without one of them",
            several.iter().map(named).collect::<Vec<_>>().join(" and ")
        ),
    }
    Ok(shards
        .iter()
        .flat_map(|(_, file)| file.cases.iter().cloned())
        .collect())
}

/// Why a case found twice stops the merge, naming the file or files that hold it.
fn duplicate_case(id: &str, first: &Path, second: &Path, same_file: bool) -> String {
    if same_file {
        format!(
            "case {id:?} appears twice in {}: a results file holds each case once (was it \
             edited or concatenated by hand?)",
            first.display()
        )
    } else {
        format!(
            "case {id:?} is in both {} and {}: the files overlap (shards of different \
             --shard counts, or the same shard twice?)",
            first.display(),
            second.display()
        )
    }
}

/// The dataset's case ids in file order (downloading the config if it is missing).
fn dataset_order(args: &MergeArgs, config: &str) -> anyhow::Result<Vec<String>> {
    let data = DataArgs {
        dataset: config.to_string(),
        data_dir: args.data_dir.clone(),
        jsonl_path: args.jsonl_path.clone(),
        image_root: None,
        hub: args.hub.clone(),
    };
    super::download::fetch_missing(&data)?;
    let (dataset, _) = super::load_config(&data)?;
    Ok(dataset.cases.into_iter().map(|c| c.id).collect())
}

/// The first file's settings, spanning every file's time, naming the files joined.
fn merged_meta(shards: &[(PathBuf, ResultsFile)]) -> serde_json::Map<String, Value> {
    let mut meta = shards[0].1.meta.clone();
    meta.remove("shard");
    let times = |key: &str| -> Vec<String> {
        shards
            .iter()
            .filter_map(|(_, f)| f.meta.get(key).and_then(Value::as_str).map(String::from))
            .collect()
    };
    if let Some(first) = times("started_at").into_iter().min() {
        meta.insert("started_at".into(), json!(first));
    }
    if let Some(last) = times("finished_at").into_iter().max() {
        meta.insert("finished_at".into(), json!(last));
    }
    let sources: Vec<Value> = shards
        .iter()
        .map(|(path, f)| json!({ "file": path.display().to_string(), "shard": f.meta.get("shard").cloned().unwrap_or(Value::Null) }))
        .collect();
    meta.insert("merged_from".into(), Value::Array(sources));
    meta
}
