//! pelabel: zero-shot image labeling on phones with Meta's Perception Encoder (PE Core) CLIP
//! models, re-implemented on candle.
//!
//! Two flows share one embedding space:
//!
//! ```text
//!  offline:   label set ──► ClipTokenizer ──► TextTower ──► text embeddings ──► label pack
//!  on device: frame ──► preprocess ──► VisionTower ──► image embedding ──► index ──► labels
//! ```
//!
//! The towers load independently ([`VisionTower::load`], [`TextTower::load`]) from a checkpoint
//! in the official or open_clip layout, or from the halves written by [`split_checkpoint`].
//! [`PeCore`] bundles both with the tokenizer and `logit_scale`.
//!
//! ```no_run
//! use pelabel::{decode_image_file, preprocess_image, zero_shot_scores, PeCore, PreprocessConfig, Towers};
//! # fn main() -> pelabel::Result<()> {
//! let model = PeCore::open("models/my-model".as_ref(), Towers::Available)?;
//! let size = model.config().vision.image_size as u32;
//! let img = decode_image_file("cat.jpg".as_ref())?;
//! let pixels = preprocess_image(&img, &PreprocessConfig::pe_core(size), model.device())?.unsqueeze(0)?;
//! let image = model.encode_image(&pixels)?;
//! let texts = model.encode_text(&["a photo of a cat.", "a photo of a dog."])?;
//! let (_logits, probs) = zero_shot_scores(&image, &texts, model.logit_scale().unwrap_or(4.6052))?;
//! println!("{probs}");
//! # Ok(()) }
//! ```
//!
//! # Cargo features
//!
//! All pure Rust (no C compiler runs for any target):
//!
//! - `offline` (default): [`TextCache`], the persistent text-embedding cache (a redb database),
//!   and [`compile_label_set`], which fills and uses it. Off in the device build
//!   (`pelabel-ffi`): a phone loads label packs compiled ahead of time.
//! - `pytorch` (default): `.pt` checkpoints; without it they are an [`Error::FeatureDisabled`].
//! - `bundled-tokenizer` (default): the CLIP vocabulary compiled in (1.3 MB), for text towers
//!   whose model directory has no `tokenizer.json`.
//! - `avx512` (default): `gemm`'s AVX-512 kernels on x86-64 CPUs that have them.
//! - `testing`: random checkpoints and per-stage timings for tests and benchmarks.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(feature = "offline")]
mod compile;
mod cpu;
mod error;
mod eval;
mod index;
mod labeler;
mod labelpack;
mod labelset;
mod live;
#[cfg(all(test, not(miri)))]
mod loom_models;
mod model;
mod preprocess;
#[cfg(feature = "offline")]
mod textcache;
mod tokenizer;
mod userlabels;

#[cfg(feature = "offline")]
pub use compile::{
    cache_prompt_embeddings, compile_label_set, compile_label_set_file, embed_prompts, pending_prompt_batches,
    CompileOptions, CompileReport, SOURCE_DATE_EPOCH_ENV,
};
pub use cpu::{Cpu, CpuTier, Precision, CPU_TIER_ENV};
/// Ed25519 keys used to sign and verify label packs.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use error::{Error, Result};
pub use eval::{
    calibrate, eval_record, evaluate_dataset, CalibrateOptions, CalibrationReport, CalibrationStatus,
    CalibrationTarget, Candidate, ChangedImage, Confusion, CurvePoint, Dataset, DatasetItem, DatasetOptions,
    EvalComparison, EvalOptions, EvalRecord, EvalReport, FailedImage, LabelCalibration, LabelChange, LabelMetrics,
    PackSummary, Prf, TruthScore, MAX_EVAL_CANDIDATES,
};
pub use index::{AnyIndex, ExactIndex, Hit, HnswIndex, HnswOptions, IndexOptions, LabelIndex, HNSW_MIN_LABELS};
pub use labeler::{
    LabelOptions, LabelOutcome, LabelRef, Labeler, LabelerOptions, ScoredLabel, DEFAULT_LOGIT_SCALE, MAX_THREADS,
};
pub use labelpack::{
    generate_signing_key, public_key_path, read_signing_key, read_verifying_key, verifying_key_from_hex,
    write_signing_key, Calibration, EmbeddingDType, LabelPack, PackDiff, PackLabel, PackLabelSet, PackLoadOptions,
    PackMeta, PackWriteOptions, SignatureStatus, MAX_CALIBRATION_PARAMETER, PACK_FORMAT_VERSION, PACK_MAGIC,
};
pub use labelset::{Label, LabelSet, LabelSetOptions, DEFAULT_TEMPLATE, MAX_ID_LEN, TEMPLATE_PLACEHOLDER};
pub use live::{
    ErrorCallback, LiveInput, LiveLabeler, LiveOptions, LiveResult, LiveStats, OwnedFrame, ResultCallback,
    SmoothedLabel, LIVE_STOP_WAIT,
};
pub use model::{
    l2_normalize, rope_angles, split_checkpoint, zero_shot_scores, ModelFiles, PeCore, PeCoreConfig, SplitReport,
    StorageDType, TextConfig, TextTower, Towers, VisionConfig, VisionTower, WeightFiles, CONFIG_FILE, FINGERPRINT_KEY,
    IMAGE_TOWER_FILE, TEXT_TOWER_FILE, TOKENIZER_FILE,
};
/// Test and benchmark helpers, not part of the product API (the `testing` feature).
#[cfg(any(test, feature = "testing"))]
pub use model::{write_random_checkpoint, TowerStageTimes};
pub use preprocess::{
    decode_image_bytes, decode_image_bytes_with, decode_image_file, decode_image_file_with, frame_to_rgb,
    preprocess_frame, preprocess_image, resize_squash, to_tensor, DecodeOptions, Frame, FramePreprocessor,
    FrameResampler, Image8, Orientation, PixelFormat, PixelLayout, PreprocessConfig, RgbImage8, Roi, YuvMatrix,
    YuvRange,
};
#[cfg(feature = "offline")]
pub use textcache::{CacheStats, TextCache};
pub use tokenizer::{ClipTokenizer, TokenizedText};
pub use userlabels::{TextEncoder, UserLabel, MAX_USER_LABELS, MAX_USER_LABEL_NAME, MAX_USER_PROMPTS};

/// The tensor type of the public API (candle's), re-exported so callers need no direct dependency.
pub use candle_core::{Device, Tensor};

/// The README's Rust examples, compiled by `cargo test` so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
