//! A bounded, allow-listed reader for PyTorch checkpoints written by `torch.save` (zip format).
//!
//! Why not candle's `pickle` module: it executes whatever a file says without limits. 200 000
//! nested `TUPLE1` opcodes (200 KB) overflow the stack when the nested value is dropped, a
//! 286-byte memo bomb deep-clones 2^40 objects, a `BINUNICODE` length of `0xFFFFFFF0` allocates
//! 4 GiB before reading a byte, and storage sizes are never compared with the archive.
//!
//! This reader accepts what `torch.save(state_dict)` writes and nothing else:
//! - the archive is `<prefix>/data.pkl` (pickle protocol 2), `<prefix>/byteorder` and one
//!   stored (uncompressed) entry `<prefix>/data/<key>` per tensor storage;
//! - the pickle VM knows only the opcodes `torch.save` uses for a state dict (no `INST`, `OBJ`,
//!   `NEWOBJ`, `STACK_GLOBAL`, ...) and only the globals it names (`collections.OrderedDict`,
//!   `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter`, `torch.*Storage`):
//!   nothing outside this list can be called;
//! - objects live in one arena and refer to each other by index: a memo lookup or a shared
//!   reference copies an index (a memo bomb costs one slot per opcode), and no value is recursive
//!   (dropping 200 000 nested tuples is dropping a flat `Vec`);
//! - limits on the file size, the size of `data.pkl`, the nesting depth, the number of objects and
//!   of memo entries; every string and byte run is checked against the remaining input before
//!   anything is allocated;
//! - every tensor's storage is checked against its archive entry (declared element count × dtype
//!   size ≤ entry size, entry inside the file) and every tensor's shape, strides and offset
//!   against its storage, when the file is opened, before any tensor is read.
//!
//! Every violation is a typed error naming the file: [`Error::LimitExceeded`] (what, how much,
//! the limit), [`Error::Pickle`] (byte offset in `data.pkl`, what is not allowed),
//! [`Error::CheckpointStorage`] (tensor, entry, needed and available bytes).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use candle_core::{DType, Device, Tensor};

use crate::{Error, Result};

/// Largest `.pt` file read, in bytes (PE Core G14 in f32 is 7.5 GB).
pub(crate) const MAX_FILE_BYTES: u64 = 16 << 30;
/// Largest `data.pkl`, in bytes (a state dict of 1 000 tensors takes about 100 KB).
pub(crate) const MAX_PICKLE_BYTES: u64 = 16 << 20;
/// Deepest nesting of containers and `MARK`s (a wrapped state dict needs about 6).
pub(crate) const MAX_DEPTH: usize = 64;
/// Most objects the pickle may create (a state dict needs about 15 per tensor).
pub(crate) const MAX_OBJECTS: usize = 1 << 20;
/// Most memo entries.
pub(crate) const MAX_MEMO: usize = 1 << 20;
/// Most entries in the zip archive (one per storage, plus 4).
pub(crate) const MAX_ENTRIES: usize = 1 << 20;
/// Highest tensor rank.
const MAX_RANK: usize = 16;
/// Longest `module` or `name` of a `GLOBAL` opcode.
const MAX_GLOBAL_LEN: usize = 128;

fn limit(path: &Path, what: &'static str, found: u64, limit: u64) -> Error {
    Error::LimitExceeded { source_name: path.display().to_string(), what, found, limit, setting: "fixed" }
}

fn checkpoint_err(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Checkpoint { path: path.to_path_buf(), reason: reason.to_string() }
}

/// Element type of a `torch.*Storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StorageKind {
    F32,
    F64,
    F16,
    Bf16,
    I64,
    I32,
    I16,
    I8,
    U8,
    Bool,
}

impl StorageKind {
    fn from_class(name: &str) -> Option<Self> {
        Some(match name {
            "FloatStorage" => Self::F32,
            "DoubleStorage" => Self::F64,
            "HalfStorage" => Self::F16,
            "BFloat16Storage" => Self::Bf16,
            "LongStorage" => Self::I64,
            "IntStorage" => Self::I32,
            "ShortStorage" => Self::I16,
            "CharStorage" => Self::I8,
            "ByteStorage" => Self::U8,
            "BoolStorage" => Self::Bool,
            _ => return None,
        })
    }

    fn elem_bytes(self) -> u64 {
        match self {
            Self::F64 | Self::I64 => 8,
            Self::F32 | Self::I32 => 4,
            Self::F16 | Self::Bf16 | Self::I16 => 2,
            Self::I8 | Self::U8 | Self::Bool => 1,
        }
    }

    /// The candle dtype for the floating-point kinds the loader uses, else the torch name.
    fn dtype(self) -> std::result::Result<DType, &'static str> {
        match self {
            Self::F32 => Ok(DType::F32),
            Self::F64 => Ok(DType::F64),
            Self::F16 => Ok(DType::F16),
            Self::Bf16 => Ok(DType::BF16),
            Self::I64 => Err("int64"),
            Self::I32 => Err("int32"),
            Self::I16 => Err("int16"),
            Self::I8 => Err("int8"),
            Self::U8 => Err("uint8"),
            Self::Bool => Err("bool"),
        }
    }
}

/// The only globals a pickle may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Global {
    OrderedDict,
    RebuildTensorV2,
    RebuildParameter,
    Storage(StorageKind),
}

impl Global {
    fn lookup(module: &str, name: &str) -> Option<Self> {
        match (module, name) {
            ("collections", "OrderedDict") => Some(Self::OrderedDict),
            ("torch._utils", "_rebuild_tensor_v2") => Some(Self::RebuildTensorV2),
            ("torch._utils", "_rebuild_parameter") => Some(Self::RebuildParameter),
            ("torch", class) => StorageKind::from_class(class).map(Self::Storage),
            _ => None,
        }
    }
}

/// Index of an object in the VM's arena.
type Id = u32;

/// A pickled value. Containers hold indices, never values, so nothing here recurses.
#[derive(Debug)]
enum Value {
    None,
    /// `True` / `False`: only ever an argument nobody reads (`requires_grad`).
    Bool,
    Int(i64),
    Float,
    Str(String),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Global(Global),
    /// A `BINPERSID` storage reference: `('storage', Class, key, location, numel)`.
    Storage {
        kind: StorageKind,
        key: String,
        numel: u64,
    },
    /// `_rebuild_tensor_v2(storage, offset, size, stride, ...)`; offset and strides in elements.
    Tensor {
        storage: Id,
        offset: u64,
        size: Vec<u64>,
        stride: Vec<u64>,
    },
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool => "a bool",
            Value::Int(_) => "an int",
            Value::Float => "a float",
            Value::Str(_) => "a string",
            Value::Tuple(_) => "a tuple",
            Value::List(_) => "a list",
            Value::Dict(_) => "a dict",
            Value::Global(_) => "a global",
            Value::Storage { .. } => "a storage",
            Value::Tensor { .. } => "a tensor",
        }
    }
}

/// The pickle machine: an arena of objects, the stack of indices, the `MARK` positions and the
/// memo.
struct Vm<'a> {
    path: &'a Path,
    data: &'a [u8],
    pos: usize,
    /// Offset of the opcode being executed (for errors).
    op_pos: usize,
    objects: Vec<Value>,
    /// Nesting depth of each object (0 for scalars). For lists and dicts filled after they were
    /// shared it is a lower bound, which is enough: it bounds what the reader accepts, and the
    /// reader itself never walks the structure recursively.
    depth: Vec<usize>,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: HashMap<u32, Id>,
}

impl<'a> Vm<'a> {
    fn new(data: &'a [u8], path: &'a Path) -> Self {
        Vm {
            path,
            data,
            pos: 0,
            op_pos: 0,
            objects: Vec::new(),
            depth: Vec::new(),
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
        }
    }

    fn err(&self, reason: impl Into<String>) -> Error {
        Error::Pickle { path: self.path.to_path_buf(), offset: self.op_pos as u64, reason: reason.into() }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(self.err(format!("{what} of {n} bytes runs past the end of data.pkl ({left} bytes left)")));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1, "argument")?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let b = self.take(N, "argument")?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    fn string(&mut self, n: usize) -> Result<String> {
        let bytes = self.take(n, "string")?;
        std::str::from_utf8(bytes).map(str::to_string).map_err(|_| self.err("string is not valid UTF-8"))
    }

    /// A newline-terminated argument of `GLOBAL`.
    fn line(&mut self) -> Result<&'a str> {
        let rest = &self.data[self.pos..];
        let end =
            rest.iter().take(MAX_GLOBAL_LEN + 1).position(|&b| b == b'\n').ok_or_else(|| {
                self.err(format!("GLOBAL name without a newline in its first {MAX_GLOBAL_LEN} bytes"))
            })?;
        let line = std::str::from_utf8(&rest[..end]).map_err(|_| self.err("GLOBAL name is not UTF-8"))?;
        self.pos += end + 1;
        Ok(line)
    }

    fn alloc(&mut self, value: Value, depth: usize) -> Result<Id> {
        if self.objects.len() >= MAX_OBJECTS {
            return Err(limit(
                self.path,
                "objects in the checkpoint's pickle",
                self.objects.len() as u64 + 1,
                MAX_OBJECTS as u64,
            ));
        }
        if depth > MAX_DEPTH {
            return Err(limit(self.path, "nesting depth of the checkpoint's pickle", depth as u64, MAX_DEPTH as u64));
        }
        self.objects.push(value);
        self.depth.push(depth);
        Ok((self.objects.len() - 1) as Id)
    }

    fn push_new(&mut self, value: Value, depth: usize) -> Result<()> {
        let id = self.alloc(value, depth)?;
        self.stack.push(id);
        Ok(())
    }

    /// The stack floor: nothing below the last `MARK` may be popped.
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Id> {
        if self.stack.len() <= self.fence() {
            return Err(self.err("stack underflow"));
        }
        Ok(self.stack.pop().unwrap_or_default())
    }

    fn top(&self) -> Result<Id> {
        if self.stack.len() <= self.fence() {
            return Err(self.err("stack underflow"));
        }
        Ok(*self.stack.last().unwrap_or(&0))
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>> {
        let m = self.marks.pop().ok_or_else(|| self.err("no MARK to pop to"))?;
        Ok(self.stack.split_off(m))
    }

    fn container_depth(&self, items: &[Id]) -> usize {
        1 + items.iter().map(|&i| self.depth[i as usize]).max().unwrap_or(0)
    }

    fn tuple(&mut self, items: Vec<Id>) -> Result<()> {
        let depth = self.container_depth(&items);
        self.push_new(Value::Tuple(items), depth)
    }

    /// Raises the recorded depth of a container that got new items.
    fn deepen(&mut self, container: Id, items: &[Id]) -> Result<()> {
        let d = self.container_depth(items).max(self.depth[container as usize]);
        if d > MAX_DEPTH {
            return Err(limit(self.path, "nesting depth of the checkpoint's pickle", d as u64, MAX_DEPTH as u64));
        }
        self.depth[container as usize] = d;
        Ok(())
    }

    fn set_items(&mut self, items: Vec<Id>) -> Result<()> {
        if !items.len().is_multiple_of(2) {
            return Err(self.err("SETITEMS with an odd number of items"));
        }
        let dict = self.top()?;
        self.deepen(dict, &items)?;
        let Value::Dict(entries) = &mut self.objects[dict as usize] else {
            let kind = self.objects[dict as usize].kind();
            return Err(self.err(format!("SETITEM(S) on {kind}, not a dict")));
        };
        entries.extend(items.chunks_exact(2).map(|kv| (kv[0], kv[1])));
        Ok(())
    }

    fn append(&mut self, items: Vec<Id>) -> Result<()> {
        let list = self.top()?;
        self.deepen(list, &items)?;
        let Value::List(v) = &mut self.objects[list as usize] else {
            let kind = self.objects[list as usize].kind();
            return Err(self.err(format!("APPEND(S) on {kind}, not a list")));
        };
        v.extend(items);
        Ok(())
    }

    fn put(&mut self, idx: u32) -> Result<()> {
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&idx) {
            return Err(limit(
                self.path,
                "memo entries of the checkpoint's pickle",
                self.memo.len() as u64 + 1,
                MAX_MEMO as u64,
            ));
        }
        let top = self.top()?;
        self.memo.insert(idx, top);
        Ok(())
    }

    fn get(&mut self, idx: u32) -> Result<()> {
        let id = *self.memo.get(&idx).ok_or_else(|| self.err(format!("memo entry {idx} was never stored")))?;
        // Shared, not copied: the same object, as in Python.
        self.stack.push(id);
        Ok(())
    }

    fn int_arg(&self, id: Id, what: &str) -> Result<u64> {
        match self.objects[id as usize] {
            Value::Int(v) if v >= 0 => Ok(v as u64),
            ref other => Err(self.err(format!("{what} is {}, not a non-negative int", other.kind()))),
        }
    }

    fn ints(&self, id: Id, what: &str) -> Result<Vec<u64>> {
        let Value::Tuple(items) = &self.objects[id as usize] else {
            return Err(self.err(format!("{what} is {}, not a tuple", self.objects[id as usize].kind())));
        };
        if items.len() > MAX_RANK {
            return Err(limit(self.path, "tensor rank", items.len() as u64, MAX_RANK as u64));
        }
        items.iter().map(|&i| self.int_arg(i, what)).collect()
    }

    fn reduce(&mut self, callable: Id, args: Id) -> Result<Id> {
        let Value::Global(global) = self.objects[callable as usize] else {
            return Err(self.err(format!("REDUCE calls {}", self.objects[callable as usize].kind())));
        };
        let Value::Tuple(a) = &self.objects[args as usize] else {
            return Err(self.err("REDUCE arguments are not a tuple"));
        };
        let a = a.clone();
        match global {
            Global::OrderedDict => {
                if !a.is_empty() {
                    return Err(self.err("collections.OrderedDict called with arguments"));
                }
                self.alloc(Value::Dict(Vec::new()), 1)
            }
            Global::RebuildTensorV2 => {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if !(6..=7).contains(&a.len()) {
                    return Err(self.err(format!("_rebuild_tensor_v2 takes 6 or 7 arguments, got {}", a.len())));
                }
                if !matches!(self.objects[a[0] as usize], Value::Storage { .. }) {
                    return Err(self.err("_rebuild_tensor_v2: the first argument is not a storage"));
                }
                let offset = self.int_arg(a[1], "_rebuild_tensor_v2 storage offset")?;
                let size = self.ints(a[2], "_rebuild_tensor_v2 size")?;
                let stride = self.ints(a[3], "_rebuild_tensor_v2 stride")?;
                if size.len() != stride.len() {
                    return Err(self.err(format!(
                        "_rebuild_tensor_v2: size has {} dims, stride {}",
                        size.len(),
                        stride.len()
                    )));
                }
                let depth = self.depth[args as usize];
                self.alloc(Value::Tensor { storage: a[0], offset, size, stride }, depth)
            }
            Global::RebuildParameter => {
                // (data, requires_grad, backward_hooks): the parameter is its data.
                if a.len() != 3 || !matches!(self.objects[a[0] as usize], Value::Tensor { .. }) {
                    return Err(self.err("_rebuild_parameter: expected (tensor, requires_grad, backward_hooks)"));
                }
                Ok(a[0])
            }
            Global::Storage(_) => Err(self.err("a storage class cannot be called")),
        }
    }

    /// `BINPERSID`: `('storage', torch.<Kind>Storage, key, location, numel)`.
    fn persistent(&mut self, pid: Id) -> Result<Id> {
        let bad = |vm: &Self| vm.err("persistent id is not ('storage', class, key, location, numel)");
        let Value::Tuple(t) = &self.objects[pid as usize] else { return Err(bad(self)) };
        let [tag, class, key, _location, numel] = t[..] else { return Err(bad(self)) };
        let (Value::Str(tag), Value::Global(Global::Storage(kind)), Value::Str(key)) =
            (&self.objects[tag as usize], &self.objects[class as usize], &self.objects[key as usize])
        else {
            return Err(bad(self));
        };
        if tag != "storage" {
            return Err(bad(self));
        }
        // The key names an archive entry: keep it a plain file name.
        if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(self.err(format!("storage key {key:?} is not a plain name")));
        }
        let (kind, key) = (*kind, key.clone());
        let numel = self.int_arg(numel, "storage size")?;
        self.alloc(Value::Storage { kind, key, numel }, 1)
    }

    /// Runs the pickle to its `STOP` and returns the result.
    fn run(&mut self) -> Result<Id> {
        loop {
            self.op_pos = self.pos;
            let op = self.take(1, "opcode").map_err(|_| self.err("data.pkl ends without STOP"))?[0];
            match op {
                // PROTO
                0x80 => {
                    let v = self.u8()?;
                    if v > 5 {
                        return Err(self.err(format!("pickle protocol {v}")));
                    }
                }
                b'}' => self.push_new(Value::Dict(Vec::new()), 1)?,
                b']' => self.push_new(Value::List(Vec::new()), 1)?,
                b')' => self.push_new(Value::Tuple(Vec::new()), 1)?,
                b'(' => {
                    if self.marks.len() >= MAX_DEPTH {
                        return Err(limit(
                            self.path,
                            "nesting depth of the checkpoint's pickle",
                            self.marks.len() as u64 + 1,
                            MAX_DEPTH as u64,
                        ));
                    }
                    self.marks.push(self.stack.len());
                }
                // BINUNICODE, SHORT_BINUNICODE
                b'X' => {
                    let n = u32::from_le_bytes(self.array()?) as usize;
                    let s = self.string(n)?;
                    self.push_new(Value::Str(s), 0)?;
                }
                0x8c => {
                    let n = self.u8()? as usize;
                    let s = self.string(n)?;
                    self.push_new(Value::Str(s), 0)?;
                }
                // BININT, BININT1, BININT2, LONG1
                b'J' => {
                    let v = i32::from_le_bytes(self.array()?);
                    self.push_new(Value::Int(v.into()), 0)?;
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push_new(Value::Int(v.into()), 0)?;
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.array()?);
                    self.push_new(Value::Int(v.into()), 0)?;
                }
                0x8a => {
                    let n = self.u8()? as usize;
                    if n > 8 {
                        return Err(self.err(format!("LONG1 of {n} bytes (at most 8 are read)")));
                    }
                    let bytes = self.take(n, "LONG1")?;
                    let mut buf = if bytes.last().is_some_and(|&b| b & 0x80 != 0) { [0xff; 8] } else { [0; 8] };
                    buf[..n].copy_from_slice(bytes);
                    self.push_new(Value::Int(i64::from_le_bytes(buf)), 0)?;
                }
                // BINFLOAT: the value is never used, only skipped.
                b'G' => {
                    self.take(8, "BINFLOAT")?;
                    self.push_new(Value::Float, 0)?;
                }
                0x88 | 0x89 => self.push_new(Value::Bool, 0)?,
                b'N' => self.push_new(Value::None, 0)?,
                b't' => {
                    let items = self.pop_mark()?;
                    self.tuple(items)?;
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = vec![0; n];
                    for slot in items.iter_mut().rev() {
                        *slot = self.pop()?;
                    }
                    self.tuple(items)?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.set_items(vec![k, v])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.set_items(items)?;
                }
                b'a' => {
                    let v = self.pop()?;
                    self.append(vec![v])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.append(items)?;
                }
                // BINPUT, LONG_BINPUT, BINGET, LONG_BINGET
                b'q' => {
                    let i = self.u8()?;
                    self.put(i.into())?;
                }
                b'r' => {
                    let i = u32::from_le_bytes(self.array()?);
                    self.put(i)?;
                }
                b'h' => {
                    let i = self.u8()?;
                    self.get(i.into())?;
                }
                b'j' => {
                    let i = u32::from_le_bytes(self.array()?);
                    self.get(i)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let global = Global::lookup(module, name).ok_or_else(|| {
                        self.err(format!(
                            "global {module}.{name} is not allowed (a state dict needs only \
                             collections.OrderedDict, torch._utils._rebuild_tensor_v2, \
                             torch._utils._rebuild_parameter and torch.*Storage)"
                        ))
                    })?;
                    self.push_new(Value::Global(global), 0)?;
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let out = self.reduce(callable, args)?;
                    self.stack.push(out);
                }
                b'b' => {
                    // OrderedDict's state (`_metadata` of `Module.state_dict()`): not needed.
                    let _state = self.pop()?;
                    let target = self.top()?;
                    if !matches!(self.objects[target as usize], Value::Dict(_)) {
                        let kind = self.objects[target as usize].kind();
                        return Err(self.err(format!("BUILD on {kind}; only dicts are accepted")));
                    }
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let storage = self.persistent(pid)?;
                    self.stack.push(storage);
                }
                b'.' => {
                    let out = self.pop()?;
                    if !self.stack.is_empty() || !self.marks.is_empty() {
                        return Err(self.err("STOP with a non-empty stack"));
                    }
                    return Ok(out);
                }
                other => {
                    return Err(self.err(format!("opcode 0x{other:02x} is not one torch.save writes for a state dict")))
                }
            }
        }
    }

    /// The `(key, tensor)` pairs of the state dict: the top-level dict, or the dict under its
    /// `"state_dict"` or `"weights"` key (the official loader's order). Non-tensor values are
    /// skipped; a repeated key keeps its last value, as in Python.
    fn state_dict(&self, root: Id) -> Result<Vec<(String, Id)>> {
        let dict = |id: Id| match &self.objects[id as usize] {
            Value::Dict(entries) => Some(entries),
            _ => None,
        };
        let str_of = |id: Id| match &self.objects[id as usize] {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        };
        let top = dict(root).ok_or_else(|| {
            self.err(format!("the pickled object is {}, not a state dict", self.objects[root as usize].kind()))
        })?;
        let inner = ["state_dict", "weights"].iter().find_map(|wrapper| {
            top.iter().rev().find(|(k, _)| str_of(*k) == Some(wrapper)).and_then(|(_, v)| dict(*v))
        });
        let mut out: Vec<(String, Id)> = Vec::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for &(k, v) in inner.unwrap_or(top) {
            let (Some(name), Value::Tensor { .. }) = (str_of(k), &self.objects[v as usize]) else { continue };
            match seen.get(name) {
                Some(&i) => out[i].1 = v,
                None => {
                    seen.insert(name, out.len());
                    out.push((name.to_string(), v));
                }
            }
        }
        Ok(out)
    }
}

/// One tensor of a [`PthFile`], checked against its storage.
#[derive(Debug, Clone)]
pub(crate) struct PthTensor {
    /// Stored dtype (f32, f64, f16 or bf16).
    pub(crate) dtype: DType,
    /// Shape.
    pub(crate) shape: Vec<usize>,
    /// Strides in elements.
    stride: Vec<usize>,
    /// Offset into the storage in elements.
    offset: usize,
    /// Archive entry holding the storage.
    entry: String,
    elem_bytes: usize,
}

impl PthTensor {
    fn elements(&self) -> usize {
        self.shape.iter().product()
    }

    /// Elements of the storage the tensor spans, from its offset (0 for an empty tensor).
    fn span(&self) -> usize {
        if self.elements() == 0 {
            return 0;
        }
        1 + self.shape.iter().zip(&self.stride).map(|(&n, &s)| (n - 1) * s).sum::<usize>()
    }

    fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&n, &s) in self.shape.iter().zip(&self.stride).rev() {
            if n != 1 && s != expected {
                return false;
            }
            expected *= n;
        }
        true
    }
}

/// An opened and validated PyTorch checkpoint: its tensors' descriptions and the archive to read
/// them from.
pub(crate) struct PthFile {
    path: PathBuf,
    archive: Mutex<zip::ZipArchive<std::io::BufReader<std::fs::File>>>,
    tensors: HashMap<String, PthTensor>,
}

impl PthFile {
    /// Opens `path`, runs its pickle and checks every tensor against its storage. Reads no
    /// tensor data.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if file_len > MAX_FILE_BYTES {
            return Err(limit(path, "size of the PyTorch checkpoint (bytes)", file_len, MAX_FILE_BYTES));
        }
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| checkpoint_err(path, format!("not a valid PyTorch zip archive: {e}")))?;
        if archive.len() > MAX_ENTRIES {
            return Err(limit(path, "entries in the PyTorch archive", archive.len() as u64, MAX_ENTRIES as u64));
        }
        let pickles: Vec<String> = archive
            .file_names()
            .filter_map(|n| n.ok())
            .filter(|n| *n == "data.pkl" || n.ends_with("/data.pkl"))
            .map(|n| n.into_owned())
            .collect();
        let pkl = match &pickles[..] {
            [one] => one.clone(),
            [] => return Err(checkpoint_err(path, "the zip archive has no data.pkl: not a torch.save checkpoint")),
            several => {
                return Err(checkpoint_err(path, format!("several pickles in the archive: {}", several.join(", "))))
            }
        };
        let prefix = pkl.strip_suffix("data.pkl").unwrap_or_default().to_string();
        let zip_err = |e: zip::result::ZipError| checkpoint_err(path, format!("zip archive: {e}"));
        if let Ok(f) = archive.by_name(&format!("{prefix}byteorder")) {
            let mut order = Vec::new();
            f.take(16).read_to_end(&mut order).map_err(|e| Error::io(path, e))?;
            if order != b"little" {
                return Err(checkpoint_err(
                    path,
                    format!(
                        "byte order {:?}: only little-endian checkpoints are read",
                        String::from_utf8_lossy(&order)
                    ),
                ));
            }
        }
        let data = {
            let f = archive.by_name(&pkl).map_err(zip_err)?;
            if f.size() > MAX_PICKLE_BYTES {
                return Err(limit(path, "size of the checkpoint's data.pkl (bytes)", f.size(), MAX_PICKLE_BYTES));
            }
            let mut data = Vec::new();
            f.take(MAX_PICKLE_BYTES + 1)
                .read_to_end(&mut data)
                .map_err(|e| checkpoint_err(path, format!("reading {pkl}: {e}")))?;
            if data.len() as u64 > MAX_PICKLE_BYTES {
                return Err(limit(
                    path,
                    "size of the checkpoint's data.pkl (bytes)",
                    data.len() as u64,
                    MAX_PICKLE_BYTES,
                ));
            }
            data
        };
        let tensors = parse_state_dict(&data, path)?;
        let mut out = HashMap::new();
        for (name, t) in tensors {
            let entry = format!("{prefix}data/{}", t.storage_key);
            let t = check_storage(&mut archive, path, file_len, &name, entry, t)?;
            out.insert(name, t);
        }
        Ok(PthFile { path: path.to_path_buf(), archive: Mutex::new(archive), tensors: out })
    }

    /// Every tensor: state-dict key → description.
    pub(crate) fn tensors(&self) -> &HashMap<String, PthTensor> {
        &self.tensors
    }

    /// Reads one tensor in its stored dtype, contiguous.
    pub(crate) fn load(&self, name: &str, device: &Device) -> Result<Tensor> {
        let t = self.tensors.get(name).ok_or_else(|| checkpoint_err(&self.path, format!("no tensor {name:?}")))?;
        let span_bytes = t.span() * t.elem_bytes;
        let mut buf = vec![0u8; span_bytes];
        if span_bytes > 0 {
            // A poisoned lock only means another reader panicked mid-read; the archive is
            // re-positioned by every read, so it is still usable.
            let mut archive = self.archive.lock().unwrap_or_else(|e| e.into_inner());
            let mut f = archive
                .by_name_seek(&t.entry)
                .map_err(|e| checkpoint_err(&self.path, format!("tensor {name:?}: {e}")))?;
            let read = f.seek(SeekFrom::Start((t.offset * t.elem_bytes) as u64)).and_then(|_| f.read_exact(&mut buf));
            read.map_err(|e| checkpoint_err(&self.path, format!("reading tensor {name:?} from {}: {e}", t.entry)))?;
        }
        let bytes = if t.is_contiguous() { buf } else { gather(&buf, &t.shape, &t.stride, t.elem_bytes) };
        Ok(Tensor::from_raw_buffer(&bytes, t.dtype, &t.shape, device)?)
    }
}

/// A tensor as the pickle describes it, before its storage is checked.
#[derive(Debug, PartialEq)]
struct RawTensor {
    kind: StorageKind,
    storage_key: String,
    storage_numel: u64,
    offset: u64,
    size: Vec<u64>,
    stride: Vec<u64>,
}

/// Runs a `data.pkl` and returns its state dict's tensors, in pickle order.
fn parse_state_dict(data: &[u8], path: &Path) -> Result<Vec<(String, RawTensor)>> {
    let mut vm = Vm::new(data, path);
    let root = vm.run()?;
    let entries = vm.state_dict(root)?;
    let mut out = Vec::with_capacity(entries.len());
    for (name, id) in entries {
        let Value::Tensor { storage, offset, size, stride } = &vm.objects[id as usize] else { continue };
        let Value::Storage { kind, key, numel } = &vm.objects[*storage as usize] else { continue };
        out.push((
            name,
            RawTensor {
                kind: *kind,
                storage_key: key.clone(),
                storage_numel: *numel,
                offset: *offset,
                size: size.clone(),
                stride: stride.clone(),
            },
        ));
    }
    Ok(out)
}

/// Checks a tensor's dtype, its storage against the archive entry, and its shape, strides and
/// offset against the storage.
fn check_storage(
    archive: &mut zip::ZipArchive<std::io::BufReader<std::fs::File>>,
    path: &Path,
    file_len: u64,
    name: &str,
    entry: String,
    t: RawTensor,
) -> Result<PthTensor> {
    let dtype = t.kind.dtype().map_err(|d| Error::UnsupportedDtype { key: name.to_string(), dtype: d.to_string() })?;
    let elem = t.kind.elem_bytes();
    let (entry_bytes, stored_ok, inside) = {
        let f = archive
            .by_name(&entry)
            .map_err(|e| checkpoint_err(path, format!("tensor {name:?}: storage entry {entry:?}: {e}")))?;
        let end = f.data_start().and_then(|s| s.checked_add(f.compressed_size()));
        (
            f.size(),
            f.compression() == zip::CompressionMethod::Stored && f.compressed_size() == f.size(),
            end.is_some_and(|e| e <= file_len),
        )
    };
    if !stored_ok {
        return Err(checkpoint_err(path, format!("storage entry {entry:?} is compressed; torch.save stores them")));
    }
    let storage_err = |needed: Option<u64>, available: u64| Error::CheckpointStorage {
        path: path.to_path_buf(),
        key: name.to_string(),
        entry: entry.clone(),
        needed_bytes: needed.unwrap_or(u64::MAX),
        available_bytes: available,
    };
    if !inside {
        return Err(storage_err(Some(entry_bytes), file_len));
    }
    let storage_bytes = t.storage_numel.checked_mul(elem);
    if storage_bytes.is_none_or(|b| b > entry_bytes) {
        return Err(storage_err(storage_bytes, entry_bytes));
    }
    let storage_bytes = storage_bytes.unwrap_or(u64::MAX);
    // Elements the tensor has, and the last storage element it reads.
    let elements = t.size.iter().try_fold(1u64, |acc, &n| acc.checked_mul(n));
    if elements.is_none_or(|n| n > t.storage_numel) {
        return Err(storage_err(elements.and_then(|n| n.checked_mul(elem)), storage_bytes));
    }
    if elements != Some(0) {
        let last =
            t.size.iter().zip(&t.stride).try_fold(t.offset, |acc, (&n, &s)| acc.checked_add((n - 1).checked_mul(s)?));
        if last.is_none_or(|l| l >= t.storage_numel) {
            let needed = last.and_then(|l| l.checked_add(1)).and_then(|n| n.checked_mul(elem));
            return Err(storage_err(needed, storage_bytes));
        }
    }
    // Everything is below the storage size, itself below the file size: it fits in usize.
    let us = |v: u64| usize::try_from(v).map_err(|_| checkpoint_err(path, format!("tensor {name:?} is too large")));
    Ok(PthTensor {
        dtype,
        shape: t.size.iter().map(|&n| us(n)).collect::<Result<_>>()?,
        stride: t.stride.iter().map(|&s| us(s)).collect::<Result<_>>()?,
        offset: us(t.offset)?,
        entry,
        elem_bytes: us(elem)?,
    })
}

/// Copies a strided tensor (`buf` starts at its offset) into row-major order.
fn gather(buf: &[u8], shape: &[usize], stride: &[usize], elem: usize) -> Vec<u8> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n * elem);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..n {
        let at: usize = index.iter().zip(stride).map(|(i, s)| i * s).sum::<usize>() * elem;
        out.extend_from_slice(&buf[at..at + elem]);
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("hostile.pt")
    }

    /// Runs `f` on a thread with a 512 KiB stack (a phone's secondary-thread size) and fails if
    /// it takes more than `secs`.
    fn small_stack<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
        let start = std::time::Instant::now();
        let out = std::thread::Builder::new().stack_size(512 << 10).spawn(f).unwrap().join().unwrap();
        assert!(start.elapsed().as_secs() < secs, "took {:?}", start.elapsed());
        out
    }

    /// A pickle writer for the few opcodes the tests need.
    #[derive(Default)]
    struct P(Vec<u8>);

    impl P {
        fn op(mut self, b: &[u8]) -> Self {
            self.0.extend_from_slice(b);
            self
        }
        fn str(self, s: &str) -> Self {
            let mut b = vec![b'X'];
            b.extend((s.len() as u32).to_le_bytes());
            b.extend(s.as_bytes());
            self.op(&b)
        }
        fn int(self, v: u32) -> Self {
            let mut b = vec![b'J'];
            b.extend(v.to_le_bytes());
            self.op(&b)
        }
        fn ints(self, v: &[u32]) -> Self {
            v.iter().fold(self.op(b"("), |p, &x| p.int(x)).op(b"t")
        }
        fn global(self, module: &str, name: &str) -> Self {
            self.op(format!("c{module}\n{name}\n").as_bytes())
        }
        /// `_rebuild_tensor_v2(storage(kind, key, numel), offset, size, stride, False, OrderedDict())`.
        fn tensor(self, kind: &str, key: &str, numel: u32, offset: u32, size: &[u32], stride: &[u32]) -> Self {
            self.global("torch._utils", "_rebuild_tensor_v2")
                .op(b"(")
                .op(b"(")
                .str("storage")
                .global("torch", kind)
                .str(key)
                .str("cpu")
                .int(numel)
                .op(b"tQ")
                .int(offset)
                .ints(size)
                .ints(stride)
                .op(b"\x89")
                .global("collections", "OrderedDict")
                .op(b")R")
                .op(b"tR")
        }
    }

    fn parse(p: P) -> Result<Vec<(String, RawTensor)>> {
        parse_state_dict(&p.0, path())
    }

    #[test]
    fn a_wrapped_state_dict_parses() {
        let inner = P::default()
            .op(b"\x80\x02")
            .op(b"}")
            .str("state_dict")
            .global("collections", "OrderedDict")
            .op(b")R")
            .op(b"q\x00(")
            .str("module.w")
            .tensor("HalfStorage", "0", 6, 0, &[2, 3], &[3, 1])
            .op(b"q\x01")
            .str("b")
            .op(b"h\x01") // the same tensor object again, through the memo
            .op(b"u")
            .op(b"}b") // OrderedDict state (`_metadata`)
            .op(b"s.");
        let got = parse(inner).unwrap();
        let want = RawTensor {
            kind: StorageKind::F16,
            storage_key: "0".into(),
            storage_numel: 6,
            offset: 0,
            size: vec![2, 3],
            stride: vec![3, 1],
        };
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0.as_str(), &got[0].1), ("module.w", &want));
        assert_eq!((got[1].0.as_str(), &got[1].1), ("b", &want));
    }

    #[test]
    fn deeply_nested_tuples_are_a_limit_error_on_a_small_stack() {
        // Finding 5 of issue 9: 200 000 nested TUPLE1 overflowed the stack on drop.
        let mut p = b"\x80\x02N".to_vec();
        p.extend(std::iter::repeat_n(0x85u8, 200_000));
        p.push(b'.');
        let err = small_stack(5, move || parse_state_dict(&p, Path::new("hostile.pt")).unwrap_err());
        assert!(
            matches!(&err, Error::LimitExceeded { source_name, found, limit, .. }
                if source_name == "hostile.pt" && *found == MAX_DEPTH as u64 + 1 && *limit == MAX_DEPTH as u64),
            "{err:?}"
        );
        assert!(err.to_string().contains("nesting depth"), "{err}");
    }

    #[test]
    fn nested_marks_are_bounded() {
        let mut p = b"\x80\x02".to_vec();
        p.extend(std::iter::repeat_n(b'(', 100_000));
        let err = small_stack(5, move || parse_state_dict(&p, Path::new("hostile.pt")).unwrap_err());
        assert!(matches!(&err, Error::LimitExceeded { limit, .. } if *limit == MAX_DEPTH as u64), "{err:?}");
    }

    #[test]
    fn memo_bomb_is_linear() {
        // Finding 5 of issue 9: 286 bytes whose memo gets, deep-copied, make 2^40 objects.
        let mut p = b"\x80\x02]q\x00".to_vec();
        for _ in 0..40 {
            p.extend_from_slice(b"h\x00h\x00\x86q\x00");
        }
        p.push(b'.');
        assert_eq!(p.len(), 286);
        let err = small_stack(5, move || {
            let mut vm = Vm::new(&p, Path::new("hostile.pt"));
            let err = vm.run().unwrap_err();
            // One object per opcode, shared through the memo, not 2^40 copies.
            assert_eq!(vm.objects.len(), 41);
            assert_eq!(vm.depth.last(), Some(&41));
            err
        });
        // Each level stays on the stack, so STOP finds more than the result there.
        assert!(
            matches!(&err, Error::Pickle { offset: 285, reason, .. } if reason.contains("non-empty stack")),
            "{err:?}"
        );
    }

    #[test]
    fn huge_string_length_is_checked_before_allocating() {
        // Finding 5 of issue 9: BINUNICODE 0xFFFFFFF0 allocated 4 GiB up front.
        let p = [b"\x80\x02X".as_slice(), &0xFFFF_FFF0u32.to_le_bytes(), b"abc"].concat();
        let err = small_stack(5, move || parse_state_dict(&p, Path::new("hostile.pt")).unwrap_err());
        match &err {
            Error::Pickle { path, offset, reason } => {
                assert_eq!((path.to_str(), *offset), (Some("hostile.pt"), 2));
                assert!(reason.contains("4294967280 bytes") && reason.contains("3 bytes left"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn globals_outside_the_allow_list_are_refused() {
        let p = P::default().op(b"\x80\x02").global("os", "system").str("echo hi").op(b"\x85R.");
        let err = parse(p).unwrap_err();
        assert!(matches!(&err, Error::Pickle { offset: 2, reason, .. } if reason.contains("os.system")), "{err:?}");
        // An allowed global used as something else is refused too.
        let p = P::default().op(b"\x80\x02").global("torch", "FloatStorage").op(b")R.");
        assert!(matches!(parse(p), Err(Error::Pickle { .. })));
    }

    #[test]
    fn unsupported_opcodes_and_malformed_pickles_are_typed() {
        for (bytes, needle) in [
            (b"\x80\x02\x93.".as_slice(), "opcode 0x93"), // STACK_GLOBAL
            (b"\x80\x02ci\n".as_slice(), "newline"),
            (b"\x80\x02}".as_slice(), "without STOP"),
            (b"\x80\x02t.".as_slice(), "no MARK"),
            (b"\x80\x02(s.".as_slice(), "underflow"),
            (b"\x80\x02h\x05.".as_slice(), "memo entry 5"),
            (b"\x80\x02]K\x01s.".as_slice(), "underflow"),
            (b"\x80\x02NK\x01K\x02s.".as_slice(), "on None, not a dict"),
            (b"\x80\x02\x8a\x09.".as_slice(), "LONG1 of 9"),
            (b"\x80\x02NN.".as_slice(), "non-empty stack"),
        ] {
            let err = parse_state_dict(bytes, path()).unwrap_err();
            assert!(matches!(&err, Error::Pickle { reason, .. } if reason.contains(needle)), "{needle}: {err:?}");
        }
    }

    #[test]
    fn object_count_is_bounded() {
        let mut p = b"\x80\x02".to_vec();
        p.extend(std::iter::repeat_n(b'N', MAX_OBJECTS + 1));
        let err = parse_state_dict(&p, path()).unwrap_err();
        assert!(matches!(&err, Error::LimitExceeded { limit, .. } if *limit == MAX_OBJECTS as u64), "{err:?}");
    }

    /// Writes a torch.save-like archive: `archive/data.pkl` and `archive/data/<key>` entries.
    fn write_archive(dir: &Path, pickle: &[u8], storages: &[(&str, Vec<u8>)]) -> PathBuf {
        use std::io::Write;
        let path = dir.join("t.pt");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        w.start_file("archive/data.pkl", opts).unwrap();
        w.write_all(pickle).unwrap();
        w.start_file("archive/byteorder", opts).unwrap();
        w.write_all(b"little").unwrap();
        for (key, bytes) in storages {
            w.start_file(format!("archive/data/{key}"), opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
        path
    }

    fn f32_bytes(v: impl IntoIterator<Item = f32>) -> Vec<u8> {
        v.into_iter().flat_map(f32::to_le_bytes).collect()
    }

    #[test]
    fn strided_and_offset_tensors_load_from_an_archive() {
        let dir = tempfile::tempdir().unwrap();
        // Storage 0..12; "t" is a [3, 2] transposed view of a [2, 3] block starting at element
        // 2; "row" is elements 7..10.
        let pickle = P::default()
            .op(b"\x80\x02}(")
            .str("t")
            .tensor("FloatStorage", "0", 12, 2, &[3, 2], &[1, 3])
            .str("row")
            .tensor("FloatStorage", "0", 12, 7, &[3], &[1])
            .op(b"u.");
        let path = write_archive(dir.path(), &pickle.0, &[("0", f32_bytes((0..12).map(|i| i as f32)))]);
        let pth = PthFile::open(&path).unwrap();
        assert_eq!(pth.tensors()["t"].shape, [3, 2]);
        let t = pth.load("t", &Device::Cpu).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(t, [[2.0, 5.0], [3.0, 6.0], [4.0, 7.0]]);
        assert_eq!(pth.load("row", &Device::Cpu).unwrap().to_vec1::<f32>().unwrap(), [7.0, 8.0, 9.0]);
    }

    #[test]
    fn storages_and_views_are_checked_against_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let one = |numel: u32, offset: u32, size: &[u32], stride: &[u32]| {
            P::default().op(b"\x80\x02}").str("w").tensor("FloatStorage", "0", numel, offset, size, stride).op(b"s.")
        };
        let twelve = f32_bytes((0..12).map(|i| i as f32));
        // Finding 5 of issue 9: a storage declared larger than its entry.
        let path = write_archive(dir.path(), &one(1_000_000_000, 0, &[4], &[1]).0, &[("0", twelve.clone())]);
        let err = PthFile::open(&path).err().unwrap();
        assert!(
            matches!(&err, Error::CheckpointStorage { key, entry, needed_bytes: 4_000_000_000, available_bytes: 48, .. }
                if key == "w" && entry == "archive/data/0"),
            "{err:?}"
        );
        // Views reaching past the storage: by offset, by stride, by element count.
        for (offset, size, stride, needed) in
            [(10, vec![3], vec![1], 13 * 4), (0, vec![2, 2], vec![20, 1], 22 * 4), (0, vec![13], vec![0], 13 * 4)]
        {
            let path = write_archive(dir.path(), &one(12, offset, &size, &stride).0, &[("0", twelve.clone())]);
            let err = PthFile::open(&path).err().unwrap();
            assert!(
                matches!(&err, Error::CheckpointStorage { needed_bytes, available_bytes: 48, .. } if *needed_bytes == needed),
                "{size:?}/{stride:?}+{offset}: {err:?}"
            );
        }
        // A missing storage entry and an integer storage are typed too.
        let path = write_archive(dir.path(), &one(12, 0, &[12], &[1]).0, &[]);
        assert!(matches!(PthFile::open(&path), Err(Error::Checkpoint { .. })));
        let ints = P::default().op(b"\x80\x02}").str("w").tensor("LongStorage", "0", 1, 0, &[1], &[1]).op(b"s.");
        let path = write_archive(dir.path(), &ints.0, &[("0", vec![0; 8])]);
        assert!(matches!(PthFile::open(&path), Err(Error::UnsupportedDtype { key, .. }) if key == "w"));
    }

    #[test]
    fn strided_tensors_are_gathered_row_major() {
        // A [2, 3] view with strides [1, 2] over storage 0..6: [[0, 2, 4], [1, 3, 5]].
        let buf: Vec<u8> = (0u8..6).collect();
        assert_eq!(gather(&buf, &[2, 3], &[1, 2], 1), [0, 2, 4, 1, 3, 5]);
        let t = PthTensor {
            dtype: DType::F32,
            shape: vec![2, 3],
            stride: vec![1, 2],
            offset: 0,
            entry: String::new(),
            elem_bytes: 4,
        };
        assert!(!t.is_contiguous());
        assert_eq!(t.span(), 6);
        let c = PthTensor { stride: vec![3, 1], shape: vec![2, 3], ..t.clone() };
        assert!(c.is_contiguous());
        let e = PthTensor { shape: vec![0, 3], ..t };
        assert_eq!(e.span(), 0);
    }
}
