//! The int8 kernel (`vpdpbusd`, AVX512_VNNI) and the AVX-512 quantisers of its operands.

use std::arch::x86_64::*;

use super::avx512::{by_tiles, load_panel_bias, panel_masks, step_mask, store_row};
use super::interpretable::{cvtps_epi32, max_ps, min_ps};
use crate::cpu::int8::{row_params, symmetric_scale, PackedI8, QuantRows, PANEL};
use crate::cpu::packed_f32::Epilogue;

/// Rows per register tile: 12 rows × 2 registers = 24 accumulators.
const MR: usize = 12;

/// `1/s` and `s` of [`symmetric_scale`].
fn scales(amax: f32) -> (f32, f32) {
    let s = symmetric_scale(amax);
    (1.0 / s, s)
}

/// [`PackedI8::from_key_rows`], 16 values per step.
///
/// # Safety
/// The CPU must have the AVX-512 tier; `d` must be a multiple of 16 and `keys` hold `n·d` values.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
pub(crate) unsafe fn from_key_rows(keys: &[f32], n: usize, d: usize) -> PackedI8 {
    assert!(d.is_multiple_of(16) && keys.len() >= n * d);
    let kq = d / 4;
    let mut p = PackedI8::zeroed(d, n);
    let abs = _mm512_set1_epi32(0x7FFF_FFFF);
    let (lo, hi) = (_mm512_set1_epi32(-127), _mm512_set1_epi32(127));
    for t in 0..n {
        let row = &keys[t * d..][..d];
        let mut m = _mm512_setzero_ps();
        for i in 0..d / 16 {
            // SAFETY: 16 values at i·16 < d are inside the row.
            let v = unsafe { _mm512_loadu_ps(row.as_ptr().add(i * 16)) };
            m = max_ps(m, _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), abs)));
        }
        let (inv, s) = scales(_mm512_reduce_max_ps(m));
        let vinv = _mm512_set1_ps(inv);
        let mut sum = _mm512_setzero_si512();
        let base = ((t / PANEL) * kq) * PANEL + t % PANEL;
        for i in 0..d / 16 {
            // SAFETY: as above.
            let v = unsafe { _mm512_loadu_ps(row.as_ptr().add(i * 16)) };
            let q = cvtps_epi32(_mm512_mul_ps(v, vinv));
            let q = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
            sum = _mm512_add_epi32(sum, q);
            // 16 values = lanes 4i .. 4i+3 of this key's column.
            let mut lanes = [0u32; 4];
            // SAFETY: 16 bytes into a 16-byte array.
            unsafe { _mm_storeu_si128(lanes.as_mut_ptr() as *mut __m128i, _mm512_cvtepi32_epi8(q)) };
            for (j, lane) in lanes.into_iter().enumerate() {
                p.data[base + (4 * i + j) * PANEL] = lane;
            }
        }
        (p.scale[t], p.colsum[t]) = (s, _mm512_reduce_add_epi32(sum));
    }
    p
}

/// [`PackedI8::from_value_rows`], 16 channels × 4 tokens per step.
///
/// # Safety
/// The CPU must have the AVX-512 tier; `d` must be a multiple of 16 and `values` hold `n·d` values.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
pub(crate) unsafe fn from_value_rows(values: &[f32], n: usize, d: usize) -> PackedI8 {
    assert!(d.is_multiple_of(16) && values.len() >= n * d);
    let kq = n.div_ceil(4);
    let mut p = PackedI8::zeroed(n, d);
    let groups = d / 16;
    let abs = _mm512_set1_epi32(0x7FFF_FFFF);
    let load = |t: usize, g: usize| -> __m512 {
        // SAFETY: t < n and g·16 + 16 ≤ d, so 16 values inside `values` (asserted above); the
        // closure runs inside this function, which has the features.
        unsafe { _mm512_loadu_ps(values.as_ptr().add(t * d + g * 16)) }
    };
    let mut inv = vec![_mm512_setzero_ps(); groups];
    for (g, inv) in inv.iter_mut().enumerate() {
        let mut m = _mm512_setzero_ps();
        for t in 0..n {
            m = max_ps(m, _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(load(t, g)), abs)));
        }
        let mut amax = [0f32; 16];
        // SAFETY: 16 floats into a 16-float array.
        unsafe { _mm512_storeu_ps(amax.as_mut_ptr(), m) };
        let mut iv = [0f32; 16];
        for c in 0..16 {
            let (i, s) = scales(amax[c]);
            (iv[c], p.scale[g * 16 + c]) = (i, s);
        }
        // SAFETY: 16 floats from a 16-float array.
        *inv = unsafe { _mm512_loadu_ps(iv.as_ptr()) };
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
                    let v = _mm512_mul_ps(load(t, g), inv[g]);
                    let q = _mm512_min_epi32(_mm512_max_epi32(cvtps_epi32(v), lo), hi);
                    sums[g] = _mm512_add_epi32(sums[g], q);
                    *b = _mm512_cvtepi32_epi8(q);
                }
            }
            // Interleave to lanes [t0, t1, t2, t3] per channel.
            let (l01, h01) = (_mm_unpacklo_epi8(b[0], b[1]), _mm_unpackhi_epi8(b[0], b[1]));
            let (l23, h23) = (_mm_unpacklo_epi8(b[2], b[3]), _mm_unpackhi_epi8(b[2], b[3]));
            let c0 = g * 16;
            let at = ((c0 / PANEL) * kq + tq) * PANEL + c0 % PANEL;
            let dst = &mut p.data[at..][..16];
            // SAFETY: four 16-byte stores into 16 lanes (64 bytes) of `dst`.
            unsafe {
                let dst = dst.as_mut_ptr() as *mut __m128i;
                _mm_storeu_si128(dst, _mm_unpacklo_epi16(l01, l23));
                _mm_storeu_si128(dst.add(1), _mm_unpackhi_epi16(l01, l23));
                _mm_storeu_si128(dst.add(2), _mm_unpacklo_epi16(h01, h23));
                _mm_storeu_si128(dst.add(3), _mm_unpackhi_epi16(h01, h23));
            }
        }
    }
    for (g, sum) in sums.iter().enumerate() {
        // SAFETY: 16 sums into the 16 column sums of group g (colsum holds ⌈d/32⌉·32 ≥ d).
        unsafe { _mm512_storeu_si512(p.colsum[g * 16..][..16].as_mut_ptr() as *mut _, *sum) };
    }
    p
}

/// [`crate::cpu::int8::quantize_row_portable`], 16 values per step (the last step masked).
/// Rounding is to nearest even (the default MXCSR mode), like the portable version.
///
/// # Safety
/// The CPU must have the AVX-512 tier; `dst` must hold `⌈row.len()/4⌉` lanes.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
pub(crate) unsafe fn quantize_row(row: &[f32], dst: &mut [u32]) -> (f32, i32) {
    assert!(dst.len() == row.len().div_ceil(4));
    let len = row.len();
    let steps = len.div_ceil(16);
    let zero = _mm512_setzero_ps();
    let (mut lo, mut hi, mut poison) = (zero, zero, zero);
    for i in 0..steps {
        // Masked-off lanes load as 0, which changes neither bound (both start at 0).
        // SAFETY: step i starts inside the row; the mask covers only its values.
        let v = unsafe { _mm512_maskz_loadu_ps(step_mask(len, i), row.as_ptr().add(i * 16)) };
        lo = min_ps(lo, v);
        hi = max_ps(hi, v);
        poison = _mm512_add_ps(poison, _mm512_mul_ps(v, zero));
    }
    let (lo, hi, poison) = (_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), _mm512_reduce_add_ps(poison));
    let (s, inv, z) = match row_params(lo, hi, poison == 0.0) {
        Ok(p) => p,
        Err(zero) => {
            dst.fill(0);
            return zero;
        }
    };
    let (vinv, vz) = (_mm512_set1_ps(inv), _mm512_set1_ps(z));
    let (q_lo, q_hi) = (_mm512_setzero_si512(), _mm512_set1_epi32(255));
    // Padding bytes of the last lane must be 0 (they meet zero weights).
    if let Some(last) = dst.last_mut() {
        *last = 0;
    }
    let out = dst.as_mut_ptr() as *mut i8;
    for i in 0..steps {
        let m = step_mask(len, i);
        // SAFETY: step i starts inside the row and inside dst's bytes (4·⌈len/4⌉ ≥ len); masked.
        unsafe {
            let v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, row.as_ptr().add(i * 16)), vinv, vz);
            let q = _mm512_min_epi32(_mm512_max_epi32(cvtps_epi32(v), q_lo), q_hi);
            _mm_mask_storeu_epi8(out.add(i * 16), m, _mm512_cvtepi32_epi8(q));
        }
    }
    (s, z as i32)
}

/// The int8 product for rows `r0 .. r0 + rows` of `a` and panels `p0 .. p0 + panels` of `w`,
/// dequantised into `out` (row `r0`'s first element at `out`).
///
/// # Safety
/// The CPU must have the AVX512_VNNI tier. `a` and `w` must be consistent (`a.kq = ⌈w.k/4⌉`, `a`
/// holding the rows, `w` the panels with their scales and sums); `out` must be valid for reads and
/// writes of `rows` rows (stride `ldo`) at the panels' columns below `w.n`; a bias holds `w.n`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,avx512vnni")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn block(
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
        let c0 = b * PANEL;
        let cols = PANEL.min(w.n - c0);
        // SAFETY: the caller's contract covers the panel, its scales and sums, the bias at c0 and
        // the output rows; each tile stays within the rows handed over.
        unsafe {
            let panel = w.data.as_ptr().add(b * kq * PANEL);
            let bias = ep.bias.map(|v| v.as_ptr().add(c0));
            let (ws, wsum) = (w.scale.as_ptr().add(c0), w.colsum.as_ptr().add(c0));
            by_tiles!(rows, MR, |r, R| {
                let row = r0 + r;
                tile::<R>(
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
}

/// One `R × 32` int8 output tile over all `kq` lanes (activation row stride `kq`), dequantised.
///
/// # Safety
/// As [`block`], for `R` rows and one panel (whose 32 scales and sums are stored, zero past `n`).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,avx512vnni")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const R: usize>(
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
        // SAFETY: the panel holds kq rows of 32 lanes; row r of `a` holds kq lanes.
        unsafe {
            let b0 = _mm512_loadu_si512(panel.add(p * PANEL) as *const _);
            let b1 = _mm512_loadu_si512(panel.add(p * PANEL + 16) as *const _);
            for r in 0..R {
                let av = _mm512_set1_epi32(*a.add(r * kq + p) as i32);
                c0[r] = _mm512_dpbusd_epi32(c0[r], av, b0);
                c1[r] = _mm512_dpbusd_epi32(c1[r], av, b1);
            }
        }
    }
    let masks = panel_masks(cols);
    // SAFETY: scales and sums are stored for whole panels (zero past n), so plain loads of 32 are
    // in bounds; the bias holds the panel's `cols` values; R row scales/zero points exist.
    unsafe {
        let (s0, s1) = (_mm512_loadu_ps(col_scale), _mm512_loadu_ps(col_scale.add(16)));
        let (q0, q1) = (_mm512_loadu_si512(col_sum as *const _), _mm512_loadu_si512(col_sum.add(16) as *const _));
        let (bias0, bias1) = match bias {
            Some(b) => load_panel_bias(b, cols),
            None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
        };
        for r in 0..R {
            let z = _mm512_set1_epi32(*row_zero.add(r));
            let s = _mm512_set1_ps(*row_scale.add(r));
            let i0 = _mm512_sub_epi32(c0[r], _mm512_mullo_epi32(z, q0));
            let i1 = _mm512_sub_epi32(c1[r], _mm512_mullo_epi32(z, q1));
            let v0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i0), _mm512_mul_ps(s, s0), bias0);
            let v1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i1), _mm512_mul_ps(s, s1), bias1);
            store_row(out.add(r * ldo), masks, v0, v1, accumulate);
        }
    }
}
