//! The concurrency core of a live session: the one-slot mailbox between the camera thread and the
//! worker, the stop flag and the frame counters. Kept apart from the labelling so that loom can
//! check it: its sync primitives come from `super::sync`, which is `std::sync` in the product
//! (`live.rs`) and `loom::sync` in the loom models (`loom_models.rs` compiles this same file
//! again under the `loom` feature, in tests only).
//!
//! Every frame that enters through [`Mailbox::put`] leaves through exactly one counter:
//! `dropped` (replaced by a newer frame, pushed after the stop, drained by the stop, or finished
//! after the stop), `labelled` or `failed`. So once the session is idle,
//! `labelled + failed + dropped == frames_in`. A frame the worker took is in progress until
//! [`Mailbox::done`], after its callback returned: idle means no callback is running either.
//! (Loom found that without it: `labelled` is counted before the result callback runs, so
//! `wait_idle` could return while the last callback was still running.)
//!
//! The slot is a `Mutex<Option<T>>` held only to move one value in or out (a frame's pixels are
//! dropped by the caller, outside the lock): the camera thread never waits for labelling, only,
//! at worst, for the worker's few-instruction `take`. A lock-free pointer swap (`arc-swap`, used
//! before) saves those nanoseconds but is opaque to loom; at 30 frames a second the mutex costs
//! nothing measurable.

use super::sync::{AtomicBool, AtomicU64, Mutex, MutexGuard, Ordering, PoisonError};

/// The mailbox: latest frame wins.
pub(crate) struct Mailbox<T> {
    slot: Mutex<Option<T>>,
    /// Frames taken and not yet [`Mailbox::done`] (0 or 1: one worker); changed under `slot`'s
    /// lock when taken, so the slot and this count are read together.
    in_progress: AtomicU64,
    stopped: AtomicBool,
    frames_in: AtomicU64,
    dropped: AtomicU64,
    labelled: AtomicU64,
    failed: AtomicU64,
}

/// How the worker finished a frame it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A result is ready for the result callback.
    Labelled,
    /// An error is ready for the error callback.
    Failed,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    pub(crate) frames_in: u64,
    pub(crate) labelled: u64,
    pub(crate) dropped: u64,
    pub(crate) failed: u64,
}

impl<T> Mailbox<T> {
    pub(crate) fn new() -> Self {
        Mailbox {
            slot: Mutex::new(None),
            in_progress: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            frames_in: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            labelled: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Option<T>> {
        // Nothing panics while the lock is held; a poisoned lock still holds a valid Option.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts a frame for the worker. Returns the frame nobody will label, counted as dropped: the
    /// one it replaced, or `item` itself after a stop. The caller drops it (outside the lock).
    pub(crate) fn put(&self, item: T) -> Option<T> {
        let mut slot = self.slot();
        self.frames_in.fetch_add(1, Ordering::SeqCst);
        // Read under the lock that `stop` sets it under: a frame put after the stop drained the
        // slot sees the flag, so no frame stays in the slot of a stopped session.
        if self.stopped.load(Ordering::SeqCst) {
            self.dropped.fetch_add(1, Ordering::SeqCst);
            return Some(item);
        }
        let replaced = slot.replace(item);
        if replaced.is_some() {
            self.dropped.fetch_add(1, Ordering::SeqCst);
        }
        replaced
    }

    /// Takes the waiting frame, if any; nothing after a stop. A frame taken must be reported to
    /// [`Mailbox::finish`], then [`Mailbox::done`].
    pub(crate) fn take(&self) -> Option<T> {
        let mut slot = self.slot();
        if self.stopped.load(Ordering::SeqCst) {
            return None;
        }
        let taken = slot.take();
        if taken.is_some() {
            self.in_progress.fetch_add(1, Ordering::SeqCst);
        }
        taken
    }

    /// Counts a frame [`Mailbox::take`] returned. False when the session stopped meanwhile: the
    /// frame counts as dropped and its result or error must not be delivered.
    pub(crate) fn finish(&self, outcome: Outcome) -> bool {
        if self.stopped.load(Ordering::SeqCst) {
            self.dropped.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        match outcome {
            Outcome::Labelled => self.labelled.fetch_add(1, Ordering::SeqCst),
            Outcome::Failed => self.failed.fetch_add(1, Ordering::SeqCst),
        };
        true
    }

    /// The frame taken last is completely handled: counted, and its callback (if any) returned.
    pub(crate) fn done(&self) {
        self.in_progress.fetch_sub(1, Ordering::SeqCst);
    }

    /// Stops the mailbox: later puts are dropped at once, `take` returns nothing. Returns the
    /// frame that was waiting (counted as dropped) for the caller to drop.
    pub(crate) fn stop(&self) -> Option<T> {
        let mut slot = self.slot();
        self.stopped.store(true, Ordering::SeqCst);
        let left = slot.take();
        if left.is_some() {
            self.dropped.fetch_add(1, Ordering::SeqCst);
        }
        left
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// True when no frame waits in the slot.
    pub(crate) fn is_empty(&self) -> bool {
        self.slot().is_none()
    }

    /// True when every frame put so far is completely handled: none waits, none is being
    /// labelled, no callback for one is running.
    pub(crate) fn is_idle(&self) -> bool {
        // Read under the lock that `put` and `take` hold while they move a frame: a frame put
        // is in the slot or in progress until `done`, and counted by then.
        let slot = self.slot();
        slot.is_none() && self.in_progress.load(Ordering::SeqCst) == 0
    }

    pub(crate) fn counts(&self) -> Counts {
        Counts {
            frames_in: self.frames_in.load(Ordering::SeqCst),
            labelled: self.labelled.load(Ordering::SeqCst),
            dropped: self.dropped.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
        }
    }
}
