//! Loom models of the two concurrency cores: the live session's mailbox (`live/mailbox.rs`) and
//! the labeler's pack slot (`labeler/slot.rs`). The same source files are compiled here a second
//! time against `loom::sync`, so loom explores every interleaving of their atomics and locks
//! (within the preemption bound) and the product keeps `std::sync`. Compiled into the sdk's unit
//! tests (loom is a dev-dependency), so the README's test command runs them
//! (`cargo test -p pelabel --lib -- loom_models` alone); no `--cfg loom` build, which would
//! rebuild every dependency. The models are small on purpose: two or three threads, a few operations each, at most
//! [`PREEMPTIONS`] preemptions (`LOOM_MAX_PREEMPTIONS` overrides it).

use std::collections::BTreeMap;
use std::sync::Arc;

use loom::sync::atomic::{AtomicBool as LoomBool, Ordering as LoomOrdering};
use loom::sync::Mutex as LoomMutex;
use loom::thread;

/// `super::sync` of the two files compiled below.
mod sync {
    pub(super) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    pub(super) use loom::sync::{Mutex, MutexGuard, RwLock};
    pub(super) use std::sync::PoisonError;
}

// Loaded a second time on purpose (clippy's duplicate_mod): the point is to compile these files
// against other primitives.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "live/mailbox.rs"]
mod mailbox;

#[allow(dead_code, clippy::duplicate_mod)]
#[path = "labeler/slot.rs"]
mod slot;

use mailbox::{Mailbox, Outcome};
use slot::Slot;

/// Default preemption bound: enough for the races below (each needs one or two), small enough
/// that all models together finish in about a second (0.6 s here; 2.7 s at 4).
const PREEMPTIONS: usize = 3;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(PREEMPTIONS);
    }
    builder.check(f);
}

/// Where each frame ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Returned by `put` (replaced, or put after the stop).
    Replaced,
    /// Returned by `stop`.
    Drained,
    /// Taken and finished before the stop: its result was delivered.
    Delivered,
    /// Taken, but the session stopped before it finished.
    FinishedAfterStop,
}

/// Records fates; every frame must get exactly one.
struct Ledger(LoomMutex<Vec<(u32, Fate)>>);

impl Ledger {
    fn new() -> Self {
        Ledger(LoomMutex::new(Vec::new()))
    }

    fn record(&self, frame: Option<u32>, fate: Fate) {
        if let Some(f) = frame {
            self.0.lock().unwrap().push((f, fate));
        }
    }

    fn fates(&self) -> BTreeMap<u32, Vec<Fate>> {
        let mut out: BTreeMap<u32, Vec<Fate>> = BTreeMap::new();
        for &(f, fate) in self.0.lock().unwrap().iter() {
            out.entry(f).or_default().push(fate);
        }
        out
    }
}

/// The worker's loop, bounded: `rounds` attempts to take a frame.
fn worker(mb: &Mailbox<u32>, ledger: &Ledger, stop_returned: &LoomBool, rounds: usize) {
    for _ in 0..rounds {
        if mb.is_stopped() {
            return;
        }
        let stop_was_done = stop_returned.load(LoomOrdering::SeqCst);
        let taken = mb.take();
        // A frame is never taken once `stop` has returned: none is left in the slot, none gets in.
        assert!(!(stop_was_done && taken.is_some()), "frame {taken:?} taken after stop returned");
        match taken {
            Some(f) => {
                let delivered = mb.finish(Outcome::Labelled);
                // Stands for the result callback: after `finish` counted the frame, before `done`.
                ledger.record(Some(f), if delivered { Fate::Delivered } else { Fate::FinishedAfterStop });
                mb.done();
            }
            None => thread::yield_now(),
        }
    }
}

#[test]
fn loom_models_mailbox_push_take_stop_accounts_every_frame_once() {
    model(|| {
        let mb = Arc::new(Mailbox::<u32>::new());
        let ledger = Arc::new(Ledger::new());
        let stop_returned = Arc::new(LoomBool::new(false));
        let camera = {
            let (mb, ledger) = (mb.clone(), ledger.clone());
            thread::spawn(move || {
                for f in [1, 2] {
                    ledger.record(mb.put(f), Fate::Replaced);
                }
            })
        };
        let work = {
            let (mb, ledger, stop_returned) = (mb.clone(), ledger.clone(), stop_returned.clone());
            thread::spawn(move || worker(&mb, &ledger, &stop_returned, 2))
        };
        // The app stops the session while frames flow.
        ledger.record(mb.stop(), Fate::Drained);
        stop_returned.store(true, LoomOrdering::SeqCst);
        // A push after the stop is dropped at once.
        assert_eq!(mb.put(3), Some(3), "a frame pushed after stop was kept");
        ledger.record(Some(3), Fate::Replaced);
        camera.join().unwrap();
        work.join().unwrap();

        assert!(mb.take().is_none(), "a stopped mailbox handed out a frame");
        assert!(mb.is_empty());
        let fates = ledger.fates();
        assert_eq!(fates.keys().copied().collect::<Vec<_>>(), [1, 2, 3], "a frame was lost: {fates:?}");
        assert!(fates.values().all(|f| f.len() == 1), "a frame was counted twice: {fates:?}");
        let n = |want: &[Fate]| fates.values().filter(|f| want.contains(&f[0])).count() as u64;
        let c = mb.counts();
        assert_eq!(c.frames_in, 3);
        assert_eq!(c.labelled, n(&[Fate::Delivered]), "{c:?} {fates:?}");
        assert_eq!(c.dropped, n(&[Fate::Replaced, Fate::Drained, Fate::FinishedAfterStop]), "{c:?} {fates:?}");
        assert_eq!(c.labelled + c.failed + c.dropped, c.frames_in);
        assert!(mb.is_idle());
    });
}

#[test]
fn loom_models_mailbox_idle_means_every_pushed_frame_is_done() {
    model(|| {
        let mb = Arc::new(Mailbox::<u32>::new());
        let ledger = Arc::new(Ledger::new());
        let never = Arc::new(LoomBool::new(false));
        let work = {
            let (mb, ledger, never) = (mb.clone(), ledger.clone(), never.clone());
            thread::spawn(move || worker(&mb, &ledger, &never, 2))
        };
        // The camera thread pushes two frames, then asks whether the session is idle (as
        // `wait_idle` does): if so, both frames have their fate already.
        for f in [1, 2] {
            ledger.record(mb.put(f), Fate::Replaced);
        }
        if mb.is_idle() {
            let fates = ledger.fates();
            assert!(fates.contains_key(&1) && fates.contains_key(&2), "idle with a frame in flight: {fates:?}");
            let c = mb.counts();
            assert_eq!(c.labelled + c.failed + c.dropped, c.frames_in, "{c:?}");
        }
        work.join().unwrap();
        // The worker may have given up before the last frame (bounded rounds): then it waits.
        let c = mb.counts();
        assert_eq!(mb.is_idle(), mb.is_empty(), "{c:?}");
        if mb.is_empty() {
            assert_eq!(c.labelled + c.failed + c.dropped, 2, "{c:?}");
        }
        assert!(ledger.fates().values().all(|f| f.len() == 1));
    });
}

#[test]
fn loom_models_mailbox_outcomes_after_a_failed_frame() {
    // A failed frame counts as failed, and a frame finished after the stop as dropped, whatever
    // its outcome.
    model(|| {
        let mb = Arc::new(Mailbox::<u32>::new());
        assert_eq!(mb.put(1), None);
        let taken = mb.take();
        assert_eq!(taken, Some(1));
        let stopper = {
            let mb = mb.clone();
            thread::spawn(move || {
                let _ = mb.stop();
            })
        };
        let delivered = mb.finish(Outcome::Failed);
        assert!(!mb.is_idle(), "idle before the failed frame's callback returned");
        mb.done();
        stopper.join().unwrap();
        let c = mb.counts();
        if delivered {
            assert_eq!((c.failed, c.dropped), (1, 0), "{c:?}");
        } else {
            assert_eq!((c.failed, c.dropped), (0, 1), "{c:?}");
        }
        assert_eq!(c.labelled + c.failed + c.dropped, c.frames_in);
    });
}

/// A pack in the model: `rows` must all equal `version` (a torn pack would mix them), and
/// `freed` is raised when the pack is dropped.
struct Pack {
    version: u32,
    rows: [u32; 2],
    freed: loom::sync::Arc<LoomBool>,
}

impl Drop for Pack {
    fn drop(&mut self) {
        self.freed.store(true, LoomOrdering::SeqCst);
    }
}

fn pack(version: u32) -> (Arc<Pack>, loom::sync::Arc<LoomBool>) {
    let freed = loom::sync::Arc::new(LoomBool::new(false));
    (Arc::new(Pack { version, rows: [version; 2], freed: freed.clone() }), freed)
}

/// Labels one frame with a snapshot: the version it saw, after checking the pack is whole.
fn label(slot: &Slot<Pack>) -> u32 {
    let p = slot.load();
    assert!(p.rows.iter().all(|&r| r == p.version), "torn pack: version {} rows {:?}", p.version, p.rows);
    assert!(!p.freed.load(LoomOrdering::SeqCst), "labelled with a freed pack");
    p.version
}

#[test]
fn loom_models_pack_swap_during_labelling() {
    model(|| {
        let (old, old_freed) = pack(1);
        let (new, new_freed) = pack(2);
        let slot = Arc::new(Slot::new(old));
        let labeller = {
            let slot = slot.clone();
            thread::spawn(move || {
                let first = label(&slot);
                let second = label(&slot);
                // Frames are labelled in order: once the new pack is seen, the old never again.
                assert!(first <= second, "pack went back from {first} to {second}");
                (first, second)
            })
        };
        // A frame in progress on the old pack while the swap happens keeps it alive.
        let in_progress = slot.load();
        let previous = slot.swap(new);
        assert_eq!(previous.version, 1);
        drop(previous);
        assert!(!old_freed.load(LoomOrdering::SeqCst), "the old pack was freed while a frame used it");
        assert_eq!(in_progress.version, 1);
        drop(in_progress);
        // The swap takes effect for the next frame.
        assert_eq!(label(&slot), 2);
        let (first, second) = labeller.join().unwrap();
        assert!([1, 2].contains(&first) && [1, 2].contains(&second));
        // No frame uses the old pack any more: it is freed; the new one is not.
        assert!(old_freed.load(LoomOrdering::SeqCst), "the old pack outlived its last frame");
        assert!(!new_freed.load(LoomOrdering::SeqCst));
        drop(slot);
        assert!(new_freed.load(LoomOrdering::SeqCst));
    });
}

#[test]
fn loom_models_two_swaps_race() {
    // Two threads swap at once (an app swapping from two places): each gets back a distinct
    // previous pack, the one left in the slot is one of theirs, and every replaced pack is freed.
    model(|| {
        let (p1, f1) = pack(1);
        let (p2, f2) = pack(2);
        let (p3, f3) = pack(3);
        let slot = Arc::new(Slot::new(p1));
        let other = {
            let slot = slot.clone();
            thread::spawn(move || slot.swap(p2).version)
        };
        let mine = slot.swap(p3).version;
        let theirs = other.join().unwrap();
        let current = label(&slot);
        let mut versions = [mine, theirs, current];
        versions.sort_unstable();
        assert_eq!(versions, [1, 2, 3], "a pack was lost or duplicated: {mine} {theirs} {current}");
        assert!(f1.load(LoomOrdering::SeqCst));
        assert_eq!(f2.load(LoomOrdering::SeqCst), current != 2);
        assert_eq!(f3.load(LoomOrdering::SeqCst), current != 3);
    });
}
