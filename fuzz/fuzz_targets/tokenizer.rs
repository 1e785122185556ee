//! Tokenizer text (`ClipTokenizer::encode` on the bundled CLIP BPE): cleaning (ftfy-like fixes,
//! HTML unescaping, whitespace), the pre-tokenizer regex and BPE, truncation to the context.
//!
//! Input: first byte picks the context length (0..=95, below 2 and above the maximum must be
//! errors); the rest is the text (invalid UTF-8 replaced). Checks: exactly `context_length`
//! ids, SOT first, EOT at `eot_index`, ids inside the vocabulary, and the same ids as the
//! untruncated BPE when it fits.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pelabel::ClipTokenizer;
use pelabel_fuzz::*;

limited_alloc!();

const SOT: u32 = 49406;
const EOT: u32 = 49407;

fn tokenizer() -> &'static ClipTokenizer {
    static T: OnceLock<ClipTokenizer> = OnceLock::new();
    T.get_or_init(|| ClipTokenizer::bundled().expect("bundled tokenizer"))
}

fuzz_target!(init: {
    maybe_write_seeds("tokenizer", |dir| {
        let texts: &[&str] = &[
            "a photo of a cat.", "A PHOTO OF A DOG!!", "golden retriever, dog", "  multiple   spaces\t\n",
            "&amp; &lt;b&gt;html&lt;/b&gt; &#39;quotes&#39; &#x1F600;", "naïve café résumé", "日本語のテキスト",
            "emoji 🐱🐶🏳️‍🌈", "it's don't we'll I'M", "12345 3.14159 1e10", "\u{0}\u{1}\u{7f}\u{fffd}",
            "Ã©tÃ© mojibake", "a\u{301}e\u{308}", "supercalifragilisticexpialidocious", "<|startoftext|>",
        ];
        for (i, t) in texts.iter().enumerate() {
            let mut b = vec![32u8];
            b.extend_from_slice(t.as_bytes());
            seed(dir, &format!("text-{i:02}"), &b);
        }
        let mut long = vec![72u8];
        long.extend_from_slice("a photo of a very long label name ".repeat(20).as_bytes());
        seed(dir, "long-truncated", &long);
    });
    tokenizer();
}, |data: &[u8]| {
    let Some((&ctx, text)) = data.split_first() else { return };
    let ctx = usize::from(ctx % 96);
    let text = String::from_utf8_lossy(text);
    let t = tokenizer();
    let Ok(enc) = t.encode(&text, ctx) else {
        assert!(ctx < 2 || ctx > ClipTokenizer::MAX_CONTEXT_LENGTH, "encode failed at context {ctx}");
        return;
    };
    trace(|| format!("{ctx}: {:?}", enc.ids));
    assert_eq!(enc.ids.len(), ctx);
    assert_eq!(enc.ids[0], SOT);
    assert_eq!(enc.ids[enc.eot_index], EOT);
    assert!(enc.ids.iter().all(|&id| id < 49408));
    let bpe = t.bpe_ids(&text).expect("bpe ids");
    if bpe.len() + 2 <= ctx {
        assert!(!enc.truncated);
        assert_eq!(&enc.ids[1..=bpe.len()], &bpe[..]);
        assert!(enc.ids[bpe.len() + 2..].iter().all(|&id| id == 0));
    } else {
        assert!(enc.truncated);
    }
});
