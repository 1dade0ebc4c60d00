//! T-junction repair for a tessellation.
//!
//! A face's triangulation may put points on one of its boundary segments: when trimming loops
//! cross in parameter space, the constrained triangulation splits both segments at the
//! crossing (and a constraint running exactly through an existing vertex is split there). The
//! face then uses the pieces `a → s → b`, while the neighbouring face, which shares the
//! segment's mesh ids, still has one triangle on the whole segment `b → a`: the mesh is open
//! along it (a T-junction) and no volume can be computed.
//!
//! Faces record such splits as [`SegmentSplit`]s (mesh ids, points in order along the
//! segment). After all faces are meshed, [`repair`] replaces every triangle that still uses a
//! recorded segment — or a part of it that spans recorded points, when two faces split the
//! same segment at different points — by a fan through those points. The points keep the
//! position the splitting face gave them, so both sides of the edge use the same vertices
//! and positions. The same applies to a seam edge used twice by one face: the second copy of
//! the segment is split like a neighbour's.

use std::collections::HashMap;
use std::ops::Range;

use super::Vec3;
use super::math::*;

/// Most points recorded on one segment; a segment with more is left as it is.
pub(crate) const MAX_SPLITS_PER_SEGMENT: usize = 64;

/// A boundary segment `a → b` (mesh ids) of one face whose triangulation put the points `mid`
/// on it, in order from `a` to `b`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SegmentSplit {
    /// Start of the segment.
    pub a: u32,
    /// End of the segment.
    pub b: u32,
    /// Points on the segment, from `a` to `b`.
    pub mid: Vec<u32>,
}

/// What [`repair`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RepairStats {
    /// Triangles replaced by fans.
    pub split: usize,
    /// Triangles added (the fans' triangles minus the ones they replace).
    pub added: usize,
    /// Triangles with split points on more than one edge (fanned from a new centroid vertex).
    pub centroids: usize,
    /// Segments left alone (more than [`MAX_SPLITS_PER_SEGMENT`] points).
    pub skipped: usize,
}

/// Chains of points along recorded segments, and a lookup from a directed pair of chain
/// points (not adjacent in the chain) to the points between them.
struct Chains {
    chains: Vec<Vec<u32>>,
    /// (x, y) → (chain, index of x, index of y).
    pairs: HashMap<(u32, u32), (usize, usize, usize)>,
}

impl Chains {
    fn build(positions: &[Vec3], splits: &[SegmentSplit], stats: &mut RepairStats) -> Chains {
        let mut groups: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        for (k, s) in splits.iter().enumerate() {
            if s.a == s.b || s.mid.is_empty() {
                continue;
            }
            groups
                .entry((s.a.min(s.b), s.a.max(s.b)))
                .or_default()
                .push(k);
        }
        // Deterministic order (the map's order is not).
        let mut keys: Vec<(u32, u32)> = groups.keys().copied().collect();
        keys.sort_unstable();
        let mut chains = Vec::new();
        let mut pairs = HashMap::new();
        for key in keys {
            let (lo, hi) = key;
            let members = &groups[&key];
            let mut mid: Vec<u32> = if let [only] = members.as_slice() {
                let s = &splits[*only];
                let mut m = s.mid.clone();
                if s.a != lo {
                    m.reverse();
                }
                m
            } else {
                // Several faces split this segment: merge their points by their position
                // along the chord lo → hi.
                let (Some(&p), Some(&q)) = (positions.get(lo as usize), positions.get(hi as usize))
                else {
                    continue;
                };
                let d = sub(q, p);
                let len2 = dot(d, d);
                let mut pts: Vec<(f64, u32)> = Vec::new();
                for &k in members {
                    for &m in &splits[k].mid {
                        let t = match positions.get(m as usize) {
                            Some(&x) if len2 > 0.0 => dot(sub(x, p), d) / len2,
                            _ => continue,
                        };
                        pts.push((t, m));
                    }
                }
                pts.sort_by(|x, y| x.0.total_cmp(&y.0));
                pts.into_iter().map(|x| x.1).collect()
            };
            // No endpoint inside, no point twice.
            let mut seen = vec![lo, hi];
            mid.retain(|m| {
                if seen.contains(m) {
                    false
                } else {
                    seen.push(*m);
                    true
                }
            });
            if mid.is_empty() {
                continue;
            }
            if mid.len() > MAX_SPLITS_PER_SEGMENT {
                stats.skipped += 1;
                continue;
            }
            let mut chain = Vec::with_capacity(mid.len() + 2);
            chain.push(lo);
            chain.extend(mid);
            chain.push(hi);
            let c = chains.len();
            for i in 0..chain.len() {
                for j in i + 2..chain.len() {
                    pairs.entry((chain[i], chain[j])).or_insert((c, i, j));
                    pairs.entry((chain[j], chain[i])).or_insert((c, j, i));
                }
            }
            chains.push(chain);
        }
        Chains { chains, pairs }
    }

    /// The recorded points strictly between `x` and `y`, in order from `x`.
    fn between(&self, x: u32, y: u32) -> Vec<u32> {
        let Some(&(c, i, j)) = self.pairs.get(&(x, y)) else {
            return Vec::new();
        };
        let chain = &self.chains[c];
        if i < j {
            chain[i + 1..j].to_vec()
        } else {
            chain[j + 1..i].iter().rev().copied().collect()
        }
    }
}

/// Splits every triangle of `triangles` that uses a segment recorded in `splits` (or a part of
/// it spanning recorded points) into a fan through the recorded points. `ranges` (each face's
/// triangles, contiguous and in order) are updated. A triangle with points on one edge is
/// fanned from its opposite corner; one with points on two or three edges from a new vertex at
/// its centroid. At most `max_new_triangles` triangles and `max_vertices` positions in all;
/// on error nothing is changed.
pub(crate) fn repair(
    positions: &mut Vec<Vec3>,
    triangles: &mut Vec<[u32; 3]>,
    ranges: &mut [Range<usize>],
    splits: &[SegmentSplit],
    max_new_triangles: u64,
    max_vertices: u64,
) -> Result<RepairStats, String> {
    let mut stats = RepairStats::default();
    let mut expect = 0;
    for r in ranges.iter() {
        if r.start != expect || r.end < r.start {
            return Err("face triangle ranges are not contiguous".into());
        }
        expect = r.end;
    }
    if expect != triangles.len() {
        return Err("face triangle ranges do not cover the mesh".into());
    }
    let chains = Chains::build(positions, splits, &mut stats);
    if chains.pairs.is_empty() {
        return Ok(stats);
    }
    let npos = positions.len();
    let mut out: Vec<[u32; 3]> = Vec::with_capacity(triangles.len() + 2 * splits.len());
    let mut new_ranges = Vec::with_capacity(ranges.len());
    for r in ranges.iter() {
        let start = out.len();
        for &t in &triangles[r.clone()] {
            let mut mids: [Vec<u32>; 3] = Default::default();
            let mut n_edges = 0;
            for (k, m) in mids.iter_mut().enumerate() {
                *m = chains.between(t[k], t[(k + 1) % 3]);
                m.retain(|x| !t.contains(x));
                if !m.is_empty() {
                    n_edges += 1;
                }
            }
            if n_edges == 0 {
                out.push(t);
                continue;
            }
            let before = out.len();
            if n_edges == 1 {
                // Fan from the corner opposite the split edge: (x, m1, z), …, (mk, y, z).
                let k = (0..3).find(|&k| !mids[k].is_empty()).unwrap_or(0);
                let (x, y, z) = (t[k], t[(k + 1) % 3], t[(k + 2) % 3]);
                let mut prev = x;
                for &m in mids[k].iter().chain(std::iter::once(&y)) {
                    out.push([prev, m, z]);
                    prev = m;
                }
            } else {
                // Points on several edges: fan the polygon from its centroid.
                if positions.len() as u64 >= max_vertices || positions.len() >= u32::MAX as usize {
                    positions.truncate(npos);
                    return Err("vertex limit (max_vertices) reached".into());
                }
                let corner = |i: u32| positions.get(i as usize).copied();
                let (Some(p0), Some(p1), Some(p2)) = (corner(t[0]), corner(t[1]), corner(t[2]))
                else {
                    positions.truncate(npos);
                    return Err("triangle references a missing position".into());
                };
                let c = scale(add(add(p0, p1), p2), 1.0 / 3.0);
                let cid = positions.len() as u32;
                positions.push(c);
                stats.centroids += 1;
                let mut poly = Vec::new();
                for k in 0..3 {
                    poly.push(t[k]);
                    poly.extend_from_slice(&mids[k]);
                }
                for i in 0..poly.len() {
                    out.push([poly[i], poly[(i + 1) % poly.len()], cid]);
                }
            }
            stats.split += 1;
            stats.added += out.len() - before - 1;
            if stats.added as u64 > max_new_triangles {
                positions.truncate(npos);
                return Err("triangle limit (max_triangles) reached".into());
            }
        }
        new_ranges.push(start..out.len());
    }
    for (r, n) in ranges.iter_mut().zip(new_ranges) {
        *r = n;
    }
    *triangles = out;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Undirected edges used other than twice.
    fn open_edges(tris: &[[u32; 3]]) -> usize {
        let mut count: HashMap<(u32, u32), u32> = HashMap::new();
        for t in tris {
            for k in 0..3 {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                *count.entry((a.min(b), a.max(b))).or_insert(0) += 1;
            }
        }
        count.values().filter(|&&c| c != 2).count()
    }

    fn volume(p: &[Vec3], tris: &[[u32; 3]]) -> f64 {
        tris.iter()
            .map(|t| dot(p[t[0] as usize], cross(p[t[1] as usize], p[t[2] as usize])))
            .sum::<f64>()
            / 6.0
    }

    /// The points `mid` recorded inside segment `a → b`.
    fn split(a: u32, b: u32, mid: &[u32]) -> SegmentSplit {
        SegmentSplit {
            a,
            b,
            mid: mid.to_vec(),
        }
    }

    /// The unit tetrahedron a = 0, b = x, c = y, d = z with outward triangles, one face per
    /// triangle; face 0 (a, c, b) lies in z = 0, face 1 (a, b, d) in y = 0.
    fn tetra() -> (Vec<Vec3>, Vec<[u32; 3]>) {
        let p = vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ];
        let t = vec![[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];
        (p, t)
    }

    #[test]
    fn one_split_point_fans_the_neighbour() {
        // Face 1 (a, b, d) was meshed with the midpoint m = 4 of a → b: (a, m, d), (m, b, d).
        // Face 0 still has the whole edge as b → a in (a, c, b); the fan from its opposite
        // corner c gives (b, m, c)… in the triangle's own rotation: (c, b, m), (c, m, a) are
        // the same triangles as (b, m, c), (m, a, c); the code starts at the split edge:
        // edge k = 2 of [0, 2, 1] is 1 → 0, so x = b, y = a, z = c: (b, m, c), (m, a, c).
        let (mut p, mut t) = tetra();
        p.push([0.5, 0.0, 0.0]);
        t[1] = [0, 4, 3];
        t.insert(2, [4, 1, 3]);
        let mut ranges = vec![0..1, 1..3, 3..4, 4..5];
        assert_eq!(open_edges(&t), 3, "(a,b) once, (a,m) once, (m,b) once");
        let splits = vec![split(0, 1, &[4])];
        let s = repair(&mut p, &mut t, &mut ranges, &splits, 100, 100).unwrap();
        assert_eq!(s.split, 1);
        assert_eq!(s.added, 1);
        assert_eq!(s.centroids, 0);
        assert_eq!(&t[0..2], &[[1, 4, 2], [4, 0, 2]]);
        assert_eq!(ranges, vec![0..2, 2..4, 4..5, 5..6]);
        assert_eq!(open_edges(&t), 0);
        // The unit tetrahedron's volume is 1/6; m lies on the edge, so nothing changes.
        assert!((volume(&p, &t) - 1.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn two_faces_splitting_one_segment_are_merged() {
        // Face 1 splits a → b at m = (0.25, 0, 0); face 0 splits b → a at n = (0.75, 0, 0).
        // Each face's pieces must receive the other face's point: face 1's (a, m, d) keeps
        // a → m (no recorded point between), its (m, b, d) gets n; face 0's (n, a, c) gets m.
        let (mut p, _) = tetra();
        p.push([0.25, 0.0, 0.0]); // 4 = m
        p.push([0.75, 0.0, 0.0]); // 5 = n
        let mut t = vec![
            [0, 2, 5], // face 0: (a, c, b) split at n: (a, c, n), (n, c, b)
            [5, 2, 1],
            [0, 4, 3], // face 1: (a, b, d) split at m
            [4, 1, 3],
            [0, 3, 2],
            [1, 2, 3],
        ];
        let mut ranges = vec![0..2, 2..4, 4..5, 5..6];
        let splits = vec![split(1, 0, &[5]), split(0, 1, &[4])];
        let s = repair(&mut p, &mut t, &mut ranges, &splits, 100, 100).unwrap();
        assert_eq!((s.split, s.added, s.centroids), (2, 2, 0));
        // Face 0: (a, c, n) has edge n → a spanning m: fanned from c as (n, m, c), (m, a, c).
        assert_eq!(&t[ranges[0].clone()], &[[5, 4, 2], [4, 0, 2], [5, 2, 1]]);
        // Face 1: (m, b, d) has m → b spanning n: (m, n, d), (n, b, d).
        assert_eq!(&t[ranges[1].clone()], &[[0, 4, 3], [4, 5, 3], [5, 1, 3]]);
        assert_eq!(open_edges(&t), 0);
        assert!((volume(&p, &t) - 1.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn points_on_two_edges_fan_from_the_centroid() {
        // Face 3 (b, c, d) is the only triangle using b → c and c → d; points e on b-c
        // (midpoint (0.5, 0.5, 0)) and f on c-d (midpoint (0, 0.5, 0.5)) were recorded by the
        // other faces' meshes (here: the split records alone). The polygon b, e, c, f, d is
        // fanned from the centroid g = (1/3, 1/3, 1/3) of (b, c, d).
        let (mut p, mut t) = tetra();
        p.push([0.5, 0.5, 0.0]); // 4 = e
        p.push([0.0, 0.5, 0.5]); // 5 = f
        let mut ranges = vec![0..1, 1..2, 2..3, 3..4];
        let splits = vec![split(2, 1, &[4]), split(3, 2, &[5])];
        let s = repair(&mut p, &mut t, &mut ranges, &splits, 100, 100).unwrap();
        assert_eq!((s.split, s.centroids), (3, 1));
        assert_eq!(p[6], [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(
            &t[ranges[3].clone()],
            &[[1, 4, 6], [4, 2, 6], [2, 5, 6], [5, 3, 6], [3, 1, 6]]
        );
        // Face 0 (a, c, b) got e on c → b, face 2 (a, d, c) got f on d → c.
        assert_eq!(&t[ranges[0].clone()], &[[2, 4, 0], [4, 1, 0]]);
        assert_eq!(&t[ranges[2].clone()], &[[3, 5, 0], [5, 2, 0]]);
        assert_eq!(open_edges(&t), 0);
        assert!((volume(&p, &t) - 1.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn limits_leave_the_mesh_unchanged() {
        let (mut p, mut t) = tetra();
        p.push([0.5, 0.0, 0.0]);
        let splits = vec![split(0, 1, &[4])];
        let mut ranges = vec![0..1, 1..2, 2..3, 3..4];
        let (p0, t0) = (p.clone(), t.clone());
        assert!(repair(&mut p, &mut t, &mut ranges, &splits, 0, 100).is_err());
        assert_eq!((p, t), (p0, t0));
        let mut bad = vec![0..1, 2..4];
        let (mut p, mut t) = tetra();
        assert!(repair(&mut p, &mut t, &mut bad, &splits, 10, 100).is_err());
    }
}
