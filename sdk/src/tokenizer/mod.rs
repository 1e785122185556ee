//! The CLIP byte-level BPE tokenizer of PE Core (reference §9), built on Hugging Face
//! `tokenizers`.
//!
//! ```text
//! text ─ clean (Rust) ─ Split(CLIP regex) ─ ByteLevel ─ BPE(</w>) ─ [SOT] ids [EOT] 0 0 …
//!        └ this module ┘ └──────── tokenizers::Tokenizer ────────┘ └ ClipTokenizer::encode ┘
//! ```
//!
//! The ids equal the reference's (`SimpleTokenizer` with `clean="lower"`) on the fixture prompts
//! and on the hand-checked cases of the tests; the vocabulary is the gzipped merges file
//! `bpe_simple_vocab_16e6.txt.gz` (bundled by the `bundled-tokenizer` feature), or a
//! `tokenizer.json` written by [`ClipTokenizer::save`].
//!
//! # Cleaning
//!
//! [`ClipTokenizer::clean`] reproduces `whitespace_clean(basic_clean(text)).lower()`:
//! `ftfy.fix_text` with its defaults, `html.unescape` twice, strip, every run of whitespace
//! (Python's definition, which includes U+001C..U+001F) → one space, strip, full Unicode
//! lowercase. Of `ftfy.fix_text` (6.3.1), these steps are reproduced exactly, in ftfy's order,
//! repeated until the text stops changing, segment by segment (lines, at most 10⁶ code points):
//! - HTML unescaping "auto" (`&...;` references only, plus upper-case names like `&EACUTE;`;
//!   switched off from the first line containing `<` on);
//! - `fix_c1_controls` (U+0080..U+009F read as Windows-1252);
//! - Latin ligatures expanded (`ﬁ` → `fi`, `ĳ` → `ij`, …);
//! - full-width / half-width forms → standard width (`Ａ` → `A`, U+3000 → space, `ｶ` → `カ`);
//! - curly quotes → straight (`‘ ’ ‚ ‛ ʼ` → `'`, `“ ” „ ‟` → `"`);
//! - line breaks (CRLF, CR, U+2028, U+2029, U+0085) → `\n`;
//! - ANSI terminal escapes removed;
//! - control characters removed (C0 other than tab, LF, FF, CR; DEL; U+206A..U+206F; BOM;
//!   U+FFF9..U+FFFC);
//! - NFC normalisation.
//!
//! Not reproduced:
//! - **mojibake repair** (`fix_encoding`, `restore_byte_a0`, `replace_lossy_sequences`,
//!   `decode_inconsistent_utf8`): ftfy re-decodes text that its heuristics judge to be UTF-8
//!   read in a legacy encoding ("cafÃ©" → "café"); here such text is tokenised as it is. This
//!   affects mostly text that is already mis-decoded, but the heuristics also fire on some rare
//!   legitimate sequences (`Ž½` becomes U+07BD in the reference).
//! - `fix_surrogates`: a Rust `&str` cannot contain surrogates.
//! - Unicode versions: the reference's CPython 3.11 lowercases and normalises with Unicode 14
//!   tables and its `regex` module has tables of its own; here lowercasing, NFC and the regex
//!   classes use those of Rust's std, `unicode-normalization` and the `regex` crate (through
//!   `tokenizers`' pure-Rust `fancy-regex` engine; no C, so it builds for iOS). Code points that
//!   were unassigned in Unicode 14 may tokenise differently.
//!
//! A comparison with the reference on 30 000 random and adversarial strings during development
//! found no differences other than mojibake repair, the special tokens (below) and code points
//! unassigned in Unicode 14.
//!
//! # Special tokens in user text
//!
//! The reference regex starts with the literal strings `<start_of_text>|<end_of_text>`, so a
//! user text containing one of them yields the special id, which moves the pooling position.
//! Here they are **neutralised**: the pre-tokeniser has no special-token alternatives, so such a
//! string is tokenised as ordinary text (`<`, `end`, `_`, `of`, `_`, `text`, `>`), and the only
//! special ids of an encoding are the SOT at index 0 and the EOT at `eot_index`.

mod bpe;
mod clean;
mod html;
mod tables;

use std::path::Path;

use crate::{Error, Result};

/// Token ids of one text, framed for the text tower.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizedText {
    /// Exactly `context_length` ids: `SOT_ID`, the text's ids, `EOT_ID`, then `PAD_ID` (0).
    /// Values in `0..VOCAB_SIZE`.
    pub ids: Vec<u32>,
    /// Index of the EOT id in `ids` (the position the text tower pools at), in
    /// `1..context_length`.
    pub eot_index: usize,
    /// Whether the text had more than `context_length - 2` ids and was cut (the reference keeps
    /// the first `context_length - 2` and ends with EOT).
    pub truncated: bool,
}

/// The CLIP tokenizer: cleaning plus byte-level BPE with the 49 408-id vocabulary.
///
/// Cheap to share (`&self` methods, `Send + Sync`); cloning copies the vocabulary.
#[derive(Clone)]
pub struct ClipTokenizer {
    inner: tokenizers::Tokenizer,
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for ClipTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipTokenizer").field("fingerprint", &self.fingerprint_hex()).finish()
    }
}

impl ClipTokenizer {
    /// Id of `<start_of_text>`, first of every encoding.
    pub const SOT_ID: u32 = bpe::SOT_ID;
    /// Id of `<end_of_text>`, at [`TokenizedText::eot_index`].
    pub const EOT_ID: u32 = bpe::EOT_ID;
    /// Id used for padding after EOT (the reference pads with 0, the id of `!`).
    pub const PAD_ID: u32 = 0;
    /// Number of ids (49 408).
    pub const VOCAB_SIZE: usize = bpe::VOCAB_SIZE;
    /// Largest `context_length` accepted (PE Core uses 32 or 72); guards against absurd
    /// allocations.
    pub const MAX_CONTEXT_LENGTH: usize = 1 << 16;

    /// Builds the tokenizer from the gzipped CLIP merges file (`bpe_simple_vocab_16e6.txt.gz`).
    pub fn from_bpe_gz_bytes(bytes: &[u8]) -> Result<Self> {
        let merges = bpe::merges_from_gz(bytes)?;
        let inner = bpe::build(&merges)?;
        Ok(Self { inner, fingerprint: bpe::fingerprint(&merges) })
    }

    /// Reads and builds from the gzipped CLIP merges file at `path`.
    pub fn from_bpe_gz_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bpe_gz_bytes(&bytes)
    }

    /// The CLIP vocabulary compiled into the library (`models/tokenizer/`, 1.3 MB).
    #[cfg(feature = "bundled-tokenizer")]
    pub fn bundled() -> Result<Self> {
        static BYTES: &[u8] = include_bytes!("../../../models/tokenizer/bpe_simple_vocab_16e6.txt.gz");
        Self::from_bpe_gz_bytes(BYTES)
    }

    /// Loads a Hugging Face `tokenizer.json` written by [`save`](Self::save).
    ///
    /// The file must describe exactly the pipeline this type builds (same pre-tokeniser, BPE
    /// options and id layout); any other tokenizer, including the CLIP `tokenizer.json` of
    /// Hugging Face hub repos (other special tokens, other cleaning), is rejected.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_json_bytes(&bytes).map_err(|e| match e {
            Error::Tokenizer { reason } => Error::Tokenizer { reason: format!("{}: {reason}", path.display()) },
            other => other,
        })
    }

    /// Like [`from_file`](Self::from_file), from the file's bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self> {
        let loaded = tokenizers::Tokenizer::from_bytes(bytes)
            .map_err(|e| Error::Tokenizer { reason: format!("cannot parse tokenizer.json: {e}") })?;
        let merges = bpe::merges_of(&loaded)?;
        if merges.len() != bpe::N_MERGES {
            return Err(Error::Tokenizer {
                reason: format!("tokenizer.json has {} merges, a CLIP tokenizer has {}", merges.len(), bpe::N_MERGES),
            });
        }
        // Rebuild from the merges and require the loaded pipeline to serialise identically:
        // this checks vocabulary layout, special tokens, regex and every option at once.
        let expected = bpe::build(&merges)?;
        let (found, wanted) = (to_value(&loaded)?, to_value(&expected)?);
        if found != wanted {
            let differing = differing_keys(&found, &wanted);
            return Err(Error::Tokenizer {
                reason: format!("tokenizer.json differs from the CLIP tokenizer pelabel writes in: {differing}"),
            });
        }
        Ok(Self { inner: loaded, fingerprint: bpe::fingerprint(&merges) })
    }

    /// The Hugging Face `tokenizer.json` of this tokenizer (compact JSON, about 2 MB). It
    /// covers pre-tokenisation and BPE; cleaning and SOT/EOT framing are done by this type.
    pub fn to_json_bytes(&self) -> Result<Vec<u8>> {
        self.inner
            .to_string(false)
            .map(String::into_bytes)
            .map_err(|e| Error::Tokenizer { reason: format!("cannot serialise tokenizer: {e}") })
    }

    /// Writes [`to_json_bytes`](Self::to_json_bytes) to `path` (loaded back by
    /// [`from_file`](Self::from_file)).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_json_bytes()?;
        std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
    }

    /// The reference cleaning of a text (see the module docs): what is tokenised.
    pub fn clean(text: &str) -> String {
        clean::clean(text)
    }

    /// The BPE ids of the cleaned text: no SOT/EOT, no truncation, no padding.
    pub fn bpe_ids(&self, text: &str) -> Result<Vec<u32>> {
        let cleaned = bpe::for_split(clean::clean(text));
        let encoding = self
            .inner
            .encode_fast(cleaned.as_str(), false)
            .map_err(|e| Error::Tokenizer { reason: format!("cannot tokenize {text:?}: {e}") })?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Tokenises one text into exactly `context_length` ids (32 for PE Core T/S/B/L, 72 for G):
    /// `[SOT] ids [EOT] 0 …`, truncated like the reference when too long.
    ///
    /// Errors when `context_length` is below 2 (no room for SOT and EOT) or above
    /// [`MAX_CONTEXT_LENGTH`](Self::MAX_CONTEXT_LENGTH).
    pub fn encode(&self, text: &str, context_length: usize) -> Result<TokenizedText> {
        check_context_length(context_length)?;
        Ok(frame(&self.bpe_ids(text)?, context_length))
    }

    /// [`encode`](Self::encode) for each text, in order.
    pub fn encode_batch(&self, texts: &[&str], context_length: usize) -> Result<Vec<TokenizedText>> {
        check_context_length(context_length)?;
        texts.iter().map(|t| self.encode(t, context_length)).collect()
    }

    /// SHA-256 identifying the vocabulary: the hash of the merges, each written `a b\n` in rank
    /// order (the merge lines of the vocabulary file). Equal for a tokenizer built from the
    /// `.gz` and one loaded from its saved `tokenizer.json`.
    pub fn fingerprint_bytes(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// [`fingerprint_bytes`](Self::fingerprint_bytes) as 64 lowercase hex digits.
    pub fn fingerprint_hex(&self) -> String {
        hex::encode(self.fingerprint)
    }
}

fn check_context_length(context_length: usize) -> Result<()> {
    if (2..=ClipTokenizer::MAX_CONTEXT_LENGTH).contains(&context_length) {
        Ok(())
    } else {
        Err(Error::Tokenizer {
            reason: format!(
                "context length {context_length} is outside 2..={} (SOT and EOT need two \
                 positions)",
                ClipTokenizer::MAX_CONTEXT_LENGTH
            ),
        })
    }
}

/// `[SOT] + ids + [EOT]`, cut to `context_length` with EOT last, padded with `PAD_ID`.
/// `context_length` must be at least 2.
fn frame(bpe_ids: &[u32], context_length: usize) -> TokenizedText {
    let room = context_length.saturating_sub(2);
    let kept = &bpe_ids[..bpe_ids.len().min(room)];
    let mut ids = Vec::with_capacity(context_length);
    ids.push(ClipTokenizer::SOT_ID);
    ids.extend_from_slice(kept);
    ids.push(ClipTokenizer::EOT_ID);
    let eot_index = ids.len() - 1;
    ids.resize(context_length.max(ids.len()), ClipTokenizer::PAD_ID);
    TokenizedText { ids, eot_index, truncated: bpe_ids.len() > room }
}

fn to_value(tokenizer: &tokenizers::Tokenizer) -> Result<serde_json::Value> {
    serde_json::to_value(tokenizer).map_err(|e| Error::Tokenizer { reason: format!("cannot serialise tokenizer: {e}") })
}

/// Top-level keys (and `model.*` keys) whose values differ, for the error message.
fn differing_keys(found: &serde_json::Value, wanted: &serde_json::Value) -> String {
    let mut keys = Vec::new();
    let (Some(f), Some(w)) = (found.as_object(), wanted.as_object()) else {
        return "the whole document".into();
    };
    for (key, value) in w {
        if f.get(key) != Some(value) {
            match (key.as_str(), f.get(key).and_then(|v| v.as_object()), value.as_object()) {
                ("model", Some(fm), Some(wm)) => {
                    keys.extend(wm.iter().filter(|(k, v)| fm.get(*k) != Some(*v)).map(|(k, _)| format!("model.{k}")))
                }
                _ => keys.push(key.clone()),
            }
        }
    }
    keys.extend(f.keys().filter(|k| !w.contains_key(*k)).cloned());
    if keys.is_empty() {
        "model".into()
    } else {
        keys.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn tokenizer() -> &'static ClipTokenizer {
        static TOKENIZER: OnceLock<ClipTokenizer> = OnceLock::new();
        TOKENIZER.get_or_init(|| {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/tokenizer/bpe_simple_vocab_16e6.txt.gz");
            ClipTokenizer::from_bpe_gz_file(path).expect("load the CLIP vocabulary")
        })
    }

    fn ids(text: &str) -> Vec<u32> {
        tokenizer().bpe_ids(text).unwrap()
    }

    #[test]
    fn id_layout() {
        // Reference §9 and the fixtures.
        assert_eq!(ids("a"), [320]); // "a</w>" = 256 + 64
        assert_eq!(ids("!!!"), [995]);
        assert_eq!(ids("!"), [256]);
        assert_eq!(ids("a photo of a cat."), [320, 1125, 539, 320, 2368, 269]);
        assert_eq!(ClipTokenizer::VOCAB_SIZE, 49408);
        assert_eq!((ClipTokenizer::SOT_ID, ClipTokenizer::EOT_ID), (49406, 49407));
        let vocab = tokenizer().inner.get_vocab(false);
        assert_eq!(vocab.len(), 49408);
        assert_eq!(vocab.get("a</w>"), Some(&320));
        assert_eq!(vocab.get("<start_of_text>"), Some(&49406));
        assert_eq!(vocab.get("<end_of_text>"), Some(&49407));
    }

    #[test]
    fn hand_checked_against_the_reference() {
        // Ids produced by the reference SimpleTokenizer (ftfy 6.3.1, regex, CPython 3.11).
        assert_eq!(ids("\u{FB02}ower"), [4055]); // "ﬂower" → "flower"
        assert_eq!(ids("a</w>"), [320, 34308, 342, 285]);
        assert_eq!(ids("&amp;amp;amp;"), [261]);
        assert_eq!(ids("&ldquo;hi&rdquo;"), [257, 1883, 257]);
        assert_eq!(
            ids("\u{FF28}\u{FF45}\u{FF4C}\u{FF4C}\u{FF4F}\u{3000}\u{FF57}\u{FF4F}\u{FF52}\u{FF4C}\u{FF44}"),
            [3306, 1002]
        );
        assert_eq!(ids("\u{FF76}\u{FF9E}\u{FF77}\u{FF9E}"), [3909, 105, 3909, 362]);
        assert_eq!(ids("\u{1b}[31mred\u{1b}[0m"), [736]);
        assert_eq!(ids("\u{80}uro"), [6309, 5925]);
        assert_eq!(ids("it's 'ſ"), [585, 568, 6, 129, 379]);
        assert_eq!(
            ids("Pi is 3.14159, not 42%"),
            [5357, 533, 274, 269, 272, 275, 272, 276, 280, 267, 783, 275, 273, 260]
        );
        assert_eq!(ids(""), Vec::<u32>::new());
    }

    #[test]
    fn ypogegrammeni_separates_words_as_in_the_reference() {
        // Python `regex` (the reference) and Oniguruma match U+0345 with no alternative of the
        // split regex; the `regex` crate's `(?i)\p{L}` would take it as a letter.
        assert_eq!(ids("\u{345}"), Vec::<u32>::new());
        assert_eq!(ids("a\u{345}b"), ids("a b"));
        assert_eq!(ids("a photo of a \u{345}."), [320, 1125, 539, 320, 269]);
        // After α, NFC composes it into the letter ᾳ (U+1FB3), one word in both engines.
        assert_eq!(ids("\u{3B1}\u{345}"), [157, 122, 367]);
        assert_eq!(ids("\u{1FB3}"), [157, 122, 367]);
        // After Ά (ᾼ + acute, NFC) nothing composes: the lowercased text is ά, U+0345.
        assert_eq!(ids("\u{1FBC}\u{301}"), [138, 361]);
    }

    #[test]
    fn special_token_strings_are_plain_text() {
        // The reference would give [49407] and [3306, 49406, 1002].
        for text in ["<end_of_text>", "<START_OF_TEXT>", "hello <start_of_text> world <end_of_text>"] {
            let t = tokenizer().encode(text, 32).unwrap();
            assert_eq!(t.ids[0], ClipTokenizer::SOT_ID);
            assert_eq!(t.ids[t.eot_index], ClipTokenizer::EOT_ID);
            let specials = t.ids.iter().filter(|&&i| i >= ClipTokenizer::SOT_ID).count();
            assert_eq!(specials, 2, "{text:?}: {:?}", t.ids);
        }
        // "<", "end", "_", "of", "_", "text", ">" like any other text.
        assert_eq!(ids("<end_of_text>"), ids("< end _ of _ text >"));
        assert_eq!(ids("<end_of_text>").len(), 7);
    }

    #[test]
    fn framing_and_truncation() {
        let t = tokenizer().encode("a photo of a cat.", 16).unwrap();
        assert_eq!(t.ids, [49406, 320, 1125, 539, 320, 2368, 269, 49407, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!((t.eot_index, t.truncated), (7, false));

        // 6 ids fit exactly in 8; in 7 the last id is dropped.
        let t = tokenizer().encode("a photo of a cat.", 8).unwrap();
        assert_eq!((t.ids.len(), t.eot_index, t.truncated), (8, 7, false));
        let t = tokenizer().encode("a photo of a cat.", 7).unwrap();
        assert_eq!(t.ids, [49406, 320, 1125, 539, 320, 2368, 49407]);
        assert_eq!((t.eot_index, t.truncated), (6, true));

        let t = tokenizer().encode("a photo", 2).unwrap();
        assert_eq!((t.ids, t.eot_index, t.truncated), (vec![49406, 49407], 1, true));
        let t = tokenizer().encode("", 4).unwrap();
        assert_eq!((t.ids, t.eot_index, t.truncated), (vec![49406, 49407, 0, 0], 1, false));
    }

    #[test]
    fn bad_context_lengths_are_errors() {
        for ctx in [0, 1, ClipTokenizer::MAX_CONTEXT_LENGTH + 1, usize::MAX] {
            assert!(matches!(tokenizer().encode("a", ctx), Err(Error::Tokenizer { .. })), "{ctx}");
            assert!(tokenizer().encode_batch(&[], ctx).is_err(), "{ctx}");
        }
    }

    #[test]
    fn batch_equals_single() {
        let texts = ["a photo of a cat.", "", "A PHOTO OF A DOG!!!"];
        let batch = tokenizer().encode_batch(&texts, 16).unwrap();
        assert_eq!(batch.len(), 3);
        for (text, t) in texts.iter().zip(&batch) {
            assert_eq!(&tokenizer().encode(text, 16).unwrap(), t);
        }
    }

    #[test]
    fn json_round_trip_and_fingerprint() {
        let original = tokenizer();
        let json = original.to_json_bytes().unwrap();
        let loaded = ClipTokenizer::from_json_bytes(&json).unwrap();
        assert_eq!(loaded.fingerprint_bytes(), original.fingerprint_bytes());
        for text in ["a photo of a cat.", "Crème brûlée at the cafe\u{301}", "!!! 3.14 ﬁ <end_of_text>"] {
            assert_eq!(loaded.encode(text, 32).unwrap(), original.encode(text, 32).unwrap());
        }
        // SHA-256 of lines 2..=48895 of the vocabulary file, each with its '\n' (Python).
        assert_eq!(original.fingerprint_hex(), "d308b7377a8ceaa9707a21614fe8c831b9196e197b7aeb69833359362907af02");

        // Tampered files are rejected.
        let text = String::from_utf8(json).unwrap();
        let tampered = text.replacen("<end_of_text>", "<|endoftext|>", 1);
        let err = ClipTokenizer::from_json_bytes(tampered.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("model.vocab"), "{err}");
        let tampered = text.replacen(r"|\\p{N}|", r"|\\p{N}+|", 1);
        assert_ne!(tampered, text);
        let err = ClipTokenizer::from_json_bytes(tampered.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("pre_tokenizer"), "{err}");
        assert!(ClipTokenizer::from_json_bytes(b"{}").is_err());
        assert!(ClipTokenizer::from_json_bytes(b"\xff").is_err());
    }

    #[test]
    fn save_and_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        tokenizer().save(&path).unwrap();
        let loaded = ClipTokenizer::from_file(&path).unwrap();
        assert_eq!(loaded.fingerprint_bytes(), tokenizer().fingerprint_bytes());
        let missing = dir.path().join("missing.json");
        assert!(matches!(ClipTokenizer::from_file(&missing), Err(Error::Io { .. })));
        assert!(matches!(ClipTokenizer::from_bpe_gz_file(&missing), Err(Error::Io { .. })));
    }

    #[cfg(feature = "bundled-tokenizer")]
    #[test]
    fn bundled_is_the_models_file() {
        let bundled = ClipTokenizer::bundled().unwrap();
        assert_eq!(bundled.fingerprint_bytes(), tokenizer().fingerprint_bytes());
    }

    #[test]
    fn tokenizer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ClipTokenizer>();
    }
}
