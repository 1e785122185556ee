//! The compute layer: every SIMD kernel, packed-weight layout, quantiser, element-wise function
//! and threading helper the towers run on. `model/` uses it; it never imports `model/`.
//!
//! What a CPU can run is one value, [`Cpu`], detected once per process and passed to every kernel.
//! Its [`CpuTier`] names an instruction-set level; each kernel states the tier it needs and is
//! chosen from that value alone (no kernel re-detects features). A `Cpu` can be *lowered* on
//! purpose — by tests, by [`Cpu::lowered_to`], or by the environment variable
//! [`CPU_TIER_ENV`] (`PELABEL_CPU_TIER=portable|avx2|avx512|avx512-vnni|avx512-bf16` on x86-64,
//! `portable|neon|neon-dotprod|neon-i8mm` on aarch64) — so one machine runs the code every other
//! CPU of its architecture runs, down to the portable paths. It can never be raised above what
//! the hardware has: the only constructors are detection and lowering, which is what makes
//! dispatching on it sound (see the `SAFETY:` notes at the calls).
//!
//! Tiers are per architecture: an aarch64 `Cpu` never "has" an x86 tier and the other way round;
//! only [`CpuTier::Portable`] is common. The kernels a precision needs are named by
//! [`PACKED_F32`] and [`INT8`], this architecture's tiers for them.
//!
//! | file | holds |
//! |---|---|
//! | `math.rs` | exp, erf/GELU, softmax (and its u8-quantised form), LayerNorm: portable code built per tier |
//! | `gemm.rs` | row-major f32 products on the `gemm` crate (the tiers below AVX-512) |
//! | `packed_f32.rs` | f32 weights packed in 32-column panels and their product (AVX-512 FMA) |
//! | `int8.rs` | int8 weights and u8 activations, their quantisers and product (AVX512_VNNI) |
//! | `bf16.rs` | bf16 weights and activations and their product (AVX512_BF16) |
//! | `attention.rs` | multi-head attention on the above, per precision |
//! | `threads.rs` | splitting work over the current rayon pool |
//! | `x86/` | the hand-written x86-64 kernels behind the files above |
//! | `aarch64/` | the hand-written NEON kernels (f32 `FMLA`, int8 `SDOT` and `SMMLA`) |
//!
//! The `gemm` crate does its own run-time dispatch (AVX2/AVX-512/NEON); lowering the tier does not
//! reach inside it, only the choice between it and pelabel's own kernels.

#[cfg(target_arch = "aarch64")]
mod aarch64;
mod attention;
pub(crate) mod bf16;
mod gemm;
pub(crate) mod int8;
mod math;
pub(crate) mod packed_f32;
pub(crate) mod threads;
#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(all(test, not(miri)))]
mod proptests;

use std::sync::OnceLock;

pub(crate) use attention::{attention, AttentionScratch};
pub(crate) use bf16::{pack_rows as pack_rows_bf16, PackedBf16};
pub(crate) use gemm::matmul_rows;
pub(crate) use int8::{PackedI8, QuantRows};
pub(crate) use math::{add_bias_rows, gelu_erf, layer_norm, softmax_row};
pub(crate) use packed_f32::{Epilogue, PackedF32};

use crate::{Error, Result};

/// The environment variable that lowers the detected [`CpuTier`] (read by [`Cpu::from_env`],
/// which model loading calls). Values: `portable`, `avx2`, `avx512`, `avx512-vnni`, `avx512-bf16`
/// (x86-64), `neon`, `neon-dotprod`, `neon-i8mm` (aarch64). A tier above what the CPU has is the
/// CPU's own tier; another architecture's tier means `portable`; an unknown name is an error at
/// load.
pub const CPU_TIER_ENV: &str = "PELABEL_CPU_TIER";

/// An instruction-set level pelabel has kernels for, lowest first within each architecture.
///
/// Within an architecture each tier includes the ones below it (every CPU with AVX512_BF16 also
/// has AVX512_VNNI; every core with FEAT_I8MM that pelabel treats as `NeonI8mm` also has
/// FEAT_DotProd), so "at least this tier" is a comparison of levels of the same architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CpuTier {
    /// Plain Rust, what any CPU runs (the compiler's baseline vectorisation only).
    Portable,
    /// x86-64 AVX2 + FMA: the element-wise functions built for 256-bit vectors.
    Avx2,
    /// x86-64 AVX-512 F/BW/VL (+ AVX2, FMA): pelabel's packed f32 kernel and AVX-512 softmax.
    Avx512,
    /// [`CpuTier::Avx512`] + AVX512_VNNI: the int8 kernel (`vpdpbusd`).
    Avx512Vnni,
    /// [`CpuTier::Avx512Vnni`] + AVX512_BF16: the bf16 kernel (`vdpbf16ps`).
    Avx512Bf16,
    /// aarch64 Advanced SIMD (every ARMv8-A core): pelabel's packed f32 kernel (`FMLA` by element).
    Neon,
    /// [`CpuTier::Neon`] + FEAT_DotProd (Apple A11+, Cortex-A55/A75 and later): the int8 kernel
    /// (`SDOT` by element).
    NeonDotprod,
    /// [`CpuTier::NeonDotprod`] + FEAT_I8MM (Apple A15/M2+, Cortex-X2/A710 and later): the int8
    /// kernel on `SMMLA` (2 × 8 · 8 × 2 blocks, twice `SDOT`'s multiply-adds per instruction).
    NeonI8mm,
}

/// The architecture a tier belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arch {
    Any,
    X86_64,
    Aarch64,
}

impl CpuTier {
    /// Every tier of every architecture, lowest first within each.
    pub const ALL: [CpuTier; 8] = [
        CpuTier::Portable,
        CpuTier::Avx2,
        CpuTier::Avx512,
        CpuTier::Avx512Vnni,
        CpuTier::Avx512Bf16,
        CpuTier::Neon,
        CpuTier::NeonDotprod,
        CpuTier::NeonI8mm,
    ];

    /// `(architecture, level within it)`.
    fn rank(self) -> (Arch, u8) {
        match self {
            CpuTier::Portable => (Arch::Any, 0),
            CpuTier::Avx2 => (Arch::X86_64, 1),
            CpuTier::Avx512 => (Arch::X86_64, 2),
            CpuTier::Avx512Vnni => (Arch::X86_64, 3),
            CpuTier::Avx512Bf16 => (Arch::X86_64, 4),
            CpuTier::Neon => (Arch::Aarch64, 1),
            CpuTier::NeonDotprod => (Arch::Aarch64, 2),
            CpuTier::NeonI8mm => (Arch::Aarch64, 3),
        }
    }

    /// Whether a CPU at tier `self` runs the kernels of tier `t`.
    fn includes(self, t: CpuTier) -> bool {
        let ((arch, level), (t_arch, t_level)) = (self.rank(), t.rank());
        t_arch == Arch::Any || (arch == t_arch && t_level <= level)
    }

    /// The name [`CPU_TIER_ENV`] and `--cpu-tier` take.
    pub fn name(self) -> &'static str {
        match self {
            CpuTier::Portable => "portable",
            CpuTier::Avx2 => "avx2",
            CpuTier::Avx512 => "avx512",
            CpuTier::Avx512Vnni => "avx512-vnni",
            CpuTier::Avx512Bf16 => "avx512-bf16",
            CpuTier::Neon => "neon",
            CpuTier::NeonDotprod => "neon-dotprod",
            CpuTier::NeonI8mm => "neon-i8mm",
        }
    }
}

impl std::fmt::Display for CpuTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CpuTier {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let want = s.trim().to_ascii_lowercase().replace('_', "-");
        CpuTier::ALL.into_iter().find(|t| t.name() == want).ok_or_else(|| Error::UnknownCpuTier {
            value: s.to_string(),
            known: CpuTier::ALL.map(CpuTier::name).join(", "),
        })
    }
}

/// What this CPU runs: a [`CpuTier`] no higher than the hardware's.
///
/// Obtained from [`Cpu::detect`] / [`Cpu::from_env`] and lowered with [`Cpu::lowered_to`]; there
/// is no way to raise it, so every kernel chosen from a `Cpu` has its instructions available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cpu {
    tier: CpuTier,
}

impl Cpu {
    /// The highest tier this CPU supports (detected once per process).
    pub fn detect() -> Cpu {
        static DETECTED: OnceLock<CpuTier> = OnceLock::new();
        Cpu { tier: *DETECTED.get_or_init(detect_tier) }
    }

    /// [`Cpu::detect`] lowered by [`CPU_TIER_ENV`] when it is set.
    pub fn from_env() -> Result<Cpu> {
        match std::env::var(CPU_TIER_ENV) {
            Ok(v) if !v.trim().is_empty() => Ok(Cpu::detect().lowered_to(v.parse()?)),
            _ => Ok(Cpu::detect()),
        }
    }

    /// The portable tier (what any CPU runs).
    pub fn portable() -> Cpu {
        Cpu { tier: CpuTier::Portable }
    }

    /// This CPU at no more than `max`: `max` itself when this CPU includes it, this CPU's tier
    /// when `max` is above it, and the portable tier when `max` is another architecture's.
    pub fn lowered_to(self, max: CpuTier) -> Cpu {
        let tier = if self.tier.includes(max) {
            max
        } else if max.rank().0 == self.tier.rank().0 {
            self.tier
        } else {
            CpuTier::Portable
        };
        Cpu { tier }
    }

    /// The tier in effect.
    pub fn tier(self) -> CpuTier {
        self.tier
    }

    /// Every tier this CPU can be lowered to, lowest first (for tests that run them all).
    pub fn tiers(self) -> Vec<CpuTier> {
        CpuTier::ALL.into_iter().filter(|&t| self.tier.includes(t)).collect()
    }

    /// Whether kernels of tier `t` may run.
    #[inline(always)]
    pub(crate) fn has(self, t: CpuTier) -> bool {
        self.tier.includes(t)
    }

    /// Panics (an internal bug, never an input error) when a kernel of tier `t` is called on a
    /// `Cpu` below it: callers choose kernels from the same value.
    #[track_caller]
    pub(crate) fn require(self, t: CpuTier, kernel: &str) {
        assert!(self.has(t), "internal bug: the {kernel} kernel needs the {t} tier, this Cpu is {}", self.tier);
    }
}

/// The tier of pelabel's packed f32 kernel on this architecture (below it, `gemm`).
#[cfg(target_arch = "aarch64")]
pub(crate) const PACKED_F32: CpuTier = CpuTier::Neon;
/// The tier of pelabel's packed f32 kernel on this architecture (below it, `gemm`).
#[cfg(not(target_arch = "aarch64"))]
pub(crate) const PACKED_F32: CpuTier = CpuTier::Avx512;

/// The lowest tier of pelabel's int8 kernel on this architecture.
#[cfg(target_arch = "aarch64")]
pub(crate) const INT8: CpuTier = CpuTier::NeonDotprod;
/// The lowest tier of pelabel's int8 kernel on this architecture.
#[cfg(not(target_arch = "aarch64"))]
pub(crate) const INT8: CpuTier = CpuTier::Avx512Vnni;

/// Arithmetic of the image tower's matrix products.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Precision {
    /// `f32` throughout: matches the official PyTorch model to ~1e-6.
    #[default]
    F32,
    /// bf16 operands with f32 accumulation in the linear layers and attention (the
    /// [`CpuTier::Avx512Bf16`] tier; none on aarch64 yet); softmax, norms and GELU stay f32. The
    /// embedding's cosine to the f32 one stays above 0.995. Where unsupported the tower keeps `F32`.
    Bf16,
    /// int8 linear layers and attention: weights quantised once per output channel, activations
    /// per token on every call, `i32` accumulation (the [`CpuTier::Avx512Vnni`] tier on x86-64,
    /// [`CpuTier::NeonDotprod`] on aarch64, `SMMLA` from [`CpuTier::NeonI8mm`]). Norms and GELU
    /// stay f32. Measured cosine to `F32` ≥ 0.995 (tests); where unsupported the tower keeps
    /// `F32`.
    Int8,
}

impl Precision {
    /// The lowest tier that runs `self` on this architecture (for bf16 on aarch64, which has no
    /// kernel, the x86-64 tier, which an aarch64 CPU never has).
    pub fn min_tier(self) -> CpuTier {
        match self {
            Precision::F32 => CpuTier::Portable,
            Precision::Bf16 => CpuTier::Avx512Bf16,
            Precision::Int8 => INT8,
        }
    }

    /// Whether `cpu` runs `self` (always true for `F32`).
    pub fn is_supported_on(self, cpu: Cpu) -> bool {
        cpu.has(self.min_tier())
    }

    /// Whether this CPU, at the tier [`Cpu::from_env`] allows, runs `self`.
    pub fn is_supported(self) -> bool {
        self.is_supported_on(Cpu::from_env().unwrap_or_else(|_| Cpu::detect()))
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(Self::F32),
            "bf16" | "bfloat16" => Ok(Self::Bf16),
            "int8" | "i8" => Ok(Self::Int8),
            other => Err(format!("unknown precision {other:?} (expected f32, bf16 or int8)")),
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn detect_tier() -> CpuTier {
    use std::arch::is_x86_feature_detected as has;
    if !(has!("avx2") && has!("fma")) {
        return CpuTier::Portable;
    }
    if !(has!("avx512f") && has!("avx512bw") && has!("avx512vl")) {
        return CpuTier::Avx2;
    }
    if !has!("avx512vnni") {
        return CpuTier::Avx512;
    }
    if !has!("avx512bf16") {
        return CpuTier::Avx512Vnni;
    }
    CpuTier::Avx512Bf16
}

#[cfg(target_arch = "aarch64")]
fn detect_tier() -> CpuTier {
    use std::arch::is_aarch64_feature_detected as has;
    if !has!("neon") {
        return CpuTier::Portable;
    }
    if !has!("dotprod") {
        return CpuTier::Neon;
    }
    if !has!("i8mm") {
        return CpuTier::NeonDotprod;
    }
    CpuTier::NeonI8mm
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detect_tier() -> CpuTier {
    CpuTier::Portable
}

#[cfg(test)]
pub(crate) mod testing {
    //! Test data shared by the kernel tests.

    /// Deterministic values in about [-3.6, 3.6] with some structure.
    pub(crate) fn data(len: usize, seed: f32) -> Vec<f32> {
        (0..len).map(|i| (i as f32 * 0.37 + seed).sin() * 3.0 + (i % 7) as f32 * 0.1).collect()
    }

    /// Whether a case of `work` multiply-adds runs: always natively; under Miri (interpreted,
    /// ~10⁵× slower) only small ones, which still cover every tile shape, tail and mask.
    pub(crate) fn affordable(work: usize) -> bool {
        !cfg!(miri) || work <= 5_000
    }

    /// This CPU lowered to each of its tiers, portable first.
    pub(crate) fn every_tier() -> Vec<super::Cpu> {
        let cpu = super::Cpu::detect();
        cpu.tiers().into_iter().map(|t| cpu.lowered_to(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_lower_and_never_raise() {
        let cpu = Cpu::detect();
        assert_eq!(cpu.lowered_to(CpuTier::Portable).tier(), CpuTier::Portable);
        let top = if cfg!(target_arch = "aarch64") { CpuTier::NeonI8mm } else { CpuTier::Avx512Bf16 };
        assert_eq!(cpu.lowered_to(top), cpu, "lowering to the top is a no-op");
        assert_eq!(cpu.tiers().first(), Some(&CpuTier::Portable));
        assert_eq!(cpu.tiers().last(), Some(&cpu.tier()));
        let low = Cpu::portable();
        assert!(low.has(CpuTier::Portable) && !low.has(CpuTier::Avx2) && !low.has(CpuTier::Neon));
    }

    /// Tiers of one architecture never stand in for another's, in either direction.
    #[test]
    fn tiers_do_not_cross_architectures() {
        for (own, foreign) in [(CpuTier::NeonI8mm, CpuTier::Avx2), (CpuTier::Avx512Bf16, CpuTier::Neon)] {
            let cpu = Cpu { tier: own };
            assert!(!cpu.has(foreign) && cpu.has(CpuTier::Portable) && cpu.has(own));
            assert_eq!(cpu.lowered_to(foreign).tier(), CpuTier::Portable, "{own} lowered to {foreign}");
            assert!(cpu.tiers().iter().all(|t| t.rank().0 != foreign.rank().0));
        }
        let dot = Cpu { tier: CpuTier::NeonDotprod };
        assert!(dot.has(CpuTier::Neon) && !dot.has(CpuTier::NeonI8mm));
        assert_eq!(dot.lowered_to(CpuTier::NeonI8mm), dot);
        assert_eq!(dot.tiers(), [CpuTier::Portable, CpuTier::Neon, CpuTier::NeonDotprod]);
        assert_eq!(Cpu { tier: CpuTier::Avx512Vnni }.lowered_to(CpuTier::Avx2).tier(), CpuTier::Avx2);
    }

    /// CI runs the tests under emulated CPUs of known features (`.ci/run`, qemu `-cpu max` and
    /// `-cpu cortex-a53`) and names the tier each must detect here, so a run that silently
    /// detected less (and skipped the kernels above it) fails.
    #[test]
    fn detected_tier_is_the_expected_one() {
        match std::env::var("PELABEL_EXPECT_CPU_TIER") {
            Ok(want) => assert_eq!(Cpu::detect().tier(), want.parse::<CpuTier>().unwrap(), "detected tier"),
            Err(_) => eprintln!("detected tier {} (set PELABEL_EXPECT_CPU_TIER to check it)", Cpu::detect().tier()),
        }
    }

    #[test]
    fn tier_names_parse() {
        for t in CpuTier::ALL {
            assert_eq!(t.name().parse::<CpuTier>().unwrap(), t);
            assert_eq!(t.to_string().to_uppercase().parse::<CpuTier>().unwrap(), t);
        }
        assert_eq!("avx512_vnni".parse::<CpuTier>().unwrap(), CpuTier::Avx512Vnni);
        assert_eq!("NEON_I8MM".parse::<CpuTier>().unwrap(), CpuTier::NeonI8mm);
        assert!(matches!("sse2".parse::<CpuTier>(), Err(Error::UnknownCpuTier { .. })));
    }

    #[test]
    #[should_panic(expected = "internal bug")]
    fn a_kernel_above_the_tier_is_an_internal_bug() {
        Cpu::portable().require(CpuTier::Avx512, "test");
    }
}
