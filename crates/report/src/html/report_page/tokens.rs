//! The "Tokens" and "Cost" rows of the page's header: what the replies' stored `usage`
//! adds up to, and what it cost at the run's price (or `report --price`).

use liveclin_core::analysis::Analysis;

/// The rows, as (name, text): "Tokens" (saying so when no reply reported its usage, as
/// in the official tool's files), and "Cost" when there is a price; none without replies.
pub(super) fn rows(analysis: &Analysis) -> Vec<(&'static str, String)> {
    let t = &analysis.tokens;
    if t.replies == 0 {
        return Vec::new();
    }
    if !t.reported() {
        return vec![("Tokens", "not reported (no reply has its usage)".into())];
    }
    let mut rows = vec![("Tokens", t.counts())];
    if let Some(price) = &analysis.price {
        rows.push(("Cost", format!("{} at {price}", t.cost(price))));
    }
    rows
}
