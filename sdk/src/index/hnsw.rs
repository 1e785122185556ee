//! HNSW graph: deterministic parallel build, search, and the in-memory graph layout.
//!
//! The algorithm is Malkov & Yashunin (2016, arXiv:1603.09320): each label gets a random level
//! `floor(-ln(U) / ln(m))`; layer `l` links the labels of level `>= l`; a query descends
//! greedily from the top layer's entry point and runs a best-first beam search (`ef` wide) on
//! layer 0. Neighbours are chosen with the paper's heuristic (algorithm 4, as hnswlib does): a
//! candidate is kept only if it is closer to the new label than to every neighbour kept so far.
//! Layer 0 keeps up to `2m` links per label, upper layers `m` (during the build a list may grow
//! to 1.5 times that before it is pruned, which saves most of the pruning work).
//!
//! **Determinism.** Labels are inserted in batches. Every label of a batch searches the graph
//! as it stood before the batch (read-only, in parallel with rayon) and, by brute force, the
//! labels before it in the same batch; links are then applied in label order, and over-full
//! neighbour lists are pruned per list (in parallel, each list depending only on its own
//! inputs). Levels come from a seeded SplitMix64 stream and the dot product has a fixed
//! summation order. So the same matrix and [`HnswOptions`] give the same graph, and the same
//! bytes, whatever the number of threads or the platform.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::exact::exact_top_k;
use super::{check_matrix, check_query, dot, hit_order, index_err, Hit, LabelIndex};
use crate::Result;

/// Upper bound of [`HnswOptions::m`]: layer 0 then keeps at most 256 links per label.
pub(super) const MAX_M: usize = 128;
/// Upper bound of `ef_construction` and `ef_search`.
pub(super) const MAX_EF: usize = 65_535;
/// Levels are capped so that the graph has at most this many layers.
pub(super) const MAX_LAYERS: usize = 16;
/// Largest insertion batch (see the module docs).
const MAX_BATCH: usize = 256;

/// Settings of an HNSW graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswOptions {
    /// Links per label on the upper layers (`2 * m` on layer 0), `2..=128`. Default 16.
    pub m: usize,
    /// Beam width while building, `1..=65535`. Higher builds slower and searches better.
    /// Default 128.
    pub ef_construction: usize,
    /// Default beam width of a search, `1..=65535`; a search uses `max(ef_search, top_k)`.
    /// Stored with the graph. Default 96: recall@10 ≥ 0.99 on the 100k-label test set
    /// (`tests/index_recall.rs`).
    pub ef_search: usize,
    /// Seed of the level draws. Default `0x5EED`.
    pub seed: u64,
}

impl Default for HnswOptions {
    fn default() -> Self {
        Self { m: 16, ef_construction: 128, ef_search: 96, seed: 0x5EED }
    }
}

impl HnswOptions {
    pub(super) fn validate(&self) -> Result<()> {
        if !(2..=MAX_M).contains(&self.m) {
            return Err(index_err(format!("HNSW m = {} is outside 2..={MAX_M}", self.m)));
        }
        if !(1..=MAX_EF).contains(&self.ef_construction) {
            return Err(index_err(format!("HNSW ef_construction = {} is outside 1..={MAX_EF}", self.ef_construction)));
        }
        if !(1..=MAX_EF).contains(&self.ef_search) {
            return Err(index_err(format!("HNSW ef_search = {} is outside 1..={MAX_EF}", self.ef_search)));
        }
        Ok(())
    }

    /// Most links a label may have on `layer`.
    pub(super) fn capacity(&self, layer: usize) -> usize {
        if layer == 0 {
            2 * self.m
        } else {
            self.m
        }
    }
}

/// Approximate search over an `[n, d]` row-major f32 matrix with an HNSW graph.
///
/// Searching is read-only and thread-safe; [`HnswIndex::set_ef_search`] trades speed for recall.
#[derive(Clone)]
pub struct HnswIndex {
    pub(super) vectors: Vec<f32>,
    pub(super) dim: usize,
    pub(super) options: HnswOptions,
    pub(super) graph: Graph,
}

impl HnswIndex {
    /// Build the graph of the `[n, d]` row-major matrix `vectors` (`n = vectors.len() / dim`,
    /// L2-normalised rows). Uses rayon's thread pool; the result does not depend on it.
    ///
    /// Cost: a few thousand dot products per label; 100k labels at `d = 512` with the
    /// default options take tens of seconds on two cores.
    ///
    /// Errors: [`crate::Error::Index`] for a malformed matrix (see [`super::ExactIndex::new`]) or
    /// options out of range.
    pub fn build(vectors: Vec<f32>, dim: usize, options: &HnswOptions) -> Result<Self> {
        options.validate()?;
        let n = check_matrix(&vectors, dim)?;
        let graph = Builder { vectors: &vectors, dim, n, options }.build();
        Ok(Self { vectors, dim, options: *options, graph })
    }

    /// The `[n, d]` row-major embedding matrix.
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    /// Give the embedding matrix back.
    pub fn into_vectors(self) -> Vec<f32> {
        self.vectors
    }

    /// The options the graph was built with (`ef_search` as currently set).
    pub fn options(&self) -> HnswOptions {
        self.options
    }

    /// Default beam width of [`LabelIndex::search`].
    pub fn ef_search(&self) -> usize {
        self.options.ef_search
    }

    /// Set the default beam width of [`LabelIndex::search`], clamped to `1..=65535`.
    pub fn set_ef_search(&mut self, ef_search: usize) {
        self.options.ef_search = ef_search.clamp(1, MAX_EF);
    }

    fn row(&self, i: u32) -> &[f32] {
        row(&self.vectors, self.dim, i)
    }
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("len", &self.graph.n)
            .field("dim", &self.dim)
            .field("options", &self.options)
            .field("layers", &self.graph.layers.len())
            .finish_non_exhaustive()
    }
}

impl LabelIndex for HnswIndex {
    fn len(&self) -> usize {
        self.graph.n
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn search(&self, query: &[f32], top_k: usize) -> Result<Vec<Hit>> {
        check_query(query, self.dim)?;
        let n = self.graph.n;
        let k = top_k.min(n);
        if k == 0 {
            return Ok(Vec::new());
        }
        let ef = self.options.ef_search.max(k);
        if ef >= n {
            // The beam would cover every label: the exact scan is cheaper and exact.
            return Ok(exact_top_k(&self.vectors, self.dim, query, k));
        }
        let entry = self.graph.entry;
        let mut visited = Visited::new(n);
        let mut eps = vec![Cand { dist: -dot(query, self.row(entry)), id: entry }];
        for layer in (1..self.graph.layers.len()).rev() {
            eps = search_layer(&self.graph, &self.vectors, self.dim, query, &eps, 1, layer, &mut visited);
        }
        let found = search_layer(&self.graph, &self.vectors, self.dim, query, &eps, ef, 0, &mut visited);
        let mut hits: Vec<Hit> = found.iter().take(k).map(|c| Hit { index: c.id as usize, score: -c.dist }).collect();
        hits.sort_unstable_by(hit_order);
        Ok(hits)
    }
}

// ----- graph -----------------------------------------------------------------------------------

/// The searchable graph: one adjacency list per label and layer, in CSR form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Graph {
    /// Number of labels.
    pub n: usize,
    /// Entry point: a label on the top layer (0 when `n == 0`).
    pub entry: u32,
    /// `layers[0]` holds every label; `layers[l]` the labels of level `>= l`. Empty iff `n == 0`.
    pub layers: Vec<Layer>,
}

/// One layer of the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layer {
    /// Labels on this layer, strictly increasing. Empty on layer 0, which holds all `0..n`.
    pub nodes: Vec<u32>,
    /// `links[offsets[i]..offsets[i + 1]]` are the neighbours of the `i`-th label of the layer.
    pub offsets: Vec<usize>,
    /// Neighbour label ids.
    pub links: Vec<u32>,
}

impl Layer {
    fn list(&self, pos: usize) -> &[u32] {
        match (self.offsets.get(pos), self.offsets.get(pos + 1)) {
            (Some(&a), Some(&b)) => self.links.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }
}

trait Adjacency {
    /// Neighbours of `node` on `layer`; empty when the node is not on the layer.
    fn neighbours(&self, node: u32, layer: usize) -> &[u32];
}

impl Adjacency for Graph {
    fn neighbours(&self, node: u32, layer: usize) -> &[u32] {
        let Some(l) = self.layers.get(layer) else { return &[] };
        if layer == 0 {
            l.list(node as usize)
        } else {
            match l.nodes.binary_search(&node) {
                Ok(pos) => l.list(pos),
                Err(_) => &[],
            }
        }
    }
}

/// Adjacency while building: `links[node][layer]`.
struct BuildLinks(Vec<Vec<Vec<u32>>>);

impl Adjacency for BuildLinks {
    fn neighbours(&self, node: u32, layer: usize) -> &[u32] {
        self.0.get(node as usize).and_then(|l| l.get(layer)).map(Vec::as_slice).unwrap_or(&[])
    }
}

// ----- search ----------------------------------------------------------------------------------

/// A candidate: distance `-dot` to the reference vector (lower is closer) and label id.
/// Ordered by distance, then id, with `total_cmp` so that no value can make it panic.
#[derive(Debug, Clone, Copy)]
struct Cand {
    dist: f32,
    id: u32,
}

impl PartialEq for Cand {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist.total_cmp(&other.dist).then(self.id.cmp(&other.id))
    }
}

/// Set of visited labels, one bit each.
struct Visited(Vec<u64>);

impl Visited {
    fn new(n: usize) -> Self {
        Self(vec![0; n.div_ceil(64)])
    }
    /// Mark `id`; true if it was not marked before. Out-of-range ids count as visited.
    fn insert(&mut self, id: u32) -> bool {
        let (word, bit) = (id as usize / 64, 1u64 << (id % 64));
        match self.0.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }
    fn clear(&mut self) {
        self.0.iter_mut().for_each(|w| *w = 0);
    }
}

fn row(vectors: &[f32], dim: usize, i: u32) -> &[f32] {
    let start = i as usize * dim;
    vectors.get(start..start + dim).unwrap_or(&[])
}

/// Best-first beam search of `layer` from `entries`; the best `ef` found, closest first.
#[allow(clippy::too_many_arguments)]
fn search_layer<A: Adjacency>(
    adj: &A,
    vectors: &[f32],
    dim: usize,
    query: &[f32],
    entries: &[Cand],
    ef: usize,
    layer: usize,
    visited: &mut Visited,
) -> Vec<Cand> {
    visited.clear();
    let mut candidates: BinaryHeap<std::cmp::Reverse<Cand>> = BinaryHeap::new();
    let mut best: BinaryHeap<Cand> = BinaryHeap::new();
    for &e in entries {
        if visited.insert(e.id) {
            candidates.push(std::cmp::Reverse(e));
            best.push(e);
        }
    }
    while best.len() > ef {
        best.pop();
    }
    while let Some(std::cmp::Reverse(c)) = candidates.pop() {
        if let Some(worst) = best.peek() {
            if best.len() >= ef && c.dist > worst.dist {
                break;
            }
        }
        for &nb in adj.neighbours(c.id, layer) {
            if !visited.insert(nb) {
                continue;
            }
            let cand = Cand { dist: -dot(query, row(vectors, dim, nb)), id: nb };
            let admit = best.len() < ef || best.peek().is_some_and(|w| cand < *w);
            if admit {
                candidates.push(std::cmp::Reverse(cand));
                best.push(cand);
                if best.len() > ef {
                    best.pop();
                }
            }
        }
    }
    best.into_sorted_vec()
}

/// The paper's neighbour-selection heuristic: walk `cands` (closest to the base first) and keep
/// a candidate only if it is closer to the base than to every one kept so far; at most `m`.
fn select_neighbours(vectors: &[f32], dim: usize, cands: &[Cand], m: usize) -> Vec<u32> {
    let mut kept: Vec<u32> = Vec::with_capacity(m);
    for c in cands {
        if kept.len() >= m {
            break;
        }
        let v = row(vectors, dim, c.id);
        if kept.iter().all(|&s| -dot(v, row(vectors, dim, s)) >= c.dist) {
            kept.push(c.id);
        }
    }
    kept
}

// ----- build -----------------------------------------------------------------------------------

struct Builder<'a> {
    vectors: &'a [f32],
    dim: usize,
    n: usize,
    options: &'a HnswOptions,
}

impl Builder<'_> {
    fn row(&self, i: u32) -> &[f32] {
        row(self.vectors, self.dim, i)
    }

    fn dist(&self, a: u32, b: u32) -> f32 {
        -dot(self.row(a), self.row(b))
    }

    /// Levels drawn from a seeded SplitMix64 stream: `floor(-ln(U) / ln(m))`, capped.
    fn levels(&self) -> Vec<usize> {
        let ml = 1.0 / (self.options.m as f64).ln();
        let mut state = self.options.seed;
        (0..self.n)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                let u = ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64; // in (0, 1)
                ((-u.ln() * ml).floor() as usize).min(MAX_LAYERS - 1)
            })
            .collect()
    }

    fn build(&self) -> Graph {
        let n = self.n;
        if n == 0 {
            return Graph { n: 0, entry: 0, layers: Vec::new() };
        }
        let levels = self.levels();
        let mut links = BuildLinks(levels.iter().map(|&l| vec![Vec::new(); l + 1]).collect());
        let mut entry: u32 = 0;
        let mut top = levels[0];
        let mut start = 1;
        while start < n {
            let end = (start + (start / 16).clamp(1, MAX_BATCH)).min(n);
            // 1. Forward links of the batch, against the graph as it was before the batch.
            let forward: Vec<Vec<Vec<u32>>> = (start..end)
                .into_par_iter()
                .map(|j| self.forward_links(&links, &levels, entry, top, start, j))
                .collect();
            // 2. Install them and gather the reverse links, ordered (target, layer, source).
            let mut reverse: Vec<(u32, usize, u32)> = Vec::new();
            for (j, fwd) in (start..end).zip(forward) {
                for (layer, list) in fwd.iter().enumerate() {
                    reverse.extend(list.iter().map(|&t| (t, layer, j as u32)));
                }
                links.0[j] = fwd;
            }
            reverse.sort_unstable();
            // 3. New neighbour list of each target, pruned when over capacity.
            let groups: Vec<&[(u32, usize, u32)]> = reverse.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)).collect();
            let updates: Vec<(u32, usize, Vec<u32>)> = groups
                .par_iter()
                .map(|g| {
                    let (target, layer) = (g[0].0, g[0].1);
                    let mut list = links.neighbours(target, layer).to_vec();
                    for &(_, _, src) in g.iter() {
                        if src != target && !list.contains(&src) {
                            list.push(src);
                        }
                    }
                    let cap = self.options.capacity(layer);
                    // Let a list overflow by half its capacity before pruning it: pruning costs
                    // about cap^2 / 2 dot products, so pruning at every overflow (as hnswlib does)
                    // dominated the build. Lists are pruned to capacity for good in `finish`.
                    if list.len() > cap + cap / 2 {
                        list = self.prune(target, &list, cap);
                    }
                    (target, layer, list)
                })
                .collect();
            for (target, layer, list) in updates {
                if let Some(slot) = links.0.get_mut(target as usize).and_then(|l| l.get_mut(layer)) {
                    *slot = list;
                }
            }
            // 4. A label above the current top layer becomes the entry point.
            for (j, &level) in levels.iter().enumerate().take(end).skip(start) {
                if level > top {
                    top = level;
                    entry = j as u32;
                }
            }
            start = end;
        }
        self.finish(&mut links, &levels);
        freeze(links, &levels, entry, top)
    }

    /// The `cap` neighbours `select_neighbours` keeps out of `list`, the links of `node`.
    fn prune(&self, node: u32, list: &[u32], cap: usize) -> Vec<u32> {
        let mut cands: Vec<Cand> = list.iter().map(|&x| Cand { dist: self.dist(node, x), id: x }).collect();
        cands.sort_unstable();
        select_neighbours(self.vectors, self.dim, &cands, cap)
    }

    /// Prune every list still above capacity.
    fn finish(&self, links: &mut BuildLinks, levels: &[usize]) {
        let over: Vec<(u32, usize)> = (0..self.n as u32)
            .flat_map(|i| (0..=levels[i as usize]).map(move |l| (i, l)))
            .filter(|&(i, l)| links.neighbours(i, l).len() > self.options.capacity(l))
            .collect();
        let pruned: Vec<Vec<u32>> =
            over.par_iter().map(|&(i, l)| self.prune(i, links.neighbours(i, l), self.options.capacity(l))).collect();
        for ((i, l), list) in over.into_iter().zip(pruned) {
            if let Some(slot) = links.0.get_mut(i as usize).and_then(|v| v.get_mut(l)) {
                *slot = list;
            }
        }
    }

    /// Forward links of label `j`, one list per layer `0..=levels[j]`.
    fn forward_links(
        &self,
        links: &BuildLinks,
        levels: &[usize],
        entry: u32,
        top: usize,
        batch_start: usize,
        j: usize,
    ) -> Vec<Vec<u32>> {
        let q = self.row(j as u32);
        let level = levels[j];
        let mut cands: Vec<Vec<Cand>> = vec![Vec::new(); level + 1];
        let mut visited = Visited::new(self.n);
        let mut eps = vec![Cand { dist: -dot(q, self.row(entry)), id: entry }];
        for layer in (level + 1..=top).rev() {
            eps = search_layer(links, self.vectors, self.dim, q, &eps, 1, layer, &mut visited);
        }
        for layer in (0..=level.min(top)).rev() {
            let found =
                search_layer(links, self.vectors, self.dim, q, &eps, self.options.ef_construction, layer, &mut visited);
            cands[layer].clone_from(&found);
            eps = found;
        }
        // Earlier labels of the same batch are not in the graph yet: compare directly.
        for (k, &level_k) in levels.iter().enumerate().take(j).skip(batch_start) {
            let shared = level.min(level_k);
            let c = Cand { dist: -dot(q, self.row(k as u32)), id: k as u32 };
            for layer_cands in cands.iter_mut().take(shared + 1) {
                layer_cands.push(c);
            }
        }
        cands
            .iter_mut()
            .map(|c| {
                c.sort_unstable();
                c.dedup_by_key(|x| x.id);
                select_neighbours(self.vectors, self.dim, c, self.options.m)
            })
            .collect()
    }
}

/// Build-time lists to the CSR graph.
fn freeze(links: BuildLinks, levels: &[usize], entry: u32, top: usize) -> Graph {
    let n = levels.len();
    let mut layers = Vec::with_capacity(top + 1);
    for layer in 0..=top {
        let nodes: Vec<u32> =
            if layer == 0 { Vec::new() } else { (0..n as u32).filter(|&i| levels[i as usize] >= layer).collect() };
        let mut offsets = vec![0usize];
        let mut flat = Vec::new();
        let mut push = |node: u32| {
            flat.extend_from_slice(links.neighbours(node, layer));
            offsets.push(flat.len());
        };
        if layer == 0 {
            (0..n as u32).for_each(&mut push);
        } else {
            nodes.iter().copied().for_each(&mut push);
        }
        layers.push(Layer { nodes, offsets, links: flat });
    }
    Graph { n, entry, layers }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::ExactIndex;
    use super::*;
    use crate::Error;

    fn recall(idx: &HnswIndex, exact: &ExactIndex, queries: &[f32], k: usize) -> f64 {
        let d = idx.dim();
        let mut found = 0;
        for q in queries.chunks_exact(d) {
            let truth: Vec<usize> = exact.search(q, k).unwrap().iter().map(|h| h.index).collect();
            found += idx.search(q, k).unwrap().iter().filter(|h| truth.contains(&h.index)).count();
        }
        found as f64 / (queries.len() / d * k) as f64
    }

    #[test]
    fn small_graph_has_high_recall_and_exact_scores() {
        let (n, d) = (3000, 32);
        let v = unit_vectors(n, d, 11);
        let idx = HnswIndex::build(v.clone(), d, &HnswOptions { ef_search: 64, ..Default::default() }).unwrap();
        let exact = ExactIndex::new(v, d).unwrap();
        let queries = unit_vectors(100, d, 12);
        let r = recall(&idx, &exact, &queries, 10);
        assert!(r >= 0.95, "recall@10 = {r}");
        // Scores are the exact dot products, bit for bit.
        let q = &queries[..d];
        let h = idx.search(q, 10).unwrap();
        let e = exact.search(q, n).unwrap();
        for hit in h {
            assert_eq!(e.iter().find(|x| x.index == hit.index).unwrap().score, hit.score);
        }
    }

    #[test]
    fn graph_respects_capacities_and_levels() {
        let (n, d) = (2000, 16);
        let opts = HnswOptions { m: 6, ..Default::default() };
        let idx = HnswIndex::build(unit_vectors(n, d, 5), d, &opts).unwrap();
        let g = &idx.graph;
        assert!(g.layers.len() >= 2, "2000 labels with m = 6 should reach level 1");
        for (l, layer) in g.layers.iter().enumerate() {
            let count = if l == 0 { n } else { layer.nodes.len() };
            assert_eq!(layer.offsets.len(), count + 1);
            for i in 0..count {
                let list = layer.list(i);
                assert!(list.len() <= opts.capacity(l));
                assert!(l > 0 || !list.is_empty(), "label {i} is isolated on layer 0");
            }
        }
        assert!(g.layers.last().unwrap().nodes.contains(&g.entry));
    }

    #[test]
    fn build_is_deterministic_across_thread_counts() {
        let (n, d) = (1500, 16);
        let v = unit_vectors(n, d, 21);
        let opts = HnswOptions::default();
        let a = HnswIndex::build(v.clone(), d, &opts).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let b = pool.install(|| HnswIndex::build(v.clone(), d, &opts).unwrap());
        let pool3 = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let c = pool3.install(|| HnswIndex::build(v, d, &opts).unwrap());
        assert_eq!(a.graph, b.graph);
        assert_eq!(a.graph, c.graph);
        assert_eq!(a.to_bytes(), c.to_bytes());
        let other_seed = HnswIndex::build(a.vectors().to_vec(), d, &HnswOptions { seed: 1, ..opts }).unwrap();
        assert_ne!(a.graph, other_seed.graph);
    }

    #[test]
    fn edge_cases() {
        let d = 8;
        let empty = HnswIndex::build(vec![], d, &HnswOptions::default()).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.search(&[0.1; 8], 5).unwrap(), vec![]);
        assert!(matches!(empty.search(&[0.1; 3], 5), Err(Error::DimensionMismatch { expected: 8, found: 3 })));

        let one = HnswIndex::build(unit_vectors(1, d, 1), d, &HnswOptions::default()).unwrap();
        assert_eq!(one.search(&[0.1; 8], 5).unwrap().len(), 1);

        let mut idx = HnswIndex::build(unit_vectors(500, d, 2), d, &HnswOptions::default()).unwrap();
        let q = unit_vectors(1, d, 3);
        assert_eq!(idx.search(&q, 0).unwrap(), vec![]);
        assert_eq!(idx.search(&q, 10_000).unwrap().len(), 500);
        idx.set_ef_search(4);
        assert_eq!(idx.ef_search(), 4);
        assert_eq!(idx.search(&q, 10).unwrap().len(), 10, "ef is raised to top_k");
        let mut nan_q = q.clone();
        nan_q[3] = f32::NAN;
        assert!(matches!(idx.search(&nan_q, 5), Err(Error::Index { .. })));
        assert!(matches!(idx.search(&q[..7], 5), Err(Error::DimensionMismatch { .. })));
        for bad in [
            HnswOptions { m: 1, ..Default::default() },
            HnswOptions { m: 129, ..Default::default() },
            HnswOptions { ef_construction: 0, ..Default::default() },
            HnswOptions { ef_search: 0, ..Default::default() },
        ] {
            assert!(matches!(HnswIndex::build(unit_vectors(10, d, 1), d, &bad), Err(Error::Index { .. })));
        }
    }

    #[test]
    fn duplicate_vectors_do_not_break_the_build() {
        let d = 8;
        let row = unit_vectors(1, d, 4);
        let v: Vec<f32> = row.iter().copied().cycle().take(300 * d).collect();
        let idx = HnswIndex::build(v, d, &HnswOptions { ef_search: 16, ..Default::default() }).unwrap();
        let hits = idx.search(&row, 10).unwrap();
        assert_eq!(hits.len(), 10);
        assert!(hits.iter().all(|h| (h.score - hits[0].score).abs() < 1e-6));
    }
}
