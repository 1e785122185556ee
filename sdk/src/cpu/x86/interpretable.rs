//! The AVX-512 instructions Miri cannot interpret, behind functions Miri can run.
//!
//! CI runs the kernel tests under Miri with every AVX-512 feature enabled (`.ci/run`, stage
//! "miri"), so the hand-written kernels' pointer arithmetic, masked loads and stores and the
//! attention tasks' shared-row writes are checked for undefined behaviour — not only the portable
//! code. Miri interprets most of the intrinsics the kernels use (masked loads and stores, FMA,
//! `vpdpbusd`, reductions) but not these seven. Natively each function here *is* the intrinsic;
//! under `cfg(miri)` it is a lane-by-lane definition of the instruction on the values the kernels
//! give it (round-to-nearest-even conversion, floor, power-of-two scaling, bf16 pair products, and
//! max/min with the instruction's NaN rule).
//! The instructions' numerics are tested natively, against naive definitions, by the property
//! tests and the parity tests; Miri's job is memory and aliasing.

use std::arch::x86_64::*;

// Each function carries its instruction's `target_feature`, so it is safe to call exactly from
// code compiled with that feature (the kernels), and `unsafe` from anywhere else.

/// `vmaxps`: per lane `a > b ? a : b`, so a NaN in either operand gives `b`: [`_mm512_max_ps`].
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn max_ps(a: __m512, b: __m512) -> __m512 {
    #[cfg(not(miri))]
    {
        _mm512_max_ps(a, b)
    }
    #[cfg(miri)]
    {
        let (a, b) = (f32s(a), f32s(b));
        ps(std::array::from_fn(|i| if a[i] > b[i] { a[i] } else { b[i] }))
    }
}

/// `vminps`: per lane `a < b ? a : b`, so a NaN in either operand gives `b`: [`_mm512_min_ps`].
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn min_ps(a: __m512, b: __m512) -> __m512 {
    #[cfg(not(miri))]
    {
        _mm512_min_ps(a, b)
    }
    #[cfg(miri)]
    {
        let (a, b) = (f32s(a), f32s(b));
        ps(std::array::from_fn(|i| if a[i] < b[i] { a[i] } else { b[i] }))
    }
}

/// `vcvtps2dq` with the default rounding (nearest, ties to even): [`_mm512_cvtps_epi32`].
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn cvtps_epi32(v: __m512) -> __m512i {
    #[cfg(not(miri))]
    {
        _mm512_cvtps_epi32(v)
    }
    #[cfg(miri)]
    {
        maskz_cvtps_epi32(u16::MAX, v)
    }
}

/// [`cvtps_epi32`] with lanes outside `m` zeroed: [`_mm512_maskz_cvtps_epi32`].
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn maskz_cvtps_epi32(m: __mmask16, v: __m512) -> __m512i {
    #[cfg(not(miri))]
    {
        _mm512_maskz_cvtps_epi32(m, v)
    }
    #[cfg(miri)]
    {
        let x: [f32; 16] = f32s(v);
        let out: [i32; 16] = std::array::from_fn(|i| {
            let x = x[i];
            if m >> i & 1 == 0 {
                0
            } else if x.is_nan() || !(-2_147_483_648.0..2_147_483_648.0).contains(&x) {
                i32::MIN // the instruction's "integer indefinite"
            } else {
                x.round_ties_even() as i32
            }
        });
        // SAFETY: [i32; 16] and __m512i are the same 64 bytes, any bits valid.
        unsafe { std::mem::transmute::<[i32; 16], __m512i>(out) }
    }
}

/// `floor(x)` per lane, NaN kept: `_mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>`.
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn floor_ps(x: __m512) -> __m512 {
    #[cfg(not(miri))]
    {
        _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(x)
    }
    #[cfg(miri)]
    {
        ps(f32s(x).map(f32::floor))
    }
}

/// `y · 2^floor(e)` per lane: [`_mm512_scalef_ps`] (one rounding; NaN in either operand → NaN).
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn scalef_ps(y: __m512, e: __m512) -> __m512 {
    #[cfg(not(miri))]
    {
        _mm512_scalef_ps(y, e)
    }
    #[cfg(miri)]
    {
        let (y, e) = (f32s(y), f32s(e));
        // y · 2^k is exact in f64 for |k| ≤ 2000 (beyond that f32 is 0 or ∞ either way); the one
        // rounding is the cast to f32, as in the instruction.
        ps(std::array::from_fn(|i| {
            let k = e[i].floor().clamp(-2000.0, 2000.0);
            if e[i].is_nan() {
                f32::NAN
            } else {
                (y[i] as f64 * 2f64.powi(k as i32)) as f32
            }
        }))
    }
}

/// `acc + (a₁b₁ + a₀b₀)` per lane over bf16 pairs: [`_mm512_dpbf16_ps`].
#[target_feature(enable = "avx512bf16,avx512f")]
#[inline]
pub(crate) fn dpbf16_ps(acc: __m512, a: __m512bh, b: __m512bh) -> __m512 {
    #[cfg(not(miri))]
    {
        _mm512_dpbf16_ps(acc, a, b)
    }
    #[cfg(miri)]
    {
        // SAFETY: __m512bh is 32 bf16 lanes in 64 bytes, any bits valid as u16.
        let (a, b) =
            unsafe { (std::mem::transmute::<__m512bh, [u16; 32]>(a), std::mem::transmute::<__m512bh, [u16; 32]>(b)) };
        let bf = |h: u16| f32::from_bits((h as u32) << 16);
        let acc = f32s(acc);
        // bf16 × bf16 is exact in f32; the sum in the instruction's order (it also flushes
        // denormals, which this does not).
        ps(std::array::from_fn(|i| {
            let (p0, p1) = (bf(a[2 * i]) * bf(b[2 * i]), bf(a[2 * i + 1]) * bf(b[2 * i + 1]));
            acc[i] + (p1 + p0)
        }))
    }
}

#[cfg(miri)]
fn f32s(v: __m512) -> [f32; 16] {
    // SAFETY: __m512 and [f32; 16] are the same 64 bytes, any bits valid.
    unsafe { std::mem::transmute::<__m512, [f32; 16]>(v) }
}

#[cfg(miri)]
fn ps(x: [f32; 16]) -> __m512 {
    // SAFETY: as in `f32s`.
    unsafe { std::mem::transmute::<[f32; 16], __m512>(x) }
}
