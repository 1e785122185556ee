//! Shared pieces of pelabel's fuzz targets: the allocation limit, the tiny model and pack the
//! targets load against, the fixed signing key, the frame-descriptor format, and the seed-corpus
//! writer (`PELABEL_FUZZ_WRITE_SEEDS=DIR`, see README.md).
//!
//! Everything here is test scaffolding: it calls only pelabel's public API.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use pelabel::{EmbeddingDType, LabelPack, PackLabel, PackLabelSet, PackMeta, SigningKey};

// ----- memory limit -------------------------------------------------------------------------

/// Largest single allocation a target may make, in bytes.
pub const MAX_ALLOC_BYTES: usize = 512 << 20;
/// Most live heap a target may hold, in bytes.
pub const MAX_LIVE_BYTES: usize = 2048 << 20;

/// The system allocator with a limit: a request above [`MAX_ALLOC_BYTES`], or one that would
/// take the live heap above [`MAX_LIVE_BYTES`], fails, which aborts the process (Rust's
/// allocation-error handler) and so is a crash libFuzzer records with its input.
///
/// Why not libFuzzer's `-malloc_limit_mb`: it needs a sanitizer's malloc hooks, and the targets
/// are built without a sanitizer (README.md says why). `-rss_limit_mb` still guards the
/// resident size; this catches large reservations that are never touched (a `vec![0; n]` of
/// untouched zero pages costs no RSS) and fails at the allocation, where the backtrace is useful.
pub struct LimitedAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);

impl LimitedAlloc {
    fn admit(size: usize) -> bool {
        if size > MAX_ALLOC_BYTES {
            report(size);
            return false;
        }
        let before = LIVE.fetch_add(size, Ordering::Relaxed);
        if before.saturating_add(size) > MAX_LIVE_BYTES {
            LIVE.fetch_sub(size, Ordering::Relaxed);
            report(size);
            return false;
        }
        true
    }
}

fn report(size: usize) {
    // No allocation here: write a fixed message with the raw size.
    let mut buf = [0u8; 96];
    let msg = b"pelabel-fuzz: allocation limit exceeded, request of ";
    let mut n = msg.len();
    buf[..n].copy_from_slice(msg);
    let digits = size.to_string_no_alloc();
    buf[n..n + digits.1].copy_from_slice(&digits.0[..digits.1]);
    n += digits.1;
    buf[n..n + 7].copy_from_slice(b" bytes\n");
    n += 7;
    use std::io::Write;
    let _ = std::io::stderr().write_all(&buf[..n]);
}

trait NoAllocDigits {
    fn to_string_no_alloc(self) -> ([u8; 20], usize);
}

impl NoAllocDigits for usize {
    fn to_string_no_alloc(self) -> ([u8; 20], usize) {
        let mut tmp = [0u8; 20];
        let mut v = self;
        let mut i = 20;
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let mut out = [0u8; 20];
        out[..20 - i].copy_from_slice(&tmp[i..]);
        (out, 20 - i)
    }
}

// SAFETY: every call is forwarded to `System` with the caller's layout and pointer unchanged;
// the wrapper only refuses some requests (returning null, as an allocator may) and keeps count.
unsafe impl GlobalAlloc for LimitedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::admit(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged (see the impl).
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Self::admit(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged (see the impl).
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !Self::admit(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged (see the impl).
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > layout.size() {
                LIVE.fetch_sub(new_size - layout.size(), Ordering::Relaxed);
            }
        } else if new_size < layout.size() {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        p
    }
}

/// Every target starts with this: installs the limited allocator.
#[macro_export]
macro_rules! limited_alloc {
    () => {
        #[global_allocator]
        static ALLOC: $crate::LimitedAlloc = $crate::LimitedAlloc;
    };
}

// ----- the tiny model and its pack ------------------------------------------------------------

/// `config.json` of the tiny image tower the targets load: 8×8 px, 4×4 patches, width 16, one
/// block, 8-dimensional embeddings. Small enough that a forward pass takes microseconds.
pub const TINY_CONFIG_JSON: &str = r#"{
  "name": "pelabel-fuzz-tiny",
  "vision": {
    "image_size": 8, "patch_size": 4, "width": 16, "layers": 1, "heads": 2,
    "mlp_width": 32, "mlp_ratio": 2.0, "output_dim": 8, "use_cls_token": true,
    "ls_init_value": null, "use_abs_posemb": true, "use_rope2d": true, "rope_theta": 10000.0,
    "pool_type": "attn", "attn_pooler_heads": 2, "attn_pooler_mlp_width": 32,
    "use_ln_pre": true, "use_ln_post": true, "layernorm_eps": 0.00001
  }
}"#;

/// Embedding dimension of the tiny model.
pub const TINY_DIM: usize = 8;

/// The tiny model as `pelabel split` writes it.
pub struct TinyModel {
    /// `image-tower.safetensors` (f16, with the fingerprint in its metadata).
    pub image_tower: Vec<u8>,
    /// The model's fingerprint.
    pub fingerprint: String,
    /// The official-layout f32 checkpoint (`model.safetensors`) it was split from.
    pub checkpoint: Vec<u8>,
}

/// Builds the tiny model once per process (random weights, fixed seed, so always the same bytes).
pub fn tiny_model() -> &'static TinyModel {
    static MODEL: OnceLock<TinyModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        let config: pelabel::PeCoreConfig =
            pelabel::PeCoreConfig::from_json_str(TINY_CONFIG_JSON, None).expect("tiny config is valid");
        let ckpt = pelabel::write_random_checkpoint(&config, false, 7, &src).expect("random checkpoint");
        let files = pelabel::ModelFiles::discover(&src, None).expect("tiny model files");
        let out = dir.path().join("split");
        pelabel::split_checkpoint(&files, &out, pelabel::StorageDType::F16).expect("split");
        let split = pelabel::ModelFiles::discover(&out, None).expect("split files");
        TinyModel {
            image_tower: std::fs::read(out.join(pelabel::IMAGE_TOWER_FILE)).expect("read image tower"),
            fingerprint: split.fingerprint().expect("fingerprint"),
            checkpoint: std::fs::read(ckpt).expect("read checkpoint"),
        }
    })
}

/// A small deterministic generator for vectors and pixels.
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits (xorshift64*).
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[-1, 1)`.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    /// `n * dim` values, each row L2-normalised.
    pub fn unit_vectors(&mut self, n: usize, dim: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n * dim).map(|_| self.uniform()).collect();
        for row in v.chunks_mut(dim.max(1)) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
            row.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

/// A pack of `n` labels (a small hierarchy, some thresholds) for the tiny model, searched
/// exactly or, from `hnsw_min_labels` labels on, through an HNSW graph.
pub fn tiny_pack(n: usize, hnsw_min_labels: usize) -> LabelPack {
    let labels = (0..n)
        .map(|i| PackLabel {
            id: format!("l{i}"),
            name: format!("label {i}"),
            parent: (i > 0 && i % 3 != 0).then(|| format!("l{}", i / 2)),
            min_score: (i % 4 == 1).then_some(0.1),
            synonyms: if i % 5 == 0 { vec![format!("syn {i}")] } else { vec![] },
            prompts: vec![format!("a photo of a label {i}.")],
            calibration: None,
        })
        .collect();
    let meta = PackMeta {
        model_fingerprint: tiny_model().fingerprint.clone(),
        label_set: PackLabelSet { name: "fuzz".into(), version: "1".into(), description: None },
        created_unix_s: 0,
        created_by: "pelabel-fuzz".into(),
        dim: TINY_DIM,
        embedding_dtype: EmbeddingDType::F16,
        logit_scale: Some(4.6),
        labels,
    };
    let vectors = Rng(42).unit_vectors(n, TINY_DIM);
    let options = pelabel::IndexOptions {
        hnsw_min_labels,
        hnsw: pelabel::HnswOptions { m: 4, ef_construction: 16, ef_search: 8, ..Default::default() },
    };
    LabelPack::new(meta, vectors, &options).expect("tiny pack")
}

/// `safetensors` bytes without the tensor `name` (the others re-packed in order).
pub fn drop_tensor(file: &[u8], name: &str) -> Vec<u8> {
    let n = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&file[8..8 + n]).unwrap();
    header.remove(name);
    let data = &file[8 + n..];
    let mut tensors: Vec<(String, usize, usize)> = header
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .map(|(k, v)| {
            let o = &v["data_offsets"];
            (k.clone(), o[0].as_u64().unwrap() as usize, o[1].as_u64().unwrap() as usize)
        })
        .collect();
    tensors.sort_by_key(|t| t.1);
    let mut out_data = Vec::new();
    for (k, a, b) in tensors {
        let start = out_data.len();
        out_data.extend_from_slice(&data[a..b]);
        header[&k]["data_offsets"] = serde_json::json!([start, out_data.len()]);
    }
    let json = serde_json::to_vec(&header).unwrap();
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(&out_data);
    out
}

/// A labeler bound to the tiny model (built once per process). Its image tower has no
/// `logit_scale`, so labeling uses the pack's (what a device does with such a model), and a
/// hostile pack's value reaches the probabilities.
pub fn tiny_labeler() -> &'static pelabel::Labeler {
    static LABELER: OnceLock<pelabel::Labeler> = OnceLock::new();
    LABELER.get_or_init(|| {
        pelabel::Labeler::from_bytes(
            drop_tensor(&tiny_model().image_tower, "logit_scale"),
            TINY_CONFIG_JSON,
            tiny_pack(4, usize::MAX),
            &pelabel::LabelerOptions::default(),
        )
        .expect("tiny labeler")
    })
}

/// The fixed test key the pack target signs with (never a real key).
pub fn test_signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

// ----- pack framing ---------------------------------------------------------------------------

/// Header bytes of a pack before the metadata length: magic, version, flags.
pub const PACK_PREFIX_LEN: usize = 16;
/// First byte of a `pack` input in "raw" mode: the input is a whole pack file.
pub const PACK_RAW_MODE: u8 = b'P';

/// Builds the pack file the `pack` target loads from a non-raw input: `mode` bit 1 sets the
/// "signed" flag (and a signature by [`test_signing_key`] is appended), the payload follows the
/// fixed header (metadata length onwards), and the checksum is recomputed, so that every input
/// reaches the parser proper.
pub fn frame_pack(mode: u8, payload: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let signed = mode & 2 != 0;
    let mut body = Vec::with_capacity(PACK_PREFIX_LEN + payload.len() + 96);
    body.extend_from_slice(pelabel::PACK_MAGIC);
    body.extend_from_slice(&pelabel::PACK_FORMAT_VERSION.to_le_bytes());
    body.extend_from_slice(&u32::from(signed).to_le_bytes());
    body.extend_from_slice(payload);
    let checksum = blake3_hash(&body);
    let signature = signed.then(|| test_signing_key().sign(&body).to_bytes());
    body.extend_from_slice(&checksum);
    if let Some(s) = signature {
        body.extend_from_slice(&s);
    }
    body
}

/// The pack checksum: BLAKE3 of the body (`sdk/src/labelpack.rs`).
fn blake3_hash(body: &[u8]) -> [u8; 32] {
    blake3::hash(body).into()
}

/// Mode bit of a `pack` input whose payload is given as sections rather than as the file lays
/// them out: the metadata JSON up to the first NUL byte, then the embeddings and the graph, the
/// graph's length being the payload's last 4 bytes (u32, clamped). The target writes the three
/// length fields, so mutations of the JSON keep the framing valid; the other modes fuzz the
/// length fields themselves.
pub const PACK_SECTIONS_MODE: u8 = 4;

/// The pack payload (metadata length onwards) of a [`PACK_SECTIONS_MODE`] input.
pub fn pack_payload_from_sections(sections: &[u8]) -> Vec<u8> {
    let nul = sections.iter().position(|&b| b == 0).unwrap_or(sections.len());
    let meta = &sections[..nul];
    let rest = sections.get(nul + 1..).unwrap_or_default();
    let (rest, graph_len) = match rest.len().checked_sub(4) {
        Some(at) => (&rest[..at], u32::from_le_bytes(rest[at..].try_into().unwrap()) as usize),
        None => (rest, 0),
    };
    let graph_len = graph_len.min(rest.len());
    let (emb, graph) = rest.split_at(rest.len() - graph_len);
    let mut out = Vec::with_capacity(sections.len() + 20);
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(meta);
    out.extend_from_slice(&(emb.len() as u64).to_le_bytes());
    out.extend_from_slice(emb);
    out.extend_from_slice(&(graph.len() as u64).to_le_bytes());
    out.extend_from_slice(graph);
    out
}

/// The inverse of [`pack_payload_from_sections`] for a well-formed payload, for seeds.
pub fn pack_sections_from_payload(payload: &[u8]) -> Vec<u8> {
    let meta_len = u32::from_le_bytes(payload[..4].try_into().unwrap()) as usize;
    let meta = &payload[4..4 + meta_len];
    let mut at = 4 + meta_len;
    let emb_len = u64::from_le_bytes(payload[at..at + 8].try_into().unwrap()) as usize;
    let emb = &payload[at + 8..at + 8 + emb_len];
    at += 8 + emb_len;
    let graph = &payload[at + 8..];
    let mut out = meta.to_vec();
    out.push(0);
    out.extend_from_slice(emb);
    out.extend_from_slice(graph);
    out.extend_from_slice(&(graph.len() as u32).to_le_bytes());
    assert_eq!(pack_payload_from_sections(&out), payload);
    out
}

// ----- frame descriptors --------------------------------------------------------------------

/// Length of the frame descriptor that starts a `frame` input (layout in `fuzz_targets/frame.rs`).
pub const FRAME_HEADER_LEN: usize = 36;

/// Encodes a frame descriptor (the inverse of the `frame` target's parser), for seeds.
#[allow(clippy::too_many_arguments)]
pub fn frame_descriptor(
    format: u8,
    flags: u8,
    width: u16,
    height: u16,
    stride: u64,
    uv_stride: u64,
    roi: [u16; 4],
    out: (u8, u8),
    split: u32,
) -> Vec<u8> {
    let mut d = vec![format, flags];
    d.extend_from_slice(&width.to_le_bytes());
    d.extend_from_slice(&height.to_le_bytes());
    d.extend_from_slice(&stride.to_le_bytes());
    d.extend_from_slice(&uv_stride.to_le_bytes());
    roi.iter().for_each(|v| d.extend_from_slice(&v.to_le_bytes()));
    d.push(out.0);
    d.push(out.1);
    d.extend_from_slice(&split.to_le_bytes());
    assert_eq!(d.len(), FRAME_HEADER_LEN);
    d
}

// ----- seeds ----------------------------------------------------------------------------------

/// When `PELABEL_FUZZ_WRITE_SEEDS=DIR` is set, writes `target`'s generated seeds into `DIR` and
/// exits; the targets call this from their `init`. The committed corpus was made this way (plus
/// the files README.md lists).
pub fn maybe_write_seeds(target: &str, write: impl FnOnce(&Path)) {
    if let Some(dir) = std::env::var_os("PELABEL_FUZZ_WRITE_SEEDS") {
        let dir = Path::new(&dir);
        std::fs::create_dir_all(dir).expect("seed directory");
        write(dir);
        eprintln!("pelabel-fuzz: wrote {target} seeds to {}", dir.display());
        std::process::exit(0);
    }
}

/// Writes one seed file.
pub fn seed(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write seed");
}

/// Prints `what` to stderr when `PELABEL_FUZZ_TRACE` is set: shows which inputs a target
/// accepts (e.g. that every seed reaches the checks after parsing).
pub fn trace(what: impl FnOnce() -> String) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("PELABEL_FUZZ_TRACE").is_some()) {
        eprintln!("pelabel-fuzz: {}", what());
    }
}
