//! Element-wise functions: exp, erf/GELU, softmax (plain and as u8 numerators), LayerNorm.
//!
//! Each is written once in plain Rust as branch-free loops the compiler vectorises, and built per
//! tier: the portable build is what any CPU (and every phone) runs; `x86/` compiles the same code
//! for AVX2+FMA and AVX-512, and holds hand-written AVX-512 softmax loops (the compiler does not
//! vectorise the `u8` rounding, and `vscalefps` beats rebuilding the exponent bits).
//!
//! Non-finite inputs: NaN and ±∞ give NaN/∞ outputs (softmax rows containing them become NaN),
//! never undefined behaviour.

use rayon::prelude::*;

use super::Cpu;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
use super::CpuTier;

/// Adds `bias[n]` to every row of `out[m, n]`, or sets every row to it.
pub(crate) fn add_bias_rows(out: &mut [f32], n: usize, bias: &[f32], set: bool) {
    assert!(bias.len() >= n, "bias shorter than a row");
    for row in out.chunks_exact_mut(n) {
        if set {
            row.copy_from_slice(&bias[..n]);
        } else {
            for (o, b) in row.iter_mut().zip(bias) {
                *o += b;
            }
        }
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

/// `exp(x)`, Cephes' `expf` polynomial (≤ 2 ulp) for `x ≤ 88.37`; larger `x` (and +∞) give
/// `exp(88.37)`, `x < −87.3` gives ~1e-38 instead of 0, NaN gives NaN.
#[inline(always)]
pub(crate) fn exp_poly(x: f32) -> f32 {
    // `clamp` keeps NaN, which then flows through the polynomial to the result.
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
    // A saturating conversion (NaN → 0): fx is an integer in [-126, 128) for every other input.
    let e = fx as i32;
    y * f32::from_bits(((e + 127).clamp(0, 255) as u32) << 23)
}

/// The cubic of [`exp255`]: `255·2^f ≈ E255[0] + E255[1]·f + E255[2]·f² + E255[3]·f³` for
/// `f ∈ [0, 1)` (a least-maximum-error fit; at most 0.028 off, in byte steps).
pub(crate) const E255: [f32; 4] = [254.972_67, 177.596_8, 57.206_123, 20.197_07];

/// `255·exp(d)` for `d ≤ 0`, as precise as a `u8` softmax numerator needs (within 0.03 of a byte
/// step, against 0.5 for the rounding that follows) and cheaper than [`exp_poly`]: `t = d·log₂e`,
/// clamped below at −30 (where the result rounds to 0), then the cubic [`E255`] in the fraction
/// of `t`, scaled by `2^⌊t⌋` exactly (added to the exponent bits). NaN stays NaN. Every tier
/// computes exactly these operations (fused multiply-adds in the cubic), so the bytes agree.
#[inline(always)]
pub(crate) fn exp255(d: f32) -> f32 {
    let t = d * std::f32::consts::LOG2_E;
    // Written as a comparison so NaN passes (as `FMAX` and the AVX-512 clamp let it).
    #[allow(clippy::manual_clamp)]
    let t = if t < -30.0 { -30.0 } else { t };
    let fi = t.floor();
    let f = t - fi;
    let p = E255[3].mul_add(f, E255[2]).mul_add(f, E255[1]).mul_add(f, E255[0]);
    // fi ∈ [−30, 0] (NaN converts to 0): p·2^fi stays a normal float, exactly.
    f32::from_bits(p.to_bits().wrapping_add(((fi as i32) << 23) as u32))
}

/// `erf(x)`, the rational approximation used by Eigen/XLA (|error| ≤ 5e-7 in f32).
#[inline(always)]
pub(crate) fn erf_poly(x: f32) -> f32 {
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

/// Exact-erf GELU in place (reference §12).
#[inline(always)]
pub(crate) fn gelu_impl(x: &mut [f32]) {
    for v in x.iter_mut() {
        let t = *v;
        *v = 0.5 * t * (1.0 + erf_poly(t * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// The largest value of `row` with sixteen independent maxima (vectorises; NaN is skipped here
/// and surfaces in the `exp` that follows).
#[inline(always)]
pub(crate) fn max16(row: &[f32]) -> f32 {
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
pub(crate) fn exp_shifted_impl(row: &mut [f32]) -> f32 {
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

/// In-place softmax of one row (max-subtracted).
#[inline(always)]
pub(crate) fn softmax_impl(row: &mut [f32]) {
    let inv = 1.0 / exp_shifted_impl(row);
    for v in row.iter_mut() {
        *v *= inv;
    }
}

/// `exp(row[i] − max)` rounded to `u8` steps of 1/255 into `bytes[i]` ([`exp255`], rounded to
/// nearest-even; the maximum is exactly 255); returns the sum of the bytes, the normaliser of the
/// softmax the quantised row represents (NaN when the row holds NaN). `bytes` must be at least as
/// long as `row`.
#[inline(always)]
pub(crate) fn exp_quantize_impl(row: &[f32], bytes: &mut [u8]) -> f32 {
    assert!(bytes.len() >= row.len(), "byte row shorter than the row");
    // Only the row's own bytes: callers pass lane-padded rows (⌈len/4⌉·4 bytes), and chunking the
    // longer slice would leave its remainder misaligned with the row's.
    let bytes = &mut bytes[..row.len()];
    let max = max16(row);
    let mut acc = [0f32; 16];
    let mut src = row.chunks_exact(16);
    let mut dst = bytes.chunks_exact_mut(16);
    for (c, b) in (&mut src).zip(&mut dst) {
        for i in 0..16 {
            let q = exp255(c[i] - max).round_ties_even();
            acc[i] += q;
            b[i] = q as u8;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (&v, b) in src.remainder().iter().zip(dst.into_remainder()) {
        let q = exp255(v - max).round_ties_even();
        sum += q;
        *b = q as u8;
    }
    sum
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

/// LayerNorm of every row of width `w` (biased variance, like `torch.nn.LayerNorm`).
#[inline(always)]
pub(crate) fn layer_norm_impl(x: &[f32], w: usize, gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
    for (xr, or) in x.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        layer_norm_row(xr, gamma, beta, eps, or);
    }
}

/// Calls the AVX-512 build, the AVX2 build or the portable `$imp` of an element-wise function,
/// whichever the `Cpu` allows. (On aarch64 the portable build is already NEON code: Advanced SIMD
/// is in the baseline there.)
macro_rules! by_tier {
    ($cpu:expr, $name:ident, $imp:path, ($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if $cpu.has(CpuTier::Avx512) {
                // SAFETY: a `Cpu` never claims a tier the hardware lacks (see `cpu/mod.rs`), and
                // the AVX-512 tier includes every feature `x86::avx512` enables.
                return unsafe { super::x86::avx512::$name($($arg),*) };
            }
            if $cpu.has(CpuTier::Avx2) {
                // SAFETY: as above, for the features `x86::avx2` enables.
                return unsafe { super::x86::avx2::$name($($arg),*) };
            }
        }
        let _ = $cpu;
        $imp($($arg),*)
    }};
}

/// Exact-erf GELU over a whole activation buffer, on all threads of the current pool.
pub(crate) fn gelu_erf(cpu: Cpu, x: &mut [f32]) {
    const CHUNK: usize = 16 * 1024;
    let chunk = |x: &mut [f32]| {
        #[cfg(target_arch = "aarch64")]
        if cpu.has(CpuTier::Neon) {
            // SAFETY: no precondition beyond the slice's (NEON is the aarch64 baseline).
            return unsafe { super::aarch64::neon::gelu(x) };
        }
        by_tier!(cpu, gelu, gelu_impl, (x))
    };
    if x.len() <= CHUNK || rayon::current_num_threads() <= 1 {
        chunk(x);
    } else {
        x.par_chunks_mut(CHUNK).for_each(chunk);
    }
}

/// In-place softmax of one row.
pub(crate) fn softmax_row(cpu: Cpu, row: &mut [f32]) {
    by_tier!(cpu, softmax, softmax_impl, (row))
}

/// In place `row[i] = exp(row[i] − max(row))`, returning the sum: a softmax whose division is left
/// to the caller (attention divides its `d` outputs instead of the `N` probabilities).
pub(crate) fn exp_shifted_row(cpu: Cpu, row: &mut [f32]) -> f32 {
    #[cfg(target_arch = "aarch64")]
    if cpu.has(CpuTier::Neon) {
        // SAFETY: no precondition beyond the slice's (NEON is the aarch64 baseline).
        return unsafe { super::aarch64::neon::exp_shifted(row) };
    }
    by_tier!(cpu, exp_shifted, exp_shifted_impl, (row))
}

/// Softmax numerators of one row as `u8` (see [`exp_quantize_impl`]), returning their sum.
/// `bytes` must be at least as long as `row`.
pub(crate) fn exp_quantize_row(cpu: Cpu, row: &[f32], bytes: &mut [u8]) -> f32 {
    assert!(bytes.len() >= row.len(), "byte row shorter than the row");
    #[cfg(target_arch = "aarch64")]
    if cpu.has(CpuTier::Neon) {
        // SAFETY: bytes is at least as long as row (asserted).
        return unsafe { super::aarch64::neon::exp_quantize(row, bytes) };
    }
    by_tier!(cpu, exp_quantize, exp_quantize_impl, (row, bytes))
}

/// LayerNorm over rows of width `w`: `out = (x − mean) / sqrt(var + eps) · gamma + beta`.
pub(crate) fn layer_norm(cpu: Cpu, x: &[f32], w: usize, gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
    assert!(w > 0 && gamma.len() == w && beta.len() == w, "LayerNorm parameters must have the row width");
    assert!(x.len().is_multiple_of(w) && out.len() >= x.len(), "LayerNorm buffers must hold whole rows");
    // Rows are independent: a large input (the text tower's 64 prompts × their tokens) is split
    // over the pool in runs of at least CHUNK values; a small one stays on the calling thread.
    const CHUNK: usize = 32 * 1024;
    let rows_per_task = CHUNK.div_ceil(w);
    let one = |x: &[f32], out: &mut [f32]| {
        #[cfg(target_arch = "aarch64")]
        if cpu.has(CpuTier::Neon) {
            // SAFETY: whole rows, parameters of the row width (asserted above).
            return unsafe { super::aarch64::neon::layer_norm(x, w, gamma, beta, eps, out) };
        }
        by_tier!(cpu, layer_norm, layer_norm_impl, (x, w, gamma, beta, eps, out))
    };
    if x.len() <= 2 * CHUNK || rayon::current_num_threads() <= 1 {
        one(x, out);
    } else {
        x.par_chunks(rows_per_task * w)
            .zip(out[..x.len()].par_chunks_mut(rows_per_task * w))
            .for_each(|(x, o)| one(x, o));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::testing::every_tier;

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
        assert!(exp_poly(f32::NAN).is_nan());
        assert!(exp_poly(f32::INFINITY) > 1e38);
        assert!(exp_poly(f32::NEG_INFINITY) < 1e-37);
    }

    /// The `u8` numerators' exp: within 0.03 of `255·exp(d)` (in byte steps) everywhere below 0,
    /// 255 at the maximum, 0 far below it, NaN kept.
    #[test]
    fn exp255_is_within_a_thirtieth_of_a_byte_step() {
        let mut worst = 0f64;
        // Steps of 1e-5 down to −30 (every 2^frac segment sampled densely); Miri takes 1 in 1000.
        let step = if cfg!(miri) { 1e-2 } else { 1e-5 };
        for i in 0..=(30.0 / step) as u32 {
            let d = -(i as f32) * step;
            let want = 255.0 * f64::from(d).exp();
            worst = worst.max((f64::from(exp255(d)) - want).abs());
        }
        assert!(worst < 0.03, "error {worst} byte steps");
        assert_eq!(exp255(0.0).round_ties_even(), 255.0);
        assert_eq!(exp255(-1e-7).round_ties_even(), 255.0);
        for far in [-25.0, -1e3, f32::MIN, f32::NEG_INFINITY] {
            let v = exp255(far);
            assert!((0.0..1e-3).contains(&v), "{far}: {v}");
        }
        assert!(exp255(f32::NAN).is_nan());
    }

    #[test]
    #[cfg_attr(miri, ignore = "candle's tensor ops are outside what Miri checks here")]
    fn gelu_matches_candle_erf_at_every_tier() {
        let xs: Vec<f32> = (-1200..=1200).map(|i| i as f32 * 0.01).collect();
        let t = candle_core::Tensor::new(xs.as_slice(), &candle_core::Device::Cpu).unwrap();
        let want = t.gelu_erf().unwrap().to_vec1::<f32>().unwrap();
        for cpu in every_tier() {
            let mut fast = xs.clone();
            gelu_erf(cpu, &mut fast);
            let worst = fast.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 2e-6, "{:?}: max abs diff {worst}", cpu.tier());
        }
    }

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let orig: Vec<f32> = (0..37).map(|i| (i as f32 * 0.7).sin() * 5.0).collect();
        let max = orig.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let denom: f64 = orig.iter().map(|&v| ((v - max) as f64).exp()).sum();
        for cpu in every_tier() {
            let mut row = orig.clone();
            softmax_row(cpu, &mut row);
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
            for (p, &v) in row.iter().zip(&orig) {
                let want = ((v - max) as f64).exp() / denom;
                assert!((*p as f64 - want).abs() < 1e-6, "{:?}", cpu.tier());
            }
        }
    }

    #[test]
    fn exp_rows_match_the_portable_ones_at_every_tier() {
        for cpu in every_tier() {
            for len in [1usize, 7, 13, 16, 33, 577] {
                let row: Vec<f32> = (0..len).map(|i| (i as f32 * 0.91).sin() * 9.0 - 2.0).collect();
                let (mut fast, mut slow) = (row.clone(), row.clone());
                let (sf, ss) = (exp_shifted_row(cpu, &mut fast), exp_shifted_impl(&mut slow));
                assert!((sf - ss).abs() <= 1e-5 * ss, "{len}: sum {sf} vs {ss}");
                for (a, b) in fast.iter().zip(&slow) {
                    assert!((a - b).abs() <= 2e-7 * b.max(1e-30) + 1e-37, "{len}: {a} vs {b}");
                }
                // Longer than the row, past the next multiple of 16 (as int8 attention's lane-padded
                // rows can be: 13 values in 16 bytes once lost every byte).
                let padded = len.next_multiple_of(16) + 3;
                let (mut qf, mut qs) = (vec![7u8; padded], vec![7u8; padded]);
                let (sf, ss) = (exp_quantize_row(cpu, &row, &mut qf), exp_quantize_impl(&row, &mut qs));
                assert_eq!(qf, qs, "{len}");
                assert_eq!(sf, ss);
                assert_eq!(sf, qs[..len].iter().map(|&b| b as f32).sum::<f32>());
                assert!(
                    qs[..len].contains(&255) && qs[len..].iter().all(|&b| b == 7),
                    "{len}: max maps to 255, nothing past the row"
                );
            }
        }
    }

    /// NaN anywhere in a row makes the softmax (and its quantised sum) NaN at every tier.
    #[test]
    fn nan_rows_stay_nan_at_every_tier() {
        for cpu in every_tier() {
            for len in [1, 5, 16, 40] {
                let mut row: Vec<f32> = (0..len).map(|i| i as f32 * 0.1).collect();
                row[len / 2] = f32::NAN;
                let mut s = row.clone();
                softmax_row(cpu, &mut s);
                assert!(s.iter().any(|v| v.is_nan()), "{:?} {len}: {s:?}", cpu.tier());
                let mut bytes = vec![0u8; len];
                assert!(exp_quantize_row(cpu, &row, &mut bytes).is_nan(), "{:?} {len}", cpu.tier());
                let mut g = row.clone();
                gelu_erf(cpu, &mut g);
                assert!(g[len / 2].is_nan());
            }
        }
    }

    #[test]
    fn layer_norm_matches_definition_at_every_tier() {
        let x: Vec<f32> = (0..2 * 13).map(|i| (i as f32 * 1.3).cos() * 3.0 + 1.0).collect();
        let g: Vec<f32> = (0..13).map(|i| 1.0 + i as f32 * 0.1).collect();
        let b: Vec<f32> = (0..13).map(|i| i as f32 * -0.05).collect();
        for cpu in every_tier() {
            let mut out = vec![0f32; x.len()];
            layer_norm(cpu, &x, 13, &g, &b, 1e-5, &mut out);
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
    }
}
