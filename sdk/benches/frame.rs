//! Camera-frame preprocessing latency: a 1920×1080 frame → `[3, 384, 384]` tensor (T16-384's
//! input), as BGRA8 with padded rows and as NV12 (video range, BT.709), upright and rotated 90°
//! (a phone held in portrait), through one kept `FramePreprocessor` per resampler (`Fast`, the
//! default, and `PillowExact`); plus the decoded-image path (`preprocess_image` on the same
//! picture as RGB) for comparison.
//!
//! `cargo bench -p pelabel --bench frame` (add `-- --quick` for a short run). One core.

use criterion::{criterion_group, criterion_main, Criterion};
use pelabel::{
    preprocess_image, Device, Frame, FramePreprocessor, FrameResampler, Image8, Orientation, PixelLayout,
    PreprocessConfig, YuvMatrix, YuvRange,
};

const W: usize = 1920;
const H: usize = 1080;
const SIZE: u32 = 384;

/// A deterministic picture with gradients and texture, R, G, B per pixel.
fn picture() -> Vec<u8> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..W * H * 3)
        .map(|i| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let (p, c) = (i / 3, i % 3);
            let (x, y) = (p % W, p / W);
            ((x * 255 / W * (c + 1) + y * 255 / H * (3 - c)) / 4 + (s >> 59) as usize * 4) as u8
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rgb = picture();
    let cfg = PreprocessConfig::pe_core(SIZE);
    let dev = Device::Cpu;

    // BGRA with 64 bytes of padding per row.
    let stride = W * 4 + 64;
    let mut bgra = vec![0u8; stride * H];
    for (p, px) in rgb.chunks_exact(3).enumerate() {
        let d = (p / W) * stride + (p % W) * 4;
        bgra[d..d + 4].copy_from_slice(&[px[2], px[1], px[0], 255]);
    }
    // NV12 planes (any content will do for timing; the values come from the picture).
    let (ys, uvs) = (W + 64, W + 64);
    let mut y = vec![0u8; ys * H];
    let mut uv = vec![128u8; uvs * H / 2];
    for (p, px) in rgb.chunks_exact(3).enumerate() {
        let (x, r) = (p % W, p / W);
        let (rr, gg, bb) = (f32::from(px[0]), f32::from(px[1]), f32::from(px[2]));
        y[r * ys + x] = (16.0 + 0.1826 * rr + 0.6142 * gg + 0.0620 * bb) as u8;
        if x % 2 == 0 && r % 2 == 0 {
            uv[(r / 2) * uvs + x] = (128.0 - 0.1006 * rr - 0.3386 * gg + 0.4392 * bb) as u8;
            uv[(r / 2) * uvs + x + 1] = (128.0 + 0.4392 * rr - 0.3989 * gg - 0.0403 * bb) as u8;
        }
    }

    let mut group = c.benchmark_group("frame 1920x1080 -> 384");
    for resampler in [FrameResampler::Fast, FrameResampler::PillowExact] {
        let mut prep = FramePreprocessor::new(cfg).unwrap().with_resampler(resampler);
        for (name, orientation) in [("upright", Orientation::Up), ("rotated 90", Orientation::Right)] {
            let frame = Frame::bgra(&bgra, W as u32, H as u32, stride).unwrap().with_orientation(orientation, false);
            group.bench_function(format!("{resampler:?} bgra {name}"), |b| {
                b.iter(|| prep.preprocess(&frame, &dev).unwrap())
            });
            let frame = Frame::nv12(&y, ys, &uv, uvs, W as u32, H as u32, YuvRange::Video, YuvMatrix::Bt709)
                .unwrap()
                .with_orientation(orientation, false);
            group.bench_function(format!("{resampler:?} nv12 {name}"), |b| {
                b.iter(|| prep.preprocess(&frame, &dev).unwrap())
            });
        }
    }
    let image = Image8::from_raw(W as u32, H as u32, PixelLayout::Rgb, rgb.clone()).unwrap();
    group.bench_function("decoded rgb image (preprocess_image)", |b| {
        b.iter(|| preprocess_image(&image, &cfg, &dev).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
