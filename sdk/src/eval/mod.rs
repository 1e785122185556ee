//! Evaluation of a label pack on a labelled dataset, comparison of two packs, and calibration of
//! per-label thresholds and probabilities: what a product team checks before shipping a pack.
//!
//! Two steps, so that the expensive one can run anywhere (one machine, or the actors of a Ray
//! cluster) and the cheap one gives the same report wherever the records were made:
//! 1. [`eval_record`]: one image through the [`Labeler`] → an [`EvalRecord`]: the image's true
//!    labels, its best candidates (id, cosine score, softmax probability) and the score of each
//!    true label. Records do not depend on thresholds or calibrations, so one set of records
//!    evaluates a pack and every recalibrated version of it.
//! 2. [`EvalReport::new`]: records + pack → accuracy, per-label precision / recall / F1 at the
//!    pack's thresholds, confused pairs, precision–recall curves (JSON via serde, HTML via
//!    `EvalReport::to_html` with the `offline` feature); [`EvalComparison::new`] sets two
//!    reports of the same dataset side by side; [`calibrate`] fits thresholds and probabilities.
//!
//! The labels an app is given for an image are chosen by the [`Labeler`]'s own rule, applied to
//! the recorded candidates: in score order, the first `top_k` labels whose cosine reaches the
//! global `min_score` and the label's own threshold, and whose probability (calibrated, or
//! softmax) reaches `min_probability`.

mod calibrate;
mod dataset;
#[cfg(feature = "offline")]
mod html;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use calibrate::{
    calibrate, CalibrateOptions, CalibrationReport, CalibrationStatus, CalibrationTarget, LabelCalibration,
};
pub use dataset::{Dataset, DatasetItem, DatasetOptions};

use crate::labeler::{candidates_examined, passes};
use crate::labelpack::Margins;
use crate::{decode_image_file, Error, LabelOptions, LabelPack, Labeler, Result};

/// Candidates recorded per image at least (top-5 accuracy needs five).
const MIN_CANDIDATES: usize = 5;
/// Most candidates recorded per image.
pub const MAX_EVAL_CANDIDATES: usize = 4096;
/// Points kept of each label's precision–recall curve in a report.
const LABEL_CURVE_POINTS: usize = 24;
/// Points kept of the micro-averaged curve.
const MICRO_CURVE_POINTS: usize = 200;
/// Confused pairs listed.
const CONFUSIONS_LISTED: usize = 25;
/// Images listed per direction in a comparison (fixed / broken).
const CHANGED_IMAGES_LISTED: usize = 20;

/// Settings of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalOptions {
    /// How an app asks for labels: `top_k` (default 1: one label per image), a global
    /// `min_score` and `min_probability`; the pack's per-label thresholds apply as well.
    pub label: LabelOptions,
    /// Candidates recorded per image; raised to what the labeler examines for `label.top_k`
    /// (at least 32) and to 5. Default 0 (that minimum).
    pub candidates: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self { label: LabelOptions { top_k: 1, ..LabelOptions::default() }, candidates: 0 }
    }
}

impl EvalOptions {
    /// Candidates recorded per image.
    pub fn candidates_per_image(&self) -> usize {
        self.candidates.max(candidates_examined(self.label.top_k)).clamp(MIN_CANDIDATES, MAX_EVAL_CANDIDATES)
    }

    fn check(&self) -> Result<()> {
        let fail = |reason: String| Err(Error::Evaluation { reason });
        if self.label.top_k == 0 {
            return fail("top_k must be at least 1".into());
        }
        if let Some(m) = self.label.min_score.filter(|m| !m.is_finite()) {
            return fail(format!("min_score {m} is not finite"));
        }
        if let Some(p) = self.label.min_probability.filter(|p| !p.is_finite()) {
            return fail(format!("min_probability {p} is not finite"));
        }
        Ok(())
    }
}

/// A candidate label of one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Label id.
    pub id: String,
    /// Cosine score.
    pub score: f32,
    /// Share of the softmax over the pack (not the calibrated probability: records do not
    /// depend on a calibration).
    pub probability: f32,
}

/// The cosine score of one of an image's true labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthScore {
    /// Label id (a label of the pack).
    pub id: String,
    /// Cosine score.
    pub score: f32,
}

/// What one image gave: everything a report or a calibration needs from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    /// The image path, as in the dataset.
    pub image: String,
    /// Its true label ids.
    pub truth: Vec<String>,
    /// The best candidates, best first (empty when `error` is set).
    pub candidates: Vec<Candidate>,
    /// Scores of the true labels that the pack has.
    pub truth_scores: Vec<TruthScore>,
    /// Why the image could not be labelled (unreadable, undecodable, too large).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl EvalRecord {
    /// The record as one line of JSON (what crosses processes, e.g. from Ray actors).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A record from [`EvalRecord::to_json`]'s output.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Evaluation { reason: format!("evaluation record: {e}") })
    }

    /// Margins of the candidates over the best other one (see [`crate::Calibration`]).
    fn margins(&self) -> Margins {
        Margins::of(self.candidates.iter().map(|c| c.score))
    }
}

/// Labels one dataset image for evaluation. An image that cannot be read or decoded gives a
/// record with `error` set (an evaluation of a million photos does not stop at one bad file);
/// the report lists them.
pub fn eval_record(labeler: &Labeler, item: &DatasetItem, options: &EvalOptions) -> Result<EvalRecord> {
    options.check()?;
    let mut record = EvalRecord {
        image: item.image.display().to_string(),
        truth: item.labels.clone(),
        candidates: Vec::new(),
        truth_scores: Vec::new(),
        error: None,
    };
    let embedding = match decode_image_file(&item.image).and_then(|image| labeler.embed_image(&image)) {
        Ok(e) => e,
        Err(
            e @ (Error::Io { .. }
            | Error::ImageDecode { .. }
            | Error::InvalidImage { .. }
            | Error::LimitExceeded { .. }),
        ) => {
            record.error = Some(e.to_string());
            return Ok(record);
        }
        Err(e) => return Err(e),
    };
    // One pack snapshot for the candidates and the true labels' scores.
    let state = labeler.state();
    let scale = labeler.logit_scale_for(&state);
    for (row, score, probability) in state.candidates(&embedding, scale, options.candidates_per_image())? {
        if let Some((id, ..)) = state.label(row) {
            record.candidates.push(Candidate { id: id.to_string(), score, probability });
        }
    }
    for id in &item.labels {
        if let Some(score) = state.score_of(&embedding, id) {
            record.truth_scores.push(TruthScore { id: id.clone(), score });
        }
    }
    Ok(record)
}

/// Labels every image of a dataset, in order; `progress(done, total)` after each.
pub fn evaluate_dataset(
    labeler: &Labeler,
    dataset: &Dataset,
    options: &EvalOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Vec<EvalRecord>> {
    let total = dataset.items.len();
    let mut records = Vec::with_capacity(total);
    for (i, item) in dataset.items.iter().enumerate() {
        records.push(eval_record(labeler, item, options)?);
        if let Some(p) = progress {
            p(i + 1, total);
        }
    }
    Ok(records)
}

/// Precision, recall and F1 with their counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// False negatives.
    pub fn_: u64,
    /// tp / (tp + fp); `None` when nothing was predicted.
    pub precision: Option<f64>,
    /// tp / (tp + fn); `None` when nothing was to be found.
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall (0 when either is 0 or undefined with the other defined).
    pub f1: Option<f64>,
}

impl Prf {
    fn new(tp: u64, fp: u64, fn_: u64) -> Self {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = match (precision, recall) {
            (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
            (None, None) => None,
            _ => Some(0.0),
        };
        Self { tp, fp, fn_, precision, recall, f1 }
    }
}

/// One point of a precision–recall curve: the label (or labels) predicted at cosine ≥ `threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Cosine threshold.
    pub threshold: f32,
    /// Precision at it.
    pub precision: f64,
    /// Recall at it.
    pub recall: f64,
}

/// Metrics of one label of the pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    /// Label id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Images that show it.
    pub support: u64,
    /// Images it was given to.
    pub predicted: u64,
    /// Precision, recall, F1 at the pack's thresholds.
    pub prf: Prf,
    /// Average precision over its curve (positives never ranked count as missed).
    pub average_precision: Option<f64>,
    /// Its threshold in the pack.
    pub min_score: Option<f32>,
    /// Whether the pack calibrates its probability.
    pub calibrated: bool,
    /// Precision–recall curve (at most 24 points), thresholds descending.
    pub curve: Vec<CurvePoint>,
}

/// A pair of labels confused: `predicted` given to images showing `truth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// The true label.
    pub truth: String,
    /// The label given instead.
    pub predicted: String,
    /// Images.
    pub count: u64,
}

/// An image that could not be labelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedImage {
    /// Path.
    pub image: String,
    /// Why.
    pub error: String,
}

/// The pack a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackSummary {
    /// Label-set name.
    pub name: String,
    /// Label-set version.
    pub version: String,
    /// Model fingerprint.
    pub model_fingerprint: String,
    /// Labels.
    pub labels: usize,
    /// Labels with their own threshold.
    pub thresholded_labels: usize,
    /// Labels with a calibration.
    pub calibrated_labels: usize,
}

/// Accuracy and per-label metrics of a pack on a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The pack.
    pub pack: PackSummary,
    /// The settings.
    pub options: EvalOptions,
    /// Images in the dataset.
    pub images: u64,
    /// Images labelled (not failed).
    pub images_labelled: u64,
    /// Labelled images with no true label (they can only give false positives).
    pub images_without_labels: u64,
    /// Labelled images given no label at all.
    pub nothing_recognised: u64,
    /// Images that could not be labelled.
    pub failed: Vec<FailedImage>,
    /// True label ids the pack does not have, with their image counts (they count as missed).
    pub truth_not_in_pack: BTreeMap<String, u64>,
    /// Share of labelled images with true labels whose best candidate is one of them.
    pub top1_accuracy: Option<f64>,
    /// The same for the five best candidates.
    pub top5_accuracy: Option<f64>,
    /// Over every (image, label) pair, at the pack's thresholds.
    pub micro: Prf,
    /// Mean over labels with support of their precision (labels ever predicted), recall and F1.
    pub macro_precision: Option<f64>,
    /// See `macro_precision`.
    pub macro_recall: Option<f64>,
    /// See `macro_precision`.
    pub macro_f1: Option<f64>,
    /// Mean of the labels' average precision (labels with support).
    pub mean_average_precision: Option<f64>,
    /// Expected calibration error of each labelled image's best candidate: |probability −
    /// accuracy| over 10 equal-width probability bins, weighted by images (0: probabilities
    /// read as the chance of being right). The probability is the calibrated one where the
    /// pack calibrates the label, else the softmax share.
    pub expected_calibration_error: Option<f64>,
    /// One global threshold for every label instead of the pack's: precision and recall over
    /// all (image, label) pairs, thresholds descending (at most 200 points).
    pub micro_curve: Vec<CurvePoint>,
    /// The most confused pairs, most frequent first.
    pub confusions: Vec<Confusion>,
    /// Every label of the pack, in pack order.
    pub labels: Vec<LabelMetrics>,
}

/// The labels an app is given for one record, by [`Labeler`]'s rule.
fn predicted<'a>(record: &'a EvalRecord, pack: &PackIndex<'_>, label: &LabelOptions) -> Vec<&'a str> {
    let global = label.min_score.unwrap_or(f32::NEG_INFINITY);
    let min_p = label.min_probability.unwrap_or(0.0);
    let mut out = Vec::new();
    let margins = record.margins();
    for (i, c) in record.candidates.iter().enumerate() {
        if out.len() >= label.top_k {
            break;
        }
        let Some(l) = pack.get(&c.id) else { continue };
        let probability = l.calibration.map_or(c.probability, |cal| cal.probability(c.score, margins.at(i, c.score)));
        if passes(c.score, probability, l.min_score, global, min_p) {
            out.push(c.id.as_str());
        }
    }
    out
}

/// The pack's labels by id.
struct PackIndex<'a> {
    rows: HashMap<&'a str, &'a crate::PackLabel>,
}

impl<'a> PackIndex<'a> {
    fn new(pack: &'a LabelPack) -> Self {
        Self { rows: pack.meta().labels.iter().map(|l| (l.id.as_str(), l)).collect() }
    }
    fn get(&self, id: &str) -> Option<&&'a crate::PackLabel> {
        self.rows.get(id)
    }
}

/// Checks that records were made with this pack (every candidate is one of its labels) and
/// that some image was labelled.
fn check_records(pack: &PackIndex<'_>, records: &[EvalRecord]) -> Result<()> {
    for r in records {
        if let Some(c) = r.candidates.iter().find(|c| pack.get(&c.id).is_none()) {
            return Err(Error::Evaluation {
                reason: format!(
                    "record of {:?} has candidate {:?}, which the pack does not have: records of another pack",
                    r.image, c.id
                ),
            });
        }
        let scores = r
            .candidates
            .iter()
            .map(|c| (&c.id, c.score, c.probability))
            .chain(r.truth_scores.iter().map(|t| (&t.id, t.score, 0.0)));
        if let Some((id, ..)) = scores.into_iter().find(|(_, s, p)| !s.is_finite() || !p.is_finite()) {
            return Err(Error::Evaluation { reason: format!("record of {:?}: non-finite score for {id:?}", r.image) });
        }
    }
    if records.iter().all(|r| r.error.is_some()) {
        return Err(Error::Evaluation { reason: format!("none of the {} images could be labelled", records.len()) });
    }
    Ok(())
}

/// Precision–recall points of scored predictions `(score, correct)`, sorted here by score
/// descending; one point per distinct score; `positives` is the recall's denominator.
fn curve(mut points: Vec<(f32, bool)>, positives: u64) -> (Vec<CurvePoint>, Option<f64>) {
    points.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut ap = 0.0;
    for (i, &(score, correct)) in points.iter().enumerate() {
        if correct {
            tp += 1;
            ap += tp as f64 / (tp + fp) as f64;
        } else {
            fp += 1;
        }
        let last_of_score = points.get(i + 1).is_none_or(|next| next.0 != score);
        if last_of_score {
            let recall = if positives > 0 { tp as f64 / positives as f64 } else { 0.0 };
            out.push(CurvePoint { threshold: score, precision: tp as f64 / (tp + fp) as f64, recall });
        }
    }
    let ap = (positives > 0).then(|| ap / positives as f64);
    (out, ap)
}

/// At most `n` points of a curve, evenly spaced, keeping the first and the last.
fn thin(points: Vec<CurvePoint>, n: usize) -> Vec<CurvePoint> {
    if points.len() <= n || n < 2 {
        return points;
    }
    let last = points.len() - 1;
    (0..n).map(|i| points[i * last / (n - 1)]).collect()
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

impl EvalReport {
    /// The report as JSON (what `pelabel eval --json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The report of `pack` on records made with it (by [`eval_record`]; a calibrated version
    /// of the same pack has the same records).
    pub fn new(pack: &LabelPack, records: &[EvalRecord], options: &EvalOptions) -> Result<Self> {
        options.check()?;
        let index = PackIndex::new(pack);
        check_records(&index, records)?;
        let labels = &pack.meta().labels;
        let top_k = options.label.top_k;
        let mut support: HashMap<&str, u64> = HashMap::new();
        let mut given: HashMap<&str, u64> = HashMap::new();
        let mut hits: HashMap<&str, u64> = HashMap::new();
        let mut ranked: HashMap<&str, Vec<(f32, bool)>> = HashMap::new();
        let mut micro_points = Vec::new();
        let mut confusions: HashMap<(&str, &str), u64> = HashMap::new();
        let mut truth_not_in_pack: BTreeMap<String, u64> = BTreeMap::new();
        let (mut with_truth, mut top1, mut top5, mut nothing, mut without, mut all_truth) =
            (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
        let mut failed = Vec::new();
        // (sum of probabilities, right answers, images) per probability bin.
        let mut bins = [(0f64, 0u64, 0u64); 10];
        for r in records {
            if let Some(e) = &r.error {
                failed.push(FailedImage { image: r.image.clone(), error: e.clone() });
                continue;
            }
            let truth: HashSet<&str> = r.truth.iter().map(String::as_str).collect();
            all_truth += truth.len() as u64;
            for t in &truth {
                if index.get(t).is_some() {
                    *support.entry(t).or_default() += 1;
                } else {
                    *truth_not_in_pack.entry(t.to_string()).or_default() += 1;
                }
            }
            if truth.is_empty() {
                without += 1;
            } else {
                with_truth += 1;
                let is_true = |c: &Candidate| truth.contains(c.id.as_str());
                top1 += u64::from(r.candidates.first().is_some_and(is_true));
                if let Some(c) = r.candidates.first() {
                    let p = index
                        .get(&c.id)
                        .and_then(|l| l.calibration)
                        .map_or(c.probability, |cal| cal.probability(c.score, r.margins().at(0, c.score)));
                    let p = f64::from(p).clamp(0.0, 1.0);
                    let bin = &mut bins[((p * 10.0) as usize).min(9)];
                    *bin = (bin.0 + p, bin.1 + u64::from(is_true(c)), bin.2 + 1);
                }
                top5 += u64::from(r.candidates.iter().take(5).any(is_true));
            }
            let given_here = predicted(r, &index, &options.label);
            if given_here.is_empty() {
                nothing += 1;
            }
            for &p in &given_here {
                *given.entry(p).or_default() += 1;
                if truth.contains(p) {
                    *hits.entry(p).or_default() += 1;
                } else {
                    for &t in truth.iter().filter(|t| !given_here.contains(t)) {
                        *confusions.entry((t, p)).or_default() += 1;
                    }
                }
            }
            for c in r.candidates.iter().take(top_k) {
                let correct = truth.contains(c.id.as_str());
                ranked.entry(c.id.as_str()).or_default().push((c.score, correct));
                micro_points.push((c.score, correct));
            }
        }
        let mut label_metrics = Vec::with_capacity(labels.len());
        for l in labels {
            let id = l.id.as_str();
            let (s, g, h) = (
                support.get(id).copied().unwrap_or(0),
                given.get(id).copied().unwrap_or(0),
                hits.get(id).copied().unwrap_or(0),
            );
            let (points, ap) = curve(ranked.remove(id).unwrap_or_default(), s);
            label_metrics.push(LabelMetrics {
                id: l.id.clone(),
                name: l.name.clone(),
                support: s,
                predicted: g,
                prf: Prf::new(h, g - h, s - h),
                average_precision: ap,
                min_score: l.min_score,
                calibrated: l.calibration.is_some(),
                curve: thin(points, LABEL_CURVE_POINTS),
            });
        }
        let (tp, fp): (u64, u64) = label_metrics.iter().fold((0, 0), |(tp, fp), m| (tp + m.prf.tp, fp + m.prf.fp));
        let with_support = || label_metrics.iter().filter(|m| m.support > 0);
        let (micro_curve, _) = curve(micro_points, all_truth);
        let mut confusions: Vec<Confusion> = confusions
            .into_iter()
            .map(|((t, p), count)| Confusion { truth: t.to_string(), predicted: p.to_string(), count })
            .collect();
        confusions.sort_by(|a, b| {
            b.count.cmp(&a.count).then_with(|| (&a.truth, &a.predicted).cmp(&(&b.truth, &b.predicted)))
        });
        confusions.truncate(CONFUSIONS_LISTED);
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let meta = pack.meta();
        Ok(Self {
            pack: PackSummary {
                name: meta.label_set.name.clone(),
                version: meta.label_set.version.clone(),
                model_fingerprint: meta.model_fingerprint.clone(),
                labels: labels.len(),
                thresholded_labels: labels.iter().filter(|l| l.min_score.is_some()).count(),
                calibrated_labels: labels.iter().filter(|l| l.calibration.is_some()).count(),
            },
            options: EvalOptions { candidates: options.candidates_per_image(), ..options.clone() },
            images: records.len() as u64,
            images_labelled: (records.len() - failed.len()) as u64,
            images_without_labels: without,
            nothing_recognised: nothing,
            failed,
            truth_not_in_pack,
            top1_accuracy: ratio(top1, with_truth),
            top5_accuracy: ratio(top5, with_truth),
            micro: Prf::new(tp, fp, all_truth - tp),
            macro_precision: mean(with_support().filter_map(|m| m.prf.precision)),
            macro_recall: mean(with_support().filter_map(|m| m.prf.recall)),
            macro_f1: mean(with_support().filter_map(|m| m.prf.f1)),
            mean_average_precision: mean(with_support().filter_map(|m| m.average_precision)),
            expected_calibration_error: (with_truth > 0).then(|| {
                bins.iter().filter(|b| b.2 > 0).map(|b| (b.0 - b.1 as f64).abs()).sum::<f64>() / with_truth as f64
            }),
            micro_curve: thin(micro_curve, MICRO_CURVE_POINTS),
            confusions,
            labels: label_metrics,
        })
    }

    /// Precision of the micro curve (one global threshold) at `recall`, interpolated between
    /// its points; `None` beyond its highest recall.
    pub fn precision_at_recall(&self, recall: f64) -> Option<f64> {
        let c = &self.micro_curve;
        let i = c.iter().position(|p| p.recall >= recall)?;
        if i == 0 || c[i].recall == recall {
            return Some(c[i].precision);
        }
        let (a, b) = (c[i - 1], c[i]);
        let t = (recall - a.recall) / (b.recall - a.recall);
        Some(a.precision + t * (b.precision - a.precision))
    }
}

/// One label's metrics in two reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelChange {
    /// Label id.
    pub id: String,
    /// Images that show it (same dataset, so the same in both unless only one pack has it).
    pub support: u64,
    /// F1 with the old pack (`None`: not in it, or undefined).
    pub old_f1: Option<f64>,
    /// F1 with the new pack.
    pub new_f1: Option<f64>,
    /// new − old (a missing F1 counts as 0).
    pub delta_f1: f64,
    /// Precision with the old pack.
    pub old_precision: Option<f64>,
    /// Precision with the new pack.
    pub new_precision: Option<f64>,
    /// Recall with the old pack.
    pub old_recall: Option<f64>,
    /// Recall with the new pack.
    pub new_recall: Option<f64>,
}

/// An image whose top-1 correctness changed between two packs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedImage {
    /// Path.
    pub image: String,
    /// Its true labels.
    pub truth: Vec<String>,
    /// Best label with the old pack.
    pub old_top1: Option<String>,
    /// Best label with the new pack.
    pub new_top1: Option<String>,
}

/// Two packs on the same dataset: what changes for users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalComparison {
    /// The old pack's report.
    pub old: EvalReport,
    /// The new pack's report.
    pub new: EvalReport,
    /// Labels whose F1 rose, largest gain first.
    pub gains: Vec<LabelChange>,
    /// Labels whose F1 fell, largest loss first.
    pub losses: Vec<LabelChange>,
    /// Labels with the same F1 (and both defined or both not).
    pub unchanged: u64,
    /// Images wrong at top-1 with the old pack and right with the new one.
    pub fixed_images: u64,
    /// Images right with the old pack and wrong with the new one.
    pub broken_images: u64,
    /// Examples of fixed images (at most 20).
    pub fixed_examples: Vec<ChangedImage>,
    /// Examples of broken images (at most 20).
    pub broken_examples: Vec<ChangedImage>,
}

impl EvalComparison {
    /// Compares two packs evaluated on the same dataset: the records must be of the same images
    /// in the same order.
    pub fn new(
        old: EvalReport,
        old_records: &[EvalRecord],
        new: EvalReport,
        new_records: &[EvalRecord],
    ) -> Result<Self> {
        if old_records.len() != new_records.len()
            || old_records.iter().zip(new_records).any(|(a, b)| a.image != b.image || a.truth != b.truth)
        {
            return Err(Error::Evaluation {
                reason: "the two packs were not evaluated on the same images in the same order".into(),
            });
        }
        let old_by_id: HashMap<&str, &LabelMetrics> = old.labels.iter().map(|m| (m.id.as_str(), m)).collect();
        let new_by_id: HashMap<&str, &LabelMetrics> = new.labels.iter().map(|m| (m.id.as_str(), m)).collect();
        let mut ids: Vec<&str> = old.labels.iter().map(|m| m.id.as_str()).collect();
        ids.extend(new.labels.iter().map(|m| m.id.as_str()).filter(|id| !old_by_id.contains_key(id)));
        let (mut gains, mut losses, mut unchanged) = (Vec::new(), Vec::new(), 0);
        for id in ids {
            let (o, n) = (old_by_id.get(id), new_by_id.get(id));
            let f = |m: Option<&&LabelMetrics>, g: fn(&Prf) -> Option<f64>| m.and_then(|m| g(&m.prf));
            let change = LabelChange {
                id: id.to_string(),
                support: n.or(o).map_or(0, |m| m.support),
                old_f1: f(o, |p| p.f1),
                new_f1: f(n, |p| p.f1),
                delta_f1: f(n, |p| p.f1).unwrap_or(0.0) - f(o, |p| p.f1).unwrap_or(0.0),
                old_precision: f(o, |p| p.precision),
                new_precision: f(n, |p| p.precision),
                old_recall: f(o, |p| p.recall),
                new_recall: f(n, |p| p.recall),
            };
            if change.delta_f1 > 1e-12 {
                gains.push(change);
            } else if change.delta_f1 < -1e-12 {
                losses.push(change);
            } else {
                unchanged += 1;
            }
        }
        gains.sort_by(|a, b| b.delta_f1.total_cmp(&a.delta_f1).then_with(|| a.id.cmp(&b.id)));
        losses.sort_by(|a, b| a.delta_f1.total_cmp(&b.delta_f1).then_with(|| a.id.cmp(&b.id)));
        let (mut fixed, mut broken) = (0, 0);
        let (mut fixed_examples, mut broken_examples) = (Vec::new(), Vec::new());
        for (a, b) in old_records.iter().zip(new_records) {
            if a.error.is_some() || b.error.is_some() || a.truth.is_empty() {
                continue;
            }
            let right = |r: &EvalRecord| r.candidates.first().is_some_and(|c| r.truth.contains(&c.id));
            let (was, is) = (right(a), right(b));
            if was == is {
                continue;
            }
            let example = || ChangedImage {
                image: a.image.clone(),
                truth: a.truth.clone(),
                old_top1: a.candidates.first().map(|c| c.id.clone()),
                new_top1: b.candidates.first().map(|c| c.id.clone()),
            };
            if is {
                fixed += 1;
                if fixed_examples.len() < CHANGED_IMAGES_LISTED {
                    fixed_examples.push(example());
                }
            } else {
                broken += 1;
                if broken_examples.len() < CHANGED_IMAGES_LISTED {
                    broken_examples.push(example());
                }
            }
        }
        Ok(Self {
            old,
            new,
            gains,
            losses,
            unchanged,
            fixed_images: fixed,
            broken_images: broken,
            fixed_examples,
            broken_examples,
        })
    }
}

#[cfg(test)]
mod tests;
