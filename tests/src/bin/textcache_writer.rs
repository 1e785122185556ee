//! Helper of `tests/textcache_concurrency.rs`: a process that writes to a shared
//! [`pelabel::TextCache`], as one `pelabel compile` would.
//!
//! ```text
//! textcache_writer PATH FINGERPRINT DIM BATCH START END [GO_FILE]   write p{START}..p{END}, then exit
//! textcache_writer PATH FINGERPRINT DIM BATCH START loop            write p{START}.. until killed
//! ```
//!
//! After each committed `put_many` it prints `committed N` (entries `p{START}..p{N}` are then
//! durable). With `GO_FILE` it waits for that file to exist first, so several writers start at
//! once. Embedding `i` is [`embedding`], which the test recomputes to check every value.

use std::path::Path;
use std::process::ExitCode;

/// The embedding stored for prompt `p{i}`: keep in sync with the copy in
/// `tests/textcache_concurrency.rs`.
fn embedding(i: usize, dim: usize) -> Vec<f32> {
    (0..dim).map(|j| (i * 1000 + j) as f32 * 0.5 + 0.25).collect()
}

fn run(args: &[String]) -> pelabel::Result<()> {
    let [path, fingerprint, dim, batch, start, rest @ ..] = args else {
        panic!("usage: textcache_writer PATH FINGERPRINT DIM BATCH START (END [GO_FILE] | loop)");
    };
    let num = |s: &String| s.parse::<usize>().expect("a number");
    let (dim, batch, start) = (num(dim), num(batch), num(start));
    let end = match rest.first().map(String::as_str) {
        Some("loop") => usize::MAX,
        Some(end) => end.parse().expect("END"),
        None => panic!("END or loop"),
    };
    if let Some(go) = rest.get(1) {
        while !Path::new(go).exists() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    let cache = pelabel::TextCache::open(Path::new(path))?;
    let mut i = start;
    while i < end {
        let stop = (i + batch).min(end);
        let prompts: Vec<String> = (i..stop).map(|k| format!("p{k}")).collect();
        let embs: Vec<Vec<f32>> = (i..stop).map(|k| embedding(k, dim)).collect();
        let entries: Vec<(&str, &[f32])> =
            prompts.iter().map(String::as_str).zip(embs.iter().map(Vec::as_slice)).collect();
        cache.put_many(fingerprint, &entries)?;
        println!("committed {stop}");
        i = stop;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("textcache_writer: {e}");
            ExitCode::FAILURE
        }
    }
}
