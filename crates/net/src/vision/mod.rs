//! The vision smoke test behind `liveclin check-vision`: does a model see the pictures we
//! send, in each image mode, in every way LiveClin sends them (one picture, several in one
//! message, a picture asked about in a later turn)? A model that silently drops pictures
//! still answers multiple-choice questions, so a broken set-up shows only as low scores;
//! these checks catch it before a run is paid for.

pub mod advice;
pub mod checks;
pub mod picture;
mod png;
