//! Live mode: label a camera stream on a worker thread, without ever blocking the camera thread,
//! with temporal smoothing and hysteresis so labels neither flicker nor linger.
//!
//! The camera thread calls [`LiveLabeler::push`]: the frame goes into a one-slot mailbox (latest
//! wins; a frame still waiting there is dropped and counted), under a lock held only to move the
//! frame in (never while labelling), and the worker is woken with `Thread::unpark`, which never
//! blocks. The mailbox, the stop flag and the counters are `live/mailbox.rs`, checked with loom. The worker preprocesses, runs the image
//! tower, scores against one snapshot of the current pack, updates the smoother and hands a
//! [`LiveResult`] to the callback.
//!
//! Smoothing: each label's cosine score is an exponential moving average over frame time with a
//! half-life in milliseconds, `s ← s + α (x − s)` with `α = 1 − 2^(−Δt / half_life)`. A label
//! enters the visible set when its smoothed score reaches `enter_score` (or its own `min_score`
//! from the pack, whichever is higher) and leaves only when it falls below that threshold minus
//! `exit_margin`: the gap is the hysteresis.
//!
//! Stopping ([`LiveLabeler::stop`], [`LiveLabeler::stop_within`], or dropping the session) never
//! deadlocks and never panics. It raises a flag the worker checks between frames and before each
//! callback, then waits a bounded time ([`LIVE_STOP_WAIT`] for `stop` and drop) for the worker
//! to exit. Called on the worker thread itself (from a result or error callback: the listener
//! stops the session or drops its last handle), it does not wait at all: the worker exits as soon
//! as that callback returns. When the wait runs out (a callback blocked, e.g. waiting on the very
//! thread that is stopping) the worker is detached: it exits on its own once the callback returns.
//! Either way the worker labels no further frame, and a frame being labelled when the flag rises
//! is finished without delivering its result (it counts as dropped). So when `stop` returns, no
//! callback is running unless it returned early (called from that callback, or detached).
//!
//! Callbacks are the app's code and may misbehave. One that blocks holds up only the worker:
//! `push` still returns at once (newer frames replace the waiting one, counted as dropped) and
//! `stop_within` returns after its wait. One that panics is caught on the worker thread and
//! counted in [`LiveStats::callback_panics`]; its frame keeps its count (`labelled` or
//! `failed`) and the session labels the next frame. A callback may call `stop`, drop the
//! session, `push` or [`Labeler::swap_pack`]: no lock is held while it runs, and a swap takes
//! effect from the next frame on.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use serde::Serialize;

#[cfg(test)]
mod fault_tests;
mod mailbox;
/// The sync primitives of [`mailbox`]; the loom models compile it against `loom::sync` instead.
mod sync {
    pub(super) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    pub(super) use std::sync::{Mutex, MutexGuard, PoisonError};
}
use mailbox::{Mailbox, Outcome};

use crate::labeler::{LabelRef, Labeler};
use crate::preprocess::{
    preprocess_image, Frame, FramePreprocessor, Image8, Orientation, PixelFormat, Roi, YuvMatrix, YuvRange,
};
use crate::{Result, Tensor};

/// What the camera hands over.
#[derive(Debug)]
pub enum LiveInput {
    /// A decoded image in any size (preprocessed on the worker).
    Image(Image8),
    /// Preprocessed pixels `[3, S, S]`.
    Pixels(Tensor),
    /// A raw camera frame (converted, oriented and resized on the worker).
    Frame(OwnedFrame),
}

#[derive(Debug, Clone)]
enum OwnedPlanes {
    Packed { data: Vec<u8>, bytes_per_row: usize },
    Nv12 { y: Vec<u8>, y_bytes_per_row: usize, uv: Vec<u8>, uv_bytes_per_row: usize },
}

/// A camera frame whose bytes the session owns: the camera's buffer is copied once, so the camera
/// can recycle it at once. Built like [`Frame`] and validated the same way on construction.
#[derive(Debug, Clone)]
pub struct OwnedFrame {
    format: PixelFormat,
    width: u32,
    height: u32,
    planes: OwnedPlanes,
    orientation: Orientation,
    mirrored: bool,
    roi: Option<Roi>,
}

impl OwnedFrame {
    /// A packed 4-byte (BGRA8 / RGBA8) or 3-byte (RGB8) frame; see [`Frame::bgra`].
    pub fn packed(format: PixelFormat, data: Vec<u8>, width: u32, height: u32, bytes_per_row: usize) -> Result<Self> {
        let owned = Self {
            format,
            width,
            height,
            planes: OwnedPlanes::Packed { data, bytes_per_row },
            orientation: Orientation::Up,
            mirrored: false,
            roi: None,
        };
        owned.as_frame()?;
        Ok(owned)
    }

    /// An NV12 frame; see [`Frame::nv12`].
    #[allow(clippy::too_many_arguments)]
    pub fn nv12(
        y: Vec<u8>,
        y_bytes_per_row: usize,
        uv: Vec<u8>,
        uv_bytes_per_row: usize,
        width: u32,
        height: u32,
        range: YuvRange,
        matrix: YuvMatrix,
    ) -> Result<Self> {
        let owned = Self {
            format: PixelFormat::Nv12 { range, matrix },
            width,
            height,
            planes: OwnedPlanes::Nv12 { y, y_bytes_per_row, uv, uv_bytes_per_row },
            orientation: Orientation::Up,
            mirrored: false,
            roi: None,
        };
        owned.as_frame()?;
        Ok(owned)
    }

    /// See [`Frame::with_orientation`].
    pub fn with_orientation(mut self, orientation: Orientation, mirrored: bool) -> Self {
        self.orientation = orientation;
        self.mirrored = mirrored;
        self
    }

    /// See [`Frame::with_roi`] (buffer coordinates).
    pub fn with_roi(mut self, roi: Roi) -> Result<Self> {
        self.roi = Some(roi);
        self.as_frame()?;
        Ok(self)
    }

    /// The borrowed view the preprocessing works on.
    pub fn as_frame(&self) -> Result<Frame<'_>> {
        let frame = match (&self.planes, self.format) {
            (OwnedPlanes::Packed { data, bytes_per_row }, PixelFormat::Bgra8) => {
                Frame::bgra(data, self.width, self.height, *bytes_per_row)?
            }
            (OwnedPlanes::Packed { data, bytes_per_row }, PixelFormat::Rgba8) => {
                Frame::rgba(data, self.width, self.height, *bytes_per_row)?
            }
            (OwnedPlanes::Packed { data, bytes_per_row }, PixelFormat::Rgb8) => {
                Frame::rgb(data, self.width, self.height, *bytes_per_row)?
            }
            (OwnedPlanes::Nv12 { y, y_bytes_per_row, uv, uv_bytes_per_row }, PixelFormat::Nv12 { range, matrix }) => {
                Frame::nv12(y, *y_bytes_per_row, uv, *uv_bytes_per_row, self.width, self.height, range, matrix)?
            }
            (_, format) => {
                return Err(crate::Error::InvalidImage {
                    reason: format!("pixel format {format:?} does not match the planes given"),
                })
            }
        };
        let frame = frame.with_orientation(self.orientation, self.mirrored);
        match self.roi {
            Some(roi) => frame.with_roi(roi),
            None => Ok(frame),
        }
    }
}

/// Live-mode settings.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LiveOptions {
    /// Half-life of the score smoothing, in milliseconds of frame time (0 disables smoothing).
    pub half_life_ms: f32,
    /// Smoothed cosine score at which a label appears (a label's own `min_score` may raise it).
    pub enter_score: f32,
    /// A visible label disappears when its smoothed score drops below its enter threshold minus
    /// this margin.
    pub exit_margin: f32,
    /// Labels reported per result, best first.
    pub top_k: usize,
    /// Raw candidates per frame that feed the smoother.
    pub candidates: usize,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self { half_life_ms: 250.0, enter_score: 0.2, exit_margin: 0.02, top_k: 5, candidates: 20 }
    }
}

/// One smoothed label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmoothedLabel {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Smoothed cosine score.
    pub score: f32,
    /// Smoothed probability (of each frame's calibrated probability when the pack calibrates the
    /// label, else of its softmax share; see [`crate::ScoredLabel::probability`]).
    pub probability: f32,
    /// Ancestors, nearest first.
    pub parents: Vec<LabelRef>,
}

/// The result for one labelled frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveResult {
    /// The frame's timestamp as pushed, in milliseconds.
    pub timestamp_ms: u64,
    /// Time from `push` to this result, in milliseconds.
    pub latency_ms: f64,
    /// Visible labels after smoothing and hysteresis, best first (empty: nothing recognised).
    pub labels: Vec<SmoothedLabel>,
    /// Name and version of the pack that labelled this frame.
    pub pack: (String, String),
}

/// Counters of a live session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveStats {
    /// Frames pushed.
    pub frames_in: u64,
    /// Frames labelled (results delivered).
    pub labelled: u64,
    /// Frames never labelled: replaced in the mailbox by a newer one before the worker took
    /// them, pushed after the stop, or waiting or in progress when the session stopped.
    pub dropped: u64,
    /// Frames that failed (bad frame, ...); the error went to the error callback.
    pub failed: u64,
    /// Result or error callbacks that panicked. The panic is caught on the worker thread (its
    /// message goes to the panic hook, stderr by default), the frame keeps its count in
    /// `labelled` or `failed`, and the session goes on with the next frame.
    pub callback_panics: u64,
    /// Median push-to-result latency over the last 256 results, ms.
    pub latency_p50_ms: f64,
    /// 95th percentile push-to-result latency over the last 256 results, ms.
    pub latency_p95_ms: f64,
}

struct Pending {
    input: LiveInput,
    timestamp_ms: u64,
    pushed: Instant,
}

/// Callback receiving each result on the worker thread.
pub type ResultCallback = Box<dyn Fn(LiveResult) + Send + Sync>;
/// Callback receiving each per-frame error on the worker thread.
pub type ErrorCallback = Box<dyn Fn(u64, crate::Error) + Send + Sync>;

/// How long [`LiveLabeler::stop`] and dropping a session wait for the worker to exit before
/// detaching it: far longer than a frame takes, short enough not to freeze an app whose callback
/// waits on the thread that stops the session.
pub const LIVE_STOP_WAIT: Duration = Duration::from_secs(2);

struct Shared {
    /// The frame slot, the stop flag and the counters.
    mailbox: Mailbox<Pending>,
    /// Set by the worker thread as its very last act (also when it unwinds).
    exited: Mutex<bool>,
    exited_changed: Condvar,
    latencies: Mutex<VecDeque<f64>>,
    callback_panics: AtomicU64,
}

impl Shared {
    /// Waits until the worker has exited, at most `wait`; true when it has.
    fn wait_exited(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut exited = self.exited.lock().unwrap_or_else(|e| e.into_inner());
        while !*exited {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            exited = self.exited_changed.wait_timeout(exited, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }
}

/// Marks the worker as exited when dropped: at the end of the worker thread, even when it unwinds.
struct ExitSignal(Arc<Shared>);

impl Drop for ExitSignal {
    fn drop(&mut self) {
        *self.0.exited.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.0.exited_changed.notify_all();
    }
}

/// A running live session. Dropping it stops the worker like [`LiveLabeler::stop`] does.
pub struct LiveLabeler {
    labeler: Arc<Labeler>,
    shared: Arc<Shared>,
    /// The worker, to wake it without locking.
    thread: Thread,
    /// Taken by the first stop.
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for LiveLabeler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveLabeler").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

/// Per-label smoothing state.
#[derive(Debug, Clone)]
struct Track {
    score: f32,
    probability: f32,
    visible: bool,
}

/// The smoother: EMA over frame time plus enter/exit hysteresis.
#[derive(Debug, Default)]
pub(crate) struct Smoother {
    tracks: HashMap<String, Track>,
    last_ms: Option<u64>,
    last_floor: Option<f32>,
}

impl Smoother {
    /// Feeds one frame's candidates `(row, cosine, probability)` and returns visible labels.
    pub(crate) fn update(
        &mut self,
        state: &crate::labeler::PackState,
        candidates: &[(usize, f32, f32)],
        timestamp_ms: u64,
        options: &LiveOptions,
    ) -> Vec<SmoothedLabel> {
        let dt = self.last_ms.map(|t| timestamp_ms.saturating_sub(t)).unwrap_or(u64::MAX);
        self.last_ms = Some(timestamp_ms);
        let alpha = if options.half_life_ms <= 0.0 || dt == u64::MAX {
            1.0
        } else {
            1.0 - 0.5f32.powf(dt as f32 / options.half_life_ms)
        };
        // Labels outside this frame's candidates are not scored; treat them as at most the
        // weakest candidate's score, so they decay instead of freezing.
        let floor_score = candidates.iter().map(|c| c.1).fold(f32::INFINITY, f32::min);
        let floor_score = if floor_score.is_finite() { floor_score } else { 0.0 };
        // A label seen for the first time starts from the previous frame's floor, so a one-frame
        // spike is smoothed like any other change (on the very first frame, alpha is 1).
        let start = self.last_floor.unwrap_or(floor_score);
        self.last_floor = Some(floor_score);
        let mut seen: HashMap<&str, (f32, f32)> = HashMap::new();
        // Candidates come best first (PackState::candidates), as margins need.
        let margins = crate::labelpack::Margins::of(candidates.iter().map(|c| c.1));
        for (i, &(row, score, p)) in candidates.iter().enumerate() {
            if let Some((id, _, _, calibration)) = state.label(row) {
                // A calibrated label's probability is its own, as in `Labeler`.
                let margin = margins.at(i, score);
                seen.insert(id, (score, calibration.map_or(p, |c| c.probability(score, margin))));
            }
        }
        // Forget labels the current pack no longer has (after a hot swap).
        self.tracks.retain(|id, _| state.row(id).is_some());
        for id in seen.keys() {
            self.tracks.entry(id.to_string()).or_insert(Track { score: start, probability: 0.0, visible: false });
        }
        for (id, t) in self.tracks.iter_mut() {
            let (score, p) = seen.get(id.as_str()).copied().unwrap_or((floor_score.min(t.score), 0.0));
            t.score += alpha * (score - t.score);
            t.probability += alpha * (p - t.probability);
        }
        let mut out = Vec::new();
        for (id, t) in self.tracks.iter_mut() {
            let Some(row) = state.row(id) else { continue };
            let Some((_, name, min_score, _)) = state.label(row) else { continue };
            let enter = options.enter_score.max(min_score.unwrap_or(f32::NEG_INFINITY));
            t.visible = if t.visible { t.score >= enter - options.exit_margin } else { t.score >= enter };
            if t.visible {
                out.push(SmoothedLabel {
                    id: id.clone(),
                    name: name.to_string(),
                    score: t.score,
                    probability: t.probability,
                    parents: state.parents(row),
                });
            }
        }
        // Invisible labels that were not seen and have settled at the floor carry no information.
        self.tracks.retain(|id, t| t.visible || seen.contains_key(id.as_str()) || t.score > floor_score + 1e-3);
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        out.truncate(options.top_k);
        out
    }
}

impl LiveLabeler {
    /// Starts the worker. `on_result` and `on_error` run on the worker thread.
    ///
    /// Errors: the worker thread or its frame preprocessing could not be set up.
    pub fn start(
        labeler: Arc<Labeler>,
        options: LiveOptions,
        on_result: ResultCallback,
        on_error: ErrorCallback,
    ) -> Result<Self> {
        // Set up everything that can fail before the thread exists; resize plans and scratch
        // buffers then live across frames.
        let frames = FramePreprocessor::new(*labeler.preprocess_config())?;
        let shared = Arc::new(Shared {
            mailbox: Mailbox::new(),
            exited: Mutex::new(false),
            exited_changed: Condvar::new(),
            latencies: Mutex::new(VecDeque::with_capacity(256)),
            callback_panics: AtomicU64::new(0),
        });
        let worker = {
            let (shared, labeler) = (shared.clone(), labeler.clone());
            std::thread::Builder::new()
                .name("pelabel-live".into())
                .spawn(move || {
                    let _exit = ExitSignal(shared.clone());
                    worker_loop(&labeler, &shared, &options, frames, &on_result, &on_error)
                })
                .map_err(|e| crate::Error::Config {
                    path: None,
                    reason: format!("cannot start the live worker: {e}"),
                })?
        };
        Ok(Self { labeler, shared, thread: worker.thread().clone(), worker: Mutex::new(Some(worker)) })
    }

    /// Hands a frame to the worker; never blocks. A frame still waiting is replaced (and
    /// counted as dropped): the worker always labels the newest frame. After a stop, the frame
    /// is counted as dropped at once.
    pub fn push(&self, input: LiveInput, timestamp_ms: u64) {
        let pending = Pending { input, timestamp_ms, pushed: Instant::now() };
        // The frame nobody will label (replaced, or this one after a stop) is freed here, after
        // the mailbox's lock is released.
        let unlabelled = self.shared.mailbox.put(pending);
        self.thread.unpark();
        drop(unlabelled);
    }

    /// The labeler, e.g. to swap its pack while frames flow.
    pub fn labeler(&self) -> &Arc<Labeler> {
        &self.labeler
    }

    /// Current counters.
    pub fn stats(&self) -> LiveStats {
        let s = &self.shared;
        let mut lat: Vec<f64> = s.latencies.lock().map(|l| l.iter().copied().collect()).unwrap_or_default();
        lat.sort_by(f64::total_cmp);
        let pct = |p: f64| if lat.is_empty() { 0.0 } else { lat[((lat.len() - 1) as f64 * p).round() as usize] };
        let c = s.mailbox.counts();
        LiveStats {
            frames_in: c.frames_in,
            labelled: c.labelled,
            dropped: c.dropped,
            failed: c.failed,
            callback_panics: s.callback_panics.load(Ordering::Relaxed),
            latency_p50_ms: pct(0.5),
            latency_p95_ms: pct(0.95),
        }
    }

    /// Waits until no frame is pending and the worker is idle, up to `timeout`; true when idle.
    /// Returns at once when the session is stopped (from another thread, too).
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let mailbox = &self.shared.mailbox;
            if mailbox.is_stopped() || *self.shared.exited.lock().unwrap_or_else(|e| e.into_inner()) {
                return mailbox.is_empty();
            }
            if mailbox.is_idle() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    }

    /// Stops the session and returns the final counters: [`LiveLabeler::stop_within`] with
    /// [`LIVE_STOP_WAIT`]. Safe to call from a result or error callback.
    pub fn stop(self) -> LiveStats {
        self.stop_within(LIVE_STOP_WAIT)
    }

    /// Stops the session: the worker labels no further frame and delivers no further result;
    /// frames pushed later are counted as dropped. Waits at most `wait` for the worker thread to
    /// exit (not at all when called from a callback on the worker itself); if it has not exited
    /// by then (a callback is blocked), it is detached and exits on its own when that callback
    /// returns. Never blocks longer than `wait`, never panics; a second call only returns the
    /// counters. Returns the counters at that moment (final unless the worker was detached with
    /// a frame in progress).
    pub fn stop_within(&self, wait: Duration) -> LiveStats {
        // A frame still waiting when the session stops is never labelled: counted as dropped.
        drop(self.shared.mailbox.stop());
        let worker = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = worker {
            // On the worker thread (a callback stopping the session, or dropping its last
            // handle), joining would wait for itself: std panics with EDEADLK. The loop sees the
            // flag once the callback returns; dropping the handle detaches the thread.
            if w.thread().id() != std::thread::current().id() {
                self.thread.unpark();
                if self.shared.wait_exited(wait) {
                    // It has run its last line: this join returns at once.
                    let _ = w.join();
                }
            }
        }
        self.stats()
    }
}

impl Drop for LiveLabeler {
    fn drop(&mut self) {
        self.stop_within(LIVE_STOP_WAIT);
    }
}

fn worker_loop(
    labeler: &Labeler,
    shared: &Shared,
    options: &LiveOptions,
    mut frames: FramePreprocessor,
    on_result: &ResultCallback,
    on_error: &ErrorCallback,
) {
    let mut smoother = Smoother::default();
    while !shared.mailbox.is_stopped() {
        let Some(pending) = shared.mailbox.take() else {
            std::thread::park_timeout(Duration::from_millis(50));
            continue;
        };
        let ts = pending.timestamp_ms;
        // A panic in a callback or in inference must not kill the session silently.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            process(labeler, &mut smoother, &mut frames, pending, options)
        }));
        // Stopped while this frame was labelled: counted as dropped, and no callback may start
        // after `stop` returned.
        let counted_as = if matches!(outcome, Ok(Ok(_))) { Outcome::Labelled } else { Outcome::Failed };
        if !shared.mailbox.finish(counted_as) {
            shared.mailbox.done();
            break;
        }
        match outcome {
            Ok(Ok(result)) => {
                if let Ok(mut l) = shared.latencies.lock() {
                    if l.len() == 256 {
                        l.pop_front();
                    }
                    l.push_back(result.latency_ms);
                }
                call_back(shared, || on_result(result));
            }
            Ok(Err(e)) => call_back(shared, || on_error(ts, e)),
            Err(_) => {
                let e = crate::Error::InvalidImage { reason: "internal error while labeling this frame".into() };
                call_back(shared, || on_error(ts, e));
            }
        }
        // After the callback: `wait_idle` returns only once it has.
        shared.mailbox.done();
    }
}

/// Runs a callback of the app; a panic in it is counted and does not end the session (an app's
/// bug in one callback should not stop the camera labelling, and unwinding out of the worker
/// would end it silently).
fn call_back(shared: &Shared, callback: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(callback)).is_err() {
        shared.callback_panics.fetch_add(1, Ordering::Relaxed);
    }
}

fn process(
    labeler: &Labeler,
    smoother: &mut Smoother,
    frames: &mut FramePreprocessor,
    pending: Pending,
    options: &LiveOptions,
) -> Result<LiveResult> {
    let cfg = labeler.preprocess_config();
    let device = crate::Device::Cpu;
    let pixels = match &pending.input {
        LiveInput::Pixels(t) => t.clone(),
        LiveInput::Image(img) => preprocess_image(img, cfg, &device)?,
        LiveInput::Frame(f) => frames.preprocess(&f.as_frame()?, &device)?,
    };
    // One pack snapshot for embedding, scoring and smoothing of this frame.
    let state = labeler.pack_state();
    let embedding = labeler.embed_pixels(&pixels)?;
    let candidates =
        state.candidates(&embedding, labeler.logit_scale_for(&state), options.candidates.max(options.top_k))?;
    let labels = smoother.update(&state, &candidates, pending.timestamp_ms, options);
    let meta = state.pack.meta();
    Ok(LiveResult {
        timestamp_ms: pending.timestamp_ms,
        latency_ms: pending.pushed.elapsed().as_secs_f64() * 1e3,
        labels,
        pack: (meta.label_set.name.clone(), meta.label_set.version.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labeler::PackState;
    use crate::{EmbeddingDType, IndexOptions, LabelPack, PackLabel, PackLabelSet, PackMeta};

    fn state(ids: &[(&str, Option<&str>, Option<f32>)]) -> PackState {
        let dim = 4;
        let labels: Vec<PackLabel> = ids
            .iter()
            .map(|(id, parent, min)| PackLabel {
                id: id.to_string(),
                name: id.to_uppercase(),
                parent: parent.map(str::to_string),
                min_score: *min,
                synonyms: vec![],
                prompts: vec![],
                calibration: None,
            })
            .collect();
        let mut v = vec![0f32; ids.len() * dim];
        for i in 0..ids.len() {
            v[i * dim + i % dim] = 1.0;
        }
        let meta = PackMeta {
            model_fingerprint: "00".repeat(32),
            label_set: PackLabelSet { name: "t".into(), version: "1.0.0".into(), description: None },
            created_unix_s: 0,
            created_by: "test".into(),
            dim,
            embedding_dtype: EmbeddingDType::F32,
            logit_scale: None,
            labels,
        };
        PackState::new(LabelPack::new(meta, v, &IndexOptions::default()).unwrap())
    }

    fn opts(half_life_ms: f32) -> LiveOptions {
        LiveOptions { half_life_ms, enter_score: 0.5, exit_margin: 0.1, top_k: 5, candidates: 5 }
    }

    fn visible(out: &[SmoothedLabel]) -> Vec<&str> {
        out.iter().map(|l| l.id.as_str()).collect()
    }

    #[test]
    fn half_life_moves_halfway_per_half_life() {
        let st = state(&[("a", None, None), ("b", None, None)]);
        let mut s = Smoother::default();
        let o = opts(100.0);
        s.update(&st, &[(0, 0.8, 0.9), (1, 0.2, 0.1)], 0, &o);
        let out = s.update(&st, &[(0, 0.4, 0.5), (1, 0.2, 0.5)], 100, &o);
        assert!((out[0].score - 0.6).abs() < 1e-6, "{}", out[0].score);
        assert!((out[0].probability - 0.7).abs() < 1e-6);
        // Two half-lives: three quarters of the way.
        let out = s.update(&st, &[(0, 0.8, 0.9), (1, 0.2, 0.1)], 300, &o);
        assert!((out[0].score - (0.6 + 0.75 * 0.2)).abs() < 1e-6, "{}", out[0].score);
    }

    #[test]
    fn a_label_first_seen_in_a_spike_is_smoothed_too() {
        let st = state(&[("a", None, None), ("b", None, None)]);
        let mut s = Smoother::default();
        let o = opts(200.0);
        for t in 0..10 {
            assert!(visible(&s.update(&st, &[(0, 0.3, 0.9)], t * 33, &o)).is_empty());
        }
        // b was never a candidate; one frame at 0.9 must not show it at once.
        assert!(visible(&s.update(&st, &[(1, 0.9, 0.9), (0, 0.3, 0.1)], 330, &o)).is_empty());
        // Sustained, it appears within a few half-lives.
        let mut t = 363;
        while !visible(&s.update(&st, &[(1, 0.9, 0.9), (0, 0.3, 0.1)], t, &o)).contains(&"b") {
            t += 33;
            assert!(t < 363 + 1000, "b never appeared");
        }
    }

    #[test]
    fn hysteresis_neither_flickers_nor_lingers() {
        let st = state(&[("a", None, None), ("b", None, None)]);
        let mut s = Smoother::default();
        let o = opts(0.0); // no smoothing: test hysteresis alone
        assert!(visible(&s.update(&st, &[(0, 0.45, 0.5)], 0, &o)).is_empty(), "below enter");
        assert_eq!(visible(&s.update(&st, &[(0, 0.52, 0.5)], 33, &o)), ["a"], "enters at 0.5");
        // Noise around the enter threshold does not toggle it.
        for (i, x) in [0.48, 0.51, 0.43, 0.49, 0.41].iter().enumerate() {
            assert_eq!(visible(&s.update(&st, &[(0, *x, 0.5)], 66 + 33 * i as u64, &o)), ["a"], "x = {x}");
        }
        // Below enter − margin it leaves, and must climb back to enter to return.
        assert!(visible(&s.update(&st, &[(0, 0.39, 0.5)], 300, &o)).is_empty());
        assert!(visible(&s.update(&st, &[(0, 0.45, 0.5)], 333, &o)).is_empty());
        assert_eq!(visible(&s.update(&st, &[(0, 0.5, 0.5)], 366, &o)), ["a"]);
    }

    #[test]
    fn smoothing_suppresses_a_one_frame_blip_and_decays_absent_labels() {
        let st = state(&[("a", None, None), ("b", None, None)]);
        let mut s = Smoother::default();
        let o = opts(200.0);
        for t in 0..10 {
            s.update(&st, &[(0, 0.7, 0.9), (1, 0.1, 0.1)], t * 33, &o);
        }
        // One frame where b spikes: smoothed b stays below enter.
        let out = s.update(&st, &[(1, 0.9, 0.9), (0, 0.3, 0.1)], 330, &o);
        assert_eq!(visible(&out), ["a"]);
        // a disappears from the candidates: it decays towards the floor and eventually leaves.
        let mut t = 363;
        let mut gone_at = None;
        for _ in 0..60 {
            let out = s.update(&st, &[(1, 0.1, 0.9)], t, &o);
            if gone_at.is_none() && !visible(&out).contains(&"a") {
                gone_at = Some(t);
            }
            t += 33;
        }
        let gone_at = gone_at.expect("a never left");
        assert!(gone_at > 363 + 100, "left after {} ms: lingering too little", gone_at - 363);
        assert!(gone_at < 363 + 1500, "left after {} ms: lingering too long", gone_at - 363);
    }

    #[test]
    fn per_label_min_score_raises_the_enter_threshold_and_parents_are_reported() {
        let st = state(&[("animal", None, None), ("dog", Some("animal"), Some(0.8))]);
        let mut s = Smoother::default();
        let o = opts(0.0);
        assert!(visible(&s.update(&st, &[(1, 0.7, 0.9)], 0, &o)).is_empty(), "dog needs 0.8");
        let out = s.update(&st, &[(1, 0.85, 0.9)], 33, &o);
        assert_eq!(visible(&out), ["dog"]);
        assert_eq!(out[0].parents[0].id, "animal");
        assert_eq!(out[0].name, "DOG");
    }

    #[test]
    fn tracks_of_labels_gone_after_a_swap_are_forgotten() {
        let a = state(&[("a", None, None), ("b", None, None)]);
        let b = state(&[("c", None, None)]);
        let mut s = Smoother::default();
        let o = opts(0.0);
        assert_eq!(visible(&s.update(&a, &[(0, 0.9, 0.9)], 0, &o)), ["a"]);
        assert_eq!(visible(&s.update(&b, &[(0, 0.9, 0.9)], 33, &o)), ["c"]);
        assert!(!s.tracks.contains_key("a"));
    }
}
