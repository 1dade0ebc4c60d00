//! OBJ reader: Wavefront object files (the polygon subset).
//!
//! # What is read
//!
//! OBJ is line based: a keyword, then its arguments; `#` starts a comment and a line ending in
//! `\` continues on the next one (Rhino writes long `f` lines that way).
//!
//! * `v x y z [w]`: a vertex position. Anything after `z` (`w`, or the `r g b` vertex colours
//!   some scanners append) is ignored. Coordinates are parsed from their decimal text straight
//!   to `f64`, correctly rounded.
//! * `f a b c …`: a polygon. Each corner is `v`, `v/vt`, `v//vn` or `v/vt/vn`; only `v` is used.
//!   Indices are 1-based, or negative (relative: `-1` is the last vertex defined so far).
//!   Polygons of any arity are fan-split into triangles `(v0,v1,v2), (v0,v2,v3), …`, in file
//!   order. A face with fewer than three corners is skipped with a warning. Index `0` or an
//!   index past the last vertex of the file is an error naming the line.
//! * `l` (polylines) and `p` (points) make no triangles; they are counted in
//!   `metadata.header` (`"lines"`, `"points"`), like `o` (`"objects"`) and `g` (`"groups"`).
//!   Groups are not layers: the document has none, as in the original service.
//! * `vt`, `vn`, `vp`, `s`, `usemtl`, `mtllib` and the free-form curve statements are accepted
//!   and ignored (an empty `usemtl` line too). Other keywords are ignored with a warning; a
//!   file in which no line is an OBJ statement is an error.
//!
//! Files that start with a UTF-16 byte-order mark (LE or BE) are decoded first; a UTF-8 BOM is
//! skipped. Otherwise the bytes are read as they are (non-UTF-8 bytes in comments and names
//! do not matter).
//!
//! Like every mesh reader the document has one `FACET` per triangle (the original service's
//! compat rule), the box of all vertex positions, no unit ([`LengthUnit::Unitless`]).

use std::borrow::Cow;

use crate::document::{BoundingBox, CadDocument, LengthUnit, Mesh};
use crate::error::{Error, LimitKind, Location, Result};
use crate::format::Format;
use crate::limits::Limits;

use super::text::{is_inline_space, parse_f64, parse_i64, split_ws};

/// Most warnings kept in the metadata.
const MAX_WARNINGS: usize = 20;

/// Reads an OBJ file.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let text = decode(bytes)?;
    Parser::new(limits).run(&text)
}

/// Decodes UTF-16 (with a BOM) to UTF-8 and strips a UTF-8 BOM.
fn decode(bytes: &[u8]) -> Result<Cow<'_, [u8]>> {
    let le = bytes.starts_with(&[0xFF, 0xFE]);
    let be = bytes.starts_with(&[0xFE, 0xFF]);
    if le || be {
        let body = bytes.get(2..).unwrap_or(&[]);
        if body.len() % 2 != 0 {
            return Err(Error::malformed(
                Format::Obj,
                Location::Byte(bytes.len() as u64),
                "UTF-16 file with an odd number of bytes",
            ));
        }
        let units = body.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        let mut out = String::with_capacity(body.len() / 2);
        for (i, ch) in char::decode_utf16(units).enumerate() {
            match ch {
                Ok(c) => out.push(c),
                Err(_) => {
                    return Err(Error::malformed(
                        Format::Obj,
                        Location::Byte(2 + 2 * i as u64),
                        "invalid UTF-16 (unpaired surrogate)",
                    ));
                }
            }
        }
        return Ok(Cow::Owned(out.into_bytes()));
    }
    Ok(Cow::Borrowed(
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes),
    ))
}

/// Counts of the statements that do not make triangles, reported in the header.
#[derive(Default)]
struct Counts {
    objects: u64,
    groups: u64,
    lines: u64,
    points: u64,
    materials: u64,
    texcoords: u64,
    normals: u64,
    unknown: u64,
    statements: u64,
    skipped_faces: u64,
}

struct Parser<'l> {
    limits: &'l Limits,
    positions: Vec<[f64; 3]>,
    triangles: Vec<[u32; 3]>,
    bbox: BoundingBox,
    counts: Counts,
    warnings: Vec<String>,
    /// Largest positive (absolute) index seen, 0-based, and its line: checked at the end,
    /// because a face may name a vertex defined later in the file.
    max_index: Option<(u32, u64)>,
    corners: Vec<u32>,
}

impl<'l> Parser<'l> {
    fn new(limits: &'l Limits) -> Self {
        Parser {
            limits,
            positions: Vec::new(),
            triangles: Vec::new(),
            bbox: BoundingBox::EMPTY,
            counts: Counts::default(),
            warnings: Vec::new(),
            max_index: None,
            corners: Vec::new(),
        }
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        }
    }

    fn run(mut self, text: &[u8]) -> Result<CadDocument> {
        let mut joined: Vec<u8> = Vec::new();
        let mut line_no: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            line_no += 1;
            let first_line = line_no;
            let (mut line, mut tail) = split_line(rest);
            // `\` at the end of a line continues the statement on the next line.
            if ends_with_backslash(line) {
                joined.clear();
                loop {
                    let trimmed = trim_end(line);
                    joined.extend_from_slice(trimmed.get(..trimmed.len() - 1).unwrap_or(&[]));
                    joined.push(b' ');
                    if tail.is_empty() {
                        break;
                    }
                    line_no += 1;
                    let (l, t) = split_line(tail);
                    tail = t;
                    line = l;
                    if !ends_with_backslash(line) {
                        joined.extend_from_slice(line);
                        break;
                    }
                }
                rest = tail;
                let stmt = std::mem::take(&mut joined);
                self.statement(&stmt, first_line)?;
                joined = stmt;
            } else {
                rest = tail;
                self.statement(line, first_line)?;
            }
        }
        self.finish(line_no)
    }

    fn statement(&mut self, line: &[u8], line_no: u64) -> Result<()> {
        let line = match memchr::memchr(b'#', line) {
            Some(i) => &line[..i],
            None => line,
        };
        let mut toks = split_ws(line);
        let Some(kw) = toks.next() else {
            return Ok(());
        };
        self.counts.statements += 1;
        match kw {
            b"v" => self.vertex(toks, line_no),
            b"f" | b"fo" => self.face(toks, line_no),
            b"vt" => {
                self.counts.texcoords += 1;
                Ok(())
            }
            b"vn" => {
                self.counts.normals += 1;
                Ok(())
            }
            b"o" => {
                self.counts.objects += 1;
                Ok(())
            }
            b"g" => {
                self.counts.groups += 1;
                Ok(())
            }
            b"l" => {
                self.counts.lines += 1;
                Ok(())
            }
            b"p" => {
                self.counts.points += 1;
                Ok(())
            }
            b"usemtl" => {
                self.counts.materials += 1;
                Ok(())
            }
            b"s" | b"mtllib" | b"vp" | b"mg" | b"lod" | b"bevel" | b"c_interp" | b"d_interp"
            | b"shadow_obj" | b"trace_obj" | b"maplib" | b"usemap" | b"cstype" | b"deg"
            | b"bmat" | b"step" | b"curv" | b"curv2" | b"surf" | b"parm" | b"trim" | b"hole"
            | b"scrv" | b"sp" | b"end" | b"con" | b"ctech" | b"stech" | b"call" | b"csh" => Ok(()),
            other => {
                self.counts.statements -= 1;
                self.counts.unknown += 1;
                let shown = String::from_utf8_lossy(&other[..other.len().min(20)]).into_owned();
                self.warn(format!(
                    "line {line_no}: unknown statement {shown:?} ignored"
                ));
                Ok(())
            }
        }
    }

    fn vertex<'a>(&mut self, mut toks: impl Iterator<Item = &'a [u8]>, line_no: u64) -> Result<()> {
        let mut p = [0.0f64; 3];
        for (i, c) in p.iter_mut().enumerate() {
            let tok = toks.next().ok_or_else(|| {
                Error::malformed(
                    Format::Obj,
                    Location::Line(line_no),
                    format!("vertex with {i} coordinates (needs x y z)"),
                )
            })?;
            *c = parse_f64(tok).ok_or_else(|| {
                Error::malformed(
                    Format::Obj,
                    Location::Line(line_no),
                    format!(
                        "vertex coordinate {:?} is not a number",
                        String::from_utf8_lossy(&tok[..tok.len().min(40)])
                    ),
                )
            })?;
        }
        let n = self.positions.len() as u64 + 1;
        self.limits.check(LimitKind::Vertices, n)?;
        if n > u64::from(u32::MAX) {
            return Err(Error::LimitExceeded {
                limit: LimitKind::Vertices,
                actual: n,
                max: u64::from(u32::MAX),
            });
        }
        self.bbox.add(p);
        self.positions.push(p);
        Ok(())
    }

    fn face<'a>(&mut self, toks: impl Iterator<Item = &'a [u8]>, line_no: u64) -> Result<()> {
        let bad = |msg: String| Error::malformed(Format::Obj, Location::Line(line_no), msg);
        self.corners.clear();
        let defined = self.positions.len() as i64;
        for tok in toks {
            let v = match memchr::memchr(b'/', tok) {
                Some(i) => &tok[..i],
                None => tok,
            };
            let n = parse_i64(v).ok_or_else(|| {
                bad(format!(
                    "face corner {:?} is not an index",
                    String::from_utf8_lossy(&tok[..tok.len().min(40)])
                ))
            })?;
            let idx = if n > 0 {
                let i = u32::try_from(n - 1)
                    .map_err(|_| bad(format!("vertex index {n} is out of range")))?;
                if self.max_index.is_none_or(|(m, _)| i > m) {
                    self.max_index = Some((i, line_no));
                }
                i
            } else if n < 0 {
                let i = defined + n;
                if i < 0 {
                    return Err(bad(format!(
                        "relative vertex index {n} points before the first vertex ({defined} defined so far)"
                    )));
                }
                i as u32
            } else {
                return Err(bad("vertex index 0 (OBJ indices start at 1)".into()));
            };
            self.corners.push(idx);
        }
        if self.corners.len() < 3 {
            self.counts.skipped_faces += 1;
            let k = self.corners.len();
            self.warn(format!(
                "line {line_no}: face with {k} vertices skipped (needs 3)"
            ));
            return Ok(());
        }
        let new = (self.corners.len() - 2) as u64;
        self.limits
            .check(LimitKind::Triangles, self.triangles.len() as u64 + new)?;
        let v0 = self.corners[0];
        for w in self.corners[1..].windows(2) {
            self.triangles.push([v0, w[0], w[1]]);
        }
        Ok(())
    }

    fn finish(self, lines: u64) -> Result<CadDocument> {
        if let Some((max, line)) = self.max_index
            && max as usize >= self.positions.len()
        {
            return Err(Error::malformed(
                Format::Obj,
                Location::Line(line),
                format!(
                    "vertex index {} is out of range: the file defines {} vertices",
                    u64::from(max) + 1,
                    self.positions.len()
                ),
            ));
        }
        if self.counts.statements == 0 && self.counts.unknown > 0 {
            return Err(Error::malformed(
                Format::Obj,
                Location::Line(1),
                format!(
                    "no OBJ statement in {lines} lines ({} unrecognised)",
                    self.counts.unknown
                ),
            ));
        }
        let mut doc = CadDocument::new(Format::Obj);
        let n = self.triangles.len() as u64;
        doc.add_entities("FACET", None, n);
        doc.metadata.facets = Some(n);
        doc.metadata.parser = "cadfeat-obj".into();
        doc.metadata.unit = Some(LengthUnit::Unitless);
        let c = &self.counts;
        for (key, v) in [
            ("objects", c.objects),
            ("groups", c.groups),
            ("lines", c.lines),
            ("points", c.points),
            ("materials", c.materials),
            ("texcoords", c.texcoords),
            ("normals", c.normals),
            ("unknown_statements", c.unknown),
            ("skipped_faces", c.skipped_faces),
        ] {
            if v > 0 {
                doc.metadata.header.insert(key.into(), v.to_string());
            }
        }
        doc.metadata
            .header
            .insert("vertices".into(), self.positions.len().to_string());
        doc.metadata.warnings = self.warnings;
        doc.bbox = self.bbox;
        doc.to_mm = 1.0;
        doc.mesh = Some(Mesh {
            positions: self.positions,
            triangles: self.triangles,
        });
        Ok(doc)
    }
}

/// Splits off the first line (without its LF) and the rest after the LF.
fn split_line(b: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'\n', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&c| !is_inline_space(c))
        .map_or(0, |i| i + 1);
    &line[..end]
}

fn ends_with_backslash(line: &[u8]) -> bool {
    trim_end(line).ends_with(b"\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_ok(s: &str) -> CadDocument {
        read(s.as_bytes(), &Limits::default()).unwrap()
    }

    const TETRA: &str =
        "# tetra\nv 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n";

    #[test]
    fn tetrahedron() {
        let doc = read_ok(TETRA);
        assert_eq!(doc.triangle_count(), 4);
        assert_eq!(doc.entity_counts["FACET"], 4);
        assert_eq!(doc.metadata.facets, Some(4));
        assert_eq!(doc.bbox, BoundingBox::from_corners([0.0; 3], [1.0; 3]));
        assert_eq!(doc.mesh.unwrap().triangles[0], [0, 2, 1]);
        assert!(doc.layers.is_empty());
    }

    #[test]
    fn negative_indices_and_slashes() {
        let s = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3/1 -2//5 -1/2/3\nv 5 5 5\nf -4 -3 -1\n";
        let m = read_ok(s).mesh.unwrap();
        assert_eq!(m.triangles, vec![[0, 1, 2], [0, 1, 3]]);
    }

    #[test]
    fn quad_and_ngon_fan_split() {
        let s = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv -1 0.5 0\nf 1 2 3 4\nf 1 2 3 4 5\n";
        let m = read_ok(s).mesh.unwrap();
        assert_eq!(
            m.triangles,
            vec![[0, 1, 2], [0, 2, 3], [0, 1, 2], [0, 2, 3], [0, 3, 4]]
        );
    }

    #[test]
    fn groups_lines_points_counted_not_layers() {
        let s = "mtllib a.mtl\no one\ng grp\nusemtl \ns off\nv 0 0 0 1.0\nv 1 0 0 0.5 0.5 0.5\nv 0 1 0\nl 1 2\np 3\nf 1 2 3\ng other\n";
        let doc = read_ok(s);
        assert_eq!(doc.metadata.header["objects"], "1");
        assert_eq!(doc.metadata.header["groups"], "2");
        assert_eq!(doc.metadata.header["lines"], "1");
        assert_eq!(doc.metadata.header["points"], "1");
        assert!(doc.layers.is_empty());
        assert_eq!(doc.triangle_count(), 1);
        assert_eq!(
            doc.bbox,
            BoundingBox::from_corners([0.0; 3], [1.0, 1.0, 0.0])
        );
    }

    #[test]
    fn line_continuation_crlf() {
        let s = "v 0 0 0\r\nv 1 0 0\r\nv 0 1 0\r\nv 1 1 0\r\nf 1 2 \\\r\n 4 3\r\nf 1 2 x\r\n";
        match read(s.as_bytes(), &Limits::default()) {
            Err(Error::Malformed { location, .. }) => assert_eq!(location, Location::Line(7)),
            other => panic!("{other:?}"),
        }
        let doc = read_ok(&s[..s.len() - 9]);
        assert_eq!(doc.mesh.unwrap().triangles, vec![[0, 1, 3], [0, 3, 2]]);
    }

    #[test]
    fn utf16_both_endians() {
        for be in [false, true] {
            let mut b: Vec<u8> = if be {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for u in TETRA.encode_utf16() {
                b.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            let doc = read(&b, &Limits::default()).unwrap();
            assert_eq!(doc.triangle_count(), 4);
        }
    }

    #[test]
    fn bad_indices() {
        for (s, line) in [
            ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", 4),
            ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", 4),
            ("v 0 0 0\nf 1 2 3\nv 1 0 0\nv 0 1 0\n\nf 1 2 9\n", 6),
            ("v 0 0 0\nv 1 0 0\nf -1 -2 -3\n", 3),
            ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99999999999\n", 4),
        ] {
            match read(s.as_bytes(), &Limits::default()) {
                Err(Error::Malformed { location, .. }) => {
                    assert_eq!(location, Location::Line(line), "{s}")
                }
                other => panic!("{s}: {other:?}"),
            }
        }
    }

    #[test]
    fn degenerate_faces_skipped_with_bounded_warnings() {
        let mut s = String::from("v 0 0 0\nv 1 0 0\nv 0 1 0\n");
        for _ in 0..100 {
            s += "f 1 2\n";
        }
        s += "f 1 2 3\n";
        let doc = read_ok(&s);
        assert_eq!(doc.triangle_count(), 1);
        assert_eq!(doc.metadata.header["skipped_faces"], "100");
        assert_eq!(doc.metadata.warnings.len(), MAX_WARNINGS);
    }

    #[test]
    fn garbage_and_bad_numbers() {
        let g: Vec<u8> = (0..2000u32).map(|i| (i * 97 % 256) as u8).collect();
        assert!(matches!(
            read(&g, &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            read(b"v 1 2\n", &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            read(b"v 1 2 \xff\n", &Limits::default()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn nan_kept_box_ignores() {
        let doc = read_ok("v nan 0 0\nv 1 1 1\nv 2 inf 2\nv 0 0 0\nf 1 2 3 4\n");
        assert_eq!(doc.bbox, BoundingBox::from_corners([0.0; 3], [1.0; 3]));
        let m = doc.mesh.unwrap();
        assert!(m.positions[0][0].is_nan());
        assert_eq!(m.triangles.len(), 2);
    }

    #[test]
    fn limits() {
        let l = Limits {
            max_triangles: 3,
            max_vertices: 4,
            ..Limits::default()
        };
        assert!(matches!(
            read(TETRA.as_bytes(), &l),
            Err(Error::LimitExceeded {
                limit: LimitKind::Triangles,
                ..
            })
        ));
        let l = Limits {
            max_vertices: 3,
            ..Limits::default()
        };
        assert!(matches!(
            read(TETRA.as_bytes(), &l),
            Err(Error::LimitExceeded {
                limit: LimitKind::Vertices,
                ..
            })
        ));
    }
}
