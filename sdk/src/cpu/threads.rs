//! Splitting work over the current rayon pool (the `Labeler`'s, when one is installed).

use ::gemm::Parallelism;
use rayon::prelude::*;

/// A raw output pointer handed to parallel tasks that write disjoint elements through it.
///
/// Tasks never turn it into overlapping `&mut` slices: each writes its own elements through the
/// pointer (see the `SAFETY:` notes at the users).
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut f32);

// SAFETY: the pointer is only dereferenced by tasks that write disjoint elements of a buffer
// the spawning call borrows mutably for the duration of the parallel section.
unsafe impl Send for SendPtr {}
// SAFETY: as above: shared between tasks only to reach disjoint elements.
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// The pointer (a method, so closures capture the whole `SendPtr`, not its raw field).
    #[inline(always)]
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

/// Parallelism for one `gemm` call of `flops` from the current rayon pool.
pub(crate) fn gemm_parallelism(flops: usize) -> Parallelism {
    let threads = rayon::current_num_threads();
    // Below ~1 MFLOP the fork/join costs more than it saves.
    if threads <= 1 || flops < (1 << 20) {
        Parallelism::None
    } else {
        Parallelism::Rayon(threads)
    }
}

/// Whether the current pool has more than one thread (parallel iterators on a one-thread pool
/// still hand every task through the pool's queues, which costs a sleep and wake-up per loop).
#[inline]
pub(crate) fn parallel() -> bool {
    rayon::current_num_threads() > 1
}

/// Runs `f(state, task)` for `task < count`, over the current pool when it has several threads,
/// with one `init()` state per worker (in order on the calling thread otherwise).
pub(crate) fn for_each_task<S>(
    count: usize,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize) + Sync + Send,
) {
    if parallel() && count > 1 {
        (0..count).into_par_iter().for_each_init(init, f);
    } else {
        let mut state = init();
        (0..count).for_each(|t| f(&mut state, t));
    }
}

/// Wakes the current pool's other workers without waiting for them, so their wake-up overlaps
/// the caller's serial work at the start of a frame instead of the first parallel loop.
pub(crate) fn prewake() {
    if parallel() {
        rayon::spawn_broadcast(|_| {});
    }
}

/// Rows per work block of the packed kernels (four 12-row tiles).
pub(crate) const BLOCK_ROWS: usize = 48;
/// Panels per work block.
pub(crate) const BLOCK_PANELS: usize = 4;

/// Packed weights above this many bytes are walked column block by column block
/// ([`for_blocks`]): past the share of a core's L2 they could keep, re-reading them for every
/// row block costs more than re-reading the activations for every column block.
pub(crate) const WEIGHTS_IN_L2: usize = 1 << 20;

/// Runs `task(row0, rows, panel0, panels)` over (48-row, 4-panel) blocks of an `m × n` product
/// with `panel`-column panels, in parallel when asked and worth it. Blocks are disjoint.
///
/// Order: with `weight_bytes` ≤ [`WEIGHTS_IN_L2`] the blocks go row block by row block (the
/// weights stay in L2 while the activations stream once: the T16 image tower at int8 took
/// 17.0 ms a frame, 18.7 ms in the other order); above it column block by column block, so a thread's
/// consecutive blocks share their panels (the text tower's 3–4 MiB layers: 350 → 406 GFLOP/s
/// at 2 threads for 640 × 512 · 512 × 1536).
pub(crate) fn for_blocks(
    m: usize,
    n: usize,
    k: usize,
    panel: usize,
    weight_bytes: usize,
    parallel: bool,
    task: impl Fn(usize, usize, usize, usize) + Sync,
) {
    let nb = n.div_ceil(panel);
    let (rb, cb) = (m.div_ceil(BLOCK_ROWS), nb.div_ceil(BLOCK_PANELS));
    let by_columns = weight_bytes > WEIGHTS_IN_L2;
    let run = |t: usize| {
        let (i, j) = if by_columns { (t % rb, t / rb) } else { (t / cb, t % cb) };
        let (r0, p0) = (i * BLOCK_ROWS, j * BLOCK_PANELS);
        task(r0, BLOCK_ROWS.min(m - r0), p0, BLOCK_PANELS.min(nb - p0));
    };
    let tasks = rb * cb;
    if parallel && tasks > 1 && rayon::current_num_threads() > 1 && 2 * m * n * k >= (1 << 20) {
        (0..tasks).into_par_iter().for_each(run);
    } else {
        (0..tasks).for_each(run);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn blocks_cover_the_product_once() {
        let shapes: &[(usize, usize)] =
            if cfg!(miri) { &[(1, 1), (49, 129)] } else { &[(1, 1), (47, 33), (49, 129), (577, 192)] };
        for &(m, n) in shapes {
            for weight_bytes in [0, usize::MAX] {
                let seen = Mutex::new(vec![0u8; m * n]);
                for_blocks(m, n, 64, 32, weight_bytes, true, |r0, rows, p0, panels| {
                    let mut s = seen.lock().unwrap();
                    for r in r0..r0 + rows {
                        for c in p0 * 32..((p0 + panels) * 32).min(n) {
                            s[r * n + c] += 1;
                        }
                    }
                });
                assert!(seen.into_inner().unwrap().iter().all(|&v| v == 1), "{m}x{n} {weight_bytes}");
            }
        }
    }
}
