//! Decoding encoded images (PNG, JPEG, WebP) into [`Image8`], keeping what Pillow's mode rules
//! need: alpha (resized premultiplied) and whether Pillow would see a palette or 1-bit image
//! (resized with NEAREST).
//!
//! Decoding is bounded by [`DecodeOptions`]: a few hundred bytes of PNG or JPEG header can ask
//! for gigabytes of pixels, so the dimensions and the decoder's memory are checked against limits
//! before the pixels are decoded.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use super::{Image8, PixelLayout};
use crate::{Error, Result};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// Limits on decoding an encoded image. The defaults admit every phone camera photo (a 200 MP
/// sensor is 16 320 × 12 240 px) and refuse what no camera makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Widest image accepted, in pixels (default 16 384).
    pub max_width_px: u32,
    /// Tallest image accepted, in pixels (default 16 384).
    pub max_height_px: u32,
    /// Most memory the decoder may allocate, the decoded pixels included, in bytes (default
    /// 512 MiB: a 48 MP photo with 16-bit RGBA channels).
    pub max_alloc_bytes: u64,
    /// Largest encoded file [`decode_image_file_with`] reads, in bytes (default 256 MiB).
    pub max_file_bytes: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self { max_width_px: 16_384, max_height_px: 16_384, max_alloc_bytes: 512 << 20, max_file_bytes: 256 << 20 }
    }
}

/// Reads and decodes an image file with the default [`DecodeOptions`]; see
/// [`decode_image_bytes`] for what is kept.
///
/// Errors: [`Error::Io`] when the file cannot be read, [`Error::ImageDecode`] (with the path as
/// `source_name`) when it is not a decodable PNG, JPEG or WebP image, [`Error::LimitExceeded`]
/// when it is larger than the limits.
pub fn decode_image_file(path: &Path) -> Result<Image8> {
    decode_image_file_with(path, &DecodeOptions::default())
}

/// [`decode_image_file`] with explicit limits. The file size is checked before it is read.
pub fn decode_image_file_with(path: &Path, options: &DecodeOptions) -> Result<Image8> {
    let bytes = Error::read_file_capped(
        path,
        options.max_file_bytes,
        "image file size (bytes)",
        "DecodeOptions::max_file_bytes",
    )?;
    let name = path.display().to_string();
    decode_image_bytes_with(&bytes, &name, options)
}

/// Decodes an encoded image (format guessed from its content: PNG, JPEG or WebP) into an
/// [`Image8`], following what Pillow's `Image.open` gives the official pipeline:
///
/// - 8-bit gray, gray+alpha, RGB and RGBA are kept as they are (alpha is needed: Pillow resizes
///   `LA`/`RGBA` premultiplied).
/// - 16-bit channels keep their high byte (`v >> 8`), which is what Pillow does for 16-bit RGB,
///   RGBA and gray+alpha PNGs (raw modes `RGB;16B`, `RGBA;16B`, `LA;16B`). Pillow opens 16-bit
///   *gray* PNGs as mode `I;16` instead, and its later `convert("RGB")` clips the 16-bit values
///   to 255, turning almost every pixel white; that is a Pillow artefact no model was trained on,
///   so here 16-bit gray also keeps its high byte (parity is not defined for such files).
/// - PNG palette images and 1-bit grayscale PNGs are flagged so that [`super::resize_squash`]
///   uses NEAREST as Pillow does for its `P` and `1` modes; a palette's transparency is dropped
///   (`P → RGB` ignores it).
/// - A PNG `tRNS` colour key on a gray or RGB image is ignored (Pillow keeps such images as `L`
///   / `RGB`, the key only in `info`), so they are not treated as having alpha.
/// - Floating-point and other exotic layouts are converted to 8-bit RGB(A) by the `image` crate.
/// - EXIF orientation is not applied (Pillow's `Image.open` does not apply it either).
///
/// JPEG and lossy WebP decoders differ between libraries by a few levels; pixel parity with
/// the official pipeline is only defined for lossless inputs.
///
/// Errors: [`Error::ImageDecode`] with `source_name` (a path or any description of where the
/// bytes came from) when the format is unknown or the data is corrupt; [`Error::InvalidImage`]
/// for an image without pixels; [`Error::LimitExceeded`] when the header asks for more than the
/// default [`DecodeOptions`] allow (checked before any pixel is decoded).
pub fn decode_image_bytes(bytes: &[u8], source_name: &str) -> Result<Image8> {
    decode_image_bytes_with(bytes, source_name, &DecodeOptions::default())
}

/// [`decode_image_bytes`] with explicit limits.
pub fn decode_image_bytes_with(bytes: &[u8], source_name: &str, options: &DecodeOptions) -> Result<Image8> {
    // The decoders are third-party parsers of untrusted bytes; one that panics on a malformed
    // file (image-webp's overflow on crafted lossless WebP was one, in debug builds) must cost
    // that image an error, not the process (a `pelabel eval` over a folder, a camera roll).
    // Nothing is shared with the caller but `bytes` and `options`, read-only, and a failed
    // decoder's state is dropped, so no broken invariant can be observed after the unwind.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_unguarded(bytes, source_name, options)))
        .unwrap_or_else(|_| {
            Err(Error::ImageDecode {
                source_name: source_name.to_string(),
                reason: "the image decoder failed on malformed data (it panicked)".into(),
            })
        })
}

fn decode_unguarded(bytes: &[u8], source_name: &str, options: &DecodeOptions) -> Result<Image8> {
    let decode_err = |reason: String| Error::ImageDecode { source_name: source_name.to_string(), reason };
    let over = |what: &'static str, found: u64, limit: u64, setting: &'static str| Error::LimitExceeded {
        source_name: source_name.to_string(),
        what,
        found,
        limit,
        setting,
    };
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| decode_err(e.to_string()))?;
    if reader.format().is_none() {
        return Err(decode_err("unknown image format (PNG, JPEG and WebP are supported)".into()));
    }
    // Headers only; the memory limit already bounds what the decoder reads there (PNG text and
    // ICC chunks, for instance).
    let mut limits = Limits::default();
    limits.max_alloc = Some(options.max_alloc_bytes);
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(|e| decode_err(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if width > options.max_width_px {
        return Err(over("image width (px)", width.into(), options.max_width_px.into(), "DecodeOptions::max_width_px"));
    }
    if height > options.max_height_px {
        return Err(over(
            "image height (px)",
            height.into(),
            options.max_height_px.into(),
            "DecodeOptions::max_height_px",
        ));
    }
    let pixels_bytes = decoder.total_bytes();
    if pixels_bytes > options.max_alloc_bytes {
        return Err(over(
            "decoded image size (bytes)",
            pixels_bytes,
            options.max_alloc_bytes,
            "DecodeOptions::max_alloc_bytes",
        ));
    }
    // What is left for the decoder's own buffers, as `ImageReader::decode` does.
    limits.max_image_width = Some(options.max_width_px);
    limits.max_image_height = Some(options.max_height_px);
    limits.max_alloc = Some(options.max_alloc_bytes - pixels_bytes);
    decoder.set_limits(limits).map_err(|e| decode_err(e.to_string()))?;
    let img = DynamicImage::from_decoder(decoder).map_err(|e| decode_err(e.to_string()))?;
    let (width, height) = (img.width(), img.height());
    let (mut layout, mut data) = match img {
        DynamicImage::ImageLuma8(b) => (PixelLayout::Gray, b.into_raw()),
        DynamicImage::ImageLumaA8(b) => (PixelLayout::GrayAlpha, b.into_raw()),
        DynamicImage::ImageRgb8(b) => (PixelLayout::Rgb, b.into_raw()),
        DynamicImage::ImageRgba8(b) => (PixelLayout::Rgba, b.into_raw()),
        DynamicImage::ImageLuma16(b) => (PixelLayout::Gray, high_bytes(b.as_raw())),
        DynamicImage::ImageLumaA16(b) => (PixelLayout::GrayAlpha, high_bytes(b.as_raw())),
        DynamicImage::ImageRgb16(b) => (PixelLayout::Rgb, high_bytes(b.as_raw())),
        DynamicImage::ImageRgba16(b) => (PixelLayout::Rgba, high_bytes(b.as_raw())),
        other if other.color().has_alpha() => (PixelLayout::Rgba, other.to_rgba8().into_raw()),
        other => (PixelLayout::Rgb, other.to_rgb8().into_raw()),
    };
    let mut nearest = false;
    if let Some((bit_depth, colour_type)) = png_ihdr(bytes) {
        // PNG colour types: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
        let alpha_channel_in_file = colour_type == 4 || colour_type == 6;
        if !alpha_channel_in_file && layout.has_alpha() {
            // Alpha synthesised from tRNS: Pillow's L/RGB/P → RGB ignores it.
            data = super::drop_alpha(&data, layout.channels());
            layout = layout.without_alpha();
        }
        nearest = colour_type == 3 || (colour_type == 0 && bit_depth == 1);
    }
    let mut out = Image8::from_raw(width, height, layout, data)?;
    out.nearest = nearest;
    Ok(out)
}

/// Bit depth and colour type from a PNG's IHDR chunk (always the first chunk), or `None` when
/// `bytes` is not a PNG.
fn png_ihdr(bytes: &[u8]) -> Option<(u8, u8)> {
    if bytes.len() >= 29 && bytes[..8] == PNG_SIGNATURE[..] && &bytes[12..16] == b"IHDR" {
        Some((bytes[24], bytes[25]))
    } else {
        None
    }
}

/// 16-bit samples → their high byte (Pillow's 16-bit PNG unpackers).
fn high_bytes(v: &[u16]) -> Vec<u8> {
    v.iter().map(|&x| (x >> 8) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_png(img: DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    /// A lossless WebP whose Huffman code counts overflow image-webp's u16 sum (found by the
    /// `decode` fuzz target; upstream image-rs/image-webp#118): an error in every build, where
    /// a debug build of image-webp used to panic.
    #[test]
    fn webp_with_overflowing_huffman_code_is_an_error() {
        let crash: &[u8] =
            b"RIFF\xcd\0\0\0WEBPVP8L\xc3\0\0\0/\x03@h\x10\xcdU \"\x02\x1e\0\0\0\x01\t\x88\x04\0\xd3\0\0\0\
            \x80\x01\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\x15\0\0\0\x05\0\0\0\0\0\0\0{\0\0\0\0\0\0\0\
            \0\0\0\0\0\0\xce\0\0\0";
        match decode_image_bytes(crash, "crash.webp") {
            Err(Error::ImageDecode { source_name, reason }) => {
                assert_eq!(source_name, "crash.webp");
                assert!(reason.contains("Huffman"), "{reason}");
            }
            other => panic!("expected ImageDecode, got {other:?}"),
        }
    }

    #[test]
    fn layouts_and_16_bit() {
        let rgb16 = image::ImageBuffer::<image::Rgb<u16>, _>::from_fn(3, 2, |x, y| {
            image::Rgb([x as u16 * 0x1234 + 0x00ff, y as u16 * 0x8000 + 0x80, 0xffff])
        });
        let img = decode_image_bytes(&encode_png(DynamicImage::ImageRgb16(rgb16)), "rgb16").unwrap();
        assert_eq!((img.width(), img.height(), img.layout()), (3, 2, PixelLayout::Rgb));
        assert_eq!(&img.as_raw()[..6], &[0x00, 0x00, 0xff, 0x13, 0x00, 0xff]);
        assert!(!img.uses_nearest_resize());

        let la = image::GrayAlphaImage::from_fn(2, 2, |x, _| image::LumaA([x as u8 * 10, 128]));
        let img = decode_image_bytes(&encode_png(DynamicImage::ImageLumaA8(la)), "la").unwrap();
        assert_eq!(img.layout(), PixelLayout::GrayAlpha);
        assert_eq!(img.as_raw(), &[0, 128, 10, 128, 0, 128, 10, 128]);

        let g16 = image::ImageBuffer::<image::Luma<u16>, _>::from_fn(2, 1, |x, _| image::Luma([x as u16 * 0x7f80]));
        let img = decode_image_bytes(&encode_png(DynamicImage::ImageLuma16(g16)), "g16").unwrap();
        assert_eq!((img.layout(), img.as_raw()), (PixelLayout::Gray, &[0u8, 0x7f][..]));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(decode_image_bytes(b"not an image", "x"), Err(Error::ImageDecode { .. })));
        let mut png = encode_png(DynamicImage::ImageRgb8(image::RgbImage::new(4, 4)));
        png.truncate(40);
        let err = decode_image_bytes(&png, "cut.png").unwrap_err();
        assert!(matches!(&err, Error::ImageDecode { source_name, .. } if source_name == "cut.png"), "{err}");
        assert!(matches!(decode_image_bytes(&[], "empty"), Err(Error::ImageDecode { .. })));
        assert!(matches!(decode_image_file(Path::new("/nonexistent/pelabel/x.png")), Err(Error::Io { .. })));
    }

    /// A PNG of `w × h` RGBA8 pixels: a real 1×1 file whose IHDR is patched (CRC fixed), so a
    /// few dozen bytes claim the whole image.
    fn png_claiming(w: u32, h: u32) -> Vec<u8> {
        let mut png = encode_png(DynamicImage::ImageRgba8(image::RgbaImage::new(1, 1)));
        png[16..20].copy_from_slice(&w.to_be_bytes());
        png[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn a_small_png_cannot_ask_for_hundreds_of_megabytes() {
        // Finding 6 of issue 9: the header alone decided how much memory decoding took.
        // 12 000 × 12 000 RGBA8 is 576 MB, within the default width and height limits.
        let png = png_claiming(12_000, 12_000);
        assert!(png.len() < 100);
        let start = std::time::Instant::now();
        let err = decode_image_bytes(&png, "bomb.png").unwrap_err();
        assert!(start.elapsed().as_secs() < 2, "{:?}", start.elapsed());
        match &err {
            Error::LimitExceeded { source_name, what, found, limit, setting } => {
                assert_eq!((source_name.as_str(), *found, *limit), ("bomb.png", 576_000_000, 512 << 20));
                assert_eq!((*what, *setting), ("decoded image size (bytes)", "DecodeOptions::max_alloc_bytes"));
            }
            other => panic!("{other:?}"),
        }
        // Each dimension on its own, and a lower memory limit.
        let err = decode_image_bytes(&png_claiming(20_000, 1), "wide.png").unwrap_err();
        assert!(
            matches!(&err, Error::LimitExceeded { found: 20_000, limit: 16_384, setting, .. }
                if *setting == "DecodeOptions::max_width_px"),
            "{err:?}"
        );
        let err = decode_image_bytes(&png_claiming(1, 16_385), "tall.png").unwrap_err();
        assert!(matches!(&err, Error::LimitExceeded { found: 16_385, .. }), "{err:?}");
        let small = DecodeOptions { max_alloc_bytes: 1000, ..DecodeOptions::default() };
        let err = decode_image_bytes_with(&png_claiming(16, 16), "x.png", &small).unwrap_err();
        assert!(matches!(&err, Error::LimitExceeded { found: 1024, limit: 1000, .. }), "{err:?}");
        // Within the limits the same file is just corrupt (it has one pixel of data).
        assert!(matches!(decode_image_bytes(&png_claiming(16, 16), "x.png"), Err(Error::ImageDecode { .. })));
    }

    #[test]
    fn file_size_is_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.png");
        let png = encode_png(DynamicImage::ImageRgb8(image::RgbImage::new(4, 4)));
        std::fs::write(&path, &png).unwrap();
        decode_image_file(&path).unwrap();
        let tight = DecodeOptions { max_file_bytes: png.len() as u64 - 1, ..DecodeOptions::default() };
        let err = decode_image_file_with(&path, &tight).unwrap_err();
        assert!(
            matches!(&err, Error::LimitExceeded { found, setting: "DecodeOptions::max_file_bytes", .. }
                if *found == png.len() as u64),
            "{err:?}"
        );
    }

    #[test]
    fn png_header_is_parsed() {
        let png = encode_png(DynamicImage::ImageLumaA8(image::GrayAlphaImage::new(1, 1)));
        assert_eq!(png_ihdr(&png), Some((8, 4)));
        assert_eq!(png_ihdr(b"\xff\xd8\xff"), None);
    }
}
