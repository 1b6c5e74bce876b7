//! `--price INPUT,OUTPUT[,CACHED]`: a model's prices in USD per million tokens.

use std::fmt;
use std::str::FromStr;

/// A model's prices, USD per million tokens, as providers publish them: input (prompt),
/// output (completion, reasoning included) and, where the provider discounts them, cached
/// input tokens (a prompt prefix it has seen recently). Without a cached price, cached
/// tokens cost the input price.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cached: Option<f64>,
}

impl Price {
    /// USD for `input` prompt tokens of which `cached` were read from the provider's
    /// cache, and `output` completion tokens.
    pub fn cost(&self, input: u64, cached: u64, output: u64) -> f64 {
        let cached = cached.min(input);
        let per_token = |usd_per_million: f64| usd_per_million / 1_000_000.0;
        (input - cached) as f64 * per_token(self.input)
            + cached as f64 * per_token(self.cached.unwrap_or(self.input))
            + output as f64 * per_token(self.output)
    }
}

impl FromStr for Price {
    type Err = String;

    /// `2.5,10` or `2.5,10,1.25`: finite, non-negative numbers, no unit.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "{text:?} is not INPUT,OUTPUT[,CACHED] in USD per million tokens (e.g. 2.5,10,1.25)"
            )
        };
        let numbers = text
            .split(',')
            .map(|part| match part.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(usage()),
            })
            .collect::<Result<Vec<f64>, String>>()?;
        match numbers[..] {
            [input, output] => Ok(Price {
                input,
                output,
                cached: None,
            }),
            [input, output, cached] => Ok(Price {
                input,
                output,
                cached: Some(cached),
            }),
            _ => Err(usage()),
        }
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${} in, ${} out", self.input, self.output)?;
        if let Some(cached) = self.cached {
            write!(f, ", ${cached} cached")?;
        }
        f.write_str(" per million tokens")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_and_cost() {
        let p: Price = "2.5,10,1.25".parse().unwrap();
        assert_eq!(
            p,
            Price {
                input: 2.5,
                output: 10.0,
                cached: Some(1.25)
            }
        );
        // 1M input of which 400k cached, 100k output.
        let usd = p.cost(1_000_000, 400_000, 100_000);
        assert!((usd - (0.6 * 2.5 + 0.4 * 1.25 + 0.1 * 10.0)).abs() < 1e-9);
        let plain: Price = " 3 , 15 ".parse().unwrap();
        assert_eq!(plain.cached, None);
        assert!((plain.cost(1_000_000, 500_000, 0) - 3.0).abs() < 1e-9);
        for bad in ["", "1", "1,2,3,4", "a,b", "-1,2", "1,inf", "1,,2"] {
            let err = bad.parse::<Price>().unwrap_err();
            assert!(err.contains("INPUT,OUTPUT[,CACHED]"), "{bad}: {err}");
        }
    }
}
