//! The packed f32 kernel on NEON: 6 × 16 register tiles over the whole `k` (24 accumulators of
//! the 32 vector registers), four activations of a row loaded at once and used by element
//! (`FMLA v.4s, v.4s, v.s[i]`), so each step of four `k` costs 6 activation loads, 16 weight loads
//! and 96 `FMLA`s.
//!
//! The weights are the x86 layout ([`PackedF32`]: 32-column panels); a panel is two 16-column
//! halves here.

use std::arch::aarch64::*;

use super::{by_tiles, load_bias16, store16};
use crate::cpu::packed_f32::{Epilogue, PackedF32, PANEL};

/// Rows per register tile.
const MR: usize = 6;

/// `out[r·ldo + c] = [out +] Σ_p a[r·lda + p] · w(p, c) [+ bias]` for `r < rows` and the columns
/// of panels `p0 .. p0 + panels`.
///
/// # Safety
/// `a` must be valid for reads of `rows` rows of `w.k` values (stride `lda`), `out` for reads and
/// writes of `rows` rows (stride `ldo`) at the panels' columns below `w.n`, the panels must exist in
/// `w`, and a bias must hold `w.n` values.
#[target_feature(enable = "neon")]
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
        for half in 0..2 {
            let c0 = b * PANEL + half * 16;
            if c0 >= w.n {
                break;
            }
            let cols = 16.min(w.n - c0);
            // SAFETY: panel b lies inside the packed buffer (its padding columns are zero, so the
            // whole half is readable), column c0 inside the bias and the output rows (caller's
            // contract); each tile stays within the `rows` rows handed over.
            unsafe {
                let panel = w.data.as_ptr().add(b * k * PANEL + half * 16);
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
}

/// One `R × 16` output tile over the whole `k` (`panel` = the half-panel's first column, row
/// stride [`PANEL`]).
///
/// # Safety
/// As [`block`], for `R` rows and one half-panel of `cols` valid columns.
#[target_feature(enable = "neon")]
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
    let mut acc = [[vdupq_n_f32(0.0); 4]; R];
    // One `k` step with the activations' lane `$l`: the four weight vectors of row `$p`, each
    // used by every row before the next is loaded (so one or two are live at a time).
    macro_rules! step {
        ($av:expr, $p:expr, $l:literal) => {
            for c in 0..4 {
                // SAFETY: row $p < k of the half-panel holds 16 values.
                let b = unsafe { vld1q_f32(panel.add($p * PANEL + 4 * c)) };
                for r in 0..R {
                    acc[r][c] = vfmaq_laneq_f32::<$l>(acc[r][c], b, $av[r]);
                }
            }
        };
    }
    let mut p = 0;
    while p + 4 <= k {
        // SAFETY: values p .. p + 4 ≤ k of each of the R rows.
        let av: [float32x4_t; R] = std::array::from_fn(|r| unsafe { vld1q_f32(a.add(r * lda + p)) });
        step!(av, p, 0);
        step!(av, p + 1, 1);
        step!(av, p + 2, 2);
        step!(av, p + 3, 3);
        p += 4;
    }
    while p < k {
        // SAFETY: value p < k of each row.
        let av: [float32x4_t; R] = std::array::from_fn(|r| unsafe { vld1q_dup_f32(a.add(r * lda + p)) });
        step!(av, p, 0);
        p += 1;
    }
    // SAFETY: the bias holds the half-panel's `cols` values.
    let bias = unsafe { load_bias16(bias, cols) };
    for (r, acc) in acc.iter().enumerate() {
        let v = std::array::from_fn(|c| vaddq_f32(acc[c], bias[c]));
        // SAFETY: output row r holds the half-panel's `cols` columns.
        unsafe { store16(out.add(r * ldo), v, cols, accumulate) };
    }
}
