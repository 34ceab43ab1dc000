//! Image checks and variants. Dimensions are read from the header first, so a
//! decompression bomb is refused before any pixel is decoded; decoding runs with
//! allocation limits; variants are re-encoded (which drops EXIF/GPS and any bytes that
//! were smuggled into the original) after applying the EXIF orientation.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use tempfile::NamedTempFile;

use super::storage::MediaStorage;

/// Widths of the resized copies public pages use; never wider than the original.
pub const VARIANT_WIDTHS: [u32; 3] = [480, 960, 1600];
/// Larger images are refused: decoding one takes 4 bytes per pixel.
pub const MAX_PIXELS: u64 = 50_000_000;
pub const MAX_SIDE: u32 = 20_000;
const MAX_DECODE_BYTES: u64 = 4 * MAX_PIXELS + 64 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;

/// One image at a time per node: a decoded 50-megapixel image needs 200 MB.
static DECODING: Mutex<()> = Mutex::new(());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

/// Why an image was refused; the message names the file.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageProblem {
    TooManyPixels(Dimensions),
    Unreadable(String),
}

impl ImageProblem {
    pub fn message(&self, label: &str) -> String {
        match self {
            Self::TooManyPixels(d) => format!(
                "{label} is {} × {} pixels; images may have at most {} megapixels and {MAX_SIDE} pixels on a side.",
                d.width,
                d.height,
                MAX_PIXELS / 1_000_000
            ),
            Self::Unreadable(why) => format!(
                "{label} could not be read as an image (it may be truncated or damaged): {why}."
            ),
        }
    }
}

/// The format of stored variants: JPEG stays JPEG; PNG and WebP become PNG (keeps
/// transparency; `image` only writes lossless WebP). GIFs (often animated) and AVIF (no
/// decoder without a native codec) get no variants and are shown as uploaded.
pub fn variant_ext(mime: &str) -> Option<&'static str> {
    match mime {
        "image/jpeg" => Some("jpg"),
        "image/png" | "image/webp" => Some("png"),
        _ => None,
    }
}

/// The variant widths for an image `width` pixels wide: the standard widths below it,
/// plus a full-size (at most 1600 px) re-encoded copy, so public pages never serve the
/// original with its metadata.
pub fn variant_widths(mime: &str, width: u32) -> Vec<u32> {
    if variant_ext(mime).is_none() || width == 0 {
        return Vec::new();
    }
    let largest = width.min(VARIANT_WIDTHS[VARIANT_WIDTHS.len() - 1]);
    let mut widths: Vec<u32> = VARIANT_WIDTHS
        .iter()
        .copied()
        .filter(|w| *w < largest)
        .collect();
    widths.push(largest);
    widths
}

/// The height of a variant `width` wide, keeping the aspect ratio.
pub fn scaled_height(original: Dimensions, width: u32) -> u32 {
    let h = u64::from(original.height) * u64::from(width) / u64::from(original.width.max(1));
    u32::try_from(h.max(1)).unwrap_or(u32::MAX)
}

/// Dimensions from the file's header, without decoding it.
pub fn header_dimensions(path: &Path) -> Result<Dimensions, ImageProblem> {
    let size = imagesize::size(path).map_err(|e| ImageProblem::Unreadable(e.to_string()))?;
    let (width, height) = (
        u32::try_from(size.width).unwrap_or(u32::MAX),
        u32::try_from(size.height).unwrap_or(u32::MAX),
    );
    let dims = Dimensions { width, height };
    if width == 0 || height == 0 {
        return Err(ImageProblem::Unreadable("it has no pixels".into()));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageProblem::TooManyPixels(dims));
    }
    Ok(dims)
}

fn format_of(mime: &str) -> Option<ImageFormat> {
    match mime {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// What processing an image produced: its displayed dimensions and the variant files,
/// still in the temp directory.
pub struct Processed {
    pub dimensions: Dimensions,
    pub variants: Vec<(u32, NamedTempFile)>,
}

/// Checks the image at `path` and makes its variants. AVIF is only checked by header.
pub fn process(storage: &MediaStorage, path: &Path, mime: &str) -> Result<Processed, ImageProblem> {
    let header = header_dimensions(path)?;
    let Some(format) = format_of(mime) else {
        return Ok(Processed {
            dimensions: header,
            variants: Vec::new(),
        });
    };
    let _one_at_a_time = DECODING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let image = decode(path, format)?;
    let dimensions = Dimensions {
        width: image.width(),
        height: image.height(),
    };
    let Some(ext) = variant_ext(mime) else {
        // GIF: decoded only to prove it is whole.
        return Ok(Processed {
            dimensions,
            variants: Vec::new(),
        });
    };
    let mut variants = Vec::new();
    // Largest first, each from the previous one: much cheaper than every size from the
    // original, and indistinguishable at these ratios.
    let mut source = image;
    for width in variant_widths(mime, dimensions.width).into_iter().rev() {
        let height = scaled_height(dimensions, width);
        let resized = if source.width() == width {
            source.clone()
        } else if source.width() >= 2 * width {
            // Large reductions: area averaging in integers, fast and without the float
            // buffers a filtered resize of a 50-megapixel image would need.
            source.thumbnail_exact(width, height)
        } else {
            source.resize_exact(width, height, FilterType::CatmullRom)
        };
        let file = encode(storage, &resized, ext)
            .map_err(|e| ImageProblem::Unreadable(format!("writing a variant failed: {e}")))?;
        variants.push((width, file));
        source = resized;
    }
    variants.reverse();
    Ok(Processed {
        dimensions,
        variants,
    })
}

fn decode(path: &Path, format: ImageFormat) -> Result<DynamicImage, ImageProblem> {
    let unreadable = |e: &dyn std::fmt::Display| ImageProblem::Unreadable(e.to_string());
    let file = std::fs::File::open(path).map_err(|e| unreadable(&e))?;
    let mut reader = ImageReader::with_format(BufReader::new(file), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| unreadable(&e))?;
    let orientation = decoder.orientation().map_err(|e| unreadable(&e))?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| unreadable(&e))?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode(
    storage: &MediaStorage,
    image: &DynamicImage,
    ext: &str,
) -> image::ImageResult<NamedTempFile> {
    let mut file = storage.temp_file()?;
    {
        let mut out = BufWriter::new(file.as_file_mut());
        match ext {
            "jpg" => {
                let rgb = image.to_rgb8();
                rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))?;
            }
            _ => {
                let converted;
                let image = if image.color().has_alpha() {
                    converted = DynamicImage::ImageRgba8(image.to_rgba8());
                    &converted
                } else {
                    converted = DynamicImage::ImageRgb8(image.to_rgb8());
                    &converted
                };
                image.write_with_encoder(PngEncoder::new(&mut out))?;
            }
        }
        out.flush()?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_never_upscaled_and_always_include_a_clean_copy() {
        assert_eq!(variant_widths("image/jpeg", 4000), vec![480, 960, 1600]);
        assert_eq!(variant_widths("image/jpeg", 1200), vec![480, 960, 1200]);
        assert_eq!(variant_widths("image/png", 960), vec![480, 960]);
        assert_eq!(variant_widths("image/png", 300), vec![300]);
        assert_eq!(variant_widths("image/gif", 4000), Vec::<u32>::new());
        assert_eq!(variant_widths("image/avif", 4000), Vec::<u32>::new());
        assert_eq!(variant_widths("application/pdf", 0), Vec::<u32>::new());
    }

    #[test]
    fn heights_keep_the_aspect_ratio() {
        let d = Dimensions {
            width: 4000,
            height: 3000,
        };
        assert_eq!(scaled_height(d, 480), 360);
        assert_eq!(
            scaled_height(
                Dimensions {
                    width: 5000,
                    height: 1
                },
                480
            ),
            1
        );
    }
}
