//! Metadata out of uploaded originals, without re-encoding them: the original is public
//! (its address is a variant's minus `-1600`), so what a camera or an editor wrote into
//! it — EXIF with GPS position and serial numbers, XMP, IPTC, comments, text chunks — is
//! dropped at upload, and only what the picture needs to look right is kept (colour
//! profiles, transparency, animation, and a JPEG's orientation).
//!
//! Each format is rebuilt from the parts we keep, by an allowlist: anything we don't know
//! is dropped, and so is anything after the image's end. Input is untrusted: every length
//! is checked against what is left, and a structure we can't follow is an error (the
//! upload is refused rather than kept with its metadata).

/// Why an original could not be cleaned.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// Whether [`strip`] rewrites files of this type (not AVIF, nor anything that isn't an
/// image).
pub fn handles(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    )
}

/// The image without its metadata, or `None` for types this module doesn't rewrite.
pub fn strip(mime: &str, bytes: &[u8]) -> Result<Option<Vec<u8>>, Malformed> {
    match mime {
        "image/jpeg" => jpeg(bytes).map(Some),
        "image/png" => png(bytes).map(Some),
        "image/gif" => gif(bytes).map(Some),
        "image/webp" => webp(bytes).map(Some),
        _ => Ok(None),
    }
}

/// A cursor over untrusted bytes: every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Malformed> {
        let end = self.at.checked_add(n).ok_or(Malformed(what))?;
        let slice = self.bytes.get(self.at..end).ok_or(Malformed(what))?;
        self.at = end;
        Ok(slice)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, Malformed> {
        Ok(self.take(1, what)?[0])
    }

    fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

// ------------------------------------------------------------------------------ JPEG

/// Segments kept: JFIF (APP0), ICC profiles (APP2 `ICC_PROFILE`), Adobe's colour
/// transform (APP14), and everything that isn't an APPn or a comment (tables, frames,
/// scans). EXIF is replaced by a minimal block carrying only the orientation, when the
/// picture is rotated.
fn jpeg(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut r = Reader::new(bytes);
    if r.take(2, "no JPEG start")? != [0xFF, 0xD8] {
        return Err(Malformed("no JPEG start"));
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut orientation_written = false;
    loop {
        // Fill bytes (0xFF 0xFF …) may precede a marker.
        if r.byte("truncated JPEG")? != 0xFF {
            return Err(Malformed("a JPEG segment does not start with a marker"));
        }
        let mut marker = r.byte("truncated JPEG")?;
        while marker == 0xFF {
            marker = r.byte("truncated JPEG")?;
        }
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out); // anything after the end of the image is dropped
            }
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let length = r.take(2, "truncated JPEG segment length")?;
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        let payload = r.take(
            length
                .checked_sub(2)
                .ok_or(Malformed("bad JPEG segment length"))?,
            "truncated JPEG segment",
        )?;
        let keep = match marker {
            0xE0 => payload.starts_with(b"JFIF\0") || payload.starts_with(b"JFXX\0"),
            0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
            0xEE => payload.starts_with(b"Adobe"),
            0xE1 => {
                if !orientation_written && payload.starts_with(b"Exif\0\0") {
                    orientation_written = true;
                    if let Some(value) = rotated(&payload[6..]) {
                        out.extend_from_slice(&orientation_only_exif(value));
                    }
                }
                false
            }
            0xE3..=0xED | 0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&((length as u16).to_be_bytes()));
            out.extend_from_slice(payload);
        }
        if marker == 0xDA {
            // Entropy-coded data follows a scan header, up to the next real marker.
            let start = r.at;
            let mut end = start;
            loop {
                match bytes.get(end..end + 2) {
                    None => return Err(Malformed("a JPEG scan runs past the end")),
                    Some([0xFF, next]) if *next == 0x00 || (0xD0..=0xD7).contains(next) => {
                        end += 2;
                    }
                    Some([0xFF, _]) => break,
                    Some(_) => end += 1,
                }
            }
            out.extend_from_slice(&bytes[start..end]);
            r.at = end;
        }
    }
}

/// The EXIF orientation value when it rotates or flips the picture.
fn rotated(tiff: &[u8]) -> Option<u8> {
    let orientation = image::metadata::Orientation::from_exif_chunk(tiff)?;
    let value = orientation.to_exif();
    (value != 1).then_some(value)
}

/// An APP1 segment whose EXIF has one entry: the orientation.
fn orientation_only_exif(value: u8) -> Vec<u8> {
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    payload.extend_from_slice(&1u16.to_be_bytes()); // one entry
    payload.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    payload.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    payload.extend_from_slice(&1u32.to_be_bytes()); // one value
    payload.extend_from_slice(&[0, value, 0, 0]);
    payload.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

// ------------------------------------------------------------------------------- PNG

/// Chunks kept: the critical ones, and the ancillary ones that change how the picture
/// looks (colour, transparency, pixel size, animation). Text, EXIF and time chunks go.
const PNG_KEPT: &[&[u8; 4]] = &[
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"bKGD", b"pHYs", b"hIST", b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT",
];

fn png(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let mut r = Reader::new(bytes);
    if r.take(8, "no PNG signature")? != SIGNATURE {
        return Err(Malformed("no PNG signature"));
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    loop {
        let start = r.at;
        let length = r.take(4, "truncated PNG chunk")?;
        let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]);
        let kind = r.take(4, "truncated PNG chunk")?;
        r.take(
            usize::try_from(length).map_err(|_| Malformed("bad PNG chunk length"))?,
            "truncated PNG chunk",
        )?;
        r.take(4, "truncated PNG chunk")?; // CRC
        let critical = kind[0].is_ascii_uppercase();
        if critical || PNG_KEPT.iter().any(|k| &k[..] == kind) {
            out.extend_from_slice(&bytes[start..r.at]);
        }
        if kind == b"IEND" {
            return Ok(out);
        }
    }
}

// ------------------------------------------------------------------------------- GIF

fn gif(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut r = Reader::new(bytes);
    let header = r.take(6, "no GIF header")?;
    if header != b"GIF87a" && header != b"GIF89a" {
        return Err(Malformed("no GIF header"));
    }
    let screen = r.take(7, "truncated GIF")?;
    let table = colour_table_len(screen[4]);
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..13]);
    out.extend_from_slice(r.take(table, "truncated GIF colour table")?);
    loop {
        let start = r.at;
        match r.byte("truncated GIF")? {
            0x3B => {
                out.push(0x3B);
                return Ok(out);
            }
            0x2C => {
                let descriptor = r.take(9, "truncated GIF image")?;
                r.take(colour_table_len(descriptor[8]), "truncated GIF image")?;
                r.byte("truncated GIF image")?; // LZW minimum code size
                skip_sub_blocks(&mut r)?;
                out.extend_from_slice(&bytes[start..r.at]);
            }
            0x21 => {
                let label = r.byte("truncated GIF extension")?;
                let first = r.at;
                skip_sub_blocks(&mut r)?;
                let keep = match label {
                    0xF9 | 0x01 => true, // graphic control, plain text
                    // Application: only the looping of animations.
                    0xFF => {
                        let id = bytes.get(first + 1..first + 12);
                        bytes.get(first) == Some(&11)
                            && matches!(id, Some(b"NETSCAPE2.0" | b"ANIMEXTS1.0"))
                    }
                    _ => false, // comments and anything unknown
                };
                if keep {
                    out.extend_from_slice(&bytes[start..r.at]);
                }
            }
            _ => return Err(Malformed("an unknown GIF block")),
        }
    }
}

fn colour_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 * (1usize << ((packed & 0x07) + 1))
    }
}

fn skip_sub_blocks(r: &mut Reader<'_>) -> Result<(), Malformed> {
    loop {
        let len = r.byte("truncated GIF data")?;
        if len == 0 {
            return Ok(());
        }
        r.take(usize::from(len), "truncated GIF data")?;
    }
}

// ------------------------------------------------------------------------------ WebP

/// Chunks kept: the image itself (lossy, lossless, alpha), the extended header (with its
/// EXIF and XMP flags cleared), colour profile and animation.
const WEBP_KEPT: &[&[u8; 4]] = &[
    b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP", b"ANIM", b"ANMF",
];

fn webp(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut r = Reader::new(bytes);
    if r.take(4, "no RIFF header")? != b"RIFF" {
        return Err(Malformed("no RIFF header"));
    }
    let size = r.take(4, "no RIFF header")?;
    let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
    let end = usize::try_from(size)
        .ok()
        .and_then(|s| s.checked_add(8))
        .ok_or(Malformed("bad RIFF size"))?;
    let riff = bytes
        .get(..end)
        .ok_or(Malformed("the RIFF size is past the end"))?;
    let mut r = Reader { bytes: riff, at: 8 };
    if r.take(4, "not WebP")? != b"WEBP" {
        return Err(Malformed("not WebP"));
    }
    let mut body = b"WEBP".to_vec();
    while !r.is_empty() {
        let start = r.at;
        let kind = r.take(4, "truncated WebP chunk")?;
        let len = r.take(4, "truncated WebP chunk")?;
        let len = usize::try_from(u32::from_le_bytes([len[0], len[1], len[2], len[3]]))
            .map_err(|_| Malformed("bad WebP chunk size"))?;
        let data = r.take(len, "truncated WebP chunk")?;
        if len % 2 == 1 && !r.is_empty() {
            r.take(1, "truncated WebP chunk")?;
        }
        if !WEBP_KEPT.iter().any(|k| &k[..] == kind) {
            continue;
        }
        let chunk_start = body.len();
        body.extend_from_slice(&riff[start..start + 8]);
        body.extend_from_slice(data);
        if len % 2 == 1 {
            body.push(0);
        }
        if kind == b"VP8X" {
            let flags = body
                .get_mut(chunk_start + 8)
                .ok_or(Malformed("an empty VP8X chunk"))?;
            *flags &= !(0x08 | 0x04); // EXIF and XMP present
        }
    }
    let mut out = b"RIFF".to_vec();
    let size = u32::try_from(body.len()).map_err(|_| Malformed("WebP too large"))?;
    out.extend_from_slice(&size.to_le_bytes());
    out.extend(body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn encoded(format: image::ImageFormat) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(16, 8, |x, y| {
            image::Rgba([x as u8 * 16, y as u8 * 30, 90, 255])
        });
        let img = if format == image::ImageFormat::Jpeg {
            image::DynamicImage::ImageRgb8(image::DynamicImage::ImageRgba8(img).to_rgb8())
        } else {
            image::DynamicImage::ImageRgba8(img)
        };
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    fn jpeg_with(segments: &[(u8, &[u8])], trailer: &[u8]) -> Vec<u8> {
        let plain = encoded(image::ImageFormat::Jpeg);
        let mut out = plain[..2].to_vec();
        for (marker, payload) in segments {
            out.extend_from_slice(&[0xFF, *marker]);
            out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(payload);
        }
        out.extend_from_slice(&plain[2..]);
        out.extend_from_slice(trailer);
        out
    }

    #[test]
    fn jpeg_loses_exif_xmp_iptc_comments_and_trailers_but_stays_a_picture() {
        let input = jpeg_with(
            &[
                (0xE1, b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0GPS-SECRET"),
                (0xE1, b"http://ns.adobe.com/xap/1.0/\0XMP-SECRET"),
                (0xED, b"Photoshop 3.0\0IPTC-SECRET"),
                (0xFE, b"COMMENT-SECRET"),
                (0xE2, b"ICC_PROFILE\0\x01\x01profile"),
            ],
            b"TRAILING-SECRET",
        );
        let out = strip("image/jpeg", &input).unwrap().unwrap();
        for secret in [
            "GPS-SECRET",
            "XMP-SECRET",
            "IPTC-SECRET",
            "COMMENT-SECRET",
            "TRAILING-SECRET",
        ] {
            assert!(!contains(&out, secret.as_bytes()), "{secret}");
        }
        assert!(contains(&out, b"ICC_PROFILE\0"), "colour profile kept");
        let decoded = image::load_from_memory(&out).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (16, 8));
    }

    #[test]
    fn a_rotated_jpeg_keeps_only_its_orientation() {
        // IFD0 with Orientation = 6 (rotate 90°) and a GPS pointer.
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x02".to_vec();
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        exif.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0]);
        exif.extend_from_slice(b"\0\0\0\0GPS-SECRET");
        let out = strip("image/jpeg", &jpeg_with(&[(0xE1, &exif)], b""))
            .unwrap()
            .unwrap();
        assert!(!contains(&out, b"GPS-SECRET"));
        let exif_at = out
            .windows(6)
            .position(|w| w == b"Exif\0\0")
            .expect("an EXIF block");
        assert_eq!(rotated(&out[exif_at + 6..]), Some(6));
        let mut decoder = image::ImageReader::new(std::io::Cursor::new(&out))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        use image::ImageDecoder;
        assert_eq!(
            decoder.orientation().unwrap(),
            image::metadata::Orientation::Rotate90
        );
    }

    #[test]
    fn png_loses_text_and_exif_chunks() {
        let plain = encoded(image::ImageFormat::Png);
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]); // CRC (not checked here)
            c
        };
        let mut input = plain[..33].to_vec();
        input.extend(chunk(b"tEXt", b"Comment\0TEXT-SECRET"));
        input.extend(chunk(b"eXIf", b"MM\0\x2aEXIF-SECRET"));
        input.extend(chunk(b"prVt", b"PRIVATE-SECRET"));
        input.extend_from_slice(&plain[33..]);
        input.extend_from_slice(b"TRAILING-SECRET");
        let out = strip("image/png", &input).unwrap().unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn gif_and_webp_lose_their_metadata() {
        let gif_plain = encoded(image::ImageFormat::Gif);
        let table = colour_table_len(gif_plain[10]);
        let mut gif_input = gif_plain[..13 + table].to_vec();
        gif_input.extend_from_slice(&[0x21, 0xFE, 6]);
        gif_input.extend_from_slice(b"SECRET\0");
        gif_input.extend_from_slice(&gif_plain[13 + table..]);
        assert_eq!(strip("image/gif", &gif_input).unwrap().unwrap(), gif_plain);

        let webp_plain = encoded(image::ImageFormat::WebP);
        let mut webp_input = webp_plain.clone();
        webp_input.extend_from_slice(b"EXIF\x07\0\0\0SECRET!\0");
        let size = (webp_input.len() - 8) as u32;
        webp_input[4..8].copy_from_slice(&size.to_le_bytes());
        assert_eq!(
            strip("image/webp", &webp_input).unwrap().unwrap(),
            webp_plain
        );
    }

    #[test]
    fn damaged_structures_are_errors_not_panics() {
        let jpeg = jpeg_with(&[(0xFE, b"x")], b"");
        let png = encoded(image::ImageFormat::Png);
        let gif = encoded(image::ImageFormat::Gif);
        let webp = encoded(image::ImageFormat::WebP);
        for (mime, bytes) in [
            ("image/jpeg", &jpeg),
            ("image/png", &png),
            ("image/gif", &gif),
            ("image/webp", &webp),
        ] {
            for cut in 0..bytes.len().saturating_sub(1) {
                let _ = strip(mime, &bytes[..cut]);
            }
            let mut flipped = bytes.clone();
            for i in 0..flipped.len() {
                flipped[i] ^= 0xFF;
                let _ = strip(mime, &flipped);
                flipped[i] ^= 0xFF;
            }
        }
        assert_eq!(strip("image/avif", b"anything"), Ok(None));
        assert!(strip("image/jpeg", b"\xFF\xD8\xFF\xE1\x00").is_err());
    }
}
