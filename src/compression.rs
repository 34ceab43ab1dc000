//! Content codings: which one a client accepts (`Accept-Encoding`, with q-values) and
//! compressing a body once into it. Used by the page cache (pages stored compressed) and
//! the embedded static files (compressed once, at first use); everything else that is
//! compressible goes through actix-web's `Compress` middleware.

use std::io::Write as _;

/// What a body can be sent as. Brotli is preferred over gzip when a client accepts both
/// equally (smaller, and every browser that sends `br` decodes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// Marks a response (in its extensions) that is already in the coding negotiated for it,
/// with an ETag of that coding: the compression layers leave it as it is.
#[derive(Clone, Copy, Debug)]
pub struct Negotiated;

/// Brotli quality for pages compressed on their first request for that coding and kept.
/// On a seeded 9.7 KB article (instructions per compression, callgrind): q4 3,322 B in
/// 2.6 M, q5 3,126 B in 3.8 M, q6 3,114 B in 4.8 M, q11 2,855 B in 137 M; gzip level 6
/// 3,390 B in 1.8 M. q5 is 8 % smaller than gzip; q11 saves 9 % more at 36 times the cost.
pub const BROTLI_QUALITY: u32 = 5;
/// Brotli's window (2^22 bytes, its default).
const BROTLI_WINDOW: u32 = 22;
/// gzip level (flate2's default).
const GZIP_LEVEL: u32 = 6;

impl Encoding {
    /// The `Content-Encoding` value (None for identity, which is sent without one).
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }

    /// What an ETag gets appended so that each coding has its own strong validator.
    pub fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Gzip => "-gz",
            Encoding::Brotli => "-br",
        }
    }

    /// The one coding to send for an `Accept-Encoding` value (None: the header is absent).
    /// Honours q-values, `identity` and `*`; on equal q, br before gzip before identity.
    /// When nothing is acceptable, identity (RFC 9110 §12.5.3 allows sending the content
    /// without a coding rather than 406).
    pub fn negotiate(accept_encoding: Option<&str>) -> Encoding {
        let Some(header) = accept_encoding else {
            return Encoding::Identity;
        };
        let (mut br, mut gzip, mut identity, mut any) = (None, None, None, None);
        for item in header.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let mut q = 1000u16;
            for param in parts {
                if let Some((name, value)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    q = parse_q(value.trim()).unwrap_or(0);
                }
            }
            let slot = if coding.eq_ignore_ascii_case("br") {
                &mut br
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding.eq_ignore_ascii_case("identity") {
                &mut identity
            } else if coding == "*" {
                &mut any
            } else {
                continue;
            };
            // The highest of repeated entries counts.
            *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
        }
        let br = br.or(any).unwrap_or(0);
        let gzip = gzip.or(any).unwrap_or(0);
        // Identity is acceptable unless excluded by name or by `*` without its own entry.
        let identity = identity.or(any.filter(|q| *q == 0)).unwrap_or(1);
        if br > 0 && br >= gzip && br >= identity {
            Encoding::Brotli
        } else if gzip > 0 && gzip >= identity {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// `body` in this coding (identity: a copy), at the qualities fit for a page cached on
    /// its first request.
    pub fn compress(self, body: &[u8]) -> Vec<u8> {
        self.compress_at(body, BROTLI_QUALITY, GZIP_LEVEL)
    }

    /// `body` at the best compression, for files compressed once per process.
    pub fn compress_best(self, body: &[u8]) -> Vec<u8> {
        self.compress_at(body, 11, 9)
    }

    fn compress_at(self, body: &[u8], brotli_quality: u32, gzip_level: u32) -> Vec<u8> {
        match self {
            Encoding::Identity => body.to_vec(),
            Encoding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(
                    Vec::with_capacity(body.len() / 2),
                    flate2::Compression::new(gzip_level),
                );
                // Writing into a Vec cannot fail.
                let _ = encoder.write_all(body);
                encoder.finish().unwrap_or_default()
            }
            Encoding::Brotli => {
                let mut out = Vec::with_capacity(body.len() / 2);
                {
                    let mut writer = brotli::CompressorWriter::new(
                        &mut out,
                        4096,
                        brotli_quality,
                        BROTLI_WINDOW,
                    );
                    let _ = writer.write_all(body);
                }
                out
            }
        }
    }
}

/// A q-value in thousandths ("1", "0.5", "0.125"); None if malformed.
fn parse_q(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, digit) in fraction.bytes().enumerate() {
        thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
    }
    Some((whole * 1000 + thousandths).min(1000))
}

/// Whether a body of this type is worth compressing: text, XML (feeds, sitemaps, SVG),
/// JSON and JavaScript; never images (other than SVG), audio, video, fonts or archives.
pub fn is_compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence == "image/svg+xml"
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
        || matches!(
            essence.as_str(),
            "application/xml" | "application/json" | "application/javascript"
        )
}

#[cfg(test)]
mod tests {
    use super::Encoding::{Brotli, Gzip, Identity};
    use super::*;

    #[test]
    fn negotiation_follows_q_values_identity_and_star() {
        let cases = [
            (None, Identity),
            (Some(""), Identity),
            (Some("gzip"), Gzip),
            (Some("gzip, deflate, br"), Brotli),
            (Some("br;q=0.5, gzip"), Gzip),
            (Some("br;q=0, gzip;q=0.1"), Gzip),
            (Some("gzip;q=0"), Identity),
            (Some("deflate"), Identity),
            (Some("*"), Brotli),
            (Some("*;q=0.5, br;q=0"), Gzip),
            (Some("identity"), Identity),
            (Some("identity;q=0, gzip;q=0.2"), Gzip),
            (Some("*;q=0"), Identity),
            (Some("x-gzip"), Gzip),
            (Some("BR;Q=1.0"), Brotli),
            (Some("br;q=bogus, gzip"), Gzip),
            (Some("gzip;q=0.9, identity;q=1"), Identity),
        ];
        for (header, expected) in cases {
            assert_eq!(Encoding::negotiate(header), expected, "{header:?}");
        }
    }

    #[test]
    fn compressed_bodies_decode_to_the_original() {
        use std::io::Read as _;
        let body = "<p>Hello, compressed world.</p>\n".repeat(200);
        let gz = Gzip.compress(body.as_bytes());
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        let br = Brotli.compress(body.as_bytes());
        let mut decoded = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        assert!(br.len() < body.len() / 10 && gz.len() < body.len() / 10);
    }

    #[test]
    fn only_text_like_types_are_compressible() {
        for yes in [
            "text/html; charset=utf-8",
            "text/css",
            "application/rss+xml",
            "application/atom+xml",
            "application/xml",
            "application/json",
            "application/javascript",
            "image/svg+xml",
        ] {
            assert!(is_compressible(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "video/mp4",
            "application/pdf",
            "",
        ] {
            assert!(!is_compressible(no), "{no}");
        }
    }
}
