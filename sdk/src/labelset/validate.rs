//! Parsing and validation of label-set TOML.
//!
//! Parsing goes through private `Raw*` mirrors of the public types that keep the byte span of
//! every field (`toml::Spanned`), so that semantic errors, found after serde is done, still
//! point at the offending item. The semantic checks run on the public [`LabelSet`] and name
//! the offending item by a [`Loc`]; a [`Spans`] table, present only for parsed text, turns it
//! into a byte span. That way [`LabelSet::validate`] and the parser share one set of rules.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Label, LabelSet, DEFAULT_TEMPLATE, MAX_ID_LEN, TEMPLATE_PLACEHOLDER};
use crate::{Error, Result};

type Span = Range<usize>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    name: Spanned<String>,
    version: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    templates: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    labels: Option<Spanned<Vec<Spanned<RawLabel>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    synonyms: Vec<Spanned<String>>,
    #[serde(default)]
    prompts: Vec<Spanned<String>>,
    #[serde(default)]
    templates: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    extra_templates: Vec<Spanned<String>>,
    #[serde(default)]
    parent: Option<Spanned<String>>,
    // f64: TOML floats are f64, and integers such as `1` must be accepted too.
    #[serde(default)]
    min_score: Option<Spanned<f64>>,
    #[serde(default)]
    calibration: Option<Spanned<RawCalibration>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    slope: f64,
    intercept: f64,
    #[serde(default)]
    margin_slope: f64,
}

/// Names the item a semantic error is about; label indices are positions in `labels`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Loc {
    SetName,
    SetVersion,
    SetTemplate(usize),
    /// The `labels` key, or the whole file when it is absent.
    Labels,
    /// The label's table (its `[[labels]]` header).
    Label(usize),
    Id(usize),
    Name(usize),
    Synonym(usize, usize),
    Prompt(usize, usize),
    /// The label's `templates` key (as a whole).
    LabelTemplates(usize),
    LabelTemplate(usize, usize),
    ExtraTemplate(usize, usize),
    Parent(usize),
    MinScore(usize),
    Calibration(usize),
}

/// Byte spans of the fields of a parsed set, mirroring [`LabelSet`].
#[derive(Default)]
pub(super) struct Spans {
    name: Span,
    version: Span,
    templates: Vec<Span>,
    labels: Option<Span>,
    label: Vec<LabelSpans>,
}

#[derive(Default)]
struct LabelSpans {
    table: Span,
    id: Span,
    name: Span,
    synonyms: Vec<Span>,
    prompts: Vec<Span>,
    templates_key: Option<Span>,
    templates: Vec<Span>,
    extra_templates: Vec<Span>,
    parent: Option<Span>,
    min_score: Option<Span>,
    calibration: Option<Span>,
}

impl Spans {
    fn get(&self, loc: Loc) -> Option<Span> {
        let label = |i: usize| self.label.get(i);
        let at = |v: &Vec<Span>, j: usize| v.get(j).cloned();
        match loc {
            Loc::SetName => Some(self.name.clone()),
            Loc::SetVersion => Some(self.version.clone()),
            Loc::SetTemplate(j) => at(&self.templates, j),
            Loc::Labels => self.labels.clone(),
            Loc::Label(i) => label(i).map(|l| l.table.clone()),
            Loc::Id(i) => label(i).map(|l| l.id.clone()),
            Loc::Name(i) => label(i).map(|l| l.name.clone()),
            Loc::Synonym(i, j) => label(i).and_then(|l| at(&l.synonyms, j)),
            Loc::Prompt(i, j) => label(i).and_then(|l| at(&l.prompts, j)),
            Loc::LabelTemplates(i) => label(i).and_then(|l| l.templates_key.clone()),
            Loc::LabelTemplate(i, j) => label(i).and_then(|l| at(&l.templates, j)),
            Loc::ExtraTemplate(i, j) => label(i).and_then(|l| at(&l.extra_templates, j)),
            Loc::Parent(i) => label(i).and_then(|l| l.parent.clone()),
            Loc::MinScore(i) => label(i).and_then(|l| l.min_score.clone()),
            Loc::Calibration(i) => label(i).and_then(|l| l.calibration.clone()),
        }
    }
}

/// Parses and validates `text`; errors name `path`.
pub(super) fn parse(text: &str, path: &Path, options: &super::LabelSetOptions) -> Result<LabelSet> {
    // Editors on some platforms write a byte-order mark; TOML does not allow one.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let located = |span: Option<Span>, reason: String| {
        // A file-level problem without a span (no `labels` key) points at the file start.
        let (line, column) = line_column(text, span.map_or(0, |s| s.start));
        Error::LabelSet { path: path.to_path_buf(), line, column, reason }
    };
    let raw: RawSet = toml::from_str(text).map_err(|e| located(e.span(), e.message().to_string()))?;
    let (set, spans) = lower(raw);
    // Before `check`, which is itself O(labels × templates).
    set.check_expansion(options, &path.display().to_string())?;
    check(&set, Some((&spans, text))).map_err(|(span, reason)| located(span, reason))?;
    Ok(set)
}

/// Splits the raw parse into the public set and its spans.
fn lower(raw: RawSet) -> (LabelSet, Spans) {
    fn strings(v: Vec<Spanned<String>>) -> (Vec<String>, Vec<Span>) {
        v.into_iter().map(|s| (s.span(), s.into_inner())).map(|(sp, s)| (s, sp)).unzip()
    }
    let mut spans = Spans { name: raw.name.span(), version: raw.version.span(), ..Spans::default() };
    let templates = match raw.templates {
        Some(t) => {
            let (t, sp) = strings(t);
            spans.templates = sp;
            t
        }
        None => vec![DEFAULT_TEMPLATE.to_string()],
    };
    let raw_labels = match raw.labels {
        Some(l) => {
            spans.labels = Some(l.span());
            l.into_inner()
        }
        None => Vec::new(),
    };
    let mut labels = Vec::with_capacity(raw_labels.len());
    for rl in raw_labels {
        let table = rl.span();
        let rl = rl.into_inner();
        let (synonyms, synonym_spans) = strings(rl.synonyms);
        let (prompts, prompt_spans) = strings(rl.prompts);
        let (extra_templates, extra_spans) = strings(rl.extra_templates);
        let (templates_key, templates, template_spans) = match rl.templates {
            Some(t) => {
                let key = t.span();
                let (t, sp) = strings(t.into_inner());
                (Some(key), Some(t), sp)
            }
            None => (None, None, Vec::new()),
        };
        spans.label.push(LabelSpans {
            table,
            id: rl.id.span(),
            name: rl.name.span(),
            synonyms: synonym_spans,
            prompts: prompt_spans,
            templates_key,
            templates: template_spans,
            extra_templates: extra_spans,
            parent: rl.parent.as_ref().map(|p| p.span()),
            min_score: rl.min_score.as_ref().map(|m| m.span()),
            calibration: rl.calibration.as_ref().map(|c| c.span()),
        });
        labels.push(Label {
            id: rl.id.into_inner(),
            name: rl.name.into_inner(),
            synonyms,
            prompts,
            templates,
            extra_templates,
            parent: rl.parent.map(Spanned::into_inner),
            // Out-of-range f64 become ±inf and fail the range check below, as NaN does.
            min_score: rl.min_score.map(|m| m.into_inner() as f32),
            calibration: rl.calibration.map(|c| {
                let c = c.into_inner();
                crate::Calibration {
                    slope: c.slope as f32,
                    intercept: c.intercept as f32,
                    margin_slope: c.margin_slope as f32,
                }
            }),
        });
    }
    let set = LabelSet {
        name: raw.name.into_inner(),
        version: raw.version.into_inner(),
        description: raw.description,
        templates,
        labels,
    };
    (set, spans)
}

/// Every semantic rule, in file order as far as possible. `source` is the parsed text with
/// its spans, when there is one. The error is the span of the offending item (when known) and
/// the reason.
pub(super) fn check(set: &LabelSet, source: Option<(&Spans, &str)>) -> Result<(), (Option<Span>, String)> {
    let spans = source.map(|(s, _)| s);
    let fail = |loc: Loc, reason: String| Err((spans.and_then(|s| s.get(loc)), reason));

    if let Err(why) = check_text(&set.name) {
        return fail(Loc::SetName, format!("set name {why}"));
    }
    if let Err(why) = check_version(&set.version) {
        return fail(Loc::SetVersion, format!("version {:?} {why}", set.version));
    }
    for (j, t) in set.templates.iter().enumerate() {
        if let Err(why) = check_template(t) {
            return fail(Loc::SetTemplate(j), why);
        }
    }
    if set.labels.is_empty() {
        return fail(Loc::Labels, "the label set has no labels: add at least one [[labels]] table".into());
    }

    let mut first_seen: HashMap<&str, usize> = HashMap::with_capacity(set.labels.len());
    for (i, label) in set.labels.iter().enumerate() {
        if let Err(why) = check_id(&label.id) {
            return fail(Loc::Id(i), format!("label id {:?} {why}", label.id));
        }
        if let Some(&first) = first_seen.get(label.id.as_str()) {
            let at = match source.and_then(|(s, text)| Some((s.get(Loc::Id(first))?, text))) {
                Some((span, text)) => format!(" (first defined at line {})", line_column(text, span.start).0),
                None => format!(" (first defined as label #{})", first + 1),
            };
            return fail(Loc::Id(i), format!("duplicate label id {:?}{at}", label.id));
        }
        first_seen.insert(&label.id, i);
        if let Err(why) = check_text(&label.name) {
            return fail(Loc::Name(i), format!("label {:?}: name {why}", label.id));
        }
        for (j, s) in label.synonyms.iter().enumerate() {
            if let Err(why) = check_text(s) {
                return fail(Loc::Synonym(i, j), format!("label {:?}: synonym {why}", label.id));
            }
        }
        if let Some(templates) = &label.templates {
            for (j, t) in templates.iter().enumerate() {
                if let Err(why) = check_template(t) {
                    return fail(Loc::LabelTemplate(i, j), format!("label {:?}: {why}", label.id));
                }
            }
        }
        for (j, t) in label.extra_templates.iter().enumerate() {
            if let Err(why) = check_template(t) {
                return fail(Loc::ExtraTemplate(i, j), format!("label {:?}: {why}", label.id));
            }
        }
        for (j, p) in label.prompts.iter().enumerate() {
            if let Err(why) = check_text(p) {
                return fail(Loc::Prompt(i, j), format!("label {:?}: prompt {why}", label.id));
            }
        }
        if let Some(score) = label.min_score {
            if !(-1.0..=1.0).contains(&score) {
                return fail(
                    Loc::MinScore(i),
                    format!("label {:?}: min_score {score} is outside [-1, 1] (it is a cosine similarity)", label.id),
                );
            }
        }
        if let Some(why) = label.calibration.as_ref().and_then(crate::Calibration::problem) {
            return fail(Loc::Calibration(i), format!("label {:?}: {why}", label.id));
        }
        if label.effective_templates(set).is_empty() && label.prompts.is_empty() {
            let loc = if label.templates.is_some() { Loc::LabelTemplates(i) } else { Loc::Label(i) };
            return fail(
                loc,
                format!("label {:?} expands to no prompt: it has no template and no `prompts`", label.id),
            );
        }
    }

    let mut parents = Vec::with_capacity(set.labels.len());
    for (i, label) in set.labels.iter().enumerate() {
        let parent = match &label.parent {
            None => None,
            Some(p) => match first_seen.get(p.as_str()) {
                Some(&pi) => Some(pi),
                None => {
                    return fail(
                        Loc::Parent(i),
                        format!("label {:?}: parent {p:?} is not a label of this set", label.id),
                    )
                }
            },
        };
        parents.push(parent);
    }
    if let Some(cycle) = find_cycle(&parents) {
        let names: Vec<&str> = cycle.iter().chain(cycle.first()).map(|&i| set.labels[i].id.as_str()).collect();
        return fail(Loc::Parent(cycle[0]), format!("parent cycle: {}", names.join(" -> ")));
    }
    Ok(())
}

/// The first cycle of the parent graph, as label positions starting at its smallest member
/// and following parents. Iterative and linear: every label is walked once.
fn find_cycle(parents: &[Option<usize>]) -> Option<Vec<usize>> {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; parents.len()];
    let mut path = Vec::new();
    for start in 0..parents.len() {
        path.clear();
        let mut cur = Some(start);
        while let Some(c) = cur {
            match state[c] {
                NEW => {
                    state[c] = ON_PATH;
                    path.push(c);
                    cur = parents[c];
                }
                ON_PATH => {
                    let pos = path.iter().position(|&p| p == c).unwrap_or(0);
                    let mut cycle = path[pos..].to_vec();
                    let min_at = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                    cycle.rotate_left(min_at);
                    return Some(cycle);
                }
                _ => break,
            }
        }
        for &p in &path {
            state[p] = DONE;
        }
    }
    None
}

/// Names, synonyms and prompts: not blank, no control characters (they would corrupt one-line
/// reports; multi-line text belongs in `description`).
fn check_text(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("is empty".into());
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!("{s:?} contains the control character U+{:04X}", c as u32));
    }
    Ok(())
}

fn check_template(t: &str) -> Result<(), String> {
    check_text(t).map_err(|why| format!("template {why}"))?;
    match t.matches(TEMPLATE_PLACEHOLDER).count() {
        1 => Ok(()),
        0 => Err(format!("template {t:?} has no `{{}}` placeholder for the label name")),
        n => Err(format!("template {t:?} has {n} `{{}}` placeholders; exactly one is allowed")),
    }
}

fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("is longer than {MAX_ID_LEN} bytes"));
    }
    let ok_first = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = |c: char| ok_first(c) || matches!(c, '_' | '.' | '-');
    if !id.starts_with(ok_first) || !id.chars().all(ok) {
        return Err("must match [a-z0-9][a-z0-9_.-]* (lowercase ASCII letters, digits, `_`, `.`, `-`)".into());
    }
    Ok(())
}

/// Semantic versioning 2.0: `MAJOR.MINOR.PATCH`, numbers without leading zeros, then an
/// optional `-pre.release` and an optional `+build.meta` of dot-separated `[0-9A-Za-z-]+`.
pub(super) fn check_version(v: &str) -> Result<(), String> {
    const BAD: &str = "is not a semantic version MAJOR.MINOR.PATCH[-pre][+build], e.g. \"1.0.0\"";
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let number = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'));
    let ident = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let parts: Vec<&str> = core.split('.').collect();
    let ok = parts.len() == 3
        && parts.iter().all(|p| number(p))
        && pre.is_none_or(|p| p.split('.').all(ident))
        && build.is_none_or(|b| b.split('.').all(ident));
    if ok {
        Ok(())
    } else {
        Err(BAD.into())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`; offsets past the end
/// or inside a character are clamped.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const HEAD: &str = "name = \"t\"\nversion = \"1.0.0\"\n";

    fn err(text: &str) -> (usize, usize, String) {
        match LabelSet::from_toml_str(text, Path::new("set.toml")) {
            Ok(s) => panic!("expected an error, parsed {s:?}"),
            Err(Error::LabelSet { path, line, column, reason }) => {
                assert_eq!(path, PathBuf::from("set.toml"));
                (line, column, reason)
            }
            Err(e) => panic!("expected Error::LabelSet, got {e}"),
        }
    }

    /// Asserts the error position and that the reason contains `needle`.
    fn assert_err(text: &str, line: usize, column: usize, needle: &str) {
        let (l, c, reason) = err(text);
        assert!(reason.contains(needle), "reason {reason:?} lacks {needle:?}");
        assert_eq!((l, c), (line, column), "position of {reason:?}");
    }

    fn with_labels(labels: &str) -> String {
        format!("{HEAD}{labels}")
    }

    #[test]
    fn line_column_counts_characters_and_clamps() {
        let t = "ab\ncé d\n";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 3), (2, 1));
        assert_eq!(line_column(t, 6), (2, 3)); // after "cé": é is two bytes, one column
        assert_eq!(line_column(t, 5), (2, 2)); // inside é: clamped to its start
        assert_eq!(line_column(t, 1000), (3, 1));
    }

    #[test]
    fn duplicate_id_points_at_second_occurrence() {
        let t = with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\n[[labels]]\nid = \"b\"\nname = \"B\"\n[[labels]]\n  id = \"a\"\nname = \"A2\"\n");
        assert_err(&t, 10, 8, "duplicate label id \"a\" (first defined at line 4)");
    }

    #[test]
    fn empty_name() {
        assert_err(&with_labels("[[labels]]\nid = \"a\"\nname = \"  \"\n"), 5, 8, "label \"a\": name is empty");
        assert_err("name = \"\"\nversion = \"1.0.0\"\n", 1, 8, "set name is empty");
    }

    #[test]
    fn control_characters_in_names() {
        assert_err(&with_labels("[[labels]]\nid = \"a\"\nname = \"x\\ny\"\n"), 5, 8, "control character U+000A");
    }

    #[test]
    fn template_placeholders() {
        let t =
            format!("{HEAD}templates = [\"a photo of a {{}}.\", \"a photo\"]\n[[labels]]\nid = \"a\"\nname = \"A\"\n");
        assert_err(&t, 3, 34, "template \"a photo\" has no `{}` placeholder");
        let t = format!("{HEAD}templates = [\"{{}} and {{}}\"]\n[[labels]]\nid = \"a\"\nname = \"A\"\n");
        assert_err(&t, 3, 14, "has 2 `{}` placeholders");
        let t = with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\ntemplates = [\"x {}\", \"y\"]\n");
        assert_err(&t, 6, 22, "label \"a\": template \"y\" has no");
        let t = with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\nextra_templates = [\"{}{}\"]\n");
        assert_err(&t, 6, 20, "label \"a\": template \"{}{}\" has 2");
    }

    #[test]
    fn unknown_keys() {
        assert_err(&format!("{HEAD}colour = 1\n"), 3, 1, "unknown field `colour`");
        assert_err(&with_labels("[[labels]]\nid = \"a\"\nnmae = \"A\"\n"), 5, 1, "unknown field `nmae`");
    }

    #[test]
    fn missing_required_keys() {
        assert_err("", 1, 1, "missing field `name`");
        assert_err("name = \"t\"\n", 1, 1, "missing field `version`");
        // A label without a name: toml points at the label's header.
        assert_err(&with_labels("\n[[labels]]\nid = \"a\"\n"), 4, 1, "missing field `name`");
    }

    #[test]
    fn wrong_types() {
        assert_err("name = 5\nversion = \"1.0.0\"\n", 1, 8, "invalid type: integer `5`, expected a string");
        assert_err(
            &with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\nsynonyms = \"x\"\n"),
            6,
            12,
            "expected a sequence",
        );
        assert_err(&with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\nmin_score = \"high\"\n"), 6, 13, "expected f64");
        assert_err(&with_labels("[labels]\nid = \"a\"\n"), 3, 1, "expected a sequence");
    }

    #[test]
    fn parent_must_exist() {
        let t = with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\nparent = \"zzz\"\n");
        assert_err(&t, 6, 10, "label \"a\": parent \"zzz\" is not a label of this set");
    }

    #[test]
    fn parent_cycle_is_named_and_located() {
        let t = with_labels(
            "[[labels]]\nid = \"root\"\nname = \"R\"\n\
             [[labels]]\nid = \"x\"\nname = \"X\"\nparent = \"z\"\n\
             [[labels]]\nid = \"y\"\nname = \"Y\"\nparent = \"x\"\n\
             [[labels]]\nid = \"z\"\nname = \"Z\"\nparent = \"y\"\n",
        );
        // The cycle starts at its first member in the file and points at that member's parent.
        assert_err(&t, 9, 10, "parent cycle: x -> z -> y -> x");
        let t = with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\nparent = \"a\"\n");
        assert_err(&t, 6, 10, "parent cycle: a -> a");
    }

    #[test]
    fn deep_parent_chain_is_fine_and_a_long_cycle_is_found() {
        let n = 100_000;
        let mut t = with_labels("[[labels]]\nid = \"l0\"\nname = \"n\"\n");
        for i in 1..n {
            t.push_str(&format!("[[labels]]\nid = \"l{i}\"\nname = \"n\"\nparent = \"l{}\"\n", i - 1));
        }
        let s = LabelSet::from_toml_str(&t, Path::new("deep.toml")).unwrap();
        assert_eq!(s.ancestors(&format!("l{}", n - 1)).len(), n - 1);
        // Close the chain into one huge cycle.
        let t = t.replacen(
            "id = \"l0\"\nname = \"n\"\n",
            &format!("id = \"l0\"\nname = \"n\"\nparent = \"l{}\"\n", n - 1),
            1,
        );
        let (line, column, reason) = err(&t);
        assert_eq!((line, column), (6, 10));
        assert!(reason.starts_with("parent cycle: l0 -> l99999 -> l99998"), "{}", &reason[..60]);
    }

    #[test]
    fn bad_id_charset() {
        for bad in ["Dog", "-dog", "hot dog", "", "chien_é", "a/b"] {
            let t = with_labels(&format!("[[labels]]\nid = \"{bad}\"\nname = \"A\"\n"));
            assert_err(&t, 4, 6, "label id");
        }
        let t = with_labels(&format!("[[labels]]\nid = \"{}\"\nname = \"A\"\n", "a".repeat(MAX_ID_LEN + 1)));
        assert_err(&t, 4, 6, "longer than 128 bytes");
        for good in ["dog", "n01440764", "in1k-000", "a.b_c-d", "0"] {
            let t = with_labels(&format!("[[labels]]\nid = \"{good}\"\nname = \"A\"\n"));
            LabelSet::from_toml_str(&t, Path::new("x")).unwrap();
        }
    }

    #[test]
    fn threshold_range() {
        for (bad, col) in [("1.5", 13), ("-1.01", 13), ("nan", 13), ("inf", 13), ("1e300", 13), ("2", 13)] {
            let t = with_labels(&format!("[[labels]]\nid = \"a\"\nname = \"A\"\nmin_score = {bad}\n"));
            assert_err(&t, 6, col, "outside [-1, 1]");
        }
        // Overflowing literals are caught by toml itself, still located.
        let t = with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\nmin_score = 1e400\n");
        assert_err(&t, 6, 13, "overflow");
        let t = with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\nmin_score = 99999999999999999999999\n");
        assert_err(&t, 6, 13, "expected f64");
        for good in ["1", "-1", "0.3", "-0.0"] {
            let t = with_labels(&format!("[[labels]]\nid = \"a\"\nname = \"A\"\nmin_score = {good}\n"));
            LabelSet::from_toml_str(&t, Path::new("x")).unwrap();
        }
    }

    #[test]
    fn empty_label_list() {
        assert_err(HEAD, 1, 1, "no labels");
        assert_err(&format!("{HEAD}labels = []\n"), 3, 10, "no labels");
    }

    #[test]
    fn empty_prompt_list_after_expansion() {
        let t =
            with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\n[[labels]]\nid = \"b\"\nname = \"B\"\ntemplates = []\n");
        assert_err(&t, 9, 13, "label \"b\" expands to no prompt");
        // Set-level `templates = []` is allowed as long as each label has prompts.
        let t = format!("{HEAD}templates = []\n[[labels]]\nid = \"a\"\nname = \"A\"\nprompts = [\"a thing\"]\n[[labels]]\nid = \"b\"\nname = \"B\"\n");
        assert_err(&t, 8, 1, "label \"b\" expands to no prompt");
    }

    #[test]
    fn versions() {
        for good in ["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha.1", "1.0.0+build.5", "1.0.0-rc-1+sha.abc"] {
            assert_eq!(check_version(good), Ok(()), "{good}");
        }
        for bad in ["", "1", "1.0", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0+", "v1.0.0", "1.0.0-a..b", "1.x.0"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        assert_err("name = \"t\"\nversion = \"1.0\"\n", 2, 11, "version \"1.0\" is not a semantic version");
    }

    #[test]
    fn syntax_errors_and_garbage_never_panic() {
        assert_err("name = \"t\"\nversion = \n", 2, 11, "");
        let (line, _, _) = err("\u{0}\u{1}\u{2}garbage\u{7f}");
        assert_eq!(line, 1);
        let deep = format!("{HEAD}x = {}", "[".repeat(100_000));
        let (line, _, reason) = err(&deep);
        assert_eq!(line, 3);
        assert!(reason.contains("recurs"), "{reason}");
        // Every prefix of a valid file fails cleanly or parses.
        let good = with_labels("[[labels]]\nid = \"é\"\nname = \"A\"\nsynonyms = [\"b\"]\nmin_score = 0.5\n");
        for end in (0..=good.len()).filter(|&e| good.is_char_boundary(e)) {
            let _ = LabelSet::from_toml_str(&good[..end], Path::new("p"));
        }
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let t = format!("\u{feff}{}", with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\n"));
        LabelSet::from_toml_str(&t, Path::new("x")).unwrap();
    }

    #[test]
    fn from_file_reports_io_and_utf8_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        assert!(matches!(LabelSet::from_file(&missing), Err(Error::Io { .. })));
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, b"name = \"t\"\nversion = \"\xff\"\n").unwrap();
        match LabelSet::from_file(&bad) {
            Err(Error::LabelSet { path, line, column, reason }) => {
                assert_eq!((path, line, column), (bad.clone(), 2, 12));
                assert!(reason.contains("UTF-8"));
            }
            other => panic!("{other:?}"),
        }
        let good = dir.path().join("good.toml");
        std::fs::write(&good, with_labels("[[labels]]\nid = \"a\"\nname = \"A\"\n")).unwrap();
        assert_eq!(LabelSet::from_file(&good).unwrap().labels.len(), 1);
    }

    #[test]
    fn display_is_path_line_column_reason() {
        let e = LabelSet::from_toml_str(&with_labels("[[labels]]\nid = \"A\"\nname = \"A\"\n"), Path::new("x.toml"))
            .unwrap_err();
        assert!(e.to_string().starts_with("x.toml:4:6: label id \"A\" must match"), "{e}");
    }

    #[test]
    fn inline_tables_work_too() {
        let t = with_labels("labels = [{ id = \"a\", name = \"A\" }, { id = \"a\", name = \"B\" }]\n");
        assert_err(&t, 3, 44, "duplicate label id");
    }
}
