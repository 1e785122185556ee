//! Labelled image datasets for evaluation and calibration: a folder per label, or a JSON, JSON
//! Lines or CSV list of (image, labels).
//!
//! Formats (image paths relative to the list file's folder, or absolute):
//! - **folder**: `DIR/<label id>/<image>`: every image file (PNG, JPEG, WebP by extension)
//!   directly inside a subfolder is labelled with the subfolder's name; other files are skipped
//!   and counted.
//! - **JSON**: `[{"image": "a.png", "labels": ["dog", "ball"]}, ...]` or `{"items": [...]}`;
//!   `"label": "dog"` is accepted for one label; other keys are ignored. `"labels": []` is an
//!   image that shows none of the pack's labels (it can only produce false positives).
//! - **JSON Lines** (`.jsonl`): one such object per line.
//! - **CSV** (`.csv`): a header with an `image` column and a `labels` (or `label`) column;
//!   several labels separated by `;`.
//!
//! Every mistake is an [`Error::Dataset`] naming the file, the line (0 when not applicable) and
//! what is wrong; sizes are bounded by [`DatasetOptions`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Limits on reading a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetOptions {
    /// Largest list file read, in bytes. Default 512 MiB.
    pub max_file_bytes: u64,
    /// Most images. Default 10 000 000.
    pub max_items: usize,
    /// Most labels of one image. Default 256.
    pub max_labels_per_image: usize,
}

impl Default for DatasetOptions {
    fn default() -> Self {
        Self { max_file_bytes: 512 << 20, max_items: 10_000_000, max_labels_per_image: 256 }
    }
}

/// One labelled image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetItem {
    /// The image file.
    pub image: PathBuf,
    /// Ids of the labels it shows (distinct, in the order given; may be empty).
    pub labels: Vec<String>,
}

/// A labelled image dataset, in a fixed order (folder datasets: sorted by label, then file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Where it was read from.
    pub source: PathBuf,
    /// The images.
    pub items: Vec<DatasetItem>,
    /// Files of a folder dataset that are not images (by extension) and were skipped.
    pub skipped_files: usize,
}

const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "webp"];

impl Dataset {
    /// Reads a dataset with the default [`DatasetOptions`]: a directory is a folder dataset;
    /// a file is read by its extension (`.json`, `.jsonl`, `.csv`).
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, &DatasetOptions::default())
    }

    /// [`Dataset::load`] with explicit limits.
    pub fn load_with(path: &Path, options: &DatasetOptions) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let (items, skipped_files) = if meta.is_dir() {
            read_folders(path, options)?
        } else {
            let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
            let bytes = Error::read_file_capped(
                path,
                options.max_file_bytes,
                "dataset file size (bytes)",
                "DatasetOptions::max_file_bytes",
            )?;
            let text = std::str::from_utf8(&bytes).map_err(|e| bad(path, 0, format!("not UTF-8: {e}")))?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let base = path.parent().unwrap_or(Path::new(""));
            let rows = match ext.as_deref() {
                Some("json") => read_json(text, path)?,
                Some("jsonl") => read_json_lines(text, path)?,
                Some("csv") => read_csv(text, path)?,
                _ => {
                    return Err(bad(
                        path,
                        0,
                        "unknown dataset format: give a folder of label folders, or a .json, .jsonl or .csv file"
                            .into(),
                    ))
                }
            };
            let mut items = Vec::with_capacity(rows.len());
            for (line, image, labels) in rows {
                if items.len() >= options.max_items {
                    return Err(too_many(path, "images in the dataset", items.len() as u64 + 1, options));
                }
                items.push(item(path, line, base, &image, labels, options)?);
            }
            (items, 0)
        };
        if items.is_empty() {
            return Err(bad(path, 0, "the dataset has no images".into()));
        }
        Ok(Self { source: path.to_path_buf(), items, skipped_files })
    }

    /// Every label id the dataset uses, sorted.
    pub fn label_ids(&self) -> BTreeSet<&str> {
        self.items.iter().flat_map(|i| i.labels.iter().map(String::as_str)).collect()
    }
}

fn bad(path: &Path, line: usize, reason: String) -> Error {
    Error::Dataset { path: path.to_path_buf(), line, reason }
}

fn too_many(path: &Path, what: &'static str, found: u64, options: &DatasetOptions) -> Error {
    let (limit, setting) = match what {
        "images in the dataset" => (options.max_items as u64, "DatasetOptions::max_items"),
        _ => (options.max_labels_per_image as u64, "DatasetOptions::max_labels_per_image"),
    };
    Error::LimitExceeded { source_name: path.display().to_string(), what, found, limit, setting }
}

/// Validates one row: a non-empty image path (joined to `base` when relative) and distinct,
/// non-blank labels without control characters.
fn item(
    path: &Path,
    line: usize,
    base: &Path,
    image: &str,
    labels: Vec<String>,
    options: &DatasetOptions,
) -> Result<DatasetItem> {
    let image = image.trim();
    if image.is_empty() {
        return Err(bad(path, line, "empty image path".into()));
    }
    if labels.len() > options.max_labels_per_image {
        return Err(too_many(path, "labels of one image", labels.len() as u64, options));
    }
    let mut out: Vec<String> = Vec::with_capacity(labels.len());
    for l in labels {
        let l = l.trim();
        if l.is_empty() {
            return Err(bad(path, line, format!("image {image:?}: a blank label")));
        }
        if l.chars().any(char::is_control) {
            return Err(bad(path, line, format!("image {image:?}: label {l:?} has a control character")));
        }
        if !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    }
    let p = Path::new(image);
    let image = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
    Ok(DatasetItem { image, labels: out })
}

type Row = (usize, String, Vec<String>);

fn read_folders(dir: &Path, options: &DatasetOptions) -> Result<(Vec<DatasetItem>, usize)> {
    let list = |d: &Path| -> Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| Error::io(d, e))?
            .map(|e| e.map(|e| e.path()).map_err(|e| Error::io(d, e)))
            .collect::<Result<_>>()?;
        v.sort();
        Ok(v)
    };
    let hidden = |p: &Path| p.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.'));
    let mut items = Vec::new();
    let mut skipped = 0;
    for sub in list(dir)? {
        if hidden(&sub) {
            continue;
        }
        if !sub.is_dir() {
            skipped += 1;
            continue;
        }
        let label = sub.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        for f in list(&sub)? {
            let is_image = f
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if hidden(&f) {
                continue;
            }
            if !f.is_file() || !is_image {
                skipped += 1;
                continue;
            }
            if items.len() >= options.max_items {
                return Err(too_many(dir, "images in the dataset", items.len() as u64 + 1, options));
            }
            items.push(DatasetItem { image: f, labels: vec![label.clone()] });
        }
    }
    Ok((items, skipped))
}

#[derive(Deserialize)]
struct JsonItem {
    image: String,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    label: Option<String>,
}

fn json_labels(path: &Path, line: usize, j: JsonItem) -> Result<Row> {
    let labels = match (j.labels, j.label) {
        (Some(l), None) => l,
        (None, Some(l)) => vec![l],
        (None, None) => return Err(bad(path, line, format!("image {:?}: no \"labels\" (or \"label\")", j.image))),
        (Some(_), Some(_)) => {
            return Err(bad(path, line, format!("image {:?}: both \"labels\" and \"label\"", j.image)))
        }
    };
    Ok((line, j.image, labels))
}

fn read_json(text: &str, path: &Path) -> Result<Vec<Row>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Top {
        List(Vec<serde_json::Value>),
        Object { items: Vec<serde_json::Value> },
    }
    let top: Top = serde_json::from_str(text).map_err(|e| {
        bad(
            path,
            e.line(),
            format!("{e} (expected a list of {{\"image\", \"labels\"}} objects or {{\"items\": [...]}})"),
        )
    })?;
    let values = match top {
        Top::List(v) | Top::Object { items: v } => v,
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let j: JsonItem =
                serde_json::from_value(v).map_err(|e| bad(path, 0, format!("item {} (0-based {i}): {e}", i + 1)))?;
            json_labels(path, 0, j)
        })
        .collect()
}

fn read_json_lines(text: &str, path: &Path) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let j: JsonItem = serde_json::from_str(line).map_err(|e| bad(path, i + 1, e.to_string()))?;
        rows.push(json_labels(path, i + 1, j)?);
    }
    Ok(rows)
}

fn read_csv(text: &str, path: &Path) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| bad(path, 1, e.to_string()))?.clone();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
    let image_col = col(&["image"]).ok_or_else(|| bad(path, 1, "no `image` column in the header".into()))?;
    let labels_col = col(&["labels", "label"])
        .ok_or_else(|| bad(path, 1, "no `labels` (or `label`) column in the header".into()))?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            bad(path, line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let image = record.get(image_col).unwrap_or_default().to_string();
        let labels: Vec<String> = record
            .get(labels_col)
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        rows.push((line, image, labels));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn the_three_list_formats_read_the_same_items() {
        let dir = tempfile::tempdir().unwrap();
        let json = write(
            dir.path(),
            "d.json",
            r#"[{"image": "a.png", "labels": ["dog", "ball", "dog"]}, {"image": "/abs/b.jpg", "label": "cat", "extra": 1}, {"image": "c.png", "labels": []}]"#,
        );
        let wrapped = write(
            dir.path(),
            "w.json",
            r#"{"items": [{"image": "a.png", "labels": ["dog", "ball"]}, {"image": "/abs/b.jpg", "labels": ["cat"]}, {"image": "c.png", "labels": []}]}"#,
        );
        let jsonl = write(
            dir.path(),
            "d.jsonl",
            "{\"image\": \"a.png\", \"labels\": [\"dog\", \"ball\"]}\n\n{\"image\": \"/abs/b.jpg\", \"label\": \"cat\"}\n{\"image\": \"c.png\", \"labels\": []}\n",
        );
        let csv = write(dir.path(), "d.csv", "image,labels\na.png,dog; ball\n/abs/b.jpg,cat\n\"c.png\",\n");
        let expected = vec![
            DatasetItem { image: dir.path().join("a.png"), labels: vec!["dog".into(), "ball".into()] },
            DatasetItem { image: PathBuf::from("/abs/b.jpg"), labels: vec!["cat".into()] },
            DatasetItem { image: dir.path().join("c.png"), labels: vec![] },
        ];
        for p in [json, wrapped, jsonl, csv] {
            let d = Dataset::load(&p).unwrap();
            assert_eq!(d.items, expected, "{}", p.display());
            assert_eq!(d.label_ids().into_iter().collect::<Vec<_>>(), ["ball", "cat", "dog"]);
        }
    }

    #[test]
    fn a_folder_per_label_in_sorted_order_skipping_other_files() {
        let dir = tempfile::tempdir().unwrap();
        for (label, files) in [("dog", &["b.PNG", "a.jpg", "notes.txt", ".DS_Store"][..]), ("cat", &["x.webp"][..])] {
            std::fs::create_dir(dir.path().join(label)).unwrap();
            for f in files {
                std::fs::write(dir.path().join(label).join(f), b"x").unwrap();
            }
        }
        std::fs::write(dir.path().join("README.md"), b"x").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let d = Dataset::load(dir.path()).unwrap();
        let got: Vec<(String, Vec<String>)> = d
            .items
            .iter()
            .map(|i| (i.image.strip_prefix(dir.path()).unwrap().display().to_string(), i.labels.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("cat/x.webp".to_string(), vec!["cat".to_string()]),
                ("dog/a.jpg".into(), vec!["dog".into()]),
                ("dog/b.PNG".into(), vec!["dog".into()])
            ]
        );
        assert_eq!(d.skipped_files, 2, "notes.txt and README.md (hidden files are not counted)");
    }

    #[test]
    fn mistakes_are_typed_errors_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, &str, usize, &str)] = &[
            ("a.csv", "img,labels\na.png,dog\n", 1, "no `image` column"),
            ("b.csv", "image,labels\na.png,dog\n,cat\n", 3, "empty image path"),
            ("c.csv", "image,labels\na.png,dog,extra\n", 2, "fields"),
            ("d.jsonl", "{\"image\": \"a.png\", \"labels\": [\"dog\"]}\n{\"image\": \"b.png\"}\n", 2, "no \"labels\""),
            ("e.jsonl", "{\"image\": \"a.png\", \"labels\": [\"\\u0007\"]}\n", 1, "control character"),
            ("f.json", "[{\"image\": 5, \"labels\": []}]", 0, "item 1"),
            ("g.json", "{\"image\": \"a\"", 1, "expected a list"),
            ("h.json", "[]", 0, "no images"),
            ("i.txt", "a.png dog", 0, "unknown dataset format"),
            ("j.jsonl", "{\"image\": \"a.png\", \"labels\": [\"  \"]}\n", 1, "blank label"),
        ];
        for (name, text, line, needle) in cases {
            let p = write(dir.path(), name, text);
            match Dataset::load(&p) {
                Err(Error::Dataset { line: l, reason, .. }) => {
                    assert_eq!(l, *line, "{name}: {reason}");
                    assert!(reason.contains(needle), "{name}: {reason}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(Dataset::load(&empty), Err(Error::Dataset { .. })));
        assert!(matches!(Dataset::load(&dir.path().join("missing.csv")), Err(Error::Io { .. })));
    }

    #[test]
    fn limits_hold() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "d.csv", "image,labels\na.png,a;b;c\nb.png,a\nc.png,a\n");
        let tight = DatasetOptions { max_labels_per_image: 2, ..DatasetOptions::default() };
        assert!(matches!(Dataset::load_with(&p, &tight), Err(Error::LimitExceeded { found: 3, limit: 2, .. })));
        let few = DatasetOptions { max_items: 2, ..DatasetOptions::default() };
        assert!(matches!(Dataset::load_with(&p, &few), Err(Error::LimitExceeded { limit: 2, .. })));
        let small = DatasetOptions { max_file_bytes: 10, ..DatasetOptions::default() };
        assert!(matches!(Dataset::load_with(&p, &small), Err(Error::LimitExceeded { limit: 10, .. })));
    }
}
