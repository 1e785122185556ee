//! The aarch64 kernels: the packed f32 product on `FMLA` (by element), and the int8 product on
//! `SDOT` (FEAT_DotProd) and `SMMLA` (FEAT_I8MM), and hand-written NEON softmax numerators, GELU,
//! LayerNorm, RoPE and `u8` quantisers (`neon`). The other element-wise functions (the f32
//! softmax) need no separate build here: Advanced SIMD is part of the aarch64 baseline, so the
//! portable code in `math.rs` is compiled for NEON already.
//!
//! Every function here is `unsafe` because it reads and writes through raw pointers, and the int8
//! ones because they use instructions of their tier. Callers choose them from a [`super::Cpu`],
//! which never claims a tier the hardware lacks.
//!
//! `SDOT` and `SMMLA` are written as inline assembly: their `std::arch` intrinsics
//! (`vdotq_laneq_s32`, `vmmlaq_s32`) are not stable Rust yet (features `stdarch_neon_dotprod`,
//! `stdarch_neon_i8mm`). Each tile's whole `k` loop is one `asm!` block with its 24 accumulators in
//! fixed registers: as one-instruction `asm!`s the compiler kept them in registers only with
//! copies and a spill per step (counted by `benchmarks/phone/`).

pub(crate) mod neon;
pub(crate) mod neon_f32;
pub(crate) mod neon_int8;

/// Calls `$body` with `$r` = the first row and `$R` = a constant tile height for every tile of
/// `$rows` rows: tiles of `$mr` rows, then one tile of the remaining 1 ..< `$mr` rows.
macro_rules! by_tiles {
    ($rows:expr, $mr:expr, |$r:ident, $R:ident| $body:expr) => {{
        let mut $r = 0;
        while $r < $rows {
            let left = ($rows - $r).min($mr);
            macro_rules! run {
                ($n:literal) => {{
                    const $R: usize = $n;
                    $body;
                }};
            }
            match left {
                1 => run!(1),
                2 => run!(2),
                3 => run!(3),
                4 => run!(4),
                5 => run!(5),
                _ => run!(6),
            }
            $r += left;
        }
    }};
}
pub(crate) use by_tiles;

/// Writes the first `cols` (≤ 16) of four vectors' 16 values to `out`, adding what `out` holds when
/// `accumulate`.
///
/// # Safety
/// `out` must be valid for reads and writes of `cols` values.
#[inline(always)]
pub(crate) unsafe fn store16(out: *mut f32, v: [std::arch::aarch64::float32x4_t; 4], cols: usize, accumulate: bool) {
    use std::arch::aarch64::*;
    if cols == 16 {
        for (i, v) in v.into_iter().enumerate() {
            // SAFETY: 16 values are the caller's; this writes four of them at 4i.
            unsafe {
                let p = out.add(4 * i);
                vst1q_f32(p, if accumulate { vaddq_f32(vld1q_f32(p), v) } else { v });
            }
        }
        return;
    }
    // SAFETY: the caller's contract.
    unsafe { store_partial(out, v, cols, accumulate) }
}

/// [`store16`] for fewer than 16 columns (the last half-panel of a matrix only): out of line, so
/// the inlined whole-row store stays small enough for its callers to be inlined too.
///
/// # Safety
/// As [`store16`].
#[cold]
#[inline(never)]
unsafe fn store_partial(out: *mut f32, v: [std::arch::aarch64::float32x4_t; 4], cols: usize, accumulate: bool) {
    use std::arch::aarch64::*;
    let mut tmp = [0f32; 16];
    // SAFETY: 16 values into a 16-value array.
    unsafe {
        for (i, v) in v.into_iter().enumerate() {
            vst1q_f32(tmp.as_mut_ptr().add(4 * i), v);
        }
    }
    for (c, &t) in tmp.iter().take(cols).enumerate() {
        // SAFETY: c < cols, which the caller's buffer holds.
        unsafe {
            let p = out.add(c);
            *p = if accumulate { *p + t } else { t };
        }
    }
}

/// Loads up to 16 bias values (zero past `cols`).
///
/// # Safety
/// `bias` must be valid for reads of `cols` (≤ 16) values.
#[inline(always)]
pub(crate) unsafe fn load_bias16(bias: Option<*const f32>, cols: usize) -> [std::arch::aarch64::float32x4_t; 4] {
    use std::arch::aarch64::*;
    // Whole half-panels and no bias (attention's products) are the common cases: no copy.
    match bias {
        // SAFETY: NEON is the aarch64 baseline.
        None => [unsafe { vdupq_n_f32(0.0) }; 4],
        // SAFETY: 16 values are the caller's.
        Some(b) if cols == 16 => unsafe { std::array::from_fn(|i| vld1q_f32(b.add(4 * i))) },
        Some(b) => {
            let mut tmp = [0f32; 16];
            for (c, t) in tmp.iter_mut().take(cols).enumerate() {
                // SAFETY: c < cols, which the caller's bias holds.
                *t = unsafe { *b.add(c) };
            }
            // SAFETY: 16 values from a 16-value array.
            unsafe { std::array::from_fn(|i| vld1q_f32(tmp.as_ptr().add(4 * i))) }
        }
    }
}
