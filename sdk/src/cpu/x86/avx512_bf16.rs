//! The bf16 kernel: 12 × 32 register tiles of `vdpbf16ps` (AVX512_BF16).

use std::arch::x86_64::*;

use super::avx512::{by_tiles, panel_masks, store_row};
use super::interpretable::dpbf16_ps;
use crate::cpu::bf16::{PackedBf16, PANEL};

/// Rows per register tile: 12 rows × 2 registers = 24 accumulators.
const MR: usize = 12;

/// `out[r·ldo + c] (+)= Σ_p a[r·kp + p] · w(p, c)` for `r < rows` over all panels of `w`.
///
/// # Safety
/// The CPU must have the AVX512_BF16 tier; `a` must hold `rows · kp` lanes with `kp = ⌈w.k/2⌉`,
/// and `out` be valid for reads and writes of `rows` rows (stride `ldo`) of `w.n` columns.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,avx512vnni,avx512bf16")]
pub(crate) unsafe fn rows(a: *const u32, rows: usize, kp: usize, w: &PackedBf16, out: *mut f32, ldo: usize, acc: bool) {
    let nb = w.n.div_ceil(PANEL);
    for b in 0..nb {
        let c0 = b * PANEL;
        let cols = PANEL.min(w.n - c0);
        // SAFETY: panel b lies inside the packed weights; each tile stays within `rows` rows.
        unsafe {
            let panel = w.data.as_ptr().add(b * kp * PANEL);
            by_tiles!(rows, MR, |r, R| tile::<R>(a.add(r * kp), kp, panel, out.add(r * ldo + c0), ldo, cols, acc));
        }
    }
}

/// One `R × 32` output tile over the whole k.
///
/// # Safety
/// As [`rows`], for `R` rows and one panel of `cols` valid columns.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,avx512vnni,avx512bf16")]
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
        // SAFETY: the panel holds kp rows of 32 lanes, row r of `a` kp lanes; the casts reinterpret
        // 16 lanes of bf16 pairs as the `__m512bh` the instruction takes (same size, any bits).
        unsafe {
            let b0: __m512bh = std::mem::transmute(_mm512_loadu_si512(panel.add(p * PANEL) as *const _));
            let b1: __m512bh = std::mem::transmute(_mm512_loadu_si512(panel.add(p * PANEL + 16) as *const _));
            for r in 0..R {
                let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(r * kp + p) as i32));
                c0[r] = dpbf16_ps(c0[r], av, b0);
                c1[r] = dpbf16_ps(c1[r], av, b1);
            }
        }
    }
    let masks = panel_masks(cols);
    for r in 0..R {
        // SAFETY: output row r holds the panel's `cols` valid columns.
        unsafe { store_row(out.add(r * ldo), masks, c0[r], c1[r], accumulate) };
    }
}
