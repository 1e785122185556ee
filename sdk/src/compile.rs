//! Compiling a label set into a label pack: prompts → text tower (through the persistent cache)
//! → prompt ensembling → [`LabelPack`].
//!
//! Prompt ensembling is the standard zero-shot recipe (reference §7): embed every prompt of a
//! label, L2-normalise each, average, L2-normalise again. Prompts are deduplicated across labels
//! by their cleaned text (what the tokenizer actually sees), looked up in the [`TextCache`] under
//! the model fingerprint, and only the misses run through the text tower, in batches. The tower's
//! matrix products use every core (candle's CPU backend is multi-threaded).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::index::IndexOptions;
use crate::labelpack::{EmbeddingDType, LabelPack, PackLabel, PackLabelSet, PackMeta};
use crate::{ClipTokenizer, Error, LabelSet, LabelSetOptions, PeCore, Result, TextCache};

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
    let mut embeddings: Vec<Option<Vec<f32>>> = match options.cache {
        Some(cache) => {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            cache.get_many(&fingerprint, &refs)?.into_iter().map(|e| e.filter(|v| v.len() == dim)).collect()
        }
        None => vec![None; keys.len()],
    };
    let cache_hits = embeddings.iter().filter(|e| e.is_some()).count();
    let misses: Vec<usize> = (0..keys.len()).filter(|&i| embeddings[i].is_none()).collect();

    let mut batches = 0;
    for (done, chunk) in misses.chunks(batch_size).enumerate() {
        let ids =
            chunk.iter().map(|&i| tokenizer.encode(originals[i], ctx).map(|t| t.ids)).collect::<Result<Vec<_>>>()?;
        let out = text.encode_ids(&ids)?.to_vec2::<f32>()?;
        batches += 1;
        let new: Vec<(usize, Vec<f32>)> = chunk.iter().copied().zip(out).collect();
        if let Some(cache) = options.cache {
            let entries: Vec<(&str, &[f32])> = new.iter().map(|(i, v)| (keys[*i].as_str(), v.as_slice())).collect();
            // Written per batch so an interrupted compile keeps what it paid for.
            cache.put_many(&fingerprint, &entries)?;
        }
        for (i, v) in new {
            embeddings[i] = Some(v);
        }
        if let Some(progress) = options.progress {
            progress(((done + 1) * batch_size).min(misses.len()), misses.len());
        }
    }

    // Ensemble: mean of L2-normalised prompt embeddings (renormalised by LabelPack::new).
    let mut matrix = Vec::with_capacity(set.labels.len() * dim);
    for ks in &label_keys {
        let mut acc = vec![0f32; dim];
        for &k in ks {
            let e = embeddings[k]
                .as_ref()
                .ok_or_else(|| Error::Index { reason: "internal: prompt without embedding".into() })?;
            let n = e.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            acc.iter_mut().zip(e).for_each(|(a, x)| *a += x / n);
        }
        let count = ks.len().max(1) as f32;
        matrix.extend(acc.into_iter().map(|a| a / count));
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
        embedded: misses.len(),
        batches,
    };
    Ok((LabelPack::new(meta, matrix, &options.index)?, report))
}
