//! Calibration from a labelled dataset: per-label thresholds for a target precision (or the
//! best F1), and optionally per-label Platt scaling so that a label's probability reads as the
//! chance it is right, independently of the other labels.
//!
//! Thresholds: each label is treated as a yes/no classifier over images, scored by its cosine:
//! its positives are the images it is true of (their recorded `truth_scores`), its negatives
//! the images where it was a recorded candidate without being true (images where it was not
//! even a candidate score lower still). With a precision target, the threshold is the one of
//! highest recall whose precision reaches the target; when none does, the one of highest
//! precision (status `TargetUnreachable`). With the F1 target, the threshold of highest F1. The
//! threshold is put halfway between the last score it keeps and the next lower score, so it
//! does not sit on a calibration image's score. Labels with fewer true images than
//! `min_support` (status `TooFewExamples`, or `NoPositives` for none) get the threshold chosen
//! the same way over all labels' points pooled: every label gets a threshold, so a label whose
//! best candidate fails its own does not hand the image to an unthresholded one.
//!
//! Why not the evaluation's ranked curves: the labeler gives the best candidate *that passes
//! its threshold*, so a threshold fitted only on the images where a label ranks first lets the
//! second candidate through whenever the first fails. Measured on the demo model (README,
//! "Evaluation and calibration"): fitted on ranked curves, precision on the held-out split fell
//! below the uncalibrated pack's; fitted per label as classifiers, it rose above it.
//!
//! Probabilities (`sigmoid`): `p = 1 / (1 + exp(-(slope · cosine + margin_slope · margin +
//! intercept)))`, where `margin` is the score minus the best other label's score on the image,
//! fitted per label by logistic regression on Platt's regularised targets (Newton's method with a
//! backtracking line search, a unit prior on the standardised weights) over the labels an app
//! can be given: each image's best `top_k` candidates, right or wrong. Labels with too few of
//! either class share one fit pooled over all labels. Measured on the demo model's held-out split
//! (README, "Evaluation and calibration"): expected calibration error of the best label 0.048;
//! fitted on the cosine alone over every recorded candidate it was 0.145 (the many easy
//! negatives set the curve; the best label's probability came out far too low).
//!
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{check_records, EvalOptions, EvalRecord, PackIndex};
use crate::{Calibration, Error, LabelPack, Result};

/// What thresholds aim for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationTarget {
    /// The highest recall at this precision or more, in (0, 1].
    Precision(f64),
    /// The highest F1.
    F1,
}

/// Settings of [`calibrate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrateOptions {
    /// What the thresholds aim for.
    pub target: CalibrationTarget,
    /// Also fit per-label probabilities.
    pub sigmoid: bool,
    /// Fewest true images (and, for the probabilities, candidate images without the label) a
    /// label needs to get its own threshold and fit. Default 5.
    pub min_support: usize,
    /// How an app asks for labels, as in the evaluation (the records made for calibration
    /// record what the labeler examines for `label.top_k`).
    pub eval: EvalOptions,
}

impl Default for CalibrateOptions {
    fn default() -> Self {
        Self { target: CalibrationTarget::Precision(0.9), sigmoid: false, min_support: 5, eval: EvalOptions::default() }
    }
}

/// What happened to one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationStatus {
    /// A threshold meeting the target was found.
    Calibrated,
    /// No threshold reaches the target precision: the most precise one was taken.
    TargetUnreachable,
    /// Fewer true images than `min_support`: it gets the pooled threshold.
    TooFewExamples,
    /// No image of the dataset shows it: it gets the pooled threshold.
    NoPositives,
}

/// One label's calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelCalibration {
    /// Label id.
    pub id: String,
    /// Images that show it.
    pub support: u64,
    /// What happened.
    pub status: CalibrationStatus,
    /// Its threshold before.
    pub old_min_score: Option<f32>,
    /// Its threshold after.
    pub min_score: Option<f32>,
    /// Precision on the calibration data at the new threshold (`None`: nothing passes).
    pub precision: Option<f64>,
    /// Recall on the calibration data at the new threshold.
    pub recall: Option<f64>,
    /// Its probability calibration (with `sigmoid`).
    pub calibration: Option<Calibration>,
    /// Whether that calibration is the pooled one (too few images of its own).
    pub pooled: bool,
}

/// The result of [`calibrate`]: per-label settings, to apply to the pack (and label set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// The settings used.
    pub options: CalibrateOptions,
    /// Images used (labelled, not failed).
    pub images: u64,
    /// Every label of the pack, in pack order.
    pub labels: Vec<LabelCalibration>,
    /// The fit pooled over all labels (with `sigmoid`).
    pub pooled: Option<Calibration>,
    /// The threshold pooled over all labels, given to those with too few images.
    pub pooled_min_score: Option<f32>,
}

/// Fits thresholds (and probabilities) for `pack` on records made with it.
pub fn calibrate(pack: &LabelPack, records: &[EvalRecord], options: &CalibrateOptions) -> Result<CalibrationReport> {
    options.eval.check()?;
    if let CalibrationTarget::Precision(p) = options.target {
        if !(p > 0.0 && p <= 1.0) {
            return Err(Error::Evaluation { reason: format!("target precision {p} is not in (0, 1]") });
        }
    }
    let index = PackIndex::new(pack);
    check_records(&index, records)?;
    let top_k = options.eval.label.top_k;
    let mut support: HashMap<&str, u64> = HashMap::new();
    // Per label, its score on each image it is true of, and on each image where it was a
    // recorded candidate without being true: a label is given when its score reaches its
    // threshold (and it ranks within top_k), so each label is a yes/no classifier over images.
    let mut points_of: HashMap<&str, Vec<(f32, bool)>> = HashMap::new();
    // The same points with each score's margin over the image's best other label, for the
    // probabilities.
    let mut fit_of: HashMap<&str, Vec<FitPoint>> = HashMap::new();
    let mut images = 0;
    for r in records.iter().filter(|r| r.error.is_none()) {
        images += 1;
        let truth: HashSet<&str> = r.truth.iter().map(String::as_str).collect();
        for t in &truth {
            *support.entry(t).or_default() += 1;
        }
        for t in &r.truth_scores {
            points_of.entry(t.id.as_str()).or_default().push((t.score, true));
        }
        let margins = r.margins();
        for (i, c) in r.candidates.iter().enumerate() {
            let positive = truth.contains(c.id.as_str());
            if !positive {
                points_of.entry(c.id.as_str()).or_default().push((c.score, false));
            }
            // Probabilities are fitted where an app reads them: on the labels the labeler can
            // give, the best `top_k` candidates of each image (true or not); see the module docs.
            if options.sigmoid && i < top_k {
                let margin = margins.at(i, c.score);
                fit_of.entry(c.id.as_str()).or_default().push(FitPoint { score: c.score, margin, positive });
            }
        }
    }
    let enough = |points: &[FitPoint]| {
        let pos = points.iter().filter(|p| p.positive).count();
        pos >= options.min_support.max(1) && points.len() - pos >= options.min_support.max(1)
    };
    let pooled = if options.sigmoid {
        let all: Vec<FitPoint> = fit_of.values().flatten().copied().collect();
        platt(&all)
    } else {
        None
    };
    // One threshold for the labels with too few images of their own, from every label's points:
    // without it, a label whose top candidate fails its new threshold would hand the image to
    // the next candidate, often an unthresholded label, and precision would fall.
    let mut all_points: Vec<(f32, bool)> = points_of.values().flatten().copied().collect();
    all_points.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let pooled_threshold = threshold(&all_points, support.values().sum(), options.target).map(|(t, _)| t);
    let mut labels = Vec::with_capacity(pack.len());
    for l in &pack.meta().labels {
        let id = l.id.as_str();
        let s = support.get(id).copied().unwrap_or(0);
        let mut points = points_of.get(id).cloned().unwrap_or_default();
        points.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        let (status, min_score) = if s == 0 {
            (CalibrationStatus::NoPositives, pooled_threshold.or(l.min_score))
        } else if (s as usize) < options.min_support {
            (CalibrationStatus::TooFewExamples, pooled_threshold.or(l.min_score))
        } else {
            match threshold(&points, s, options.target) {
                Some((t, reached)) => (
                    if reached { CalibrationStatus::Calibrated } else { CalibrationStatus::TargetUnreachable },
                    Some(t),
                ),
                // Never among the best candidates: no threshold can let it through more often.
                None => (CalibrationStatus::TargetUnreachable, l.min_score),
            }
        };
        let (tp, fp) = points
            .iter()
            .filter(|p| min_score.is_none_or(|m| p.0 >= m))
            .fold((0u64, 0u64), |(tp, fp), p| if p.1 { (tp + 1, fp) } else { (tp, fp + 1) });
        let (calibration, is_pooled) = if options.sigmoid {
            match fit_of.get(id).filter(|p| enough(p)).and_then(|p| platt(p)) {
                Some(c) => (Some(c), false),
                None => (pooled, pooled.is_some()),
            }
        } else {
            (l.calibration, false)
        };
        labels.push(LabelCalibration {
            id: l.id.clone(),
            support: s,
            status,
            old_min_score: l.min_score,
            min_score,
            precision: (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64),
            recall: (s > 0).then(|| tp as f64 / s as f64),
            calibration,
            pooled: is_pooled,
        });
    }
    Ok(CalibrationReport { options: options.clone(), images, labels, pooled, pooled_min_score: pooled_threshold })
}

/// The threshold for `target` over points sorted by score descending, and whether it meets the
/// target; `None` without points.
fn threshold(points: &[(f32, bool)], support: u64, target: CalibrationTarget) -> Option<(f32, bool)> {
    // Candidate cut after each distinct score: (index of the last kept point, tp, fp).
    let mut cuts = Vec::new();
    let (mut tp, mut fp) = (0u64, 0u64);
    for (i, p) in points.iter().enumerate() {
        if p.1 {
            tp += 1;
        } else {
            fp += 1;
        }
        if points.get(i + 1).is_none_or(|n| n.0 != p.0) {
            cuts.push((i, tp, fp));
        }
    }
    let precision = |c: &(usize, u64, u64)| c.1 as f64 / (c.1 + c.2) as f64;
    let f1 = |c: &(usize, u64, u64)| 2.0 * c.1 as f64 / ((c.1 + c.2) as f64 + support as f64);
    // Ties: the higher threshold (the earlier cut) wins.
    let best_by = |key: &dyn Fn(&(usize, u64, u64)) -> f64, cuts: &mut dyn Iterator<Item = &(usize, u64, u64)>| {
        cuts.fold(None::<(usize, u64, u64)>, |best, c| match best {
            Some(b) if key(&b) >= key(c) => Some(b),
            _ => Some(*c),
        })
    };
    let (cut, reached) = match target {
        CalibrationTarget::F1 => (best_by(&|c| f1(c), &mut cuts.iter())?, true),
        CalibrationTarget::Precision(p) => {
            // Compare with a little slack: 9/10 must meet 0.9 whatever the rounding.
            match best_by(&|c| c.1 as f64, &mut cuts.iter().filter(|c| precision(c) >= p - 1e-12)) {
                Some(c) => (c, true),
                None => (best_by(&|c| precision(c) + c.1 as f64 * 1e-9, &mut cuts.iter())?, false),
            }
        }
    };
    let kept = points[cut.0].0;
    let t = match points.get(cut.0 + 1) {
        Some(next) => kept + (next.0 - kept) / 2.0,
        None => kept,
    };
    Some((t.clamp(-1.0, 1.0), reached))
}

#[cfg(test)]
pub(super) fn threshold_for_tests(
    points: &[(f32, bool)],
    support: u64,
    target: CalibrationTarget,
) -> Option<(f32, bool)> {
    threshold(points, support, target)
}

/// One image's evidence about one label, for the probabilities.
#[derive(Debug, Clone, Copy)]
struct FitPoint {
    score: f32,
    /// The score minus the best other label's score on the image.
    margin: f32,
    positive: bool,
}

/// Platt scaling on (cosine, margin): logistic regression with Platt's regularised targets
/// (`(N+ + 1) / (N+ + 2)` for positives, `1 / (N- + 2)` for negatives), fitted by Newton's
/// method with a backtracking line search on standardised features. `None` without both
/// classes, or when the fit is not usable (slope not positive); a negative margin weight is
/// refitted without the margin.
fn platt(points: &[FitPoint]) -> Option<Calibration> {
    let pos = points.iter().filter(|p| p.positive).count() as f64;
    let neg = points.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    let (hi, lo) = ((pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0));
    let targets: Vec<f64> = points.iter().map(|p| if p.positive { hi } else { lo }).collect();
    let fit = |use_margin: bool| -> Option<Calibration> {
        let features: Vec<[f64; 2]> =
            points.iter().map(|p| [f64::from(p.score), if use_margin { f64::from(p.margin) } else { 0.0 }]).collect();
        let w = logistic(&features, &targets)?;
        let c = Calibration { slope: w[0] as f32, margin_slope: w[1] as f32, intercept: w[2] as f32 };
        Some(c)
    };
    fit(true)
        .filter(|c| c.problem().is_none())
        .or_else(|| fit(false).map(|c| Calibration { margin_slope: 0.0, ..c }).filter(|c| c.problem().is_none()))
}

/// Weights `[w_x, w_y, b]` of `p = σ(w_x·x + w_y·y + b)` minimising the cross-entropy to
/// `targets`. Features are standardised for the solve (cosines span a few hundredths) and the
/// weights mapped back; a constant feature gets weight 0. A ridge (unit prior) keeps the Hessian
/// invertible when a feature is (nearly) collinear with another.
fn logistic(features: &[[f64; 2]], targets: &[f64]) -> Option<[f64; 3]> {
    let n = features.len() as f64;
    let mut mean = [0.0; 2];
    let mut sd = [0.0; 2];
    for k in 0..2 {
        mean[k] = features.iter().map(|f| f[k]).sum::<f64>() / n;
        sd[k] = (features.iter().map(|f| (f[k] - mean[k]).powi(2)).sum::<f64>() / n).sqrt();
    }
    let active = [sd[0] > 1e-9, sd[1] > 1e-9];
    let x: Vec<[f64; 3]> = features
        .iter()
        .map(|f| {
            let z = |k: usize| if active[k] { (f[k] - mean[k]) / sd[k] } else { 0.0 };
            [z(0), z(1), 1.0]
        })
        .collect();
    // A unit Gaussian prior on the standardised weights: negligible for thousands of points,
    // and it keeps a near-separable small sample from driving the weights to infinity.
    let ridge = 1.0;
    let objective = |w: &[f64; 3]| -> f64 {
        let data: f64 = x
            .iter()
            .zip(targets)
            .map(|(x, &t)| {
                let z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2];
                // −[t ln σ(z) + (1 − t) ln(1 − σ(z))], computed without overflow.
                if z >= 0.0 {
                    (1.0 - t) * z + (-z).exp().ln_1p()
                } else {
                    -t * z + z.exp().ln_1p()
                }
            })
            .sum();
        data + 0.5 * ridge * (w[0] * w[0] + w[1] * w[1])
    };
    let mut w = [0.0, 0.0, 0.0];
    let mut fval = objective(&w);
    for _ in 0..100 {
        let mut g = [ridge * w[0], ridge * w[1], 0.0];
        let mut h = [[ridge, 0.0, 0.0], [0.0, ridge, 0.0], [0.0, 0.0, 1e-12]];
        for (x, &t) in x.iter().zip(targets) {
            let z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2];
            let p = 1.0 / (1.0 + (-z).exp());
            let d = p * (1.0 - p);
            for a in 0..3 {
                g[a] += (p - t) * x[a];
                for b in 0..3 {
                    h[a][b] += d * x[a] * x[b];
                }
            }
        }
        if g.iter().all(|v| v.abs() < 1e-9) {
            break;
        }
        let step_dir = solve3(h, [-g[0], -g[1], -g[2]])?;
        let slope: f64 = (0..3).map(|k| g[k] * step_dir[k]).sum();
        let mut step = 1.0;
        let mut moved = false;
        while step >= 1e-10 {
            let cand = [w[0] + step * step_dir[0], w[1] + step * step_dir[1], w[2] + step * step_dir[2]];
            let f = objective(&cand);
            if f <= fval + 1e-4 * step * slope {
                (w, fval, moved) = (cand, f, true);
                break;
            }
            step /= 2.0;
        }
        if !moved {
            break;
        }
    }
    let back = |k: usize| if active[k] { w[k] / sd[k] } else { 0.0 };
    let (wx, wy) = (back(0), back(1));
    let b = w[2] - wx * mean[0] - wy * mean[1];
    [wx, wy, b].iter().all(|v| v.is_finite()).then_some([wx, wy, b])
}

/// Solves the 3×3 system `a · x = b` by Gaussian elimination with partial pivoting.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..3 {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// The next patch version of a semantic version (`1.2.3-rc.1+b` → `1.2.4`); `None` when `v`
/// is not `MAJOR.MINOR.PATCH[...]`.
pub(crate) fn next_patch_version(v: &str) -> Option<String> {
    let core = v.split(['-', '+']).next()?;
    let parts: Vec<u64> = core.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match parts[..] {
        [major, minor, patch] => Some(format!("{major}.{minor}.{}", patch.checked_add(1)?)),
        _ => None,
    }
}

impl CalibrationReport {
    /// A new version of `pack` with these thresholds (and calibrations), its label-set version
    /// set to `version` (default: the next patch version). Unsigned until written with a key.
    pub fn apply_to_pack(&self, pack: &LabelPack, version: Option<&str>) -> Result<LabelPack> {
        let mut meta = pack.meta().clone();
        if meta.labels.len() != self.labels.len() || meta.labels.iter().zip(&self.labels).any(|(l, c)| l.id != c.id) {
            return Err(Error::Evaluation {
                reason: "this calibration was made for another pack (its labels differ)".into(),
            });
        }
        meta.label_set.version = self.version_after(&meta.label_set.version, version)?;
        for (l, c) in meta.labels.iter_mut().zip(&self.labels) {
            l.min_score = c.min_score;
            l.calibration = c.calibration;
        }
        meta.created_by = format!("{} (calibrated)", meta.created_by.trim_end_matches(" (calibrated)"));
        pack.with_meta(meta)
    }

    fn version_after(&self, old: &str, version: Option<&str>) -> Result<String> {
        match version {
            Some(v) => {
                crate::labelset::check_version_str(v)
                    .map_err(|why| Error::Evaluation { reason: format!("version {v:?} {why}") })?;
                Ok(v.to_string())
            }
            None => next_patch_version(old)
                .ok_or_else(|| Error::Evaluation { reason: format!("cannot bump version {old:?}: give one") }),
        }
    }

    /// The label-set file `text` (TOML) with these thresholds and calibrations written into
    /// its labels and its version set to `version` (default: the next patch version); comments
    /// and layout are kept. `path` names the file in errors. Compiling the result gives a pack
    /// with the same settings as [`CalibrationReport::apply_to_pack`].
    #[cfg(feature = "offline")]
    pub fn apply_to_label_set(&self, text: &str, path: &std::path::Path, version: Option<&str>) -> Result<String> {
        use toml_edit::{value, DocumentMut, InlineTable, Item, Value};
        // The file must be a valid label set with the same labels.
        let set = crate::LabelSet::from_toml_str(text, path)?;
        if set.labels.len() != self.labels.len() || set.labels.iter().zip(&self.labels).any(|(l, c)| l.id != c.id) {
            return Err(Error::Evaluation {
                reason: format!(
                    "{}: its labels differ from the pack's (compile the pack from this file)",
                    path.display()
                ),
            });
        }
        let new_version = self.version_after(&set.version, version)?;
        let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| Error::LabelSet {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            reason: e.to_string(),
        })?;
        doc["version"] = value(new_version);
        let tables = doc["labels"].as_array_of_tables_mut().ok_or_else(|| Error::Evaluation {
            reason: format!("{}: write the labels as [[labels]] tables to calibrate them", path.display()),
        })?;
        for (table, c) in tables.iter_mut().zip(&self.labels) {
            match c.min_score {
                Some(m) => table["min_score"] = value(toml_float(m)),
                None => {
                    table.remove("min_score");
                }
            }
            match c.calibration {
                Some(cal) => {
                    let mut t = InlineTable::new();
                    t.insert("slope", Value::from(toml_float(cal.slope)));
                    t.insert("intercept", Value::from(toml_float(cal.intercept)));
                    if cal.margin_slope != 0.0 {
                        t.insert("margin_slope", Value::from(toml_float(cal.margin_slope)));
                    }
                    table["calibration"] = Item::Value(Value::InlineTable(t));
                }
                None => {
                    table.remove("calibration");
                }
            }
        }
        Ok(doc.to_string())
    }
}

/// `x` as the f64 of its shortest decimal (`0.1f32` → `0.1`, not `0.10000000149011612`): the
/// file reads naturally and reads back as the same f32.
#[cfg(feature = "offline")]
fn toml_float(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}
