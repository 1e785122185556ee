//! PyTorch checkpoints (`.pt`, sdk feature `pytorch`): zip archive, the bounded pickle VM,
//! tensor storages, shapes, strides and offsets, read through `ModelFiles::discover` and
//! `VisionTower::load` with the tiny model's `config.json`.
//!
//! Input, first byte `0`: the rest is the `.pt` file. First byte `1`: the rest is the archive's
//! parts, which the target zips as `torch.save` does (so mutations of the pickle are not lost to
//! the zip CRC): `u32 len, data.pkl`, then entries `u8 len, name, u32 len, bytes` stored as
//! `archive/data/<name>`, plus `archive/byteorder` = `little`.
#![no_main]
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pelabel::{Device, ModelFiles, VisionTower};
use pelabel_fuzz::*;

limited_alloc!();

/// A directory holding the tiny model's `config.json`; the input is written beside it.
fn workdir() -> &'static (tempfile::TempDir, PathBuf) {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join(pelabel::CONFIG_FILE), TINY_CONFIG_JSON).expect("config");
        let pt = dir.path().join("model.pt");
        (dir, pt)
    })
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if data.len() < n {
        return None;
    }
    let (head, rest) = data.split_at(n);
    *data = rest;
    Some(head)
}

fn take_u32(data: &mut &[u8]) -> Option<usize> {
    Some(u32::from_le_bytes(take(data, 4)?.try_into().ok()?) as usize)
}

/// Zips the parts of a mode-1 input; `None` when the framing is cut short.
fn zip_parts(mut data: &[u8]) -> Option<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let n = take_u32(&mut data)?;
    let pickle = take(&mut data, n)?;
    zip.start_file("archive/data.pkl", stored).ok()?;
    zip.write_all(pickle).ok()?;
    zip.start_file("archive/byteorder", stored).ok()?;
    zip.write_all(b"little").ok()?;
    let mut names = std::collections::HashSet::new();
    while !data.is_empty() {
        let n = *take(&mut data, 1)?.first()? as usize;
        let name = String::from_utf8_lossy(take(&mut data, n)?).into_owned();
        let len = take_u32(&mut data)?;
        let bytes = take(&mut data, len)?;
        if names.insert(name.clone()) {
            zip.start_file(format!("archive/data/{name}"), stored).ok()?;
            zip.write_all(bytes).ok()?;
        }
    }
    Some(zip.finish().ok()?.into_inner())
}

fuzz_target!(init: maybe_write_seeds("pt", |_| {
    eprintln!("pt seeds are made with PyTorch: python3 fuzz/make_pt_seeds.py");
}), |data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let file = match mode {
        0 => rest.to_vec(),
        1 => match zip_parts(rest) {
            Some(f) => f,
            None => return,
        },
        _ => return,
    };
    let (_, pt) = workdir();
    std::fs::write(pt, &file).expect("write the input");
    let Ok(files) = ModelFiles::discover(pt, None) else { return };
    let tower = VisionTower::load(&files, &Device::Cpu);
    trace(|| format!("loaded: {:?}", tower.as_ref().map(|_| ())));
    if let Ok(tower) = tower {
        assert_eq!(tower.config().output_dim, TINY_DIM);
    }
});
