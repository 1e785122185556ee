//! Label sets: what an app wants recognised, written as text, independent of any model.
//!
//! A label set is a TOML file (format in `label-sets/README.md`): a name, a semver version,
//! prompt templates such as `"a photo of a {}."`, and labels with a stable `id`, a display
//! `name`, optional synonyms, extra literal prompts, per-label templates, a `parent` (for
//! hierarchies such as `golden_retriever` → `dog` → `animal`) and a per-label `min_score`.
//!
//! This module parses and validates the file and expands each label into its prompt list
//! (template × (name + synonyms), then the literal prompts). Turning prompt lists into one
//! embedding per label (embed, L2-normalise, average, L2-normalise) happens downstream.
//!
//! Every mistake in a file is an [`Error::LabelSet`] carrying the file, the 1-based line and
//! column of the offending item, and what is wrong. No input makes the parser panic: TOML
//! nesting depth is bounded by the `toml` crate, and the parent-cycle check is iterative.
//!
//! No input makes it work without bound either: templates × synonyms grow quadratically (200 KB
//! of TOML can ask for 10^8 prompts), so the file size and the size of the expansion are checked
//! against [`LabelSetOptions`] before anything is expanded; going over is an
//! [`Error::LimitExceeded`] naming the file and the count.

mod validate;

/// Why `v` is not a semantic version `MAJOR.MINOR.PATCH[-pre][+build]`, if it is not.
pub(crate) fn check_version_str(v: &str) -> std::result::Result<(), String> {
    validate::check_version(v)
}

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::{Error, Result};

/// The template used when a label set has no `templates` key.
pub const DEFAULT_TEMPLATE: &str = "a photo of a {}.";

/// The placeholder a template must contain exactly once; the label's name or a synonym
/// replaces it.
pub const TEMPLATE_PLACEHOLDER: &str = "{}";

/// Longest accepted label id, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// Limits on reading a label set and on what it expands to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSetOptions {
    /// Most prompts the set may expand to, summed over its labels: templates × (name +
    /// synonyms) + literal prompts, counted before duplicates are removed. Default 1 000 000
    /// (each one is a text-tower call when compiled).
    pub max_prompts: u64,
    /// Most bytes of prompt text those prompts may take together. Default 256 MiB.
    pub max_prompt_bytes: u64,
    /// Largest label-set file [`LabelSet::from_file_with`] reads, in bytes. Default 16 MiB.
    pub max_file_bytes: u64,
}

impl Default for LabelSetOptions {
    fn default() -> Self {
        Self { max_prompts: 1_000_000, max_prompt_bytes: 256 << 20, max_file_bytes: 16 << 20 }
    }
}

/// A validated label set.
///
/// Built by [`LabelSet::from_file`] or [`LabelSet::from_toml_str`], which guarantee every
/// invariant listed in `label-sets/README.md` (unique ids, resolvable acyclic parents, one `{}`
/// per template, a non-empty prompt list per label, ...). The fields are public so that callers
/// can build or edit a set in code; run [`LabelSet::validate`] afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelSet {
    /// Name of the set, e.g. `"coco-80"`; recorded in label packs.
    pub name: String,
    /// Semantic version `MAJOR.MINOR.PATCH[-pre][+build]`; recorded in label packs.
    pub version: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Prompt templates shared by all labels, each with exactly one `{}`. `[DEFAULT_TEMPLATE]`
    /// when the file has no `templates` key; may be empty when every label brings its own.
    pub templates: Vec<String>,
    /// The labels, in file order. Never empty in a validated set.
    pub labels: Vec<Label>,
}

/// One label of a [`LabelSet`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Label {
    /// Stable identifier, unique in the set: `[a-z0-9][a-z0-9_.-]*`, at most [`MAX_ID_LEN`]
    /// bytes. Packs, diffs and apps refer to labels by id, so it survives renames.
    pub id: String,
    /// Display name, also the first term put through the templates.
    pub name: String,
    /// Other names for the same thing; each is put through the templates like `name`.
    pub synonyms: Vec<String>,
    /// Extra literal prompts, used as they are (no template).
    pub prompts: Vec<String>,
    /// Per-label templates that replace the set's `templates` for this label.
    pub templates: Option<Vec<String>>,
    /// Per-label templates added to the effective templates (the set's, or `templates`).
    pub extra_templates: Vec<String>,
    /// Id of the parent label (e.g. `dog` for `golden_retriever`).
    pub parent: Option<String>,
    /// Per-label cosine-similarity threshold in [-1, 1]: the label is reported only when the
    /// cosine between the image embedding and the label embedding reaches it.
    pub min_score: Option<f32>,
    /// Probability calibration (`calibration = { slope = .., intercept = .. }`, written by
    /// `pelabel calibrate`): copied into packs, see [`crate::Calibration`].
    pub calibration: Option<crate::Calibration>,
}

impl LabelSet {
    /// Reads and validates a label-set file, with the default [`LabelSetOptions`].
    ///
    /// Errors: [`Error::Io`] when the file cannot be read; [`Error::LabelSet`] with line and
    /// column for invalid UTF-8, TOML syntax, unknown keys, wrong types and every semantic rule;
    /// [`Error::LimitExceeded`] when the file or its expansion is over a limit.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::from_file_with(path, &LabelSetOptions::default())
    }

    /// [`LabelSet::from_file`] with explicit limits. The file size is checked before reading.
    pub fn from_file_with(path: &Path, options: &LabelSetOptions) -> Result<Self> {
        let bytes = Error::read_file_capped(
            path,
            options.max_file_bytes,
            "label-set file size (bytes)",
            "LabelSetOptions::max_file_bytes",
        )?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => {
                // The valid prefix is UTF-8 by definition, so it can locate the bad byte.
                let prefix = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
                let (line, column) = validate::line_column(prefix, prefix.len());
                return Err(Error::LabelSet {
                    path: path.to_path_buf(),
                    line,
                    column,
                    reason: "the file is not valid UTF-8".into(),
                });
            }
        };
        Self::from_toml_str_with(text, path, options)
    }

    /// Parses and validates a label set from TOML text, with the default [`LabelSetOptions`].
    /// `path_for_errors` only names the source in errors.
    pub fn from_toml_str(text: &str, path_for_errors: &Path) -> Result<Self> {
        Self::from_toml_str_with(text, path_for_errors, &LabelSetOptions::default())
    }

    /// [`LabelSet::from_toml_str`] with explicit limits.
    pub fn from_toml_str_with(text: &str, path_for_errors: &Path, options: &LabelSetOptions) -> Result<Self> {
        validate::parse(text, path_for_errors, options)
    }

    /// Prompts the set expands to and their total bytes, before duplicates are removed (an
    /// upper bound of what [`LabelSet::all_prompts`] returns), computed without expanding:
    /// O(labels + templates + synonyms). Saturates at `u64::MAX`.
    pub fn expansion_size(&self) -> (u64, u64) {
        let len = |s: &String| s.len() as u64;
        let (mut prompts, mut bytes) = (0u64, 0u64);
        let set_template_bytes: u64 = self.templates.iter().map(len).fold(0, u64::saturating_add);
        for label in &self.labels {
            let (base_count, base_bytes) = match &label.templates {
                Some(t) => (t.len() as u64, t.iter().map(len).fold(0, u64::saturating_add)),
                None => (self.templates.len() as u64, set_template_bytes),
            };
            let templates = base_count.saturating_add(label.extra_templates.len() as u64);
            // Each filled template loses its `{}`.
            let template_bytes = base_bytes
                .saturating_add(label.extra_templates.iter().map(len).fold(0, u64::saturating_add))
                .saturating_sub(2 * templates);
            let terms = 1 + label.synonyms.len() as u64;
            let term_bytes = std::iter::once(&label.name).chain(&label.synonyms).map(len).fold(0, u64::saturating_add);
            prompts =
                prompts.saturating_add(templates.saturating_mul(terms)).saturating_add(label.prompts.len() as u64);
            bytes = bytes
                .saturating_add(template_bytes.saturating_mul(terms))
                .saturating_add(term_bytes.saturating_mul(templates))
                .saturating_add(label.prompts.iter().map(len).fold(0, u64::saturating_add));
        }
        (prompts, bytes)
    }

    /// Checks [`LabelSet::expansion_size`] against `options`; `source_name` names the set in
    /// the [`Error::LimitExceeded`].
    pub fn check_expansion(&self, options: &LabelSetOptions, source_name: &str) -> Result<()> {
        let (prompts, bytes) = self.expansion_size();
        let over = |what, found, limit, setting| Error::LimitExceeded {
            source_name: source_name.to_string(),
            what,
            found,
            limit,
            setting,
        };
        if prompts > options.max_prompts {
            return Err(over(
                "prompts after template expansion",
                prompts,
                options.max_prompts,
                "LabelSetOptions::max_prompts",
            ));
        }
        if bytes > options.max_prompt_bytes {
            return Err(over(
                "bytes of prompts after template expansion",
                bytes,
                options.max_prompt_bytes,
                "LabelSetOptions::max_prompt_bytes",
            ));
        }
        Ok(())
    }

    /// Checks the invariants of a set built or edited in code (the parsers already did).
    /// Errors are [`Error::LabelSet`] with path `<in-memory>` and line and column 0.
    pub fn validate(&self) -> Result<()> {
        validate::check(self, None).map_err(|(_, reason)| Error::LabelSet {
            path: "<in-memory>".into(),
            line: 0,
            column: 0,
            reason,
        })
    }

    /// Position of the label with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.id == id)
    }

    /// The label with this id.
    pub fn label(&self, id: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.id == id)
    }

    /// For every label (same order as `labels`), the position of its parent; `None` for roots
    /// and for parents that do not resolve (impossible in a validated set).
    pub fn parent_indices(&self) -> Vec<Option<usize>> {
        let by_id = self.id_map();
        self.labels.iter().map(|l| l.parent.as_deref().and_then(|p| by_id.get(p).copied())).collect()
    }

    /// The ancestors of label `id`, nearest first (`golden_retriever` → `[dog, animal]`).
    /// Empty for a root or an unknown id. Stops after `labels.len()` steps, so even an
    /// unvalidated set with a cycle terminates.
    pub fn ancestors(&self, id: &str) -> Vec<&Label> {
        let parents = self.parent_indices();
        let mut out = Vec::new();
        let mut cur = self.index_of(id).and_then(|i| parents[i]);
        while let Some(i) = cur {
            if out.len() >= self.labels.len() {
                break;
            }
            out.push(&self.labels[i]);
            cur = parents[i];
        }
        out
    }

    /// The labels whose `parent` is `id`, in file order.
    pub fn children(&self, id: &str) -> Vec<&Label> {
        self.labels.iter().filter(|l| l.parent.as_deref() == Some(id)).collect()
    }

    /// The expanded prompt list of the label at position `index` (see
    /// [`Label::expanded_prompts`]); `None` when out of range.
    pub fn prompts_for(&self, index: usize) -> Option<Vec<String>> {
        self.labels.get(index).map(|l| l.expanded_prompts(self))
    }

    /// The expanded prompt lists of all labels, in label order.
    pub fn all_prompts(&self) -> Vec<Vec<String>> {
        self.labels.iter().map(|l| l.expanded_prompts(self)).collect()
    }

    fn id_map(&self) -> HashMap<&str, usize> {
        let mut map = HashMap::with_capacity(self.labels.len());
        for (i, l) in self.labels.iter().enumerate() {
            // First occurrence wins, like `index_of`.
            map.entry(l.id.as_str()).or_insert(i);
        }
        map
    }
}

impl Label {
    /// The templates that apply to this label: its own `templates` if given, else the set's,
    /// followed by its `extra_templates`; duplicates removed, order kept.
    pub fn effective_templates<'a>(&'a self, set: &'a LabelSet) -> Vec<&'a str> {
        let base = self.templates.as_deref().unwrap_or(&set.templates);
        dedup(base.iter().chain(&self.extra_templates).map(String::as_str))
    }

    /// The prompts that describe this label: every effective template filled with the name,
    /// then with each synonym in order, then the literal `prompts`; exact duplicates removed,
    /// first occurrence kept.
    ///
    /// With the set template `"a photo of a {}."`, name `"dog"`, synonym `"puppy"` and prompt
    /// `"a dog on a sofa"`, this is `["a photo of a dog.", "a photo of a puppy.",
    /// "a dog on a sofa"]`.
    pub fn expanded_prompts(&self, set: &LabelSet) -> Vec<String> {
        let templates = self.effective_templates(set);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let terms = std::iter::once(&self.name).chain(&self.synonyms);
        let filled = terms.flat_map(|term| templates.iter().map(move |t| fill(t, term)));
        for prompt in filled.chain(self.prompts.iter().cloned()) {
            if seen.insert(prompt.clone()) {
                out.push(prompt);
            }
        }
        out
    }
}

/// Replaces the first `{}` of `template` by `term`.
fn fill(template: &str, term: &str) -> String {
    template.replacen(TEMPLATE_PLACEHOLDER, term, 1)
}

fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    items.filter(|s| seen.insert(*s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> LabelSet {
        LabelSet::from_toml_str(text, Path::new("t.toml")).unwrap()
    }

    const PETS: &str = r#"
name = "pets"
version = "1.0.0"
templates = ["a photo of a {}.", "a close-up photo of a {}."]

[[labels]]
id = "animal"
name = "animal"

[[labels]]
id = "dog"
name = "dog"
synonyms = ["puppy", "dog"]
prompts = ["a dog on a sofa", "a photo of a dog."]
parent = "animal"

[[labels]]
id = "golden_retriever"
name = "golden retriever"
parent = "dog"
templates = ["a photo of a {}, a type of dog."]
extra_templates = ["a {} playing fetch", "a photo of a {}, a type of dog."]
min_score = 0.25

[[labels]]
id = "cat"
name = "cat"
parent = "animal"
templates = []
prompts = ["a cat"]
"#;

    #[test]
    fn expansion_is_name_then_synonyms_then_prompts_deduplicated() {
        let s = set(PETS);
        assert_eq!(
            s.prompts_for(1).unwrap(),
            [
                "a photo of a dog.",
                "a close-up photo of a dog.",
                "a photo of a puppy.",
                "a close-up photo of a puppy.",
                "a dog on a sofa",
            ]
        );
    }

    #[test]
    fn label_templates_replace_and_extra_templates_add() {
        let s = set(PETS);
        let golden = &s.labels[2];
        assert_eq!(golden.effective_templates(&s), ["a photo of a {}, a type of dog.", "a {} playing fetch"]);
        assert_eq!(
            golden.expanded_prompts(&s),
            ["a photo of a golden retriever, a type of dog.", "a golden retriever playing fetch"]
        );
        assert_eq!(golden.min_score, Some(0.25));
        // An empty override leaves only the literal prompts.
        assert_eq!(s.prompts_for(3).unwrap(), ["a cat"]);
        assert_eq!(s.prompts_for(4), None);
        assert_eq!(s.all_prompts().len(), 4);
    }

    #[test]
    fn default_template_applies_when_absent() {
        let s = set("name = \"x\"\nversion = \"0.1.0\"\n[[labels]]\nid = \"a\"\nname = \"apple\"\n");
        assert_eq!(s.templates, [DEFAULT_TEMPLATE]);
        assert_eq!(s.prompts_for(0).unwrap(), ["a photo of a apple."]);
        assert_eq!(s.description, None);
    }

    #[test]
    fn hierarchy_lookups() {
        let s = set(PETS);
        let ids = |v: Vec<&Label>| v.into_iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(s.ancestors("golden_retriever")), ["dog", "animal"]);
        assert_eq!(ids(s.ancestors("animal")), Vec::<String>::new());
        assert_eq!(ids(s.ancestors("nope")), Vec::<String>::new());
        assert_eq!(ids(s.children("animal")), ["dog", "cat"]);
        assert_eq!(s.parent_indices(), [None, Some(0), Some(1), Some(0)]);
        assert_eq!(s.index_of("cat"), Some(3));
        assert_eq!(s.label("dog").map(|l| l.name.as_str()), Some("dog"));
    }

    #[test]
    fn ancestors_terminates_on_an_unvalidated_cycle() {
        let mut s = set(PETS);
        s.labels[0].parent = Some("golden_retriever".into());
        assert_eq!(s.ancestors("dog").len(), s.labels.len());
        let err = s.validate().unwrap_err().to_string();
        assert!(err.starts_with("<in-memory>:0:0: parent cycle: animal -> golden_retriever -> dog -> animal"), "{err}");
    }

    #[test]
    fn expansion_size_matches_the_expansion() {
        let s = set(PETS);
        let all = s.all_prompts();
        // Before deduplication: dog has 2 templates × 3 terms + 2 prompts = 8 (5 after), the
        // golden retriever 3 templates (2 after).
        assert_eq!(s.expansion_size().0, 2 + 8 + 3 + 1);
        assert!(s.expansion_size().0 as usize >= all.iter().map(Vec::len).sum::<usize>());
        let undeduplicated: u64 = s
            .labels
            .iter()
            .map(|l| {
                let base = l.templates.as_ref().unwrap_or(&s.templates);
                let terms = std::iter::once(&l.name).chain(&l.synonyms);
                let filled: u64 = terms
                    .flat_map(|t| base.iter().chain(&l.extra_templates).map(move |tpl| fill(tpl, t).len() as u64))
                    .sum();
                filled + l.prompts.iter().map(|p| p.len() as u64).sum::<u64>()
            })
            .sum();
        assert_eq!(s.expansion_size().1, undeduplicated);
    }

    #[test]
    fn template_times_synonym_explosion_is_refused_before_expanding() {
        // Finding 6 of issue 9: ~200 KB of TOML asked for 10^8 prompts.
        let templates: Vec<String> = (0..10_000).map(|i| format!("\"{{}} {i}\"")).collect();
        let synonyms: Vec<String> = (0..10_000).map(|i| format!("\"s{i}\"")).collect();
        let text = format!(
            "name = \"x\"\nversion = \"1.0.0\"\ntemplates = [{}]\n[[labels]]\nid = \"a\"\nname = \"a\"\nsynonyms = [{}]\n",
            templates.join(","),
            synonyms.join(",")
        );
        assert!(text.len() < 200_000, "{}", text.len());
        let start = std::time::Instant::now();
        let err = LabelSet::from_toml_str(&text, Path::new("bomb.toml")).unwrap_err();
        assert!(start.elapsed().as_secs() < 2, "{:?}", start.elapsed());
        match &err {
            Error::LimitExceeded { source_name, what, found, limit, setting } => {
                assert_eq!((source_name.as_str(), *found, *limit), ("bomb.toml", 10_000 * 10_001, 1_000_000));
                assert_eq!((*what, *setting), ("prompts after template expansion", "LabelSetOptions::max_prompts"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("bomb.toml") && err.to_string().contains("100010000"), "{err}");
        // The limit is an option; the byte limit applies on its own.
        let opts = LabelSetOptions { max_prompts: u64::MAX, max_prompt_bytes: 1000, ..Default::default() };
        let err = LabelSet::from_toml_str_with(&text, Path::new("bomb.toml"), &opts).unwrap_err();
        assert!(matches!(&err, Error::LimitExceeded { setting: "LabelSetOptions::max_prompt_bytes", .. }), "{err:?}");
        let small = set(PETS);
        let tight = LabelSetOptions { max_prompts: 13, ..Default::default() };
        let err = LabelSet::from_toml_str_with(PETS, Path::new("pets.toml"), &tight).unwrap_err();
        assert!(matches!(&err, Error::LimitExceeded { found: 14, limit: 13, .. }), "{err:?}");
        small.check_expansion(&LabelSetOptions { max_prompts: 14, ..Default::default() }, "pets").unwrap();
    }

    #[test]
    fn validate_accepts_a_parsed_set_and_rejects_edits() {
        let mut s = set(PETS);
        s.validate().unwrap();
        s.labels.push(Label { id: "cat".into(), name: "kitty".into(), ..Default::default() });
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("duplicate label id \"cat\""), "{err}");
    }
}
