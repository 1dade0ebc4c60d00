//! STL reader: binary and ASCII stereolithography files.
//!
//! # The two encodings
//!
//! * **Binary**: an 80-byte free-text header, a little-endian `u32` triangle count `n`, then
//!   `n` records of 50 bytes (normal, three vertices as `f32` x/y/z, a 2-byte "attribute"
//!   that some exporters use for colour and that is ignored here). A binary file is exactly
//!   `84 + 50 n` bytes long.
//! * **ASCII**: `solid name`, then `facet normal … / outer loop / vertex x y z ×3 / endloop /
//!   endfacet` blocks, then `endsolid name`. Several `solid` blocks may follow one another;
//!   all are read, in file order. Keywords are matched case-insensitively, CRLF is fine.
//!
//! # Which one is it?
//!
//! Many binary exporters write `solid …` at the start of the 80-byte header, so the first
//! word decides nothing. The reader trusts the size: when `84 + 50 n` equals the file length
//! it is binary; otherwise, when the file starts with `solid` and parses as ASCII it is ASCII;
//! otherwise it is a binary file whose count disagrees with its size, and the error names both
//! numbers. A claimed count is only used for allocation after it has been checked against the
//! file size and [`Limits`], so a 200-byte file claiming 4 billion triangles costs nothing.
//!
//! # What the document holds
//!
//! STL is unindexed: the mesh gets three positions per triangle (`f32` widened to `f64` for
//! binary, decimal text parsed straight to `f64` for ASCII), triangle `i` being
//! `[3i, 3i+1, 3i+2]`. Welding happens later, in [`crate::geometry`]. The box covers every
//! finite vertex (NaN/infinite coordinates are kept in the mesh but ignored by the box). As
//! in the original service, every triangle counts as one `FACET` entity. STL stores no
//! unit, so the document is [`LengthUnit::Unitless`] with `to_mm = 1`. A facet with more than
//! three vertices (rare, non-standard) is fan-split; one with fewer than three is an error.

use crate::document::{BoundingBox, CadDocument, LengthUnit, Mesh};
use crate::error::{Error, LimitKind, Location, Result};
use crate::format::Format;
use crate::limits::Limits;

use super::text::{Tokens, is_space, line_of, parse_f64};

/// Size of the binary header plus the triangle count.
const BINARY_HEADER: usize = 84;
/// Size of one binary triangle record.
const BINARY_RECORD: usize = 50;
/// Most warnings kept in the metadata.
const MAX_WARNINGS: usize = 20;

/// Reads an STL file (binary or ASCII, decided from the bytes; see the module docs).
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let claimed = binary_count(bytes);
    if let Some(n) = claimed
        && (BINARY_HEADER as u64).checked_add(u64::from(n) * BINARY_RECORD as u64)
            == Some(bytes.len() as u64)
    {
        return read_binary(bytes, n, limits);
    }
    let start = bytes
        .iter()
        .position(|&b| !is_space(b))
        .ok_or(Error::Empty)?;
    let text = &bytes[start..];
    let is_solid = text.len() >= 5 && text[..5].eq_ignore_ascii_case(b"solid");
    if is_solid {
        match read_ascii(bytes, limits) {
            Ok(doc) => return Ok(doc),
            Err(e) => {
                // A file full of control bytes that starts with "solid" is a binary file with
                // a bad count rather than broken text: report the count.
                if claimed.is_none() || looks_like_text(bytes) {
                    return Err(e);
                }
            }
        }
    }
    match claimed {
        Some(n) => Err(Error::malformed(
            Format::Stl,
            Location::Byte(80),
            format!(
                "binary STL header claims {n} triangles, which needs {} bytes, but the file has {} bytes{}",
                BINARY_HEADER as u64 + u64::from(n) * BINARY_RECORD as u64,
                bytes.len(),
                if is_solid {
                    " (and it does not parse as ASCII STL either)"
                } else {
                    ""
                }
            ),
        )),
        None => Err(Error::malformed(
            Format::Stl,
            Location::Byte(bytes.len() as u64),
            format!(
                "{} bytes is shorter than a binary STL header (84 bytes) and the file is not ASCII STL",
                bytes.len()
            ),
        )),
    }
}

/// The little-endian count at byte 80 of a binary STL, `None` when the file is too short.
fn binary_count(bytes: &[u8]) -> Option<u32> {
    let c = bytes.get(80..84)?;
    Some(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// True when the first 4 KiB hold no control bytes other than whitespace.
fn looks_like_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .take(4096)
        .all(|&c| c == b'\n' || c == b'\r' || c == b'\t' || c >= 0x20)
}

/// Checks the triangle and vertex limits for `n` triangles stored as `3n` positions, and that
/// the indices fit in `u32`.
fn check_triangle_limits(n: u64, limits: &Limits) -> Result<()> {
    limits.check(LimitKind::Triangles, n)?;
    let verts = n.saturating_mul(3);
    limits.check(LimitKind::Vertices, verts)?;
    if verts > u64::from(u32::MAX) {
        return Err(Error::LimitExceeded {
            limit: LimitKind::Vertices,
            actual: verts,
            max: u64::from(u32::MAX),
        });
    }
    Ok(())
}

/// Builds the document around a finished mesh.
fn finish(mesh: Mesh, bbox: BoundingBox, mut doc: CadDocument) -> CadDocument {
    let n = mesh.triangles.len() as u64;
    doc.add_entities("FACET", None, n);
    doc.metadata.facets = Some(n);
    doc.metadata.parser = "cadfeat-stl".into();
    doc.metadata.unit = Some(LengthUnit::Unitless);
    doc.to_mm = 1.0;
    doc.bbox = bbox;
    doc.mesh = Some(mesh);
    doc
}

/// The printable part of a header or name, trimmed.
fn printable(b: &[u8]) -> String {
    let s: String = b
        .iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                ' '
            }
        })
        .collect();
    s.trim().to_string()
}

fn read_binary(bytes: &[u8], n: u32, limits: &Limits) -> Result<CadDocument> {
    let n64 = u64::from(n);
    check_triangle_limits(n64, limits)?;
    // The size was checked by the caller: `bytes.len() == 84 + 50 n`, so these allocations are
    // bounded by the input size.
    let n = n as usize;
    let data = bytes.get(BINARY_HEADER..).unwrap_or(&[]);
    let mut positions: Vec<[f64; 3]> = super::bigvec::with_capacity(n * 3);
    let mut triangles: Vec<[u32; 3]> = super::bigvec::with_capacity(n);
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    let mut coloured = 0u64;
    let mut next: u32 = 0;
    for rec in data.chunks_exact(BINARY_RECORD) {
        let Ok(rec): std::result::Result<&[u8; BINARY_RECORD], _> = rec.try_into() else {
            continue;
        };
        for k in 0..3 {
            let o = 12 + 12 * k;
            let x = f32::from_le_bytes([rec[o], rec[o + 1], rec[o + 2], rec[o + 3]]);
            let y = f32::from_le_bytes([rec[o + 4], rec[o + 5], rec[o + 6], rec[o + 7]]);
            let z = f32::from_le_bytes([rec[o + 8], rec[o + 9], rec[o + 10], rec[o + 11]]);
            positions.push([f64::from(x), f64::from(y), f64::from(z)]);
            if x.is_finite() && y.is_finite() && z.is_finite() {
                lo = [lo[0].min(x), lo[1].min(y), lo[2].min(z)];
                hi = [hi[0].max(x), hi[1].max(y), hi[2].max(z)];
            }
        }
        coloured += u64::from(rec[48] != 0 || rec[49] != 0);
        triangles.push([next, next + 1, next + 2]);
        next = next.wrapping_add(3);
    }
    let mut bbox = BoundingBox::EMPTY;
    if lo[0] <= hi[0] {
        bbox = BoundingBox::from_corners(lo.map(f64::from), hi.map(f64::from));
    }
    let mut doc = CadDocument::new(Format::Stl);
    doc.metadata
        .header
        .insert("encoding".into(), "binary".into());
    let header = printable(bytes.get(..80).unwrap_or(&[]));
    if !header.is_empty() {
        doc.metadata.header.insert("header".into(), header);
    }
    if coloured > 0 {
        doc.metadata
            .header
            .insert("attribute_nonzero".into(), coloured.to_string());
    }
    Ok(finish(
        Mesh {
            positions,
            triangles,
        },
        bbox,
        doc,
    ))
}

/// Reads ASCII STL; every `solid` block, one after another.
fn read_ascii(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    let err = |pos: usize, msg: String| {
        Error::malformed(Format::Stl, Location::Line(line_of(bytes, pos)), msg)
    };
    let mut t = Tokens::new(bytes, 0);
    // The smallest facet is about 80 bytes of text; guess ~ 250 and let the vector grow.
    let guess = (bytes.len() / 250).min(limits.max_triangles.min(1 << 24) as usize);
    let mut positions: Vec<[f64; 3]> = Vec::with_capacity(guess * 3);
    let mut triangles: Vec<[u32; 3]> = Vec::with_capacity(guess);
    let mut bbox = BoundingBox::EMPTY;
    let mut names: Vec<String> = Vec::new();
    let mut solids = 0u64;
    let mut warnings: Vec<String> = Vec::new();
    let mut poly: Vec<[f64; 3]> = Vec::with_capacity(3);
    while let Some(tok) = t.next_token() {
        if tok.eq_ignore_ascii_case(b"solid") {
            solids += 1;
            let line_start = t.pos();
            t.skip_line();
            if names.len() < 64 {
                let name = printable(bytes.get(line_start..t.pos()).unwrap_or(&[]));
                names.push(name);
            }
            continue;
        }
        if tok.eq_ignore_ascii_case(b"endsolid") {
            t.skip_line();
            continue;
        }
        if !tok.eq_ignore_ascii_case(b"facet") {
            return Err(err(
                t.pos(),
                format!(
                    "expected 'facet', 'solid' or 'endsolid', found {:?}",
                    String::from_utf8_lossy(&tok[..tok.len().min(40)])
                ),
            ));
        }
        // facet normal nx ny nz (the normal is not needed: it is recomputed from the vertices)
        match t.next_token() {
            Some(w) if w.eq_ignore_ascii_case(b"normal") => {
                for _ in 0..3 {
                    if t.next_token().is_none() {
                        return Err(err(t.pos(), "file ends inside a facet normal".into()));
                    }
                }
            }
            _ => return Err(err(t.pos(), "expected 'normal' after 'facet'".into())),
        }
        expect(&mut t, b"outer", bytes)?;
        expect(&mut t, b"loop", bytes)?;
        poly.clear();
        loop {
            let Some(w) = t.next_token() else {
                return Err(err(t.pos(), "file ends inside a facet".into()));
            };
            if w.eq_ignore_ascii_case(b"vertex") {
                let mut p = [0.0f64; 3];
                for c in &mut p {
                    let tok = t.next_token().unwrap_or(b"");
                    *c = parse_f64(tok).ok_or_else(|| {
                        err(
                            t.pos(),
                            format!(
                                "vertex coordinate {:?} is not a number",
                                String::from_utf8_lossy(&tok[..tok.len().min(40)])
                            ),
                        )
                    })?;
                }
                if poly.len() >= 4096 {
                    return Err(err(t.pos(), "a facet with more than 4096 vertices".into()));
                }
                poly.push(p);
            } else if w.eq_ignore_ascii_case(b"endloop") {
                break;
            } else {
                return Err(err(
                    t.pos(),
                    format!(
                        "expected 'vertex' or 'endloop', found {:?}",
                        String::from_utf8_lossy(&w[..w.len().min(40)])
                    ),
                ));
            }
        }
        expect(&mut t, b"endfacet", bytes)?;
        if poly.len() < 3 {
            return Err(err(
                t.pos(),
                format!("a facet with {} vertices (needs 3)", poly.len()),
            ));
        }
        if poly.len() > 3 && warnings.len() < MAX_WARNINGS {
            warnings.push(format!(
                "line {}: facet with {} vertices fan-split into triangles",
                line_of(bytes, t.pos()),
                poly.len()
            ));
        }
        let new_tris = (poly.len() - 2) as u64;
        check_triangle_limits(triangles.len() as u64 + new_tris, limits)?;
        let base = positions.len() as u32;
        for &p in &poly {
            bbox.add(p);
            positions.push(p);
        }
        for k in 1..poly.len() as u32 - 1 {
            triangles.push([base, base + k, base + k + 1]);
        }
    }
    if solids == 0 {
        return Err(Error::malformed(
            Format::Stl,
            Location::Line(1),
            "ASCII STL without a 'solid' line",
        ));
    }
    let mut doc = CadDocument::new(Format::Stl);
    doc.metadata
        .header
        .insert("encoding".into(), "ascii".into());
    doc.metadata
        .header
        .insert("solids".into(), solids.to_string());
    let names: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
    if !names.is_empty() {
        doc.metadata.header.insert("name".into(), names.join("; "));
    }
    doc.metadata.warnings = warnings;
    Ok(finish(
        Mesh {
            positions,
            triangles,
        },
        bbox,
        doc,
    ))
}

/// Consumes the keyword `word` (case-insensitive) or fails naming what was found.
fn expect(t: &mut Tokens<'_>, word: &[u8], bytes: &[u8]) -> Result<()> {
    match t.next_token() {
        Some(w) if w.eq_ignore_ascii_case(word) => Ok(()),
        found => Err(Error::malformed(
            Format::Stl,
            Location::Line(line_of(bytes, t.pos())),
            format!(
                "expected {:?}, found {}",
                String::from_utf8_lossy(word),
                match found {
                    Some(w) => format!("{:?}", String::from_utf8_lossy(&w[..w.len().min(40)])),
                    None => "the end of the file".into(),
                }
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A regular tetrahedron-ish solid: the corners of the unit simplex.
    const TETRA: [[f32; 3]; 4] = [
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
    ];
    const TETRA_FACES: [[usize; 3]; 4] = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];

    fn binary(tris: &[[[f32; 3]; 3]], header: &[u8], count: u32) -> Vec<u8> {
        let mut b = vec![b' '; 80];
        b[..header.len()].copy_from_slice(header);
        b.extend_from_slice(&count.to_le_bytes());
        for t in tris {
            b.extend_from_slice(&[0u8; 12]);
            for p in t {
                for c in p {
                    b.extend_from_slice(&c.to_le_bytes());
                }
            }
            b.extend_from_slice(&[0x1f, 0x80]);
        }
        b
    }

    fn tetra_tris() -> Vec<[[f32; 3]; 3]> {
        TETRA_FACES
            .iter()
            .map(|f| [TETRA[f[0]], TETRA[f[1]], TETRA[f[2]]])
            .collect()
    }

    fn ascii_solid(name: &str, tris: &[[[f32; 3]; 3]], eol: &str) -> String {
        let mut s = format!("solid {name}{eol}");
        for t in tris {
            s += &format!("  facet normal 0 0 0{eol}    outer loop{eol}");
            for p in t {
                s += &format!("      vertex {} {} {}{eol}", p[0], p[1], p[2]);
            }
            s += &format!("    endloop{eol}  endfacet{eol}");
        }
        s += &format!("endsolid {name}{eol}");
        s
    }

    #[test]
    fn binary_tetrahedron_with_solid_header() {
        let b = binary(&tetra_tris(), b"solid but binary", 4);
        let doc = read(&b, &Limits::default()).unwrap();
        assert_eq!(doc.triangle_count(), 4);
        assert_eq!(doc.entity_counts.get("FACET"), Some(&4));
        assert_eq!(doc.metadata.facets, Some(4));
        assert_eq!(doc.bbox, BoundingBox::from_corners([0.0; 3], [1.0; 3]));
        assert_eq!(doc.metadata.header["encoding"], "binary");
        assert_eq!(doc.metadata.header["attribute_nonzero"], "4");
        let m = doc.mesh.unwrap();
        assert_eq!(m.positions.len(), 12);
        assert_eq!(m.triangles[3], [9, 10, 11]);
        assert_eq!(m.triangle(0), [[0.0; 3], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]);
    }

    #[test]
    fn ascii_multi_solid_crlf() {
        let tris = tetra_tris();
        let s = ascii_solid("first", &tris[..2], "\r\n")
            + &ascii_solid("Second Part", &tris[2..], "\r\n");
        let doc = read(s.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(doc.triangle_count(), 4);
        assert_eq!(doc.metadata.header["solids"], "2");
        assert_eq!(doc.metadata.header["name"], "first; Second Part");
        assert_eq!(doc.bbox, BoundingBox::from_corners([0.0; 3], [1.0; 3]));
        // File order: the second solid's triangles follow the first's.
        let m = doc.mesh.unwrap();
        assert_eq!(m.triangle(2)[2], [0.0, 1.0, 0.0]);
        assert_eq!(m.triangle(3)[0], [1.0, 0.0, 0.0]);
    }

    #[test]
    fn ascii_mixed_case_keywords_and_decimal_rounding() {
        let s = "SOLID x\nFacet Normal 0 0 1\nOuter Loop\nVertex 0.1 0.2 0.3\nVERTEX 1e-3 -2.5E2 7\nvertex 1 1 1\nEndLoop\nEndFacet\nEndSolid\n";
        let doc = read(s.as_bytes(), &Limits::default()).unwrap();
        let m = doc.mesh.unwrap();
        assert_eq!(m.positions[0], [0.1, 0.2, 0.3]);
        assert_eq!(m.positions[1], [0.001, -250.0, 7.0]);
    }

    #[test]
    fn zero_triangles() {
        let b = binary(&[], b"empty", 0);
        let doc = read(&b, &Limits::default()).unwrap();
        assert_eq!(doc.triangle_count(), 0);
        assert!(doc.bbox.is_empty());
        assert!(!doc.entity_counts.contains_key("FACET"));
        assert_eq!(doc.metadata.facets, Some(0));
        let doc = read(b"solid empty\nendsolid empty\n", &Limits::default()).unwrap();
        assert_eq!(doc.triangle_count(), 0);
        assert!(doc.bbox.is_empty());
    }

    #[test]
    fn count_mismatch_names_both_numbers() {
        let mut b = binary(&tetra_tris(), b"x", 5);
        match read(&b, &Limits::default()) {
            Err(Error::Malformed { message, .. }) => {
                assert!(message.contains("5 triangles"), "{message}");
                assert!(message.contains("334 bytes"), "{message}");
                assert!(message.contains("has 284 bytes"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Truncated: the count says 4 but a record is cut.
        b.truncate(200);
        b[80..84].copy_from_slice(&4u32.to_le_bytes());
        assert!(matches!(
            read(&b, &Limits::default()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn huge_claim_in_a_small_file() {
        let mut b = vec![0u8; 200];
        b[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
        match read(&b, &Limits::unlimited()) {
            Err(Error::Malformed { message, .. }) => {
                assert!(message.contains("4294967295"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn triangle_limit() {
        let b = binary(&tetra_tris(), b"x", 4);
        let l = Limits {
            max_triangles: 3,
            ..Limits::default()
        };
        assert!(matches!(
            read(&b, &l),
            Err(Error::LimitExceeded {
                limit: LimitKind::Triangles,
                actual: 4,
                max: 3
            })
        ));
        let s = ascii_solid("a", &tetra_tris(), "\n");
        assert!(matches!(
            read(s.as_bytes(), &l),
            Err(Error::LimitExceeded {
                limit: LimitKind::Triangles,
                ..
            })
        ));
    }

    #[test]
    fn nan_and_inf_are_kept_but_not_boxed() {
        let mut tris = tetra_tris();
        tris[0][0] = [f32::NAN, 0.0, 0.0];
        tris[1][1] = [f32::INFINITY, 5.0, 0.0];
        let b = binary(&tris, b"x", 4);
        let doc = read(&b, &Limits::default()).unwrap();
        assert_eq!(doc.bbox, BoundingBox::from_corners([0.0; 3], [1.0; 3]));
        assert!(doc.mesh.unwrap().positions[0][0].is_nan());
        let s = "solid\nfacet normal 0 0 0\nouter loop\nvertex nan 0 0\nvertex inf 9 0\nvertex 1 2 3\nendloop\nendfacet\nendsolid\n";
        let doc = read(s.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(
            doc.bbox,
            BoundingBox::from_corners([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
        );
        assert_eq!(doc.triangle_count(), 1);
    }

    #[test]
    fn malformed_ascii_names_the_line() {
        let s = "solid a\nfacet normal 0 0 0\nouter loop\nvertex 0 0 0\nvertex 1 x 0\n";
        match read(s.as_bytes(), &Limits::default()) {
            Err(Error::Malformed { location, .. }) => assert_eq!(location, Location::Line(5)),
            other => panic!("{other:?}"),
        }
        let s = "solid a\nfacet normal 0 0 0\nouter loop\nvertex 0 0 0\nendloop\nendfacet\n";
        assert!(matches!(
            read(s.as_bytes(), &Limits::default()),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            read(b"\xff\xfe\x00garbage", &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        let g: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 251) as u8).collect();
        assert!(matches!(
            read(&g, &Limits::default()),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            read(b"   \n", &Limits::default()),
            Err(Error::Empty)
        ));
    }
}
