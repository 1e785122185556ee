//! Nearest-label search: which label embeddings are closest to an image embedding.
//!
//! A label pack holds an `[n, d]` row-major f32 matrix of L2-normalised label embeddings; a
//! query is one L2-normalised image embedding of length `d`. The score of a label is the dot
//! product of the two, i.e. their cosine similarity in `[-1, 1]`.
//!
//! Two engines sit behind the one trait [`LabelIndex`]:
//!
//! - [`ExactIndex`]: one matrix-vector product and a partial sort. Exact, no build step, and the
//!   fastest choice for small packs.
//! - [`HnswIndex`]: a hierarchical navigable small-world graph (Malkov & Yashunin, 2016,
//!   arXiv:1603.09320). Approximate, but its query cost grows roughly with `log n`; it wins above
//!   [`HNSW_MIN_LABELS`] labels (measured, see that constant). Its graph serialises to a compact,
//!   versioned, checksummed byte string ([`HnswIndex::to_bytes`]) that a label pack embeds next to
//!   the embedding matrix, and loads back from a byte slice in milliseconds
//!   ([`HnswIndex::from_bytes`]) without rebuilding anything.
//!
//! [`AnyIndex`] picks the engine by size. The graph is built and searched by this module
//! rather than by the `hnsw_rs` crate: `hnsw_rs` dumps only to a pair of files on disk in
//! native endianness, panics or exits the process on malformed dumps, ties a reloaded index to the
//! lifetime of its loader, and its `DistDot` panics on normalised vectors (tests in
//! `hnsw_rs_edges.rs` pin each of these down).

mod exact;
mod format;
mod hnsw;
#[cfg(test)]
mod hnsw_rs_edges;

pub use exact::ExactIndex;
pub use hnsw::{HnswIndex, HnswOptions};

use crate::{Error, Result};

/// Packs with at least this many labels get an HNSW graph; smaller ones are searched exactly.
///
/// Measured at `d = 512`, top-10, default [`HnswOptions`], on the 2-core development machine
/// (`cargo bench -p pelabel --bench index -- --quick`, clustered label-like data; the machine
/// was shared, so take ±30 %):
///
/// | labels | exact   | HNSW   |
/// |-------:|--------:|-------:|
/// |   1 000 |  0.10 ms | 0.13 ms |
/// |   2 000 |  0.23 ms | 0.27 ms |
/// |   5 000 |  0.70 ms | 0.40 ms |
/// |  10 000 |  1.45 ms | 0.52 ms |
/// |  20 000 |  3.0 ms  | 0.67 ms |
/// | 100 000 | 14–26 ms | 0.9 ms |
///
/// The curves cross near 3 000 labels. The threshold sits a little above: between the two the
/// graph saves at most a few tenths of a millisecond per query, less than an approximate
/// answer and a graph in the pack cost.
pub const HNSW_MIN_LABELS: usize = 5_000;

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Row of the label in the `[n, d]` embedding matrix, `0..n`.
    pub index: usize,
    /// Dot product of query and label embedding: the cosine similarity in `[-1, 1]` when both are
    /// L2-normalised, as pelabel's embeddings are.
    pub score: f32,
}

/// A searchable set of `n` label embeddings of dimension `d`.
pub trait LabelIndex: Send + Sync {
    /// Number of labels `n`.
    fn len(&self) -> usize;

    /// Whether the index holds no label.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Embedding dimension `d`.
    fn dim(&self) -> usize;

    /// The `top_k` labels with the highest score for `query` (length `d`, L2-normalised), best
    /// first; ties are broken by the lower row index. Returns `min(top_k, n)` hits for an exact
    /// index; an approximate index may miss some of the true best.
    ///
    /// Errors: [`Error::DimensionMismatch`] when `query.len() != d`, [`Error::Index`] when the
    /// query holds NaN or an infinity.
    fn search(&self, query: &[f32], top_k: usize) -> Result<Vec<Hit>>;
}

/// Runtime settings of [`AnyIndex::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct IndexOptions {
    /// Build an HNSW graph when the number of labels is at least this; else search exactly.
    /// Default [`HNSW_MIN_LABELS`].
    pub hnsw_min_labels: usize,
    /// Settings of the HNSW graph, when one is built.
    pub hnsw: HnswOptions,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self { hnsw_min_labels: HNSW_MIN_LABELS, hnsw: HnswOptions::default() }
    }
}

/// An exact or HNSW index, chosen by size.
#[derive(Debug, Clone)]
pub enum AnyIndex {
    /// Matrix-vector search.
    Exact(ExactIndex),
    /// Graph search.
    Hnsw(HnswIndex),
}

impl AnyIndex {
    /// Index the `[n, d]` row-major matrix `vectors` (`n = vectors.len() / dim`): exactly when
    /// `n < options.hnsw_min_labels`, else with an HNSW graph built with `options.hnsw`.
    ///
    /// Errors: [`Error::Index`] when `dim` is 0, `vectors.len()` is not a multiple of `dim`,
    /// a value is not finite, or the options are out of range.
    pub fn build(vectors: Vec<f32>, dim: usize, options: &IndexOptions) -> Result<Self> {
        let n = vectors.len().checked_div(dim).unwrap_or(0);
        if n >= options.hnsw_min_labels {
            Ok(Self::Hnsw(HnswIndex::build(vectors, dim, &options.hnsw)?))
        } else {
            Ok(Self::Exact(ExactIndex::new(vectors, dim)?))
        }
    }

    /// Rebuild an index from a label pack's parts: the embedding matrix and, when the pack has
    /// one, the graph bytes written by [`AnyIndex::graph_bytes`]. No graph means exact search.
    ///
    /// Errors: as [`ExactIndex::new`] and [`HnswIndex::from_bytes`].
    pub fn from_parts(vectors: Vec<f32>, dim: usize, graph: Option<&[u8]>) -> Result<Self> {
        match graph {
            Some(bytes) => Ok(Self::Hnsw(HnswIndex::from_bytes(vectors, dim, bytes)?)),
            None => Ok(Self::Exact(ExactIndex::new(vectors, dim)?)),
        }
    }

    /// The serialised graph to store in a label pack, `None` for an exact index.
    pub fn graph_bytes(&self) -> Option<Vec<u8>> {
        match self {
            Self::Exact(_) => None,
            Self::Hnsw(h) => Some(h.to_bytes()),
        }
    }

    /// The `[n, d]` row-major embedding matrix.
    pub fn vectors(&self) -> &[f32] {
        match self {
            Self::Exact(e) => e.vectors(),
            Self::Hnsw(h) => h.vectors(),
        }
    }
}

impl LabelIndex for AnyIndex {
    fn len(&self) -> usize {
        match self {
            Self::Exact(e) => e.len(),
            Self::Hnsw(h) => h.len(),
        }
    }

    fn dim(&self) -> usize {
        match self {
            Self::Exact(e) => e.dim(),
            Self::Hnsw(h) => h.dim(),
        }
    }

    fn search(&self, query: &[f32], top_k: usize) -> Result<Vec<Hit>> {
        match self {
            Self::Exact(e) => e.search(query, top_k),
            Self::Hnsw(h) => h.search(query, top_k),
        }
    }
}

/// `hnsw_rs` 0.3.5 sharp edge: a reloaded `Hnsw` borrows its loader
/// (`HnswIo::load_hnsw<'b, 'a>(&'a mut self) -> Result<Hnsw<'b, T, D>> where 'a: 'b`), so a
/// function cannot load an index and return it inside an owned pack object:
///
/// ```compile_fail,E0597
/// use hnsw_rs::prelude::*;
/// struct Pack {
///     index: Hnsw<'static, f32, DistCosine>,
/// }
/// fn open(dir: &std::path::Path) -> Pack {
///     let mut io = HnswIo::new(dir, "labels");
///     let index = io.load_hnsw::<f32, DistCosine>().unwrap(); // `io` does not live long enough
///     Pack { index }
/// }
/// ```
///
/// It compiles only when the caller keeps the loader alive and the pack carries its lifetime
/// (or with a self-referential struct, or a leaked loader):
///
/// ```no_run
/// use hnsw_rs::prelude::*;
/// struct Pack<'a> {
///     index: Hnsw<'a, f32, DistCosine>,
/// }
/// fn open(io: &mut HnswIo) -> Pack<'_> {
///     Pack { index: io.load_hnsw::<f32, DistCosine>().unwrap() }
/// }
/// ```
#[cfg(doctest)]
#[allow(dead_code)]
fn hnsw_rs_loader_borrow() {}

// ----- shared helpers ------------------------------------------------------------------------

/// Largest number of labels an index holds: row ids are stored as `u32` and `u32::MAX` is a
/// sentinel in the serialised graph.
pub(crate) const MAX_LABELS: usize = u32::MAX as usize - 1;

fn index_err(reason: impl Into<String>) -> Error {
    Error::Index { reason: reason.into() }
}

/// Check an `[n, d]` matrix and return `n`.
fn check_matrix(vectors: &[f32], dim: usize) -> Result<usize> {
    if dim == 0 {
        return Err(index_err("embedding dimension is 0"));
    }
    if dim > u32::MAX as usize {
        return Err(index_err(format!("embedding dimension {dim} exceeds {}", u32::MAX)));
    }
    if !vectors.len().is_multiple_of(dim) {
        return Err(index_err(format!(
            "embedding matrix has {} values, not a multiple of the dimension {dim}",
            vectors.len()
        )));
    }
    let n = vectors.len() / dim;
    if n > MAX_LABELS {
        return Err(index_err(format!("{n} labels exceed the limit of {MAX_LABELS}")));
    }
    // Branch-free per block so that it vectorises: this check is most of the load time.
    const BLOCK: usize = 1024;
    let bad_block = vectors.chunks(BLOCK).position(|b| b.iter().fold(false, |bad, x| bad | !x.is_finite()));
    if let Some(block) = bad_block {
        let pos = block * BLOCK + vectors[block * BLOCK..].iter().position(|x| !x.is_finite()).unwrap_or(0);
        return Err(index_err(format!(
            "embedding of label {} holds a non-finite value at position {}",
            pos / dim,
            pos % dim
        )));
    }
    Ok(n)
}

/// Check a query against the index dimension.
fn check_query(query: &[f32], dim: usize) -> Result<()> {
    if query.len() != dim {
        return Err(Error::DimensionMismatch { expected: dim, found: query.len() });
    }
    if let Some(pos) = query.iter().position(|x| !x.is_finite()) {
        return Err(index_err(format!("query holds a non-finite value ({}) at position {pos}", query[pos])));
    }
    Ok(())
}

/// Dot product of two equal-length vectors.
///
/// Sixteen independent accumulators: without `-ffast-math` the compiler may not reorder a
/// single running sum, so this fixed order is what lets it vectorise (SSE/AVX, NEON) — and
/// the result is bit-identical on every platform, which keeps HNSW builds reproducible.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 16;
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    // Pairwise reduction, fixed order.
    let mut width = LANES / 2;
    while width > 0 {
        for i in 0..width {
            acc[i] += acc[i + width];
        }
        width /= 2;
    }
    acc[0] + tail
}

/// Best-first order of hits: higher score first, then lower index. Total (NaN-safe).
fn hit_order(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.index.cmp(&b.index))
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Seeded synthetic embeddings for the tests (no `rand` dependency: SplitMix64 + Box-Muller).

    /// SplitMix64 (Steele et al. 2014).
    pub struct Rng(pub u64);

    impl Rng {
        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        pub fn uniform(&mut self) -> f64 {
            ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
        pub fn gauss(&mut self) -> f32 {
            let (u1, u2) = (self.uniform(), self.uniform());
            ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
        }
    }

    pub fn normalize(v: &mut [f32]) {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
    }

    /// `n` random unit vectors of dimension `d`, row-major.
    pub fn unit_vectors(n: usize, d: usize, seed: u64) -> Vec<f32> {
        let mut rng = Rng(seed);
        let mut v: Vec<f32> = (0..n * d).map(|_| rng.gauss()).collect();
        v.chunks_exact_mut(d).for_each(normalize);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn dot_matches_naive_sum() {
        let mut rng = Rng(1);
        for len in [0, 1, 15, 16, 17, 100, 512] {
            let a: Vec<f32> = (0..len).map(|_| rng.gauss()).collect();
            let b: Vec<f32> = (0..len).map(|_| rng.gauss()).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - naive).abs() < 1e-4 * (1.0 + naive.abs()), "len {len}");
        }
    }

    #[test]
    fn any_index_chooses_by_size() {
        let v = unit_vectors(50, 8, 3);
        let small = AnyIndex::build(v.clone(), 8, &IndexOptions::default()).unwrap();
        assert!(matches!(small, AnyIndex::Exact(_)));
        assert!(small.graph_bytes().is_none());
        let opts = IndexOptions { hnsw_min_labels: 50, ..Default::default() };
        let big = AnyIndex::build(v.clone(), 8, &opts).unwrap();
        assert!(matches!(big, AnyIndex::Hnsw(_)));
        let bytes = big.graph_bytes().unwrap();
        let back = AnyIndex::from_parts(v.clone(), 8, Some(&bytes)).unwrap();
        let exact = AnyIndex::from_parts(v, 8, None).unwrap();
        let q = &big.vectors()[8..16];
        assert_eq!(back.search(q, 5).unwrap(), big.search(q, 5).unwrap());
        assert_eq!(exact.search(q, 1).unwrap()[0].index, 1);
        assert_eq!((back.len(), back.dim(), back.is_empty()), (50, 8, false));
    }

    #[test]
    fn bad_matrices_are_typed_errors() {
        assert!(matches!(ExactIndex::new(vec![1.0; 10], 0), Err(Error::Index { .. })));
        assert!(matches!(ExactIndex::new(vec![1.0; 10], 3), Err(Error::Index { .. })));
        assert!(matches!(ExactIndex::new(vec![1.0, f32::NAN], 2), Err(Error::Index { .. })));
        assert!(matches!(
            HnswIndex::build(vec![f32::INFINITY, 0.0], 2, &HnswOptions::default()),
            Err(Error::Index { .. })
        ));
    }
}
