//! `folio import-wordpress`: moving a site from WordPress. `wxr` reads the export file
//! (WordPress eXtended RSS) as a stream, `content` turns WordPress post HTML into text our
//! renderer shows the same way, and `import` maps it all onto Folio's records.

pub mod content;
pub mod import;
pub mod jobs;
pub mod wxr;
