//! The [`crate::cpu::CpuTier::Neon`] tier's hand-written element-wise loops: softmax numerators
//! (`exp`, in place or rounded to `u8`), GELU, LayerNorm, RoPE, the per-row `u8` quantiser of the
//! int8 path (in order, or into `SMMLA`'s row-pair layout), and the int8 packing of attention's
//! keys and values.
//!
//! The portable Rust of `math.rs` / `int8.rs` compiles to NEON too, but not well for these: the
//! phone benchmark (`benchmarks/phone/`) counted 12 instructions per attention probability in
//! `exp_quantize_impl` and 11 per activation in `quantize_row_portable` (scalar `u8`
//! conversions, the NaN bookkeeping). Here `FMAX`/`FMIN` carry NaN through the row's bounds (so no
//! separate NaN sum), `FCVTNU` rounds to nearest-even and saturates in one instruction, and
//! `UQXTN` narrows with the clamp to 255. Results are those of the portable versions: the same
//! bytes, scales and zero points (the `u8` numerators' `exp255` is the same operations, fused
//! multiply-adds included; the f32 `exp` polynomial uses fused multiply-adds like the AVX-512
//! one, which the tests hold to the portable `exp` within an ulp).
//!
//! Every function is `unsafe` only for its raw-pointer loads and stores; Advanced SIMD is part of
//! the aarch64 baseline.

use std::arch::aarch64::*;

use crate::cpu::int8::{row_params, symmetric_scale, PackedI8, PANEL};

/// Values per step (four registers).
const STEP: usize = 16;

/// `exp(x)` on four lanes for `x ≤ 0` (and NaN): the Cephes polynomial of
/// [`crate::cpu::math::exp_poly`], the exponent added to the float's bits. `x < −87.3` gives
/// ~1e-38; NaN stays NaN (`FMAX` propagates it, and `FCVTZS` of NaN is 0, scale 1).
#[target_feature(enable = "neon")]
#[inline]
fn exp_nonpositive(x: float32x4_t) -> float32x4_t {
    let x = vmaxq_f32(vdupq_n_f32(-87.336_55), x);
    let fx = vrndmq_f32(vfmaq_f32(vdupq_n_f32(0.5), x, vdupq_n_f32(std::f32::consts::LOG2_E)));
    let r = vfmsq_f32(x, fx, vdupq_n_f32(0.693_359_4));
    let r = vfmaq_f32(r, fx, vdupq_n_f32(2.121_944_4e-4));
    let mut y = vdupq_n_f32(1.987_569_1e-4);
    for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 5e-1] {
        y = vfmaq_f32(vdupq_n_f32(c), y, r);
    }
    y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0)), vmulq_f32(y, r), r);
    // fx ∈ [−126, 0] for x ∈ [−87.34, 0]: 2^fx is a normal float built from its exponent bits.
    let bits = vshlq_n_s32::<23>(vaddq_s32(vcvtq_s32_f32(fx), vdupq_n_s32(127)));
    vmulq_f32(y, vreinterpretq_f32_s32(bits))
}

/// [`crate::cpu::math::exp255`] on four lanes (`d ≤ 0`): the same operations, so the same values.
#[target_feature(enable = "neon")]
#[inline]
fn exp255(d: float32x4_t) -> float32x4_t {
    use crate::cpu::math::E255;
    // FMAX keeps NaN (rows holding NaN are caught before, by their maximum).
    let t = vmaxq_f32(vdupq_n_f32(-30.0), vmulq_f32(d, vdupq_n_f32(std::f32::consts::LOG2_E)));
    let fi = vrndmq_f32(t);
    let f = vsubq_f32(t, fi);
    let p = vfmaq_f32(vdupq_n_f32(E255[2]), vdupq_n_f32(E255[3]), f);
    let p = vfmaq_f32(vdupq_n_f32(E255[1]), p, f);
    let p = vfmaq_f32(vdupq_n_f32(E255[0]), p, f);
    // fi ∈ [−30, 0]: adding it to the exponent bits scales p exactly.
    vreinterpretq_f32_s32(vaddq_s32(vreinterpretq_s32_f32(p), vshlq_n_s32::<23>(vcvtq_s32_f32(fi))))
}

/// Exact-erf GELU of four lanes: [`crate::cpu::math::erf_poly`]'s rational function with fused
/// multiply-adds and a Newton reciprocal for its division, and the clamp as `FMAX`/`FMIN` (NaN
/// stays NaN).
#[target_feature(enable = "neon")]
#[inline]
fn gelu4(t: float32x4_t) -> float32x4_t {
    let x = vmulq_f32(t, vdupq_n_f32(std::f32::consts::FRAC_1_SQRT_2));
    let x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-4.0)), vdupq_n_f32(4.0));
    let x2 = vmulq_f32(x, x);
    let mut p = vdupq_n_f32(-2.726_142_3e-10);
    for c in [2.770_681_4e-8, -2.101_024e-6, -5.692_506_4e-5, -7.349_906_3e-4, -2.954_600_2e-3, -1.609_603_3e-2] {
        p = vfmaq_f32(vdupq_n_f32(c), p, x2);
    }
    let mut q = vdupq_n_f32(-1.456_607_2e-5);
    for c in [-2.133_740_6e-4, -1.682_827e-3, -7.373_329_2e-3, -1.426_473_9e-2] {
        q = vfmaq_f32(vdupq_n_f32(c), q, x2);
    }
    // x·p/q with 1/q from FRECPE and two Newton steps (FRECPS): pipelined multiply-adds instead
    // of a vector FDIV (the one instruction here that is not fully pipelined on Arm's and Apple's
    // cores); the reciprocal's error stays within 2 ulp.
    let r = vrecpeq_f32(q);
    let r = vmulq_f32(vrecpsq_f32(q, r), r);
    let r = vmulq_f32(vrecpsq_f32(q, r), r);
    let erf = vmulq_f32(vmulq_f32(x, p), r);
    // 0.5·t·(1 + erf), in the portable order (so −∞ gives what it gives there).
    vmulq_f32(vmulq_f32(vdupq_n_f32(0.5), t), vaddq_f32(vdupq_n_f32(1.0), erf))
}

/// [`crate::cpu::math::gelu_impl`] in place, four values per step. The portable loop compiles to
/// separate multiplies and adds, a four-instruction clamp and a vector division (35 instructions
/// per four values in the phone benchmark's binary).
///
/// # Safety
/// None beyond the slice's own; `unsafe` for the symmetry with the other tiers' builds.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn gelu(x: &mut [f32]) {
    // Four independent vectors per step: one vector's chain of dependent operations is ~60
    // cycles in llvm-mca's Neoverse V2 model, more than an out-of-order window overlaps across
    // steps of one vector (it put that loop at 59 cycles per four values).
    let mut chunks = x.chunks_exact_mut(STEP);
    for c in &mut chunks {
        // SAFETY: the chunk's sixteen values, read then written.
        unsafe {
            let p = c.as_mut_ptr();
            let v: [float32x4_t; 4] = std::array::from_fn(|i| gelu4(vld1q_f32(p.add(4 * i))));
            for (i, v) in v.into_iter().enumerate() {
                vst1q_f32(p.add(4 * i), v);
            }
        }
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mut t = padded16(rest, 0.0);
        // SAFETY: sixteen values of a local array.
        unsafe {
            let p = t.as_mut_ptr();
            let v: [float32x4_t; 4] = std::array::from_fn(|i| gelu4(vld1q_f32(p.add(4 * i))));
            for (i, v) in v.into_iter().enumerate() {
                vst1q_f32(p.add(4 * i), v);
            }
        }
        let n = rest.len();
        rest.copy_from_slice(&t[..n]);
    }
}

/// [`crate::cpu::math::layer_norm_impl`] on NEON, 16 values per step: the mean, the biased
/// variance around it, then `(x − mean)·(1/√(var + eps))·γ + β` with the last multiply-add fused
/// (the portable loop rounds it twice: results agree to an ulp or so, not bit for bit). The
/// compiled portable loops took 42 instructions per 8 values in the phone benchmark's binary.
///
/// # Safety
/// `x` and `out` must hold whole rows of `w` values (`out` at least as long as `x`), `gamma` and
/// `beta` `w` values.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn layer_norm(x: &[f32], w: usize, gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
    assert!(w > 0 && x.len().is_multiple_of(w) && out.len() >= x.len() && gamma.len() == w && beta.len() == w);
    let full = w / STEP * STEP;
    let n = w as f32;
    for (xr, or) in x.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        let mut acc = [vdupq_n_f32(0.0); 4];
        for i in (0..full).step_by(STEP) {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: i + 16 ≤ w, inside the row.
                *a = vaddq_f32(*a, unsafe { vld1q_f32(xr.as_ptr().add(i + 4 * j)) });
            }
        }
        let mut sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
        sum += xr[full..].iter().sum::<f32>();
        let mean = sum / n;
        let vmean = vdupq_n_f32(mean);
        let mut acc = [vdupq_n_f32(0.0); 4];
        for i in (0..full).step_by(STEP) {
            for (j, a) in acc.iter_mut().enumerate() {
                // SAFETY: as above.
                let d = vsubq_f32(unsafe { vld1q_f32(xr.as_ptr().add(i + 4 * j)) }, vmean);
                *a = vfmaq_f32(*a, d, d);
            }
        }
        let mut var = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
        var += xr[full..].iter().map(|&t| (t - mean) * (t - mean)).sum::<f32>();
        let inv = 1.0 / (var / n + eps).sqrt();
        let vinv = vdupq_n_f32(inv);
        for i in (0..full).step_by(4) {
            // SAFETY: i + 4 ≤ w: four values of the row, its output, γ and β.
            unsafe {
                let t = vmulq_f32(vsubq_f32(vld1q_f32(xr.as_ptr().add(i)), vmean), vinv);
                let y = vfmaq_f32(vld1q_f32(beta.as_ptr().add(i)), t, vld1q_f32(gamma.as_ptr().add(i)));
                vst1q_f32(or.as_mut_ptr().add(i), y);
            }
        }
        for i in full..w {
            or[i] = (xr[i] - mean) * inv * gamma[i] + beta[i];
        }
    }
}

/// The largest value of `row`; NaN when the row holds NaN (`FMAX` propagates it), −∞ when empty.
///
/// # Safety
/// None beyond the slice's own (the loads stay inside it).
#[target_feature(enable = "neon")]
#[inline]
unsafe fn row_max(row: &[f32]) -> f32 {
    let mut m = [vdupq_n_f32(f32::NEG_INFINITY); 4];
    let mut chunks = row.chunks_exact(STEP);
    for c in &mut chunks {
        for (i, m) in m.iter_mut().enumerate() {
            // SAFETY: four of the chunk's sixteen values.
            *m = vmaxq_f32(*m, unsafe { vld1q_f32(c.as_ptr().add(4 * i)) });
        }
    }
    let mut max = vmaxvq_f32(vmaxq_f32(vmaxq_f32(m[0], m[1]), vmaxq_f32(m[2], m[3])));
    for &v in chunks.remainder() {
        // `f32::max` would skip NaN.
        max = if v.is_nan() || max.is_nan() { f32::NAN } else { max.max(v) };
    }
    max
}

/// Sixteen values from `src` (the last `src.len() < 16` padded with `pad`).
#[inline(always)]
fn padded16(src: &[f32], pad: f32) -> [f32; STEP] {
    let mut t = [pad; STEP];
    t[..src.len()].copy_from_slice(src);
    t
}

/// [`crate::cpu::math::exp_shifted_impl`]: in place `row[i] = exp(row[i] − max(row))`, returning
/// the sum (NaN for a row with NaN or +∞).
///
/// # Safety
/// None beyond the slice's own; `unsafe` for the symmetry with the other tiers' builds.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn exp_shifted(row: &mut [f32]) -> f32 {
    if row.is_empty() {
        return 0.0;
    }
    // SAFETY: loads inside the row.
    let max = unsafe { row_max(row) };
    if !max.is_finite() {
        // As the portable loop: +∞ − +∞ and NaN make the sum NaN; so does a row of −∞ only.
        row.fill(f32::NAN);
        return f32::NAN;
    }
    let vmax = vdupq_n_f32(max);
    let mut acc = [vdupq_n_f32(0.0); 4];
    let mut chunks = row.chunks_exact_mut(STEP);
    for c in &mut chunks {
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: four of the chunk's sixteen values, read then written.
            unsafe {
                let p = c.as_mut_ptr().add(4 * i);
                let e = exp_nonpositive(vsubq_f32(vld1q_f32(p), vmax));
                *acc = vaddq_f32(*acc, e);
                vst1q_f32(p, e);
            }
        }
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        // Padding of −∞ adds exp(−87.3) ≈ 1e-38 per lane: nothing at f32 precision of a sum ≥ 1.
        let mut t = padded16(rest, f32::NEG_INFINITY);
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: four of the array's sixteen values.
            unsafe {
                let p = t.as_mut_ptr().add(4 * i);
                let e = exp_nonpositive(vsubq_f32(vld1q_f32(p), vmax));
                *acc = vaddq_f32(*acc, e);
                vst1q_f32(p, e);
            }
        }
        let n = rest.len();
        rest.copy_from_slice(&t[..n]);
    }
    vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])))
}

/// [`crate::cpu::attention`]'s interleaved-pair RoPE, scaled, on the pairs in whole groups of
/// four (`LD2`/`ST2` split and rejoin the pairs), each product, difference, sum and scaling rounded
/// separately like the portable loop's (no fused multiply-add), so the same bits. Returns how many
/// pairs it wrote (a multiple of four); the rest are the caller's portable loop's.
///
/// # Safety
/// `x` and `out` must hold `2·cos.len()` values and `sin` `cos.len()`.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn rope_pairs(x: &[f32], cos: &[f32], sin: &[f32], scale: f32, out: &mut [f32]) -> usize {
    let half = cos.len();
    assert!(x.len() == 2 * half && out.len() == 2 * half && sin.len() == half);
    let vs = vdupq_n_f32(scale);
    let full = half / 4 * 4;
    for i in (0..full).step_by(4) {
        // SAFETY: pairs i .. i + 4 ≤ half: 8 values of x and out, 4 of cos and sin.
        unsafe {
            let p = vld2q_f32(x.as_ptr().add(2 * i));
            let (c, s) = (vld1q_f32(cos.as_ptr().add(i)), vld1q_f32(sin.as_ptr().add(i)));
            let even = vmulq_f32(vsubq_f32(vmulq_f32(p.0, c), vmulq_f32(p.1, s)), vs);
            let odd = vmulq_f32(vaddq_f32(vmulq_f32(p.0, s), vmulq_f32(p.1, c)), vs);
            vst2q_f32(out.as_mut_ptr().add(2 * i), float32x4x2_t(even, odd));
        }
    }
    full
}

/// Sixteen `255·exp(x − max)` ([`exp255`]) rounded to nearest-even as `u8`, added to `acc`.
///
/// # Safety
/// `src` valid for reads of 16 values.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn exp_bytes16(src: *const f32, vmax: float32x4_t, acc: &mut uint32x4_t) -> uint8x16_t {
    // v ∈ [0, 255.03]: v + 2²³ rounds v to an integer, nearest-even (the default rounding mode,
    // as `FCVTNU` and the portable `round_ties_even`), into the low mantissa bits, so q ≤ 255 is
    // the low byte of the sum's bits: two `UZP1`s gather the bytes (instead of four saturating
    // narrows), and `UADALP` sums the 16-bit halves.
    let round = vdupq_n_f32(8_388_608.0);
    // SAFETY: the caller's 16 values.
    let q: [uint16x8_t; 4] = std::array::from_fn(|i| unsafe {
        vreinterpretq_u16_f32(vaddq_f32(exp255(vsubq_f32(vld1q_f32(src.add(4 * i)), vmax)), round))
    });
    let (lo, hi) = (vuzp1q_u16(q[0], q[1]), vuzp1q_u16(q[2], q[3]));
    *acc = vpadalq_u16(vpadalq_u16(*acc, lo), hi);
    vuzp1q_u8(vreinterpretq_u8_u16(lo), vreinterpretq_u8_u16(hi))
}

/// [`crate::cpu::math::exp_quantize_impl`]: `exp(row[i] − max)` in `u8` steps of 1/255 ([`exp255`]) into
/// `bytes[i]`, returning the sum of the bytes (NaN for a row with NaN or +∞; `bytes` then 0).
///
/// # Safety
/// `bytes` must be at least as long as `row`.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn exp_quantize(row: &[f32], bytes: &mut [u8]) -> f32 {
    assert!(bytes.len() >= row.len());
    // SAFETY: the row's bytes are `bytes`' first row.len() (only those are written).
    unsafe { exp_quantize_to(row, RowOut::Plain { ptr: bytes.as_mut_ptr(), end: row.len() }) }
}

/// [`exp_quantize`] into row `half` of a row pair in `SMMLA`'s layout
/// ([`crate::cpu::int8::QuantRows::paired`]): the same bytes, flipped to `u − 128`, and `u = 0`
/// past the row to the end of its lanes.
///
/// # Safety
/// `pair` must hold the pair's `2·⌈⌈len/4⌉/2⌉·2` lanes; `half < 2`.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn exp_quantize_paired(row: &[f32], pair: &mut [u32], half: usize) -> f32 {
    let end = 4 * row.len().div_ceil(4).next_multiple_of(2);
    assert!(2 * end == 4 * pair.len() && half < 2, "a row pair's lanes");
    // SAFETY: the row's slots are inside the pair (asserted), as in `quantize_row_paired`.
    unsafe { exp_quantize_to(row, RowOut::Paired { ptr: (pair.as_mut_ptr() as *mut u8).add(8 * half), end }) }
}

/// The numerators of [`exp_quantize`] written through `out`.
///
/// # Safety
/// `out`'s slots must be valid for writes to its end, which is at least `row.len()`.
#[target_feature(enable = "neon")]
unsafe fn exp_quantize_to(row: &[f32], out: RowOut) -> f32 {
    if row.is_empty() {
        // SAFETY: the caller's slots (padding only).
        unsafe { out.put_tail(0, &[]) };
        return 0.0;
    }
    // SAFETY: loads inside the row.
    let max = unsafe { row_max(row) };
    if !max.is_finite() {
        // SAFETY: the caller's slots, from byte 0 to the end.
        unsafe { out.put_tail(0, &[]) };
        return f32::NAN;
    }
    let vmax = vdupq_n_f32(max);
    let mut acc = vdupq_n_u32(0);
    let full = row.len() / STEP * STEP;
    // SAFETY: full ≤ the row's length and the end of the slots; i + 16 ≤ full.
    unsafe { out.put_each16(full, |i| exp_bytes16(row.as_ptr().add(i), vmax, &mut acc)) };
    // −∞ padding rounds to byte 0: it adds nothing to the sum.
    let t = padded16(&row[full..], f32::NEG_INFINITY);
    let mut b = [0u8; STEP];
    // SAFETY: 16 values and 16 bytes of local arrays; then from full to the end of the slots.
    unsafe {
        vst1q_u8(b.as_mut_ptr(), exp_bytes16(t.as_ptr(), vmax, &mut acc));
        out.put_tail(full, &b[..row.len() - full]);
    }
    vaddvq_u32(acc) as f32
}

/// Where a quantised row's bytes go: in order ([`RowOut::Plain`]), or as one row of a row pair in
/// `SMMLA`'s layout ([`RowOut::Paired`]: eight bytes every sixteen, each stored as `u − 128`).
#[derive(Clone, Copy)]
enum RowOut {
    /// Byte `i` at `ptr + i`; the row's lanes end at byte `end`.
    Plain { ptr: *mut u8, end: usize },
    /// Byte `i` at `ptr + 16·(i / 8) + i mod 8` (`ptr` = the pair's first byte + 8 for its second
    /// row), flipped; the row's slots end at byte `end` of the row (a multiple of 8).
    Paired { ptr: *mut u8, end: usize },
}

impl RowOut {
    /// Stores `f(i)` as the row's bytes `i .. i + 16` for `i = 0, 16, …` below `full`, in order:
    /// one loop per layout, so the layout is not tested again at every store.
    ///
    /// # Safety
    /// The row's slots must be valid for writes up to its `end`, `full ≤ end` a multiple of 16,
    /// and `f(i)` safe to call for those `i`.
    #[inline(always)]
    unsafe fn put_each16(self, full: usize, mut f: impl FnMut(usize) -> uint8x16_t) {
        match self {
            Self::Plain { ptr, .. } => {
                for i in (0..full).step_by(STEP) {
                    // SAFETY: i + 16 ≤ full ≤ end, inside the caller's slots.
                    unsafe { vst1q_u8(ptr.add(i), f(i)) };
                }
            }
            Self::Paired { ptr, .. } => {
                for i in (0..full).step_by(STEP) {
                    // SAFETY: the row's bytes i .. i + 16 ≤ end sit at 2·i .. 2·i + 8 and
                    // 2·i + 16 .. 2·i + 24 from ptr, inside the pair's slots.
                    unsafe {
                        let v = veorq_u8(f(i), vdupq_n_u8(0x80));
                        vst1_u8(ptr.add(2 * i), vget_low_u8(v));
                        vst1_u8(ptr.add(2 * i + 16), vget_high_u8(v));
                    }
                }
            }
        }
    }

    /// Writes `bytes` as the row's bytes from `i` on, and `u = 0` from there to the row's end.
    ///
    /// # Safety
    /// As [`RowOut::put16`], for bytes `i ..` to the end.
    unsafe fn put_tail(self, i: usize, bytes: &[u8]) {
        let (end, flip) = match self {
            Self::Plain { end, .. } => (end, 0),
            Self::Paired { end, .. } => (end, 0x80),
        };
        for j in i..end {
            let b = bytes.get(j - i).copied().unwrap_or(0) ^ flip;
            // SAFETY: j < end, inside the caller's slots.
            unsafe {
                match self {
                    Self::Plain { ptr, .. } => *ptr.add(j) = b,
                    Self::Paired { ptr, .. } => *ptr.add(16 * (j / 8) + j % 8) = b,
                }
            }
        }
    }
}

/// Sixteen values `v·inv + z` rounded to nearest-even and clamped to `0 ..= 255`, as bytes.
///
/// # Safety
/// `src` valid for reads of 16 values.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn quant_bytes16(src: *const f32, inv: float32x4_t, z: float32x4_t) -> uint8x16_t {
    // Multiply, then add (not fused): the portable version's rounding, so the same bytes.
    // `FCVTNU` saturates below at 0; `UQXTN` above at 65 535, then at 255.
    // SAFETY: the caller's 16 values.
    let q: [uint32x4_t; 4] =
        std::array::from_fn(|i| unsafe { vcvtnq_u32_f32(vaddq_f32(vmulq_f32(vld1q_f32(src.add(4 * i)), inv), z)) });
    let lo = vqmovn_high_u32(vqmovn_u32(q[0]), q[1]);
    let hi = vqmovn_high_u32(vqmovn_u32(q[2]), q[3]);
    vqmovn_high_u16(vqmovn_u16(lo), hi)
}

/// [`crate::cpu::int8::quantize_row_portable`]: one row to `u8` lanes with a zero point; returns
/// `(scale, zero point)` (NaN scale and zero bytes for a row with NaN or ±∞).
///
/// # Safety
/// `dst` must hold `⌈row.len()/4⌉` lanes.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn quantize_row(row: &[f32], dst: &mut [u32]) -> (f32, i32) {
    debug_assert_eq!(dst.len(), row.len().div_ceil(4));
    // SAFETY: the row's lanes are dst's (4·len bytes).
    unsafe { quantize_row_to(row, RowOut::Plain { ptr: dst.as_mut_ptr() as *mut u8, end: 4 * dst.len() }) }
}

/// [`quantize_row`] into row `half` of a row pair in `SMMLA`'s layout
/// ([`crate::cpu::int8::QuantRows::paired`]): the same bytes, flipped to `u − 128`.
///
/// # Safety
/// `pair` must hold the pair's `2·⌈⌈len/4⌉/2⌉·2` lanes; `half < 2`.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn quantize_row_paired(row: &[f32], pair: &mut [u32], half: usize) -> (f32, i32) {
    let end = 4 * row.len().div_ceil(4).next_multiple_of(2);
    assert!(2 * end == 4 * pair.len() && half < 2, "a row pair's lanes");
    // SAFETY: the row's slots are inside the pair (asserted): its last at 2·end − 16 + 8·half + 8.
    unsafe { quantize_row_to(row, RowOut::Paired { ptr: (pair.as_mut_ptr() as *mut u8).add(8 * half), end }) }
}

/// The quantiser of [`quantize_row`] writing through `out`.
///
/// # Safety
/// `out`'s slots must be valid for writes to its end, which is at least `row.len()`.
#[target_feature(enable = "neon")]
unsafe fn quantize_row_to(row: &[f32], out: RowOut) -> (f32, i32) {
    let len = row.len();
    // Bounds start at 0 (as the portable version's): the range always holds 0. FMIN/FMAX carry
    // NaN, and ±∞ make a bound infinite: either way the row is not finite.
    let zero = vdupq_n_f32(0.0);
    let (mut lo, mut hi) = ([zero; 4], [zero; 4]);
    let full = len / STEP * STEP;
    for i in (0..full).step_by(STEP) {
        for j in 0..4 {
            // SAFETY: i + 16 ≤ len.
            let v = unsafe { vld1q_f32(row.as_ptr().add(i + 4 * j)) };
            lo[j] = vminq_f32(lo[j], v);
            hi[j] = vmaxq_f32(hi[j], v);
        }
    }
    if full < len {
        // Zero padding changes neither bound.
        let t = padded16(&row[full..], 0.0);
        for j in 0..4 {
            // SAFETY: four of the array's sixteen values.
            let v = unsafe { vld1q_f32(t.as_ptr().add(4 * j)) };
            lo[j] = vminq_f32(lo[j], v);
            hi[j] = vmaxq_f32(hi[j], v);
        }
    }
    let lo = vminvq_f32(vminq_f32(vminq_f32(lo[0], lo[1]), vminq_f32(lo[2], lo[3])));
    let hi = vmaxvq_f32(vmaxq_f32(vmaxq_f32(hi[0], hi[1]), vmaxq_f32(hi[2], hi[3])));
    // FMIN/FMAX carried any NaN into the bounds: `finite` needs no separate test.
    let (s, inv, z) = match row_params(lo, hi, true) {
        Ok(p) => p,
        Err(zero) => {
            // SAFETY: the caller's slots, from byte 0 to the end.
            unsafe { out.put_tail(0, &[]) };
            return zero;
        }
    };
    let (vinv, vz) = (vdupq_n_f32(inv), vdupq_n_f32(z));
    // SAFETY: full ≤ len ≤ the end of the slots; the row's values at i, i + 16 ≤ full.
    unsafe { out.put_each16(full, |i| quant_bytes16(row.as_ptr().add(i), vinv, vz)) };
    if full < len {
        let t = padded16(&row[full..], 0.0);
        let mut b = [0u8; STEP];
        // SAFETY: 16 values of a local array, 16 bytes into another.
        unsafe { vst1q_u8(b.as_mut_ptr(), quant_bytes16(t.as_ptr(), vinv, vz)) };
        // The row's bytes, then zeros to the end of its lanes (they meet zero weights).
        // SAFETY: from full to the end of the caller's slots.
        unsafe { out.put_tail(full, &b[..len - full]) };
    } else {
        // SAFETY: as above (nothing but the padding past len).
        unsafe { out.put_tail(full, &[]) };
    }
    (s, z as i32)
}

/// [`crate::cpu::int8::QuantRows`]'s row scatter into the paired layout: the `u8` lanes `row` (an
/// even count) to row `half` of `pair` (`2·row.len()` lanes), eight bytes every sixteen, flipped.
///
/// # Safety
/// None beyond the slices' own (the lengths are checked).
#[target_feature(enable = "neon")]
pub(crate) unsafe fn scatter_paired(row: &[u32], pair: &mut [u32], half: usize) {
    assert!(row.len().is_multiple_of(2) && pair.len() == 2 * row.len() && half < 2, "a row pair's lanes");
    let (src, dst) = (row.as_ptr() as *const u8, (pair.as_mut_ptr() as *mut u8).wrapping_add(8 * half));
    let out = RowOut::Paired { ptr: dst, end: 4 * row.len() };
    let full = 4 * row.len() / STEP * STEP;
    // SAFETY: i + 16 ≤ full ≤ 4·row.len(), the row's bytes, and the pair's slots (asserted lengths).
    unsafe { out.put_each16(full, |i| vld1q_u8(src.add(i))) };
    if full < 4 * row.len() {
        // SAFETY: the row's last 8 bytes (an even lane count: 8 left), to the end of the slots.
        unsafe { out.put_tail(full, std::slice::from_raw_parts(src.add(full), 4 * row.len() - full)) };
    }
}

/// Sixteen values `round(v·inv)` clamped to `−127 ..= 127` (nearest-even, as the portable
/// quantisers; NaN gives 0 like their saturating cast, ±∞ the clamp). Returns the four `i32`
/// vectors (for sums) and the sixteen bytes.
///
/// # Safety
/// `src` valid for reads of 16 values.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn symmetric16(src: *const f32, inv: [float32x4_t; 4]) -> ([int32x4_t; 4], int8x16_t) {
    let (lo, hi) = (vdupq_n_s32(-127), vdupq_n_s32(127));
    // SAFETY: the caller's 16 values.
    let q: [int32x4_t; 4] = std::array::from_fn(|i| unsafe {
        vminq_s32(vmaxq_s32(vcvtnq_s32_f32(vmulq_f32(vld1q_f32(src.add(4 * i)), inv[i])), lo), hi)
    });
    let h0 = vqmovn_high_s32(vqmovn_s32(q[0]), q[1]);
    let h1 = vqmovn_high_s32(vqmovn_s32(q[2]), q[3]);
    (q, vqmovn_high_s16(vqmovn_s16(h0), h1))
}

/// The largest `|v|` of `row`, NaN skipped (as `f32::max`), at least 0.
#[target_feature(enable = "neon")]
#[inline]
fn abs_max(row: &[f32]) -> f32 {
    let mut m = [vdupq_n_f32(0.0); 4];
    let mut chunks = row.chunks_exact(STEP);
    for c in &mut chunks {
        for (i, m) in m.iter_mut().enumerate() {
            // SAFETY: four of the chunk's sixteen values. FMAXNM skips NaN.
            *m = vmaxnmq_f32(*m, vabsq_f32(unsafe { vld1q_f32(c.as_ptr().add(4 * i)) }));
        }
    }
    let v = vmaxnmvq_f32(vmaxnmq_f32(vmaxnmq_f32(m[0], m[1]), vmaxnmq_f32(m[2], m[3])));
    chunks.remainder().iter().fold(v, |m, x| m.max(x.abs()))
}

/// [`crate::cpu::int8::PackedI8::from_key_rows_portable`] (the same lanes, scales and sums):
/// `kᵀ` of attention, quantised per key, 16 values per step.
///
/// # Safety
/// `d` must be a multiple of 16 and `keys` hold `n·d` values.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn from_key_rows(keys: &[f32], n: usize, d: usize) -> PackedI8 {
    assert!(d.is_multiple_of(STEP) && keys.len() >= n * d);
    let kq = d / 4;
    let mut p = PackedI8::zeroed(d, n);
    for (t, row) in keys.chunks_exact(d.max(1)).take(n).enumerate() {
        let s = symmetric_scale(abs_max(row));
        let inv = [vdupq_n_f32(1.0 / s); 4];
        let mut sum = vdupq_n_s32(0);
        let base = ((t / PANEL) * kq) * PANEL + t % PANEL;
        for i in 0..d / STEP {
            // SAFETY: 16 values at 16i < d inside the row.
            let (q, bytes) = unsafe { symmetric16(row.as_ptr().add(STEP * i), inv) };
            sum = vaddq_s32(sum, vaddq_s32(vaddq_s32(q[0], q[1]), vaddq_s32(q[2], q[3])));
            // 16 values = lanes 4i .. 4i + 3 of this key's column, PANEL lanes apart.
            let lanes = vreinterpretq_u32_s8(bytes);
            for (j, lane) in [
                vgetq_lane_u32::<0>(lanes),
                vgetq_lane_u32::<1>(lanes),
                vgetq_lane_u32::<2>(lanes),
                vgetq_lane_u32::<3>(lanes),
            ]
            .into_iter()
            .enumerate()
            {
                p.data[base + (4 * i + j) * PANEL] = lane;
            }
        }
        (p.scale[t], p.colsum[t]) = (s, vaddvq_s32(sum));
    }
    p
}

/// [`crate::cpu::int8::PackedI8::from_value_rows_portable`] (the same lanes, scales and sums):
/// `v` of attention, quantised per channel, 16 channels × 4 tokens per step.
///
/// # Safety
/// `d` must be a multiple of 16 and `values` hold `n·d` values.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn from_value_rows(values: &[f32], n: usize, d: usize) -> PackedI8 {
    assert!(d.is_multiple_of(STEP) && values.len() >= n * d);
    let kq = n.div_ceil(4);
    let mut p = PackedI8::zeroed(n, d);
    let values = &values[..n * d];
    // Per-channel largest magnitude (NaN skipped), then 1/scale.
    let mut amax = vec![vdupq_n_f32(0.0); d / 4];
    for row in values.chunks_exact(d.max(1)) {
        for (c, m) in amax.iter_mut().enumerate() {
            // SAFETY: four values at 4c < d inside the row.
            *m = vmaxnmq_f32(*m, vabsq_f32(unsafe { vld1q_f32(row.as_ptr().add(4 * c)) }));
        }
    }
    let mut inv = vec![0f32; d];
    for (c, m) in amax.iter().enumerate() {
        let mut a = [0f32; 4];
        // SAFETY: four values into a four-value array.
        unsafe { vst1q_f32(a.as_mut_ptr(), *m) };
        for (j, a) in a.into_iter().enumerate() {
            let s = symmetric_scale(a);
            (p.scale[4 * c + j], inv[4 * c + j]) = (s, 1.0 / s);
        }
    }
    let mut sums = vec![vdupq_n_s32(0); d / 4];
    for tq in 0..kq {
        for g in 0..d / STEP {
            // SAFETY: 16 values at 16g < d of the vector.
            let iv: [float32x4_t; 4] =
                std::array::from_fn(|i| unsafe { vld1q_f32(inv.as_ptr().add(STEP * g + 4 * i)) });
            // Four tokens' bytes for channels 16g .. 16g + 16 (tokens past n are 0).
            let mut b = [vdupq_n_s8(0); 4];
            for (j, b) in b.iter_mut().enumerate() {
                let t = 4 * tq + j;
                if t < n {
                    // SAFETY: token t < n, channels 16g .. 16g + 16 ≤ d.
                    let (q, bytes) = unsafe { symmetric16(values.as_ptr().add(t * d + STEP * g), iv) };
                    for (i, q) in q.into_iter().enumerate() {
                        sums[4 * g + i] = vaddq_s32(sums[4 * g + i], q);
                    }
                    *b = bytes;
                }
            }
            // Interleave to lanes [t0, t1, t2, t3] per channel.
            let (l01, h01) = (vzip1q_s8(b[0], b[1]), vzip2q_s8(b[0], b[1]));
            let (l23, h23) = (vzip1q_s8(b[2], b[3]), vzip2q_s8(b[2], b[3]));
            let w = |x: int8x16_t| vreinterpretq_s16_s8(x);
            let lanes = [
                vzip1q_s16(w(l01), w(l23)),
                vzip2q_s16(w(l01), w(l23)),
                vzip1q_s16(w(h01), w(h23)),
                vzip2q_s16(w(h01), w(h23)),
            ];
            let c0 = STEP * g;
            let at = ((c0 / PANEL) * kq + tq) * PANEL + c0 % PANEL;
            let dst = &mut p.data[at..at + STEP];
            for (i, l) in lanes.into_iter().enumerate() {
                // SAFETY: four lanes at 4i < 16 of the 16-lane slice.
                unsafe { vst1q_u32(dst.as_mut_ptr().add(4 * i), vreinterpretq_u32_s16(l)) };
            }
        }
    }
    for (c, s) in sums.iter().enumerate() {
        // SAFETY: four sums at 4c < d ≤ the column sums' length.
        unsafe { vst1q_s32(p.colsum.as_mut_ptr().add(4 * c), *s) };
    }
    p
}
