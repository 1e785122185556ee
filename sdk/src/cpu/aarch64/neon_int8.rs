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
//!   columns to make the two 2 × 8 column blocks.

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
    let kq = a.kq;
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
                by_tiles!(rows, MR, |r, R| {
                    let row = r0 + r;
                    let rs = (a.scale.as_ptr().add(row), a.zero.as_ptr().add(row));
                    let (src, dst) = (a.data.as_ptr().add(row * kq), out.add(r * ldo + c0));
                    match kernel {
                        Kernel::Sdot => sdot_tile::<R>(src, kq, panel, rs, cs, dst, ldo, ep.accumulate),
                        Kernel::Smmla => smmla_tile::<R>(src, kq, panel, rs, cs, dst, ldo, ep.accumulate),
                        Kernel::SmmlaPairs => smmla_pairs_tile::<R>(src, kq, panel, rs, cs, dst, ldo, ep.accumulate),
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

/// One `R × 16` tile on `SDOT` over all `kq` lanes (activation row stride `kq` lanes; rows past
/// `R` repeat the last row: computed and not stored).
///
/// The whole `k` loop is one `asm!` block with the 24 accumulators in `v8`–`v31` (row r, columns
/// 4c .. 4c + 4 in `v(8 + 4r + c)`): per step of sixteen `k` (four lanes), six 16-byte row loads,
/// their top bits flipped (`u − 128`), then per lane and group of four columns one weight load
/// and six `SDOT`s by element. Left-over lanes (`kq mod 4`) take one lane per step, broadcast.
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
    let mut acc = [0i32; 96];
    let row = |r: usize| a.wrapping_add(r.min(R - 1) * kq) as *const u8;
    // SAFETY: each row pointer reads its row's kq lanes (16 bytes per step, then 4 per left-over
    // lane), rows < R of the caller's; the weight pointer reads lane rows < kq of the half-panel,
    // 64 bytes each at a stride of PANEL lanes (128 bytes); 96 sums are written to `acc`. The
    // registers the block uses are all declared; it touches no stack and no other memory.
    unsafe {
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
            "st1 {{v8.4s, v9.4s, v10.4s, v11.4s}}, [{acc}], #64",
            "st1 {{v12.4s, v13.4s, v14.4s, v15.4s}}, [{acc}], #64",
            "st1 {{v16.4s, v17.4s, v18.4s, v19.4s}}, [{acc}], #64",
            "st1 {{v20.4s, v21.4s, v22.4s, v23.4s}}, [{acc}], #64",
            "st1 {{v24.4s, v25.4s, v26.4s, v27.4s}}, [{acc}], #64",
            "st1 {{v28.4s, v29.4s, v30.4s, v31.4s}}, [{acc}], #64",
            n = inout(reg) kq / 4 => _,
            rest = inout(reg) kq % 4 => _,
            p0 = inout(reg) row(0) => _,
            p1 = inout(reg) row(1) => _,
            p2 = inout(reg) row(2) => _,
            p3 = inout(reg) row(3) => _,
            p4 = inout(reg) row(4) => _,
            p5 = inout(reg) row(5) => _,
            w = inout(reg) panel => _,
            acc = inout(reg) acc.as_mut_ptr() => _,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _,
            out("v4") _, out("v5") _, out("v6") _, out("v7") _,
            out("v8") _, out("v9") _, out("v10") _, out("v11") _,
            out("v12") _, out("v13") _, out("v14") _, out("v15") _,
            out("v16") _, out("v17") _, out("v18") _, out("v19") _,
            out("v20") _, out("v21") _, out("v22") _, out("v23") _,
            out("v24") _, out("v25") _, out("v26") _, out("v27") _,
            out("v28") _, out("v29") _, out("v30") _, out("v31") _,
            options(nostack),
        );
    }
    // SAFETY: row r's 16 sums are acc[16r ..][..16], r < R ≤ 6.
    let by_row: [[int32x4_t; 4]; R] =
        std::array::from_fn(|r| std::array::from_fn(|c| unsafe { vld1q_s32(acc.as_ptr().add(16 * r + 4 * c)) }));
    // SAFETY: the caller's contract.
    unsafe { finish::<R>(&by_row, rs, cs, out, ldo, accumulate) };
}

/// One `R × 16` tile on `SMMLA` over all `kq` lanes, two rows per block (rows past `R` repeat the
/// last row: computed and not stored).
///
/// The whole `k` loop is one `asm!` block, so its 24 accumulators stay in `v8`–`v31` for the loop
/// (as separate one-instruction `asm!`s they cost a spill and ~30 register copies per step, which
/// the phone benchmark counted). Per step of eight `k` (lanes t, t + 1): six 8-byte row loads into
/// three row-pair registers (the first of each pair an `LDR d`, which writes the whole register:
/// a lane insert into the last step's register chained every step behind the previous one, 24
/// cycles per step in llvm-mca instead of 8), their top bits flipped (`u − 128`), then per group of four columns
/// the two lane rows of weights loaded and zipped into two 2 × 8 column blocks, and six `SMMLA`s.
/// An odd last lane is a separate step with zero weights for the missing lane (the activation
/// bytes it meets are then irrelevant).
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
    // acc[(8i + j)·4 ..][..4] = v(8 + 8i + j): pair i (rows 2i, 2i + 1), columns 2j, 2j + 1.
    let mut acc = [0i32; 96];
    let row = |r: usize| a.wrapping_add(r.min(R - 1) * kq) as *const u8;
    // SAFETY: each row pointer reads its row's kq lanes (8 bytes per step, 4 in the last odd one),
    // rows < R of the caller's; the weight pointer reads lane rows t, t + 1 < kq of the half-panel,
    // 64 bytes each at a stride of PANEL lanes (128 bytes); 96 sums are written to `acc`. The
    // registers the block uses are all declared; it touches no stack and no other memory.
    unsafe {
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
            "ldr d0, [{p0}], #8",
            "ld1 {{v0.d}}[1], [{p1}], #8",
            "ldr d1, [{p2}], #8",
            "ld1 {{v1.d}}[1], [{p3}], #8",
            "ldr d2, [{p4}], #8",
            "ld1 {{v2.d}}[1], [{p5}], #8",
            "eor v0.16b, v0.16b, v6.16b",
            "eor v1.16b, v1.16b, v6.16b",
            "eor v2.16b, v2.16b, v6.16b",
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
            // The last lane alone: 4 bytes per row, the second lane's weights zero (v7).
            "movi v0.2d, #0", "movi v1.2d, #0", "movi v2.2d, #0", "movi v7.2d, #0",
            "ld1 {{v0.s}}[0], [{p0}]",
            "ld1 {{v0.s}}[2], [{p1}]",
            "ld1 {{v1.s}}[0], [{p2}]",
            "ld1 {{v1.s}}[2], [{p3}]",
            "ld1 {{v2.s}}[0], [{p4}]",
            "ld1 {{v2.s}}[2], [{p5}]",
            "eor v0.16b, v0.16b, v6.16b",
            "eor v1.16b, v1.16b, v6.16b",
            "eor v2.16b, v2.16b, v6.16b",
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
            "st1 {{v8.4s, v9.4s, v10.4s, v11.4s}}, [{acc}], #64",
            "st1 {{v12.4s, v13.4s, v14.4s, v15.4s}}, [{acc}], #64",
            "st1 {{v16.4s, v17.4s, v18.4s, v19.4s}}, [{acc}], #64",
            "st1 {{v20.4s, v21.4s, v22.4s, v23.4s}}, [{acc}], #64",
            "st1 {{v24.4s, v25.4s, v26.4s, v27.4s}}, [{acc}], #64",
            "st1 {{v28.4s, v29.4s, v30.4s, v31.4s}}, [{acc}], #64",
            n = inout(reg) kq / 2 => _,
            odd = in(reg) kq % 2,
            p0 = inout(reg) row(0) => _,
            p1 = inout(reg) row(1) => _,
            p2 = inout(reg) row(2) => _,
            p3 = inout(reg) row(3) => _,
            p4 = inout(reg) row(4) => _,
            p5 = inout(reg) row(5) => _,
            w = inout(reg) panel => _,
            acc = inout(reg) acc.as_mut_ptr() => _,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _,
            out("v4") _, out("v5") _, out("v6") _, out("v7") _,
            out("v8") _, out("v9") _, out("v10") _, out("v11") _,
            out("v12") _, out("v13") _, out("v14") _, out("v15") _,
            out("v16") _, out("v17") _, out("v18") _, out("v19") _,
            out("v20") _, out("v21") _, out("v22") _, out("v23") _,
            out("v24") _, out("v25") _, out("v26") _, out("v27") _,
            out("v28") _, out("v29") _, out("v30") _, out("v31") _,
            options(nostack),
        );
    }
    // SAFETY: the caller's contract.
    unsafe { finish_blocks::<R>(&acc, rs, cs, out, ldo, accumulate) };
}

/// [`finish`] for the `SMMLA` tiles' accumulators, stored as 2 × 2 blocks: `acc[(8i + j)·4 ..]`
/// holds rows 2i, 2i + 1 × columns 2j, 2j + 1.
///
/// # Safety
/// As [`finish`].
#[target_feature(enable = "neon")]
#[inline]
unsafe fn finish_blocks<const R: usize>(
    acc: &[i32; 96],
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    // Back to rows: row 2i's columns 4g .. 4g + 4 are the low halves of blocks 2g and 2g + 1.
    // SAFETY: (8i + j)·4 + 4 ≤ 96.
    let block = |i: usize, j: usize| unsafe { vreinterpretq_s64_s32(vld1q_s32(acc.as_ptr().add((8 * i + j) * 4))) };
    let mut by_row = [[vdupq_n_s32(0); 4]; R];
    for (r, dst) in by_row.iter_mut().enumerate() {
        let (i, upper) = (r / 2, r % 2 == 1);
        for (g, d) in dst.iter_mut().enumerate() {
            let (x, y) = (block(i, 2 * g), block(i, 2 * g + 1));
            *d = vreinterpretq_s32_s64(if upper { vzip2q_s64(x, y) } else { vzip1q_s64(x, y) });
        }
    }
    // SAFETY: the caller's contract.
    unsafe { finish::<R>(&by_row, rs, cs, out, ldo, accumulate) };
}

/// [`smmla_tile`] on weights in `SMMLA`'s layout ([`Layout::Pairs`]): per step of eight `k` the
/// half-panel's 128 bytes are the eight 2 × 8 column blocks in order (columns 2j, 2j + 1 at byte
/// 16j), read by two four-register loads; no `ZIP`. An odd last lane is a step whose weights for
/// the missing lane are the layout's zeros; its activations are read 4 bytes per row.
///
/// # Safety
/// As [`block`] (FEAT_I8MM, `Pairs` weights), for `R` rows and one half-panel (`panel` at its
/// first pair of lane rows, pairs 64 lanes apart).
#[target_feature(enable = "neon,dotprod,i8mm")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn smmla_pairs_tile<const R: usize>(
    a: *const u32,
    kq: usize,
    panel: *const u32,
    rs: (*const f32, *const i32),
    cs: Cols,
    out: *mut f32,
    ldo: usize,
    accumulate: bool,
) {
    // acc[(8i + j)·4 ..][..4] = v(8 + 8i + j): pair i (rows 2i, 2i + 1), columns 2j, 2j + 1.
    let mut acc = [0i32; 96];
    let row = |r: usize| a.wrapping_add(r.min(R - 1) * kq) as *const u8;
    // SAFETY: each row pointer reads its row's kq lanes (8 bytes per step, 4 in the last odd one),
    // rows < R of the caller's; the weight pointer reads 128 bytes per pair of lane rows,
    // ⌈kq/2⌉ pairs 256 bytes apart, all inside the `Pairs` panel (its lane rows are ⌈kq/2⌉·2);
    // 96 sums are written to `acc`. The registers the block uses are all declared; it touches no
    // stack and no other memory.
    unsafe {
        asm!(
            "movi v7.16b, #0x80",
            "movi v8.4s, #0", "movi v9.4s, #0", "movi v10.4s, #0", "movi v11.4s, #0",
            "movi v12.4s, #0", "movi v13.4s, #0", "movi v14.4s, #0", "movi v15.4s, #0",
            "movi v16.4s, #0", "movi v17.4s, #0", "movi v18.4s, #0", "movi v19.4s, #0",
            "movi v20.4s, #0", "movi v21.4s, #0", "movi v22.4s, #0", "movi v23.4s, #0",
            "movi v24.4s, #0", "movi v25.4s, #0", "movi v26.4s, #0", "movi v27.4s, #0",
            "movi v28.4s, #0", "movi v29.4s, #0", "movi v30.4s, #0", "movi v31.4s, #0",
            "cbz {n}, 2f",
            "1:",
            "ldr d0, [{p0}], #8",
            "ld1 {{v0.d}}[1], [{p1}], #8",
            "ldr d1, [{p2}], #8",
            "ld1 {{v1.d}}[1], [{p3}], #8",
            "ldr d2, [{p4}], #8",
            "ld1 {{v2.d}}[1], [{p5}], #8",
            "eor v0.16b, v0.16b, v7.16b",
            "eor v1.16b, v1.16b, v7.16b",
            "eor v2.16b, v2.16b, v7.16b",
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
            "cbz {odd}, 3f",
            // The last lane alone: 4 bytes per row (the rest of each 8 meets zero weights).
            "movi v0.2d, #0", "movi v1.2d, #0", "movi v2.2d, #0",
            "ld1 {{v0.s}}[0], [{p0}]",
            "ld1 {{v0.s}}[2], [{p1}]",
            "ld1 {{v1.s}}[0], [{p2}]",
            "ld1 {{v1.s}}[2], [{p3}]",
            "ld1 {{v2.s}}[0], [{p4}]",
            "ld1 {{v2.s}}[2], [{p5}]",
            "eor v0.16b, v0.16b, v7.16b",
            "eor v1.16b, v1.16b, v7.16b",
            "eor v2.16b, v2.16b, v7.16b",
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
            "ld1 {{v3.16b, v4.16b, v5.16b, v6.16b}}, [{w}]",
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
            "3:",
            "st1 {{v8.4s, v9.4s, v10.4s, v11.4s}}, [{acc}], #64",
            "st1 {{v12.4s, v13.4s, v14.4s, v15.4s}}, [{acc}], #64",
            "st1 {{v16.4s, v17.4s, v18.4s, v19.4s}}, [{acc}], #64",
            "st1 {{v20.4s, v21.4s, v22.4s, v23.4s}}, [{acc}], #64",
            "st1 {{v24.4s, v25.4s, v26.4s, v27.4s}}, [{acc}], #64",
            "st1 {{v28.4s, v29.4s, v30.4s, v31.4s}}, [{acc}], #64",
            n = inout(reg) kq / 2 => _,
            odd = in(reg) kq % 2,
            p0 = inout(reg) row(0) => _,
            p1 = inout(reg) row(1) => _,
            p2 = inout(reg) row(2) => _,
            p3 = inout(reg) row(3) => _,
            p4 = inout(reg) row(4) => _,
            p5 = inout(reg) row(5) => _,
            w = inout(reg) panel => _,
            acc = inout(reg) acc.as_mut_ptr() => _,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _,
            out("v4") _, out("v5") _, out("v6") _, out("v7") _,
            out("v8") _, out("v9") _, out("v10") _, out("v11") _,
            out("v12") _, out("v13") _, out("v14") _, out("v15") _,
            out("v16") _, out("v17") _, out("v18") _, out("v19") _,
            out("v20") _, out("v21") _, out("v22") _, out("v23") _,
            out("v24") _, out("v25") _, out("v26") _, out("v27") _,
            out("v28") _, out("v29") _, out("v30") _, out("v31") _,
            options(nostack),
        );
    }
    // SAFETY: the caller's contract.
    unsafe { finish_blocks::<R>(&acc, rs, cs, out, ldo, accumulate) };
}
