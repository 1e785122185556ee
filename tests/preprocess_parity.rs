//! Golden parity of the preprocessing: `decode_image_file` → `resize_squash` → `to_tensor` must
//! reproduce the official PE eval transform (Pillow bilinear squash, mean/std 0.5) exactly at the
//! uint8 level and within 1e-6 in f32, on every fixture image and size; and `resize_squash` must
//! match Pillow 13 on the mode-rule cases of `tests/fixtures/pillow-resize`.

use std::path::Path;

use candle_core::Device;
use pelabel::{decode_image_file, preprocess_image, resize_squash, to_tensor, PixelLayout, PreprocessConfig};
use pelabel_tests::{fixtures_dir, load_expected, load_expected_json, shared_fixtures_dir, Array};

/// Recovers the uint8 level of a normalised value: `u = round((x + 1)·127.5)`.
fn level(x: f32) -> u8 {
    let u = ((x as f64 + 1.0) * 127.5).round();
    assert!((0.0..=255.0).contains(&u), "value {x} is outside [-1, 1]");
    u as u8
}

/// Checks rows of a `[N, 3, H, W]` fixture array against our pipeline on `images[i]` for each
/// row. `name` labels failures.
fn check_rows(name: &str, pe_dir: &Path, expected: &Array, images: &[String]) {
    let [n, c, h, w] = expected.shape[..] else { panic!("{name}: shape {:?} is not [N,3,H,W]", expected.shape) };
    assert_eq!((n, c), (images.len(), 3), "{name}: rows vs images");
    let cfg = PreprocessConfig { image_size_px: (h as u32, w as u32), ..PreprocessConfig::pe_core(1) };
    let plane = h * w;
    for (row, file) in images.iter().enumerate() {
        let want = &expected.data[row * 3 * plane..(row + 1) * 3 * plane];
        let img = decode_image_file(&pe_dir.join(file)).unwrap();
        // uint8 level: exact.
        let rgb = resize_squash(&img, w as u32, h as u32).unwrap();
        assert_eq!((rgb.width(), rgb.height()), (w as u32, h as u32));
        let mut mismatches = Vec::new();
        for (i, px) in rgb.as_raw().chunks_exact(3).enumerate() {
            for ch in 0..3 {
                let expect = level(want[ch * plane + i]);
                if px[ch] != expect {
                    mismatches.push((i % w, i / w, ch, px[ch], expect));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "{name} row {row} ({file}): {} of {} uint8 values differ; first (x, y, channel, ours, official): {:?}",
            mismatches.len(),
            3 * plane,
            &mismatches[..mismatches.len().min(8)]
        );
        // f32 tensor: within 1e-6, both through to_tensor and the one-call preprocess_image.
        for (how, t) in [
            ("to_tensor", to_tensor(&rgb, &cfg, &Device::Cpu).unwrap()),
            ("preprocess_image", preprocess_image(&img, &cfg, &Device::Cpu).unwrap()),
        ] {
            assert_eq!(t.dims(), &[3, h, w], "{name} row {row} {how}");
            let got: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
            let diff = pelabel_tests::max_abs_diff(&got, want);
            assert!(diff <= 1e-6, "{name} row {row} ({file}) {how}: max |diff| {diff}");
        }
    }
}

/// Image file names (relative to the `pe-core` directory) of each row of `pixel_values`.
fn row_images(config_dir: &Path) -> Vec<String> {
    let json = load_expected_json(config_dir);
    let files: Vec<String> =
        json["images"].as_array().unwrap().iter().map(|i| i["file"].as_str().unwrap().to_string()).collect();
    let indices = json["image_indices"].as_array().unwrap();
    assert_eq!(indices.len(), files.len(), "image_indices vs images");
    files
}

#[test]
fn tiny_pixel_values_are_exact() {
    for config in ["tiny", "tiny-nocls"] {
        let dir = fixtures_dir().join(config);
        let expected = load_expected(&dir);
        check_rows(config, &fixtures_dir(), &expected["pixel_values"], &row_images(&dir));
    }
}

#[test]
fn offgrid_pixel_values_are_exact() {
    let dir = fixtures_dir().join("tiny");
    let expected = load_expected(&dir);
    let offgrid = &expected["offgrid_pixel_values"];
    assert_eq!(offgrid.shape, vec![1, 3, 90, 120], "offgrid is image 0 squashed to H=90 × W=120");
    let json = load_expected_json(&dir);
    assert_eq!(json["offgrid"]["input_hw"], serde_json::json!([90, 120]));
    let image0 = json["images"][0]["file"].as_str().unwrap().to_string();
    check_rows("tiny offgrid", &fixtures_dir(), offgrid, &[image0]);
}

#[test]
fn t16_384_pixel_values_are_exact() {
    let Some(shared) = shared_fixtures_dir() else { return };
    let dir = shared.join("t16-384-l2");
    let expected = load_expected(&dir);
    assert_eq!(expected["pixel_values"].shape, vec![3, 3, 384, 384]);
    check_rows("t16-384-l2", &shared, &expected["pixel_values"], &row_images(&dir));
}

#[test]
fn fixture_images_decode_to_their_pillow_modes() {
    let dir = fixtures_dir().join("images");
    let cases = [
        ("img0_gradient_shapes_500x375.png", 500, 375, PixelLayout::Rgb),
        ("img1_noise_300x300.png", 300, 300, PixelLayout::Rgb),
        ("img2_stripes_64x200.png", 64, 200, PixelLayout::Rgb),
        ("img3_gray_checker_120x90.png", 120, 90, PixelLayout::Gray),
    ];
    for (file, w, h, layout) in cases {
        let img = decode_image_file(&dir.join(file)).unwrap();
        assert_eq!((img.width(), img.height(), img.layout()), (w, h, layout), "{file}");
        assert!(!img.uses_nearest_resize(), "{file}");
    }
}

#[test]
fn pillow_mode_rules_and_pass_order_are_exact() {
    let dir = fixtures_dir().parent().unwrap().join("pillow-resize");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let cases = cases.as_array().unwrap();
    assert!(cases.len() >= 50, "cases.json lists {} cases", cases.len());
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let (w, h) = (case["width"].as_u64().unwrap() as u32, case["height"].as_u64().unwrap() as u32);
        let label = format!("{input} ({}) → {w}×{h}", case["pillow_mode"].as_str().unwrap());
        let img = decode_image_file(&dir.join(input)).unwrap();
        let mode = case["pillow_mode"].as_str().unwrap();
        assert_eq!(img.uses_nearest_resize(), mode == "P" || mode == "1", "{label}");
        let ours = resize_squash(&img, w, h).unwrap();
        let want = image::open(dir.join(case["expected"].as_str().unwrap())).unwrap().into_rgb8();
        assert_eq!(want.dimensions(), (w, h), "{label}");
        let differ = ours.as_raw().iter().zip(want.as_raw()).filter(|(a, b)| a != b).count();
        let max = ours.as_raw().iter().zip(want.as_raw()).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(0);
        assert_eq!(differ, 0, "{label}: {differ} of {} values differ (max {max})", want.as_raw().len());
    }
}
