//! Image preprocessing: decoded image → squash resize → `[3, H, W]` normalised f32 tensor,
//! bit-exact with the official PE eval transform (§8 of `reference/pe-core.md`).
//!
//! The official transform is torchvision `Resize((S, S), BILINEAR)` on a PIL image (so Pillow's
//! `Image.resize`), then `convert("RGB")`, `ToTensor`, `Normalize(0.5, 0.5)`. A generic float
//! bilinear resize is off by up to a few uint8 levels; this module reproduces Pillow's integer
//! algorithm exactly (two separable passes through an 8-bit intermediate, in Pillow 13's order;
//! antialiasing triangle filter widened by the downscale factor; coefficients normalised in f64
//! and quantised to 22-bit fixed point), together with the mode rules that apply because the resize happens
//! *before* the RGB conversion:
//!
//! | source (Pillow mode) | resize | then |
//! |---|---|---|
//! | gray (`L`) | one channel | replicated to R, G, B |
//! | RGB | three channels | — |
//! | RGBA / gray+alpha (`RGBA` / `LA`) | premultiplied by alpha (Pillow's `RGBa`/`La`) | un-premultiplied, alpha dropped without compositing |
//! | palette / 1-bit PNG (`P` / `1`) | NEAREST, whatever the filter | palette colours, transparency ignored |
//!
//! An image already at the target size is copied unchanged (Pillow returns a copy before any
//! mode logic). 16-bit inputs are reduced to their high byte; see [`decode_image_bytes`].
//!
//! Parity: the u8 level equals the official fixtures exactly (`tests/preprocess_parity.rs`:
//! `tiny` 64², the 90×120 off-grid input, `t16-384-l2` 384²), and equals Pillow 13.0.0 on the
//! four fixture images for every square size 17–448 plus 610 other W×H targets from 1×1 to
//! 600×600 (4 168 cases, all identical), and on the gray+alpha / RGBA / 16-bit / palette / 1-bit /
//! `tRNS` / lossless WebP cases of `tests/fixtures/pillow-resize`.
//!
//! Why not `fast_image_resize` here (6.1.0, `ResizeAlg::Convolution(FilterType::Bilinear)`): it is
//! a port of Pillow-SIMD, which quantises the 8-bit weights to `i16` with at most 15 fractional
//! bits (Pillow: 22-bit `i32`), and its tap bounds use floor/ceil rather than Pillow's rounding,
//! so it is not bit-exact. Measured against this module (itself identical to Pillow):
//! 2 058 of the 49 152 values of `tiny`'s 4×64² `pixel_values` differ, 578 of 32 400 for the
//! 90×120 input, 117 936 of 1 327 104 (8.9 %) for `t16-384-l2`'s three 384² images, 6.4 % of
//! all values over the square sweep 17–448 and 5.5 % over all 4 168 cases (21 % on the noise
//! image), by 1 level except 7 of those 982 million values, by 2. It is about three
//! times faster (1920×1080 RGB → 384²: about 4 ms against 12 ms here, one core, release); the
//! exact passes are plain integer loops that can be vectorised later without changing results.
//! Camera frames have no Pillow reference, so [`FramePreprocessor`] (`frame.rs`) does use it by
//! default, with the exact path as an option.

mod decode;
mod frame;
mod resize;

use std::borrow::Cow;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

pub use decode::{
    decode_image_bytes, decode_image_bytes_with, decode_image_file, decode_image_file_with, DecodeOptions,
};
pub use frame::{
    frame_to_rgb, preprocess_frame, Frame, FramePreprocessor, FrameResampler, Orientation, PixelFormat, Roi, YuvMatrix,
    YuvRange,
};
pub(crate) use resize::BilinearPlan;

/// How the interleaved 8-bit channels of an [`Image8`] are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelLayout {
    /// One luminance byte per pixel (Pillow `L`).
    Gray,
    /// Luminance then alpha (Pillow `LA`); alpha 0 = transparent, 255 = opaque, not premultiplied.
    GrayAlpha,
    /// Red, green, blue (Pillow `RGB`).
    Rgb,
    /// Red, green, blue, alpha (Pillow `RGBA`); straight (not premultiplied) alpha.
    Rgba,
}

impl PixelLayout {
    /// Bytes per pixel: 1, 2, 3 or 4.
    pub fn channels(self) -> usize {
        match self {
            PixelLayout::Gray => 1,
            PixelLayout::GrayAlpha => 2,
            PixelLayout::Rgb => 3,
            PixelLayout::Rgba => 4,
        }
    }

    /// Whether the last channel is alpha.
    pub fn has_alpha(self) -> bool {
        matches!(self, PixelLayout::GrayAlpha | PixelLayout::Rgba)
    }

    fn without_alpha(self) -> Self {
        match self {
            PixelLayout::GrayAlpha => PixelLayout::Gray,
            PixelLayout::Rgba => PixelLayout::Rgb,
            other => other,
        }
    }
}

/// An 8-bit image with 1–4 interleaved channels ([`PixelLayout`]), rows top to bottom without
/// padding: `height × width × channels` bytes. What [`decode_image_file`] returns and what
/// [`resize_squash`] / [`preprocess_image`] take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image8 {
    width: u32,
    height: u32,
    layout: PixelLayout,
    data: Vec<u8>,
    /// Pillow would hold this image in mode `P` or `1` and resize it with NEAREST.
    nearest: bool,
}

impl Image8 {
    /// Wraps raw pixels. Errors ([`Error::InvalidImage`]) when a side is 0 or `data` is not
    /// exactly `width · height · layout.channels()` bytes.
    pub fn from_raw(width: u32, height: u32, layout: PixelLayout, data: Vec<u8>) -> Result<Self> {
        check_buffer(width, height, layout.channels(), data.len())?;
        Ok(Self { width, height, layout, data, nearest: false })
    }

    /// Width in pixels (> 0).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (> 0).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Channel layout.
    pub fn layout(&self) -> PixelLayout {
        self.layout
    }

    /// The pixels, `height × width × channels` bytes, row-major.
    pub fn as_raw(&self) -> &[u8] {
        &self.data
    }

    /// True when the image came from a palette or 1-bit PNG: Pillow (and so the official
    /// pipeline) resizes those with NEAREST instead of bilinear, and [`resize_squash`] does too.
    pub fn uses_nearest_resize(&self) -> bool {
        self.nearest
    }
}

impl From<RgbImage8> for Image8 {
    fn from(img: RgbImage8) -> Self {
        Self { width: img.width, height: img.height, layout: PixelLayout::Rgb, data: img.data, nearest: false }
    }
}

/// An 8-bit RGB image: `height × width × 3` bytes, row-major, R G B per pixel. The output of
/// [`resize_squash`] and the input of [`to_tensor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage8 {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl RgbImage8 {
    /// Wraps raw RGB pixels. Errors ([`Error::InvalidImage`]) when a side is 0 or `data` is not
    /// exactly `width · height · 3` bytes.
    pub fn from_raw(width: u32, height: u32, data: Vec<u8>) -> Result<Self> {
        check_buffer(width, height, 3, data.len())?;
        Ok(Self { width, height, data })
    }

    /// Width in pixels (> 0).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (> 0).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, `height × width × 3` bytes.
    pub fn as_raw(&self) -> &[u8] {
        &self.data
    }

    /// The pixel buffer, `height × width × 3` bytes.
    pub fn into_raw(self) -> Vec<u8> {
        self.data
    }
}

/// Preprocessing facts of a model: input size and per-channel normalisation. The tensor value
/// of a uint8 level `u` in channel `c` is `(u/255 − mean[c]) / std[c]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PreprocessConfig {
    /// Model input size in pixels as `(height, width)`; both > 0.
    pub image_size_px: (u32, u32),
    /// Per-channel mean (R, G, B) subtracted after scaling to `[0, 1]`.
    pub mean: [f32; 3],
    /// Per-channel standard deviation (R, G, B) divided by; finite and non-zero.
    pub std: [f32; 3],
}

impl PreprocessConfig {
    /// PE Core's eval transform at `image_size_px × image_size_px`: mean and std 0.5 for every
    /// channel (not the OpenAI CLIP constants), so values lie in `[−1, 1]`.
    pub fn pe_core(image_size_px: u32) -> Self {
        Self { image_size_px: (image_size_px, image_size_px), mean: [0.5; 3], std: [0.5; 3] }
    }

    fn validate(&self) -> Result<()> {
        let (h, w) = self.image_size_px;
        let bad = if h == 0 || w == 0 {
            Some(format!("image size {h}×{w} (H×W) must be > 0"))
        } else if self.mean.iter().any(|m| !m.is_finite()) {
            Some(format!("mean {:?} must be finite", self.mean))
        } else if self.std.iter().any(|s| !s.is_finite() || *s == 0.0) {
            Some(format!("std {:?} must be finite and non-zero", self.std))
        } else {
            None
        };
        match bad {
            Some(reason) => Err(Error::Config { path: None, reason: format!("preprocessing: {reason}") }),
            None => Ok(()),
        }
    }
}

/// Squash-resizes `img` to `width × height` pixels (aspect ratio not kept, no crop) exactly as
/// Pillow's `Image.resize((width, height), BILINEAR)` followed by `convert("RGB")` — the mode
/// rules in the module docs included — and returns the RGB result.
///
/// Errors ([`Error::InvalidImage`]) when `width` or `height` is 0 or the output or intermediate
/// buffer would exceed 1 GiB.
pub fn resize_squash(img: &Image8, width: u32, height: u32) -> Result<RgbImage8> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidImage { reason: format!("target size {width}×{height} (W×H) must be > 0") });
    }
    let channels = img.layout.channels();
    let in_size = (img.width, img.height);
    let (pixels, layout): (Cow<'_, [u8]>, PixelLayout) = if in_size == (width, height) {
        (Cow::Borrowed(&img.data), img.layout)
    } else if img.nearest {
        (Cow::Owned(resize::nearest(&img.data, in_size, channels, (width, height))?), img.layout)
    } else if img.layout.has_alpha() {
        let plan = BilinearPlan::new(img.width, img.height, width, height)?;
        let resized = plan.run(&resize::premultiply(&img.data, channels), channels)?;
        (Cow::Owned(resize::unpremultiply_drop_alpha(&resized, channels)), img.layout.without_alpha())
    } else {
        let plan = BilinearPlan::new(img.width, img.height, width, height)?;
        (Cow::Owned(plan.run(&img.data, channels)?), img.layout)
    };
    let data = match layout {
        PixelLayout::Rgb => pixels.into_owned(),
        PixelLayout::Gray => pixels.iter().flat_map(|&v| [v, v, v]).collect(),
        PixelLayout::GrayAlpha => pixels.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0]]).collect(),
        PixelLayout::Rgba => drop_alpha(&pixels, 4),
    };
    RgbImage8::from_raw(width, height, data)
}

/// Converts an RGB image of exactly `cfg.image_size_px` into the model input: a `[3, H, W]`
/// f32 tensor on `device`, channel-major (R, G, B planes), value `(u/255 − mean[c]) / std[c]`
/// computed in f32 as torchvision's `ToTensor` + `Normalize` do (range `[−1, 1]` for PE Core).
///
/// Errors: [`Error::InvalidImage`] when the image size differs from `cfg.image_size_px`,
/// [`Error::Config`] when `cfg` has a zero size or a non-finite / zero std.
pub fn to_tensor(img: &RgbImage8, cfg: &PreprocessConfig, device: &Device) -> Result<Tensor> {
    cfg.validate()?;
    let (h, w) = cfg.image_size_px;
    if (img.height, img.width) != (h, w) {
        return Err(Error::InvalidImage {
            reason: format!(
                "image is {}×{} (H×W) but the model input is {h}×{w}; resize it first",
                img.height, img.width
            ),
        });
    }
    let lut = normalisation_lut(cfg);
    let plane = img.data.len() / 3;
    let mut out = vec![0f32; 3 * plane];
    let (r, gb) = out.split_at_mut(plane);
    let (g, b) = gb.split_at_mut(plane);
    for ((px, (r, g)), b) in img.data.chunks_exact(3).zip(r.iter_mut().zip(g.iter_mut())).zip(b.iter_mut()) {
        *r = lut[0][usize::from(px[0])];
        *g = lut[1][usize::from(px[1])];
        *b = lut[2][usize::from(px[2])];
    }
    Ok(Tensor::from_vec(out, (3, h as usize, w as usize), device)?)
}

/// The whole eval transform: [`resize_squash`] to `cfg.image_size_px`, then [`to_tensor`].
/// Returns a `[3, H, W]` f32 tensor on `device`.
pub fn preprocess_image(img: &Image8, cfg: &PreprocessConfig, device: &Device) -> Result<Tensor> {
    cfg.validate()?;
    let (h, w) = cfg.image_size_px;
    to_tensor(&resize_squash(img, w, h)?, cfg, device)
}

/// One lookup table per channel: level `u` → `(u/255 − mean[c]) / std[c]`, the same f32
/// operations as torchvision's `ToTensor` + `Normalize`, per level.
fn normalisation_lut(cfg: &PreprocessConfig) -> [[f32; 256]; 3] {
    let mut lut = [[0f32; 256]; 3];
    for (c, table) in lut.iter_mut().enumerate() {
        for (u, v) in table.iter_mut().enumerate() {
            *v = (u as f32 / 255.0 - cfg.mean[c]) / cfg.std[c];
        }
    }
    lut
}

/// `width × height × channels` must be exactly `len` bytes, with both sides > 0.
fn check_buffer(width: u32, height: u32, channels: usize, len: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidImage { reason: format!("image size {width}×{height} (W×H) must be > 0") });
    }
    let expected = (width as usize).checked_mul(height as usize).and_then(|n| n.checked_mul(channels));
    if expected != Some(len) {
        return Err(Error::InvalidImage {
            reason: format!("{width}×{height}×{channels} image needs {expected:?} bytes, got {len}"),
        });
    }
    Ok(())
}

/// Drops the last of `channels` interleaved channels.
fn drop_alpha(data: &[u8], channels: usize) -> Vec<u8> {
    let keep = channels.saturating_sub(1);
    data.chunks_exact(channels.max(1)).flat_map(|p| p[..keep].iter().copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(w: u32, h: u32, layout: PixelLayout, f: impl Fn(usize) -> u8) -> Image8 {
        let n = w as usize * h as usize * layout.channels();
        Image8::from_raw(w, h, layout, (0..n).map(f).collect()).unwrap()
    }

    #[test]
    fn gray_resizes_like_rgb() {
        let gray = img(31, 17, PixelLayout::Gray, |i| (i * 37 % 251) as u8);
        let rgb = Image8::from_raw(31, 17, PixelLayout::Rgb, gray.as_raw().iter().flat_map(|&v| [v, v, v]).collect())
            .unwrap();
        for (w, h) in [(8, 8), (64, 40), (31, 5)] {
            assert_eq!(resize_squash(&gray, w, h).unwrap(), resize_squash(&rgb, w, h).unwrap());
        }
    }

    #[test]
    fn opaque_rgba_resizes_like_rgb_and_same_size_is_a_copy() {
        let rgba = img(20, 10, PixelLayout::Rgba, |i| if i % 4 == 3 { 255 } else { (i * 13 % 256) as u8 });
        let rgb = Image8::from_raw(20, 10, PixelLayout::Rgb, drop_alpha(rgba.as_raw(), 4)).unwrap();
        assert_eq!(resize_squash(&rgba, 7, 9).unwrap(), resize_squash(&rgb, 7, 9).unwrap());
        let translucent = img(4, 4, PixelLayout::Rgba, |i| if i % 4 == 3 { 100 } else { 201 });
        assert_eq!(resize_squash(&translucent, 4, 4).unwrap().as_raw(), &[201u8; 48][..]);
        // Resized, 201 premultiplied by 100/255 (79) and back (201.45 → 201) survives exactly.
        assert_eq!(resize_squash(&translucent, 2, 3).unwrap().as_raw(), &[201u8; 18][..]);
    }

    #[test]
    fn tensor_values_and_layout() {
        let rgb = RgbImage8::from_raw(2, 1, vec![0, 128, 255, 10, 20, 30]).unwrap();
        let cfg = PreprocessConfig { image_size_px: (1, 2), ..PreprocessConfig::pe_core(1) };
        let t = to_tensor(&rgb, &cfg, &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[3, 1, 2]);
        let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
        let f = |u: u8| (u as f32 / 255.0 - 0.5) / 0.5;
        assert_eq!(v, vec![f(0), f(10), f(128), f(20), f(255), f(30)]);
        assert_eq!((v[0], v[4]), (-1.0, 1.0));
    }

    #[test]
    fn preprocess_resizes_to_config() {
        let src = img(50, 30, PixelLayout::Rgb, |i| (i % 256) as u8);
        let cfg = PreprocessConfig { image_size_px: (12, 20), ..PreprocessConfig::pe_core(0) };
        let t = preprocess_image(&src, &cfg, &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[3, 12, 20]);
    }

    #[test]
    fn invalid_inputs_are_typed_errors() {
        let inv = |r: Result<Image8>| matches!(r, Err(Error::InvalidImage { .. }));
        assert!(inv(Image8::from_raw(0, 3, PixelLayout::Rgb, vec![])));
        assert!(inv(Image8::from_raw(2, 2, PixelLayout::Rgb, vec![0; 11])));
        assert!(inv(Image8::from_raw(u32::MAX, u32::MAX, PixelLayout::Rgba, vec![0; 4])));
        assert!(RgbImage8::from_raw(1, 1, vec![0; 4]).is_err());
        let one = img(1, 1, PixelLayout::Rgb, |_| 9);
        assert!(matches!(resize_squash(&one, 0, 5), Err(Error::InvalidImage { .. })));
        assert!(matches!(resize_squash(&one, 5, 0), Err(Error::InvalidImage { .. })));
        assert!(matches!(resize_squash(&one, 100_000, 100_000), Err(Error::InvalidImage { .. })));
        let dev = Device::Cpu;
        assert!(matches!(preprocess_image(&one, &PreprocessConfig::pe_core(0), &dev), Err(Error::Config { .. })));
        let bad_std = PreprocessConfig { std: [0.5, 0.0, 0.5], ..PreprocessConfig::pe_core(1) };
        assert!(matches!(preprocess_image(&one, &bad_std, &dev), Err(Error::Config { .. })));
        let rgb = resize_squash(&one, 3, 3).unwrap();
        assert!(matches!(to_tensor(&rgb, &PreprocessConfig::pe_core(4), &dev), Err(Error::InvalidImage { .. })));
    }

    #[test]
    fn one_by_one_upscale_is_constant() {
        let one = img(1, 1, PixelLayout::GrayAlpha, |i| [77, 128][i]);
        let out = resize_squash(&one, 5, 4).unwrap();
        // 77 premultiplied by 128/255 → 39, back → 77.
        assert!(out.as_raw().iter().all(|&v| v == 77), "{:?}", out.as_raw());
    }
}
