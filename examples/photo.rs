//! Writes a photo-like JPEG of the given size (default 4000 × 3000, 12 megapixels) for
//! `bench/media.sh`: `cargo run --release --example photo -- OUT.jpg [WIDTH HEIGHT]`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args.first().expect("usage: photo OUT.jpg [WIDTH HEIGHT]");
    let width: u32 = args.get(1).map_or(4000, |w| w.parse().expect("width"));
    let height: u32 = args.get(2).map_or(3000, |h| h.parse().expect("height"));
    // Smooth gradients with some texture: compresses like a photo, not like a flat fill.
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let noise = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 23) as u8;
        image::Rgb([
            ((x * 255 / width) as u8).saturating_add(noise),
            ((y * 255 / height) as u8).saturating_add(noise),
            (((x + y) * 127 / (width + height)) as u8).saturating_add(noise),
        ])
    });
    img.save(out).expect("write the JPEG");
}
