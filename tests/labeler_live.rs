//! The on-device side: `Labeler` (thresholds, probabilities, parents, model check, hot swap under
//! load) and `LiveLabeler` (latest-wins mailbox, results with timestamps, swap while running).

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use pelabel::{
    compile_label_set, decode_image_file, CompileOptions, Error, Image8, LabelOptions, LabelOutcome, LabelPack,
    LabelSet, Labeler, LabelerOptions, LiveInput, LiveLabeler, LiveOptions, LiveResult, ModelFiles, PackLabelSet,
    PackMeta, PeCore, Towers, LIVE_STOP_WAIT,
};
use pelabel_tests::fixtures_dir;

fn tiny_files() -> ModelFiles {
    ModelFiles::discover(&fixtures_dir().join("tiny"), None).unwrap()
}

fn pack(name: &str, ids: &[&str]) -> LabelPack {
    let mut text = format!("name = \"{name}\"\nversion = \"1.0.0\"\n");
    for (i, id) in ids.iter().enumerate() {
        let parent = if i > 0 { format!("parent = \"{}\"\n", ids[0]) } else { String::new() };
        text.push_str(&format!("[[labels]]\nid = \"{id}\"\nname = \"{id} thing\"\n{parent}"));
    }
    let set = LabelSet::from_toml_str(&text, &PathBuf::from("t.toml")).unwrap();
    let model = PeCore::open(&fixtures_dir().join("tiny"), Towers::Text).unwrap();
    compile_label_set(&set, &model, &CompileOptions::default()).unwrap().0
}

fn image(i: usize) -> Image8 {
    let names = [
        "img0_gradient_shapes_500x375.png",
        "img1_noise_300x300.png",
        "img2_stripes_64x200.png",
        "img3_gray_checker_120x90.png",
    ];
    decode_image_file(&fixtures_dir().join("images").join(names[i % 4])).unwrap()
}

#[test]
fn labels_with_probabilities_thresholds_and_parents() {
    let ids = ["animal", "cat", "dog", "car", "tree", "cup"];
    let labeler = Labeler::new(&tiny_files(), pack("a", &ids), &LabelerOptions::default()).unwrap();
    let img = image(0);
    let all = labeler.label_image(&img, &LabelOptions { top_k: 10, ..Default::default() }).unwrap();
    let labels = all.labels();
    assert_eq!(labels.len(), ids.len());
    let total: f32 = labels.iter().map(|l| l.probability).sum();
    assert!((total - 1.0).abs() < 1e-4, "probabilities sum to {total}");
    assert!(labels.windows(2).all(|w| w[0].score >= w[1].score), "best first");
    for l in labels {
        assert!((-1.0..=1.0).contains(&l.score));
        if l.id != "animal" {
            assert_eq!(l.parents[0].id, "animal");
        }
    }
    // top_k.
    let top2 = labeler.label_image(&img, &LabelOptions { top_k: 2, ..Default::default() }).unwrap();
    assert_eq!(top2.labels(), &labels[..2]);
    // A global threshold above every score: explicitly nothing recognised, with the best anyway.
    let none = labeler.label_image(&img, &LabelOptions { min_score: Some(1.01), ..Default::default() }).unwrap();
    match none {
        LabelOutcome::NothingRecognised { best: Some(best) } => assert_eq!(best, labels[0]),
        other => panic!("{other:?}"),
    }
    // A threshold between the best two scores keeps only the best.
    let mid = (labels[0].score + labels[1].score) / 2.0;
    let one = labeler.label_image(&img, &LabelOptions { min_score: Some(mid), ..Default::default() }).unwrap();
    assert_eq!(one.labels().len(), 1);
    // Same numbers as the model run directly.
    let model = PeCore::open(&fixtures_dir().join("tiny"), Towers::Image).unwrap();
    let px = pelabel::preprocess_image(&img, labeler.preprocess_config(), model.device()).unwrap();
    let e = pelabel::l2_normalize(&model.encode_image(&px.unsqueeze(0).unwrap()).unwrap()).unwrap();
    let e = e.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let direct = labeler.label_embedding(&e, &LabelOptions { top_k: 10, ..Default::default() }).unwrap();
    assert_eq!(direct, all);
}

#[test]
fn per_label_thresholds_apply() {
    let p = pack("a", &["x", "y", "z"]);
    let mut meta: PackMeta = p.meta().clone();
    let labeler = Labeler::new(&tiny_files(), p, &LabelerOptions { threads: Some(1) }).unwrap();
    let img = image(1);
    let all = labeler.label_image(&img, &LabelOptions::default()).unwrap();
    let best = all.labels()[0].clone();
    // Raise the best label's own threshold above its score: it is skipped, the next one stays.
    for l in &mut meta.labels {
        if l.id == best.id {
            l.min_score = Some(best.score + 0.01);
        }
    }
    let vectors = labeler.pack().index().vectors().to_vec();
    let p2 = LabelPack::new(meta, vectors, &Default::default()).unwrap();
    labeler.swap_pack(p2).unwrap();
    let out = labeler.label_image(&img, &LabelOptions::default()).unwrap();
    assert!(out.labels().iter().all(|l| l.id != best.id));
    assert_eq!(out.labels().len(), 2);
}

#[test]
fn packs_for_another_model_are_refused() {
    let p = pack("a", &["x", "y"]);
    let mut meta = p.meta().clone();
    meta.model_fingerprint = "f".repeat(64);
    meta.label_set = PackLabelSet { name: "other".into(), version: "1.0.0".into(), description: None };
    let foreign = LabelPack::new(meta, p.index().vectors().to_vec(), &Default::default()).unwrap();
    let err = Labeler::new(&tiny_files(), foreign, &LabelerOptions::default()).unwrap_err();
    assert!(matches!(err, Error::ModelMismatch { .. }), "{err:?}");
    // And a swap to it is refused, keeping the old pack.
    let labeler = Labeler::new(&tiny_files(), p, &LabelerOptions::default()).unwrap();
    let mut meta = labeler.pack().meta().clone();
    meta.model_fingerprint = "e".repeat(64);
    let foreign = LabelPack::new(meta, labeler.pack().index().vectors().to_vec(), &Default::default()).unwrap();
    assert!(matches!(labeler.swap_pack(foreign), Err(Error::ModelMismatch { .. })));
    assert_eq!(labeler.pack().meta().label_set.name, "a");
}

#[test]
fn hot_swap_under_load_never_mixes_packs() {
    let a = pack("a", &["a1", "a2", "a3"]);
    let b = pack("b", &["b1", "b2", "b3", "b4"]);
    let labeler = Arc::new(Labeler::new(&tiny_files(), a, &LabelerOptions::default()).unwrap());
    let (a_bytes, b_bytes) =
        (labeler.pack().to_bytes(&Default::default()).unwrap(), b.to_bytes(&Default::default()).unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for t in 0..3 {
        let (labeler, stop) = (labeler.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let img = image(t);
            let mut seen = [0usize; 2];
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 5 {
                let out = labeler.label_image(&img, &LabelOptions { top_k: 10, ..Default::default() }).unwrap();
                let ids: Vec<&str> = out.labels().iter().map(|l| l.id.as_str()).collect();
                let first = ids[0].as_bytes()[0];
                assert!(ids.iter().all(|id| id.as_bytes()[0] == first), "mixed packs: {ids:?}");
                assert_eq!(ids.len(), if first == b'a' { 3 } else { 4 }, "whole pack: {ids:?}");
                seen[usize::from(first == b'b')] += 1;
                n += 1;
            }
            seen
        }));
    }
    for i in 0..40 {
        let bytes = if i % 2 == 0 { &b_bytes } else { &a_bytes };
        labeler.swap_pack(LabelPack::from_bytes(bytes, &Default::default()).unwrap()).unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = [0usize; 2];
    for w in workers {
        let s = w.join().expect("a labeling thread failed");
        total[0] += s[0];
        total[1] += s[1];
    }
    assert!(total[0] + total[1] >= 15);
}

#[test]
fn live_mode_keeps_the_newest_frame_and_reports_timestamps() {
    let labeler =
        Arc::new(Labeler::new(&tiny_files(), pack("a", &["x", "y", "z"]), &LabelerOptions::default()).unwrap());
    let results = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let live = {
        let (r, e) = (results.clone(), errors.clone());
        LiveLabeler::start(
            labeler.clone(),
            LiveOptions { enter_score: -1.0, ..Default::default() },
            Box::new(move |res| r.lock().unwrap().push(res)),
            Box::new(move |ts, err| e.lock().unwrap().push((ts, err.to_string()))),
        )
        .unwrap()
    };
    // A burst far faster than the worker: most frames are dropped, never queued.
    let frames: Vec<Image8> = (0..4).map(image).collect();
    for i in 0..200u64 {
        live.push(LiveInput::Image(frames[(i % 4) as usize].clone()), i * 33);
    }
    assert!(live.wait_idle(Duration::from_secs(60)));
    let stats = live.stats();
    assert_eq!(stats.frames_in, 200);
    assert_eq!(stats.labelled + stats.dropped + stats.failed, 200);
    assert!(stats.dropped > 100, "{stats:?}");
    assert_eq!(stats.failed, 0);
    {
        let r = results.lock().unwrap();
        assert_eq!(r.len() as u64, stats.labelled);
        assert_eq!(r.last().unwrap().timestamp_ms, 199 * 33, "the newest frame is always labelled");
        assert!(r.windows(2).all(|w| w[0].timestamp_ms < w[1].timestamp_ms));
        assert!(r.iter().all(|x| x.latency_ms >= 0.0 && !x.labels.is_empty()));
        assert!(stats.latency_p95_ms >= stats.latency_p50_ms && stats.latency_p50_ms > 0.0);
    }

    // A bad frame reports an error and the session continues.
    live.push(
        LiveInput::Pixels(pelabel::Tensor::zeros((3, 2, 2), candle_core::DType::F32, &pelabel::Device::Cpu).unwrap()),
        10_000,
    );
    assert!(live.wait_idle(Duration::from_secs(30)));
    assert_eq!(errors.lock().unwrap().len(), 1);
    assert_eq!(errors.lock().unwrap()[0].0, 10_000);

    // Hot swap while running: later results come from the new pack.
    labeler.swap_pack(pack("b", &["p", "q"])).unwrap();
    for i in 0..5u64 {
        live.push(LiveInput::Image(frames[0].clone()), 20_000 + i * 33);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(live.wait_idle(Duration::from_secs(30)));
    let r = results.lock().unwrap();
    let last = r.last().unwrap();
    assert_eq!(last.pack.0, "b");
    assert!(last.labels.iter().all(|l| l.id == "p" || l.id == "q"));
    drop(r);
    let final_stats = live.stop();
    assert_eq!(final_stats.failed, 1);
}

/// Sends on a channel when dropped. Put into a callback, it reports when the worker thread, which
/// owns the callbacks, has exited.
struct OnDrop(mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// A session whose results go to `on_result`; the receiver hears when the worker thread exits.
fn session_with(on_result: impl Fn(LiveResult) + Send + Sync + 'static) -> (LiveLabeler, mpsc::Receiver<()>) {
    let labeler = Arc::new(Labeler::new(&tiny_files(), pack("a", &["x", "y"]), &LabelerOptions::default()).unwrap());
    let (exit_tx, exited) = mpsc::channel();
    let exit = OnDrop(exit_tx);
    let live = LiveLabeler::start(
        labeler,
        LiveOptions { enter_score: -1.0, ..Default::default() },
        Box::new(on_result),
        Box::new(move |_, e| {
            let _owned_by_the_worker = &exit;
            panic!("{e}")
        }),
    )
    .unwrap();
    (live, exited)
}

#[test]
fn a_listener_can_stop_the_session_it_is_called_from() {
    // Joining the worker from itself panics in std ("Resource deadlock avoided"); stop() called
    // in a callback must instead return, and the worker exit once the callback returns.
    let slot: Arc<Mutex<Option<LiveLabeler>>> = Arc::new(Mutex::new(None));
    let (stopped_tx, stopped) = mpsc::channel();
    let (live, exited) = {
        let slot = slot.clone();
        session_with(move |_| {
            let live = slot.lock().unwrap().take();
            if let Some(live) = live {
                stopped_tx.send(live.stop()).unwrap();
            }
        })
    };
    let mut guard = slot.lock().unwrap();
    guard.insert(live).push(LiveInput::Image(image(0)), 0);
    drop(guard);
    let stats = stopped.recv_timeout(Duration::from_secs(60)).expect("stop() in a callback panicked or blocked");
    assert_eq!((stats.frames_in, stats.labelled), (1, 1), "{stats:?}");
    exited.recv_timeout(Duration::from_secs(10)).expect("the worker did not exit after the callback that stopped it");
}

#[test]
fn a_listener_can_drop_the_last_handle_of_its_session() {
    let slot: Arc<Mutex<Option<LiveLabeler>>> = Arc::new(Mutex::new(None));
    let (dropped_tx, dropped) = mpsc::channel();
    let (live, exited) = {
        let slot = slot.clone();
        session_with(move |_| {
            let live = slot.lock().unwrap().take();
            if live.is_some() {
                drop(live);
                dropped_tx.send(()).unwrap();
            }
        })
    };
    let mut guard = slot.lock().unwrap();
    guard.insert(live).push(LiveInput::Image(image(1)), 0);
    drop(guard);
    dropped.recv_timeout(Duration::from_secs(60)).expect("dropping the session in a callback panicked or blocked");
    exited.recv_timeout(Duration::from_secs(10)).expect("the worker did not exit after the callback that dropped it");
}

#[test]
fn stop_returns_when_a_listener_waits_on_the_stopping_thread() {
    // The listener waits for the thread that is stopping the session (as a Swift listener doing
    // `DispatchQueue.main.sync` while the main thread calls stop). stop() waits LIVE_STOP_WAIT,
    // detaches the worker and returns; the worker exits once the listener is released.
    let gate = Arc::new(Mutex::new(()));
    let (entered_tx, entered) = mpsc::channel();
    let (live, exited) = {
        let gate = gate.clone();
        session_with(move |_| {
            entered_tx.send(()).unwrap();
            drop(gate.lock().unwrap());
        })
    };
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let held = gate.lock().unwrap();
        live.push(LiveInput::Image(image(2)), 0);
        entered.recv_timeout(Duration::from_secs(60)).expect("no result");
        let started = Instant::now();
        let stats = live.stop();
        let took = started.elapsed();
        drop(held);
        done_tx.send((stats, took)).unwrap();
    });
    let (stats, took) = done.recv_timeout(Duration::from_secs(90)).expect("stop() blocked on the waiting listener");
    assert!(took >= LIVE_STOP_WAIT && took < LIVE_STOP_WAIT + Duration::from_secs(5), "stop took {took:?}");
    assert_eq!(stats.labelled, 1, "{stats:?}");
    exited.recv_timeout(Duration::from_secs(10)).expect("the detached worker did not exit once its callback returned");
}

#[test]
fn live_mode_takes_raw_camera_frames() {
    use pelabel::{Orientation, OwnedFrame, PixelFormat, YuvMatrix, YuvRange};
    let labeler =
        Arc::new(Labeler::new(&tiny_files(), pack("a", &["x", "y", "z"]), &LabelerOptions::default()).unwrap());
    // The same picture as an RGB image and as a padded BGRA buffer: the same labels.
    let img = image(0);
    let (w, h) = (img.width(), img.height());
    let stride = w as usize * 4 + 64;
    let mut bgra = vec![0u8; stride * h as usize];
    for y in 0..h as usize {
        for x in 0..w as usize {
            let s = &img.as_raw()[(y * w as usize + x) * 3..][..3];
            bgra[y * stride + x * 4..][..4].copy_from_slice(&[s[2], s[1], s[0], 255]);
        }
    }
    let want = labeler.label_image(&img, &LabelOptions { top_k: 3, ..Default::default() }).unwrap();
    let results = Arc::new(Mutex::new(Vec::new()));
    let live = {
        let r = results.clone();
        LiveLabeler::start(
            labeler.clone(),
            LiveOptions { enter_score: -1.0, half_life_ms: 0.0, top_k: 3, ..Default::default() },
            Box::new(move |res| r.lock().unwrap().push(res)),
            Box::new(|_, e| panic!("{e}")),
        )
        .unwrap()
    };
    let frame = OwnedFrame::packed(PixelFormat::Bgra8, bgra.clone(), w, h, stride).unwrap();
    live.push(LiveInput::Frame(frame), 0);
    assert!(live.wait_idle(Duration::from_secs(30)));
    let got: Vec<String> = results.lock().unwrap()[0].labels.iter().map(|l| l.id.clone()).collect();
    let want: Vec<String> = want.labels().iter().map(|l| l.id.clone()).collect();
    assert_eq!(got, want);
    // Rotated and NV12 frames are accepted too.
    let rotated =
        OwnedFrame::packed(PixelFormat::Bgra8, bgra, w, h, stride).unwrap().with_orientation(Orientation::Right, true);
    live.push(LiveInput::Frame(rotated), 33);
    let (yw, yh) = (64u32, 48u32);
    let nv12 =
        OwnedFrame::nv12(vec![128; 64 * 48], 64, vec![128; 64 * 24], 64, yw, yh, YuvRange::Full, YuvMatrix::Bt601)
            .unwrap();
    live.push(LiveInput::Frame(nv12), 66);
    assert!(live.wait_idle(Duration::from_secs(30)));
    assert_eq!(live.stats().failed, 0);
    // Buffers that do not add up are refused when the frame is built, before the worker sees them.
    assert!(OwnedFrame::packed(PixelFormat::Bgra8, vec![0; 100], 10, 10, 40).is_err());
    assert!(OwnedFrame::packed(PixelFormat::Bgra8, vec![0; 400], 10, 10, 39).is_err());
    assert!(OwnedFrame::nv12(vec![0; 64 * 48], 64, vec![0; 10], 64, 64, 48, YuvRange::Video, YuvMatrix::Bt709).is_err());
    assert!(OwnedFrame::packed(PixelFormat::Bgra8, vec![0; 400], 10, 10, 40)
        .unwrap()
        .with_roi(pelabel::Roi::new(5, 5, 6, 1))
        .is_err());
}

#[test]
fn label_frame_matches_label_image() {
    use pelabel::{Frame, Orientation, Roi};
    let labeler = Labeler::new(&tiny_files(), pack("a", &["x", "y", "z", "w"]), &LabelerOptions::default()).unwrap();
    let img = image(1);
    let (w, h) = (img.width(), img.height());
    let stride = w as usize * 4 + 16;
    let mut rgba = vec![7u8; stride * h as usize];
    for y in 0..h as usize {
        for x in 0..w as usize {
            let s = &img.as_raw()[(y * w as usize + x) * 3..][..3];
            rgba[y * stride + x * 4..][..4].copy_from_slice(&[s[0], s[1], s[2], 255]);
        }
    }
    let opts = LabelOptions { top_k: 4, ..Default::default() };
    let want = labeler.label_image(&img, &opts).unwrap();
    let frame = Frame::rgba(&rgba, w, h, stride).unwrap();
    let got = labeler.label_frame(&frame, &opts).unwrap();
    let ids = |o: &LabelOutcome| o.labels().iter().map(|l| l.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&got), ids(&want));
    for (a, b) in got.labels().iter().zip(want.labels()) {
        assert!((a.score - b.score).abs() < 0.02, "{} vs {}", a.score, b.score);
    }
    // Twice (reused plans) gives the same result; an ROI and a rotation run without error.
    assert_eq!(labeler.label_frame(&frame, &opts).unwrap(), got);
    let cropped = Frame::rgba(&rgba, w, h, stride)
        .unwrap()
        .with_orientation(Orientation::Left, false)
        .with_roi(Roi::new(10, 20, 100, 150))
        .unwrap();
    assert_eq!(labeler.label_frame(&cropped, &opts).unwrap().labels().len(), 4);
}
