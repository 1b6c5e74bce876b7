//! Answer extraction: the official rules (the default verdict) and a stronger
//! extractor recorded beside them. Both are pure functions that say which rule fired.

pub mod corpus;
pub mod official;
pub mod robust;
