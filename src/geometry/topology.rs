//! Edge topology of a welded triangle mesh: edges, boundary / manifold / non-manifold edge
//! counts, closedness, edge-connected components, Euler characteristic and genus.
//!
//! Only *non-degenerate* triangles (three distinct welded vertices) take part. Edges are
//! unordered welded-vertex pairs `(lo, hi)`; they are counted without a hash map: each edge is
//! bucketed by `lo` (a counting sort into a CSR array), and each bucket, a handful of entries,
//! is sorted and run-length counted. Components use union-find (path halving, union by size):
//! over the triangles, joined through shared edges (slot 34), and over the welded vertices,
//! joined along triangle edges (for comparison with trimesh).

/// Topology of the welded mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Topology {
    /// Welded vertices used by non-degenerate triangles (V of χ).
    pub vertices: usize,
    /// Distinct edges (E of χ).
    pub edges: usize,
    /// Non-degenerate triangles (F of χ).
    pub faces: usize,
    /// Triangles with fewer than three distinct welded vertices.
    pub degenerate: usize,
    /// Edges used by exactly one triangle.
    pub boundary_edges: usize,
    /// Edges used by exactly two triangles.
    pub manifold_edges: usize,
    /// Edges used by three or more triangles.
    pub nonmanifold_edges: usize,
    /// Edge-connected components: classes of triangles joined through shared edges (the
    /// reading REFERENCE-v5.tsv follows; a badly welded mesh whose triangles touch only at
    /// vertices has many).
    pub components: usize,
    /// Vertex-connected components (trimesh's `components_vertex`): classes of welded vertices
    /// joined by triangle edges.
    pub vertex_components: usize,
}

impl Topology {
    /// Every edge shared by exactly two triangles, and at least one (non-degenerate) triangle.
    pub fn is_closed(&self) -> bool {
        self.faces > 0 && self.boundary_edges == 0 && self.nonmanifold_edges == 0
    }

    /// χ = V − E + F.
    pub fn euler(&self) -> i64 {
        self.vertices as i64 - self.edges as i64 + self.faces as i64
    }

    /// g = max(0, (2C − χ)/2) when closed, else 0.
    pub fn genus(&self) -> f64 {
        if !self.is_closed() {
            return 0.0;
        }
        let g = (2 * self.components as i64 - self.euler()) as f64 / 2.0;
        g.max(0.0)
    }
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    // Path halving; terminates because parents point to smaller-or-equal-rank roots.
    loop {
        let p = parent[x as usize];
        if p == x {
            return x;
        }
        let gp = parent[p as usize];
        parent[x as usize] = gp;
        x = gp;
    }
}

fn union(parent: &mut [u32], size: &mut [u32], a: u32, b: u32) {
    let ra = find(parent, a);
    let rb = find(parent, b);
    if ra == rb {
        return;
    }
    let (big, small) = if size[ra as usize] >= size[rb as usize] {
        (ra, rb)
    } else {
        (rb, ra)
    };
    parent[small as usize] = big;
    size[big as usize] += size[small as usize];
}

/// Computes the topology of `tris` (welded vertex ids, all `< n_vertices`; triangles that are
/// `None` are skipped entirely).
pub fn analyze<I>(n_vertices: usize, tris: I) -> Topology
where
    I: Iterator<Item = Option<[u32; 3]>> + Clone,
{
    let mut topo = Topology::default();
    let mut used = vec![false; n_vertices];
    let mut start = vec![0u32; n_vertices + 1];
    // Pass 1: degree count by the lower vertex of each edge.
    let in_range = |t: &[u32; 3]| t.iter().all(|&v| (v as usize) < n_vertices);
    for t in tris.clone().flatten().filter(in_range) {
        let [a, b, c] = t;
        if a == b || b == c || a == c {
            topo.degenerate += 1;
            continue;
        }
        topo.faces += 1;
        for (u, v) in [(a, b), (b, c), (c, a)] {
            let lo = u.min(v) as usize;
            if let Some(s) = start.get_mut(lo + 1) {
                *s += 1;
            }
        }
        for v in [a, b, c] {
            if let Some(u) = used.get_mut(v as usize) {
                *u = true;
            }
        }
    }
    for i in 0..n_vertices {
        start[i + 1] += start[i];
    }
    let total = start[n_vertices] as usize;
    let mut fill = start.clone();
    // (hi << 32) | triangle number, so that sorting a bucket groups each edge's triangles.
    let mut other = vec![0u64; total];
    let mut parent: Vec<u32> = (0..n_vertices as u32).collect();
    let mut size = vec![1u32; n_vertices];
    let mut tparent: Vec<u32> = (0..topo.faces as u32).collect();
    let mut tsize = vec![1u32; topo.faces];
    let mut tri_no: u32 = 0;
    // Pass 2: bucket the higher vertices; join components.
    for [a, b, c] in tris.flatten().filter(in_range) {
        if a == b || b == c || a == c {
            continue;
        }
        for (u, v) in [(a, b), (b, c), (c, a)] {
            let (lo, hi) = (u.min(v) as usize, u.max(v));
            if let Some(f) = fill.get_mut(lo)
                && let Some(slot) = other.get_mut(*f as usize)
            {
                *slot = (u64::from(hi) << 32) | u64::from(tri_no);
                *f += 1;
            }
        }
        tri_no += 1;
        union(&mut parent, &mut size, a, b);
        union(&mut parent, &mut size, a, c);
    }
    for v in 0..n_vertices {
        let (lo, hi) = (start[v] as usize, start[v + 1] as usize);
        let bucket = &mut other[lo..hi];
        if bucket.len() > 1 {
            bucket.sort_unstable();
        }
        let mut i = 0;
        while i < bucket.len() {
            let first = bucket[i];
            let mut j = i + 1;
            while j < bucket.len() && bucket[j] >> 32 == first >> 32 {
                union(&mut tparent, &mut tsize, first as u32, bucket[j] as u32);
                j += 1;
            }
            topo.edges += 1;
            match j - i {
                1 => topo.boundary_edges += 1,
                2 => topo.manifold_edges += 1,
                _ => topo.nonmanifold_edges += 1,
            }
            i = j;
        }
    }
    for (v, &u) in used.iter().enumerate() {
        if u {
            topo.vertices += 1;
            if find(&mut parent, v as u32) == v as u32 {
                topo.vertex_components += 1;
            }
        }
    }
    for t in 0..topo.faces as u32 {
        if find(&mut tparent, t) == t {
            topo.components += 1;
        }
    }
    topo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: usize, t: &[[u32; 3]]) -> Topology {
        analyze(n, t.iter().map(|&x| Some(x)))
    }

    #[test]
    fn tetrahedron_is_closed_genus_zero() {
        let t = run(4, &[[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]]);
        assert_eq!((t.vertices, t.edges, t.faces), (4, 6, 4));
        assert!(t.is_closed());
        assert_eq!(t.euler(), 2);
        assert_eq!(t.components, 1);
        assert_eq!(t.genus(), 0.0);
    }

    #[test]
    fn two_triangles_and_a_degenerate_one() {
        let t = run(5, &[[0, 1, 2], [3, 4, 3], [2, 1, 3]]);
        assert_eq!(t.faces, 2);
        assert_eq!(t.degenerate, 1);
        assert_eq!(t.edges, 5);
        assert_eq!(t.boundary_edges, 4);
        assert_eq!(t.manifold_edges, 1);
        assert_eq!(t.vertices, 4);
        assert_eq!(t.components, 1);
        assert!(!t.is_closed());
    }

    #[test]
    fn triangles_touching_at_a_vertex_are_two_edge_components() {
        let t = run(5, &[[0, 1, 2], [0, 3, 4]]);
        assert_eq!(t.components, 2);
        assert_eq!(t.vertex_components, 1);
    }

    #[test]
    fn fin_is_non_manifold() {
        let t = run(5, &[[0, 1, 2], [1, 0, 3], [0, 1, 4]]);
        assert_eq!(t.nonmanifold_edges, 1);
        assert_eq!(t.boundary_edges, 6);
        assert!(!t.is_closed());
    }
}
