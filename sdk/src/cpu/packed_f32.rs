//! f32 weights packed once at load, and their matrix product (the AVX-512 tier's FMA kernel).
//!
//! Why not `gemm` here: the image tower's products are small (577 × 192 · 192 × 576 at T16-384) and
//! run on the same weights every frame. `gemm` re-packs both operands on every call and splits the
//! work for large matrices; the profile showed the packing and its page faults as a fifth of the
//! product time. Here the weights are packed once, in 32-column panels (two 512-bit registers), and
//! the activations are read in place: each 12 × 32 output tile keeps 24 accumulators in registers
//! over the whole `k`, broadcasting one activation per row and step. Work is split over the current
//! rayon pool in (48-row, 128-column) blocks so two threads stay balanced on 577 rows.
//! The result is exact up to summation order (the parity tests hold unchanged).

use super::threads::{for_blocks, SendPtr};
use super::{Cpu, PACKED_F32};

/// Columns per packed panel (two 16-lane registers).
pub(crate) const PANEL: usize = 32;

/// What the kernels add to the product before storing: `out = [out +] a·w [+ bias]`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Epilogue<'a> {
    /// `[n]`, added to every row.
    pub(crate) bias: Option<&'a [f32]>,
    /// Add to what `out` holds instead of overwriting it.
    pub(crate) accumulate: bool,
}

/// A `[k, n]` f32 matrix packed as `[⌈n/32⌉][k][32]` (columns past `n` zero).
#[derive(Clone, Default)]
pub(crate) struct PackedF32 {
    pub(crate) k: usize,
    pub(crate) n: usize,
    pub(crate) data: Vec<f32>,
}

impl PackedF32 {
    /// Packs a row-major `w[k, n]`.
    pub(crate) fn pack(w: &[f32], k: usize, n: usize) -> Self {
        assert!(w.len() >= k * n, "weights shorter than k·n");
        let mut p = Self::default();
        p.resize(k, n);
        for (r, row) in w.chunks_exact(n.max(1)).take(k).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                p.data[Self::offset(k, r, c)] = v;
            }
        }
        p
    }

    /// Sets the shape and sizes the buffer (stale contents; callers write every `(r, c)`).
    pub(crate) fn resize(&mut self, k: usize, n: usize) {
        self.k = k;
        self.n = n;
        self.data.resize(n.div_ceil(PANEL) * k * PANEL, 0.0);
    }

    /// Index of element `(r, c)` in the packed buffer of a matrix with `k` rows.
    #[inline(always)]
    pub(crate) fn offset(k: usize, r: usize, c: usize) -> usize {
        ((c / PANEL) * k + r) * PANEL + c % PANEL
    }

    /// Element `(r, c)`.
    pub(crate) fn at(&self, r: usize, c: usize) -> f32 {
        self.data[Self::offset(self.k, r, c)]
    }

    /// The packed buffer, for writers that use [`PackedF32::offset`].
    pub(crate) fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

/// `out[r·ldo + c] = [out +] Σ_p a[r·lda + p] · w(p, c) [+ bias[c]]` for `r < m`, `c < w.n`.
///
/// Panics on undersized buffers, and (an internal bug) when `cpu` is below the AVX-512 tier.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul(
    cpu: Cpu,
    a: &[f32],
    m: usize,
    lda: usize,
    w: &PackedF32,
    out: &mut [f32],
    ldo: usize,
    ep: Epilogue<'_>,
    parallel: bool,
) {
    cpu.require(PACKED_F32, "packed f32");
    if m == 0 || w.n == 0 {
        return;
    }
    assert!(ldo >= w.n && out.len() >= (m - 1) * ldo + w.n, "output buffer too small");
    // SAFETY: `out` is borrowed mutably for the call and holds every element written (checked;
    // `matmul_raw` checks the rest).
    unsafe { matmul_raw(cpu, a, m, lda, w, out.as_mut_ptr(), ldo, ep, parallel) }
}

/// [`matmul`] into a raw output, for callers whose parallel tasks write disjoint blocks of one
/// buffer (attention heads over the same rows), where a `&mut` slice per task would overlap.
///
/// # Safety
/// `out` must be valid for reads and writes of `out[r·ldo + c]` for `r < m`, `c < w.n`, and no
/// other thread may access those elements during the call. `ldo ≥ w.n`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn matmul_raw(
    cpu: Cpu,
    a: &[f32],
    m: usize,
    lda: usize,
    w: &PackedF32,
    out: *mut f32,
    ldo: usize,
    ep: Epilogue<'_>,
    parallel: bool,
) {
    cpu.require(PACKED_F32, "packed f32");
    if m == 0 || w.n == 0 {
        return;
    }
    assert!(lda >= w.k && a.len() >= (m - 1) * lda + w.k, "activation buffer too small");
    assert!(ldo >= w.n, "output stride below the width");
    assert!(ep.bias.is_none_or(|b| b.len() >= w.n), "bias too short");
    assert!(w.data.len() >= w.n.div_ceil(PANEL) * w.k * PANEL, "packed weights truncated");
    let out = SendPtr(out);
    for_blocks(m, w.n, w.k, PANEL, w.data.len() * 4, parallel, |r0, rows, p0, panels| {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the Avx512 tier was required above, and a `Cpu` never exceeds the hardware; the
        // asserts keep every row r < m and column c < n inside `a` and (by the caller's contract)
        // `out`; blocks are disjoint, so each output element has one writer.
        unsafe {
            super::x86::avx512_f32::block(
                a.as_ptr().add(r0 * lda),
                rows,
                lda,
                w,
                p0,
                panels,
                out.get().add(r0 * ldo),
                ldo,
                ep,
            )
        }
        #[cfg(target_arch = "aarch64")]
        // SAFETY: as above (NEON tier required, pointers in bounds, disjoint blocks).
        unsafe {
            super::aarch64::neon_f32::block(
                a.as_ptr().add(r0 * lda),
                rows,
                lda,
                w,
                p0,
                panels,
                out.get().add(r0 * ldo),
                ldo,
                ep,
            )
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        unreachable!("no packed f32 kernel on this architecture ({r0}, {rows}, {p0}, {panels})");
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::testing::{affordable, data};

    /// Shapes covering every tile height (12, 4, 1), column tails, several blocks and `k` not a
    /// multiple of 4.
    pub(crate) const SHAPES: [(usize, usize, usize); 8] =
        [(1, 3, 1), (5, 9, 33), (13, 3, 17), (13, 64, 32), (30, 31, 70), (97, 130, 200), (577, 192, 96), (2, 5, 16)];

    #[test]
    fn kernel_matches_the_definition() {
        let cpu = Cpu::detect();
        if !cpu.has(PACKED_F32) {
            eprintln!("SKIPPED: no AVX-512 here, the packed f32 kernel is not exercised (CI's x86 machine has it)");
            return;
        }
        for &(m, k, n) in SHAPES.iter().filter(|&&(m, k, n)| affordable(m * k * n)) {
            let (lda, ldo) = (k + 3, n + 5);
            let x = data(m * lda, 0.3);
            let w = data(k * n, 1.1);
            let bias = data(n, 2.0);
            let p = PackedF32::pack(&w, k, n);
            assert_eq!(p.at(k - 1, n - 1), w[k * n - 1]);
            for (accumulate, with_bias) in [(false, false), (true, true), (false, true)] {
                let mut out = vec![0.5f32; m * ldo];
                let ep = Epilogue { bias: with_bias.then_some(&bias[..n]), accumulate };
                matmul(cpu, &x, m, lda, &p, &mut out, ldo, ep, true);
                for i in 0..m {
                    for j in 0..ldo {
                        let got = out[i * ldo + j];
                        if j >= n {
                            assert_eq!(got, 0.5, "({m},{k},{n}) wrote past the columns");
                            continue;
                        }
                        let dot: f64 = (0..k).map(|t| x[i * lda + t] as f64 * w[t * n + j] as f64).sum();
                        let want =
                            dot + if accumulate { 0.5 } else { 0.0 } + if with_bias { bias[j] as f64 } else { 0.0 };
                        assert!(
                            (got as f64 - want).abs() < 1e-4 * (1.0 + want.abs()),
                            "({m},{k},{n}) [{i},{j}] {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// The exact-size output of the last row (no slack after column n) is in bounds: the tail store
    /// must not touch past it (ASan checks this run).
    #[test]
    fn exact_size_buffers_hold() {
        let cpu = Cpu::detect();
        if !cpu.has(PACKED_F32) {
            eprintln!("SKIPPED: no AVX-512 here");
            return;
        }
        for n in [1, 15, 16, 17, 31, 33] {
            let (m, k) = (3, 5);
            let x = data(m * k, 0.1);
            let w = PackedF32::pack(&data(k * n, 0.2), k, n);
            let bias = data(n, 0.3);
            let mut out = vec![0f32; m * n];
            matmul(cpu, &x, m, k, &w, &mut out, n, Epilogue { bias: Some(&bias), accumulate: true }, false);
            assert!(out.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    #[should_panic(expected = "internal bug")]
    fn portable_cpu_refuses_the_kernel() {
        let w = PackedF32::pack(&[1.0; 4], 2, 2);
        let mut out = [0f32; 2];
        matmul(Cpu::portable(), &[1.0, 2.0], 1, 2, &w, &mut out, 2, Epilogue::default(), false);
    }

    #[test]
    #[should_panic(expected = "output buffer too small")]
    fn short_output_panics() {
        let cpu = Cpu::detect();
        if !cpu.has(PACKED_F32) {
            panic!("output buffer too small (skipped: no AVX-512)");
        }
        let w = PackedF32::pack(&[1.0; 6], 2, 3);
        let mut out = [0f32; 5];
        matmul(cpu, &[1.0; 4], 2, 2, &w, &mut out, 3, Epilogue::default(), false);
    }
}
