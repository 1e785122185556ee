//! The packed f32 kernel: 12 × 32 register tiles over the whole `k`, `vfmadd231ps`.

use std::arch::x86_64::*;

use super::avx512::{by_tiles, load_panel_bias, panel_masks, store_row};
use crate::cpu::packed_f32::{Epilogue, PackedF32, PANEL};

/// Rows per register tile: 12 rows × 2 registers = 24 accumulators.
const MR: usize = 12;

/// `out[r·ldo + c] = [out +] Σ_p a[r·lda + p] · w(p, c) [+ bias]` for `r < rows` and the columns
/// of panels `p0 .. p0 + panels`.
///
/// # Safety
/// The CPU must have the AVX-512 tier. `a` must be valid for reads of `rows` rows of `w.k` values
/// (stride `lda`), `out` for reads and writes of `rows` rows (stride `ldo`) at the panels'
/// columns below `w.n`, the panels must exist in `w`, and a bias must hold `w.n` values.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn block(
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
        let c0 = b * PANEL;
        let cols = PANEL.min(w.n - c0);
        // SAFETY: panel b lies inside the packed buffer and column c0 inside the bias and out rows
        // (caller's contract); each tile stays within the `rows` rows handed over.
        unsafe {
            let panel = w.data.as_ptr().add(b * k * PANEL);
            let bias = ep.bias.map(|v| v.as_ptr().add(c0));
            by_tiles!(rows, MR, |r, R| tile::<R>(
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
}

/// One `R × 32` output tile over the whole `k`, activations read in place (row stride `lda`).
/// (Copying the activations to a `[k/16][R][16]` layout first, so every broadcast has a constant
/// offset, measured no faster here.)
///
/// # Safety
/// As [`block`], for `R` rows and one panel of `cols` valid columns.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const R: usize>(
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
        // SAFETY: the panel holds k rows of 32 values; row r of `a` holds k values.
        unsafe {
            let b0 = _mm512_loadu_ps(panel.add(p * PANEL));
            let b1 = _mm512_loadu_ps(panel.add(p * PANEL + 16));
            for r in 0..R {
                let av = _mm512_set1_ps(*a.add(r * lda + p));
                c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
                c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
            }
        }
    }
    let masks = panel_masks(cols);
    let (bias0, bias1) = match bias {
        // SAFETY: the bias holds the panel's `cols` valid values.
        Some(b) => unsafe { load_panel_bias(b, cols) },
        None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
    };
    for r in 0..R {
        let (v0, v1) = (_mm512_add_ps(c0[r], bias0), _mm512_add_ps(c1[r], bias1));
        // SAFETY: output row r holds the panel's `cols` valid columns.
        unsafe { store_row(out.add(r * ldo), masks, v0, v1, accumulate) };
    }
}
