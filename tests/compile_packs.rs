//! Compiling label sets into packs with the text tower, through the persistent cache.

use std::path::PathBuf;

use pelabel::{
    compile_label_set, l2_normalize, CompileOptions, EmbeddingDType, IndexOptions, LabelIndex, LabelPack, LabelSet,
    PackLoadOptions, PackWriteOptions, PeCore, TextCache, Towers,
};
use pelabel_tests::{cosine, fixtures_dir, repo_root};

fn tiny() -> PeCore {
    PeCore::open(&fixtures_dir().join("tiny"), Towers::Text).unwrap()
}

fn set(text: &str) -> LabelSet {
    LabelSet::from_toml_str(text, &PathBuf::from("test.toml")).unwrap()
}

const SET_V1: &str = r#"
name = "pets"
version = "1.0.0"
templates = ["a photo of a {}.", "a blurry photo of a {}."]

[[labels]]
id = "cat"
name = "cat"
synonyms = ["kitten"]

[[labels]]
id = "dog"
name = "dog"
prompts = ["a dog playing fetch"]

[[labels]]
id = "golden"
name = "golden retriever"
parent = "dog"
min_score = 0.2
"#;

#[test]
fn ensembling_is_mean_of_normalised_prompt_embeddings() {
    let model = tiny();
    let s = set(SET_V1);
    let (pack, report) =
        compile_label_set(&s, &model, &CompileOptions { embedding_dtype: EmbeddingDType::F32, ..Default::default() })
            .unwrap();
    assert_eq!(report.labels, 3);
    assert_eq!(report.prompts, 4 + 3 + 2);
    assert_eq!(report.embedded, report.unique_prompts);
    for (i, label) in s.labels.iter().enumerate() {
        let prompts = s.prompts_for(i).unwrap();
        let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
        let e = l2_normalize(&model.encode_text(&refs).unwrap()).unwrap();
        let mean = l2_normalize(&e.mean_keepdim(0).unwrap()).unwrap();
        let want = mean.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let got = pack.embedding(i).unwrap();
        let c = cosine(got, &want);
        assert!(c > 0.999_999, "{}: cosine {c}", label.id);
        assert_eq!(pack.meta().labels[i].prompts, prompts);
    }
    let golden = &pack.meta().labels[2];
    assert_eq!(golden.parent.as_deref(), Some("dog"));
    assert_eq!(golden.min_score, Some(0.2));
    assert_eq!(pack.meta().model_fingerprint, model.fingerprint().unwrap());
    assert_eq!(pack.meta().logit_scale, model.logit_scale());
}

#[test]
fn recompiling_embeds_only_new_prompts() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = TextCache::open(&tmp.path().join("cache.redb")).unwrap();
    let model = tiny();
    let opts = CompileOptions { cache: Some(&cache), batch_size: 4, ..Default::default() };
    let (first, r1) = compile_label_set(&set(SET_V1), &model, &opts).unwrap();
    assert_eq!((r1.cache_hits, r1.embedded), (0, r1.unique_prompts));
    assert_eq!(r1.batches, r1.embedded.div_ceil(4));

    // Same set again: nothing reaches the text tower, and the result is identical.
    let (again, r2) = compile_label_set(&set(SET_V1), &model, &opts).unwrap();
    assert_eq!((r2.cache_hits, r2.embedded, r2.batches), (r1.unique_prompts, 0, 0));
    assert_eq!(again.index().vectors(), first.index().vectors());

    // An edit: one new label and a new synonym. Only their prompts are embedded; the spelling
    // variant "A Photo Of A Cat." cleans to a cached prompt and is not embedded again.
    let v2 = SET_V1.replace("synonyms = [\"kitten\"]", "synonyms = [\"kitten\", \"tabby\"]")
        + "\n[[labels]]\nid = \"parrot\"\nname = \"parrot\"\nprompts = [\"A Photo Of A Cat.\"]\n";
    let (_, r3) = compile_label_set(&set(&v2), &model, &opts).unwrap();
    assert_eq!(r3.embedded, 2 + 2, "tabby × 2 templates + parrot × 2 templates: {r3:?}");
    assert_eq!(r3.cache_hits, r3.unique_prompts - 4);
}

#[test]
fn cache_entries_of_another_model_are_never_used() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = TextCache::open(&tmp.path().join("cache.redb")).unwrap();
    let model = tiny();
    let fp = model.fingerprint().unwrap();
    // Poison the cache under another fingerprint with the exact prompts of the set.
    let s = set(SET_V1);
    let prompts: Vec<String> =
        s.all_prompts().into_iter().flatten().map(|p| pelabel::ClipTokenizer::clean(&p)).collect();
    let junk = vec![1.0f32; model.config().embed_dim()];
    let entries: Vec<(&str, &[f32])> = prompts.iter().map(|p| (p.as_str(), junk.as_slice())).collect();
    let other = "0".repeat(64);
    assert_ne!(other, fp);
    cache.put_many(&other, &entries).unwrap();
    let opts = CompileOptions { cache: Some(&cache), ..Default::default() };
    let (_, report) = compile_label_set(&s, &model, &opts).unwrap();
    assert_eq!(report.cache_hits, 0);
    assert_eq!(report.embedded, report.unique_prompts);
}

#[test]
fn packs_round_trip_and_search_finds_each_label() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny();
    let s = LabelSet::from_file(&repo_root().join("label-sets/coco-80.toml")).unwrap();
    let (pack, _) = compile_label_set(&s, &model, &CompileOptions::default()).unwrap();
    let path = tmp.path().join("coco.pack");
    pack.write(&path, &PackWriteOptions::default()).unwrap();
    let loaded = LabelPack::load(&path, &PackLoadOptions::default()).unwrap();
    assert_eq!(loaded.len(), 80);
    assert_eq!(loaded.meta(), pack.meta());
    loaded.check_model(&model.fingerprint().unwrap()).unwrap();
    // Every label's own embedding finds that label with cosine 1 among the best hits (tiny's
    // 8-wide random text tower maps a few distinct labels to nearly the same direction, so the
    // label may tie with a neighbour).
    for i in 0..loaded.len() {
        let q = loaded.embedding(i).unwrap().to_vec();
        let hits = loaded.index().search(&q, 5).unwrap();
        let own = hits.iter().find(|h| h.index == i).unwrap_or_else(|| panic!("label {i} not in its own top 5"));
        assert!((own.score - 1.0).abs() < 1e-3, "self cosine {}", own.score);
        assert!(hits[0].score - own.score < 1e-3);
    }
}

#[test]
fn large_packs_get_a_graph_that_loads_back() {
    // A synthetic 6000-label set crosses the HNSW threshold.
    let mut text = String::from("name = \"big\"\nversion = \"1.0.0\"\ntemplates = [\"{}\"]\n");
    for i in 0..6000 {
        text.push_str(&format!("[[labels]]\nid = \"l{i}\"\nname = \"thing number {i}\"\n"));
    }
    let s = set(&text);
    let model = tiny();
    let opts = CompileOptions {
        index: IndexOptions { hnsw_min_labels: 5000, ..Default::default() },
        batch_size: 256,
        ..Default::default()
    };
    let (pack, _) = compile_label_set(&s, &model, &opts).unwrap();
    assert_eq!(pack.index_kind(), "hnsw");
    let bytes = pack.to_bytes(&PackWriteOptions::default()).unwrap();
    let loaded = LabelPack::from_bytes(&bytes, &PackLoadOptions::default()).unwrap();
    assert_eq!(loaded.index_kind(), "hnsw");
    let q = loaded.embedding(1234).unwrap().to_vec();
    assert_eq!(loaded.search(&q, 3).unwrap(), pack.search(&q, 3).unwrap());
}

/// Finding 6 of issue 9: packs were read whole whatever their size. The size is checked against
/// `PackLoadOptions::max_pack_bytes` before the file is read (and before its magic is looked at).
#[test]
fn oversized_packs_are_refused_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.pack");
    // Sparse: 256 MiB + 1 byte that are never read.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len((256 << 20) + 1).unwrap();
    drop(f);
    let start = std::time::Instant::now();
    let err = LabelPack::load(&path, &PackLoadOptions::default()).unwrap_err();
    assert!(start.elapsed().as_millis() < 500, "{:?}", start.elapsed());
    match &err {
        pelabel::Error::LimitExceeded { source_name, found, limit, setting, .. } => {
            assert_eq!(source_name, &path.display().to_string());
            assert_eq!((*found, *limit, *setting), ((256 << 20) + 1, 256 << 20, "PackLoadOptions::max_pack_bytes"));
        }
        other => panic!("{other:?}"),
    }
    // The limit is an option, for files and bytes alike; under it, parsing starts.
    std::fs::write(&path, [0u8; 1000]).unwrap();
    let tight = PackLoadOptions { max_pack_bytes: 999, ..Default::default() };
    assert!(matches!(LabelPack::load(&path, &tight), Err(pelabel::Error::LimitExceeded { found: 1000, .. })));
    assert!(matches!(LabelPack::from_bytes(&[0u8; 1000], &tight), Err(pelabel::Error::LimitExceeded { .. })));
    let enough = PackLoadOptions { max_pack_bytes: 1000, ..Default::default() };
    assert!(matches!(LabelPack::load(&path, &enough), Err(pelabel::Error::PackMagic { .. })));
}

/// Embeddings of the int8 text tower are cached apart from f32 ones: neither precision ever
/// reads the other's entries, and an int8 pack stays within int8's accuracy of the f32 one.
#[test]
fn text_precisions_never_share_cache_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = TextCache::open(&tmp.path().join("cache.redb")).unwrap();
    let mut model = tiny();
    let opts = CompileOptions { cache: Some(&cache), ..Default::default() };
    let s = set(SET_V1);
    let (f32_pack, r) = compile_label_set(&s, &model, &opts).unwrap();
    assert_eq!(r.cache_hits, 0);
    if model.set_text_precision(pelabel::Precision::Int8).unwrap() != pelabel::Precision::Int8 {
        eprintln!("SKIPPED: no int8 kernel on this CPU");
        return;
    }
    let (int8_pack, r) = compile_label_set(&s, &model, &opts).unwrap();
    assert_eq!((r.cache_hits, r.embedded), (0, r.unique_prompts), "int8 must not read f32 entries");
    let (_, r) = compile_label_set(&s, &model, &opts).unwrap();
    assert_eq!((r.cache_hits, r.embedded), (r.unique_prompts, 0), "int8 reads its own");
    for i in 0..f32_pack.len() {
        let c = cosine(f32_pack.embedding(i).unwrap(), int8_pack.embedding(i).unwrap());
        assert!(c >= 0.995, "label {i}: cosine {c}");
    }
    model.set_text_precision(pelabel::Precision::F32).unwrap();
    let (_, r) = compile_label_set(&s, &model, &opts).unwrap();
    assert_eq!((r.cache_hits, r.embedded), (r.unique_prompts, 0), "f32 reads its own");
}

/// Batching and the length sort inside a compile change no embedding beyond float rounding.
#[test]
fn batch_size_does_not_change_the_pack() {
    let model = tiny();
    let s = set(SET_V1);
    let (one, _) = compile_label_set(&s, &model, &CompileOptions { batch_size: 1, ..Default::default() }).unwrap();
    let (many, _) = compile_label_set(&s, &model, &CompileOptions { batch_size: 64, ..Default::default() }).unwrap();
    for i in 0..one.len() {
        let d = one
            .embedding(i)
            .unwrap()
            .iter()
            .zip(many.embedding(i).unwrap())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(d < 1e-5, "label {i}: {d}");
    }
}

/// A pack does not depend on which of its prompts the cache held: each label sums its prompts'
/// embeddings in the set's order, not in the order the tower ran them (by token length), so a
/// cold and a warm compile give the same f32 pack, and so do the steps of a compile spread over
/// processes (pending batches → embed_prompts → cache_prompt_embeddings), which run the same
/// batches. (A cache filled in other batches gives embeddings within ~1e-7, not the same bits.)
#[test]
fn a_pack_does_not_depend_on_what_the_cache_held() {
    use pelabel::{cache_prompt_embeddings, embed_prompts, pending_prompt_batches};
    let tmp = tempfile::tempdir().unwrap();
    let model = tiny();
    // Templates of very different lengths, so the tower's (length) order is not the set's.
    let text = SET_V1.replace(
        r#"templates = ["a photo of a {}.", "a blurry photo of a {}."]"#,
        r#"templates = ["a very blurry, dark and grainy photo of one small {} at night.", "a {}.",
                        "a photo of the large {} in the garden.", "{}", "a sketch of a {}.", "my {}!"]"#,
    );
    let s = set(&text);
    let bits = |p: &LabelPack| p.index().vectors().iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
    let compile = |cache: Option<&TextCache>| {
        let opts = CompileOptions { cache, embedding_dtype: EmbeddingDType::F32, batch_size: 4, ..Default::default() };
        compile_label_set(&s, &model, &opts).unwrap()
    };
    let (none, _) = compile(None);

    let full = TextCache::open(&tmp.path().join("full.redb")).unwrap();
    let (cold, r1) = compile(Some(&full));
    let (warm, r2) = compile(Some(&full));
    assert_eq!((r1.cache_hits, r2.embedded), (0, 0));
    assert_eq!(bits(&cold), bits(&none));
    assert_eq!(bits(&warm), bits(&cold), "a warm compile must give the cold compile's pack");

    // The compile's steps one by one, as pelabel.ray runs them, into an empty cache.
    let steps = TextCache::open(&tmp.path().join("steps.redb")).unwrap();
    let opts = CompileOptions { cache: Some(&steps), batch_size: 4, ..Default::default() };
    let batches = pending_prompt_batches(&s, &model, &opts).unwrap();
    assert_eq!(batches.len(), r1.batches);
    for batch in batches.iter().rev() {
        let prompts: Vec<&str> = batch.iter().map(String::as_str).collect();
        let e = embed_prompts(&model, &prompts, 4).unwrap();
        cache_prompt_embeddings(&model, &steps, &prompts, &e).unwrap();
    }
    assert!(pending_prompt_batches(&s, &model, &opts).unwrap().is_empty());
    let (stepped, r4) = compile(Some(&steps));
    assert_eq!((r4.cache_hits, r4.embedded), (r1.unique_prompts, 0));
    assert_eq!(bits(&stepped), bits(&cold), "the compile's steps must give the compile's pack");
    // Wrong sizes are refused.
    let prompts: Vec<&str> = batches[0].iter().map(String::as_str).collect();
    let short = vec![0.5f32; prompts.len() * model.config().embed_dim() - 1];
    assert!(matches!(cache_prompt_embeddings(&model, &steps, &prompts, &short), Err(pelabel::Error::Cache { .. })));
}
