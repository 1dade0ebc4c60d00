//! File formats and format detection by content.
//!
//! [`detect`] looks at the first bytes of a file (and, for binary STL, its length). The file
//! extension is only a hint:
//!
//! * When the content carries a strong signature (STEP `ISO-10303-21`, a PLY `ply` line, the
//!   binary DXF sentinel, IGES column-73 section letters, an ASCII DXF `0 / SECTION` start, an
//!   ASCII STL `solid … facet`, a binary STL whose length is exactly `84 + 50 × count`), the
//!   content wins, whatever the extension says. A `part.stl` that is really a STEP file is read
//!   as STEP.
//! * When the content is inconclusive (for example a binary STL whose triangle count disagrees
//!   with its length, or a text file that could be several things), the extension decides, and
//!   that format's reader then reports precisely what is wrong.
//! * When neither identifies a format, reading fails with [`Error::UnknownFormat`].

use std::fmt;

use crate::error::{Error, Result};

/// A CAD or mesh file format cadfeat reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// ISO 10303-21 (STEP) exchange files, AP203 / AP214 / AP242.
    Step,
    /// IGES 5.x fixed-column files.
    Iges,
    /// AutoCAD DXF, ASCII or binary.
    Dxf,
    /// STL, ASCII or binary.
    Stl,
    /// Wavefront OBJ.
    Obj,
    /// Stanford PLY, ASCII or binary.
    Ply,
    /// The JSON entity export of the service cadfeat replaces.
    Json,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 7] = [
        Format::Step,
        Format::Iges,
        Format::Dxf,
        Format::Stl,
        Format::Obj,
        Format::Ply,
        Format::Json,
    ];

    /// The lowercase id used in JSON output and metric labels (`step`, `iges`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Step => "step",
            Format::Iges => "iges",
            Format::Dxf => "dxf",
            Format::Stl => "stl",
            Format::Obj => "obj",
            Format::Ply => "ply",
            Format::Json => "json",
        }
    }

    /// Maps a file extension (without the dot, any case) to a format.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "step" | "stp" | "p21" => Some(Format::Step),
            "iges" | "igs" => Some(Format::Iges),
            "dxf" => Some(Format::Dxf),
            "stl" => Some(Format::Stl),
            "obj" => Some(Format::Obj),
            "ply" => Some(Format::Ply),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Parses a format id as printed by [`Format::as_str`] (also accepts extensions).
    pub fn parse(name: &str) -> Result<Format> {
        Format::from_extension(name).ok_or_else(|| Error::UnknownFormat {
            hint: Some(name.to_string()),
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        Format::parse(s)
    }
}

/// How many leading bytes detection looks at (binary STL also uses the total length).
pub const SNIFF_LEN: usize = 4096;

/// The binary DXF sentinel.
pub const BINARY_DXF_SENTINEL: &[u8] = b"AutoCAD Binary DXF\r\n\x1a\0";

/// Guesses the format of `bytes` from its content alone. `None` when inconclusive.
pub fn detect_content(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(BINARY_DXF_SENTINEL) {
        return Some(Format::Dxf);
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let text = skip_bom_and_space(head);
    if starts_with_ci(skip_comments(text), b"ISO-10303-21") {
        return Some(Format::Step);
    }
    if text.starts_with(b"ply\n") || text.starts_with(b"ply\r\n") {
        return Some(Format::Ply);
    }
    if starts_with_ci(text, b"solid") && looks_like_ascii_stl(head) {
        return Some(Format::Stl);
    }
    if is_binary_stl_size(bytes) {
        return Some(Format::Stl);
    }
    if looks_like_iges(head) {
        return Some(Format::Iges);
    }
    if looks_like_ascii_dxf(text) {
        return Some(Format::Dxf);
    }
    if text.first().is_some_and(|&c| c == b'{' || c == b'[') {
        return Some(Format::Json);
    }
    if looks_like_obj(head) {
        return Some(Format::Obj);
    }
    None
}

/// Detects the format from content, falling back to the extension hint (without the dot).
///
/// Returns [`Error::Empty`] for empty input and [`Error::UnknownFormat`] when neither the
/// content nor the hint identifies a format.
pub fn detect(bytes: &[u8], extension_hint: Option<&str>) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    if let Some(f) = detect_content(bytes) {
        return Ok(f);
    }
    extension_hint
        .and_then(Format::from_extension)
        .ok_or_else(|| Error::UnknownFormat {
            hint: extension_hint.map(str::to_string),
        })
}

fn skip_bom_and_space(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// Skips `/* … */` comments and whitespace (STEP files may open with a comment).
fn skip_comments(mut b: &[u8]) -> &[u8] {
    while let Some(rest) = b.strip_prefix(b"/*") {
        match memchr::memmem::find(rest, b"*/") {
            Some(end) => b = skip_bom_and_space(&rest[end + 2..]),
            None => return b,
        }
    }
    b
}

fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `84 + 50 × n == len`, n from the little-endian count at byte 80.
pub fn is_binary_stl_size(bytes: &[u8]) -> bool {
    if bytes.len() < 84 {
        return false;
    }
    let n = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as u64;
    84 + 50 * n == bytes.len() as u64
}

/// An ASCII STL: text (no control bytes apart from whitespace) that mentions `facet` or
/// `endsolid` near the start. A binary STL whose header begins with `solid` fails this test
/// because its triangle data is not text.
fn looks_like_ascii_stl(head: &[u8]) -> bool {
    let is_text = head
        .iter()
        .all(|&c| c == b'\n' || c == b'\r' || c == b'\t' || (0x20..0x7f).contains(&c));
    if !is_text {
        return false;
    }
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    memchr::memmem::find(&lower, b"facet").is_some()
        || memchr::memmem::find(&lower, b"endsolid").is_some()
}

/// IGES: 80-column records whose column 73 holds the section letter (`S` first, or `G` when
/// the start section is empty). Works with and without line terminators.
fn looks_like_iges(head: &[u8]) -> bool {
    let first_line_end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    let line = head[..first_line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&head[..first_line_end]);
    let letter = if line.len() >= 73 {
        line[72]
    } else {
        return false;
    };
    if letter != b'S' && letter != b'G' {
        return false;
    }
    // Columns 74–80 hold a sequence number (digits, possibly space-padded).
    let seq = &line[73..line.len().min(80)];
    !seq.is_empty() && seq.iter().all(|c| c.is_ascii_digit() || *c == b' ')
}

/// ASCII DXF: group code `0` then `SECTION` (after optional `999` comments).
fn looks_like_ascii_dxf(text: &[u8]) -> bool {
    let mut lines = text.split(|&c| c == b'\n').map(|l| l.trim_ascii()).take(64);
    loop {
        let Some(code) = lines.next() else {
            return false;
        };
        let Some(value) = lines.next() else {
            return false;
        };
        match code {
            b"999" => continue,
            b"0" => return value.eq_ignore_ascii_case(b"SECTION"),
            _ => return false,
        }
    }
}

/// OBJ: text whose meaningful lines start with OBJ keywords, with at least one `v` line.
/// UTF-16 text (with a BOM) is checked after dropping the zero bytes of ASCII characters.
fn looks_like_obj(head: &[u8]) -> bool {
    let ascii: Vec<u8>;
    let text: &[u8] = if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        ascii = head[2..].iter().copied().filter(|&c| c != 0).collect();
        &ascii
    } else {
        head
    };
    let mut saw_vertex = false;
    let mut checked = 0;
    let lines: Vec<&[u8]> = text.split(|&c| c == b'\n').collect();
    // The last line of the sniffed head may be cut short; ignore it unless it is all we have.
    let complete = if lines.len() > 1 {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    for line in complete {
        let l = line.trim_ascii();
        if l.is_empty() || l[0] == b'#' {
            continue;
        }
        let kw = l.split(|c| c.is_ascii_whitespace()).next().unwrap_or(b"");
        match kw {
            b"v" => saw_vertex = true,
            b"vt" | b"vn" | b"vp" | b"f" | b"l" | b"p" | b"o" | b"g" | b"s" | b"mtllib"
            | b"usemtl" | b"cstype" | b"deg" | b"curv" | b"surf" | b"parm" | b"end" => {}
            _ => return false,
        }
        checked += 1;
        if checked > 200 {
            break;
        }
    }
    saw_vertex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_signatures_beat_the_extension() {
        let step = b"ISO-10303-21;\nHEADER;\n";
        assert_eq!(detect(step, Some("stl")).unwrap(), Format::Step);
        let commented = b"/* made by hand */\n/* twice */ ISO-10303-21;\nHEADER;\n";
        assert_eq!(detect_content(commented), Some(Format::Step));
        assert_eq!(
            detect(b"ply\nformat ascii 1.0\n", Some("obj")).unwrap(),
            Format::Ply
        );
        assert_eq!(
            detect(b"  0\nSECTION\n  2\nENTITIES\n0\nENDSEC\n0\nEOF\n", None).unwrap(),
            Format::Dxf
        );
    }

    #[test]
    fn binary_stl_with_solid_header_is_binary() {
        let mut b = vec![0u8; 84 + 50];
        b[..5].copy_from_slice(b"solid");
        b[80] = 1;
        b[84 + 12] = 0x80; // a non-text byte in the triangle data
        assert_eq!(detect_content(&b), Some(Format::Stl));
    }

    #[test]
    fn empty_and_unknown() {
        assert!(matches!(detect(b"", Some("stl")), Err(Error::Empty)));
        assert!(matches!(
            detect(b"\x00\x01garbage", None),
            Err(Error::UnknownFormat { .. })
        ));
        // Inconclusive content: the extension decides.
        assert_eq!(
            detect(b"\x00\x01garbage", Some("STL")).unwrap(),
            Format::Stl
        );
    }

    #[test]
    fn obj_and_json() {
        assert_eq!(
            detect_content(b"# c\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"),
            Some(Format::Obj)
        );
        assert_eq!(detect_content(b" {\"entities\": []}"), Some(Format::Json));
    }
}
