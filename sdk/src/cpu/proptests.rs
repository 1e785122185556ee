//! Property tests: every kernel against a naive definition over random shapes (m = 1, odd k,
//! column tails 1–31, head dims not a multiple of 16) and inputs with NaN/∞, at every tier this
//! machine can be lowered to.

use proptest::prelude::*;

use super::bf16::{self, bf16_bits, PackedBf16};
use super::int8::{self, PackedI8, QuantRows};
use super::math::{exp_quantize_row, exp_shifted_row};
use super::packed_f32::{self, Epilogue, PackedF32};
use super::{attention, gelu_erf, layer_norm, matmul_rows, softmax_row, AttentionScratch, Cpu, CpuTier, Precision};

fn every_tier() -> Vec<Cpu> {
    let cpu = Cpu::detect();
    cpu.tiers().into_iter().map(|t| cpu.lowered_to(t)).collect()
}

fn values(len: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-4.0f32..4.0, len)
}

/// A shape with m ≥ 1, k ≥ 1 and n ≥ 1 (tails of every size below a panel).
fn shape() -> impl Strategy<Value = (usize, usize, usize)> {
    (1usize..30, 1usize..70, 1usize..80)
}

fn naive(x: &[f32], m: usize, k: usize, w: &[f32], n: usize) -> Vec<f64> {
    let mut out = vec![0f64; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|t| f64::from(x[i * k + t]) * f64::from(w[t * n + j])).sum();
        }
    }
    out
}

fn close(got: f32, want: f64, tol: f64) -> bool {
    (f64::from(got) - want).abs() <= tol * (1.0 + want.abs())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn f32_products_match_the_definition(((m, k, n), seed) in (shape(), 0u32..1000)) {
        let x: Vec<f32> = (0..m * k).map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 250.0 - 2.0).collect();
        let w: Vec<f32> = (0..k * n).map(|i| ((i as f32 + seed as f32) * 0.37).sin()).collect();
        let bias: Vec<f32> = (0..n).map(|i| i as f32 * 0.01).collect();
        let want = naive(&x, m, k, &w, n);
        for cpu in every_tier() {
            let mut out = vec![0.5f32; m * n];
            if cpu.has(super::PACKED_F32) {
                let p = PackedF32::pack(&w, k, n);
                packed_f32::matmul(cpu, &x, m, k, &p, &mut out, n, Epilogue { bias: Some(&bias), accumulate: true }, true);
            } else {
                super::add_bias_rows(&mut out, n, &bias, false);
                matmul_rows(&x, m, k, &w, n, &mut out, true);
            }
            for (i, (&g, &e)) in out.iter().zip(&want).enumerate() {
                let e = e + 0.5 + f64::from(bias[i % n]);
                prop_assert!(close(g, e, 1e-4), "{:?} ({m},{k},{n}) [{i}] {g} vs {e}", cpu.tier());
            }
        }
    }

    #[test]
    fn int8_products_match_the_quantised_definition(((m, k, n), x) in shape().prop_flat_map(|s| (Just(s), values(s.0 * s.1)))) {
        let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.73).cos()).collect();
        let p = PackedI8::quantize(k, n, |r, c| w[r * n + c]);
        let wq = p.dequantize();
        // Every tier with an int8 kernel (none: nothing to check; aarch64 -cpu max: SDOT and SMMLA).
        for cpu in every_tier().into_iter().filter(|c| c.has(super::INT8)) {
            let mut a = QuantRows::default();
            a.quantize(cpu, &x, m, k);
            let mut out = vec![0f32; m * n];
            int8::matmul(cpu, &a, &p, &mut out, n, Epilogue::default(), true);
            // SMMLA's own layout (NeonI8mm): the same integers, so the same floats.
            let own = p.clone().for_cpu(cpu);
            if own.layout != int8::Layout::Lanes {
                let mut again = vec![0f32; m * n];
                int8::matmul(cpu, &a, &own, &mut again, n, Epilogue::default(), true);
                prop_assert!(out == again, "{:?} ({m},{k},{n}) pairs layout", cpu.tier());
            }
            for i in 0..m {
                let bytes = a.row_bytes(i);
                for j in 0..n {
                    let want: f64 = (0..k)
                        .map(|t| f64::from(a.scale[i]) * (f64::from(bytes[t]) - f64::from(a.zero[i])) * f64::from(wq[t * n + j]))
                        .sum();
                    prop_assert!(close(out[i * n + j], want, 1e-4), "{:?} ({m},{k},{n}) [{i},{j}]", cpu.tier());
                }
            }
        }
    }

    #[test]
    fn bf16_products_match_the_rounded_definition(((m, k, n), x) in shape().prop_flat_map(|s| (Just(s), values(s.0 * s.1)))) {
        let cpu = Cpu::detect();
        if !cpu.has(CpuTier::Avx512Bf16) {
            return Ok(()); // no bf16 kernel on this CPU (none on aarch64): nothing to check
        }
        let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.29).sin()).collect();
        let round = |v: f32| f32::from_bits(u32::from(bf16_bits(v)) << 16);
        let p = PackedBf16::pack_with(k, n, |r, c| w[r * n + c]);
        let mut a = Vec::new();
        bf16::pack_rows(cpu, &x, m, k, &mut a);
        let mut out = vec![0f32; m * n];
        bf16::matmul(cpu, &a, m, &p, &mut out, n, false);
        let xr: Vec<f32> = x.iter().map(|&v| round(v)).collect();
        let wr: Vec<f32> = w.iter().map(|&v| round(v)).collect();
        for (i, (&g, &e)) in out.iter().zip(&naive(&xr, m, k, &wr, n)).enumerate() {
            prop_assert!(close(g, e, 1e-4), "({m},{k},{n}) [{i}] {g} vs {e}");
        }
    }

    /// Attention at every tier and precision against softmax(q kᵀ/√d) v in f64.
    #[test]
    fn attention_matches_the_definition(
        (n, heads, half) in (1usize..60, 1usize..4, 1usize..13),
        rope in any::<bool>(),
        seed in 0u32..1000,
    ) {
        let d = 2 * half; // 2..24: mostly not a multiple of 16
        let w = heads * d;
        let qkv: Vec<f32> = (0..n * 3 * w).map(|i| ((i as f32 * 0.61 + seed as f32).sin()) * 1.5).collect();
        let cos: Vec<f32> = (0..n * half).map(|i| (i as f32 * 0.1).cos()).collect();
        let sin: Vec<f32> = (0..n * half).map(|i| (i as f32 * 0.1).sin()).collect();
        let tables = rope.then_some((&cos[..], &sin[..]));
        // The definition, in f64.
        let mut want = vec![0f64; n * w];
        let rot = |v: &[f32], t: usize| -> Vec<f64> {
            let mut o: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
            if rope {
                for i in 0..half {
                    let (c, s) = (f64::from(cos[t * half + i]), f64::from(sin[t * half + i]));
                    let (a, b) = (o[2 * i], o[2 * i + 1]);
                    o[2 * i] = a * c - b * s;
                    o[2 * i + 1] = a * s + b * c;
                }
            }
            o
        };
        for h in 0..heads {
            let q: Vec<Vec<f64>> = (0..n).map(|t| rot(&qkv[t * 3 * w + h * d..][..d], t)).collect();
            let k: Vec<Vec<f64>> = (0..n).map(|t| rot(&qkv[t * 3 * w + w + h * d..][..d], t)).collect();
            for i in 0..n {
                let s: Vec<f64> = (0..n).map(|j| q[i].iter().zip(&k[j]).map(|(a, b)| a * b).sum::<f64>() / (d as f64).sqrt()).collect();
                let max = s.iter().cloned().fold(f64::MIN, f64::max);
                let e: Vec<f64> = s.iter().map(|v| (v - max).exp()).collect();
                let z: f64 = e.iter().sum();
                for c in 0..d {
                    want[i * w + h * d + c] = (0..n).map(|j| e[j] / z * f64::from(qkv[j * 3 * w + 2 * w + h * d + c])).sum();
                }
            }
        }
        for cpu in every_tier() {
            for precision in [Precision::F32, Precision::Bf16, Precision::Int8] {
                if !precision.is_supported_on(cpu) {
                    continue;
                }
                let mut out = vec![f32::NAN; n * w];
                attention(cpu, precision, &qkv, n, heads, d, tables, &mut AttentionScratch::default(), &mut out);
                let tol = match precision { Precision::F32 => 1e-5, Precision::Bf16 => 3e-2, _ => 6e-2 };
                for (i, (&g, &e)) in out.iter().zip(&want).enumerate() {
                    prop_assert!((f64::from(g) - e).abs() <= tol * 1.5, "{:?} {precision:?} n={n} h={heads} d={d} [{i}] {g} vs {e}", cpu.tier());
                }
            }
        }
    }

    /// The element-wise functions against their definitions, with NaN and ±∞ mixed in.
    #[test]
    fn elementwise_functions_match_their_definitions(
        row in prop::collection::vec(prop_oneof![8 => -30.0f32..30.0, 1 => Just(f32::NAN), 1 => Just(f32::INFINITY), 1 => Just(f32::NEG_INFINITY)], 1..90),
    ) {
        let finite = row.iter().all(|v| v.is_finite());
        let max = row.iter().cloned().fold(f64::MIN, |m, v| m.max(f64::from(v)));
        let z: f64 = row.iter().map(|&v| (f64::from(v) - max).exp()).sum();
        for cpu in every_tier() {
            let t = cpu.tier();
            let mut s = row.clone();
            softmax_row(cpu, &mut s);
            let mut e = row.clone();
            let sum = exp_shifted_row(cpu, &mut e);
            let mut bytes = vec![0u8; row.len()];
            let qsum = exp_quantize_row(cpu, &row, &mut bytes);
            if finite {
                for (i, &p) in s.iter().enumerate() {
                    let want = (f64::from(row[i]) - max).exp() / z;
                    prop_assert!((f64::from(p) - want).abs() <= 1e-6, "{t:?} softmax [{i}] {p} vs {want}");
                    // The kernels subtract the maximum in f32; exp of that difference to 1e-6.
                    let maxf = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                    let ew = f64::from(row[i] - maxf).exp();
                    prop_assert!((f64::from(e[i]) - ew).abs() <= 1e-6 * ew.max(1e-30), "{t:?} exp [{i}] {} vs {ew}", e[i]);
                    let q = (want * z * 255.0).round();
                    prop_assert!((f64::from(bytes[i]) - q).abs() <= 1.0, "{t:?} u8 [{i}]");
                }
                prop_assert!((f64::from(sum) - z).abs() <= 1e-5 * z, "{t:?} sum");
                prop_assert!((f64::from(qsum) - bytes.iter().map(|&b| f64::from(b)).sum::<f64>()).abs() < 0.5);
            } else if row.iter().any(|v| v.is_nan()) {
                prop_assert!(s.iter().any(|v| v.is_nan()), "{t:?} NaN in, no NaN out: {s:?}");
                prop_assert!(sum.is_nan() && qsum.is_nan(), "{t:?} sums must be NaN");
            } else {
                // ±∞ without NaN: +∞ rows become NaN (∞ − ∞); −∞ entries get probability 0.
                prop_assert!(s.iter().all(|v| v.is_nan() || (0.0..=1.0).contains(v)), "{t:?} {s:?}");
            }
            let mut g = row.clone();
            gelu_erf(cpu, &mut g);
            for (i, (&got, &x)) in g.iter().zip(&row).enumerate() {
                if x.is_nan() {
                    prop_assert!(got.is_nan(), "{t:?} gelu(NaN)");
                } else if x.is_finite() {
                    let x = f64::from(x);
                    let want = 0.5 * x * (1.0 + libm_erf(x / std::f64::consts::SQRT_2));
                    prop_assert!((f64::from(got) - want).abs() <= 2e-6 * (1.0 + want.abs()), "{t:?} gelu [{i}] {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn layer_norm_matches_its_definition((rows, w) in (1usize..6, 1usize..70), seed in 0u32..100) {
        let x: Vec<f32> = (0..rows * w).map(|i| ((i as f32 * 1.3 + seed as f32).cos()) * 3.0 + 1.0).collect();
        let g: Vec<f32> = (0..w).map(|i| 1.0 + i as f32 * 0.01).collect();
        let b: Vec<f32> = (0..w).map(|i| i as f32 * -0.02).collect();
        for cpu in every_tier() {
            let mut out = vec![0f32; x.len()];
            layer_norm(cpu, &x, w, &g, &b, 1e-5, &mut out);
            for r in 0..rows {
                let row = &x[r * w..][..w];
                let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / w as f64;
                let var = row.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / w as f64;
                for i in 0..w {
                    let want = (f64::from(row[i]) - mean) / (var + 1e-5).sqrt() * f64::from(g[i]) + f64::from(b[i]);
                    prop_assert!((f64::from(out[r * w + i]) - want).abs() < 1e-4, "{:?} [{r},{i}]", cpu.tier());
                }
            }
        }
    }
}

/// `erf` in f64 (Abramowitz–Stegun 7.1.26 is too coarse; this is the series/continued-fraction
/// pair accurate to ~1e-15 for the test's range).
fn libm_erf(x: f64) -> f64 {
    if x.abs() < 2.5 {
        // Maclaurin series.
        let mut sum = x;
        let mut term = x;
        let x2 = x * x;
        for n in 1..60 {
            term *= -x2 / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // Continued fraction for erfc.
        let ax = x.abs();
        let mut f = 0.0;
        for n in (1..80).rev() {
            f = (n as f64 / 2.0) / (ax + f);
        }
        let erfc = (-ax * ax).exp() / std::f64::consts::PI.sqrt() / (ax + f);
        (1.0 - erfc) * x.signum()
    }
}
