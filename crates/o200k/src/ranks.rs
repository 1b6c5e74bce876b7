//! o200k_base's vocabulary: every token's bytes and rank (its id, and its merge priority:
//! a lower rank merges first). The ranks are OpenAI's (MIT licence, `data/LICENSE-tiktoken`),
//! converted by `scripts/o200k-ranks.py` into `data/o200k_base.bin`: the tokens in rank
//! order, each a length byte then its bytes, so that loading needs no base64 and the map's
//! keys borrow from the binary instead of being 200,000 allocations.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// Tokens in o200k_base.
const TOKENS: usize = 199_998;

static RANKS: LazyLock<HashMap<&'static [u8], u32, BuildHasherDefault<FxHasher>>> =
    LazyLock::new(|| {
        let mut data: &'static [u8] = include_bytes!("../data/o200k_base.bin");
        let mut ranks = HashMap::with_capacity_and_hasher(TOKENS, Default::default());
        while let Some((&len, rest)) = data.split_first() {
            let (token, rest) = rest.split_at(usize::from(len));
            ranks.insert(token, ranks.len() as u32);
            data = rest;
        }
        ranks
    });

/// The rank of the token whose bytes are `bytes`, if the vocabulary has one (it has every
/// single byte). The ranks are loaded on first use, once per process.
pub(crate) fn rank(bytes: &[u8]) -> Option<u32> {
    RANKS.get(bytes).copied()
}

/// FxHash (rustc's hasher): a multiply and a rotate a word, several times faster than the
/// standard SipHash on short keys, and every piece of every text is looked up. The keys
/// are a fixed vocabulary, so no input can make them collide.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    /// The multiply leaves the low bits, which pick the bucket, the weakest: move the high
    /// ones down.
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_whole() {
        assert_eq!(RANKS.len(), TOKENS);
        // The first and last ranks of o200k_base.tiktoken, and every single byte.
        assert_eq!(rank(b"!"), Some(0));
        assert_eq!(rank(b" Hello"), Some(32949));
        assert_eq!(rank(b" cocos"), Some(199_997));
        assert!((0..=255u8).all(|byte| rank(&[byte]).is_some()));
        assert_eq!(rank(b"not a token at all"), None);
    }
}
