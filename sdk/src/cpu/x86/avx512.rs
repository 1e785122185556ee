//! The [`crate::cpu::CpuTier::Avx512`] tier's element-wise functions: the portable code compiled
//! for AVX-512, hand-written softmax loops, and the masked tile store the matrix kernels share.

use std::arch::x86_64::*;

use super::build_for;
use super::interpretable::{floor_ps, maskz_cvtps_epi32, max_ps, scalef_ps};
use crate::cpu::math;

build_for!("avx512f,avx512bw,avx512vl,avx2,fma":
    gelu = math::gelu_impl, (x: &mut [f32]);
    softmax = math::softmax_impl, (row: &mut [f32]);
    layer_norm = math::layer_norm_impl, (x: &[f32], w: usize, gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]);
);

/// `exp(x)` on 16 lanes: the Cephes polynomial of [`math::exp_poly`], the exponent applied by
/// `vscalefps`. NaN lanes stay NaN (the lower clamp keeps its second operand, `x`, when `x` is NaN).
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn exp(x: __m512) -> __m512 {
    let x = max_ps(_mm512_set1_ps(-87.336_55), x);
    let fx = floor_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E), _mm512_set1_ps(0.5)));
    let r = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693_359_4), x);
    let r = _mm512_fmadd_ps(fx, _mm512_set1_ps(2.121_944_4e-4), r);
    let mut y = _mm512_set1_ps(1.987_569_1e-4);
    for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 5e-1] {
        y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(c));
    }
    y = _mm512_fmadd_ps(_mm512_mul_ps(y, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0)));
    scalef_ps(y, fx)
}

/// [`math::exp255`] on 16 lanes (`d ≤ 0`): the same operations, so the same values; `2^⌊t⌋` by
/// `vscalefps` (exact here: the result stays normal). NaN lanes stay NaN.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn exp255(d: __m512) -> __m512 {
    use math::E255;
    let t = max_ps(_mm512_set1_ps(-30.0), _mm512_mul_ps(d, _mm512_set1_ps(std::f32::consts::LOG2_E)));
    let fi = floor_ps(t);
    let f = _mm512_sub_ps(t, fi);
    let p = _mm512_fmadd_ps(_mm512_set1_ps(E255[3]), f, _mm512_set1_ps(E255[2]));
    let p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(E255[1]));
    let p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(E255[0]));
    scalef_ps(p, fi)
}

/// The lane mask of step `i` (16 values per step) over a row of `len` values.
#[inline(always)]
pub(crate) fn step_mask(len: usize, i: usize) -> __mmask16 {
    let left = len - i * 16;
    if left >= 16 {
        0xFFFF
    } else {
        ((1u32 << left) - 1) as u16
    }
}

/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn row_max(row: &[f32]) -> f32 {
    let low = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut m = low;
    for i in 0..row.len().div_ceil(16) {
        // SAFETY: step i starts inside the row (i·16 < len) and the mask covers only its values.
        let v = unsafe { _mm512_mask_loadu_ps(low, step_mask(row.len(), i), row.as_ptr().add(i * 16)) };
        m = max_ps(m, v);
    }
    _mm512_reduce_max_ps(m)
}

/// [`math::exp_shifted_impl`] by hand: in place `row[i] = exp(row[i] − max)`, returning the sum.
///
/// # Safety
/// The CPU must have the AVX-512 tier's features.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
pub(crate) unsafe fn exp_shifted(row: &mut [f32]) -> f32 {
    // SAFETY: same features.
    let max = _mm512_set1_ps(unsafe { row_max(row) });
    let mut acc = _mm512_setzero_ps();
    for i in 0..row.len().div_ceil(16) {
        let m = step_mask(row.len(), i);
        // SAFETY: step i starts inside the row; loads and stores are masked to its values.
        unsafe {
            let p = row.as_mut_ptr().add(i * 16);
            let e = exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p), max));
            acc = _mm512_mask_add_ps(acc, m, acc, e);
            _mm512_mask_storeu_ps(p, m, e);
        }
    }
    _mm512_reduce_add_ps(acc)
}

/// [`math::exp_quantize_impl`] by hand (identical bytes and sum; NaN sum for a row with NaN).
///
/// # Safety
/// The CPU must have the AVX-512 tier's features; `bytes` must be at least as long as `row`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
pub(crate) unsafe fn exp_quantize(row: &[f32], bytes: &mut [u8]) -> f32 {
    debug_assert!(bytes.len() >= row.len());
    // SAFETY: same features.
    let max = _mm512_set1_ps(unsafe { row_max(row) });
    let zero = _mm512_setzero_ps();
    let (mut acc, mut poison) = (_mm512_setzero_si512(), zero);
    for i in 0..row.len().div_ceil(16) {
        let m = step_mask(row.len(), i);
        // SAFETY: step i starts inside `row` and `bytes` (at least as long); masked accesses.
        unsafe {
            let e = exp255(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row.as_ptr().add(i * 16)), max));
            poison = _mm512_mask_add_ps(poison, m, poison, _mm512_mul_ps(e, zero));
            // Round to nearest even (MXCSR default); e ≤ 255.03, so q ≤ 255.
            let q = maskz_cvtps_epi32(m, e);
            acc = _mm512_add_epi32(acc, q);
            _mm_mask_storeu_epi8(bytes.as_mut_ptr().add(i * 16) as *mut i8, m, _mm512_cvtepi32_epi8(q));
        }
    }
    _mm512_reduce_add_epi32(acc) as f32 + _mm512_reduce_add_ps(poison)
}

/// Lane masks of the two registers of a 32-column panel with `cols` valid columns.
#[inline(always)]
pub(crate) fn panel_masks(cols: usize) -> (__mmask16, __mmask16) {
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

/// Loads the 32-wide bias of a panel (`cols` valid values), zero past them.
///
/// # Safety
/// The CPU must have AVX-512F; `b` must be valid for reads of `cols` floats.
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) unsafe fn load_panel_bias(b: *const f32, cols: usize) -> (__m512, __m512) {
    let (m0, m1) = panel_masks(cols);
    // SAFETY: masked loads read only the `cols` valid values; the second register's address is
    // formed with `wrapping_add` because for cols ≤ 16 it lies past the buffer (its mask is 0).
    unsafe { (_mm512_maskz_loadu_ps(m0, b), _mm512_maskz_loadu_ps(m1, b.wrapping_add(16))) }
}

/// Stores one 32-wide output row `o[..cols]` (masks from [`panel_masks`]), adding what it holds
/// when `accumulate`.
///
/// # Safety
/// The CPU must have AVX-512F; `o` must be valid for reads and writes of the masked columns.
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) unsafe fn store_row(
    o: *mut f32,
    (m0, m1): (__mmask16, __mmask16),
    v0: __m512,
    v1: __m512,
    accumulate: bool,
) {
    // The second half's address is past the row when cols ≤ 16 (mask 0: never accessed), so it
    // is formed with `wrapping_add`, which is defined for any offset.
    let o1 = o.wrapping_add(16);
    let (mut v0, mut v1) = (v0, v1);
    // SAFETY: masked accesses touch only the valid columns, which the caller guarantees.
    unsafe {
        if accumulate {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, o));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, o1));
        }
        _mm512_mask_storeu_ps(o, m0, v0);
        _mm512_mask_storeu_ps(o1, m1, v1);
    }
}

/// Calls `$body` with `$R` = 12, then 4, then 1 rows per tile over `$rows` (`$r` the first row).
macro_rules! by_tiles {
    ($rows:expr, $mr:expr, |$r:ident, $R:ident| $body:expr) => {{
        let mut $r = 0;
        while $r < $rows {
            let left = $rows - $r;
            if left >= $mr {
                const $R: usize = $mr;
                $body;
                $r += $R;
            } else if left >= 4 {
                const $R: usize = 4;
                $body;
                $r += $R;
            } else {
                const $R: usize = 1;
                $body;
                $r += $R;
            }
        }
    }};
}
pub(crate) use by_tiles;
