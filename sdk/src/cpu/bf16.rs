//! bf16 matrix products with f32 accumulation (the [`CpuTier::Avx512Bf16`] tier's `vdpbf16ps`).
//!
//! Weights are rounded to bf16 once at load and packed in 32-column panels of k-pairs — the layout
//! `vdpbf16ps` consumes (each 32-bit lane holds rows `2p` and `2p+1` of one column). Activations
//! are rounded to bf16 per call (round to nearest even); products accumulate in f32, so the only
//! error is the bf16 rounding of both operands (8 significant bits), which keeps the embedding's
//! cosine to the f32 path above 0.999 on the fixtures (see the tower tests).

use rayon::prelude::*;

use super::threads::SendPtr;
use super::{Cpu, CpuTier};

/// Columns per packed panel (two 16-lane registers).
pub(crate) const PANEL: usize = 32;
/// Rows per parallel task (four 12-row tiles; panels are reused from L1 across them).
const ROWS_PER_TASK: usize = 48;

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
#[derive(Clone, Default)]
pub(crate) struct PackedBf16 {
    pub(crate) k: usize,
    pub(crate) n: usize,
    pub(crate) data: Vec<u32>,
}

impl PackedBf16 {
    /// Packs the `[k, n]` matrix whose element `(r, c)` is `at(r, c)`.
    pub(crate) fn pack_with(k: usize, n: usize, at: impl Fn(usize, usize) -> f32) -> Self {
        let mut p = Self::default();
        p.repack(k, n, at);
        p
    }

    /// Like [`PackedBf16::pack_with`], reusing this buffer.
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

    /// The matrix back in f32 (`[k, n]` row-major), for tests.
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
pub(crate) fn pack_rows(cpu: Cpu, x: &[f32], m: usize, k: usize, out: &mut Vec<u32>) {
    assert!(x.len() >= m * k, "rows shorter than m·k");
    let kp = k.div_ceil(2);
    out.clear();
    out.resize(m * kp, 0);
    if k == 0 {
        return;
    }
    let x = &x[..m * k];
    let chunk = |x: &[f32], out: &mut [u32]| {
        #[cfg(target_arch = "x86_64")]
        if cpu.has(CpuTier::Avx2) {
            // SAFETY: a `Cpu` never claims a tier the hardware lacks.
            return unsafe { super::x86::avx2::pack_rows_bf16(x, k, out) };
        }
        let _ = cpu;
        pack_rows_impl(x, k, out)
    };
    const ROWS: usize = 32;
    if m * k >= (1 << 16) && rayon::current_num_threads() > 1 {
        x.par_chunks(ROWS * k).zip(out.par_chunks_mut(ROWS * kp)).for_each(|(s, d)| chunk(s, d));
    } else {
        chunk(x, out);
    }
}

/// [`pack_rows`] of whole rows in plain Rust.
#[inline(always)]
pub(crate) fn pack_rows_impl(x: &[f32], k: usize, out: &mut [u32]) {
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

/// `out[m, n] (+)= a · w` with `a` from [`pack_rows`] (`m` rows, `w.k` columns) and `out`
/// row-major with row stride `ldo`. Rows are split over the current rayon pool.
///
/// Panics on undersized buffers, and (an internal bug) when `cpu` is below the AVX512_BF16 tier.
pub(crate) fn matmul(cpu: Cpu, a: &[u32], m: usize, w: &PackedBf16, out: &mut [f32], ldo: usize, accumulate: bool) {
    cpu.require(CpuTier::Avx512Bf16, "bf16");
    if m == 0 || w.n == 0 {
        return;
    }
    assert!(ldo >= w.n && out.len() >= (m - 1) * ldo + w.n, "output buffer too small");
    // SAFETY: `out` is borrowed mutably for the call and holds every element written (checked).
    unsafe { matmul_raw(cpu, a, m, w, out.as_mut_ptr(), ldo, accumulate) }
}

/// [`matmul`] into a raw output (see [`super::packed_f32::matmul_raw`] for why).
///
/// # Safety
/// `out` must be valid for reads and writes of `out[r·ldo + c]` for `r < m`, `c < w.n`, and no
/// other thread may access those elements during the call. `ldo ≥ w.n`.
pub(crate) unsafe fn matmul_raw(
    cpu: Cpu,
    a: &[u32],
    m: usize,
    w: &PackedBf16,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    cpu.require(CpuTier::Avx512Bf16, "bf16");
    if m == 0 || w.n == 0 {
        return;
    }
    let kp = w.k.div_ceil(2);
    assert!(a.len() >= m * kp, "packed rows shorter than m·⌈k/2⌉");
    assert!(w.data.len() >= w.n.div_ceil(PANEL) * kp * PANEL, "packed weights truncated");
    assert!(ldo >= w.n, "output stride below the width");
    let tasks = m.div_ceil(ROWS_PER_TASK);
    let out = SendPtr(out);
    let run = |t: usize| {
        let r0 = t * ROWS_PER_TASK;
        let rows = ROWS_PER_TASK.min(m - r0);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the tier was required above (a `Cpu` never exceeds the hardware); `a` holds m·kp
        // lanes (asserted); each task writes rows r0..r0+rows of out only, which the caller
        // guarantees are valid and unshared.
        unsafe {
            super::x86::avx512_bf16::rows(
                a.as_ptr().add(r0 * kp),
                rows,
                kp,
                w,
                out.get().add(r0 * ldo),
                ldo,
                accumulate,
            )
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("no bf16 kernel on this architecture ({r0}, {rows}, {accumulate}, {:p})", out.get());
    };
    super::threads::for_each_task(tasks, || (), |_, t| run(t));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::testing::affordable;

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
        let p = PackedBf16::pack_with(k, n, |r, c| w[r * n + c]);
        let back = p.unpack();
        for (a, b) in w.iter().zip(&back) {
            assert_eq!(bf16_to_f32(bf16_bits(*a)), *b);
        }
    }

    /// The kernel against a scalar product of the same bf16-rounded operands, over shapes that
    /// exercise every tile size and column tail.
    #[test]
    fn kernel_matches_scalar_bf16_product() {
        let cpu = Cpu::detect();
        if !cpu.has(CpuTier::Avx512Bf16) {
            eprintln!("SKIPPED: no AVX512_BF16 here, the bf16 kernel is not exercised");
            return;
        }
        let shapes = [(1, 2, 1), (5, 9, 33), (13, 64, 32), (30, 31, 70), (577, 192, 96)];
        for (m, k, n) in shapes.into_iter().filter(|&(m, k, n)| affordable(m * k * n)) {
            let x: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.31).collect();
            let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
            let pw = PackedBf16::pack_with(k, n, |r, c| w[r * n + c]);
            let wq = pw.unpack();
            let mut a = Vec::new();
            pack_rows(cpu, &x, m, k, &mut a);
            let mut out = vec![0.5f32; m * n];
            matmul(cpu, &a, m, &pw, &mut out, n, true);
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

    #[test]
    fn row_packing_is_the_same_at_every_tier() {
        let (m, k) = (5, 9);
        let x: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.77).sin()).collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        pack_rows(Cpu::portable(), &x, m, k, &mut a);
        pack_rows(Cpu::detect(), &x, m, k, &mut b);
        assert_eq!(a, b);
    }
}
