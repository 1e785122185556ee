//! The bundled label sets in `label-sets/` parse, have the documented sizes, and are sound:
//! unique ids, resolvable parents, a non-empty prompt list for every label.

use std::collections::HashSet;
use std::path::PathBuf;

use pelabel::{Error, LabelSet, LabelSetOptions, DEFAULT_TEMPLATE};
use pelabel_tests::repo_root;

fn label_sets_dir() -> PathBuf {
    repo_root().join("label-sets")
}

fn load(file: &str) -> LabelSet {
    let path = label_sets_dir().join(file);
    LabelSet::from_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every `*.toml` under `label-sets/`, recursively, sorted.
fn all_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![label_sets_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_bundled_set_parses_and_is_sound() {
    let files = all_files();
    let names: Vec<_> = files.iter().filter_map(|p| p.file_name()?.to_str()).collect();
    for expected in ["coco-80.toml", "everyday.toml", "imagenet-1k.toml"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let mut set_names = HashSet::new();
    for path in &files {
        let set = LabelSet::from_file(path).unwrap_or_else(|e| panic!("{e}"));
        set.validate().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(set_names.insert(set.name.clone()), "two bundled sets are named {:?}", set.name);
        // The set name is the file stem, so `pelabel compile label-sets/X.toml` is predictable.
        assert_eq!(Some(set.name.as_str()), path.file_stem().and_then(|s| s.to_str()), "{}", path.display());
        assert!(set.description.as_deref().is_some_and(|d| !d.is_empty()), "{}: no description", path.display());

        let mut ids = HashSet::new();
        for label in &set.labels {
            assert!(ids.insert(label.id.as_str()), "{}: duplicate id {}", path.display(), label.id);
        }
        for (label, parent) in set.labels.iter().zip(set.parent_indices()) {
            assert_eq!(
                label.parent.is_some(),
                parent.is_some(),
                "{}: parent of {} unresolved",
                path.display(),
                label.id
            );
            // Ancestor chains end (no cycles) and never contain the label itself.
            let ancestors = set.ancestors(&label.id);
            assert!(ancestors.len() < set.labels.len());
            assert!(ancestors.iter().all(|a| a.id != label.id));
        }
        for (label, prompts) in set.labels.iter().zip(set.all_prompts()) {
            assert!(!prompts.is_empty(), "{}: {} has no prompt", path.display(), label.id);
            assert!(prompts.iter().all(|p| !p.contains("{}")), "{}: unfilled template in {prompts:?}", path.display());
            // Catches hand-writing slips such as a stray space in a name or template.
            for p in &prompts {
                assert!(
                    p.trim() == p && !p.contains("  "),
                    "{}: prompt {p:?} of {} has stray spaces",
                    path.display(),
                    label.id
                );
            }
        }
    }
}

#[test]
fn coco_has_the_80_categories_in_category_order() {
    let set = load("coco-80.toml");
    assert_eq!(set.labels.len(), 80);
    assert_eq!(set.name, "coco-80");
    let first: Vec<_> = set.labels.iter().take(5).map(|l| l.id.as_str()).collect();
    assert_eq!(first, ["person", "bicycle", "car", "motorcycle", "airplane"]);
    assert_eq!(set.labels.last().map(|l| l.id.as_str()), Some("toothbrush"));
    // Names as COCO spells them.
    for (id, name) in
        [("traffic_light", "traffic light"), ("tv", "tv"), ("hair_drier", "hair drier"), ("couch", "couch")]
    {
        assert_eq!(set.label(id).map(|l| l.name.as_str()), Some(name));
    }
    let names: HashSet<_> = set.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names.len(), 80, "COCO names are unique");
    assert!(set.templates.len() >= 3 && set.templates.contains(&DEFAULT_TEMPLATE.to_string()));
    // `mouse` is the computer mouse in COCO; the synonym says so.
    let mouse = set.prompts_for(set.index_of("mouse").unwrap()).unwrap();
    assert!(mouse.contains(&"a photo of a computer mouse.".to_string()), "{mouse:?}");
}

#[test]
fn imagenet_has_1000_classes_and_the_80_clip_templates() {
    let set = load("imagenet-1k.toml");
    assert_eq!(set.labels.len(), 1000);
    assert_eq!(set.templates.len(), 80);
    assert_eq!(set.templates.iter().collect::<HashSet<_>>().len(), 80);
    assert_eq!(set.templates[0], "a bad photo of a {}.");
    assert_eq!(set.templates[79], "a tattoo of the {}.");
    // WordNet ids in class-index order.
    assert!(set.labels.iter().all(|l| l.id.len() == 9 && l.id.starts_with('n')));
    let (first, last) = (&set.labels[0], &set.labels[999]);
    assert_eq!((first.id.as_str(), first.name.as_str()), ("n01440764", "tench"));
    assert_eq!((last.id.as_str(), last.name.as_str()), ("n15075141", "toilet paper"));
    assert_eq!(set.label("n02099601").map(|l| l.name.as_str()), Some("Golden Retriever"));
    // The standard ensemble: exactly the 80 templates per class, nothing else.
    let prompts = set.all_prompts();
    assert!(prompts.iter().all(|p| p.len() == 80));
    assert_eq!(prompts[0][0], "a bad photo of a tench.");
}

#[test]
fn everyday_is_about_150_labels_with_a_hierarchy() {
    let set = load("everyday.toml");
    assert!((140..=170).contains(&set.labels.len()), "{} labels", set.labels.len());
    let ancestry: Vec<_> = set.ancestors("golden_retriever").iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ancestry, ["dog", "pet", "animal"]);
    let ancestry: Vec<_> = set.ancestors("cracked_phone_screen").iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ancestry, ["phone_screen", "screen"]);
    for id in ["receipt", "golden_retriever", "cracked_phone_screen", "pizza", "sofa", "traffic_light", "laptop"] {
        assert!(set.label(id).is_some(), "everyday lacks {id}");
    }
    let with_parent = set.labels.iter().filter(|l| l.parent.is_some()).count();
    let with_synonyms = set.labels.iter().filter(|l| !l.synonyms.is_empty()).count();
    let with_threshold = set.labels.iter().filter(|l| l.min_score.is_some()).count();
    assert!(with_parent >= set.labels.len() / 2, "{with_parent} labels have a parent");
    assert!(with_synonyms >= set.labels.len() / 3, "{with_synonyms} labels have synonyms");
    assert!(with_threshold >= 3, "{with_threshold} labels have a min_score");
    assert!(set.children("dog").len() >= 5);
}

#[test]
fn readme_example_is_valid() {
    // The complete example in label-sets/README.md is the first ```toml block.
    let readme = std::fs::read_to_string(label_sets_dir().join("README.md")).unwrap();
    let start = readme.find("```toml\n").expect("README has a ```toml block") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let set = LabelSet::from_toml_str(&readme[start..end], "README.md".as_ref()).unwrap_or_else(|e| panic!("{e}"));
    assert!(set.labels.len() >= 4);
    // The expansions the README spells out.
    let golden = set.label("golden_retriever").unwrap().expanded_prompts(&set);
    assert_eq!(
        golden,
        [
            "a photo of a golden retriever.",
            "a close-up photo of a golden retriever.",
            "a photo of a golden retriever, a type of dog."
        ]
    );
    assert_eq!(set.label("cat").unwrap().expanded_prompts(&set), ["a photo of my cat.", "a cat asleep on a sofa"]);
}

/// Finding 6 of issue 9: a label-set file of about 200 KB asked for 10^8 prompts. It is refused
/// from the counts, before anything is expanded, with the file and the count in the error.
#[test]
fn a_prompt_explosion_is_refused_with_the_file_and_the_count() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("explosion.toml");
    let templates: Vec<String> = (0..10_000).map(|i| format!("\"{{}} {i}\"")).collect();
    let synonyms: Vec<String> = (0..10_000).map(|i| format!("\"s{i}\"")).collect();
    let text = format!(
        "name = \"x\"\nversion = \"1.0.0\"\ntemplates = [{}]\n[[labels]]\nid = \"a\"\nname = \"a\"\nsynonyms = [{}]\n",
        templates.join(", "),
        synonyms.join(", ")
    );
    std::fs::write(&path, &text).unwrap();
    assert!(text.len() < 210_000);
    let start = std::time::Instant::now();
    let err = LabelSet::from_file(&path).unwrap_err();
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    match &err {
        Error::LimitExceeded { source_name, found, limit, setting, .. } => {
            assert_eq!(source_name, &path.display().to_string());
            assert_eq!((*found, *limit, *setting), (100_010_000, 1_000_000, "LabelSetOptions::max_prompts"));
        }
        other => panic!("{other:?}"),
    }
    // Raised limits let it through the count (and the byte limit still applies).
    let opts = LabelSetOptions { max_prompts: 200_000_000, ..Default::default() };
    let err = LabelSet::from_file_with(&path, &opts).unwrap_err();
    assert!(matches!(&err, Error::LimitExceeded { setting: "LabelSetOptions::max_prompt_bytes", .. }), "{err:?}");
    // The file size is checked before reading.
    let opts = LabelSetOptions { max_file_bytes: 1000, ..Default::default() };
    let err = LabelSet::from_file_with(&path, &opts).unwrap_err();
    assert!(matches!(&err, Error::LimitExceeded { found, limit: 1000, .. } if *found == text.len() as u64), "{err:?}");
    // Every bundled set is far below the default limits.
    for file in all_files() {
        let set = LabelSet::from_file(&file).unwrap();
        assert!(set.expansion_size().0 < 100_000, "{}", file.display());
    }
}
