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
//!   (twice `SDOT`'s multiply-adds per instruction). Weights in `SMMLA`'s own layout
//!   ([`Layout::Pairs`]: the model's weights and attention's keys and values on this tier) are
//!   loaded as they are; weights in the `SDOT` layout take two `ZIP`s per two lanes of four
//!   columns to make the two 2 × 8 column blocks. The activations come in `SMMLA`'s row-pair
//!   layout, already `u − 128` ([`QuantRows::paired`], made on this tier): one 16-byte load per
//!   row pair and step, no flip (`SDOT` flips each 16-byte row load itself).

use std::arch::aarch64::*;
use std::arch::asm;

use super::{by_tiles, load_bias16, store16};
#[cfg(doc)]
use crate::cpu::int8::Layout;
use crate::cpu::int8::{PackedI8, QuantRows, PANEL};
use crate::cpu::packed_f32::Epilogue;

/// Rows per register tile (`SDOT`: 6 rows × 4 vectors; `SMMLA`: 3 row pairs × 8 vectors).
const MR: usize = 6;

/// Which instruction a block runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// `SDOT` (the `NeonDotprod` tier).
    Sdot,
    /// `SMMLA` on weights in the `SDOT` layout (the `NeonI8mm` tier).
    Smmla,
    /// `SMMLA` on weights in its own layout, [`Layout::Pairs`] (the `NeonI8mm` tier).
    SmmlaPairs,
}

/// The int8 product for rows `r0 .. r0 + rows` of `a` and panels `p0 .. p0 + panels` of `w`,
/// dequantised into `out` (row `r0`'s first element at `out`).
///
/// # Safety
/// The CPU must have FEAT_DotProd, and FEAT_I8MM for [`Kernel::Smmla`] and
/// [`Kernel::SmmlaPairs`]; `w` must be in [`Layout::Pairs`] exactly when the kernel is
/// `SmmlaPairs`. `a` and `w` must be consistent (`a.kq = ⌈w.k/4⌉`, `a` holding the rows, `w` the
/// panels with their scales and sums);
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
    let (kq, pair_lanes) = (a.kq, a.pair_lanes());
    // Both SMMLA kernels read row pairs, SDOT rows (`QuantRows::paired` follows the tier).
    assert_eq!(a.paired, kernel != Kernel::Sdot, "activations in the other kernel's layout");
    assert!(r0.is_multiple_of(2), "row blocks start at even rows");
    // A half-panel starts 16 lanes into the panel's first lane row, or 32 into its first pair.
    let (lane_rows, half_offset) = if kernel == Kernel::SmmlaPairs { (w.lane_rows(), 32) } else { (kq, 16) };
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
                let panel = w.data.as_ptr().add(b * lane_rows * PANEL + half * half_offset);
                let cs = Cols {
                    scale: w.scale.as_ptr().add(c0),
                    sum: w.colsum.as_ptr().add(c0),
                    bias: ep.bias.map(|v| v.as_ptr().add(c0)),
                    cols,
                };
                if kernel == Kernel::Sdot {
                    let rs = (a.scale.as_ptr().add(r0), a.zero.as_ptr().add(r0));
                    let first = a.data.as_ptr().add(r0 * kq);
                    sdot_strip(first, kq, panel, rs, cs, out.add(c0), ldo, ep.accumulate, rows);
                    continue;
                }
                if kernel == Kernel::SmmlaPairs {
                    let rs = (a.scale.as_ptr().add(r0), a.zero.as_ptr().add(r0));
                    let first = a.data.as_ptr().add(r0 / 2 * pair_lanes);
                    smmla_pairs_strip(first, pair_lanes, kq, panel, rs, cs, out.add(c0), ldo, ep.accumulate, rows);
                    continue;
                }
                by_tiles!(rows, MR, |r, R| {
                    let row = r0 + r;
                    let rs = (a.scale.as_ptr().add(row), a.zero.as_ptr().add(row));
                    let dst = out.add(r * ldo + c0);
                    // Row pairs (SMMLA) start at even rows: r0 is (asserted) and tiles are MR = 6.
                    let pair = a.data.as_ptr().add(row / 2 * pair_lanes);
                    // (Sdot and SmmlaPairs took their strips above.)
                    smmla_tile::<R>(pair, pair_lanes, kq, panel, rs, cs, dst, ldo, ep.accumulate);
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

/// A half-panel's 16 column scales, column sums and bias values, in registers.
struct ColRegs {
    scale: [float32x4_t; 4],
    sum: [int32x4_t; 4],
    bias: [float32x4_t; 4],
}

impl ColRegs {
    /// # Safety
    /// `cs` as [`Cols`] says.
    #[inline(always)]
    unsafe fn load(cs: Cols) -> Self {
        // SAFETY: 16 scales and sums are stored per half-panel; the bias holds `cols` values.
        unsafe {
            Self {
                scale: std::array::from_fn(|c| vld1q_f32(cs.scale.add(4 * c))),
                sum: std::array::from_fn(|c| vld1q_s32(cs.sum.add(4 * c))),
                bias: load_bias16(cs.bias, cs.cols),
            }
        }
    }

    /// Dequantises and stores one row of 16 `i32` sums, `acc`, of the row with scale `s` and zero
    /// point `z`: `s·s_c·(acc + (128 − z)·Σ_c) + bias`.
    ///
    /// # Safety
    /// `out` holds `cols` values.
    #[inline(always)]
    unsafe fn store_row(&self, acc: [int32x4_t; 4], s: f32, z: i32, out: *mut f32, cols: usize, accumulate: bool) {
        // SAFETY: register operations (NEON is the aarch64 baseline: no `target_feature` here, so
        // this inlines into every tile), then the caller's `cols` values.
        unsafe {
            let shift = vdupq_n_s32(128 - z);
            let v = std::array::from_fn(|c| {
                let i = vmlaq_s32(acc[c], shift, self.sum[c]);
                vfmaq_f32(self.bias[c], vcvtq_f32_s32(i), vmulq_n_f32(self.scale[c], s))
            });
            store16(out, v, cols, accumulate);
        }
    }
}

/// Dequantises and stores `R` rows of 16 `i32` sums: `s_r·s_c·(acc + (128 − z_r)·Σ_c) + bias`.
///
/// # Safety
/// `cs` as [`Cols`] says; `rs` points at `R` row scales and zero points; `out` holds `R` rows
/// (stride `ldo`) of `cs.cols` values.
#[inline(always)]
unsafe fn finish<const R: usize>(
    acc: &[[int32x4_t; 4]; R],
    (row_scale, row_zero): (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    // SAFETY: the caller's contract.
    let regs = unsafe { ColRegs::load(cs) };
    for (r, acc) in acc.iter().enumerate() {
        // SAFETY: R row scales and zero points, R output rows.
        unsafe { regs.store_row(*acc, *row_scale.add(r), *row_zero.add(r), out.add(r * ldo), cs.cols, accumulate) };
    }
}

/// The `k` loop of [`sdot_tile`] as one `asm!` block into the accumulators `$acc` (`acc[r][c]` =
/// `v(8 + 4r + c)`: row r, columns 4c .. 4c + 4), for the rows at `$row(0..6)` and the half-panel
/// at `$panel`.
macro_rules! sdot_asm {
    ($acc:ident, $row:expr, $kq:expr, $panel:expr) => {
        asm!(
            "movi v6.16b, #0x80",
            "movi v8.4s, #0", "movi v9.4s, #0", "movi v10.4s, #0", "movi v11.4s, #0",
            "movi v12.4s, #0", "movi v13.4s, #0", "movi v14.4s, #0", "movi v15.4s, #0",
            "movi v16.4s, #0", "movi v17.4s, #0", "movi v18.4s, #0", "movi v19.4s, #0",
            "movi v20.4s, #0", "movi v21.4s, #0", "movi v22.4s, #0", "movi v23.4s, #0",
            "movi v24.4s, #0", "movi v25.4s, #0", "movi v26.4s, #0", "movi v27.4s, #0",
            "movi v28.4s, #0", "movi v29.4s, #0", "movi v30.4s, #0", "movi v31.4s, #0",
            "cbz {n}, 2f",
            "1:",
            "ldr q0, [{p0}], #16",
            "ldr q1, [{p1}], #16",
            "ldr q2, [{p2}], #16",
            "ldr q3, [{p3}], #16",
            "ldr q4, [{p4}], #16",
            "ldr q5, [{p5}], #16",
            "eor v0.16b, v0.16b, v6.16b",
            "eor v1.16b, v1.16b, v6.16b",
            "eor v2.16b, v2.16b, v6.16b",
            "eor v3.16b, v3.16b, v6.16b",
            "eor v4.16b, v4.16b, v6.16b",
            "eor v5.16b, v5.16b, v6.16b",
            "ldr q7, [{w}, #0]",
            "sdot v8.4s, v7.16b, v0.4b[0]",
            "sdot v12.4s, v7.16b, v1.4b[0]",
            "sdot v16.4s, v7.16b, v2.4b[0]",
            "sdot v20.4s, v7.16b, v3.4b[0]",
            "sdot v24.4s, v7.16b, v4.4b[0]",
            "sdot v28.4s, v7.16b, v5.4b[0]",
            "ldr q7, [{w}, #16]",
            "sdot v9.4s, v7.16b, v0.4b[0]",
            "sdot v13.4s, v7.16b, v1.4b[0]",
            "sdot v17.4s, v7.16b, v2.4b[0]",
            "sdot v21.4s, v7.16b, v3.4b[0]",
            "sdot v25.4s, v7.16b, v4.4b[0]",
            "sdot v29.4s, v7.16b, v5.4b[0]",
            "ldr q7, [{w}, #32]",
            "sdot v10.4s, v7.16b, v0.4b[0]",
            "sdot v14.4s, v7.16b, v1.4b[0]",
            "sdot v18.4s, v7.16b, v2.4b[0]",
            "sdot v22.4s, v7.16b, v3.4b[0]",
            "sdot v26.4s, v7.16b, v4.4b[0]",
            "sdot v30.4s, v7.16b, v5.4b[0]",
            "ldr q7, [{w}, #48]",
            "sdot v11.4s, v7.16b, v0.4b[0]",
            "sdot v15.4s, v7.16b, v1.4b[0]",
            "sdot v19.4s, v7.16b, v2.4b[0]",
            "sdot v23.4s, v7.16b, v3.4b[0]",
            "sdot v27.4s, v7.16b, v4.4b[0]",
            "sdot v31.4s, v7.16b, v5.4b[0]",
            "ldr q7, [{w}, #128]",
            "sdot v8.4s, v7.16b, v0.4b[1]",
            "sdot v12.4s, v7.16b, v1.4b[1]",
            "sdot v16.4s, v7.16b, v2.4b[1]",
            "sdot v20.4s, v7.16b, v3.4b[1]",
            "sdot v24.4s, v7.16b, v4.4b[1]",
            "sdot v28.4s, v7.16b, v5.4b[1]",
            "ldr q7, [{w}, #144]",
            "sdot v9.4s, v7.16b, v0.4b[1]",
            "sdot v13.4s, v7.16b, v1.4b[1]",
            "sdot v17.4s, v7.16b, v2.4b[1]",
            "sdot v21.4s, v7.16b, v3.4b[1]",
            "sdot v25.4s, v7.16b, v4.4b[1]",
            "sdot v29.4s, v7.16b, v5.4b[1]",
            "ldr q7, [{w}, #160]",
            "sdot v10.4s, v7.16b, v0.4b[1]",
            "sdot v14.4s, v7.16b, v1.4b[1]",
            "sdot v18.4s, v7.16b, v2.4b[1]",
            "sdot v22.4s, v7.16b, v3.4b[1]",
            "sdot v26.4s, v7.16b, v4.4b[1]",
            "sdot v30.4s, v7.16b, v5.4b[1]",
            "ldr q7, [{w}, #176]",
            "sdot v11.4s, v7.16b, v0.4b[1]",
            "sdot v15.4s, v7.16b, v1.4b[1]",
            "sdot v19.4s, v7.16b, v2.4b[1]",
            "sdot v23.4s, v7.16b, v3.4b[1]",
            "sdot v27.4s, v7.16b, v4.4b[1]",
            "sdot v31.4s, v7.16b, v5.4b[1]",
            "ldr q7, [{w}, #256]",
            "sdot v8.4s, v7.16b, v0.4b[2]",
            "sdot v12.4s, v7.16b, v1.4b[2]",
            "sdot v16.4s, v7.16b, v2.4b[2]",
            "sdot v20.4s, v7.16b, v3.4b[2]",
            "sdot v24.4s, v7.16b, v4.4b[2]",
            "sdot v28.4s, v7.16b, v5.4b[2]",
            "ldr q7, [{w}, #272]",
            "sdot v9.4s, v7.16b, v0.4b[2]",
            "sdot v13.4s, v7.16b, v1.4b[2]",
            "sdot v17.4s, v7.16b, v2.4b[2]",
            "sdot v21.4s, v7.16b, v3.4b[2]",
            "sdot v25.4s, v7.16b, v4.4b[2]",
            "sdot v29.4s, v7.16b, v5.4b[2]",
            "ldr q7, [{w}, #288]",
            "sdot v10.4s, v7.16b, v0.4b[2]",
            "sdot v14.4s, v7.16b, v1.4b[2]",
            "sdot v18.4s, v7.16b, v2.4b[2]",
            "sdot v22.4s, v7.16b, v3.4b[2]",
            "sdot v26.4s, v7.16b, v4.4b[2]",
            "sdot v30.4s, v7.16b, v5.4b[2]",
            "ldr q7, [{w}, #304]",
            "sdot v11.4s, v7.16b, v0.4b[2]",
            "sdot v15.4s, v7.16b, v1.4b[2]",
            "sdot v19.4s, v7.16b, v2.4b[2]",
            "sdot v23.4s, v7.16b, v3.4b[2]",
            "sdot v27.4s, v7.16b, v4.4b[2]",
            "sdot v31.4s, v7.16b, v5.4b[2]",
            "ldr q7, [{w}, #384]",
            "sdot v8.4s, v7.16b, v0.4b[3]",
            "sdot v12.4s, v7.16b, v1.4b[3]",
            "sdot v16.4s, v7.16b, v2.4b[3]",
            "sdot v20.4s, v7.16b, v3.4b[3]",
            "sdot v24.4s, v7.16b, v4.4b[3]",
            "sdot v28.4s, v7.16b, v5.4b[3]",
            "ldr q7, [{w}, #400]",
            "sdot v9.4s, v7.16b, v0.4b[3]",
            "sdot v13.4s, v7.16b, v1.4b[3]",
            "sdot v17.4s, v7.16b, v2.4b[3]",
            "sdot v21.4s, v7.16b, v3.4b[3]",
            "sdot v25.4s, v7.16b, v4.4b[3]",
            "sdot v29.4s, v7.16b, v5.4b[3]",
            "ldr q7, [{w}, #416]",
            "sdot v10.4s, v7.16b, v0.4b[3]",
            "sdot v14.4s, v7.16b, v1.4b[3]",
            "sdot v18.4s, v7.16b, v2.4b[3]",
            "sdot v22.4s, v7.16b, v3.4b[3]",
            "sdot v26.4s, v7.16b, v4.4b[3]",
            "sdot v30.4s, v7.16b, v5.4b[3]",
            "ldr q7, [{w}, #432]",
            "sdot v11.4s, v7.16b, v0.4b[3]",
            "sdot v15.4s, v7.16b, v1.4b[3]",
            "sdot v19.4s, v7.16b, v2.4b[3]",
            "sdot v23.4s, v7.16b, v3.4b[3]",
            "sdot v27.4s, v7.16b, v4.4b[3]",
            "sdot v31.4s, v7.16b, v5.4b[3]",
            "add {w}, {w}, #512",
            "subs {n}, {n}, #1",
            "b.ne 1b",
            "2:",
            "cbz {rest}, 4f",
            "3:",
            "ld1r {{v0.4s}}, [{p0}], #4",
            "ld1r {{v1.4s}}, [{p1}], #4",
            "ld1r {{v2.4s}}, [{p2}], #4",
            "ld1r {{v3.4s}}, [{p3}], #4",
            "ld1r {{v4.4s}}, [{p4}], #4",
            "ld1r {{v5.4s}}, [{p5}], #4",
            "eor v0.16b, v0.16b, v6.16b",
            "eor v1.16b, v1.16b, v6.16b",
            "eor v2.16b, v2.16b, v6.16b",
            "eor v3.16b, v3.16b, v6.16b",
            "eor v4.16b, v4.16b, v6.16b",
            "eor v5.16b, v5.16b, v6.16b",
            "ldr q7, [{w}, #0]",
            "sdot v8.4s, v7.16b, v0.4b[0]",
            "sdot v12.4s, v7.16b, v1.4b[0]",
            "sdot v16.4s, v7.16b, v2.4b[0]",
            "sdot v20.4s, v7.16b, v3.4b[0]",
            "sdot v24.4s, v7.16b, v4.4b[0]",
            "sdot v28.4s, v7.16b, v5.4b[0]",
            "ldr q7, [{w}, #16]",
            "sdot v9.4s, v7.16b, v0.4b[0]",
            "sdot v13.4s, v7.16b, v1.4b[0]",
            "sdot v17.4s, v7.16b, v2.4b[0]",
            "sdot v21.4s, v7.16b, v3.4b[0]",
            "sdot v25.4s, v7.16b, v4.4b[0]",
            "sdot v29.4s, v7.16b, v5.4b[0]",
            "ldr q7, [{w}, #32]",
            "sdot v10.4s, v7.16b, v0.4b[0]",
            "sdot v14.4s, v7.16b, v1.4b[0]",
            "sdot v18.4s, v7.16b, v2.4b[0]",
            "sdot v22.4s, v7.16b, v3.4b[0]",
            "sdot v26.4s, v7.16b, v4.4b[0]",
            "sdot v30.4s, v7.16b, v5.4b[0]",
            "ldr q7, [{w}, #48]",
            "sdot v11.4s, v7.16b, v0.4b[0]",
            "sdot v15.4s, v7.16b, v1.4b[0]",
            "sdot v19.4s, v7.16b, v2.4b[0]",
            "sdot v23.4s, v7.16b, v3.4b[0]",
            "sdot v27.4s, v7.16b, v4.4b[0]",
            "sdot v31.4s, v7.16b, v5.4b[0]",
            "add {w}, {w}, #128",
            "subs {rest}, {rest}, #1",
            "b.ne 3b",
            "4:",
            n = inout(reg) $kq / 4 => _,
            rest = inout(reg) $kq % 4 => _,
            p0 = inout(reg) $row(0) => _,
            p1 = inout(reg) $row(1) => _,
            p2 = inout(reg) $row(2) => _,
            p3 = inout(reg) $row(3) => _,
            p4 = inout(reg) $row(4) => _,
            p5 = inout(reg) $row(5) => _,
            w = inout(reg) $panel => _,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _,
            out("v4") _, out("v5") _, out("v6") _, out("v7") _,
            lateout("v8") $acc[0][0], lateout("v9") $acc[0][1], lateout("v10") $acc[0][2], lateout("v11") $acc[0][3],
            lateout("v12") $acc[1][0], lateout("v13") $acc[1][1], lateout("v14") $acc[1][2], lateout("v15") $acc[1][3],
            lateout("v16") $acc[2][0], lateout("v17") $acc[2][1], lateout("v18") $acc[2][2], lateout("v19") $acc[2][3],
            lateout("v20") $acc[3][0], lateout("v21") $acc[3][1], lateout("v22") $acc[3][2], lateout("v23") $acc[3][3],
            lateout("v24") $acc[4][0], lateout("v25") $acc[4][1], lateout("v26") $acc[4][2], lateout("v27") $acc[4][3],
            lateout("v28") $acc[5][0], lateout("v29") $acc[5][1], lateout("v30") $acc[5][2], lateout("v31") $acc[5][3],
            options(nostack, readonly),
        )
    };
}

/// One `R × 16` tile on `SDOT` over all `kq` lanes (activation row stride `kq` lanes; rows past
/// `R` repeat the last row: computed and not stored).
///
/// The whole `k` loop is one `asm!` block with the 24 accumulators in `v8`–`v31` (row r, columns
/// 4c .. 4c + 4 in `v(8 + 4r + c)`): per step of sixteen `k` (four lanes), six 16-byte row loads,
/// their top bits flipped (`u − 128`), then per lane and group of four columns one weight load
/// and six `SDOT`s by element. Left-over lanes (`kq mod 4`) take one lane per step, broadcast.
/// The accumulators leave the block as outputs, for the epilogue to read from the registers.
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
    let mut acc = [[vdupq_n_s32(0); 4]; 6];
    let row = |r: usize| a.wrapping_add(r.min(R - 1) * kq) as *const u8;
    // SAFETY: each row pointer reads its row's kq lanes (16 bytes per step, then 4 per left-over
    // lane), rows < R of the caller's; the weight pointer reads lane rows < kq of the half-panel,
    // 64 bytes each at a stride of PANEL lanes (128 bytes). The registers the block uses are all
    // declared; it touches no stack and writes no memory.
    unsafe { sdot_asm!(acc, row, kq, panel) };
    let by_row: [[int32x4_t; 4]; R] = std::array::from_fn(|r| acc[r]);
    // SAFETY: the caller's contract.
    unsafe { finish::<R>(&by_row, rs, cs, out, ldo, accumulate) };
}

/// The `asm!` block of [`finish_six`] (`SMMLA`) and [`finish_six_rows`] (`SDOT`): the
/// generated lines (`sdk/tools/epilogue_asm.py`) on the 24 accumulators `$acc` (row-major, six
/// rows of four or three row pairs of eight, in `v8`–`v31`), the rows' scales and zero points,
/// the columns of `$cs`, the six output rows `$o(0..6)`, and whether to add to them.
macro_rules! finish_tile_asm {
    ($acc:ident, ($rs:expr, $rz:expr), $cs:expr, $o:expr, $accumulate:expr, $($line:literal,)*) => {{
        let a: [int32x4_t; 24] = std::array::from_fn(|i| $acc.as_flattened()[i]);
        asm!(
            $($line,)*
            rs = in(reg) $rs,
            rz = in(reg) $rz,
            sum = in(reg) $cs.sum,
            scl = in(reg) $cs.scale,
            bias = in(reg) $cs.bias.unwrap_or(NO_BIAS.as_ptr()),
            acm = in(reg) u64::from($accumulate),
            hasb = in(reg) u64::from($cs.bias.is_some()),
            o0 = in(reg) $o(0),
            o1 = in(reg) $o(1),
            o2 = in(reg) $o(2),
            o3 = in(reg) $o(3),
            o4 = in(reg) $o(4),
            o5 = in(reg) $o(5),
            out("v0") _, out("v1") _, out("v2") _, out("v3") _,
            out("v4") _, out("v5") _, out("v6") _, out("v7") _,
            inout("v8") a[0] => _, inout("v9") a[1] => _, inout("v10") a[2] => _, inout("v11") a[3] => _,
            inout("v12") a[4] => _, inout("v13") a[5] => _, inout("v14") a[6] => _, inout("v15") a[7] => _,
            inout("v16") a[8] => _, inout("v17") a[9] => _, inout("v18") a[10] => _, inout("v19") a[11] => _,
            inout("v20") a[12] => _, inout("v21") a[13] => _, inout("v22") a[14] => _, inout("v23") a[15] => _,
            inout("v24") a[16] => _, inout("v25") a[17] => _, inout("v26") a[18] => _, inout("v27") a[19] => _,
            inout("v28") a[20] => _, inout("v29") a[21] => _, inout("v30") a[22] => _, inout("v31") a[23] => _,
            options(nostack),
        )
    }};
}

/// [`finish_six`] for `SDOT`'s accumulators (row-major already: no `ZIP`), as one `asm!` block on
/// the registers the `k` loop left them in (written by `sdk/tools/epilogue_asm.py`). A partial
/// half-panel goes to [`finish`].
///
/// # Safety
/// As [`finish`] for six rows.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn finish_six_rows(
    acc: [[int32x4_t; 4]; 6],
    (row_scale, row_zero): (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    if cs.cols != 16 {
        // SAFETY: the caller's contract.
        return unsafe { finish::<6>(&acc, (row_scale, row_zero), cs, out, ldo, accumulate) };
    }
    let o = |r: usize| out.wrapping_add(r * ldo);
    // SAFETY: as in `finish_six`: the caller's row and column data and six output rows of 16.
    unsafe {
        finish_tile_asm!(
            acc,
            (row_scale, row_zero),
            cs,
            o,
            accumulate,
            // generated: sdk/tools/epilogue_asm.py sdot
            "ldr q0, [{rs}]",
            "ldr d1, [{rs}, #16]",
            "ldr q2, [{rz}]",
            "ldr d3, [{rz}, #16]",
            "movi v4.4s, #128",
            "sub v2.4s, v4.4s, v2.4s",
            "sub v3.4s, v4.4s, v3.4s",
            "mov v1.d[1], v3.d[0]",
            "cbnz {acm}, 3f",
            "cbz {hasb}, 5f",
            "ldr q4, [{sum}, #0]",
            "ldr q5, [{scl}, #0]",
            "ldr q6, [{bias}, #0]",
            "mla v8.4s, v4.4s, v2.s[0]",
            "scvtf v8.4s, v8.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v8.4s, v7.4s",
            "str q3, [{o0}, #0]",
            "mla v12.4s, v4.4s, v2.s[1]",
            "scvtf v12.4s, v12.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v12.4s, v7.4s",
            "str q3, [{o1}, #0]",
            "mla v16.4s, v4.4s, v2.s[2]",
            "scvtf v16.4s, v16.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v16.4s, v7.4s",
            "str q3, [{o2}, #0]",
            "mla v20.4s, v4.4s, v2.s[3]",
            "scvtf v20.4s, v20.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v20.4s, v7.4s",
            "str q3, [{o3}, #0]",
            "mla v24.4s, v4.4s, v1.s[2]",
            "scvtf v24.4s, v24.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v24.4s, v7.4s",
            "str q3, [{o4}, #0]",
            "mla v28.4s, v4.4s, v1.s[3]",
            "scvtf v28.4s, v28.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v28.4s, v7.4s",
            "str q3, [{o5}, #0]",
            "ldr q4, [{sum}, #16]",
            "ldr q5, [{scl}, #16]",
            "ldr q6, [{bias}, #16]",
            "mla v9.4s, v4.4s, v2.s[0]",
            "scvtf v9.4s, v9.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v9.4s, v7.4s",
            "str q3, [{o0}, #16]",
            "mla v13.4s, v4.4s, v2.s[1]",
            "scvtf v13.4s, v13.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v13.4s, v7.4s",
            "str q3, [{o1}, #16]",
            "mla v17.4s, v4.4s, v2.s[2]",
            "scvtf v17.4s, v17.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v17.4s, v7.4s",
            "str q3, [{o2}, #16]",
            "mla v21.4s, v4.4s, v2.s[3]",
            "scvtf v21.4s, v21.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v21.4s, v7.4s",
            "str q3, [{o3}, #16]",
            "mla v25.4s, v4.4s, v1.s[2]",
            "scvtf v25.4s, v25.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v25.4s, v7.4s",
            "str q3, [{o4}, #16]",
            "mla v29.4s, v4.4s, v1.s[3]",
            "scvtf v29.4s, v29.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v29.4s, v7.4s",
            "str q3, [{o5}, #16]",
            "ldr q4, [{sum}, #32]",
            "ldr q5, [{scl}, #32]",
            "ldr q6, [{bias}, #32]",
            "mla v10.4s, v4.4s, v2.s[0]",
            "scvtf v10.4s, v10.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v10.4s, v7.4s",
            "str q3, [{o0}, #32]",
            "mla v14.4s, v4.4s, v2.s[1]",
            "scvtf v14.4s, v14.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v14.4s, v7.4s",
            "str q3, [{o1}, #32]",
            "mla v18.4s, v4.4s, v2.s[2]",
            "scvtf v18.4s, v18.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v18.4s, v7.4s",
            "str q3, [{o2}, #32]",
            "mla v22.4s, v4.4s, v2.s[3]",
            "scvtf v22.4s, v22.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v22.4s, v7.4s",
            "str q3, [{o3}, #32]",
            "mla v26.4s, v4.4s, v1.s[2]",
            "scvtf v26.4s, v26.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v26.4s, v7.4s",
            "str q3, [{o4}, #32]",
            "mla v30.4s, v4.4s, v1.s[3]",
            "scvtf v30.4s, v30.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v30.4s, v7.4s",
            "str q3, [{o5}, #32]",
            "ldr q4, [{sum}, #48]",
            "ldr q5, [{scl}, #48]",
            "ldr q6, [{bias}, #48]",
            "mla v11.4s, v4.4s, v2.s[0]",
            "scvtf v11.4s, v11.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v11.4s, v7.4s",
            "str q3, [{o0}, #48]",
            "mla v15.4s, v4.4s, v2.s[1]",
            "scvtf v15.4s, v15.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v15.4s, v7.4s",
            "str q3, [{o1}, #48]",
            "mla v19.4s, v4.4s, v2.s[2]",
            "scvtf v19.4s, v19.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v19.4s, v7.4s",
            "str q3, [{o2}, #48]",
            "mla v23.4s, v4.4s, v2.s[3]",
            "scvtf v23.4s, v23.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v23.4s, v7.4s",
            "str q3, [{o3}, #48]",
            "mla v27.4s, v4.4s, v1.s[2]",
            "scvtf v27.4s, v27.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v27.4s, v7.4s",
            "str q3, [{o4}, #48]",
            "mla v31.4s, v4.4s, v1.s[3]",
            "scvtf v31.4s, v31.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v31.4s, v7.4s",
            "str q3, [{o5}, #48]",
            "b 4f",
            "5:",
            "ldr q4, [{sum}, #0]",
            "ldr q5, [{scl}, #0]",
            "mla v8.4s, v4.4s, v2.s[0]",
            "scvtf v8.4s, v8.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v8.4s, v7.4s",
            "str q3, [{o0}, #0]",
            "mla v12.4s, v4.4s, v2.s[1]",
            "scvtf v12.4s, v12.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v12.4s, v7.4s",
            "str q3, [{o1}, #0]",
            "mla v16.4s, v4.4s, v2.s[2]",
            "scvtf v16.4s, v16.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v16.4s, v7.4s",
            "str q3, [{o2}, #0]",
            "mla v20.4s, v4.4s, v2.s[3]",
            "scvtf v20.4s, v20.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v20.4s, v7.4s",
            "str q3, [{o3}, #0]",
            "mla v24.4s, v4.4s, v1.s[2]",
            "scvtf v24.4s, v24.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v24.4s, v7.4s",
            "str q3, [{o4}, #0]",
            "mla v28.4s, v4.4s, v1.s[3]",
            "scvtf v28.4s, v28.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v28.4s, v7.4s",
            "str q3, [{o5}, #0]",
            "ldr q4, [{sum}, #16]",
            "ldr q5, [{scl}, #16]",
            "mla v9.4s, v4.4s, v2.s[0]",
            "scvtf v9.4s, v9.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v9.4s, v7.4s",
            "str q3, [{o0}, #16]",
            "mla v13.4s, v4.4s, v2.s[1]",
            "scvtf v13.4s, v13.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v13.4s, v7.4s",
            "str q3, [{o1}, #16]",
            "mla v17.4s, v4.4s, v2.s[2]",
            "scvtf v17.4s, v17.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v17.4s, v7.4s",
            "str q3, [{o2}, #16]",
            "mla v21.4s, v4.4s, v2.s[3]",
            "scvtf v21.4s, v21.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v21.4s, v7.4s",
            "str q3, [{o3}, #16]",
            "mla v25.4s, v4.4s, v1.s[2]",
            "scvtf v25.4s, v25.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v25.4s, v7.4s",
            "str q3, [{o4}, #16]",
            "mla v29.4s, v4.4s, v1.s[3]",
            "scvtf v29.4s, v29.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v29.4s, v7.4s",
            "str q3, [{o5}, #16]",
            "ldr q4, [{sum}, #32]",
            "ldr q5, [{scl}, #32]",
            "mla v10.4s, v4.4s, v2.s[0]",
            "scvtf v10.4s, v10.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v10.4s, v7.4s",
            "str q3, [{o0}, #32]",
            "mla v14.4s, v4.4s, v2.s[1]",
            "scvtf v14.4s, v14.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v14.4s, v7.4s",
            "str q3, [{o1}, #32]",
            "mla v18.4s, v4.4s, v2.s[2]",
            "scvtf v18.4s, v18.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v18.4s, v7.4s",
            "str q3, [{o2}, #32]",
            "mla v22.4s, v4.4s, v2.s[3]",
            "scvtf v22.4s, v22.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v22.4s, v7.4s",
            "str q3, [{o3}, #32]",
            "mla v26.4s, v4.4s, v1.s[2]",
            "scvtf v26.4s, v26.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v26.4s, v7.4s",
            "str q3, [{o4}, #32]",
            "mla v30.4s, v4.4s, v1.s[3]",
            "scvtf v30.4s, v30.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v30.4s, v7.4s",
            "str q3, [{o5}, #32]",
            "ldr q4, [{sum}, #48]",
            "ldr q5, [{scl}, #48]",
            "mla v11.4s, v4.4s, v2.s[0]",
            "scvtf v11.4s, v11.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v11.4s, v7.4s",
            "str q3, [{o0}, #48]",
            "mla v15.4s, v4.4s, v2.s[1]",
            "scvtf v15.4s, v15.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v15.4s, v7.4s",
            "str q3, [{o1}, #48]",
            "mla v19.4s, v4.4s, v2.s[2]",
            "scvtf v19.4s, v19.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v19.4s, v7.4s",
            "str q3, [{o2}, #48]",
            "mla v23.4s, v4.4s, v2.s[3]",
            "scvtf v23.4s, v23.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v23.4s, v7.4s",
            "str q3, [{o3}, #48]",
            "mla v27.4s, v4.4s, v1.s[2]",
            "scvtf v27.4s, v27.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v27.4s, v7.4s",
            "str q3, [{o4}, #48]",
            "mla v31.4s, v4.4s, v1.s[3]",
            "scvtf v31.4s, v31.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v31.4s, v7.4s",
            "str q3, [{o5}, #48]",
            "b 4f",
            "3:",
            "ldr q4, [{sum}, #0]",
            "ldr q5, [{scl}, #0]",
            "ldr q6, [{bias}, #0]",
            "mla v8.4s, v4.4s, v2.s[0]",
            "scvtf v8.4s, v8.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v8.4s, v7.4s",
            "ldr q7, [{o0}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o0}, #0]",
            "mla v12.4s, v4.4s, v2.s[1]",
            "scvtf v12.4s, v12.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v12.4s, v7.4s",
            "ldr q7, [{o1}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #0]",
            "mla v16.4s, v4.4s, v2.s[2]",
            "scvtf v16.4s, v16.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v16.4s, v7.4s",
            "ldr q7, [{o2}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o2}, #0]",
            "mla v20.4s, v4.4s, v2.s[3]",
            "scvtf v20.4s, v20.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v20.4s, v7.4s",
            "ldr q7, [{o3}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #0]",
            "mla v24.4s, v4.4s, v1.s[2]",
            "scvtf v24.4s, v24.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v24.4s, v7.4s",
            "ldr q7, [{o4}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o4}, #0]",
            "mla v28.4s, v4.4s, v1.s[3]",
            "scvtf v28.4s, v28.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v28.4s, v7.4s",
            "ldr q7, [{o5}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #0]",
            "ldr q4, [{sum}, #16]",
            "ldr q5, [{scl}, #16]",
            "ldr q6, [{bias}, #16]",
            "mla v9.4s, v4.4s, v2.s[0]",
            "scvtf v9.4s, v9.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v9.4s, v7.4s",
            "ldr q7, [{o0}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o0}, #16]",
            "mla v13.4s, v4.4s, v2.s[1]",
            "scvtf v13.4s, v13.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v13.4s, v7.4s",
            "ldr q7, [{o1}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #16]",
            "mla v17.4s, v4.4s, v2.s[2]",
            "scvtf v17.4s, v17.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v17.4s, v7.4s",
            "ldr q7, [{o2}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o2}, #16]",
            "mla v21.4s, v4.4s, v2.s[3]",
            "scvtf v21.4s, v21.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v21.4s, v7.4s",
            "ldr q7, [{o3}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #16]",
            "mla v25.4s, v4.4s, v1.s[2]",
            "scvtf v25.4s, v25.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v25.4s, v7.4s",
            "ldr q7, [{o4}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o4}, #16]",
            "mla v29.4s, v4.4s, v1.s[3]",
            "scvtf v29.4s, v29.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v29.4s, v7.4s",
            "ldr q7, [{o5}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #16]",
            "ldr q4, [{sum}, #32]",
            "ldr q5, [{scl}, #32]",
            "ldr q6, [{bias}, #32]",
            "mla v10.4s, v4.4s, v2.s[0]",
            "scvtf v10.4s, v10.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v10.4s, v7.4s",
            "ldr q7, [{o0}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o0}, #32]",
            "mla v14.4s, v4.4s, v2.s[1]",
            "scvtf v14.4s, v14.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v14.4s, v7.4s",
            "ldr q7, [{o1}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #32]",
            "mla v18.4s, v4.4s, v2.s[2]",
            "scvtf v18.4s, v18.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v18.4s, v7.4s",
            "ldr q7, [{o2}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o2}, #32]",
            "mla v22.4s, v4.4s, v2.s[3]",
            "scvtf v22.4s, v22.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v22.4s, v7.4s",
            "ldr q7, [{o3}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #32]",
            "mla v26.4s, v4.4s, v1.s[2]",
            "scvtf v26.4s, v26.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v26.4s, v7.4s",
            "ldr q7, [{o4}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o4}, #32]",
            "mla v30.4s, v4.4s, v1.s[3]",
            "scvtf v30.4s, v30.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v30.4s, v7.4s",
            "ldr q7, [{o5}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #32]",
            "ldr q4, [{sum}, #48]",
            "ldr q5, [{scl}, #48]",
            "ldr q6, [{bias}, #48]",
            "mla v11.4s, v4.4s, v2.s[0]",
            "scvtf v11.4s, v11.4s",
            "fmul v7.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v11.4s, v7.4s",
            "ldr q7, [{o0}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o0}, #48]",
            "mla v15.4s, v4.4s, v2.s[1]",
            "scvtf v15.4s, v15.4s",
            "fmul v7.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v15.4s, v7.4s",
            "ldr q7, [{o1}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #48]",
            "mla v19.4s, v4.4s, v2.s[2]",
            "scvtf v19.4s, v19.4s",
            "fmul v7.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v19.4s, v7.4s",
            "ldr q7, [{o2}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o2}, #48]",
            "mla v23.4s, v4.4s, v2.s[3]",
            "scvtf v23.4s, v23.4s",
            "fmul v7.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v23.4s, v7.4s",
            "ldr q7, [{o3}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #48]",
            "mla v27.4s, v4.4s, v1.s[2]",
            "scvtf v27.4s, v27.4s",
            "fmul v7.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v27.4s, v7.4s",
            "ldr q7, [{o4}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o4}, #48]",
            "mla v31.4s, v4.4s, v1.s[3]",
            "scvtf v31.4s, v31.4s",
            "fmul v7.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v31.4s, v7.4s",
            "ldr q7, [{o5}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #48]",
            "4:",
            // end of generated lines
        );
    }
}

/// All of a half-panel's tiles for `rows` rows on [`sdot_tile`], as [`smmla_pairs_strip`] does
/// for `SMMLA`: full 6-row tiles in this function's loop, the last partial tile by a call.
///
/// # Safety
/// As [`sdot_tile`] for `rows` rows (`a` at the first row, rows `kq` lanes apart; `rs` at its
/// scale and zero point, `out` at its output).
#[target_feature(enable = "neon,dotprod")]
#[allow(clippy::too_many_arguments)]
unsafe fn sdot_strip(
    a: *const u32,
    kq: usize,
    panel: *const u32,
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
    rows: usize,
) {
    let mut r = 0;
    while rows - r >= MR {
        let mut acc = [[vdupq_n_s32(0); 4]; 6];
        let first = a.wrapping_add(r * kq);
        let row = |i: usize| first.wrapping_add(i * kq) as *const u8;
        // SAFETY: as in `sdot_tile` for the 6 rows r .. r + 6 ≤ rows.
        unsafe {
            sdot_asm!(acc, row, kq, panel);
            finish_six_rows(acc, (rs.0.add(r), rs.1.add(r)), cs, out.add(r * ldo), ldo, accumulate);
        }
        r += MR;
    }
    // SAFETY: the rows left, as the caller's contract.
    unsafe {
        let (first, rs, dst) = (a.add(r * kq), (rs.0.add(r), rs.1.add(r)), out.add(r * ldo));
        match rows - r {
            0 => {}
            1 => sdot_tile::<1>(first, kq, panel, rs, cs, dst, ldo, accumulate),
            2 => sdot_tile::<2>(first, kq, panel, rs, cs, dst, ldo, accumulate),
            3 => sdot_tile::<3>(first, kq, panel, rs, cs, dst, ldo, accumulate),
            4 => sdot_tile::<4>(first, kq, panel, rs, cs, dst, ldo, accumulate),
            _ => sdot_tile::<5>(first, kq, panel, rs, cs, dst, ldo, accumulate),
        }
    }
}

/// The 24 accumulators of an `SMMLA` tile as `asm!` outputs: `acc[i][j]` = `v(8 + 8i + j)`, row
/// pair i (rows 2i, 2i + 1) × columns 2j, 2j + 1 of the half-panel, as a 2 × 2 block.
macro_rules! smmla_tile_asm {
    ($acc:ident, $($body:tt)*) => {
        asm!(
            $($body)*
            out("v0") _, out("v1") _, out("v2") _, out("v3") _,
            out("v4") _, out("v5") _, out("v6") _, out("v7") _,
            lateout("v8") $acc[0][0], lateout("v9") $acc[0][1], lateout("v10") $acc[0][2], lateout("v11") $acc[0][3],
            lateout("v12") $acc[0][4], lateout("v13") $acc[0][5], lateout("v14") $acc[0][6], lateout("v15") $acc[0][7],
            lateout("v16") $acc[1][0], lateout("v17") $acc[1][1], lateout("v18") $acc[1][2], lateout("v19") $acc[1][3],
            lateout("v20") $acc[1][4], lateout("v21") $acc[1][5], lateout("v22") $acc[1][6], lateout("v23") $acc[1][7],
            lateout("v24") $acc[2][0], lateout("v25") $acc[2][1], lateout("v26") $acc[2][2], lateout("v27") $acc[2][3],
            lateout("v28") $acc[2][4], lateout("v29") $acc[2][5], lateout("v30") $acc[2][6], lateout("v31") $acc[2][7],
            options(nostack, readonly),
        )
    };
}

/// One `R × 16` tile on `SMMLA` over all `kq` lanes, on weights in the `SDOT` layout, two rows per
/// block (row pairs past `⌈R/2⌉` repeat the last pair: computed and not stored).
///
/// The activations are in the paired layout ([`QuantRows::paired`]): per step of eight `k` (lanes
/// t, t + 1) each row pair is one 16-byte load, already `u − 128`. Per group of four columns the
/// two lane rows of weights are loaded and zipped into two 2 × 8 column blocks, then six `SMMLA`s.
/// An odd last lane is a separate step with zero weights for the missing lane (the activation
/// bytes it meets are then irrelevant). The whole `k` loop is one `asm!` block, so its 24
/// accumulators stay in `v8`–`v31` for the loop (as separate one-instruction `asm!`s they cost a
/// spill and ~30 register copies per step, which the phone benchmark counted); they leave it as
/// outputs, and the epilogue reads them from the registers.
///
/// # Safety
/// As [`block`] (FEAT_I8MM), for `R` rows and one half-panel; `a` at the tile's first row pair,
/// pairs `stride` lanes apart.
#[target_feature(enable = "neon,dotprod,i8mm")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn smmla_tile<const R: usize>(
    a: *const u32,
    stride: usize,
    kq: usize,
    panel: *const u32,
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    let mut acc = [[vdupq_n_s32(0); 8]; 3];
    let pair = |i: usize| a.wrapping_add(i.min(R.div_ceil(2) - 1) * stride) as *const u8;
    // SAFETY: each pair pointer reads its pair's ⌈kq/2⌉ steps of 16 bytes (the paired layout holds
    // ⌈kq/2⌉·2 lanes per row), pairs < ⌈R/2⌉ of the caller's; the weight pointer reads lane rows
    // < kq of the half-panel, 64 bytes each at a stride of PANEL lanes (128 bytes). The registers
    // the block uses are all declared; it touches no stack and writes no memory.
    unsafe {
        smmla_tile_asm!(acc,
            "movi v8.4s, #0", "movi v9.4s, #0", "movi v10.4s, #0", "movi v11.4s, #0",
            "movi v12.4s, #0", "movi v13.4s, #0", "movi v14.4s, #0", "movi v15.4s, #0",
            "movi v16.4s, #0", "movi v17.4s, #0", "movi v18.4s, #0", "movi v19.4s, #0",
            "movi v20.4s, #0", "movi v21.4s, #0", "movi v22.4s, #0", "movi v23.4s, #0",
            "movi v24.4s, #0", "movi v25.4s, #0", "movi v26.4s, #0", "movi v27.4s, #0",
            "movi v28.4s, #0", "movi v29.4s, #0", "movi v30.4s, #0", "movi v31.4s, #0",
            "cbz {n}, 2f",
            "1:",
            "ldr q0, [{p0}], #16",
            "ldr q1, [{p1}], #16",
            "ldr q2, [{p2}], #16",
            "ldr q3, [{w}]",
            "ldr q4, [{w}, #128]",
            "zip1 v5.4s, v3.4s, v4.4s",
            "zip2 v4.4s, v3.4s, v4.4s",
            "smmla v8.4s, v0.16b, v5.16b",
            "smmla v16.4s, v1.16b, v5.16b",
            "smmla v24.4s, v2.16b, v5.16b",
            "smmla v9.4s, v0.16b, v4.16b",
            "smmla v17.4s, v1.16b, v4.16b",
            "smmla v25.4s, v2.16b, v4.16b",
            "ldr q3, [{w}, #16]",
            "ldr q4, [{w}, #144]",
            "zip1 v5.4s, v3.4s, v4.4s",
            "zip2 v4.4s, v3.4s, v4.4s",
            "smmla v10.4s, v0.16b, v5.16b",
            "smmla v18.4s, v1.16b, v5.16b",
            "smmla v26.4s, v2.16b, v5.16b",
            "smmla v11.4s, v0.16b, v4.16b",
            "smmla v19.4s, v1.16b, v4.16b",
            "smmla v27.4s, v2.16b, v4.16b",
            "ldr q3, [{w}, #32]",
            "ldr q4, [{w}, #160]",
            "zip1 v5.4s, v3.4s, v4.4s",
            "zip2 v4.4s, v3.4s, v4.4s",
            "smmla v12.4s, v0.16b, v5.16b",
            "smmla v20.4s, v1.16b, v5.16b",
            "smmla v28.4s, v2.16b, v5.16b",
            "smmla v13.4s, v0.16b, v4.16b",
            "smmla v21.4s, v1.16b, v4.16b",
            "smmla v29.4s, v2.16b, v4.16b",
            "ldr q3, [{w}, #48]",
            "ldr q4, [{w}, #176]",
            "zip1 v5.4s, v3.4s, v4.4s",
            "zip2 v4.4s, v3.4s, v4.4s",
            "smmla v14.4s, v0.16b, v5.16b",
            "smmla v22.4s, v1.16b, v5.16b",
            "smmla v30.4s, v2.16b, v5.16b",
            "smmla v15.4s, v0.16b, v4.16b",
            "smmla v23.4s, v1.16b, v4.16b",
            "smmla v31.4s, v2.16b, v4.16b",
            "add {w}, {w}, #256",
            "subs {n}, {n}, #1",
            "b.ne 1b",
            "2:",
            "cbz {odd}, 3f",
            // The last lane alone: the pair's last 16 bytes (its second lane is padding), the
            // second lane's weights zero (v7).
            "movi v7.2d, #0",
            "ldr q0, [{p0}]",
            "ldr q1, [{p1}]",
            "ldr q2, [{p2}]",
            "ldr q3, [{w}]",
            "zip1 v5.4s, v3.4s, v7.4s",
            "zip2 v4.4s, v3.4s, v7.4s",
            "smmla v8.4s, v0.16b, v5.16b",
            "smmla v16.4s, v1.16b, v5.16b",
            "smmla v24.4s, v2.16b, v5.16b",
            "smmla v9.4s, v0.16b, v4.16b",
            "smmla v17.4s, v1.16b, v4.16b",
            "smmla v25.4s, v2.16b, v4.16b",
            "ldr q3, [{w}, #16]",
            "zip1 v5.4s, v3.4s, v7.4s",
            "zip2 v4.4s, v3.4s, v7.4s",
            "smmla v10.4s, v0.16b, v5.16b",
            "smmla v18.4s, v1.16b, v5.16b",
            "smmla v26.4s, v2.16b, v5.16b",
            "smmla v11.4s, v0.16b, v4.16b",
            "smmla v19.4s, v1.16b, v4.16b",
            "smmla v27.4s, v2.16b, v4.16b",
            "ldr q3, [{w}, #32]",
            "zip1 v5.4s, v3.4s, v7.4s",
            "zip2 v4.4s, v3.4s, v7.4s",
            "smmla v12.4s, v0.16b, v5.16b",
            "smmla v20.4s, v1.16b, v5.16b",
            "smmla v28.4s, v2.16b, v5.16b",
            "smmla v13.4s, v0.16b, v4.16b",
            "smmla v21.4s, v1.16b, v4.16b",
            "smmla v29.4s, v2.16b, v4.16b",
            "ldr q3, [{w}, #48]",
            "zip1 v5.4s, v3.4s, v7.4s",
            "zip2 v4.4s, v3.4s, v7.4s",
            "smmla v14.4s, v0.16b, v5.16b",
            "smmla v22.4s, v1.16b, v5.16b",
            "smmla v30.4s, v2.16b, v5.16b",
            "smmla v15.4s, v0.16b, v4.16b",
            "smmla v23.4s, v1.16b, v4.16b",
            "smmla v31.4s, v2.16b, v4.16b",
            "3:",
            n = inout(reg) kq / 2 => _,
            odd = in(reg) kq % 2,
            p0 = inout(reg) pair(0) => _,
            p1 = inout(reg) pair(1) => _,
            p2 = inout(reg) pair(2) => _,
            w = inout(reg) panel => _,
        );
    }
    // SAFETY: the caller's contract.
    unsafe { finish_pairs::<R>(&acc, rs, cs, out, ldo, accumulate) };
}

/// [`finish`] for the `SMMLA` tiles' accumulators, 2 × 2 blocks in registers: row `2i`'s columns
/// `4g .. 4g + 4` are the low halves of blocks `2g` and `2g + 1` of pair `i`, row `2i + 1`'s
/// their high halves (one `ZIP` each). Written out row by row (no loop), so the rows go from the
/// accumulator registers to the output without a trip through the stack.
///
/// # Safety
/// As [`finish`].
#[inline(always)]
unsafe fn finish_pairs<const R: usize>(
    acc: &[[int32x4_t; 8]; 3],
    (row_scale, row_zero): (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    // SAFETY: the caller's contract.
    let regs = unsafe { ColRegs::load(cs) };
    // A macro, not a closure: a closure called six times was not inlined, and the accumulators
    // went to it through the stack.
    macro_rules! row {
        ($r:literal) => {
            if R > $r {
                let (i, upper) = ($r / 2, $r % 2 == 1);
                // SAFETY: register operations only (NEON is the aarch64 baseline); then row r < R of
                // the caller's scales, zero points and output rows.
                unsafe {
                    let v = std::array::from_fn(|g| {
                        let (x, y) = (vreinterpretq_s64_s32(acc[i][2 * g]), vreinterpretq_s64_s32(acc[i][2 * g + 1]));
                        vreinterpretq_s32_s64(if upper { vzip2q_s64(x, y) } else { vzip1q_s64(x, y) })
                    });
                    regs.store_row(v, *row_scale.add($r), *row_zero.add($r), out.add($r * ldo), cs.cols, accumulate);
                }
            }
        };
    }
    // R is a constant: each row is kept or dropped at compile time.
    row!(0);
    row!(1);
    row!(2);
    row!(3);
    row!(4);
    row!(5);
}

/// Zeros for a product without bias (the epilogue of [`finish_six`] always adds one).
static NO_BIAS: [f32; 16] = [0.0; 16];

/// [`finish_pairs`] for a full tile of six rows and 16 columns, as one `asm!` block on the
/// accumulators where the `k` loop left them (`v8`–`v31`). Column group by column group (four
/// columns), the group's sums, scales and bias in `v4`–`v6` and the six rows' scales and
/// zero-point shifts in `v0`–`v2` entering by element; per row: one `ZIP`, `MLA`, `SCVTF`,
/// `FMUL` (`s_c·s_r`), `MOV` + `FMLA` (the bias) and the store; three copies of the code: with a
/// bias, with a bias and a load and add (accumulating), and with neither (attention's products:
/// one `FMUL` instead of the `MOV` + `FMLA` onto zeros, the same float but for the sign of a zero
/// product). The same operations as [`ColRegs::store_row`] otherwise, so the same floats.
/// Compiled from intrinsics instead, 24 accumulators and 12 column registers did not fit in 32:
/// spills, ~290 instructions per tile against 180–210 here (counted by `benchmarks/phone/`). A
/// partial half-panel goes to [`finish_pairs`]. The assembly is written by
/// `sdk/tools/epilogue_asm.py` (CI checks the file holds its output).
///
/// # Safety
/// As [`finish`] for six rows.
#[target_feature(enable = "neon")]
#[inline]
unsafe fn finish_six(
    acc: [[int32x4_t; 8]; 3],
    (row_scale, row_zero): (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    if cs.cols != 16 {
        // SAFETY: the caller's contract.
        return unsafe { finish_pairs::<6>(&acc, (row_scale, row_zero), cs, out, ldo, accumulate) };
    }
    let o = |r: usize| out.wrapping_add(r * ldo);
    // SAFETY: the block reads six row scales and zero points, 16 column sums, scales and bias
    // values (the caller's, or `NO_BIAS`), and reads (when accumulating) and writes 16 values of
    // each of the six output rows: all the caller's. It uses only the registers it declares and
    // touches no stack.
    unsafe {
        finish_tile_asm!(
            acc,
            (row_scale, row_zero),
            cs,
            o,
            accumulate,
            // generated: sdk/tools/epilogue_asm.py smmla
            "ldr q0, [{rs}]",
            "ldr d1, [{rs}, #16]",
            "ldr q2, [{rz}]",
            "ldr d3, [{rz}, #16]",
            "movi v4.4s, #128",
            "sub v2.4s, v4.4s, v2.4s",
            "sub v3.4s, v4.4s, v3.4s",
            "mov v1.d[1], v3.d[0]",
            "cbnz {acm}, 3f",
            "cbz {hasb}, 5f",
            "ldr q4, [{sum}, #0]",
            "ldr q5, [{scl}, #0]",
            "ldr q6, [{bias}, #0]",
            "zip1 v7.2d, v8.2d, v9.2d",
            "zip2 v9.2d, v8.2d, v9.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v8.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v8.4s",
            "str q3, [{o0}, #0]",
            "mla v9.4s, v4.4s, v2.s[1]",
            "scvtf v9.4s, v9.4s",
            "fmul v8.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v9.4s, v8.4s",
            "str q3, [{o1}, #0]",
            "zip1 v7.2d, v16.2d, v17.2d",
            "zip2 v17.2d, v16.2d, v17.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v16.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v16.4s",
            "str q3, [{o2}, #0]",
            "mla v17.4s, v4.4s, v2.s[3]",
            "scvtf v17.4s, v17.4s",
            "fmul v16.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v17.4s, v16.4s",
            "str q3, [{o3}, #0]",
            "zip1 v7.2d, v24.2d, v25.2d",
            "zip2 v25.2d, v24.2d, v25.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v24.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v24.4s",
            "str q3, [{o4}, #0]",
            "mla v25.4s, v4.4s, v1.s[3]",
            "scvtf v25.4s, v25.4s",
            "fmul v24.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v25.4s, v24.4s",
            "str q3, [{o5}, #0]",
            "ldr q4, [{sum}, #16]",
            "ldr q5, [{scl}, #16]",
            "ldr q6, [{bias}, #16]",
            "zip1 v7.2d, v10.2d, v11.2d",
            "zip2 v11.2d, v10.2d, v11.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v10.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v10.4s",
            "str q3, [{o0}, #16]",
            "mla v11.4s, v4.4s, v2.s[1]",
            "scvtf v11.4s, v11.4s",
            "fmul v10.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v11.4s, v10.4s",
            "str q3, [{o1}, #16]",
            "zip1 v7.2d, v18.2d, v19.2d",
            "zip2 v19.2d, v18.2d, v19.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v18.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v18.4s",
            "str q3, [{o2}, #16]",
            "mla v19.4s, v4.4s, v2.s[3]",
            "scvtf v19.4s, v19.4s",
            "fmul v18.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v19.4s, v18.4s",
            "str q3, [{o3}, #16]",
            "zip1 v7.2d, v26.2d, v27.2d",
            "zip2 v27.2d, v26.2d, v27.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v26.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v26.4s",
            "str q3, [{o4}, #16]",
            "mla v27.4s, v4.4s, v1.s[3]",
            "scvtf v27.4s, v27.4s",
            "fmul v26.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v27.4s, v26.4s",
            "str q3, [{o5}, #16]",
            "ldr q4, [{sum}, #32]",
            "ldr q5, [{scl}, #32]",
            "ldr q6, [{bias}, #32]",
            "zip1 v7.2d, v12.2d, v13.2d",
            "zip2 v13.2d, v12.2d, v13.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v12.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v12.4s",
            "str q3, [{o0}, #32]",
            "mla v13.4s, v4.4s, v2.s[1]",
            "scvtf v13.4s, v13.4s",
            "fmul v12.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v13.4s, v12.4s",
            "str q3, [{o1}, #32]",
            "zip1 v7.2d, v20.2d, v21.2d",
            "zip2 v21.2d, v20.2d, v21.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v20.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v20.4s",
            "str q3, [{o2}, #32]",
            "mla v21.4s, v4.4s, v2.s[3]",
            "scvtf v21.4s, v21.4s",
            "fmul v20.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v21.4s, v20.4s",
            "str q3, [{o3}, #32]",
            "zip1 v7.2d, v28.2d, v29.2d",
            "zip2 v29.2d, v28.2d, v29.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v28.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v28.4s",
            "str q3, [{o4}, #32]",
            "mla v29.4s, v4.4s, v1.s[3]",
            "scvtf v29.4s, v29.4s",
            "fmul v28.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v29.4s, v28.4s",
            "str q3, [{o5}, #32]",
            "ldr q4, [{sum}, #48]",
            "ldr q5, [{scl}, #48]",
            "ldr q6, [{bias}, #48]",
            "zip1 v7.2d, v14.2d, v15.2d",
            "zip2 v15.2d, v14.2d, v15.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v14.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v14.4s",
            "str q3, [{o0}, #48]",
            "mla v15.4s, v4.4s, v2.s[1]",
            "scvtf v15.4s, v15.4s",
            "fmul v14.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v15.4s, v14.4s",
            "str q3, [{o1}, #48]",
            "zip1 v7.2d, v22.2d, v23.2d",
            "zip2 v23.2d, v22.2d, v23.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v22.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v22.4s",
            "str q3, [{o2}, #48]",
            "mla v23.4s, v4.4s, v2.s[3]",
            "scvtf v23.4s, v23.4s",
            "fmul v22.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v23.4s, v22.4s",
            "str q3, [{o3}, #48]",
            "zip1 v7.2d, v30.2d, v31.2d",
            "zip2 v31.2d, v30.2d, v31.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v30.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v30.4s",
            "str q3, [{o4}, #48]",
            "mla v31.4s, v4.4s, v1.s[3]",
            "scvtf v31.4s, v31.4s",
            "fmul v30.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v31.4s, v30.4s",
            "str q3, [{o5}, #48]",
            "b 4f",
            "5:",
            "ldr q4, [{sum}, #0]",
            "ldr q5, [{scl}, #0]",
            "zip1 v7.2d, v8.2d, v9.2d",
            "zip2 v9.2d, v8.2d, v9.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v8.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v7.4s, v8.4s",
            "str q3, [{o0}, #0]",
            "mla v9.4s, v4.4s, v2.s[1]",
            "scvtf v9.4s, v9.4s",
            "fmul v8.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v9.4s, v8.4s",
            "str q3, [{o1}, #0]",
            "zip1 v7.2d, v16.2d, v17.2d",
            "zip2 v17.2d, v16.2d, v17.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v16.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v7.4s, v16.4s",
            "str q3, [{o2}, #0]",
            "mla v17.4s, v4.4s, v2.s[3]",
            "scvtf v17.4s, v17.4s",
            "fmul v16.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v17.4s, v16.4s",
            "str q3, [{o3}, #0]",
            "zip1 v7.2d, v24.2d, v25.2d",
            "zip2 v25.2d, v24.2d, v25.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v24.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v7.4s, v24.4s",
            "str q3, [{o4}, #0]",
            "mla v25.4s, v4.4s, v1.s[3]",
            "scvtf v25.4s, v25.4s",
            "fmul v24.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v25.4s, v24.4s",
            "str q3, [{o5}, #0]",
            "ldr q4, [{sum}, #16]",
            "ldr q5, [{scl}, #16]",
            "zip1 v7.2d, v10.2d, v11.2d",
            "zip2 v11.2d, v10.2d, v11.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v10.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v7.4s, v10.4s",
            "str q3, [{o0}, #16]",
            "mla v11.4s, v4.4s, v2.s[1]",
            "scvtf v11.4s, v11.4s",
            "fmul v10.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v11.4s, v10.4s",
            "str q3, [{o1}, #16]",
            "zip1 v7.2d, v18.2d, v19.2d",
            "zip2 v19.2d, v18.2d, v19.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v18.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v7.4s, v18.4s",
            "str q3, [{o2}, #16]",
            "mla v19.4s, v4.4s, v2.s[3]",
            "scvtf v19.4s, v19.4s",
            "fmul v18.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v19.4s, v18.4s",
            "str q3, [{o3}, #16]",
            "zip1 v7.2d, v26.2d, v27.2d",
            "zip2 v27.2d, v26.2d, v27.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v26.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v7.4s, v26.4s",
            "str q3, [{o4}, #16]",
            "mla v27.4s, v4.4s, v1.s[3]",
            "scvtf v27.4s, v27.4s",
            "fmul v26.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v27.4s, v26.4s",
            "str q3, [{o5}, #16]",
            "ldr q4, [{sum}, #32]",
            "ldr q5, [{scl}, #32]",
            "zip1 v7.2d, v12.2d, v13.2d",
            "zip2 v13.2d, v12.2d, v13.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v12.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v7.4s, v12.4s",
            "str q3, [{o0}, #32]",
            "mla v13.4s, v4.4s, v2.s[1]",
            "scvtf v13.4s, v13.4s",
            "fmul v12.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v13.4s, v12.4s",
            "str q3, [{o1}, #32]",
            "zip1 v7.2d, v20.2d, v21.2d",
            "zip2 v21.2d, v20.2d, v21.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v20.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v7.4s, v20.4s",
            "str q3, [{o2}, #32]",
            "mla v21.4s, v4.4s, v2.s[3]",
            "scvtf v21.4s, v21.4s",
            "fmul v20.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v21.4s, v20.4s",
            "str q3, [{o3}, #32]",
            "zip1 v7.2d, v28.2d, v29.2d",
            "zip2 v29.2d, v28.2d, v29.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v28.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v7.4s, v28.4s",
            "str q3, [{o4}, #32]",
            "mla v29.4s, v4.4s, v1.s[3]",
            "scvtf v29.4s, v29.4s",
            "fmul v28.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v29.4s, v28.4s",
            "str q3, [{o5}, #32]",
            "ldr q4, [{sum}, #48]",
            "ldr q5, [{scl}, #48]",
            "zip1 v7.2d, v14.2d, v15.2d",
            "zip2 v15.2d, v14.2d, v15.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v14.4s, v5.4s, v0.s[0]",
            "fmul v3.4s, v7.4s, v14.4s",
            "str q3, [{o0}, #48]",
            "mla v15.4s, v4.4s, v2.s[1]",
            "scvtf v15.4s, v15.4s",
            "fmul v14.4s, v5.4s, v0.s[1]",
            "fmul v3.4s, v15.4s, v14.4s",
            "str q3, [{o1}, #48]",
            "zip1 v7.2d, v22.2d, v23.2d",
            "zip2 v23.2d, v22.2d, v23.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v22.4s, v5.4s, v0.s[2]",
            "fmul v3.4s, v7.4s, v22.4s",
            "str q3, [{o2}, #48]",
            "mla v23.4s, v4.4s, v2.s[3]",
            "scvtf v23.4s, v23.4s",
            "fmul v22.4s, v5.4s, v0.s[3]",
            "fmul v3.4s, v23.4s, v22.4s",
            "str q3, [{o3}, #48]",
            "zip1 v7.2d, v30.2d, v31.2d",
            "zip2 v31.2d, v30.2d, v31.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v30.4s, v5.4s, v1.s[0]",
            "fmul v3.4s, v7.4s, v30.4s",
            "str q3, [{o4}, #48]",
            "mla v31.4s, v4.4s, v1.s[3]",
            "scvtf v31.4s, v31.4s",
            "fmul v30.4s, v5.4s, v1.s[1]",
            "fmul v3.4s, v31.4s, v30.4s",
            "str q3, [{o5}, #48]",
            "b 4f",
            "3:",
            "ldr q4, [{sum}, #0]",
            "ldr q5, [{scl}, #0]",
            "ldr q6, [{bias}, #0]",
            "zip1 v7.2d, v8.2d, v9.2d",
            "zip2 v9.2d, v8.2d, v9.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v8.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v8.4s",
            "ldr q8, [{o0}, #0]",
            "fadd v3.4s, v3.4s, v8.4s",
            "str q3, [{o0}, #0]",
            "mla v9.4s, v4.4s, v2.s[1]",
            "scvtf v9.4s, v9.4s",
            "fmul v8.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v9.4s, v8.4s",
            "ldr q7, [{o1}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #0]",
            "zip1 v7.2d, v16.2d, v17.2d",
            "zip2 v17.2d, v16.2d, v17.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v16.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v16.4s",
            "ldr q16, [{o2}, #0]",
            "fadd v3.4s, v3.4s, v16.4s",
            "str q3, [{o2}, #0]",
            "mla v17.4s, v4.4s, v2.s[3]",
            "scvtf v17.4s, v17.4s",
            "fmul v16.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v17.4s, v16.4s",
            "ldr q7, [{o3}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #0]",
            "zip1 v7.2d, v24.2d, v25.2d",
            "zip2 v25.2d, v24.2d, v25.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v24.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v24.4s",
            "ldr q24, [{o4}, #0]",
            "fadd v3.4s, v3.4s, v24.4s",
            "str q3, [{o4}, #0]",
            "mla v25.4s, v4.4s, v1.s[3]",
            "scvtf v25.4s, v25.4s",
            "fmul v24.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v25.4s, v24.4s",
            "ldr q7, [{o5}, #0]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #0]",
            "ldr q4, [{sum}, #16]",
            "ldr q5, [{scl}, #16]",
            "ldr q6, [{bias}, #16]",
            "zip1 v7.2d, v10.2d, v11.2d",
            "zip2 v11.2d, v10.2d, v11.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v10.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v10.4s",
            "ldr q10, [{o0}, #16]",
            "fadd v3.4s, v3.4s, v10.4s",
            "str q3, [{o0}, #16]",
            "mla v11.4s, v4.4s, v2.s[1]",
            "scvtf v11.4s, v11.4s",
            "fmul v10.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v11.4s, v10.4s",
            "ldr q7, [{o1}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #16]",
            "zip1 v7.2d, v18.2d, v19.2d",
            "zip2 v19.2d, v18.2d, v19.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v18.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v18.4s",
            "ldr q18, [{o2}, #16]",
            "fadd v3.4s, v3.4s, v18.4s",
            "str q3, [{o2}, #16]",
            "mla v19.4s, v4.4s, v2.s[3]",
            "scvtf v19.4s, v19.4s",
            "fmul v18.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v19.4s, v18.4s",
            "ldr q7, [{o3}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #16]",
            "zip1 v7.2d, v26.2d, v27.2d",
            "zip2 v27.2d, v26.2d, v27.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v26.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v26.4s",
            "ldr q26, [{o4}, #16]",
            "fadd v3.4s, v3.4s, v26.4s",
            "str q3, [{o4}, #16]",
            "mla v27.4s, v4.4s, v1.s[3]",
            "scvtf v27.4s, v27.4s",
            "fmul v26.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v27.4s, v26.4s",
            "ldr q7, [{o5}, #16]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #16]",
            "ldr q4, [{sum}, #32]",
            "ldr q5, [{scl}, #32]",
            "ldr q6, [{bias}, #32]",
            "zip1 v7.2d, v12.2d, v13.2d",
            "zip2 v13.2d, v12.2d, v13.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v12.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v12.4s",
            "ldr q12, [{o0}, #32]",
            "fadd v3.4s, v3.4s, v12.4s",
            "str q3, [{o0}, #32]",
            "mla v13.4s, v4.4s, v2.s[1]",
            "scvtf v13.4s, v13.4s",
            "fmul v12.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v13.4s, v12.4s",
            "ldr q7, [{o1}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #32]",
            "zip1 v7.2d, v20.2d, v21.2d",
            "zip2 v21.2d, v20.2d, v21.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v20.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v20.4s",
            "ldr q20, [{o2}, #32]",
            "fadd v3.4s, v3.4s, v20.4s",
            "str q3, [{o2}, #32]",
            "mla v21.4s, v4.4s, v2.s[3]",
            "scvtf v21.4s, v21.4s",
            "fmul v20.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v21.4s, v20.4s",
            "ldr q7, [{o3}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #32]",
            "zip1 v7.2d, v28.2d, v29.2d",
            "zip2 v29.2d, v28.2d, v29.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v28.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v28.4s",
            "ldr q28, [{o4}, #32]",
            "fadd v3.4s, v3.4s, v28.4s",
            "str q3, [{o4}, #32]",
            "mla v29.4s, v4.4s, v1.s[3]",
            "scvtf v29.4s, v29.4s",
            "fmul v28.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v29.4s, v28.4s",
            "ldr q7, [{o5}, #32]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #32]",
            "ldr q4, [{sum}, #48]",
            "ldr q5, [{scl}, #48]",
            "ldr q6, [{bias}, #48]",
            "zip1 v7.2d, v14.2d, v15.2d",
            "zip2 v15.2d, v14.2d, v15.2d",
            "mla v7.4s, v4.4s, v2.s[0]",
            "scvtf v7.4s, v7.4s",
            "fmul v14.4s, v5.4s, v0.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v14.4s",
            "ldr q14, [{o0}, #48]",
            "fadd v3.4s, v3.4s, v14.4s",
            "str q3, [{o0}, #48]",
            "mla v15.4s, v4.4s, v2.s[1]",
            "scvtf v15.4s, v15.4s",
            "fmul v14.4s, v5.4s, v0.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v15.4s, v14.4s",
            "ldr q7, [{o1}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o1}, #48]",
            "zip1 v7.2d, v22.2d, v23.2d",
            "zip2 v23.2d, v22.2d, v23.2d",
            "mla v7.4s, v4.4s, v2.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v22.4s, v5.4s, v0.s[2]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v22.4s",
            "ldr q22, [{o2}, #48]",
            "fadd v3.4s, v3.4s, v22.4s",
            "str q3, [{o2}, #48]",
            "mla v23.4s, v4.4s, v2.s[3]",
            "scvtf v23.4s, v23.4s",
            "fmul v22.4s, v5.4s, v0.s[3]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v23.4s, v22.4s",
            "ldr q7, [{o3}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o3}, #48]",
            "zip1 v7.2d, v30.2d, v31.2d",
            "zip2 v31.2d, v30.2d, v31.2d",
            "mla v7.4s, v4.4s, v1.s[2]",
            "scvtf v7.4s, v7.4s",
            "fmul v30.4s, v5.4s, v1.s[0]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v7.4s, v30.4s",
            "ldr q30, [{o4}, #48]",
            "fadd v3.4s, v3.4s, v30.4s",
            "str q3, [{o4}, #48]",
            "mla v31.4s, v4.4s, v1.s[3]",
            "scvtf v31.4s, v31.4s",
            "fmul v30.4s, v5.4s, v1.s[1]",
            "mov v3.16b, v6.16b",
            "fmla v3.4s, v31.4s, v30.4s",
            "ldr q7, [{o5}, #48]",
            "fadd v3.4s, v3.4s, v7.4s",
            "str q3, [{o5}, #48]",
            "4:",
            // end of generated lines
        );
    }
}

/// The `k` loop of [`smmla_pairs_tile`] as one `asm!` block into the accumulators `$acc`, for the
/// row pairs at `$pair(0..3)` and the half-panel at `$panel`.
macro_rules! smmla_pairs_asm {
    ($acc:ident, $pair:expr, $kq:expr, $panel:expr) => {
        smmla_tile_asm!($acc,
            "movi v8.4s, #0", "movi v9.4s, #0", "movi v10.4s, #0", "movi v11.4s, #0",
            "movi v12.4s, #0", "movi v13.4s, #0", "movi v14.4s, #0", "movi v15.4s, #0",
            "movi v16.4s, #0", "movi v17.4s, #0", "movi v18.4s, #0", "movi v19.4s, #0",
            "movi v20.4s, #0", "movi v21.4s, #0", "movi v22.4s, #0", "movi v23.4s, #0",
            "movi v24.4s, #0", "movi v25.4s, #0", "movi v26.4s, #0", "movi v27.4s, #0",
            "movi v28.4s, #0", "movi v29.4s, #0", "movi v30.4s, #0", "movi v31.4s, #0",
            "cbz {n}, 2f",
            "1:",
            "ldr q0, [{p0}], #16",
            "ldr q1, [{p1}], #16",
            "ldr q2, [{p2}], #16",
            "ld1 {{v3.16b, v4.16b, v5.16b, v6.16b}}, [{w}], #64",
            "smmla v8.4s, v0.16b, v3.16b",
            "smmla v16.4s, v1.16b, v3.16b",
            "smmla v24.4s, v2.16b, v3.16b",
            "smmla v9.4s, v0.16b, v4.16b",
            "smmla v17.4s, v1.16b, v4.16b",
            "smmla v25.4s, v2.16b, v4.16b",
            "smmla v10.4s, v0.16b, v5.16b",
            "smmla v18.4s, v1.16b, v5.16b",
            "smmla v26.4s, v2.16b, v5.16b",
            "smmla v11.4s, v0.16b, v6.16b",
            "smmla v19.4s, v1.16b, v6.16b",
            "smmla v27.4s, v2.16b, v6.16b",
            "ld1 {{v3.16b, v4.16b, v5.16b, v6.16b}}, [{w}], #64",
            "smmla v12.4s, v0.16b, v3.16b",
            "smmla v20.4s, v1.16b, v3.16b",
            "smmla v28.4s, v2.16b, v3.16b",
            "smmla v13.4s, v0.16b, v4.16b",
            "smmla v21.4s, v1.16b, v4.16b",
            "smmla v29.4s, v2.16b, v4.16b",
            "smmla v14.4s, v0.16b, v5.16b",
            "smmla v22.4s, v1.16b, v5.16b",
            "smmla v30.4s, v2.16b, v5.16b",
            "smmla v15.4s, v0.16b, v6.16b",
            "smmla v23.4s, v1.16b, v6.16b",
            "smmla v31.4s, v2.16b, v6.16b",
            "add {w}, {w}, #128",
            "subs {n}, {n}, #1",
            "b.ne 1b",
            "2:",
            n = inout(reg) $kq.div_ceil(2) => _,
            p0 = inout(reg) $pair(0) => _,
            p1 = inout(reg) $pair(1) => _,
            p2 = inout(reg) $pair(2) => _,
            w = inout(reg) $panel => _,
        )
    };
}

/// [`smmla_tile`] on weights in `SMMLA`'s layout ([`Layout::Pairs`]): per step of eight `k` the
/// half-panel's 128 bytes are the eight 2 × 8 column blocks in order (columns 2j, 2j + 1 at byte
/// 16j), read by two four-register loads; no `ZIP`. Per step: three 16-byte row-pair loads, two
/// weight loads, 24 `SMMLA`s. Both layouts round the lane count up to even (the weights with zero
/// lanes, the activations with padding they meet), so there is no odd last step.
///
/// # Safety
/// As [`block`] (FEAT_I8MM, `Pairs` weights), for `R` rows and one half-panel (`panel` at its
/// first pair of lane rows, pairs 64 lanes apart); `a` at the tile's first row pair, pairs
/// `stride` lanes apart.
#[target_feature(enable = "neon,dotprod,i8mm")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn smmla_pairs_tile<const R: usize>(
    a: *const u32,
    stride: usize,
    kq: usize,
    panel: *const u32,
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    let mut acc = [[vdupq_n_s32(0); 8]; 3];
    let pair = |i: usize| a.wrapping_add(i.min(R.div_ceil(2) - 1) * stride) as *const u8;
    // SAFETY: each pair pointer reads its pair's ⌈kq/2⌉ steps of 16 bytes, pairs < ⌈R/2⌉ of the
    // caller's; the weight pointer reads 128 bytes per pair of lane rows, ⌈kq/2⌉ pairs 256 bytes
    // apart, all inside the `Pairs` panel (its lane rows are ⌈kq/2⌉·2). The registers the block
    // uses are all declared; it touches no stack and writes no memory.
    unsafe { smmla_pairs_asm!(acc, pair, kq, panel) };
    // SAFETY: the caller's contract.
    unsafe { finish_pairs::<R>(&acc, rs, cs, out, ldo, accumulate) };
}

/// All of a half-panel's tiles for `rows` rows on [`smmla_pairs_tile`]: the full 6-row tiles in
/// this function's own loop (one call per half-panel instead of one per tile: the registers the
/// tile clobbers are saved and restored once), the last partial tile by a call.
///
/// # Safety
/// As [`smmla_pairs_tile`] for `rows` rows (`a` at the first row pair, `rs` at the first row's
/// scale and zero point, `out` at its output).
#[target_feature(enable = "neon,dotprod,i8mm")]
#[allow(clippy::too_many_arguments)]
unsafe fn smmla_pairs_strip(
    a: *const u32,
    stride: usize,
    kq: usize,
    panel: *const u32,
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
    rows: usize,
) {
    let mut r = 0;
    while rows - r >= MR {
        let mut acc = [[vdupq_n_s32(0); 8]; 3];
        let first = a.wrapping_add(r / 2 * stride);
        let pair = |i: usize| first.wrapping_add(i * stride) as *const u8;
        // SAFETY: as in `smmla_pairs_tile` for the 6 rows r .. r + 6 < rows (3 pairs).
        unsafe {
            smmla_pairs_asm!(acc, pair, kq, panel);
            let rs = (rs.0.add(r), rs.1.add(r));
            finish_six(acc, rs, cs, out.add(r * ldo), ldo, accumulate);
        }
        r += MR;
    }
    // SAFETY: the rows left, as the caller's contract.
    unsafe {
        let (first, rs, dst) = (a.add(r / 2 * stride), (rs.0.add(r), rs.1.add(r)), out.add(r * ldo));
        match rows - r {
            0 => {}
            1 => smmla_pairs_tile::<1>(first, stride, kq, panel, rs, cs, dst, ldo, accumulate),
            2 => smmla_pairs_tile::<2>(first, stride, kq, panel, rs, cs, dst, ldo, accumulate),
            3 => smmla_pairs_tile::<3>(first, stride, kq, panel, rs, cs, dst, ldo, accumulate),
            4 => smmla_pairs_tile::<4>(first, stride, kq, panel, rs, cs, dst, ldo, accumulate),
            _ => smmla_pairs_tile::<5>(first, stride, kq, panel, rs, cs, dst, ldo, accumulate),
        }
    }
}
