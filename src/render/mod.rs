//! Markdown to sanitised HTML: the one renderer used by the public site, the admin preview
//! and the importers. `markdown` renders, `sanitize` decides what HTML may stay,
//! `html_text` and `entities` read the text back out of HTML, `escape` writes text into
//! HTML, `diff` compares revisions.

pub mod diff;
pub mod entities;
pub mod escape;
pub mod html_text;
pub mod markdown;
pub mod sanitize;

pub use markdown::{excerpt, render, word_count};
pub use sanitize::SafeHtml;
