//! 2D rotary position embedding and absolute position-embedding interpolation (reference §3, §4).
//!
//! PE Core rotates **interleaved pairs** `(t[2i], t[2i+1])` of every query and key head. The first
//! half of a head is rotated by the patch's column index, the second half by its row index; the
//! class token is left unrotated, and positions start at 1 when a class token exists. Positions are
//! raw grid indices at every resolution (no scaling). Angles, cos and sin are computed in f32 like
//! the official code.

/// RoPE angles `Θ` for a `gh × gw` grid: `[N, d]` row-major (N = cls + gh·gw), as in the fixtures'
/// `rope_angles`. Each pair's angle appears twice (`Θ[2i] == Θ[2i+1]`).
pub fn rope_angles(grid_h: usize, grid_w: usize, head_dim: usize, theta: f64, cls_token: bool) -> Vec<f32> {
    // 1-D "language" frequencies of dimension d/2: f_j = 1 / θ^(2j / (d/2)), j < d/4.
    let half = head_dim / 2;
    let n_freq = head_dim / 4;
    let freqs: Vec<f32> = (0..n_freq).map(|j| 1.0f32 / (theta as f32).powf((2 * j) as f32 / half as f32)).collect();
    let offset = usize::from(cls_token);
    let n = offset + grid_h * grid_w;
    let mut out = vec![0f32; n * head_dim];
    for r in 0..grid_h {
        for c in 0..grid_w {
            let row = &mut out[(offset + r * grid_w + c) * head_dim..][..head_dim];
            let (x, y) = ((c + offset) as f32, (r + offset) as f32);
            for (j, f) in freqs.iter().enumerate() {
                // A(x) fills the first d/2 entries, A(y) the second; each frequency twice.
                row[2 * j] = x * f;
                row[2 * j + 1] = x * f;
                row[half + 2 * j] = y * f;
                row[half + 2 * j + 1] = y * f;
            }
        }
    }
    out
}

/// cos and sin tables `[N, d/2]` row-major (one angle per interleaved pair), computed once per grid
/// and cached by the tower.
pub(crate) fn rope_cos_sin_vecs(
    grid_h: usize,
    grid_w: usize,
    head_dim: usize,
    theta: f64,
    cls_token: bool,
) -> (Vec<f32>, Vec<f32>) {
    let angles = rope_angles(grid_h, grid_w, head_dim, theta, cls_token);
    let pair: Vec<f32> = angles.chunks_exact(2).map(|p| p[0]).collect();
    (pair.iter().map(|a| a.cos()).collect(), pair.iter().map(|a| a.sin()).collect())
}

/// Resizes the absolute position embedding `[cls + G², w]` to a `gh × gw` grid: bilinear,
/// half-pixel centres (align_corners = false), no antialias, the cls row kept (reference §4).
/// Returns `[cls + gh·gw, w]` row-major.
pub fn interpolate_pos_embed(
    pos: &[f32],
    width: usize,
    grid: usize,
    cls_token: bool,
    grid_h: usize,
    grid_w: usize,
) -> Vec<f32> {
    let offset = usize::from(cls_token);
    let mut out = Vec::with_capacity((offset + grid_h * grid_w) * width);
    if cls_token {
        out.extend_from_slice(&pos[..width]);
    }
    let src = &pos[offset * width..];
    // Source coordinate and neighbours along one axis, like torch's upsample_bilinear2d.
    let axis = |n_out: usize| -> Vec<(usize, usize, f32)> {
        let scale = grid as f32 / n_out as f32;
        (0..n_out)
            .map(|i| {
                let s = ((i as f32 + 0.5) * scale - 0.5).max(0.0);
                let i0 = (s.floor() as usize).min(grid - 1);
                let i1 = (i0 + 1).min(grid - 1);
                (i0, i1, s - i0 as f32)
            })
            .collect()
    };
    let ys = axis(grid_h);
    let xs = axis(grid_w);
    for &(y0, y1, ly) in &ys {
        for &(x0, x1, lx) in &xs {
            let at = |y: usize, x: usize| &src[(y * grid + x) * width..][..width];
            let (a, b, c, d) = (at(y0, x0), at(y0, x1), at(y1, x0), at(y1, x1));
            for k in 0..width {
                let top = a[k] * (1.0 - lx) + b[k] * lx;
                let bottom = c[k] * (1.0 - lx) + d[k] * lx;
                out.push(top * (1.0 - ly) + bottom * ly);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cls_row_is_zero_and_pairs_repeat() {
        let a = rope_angles(2, 3, 8, 10000.0, true);
        assert_eq!(a.len(), 7 * 8);
        assert!(a[..8].iter().all(|&x| x == 0.0));
        // Token (r=1, c=2): x = 3, y = 2; f0 = 1.
        let row = &a[(1 + 5) * 8..][..8];
        assert_eq!(row[0], 3.0);
        assert_eq!(row[1], 3.0);
        assert_eq!(row[4], 2.0);
        assert_eq!(row[5], 2.0);
        assert!((row[2] - 3.0 * 0.01).abs() < 1e-7); // f1 = 10000^(-2/4)
    }

    #[test]
    fn without_cls_positions_start_at_zero() {
        let a = rope_angles(2, 2, 4, 10000.0, false);
        assert_eq!(a.len(), 4 * 4);
        assert!(a[..4].iter().all(|&x| x == 0.0)); // (0,0)
        assert_eq!(a[4..8], [1.0, 1.0, 0.0, 0.0]); // (r=0, c=1)
    }

    #[test]
    fn interpolation_at_native_grid_is_identity() {
        let pos: Vec<f32> = (0..(1 + 9) * 2).map(|i| i as f32 * 0.37).collect();
        assert_eq!(interpolate_pos_embed(&pos, 2, 3, true, 3, 3), pos);
    }

    #[test]
    fn interpolation_to_one_cell_averages_the_centre() {
        // 2×2 grid → 1×1: s = 0.5 → average of all four.
        let pos = vec![1.0, 3.0, 5.0, 7.0];
        assert_eq!(interpolate_pos_embed(&pos, 1, 2, false, 1, 1), vec![4.0]);
    }
}
