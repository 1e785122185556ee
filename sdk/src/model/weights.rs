//! Checkpoints: reading tensors from `.safetensors` and PyTorch `.pt` files, and the one table
//! that maps every supported key layout onto the official names.
//!
//! Supported layouts (reference §10):
//! - **official** (`facebookresearch/perception_models`): text keys at the root, vision keys under
//!   `visual.`, `logit_scale` 0-dim; in `.pt` files as a plain state dict or nested under
//!   `state_dict` / `weights`, with or without a `module.` prefix;
//! - **open_clip / timm** (`visual.trunk.*` with timm names, text under `text.`), and the standalone
//!   timm vision model (the same names without `visual.trunk.`).
//!
//! The format is chosen by file extension and content together: `.safetensors` must not be a zip
//! archive, `.pt` / `.pth` / `.bin` must be one (PyTorch's zip format), any other name goes by
//! content. PyTorch files are read by the bounded, allow-listed reader of `pickle.rs` (cargo
//! feature `pytorch`, on by default; device builds can leave it off and read safetensors only).
//!
//! A checkpoint is indexed first (names and shapes only, nothing is read), then validated against
//! the shapes the config implies, so every problem is reported as a typed error naming the key and
//! both shapes before any tensor is materialised. Tensors are then read one by one, upcast to f32.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use super::config::PeCoreConfig;
use crate::{Error, Result};

#[cfg(feature = "pytorch")]
use super::pickle;

/// Which tower a tensor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tower {
    Vision,
    Text,
}

/// How to produce one official tensor from the stored ones.
#[derive(Debug, Clone)]
enum Recipe {
    /// Stored as is (possibly with another name).
    Direct(String),
    /// Stored with extra leading unit dims (`cls_token` `[1,1,w]`, `pos_embed` `[1,N,w]`).
    Squeeze(String),
    /// Stored transposed (`head.weight` `[D,w]` for `proj` `[w,D]`).
    Transpose(String),
    /// Rows concatenated from several stored tensors (`attn_pool.q` + `attn_pool.kv`).
    ConcatRows(Vec<String>),
}

enum Reader {
    Safetensors(candle_core::safetensors::MmapedSafetensors),
    /// A safetensors file handed over as bytes (an app's bundled or downloaded model).
    Buffered(candle_core::safetensors::BufferedSafetensors),
    #[cfg(feature = "pytorch")]
    Pickle(pickle::PthFile),
}

/// The two zip signatures an archive can start with (a local file header, or the end record of
/// an empty archive). Not just `PK`: a safetensors file whose JSON header is 19 280 bytes long
/// starts with `PK` too.
fn is_zip(magic: &[u8; 4]) -> bool {
    magic == b"PK\x03\x04" || magic == b"PK\x05\x06"
}

/// What the file name says the checkpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Safetensors,
    PyTorch,
    Unknown,
}

fn named_format(path: &Path) -> Named {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("safetensors") => Named::Safetensors,
        Some("pt" | "pth" | "bin") => Named::PyTorch,
        _ => Named::Unknown,
    }
}

/// An indexed checkpoint file: official names → how to read them, plus stored shapes.
pub(crate) struct Checkpoint {
    path: PathBuf,
    reader: Reader,
    /// Stored name → (shape, dtype) as found on disk.
    stored: HashMap<String, (Vec<usize>, DType)>,
    /// Official name → recipe.
    entries: BTreeMap<String, Recipe>,
    /// `__metadata__` of a safetensors file (empty for pickles).
    pub(crate) metadata: HashMap<String, String>,
    /// Stored names that are known non-parameters (buffers) and are skipped.
    pub(crate) ignored: Vec<String>,
    /// Stored names that map to nothing.
    pub(crate) unknown: Vec<String>,
    /// open_clip's `head.bias`: PE Core's projection has no bias, so it must be all zeros.
    head_bias: Option<String>,
}

fn checkpoint_err(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Checkpoint { path: path.to_path_buf(), reason: reason.to_string() }
}

/// Reads the `__metadata__` map of a safetensors header without reading tensor data.
fn read_safetensors_metadata(path: &Path) -> Result<HashMap<String, String>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut len_bytes = [0u8; 8];
    f.read_exact(&mut len_bytes).map_err(|_| checkpoint_err(path, "file too short for a safetensors header"))?;
    let n = u64::from_le_bytes(len_bytes);
    if n > 100_000_000 || n + 8 > file_len {
        return Err(checkpoint_err(
            path,
            format!("safetensors header length {n} does not fit the file ({file_len} bytes)"),
        ));
    }
    let mut header = vec![0u8; n as usize];
    f.read_exact(&mut header).map_err(|e| Error::io(path, e))?;
    parse_safetensors_metadata(&header, path)
}

/// The `__metadata__` map of a safetensors JSON header.
fn parse_safetensors_metadata(header: &[u8], path: &Path) -> Result<HashMap<String, String>> {
    let json: serde_json::Value =
        serde_json::from_slice(header).map_err(|e| checkpoint_err(path, format!("safetensors header: {e}")))?;
    let mut out = HashMap::new();
    if let Some(serde_json::Value::Object(m)) = json.get("__metadata__") {
        for (k, v) in m {
            if let Some(s) = v.as_str() {
                out.insert(k.clone(), s.to_string());
            }
        }
    }
    Ok(out)
}

impl Checkpoint {
    /// Indexes a checkpoint file. The format is chosen by name and content together (see the
    /// module docs); a name that contradicts the content is an [`Error::Checkpoint`], and a
    /// PyTorch file in a build without the `pytorch` feature an [`Error::FeatureDisabled`].
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            return Err(checkpoint_err(path, "not a file"));
        }
        let mut magic = [0u8; 4];
        {
            use std::io::Read;
            let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let n = f.read(&mut magic).map_err(|e| Error::io(path, e))?;
            if n < 4 {
                return Err(checkpoint_err(path, "file is too short to be a checkpoint"));
            }
        }
        let zip = is_zip(&magic);
        match (named_format(path), zip) {
            (Named::Safetensors, true) => {
                return Err(checkpoint_err(
                    path,
                    "named .safetensors but is a zip archive (a PyTorch checkpoint?); \
                     rename it to .pt if it is one",
                ))
            }
            (Named::PyTorch, false) => {
                return Err(checkpoint_err(
                    path,
                    "named like a PyTorch checkpoint but is not a zip archive; only the zip format of \
                     torch.save (PyTorch 1.6 and later) is read",
                ))
            }
            _ => {}
        }
        let (reader, stored, metadata) = if zip {
            let (reader, stored) = open_pytorch(path)?;
            (reader, stored, HashMap::new())
        } else {
            let metadata = read_safetensors_metadata(path)?;
            // SAFETY: the file is mapped read-only; pelabel never writes a checkpoint it has open,
            // and a concurrent external writer is documented as unsupported.
            let st = unsafe { candle_core::safetensors::MmapedSafetensors::new(path) }
                .map_err(|e| checkpoint_err(path, format!("not a valid safetensors file: {e}")))?;
            let stored = stored_shapes(st.tensors())?;
            (Reader::Safetensors(st), stored, metadata)
        };
        Self::index(path, reader, stored, metadata)
    }

    /// Indexes a safetensors file held in memory (`name` stands for its path in errors).
    pub(crate) fn from_safetensors_bytes(bytes: Vec<u8>, name: &str) -> Result<Self> {
        let path = Path::new(name);
        let header_len = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0xff; 8])));
        let header = header_len
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
            .ok_or_else(|| checkpoint_err(path, "too short for its safetensors header"))?;
        let metadata = parse_safetensors_metadata(header, path)?;
        let st = candle_core::safetensors::BufferedSafetensors::new(bytes)
            .map_err(|e| checkpoint_err(path, format!("not a valid safetensors file: {e}")))?;
        let stored = stored_shapes(st.tensors())?;
        Self::index(path, Reader::Buffered(st), stored, metadata)
    }

    fn index(
        path: &Path,
        reader: Reader,
        stored: HashMap<String, (Vec<usize>, DType)>,
        metadata: HashMap<String, String>,
    ) -> Result<Self> {
        if stored.is_empty() {
            return Err(checkpoint_err(path, "no tensors found"));
        }
        let mut ckpt = Checkpoint {
            path: path.to_path_buf(),
            reader,
            stored,
            entries: BTreeMap::new(),
            metadata,
            ignored: Vec::new(),
            unknown: Vec::new(),
            head_bias: None,
        };
        ckpt.map_keys();
        Ok(ckpt)
    }

    /// Builds `entries` from the stored names: the one key-mapping table of pelabel.
    fn map_keys(&mut self) {
        let mut names: Vec<String> = self.stored.keys().cloned().collect();
        names.sort();
        // `module.` prefixes (DataParallel) are stripped by the official loader too.
        let strip = |n: &str| n.strip_prefix("module.").unwrap_or(n).to_string();
        let open_clip = names.iter().any(|n| {
            let n = strip(n);
            n.starts_with("visual.trunk.") || n.starts_with("text.")
        });
        let timm_standalone = !open_clip && names.iter().any(|n| strip(n) == "patch_embed.proj.weight");
        let mut q_kv: HashMap<&'static str, (Option<String>, Option<String>)> = HashMap::new();
        for stored_name in &names {
            let n = strip(stored_name);
            if !(open_clip || timm_standalone) {
                if is_buffer(&n) {
                    self.ignored.push(stored_name.clone());
                } else {
                    self.entries.insert(n, Recipe::Direct(stored_name.clone()));
                }
                continue;
            }
            // open_clip / timm names.
            let vision = if timm_standalone { Some(n.as_str()) } else { n.strip_prefix("visual.trunk.") };
            if let Some(v) = vision {
                match map_timm_vision(v) {
                    TimmKey::Official(off, how) => {
                        let recipe = match how {
                            How::Direct => Recipe::Direct(stored_name.clone()),
                            How::Squeeze => Recipe::Squeeze(stored_name.clone()),
                            How::Transpose => Recipe::Transpose(stored_name.clone()),
                        };
                        self.entries.insert(format!("visual.{off}"), recipe);
                    }
                    TimmKey::PoolQ(which) => q_kv.entry(which).or_default().0 = Some(stored_name.clone()),
                    TimmKey::PoolKv(which) => q_kv.entry(which).or_default().1 = Some(stored_name.clone()),
                    TimmKey::HeadBias => self.head_bias = Some(stored_name.clone()),
                    TimmKey::Buffer => self.ignored.push(stored_name.clone()),
                    TimmKey::Unknown => self.unknown.push(stored_name.clone()),
                }
            } else if let Some(t) = n.strip_prefix("text.") {
                if is_buffer(t) {
                    self.ignored.push(stored_name.clone());
                } else {
                    self.entries.insert(t.to_string(), Recipe::Direct(stored_name.clone()));
                }
            } else if n == "logit_scale" {
                self.entries.insert(n, Recipe::Direct(stored_name.clone()));
            } else if is_buffer(&n) {
                self.ignored.push(stored_name.clone());
            } else {
                self.unknown.push(stored_name.clone());
            }
        }
        for (which, (q, kv)) in q_kv {
            match (q, kv) {
                (Some(q), Some(kv)) => {
                    self.entries
                        .insert(format!("visual.attn_pool.attn.in_proj_{which}"), Recipe::ConcatRows(vec![q, kv]));
                }
                // Half of a pair: report the present half as unknown so validation names it,
                // and the official key as missing.
                (Some(x), None) | (None, Some(x)) => self.unknown.push(x),
                (None, None) => {}
            }
        }
    }

    /// Shape of an official tensor as this checkpoint would produce it.
    fn official_shape(&self, recipe: &Recipe) -> Vec<usize> {
        let shape = |n: &String| self.stored.get(n).map(|(s, _)| s.clone()).unwrap_or_default();
        match recipe {
            Recipe::Direct(n) => shape(n),
            Recipe::Squeeze(n) => {
                let s = shape(n);
                let skip = s.iter().take_while(|&&d| d == 1).count().min(s.len().saturating_sub(1));
                s[skip..].to_vec()
            }
            Recipe::Transpose(n) => {
                let mut s = shape(n);
                s.reverse();
                s
            }
            Recipe::ConcatRows(ns) => {
                let shapes: Vec<Vec<usize>> = ns.iter().map(shape).collect();
                let mut out = shapes.first().cloned().unwrap_or_default();
                if let Some(first) = out.first_mut() {
                    *first = shapes.iter().map(|s| s.first().copied().unwrap_or(0)).sum();
                }
                out
            }
        }
    }

    /// Checks the checkpoint against the config for the requested towers: every expected key
    /// present with the expected shape, no key that belongs to no tower. Keys of a tower that is
    /// not requested are allowed (a full checkpoint serves an image-only load).
    pub(crate) fn validate(&self, cfg: &PeCoreConfig, towers: &[Tower]) -> Result<()> {
        if let Some(name) = self.unknown.first() {
            let found = self.stored.get(name).map(|(s, _)| s.clone()).unwrap_or_default();
            return Err(Error::UnexpectedTensor { key: name.clone(), found });
        }
        let vision = expected_vision(cfg);
        let text = expected_text(cfg);
        let all: HashMap<&str, &Vec<usize>> = vision.iter().chain(text.iter()).map(|(k, s)| (k.as_str(), s)).collect();
        for (key, recipe) in &self.entries {
            let found = self.official_shape(recipe);
            match all.get(key.as_str()) {
                Some(expected) if **expected != found => {
                    return Err(Error::ShapeMismatch { key: key.clone(), expected: (*expected).clone(), found });
                }
                Some(_) => {}
                None if key == "logit_scale" => {
                    if !found.is_empty() && found != [1] {
                        return Err(Error::ShapeMismatch { key: key.clone(), expected: vec![], found });
                    }
                }
                None => return Err(Error::UnexpectedTensor { key: key.clone(), found }),
            }
        }
        for tower in towers {
            let expected = match tower {
                Tower::Vision => &vision,
                Tower::Text => {
                    if cfg.text.is_none() {
                        return Err(Error::TowerUnavailable {
                            tower: "text",
                            reason: "the config has no text tower".into(),
                        });
                    }
                    &text
                }
            };
            for (key, shape) in expected {
                if !self.entries.contains_key(key) {
                    return Err(Error::MissingTensor { key: key.clone(), expected: shape.clone() });
                }
            }
        }
        Ok(())
    }

    /// Fails unless open_clip's `head.bias` (if stored) is all zeros: the official projection has
    /// no bias, so a non-zero one cannot be represented and would silently change embeddings.
    pub(crate) fn check_head_bias(&self, device: &Device) -> Result<()> {
        if let Some(name) = &self.head_bias {
            // Check the declared shape before reading: a hostile file could declare a huge one.
            let found = self.stored.get(name).map(|(s, _)| s.clone()).unwrap_or_default();
            let expected =
                self.entries.get("visual.proj").map(|r| self.official_shape(r)).and_then(|s| s.get(1).copied());
            if expected.is_none_or(|d| found != [d]) {
                return Err(Error::ShapeMismatch {
                    key: name.clone(),
                    expected: expected.into_iter().collect(),
                    found,
                });
            }
            let b = self.read_stored(name, device)?.to_dtype(DType::F32)?;
            let max = b.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
            if max != 0.0 {
                return Err(checkpoint_err(
                    &self.path,
                    format!("{name} is non-zero (max |b| = {max}); PE Core's projection has no bias"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the checkpoint has any tensor of this tower.
    /// The file this checkpoint was read from (or the name given to in-memory bytes).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn has_tower(&self, tower: Tower) -> bool {
        self.entries.keys().any(|k| match tower {
            Tower::Vision => k.starts_with("visual."),
            Tower::Text => !k.starts_with("visual.") && k != "logit_scale",
        })
    }

    /// Whether an official key is present.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Official names of all tensors present.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    fn read_stored(&self, name: &str, device: &Device) -> Result<Tensor> {
        let t = match &self.reader {
            Reader::Safetensors(st) => st.load(name, device),
            Reader::Buffered(st) => st.load(name, device),
            #[cfg(feature = "pytorch")]
            Reader::Pickle(pth) => return pth.load(name, device),
        };
        t.map_err(|e| checkpoint_err(&self.path, format!("reading tensor {name:?}: {e}")))
    }

    /// Reads one official tensor (in its stored dtype).
    pub(crate) fn get_raw(&self, key: &str, device: &Device) -> Result<Tensor> {
        let recipe =
            self.entries.get(key).ok_or_else(|| Error::MissingTensor { key: key.to_string(), expected: vec![] })?;
        let shape = self.official_shape(recipe);
        let t = match recipe {
            Recipe::Direct(n) => self.read_stored(n, device)?,
            Recipe::Squeeze(n) => self.read_stored(n, device)?.reshape(shape)?,
            Recipe::Transpose(n) => self.read_stored(n, device)?.t()?.contiguous()?,
            Recipe::ConcatRows(ns) => {
                let parts = ns.iter().map(|n| self.read_stored(n, device)).collect::<Result<Vec<_>>>()?;
                Tensor::cat(&parts, 0)?
            }
        };
        Ok(t)
    }

    /// Reads one official tensor as f32.
    pub(crate) fn get_f32(&self, key: &str, device: &Device) -> Result<Tensor> {
        let t = self.get_raw(key, device)?;
        if t.dtype() == DType::F32 {
            Ok(t)
        } else {
            Ok(t.to_dtype(DType::F32)?)
        }
    }

    /// Reads every tensor of the given towers (plus `logit_scale`) as f32, keyed by official name.
    pub(crate) fn load_towers(&self, towers: &[Tower], device: &Device) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for key in self.entries.keys() {
            let tower = if key == "logit_scale" {
                None
            } else if key.starts_with("visual.") {
                Some(Tower::Vision)
            } else {
                Some(Tower::Text)
            };
            if tower.is_none_or(|t| towers.contains(&t)) {
                out.insert(key.clone(), self.get_f32(key, device)?);
            }
        }
        Ok(out)
    }
}

/// Stored name → (shape, dtype) of the tensors of a safetensors file.
fn stored_shapes(
    tensors: Vec<(String, safetensors::tensor::TensorView<'_>)>,
) -> Result<HashMap<String, (Vec<usize>, DType)>> {
    let mut stored = HashMap::new();
    for (name, view) in tensors {
        let dtype = match view.dtype() {
            safetensors::Dtype::F32 => DType::F32,
            safetensors::Dtype::F16 => DType::F16,
            safetensors::Dtype::BF16 => DType::BF16,
            safetensors::Dtype::F64 => DType::F64,
            other => {
                return Err(Error::UnsupportedDtype { key: name, dtype: format!("{other:?}") });
            }
        };
        stored.insert(name, (view.shape().to_vec(), dtype));
    }
    Ok(stored)
}

/// Stored name → (shape, dtype).
type StoredShapes = HashMap<String, (Vec<usize>, DType)>;

/// Opens a PyTorch checkpoint with the bounded reader of `pickle.rs`: the plain state dict, or
/// the one under a `state_dict` / `weights` key as the official loader accepts.
#[cfg(feature = "pytorch")]
fn open_pytorch(path: &Path) -> Result<(Reader, StoredShapes)> {
    let pth = pickle::PthFile::open(path)?;
    let stored: StoredShapes =
        pth.tensors().iter().map(|(name, t)| (name.clone(), (t.shape.clone(), t.dtype))).collect();
    if stored.is_empty() {
        return Err(checkpoint_err(
            path,
            "no tensors found in the PyTorch file (read a plain state dict and the \"state_dict\" and \
             \"weights\" wrappers)",
        ));
    }
    Ok((Reader::Pickle(pth), stored))
}

#[cfg(not(feature = "pytorch"))]
fn open_pytorch(path: &Path) -> Result<(Reader, StoredShapes)> {
    Err(Error::FeatureDisabled { path: path.to_path_buf(), format: "a PyTorch checkpoint", feature: "pytorch" })
}

/// Non-parameter buffers that some exports include (masks, cached tables). Skipped on load.
fn is_buffer(name: &str) -> bool {
    name == "attn_mask"
        || name.ends_with(".attn_mask")
        || name.contains("rope.")
        || name.ends_with("freqs")
        || name.ends_with("freqs_cos")
        || name.ends_with("freqs_sin")
}

enum How {
    Direct,
    Squeeze,
    Transpose,
}

enum TimmKey {
    Official(String, How),
    PoolQ(&'static str),
    PoolKv(&'static str),
    HeadBias,
    Buffer,
    Unknown,
}

/// timm (`vit_pe_core_*`) vision names → official names (reference §10, second table).
fn map_timm_vision(n: &str) -> TimmKey {
    use How::*;
    use TimmKey::*;
    let simple = |s: &str| Official(s.to_string(), Direct);
    match n {
        "patch_embed.proj.weight" => return simple("conv1.weight"),
        "cls_token" => return Official("class_embedding".into(), Squeeze),
        "pos_embed" => return Official("positional_embedding".into(), Squeeze),
        "norm_pre.weight" => return simple("ln_pre.weight"),
        "norm_pre.bias" => return simple("ln_pre.bias"),
        "norm.weight" => return simple("ln_post.weight"),
        "norm.bias" => return simple("ln_post.bias"),
        "attn_pool.latent" => return simple("attn_pool.probe"),
        "attn_pool.q.weight" => return PoolQ("weight"),
        "attn_pool.q.bias" => return PoolQ("bias"),
        "attn_pool.kv.weight" => return PoolKv("weight"),
        "attn_pool.kv.bias" => return PoolKv("bias"),
        "attn_pool.proj.weight" => return simple("attn_pool.attn.out_proj.weight"),
        "attn_pool.proj.bias" => return simple("attn_pool.attn.out_proj.bias"),
        "attn_pool.norm.weight" => return simple("attn_pool.layernorm.weight"),
        "attn_pool.norm.bias" => return simple("attn_pool.layernorm.bias"),
        "attn_pool.mlp.fc1.weight" => return simple("attn_pool.mlp.c_fc.weight"),
        "attn_pool.mlp.fc1.bias" => return simple("attn_pool.mlp.c_fc.bias"),
        "attn_pool.mlp.fc2.weight" => return simple("attn_pool.mlp.c_proj.weight"),
        "attn_pool.mlp.fc2.bias" => return simple("attn_pool.mlp.c_proj.bias"),
        "head.weight" => return Official("proj".into(), Transpose),
        "head.bias" => return HeadBias,
        _ => {}
    }
    if is_buffer(n) {
        return Buffer;
    }
    if let Some(rest) = n.strip_prefix("blocks.") {
        if let Some((idx, tail)) = rest.split_once('.') {
            if idx.parse::<usize>().is_ok() {
                let off = match tail {
                    "norm1.weight" => "ln_1.weight",
                    "norm1.bias" => "ln_1.bias",
                    "norm2.weight" => "ln_2.weight",
                    "norm2.bias" => "ln_2.bias",
                    "attn.qkv.weight" => "attn.in_proj_weight",
                    "attn.qkv.bias" => "attn.in_proj_bias",
                    "attn.proj.weight" => "attn.out_proj.weight",
                    "attn.proj.bias" => "attn.out_proj.bias",
                    "mlp.fc1.weight" => "mlp.c_fc.weight",
                    "mlp.fc1.bias" => "mlp.c_fc.bias",
                    "mlp.fc2.weight" => "mlp.c_proj.weight",
                    "mlp.fc2.bias" => "mlp.c_proj.bias",
                    "gamma_1" => "ls_1.gamma",
                    "gamma_2" => "ls_2.gamma",
                    _ => return Unknown,
                };
                return Official(format!("transformer.resblocks.{idx}.{off}"), Direct);
            }
        }
    }
    Unknown
}

fn block_keys(prefix: &str, w: usize, m: usize, layer_scale: bool) -> Vec<(String, Vec<usize>)> {
    let mut v = vec![
        (format!("{prefix}ln_1.weight"), vec![w]),
        (format!("{prefix}ln_1.bias"), vec![w]),
        (format!("{prefix}attn.in_proj_weight"), vec![3 * w, w]),
        (format!("{prefix}attn.in_proj_bias"), vec![3 * w]),
        (format!("{prefix}attn.out_proj.weight"), vec![w, w]),
        (format!("{prefix}attn.out_proj.bias"), vec![w]),
        (format!("{prefix}ln_2.weight"), vec![w]),
        (format!("{prefix}ln_2.bias"), vec![w]),
        (format!("{prefix}mlp.c_fc.weight"), vec![m, w]),
        (format!("{prefix}mlp.c_fc.bias"), vec![m]),
        (format!("{prefix}mlp.c_proj.weight"), vec![w, m]),
        (format!("{prefix}mlp.c_proj.bias"), vec![w]),
    ];
    if layer_scale {
        v.push((format!("{prefix}ls_1.gamma"), vec![w]));
        v.push((format!("{prefix}ls_2.gamma"), vec![w]));
    }
    v
}

/// Every official vision key with the shape the config implies.
pub(crate) fn expected_vision(cfg: &PeCoreConfig) -> Vec<(String, Vec<usize>)> {
    let v = &cfg.vision;
    let (w, p) = (v.width, v.patch_size);
    let mut out = vec![("visual.conv1.weight".to_string(), vec![w, 3, p, p])];
    if v.use_cls_token {
        out.push(("visual.class_embedding".into(), vec![w]));
    }
    if v.use_abs_posemb {
        out.push(("visual.positional_embedding".into(), vec![v.num_positions(), w]));
    }
    if v.use_ln_pre {
        out.push(("visual.ln_pre.weight".into(), vec![w]));
        out.push(("visual.ln_pre.bias".into(), vec![w]));
    }
    for i in 0..v.layers {
        out.extend(block_keys(
            &format!("visual.transformer.resblocks.{i}."),
            w,
            v.mlp_width(),
            v.ls_init_value.is_some(),
        ));
    }
    if v.use_ln_post {
        out.push(("visual.ln_post.weight".into(), vec![w]));
        out.push(("visual.ln_post.bias".into(), vec![w]));
    }
    let pm = v.pooler_mlp_width();
    out.extend([
        ("visual.attn_pool.probe".into(), vec![1, 1, w]),
        ("visual.attn_pool.attn.in_proj_weight".into(), vec![3 * w, w]),
        ("visual.attn_pool.attn.in_proj_bias".into(), vec![3 * w]),
        ("visual.attn_pool.attn.out_proj.weight".into(), vec![w, w]),
        ("visual.attn_pool.attn.out_proj.bias".into(), vec![w]),
        ("visual.attn_pool.layernorm.weight".into(), vec![w]),
        ("visual.attn_pool.layernorm.bias".into(), vec![w]),
        ("visual.attn_pool.mlp.c_fc.weight".into(), vec![pm, w]),
        ("visual.attn_pool.mlp.c_fc.bias".into(), vec![pm]),
        ("visual.attn_pool.mlp.c_proj.weight".into(), vec![w, pm]),
        ("visual.attn_pool.mlp.c_proj.bias".into(), vec![w]),
        ("visual.proj".into(), vec![w, v.output_dim]),
    ]);
    out
}

/// Every official text key with the shape the config implies (empty without a text tower).
pub(crate) fn expected_text(cfg: &PeCoreConfig) -> Vec<(String, Vec<usize>)> {
    let Some(t) = &cfg.text else { return Vec::new() };
    let w = t.width;
    let mut out = vec![
        ("token_embedding.weight".to_string(), vec![t.vocab_size, w]),
        ("positional_embedding".to_string(), vec![t.context_length, w]),
    ];
    for i in 0..t.layers {
        out.extend(block_keys(&format!("transformer.resblocks.{i}."), w, t.mlp_width(), false));
    }
    out.extend([
        ("ln_final.weight".into(), vec![w]),
        ("ln_final.bias".into(), vec![w]),
        ("text_projection".into(), vec![w, t.output_dim]),
    ]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_key_counts_match_the_reference() {
        // Reference §10: key counts T/S 313, B 457, L 601, G 912 (incl. logit_scale).
        for (name, count) in [("t16-384", 313), ("s16-384", 313), ("b16-224", 457), ("l14-336", 601), ("g14-448", 912)]
        {
            let cfg = PeCoreConfig::preset(name).unwrap();
            let n = expected_vision(&cfg).len() + expected_text(&cfg).len() + 1;
            assert_eq!(n, count, "{name}");
        }
    }

    #[cfg(not(feature = "pytorch"))]
    #[test]
    fn pytorch_files_need_the_feature() {
        let pt = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pt-wrappers/tiny-state_dict.pt");
        let err = Checkpoint::open(&pt).err().unwrap();
        assert!(matches!(&err, Error::FeatureDisabled { feature: "pytorch", path, .. } if path == &pt), "{err:?}");
        assert!(err.to_string().contains("`pytorch` feature"), "{err}");
    }

    #[test]
    fn timm_names_map_to_official_names() {
        let TimmKey::Official(n, How::Direct) = map_timm_vision("blocks.11.attn.qkv.weight") else { panic!() };
        assert_eq!(n, "transformer.resblocks.11.attn.in_proj_weight");
        let TimmKey::Official(n, How::Transpose) = map_timm_vision("head.weight") else { panic!() };
        assert_eq!(n, "proj");
        assert!(matches!(map_timm_vision("attn_pool.kv.bias"), TimmKey::PoolKv("bias")));
        assert!(matches!(map_timm_vision("blocks.x.norm1.weight"), TimmKey::Unknown));
        assert!(matches!(map_timm_vision("blocks.0.foo"), TimmKey::Unknown));
    }
}
