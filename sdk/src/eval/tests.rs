use super::*;
use crate::labeler::PackState;
use crate::{Calibration, EmbeddingDType, IndexOptions, PackLabel, PackLabelSet, PackMeta};

fn meta(ids: &[&str], dim: usize) -> PackMeta {
    PackMeta {
        model_fingerprint: "ab".repeat(32),
        label_set: PackLabelSet { name: "t".into(), version: "1.2.3".into(), description: None },
        created_unix_s: 0,
        created_by: "test".into(),
        dim,
        embedding_dtype: EmbeddingDType::F32,
        logit_scale: None,
        labels: ids
            .iter()
            .map(|id| PackLabel {
                id: id.to_string(),
                name: id.to_uppercase(),
                parent: None,
                min_score: None,
                synonyms: vec![],
                prompts: vec![],
                calibration: None,
            })
            .collect(),
    }
}

/// A pack of `n` random unit vectors of dimension `dim` (xorshift, seeded).
fn random_pack(n: usize, dim: usize, seed: u64, edit: impl Fn(usize, &mut PackLabel)) -> LabelPack {
    let ids: Vec<String> = (0..n).map(|i| format!("l{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut m = meta(&refs, dim);
    for (i, l) in m.labels.iter_mut().enumerate() {
        edit(i, l);
    }
    let mut rng = Rng(seed);
    let v: Vec<f32> = (0..n * dim).map(|_| rng.next() - 0.5).collect();
    LabelPack::new(m, v, &IndexOptions::default()).unwrap()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn cand(id: &str, score: f32) -> Candidate {
    Candidate { id: id.into(), score, probability: 0.1 }
}

/// A record whose true labels' scores are their candidate scores.
fn record(image: &str, truth: &[&str], cands: &[(&str, f32)]) -> EvalRecord {
    EvalRecord {
        image: image.into(),
        truth: truth.iter().map(|t| t.to_string()).collect(),
        candidates: cands.iter().map(|&(id, s)| cand(id, s)).collect(),
        truth_scores: cands
            .iter()
            .filter(|c| truth.contains(&c.0))
            .map(|&(id, score)| TruthScore { id: id.into(), score })
            .collect(),
        error: None,
    }
}

#[test]
fn report_counts_by_hand() {
    let pack = LabelPack::new(meta(&["a", "b", "c"], 2), vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &IndexOptions::default())
        .unwrap();
    let records = vec![
        record("1", &["a"], &[("a", 0.9), ("b", 0.5), ("c", 0.1)]),
        record("2", &["a"], &[("b", 0.8), ("a", 0.7), ("c", 0.1)]),
        record("3", &["b"], &[("b", 0.6), ("a", 0.2), ("c", 0.1)]),
        record("4", &["zebra"], &[("c", 0.3), ("a", 0.2), ("b", 0.1)]),
        record("5", &[], &[("c", 0.4), ("a", 0.2), ("b", 0.1)]),
        EvalRecord { error: Some("cannot decode".into()), ..record("6", &["a"], &[]) },
    ];
    let r = EvalReport::new(&pack, &records, &EvalOptions::default()).unwrap();
    assert_eq!((r.images, r.images_labelled, r.images_without_labels), (6, 5, 1));
    assert_eq!(r.failed, [FailedImage { image: "6".into(), error: "cannot decode".into() }]);
    assert_eq!(r.truth_not_in_pack, BTreeMap::from([("zebra".to_string(), 1)]));
    // Top-1 right on images 1 and 3 of the four with labels; top-5 on 1, 2, 3.
    assert_eq!(r.top1_accuracy, Some(0.5));
    assert_eq!(r.top5_accuracy, Some(0.75));
    // One label each (top_k 1, no thresholds): a, b, b, c, c → tp 2 (a on 1, b on 3).
    assert_eq!((r.micro.tp, r.micro.fp, r.micro.fn_), (2, 3, 2));
    assert_eq!(r.nothing_recognised, 0);
    let by_id = |id: &str| r.labels.iter().find(|m| m.id == id).unwrap();
    assert_eq!((by_id("a").support, by_id("a").predicted, by_id("a").prf.tp), (2, 1, 1));
    assert_eq!(by_id("a").prf.recall, Some(0.5));
    assert_eq!(by_id("b").prf.precision, Some(0.5));
    assert_eq!(by_id("c").prf.precision, Some(0.0));
    assert_eq!(by_id("c").prf.recall, None, "no image shows c");
    assert_eq!(r.confusions[0], Confusion { truth: "a".into(), predicted: "b".into(), count: 1 });
    assert_eq!(r.confusions.len(), 2, "a→b and zebra→c");
    // a's curve: ranked top-1 on image 1 only (score 0.9, right): AP = 1/2 (one of two found).
    assert_eq!(by_id("a").average_precision, Some(0.5));
    // The global curve starts at the best score and ends at every top-1 candidate.
    assert_eq!(r.micro_curve.first().unwrap().threshold, 0.9);
    assert_eq!(r.micro_curve.last().unwrap().recall, 2.0 / 4.0);
    assert_eq!(r.precision_at_recall(0.25), Some(1.0));
    // Every best candidate has probability 0.1 (one bin) and 2 of 4 are right: |0.4 − 2| / 4.
    assert!((r.expected_calibration_error.unwrap() - 0.4).abs() < 1e-6, "f32 probabilities");

    // A threshold on b removes its false positive on image 2 and lets a through there.
    let mut m = pack.meta().clone();
    m.labels[1].min_score = Some(0.85);
    let strict = pack.with_meta(m).unwrap();
    let r2 = EvalReport::new(&strict, &records, &EvalOptions::default()).unwrap();
    assert_eq!((r2.micro.tp, r2.micro.fp), (2, 3), "image 2 now gets a (right), image 3 gets a (wrong)");
    assert_eq!(r2.labels[0].predicted, 3);
    assert_eq!(r2.pack.thresholded_labels, 1);
}

#[test]
fn records_of_another_pack_or_with_nothing_labelled_are_refused() {
    let pack = LabelPack::new(meta(&["a", "b"], 2), vec![1.0, 0.0, 0.0, 1.0], &IndexOptions::default()).unwrap();
    let other = vec![record("1", &["a"], &[("x", 0.9)])];
    assert!(matches!(EvalReport::new(&pack, &other, &EvalOptions::default()), Err(Error::Evaluation { .. })));
    let failed = vec![EvalRecord { error: Some("x".into()), ..record("1", &["a"], &[]) }];
    assert!(matches!(EvalReport::new(&pack, &failed, &EvalOptions::default()), Err(Error::Evaluation { .. })));
    let nan = vec![record("1", &["a"], &[("a", f32::NAN)])];
    assert!(matches!(EvalReport::new(&pack, &nan, &EvalOptions::default()), Err(Error::Evaluation { .. })));
    let zero = EvalOptions { label: LabelOptions { top_k: 0, ..LabelOptions::default() }, candidates: 0 };
    assert!(matches!(EvalReport::new(&pack, &[], &zero), Err(Error::Evaluation { .. })));
}

/// The evaluation's choice of labels from recorded candidates is the labeler's own, for every
/// mix of global and per-label thresholds, calibrations, probabilities and top_k.
#[test]
fn predictions_from_records_equal_the_labelers_outcome() {
    let dim = 16;
    let pack = random_pack(40, dim, 7, |i, l| {
        if i % 3 == 0 {
            l.min_score = Some(0.05 * (i % 5) as f32 - 0.05);
        }
        if i % 4 == 1 {
            l.calibration =
                Some(Calibration { slope: 8.0 + i as f32, intercept: -1.0, margin_slope: (i % 3) as f32 * 5.0 });
        }
    });
    let state = PackState::new(std::sync::Arc::new(pack));
    let index = PackIndex::new(&state.pack);
    let mut rng = Rng(99);
    for trial in 0..300 {
        let mut q: Vec<f32> = (0..dim).map(|_| rng.next() - 0.5).collect();
        let n = q.iter().map(|x| x * x).sum::<f32>().sqrt();
        q.iter_mut().for_each(|x| *x /= n);
        let label = LabelOptions {
            top_k: 1 + trial % 4,
            min_score: (trial % 3 == 0).then_some(0.0),
            min_probability: (trial % 5 == 0).then_some(0.05),
        };
        let options = EvalOptions { label: label.clone(), candidates: 0 };
        let candidates = state.candidates(&q, 4.6, options.candidates_per_image()).unwrap();
        let record = EvalRecord {
            image: "x".into(),
            truth: vec![],
            candidates: candidates
                .iter()
                .map(|&(row, score, probability)| Candidate {
                    id: state.label(row).unwrap().0.into(),
                    score,
                    probability,
                })
                .collect(),
            truth_scores: vec![],
            error: None,
        };
        let ours = predicted(&record, &index, &label);
        let labeler: Vec<String> =
            state.score(&q, 4.6, &label).unwrap().labels().iter().map(|l| l.id.clone()).collect();
        assert_eq!(ours, labeler, "trial {trial}: {label:?}");
    }
}

/// Scores from a known logistic model of cosine and margin: calibration finds thresholds meeting
/// the target on the data it saw, and recovers the model's parameters.
#[test]
fn calibration_meets_its_target_and_recovers_a_logistic_model() {
    let pack = LabelPack::new(meta(&["a", "b"], 2), vec![1.0, 0.0, 0.0, 1.0], &IndexOptions::default()).unwrap();
    let model = Calibration { slope: 30.0, intercept: -6.0, margin_slope: 10.0 };
    let mut rng = Rng(5);
    let mut records = Vec::new();
    for i in 0..8000 {
        let s = 0.35 * rng.next();
        // b scores d below a (above it when d < 0): a's margin over the best other label is d.
        let d = 0.6 * rng.next() - 0.2;
        let p = model.probability(s, d);
        let is_a = rng.next() < p;
        let truth = if is_a { "a" } else { "b" };
        let (a, b) = (cand("a", s), cand("b", s - d));
        records.push(EvalRecord {
            image: format!("{i}"),
            truth: vec![truth.into()],
            candidates: if d >= 0.0 { vec![a, b] } else { vec![b, a] },
            truth_scores: if is_a { vec![TruthScore { id: "a".into(), score: s }] } else { vec![] },
            error: None,
        });
    }
    let options = CalibrateOptions {
        target: CalibrationTarget::Precision(0.9),
        sigmoid: true,
        min_support: 5,
        eval: EvalOptions::default(),
    };
    let c = calibrate(&pack, &records, &options).unwrap();
    let a = &c.labels[0];
    assert_eq!(a.status, CalibrationStatus::Calibrated);
    assert!(a.precision.unwrap() >= 0.9, "{a:?}");
    let fitted = a.calibration.unwrap();
    assert!((fitted.slope - model.slope).abs() < 4.0, "{fitted:?}");
    assert!((fitted.margin_slope - model.margin_slope).abs() < 2.0, "{fitted:?}");
    assert!((fitted.intercept - model.intercept).abs() < 0.8, "{fitted:?}");
    assert!(!a.pooled);
    // b is never a candidate within top-1 with a positive: its threshold is unreachable or kept.
    assert_ne!(c.labels[1].status, CalibrationStatus::Calibrated);
    // The threshold is where the model's precision among kept images crosses 0.9: above 0.2.
    assert!(a.min_score.unwrap() > 0.2, "{a:?}");
    // On the same data, the calibrated pack's report has a's precision at the target.
    let calibrated = c.apply_to_pack(&pack, None).unwrap();
    assert_eq!(calibrated.meta().label_set.version, "1.2.4");
    let r = EvalReport::new(&calibrated, &records, &EvalOptions::default()).unwrap();
    assert!(r.labels[0].prf.precision.unwrap() >= 0.9);
    assert_eq!(r.pack.calibrated_labels, 2, "b gets the pooled fit");
    // F1 target: recall at least that of the precision target.
    let f1 =
        calibrate(&pack, &records, &CalibrateOptions { target: CalibrationTarget::F1, ..options.clone() }).unwrap();
    assert!(f1.labels[0].recall.unwrap() >= a.recall.unwrap());
    // Bad targets.
    for bad in [0.0, -0.5, 1.5, f64::NAN] {
        let o = CalibrateOptions { target: CalibrationTarget::Precision(bad), ..options.clone() };
        assert!(matches!(calibrate(&pack, &records, &o), Err(Error::Evaluation { .. })), "{bad}");
    }
}

#[test]
fn too_few_examples_get_the_pooled_threshold() {
    let mut m = meta(&["a", "b"], 2);
    m.labels[0].min_score = Some(0.3);
    let pack = LabelPack::new(m, vec![1.0, 0.0, 0.0, 1.0], &IndexOptions::default()).unwrap();
    let records: Vec<EvalRecord> = (0..3).map(|i| record(&i.to_string(), &["a"], &[("a", 0.5), ("b", 0.1)])).collect();
    let c = calibrate(&pack, &records, &CalibrateOptions::default()).unwrap();
    assert_eq!(c.labels[0].status, CalibrationStatus::TooFewExamples);
    // Pooled: a true at 0.5 three times, b a wrong candidate at 0.1 three times: precision 1
    // at the cut after 0.5, halfway down to 0.1.
    assert_eq!(c.pooled_min_score, Some(0.3));
    assert_eq!(c.labels[0].min_score, Some(0.3));
    assert_eq!(c.labels[1].status, CalibrationStatus::NoPositives);
    assert_eq!(c.labels[1].min_score, Some(0.3));
    // Without any ranked point there is nothing to pool: thresholds are kept.
    let none: Vec<EvalRecord> = vec![record("x", &["a"], &[])];
    let c = calibrate(&pack, &none, &CalibrateOptions::default()).unwrap();
    assert_eq!((c.labels[0].min_score, c.labels[1].min_score), (Some(0.3), None));
}

#[test]
fn thresholds_sit_between_scores_and_prefer_recall_at_the_target() {
    // Sorted: 0.9 T, 0.8 T, 0.7 F, 0.6 T, 0.5 F, 0.4 F; support 4 (one positive never ranked).
    let pts = [(0.9, true), (0.8, true), (0.7, false), (0.6, true), (0.5, false), (0.4, false)];
    // Precision ≥ 0.75: cut after 0.6 (3/4) has the most recall → halfway to 0.5.
    let (t, ok) = calibrate::threshold_for_tests(&pts, 4, CalibrationTarget::Precision(0.75)).unwrap();
    assert!(ok && (t - 0.55).abs() < 1e-6, "{t}");
    // Precision 1: cut after 0.8.
    let (t, ok) = calibrate::threshold_for_tests(&pts, 4, CalibrationTarget::Precision(1.0)).unwrap();
    assert!(ok && (t - 0.75).abs() < 1e-6, "{t}");
    // Unreachable precision for a label that is always wrong: the most precise cut, flagged.
    let wrong = [(0.9, false), (0.8, false)];
    let (_, ok) = calibrate::threshold_for_tests(&wrong, 2, CalibrationTarget::Precision(0.5)).unwrap();
    assert!(!ok);
    // F1: after 0.6 → 2·3/(4+4) = 0.75, the best.
    let (t, _) = calibrate::threshold_for_tests(&pts, 4, CalibrationTarget::F1).unwrap();
    assert!((t - 0.55).abs() < 1e-6, "{t}");
    assert_eq!(calibrate::threshold_for_tests(&[], 4, CalibrationTarget::F1), None);
}

#[test]
fn calibrated_packs_round_trip_and_show_in_the_diff() {
    let pack = random_pack(5, 8, 3, |_, _| {});
    let mut m = pack.meta().clone();
    m.labels[2].min_score = Some(0.25);
    m.labels[3].calibration = Some(Calibration { slope: 12.5, intercept: -3.0, margin_slope: 4.0 });
    m.label_set.version = "1.2.4".into();
    let new = pack.with_meta(m).unwrap();
    let f32_pack = crate::PackWriteOptions { embedding_dtype: EmbeddingDType::F32, ..Default::default() };
    let bytes = new.to_bytes(&f32_pack).unwrap();
    let loaded = LabelPack::from_bytes(&bytes, &crate::PackLoadOptions::default()).unwrap();
    assert_eq!(loaded.meta(), new.meta());
    let d = pack.diff(&loaded);
    assert_eq!(
        d.changed,
        [("l2".to_string(), vec!["min_score".to_string()]), ("l3".to_string(), vec!["calibration".to_string()])]
    );
    assert!(d.reembedded.is_empty());
    assert!(d.header.iter().any(|(f, a, b)| f == "label_set.version" && a == "1.2.3" && b == "1.2.4"));
    // An uncalibrated pack's bytes do not mention calibrations (old readers, same bytes as before).
    let plain = pack.to_bytes(&crate::PackWriteOptions::default()).unwrap();
    assert!(!String::from_utf8_lossy(&plain).contains("calibration"));
    // Bad calibrations are refused in packs from outside.
    for bad in [
        Calibration { slope: -1.0, intercept: 0.0, margin_slope: 0.0 },
        Calibration { slope: f32::INFINITY, intercept: 0.0, margin_slope: 0.0 },
        Calibration { slope: 1.0, intercept: 2e4, margin_slope: 0.0 },
        Calibration { slope: 1.0, intercept: 0.0, margin_slope: -1.0 },
        Calibration { slope: 1.0, intercept: 0.0, margin_slope: f32::NAN },
    ] {
        let mut m = pack.meta().clone();
        m.labels[0].calibration = Some(bad);
        assert!(matches!(pack.with_meta(m), Err(Error::PackMalformed { .. })), "{bad:?}");
    }
    // with_meta keeps the labels' ids and order.
    let mut m = pack.meta().clone();
    m.labels.swap(0, 1);
    assert!(pack.with_meta(m).is_err());
}

#[test]
fn comparison_counts_fixed_and_broken_images() {
    let pack = LabelPack::new(meta(&["a", "b"], 2), vec![1.0, 0.0, 0.0, 1.0], &IndexOptions::default()).unwrap();
    let old = vec![
        record("1", &["a"], &[("b", 0.9), ("a", 0.1)]),
        record("2", &["b"], &[("b", 0.9), ("a", 0.1)]),
        record("3", &["a"], &[("a", 0.9), ("b", 0.1)]),
    ];
    let new = vec![
        record("1", &["a"], &[("a", 0.9), ("b", 0.1)]),
        record("2", &["b"], &[("a", 0.9), ("b", 0.1)]),
        record("3", &["a"], &[("a", 0.9), ("b", 0.1)]),
    ];
    let o = EvalOptions::default();
    let (ro, rn) = (EvalReport::new(&pack, &old, &o).unwrap(), EvalReport::new(&pack, &new, &o).unwrap());
    let c = EvalComparison::new(ro.clone(), &old, rn.clone(), &new).unwrap();
    assert_eq!((c.fixed_images, c.broken_images), (1, 1));
    assert_eq!(c.fixed_examples[0].image, "1");
    assert_eq!(c.broken_examples[0].new_top1.as_deref(), Some("a"));
    // a: old P 1/1 R 1/2 → F1 2/3; new P 2/3 R 1 → F1 0.8 (gain). b: old 2/3 → new 0 (loss).
    assert_eq!(c.gains.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), ["a"]);
    assert_eq!(c.losses.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), ["b"]);
    assert!(EvalComparison::new(ro, &old, rn, &new[..2]).is_err());
}

#[test]
fn next_patch_versions() {
    assert_eq!(calibrate::next_patch_version("1.2.3").as_deref(), Some("1.2.4"));
    assert_eq!(calibrate::next_patch_version("1.0.9-rc.1+b7").as_deref(), Some("1.0.10"));
    assert_eq!(calibrate::next_patch_version("1.2"), None);
    assert_eq!(calibrate::next_patch_version("x.y.z"), None);
}

#[cfg(feature = "offline")]
#[test]
fn calibration_written_into_a_label_set_keeps_its_comments_and_reads_back() {
    let text = "# my set\nname = \"s\"\nversion = \"2.0.0\"\n\n[[labels]]  # first\nid = \"a\"\nname = \"A\"\nmin_score = 0.5\n\n[[labels]]\nid = \"b\"\nname = \"B\"\n";
    let path = std::path::Path::new("s.toml");
    let report = CalibrationReport {
        options: CalibrateOptions::default(),
        images: 1,
        pooled: None,
        pooled_min_score: None,
        labels: vec![
            LabelCalibration {
                id: "a".into(),
                support: 9,
                status: CalibrationStatus::TooFewExamples,
                old_min_score: Some(0.5),
                min_score: None,
                precision: None,
                recall: None,
                calibration: Some(Calibration { slope: 0.1, intercept: -3.25, margin_slope: 0.5 }),
                pooled: false,
            },
            LabelCalibration {
                id: "b".into(),
                support: 9,
                status: CalibrationStatus::Calibrated,
                old_min_score: None,
                min_score: Some(0.1),
                precision: Some(1.0),
                recall: Some(1.0),
                calibration: None,
                pooled: false,
            },
        ],
    };
    let out = report.apply_to_label_set(text, path, None).unwrap();
    assert!(out.starts_with("# my set\n") && out.contains("[[labels]]  # first"), "{out}");
    assert!(out.contains("version = \"2.0.1\"") && out.contains("min_score = 0.1\n"), "{out}");
    let set = crate::LabelSet::from_toml_str(&out, path).unwrap();
    assert_eq!(set.labels[0].min_score, None);
    assert_eq!(set.labels[0].calibration, Some(Calibration { slope: 0.1, intercept: -3.25, margin_slope: 0.5 }));
    assert_eq!(set.labels[1].min_score, Some(0.1));
    assert_eq!(set.version, "2.0.1");
    let pinned = report.apply_to_label_set(text, path, Some("3.0.0-calibrated")).unwrap();
    assert!(pinned.contains("version = \"3.0.0-calibrated\""));
    assert!(report.apply_to_label_set(text, path, Some("three")).is_err());
    // Another set's labels are refused.
    let other = text.replace("id = \"b\"", "id = \"c\"");
    assert!(matches!(report.apply_to_label_set(&other, path, None), Err(Error::Evaluation { .. })));
    // And a calibration in a label set is validated with its position.
    let bad = "name = \"s\"\nversion = \"1.0.0\"\n[[labels]]\nid = \"a\"\nname = \"A\"\ncalibration = { slope = -2.0, intercept = 0.0 }\n";
    match crate::LabelSet::from_toml_str(bad, path) {
        Err(Error::LabelSet { line, reason, .. }) => {
            assert!(line == 6 && reason.contains("not positive"), "{line} {reason}")
        }
        other => panic!("{other:?}"),
    }
    let typo = "name = \"s\"\nversion = \"1.0.0\"\n[[labels]]\nid = \"a\"\nname = \"A\"\ncalibration = { slop = 2.0, intercept = 0.0 }\n";
    assert!(matches!(crate::LabelSet::from_toml_str(typo, path), Err(Error::LabelSet { line: 6, .. })));
}

/// The records of a small sample: every fit, pooled included, is usable (a near-separable
/// sample must not leave labels without a calibration).
#[test]
fn small_samples_still_get_a_pooled_calibration() {
    let pack = random_pack(6, 4, 11, |_, _| {});
    let mut rng = Rng(3);
    let records: Vec<EvalRecord> = (0..12)
        .map(|i| {
            let truth = format!("l{}", i % 6);
            let mut cands: Vec<(String, f32)> =
                (0..6).map(|j| (format!("l{j}"), if j == i % 6 { 0.8 } else { 0.3 * rng.next() })).collect();
            if i % 4 == 0 {
                // Now and then another label leads, at a lower score: the best label is wrong.
                cands[i % 6].1 = 0.6;
                cands[(i + 1) % 6].1 = 0.65;
            }
            cands.sort_by(|a, b| b.1.total_cmp(&a.1));
            let refs: Vec<(&str, f32)> = cands.iter().map(|(id, s)| (id.as_str(), *s)).collect();
            record(&i.to_string(), &[truth.as_str()], &refs)
        })
        .collect();
    let options = CalibrateOptions { sigmoid: true, min_support: 2, ..CalibrateOptions::default() };
    let c = calibrate(&pack, &records, &options).unwrap();
    assert!(c.pooled.is_some(), "near-separable: the fit stays finite");
    assert!(c.labels.iter().all(|l| l.calibration.is_some_and(|c| c.problem().is_none())), "{:?}", c.labels);
}
