//! The addresses of library files and how pages show an image: what the renderer, the
//! views and the public store need, without the database work of `media` itself.

use super::images::{self, Dimensions};
use super::storage;
use crate::store::media::MediaRow;

/// The URL of a stored file.
pub fn url_of(key: &str) -> String {
    format!("/media/{key}")
}

/// The content hash in a library URL (`/media/ab/cd/<hash>[-960].jpg`).
pub fn library_hash(url: &str) -> Option<&str> {
    let key = url.strip_prefix("/media/")?;
    let key = key.split(['?', '#']).next().unwrap_or_default();
    storage::parse_key(key)?;
    storage::hash_of(key)
}

/// The `sizes` of library images: the width of the text column.
pub const IMAGE_SIZES: &str = "(max-width: 48rem) 100vw, 48rem";

/// How a page shows an image: the largest variant as `src`, every variant in `srcset`,
/// and the displayed size so nothing shifts while it loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub src: String,
    pub srcset: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl Picture {
    /// The smallest copy, for thumbnails.
    pub fn thumbnail_src(&self) -> String {
        self.srcset
            .split(' ')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.src)
            .to_owned()
    }

    /// `None` for a record that is not an image.
    pub fn of(row: &MediaRow) -> Option<Self> {
        if !row.mime_type.starts_with("image/") {
            return None;
        }
        let dims = Dimensions {
            width: u32::try_from(row.width?).ok()?,
            height: u32::try_from(row.height?).ok()?,
        };
        Some(Self::from_parts(
            &row.storage_key,
            &row.sha256,
            &row.mime_type,
            dims,
            &row.alt_text,
        ))
    }

    pub fn from_parts(key: &str, sha256: &str, mime: &str, dims: Dimensions, alt: &str) -> Self {
        let widths = images::variant_widths(mime, dims.width);
        let (src, srcset, shown) = match (images::variant_ext(mime), widths.last()) {
            (Some(ext), Some(&largest)) => {
                let url = |w: u32| url_of(&storage::variant_key(sha256, w, ext));
                let srcset = widths
                    .iter()
                    .map(|&w| format!("{} {w}w", url(w)))
                    .collect::<Vec<_>>()
                    .join(", ");
                (url(largest), srcset, largest)
            }
            _ => (url_of(key), String::new(), dims.width),
        };
        Self {
            src,
            srcset,
            width: shown,
            height: images::scaled_height(dims, shown),
            alt: alt.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn pictures_use_the_variants() {
        let key = storage::original_key(HASH, "jpg");
        let picture = Picture::from_parts(
            &key,
            HASH,
            "image/jpeg",
            Dimensions {
                width: 4000,
                height: 3000,
            },
            "A cat",
        );
        assert_eq!(picture.src, format!("/media/e3/b0/{HASH}-1600.jpg"));
        assert_eq!(
            picture.srcset,
            format!(
                "/media/e3/b0/{HASH}-480.jpg 480w, /media/e3/b0/{HASH}-960.jpg 960w, /media/e3/b0/{HASH}-1600.jpg 1600w"
            )
        );
        assert_eq!((picture.width, picture.height), (1600, 1200));
    }

    #[test]
    fn gifs_are_shown_as_uploaded() {
        let key = storage::original_key(HASH, "gif");
        let picture = Picture::from_parts(
            &key,
            HASH,
            "image/gif",
            Dimensions {
                width: 300,
                height: 200,
            },
            "",
        );
        assert_eq!(picture.src, format!("/media/{key}"));
        assert_eq!(picture.srcset, "");
        assert_eq!((picture.width, picture.height), (300, 200));
    }
}
