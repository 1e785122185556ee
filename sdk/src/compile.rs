//! Compiling a label set into a label pack: prompts → text tower (through the persistent cache)
//! → prompt ensembling → [`LabelPack`].
//!
//! Prompt ensembling is the standard zero-shot recipe (reference §7): embed every prompt of a
//! label, L2-normalise each, average, L2-normalise again. Prompts are deduplicated across labels
//! by their cleaned text (what the tokenizer actually sees), looked up in the [`TextCache`] under
//! the model fingerprint (and the text tower's precision, when not f32), and only the misses run
//! through the text tower. Prompts go through in windows of [`WINDOW`]: looked up in the cache,
//! tokenised on every thread, sorted by length and embedded in batches (each batch runs to its own
//! longest prompt), each embedding added to its labels' sums and dropped, so memory is bounded by
//! the window and the labels, not by the number of prompts.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use rayon::prelude::*;

use crate::index::IndexOptions;
use crate::labelpack::{EmbeddingDType, LabelPack, PackLabel, PackLabelSet, PackMeta};
use crate::{ClipTokenizer, LabelSet, LabelSetOptions, PeCore, Precision, Result, TextCache};

/// Distinct prompts per window of the compile (cache lookup, tokenisation, sorting).
pub const WINDOW: usize = 16_384;

/// Runtime settings of [`compile_label_set`].
pub struct CompileOptions<'a> {
    /// Prompts per text-tower call.
    pub batch_size: usize,
    /// On-disk dtype of the pack's embeddings (recorded in the pack metadata).
    pub embedding_dtype: EmbeddingDType,
    /// Exact vs HNSW choice and HNSW parameters.
    pub index: IndexOptions,
    /// Persistent text-embedding cache; `None` embeds every prompt.
    pub cache: Option<&'a TextCache>,
    /// Called after each batch with `(prompts embedded so far, prompts to embed)`.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Limits on the set's expansion, checked before expanding it (a set built in code has not
    /// been through the parser's check).
    pub label_set: LabelSetOptions,
}

impl Default for CompileOptions<'_> {
    fn default() -> Self {
        Self {
            batch_size: 64,
            embedding_dtype: EmbeddingDType::F16,
            index: IndexOptions::default(),
            cache: None,
            progress: None,
            label_set: LabelSetOptions::default(),
        }
    }
}

impl std::fmt::Debug for CompileOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileOptions")
            .field("batch_size", &self.batch_size)
            .field("embedding_dtype", &self.embedding_dtype)
            .field("cache", &self.cache.is_some())
            .finish_non_exhaustive()
    }
}

/// What a compile did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CompileReport {
    /// Labels in the pack.
    pub labels: usize,
    /// Prompts over all labels (with repeats).
    pub prompts: usize,
    /// Distinct prompts after cleaning.
    pub unique_prompts: usize,
    /// Distinct prompts found in the cache.
    pub cache_hits: usize,
    /// Distinct prompts run through the text tower (the cache misses).
    pub embedded: usize,
    /// Text-tower calls (batches).
    pub batches: usize,
}

/// Compiles `set` with the text tower of `model` into a label pack.
///
/// The model must have its text tower loaded ([`crate::Towers::Text`] or `Available`).
pub fn compile_label_set(
    set: &LabelSet,
    model: &PeCore,
    options: &CompileOptions,
) -> Result<(LabelPack, CompileReport)> {
    set.check_expansion(&options.label_set, &format!("label set {:?}", set.name))?;
    set.validate()?;
    let text = model.text()?;
    let tokenizer = model.tokenizer()?;
    let fingerprint = model.fingerprint()?;
    let ctx = text.config().context_length;
    let batch_size = options.batch_size.max(1);

    // Per label: its prompts; globally: distinct cleaned prompts with one original as
    // representative (cleaning is not idempotent, so the tower gets the original text).
    let per_label: Vec<Vec<String>> = set.all_prompts();
    let mut key_of: HashMap<String, usize> = HashMap::new();
    let mut keys: Vec<String> = Vec::new();
    let mut originals: Vec<&str> = Vec::new();
    let mut label_keys: Vec<Vec<usize>> = Vec::with_capacity(per_label.len());
    for prompts in &per_label {
        let mut ks = Vec::with_capacity(prompts.len());
        for p in prompts {
            let cleaned = ClipTokenizer::clean(p);
            let k = *key_of.entry(cleaned.clone()).or_insert_with(|| {
                keys.push(cleaned);
                originals.push(p);
                keys.len() - 1
            });
            ks.push(k);
        }
        label_keys.push(ks);
    }

    let dim = model.config().embed_dim();
    // Embeddings of another precision than f32 are other numbers: cached under their own key (a
    // fingerprint-shaped hash of the model's fingerprint and the precision).
    let cache_key = match text.precision() {
        Precision::F32 => fingerprint.clone(),
        p => blake3::hash(format!("{fingerprint}+text-{p:?}").as_bytes()).to_hex().to_string(),
    };
    // Which labels use each distinct prompt (with multiplicity): each embedding is added to their
    // sums as soon as it is known and then dropped, so memory holds one window of prompts and the
    // labels' sums, not every prompt's embedding (an 8-million-prompt set would need 16 GB).
    let mut users: Vec<Vec<u32>> = vec![Vec::new(); keys.len()];
    for (l, ks) in label_keys.iter().enumerate() {
        for &k in ks {
            users[k].push(l as u32);
        }
    }
    let mut sums = vec![0f32; set.labels.len() * dim];
    let mut add = |k: usize, e: &[f32]| {
        // Ensemble: mean of L2-normalised prompt embeddings (renormalised by LabelPack::new).
        let n = e.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        for &l in &users[k] {
            for (a, x) in sums[l as usize * dim..][..dim].iter_mut().zip(e) {
                *a += x / n;
            }
        }
    };
    let eot = text.config().eot_id;
    let (mut cache_hits, mut embedded, mut batches) = (0, 0, 0);
    let all: Vec<usize> = (0..keys.len()).collect();
    for window in all.chunks(WINDOW) {
        let hits: Vec<Option<Vec<f32>>> = match options.cache {
            Some(cache) => {
                let refs: Vec<&str> = window.iter().map(|&k| keys[k].as_str()).collect();
                cache.get_many(&cache_key, &refs)?.into_iter().map(|e| e.filter(|v| v.len() == dim)).collect()
            }
            None => vec![None; window.len()],
        };
        let mut misses = Vec::new();
        for (&k, hit) in window.iter().zip(hits) {
            match hit {
                Some(e) => {
                    add(k, &e);
                    cache_hits += 1;
                }
                None => misses.push(k),
            }
        }
        // Tokenised on every thread, then sorted by length: each batch runs to its own longest
        // prompt (the text tower cuts at the last end-of-text token of a batch).
        let mut tokenized: Vec<(usize, Vec<u32>)> = misses
            .par_iter()
            .map(|&k| tokenizer.encode(originals[k], ctx).map(|t| (k, t.ids)))
            .collect::<Result<_>>()?;
        tokenized.sort_by_key(|(_, ids)| ids.iter().position(|&t| t == eot).unwrap_or(ctx));
        let (sorted_keys, ids): (Vec<usize>, Vec<Vec<u32>>) = tokenized.into_iter().unzip();
        for (chunk, batch) in sorted_keys.chunks(batch_size).zip(ids.chunks(batch_size)) {
            let out = text.encode_ids(batch)?.to_vec2::<f32>()?;
            batches += 1;
            if let Some(cache) = options.cache {
                let entries: Vec<(&str, &[f32])> =
                    chunk.iter().zip(&out).map(|(&k, v)| (keys[k].as_str(), v.as_slice())).collect();
                // Written per batch so an interrupted compile keeps what it paid for.
                cache.put_many(&cache_key, &entries)?;
            }
            for (&k, v) in chunk.iter().zip(&out) {
                add(k, v);
            }
            embedded += chunk.len();
            if let Some(progress) = options.progress {
                progress(cache_hits + embedded, keys.len());
            }
        }
        if let Some(progress) = options.progress {
            progress(cache_hits + embedded, keys.len());
        }
    }
    let mut matrix = sums;
    for (row, ks) in matrix.chunks_exact_mut(dim).zip(&label_keys) {
        let count = ks.len().max(1) as f32;
        row.iter_mut().for_each(|a| *a /= count);
    }

    let labels: Vec<PackLabel> = set
        .labels
        .iter()
        .zip(per_label)
        .map(|(l, prompts)| PackLabel {
            id: l.id.clone(),
            name: l.name.clone(),
            parent: l.parent.clone(),
            min_score: l.min_score,
            synonyms: l.synonyms.clone(),
            prompts,
            calibration: l.calibration,
        })
        .collect();
    let meta = PackMeta {
        model_fingerprint: fingerprint,
        label_set: PackLabelSet {
            name: set.name.clone(),
            version: set.version.clone(),
            description: set.description.clone(),
        },
        created_unix_s: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        created_by: format!("pelabel {}", env!("CARGO_PKG_VERSION")),
        dim,
        embedding_dtype: options.embedding_dtype,
        logit_scale: model.logit_scale(),
        labels,
    };
    let report = CompileReport {
        labels: set.labels.len(),
        prompts: label_keys.iter().map(Vec::len).sum(),
        unique_prompts: keys.len(),
        cache_hits,
        embedded,
        batches,
    };
    Ok((LabelPack::new(meta, matrix, &options.index)?, report))
}
