//! Camera frame descriptors (`Frame` constructors, orientation, ROI) and their preprocessing
//! (`FramePreprocessor`, both resamplers): sizes, strides, formats, orientation, mirror, ROI,
//! output size.
//!
//! Input: a 36-byte descriptor, then the pixel bytes.
//!
//! ```text
//! [0]      format: low 2 bits 0 BGRA, 1 RGBA, 2 RGB, 3 NV12; bit 2 video range, bit 3 BT.709
//! [1]      flags: bit 0 mirrored, bits 1-2 orientation (0/90/180/270), bit 3 set a ROI,
//!          bit 4 the ROI is upright, bit 5 PillowExact resampler, bit 6 raw strides,
//!          bit 7 model tensor (else RGB bytes)
//! [2..6]   width, height: u16 each
//! [6..14]  bytes per row (u64): raw with bit 6, else width × bytes per pixel + (value % 64)
//! [14..22] NV12 chroma bytes per row, the same way
//! [22..30] ROI x, y, width, height: u16 each
//! [30..32] output width, height in pixels (0 is a configuration error)
//! [32..36] NV12: the luma plane is the first `split` pixel bytes (u32), chroma the rest
//! ```
//!
//! Checks on a processed frame: the output has the configured size, and a second run of the same
//! preprocessor on the same frame gives identical output (its cached plan is reused).
#![no_main]
use libfuzzer_sys::fuzz_target;
use pelabel::{
    Device, Frame, FramePreprocessor, FrameResampler, Orientation, PreprocessConfig, Roi, YuvMatrix, YuvRange,
};
use pelabel_fuzz::*;

limited_alloc!();

fn u16_at(d: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([d[at], d[at + 1]])
}

fn u64_at(d: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(d[at..at + 8].try_into().unwrap())
}

fn seeds(dir: &std::path::Path) {
    let mut rng = Rng(9);
    let mut px = |n: usize| (0..n).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>();
    // (name, format, flags, w, h, padding, roi, out)
    let cases: &[(&str, u8, u8, u16, u16, u64, [u16; 4], (u8, u8))] = &[
        ("bgra-8x6", 0, 0, 8, 6, 0, [0; 4], (4, 4)),
        ("rgba-5x7-right-mirrored-roi", 1, 0b0000_1011, 5, 7, 4, [1, 2, 3, 4], (3, 5)),
        ("rgb-9x4-down-upright-roi-exact", 2, 0b0011_1100, 9, 4, 1, [2, 1, 4, 2], (6, 2)),
        ("bgra-16x16-left-tensor", 0, 0b1000_0110, 16, 16, 0, [0; 4], (8, 8)),
        ("rgb-3x3-upscale", 2, 0b0010_0000, 3, 3, 0, [0; 4], (20, 11)),
    ];
    for &(name, format, flags, w, h, pad, roi, out) in cases {
        let bpp = [4, 4, 3][usize::from(format & 3)];
        let stride = u64::from(w) * bpp + pad;
        let mut s = frame_descriptor(format, flags, w, h, pad, 0, roi, out, 0);
        s.extend(px(stride as usize * (usize::from(h) - 1) + usize::from(w) * bpp as usize));
        seed(dir, name, &s);
    }
    // NV12: odd sizes, padded rows, both ranges and matrices.
    for (name, format, flags, w, h, pad, roi) in [
        ("nv12-7x5-full-601", 3u8, 0u8, 7u16, 5u16, 3u64, [0u16; 4]),
        ("nv12-8x6-video-709-right-roi", 3 | 4 | 8, 0b0000_1010, 8, 6, 0, [1, 1, 5, 4]),
        ("nv12-6x4-full-709-left-exact", 3 | 8, 0b0010_0110, 6, 4, 2, [0; 4]),
    ] {
        let y_stride = u64::from(w) + pad;
        let cw = u64::from(w).div_ceil(2) * 2;
        let uv_stride = cw + pad;
        let y_len = (y_stride * (u64::from(h) - 1) + u64::from(w)) as usize;
        let uv_len = (uv_stride * (u64::from(h).div_ceil(2) - 1) + cw) as usize;
        let mut s = frame_descriptor(format, flags, w, h, pad, pad, roi, (4, 4), y_len as u32);
        s.extend(px(y_len + uv_len));
        seed(dir, name, &s);
    }
}

fuzz_target!(init: maybe_write_seeds("frame", seeds), |data: &[u8]| {
    if data.len() < FRAME_HEADER_LEN {
        return;
    }
    let (d, pixels) = data.split_at(FRAME_HEADER_LEN);
    let (format, flags) = (d[0], d[1]);
    let (w, h) = (u16_at(d, 2), u16_at(d, 4));
    let raw = flags & 64 != 0;
    let stride = |at: usize, min: u64| {
        let v = u64_at(d, at);
        let s = if raw { v } else { min + v % 64 };
        usize::try_from(s).unwrap_or(usize::MAX)
    };
    let frame = match format & 3 {
        3 => {
            let range = if format & 4 != 0 { YuvRange::Video } else { YuvRange::Full };
            let matrix = if format & 8 != 0 { YuvMatrix::Bt709 } else { YuvMatrix::Bt601 };
            let split = (u32::from_le_bytes(d[32..36].try_into().unwrap()) as usize).min(pixels.len());
            let (y, uv) = pixels.split_at(split);
            let cw = u64::from(w).div_ceil(2) * 2;
            Frame::nv12(y, stride(6, w.into()), uv, stride(14, cw), w.into(), h.into(), range, matrix)
        }
        f => {
            let bpp = [4u64, 4, 3][usize::from(f)];
            let s = stride(6, u64::from(w) * bpp);
            match f {
                0 => Frame::bgra(pixels, w.into(), h.into(), s),
                1 => Frame::rgba(pixels, w.into(), h.into(), s),
                _ => Frame::rgb(pixels, w.into(), h.into(), s),
            }
        }
    };
    let Ok(frame) = frame else { return };
    let orientation = Orientation::from_clockwise_degrees(u32::from((flags >> 1) & 3) * 90).unwrap();
    let mut frame = frame.with_orientation(orientation, flags & 1 != 0);
    if flags & 8 != 0 {
        let roi = Roi::new(u16_at(d, 22).into(), u16_at(d, 24).into(), u16_at(d, 26).into(), u16_at(d, 28).into());
        let with = if flags & 16 != 0 { frame.with_upright_roi(roi) } else { frame.with_roi(roi) };
        let Ok(f) = with else { return };
        if flags & 16 != 0 {
            assert_eq!(f.upright_size(), (roi.width, roi.height), "upright ROI {roi:?} of {f:?}");
        }
        frame = f;
    }
    let (out_w, out_h) = (u32::from(d[30]), u32::from(d[31]));
    let cfg = PreprocessConfig { image_size_px: (out_h, out_w), ..PreprocessConfig::pe_core(1) };
    let Ok(pre) = FramePreprocessor::new(cfg) else {
        assert!(out_w == 0 || out_h == 0);
        return;
    };
    trace(|| format!("frame: {frame:?}"));
    let resampler = if flags & 32 != 0 { FrameResampler::PillowExact } else { FrameResampler::Fast };
    let mut pre = pre.with_resampler(resampler);
    if flags & 128 != 0 {
        let a = pre.preprocess(&frame, &Device::Cpu).expect("preprocess a valid frame");
        assert_eq!(a.dims(), &[3, out_h as usize, out_w as usize]);
        let b = pre.preprocess(&frame, &Device::Cpu).unwrap();
        let (a, b) = (a.flatten_all().unwrap().to_vec1::<f32>().unwrap(), b.flatten_all().unwrap().to_vec1::<f32>().unwrap());
        assert!(a == b && a.iter().all(|v| v.is_finite()));
    } else {
        let a = pre.to_rgb(&frame).expect("RGB of a valid frame");
        assert_eq!((a.width(), a.height()), (out_w, out_h));
        let b = pre.to_rgb(&frame).unwrap();
        assert_eq!(a.as_raw(), b.as_raw(), "second run differs");
    }
});
