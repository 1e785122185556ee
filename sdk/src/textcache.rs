//! The persistent text-embedding cache: embeddings of prompts a text tower has already encoded,
//! keyed by (model fingerprint, cleaned prompt), so recompiling a label set after an edit encodes
//! only the prompts it has not seen. The design (storage layout, locking between threads and
//! processes, damaged files) is documented on [`TextCache`], where users of the crate see it.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use redb::{
    Database, DatabaseError, ReadTransaction, ReadableTable, ReadableTableMetadata, StorageBackend, StorageError,
    TableDefinition, TableError, TableHandle, WriteTransaction,
};

use crate::error::{Error, Result};

/// Version of the table layout described on [`TextCache`]. Bump it on any change of layout or
/// value encoding: newer files are then refused and older ones emptied, never misread.
/// 1: values without a checksum. 2: values end with a CRC-32 of prompt and embedding.
const FORMAT_VERSION: u64 = 2;
/// Bytes of the checksum after the embedding in a stored value.
const CHECKSUM_BYTES: usize = 4;
/// File name of the cache inside its directory.
const FILE_NAME: &str = "text-embeddings.redb";
/// Lock timeout of a handle made by [`TextCache::open`].
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);
/// Prefix of the per-model embedding tables.
const EMB_PREFIX: &str = "emb/";

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const META_FORMAT_KEY: &str = "format";
const MODELS: TableDefinition<&str, u32> = TableDefinition::new("models");

/// Definition of the embedding table of one model; `name` is [`emb_table_name`].
fn emb_table(name: &str) -> TableDefinition<'_, &'static str, &'static [u8]> {
    TableDefinition::new(name)
}

fn emb_table_name(fingerprint: &str) -> String {
    format!("{EMB_PREFIX}{fingerprint}")
}

/// Counts of a cache file, from [`TextCache::stats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStats {
    /// Number of cached embeddings over all models.
    pub entries: u64,
    /// Number of distinct model fingerprints with entries.
    pub models: u64,
    /// Size of the database file in bytes (includes free pages not yet compacted).
    pub bytes_on_disk: u64,
    /// `(fingerprint, entries)` per model, sorted by fingerprint.
    pub per_model: Vec<(String, u64)>,
}

/// A persistent store of text embeddings keyed by (model fingerprint, cleaned prompt).
///
/// Fingerprints are the 64 lowercase hex characters of [`crate::ModelFiles::fingerprint`]. Prompts
/// are stored byte for byte as given: the caller passes them after the cleaning the tokenizer
/// applies, so two spellings that tokenise alike share an entry. `TextCache` is `Send + Sync`: one
/// handle can be shared through an `Arc`, and any number of handles in any number of processes may
/// use the same file at once.
///
/// # Storage
///
/// One [redb](https://www.redb.org) database file. redb is crash-safe: copy-on-write B-trees and
/// checksummed commit slots, so a process killed in the middle of a write leaves the file at its
/// last committed transaction. Tables:
///
/// - `meta`: `"format"` → cache format version (`2`). A file of a newer version is refused with
///   [`Error::Cache`] instead of being misread; a file of an older version reads as empty and its
///   entries are deleted by the next write (re-encoding them is all it costs).
/// - `models`: model fingerprint → embedding dimension (`u32`), written with a model's first entry.
/// - `emb/<fingerprint>`: one table per model, cleaned prompt → embedding, `dim` little-endian
///   `f32`s followed by the little-endian CRC-32 (IEEE) of the prompt's bytes and those `f32`
///   bytes. One table per model makes an entry of another model unreachable by construction,
///   `clear(Some(fp))` a table drop, and the per-model counts a `len()`. The checksum is there
///   because redb verifies its page checksums only when it repairs a file, not on reads: without
///   it, a flipped bit in a value would come back as a wrong embedding.
///
/// New files use redb's v3 file format, which redb 3 and later open without a migration.
///
/// # Concurrency
///
/// redb lets one `Database` at a time hold the file (an exclusive `flock` on Unix, `LockFileEx` on
/// Windows); a second open fails with `DatabaseAlreadyOpen`. A compile reads the cache once at its
/// start and writes once at its end, so `TextCache` opens the database **per operation** and closes
/// it right after: several compiles share one file, each holding it for milliseconds to a few
/// seconds, instead of the first compile locking the others out for its whole run. An operation
/// costs a few fsyncs (about 20 ms on an ext4 SSD) on top of its reads and writes.
///
/// - Between processes, an operation that finds the file held retries with a capped exponential
///   backoff (1 ms doubling to 25 ms, plus jitter) until its deadline, the lock timeout (60 s by
///   default, [`TextCache::with_lock_timeout`]); then it fails with [`Error::Cache`] saying the
///   cache is still in use.
/// - Within a process, handles on the same file (clones of one `Arc<TextCache>` or separately
///   opened ones) first queue on an in-process lock, so threads wait on a condition variable
///   instead of polling the file lock. The same deadline bounds that wait.
/// - [`TextCache::put_many`] is one write transaction: all of its entries are committed, or none.
///   Writes commit with redb's quick-repair (and so two-phase commit): after a crash the next open
///   recovers at once instead of walking the whole file while others wait.
///
/// # Damaged files
///
/// A stored value whose length is not `4 · dim + 4`, whose checksum does not match, or that holds
/// a non-finite number, is returned as a miss and counted
/// ([`TextCache::invalid_entries_skipped`]); the caller re-encodes that prompt and its next
/// `put_many` overwrites the bad value. A file that is not a redb database, or a redb database
/// whose tables have other types than the ones above, gives [`Error::Cache`] with the hint to
/// delete the file. A write that fails part-way (disk full, I/O error, failed fsync) gives
/// [`Error::Cache`] and leaves the cache as it was before that `put_many` or `clear`, or, when
/// only the final fsync failed, as after it: never a mix (tested with a storage backend that
/// fails at every step). redb 2.6 panics on some damaged files (e.g. truncated ones); every operation
/// catches that and returns [`Error::Cache`] too (the panic message still reaches stderr through
/// the panic hook). No input makes an operation panic, as long as the build unwinds on panic (the
/// default; a `panic = "abort"` profile would abort there instead).
pub struct TextCache {
    /// The path as given (used in messages).
    path: PathBuf,
    /// Where the database lives: the file at `path`, or a storage backend (tests).
    storage: Storage,
    /// Queue of this process's handles on the same file.
    lock: Arc<PathLock>,
    lock_timeout: Duration,
    invalid_skipped: AtomicU64,
}

impl fmt::Debug for TextCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextCache")
            .field("path", &self.path)
            .field("lock_timeout", &self.lock_timeout)
            .finish_non_exhaustive()
    }
}

/// Makes a fresh storage backend for each operation (see [`TextCache::open_with_backend`]).
pub type BackendFactory = Arc<dyn Fn() -> io::Result<Box<dyn StorageBackend>> + Send + Sync>;

/// Where a [`TextCache`]'s database lives.
enum Storage {
    /// The file at `TextCache::path`, locked by redb against other processes.
    File,
    /// A backend made per operation; no file lock (the factory's storage is this process's).
    Backend(BackendFactory),
}

/// A boxed backend as the `impl StorageBackend` that redb's builder takes.
#[derive(Debug)]
struct DynBackend(Box<dyn StorageBackend>);

impl StorageBackend for DynBackend {
    fn len(&self) -> io::Result<u64> {
        self.0.len()
    }
    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.0.read(offset, len)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    fn sync_data(&self, eventual: bool) -> io::Result<()> {
        self.0.sync_data(eventual)
    }
    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.0.write(offset, data)
    }
}

impl TextCache {
    /// Opens the cache at `path`, creating missing parent directories and the database file.
    ///
    /// Fails with [`Error::Io`] when the directory cannot be created, and with [`Error::Cache`]
    /// when the file is not a redb database, was written in another cache format version, or
    /// stays locked by other processes for longer than the lock timeout (60 s).
    pub fn open(path: &Path) -> Result<Self> {
        let file_name = path.file_name().ok_or_else(|| Error::Cache {
            path: path.to_path_buf(),
            reason: "the cache path must name a file".into(),
        })?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let canonical = parent.canonicalize().map_err(|e| Error::io(&parent, e))?.join(file_name);
        Self::open_on(path.to_path_buf(), PathLock::for_path(canonical), Storage::File)
    }

    /// Opens a cache whose database lives on a redb [`StorageBackend`] instead of a file: `factory`
    /// is called at the start of every operation (the cache opens its database per operation)
    /// and must return a backend over the same storage each time. `name` stands for the path in
    /// messages and keys the in-process queue of handles; there is no lock between processes.
    /// For fault-injection tests (a backend that fails writes or fsyncs part-way) and in-memory
    /// caches; not a stable API.
    #[doc(hidden)]
    pub fn open_with_backend(name: &Path, factory: BackendFactory) -> Result<Self> {
        Self::open_on(name.to_path_buf(), PathLock::for_path(name.to_path_buf()), Storage::Backend(factory))
    }

    fn open_on(path: PathBuf, lock: Arc<PathLock>, storage: Storage) -> Result<Self> {
        let cache =
            TextCache { path, storage, lock, lock_timeout: DEFAULT_LOCK_TIMEOUT, invalid_skipped: AtomicU64::new(0) };
        cache.with_db(|db| {
            // Read first: initialising takes a write commit (an fsync), needed only once per file.
            let txn = db.begin_read().map_err(|e| cache.fail("cannot read", e))?;
            let initialised = cache.check_format_read(&txn)?;
            drop(txn);
            if !initialised {
                let txn = cache.begin_write(db)?;
                cache.ensure_format_write(&txn)?;
                txn.commit().map_err(|e| cache.fail("cannot initialise", e))?;
            }
            Ok(())
        })?;
        Ok(cache)
    }

    /// Sets how long one operation may wait for other handles or processes using the file before
    /// it fails with [`Error::Cache`] (default 60 s).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The database file of this cache, as given to [`TextCache::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The default cache file: `$PELABEL_CACHE_DIR/text-embeddings.redb` when that variable is
    /// set, else `$XDG_CACHE_HOME/pelabel/text-embeddings.redb` (absolute paths only, as the XDG
    /// spec requires), else the platform cache directory + `pelabel/text-embeddings.redb`:
    /// `~/.cache` on Linux and other Unixes, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
    /// Windows; the system temporary directory when none of these is known.
    pub fn default_path() -> PathBuf {
        default_path_from(|name| std::env::var_os(name))
    }

    /// Looks up the embeddings of `prompts` for the model `fingerprint`: one element per prompt,
    /// in order, `Some(embedding)` (`dim` values, as stored) on a hit, `None` on a miss.
    ///
    /// Entries of other models are never returned. A stored value of the wrong length or with
    /// non-finite values is a miss and counted in [`TextCache::invalid_entries_skipped`]. An empty
    /// `prompts` returns an empty vector without touching the file.
    pub fn get_many(&self, fingerprint: &str, prompts: &[&str]) -> Result<Vec<Option<Vec<f32>>>> {
        self.check_fingerprint(fingerprint)?;
        if prompts.is_empty() {
            return Ok(Vec::new());
        }
        self.with_db(|db| {
            let txn = db.begin_read().map_err(|e| self.fail("cannot read", e))?;
            let mut out = vec![None; prompts.len()];
            if !self.check_format_read(&txn)? {
                return Ok(out);
            }
            let models = match txn.open_table(MODELS) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(out),
                Err(e) => return Err(self.fail("cannot read the model table", e)),
            };
            let Some(dim) = models.get(fingerprint).map_err(|e| self.fail("cannot read", e))? else {
                return Ok(out);
            };
            let dim = dim.value() as usize;
            let name = emb_table_name(fingerprint);
            let table = match txn.open_table(emb_table(&name)) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(out),
                Err(e) => return Err(self.fail("cannot read the embedding table", e)),
            };
            for (slot, prompt) in out.iter_mut().zip(prompts) {
                let Some(value) = table.get(*prompt).map_err(|e| self.fail("cannot read", e))? else {
                    continue;
                };
                match decode(prompt, value.value(), dim) {
                    Some(embedding) => *slot = Some(embedding),
                    None => {
                        self.invalid_skipped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(out)
        })
    }

    /// Stores embeddings of the model `fingerprint` in one write transaction: all entries are
    /// committed, or none. An existing entry with the same prompt is replaced.
    ///
    /// Every embedding must have the same non-zero length, the model's dimension (fixed by the
    /// first entry ever stored for it), and only finite values; otherwise nothing is written and
    /// the error is [`Error::Cache`]. An empty `entries` does nothing and does not touch the file.
    pub fn put_many(&self, fingerprint: &str, entries: &[(&str, &[f32])]) -> Result<()> {
        self.check_fingerprint(fingerprint)?;
        let Some(&(_, first)) = entries.first() else {
            return Ok(());
        };
        let dim = first.len();
        if dim == 0 || u32::try_from(dim).is_err() {
            return Err(self.invalid(format!("embedding dimension {dim} is out of range")));
        }
        for (prompt, embedding) in entries {
            if embedding.len() != dim {
                return Err(self.invalid(format!(
                    "the embedding of {prompt:?} has {} values, the first of the batch has {dim}",
                    embedding.len()
                )));
            }
            if embedding.iter().any(|v| !v.is_finite()) {
                return Err(self.invalid(format!("the embedding of {prompt:?} holds non-finite values")));
            }
        }
        self.with_db(|db| {
            let txn = self.begin_write(db)?;
            self.ensure_format_write(&txn)?;
            {
                let mut models = txn.open_table(MODELS).map_err(|e| self.fail("cannot open the model table", e))?;
                let stored = models.get(fingerprint).map_err(|e| self.fail("cannot read", e))?.map(|d| d.value());
                match stored {
                    Some(stored) if stored as usize != dim => {
                        return Err(self.invalid(format!(
                            "model {fingerprint} has {stored}-dimensional embeddings in the cache, got {dim}"
                        )))
                    }
                    Some(_) => {}
                    None => {
                        models.insert(fingerprint, dim as u32).map_err(|e| self.fail("cannot write", e))?;
                    }
                }
                let name = emb_table_name(fingerprint);
                let mut table =
                    txn.open_table(emb_table(&name)).map_err(|e| self.fail("cannot open the embedding table", e))?;
                let mut bytes = Vec::with_capacity(dim * 4 + CHECKSUM_BYTES);
                for (prompt, embedding) in entries {
                    encode(prompt, embedding, &mut bytes);
                    table.insert(*prompt, bytes.as_slice()).map_err(|e| self.fail("cannot write", e))?;
                }
            }
            txn.commit().map_err(|e| self.fail("cannot commit", e))
        })
    }

    /// Counts entries per model and measures the file.
    pub fn stats(&self) -> Result<CacheStats> {
        self.with_db(|db| {
            let txn = db.begin_read().map_err(|e| self.fail("cannot read", e))?;
            let mut per_model = Vec::new();
            if self.check_format_read(&txn)? {
                match txn.open_table(MODELS) {
                    Ok(models) => {
                        for item in models.iter().map_err(|e| self.fail("cannot read", e))? {
                            let (fp, _dim) = item.map_err(|e| self.fail("cannot read", e))?;
                            let fp = fp.value().to_string();
                            let name = emb_table_name(&fp);
                            let n = match txn.open_table(emb_table(&name)) {
                                Ok(t) => t.len().map_err(|e| self.fail("cannot read", e))?,
                                Err(TableError::TableDoesNotExist(_)) => 0,
                                Err(e) => return Err(self.fail("cannot read the embedding table", e)),
                            };
                            if n > 0 {
                                per_model.push((fp, n));
                            }
                        }
                    }
                    Err(TableError::TableDoesNotExist(_)) => {}
                    Err(e) => return Err(self.fail("cannot read the model table", e)),
                }
            }
            drop(txn);
            let bytes_on_disk = match &self.storage {
                Storage::File => fs::metadata(&self.path).map_err(|e| Error::io(&self.path, e))?.len(),
                Storage::Backend(factory) => {
                    factory().and_then(|b| b.len()).map_err(|e| self.fail("cannot measure", e))?
                }
            };
            Ok(CacheStats {
                entries: per_model.iter().map(|(_, n)| n).sum(),
                models: per_model.len() as u64,
                bytes_on_disk,
                per_model,
            })
        })
    }

    /// Removes the entries of one model (`Some(fingerprint)`) or of all models (`None`) and
    /// compacts the file; returns the number of entries removed.
    pub fn clear(&self, fingerprint: Option<&str>) -> Result<u64> {
        if let Some(fp) = fingerprint {
            self.check_fingerprint(fp)?;
        }
        self.with_db(|db| {
            let txn = self.begin_write(db)?;
            self.ensure_format_write(&txn)?;
            let mut removed = 0;
            {
                let mut models = txn.open_table(MODELS).map_err(|e| self.fail("cannot open the model table", e))?;
                let targets: Vec<String> = match fingerprint {
                    Some(fp) => vec![emb_table_name(fp)],
                    // Every embedding table, listed or not: a clear-all leaves nothing behind.
                    None => txn
                        .list_tables()
                        .map_err(|e| self.fail("cannot list tables", e))?
                        .map(|t| t.name().to_string())
                        .filter(|n| n.starts_with(EMB_PREFIX))
                        .collect(),
                };
                for name in &targets {
                    match txn.open_table(emb_table(name)) {
                        Ok(t) => removed += t.len().map_err(|e| self.fail("cannot read", e))?,
                        Err(TableError::TableDoesNotExist(_)) => continue,
                        Err(e) => return Err(self.fail("cannot open the embedding table", e)),
                    }
                    txn.delete_table(emb_table(name)).map_err(|e| self.fail("cannot delete a table", e))?;
                }
                match fingerprint {
                    Some(fp) => {
                        models.remove(fp).map_err(|e| self.fail("cannot write", e))?;
                    }
                    None => {
                        models.retain(|_, _| false).map_err(|e| self.fail("cannot write", e))?;
                    }
                }
            }
            txn.commit().map_err(|e| self.fail("cannot commit", e))?;
            if removed > 0 {
                // Give the space back: a cleared cache should shrink on disk.
                db.compact().map_err(|e| self.fail("cannot compact", e))?;
            }
            Ok(removed)
        })
    }

    /// Number of stored values [`TextCache::get_many`] found malformed (length not `4 · dim`, or
    /// non-finite numbers) and returned as misses, since this handle was opened.
    pub fn invalid_entries_skipped(&self) -> u64 {
        self.invalid_skipped.load(Ordering::Relaxed)
    }

    // ----- internals ---------------------------------------------------------------------------

    /// A failure of redb, with what the user can do about it: a damaged file or one that is not
    /// a pelabel cache gets the hint to delete it (it only costs re-encoding prompts).
    fn fail(&self, what: &str, e: impl Into<redb::Error>) -> Error {
        let e: redb::Error = e.into();
        let hint = match &e {
            redb::Error::Corrupted(_)
            | redb::Error::TableTypeMismatch { .. }
            | redb::Error::TableIsMultimap(_)
            | redb::Error::TableIsNotMultimap(_)
            | redb::Error::TypeDefinitionChanged { .. }
            | redb::Error::UpgradeRequired(_) => {
                "; the file is damaged or is not a pelabel text-embedding cache: delete it (it is only a cache)"
            }
            redb::Error::PreviousIo => "; an earlier write to the file failed (disk full or an I/O error): retry",
            _ => "",
        };
        Error::Cache { path: self.path.clone(), reason: format!("{what}: {e}{hint}") }
    }

    fn invalid(&self, reason: String) -> Error {
        Error::Cache { path: self.path.clone(), reason }
    }

    fn check_fingerprint(&self, fingerprint: &str) -> Result<()> {
        let ok =
            fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(())
        } else {
            Err(self.invalid(format!("invalid model fingerprint {fingerprint:?}: expected 64 lowercase hex digits")))
        }
    }

    fn busy(&self) -> Error {
        self.invalid(format!(
            "still in use by another process or handle after {:?} (another compile may be writing to \
             it); retry later",
            self.lock_timeout
        ))
    }

    /// `Ok(true)` if the file carries this format, `Ok(false)` if it carries none yet (a new file)
    /// or an older one (whose entries this version does not read), an error for a newer version.
    fn check_format_read(&self, txn: &ReadTransaction) -> Result<bool> {
        let meta = match txn.open_table(META) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(false),
            Err(e) => return Err(self.fail("cannot read the format marker", e)),
        };
        let version = meta.get(META_FORMAT_KEY).map_err(|e| self.fail("cannot read the format marker", e))?;
        self.check_version(version.map(|v| v.value()))
    }

    /// As [`Self::check_format_read`], writing the marker into a new file, and emptying a file of
    /// an older version first (its entries are only a cache of what the text tower computes).
    fn ensure_format_write(&self, txn: &WriteTransaction) -> Result<()> {
        let version = {
            let meta = txn.open_table(META).map_err(|e| self.fail("cannot open the format marker", e))?;
            let v = meta.get(META_FORMAT_KEY).map_err(|e| self.fail("cannot read the format marker", e))?;
            v.map(|v| v.value())
        };
        if self.check_version(version)? {
            return Ok(());
        }
        if version.is_some() {
            let old: Vec<String> = txn
                .list_tables()
                .map_err(|e| self.fail("cannot list tables", e))?
                .map(|t| t.name().to_string())
                .filter(|n| n.starts_with(EMB_PREFIX) || n == MODELS.name())
                .collect();
            for name in &old {
                txn.delete_table(TableDefinition::<&str, &[u8]>::new(name))
                    .map_err(|e| self.fail("cannot delete a table of the older format", e))?;
            }
        }
        let mut meta = txn.open_table(META).map_err(|e| self.fail("cannot open the format marker", e))?;
        meta.insert(META_FORMAT_KEY, FORMAT_VERSION).map_err(|e| self.fail("cannot write the format marker", e))?;
        Ok(())
    }

    /// `Ok(true)` for this version, `Ok(false)` for none or an older one, an error for a newer one.
    fn check_version(&self, version: Option<u64>) -> Result<bool> {
        match version {
            None => Ok(false),
            Some(FORMAT_VERSION) => Ok(true),
            Some(v) if v < FORMAT_VERSION => Ok(false),
            Some(v) => Err(self.invalid(format!(
                "cache format version {v}, this pelabel reads version {FORMAT_VERSION}; delete the file \
                 (it is only a cache) or use a matching pelabel"
            ))),
        }
    }

    fn begin_write(&self, db: &Database) -> Result<WriteTransaction> {
        let mut txn = db.begin_write().map_err(|e| self.fail("cannot start a write", e))?;
        // Saves the allocator state with each commit (and implies two-phase commit): recovery after
        // a crash is instant, and closing the database needs no extra commit.
        txn.set_quick_repair(true);
        Ok(txn)
    }

    /// Runs `op` on the database, opened for this call only: queues behind this process's other
    /// handles on the file, then retries the file lock until the deadline. A panic inside redb
    /// (a damaged file it did not foresee) becomes [`Error::Cache`].
    fn with_db<T>(&self, op: impl FnOnce(&mut Database) -> Result<T>) -> Result<T> {
        let deadline = Instant::now() + self.lock_timeout;
        let _queued = self.lock.acquire(deadline).ok_or_else(|| self.busy())?;
        let run = || -> Result<T> {
            let mut db = self.open_db(deadline)?;
            op(&mut db)
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            Ok(result) => result,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Err(self.invalid(format!(
                    "the database library failed on this file, which is probably damaged ({msg}); delete it \
                     (it is only a cache)"
                )))
            }
        }
    }

    fn open_db(&self, deadline: Instant) -> Result<Database> {
        if let Storage::Backend(factory) = &self.storage {
            let backend = factory().map_err(|e| self.fail("cannot open", e))?;
            return Database::builder()
                .create_with_file_format_v3(true)
                .create_with_backend(DynBackend(backend))
                .map_err(|e| self.open_failed(e));
        }
        let parent = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // The directory may have been removed since `open` (e.g. a cache cleaner).
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        if !self.path.exists() {
            self.create_file(parent)?;
        }
        let mut backoff = Duration::from_millis(1);
        loop {
            match Database::builder().create_with_file_format_v3(true).create(&self.path) {
                Ok(db) => return Ok(db),
                Err(DatabaseError::DatabaseAlreadyOpen) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(self.busy());
                    }
                    let wait = (backoff + jitter(backoff)).min(deadline - now);
                    std::thread::sleep(wait);
                    backoff = (backoff * 2).min(Duration::from_millis(25));
                }
                Err(e) => return Err(self.open_failed(e)),
            }
        }
    }

    /// Creates the database file all at once: initialised (with the format marker) in a
    /// temporary file beside it, then moved into place unless another handle or process was
    /// first. redb creates a file by sizing it, then writing its header, the magic number last;
    /// a process stopped in between (killed, disk full, power loss) would leave a file that redb
    /// refuses from then on ("not a redb database") until the user deletes it. Created this way,
    /// the cache file is complete or absent. (A crash can leave the temporary file behind: a
    /// `.text-embeddings-new-*` file, harmless, deletable.)
    fn create_file(&self, parent: &Path) -> Result<()> {
        let tmp = tempfile::Builder::new()
            .prefix(".text-embeddings-new-")
            .suffix(".redb")
            .tempfile_in(parent)
            .map_err(|e| Error::io(parent, e))?;
        {
            let db = Database::builder()
                .create_with_file_format_v3(true)
                .create(tmp.path())
                .map_err(|e| self.fail("cannot create", e))?;
            let txn = self.begin_write(&db)?;
            self.ensure_format_write(&txn)?;
            txn.commit().map_err(|e| self.fail("cannot initialise", e))?;
        }
        match tmp.persist_noclobber(&self.path) {
            Ok(_) => Ok(()),
            // Another handle or process created it meanwhile: use theirs.
            Err(e) if self.path.exists() => {
                drop(e);
                Ok(())
            }
            Err(e) => Err(Error::io(&self.path, e.error)),
        }
    }

    fn open_failed(&self, e: DatabaseError) -> Error {
        match e {
            DatabaseError::Storage(StorageError::Io(e)) if e.kind() == io::ErrorKind::InvalidData => {
                self.invalid(format!(
                    "not a text-embedding cache: the file is not a redb database or is damaged ({e}); \
                     delete it (it is only a cache)"
                ))
            }
            e => self.fail("cannot open", e),
        }
    }
}

/// The checksum of an entry: CRC-32 of the prompt's bytes, then the embedding's bytes. The
/// prompt is in it so that a value that ends up under another key is caught too.
fn checksum(prompt: &str, embedding_bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(prompt.as_bytes());
    h.update(embedding_bytes);
    h.finalize()
}

/// The stored value of an entry: the embedding's little-endian f32s, then their checksum.
fn encode(prompt: &str, embedding: &[f32], out: &mut Vec<u8>) {
    out.clear();
    out.extend(embedding.iter().flat_map(|v| v.to_le_bytes()));
    let crc = checksum(prompt, out);
    out.extend(crc.to_le_bytes());
}

/// Decodes a value of `dim` f32s; `None` when `dim` is 0, the length or the checksum is wrong, or
/// a value is not finite.
fn decode(prompt: &str, bytes: &[u8], dim: usize) -> Option<Vec<f32>> {
    // Dimension 0 is never written (`put_many` refuses it): only a damaged file has it.
    if dim == 0 || bytes.len() != dim.checked_mul(4)?.checked_add(CHECKSUM_BYTES)? {
        return None;
    }
    let (data, crc) = bytes.split_at(dim * 4);
    if checksum(prompt, data).to_le_bytes() != crc {
        return None;
    }
    let v: Vec<f32> = data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    v.iter().all(|x| x.is_finite()).then_some(v)
}

/// Up to `max` of pseudo-random extra wait, so processes retrying in step drift apart.
fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.write_u32(std::process::id());
    let nanos = max.as_nanos().max(1) as u64;
    Duration::from_nanos(h.finish() % nanos)
}

/// [`TextCache::default_path`] with the environment passed in, for tests.
fn default_path_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("PELABEL_CACHE_DIR") {
        return dir.join(FILE_NAME);
    }
    if let Some(dir) = set("XDG_CACHE_HOME").filter(|d| d.is_absolute()) {
        return dir.join("pelabel").join(FILE_NAME);
    }
    let platform = if cfg!(windows) {
        set("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        set("HOME").map(|h| h.join("Library/Caches"))
    } else {
        set("HOME").map(|h| h.join(".cache"))
    };
    platform.unwrap_or_else(std::env::temp_dir).join("pelabel").join(FILE_NAME)
}

/// The in-process queue of the handles on one file: a flag under a mutex with a condition
/// variable, so a wait can have a deadline (std's `Mutex::lock` has none).
struct PathLock {
    busy: Mutex<bool>,
    released: Condvar,
}

/// Releases a [`PathLock`] when dropped (also while unwinding).
struct PathLockGuard<'a>(&'a PathLock);

impl PathLock {
    /// The lock shared by every handle of this process on `canonical`.
    fn for_path(canonical: PathBuf) -> Arc<PathLock> {
        static REGISTRY: Mutex<Vec<(PathBuf, Weak<PathLock>)>> = Mutex::new(Vec::new());
        let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
        registry.retain(|(_, lock)| lock.strong_count() > 0);
        if let Some(lock) = registry.iter().find(|(p, _)| *p == canonical).and_then(|(_, l)| l.upgrade()) {
            return lock;
        }
        let lock = Arc::new(PathLock { busy: Mutex::new(false), released: Condvar::new() });
        registry.push((canonical, Arc::downgrade(&lock)));
        lock
    }

    fn state(&self) -> MutexGuard<'_, bool> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the lock, or `None` when the deadline passes first.
    fn acquire(&self, deadline: Instant) -> Option<PathLockGuard<'_>> {
        let mut busy = self.state();
        while *busy {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            busy = self.released.wait_timeout(busy, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
        *busy = true;
        Some(PathLockGuard(self))
    }
}

impl Drop for PathLockGuard<'_> {
    fn drop(&mut self) {
        *self.0.state() = false;
        self.0.released.notify_one();
    }
}

#[cfg(test)]
mod fault_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    const FP_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const FP_B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn temp_cache() -> (tempfile::TempDir, TextCache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = TextCache::open(&dir.path().join("sub/dir/cache.redb")).unwrap();
        (dir, cache)
    }

    fn assert_cache_err<T: fmt::Debug>(r: Result<T>, needle: &str) {
        match r {
            Err(Error::Cache { reason, .. }) => assert!(reason.contains(needle), "reason {reason:?} lacks {needle:?}"),
            other => panic!("expected Error::Cache containing {needle:?}, got {other:?}"),
        }
    }

    /// Writes a raw value into a model's table, bypassing the checks of `put_many`.
    fn put_raw(cache: &TextCache, fp: &str, prompt: &str, bytes: &[u8]) {
        let db = Database::create(cache.path()).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(emb_table(&emb_table_name(fp))).unwrap().insert(prompt, bytes).unwrap();
        txn.commit().unwrap();
    }

    #[test]
    fn is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<TextCache>();
    }

    #[test]
    fn round_trip_and_miss() {
        let (_d, cache) = temp_cache();
        let cat = [0.1f32, -2.5, 3.0e-8, f32::MAX];
        let dog = [1.0f32, 2.0, 3.0, 4.0];
        cache.put_many(FP_A, &[("a photo of a cat.", &cat), ("a photo of a dog.", &dog)]).unwrap();
        let got = cache.get_many(FP_A, &["a photo of a dog.", "a photo of a bird.", "a photo of a cat."]).unwrap();
        assert_eq!(got, vec![Some(dog.to_vec()), None, Some(cat.to_vec())]);
        // Persisted: a fresh handle sees the entries.
        let again = TextCache::open(cache.path()).unwrap();
        assert_eq!(again.get_many(FP_A, &["a photo of a cat."]).unwrap(), vec![Some(cat.to_vec())]);
        // The prompt is stored exactly: no trimming or case folding.
        assert_eq!(cache.get_many(FP_A, &["a photo of a cat. ", "A photo of a cat."]).unwrap(), vec![None, None]);
    }

    #[test]
    fn other_fingerprint_is_a_miss() {
        let (_d, cache) = temp_cache();
        cache.put_many(FP_A, &[("cat", &[1.0, 2.0])]).unwrap();
        assert_eq!(cache.get_many(FP_B, &["cat"]).unwrap(), vec![None]);
        // Same prompt, other model, other dimension: independent entries.
        cache.put_many(FP_B, &[("cat", &[5.0, 6.0, 7.0])]).unwrap();
        assert_eq!(cache.get_many(FP_A, &["cat"]).unwrap(), vec![Some(vec![1.0, 2.0])]);
        assert_eq!(cache.get_many(FP_B, &["cat"]).unwrap(), vec![Some(vec![5.0, 6.0, 7.0])]);
    }

    #[test]
    fn overwrite_is_idempotent() {
        let (_d, cache) = temp_cache();
        cache.put_many(FP_A, &[("cat", &[1.0, 2.0])]).unwrap();
        cache.put_many(FP_A, &[("cat", &[1.0, 2.0])]).unwrap();
        assert_eq!(cache.stats().unwrap().entries, 1);
        cache.put_many(FP_A, &[("cat", &[3.0, 4.0]), ("cat", &[5.0, 6.0])]).unwrap();
        assert_eq!(cache.get_many(FP_A, &["cat"]).unwrap(), vec![Some(vec![5.0, 6.0])]);
        assert_eq!(cache.stats().unwrap().entries, 1);
    }

    #[test]
    fn stats_and_clear_per_model() {
        let (_d, cache) = temp_cache();
        let empty = cache.stats().unwrap();
        assert_eq!((empty.entries, empty.models, empty.per_model.len()), (0, 0, 0));
        assert!(empty.bytes_on_disk > 0);
        let e = [0.5f32; 16];
        cache.put_many(FP_A, &[("a", &e), ("b", &e), ("c", &e)]).unwrap();
        cache.put_many(FP_B, &[("a", &e[..8]), ("z", &e[..8])]).unwrap();
        let s = cache.stats().unwrap();
        assert_eq!(s.entries, 5);
        assert_eq!(s.models, 2);
        assert_eq!(s.per_model, vec![(FP_B.to_string(), 2), (FP_A.to_string(), 3)]);

        assert_eq!(cache.clear(Some(FP_A)).unwrap(), 3);
        assert_eq!(cache.get_many(FP_A, &["a", "b"]).unwrap(), vec![None, None]);
        assert_eq!(cache.get_many(FP_B, &["a"]).unwrap(), vec![Some(e[..8].to_vec())]);
        let s = cache.stats().unwrap();
        assert_eq!((s.entries, s.models), (2, 1));
        assert_eq!(cache.clear(Some(FP_A)).unwrap(), 0);
        // After a clear the model may come back with another dimension.
        cache.put_many(FP_A, &[("a", &e[..4])]).unwrap();

        assert_eq!(cache.clear(None).unwrap(), 3);
        let s = cache.stats().unwrap();
        assert_eq!((s.entries, s.models, s.per_model.len()), (0, 0, 0));
        assert_eq!(cache.get_many(FP_B, &["a", "z"]).unwrap(), vec![None, None]);
    }

    #[test]
    fn clear_shrinks_the_file() {
        let (_d, cache) = temp_cache();
        let empty = cache.stats().unwrap().bytes_on_disk;
        let e = vec![0.25f32; 512];
        let prompts: Vec<String> = (0..500).map(|i| format!("prompt {i}")).collect();
        let entries: Vec<(&str, &[f32])> = prompts.iter().map(|p| (p.as_str(), e.as_slice())).collect();
        cache.put_many(FP_A, &entries).unwrap();
        let full = cache.stats().unwrap().bytes_on_disk;
        assert!(full > 500 * 512 * 4, "{full}");
        assert_eq!(cache.clear(None).unwrap(), 500);
        let after = cache.stats().unwrap().bytes_on_disk;
        // redb keeps a few MB of region headers even when empty; the entries' pages must go.
        assert!(after < full && after <= empty + (1 << 20), "file did not shrink: {empty} -> {full} -> {after}");
    }

    #[test]
    fn corrupt_values_are_misses_and_get_repaired() {
        let (_d, cache) = temp_cache();
        cache.put_many(FP_A, &[("good", &[1.0, 2.0, 3.0])]).unwrap();
        put_raw(&cache, FP_A, "odd length", &[1, 2, 3, 4, 5, 6, 7]);
        put_raw(&cache, FP_A, "wrong dim", &[0; 8]);
        put_raw(&cache, FP_A, "empty", &[]);
        let nan: Vec<u8> = [1.0f32, f32::NAN, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        put_raw(&cache, FP_A, "nan", &nan);
        let got = cache.get_many(FP_A, &["odd length", "good", "wrong dim", "empty", "nan"]).unwrap();
        assert_eq!(got, vec![None, Some(vec![1.0, 2.0, 3.0]), None, None, None]);
        assert_eq!(cache.invalid_entries_skipped(), 4);
        // The next put of those prompts repairs them.
        cache.put_many(FP_A, &[("odd length", &[4.0, 5.0, 6.0])]).unwrap();
        assert_eq!(cache.get_many(FP_A, &["odd length"]).unwrap(), vec![Some(vec![4.0, 5.0, 6.0])]);
        assert_eq!(cache.invalid_entries_skipped(), 4);
    }

    #[test]
    fn unicode_prompts() {
        let (_d, cache) = temp_cache();
        let prompts = ["une photo d'un éléphant.", "猫の写真", "🐕 dog", "", "a\u{0301}", "\u{e1}", "tab\there"];
        let embs: Vec<Vec<f32>> = (0..prompts.len()).map(|i| vec![i as f32, -(i as f32)]).collect();
        let entries: Vec<(&str, &[f32])> = prompts.iter().zip(&embs).map(|(p, e)| (*p, e.as_slice())).collect();
        cache.put_many(FP_A, &entries).unwrap();
        let got = cache.get_many(FP_A, &prompts).unwrap();
        assert_eq!(got, embs.into_iter().map(Some).collect::<Vec<_>>());
        assert_eq!(cache.stats().unwrap().entries, prompts.len() as u64);
    }

    #[test]
    fn empty_batches() {
        let (_d, cache) = temp_cache();
        assert_eq!(cache.get_many(FP_A, &[]).unwrap(), Vec::<Option<Vec<f32>>>::new());
        cache.put_many(FP_A, &[]).unwrap();
        assert_eq!(cache.stats().unwrap().entries, 0);
        assert_eq!(cache.get_many(FP_A, &["x"]).unwrap(), vec![None]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (_d, cache) = temp_cache();
        assert_cache_err(cache.get_many("abc", &["x"]), "fingerprint");
        assert_cache_err(cache.get_many(&FP_A.to_uppercase(), &["x"]), "fingerprint");
        assert_cache_err(cache.put_many(&format!("{FP_A}0"), &[("x", &[1.0])]), "fingerprint");
        assert_cache_err(cache.clear(Some("")), "fingerprint");
        assert_cache_err(cache.put_many(FP_A, &[("x", &[])]), "dimension");
        assert_cache_err(cache.put_many(FP_A, &[("x", &[1.0, 2.0]), ("y", &[1.0])]), "first of the batch");
        assert_cache_err(cache.put_many(FP_A, &[("x", &[1.0, f32::INFINITY])]), "non-finite");
        // Nothing of a rejected batch is written.
        assert_eq!(cache.stats().unwrap().entries, 0);
        cache.put_many(FP_A, &[("x", &[1.0, 2.0])]).unwrap();
        assert_cache_err(cache.put_many(FP_A, &[("y", &[1.0, 2.0, 3.0])]), "2-dimensional");
        assert_eq!(cache.get_many(FP_A, &["y"]).unwrap(), vec![None]);
    }

    #[test]
    fn garbage_file_is_a_cache_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage.redb");
        fs::write(&path, b"this is not a database, just some text\n".repeat(200)).unwrap();
        assert_cache_err(TextCache::open(&path), "not a redb database");
        let mut pseudo = Vec::with_capacity(1 << 16);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..(1 << 16) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            pseudo.push(x as u8);
        }
        fs::write(&path, &pseudo).unwrap();
        assert_cache_err(TextCache::open(&path), "not a redb database");
        // A directory where the file should be.
        let as_dir = dir.path().join("is-a-dir.redb");
        fs::create_dir(&as_dir).unwrap();
        assert_cache_err(TextCache::open(&as_dir), "cannot open");
    }

    #[test]
    fn damaged_database_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.redb");
        {
            let cache = TextCache::open(&path).unwrap();
            let e = vec![0.5f32; 64];
            let prompts: Vec<String> = (0..200).map(|i| format!("p{i}")).collect();
            let entries: Vec<(&str, &[f32])> = prompts.iter().map(|p| (p.as_str(), e.as_slice())).collect();
            cache.put_many(FP_A, &entries).unwrap();
        }
        let good = fs::read(&path).unwrap();
        // redb 2.6 asserts on a file shorter than its header says; the panic guard turns that into
        // an error instead of aborting the caller.
        fs::write(&path, &good[..good.len() / 2]).unwrap();
        assert_cache_err(TextCache::open(&path), "damaged");
        let mut damaged = Vec::new();
        for cut in [0, 1, 100, 512, 4096, good.len() / 2, good.len() - 1] {
            damaged.push(good[..cut].to_vec());
        }
        for pos in (0..good.len()).step_by(good.len() / 23 + 1) {
            let mut b = good.clone();
            b[pos] ^= 0x5a;
            damaged.push(b);
        }
        for bytes in damaged {
            fs::write(&path, &bytes).unwrap();
            // Any outcome but a panic is acceptable: repaired, empty, or a cache error.
            if let Ok(cache) = TextCache::open(&path) {
                match cache.get_many(FP_A, &["p0", "p199"]) {
                    Ok(v) => assert!(v.iter().flatten().all(|e| e.len() == 64)),
                    Err(e) => assert!(matches!(e, Error::Cache { .. }), "{e:?}"),
                }
                let _ = cache.stats();
            }
        }
    }

    #[test]
    fn other_format_version_is_refused() {
        let (_d, cache) = temp_cache();
        {
            let db = Database::create(cache.path()).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().insert(META_FORMAT_KEY, 99).unwrap();
            txn.commit().unwrap();
        }
        assert_cache_err(TextCache::open(cache.path()), "format version 99");
        assert_cache_err(cache.get_many(FP_A, &["x"]), "format version 99");
        assert_cache_err(cache.put_many(FP_A, &[("x", &[1.0])]), "format version 99");
    }

    #[test]
    fn busy_file_times_out_with_a_clear_error() {
        let (_d, cache) = temp_cache();
        let cache = cache.with_lock_timeout(Duration::from_millis(50));
        // Another holder of the file (as another process would be).
        let held = Database::create(cache.path()).unwrap();
        let t = Instant::now();
        assert_cache_err(cache.get_many(FP_A, &["x"]), "still in use");
        assert!(t.elapsed() >= Duration::from_millis(50) && t.elapsed() < Duration::from_secs(5));
        drop(held);
        assert_eq!(cache.get_many(FP_A, &["x"]).unwrap(), vec![None]);
    }

    #[test]
    fn handles_on_one_file_share_the_in_process_lock() {
        let (d, cache) = temp_cache();
        let other = TextCache::open(&d.path().join("sub/./dir/../dir/cache.redb")).unwrap();
        assert!(Arc::ptr_eq(&cache.lock, &other.lock));
    }

    #[test]
    fn default_path_follows_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
        };
        assert_eq!(
            default_path_from(env(&[("PELABEL_CACHE_DIR", "/x/c"), ("XDG_CACHE_HOME", "/xdg"), ("HOME", "/h")])),
            Path::new("/x/c/text-embeddings.redb")
        );
        assert_eq!(
            default_path_from(env(&[("PELABEL_CACHE_DIR", ""), ("XDG_CACHE_HOME", "/xdg"), ("HOME", "/h")])),
            Path::new("/xdg/pelabel/text-embeddings.redb")
        );
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            assert_eq!(
                default_path_from(env(&[("XDG_CACHE_HOME", "relative"), ("HOME", "/h")])),
                Path::new("/h/.cache/pelabel/text-embeddings.redb")
            );
            assert_eq!(default_path_from(env(&[("HOME", "/h")])), Path::new("/h/.cache/pelabel/text-embeddings.redb"));
        }
        assert_eq!(default_path_from(env(&[])), std::env::temp_dir().join("pelabel").join("text-embeddings.redb"));
        assert!(TextCache::default_path().ends_with("text-embeddings.redb"));
    }
}
