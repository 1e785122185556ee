//! HTML character references, decoded exactly as the reference's Python code does.
//!
//! Two decoders are needed:
//! - [`unescape`] is CPython's `html.unescape` (applied twice by the reference after ftfy): named
//!   references of the HTML5 list, with or without `;` (longest known prefix wins, as the
//!   standard says), decimal and hex numeric references with HTML5's replacement rules.
//! - [`ftfy_unescape`] is ftfy's `unescape_html` (a step of `ftfy.fix_text`): only references
//!   ending in `;`, plus upper-case spellings of lower-case names (`&EACUTE;` → `É`).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::tables::HTML5;

/// Windows-1252 meaning of the bytes 0x80–0x9F; the five bytes it leaves undefined (0x81, 0x8D,
/// 0x8F, 0x90, 0x9D) map to the same C1 code point. Used by `html.unescape` for `&#128;`..
/// `&#159;` and by ftfy's `fix_c1_controls` (its "sloppy" Windows-1252).
pub(super) const WINDOWS_1252_C1: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{2C6}', '\u{2030}',
    '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}',
    '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}',
    '\u{17E}', '\u{178}',
];

/// Value of a name (without the `&`, with its `;` if any) in the HTML5 list.
fn html5(name: &str) -> Option<&'static str> {
    HTML5.binary_search_by(|(n, _)| (*n).cmp(name)).ok().map(|i| HTML5[i].1)
}

/// CPython's `html.unescape`.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match charref_len(after) {
            Some(len) => {
                replace_charref(&after[..len], &mut out);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Length in bytes of the reference at the start of `s` (just after a `&`), per CPython's regex
/// `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`, or `None` when it does not match.
fn charref_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let with_semicolon = |len: usize| {
        if b.get(len) == Some(&b';') {
            len + 1
        } else {
            len
        }
    };
    if b.first() == Some(&b'#') {
        let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 {
            return Some(with_semicolon(1 + digits));
        }
        if matches!(b.get(1), Some(b'x' | b'X')) {
            let hex = b[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if hex > 0 {
                return Some(with_semicolon(2 + hex));
            }
        }
        return None; // the name alternative cannot start with '#'
    }
    let len: usize = s
        .chars()
        .take_while(|c| !matches!(c, '\t' | '\n' | '\u{c}' | ' ' | '<' | '&' | '#' | ';'))
        .take(32)
        .map(char::len_utf8)
        .sum();
    (len > 0).then(|| with_semicolon(len))
}

/// CPython's `_replace_charref` for `s` (the reference without its `&`), appended to `out`.
fn replace_charref(s: &str, out: &mut String) {
    if let Some(num) = s.strip_prefix('#') {
        let num = num.trim_end_matches(';');
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => parse_saturating(hex, 16),
            None => parse_saturating(num, 10),
        };
        push_numeric(code, out);
        return;
    }
    if let Some(value) = html5(s) {
        out.push_str(value);
        return;
    }
    // Longest known prefix of at least 2 characters (names are ASCII, so char and byte
    // boundaries agree where a match is possible).
    let boundaries: Vec<usize> = s.char_indices().map(|(i, _)| i).skip(2).collect();
    for &end in boundaries.iter().rev() {
        if let Some(value) = html5(&s[..end]) {
            out.push_str(value);
            out.push_str(&s[end..]);
            return;
        }
    }
    out.push('&');
    out.push_str(s);
}

/// Parses ASCII digits in `radix`, saturating at `u32::MAX` (anything above U+10FFFF is
/// replaced anyway; CPython would raise on more than 4300 decimal digits).
fn parse_saturating(digits: &str, radix: u32) -> u32 {
    digits.chars().filter_map(|c| c.to_digit(radix)).fold(0u32, |acc, d| acc.saturating_mul(radix).saturating_add(d))
}

/// The numeric-reference rules of `html.unescape` (HTML5 §13.2.5.80).
fn push_numeric(code: u32, out: &mut String) {
    match code {
        0x00 => out.push('\u{FFFD}'),
        0x0D => out.push('\r'),
        0x80..=0x9F => out.push(WINDOWS_1252_C1[(code - 0x80) as usize]),
        0xD800..=0xDFFF | 0x11_0000.. => out.push('\u{FFFD}'),
        // "Invalid code points" are dropped.
        0x01..=0x08 | 0x0B | 0x0E..=0x1F | 0x7F | 0xFDD0..=0xFDEF => {}
        c if c & 0xFFFE == 0xFFFE => {}
        c => out.extend(char::from_u32(c)),
    }
}

/// ftfy's extra table: the upper-case spelling of every lower-case HTML5 name ending in `;`
/// that `html.unescape` would leave alone, mapped to the upper-cased value.
fn ftfy_upper_entities() -> &'static HashMap<String, String> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for (name, value) in HTML5.iter() {
            if name.ends_with(';') && *name == name.to_lowercase() {
                let upper = format!("&{}", name.to_ascii_uppercase());
                if unescape(&upper) == upper {
                    table.insert(upper, value.to_uppercase());
                }
            }
        }
        table
    })
}

/// ftfy's `unescape_html`: replaces each match of `&#?[0-9A-Za-z]{1,24};` that is a known
/// reference.
pub(super) fn ftfy_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let candidate = &rest[amp..];
        let b = candidate.as_bytes();
        let start = if b.get(1) == Some(&b'#') { 2 } else { 1 };
        let run = b[start..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        if (1..=24).contains(&run) && b.get(start + run) == Some(&b';') {
            let entity = &candidate[..start + run + 1];
            out.push_str(&ftfy_fixup(entity));
            rest = &candidate[entity.len()..];
        } else {
            out.push('&');
            rest = &candidate[1..];
        }
    }
    out.push_str(rest);
    out
}

/// ftfy's `_unescape_fixup` for one matched `&...;`.
fn ftfy_fixup(entity: &str) -> String {
    let name = &entity[1..];
    if let Some(value) = html5(name) {
        // Every HTML5 name ending in ';' is in ftfy's table.
        return value.to_owned();
    }
    if let Some(value) = ftfy_upper_entities().get(entity) {
        return value.clone();
    }
    if entity.starts_with("&#") {
        let unescaped = unescape(entity);
        // "If html.unescape only decoded part of the string, that's not what we want."
        if !unescaped.contains(';') {
            return unescaped;
        }
    }
    entity.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(HTML5.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(html5("amp;"), Some("&"));
        assert_eq!(html5("amp"), Some("&"));
        assert_eq!(html5("nosuch;"), None);
    }

    #[test]
    fn unescape_matches_cpython() {
        // Outputs checked against CPython 3.11 html.unescape.
        let cases = [
            ("no entities", "no entities"),
            ("&amp;", "&"),
            ("&amp", "&"),
            ("&amp;amp;", "&amp;"),
            ("&lt;b&gt;", "<b>"),
            ("&notit;", "¬it;"),
            ("&notin;", "∉"),
            ("&#65;&#x42;&#X43", "ABC"),
            ("&#0;", "\u{FFFD}"),
            ("&#128;", "€"),
            ("&#129;", "\u{81}"),
            ("&#13;", "\r"),
            ("&#1;x", "x"),
            ("&#xD800;", "\u{FFFD}"),
            ("&#x110000;", "\u{FFFD}"),
            ("&#99999999999999999999;", "\u{FFFD}"),
            ("&#xFFFE;&#x1FFFF;", ""),
            ("&#x;", "&#x;"),
            ("&#;", "&#;"),
            ("& amp;", "& amp;"),
            ("&unknown;", "&unknown;"),
            ("&ampé", "&é"),
            ("&éamp;", "&éamp;"),
            ("&&amp;", "&&"),
        ];
        for (input, expected) in cases {
            assert_eq!(unescape(input), expected, "{input:?}");
        }
    }

    #[test]
    fn ftfy_unescape_matches_ftfy() {
        // Outputs checked against ftfy 6.3.1 fixes.unescape_html.
        let cases = [
            ("&amp;", "&"),
            ("&amp", "&amp"),
            ("&EACUTE;", "É"),
            ("&SZLIG;", "SS"),
            ("&ntilde; &Ntilde; &NTILDE; &nTILDE;", "ñ Ñ Ñ &nTILDE;"),
            ("&AMP;", "&"),
            ("&#x2019;", "\u{2019}"),
            ("&#0;", "\u{FFFD}"),
            ("&#xZZ;", "&#xZZ;"),
            ("&checkmark;", "✓"),
            ("&aaaaaaaaaaaaaaaaaaaaaaaaa;", "&aaaaaaaaaaaaaaaaaaaaaaaaa;"),
        ];
        for (input, expected) in cases {
            assert_eq!(ftfy_unescape(input), expected, "{input:?}");
        }
        assert_eq!(ftfy_upper_entities().len(), 1376);
    }
}
