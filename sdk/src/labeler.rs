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

use serde::Serialize;

use crate::index::{AnyIndex, LabelIndex};
use crate::labelpack::Margins;
use crate::preprocess::{preprocess_frame, preprocess_image, Frame, FramePreprocessor, Image8, PreprocessConfig};
use crate::userlabels::{UserLabel, MAX_USER_LABELS};
use crate::{Device, Error, LabelPack, ModelFiles, Precision, Result, Tensor, VisionTower};

mod slot;
/// The sync primitives of [`slot`]; the loom models compile it against `loom::sync` instead.
mod sync {
    pub(super) use std::sync::{PoisonError, RwLock};
}
use slot::Slot;

/// The `logit_scale` used when neither model nor pack records one: ln(100), the fixed scale of
/// the CLIP papers' zero-shot evaluation (reference §7).
pub const DEFAULT_LOGIT_SCALE: f32 = 4.605_170_2;

/// Candidates taken from the graph of a large pack; their softmax terms are exact.
const HNSW_PROBABILITY_CANDIDATES: usize = 256;
/// Rows of a large pack sampled (evenly, fixed at load) to estimate the softmax mass of the
/// labels outside the candidates, so probabilities stay a softmax over the whole pack.
const TAIL_SAMPLE_ROWS: usize = 1024;
/// Deepest parent chain reported; deeper chains in a pack from outside are cut.
const MAX_PARENT_DEPTH: usize = 32;

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
    /// In [0, 1]: the label's calibrated probability when the pack calibrates it (`calibrated`,
    /// independent of the other labels, so several can be near 1), else its share of the
    /// softmax over the pack of `exp(logit_scale) · score`.
    pub probability: f32,
    /// Whether `probability` comes from the label's calibration ([`crate::Calibration`]).
    pub calibrated: bool,
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

/// Lookups of one pack, computed once per pack (not per frame, nor when user labels change).
#[derive(Debug)]
struct PackLookups {
    /// Ancestors of each label as row indices, nearest first (at most `MAX_PARENT_DEPTH`).
    ancestors: Vec<Vec<usize>>,
    /// Row of each label id.
    rows: HashMap<String, usize>,
    /// Evenly spaced rows for the softmax tail estimate (empty for exactly searched packs).
    tail_sample: Vec<usize>,
}

impl PackLookups {
    fn new(pack: &LabelPack) -> Self {
        let labels = &pack.meta().labels;
        let index: HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.id.as_str(), i)).collect();
        let ancestors = (0..labels.len())
            .map(|i| {
                let mut chain = Vec::new();
                let mut cur = labels[i].parent.as_deref();
                // Bounded walk: a pack from outside may carry a cycle or an absurdly deep chain.
                while let Some(p) = cur.and_then(|id| index.get(id).copied()) {
                    if p == i || chain.contains(&p) || chain.len() >= MAX_PARENT_DEPTH {
                        break;
                    }
                    chain.push(p);
                    cur = labels[p].parent.as_deref();
                }
                chain
            })
            .collect();
        let rows = labels.iter().enumerate().map(|(i, l)| (l.id.clone(), i)).collect();
        let n = labels.len();
        let tail_sample = match pack.index() {
            AnyIndex::Hnsw(_) if n > HNSW_PROBABILITY_CANDIDATES => {
                let step = (n / TAIL_SAMPLE_ROWS).max(1);
                (0..n).step_by(step).take(TAIL_SAMPLE_ROWS).collect()
            }
            _ => Vec::new(),
        };
        Self { ancestors, rows, tail_sample }
    }
}

/// A pack with the lookups labeling needs, and the user labels beside it.
#[derive(Debug)]
pub(crate) struct PackState {
    pub(crate) pack: Arc<LabelPack>,
    lookups: Arc<PackLookups>,
    /// Labels added on the device: row `pack.len() + j` is `user[j]`, searched unless the pack
    /// has its id (the pack's wins); `user_rows` holds the searched ones' rows.
    user: Arc<Vec<UserLabel>>,
    user_rows: HashMap<String, usize>,
}

impl PackState {
    pub(crate) fn new(pack: impl Into<Arc<LabelPack>>) -> Self {
        let pack: Arc<LabelPack> = pack.into();
        let lookups = Arc::new(PackLookups::new(&pack));
        Self::with_user(pack, lookups, Arc::new(Vec::new()))
    }

    /// This state's pack and lookups with other user labels (nothing of the pack recomputed).
    pub(crate) fn with_user_labels(&self, user: Arc<Vec<UserLabel>>) -> Self {
        Self::with_user(self.pack.clone(), self.lookups.clone(), user)
    }

    /// A new pack with this state's user labels.
    pub(crate) fn with_pack(&self, pack: Arc<LabelPack>) -> Self {
        let lookups = Arc::new(PackLookups::new(&pack));
        Self::with_user(pack, lookups, self.user.clone())
    }

    fn with_user(pack: Arc<LabelPack>, lookups: Arc<PackLookups>, user: Arc<Vec<UserLabel>>) -> Self {
        let n = pack.len();
        let mut user_rows = HashMap::new();
        for (j, u) in user.iter().enumerate() {
            if !lookups.rows.contains_key(&u.id) {
                user_rows.entry(u.id.clone()).or_insert(n + j);
            }
        }
        Self { pack, lookups, user, user_rows }
    }

    /// Row of a label id: the pack's, else a searched user label's.
    pub(crate) fn row(&self, id: &str) -> Option<usize> {
        self.lookups.rows.get(id).or_else(|| self.user_rows.get(id)).copied()
    }

    /// Ancestors of row `i`, nearest first.
    pub(crate) fn parents(&self, i: usize) -> Vec<LabelRef> {
        self.lookups.ancestors.get(i).map(|a| a.iter().map(|&p| self.label_ref(p)).collect()).unwrap_or_default()
    }

    /// The `k` best rows for an L2-normalised embedding: `(row, cosine, probability)`, best
    /// first. Probabilities are the softmax of `exp(logit_scale) · cosine` over the whole pack:
    /// exact for exactly searched packs; for graph-searched packs the terms of the best 256
    /// labels are exact and the rest of the pack's mass is estimated from a fixed, evenly spaced
    /// sample of rows.
    pub(crate) fn candidates(&self, embedding: &[f32], logit_scale: f32, k: usize) -> Result<Vec<(usize, f32, f32)>> {
        let n = self.pack.len();
        let pool = match self.pack.index() {
            AnyIndex::Exact(_) => n,
            AnyIndex::Hnsw(_) => HNSW_PROBABILITY_CANDIDATES.max(k).min(n),
        };
        let pack_hits = self.pack.index().search(embedding, pool)?;
        let searched = pack_hits.len();
        // Only a graph-searched pack estimates its tail, and only it needs the set of rows found
        // (an exactly searched pack would build a set of every row on every frame).
        let tail_sample = &self.lookups.tail_sample;
        let in_hits: std::collections::HashSet<usize> = if !tail_sample.is_empty() && searched < n {
            pack_hits.iter().map(|h| h.index).collect()
        } else {
            Default::default()
        };
        let mut hits: Vec<(usize, f32)> = pack_hits.iter().map(|h| (h.index, h.score)).collect();
        // User labels: few, searched exactly, in the same softmax as the pack.
        for &row in self.user_rows.values() {
            let u = &self.user[row - n];
            if u.embedding.len() == embedding.len() {
                hits.push((row, crate::index::dot(&u.embedding, embedding)));
            }
        }
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let scale = f64::from(logit_scale).exp();
        let max_logit = hits.iter().map(|h| f64::from(h.1) * scale).fold(f64::NEG_INFINITY, f64::max);
        let term = |score: f32| (f64::from(score) * scale - max_logit).exp();
        let mut denom: f64 = hits.iter().map(|h| term(h.1)).sum();
        if !tail_sample.is_empty() && searched < n {
            let d = self.pack.dim();
            let vectors = self.pack.index().vectors();
            let (mut sum, mut count) = (0f64, 0usize);
            for &row in tail_sample.iter().filter(|r| !in_hits.contains(r)) {
                if let Some(v) = vectors.get(row * d..(row + 1) * d) {
                    sum += term(crate::index::dot(v, embedding));
                    count += 1;
                }
            }
            if count > 0 {
                denom += sum / count as f64 * (n - searched) as f64;
            }
        }
        hits.truncate(k.max(1).min(hits.len()));
        Ok(hits.iter().map(|&(row, score)| (row, score, (term(score) / denom) as f32)).collect())
    }

    /// Id, name, own threshold and calibration of a row (a pack label, or a user label past the
    /// pack's rows; user labels have no calibration).
    pub(crate) fn label(&self, row: usize) -> Option<(&str, &str, Option<f32>, Option<crate::Calibration>)> {
        let labels = &self.pack.meta().labels;
        match labels.get(row) {
            Some(l) => Some((l.id.as_str(), l.name.as_str(), l.min_score, l.calibration)),
            None => self.user.get(row - labels.len()).map(|u| (u.id.as_str(), u.name.as_str(), u.min_score, None)),
        }
    }

    /// Cosine score of the label `id` (the pack's, else a searched user label's) for an
    /// L2-normalised embedding.
    pub(crate) fn score_of(&self, embedding: &[f32], id: &str) -> Option<f32> {
        let row = self.row(id)?;
        let n = self.pack.len();
        let v = if row < n {
            let d = self.pack.dim();
            self.pack.index().vectors().get(row * d..(row + 1) * d)?
        } else {
            self.user.get(row - n)?.embedding.as_slice()
        };
        (v.len() == embedding.len()).then(|| crate::index::dot(v, embedding))
    }

    /// Ranks the labels for an L2-normalised embedding: the `k` best, thresholds ignored.
    pub(crate) fn rank(&self, embedding: &[f32], logit_scale: f32, k: usize) -> Result<Vec<ScoredLabel>> {
        let candidates = self.candidates(embedding, logit_scale, k.max(2))?;
        let margins = Margins::of(candidates.iter().map(|c| c.1));
        let mut out = Vec::new();
        for (i, &(row, score, softmax)) in candidates.iter().enumerate().take(k) {
            if let Some(scored) = self.scored(row, score, softmax, margins.at(i, score)) {
                out.push(scored);
            }
        }
        Ok(out)
    }

    fn scored(&self, row: usize, score: f32, softmax: f32, margin: f32) -> Option<ScoredLabel> {
        let (id, name, _, calibration) = self.label(row)?;
        Some(ScoredLabel {
            id: id.to_string(),
            name: name.to_string(),
            score,
            probability: calibration.map_or(softmax, |c| c.probability(score, margin)),
            calibrated: calibration.is_some(),
            parents: self.parents(row),
        })
    }

    fn label_ref(&self, i: usize) -> LabelRef {
        let l = &self.pack.meta().labels[i];
        LabelRef { id: l.id.clone(), name: l.name.clone() }
    }

    /// Scores an L2-normalised image embedding against the pack.
    pub(crate) fn score(&self, embedding: &[f32], logit_scale: f32, options: &LabelOptions) -> Result<LabelOutcome> {
        let global = options.min_score.unwrap_or(f32::NEG_INFINITY);
        let min_p = options.min_probability.unwrap_or(0.0);
        // The best label is only reported when nothing passes: kept as its row until then, so a
        // recognised frame builds each reported label once.
        let mut best = None;
        let mut out = Vec::new();
        let candidates = self.candidates(embedding, logit_scale, candidates_examined(options.top_k))?;
        let margins = Margins::of(candidates.iter().map(|c| c.1));
        for (i, &(row, score, softmax)) in candidates.iter().enumerate() {
            let Some((_, _, min_score, calibration)) = self.label(row) else { continue };
            let margin = margins.at(i, score);
            best.get_or_insert((row, score, softmax, margin));
            if out.len() >= options.top_k {
                break;
            }
            let probability = calibration.map_or(softmax, |c| c.probability(score, margin));
            if passes(score, probability, min_score, global, min_p) {
                out.extend(self.scored(row, score, softmax, margin));
            }
        }
        Ok(if out.is_empty() {
            LabelOutcome::NothingRecognised { best: best.and_then(|(row, s, p, m)| self.scored(row, s, p, m)) }
        } else {
            LabelOutcome::Recognised { labels: out }
        })
    }
}

/// How many of the best labels [`Labeler`] examines for `top_k` labels: thresholds may skip some
/// of the best, so it looks further than `top_k`. Evaluation records this many candidates per
/// image so that it can apply the same rule.
pub(crate) fn candidates_examined(top_k: usize) -> usize {
    top_k.saturating_mul(4).max(32)
}

/// Whether a candidate is reported: its cosine reaches the global threshold and its own, and
/// its probability (calibrated, or softmax) reaches `min_probability`. The one rule of
/// [`Labeler`] and of evaluation (`crate::eval`).
pub(crate) fn passes(score: f32, probability: f32, min_score: Option<f32>, global: f32, min_probability: f32) -> bool {
    score >= global.max(min_score.unwrap_or(f32::NEG_INFINITY)) && probability >= min_probability
}

fn check_dim(pack: &LabelPack, dim: usize) -> Result<()> {
    if pack.dim() != dim {
        return Err(Error::DimensionMismatch { expected: dim, found: pack.dim() });
    }
    Ok(())
}

/// Most image-tower threads a [`Labeler`] accepts ([`LabelerOptions::threads`]). Each one is an
/// OS thread with its own stack; more than the largest servers' core counts only costs memory.
pub const MAX_THREADS: usize = 256;

/// Session settings of a [`Labeler`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelerOptions {
    /// Threads for the image tower; `None` uses every core. At most [`MAX_THREADS`]; 0 means 1.
    pub threads: Option<usize>,
}

impl LabelerOptions {
    /// Fails with [`Error::LimitExceeded`] when `threads` is above [`MAX_THREADS`].
    fn check(&self) -> Result<()> {
        match self.threads {
            Some(n) if n > MAX_THREADS => Err(Error::LimitExceeded {
                source_name: "LabelerOptions::threads".into(),
                what: "image-tower threads",
                found: n as u64,
                limit: MAX_THREADS as u64,
                setting: "fixed: pelabel::MAX_THREADS",
            }),
            _ => Ok(()),
        }
    }
}

/// An image-tower session labeling images against a label pack.
pub struct Labeler {
    vision: VisionTower,
    fingerprint: String,
    logit_scale: Option<f32>,
    preprocess: PreprocessConfig,
    pack: Slot<PackState>,
    /// The user labels beside the pack. Its lock also orders the edits of `pack` (a swap and a
    /// user-label change each rebuild the pack state from the other's current value).
    user: std::sync::Mutex<Arc<Vec<UserLabel>>>,
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
    /// The pack may be shared (`Arc<LabelPack>`) with other sessions.
    pub fn new(model: &ModelFiles, pack: impl Into<Arc<LabelPack>>, options: &LabelerOptions) -> Result<Self> {
        options.check()?;
        let pack: Arc<LabelPack> = pack.into();
        let device = Device::Cpu;
        let fingerprint = model.fingerprint()?;
        pack.check_model(&fingerprint)?;
        check_dim(&pack, model.config.embed_dim())?;
        let (vision, logit_scale) = crate::model::load_vision(model, &device)?;
        Self::build(vision, logit_scale, fingerprint, pack, options, device)
    }

    /// Like [`Labeler::new`], from memory: the bytes of an `image-tower.safetensors` written by
    /// `pelabel split` (which records the model fingerprint) and the text of its `config.json`.
    /// For apps that ship or download the model as data rather than files.
    pub fn from_bytes(
        image_tower: Vec<u8>,
        config_json: &str,
        pack: impl Into<Arc<LabelPack>>,
        options: &LabelerOptions,
    ) -> Result<Self> {
        options.check()?;
        let pack: Arc<LabelPack> = pack.into();
        let device = Device::Cpu;
        let (vision, logit_scale, fingerprint) =
            crate::model::load_vision_from_bytes(image_tower, config_json, &device)?;
        pack.check_model(&fingerprint)?;
        Self::build(vision, logit_scale, fingerprint, pack, options, device)
    }

    fn build(
        vision: VisionTower,
        logit_scale: Option<f32>,
        fingerprint: String,
        pack: Arc<LabelPack>,
        options: &LabelerOptions,
        device: Device,
    ) -> Result<Self> {
        options.check()?;
        check_dim(&pack, vision.config().output_dim)?;
        let size = u32::try_from(vision.config().image_size)
            .map_err(|_| Error::Config { path: None, reason: "image size does not fit in u32".into() })?;
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
            pack: Slot::new(Arc::new(PackState::new(pack))),
            user: std::sync::Mutex::new(Arc::new(Vec::new())),
            pool,
            frames: std::sync::Mutex::new(None),
            device,
        })
    }

    /// Selects the arithmetic of the image tower's matrix products (see [`Precision`]); call it
    /// before sharing the labeler. Returns the precision in effect: `Int8` falls back to `F32` on
    /// CPUs without its kernel (x86-64 without AVX512_VNNI, aarch64 without FEAT_DotProd), `Bf16`
    /// on CPUs without AVX512_BF16 (every aarch64 CPU).
    pub fn set_precision(&mut self, precision: Precision) -> Precision {
        self.vision.set_precision(precision)
    }

    /// Runs the image tower at `cpu`'s tier (a lowered [`crate::Cpu::detect`]; the default is
    /// [`crate::Cpu::from_env`]). Returns the precision in effect, which falls back to `F32` when
    /// the tier cannot run the one selected.
    pub fn set_cpu(&mut self, cpu: crate::Cpu) -> Precision {
        self.vision.set_cpu(cpu)
    }

    /// The image tower's precision in effect.
    pub fn precision(&self) -> Precision {
        self.vision.precision()
    }

    /// The compute tier the image tower runs at.
    pub fn cpu(&self) -> crate::Cpu {
        self.vision.cpu()
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
    pub fn swap_pack(&self, pack: impl Into<Arc<LabelPack>>) -> Result<()> {
        let pack: Arc<LabelPack> = pack.into();
        pack.check_model(&self.fingerprint)?;
        check_dim(&pack, self.vision.config().output_dim)?;
        // The user labels stay beside the new pack.
        // The lock orders this swap with user-label edits, so neither loses the other's change.
        let user = self.user.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.pack.swap(Arc::new(self.pack.load().with_pack(pack)));
        drop(user);
        // Freed here (or by the last call still labelling with it), outside the slot's lock.
        drop(old);
        Ok(())
    }

    /// Adds a label typed on the device (from [`crate::TextEncoder::user_label`], of this
    /// labeler's model), or replaces the user label with the same id. It is searched beside the
    /// pack from the next call on, kept across [`Labeler::swap_pack`], never written into a pack.
    /// A pack label with the same id wins while that pack is in use.
    ///
    /// Errors: [`Error::InvalidUserLabel`] (see [`UserLabel::checked`]), [`Error::LimitExceeded`]
    /// past [`MAX_USER_LABELS`].
    pub fn add_user_label(&self, label: UserLabel) -> Result<()> {
        let label = label.checked(self.vision.config().output_dim)?;
        let mut user = self.user.lock().unwrap_or_else(|e| e.into_inner());
        let mut next: Vec<UserLabel> = user.iter().filter(|u| u.id != label.id).cloned().collect();
        if next.len() >= MAX_USER_LABELS {
            return Err(Error::LimitExceeded {
                source_name: format!("user label {:?}", label.id),
                what: "user labels",
                found: next.len() as u64 + 1,
                limit: MAX_USER_LABELS as u64,
                setting: "fixed: pelabel::MAX_USER_LABELS",
            });
        }
        next.push(label);
        *user = Arc::new(next);
        self.pack.swap(Arc::new(self.pack.load().with_user_labels(user.clone())));
        Ok(())
    }

    /// Removes the user label `id`; false when there was none.
    pub fn remove_user_label(&self, id: &str) -> bool {
        let mut user = self.user.lock().unwrap_or_else(|e| e.into_inner());
        if !user.iter().any(|u| u.id == id) {
            return false;
        }
        *user = Arc::new(user.iter().filter(|u| u.id != id).cloned().collect());
        self.pack.swap(Arc::new(self.pack.load().with_user_labels(user.clone())));
        true
    }

    /// The user labels, in the order they were added.
    pub fn user_labels(&self) -> Vec<UserLabel> {
        self.user.lock().unwrap_or_else(|e| e.into_inner()).as_ref().clone()
    }

    /// The current pack with its lookups (one consistent snapshot).
    pub(crate) fn pack_state(&self) -> Arc<PackState> {
        self.pack.load()
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
        let state = self.pack.load();
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
                    None => guard.insert(FramePreprocessor::new(self.preprocess)?),
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

    /// The L2-normalised embedding of a decoded image (preprocessed as [`Labeler::label_image`]
    /// does).
    pub fn embed_image(&self, image: &Image8) -> Result<Vec<f32>> {
        let pixels = preprocess_image(image, &self.preprocess, &self.device)?;
        self.embed_pixels(&pixels)
    }

    /// The `top_k` best labels of the current pack (and user labels) for an L2-normalised
    /// embedding, best first, whatever their thresholds: what evaluation and debugging look at.
    pub fn rank_embedding(&self, embedding: &[f32], top_k: usize) -> Result<Vec<ScoredLabel>> {
        let state = self.pack.load();
        state.rank(embedding, self.logit_scale_for(&state), top_k)
    }

    /// The cosine score of label `id` (of the pack, else a user label) for an L2-normalised
    /// embedding; `None` when no searched label has that id.
    pub fn label_score(&self, embedding: &[f32], id: &str) -> Option<f32> {
        self.pack.load().score_of(embedding, id)
    }

    /// The current pack state (one snapshot), for evaluation.
    pub(crate) fn state(&self) -> Arc<PackState> {
        self.pack.load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::HnswOptions;
    use crate::{EmbeddingDType, IndexOptions, PackLabel, PackLabelSet, PackMeta};

    fn pack(n: usize, dim: usize, hnsw_min_labels: usize, parent_chain: bool) -> LabelPack {
        let mut seed = 42u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        // Clustered like label embeddings: a shared direction plus noise.
        let common: Vec<f32> = (0..dim).map(|_| next()).collect();
        let v: Vec<f32> = (0..n * dim).map(|i| common[i % dim] * 2.0 + next()).collect();
        let meta = PackMeta {
            model_fingerprint: "00".repeat(32),
            label_set: PackLabelSet { name: "t".into(), version: "1.0.0".into(), description: None },
            created_unix_s: 0,
            created_by: "test".into(),
            dim,
            embedding_dtype: EmbeddingDType::F32,
            logit_scale: None,
            labels: (0..n)
                .map(|i| PackLabel {
                    id: format!("l{i}"),
                    name: format!("l{i}"),
                    parent: (parent_chain && i > 0).then(|| format!("l{}", i - 1)),
                    min_score: None,
                    synonyms: vec![],
                    prompts: vec![],
                    calibration: None,
                })
                .collect(),
        };
        let opts = IndexOptions { hnsw_min_labels, hnsw: HnswOptions::default() };
        LabelPack::new(meta, v, &opts).unwrap()
    }

    fn exact_probabilities(p: &LabelPack, q: &[f32], scale: f32) -> Vec<f64> {
        let d = p.dim();
        let logits: Vec<f64> = p
            .index()
            .vectors()
            .chunks(d)
            .map(|r| f64::from(r.iter().zip(q).map(|(a, b)| a * b).sum::<f32>()) * f64::from(scale).exp())
            .collect();
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = logits.iter().map(|l| (l - max).exp()).sum();
        logits.iter().map(|l| (l - max).exp() / sum).collect()
    }

    #[test]
    fn probabilities_are_a_softmax_over_the_whole_pack() {
        let scale = DEFAULT_LOGIT_SCALE;
        for (hnsw_min, kind) in [(usize::MAX, "exact"), (1000, "hnsw")] {
            let p = pack(4000, 32, hnsw_min, false);
            assert_eq!(p.index_kind(), kind);
            let state = PackState::new(p);
            for row in [3usize, 1234, 3999] {
                let q = state.pack.embedding(row).unwrap().to_vec();
                let exact = exact_probabilities(&state.pack, &q, scale);
                let got = state.candidates(&q, scale, 5).unwrap();
                assert_eq!(got.len(), 5);
                for (i, s, prob) in got {
                    let rel = (f64::from(prob) - exact[i]).abs() / exact[i];
                    let tol = if kind == "exact" { 1e-4 } else { 0.1 };
                    assert!(rel < tol, "{kind} row {row}: label {i} (cos {s}) p {prob} vs {}", exact[i]);
                }
            }
        }
    }

    #[test]
    fn threads_above_the_cap_are_a_typed_error_before_loading() {
        // Finding 6 of issue 9: `threads` was unbounded (a million OS threads on request).
        let opts = LabelerOptions { threads: Some(1_000_000) };
        let err = Labeler::from_bytes(Vec::new(), "{}", pack(3, 16, usize::MAX, false), &opts).unwrap_err();
        match &err {
            Error::LimitExceeded { source_name, found, limit, .. } => {
                assert_eq!((source_name.as_str(), *found, *limit), ("LabelerOptions::threads", 1_000_000, 256));
            }
            other => panic!("{other:?}"),
        }
        // At the cap the options pass; the empty model is what fails then.
        let opts = LabelerOptions { threads: Some(MAX_THREADS) };
        let err = Labeler::from_bytes(Vec::new(), "{}", pack(3, 16, usize::MAX, false), &opts).unwrap_err();
        assert!(!matches!(err, Error::LimitExceeded { .. }), "{err:?}");
    }

    /// A random checkpoint of the tiny test config in `dir/full`, split (f32) into `dir/split`.
    fn split_tiny_checkpoint() -> (tempfile::TempDir, crate::PeCoreConfig, std::path::PathBuf, crate::SplitReport) {
        let dir = tempfile::tempdir().unwrap();
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pe-core/tiny");
        let cfg = crate::PeCoreConfig::from_file(&fixture.join("config.json")).unwrap();
        crate::write_random_checkpoint(&cfg, false, 3, &dir.path().join("full")).unwrap();
        let full = ModelFiles::discover(&dir.path().join("full"), None).unwrap();
        let split = dir.path().join("split");
        let report = crate::split_checkpoint(&full, &split, crate::StorageDType::F32).unwrap();
        (dir, cfg, split, report)
    }

    #[test]
    fn from_bytes_labels_like_from_files() {
        let (dir, cfg, split, report) = split_tiny_checkpoint();
        let model = ModelFiles::discover(&split, None).unwrap();
        let mut p = pack(12, cfg.embed_dim(), usize::MAX, false);
        let mut meta = p.meta().clone();
        meta.model_fingerprint = report.fingerprint.clone();
        let vectors = p.index().vectors().to_vec();
        p = LabelPack::new(meta, vectors, &IndexOptions::default()).unwrap();
        let reload = || LabelPack::from_bytes(&p.to_bytes(&Default::default()).unwrap(), &Default::default()).unwrap();
        let tower = std::fs::read(split.join(crate::IMAGE_TOWER_FILE)).unwrap();
        let json = std::fs::read_to_string(split.join(crate::CONFIG_FILE)).unwrap();
        let opts = LabelerOptions { threads: Some(1) };
        let from_files = Labeler::new(&model, reload(), &opts).unwrap();
        let from_bytes = Labeler::from_bytes(tower.clone(), &json, reload(), &opts).unwrap();
        assert_eq!(from_bytes.fingerprint(), report.fingerprint);
        let img = Image8::from_raw(40, 30, crate::PixelLayout::Rgb, (0..3600).map(|i| (i * 7 % 251) as u8).collect())
            .unwrap();
        let o = LabelOptions { top_k: 3, ..Default::default() };
        assert_eq!(from_files.label_image(&img, &o).unwrap(), from_bytes.label_image(&img, &o).unwrap());

        // The fingerprint is required, the bytes must be safetensors, the pack must match.
        let full_bytes = std::fs::read(dir.path().join("full/model.safetensors")).unwrap();
        let err = Labeler::from_bytes(full_bytes, &json, reload(), &opts).unwrap_err();
        assert!(matches!(err, Error::Checkpoint { .. }), "{err:?}");
        let err = Labeler::from_bytes(tower[..tower.len() / 2].to_vec(), &json, reload(), &opts).unwrap_err();
        assert!(matches!(err, Error::Checkpoint { .. }), "{err:?}");
        let err = Labeler::from_bytes(vec![1, 2, 3], &json, reload(), &opts).unwrap_err();
        assert!(matches!(err, Error::Checkpoint { .. }), "{err:?}");
        let err = Labeler::from_bytes(tower.clone(), "{", reload(), &opts).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        let err = Labeler::from_bytes(tower, &json, pack(12, cfg.embed_dim(), usize::MAX, false), &opts).unwrap_err();
        assert!(matches!(err, Error::ModelMismatch { .. }), "{err:?}");
    }

    /// Found by the `safetensors` fuzz target (issue 9): an image tower whose `logit_scale` was
    /// NaN, infinite or huge (f16 65504) loaded, and every probability it produced was NaN.
    #[test]
    fn hostile_logit_scale_in_the_image_tower_is_refused() {
        let (_dir, cfg, split, report) = split_tiny_checkpoint();
        let tower = std::fs::read(split.join(crate::IMAGE_TOWER_FILE)).unwrap();
        let json = std::fs::read_to_string(split.join(crate::CONFIG_FILE)).unwrap();
        // Where the f32 `logit_scale` value sits in the file.
        let header_len = u64::from_le_bytes(tower[..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&tower[8..8 + header_len]).unwrap();
        let at = 8 + header_len + header["logit_scale"]["data_offsets"][0].as_u64().unwrap() as usize;
        let mut p = pack(4, cfg.embed_dim(), usize::MAX, false);
        let mut meta = p.meta().clone();
        meta.model_fingerprint = report.fingerprint.clone();
        let vectors = p.index().vectors().to_vec();
        p = LabelPack::new(meta, vectors, &IndexOptions::default()).unwrap();
        let p = Arc::new(p);
        let opts = LabelerOptions { threads: Some(1) };
        let with_scale = |v: f32| {
            let mut t = tower.clone();
            t[at..at + 4].copy_from_slice(&v.to_le_bytes());
            Labeler::from_bytes(t, &json, p.clone(), &opts)
        };
        for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let err = with_scale(v).unwrap_err();
            assert!(matches!(&err, Error::NonFiniteWeights { key, .. } if key == "logit_scale"), "{v}: {err:?}");
        }
        for v in [65504.0, 1e30, -101.0] {
            let err = with_scale(v).unwrap_err();
            assert!(matches!(&err, Error::Checkpoint { reason, .. } if reason.contains("logit_scale")), "{v}: {err:?}");
        }
        // At the limit it loads, and probabilities stay finite.
        let labeler = with_scale(100.0).unwrap();
        let img =
            Image8::from_raw(8, 8, crate::PixelLayout::Rgb, (0..192).map(|i| (i * 7 % 251) as u8).collect()).unwrap();
        let out = labeler.label_image(&img, &LabelOptions { top_k: 4, min_score: Some(-1.0), ..Default::default() });
        let LabelOutcome::Recognised { labels } = out.unwrap() else { panic!("nothing recognised at min_score -1") };
        assert!(labels.iter().all(|l| l.probability.is_finite()), "{labels:?}");
    }

    #[test]
    fn deep_parent_chains_are_bounded() {
        let state = PackState::new(pack(3000, 8, usize::MAX, true));
        assert_eq!(state.parents(2999).len(), MAX_PARENT_DEPTH);
        assert_eq!(state.parents(2999)[0].id, "l2998");
        assert!(state.parents(0).is_empty());
    }
}
