//! CPU kernels of the image tower's fast path, on plain row-major `f32` buffers.
//!
//! Why not candle ops: the profile of the candle graph (`perf record` on the session example) spent
//! most of its time outside the matrix products — scalar `expf`/`erff`, spinning in candle's
//! barrier pool, zeroing freshly allocated pages, and copies for transposes and `contiguous()`. Here
//! every step works in place on buffers reused across blocks: bias and residual are folded into the
//! matrix product (the destination is pre-filled and accumulated into), RoPE and the softmax scale
//! are applied while the heads are split out, attention runs per (head, query tile) on all threads
//! with the score tile in cache, and `exp`/`erf` are branch-free polynomials the compiler vectorises
//! (AVX2+FMA selected at run time on x86-64; the portable code is what aarch64 runs).
//!
//! Matrix products go to the `gemm` crate (the one candle itself uses) directly.

use gemm::Parallelism;
use rayon::prelude::*;

use super::packed::{self, Epilogue, PackedF32, PackedI8, QuantRows};
use super::quant::{matmul_bf16, pack_rows, PackedBf16};

/// A raw pointer that may cross threads; every user writes disjoint ranges.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut f32);
// SAFETY: only used to hand disjoint output ranges to rayon tasks (see the call sites).
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// The pointer (a method, so closures capture the whole `SendPtr`, not its raw field).
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

/// Parallelism for one `gemm` call from the current rayon pool (the `Labeler`'s, if installed).
pub(crate) fn gemm_parallelism(flops: usize) -> Parallelism {
    let threads = rayon::current_num_threads();
    // Below ~1 MFLOP the fork/join costs more than it saves.
    if threads <= 1 || flops < (1 << 20) {
        Parallelism::None
    } else {
        Parallelism::Rayon(threads)
    }
}

/// `out[m, n] = (accumulate ? out : 0) + x[m, k] · w[k, n]` with row-major `x`, `w`, `out`.
pub(crate) fn matmul_f32(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, out: &mut [f32], accumulate: bool) {
    debug_assert!(x.len() >= m * k && w.len() >= k * n && out.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the slices hold at least m·k, k·n and m·n elements (checked by the callers' shapes,
    // asserted in debug builds); strides describe dense row-major matrices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm_parallelism(2 * m * n * k),
        )
    }
}

/// Adds `bias[n]` to every row of `out[m, n]`, or sets every row to it.
pub(crate) fn add_bias_rows(out: &mut [f32], n: usize, bias: &[f32], set: bool) {
    for row in out.chunks_exact_mut(n) {
        if set {
            row.copy_from_slice(bias);
        } else {
            for (o, b) in row.iter_mut().zip(bias) {
                *o += b;
            }
        }
    }
}

#[inline(always)]
fn layer_norm_row(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
    let n = x.len() as f32;
    let mean = sum8(x) / n;
    let mut var = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            let d = c[i] - mean;
            var[i] += d * d;
        }
    }
    let mut v: f32 = var.iter().sum();
    for &t in chunks.remainder() {
        v += (t - mean) * (t - mean);
    }
    let inv = 1.0 / (v / n + eps).sqrt();
    for (((o, &t), &g), &b) in out.iter_mut().zip(x).zip(gamma).zip(beta) {
        *o = (t - mean) * inv * g + b;
    }
}

/// Sum with eight independent accumulators (vectorises without reassociation flags).
#[inline(always)]
fn sum8(x: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for i in 0..8 {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// `exp(x)` for `x ≤ 88.37`, Cephes' `expf` polynomial (≤ 2 ulp); `x < −87.3` gives ~1e-38, not 0.
#[inline(always)]
fn exp_poly(x: f32) -> f32 {
    let x = x.clamp(-87.336_55, 88.376_26);
    let fx = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - fx * 0.693_359_4 + fx * 2.121_944_4e-4;
    let mut y = 1.987_569_1e-4f32;
    y = y * r + 1.398_199_9e-3;
    y = y * r + 8.333_452e-3;
    y = y * r + 4.166_579_6e-2;
    y = y * r + 1.666_666_5e-1;
    y = y * r + 5e-1;
    y = y * r * r + r + 1.0;
    // SAFETY: fx is an integer in [-126, 128) after the clamp.
    let e = unsafe { fx.to_int_unchecked::<i32>() };
    y * f32::from_bits(((e + 127) as u32) << 23)
}

/// `erf(x)`, the rational approximation used by Eigen/XLA (|error| ≤ 5e-7 in f32).
#[inline(always)]
fn erf_poly(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_600_2e-3;
    p = p * x2 - 1.609_603_3e-2;
    let mut q = -1.456_607_2e-5f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329_2e-3;
    q = q * x2 - 1.426_473_9e-2;
    x * p / q
}

#[inline(always)]
fn gelu_erf_impl(x: &mut [f32]) {
    for v in x.iter_mut() {
        let t = *v;
        *v = 0.5 * t * (1.0 + erf_poly(t * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// In-place softmax of one row (max-subtracted).
#[inline(always)]
fn softmax_impl(row: &mut [f32]) {
    let inv = 1.0 / exp_shifted_impl(row);
    for v in row.iter_mut() {
        *v *= inv;
    }
}

/// The largest value of `row` with sixteen independent maxima (vectorises).
#[inline(always)]
fn max16(row: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        for i in 0..16 {
            m[i] = m[i].max(c[i]);
        }
    }
    let max = chunks.remainder().iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    m.into_iter().fold(max, f32::max)
}

/// In place `row[i] = exp(row[i] − max(row))`; returns the sum (the softmax before its division).
#[inline(always)]
fn exp_shifted_impl(row: &mut [f32]) -> f32 {
    let max = max16(row);
    let mut acc = [0f32; 16];
    let mut chunks = row.chunks_exact_mut(16);
    for c in &mut chunks {
        for i in 0..16 {
            c[i] = exp_poly(c[i] - max);
            acc[i] += c[i];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for v in chunks.into_remainder() {
        *v = exp_poly(*v - max);
        sum += *v;
    }
    sum
}

/// `row[i] ← exp(row[i] − max)` rounded to `u8` steps of 1/255 into `bytes[i]` (the maximum is
/// exactly 255); returns the sum of the bytes, the normaliser of the softmax the quantised row
/// represents.
#[inline(always)]
fn exp_quantize_impl(row: &[f32], bytes: &mut [u8]) -> f32 {
    let max = max16(row);
    let mut acc = [0f32; 16];
    let mut src = row.chunks_exact(16);
    let mut dst = bytes.chunks_exact_mut(16);
    for (c, b) in (&mut src).zip(&mut dst) {
        for i in 0..16 {
            let q = (exp_poly(c[i] - max) * 255.0).round_ties_even();
            acc[i] += q;
            b[i] = q as u8;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (&v, b) in src.remainder().iter().zip(dst.into_remainder()) {
        let q = (exp_poly(v - max) * 255.0).round_ties_even();
        sum += q;
        *b = q as u8;
    }
    sum
}

#[inline(always)]
fn layer_norm_impl(x: &[f32], w: usize, gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
    for (xr, or) in x.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        layer_norm_row(xr, gamma, beta, eps, or);
    }
}

/// Defines `$name`, which runs `$imp` compiled for AVX-512 or AVX2+FMA when the CPU has them
/// (detected at run time, cached by `std`) and the portable build of `$imp` elsewhere.
macro_rules! simd_dispatch {
    ($(#[$doc:meta])* $name:ident, $avx2:ident, $avx512:ident, $imp:ident, ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2($($arg: $ty),*) $(-> $ret)? {
            $imp($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512bw,avx2,fma")]
        unsafe fn $avx512($($arg: $ty),*) $(-> $ret)? {
            $imp($($arg),*)
        }

        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx512() {
                    // SAFETY: the CPU supports the enabled features (checked just above).
                    return unsafe { $avx512($($arg),*) };
                }
                if has_avx2_fma() {
                    // SAFETY: as above.
                    return unsafe { $avx2($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}

simd_dispatch!(
    /// Exact-erf GELU in place (reference §12), on one chunk of values.
    gelu_erf_chunk, gelu_erf_avx2, gelu_erf_avx512, gelu_erf_impl, (x: &mut [f32])
);
simd_dispatch!(
    /// In-place softmax of one row.
    softmax_row, softmax_avx2, softmax_avx512, softmax_impl, (row: &mut [f32])
);
/// Softmax numerators of one row as `u8` (see `exp_quantize_impl`), returning their sum.
/// `bytes` must be at least as long as `row`.
pub(crate) fn exp_quantize_row(row: &[f32], bytes: &mut [u8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() && bytes.len() >= row.len() {
        // SAFETY: the features were detected just above; bytes covers row (checked).
        return unsafe { avx512::exp_quantize(row, bytes) };
    }
    exp_quantize_impl(row, bytes)
}

simd_dispatch!(
    /// In place `row[i] = exp(row[i] − max(row))`, returning the sum: a softmax whose division is
    /// left to the caller (attention divides its `d` outputs instead of the `N` probabilities).
    exp_shifted_portable, exp_shifted_avx2, exp_shifted_avx512, exp_shifted_impl, (row: &mut [f32]) -> f32
);

/// In place `row[i] = exp(row[i] − max(row))`, returning the sum: a softmax whose division is left
/// to the caller (attention divides its `d` outputs instead of the `N` probabilities).
pub(crate) fn exp_shifted_row(row: &mut [f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the features were detected just above.
        return unsafe { avx512::exp_shifted(row) };
    }
    exp_shifted_portable(row)
}

/// Hand-written AVX-512 versions of the softmax loops (the compiler does not vectorise the `u8`
/// rounding of `exp_quantize_impl`, and `vscalefps` beats rebuilding the exponent bits).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// `exp(x)` on 16 lanes: the Cephes polynomial of `exp_poly`, exponent applied by `vscalefps`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn exp(x: __m512) -> __m512 {
        let x = _mm512_max_ps(x, _mm512_set1_ps(-87.336_55));
        let fx = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(_mm512_fmadd_ps(
            x,
            _mm512_set1_ps(std::f32::consts::LOG2_E),
            _mm512_set1_ps(0.5),
        ));
        let r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693_359_4), x);
        let r = _mm512_fmadd_ps(fx, _mm512_set1_ps(2.121_944_4e-4), r);
        let mut y = _mm512_set1_ps(1.987_569_1e-4);
        for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 5e-1] {
            y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(c));
        }
        y = _mm512_fmadd_ps(_mm512_mul_ps(y, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0)));
        _mm512_scalef_ps(y, fx)
    }

    fn mask(len: usize, i: usize) -> __mmask16 {
        let left = len - i * 16;
        if left >= 16 {
            0xFFFF
        } else {
            ((1u32 << left) - 1) as u16
        }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn row_max(row: &[f32]) -> f32 {
        let low = _mm512_set1_ps(f32::NEG_INFINITY);
        let mut m = low;
        for i in 0..row.len().div_ceil(16) {
            m = _mm512_max_ps(m, _mm512_mask_loadu_ps(low, mask(row.len(), i), row.as_ptr().add(i * 16)));
        }
        _mm512_reduce_max_ps(m)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn exp_shifted(row: &mut [f32]) -> f32 {
        let max = _mm512_set1_ps(row_max(row));
        let mut acc = _mm512_setzero_ps();
        for i in 0..row.len().div_ceil(16) {
            let m = mask(row.len(), i);
            let p = row.as_mut_ptr().add(i * 16);
            let e = exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p), max));
            acc = _mm512_mask_add_ps(acc, m, acc, e);
            _mm512_mask_storeu_ps(p, m, e);
        }
        _mm512_reduce_add_ps(acc)
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub(super) unsafe fn exp_quantize(row: &[f32], bytes: &mut [u8]) -> f32 {
        let max = _mm512_set1_ps(row_max(row));
        let scale = _mm512_set1_ps(255.0);
        let mut acc = _mm512_setzero_si512();
        for i in 0..row.len().div_ceil(16) {
            let m = mask(row.len(), i);
            let e = exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row.as_ptr().add(i * 16)), max));
            // Round to nearest even (MXCSR default); e ≤ 1, so q ≤ 255.
            let q = _mm512_maskz_cvtps_epi32(m, _mm512_mul_ps(e, scale));
            acc = _mm512_add_epi32(acc, q);
            _mm_mask_storeu_epi8(bytes.as_mut_ptr().add(i * 16) as *mut i8, m, _mm512_cvtepi32_epi8(q));
        }
        _mm512_reduce_add_epi32(acc) as f32
    }
}
simd_dispatch!(
    /// LayerNorm over rows of width `w`: `out = (x − mean) / sqrt(var + eps) · gamma + beta`
    /// (biased variance, like `torch.nn.LayerNorm`).
    layer_norm, layer_norm_avx2, layer_norm_avx512, layer_norm_impl,
    (x: &[f32], w: usize, gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32])
);

/// Whether AVX2 and FMA are available (cached by `std`).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Whether AVX-512F/BW (and so AVX2, FMA) are available.
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bw") && has_avx2_fma()
}

/// Exact-erf GELU over a whole activation buffer, on all threads of the current pool.
pub(crate) fn gelu_erf(x: &mut [f32]) {
    const CHUNK: usize = 16 * 1024;
    if x.len() <= CHUNK || rayon::current_num_threads() <= 1 {
        gelu_erf_chunk(x);
    } else {
        x.par_chunks_mut(CHUNK).for_each(gelu_erf_chunk);
    }
}

/// Rows per attention task: the score tile (`ATTN_TILE × N` f32) stays in L2.
const ATTN_TILE: usize = 48;

/// Multi-head self-attention core on a packed projection `qkv[N, 3w]` (rows `q | k | v`, heads
/// `h·d .. (h+1)·d` in each third). Applies interleaved-pair RoPE (`cos`, `sin` `[N, d/2]`) to q
/// and k, scales q by `1/√d`, and writes `softmax(q kᵀ) v` to `out[N, w]` in the same head layout.
/// `scratch` is resized as needed and reused across calls. With `bf16` (a slot per head, reused),
/// both products take bf16 operands with f32 accumulation (see [`super::quant`]); the softmax stays
/// f32. With `int8`, `kᵀ` (per key) and `v` (per channel) are quantised per head and both products
/// run on the int8 kernel of [`super::packed`] with per-row quantised `q` and unnormalised
/// probabilities. Otherwise, on CPUs with AVX-512, `kᵀ` and `v` are packed per head into `packed`
/// (reused) for the f32 kernel; elsewhere both products go to `gemm`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attention(
    qkv: &[f32],
    n: usize,
    heads: usize,
    head_dim: usize,
    rope: Option<(&[f32], &[f32])>,
    scratch: &mut Vec<f32>,
    bf16: Option<&mut Vec<(PackedBf16, PackedBf16)>>,
    packed: &mut Vec<(PackedF32, PackedF32)>,
    int8: bool,
    out: &mut [f32],
) {
    let (h, d) = (heads, head_dim);
    let w = h * d;
    let plane = n * d;
    // Heads split out to [3][H][N][d] so each head's q, k, v are dense.
    let need = 3 * h * plane;
    if scratch.len() < need {
        scratch.resize(need, 0.0);
    }
    let (q_all, rest) = scratch.split_at_mut(h * plane);
    let (k_all, v_all) = rest.split_at_mut(h * plane);
    let scale = 1.0 / (d as f32).sqrt();
    let split = |(head, ((q, k), v)): (usize, ((&mut [f32], &mut [f32]), &mut [f32]))| {
        for t in 0..n {
            let row = &qkv[t * 3 * w..][..3 * w];
            let (qs, ks, vs) = (&row[head * d..][..d], &row[w + head * d..][..d], &row[2 * w + head * d..][..d]);
            let (qd, kd) = (&mut q[t * d..][..d], &mut k[t * d..][..d]);
            v[t * d..][..d].copy_from_slice(vs);
            match rope {
                Some((cos, sin)) => {
                    let (c, s) = (&cos[t * d / 2..][..d / 2], &sin[t * d / 2..][..d / 2]);
                    for i in 0..d / 2 {
                        let (q0, q1) = (qs[2 * i], qs[2 * i + 1]);
                        let (k0, k1) = (ks[2 * i], ks[2 * i + 1]);
                        qd[2 * i] = (q0 * c[i] - q1 * s[i]) * scale;
                        qd[2 * i + 1] = (q0 * s[i] + q1 * c[i]) * scale;
                        kd[2 * i] = k0 * c[i] - k1 * s[i];
                        kd[2 * i + 1] = k0 * s[i] + k1 * c[i];
                    }
                }
                None => {
                    for i in 0..d {
                        qd[i] = qs[i] * scale;
                    }
                    kd.copy_from_slice(ks);
                }
            }
        }
    };
    q_all
        .par_chunks_mut(plane)
        .zip(k_all.par_chunks_mut(plane))
        .zip(v_all.par_chunks_mut(plane))
        .enumerate()
        .for_each(split);

    let tiles = n.div_ceil(ATTN_TILE);
    let out_ptr = SendPtr(out.as_mut_ptr());
    let (q_all, k_all, v_all) = (&*q_all, &*k_all, &*v_all);
    if let Some(slots) = bf16 {
        slots.resize_with(h, || (PackedBf16::pack(&[], 0, 0), PackedBf16::pack(&[], 0, 0)));
        // kᵀ as a [d, n] matrix and v as [n, d], per head.
        slots.par_iter_mut().enumerate().for_each(|(head, (kt, vp))| {
            let k = &k_all[head * plane..][..plane];
            let v = &v_all[head * plane..][..plane];
            kt.repack(d, n, |r, c| k[c * d + r]);
            vp.repack(n, d, |r, c| v[r * d + c]);
        });
        let slots = &*slots;
        (0..h * tiles).into_par_iter().for_each_init(
            || (Vec::<f32>::new(), Vec::<u32>::new()),
            |(scores, a16), task| {
                let (head, tile) = (task / tiles, task % tiles);
                let r0 = tile * ATTN_TILE;
                let rows = ATTN_TILE.min(n - r0);
                scores.resize(rows * n, 0.0);
                let (kt, vp) = &slots[head];
                pack_rows(&q_all[head * plane + r0 * d..][..rows * d], rows, d, a16);
                matmul_bf16(a16, rows, kt, scores, n, false);
                for row in scores.chunks_exact_mut(n) {
                    softmax_row(row);
                }
                pack_rows(scores, rows, n, a16);
                // SAFETY: rows r0..r0+rows, columns head·d.. of out (N×w) belong to this task only.
                let dst =
                    unsafe { std::slice::from_raw_parts_mut(out_ptr.get().add(r0 * w + head * d), (rows - 1) * w + d) };
                matmul_bf16(a16, rows, vp, dst, w, false);
            },
        );
        return;
    }
    if int8 && packed::int8_supported() {
        // kᵀ and v of each head as separate tasks (3 heads on 2 threads would leave one idle).
        let packed8: Vec<PackedI8> = (0..2 * h)
            .into_par_iter()
            .map(|t| match t % 2 {
                0 => PackedI8::from_key_rows(&k_all[t / 2 * plane..][..plane], n, d),
                _ => PackedI8::from_value_rows(&v_all[t / 2 * plane..][..plane], n, d),
            })
            .collect();
        let heads: Vec<(&PackedI8, &PackedI8)> = packed8.chunks_exact(2).map(|p| (&p[0], &p[1])).collect();
        let heads = &heads;
        (0..h * tiles).into_par_iter().for_each_init(
            || (Vec::<f32>::new(), QuantRows::default(), QuantRows::default()),
            |(scores, qa, pa), task| {
                let (head, tile) = (task / tiles, task % tiles);
                let r0 = tile * ATTN_TILE;
                let rows = ATTN_TILE.min(n - r0);
                scores.resize(rows * n, 0.0);
                let (kt, vq) = heads[head];
                qa.quantize(&q_all[head * plane + r0 * d..][..rows * d], rows, d);
                packed::matmul_i8(qa, kt, scores, n, Epilogue::default(), false);
                let mut inv = [0f32; ATTN_TILE];
                pa.fill(rows, n, |r, bytes| {
                    inv[r] = 1.0 / exp_quantize_row(&scores[r * n..][..n], bytes);
                    (1.0, 0)
                });
                // SAFETY: rows r0..r0+rows, columns head·d.. of out (N×w) belong to this task only.
                let dst =
                    unsafe { std::slice::from_raw_parts_mut(out_ptr.get().add(r0 * w + head * d), (rows - 1) * w + d) };
                // Probabilities are u / Σu: the bytes go in with scale 1, the division after.
                packed::matmul_i8(pa, vq, dst, w, Epilogue::default(), false);
                for (r, inv) in inv[..rows].iter().enumerate() {
                    for o in &mut dst[r * w..][..d] {
                        *o *= inv;
                    }
                }
            },
        );
        return;
    }
    if packed::f32_supported() {
        packed.resize_with(h, Default::default);
        packed.par_iter_mut().enumerate().for_each(|(head, (kt, vp))| {
            let k = &k_all[head * plane..][..plane];
            let v = &v_all[head * plane..][..plane];
            kt.resize(d, n);
            vp.resize(n, d);
            let (ktd, vpd) = (kt.data_mut(), vp.data_mut());
            for t in 0..n {
                for i in 0..d {
                    ktd[PackedF32::offset(d, i, t)] = k[t * d + i];
                    vpd[PackedF32::offset(n, t, i)] = v[t * d + i];
                }
            }
        });
        let packed = &*packed;
        (0..h * tiles).into_par_iter().for_each_init(Vec::<f32>::new, |scores, task| {
            let (head, tile) = (task / tiles, task % tiles);
            let r0 = tile * ATTN_TILE;
            let rows = ATTN_TILE.min(n - r0);
            scores.resize(rows * n, 0.0);
            let (kt, vp) = &packed[head];
            let q = &q_all[head * plane + r0 * d..][..rows * d];
            packed::matmul_f32(q, rows, d, kt, scores, n, Epilogue::default(), false);
            let mut inv = [0f32; ATTN_TILE];
            for (row, inv) in scores.chunks_exact_mut(n).zip(&mut inv) {
                *inv = 1.0 / exp_shifted_row(row);
            }
            // SAFETY: rows r0..r0+rows, columns head·d.. of out (N×w) belong to this task only.
            let dst =
                unsafe { std::slice::from_raw_parts_mut(out_ptr.get().add(r0 * w + head * d), (rows - 1) * w + d) };
            packed::matmul_f32(scores, rows, n, vp, dst, w, Epilogue::default(), false);
            for (r, inv) in inv[..rows].iter().enumerate() {
                for o in &mut dst[r * w..][..d] {
                    *o *= inv;
                }
            }
        });
        return;
    }
    (0..h * tiles).into_par_iter().for_each_init(Vec::<f32>::new, |scores, task| {
        let (head, tile) = (task / tiles, task % tiles);
        let r0 = tile * ATTN_TILE;
        let rows = ATTN_TILE.min(n - r0);
        scores.resize(rows * n, 0.0);
        let q = &q_all[head * plane + r0 * d..][..rows * d];
        let k = &k_all[head * plane..][..plane];
        let v = &v_all[head * plane..][..plane];
        // SAFETY: q is rows×d (rs d), k is read as kᵀ (d×n: rs 1, cs d), scores is rows×n. The
        // output block (rows r0.., columns head·d..) is written by this task only; out is N×w.
        unsafe {
            gemm::gemm(
                rows,
                n,
                d,
                scores.as_mut_ptr(),
                1,
                n as isize,
                false,
                q.as_ptr(),
                1,
                d as isize,
                k.as_ptr(),
                d as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
        for row in scores.chunks_exact_mut(n) {
            softmax_row(row);
        }
        unsafe {
            gemm::gemm(
                rows,
                d,
                n,
                out_ptr.get().add(r0 * w + head * d),
                1,
                w as isize,
                false,
                scores.as_ptr(),
                1,
                n as isize,
                v.as_ptr(),
                1,
                d as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_poly_matches_std() {
        let mut worst = 0f32;
        for i in -8000..=800 {
            let x = i as f32 * 0.01;
            let rel = ((exp_poly(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 1e-6, "relative error {worst}");
        assert!(exp_poly(-1000.0) < 1e-37);
    }

    #[test]
    fn gelu_matches_candle_erf() {
        let xs: Vec<f32> = (-1200..=1200).map(|i| i as f32 * 0.01).collect();
        let mut fast = xs.clone();
        gelu_erf(&mut fast);
        let t = candle_core::Tensor::new(xs.as_slice(), &candle_core::Device::Cpu).unwrap();
        let want = t.gelu_erf().unwrap().to_vec1::<f32>().unwrap();
        let worst = fast.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 2e-6, "max abs diff {worst}");
    }

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let mut row: Vec<f32> = (0..37).map(|i| (i as f32 * 0.7).sin() * 5.0).collect();
        let orig = row.clone();
        softmax_row(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let max = orig.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let denom: f64 = orig.iter().map(|&v| ((v - max) as f64).exp()).sum();
        for (p, &v) in row.iter().zip(&orig) {
            let want = ((v - max) as f64).exp() / denom;
            assert!((*p as f64 - want).abs() < 1e-6);
        }
    }

    #[test]
    fn exp_rows_match_the_portable_ones() {
        for len in [1, 7, 16, 33, 577] {
            let row: Vec<f32> = (0..len).map(|i| (i as f32 * 0.91).sin() * 9.0 - 2.0).collect();
            let (mut fast, mut slow) = (row.clone(), row.clone());
            let (sf, ss) = (exp_shifted_row(&mut fast), exp_shifted_impl(&mut slow));
            assert!((sf - ss).abs() <= 1e-5 * ss, "{len}: sum {sf} vs {ss}");
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() <= 2e-7 * b.max(1e-30) + 1e-37, "{len}: {a} vs {b}");
            }
            let (mut qf, mut qs) = (vec![7u8; len + 3], vec![7u8; len + 3]);
            let (sf, ss) = (exp_quantize_row(&row, &mut qf), exp_quantize_impl(&row, &mut qs));
            assert_eq!(qf, qs, "{len}");
            assert_eq!(sf, ss);
            assert_eq!(sf, qs[..len].iter().map(|&b| b as f32).sum::<f32>());
            assert!(qs[..len].contains(&255) && qs[len..] == [7, 7, 7], "{len}: max maps to 255, nothing past the row");
        }
    }

    #[test]
    fn layer_norm_matches_definition() {
        let x: Vec<f32> = (0..2 * 13).map(|i| (i as f32 * 1.3).cos() * 3.0 + 1.0).collect();
        let g: Vec<f32> = (0..13).map(|i| 1.0 + i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..13).map(|i| i as f32 * -0.05).collect();
        let mut out = vec![0f32; x.len()];
        layer_norm(&x, 13, &g, &b, 1e-5, &mut out);
        for r in 0..2 {
            let row = &x[r * 13..][..13];
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / 13.0;
            let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / 13.0;
            for i in 0..13 {
                let want = (row[i] as f64 - mean) / (var + 1e-5).sqrt() * g[i] as f64 + b[i] as f64;
                assert!((out[r * 13 + i] as f64 - want).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn matmul_accumulates() {
        let (m, k, n) = (3, 5, 4);
        let x: Vec<f32> = (0..m * k).map(|i| i as f32 * 0.5 - 2.0).collect();
        let w: Vec<f32> = (0..k * n).map(|i| (i as f32).sin()).collect();
        let mut out = vec![1.0f32; m * n];
        matmul_f32(&x, m, k, &w, n, &mut out, true);
        for i in 0..m {
            for j in 0..n {
                let want: f32 = 1.0 + (0..k).map(|t| x[i * k + t] * w[t * n + j]).sum::<f32>();
                assert!((out[i * n + j] - want).abs() < 1e-5);
            }
        }
    }
}
