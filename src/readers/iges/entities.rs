//! The Directory Entry (DE) table, parameter access, and the walk from root entities to
//! geometry: bounding box, curves, surfaces and B-Rep faces.
//!
//! Each entity has two 80-column DE records (20 fields of 8 columns) and a run of Parameter
//! records. Pointers between entities are DE sequence numbers (odd, 1-based); entity `n` lives
//! at DE index `(n - 1) / 2`. The walk starts at *root* entities — those no other entity refers
//! to, and not flagged physically dependent — so that a B-spline surface used by a trimmed
//! surface, or a parameter-space trimming curve, is not counted twice. Every coordinate is
//! carried through a [`Transform`]: the entity's own transformation matrix (DE field 7, entity
//! 124, possibly a chain), the parents' (composite curves, subfigure instances 408) and the
//! unit conversion to millimetres at the top.
//!
//! Bad input never panics: pointers are checked, cycles are detected (composite curves that
//! contain themselves, transform chains, subfigures), recursion is bounded by
//! [`Limits::max_nesting`], counts are checked against the parameters actually present and
//! against [`Limits`] before anything is allocated, and evaluation work is budgeted.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::brep::{
    BrepModel, BsplineCurve, BsplineSurface, Curve, Edge, Face, FaceBound, Frame, Loop,
    OrientedEdge, Shell, Solid, Surface, Transform, Vec3, Vertex,
};
use crate::document::{BoundingBox, SurfaceKind};
use crate::error::{Error, LimitKind, Location, Result};
use crate::format::Format;
use crate::limits::Limits;

use super::geom;
use super::params::{Param, parse_params};
use super::sections::Record;

/// One directory entry (the fields the reader uses).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Entity type number (field 1).
    pub etype: i64,
    /// First Parameter record (field 2, 1-based).
    pub pdata: i64,
    /// Transformation matrix pointer (field 7).
    pub transform: i64,
    /// Status number (field 9), eight digits: blank, subordinate, use, hierarchy.
    pub status: [u8; 8],
    /// Number of Parameter records (field 14).
    pub pcount: i64,
    /// Form number (field 15).
    pub form: i64,
    /// Line number of the first DE record in the file.
    pub line: u64,
}

impl Entry {
    /// The subordinate entity switch (0 independent, 1 physically, 2 logically dependent, 3
    /// both).
    pub fn subordinate(&self) -> u8 {
        let d = |b: u8| if b.is_ascii_digit() { b - b'0' } else { 0 };
        d(self.status[2]) * 10 + d(self.status[3])
    }
}

fn de_field<'a>(rec: &Record<'a>, i: usize) -> &'a [u8] {
    rec.cols(i * 8, i * 8 + 8)
}

fn de_int(rec: &Record<'_>, i: usize) -> Option<i64> {
    let f = de_field(rec, i);
    let s = std::str::from_utf8(f).ok()?.trim();
    if s.is_empty() {
        return Some(0);
    }
    s.parse::<i64>().ok()
}

/// Parses the Directory section into entries (two records each).
pub fn parse_directory(records: &[Record<'_>], warnings: &mut Warnings) -> Result<Vec<Entry>> {
    if !records.len().is_multiple_of(2) {
        warnings.push(format!(
            "Directory section has an odd number of records ({}); the last is ignored",
            records.len()
        ));
    }
    let mut out = Vec::with_capacity(records.len() / 2);
    for pair in records.chunks_exact(2) {
        let (a, b) = match pair {
            [a, b] => (a, b),
            _ => continue,
        };
        let bad = |what: &str| {
            Error::malformed(
                Format::Iges,
                Location::Line(a.line),
                format!("directory entry: {what} is not an integer"),
            )
        };
        let etype = de_int(a, 0).ok_or_else(|| bad("entity type"))?;
        let mut status = [b'0'; 8];
        for (d, s) in status.iter_mut().zip(de_field(a, 8)) {
            *d = if *s == b' ' { b'0' } else { *s };
        }
        out.push(Entry {
            etype,
            pdata: de_int(a, 1).ok_or_else(|| bad("parameter pointer"))?,
            transform: de_int(a, 6).unwrap_or(0),
            status,
            pcount: de_int(b, 3).ok_or_else(|| bad("parameter line count"))?,
            form: de_int(b, 4).unwrap_or(0),
            line: a.line,
        });
    }
    Ok(out)
}

/// A bounded list of warnings.
#[derive(Debug, Default)]
pub struct Warnings {
    /// The warnings kept.
    pub list: Vec<String>,
    dropped: u64,
}

impl Warnings {
    const MAX: usize = 50;

    /// Adds a warning (kept up to 50; the rest are counted).
    pub fn push(&mut self, w: String) {
        if self.list.len() < Self::MAX {
            self.list.push(w);
        } else {
            self.dropped += 1;
        }
    }

    /// The warnings, with a closing line when some were dropped.
    pub fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.list
                .push(format!("… and {} more warnings", self.dropped));
        }
        self.list
    }
}

/// A readable name for an IGES entity type number.
pub fn type_name(t: i64) -> &'static str {
    match t {
        0 => "NULL",
        100 => "CIRCULAR_ARC",
        102 => "COMPOSITE_CURVE",
        104 => "CONIC_ARC",
        106 => "COPIOUS_DATA",
        108 => "PLANE",
        110 => "LINE",
        112 => "PARAMETRIC_SPLINE_CURVE",
        114 => "PARAMETRIC_SPLINE_SURFACE",
        116 => "POINT",
        118 => "RULED_SURFACE",
        120 => "SURFACE_OF_REVOLUTION",
        122 => "TABULATED_CYLINDER",
        123 => "DIRECTION",
        124 => "TRANSFORMATION_MATRIX",
        125 => "FLASH",
        126 => "RATIONAL_B_SPLINE_CURVE",
        128 => "RATIONAL_B_SPLINE_SURFACE",
        130 => "OFFSET_CURVE",
        140 => "OFFSET_SURFACE",
        141 => "BOUNDARY",
        142 => "CURVE_ON_PARAMETRIC_SURFACE",
        143 => "BOUNDED_SURFACE",
        144 => "TRIMMED_SURFACE",
        150 => "BLOCK",
        152 => "RIGHT_ANGULAR_WEDGE",
        154 => "RIGHT_CIRCULAR_CYLINDER",
        156 => "RIGHT_CIRCULAR_CONE_FRUSTUM",
        158 => "SPHERE",
        160 => "TORUS",
        162 => "SOLID_OF_REVOLUTION",
        164 => "SOLID_OF_LINEAR_EXTRUSION",
        168 => "ELLIPSOID",
        180 => "BOOLEAN_TREE",
        184 => "SOLID_ASSEMBLY",
        186 => "MANIFOLD_SOLID_BREP",
        190 => "PLANE_SURFACE",
        192 => "RIGHT_CIRCULAR_CYLINDRICAL_SURFACE",
        194 => "RIGHT_CIRCULAR_CONICAL_SURFACE",
        196 => "SPHERICAL_SURFACE",
        198 => "TOROIDAL_SURFACE",
        202 => "ANGULAR_DIMENSION",
        206 => "DIAMETER_DIMENSION",
        210 => "GENERAL_LABEL",
        212 => "GENERAL_NOTE",
        214 => "LEADER",
        216 => "LINEAR_DIMENSION",
        222 => "RADIUS_DIMENSION",
        228 => "GENERAL_SYMBOL",
        230 => "SECTIONED_AREA",
        302 => "ASSOCIATIVITY_DEFINITION",
        304 => "LINE_FONT_DEFINITION",
        306 => "MACRO_DEFINITION",
        308 => "SUBFIGURE_DEFINITION",
        310 => "TEXT_FONT_DEFINITION",
        312 => "TEXT_DISPLAY_TEMPLATE",
        314 => "COLOR",
        316 => "UNITS_DATA",
        320 => "NETWORK_SUBFIGURE_DEFINITION",
        322 => "ATTRIBUTE_TABLE_DEFINITION",
        402 => "ASSOCIATIVITY_INSTANCE",
        404 => "DRAWING",
        406 => "PROPERTY",
        408 => "SINGULAR_SUBFIGURE_INSTANCE",
        410 => "VIEW",
        412 => "RECTANGULAR_ARRAY_SUBFIGURE_INSTANCE",
        414 => "CIRCULAR_ARRAY_SUBFIGURE_INSTANCE",
        416 => "EXTERNAL_REFERENCE",
        418 => "NODAL_LOAD_CONSTRAINT",
        420 => "NETWORK_SUBFIGURE_INSTANCE",
        430 => "SOLID_INSTANCE",
        502 => "VERTEX_LIST",
        504 => "EDGE_LIST",
        508 => "LOOP",
        510 => "FACE",
        514 => "SHELL",
        _ => "UNKNOWN",
    }
}

/// The B-Rep surface kind of a surface entity type, as OpenCascade reports it.
pub fn surface_kind(t: i64) -> SurfaceKind {
    match t {
        108 | 190 => SurfaceKind::Plane,
        192 => SurfaceKind::Cylinder,
        194 => SurfaceKind::Cone,
        196 => SurfaceKind::Sphere,
        198 => SurfaceKind::Torus,
        128 | 114 => SurfaceKind::Bspline,
        120 => SurfaceKind::Revolution,
        122 => SurfaceKind::Extrusion,
        140 => SurfaceKind::Offset,
        _ => SurfaceKind::Other,
    }
}

/// How a box was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoxQuality {
    /// A box that contains the geometry but may be larger (control points, untrimmed surface).
    Conservative,
    /// The geometry is unbounded (a plane): use the boundary instead.
    Unbounded,
}

/// A piece of a model-space curve, in mm.
#[derive(Debug, Clone)]
struct Piece {
    curve: Curve,
    start: Vec3,
    end: Vec3,
    /// Parameter range (arcs: angles; B-splines: V0..V1; others unused).
    range: (f64, f64),
}

/// What the walk produced.
#[derive(Debug, Default)]
pub struct Walk {
    /// The B-Rep (mm).
    pub model: BrepModel,
    /// Box of geometry that is not a face (points, curves), mm.
    pub other_box: BoundingBox,
    /// Box of the faces as the reader bounds them (mm).
    pub face_box: BoundingBox,
    /// True when some part of `face_box`/`other_box` is a conservative (larger) bound.
    pub conservative: bool,
    /// Entities visited.
    pub visited: u64,
}

/// The walker.
pub struct Walker<'a> {
    entries: &'a [Entry],
    precs: &'a [Record<'a>],
    pdelim: u8,
    rdelim: u8,
    limits: &'a Limits,
    /// Warnings for the document.
    pub warnings: Warnings,
    out: Walk,
    work: u64,
    instance: u64,
    next_instance: u64,
    faces_done: HashMap<(u64, usize), u32>,
    shells_done: HashMap<(u64, usize), u32>,
    solids_done: HashSet<(u64, usize)>,
    edges_done: HashMap<(u64, usize, i64), u32>,
    vertices_done: HashMap<(u64, usize, i64), u32>,
    in_progress: HashSet<usize>,
    xf_cache: HashMap<usize, Transform>,
    pcache: HashMap<usize, Rc<Vec<Param>>>,
}

type Res<T> = Result<T>;

/// Hard cap on the walk's recursion depth (see [`Limits::max_nesting`]).
const MAX_DEPTH: u32 = 40;

/// Work units charged per entity visit.
const VISIT_COST: u64 = 20;

impl<'a> Walker<'a> {
    /// A walker over parsed sections.
    pub fn new(
        entries: &'a [Entry],
        precs: &'a [Record<'a>],
        pdelim: u8,
        rdelim: u8,
        limits: &'a Limits,
    ) -> Self {
        Walker {
            entries,
            precs,
            pdelim,
            rdelim,
            limits,
            warnings: Warnings::default(),
            out: Walk::default(),
            work: 0,
            instance: 0,
            next_instance: 0,
            faces_done: HashMap::new(),
            shells_done: HashMap::new(),
            solids_done: HashSet::new(),
            edges_done: HashMap::new(),
            vertices_done: HashMap::new(),
            in_progress: HashSet::new(),
            xf_cache: HashMap::new(),
            pcache: HashMap::new(),
        }
    }

    fn err(&self, idx: usize, msg: impl Into<String>) -> Error {
        let line = self.entries.get(idx).map_or(0, |e| e.line);
        Error::malformed(Format::Iges, Location::Line(line), msg)
    }

    fn warn_at(&mut self, idx: usize, msg: impl std::fmt::Display) {
        let (line, t) = self.entries.get(idx).map_or((0, 0), |e| (e.line, e.etype));
        self.warnings
            .push(format!("entity {t} at DE line {line}: {msg}"));
    }

    /// The DE index a pointer names, or `None` (with a warning) when it dangles.
    fn resolve(&mut self, from: usize, ptr: f64) -> Option<usize> {
        if ptr == 0.0 {
            return None;
        }
        let p = ptr.abs();
        let ok = p.fract() == 0.0 && p < 1e15 && (p as u64) % 2 == 1;
        let idx = ((p as u64).saturating_sub(1) / 2) as usize;
        if ok && idx < self.entries.len() {
            Some(idx)
        } else {
            self.warn_at(from, format!("pointer {ptr} names no directory entry"));
            None
        }
    }

    /// The parameters of entry `idx` without the leading type number.
    pub fn params(&mut self, idx: usize) -> Res<Rc<Vec<Param>>> {
        if let Some(p) = self.pcache.get(&idx) {
            return Ok(Rc::clone(p));
        }
        let p = Rc::new(self.parse_params_of(idx)?);
        self.pcache.insert(idx, Rc::clone(&p));
        Ok(p)
    }

    fn parse_params_of(&mut self, idx: usize) -> Res<Vec<Param>> {
        let e = self
            .entries
            .get(idx)
            .ok_or_else(|| self.err(idx, "no such entry"))?;
        let (start, count) = (e.pdata, e.pcount);
        let n = self.precs.len() as i64;
        if start < 1 || start > n {
            return Err(self.err(
                idx,
                format!(
                    "parameter data line {start} outside the Parameter section (1..{n}): truncated file?"
                ),
            ));
        }
        let mut count = count.max(1);
        if start.saturating_add(count - 1) > n {
            self.warn_at(
                idx,
                format!("parameter line count {count} runs past the Parameter section; clipped"),
            );
            count = n - start + 1;
        }
        let lo = (start - 1) as usize;
        let hi = (start - 1 + count) as usize;
        let recs = self.precs.get(lo..hi).unwrap_or_default();
        let mut data = Vec::with_capacity(recs.len() * 64);
        for r in recs {
            let c = r.cols(0, 64);
            data.extend_from_slice(c);
            data.extend(std::iter::repeat_n(b' ', 64 - c.len()));
        }
        let max_fields = data.len() + 1;
        let (mut p, notes) = parse_params(&data, self.pdelim, self.rdelim, max_fields);
        if notes.hollerith_truncated {
            self.warn_at(idx, "a Hollerith string runs past its parameter data");
        }
        if notes.unterminated {
            self.warn_at(idx, "parameter data without a record delimiter");
        }
        let et = e.etype;
        match p.first().and_then(Param::num) {
            Some(t) if t == et as f64 => {}
            other => {
                return Err(self.err(
                    idx,
                    format!("parameter data starts with {other:?}, expected entity type {et}"),
                ));
            }
        }
        p.remove(0);
        Ok(p)
    }

    /// The composed transformation of entry `idx` (DE field 7 chain), in its own units.
    fn own_transform(&mut self, idx: usize) -> Res<Transform> {
        if let Some(t) = self.xf_cache.get(&idx) {
            return Ok(*t);
        }
        let mut total = Transform::IDENTITY;
        let mut seen = HashSet::new();
        let mut cur = self.entries.get(idx).map_or(0, |e| e.transform);
        let max = self.limits.max_nesting as usize;
        while cur != 0 {
            let Some(m) = self.resolve(idx, cur as f64) else {
                break;
            };
            if !seen.insert(m) || seen.len() > max {
                return Err(self.err(
                    idx,
                    "transformation matrix chain is cyclic or deeper than max_nesting",
                ));
            }
            if self.entries.get(m).map(|e| e.etype) != Some(124) {
                self.warn_at(
                    idx,
                    "DE field 7 does not point to a 124 transformation matrix",
                );
                break;
            }
            let p = self.params(m)?;
            let n = |i: usize| p.get(i).and_then(|v| v.num_or(0.0));
            let mut v = [0.0; 12];
            for (i, slot) in v.iter_mut().enumerate() {
                *slot =
                    n(i).ok_or_else(|| self.err(m, "transformation matrix value is not a number"))?;
            }
            let mt = Transform {
                r: [[v[0], v[1], v[2]], [v[4], v[5], v[6]], [v[8], v[9], v[10]]],
                t: [v[3], v[7], v[11]],
            };
            total = mt.then_after(&total);
            cur = self.entries.get(m).map_or(0, |e| e.transform);
        }
        self.xf_cache.insert(idx, total);
        Ok(total)
    }

    fn count_visit(&mut self) -> Res<()> {
        self.out.visited += 1;
        self.limits
            .check(LimitKind::ExpandedEntities, self.out.visited)?;
        // A visit also costs work (about 20 evaluated points' worth), so that a fan-out of
        // references cannot spend more time than the work budget allows.
        self.work = self.work.saturating_add(VISIT_COST);
        self.limits.check(LimitKind::Work, self.work)
    }

    fn spend(&mut self, w: u64) -> bool {
        self.work = self.work.saturating_add(w);
        self.work <= self.limits.max_work
    }

    fn depth_check(&self, idx: usize, depth: u32) -> Res<()> {
        // The walk recurses; keep it well inside a 2 MiB thread stack (debug builds included)
        // whatever `max_nesting` says. Real files nest about a dozen levels.
        if depth > self.limits.max_nesting.min(MAX_DEPTH) {
            Err(self.err(
                idx,
                "entity references nest deeper than max_nesting (a cycle?)",
            ))
        } else {
            Ok(())
        }
    }

    /// DE pointers an entity refers to (used to find the roots).
    fn children(etype: i64, form: i64, p: &[Param]) -> Vec<f64> {
        let n = |i: usize| p.get(i).and_then(Param::num).unwrap_or(0.0);
        let count = |i: usize| {
            let v = n(i);
            if v >= 0.0 && v.fract() == 0.0 {
                (v as usize).min(p.len())
            } else {
                0
            }
        };
        let mut out = Vec::new();
        let mut push_range = |from: usize, k: usize, stride: usize| {
            for j in 0..k {
                out.push(n(from + j * stride));
            }
        };
        match etype {
            102 => push_range(1, count(0), 1),
            120 => push_range(0, 2, 1),
            122 => push_range(0, 1, 1),
            140 => push_range(3, 1, 1),
            118 => push_range(0, 2, 1),
            141 => {
                push_range(2, 1, 1);
                let mut i = 4;
                for _ in 0..count(3) {
                    out.push(n(i));
                    let k = count(i + 2);
                    for j in 0..k {
                        out.push(n(i + 3 + j));
                    }
                    i += 3 + k;
                    if i > p.len() {
                        break;
                    }
                }
            }
            142 => push_range(1, 3, 1),
            143 => {
                push_range(1, 1, 1);
                push_range(3, count(2), 1);
            }
            144 => {
                push_range(0, 1, 1);
                push_range(3, 1, 1);
                push_range(4, count(2), 1);
            }
            186 => {
                push_range(0, 1, 1);
                push_range(3, count(2), 2);
            }
            190 | 192 | 194 | 196 | 198 => {
                let ptrs: &[usize] = match etype {
                    190 => &[0, 1, 2],
                    192 => &[0, 1, 3],
                    194 => &[0, 1, 4],
                    196 => &[0, 2, 3],
                    _ => &[0, 1, 4],
                };
                for &i in ptrs {
                    out.push(n(i));
                }
            }
            308 => push_range(3, count(2), 1),
            402 if matches!(form, 1 | 7 | 14 | 15) => push_range(1, count(0), 1),
            408 => push_range(0, 1, 1),
            504 => {
                for j in 0..count(0) {
                    out.push(n(1 + j * 5));
                    out.push(n(2 + j * 5));
                    out.push(n(4 + j * 5));
                }
            }
            508 => {
                let mut i = 1;
                for _ in 0..count(0) {
                    out.push(n(i + 1));
                    let k = count(i + 4);
                    for j in 0..k {
                        out.push(n(i + 6 + 2 * j));
                    }
                    i += 5 + 2 * k;
                    if i > p.len() {
                        break;
                    }
                }
            }
            510 => {
                push_range(0, 1, 1);
                push_range(3, count(1), 1);
            }
            514 => push_range(1, count(0), 2),
            _ => {}
        }
        out
    }

    /// Root entities: not referenced by another entity, not physically dependent.
    pub fn roots(&mut self) -> Res<Vec<usize>> {
        let mut referenced = vec![false; self.entries.len()];
        for idx in 0..self.entries.len() {
            let Some(e) = self.entries.get(idx) else {
                continue;
            };
            let (t, form) = (e.etype, e.form);
            let interesting = matches!(
                t,
                102 | 118 | 120 | 122 | 140 | 141 | 142 | 143 | 144 | 186 | 190
                    ..=198 | 308 | 402 | 408 | 504 | 508 | 510 | 514
            );
            if !interesting {
                continue;
            }
            let p = match self.params(idx) {
                Ok(p) => p,
                Err(e) => {
                    self.warnings.push(format!("{e}; entity skipped"));
                    continue;
                }
            };
            for c in Self::children(t, form, &p) {
                if c != 0.0 {
                    let a = c.abs();
                    if a.fract() == 0.0 && a < 1e15 {
                        let i = ((a as u64).saturating_sub(1) / 2) as usize;
                        if let Some(r) = referenced.get_mut(i)
                            && i != idx
                        {
                            *r = true;
                        }
                    }
                }
            }
        }
        Ok(self
            .entries
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                !referenced.get(*i).copied().unwrap_or(true) && !matches!(e.subordinate(), 1 | 3)
            })
            .map(|(i, _)| i)
            .collect())
    }

    /// Walks every root with the unit conversion `to_mm`.
    pub fn walk(mut self, to_mm: f64) -> Res<(Walk, Vec<String>)> {
        let roots = self.roots()?;
        let top = Transform::scale(to_mm);
        for r in roots {
            self.visit(r, &top, 0)?;
        }
        Ok((self.out, self.warnings.finish()))
    }

    fn visit(&mut self, idx: usize, xf: &Transform, depth: u32) -> Res<()> {
        self.depth_check(idx, depth)?;
        self.count_visit()?;
        let Some(e) = self.entries.get(idx) else {
            return Ok(());
        };
        let (t, form) = (e.etype, e.form);
        match t {
            408 => {
                let p = self.params(idx)?;
                let own = self.own_transform(idx)?;
                let n = |i: usize, d: f64| p.get(i).and_then(|v| v.num_or(d)).unwrap_or(d);
                let s = n(4, 1.0);
                let place = Transform {
                    r: [[s, 0.0, 0.0], [0.0, s, 0.0], [0.0, 0.0, s]],
                    t: [n(1, 0.0), n(2, 0.0), n(3, 0.0)],
                };
                let x = xf.then_after(&own).then_after(&place);
                if let Some(def) = self.resolve(idx, n(0, 0.0)) {
                    if !self.in_progress.insert(idx) {
                        return Err(self.err(idx, "subfigure instance contains itself"));
                    }
                    let outer = self.instance;
                    self.next_instance += 1;
                    self.instance = self.next_instance;
                    let r = self.visit(def, &x, depth + 1);
                    self.instance = outer;
                    self.in_progress.remove(&idx);
                    r?;
                }
            }
            308 | 402 => {
                if t == 402 && !matches!(form, 1 | 7 | 14 | 15) {
                    return Ok(());
                }
                let p = self.params(idx)?;
                let own = self.own_transform(idx)?;
                let x = if t == 308 { xf.then_after(&own) } else { *xf };
                if !self.in_progress.insert(idx) {
                    return Err(self.err(idx, "subfigure or group contains itself"));
                }
                let kids = Self::children(t, form, &p);
                let mut r = Ok(());
                for c in kids {
                    if let Some(ci) = self.resolve(idx, c) {
                        r = self.visit(ci, &x, depth + 1);
                        if r.is_err() {
                            break;
                        }
                    }
                }
                self.in_progress.remove(&idx);
                r?;
            }
            186 => self.solid(idx, xf, depth)?,
            514 => {
                self.shell(idx, xf, depth)?;
            }
            510 | 144 | 143 | 108 | 114 | 118 | 120 | 122 | 128 | 140 | 190..=198 => {
                self.face_entity(idx, xf, depth)?;
            }
            116 => {
                let p = self.params(idx)?;
                let own = self.own_transform(idx)?;
                let q = xyz(&p, 0).unwrap_or([0.0; 3]);
                self.out.other_box.add(xf.then_after(&own).point(q));
            }
            100 | 102 | 104 | 106 | 110 | 112 | 126 | 130 => {
                let mut pieces = Vec::new();
                let mut bb = BoundingBox::EMPTY;
                let exact = self.curve(idx, xf, depth, &mut pieces, &mut bb)?;
                self.out.other_box.union(&bb);
                if !exact {
                    self.out.conservative = true;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Collects the pieces of a model-space curve into `pieces` and its box into `bb`.
    /// Returns false when the box is only conservative (or incomplete).
    fn curve(
        &mut self,
        idx: usize,
        xf: &Transform,
        depth: u32,
        pieces: &mut Vec<Piece>,
        bb: &mut BoundingBox,
    ) -> Res<bool> {
        self.depth_check(idx, depth)?;
        self.count_visit()?;
        let Some(e) = self.entries.get(idx) else {
            return Ok(true);
        };
        let (t, form) = (e.etype, e.form);
        let own = self.own_transform(idx)?;
        let x = xf.then_after(&own);
        let p = self.params(idx)?;
        let n = |i: usize| p.get(i).and_then(|v| v.num_or(0.0));
        match t {
            110 => {
                let (Some(a), Some(b)) = (xyz(&p, 0), xyz(&p, 3)) else {
                    self.warn_at(idx, "line end points are not numbers");
                    return Ok(true);
                };
                let (a, b) = (x.point(a), x.point(b));
                bb.add(a);
                bb.add(b);
                let d = sub(b, a);
                let curve = match unit(d) {
                    Some(dir) if form == 0 => Curve::Line { origin: a, dir },
                    Some(dir) => Curve::Line { origin: a, dir },
                    None => Curve::Polyline(vec![a, b]),
                };
                pieces.push(Piece {
                    curve,
                    start: a,
                    end: b,
                    range: (0.0, 1.0),
                });
                Ok(true)
            }
            100 => {
                let vals: Option<Vec<f64>> = (0..7).map(n).collect();
                let Some([zt, cx, cy, sx, sy, ex, ey]) =
                    vals.and_then(|v| <[f64; 7]>::try_from(v).ok())
                else {
                    self.warn_at(idx, "circular arc parameters are not numbers");
                    return Ok(true);
                };
                let r = (sx - cx).hypot(sy - cy);
                let t0 = (sy - cy).atan2(sx - cx);
                let mut t1 = (ey - cy).atan2(ex - cx);
                if t1 <= t0 + 1e-12 {
                    t1 += std::f64::consts::TAU;
                }
                let c = x.point([cx, cy, zt]);
                let u = x.vector([r, 0.0, 0.0]);
                let v = x.vector([0.0, r, 0.0]);
                geom::add_elliptic_arc(bb, c, u, v, t0, t1);
                let at = |t: f64| {
                    let (s, co) = t.sin_cos();
                    add(c, add(scale(u, co), scale(v, s)))
                };
                let (ru, rv) = (norm(u), norm(v));
                let curve =
                    if r > 0.0 && (ru - rv).abs() <= 1e-9 * ru && dot(u, v).abs() <= 1e-9 * ru * rv
                    {
                        match (unit(u), unit(v)) {
                            (Some(xa), Some(ya)) => Curve::Circle {
                                frame: Frame {
                                    origin: c,
                                    x: xa,
                                    y: ya,
                                    z: cross(xa, ya),
                                },
                                radius: ru,
                            },
                            _ => Curve::Unknown,
                        }
                    } else {
                        Curve::Polyline(
                            (0..=32)
                                .map(|i| at(t0 + (t1 - t0) * i as f64 / 32.0))
                                .collect(),
                        )
                    };
                pieces.push(Piece {
                    curve,
                    start: at(t0),
                    end: at(t1),
                    range: (t0, t1),
                });
                Ok(true)
            }
            104 => self.conic(idx, &x, &p, pieces, bb),
            106 => {
                let ip = n(0).unwrap_or(0.0);
                let cnt = n(1).unwrap_or(0.0);
                let (stride, first, zt) = match ip as i64 {
                    1 => (2usize, 3usize, n(2).unwrap_or(0.0)),
                    2 => (3, 2, 0.0),
                    3 => (6, 2, 0.0),
                    _ => {
                        self.warn_at(idx, format!("copious data with interpretation flag {ip}"));
                        return Ok(true);
                    }
                };
                if cnt.is_nan() || cnt < 0.0 || cnt.fract() != 0.0 {
                    self.warn_at(idx, "copious data count is not a count");
                    return Ok(true);
                }
                let need = (cnt as u128) * stride as u128 + first as u128;
                if need > p.len() as u128 {
                    return Err(self.err(
                        idx,
                        format!(
                            "copious data claims {cnt} points but has only {} parameters",
                            p.len()
                        ),
                    ));
                }
                let cnt = cnt as usize;
                let mut pts = Vec::with_capacity(cnt);
                for k in 0..cnt {
                    let b = first + k * stride;
                    let q = if stride == 2 {
                        [n(b).unwrap_or(0.0), n(b + 1).unwrap_or(0.0), zt]
                    } else {
                        [
                            n(b).unwrap_or(0.0),
                            n(b + 1).unwrap_or(0.0),
                            n(b + 2).unwrap_or(0.0),
                        ]
                    };
                    let w = x.point(q);
                    bb.add(w);
                    pts.push(w);
                }
                if let (Some(&s), Some(&en)) = (pts.first(), pts.last()) {
                    pieces.push(Piece {
                        curve: Curve::Polyline(pts),
                        start: s,
                        end: en,
                        range: (0.0, 1.0),
                    });
                }
                Ok(true)
            }
            126 => {
                let Some(c) = self.bspline_curve(idx, &p, &x)? else {
                    return Ok(true);
                };
                let v0 = n(c.1).unwrap_or(0.0);
                let v1 = n(c.1 + 1).unwrap_or(1.0);
                let curve = c.0;
                let k = curve.control.len();
                let samples = (k * 8).clamp(16, 2000);
                let mut exact = true;
                if self.spend((samples as u64 + 1) * (curve.degree as u64 + 1)) {
                    let mut sb = BoundingBox::EMPTY;
                    geom::sample_curve(&curve, v0, v1, samples, |q| sb.add(q));
                    // Sampling is from inside; the control polygon bounds it from outside.
                    bb.union(&sb);
                } else {
                    for q in &curve.control {
                        bb.add(*q);
                    }
                    exact = false;
                }
                let start = geom::curve_point(&curve, v0).or(curve.control.first().copied());
                let end = geom::curve_point(&curve, v1).or(curve.control.last().copied());
                if let (Some(start), Some(end)) = (start, end) {
                    pieces.push(Piece {
                        curve: Curve::Bspline(curve),
                        start,
                        end,
                        range: (v0, v1),
                    });
                }
                Ok(exact)
            }
            102 => {
                if !self.in_progress.insert(idx) {
                    return Err(self.err(idx, "composite curve contains itself"));
                }
                let kids = Self::children(102, form, &p);
                let mut exact = true;
                let mut r = Ok(());
                for c in kids {
                    if let Some(ci) = self.resolve(idx, c) {
                        match self.curve(ci, &x, depth + 1, pieces, bb) {
                            Ok(ex) => exact &= ex,
                            Err(e) => {
                                r = Err(e);
                                break;
                            }
                        }
                    }
                }
                self.in_progress.remove(&idx);
                r?;
                Ok(exact)
            }
            _ => {
                self.warn_at(idx, "curve type not read; left out of the box");
                Ok(false)
            }
        }
    }

    /// Reads a 126 entity. Returns the curve (transformed) and the index of V0 in `p`.
    fn bspline_curve(
        &mut self,
        idx: usize,
        p: &[Param],
        x: &Transform,
    ) -> Res<Option<(BsplineCurve, usize)>> {
        let n = |i: usize| p.get(i).and_then(|v| v.num_or(0.0));
        let (Some(k), Some(m)) = (n(0), n(1)) else {
            self.warn_at(idx, "B-spline curve K/M are not numbers");
            return Ok(None);
        };
        if !(k >= 0.0
            && m >= 1.0
            && k.fract() == 0.0
            && m.fract() == 0.0
            && m <= 64.0
            && k + 1.0 >= m)
        {
            self.warn_at(
                idx,
                format!("B-spline curve with K={k}, degree M={m} is inconsistent; skipped"),
            );
            return Ok(None);
        }
        let np = k as u128 + 1;
        self.limits
            .check(LimitKind::Vertices, np.min(u64::MAX as u128) as u64)?;
        let nk = k as u128 + m as u128 + 2;
        let need = 6 + nk + np + 3 * np + 2;
        if need > p.len() as u128 {
            return Err(self.err(
                idx,
                format!(
                    "B-spline curve claims {np} control points but has only {} parameters",
                    p.len()
                ),
            ));
        }
        let (np, nk, deg) = (np as usize, nk as usize, m as usize);
        let rational = n(3).unwrap_or(0.0) == 0.0;
        let num = |i: usize| n(i).ok_or(());
        let get = |from: usize, cnt: usize| -> Result<Vec<f64>, ()> {
            (from..from + cnt).map(num).collect()
        };
        let Ok(knots) = get(6, nk) else {
            self.warn_at(idx, "B-spline knot is not a number; skipped");
            return Ok(None);
        };
        if knots.windows(2).any(|w| matches!(w, [a, b] if b < a)) {
            self.warn_at(idx, "B-spline knots decrease; skipped");
            return Ok(None);
        }
        let Ok(weights) = get(6 + nk, np) else {
            self.warn_at(idx, "B-spline weight is not a number; skipped");
            return Ok(None);
        };
        if rational && weights.iter().any(|w| w.is_nan() || *w <= 0.0) {
            self.warn_at(idx, "B-spline weights must be positive; skipped");
            return Ok(None);
        }
        let Ok(coords) = get(6 + nk + np, 3 * np) else {
            self.warn_at(idx, "B-spline control point is not a number; skipped");
            return Ok(None);
        };
        let control = coords
            .chunks_exact(3)
            .map(|c| match c {
                [a, b, d] => x.point([*a, *b, *d]),
                _ => [0.0; 3],
            })
            .collect();
        let all_one = weights.iter().all(|w| (*w - 1.0).abs() < 1e-15);
        Ok(Some((
            BsplineCurve {
                degree: deg,
                knots,
                control,
                weights: (rational && !all_one).then_some(weights),
            },
            6 + nk + 4 * np,
        )))
    }

    fn conic(
        &mut self,
        idx: usize,
        x: &Transform,
        p: &[Param],
        pieces: &mut Vec<Piece>,
        bb: &mut BoundingBox,
    ) -> Res<bool> {
        let vals: Option<Vec<f64>> = (0..11)
            .map(|i| p.get(i).and_then(|v| v.num_or(0.0)))
            .collect();
        let Some([a, b, c, d, e, f, zt, x1, y1, x2, y2]) =
            vals.and_then(|v| <[f64; 11]>::try_from(v).ok())
        else {
            self.warn_at(idx, "conic parameters are not numbers");
            return Ok(true);
        };
        let s = x.point([x1, y1, zt]);
        let en = x.point([x2, y2, zt]);
        bb.add(s);
        bb.add(en);
        let det = 4.0 * a * c - b * b;
        if det > 0.0 {
            // Ellipse: centre, principal axes.
            let x0 = (b * e - 2.0 * c * d) / det;
            let y0 = (b * d - 2.0 * a * e) / det;
            let fc = f + (d * x0 + e * y0) / 2.0;
            let theta = 0.5 * b.atan2(a - c);
            let (sn, cs) = theta.sin_cos();
            let l1 = a * cs * cs + b * cs * sn + c * sn * sn;
            let l2 = a * sn * sn - b * cs * sn + c * cs * cs;
            let (r1, r2) = ((-fc / l1).sqrt(), (-fc / l2).sqrt());
            if r1.is_finite() && r2.is_finite() && r1 > 0.0 && r2 > 0.0 {
                let e1 = [cs, sn];
                let e2 = [-sn, cs];
                let param = |px: f64, py: f64| {
                    let (dx, dy) = (px - x0, py - y0);
                    ((dx * e2[0] + dy * e2[1]) / r2).atan2((dx * e1[0] + dy * e1[1]) / r1)
                };
                let t0 = param(x1, y1);
                let mut t1 = param(x2, y2);
                if t1 <= t0 + 1e-12 {
                    t1 += std::f64::consts::TAU;
                }
                let cw = x.point([x0, y0, zt]);
                let u = x.vector([r1 * e1[0], r1 * e1[1], 0.0]);
                let v = x.vector([r2 * e2[0], r2 * e2[1], 0.0]);
                geom::add_elliptic_arc(bb, cw, u, v, t0, t1);
                let pts = (0..=48)
                    .map(|i| {
                        let t = t0 + (t1 - t0) * i as f64 / 48.0;
                        let (sn, cs) = t.sin_cos();
                        add(cw, add(scale(u, cs), scale(v, sn)))
                    })
                    .collect();
                pieces.push(Piece {
                    curve: Curve::Polyline(pts),
                    start: s,
                    end: en,
                    range: (0.0, 1.0),
                });
                return Ok(true);
            }
        }
        // Parabola or hyperbola arc: bounded by sampling the branch between the end points
        // along the axis where the conic is a function.
        let mut pts = vec![s];
        let steps = 64;
        for i in 1..steps {
            let tt = i as f64 / steps as f64;
            let (px, py) = (x1 + (x2 - x1) * tt, y1 + (y2 - y1) * tt);
            // Move perpendicular to the chord until the conic is met (Newton on the implicit).
            let (nx, ny) = (-(y2 - y1), x2 - x1);
            let g = |s: f64| {
                let (qx, qy) = (px + nx * s, py + ny * s);
                a * qx * qx + b * qx * qy + c * qy * qy + d * qx + e * qy + f
            };
            let mut sv = 0.0;
            for _ in 0..30 {
                let h = 1e-7;
                let gv = g(sv);
                let dg = (g(sv + h) - g(sv - h)) / (2.0 * h);
                if dg.abs() < 1e-300 {
                    break;
                }
                sv -= gv / dg;
                if !sv.is_finite() {
                    break;
                }
            }
            if sv.is_finite() && g(sv).abs() < 1e-6 * (1.0 + f.abs()) {
                let q = x.point([px + nx * sv, py + ny * sv, zt]);
                bb.add(q);
                pts.push(q);
            }
        }
        pts.push(en);
        pieces.push(Piece {
            curve: Curve::Polyline(pts),
            start: s,
            end: en,
            range: (0.0, 1.0),
        });
        Ok(true)
    }

    /// Reads a surface entity: geometry, kind, and box.
    fn surface(
        &mut self,
        idx: usize,
        xf: &Transform,
        depth: u32,
    ) -> Res<(Surface, SurfaceKind, BoundingBox, BoxQuality)> {
        self.depth_check(idx, depth)?;
        self.count_visit()?;
        let Some(e) = self.entries.get(idx) else {
            return Ok((
                Surface::Unknown,
                SurfaceKind::Other,
                BoundingBox::EMPTY,
                BoxQuality::Unbounded,
            ));
        };
        let t = e.etype;
        let kind = surface_kind(t);
        let own = self.own_transform(idx)?;
        let x = xf.then_after(&own);
        let p = self.params(idx)?;
        let n = |i: usize| p.get(i).and_then(|v| v.num_or(0.0));
        let nz = |i: usize| n(i).unwrap_or(0.0);
        let mut bb = BoundingBox::EMPTY;
        match t {
            128 => match self.bspline_surface(idx, &p, &x)? {
                Some(s) => {
                    let g = (4 * s.nu.max(s.nv)).clamp(16, 96);
                    let cost = (g as u64 + 1).pow(2) * ((s.u_degree + s.v_degree) as u64 + 2);
                    if self.spend(cost) {
                        bb = geom::sample_surface_box(&s, g, g);
                    } else {
                        for q in &s.control {
                            bb.add(*q);
                        }
                    }
                    Ok((Surface::Bspline(s), kind, bb, BoxQuality::Conservative))
                }
                None => Ok((Surface::Unknown, kind, bb, BoxQuality::Unbounded)),
            },
            108 => {
                let nrm = [nz(0), nz(1), nz(2)];
                let dd = nz(3);
                let l2 = dot(nrm, nrm);
                if l2 <= 0.0 {
                    self.warn_at(idx, "plane with a zero normal");
                    return Ok((Surface::Unknown, kind, bb, BoxQuality::Unbounded));
                }
                let o = scale(nrm, dd / l2);
                Ok((
                    Surface::Plane(frame_from(x.point(o), x.vector(nrm), None)),
                    kind,
                    bb,
                    BoxQuality::Unbounded,
                ))
            }
            120 => {
                let (Some(li), Some(ci)) = (self.resolve(idx, nz(0)), self.resolve(idx, nz(1)))
                else {
                    return Ok((Surface::Unknown, kind, bb, BoxQuality::Unbounded));
                };
                let mut axis = Vec::new();
                let mut abox = BoundingBox::EMPTY;
                self.curve(li, &x, depth + 1, &mut axis, &mut abox)?;
                let mut prof = Vec::new();
                let mut pbox = BoundingBox::EMPTY;
                self.curve(ci, &x, depth + 1, &mut prof, &mut pbox)?;
                let Some((ao, ad)) = axis
                    .first()
                    .and_then(|a| unit(sub(a.end, a.start)).map(|d| (a.start, d)))
                else {
                    self.warn_at(idx, "surface of revolution without a usable axis line");
                    return Ok((Surface::Unknown, kind, pbox, BoxQuality::Conservative));
                };
                bb = revolve_box(&pbox, ao, ad);
                let profile = match prof.len() {
                    1 => prof.pop().map(|p| p.curve).unwrap_or(Curve::Unknown),
                    _ => Curve::Unknown,
                };
                Ok((
                    Surface::Revolution {
                        profile: Box::new(profile),
                        axis_origin: ao,
                        axis_dir: ad,
                    },
                    kind,
                    bb,
                    BoxQuality::Conservative,
                ))
            }
            122 => {
                let Some(di) = self.resolve(idx, nz(0)) else {
                    return Ok((Surface::Unknown, kind, bb, BoxQuality::Unbounded));
                };
                let mut prof = Vec::new();
                let mut pbox = BoundingBox::EMPTY;
                self.curve(di, &x, depth + 1, &mut prof, &mut pbox)?;
                let Some(start) = prof.first().map(|p| p.start) else {
                    return Ok((Surface::Unknown, kind, bb, BoxQuality::Unbounded));
                };
                let end = x.point([nz(1), nz(2), nz(3)]);
                let v = sub(end, start);
                bb = pbox;
                if let (Some(lo), Some(hi)) = (pbox.min(), pbox.max()) {
                    bb.add(add(lo, v));
                    bb.add(add(hi, v));
                }
                let profile = match prof.len() {
                    1 => prof.pop().map(|p| p.curve).unwrap_or(Curve::Unknown),
                    _ => Curve::Unknown,
                };
                let dir = unit(v).unwrap_or([0.0, 0.0, 1.0]);
                Ok((
                    Surface::Extrusion {
                        profile: Box::new(profile),
                        dir,
                    },
                    kind,
                    bb,
                    BoxQuality::Conservative,
                ))
            }
            190..=198 => {
                let loc = self.point_of(idx, nz(0), &x, false)?;
                let (axis_i, ref_i) = match t {
                    190 => (1, 2),
                    192 => (1, 3),
                    194 => (1, 4),
                    196 => (2, 3),
                    _ => (1, 4),
                };
                let axis = self.point_of(idx, nz(axis_i), &x, true)?;
                let refd = if e.form == 1 {
                    self.point_of(idx, nz(ref_i), &x, true)?
                } else {
                    None
                };
                let (Some(o), Some(zax)) = (loc, axis) else {
                    self.warn_at(idx, "analytic surface without location or axis");
                    return Ok((Surface::Unknown, kind, bb, BoxQuality::Unbounded));
                };
                let fr = frame_from(o, zax, refd);
                let sc = norm(x.vector([1.0, 0.0, 0.0]));
                let surf = match t {
                    190 => Surface::Plane(fr),
                    192 => Surface::Cylinder {
                        frame: fr,
                        radius: nz(2) * sc,
                    },
                    194 => Surface::Cone {
                        frame: fr,
                        radius: nz(2) * sc,
                        semi_angle: nz(3).to_radians(),
                    },
                    196 => {
                        let r = nz(1) * sc;
                        bb.add(sub(o, [r; 3]));
                        bb.add(add(o, [r; 3]));
                        Surface::Sphere {
                            frame: fr,
                            radius: r,
                        }
                    }
                    _ => {
                        let (maj, min) = (nz(2) * sc, nz(3) * sc);
                        // The tube's cross-section box, revolved about the axis.
                        let rim = add(o, scale(fr.x, maj + min));
                        let section = BoundingBox::from_corners(
                            add(rim, scale(fr.z, min)),
                            sub(rim, scale(fr.z, min)),
                        );
                        bb = revolve_box(&section, o, fr.z);
                        Surface::Torus {
                            frame: fr,
                            major: maj,
                            minor: min,
                        }
                    }
                };
                let q = if matches!(t, 196 | 198) {
                    BoxQuality::Conservative
                } else {
                    BoxQuality::Unbounded
                };
                Ok((surf, kind, bb, q))
            }
            140 => {
                let base = match self.resolve(idx, nz(4)) {
                    Some(bi) => self.surface(bi, &x, depth + 1)?,
                    None => (
                        Surface::Unknown,
                        SurfaceKind::Other,
                        bb,
                        BoxQuality::Unbounded,
                    ),
                };
                let dist = nz(3) * norm(x.vector([1.0, 0.0, 0.0]));
                let mut b2 = base.2;
                if let (Some(lo), Some(hi)) = (b2.min(), b2.max()) {
                    b2 = BoundingBox::from_corners(
                        sub(lo, [dist.abs(); 3]),
                        add(hi, [dist.abs(); 3]),
                    );
                }
                Ok((
                    Surface::Offset {
                        base: Box::new(base.0),
                        distance: dist,
                    },
                    kind,
                    b2,
                    base.3,
                ))
            }
            _ => {
                self.warn_at(
                    idx,
                    "surface type not modelled; bounded by its boundary only",
                );
                Ok((Surface::Unknown, kind, bb, BoxQuality::Unbounded))
            }
        }
    }

    /// A 116 point or 123 direction entity, transformed (directions as vectors).
    fn point_of(
        &mut self,
        from: usize,
        ptr: f64,
        x: &Transform,
        direction: bool,
    ) -> Res<Option<Vec3>> {
        let Some(i) = self.resolve(from, ptr) else {
            return Ok(None);
        };
        let own = self.own_transform(i)?;
        let xx = x.then_after(&own);
        let p = self.params(i)?;
        Ok(xyz(&p, 0).map(|q| if direction { xx.vector(q) } else { xx.point(q) }))
    }

    fn bspline_surface(
        &mut self,
        idx: usize,
        p: &[Param],
        x: &Transform,
    ) -> Res<Option<BsplineSurface>> {
        let n = |i: usize| p.get(i).and_then(|v| v.num_or(0.0));
        let vals: Option<Vec<f64>> = (0..4).map(n).collect();
        let Some([k1, k2, m1, m2]) = vals.and_then(|v| <[f64; 4]>::try_from(v).ok()) else {
            self.warn_at(idx, "B-spline surface header is not numeric; skipped");
            return Ok(None);
        };
        let okd = |k: f64, m: f64| {
            k >= 0.0
                && m >= 1.0
                && k.fract() == 0.0
                && m.fract() == 0.0
                && m <= 64.0
                && k + 1.0 >= m
        };
        if !okd(k1, m1) || !okd(k2, m2) {
            self.warn_at(
                idx,
                format!(
                    "B-spline surface with K1={k1} K2={k2} M1={m1} M2={m2} is inconsistent; skipped"
                ),
            );
            return Ok(None);
        }
        let (nu, nv) = (k1 as u128 + 1, k2 as u128 + 1);
        let np = nu * nv;
        self.limits
            .check(LimitKind::Vertices, np.min(u64::MAX as u128) as u64)?;
        let (nku, nkv) = (nu + m1 as u128 + 1, nv + m2 as u128 + 1);
        let need = 9 + nku + nkv + 4 * np + 4;
        if need > p.len() as u128 {
            return Err(self.err(
                idx,
                format!(
                    "B-spline surface claims {nu}×{nv} control points but has only {} parameters",
                    p.len()
                ),
            ));
        }
        let (nu, nv, np, nku, nkv) = (
            nu as usize,
            nv as usize,
            np as usize,
            nku as usize,
            nkv as usize,
        );
        let get =
            |from: usize, cnt: usize| -> Option<Vec<f64>> { (from..from + cnt).map(n).collect() };
        let (Some(uk), Some(vk), Some(w), Some(c)) = (
            get(9, nku),
            get(9 + nku, nkv),
            get(9 + nku + nkv, np),
            get(9 + nku + nkv + np, 3 * np),
        ) else {
            self.warn_at(idx, "B-spline surface data is not numeric; skipped");
            return Ok(None);
        };
        if uk
            .windows(2)
            .chain(vk.windows(2))
            .any(|w| matches!(w, [a, b] if b < a))
        {
            self.warn_at(idx, "B-spline surface knots decrease; skipped");
            return Ok(None);
        }
        let rational = n(5).unwrap_or(0.0) == 0.0;
        if rational && w.iter().any(|v| v.is_nan() || *v <= 0.0) {
            self.warn_at(idx, "B-spline surface weights must be positive; skipped");
            return Ok(None);
        }
        // IGES lists points with the first (u) index varying fastest; the model wants u outer.
        let mut control = vec![[0.0; 3]; np];
        let mut weights = vec![1.0; np];
        for j in 0..nv {
            for i in 0..nu {
                let src = j * nu + i;
                let dst = i * nv + j;
                if let (Some(slot), Some([a, b, d])) =
                    (control.get_mut(dst), c.get(3 * src..3 * src + 3))
                {
                    *slot = x.point([*a, *b, *d]);
                }
                if let (Some(slot), Some(wv)) = (weights.get_mut(dst), w.get(src)) {
                    *slot = *wv;
                }
            }
        }
        let all_one = weights.iter().all(|v| (*v - 1.0).abs() < 1e-15);
        Ok(Some(BsplineSurface {
            u_degree: m1 as usize,
            v_degree: m2 as usize,
            nu,
            nv,
            u_knots: uk,
            v_knots: vk,
            control,
            weights: (rational && !all_one).then_some(weights),
        }))
    }

    /// Turns curve pieces into a closed loop of new edges (IGES 142/141 boundaries carry no
    /// shared topology). Junction vertices are shared between consecutive pieces.
    fn loop_from_pieces(&mut self, pieces: Vec<Piece>) -> Option<Loop> {
        if pieces.is_empty() {
            return None;
        }
        let base = self.out.model.vertices.len() as u32;
        let k = pieces.len() as u32;
        for pc in &pieces {
            self.out.model.vertices.push(Vertex { point: pc.start });
        }
        let mut oriented = Vec::with_capacity(pieces.len());
        for (i, pc) in pieces.into_iter().enumerate() {
            let i = i as u32;
            let e = self.out.model.edges.len() as u32;
            self.out.model.edges.push(Edge {
                start: base + i,
                end: base + (i + 1) % k,
                curve: pc.curve,
                same_sense: true,
            });
            oriented.push(OrientedEdge {
                edge: e,
                forward: true,
            });
        }
        Some(Loop::Edges(oriented))
    }

    /// A face from a face-like entity (510, 144, 143 or a bare surface); deduplicated.
    fn face_entity(&mut self, idx: usize, xf: &Transform, depth: u32) -> Res<Option<u32>> {
        let key = (self.instance, idx);
        if let Some(f) = self.faces_done.get(&key) {
            return Ok(Some(*f));
        }
        self.depth_check(idx, depth)?;
        self.count_visit()?;
        let Some(e) = self.entries.get(idx) else {
            return Ok(None);
        };
        let t = e.etype;
        let own = self.own_transform(idx)?;
        let x = xf.then_after(&own);
        let mut bounds = Vec::new();
        let mut bound_box = BoundingBox::EMPTY;
        let mut bound_exact = true;
        let mut trimmed: Option<(BoundingBox, Vec<Vec<Vec<Vec3>>>)> = None;
        let (surface, kind, sbox, q) = match t {
            144 | 143 => {
                let p = self.params(idx)?;
                let nz = |i: usize| p.get(i).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
                let Some(si) = self.resolve(idx, nz(if t == 144 { 0 } else { 1 })) else {
                    self.warn_at(idx, "bounded/trimmed surface without a surface; skipped");
                    return Ok(None);
                };
                let s = self.surface(si, &x, depth + 1)?;
                // Boundary entities: (pointer, outer?)
                let mut bptrs: Vec<(f64, bool)> = Vec::new();
                if t == 144 {
                    if nz(1) != 0.0 {
                        bptrs.push((nz(3), true));
                    }
                    let n2 = nz(2);
                    if n2 >= 0.0 && n2.fract() == 0.0 && (n2 as usize) <= p.len() {
                        for j in 0..n2 as usize {
                            bptrs.push((nz(4 + j), false));
                        }
                    }
                } else {
                    let nb = nz(2);
                    if nb >= 0.0 && nb.fract() == 0.0 && (nb as usize) <= p.len() {
                        for j in 0..nb as usize {
                            bptrs.push((nz(3 + j), j == 0));
                        }
                    }
                }
                let boundary_idx: Vec<usize> = bptrs
                    .iter()
                    .filter_map(|(bp, _)| {
                        let a = bp.abs();
                        let i = ((a as u64).saturating_sub(1) / 2) as usize;
                        (a.fract() == 0.0 && a >= 1.0 && i < self.entries.len()).then_some(i)
                    })
                    .collect();
                if t == 144
                    && let Surface::Bspline(bs) = &s.0
                {
                    trimmed =
                        self.trimmed_bspline_box(bs, &boundary_idx, nz(1) == 0.0, depth + 1)?;
                }
                for (k, (bp, outer)) in bptrs.into_iter().enumerate() {
                    let Some(bi) = self.resolve(idx, bp) else {
                        continue;
                    };
                    let mut pieces = Vec::new();
                    let mut bbox_k = BoundingBox::EMPTY;
                    let exact = self.boundary(bi, &x, depth + 1, &mut pieces, &mut bbox_k)?;
                    // PREF (field 5 of a 142) = 1: the parameter-space curve is preferred; the
                    // model-space one may be unreliable, so use S∘B for the loop and the box.
                    let pref = match self.entries.get(bi).map(|e| e.etype) {
                        Some(142) => self.params(bi)?.get(4).and_then(Param::num).unwrap_or(0.0),
                        _ => 0.0,
                    };
                    let sob = trimmed
                        .as_ref()
                        .and_then(|(_, sb)| sb.get(k))
                        .filter(|pp| pp.iter().all(|p| p.len() >= 2) && !pp.is_empty());
                    match sob {
                        Some(pp) if pref == 1.0 => {
                            pieces = pp
                                .iter()
                                .filter_map(|pts| {
                                    Some(Piece {
                                        curve: Curve::Polyline(pts.clone()),
                                        start: *pts.first()?,
                                        end: *pts.last()?,
                                        range: (0.0, 1.0),
                                    })
                                })
                                .collect();
                        }
                        _ => {
                            bound_box.union(&bbox_k);
                            bound_exact &= exact;
                        }
                    }
                    if let Some(lp) = self.loop_from_pieces(pieces) {
                        bounds.push(FaceBound {
                            boundary: lp,
                            outer,
                            orientation: true,
                        });
                    }
                }
                s
            }
            510 => return self.face510(idx, &x, depth),
            _ => self.surface(idx, xf, depth)?,
        };
        let fbox = match (trimmed.map(|t| t.0), q) {
            (Some(mut tb), _) => {
                // Grid points inside the trim plus the exact model-space boundary.
                tb.union(&bound_box);
                if !bound_exact {
                    self.out.conservative = true;
                }
                tb
            }
            (None, BoxQuality::Unbounded) => {
                if !bound_exact {
                    self.out.conservative = true;
                }
                bound_box
            }
            (None, BoxQuality::Conservative) => {
                self.out.conservative = true;
                let mut b = sbox;
                if b.is_empty() {
                    b = bound_box;
                }
                b
            }
        };
        if fbox.is_empty() {
            self.warn_at(idx, "face has no bounded geometry; left out of the box");
        }
        self.out.face_box.union(&fbox);
        let fi = self.out.model.faces.len() as u32;
        self.out.model.faces.push(Face {
            surface,
            kind,
            same_sense: true,
            bounds,
            triangles: None,
        });
        self.faces_done.insert(key, fi);
        Ok(Some(fi))
    }

    /// The box of a B-spline surface trimmed by 142 boundaries, from a grid of surface points
    /// whose parameters lie inside the boundaries' parameter-space curves, plus the boundaries
    /// themselves evaluated on the surface (S∘B). Also returns, per boundary, those S∘B points
    /// (the boundary in model space, used when the file prefers it). `None` when a boundary has
    /// no parameter-space curve.
    #[allow(clippy::type_complexity)]
    fn trimmed_bspline_box(
        &mut self,
        s: &BsplineSurface,
        boundaries: &[usize],
        natural_outer: bool,
        depth: u32,
    ) -> Res<Option<(BoundingBox, Vec<Vec<Vec<Vec3>>>)>> {
        let Some(((u0, u1), (v0, v1))) = geom::surface_domain(s) else {
            return Ok(None);
        };
        let mut loops: Vec<Vec<[f64; 2]>> = Vec::new();
        if natural_outer {
            loops.push(vec![[u0, v0], [u1, v0], [u1, v1], [u0, v1]]);
        }
        let mut bb = BoundingBox::EMPTY;
        let mut sb = Vec::new();
        for &bi in boundaries {
            if self.entries.get(bi).map(|e| e.etype) != Some(142) {
                return Ok(None);
            }
            let p = self.params(bi)?;
            let bptr = p.get(2).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
            let Some(ci) = self.resolve(bi, bptr) else {
                return Ok(None);
            };
            let mut pieces = Vec::new();
            let mut junk = BoundingBox::EMPTY;
            self.curve(ci, &Transform::IDENTITY, depth + 1, &mut pieces, &mut junk)?;
            let per_piece: Vec<Vec<Vec3>> = pieces.iter().map(piece_points).collect();
            let poly: Vec<[f64; 2]> = per_piece.iter().flatten().map(|q| [q[0], q[1]]).collect();
            if poly.len() < 3 || !self.spend(poly.len() as u64 * (s.nu as u64 + 1) * 4) {
                return Ok(None);
            }
            // S∘B, one point list per parameter-space piece.
            let pts: Vec<Vec<Vec3>> = per_piece
                .iter()
                .map(|pp| {
                    pp.iter()
                        .filter_map(|uv| geom::surface_point(s, uv[0], uv[1]))
                        .collect()
                })
                .collect();
            for q in pts.iter().flatten() {
                bb.add(*q);
            }
            sb.push(pts);
            loops.push(poly);
        }
        Ok(self.trim_box_from_uv(s, loops, bb).map(|b| (b, sb)))
    }

    /// The box of the part of `s` inside the parameter-space `loops` (even-odd), sampled on a
    /// grid, united with `bb`. `None` when the work budget is spent.
    fn trim_box_from_uv(
        &mut self,
        s: &BsplineSurface,
        loops: Vec<Vec<[f64; 2]>>,
        mut bb: BoundingBox,
    ) -> Option<BoundingBox> {
        let g = (4 * s.nu.max(s.nv)).clamp(32, 96);
        if !self.spend((g as u64 + 1).pow(2) * ((s.u_degree + s.v_degree) as u64 + 2)) {
            return None;
        }
        let mut row_v = f64::NAN;
        let mut xs: Vec<f64> = Vec::new();
        geom::sample_surface_grid(s, g, g, |u, v, q| {
            if v != row_v {
                row_v = v;
                xs = geom::row_crossings(&loops, v);
            }
            if xs.partition_point(|&x| x < u) % 2 == 1 {
                bb.add(q);
            }
        });
        Some(bb)
    }

    /// The model-space curve of a 142 curve on surface, or of a 141 boundary.
    fn boundary(
        &mut self,
        idx: usize,
        xf: &Transform,
        depth: u32,
        pieces: &mut Vec<Piece>,
        bb: &mut BoundingBox,
    ) -> Res<bool> {
        self.depth_check(idx, depth)?;
        let Some(e) = self.entries.get(idx) else {
            return Ok(true);
        };
        let t = e.etype;
        let own = self.own_transform(idx)?;
        let x = xf.then_after(&own);
        let p = self.params(idx)?;
        let nz = |i: usize| p.get(i).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
        match t {
            142 => match self.resolve(idx, nz(3)) {
                Some(ci) => self.curve(ci, &x, depth + 1, pieces, bb),
                None => {
                    self.warn_at(
                        idx,
                        "curve on surface without a model-space curve; boundary left out",
                    );
                    Ok(false)
                }
            },
            141 => {
                let mut exact = true;
                let mut i = 4usize;
                let count = nz(3);
                if !(count >= 0.0 && count.fract() == 0.0) {
                    return Ok(false);
                }
                for _ in 0..(count as usize).min(p.len()) {
                    let (cp, sense, k) = (nz(i), nz(i + 1), nz(i + 2));
                    if let Some(ci) = self.resolve(idx, cp) {
                        let mut ps = Vec::new();
                        exact &= self.curve(ci, &x, depth + 1, &mut ps, bb)?;
                        if sense == 2.0 {
                            ps.reverse();
                            for pc in &mut ps {
                                std::mem::swap(&mut pc.start, &mut pc.end);
                            }
                        }
                        pieces.extend(ps);
                    }
                    let k = if k >= 0.0 && k.fract() == 0.0 {
                        k as usize
                    } else {
                        0
                    };
                    i = i.saturating_add(3).saturating_add(k);
                    if i > p.len() {
                        break;
                    }
                }
                Ok(exact)
            }
            _ => {
                self.warn_at(idx, "trimming boundary is not a 142 or 141 entity");
                self.curve(idx, xf, depth + 1, pieces, bb)
            }
        }
    }

    fn vertex(&mut self, from: usize, list: f64, index: f64, x: &Transform) -> Res<Option<u32>> {
        let Some(li) = self.resolve(from, list) else {
            return Ok(None);
        };
        let key = (self.instance, li, index as i64);
        if let Some(v) = self.vertices_done.get(&key) {
            return Ok(Some(*v));
        }
        let p = self.params(li)?;
        let i = index as i64;
        let count = p.first().and_then(Param::num).unwrap_or(0.0);
        if i < 1 || (i as f64) > count || i as u64 > p.len() as u64 {
            self.warn_at(li, format!("vertex index {index} out of range"));
            return Ok(None);
        }
        let own = self.own_transform(li)?;
        let Some(q) = xyz(&p, 1 + 3 * (i as usize - 1)) else {
            self.warn_at(li, "vertex coordinates missing");
            return Ok(None);
        };
        let v = self.out.model.vertices.len() as u32;
        self.out.model.vertices.push(Vertex {
            point: x.then_after(&own).point(q),
        });
        self.vertices_done.insert(key, v);
        Ok(Some(v))
    }

    fn edge(
        &mut self,
        from: usize,
        list: f64,
        index: f64,
        x: &Transform,
        depth: u32,
    ) -> Res<Option<u32>> {
        let Some(li) = self.resolve(from, list) else {
            return Ok(None);
        };
        let key = (self.instance, li, index as i64);
        if let Some(e) = self.edges_done.get(&key) {
            return Ok(Some(*e));
        }
        let p = self.params(li)?;
        let i = index as i64;
        let count = p.first().and_then(Param::num).unwrap_or(0.0);
        if i < 1 || (i as f64) > count || i as u64 > p.len() as u64 {
            self.warn_at(li, format!("edge index {index} out of range"));
            return Ok(None);
        }
        let b = 1 + 5 * (i as usize - 1);
        let nz = |k: usize| p.get(b + k).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
        let (cv, svp, sv, tvp, tv) = (nz(0), nz(1), nz(2), nz(3), nz(4));
        let own = self.own_transform(li)?;
        let xx = x.then_after(&own);
        let (Some(s), Some(t)) = (
            self.vertex(li, svp, sv, &xx)?,
            self.vertex(li, tvp, tv, &xx)?,
        ) else {
            return Ok(None);
        };
        let mut pieces = Vec::new();
        let mut bb = BoundingBox::EMPTY;
        if let Some(ci) = self.resolve(li, cv) {
            self.curve(ci, &xx, depth + 1, &mut pieces, &mut bb)?;
        }
        let curve = if pieces.len() == 1 {
            pieces.pop().map(|p| p.curve).unwrap_or(Curve::Unknown)
        } else {
            Curve::Unknown
        };
        let e = self.out.model.edges.len() as u32;
        self.out.model.edges.push(Edge {
            start: s,
            end: t,
            curve,
            same_sense: true,
        });
        self.edges_done.insert(key, e);
        Ok(Some(e))
    }

    fn face510(&mut self, idx: usize, x: &Transform, depth: u32) -> Res<Option<u32>> {
        let p = self.params(idx)?;
        let nz = |i: usize| p.get(i).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
        let Some(si) = self.resolve(idx, nz(0)) else {
            self.warn_at(idx, "face without a surface; skipped");
            return Ok(None);
        };
        let (surface, kind, sbox, q) = self.surface(si, x, depth + 1)?;
        let nl = nz(1);
        let outer_flag = nz(2) != 0.0;
        let mut bounds = Vec::new();
        let mut vbox = BoundingBox::EMPTY;
        let mut uv_ok = true;
        let mut uv_loops: Vec<Vec<[f64; 2]>> = Vec::new();
        if nl >= 0.0 && nl.fract() == 0.0 {
            for j in 0..(nl as usize).min(p.len()) {
                let Some(li) = self.resolve(idx, nz(3 + j)) else {
                    continue;
                };
                let lp = self.params(li)?;
                let lz = |i: usize| lp.get(i).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
                let own = self.own_transform(li)?;
                let lx = x.then_after(&own);
                let ne = lz(0);
                let mut oriented = Vec::new();
                let mut single_vertex = None;
                let mut uv_poly: Vec<[f64; 2]> = Vec::new();
                let mut i = 1usize;
                if ne >= 0.0 && ne.fract() == 0.0 {
                    for _ in 0..(ne as usize).min(lp.len()) {
                        let (ty, ep, ndx, of, k) =
                            (lz(i), lz(i + 1), lz(i + 2), lz(i + 3), lz(i + 4));
                        if ty == 1.0 {
                            single_vertex = self.vertex(li, ep, ndx, &lx)?;
                        } else if let Some(e) = self.edge(li, ep, ndx, &lx, depth + 2)? {
                            oriented.push(OrientedEdge {
                                edge: e,
                                forward: of != 0.0,
                            });
                        }
                        let k = if k >= 0.0 && k.fract() == 0.0 {
                            k as usize
                        } else {
                            0
                        };
                        // The edge's first parameter-space curve, in loop order.
                        if ty != 1.0 && uv_ok {
                            match self.resolve(li, lz(i + 6)).filter(|_| k >= 1) {
                                Some(ci) => {
                                    let mut pieces = Vec::new();
                                    let mut junk = BoundingBox::EMPTY;
                                    self.curve(
                                        ci,
                                        &Transform::IDENTITY,
                                        depth + 2,
                                        &mut pieces,
                                        &mut junk,
                                    )?;
                                    let mut pts: Vec<[f64; 2]> = pieces
                                        .iter()
                                        .flat_map(piece_points)
                                        .map(|q| [q[0], q[1]])
                                        .collect();
                                    if of == 0.0 {
                                        pts.reverse();
                                    }
                                    uv_poly.extend(pts);
                                }
                                None => uv_ok = false,
                            }
                        }
                        i = i.saturating_add(5).saturating_add(k.saturating_mul(2));
                        if i > lp.len() {
                            break;
                        }
                    }
                }
                for oe in &oriented {
                    if let Some(ed) = self.out.model.edges.get(oe.edge as usize) {
                        for vi in [ed.start, ed.end] {
                            if let Some(v) = self.out.model.vertices.get(vi as usize) {
                                vbox.add(v.point);
                            }
                        }
                    }
                }
                if uv_poly.len() >= 3 {
                    uv_loops.push(uv_poly);
                }
                let boundary = match (oriented.is_empty(), single_vertex) {
                    (true, Some(v)) => Loop::Vertex(v),
                    (true, None) => continue,
                    _ => Loop::Edges(oriented),
                };
                bounds.push(FaceBound {
                    boundary,
                    outer: outer_flag && j == 0,
                    orientation: true,
                });
            }
        }
        let trimmed = match &surface {
            Surface::Bspline(bs) if uv_ok && !uv_loops.is_empty() => {
                // S∘B of the loops, then the grid inside them.
                let mut bb = vbox;
                for q in uv_loops.iter().flatten() {
                    if let Some(pt) = geom::surface_point(bs, q[0], q[1]) {
                        bb.add(pt);
                    }
                }
                self.trim_box_from_uv(bs, uv_loops, bb)
            }
            _ => None,
        };
        let fbox = if let Some(tb) = trimmed {
            tb
        } else if q == BoxQuality::Unbounded || sbox.is_empty() {
            self.out.conservative = true;
            vbox
        } else {
            self.out.conservative = true;
            sbox
        };
        self.out.face_box.union(&fbox);
        let fi = self.out.model.faces.len() as u32;
        self.out.model.faces.push(Face {
            surface,
            kind,
            same_sense: true,
            bounds,
            triangles: None,
        });
        self.faces_done.insert((self.instance, idx), fi);
        Ok(Some(fi))
    }

    fn shell(&mut self, idx: usize, xf: &Transform, depth: u32) -> Res<Option<u32>> {
        let key = (self.instance, idx);
        if let Some(s) = self.shells_done.get(&key) {
            return Ok(Some(*s));
        }
        self.depth_check(idx, depth)?;
        let own = self.own_transform(idx)?;
        let x = xf.then_after(&own);
        let p = self.params(idx)?;
        let nz = |i: usize| p.get(i).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
        let nf = nz(0);
        let mut faces = Vec::new();
        if nf >= 0.0 && nf.fract() == 0.0 {
            for j in 0..(nf as usize).min(p.len()) {
                if let Some(fi) = self.resolve(idx, nz(1 + 2 * j)) {
                    if self.entries.get(fi).map(|e| e.etype) != Some(510) {
                        self.warn_at(idx, "shell member is not a 510 face");
                        continue;
                    }
                    if let Some(f) = self.face_entity(fi, &x, depth + 1)? {
                        faces.push(f);
                    }
                }
            }
        }
        let closed = self.entries.get(idx).is_some_and(|e| e.form == 1);
        let s = self.out.model.shells.len() as u32;
        self.out.model.shells.push(Shell { faces, closed });
        self.shells_done.insert(key, s);
        Ok(Some(s))
    }

    fn solid(&mut self, idx: usize, xf: &Transform, depth: u32) -> Res<()> {
        if !self.solids_done.insert((self.instance, idx)) {
            return Ok(());
        }
        self.depth_check(idx, depth)?;
        let own = self.own_transform(idx)?;
        let x = xf.then_after(&own);
        let p = self.params(idx)?;
        let nz = |i: usize| p.get(i).and_then(|v| v.num_or(0.0)).unwrap_or(0.0);
        let mut shells = Vec::new();
        let mut ptrs = vec![nz(0)];
        let nv = nz(2);
        if nv >= 0.0 && nv.fract() == 0.0 {
            for j in 0..(nv as usize).min(p.len()) {
                ptrs.push(nz(3 + 2 * j));
            }
        }
        for sp in ptrs {
            if let Some(si) = self.resolve(idx, sp) {
                if self.entries.get(si).map(|e| e.etype) != Some(514) {
                    self.warn_at(idx, "solid shell is not a 514 shell");
                    continue;
                }
                if let Some(s) = self.shell(si, &x, depth + 1)? {
                    shells.push(s);
                }
            }
        }
        self.out.model.solids.push(Solid { shells });
        Ok(())
    }
}

/// Points along a curve piece (for parameter-space polygons).
fn piece_points(pc: &Piece) -> Vec<Vec3> {
    match &pc.curve {
        Curve::Polyline(p) => p.clone(),
        Curve::Bspline(c) => {
            let n = (c.control.len() * 4).clamp(8, 256);
            let mut v = Vec::with_capacity(n + 1);
            geom::sample_curve(c, pc.range.0, pc.range.1, n, |q| v.push(q));
            v
        }
        Curve::Circle { frame, radius } => {
            let (t0, t1) = pc.range;
            (0..=32)
                .map(|i| {
                    let (sn, cs) = (t0 + (t1 - t0) * i as f64 / 32.0).sin_cos();
                    add(
                        frame.origin,
                        add(scale(frame.x, radius * cs), scale(frame.y, radius * sn)),
                    )
                })
                .collect()
        }
        // Straight pieces are subdivided: on a surface their image is curved.
        _ => (0..=16)
            .map(|i| {
                let t = i as f64 / 16.0;
                add(scale(pc.start, 1.0 - t), scale(pc.end, t))
            })
            .collect(),
    }
}

fn xyz(p: &[Param], i: usize) -> Option<Vec3> {
    Some([
        p.get(i)?.num_or(0.0)?,
        p.get(i + 1).map_or(Some(0.0), |v| v.num_or(0.0))?,
        p.get(i + 2).map_or(Some(0.0), |v| v.num_or(0.0))?,
    ])
}

fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}
fn unit(a: Vec3) -> Option<Vec3> {
    let l = norm(a);
    (l > 1e-300 && l.is_finite()).then(|| scale(a, 1.0 / l))
}

/// A frame with origin `o`, z along `z`, x along `xref` projected (or any perpendicular).
fn frame_from(o: Vec3, z: Vec3, xref: Option<Vec3>) -> Frame {
    let z = unit(z).unwrap_or([0.0, 0.0, 1.0]);
    let pick = if z[0].abs() < 0.9 {
        [1.0, 0.0, 0.0]
    } else {
        [0.0, 1.0, 0.0]
    };
    let xr = xref.unwrap_or(pick);
    let x = unit(sub(xr, scale(z, dot(xr, z))))
        .or_else(|| unit(sub(pick, scale(z, dot(pick, z)))))
        .unwrap_or([1.0, 0.0, 0.0]);
    Frame {
        origin: o,
        x,
        y: cross(z, x),
        z,
    }
}

/// The box of everything obtained by revolving `b` (a box) about the axis through `o` along
/// the unit `d`: a cylinder segment whose radius is the largest distance of a corner of `b` to
/// the axis (distance to a line is convex, so the maximum over the box is at a corner).
fn revolve_box(b: &BoundingBox, o: Vec3, d: Vec3) -> BoundingBox {
    let (Some(lo), Some(hi)) = (b.min(), b.max()) else {
        return BoundingBox::EMPTY;
    };
    let mut rmax: f64 = 0.0;
    let (mut hmin, mut hmax) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in 0..8 {
        let q = [
            if c & 1 == 0 { lo[0] } else { hi[0] },
            if c & 2 == 0 { lo[1] } else { hi[1] },
            if c & 4 == 0 { lo[2] } else { hi[2] },
        ];
        let v = sub(q, o);
        let h = dot(v, d);
        let r = norm(sub(v, scale(d, h)));
        rmax = rmax.max(r);
        hmin = hmin.min(h);
        hmax = hmax.max(h);
    }
    let mut out = BoundingBox::EMPTY;
    for h in [hmin, hmax] {
        let c = add(o, scale(d, h));
        let e = [
            rmax * (1.0 - d[0] * d[0]).max(0.0).sqrt(),
            rmax * (1.0 - d[1] * d[1]).max(0.0).sqrt(),
            rmax * (1.0 - d[2] * d[2]).max(0.0).sqrt(),
        ];
        out.add(sub(c, e));
        out.add(add(c, e));
    }
    out
}
