//! On-device labeling: an image-tower session that scores images and camera frames against a
//! label pack, with thresholds, probabilities, parents, and hot-swappable packs.
//!
//! A [`Labeler`] is built once from an image tower and a pack made for the same model (their
//! fingerprints must agree). [`Labeler::label_image`] / [`Labeler::label_pixels`] /
//! [`Labeler::label_embedding`] return a [`LabelOutcome`]: the top-k labels with cosine score and
//! probability, or an explicit [`LabelOutcome::NothingRecognised`] when no label passes its
//! threshold. [`Labeler::swap_pack`] replaces the pack atomically while other threads label: each
//! call works on one pack snapshot from start to end.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::index::{AnyIndex, LabelIndex};
use crate::preprocess::{preprocess_frame, preprocess_image, Frame, FramePreprocessor, Image8, PreprocessConfig};
use crate::{Device, Error, LabelPack, ModelFiles, Result, Tensor, VisionTower};

/// The `logit_scale` used when neither model nor pack records one: ln(100), the fixed scale of
/// the CLIP papers' zero-shot evaluation (reference §7).
pub const DEFAULT_LOGIT_SCALE: f32 = 4.605_170_2;

/// Candidates scored for probabilities when the pack is searched with a graph; the softmax
/// denominator over the rest of a large pack is negligible at CLIP's temperature.
const HNSW_PROBABILITY_CANDIDATES: usize = 256;

/// Per-call labeling settings.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LabelOptions {
    /// Maximum number of labels returned.
    pub top_k: usize,
    /// Global minimum cosine score; a label must also pass its own `min_score` from the pack.
    pub min_score: Option<f32>,
    /// Minimum probability (softmax over the pack).
    pub min_probability: Option<f32>,
}

impl Default for LabelOptions {
    fn default() -> Self {
        Self { top_k: 5, min_score: None, min_probability: None }
    }
}

/// A label reference (id and display name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelRef {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// One recognised label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredLabel {
    /// Stable id from the label set.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Cosine similarity of image and label embeddings, in [-1, 1].
    pub score: f32,
    /// Softmax over the pack of `exp(logit_scale) · score`, in [0, 1].
    pub probability: f32,
    /// The label's ancestors, nearest first (`golden retriever` → `dog`, `animal`).
    pub parents: Vec<LabelRef>,
}

/// The result of labeling one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LabelOutcome {
    /// At least one label passed its threshold; best first.
    Recognised {
        /// The labels, best first, at most `top_k`.
        labels: Vec<ScoredLabel>,
    },
    /// No label passed its threshold.
    NothingRecognised {
        /// The best label anyway, for display or debugging.
        best: Option<ScoredLabel>,
    },
}

impl LabelOutcome {
    /// The recognised labels (empty when nothing was recognised).
    pub fn labels(&self) -> &[ScoredLabel] {
        match self {
            Self::Recognised { labels } => labels,
            Self::NothingRecognised { .. } => &[],
        }
    }
}

/// A pack with the lookups labeling needs, computed once per pack (not per frame).
#[derive(Debug)]
pub(crate) struct PackState {
    pub(crate) pack: Arc<LabelPack>,
    /// Ancestors of each label as row indices, nearest first.
    ancestors: Vec<Vec<usize>>,
}

impl PackState {
    pub(crate) fn new(pack: LabelPack) -> Self {
        let labels = &pack.meta().labels;
        let index: HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.id.as_str(), i)).collect();
        let ancestors = (0..labels.len())
            .map(|i| {
                let mut chain = Vec::new();
                let mut cur = labels[i].parent.as_deref();
                // Bounded walk: a pack from outside may carry a cycle.
                while let Some(p) = cur.and_then(|id| index.get(id).copied()) {
                    if chain.contains(&p) || p == i || chain.len() >= labels.len() {
                        break;
                    }
                    chain.push(p);
                    cur = labels[p].parent.as_deref();
                }
                chain
            })
            .collect();
        Self { pack: Arc::new(pack), ancestors }
    }

    /// Ancestors of row `i`, nearest first.
    pub(crate) fn parents(&self, i: usize) -> Vec<LabelRef> {
        self.ancestors.get(i).map(|a| a.iter().map(|&p| self.label_ref(p)).collect()).unwrap_or_default()
    }

    /// The `k` best rows for an L2-normalised embedding: `(row, cosine, probability)`, best
    /// first. Probabilities are the softmax over the whole pack for exact packs, and over the
    /// best candidates for graph-searched packs.
    pub(crate) fn candidates(&self, embedding: &[f32], logit_scale: f32, k: usize) -> Result<Vec<(usize, f32, f32)>> {
        let n = self.pack.len();
        let pool = match self.pack.index() {
            AnyIndex::Exact(_) => n,
            AnyIndex::Hnsw(_) => HNSW_PROBABILITY_CANDIDATES.max(k).min(n),
        };
        let hits = self.pack.index().search(embedding, pool)?;
        let scale = logit_scale.exp();
        let max_logit = hits.iter().map(|h| h.score * scale).fold(f32::NEG_INFINITY, f32::max);
        let denom: f64 = hits.iter().map(|h| f64::from(h.score * scale - max_logit).exp()).sum();
        Ok(hits
            .iter()
            .map(|h| (h.index, h.score, (f64::from(h.score * scale - max_logit).exp() / denom) as f32))
            .collect())
    }

    fn label_ref(&self, i: usize) -> LabelRef {
        let l = &self.pack.meta().labels[i];
        LabelRef { id: l.id.clone(), name: l.name.clone() }
    }

    /// Scores an L2-normalised image embedding against the pack.
    pub(crate) fn score(&self, embedding: &[f32], logit_scale: f32, options: &LabelOptions) -> Result<LabelOutcome> {
        let global = options.min_score.unwrap_or(f32::NEG_INFINITY);
        let min_p = options.min_probability.unwrap_or(0.0);
        let labels = &self.pack.meta().labels;
        let mut best = None;
        let mut out = Vec::new();
        for (row, score, probability) in self.candidates(embedding, logit_scale, options.top_k)? {
            let l = &labels[row];
            let scored = || ScoredLabel {
                id: l.id.clone(),
                name: l.name.clone(),
                score,
                probability,
                parents: self.parents(row),
            };
            if best.is_none() {
                best = Some(scored());
            }
            if out.len() >= options.top_k {
                break;
            }
            let threshold = global.max(l.min_score.unwrap_or(f32::NEG_INFINITY));
            if score >= threshold && probability >= min_p {
                out.push(scored());
            }
        }
        Ok(if out.is_empty() {
            LabelOutcome::NothingRecognised { best }
        } else {
            LabelOutcome::Recognised { labels: out }
        })
    }
}

/// Session settings of a [`Labeler`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelerOptions {
    /// Threads for the image tower; `None` uses every core.
    pub threads: Option<usize>,
}

/// An image-tower session labeling images against a label pack.
pub struct Labeler {
    vision: VisionTower,
    fingerprint: String,
    logit_scale: Option<f32>,
    preprocess: PreprocessConfig,
    pack: ArcSwap<PackState>,
    pool: Option<rayon::ThreadPool>,
    frames: std::sync::Mutex<Option<FramePreprocessor>>,
    device: Device,
}

impl std::fmt::Debug for Labeler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Labeler").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

impl Labeler {
    /// Loads the image tower of `model` (a `pelabel split` directory or any model path) and binds
    /// `pack` to it. Fails with [`Error::ModelMismatch`] when the pack was made for another model.
    pub fn new(model: &ModelFiles, pack: LabelPack, options: &LabelerOptions) -> Result<Self> {
        let device = Device::Cpu;
        let fingerprint = model.fingerprint()?;
        pack.check_model(&fingerprint)?;
        let (vision, logit_scale) = crate::model::load_vision(model, &device)?;
        let size = u32::try_from(model.config.vision.image_size).map_err(|_| Error::Config {
            path: model.config_path.clone(),
            reason: "image size does not fit in u32".into(),
        })?;
        let pool = match options.threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .thread_name(|i| format!("pelabel-tower-{i}"))
                    .build()
                    .map_err(|e| Error::Config { path: None, reason: format!("thread pool: {e}") })?,
            ),
            None => None,
        };
        Ok(Self {
            vision,
            fingerprint,
            logit_scale,
            preprocess: PreprocessConfig::pe_core(size),
            pack: ArcSwap::from_pointee(PackState::new(pack)),
            pool,
            frames: std::sync::Mutex::new(None),
            device,
        })
    }

    /// The model fingerprint this session accepts packs for.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The input preprocessing (square `image_size`, mean/std 0.5).
    pub fn preprocess_config(&self) -> &PreprocessConfig {
        &self.preprocess
    }

    /// The current pack (a snapshot; a later swap does not change it).
    pub fn pack(&self) -> Arc<LabelPack> {
        self.pack.load().pack.clone()
    }

    /// Replaces the label pack atomically. Calls already running finish with the old pack; the
    /// next call sees the new one. Fails (keeping the old pack) when the pack is for another model.
    pub fn swap_pack(&self, pack: LabelPack) -> Result<()> {
        pack.check_model(&self.fingerprint)?;
        self.pack.store(Arc::new(PackState::new(pack)));
        Ok(())
    }

    /// The current pack with its lookups (one consistent snapshot).
    pub(crate) fn pack_state(&self) -> Arc<PackState> {
        self.pack.load_full()
    }

    /// The `logit_scale` for probabilities: the model's, else the pack's, else ln 100.
    pub(crate) fn logit_scale_for(&self, state: &PackState) -> f32 {
        self.logit_scale.or(state.pack.meta().logit_scale).unwrap_or(DEFAULT_LOGIT_SCALE)
    }

    /// Runs the image tower on preprocessed pixels `[3, S, S]` (or `[1, 3, S, S]`) and returns
    /// the L2-normalised embedding.
    pub fn embed_pixels(&self, pixels: &Tensor) -> Result<Vec<f32>> {
        let pixels = if pixels.rank() == 3 { pixels.unsqueeze(0)? } else { pixels.clone() };
        let run = || -> Result<Vec<f32>> {
            let e = crate::l2_normalize(&self.vision.encode(&pixels)?)?;
            Ok(e.flatten_all()?.to_vec1::<f32>()?)
        };
        match &self.pool {
            Some(pool) => pool.install(run),
            None => run(),
        }
    }

    /// Scores an L2-normalised embedding against the current pack.
    pub fn label_embedding(&self, embedding: &[f32], options: &LabelOptions) -> Result<LabelOutcome> {
        let state = self.pack.load();
        state.score(embedding, self.logit_scale_for(&state), options)
    }

    /// Labels preprocessed pixels `[3, S, S]`.
    pub fn label_pixels(&self, pixels: &Tensor, options: &LabelOptions) -> Result<LabelOutcome> {
        // One pack snapshot for the whole call, taken before inference so the outcome belongs to
        // exactly one pack.
        let state = self.pack.load_full();
        let embedding = self.embed_pixels(pixels)?;
        state.score(&embedding, self.logit_scale_for(&state), options)
    }

    /// Labels a raw camera frame (BGRA, RGBA, NV12 with strides, orientation and ROI).
    pub fn label_frame(&self, frame: &Frame, options: &LabelOptions) -> Result<LabelOutcome> {
        // Reuse the resize plans of the previous frame when no other thread holds them; a
        // concurrent caller builds its own instead of waiting.
        let pixels = match self.frames.try_lock() {
            Ok(mut guard) => {
                let pre = match guard.as_mut() {
                    Some(p) => p,
                    None => guard.insert(FramePreprocessor::new(self.preprocess.clone())?),
                };
                pre.preprocess(frame, &self.device)?
            }
            Err(_) => preprocess_frame(frame, &self.preprocess, &self.device)?,
        };
        self.label_pixels(&pixels, options)
    }

    /// Labels a decoded image (see [`crate::decode_image_file`]).
    pub fn label_image(&self, image: &Image8, options: &LabelOptions) -> Result<LabelOutcome> {
        let pixels = preprocess_image(image, &self.preprocess, &self.device)?;
        self.label_pixels(&pixels, options)
    }
}
