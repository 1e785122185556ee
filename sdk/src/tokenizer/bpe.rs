//! The CLIP vocabulary and the Hugging Face `tokenizers` pipeline built from it.
//!
//! The vocabulary file `bpe_simple_vocab_16e6.txt.gz` only lists merges; the id layout is implied
//! (reference §9): ids 0–255 are the 256 byte symbols of the GPT-2 byte-to-unicode table, 256–511
//! the same symbols followed by `</w>`, 512–49405 one token per merge in file order, then
//! `<start_of_text>` (49406) and `<end_of_text>` (49407).
//!
//! The pipeline has no normaliser (cleaning is done in Rust before, see `clean.rs`), a
//! pre-tokeniser `Split(CLIP regex) → ByteLevel` and a BPE model with end-of-word suffix `</w>`.
//! Special tokens, padding and truncation are applied outside it, in `ClipTokenizer::encode`.

use std::io::Read;

use sha2::{Digest, Sha256};
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::models::ModelWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{SplitDelimiterBehavior, Tokenizer};

use crate::{Error, Result};

/// Number of merges used: the reference reads lines `1..=48894` of the file (49152 − 256 − 2).
pub(super) const N_MERGES: usize = 49152 - 256 - 2;
/// Number of ids: 512 byte symbols, the merges, two special tokens.
pub(super) const VOCAB_SIZE: usize = 512 + N_MERGES + 2;
/// Start-of-text token string (PE names it like this; OpenAI's CLIP uses `<|startoftext|>`).
pub(super) const SOT_TOKEN: &str = "<start_of_text>";
/// End-of-text token string.
pub(super) const EOT_TOKEN: &str = "<end_of_text>";
/// Id of [`SOT_TOKEN`].
pub(super) const SOT_ID: u32 = (VOCAB_SIZE - 2) as u32;
/// Id of [`EOT_TOKEN`].
pub(super) const EOT_ID: u32 = (VOCAB_SIZE - 1) as u32;
/// Suffix marking the last symbol of a word.
const END_OF_WORD: &str = "</w>";

/// The reference pre-tokenisation regex without its first two alternatives (the literal
/// special-token strings), so that user text can never produce a special id. Everything else is
/// as in the reference: case-insensitive, `'s 't 're 've 'm 'll 'd`, a run of letters, ONE
/// number character, a run of anything that is neither whitespace, letter nor number.
/// Whitespace is what no alternative matches; `Split` with `invert` drops it.
pub(super) const SPLIT_PATTERN: &str = r"(?i)'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+";

/// U+0345 COMBINING GREEK YPOGEGRAMMENI, the one code point on which the `regex` crate (under
/// `tokenizers`' pure-Rust `fancy-regex` engine) and the reference disagree about
/// [`SPLIT_PATTERN`]: its case folding is `ι`, so under `(?i)` the `regex` crate counts it as a
/// letter of `\p{L}+`, while the reference's Python `regex` (and Oniguruma, which pelabel used
/// before) match it with no alternative, so it separates words like whitespace and is dropped
/// (`"a\u{345}b"` is `a`, `b`). Found by comparing both engines on every code point in 20
/// contexts and on 300 000 random strings: no other difference.
const YPOGEGRAMMENI: char = '\u{345}';

/// The text the split regex sees: `cleaned` with [`YPOGEGRAMMENI`] turned into the whitespace it
/// acts as in the reference. The regex drops whitespace, so this changes no other split.
pub(super) fn for_split(cleaned: String) -> String {
    if cleaned.contains(YPOGEGRAMMENI) {
        cleaned.replace(YPOGEGRAMMENI, " ")
    } else {
        cleaned
    }
}

/// One merge: the pair of symbols it joins, in rank order.
pub(super) type Merge = (String, String);

/// The 256 byte symbols in id order (GPT-2's `bytes_to_unicode`): first the 188 printable bytes
/// `!`..`~`, `¡`..`¬`, `®`..`ÿ` as themselves, then the 68 others in increasing order as
/// U+0100 + n.
fn byte_symbols() -> Vec<char> {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b);
    let mut symbols: Vec<char> = (0..=255u8).filter(|&b| printable(b)).map(char::from).collect();
    let others = (0..=255u8).filter(|&b| !printable(b));
    // 68 others: U+0100..=U+0143, all valid scalar values.
    symbols.extend(others.enumerate().filter_map(|(n, _)| char::from_u32(0x100 + n as u32)));
    symbols
}

/// Decompresses a gzipped vocabulary file and parses its merges.
pub(super) fn merges_from_gz(bytes: &[u8]) -> Result<Vec<Merge>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).map_err(|e| Error::Tokenizer {
        reason: format!("cannot decompress the BPE vocabulary (expected gzipped UTF-8 text): {e}"),
    })?;
    parse_merges(&text)
}

/// Parses the merges of a decompressed vocabulary file: skip the header line, take the next
/// [`N_MERGES`] lines, each `a b`. Later lines are ignored, as in the reference.
pub(super) fn parse_merges(text: &str) -> Result<Vec<Merge>> {
    let mut lines = text.split('\n');
    lines.next(); // header ("#version: 0.2")
    let mut merges = Vec::with_capacity(N_MERGES);
    for (i, line) in lines.take(N_MERGES).enumerate() {
        let line_no = i + 2;
        let mut parts = line.split(' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty() => merges.push((a.to_owned(), b.to_owned())),
            _ => {
                return Err(Error::Tokenizer {
                    reason: format!(
                        "BPE vocabulary line {line_no}: expected two symbols separated by one \
                         space, found {line:?}"
                    ),
                })
            }
        }
    }
    if merges.len() != N_MERGES {
        return Err(Error::Tokenizer {
            reason: format!(
                "BPE vocabulary has {} merge lines after the header, expected at least {N_MERGES}",
                merges.len()
            ),
        });
    }
    Ok(merges)
}

/// All tokens in id order (see the module docs for the layout).
fn vocab_tokens(merges: &[Merge]) -> Vec<String> {
    let symbols = byte_symbols();
    let mut tokens = Vec::with_capacity(VOCAB_SIZE);
    tokens.extend(symbols.iter().map(|c| c.to_string()));
    tokens.extend(symbols.iter().map(|c| format!("{c}{END_OF_WORD}")));
    tokens.extend(merges.iter().map(|(a, b)| format!("{a}{b}")));
    tokens.push(SOT_TOKEN.to_owned());
    tokens.push(EOT_TOKEN.to_owned());
    tokens
}

/// Builds the Hugging Face tokenizer (pre-tokeniser and BPE model) from the merges.
pub(super) fn build(merges: &[Merge]) -> Result<Tokenizer> {
    let tokens = vocab_tokens(merges);
    let vocab: Vocab = tokens.iter().enumerate().map(|(id, t)| (t.clone(), id as u32)).collect();
    if vocab.len() != tokens.len() {
        // Two merges produce the same token: the reference would silently give the earlier
        // token the later id; this is not the CLIP vocabulary.
        return Err(Error::Tokenizer {
            reason: format!(
                "BPE vocabulary produces {} distinct tokens, expected {VOCAB_SIZE} (duplicate \
                 merges)",
                vocab.len()
            ),
        });
    }
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges.to_vec())
        .end_of_word_suffix(END_OF_WORD.to_owned())
        .build()
        .map_err(|e| Error::Tokenizer { reason: format!("cannot build the BPE model: {e}") })?;
    let split = Split::new(SplitPattern::Regex(SPLIT_PATTERN.to_owned()), SplitDelimiterBehavior::Removed, true)
        .map_err(|e| Error::Tokenizer { reason: format!("cannot compile the split regex: {e}") })?;
    // The regex already split the text; ByteLevel only maps each byte to its symbol.
    let byte_level = ByteLevel::default().add_prefix_space(false).use_regex(false);
    let pre_tokenizer =
        Sequence::new(vec![PreTokenizerWrapper::Split(split), PreTokenizerWrapper::ByteLevel(byte_level)]);
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(PreTokenizerWrapper::Sequence(pre_tokenizer)));
    Ok(tokenizer)
}

/// The merges of a loaded tokenizer's BPE model, in rank order.
pub(super) fn merges_of(tokenizer: &Tokenizer) -> Result<Vec<Merge>> {
    let not_clip =
        |why: &str| Error::Tokenizer { reason: format!("tokenizer.json is not a CLIP BPE tokenizer: {why}") };
    let ModelWrapper::BPE(bpe) = tokenizer.get_model() else {
        return Err(not_clip("its model is not BPE"));
    };
    let model = serde_json::to_value(bpe)
        .map_err(|e| Error::Tokenizer { reason: format!("cannot serialise the BPE model: {e}") })?;
    let merges =
        model.get("merges").and_then(|m| m.as_array()).ok_or_else(|| not_clip("its BPE model has no merges list"))?;
    merges
        .iter()
        .map(|m| {
            // Serialised as ["a", "b"] (older versions wrote "a b").
            let pair = match m {
                serde_json::Value::Array(pair) => match pair.as_slice() {
                    [a, b] => a.as_str().zip(b.as_str()),
                    _ => None,
                },
                serde_json::Value::String(s) => s.split_once(' '),
                _ => None,
            };
            pair.map(|(a, b)| (a.to_owned(), b.to_owned())).ok_or_else(|| not_clip(&format!("malformed merge {m}")))
        })
        .collect()
}

/// SHA-256 of the merges, each written as `a b\n` in rank order: the same bytes as the
/// vocabulary file's merge lines (each followed by a newline), whichever way the tokenizer was
/// loaded. The merges determine every id (see the module docs).
pub(super) fn fingerprint(merges: &[Merge]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for (a, b) in merges {
        hasher.update(a.as_bytes());
        hasher.update(b" ");
        hasher.update(b.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_symbols_follow_the_gpt2_table() {
        let s = byte_symbols();
        assert_eq!(s.len(), 256);
        assert_eq!(s[0], '!');
        assert_eq!(s[187], 'ÿ');
        assert_eq!(s[188], '\u{100}'); // byte 0
        assert_eq!(s[188 + 32], '\u{120}'); // byte 0x20 (space) is the 33rd non-printable: 'Ġ'
        assert_eq!(s[255], '\u{143}');
        let distinct: std::collections::HashSet<_> = s.iter().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn parse_merges_rejects_short_and_malformed_files() {
        assert!(parse_merges("#version\na b\n").is_err());
        let mut text = String::from("#version: 0.2\n");
        for _ in 0..N_MERGES {
            text.push_str("a b\n");
        }
        assert_eq!(parse_merges(&text).map(|m| m.len()).ok(), Some(N_MERGES));
        let bad = text.replacen("a b", "ab", 1);
        let err = parse_merges(&bad).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        // Duplicate merges are rejected when building.
        let merges = parse_merges(&text).unwrap();
        assert!(build(&merges).is_err());
    }

    #[test]
    fn merges_from_gz_rejects_non_gzip() {
        assert!(merges_from_gz(b"not gzip").is_err());
    }
}
