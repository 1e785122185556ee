//! The element-wise functions compiled for AVX2 + FMA (the [`crate::cpu::CpuTier::Avx2`] tier).

use super::build_for;
use crate::cpu::math;

build_for!("avx2,fma":
    gelu = math::gelu_impl, (x: &mut [f32]);
    softmax = math::softmax_impl, (row: &mut [f32]);
    exp_shifted = math::exp_shifted_impl, (row: &mut [f32]) -> f32;
    exp_quantize = math::exp_quantize_impl, (row: &[f32], bytes: &mut [u8]) -> f32;
    layer_norm = math::layer_norm_impl, (x: &[f32], w: usize, gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]);
);

build_for!("avx2,fma":
    pack_rows_bf16 = crate::cpu::bf16::pack_rows_impl, (x: &[f32], k: usize, out: &mut [u32]);
);
