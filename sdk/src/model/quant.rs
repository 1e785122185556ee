//! The reduced-precision path: bf16 matrix products with f32 accumulation (AVX512_BF16 `vdpbf16ps`).
//!
//! Weights are rounded to bf16 once at load and packed in 32-column panels of k-pairs — the layout
//! `vdpbf16ps` consumes (each 32-bit lane holds rows `2p` and `2p+1` of one column). Activations
//! are rounded to bf16 per call (round to nearest even); products accumulate in f32, so the only
//! error is the bf16 rounding of both operands (8 significant bits), which keeps the embedding's
//! cosine to the f32 path above 0.999 on the fixtures (see the tests).
//!
//! The kernel needs AVX-512F + AVX512_BF16 at run time; elsewhere [`bf16_supported`] is false and
//! the tower stays in f32.

use rayon::prelude::*;

/// Columns per packed panel (two 16-lane registers).
pub(crate) const PANEL: usize = 32;

/// `f32` → bf16 bits, round to nearest even (NaN stays NaN). Branch-free, so loops vectorise.
#[inline(always)]
pub(crate) fn bf16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let rounded = (b.wrapping_add(0x7FFF + ((b >> 16) & 1)) >> 16) as u16;
    let quiet = ((b >> 16) | 0x40) as u16;
    if x.is_nan() {
        quiet
    } else {
        rounded
    }
}

/// bf16 bits → `f32`.
#[cfg(test)]
pub(crate) fn bf16_to_f32(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// A `[k, n]` matrix in bf16, packed as `[⌈n/32⌉][⌈k/2⌉][32]` pairs (zero padded).
#[derive(Clone)]
pub(crate) struct PackedBf16 {
    pub(crate) k: usize,
    pub(crate) n: usize,
    data: Vec<u32>,
}

impl PackedBf16 {
    /// Packs a row-major `w[k, n]` (`w[r * n + c]`).
    pub(crate) fn pack(w: &[f32], k: usize, n: usize) -> Self {
        Self::pack_strided(k, n, |r, c| w[r * n + c])
    }

    /// Packs the `[k, n]` matrix whose element `(r, c)` is `at(r, c)`.
    pub(crate) fn pack_strided(k: usize, n: usize, at: impl Fn(usize, usize) -> f32) -> Self {
        let mut p = Self { k: 0, n: 0, data: Vec::new() };
        p.repack(k, n, at);
        p
    }

    /// Like [`PackedBf16::pack_strided`], reusing this buffer.
    pub(crate) fn repack(&mut self, k: usize, n: usize, at: impl Fn(usize, usize) -> f32) {
        let kp = k.div_ceil(2);
        let nb = n.div_ceil(PANEL);
        self.k = k;
        self.n = n;
        let data = &mut self.data;
        data.clear();
        data.resize(nb * kp * PANEL, 0);
        for b in 0..nb {
            for p in 0..kp {
                let dst = &mut data[(b * kp + p) * PANEL..][..PANEL];
                for (j, d) in dst.iter_mut().enumerate() {
                    let c = b * PANEL + j;
                    if c >= n {
                        continue;
                    }
                    let lo = bf16_bits(at(2 * p, c));
                    let hi = if 2 * p + 1 < k { bf16_bits(at(2 * p + 1, c)) } else { 0 };
                    *d = u32::from(lo) | (u32::from(hi) << 16);
                }
            }
        }
    }

    /// The matrix back in f32 (`[k, n]` row-major), for tests and the portable reference.
    #[cfg(test)]
    pub(crate) fn unpack(&self) -> Vec<f32> {
        let kp = self.k.div_ceil(2);
        let mut out = vec![0f32; self.k * self.n];
        for r in 0..self.k {
            for c in 0..self.n {
                let v = self.data[((c / PANEL) * kp + r / 2) * PANEL + c % PANEL];
                out[r * self.n + c] = bf16_to_f32(if r % 2 == 0 { v as u16 } else { (v >> 16) as u16 });
            }
        }
        out
    }
}

/// Rows `x[m, k]` as bf16 pairs `[m][⌈k/2⌉]` (the broadcast operand of `vdpbf16ps`), on all
/// threads of the current pool for large inputs.
pub(crate) fn pack_rows(x: &[f32], m: usize, k: usize, out: &mut Vec<u32>) {
    let kp = k.div_ceil(2);
    out.clear();
    out.resize(m * kp, 0);
    let x = &x[..m * k];
    const ROWS: usize = 32;
    if m * k >= (1 << 16) && rayon::current_num_threads() > 1 {
        x.par_chunks(ROWS * k).zip(out.par_chunks_mut(ROWS * kp)).for_each(|(s, d)| pack_rows_chunk(s, k, d));
    } else {
        pack_rows_chunk(x, k, out);
    }
}

fn pack_rows_chunk(x: &[f32], k: usize, out: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if super::kernels::has_avx2_fma() {
        // SAFETY: AVX2 and FMA are present (checked just above).
        return unsafe { pack_rows_avx2(x, k, out) };
    }
    pack_rows_impl(x, k, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_rows_avx2(x: &[f32], k: usize, out: &mut [u32]) {
    pack_rows_impl(x, k, out)
}

#[inline(always)]
fn pack_rows_impl(x: &[f32], k: usize, out: &mut [u32]) {
    let kp = k.div_ceil(2);
    for (src, dst) in x.chunks_exact(k).zip(out.chunks_exact_mut(kp)) {
        let mut pairs = src.chunks_exact(2);
        for (d, p) in dst.iter_mut().zip(&mut pairs) {
            *d = u32::from(bf16_bits(p[0])) | (u32::from(bf16_bits(p[1])) << 16);
        }
        if let [last] = pairs.remainder() {
            dst[kp - 1] = u32::from(bf16_bits(*last));
        }
    }
}

/// Whether this build and CPU can run the bf16 kernel.
pub fn bf16_supported() -> bool {
    imp::supported()
}

/// `out[m, n] (+)= a · w` with `a` from [`pack_rows`] (`m` rows, `w.k` columns) and `out`
/// row-major with row stride `ldo`. Rows are split over the current rayon pool.
/// Callers check [`bf16_supported`] first; without support this does nothing.
pub(crate) fn matmul_bf16(a: &[u32], m: usize, w: &PackedBf16, out: &mut [f32], ldo: usize, accumulate: bool) {
    debug_assert!(a.len() >= m * w.k.div_ceil(2));
    debug_assert!(m == 0 || out.len() >= (m - 1) * ldo + w.n);
    imp::matmul(a, m, w, out, ldo, accumulate);
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::arch::x86_64::*;

    use rayon::prelude::*;

    use super::{PackedBf16, PANEL};
    use crate::model::kernels::SendPtr;
    use crate::model::packed::imp::{masks, store_row};

    pub(super) fn supported() -> bool {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bf16")
    }

    /// Rows per register tile: 12 rows × 2 registers = 24 accumulators.
    const MR: usize = 12;
    /// Row tiles per task (panels are reused from L1 across them).
    const TILES_PER_TASK: usize = 4;

    pub(super) fn matmul(a: &[u32], m: usize, w: &PackedBf16, out: &mut [f32], ldo: usize, accumulate: bool) {
        if !supported() || m == 0 {
            return;
        }
        let kp = w.k.div_ceil(2);
        let rows_per_task = MR * TILES_PER_TASK;
        let tasks = m.div_ceil(rows_per_task);
        let out_ptr = SendPtr(out.as_mut_ptr());
        let run = |t: usize| {
            let r0 = t * rows_per_task;
            let rows = rows_per_task.min(m - r0);
            // SAFETY: supported() was checked; each task writes rows r0..r0+rows of out only, all
            // of which lie inside out (debug-asserted by the caller); a holds m·kp entries.
            unsafe { task(a.as_ptr().add(r0 * kp), rows, kp, w, out_ptr.get().add(r0 * ldo), ldo, accumulate) }
        };
        if tasks > 1 && rayon::current_num_threads() > 1 {
            (0..tasks).into_par_iter().for_each(run);
        } else {
            (0..tasks).for_each(run);
        }
    }

    #[target_feature(enable = "avx512f,avx512bf16")]
    unsafe fn task(a: *const u32, rows: usize, kp: usize, w: &PackedBf16, out: *mut f32, ldo: usize, acc: bool) {
        let nb = w.n.div_ceil(PANEL);
        for b in 0..nb {
            let panel = w.data.as_ptr().add(b * kp * PANEL);
            let c0 = b * PANEL;
            let cols = PANEL.min(w.n - c0);
            let mut r = 0;
            while r < rows {
                let left = rows - r;
                let (ar, o) = (a.add(r * kp), out.add(r * ldo + c0));
                let step = if left >= MR {
                    tile::<MR>(ar, kp, panel, o, ldo, cols, acc);
                    MR
                } else if left >= 4 {
                    tile::<4>(ar, kp, panel, o, ldo, cols, acc);
                    4
                } else {
                    tile::<1>(ar, kp, panel, o, ldo, cols, acc);
                    1
                };
                r += step;
            }
        }
    }

    /// One `R × 32` output tile over the whole k.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[inline]
    unsafe fn tile<const R: usize>(
        a: *const u32,
        kp: usize,
        panel: *const u32,
        out: *mut f32,
        ldo: usize,
        cols: usize,
        accumulate: bool,
    ) {
        let mut c0 = [_mm512_setzero_ps(); R];
        let mut c1 = [_mm512_setzero_ps(); R];
        for p in 0..kp {
            let b0: __m512bh = std::mem::transmute(_mm512_loadu_si512(panel.add(p * PANEL) as *const _));
            let b1: __m512bh = std::mem::transmute(_mm512_loadu_si512(panel.add(p * PANEL + 16) as *const _));
            for r in 0..R {
                let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(r * kp + p) as i32));
                c0[r] = _mm512_dpbf16_ps(c0[r], av, b0);
                c1[r] = _mm512_dpbf16_ps(c1[r], av, b1);
            }
        }
        let masks = masks(cols);
        for r in 0..R {
            store_row(out.add(r * ldo), masks, c0[r], c1[r], accumulate);
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::PackedBf16;

    pub(super) fn supported() -> bool {
        false
    }

    pub(super) fn matmul(_a: &[u32], _m: usize, _w: &PackedBf16, _out: &mut [f32], _ldo: usize, _acc: bool) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_rounding_is_nearest_even() {
        assert_eq!(bf16_to_f32(bf16_bits(1.0)), 1.0);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0).
        assert_eq!(bf16_to_f32(bf16_bits(1.0 + 1.0 / 256.0)), 1.0);
        assert_eq!(bf16_to_f32(bf16_bits(1.0 + 3.0 / 256.0)), 1.0 + 4.0 / 256.0);
        assert_eq!(bf16_to_f32(bf16_bits(-2.5)), -2.5);
        assert!(bf16_to_f32(bf16_bits(f32::NAN)).is_nan());
    }

    #[test]
    fn packing_round_trips_through_bf16() {
        let (k, n) = (7, 45);
        let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.37).sin()).collect();
        let p = PackedBf16::pack(&w, k, n);
        let back = p.unpack();
        for (a, b) in w.iter().zip(&back) {
            assert_eq!(bf16_to_f32(bf16_bits(*a)), *b);
        }
    }

    /// The kernel against a scalar product of the same bf16-rounded operands, over shapes that
    /// exercise every tile size and column tail.
    #[test]
    fn kernel_matches_scalar_bf16_product() {
        if !bf16_supported() {
            eprintln!("no AVX512_BF16 here: kernel not exercised");
            return;
        }
        for &(m, k, n) in &[(1, 2, 1), (5, 9, 33), (13, 64, 32), (30, 31, 70), (577, 192, 96)] {
            let x: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.31).collect();
            let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
            let pw = PackedBf16::pack(&w, k, n);
            let wq = pw.unpack();
            let mut a = Vec::new();
            pack_rows(&x, m, k, &mut a);
            let mut out = vec![0.5f32; m * n];
            matmul_bf16(&a, m, &pw, &mut out, n, true);
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = 0.5
                        + (0..k)
                            .map(|t| bf16_to_f32(bf16_bits(x[i * k + t])) as f64 * wq[t * n + j] as f64)
                            .sum::<f64>();
                    let got = out[i * n + j] as f64;
                    assert!((got - want).abs() < 1e-4 * (1.0 + want.abs()), "({m},{k},{n}) [{i},{j}]: {got} vs {want}");
                }
            }
        }
    }
}
