//! int8 matrix products: weights symmetric per output column, activations asymmetric per row.
//!
//! - Weights: `w ≈ s_c · q`, `q ∈ [−127, 127]`, quantised once ([`PackedI8::quantize`]) or per
//!   call for attention's `kᵀ` (per key) and `v` (per channel).
//! - Activations: `x ≈ s_r · (u − z_r)`, `u ∈ [0, 255]`, quantised on every call ([`QuantRows`]).
//! - The product: `vpdpbusd` sums four `u8 · i8` products into `i32` lanes (exact: |Σ| < 255 · 127
//!   · k < 2³¹ for k < 66 000), and the epilogue restores `s_r · s_c · (Σ u·q − z_r · Σ_p q)`. On
//!   aarch64 `SDOT`/`SMMLA` (signed × signed) sum `(u − 128)·q` and the epilogue adds `128·Σ_p q`
//!   back: the same integers.
//!
//! Non-finite values: a row of activations holding NaN or ±∞ gets scale NaN, so its outputs are
//! NaN (never a silent zero); a weight column holding them keeps scale 1 and zero values (weights
//! are checked finite at load).
//!
//! The kernel is the [`CpuTier::Avx512Vnni`] tier's on x86-64 and the [`CpuTier::NeonDotprod`] /
//! [`CpuTier::NeonI8mm`] tiers' on aarch64; the quantisers have portable versions (the reference
//! the vector ones are tested against).

use super::threads::{for_blocks, SendPtr};
use super::{Cpu, CpuTier, INT8};
use crate::cpu::packed_f32::Epilogue;

/// Columns per packed panel (two 16-lane registers).
pub(crate) const PANEL: usize = 32;

/// Scale of a symmetric int8 quantisation for the largest magnitude `amax` (`q = round(x / s)`,
/// `|q| ≤ 127`); 1 for an all-zero or non-finite input.
#[inline(always)]
pub(crate) fn symmetric_scale(amax: f32) -> f32 {
    if amax > 0.0 && amax.is_finite() {
        amax / 127.0
    } else {
        1.0
    }
}

/// How a [`PackedI8`]'s lanes are ordered within a panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `[⌈n/32⌉][⌈k/4⌉][32]`: lane row `t` of a panel holds rows `4t .. 4t + 4` of its 32
    /// columns, one lane per column (the layout of `vpdpbusd` and `SDOT`).
    #[default]
    Lanes,
    /// `SMMLA`'s: `[⌈n/32⌉][⌈⌈k/4⌉/2⌉][32][2]`, the lane rows `2p` and `2p + 1` of [`Layout::Lanes`]
    /// interleaved lane by lane (an odd last lane row paired with zeros), so each column's eight
    /// consecutive rows `8p .. 8p + 8` are 8 contiguous bytes and two neighbouring columns one
    /// 16-byte `SMMLA` operand, loaded without reordering. Made by [`PackedI8::for_cpu`] on the
    /// `NeonI8mm` tier only.
    Pairs,
}

/// A `[k, n]` matrix quantised to int8 per column, packed as `[⌈n/32⌉][⌈k/4⌉][32]` lanes of four
/// consecutive rows (the `vpdpbusd` layout; see [`Layout`] for `SMMLA`'s), with per-column scales
/// and sums of the quantised values.
#[derive(Clone, Default)]
pub(crate) struct PackedI8 {
    pub(crate) k: usize,
    pub(crate) n: usize,
    pub(crate) layout: Layout,
    pub(crate) data: Vec<u32>,
    /// `[⌈n/32⌉·32]`, zero past `n`.
    pub(crate) scale: Vec<f32>,
    /// `[⌈n/32⌉·32]`, `Σ_r q[r, c]`.
    pub(crate) colsum: Vec<i32>,
}

impl PackedI8 {
    /// An all-zero `[k, n]` matrix with its buffers sized.
    pub(crate) fn zeroed(k: usize, n: usize) -> Self {
        let (nb, kq) = (n.div_ceil(PANEL), k.div_ceil(4));
        Self {
            k,
            n,
            layout: Layout::Lanes,
            data: vec![0; nb * kq * PANEL],
            scale: vec![0.0; nb * PANEL],
            colsum: vec![0; nb * PANEL],
        }
    }

    /// Lane rows per panel: `⌈k/4⌉`, rounded up to even in [`Layout::Pairs`].
    pub(crate) fn lane_rows(&self) -> usize {
        let kq = self.k.div_ceil(4);
        match self.layout {
            Layout::Lanes => kq,
            Layout::Pairs => kq.next_multiple_of(2),
        }
    }

    /// Index in `data` of the lane holding rows `4t .. 4t + 4` of column `c`.
    #[cfg(test)]
    pub(crate) fn lane_index(&self, t: usize, c: usize) -> usize {
        let base = (c / PANEL) * self.lane_rows() * PANEL;
        match self.layout {
            Layout::Lanes => base + t * PANEL + c % PANEL,
            Layout::Pairs => base + (t / 2) * 2 * PANEL + 2 * (c % PANEL) + t % 2,
        }
    }

    /// The matrix in the layout `cpu`'s int8 kernel reads best: [`Layout::Pairs`] on the
    /// `NeonI8mm` tier (`SMMLA` then loads its operands without two `ZIP`s per four columns),
    /// otherwise unchanged. A tower re-packs when its tier changes (`set_cpu`), and the kernel
    /// refuses a `Pairs` matrix below `NeonI8mm`.
    pub(crate) fn for_cpu(self, cpu: Cpu) -> Self {
        #[cfg(target_arch = "aarch64")]
        if cpu.has(CpuTier::NeonI8mm) && self.layout == Layout::Lanes {
            return self.to_pairs();
        }
        let _ = cpu;
        self
    }

    /// [`Layout::Lanes`] → [`Layout::Pairs`]: each two lane rows of a panel interleaved lane by
    /// lane (an odd last one with zeros).
    #[cfg_attr(not(target_arch = "aarch64"), allow(dead_code))]
    pub(crate) fn to_pairs(&self) -> Self {
        assert_eq!(self.layout, Layout::Lanes, "already in pairs");
        let (kq, nb) = (self.k.div_ceil(4), self.n.div_ceil(PANEL));
        let kp = kq.next_multiple_of(2);
        let mut data = vec![0u32; nb * kp * PANEL];
        let zero = [0u32; PANEL];
        for b in 0..nb {
            let src = &self.data[b * kq * PANEL..][..kq * PANEL];
            let dst = &mut data[b * kp * PANEL..][..kp * PANEL];
            for (p, out) in dst.chunks_exact_mut(2 * PANEL).enumerate() {
                let first = &src[2 * p * PANEL..][..PANEL];
                let second = src.get((2 * p + 1) * PANEL..(2 * p + 2) * PANEL).unwrap_or(&zero);
                for (o, (&x, &y)) in out.chunks_exact_mut(2).zip(first.iter().zip(second)) {
                    o[0] = x;
                    o[1] = y;
                }
            }
        }
        Self { data, layout: Layout::Pairs, scale: self.scale.clone(), colsum: self.colsum.clone(), ..*self }
    }

    /// `kᵀ` of attention: the `[d, n]` matrix whose column `t` is row `t` of `keys[n, d]`,
    /// quantised per column (per key). Four consecutive rows of a column are one lane, so each
    /// key row becomes `⌈d/4⌉` whole lanes.
    pub(crate) fn from_key_rows(cpu: Cpu, keys: &[f32], n: usize, d: usize) -> Self {
        assert!(keys.len() >= n * d, "keys shorter than n·d");
        #[cfg(target_arch = "x86_64")]
        if cpu.has(CpuTier::Avx512Vnni) && d.is_multiple_of(16) {
            // SAFETY: the tier's features are present (a `Cpu` never exceeds the hardware); the
            // shapes were checked above.
            return unsafe { super::x86::avx512_int8::from_key_rows(keys, n, d) };
        }
        #[cfg(target_arch = "aarch64")]
        if cpu.has(CpuTier::Neon) && d.is_multiple_of(16) {
            // SAFETY: the shapes were checked above (NEON is the aarch64 baseline).
            return unsafe { super::aarch64::neon::from_key_rows(keys, n, d) };
        }
        let _ = cpu;
        Self::from_key_rows_portable(keys, n, d)
    }

    /// [`PackedI8::from_key_rows`] in plain Rust.
    pub(crate) fn from_key_rows_portable(keys: &[f32], n: usize, d: usize) -> Self {
        let mut p = Self::zeroed(d, n);
        let kq = d.div_ceil(4);
        for (t, row) in keys.chunks_exact(d.max(1)).take(n).enumerate() {
            let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let s = symmetric_scale(amax);
            let inv = 1.0 / s;
            let mut q = [0i8; 4];
            let mut sum = 0i32;
            for (lane, quad) in row.chunks(4).enumerate() {
                q.fill(0);
                for (dst, &v) in q.iter_mut().zip(quad) {
                    *dst = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i8;
                    sum += i32::from(*dst);
                }
                p.data[((t / PANEL) * kq + lane) * PANEL + t % PANEL] = u32::from_le_bytes(q.map(|b| b as u8));
            }
            (p.scale[t], p.colsum[t]) = (s, sum);
        }
        p
    }

    /// `v` of attention: `values[n, d]` as the `[n, d]` weight matrix, quantised per column
    /// (per channel).
    pub(crate) fn from_value_rows(cpu: Cpu, values: &[f32], n: usize, d: usize) -> Self {
        assert!(values.len() >= n * d, "values shorter than n·d");
        #[cfg(target_arch = "x86_64")]
        if cpu.has(CpuTier::Avx512Vnni) && d.is_multiple_of(16) {
            // SAFETY: as in `from_key_rows`.
            return unsafe { super::x86::avx512_int8::from_value_rows(values, n, d) };
        }
        #[cfg(target_arch = "aarch64")]
        if cpu.has(CpuTier::Neon) && d.is_multiple_of(16) {
            // SAFETY: the shapes were checked above (NEON is the aarch64 baseline).
            return unsafe { super::aarch64::neon::from_value_rows(values, n, d) };
        }
        let _ = cpu;
        Self::from_value_rows_portable(values, n, d)
    }

    /// [`PackedI8::from_value_rows`] in plain Rust.
    pub(crate) fn from_value_rows_portable(values: &[f32], n: usize, d: usize) -> Self {
        let mut p = Self::zeroed(n, d);
        let kq = n.div_ceil(4);
        let values = &values[..n * d];
        let mut amax = vec![0f32; d];
        for row in values.chunks_exact(d.max(1)) {
            for (m, v) in amax.iter_mut().zip(row) {
                *m = m.max(v.abs());
            }
        }
        let inv: Vec<f32> = amax
            .iter()
            .zip(&mut p.scale)
            .map(|(&a, s)| {
                *s = symmetric_scale(a);
                1.0 / *s
            })
            .collect();
        let mut q = vec![0u32; d];
        for (tq, rows) in values.chunks((4 * d).max(1)).enumerate() {
            q.fill(0);
            for (j, row) in rows.chunks_exact(d.max(1)).enumerate() {
                for (c, (&v, &iv)) in row.iter().zip(&inv).enumerate() {
                    let b = (v * iv).round_ties_even().clamp(-127.0, 127.0) as i32;
                    p.colsum[c] += b;
                    q[c] |= u32::from(b as i8 as u8) << (8 * j);
                }
            }
            for (c, &lane) in q.iter().enumerate() {
                p.data[((c / PANEL) * kq + tq) * PANEL + c % PANEL] = lane;
            }
        }
        p
    }

    /// Quantises the `[k, n]` matrix whose element `(r, c)` is `at(r, c)`.
    pub(crate) fn quantize(k: usize, n: usize, at: impl Fn(usize, usize) -> f32) -> Self {
        let mut p = Self::zeroed(k, n);
        let kq = k.div_ceil(4);
        let mut bytes = vec![0i8; p.data.len() * 4];
        for c in 0..n {
            let amax = (0..k).map(|r| at(r, c).abs()).fold(0f32, f32::max);
            let s = symmetric_scale(amax);
            p.scale[c] = s;
            let inv = 1.0 / s;
            let (b, j) = (c / PANEL, c % PANEL);
            for r in 0..k {
                let q = (at(r, c) * inv).round_ties_even().clamp(-127.0, 127.0) as i8;
                p.colsum[c] += i32::from(q);
                bytes[((b * kq + r / 4) * PANEL + j) * 4 + r % 4] = q;
            }
        }
        for (lane, q) in p.data.iter_mut().zip(bytes.chunks_exact(4)) {
            *lane = u32::from_le_bytes([q[0] as u8, q[1] as u8, q[2] as u8, q[3] as u8]);
        }
        p
    }

    /// The dequantised matrix (`[k, n]` row-major), for tests.
    #[cfg(test)]
    pub(crate) fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.k * self.n];
        for r in 0..self.k {
            for c in 0..self.n {
                let lane = self.data[self.lane_index(r / 4, c)];
                let q = lane.to_le_bytes()[r % 4] as i8;
                out[r * self.n + c] = f32::from(q) * self.scale[c];
            }
        }
        out
    }
}

/// Activations quantised per row to `u8` with a zero point, packed `[m][⌈k/4⌉]` (four per lane,
/// little-endian byte order) — or, on the `NeonI8mm` tier, in `SMMLA`'s row-pair layout
/// ([`QuantRows::paired`]).
#[derive(Default)]
pub(crate) struct QuantRows {
    pub(crate) m: usize,
    pub(crate) kq: usize,
    /// `SMMLA`'s layout: rows `2i`, `2i + 1` interleaved eight bytes at a time,
    /// `[⌈m/2⌉][kp/2][2][2]` lanes with `kp = ⌈kq/2⌉·2` (an odd `m` padded with a row of zeros),
    /// each byte stored as `u − 128` (an `i8`, the operand `SMMLA` multiplies). A row pair's eight
    /// `k` are one 16-byte load, with no top-bit flip per load: each activation is loaded by
    /// every column tile, so flipping and interleaving once here saves both on every load.
    pub(crate) paired: bool,
    pub(crate) data: Vec<u32>,
    pub(crate) scale: Vec<f32>,
    pub(crate) zero: Vec<i32>,
}

impl QuantRows {
    /// The layout `cpu`'s int8 kernel reads: paired on the `NeonI8mm` tier.
    fn paired_for(cpu: Cpu) -> bool {
        cfg!(target_arch = "aarch64") && cpu.has(CpuTier::NeonI8mm)
    }

    fn reset(&mut self, m: usize, k: usize, paired: bool) {
        let kq = k.div_ceil(4);
        self.m = m;
        self.kq = kq;
        self.paired = paired;
        self.data.clear();
        let lanes = if paired { m.div_ceil(2) * self.pair_lanes() } else { m * kq };
        self.data.resize(lanes, 0);
        self.scale.resize(m, 0.0);
        self.zero.resize(m, 0);
    }

    /// Lanes per row pair in the paired layout: `2·⌈kq/2⌉·2`.
    pub(crate) fn pair_lanes(&self) -> usize {
        2 * self.kq.next_multiple_of(2)
    }

    /// Index in `data` of row `r`'s lane `t` (`t < kq`, or `< ⌈kq/2⌉·2` paired).
    #[cfg(test)]
    pub(crate) fn lane_index(&self, r: usize, t: usize) -> usize {
        if self.paired {
            (r / 2) * self.pair_lanes() + (t / 2) * 4 + (r % 2) * 2 + t % 2
        } else {
            r * self.kq + t
        }
    }

    /// Row `r`'s `u8` values, `4·kq` of them (the padding past `k` included), in either layout.
    #[cfg(test)]
    pub(crate) fn row_bytes(&self, r: usize) -> Vec<u8> {
        let flip = if self.paired { 0x80 } else { 0 };
        (0..self.kq).flat_map(|t| self.data[self.lane_index(r, t)].to_le_bytes()).map(|b| b ^ flip).collect()
    }

    /// Quantises the rows of `x[m, k]` (row stride `k`), on the current pool for large inputs, in
    /// the layout `cpu`'s kernel reads.
    pub(crate) fn quantize(&mut self, cpu: Cpu, x: &[f32], m: usize, k: usize) {
        use rayon::prelude::*;
        assert!(x.len() >= m * k, "activations shorter than m·k");
        let paired = Self::paired_for(cpu);
        self.reset(m, k, paired);
        let kq = self.kq;
        if k == 0 {
            return;
        }
        let x = &x[..m * k];
        // Rows per task: even, so a task owns whole row pairs of the paired layout.
        const ROWS: usize = 16;
        let (row_lanes, chunk_lanes) = if paired { (0, ROWS / 2 * self.pair_lanes()) } else { (kq, ROWS * kq) };
        let pair_lanes = self.pair_lanes();
        #[allow(clippy::type_complexity)] // rayon's zipped chunk tuple, destructured in place
        let work = |((xs, d), (s, z)): ((&[f32], &mut [u32]), (&mut [f32], &mut [i32]))| {
            for (r, ((row, s), z)) in xs.chunks_exact(k).zip(s).zip(z).enumerate() {
                (*s, *z) = if paired {
                    let at = (r / 2) * pair_lanes;
                    quantize_row_paired(cpu, row, &mut d[at..at + pair_lanes], r % 2)
                } else {
                    quantize_row(cpu, row, &mut d[r * row_lanes..][..row_lanes])
                };
            }
        };
        if m * k >= (1 << 15) && rayon::current_num_threads() > 1 {
            x.par_chunks(ROWS * k)
                .zip(self.data.par_chunks_mut(chunk_lanes))
                .zip(self.scale.par_chunks_mut(ROWS).zip(self.zero.par_chunks_mut(ROWS)))
                .for_each(work);
        } else {
            work(((x, &mut self.data[..]), (&mut self.scale[..], &mut self.zero[..])));
        }
    }

    /// Fills `m` rows of width `k` by `f(row, bytes)`, which writes the row's `u8` values to
    /// `bytes` (`⌈k/4⌉·4` long, zeroed; bytes past `k` must stay 0) and returns its
    /// `(scale, zero point)`; in the layout `cpu`'s kernel reads.
    pub(crate) fn fill(&mut self, cpu: Cpu, m: usize, k: usize, mut f: impl FnMut(usize, &mut [u8]) -> (f32, i32)) {
        let paired = Self::paired_for(cpu);
        self.reset(m, k, paired);
        if self.kq == 0 {
            return;
        }
        if paired {
            // The row in order, then to its pair's slots (eight bytes apart by eight), flipped.
            let mut row = vec![0u32; self.kq.next_multiple_of(2)];
            let pair_lanes = self.pair_lanes();
            for r in 0..m {
                row.fill(0);
                (self.scale[r], self.zero[r]) = f(r, &mut bytemuck::cast_slice_mut(&mut row[..])[..4 * self.kq]);
                let pair = &mut self.data[(r / 2) * pair_lanes..][..pair_lanes];
                scatter_paired(cpu, &row, pair, r % 2);
            }
            return;
        }
        for (r, lanes) in self.data.chunks_exact_mut(self.kq).enumerate() {
            // Lanes are read as little-endian bytes, which is this view on every target with an
            // int8 kernel (x86-64, aarch64).
            (self.scale[r], self.zero[r]) = f(r, bytemuck::cast_slice_mut(lanes));
        }
    }
}

impl QuantRows {
    /// Attention's probabilities: the `u8` softmax numerators of the `rows` rows of `scores[rows, n]`
    /// ([`crate::cpu::math::exp_quantize_row`]) as quantised rows with scale 1 and zero point 0, in
    /// the layout `cpu`'s kernel reads; `sums[r]` = row r's sum of numerators.
    pub(crate) fn fill_softmax(&mut self, cpu: Cpu, scores: &[f32], rows: usize, n: usize, sums: &mut [f32]) {
        assert!(scores.len() >= rows * n && sums.len() >= rows, "scores or sums too short");
        #[cfg(target_arch = "aarch64")]
        if Self::paired_for(cpu) {
            self.reset(rows, n, true);
            self.scale[..rows].fill(1.0);
            self.zero[..rows].fill(0);
            let pair_lanes = self.pair_lanes();
            if pair_lanes == 0 {
                sums[..rows].fill(0.0);
                return;
            }
            for (r, sum) in sums[..rows].iter_mut().enumerate() {
                let pair = &mut self.data[(r / 2) * pair_lanes..][..pair_lanes];
                // SAFETY: the pair's lanes (2·⌈⌈n/4⌉/2⌉·2, checked inside).
                *sum = unsafe { super::aarch64::neon::exp_quantize_paired(&scores[r * n..][..n], pair, r % 2) };
            }
            return;
        }
        self.fill(cpu, rows, n, |r, bytes| {
            sums[r] = super::math::exp_quantize_row(cpu, &scores[r * n..][..n], bytes);
            (1.0, 0)
        });
    }
}

/// Row `half` (0 or 1) of a row pair in the paired layout ([`QuantRows::paired`]): the `u8` lanes
/// `row` (an even count) to their slots in `pair` (`2·row.len()` lanes), each byte `u − 128`.
fn scatter_paired(cpu: Cpu, row: &[u32], pair: &mut [u32], half: usize) {
    debug_assert!(row.len().is_multiple_of(2) && pair.len() == 2 * row.len() && half < 2);
    #[cfg(target_arch = "aarch64")]
    if cpu.has(CpuTier::Neon) {
        // SAFETY: the lengths are the ones asserted above (checked again inside).
        return unsafe { super::aarch64::neon::scatter_paired(row, pair, half) };
    }
    let _ = cpu;
    for (s, src) in row.chunks_exact(2).enumerate() {
        for (j, &lane) in src.iter().enumerate() {
            pair[4 * s + 2 * half + j] = lane ^ 0x8080_8080;
        }
    }
}

/// [`quantize_row`] into row `half` of a row pair in the paired layout ([`QuantRows::paired`]):
/// `pair` holds the pair's `2·⌈⌈len/4⌉/2⌉·2` lanes; returns `(scale, zero point)`.
pub(crate) fn quantize_row_paired(cpu: Cpu, row: &[f32], pair: &mut [u32], half: usize) -> (f32, i32) {
    let kp = row.len().div_ceil(4).next_multiple_of(2);
    assert!(pair.len() == 2 * kp && half < 2, "a row pair holds 2·⌈kq/2⌉·2 lanes");
    #[cfg(target_arch = "aarch64")]
    if cpu.has(CpuTier::Neon) {
        // SAFETY: pair holds the pair's lanes (asserted).
        return unsafe { super::aarch64::neon::quantize_row_paired(row, pair, half) };
    }
    let mut lanes = vec![0u32; kp];
    let q = quantize_row(cpu, row, &mut lanes[..row.len().div_ceil(4)]);
    scatter_paired(cpu, &lanes, pair, half);
    q
}

/// One row to `u8` lanes (`dst` holds `⌈len/4⌉` lanes); returns `(scale, zero point)`. A row with
/// NaN or ±∞ gives zero bytes and scale NaN.
pub(crate) fn quantize_row(cpu: Cpu, row: &[f32], dst: &mut [u32]) -> (f32, i32) {
    assert_eq!(dst.len(), row.len().div_ceil(4), "lane count must be ⌈len/4⌉");
    #[cfg(target_arch = "x86_64")]
    if cpu.has(CpuTier::Avx512) {
        // SAFETY: the tier's features are present (a `Cpu` never exceeds the hardware); dst holds
        // ⌈len/4⌉ lanes (asserted).
        return unsafe { super::x86::avx512_int8::quantize_row(row, dst) };
    }
    #[cfg(target_arch = "aarch64")]
    if cpu.has(CpuTier::Neon) {
        // SAFETY: dst holds ⌈len/4⌉ lanes (asserted).
        return unsafe { super::aarch64::neon::quantize_row(row, dst) };
    }
    let _ = cpu;
    quantize_row_portable(row, dst)
}

/// The affine `u8` mapping of a row with bounds `lo ≤ 0 ≤ hi` (`finite`: no NaN or ±∞ in the
/// row): `Ok((scale, 1/scale, zero point))`, or `Err((scale, zero point))` for a row stored as
/// zero bytes (NaN scale for a non-finite row, scale 1 for a constant one). Every quantiser's
/// vector version uses it, so they share one rounding of the parameters.
#[inline]
pub(crate) fn row_params(lo: f32, hi: f32, finite: bool) -> Result<(f32, f32, f32), (f32, i32)> {
    if !(finite && lo.is_finite() && hi.is_finite()) {
        return Err((f32::NAN, 0));
    }
    if hi == lo {
        return Err((1.0, 0));
    }
    let s = (hi - lo) / 255.0;
    let inv = 1.0 / s;
    Ok((s, inv, (-lo * inv).round_ties_even().clamp(0.0, 255.0)))
}

/// [`quantize_row`] in plain Rust (any length; the reference for the vector version).
pub(crate) fn quantize_row_portable(row: &[f32], dst: &mut [u32]) -> (f32, i32) {
    let (mut lo, mut hi, mut sum) = (0f32, 0f32, 0f32);
    for &v in row {
        lo = lo.min(v);
        hi = hi.max(v);
        sum += v * 0.0; // NaN or ±∞ anywhere makes this NaN (min/max skip NaN).
    }
    let (s, inv, z) = match row_params(lo, hi, sum == 0.0) {
        Ok(p) => p,
        Err(zero) => {
            dst.fill(0);
            return zero;
        }
    };
    let q = |v: f32| (v * inv + z).round_ties_even().clamp(0.0, 255.0) as u8;
    let mut quads = row.chunks_exact(4);
    for (d, c) in dst.iter_mut().zip(&mut quads) {
        *d = u32::from_le_bytes([q(c[0]), q(c[1]), q(c[2]), q(c[3])]);
    }
    let rest = quads.remainder();
    if !rest.is_empty() {
        // The padding lanes hold zero bytes, which meet zero weights: they add nothing.
        let mut b = [0u8; 4];
        for (i, &v) in rest.iter().enumerate() {
            b[i] = q(v);
        }
        dst[dst.len() - 1] = u32::from_le_bytes(b);
    }
    (s, z as i32)
}

/// The int8 product of quantised rows `a` and `w`, dequantised:
/// `out[r·ldo + c] = [out +] s_r·s_c·(Σ u·q − z_r·Σ q) [+ bias[c]]`.
///
/// Panics on mismatched or undersized buffers, and (an internal bug) when `cpu` is below the
/// [`INT8`] tier.
pub(crate) fn matmul(
    cpu: Cpu,
    a: &QuantRows,
    w: &PackedI8,
    out: &mut [f32],
    ldo: usize,
    ep: Epilogue<'_>,
    parallel: bool,
) {
    cpu.require(INT8, "int8");
    if a.m == 0 || w.n == 0 {
        return;
    }
    assert!(ldo >= w.n && out.len() >= (a.m - 1) * ldo + w.n, "output buffer too small");
    // SAFETY: `out` is borrowed mutably for the call and holds every element written (checked).
    unsafe { matmul_raw(cpu, a, w, out.as_mut_ptr(), ldo, ep, parallel) }
}

/// [`matmul`] into a raw output (see [`super::packed_f32::matmul_raw`] for why).
///
/// # Safety
/// `out` must be valid for reads and writes of `out[r·ldo + c]` for `r < a.m`, `c < w.n`, and no
/// other thread may access those elements during the call. `ldo ≥ w.n`.
pub(crate) unsafe fn matmul_raw(
    cpu: Cpu,
    a: &QuantRows,
    w: &PackedI8,
    out: *mut f32,
    ldo: usize,
    ep: Epilogue<'_>,
    parallel: bool,
) {
    cpu.require(INT8, "int8");
    let m = a.m;
    if m == 0 || w.n == 0 {
        return;
    }
    assert_eq!(a.kq, w.k.div_ceil(4), "activation width does not match the weights");
    // (An internal bug: rows are quantised and multiplied for the same `Cpu`.)
    assert_eq!(a.paired, QuantRows::paired_for(cpu), "activations quantised for another tier's kernel");
    assert!(a.data.len() >= m * a.kq && a.scale.len() >= m && a.zero.len() >= m, "quantised rows truncated");
    let nb = w.n.div_ceil(PANEL);
    assert!(w.data.len() >= nb * w.lane_rows() * PANEL && w.scale.len() >= nb * PANEL && w.colsum.len() >= nb * PANEL);
    assert!(ldo >= w.n, "output stride below the width");
    assert!(ep.bias.is_none_or(|b| b.len() >= w.n), "bias too short");
    if w.layout == Layout::Pairs {
        cpu.require(CpuTier::NeonI8mm, "int8 weights in SMMLA's layout");
    }
    #[cfg(target_arch = "aarch64")]
    let kernel = {
        use super::aarch64::neon_int8::Kernel;
        match w.layout {
            Layout::Pairs => Kernel::SmmlaPairs,
            Layout::Lanes if cpu.has(CpuTier::NeonI8mm) => Kernel::Smmla,
            Layout::Lanes => Kernel::Sdot,
        }
    };
    let out = SendPtr(out);
    for_blocks(m, w.n, 4 * a.kq, PANEL, w.data.len() * 4, parallel, |r0, rows, p0, panels| {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the tier was required above and a `Cpu` never exceeds the hardware; `a` holds
        // m rows (asserted), output rows r < m and columns c < n are the caller's to write; blocks
        // are disjoint, so each output element has one writer.
        unsafe {
            super::x86::avx512_int8::block(a, r0, rows, w, p0, panels, out.get().add(r0 * ldo), ldo, ep)
        }
        #[cfg(target_arch = "aarch64")]
        // SAFETY: the NeonDotprod tier was required above, and NeonI8mm for either `SMMLA` kernel
        // (a `Cpu` never exceeds the hardware); the `Pairs` kernel gets `Pairs` weights only;
        // bounds and disjointness as on x86-64.
        unsafe {
            super::aarch64::neon_int8::block(kernel, a, r0, rows, w, p0, panels, out.get().add(r0 * ldo), ldo, ep)
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        unreachable!("no int8 kernel on this architecture ({r0}, {rows}, {p0}, {panels})");
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::testing::{affordable, data};

    const SHAPES: [(usize, usize, usize); 6] =
        [(1, 3, 1), (5, 9, 33), (13, 64, 32), (30, 31, 70), (97, 130, 200), (577, 192, 96)];

    #[test]
    fn weights_quantise_per_column_within_half_a_step() {
        let (k, n) = (37, 45);
        let w = data(k * n, 0.7);
        let p = PackedI8::quantize(k, n, |r, c| w[r * n + c]);
        let back = p.dequantize();
        for c in 0..n {
            let amax = (0..k).map(|r| w[r * n + c].abs()).fold(0f32, f32::max);
            let sum: i32 = (0..k).map(|r| (back[r * n + c] / p.scale[c]).round() as i32).sum();
            assert_eq!(sum, p.colsum[c]);
            for r in 0..k {
                assert!((back[r * n + c] - w[r * n + c]).abs() <= amax / 127.0 * 0.5 + 1e-6);
            }
        }
        // An all-zero column keeps a finite scale and zero values.
        let z = PackedI8::quantize(4, 2, |_, c| if c == 0 { 0.0 } else { 1.0 });
        assert!(z.dequantize().iter().step_by(2).all(|&v| v == 0.0));
    }

    #[test]
    fn rows_quantise_within_half_a_step_and_flag_bad_values() {
        let row = [-1.5f32, 0.25, 3.0, 0.0, 2.2];
        for cpu in [Cpu::portable(), Cpu::detect()] {
            let mut lanes = [0u32; 2];
            let (s, z) = quantize_row(cpu, &row, &mut lanes);
            let bytes: Vec<u8> = lanes.iter().flat_map(|l| l.to_le_bytes()).collect();
            for (i, &v) in row.iter().enumerate() {
                let back = s * (f32::from(bytes[i]) - z as f32);
                assert!((back - v).abs() <= s * 0.5 + 1e-6, "{v} -> {back}");
            }
            assert_eq!(&bytes[5..], &[0, 0, 0], "padding lanes must be zero");
            let (s, z) = quantize_row(cpu, &[f32::NAN, 1.0], &mut lanes[..1]);
            assert!(s.is_nan() && z == 0 && lanes[0] == 0, "NaN row: scale NaN, zero bytes");
            assert_eq!(quantize_row(cpu, &[2.0; 4], &mut lanes[..1]).0, 2.0 / 255.0);
        }
    }

    /// A row written into a row pair of `SMMLA`'s layout holds the plain quantiser's bytes, flipped
    /// (`u − 128`), eight every sixteen; its padding is `u = 0`; the pair's other row is untouched
    /// (vector and portable writers, NaN rows, lengths around the 16-value step and odd lanes).
    #[test]
    fn paired_rows_hold_the_plain_bytes_flipped() {
        for cpu in [Cpu::portable(), Cpu::detect()] {
            // Under Miri (interpreted, ~10⁵× slower) the short rows only.
            let lens: &[usize] =
                if cfg!(miri) { &[1, 5, 16, 17, 33] } else { &[1, 4, 5, 8, 9, 15, 16, 17, 31, 33, 64, 192, 577] };
            for &len in lens {
                let mut row = data(len, len as f32);
                let kq = len.div_ceil(4);
                let mut plain = vec![0u32; kq];
                let want = quantize_row(cpu, &row, &mut plain);
                let bytes: Vec<u8> = plain.iter().flat_map(|l| l.to_le_bytes()).collect();
                let kp = kq.next_multiple_of(2);
                for half in 0..2 {
                    let mut pair = vec![u32::MAX; 2 * kp];
                    assert_eq!(quantize_row_paired(cpu, &row, &mut pair, half), want, "{len}");
                    let got: Vec<u8> = pair.iter().flat_map(|l| l.to_le_bytes()).collect();
                    for i in 0..4 * kp {
                        let at = 16 * (i / 8) + i % 8;
                        let b = bytes.get(i).copied().unwrap_or(0);
                        assert_eq!(got[at + 8 * half], b ^ 0x80, "{:?} {len} half {half} byte {i}", cpu.tier());
                        assert_eq!(got[at + 8 * (1 - half)], 0xff, "{len}: the other row was written");
                    }
                    // The same through the scatter of already quantised lanes.
                    let mut lanes = plain.clone();
                    lanes.resize(kp, 0);
                    let mut again = vec![u32::MAX; 2 * kp];
                    scatter_paired(cpu, &lanes, &mut again, half);
                    assert_eq!(again, pair, "{len} half {half}: scatter");
                }
                row[len / 2] = f32::NAN;
                let mut pair = vec![0u32; 2 * kp];
                assert!(quantize_row_paired(cpu, &row, &mut pair, 1).0.is_nan());
                let got: Vec<u8> = pair.iter().flat_map(|l| l.to_le_bytes()).collect();
                assert!((0..4 * kp).all(|i| got[16 * (i / 8) + i % 8 + 8] == 0x80), "{len}: NaN row is u = 0");
            }
        }
    }

    /// Softmax numerators as quantised rows hold the same bytes and sums at every tier and in
    /// both layouts (odd row counts, odd lane counts, rows of one value; a NaN row's sum is NaN).
    #[test]
    fn softmax_rows_are_the_same_in_every_layout() {
        let shapes: &[(usize, usize)] =
            if cfg!(miri) { &[(1, 1), (5, 7), (3, 50)] } else { &[(1, 1), (5, 7), (6, 16), (3, 50), (2, 577)] };
        for &(rows, n) in shapes {
            let mut scores = data(rows * n, 3.0);
            if rows == 3 {
                scores[n + 1] = f32::NAN;
            }
            let mut want = QuantRows::default();
            let mut want_sums = vec![0f32; rows];
            want.fill_softmax(Cpu::portable(), &scores, rows, n, &mut want_sums);
            for cpu in crate::cpu::testing::every_tier() {
                let mut got = QuantRows::default();
                let mut sums = vec![0f32; rows];
                got.fill_softmax(cpu, &scores, rows, n, &mut sums);
                let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
                assert!(same(&sums, &want_sums), "{:?} {rows}x{n}: {sums:?} vs {want_sums:?}", cpu.tier());
                assert_eq!((&got.scale[..rows], &got.zero[..rows]), (&want.scale[..rows], &want.zero[..rows]));
                // The general `fill` in this tier's layout (paired on NeonI8mm), from the same bytes.
                let mut filled = QuantRows::default();
                filled.fill(cpu, rows, n, |r, bytes| {
                    crate::cpu::math::exp_quantize_row(cpu, &scores[r * n..][..n], bytes);
                    (1.0, 0)
                });
                // A NaN row's bytes differ by tier (its sum is NaN, so are its outputs).
                for r in (0..rows).filter(|&r| !want_sums[r].is_nan()) {
                    assert_eq!(got.row_bytes(r), want.row_bytes(r), "{:?} {rows}x{n} row {r}", cpu.tier());
                    assert_eq!(filled.row_bytes(r), want.row_bytes(r), "{:?} {rows}x{n} row {r}: fill", cpu.tier());
                }
                assert_eq!(filled.paired, got.paired, "fill and fill_softmax choose the same layout");
            }
        }
    }

    /// The attention constructors build exactly what the generic one builds from the same matrix.
    #[test]
    fn key_and_value_packing_match_the_generic_quantiser() {
        for cpu in [Cpu::portable(), Cpu::detect()] {
            // Under Miri (interpreted, ~10⁵× slower) the small shapes only.
            let shapes: &[(usize, usize)] = if cfg!(miri) {
                &[(1, 4), (9, 6), (5, 16)]
            } else {
                &[(1, 4), (1, 16), (37, 64), (577, 64), (35, 96), (9, 6)]
            };
            for &(n, d) in shapes {
                let rows = data(n * d, n as f32);
                let keys = PackedI8::from_key_rows(cpu, &rows, n, d);
                let want = PackedI8::quantize(d, n, |i, t| rows[t * d + i]);
                assert_eq!((keys.k, keys.n), (d, n));
                assert_eq!(keys.data, want.data, "keys {n}x{d}");
                assert_eq!((&keys.scale, &keys.colsum), (&want.scale, &want.colsum));
                let values = PackedI8::from_value_rows(cpu, &rows, n, d);
                let want = PackedI8::quantize(n, d, |t, i| rows[t * d + i]);
                assert_eq!((values.k, values.n), (n, d));
                assert_eq!(values.data, want.data, "values {n}x{d}");
                assert_eq!((&values.scale, &values.colsum), (&want.scale, &want.colsum));
            }
        }
    }

    #[test]
    fn vector_row_quantisation_matches_the_portable_one() {
        let cpu = Cpu::detect();
        // x86: AVX-512 (x·(1/s) + z fused); aarch64: NEON (multiply, then add: the same bytes).
        let fused = cpu.has(CpuTier::Avx512);
        let neon = cfg!(target_arch = "aarch64") && cpu.tier() != CpuTier::Portable;
        if !(fused || neon) {
            eprintln!("SKIPPED: no vector quantiser on this CPU");
            return;
        }
        for len in [1, 5, 15, 16, 17, 31, 192, 577, 768] {
            let mut row = data(len, len as f32);
            row[len / 2] = 0.5; // exact halves: ties go to even in both
            let (mut a, mut b) = (vec![u32::MAX; len.div_ceil(4)], vec![0u32; len.div_ceil(4)]);
            assert_eq!(quantize_row(cpu, &row, &mut a), quantize_row_portable(&row, &mut b));
            if fused {
                let diff = a.iter().zip(&b).flat_map(|(x, y)| x.to_le_bytes().into_iter().zip(y.to_le_bytes()));
                // x·(1/s) + z in one fused step vs two roundings: at most one step apart, rarely.
                assert!(diff.filter(|(x, y)| x != y).all(|(x, y)| x.abs_diff(y) == 1));
            } else {
                assert_eq!(a, b, "{len}: bytes and zero padding");
            }
            // All negative, all positive: the range still holds 0 (zero point 255 or 0).
            for sign in [-1.0f32, 1.0] {
                let one_sided: Vec<f32> = row.iter().map(|v| sign * (v.abs() + 0.1)).collect();
                assert_eq!(quantize_row(cpu, &one_sided, &mut a), quantize_row_portable(&one_sided, &mut b));
            }
            for bad in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN] {
                row[len - 1] = bad;
                a.fill(u32::MAX);
                assert!(quantize_row(cpu, &row, &mut a).0.is_nan(), "{len} {bad}");
                assert!(a.iter().all(|&l| l == 0));
            }
        }
    }

    /// The pairs layout holds the same values (odd lane counts padded with zeros, partial panels),
    /// and `lane_index` finds each lane in both layouts.
    #[test]
    fn pairs_layout_is_the_lanes_interleaved() {
        let shapes = [(1, 1), (4, 32), (5, 33), (12, 7), (64, 577), (577, 64), (192, 768), (36, 40)];
        for (k, n) in shapes.into_iter().filter(|&(k, n)| affordable(k * n)) {
            let w = data(k * n, 0.3);
            let lanes = PackedI8::quantize(k, n, |r, c| w[r * n + c]);
            let pairs = lanes.to_pairs();
            assert_eq!((pairs.layout, pairs.lane_rows()), (Layout::Pairs, k.div_ceil(4).next_multiple_of(2)));
            assert_eq!(pairs.data.len(), n.div_ceil(PANEL) * pairs.lane_rows() * PANEL);
            assert_eq!(pairs.dequantize(), lanes.dequantize(), "{k}x{n}");
            for t in 0..k.div_ceil(4) {
                for c in 0..n {
                    assert_eq!(pairs.data[pairs.lane_index(t, c)], lanes.data[lanes.lane_index(t, c)]);
                }
            }
            // The padded lane row of an odd count, and the columns past n, are zero.
            let nonzero = pairs.data.iter().filter(|&&l| l != 0).count();
            assert_eq!(nonzero, lanes.data.iter().filter(|&&l| l != 0).count(), "{k}x{n}: padding not zero");
            // Only the NeonI8mm tier asks for it.
            let kept = lanes.clone().for_cpu(Cpu::portable());
            assert_eq!((kept.layout, &kept.data), (Layout::Lanes, &lanes.data));
        }
    }

    /// A pairs matrix below the `NeonI8mm` tier is an internal bug, caught before any kernel runs.
    #[test]
    fn pairs_weights_below_their_tier_are_refused() {
        let Some(cpu) =
            crate::cpu::testing::every_tier().into_iter().find(|c| c.has(INT8) && !c.has(CpuTier::NeonI8mm))
        else {
            eprintln!("SKIPPED: no int8 tier without FEAT_I8MM here");
            return;
        };
        let w = PackedI8::quantize(8, 4, |r, c| (r + c) as f32).to_pairs();
        let mut a = QuantRows::default();
        a.quantize(cpu, &[0.5; 16], 2, 8);
        let mut out = vec![0f32; 8];
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            matmul(cpu, &a, &w, &mut out, 4, Epilogue::default(), false)
        }))
        .expect_err("a pairs matrix ran below NeonI8mm");
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("SMMLA"), "{msg}");
    }

    /// Rows quantised for `SMMLA` (the pair layout) handed to the `SDOT` kernel are an internal
    /// bug, caught before any kernel runs.
    #[test]
    fn rows_quantised_for_another_tier_are_refused() {
        let tiers = crate::cpu::testing::every_tier();
        let (Some(&hi), Some(&lo)) = (
            tiers.iter().find(|c| c.has(CpuTier::NeonI8mm)),
            tiers.iter().find(|c| c.has(INT8) && !c.has(CpuTier::NeonI8mm)),
        ) else {
            eprintln!("SKIPPED: no pair of int8 tiers with and without FEAT_I8MM here");
            return;
        };
        let w = PackedI8::quantize(8, 4, |r, c| (r + c) as f32);
        let mut a = QuantRows::default();
        a.quantize(hi, &[0.5; 16], 2, 8);
        assert!(a.paired);
        let mut out = vec![0f32; 8];
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            matmul(lo, &a, &w, &mut out, 4, Epilogue::default(), false)
        }))
        .expect_err("paired rows ran on SDOT");
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("another tier"), "{msg}");
    }

    /// The kernel equals the exact integer product of the quantised operands, dequantised, at
    /// every tier with an int8 kernel (aarch64: `SDOT`, `SMMLA` on both layouts).
    #[test]
    fn kernel_matches_the_quantised_product() {
        let tiers: Vec<Cpu> = crate::cpu::testing::every_tier().into_iter().filter(|c| c.has(INT8)).collect();
        if tiers.is_empty() {
            eprintln!("SKIPPED: no int8 kernel tier here ({INT8}), the int8 kernel is not exercised");
            return;
        }
        for cpu in tiers {
            kernel_matches_at(cpu);
        }
    }

    fn kernel_matches_at(cpu: Cpu) {
        for &(m, k, n) in SHAPES.iter().filter(|&&(m, k, n)| affordable(m * k * n)) {
            let x = data(m * k, 0.9);
            let w = data(k * n, 0.2);
            let bias = data(n, 4.0);
            let p = PackedI8::quantize(k, n, |r, c| w[r * n + c]);
            let wq = p.dequantize();
            let mut a = QuantRows::default();
            a.quantize(cpu, &x, m, k);
            let mut out = vec![0.25f32; m * n];
            matmul(cpu, &a, &p, &mut out, n, Epilogue { bias: Some(&bias), accumulate: true }, true);
            // SMMLA's own layout, where this tier has it: the same integers, so the same floats.
            let own = p.clone().for_cpu(cpu);
            if own.layout != Layout::Lanes {
                let mut again = vec![0.25f32; m * n];
                matmul(cpu, &a, &own, &mut again, n, Epilogue { bias: Some(&bias), accumulate: true }, true);
                assert!(out == again, "({m},{k},{n}) {:?} layout differs from the lanes", own.layout);
            }
            for i in 0..m {
                let bytes = a.row_bytes(i);
                for j in 0..n {
                    let dot: f64 = (0..k)
                        .map(|t| a.scale[i] as f64 * (bytes[t] as f64 - a.zero[i] as f64) * wq[t * n + j] as f64)
                        .sum();
                    let want = 0.25 + bias[j] as f64 + dot;
                    let got = out[i * n + j] as f64;
                    assert!((got - want).abs() < 1e-4 * (1.0 + want.abs()), "({m},{k},{n}) [{i},{j}] {got} vs {want}");
                    // And within the worst-case quantisation error of the f32 product.
                    let exact: f64 =
                        0.25 + bias[j] as f64 + (0..k).map(|t| x[i * k + t] as f64 * w[t * n + j] as f64).sum::<f64>();
                    let (hx, hw) = (a.scale[i] as f64 / 2.0, p.scale[j] as f64 / 2.0);
                    let bound: f64 =
                        (0..k).map(|t| x[i * k + t].abs() as f64 * hw + w[t * n + j].abs() as f64 * hx + hx * hw).sum();
                    assert!(
                        (got - exact).abs() <= bound * 1.001 + 1e-4,
                        "({m},{k},{n}) [{i},{j}] {got} vs f32 {exact}"
                    );
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "internal bug")]
    fn the_kernel_below_its_tier_is_an_internal_bug() {
        let below = if cfg!(target_arch = "aarch64") { CpuTier::Neon } else { CpuTier::Avx512 };
        let cpu = Cpu::detect().lowered_to(below);
        let mut a = QuantRows::default();
        a.quantize(cpu, &[1.0, 2.0], 1, 2);
        let w = PackedI8::quantize(2, 1, |_, _| 1.0);
        matmul(cpu, &a, &w, &mut [0.0], 1, Epilogue::default(), false);
    }
}
