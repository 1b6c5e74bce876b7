//! Byte-pair merging of one piece that is not itself a token, as tiktoken does it: start
//! from single bytes and repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank (the leftmost of equals), until no adjacent pair is a token. Only the number
//! of tokens left is kept.
//!
//! A heap of candidate merges makes this O(n log n) in the piece's length (tiktoken's own
//! choice for long pieces), so that a long run without spaces, such as a base64 string,
//! costs no more than its length suggests.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::ranks::rank;

/// Tokens byte-pair merging leaves of `piece`.
pub(crate) fn count(piece: &[u8]) -> usize {
    let n = piece.len();
    // The piece is cut into parts, each named by the byte it starts at; `end[part]` is
    // where it ends (the next part's start), `prev[part]` the previous part's start, and
    // `pair[part]` the rank of the part merged with the next one, if that is a token.
    // Parts merged into the one before them are never looked at again.
    let mut end: Vec<usize> = (1..=n).collect();
    let mut prev: Vec<usize> = (0..n).map(|part| part.saturating_sub(1)).collect();
    let mut pair: Vec<Option<u32>> = (0..n)
        .map(|part| piece.get(part..part + 2).and_then(rank))
        .collect();
    let mut merges: BinaryHeap<_> = pair
        .iter()
        .enumerate()
        .filter_map(|(part, rank)| rank.map(|rank| Reverse((rank, part))))
        .collect();
    let mut tokens = n;
    while let Some(Reverse((lowest, left))) = merges.pop() {
        // A pair's rank changes only when one of its parts grows into a longer token,
        // which has another rank: an entry that no longer matches is stale.
        if pair[left] != Some(lowest) {
            continue;
        }
        let right = end[left];
        end[left] = end[right];
        pair[right] = None;
        tokens -= 1;
        let merged_end = end[left];
        // The merged part with the one after it, and the one before it with the merged.
        let mut update = |part: usize, next_end: Option<usize>| {
            pair[part] = next_end.and_then(|next_end| rank(&piece[part..next_end]));
            if let Some(rank) = pair[part] {
                merges.push(Reverse((rank, part)));
            }
        };
        if merged_end < n {
            prev[merged_end] = left;
            update(left, Some(end[merged_end]));
        } else {
            update(left, None);
        }
        if left > 0 {
            update(prev[left], Some(merged_end));
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_lowest_ranks_first() {
        // Counts by tiktoken-rs for words that are not tokens themselves.
        assert_eq!(count(b"xqzv"), 4);
        assert_eq!(count("x".repeat(40).as_bytes()), 5);
    }
}
