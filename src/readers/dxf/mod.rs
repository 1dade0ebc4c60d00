//! DXF reader: ASCII and binary DXF, R10 through R2018, into a [`CadDocument`].
//!
//! # How it works
//!
//! 1. `tags::TagReader` streams group-code / value pairs straight from the input bytes (no
//!    copy, values parsed only when needed), ASCII with any line ending or binary (R12 1-byte
//!    codes, R13+ 2-byte codes).
//! 2. Tags are grouped into *records*: a `0` tag and everything up to the next `0` tag. A
//!    record is a section start (`SECTION`, with the whole HEADER inside it), a table entry, a
//!    `BLOCK`/`ENDBLK`, or an entity. Files without HEADER or TABLES, entities without
//!    handles and `999` comments are all fine.
//! 3. Modelspace entities (ENTITIES section, group 67 ≠ 1) are counted by type and layer the way
//!    ezdxf counts them: an INSERT is one entity, VERTEX / SEQEND / ATTRIB belong to their
//!    POLYLINE / INSERT and are not counted, paperspace and block contents are not modelspace.
//! 4. Each entity's geometry becomes extent primitives (points and exact elliptical arcs, see
//!    `entities`): modelspace ones go straight into the box, block ones are kept per block.
//! 5. At the end, INSERTs (and DIMENSION geometry blocks) are expanded through their
//!    transforms (see `blocks`), nested up to [`Limits::max_block_depth`], cycles skipped
//!    with a warning, and all expansion work bounded by [`Limits::max_expanded_entities`].
//!
//! # What the document holds
//!
//! * `entity_counts` / `layers`: modelspace entities by type and by layer (missing layer = `0`).
//! * `bbox`: the 3-D box of modelspace geometry in file units, INSERTs expanded.
//! * `mesh`: triangles of modelspace 3DFACEs, POLYFACE meshes (POLYLINE flag 64) and polygon
//!   meshes (flag 16); `None` when there are none.
//! * `metadata.header`: `$ACADVER`, `$INSUNITS`, `$MEASUREMENT`, `$DWGCODEPAGE` when present;
//!   `metadata.unit` and `to_mm` from `$INSUNITS`; `text_count` (modelspace TEXT + MTEXT with
//!   text), `dimension_count` (modelspace DIMENSIONs); `raw_counts` = every entity type in the
//!   file, blocks and paperspace included.
//! * Text: R2007+ (`AC1021` and later) is UTF-8; older files are decoded as Windows-1252
//!   (ezdxf's default code page). Invalid bytes never fail a read.

mod blocks;
mod entities;
mod geom;
mod mesh;
mod tags;

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::document::{BoundingBox, CadDocument, LengthUnit};
use crate::error::{Error, LimitKind, Result};
use crate::format::Format;
use crate::limits::Limits;

use blocks::Block;
use entities::{Ent, InsertRef};
use geom::{Prim, Sink, V3};
use tags::{Tag, TagReader, Value};

/// FNV-1a: a fast hash for the short layer and type names counted per entity.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// The parser name put in [`crate::Metadata::parser`].
pub const PARSER: &str = "cadfeat-dxf";

/// Most warnings kept in [`crate::Metadata::warnings`].
const MAX_WARNINGS: usize = 50;

/// Reads an ASCII or binary DXF file.
///
/// Errors: [`Error::Malformed`] with a line (ASCII) or byte offset (binary) for a non-numeric
/// group code or a file ending inside a tag; [`Error::LimitExceeded`] when the file holds more
/// than [`Limits::max_entities`] entities, more mesh triangles or vertices than allowed, or when
/// expanding block inserts visits more than [`Limits::max_expanded_entities`] entities.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    Reader::new(bytes, limits).run()
}

/// Where the entities of the current record go.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Target {
    Model,
    Block(usize),
    Skip,
}

/// A POLYLINE being assembled from its VERTEX records.
struct PolyBuilder {
    target: Target,
    flags: i64,
    elevation: f64,
    ocs: geom::Affine,
    m_count: i64,
    n_count: i64,
    /// (location, bulge, vertex flags, face indices 71–74)
    vertices: Vec<(V3, f64, i64, [i64; 4])>,
}

struct Reader<'a, 'l> {
    rd: TagReader<'a>,
    limits: &'l Limits,
    doc: CadDocument,
    bbox: BoundingBox,
    layers: FastMap<&'a [u8], u64>,
    counts: FastMap<&'a [u8], u64>,
    raw: FastMap<&'a [u8], u64>,
    blocks: Vec<Block>,
    block_index: HashMap<Vec<u8>, usize>,
    model_inserts: Vec<InsertRef>,
    poly: Option<PolyBuilder>,
    mesh: mesh::MeshBuilder,
    entity_total: u64,
    text_count: u64,
    dim_count: u64,
    scratch: Vec<([f64; 2], f64)>,
}

impl<'a, 'l> Reader<'a, 'l> {
    fn new(bytes: &'a [u8], limits: &'l Limits) -> Self {
        Reader {
            rd: TagReader::new(bytes),
            limits,
            doc: CadDocument::new(Format::Dxf),
            bbox: BoundingBox::EMPTY,
            layers: FastMap::default(),
            counts: FastMap::default(),
            raw: FastMap::default(),
            blocks: Vec::new(),
            block_index: HashMap::new(),
            model_inserts: Vec::new(),
            poly: None,
            mesh: mesh::MeshBuilder::default(),
            entity_total: 0,
            text_count: 0,
            dim_count: 0,
            scratch: Vec::new(),
        }
    }

    fn warn(&mut self, msg: String) {
        if self.doc.metadata.warnings.len() < MAX_WARNINGS {
            self.doc.metadata.warnings.push(msg);
        }
    }

    fn run(mut self) -> Result<CadDocument> {
        let mut buf: Vec<Tag<'a>> = Vec::new();
        let mut pending = self.rd.next_tag()?;
        let mut section: &'a [u8] = b"";
        // For files without SECTION records (bare entity lists), entities count as modelspace.
        let mut saw_section = false;
        let mut cur_block: Option<usize> = None;
        let mut last_insert_model = false;
        while let Some(t) = pending.take() {
            if t.code != 0 {
                // A stray tag outside any record: skip it.
                pending = self.rd.next_tag()?;
                continue;
            }
            let kind = t.value.bytes().trim_ascii();
            let kind_pos = t.pos;
            buf.clear();
            loop {
                match self.rd.next_tag()? {
                    Some(t2) if t2.code != 0 => buf.push(t2),
                    other => {
                        pending = other;
                        break;
                    }
                }
            }
            let e = Ent { tags: &buf };
            match kind {
                b"SECTION" => {
                    self.finish_poly()?;
                    saw_section = true;
                    section = e.s(2).unwrap_or(b"").trim_ascii();
                    if section.eq_ignore_ascii_case(b"HEADER") {
                        self.header(&buf);
                    }
                    cur_block = None;
                    continue;
                }
                b"ENDSEC" => {
                    self.finish_poly()?;
                    section = b"";
                    cur_block = None;
                    continue;
                }
                b"EOF" => {
                    self.finish_poly()?;
                    break;
                }
                _ => {}
            }
            let in_blocks = section.eq_ignore_ascii_case(b"BLOCKS");
            let in_entities = section.eq_ignore_ascii_case(b"ENTITIES") || !saw_section;
            if in_blocks {
                if kind == b"BLOCK" {
                    self.finish_poly()?;
                    let name = e.s(2).or_else(|| e.s(3)).unwrap_or(b"").trim_ascii();
                    let idx = self.blocks.len();
                    self.blocks.push(Block::new(e.pt(10)));
                    self.block_index.insert(name.to_ascii_uppercase(), idx);
                    cur_block = Some(idx);
                    continue;
                }
                if kind == b"ENDBLK" {
                    self.finish_poly()?;
                    cur_block = None;
                    continue;
                }
            }
            if !(in_blocks || in_entities) {
                continue;
            }
            // An entity.
            self.entity_total += 1;
            if self.entity_total > self.limits.max_entities {
                return Err(Error::LimitExceeded {
                    limit: LimitKind::Entities,
                    actual: self.entity_total,
                    max: self.limits.max_entities,
                });
            }
            let target = if in_blocks {
                cur_block.map_or(Target::Skip, Target::Block)
            } else if e.i(67).unwrap_or(0) == 1 {
                Target::Skip
            } else {
                Target::Model
            };
            let counted =
                target == Target::Model && !matches!(kind, b"VERTEX" | b"SEQEND" | b"ATTRIB");
            if !counted {
                // Modelspace counts are added to the raw counts at the end.
                *self.raw.entry(kind).or_insert(0) += 1;
            }
            match kind {
                b"VERTEX" => {
                    self.vertex(&e);
                    continue;
                }
                b"SEQEND" => {
                    self.finish_poly()?;
                    continue;
                }
                b"ATTRIB" => {
                    // Belongs to the preceding INSERT: its text is part of the insert's extent.
                    if last_insert_model || target != Target::Model {
                        self.geometry(kind, &e, target, kind_pos)?;
                    }
                    continue;
                }
                _ => {}
            }
            self.finish_poly()?;
            last_insert_model = kind == b"INSERT" && target == Target::Model;
            if target == Target::Model {
                let layer = e.s(8).map_or(&b"0"[..], |l| l.trim_ascii_end());
                *self.layers.entry(layer).or_insert(0) += 1;
                *self.counts.entry(kind).or_insert(0) += 1;
            }
            if kind == b"POLYLINE" {
                let ocs = e.ocs();
                self.poly = Some(PolyBuilder {
                    target,
                    flags: e.i(70).unwrap_or(0),
                    elevation: e.pt(10)[2],
                    ocs,
                    m_count: e.i(71).unwrap_or(0),
                    n_count: e.i(72).unwrap_or(0),
                    vertices: Vec::new(),
                });
                continue;
            }
            self.geometry(kind, &e, target, kind_pos)?;
        }
        self.finish_poly()?;
        self.finish()
    }

    /// Sends an entity's geometry to its target.
    fn geometry(&mut self, kind: &[u8], e: &Ent, target: Target, _pos: u64) -> Result<()> {
        if target == Target::Skip {
            return Ok(());
        }
        let model = target == Target::Model;
        if model {
            match kind {
                b"TEXT" | b"MTEXT"
                    if e.s(1).is_some_and(|t| !t.trim_ascii().is_empty()) || e.has(3) =>
                {
                    self.text_count += 1;
                }
                b"DIMENSION" => self.dim_count += 1,
                _ => {}
            }
        }
        // Block references are resolved at the end.
        let reference = match kind {
            b"INSERT" => e.s(2).map(|b| entities::insert(e, b.trim_ascii())),
            b"DIMENSION" | b"ARC_DIMENSION" | b"LARGE_RADIAL_DIMENSION" => {
                e.s(2).map(|b| entities::dimension(e, b.trim_ascii()))
            }
            _ => None,
        };
        if let Some(r) = reference {
            match target {
                Target::Model => self.model_inserts.push(r),
                Target::Block(i) => {
                    if let Some(b) = self.blocks.get_mut(i) {
                        b.inserts.push(r);
                    }
                }
                Target::Skip => {}
            }
            return Ok(());
        }
        if model && kind == b"3DFACE" {
            let c = entities::quad_corners(e);
            self.mesh.quad(c, self.limits)?;
        }
        let mut block_sink = Vec::new();
        let sink: &mut dyn Sink = match target {
            Target::Model => &mut self.bbox,
            _ => &mut block_sink,
        };
        match kind {
            b"LINE" => entities::line(e, sink),
            b"POINT" => entities::point(e, sink),
            b"3DFACE" => entities::quad(e, sink, false),
            b"SOLID" | b"TRACE" => entities::quad(e, sink, true),
            b"CIRCLE" => entities::circle(e, sink, false),
            b"ARC" => entities::circle(e, sink, true),
            b"ELLIPSE" => entities::ellipse(e, sink),
            b"LWPOLYLINE" => entities::lwpolyline(e, sink, &mut self.scratch),
            b"SPLINE" => entities::spline(e, sink),
            b"TEXT" | b"ATTRIB" => entities::text(e, sink, false),
            b"MTEXT" => entities::text(e, sink, true),
            b"HATCH" | b"MPOLYGON" => entities::hatch(e, sink),
            b"LEADER" => entities::leader(e, sink),
            b"MESH" => mesh_entity(&mut self.mesh, self.limits, e, sink, model)?,
            _ => {}
        }
        if let Target::Block(i) = target
            && let Some(b) = self.blocks.get_mut(i)
        {
            b.entities += 1;
            b.prims.extend(block_sink);
        }
        Ok(())
    }
}

/// MESH (AcDbSubDMesh): vertices 10 after count 92, faces after count 93 as `n, i1..in`
/// lists. Level-0 geometry only.
fn mesh_entity(
    mesh: &mut mesh::MeshBuilder,
    limits: &Limits,
    e: &Ent,
    sink: &mut dyn Sink,
    model: bool,
) -> Result<()> {
    let tags = e.tags;
    let mut verts: Vec<V3> = Vec::new();
    let mut i = match tags.iter().position(|t| t.code == 92) {
        Some(p) => p + 1,
        None => return Ok(()),
    };
    while let Some(t) = tags.get(i) {
        match t.code {
            10 => verts.push([t.value.f64().unwrap_or(0.0), 0.0, 0.0]),
            20 => {
                if let Some(v) = verts.last_mut() {
                    v[1] = t.value.f64().unwrap_or(0.0);
                }
            }
            30 => {
                if let Some(v) = verts.last_mut() {
                    v[2] = t.value.f64().unwrap_or(0.0);
                }
            }
            _ => break,
        }
        i += 1;
    }
    for v in &verts {
        sink.point(*v);
    }
    if !model {
        return Ok(());
    }
    // Faces: 93 total size, then 90 entries: n, idx × n.
    if let Some(p) = tags[i..].iter().position(|t| t.code == 93) {
        let mut list = tags[i + p + 1..]
            .iter()
            .take_while(|t| t.code == 90)
            .map(|t| t.value.i64().unwrap_or(-1));
        let mut face: Vec<V3> = Vec::new();
        while let Some(n) = list.next() {
            face.clear();
            if n <= 0 {
                break;
            }
            for _ in 0..n {
                let Some(ix) = list.next() else { break };
                if let Some(v) = usize::try_from(ix).ok().and_then(|x| verts.get(x)) {
                    face.push(*v);
                }
            }
            mesh.polygon(&face, limits)?;
        }
    }
    Ok(())
}

impl<'a> Reader<'a, '_> {
    fn vertex(&mut self, e: &Ent) {
        if let Some(p) = self.poly.as_mut() {
            if p.vertices.len() as u64 >= self.limits.max_vertices {
                return;
            }
            let idx = [
                e.i(71).unwrap_or(0),
                e.i(72).unwrap_or(0),
                e.i(73).unwrap_or(0),
                e.i(74).unwrap_or(0),
            ];
            p.vertices
                .push((e.pt(10), e.fd(42, 0.0), e.i(70).unwrap_or(0), idx));
        }
    }

    /// Completes the pending POLYLINE (at SEQEND or at the next non-VERTEX record).
    fn finish_poly(&mut self) -> Result<()> {
        let Some(p) = self.poly.take() else {
            return Ok(());
        };
        if p.target == Target::Skip {
            return Ok(());
        }
        let model = p.target == Target::Model;
        let mut block_sink: Vec<Prim> = Vec::new();
        {
            let mut bb = BoundingBox::EMPTY;
            let sink: &mut dyn Sink = if model { &mut bb } else { &mut block_sink };
            if p.flags & 64 != 0 {
                // Polyface mesh: position vertices (flag 64|128), faces (flag 128) with
                // 1-based indices 71..74 (negative = invisible edge).
                let positions: Vec<V3> = p
                    .vertices
                    .iter()
                    .filter(|v| v.2 & 64 != 0)
                    .map(|v| v.0)
                    .collect();
                let mut face: Vec<V3> = Vec::with_capacity(4);
                for v in p
                    .vertices
                    .iter()
                    .filter(|v| v.2 & 128 != 0 && v.2 & 64 == 0)
                {
                    face.clear();
                    for &ix in &v.3 {
                        let ix = ix.unsigned_abs() as usize;
                        if ix == 0 {
                            continue;
                        }
                        if let Some(q) = positions.get(ix - 1) {
                            face.push(*q);
                        }
                    }
                    for q in &face {
                        sink.point(*q);
                    }
                    if model {
                        self.mesh.polygon(&face, self.limits)?;
                    }
                }
            } else if p.flags & 16 != 0 {
                // Polygon mesh: M × N grid of WCS vertices.
                for v in &p.vertices {
                    sink.point(v.0);
                }
                if model {
                    let pts: Vec<V3> = p.vertices.iter().map(|v| v.0).collect();
                    self.mesh.grid(
                        &pts,
                        p.m_count,
                        p.n_count,
                        p.flags & 1 != 0,
                        p.flags & 32 != 0,
                        self.limits,
                    )?;
                }
            } else if p.flags & 8 != 0 {
                // 3D polyline: WCS vertices (spline frame control points excluded).
                for v in p.vertices.iter().filter(|v| v.2 & 16 == 0) {
                    sink.point(v.0);
                }
            } else {
                // 2D polyline: OCS vertices with bulges at the polyline's elevation.
                self.scratch.clear();
                self.scratch.extend(
                    p.vertices
                        .iter()
                        .filter(|v| v.2 & 16 == 0)
                        .map(|v| ([v.0[0], v.0[1]], v.1)),
                );
                entities::polyline_2d(&self.scratch, p.flags & 1 != 0, p.elevation, &p.ocs, sink);
            }
            if model {
                self.bbox.union(&bb);
            }
        }
        if let Target::Block(i) = p.target
            && let Some(b) = self.blocks.get_mut(i)
        {
            b.entities += 1;
            b.prims.extend(block_sink);
        }
        Ok(())
    }

    /// Reads the header variables cadfeat reports.
    fn header(&mut self, tags: &[Tag<'a>]) {
        const WANTED: [&str; 4] = ["$ACADVER", "$INSUNITS", "$MEASUREMENT", "$DWGCODEPAGE"];
        let mut i = 0;
        while i < tags.len() {
            if tags[i].code == 9 {
                let name = String::from_utf8_lossy(tags[i].value.bytes().trim_ascii())
                    .to_ascii_uppercase();
                if let Some(w) = WANTED.iter().find(|w| **w == name)
                    && let Some(v) = tags.get(i + 1).filter(|t| t.code != 9)
                {
                    let text = match v.value {
                        Value::Text(b) => String::from_utf8_lossy(b.trim_ascii()).into_owned(),
                        Value::Real(f) => f.to_string(),
                        Value::Int(n) => n.to_string(),
                    };
                    self.doc.metadata.header.insert((*w).to_string(), text);
                }
            }
            i += 1;
        }
    }

    fn finish(mut self) -> Result<CadDocument> {
        // Expand block references.
        let mut budget = blocks::Budget::new(self.limits);
        let inserts = std::mem::take(&mut self.model_inserts);
        let mut warnings = Vec::new();
        for r in &inserts {
            blocks::expand(
                &self.blocks,
                &self.block_index,
                r,
                &geom::Affine::IDENTITY,
                0,
                &mut Vec::new(),
                &mut budget,
                &mut self.bbox,
                &mut warnings,
            )?;
        }
        for w in warnings {
            self.warn(w);
        }
        let utf8 = self
            .doc
            .metadata
            .header
            .get("$ACADVER")
            .is_some_and(|v| v.as_str() >= "AC1021");
        let decode = |b: &[u8]| -> String {
            if utf8 {
                String::from_utf8_lossy(b).into_owned()
            } else {
                decode_cp1252(b)
            }
        };
        let mut layers = BTreeMap::new();
        for (k, v) in &self.layers {
            *layers.entry(decode(k)).or_insert(0) += *v;
        }
        let mut counts = BTreeMap::new();
        for (k, v) in &self.counts {
            *counts.entry(decode(k).to_ascii_uppercase()).or_insert(0) += *v;
        }
        let mut raw = BTreeMap::new();
        for (k, v) in self.raw.iter().chain(self.counts.iter()) {
            *raw.entry(decode(k).to_ascii_uppercase()).or_insert(0) += *v;
        }
        let unit = self
            .doc
            .metadata
            .header
            .get("$INSUNITS")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| insunits(v as i64));
        let mut doc = self.doc;
        doc.entity_counts = counts;
        doc.layers = layers;
        doc.bbox = self.bbox;
        doc.metadata.parser = PARSER.to_string();
        doc.metadata.raw_counts = raw;
        doc.metadata.text_count = Some(self.text_count);
        doc.metadata.dimension_count = Some(self.dim_count);
        doc.metadata.unit = unit;
        doc.to_mm = unit.map_or(1.0, LengthUnit::to_mm);
        let m = self.mesh.finish();
        if !m.is_empty() {
            doc.mesh = Some(m);
        }
        Ok(doc)
    }
}

/// `$INSUNITS` code → unit.
fn insunits(code: i64) -> LengthUnit {
    match code {
        1 => LengthUnit::Inch,
        2 => LengthUnit::Foot,
        3 => LengthUnit::Other(1_609_344.0),
        4 => LengthUnit::Millimetre,
        5 => LengthUnit::Centimetre,
        6 => LengthUnit::Metre,
        7 => LengthUnit::Other(1e6),
        8 => LengthUnit::Other(2.54e-5),
        9 => LengthUnit::Other(0.0254),
        10 => LengthUnit::Other(914.4),
        11 => LengthUnit::Other(1e-7),
        12 => LengthUnit::Other(1e-6),
        13 => LengthUnit::Micrometre,
        14 => LengthUnit::Other(100.0),
        15 => LengthUnit::Other(1e4),
        16 => LengthUnit::Other(1e5),
        17 => LengthUnit::Other(1e12),
        18 => LengthUnit::Other(1.495_978_707e14),
        19 => LengthUnit::Other(9.460_730_472_580_8e18),
        20 => LengthUnit::Other(3.085_677_581_491_367e19),
        21 => LengthUnit::Other(1200.0 / 3937.0 * 1000.0),
        22 => LengthUnit::Other(100.0 / 3937.0 * 1000.0),
        23 => LengthUnit::Other(3600.0 / 3937.0 * 1000.0),
        24 => LengthUnit::Other(6_336_000.0 / 3937.0 * 1000.0),
        _ => LengthUnit::Unitless,
    }
}

/// Windows-1252 → String (0x80–0x9F through a table, other bytes as Latin-1).
fn decode_cp1252(b: &[u8]) -> String {
    const HI: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    b.iter()
        .map(|&c| match c {
            0x80..=0x9F => HI[usize::from(c - 0x80)],
            _ => char::from(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1252_degree_and_euro() {
        assert_eq!(decode_cp1252(b"90\xb0 \x80"), "90° €");
    }

    #[test]
    fn binary_round_trip_of_a_small_drawing() {
        let tags: &[(i32, &str)] = &[
            (0, "SECTION"),
            (2, "HEADER"),
            (9, "$ACADVER"),
            (1, "AC1015"),
            (9, "$INSUNITS"),
            (70, "4"),
            (0, "ENDSEC"),
            (0, "SECTION"),
            (2, "ENTITIES"),
            (0, "LINE"),
            (8, "A"),
            (10, "0"),
            (20, "0"),
            (30, "0"),
            (11, "3"),
            (21, "4"),
            (31, "5"),
            (0, "CIRCLE"),
            (8, "B"),
            (10, "10"),
            (20, "0"),
            (30, "0"),
            (40, "2"),
            (0, "ENDSEC"),
            (0, "EOF"),
        ];
        let bin = tags::write_binary(tags);
        let mut ascii = String::new();
        for (c, v) in tags {
            ascii.push_str(&format!("{c:>3}\r\n{v}\r\n"));
        }
        let a = read(ascii.as_bytes(), &Limits::default()).unwrap();
        let b = read(&bin, &Limits::default()).unwrap();
        assert_eq!(a.entity_counts, b.entity_counts);
        assert_eq!(a.layers, b.layers);
        assert_eq!(a.bbox, b.bbox);
        assert_eq!(
            b.metadata.header.get("$INSUNITS").map(String::as_str),
            Some("4")
        );
        assert_eq!(b.to_mm, 1.0);
        // LINE (0,0,0)-(3,4,5) and CIRCLE centre (10,0) radius 2.
        assert_eq!(b.bbox.min(), Some([0.0, -2.0, 0.0]));
        assert_eq!(b.bbox.max(), Some([12.0, 4.0, 5.0]));
    }
}
