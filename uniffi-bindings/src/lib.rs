//! `pelabel-ffi`: the UniFFI bindings of pelabel for Swift, Kotlin and Python.
//!
//! Thin wrappers, a few lines each, over the sdk: every piece of logic (loading from bytes, pack
//! verification, frame validation, smoothing) lives in `pelabel`. What this crate adds is the
//! shape of the foreign API:
//!
//! - [`LabelPack`]: load from a file or bytes, optionally requiring an Ed25519 signature; [`PackInfo`].
//! - [`Labeler`]: open from a model directory or from bytes with [`LabelerOptions`] (threads,
//!   precision; [`Labeler::precision`] reports what runs), label camera planes borrowed for the
//!   call (`label_bgra` / `label_rgba` / `label_nv12`: no copy) or a [`CameraFrame`] record,
//!   `label_image` for encoded files, `swap_pack` while other threads label.
//! - [`LiveLabeler`]: `push` never blocks; results reach a synchronous foreign [`LiveListener`] on
//!   the worker thread. (No async foreign traits: they break Swift 6 strict concurrency in UniFFI
//!   0.32.)
//! - with the non-default feature `offline` (the Python package, `uniffi-bindings/python`, not
//!   phones): [`Compiler`], a label-set compiler over a model's text tower and the text cache,
//!   also step by step for compiles spread over processes (`pelabel.ray`).
//! - [`PelabelError`]: the one error enum, with the cases an app acts on, mapped once from
//!   `pelabel::Error`. Every exported call runs inside [`guard`], so a panic becomes
//!   [`PelabelError::Internal`] instead of crossing the boundary (which is why even `info`,
//!   `stats` and `stop` can throw).
//!
//! Camera planes cross in two ways (copies per frame counted in README.md, "Copies per frame"):
//! - **borrowed** (`&[u8]` arguments: Swift `Data`, e.g. `Data(bytesNoCopy:)` over a locked
//!   `CVPixelBuffer`, Kotlin a direct `java.nio.ByteBuffer` such as `Image.Plane.getBuffer()`,
//!   Python `bytes`): Rust reads the caller's memory during the call. `label_*` copy nothing;
//!   `LiveLabeler::push_*` copy the planes once (the worker runs after the call returns, when the
//!   camera may have recycled the buffer).
//! - **in a record** ([`CameraFrame`], `Vec<u8>`: Swift `Data`, Kotlin `ByteArray`, Python
//!   `bytes`): the binding serialises each plane into a Rust buffer and Rust copies it out.
//!
//! Defaults of the option records are written twice, as UniFFI defaults here and in the sdk's
//! `Default`s; `default_label_options()` & co. return the sdk's, and the foreign scenarios check
//! that a record built with no arguments equals them.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

uniffi::setup_scaffolding!();

#[cfg(feature = "offline")]
mod offline;
#[cfg(feature = "offline")]
pub use offline::{
    default_compile_options, default_text_cache_path, CompileOptions, CompileReport, Compiler, EmbeddingDType,
};

/// Shorthand for the results of exported calls.
pub type Result<T, E = PelabelError> = std::result::Result<T, E>;

// ----- errors ------------------------------------------------------------------------------

/// Everything an exported call can fail with. Each case is something an app reacts to
/// differently; `reason` is a human-readable message for logs.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum PelabelError {
    /// A camera buffer whose sizes, strides, plane lengths or region do not add up.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// What does not add up.
        reason: String,
    },
    /// Encoded image bytes (PNG, JPEG, WebP) that cannot be decoded.
    #[error("invalid image: {reason}")]
    InvalidImage {
        /// The decoder's message.
        reason: String,
    },
    /// A model or pack file (or directory) that does not exist.
    #[error("file not found: {path}")]
    FileNotFound {
        /// The path asked for.
        path: String,
    },
    /// Any other file-system failure.
    #[error("{reason}")]
    Io {
        /// The message, with the path.
        reason: String,
    },
    /// The model files are missing a piece, are malformed, or describe an unsupported model.
    #[error("invalid model: {reason}")]
    InvalidModel {
        /// What is wrong.
        reason: String,
    },
    /// The label pack was compiled for another model than the labeler's.
    #[error("wrong model: {reason}")]
    ModelMismatch {
        /// Both fingerprints.
        reason: String,
    },
    /// The pack's checksum does not match its content: modified or corrupted in transit.
    #[error("label pack tampered with: {reason}")]
    PackTampered {
        /// The message.
        reason: String,
    },
    /// The pack is signed, but not by the key the app trusts.
    #[error("bad label-pack signature: {reason}")]
    PackSignatureInvalid {
        /// The message.
        reason: String,
    },
    /// A signature is required (a public key was given) and the pack has none.
    #[error("label pack not signed: {reason}")]
    PackUnsigned {
        /// The message.
        reason: String,
    },
    /// Not a label pack, an unsupported format version, truncated, or inconsistent.
    #[error("corrupt label pack: {reason}")]
    PackCorrupt {
        /// The message.
        reason: String,
    },
    /// The public key given is not 64 hex characters of an Ed25519 key, or is a weak
    /// (small-order) key such as 64 zeros, under which anyone could forge a signature: usually a
    /// placeholder that was never replaced by the app's release key.
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// The message.
        reason: String,
    },
    /// A label typed on the device is invalid (empty or overlong id or name, a threshold outside
    /// [-1, 1], no prompts).
    #[error("invalid user label: {reason}")]
    InvalidLabel {
        /// The message.
        reason: String,
    },
    /// An input or setting over one of pelabel's fixed limits (a frame's size, a file's length,
    /// more threads than `LabelerOptions` allows): the message names the limit.
    #[error("over a limit: {reason}")]
    LimitExceeded {
        /// The message.
        reason: String,
    },
    /// A label-set file that does not parse or validate (offline builds: feature `offline`); the
    /// message has the file, line and column.
    #[error("invalid label set: {reason}")]
    InvalidLabelSet {
        /// The message.
        reason: String,
    },
    /// The text-embedding cache cannot be used (offline builds): not a cache file, a newer cache
    /// format, held by other processes past the lock timeout, or embeddings of the wrong size
    /// given to store. The message says which, and when deleting the file is the fix.
    #[error("text-embedding cache: {reason}")]
    Cache {
        /// The message.
        reason: String,
    },
    /// A labelled dataset or evaluation records cannot be used (`pelabel eval`): a malformed list
    /// (with its line), records of another pack, no image labelled. Offline tools only.
    #[error("invalid dataset: {reason}")]
    InvalidDataset {
        /// The message.
        reason: String,
    },
    /// An environment variable pelabel reads has a value it cannot use: `PELABEL_CPU_TIER`
    /// naming no tier, `SOURCE_DATE_EPOCH` that is not a number of seconds.
    #[error("invalid environment: {reason}")]
    InvalidEnvironment {
        /// The message, with the variable and its value.
        reason: String,
    },
    /// The live labeler was stopped; start a new one.
    #[error("live labeler stopped")]
    Stopped,
    /// A bug in pelabel or an exhausted resource (including a caught panic); never bad input.
    #[error("internal error: {reason}")]
    Internal {
        /// The message.
        reason: String,
    },
}

impl From<pelabel::Error> for PelabelError {
    fn from(e: pelabel::Error) -> Self {
        use pelabel::Error as E;
        let reason = e.to_string();
        match e {
            E::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                Self::FileNotFound { path: path.display().to_string() }
            }
            E::Io { .. } => Self::Io { reason },
            E::InvalidImage { .. } => Self::InvalidFrame { reason },
            E::ImageDecode { .. } => Self::InvalidImage { reason },
            E::ModelMismatch { .. } | E::DimensionMismatch { .. } => Self::ModelMismatch { reason },
            E::PackChecksum { .. } => Self::PackTampered { reason },
            E::PackSignature { .. } => Self::PackSignatureInvalid { reason },
            E::PackUnsigned { .. } => Self::PackUnsigned { reason },
            E::PackMagic { .. } | E::PackVersion { .. } | E::PackTruncated { .. } | E::PackMalformed { .. } => {
                Self::PackCorrupt { reason }
            }
            E::Key { .. } | E::WeakKey { .. } => Self::InvalidKey { reason },
            E::LimitExceeded { .. } => Self::LimitExceeded { reason },
            E::InvalidUserLabel { .. } => Self::InvalidLabel { reason },
            E::LabelSet { .. } => Self::InvalidLabelSet { reason },
            E::Cache { .. } => Self::Cache { reason },
            E::Dataset { .. } | E::Evaluation { .. } => Self::InvalidDataset { reason },
            E::Environment { .. } | E::UnknownCpuTier { .. } => Self::InvalidEnvironment { reason },
            E::Config { .. }
            | E::UnknownPreset { .. }
            | E::ModelSource { .. }
            | E::Checkpoint { .. }
            | E::MissingTensor { .. }
            | E::UnexpectedTensor { .. }
            | E::ShapeMismatch { .. }
            | E::UnsupportedDtype { .. }
            | E::TowerUnavailable { .. }
            | E::Tokenizer { .. }
            // A .pt checkpoint: the device build reads safetensors only.
            | E::FeatureDisabled { .. } => Self::InvalidModel { reason },
            // Tensor and index errors, and variants added later.
            _ => Self::Internal { reason },
        }
    }
}

/// Runs an exported call, turning a panic into [`PelabelError::Internal`]: nothing unwinds into
/// foreign code, whatever UniFFI's own handling in a given path.
fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(PelabelError::Internal { reason: format!("panic: {what}") })
    })
}

/// `u32` from the foreign side to `usize`.
fn size(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// `usize` to the foreign side's `u32` (saturating).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ----- frames ------------------------------------------------------------------------------

/// Rotation that displays the buffer upright (EXIF / CameraX meaning: rotate clockwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FrameOrientation {
    /// Already upright.
    Up,
    /// Rotate 90° clockwise (an iPhone's back camera held in portrait).
    Right,
    /// Rotate 180°.
    Down,
    /// Rotate 270° clockwise.
    Left,
}

/// NV12 value range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum YuvRange {
    /// `0..=255` (`kCVPixelFormatType_420YpCbCr8BiPlanarFullRange`).
    Full,
    /// Luma `16..=235` (`…BiPlanarVideoRange`).
    Video,
}

/// NV12 colour matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum YuvMatrix {
    /// ITU-R BT.601.
    Bt601,
    /// ITU-R BT.709 (iOS HD camera buffers).
    Bt709,
}

/// The pixel planes of a camera buffer, with their row strides in bytes (padding allowed).
#[derive(Debug, Clone, uniffi::Enum)]
pub enum FramePixels {
    /// `kCVPixelFormatType_32BGRA`: 4 bytes per pixel, alpha ignored.
    Bgra {
        /// `height × bytes_per_row` bytes (the last row may omit its padding).
        data: Vec<u8>,
        /// Row stride, ≥ 4 · width.
        bytes_per_row: u32,
    },
    /// Android `RGBA_8888`: 4 bytes per pixel, alpha ignored.
    Rgba {
        /// `height × bytes_per_row` bytes.
        data: Vec<u8>,
        /// Row stride, ≥ 4 · width.
        bytes_per_row: u32,
    },
    /// Bi-planar 4:2:0: the Y plane and the interleaved CbCr plane, each with its own stride.
    Nv12 {
        /// Luma plane, `height × y_bytes_per_row` bytes.
        y: Vec<u8>,
        /// Luma row stride, ≥ width.
        y_bytes_per_row: u32,
        /// Interleaved Cb, Cr plane, `ceil(height / 2) × cbcr_bytes_per_row` bytes.
        cbcr: Vec<u8>,
        /// Chroma row stride, ≥ 2 · ceil(width / 2).
        cbcr_bytes_per_row: u32,
        /// Value range.
        range: YuvRange,
        /// Colour matrix.
        matrix: YuvMatrix,
    },
}

/// A rectangle in buffer pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Region {
    /// First column.
    pub x: u32,
    /// First row.
    pub y: u32,
    /// Width (> 0).
    pub width: u32,
    /// Height (> 0).
    pub height: u32,
}

/// One camera buffer as the camera delivers it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CameraFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The planes and their strides.
    pub pixels: FramePixels,
    /// How to rotate the buffer to display it upright.
    pub orientation: FrameOrientation,
    /// Mirrored left↔right (front camera), applied before the rotation (the EXIF convention).
    #[uniffi(default = false)]
    pub mirrored: bool,
    /// Label only this part of the buffer (buffer coordinates).
    #[uniffi(default = None)]
    pub region: Option<Region>,
}

impl CameraFrame {
    /// The sdk's owned frame; validates sizes, strides and lengths.
    fn into_owned(self) -> Result<pelabel::OwnedFrame> {
        let frame = match self.pixels {
            FramePixels::Bgra { data, bytes_per_row } => pelabel::OwnedFrame::packed(
                pelabel::PixelFormat::Bgra8,
                data,
                self.width,
                self.height,
                size(bytes_per_row),
            ),
            FramePixels::Rgba { data, bytes_per_row } => pelabel::OwnedFrame::packed(
                pelabel::PixelFormat::Rgba8,
                data,
                self.width,
                self.height,
                size(bytes_per_row),
            ),
            FramePixels::Nv12 { y, y_bytes_per_row, cbcr, cbcr_bytes_per_row, range, matrix } => {
                pelabel::OwnedFrame::nv12(
                    y,
                    size(y_bytes_per_row),
                    cbcr,
                    size(cbcr_bytes_per_row),
                    self.width,
                    self.height,
                    range.into(),
                    matrix.into(),
                )
            }
        }?;
        let frame = frame.with_orientation(self.orientation.into(), self.mirrored);
        Ok(match self.region {
            Some(r) => frame.with_roi(r.into())?,
            None => frame,
        })
    }
}

impl From<FrameOrientation> for pelabel::Orientation {
    fn from(o: FrameOrientation) -> Self {
        match o {
            FrameOrientation::Up => pelabel::Orientation::Up,
            FrameOrientation::Right => pelabel::Orientation::Right,
            FrameOrientation::Down => pelabel::Orientation::Down,
            FrameOrientation::Left => pelabel::Orientation::Left,
        }
    }
}

impl From<YuvRange> for pelabel::YuvRange {
    fn from(r: YuvRange) -> Self {
        match r {
            YuvRange::Full => pelabel::YuvRange::Full,
            YuvRange::Video => pelabel::YuvRange::Video,
        }
    }
}

impl From<YuvMatrix> for pelabel::YuvMatrix {
    fn from(m: YuvMatrix) -> Self {
        match m {
            YuvMatrix::Bt601 => pelabel::YuvMatrix::Bt601,
            YuvMatrix::Bt709 => pelabel::YuvMatrix::Bt709,
        }
    }
}

impl From<Region> for pelabel::Roi {
    fn from(r: Region) -> Self {
        pelabel::Roi::new(r.x, r.y, r.width, r.height)
    }
}

/// Everything about a camera buffer but its plane bytes, for the calls that borrow the planes
/// (`Labeler::label_bgra` / `label_rgba` / `label_nv12`, `LiveLabeler::push_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct FrameGeometry {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// How to rotate the buffer to display it upright.
    pub orientation: FrameOrientation,
    /// Mirrored left↔right (front camera), applied before the rotation (the EXIF convention).
    #[uniffi(default = false)]
    pub mirrored: bool,
    /// Label only this part of the buffer (buffer coordinates).
    #[uniffi(default = None)]
    pub region: Option<Region>,
}

/// Borrowed camera planes (what the `&[u8]` calls receive).
enum Planes<'a> {
    Packed {
        format: pelabel::PixelFormat,
        data: &'a [u8],
        bytes_per_row: u32,
    },
    Nv12 {
        y: &'a [u8],
        y_bytes_per_row: u32,
        cbcr: &'a [u8],
        cbcr_bytes_per_row: u32,
        range: YuvRange,
        matrix: YuvMatrix,
    },
}

impl<'a> Planes<'a> {
    /// The sdk's borrowed frame over the planes: sizes, strides, lengths and region validated,
    /// nothing copied.
    fn frame(&self, g: FrameGeometry) -> Result<pelabel::Frame<'a>> {
        let frame = match *self {
            Planes::Packed { format: pelabel::PixelFormat::Rgba8, data, bytes_per_row } => {
                pelabel::Frame::rgba(data, g.width, g.height, size(bytes_per_row))
            }
            Planes::Packed { data, bytes_per_row, .. } => {
                pelabel::Frame::bgra(data, g.width, g.height, size(bytes_per_row))
            }
            Planes::Nv12 { y, y_bytes_per_row, cbcr, cbcr_bytes_per_row, range, matrix } => pelabel::Frame::nv12(
                y,
                size(y_bytes_per_row),
                cbcr,
                size(cbcr_bytes_per_row),
                g.width,
                g.height,
                range.into(),
                matrix.into(),
            ),
        }?;
        let frame = frame.with_orientation(g.orientation.into(), g.mirrored);
        Ok(match g.region {
            Some(r) => frame.with_roi(r.into())?,
            None => frame,
        })
    }

    /// The planes copied once into an owned frame (validated first, so a bad frame fails here
    /// without copying).
    fn to_owned(&self, g: FrameGeometry) -> Result<pelabel::OwnedFrame> {
        self.frame(g)?;
        let frame = match *self {
            Planes::Packed { format, data, bytes_per_row } => {
                pelabel::OwnedFrame::packed(format, data.to_vec(), g.width, g.height, size(bytes_per_row))
            }
            Planes::Nv12 { y, y_bytes_per_row, cbcr, cbcr_bytes_per_row, range, matrix } => pelabel::OwnedFrame::nv12(
                y.to_vec(),
                size(y_bytes_per_row),
                cbcr.to_vec(),
                size(cbcr_bytes_per_row),
                g.width,
                g.height,
                range.into(),
                matrix.into(),
            ),
        }?;
        let frame = frame.with_orientation(g.orientation.into(), g.mirrored);
        Ok(match g.region {
            Some(r) => frame.with_roi(r.into())?,
            None => frame,
        })
    }
}

// ----- results -----------------------------------------------------------------------------

/// Per-call labeling settings.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LabelOptions {
    /// Maximum number of labels returned.
    #[uniffi(default = 5)]
    pub top_k: u32,
    /// Global minimum cosine score (a label's own threshold from the pack also applies).
    #[uniffi(default = None)]
    pub min_score: Option<f32>,
    /// Minimum probability (softmax over the pack).
    #[uniffi(default = None)]
    pub min_probability: Option<f32>,
}

impl From<pelabel::LabelOptions> for LabelOptions {
    fn from(o: pelabel::LabelOptions) -> Self {
        Self { top_k: count(o.top_k), min_score: o.min_score, min_probability: o.min_probability }
    }
}

impl From<LabelOptions> for pelabel::LabelOptions {
    fn from(o: LabelOptions) -> Self {
        Self { top_k: size(o.top_k), min_score: o.min_score, min_probability: o.min_probability }
    }
}

/// A label's id and display name.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LabelRef {
    /// Stable id (`golden_retriever`).
    pub id: String,
    /// Display name (`golden retriever`).
    pub name: String,
}

/// One recognised label.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScoredLabel {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Cosine similarity, in [-1, 1].
    pub score: f32,
    /// In [0, 1]: the label's calibrated probability when the pack calibrates it (`calibrated`;
    /// independent of the other labels), else its share of the softmax over the pack.
    pub probability: f32,
    /// Whether `probability` is the label's calibrated probability (`pelabel calibrate --sigmoid`).
    pub calibrated: bool,
    /// Ancestors, nearest first.
    pub parents: Vec<LabelRef>,
}

fn refs(parents: Vec<pelabel::LabelRef>) -> Vec<LabelRef> {
    parents.into_iter().map(|p| LabelRef { id: p.id, name: p.name }).collect()
}

impl From<pelabel::ScoredLabel> for ScoredLabel {
    fn from(l: pelabel::ScoredLabel) -> Self {
        Self {
            id: l.id,
            name: l.name,
            score: l.score,
            probability: l.probability,
            calibrated: l.calibrated,
            parents: refs(l.parents),
        }
    }
}

/// The result of labeling one image.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum LabelOutcome {
    /// At least one label passed its threshold; best first.
    Recognised {
        /// At most `top_k` labels.
        labels: Vec<ScoredLabel>,
    },
    /// No label passed its threshold.
    NothingRecognised {
        /// The best label anyway, for display or debugging.
        best: Option<ScoredLabel>,
    },
}

impl From<pelabel::LabelOutcome> for LabelOutcome {
    fn from(o: pelabel::LabelOutcome) -> Self {
        match o {
            pelabel::LabelOutcome::Recognised { labels } => {
                Self::Recognised { labels: labels.into_iter().map(Into::into).collect() }
            }
            pelabel::LabelOutcome::NothingRecognised { best } => Self::NothingRecognised { best: best.map(Into::into) },
        }
    }
}

// ----- label packs -------------------------------------------------------------------------

/// What a pack holds, for display and update checks.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PackInfo {
    /// Label-set name.
    pub name: String,
    /// Label-set version.
    pub version: String,
    /// Label-set description.
    pub description: Option<String>,
    /// Fingerprint of the model the pack was compiled for.
    pub model_fingerprint: String,
    /// Number of labels.
    pub label_count: u64,
    /// Embedding dimension.
    pub dim: u64,
    /// What the pack's signature proves; only `Verified` says who made the pack.
    pub signature: SignatureStatus,
    /// Creation time, seconds since the Unix epoch.
    pub created_unix_s: u64,
    /// Tool that wrote the pack.
    pub created_by: String,
    /// Size of the pack in bytes.
    pub file_bytes: u64,
    /// The labels, in pack order.
    pub labels: Vec<LabelRef>,
}

/// What the signature of a loaded pack proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignatureStatus {
    /// No signature: the checksum guards against corruption only, not against tampering.
    Unsigned,
    /// A signature nobody checked (loaded without a public key): it proves nothing.
    Unchecked,
    /// Verified with the public key given at load: made by the holder of the private key.
    Verified,
}

impl From<pelabel::SignatureStatus> for SignatureStatus {
    fn from(s: pelabel::SignatureStatus) -> Self {
        match s {
            pelabel::SignatureStatus::Unsigned => Self::Unsigned,
            pelabel::SignatureStatus::Unchecked => Self::Unchecked,
            pelabel::SignatureStatus::Verified => Self::Verified,
        }
    }
}

/// A loaded label pack, checked for integrity (and for its signature when loaded with a public
/// key). Can be shared by several labelers.
#[derive(Debug, uniffi::Object)]
pub struct LabelPack {
    inner: Arc<pelabel::LabelPack>,
}

fn load_options(public_key_hex: Option<String>) -> Result<pelabel::PackLoadOptions> {
    let public_key = public_key_hex.map(|k| pelabel::verifying_key_from_hex(&k)).transpose()?;
    Ok(pelabel::PackLoadOptions { public_key, ..Default::default() })
}

fn pack_info(p: &pelabel::LabelPack) -> PackInfo {
    let m = p.meta();
    PackInfo {
        name: m.label_set.name.clone(),
        version: m.label_set.version.clone(),
        description: m.label_set.description.clone(),
        model_fingerprint: m.model_fingerprint.clone(),
        label_count: p.len() as u64,
        dim: p.dim() as u64,
        signature: p.signature_status().into(),
        created_unix_s: m.created_unix_s,
        created_by: m.created_by.clone(),
        file_bytes: p.file_bytes(),
        labels: m.labels.iter().map(|l| LabelRef { id: l.id.clone(), name: l.name.clone() }).collect(),
    }
}

#[uniffi::export]
impl LabelPack {
    /// Loads a pack file. With `public_key_hex` (the 64 hex characters of a `KEY.pub`), only packs
    /// signed by the matching private key are accepted.
    #[uniffi::constructor]
    pub fn load(path: String, public_key_hex: Option<String>) -> Result<Arc<Self>> {
        guard(|| {
            let inner = pelabel::LabelPack::load(Path::new(&path), &load_options(public_key_hex)?)?;
            Ok(Arc::new(Self { inner: Arc::new(inner) }))
        })
    }

    /// Loads a pack from bytes (e.g. a download), verified like [`LabelPack::load`].
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>, public_key_hex: Option<String>) -> Result<Arc<Self>> {
        guard(|| {
            let inner = pelabel::LabelPack::from_bytes(&bytes, &load_options(public_key_hex)?)?;
            Ok(Arc::new(Self { inner: Arc::new(inner) }))
        })
    }

    /// Name, version, model, labels, signature status.
    pub fn info(&self) -> Result<PackInfo> {
        guard(|| Ok(pack_info(&self.inner)))
    }
}

// ----- labeler -----------------------------------------------------------------------------

/// Arithmetic of the image tower's matrix products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Precision {
    /// `f32` throughout: matches the official PyTorch model to ~1e-6.
    F32,
    /// bf16 operands, f32 accumulation (x86-64 with AVX512_BF16 only).
    Bf16,
    /// int8 linear layers and attention (x86-64 with AVX512_VNNI; aarch64 with FEAT_DotProd,
    /// `SMMLA` with FEAT_I8MM: iPhone A13 and later): embeddings at cosine ≥ 0.995 to `F32`.
    Int8,
}

impl From<Precision> for pelabel::Precision {
    fn from(p: Precision) -> Self {
        match p {
            Precision::F32 => pelabel::Precision::F32,
            Precision::Bf16 => pelabel::Precision::Bf16,
            Precision::Int8 => pelabel::Precision::Int8,
        }
    }
}

impl From<pelabel::Precision> for Precision {
    fn from(p: pelabel::Precision) -> Self {
        match p {
            pelabel::Precision::Int8 => Precision::Int8,
            pelabel::Precision::Bf16 => Precision::Bf16,
            // `F32`, and any precision a newer sdk adds before these bindings know it.
            _ => Precision::F32,
        }
    }
}

/// Session settings of a [`Labeler`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LabelerOptions {
    /// Inference threads; `None`: every core. 0 means 1; above 256 the open fails with
    /// `LimitExceeded`.
    #[uniffi(default = None)]
    pub threads: Option<u32>,
    /// The precision asked for; `None`: the sdk's default (`F32`). A CPU that cannot run it keeps
    /// `F32`: [`Labeler::precision`] says what runs.
    #[uniffi(default = None)]
    pub precision: Option<Precision>,
}

impl From<pelabel::LabelerOptions> for LabelerOptions {
    fn from(o: pelabel::LabelerOptions) -> Self {
        Self { threads: o.threads.map(count), precision: None }
    }
}

/// What a [`Labeler`] runs: the precision asked for and the one in effect (they differ when the
/// CPU has no kernel for the one asked for), and the CPU's instruction-set tier.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PrecisionInfo {
    /// Asked for in [`LabelerOptions::precision`] (the default when it was `None`).
    pub requested: Precision,
    /// In effect.
    pub active: Precision,
    /// The compute tier in use (`portable`, `neon`, `neon-dotprod`, `neon-i8mm`, `avx2`,
    /// `avx512`, `avx512-vnni`, `avx512-bf16`).
    pub cpu_tier: String,
}

/// An image-tower session labeling frames and images against a label pack. Thread-safe.
#[derive(Debug, uniffi::Object)]
pub struct Labeler {
    inner: Arc<pelabel::Labeler>,
    requested: Precision,
}

impl Labeler {
    /// Opens the session with `options` (threads checked by the sdk, precision set before the
    /// session is shared).
    fn build(
        open: impl FnOnce(&pelabel::LabelerOptions) -> pelabel::Result<pelabel::Labeler>,
        options: LabelerOptions,
    ) -> Result<Arc<Self>> {
        let sdk = pelabel::LabelerOptions { threads: options.threads.map(size) };
        let mut inner = open(&sdk)?;
        let requested = options.precision.map(pelabel::Precision::from).unwrap_or_default();
        inner.set_precision(requested);
        Ok(Arc::new(Self { inner: Arc::new(inner), requested: requested.into() }))
    }

    /// Labels borrowed planes.
    fn label_planes(&self, planes: Planes<'_>, geometry: FrameGeometry, options: LabelOptions) -> Result<LabelOutcome> {
        let frame = planes.frame(geometry)?;
        Ok(self.inner.label_frame(&frame, &options.into())?.into())
    }
}

#[uniffi::export]
impl Labeler {
    /// Opens the image tower in `model_dir` (the output of `pelabel split`) with `pack`. The
    /// default (device) build also opens a directory with a whole `.safetensors` checkpoint if its
    /// `tokenizer.json` is beside it (the model fingerprint covers the vocabulary), but no `.pt`
    /// (`InvalidModel`).
    #[uniffi::constructor]
    pub fn open(model_dir: String, pack: Arc<LabelPack>, options: LabelerOptions) -> Result<Arc<Self>> {
        guard(|| {
            let model = pelabel::ModelFiles::discover(Path::new(&model_dir), None)?;
            Self::build(|o| pelabel::Labeler::new(&model, pack.inner.clone(), o), options)
        })
    }

    /// Opens from memory: the bytes of `image-tower.safetensors` and the text of `config.json`.
    #[uniffi::constructor]
    pub fn from_bytes(
        image_tower: Vec<u8>,
        config_json: String,
        pack: Arc<LabelPack>,
        options: LabelerOptions,
    ) -> Result<Arc<Self>> {
        guard(|| {
            Self::build(|o| pelabel::Labeler::from_bytes(image_tower, &config_json, pack.inner.clone(), o), options)
        })
    }

    /// The precision asked for, the one in effect, and the CPU tier.
    pub fn precision(&self) -> Result<PrecisionInfo> {
        guard(|| {
            Ok(PrecisionInfo {
                requested: self.requested,
                active: self.inner.precision().into(),
                cpu_tier: self.inner.cpu().tier().name().to_string(),
            })
        })
    }

    /// Labels a BGRA buffer (`kCVPixelFormatType_32BGRA`) borrowed for the call: nothing is
    /// copied. `data`: `height × bytes_per_row` bytes (the last row may omit its padding).
    pub fn label_bgra(
        &self,
        data: &[u8],
        bytes_per_row: u32,
        geometry: FrameGeometry,
        options: LabelOptions,
    ) -> Result<LabelOutcome> {
        guard(|| {
            let planes = Planes::Packed { format: pelabel::PixelFormat::Bgra8, data, bytes_per_row };
            self.label_planes(planes, geometry, options)
        })
    }

    /// Labels an RGBA buffer (Android `RGBA_8888`) borrowed for the call: nothing is copied.
    pub fn label_rgba(
        &self,
        data: &[u8],
        bytes_per_row: u32,
        geometry: FrameGeometry,
        options: LabelOptions,
    ) -> Result<LabelOutcome> {
        guard(|| {
            let planes = Planes::Packed { format: pelabel::PixelFormat::Rgba8, data, bytes_per_row };
            self.label_planes(planes, geometry, options)
        })
    }

    /// Labels bi-planar 4:2:0 planes (`…420YpCbCr8BiPlanar…`, Android `YUV_420_888` with
    /// interleaved chroma) borrowed for the call: nothing is copied. `y`: `height ×
    /// y_bytes_per_row` bytes; `cbcr`: `⌈height/2⌉ × cbcr_bytes_per_row`.
    #[allow(clippy::too_many_arguments)] // the planes of a CVPixelBuffer, each with its stride
    pub fn label_nv12(
        &self,
        y: &[u8],
        y_bytes_per_row: u32,
        cbcr: &[u8],
        cbcr_bytes_per_row: u32,
        range: YuvRange,
        matrix: YuvMatrix,
        geometry: FrameGeometry,
        options: LabelOptions,
    ) -> Result<LabelOutcome> {
        guard(|| {
            let planes = Planes::Nv12 { y, y_bytes_per_row, cbcr, cbcr_bytes_per_row, range, matrix };
            self.label_planes(planes, geometry, options)
        })
    }

    /// Labels one camera buffer given as a record (its planes are copied in; the `label_bgra` /
    /// `label_nv12` calls borrow them instead).
    pub fn label_frame(&self, frame: CameraFrame, options: LabelOptions) -> Result<LabelOutcome> {
        guard(|| {
            let frame = frame.into_owned()?;
            Ok(self.inner.label_frame(&frame.as_frame()?, &options.into())?.into())
        })
    }

    /// Labels an encoded image (PNG, JPEG, WebP).
    pub fn label_image(&self, encoded: Vec<u8>, options: LabelOptions) -> Result<LabelOutcome> {
        guard(|| {
            let image = pelabel::decode_image_bytes(&encoded, "<image bytes>")?;
            Ok(self.inner.label_image(&image, &options.into())?.into())
        })
    }

    /// Labels an image file.
    pub fn label_image_file(&self, path: String, options: LabelOptions) -> Result<LabelOutcome> {
        guard(|| {
            let image = pelabel::decode_image_file(Path::new(&path))?;
            Ok(self.inner.label_image(&image, &options.into())?.into())
        })
    }

    /// Replaces the pack; calls in flight finish with the old one. Fails (keeping the old pack)
    /// with `ModelMismatch` when the pack is for another model.
    pub fn swap_pack(&self, pack: Arc<LabelPack>) -> Result<()> {
        guard(|| Ok(self.inner.swap_pack(pack.inner.clone())?))
    }

    /// The current pack.
    pub fn pack_info(&self) -> Result<PackInfo> {
        guard(|| Ok(pack_info(&self.inner.pack())))
    }

    /// Fingerprint of the model; packs must be compiled for it.
    pub fn model_fingerprint(&self) -> Result<String> {
        guard(|| Ok(self.inner.fingerprint().to_string()))
    }
}

// ----- labels typed on the device ----------------------------------------------------------

/// The text tower and tokenizer of a model, for labels the app's user types on the device.
#[derive(Debug, uniffi::Object)]
pub struct TextEncoder {
    inner: pelabel::TextEncoder,
    requested: Precision,
}

/// Settings of a [`TextEncoder`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TextEncoderOptions {
    /// The precision asked for; `None`: int8 (f32 where the CPU has no int8 kernel:
    /// `TextEncoder::precision` says which runs).
    #[uniffi(default = None)]
    pub precision: Option<Precision>,
}

#[uniffi::export]
impl TextEncoder {
    /// Opens the text tower of `model_dir` (a `pelabel split` directory: `text-tower.safetensors`,
    /// `tokenizer.json`, `config.json`).
    #[uniffi::constructor]
    pub fn open(model_dir: String, options: TextEncoderOptions) -> Result<Arc<Self>> {
        guard(|| {
            let files = pelabel::ModelFiles::discover(Path::new(&model_dir), None)?;
            let requested = options.precision.unwrap_or(Precision::Int8);
            let inner = pelabel::TextEncoder::open(&files, requested.into())?;
            Ok(Arc::new(Self { inner, requested }))
        })
    }

    /// The precision asked for and the one in effect.
    pub fn precision(&self) -> Result<PrecisionInfo> {
        guard(|| {
            Ok(PrecisionInfo {
                requested: self.requested,
                active: self.inner.precision()?.into(),
                cpu_tier: self.inner.cpu()?.tier().name().to_string(),
            })
        })
    }

    /// Fingerprint of the model; a labeler takes user labels of its own model only.
    pub fn model_fingerprint(&self) -> String {
        self.inner.fingerprint().to_string()
    }
}

#[uniffi::export]
impl Labeler {
    /// Adds (or replaces, by id) a label typed on the device: `prompts` (e.g. "a photo of a red
    /// circle.") embedded by `encoder` and averaged. It is searched beside the signed pack from
    /// the next call on, kept when the pack is swapped, never written into a pack; `min_score`
    /// is its own threshold. A pack label with the same id wins while that pack is in use.
    /// Errors: `ModelMismatch` (an encoder of another model), `InvalidLabel`, `LimitExceeded`
    /// (more than 1000 user labels or 64 prompts).
    pub fn add_user_label(
        &self,
        encoder: Arc<TextEncoder>,
        id: String,
        name: String,
        prompts: Vec<String>,
        min_score: Option<f32>,
    ) -> Result<()> {
        guard(|| {
            if encoder.inner.fingerprint() != self.inner.fingerprint() {
                return Err(PelabelError::ModelMismatch {
                    reason: format!(
                        "the text encoder is for model {}, the labeler's is {}",
                        encoder.inner.fingerprint(),
                        self.inner.fingerprint()
                    ),
                });
            }
            if prompts.is_empty() || prompts.len() > pelabel::MAX_USER_PROMPTS {
                return Err(PelabelError::InvalidLabel {
                    reason: format!("{id:?}: 1–{} prompts, got {}", pelabel::MAX_USER_PROMPTS, prompts.len()),
                });
            }
            let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
            let label = encoder.inner.user_label(&id, &name, &refs, min_score)?;
            Ok(self.inner.add_user_label(label)?)
        })
    }

    /// Removes the user label `id`; false when there was none.
    pub fn remove_user_label(&self, id: String) -> bool {
        guard(|| Ok(self.inner.remove_user_label(&id))).unwrap_or(false)
    }

    /// The user labels (id and name), in the order they were added.
    pub fn user_labels(&self) -> Result<Vec<LabelRef>> {
        guard(|| Ok(self.inner.user_labels().into_iter().map(|u| LabelRef { id: u.id, name: u.name }).collect()))
    }
}

// ----- defaults ----------------------------------------------------------------------------

/// The sdk's default [`LabelOptions`] (a `LabelOptions()` built with no arguments equals it).
#[uniffi::export]
pub fn default_label_options() -> LabelOptions {
    pelabel::LabelOptions::default().into()
}

/// The sdk's default [`LabelerOptions`].
#[uniffi::export]
pub fn default_labeler_options() -> LabelerOptions {
    pelabel::LabelerOptions::default().into()
}

/// The sdk's default [`LiveOptions`].
#[uniffi::export]
pub fn default_live_options() -> LiveOptions {
    pelabel::LiveOptions::default().into()
}

// ----- live --------------------------------------------------------------------------------

/// Live-mode settings.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LiveOptions {
    /// Half-life of the score smoothing in milliseconds of frame time (0: no smoothing).
    #[uniffi(default = 250.0)]
    pub half_life_ms: f32,
    /// Smoothed cosine score at which a label appears.
    #[uniffi(default = 0.2)]
    pub enter_score: f32,
    /// A visible label disappears below its enter threshold minus this margin.
    #[uniffi(default = 0.02)]
    pub exit_margin: f32,
    /// Labels per result.
    #[uniffi(default = 5)]
    pub top_k: u32,
    /// Raw candidates per frame that feed the smoother.
    #[uniffi(default = 20)]
    pub candidates: u32,
}

impl From<pelabel::LiveOptions> for LiveOptions {
    fn from(o: pelabel::LiveOptions) -> Self {
        Self {
            half_life_ms: o.half_life_ms,
            enter_score: o.enter_score,
            exit_margin: o.exit_margin,
            top_k: count(o.top_k),
            candidates: count(o.candidates),
        }
    }
}

impl From<LiveOptions> for pelabel::LiveOptions {
    fn from(o: LiveOptions) -> Self {
        Self {
            half_life_ms: o.half_life_ms,
            enter_score: o.enter_score,
            exit_margin: o.exit_margin,
            top_k: size(o.top_k),
            candidates: size(o.candidates),
        }
    }
}

/// One smoothed label.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SmoothedLabel {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Smoothed cosine score.
    pub score: f32,
    /// Smoothed probability.
    pub probability: f32,
    /// Ancestors, nearest first.
    pub parents: Vec<LabelRef>,
}

/// The result for one labelled frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LiveResult {
    /// The timestamp given to `push`, ms.
    pub timestamp_ms: u64,
    /// From `push` to this result, ms.
    pub latency_ms: f64,
    /// Visible labels after smoothing and hysteresis, best first (empty: nothing recognised).
    pub labels: Vec<SmoothedLabel>,
    /// Name of the pack that labelled this frame.
    pub pack_name: String,
    /// Its version.
    pub pack_version: String,
}

/// Counters of a live session.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LiveStats {
    /// Frames pushed.
    pub frames_in: u64,
    /// Frames labelled.
    pub labelled: u64,
    /// Frames replaced by a newer one before the worker took them.
    pub dropped: u64,
    /// Frames that failed (reported to `on_error`).
    pub failed: u64,
    /// Median push-to-result latency over the last 256 results, ms.
    pub latency_p50_ms: f64,
    /// 95th percentile, ms.
    pub latency_p95_ms: f64,
}

impl From<pelabel::LiveStats> for LiveStats {
    fn from(s: pelabel::LiveStats) -> Self {
        Self {
            frames_in: s.frames_in,
            labelled: s.labelled,
            dropped: s.dropped,
            failed: s.failed,
            latency_p50_ms: s.latency_p50_ms,
            latency_p95_ms: s.latency_p95_ms,
        }
    }
}

/// Implemented by the app: receives live results. Both methods are called synchronously on the
/// labeler's worker thread; return quickly (hand the result to the UI thread yourself). A
/// listener may call `stop` or drop its session; if it waits on a thread that is calling `stop`,
/// that `stop` returns after a bounded wait (2 s) and the worker exits once the listener returns.
#[uniffi::export(foreign)]
pub trait LiveListener: Send + Sync {
    /// A frame was labelled.
    fn on_result(&self, result: LiveResult);
    /// A frame failed (the session goes on with the next frame).
    fn on_error(&self, timestamp_ms: u64, error: PelabelError);
}

/// A live session over a camera stream: `push` never blocks (latest frame wins).
#[derive(uniffi::Object)]
pub struct LiveLabeler {
    labeler: Arc<pelabel::Labeler>,
    /// Locked only to clone or take the session, never while calling it: a `wait_idle` in one
    /// thread must not block `push`, `stats` or `stop` in another.
    inner: Mutex<Option<Arc<pelabel::LiveLabeler>>>,
    /// The counters at `stop`.
    last: Mutex<Option<LiveStats>>,
}

impl std::fmt::Debug for LiveLabeler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveLabeler").finish_non_exhaustive()
    }
}

impl LiveLabeler {
    /// Runs `f` on the session without holding the lock.
    fn with<T>(&self, f: impl FnOnce(&pelabel::LiveLabeler) -> T) -> Result<T> {
        let live = self.inner.lock().map_err(|_| PelabelError::Internal { reason: "poisoned lock".into() })?.clone();
        live.map(|l| f(&l)).ok_or(PelabelError::Stopped)
    }

    /// Validates borrowed planes, copies them once and hands them to the worker.
    fn push_planes(&self, planes: Planes<'_>, geometry: FrameGeometry, timestamp_ms: u64) -> Result<()> {
        let frame = planes.to_owned(geometry)?;
        self.with(|live| live.push(pelabel::LiveInput::Frame(frame), timestamp_ms))
    }

    fn final_stats(&self) -> LiveStats {
        let last = self.last.lock().ok().and_then(|l| l.clone());
        last.unwrap_or(LiveStats::from(pelabel::LiveStats::default()))
    }
}

#[uniffi::export]
impl LiveLabeler {
    /// Starts the worker for `labeler`; results go to `listener`.
    #[uniffi::constructor]
    pub fn start(labeler: Arc<Labeler>, options: LiveOptions, listener: Arc<dyn LiveListener>) -> Result<Arc<Self>> {
        guard(|| {
            let options = pelabel::LiveOptions::from(options);
            let on_error = listener.clone();
            let inner = pelabel::LiveLabeler::start(
                labeler.inner.clone(),
                options,
                Box::new(move |r: pelabel::LiveResult| {
                    listener.on_result(LiveResult {
                        timestamp_ms: r.timestamp_ms,
                        latency_ms: r.latency_ms,
                        labels: r
                            .labels
                            .into_iter()
                            .map(|l| SmoothedLabel {
                                id: l.id,
                                name: l.name,
                                score: l.score,
                                probability: l.probability,
                                parents: refs(l.parents),
                            })
                            .collect(),
                        pack_name: r.pack.0,
                        pack_version: r.pack.1,
                    })
                }),
                Box::new(move |ts, e| on_error.on_error(ts, e.into())),
            )?;
            Ok(Arc::new(Self {
                labeler: labeler.inner.clone(),
                inner: Mutex::new(Some(Arc::new(inner))),
                last: Mutex::new(None),
            }))
        })
    }

    /// Hands a frame to the worker and returns at once. A frame whose sizes do not add up fails
    /// here with `InvalidFrame`; `Stopped` after `stop`. (Its planes are copied in; the
    /// `push_bgra` / `push_nv12` calls copy borrowed planes once instead.)
    pub fn push(&self, frame: CameraFrame, timestamp_ms: u64) -> Result<()> {
        guard(|| {
            let frame = frame.into_owned()?;
            self.with(|live| live.push(pelabel::LiveInput::Frame(frame), timestamp_ms))
        })
    }

    /// Hands a BGRA buffer borrowed for the call to the worker: validated, then copied once (the
    /// worker runs after the call returns, when the camera may reuse the buffer).
    pub fn push_bgra(&self, data: &[u8], bytes_per_row: u32, geometry: FrameGeometry, timestamp_ms: u64) -> Result<()> {
        guard(|| {
            let planes = Planes::Packed { format: pelabel::PixelFormat::Bgra8, data, bytes_per_row };
            self.push_planes(planes, geometry, timestamp_ms)
        })
    }

    /// [`LiveLabeler::push_bgra`] for an RGBA buffer.
    pub fn push_rgba(&self, data: &[u8], bytes_per_row: u32, geometry: FrameGeometry, timestamp_ms: u64) -> Result<()> {
        guard(|| {
            let planes = Planes::Packed { format: pelabel::PixelFormat::Rgba8, data, bytes_per_row };
            self.push_planes(planes, geometry, timestamp_ms)
        })
    }

    /// [`LiveLabeler::push_bgra`] for bi-planar 4:2:0 planes (see [`Labeler::label_nv12`]).
    #[allow(clippy::too_many_arguments)] // the planes of a CVPixelBuffer, each with its stride
    pub fn push_nv12(
        &self,
        y: &[u8],
        y_bytes_per_row: u32,
        cbcr: &[u8],
        cbcr_bytes_per_row: u32,
        range: YuvRange,
        matrix: YuvMatrix,
        geometry: FrameGeometry,
        timestamp_ms: u64,
    ) -> Result<()> {
        guard(|| {
            let planes = Planes::Nv12 { y, y_bytes_per_row, cbcr, cbcr_bytes_per_row, range, matrix };
            self.push_planes(planes, geometry, timestamp_ms)
        })
    }

    /// Replaces the pack while frames flow; each frame is labelled by exactly one pack.
    pub fn swap_pack(&self, pack: Arc<LabelPack>) -> Result<()> {
        guard(|| Ok(self.labeler.swap_pack(pack.inner.clone())?))
    }

    /// Current counters (the final ones after `stop`).
    pub fn stats(&self) -> Result<LiveStats> {
        guard(|| Ok(self.with(|live| live.stats().into()).unwrap_or_else(|_| self.final_stats())))
    }

    /// Waits until the worker has taken every pushed frame and is idle, up to `timeout_ms`;
    /// true when idle. Other calls (`push`, `stats`, `stop`) do not wait for it; a `stop` makes
    /// it return at once.
    pub fn wait_idle(&self, timeout_ms: u32) -> bool {
        guard(|| self.with(|live| live.wait_idle(Duration::from_millis(u64::from(timeout_ms))))).unwrap_or(true)
    }

    /// Stops the worker and returns the counters; further pushes fail with `Stopped`. Waits at
    /// most 2 s for the frame in progress (not at all when called from the listener); a listener
    /// still busy after that finishes on its own, and no result is delivered after it.
    pub fn stop(&self) -> Result<LiveStats> {
        guard(|| {
            let live = self.inner.lock().ok().and_then(|mut g| g.take());
            let stats = live.map(|l| LiveStats::from(l.stop_within(pelabel::LIVE_STOP_WAIT)));
            if let (Some(s), Ok(mut last)) = (&stats, self.last.lock()) {
                *last = Some(s.clone());
            }
            Ok(stats.unwrap_or_else(|| self.final_stats()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_internal_errors() {
        let r: Result<()> = guard(|| panic!("boom {}", 42));
        match r {
            Err(PelabelError::Internal { reason }) => assert_eq!(reason, "panic: boom 42"),
            other => panic!("{other:?}"),
        }
        let r: Result<()> = guard(|| std::panic::panic_any(7u8));
        assert!(matches!(r, Err(PelabelError::Internal { .. })));
        assert_eq!(guard(|| Ok(3)).unwrap(), 3);
    }

    #[test]
    fn sdk_errors_map_to_the_cases_apps_act_on() {
        use pelabel::Error as E;
        let s = || "x".to_string();
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        type Case = (E, fn(&PelabelError) -> bool);
        let cases: Vec<Case> = vec![
            (
                E::Io { path: "/a/b".into(), source: missing },
                |e| matches!(e, PelabelError::FileNotFound { path } if path == "/a/b"),
            ),
            (E::Io { path: "/a".into(), source: denied }, |e| matches!(e, PelabelError::Io { .. })),
            (E::InvalidImage { reason: s() }, |e| matches!(e, PelabelError::InvalidFrame { .. })),
            (E::ImageDecode { source_name: s(), reason: s() }, |e| matches!(e, PelabelError::InvalidImage { .. })),
            (E::ModelMismatch { pack: s(), model: s() }, |e| matches!(e, PelabelError::ModelMismatch { .. })),
            (E::DimensionMismatch { expected: 1, found: 2 }, |e| matches!(e, PelabelError::ModelMismatch { .. })),
            (E::PackChecksum { source_name: s() }, |e| matches!(e, PelabelError::PackTampered { .. })),
            (E::PackSignature { source_name: s() }, |e| matches!(e, PelabelError::PackSignatureInvalid { .. })),
            (E::PackUnsigned { source_name: s() }, |e| matches!(e, PelabelError::PackUnsigned { .. })),
            (E::PackMagic { source_name: s() }, |e| matches!(e, PelabelError::PackCorrupt { .. })),
            (E::PackTruncated { source_name: s(), reason: s() }, |e| matches!(e, PelabelError::PackCorrupt { .. })),
            (E::Key { path: "k".into(), reason: s() }, |e| matches!(e, PelabelError::InvalidKey { .. })),
            (
                E::WeakKey { path: "k".into(), public_key_hex: "00".repeat(32) },
                |e| matches!(e, PelabelError::InvalidKey { reason } if reason.contains("weak")),
            ),
            (E::Checkpoint { path: "m".into(), reason: s() }, |e| matches!(e, PelabelError::InvalidModel { .. })),
            (
                E::FeatureDisabled { path: "m.pt".into(), format: "a PyTorch checkpoint", feature: "pytorch" },
                |e| matches!(e, PelabelError::InvalidModel { reason } if reason.contains("pytorch")),
            ),
            (E::Index { reason: s() }, |e| matches!(e, PelabelError::Internal { .. })),
            (
                E::LimitExceeded { source_name: s(), what: "threads", found: 300, limit: 256, setting: "fixed" },
                |e| matches!(e, PelabelError::LimitExceeded { reason } if reason.contains("256")),
            ),
        ];
        for (sdk, ok) in cases {
            let text = sdk.to_string();
            let ffi = PelabelError::from(sdk);
            assert!(ok(&ffi), "{text} became {ffi:?}");
        }
    }

    /// A labeler on the sdk's random `tiny` test model, with a two-label pack compiled for it.
    fn tiny_labeler() -> Arc<Labeler> {
        let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pe-core/tiny");
        let text = "name = \"t\"\nversion = \"1.0.0\"\n[[labels]]\nid = \"a\"\nname = \"a\"\n\
                    [[labels]]\nid = \"b\"\nname = \"b\"\n";
        let set = pelabel::LabelSet::from_toml_str(text, Path::new("t.toml")).unwrap();
        let model = pelabel::PeCore::open(&tiny, pelabel::Towers::Text).unwrap();
        let pack = pelabel::compile_label_set(&set, &model, &Default::default()).unwrap().0;
        let pack = Arc::new(LabelPack { inner: Arc::new(pack) });
        Labeler::open(tiny.display().to_string(), pack, LabelerOptions { threads: Some(1), precision: None }).unwrap()
    }

    fn live_options() -> LiveOptions {
        LiveOptions { half_life_ms: 0.0, enter_score: -1.0, exit_margin: 0.0, top_k: 2, candidates: 2 }
    }

    /// Calls `on_result` for each result; errors fail the test.
    struct Listener<F>(F);

    impl<F: Fn(LiveResult) + Send + Sync> LiveListener for Listener<F> {
        fn on_result(&self, result: LiveResult) {
            (self.0)(result)
        }
        fn on_error(&self, timestamp_ms: u64, error: PelabelError) {
            panic!("frame {timestamp_ms}: {error}")
        }
    }

    #[test]
    fn push_stats_and_stop_do_not_wait_behind_wait_idle() {
        // The listener blocks on the first result until the test opens the gate; a second frame
        // then waits in the mailbox, so a wait_idle in another thread runs for its whole timeout
        // unless something stops it. push, stats and stop must not wait for it.
        let gate = Arc::new(Mutex::new(()));
        let closed = gate.lock().unwrap();
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let listener = {
            let gate = gate.clone();
            Listener(move |_| {
                let _ = entered_tx.send(());
                drop(gate.lock().unwrap());
            })
        };
        let live = LiveLabeler::start(tiny_labeler(), live_options(), Arc::new(listener)).unwrap();
        let frame = || bgra(20, 60);
        live.push(frame(), 0).unwrap();
        entered.recv_timeout(Duration::from_secs(60)).expect("first result");
        live.push(frame(), 1).unwrap();
        let (idle_tx, idle) = std::sync::mpsc::channel();
        let waiter = {
            let live = live.clone();
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                let idle = live.wait_idle(20_000);
                idle_tx.send((idle, started.elapsed())).unwrap();
            })
        };
        std::thread::sleep(Duration::from_millis(200)); // let it enter wait_idle
        assert!(idle.try_recv().is_err(), "wait_idle returned while a frame was pending");
        let started = std::time::Instant::now();
        live.push(frame(), 2).unwrap();
        let stats = live.stats().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "push + stats took {:?}", started.elapsed());
        assert_eq!(stats.frames_in, 3);
        drop(closed);
        let started = std::time::Instant::now();
        let stats = live.stop().unwrap();
        assert!(
            started.elapsed() < pelabel::LIVE_STOP_WAIT + Duration::from_secs(2),
            "stop took {:?}",
            started.elapsed()
        );
        assert_eq!(stats.frames_in, 3);
        let (_, waited) = idle.recv_timeout(Duration::from_secs(10)).expect("wait_idle still running after stop");
        assert!(waited < Duration::from_secs(10), "wait_idle ran {waited:?}");
        waiter.join().unwrap();
        assert!(matches!(live.push(frame(), 3), Err(PelabelError::Stopped)));
        assert_eq!(live.stats().unwrap(), stats, "the final counters after stop");
    }

    #[test]
    fn a_listener_can_stop_its_session() {
        // The app's listener holds its session and stops it from a callback (on the worker
        // thread): stop must return its counters, not panic inside the callback.
        let session: Arc<Mutex<Option<Arc<LiveLabeler>>>> = Arc::new(Mutex::new(None));
        let (stopped_tx, stopped) = std::sync::mpsc::channel();
        let listener = {
            let session = session.clone();
            Listener(move |_| {
                let live = session.lock().unwrap().take();
                if let Some(live) = live {
                    let _ = stopped_tx.send(live.stop());
                }
            })
        };
        let live = LiveLabeler::start(tiny_labeler(), live_options(), Arc::new(listener)).unwrap();
        *session.lock().unwrap() = Some(live.clone());
        live.push(bgra(20, 60), 0).unwrap();
        let stats = stopped.recv_timeout(Duration::from_secs(60)).expect("stop() in the listener panicked or blocked");
        assert_eq!(stats.unwrap().labelled, 1);
        assert!(matches!(live.push(bgra(20, 60), 1), Err(PelabelError::Stopped)));
    }

    fn bgra(bytes_per_row: u32, len: usize) -> CameraFrame {
        CameraFrame {
            width: 5,
            height: 3,
            pixels: FramePixels::Bgra { data: vec![0; len], bytes_per_row },
            orientation: FrameOrientation::Right,
            mirrored: true,
            region: None,
        }
    }

    #[test]
    fn frames_are_validated_when_they_cross() {
        assert!(bgra(24, 24 * 2 + 20).into_owned().is_ok(), "padded rows, short last row");
        assert!(matches!(bgra(19, 100).into_owned(), Err(PelabelError::InvalidFrame { .. })));
        assert!(matches!(bgra(24, 60).into_owned(), Err(PelabelError::InvalidFrame { .. })));
        let mut f = bgra(20, 60);
        f.region = Some(Region { x: 4, y: 0, width: 2, height: 1 });
        assert!(matches!(f.into_owned(), Err(PelabelError::InvalidFrame { .. })));
        let nv12 = |cbcr_len: usize| CameraFrame {
            width: 5,
            height: 3,
            pixels: FramePixels::Nv12 {
                y: vec![0; 8 * 3],
                y_bytes_per_row: 8,
                cbcr: vec![128; cbcr_len],
                cbcr_bytes_per_row: 8,
                range: YuvRange::Full,
                matrix: YuvMatrix::Bt709,
            },
            orientation: FrameOrientation::Up,
            mirrored: false,
            region: Some(Region { x: 1, y: 1, width: 3, height: 2 }),
        };
        assert!(nv12(16).into_owned().is_ok(), "odd sizes: ceil(5/2) CbCr pairs, ceil(3/2) rows");
        assert!(matches!(nv12(10).into_owned(), Err(PelabelError::InvalidFrame { .. })));
    }
    /// A BGRA buffer of `w × h` pixels with `pad` bytes after each row, a gradient so labels
    /// depend on the pixels.
    fn bgra_bytes(w: u32, h: u32, pad: u32) -> (Vec<u8>, u32) {
        let bpr = 4 * w + pad;
        let mut data = vec![0u8; (bpr * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let i = (y * bpr + 4 * x) as usize;
                data[i..i + 4].copy_from_slice(&[(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8, 255]);
            }
        }
        (data, bpr)
    }

    #[test]
    fn borrowed_planes_label_like_the_record_path() {
        let labeler = tiny_labeler();
        let (w, h) = (37, 29);
        let (data, bpr) = bgra_bytes(w, h, 12);
        let options = LabelOptions { top_k: 2, min_score: Some(-1.0), min_probability: None };
        let region = Some(Region { x: 3, y: 2, width: 30, height: 20 });
        for (orientation, mirrored) in [(FrameOrientation::Up, false), (FrameOrientation::Right, true)] {
            let geometry = FrameGeometry { width: w, height: h, orientation, mirrored, region };
            let record = CameraFrame {
                width: w,
                height: h,
                pixels: FramePixels::Bgra { data: data.clone(), bytes_per_row: bpr },
                orientation,
                mirrored,
                region,
            };
            let by_ref = labeler.label_bgra(&data, bpr, geometry, options.clone()).unwrap();
            assert_eq!(by_ref, labeler.label_frame(record, options.clone()).unwrap());
            // The same pixels as RGBA (R and B swapped) label the same.
            let rgba: Vec<u8> = data.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0], p[3]]).collect();
            assert_eq!(labeler.label_rgba(&rgba, bpr, geometry, options.clone()).unwrap(), by_ref);
        }
        // NV12 borrowed vs record, odd sizes and padded strides.
        let (y_bpr, c_bpr) = (w + 3, 2 * w.div_ceil(2) + 5);
        let y: Vec<u8> = (0..y_bpr * h).map(|i| (i * 13 % 251) as u8).collect();
        let cbcr: Vec<u8> = (0..c_bpr * h.div_ceil(2)).map(|i| (i * 29 % 253) as u8).collect();
        let geometry =
            FrameGeometry { width: w, height: h, orientation: FrameOrientation::Left, mirrored: false, region };
        let by_ref =
            labeler.label_nv12(&y, y_bpr, &cbcr, c_bpr, YuvRange::Video, YuvMatrix::Bt709, geometry, options.clone());
        let record = CameraFrame {
            width: w,
            height: h,
            pixels: FramePixels::Nv12 {
                y: y.clone(),
                y_bytes_per_row: y_bpr,
                cbcr: cbcr.clone(),
                cbcr_bytes_per_row: c_bpr,
                range: YuvRange::Video,
                matrix: YuvMatrix::Bt709,
            },
            orientation: FrameOrientation::Left,
            mirrored: false,
            region,
        };
        assert_eq!(by_ref.unwrap(), labeler.label_frame(record, options.clone()).unwrap());
        // Bad borrowed frames are typed errors, never a read past the slice.
        let g = FrameGeometry { width: w, height: h, orientation: FrameOrientation::Up, mirrored: false, region: None };
        let bad = |r: Result<LabelOutcome>| matches!(r, Err(PelabelError::InvalidFrame { .. }));
        assert!(bad(labeler.label_bgra(&data[..data.len() - 13], bpr, g, options.clone())), "short buffer");
        assert!(bad(labeler.label_bgra(&data, 4 * w - 1, g, options.clone())), "stride below the row");
        assert!(bad(labeler.label_bgra(&[], 0, FrameGeometry { width: 0, ..g }, options.clone())), "empty frame");
        let outside = FrameGeometry { region: Some(Region { x: w - 1, y: 0, width: 2, height: 1 }), ..g };
        assert!(bad(labeler.label_bgra(&data, bpr, outside, options.clone())), "region outside");
        // The last chroma row may omit its padding, not its pixels.
        let needed = (c_bpr * (h.div_ceil(2) - 1) + 2 * w.div_ceil(2)) as usize;
        let g_ok = g;
        assert!(labeler
            .label_nv12(&y, y_bpr, &cbcr[..needed], c_bpr, YuvRange::Full, YuvMatrix::Bt601, g_ok, options.clone())
            .is_ok());
        let short_cbcr = &cbcr[..needed - 1];
        let r = labeler.label_nv12(&y, y_bpr, short_cbcr, c_bpr, YuvRange::Full, YuvMatrix::Bt601, g, options);
        assert!(bad(r), "short chroma plane");
    }

    #[test]
    fn borrowed_planes_pushed_live_are_copied_and_labelled() {
        let (tx, rx) = std::sync::mpsc::channel();
        let listener = Listener(move |r: LiveResult| {
            let _ = tx.send(r.labels.first().map(|l| l.id.clone()));
        });
        let labeler = tiny_labeler();
        let live = LiveLabeler::start(labeler.clone(), live_options(), Arc::new(listener)).unwrap();
        let (w, h) = (21, 17);
        let (mut data, bpr) = bgra_bytes(w, h, 4);
        let g = FrameGeometry { width: w, height: h, orientation: FrameOrientation::Up, mirrored: false, region: None };
        let options = LabelOptions { top_k: 1, min_score: Some(-1.0), min_probability: None };
        let LabelOutcome::Recognised { labels } = labeler.label_bgra(&data, bpr, g, options).unwrap() else {
            panic!("recognised at min_score -1")
        };
        live.push_bgra(&data, bpr, g, 0).unwrap();
        // The caller may reuse its buffer at once: the worker labels the copy.
        data.fill(0);
        let first = rx.recv_timeout(Duration::from_secs(60)).expect("a live result");
        assert_eq!(first.as_deref(), Some(labels[0].id.as_str()));
        let y = vec![100u8; (w * h) as usize];
        let cbcr = vec![128u8; (2 * w.div_ceil(2) * h.div_ceil(2)) as usize];
        live.push_nv12(&y, w, &cbcr, 2 * w.div_ceil(2), YuvRange::Full, YuvMatrix::Bt601, g, 1).unwrap();
        assert!(rx.recv_timeout(Duration::from_secs(60)).expect("a live result").is_some());
        let bad = live.push_bgra(&data[..10], bpr, g, 2);
        assert!(matches!(bad, Err(PelabelError::InvalidFrame { .. })), "{bad:?}");
        live.stop().unwrap();
        assert!(matches!(live.push_bgra(&data, bpr, g, 3), Err(PelabelError::Stopped)));
    }

    #[test]
    fn precision_and_threads_reach_the_session() {
        let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pe-core/tiny");
        let pack = tiny_labeler().inner.pack();
        let pack = Arc::new(LabelPack { inner: pack });
        let open = |options| Labeler::open(tiny.display().to_string(), pack.clone(), options);
        let f32 = open(LabelerOptions { threads: Some(1), precision: None }).unwrap().precision().unwrap();
        assert_eq!((f32.requested, f32.active), (Precision::F32, Precision::F32));
        let cpu = pelabel::Cpu::from_env().unwrap();
        assert_eq!(f32.cpu_tier, cpu.tier().name());
        let int8 = open(LabelerOptions { threads: Some(1), precision: Some(Precision::Int8) }).unwrap();
        let info = int8.precision().unwrap();
        assert_eq!(info.requested, Precision::Int8);
        let runs_int8 = pelabel::Precision::Int8.is_supported_on(cpu);
        assert_eq!(info.active, if runs_int8 { Precision::Int8 } else { Precision::F32 }, "fallback reported");
        let too_many = open(LabelerOptions { threads: Some(100_000), precision: None });
        assert!(matches!(too_many, Err(PelabelError::LimitExceeded { .. })), "{too_many:?}");
    }

    #[test]
    fn a_text_encoder_of_another_model_is_refused() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let demo = root.join("models/demo/pe-core-demo");
        if !demo.join("text-tower.safetensors").is_file() {
            eprintln!("SKIPPED: no demo model");
            return;
        }
        let tiny = root.join("tests/fixtures/pe-core/tiny");
        let encoder = TextEncoder::open(tiny.display().to_string(), TextEncoderOptions { precision: None }).unwrap();
        let labeler = tiny_labeler();
        let other = TextEncoder::open(demo.display().to_string(), TextEncoderOptions { precision: None }).unwrap();
        let add = |e: &Arc<TextEncoder>, id: &str, prompts: Vec<String>| {
            labeler.add_user_label(e.clone(), id.into(), "a".into(), prompts, None)
        };
        assert!(matches!(add(&other, "x", vec!["a cat".into()]), Err(PelabelError::ModelMismatch { .. })));
        add(&encoder, "x", vec!["a cat".into()]).unwrap();
        assert_eq!(labeler.user_labels().unwrap().len(), 1);
        let too_many: Vec<String> = (0..=pelabel::MAX_USER_PROMPTS).map(|i| format!("p{i}")).collect();
        assert!(matches!(add(&encoder, "y", too_many), Err(PelabelError::InvalidLabel { .. })));
        assert_eq!(encoder.precision().unwrap().requested, Precision::Int8, "int8 by default");
    }

    #[test]
    fn ffi_defaults_are_the_sdks() {
        // The records' UniFFI defaults are checked against these in the foreign scenarios.
        assert_eq!(default_label_options(), LabelOptions { top_k: 5, min_score: None, min_probability: None });
        assert_eq!(default_labeler_options(), LabelerOptions { threads: None, precision: None });
        let live = default_live_options();
        assert_eq!(pelabel::LiveOptions::from(live.clone()), pelabel::LiveOptions::default());
        assert_eq!(LiveOptions::from(pelabel::LiveOptions::from(live.clone())), live);
    }
}
