//! Label-pack parser (`LabelPack::from_bytes`).
//!
//! Input: first byte `b'P'`: the whole input is a pack file, loaded without a key (checksum,
//! magic and version checks). Any other first byte `mode`: the rest is the pack after its fixed
//! header (metadata length, metadata JSON, embedding and graph sections); the target adds magic,
//! version and flags (signed when `mode & 2`), recomputes the checksum and signs with a fixed test
//! key, so every input reaches the parser proper (metadata JSON, section lengths, labels,
//! parents, the graph). With `mode & 4` the payload is given as sections (metadata JSON, NUL,
//! embeddings, graph, u32 graph length) and the target writes the length fields, so that JSON
//! mutations keep the framing (`PACK_SECTIONS_MODE`).
//!
//! Checks on an accepted pack: consistent sizes; search returns valid rows; the pack re-serialises
//! and reloads to the same metadata, vectors and index; bound to the tiny labeler (when made for
//! it), labeling returns finite scores and parent chains without the label itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pelabel::{LabelOptions, LabelOutcome, LabelPack, PackLoadOptions, PackWriteOptions, SignatureStatus};
use pelabel_fuzz::*;

limited_alloc!();

fn seeds(dir: &std::path::Path) {
    for (name, n, hnsw) in [("exact-5", 5, usize::MAX), ("hnsw-40", 40, 16), ("exact-1", 1, usize::MAX)] {
        let pack = tiny_pack(n, hnsw);
        let signed = pack.to_bytes(&PackWriteOptions { signing_key: Some(test_signing_key()), ..Default::default() });
        let signed = signed.unwrap();
        // Structured mode: the payload after the fixed header, without checksum and signature.
        let payload = &signed[PACK_PREFIX_LEN..signed.len() - 96];
        let mut s = vec![2u8];
        s.extend_from_slice(payload);
        seed(dir, &format!("{name}-signed"), &s);
        let mut s = vec![2 | PACK_SECTIONS_MODE];
        s.extend_from_slice(&pack_sections_from_payload(payload));
        seed(dir, &format!("{name}-signed-sections"), &s);
        // Raw mode: the whole (unsigned) file.
        seed(dir, &format!("{name}-raw"), &pack.to_bytes(&PackWriteOptions::default()).unwrap());
    }
    let f32_pack = tiny_pack(3, usize::MAX)
        .to_bytes(&PackWriteOptions { embedding_dtype: pelabel::EmbeddingDType::F32, ..Default::default() })
        .unwrap();
    let mut s = vec![0u8];
    s.extend_from_slice(&f32_pack[PACK_PREFIX_LEN..f32_pack.len() - 32]);
    seed(dir, "exact-3-f32-unsigned", &s);
}

fuzz_target!(init: maybe_write_seeds("pack", seeds), |data: &[u8]| {
    let Some((&mode, payload)) = data.split_first() else { return };
    let (bytes, options) = if mode == PACK_RAW_MODE {
        (data.to_vec(), PackLoadOptions::default())
    } else {
        let key = (mode & 2 != 0).then(|| test_signing_key().verifying_key());
        let bytes = if mode & PACK_SECTIONS_MODE != 0 {
            frame_pack(mode, &pack_payload_from_sections(payload))
        } else {
            frame_pack(mode, payload)
        };
        (bytes, PackLoadOptions { public_key: key, ..Default::default() })
    };
    let Ok(pack) = LabelPack::from_bytes(&bytes, &options) else { return };

    let (n, dim) = (pack.len(), pack.dim());
    trace(|| format!("pack accepted: {n} labels of dim {dim}, {}", pack.index_kind()));
    assert!(n > 0 && dim > 0 && pack.meta().labels.len() == n);
    assert!(pack.embedding(n - 1).is_some_and(|e| e.len() == dim) && pack.embedding(n).is_none());
    if options.public_key.is_some() {
        assert_eq!(pack.signature_status(), SignatureStatus::Verified);
    }
    let mut query = vec![0f32; dim];
    query[0] = 1.0;
    let hits = pack.search(&query, 5).expect("search with a unit query");
    assert!(hits.len() <= 5.min(n));

    // What was accepted re-serialises, and the copy loads to the same pack.
    let write = PackWriteOptions {
        embedding_dtype: pack.meta().embedding_dtype,
        signing_key: options.public_key.is_some().then(test_signing_key),
    };
    let again = pack.to_bytes(&write).expect("a loaded pack serialises");
    let back = LabelPack::from_bytes(&again, &options).expect("a re-serialised pack loads");
    assert_eq!(back.meta(), pack.meta(), "metadata changed in a save/load round trip");
    assert_eq!(back.index_kind(), pack.index_kind());
    assert_eq!(back.index().vectors(), pack.index().vectors());
    assert_eq!(back.to_bytes(&write).unwrap(), again, "serialisation is not stable");

    // Labeling with the pack (parents, thresholds, probabilities) when it fits the tiny model.
    let labeler = tiny_labeler();
    if dim == TINY_DIM && labeler.swap_pack(pack).is_ok() {
        let options = LabelOptions { top_k: 3, min_score: Some(-1.0), min_probability: None };
        let out = labeler.label_embedding(&query, &options).expect("labeling a unit embedding");
        trace(|| format!("labeled: {out:?}"));
        let labels = match &out {
            LabelOutcome::Recognised { labels } => labels.as_slice(),
            LabelOutcome::NothingRecognised { best } => best.as_slice(),
        };
        for l in labels {
            assert!(l.score.is_finite() && l.probability.is_finite(), "{l:?}");
            assert!(l.parents.len() <= 32 && l.parents.iter().all(|p| p.id != l.id), "{l:?}");
        }
    }
});
