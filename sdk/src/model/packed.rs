//! AVX-512 matrix products on weights packed once at load: f32 (FMA) and int8 (VNNI).
//!
//! Why not `gemm` here: the image tower's products are small (577 × 192 · 192 × 576 at T16-384) and
//! run on the same weights every frame. `gemm` re-packs both operands on every call and splits the
//! work for large matrices; the profile showed the packing and its page faults as a fifth of the
//! product time. Here the weights are packed once, in 32-column panels (two 512-bit registers), and
//! the activations are read in place: each 12 × 32 output tile keeps 24 accumulators in registers
//! over the whole `k`, broadcasting one activation per row and step. Work is split over the current
//! rayon pool in (48-row, 128-column) blocks so two threads stay balanced on 577 rows.
//!
//! - f32: `vfmadd231ps`, exact up to summation order (the parity tests hold unchanged).
//! - int8: weights symmetric per output column (`w ≈ s_c · q`, `q ∈ [−127, 127]`), activations
//!   asymmetric per row (`x ≈ s_r · (u − z_r)`, `u ∈ [0, 255]`) quantised on every call,
//!   `vpdpbusd` sums four `u8 · i8` products into `i32` lanes (exact: |Σ| < 255 · 127 · k < 2³¹ for
//!   k < 66 000), and the epilogue restores `s_r · s_c · (Σ u·q − z_r · Σ_p q)`.
//!
//! Both kernels need AVX-512F (int8 also AVX512_VNNI and AVX512BW) at run time; callers check
//! [`f32_supported`] / [`int8_supported`] and otherwise keep the `gemm` path.

use rayon::prelude::*;

use super::kernels::SendPtr;

/// Columns per packed panel (two 16-lane registers).
pub(crate) const PANEL: usize = 32;
/// Rows per work block (four 12-row tiles).
const BLOCK_ROWS: usize = 48;
/// Panels per work block.
const BLOCK_PANELS: usize = 4;

/// What the kernels add to the product before storing: `out = [out +] a·w [+ bias]`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Epilogue<'a> {
    /// `[n]`, added to every row.
    pub(crate) bias: Option<&'a [f32]>,
    /// Add to what `out` holds instead of overwriting it.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernels only
    pub(crate) accumulate: bool,
}

/// Scale of a symmetric int8 quantisation for the largest magnitude `amax` (`q = round(x / s)`,
/// `|q| ≤ 127`); 1 for an all-zero or non-finite input.
#[inline(always)]
fn symmetric_scale(amax: f32) -> f32 {
    if amax > 0.0 && amax.is_finite() {
        amax / 127.0
    } else {
        1.0
    }
}

/// Whether this CPU runs the f32 kernel (AVX-512F).
pub(crate) fn f32_supported() -> bool {
    imp::f32_supported()
}

/// Whether this CPU runs the int8 kernel (AVX-512F, BW and VNNI).
pub(crate) fn int8_supported() -> bool {
    imp::int8_supported()
}

/// A `[k, n]` f32 matrix packed as `[⌈n/32⌉][k][32]` (columns past `n` padded).
#[derive(Clone, Default)]
pub(crate) struct PackedF32 {
    pub(crate) k: usize,
    pub(crate) n: usize,
    data: Vec<f32>,
}

impl PackedF32 {
    /// Packs a row-major `w[k, n]`.
    pub(crate) fn pack(w: &[f32], k: usize, n: usize) -> Self {
        let mut p = Self::default();
        p.resize(k, n);
        for (r, row) in w.chunks_exact(n).take(k).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                p.data[Self::offset(k, r, c)] = v;
            }
        }
        p
    }

    /// Sets the shape and sizes the buffer (contents unspecified; callers write every `(r, c)`).
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

/// A `[k, n]` matrix quantised to int8 per column, packed as `[⌈n/32⌉][⌈k/4⌉][32]` lanes of four
/// consecutive rows (the `vpdpbusd` layout), with per-column scales and sums of the quantised values.
#[derive(Clone, Default)]
pub(crate) struct PackedI8 {
    pub(crate) k: usize,
    pub(crate) n: usize,
    data: Vec<u32>,
    /// `[⌈n/32⌉·32]`, zero past `n`.
    scale: Vec<f32>,
    /// `[⌈n/32⌉·32]`, `Σ_r q[r, c]`.
    colsum: Vec<i32>,
}

impl PackedI8 {
    /// `kᵀ` of attention: the `[d, n]` matrix whose column `t` is row `t` of `keys[n, d]`,
    /// quantised per column (per key). Four consecutive rows of a column are one lane, so each
    /// key row becomes `⌈d/4⌉` whole lanes.
    pub(crate) fn from_key_rows(keys: &[f32], n: usize, d: usize) -> Self {
        #[cfg(target_arch = "x86_64")]
        if int8_supported() {
            // SAFETY: the features were detected just above.
            return unsafe { imp::from_key_rows(keys, n, d) };
        }
        Self::from_key_rows_impl(keys, n, d)
    }

    #[inline(always)]
    fn from_key_rows_impl(keys: &[f32], n: usize, d: usize) -> Self {
        let (nb, kq) = (n.div_ceil(PANEL), d.div_ceil(4));
        let mut p =
            Self { k: d, n, data: vec![0; nb * kq * PANEL], scale: vec![0.0; nb * PANEL], colsum: vec![0; nb * PANEL] };
        for (t, row) in keys.chunks_exact(d).take(n).enumerate() {
            let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let s = symmetric_scale(amax);
            let inv = 1.0 / s;
            let mut q = [0i8; 4];
            let mut sum = 0i32;
            for (lane, quad) in row.chunks(4).enumerate() {
                q.fill(0);
                for (dst, &v) in q.iter_mut().zip(quad) {
                    *dst = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i8;
                    sum += i32::from(*dst);
                }
                p.data[((t / PANEL) * kq + lane) * PANEL + t % PANEL] = u32::from_le_bytes(q.map(|b| b as u8));
            }
            (p.scale[t], p.colsum[t]) = (s, sum);
        }
        p
    }

    /// `v` of attention: `values[n, d]` as the `[n, d]` weight matrix, quantised per column
    /// (per channel).
    pub(crate) fn from_value_rows(values: &[f32], n: usize, d: usize) -> Self {
        #[cfg(target_arch = "x86_64")]
        if int8_supported() {
            // SAFETY: the features were detected just above.
            return unsafe { imp::from_value_rows(values, n, d) };
        }
        Self::from_value_rows_impl(values, n, d)
    }

    #[inline(always)]
    fn from_value_rows_impl(values: &[f32], n: usize, d: usize) -> Self {
        let (nb, kq) = (d.div_ceil(PANEL), n.div_ceil(4));
        let mut p = Self {
            k: n,
            n: d,
            data: vec![0; nb * kq * PANEL],
            scale: vec![0.0; nb * PANEL],
            colsum: vec![0; nb * PANEL],
        };
        let values = &values[..n * d];
        let mut amax = vec![0f32; d];
        for row in values.chunks_exact(d) {
            for (m, v) in amax.iter_mut().zip(row) {
                *m = m.max(v.abs());
            }
        }
        let inv: Vec<f32> = amax
            .iter()
            .zip(&mut p.scale)
            .map(|(&a, s)| {
                *s = symmetric_scale(a);
                1.0 / *s
            })
            .collect();
        let mut q = vec![0u32; d];
        for (tq, rows) in values.chunks(4 * d).enumerate() {
            q.fill(0);
            for (j, row) in rows.chunks_exact(d).enumerate() {
                for (c, (&v, &iv)) in row.iter().zip(&inv).enumerate() {
                    let b = (v * iv).round_ties_even().clamp(-127.0, 127.0) as i32;
                    p.colsum[c] += b;
                    q[c] |= u32::from(b as i8 as u8) << (8 * j);
                }
            }
            for (c, &lane) in q.iter().enumerate() {
                p.data[((c / PANEL) * kq + tq) * PANEL + c % PANEL] = lane;
            }
        }
        p
    }

    /// Quantises the `[k, n]` matrix whose element `(r, c)` is `at(r, c)`.
    #[inline(always)]
    pub(crate) fn quantize(k: usize, n: usize, at: impl Fn(usize, usize) -> f32) -> Self {
        let nb = n.div_ceil(PANEL);
        let kq = k.div_ceil(4);
        let mut scale = vec![0f32; nb * PANEL];
        let mut colsum = vec![0i32; nb * PANEL];
        let mut bytes = vec![0i8; nb * PANEL * kq * 4];
        for c in 0..n {
            let amax = (0..k).map(|r| at(r, c).abs()).fold(0f32, f32::max);
            let s = symmetric_scale(amax);
            scale[c] = s;
            let inv = 1.0 / s;
            let (b, j) = (c / PANEL, c % PANEL);
            for r in 0..k {
                let q = (at(r, c) * inv).round_ties_even().clamp(-127.0, 127.0) as i8;
                colsum[c] += i32::from(q);
                bytes[((b * kq + r / 4) * PANEL + j) * 4 + r % 4] = q;
            }
        }
        let data = bytes
            .chunks_exact(4)
            .map(|q| u32::from_le_bytes([q[0] as u8, q[1] as u8, q[2] as u8, q[3] as u8]))
            .collect();
        Self { k, n, data, scale, colsum }
    }

    /// The dequantised matrix (`[k, n]` row-major), for tests.
    #[cfg(test)]
    pub(crate) fn dequantize(&self) -> Vec<f32> {
        let kq = self.k.div_ceil(4);
        let mut out = vec![0f32; self.k * self.n];
        for r in 0..self.k {
            for c in 0..self.n {
                let lane = self.data[((c / PANEL) * kq + r / 4) * PANEL + c % PANEL];
                let q = lane.to_le_bytes()[r % 4] as i8;
                out[r * self.n + c] = f32::from(q) * self.scale[c];
            }
        }
        out
    }
}

/// Activations quantised per row to `u8` with a zero point, packed `[m][⌈k/4⌉]` (four per lane).
#[derive(Default)]
pub(crate) struct QuantRows {
    m: usize,
    kq: usize,
    data: Vec<u32>,
    scale: Vec<f32>,
    zero: Vec<i32>,
}

impl QuantRows {
    /// Quantises the rows of `x[m, k]` (row stride `k`), on the current pool for large inputs.
    pub(crate) fn quantize(&mut self, x: &[f32], m: usize, k: usize) {
        let kq = k.div_ceil(4);
        self.m = m;
        self.kq = kq;
        self.data.clear();
        self.data.resize(m * kq, 0);
        self.scale.resize(m, 0.0);
        self.zero.resize(m, 0);
        let x = &x[..m * k];
        const ROWS: usize = 16;
        #[allow(clippy::type_complexity)] // rayon's zipped chunk tuple, destructured in place
        let work = |((xs, d), (s, z)): ((&[f32], &mut [u32]), (&mut [f32], &mut [i32]))| {
            for (((row, dst), s), z) in xs.chunks_exact(k).zip(d.chunks_exact_mut(kq)).zip(s).zip(z) {
                (*s, *z) = quantize_row(row, dst);
            }
        };
        if m * k >= (1 << 15) && rayon::current_num_threads() > 1 {
            x.par_chunks(ROWS * k)
                .zip(self.data.par_chunks_mut(ROWS * kq))
                .zip(self.scale.par_chunks_mut(ROWS).zip(self.zero.par_chunks_mut(ROWS)))
                .for_each(work);
        } else {
            work(((x, &mut self.data[..]), (&mut self.scale[..], &mut self.zero[..])));
        }
    }
}

impl QuantRows {
    /// Fills `m` rows of width `k` by `f(row, bytes)`, which writes the row's `u8` values to
    /// `bytes` (`⌈k/4⌉·4` long, zeroed; bytes past `k` must stay 0) and returns its
    /// `(scale, zero point)`.
    pub(crate) fn fill(&mut self, m: usize, k: usize, mut f: impl FnMut(usize, &mut [u8]) -> (f32, i32)) {
        let kq = k.div_ceil(4);
        self.m = m;
        self.kq = kq;
        self.data.clear();
        self.data.resize(m * kq, 0);
        self.scale.resize(m, 0.0);
        self.zero.resize(m, 0);
        for (r, lanes) in self.data.chunks_exact_mut(kq).enumerate() {
            // SAFETY: a u32 slice viewed as its bytes (alignment 1, every bit pattern valid). The
            // kernels read lanes as little-endian bytes, which is this view on x86-64, the only
            // target of the int8 kernel.
            let bytes = unsafe { std::slice::from_raw_parts_mut(lanes.as_mut_ptr() as *mut u8, kq * 4) };
            (self.scale[r], self.zero[r]) = f(r, bytes);
        }
    }
}

/// One row to `u8` lanes; returns `(scale, zero point)`. Non-finite values give a zero row.
fn quantize_row(row: &[f32], dst: &mut [u32]) -> (f32, i32) {
    #[cfg(target_arch = "x86_64")]
    if int8_supported() && dst.len() == row.len().div_ceil(4) {
        // SAFETY: the CPU has AVX-512F/BW/VL (checked); dst holds ⌈len/4⌉ lanes (checked).
        return unsafe { imp::quantize_row(row, dst) };
    }
    quantize_row_portable(row, dst)
}

/// [`quantize_row`] in plain Rust (any length; the reference for the AVX-512 version).
fn quantize_row_portable(row: &[f32], dst: &mut [u32]) -> (f32, i32) {
    let (mut lo, mut hi, mut sum) = (0f32, 0f32, 0f32);
    for &v in row {
        lo = lo.min(v);
        hi = hi.max(v);
        sum += v * 0.0; // NaN or ±∞ anywhere makes this NaN (min/max skip NaN).
    }
    if !(lo.is_finite() && hi.is_finite() && sum == 0.0) || hi == lo {
        dst.fill(0);
        return (1.0, 0);
    }
    let s = (hi - lo) / 255.0;
    let inv = 1.0 / s;
    let z = (-lo * inv).round_ties_even().clamp(0.0, 255.0);
    let q = |v: f32| (v * inv + z).round_ties_even().clamp(0.0, 255.0) as u8;
    let mut quads = row.chunks_exact(4);
    for (d, c) in dst.iter_mut().zip(&mut quads) {
        *d = u32::from_le_bytes([q(c[0]), q(c[1]), q(c[2]), q(c[3])]);
    }
    let rest = quads.remainder();
    if !rest.is_empty() {
        // The padding lanes hold zero bytes, which meet zero weights: they add nothing.
        let mut b = [0u8; 4];
        for (i, &v) in rest.iter().enumerate() {
            b[i] = q(v);
        }
        dst[dst.len() - 1] = u32::from_le_bytes(b);
    }
    (s, z as i32)
}

/// Runs `task(row0, rows, panel0, panels)` over (48-row, 4-panel) blocks of an `m × n` product,
/// in parallel when asked and worth it.
fn for_blocks(m: usize, n: usize, k: usize, parallel: bool, task: impl Fn(usize, usize, usize, usize) + Sync) {
    let nb = n.div_ceil(PANEL);
    let (rb, cb) = (m.div_ceil(BLOCK_ROWS), nb.div_ceil(BLOCK_PANELS));
    let run = |t: usize| {
        let (i, j) = (t / cb, t % cb);
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

/// `out[r·ldo + c] = [out +] Σ_p a[r·lda + p] · w(p, c) [+ bias[c]]` for `r < m`, `c < w.n`.
/// Does nothing unless [`f32_supported`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul_f32(
    a: &[f32],
    m: usize,
    lda: usize,
    w: &PackedF32,
    out: &mut [f32],
    ldo: usize,
    ep: Epilogue<'_>,
    parallel: bool,
) {
    if m == 0 || w.n == 0 || !f32_supported() {
        return;
    }
    assert!(lda >= w.k && a.len() >= (m - 1) * lda + w.k, "activation buffer too small");
    assert!(ldo >= w.n && out.len() >= (m - 1) * ldo + w.n, "output buffer too small");
    assert!(ep.bias.is_none_or(|b| b.len() >= w.n), "bias too short");
    let out_ptr = SendPtr(out.as_mut_ptr());
    for_blocks(m, w.n, w.k, parallel, |r0, rows, p0, panels| {
        // SAFETY: f32_supported() was checked; the asserts above keep every row r < m and column
        // c < n inside `a` and `out`; blocks are disjoint, so each output element has one writer.
        unsafe {
            imp::block_f32(a.as_ptr().add(r0 * lda), rows, lda, w, p0, panels, out_ptr.get().add(r0 * ldo), ldo, ep)
        }
    });
}

/// The int8 product of quantised rows `a` (from [`QuantRows::quantize`]) and `w`, dequantised:
/// `out[r·ldo + c] = [out +] s_r·s_c·(Σ u·q − z_r·Σ q) [+ bias[c]]`. Does nothing unless
/// [`int8_supported`].
pub(crate) fn matmul_i8(a: &QuantRows, w: &PackedI8, out: &mut [f32], ldo: usize, ep: Epilogue<'_>, parallel: bool) {
    let m = a.m;
    if m == 0 || w.n == 0 || !int8_supported() {
        return;
    }
    assert_eq!(a.kq, w.k.div_ceil(4), "activation width does not match the weights");
    assert!(ldo >= w.n && out.len() >= (m - 1) * ldo + w.n, "output buffer too small");
    assert!(ep.bias.is_none_or(|b| b.len() >= w.n), "bias too short");
    let out_ptr = SendPtr(out.as_mut_ptr());
    for_blocks(m, w.n, 4 * a.kq, parallel, |r0, rows, p0, panels| {
        // SAFETY: int8_supported() was checked; `a` holds m·kq lanes and m scales/zero points,
        // the asserts keep every output row r < m, column c < n inside `out`; blocks are disjoint.
        unsafe { imp::block_i8(a, r0, rows, w, p0, panels, out_ptr.get().add(r0 * ldo), ldo, ep) }
    });
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod imp {
    use std::arch::x86_64::*;

    use super::{symmetric_scale, Epilogue, PackedF32, PackedI8, QuantRows, PANEL};

    pub(super) fn f32_supported() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
    }

    pub(super) fn int8_supported() -> bool {
        f32_supported()
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }

    /// Rows per register tile: 12 rows × 2 registers = 24 accumulators.
    const MR: usize = 12;

    /// `1/s` and `s` of [`symmetric_scale`].
    fn scales(amax: f32) -> (f32, f32) {
        let s = symmetric_scale(amax);
        (1.0 / s, s)
    }

    /// [`PackedI8::from_key_rows`], 16 values per step when `d` is a multiple of 16.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
    pub(super) unsafe fn from_key_rows(keys: &[f32], n: usize, d: usize) -> PackedI8 {
        if !d.is_multiple_of(16) || keys.len() < n * d {
            return PackedI8::from_key_rows_impl(keys, n, d);
        }
        let (nb, kq) = (n.div_ceil(PANEL), d / 4);
        let mut p = PackedI8 {
            k: d,
            n,
            data: vec![0; nb * kq * PANEL],
            scale: vec![0.0; nb * PANEL],
            colsum: vec![0; nb * PANEL],
        };
        let abs = _mm512_set1_epi32(0x7FFF_FFFF);
        let (lo, hi) = (_mm512_set1_epi32(-127), _mm512_set1_epi32(127));
        for t in 0..n {
            let row = keys.as_ptr().add(t * d);
            let mut m = _mm512_setzero_ps();
            for i in 0..d / 16 {
                let v =
                    _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(row.add(i * 16))), abs));
                m = _mm512_max_ps(m, v);
            }
            let (inv, s) = scales(_mm512_reduce_max_ps(m));
            let vinv = _mm512_set1_ps(inv);
            let mut sum = _mm512_setzero_si512();
            let base = p.data.as_mut_ptr().add((t / PANEL) * kq * PANEL + t % PANEL);
            for i in 0..d / 16 {
                let q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(row.add(i * 16)), vinv));
                let q = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
                sum = _mm512_add_epi32(sum, q);
                // 16 values = lanes 4i .. 4i+3 of this key's column.
                let lanes: [u32; 4] = std::mem::transmute(_mm512_cvtepi32_epi8(q));
                for (j, lane) in lanes.into_iter().enumerate() {
                    *base.add((4 * i + j) * PANEL) = lane;
                }
            }
            (p.scale[t], p.colsum[t]) = (s, _mm512_reduce_add_epi32(sum));
        }
        p
    }

    /// [`PackedI8::from_value_rows`], 16 channels × 4 tokens per step when `d` is a multiple of 16.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
    pub(super) unsafe fn from_value_rows(values: &[f32], n: usize, d: usize) -> PackedI8 {
        if !d.is_multiple_of(16) || values.len() < n * d {
            return PackedI8::from_value_rows_impl(values, n, d);
        }
        let (nb, kq) = (d.div_ceil(PANEL), n.div_ceil(4));
        let mut p = PackedI8 {
            k: n,
            n: d,
            data: vec![0; nb * kq * PANEL],
            scale: vec![0.0; nb * PANEL],
            colsum: vec![0; nb * PANEL],
        };
        let groups = d / 16;
        let abs = _mm512_set1_epi32(0x7FFF_FFFF);
        let mut inv = vec![_mm512_setzero_ps(); groups];
        for (g, inv) in inv.iter_mut().enumerate() {
            let mut m = _mm512_setzero_ps();
            for t in 0..n {
                let v = _mm512_loadu_ps(values.as_ptr().add(t * d + g * 16));
                m = _mm512_max_ps(m, _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), abs)));
            }
            let amax: [f32; 16] = std::mem::transmute(m);
            let mut iv = [0f32; 16];
            for c in 0..16 {
                let (i, s) = scales(amax[c]);
                (iv[c], p.scale[g * 16 + c]) = (i, s);
            }
            *inv = _mm512_loadu_ps(iv.as_ptr());
        }
        let (lo, hi) = (_mm512_set1_epi32(-127), _mm512_set1_epi32(127));
        let mut sums = vec![_mm512_setzero_si512(); groups];
        for tq in 0..kq {
            for g in 0..groups {
                // Four tokens' bytes for channels g·16 .. g·16+16 (missing tokens past n are 0).
                let mut b = [_mm_setzero_si128(); 4];
                for (j, b) in b.iter_mut().enumerate() {
                    let t = 4 * tq + j;
                    if t < n {
                        let v = _mm512_mul_ps(_mm512_loadu_ps(values.as_ptr().add(t * d + g * 16)), inv[g]);
                        let q = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(v), lo), hi);
                        sums[g] = _mm512_add_epi32(sums[g], q);
                        *b = _mm512_cvtepi32_epi8(q);
                    }
                }
                // Interleave to lanes [t0, t1, t2, t3] per channel.
                let (l01, h01) = (_mm_unpacklo_epi8(b[0], b[1]), _mm_unpackhi_epi8(b[0], b[1]));
                let (l23, h23) = (_mm_unpacklo_epi8(b[2], b[3]), _mm_unpackhi_epi8(b[2], b[3]));
                let c0 = g * 16;
                let dst = p.data.as_mut_ptr().add(((c0 / PANEL) * kq + tq) * PANEL + c0 % PANEL) as *mut __m128i;
                _mm_storeu_si128(dst, _mm_unpacklo_epi16(l01, l23));
                _mm_storeu_si128(dst.add(1), _mm_unpackhi_epi16(l01, l23));
                _mm_storeu_si128(dst.add(2), _mm_unpacklo_epi16(h01, h23));
                _mm_storeu_si128(dst.add(3), _mm_unpackhi_epi16(h01, h23));
            }
        }
        for (g, sum) in sums.iter().enumerate() {
            _mm512_storeu_si512(p.colsum.as_mut_ptr().add(g * 16) as *mut _, *sum);
        }
        p
    }

    /// [`super::quantize_row`], 16 values per step (the last step masked). Rounding is to
    /// nearest even (the default MXCSR mode), like the portable version.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub(super) unsafe fn quantize_row(row: &[f32], dst: &mut [u32]) -> (f32, i32) {
        debug_assert!(dst.len() == row.len().div_ceil(4));
        let len = row.len();
        let steps = len.div_ceil(16);
        let mask = |i: usize| -> __mmask16 {
            let left = len - i * 16;
            if left >= 16 {
                0xFFFF
            } else {
                ((1u32 << left) - 1) as u16
            }
        };
        let zero = _mm512_setzero_ps();
        let (mut lo, mut hi, mut poison) = (zero, zero, zero);
        for i in 0..steps {
            // Masked-off lanes load as 0, which changes neither bound (both start at 0).
            let v = _mm512_maskz_loadu_ps(mask(i), row.as_ptr().add(i * 16));
            lo = _mm512_min_ps(lo, v);
            hi = _mm512_max_ps(hi, v);
            poison = _mm512_add_ps(poison, _mm512_mul_ps(v, zero));
        }
        let (lo, hi, poison) = (_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), _mm512_reduce_add_ps(poison));
        if !(lo.is_finite() && hi.is_finite() && poison == 0.0) || hi == lo {
            dst.fill(0);
            return (1.0, 0);
        }
        let s = (hi - lo) / 255.0;
        let inv = 1.0 / s;
        let z = (-lo * inv).round_ties_even().clamp(0.0, 255.0);
        let (vinv, vz) = (_mm512_set1_ps(inv), _mm512_set1_ps(z));
        let (q_lo, q_hi) = (_mm512_setzero_si512(), _mm512_set1_epi32(255));
        // Padding bytes of the last lane must be 0 (they meet zero weights).
        if let Some(last) = dst.last_mut() {
            *last = 0;
        }
        let out = dst.as_mut_ptr() as *mut i8;
        for i in 0..steps {
            let m = mask(i);
            let v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, row.as_ptr().add(i * 16)), vinv, vz);
            let q = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(v), q_lo), q_hi);
            _mm_mask_storeu_epi8(out.add(i * 16), m, _mm512_cvtepi32_epi8(q));
        }
        (s, z as i32)
    }

    /// Stores one 32-wide output row `o[..cols]` (masks from [`masks`]), adding what it holds
    /// when `accumulate`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) unsafe fn store_row(
        o: *mut f32,
        (m0, m1): (__mmask16, __mmask16),
        v0: __m512,
        v1: __m512,
        accumulate: bool,
    ) {
        let (mut v0, mut v1) = (v0, v1);
        if accumulate {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, o));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, o.add(16)));
        }
        _mm512_mask_storeu_ps(o, m0, v0);
        _mm512_mask_storeu_ps(o.add(16), m1, v1);
    }

    /// Lane masks of the two registers of a 32-column panel with `cols` valid columns.
    pub(crate) fn masks(cols: usize) -> (__mmask16, __mmask16) {
        let m0 = if cols >= 16 { 0xFFFF } else { ((1u32 << cols) - 1) as u16 };
        let m1 = if cols >= 32 {
            0xFFFF
        } else if cols <= 16 {
            0
        } else {
            ((1u32 << (cols - 16)) - 1) as u16
        };
        (m0, m1)
    }

    /// Calls `tile::<R>(row, R)` over `rows` with R = 12, then 4, then 1.
    macro_rules! by_tiles {
        ($rows:expr, |$r:ident, $R:ident| $body:expr) => {{
            let mut $r = 0;
            while $r < $rows {
                let left = $rows - $r;
                if left >= MR {
                    const $R: usize = MR;
                    $body;
                    $r += MR;
                } else if left >= 4 {
                    const $R: usize = 4;
                    $body;
                    $r += 4;
                } else {
                    const $R: usize = 1;
                    $body;
                    $r += 1;
                }
            }
        }};
    }

    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn block_f32(
        a: *const f32,
        rows: usize,
        lda: usize,
        w: &PackedF32,
        p0: usize,
        panels: usize,
        out: *mut f32,
        ldo: usize,
        ep: Epilogue<'_>,
    ) {
        let k = w.k;
        for b in p0..p0 + panels {
            let panel = w.data.as_ptr().add(b * k * PANEL);
            let c0 = b * PANEL;
            let cols = PANEL.min(w.n - c0);
            let bias = ep.bias.map(|v| v.as_ptr().add(c0));
            by_tiles!(rows, |r, R| tile_f32::<R>(
                a.add(r * lda),
                lda,
                k,
                panel,
                out.add(r * ldo + c0),
                ldo,
                cols,
                bias,
                ep.accumulate
            ));
        }
    }

    /// One `R × 32` output tile over the whole `k`, activations read in place (row stride `lda`).
    /// (Copying the activations to a `[k/16][R][16]` layout first, so every broadcast has a constant
    /// offset, measured no faster here.)
    #[target_feature(enable = "avx512f")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile_f32<const R: usize>(
        a: *const f32,
        lda: usize,
        k: usize,
        panel: *const f32,
        out: *mut f32,
        ldo: usize,
        cols: usize,
        bias: Option<*const f32>,
        accumulate: bool,
    ) {
        let mut c0 = [_mm512_setzero_ps(); R];
        let mut c1 = [_mm512_setzero_ps(); R];
        for p in 0..k {
            let b0 = _mm512_loadu_ps(panel.add(p * PANEL));
            let b1 = _mm512_loadu_ps(panel.add(p * PANEL + 16));
            for r in 0..R {
                let av = _mm512_set1_ps(*a.add(r * lda + p));
                c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
                c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
            }
        }
        let (m0, m1) = masks(cols);
        let (bias0, bias1) = match bias {
            Some(b) => (_mm512_maskz_loadu_ps(m0, b), _mm512_maskz_loadu_ps(m1, b.add(16))),
            None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
        };
        for r in 0..R {
            let (v0, v1) = (_mm512_add_ps(c0[r], bias0), _mm512_add_ps(c1[r], bias1));
            store_row(out.add(r * ldo), (m0, m1), v0, v1, accumulate);
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn block_i8(
        a: &QuantRows,
        r0: usize,
        rows: usize,
        w: &PackedI8,
        p0: usize,
        panels: usize,
        out: *mut f32,
        ldo: usize,
        ep: Epilogue<'_>,
    ) {
        let kq = a.kq;
        for b in p0..p0 + panels {
            let panel = w.data.as_ptr().add(b * kq * PANEL);
            let c0 = b * PANEL;
            let cols = PANEL.min(w.n - c0);
            let bias = ep.bias.map(|v| v.as_ptr().add(c0));
            let (ws, wsum) = (w.scale.as_ptr().add(c0), w.colsum.as_ptr().add(c0));
            by_tiles!(rows, |r, R| {
                let row = r0 + r;
                tile_i8::<R>(
                    a.data.as_ptr().add(row * kq),
                    kq,
                    panel,
                    (a.scale.as_ptr().add(row), a.zero.as_ptr().add(row)),
                    (ws, wsum),
                    out.add(r * ldo + c0),
                    ldo,
                    cols,
                    bias,
                    ep.accumulate,
                )
            });
        }
    }

    /// One `R × 32` int8 output tile over all `kq` lanes (activation row stride `kq`), dequantised.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile_i8<const R: usize>(
        a: *const u32,
        kq: usize,
        panel: *const u32,
        (row_scale, row_zero): (*const f32, *const i32),
        (col_scale, col_sum): (*const f32, *const i32),
        out: *mut f32,
        ldo: usize,
        cols: usize,
        bias: Option<*const f32>,
        accumulate: bool,
    ) {
        let mut c0 = [_mm512_setzero_si512(); R];
        let mut c1 = [_mm512_setzero_si512(); R];
        for p in 0..kq {
            let b0 = _mm512_loadu_si512(panel.add(p * PANEL) as *const _);
            let b1 = _mm512_loadu_si512(panel.add(p * PANEL + 16) as *const _);
            for r in 0..R {
                let av = _mm512_set1_epi32(*a.add(r * kq + p) as i32);
                c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
                c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
            }
        }
        let (m0, m1) = masks(cols);
        // Scales and sums are stored for whole panels (zero past n): plain loads are in bounds.
        let (s0, s1) = (_mm512_loadu_ps(col_scale), _mm512_loadu_ps(col_scale.add(16)));
        let (q0, q1) = (_mm512_loadu_si512(col_sum as *const _), _mm512_loadu_si512(col_sum.add(16) as *const _));
        let (bias0, bias1) = match bias {
            Some(b) => (_mm512_maskz_loadu_ps(m0, b), _mm512_maskz_loadu_ps(m1, b.add(16))),
            None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
        };
        for r in 0..R {
            let z = _mm512_set1_epi32(*row_zero.add(r));
            let s = _mm512_set1_ps(*row_scale.add(r));
            let i0 = _mm512_sub_epi32(c0[r], _mm512_mullo_epi32(z, q0));
            let i1 = _mm512_sub_epi32(c1[r], _mm512_mullo_epi32(z, q1));
            let v0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i0), _mm512_mul_ps(s, s0), bias0);
            let v1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i1), _mm512_mul_ps(s, s1), bias1);
            store_row(out.add(r * ldo), (m0, m1), v0, v1, accumulate);
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::{Epilogue, PackedF32, PackedI8, QuantRows};

    pub(super) fn f32_supported() -> bool {
        false
    }

    pub(super) fn int8_supported() -> bool {
        false
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn block_f32(
        _a: *const f32,
        _rows: usize,
        _lda: usize,
        _w: &PackedF32,
        _p0: usize,
        _panels: usize,
        _out: *mut f32,
        _ldo: usize,
        _ep: Epilogue<'_>,
    ) {
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn block_i8(
        _a: &QuantRows,
        _r0: usize,
        _rows: usize,
        _w: &PackedI8,
        _p0: usize,
        _panels: usize,
        _out: *mut f32,
        _ldo: usize,
        _ep: Epilogue<'_>,
    ) {
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize, seed: f32) -> Vec<f32> {
        (0..len).map(|i| (i as f32 * 0.37 + seed).sin() * 3.0 + (i % 7) as f32 * 0.1).collect()
    }

    /// Shapes covering every tile height (12, 4, 1), column tails, several blocks and `k` not a
    /// multiple of 4.
    const SHAPES: [(usize, usize, usize); 6] =
        [(1, 3, 1), (5, 9, 33), (13, 64, 32), (30, 31, 70), (97, 130, 200), (577, 192, 96)];

    #[test]
    fn f32_kernel_matches_the_definition() {
        if !f32_supported() {
            eprintln!("no AVX-512 here: kernel not exercised");
            return;
        }
        for &(m, k, n) in &SHAPES {
            let (lda, ldo) = (k + 3, n + 5);
            let x = data(m * lda, 0.3);
            let w = data(k * n, 1.1);
            let bias = data(n, 2.0);
            let p = PackedF32::pack(&w, k, n);
            assert_eq!(p.at(k - 1, n - 1), w[k * n - 1]);
            for (accumulate, with_bias) in [(false, false), (true, true), (false, true)] {
                let mut out = vec![0.5f32; m * ldo];
                let ep = Epilogue { bias: with_bias.then_some(&bias[..]), accumulate };
                matmul_f32(&x, m, lda, &p, &mut out, ldo, ep, true);
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

    #[test]
    fn weights_quantise_per_column_within_half_a_step() {
        let (k, n) = (37, 45);
        let w = data(k * n, 0.7);
        let p = PackedI8::quantize(k, n, |r, c| w[r * n + c]);
        let back = p.dequantize();
        for c in 0..n {
            let amax = (0..k).map(|r| w[r * n + c].abs()).fold(0f32, f32::max);
            let sum: i32 = (0..k).map(|r| (back[r * n + c] / p.scale[c]).round() as i32).sum();
            assert_eq!(sum, p.colsum[c]);
            for r in 0..k {
                assert!((back[r * n + c] - w[r * n + c]).abs() <= amax / 127.0 * 0.5 + 1e-6);
            }
        }
        // An all-zero column keeps a finite scale and zero values.
        let z = PackedI8::quantize(4, 2, |_, c| if c == 0 { 0.0 } else { 1.0 });
        assert!(z.dequantize().iter().step_by(2).all(|&v| v == 0.0));
    }

    #[test]
    fn rows_quantise_within_half_a_step_and_survive_bad_values() {
        let row = [-1.5f32, 0.25, 3.0, 0.0, 2.2];
        let mut lanes = [0u32; 2];
        let (s, z) = quantize_row(&row, &mut lanes);
        let bytes: Vec<u8> = lanes.iter().flat_map(|l| l.to_le_bytes()).collect();
        for (i, &v) in row.iter().enumerate() {
            let back = s * (f32::from(bytes[i]) - z as f32);
            assert!((back - v).abs() <= s * 0.5 + 1e-6, "{v} -> {back}");
        }
        assert_eq!(&bytes[5..], &[0, 0, 0], "padding lanes must be zero");
        assert_eq!(quantize_row(&[f32::NAN, 1.0], &mut lanes[..1]), (1.0, 0));
        assert_eq!(lanes[0], 0);
        assert_eq!(quantize_row(&[2.0; 4], &mut lanes[..1]).0, 2.0 / 255.0);
    }

    /// The attention constructors build exactly what the generic one builds from the same matrix.
    #[test]
    fn key_and_value_packing_match_the_generic_quantiser() {
        for (n, d) in [(1, 4), (1, 16), (37, 64), (577, 64), (35, 96), (9, 6)] {
            let rows = data(n * d, n as f32);
            let keys = PackedI8::from_key_rows(&rows, n, d);
            let want = PackedI8::quantize(d, n, |i, t| rows[t * d + i]);
            assert_eq!((keys.k, keys.n), (d, n));
            assert_eq!(keys.data, want.data, "keys {n}x{d}");
            assert_eq!((&keys.scale, &keys.colsum), (&want.scale, &want.colsum));
            let values = PackedI8::from_value_rows(&rows, n, d);
            let want = PackedI8::quantize(n, d, |t, i| rows[t * d + i]);
            assert_eq!((values.k, values.n), (n, d));
            assert_eq!(values.data, want.data, "values {n}x{d}");
            assert_eq!((&values.scale, &values.colsum), (&want.scale, &want.colsum));
        }
    }

    #[test]
    fn vector_row_quantisation_matches_the_portable_one() {
        if !int8_supported() {
            return;
        }
        for len in [1, 5, 16, 31, 192, 577, 768] {
            let mut row = data(len, len as f32);
            row[len / 2] = 0.5; // exact halves: ties go to even in both
            let (mut a, mut b) = (vec![u32::MAX; len.div_ceil(4)], vec![0u32; len.div_ceil(4)]);
            assert_eq!(quantize_row(&row, &mut a), quantize_row_portable(&row, &mut b));
            let diff = a.iter().zip(&b).flat_map(|(x, y)| x.to_le_bytes().into_iter().zip(y.to_le_bytes()));
            // x·(1/s) + z in one fused step vs two roundings: at most one step apart, rarely.
            assert!(diff.filter(|(x, y)| x != y).all(|(x, y)| x.abs_diff(y) == 1));
            row[len - 1] = f32::INFINITY;
            assert_eq!(quantize_row(&row, &mut a), (1.0, 0));
            assert!(a.iter().all(|&l| l == 0));
        }
    }

    /// The kernel equals the exact integer product of the quantised operands, dequantised.
    #[test]
    fn int8_kernel_matches_the_quantised_product() {
        if !int8_supported() {
            eprintln!("no AVX512_VNNI here: kernel not exercised");
            return;
        }
        for &(m, k, n) in &SHAPES {
            let x = data(m * k, 0.9);
            let w = data(k * n, 0.2);
            let bias = data(n, 4.0);
            let p = PackedI8::quantize(k, n, |r, c| w[r * n + c]);
            let wq = p.dequantize();
            let mut a = QuantRows::default();
            a.quantize(&x, m, k);
            let mut out = vec![0.25f32; m * n];
            matmul_i8(&a, &p, &mut out, n, Epilogue { bias: Some(&bias), accumulate: true }, true);
            for i in 0..m {
                let bytes: Vec<u8> = a.data[i * a.kq..][..a.kq].iter().flat_map(|l| l.to_le_bytes()).collect();
                for j in 0..n {
                    let dot: f64 = (0..k)
                        .map(|t| a.scale[i] as f64 * (bytes[t] as f64 - a.zero[i] as f64) * wq[t * n + j] as f64)
                        .sum();
                    let want = 0.25 + bias[j] as f64 + dot;
                    let got = out[i * n + j] as f64;
                    assert!((got - want).abs() < 1e-4 * (1.0 + want.abs()), "({m},{k},{n}) [{i},{j}] {got} vs {want}");
                    // And within the worst-case quantisation error of the f32 product.
                    let exact: f64 =
                        0.25 + bias[j] as f64 + (0..k).map(|t| x[i * k + t] as f64 * w[t * n + j] as f64).sum::<f64>();
                    let (hx, hw) = (a.scale[i] as f64 / 2.0, p.scale[j] as f64 / 2.0);
                    let bound: f64 =
                        (0..k).map(|t| x[i * k + t].abs() as f64 * hw + w[t * n + j].abs() as f64 * hx + hx * hw).sum();
                    assert!(
                        (got - exact).abs() <= bound * 1.001 + 1e-4,
                        "({m},{k},{n}) [{i},{j}] {got} vs f32 {exact}"
                    );
                }
            }
        }
    }
}
