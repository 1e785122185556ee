//! The offline tools (feature `offline`, for the Python package `uniffi-bindings/python`, never
//! phones): a label-set [`Compiler`] over a model's text tower and the persistent text cache, as
//! `pelabel compile` runs it, and step by step (pending batches, embedding, storing) so that
//! `pelabel.ray` can spread the embedding over processes and machines. Wrappers over
//! `pelabel::{compile_label_set_file, pending_prompt_batches, embed_prompts,
//! cache_prompt_embeddings}`; the logic (batching, cache keys, defaults) is the sdk's.
//!
//! Embeddings cross as bytes (`[prompts, dim]` row-major little-endian f32): a `Vec<f32>` costs
//! the foreign side one call per number (seconds for a large label set in Python), bytes one copy.

use std::path::Path;
use std::sync::Arc;

use crate::{count, guard, size, PelabelError, Precision, PrecisionInfo, Result};

/// On-disk dtype of a pack's embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EmbeddingDType {
    /// IEEE half (the default): half the size, cosine error about 1e-4.
    F16,
    /// 32-bit float.
    F32,
}

/// Settings of a compile; the defaults are `pelabel compile`'s (`default_compile_options()`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CompileOptions {
    /// The text-embedding cache file; `None` embeds every prompt and stores nothing
    /// (`--no-cache`). `default_text_cache_path()` is the CLI's default.
    #[uniffi(default = None)]
    pub cache_path: Option<String>,
    /// Prompts per text-tower call.
    #[uniffi(default = 64)]
    pub batch_size: u32,
    /// On-disk dtype of the pack's embeddings; `None`: the sdk's default (f16, as the CLI).
    #[uniffi(default = None)]
    pub embedding_dtype: Option<EmbeddingDType>,
    /// Packs with at least this many labels get an HNSW graph; smaller ones are searched exactly.
    #[uniffi(default = 5000)]
    pub hnsw_min_labels: u32,
    /// Sign the pack with this Ed25519 private key file (from `pelabel keygen`).
    #[uniffi(default = None)]
    pub signing_key_path: Option<String>,
}

impl CompileOptions {
    /// The cache handle, opened when a path is given.
    fn cache(&self) -> Result<Option<pelabel::TextCache>> {
        Ok(self.cache_path.as_deref().map(|p| pelabel::TextCache::open(Path::new(p))).transpose()?)
    }

    /// The sdk's options over `cache`.
    fn sdk<'a>(&self, cache: Option<&'a pelabel::TextCache>) -> pelabel::CompileOptions<'a> {
        let mut o = pelabel::CompileOptions { cache, batch_size: size(self.batch_size), ..Default::default() };
        o.embedding_dtype = self.embedding_dtype.map_or(o.embedding_dtype, Into::into);
        o.index.hnsw_min_labels = size(self.hnsw_min_labels);
        o
    }
}

impl From<EmbeddingDType> for pelabel::EmbeddingDType {
    fn from(d: EmbeddingDType) -> Self {
        match d {
            EmbeddingDType::F16 => Self::F16,
            EmbeddingDType::F32 => Self::F32,
        }
    }
}

/// What a compile did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CompileReport {
    /// Labels in the pack.
    pub labels: u64,
    /// Prompts over all labels (with repeats).
    pub prompts: u64,
    /// Distinct prompts after cleaning.
    pub unique_prompts: u64,
    /// Distinct prompts found in the cache.
    pub cache_hits: u64,
    /// Distinct prompts run through the text tower.
    pub embedded: u64,
    /// Text-tower calls.
    pub batches: u64,
    /// Size of the pack file written.
    pub file_bytes: u64,
}

/// The sdk's default [`CompileOptions`] (`pelabel compile`'s, with no cache).
#[uniffi::export]
pub fn default_compile_options() -> CompileOptions {
    let sdk = pelabel::CompileOptions::default();
    CompileOptions {
        cache_path: None,
        batch_size: count(sdk.batch_size),
        embedding_dtype: None,
        hnsw_min_labels: count(sdk.index.hnsw_min_labels),
        signing_key_path: None,
    }
}

/// Where `pelabel compile` keeps its cache by default: `$PELABEL_CACHE_DIR`,
/// `$XDG_CACHE_HOME/pelabel` or `~/.cache/pelabel`.
#[uniffi::export]
pub fn default_text_cache_path() -> String {
    pelabel::TextCache::default_path().display().to_string()
}

/// A model's text tower and tokenizer at one precision, compiling label sets into label packs.
/// Thread-safe; loads the tower once.
#[derive(Debug, uniffi::Object)]
pub struct Compiler {
    model: pelabel::PeCore,
    requested: Precision,
}

#[uniffi::export]
impl Compiler {
    /// Loads the text tower of `model_dir` (what `pelabel compile --model` takes: a `pelabel
    /// split` directory, a checkpoint directory, a weights file) at `text_precision` (`None`:
    /// f32, the CLI's default; `Int8` falls back to f32 where the CPU has no int8 kernel:
    /// [`Compiler::precision`] says which runs, and the cache keeps the two apart).
    #[uniffi::constructor]
    pub fn open(model_dir: String, text_precision: Option<Precision>) -> Result<Arc<Self>> {
        guard(|| {
            let files = pelabel::ModelFiles::discover(Path::new(&model_dir), None)?;
            let mut model = pelabel::PeCore::load(files, pelabel::Towers::Text, &pelabel::Device::Cpu)?;
            let requested = text_precision.unwrap_or(Precision::F32);
            model.set_text_precision(requested.into())?;
            Ok(Arc::new(Self { model, requested }))
        })
    }

    /// The text tower's precision asked for and in effect, and the CPU tier.
    pub fn precision(&self) -> Result<PrecisionInfo> {
        guard(|| {
            let text = self.model.text()?;
            Ok(PrecisionInfo {
                requested: self.requested,
                active: text.precision().into(),
                cpu_tier: text.cpu().tier().name().to_string(),
            })
        })
    }

    /// Fingerprint of the model; packs compiled here are for it.
    pub fn model_fingerprint(&self) -> Result<String> {
        guard(|| Ok(self.model.fingerprint()?))
    }

    /// Numbers per embedding.
    pub fn embedding_dim(&self) -> u32 {
        count(self.model.config().embed_dim())
    }

    /// Compiles the label set at `label_set_path` into the pack `output_path`, as `pelabel
    /// compile` does with the same options. Reproducible with `SOURCE_DATE_EPOCH` set.
    pub fn compile(
        &self,
        label_set_path: String,
        output_path: String,
        options: CompileOptions,
    ) -> Result<CompileReport> {
        guard(|| {
            let cache = options.cache()?;
            let key =
                options.signing_key_path.as_deref().map(|p| pelabel::read_signing_key(Path::new(p))).transpose()?;
            let (set, out) = (Path::new(&label_set_path), Path::new(&output_path));
            let (r, file_bytes) =
                pelabel::compile_label_set_file(set, &self.model, out, &options.sdk(cache.as_ref()), key)?;
            let n = |x: usize| x as u64;
            Ok(CompileReport {
                labels: n(r.labels),
                prompts: n(r.prompts),
                unique_prompts: n(r.unique_prompts),
                cache_hits: n(r.cache_hits),
                embedded: n(r.embedded),
                batches: n(r.batches),
                file_bytes,
            })
        })
    }

    /// The prompts a compile of `label_set_path` with `options` would embed (those missing from
    /// its cache), in the batches it would run: give each batch whole to `embed_prompts`.
    pub fn pending_prompt_batches(&self, label_set_path: String, options: CompileOptions) -> Result<Vec<Vec<String>>> {
        guard(|| {
            let set = pelabel::LabelSet::from_file(Path::new(&label_set_path))?;
            let cache = options.cache()?;
            Ok(pelabel::pending_prompt_batches(&set, &self.model, &options.sdk(cache.as_ref()))?)
        })
    }

    /// Raw embeddings of `prompts` as a compile computes them, in batches of `batch_size`:
    /// `prompts × embedding_dim()` little-endian f32, row-major, rows in the order given.
    pub fn embed_prompts(&self, prompts: Vec<String>, batch_size: u32) -> Result<Vec<u8>> {
        guard(|| {
            let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
            let e = pelabel::embed_prompts(&self.model, &refs, size(batch_size))?;
            Ok(e.iter().flat_map(|x| x.to_le_bytes()).collect())
        })
    }

    /// Stores embeddings from `embed_prompts` (of a compiler of the same model and precision) in
    /// the cache at `cache_path`, where a compile looks them up. `Cache` error when the bytes are
    /// not `prompts × embedding_dim()` finite f32.
    pub fn cache_embeddings(&self, cache_path: String, prompts: Vec<String>, embeddings_f32le: &[u8]) -> Result<()> {
        guard(|| {
            let cache = pelabel::TextCache::open(Path::new(&cache_path))?;
            if !embeddings_f32le.len().is_multiple_of(4) {
                let reason = format!("{} bytes of embeddings is not a whole number of f32s", embeddings_f32le.len());
                return Err(PelabelError::Cache { reason });
            }
            let e: Vec<f32> =
                embeddings_f32le.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
            Ok(pelabel::cache_prompt_embeddings(&self.model, &cache, &refs, &e)?)
        })
    }
}

// ----- evaluation (`pelabel eval`) ------------------------------------------------------------

/// How an app asks for labels in an evaluation: `pelabel eval`'s `--top-k`, `--min-score`,
/// `--min-probability` and `--candidates`, with the same defaults.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EvalSettings {
    /// Labels an app takes per image.
    #[uniffi(default = 1)]
    pub top_k: u32,
    /// Global minimum cosine score (the pack's per-label thresholds apply too).
    #[uniffi(default = None)]
    pub min_score: Option<f32>,
    /// Minimum probability (calibrated where the pack calibrates, else softmax).
    #[uniffi(default = None)]
    pub min_probability: Option<f32>,
    /// Candidates recorded per image (0: what the labeler examines for `top_k`).
    #[uniffi(default = 0)]
    pub candidates: u32,
}

impl EvalSettings {
    fn sdk(&self) -> pelabel::EvalOptions {
        pelabel::EvalOptions {
            label: pelabel::LabelOptions {
                top_k: size(self.top_k),
                min_score: self.min_score,
                min_probability: self.min_probability,
            },
            candidates: size(self.candidates),
        }
    }
}

/// One labelled image of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DatasetItem {
    /// The image file.
    pub image: String,
    /// Its true label ids.
    pub labels: Vec<String>,
}

/// The images of a labelled dataset (a folder per label, or a .json / .jsonl / .csv list), in
/// the order `pelabel eval` labels them.
#[uniffi::export]
pub fn load_dataset(path: String) -> Result<Vec<DatasetItem>> {
    guard(|| {
        let d = pelabel::Dataset::load(Path::new(&path))?;
        Ok(d.items
            .into_iter()
            .map(|i| DatasetItem { image: i.image.display().to_string(), labels: i.labels })
            .collect())
    })
}

/// Labels one dataset image for evaluation: the sdk's `EvalRecord` as JSON (an unreadable image
/// gives a record with its error, as in `pelabel eval`).
#[uniffi::export]
pub fn eval_record(labeler: Arc<crate::Labeler>, item: DatasetItem, settings: EvalSettings) -> Result<String> {
    guard(|| {
        let item = pelabel::DatasetItem { image: item.image.into(), labels: item.labels };
        let record = pelabel::eval_record(&labeler.inner, &item, &settings.sdk())?;
        Ok(record.to_json())
    })
}

/// An evaluation report: JSON (what `pelabel eval --json` prints) and the HTML page.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EvalReportOutput {
    /// The report as JSON.
    pub json: String,
    /// The self-contained HTML page, titled `title`.
    pub html: String,
}

/// The report of `pack` on records made with it by [`eval_record`] (in dataset order).
#[uniffi::export]
pub fn eval_report(
    pack: Arc<crate::LabelPack>,
    records: Vec<String>,
    settings: EvalSettings,
    title: String,
) -> Result<EvalReportOutput> {
    guard(|| {
        let records = records.iter().map(|r| pelabel::EvalRecord::from_json(r)).collect::<pelabel::Result<Vec<_>>>()?;
        let report = pelabel::EvalReport::new(&pack.inner, &records, &settings.sdk())?;
        Ok(EvalReportOutput { json: report.to_json(), html: report.to_html(&title) })
    })
}

/// `pelabel eval`'s defaults.
#[uniffi::export]
pub fn default_eval_settings() -> EvalSettings {
    let o = pelabel::EvalOptions::default();
    EvalSettings {
        top_k: count(o.label.top_k),
        min_score: o.label.min_score,
        min_probability: o.label.min_probability,
        candidates: count(o.candidates),
    }
}
