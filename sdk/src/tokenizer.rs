//! CLIP byte-level BPE tokenizer (placeholder, being written).
