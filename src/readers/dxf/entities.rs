//! Per-entity geometry: the extent primitives of one entity from its tags.
//!
//! Each function reads the group codes of one entity type and sends points and elliptical
//! arcs ([`super::geom::Prim`]) to a [`Sink`]: the document box for modelspace entities, or a
//! block's primitive list. What is measured, entity by entity (ezdxf 1.4.5 `ezdxf.bbox` is the
//! reference):
//!
//! * LINE, POINT, 3DFACE (WCS); SOLID, TRACE (OCS): their corner points.
//! * CIRCLE, ARC (OCS): exact circular arcs, counter-clockwise from start to end angle.
//! * ELLIPSE (WCS): the exact elliptical arc over its parameter range.
//! * LWPOLYLINE (OCS, elevation 38): vertices, and bulged segments as exact arcs.
//! * SPLINE: the curve evaluated by de Boor from its control points, knots and weights
//!   (extrema refined); with no usable control points, its fit points.
//! * TEXT, ATTRIB (OCS), MTEXT (WCS): the insertion point (and the TEXT alignment point). ezdxf
//!   measures text with real font metrics (TrueType fonts found on the machine), which cadfeat
//!   does not reproduce: text boxes are the insertion points only.
//! * HATCH: boundary paths (polyline paths with bulges, line / arc / ellipse / spline edges).
//! * LEADER: its vertices. RAY, XLINE (infinite), 3DSOLID / BODY / REGION (ACIS), MULTILEADER
//!   and IMAGE are not measured (ezdxf skips the first ones too).

use super::geom::{
    Affine, BSpline, EllArc, Ocs, Sink, V3, add, bulge_arc, circle_arc, cross, mul, norm, unit,
};
use super::tags::Tag;

/// The tags of one entity (after its `0` type tag), with lookup helpers.
pub(crate) struct Ent<'b, 'a> {
    pub(crate) tags: &'b [Tag<'a>],
}

impl<'a> Ent<'_, 'a> {
    /// The first real value of `code`.
    #[inline]
    pub(crate) fn f(&self, code: i32) -> Option<f64> {
        self.tags
            .iter()
            .find(|t| t.code == code)
            .and_then(|t| t.value.f64())
    }

    /// The first real value of `code`, or `default`.
    #[inline]
    pub(crate) fn fd(&self, code: i32, default: f64) -> f64 {
        self.f(code).filter(|v| v.is_finite()).unwrap_or(default)
    }

    /// The first integer value of `code`.
    #[inline]
    pub(crate) fn i(&self, code: i32) -> Option<i64> {
        self.tags
            .iter()
            .find(|t| t.code == code)
            .and_then(|t| t.value.i64())
    }

    /// The raw bytes of the first value of `code`.
    #[inline]
    pub(crate) fn s(&self, code: i32) -> Option<&'a [u8]> {
        self.tags
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.value.bytes())
    }

    /// The point of codes `code`, `code + 10`, `code + 20` (missing coordinates are 0).
    #[inline]
    pub(crate) fn pt(&self, code: i32) -> V3 {
        let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
        for t in self.tags {
            if t.code == code {
                x = t.value.f64().unwrap_or(0.0);
            } else if t.code == code + 10 {
                y = t.value.f64().unwrap_or(0.0);
            } else if t.code == code + 20 {
                z = t.value.f64().unwrap_or(0.0);
                break;
            }
        }
        [x, y, z]
    }

    /// True when the entity has the point code `code`.
    pub(crate) fn has(&self, code: i32) -> bool {
        self.tags.iter().any(|t| t.code == code)
    }

    /// The extrusion direction (210/220/230, default +Z).
    pub(crate) fn extrusion(&self) -> V3 {
        if self.has(210) {
            self.pt(210)
        } else {
            [0.0, 0.0, 1.0]
        }
    }

    /// OCS → WCS map of this entity.
    pub(crate) fn ocs(&self) -> Affine {
        Ocs::affine(Ocs::new(self.extrusion()))
    }
}

/// LINE: start and end.
pub(crate) fn line(e: &Ent, s: &mut dyn Sink) {
    s.point(e.pt(10));
    s.point(e.pt(11));
}

/// POINT: its location.
pub(crate) fn point(e: &Ent, s: &mut dyn Sink) {
    s.point(e.pt(10));
}

/// 3DFACE (WCS) and SOLID / TRACE (OCS): the four corners (the fourth defaults to the third).
pub(crate) fn quad(e: &Ent, s: &mut dyn Sink, ocs: bool) {
    let m = if ocs { e.ocs() } else { Affine::IDENTITY };
    let c = quad_corners(e);
    for p in c {
        s.point(m.point(p));
    }
}

/// The four corners of a 3DFACE / SOLID / TRACE, the fourth defaulting to the third.
pub(crate) fn quad_corners(e: &Ent) -> [V3; 4] {
    let p2 = e.pt(12);
    let p3 = if e.has(13) { e.pt(13) } else { p2 };
    [e.pt(10), e.pt(11), p2, p3]
}

/// CIRCLE and ARC.
pub(crate) fn circle(e: &Ent, s: &mut dyn Sink, is_arc: bool) {
    let r = e.fd(40, 0.0).abs();
    let c = e.pt(10);
    let m = e.ocs();
    if r == 0.0 {
        s.point(m.point(c));
        return;
    }
    let sweep = is_arc.then(|| (e.fd(50, 0.0), e.fd(51, 360.0)));
    s.arc(circle_arc(c, r, sweep, &m));
}

/// ELLIPSE: centre 10, major axis end 11 (relative), ratio 40, parameters 41..42.
pub(crate) fn ellipse(e: &Ent, s: &mut dyn Sink) {
    let c = e.pt(10);
    let major = e.pt(11);
    let ratio = e.fd(40, 1.0);
    let Some(z) = unit(e.extrusion()) else {
        return;
    };
    let Some(minor_dir) = unit(cross(z, major)) else {
        s.point(c);
        return;
    };
    let minor = mul(minor_dir, norm(major) * ratio);
    let t0 = e.fd(41, 0.0);
    let mut t1 = e.fd(42, std::f64::consts::TAU);
    let tau = std::f64::consts::TAU;
    if (t1 - t0).abs() >= tau - 1e-12 {
        t1 = t0 + tau;
    } else {
        t1 = t0 + (t1 - t0).rem_euclid(tau);
    }
    s.arc(EllArc {
        c,
        u: major,
        v: minor,
        t0,
        t1,
    });
}

/// Sends a 2-D polyline (OCS points with bulges) at elevation `z` through `m`.
pub(crate) fn polyline_2d(
    pts: &[([f64; 2], f64)],
    closed: bool,
    z: f64,
    m: &Affine,
    s: &mut dyn Sink,
) {
    let n = pts.len();
    for (i, &(p, bulge)) in pts.iter().enumerate() {
        s.point(m.point([p[0], p[1], z]));
        let next = if i + 1 < n {
            Some(pts[i + 1].0)
        } else if closed && n > 1 {
            Some(pts[0].0)
        } else {
            None
        };
        if let Some(q) = next
            && let Some(a) = bulge_arc(p, q, bulge, z)
        {
            s.arc(a.transformed(m));
        }
    }
}

/// LWPOLYLINE: 10/20 vertices, 42 bulges (after their vertex), 70 bit 1 closed, 38 elevation.
pub(crate) fn lwpolyline(e: &Ent, s: &mut dyn Sink, scratch: &mut Vec<([f64; 2], f64)>) {
    scratch.clear();
    for t in e.tags {
        match t.code {
            10 => scratch.push(([t.value.f64().unwrap_or(0.0), 0.0], 0.0)),
            20 => {
                if let Some(last) = scratch.last_mut() {
                    last.0[1] = t.value.f64().unwrap_or(0.0);
                }
            }
            42 => {
                if let Some(last) = scratch.last_mut() {
                    last.1 = t.value.f64().unwrap_or(0.0);
                }
            }
            _ => {}
        }
    }
    let closed = e.i(70).unwrap_or(0) & 1 == 1;
    let z = e.fd(38, 0.0);
    polyline_2d(scratch, closed, z, &e.ocs(), s);
}

/// SPLINE: de Boor evaluation of the control points, or the fit points.
pub(crate) fn spline(e: &Ent, s: &mut dyn Sink) {
    let mut knots = Vec::new();
    let mut weights = Vec::new();
    let mut ctrl: Vec<V3> = Vec::new();
    let mut fit: Vec<V3> = Vec::new();
    for t in e.tags {
        let v = t.value.f64().unwrap_or(0.0);
        match t.code {
            40 => knots.push(v),
            41 => weights.push(v),
            10 => ctrl.push([v, 0.0, 0.0]),
            20 => set(&mut ctrl, 1, v),
            30 => set(&mut ctrl, 2, v),
            11 => fit.push([v, 0.0, 0.0]),
            21 => set(&mut fit, 1, v),
            31 => set(&mut fit, 2, v),
            _ => {}
        }
    }
    // Degrees above 11 do not occur in practice and would make evaluation costly.
    let degree = e.i(71).unwrap_or(3).clamp(1, 11) as usize;
    let rational = !weights.is_empty() && weights.len() == ctrl.len();
    let bs = BSpline {
        degree,
        knots: &knots,
        ctrl: &ctrl,
        weights: rational.then_some(&weights[..]),
    };
    if bs.is_valid() {
        // Extrema are refined per span, so fewer samples suffice for very long splines.
        bs.flatten(if ctrl.len() > 10_000 { 4 } else { 32 }, s);
    } else if !fit.is_empty() {
        for p in fit {
            s.point(p);
        }
    } else {
        for p in ctrl {
            s.point(p);
        }
    }
}

fn set(v: &mut [V3], k: usize, x: f64) {
    if let Some(last) = v.last_mut() {
        last[k] = x;
    }
}

/// TEXT / ATTRIB / ATTDEF (OCS) and MTEXT (WCS): insertion point (and TEXT alignment point
/// when the text is aligned). Empty text has no extent (as in ezdxf).
pub(crate) fn text(e: &Ent, s: &mut dyn Sink, mtext: bool) {
    let content = e.s(1).unwrap_or(b"");
    let has_more = e.has(3);
    if content.trim_ascii().is_empty() && !has_more {
        return;
    }
    if mtext {
        s.point(e.pt(10));
        return;
    }
    let m = e.ocs();
    s.point(m.point(e.pt(10)));
    let aligned = e.i(72).unwrap_or(0) != 0 || e.i(74).or_else(|| e.i(73)).unwrap_or(0) != 0;
    if aligned && e.has(11) {
        s.point(m.point(e.pt(11)));
    }
}

/// LEADER: its vertices (10/20/30, WCS).
pub(crate) fn leader(e: &Ent, s: &mut dyn Sink) {
    let mut cur: Option<V3> = None;
    for t in e.tags {
        let v = t.value.f64().unwrap_or(0.0);
        match t.code {
            10 => {
                if let Some(p) = cur.take() {
                    s.point(p);
                }
                cur = Some([v, 0.0, 0.0]);
            }
            20 => {
                if let Some(p) = cur.as_mut() {
                    p[1] = v;
                }
            }
            30 => {
                if let Some(p) = cur.as_mut() {
                    p[2] = v;
                }
            }
            _ => {}
        }
    }
    if let Some(p) = cur {
        s.point(p);
    }
}

/// HATCH: the boundary paths, read in tag order (codes repeat across paths).
pub(crate) fn hatch(e: &Ent, s: &mut dyn Sink) {
    let m = e.ocs();
    let z = e.pt(10)[2];
    let tags = e.tags;
    // Find the number of paths (91) and start after it.
    let Some(start) = tags.iter().position(|t| t.code == 91) else {
        return;
    };
    let npaths = tags[start].value.i64().unwrap_or(0).max(0) as usize;
    let mut i = start + 1;
    let get = |i: usize| tags.get(i);
    let num = |i: usize| tags.get(i).and_then(|t| t.value.f64()).unwrap_or(0.0);
    let mut pts: Vec<([f64; 2], f64)> = Vec::new();
    for _ in 0..npaths {
        // Path type flag 92.
        while get(i).is_some_and(|t| t.code != 92) {
            i += 1;
        }
        let Some(flag_tag) = get(i) else { return };
        let flags = flag_tag.value.i64().unwrap_or(0);
        i += 1;
        if flags & 2 != 0 {
            // Polyline path: 72 has_bulge, 73 closed, 93 count, then 10/20[/42].
            let mut closed = true;
            while let Some(t) = get(i) {
                match t.code {
                    72 => {}
                    73 => closed = t.value.i64().unwrap_or(1) != 0,
                    93 => {
                        i += 1;
                        break;
                    }
                    _ => break,
                }
                i += 1;
            }
            pts.clear();
            while let Some(t) = get(i) {
                match t.code {
                    10 => pts.push(([num(i), 0.0], 0.0)),
                    20 => {
                        if let Some(l) = pts.last_mut() {
                            l.0[1] = num(i);
                        }
                    }
                    42 => {
                        if let Some(l) = pts.last_mut() {
                            l.1 = num(i);
                        }
                    }
                    _ => break,
                }
                i += 1;
            }
            polyline_2d(&pts, closed, z, &m, s);
        } else {
            // Edge path: 93 edge count, then edges by 72 type.
            if get(i).is_some_and(|t| t.code == 93) {
                i += 1;
            }
            // Read the edges until the source-boundary count 97 (or the next path / end).
            let mut vals: Vec<(i32, f64)> = Vec::new();
            let mut edge_type = 0i64;
            loop {
                let t = get(i);
                let end = match t {
                    None => true,
                    Some(t) => matches!(t.code, 97 | 92 | 75 | 76 | 98 | 47 | 52 | 53),
                };
                let new_edge = t.is_some_and(|t| t.code == 72);
                if (end || new_edge) && edge_type != 0 {
                    hatch_edge(edge_type, &vals, z, &m, s);
                    vals.clear();
                }
                if end {
                    break;
                }
                if let Some(t) = t {
                    if t.code == 72 {
                        edge_type = t.value.i64().unwrap_or(0);
                    } else {
                        vals.push((t.code, t.value.f64().unwrap_or(0.0)));
                    }
                }
                i += 1;
            }
        }
    }
}

fn hatch_edge(kind: i64, vals: &[(i32, f64)], z: f64, m: &Affine, s: &mut dyn Sink) {
    let first = |c: i32| vals.iter().find(|v| v.0 == c).map_or(0.0, |v| v.1);
    match kind {
        1 => {
            s.point(m.point([first(10), first(20), z]));
            s.point(m.point([first(11), first(21), z]));
        }
        2 | 3 => {
            let c = [first(10), first(20), z];
            let ccw = vals.iter().find(|v| v.0 == 73).is_none_or(|v| v.1 != 0.0);
            let (mut a0, mut a1) = (first(50), first(51));
            if !ccw {
                // DXF stores clockwise edges with complementary angles (360 - angle); as
                // ezdxf does, read them as the counter-clockwise arc they cover.
                (a0, a1) = (360.0 - a1, 360.0 - a0);
            }
            let span = super::geom::arc_span_deg(a0, a1);
            let arc = if kind == 2 {
                let r = first(40).abs();
                circle_arc(c, r, Some((a0, a0 + span)), &Affine::IDENTITY)
            } else {
                let major = [first(11), first(21), 0.0];
                let ratio = first(40);
                let minor = mul([-major[1], major[0], 0.0], ratio);
                // Ellipse edge angles are true angles; convert them to parameters.
                let to_param = |a: f64| {
                    let a = a.to_radians();
                    if ratio == 0.0 {
                        a
                    } else {
                        (a.sin() / ratio).atan2(a.cos())
                    }
                };
                let t0 = to_param(a0);
                let mut t1 = to_param(a0 + span);
                if span >= 360.0 - 1e-9 {
                    t1 = t0 + std::f64::consts::TAU;
                } else if t1 <= t0 {
                    t1 += std::f64::consts::TAU;
                }
                EllArc {
                    c,
                    u: major,
                    v: minor,
                    t0,
                    t1,
                }
            };
            s.arc(arc.transformed(m));
        }
        4 => {
            let degree = vals
                .iter()
                .find(|v| v.0 == 94)
                .map_or(3, |v| v.1 as i64)
                .clamp(1, 11) as usize;
            let knots: Vec<f64> = vals.iter().filter(|v| v.0 == 40).map(|v| v.1).collect();
            let weights: Vec<f64> = vals.iter().filter(|v| v.0 == 42).map(|v| v.1).collect();
            let mut ctrl: Vec<V3> = Vec::new();
            let mut fit: Vec<V3> = Vec::new();
            for &(c, v) in vals {
                match c {
                    10 => ctrl.push([v, 0.0, z]),
                    20 => set(&mut ctrl, 1, v),
                    11 => fit.push([v, 0.0, z]),
                    21 => set(&mut fit, 1, v),
                    _ => {}
                }
            }
            let bs = BSpline {
                degree,
                knots: &knots,
                ctrl: &ctrl,
                weights: (weights.len() == ctrl.len() && !weights.is_empty())
                    .then_some(&weights[..]),
            };
            let mut local: Vec<super::geom::Prim> = Vec::new();
            if bs.is_valid() {
                bs.flatten(32, &mut local);
            } else {
                for p in ctrl.iter().chain(fit.iter()) {
                    local.push(super::geom::Prim::Point(*p));
                }
            }
            for p in local {
                if let super::geom::Prim::Point(p) = p {
                    s.point(m.point(p));
                }
            }
        }
        _ => {}
    }
}

/// A block reference (INSERT, or a DIMENSION's geometry block), resolved at the end.
#[derive(Debug, Clone)]
pub(crate) struct InsertRef {
    /// Upper-cased block name.
    pub(crate) block: Vec<u8>,
    /// Block coordinates → parent coordinates for the (0, 0) copy.
    pub(crate) m: Affine,
    /// Offsets (parent coordinates) of the array copies at the grid corners.
    pub(crate) corners: Vec<V3>,
    /// Whether the block's base point must be subtracted (INSERT yes, DIMENSION no).
    pub(crate) use_base: bool,
}

/// INSERT: insertion point 10 (OCS), scales 41/42/43, rotation 50, extrusion, columns 70 ×
/// rows 71 with spacings 44 / 45.
pub(crate) fn insert(e: &Ent, block: &[u8]) -> InsertRef {
    let ins = e.pt(10);
    let (sx, sy, sz) = (e.fd(41, 1.0), e.fd(42, 1.0), e.fd(43, 1.0));
    let rot = e.fd(50, 0.0).to_radians();
    let (sn, cs) = rot.sin_cos();
    let ocs = e.ocs();
    // p_ocs = R(rot)·S·p + ins ; p_wcs = OCS · p_ocs
    let local = Affine {
        m: [
            [cs * sx, -sn * sy, 0.0],
            [sn * sx, cs * sy, 0.0],
            [0.0, 0.0, sz],
        ],
        t: ins,
    };
    let m = ocs.then_after(&local);
    let cols = e.i(70).unwrap_or(1).max(1);
    let rows = e.i(71).unwrap_or(1).max(1);
    let (dc, dr) = (e.fd(44, 0.0), e.fd(45, 0.0));
    let mut corners = Vec::with_capacity(4);
    for (c, r) in [(0, 0), (cols - 1, 0), (0, rows - 1), (cols - 1, rows - 1)] {
        let off = [c as f64 * dc, r as f64 * dr, 0.0];
        let off = [cs * off[0] - sn * off[1], sn * off[0] + cs * off[1], 0.0];
        let w = ocs.vector(off);
        if !corners.contains(&w) {
            corners.push(w);
        }
    }
    InsertRef {
        block: block.to_ascii_uppercase(),
        m,
        corners,
        use_base: true,
    }
}

/// DIMENSION: its geometry block (code 2), translated by the insertion point 12 (OCS).
pub(crate) fn dimension(e: &Ent, block: &[u8]) -> InsertRef {
    let ocs = e.ocs();
    let elev = e.pt(11)[2];
    let ins = if e.has(12) {
        ocs.point(e.pt(12))
    } else {
        [0.0; 3]
    };
    let is_ocs = ocs != Affine::IDENTITY;
    let m = if is_ocs {
        // Block content lies in the dimension's OCS at the text-midpoint elevation.
        let mut mm = ocs;
        mm.t = add(ocs.point([0.0, 0.0, elev]), ins);
        mm
    } else {
        Affine {
            t: ins,
            ..Affine::IDENTITY
        }
    };
    InsertRef {
        block: block.to_ascii_uppercase(),
        m,
        corners: vec![[0.0; 3]],
        use_base: false,
    }
}
