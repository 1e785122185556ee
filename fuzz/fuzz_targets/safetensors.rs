//! Image-tower weights from memory (`Labeler::from_bytes`): safetensors header JSON, tensor
//! names, dtypes, shapes and offsets, the fingerprint metadata, non-finite values.
//!
//! Input: the bytes of an `image-tower.safetensors`, loaded with the tiny model's config. An input
//! starting with `{` is the header JSON up to the first NUL byte, then the tensor data: the
//! target writes the header's length in front, so that mutations of the JSON keep the framing. A file
//! recording another fingerprint than the pack's fails with `ModelMismatch` after it has been
//! fully loaded; the target then retries with a pack for that fingerprint, so the session is
//! built and run.
//!
//! Checks on an accepted file: labeling an 8×8 image returns a typed result (the weights may be
//! garbage, e.g. all NaN: that must be an error, not a panic), with finite scores when it succeeds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pelabel::{Error, Image8, LabelOptions, LabelOutcome, Labeler, LabelerOptions, PixelLayout};
use pelabel_fuzz::*;

limited_alloc!();

fn seeds(dir: &std::path::Path) {
    let tower = &tiny_model().image_tower;
    seed(dir, "tiny-image-tower-f16.safetensors", tower);
    let n = u64::from_le_bytes(tower[..8].try_into().unwrap()) as usize;
    let mut json = tower[8..8 + n].to_vec();
    json.push(0);
    json.extend_from_slice(&tower[8 + n..]);
    seed(dir, "tiny-image-tower-f16.json-sections", &json);
    // The official-layout f32 checkpoint has no fingerprint: refused with a typed error.
    seed(dir, "tiny-checkpoint-f32-no-fingerprint.safetensors", &tiny_model().checkpoint);
}

/// The safetensors file of an input (see the module docs).
fn file(data: &[u8]) -> Vec<u8> {
    if data.first() != Some(&b'{') {
        return data.to_vec();
    }
    let nul = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let mut out = (nul as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&data[..nul]);
    out.extend_from_slice(data.get(nul + 1..).unwrap_or_default());
    out
}

fuzz_target!(init: maybe_write_seeds("safetensors", seeds), |data: &[u8]| {
    let data = file(data);
    let data = data.as_slice();
    let options = LabelerOptions::default();
    let labeler = match Labeler::from_bytes(data.to_vec(), TINY_CONFIG_JSON, tiny_pack(3, usize::MAX), &options) {
        Ok(l) => l,
        Err(Error::ModelMismatch { model, .. }) => {
            let mut pack_meta = tiny_pack(3, usize::MAX).meta().clone();
            pack_meta.model_fingerprint = model;
            let vectors = Rng(5).unit_vectors(3, TINY_DIM);
            let pack = pelabel::LabelPack::new(pack_meta, vectors, &Default::default()).unwrap();
            match Labeler::from_bytes(data.to_vec(), TINY_CONFIG_JSON, pack, &options) {
                Ok(l) => l,
                Err(_) => return,
            }
        }
        Err(_) => return,
    };
    trace(|| "labeler built".into());
    let pixels: Vec<u8> = (0..8 * 8 * 3).map(|i| (i * 37 % 251) as u8).collect();
    let image = Image8::from_raw(8, 8, PixelLayout::Rgb, pixels).unwrap();
    let result = labeler.label_image(&image, &LabelOptions::default());
    trace(|| format!("labeled: {result:?}"));
    if let Ok(out) = result {
        let labels = match &out {
            LabelOutcome::Recognised { labels } => labels.as_slice(),
            LabelOutcome::NothingRecognised { best } => best.as_slice(),
        };
        assert!(labels.iter().all(|l| l.score.is_finite() && l.probability.is_finite()), "{labels:?}");
    }
});
