//! PLY reader: the Stanford polygon file format (ASCII, binary little- and big-endian).
//!
//! # The format in one paragraph
//!
//! A PLY file is a text header that declares *elements* (named record types with a count) and
//! their *properties* (scalars of a declared type, or lists: a count of one integer type
//! followed by that many items of another), then `end_header` and the data: every element's
//! records in declaration order, as whitespace-separated text (`format ascii 1.0`) or packed
//! binary (`binary_little_endian` / `binary_big_endian`).
//!
//! ```text
//! ply
//! format binary_little_endian 1.0
//! comment made by hand
//! element vertex 8
//! property float x
//! property float y
//! property float z
//! element face 12
//! property list uchar int vertex_indices
//! end_header
//! ```
//!
//! # What is read
//!
//! * Header lines may end in CRLF; `comment` and `obj_info` lines are kept as header facts; a
//!   line that is none of the known keywords (some old Blender exports write a bare
//!   "Created by …" line) is ignored with a warning.
//! * Every element is read (or skipped) in order, whatever its name and properties, so the
//!   non-standard ones (a `point_list` of two lists, colours, texture coordinates) do not matter.
//! * `vertex` x/y/z of any numeric type become the positions: `float` values are parsed to
//!   `f32` and widened (in ASCII too: the file declares single precision), `double` to `f64`,
//!   integers exactly.
//! * `face` lists named `vertex_indices` or `vertex_index`, of any count and index type, are
//!   fan-split into triangles `(v0,v1,v2), (v0,v2,v3), …`; faces with fewer than three corners
//!   are skipped with a warning. A `tristrips` element (a list of indices where `-1` separates
//!   strips) gives triangles with alternating winding: `(a,b,c)`, `(c,b,d)`… expressed as
//!   `(s[k], s[k+1], s[k+2])` for even `k` and `(s[k+1], s[k], s[k+2])` for odd `k`.
//! * Indices must be below the header's vertex count; anything else is an error naming the
//!   element and the byte (binary) or line (ASCII).
//!
//! Element counts are checked against [`Limits`] (`max_vertices` for `vertex`, `max_entities`
//! for any element) and against the bytes that remain (every record needs at least one byte
//! per property) before anything is allocated; a list count is checked against the remaining
//! bytes before its items are read.
//!
//! Like the other mesh readers the document has one `FACET` per triangle, the box of all
//! vertex positions (NaN/infinite values kept in the mesh, ignored by the box), no unit.

use crate::document::{BoundingBox, CadDocument, LengthUnit, Mesh};
use crate::error::{Error, LimitKind, Location, Result};
use crate::format::Format;
use crate::limits::Limits;

use super::text::{Tokens, line_of, parse_f32, parse_f64, parse_i64, split_ws};

/// Most warnings kept in the metadata.
const MAX_WARNINGS: usize = 20;

/// A PLY scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Scalar {
    fn parse(name: &[u8]) -> Option<Scalar> {
        Some(match name {
            b"char" | b"int8" => Scalar::I8,
            b"uchar" | b"uint8" => Scalar::U8,
            b"short" | b"int16" => Scalar::I16,
            b"ushort" | b"uint16" => Scalar::U16,
            b"int" | b"int32" => Scalar::I32,
            b"uint" | b"uint32" => Scalar::U32,
            b"float" | b"float32" => Scalar::F32,
            b"double" | b"float64" => Scalar::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::F64 => 8,
        }
    }
}

/// A property: a scalar, or a list (count type, item type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar(Scalar),
    List(Scalar, Scalar),
}

#[derive(Debug, Clone)]
struct Property {
    name: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
struct Element {
    name: String,
    count: u64,
    props: Vec<Property>,
}

impl Element {
    /// The fewest bytes one binary record can take.
    fn min_binary_size(&self) -> u64 {
        self.props
            .iter()
            .map(|p| match p.kind {
                Kind::Scalar(s) => s.size() as u64,
                Kind::List(c, _) => c.size() as u64,
            })
            .sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Ascii,
    Le,
    Be,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Ascii => "ascii",
            Encoding::Le => "binary_little_endian",
            Encoding::Be => "binary_big_endian",
        }
    }
}

struct Header {
    encoding: Encoding,
    version: String,
    elements: Vec<Element>,
    comments: Vec<String>,
    obj_info: Vec<String>,
    warnings: Vec<String>,
    /// Offset of the first data byte.
    data_start: usize,
}

fn header_err(line: u64, msg: impl Into<String>) -> Error {
    Error::malformed(Format::Ply, Location::Line(line), msg)
}

fn parse_header(bytes: &[u8]) -> Result<Header> {
    let mut pos = 0usize;
    let mut line_no = 0u64;
    let mut encoding = None;
    let mut version = String::new();
    let mut elements: Vec<Element> = Vec::new();
    let mut comments = Vec::new();
    let mut obj_info = Vec::new();
    let mut warnings = Vec::new();
    loop {
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            return Err(header_err(
                line_no + 1,
                "the header has no 'end_header' line",
            ));
        };
        let line = &rest[..nl];
        pos += nl + 1;
        line_no += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut toks = split_ws(line);
        let kw = toks.next().unwrap_or(b"");
        if line_no == 1 {
            if kw != b"ply" {
                return Err(header_err(1, "the file does not start with 'ply'"));
            }
            continue;
        }
        match kw {
            b"format" => {
                encoding = Some(match toks.next().unwrap_or(b"") {
                    b"ascii" => Encoding::Ascii,
                    b"binary_little_endian" => Encoding::Le,
                    b"binary_big_endian" => Encoding::Be,
                    other => {
                        return Err(header_err(
                            line_no,
                            format!("unknown format {:?}", String::from_utf8_lossy(other)),
                        ));
                    }
                });
                version = String::from_utf8_lossy(toks.next().unwrap_or(b"")).into_owned();
            }
            b"comment" | b"obj_info" => {
                let text = String::from_utf8_lossy(line.get(kw.len()..).unwrap_or(&[]))
                    .trim()
                    .to_string();
                let list = if kw == b"comment" {
                    &mut comments
                } else {
                    &mut obj_info
                };
                if list.len() < 16 {
                    list.push(text);
                }
            }
            b"element" => {
                let name = String::from_utf8_lossy(toks.next().unwrap_or(b"")).into_owned();
                let count = toks
                    .next()
                    .and_then(|t| std::str::from_utf8(t).ok()?.parse::<u64>().ok())
                    .ok_or_else(|| {
                        header_err(line_no, format!("element {name:?} without a valid count"))
                    })?;
                elements.push(Element {
                    name,
                    count,
                    props: Vec::new(),
                });
            }
            b"property" => {
                let Some(el) = elements.last_mut() else {
                    return Err(header_err(line_no, "a property before any element"));
                };
                let t1 = toks.next().unwrap_or(b"");
                let kind = if t1 == b"list" {
                    let c = toks.next().unwrap_or(b"");
                    let i = toks.next().unwrap_or(b"");
                    match (Scalar::parse(c), Scalar::parse(i)) {
                        (Some(c), Some(i)) if !matches!(c, Scalar::F32 | Scalar::F64) => {
                            Kind::List(c, i)
                        }
                        _ => {
                            return Err(header_err(
                                line_no,
                                format!(
                                    "bad list property types {:?} {:?}",
                                    String::from_utf8_lossy(c),
                                    String::from_utf8_lossy(i)
                                ),
                            ));
                        }
                    }
                } else {
                    Kind::Scalar(Scalar::parse(t1).ok_or_else(|| {
                        header_err(
                            line_no,
                            format!("unknown property type {:?}", String::from_utf8_lossy(t1)),
                        )
                    })?)
                };
                let name = String::from_utf8_lossy(toks.next().unwrap_or(b"")).into_owned();
                if el.props.len() >= 1024 {
                    return Err(header_err(
                        line_no,
                        "more than 1024 properties in an element",
                    ));
                }
                el.props.push(Property { name, kind });
            }
            b"end_header" => break,
            b"" => {}
            other => {
                if warnings.len() < MAX_WARNINGS {
                    warnings.push(format!(
                        "header line {line_no}: unknown keyword {:?} ignored",
                        String::from_utf8_lossy(&other[..other.len().min(20)])
                    ));
                }
            }
        }
    }
    let encoding =
        encoding.ok_or_else(|| header_err(line_no, "the header has no 'format' line"))?;
    Ok(Header {
        encoding,
        version,
        elements,
        comments,
        obj_info,
        warnings,
        data_start: pos,
    })
}

/// The data section, read as text tokens or packed binary.
struct Data<'a> {
    bytes: &'a [u8],
    pos: usize,
    encoding: Encoding,
}

impl<'a> Data<'a> {
    fn remaining(&self) -> u64 {
        self.bytes.len().saturating_sub(self.pos) as u64
    }

    fn location(&self) -> Location {
        match self.encoding {
            Encoding::Ascii => Location::Line(line_of(self.bytes, self.pos)),
            _ => Location::Byte(self.pos as u64),
        }
    }

    fn err(&self, el: &Element, record: u64, msg: impl std::fmt::Display) -> Error {
        Error::malformed(
            Format::Ply,
            self.location(),
            format!("element {:?} record {record}: {msg}", el.name),
        )
    }

    /// Reads one scalar as `f64` (`float` values are rounded to `f32` first).
    #[inline]
    fn scalar(&mut self, ty: Scalar) -> std::result::Result<f64, &'static str> {
        match self.encoding {
            Encoding::Ascii => {
                let mut t = Tokens::new(self.bytes, self.pos);
                let tok = t.next_token().ok_or("the file ends inside the record")?;
                self.pos = t.pos();
                let v = match ty {
                    Scalar::F32 => parse_f32(tok).map(f64::from),
                    Scalar::F64 => parse_f64(tok),
                    _ => parse_i64(tok).map(|i| i as f64).or_else(|| parse_f64(tok)),
                };
                v.ok_or("a value is not a number")
            }
            enc => {
                let le = enc == Encoding::Le;
                let pos = self.pos;
                macro_rules! rd {
                    ($t:ty, $n:expr) => {{
                        let b: [u8; $n] = self
                            .bytes
                            .get(pos..pos + $n)
                            .and_then(|s| s.try_into().ok())
                            .ok_or("the file ends inside the record")?;
                        self.pos = pos + $n;
                        if le {
                            <$t>::from_le_bytes(b)
                        } else {
                            <$t>::from_be_bytes(b)
                        }
                    }};
                }
                Ok(match ty {
                    Scalar::I8 => f64::from(rd!(i8, 1)),
                    Scalar::U8 => f64::from(rd!(u8, 1)),
                    Scalar::I16 => f64::from(rd!(i16, 2)),
                    Scalar::U16 => f64::from(rd!(u16, 2)),
                    Scalar::I32 => f64::from(rd!(i32, 4)),
                    Scalar::U32 => f64::from(rd!(u32, 4)),
                    Scalar::F32 => f64::from(rd!(f32, 4)),
                    Scalar::F64 => rd!(f64, 8),
                })
            }
        }
    }
}

/// What an element's records are used for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Vertex { x: usize, y: usize, z: usize },
    Face(usize),
    Strips(usize),
    Skip,
}

/// Reads a PLY file.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let header = parse_header(bytes)?;
    let mut warnings = header.warnings.clone();
    let warn = |w: String, warnings: &mut Vec<String>| {
        if warnings.len() < MAX_WARNINGS {
            warnings.push(w);
        }
    };

    // Face indices are checked against the number of positions the first `vertex` element
    // will give: its count when it has x, y and z, else 0 (then any face is an error).
    let vertex_count = header
        .elements
        .iter()
        .find(|e| e.name == "vertex")
        .filter(|e| matches!(role_of(e, false, &mut Vec::new()), Role::Vertex { .. }))
        .map_or(0, |e| e.count);
    limits.check(LimitKind::Vertices, vertex_count)?;
    if vertex_count > u64::from(u32::MAX) {
        return Err(Error::LimitExceeded {
            limit: LimitKind::Vertices,
            actual: vertex_count,
            max: u64::from(u32::MAX),
        });
    }
    let mut data = Data {
        bytes,
        pos: header.data_start,
        encoding: header.encoding,
    };

    let mut positions: Vec<[f64; 3]> = Vec::new();
    let mut triangles: Vec<[u32; 3]> = Vec::new();
    let mut bbox = BoundingBox::EMPTY;
    let mut skipped_faces = 0u64;
    let mut list: Vec<f64> = Vec::new();
    let mut seen_vertex = false;

    for el in &header.elements {
        limits.check(LimitKind::Entities, el.count)?;
        let role = role_of(el, seen_vertex, &mut warnings);
        if matches!(role, Role::Vertex { .. }) {
            seen_vertex = true;
        }
        if el.props.is_empty() || el.count == 0 {
            continue;
        }
        // Every record takes at least one byte per property (text) or its fixed part (binary):
        // check the claimed count against what is left before allocating for it.
        let min_size = match header.encoding {
            Encoding::Ascii => el.props.len() as u64,
            _ => el.min_binary_size(),
        };
        let need = el.count.saturating_mul(min_size);
        if need > data.remaining() {
            return Err(Error::malformed(
                Format::Ply,
                data.location(),
                format!(
                    "element {:?} claims {} records, which need at least {need} bytes, but only {} bytes remain",
                    el.name,
                    el.count,
                    data.remaining()
                ),
            ));
        }
        // `count` is now bounded by the input size.
        let count = el.count as usize;
        match role {
            Role::Vertex { .. } => positions.reserve(count),
            Role::Face(_) => triangles.reserve(count.min(limits.max_triangles as usize)),
            _ => {}
        }
        let mut p = [0.0f64; 3];
        for rec in 0..el.count {
            for (pi, prop) in el.props.iter().enumerate() {
                match prop.kind {
                    Kind::Scalar(ty) => {
                        let v = data.scalar(ty).map_err(|m| data.err(el, rec, m))?;
                        if let Role::Vertex { x, y, z } = role {
                            if pi == x {
                                p[0] = v;
                            } else if pi == y {
                                p[1] = v;
                            } else if pi == z {
                                p[2] = v;
                            }
                        }
                    }
                    Kind::List(cty, ity) => {
                        let n = data.scalar(cty).map_err(|m| data.err(el, rec, m))?;
                        if !(n >= 0.0 && n.fract() == 0.0) {
                            return Err(data.err(el, rec, format!("list count {n} is invalid")));
                        }
                        let n = n as u64;
                        let item = match header.encoding {
                            Encoding::Ascii => 1,
                            _ => ity.size() as u64,
                        };
                        if n.saturating_mul(item) > data.remaining() {
                            return Err(data.err(
                                el,
                                rec,
                                format!(
                                    "list of {n} items needs {} bytes but only {} remain",
                                    n.saturating_mul(item),
                                    data.remaining()
                                ),
                            ));
                        }
                        let keep = matches!(role, Role::Face(i) | Role::Strips(i) if i == pi);
                        list.clear();
                        for _ in 0..n {
                            let v = data.scalar(ity).map_err(|m| data.err(el, rec, m))?;
                            if keep {
                                list.push(v);
                            }
                        }
                        if !keep {
                            continue;
                        }
                        if let Role::Strips(_) = role {
                            strips_to_triangles(&list, vertex_count, &mut triangles)
                                .map_err(|m| data.err(el, rec, m))?;
                        } else if list.len() < 3 {
                            skipped_faces += 1;
                            warn(
                                format!(
                                    "face {rec} with {} vertices skipped (needs 3)",
                                    list.len()
                                ),
                                &mut warnings,
                            );
                        } else {
                            let v0 =
                                index(list[0], vertex_count).map_err(|m| data.err(el, rec, m))?;
                            let mut prev =
                                index(list[1], vertex_count).map_err(|m| data.err(el, rec, m))?;
                            for &v in &list[2..] {
                                let cur =
                                    index(v, vertex_count).map_err(|m| data.err(el, rec, m))?;
                                triangles.push([v0, prev, cur]);
                                prev = cur;
                            }
                        }
                        limits.check(LimitKind::Triangles, triangles.len() as u64)?;
                    }
                }
            }
            if let Role::Vertex { .. } = role {
                bbox.add(p);
                positions.push(p);
            }
        }
    }

    let mut doc = CadDocument::new(Format::Ply);
    let n = triangles.len() as u64;
    doc.add_entities("FACET", None, n);
    doc.metadata.facets = Some(n);
    doc.metadata.parser = "cadfeat-ply".into();
    doc.metadata.unit = Some(LengthUnit::Unitless);
    let h = &mut doc.metadata.header;
    h.insert("format".into(), header.encoding.name().into());
    h.insert("version".into(), header.version.clone());
    h.insert(
        "elements".into(),
        header
            .elements
            .iter()
            .map(|e| format!("{}:{}", e.name, e.count))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if !header.comments.is_empty() {
        h.insert("comment".into(), header.comments.join("; "));
    }
    if !header.obj_info.is_empty() {
        h.insert("obj_info".into(), header.obj_info.join("; "));
    }
    if skipped_faces > 0 {
        h.insert("skipped_faces".into(), skipped_faces.to_string());
    }
    if data.pos < bytes.len() && header.encoding != Encoding::Ascii {
        warnings.push(format!(
            "{} bytes after the last element ignored",
            bytes.len() - data.pos
        ));
    }
    doc.metadata.warnings = warnings;
    doc.bbox = bbox;
    doc.to_mm = 1.0;
    doc.mesh = Some(Mesh {
        positions,
        triangles,
    });
    Ok(doc)
}

/// Decides how an element is used: the first `vertex` element gives positions, `face` lists
/// give polygons, `tristrips` lists give strips; everything else is read and dropped.
fn role_of(el: &Element, seen_vertex: bool, warnings: &mut Vec<String>) -> Role {
    let find_scalar = |n: &str| {
        el.props
            .iter()
            .position(|p| p.name == n && matches!(p.kind, Kind::Scalar(_)))
    };
    let find_list = || {
        el.props.iter().position(|p| {
            (p.name == "vertex_indices" || p.name == "vertex_index")
                && matches!(p.kind, Kind::List(..))
        })
    };
    match el.name.as_str() {
        "vertex" if !seen_vertex => match (find_scalar("x"), find_scalar("y"), find_scalar("z")) {
            (Some(x), Some(y), Some(z)) => Role::Vertex { x, y, z },
            _ => {
                if warnings.len() < MAX_WARNINGS {
                    warnings.push("vertex element without x, y and z: no positions".into());
                }
                Role::Skip
            }
        },
        "face" => find_list().map_or(Role::Skip, Role::Face),
        "tristrips" => find_list().map_or(Role::Skip, Role::Strips),
        _ => Role::Skip,
    }
}

/// A vertex index: a whole number below the vertex count.
fn index(v: f64, vertex_count: u64) -> std::result::Result<u32, String> {
    if v >= 0.0 && v.fract() == 0.0 && v < vertex_count as f64 {
        Ok(v as u32)
    } else {
        Err(format!(
            "vertex index {v} is out of range (the file has {vertex_count} vertices)"
        ))
    }
}

/// Splits a strip list at `-1` and appends its triangles with alternating winding.
fn strips_to_triangles(
    list: &[f64],
    vertex_count: u64,
    out: &mut Vec<[u32; 3]>,
) -> std::result::Result<(), String> {
    for strip in list.split(|&v| v == -1.0) {
        let idx: Vec<u32> = strip
            .iter()
            .map(|&v| index(v, vertex_count))
            .collect::<std::result::Result<_, _>>()?;
        for (k, w) in idx.windows(3).enumerate() {
            out.push(if k % 2 == 0 {
                [w[0], w[1], w[2]]
            } else {
                [w[1], w[0], w[2]]
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TETRA: [[f32; 3]; 4] = [
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
    ];
    const FACES: [[i32; 3]; 4] = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];

    fn header(format: &str, eol: &str) -> String {
        [
            "ply",
            &format!("format {format} 1.0"),
            "comment tetra by hand",
            "element vertex 4",
            "property float x",
            "property float y",
            "property float z",
            "property uchar red",
            "element face 4",
            "property list uchar int vertex_indices",
            "end_header",
            "",
        ]
        .join(eol)
    }

    fn binary(be: bool) -> Vec<u8> {
        let mut b = header(
            if be {
                "binary_big_endian"
            } else {
                "binary_little_endian"
            },
            "\r\n",
        )
        .into_bytes();
        for p in TETRA {
            for c in p {
                b.extend_from_slice(&if be { c.to_be_bytes() } else { c.to_le_bytes() });
            }
            b.push(200);
        }
        for f in FACES {
            b.push(3);
            for i in f {
                b.extend_from_slice(&if be { i.to_be_bytes() } else { i.to_le_bytes() });
            }
        }
        b
    }

    fn ascii() -> String {
        let mut s = header("ascii", "\n");
        for p in TETRA {
            s += &format!("{} {} {} 7\n", p[0], p[1], p[2]);
        }
        for f in FACES {
            s += &format!("3 {} {} {}\n", f[0], f[1], f[2]);
        }
        s
    }

    fn check_tetra(doc: &CadDocument) {
        assert_eq!(doc.triangle_count(), 4);
        assert_eq!(doc.entity_counts["FACET"], 4);
        assert_eq!(doc.bbox, BoundingBox::from_corners([0.0; 3], [1.0; 3]));
        let m = doc.mesh.as_ref().unwrap();
        assert_eq!(m.triangles[0], [0, 2, 1]);
        assert_eq!(m.positions[3], [0.0, 0.0, 1.0]);
    }

    #[test]
    fn tetra_three_encodings() {
        let l = Limits::default();
        check_tetra(&read(ascii().as_bytes(), &l).unwrap());
        check_tetra(&read(&binary(false), &l).unwrap());
        let be = read(&binary(true), &l).unwrap();
        check_tetra(&be);
        assert_eq!(be.metadata.header["format"], "binary_big_endian");
        assert_eq!(be.metadata.header["comment"], "tetra by hand");
    }

    #[test]
    fn float_is_rounded_to_f32_double_is_not() {
        let s = "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty double y\nproperty int z\nend_header\n0.1 0.1 -3\n";
        let doc = read(s.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            doc.mesh.unwrap().positions[0],
            [f64::from(0.1f32), 0.1, -3.0]
        );
    }

    #[test]
    fn quads_elements_in_any_order_and_strips() {
        let s = "ply\nformat ascii 1.0\nelement face 1\nproperty list ushort uint vertex_index\nelement vertex 5\nproperty double z\nproperty double y\nproperty double x\nelement tristrips 1\nproperty list int int vertex_indices\nend_header\n4 0 1 2 3\n0 0 0\n0 0 1\n0 1 1\n0 1 0\n5 5 5\n8 0 1 2 3 -1 2 3 4\n";
        let doc = read(s.as_bytes(), &Limits::default()).unwrap();
        let m = doc.mesh.unwrap();
        assert_eq!(
            m.triangles,
            vec![[0, 1, 2], [0, 2, 3], [0, 1, 2], [2, 1, 3], [2, 3, 4]]
        );
        assert_eq!(m.positions[1], [1.0, 0.0, 0.0]);
        assert_eq!(doc.bbox, BoundingBox::from_corners([0.0; 3], [5.0; 3]));
    }

    #[test]
    fn huge_element_count() {
        let s = "ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n\0\0\0\0";
        assert!(matches!(
            read(s.as_bytes(), &Limits::default()),
            Err(Error::LimitExceeded {
                limit: LimitKind::Vertices,
                ..
            })
        ));
        match read(s.as_bytes(), &Limits::unlimited()) {
            Err(Error::Malformed { message, .. }) => {
                assert!(message.contains("4000000000"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let s =
            "ply\nformat ascii 1.0\nelement point 99999999999\nproperty float x\nend_header\n1\n";
        assert!(matches!(
            read(s.as_bytes(), &Limits::default()),
            Err(Error::LimitExceeded { .. })
        ));
        assert!(matches!(
            read(s.as_bytes(), &Limits::unlimited()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn list_count_with_too_few_bytes() {
        let mut b = binary(false);
        // The last face: count 255 but only 12 bytes follow.
        let at = b.len() - 13;
        b[at] = 255;
        match read(&b, &Limits::default()) {
            Err(Error::Malformed {
                location, message, ..
            }) => {
                assert!(matches!(location, Location::Byte(_)));
                assert!(message.contains("255"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Truncated in the middle of a vertex.
        let b = binary(false);
        let cut = &b[..b.len() - 60];
        assert!(matches!(
            read(cut, &Limits::default()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn bad_indices_and_text() {
        let s = ascii().replace("3 1 2 3\n", "3 1 2 4\n");
        match read(s.as_bytes(), &Limits::default()) {
            Err(Error::Malformed {
                location, message, ..
            }) => {
                assert_eq!(location, Location::Line(19), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let s = ascii().replace("3 1 2 3\n", "3 1 -2 3\n");
        assert!(matches!(
            read(s.as_bytes(), &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        let s = ascii().replace("0 0 1 7", "0 zero 1 7");
        assert!(matches!(
            read(s.as_bytes(), &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            read(b"ply\nformat ascii 1.0\n", &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            read(b"\xff\xfeply", &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            read(b"ply\nformat utf9 1.0\nend_header\n", &Limits::default()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn faces_without_positions_are_an_error() {
        let s = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0\n1 1\n2 2\n3 0 1 2\n";
        match read(s.as_bytes(), &Limits::default()) {
            Err(Error::Malformed { message, .. }) => {
                assert!(message.contains("out of range"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nan_and_degenerate_faces() {
        let s = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 2\nproperty list uchar int vertex_indices\nend_header\nnan 0 0\n1 1 1\n2 2 2\n2 0 1\n3 0 1 2\n";
        let doc = read(s.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(doc.triangle_count(), 1);
        assert_eq!(doc.metadata.header["skipped_faces"], "1");
        assert_eq!(doc.bbox, BoundingBox::from_corners([1.0; 3], [2.0; 3]));
        assert!(doc.mesh.unwrap().positions[0][0].is_nan());
    }
}
