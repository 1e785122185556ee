//! Label packs: one versioned, checksummed, optionally signed file holding a compiled label set:
//! label metadata, the L2-normalised label embeddings and, for large packs, the search graph.
//!
//! # File format, version 1 (all integers little-endian)
//!
//! ```text
//! body:
//!   magic        8 bytes   "PELPACK\0"
//!   version      u32       1
//!   flags        u32       bit 0: signed (an Ed25519 signature follows the checksum)
//!   meta_len     u32       length of the metadata JSON (≤ 64 MiB)
//!   meta         JSON      PackMeta: fingerprint, label set, labels, dim, count, dtype, ...
//!   emb_len      u64       count · dim · (2 for f16 | 4 for f32)
//!   embeddings   bytes     row-major [count, dim], L2-normalised
//!   graph_len    u64       0 when the pack is searched exactly
//!   graph        bytes     HNSW graph (see `index`)
//! trailer:
//!   checksum     32 bytes  BLAKE3 of the body
//!   signature    64 bytes  Ed25519 over the body (only when flags bit 0 is set)
//! ```
//!
//! Loading checks, in order: the configured public key (a weak, small-order key is refused), magic,
//! version, total length, checksum (before any parsing of the content), signature (when a public
//! key is configured, an unsigned pack is refused), then every length and dimension against the
//! metadata, and the metadata's numbers (each `min_score` in `[-1, 1]`, `logit_scale` finite and
//! at most 100 in magnitude). Any failure is a typed error; a truncated or bit-flipped pack never panics and never
//! yields labels. BLAKE3 keeps the integrity check of a 20k-label pack (20 MB) in the low
//! milliseconds. Packs are written atomically (temporary file in the same directory, then rename),
//! so a reader never sees half a pack.
//!
//! # Security model
//!
//! - The checksum is unkeyed: it detects corruption (a truncated download, a flipped bit), not
//!   tampering. Anyone who edits a pack can recompute it, and can also set the "signed" flag and
//!   append 64 arbitrary bytes. A pack loaded without a public key is therefore only
//!   [`SignatureStatus::Unsigned`] or [`SignatureStatus::Unchecked`], never trusted.
//! - A signature verified with a configured public key ([`SignatureStatus::Verified`]) proves that
//!   the pack's bytes were produced by the holder of the matching private key, unmodified since.
//!   It says nothing about when (an old signed pack stays valid: compare label-set versions) or
//!   which model it fits (the loader's model check does that).
//! - Signatures are checked with `verify_strict` (no small-order `R`, canonical `s`), and a public
//!   key must not be weak (of small order): under such a key, e.g. 64 zero hex digits, a signature
//!   can be forged for any pack in a few tries. Such keys are refused with [`Error::WeakKey`]
//!   wherever a key enters: [`verifying_key_from_hex`], [`read_verifying_key`] and
//!   [`PackLoadOptions::public_key`]. Keys made by [`generate_signing_key`] (`pelabel keygen`)
//!   are never weak.

use std::path::Path;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use half::f16;
use serde::{Deserialize, Serialize};

use crate::index::{AnyIndex, IndexOptions, LabelIndex};
use crate::{Error, Result};

/// Magic bytes at the start of every label pack.
pub const PACK_MAGIC: &[u8; 8] = b"PELPACK\0";
/// The label-pack format version this build writes and reads.
pub const PACK_FORMAT_VERSION: u32 = 1;
const FLAG_SIGNED: u32 = 1;
const CHECKSUM_LEN: usize = 32;
const SIGNATURE_LEN: usize = 64;
const MAX_META_LEN: usize = 64 << 20;
const FIXED_HEADER_LEN: usize = 8 + 4 + 4 + 4;

/// On-disk dtype of the embedding matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddingDType {
    /// IEEE half: half the size, cosine error ≈ 1e-4, ranking unaffected in practice.
    #[default]
    F16,
    /// 32-bit float.
    F32,
}

impl EmbeddingDType {
    fn bytes(self) -> usize {
        match self {
            Self::F16 => 2,
            Self::F32 => 4,
        }
    }
}

impl std::str::FromStr for EmbeddingDType {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "f16" | "float16" => Ok(Self::F16),
            "f32" | "float32" => Ok(Self::F32),
            other => Err(format!("unknown embedding dtype {other:?} (expected f16 or f32)")),
        }
    }
}

/// The label set a pack was compiled from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackLabelSet {
    /// Label-set name.
    pub name: String,
    /// Label-set version.
    pub version: String,
    /// Description, if the set has one.
    #[serde(default)]
    pub description: Option<String>,
}

/// One label of a pack; row `i` of the embedding matrix belongs to `labels[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackLabel {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Id of the parent label, if any.
    #[serde(default)]
    pub parent: Option<String>,
    /// Per-label cosine threshold, if any, in `[-1, 1]`.
    #[serde(default)]
    pub min_score: Option<f32>,
    /// Synonyms (informational).
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// The prompts whose embeddings were ensembled into this label's embedding.
    #[serde(default)]
    pub prompts: Vec<String>,
    /// Per-label probability calibration (`pelabel calibrate --sigmoid`): the label's
    /// probability is then `sigmoid(slope · cosine + intercept)`, independent of the other
    /// labels, instead of its share of the softmax over the pack. Absent in packs that were
    /// never calibrated (and then not written, so such packs keep their bytes); a reader older
    /// than this field ignores it and reports softmax probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
}

/// Largest `|slope|` and `|intercept|` of a [`Calibration`]: cosines lie in [-1, 1], so a slope
/// of 10 000 already turns a difference of 0.001 into a factor of e^10.
pub const MAX_CALIBRATION_PARAMETER: f32 = 10_000.0;

/// A label's probability calibration (Platt scaling on two features): `probability = 1 / (1 +
/// exp(-(slope · cosine + margin_slope · margin + intercept)))`, where `margin` is the label's
/// cosine minus the best cosine of the *other* labels for the same image (positive only for the
/// best label). The margin carries what the absolute cosine misses: how the label ranks
/// against the rest of the pack on this image. Fitted by [`crate::calibrate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Positive: a higher cosine always means a higher probability.
    pub slope: f32,
    /// The logit at cosine 0 and margin 0.
    pub intercept: f32,
    /// Weight of the margin, at least 0 (0 in files that do not give it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub margin_slope: f32,
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

impl Calibration {
    /// The calibrated probability of a cosine score with its margin over the best other label's
    /// cosine, in [0, 1].
    pub fn probability(&self, score: f32, margin: f32) -> f32 {
        let z = f64::from(self.slope) * f64::from(score)
            + f64::from(self.margin_slope) * f64::from(margin)
            + f64::from(self.intercept);
        (1.0 / (1.0 + (-z).exp())) as f32
    }

    /// Why these parameters are unusable, if they are: not finite, slope not positive, margin
    /// slope negative, or a magnitude over [`MAX_CALIBRATION_PARAMETER`].
    pub fn problem(&self) -> Option<String> {
        let (a, b, m) = (self.slope, self.intercept, self.margin_slope);
        if !a.is_finite() || !b.is_finite() || !m.is_finite() {
            return Some(format!("calibration slope {a} / intercept {b} / margin_slope {m} is not finite"));
        }
        if a <= 0.0 {
            return Some(format!(
                "calibration slope {a} is not positive (a higher score must mean a higher probability)"
            ));
        }
        if m < 0.0 {
            return Some(format!(
                "calibration margin_slope {m} is negative (a wider lead must not lower the probability)"
            ));
        }
        if a > MAX_CALIBRATION_PARAMETER || b.abs() > MAX_CALIBRATION_PARAMETER || m > MAX_CALIBRATION_PARAMETER {
            return Some(format!(
                "calibration slope {a} / intercept {b} / margin_slope {m} is over {MAX_CALIBRATION_PARAMETER} in magnitude"
            ));
        }
        None
    }
}

/// The two best scores of an image's candidates (sorted best first), for each candidate's
/// margin over the best *other* label: `s0 - s1` for the first (0 when it is alone), `si - s0`
/// for the rest. Two numbers, so the per-frame path allocates nothing for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Margins {
    top: f32,
    second: Option<f32>,
}

impl Margins {
    /// From the scores, best first (only the first two are read).
    pub(crate) fn of(mut scores: impl Iterator<Item = f32>) -> Self {
        let top = scores.next().unwrap_or(0.0);
        Self { top, second: scores.next() }
    }

    /// The margin of the candidate at position `i` with score `score`.
    pub(crate) fn at(&self, i: usize, score: f32) -> f32 {
        match (i, self.second) {
            (0, Some(second)) => score - second,
            (0, None) => 0.0,
            _ => score - self.top,
        }
    }
}

/// Everything in a pack but the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackMeta {
    /// Fingerprint of the model whose text tower made the embeddings; a phone checks it against
    /// its image tower.
    pub model_fingerprint: String,
    /// The source label set.
    pub label_set: PackLabelSet,
    /// Creation time, seconds since the Unix epoch (UTC).
    pub created_unix_s: u64,
    /// Tool that wrote the pack, e.g. `pelabel 0.1.0`.
    pub created_by: String,
    /// Embedding dimension `D`.
    pub dim: usize,
    /// On-disk dtype of the embeddings.
    pub embedding_dtype: EmbeddingDType,
    /// The model's raw `logit_scale`, for probabilities on the device: finite, at most 100 in
    /// magnitude (trained models hold about 4.6).
    #[serde(default)]
    pub logit_scale: Option<f32>,
    /// One entry per embedding row.
    pub labels: Vec<PackLabel>,
}

/// How to write a pack.
#[derive(Default)]
pub struct PackWriteOptions {
    /// On-disk dtype of the embeddings (default f16).
    pub embedding_dtype: EmbeddingDType,
    /// Sign the pack with this key.
    pub signing_key: Option<SigningKey>,
}

impl std::fmt::Debug for PackWriteOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackWriteOptions")
            .field("embedding_dtype", &self.embedding_dtype)
            .field("signed", &self.signing_key.is_some())
            .finish()
    }
}

/// How to load a pack.
#[derive(Debug, Clone)]
pub struct PackLoadOptions {
    /// When set, only packs signed by the matching private key are accepted. A weak
    /// (small-order) key makes every load fail with [`Error::WeakKey`].
    pub public_key: Option<VerifyingKey>,
    /// Largest pack accepted, in bytes, checked before a file is read (default 256 MiB: 100 000
    /// labels of 1 024 f16 dimensions, with their search graph).
    pub max_pack_bytes: u64,
}

impl Default for PackLoadOptions {
    fn default() -> Self {
        Self { public_key: None, max_pack_bytes: 256 << 20 }
    }
}

impl PackLoadOptions {
    const SIZE_WHAT: &'static str = "label-pack size (bytes)";
    const SIZE_SETTING: &'static str = "PackLoadOptions::max_pack_bytes";

    fn check_size(&self, source_name: impl FnOnce() -> String, found: u64) -> Result<()> {
        if found > self.max_pack_bytes {
            return Err(Error::LimitExceeded {
                source_name: source_name(),
                what: Self::SIZE_WHAT,
                found,
                limit: self.max_pack_bytes,
                setting: Self::SIZE_SETTING,
            });
        }
        Ok(())
    }
}

/// What the signature of a loaded pack proves.
///
/// Only [`SignatureStatus::Verified`] says anything about who made the pack: the checksum is
/// unkeyed, so anyone can produce a pack that is `Unsigned` or `Unchecked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// The pack carries no signature (or was built in memory): the checksum guards against
    /// corruption only.
    Unsigned,
    /// The pack carries a signature, but no public key was configured, so nothing checked it: it
    /// proves nothing (anyone can set the flag and append 64 bytes).
    Unchecked,
    /// The signature verified (strictly) with the configured public key: the pack was produced
    /// by the holder of the matching private key and not modified since.
    Verified,
}

impl SignatureStatus {
    /// `"unsigned"`, `"unchecked"` or `"verified"` (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Unchecked => "unchecked",
            Self::Verified => "verified",
        }
    }
}

impl std::fmt::Display for SignatureStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A loaded label pack: metadata plus a search index over the label embeddings.
#[derive(Debug)]
pub struct LabelPack {
    meta: PackMeta,
    index: AnyIndex,
    signature: SignatureStatus,
    file_bytes: u64,
}

/// Checks the numbers of the metadata that JSON alone does not bound: every `min_score` is a
/// cosine in `[-1, 1]` and `logit_scale` is finite and in range. JSON has no NaN or infinity,
/// but `1e39` parses to an f32 infinity, which a re-save writes as `null`: the threshold
/// silently disappeared, and an infinite or huge `logit_scale` made every probability NaN.
/// Found by the `pack` fuzz target (issue 9).
fn check_meta_values(meta: &PackMeta) -> std::result::Result<(), String> {
    if let Some(reason) = meta.logit_scale.and_then(crate::model::logit_scale_problem) {
        return Err(reason);
    }
    for l in &meta.labels {
        if let Some(m) = l.min_score.filter(|m| !(-1.0..=1.0).contains(m)) {
            return Err(format!("label {:?}: min_score {m} is not a cosine similarity in [-1, 1]", l.id));
        }
        if let Some(why) = l.calibration.as_ref().and_then(Calibration::problem) {
            return Err(format!("label {:?}: {why}", l.id));
        }
    }
    Ok(())
}

/// L2-normalises each row in place; rows of norm 0 stay 0.
fn normalize_rows(vectors: &mut [f32], dim: usize) {
    for row in vectors.chunks_mut(dim) {
        let n = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        if n > 0.0 {
            row.iter_mut().for_each(|x| *x /= n);
        }
    }
}

fn source_name(path: Option<&Path>) -> String {
    path.map(|p| p.display().to_string()).unwrap_or_else(|| "<bytes>".to_string())
}

/// A bounds-checked little-endian reader over the body.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    source: &'a str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| Error::PackMalformed {
            source_name: self.source.to_string(),
            reason: format!("{what} ({n} bytes at offset {}) runs past the end of the body", self.pos),
        })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

impl LabelPack {
    /// Builds a pack from metadata and raw label embeddings `[labels, dim]` (normalised here),
    /// choosing exact search or an HNSW graph by size.
    pub fn new(meta: PackMeta, mut embeddings: Vec<f32>, index_options: &IndexOptions) -> Result<Self> {
        let (dim, count) = (meta.dim, meta.labels.len());
        if dim == 0 || embeddings.len() != count * dim {
            return Err(Error::PackMalformed {
                source_name: "<new>".into(),
                reason: format!("{} embedding values for {count} labels of dimension {dim}", embeddings.len()),
            });
        }
        check_meta_values(&meta).map_err(|reason| Error::PackMalformed { source_name: "<new>".into(), reason })?;
        normalize_rows(&mut embeddings, dim);
        // Round-trip through the on-disk dtype now, so the in-memory pack searches exactly the
        // numbers a loaded copy will.
        if meta.embedding_dtype == EmbeddingDType::F16 {
            embeddings.iter_mut().for_each(|x| *x = f16::from_f32(*x).to_f32());
        }
        let index = AnyIndex::build(embeddings, dim, index_options)?;
        Ok(Self { meta, index, signature: SignatureStatus::Unsigned, file_bytes: 0 })
    }

    /// The metadata.
    pub fn meta(&self) -> &PackMeta {
        &self.meta
    }

    /// A copy of this pack (same embeddings and index) with other label settings: `meta` must
    /// keep the model, the dimension, the dtype and every label's id in order (names,
    /// thresholds, calibrations, parents and the label-set header may change). Used by
    /// `pelabel calibrate` to write a new version of a pack. The copy is unsigned until written
    /// with a signing key.
    pub fn with_meta(&self, meta: PackMeta) -> Result<Self> {
        let malformed = |reason: String| Error::PackMalformed { source_name: "<with_meta>".into(), reason };
        let (a, b) = (&self.meta, &meta);
        if a.model_fingerprint != b.model_fingerprint || a.dim != b.dim || a.embedding_dtype != b.embedding_dtype {
            return Err(malformed("the model fingerprint, dimension and embedding dtype must stay the same".into()));
        }
        if a.labels.len() != b.labels.len() || a.labels.iter().zip(&b.labels).any(|(x, y)| x.id != y.id) {
            return Err(malformed("the labels' ids and order must stay the same".into()));
        }
        check_meta_values(&meta).map_err(malformed)?;
        Ok(Self { meta, index: self.index.clone(), signature: SignatureStatus::Unsigned, file_bytes: 0 })
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.meta.labels.len()
    }

    /// Whether the pack has no labels.
    pub fn is_empty(&self) -> bool {
        self.meta.labels.is_empty()
    }

    /// Embedding dimension.
    pub fn dim(&self) -> usize {
        self.meta.dim
    }

    /// What the pack's signature proves: [`SignatureStatus::Verified`] only when a configured
    /// public key verified it.
    pub fn signature_status(&self) -> SignatureStatus {
        self.signature
    }

    /// Whether a configured public key verified the pack's signature (the only status that says
    /// who made the pack).
    pub fn is_signature_verified(&self) -> bool {
        self.signature == SignatureStatus::Verified
    }

    /// Size of the file it was loaded from (0 for a pack built in memory).
    pub fn file_bytes(&self) -> u64 {
        self.file_bytes
    }

    /// `"exact"` or `"hnsw"`.
    pub fn index_kind(&self) -> &'static str {
        match self.index {
            AnyIndex::Exact(_) => "exact",
            AnyIndex::Hnsw(_) => "hnsw",
        }
    }

    /// The search index over the label embeddings.
    pub fn index(&self) -> &AnyIndex {
        &self.index
    }

    /// Row `i` of the normalised embedding matrix.
    pub fn embedding(&self, i: usize) -> Option<&[f32]> {
        let d = self.meta.dim;
        let start = i.checked_mul(d)?;
        self.index.vectors().get(start..start.checked_add(d)?)
    }

    /// Fails with [`Error::ModelMismatch`] unless the pack was made for `model_fingerprint`.
    pub fn check_model(&self, model_fingerprint: &str) -> Result<()> {
        if self.meta.model_fingerprint != model_fingerprint {
            return Err(Error::ModelMismatch {
                pack: self.meta.model_fingerprint.clone(),
                model: model_fingerprint.to_string(),
            });
        }
        Ok(())
    }

    /// Serialises the pack.
    pub fn to_bytes(&self, options: &PackWriteOptions) -> Result<Vec<u8>> {
        let mut meta = self.meta.clone();
        meta.embedding_dtype = options.embedding_dtype;
        let meta_json = serde_json::to_vec(&meta).map_err(|e| Error::PackMalformed {
            source_name: "<new>".into(),
            reason: format!("metadata does not serialise: {e}"),
        })?;
        if meta_json.len() > MAX_META_LEN {
            return Err(Error::PackMalformed {
                source_name: "<new>".into(),
                reason: format!(
                    "label metadata takes {} bytes, more than the {MAX_META_LEN} a pack may hold (fewer or shorter prompts?)",
                    meta_json.len()
                ),
            });
        }
        let vectors = self.index.vectors();
        let emb: Vec<u8> = match options.embedding_dtype {
            EmbeddingDType::F16 => vectors.iter().flat_map(|&x| f16::from_f32(x).to_le_bytes()).collect(),
            EmbeddingDType::F32 => vectors.iter().flat_map(|&x| x.to_le_bytes()).collect(),
        };
        let graph = self.index.graph_bytes().unwrap_or_default();
        let flags = if options.signing_key.is_some() { FLAG_SIGNED } else { 0 };
        let mut out = Vec::with_capacity(FIXED_HEADER_LEN + meta_json.len() + emb.len() + graph.len() + 128);
        out.extend_from_slice(PACK_MAGIC);
        out.extend_from_slice(&PACK_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&(meta_json.len() as u32).to_le_bytes());
        out.extend_from_slice(&meta_json);
        out.extend_from_slice(&(emb.len() as u64).to_le_bytes());
        out.extend_from_slice(&emb);
        out.extend_from_slice(&(graph.len() as u64).to_le_bytes());
        out.extend_from_slice(&graph);
        let checksum = blake3::hash(&out);
        let signature = options.signing_key.as_ref().map(|k| k.sign(&out));
        out.extend_from_slice(checksum.as_bytes());
        if let Some(sig) = signature {
            out.extend_from_slice(&sig.to_bytes());
        }
        Ok(out)
    }

    /// Writes the pack atomically: a temporary file in the target directory, then a rename.
    pub fn write(&self, path: &Path, options: &PackWriteOptions) -> Result<u64> {
        let bytes = self.to_bytes(options)?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
        use std::io::Write;
        tmp.write_all(&bytes).map_err(|e| Error::io(tmp.path(), e))?;
        // Temporary files are created owner-only; a pack is meant to be shipped and read by
        // other users and build steps.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| Error::io(tmp.path(), e))?;
        }
        tmp.as_file().sync_all().map_err(|e| Error::io(tmp.path(), e))?;
        tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
        Ok(bytes.len() as u64)
    }

    /// Reads and validates a pack file. Its size is checked against
    /// [`PackLoadOptions::max_pack_bytes`] before it is read.
    pub fn load(path: &Path, options: &PackLoadOptions) -> Result<Self> {
        let bytes = Error::read_file_capped(
            path,
            options.max_pack_bytes,
            PackLoadOptions::SIZE_WHAT,
            PackLoadOptions::SIZE_SETTING,
        )?;
        Self::parse(&bytes, Some(path), options)
    }

    /// Validates and loads a pack from bytes (e.g. a download).
    pub fn from_bytes(bytes: &[u8], options: &PackLoadOptions) -> Result<Self> {
        options.check_size(|| source_name(None), bytes.len() as u64)?;
        Self::parse(bytes, None, options)
    }

    fn parse(bytes: &[u8], path: Option<&Path>, options: &PackLoadOptions) -> Result<Self> {
        if let Some(key) = &options.public_key {
            // A weak key is a configuration error, whatever the pack: refuse it before reading.
            check_not_weak(key, Path::new("<PackLoadOptions.public_key>"))?;
        }
        let src = source_name(path);
        let malformed = |reason: String| Error::PackMalformed { source_name: src.clone(), reason };
        if bytes.len() < 8 || &bytes[..8] != PACK_MAGIC {
            return Err(Error::PackMagic { source_name: src });
        }
        if bytes.len() < FIXED_HEADER_LEN {
            return Err(Error::PackTruncated { source_name: src, reason: "header cut off".into() });
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != PACK_FORMAT_VERSION {
            return Err(Error::PackVersion { source_name: src, found: version, supported: PACK_FORMAT_VERSION });
        }
        let flags = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        if flags & !FLAG_SIGNED != 0 {
            // Unknown flag bits mean a writer this build does not understand, or corruption; the
            // checksum decides which, so report a checksum failure if it does not match.
            let known_len = bytes.len().saturating_sub(CHECKSUM_LEN);
            if blake3::hash(&bytes[..known_len]).as_bytes() != &bytes[known_len..] {
                return Err(Error::PackChecksum { source_name: src });
            }
            return Err(malformed(format!("unknown flags {flags:#x}")));
        }
        let signed = flags & FLAG_SIGNED != 0;
        let trailer = CHECKSUM_LEN + if signed { SIGNATURE_LEN } else { 0 };
        if bytes.len() < FIXED_HEADER_LEN + trailer {
            return Err(Error::PackTruncated { source_name: src, reason: "no room for the checksum".into() });
        }
        let body_len = bytes.len() - trailer;
        let (body, tail) = bytes.split_at(body_len);
        let meta_len = u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]) as usize;
        let structure = || -> Result<(&[u8], &[u8], &[u8])> {
            if meta_len > MAX_META_LEN {
                return Err(malformed(format!("metadata length {meta_len} exceeds {MAX_META_LEN}")));
            }
            let mut r = Reader { bytes: body, pos: FIXED_HEADER_LEN, source: &src };
            let meta = r.take(meta_len, "metadata")?;
            let emb_len = usize::try_from(r.u64("embedding length")?).unwrap_or(usize::MAX);
            let emb = r.take(emb_len, "embeddings")?;
            let graph_len = usize::try_from(r.u64("graph length")?).unwrap_or(usize::MAX);
            let graph = r.take(graph_len, "graph")?;
            if r.pos != body.len() {
                return Err(malformed(format!("{} unexpected bytes after the graph", body.len() - r.pos)));
            }
            Ok((meta, emb, graph))
        };
        // The checksum over the whole body is checked before any content is trusted. When it
        // fails, a body whose own section lengths do not fit is reported as truncated (the usual
        // cause: an interrupted download or copy), anything else as corrupted.
        if blake3::hash(body).as_bytes() != &tail[..CHECKSUM_LEN] {
            return Err(match structure() {
                Err(_) => Error::PackTruncated {
                    source_name: src.clone(),
                    reason: "its sections run past the end of the file (or the file is corrupted)".into(),
                },
                Ok(_) => Error::PackChecksum { source_name: src.clone() },
            });
        }
        // Then authenticity, before the content is interpreted. `verify_strict` also refuses
        // small-order `R` and keys (the key was checked above, this is the second line).
        let signature = match (signed, &options.public_key) {
            (true, Some(key)) => {
                let sig_bytes: [u8; SIGNATURE_LEN] =
                    tail[CHECKSUM_LEN..].try_into().map_err(|_| Error::PackSignature { source_name: src.clone() })?;
                let sig = ed25519_dalek::Signature::from_bytes(&sig_bytes);
                key.verify_strict(body, &sig).map_err(|_| Error::PackSignature { source_name: src.clone() })?;
                SignatureStatus::Verified
            }
            (true, None) => SignatureStatus::Unchecked,
            (false, Some(_)) => return Err(Error::PackUnsigned { source_name: src }),
            (false, None) => SignatureStatus::Unsigned,
        };
        let (meta_bytes, emb_bytes, graph_bytes) = structure()?;
        let meta: PackMeta =
            serde_json::from_slice(meta_bytes).map_err(|e| malformed(format!("metadata JSON: {e}")))?;
        let (dim, count) = (meta.dim, meta.labels.len());
        if dim == 0 || count == 0 {
            return Err(malformed(format!("{count} labels of dimension {dim}")));
        }
        check_meta_values(&meta).map_err(malformed)?;
        let expected = count.checked_mul(dim).and_then(|n| n.checked_mul(meta.embedding_dtype.bytes()));
        if expected != Some(emb_bytes.len()) {
            return Err(malformed(format!(
                "embeddings hold {} bytes, {count} labels × {dim} dims × {} bytes need {}",
                emb_bytes.len(),
                meta.embedding_dtype.bytes(),
                expected.map(|n| n.to_string()).unwrap_or_else(|| "overflow".into())
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for l in &meta.labels {
            if !seen.insert(l.id.as_str()) {
                return Err(malformed(format!("duplicate label id {:?}", l.id)));
            }
        }
        let vectors: Vec<f32> = match meta.embedding_dtype {
            EmbeddingDType::F16 => {
                emb_bytes.chunks_exact(2).map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32()).collect()
            }
            EmbeddingDType::F32 => {
                emb_bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
            }
        };
        if vectors.iter().any(|x| !x.is_finite()) {
            return Err(malformed("non-finite embedding value".into()));
        }
        let graph = (!graph_bytes.is_empty()).then_some(graph_bytes);
        let index = AnyIndex::from_parts(vectors, dim, graph).map_err(|e| malformed(format!("index: {e}")))?;
        Ok(Self { meta, index, signature, file_bytes: bytes.len() as u64 })
    }

    /// Top-`top_k` labels for an L2-normalised query embedding, best first: `(label, cosine)`.
    pub fn search(&self, query: &[f32], top_k: usize) -> Result<Vec<(&PackLabel, f32)>> {
        let hits = self.index.search(query, top_k)?;
        Ok(hits.into_iter().filter_map(|h| self.meta.labels.get(h.index).map(|l| (l, h.score))).collect())
    }
}

/// What changed between two packs: what a product team reviews before shipping an update.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PackDiff {
    /// Header fields that differ: `(field, old, new)` (model fingerprint, label-set version, ...).
    pub header: Vec<(String, String, String)>,
    /// Ids only in the new pack.
    pub added: Vec<String>,
    /// Ids only in the old pack.
    pub removed: Vec<String>,
    /// Same id, new display name: `(id, old name, new name)`.
    pub renamed: Vec<(String, String, String)>,
    /// Same id, different embedding: `(id, cosine between old and new)`.
    pub reembedded: Vec<(String, f32)>,
    /// Same id, other metadata changed: `(id, fields)` (parent, min_score, calibration,
    /// synonyms, prompts).
    pub changed: Vec<(String, Vec<String>)>,
}

impl PackDiff {
    /// Whether the packs are equivalent for labeling.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
            && self.reembedded.is_empty()
            && self.changed.is_empty()
            && self.header.iter().all(|(f, _, _)| f == "created_unix_s" || f == "created_by")
    }
}

impl LabelPack {
    /// Compares this (old) pack with a newer one, label by label (matched by id).
    pub fn diff(&self, new: &LabelPack) -> PackDiff {
        let (a, b) = (&self.meta, &new.meta);
        let mut d = PackDiff::default();
        let mut header = |f: &str, x: String, y: String| {
            if x != y {
                d.header.push((f.to_string(), x, y));
            }
        };
        header("model_fingerprint", a.model_fingerprint.clone(), b.model_fingerprint.clone());
        header("label_set.name", a.label_set.name.clone(), b.label_set.name.clone());
        header("label_set.version", a.label_set.version.clone(), b.label_set.version.clone());
        header("dim", a.dim.to_string(), b.dim.to_string());
        header("embedding_dtype", format!("{:?}", a.embedding_dtype), format!("{:?}", b.embedding_dtype));
        header("index", self.index_kind().to_string(), new.index_kind().to_string());
        header("created_unix_s", a.created_unix_s.to_string(), b.created_unix_s.to_string());
        header("created_by", a.created_by.clone(), b.created_by.clone());
        let old_pos: std::collections::HashMap<&str, usize> =
            a.labels.iter().enumerate().map(|(i, l)| (l.id.as_str(), i)).collect();
        let new_ids: std::collections::HashSet<&str> = b.labels.iter().map(|l| l.id.as_str()).collect();
        d.removed = a.labels.iter().filter(|l| !new_ids.contains(l.id.as_str())).map(|l| l.id.clone()).collect();
        for (j, l) in b.labels.iter().enumerate() {
            let Some(&i) = old_pos.get(l.id.as_str()) else {
                d.added.push(l.id.clone());
                continue;
            };
            let o = &a.labels[i];
            if o.name != l.name {
                d.renamed.push((l.id.clone(), o.name.clone(), l.name.clone()));
            }
            let mut fields = Vec::new();
            if o.parent != l.parent {
                fields.push("parent".to_string());
            }
            if o.min_score != l.min_score {
                fields.push("min_score".to_string());
            }
            if o.calibration != l.calibration {
                fields.push("calibration".to_string());
            }
            if o.synonyms != l.synonyms {
                fields.push("synonyms".to_string());
            }
            if o.prompts != l.prompts {
                fields.push("prompts".to_string());
            }
            if !fields.is_empty() {
                d.changed.push((l.id.clone(), fields));
            }
            if let (Some(x), Some(y)) = (self.embedding(i), new.embedding(j)) {
                if x != y {
                    let cos = if x.len() == y.len() { x.iter().zip(y).map(|(p, q)| p * q).sum() } else { f32::NAN };
                    d.reembedded.push((l.id.clone(), cos));
                }
            }
        }
        d
    }
}

/// Generates a new Ed25519 signing key from the operating system's randomness.
pub fn generate_signing_key() -> Result<SigningKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Key { path: "<os randomness>".into(), reason: e.to_string() })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes a signing key (`PATH`, 64 hex chars, owner-only permissions on Unix) and its public key
/// (`PATH.pub`). Refuses to overwrite an existing key.
pub fn write_signing_key(key: &SigningKey, path: &Path) -> Result<std::path::PathBuf> {
    let public = public_key_path(path);
    for p in [path, public.as_path()] {
        if p.exists() {
            return Err(Error::Key { path: p.to_path_buf(), reason: "already exists; refusing to overwrite".into() });
        }
    }
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts.open(path).map_err(|e| Error::io(path, e))?;
    f.write_all(format!("{}\n", hex::encode(key.to_bytes())).as_bytes()).map_err(|e| Error::io(path, e))?;
    std::fs::write(&public, format!("{}\n", hex::encode(key.verifying_key().to_bytes())))
        .map_err(|e| Error::io(&public, e))?;
    Ok(public)
}

/// `KEY.pub` next to `KEY`.
pub fn public_key_path(path: &Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    s.into()
}

fn read_hex32(path: &Path) -> Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bytes = hex::decode(text.trim())
        .map_err(|e| Error::Key { path: path.to_path_buf(), reason: format!("not hex: {e}") })?;
    bytes.try_into().map_err(|b: Vec<u8>| Error::Key {
        path: path.to_path_buf(),
        reason: format!("expected 32 bytes (64 hex characters), found {}", b.len()),
    })
}

/// Reads a signing key written by [`write_signing_key`].
pub fn read_signing_key(path: &Path) -> Result<SigningKey> {
    Ok(SigningKey::from_bytes(&read_hex32(path)?))
}

/// Fails with [`Error::WeakKey`] when `key` is of small order: under such a key, signatures can
/// be forged without the private key.
fn check_not_weak(key: &VerifyingKey, path: &Path) -> Result<()> {
    if key.is_weak() {
        return Err(Error::WeakKey { path: path.to_path_buf(), public_key_hex: hex::encode(key.as_bytes()) });
    }
    Ok(())
}

/// A public key from its 32 bytes: a point of the curve, and not a weak one.
fn verifying_key(bytes: &[u8; 32], path: &Path) -> Result<VerifyingKey> {
    let key = VerifyingKey::from_bytes(bytes)
        .map_err(|e| Error::Key { path: path.to_path_buf(), reason: format!("not an Ed25519 public key: {e}") })?;
    check_not_weak(&key, path)?;
    Ok(key)
}

/// Reads a public key (`KEY.pub`) written by [`write_signing_key`]. A weak (small-order) key is
/// refused with [`Error::WeakKey`].
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey> {
    verifying_key(&read_hex32(path)?, path)
}

/// Parses a public key given as text: the 64 hex characters of a `KEY.pub` file (surrounding
/// whitespace ignored), e.g. a constant compiled into an app. A weak (small-order) key, such as
/// the placeholder of 64 zeros, is refused with [`Error::WeakKey`].
pub fn verifying_key_from_hex(text: &str) -> Result<VerifyingKey> {
    let path = Path::new("<inline public key>");
    let err = |reason: String| Error::Key { path: path.to_path_buf(), reason };
    let bytes = hex::decode(text.trim()).map_err(|e| err(format!("not hex: {e}")))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| err(format!("expected 32 bytes (64 hex characters), found {}", b.len())))?;
    verifying_key(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(n: usize, dim: usize) -> PackMeta {
        PackMeta {
            model_fingerprint: "ab".repeat(32),
            label_set: PackLabelSet { name: "t".into(), version: "1.0.0".into(), description: None },
            created_unix_s: 1,
            created_by: "test".into(),
            dim,
            embedding_dtype: EmbeddingDType::F16,
            logit_scale: Some(4.6),
            labels: (0..n)
                .map(|i| PackLabel {
                    id: format!("l{i}"),
                    name: format!("label {i}"),
                    parent: None,
                    min_score: None,
                    synonyms: vec![],
                    prompts: vec![format!("a photo of label {i}.")],
                    calibration: None,
                })
                .collect(),
        }
    }

    fn vectors(n: usize, dim: usize) -> Vec<f32> {
        // Deterministic, distinct, non-degenerate rows.
        (0..n * dim).map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0 + (i / dim) as f32 * 1e-3).collect()
    }

    fn pack(n: usize) -> LabelPack {
        LabelPack::new(meta(n, 16), vectors(n, 16), &IndexOptions::default()).unwrap()
    }

    #[test]
    fn round_trip_keeps_everything() {
        let p = pack(10);
        for dtype in [EmbeddingDType::F16, EmbeddingDType::F32] {
            let bytes = p.to_bytes(&PackWriteOptions { embedding_dtype: dtype, signing_key: None }).unwrap();
            let q = LabelPack::from_bytes(&bytes, &PackLoadOptions::default()).unwrap();
            assert_eq!(q.meta().labels, p.meta().labels);
            assert_eq!(q.index().vectors(), p.index().vectors(), "{dtype:?}");
            assert_eq!(q.signature_status(), SignatureStatus::Unsigned);
            assert!(!q.is_signature_verified());
            let query = p.embedding(3).unwrap().to_vec();
            assert_eq!(q.search(&query, 1).unwrap()[0].0.id, "l3");
        }
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error() {
        let bytes = pack(6).to_bytes(&PackWriteOptions::default()).unwrap();
        for len in 0..bytes.len() {
            let r = LabelPack::from_bytes(&bytes[..len], &PackLoadOptions::default());
            assert!(r.is_err(), "truncated to {len} loaded");
        }
        for i in 0..bytes.len() {
            for bit in [0, 3, 7] {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                let err = LabelPack::from_bytes(&b, &PackLoadOptions::default()).unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::PackChecksum { .. }
                            | Error::PackMagic { .. }
                            | Error::PackVersion { .. }
                            | Error::PackTruncated { .. }
                            | Error::PackMalformed { .. }
                    ),
                    "byte {i} bit {bit}: {err:?}"
                );
            }
        }
    }

    #[test]
    fn typed_errors_for_magic_version_and_checksum() {
        let bytes = pack(3).to_bytes(&PackWriteOptions::default()).unwrap();
        let mut b = bytes.clone();
        b[0] = b'X';
        assert!(matches!(LabelPack::from_bytes(&b, &Default::default()), Err(Error::PackMagic { .. })));
        let mut b = bytes.clone();
        b[8] = 9;
        assert!(matches!(
            LabelPack::from_bytes(&b, &Default::default()),
            Err(Error::PackVersion { found: 9, supported: 1, .. })
        ));
        let mut b = bytes.clone();
        let meta_len = u32::from_le_bytes([b[16], b[17], b[18], b[19]]) as usize;
        b[FIXED_HEADER_LEN + meta_len + 8 + 5] ^= 0x10; // inside the embeddings
        assert!(matches!(LabelPack::from_bytes(&b, &Default::default()), Err(Error::PackChecksum { .. })));
        let b = &bytes[..bytes.len() - 10];
        assert!(LabelPack::from_bytes(b, &Default::default()).is_err());
    }

    #[test]
    fn signatures_are_required_and_verified() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let p = pack(4);
        let signed = p.to_bytes(&PackWriteOptions { signing_key: Some(key.clone()), ..Default::default() }).unwrap();
        let unsigned = p.to_bytes(&PackWriteOptions::default()).unwrap();
        let with_key = PackLoadOptions { public_key: Some(key.verifying_key()), ..Default::default() };
        let q = LabelPack::from_bytes(&signed, &with_key).unwrap();
        assert_eq!(q.signature_status(), SignatureStatus::Verified);
        assert!(q.is_signature_verified());
        // A loader without a key still reads signed packs (integrity via checksum), but does not
        // claim the signature means anything.
        let unchecked = LabelPack::from_bytes(&signed, &PackLoadOptions::default()).unwrap();
        assert_eq!(unchecked.signature_status(), SignatureStatus::Unchecked);
        assert!(!unchecked.is_signature_verified());
        assert!(matches!(LabelPack::from_bytes(&unsigned, &with_key), Err(Error::PackUnsigned { .. })));
        let wrong = PackLoadOptions { public_key: Some(other.verifying_key()), ..Default::default() };
        assert!(matches!(LabelPack::from_bytes(&signed, &wrong), Err(Error::PackSignature { .. })));
        // Tampering that also recomputes the checksum is caught by the signature.
        let mut t = signed.clone();
        let body_len = t.len() - CHECKSUM_LEN - SIGNATURE_LEN;
        let meta_len = u32::from_le_bytes([t[16], t[17], t[18], t[19]]) as usize;
        t[FIXED_HEADER_LEN + meta_len + 8 + 5] ^= 1; // an embedding value
        let sum = blake3::hash(&t[..body_len]);
        t[body_len..body_len + CHECKSUM_LEN].copy_from_slice(sum.as_bytes());
        assert!(matches!(LabelPack::from_bytes(&t, &with_key), Err(Error::PackSignature { .. })));
        // Stripping the signature (clearing the flag, dropping it, recomputing the checksum)
        // yields an unsigned pack, which a key-configured loader refuses.
        let mut s = signed[..body_len].to_vec();
        s[12] = 0;
        let sum = blake3::hash(&s);
        s.extend_from_slice(sum.as_bytes());
        assert!(matches!(LabelPack::from_bytes(&s, &with_key), Err(Error::PackUnsigned { .. })));
    }

    /// The eight points of small order, canonically encoded (the identity, the point of order 2,
    /// two of order 4 and four of order 8; "Taming the many EdDSAs", Chalkias et al. 2020, and
    /// curve25519-dalek's `EIGHT_TORSION`). 64 zero hex digits is one of them.
    const SMALL_ORDER: [&str; 8] = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    ];
    /// Non-canonical encodings of small-order points (coordinates ≥ p, or a "negative" zero).
    const SMALL_ORDER_NON_CANONICAL: [&str; 6] = [
        "0100000000000000000000000000000000000000000000000000000000000080",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ];

    fn point(hex_text: &str) -> VerifyingKey {
        VerifyingKey::from_bytes(&hex::decode(hex_text).unwrap().try_into().unwrap()).unwrap()
    }

    #[test]
    fn weak_public_keys_are_refused_wherever_a_key_enters() {
        let dir = tempfile::tempdir().unwrap();
        let signed = pack(3)
            .to_bytes(&PackWriteOptions { signing_key: Some(SigningKey::from_bytes(&[7u8; 32])), ..Default::default() })
            .unwrap();
        let unsigned = pack(3).to_bytes(&PackWriteOptions::default()).unwrap();
        for (i, weak) in SMALL_ORDER.iter().enumerate() {
            // From text (a constant in an app), with the facts to fix it.
            let err = verifying_key_from_hex(&format!("{weak}\n")).unwrap_err();
            assert!(matches!(&err, Error::WeakKey { public_key_hex, .. } if public_key_hex == weak), "{weak}: {err:?}");
            assert!(err.to_string().contains("pelabel keygen"), "{err}");
            // From a KEY.pub file.
            let file = dir.path().join(format!("weak{i}.pub"));
            std::fs::write(&file, format!("{weak}\n")).unwrap();
            let err = read_verifying_key(&file).unwrap_err();
            assert!(matches!(&err, Error::WeakKey { path, .. } if path == &file), "{weak}: {err:?}");
            // In the load options, built without our parsers: every load fails, signed or not.
            let options = PackLoadOptions { public_key: Some(point(weak)), ..Default::default() };
            for bytes in [&signed, &unsigned] {
                let err = LabelPack::from_bytes(bytes, &options).unwrap_err();
                assert!(matches!(err, Error::WeakKey { .. }), "{weak}: {err:?}");
            }
        }
        for weak in SMALL_ORDER_NON_CANONICAL {
            // Refused either way: as no curve point, or as a weak one.
            let err = verifying_key_from_hex(weak).unwrap_err();
            assert!(matches!(err, Error::WeakKey { .. } | Error::Key { .. }), "{weak}: {err:?}");
        }
        // Real keys pass.
        for _ in 0..16 {
            let key = generate_signing_key().unwrap().verifying_key();
            assert_eq!(verifying_key_from_hex(&hex::encode(key.as_bytes())).unwrap(), key);
        }
    }

    /// The attack the weak-key check exists for: under a small-order public key `A`, the
    /// signature `(R, 0)` verifies (cofactorless, as `verify` does) whenever `R = −[k]A`, a
    /// small-order point; trying the eight candidates for `R` finds one for almost any pack.
    #[test]
    fn a_signature_forged_for_a_small_order_key_is_refused() {
        use ed25519_dalek::{Signature, Verifier};
        for weak in SMALL_ORDER {
            let key = point(weak);
            let mut forged = None;
            'search: for variant in 0..64u64 {
                let mut m = meta(3, 16);
                m.created_unix_s = variant;
                let p = LabelPack::new(m, vectors(3, 16), &IndexOptions::default()).unwrap();
                let mut body = p.to_bytes(&PackWriteOptions::default()).unwrap();
                body.truncate(body.len() - CHECKSUM_LEN);
                body[12] |= FLAG_SIGNED as u8;
                for r in SMALL_ORDER {
                    let mut sig = [0u8; SIGNATURE_LEN];
                    sig[..32].copy_from_slice(&hex::decode(r).unwrap());
                    let sig = Signature::from_bytes(&sig);
                    if key.verify(&body, &sig).is_ok() {
                        assert!(key.verify_strict(&body, &sig).is_err(), "strict verification accepts a forgery");
                        let checksum = blake3::hash(&body);
                        body.extend_from_slice(checksum.as_bytes());
                        body.extend_from_slice(&sig.to_bytes());
                        forged = Some(body);
                        break 'search;
                    }
                }
            }
            let forged = forged.unwrap_or_else(|| panic!("no forgery found for the small-order key {weak}"));
            let options = PackLoadOptions { public_key: Some(key), ..Default::default() };
            let err = LabelPack::from_bytes(&forged, &options).unwrap_err();
            assert!(matches!(err, Error::WeakKey { .. }), "{weak}: forged pack gave {err:?}");
            // Without a key it loads, and says its signature was not checked.
            let q = LabelPack::from_bytes(&forged, &PackLoadOptions::default()).unwrap();
            assert_eq!(q.signature_status(), SignatureStatus::Unchecked);
        }
    }

    #[test]
    fn diff_reports_each_kind_of_change() {
        let old = pack(4);
        let mut meta = old.meta().clone();
        let mut vectors = old.index().vectors().to_vec();
        meta.labels.remove(0); // l0 removed
        vectors.drain(..16);
        meta.labels[0].name = "renamed".into(); // l1 renamed
        meta.labels[1].prompts.push("another prompt".into()); // l2 changed + re-embedded
        vectors[16] += 0.5;
        meta.labels.push(PackLabel { id: "new".into(), ..meta.labels[2].clone() }); // added
        vectors.extend_from_slice(&old.index().vectors()[..16]);
        meta.label_set.version = "1.1.0".into();
        let new = LabelPack::new(meta, vectors, &IndexOptions::default()).unwrap();
        let d = old.diff(&new);
        assert_eq!(d.removed, ["l0"]);
        assert_eq!(d.added, ["new"]);
        assert_eq!(d.renamed, [("l1".to_string(), "label 1".to_string(), "renamed".to_string())]);
        assert_eq!(d.changed, [("l2".to_string(), vec!["prompts".to_string()])]);
        assert_eq!(d.reembedded.len(), 1);
        assert_eq!(d.reembedded[0].0, "l2");
        assert!(d.reembedded[0].1 < 1.0);
        assert!(d.header.iter().any(|(f, o, n)| f == "label_set.version" && o == "1.0.0" && n == "1.1.0"));
        assert!(!d.is_empty());
        assert!(old.diff(&old).is_empty());
    }

    #[test]
    fn model_check() {
        let p = pack(2);
        p.check_model(&"ab".repeat(32)).unwrap();
        assert!(matches!(p.check_model("cd"), Err(Error::ModelMismatch { .. })));
    }

    #[test]
    fn inconsistent_metadata_is_rejected_after_checksum() {
        // A well-formed, correctly checksummed pack whose metadata disagrees with its arrays.
        let p = pack(3);
        let mut meta = p.meta().clone();
        meta.labels.pop();
        let bad = LabelPack {
            meta,
            index: AnyIndex::build(p.index().vectors().to_vec(), 16, &IndexOptions::default()).unwrap(),
            signature: SignatureStatus::Unsigned,
            file_bytes: 0,
        };
        let bytes = bad.to_bytes(&PackWriteOptions::default()).unwrap();
        let err = LabelPack::from_bytes(&bytes, &Default::default()).unwrap_err();
        assert!(matches!(err, Error::PackMalformed { .. }), "{err:?}");
    }

    /// `bytes` (an unsigned pack) with `from` replaced by `to` in its metadata JSON, the length
    /// and checksum rewritten: what anyone can make, since the checksum is unkeyed.
    fn edit_meta(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
        let meta_len = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
        let meta = std::str::from_utf8(&bytes[20..20 + meta_len]).unwrap();
        assert!(meta.contains(from), "{from} not in {meta}");
        let meta = meta.replacen(from, to, 1);
        let mut out = bytes[..16].to_vec();
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(meta.as_bytes());
        out.extend_from_slice(&bytes[20 + meta_len..bytes.len() - CHECKSUM_LEN]);
        let checksum = blake3::hash(&out);
        out.extend_from_slice(checksum.as_bytes());
        out
    }

    /// Found by the `pack` fuzz target (issue 9): metadata numbers no label set can produce were
    /// accepted. `1e39` parses to an f32 infinity, which a re-save writes as `null` (the threshold
    /// silently disappeared); an infinite or huge `logit_scale` made every probability NaN.
    #[test]
    fn out_of_range_scores_in_the_metadata_are_malformed() {
        let good = pack(3).to_bytes(&PackWriteOptions::default()).unwrap();
        for (from, to, says) in [
            ("\"min_score\":null", "\"min_score\":1e39", "min_score inf"),
            ("\"min_score\":null", "\"min_score\":-1.5", "min_score -1.5"),
            ("\"logit_scale\":4.6", "\"logit_scale\":1e39", "logit_scale inf"),
            ("\"logit_scale\":4.6", "\"logit_scale\":1e30", "outside [-100, 100]"),
            ("\"logit_scale\":4.6", "\"logit_scale\":-101", "outside [-100, 100]"),
        ] {
            let err = LabelPack::from_bytes(&edit_meta(&good, from, to), &Default::default()).unwrap_err();
            assert!(matches!(&err, Error::PackMalformed { reason, .. } if reason.contains(says)), "{to}: {err:?}");
        }
        // The limits themselves load, and round-trip.
        for (from, to) in [("\"min_score\":null", "\"min_score\":-1.0"), ("\"logit_scale\":4.6", "\"logit_scale\":100")]
        {
            let p = LabelPack::from_bytes(&edit_meta(&good, from, to), &Default::default()).unwrap();
            let again = LabelPack::from_bytes(&p.to_bytes(&Default::default()).unwrap(), &Default::default()).unwrap();
            assert_eq!(again.meta(), p.meta());
        }
        // A pack built in memory is held to the same rules.
        let mut m = meta(2, 16);
        m.labels[1].min_score = Some(f32::INFINITY);
        assert!(matches!(
            LabelPack::new(m, vectors(2, 16), &IndexOptions::default()),
            Err(Error::PackMalformed { .. })
        ));
        let mut m = meta(2, 16);
        m.logit_scale = Some(f32::NAN);
        assert!(matches!(
            LabelPack::new(m, vectors(2, 16), &IndexOptions::default()),
            Err(Error::PackMalformed { .. })
        ));
    }

    #[test]
    fn keys_round_trip_and_refuse_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/signing.key");
        let key = generate_signing_key().unwrap();
        let public = write_signing_key(&key, &path).unwrap();
        assert_eq!(read_signing_key(&path).unwrap().to_bytes(), key.to_bytes());
        assert_eq!(read_verifying_key(&public).unwrap(), key.verifying_key());
        assert!(matches!(write_signing_key(&key, &path), Err(Error::Key { .. })));
        std::fs::write(dir.path().join("bad"), "zz").unwrap();
        assert!(matches!(read_signing_key(&dir.path().join("bad")), Err(Error::Key { .. })));
    }

    #[test]
    fn public_keys_parse_from_hex_text() {
        let key = generate_signing_key().unwrap();
        let text = format!("  {}\n", hex::encode(key.verifying_key().to_bytes()));
        assert_eq!(verifying_key_from_hex(&text).unwrap(), key.verifying_key());
        for bad in [String::new(), "zz".into(), "ab".repeat(31), "ab".repeat(33)] {
            assert!(matches!(verifying_key_from_hex(&bad), Err(Error::Key { .. })), "{bad:?}");
        }
    }

    #[test]
    fn atomic_write_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pelpack");
        let p = pack(5);
        let n = p.write(&path, &PackWriteOptions::default()).unwrap();
        let q = LabelPack::load(&path, &PackLoadOptions::default()).unwrap();
        assert_eq!(q.file_bytes(), n);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp files left");
    }
}
