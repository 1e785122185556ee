//! Multi-head self-attention on the kernels of this layer, per precision and tier.
//!
//! The projection `qkv[N, 3w]` is split per head (RoPE and the `1/√d` scale applied on the way),
//! then each (head, 48-query tile) is one task on the current pool: scores, softmax, and the
//! product with `v`, written to that head's columns of the tile's rows in `out`. Tasks of
//! different heads write the same rows, so they write through a raw pointer to their own columns
//! — never through `&mut` slices, which would overlap.

use rayon::prelude::*;

use super::bf16::{self, PackedBf16};
use super::int8::{self, PackedI8, QuantRows};
use super::math::{exp_shifted_row, softmax_row};
use super::packed_f32::{self, Epilogue, PackedF32};
use super::threads::{for_each_task, parallel, SendPtr};
use super::{gemm, Cpu, CpuTier, Precision, INT8, PACKED_F32};

/// Rows per attention task: the score tile (`ATTN_TILE × N` f32) stays in L2.
const ATTN_TILE: usize = 48;

/// Buffers reused across calls.
#[derive(Default)]
pub(crate) struct AttentionScratch {
    /// Heads split out to `[3][H][N][d]`.
    heads: Vec<f32>,
    /// Per head, `kᵀ` and `v` packed for the f32 kernel.
    packed: Vec<(PackedF32, PackedF32)>,
    /// Per head, `kᵀ` and `v` in bf16.
    packed16: Vec<(PackedBf16, PackedBf16)>,
}

/// Multiplies `d` values of each of `rows` rows (stride `w`) at `base` by that row's `inv`.
///
/// # Safety
/// `base` must be valid for reads and writes of `rows` rows of `d` values at stride `w`, and no
/// other thread may access them during the call.
unsafe fn scale_rows(base: *mut f32, rows: usize, w: usize, d: usize, inv: &[f32]) {
    for (r, &s) in inv[..rows].iter().enumerate() {
        for i in 0..d {
            // SAFETY: element (r, i) is one of the caller's.
            unsafe { *base.add(r * w + i) *= s };
        }
    }
}

/// Interleaved-pair RoPE, scaled: `out[2i] = (x₀c − x₁s)·scale`, `out[2i + 1] = (x₀s + x₁c)·scale`
/// for the pair `(x₀, x₁) = (x[2i], x[2i + 1])` and `c = cos[i]`, `s = sin[i]`, each product,
/// sum and scaling rounded separately (every tier gives the same bits).
///
/// Panics when `x` and `out` are not `2·cos.len()` long or `sin` is shorter than `cos`.
fn rope_pairs(cpu: Cpu, x: &[f32], cos: &[f32], sin: &[f32], scale: f32, out: &mut [f32]) {
    let half = cos.len();
    assert!(x.len() == 2 * half && out.len() == 2 * half && sin.len() >= half, "RoPE pairs and tables differ");
    // The pairs a vector loop did (whole groups of its width); this loop does the rest.
    #[cfg(target_arch = "aarch64")]
    let done = if cpu.has(CpuTier::Neon) {
        // SAFETY: the lengths were checked above.
        unsafe { super::aarch64::neon::rope_pairs(x, cos, &sin[..half], scale, out) }
    } else {
        0
    };
    #[cfg(not(target_arch = "aarch64"))]
    let done = {
        let _ = cpu;
        0
    };
    for i in done..half {
        let (x0, x1, c, s) = (x[2 * i], x[2 * i + 1], cos[i], sin[i]);
        out[2 * i] = (x0 * c - x1 * s) * scale;
        out[2 * i + 1] = (x0 * s + x1 * c) * scale;
    }
}

/// Multi-head self-attention core on a packed projection `qkv[N, 3w]` (rows `q | k | v`, heads
/// `h·d .. (h+1)·d` in each third). Applies interleaved-pair RoPE (`cos`, `sin` `[N, d/2]`) to q
/// and k, scales q by `1/√d`, and writes `softmax(q kᵀ) v` to `out[N, w]` in the same head layout.
///
/// - [`Precision::Bf16`]: both products take bf16 operands with f32 accumulation.
/// - [`Precision::Int8`]: `kᵀ` (per key) and `v` (per channel) are quantised per head and both
///   products run on the int8 kernel with per-row quantised `q` and u8 softmax numerators.
/// - [`Precision::F32`]: the packed f32 kernel from the AVX-512 tier up, `gemm` below it.
///
/// Panics when a buffer is smaller than its shape, and (an internal bug) when `precision` needs a
/// tier `cpu` lacks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attention(
    cpu: Cpu,
    precision: Precision,
    qkv: &[f32],
    n: usize,
    heads: usize,
    head_dim: usize,
    rope: Option<(&[f32], &[f32])>,
    scratch: &mut AttentionScratch,
    out: &mut [f32],
) {
    let (h, d) = (heads, head_dim);
    let w = h * d;
    assert!(qkv.len() >= n * 3 * w, "qkv shorter than N·3w");
    assert!(out.len() >= n * w, "attention output shorter than N·w");
    if let Some((cos, sin)) = rope {
        assert!(d % 2 == 0 && cos.len() >= n * d / 2 && sin.len() >= n * d / 2, "RoPE tables too short");
    }
    if n == 0 || w == 0 {
        return;
    }
    let plane = n * d;
    let need = 3 * h * plane;
    if scratch.heads.len() < need {
        scratch.heads.resize(need, 0.0);
    }
    let (q_all, rest) = scratch.heads.split_at_mut(h * plane);
    let (k_all, v_all) = rest.split_at_mut(h * plane);
    let scale = 1.0 / (d as f32).sqrt();
    #[allow(clippy::type_complexity)] // rayon's zipped chunk tuple, destructured in place
    let split = |(head, ((q, k), v)): (usize, ((&mut [f32], &mut [f32]), &mut [f32]))| {
        for t in 0..n {
            let row = &qkv[t * 3 * w..][..3 * w];
            let (qs, ks, vs) = (&row[head * d..][..d], &row[w + head * d..][..d], &row[2 * w + head * d..][..d]);
            let (qd, kd) = (&mut q[t * d..][..d], &mut k[t * d..][..d]);
            v[t * d..][..d].copy_from_slice(vs);
            match rope {
                Some((cos, sin)) => {
                    let (c, s) = (&cos[t * d / 2..][..d / 2], &sin[t * d / 2..][..d / 2]);
                    rope_pairs(cpu, qs, c, s, scale, qd);
                    // × 1 is exact: the rotation alone.
                    rope_pairs(cpu, ks, c, s, 1.0, kd);
                }
                None => {
                    for i in 0..d {
                        qd[i] = qs[i] * scale;
                    }
                    kd.copy_from_slice(ks);
                }
            }
        }
    };
    if parallel() {
        q_all
            .par_chunks_mut(plane)
            .zip(k_all.par_chunks_mut(plane))
            .zip(v_all.par_chunks_mut(plane))
            .enumerate()
            .for_each(split);
    } else {
        q_all.chunks_mut(plane).zip(k_all.chunks_mut(plane)).zip(v_all.chunks_mut(plane)).enumerate().for_each(split);
    }

    let tiles = n.div_ceil(ATTN_TILE);
    let (q_all, k_all, v_all) = (&*q_all, &*k_all, &*v_all);
    let out_ptr = SendPtr(out.as_mut_ptr());
    // The output block of a task: rows r0.., columns head·d.. of out (N × w). Every task's block
    // is disjoint from every other's, and all lie inside `out` (N·w elements, asserted).
    let block = move |r0: usize, head: usize| out_ptr.get().wrapping_add(r0 * w + head * d);
    let task_of = |task: usize| {
        let (head, tile) = (task / tiles, task % tiles);
        let r0 = tile * ATTN_TILE;
        (head, r0, ATTN_TILE.min(n - r0))
    };

    match precision {
        Precision::Bf16 => {
            cpu.require(CpuTier::Avx512Bf16, "bf16 attention");
            let slots = &mut scratch.packed16;
            slots.resize_with(h, Default::default);
            // kᵀ as a [d, n] matrix and v as [n, d], per head.
            let pack = |(head, (kt, vp)): (usize, &mut (PackedBf16, PackedBf16))| {
                let k = &k_all[head * plane..][..plane];
                let v = &v_all[head * plane..][..plane];
                kt.repack(d, n, |r, c| k[c * d + r]);
                vp.repack(n, d, |r, c| v[r * d + c]);
            };
            if parallel() {
                slots.par_iter_mut().enumerate().for_each(pack);
            } else {
                slots.iter_mut().enumerate().for_each(pack);
            }
            let slots = &*slots;
            for_each_task(
                h * tiles,
                || (Vec::<f32>::new(), Vec::<u32>::new()),
                |(scores, a16), task| {
                    let (head, r0, rows) = task_of(task);
                    scores.resize(rows * n, 0.0);
                    let (kt, vp) = &slots[head];
                    bf16::pack_rows(cpu, &q_all[head * plane + r0 * d..][..rows * d], rows, d, a16);
                    bf16::matmul(cpu, a16, rows, kt, scores, n, false);
                    for row in scores.chunks_exact_mut(n) {
                        softmax_row(cpu, row);
                    }
                    bf16::pack_rows(cpu, scores, rows, n, a16);
                    // SAFETY: this task's block (see `block`) is valid and written by it alone.
                    unsafe { bf16::matmul_raw(cpu, a16, rows, vp, block(r0, head), w, false) };
                },
            );
        }
        Precision::Int8 => {
            cpu.require(INT8, "int8 attention");
            // kᵀ and v of each head as separate tasks (3 heads on 2 threads would leave one idle).
            let quantise = |t: usize| match t % 2 {
                0 => PackedI8::from_key_rows(cpu, &k_all[t / 2 * plane..][..plane], n, d).for_cpu(cpu),
                _ => PackedI8::from_value_rows(cpu, &v_all[t / 2 * plane..][..plane], n, d).for_cpu(cpu),
            };
            let packed8: Vec<PackedI8> = if parallel() {
                (0..2 * h).into_par_iter().map(quantise).collect()
            } else {
                (0..2 * h).map(quantise).collect()
            };
            let packed8 = &packed8;
            for_each_task(
                h * tiles,
                || (Vec::<f32>::new(), QuantRows::default(), QuantRows::default()),
                |(scores, qa, pa), task| {
                    let (head, r0, rows) = task_of(task);
                    scores.resize(rows * n, 0.0);
                    let (kt, vq) = (&packed8[2 * head], &packed8[2 * head + 1]);
                    qa.quantize(cpu, &q_all[head * plane + r0 * d..][..rows * d], rows, d);
                    int8::matmul(cpu, qa, kt, scores, n, Epilogue::default(), false);
                    let mut inv = [0f32; ATTN_TILE];
                    pa.fill_softmax(cpu, scores, rows, n, &mut inv);
                    for v in &mut inv[..rows] {
                        *v = 1.0 / *v;
                    }
                    // Probabilities are u / Σu: the bytes go in with scale 1, the division after.
                    // SAFETY: this task's block (see `block`) is valid and written by it alone.
                    unsafe {
                        int8::matmul_raw(cpu, pa, vq, block(r0, head), w, Epilogue::default(), false);
                        scale_rows(block(r0, head), rows, w, d, &inv);
                    }
                },
            );
        }
        Precision::F32 if cpu.has(PACKED_F32) => {
            let packed = &mut scratch.packed;
            packed.resize_with(h, Default::default);
            let pack = |(head, (kt, vp)): (usize, &mut (PackedF32, PackedF32))| {
                let k = &k_all[head * plane..][..plane];
                let v = &v_all[head * plane..][..plane];
                kt.resize(d, n);
                vp.resize(n, d);
                let (ktd, vpd) = (kt.data_mut(), vp.data_mut());
                for t in 0..n {
                    for i in 0..d {
                        ktd[PackedF32::offset(d, i, t)] = k[t * d + i];
                        vpd[PackedF32::offset(n, t, i)] = v[t * d + i];
                    }
                }
            };
            if parallel() {
                packed.par_iter_mut().enumerate().for_each(pack);
            } else {
                packed.iter_mut().enumerate().for_each(pack);
            }
            let packed = &*packed;
            for_each_task(h * tiles, Vec::<f32>::new, |scores, task| {
                let (head, r0, rows) = task_of(task);
                scores.resize(rows * n, 0.0);
                let (kt, vp) = &packed[head];
                let q = &q_all[head * plane + r0 * d..][..rows * d];
                packed_f32::matmul(cpu, q, rows, d, kt, scores, n, Epilogue::default(), false);
                let mut inv = [0f32; ATTN_TILE];
                for (row, inv) in scores.chunks_exact_mut(n).zip(&mut inv) {
                    *inv = 1.0 / exp_shifted_row(cpu, row);
                }
                // SAFETY: this task's block (see `block`) is valid and written by it alone.
                unsafe {
                    packed_f32::matmul_raw(cpu, scores, rows, n, vp, block(r0, head), w, Epilogue::default(), false);
                    scale_rows(block(r0, head), rows, w, d, &inv);
                }
            });
        }
        Precision::F32 => {
            for_each_task(h * tiles, Vec::<f32>::new, |scores, task| {
                let (head, r0, rows) = task_of(task);
                scores.resize(rows * n, 0.0);
                let q = &q_all[head * plane + r0 * d..][..rows * d];
                let k = &k_all[head * plane..][..plane];
                let v = &v_all[head * plane..][..plane];
                // SAFETY: q is rows×d (row stride d), k read as kᵀ (d×n: row stride 1, column
                // stride d), scores is rows×n, all inside their buffers; the task's own scores.
                unsafe {
                    gemm::strided(
                        (rows, n, d),
                        (scores.as_mut_ptr(), n as isize, 1),
                        false,
                        (q.as_ptr(), d as isize, 1),
                        (k.as_ptr(), 1, d as isize),
                        gemm::Parallelism::None,
                    );
                }
                for row in scores.chunks_exact_mut(n) {
                    softmax_row(cpu, row);
                }
                // SAFETY: scores rows×n and v n×d as above; this task's block (see `block`) is
                // valid (rows × d at row stride w) and written by it alone.
                unsafe {
                    gemm::strided(
                        (rows, d, n),
                        (block(r0, head), w as isize, 1),
                        false,
                        (scores.as_ptr(), n as isize, 1),
                        (v.as_ptr(), d as isize, 1),
                        gemm::Parallelism::None,
                    );
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::testing::every_tier;

    /// Every tier and precision on a two-thread pool, small enough for Miri (which CI runs with
    /// AVX-512 enabled): tasks of two heads write the same rows of `out`, and two row tiles per
    /// head run side by side, each writing through its own block; the result is
    /// softmax(q kᵀ/√d) v within the precision's error. Cells outside the heads' columns do not
    /// exist (w = heads·d), so the NaN fill also proves every cell is written once.
    #[test]
    fn heads_sharing_rows_write_their_own_columns() {
        let (n, heads, d) = (ATTN_TILE + 2, 2, 6);
        let w = heads * d;
        let qkv: Vec<f32> = (0..n * 3 * w).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.2).collect();
        let mut want = vec![0f64; n * w];
        for h in 0..heads {
            for i in 0..n {
                let q = &qkv[i * 3 * w + h * d..][..d];
                let s: Vec<f64> = (0..n)
                    .map(|j| {
                        let k = &qkv[j * 3 * w + w + h * d..][..d];
                        q.iter().zip(k).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum::<f64>() / (d as f64).sqrt()
                    })
                    .collect();
                let max = s.iter().cloned().fold(f64::MIN, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - max).exp()).collect();
                let z: f64 = e.iter().sum();
                for c in 0..d {
                    want[i * w + h * d + c] =
                        (0..n).map(|j| e[j] / z * f64::from(qkv[j * 3 * w + 2 * w + h * d + c])).sum();
                }
            }
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("two-thread pool");
        for cpu in every_tier() {
            for (precision, tolerance) in [(Precision::F32, 1e-5), (Precision::Bf16, 2e-2), (Precision::Int8, 3e-2)] {
                if !precision.is_supported_on(cpu) {
                    continue;
                }
                // Miri (one core, ~250 s for this test) skips the tiers above the one where the
                // precision's own kernel starts (the packed f32 kernel, the int8 kernel): they run
                // that tier's code again.
                let kernel_tier = match precision {
                    Precision::F32 => PACKED_F32,
                    Precision::Int8 => INT8,
                    Precision::Bf16 => precision.min_tier(),
                };
                if cfg!(miri) && cpu.has(kernel_tier) && cpu.tier() != kernel_tier {
                    continue;
                }
                let mut out = vec![f32::NAN; n * w];
                let mut scratch = AttentionScratch::default();
                pool.install(|| attention(cpu, precision, &qkv, n, heads, d, None, &mut scratch, &mut out));
                for (i, (&got, &want)) in out.iter().zip(&want).enumerate() {
                    assert!(
                        (f64::from(got) - want).abs() < tolerance,
                        "{:?} {precision:?}: row {} col {}: {got} vs {want}",
                        cpu.tier(),
                        i / w,
                        i % w
                    );
                }
            }
        }
    }

    /// The vector RoPE gives the portable loop's bits (both halves of the step, the tail, and
    /// the scale), and rotates: |(x₀, x₁)| is kept (within rounding) at scale 1.
    #[test]
    fn rope_is_the_same_at_every_tier() {
        for half in [1, 3, 4, 5, 8, 32, 33] {
            let x: Vec<f32> = (0..2 * half).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.37).collect();
            let cos: Vec<f32> = (0..half).map(|i| (i as f32 * 0.3).cos()).collect();
            let sin: Vec<f32> = (0..half).map(|i| (i as f32 * 0.3).sin()).collect();
            for scale in [1.0, 0.125] {
                let mut want = vec![0f32; 2 * half];
                rope_pairs(Cpu::portable(), &x, &cos, &sin, scale, &mut want);
                for cpu in every_tier() {
                    let mut got = vec![f32::NAN; 2 * half];
                    rope_pairs(cpu, &x, &cos, &sin, scale, &mut got);
                    assert_eq!(got, want, "{:?} {half} pairs, scale {scale}", cpu.tier());
                }
                for (w, p) in want.chunks_exact(2).zip(x.chunks_exact(2)) {
                    let (a, b) = (w[0].hypot(w[1]), p[0].hypot(p[1]) * scale);
                    assert!((a - b).abs() <= 1e-5 * (1.0 + b), "{half}: not a rotation: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "shorter than N·w")]
    fn a_short_output_panics() {
        let qkv = vec![0f32; 2 * 3 * 4];
        let mut out = vec![0f32; 7];
        attention(Cpu::portable(), Precision::F32, &qkv, 2, 1, 4, None, &mut AttentionScratch::default(), &mut out);
    }
}
