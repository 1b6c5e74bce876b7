//! Splitting one run across machines: `--shard K/N` keeps the cases whose id falls in
//! bucket K of N. The bucket comes from a hash of the case id alone, so every machine,
//! every rerun and every resume agrees on it without coordination, and the N shards
//! partition the config exactly.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the case with this id belongs to this shard.
    pub fn contains(&self, case_id: &str) -> bool {
        bucket(case_id, self.count) == self.index - 1
    }
}

/// The first 8 bytes of sha256(id), as a number, modulo `count`: stable everywhere.
fn bucket(case_id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(case_id.as_bytes());
    let head = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (head % u64::from(count)) as u32
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("a shard is K/N with 1 <= K <= N, e.g. 2/4; got {text:?}");
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = k.trim().parse().map_err(|_| usage())?;
        let count: u32 = n.trim().parse().map_err(|_| usage())?;
        if index == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_cases_evenly_and_stably() {
        let ids: Vec<String> = (0..3000)
            .map(|i| format!("PMC{}", 1_000_000 + i * 7))
            .collect();
        let shards: Vec<Shard> = (1..=4).map(|k| format!("{k}/4").parse().unwrap()).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1, "{id}");
        }
        for shard in &shards {
            let n = ids.iter().filter(|id| shard.contains(id)).count();
            assert!((600..=900).contains(&n), "{shard}: {n} cases");
        }
        // Fixed forever: a change here would split a running multi-machine job differently.
        assert_eq!(
            (0..8)
                .map(|i| bucket(&format!("{i}"), 3))
                .collect::<Vec<_>>(),
            FIXED
        );
    }

    /// sha256("0".."7")[..8] mod 3, computed independently (Python's hashlib).
    const FIXED: [u32; 8] = [0, 1, 1, 1, 1, 2, 0, 2];

    #[test]
    fn shard_syntax() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
