//! The int8 kernels on NEON: `SDOT` (FEAT_DotProd) and `SMMLA` (FEAT_I8MM).
//!
//! Both are signed × signed, while pelabel's activations are `u8` with a zero point (the x86
//! `vpdpbusd` scheme, [`crate::cpu::int8`]). Flipping the top bit of a `u8` is `u − 128` as an
//! `i8`, so the kernels sum `(u − 128)·q` and the epilogue restores
//! `Σ u·q − z·Σ q = Σ (u − 128)·q + (128 − z)·Σ q` — the same integers as the x86 kernel, exact in
//! `i32` for `k < 66 000` (`|Σ| ≤ 255 · 127 · k`).
//!
//! - `SDOT v.4s, w.16b, a.4b[i]`: four columns × four `k` of weights (one lane of the packed
//!   layout each) against four `k` of one row: 6 × 16 tiles, 24 accumulators.
//! - `SMMLA v.4s, a.16b, w.16b`: a 2 × 8 block of two rows against a 2 × 8 block of two columns
//!   (twice `SDOT`'s multiply-adds per instruction). The weights keep the `SDOT` layout; two
//!   `ZIP`s turn two of its lanes of four columns into the two 2 × 8 column blocks.

use std::arch::aarch64::*;
use std::arch::asm;

use super::{by_tiles, load_bias16, store16};
use crate::cpu::int8::{PackedI8, QuantRows, PANEL};
use crate::cpu::packed_f32::Epilogue;

/// Rows per register tile (`SDOT`: 6 rows × 4 vectors; `SMMLA`: 3 row pairs × 8 vectors).
const MR: usize = 6;

/// `acc += Σ_{j<4} w[4c + j] · a[4·$l + j]` per lane `c`: `SDOT` by element.
macro_rules! sdot_lane {
    ($acc:expr, $w:expr, $a:expr, $l:literal) => {
        // SAFETY: one register-only instruction of the FEAT_DotProd tier, which the enclosing
        // `target_feature` function's caller guarantees.
        unsafe {
            asm!(
                concat!("sdot {0:v}.4s, {1:v}.16b, {2:v}.4b[", $l, "]"),
                inout(vreg) $acc,
                in(vreg) $w,
                in(vreg) $a,
                options(pure, nomem, nostack, preserves_flags)
            )
        }
    };
}

/// `acc (2 × 2) += a (2 × 8) · wᵀ (8 × 2)`: `SMMLA`.
macro_rules! smmla {
    ($acc:expr, $a:expr, $w:expr) => {
        // SAFETY: one register-only instruction of the FEAT_I8MM tier, which the enclosing
        // `target_feature` function's caller guarantees.
        unsafe {
            asm!(
                "smmla {0:v}.4s, {1:v}.16b, {2:v}.16b",
                inout(vreg) $acc,
                in(vreg) $a,
                in(vreg) $w,
                options(pure, nomem, nostack, preserves_flags)
            )
        }
    };
}

/// Which instruction a block runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// `SDOT` (the `NeonDotprod` tier).
    Sdot,
    /// `SMMLA` (the `NeonI8mm` tier).
    Smmla,
}

/// `u8` bytes as `u − 128` in `i8`.
#[target_feature(enable = "neon")]
#[inline]
fn to_signed(v: uint8x16_t) -> int8x16_t {
    vreinterpretq_s8_u8(veorq_u8(v, vdupq_n_u8(0x80)))
}

/// The int8 product for rows `r0 .. r0 + rows` of `a` and panels `p0 .. p0 + panels` of `w`,
/// dequantised into `out` (row `r0`'s first element at `out`).
///
/// # Safety
/// The CPU must have FEAT_DotProd, and FEAT_I8MM for [`Kernel::Smmla`]. `a` and `w` must be
/// consistent (`a.kq = ⌈w.k/4⌉`, `a` holding the rows, `w` the panels with their scales and sums);
/// `out` must be valid for reads and writes of `rows` rows (stride `ldo`) at the panels' columns
/// below `w.n`; a bias holds `w.n`.
///
/// (No `target_feature` here: the tiles carry their own, so a `Sdot` block never runs code
/// compiled for FEAT_I8MM.)
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn block(
    kernel: Kernel,
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
        for half in 0..2 {
            let c0 = b * PANEL + half * 16;
            if c0 >= w.n {
                break;
            }
            let cols = 16.min(w.n - c0);
            // SAFETY: the caller's contract covers the panel (whole, zero past n), its scales and
            // sums (stored for whole panels), the bias at c0 and the output rows; each tile stays
            // within the rows handed over.
            unsafe {
                let panel = w.data.as_ptr().add(b * kq * PANEL + half * 16);
                let cs = Cols {
                    scale: w.scale.as_ptr().add(c0),
                    sum: w.colsum.as_ptr().add(c0),
                    bias: ep.bias.map(|v| v.as_ptr().add(c0)),
                    cols,
                };
                by_tiles!(rows, MR, |r, R| {
                    let row = r0 + r;
                    let rs = (a.scale.as_ptr().add(row), a.zero.as_ptr().add(row));
                    let (src, dst) = (a.data.as_ptr().add(row * kq), out.add(r * ldo + c0));
                    match kernel {
                        Kernel::Sdot => sdot_tile::<R>(src, kq, panel, rs, cs, dst, ldo, ep.accumulate),
                        Kernel::Smmla => smmla_tile::<R>(src, kq, panel, rs, cs, dst, ldo, ep.accumulate),
                    }
                });
            }
        }
    }
}

/// A half-panel's column data: 16 scales and sums (zero past `n`), the bias, the valid columns.
#[derive(Clone, Copy)]
struct Cols {
    scale: *const f32,
    sum: *const i32,
    bias: Option<*const f32>,
    cols: usize,
}

/// Dequantises and stores `R` rows of 16 `i32` sums: `s_r·s_c·(acc + (128 − z_r)·Σ_c) + bias`.
///
/// # Safety
/// `cs` as [`Cols`] says; `rs` points at `R` row scales and zero points; `out` holds `R` rows
/// (stride `ldo`) of `cs.cols` values.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn finish<const R: usize>(
    acc: &[[int32x4_t; 4]; R],
    (row_scale, row_zero): (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    // SAFETY: 16 scales and sums are stored per half-panel; the bias holds `cols` values.
    let (scale, sum, bias) = unsafe {
        (
            std::array::from_fn::<_, 4, _>(|c| vld1q_f32(cs.scale.add(4 * c))),
            std::array::from_fn::<_, 4, _>(|c| vld1q_s32(cs.sum.add(4 * c))),
            load_bias16(cs.bias, cs.cols),
        )
    };
    for (r, acc) in acc.iter().enumerate() {
        // SAFETY: R row scales and zero points.
        let (s, z) = unsafe { (*row_scale.add(r), *row_zero.add(r)) };
        let shift = vdupq_n_s32(128 - z);
        let v = std::array::from_fn(|c| {
            let i = vmlaq_s32(acc[c], shift, sum[c]);
            vfmaq_f32(bias[c], vcvtq_f32_s32(i), vmulq_n_f32(scale[c], s))
        });
        // SAFETY: output row r holds `cols` columns.
        unsafe { store16(out.add(r * ldo), v, cs.cols, accumulate) };
    }
}

/// One `R × 16` tile on `SDOT` over all `kq` lanes (activation row stride `kq` lanes).
///
/// # Safety
/// As [`block`] (FEAT_DotProd), for `R` rows and one half-panel.
#[target_feature(enable = "neon,dotprod")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn sdot_tile<const R: usize>(
    a: *const u32,
    kq: usize,
    panel: *const u32,
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    let mut acc = [[vdupq_n_s32(0); 4]; R];
    macro_rules! step {
        ($av:expr, $t:expr, $l:literal) => {
            for c in 0..4 {
                // SAFETY: lane row $t < kq of the half-panel holds 16 lanes.
                let w = unsafe { vld1q_s8(panel.add($t * PANEL + 4 * c) as *const i8) };
                for r in 0..R {
                    sdot_lane!(acc[r][c], w, $av[r], $l);
                }
            }
        };
    }
    let mut t = 0;
    while t + 4 <= kq {
        // SAFETY: lanes t .. t + 4 ≤ kq of each of the R rows.
        let av: [int8x16_t; R] =
            std::array::from_fn(|r| to_signed(unsafe { vld1q_u8(a.add(r * kq + t) as *const u8) }));
        step!(av, t, 0);
        step!(av, t + 1, 1);
        step!(av, t + 2, 2);
        step!(av, t + 3, 3);
        t += 4;
    }
    while t < kq {
        // SAFETY: lane t < kq of each row.
        let av: [int8x16_t; R] =
            std::array::from_fn(|r| to_signed(vreinterpretq_u8_u32(vdupq_n_u32(unsafe { *a.add(r * kq + t) }))));
        step!(av, t, 0);
        t += 1;
    }
    // SAFETY: the caller's contract.
    unsafe { finish::<R>(&acc, rs, cs, out, ldo, accumulate) };
}

/// One `R × 16` tile on `SMMLA` over all `kq` lanes, two rows per block (an odd last row is
/// computed twice and stored once).
///
/// # Safety
/// As [`block`] (FEAT_I8MM), for `R` rows and one half-panel.
#[target_feature(enable = "neon,dotprod,i8mm")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn smmla_tile<const R: usize>(
    a: *const u32,
    kq: usize,
    panel: *const u32,
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    // Pair i holds rows 2i and min(2i + 1, R − 1); acc[i][j] = their 2 × 2 block with columns
    // 2j, 2j + 1. Only the first ⌈R/2⌉ pairs are used.
    let mut acc = [[vdupq_n_s32(0); 8]; 3];
    let pairs = R.div_ceil(2);
    // One step of eight `k` (lanes t, t + 1), or of the last lane alone when `$whole` is false
    // (a literal, so the main loop carries no test of it).
    macro_rules! step {
        ($t:expr, $whole:literal) => {{
            let (t, whole) = ($t, $whole);
            // Rows 2i and 2i + 1, eight `k` (two lanes) each; past kq the lane is 0 (it meets zero
            // weights below). (A loop, not a closure: the closure was not inlined.)
            let mut av = [vdupq_n_s8(0); 3];
            for (i, av) in av.iter_mut().enumerate().take(pairs) {
                let (r0, r1) = (a.wrapping_add(2 * i * kq), a.wrapping_add((2 * i + 1).min(R - 1) * kq));
                // SAFETY: lanes t (and t + 1 when whole) < kq of rows < R.
                let (lo, hi) = unsafe {
                    if whole {
                        (vld1_u8(r0.add(t) as *const u8), vld1_u8(r1.add(t) as *const u8))
                    } else {
                        (vreinterpret_u8_u32(vdup_n_u32(*r0.add(t))), vreinterpret_u8_u32(vdup_n_u32(*r1.add(t))))
                    }
                };
                *av = to_signed(vcombine_u8(lo, hi));
            }
            for g in 0..4 {
                // Lanes t and t + 1 of columns 4g .. 4g + 4; zipped to columns (4g, 4g+1), (4g+2, 4g+3).
                // SAFETY: lane rows < kq of the half-panel hold 16 lanes.
                let (l0, l1) = unsafe {
                    let l0 = vld1q_u32(panel.add(t * PANEL + 4 * g));
                    let l1 = if whole { vld1q_u32(panel.add((t + 1) * PANEL + 4 * g)) } else { vdupq_n_u32(0) };
                    (l0, l1)
                };
                let (w0, w1) = (vreinterpretq_s8_u32(vzip1q_u32(l0, l1)), vreinterpretq_s8_u32(vzip2q_u32(l0, l1)));
                for i in 0..pairs {
                    smmla!(acc[i][2 * g], av[i], w0);
                    smmla!(acc[i][2 * g + 1], av[i], w1);
                }
            }
        }};
    }
    let mut t = 0;
    while t + 2 <= kq {
        step!(t, true);
        t += 2;
    }
    if t < kq {
        step!(t, false);
    }
    // Back to rows: row 2i's columns 4g .. 4g + 4 are the low halves of blocks 2g and 2g + 1.
    let mut by_row = [[vdupq_n_s32(0); 4]; R];
    for (r, dst) in by_row.iter_mut().enumerate() {
        let (i, upper) = (r / 2, r % 2 == 1);
        for (g, d) in dst.iter_mut().enumerate() {
            let (x, y) = (vreinterpretq_s64_s32(acc[i][2 * g]), vreinterpretq_s64_s32(acc[i][2 * g + 1]));
            *d = vreinterpretq_s32_s64(if upper { vzip2q_s64(x, y) } else { vzip1q_s64(x, y) });
        }
    }
    // SAFETY: the caller's contract.
    unsafe { finish::<R>(&by_row, rs, cs, out, ldo, accumulate) };
}
