//! Static files (CSS, the admin script), embedded in the binary. Templates link them with
//! [`url`], which adds a content hash so they can be cached for a year.

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
pub struct StaticFiles;

/// The file's content hash, hex (used as fingerprint and strong ETag).
pub fn content_hash(path: &str) -> Option<String> {
    StaticFiles::get(path).map(|file| hex(&file.metadata.sha256_hash()))
}

/// `/static/PATH?v=HASH`: a new deployment with a changed file gets a new URL.
pub fn url(path: &str) -> String {
    match content_hash(path) {
        Some(hash) => format!("/static/{path}?v={}", &hash[..16]),
        None => format!("/static/{path}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_is_embedded_and_fingerprinted() {
        let url = url("folio.css");
        assert!(url.starts_with("/static/folio.css?v="), "{url}");
        assert_eq!(url.len(), "/static/folio.css?v=".len() + 16);
    }

    #[test]
    fn missing_files_have_no_hash() {
        assert_eq!(content_hash("nope.css"), None);
    }
}
