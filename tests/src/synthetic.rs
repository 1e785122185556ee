//! Synthetic label-like embeddings shared by the index recall test and the index benchmark
//! (the benchmark includes this file with `#[path]`, since the sdk cannot depend on this crate).
#![allow(dead_code)]

/// SplitMix64 with Box-Muller normals.
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box-Muller).
    pub fn gauss(&mut self) -> f32 {
        let (u1, u2) = (self.uniform(), self.uniform());
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }
    /// A vector of `d` normals scaled to unit expected norm.
    pub fn direction(&mut self, d: usize) -> Vec<f32> {
        let s = 1.0 / (d as f32).sqrt();
        (0..d).map(|_| self.gauss() * s).collect()
    }
}

/// L2-normalises in place.
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Label-like embeddings: `normalize(0.5 mu + 0.7 topic + 0.45 P z + 0.25 noise)` with a rank-64
/// `P`. Returns `(labels [n, d], queries [q, d])`.
pub fn clustered(n: usize, q: usize, d: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    const TOPICS: usize = 1000;
    const RANK: usize = 64;
    let mut rng = Rng(seed);
    let mu = rng.direction(d);
    let topics: Vec<Vec<f32>> = (0..TOPICS).map(|_| rng.direction(d)).collect();
    let basis: Vec<Vec<f32>> = (0..RANK).map(|_| rng.direction(d)).collect();
    let draw = |rng: &mut Rng| {
        let t = &topics[(rng.next_u64() % TOPICS as u64) as usize];
        let z: Vec<f32> = (0..RANK).map(|_| rng.gauss() / (RANK as f32).sqrt()).collect();
        let noise = rng.direction(d);
        let mut v: Vec<f32> = (0..d)
            .map(|i| {
                0.5 * mu[i]
                    + 0.7 * t[i]
                    + 0.45 * basis.iter().zip(&z).map(|(b, z)| b[i] * z).sum::<f32>()
                    + 0.25 * noise[i]
            })
            .collect();
        normalize(&mut v);
        v
    };
    let labels: Vec<f32> = (0..n).flat_map(|_| draw(&mut rng)).collect();
    let mut queries = Vec::with_capacity(q * d);
    for i in 0..q {
        let mut v = if i % 2 == 0 {
            let r = (rng.next_u64() % n as u64) as usize;
            let noise = rng.direction(d);
            labels[r * d..(r + 1) * d].iter().zip(noise).map(|(x, e)| x + 0.4 * e).collect()
        } else {
            draw(&mut rng)
        };
        normalize(&mut v);
        queries.extend(v);
    }
    (labels, queries)
}
