//! Image decoding (`decode_image_bytes_with`: PNG, JPEG, WebP, EXIF orientation) under
//! phone-sized `DecodeOptions`, then the squash resize the model input uses.
//!
//! Checks on a decoded image: within the size limits, pixel bytes = width × height × channels,
//! and it resizes to 16 × 16.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pelabel::{decode_image_bytes_with, resize_squash, DecodeOptions};
use pelabel_fuzz::*;

limited_alloc!();

fn seeds(dir: &std::path::Path) {
    use image::{ImageFormat, RgbImage, RgbaImage};
    let rgb = RgbImage::from_fn(7, 5, |x, y| image::Rgb([(x * 36) as u8, (y * 50) as u8, 128]));
    let rgba = RgbaImage::from_fn(4, 6, |x, y| image::Rgba([(x * 60) as u8, (y * 40) as u8, 10, (x * y * 10) as u8]));
    let gray = image::GrayImage::from_fn(9, 3, |x, _| image::Luma([(x * 28) as u8]));
    let out = |name: &str, img: image::DynamicImage, format: ImageFormat| {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, format).unwrap();
        seed(dir, name, buf.get_ref());
    };
    out("rgb-7x5.png", rgb.clone().into(), ImageFormat::Png);
    out("rgba-4x6.png", rgba.clone().into(), ImageFormat::Png);
    out("gray-9x3.png", gray.into(), ImageFormat::Png);
    out("rgb-7x5.jpg", rgb.clone().into(), ImageFormat::Jpeg);
    out("rgb-7x5.webp", rgb.into(), ImageFormat::WebP);
    out("rgba-4x6.webp", rgba.into(), ImageFormat::WebP);
}

fuzz_target!(init: maybe_write_seeds("decode", seeds), |data: &[u8]| {
    let options =
        DecodeOptions { max_width_px: 4096, max_height_px: 4096, max_alloc_bytes: 128 << 20, max_file_bytes: 64 << 20 };
    let Ok(img) = decode_image_bytes_with(data, "fuzz", &options) else { return };
    let (w, h) = (img.width(), img.height());
    trace(|| format!("decoded {w}x{h} {:?}", img.layout()));
    assert!(w > 0 && h > 0 && w <= options.max_width_px && h <= options.max_height_px, "{w}x{h}");
    assert_eq!(img.as_raw().len(), w as usize * h as usize * img.layout().channels());
    let small = resize_squash(&img, 16, 16).expect("resize of a decoded image");
    assert_eq!((small.width(), small.height(), small.as_raw().len()), (16, 16, 16 * 16 * 3));
});
