//! pelabel: zero-shot image labeling with PE Core CLIP models.
#![deny(missing_docs)]

mod error;
pub mod model;
mod preprocess;
mod tokenizer;

pub use error::{Error, Result};
