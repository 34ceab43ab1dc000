//! The upload allowlist. A file's type is decided by its content (`infer`); its name only
//! has to agree when it names one of these types.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Image,
    Audio,
    Video,
    Document,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Document => "document",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Image, Self::Audio, Self::Video, Self::Document]
            .into_iter()
            .find(|c| c.as_str() == raw)
    }

    /// Browsers show these inline; anything else is served as a download.
    pub fn is_inline(self) -> bool {
        self != Self::Document
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct MediaType {
    pub mime: &'static str,
    /// The extension of stored files.
    pub ext: &'static str,
    /// Other extensions a file of this type may carry.
    pub aliases: &'static [&'static str],
    /// For messages: "a JPEG image".
    pub name: &'static str,
    pub category: Category,
}

/// SVG is not accepted: it can carry script, and sanitising it is a project of its own.
pub const ACCEPTED: &[MediaType] = &[
    MediaType {
        mime: "image/jpeg",
        ext: "jpg",
        aliases: &["jpeg", "jpe", "jfif"],
        name: "a JPEG image",
        category: Category::Image,
    },
    MediaType {
        mime: "image/png",
        ext: "png",
        aliases: &[],
        name: "a PNG image",
        category: Category::Image,
    },
    MediaType {
        mime: "image/gif",
        ext: "gif",
        aliases: &[],
        name: "a GIF image",
        category: Category::Image,
    },
    MediaType {
        mime: "image/webp",
        ext: "webp",
        aliases: &[],
        name: "a WebP image",
        category: Category::Image,
    },
    MediaType {
        mime: "image/avif",
        ext: "avif",
        aliases: &[],
        name: "an AVIF image",
        category: Category::Image,
    },
    MediaType {
        mime: "application/pdf",
        ext: "pdf",
        aliases: &[],
        name: "a PDF document",
        category: Category::Document,
    },
    MediaType {
        mime: "audio/mpeg",
        ext: "mp3",
        aliases: &[],
        name: "an MP3 audio file",
        category: Category::Audio,
    },
    MediaType {
        mime: "video/mp4",
        ext: "mp4",
        aliases: &["m4v"],
        name: "an MP4 video",
        category: Category::Video,
    },
    MediaType {
        mime: "video/webm",
        ext: "webm",
        aliases: &[],
        name: "a WebM video",
        category: Category::Video,
    },
];

/// For messages: what may be uploaded.
pub const ACCEPTED_SUMMARY: &str =
    "JPEG, PNG, GIF, WebP and AVIF images, PDF documents, MP3 audio, MP4 and WebM video";

/// The `accept` attribute of file inputs.
pub const ACCEPT_ATTRIBUTE: &str = ".jpg,.jpeg,.png,.gif,.webp,.avif,.pdf,.mp3,.mp4,.m4v,.webm,image/jpeg,image/png,image/gif,image/webp,image/avif,application/pdf,audio/mpeg,video/mp4,video/webm";

/// How many leading bytes `sniff` needs.
pub const SNIFF_BYTES: usize = 8192;

/// The type of a file from its first bytes, if it is on the list.
pub fn sniff(head: &[u8]) -> Option<&'static MediaType> {
    let found = infer::get(head)?;
    by_mime(found.mime_type())
}

pub fn by_mime(mime: &str) -> Option<&'static MediaType> {
    ACCEPTED.iter().find(|t| t.mime == mime)
}

pub fn by_ext(ext: &str) -> Option<&'static MediaType> {
    let ext = ext.to_ascii_lowercase();
    ACCEPTED
        .iter()
        .find(|t| t.ext == ext || t.aliases.contains(&ext.as_str()))
}

/// What the file's name claims it is: `Some` only for an extension of an accepted type
/// (a file called `notes.txt` claims nothing we know, and is judged by content alone).
pub fn claimed_by_name(file_name: &str) -> Option<&'static MediaType> {
    let (_, ext) = file_name.rsplit_once('.')?;
    by_ext(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0").map(|t| t.ext),
            Some("jpg")
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").map(|t| t.ext),
            Some("png")
        );
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0").map(|t| t.ext), Some("gif"));
        assert_eq!(sniff(b"%PDF-1.7\n").map(|t| t.ext), Some("pdf"));
        assert_eq!(sniff(b"<!DOCTYPE html><html><script>"), None);
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None, "executables are refused");
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_claim_types_case_insensitively() {
        assert_eq!(claimed_by_name("Cat.JPEG").map(|t| t.ext), Some("jpg"));
        assert_eq!(claimed_by_name("clip.m4v").map(|t| t.ext), Some("mp4"));
        assert_eq!(claimed_by_name("notes.txt"), None);
        assert_eq!(claimed_by_name("no-extension"), None);
    }

    #[test]
    fn every_type_has_a_distinct_extension() {
        for t in ACCEPTED {
            assert_eq!(by_ext(t.ext), Some(t));
            assert_eq!(by_mime(t.mime), Some(t));
            assert!(ACCEPT_ATTRIBUTE.contains(t.mime), "{}", t.mime);
        }
    }
}
