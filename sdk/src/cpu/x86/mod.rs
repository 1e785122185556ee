//! The x86-64 kernels: the element-wise functions built for AVX2 and AVX-512, and the
//! hand-written AVX-512 matrix kernels (f32 FMA, int8 VNNI, bf16) with the tile store they share.
//!
//! Every function here is `unsafe` for one reason: it uses instructions of its tier. Callers
//! choose them from a [`super::Cpu`], which never claims a tier the hardware lacks.

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod avx512_bf16;
pub(crate) mod avx512_f32;
pub(crate) mod avx512_int8;
mod interpretable;

/// Defines `unsafe fn $name(..)` = the portable `$imp(..)` compiled with `$features`.
macro_rules! build_for {
    ($features:literal: $($name:ident = $imp:path, ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {$(
        /// The portable function of the same name, compiled for this module's features.
        ///
        /// # Safety
        /// The CPU must support every feature this module enables.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
            $imp($($arg),*)
        }
    )*};
}
pub(crate) use build_for;
