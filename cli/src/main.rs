//! `pelabel`: the command-line tool of pelabel.
//!
//! Exit codes: 0 success, 1 a runtime failure (bad model, unreadable image, ...), 2 a usage error
//! (clap's convention). Results go to stdout (JSON lines where machines read them), progress and
//! errors to stderr.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use pelabel::{
    calibrate, compile_label_set, decode_image_file, evaluate_dataset, generate_signing_key, l2_normalize,
    preprocess_image, read_signing_key, read_verifying_key, split_checkpoint, write_signing_key, zero_shot_scores,
    CalibrateOptions, CalibrationStatus, CalibrationTarget, CompileOptions, Dataset, EmbeddingDType, EvalComparison,
    EvalOptions, EvalRecord, EvalReport, IndexOptions, LabelOptions, LabelOutcome, LabelPack, LabelSet, Labeler,
    LabelerOptions, LiveInput, LiveLabeler, LiveOptions, ModelFiles, PackLoadOptions, PackWriteOptions, PeCore,
    Precision, PreprocessConfig, SignatureStatus, StorageDType, TextCache, Towers,
};
use serde::Serialize;

#[derive(Parser)]
#[command(name = "pelabel", version, about = "Zero-shot image labeling with PE Core CLIP models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Split a checkpoint into image-tower / text-tower safetensors, config.json and tokenizer.json.
    Split {
        /// Checkpoint file or directory (official or open_clip layout, .safetensors or .pt).
        checkpoint: PathBuf,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// On-disk dtype of the halves.
        #[arg(long, default_value = "f16", value_parser = parse_dtype)]
        dtype: StorageDType,
        /// Preset to use when there is no config.json beside the weights (e.g. PE-Core-T16-384).
        #[arg(long)]
        preset: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print image embeddings as JSON lines: {"input": PATH, "embedding": [...]}.
    EmbedImage {
        #[command(flatten)]
        model: ModelArgs,
        /// L2-normalise the embeddings.
        #[arg(long)]
        normalize: bool,
        /// Image files (PNG, JPEG, WebP).
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Print text embeddings as JSON lines: {"input": TEXT, "embedding": [...]}.
    EmbedText {
        #[command(flatten)]
        model: ModelArgs,
        /// L2-normalise the embeddings.
        #[arg(long)]
        normalize: bool,
        /// Prompts.
        #[arg(required = true)]
        texts: Vec<String>,
    },
    /// Zero-shot classify images against prompts: softmax over exp(logit_scale) · cosine.
    Classify {
        #[command(flatten)]
        model: ModelArgs,
        /// A candidate label prompt (repeat the flag, at least two).
        #[arg(long = "text", short = 't', required = true)]
        texts: Vec<String>,
        /// How many labels to print per image.
        #[arg(long, default_value_t = 3)]
        top_k: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// Image files.
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Compile a label set (TOML) into a label pack with the model's text tower.
    Compile {
        /// Label-set file (see label-sets/README.md).
        labelset: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
        /// Output pack file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// On-disk dtype of the embeddings.
        #[arg(long, default_value = "f16")]
        dtype: EmbeddingDType,
        /// Sign the pack with this Ed25519 key (from `pelabel keygen`).
        #[arg(long, value_name = "KEY")]
        sign: Option<PathBuf>,
        /// Text-embedding cache database (default: $PELABEL_CACHE_DIR, $XDG_CACHE_HOME/pelabel or ~/.cache/pelabel).
        #[arg(long, conflicts_with = "no_cache")]
        cache: Option<PathBuf>,
        /// Embed every prompt, neither reading nor writing the cache.
        #[arg(long)]
        no_cache: bool,
        /// Prompts per text-tower call.
        #[arg(long, default_value_t = 64)]
        batch_size: usize,
        /// Arithmetic of the text tower's linear layers: f32 (exact) or int8 (about 3x faster on
        /// CPUs with an int8 kernel, embeddings at cosine >= 0.995 to f32; cached separately).
        #[arg(long, value_name = "PRECISION", default_value = "f32", value_parser = ["f32", "int8"])]
        text_precision: String,
        /// Build an HNSW graph from this many labels on (smaller packs are searched exactly).
        #[arg(long, default_value_t = pelabel::HNSW_MIN_LABELS)]
        hnsw_min_labels: usize,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a label pack: header, sizes, integrity, labels.
    Inspect {
        /// Pack file.
        pack: PathBuf,
        /// Require a valid signature by this public key (KEY.pub from `pelabel keygen`).
        #[arg(long, value_name = "KEY_PUB")]
        public_key: Option<PathBuf>,
        /// List every label (the default lists the first 20).
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare two label packs: labels added, removed, renamed, re-embedded.
    Diff {
        /// The pack in production.
        old: PathBuf,
        /// The candidate update.
        new: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create an Ed25519 signing key (KEY) and its public key (KEY.pub) for signed packs.
    Keygen {
        /// Where to write the private key; the public key goes to KEY.pub.
        key: PathBuf,
    },
    /// Label images (files or directories of images) against a label pack.
    Label {
        #[command(flatten)]
        session: SessionArgs,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// Images or directories of images (PNG, JPEG, WebP).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Evaluate a label pack on a labelled dataset: accuracy, per-label precision / recall / F1
    /// at the pack's thresholds, confused pairs, precision-recall curves. Exit code 1 when an
    /// image failed (the report is written anyway).
    Eval {
        #[command(flatten)]
        eval: EvalArgs,
        /// Also evaluate this older pack and show per-label gains and losses.
        #[arg(long, value_name = "OLD_PACK")]
        compare: Option<PathBuf>,
        /// Write a self-contained HTML report with plots here.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// A folder per label (DIR/<label id>/<image>), or a list: CSV with `image` and `labels`
        /// columns (labels separated by `;`), JSON `[{"image": .., "labels": [..]}]` or JSON
        /// Lines; image paths relative to the list. README, "Evaluation and calibration".
        dataset: PathBuf,
    },
    /// Fit per-label thresholds (for a target precision, or the best F1) and optionally
    /// probabilities on a labelled dataset; writes a new version of the pack (and label set).
    Calibrate {
        #[command(flatten)]
        eval: EvalArgs,
        /// Thresholds for this precision per label, in (0, 1].
        #[arg(long, conflicts_with = "target_f1")]
        target_precision: Option<f64>,
        /// Thresholds for the best F1 per label.
        #[arg(long)]
        target_f1: bool,
        /// Also fit per-label probabilities (Platt scaling): several labels can then be likely at once.
        #[arg(long)]
        sigmoid: bool,
        /// Fewest images of a label for its own threshold (others keep theirs).
        #[arg(long, default_value_t = 5)]
        min_support: usize,
        /// The new pack.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// The label-set file the pack was compiled from, to write the same settings into.
        #[arg(long, value_name = "TOML", requires = "label_set_out")]
        label_set: Option<PathBuf>,
        /// Where to write the calibrated label set.
        #[arg(long, value_name = "TOML", requires = "label_set")]
        label_set_out: Option<PathBuf>,
        /// Version of the new pack and label set [default: the next patch version].
        #[arg(long)]
        version: Option<String>,
        /// Sign the new pack with this key (the old signature does not carry over).
        #[arg(long, value_name = "KEY")]
        sign: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Labelled dataset (as for `pelabel eval`).
        dataset: PathBuf,
    },
    /// Replay a directory of video frames through live mode (smoothing, hysteresis, dropping).
    Live {
        #[command(flatten)]
        session: SessionArgs,
        /// Frames per second of the replay; frames are pushed at this pace (0: as fast as possible).
        #[arg(long, default_value_t = 30.0)]
        fps: f64,
        /// Smoothing half-life in milliseconds.
        #[arg(long, default_value_t = 250.0)]
        half_life_ms: f32,
        /// Smoothed cosine score at which a label appears.
        #[arg(long, default_value_t = 0.2)]
        enter_score: f32,
        /// Hysteresis: a label leaves below its enter score minus this.
        #[arg(long, default_value_t = 0.02)]
        exit_margin: f32,
        /// Print JSON lines (one per result, then the statistics).
        #[arg(long)]
        json: bool,
        /// Directory of frames, replayed in file-name order.
        frames: PathBuf,
    },
    /// Inspect or clear the persistent text-embedding cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Entries per model and size on disk.
    Stats {
        /// Cache database (default: $PELABEL_CACHE_DIR, $XDG_CACHE_HOME/pelabel or ~/.cache/pelabel).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove the entries of one model, or all.
    Clear {
        /// Cache database (default as for `stats`).
        #[arg(long)]
        cache: Option<PathBuf>,
        /// Remove only this model's entries (a model path, as for --model).
        #[arg(long, conflicts_with = "fingerprint")]
        model: Option<PathBuf>,
        /// Remove only the entries of this model fingerprint.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct SessionArgs {
    #[command(flatten)]
    tower: TowerArgs,
    /// Labels per image.
    #[arg(long, default_value_t = 5)]
    top_k: usize,
    /// Global minimum cosine score.
    #[arg(long)]
    min_score: Option<f32>,
}

/// The image tower and the pack of a labeling session.
#[derive(clap::Args)]
struct TowerArgs {
    /// Model: a `pelabel split` output (only the image tower is loaded) or any model path
    /// [default: $PELABEL_MODEL, else the bundled demo model].
    #[arg(long)]
    model: Option<PathBuf>,
    /// Preset to use when there is no config.json beside the weights.
    #[arg(long)]
    preset: Option<String>,
    /// Label pack made for this model by `pelabel compile` [default with the bundled demo model:
    /// its demo-shapes pack; required with any other model].
    #[arg(long)]
    pack: Option<PathBuf>,
    /// Require packs signed by this public key.
    #[arg(long, value_name = "KEY_PUB")]
    public_key: Option<PathBuf>,
    /// Threads for the image tower (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Arithmetic of the image tower: f32, int8 (x86-64 CPUs with AVX512_VNNI, about 1.6x faster
    /// than f32) or bf16 (AVX512_BF16). Falls back to f32 where the CPU lacks it, with a note on
    /// stderr.
    #[arg(long, default_value = "f32", value_parser = parse_precision)]
    precision: Precision,
}

fn parse_precision(s: &str) -> std::result::Result<Precision, String> {
    s.parse()
}

impl TowerArgs {
    /// The pack path: `--pack`, else the demo pack with the demo model.
    fn pack_path(&self) -> Result<PathBuf> {
        let model = resolve_model(self.model.as_deref())?;
        match (&self.pack, model.is_demo) {
            (Some(p), _) => Ok(p.clone()),
            (None, true) => Ok(demo_dir().join(DEMO_PACK)),
            (None, false) => Err(UsageError(format!(
                "--pack is required with --model {} (only the bundled demo model has a default pack)",
                model.path.display()
            ))
            .into()),
        }
    }

    fn open(&self) -> Result<Labeler> {
        let pack = load_pack(&self.pack_path()?, self.public_key.as_deref())?;
        self.open_with(pack)
    }

    fn open_with(&self, pack: LabelPack) -> Result<Labeler> {
        let model = resolve_model(self.model.as_deref())?;
        let files = ModelFiles::discover(&model.path, self.preset.as_deref())
            .with_context(|| format!("cannot use model {}", model.path.display()))?;
        let mut labeler = Labeler::new(&files, pack, &LabelerOptions { threads: self.threads })?;
        let effective = labeler.set_precision(self.precision);
        if effective != self.precision {
            eprintln!("note: this CPU cannot run {:?} arithmetic; using {effective:?}", self.precision);
        }
        Ok(labeler)
    }
}

impl SessionArgs {
    fn open(&self) -> Result<Labeler> {
        self.tower.open()
    }

    fn label_options(&self) -> LabelOptions {
        LabelOptions { top_k: self.top_k, min_score: self.min_score, min_probability: None }
    }
}

/// How `pelabel eval` and `pelabel calibrate` ask for labels.
#[derive(clap::Args)]
struct EvalArgs {
    #[command(flatten)]
    tower: TowerArgs,
    /// Labels an app takes per image (1: single-label; more for scenes with several things).
    #[arg(long, default_value_t = 1)]
    top_k: usize,
    /// Global minimum cosine score (the pack's per-label thresholds apply too).
    #[arg(long)]
    min_score: Option<f32>,
    /// Minimum probability (calibrated where the pack calibrates, else softmax).
    #[arg(long)]
    min_probability: Option<f32>,
    /// Candidates recorded per image (at least what the labeler examines for --top-k, 32).
    #[arg(long, default_value_t = 0)]
    candidates: usize,
}

impl EvalArgs {
    fn options(&self) -> EvalOptions {
        EvalOptions {
            label: LabelOptions { top_k: self.top_k, min_score: self.min_score, min_probability: self.min_probability },
            candidates: self.candidates,
        }
    }
}

/// Runs every image of `dataset` through `labeler` with a progress bar.
fn eval_records(
    labeler: &Labeler,
    dataset: &Dataset,
    options: &EvalOptions,
    what: &str,
    json: bool,
) -> Result<Vec<EvalRecord>> {
    let bar = progress_bar(json, "images");
    if let Some(b) = &bar {
        b.set_message(what.to_string());
        b.set_length(dataset.items.len() as u64);
    }
    let progress = |done: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let records = evaluate_dataset(labeler, dataset, options, Some(&progress))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for r in records.iter().filter(|r| r.error.is_some()) {
        eprintln!("error: {}: {}", r.image, r.error.as_deref().unwrap_or_default());
    }
    Ok(records)
}

fn load_dataset(path: &Path) -> Result<Dataset> {
    let dataset = Dataset::load(path)?;
    if dataset.skipped_files > 0 {
        eprintln!(
            "note: {} files in {} are not images (PNG, JPEG, WebP) and were skipped",
            dataset.skipped_files,
            path.display()
        );
    }
    Ok(dataset)
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn fmt_pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn print_report(r: &EvalReport) {
    println!(
        "pack        {} {} ({} labels, {} with thresholds, {} calibrated)",
        r.pack.name, r.pack.version, r.pack.labels, r.pack.thresholded_labels, r.pack.calibrated_labels
    );
    println!(
        "images      {} ({} labelled, {} failed, {} without true labels)",
        r.images,
        r.images_labelled,
        r.failed.len(),
        r.images_without_labels
    );
    println!("top-1       {}    top-5 {}", fmt_pct(r.top1_accuracy), fmt_pct(r.top5_accuracy));
    println!(
        "given       precision {}  recall {}  F1 {}  (top_k {}; {} images given nothing)",
        fmt_pct(r.micro.precision),
        fmt_pct(r.micro.recall),
        r.micro.f1.map_or("-".into(), |f| format!("{f:.3}")),
        r.options.label.top_k,
        r.nothing_recognised
    );
    println!(
        "per label   macro F1 {}  mean AP {}",
        r.macro_f1.map_or("-".into(), |f| format!("{f:.3}")),
        r.mean_average_precision.map_or("-".into(), |f| format!("{f:.3}"))
    );
    println!(
        "probability calibration error {} (best label; 0: probabilities are the chance of being right)",
        r.expected_calibration_error.map_or("-".into(), |e| format!("{e:.3}"))
    );
    if !r.truth_not_in_pack.is_empty() {
        println!("not in pack {} true label ids (counted as missed)", r.truth_not_in_pack.len());
    }
    let mut worst: Vec<&pelabel::LabelMetrics> = r.labels.iter().filter(|l| l.support > 0).collect();
    worst.sort_by(|a, b| a.prf.f1.unwrap_or(0.0).total_cmp(&b.prf.f1.unwrap_or(0.0)).then_with(|| a.id.cmp(&b.id)));
    println!("\nworst labels                       images  precision   recall      F1");
    for l in worst.iter().take(10) {
        println!(
            "  {:<32} {:>6} {:>10} {:>8} {:>7}",
            l.id,
            l.support,
            fmt_pct(l.prf.precision),
            fmt_pct(l.prf.recall),
            l.prf.f1.map_or("-".into(), |f| format!("{f:.3}"))
        );
    }
    if !r.confusions.is_empty() {
        println!("\nmost confused (true -> given)");
        for c in r.confusions.iter().take(10) {
            println!("  {:>4} x  {} -> {}", c.count, c.truth, c.predicted);
        }
    }
}

#[allow(clippy::too_many_arguments)] // one per flag of `pelabel eval`
fn run_eval(
    args: &EvalArgs,
    dataset: &Path,
    compare: Option<&Path>,
    html: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let dataset = load_dataset(dataset)?;
    let options = args.options();
    let labeler = args.tower.open()?;
    let pack = labeler.pack();
    let records = eval_records(&labeler, &dataset, &options, "evaluating", json)?;
    let report = EvalReport::new(&pack, &records, &options)?;
    let failed = report.failed.len();
    let title =
        |r: &EvalReport| format!("pelabel eval: {} {} on {}", r.pack.name, r.pack.version, dataset.source.display());
    match compare {
        None => {
            if let Some(h) = html {
                write_file(h, &report.to_html(&title(&report)))?;
            }
            if json {
                println!("{}", report.to_json());
            } else {
                print_report(&report);
            }
        }
        Some(old_path) => {
            let old_pack = load_pack(old_path, args.tower.public_key.as_deref())?;
            let old_labeler = args.tower.open_with(old_pack)?;
            let old_records = eval_records(&old_labeler, &dataset, &options, "evaluating the old pack", json)?;
            let old_report = EvalReport::new(&old_labeler.pack(), &old_records, &options)?;
            let cmp = EvalComparison::new(old_report, &old_records, report, &records)?;
            if let Some(h) = html {
                let t = format!(
                    "pelabel eval: {} {} → {} on {}",
                    cmp.old.pack.name,
                    cmp.old.pack.version,
                    cmp.new.pack.version,
                    dataset.source.display()
                );
                write_file(h, &cmp.to_html(&t))?;
            }
            if json {
                println!("{}", serde_json::to_string(&cmp)?);
            } else {
                print_report(&cmp.new);
                let o = &cmp.old;
                println!("\ncompared with {} {} ({}):", o.pack.name, o.pack.version, old_path.display());
                println!(
                    "  top-1 {} -> {}; {} images fixed, {} broken",
                    fmt_pct(o.top1_accuracy),
                    fmt_pct(cmp.new.top1_accuracy),
                    cmp.fixed_images,
                    cmp.broken_images
                );
                println!(
                    "  precision {} -> {}, recall {} -> {}",
                    fmt_pct(o.micro.precision),
                    fmt_pct(cmp.new.micro.precision),
                    fmt_pct(o.micro.recall),
                    fmt_pct(cmp.new.micro.recall)
                );
                println!(
                    "  F1 per label: {} gained, {} lost, {} unchanged",
                    cmp.gains.len(),
                    cmp.losses.len(),
                    cmp.unchanged
                );
                for (sign, list) in [("-", &cmp.losses), ("+", &cmp.gains)] {
                    for c in list.iter().take(5) {
                        println!(
                            "  {sign} {:<32} F1 {} -> {}",
                            c.id,
                            c.old_f1.map_or("-".into(), |f| format!("{f:.3}")),
                            c.new_f1.map_or("-".into(), |f| format!("{f:.3}"))
                        );
                    }
                }
            }
        }
    }
    if let Some(h) = html {
        eprintln!("wrote {}", h.display());
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[allow(clippy::too_many_arguments)] // one per flag of `pelabel calibrate`
fn run_calibrate(
    args: &EvalArgs,
    dataset: &Path,
    target: CalibrationTarget,
    sigmoid: bool,
    min_support: usize,
    output: &Path,
    label_set: Option<&Path>,
    label_set_out: Option<&Path>,
    version: Option<&str>,
    sign: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let dataset = load_dataset(dataset)?;
    let signing_key = sign.map(read_signing_key).transpose()?;
    let labeler = args.tower.open()?;
    let pack = labeler.pack();
    let options = CalibrateOptions { target, sigmoid, min_support, eval: args.options() };
    let records = eval_records(&labeler, &dataset, &options.eval, "calibrating", json)?;
    let report = calibrate(&pack, &records, &options)?;
    let new_pack = report.apply_to_pack(&pack, version)?;
    // The label set first: a failure there leaves no half-written result.
    let new_set = match (label_set, label_set_out) {
        (Some(src), Some(dst)) => {
            let text = std::fs::read_to_string(src).with_context(|| format!("cannot read {}", src.display()))?;
            Some((dst, report.apply_to_label_set(&text, src, version)?))
        }
        (None, None) => None,
        _ => return Err(UsageError("--label-set and --label-set-out go together".into()).into()),
    };
    let bytes =
        new_pack.write(output, &PackWriteOptions { embedding_dtype: pack.meta().embedding_dtype, signing_key })?;
    if let Some((dst, text)) = &new_set {
        write_file(dst, text)?;
    }
    if json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({
                "output": output, "bytes": bytes, "version": new_pack.meta().label_set.version,
                "label_set_out": new_set.as_ref().map(|(p, _)| p), "calibration": report,
            }))?
        );
    } else {
        let count = |s: CalibrationStatus| report.labels.iter().filter(|l| l.status == s).count();
        println!(
            "calibrated {} labels on {} images ({:?}{})",
            report.labels.len(),
            report.images,
            options.target,
            if sigmoid { ", with probabilities" } else { "" }
        );
        println!(
            "  {} met the target, {} could not (the most precise threshold was taken), {} had fewer than {} images and {} none (the threshold pooled over all labels{} was taken)",
            count(CalibrationStatus::Calibrated),
            count(CalibrationStatus::TargetUnreachable),
            count(CalibrationStatus::TooFewExamples),
            min_support,
            count(CalibrationStatus::NoPositives),
            report.pooled_min_score.map(|t| format!(", {t:.4},")).unwrap_or_default()
        );
        println!("\n  {:<32} {:>6} {:>9} {:>9} {:>10} {:>8}", "label", "images", "old", "new", "precision", "recall");
        for l in report.labels.iter().filter(|l| l.old_min_score != l.min_score).take(20) {
            let t = |m: Option<f32>| m.map_or("-".into(), |m| format!("{m:.4}"));
            println!(
                "  {:<32} {:>6} {:>9} {:>9} {:>10} {:>8}",
                l.id,
                l.support,
                t(l.old_min_score),
                t(l.min_score),
                fmt_pct(l.precision),
                fmt_pct(l.recall)
            );
        }
        println!(
            "\nwrote {} ({}, version {})",
            output.display(),
            human_bytes(bytes),
            new_pack.meta().label_set.version
        );
        if let Some((dst, _)) = &new_set {
            println!("wrote {}", dst.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Image files given directly, or found (sorted, non-recursive) in given directories.
fn image_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(
                            f.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
                            Some("png" | "jpg" | "jpeg" | "webp")
                        )
                })
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

#[derive(clap::Args)]
struct ModelArgs {
    /// Model: a `pelabel split` output, a checkpoint directory with config.json, or a weights file
    /// [default: $PELABEL_MODEL, else the bundled demo model].
    #[arg(long)]
    model: Option<PathBuf>,
    /// Preset to use when there is no config.json beside the weights.
    #[arg(long)]
    preset: Option<String>,
}

fn parse_dtype(s: &str) -> std::result::Result<StorageDType, String> {
    s.parse()
}

impl ModelArgs {
    fn load(&self, towers: Towers) -> Result<PeCore> {
        let model = resolve_model(self.model.as_deref())?;
        let files = ModelFiles::discover(&model.path, self.preset.as_deref())
            .with_context(|| format!("cannot use model {}", model.path.display()))?;
        PeCore::load(files, towers, &candle_core::Device::Cpu)
            .with_context(|| format!("cannot load model {}", model.path.display()))
    }
}

/// The bundled demo model's directory inside `models/demo/` (a `pelabel split` output, f16).
const DEMO_MODEL: &str = "pe-core-demo";
/// The bundled label pack compiled from `label-sets/demo-shapes.toml` for the demo model.
const DEMO_PACK: &str = "demo-shapes.pelpack";

/// `models/demo/` of the source tree this binary was built from, or `$PELABEL_DEMO_DIR`.
fn demo_dir() -> PathBuf {
    std::env::var_os("PELABEL_DEMO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/demo"))
}

/// A model path chosen by `--model`, `$PELABEL_MODEL` or the bundled default.
struct ChosenModel {
    path: PathBuf,
    /// True when no model was named, so the bundled demo model (and its pack) is used.
    is_demo: bool,
}

fn resolve_model(given: Option<&Path>) -> Result<ChosenModel> {
    if let Some(p) = given {
        return Ok(ChosenModel { path: p.to_path_buf(), is_demo: false });
    }
    if let Some(p) = std::env::var_os("PELABEL_MODEL").filter(|p| !p.is_empty()) {
        return Ok(ChosenModel { path: PathBuf::from(p), is_demo: false });
    }
    let path = demo_dir().join(DEMO_MODEL);
    if !path.is_dir() {
        bail!(
            "no --model given and the bundled demo model is not at {} \
             (pass --model, set PELABEL_MODEL, or PELABEL_DEMO_DIR to a copy of models/demo)",
            path.display()
        );
    }
    Ok(ChosenModel { path, is_demo: true })
}

#[derive(Serialize)]
struct EmbeddingLine<'a> {
    input: &'a str,
    embedding: Vec<f32>,
}

fn main() -> ExitCode {
    // Behave like other Unix tools when stdout closes early (`pelabel inspect --all | head`):
    // end quietly on SIGPIPE instead of panicking in println!.
    #[cfg(unix)]
    // SAFETY: resetting a signal disposition at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // A closed stdout (`pelabel ... | head`) is the reader's choice, not a failure.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            // Usage mistakes clap cannot see (an option required only in some combinations) exit
            // with clap's usage code.
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// A usage mistake found after parsing (exit code 2, like clap's own).
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Split { checkpoint, out, dtype, preset, json } => {
            let files = ModelFiles::discover(&checkpoint, preset.as_deref())
                .with_context(|| format!("cannot use checkpoint {}", checkpoint.display()))?;
            let report = split_checkpoint(&files, &out, dtype)?;
            if json {
                let files: Vec<_> =
                    report.files.iter().map(|(p, n)| serde_json::json!({"path": p, "bytes": n})).collect();
                println!("{}", serde_json::json!({"fingerprint": report.fingerprint, "files": files}));
            } else {
                for (p, n) in &report.files {
                    println!("{:>12}  {}", human_bytes(*n), p.display());
                }
                println!("fingerprint {}", report.fingerprint);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::EmbedImage { model, normalize, images } => {
            let model = model.load(Towers::Image)?;
            let mut failed = 0usize;
            let mut out = std::io::stdout().lock();
            for path in &images {
                match embed_image(&model, path, normalize) {
                    Ok(embedding) => {
                        let line = EmbeddingLine { input: &path.to_string_lossy(), embedding };
                        writeln!(out, "{}", serde_json::to_string(&line)?)?;
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {}: {e:#}", path.display());
                    }
                }
            }
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::EmbedText { model, normalize, texts } => {
            let model = model.load(Towers::Text)?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let mut emb = model.encode_text(&refs)?;
            if normalize {
                emb = l2_normalize(&emb)?;
            }
            let rows = emb.to_vec2::<f32>()?;
            let mut out = std::io::stdout().lock();
            for (text, embedding) in texts.iter().zip(rows) {
                writeln!(out, "{}", serde_json::to_string(&EmbeddingLine { input: text, embedding })?)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Classify { model, texts, top_k, json, images } => {
            if texts.len() < 2 {
                bail!("give at least two --text prompts to choose between");
            }
            let model = model.load(Towers::Available)?;
            let Some(scale) = model.logit_scale() else {
                bail!("the checkpoint has no logit_scale; cannot compute probabilities");
            };
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let text_emb = model.encode_text(&refs)?;
            let mut failed = 0usize;
            let mut out = std::io::stdout().lock();
            for path in &images {
                let img = match embed_image(&model, path, true) {
                    Ok(e) => e,
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {}: {e:#}", path.display());
                        continue;
                    }
                };
                let img = candle_core::Tensor::from_vec(img, (1, text_emb.dim(1)?), model.device())?;
                let (_, probs) = zero_shot_scores(&img, &text_emb, scale)?;
                let probs = probs.flatten_all()?.to_vec1::<f32>()?;
                let mut ranked: Vec<(usize, f32)> = probs.into_iter().enumerate().collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
                ranked.truncate(top_k.max(1));
                if json {
                    let labels: Vec<_> =
                        ranked.iter().map(|(i, p)| serde_json::json!({"text": texts[*i], "probability": p})).collect();
                    writeln!(out, "{}", serde_json::json!({"input": path, "labels": labels}))?;
                } else {
                    writeln!(out, "{}", path.display())?;
                    for (i, p) in ranked {
                        writeln!(out, "  {:>6.2}%  {}", p * 100.0, texts[i])?;
                    }
                }
            }
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Compile {
            labelset,
            model,
            output,
            dtype,
            sign,
            cache,
            no_cache,
            batch_size,
            text_precision,
            hnsw_min_labels,
            json,
        } => {
            run_compile(
                &labelset,
                &model,
                &output,
                dtype,
                sign.as_deref(),
                cache,
                no_cache,
                batch_size,
                if text_precision == "int8" { pelabel::Precision::Int8 } else { pelabel::Precision::F32 },
                hnsw_min_labels,
                json,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { pack, public_key, all, json } => {
            run_inspect(&pack, public_key.as_deref(), all, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { old, new, json } => {
            run_diff(&old, &new, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { key } => {
            let public = write_signing_key(&generate_signing_key()?, &key)?;
            println!("wrote private key {} (keep it secret) and public key {}", key.display(), public.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Label { session, json, inputs } => run_label(&session, &inputs, json),
        Command::Live { session, fps, half_life_ms, enter_score, exit_margin, json, frames } => {
            run_live(&session, &frames, fps, half_life_ms, enter_score, exit_margin, json)
        }
        Command::Eval { eval, compare, html, json, dataset } => {
            run_eval(&eval, &dataset, compare.as_deref(), html.as_deref(), json)
        }
        Command::Calibrate {
            eval,
            target_precision,
            target_f1,
            sigmoid,
            min_support,
            output,
            label_set,
            label_set_out,
            version,
            sign,
            json,
            dataset,
        } => {
            let target = match (target_precision, target_f1) {
                (Some(p), false) => CalibrationTarget::Precision(p),
                (None, true) => CalibrationTarget::F1,
                _ => return Err(UsageError("give --target-precision P or --target-f1".into()).into()),
            };
            run_calibrate(
                &eval,
                &dataset,
                target,
                sigmoid,
                min_support,
                &output,
                label_set.as_deref(),
                label_set_out.as_deref(),
                version.as_deref(),
                sign.as_deref(),
                json,
            )
        }
        Command::Cache { command } => {
            run_cache(command)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn cache_path(cache: Option<PathBuf>) -> PathBuf {
    cache.unwrap_or_else(TextCache::default_path)
}

fn progress_bar(json: bool, unit: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!("{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{eta}} left)"))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("embedding");
    Some(bar)
}

#[allow(clippy::too_many_arguments)] // one per flag of `pelabel compile`
fn run_compile(
    labelset: &Path,
    model: &ModelArgs,
    output: &Path,
    dtype: EmbeddingDType,
    sign: Option<&Path>,
    cache: Option<PathBuf>,
    no_cache: bool,
    batch_size: usize,
    text_precision: pelabel::Precision,
    hnsw_min_labels: usize,
    json: bool,
) -> Result<()> {
    let set = LabelSet::from_file(labelset)?;
    let signing_key = sign.map(read_signing_key).transpose()?;
    let mut model = model.load(Towers::Text)?;
    let text_precision = model.set_text_precision(text_precision)?;
    let precision_name = format!("{text_precision:?}").to_lowercase();
    let cache = if no_cache { None } else { Some(TextCache::open(&cache_path(cache))?) };
    let bar = progress_bar(json, "prompts");
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let started = std::time::Instant::now();
    let options = CompileOptions {
        batch_size,
        embedding_dtype: dtype,
        index: IndexOptions { hnsw_min_labels, ..IndexOptions::default() },
        cache: cache.as_ref(),
        progress: Some(&progress),
        ..CompileOptions::default()
    };
    let (pack, report) = compile_label_set(&set, &model, &options)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let signed = signing_key.is_some();
    let bytes = pack.write(output, &PackWriteOptions { embedding_dtype: dtype, signing_key })?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "pack": output, "bytes": bytes, "signed": signed, "index": pack.index_kind(),
                "label_set": {"name": set.name, "version": set.version},
                "model_fingerprint": pack.meta().model_fingerprint,
                "text_precision": precision_name,
                "report": report, "seconds": seconds,
            })
        );
    } else {
        println!(
            "compiled {} v{}: {} labels, {} prompts ({} distinct): {} from cache, {} embedded in {} batches \
             ({} text tower), {:.1} s",
            set.name,
            set.version,
            report.labels,
            report.prompts,
            report.unique_prompts,
            report.cache_hits,
            report.embedded,
            report.batches,
            precision_name,
            seconds
        );
        println!(
            "wrote {} ({}, {} search{})",
            output.display(),
            human_bytes(bytes),
            pack.index_kind(),
            if signed { ", signed" } else { "" }
        );
    }
    Ok(())
}

fn run_label(session: &SessionArgs, inputs: &[PathBuf], json: bool) -> Result<ExitCode> {
    let labeler = session.open()?;
    let options = session.label_options();
    let files = image_inputs(inputs)?;
    if files.is_empty() {
        bail!("no images found in the given paths");
    }
    let mut failed = 0usize;
    let mut out = std::io::stdout().lock();
    for path in &files {
        let outcome = decode_image_file(path).and_then(|img| labeler.label_image(&img, &options));
        match outcome {
            Ok(outcome) => {
                if json {
                    writeln!(out, "{}", serde_json::json!({"input": path, "result": outcome}))?;
                } else {
                    writeln!(out, "{}", path.display())?;
                    match &outcome {
                        LabelOutcome::Recognised { labels } => {
                            for l in labels {
                                let parents: Vec<&str> = l.parents.iter().map(|p| p.name.as_str()).collect();
                                let parents = if parents.is_empty() {
                                    String::new()
                                } else {
                                    format!("  ({})", parents.join(" › "))
                                };
                                writeln!(
                                    out,
                                    "  {:>6.2}%  {:.3}  {}{}",
                                    l.probability * 100.0,
                                    l.score,
                                    l.name,
                                    parents
                                )?;
                            }
                        }
                        LabelOutcome::NothingRecognised { best } => {
                            let best = best.as_ref().map(|b| format!(" (best: {} at {:.3})", b.name, b.score));
                            writeln!(out, "  nothing recognised{}", best.unwrap_or_default())?;
                        }
                    }
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", path.display());
            }
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[allow(clippy::too_many_arguments)]
fn run_live(
    session: &SessionArgs,
    frames_dir: &Path,
    fps: f64,
    half_life_ms: f32,
    enter_score: f32,
    exit_margin: f32,
    json: bool,
) -> Result<ExitCode> {
    let labeler = std::sync::Arc::new(session.open()?);
    let frames = image_inputs(&[frames_dir.to_path_buf()])?;
    if frames.is_empty() {
        bail!("no frames (PNG, JPEG, WebP) in {}", frames_dir.display());
    }
    let options = LiveOptions {
        half_life_ms,
        enter_score,
        exit_margin,
        top_k: session.top_k,
        candidates: (session.top_k * 4).max(20),
    };
    let live = LiveLabeler::start(
        labeler,
        options,
        Box::new(move |r| {
            let line = if json {
                serde_json::json!({"timestamp_ms": r.timestamp_ms, "latency_ms": r.latency_ms, "labels": r.labels})
                    .to_string()
            } else {
                let labels: Vec<String> = r.labels.iter().map(|l| format!("{} {:.3}", l.name, l.score)).collect();
                format!(
                    "{:>8} ms  {:>7.1} ms  {}",
                    r.timestamp_ms,
                    r.latency_ms,
                    if labels.is_empty() { "-".to_string() } else { labels.join(", ") }
                )
            };
            println!("{line}");
        }),
        Box::new(|ts, e| eprintln!("error: frame at {ts} ms: {e}")),
    )?;
    let frame_ms = if fps > 0.0 { 1000.0 / fps } else { 0.0 };
    let start = std::time::Instant::now();
    let mut unreadable = 0usize;
    for (i, path) in frames.iter().enumerate() {
        let ts = (i as f64 * if frame_ms > 0.0 { frame_ms } else { 1000.0 / 30.0 }) as u64;
        // Decoding stands in for the camera delivering the buffer: it is not the session's work.
        match decode_image_file(path) {
            Ok(img) => live.push(LiveInput::Image(img), ts),
            Err(e) => {
                unreadable += 1;
                eprintln!("error: {}: {e}", path.display());
            }
        }
        if frame_ms > 0.0 {
            let due = start + std::time::Duration::from_secs_f64((i + 1) as f64 * frame_ms / 1000.0);
            if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
                std::thread::sleep(wait);
            }
        }
    }
    live.wait_idle(std::time::Duration::from_secs(600));
    let stats = live.stop();
    if json {
        println!("{}", serde_json::json!({"stats": stats}));
    } else {
        eprintln!(
            "frames in {}, labelled {}, dropped {}, failed {}, latency p50 {:.1} ms, p95 {:.1} ms",
            stats.frames_in, stats.labelled, stats.dropped, stats.failed, stats.latency_p50_ms, stats.latency_p95_ms
        );
    }
    Ok(if stats.failed == 0 && unreadable == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn load_pack(path: &Path, public_key: Option<&Path>) -> Result<LabelPack> {
    let public_key = public_key.map(read_verifying_key).transpose()?;
    Ok(LabelPack::load(path, &PackLoadOptions { public_key, ..Default::default() })?)
}

fn run_inspect(path: &Path, public_key: Option<&Path>, all: bool, json: bool) -> Result<()> {
    let pack = load_pack(path, public_key)?;
    let m = pack.meta();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "pack": path, "bytes": pack.file_bytes(), "format_version": pelabel::PACK_FORMAT_VERSION,
                "integrity": "ok", "signature": pack.signature_status(),
                "index": pack.index_kind(), "meta": m,
            })
        );
        return Ok(());
    }
    println!("pack           {} ({})", path.display(), human_bytes(pack.file_bytes()));
    println!("format         v{} · checksum ok", pelabel::PACK_FORMAT_VERSION);
    println!(
        "signature      {}",
        match pack.signature_status() {
            SignatureStatus::Verified => "verified with the given public key",
            SignatureStatus::Unchecked =>
                "present but NOT verified: proves nothing until checked (pass --public-key KEY.pub)",
            SignatureStatus::Unsigned => "none (the checksum detects corruption, not tampering)",
        }
    );
    println!("label set      {} v{}", m.label_set.name, m.label_set.version);
    if let Some(d) = &m.label_set.description {
        println!("description    {d}");
    }
    println!("model          {}", m.model_fingerprint);
    println!("created        {} by {}", utc_timestamp(m.created_unix_s), m.created_by);
    println!(
        "labels         {} × {} dims, {:?} on disk, {} search",
        m.labels.len(),
        m.dim,
        m.embedding_dtype,
        pack.index_kind()
    );
    let shown = if all { m.labels.len() } else { m.labels.len().min(20) };
    println!();
    println!("{:<28} {:<32} {:<20} {:>7}", "id", "name", "parent", "prompts");
    for l in &m.labels[..shown] {
        println!("{:<28} {:<32} {:<20} {:>7}", l.id, l.name, l.parent.as_deref().unwrap_or("-"), l.prompts.len());
    }
    if shown < m.labels.len() {
        println!("… {} more (--all lists every label)", m.labels.len() - shown);
    }
    Ok(())
}

fn run_diff(old: &Path, new: &Path, json: bool) -> Result<()> {
    let (a, b) = (load_pack(old, None)?, load_pack(new, None)?);
    let d = a.diff(&b);
    if json {
        println!("{}", serde_json::to_string(&d)?);
        return Ok(());
    }
    for (f, x, y) in &d.header {
        println!("~ {f}: {x} -> {y}");
    }
    for id in &d.added {
        println!("+ {id}");
    }
    for id in &d.removed {
        println!("- {id}");
    }
    for (id, x, y) in &d.renamed {
        println!("r {id}: {x:?} -> {y:?}");
    }
    for (id, fields) in &d.changed {
        println!("m {id}: {}", fields.join(", "));
    }
    for (id, cos) in &d.reembedded {
        println!("e {id}: re-embedded (cosine to old {cos:.4})");
    }
    println!(
        "{} added, {} removed, {} renamed, {} changed, {} re-embedded",
        d.added.len(),
        d.removed.len(),
        d.renamed.len(),
        d.changed.len(),
        d.reembedded.len()
    );
    Ok(())
}

fn run_cache(command: CacheCommand) -> Result<()> {
    match command {
        CacheCommand::Stats { cache, json } => {
            let path = cache_path(cache);
            let stats = TextCache::open(&path)?.stats()?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "cache": path, "entries": stats.entries, "models": stats.models,
                        "bytes_on_disk": stats.bytes_on_disk, "per_model": stats.per_model,
                    })
                );
            } else {
                println!("cache     {}", path.display());
                println!(
                    "entries   {} prompts of {} model(s), {} on disk",
                    stats.entries,
                    stats.models,
                    human_bytes(stats.bytes_on_disk)
                );
                for (fp, n) in &stats.per_model {
                    println!("  {fp}  {n}");
                }
            }
        }
        CacheCommand::Clear { cache, model, fingerprint, json } => {
            let path = cache_path(cache);
            let fingerprint = match (model, fingerprint) {
                (Some(m), _) => Some(ModelFiles::discover(&m, None)?.fingerprint()?),
                (None, f) => f,
            };
            let removed = TextCache::open(&path)?.clear(fingerprint.as_deref())?;
            if json {
                println!("{}", serde_json::json!({"cache": path, "removed": removed}));
            } else {
                println!("removed {removed} entries from {}", path.display());
            }
        }
    }
    Ok(())
}

fn embed_image(model: &PeCore, path: &Path, normalize: bool) -> Result<Vec<f32>> {
    let size = u32::try_from(model.config().vision.image_size).context("image size")?;
    let img = decode_image_file(path)?;
    let pixels = preprocess_image(&img, &PreprocessConfig::pe_core(size), model.device())?.unsqueeze(0)?;
    let mut emb = model.encode_image(&pixels)?;
    if normalize {
        emb = l2_normalize(&emb)?;
    }
    Ok(emb.squeeze(0)?.to_vec1::<f32>()?)
}

/// `YYYY-MM-DD HH:MM:SS UTC` from Unix seconds (proleptic Gregorian, H. Hinnant's civil_from_days).
fn utc_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_timestamps() {
        assert_eq!(super::utc_timestamp(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc_timestamp(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(super::utc_timestamp(1_795_985_466), "2026-11-29 20:51:06 UTC");
    }
}
