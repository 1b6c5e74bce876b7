//! The `meta` of a results file written by `evaluate`, from the facts of the run.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::cost::price::Price;
use crate::identity::{self, Difference, RunIdentity};

/// What `meta.tool` says of every file we write.
const TOOL: &str = "liveclin (Rust)";

/// The facts of a run that its `meta` records. Each value has one source: the settings
/// that make answers comparable (model, config, image mode, temperature, max tokens,
/// version) are read from the identity, never given twice; the counts of the cases are
/// added from the cases themselves by [`crate::analysis::file::assemble`].
#[derive(Debug, Clone)]
pub struct RunMeta {
    pub identity: RunIdentity,
    /// Every `--api-base`, in the order given (at least one).
    pub api_bases: Vec<String>,
    pub max_retries: u32,
    /// `K/N` when the run is one shard.
    pub shard: Option<String>,
    /// The differences from an earlier run that `--allow-change` accepted.
    pub accepted: Vec<Difference>,
    pub started_at: String,
    /// `None` (written as null) until the run ends.
    pub finished_at: Option<String>,
    /// How each endpoint fared, when there is something to say (several endpoints, or
    /// rate limits or timeouts).
    pub endpoints: Option<Value>,
    /// The `--price` the run was given, so the file says what its cost was counted at.
    pub price: Option<Price>,
}

/// The keys of [`RunMeta`] in the order a results file lists them: the official keys
/// first, then ours (which official readers ignore).
#[derive(Serialize)]
struct Keys<'a> {
    model: &'a str,
    dataset: &'a str,
    image_mode: &'a str,
    api_base: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_bases: Option<&'a [String]>,
    started_at: &'a str,
    finished_at: Option<&'a str>,
    liveclin_version: &'a str,
    tool: &'static str,
    temperature: f64,
    max_tokens: u64,
    max_retries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<&'a str>,
    identity: &'a RunIdentity,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted_changes: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<&'a Value>,
    /// Named by [`crate::cost::price::META_KEY`].
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<&'a Price>,
}

impl RunMeta {
    /// The `meta` object (for the journal's header and the results file).
    pub fn to_map(&self) -> Map<String, Value> {
        let id = &self.identity;
        let keys = Keys {
            model: &id.model,
            dataset: &id.dataset,
            image_mode: &id.image_mode,
            api_base: self.api_bases.first().map_or("", String::as_str),
            api_bases: (self.api_bases.len() > 1).then_some(self.api_bases.as_slice()),
            started_at: &self.started_at,
            finished_at: self.finished_at.as_deref(),
            liveclin_version: &id.version,
            tool: TOOL,
            temperature: id.temperature,
            max_tokens: id.max_tokens,
            max_retries: self.max_retries,
            shard: self.shard.as_deref(),
            identity: id,
            accepted_changes: (!self.accepted.is_empty())
                .then(|| identity::accepted(&self.accepted)),
            endpoints: self.endpoints.as_ref(),
            price: self.price.as_ref(),
        };
        match serde_json::to_value(keys) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("the meta keys serialise to an object"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Setting;
    use serde_json::json;

    fn run() -> RunMeta {
        RunMeta {
            identity: RunIdentity {
                model: "m".into(),
                dataset: "demo".into(),
                image_mode: "url".into(),
                dataset_sha256: "d".into(),
                pictures_sha256: None,
                temperature: 0.0,
                max_tokens: 16384,
                extra_body: Map::new(),
                version: "0.1.0".into(),
            },
            api_bases: vec!["http://a/v1".into()],
            max_retries: 5,
            shard: None,
            accepted: Vec::new(),
            started_at: "T0".into(),
            finished_at: None,
            endpoints: None,
            price: None,
        }
    }

    fn keys(meta: &RunMeta) -> Vec<String> {
        meta.to_map().keys().cloned().collect()
    }

    #[test]
    fn the_official_keys_come_first_and_ours_only_when_they_say_something() {
        let meta = run();
        assert_eq!(
            keys(&meta),
            [
                "model",
                "dataset",
                "image_mode",
                "api_base",
                "started_at",
                "finished_at",
                "liveclin_version",
                "tool",
                "temperature",
                "max_tokens",
                "max_retries",
                "identity"
            ]
        );
        let map = meta.to_map();
        assert_eq!(map["finished_at"], Value::Null);
        assert_eq!(map["temperature"].to_string(), "0.0");
        assert_eq!(map["identity"], meta.identity.to_value());

        let full = RunMeta {
            api_bases: vec!["http://a/v1".into(), "http://b/v1".into()],
            shard: Some("2/3".into()),
            accepted: vec![Difference {
                setting: Setting::Temperature,
                recorded: json!(0.5),
                now: json!(0.0),
            }],
            finished_at: Some("T1".into()),
            endpoints: Some(json!([])),
            price: Some("2.5,10".parse().unwrap()),
            ..run()
        };
        let map = full.to_map();
        assert_eq!(
            keys(&full),
            [
                "model",
                "dataset",
                "image_mode",
                "api_base",
                "api_bases",
                "started_at",
                "finished_at",
                "liveclin_version",
                "tool",
                "temperature",
                "max_tokens",
                "max_retries",
                "shard",
                "identity",
                "accepted_changes",
                "endpoints",
                crate::cost::price::META_KEY
            ]
        );
        assert_eq!(map["api_base"], "http://a/v1");
        assert_eq!(map["api_bases"], json!(["http://a/v1", "http://b/v1"]));
        assert_eq!(map["accepted_changes"][0]["setting"], "temperature");
        assert_eq!(Price::of(&map), full.price);
    }
}
