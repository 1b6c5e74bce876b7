//! What a run costs, counted without calling anyone: the tokens of a request as a
//! provider counts them (`tokens`: text by OpenAI's o200k_base tokenizer, pictures by a
//! provider's published rule in `picture`), the money at given prices (`price`), and the
//! whole run's requests, bytes, tokens, cost and rate-limited wall time (`estimate`).
//! The mock model reports its `usage` with the same counter, so `liveclin estimate` can
//! be checked against what a server says it billed for a real run.

pub mod estimate;
pub mod picture;
pub mod price;
pub mod tokens;
