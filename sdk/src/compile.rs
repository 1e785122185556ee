//! Compiling a label set into a label pack: prompts → text tower (through the persistent cache)
//! → prompt ensembling → [`LabelPack`].
//!
//! Prompt ensembling is the standard zero-shot recipe (reference §7): embed every prompt of a
//! label, L2-normalise each, average, L2-normalise again. Prompts are deduplicated across labels
//! by their cleaned text (what the tokenizer actually sees), looked up in the [`TextCache`] under
//! the model fingerprint (and the text tower's precision, when not f32), and only the misses run
//! through the text tower. Prompts go through in windows of [`WINDOW`]: looked up in the cache,
//! tokenised on every thread, sorted by length and embedded in batches (each batch runs to its own
//! longest prompt); at the end of a window its embeddings are added to their labels' sums in
//! prompt order and dropped, so memory is bounded by the window and the labels, not by the number
//! of prompts.
//!
//! The same steps are public one by one for compiles spread over processes or machines
//! (`pelabel.ray`): [`pending_prompt_batches`] (what a compile would embed, in its batches),
//! [`embed_prompts`] (a batch through the tower, as a compile runs it) and
//! [`cache_prompt_embeddings`] (the results into the cache, under the compile's keys); the compile
//! with that cache then embeds nothing and writes the pack it would have written itself.

use std::collections::HashMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rayon::prelude::*;

use crate::index::IndexOptions;
use crate::labelpack::{EmbeddingDType, LabelPack, PackLabel, PackLabelSet, PackMeta, PackWriteOptions};
use crate::{
    ClipTokenizer, Error, LabelSet, LabelSetOptions, PeCore, Precision, Result, SigningKey, TextCache, TextTower,
};

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

/// The environment variable that fixes a pack's creation time ([`PackMeta::created_unix_s`]),
/// seconds since the Unix epoch, after the reproducible-builds convention
/// (<https://reproducible-builds.org/specs/source-date-epoch/>): with it set, compiling the same
/// label set with the same model and options gives the same pack, byte for byte.
pub const SOURCE_DATE_EPOCH_ENV: &str = "SOURCE_DATE_EPOCH";

/// The distinct prompts of a label set as a compile sees them.
struct Prompts {
    /// Per label: its prompts, as written (with repeats).
    per_label: Vec<Vec<String>>,
    /// Distinct cleaned prompts (what the tokenizer sees, and the cache keys), in order of first
    /// appearance.
    keys: Vec<String>,
    /// Per key: its first original, as (label, prompt) indices into `per_label`. Cleaning is not
    /// idempotent, so the tower gets an original text, never the cleaned key.
    origin: Vec<(usize, usize)>,
    /// Per label: the keys of its prompts (with repeats).
    label_keys: Vec<Vec<usize>>,
}

impl Prompts {
    fn of(set: &LabelSet) -> Self {
        let per_label = set.all_prompts();
        let mut key_of: HashMap<String, usize> = HashMap::new();
        let (mut keys, mut origin) = (Vec::new(), Vec::new());
        let mut label_keys = Vec::with_capacity(per_label.len());
        for (l, prompts) in per_label.iter().enumerate() {
            let mut ks = Vec::with_capacity(prompts.len());
            for (p, prompt) in prompts.iter().enumerate() {
                let cleaned = ClipTokenizer::clean(prompt);
                let k = *key_of.entry(cleaned.clone()).or_insert_with(|| {
                    keys.push(cleaned);
                    origin.push((l, p));
                    keys.len() - 1
                });
                ks.push(k);
            }
            label_keys.push(ks);
        }
        Self { per_label, keys, origin, label_keys }
    }

    fn original(&self, k: usize) -> &str {
        let (l, p) = self.origin[k];
        &self.per_label[l][p]
    }
}

/// The cache's key for the embeddings of `model`'s text tower: the model fingerprint at f32.
/// Embeddings of another precision are other numbers: cached under their own key, a
/// fingerprint-shaped hash of the fingerprint and the precision.
fn cache_key(model: &PeCore) -> Result<String> {
    let fingerprint = model.fingerprint()?;
    Ok(match model.text()?.precision() {
        Precision::F32 => fingerprint,
        p => blake3::hash(format!("{fingerprint}+text-{p:?}").as_bytes()).to_hex().to_string(),
    })
}

/// The cached embeddings of `keys` (`None`: a miss, including an entry of another dimension).
fn lookup(cache: Option<&TextCache>, cache_key: &str, keys: &[&str], dim: usize) -> Result<Vec<Option<Vec<f32>>>> {
    Ok(match cache {
        Some(cache) => cache.get_many(cache_key, keys)?.into_iter().map(|e| e.filter(|v| v.len() == dim)).collect(),
        None => vec![None; keys.len()],
    })
}

/// Tokenises `texts` on every thread and puts them in the order the compile runs them through
/// the text tower: by the position of the end-of-text token, ties in the order given (each batch
/// then runs to its own longest prompt: the tower cuts at the last end-of-text token of a batch).
/// Returns `(index into texts, token ids)` in that order.
fn tokenize_in_batch_order(model: &PeCore, texts: &[&str]) -> Result<(Vec<usize>, Vec<Vec<u32>>)> {
    let (tokenizer, cfg) = (model.tokenizer()?, model.text()?.config());
    let mut tokenized: Vec<(usize, Vec<u32>)> = texts
        .par_iter()
        .enumerate()
        .map(|(i, t)| tokenizer.encode(t, cfg.context_length).map(|t| (i, t.ids)))
        .collect::<Result<_>>()?;
    let (ctx, eot) = (cfg.context_length, cfg.eot_id);
    tokenized.sort_by_key(|(_, ids)| ids.iter().position(|&t| t == eot).unwrap_or(ctx));
    Ok(tokenized.into_iter().unzip())
}

/// One batch of tokenised prompts through the text tower: raw embeddings, one row per prompt.
/// The only place a compile, [`embed_prompts`] included, calls the tower: an embedding's last
/// bits depend on the other prompts of its batch (to ~1e-7), so the same batches give the same
/// bits.
fn encode_batch(text: &TextTower, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
    Ok(text.encode_ids(ids)?.to_vec2::<f32>()?)
}

/// The creation time of a pack compiled now: `SOURCE_DATE_EPOCH` (`value`) when set, else the
/// clock. A value that is not a decimal number of seconds is an [`Error::Environment`] (the
/// convention asks builds to fail rather than fall back to the clock).
fn created_unix_s(value: Option<std::ffi::OsString>) -> Result<u64> {
    let Some(value) = value else {
        return Ok(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0));
    };
    let text = value.to_string_lossy();
    match text.parse::<u64>() {
        Ok(s) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(s),
        _ => Err(Error::Environment {
            variable: SOURCE_DATE_EPOCH_ENV,
            value: text.into_owned(),
            reason: "expected a decimal number of seconds since 1970-01-01 00:00:00 UTC".into(),
        }),
    }
}

/// Compiles `set` with the text tower of `model` into a label pack.
///
/// The model must have its text tower loaded ([`crate::Towers::Text`] or `Available`). The pack
/// is a function of the label set, the model, the options and the embeddings found in the cache:
/// per label, its prompts' embeddings are summed in the order of the prompts' first appearance
/// in the set, whether they came from the cache or the tower. Its creation time is
/// [`SOURCE_DATE_EPOCH_ENV`] when set (else the clock): then two compiles of the same inputs from
/// an empty cache (or with none) write the same bytes.
pub fn compile_label_set(
    set: &LabelSet,
    model: &PeCore,
    options: &CompileOptions,
) -> Result<(LabelPack, CompileReport)> {
    set.check_expansion(&options.label_set, &format!("label set {:?}", set.name))?;
    set.validate()?;
    let created_unix_s = created_unix_s(std::env::var_os(SOURCE_DATE_EPOCH_ENV))?;
    let text = model.text()?;
    let fingerprint = model.fingerprint()?;
    let batch_size = options.batch_size.max(1);
    let prompts = Prompts::of(set);
    let (keys, label_keys) = (&prompts.keys, &prompts.label_keys);

    let dim = model.config().embed_dim();
    let cache_key = cache_key(model)?;
    // Which labels use each distinct prompt (with multiplicity): each embedding is added to their
    // sums once its window is done and then dropped, so memory holds one window of embeddings and
    // the labels' sums, not every prompt's embedding (an 8-million-prompt set would need 16 GB).
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
    let (mut cache_hits, mut embedded, mut batches) = (0, 0, 0);
    let all: Vec<usize> = (0..keys.len()).collect();
    for window in all.chunks(WINDOW) {
        let refs: Vec<&str> = window.iter().map(|&k| keys[k].as_str()).collect();
        let mut found = lookup(options.cache, &cache_key, &refs, dim)?;
        let misses: Vec<usize> = (0..window.len()).filter(|&i| found[i].is_none()).collect();
        cache_hits += window.len() - misses.len();
        let texts: Vec<&str> = misses.iter().map(|&i| prompts.original(window[i])).collect();
        let (order, ids) = tokenize_in_batch_order(model, &texts)?;
        for (chunk, batch) in order.chunks(batch_size).zip(ids.chunks(batch_size)) {
            let out = encode_batch(text, batch)?;
            batches += 1;
            if let Some(cache) = options.cache {
                let entries: Vec<(&str, &[f32])> =
                    chunk.iter().zip(&out).map(|(&m, v)| (refs[misses[m]], v.as_slice())).collect();
                // Written per batch so an interrupted compile keeps what it paid for.
                cache.put_many(&cache_key, &entries)?;
            }
            for (&m, v) in chunk.iter().zip(out) {
                found[misses[m]] = Some(v);
            }
            embedded += chunk.len();
            if let Some(progress) = options.progress {
                progress(cache_hits + embedded, keys.len());
            }
        }
        // Summed in key order, wherever each embedding came from: float sums depend on their
        // order, and the pack must not depend on which prompts the cache held.
        // Every miss was embedded (`order` is a permutation of the misses).
        debug_assert!(found.iter().all(Option::is_some));
        for (&k, e) in window.iter().zip(found) {
            if let Some(e) = e {
                add(k, &e);
            }
        }
        if let Some(progress) = options.progress {
            progress(cache_hits + embedded, keys.len());
        }
    }
    let mut matrix = sums;
    for (row, ks) in matrix.chunks_exact_mut(dim).zip(label_keys) {
        let count = ks.len().max(1) as f32;
        row.iter_mut().for_each(|a| *a /= count);
    }

    let report = CompileReport {
        labels: set.labels.len(),
        prompts: label_keys.iter().map(Vec::len).sum(),
        unique_prompts: keys.len(),
        cache_hits,
        embedded,
        batches,
    };
    let labels: Vec<PackLabel> = set
        .labels
        .iter()
        .zip(prompts.per_label)
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
        created_unix_s,
        created_by: format!("pelabel {}", env!("CARGO_PKG_VERSION")),
        dim,
        embedding_dtype: options.embedding_dtype,
        logit_scale: model.logit_scale(),
        labels,
    };
    Ok((LabelPack::new(meta, matrix, &options.index)?, report))
}

/// What `pelabel compile` does, as one call: reads the label set at `set_path`, compiles it
/// ([`compile_label_set`]) and writes the pack to `output` atomically in
/// `options.embedding_dtype`, signed with `signing_key` when given (Ed25519 signatures are
/// deterministic: a signed pack is reproducible too). Returns the report and the pack's size in
/// bytes.
pub fn compile_label_set_file(
    set_path: &Path,
    model: &PeCore,
    output: &Path,
    options: &CompileOptions,
    signing_key: Option<SigningKey>,
) -> Result<(CompileReport, u64)> {
    let set = LabelSet::from_file_with(set_path, &options.label_set)?;
    let (pack, report) = compile_label_set(&set, model, options)?;
    let bytes = pack.write(output, &PackWriteOptions { embedding_dtype: options.embedding_dtype, signing_key })?;
    Ok((report, bytes))
}

/// The prompts of `set` that [`compile_label_set`] with `options` (its cache, batch size) would
/// run through `model`'s text tower, in the batches it would run them in: the distinct prompts
/// (one original text per cleaned prompt) not in the cache under `model`'s fingerprint and text
/// precision, window by window, each window's ordered by token length.
///
/// For embedding them elsewhere (other processes or machines: `pelabel.ray`) with
/// [`embed_prompts`], one batch per call, and storing the results with
/// [`cache_prompt_embeddings`]: a compile with that cache then embeds nothing, and its pack is
/// the one a compile from the same cache would have written (same batches, so the same bits).
pub fn pending_prompt_batches(set: &LabelSet, model: &PeCore, options: &CompileOptions) -> Result<Vec<Vec<String>>> {
    set.check_expansion(&options.label_set, &format!("label set {:?}", set.name))?;
    set.validate()?;
    let prompts = Prompts::of(set);
    let (dim, cache_key, batch_size) = (model.config().embed_dim(), cache_key(model)?, options.batch_size.max(1));
    let mut batches = Vec::new();
    let all: Vec<usize> = (0..prompts.keys.len()).collect();
    for window in all.chunks(WINDOW) {
        let refs: Vec<&str> = window.iter().map(|&k| prompts.keys[k].as_str()).collect();
        let found = lookup(options.cache, &cache_key, &refs, dim)?;
        let texts: Vec<&str> =
            window.iter().zip(&found).filter(|(_, e)| e.is_none()).map(|(&k, _)| prompts.original(k)).collect();
        let (order, _) = tokenize_in_batch_order(model, &texts)?;
        batches.extend(order.chunks(batch_size).map(|c| c.iter().map(|&i| texts[i].to_string()).collect()));
    }
    Ok(batches)
}

/// Raw text embeddings of `prompts` (before L2 normalisation) as [`compile_label_set`] computes
/// them: tokenised, ordered by token length and run through `model`'s text tower (at its
/// precision) in batches of `batch_size`. Returns `[prompts.len(), D]` row-major f32, rows in
/// the order given. A batch of [`pending_prompt_batches`] given whole (with the same batch size)
/// runs as the compile would run it.
pub fn embed_prompts(model: &PeCore, prompts: &[&str], batch_size: usize) -> Result<Vec<f32>> {
    let (text, dim) = (model.text()?, model.config().embed_dim());
    let mut out = vec![0f32; prompts.len() * dim];
    let (order, ids) = tokenize_in_batch_order(model, prompts)?;
    let batch_size = batch_size.max(1);
    for (chunk, batch) in order.chunks(batch_size).zip(ids.chunks(batch_size)) {
        for (&i, e) in chunk.iter().zip(encode_batch(text, batch)?) {
            out[i * dim..][..dim].copy_from_slice(&e);
        }
    }
    Ok(out)
}

/// Stores raw embeddings of `prompts` (`[prompts.len(), D]` row-major, from [`embed_prompts`]
/// with the same model at the same text precision) in `cache`, under the keys
/// [`compile_label_set`] looks up: the model's fingerprint (and text precision) and each cleaned
/// prompt. One write transaction. Fails with [`Error::Cache`] when `embeddings` does not hold
/// `D` numbers per prompt or holds a non-finite one.
pub fn cache_prompt_embeddings(model: &PeCore, cache: &TextCache, prompts: &[&str], embeddings: &[f32]) -> Result<()> {
    let dim = model.config().embed_dim();
    let bad = |reason: String| Err(Error::Cache { path: cache.path().to_path_buf(), reason });
    if embeddings.len() != prompts.len() * dim {
        return bad(format!(
            "{} prompts need {} embedding numbers ({dim} each), got {}",
            prompts.len(),
            prompts.len() * dim,
            embeddings.len()
        ));
    }
    if let Some(i) = embeddings.iter().position(|x| !x.is_finite()) {
        return bad(format!("the embedding of prompt {:?} holds a non-finite number", prompts[i / dim]));
    }
    let keys: Vec<String> = prompts.iter().map(|p| ClipTokenizer::clean(p)).collect();
    let entries: Vec<(&str, &[f32])> = keys.iter().map(String::as_str).zip(embeddings.chunks_exact(dim)).collect();
    cache.put_many(&cache_key(model)?, &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_fixes_the_creation_time() {
        assert_eq!(created_unix_s(Some("1700000000".into())).unwrap(), 1_700_000_000);
        assert_eq!(created_unix_s(Some("0".into())).unwrap(), 0);
        for bad in ["", " 17", "17 ", "-1", "+17", "1.5", "1e9", "18446744073709551616", "now"] {
            match created_unix_s(Some(bad.into())) {
                Err(Error::Environment { variable, value, .. }) => {
                    assert_eq!((variable, value.as_str()), (SOURCE_DATE_EPOCH_ENV, bad));
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert!(created_unix_s(None).unwrap().abs_diff(now) <= 5);
    }
}
