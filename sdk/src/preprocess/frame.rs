//! Camera frames → model input: BGRA8, RGBA8 or RGB8 buffers with padded rows and NV12
//! (bi-planar 4:2:0, full or video range, BT.601 or BT.709), an orientation (0/90/180/270°,
//! mirrored or not) and an optional region of interest, squash-resized to the model's input
//! without converting, rotating or copying the full-size frame.
//!
//! ## What the result is
//!
//! [`FramePreprocessor`] (and the one-shot [`frame_to_rgb`] / [`preprocess_frame`]) computes
//! the result of these steps on the full-resolution frame:
//!
//! 1. crop the [`Roi`] (given in buffer coordinates);
//! 2. convert to 8-bit RGB: BGRA/RGBA drop alpha (camera alpha is meaningless, so it is never
//!    composited or premultiplied); NV12 per the integer formula of [`YuvMatrix`] / [`YuvRange`],
//!    each chroma sample covering its 2×2 block of luma (nearest chroma "upsampling", as iOS's
//!    and libyuv's simple converters do);
//! 3. orient: mirror left↔right if `mirrored`, then rotate clockwise by the [`Orientation`];
//! 4. [`super::resize_squash`] (Pillow's bilinear squash) to the target size;
//! 5. normalise as [`super::to_tensor`] does.
//!
//! [`FrameResampler::PillowExact`] gives exactly that, bit for bit;
//! [`FrameResampler::Fast`] (the default) gives it within rounding: packed formats within
//! 1–2 levels (15-bit instead of 22-bit filter weights), NV12 within half a level on average
//! (its chroma is resampled before conversion, which differs where sharp, saturated edges make
//! the per-pixel conversion clip). Either way, frames of the fixture images embed like the
//! decoded RGB path with cosine ≥ 0.9998 (`tests/frame_parity.rs`, `tiny` and T16-384).
//! The in-module tests and `tests/frame_parity.rs` compare both against those steps written
//! naively, over every format, orientation, mirror flag, padding and ROI.
//!
//! ## How, without full-size copies
//!
//! Rotating by a multiple of 90° and mirroring only relabel and reverse axes, so both
//! resamplers resize the ROI in the buffer's orientation, to the target with its axes swapped
//! for 90° / 270°, and orient only the small result, in the same pass that normalises it into
//! the tensor (channel order included). Nothing full-size is written:
//!
//! - `Fast`: `fast_image_resize` (SIMD: AVX2 / SSE4.1 on x86-64, NEON on ARM, picked at run
//!   time) reads the ROI's rows straight from the caller's buffer, 4 bytes per pixel for
//!   BGRA/RGBA, 3 for RGB8. For NV12 it resizes the luma plane and the CbCr plane (the
//!   chroma samples under the ROI, cropped to it by half a sample at odd edges) separately to
//!   the target, and only the target's pixels are converted to RGB.
//! - `PillowExact`: Pillow's bilinear resize is separable, one fixed-point pass per axis with
//!   an 8-bit intermediate (`BilinearPlan`). Each upright axis's coefficients are applied to
//!   the buffer axis it comes from, reversed (`AxisCoeffs::flipped`) where the orientation
//!   reverses it, in the pass order Pillow would use on the upright image: every output
//!   sample is the same integer sum of the same terms as on the upright image, so the result
//!   is identical. BGRA/RGBA are resampled in place; NV12 and RGB8 rows are converted to RGBX
//!   one row at a time, right before the pass that reads them (a ring of as many rows as the
//!   filter spans when the first pass is vertical), so each row is converted once.
//!
//! A [`FramePreprocessor`] keeps its plans and scratch buffers between frames, so a 30 fps
//! stream allocates little beyond each result. Measured (`sdk/benches/frame.rs`, one core of
//! the 2-core x86-64 dev machine, AVX2): 1920×1080 → `[3, 384, 384]` takes 1.4–1.5 ms (BGRA)
//! and 1.8–2.1 ms (NV12) with `Fast`, 7.5 ms and 13.3 ms with `PillowExact`, upright or rotated.

use candle_core::{Device, Tensor};
use fast_image_resize as fir;
use fir::images::{TypedImage, TypedImageRef};
use fir::pixels::{InnerPixel, U8x2, U8x3, U8x4, U8};
use fir::{FilterType, ImageView, ResizeAlg, ResizeOptions};

use super::resize::{self, buffer_len, AxisCoeffs};
use super::{PreprocessConfig, RgbImage8};
use crate::{Error, Result};

/// How the 8-bit luma and chroma codes of a YUV frame map to their nominal range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum YuvRange {
    /// Luma and chroma use all of `0..=255` (JPEG/JFIF; Apple's `…BiPlanarFullRange`,
    /// Android's `YUV_420_888` camera output): `Y' = Y`, `C' = C − 128`.
    Full,
    /// "Video" or "limited" range: luma `16..=235`, chroma `16..=240` (Apple's
    /// `…BiPlanarVideoRange`, broadcast video): `Y' = (Y − 16)·255/219`,
    /// `C' = (C − 128)·255/224`. Codes outside the nominal range are converted and clamped.
    Video,
}

/// The YCbCr → RGB matrix of a YUV frame (ITU-R BT.601 or BT.709).
///
/// With `Kr`, `Kb` the matrix's luma weights and `Kg = 1 − Kr − Kb`, and `Y'`, `Cb'`, `Cr'`
/// from [`YuvRange`]:
///
/// ```text
/// R = Y' + 2(1 − Kr)·Cr'
/// G = Y' − 2Kb(1 − Kb)/Kg·Cb' − 2Kr(1 − Kr)/Kg·Cr'
/// B = Y' + 2(1 − Kb)·Cb'
/// ```
///
/// evaluated in fixed point (each constant, range scale included, rounded to a multiple of
/// 2⁻¹³; results rounded half up and clamped to `0..=255`). This is within one level of the
/// exact formula for every input and exact on gray levels and full-range black and white.
///
/// There is no safe default: a camera buffer says which matrix it uses (iOS:
/// `kCVImageBufferYCbCrMatrixKey`; Android's camera `YUV_420_888` is JFIF, i.e. BT.601 full
/// range). When nothing is known, [`YuvMatrix::for_frame_size`] gives the usual convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum YuvMatrix {
    /// ITU-R BT.601 (SD video, JPEG): `Kr = 0.299`, `Kb = 0.114`.
    Bt601,
    /// ITU-R BT.709 (HD video; what iOS attaches to HD camera buffers): `Kr = 0.2126`,
    /// `Kb = 0.0722`.
    Bt709,
}

impl YuvMatrix {
    /// The convention of video players and capture pipelines for untagged YUV: BT.709 for HD
    /// frames (longer side ≥ 1280 or shorter side ≥ 720 pixels), BT.601 below.
    pub fn for_frame_size(width: u32, height: u32) -> Self {
        if width.max(height) >= 1280 || width.min(height) >= 720 {
            YuvMatrix::Bt709
        } else {
            YuvMatrix::Bt601
        }
    }

    /// `(Kr, Kb)`.
    fn weights(self) -> (f64, f64) {
        match self {
            YuvMatrix::Bt601 => (0.299, 0.114),
            YuvMatrix::Bt709 => (0.2126, 0.0722),
        }
    }
}

/// Pixel layout of a [`Frame`]'s buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// 4 bytes per pixel in memory order blue, green, red, alpha (iOS / macOS
    /// `kCVPixelFormatType_32BGRA`). Alpha is ignored.
    Bgra8,
    /// 4 bytes per pixel in memory order red, green, blue, alpha (Android `PixelFormat.RGBA_8888`
    /// image planes, and `Bitmap.Config.ARGB_8888` pixel buffers, which hold R, G, B, A in
    /// memory). Alpha is ignored.
    Rgba8,
    /// 3 bytes per pixel: red, green, blue (decoded images, video frames).
    Rgb8,
    /// Bi-planar 4:2:0: a luma plane of `width × height` bytes and an interleaved Cb, Cr plane
    /// of `⌈width/2⌉ × ⌈height/2⌉` byte pairs, each plane with its own row stride (iOS
    /// `kCVPixelFormatType_420YpCbCr8BiPlanar{Full,Video}Range`, Android `YUV_420_888` when its
    /// U and V planes interleave with pixel stride 2). Odd sizes are allowed: the last chroma
    /// column / row then covers one luma column / row.
    Nv12 {
        /// Full or video range.
        range: YuvRange,
        /// BT.601 or BT.709.
        matrix: YuvMatrix,
    },
}

impl PixelFormat {
    /// Bytes per pixel of a packed format; `None` for NV12.
    fn packed_bytes(self) -> Option<usize> {
        match self {
            PixelFormat::Bgra8 | PixelFormat::Rgba8 => Some(4),
            PixelFormat::Rgb8 => Some(3),
            PixelFormat::Nv12 { .. } => None,
        }
    }
}

/// The rotation that displays a buffer upright, as camera APIs report it: rotate the buffer
/// **clockwise** by this angle (after mirroring it, see [`Frame::with_orientation`]).
///
/// Same meaning as Android CameraX's `ImageInfo.rotationDegrees` (0, 90, 180, 270) and as
/// iOS's `CGImagePropertyOrientation` `.up` / `.right` / `.down` / `.left` (EXIF 1, 6, 3, 8):
/// an iPhone's back camera held in portrait delivers landscape buffers that need
/// [`Orientation::Right`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Orientation {
    /// Already upright (0°).
    #[default]
    Up,
    /// Rotate 90° clockwise to display: the buffer's left column is the picture's top row.
    Right,
    /// Rotate 180°: the buffer is upside down.
    Down,
    /// Rotate 270° clockwise (90° counter-clockwise): the buffer's right column is the
    /// picture's top row.
    Left,
}

impl Orientation {
    /// The orientation for a clockwise display rotation in degrees: 0, 90, 180 or 270 (any
    /// multiple of 90, taken modulo 360). `None` for other angles.
    pub fn from_clockwise_degrees(degrees: u32) -> Option<Self> {
        match degrees % 360 {
            0 => Some(Orientation::Up),
            90 => Some(Orientation::Right),
            180 => Some(Orientation::Down),
            270 => Some(Orientation::Left),
            _ => None,
        }
    }

    /// The clockwise display rotation in degrees: 0, 90, 180 or 270.
    pub fn clockwise_degrees(self) -> u32 {
        match self {
            Orientation::Up => 0,
            Orientation::Right => 90,
            Orientation::Down => 180,
            Orientation::Left => 270,
        }
    }

    /// Orientation and mirror flag of an EXIF / TIFF orientation tag, which is also the raw
    /// value of iOS's `CGImagePropertyOrientation` (1 up, 2 up mirrored, 3 down, 4 down
    /// mirrored, 5 left mirrored, 6 right, 7 right mirrored, 8 left). `None` outside 1–8.
    pub fn from_exif(value: u32) -> Option<(Self, bool)> {
        Some(match value {
            1 => (Orientation::Up, false),
            2 => (Orientation::Up, true),
            3 => (Orientation::Down, false),
            4 => (Orientation::Down, true),
            5 => (Orientation::Left, true),
            6 => (Orientation::Right, false),
            7 => (Orientation::Right, true),
            8 => (Orientation::Left, false),
            _ => return None,
        })
    }

    /// True for 90° and 270°: the upright picture's width is the buffer's height.
    pub fn swaps_axes(self) -> bool {
        matches!(self, Orientation::Right | Orientation::Left)
    }

    /// Whether the buffer's x and y axes run backwards in the upright picture, given the
    /// mirror flag (mirror first, then rotate clockwise).
    fn reversed_axes(self, mirrored: bool) -> (bool, bool) {
        match self {
            Orientation::Up => (mirrored, false),
            Orientation::Right => (mirrored, true),
            Orientation::Down => (!mirrored, true),
            Orientation::Left => (!mirrored, false),
        }
    }
}

/// A rectangle of pixels: columns `x..x + width`, rows `y..y + height`. Both sides > 0.
///
/// A [`Frame`]'s ROI is in **buffer** coordinates (the pixel grid as it lies in memory, before
/// orientation); [`Frame::with_upright_roi`] converts from upright (display) coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Roi {
    /// First column, pixels from the left edge.
    pub x: u32,
    /// First row, pixels from the top edge.
    pub y: u32,
    /// Width in pixels (> 0).
    pub width: u32,
    /// Height in pixels (> 0).
    pub height: u32,
}

impl Roi {
    /// The rectangle at column `x`, row `y`, `width × height` pixels.
    pub fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self { x, y, width, height }
    }

    /// Errors unless the rectangle is non-empty and inside a `width × height` grid.
    fn check_inside(&self, width: u32, height: u32, what: &str) -> Result<()> {
        let fits = |start: u32, len: u32, size: u32| u64::from(start) + u64::from(len) <= u64::from(size);
        if self.width == 0 || self.height == 0 {
            return Err(bad(format!("{what} {self:?} is empty")));
        }
        if !fits(self.x, self.width, width) || !fits(self.y, self.height, height) {
            return Err(bad(format!("{what} {self:?} is not inside the {width}×{height} (W×H) frame")));
        }
        Ok(())
    }
}

/// Where a frame's pixels are.
#[derive(Clone, Copy)]
enum Planes<'a> {
    Packed { data: &'a [u8], bytes_per_row: usize },
    Nv12 { y: &'a [u8], y_bytes_per_row: usize, uv: &'a [u8], uv_bytes_per_row: usize },
}

/// A camera frame borrowed from the caller's buffer(s): size, [`PixelFormat`], row strides,
/// [`Orientation`], mirror flag and region of interest. Cheap to copy; holds no pixels.
///
/// The constructors check that the buffers hold every pixel they describe (a typed
/// [`Error::InvalidImage`] otherwise), so preprocessing never reads out of bounds. Rows are
/// `bytes_per_row` apart and may be padded; the last row need not be (a buffer is long enough
/// with `(height − 1)·bytes_per_row + width·bytes_per_pixel` bytes).
#[derive(Clone, Copy)]
pub struct Frame<'a> {
    width: u32,
    height: u32,
    format: PixelFormat,
    planes: Planes<'a>,
    orientation: Orientation,
    mirrored: bool,
    roi: Roi,
}

impl std::fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Frame");
        d.field("width", &self.width).field("height", &self.height).field("format", &self.format);
        match self.planes {
            Planes::Packed { data, bytes_per_row } => {
                d.field("bytes", &data.len()).field("bytes_per_row", &bytes_per_row);
            }
            Planes::Nv12 { y, y_bytes_per_row, uv, uv_bytes_per_row } => {
                d.field("y_bytes", &y.len()).field("y_bytes_per_row", &y_bytes_per_row);
                d.field("uv_bytes", &uv.len()).field("uv_bytes_per_row", &uv_bytes_per_row);
            }
        }
        d.field("orientation", &self.orientation).field("mirrored", &self.mirrored).field("roi", &self.roi).finish()
    }
}

impl<'a> Frame<'a> {
    /// A BGRA8 frame ([`PixelFormat::Bgra8`]): `height` rows of `width` pixels, `bytes_per_row`
    /// (≥ `4·width`) apart in `data`.
    ///
    /// Errors ([`Error::InvalidImage`]): a zero side, `bytes_per_row < 4·width`, `data` shorter
    /// than `(height − 1)·bytes_per_row + 4·width` bytes, or sizes overflowing `usize`.
    pub fn bgra(data: &'a [u8], width: u32, height: u32, bytes_per_row: usize) -> Result<Self> {
        Self::packed(PixelFormat::Bgra8, data, width, height, bytes_per_row)
    }

    /// An RGBA8 frame ([`PixelFormat::Rgba8`]); the layout and errors of [`Frame::bgra`].
    pub fn rgba(data: &'a [u8], width: u32, height: u32, bytes_per_row: usize) -> Result<Self> {
        Self::packed(PixelFormat::Rgba8, data, width, height, bytes_per_row)
    }

    /// An RGB8 frame ([`PixelFormat::Rgb8`]): as [`Frame::bgra`] with 3 bytes per pixel
    /// (`bytes_per_row ≥ 3·width`).
    pub fn rgb(data: &'a [u8], width: u32, height: u32, bytes_per_row: usize) -> Result<Self> {
        Self::packed(PixelFormat::Rgb8, data, width, height, bytes_per_row)
    }

    /// An NV12 frame ([`PixelFormat::Nv12`]) of `width × height` pixels: the luma plane `y`
    /// (`height` rows of `width` bytes, `y_bytes_per_row` apart) and the chroma plane `uv`
    /// (`⌈height/2⌉` rows of `⌈width/2⌉` Cb, Cr byte pairs, `uv_bytes_per_row` apart).
    ///
    /// Errors ([`Error::InvalidImage`]): a zero side, `y_bytes_per_row < width`,
    /// `uv_bytes_per_row < 2·⌈width/2⌉`, a plane shorter than its last row's end, or sizes
    /// overflowing `usize`.
    #[allow(clippy::too_many_arguments)] // mirrors CVPixelBuffer / android.media.Image plane by plane
    pub fn nv12(
        y: &'a [u8],
        y_bytes_per_row: usize,
        uv: &'a [u8],
        uv_bytes_per_row: usize,
        width: u32,
        height: u32,
        range: YuvRange,
        matrix: YuvMatrix,
    ) -> Result<Self> {
        check_size(width, height)?;
        check_plane("Y plane", y.len(), width as usize, 1, height as usize, y_bytes_per_row)?;
        let (cw, ch) = (width.div_ceil(2) as usize, height.div_ceil(2) as usize);
        check_plane("CbCr plane", uv.len(), cw, 2, ch, uv_bytes_per_row)?;
        Ok(Self {
            width,
            height,
            format: PixelFormat::Nv12 { range, matrix },
            planes: Planes::Nv12 { y, y_bytes_per_row, uv, uv_bytes_per_row },
            orientation: Orientation::Up,
            mirrored: false,
            roi: Roi::new(0, 0, width, height),
        })
    }

    fn packed(format: PixelFormat, data: &'a [u8], width: u32, height: u32, bytes_per_row: usize) -> Result<Self> {
        check_size(width, height)?;
        let bpp = format.packed_bytes().unwrap_or(4);
        check_plane("pixel buffer", data.len(), width as usize, bpp, height as usize, bytes_per_row)?;
        Ok(Self {
            width,
            height,
            format,
            planes: Planes::Packed { data, bytes_per_row },
            orientation: Orientation::Up,
            mirrored: false,
            roi: Roi::new(0, 0, width, height),
        })
    }

    /// Sets how to display the buffer upright: mirror it left↔right if `mirrored` (front
    /// cameras, to match a mirrored preview), **then** rotate it clockwise by `orientation`.
    /// This is the EXIF convention, so [`Orientation::from_exif`] gives both arguments.
    /// A ROI already set stays where it is in the buffer.
    pub fn with_orientation(mut self, orientation: Orientation, mirrored: bool) -> Self {
        self.orientation = orientation;
        self.mirrored = mirrored;
        self
    }

    /// Restricts preprocessing to `roi`, in buffer coordinates (columns and rows of the buffer
    /// as it lies in memory, whatever the orientation). The ROI is cropped first, then oriented
    /// and resized. Replaces any earlier ROI.
    ///
    /// Errors ([`Error::InvalidImage`]) when `roi` is empty or not inside the frame.
    pub fn with_roi(mut self, roi: Roi) -> Result<Self> {
        roi.check_inside(self.width, self.height, "ROI")?;
        self.roi = roi;
        Ok(self)
    }

    /// Restricts preprocessing to `roi` given in upright coordinates (the picture as displayed
    /// under the orientation set so far, `upright_width × upright_height` of the whole frame),
    /// converted to the buffer ROI that shows exactly that rectangle. Set the orientation
    /// first; later orientation changes keep the buffer ROI, not the upright one.
    ///
    /// Errors ([`Error::InvalidImage`]) when `roi` is empty or not inside the upright frame.
    pub fn with_upright_roi(self, roi: Roi) -> Result<Self> {
        let transposed = self.orientation.swaps_axes();
        let (uw, uh) = if transposed { (self.height, self.width) } else { (self.width, self.height) };
        roi.check_inside(uw, uh, "upright ROI")?;
        let (rev_x, rev_y) = self.orientation.reversed_axes(self.mirrored);
        // Buffer x runs along the upright axis u (or v when transposed), backwards if reversed.
        let (ax, aw, ay, ah) =
            if transposed { (roi.y, roi.height, roi.x, roi.width) } else { (roi.x, roi.width, roi.y, roi.height) };
        let x = if rev_x { self.width - ax - aw } else { ax };
        let y = if rev_y { self.height - ay - ah } else { ay };
        self.with_roi(Roi::new(x, y, aw, ah))
    }

    /// Buffer width in pixels (> 0).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Buffer height in pixels (> 0).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// Clockwise rotation that displays the buffer upright.
    pub fn orientation(&self) -> Orientation {
        self.orientation
    }

    /// Whether the buffer is mirrored left↔right before rotating.
    pub fn mirrored(&self) -> bool {
        self.mirrored
    }

    /// The region preprocessed, in buffer coordinates (the whole frame unless set).
    pub fn roi(&self) -> Roi {
        self.roi
    }

    /// `(width, height)` in pixels of the ROI once upright: the picture the model sees before
    /// the squash resize.
    pub fn upright_size(&self) -> (u32, u32) {
        if self.orientation.swaps_axes() {
            (self.roi.height, self.roi.width)
        } else {
            (self.roi.width, self.roi.height)
        }
    }

    /// Where each ROI row comes from, as 4-byte pixels (in place for BGRA/RGBA, converted for
    /// the others).
    fn source(&self) -> Source<'a> {
        let (x0, y0, w) = (self.roi.x as usize, self.roi.y as usize, self.roi.width as usize);
        match (self.planes, self.format) {
            (Planes::Nv12 { y, y_bytes_per_row, uv, uv_bytes_per_row }, PixelFormat::Nv12 { range, matrix }) => {
                Source::Nv12 {
                    y,
                    y_stride: y_bytes_per_row,
                    uv,
                    uv_stride: uv_bytes_per_row,
                    x0,
                    y0,
                    width: w,
                    yuv: YuvToRgb::new(range, matrix),
                }
            }
            (Planes::Packed { data, bytes_per_row }, PixelFormat::Rgb8) => {
                Source::Rgb { data, stride: bytes_per_row, x0, y0, width: w }
            }
            (Planes::Packed { data, bytes_per_row }, _) => {
                Source::Direct { data, stride: bytes_per_row, offset: y0 * bytes_per_row + x0 * 4, row_bytes: w * 4 }
            }
            // The constructors pair NV12 planes with the NV12 format only.
            (Planes::Nv12 { .. }, _) => Source::Invalid,
        }
    }

    /// Where R, G, B sit in the 4-byte pixels of [`Frame::source`].
    fn channel_order(&self) -> [usize; 3] {
        match self.format {
            PixelFormat::Bgra8 => [2, 1, 0],
            _ => [0, 1, 2],
        }
    }
}

/// `Error::InvalidImage` for a frame.
fn bad(reason: String) -> Error {
    Error::InvalidImage { reason: format!("frame: {reason}") }
}

fn check_size(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(bad(format!("size {width}×{height} (W×H) must be > 0")));
    }
    Ok(())
}

/// A plane of `rows` rows of `width` samples of `bpp` bytes, `stride` bytes apart, must fit in
/// `len` bytes (the last row may stop at its last pixel).
fn check_plane(name: &str, len: usize, width: usize, bpp: usize, rows: usize, stride: usize) -> Result<()> {
    let overflow = || bad(format!("{name}: {rows} rows of {width}×{bpp} bytes, {stride} apart, overflow usize"));
    let row_bytes = width.checked_mul(bpp).ok_or_else(overflow)?;
    if stride < row_bytes {
        return Err(bad(format!("{name}: {stride} bytes per row is less than {width} pixels × {bpp} bytes")));
    }
    let needed =
        rows.saturating_sub(1).checked_mul(stride).and_then(|n| n.checked_add(row_bytes)).ok_or_else(overflow)?;
    if len < needed {
        return Err(bad(format!(
            "{name} has {len} bytes, {needed} needed for {rows} rows of {row_bytes} bytes, {stride} apart"
        )));
    }
    Ok(())
}

/// The fixed-point YCbCr → RGB conversion of [`YuvMatrix`]: 16 fractional bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct YuvToRgb {
    y_offset: i32,
    y_mul: i32,
    r_cr: i32,
    g_cb: i32,
    g_cr: i32,
    b_cb: i32,
}

/// Fractional bits of the YUV constants: 13 keeps every constant and every `Y − offset`,
/// `C − 128` within 16 bits, so each product is a 16 × 16-bit multiply (one SIMD instruction on
/// x86 and ARM), and the result within 0.05 of a level of the exact formula before rounding.
const YUV_BITS: u32 = 13;

impl YuvToRgb {
    fn new(range: YuvRange, matrix: YuvMatrix) -> Self {
        let (kr, kb) = matrix.weights();
        let kg = 1.0 - kr - kb;
        let (y_offset, y_scale, c_scale) = match range {
            YuvRange::Full => (0, 1.0, 1.0),
            YuvRange::Video => (16, 255.0 / 219.0, 255.0 / 224.0),
        };
        let q = |v: f64| (v * f64::from(1u32 << YUV_BITS)).round() as i32;
        Self {
            y_offset,
            y_mul: q(y_scale),
            r_cr: q(2.0 * (1.0 - kr) * c_scale),
            g_cb: q(2.0 * kb * (1.0 - kb) / kg * c_scale),
            g_cr: q(2.0 * kr * (1.0 - kr) / kg * c_scale),
            b_cb: q(2.0 * (1.0 - kb) * c_scale),
        }
    }

    /// `(Y − offset)·y_mul` plus the rounding half: the luma term of every channel.
    #[inline(always)]
    fn luma(&self, y: u8) -> i32 {
        (i32::from(y) - self.y_offset) * self.y_mul + (1 << (YUV_BITS - 1))
    }

    /// Chroma terms `(R, G, B)` of a Cb, Cr pair.
    #[inline(always)]
    fn chroma(&self, cb: u8, cr: u8) -> (i32, i32, i32) {
        let (cb, cr) = (i32::from(cb) - 128, i32::from(cr) - 128);
        (self.r_cr * cr, -self.g_cb * cb - self.g_cr * cr, self.b_cb * cb)
    }

    #[inline(always)]
    fn level(v: i32) -> u8 {
        (v >> YUV_BITS).clamp(0, 255) as u8
    }

    /// Writes one RGBX pixel.
    #[inline(always)]
    fn put(px: &mut [u8], luma: i32, (r, g, b): (i32, i32, i32)) {
        if let [pr, pg, pb, _] = px {
            *pr = Self::level(luma + r);
            *pg = Self::level(luma + g);
            *pb = Self::level(luma + b);
        }
    }

    #[cfg(test)]
    fn rgb(&self, y: u8, cb: u8, cr: u8) -> [u8; 3] {
        let mut px = [0u8; 4];
        Self::put(&mut px, self.luma(y), self.chroma(cb, cr));
        [px[0], px[1], px[2]]
    }
}

/// Rows of the ROI as 4-byte pixels.
enum Source<'f> {
    /// BGRA / RGBA, read in place.
    Direct { data: &'f [u8], stride: usize, offset: usize, row_bytes: usize },
    /// RGB8, expanded to RGBX.
    Rgb { data: &'f [u8], stride: usize, x0: usize, y0: usize, width: usize },
    /// NV12, converted to RGBX.
    Nv12 {
        y: &'f [u8],
        y_stride: usize,
        uv: &'f [u8],
        uv_stride: usize,
        x0: usize,
        y0: usize,
        width: usize,
        yuv: YuvToRgb,
    },
    /// Unreachable through the public constructors.
    Invalid,
}

impl<'f> Source<'f> {
    /// ROI row `r` (`roi.width` 4-byte pixels); converted rows live in `ring`.
    fn row<'s>(&'s self, r: usize, ring: &'s mut RowRing) -> Result<&'s [u8]> {
        if let Source::Direct { data, stride, offset, row_bytes } = *self {
            let start = r.checked_mul(stride).and_then(|n| n.checked_add(offset));
            return start
                .and_then(|s| data.get(s..s.checked_add(row_bytes)?))
                .ok_or_else(|| bad(format!("internal: row {r} is outside the buffer")));
        }
        let slots = ring.tags.len();
        let rb = ring.row_bytes;
        if slots == 0 {
            return Err(bad("internal: no row buffer".into()));
        }
        let slot = r % slots;
        let dst = ring.data.get_mut(slot * rb..(slot + 1) * rb).ok_or_else(|| bad("internal: row buffer".into()))?;
        if ring.tags[slot] != Some(r) {
            self.convert_row(r, dst)?;
            ring.tags[slot] = Some(r);
        }
        Ok(dst)
    }

    /// Converts ROI row `r` into `dst` (`width` RGBX pixels).
    fn convert_row(&self, r: usize, dst: &mut [u8]) -> Result<()> {
        let outside = || bad(format!("internal: row {r} is outside the buffer"));
        match *self {
            Source::Rgb { data, stride, x0, y0, width } => {
                let start = (y0 + r).checked_mul(stride).and_then(|n| n.checked_add(x0 * 3)).ok_or_else(outside)?;
                let src = data.get(start..start + width * 3).ok_or_else(outside)?;
                for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
                    d[..3].copy_from_slice(s);
                }
                Ok(())
            }
            Source::Nv12 { y, y_stride, uv, uv_stride, x0, y0, width, yuv } => {
                let row = y0 + r;
                let ys = row.checked_mul(y_stride).and_then(|n| n.checked_add(x0)).ok_or_else(outside)?;
                let luma = y.get(ys..ys + width).ok_or_else(outside)?;
                // Chroma columns x0/2 ..= (x0 + width − 1)/2 of chroma row row/2.
                let (c0, c1) = (x0 / 2, (x0 + width - 1) / 2 + 1);
                let cs = (row / 2).checked_mul(uv_stride).and_then(|n| n.checked_add(2 * c0)).ok_or_else(outside)?;
                let chroma = uv.get(cs..cs + 2 * (c1 - c0)).ok_or_else(outside)?;
                nv12_row(luma, chroma, x0 % 2 == 1, &yuv, dst);
                Ok(())
            }
            Source::Direct { .. } | Source::Invalid => Err(bad("internal: no conversion for this source".into())),
        }
    }
}

/// Converts one NV12 row: `luma` (n bytes), `chroma` (Cb, Cr pairs starting with the pair of
/// the first pixel, which is the second pixel of its pair when `odd_start`) → `dst` (n RGBX).
fn nv12_row(luma: &[u8], chroma: &[u8], odd_start: bool, yuv: &YuvToRgb, dst: &mut [u8]) {
    let skip = usize::from(odd_start);
    if odd_start {
        if let (Some(px), Some(&y), Some(&[cb, cr])) = (dst.get_mut(..4), luma.first(), chroma.get(..2)) {
            YuvToRgb::put(px, yuv.luma(y), yuv.chroma(cb, cr));
        }
    }
    let dst = dst.get_mut(skip * 4..).unwrap_or_default();
    let luma = luma.get(skip..).unwrap_or_default();
    let chroma = chroma.get(skip * 2..).unwrap_or_default();
    // Blocks of 16 pixels in fixed-size arrays, which the compiler vectorises; then pairs.
    const N: usize = 16;
    let blocks = dst.chunks_exact_mut(4 * N).zip(luma.chunks_exact(N)).zip(chroma.chunks_exact(N));
    let done = blocks.len() * N;
    for ((px, y), c) in blocks {
        let (Ok(y), Ok(c)) = (<&[u8; N]>::try_from(y), <&[u8; N]>::try_from(c)) else { break };
        // Lane-wise over fixed-size arrays: chroma expanded to one (Cb, Cr) per pixel first.
        let mut cb = [0i32; N];
        let mut cr = [0i32; N];
        for k in 0..N {
            cb[k] = i32::from(c[k & !1]) - 128;
            cr[k] = i32::from(c[k | 1]) - 128;
        }
        let mut out = [0u32; N];
        for k in 0..N {
            let l = (i32::from(y[k]) - yuv.y_offset) * yuv.y_mul + (1 << (YUV_BITS - 1));
            let r = (l + yuv.r_cr * cr[k]) >> YUV_BITS;
            let g = (l - yuv.g_cb * cb[k] - yuv.g_cr * cr[k]) >> YUV_BITS;
            let b = (l + yuv.b_cb * cb[k]) >> YUV_BITS;
            out[k] = (r.clamp(0, 255) | g.clamp(0, 255) << 8 | b.clamp(0, 255) << 16) as u32;
        }
        for (d, o) in px.chunks_exact_mut(4).zip(out) {
            d.copy_from_slice(&o.to_le_bytes());
        }
    }
    let (dst, luma, chroma) = (&mut dst[done * 4..], &luma[done..], &chroma[done..]);
    let pairs = dst.chunks_exact_mut(8).zip(luma.chunks_exact(2)).zip(chroma.chunks_exact(2));
    for ((px, y), c) in pairs {
        let terms = yuv.chroma(c[0], c[1]);
        YuvToRgb::put(&mut px[..4], yuv.luma(y[0]), terms);
        YuvToRgb::put(&mut px[4..], yuv.luma(y[1]), terms);
    }
    // A last pixel without its pair partner (odd count).
    let n = luma.len();
    if n % 2 == 1 {
        if let (Some(px), Some(&y), Some(&[cb, cr])) =
            (dst.get_mut((n - 1) * 4..n * 4), luma.last(), chroma.get(n - 1..n + 1))
        {
            YuvToRgb::put(px, yuv.luma(y), yuv.chroma(cb, cr));
        }
    }
}

/// Converted source rows: `tags.len()` slots of `row_bytes`, slot `r % slots` holding row `r`.
/// The windows of a pass move monotonically and never span more rows than there are slots,
/// so each row is converted once.
#[derive(Debug, Clone, Default)]
struct RowRing {
    data: Vec<u8>,
    tags: Vec<Option<usize>>,
    row_bytes: usize,
}

impl RowRing {
    fn reset(&mut self, slots: usize, row_bytes: usize) -> Result<()> {
        let len = buffer_len(slots, row_bytes, 1)?;
        self.data.resize(len, 0);
        self.tags.clear();
        self.tags.resize(slots, None);
        self.row_bytes = row_bytes;
        Ok(())
    }
}

/// How a [`FramePreprocessor`] resamples. Both compute the same picture (module docs); they
/// differ in rounding and speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrameResampler {
    /// SIMD bilinear resampling (`fast_image_resize`: Pillow-SIMD's algorithm with 15-bit
    /// weights; AVX2 / SSE4.1 on x86-64, NEON on ARM, chosen at run time) straight from the
    /// caller's buffer, then orientation on the small result. NV12 planes are resized
    /// separately (luma; chroma pairs) and converted to RGB after resizing, so a full-size
    /// frame is never converted. Within a few levels of [`FrameResampler::PillowExact`] per
    /// value, and about five times faster. The default.
    #[default]
    Fast,
    /// Bit-identical to the naive definition (crop, convert every pixel, orient, then
    /// [`super::resize_squash`]): Pillow's integer bilinear resize applied in the buffer's
    /// orientation with the upright coefficients. Plain Rust, vectorised by the compiler.
    PillowExact,
}

/// How the buffer-oriented resize maps onto the upright output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Geometry {
    /// 90° / 270°: the upright output is the transpose of the buffer-oriented one.
    transposed: bool,
    /// Whether buffer x / y run backwards in the upright picture.
    rev_x: bool,
    rev_y: bool,
    /// Size of the buffer-oriented output: upright `(out_w, out_h)`, swapped when transposed.
    out_bw: usize,
    out_bh: usize,
}

impl Geometry {
    fn new(frame: &Frame, (out_w, out_h): (u32, u32)) -> Self {
        let transposed = frame.orientation.swaps_axes();
        let (rev_x, rev_y) = frame.orientation.reversed_axes(frame.mirrored);
        let (out_bw, out_bh) = if transposed { (out_h, out_w) } else { (out_w, out_h) };
        Self { transposed, rev_x, rev_y, out_bw: out_bw as usize, out_bh: out_bh as usize }
    }
}

/// The geometry an exact plan depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlanKey {
    roi_w: u32,
    roi_h: u32,
    out_w: u32,
    out_h: u32,
    orientation: Orientation,
    mirrored: bool,
}

/// The upright Pillow resize mapped onto the buffer's axes ([`FrameResampler::PillowExact`]).
#[derive(Debug, Clone)]
struct FramePlan {
    key: PlanKey,
    /// Along buffer x: ROI width → `out_bw`, reversed where the orientation reverses x.
    h: AxisCoeffs,
    /// Along buffer y: ROI height → `out_bh`.
    v: AxisCoeffs,
    /// Whether the first pass runs along buffer x.
    horizontal_first: bool,
}

impl FramePlan {
    fn new(key: PlanKey) -> Result<Self> {
        let transposed = key.orientation.swaps_axes();
        let (rev_x, rev_y) = key.orientation.reversed_axes(key.mirrored);
        let (out_bw, out_bh) = if transposed { (key.out_h, key.out_w) } else { (key.out_w, key.out_h) };
        let axis = |n_in: u32, n_out: u32, reversed: bool| -> Result<AxisCoeffs> {
            // Pillow skips the pass of an axis that keeps its size; the identity does the same.
            let c = if n_in == n_out { AxisCoeffs::identity(n_in) } else { AxisCoeffs::bilinear(n_in, n_out)? };
            Ok(if reversed { c.flipped() } else { c })
        };
        let h = axis(key.roi_w, out_bw, rev_x)?;
        let v = axis(key.roi_h, out_bh, rev_y)?;
        // Pillow 13's pass order, decided on the upright image (see `BilinearPlan`).
        let (in_uw, in_uh) = if transposed { (key.roi_h, key.roi_w) } else { (key.roi_w, key.roi_h) };
        let dw = i64::from(in_uw) - i64::from(key.out_w);
        let dh = i64::from(in_uh) - i64::from(key.out_h);
        let upright_horizontal_first = !(dh > 0 && dh > dw * 2);
        // Size checks of every buffer a frame of this geometry needs.
        buffer_len(key.roi_w as usize, h.max_taps().max(v.max_taps()), 4)?;
        let (first, last) = v.used_range();
        buffer_len(out_bw as usize, last - first, 4)?;
        buffer_len(key.roi_w as usize, out_bh as usize, 4)?;
        Ok(Self { key, h, v, horizontal_first: upright_horizontal_first != transposed })
    }
}

/// A frame plane as `fast_image_resize` reads it: `height` rows of exactly `width` pixels of
/// type `P`, each a checked slice of the caller's buffer.
struct PlaneView<'a, P> {
    width: u32,
    rows: Vec<TypedImageRef<'a, P>>,
}

impl<'a, P: InnerPixel> PlaneView<'a, P> {
    /// Rows `y0..y0 + height` of `data` (`stride` bytes apart), columns `x0..x0 + width`;
    /// errors when a row falls outside (never for a plane the [`Frame`] constructors accepted
    /// and a ROI inside the frame).
    fn new(data: &'a [u8], stride: usize, (x0, y0): (usize, usize), width: u32, height: u32) -> Result<Self> {
        let px = P::size();
        let row_bytes = (width as usize).checked_mul(px).ok_or_else(|| bad("internal: row size".into()))?;
        let rows = (y0..y0 + height as usize)
            .map(|r| {
                let start = r.checked_mul(stride)?.checked_add(x0.checked_mul(px)?)?;
                let bytes = data.get(start..start.checked_add(row_bytes)?)?;
                TypedImageRef::<P>::from_buffer(width, 1, bytes).ok()
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("internal: a plane row is outside its buffer".into()))?;
        Ok(Self { width, rows })
    }
}

// SAFETY: the trait's contract is that every row yielded holds at least `width()` pixels.
// Every row is a `TypedImageRef` built by `PlaneView::new` from exactly `width` pixels
// (`from_buffer(width, 1, ..)` checks it), and `height()` is the number of rows, so an
// iterator from any start row yields only such rows.
unsafe impl<P: InnerPixel> ImageView for PlaneView<'_, P> {
    type Pixel = P;

    fn width(&self) -> u32 {
        self.width
    }

    fn height(&self) -> u32 {
        self.rows.len() as u32
    }

    fn iter_rows(&self, start_row: u32) -> impl Iterator<Item = &[P]> {
        self.rows.iter().skip(start_row as usize).map(|r| r.pixels())
    }
}

/// `fast_image_resize` errors cannot come from a validated frame; reported, not unwrapped.
fn resize_error(e: impl std::fmt::Display) -> Error {
    bad(format!("internal: SIMD resize failed: {e}"))
}

/// Turns [`Frame`]s into model input at a fixed size, reusing its resize plans and scratch
/// buffers from one frame to the next (so a camera stream allocates little more than each
/// result). Not shared between threads (`&mut self`); keep one per worker. See the module docs
/// for what the result is, and [`FrameResampler`] for the two ways to compute it.
///
/// ```
/// use pelabel::{Device, Frame, FramePreprocessor, Orientation, PreprocessConfig};
/// # fn main() -> pelabel::Result<()> {
/// let (w, h, stride) = (64u32, 48u32, 64 * 4 + 16);
/// let bgra = vec![128u8; stride * h as usize];
/// let mut prep = FramePreprocessor::new(PreprocessConfig::pe_core(32))?;
/// let frame = Frame::bgra(&bgra, w, h, stride)?.with_orientation(Orientation::Right, false);
/// let pixels = prep.preprocess(&frame, &Device::Cpu)?; // [3, 32, 32]
/// assert_eq!(pixels.dims(), &[3, 32, 32]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FramePreprocessor {
    cfg: PreprocessConfig,
    resampler: FrameResampler,
    /// `(u/255 − mean[c]) / std[c]` per channel and level.
    lut: Box<[[f32; 256]; 3]>,
    /// The resized ROI in buffer orientation, 4 bytes per pixel (source channel order).
    out: Vec<u8>,
    /// Whether `out` already runs along the upright axes (exact plans fold the flips in).
    out_folded: bool,
    // PillowExact: plan, first-pass output, converted rows, accumulators.
    plan: Option<FramePlan>,
    tmp: Vec<u8>,
    ring: RowRing,
    acc: Vec<i32>,
    // Fast: the SIMD resizer (keeps its own buffers) and the resized RGB8 / NV12 planes.
    resizer: fir::Resizer,
    small: Vec<u8>,
    small_uv: Vec<u8>,
}

impl FramePreprocessor {
    /// A preprocessor producing `cfg.image_size_px` images normalised with `cfg`, with the
    /// default [`FrameResampler::Fast`].
    ///
    /// Errors ([`Error::Config`]) when `cfg` has a zero size or a non-finite / zero std.
    pub fn new(cfg: PreprocessConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(Self {
            cfg,
            resampler: FrameResampler::default(),
            lut: Box::new(super::normalisation_lut(&cfg)),
            out: Vec::new(),
            out_folded: false,
            plan: None,
            tmp: Vec::new(),
            ring: RowRing::default(),
            acc: Vec::new(),
            resizer: resizer(),
            small: Vec::new(),
            small_uv: Vec::new(),
        })
    }

    /// The same preprocessor resampling with `resampler`.
    pub fn with_resampler(mut self, resampler: FrameResampler) -> Self {
        self.resampler = resampler;
        self
    }

    /// The configuration given to [`FramePreprocessor::new`].
    pub fn config(&self) -> &PreprocessConfig {
        &self.cfg
    }

    /// The resampler in use.
    pub fn resampler(&self) -> FrameResampler {
        self.resampler
    }

    /// The frame's ROI, upright and squash-resized to `cfg.image_size_px`, as 8-bit RGB
    /// (`height × width × 3` bytes): with [`FrameResampler::PillowExact`] identical to
    /// cropping, converting, orienting and then [`super::resize_squash`]-ing the frame.
    ///
    /// Errors ([`Error::InvalidImage`]) only when a buffer needed would exceed 1 GiB.
    pub fn to_rgb(&mut self, frame: &Frame) -> Result<RgbImage8> {
        let g = self.run(frame)?;
        let (h, w) = self.cfg.image_size_px;
        let mut data = vec![0u8; buffer_len(w as usize, h as usize, 3)?];
        let order = frame.channel_order();
        self.for_each_upright_pixel(&g, |i, px| {
            if let Some(d) = data.get_mut(i * 3..i * 3 + 3) {
                d.copy_from_slice(&[px[order[0]], px[order[1]], px[order[2]]]);
            }
        })?;
        RgbImage8::from_raw(w, h, data)
    }

    /// The model input for the frame: [`FramePreprocessor::to_rgb`] normalised as
    /// [`super::to_tensor`] does, a `[3, H, W]` f32 tensor on `device` (R, G, B planes;
    /// `(H, W) = cfg.image_size_px`; values `(u/255 − mean[c]) / std[c]`, `[−1, 1]` for PE Core).
    ///
    /// Errors ([`Error::InvalidImage`]) only when a buffer needed would exceed 1 GiB.
    pub fn preprocess(&mut self, frame: &Frame, device: &Device) -> Result<Tensor> {
        let g = self.run(frame)?;
        let (h, w) = self.cfg.image_size_px;
        let plane = buffer_len(w as usize, h as usize, 1)?;
        let mut values = vec![0f32; buffer_len(plane, 3, 4)? / 4];
        let order = frame.channel_order();
        let lut = &*self.lut;
        let (r, gb) = values.split_at_mut(plane);
        let (gr, b) = gb.split_at_mut(plane);
        self.for_each_upright_pixel(&g, |i, px| {
            if let (Some(r), Some(gr), Some(b)) = (r.get_mut(i), gr.get_mut(i), b.get_mut(i)) {
                *r = lut[0][usize::from(px[order[0]])];
                *gr = lut[1][usize::from(px[order[1]])];
                *b = lut[2][usize::from(px[order[2]])];
            }
        })?;
        Ok(Tensor::from_vec(values, (3, h as usize, w as usize), device)?)
    }

    /// Calls `f(upright index, 4-byte pixel)` for every output pixel in upright row-major
    /// order, reading the buffer-oriented result (transposed for 90° / 270°, reversed along
    /// the axes the orientation reverses unless the plan already did).
    fn for_each_upright_pixel(&self, g: &Geometry, mut f: impl FnMut(usize, &[u8])) -> Result<()> {
        let (bw, bh) = (g.out_bw, g.out_bh);
        if self.out.len() < bw * bh * 4 {
            return Err(bad("internal: output buffer".into()));
        }
        let (rev_x, rev_y) = if self.out_folded { (false, false) } else { (g.rev_x, g.rev_y) };
        let (up_w, up_h) = if g.transposed { (bh, bw) } else { (bw, bh) };
        for v in 0..up_h {
            for u in 0..up_w {
                let (bx, by) = if g.transposed { (v, u) } else { (u, v) };
                let bx = if rev_x { bw - 1 - bx } else { bx };
                let by = if rev_y { bh - 1 - by } else { by };
                let s = (by * bw + bx) * 4;
                f(v * up_w + u, &self.out[s..s + 4]);
            }
        }
        Ok(())
    }

    /// Resizes the frame's ROI into `self.out` (`out_bh × out_bw` 4-byte pixels, buffer
    /// orientation).
    fn run(&mut self, frame: &Frame) -> Result<Geometry> {
        let (out_h, out_w) = self.cfg.image_size_px;
        let g = Geometry::new(frame, (out_w, out_h));
        self.out.resize(buffer_len(g.out_bw, g.out_bh, 4)?, 0);
        match self.resampler {
            FrameResampler::Fast => self.run_fast(frame, &g)?,
            FrameResampler::PillowExact => self.run_exact(frame, (out_w, out_h))?,
        }
        self.out_folded = self.resampler == FrameResampler::PillowExact;
        Ok(g)
    }

    fn run_fast(&mut self, frame: &Frame, g: &Geometry) -> Result<()> {
        // The resizer only sees the ROI (its own crop would let the filter reach past the ROI's
        // edges). use_alpha(false): camera alpha is meaningless, and NV12's Cr is no alpha.
        let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)).use_alpha(false);
        let Roi { x, y, width, height } = frame.roi;
        let (x0, y0) = (x as usize, y as usize);
        let (bw, bh) = (g.out_bw as u32, g.out_bh as u32);
        match (frame.planes, frame.format) {
            (Planes::Packed { data, bytes_per_row }, PixelFormat::Rgb8) => {
                let src = PlaneView::<U8x3>::new(data, bytes_per_row, (x0, y0), width, height)?;
                self.small.resize(buffer_len(g.out_bw, g.out_bh, 3)?, 0);
                let mut dst = TypedImage::<U8x3>::from_buffer(bw, bh, &mut self.small).map_err(resize_error)?;
                self.resizer.resize_typed(&src, &mut dst, &opts).map_err(resize_error)?;
                for (d, s) in self.out.chunks_exact_mut(4).zip(self.small.chunks_exact(3)) {
                    d[..3].copy_from_slice(s);
                }
            }
            (Planes::Packed { data, bytes_per_row }, _) => {
                let src = PlaneView::<U8x4>::new(data, bytes_per_row, (x0, y0), width, height)?;
                let mut dst = TypedImage::<U8x4>::from_buffer(bw, bh, &mut self.out).map_err(resize_error)?;
                self.resizer.resize_typed(&src, &mut dst, &opts).map_err(resize_error)?;
            }
            (Planes::Nv12 { y: luma, y_bytes_per_row, uv, uv_bytes_per_row }, PixelFormat::Nv12 { range, matrix }) => {
                let src = PlaneView::<U8>::new(luma, y_bytes_per_row, (x0, y0), width, height)?;
                self.small.resize(buffer_len(g.out_bw, g.out_bh, 1)?, 0);
                let mut dst = TypedImage::<U8>::from_buffer(bw, bh, &mut self.small).map_err(resize_error)?;
                self.resizer.resize_typed(&src, &mut dst, &opts).map_err(resize_error)?;
                // The chroma samples covering the ROI (each covers 2×2 luma pixels), cropped to
                // the ROI's exact extent in chroma units (half a sample in at odd edges).
                let (cx0, cy0) = (x / 2, y / 2);
                let (cx1, cy1) = ((x + width).div_ceil(2), (y + height).div_ceil(2));
                let src =
                    PlaneView::<U8x2>::new(uv, uv_bytes_per_row, (cx0 as usize, cy0 as usize), cx1 - cx0, cy1 - cy0)?;
                let half = |v: u32| f64::from(v) / 2.0;
                let crop = opts.crop(half(x % 2), half(y % 2), half(width), half(height));
                self.small_uv.resize(buffer_len(g.out_bw, g.out_bh, 2)?, 0);
                let mut dst = TypedImage::<U8x2>::from_buffer(bw, bh, &mut self.small_uv).map_err(resize_error)?;
                self.resizer.resize_typed(&src, &mut dst, &crop).map_err(resize_error)?;
                let yuv = YuvToRgb::new(range, matrix);
                for ((px, &l), c) in self.out.chunks_exact_mut(4).zip(&self.small).zip(self.small_uv.chunks_exact(2)) {
                    YuvToRgb::put(px, yuv.luma(l), yuv.chroma(c[0], c[1]));
                }
            }
            (Planes::Nv12 { .. }, _) => return Err(bad("internal: NV12 planes without the NV12 format".into())),
        }
        Ok(())
    }

    fn run_exact(&mut self, frame: &Frame, (out_w, out_h): (u32, u32)) -> Result<()> {
        let key = PlanKey {
            roi_w: frame.roi.width,
            roi_h: frame.roi.height,
            out_w,
            out_h,
            orientation: frame.orientation,
            mirrored: frame.mirrored,
        };
        if self.plan.as_ref().map(|p| p.key) != Some(key) {
            self.plan = None;
            self.plan = Some(FramePlan::new(key)?);
        }
        let Self { plan, tmp, out, ring, acc, .. } = self;
        let plan = plan.as_ref().ok_or_else(|| bad("internal: no plan".into()))?;
        let source = frame.source();
        let in_w = frame.roi.width as usize;
        let (ow4, iw4) = (plan.h.out_size() * 4, in_w * 4);
        if plan.horizontal_first {
            // Only the source rows that some output row reads, each resampled along x once.
            let (first, last) = plan.v.used_range();
            ring.reset(1, iw4)?;
            tmp.resize((last - first) * ow4, 0);
            for (r, dst) in (first..last).zip(tmp.chunks_exact_mut(ow4)) {
                resize::horizontal_row4(source.row(r, ring)?, &plan.h, dst)?;
            }
            acc.resize(ow4, 0);
            for (yy, dst) in out.chunks_exact_mut(ow4).enumerate() {
                let (start, weights) = plan.v.taps(yy);
                resize::vertical_start(acc);
                for (j, &w) in weights.iter().enumerate() {
                    let r = start + j - first;
                    let row = tmp.get(r * ow4..(r + 1) * ow4).ok_or_else(|| bad("internal: tmp row".into()))?;
                    resize::vertical_add(acc, row, w);
                }
                resize::vertical_finish(acc, dst);
            }
        } else {
            ring.reset(plan.v.max_taps().max(1), iw4)?;
            tmp.resize(plan.v.out_size() * iw4, 0);
            acc.resize(iw4, 0);
            for (yy, dst) in tmp.chunks_exact_mut(iw4).enumerate() {
                let (start, weights) = plan.v.taps(yy);
                resize::vertical_start(acc);
                for (j, &w) in weights.iter().enumerate() {
                    resize::vertical_add(acc, source.row(start + j, ring)?, w);
                }
                resize::vertical_finish(acc, dst);
            }
            for (src, dst) in tmp.chunks_exact(iw4).zip(out.chunks_exact_mut(ow4)) {
                resize::horizontal_row4(src, &plan.h, dst)?;
            }
        }
        Ok(())
    }
}

/// The frame's ROI, upright and squash-resized to `width × height` pixels, as 8-bit RGB: a
/// one-shot [`FramePreprocessor::to_rgb`] with the default [`FrameResampler::Fast`] (keep a
/// [`FramePreprocessor`] for streams).
///
/// Errors ([`Error::InvalidImage`]) when `width` or `height` is 0 or a buffer needed would
/// exceed 1 GiB.
pub fn frame_to_rgb(frame: &Frame, width: u32, height: u32) -> Result<RgbImage8> {
    if width == 0 || height == 0 {
        return Err(bad(format!("target size {width}×{height} (W×H) must be > 0")));
    }
    let cfg = PreprocessConfig { image_size_px: (height, width), ..PreprocessConfig::pe_core(1) };
    FramePreprocessor::new(cfg)?.to_rgb(frame)
}

/// The model input for a frame: a `[3, H, W]` f32 tensor on `device` with
/// `(H, W) = cfg.image_size_px`, a one-shot [`FramePreprocessor::preprocess`] with the default
/// [`FrameResampler::Fast`] (keep a [`FramePreprocessor`] for streams).
///
/// Errors: [`Error::Config`] for an invalid `cfg`, [`Error::InvalidImage`] when a buffer needed
/// would exceed 1 GiB.
pub fn preprocess_frame(frame: &Frame, cfg: &PreprocessConfig, device: &Device) -> Result<Tensor> {
    FramePreprocessor::new(*cfg)?.preprocess(frame, device)
}

/// The SIMD resizer of `fast_image_resize` (its best extensions for this CPU).
///
/// Under Miri it keeps to its portable code: with AVX2 enabled (the Miri stage of `.ci/run`
/// enables it for the compute kernels), its SSE4.1/AVX2 vertical pass in 6.1.0, the newest
/// release, reads a partly initialised array (`array_chunks::iter_next_chunk` assumes all `N`
/// elements initialised when fewer were yielded), which Miri reports as undefined behaviour in
/// that crate. The frame tests under Miri check pelabel's own plane views, which both paths read.
fn resizer() -> fir::Resizer {
    #[allow(unused_mut)]
    let mut resizer = fir::Resizer::new();
    #[cfg(miri)]
    // SAFETY: `CpuExtensions::None` (portable code) needs no CPU feature.
    unsafe {
        resizer.set_cpu_extensions(fir::CpuExtensions::None)
    };
    resizer
}

#[cfg(test)]
mod tests {
    use super::super::{resize_squash, Image8, PixelLayout};
    use super::*;

    fn exact_rgb(frame: &Frame, w: u32, h: u32) -> Result<RgbImage8> {
        let cfg = PreprocessConfig { image_size_px: (h, w), ..PreprocessConfig::pe_core(1) };
        FramePreprocessor::new(cfg)?.with_resampler(FrameResampler::PillowExact).to_rgb(frame)
    }

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (s >> 56) as u8
            })
            .collect()
    }

    /// A smooth-ish picture (gradients plus noise), so resizing has something to average.
    fn picture(w: usize, h: usize, seed: u64) -> Vec<u8> {
        textured(w, h, seed, 4)
    }

    /// Gradients plus per-channel noise of amplitude `256 / noise_div`.
    fn textured(w: usize, h: usize, seed: u64, noise_div: usize) -> Vec<u8> {
        let n = noise(w * h * 3, seed);
        (0..w * h * 3)
            .map(|i| {
                let (p, c) = (i / 3, i % 3);
                let (x, y) = (p % w, p / w);
                let base = (x * 255 / w.max(2) * (c + 1) + y * 255 / h.max(2) * (3 - c)) / 4;
                (base * (noise_div - 1) / noise_div + usize::from(n[i]) / noise_div) as u8
            })
            .collect()
    }

    /// Naive reference: crop (in the already RGB picture), mirror, rotate, `resize_squash`.
    fn reference(rgb: &[u8], w: usize, roi: Roi, (o, mirrored): (Orientation, bool), (ow, oh): (u32, u32)) -> Vec<u8> {
        let (rw, rh) = (roi.width as usize, roi.height as usize);
        let get = |x: usize, y: usize| {
            let i = ((roi.y as usize + y) * w + roi.x as usize + x) * 3;
            [rgb[i], rgb[i + 1], rgb[i + 2]]
        };
        let mut img: Vec<[u8; 3]> = Vec::with_capacity(rw * rh);
        for y in 0..rh {
            for x in 0..rw {
                img.push(get(if mirrored { rw - 1 - x } else { x }, y));
            }
        }
        let (mut cw, mut ch) = (rw, rh);
        for _ in 0..o.clockwise_degrees() / 90 {
            // 90° clockwise: new (x, y) = (ch − 1 − y, x).
            let mut rot = vec![[0u8; 3]; cw * ch];
            for y in 0..ch {
                for x in 0..cw {
                    rot[x * ch + (ch - 1 - y)] = img[y * cw + x];
                }
            }
            img = rot;
            std::mem::swap(&mut cw, &mut ch);
        }
        let flat: Vec<u8> = img.into_iter().flatten().collect();
        let up = Image8::from_raw(cw as u32, ch as u32, PixelLayout::Rgb, flat).unwrap();
        resize_squash(&up, ow, oh).unwrap().into_raw()
    }

    fn orientations() -> impl Iterator<Item = (Orientation, bool)> {
        [Orientation::Up, Orientation::Right, Orientation::Down, Orientation::Left]
            .into_iter()
            .flat_map(|o| [(o, false), (o, true)])
    }

    fn packed(rgb: &[u8], w: usize, h: usize, bpp: usize, pad: usize, swap: bool) -> (Vec<u8>, usize) {
        let stride = w * bpp + pad;
        let mut buf = noise(stride * h, 99);
        for y in 0..h {
            for x in 0..w {
                let (s, d) = ((y * w + x) * 3, y * stride + x * bpp);
                let px = &rgb[s..s + 3];
                buf[d..d + 3].copy_from_slice(&if swap { [px[2], px[1], px[0]] } else { [px[0], px[1], px[2]] });
            }
        }
        // The last row needs no padding.
        buf.truncate((h - 1) * stride + w * bpp);
        (buf, stride)
    }

    #[test]
    fn packed_formats_match_the_naive_reference_exactly() {
        let (w, h) = (37, 23);
        let rgb = picture(w, h, 1);
        let rois = [Roi::new(0, 0, 37, 23), Roi::new(3, 5, 20, 11), Roi::new(36, 22, 1, 1), Roi::new(1, 0, 36, 2)];
        for (bpp, swap, pad) in [(4, true, 0), (4, true, 12), (4, false, 4), (3, false, 0), (3, false, 5)] {
            let (buf, stride) = packed(&rgb, w, h, bpp, pad, swap);
            let frame = match (bpp, swap) {
                (4, true) => Frame::bgra(&buf, w as u32, h as u32, stride),
                (4, false) => Frame::rgba(&buf, w as u32, h as u32, stride),
                _ => Frame::rgb(&buf, w as u32, h as u32, stride),
            }
            .unwrap();
            for roi in rois {
                for (o, m) in orientations() {
                    // Downscale with either pass order, upscale, one axis kept, and the same size.
                    let (uw, uh) = if o.swaps_axes() { (roi.height, roi.width) } else { (roi.width, roi.height) };
                    for (ow, oh) in [(8, 8), (13, 3), (3, 13), (41, 29), (uw, 5), (uw, uh)] {
                        let f = frame.with_orientation(o, m).with_roi(roi).unwrap();
                        let got = exact_rgb(&f, ow, oh).unwrap();
                        let want = reference(&rgb, w, roi, (o, m), (ow, oh));
                        assert!(
                            got.as_raw() == &want[..],
                            "bpp {bpp} swap {swap} pad {pad} {roi:?} {o:?} mirrored {m} → {ow}×{oh}"
                        );
                    }
                }
            }
        }
    }

    /// RGB → NV12 planes (full or video range), each chroma sample taken from the top-left
    /// pixel of its block, so that converting back is predictable; `pad` bytes per row.
    fn nv12_planes(w: usize, h: usize, pad: usize, seed: u64) -> (Vec<u8>, usize, Vec<u8>, usize) {
        let ys = w + pad;
        let cs = w.div_ceil(2) * 2 + pad;
        let y = noise(ys * h, seed);
        let uv = noise(cs * h.div_ceil(2), seed + 1);
        (y, ys, uv, cs)
    }

    #[test]
    fn nv12_matches_per_pixel_conversion_then_the_reference() {
        for (w, h) in [(36usize, 22usize), (37, 23), (1, 1), (2, 3)] {
            for pad in [0, 7] {
                let (y, ys, uv, cs) = nv12_planes(w, h, pad, (w * h + pad) as u64);
                for (range, matrix) in [(YuvRange::Full, YuvMatrix::Bt601), (YuvRange::Video, YuvMatrix::Bt709)] {
                    let conv = YuvToRgb::new(range, matrix);
                    let rgb: Vec<u8> = (0..w * h)
                        .flat_map(|p| {
                            let (px, py) = (p % w, p / w);
                            let c = (py / 2) * cs + (px / 2) * 2;
                            conv.rgb(y[py * ys + px], uv[c], uv[c + 1])
                        })
                        .collect();
                    // Shortest legal planes: no padding after the last row.
                    let y_len = (h - 1) * ys + w;
                    let uv_len = (h.div_ceil(2) - 1) * cs + w.div_ceil(2) * 2;
                    let frame =
                        Frame::nv12(&y[..y_len], ys, &uv[..uv_len], cs, w as u32, h as u32, range, matrix).unwrap();
                    let mut rois = vec![Roi::new(0, 0, w as u32, h as u32)];
                    if w > 4 {
                        rois.extend([Roi::new(1, 1, w as u32 - 2, h as u32 - 3), Roi::new(3, 2, 4, 5)]);
                    }
                    for roi in rois {
                        for (o, m) in orientations() {
                            for (ow, oh) in [(7, 9), (40, 31), (1, 1)] {
                                let f = frame.with_orientation(o, m).with_roi(roi).unwrap();
                                let got = exact_rgb(&f, ow, oh).unwrap();
                                let want = reference(&rgb, w, roi, (o, m), (ow, oh));
                                assert!(got.as_raw() == &want[..], "{w}×{h} pad {pad} {range:?} {roi:?} {o:?} {m}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn vertical_first_plans_convert_each_row_once_and_match() {
        // Tall ROI squashed flat: Pillow's vertical-first order, through the row ring.
        let (w, h) = (9, 200);
        let (y, ys, uv, cs) = nv12_planes(w, h, 3, 5);
        let frame = Frame::nv12(&y, ys, &uv, cs, w as u32, h as u32, YuvRange::Full, YuvMatrix::Bt709).unwrap();
        let conv = YuvToRgb::new(YuvRange::Full, YuvMatrix::Bt709);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|p| {
                let c = (p / w / 2) * cs + (p % w / 2) * 2;
                conv.rgb(y[(p / w) * ys + p % w], uv[c], uv[c + 1])
            })
            .collect();
        for (o, m) in orientations() {
            let (ow, oh) = if o.swaps_axes() { (16, 8) } else { (8, 16) };
            let plan =
                FramePlan::new(PlanKey { roi_w: 9, roi_h: 200, out_w: ow, out_h: oh, orientation: o, mirrored: m })
                    .unwrap();
            assert!(!plan.horizontal_first, "{o:?}");
            let got = exact_rgb(&frame.with_orientation(o, m), ow, oh).unwrap();
            assert!(got.as_raw() == &reference(&rgb, w, Roi::new(0, 0, 9, 200), (o, m), (ow, oh))[..], "{o:?} {m}");
        }
    }

    #[test]
    fn yuv_known_colours() {
        let full601 = YuvToRgb::new(YuvRange::Full, YuvMatrix::Bt601);
        let video709 = YuvToRgb::new(YuvRange::Video, YuvMatrix::Bt709);
        for conv in [full601, YuvToRgb::new(YuvRange::Full, YuvMatrix::Bt709)] {
            assert_eq!(conv.rgb(255, 128, 128), [255; 3]);
            assert_eq!(conv.rgb(0, 128, 128), [0; 3]);
            assert_eq!(conv.rgb(128, 128, 128), [128; 3]);
        }
        for conv in [video709, YuvToRgb::new(YuvRange::Video, YuvMatrix::Bt601)] {
            assert_eq!(conv.rgb(235, 128, 128), [255; 3]);
            assert_eq!(conv.rgb(16, 128, 128), [0; 3]);
            // (126 − 16)·255/219 = 128.08; out-of-range codes clamp.
            assert_eq!(conv.rgb(126, 128, 128), [128; 3]);
            assert_eq!(conv.rgb(0, 128, 128), [0; 3]);
            assert_eq!(conv.rgb(255, 128, 128), [255; 3]);
        }
        let near = |got: [u8; 3], want: [u8; 3]| got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 1);
        // JFIF (BT.601 full) primaries: Y = 0.299R + 0.587G + 0.114B, C = 128 + ...
        assert!(near(full601.rgb(76, 85, 255), [255, 0, 0]), "{:?}", full601.rgb(76, 85, 255));
        assert!(near(full601.rgb(150, 44, 21), [0, 255, 0]), "{:?}", full601.rgb(150, 44, 21));
        assert!(near(full601.rgb(29, 255, 107), [0, 0, 255]), "{:?}", full601.rgb(29, 255, 107));
        // BT.709 video-range primaries (studio codes of ITU-R BT.709 colour bars).
        assert!(near(video709.rgb(63, 102, 240), [255, 0, 0]), "{:?}", video709.rgb(63, 102, 240));
        assert!(near(video709.rgb(173, 42, 26), [0, 255, 0]), "{:?}", video709.rgb(173, 42, 26));
        assert!(near(video709.rgb(32, 240, 118), [0, 0, 255]), "{:?}", video709.rgb(32, 240, 118));
    }

    #[test]
    fn fixed_point_is_within_one_level_of_the_exact_formula() {
        for range in [YuvRange::Full, YuvRange::Video] {
            for matrix in [YuvMatrix::Bt601, YuvMatrix::Bt709] {
                let conv = YuvToRgb::new(range, matrix);
                let (kr, kb) = matrix.weights();
                let kg = 1.0 - kr - kb;
                let (yo, ysc, csc) = match range {
                    YuvRange::Full => (0.0, 1.0, 1.0),
                    YuvRange::Video => (16.0, 255.0 / 219.0, 255.0 / 224.0),
                };
                let mut off = 0usize;
                // Every luma code against a grid of chroma codes (every third value).
                for y in 0..=255u8 {
                    for cb in (0..=255u8).step_by(3) {
                        for cr in (0..=255u8).step_by(3) {
                            let yy = (f64::from(y) - yo) * ysc;
                            let (u, v) = ((f64::from(cb) - 128.0) * csc, (f64::from(cr) - 128.0) * csc);
                            let exact = [
                                yy + 2.0 * (1.0 - kr) * v,
                                yy - 2.0 * kb * (1.0 - kb) / kg * u - 2.0 * kr * (1.0 - kr) / kg * v,
                                yy + 2.0 * (1.0 - kb) * u,
                            ]
                            .map(|x| x.round().clamp(0.0, 255.0) as u8);
                            let got = conv.rgb(y, cb, cr);
                            for (g, e) in got.iter().zip(exact) {
                                assert!(g.abs_diff(e) <= 1, "{range:?} {matrix:?} {y} {cb} {cr}: {got:?} vs {exact:?}");
                                off += usize::from(*g != e);
                            }
                        }
                    }
                }
                // Off by one only where the exact value is within rounding noise of .5.
                assert!(off < 256 * 86 * 86 * 3 / 100, "{range:?} {matrix:?}: {off} values off by one");
            }
        }
    }

    #[test]
    fn upright_roi_shows_the_same_rectangle() {
        let (w, h) = (30, 20);
        let rgb = picture(w, h, 7);
        let (buf, stride) = packed(&rgb, w, h, 4, 8, false);
        let frame = Frame::rgba(&buf, w as u32, h as u32, stride).unwrap();
        for (o, m) in orientations() {
            let full = frame.with_orientation(o, m);
            let (uw, uh) = full.upright_size();
            // The whole frame, upright, at its own size: an exact copy to crop from.
            let upright = exact_rgb(&full, uw, uh).unwrap();
            let roi = Roi::new(2, 3, 7, 11);
            let cropped = full.with_upright_roi(roi).unwrap();
            assert_eq!(cropped.upright_size(), (7, 11), "{o:?} {m}");
            let got = exact_rgb(&cropped, 7, 11).unwrap();
            let want: Vec<u8> = (0..11)
                .flat_map(|y| {
                    let s = ((3 + y) * uw as usize + 2) * 3;
                    upright.as_raw()[s..s + 21].to_vec()
                })
                .collect();
            assert_eq!(got.as_raw(), &want[..], "{o:?} mirrored {m}");
            assert!(full.with_upright_roi(Roi::new(uw - 1, 0, 2, 1)).is_err());
        }
    }

    #[test]
    fn orientation_conversions() {
        for o in [Orientation::Up, Orientation::Right, Orientation::Down, Orientation::Left] {
            assert_eq!(Orientation::from_clockwise_degrees(o.clockwise_degrees()), Some(o));
            assert_eq!(Orientation::from_clockwise_degrees(o.clockwise_degrees() + 360), Some(o));
        }
        assert_eq!(Orientation::from_clockwise_degrees(45), None);
        assert_eq!(Orientation::from_exif(6), Some((Orientation::Right, false)));
        assert_eq!(Orientation::from_exif(0), None);
        assert_eq!(Orientation::from_exif(9), None);
        assert_eq!(YuvMatrix::for_frame_size(1920, 1080), YuvMatrix::Bt709);
        assert_eq!(YuvMatrix::for_frame_size(720, 1280), YuvMatrix::Bt709);
        assert_eq!(YuvMatrix::for_frame_size(640, 480), YuvMatrix::Bt601);
    }

    /// EXIF 5 and 7 are the transpose and the anti-transpose.
    #[test]
    fn exif_mirrored_orientations_are_transposes() {
        let (w, h) = (5usize, 3usize);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| i as u8).collect();
        let frame = Frame::rgb(&rgb, w as u32, h as u32, w * 3).unwrap();
        let at = |img: &RgbImage8, x: usize, y: usize| img.as_raw()[(y * img.width() as usize + x) * 3];
        let (o5, m5) = Orientation::from_exif(5).unwrap();
        let t = exact_rgb(&frame.with_orientation(o5, m5), 3, 5).unwrap();
        let (o7, m7) = Orientation::from_exif(7).unwrap();
        let tt = exact_rgb(&frame.with_orientation(o7, m7), 3, 5).unwrap();
        for y in 0..h {
            for x in 0..w {
                assert_eq!(at(&t, y, x), rgb[(y * w + x) * 3]);
                assert_eq!(at(&tt, h - 1 - y, w - 1 - x), rgb[(y * w + x) * 3]);
            }
        }
    }

    #[test]
    fn tensor_matches_rgb_then_to_tensor_and_plans_are_reused() {
        let (w, h) = (64, 40);
        let rgb = picture(w, h, 3);
        let (buf, stride) = packed(&rgb, w, h, 4, 16, true);
        let cfg = PreprocessConfig { image_size_px: (24, 20), mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.25] };
        for resampler in [FrameResampler::Fast, FrameResampler::PillowExact] {
            let mut prep = FramePreprocessor::new(cfg).unwrap().with_resampler(resampler);
            // Alternating geometries through one preprocessor give what fresh ones give.
            for (o, m) in orientations().chain(orientations()) {
                for roi in [Roi::new(0, 0, 64, 40), Roi::new(5, 5, 30, 20)] {
                    let f = Frame::bgra(&buf, w as u32, h as u32, stride)
                        .unwrap()
                        .with_orientation(o, m)
                        .with_roi(roi)
                        .unwrap();
                    let t = prep.preprocess(&f, &Device::Cpu).unwrap();
                    let mut fresh = FramePreprocessor::new(cfg).unwrap().with_resampler(resampler);
                    let rgb = fresh.to_rgb(&f).unwrap();
                    let want = super::super::to_tensor(&rgb, &cfg, &Device::Cpu).unwrap();
                    let (a, b): (Vec<f32>, Vec<f32>) =
                        (t.flatten_all().unwrap().to_vec1().unwrap(), want.flatten_all().unwrap().to_vec1().unwrap());
                    assert_eq!(t.dims(), &[3, 24, 20]);
                    assert_eq!(a, b, "{resampler:?} {o:?} {m} {roi:?}");
                    assert_eq!(prep.to_rgb(&f).unwrap(), rgb, "{resampler:?} {o:?} {m} {roi:?}");
                }
            }
        }
    }

    /// Largest and mean absolute difference between two equally long byte buffers.
    fn diff(a: &[u8], b: &[u8]) -> (u8, f64) {
        assert_eq!(a.len(), b.len());
        let max = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0);
        let sum: u64 = a.iter().zip(b).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
        (max, sum as f64 / a.len().max(1) as f64)
    }

    #[test]
    fn fast_packed_formats_stay_close_to_the_reference() {
        let (w, h) = (97, 61);
        let rgb = picture(w, h, 11);
        let mut worst = (0u8, 0f64);
        let rois = [Roi::new(0, 0, 97, 61), Roi::new(7, 3, 50, 41), Roi::new(96, 0, 1, 61)];
        for (bpp, swap, pad) in [(4, true, 0), (4, true, 12), (4, false, 4), (3, false, 0), (3, false, 5)] {
            let (buf, stride) = packed(&rgb, w, h, bpp, pad, swap);
            let frame = match (bpp, swap) {
                (4, true) => Frame::bgra(&buf, w as u32, h as u32, stride),
                (4, false) => Frame::rgba(&buf, w as u32, h as u32, stride),
                _ => Frame::rgb(&buf, w as u32, h as u32, stride),
            }
            .unwrap();
            for roi in rois {
                for (o, m) in orientations() {
                    for (ow, oh) in [(16, 16), (40, 9), (9, 40), (120, 77)] {
                        let f = frame.with_orientation(o, m).with_roi(roi).unwrap();
                        let got = frame_to_rgb(&f, ow, oh).unwrap();
                        let want = reference(&rgb, w, roi, (o, m), (ow, oh));
                        let (max, mean) = diff(got.as_raw(), &want);
                        // Measured: max 1, mean ≤ 0.25 (15-bit weights and other tap bounds).
                        assert!(
                            max <= 2 && mean < 0.35,
                            "bpp {bpp} {roi:?} {o:?} {m} → {ow}×{oh}: max {max} mean {mean}"
                        );
                        worst = (worst.0.max(max), worst.1.max(mean));
                    }
                }
            }
        }
        eprintln!("fast vs exact, packed: worst max {} worst mean {:.3}", worst.0, worst.1);
    }

    /// RGB → full-range BT.601 or video-range BT.709 NV12 of the same picture (chroma = mean of
    /// each 2×2 block), so the frame holds colours that survive the round trip.
    fn rgb_to_nv12(rgb: &[u8], w: usize, h: usize, range: YuvRange, matrix: YuvMatrix) -> (Vec<u8>, Vec<u8>) {
        let (kr, kb) = matrix.weights();
        let (yo, ys, cs) = match range {
            YuvRange::Full => (0.0, 1.0, 1.0),
            YuvRange::Video => (16.0, 219.0 / 255.0, 224.0 / 255.0),
        };
        let px = |x: usize, y: usize| -> (f64, f64, f64) {
            let i = (y * w + x) * 3;
            (f64::from(rgb[i]), f64::from(rgb[i + 1]), f64::from(rgb[i + 2]))
        };
        let luma = |(r, g, b): (f64, f64, f64)| kr * r + (1.0 - kr - kb) * g + kb * b;
        let mut yp = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                yp[y * w + x] = (yo + ys * luma(px(x, y))).round().clamp(0.0, 255.0) as u8;
            }
        }
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let mut uv = vec![0u8; cw * ch * 2];
        for cy in 0..ch {
            for cx in 0..cw {
                let (mut cb, mut cr, mut n) = (0.0, 0.0, 0.0);
                for (x, y) in [(2 * cx, 2 * cy), (2 * cx + 1, 2 * cy), (2 * cx, 2 * cy + 1), (2 * cx + 1, 2 * cy + 1)] {
                    if x < w && y < h {
                        let p = px(x, y);
                        let l = luma(p);
                        cb += (p.2 - l) / (2.0 * (1.0 - kb));
                        cr += (p.0 - l) / (2.0 * (1.0 - kr));
                        n += 1.0;
                    }
                }
                uv[(cy * cw + cx) * 2] = (128.0 + cs * cb / n).round().clamp(0.0, 255.0) as u8;
                uv[(cy * cw + cx) * 2 + 1] = (128.0 + cs * cr / n).round().clamp(0.0, 255.0) as u8;
            }
        }
        (yp, uv)
    }

    #[test]
    fn fast_nv12_stays_close_to_the_reference() {
        let mut worst = (0u8, 0f64);
        for (w, h) in [(96usize, 60usize), (97, 61)] {
            let rgb = textured(w, h, 13, 16);
            for (range, matrix) in [(YuvRange::Full, YuvMatrix::Bt601), (YuvRange::Video, YuvMatrix::Bt709)] {
                let (y, uv) = rgb_to_nv12(&rgb, w, h, range, matrix);
                let cs = w.div_ceil(2) * 2;
                let frame = Frame::nv12(&y, w, &uv, cs, w as u32, h as u32, range, matrix).unwrap();
                for roi in [Roi::new(0, 0, w as u32, h as u32), Roi::new(5, 8, 41, 30), Roi::new(6, 7, 40, 31)] {
                    for (o, m) in orientations() {
                        for (ow, oh) in [(16, 16), (33, 20), (120, 77)] {
                            let f = frame.with_orientation(o, m).with_roi(roi).unwrap();
                            let fast = frame_to_rgb(&f, ow, oh).unwrap();
                            let exact = exact_rgb(&f, ow, oh).unwrap();
                            let (max, mean) = diff(fast.as_raw(), exact.as_raw());
                            // Measured: max 7 (upscaled), 4 (downscaled), mean ≤ 0.7: chroma is
                            // resampled smoothly instead of per 2×2 block, and per-pixel clamping
                            // of out-of-gamut colours happens after averaging instead of before.
                            assert!(
                                max <= 8 && mean < 1.0,
                                "{w}×{h} {range:?} {roi:?} {o:?} {m} → {ow}×{oh}: max {max} mean {mean}"
                            );
                            worst = (worst.0.max(max), worst.1.max(mean));
                        }
                    }
                }
            }
        }
        eprintln!("fast vs exact, NV12: worst max {} worst mean {:.3}", worst.0, worst.1);
    }

    #[test]
    fn plane_views_of_padded_frames_with_a_roi() {
        // The `unsafe impl ImageView for PlaneView` on a few small frames with row padding, a ROI
        // and an orientation, sized for Miri (which checks every access of the resizer's rows).
        let (w, h) = (6usize, 4usize);
        let rgb = picture(w, h, 5);
        let (bgra, stride) = packed(&rgb, w, h, 4, 4, true);
        let (y, uv) = rgb_to_nv12(&rgb, w, h, YuvRange::Video, YuvMatrix::Bt601);
        let cs = w.div_ceil(2) * 2;
        let frames = [
            Frame::bgra(&bgra, w as u32, h as u32, stride).unwrap(),
            Frame::nv12(&y, w, &uv, cs, w as u32, h as u32, YuvRange::Video, YuvMatrix::Bt601).unwrap(),
        ];
        for frame in frames {
            let f = frame.with_orientation(Orientation::Right, true).with_roi(Roi::new(1, 1, 4, 3)).unwrap();
            let fast = frame_to_rgb(&f, 3, 5).unwrap();
            let exact = exact_rgb(&f, 3, 5).unwrap();
            let bound = if matches!(f.format(), PixelFormat::Nv12 { .. }) { 32 } else { 2 };
            assert!(diff(fast.as_raw(), exact.as_raw()).0 <= bound);
        }
    }

    /// Every ROI of a few tiny frames, every orientation, both resamplers: no error, and the
    /// fast path within its bound of the exact one.
    #[test]
    fn tiny_frames_and_every_roi() {
        for (w, h) in [(1usize, 1usize), (2, 3), (5, 4)] {
            let rgb = picture(w, h, 17);
            let (bgra, stride) = packed(&rgb, w, h, 4, 4, true);
            let (y, uv) = rgb_to_nv12(&rgb, w, h, YuvRange::Video, YuvMatrix::Bt601);
            let cs = w.div_ceil(2) * 2;
            let frames = [
                Frame::bgra(&bgra, w as u32, h as u32, stride).unwrap(),
                Frame::nv12(&y, w, &uv, cs, w as u32, h as u32, YuvRange::Video, YuvMatrix::Bt601).unwrap(),
            ];
            for frame in frames {
                for (x0, y0) in (0..w).flat_map(|x| (0..h).map(move |y| (x, y))) {
                    for (rw, rh) in (1..=w - x0).flat_map(|a| (1..=h - y0).map(move |b| (a, b))) {
                        let roi = Roi::new(x0 as u32, y0 as u32, rw as u32, rh as u32);
                        for (o, m) in orientations() {
                            let f = frame.with_orientation(o, m).with_roi(roi).unwrap();
                            for (ow, oh) in [(1, 1), (3, 2), (7, 7)] {
                                let fast = frame_to_rgb(&f, ow, oh).unwrap();
                                let exact = exact_rgb(&f, ow, oh).unwrap();
                                let (max, _) = diff(fast.as_raw(), exact.as_raw());
                                // NV12: measured max 23. On a handful of noisy pixels, resampling
                                // chroma smoothly instead of per 2×2 block shows at full strength.
                                let bound = if matches!(f.format(), PixelFormat::Nv12 { .. }) { 32 } else { 2 };
                                assert!(max <= bound, "{w}×{h} {:?} {roi:?} {o:?} {m} → {ow}×{oh}: {max}", f.format());
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn preprocessors_move_to_workers_and_frames_are_shared() {
        fn send<T: Send + 'static>() {}
        fn sync<T: Send + Sync>() {}
        send::<FramePreprocessor>();
        sync::<Frame<'static>>();
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        let buf = vec![0u8; 1000];
        let invalid = |r: Result<Frame>| matches!(r, Err(Error::InvalidImage { .. }));
        assert!(invalid(Frame::bgra(&buf, 0, 5, 40)));
        assert!(invalid(Frame::bgra(&buf, 5, 0, 40)));
        assert!(invalid(Frame::bgra(&buf, 10, 5, 39))); // stride < width·4
        assert!(invalid(Frame::rgb(&buf, 10, 5, 29)));
        assert!(Frame::bgra(&buf, 10, 25, 40).is_ok()); // 24·40 + 40 = 1000 bytes: exactly enough
        assert!(invalid(Frame::bgra(&buf, 10, 26, 40)));
        assert!(invalid(Frame::bgra(&buf, 10, 2, usize::MAX))); // overflow
        assert!(invalid(Frame::bgra(&buf, u32::MAX, 2, usize::MAX)));
        assert!(invalid(Frame::rgba(&buf, 10, u32::MAX, 40)));
        let (y, uv) = (vec![0u8; 100], vec![0u8; 60]);
        let nv12 = |ys, uvs, w, h| Frame::nv12(&y, ys, &uv, uvs, w, h, YuvRange::Video, YuvMatrix::Bt601);
        assert!(nv12(10, 10, 10, 10).is_ok());
        assert!(nv12(11, 10, 11, 9).is_err()); // UV stride 10 < 2·⌈11/2⌉ = 12
        assert!(nv12(11, 12, 11, 9).is_ok()); // odd sizes: 5 chroma rows of 12, last unpadded
        assert!(nv12(11, 12, 11, 10).is_err()); // Y plane too short: 9·11 + 11 = 110
        assert!(nv12(9, 10, 10, 10).is_err()); // Y stride < width
        assert!(nv12(10, 14, 10, 10).is_err()); // UV plane: 4·14 + 10 = 66 > 60
        assert!(nv12(0, 0, 0, 10).is_err());
        assert!(nv12(usize::MAX, 10, 10, 10).is_err());
        // ROIs.
        let f = Frame::bgra(&buf, 10, 25, 40).unwrap();
        for roi in [Roi::new(0, 0, 0, 5), Roi::new(0, 0, 5, 0), Roi::new(6, 0, 5, 5), Roi::new(0, 21, 5, 5)] {
            assert!(matches!(f.with_roi(roi), Err(Error::InvalidImage { .. })), "{roi:?}");
        }
        assert!(f.with_roi(Roi::new(u32::MAX, 0, 2, 2)).is_err());
        assert!(f.with_roi(Roi::new(5, 20, 5, 5)).is_ok());
        // Targets and configs.
        assert!(matches!(frame_to_rgb(&f, 0, 5), Err(Error::InvalidImage { .. })));
        let zero = PreprocessConfig { image_size_px: (0, 3), ..PreprocessConfig::pe_core(1) };
        assert!(matches!(FramePreprocessor::new(zero), Err(Error::Config { .. })));
        assert!(exact_rgb(&f, 1 << 20, 1 << 20).is_err());
    }

    #[test]
    fn every_short_buffer_is_rejected_without_panicking() {
        let (w, h, stride) = (7u32, 5u32, 7 * 4 + 3);
        let full = vec![9u8; stride * h as usize];
        let needed = (h as usize - 1) * stride + w as usize * 4;
        for len in 0..=full.len() {
            let r = Frame::bgra(&full[..len], w, h, stride);
            assert_eq!(r.is_ok(), len >= needed, "len {len}");
            if let Ok(f) = r {
                for (o, m) in orientations() {
                    assert_eq!(exact_rgb(&f.with_orientation(o, m), 3, 4).unwrap().as_raw(), &[9u8; 36][..]);
                    assert_eq!(frame_to_rgb(&f.with_orientation(o, m), 3, 4).unwrap().as_raw(), &[9u8; 36][..]);
                }
            }
        }
        let (y, uv) = (vec![0u8; 9 * 5], vec![0u8; 3 * 10]);
        let (y_need, uv_need) = (4 * 9 + 7, 2 * 10 + 8);
        for yl in 0..=y.len() {
            for ul in 0..=uv.len() {
                let r = Frame::nv12(&y[..yl], 9, &uv[..ul], 10, 7, 5, YuvRange::Full, YuvMatrix::Bt601);
                assert_eq!(r.is_ok(), yl >= y_need && ul >= uv_need, "{yl} {ul}");
                if let Ok(f) = r {
                    exact_rgb(&f.with_orientation(Orientation::Left, true), 2, 9).unwrap();
                    frame_to_rgb(&f.with_orientation(Orientation::Left, true), 2, 9).unwrap();
                }
            }
        }
    }
}
