//! Markdown to sanitised HTML: the one renderer used by the public site, the admin preview
//! and the importers.

pub mod diff;
pub mod markdown;

pub use markdown::{SafeHtml, excerpt, render, word_count};
