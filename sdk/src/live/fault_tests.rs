//! Live sessions with hostile listeners: one that blocks, one that panics, one that swaps the
//! pack or pushes from inside its callback. On the sdk's random `tiny` test model
//! (`tests/fixtures/pe-core/tiny`), one thread, so a frame takes milliseconds. Waits are bounded
//! (liveness: "returns instead of hanging"), never timed assertions.

use std::sync::mpsc;

use super::*;
use crate::{EmbeddingDType, IndexOptions, LabelPack, LabelerOptions, ModelFiles, PackLabel, PackLabelSet, PackMeta};

/// Long enough for a frame on a loaded 2-core machine; only reached when something hangs.
const LIVENESS: Duration = Duration::from_secs(60);

fn tiny() -> ModelFiles {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pe-core/tiny");
    ModelFiles::discover(&dir, None).unwrap()
}

/// A pack named `name` for the tiny model, with labels `<name>0..<name>3`.
fn pack(model: &ModelFiles, name: &str) -> LabelPack {
    let dim = model.config.embed_dim();
    let labels: Vec<PackLabel> = (0..4)
        .map(|i| PackLabel {
            id: format!("{name}{i}"),
            name: format!("{name} {i}"),
            parent: None,
            min_score: None,
            synonyms: vec![],
            prompts: vec![],
            calibration: None,
        })
        .collect();
    let vectors: Vec<f32> = (0..4 * dim).map(|i| ((i * 7 + name.len()) % 13) as f32 - 6.0).collect();
    let meta = PackMeta {
        model_fingerprint: model.fingerprint().unwrap(),
        label_set: PackLabelSet { name: name.into(), version: "1.0.0".into(), description: None },
        created_unix_s: 0,
        created_by: "test".into(),
        dim,
        embedding_dtype: EmbeddingDType::F32,
        logit_scale: None,
        labels,
    };
    LabelPack::new(meta, vectors, &IndexOptions::default()).unwrap()
}

fn labeler() -> (Arc<Labeler>, ModelFiles) {
    let model = tiny();
    let labeler = Labeler::new(&model, pack(&model, "a"), &LabelerOptions { threads: Some(1) }).unwrap();
    (Arc::new(labeler), model)
}

fn frame() -> LiveInput {
    LiveInput::Image(
        Image8::from_raw(24, 16, crate::PixelLayout::Rgb, (0..24 * 16 * 3).map(|i| (i % 251) as u8).collect()).unwrap(),
    )
}

fn bad_frame() -> LiveInput {
    LiveInput::Pixels(Tensor::zeros((3, 2, 2), candle_core::DType::F32, &crate::Device::Cpu).unwrap())
}

fn options() -> LiveOptions {
    LiveOptions { enter_score: -1.0, half_life_ms: 0.0, ..Default::default() }
}

/// Sends on a channel when dropped; owned by a callback, it tells when the worker thread (which
/// owns the callbacks) has exited.
struct OnDrop(mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn a_blocking_listener_never_blocks_push_and_stop_returns() {
    let (labeler, _) = labeler();
    let gate = Arc::new(Mutex::new(()));
    let closed = gate.lock().unwrap();
    let (entered_tx, entered) = mpsc::channel();
    let (exit_tx, exited) = mpsc::channel();
    let delivered = Arc::new(AtomicU64::new(0));
    let live = {
        let (gate, delivered, exit) = (gate.clone(), delivered.clone(), OnDrop(exit_tx));
        let entered_tx = Mutex::new(entered_tx);
        LiveLabeler::start(
            labeler,
            options(),
            Box::new(move |_| {
                let _owned_by_the_worker = &exit;
                delivered.fetch_add(1, Ordering::SeqCst);
                let _ = entered_tx.lock().unwrap().send(());
                // Blocks until the test opens the gate (an app waiting on its UI thread).
                drop(gate.lock().unwrap());
            }),
            Box::new(|_, e| panic!("{e}")),
        )
        .unwrap()
    };
    live.push(frame(), 0);
    entered.recv_timeout(LIVENESS).expect("no first result");
    // The worker is stuck in the listener. Pushes still return, and frames replace each other in
    // the one slot instead of queueing: all but the newest are dropped.
    let live = Arc::new(live);
    let (pushed_tx, pushed) = mpsc::channel();
    {
        let live = live.clone();
        std::thread::spawn(move || {
            for i in 1..=50u64 {
                live.push(frame(), i * 33);
            }
            pushed_tx.send(()).unwrap();
        });
    }
    pushed.recv_timeout(LIVENESS).expect("push blocked behind a blocked listener");
    let s = live.stats();
    assert_eq!((s.frames_in, s.labelled, s.dropped, s.failed), (51, 1, 49, 0), "{s:?}");
    assert!(!live.wait_idle(Duration::from_millis(50)), "idle with a frame waiting");
    // stop_within gives up on the blocked worker after its wait and returns; the frame waiting
    // in the slot is dropped, never labelled.
    let (stopped_tx, stopped) = mpsc::channel();
    {
        let live = live.clone();
        std::thread::spawn(move || stopped_tx.send(live.stop_within(Duration::from_millis(100))).unwrap());
    }
    let s = stopped.recv_timeout(LIVENESS).expect("stop_within hung on a blocked listener");
    assert_eq!((s.frames_in, s.labelled, s.dropped), (51, 1, 50), "{s:?}");
    live.push(frame(), 10_000);
    assert_eq!(live.stats().dropped, 51, "a push after stop is dropped at once");
    // Released, the detached worker exits without delivering anything more.
    drop(closed);
    exited.recv_timeout(LIVENESS).expect("the detached worker did not exit once its listener returned");
    assert_eq!(delivered.load(Ordering::SeqCst), 1);
    let s = live.stats();
    assert_eq!(s.labelled + s.failed + s.dropped, s.frames_in, "{s:?}");
}

#[test]
fn a_panicking_listener_does_not_end_the_session() {
    let (labeler, _) = labeler();
    let calls = Arc::new(AtomicU64::new(0));
    let live = {
        let (c1, c2) = (calls.clone(), calls.clone());
        LiveLabeler::start(
            labeler,
            options(),
            Box::new(move |r| {
                c1.fetch_add(1, Ordering::SeqCst);
                panic!("listener bug at frame {}", r.timestamp_ms)
            }),
            Box::new(move |ts, _| {
                c2.fetch_add(1, Ordering::SeqCst);
                std::panic::panic_any(ts) // not even a string payload
            }),
        )
        .unwrap()
    };
    for (i, input) in [frame(), bad_frame(), frame(), bad_frame(), frame()].into_iter().enumerate() {
        live.push(input, i as u64);
        assert!(live.wait_idle(LIVENESS), "the session stalled after a panicking callback");
    }
    let s = live.stats();
    // Every frame was labelled or failed as usual, each callback ran and panicked, and the
    // stats say so.
    assert_eq!((s.frames_in, s.labelled, s.failed, s.dropped), (5, 3, 2, 0), "{s:?}");
    assert_eq!(s.callback_panics, 5, "{s:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    // The session still stops normally.
    let s = live.stop();
    assert_eq!(s.frames_in, 5);
}

#[test]
fn a_listener_can_swap_the_pack_and_push_from_its_callback() {
    let (labeler, model) = labeler();
    let packs = [Arc::new(pack(&model, "a")), Arc::new(pack(&model, "b"))];
    let results = Arc::new(Mutex::new(Vec::new()));
    let live: Arc<Mutex<Option<Arc<LiveLabeler>>>> = Arc::new(Mutex::new(None));
    let session = {
        let (labeler, results, live) = (labeler.clone(), results.clone(), live.clone());
        LiveLabeler::start(
            labeler.clone(),
            options(),
            Box::new(move |r: LiveResult| {
                // Alternate packs: each result swaps to the other one for the next frame, and
                // the first few results push the next frame themselves (re-entrant push).
                let next = usize::from(r.pack.0 == "a");
                labeler.swap_pack(packs[next].clone()).unwrap();
                let mut results = results.lock().unwrap();
                results.push(r.pack.0.clone());
                if results.len() < 6 {
                    let live = live.lock().unwrap().clone();
                    if let Some(live) = live {
                        live.push(frame(), results.len() as u64);
                    }
                }
            }),
            Box::new(|_, e| panic!("{e}")),
        )
        .unwrap()
    };
    let session = Arc::new(session);
    *live.lock().unwrap() = Some(session.clone());
    session.push(frame(), 0);
    // Six results arrive without a deadlock (the callback swaps and pushes on the worker thread).
    let deadline = Instant::now() + LIVENESS;
    while results.lock().unwrap().len() < 6 {
        assert!(Instant::now() < deadline, "the listener's swap or push deadlocked: {:?}", results.lock().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(session.wait_idle(LIVENESS));
    // Each swap took effect for the very next frame: packs alternate.
    assert_eq!(*results.lock().unwrap(), ["a", "b", "a", "b", "a", "b"]);
    let s = session.stats();
    assert_eq!((s.frames_in, s.labelled, s.dropped, s.callback_panics), (6, 6, 0, 0), "{s:?}");
    // The session is in its own listener's hands: break the cycle before stopping.
    live.lock().unwrap().take();
    let s = session.stop_within(LIVE_STOP_WAIT);
    assert_eq!(s.labelled, 6);
}

#[test]
fn the_mailbox_counts_every_frame_once() {
    // The std build of the mailbox, single-threaded (the loom models cover the races).
    let mb = Mailbox::<u32>::new();
    assert!(mb.is_idle() && mb.is_empty());
    assert_eq!(mb.put(1), None);
    assert!(!mb.is_idle());
    assert_eq!(mb.put(2), Some(1), "the newer frame replaces the waiting one");
    assert_eq!(mb.take(), Some(2));
    assert!(!mb.is_idle(), "idle while a frame is being labelled");
    assert!(mb.finish(Outcome::Labelled));
    assert!(!mb.is_idle(), "idle while the frame's callback runs");
    mb.done();
    assert!(mb.is_idle());
    assert_eq!(mb.put(3), None);
    assert_eq!(mb.take(), Some(3));
    assert!(mb.finish(Outcome::Failed));
    mb.done();
    assert_eq!(mb.put(4), None);
    assert_eq!(mb.stop(), Some(4), "stop drains the waiting frame");
    assert_eq!(mb.put(5), Some(5), "a frame after stop is refused");
    assert_eq!(mb.take(), None);
    assert!(mb.stop().is_none(), "a second stop is a no-op");
    let c = mb.counts();
    assert_eq!((c.frames_in, c.labelled, c.failed, c.dropped), (5, 1, 1, 3));
    assert!(mb.is_idle());
}
