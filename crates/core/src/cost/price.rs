//! What a provider charges, in USD per million tokens, as `--price INPUT,OUTPUT[,CACHED]`
//! gives it and `meta.price` records it: the results' `meta` records it, the analysis
//! prices a run's tokens with it and `estimate` a run to come.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// USD per million tokens. Reasoning tokens are billed as completion tokens (they are
/// part of `completion_tokens`), so they have no price of their own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Prompt tokens (and cached prompt tokens when `cached` is not given).
    pub input: f64,
    /// Completion tokens, reasoning included.
    pub output: f64,
    /// Cached prompt tokens, when the provider discounts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<f64>,
}

/// The key of `meta` that records the price a run was given.
pub const META_KEY: &str = "price";

impl Price {
    /// The price a results file's `meta` records, if any (and readable).
    pub fn of(meta: &Map<String, Value>) -> Option<Price> {
        serde_json::from_value(meta.get(META_KEY)?.clone()).ok()
    }

    /// What cached prompt tokens cost: the cached price, else the input price.
    pub fn cached_or_input(&self) -> f64 {
        self.cached.unwrap_or(self.input)
    }

    /// USD for `input` prompt tokens of which `cached` were read from the provider's
    /// cache, and `output` completion tokens (reasoning included).
    pub fn cost(&self, input: u64, cached: u64, output: u64) -> Cost {
        let per_token = |usd_per_million: f64| usd_per_million / 1_000_000.0;
        let cached = cached.min(input);
        let uncached_input = (input - cached) as f64 * per_token(self.input);
        let cached_input = cached as f64 * per_token(self.cached_or_input());
        let output = output as f64 * per_token(self.output);
        Cost {
            input: uncached_input,
            cached_input,
            output,
            total: uncached_input + cached_input + output,
        }
    }
}

impl FromStr for Price {
    type Err = String;

    /// `INPUT,OUTPUT` or `INPUT,OUTPUT,CACHED`: finite, non-negative numbers.
    fn from_str(text: &str) -> Result<Price, String> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(format!(
                "{text:?} is not INPUT,OUTPUT[,CACHED] (two or three prices in USD per million tokens, e.g. 2.5,10 or 2.5,10,1.25)"
            ));
        }
        let number = |name: &str, part: &str| -> Result<f64, String> {
            match part.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(format!(
                    "the {name} price {part:?} is not a non-negative number (USD per million tokens)"
                )),
            }
        };
        Ok(Price {
            input: number("input", parts[0])?,
            output: number("output", parts[1])?,
            cached: parts.get(2).map(|p| number("cached", p)).transpose()?,
        })
    }
}

impl fmt::Display for Price {
    /// `$2.50 in, $10.00 out, $1.25 cached per million tokens`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${} in, ${} out", money(self.input), money(self.output))?;
        if let Some(cached) = self.cached {
            write!(f, ", ${} cached", money(cached))?;
        }
        write!(f, " per million tokens")
    }
}

/// What tokens cost, in USD. Reasoning is inside `output`, as providers bill it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cost {
    /// Prompt tokens not served from the cache, at the input price.
    pub input: f64,
    /// Cached prompt tokens, at the cached price (the input price when none is given).
    pub cached_input: f64,
    /// Completion tokens, at the output price.
    pub output: f64,
    pub total: f64,
}

impl std::fmt::Display for Cost {
    /// `$0.0089 (input $0.0052, cached input $0.0002, output $0.0035)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "${} (input ${}, cached input ${}, output ${})",
            money(self.total),
            money(self.input),
            money(self.cached_input),
            money(self.output)
        )
    }
}

/// An amount of USD with two decimals, or more when it is small enough to need them.
pub fn money(usd: f64) -> String {
    if usd != 0.0 && usd.abs() < 0.01 {
        format!("{usd:.4}")
    } else {
        format!("{usd:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn two_or_three_prices_are_read_and_anything_else_is_refused() {
        let p: Price = "2.5,10".parse().unwrap();
        assert_eq!((p.input, p.output, p.cached), (2.5, 10.0, None));
        assert_eq!(p.cached_or_input(), 2.5);
        let p: Price = " 2.5 , 10 , 1.25 ".parse().unwrap();
        assert_eq!(p.cached, Some(1.25));
        assert_eq!(p.cached_or_input(), 1.25);
        assert_eq!(
            p.to_string(),
            "$2.50 in, $10.00 out, $1.25 cached per million tokens"
        );
        for bad in [
            "", "2.5", "1,2,3,4", "a,1", "1,-2", "1,2,inf", "1,,2", "1,NaN",
        ] {
            assert!(bad.parse::<Price>().is_err(), "{bad:?}");
        }
        assert!(
            "1,x"
                .parse::<Price>()
                .unwrap_err()
                .contains("output price \"x\"")
        );
    }

    #[test]
    fn meta_records_it_and_reads_it_back() {
        let p = Price {
            input: 1.0,
            output: 2.0,
            cached: None,
        };
        let mut meta = Map::new();
        assert_eq!(Price::of(&meta), None);
        meta.insert(META_KEY.into(), serde_json::to_value(p).unwrap());
        assert_eq!(meta[META_KEY], json!({"input": 1.0, "output": 2.0}));
        assert_eq!(Price::of(&meta), Some(p));
        meta.insert(META_KEY.into(), json!("cheap"));
        assert_eq!(Price::of(&meta), None);
    }

    #[test]
    fn small_amounts_keep_their_digits() {
        assert_eq!(money(0.0), "0.00");
        assert_eq!(money(0.00123), "0.0012");
        assert_eq!(money(12.345), "12.35");
    }
}
