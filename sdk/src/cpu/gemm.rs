//! Row-major f32 products on the `gemm` crate (the crate candle uses), for tiers without
//! pelabel's packed kernels. `gemm` selects its own AVX2/AVX-512/NEON code at run time.

pub(crate) use ::gemm::Parallelism;

use super::threads::gemm_parallelism;

/// `out[m, n] = (accumulate ? out : 0) + x[m, k] · w[k, n]` with row-major `x`, `w`, `out`.
/// Panics when a buffer is smaller than its shape.
pub(crate) fn matmul_rows(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, out: &mut [f32], accumulate: bool) {
    assert!(x.len() >= m * k && w.len() >= k * n && out.len() >= m * n, "matrix buffers smaller than their shapes");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the slices hold at least m·k, k·n and m·n elements (asserted); the strides describe
    // dense row-major matrices, and `out` is borrowed mutably for the call.
    unsafe {
        strided(
            (m, n, k),
            (out.as_mut_ptr(), n as isize, 1),
            accumulate,
            (x.as_ptr(), k as isize, 1),
            (w.as_ptr(), n as isize, 1),
            gemm_parallelism(2 * m * n * k),
        )
    }
}

/// `dst = [dst +] lhs · rhs` for `(m, n, k)` with each operand given as
/// `(pointer, row stride, column stride)` in elements.
///
/// # Safety
/// Every element `(i, j)` addressed by a shape and its strides must be valid: reads of `lhs`
/// (`m × k`), `rhs` (`k × n`), reads and writes of `dst` (`m × n`), and no other thread may access
/// `dst`'s elements during the call.
pub(crate) unsafe fn strided(
    (m, n, k): (usize, usize, usize),
    (dst, dst_rs, dst_cs): (*mut f32, isize, isize),
    accumulate: bool,
    (lhs, lhs_rs, lhs_cs): (*const f32, isize, isize),
    (rhs, rhs_rs, rhs_cs): (*const f32, isize, isize),
    parallelism: Parallelism,
) {
    // SAFETY: the caller's contract is gemm's.
    unsafe {
        ::gemm::gemm(
            m,
            n,
            k,
            dst,
            dst_cs,
            dst_rs,
            accumulate,
            lhs,
            lhs_cs,
            lhs_rs,
            rhs,
            rhs_cs,
            rhs_rs,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_accumulates() {
        let (m, k, n) = (3, 5, 4);
        let x: Vec<f32> = (0..m * k).map(|i| i as f32 * 0.5 - 2.0).collect();
        let w: Vec<f32> = (0..k * n).map(|i| (i as f32).sin()).collect();
        let mut out = vec![1.0f32; m * n];
        matmul_rows(&x, m, k, &w, n, &mut out, true);
        for i in 0..m {
            for j in 0..n {
                let want: f32 = 1.0 + (0..k).map(|t| x[i * k + t] * w[t * n + j]).sum::<f32>();
                assert!((out[i * n + j] - want).abs() < 1e-5);
            }
        }
    }

    #[test]
    #[should_panic(expected = "smaller than their shapes")]
    fn short_buffers_panic_in_release_too() {
        let mut out = [0f32; 3];
        matmul_rows(&[1.0; 4], 2, 2, &[1.0; 4], 2, &mut out, false);
    }
}
