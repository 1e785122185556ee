//! Exact search: one matrix-vector product over the `[n, d]` matrix and a partial sort.

use rayon::prelude::*;

use super::{check_matrix, check_query, dot, hit_order, Hit, LabelIndex};
use crate::Result;

/// Rows per parallel task. Below two tasks' worth the scan stays on the calling thread: on
/// small packs thread hand-off costs more than the scan (measured in `benches/index.rs`).
const ROWS_PER_TASK: usize = 16_384;

/// Exact search over an `[n, d]` row-major f32 matrix of label embeddings.
#[derive(Clone)]
pub struct ExactIndex {
    vectors: Vec<f32>,
    dim: usize,
    len: usize,
}

impl ExactIndex {
    /// Index the `[n, d]` row-major matrix `vectors` (`n = vectors.len() / dim`; `n = 0` is
    /// allowed). Rows should be L2-normalised for scores to be cosines.
    ///
    /// Errors: [`crate::Error::Index`] when `dim` is 0, `vectors.len()` is not a multiple of
    /// `dim`, or a value is NaN or infinite.
    pub fn new(vectors: Vec<f32>, dim: usize) -> Result<Self> {
        let len = check_matrix(&vectors, dim)?;
        Ok(Self { vectors, dim, len })
    }

    /// The `[n, d]` row-major embedding matrix.
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    /// Give the embedding matrix back.
    pub fn into_vectors(self) -> Vec<f32> {
        self.vectors
    }
}

impl std::fmt::Debug for ExactIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExactIndex").field("len", &self.len).field("dim", &self.dim).finish_non_exhaustive()
    }
}

impl LabelIndex for ExactIndex {
    fn len(&self) -> usize {
        self.len
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn search(&self, query: &[f32], top_k: usize) -> Result<Vec<Hit>> {
        check_query(query, self.dim)?;
        Ok(exact_top_k(&self.vectors, self.dim, query, top_k))
    }
}

/// Exact top-k over an already validated matrix and query, best first.
pub(super) fn exact_top_k(vectors: &[f32], dim: usize, query: &[f32], top_k: usize) -> Vec<Hit> {
    let n = vectors.len() / dim.max(1);
    let k = top_k.min(n);
    if k == 0 {
        return Vec::new();
    }
    let mut hits = if n >= 2 * ROWS_PER_TASK && rayon::current_num_threads() > 1 {
        vectors
            .par_chunks(ROWS_PER_TASK * dim)
            .enumerate()
            .map(|(task, rows)| scan(rows, dim, query, k, task * ROWS_PER_TASK))
            .reduce(Vec::new, |mut a, b| {
                a.extend(b);
                a
            })
    } else {
        scan(vectors, dim, query, k, 0)
    };
    keep_best(&mut hits, k);
    hits
}

/// Best `k` rows of `rows` (row-major, `dim` wide; row 0 has index `first`), unsorted.
fn scan(rows: &[f32], dim: usize, query: &[f32], k: usize, first: usize) -> Vec<Hit> {
    // Keep at most 2k candidates; when full, cut to the best k and only admit scores above the
    // k-th. O(n) amortised, no allocation per row.
    let mut hits: Vec<Hit> = Vec::with_capacity(2 * k);
    let mut floor = f32::NEG_INFINITY;
    for (i, row) in rows.chunks_exact(dim).enumerate() {
        let score = dot(query, row);
        if score < floor {
            continue;
        }
        hits.push(Hit { index: first + i, score });
        if hits.len() == 2 * k {
            keep_best(&mut hits, k);
            floor = hits.iter().map(|h| h.score).fold(f32::INFINITY, f32::min);
        }
    }
    hits
}

/// Cut `hits` to its best `k`, sorted best first.
fn keep_best(hits: &mut Vec<Hit>, k: usize) {
    if hits.len() > k && k > 0 {
        hits.select_nth_unstable_by(k - 1, hit_order);
    }
    hits.truncate(k);
    hits.sort_unstable_by(hit_order);
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::Error;

    fn brute(vectors: &[f32], dim: usize, q: &[f32]) -> Vec<Hit> {
        let mut all: Vec<Hit> = vectors
            .chunks_exact(dim)
            .enumerate()
            .map(|(index, r)| Hit {
                index,
                score: r.iter().zip(q).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>() as f32,
            })
            .collect();
        all.sort_by(hit_order);
        all
    }

    #[test]
    fn top_k_matches_brute_force() {
        let (n, d) = (3000, 24);
        let v = unit_vectors(n, d, 7);
        let idx = ExactIndex::new(v.clone(), d).unwrap();
        for (qi, k) in [(0u64, 1usize), (1, 10), (2, 100), (3, 2999)] {
            let q = unit_vectors(1, d, 100 + qi);
            let got = idx.search(&q, k).unwrap();
            let want = brute(&v, d, &q);
            assert_eq!(got.len(), k);
            for (g, w) in got.iter().zip(&want) {
                // Same set and order up to float rounding: compare scores, then indices where
                // the scores are clearly separated.
                assert!((g.score - w.score).abs() < 1e-5, "{g:?} vs {w:?}");
            }
            let got_ids: Vec<usize> = got.iter().map(|h| h.index).collect();
            let want_ids: Vec<usize> = want[..k].iter().map(|h| h.index).collect();
            assert_eq!(got_ids, want_ids);
            assert!(got.windows(2).all(|w| w[0].score >= w[1].score));
        }
    }

    #[test]
    fn parallel_scan_matches_serial_scan() {
        let (n, d) = (2 * ROWS_PER_TASK + 1000, 8);
        let v = unit_vectors(n, d, 9);
        let q = unit_vectors(1, d, 10);
        let par = exact_top_k(&v, d, &q, 37);
        let mut ser = scan(&v, d, &q, 37, 0);
        keep_best(&mut ser, 37);
        assert_eq!(par, ser);
    }

    #[test]
    fn ties_break_by_lower_index() {
        let v = vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
        let idx = ExactIndex::new(v, 2).unwrap();
        let hits = idx.search(&[1.0, 0.0], 4).unwrap();
        let ids: Vec<usize> = hits.iter().map(|h| h.index).collect();
        assert_eq!(ids, vec![0, 2, 3, 1]);
    }

    #[test]
    fn edge_cases() {
        let idx = ExactIndex::new(unit_vectors(5, 4, 1), 4).unwrap();
        let q = [0.5f32; 4];
        assert_eq!(idx.search(&q, 0).unwrap(), vec![]);
        assert_eq!(idx.search(&q, 50).unwrap().len(), 5);
        let empty = ExactIndex::new(vec![], 4).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.search(&q, 3).unwrap(), vec![]);
        assert!(matches!(empty.search(&[1.0], 3), Err(Error::DimensionMismatch { expected: 4, found: 1 })));
        assert!(matches!(idx.search(&[0.5; 5], 3), Err(Error::DimensionMismatch { expected: 4, found: 5 })));
        assert!(matches!(idx.search(&[0.5, f32::NAN, 0.5, 0.5], 3), Err(Error::Index { .. })));
        assert!(matches!(idx.search(&[0.5, f32::NEG_INFINITY, 0.5, 0.5], 3), Err(Error::Index { .. })));
        assert_eq!(idx.clone().into_vectors().len(), 20);
    }
}
