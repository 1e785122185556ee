//! The one error type of the sdk.
//!
//! Every fallible public function returns [`Result<T>`]. Variants are grouped by domain and carry
//! the facts a user needs to act (path, key, expected vs found). The enum is `#[non_exhaustive]`:
//! later domains (label packs, frames) add variants without breaking callers.

use std::path::PathBuf;

/// Result alias used throughout the sdk.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in pelabel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- files ---------------------------------------------------------------------------
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },

    // ----- model configuration -------------------------------------------------------------
    /// A model `config.json` (or preset) is malformed or describes an unsupported model.
    #[error("model config {}: {reason}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<inline>".into()))]
    Config {
        /// The config file, when the config came from a file.
        path: Option<PathBuf>,
        /// What is wrong.
        reason: String,
    },
    /// No preset has this name.
    #[error("unknown model preset {name:?}; known presets: {known}")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// Comma-separated list of known preset names.
        known: String,
    },
    /// A model directory or file could not be interpreted (no weights, no config, ...).
    #[error("model {path}: {reason}")]
    ModelSource {
        /// The path given as the model.
        path: PathBuf,
        /// What is missing or ambiguous.
        reason: String,
    },

    // ----- checkpoints ---------------------------------------------------------------------
    /// A checkpoint file could not be parsed as safetensors or as a PyTorch pickle.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The pickle of a PyTorch checkpoint is malformed, or uses an opcode or a global outside
    /// what `torch.save` writes for a state dict (the reader executes nothing else).
    #[error("checkpoint {path}: pickle byte {offset}: {reason}")]
    Pickle {
        /// The checkpoint file.
        path: PathBuf,
        /// Byte offset of the offending opcode in the archive's `data.pkl`.
        offset: u64,
        /// What is wrong or not allowed.
        reason: String,
    },
    /// A tensor of a PyTorch checkpoint reaches past the storage its archive entry holds.
    #[error("checkpoint {path}: tensor {key:?} needs {needed_bytes} bytes of storage {entry:?}, which holds {available_bytes}")]
    CheckpointStorage {
        /// The checkpoint file.
        path: PathBuf,
        /// Key of the tensor in the state dict.
        key: String,
        /// The storage's entry in the zip archive.
        entry: String,
        /// Bytes the tensor (or the storage's declared size) needs.
        needed_bytes: u64,
        /// Bytes actually available (the entry's size, or the storage's declared size).
        available_bytes: u64,
    },
    /// The file is in a format this build was compiled without (a cargo feature of the sdk).
    #[error("{}: {format} needs the `{feature}` feature of the pelabel crate, which this build leaves off", path.display())]
    FeatureDisabled {
        /// The file.
        path: PathBuf,
        /// The format, e.g. `"PyTorch checkpoint (.pt)"`.
        format: &'static str,
        /// The cargo feature that reads it.
        feature: &'static str,
    },
    /// A tensor the model needs is absent from the checkpoint.
    #[error("checkpoint is missing tensor {key:?} (expected shape {expected:?})")]
    MissingTensor {
        /// Official key name.
        key: String,
        /// Shape the config implies.
        expected: Vec<usize>,
    },
    /// The checkpoint holds a tensor the model does not use (usually a config mismatch).
    #[error("checkpoint has unexpected tensor {key:?} with shape {found:?}")]
    UnexpectedTensor {
        /// Key name as found in the checkpoint.
        key: String,
        /// Its shape.
        found: Vec<usize>,
    },
    /// A tensor has another shape than the config implies.
    #[error("tensor {key:?} has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Official key name.
        key: String,
        /// Shape the config implies.
        expected: Vec<usize>,
        /// Shape found in the checkpoint.
        found: Vec<usize>,
    },
    /// A tensor is stored in a dtype the loader cannot use (only f32, f16 and bf16 are).
    #[error("tensor {key:?} has unsupported dtype {dtype}")]
    UnsupportedDtype {
        /// Key name.
        key: String,
        /// The dtype found.
        dtype: String,
    },
    /// A tensor holds NaN or ±∞ values (a corrupt or diverged checkpoint).
    #[error("tensor {key:?} holds {count} non-finite values (NaN or infinity)")]
    NonFiniteWeights {
        /// Official key name.
        key: String,
        /// How many values are not finite.
        count: usize,
    },
    /// The requested tower is not part of the loaded weights (e.g. a text tower from an
    /// image-only split).
    #[error("the {tower} tower is not available: {reason}")]
    TowerUnavailable {
        /// `"image"` or `"text"`.
        tower: &'static str,
        /// Why.
        reason: String,
    },

    // ----- text ----------------------------------------------------------------------------
    /// The tokenizer could not be built or failed on an input.
    #[error("tokenizer: {reason}")]
    Tokenizer {
        /// What went wrong.
        reason: String,
    },

    // ----- images --------------------------------------------------------------------------
    /// An encoded image could not be decoded.
    #[error("cannot decode image {source_name}: {reason}")]
    ImageDecode {
        /// File path or another description of where the bytes came from.
        source_name: String,
        /// Decoder message.
        reason: String,
    },
    /// Image or pixel data is inconsistent (zero size, wrong buffer length, ...).
    #[error("invalid image: {reason}")]
    InvalidImage {
        /// What does not add up.
        reason: String,
    },

    // ----- label sets ----------------------------------------------------------------------
    /// A label-set file is invalid. `line` and `column` are 1-based; 0 when not applicable.
    #[error("{}:{line}:{column}: {reason}", path.display())]
    LabelSet {
        /// The label-set file.
        path: PathBuf,
        /// 1-based line of the offending item.
        line: usize,
        /// 1-based column of the offending item.
        column: usize,
        /// What is wrong.
        reason: String,
    },

    /// A label added on the device ([`crate::UserLabel`]) is invalid: empty or overlong id or
    /// name, an embedding of the wrong size or not finite, a threshold outside [-1, 1].
    #[error("user label {id:?}: {reason}")]
    InvalidUserLabel {
        /// The label's id (as given).
        id: String,
        /// What is wrong.
        reason: String,
    },

    // ----- evaluation ----------------------------------------------------------------------
    /// A labelled dataset (`pelabel eval`, `pelabel calibrate`) is invalid. `line` is 1-based,
    /// 0 when not applicable.
    #[error("dataset {}{}: {reason}", path.display(), if *line > 0 { format!(":{line}") } else { String::new() })]
    Dataset {
        /// The dataset file or folder.
        path: PathBuf,
        /// 1-based line of the offending row, 0 when not applicable.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Evaluation records or a calibration do not fit the pack they are used with (records of
    /// another pack, no usable image, a target outside (0, 1]).
    #[error("evaluation: {reason}")]
    Evaluation {
        /// What is wrong.
        reason: String,
    },

    // ----- text-embedding cache ------------------------------------------------------------
    /// The persistent text-embedding cache could not be opened, read or written.
    #[error("text-embedding cache {}: {reason}", path.display())]
    Cache {
        /// The cache database file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    // ----- search index --------------------------------------------------------------------
    /// A search index could not be built, or its serialised form is invalid.
    #[error("search index: {reason}")]
    Index {
        /// What went wrong.
        reason: String,
    },
    /// A query vector does not match the index dimension.
    #[error("query has {found} dimensions, the index has {expected}")]
    DimensionMismatch {
        /// Dimension of the index.
        expected: usize,
        /// Dimension of the query.
        found: usize,
    },

    // ----- label packs ---------------------------------------------------------------------
    /// The bytes are not a label pack (wrong magic).
    #[error("{source_name}: not a pelabel label pack (bad magic)")]
    PackMagic {
        /// File path, or `<bytes>`.
        source_name: String,
    },
    /// The pack was written in a format version this build cannot read.
    #[error("{source_name}: label-pack format version {found} is not supported (this build reads {supported})")]
    PackVersion {
        /// File path, or `<bytes>`.
        source_name: String,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The pack is shorter than its own structure says (truncated download or write).
    #[error("{source_name}: label pack is truncated ({reason})")]
    PackTruncated {
        /// File path, or `<bytes>`.
        source_name: String,
        /// Which part is cut off.
        reason: String,
    },
    /// The checksum over the pack does not match its content (corruption or tampering).
    #[error("{source_name}: label-pack checksum mismatch (file corrupted or modified)")]
    PackChecksum {
        /// File path, or `<bytes>`.
        source_name: String,
    },
    /// The pack's structure is inconsistent (lengths, dimensions, metadata).
    #[error("{source_name}: invalid label pack: {reason}")]
    PackMalformed {
        /// File path, or `<bytes>`.
        source_name: String,
        /// What does not add up.
        reason: String,
    },
    /// A loader that requires signed packs got an unsigned one.
    #[error("{source_name}: label pack is not signed, but a signature is required")]
    PackUnsigned {
        /// File path, or `<bytes>`.
        source_name: String,
    },
    /// The pack's signature does not verify with the configured public key.
    #[error("{source_name}: label-pack signature is invalid for the configured public key")]
    PackSignature {
        /// File path, or `<bytes>`.
        source_name: String,
    },
    /// The pack was compiled for another model than the one it is used with.
    #[error("label pack was made for model {pack} but the loaded model is {model}")]
    ModelMismatch {
        /// Fingerprint recorded in the pack.
        pack: String,
        /// Fingerprint of the loaded model.
        model: String,
    },
    /// A signing or verifying key file is invalid.
    #[error("key {}: {reason}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A public key is a valid curve point of small order (a "weak" key, e.g. 64 zero hex
    /// digits): signatures that verify under it can be made without any private key, so it would
    /// accept any pack. Usually a placeholder that was never replaced by the real release key.
    #[error(
        "key {}: {public_key_hex} is a weak (small-order) Ed25519 public key, under which anyone can forge a \
         signature; use the KEY.pub written by `pelabel keygen` (a placeholder key must be replaced by your release key)",
        path.display()
    )]
    WeakKey {
        /// The key file, or `<inline public key>` / `<PackLoadOptions.public_key>`.
        path: PathBuf,
        /// The key as 64 hex characters.
        public_key_hex: String,
    },

    // ----- limits --------------------------------------------------------------------------
    /// An input asks for more work or memory than a limit allows: a label set expanding to too
    /// many prompts, an image too large to decode, a pack file too big, too many threads, a
    /// hostile checkpoint. `setting` says how to raise the limit (or that it is fixed).
    #[error("{source_name}: {what} is {found}, over the limit of {limit} ({setting})")]
    LimitExceeded {
        /// File path, or a description of the input (`<bytes>`, `LabelerOptions::threads`).
        source_name: String,
        /// What was measured, with its unit (e.g. `"prompts after template expansion"`).
        what: &'static str,
        /// The measured (or declared) amount.
        found: u64,
        /// The limit in effect.
        limit: u64,
        /// The option that sets the limit, e.g. `"LabelSetOptions::max_prompts"`, or `"fixed"`.
        setting: &'static str,
    },

    // ----- environment ---------------------------------------------------------------------
    /// An environment variable pelabel reads has a value it cannot use (e.g.
    /// `SOURCE_DATE_EPOCH` that is not a number of seconds).
    #[error("environment variable {variable}={value:?}: {reason}")]
    Environment {
        /// The variable.
        variable: &'static str,
        /// Its value (lossily decoded).
        value: String,
        /// What was expected.
        reason: String,
    },

    // ----- numerics ------------------------------------------------------------------------
    /// `PELABEL_CPU_TIER` (or an option) names no compute tier.
    #[error("unknown CPU tier {value:?}; known tiers: {known}")]
    UnknownCpuTier {
        /// The value given.
        value: String,
        /// The tier names pelabel knows.
        known: String,
    },
    /// An error from the tensor library. Seeing it means a bug in pelabel or an exhausted
    /// resource, never a bad input: inputs are validated before they reach tensors.
    #[error("tensor computation failed: {0}")]
    Tensor(#[from] candle_core::Error),
}

impl Error {
    /// Shorthand for [`Error::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Reads the whole file at `path` if it holds at most `limit` bytes, else the
    /// [`Error::LimitExceeded`] of `what`/`setting`. The size is checked before reading, and the
    /// read stops one byte past the limit (the file may grow in between).
    pub(crate) fn read_file_capped(
        path: &std::path::Path,
        limit: u64,
        what: &'static str,
        setting: &'static str,
    ) -> Result<Vec<u8>> {
        use std::io::Read;
        let too_big =
            |found| Error::LimitExceeded { source_name: path.display().to_string(), what, found, limit, setting };
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len > limit {
            return Err(too_big(len));
        }
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > limit {
            return Err(too_big(bytes.len() as u64));
        }
        Ok(bytes)
    }
}
