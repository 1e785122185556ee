//! Fault injection for the text cache: a redb storage backend that fails its writes, resizes or
//! fsyncs part-way through an operation, and databases damaged on purpose. What a user must see
//! in every case: the operation succeeds or returns [`Error::Cache`]; nothing panics; afterwards
//! the cache holds the state before or after the failed transaction, never a mix; and
//! `get_many` never returns an embedding that was not put.

use super::*;

const FP_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const FP_B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const DIM: usize = 8;

/// A simulated disk: what the operating system holds (`volatile`, every write so far) and, as an
/// undo log of the changes since the last successful fsync, what survives a power loss
/// ([`Disk::durable`]). (An undo log rather than a copy per fsync: the image is a few MB and an
/// operation fsyncs several times.)
#[derive(Clone, Default)]
struct Disk {
    volatile: Vec<u8>,
    undo: Vec<Undo>,
}

/// How to take back one change of `volatile`.
#[derive(Clone)]
enum Undo {
    /// Bytes overwritten at an offset.
    Write { offset: usize, old: Vec<u8> },
    /// A resize from `old_len`; `cut` holds the bytes a shrink removed.
    Len { old_len: usize, cut: Vec<u8> },
}

impl Disk {
    fn new(image: &[u8]) -> Self {
        Disk { volatile: image.to_vec(), undo: Vec::new() }
    }

    /// The image at the last successful fsync.
    fn durable(&self) -> Vec<u8> {
        let mut d = self.volatile.clone();
        for u in self.undo.iter().rev() {
            match u {
                Undo::Write { offset, old } => d[*offset..offset + old.len()].copy_from_slice(old),
                Undo::Len { old_len, cut } => {
                    d.truncate((*old_len).min(d.len()));
                    d.extend_from_slice(cut);
                }
            }
        }
        d
    }
}

/// Which operations count towards the fault and fail once it is reached.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// `write`, `set_len` and `sync_data`.
    Mutations,
    /// `sync_data` only: writes reach the page cache, the fsync reports an error.
    Fsync,
}

/// The fault plan shared by every backend a factory makes: counted operations `fail_at` and
/// later fail (a disk that stays broken until the test heals it).
struct Plan {
    fault: Fault,
    counted: AtomicU64,
    fail_at: AtomicU64,
}

impl Plan {
    fn new(fault: Fault) -> Arc<Self> {
        Arc::new(Plan { fault, counted: AtomicU64::new(0), fail_at: AtomicU64::new(u64::MAX) })
    }

    /// Counts from zero again and fails the `n`-th counted operation (0-based) and all later ones.
    fn arm(&self, n: u64) {
        self.counted.store(0, Ordering::SeqCst);
        self.fail_at.store(n, Ordering::SeqCst);
    }

    fn heal(&self) {
        self.fail_at.store(u64::MAX, Ordering::SeqCst);
    }

    fn tick(&self, is_sync: bool) -> io::Result<()> {
        if self.fault == Fault::Fsync && !is_sync {
            return Ok(());
        }
        let n = self.counted.fetch_add(1, Ordering::SeqCst);
        if n >= self.fail_at.load(Ordering::SeqCst) {
            Err(io::Error::other(format!("injected fault at operation {n}")))
        } else {
            Ok(())
        }
    }
}

struct FaultyBackend {
    disk: Arc<Mutex<Disk>>,
    plan: Arc<Plan>,
}

impl fmt::Debug for FaultyBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyBackend").field("fault", &self.plan.fault).finish_non_exhaustive()
    }
}

fn out_of_range() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "out of range")
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.disk.lock().unwrap().volatile.len() as u64)
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let disk = self.disk.lock().unwrap();
        let start = usize::try_from(offset).map_err(|_| out_of_range())?;
        disk.volatile
            .get(start..start.checked_add(len).ok_or_else(out_of_range)?)
            .map(<[u8]>::to_vec)
            .ok_or_else(out_of_range)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.plan.tick(false)?;
        let len = usize::try_from(len).map_err(|_| out_of_range())?;
        let mut disk = self.disk.lock().unwrap();
        let old_len = disk.volatile.len();
        let cut = disk.volatile.get(len..).map(<[u8]>::to_vec).unwrap_or_default();
        disk.undo.push(Undo::Len { old_len, cut });
        disk.volatile.resize(len, 0);
        Ok(())
    }

    fn sync_data(&self, _eventual: bool) -> io::Result<()> {
        self.plan.tick(true)?;
        let mut disk = self.disk.lock().unwrap();
        disk.undo.clear();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.plan.tick(false)?;
        let mut disk = self.disk.lock().unwrap();
        let start = usize::try_from(offset).map_err(|_| out_of_range())?;
        let end = start.checked_add(data.len()).ok_or_else(out_of_range)?;
        let old = disk.volatile.get(start..end).ok_or_else(out_of_range)?.to_vec();
        disk.undo.push(Undo::Write { offset: start, old });
        disk.volatile[start..end].copy_from_slice(data);
        Ok(())
    }
}

/// A cache on `disk` whose every backend follows `plan`.
fn cache_on(disk: &Arc<Mutex<Disk>>, plan: &Arc<Plan>) -> Result<TextCache> {
    let (disk, plan) = (disk.clone(), plan.clone());
    let factory: BackendFactory = Arc::new(move || {
        Ok(Box::new(FaultyBackend { disk: disk.clone(), plan: plan.clone() }) as Box<dyn StorageBackend>)
    });
    // Each test's caches get their own in-process queue (the name keys it).
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = PathBuf::from(format!("<faulty disk {}>", NEXT.fetch_add(1, Ordering::Relaxed)));
    TextCache::open_with_backend(&name, factory)
}

/// A healthy cache over a copy of `image` (as after a restart that found this image on disk).
fn reopen(image: &[u8]) -> TextCache {
    let disk = Arc::new(Mutex::new(Disk::new(image)));
    cache_on(&disk, &Plan::new(Fault::Mutations)).expect("a healthy reopen after a fault failed")
}

/// A distinct, finite embedding per (model, prompt, generation): any mix-up shows.
fn emb(fp: &str, prompt: &str, generation: u32) -> Vec<f32> {
    let mut h = blake3::Hasher::new();
    h.update(fp.as_bytes());
    h.update(prompt.as_bytes());
    h.update(&generation.to_le_bytes());
    let bytes = h.finalize();
    (0..DIM).map(|i| f32::from(bytes.as_bytes()[i]) - 127.5 + generation as f32 * 1000.0).collect()
}

/// What the cache of [`base_disk`] holds, as `(model, prompt) → embedding`; before and after a
/// change.
#[derive(Clone, Debug, PartialEq)]
struct State(Vec<(Key, Option<Vec<f32>>)>);

/// `(model fingerprint, prompt)`.
type Key = (&'static str, String);

const OLD: usize = 6;
const NEW: usize = 12;

fn prompts() -> Vec<String> {
    (0..OLD).map(|i| format!("old {i}")).chain((0..NEW).map(|i| format!("new {i}"))).collect()
}

/// Reads every key of the test's universe; each hit must be an embedding that was put at some time.
fn read_state(cache: &TextCache) -> Result<State> {
    let prompts = prompts();
    let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for fp in [FP_A, FP_B] {
        for (p, got) in prompts.iter().zip(cache.get_many(fp, &refs)?) {
            if let Some(e) = &got {
                assert!(
                    (0..3).any(|g| *e == emb(fp, p, g)),
                    "get_many returned an embedding for {p:?} that was never put: {e:?}"
                );
            }
            out.push(((fp, p.clone()), got));
        }
    }
    Ok(State(out))
}

/// The state before the operation: both models hold `old i` (generation 0).
fn base_disk() -> (Disk, State) {
    let disk = Arc::new(Mutex::new(Disk::default()));
    let cache = cache_on(&disk, &Plan::new(Fault::Mutations)).unwrap();
    for fp in [FP_A, FP_B] {
        let olds: Vec<(String, Vec<f32>)> =
            (0..OLD).map(|i| format!("old {i}")).map(|p| (p.clone(), emb(fp, &p, 0))).collect();
        let entries: Vec<(&str, &[f32])> = olds.iter().map(|(p, e)| (p.as_str(), e.as_slice())).collect();
        cache.put_many(fp, &entries).unwrap();
    }
    let state = read_state(&cache).unwrap();
    drop(cache);
    let disk = disk.lock().unwrap().clone();
    assert!(disk.undo.is_empty(), "the base state is on durable storage");
    (disk, state)
}

/// One operation under test, applied to a cache.
type Op = fn(&TextCache) -> Result<()>;

/// Replaces `old 0..3` of FP_A (generation 1) and adds `new 0..NEW` (generation 1).
fn put_batch(cache: &TextCache) -> Result<()> {
    let changed: Vec<(String, Vec<f32>)> = (0..3)
        .map(|i| format!("old {i}"))
        .chain((0..NEW).map(|i| format!("new {i}")))
        .map(|p| (p.clone(), emb(FP_A, &p, 1)))
        .collect();
    let entries: Vec<(&str, &[f32])> = changed.iter().map(|(p, e)| (p.as_str(), e.as_slice())).collect();
    cache.put_many(FP_A, &entries)
}

/// Clears FP_B (a table drop and a compaction, which moves pages around).
fn clear_b(cache: &TextCache) -> Result<()> {
    cache.clear(Some(FP_B)).map(|_| ())
}

/// Runs `op` on a copy of the base disk with a fault at counted operation `n`, and checks the
/// outcome; returns whether the operation succeeded, and whether the fault left writes that a
/// power loss would take back (so that the power-loss check saw another image).
fn run_with_fault(op: Op, base: &Disk, fault: Fault, n: u64, before: &State, after: &State) -> (bool, bool) {
    let disk = Arc::new(Mutex::new(base.clone()));
    let plan = Plan::new(fault);
    let cache = cache_on(&disk, &plan).unwrap();
    plan.arm(n);
    let outcome = op(&cache);
    let ok = match outcome {
        Ok(()) => true,
        Err(Error::Cache { reason, .. }) => {
            assert!(
                reason.contains("injected fault") || reason.contains("earlier write"),
                "{fault:?} at {n}: {reason}"
            );
            false
        }
        Err(other) => panic!("{fault:?} at {n}: not a cache error: {other:?}"),
    };
    // The disk as the failed operation left it, before anything reads it (a read may repair and
    // fsync): what the OS had, and what was fsynced.
    let (volatile, durable) = {
        let d = disk.lock().unwrap();
        (d.volatile.clone(), d.durable())
    };
    let is_before_or_after = |s: &State, what: &str| {
        assert!(s == before || s == after, "{fault:?} at {n} ({what}): a mix of before and after: {s:?}");
        if ok {
            // A success must be durable (the commit's fsync returned).
            assert!(s == after, "{fault:?} at {n} ({what}): put reported success but the state is the old one");
        }
    };
    // While the disk is still failing, reads give the old or new state or a cache error.
    match read_state(&cache) {
        Ok(s) => is_before_or_after(&s, "same handle, disk still failing"),
        Err(e) => assert!(matches!(e, Error::Cache { .. }), "{e:?}"),
    }
    // The disk heals: the same handle reads a consistent state.
    plan.heal();
    is_before_or_after(&read_state(&cache).unwrap(), "same handle, healed");
    // A restart with everything the OS had (the process died, the machine did not).
    is_before_or_after(&read_state(&reopen(&volatile)).unwrap(), "restart, page cache kept");
    // A power loss: only what was fsynced survives.
    is_before_or_after(&read_state(&reopen(&durable)).unwrap(), "power loss");
    let unsynced = durable != volatile;
    // And the healed cache takes the operation again.
    op(&cache).unwrap();
    assert_eq!(read_state(&cache).unwrap(), *after, "{fault:?} at {n}: retry after healing");
    (ok, unsynced)
}

/// Sweeps the fault over the counted operations of `op`: every one of the first 24, then about
/// 24 more spread over the rest (a compaction takes hundreds, most alike), and one past the last.
fn sweep(op: Op, fault: Fault) {
    let (base, before) = base_disk();
    // The state after, and how many counted operations the operation takes when nothing fails.
    let disk = Arc::new(Mutex::new(base.clone()));
    let plan = Plan::new(fault);
    let cache = cache_on(&disk, &plan).unwrap();
    plan.arm(u64::MAX);
    op(&cache).unwrap();
    let total = plan.counted.load(Ordering::SeqCst);
    let after = read_state(&cache).unwrap();
    assert_ne!(before, after);
    assert!(total > 0, "{fault:?}: the operation counted no operation");
    let points: Vec<u64> = (0..total.min(24)).chain((24..total).step_by((total as usize / 24).max(1))).collect();
    let outcomes: Vec<(bool, bool)> =
        points.iter().map(|&n| run_with_fault(op, &base, fault, n, &before, &after)).collect();
    // Fault points inside the operation make it fail (at least the first one does), and some
    // leave unsynced writes behind (else the power-loss check would test nothing); past the end
    // nothing fails.
    assert!(
        outcomes.iter().any(|o| !o.0),
        "{fault:?}: none of {} fault points in {total} operations failed",
        points.len()
    );
    assert!(outcomes.iter().any(|o| o.1), "{fault:?}: no fault point left unsynced writes");
    assert!(run_with_fault(op, &base, fault, total, &before, &after).0, "no fault left past the end");
}

#[test]
fn put_many_under_failing_writes_is_all_or_nothing() {
    sweep(put_batch, Fault::Mutations);
}

#[test]
fn put_many_under_failing_fsync_is_all_or_nothing() {
    sweep(put_batch, Fault::Fsync);
}

#[test]
fn clear_under_failing_writes_is_all_or_nothing() {
    sweep(clear_b, Fault::Mutations);
}

#[test]
fn clear_under_failing_fsync_is_all_or_nothing() {
    sweep(clear_b, Fault::Fsync);
}

#[test]
fn creation_on_a_failing_disk() {
    // A new cache's first operation creates the database and writes the format marker. On a
    // backend, every fault point gives a working cache or Error::Cache; a fault during redb's own
    // creation (after it sized the storage, before its magic number was written) leaves storage
    // that redb refuses from then on, which the error says to delete. A cache *file* never gets
    // there: it is created in a temporary file and moved into place (`create_file`); such a
    // half-made file, from an older pelabel, gets the same error.
    let mut half_made = None;
    for fault in [Fault::Mutations, Fault::Fsync] {
        for n in 0..12 {
            let disk = Arc::new(Mutex::new(Disk::default()));
            let plan = Plan::new(fault);
            plan.arm(n);
            match cache_on(&disk, &plan) {
                Ok(cache) => {
                    plan.heal();
                    cache.put_many(FP_A, &[("x", &[1.0, 2.0])]).unwrap();
                }
                Err(Error::Cache { .. }) => {
                    plan.heal();
                    match cache_on(&disk, &plan) {
                        Ok(cache) => assert_eq!(cache.get_many(FP_A, &["x"]).unwrap(), vec![None]),
                        Err(e) => {
                            assert_damaged_hint(Err::<(), _>(e), "half-made storage");
                            half_made.get_or_insert_with(|| disk.lock().unwrap().volatile.clone());
                        }
                    }
                }
                Err(other) => panic!("{fault:?} at {n}: {other:?}"),
            }
        }
    }
    let half_made = half_made.expect("no fault point left a half-made database: the test lost its point");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.redb");
    fs::write(&path, &half_made).unwrap();
    assert_damaged_hint(TextCache::open(&path), "half-made file");
}

#[test]
fn a_new_cache_file_appears_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/cache.redb");
    let cache = TextCache::open(&path).unwrap();
    let names: Vec<String> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["cache.redb"], "the temporary file was left behind");
    // The file that appeared already carries the format marker.
    {
        let db = Database::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        assert_eq!(
            txn.open_table(META).unwrap().get(META_FORMAT_KEY).unwrap().map(|v| v.value()),
            Some(FORMAT_VERSION)
        );
    }
    // Deleted under a live handle (a cache cleaner), it is made again the same way.
    fs::remove_file(&path).unwrap();
    cache.put_many(FP_A, &[("x", &[1.0, 2.0])]).unwrap();
    assert_eq!(TextCache::open(&path).unwrap().get_many(FP_A, &["x"]).unwrap(), vec![Some(vec![1.0, 2.0])]);
}

#[test]
fn a_file_of_the_older_format_reads_as_empty_and_is_rewritten() {
    // Format 1 stored embeddings without a checksum: this version does not trust them.
    let (_d, path) = foreign_db(|txn| {
        txn.open_table(META).unwrap().insert(META_FORMAT_KEY, 1).unwrap();
        txn.open_table(MODELS).unwrap().insert(FP_A, 2).unwrap();
        let v1: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        txn.open_table(emb_table(&emb_table_name(FP_A))).unwrap().insert("x", v1.as_slice()).unwrap();
    });
    let cache = TextCache::open(&path).unwrap();
    assert_eq!(cache.get_many(FP_A, &["x"]).unwrap(), vec![None]);
    assert_eq!(cache.stats().unwrap().entries, 0);
    // The next write empties it and marks it with this version; another dimension is fine then.
    cache.put_many(FP_A, &[("y", &[3.0, 4.0, 5.0])]).unwrap();
    assert_eq!(cache.get_many(FP_A, &["x", "y"]).unwrap(), vec![None, Some(vec![3.0, 4.0, 5.0])]);
    assert_eq!(cache.stats().unwrap().entries, 1);
    assert_eq!(cache.invalid_entries_skipped(), 0);
}

// ----- damaged databases ---------------------------------------------------------------------

fn assert_damaged_hint<T: fmt::Debug>(r: Result<T>, what: &str) {
    match r {
        Err(Error::Cache { reason, .. }) => {
            assert!(reason.contains("delete it"), "{what}: the error does not tell the user what to do: {reason}")
        }
        other => panic!("{what}: expected Error::Cache, got {other:?}"),
    }
}

/// Every operation on a damaged database either fails with [`Error::Cache`] or works, and no
/// read returns an embedding that was not put.
fn check_damaged(image: &[u8], what: &str) {
    check_damaged_with(image, what, true)
}

/// [`check_damaged`]; `clear` also runs `clear` (a compaction) on the damaged database.
fn check_damaged_with(image: &[u8], what: &str, clear: bool) {
    let disk = Arc::new(Mutex::new(Disk::new(image)));
    let cache = match cache_on(&disk, &Plan::new(Fault::Mutations)) {
        Ok(c) => c,
        Err(Error::Cache { .. }) => return,
        Err(e) => panic!("{what}: open: {e:?}"),
    };
    let expect_cache_err = |r: Result<()>, op: &str| {
        if let Err(e) = r {
            assert!(matches!(e, Error::Cache { .. }), "{what}: {op}: {e:?}");
        }
    };
    expect_cache_err(read_state(&cache).map(|_| ()), "get_many");
    expect_cache_err(cache.stats().map(|_| ()), "stats");
    expect_cache_err(put_batch(&cache), "put_many");
    expect_cache_err(read_state(&cache).map(|_| ()), "get_many after put_many");
    if clear {
        expect_cache_err(clear_b(&cache), "clear");
        expect_cache_err(read_state(&cache).map(|_| ()), "get_many after clear");
    }
}

#[test]
fn flipped_bytes_never_give_wrong_embeddings() {
    let (base, before) = base_disk();
    let good = base.volatile;
    assert_eq!(read_state(&reopen(&good)).unwrap(), before);
    // A flipped bit inside each stored embedding (found by its bytes): redb does not verify its
    // page checksums on reads, so only the cache's own checksum stands between this and a wrong
    // embedding.
    let mut targets = Vec::new();
    for fp in [FP_A, FP_B] {
        for i in 0..OLD {
            let value: Vec<u8> = emb(fp, &format!("old {i}"), 0).iter().flat_map(|v| v.to_le_bytes()).collect();
            let at = good.windows(value.len()).position(|w| w == value.as_slice());
            let at = at.unwrap_or_else(|| panic!("the value of {fp} old {i} is not in the image"));
            targets.push((at + (i * 5) % value.len(), 1u8 << (i % 8)));
        }
    }
    for (pos, mask) in targets {
        let mut bad = good.clone();
        bad[pos] ^= mask;
        check_damaged(&bad, &format!("value byte {pos} ^ {mask:#x}"));
    }
    // And bytes spread over the rest of the file (headers, B-tree pages, keys, allocator state):
    // about 60 of its non-zero bytes, evenly spaced.
    let nonzero: Vec<usize> = (0..good.len()).filter(|&i| good[i] != 0).collect();
    for &pos in nonzero.iter().step_by(nonzero.len() / 60 + 1) {
        let mut bad = good.clone();
        bad[pos] ^= 0x10;
        check_damaged_with(&bad, &format!("byte {pos} ^ 0x10"), false);
    }
}

#[test]
fn truncated_zeroed_and_random_images_give_cache_errors() {
    let (base, _) = base_disk();
    let good = base.volatile;
    for cut in [0, 1, 64, 511, 512, 4095, 4096, good.len() / 3, good.len() / 2, good.len() - 4096, good.len() - 1] {
        check_damaged(&good[..cut.min(good.len())], &format!("truncated to {cut}"));
    }
    for (from, len) in [(0, 64), (0, 512), (0, 4096), (512, 4096), (good.len() / 2, 4096)] {
        let mut bad = good.clone();
        bad[from..(from + len).min(good.len())].fill(0);
        check_damaged(&bad, &format!("zeroed {len} bytes at {from}"));
    }
    let mut zeroed_header = good.clone();
    zeroed_header[..512].fill(0);
    assert_damaged_hint(
        cache_on(&Arc::new(Mutex::new(Disk::new(&zeroed_header))), &Plan::new(Fault::Mutations)),
        "zeroed header",
    );
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..good.len())
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    check_damaged(&random, "random bytes");
    // A valid header followed by random pages.
    let mut half = good.clone();
    half[4096..].copy_from_slice(&random[4096..]);
    check_damaged(&half, "random pages behind a valid header");
}

/// A redb file whose tables were written by something else: `write` sets it up.
fn foreign_db(write: impl FnOnce(&WriteTransaction)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.redb");
    let db = Database::builder().create_with_file_format_v3(true).create(&path).unwrap();
    let txn = db.begin_write().unwrap();
    write(&txn);
    txn.commit().unwrap();
    (dir, path)
}

#[test]
fn valid_databases_with_other_tables_give_cache_errors() {
    use redb::MultimapTableDefinition;
    // The format marker has another value type.
    let (_d, path) = foreign_db(|txn| {
        txn.open_table(TableDefinition::<&str, &str>::new("meta")).unwrap().insert("format", "one").unwrap();
    });
    assert_damaged_hint(TextCache::open(&path), "meta of type <&str, &str>");
    // The model table has another value type: open works (it reads the marker only), every
    // operation that needs the model table says the file is damaged.
    let (_d, path) = foreign_db(|txn| {
        txn.open_table(META).unwrap().insert(META_FORMAT_KEY, FORMAT_VERSION).unwrap();
        txn.open_table(TableDefinition::<&str, u64>::new("models")).unwrap().insert(FP_A, 8).unwrap();
    });
    let cache = TextCache::open(&path).unwrap();
    assert_damaged_hint(cache.get_many(FP_A, &["x"]), "models of type <&str, u64>: get_many");
    assert_damaged_hint(put_batch(&cache), "models of type <&str, u64>: put_many");
    assert_damaged_hint(cache.stats(), "models of type <&str, u64>: stats");
    assert_damaged_hint(cache.clear(None), "models of type <&str, u64>: clear");
    // The model table is a multimap.
    let (_d, path) = foreign_db(|txn| {
        txn.open_table(META).unwrap().insert(META_FORMAT_KEY, FORMAT_VERSION).unwrap();
        txn.open_multimap_table(MultimapTableDefinition::<&str, u32>::new("models")).unwrap().insert(FP_A, 8).unwrap();
    });
    let cache = TextCache::open(&path).unwrap();
    assert_damaged_hint(cache.get_many(FP_A, &["x"]), "models as a multimap: get_many");
    assert_damaged_hint(put_batch(&cache), "models as a multimap: put_many");
    // An embedding table with other key and value types.
    let (_d, path) = foreign_db(|txn| {
        txn.open_table(META).unwrap().insert(META_FORMAT_KEY, FORMAT_VERSION).unwrap();
        txn.open_table(MODELS).unwrap().insert(FP_A, DIM as u32).unwrap();
        txn.open_table(TableDefinition::<u64, u64>::new(&emb_table_name(FP_A))).unwrap().insert(1, 2).unwrap();
    });
    let cache = TextCache::open(&path).unwrap();
    assert_damaged_hint(cache.get_many(FP_A, &["x"]), "emb table of type <u64, u64>: get_many");
    assert_damaged_hint(put_batch(&cache), "emb table of type <u64, u64>: put_many");
    assert_damaged_hint(cache.stats(), "emb table of type <u64, u64>: stats");
    // clear(None) drops every embedding table whatever its types: the way out short of deleting.
    match cache.clear(None) {
        Ok(_) => {
            put_batch(&cache).unwrap();
            assert_eq!(cache.get_many(FP_A, &["new 0"]).unwrap(), vec![Some(emb(FP_A, "new 0", 1))]);
        }
        Err(e) => assert_damaged_hint(Err::<(), _>(e), "emb table of type <u64, u64>: clear"),
    }
}

#[test]
fn stored_dimensions_that_do_not_fit_are_misses() {
    // A model recorded with dimension 0 (put_many never writes one) and an empty value: not an
    // empty embedding, a miss. Likewise a dimension the values do not have.
    for (dim, value) in [(0u32, vec![]), (u32::MAX, vec![0u8; 8]), (3, vec![0u8; 8])] {
        let (_d, path) = foreign_db(|txn| {
            txn.open_table(META).unwrap().insert(META_FORMAT_KEY, FORMAT_VERSION).unwrap();
            txn.open_table(MODELS).unwrap().insert(FP_A, dim).unwrap();
            txn.open_table(emb_table(&emb_table_name(FP_A))).unwrap().insert("x", value.as_slice()).unwrap();
        });
        let cache = TextCache::open(&path).unwrap();
        assert_eq!(cache.get_many(FP_A, &["x"]).unwrap(), vec![None], "dim {dim}, {} bytes", value.len());
        assert_eq!(cache.invalid_entries_skipped(), 1, "dim {dim}");
    }
}
