//! Label-set TOML (`LabelSet::from_toml_str_with`) with phone-sized limits.
//!
//! Input: the TOML text (invalid UTF-8 is replaced, as a caller reading a file lossily would).
//! Checks on an accepted set: it validates again, expands within the limits to exactly the
//! counted prompts, every label's parent chain is finite and never contains the label.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pelabel::{LabelSet, LabelSetOptions};
use pelabel_fuzz::*;

limited_alloc!();

fuzz_target!(init: maybe_write_seeds("labelset", |_| {
    eprintln!("labelset seeds are the files of label-sets/ and fuzz/corpus/labelset/");
}), |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = LabelSetOptions { max_prompts: 20_000, max_prompt_bytes: 4 << 20, max_file_bytes: 1 << 20 };
    let Ok(set) = LabelSet::from_toml_str_with(&text, Path::new("fuzz.toml"), &options) else { return };
    trace(|| format!("label set accepted: {} labels", set.labels.len()));
    set.validate().expect("a loaded set validates");
    let (prompts, bytes) = set.expansion_size();
    assert!(prompts <= options.max_prompts && bytes <= options.max_prompt_bytes);
    let all = set.all_prompts();
    assert_eq!(all.len(), set.labels.len());
    assert!(all.iter().map(|p| p.len() as u64).sum::<u64>() <= prompts);
    assert!(all.iter().all(|p| !p.is_empty()), "a label without prompts");
    let parents = set.parent_indices();
    for (i, l) in set.labels.iter().enumerate() {
        assert_eq!(set.index_of(&l.id), Some(i));
        let chain = set.ancestors(&l.id);
        assert!(chain.len() < set.labels.len() && chain.iter().all(|a| a.id != l.id), "{} -> {chain:?}", l.id);
        assert_eq!(parents[i].is_some(), l.parent.is_some());
        let _ = set.children(&l.id);
    }
});
