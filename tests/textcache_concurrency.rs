//! Several compiles sharing one text-embedding cache at once neither corrupt it nor lose entries
//! (issue 3, item 4): threads of one process (one shared handle, and one handle each), OS processes
//! writing disjoint and overlapping entries at the same time, and a writer killed mid-write.
//!
//! The processes are the `textcache_writer` binary of this crate.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use pelabel::TextCache;

const FP_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const FP_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const DIM: usize = 64;

/// The embedding stored for prompt `p{i}`: the same function as in `src/bin/textcache_writer.rs`.
fn embedding(i: usize, dim: usize) -> Vec<f32> {
    (0..dim).map(|j| (i * 1000 + j) as f32 * 0.5 + 0.25).collect()
}

fn prompts(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("p{i}")).collect()
}

/// Writes `p{range}` in batches of `batch` (one transaction each).
fn write_range(cache: &TextCache, fp: &str, range: std::ops::Range<usize>, batch: usize) {
    let start = range.start;
    let names = prompts(range.clone());
    let embs: Vec<Vec<f32>> = range.map(|i| embedding(i, DIM)).collect();
    for (k, chunk) in names.chunks(batch).enumerate() {
        let entries: Vec<(&str, &[f32])> =
            chunk.iter().enumerate().map(|(j, p)| (p.as_str(), embs[k * batch + j].as_slice())).collect();
        cache.put_many(fp, &entries).unwrap_or_else(|e| panic!("put_many of batch at {}: {e}", start + k * batch));
    }
}

/// For each `p{i}` of `range`: `Some(true)` when present with the right values, `None` when absent;
/// panics on a present entry with wrong values.
fn presence(cache: &TextCache, fp: &str, range: std::ops::Range<usize>) -> Vec<bool> {
    let names = prompts(range.clone());
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let got = cache.get_many(fp, &refs).expect("get_many");
    range
        .zip(got)
        .map(|(i, g)| match g {
            Some(v) => {
                assert_eq!(v, embedding(i, DIM), "p{i} has wrong values");
                true
            }
            None => false,
        })
        .collect()
}

fn assert_all_present(cache: &TextCache, fp: &str, range: std::ops::Range<usize>) {
    let missing: Vec<usize> =
        range.clone().zip(presence(cache, fp, range)).filter(|(_, ok)| !ok).map(|(i, _)| i).collect();
    assert!(missing.is_empty(), "entries lost: {missing:?}");
}

#[test]
fn threads_share_one_handle_and_separate_handles() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 30;
    const BATCH: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.redb");
    let t0 = Instant::now();

    // (1) One handle shared through an Arc; readers run between the writes.
    let shared = Arc::new(TextCache::open(&path).unwrap());
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (cache, barrier) = (Arc::clone(&shared), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let range = t * PER_THREAD..(t + 1) * PER_THREAD;
                write_range(&cache, FP_A, range.clone(), BATCH);
                // Everything this thread wrote is visible; others' entries are whole or absent.
                assert!(presence(&cache, FP_A, range).into_iter().all(|ok| ok));
                presence(&cache, FP_A, 0..THREADS * PER_THREAD);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }

    // (2) One handle per thread, opened concurrently, on the same file; a second model.
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let cache = TextCache::open(&path).unwrap();
                write_range(&cache, FP_B, t * PER_THREAD..(t + 1) * PER_THREAD, BATCH);
                // Overlapping writes of identical entries are harmless.
                write_range(&cache, FP_B, 0..BATCH * 2, BATCH);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }

    let cache = TextCache::open(&path).unwrap();
    assert_all_present(&cache, FP_A, 0..THREADS * PER_THREAD);
    assert_all_present(&cache, FP_B, 0..THREADS * PER_THREAD);
    let stats = cache.stats().unwrap();
    assert_eq!(stats.entries, 2 * (THREADS * PER_THREAD) as u64);
    assert_eq!(stats.models, 2);
    assert_eq!(cache.invalid_entries_skipped(), 0);
    let (writes, reads) = (THREADS * (2 * PER_THREAD / BATCH + 2), 2 * THREADS);
    eprintln!("threads: {writes} write and {reads} read operations in {:?}", t0.elapsed());
}

fn writer(path: &Path, fp: &str, batch: usize, start: usize, end_or_loop: &str, go: Option<&Path>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_textcache_writer"));
    cmd.arg(path).arg(fp).arg(DIM.to_string()).arg(batch.to_string()).arg(start.to_string()).arg(end_or_loop);
    if let Some(go) = go {
        cmd.arg(go);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn textcache_writer")
}

#[test]
fn processes_write_disjoint_and_overlapping_entries_at_once() {
    const PROCS: usize = 4;
    const PER_PROC: usize = 60;
    const BATCH: usize = 6;
    let dir = tempfile::tempdir().unwrap();
    // The writers create the file themselves: creating it concurrently is part of the test.
    let path = dir.path().join("nested/cache.redb");
    let go = dir.path().join("go");
    let t0 = Instant::now();
    let mut children = Vec::new();
    for k in 0..PROCS {
        // Disjoint ranges of one model...
        let (s, e) = (k * PER_PROC, (k + 1) * PER_PROC);
        children.push(writer(&path, FP_A, BATCH, s, &e.to_string(), Some(&go)));
        // ...and the same range of another model, written by every process.
        children.push(writer(&path, FP_B, BATCH, 0, &PER_PROC.to_string(), Some(&go)));
    }
    std::thread::sleep(Duration::from_millis(50));
    std::fs::write(&go, b"").unwrap();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer failed: {:?}", out.status);
        let last = String::from_utf8_lossy(&out.stdout).lines().last().map(str::to_string);
        assert!(last.is_some_and(|l| l.starts_with("committed ")), "a writer did not finish");
    }
    let cache = TextCache::open(&path).expect("the cache opens after concurrent writers");
    assert_all_present(&cache, FP_A, 0..PROCS * PER_PROC);
    assert_all_present(&cache, FP_B, 0..PER_PROC);
    let stats = cache.stats().unwrap();
    assert_eq!(stats.entries, (PROCS * PER_PROC + PER_PROC) as u64);
    assert_eq!(
        stats.per_model,
        vec![(FP_A.to_string(), (PROCS * PER_PROC) as u64), (FP_B.to_string(), PER_PROC as u64)]
    );
    eprintln!("processes: {} writers, {} transactions in {:?}", 2 * PROCS, 2 * PROCS * PER_PROC / BATCH, t0.elapsed());
}

#[test]
fn writer_killed_mid_write_leaves_every_committed_entry() {
    const BATCH: usize = 40;
    const KILL_DELAYS_MS: [u64; 5] = [0, 2, 6, 12, 25];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.redb");
    let t0 = Instant::now();
    let mut committed_before = 0;
    for (round, &kill_delay_ms) in KILL_DELAYS_MS.iter().enumerate() {
        // Each round continues where the last reported commit of the previous one ended, so
        // every round overwrites entries the killed writer may have committed unreported.
        let start = committed_before;
        let mut child = writer(&path, FP_A, BATCH, start, "loop", None);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill after a varying number of commits, while the writer is in its next transaction.
        let wanted = 2 + round * 2;
        let mut committed = start;
        for _ in 0..wanted {
            let line = lines.next().expect("writer output").expect("utf-8");
            committed = line.strip_prefix("committed ").expect("a commit line").parse().unwrap();
        }
        // A write transaction takes ~20 ms here (mostly fsync); kill at varying points inside it.
        std::thread::sleep(Duration::from_millis(kill_delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();

        let cache = TextCache::open(&path).unwrap_or_else(|e| panic!("round {round}: cache does not open: {e}"));
        // Every reported commit survives, with its values.
        assert_all_present(&cache, FP_A, 0..committed);
        // Later batches may or may not have committed, but each one is whole or absent.
        let after = presence(&cache, FP_A, committed..committed + 4 * BATCH);
        for (b, chunk) in after.chunks(BATCH).enumerate() {
            assert!(chunk.iter().all(|&x| x == chunk[0]), "round {round}: batch {b} after the kill is partial");
        }
        let stats = cache.stats().unwrap();
        assert!(stats.entries >= committed as u64);
        committed_before = committed;
    }
    // Still writable afterwards.
    let cache = TextCache::open(&path).unwrap();
    write_range(&cache, FP_B, 0..BATCH, BATCH);
    assert_all_present(&cache, FP_B, 0..BATCH);
    eprintln!("kill: {} rounds in {:?}", KILL_DELAYS_MS.len(), t0.elapsed());
}
