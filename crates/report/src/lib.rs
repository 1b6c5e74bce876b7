//! Renderers of results for people.

pub mod compare_table;
pub mod extras;
pub mod html;
pub mod reference;
pub mod svg;
pub mod terminal;
