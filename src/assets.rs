//! Static files (CSS, the admin script), embedded in the binary. Templates link them with
//! [`url`], which adds a content hash so they can be cached for a year. Each text file is
//! also kept compressed (brotli and gzip at their best), made once per process when the
//! first static file is asked for, so no request compresses one.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::web::Bytes;
use rust_embed::RustEmbed;

use crate::compression::{self, Encoding};

#[derive(RustEmbed)]
#[folder = "static/"]
pub struct StaticFiles;

/// The default site icon, also answered at `/favicon.ico`.
pub const FAVICON: &str = "favicon.svg";

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

/// An embedded file in every coding worth having.
pub struct Asset {
    pub mime: String,
    /// The content hash, hex: the fingerprint and (with a suffix per coding) the ETag.
    pub hash: String,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

impl Asset {
    fn load(path: &str) -> Option<Self> {
        let file = StaticFiles::get(path)?;
        let mime = file.metadata.mimetype().to_owned();
        let identity = match file.data {
            std::borrow::Cow::Borrowed(bytes) => Bytes::from_static(bytes),
            std::borrow::Cow::Owned(bytes) => Bytes::from(bytes),
        };
        let compressed = |encoding: Encoding| {
            if !compression::is_compressible(&mime) {
                return None;
            }
            let body = encoding.compress_best(&identity);
            (body.len() < identity.len()).then(|| Bytes::from(body))
        };
        Some(Self {
            hash: hex(&file.metadata.sha256_hash()),
            gzip: compressed(Encoding::Gzip),
            brotli: compressed(Encoding::Brotli),
            identity,
            mime,
        })
    }

    /// The body for a client that accepts `wanted` best, and the coding it is in.
    pub fn body(&self, wanted: Encoding) -> (Encoding, Bytes) {
        let held = match wanted {
            Encoding::Identity => None,
            Encoding::Gzip => self.gzip.as_ref(),
            Encoding::Brotli => self.brotli.as_ref(),
        };
        match held {
            Some(body) => (wanted, body.clone()),
            None => (Encoding::Identity, self.identity.clone()),
        }
    }

    /// Whether the body depends on `Accept-Encoding`.
    pub fn varies(&self) -> bool {
        self.gzip.is_some() || self.brotli.is_some()
    }
}

/// The embedded file at `path`, compressed (all of them, the first time).
pub fn asset(path: &str) -> Option<&'static Asset> {
    static ASSETS: OnceLock<HashMap<String, Asset>> = OnceLock::new();
    ASSETS
        .get_or_init(|| {
            StaticFiles::iter()
                .filter_map(|path| Some((path.to_string(), Asset::load(&path)?)))
                .collect()
        })
        .get(path)
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
        assert!(asset("nope.css").is_none());
    }

    #[test]
    fn text_files_are_kept_compressed() {
        let css = asset("folio.css").unwrap();
        let (identity_coding, identity) = css.body(Encoding::Identity);
        let (br_coding, br) = css.body(Encoding::Brotli);
        let (gz_coding, gz) = css.body(Encoding::Gzip);
        assert_eq!(
            (identity_coding, br_coding, gz_coding),
            (Encoding::Identity, Encoding::Brotli, Encoding::Gzip)
        );
        assert!(br.len() < gz.len() && gz.len() < identity.len() / 2);
        assert_eq!(Some(css.hash.clone()), content_hash("folio.css"));
        assert!(css.varies());
    }
}
