//! The labeler's current pack: one `Arc` that `swap_pack` replaces while other threads label.
//! Each call takes one snapshot (an `Arc` clone) and labels with it to the end, so a frame sees
//! the old pack or the new one, never parts of both; the old pack is freed when the last call
//! holding it ends. Its sync primitive comes from `super::sync`: `std::sync` in the product,
//! `loom::sync` in the loom models (`loom_models.rs`, tests under the `loom` feature). The `Arc`
//! is always `std::sync::Arc`: it is the pack handle the public API hands out.
//!
//! A read-write lock around the `Arc`: a load is one uncontended read lock and a reference-count
//! increment (tens of nanoseconds, once per labelled frame, against milliseconds of inference);
//! loads never wait for each other, and a swap waits only for loads in progress to finish their
//! clone. `arc-swap`, used before, avoids the lock but is opaque to loom.

use std::sync::Arc;

use super::sync::{PoisonError, RwLock};

/// The current value, replaced atomically.
pub(crate) struct Slot<T> {
    current: RwLock<Arc<T>>,
}

impl<T> Slot<T> {
    pub(crate) fn new(value: Arc<T>) -> Self {
        Slot { current: RwLock::new(value) }
    }

    /// A snapshot of the current value; later swaps do not change it.
    pub(crate) fn load(&self) -> Arc<T> {
        // The lock guards a plain `Arc` replaced in one move: a poisoned lock still holds a valid one.
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Makes `value` current and returns the previous value (dropped by the caller, outside the
    /// lock: freeing a pack is not done while other threads wait).
    pub(crate) fn swap(&self, value: Arc<T>) -> Arc<T> {
        std::mem::replace(&mut *self.current.write().unwrap_or_else(PoisonError::into_inner), value)
    }
}
