//! The streaming group-code / value tag reader, ASCII and binary.
//!
//! A DXF file is a flat sequence of *tags*: an integer group code and a value whose type
//! follows from the code (0–9 strings, 10–59 reals, 60–79 16-bit integers, …). Everything
//! else (sections, tables, entities) is structure built from those tags by [`super`].
//!
//! * **ASCII**: two lines per tag, the code (possibly space-padded) then the value. Lines end
//!   with `\n`, `\r\n` or (old Mac files) `\r` alone. Values are kept as byte slices and parsed
//!   only when an entity needs them, which keeps the reader at memory speed.
//! * **Binary**: the sentinel `AutoCAD Binary DXF\r\n\x1a\0`, then codes as 1 byte (R12, with
//!   `0xFF` escaping to a 2-byte code) or 2 bytes little-endian (R13 and later), then the
//!   value in its binary form: NUL-terminated strings, 8-byte doubles, 2/4/8-byte integers,
//!   1-byte booleans and length-prefixed binary chunks.
//!
//! `999` comments are skipped. Errors carry the 1-based line (ASCII) or byte offset (binary)
//! of the tag that is wrong.

use crate::error::{Error, Location, Result};
use crate::format::{BINARY_DXF_SENTINEL, Format};

/// A tag value: raw text (ASCII files, binary strings) or an already decoded number (binary).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// Raw bytes of a text value (ASCII files keep every value as text).
    Text(&'a [u8]),
    /// A binary real.
    Real(f64),
    /// A binary integer (or boolean).
    Int(i64),
}

impl<'a> Value<'a> {
    /// The value as a real number, if it is one (text is parsed after trimming).
    #[inline]
    pub(crate) fn f64(&self) -> Option<f64> {
        match *self {
            Value::Real(v) => Some(v),
            Value::Int(v) => Some(v as f64),
            Value::Text(t) => parse_f64(t),
        }
    }

    /// The value as an integer, if it is one (text is parsed after trimming; a real text
    /// value such as `1.0` is accepted and truncated).
    #[inline]
    pub(crate) fn i64(&self) -> Option<i64> {
        match *self {
            Value::Int(v) => Some(v),
            Value::Real(v) if v.is_finite() => Some(v as i64),
            Value::Real(_) => None,
            Value::Text(t) => {
                let t = t.trim_ascii();
                parse_int(t).or_else(|| parse_f64(t).filter(|v| v.is_finite()).map(|v| v as i64))
            }
        }
    }

    /// The raw bytes of a text value (empty for numbers).
    #[inline]
    pub(crate) fn bytes(&self) -> &'a [u8] {
        match *self {
            Value::Text(t) => t,
            _ => b"",
        }
    }
}

/// One tag, with where it was found (1-based line of the code for ASCII, byte offset for
/// binary).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tag<'a> {
    pub(crate) code: i32,
    pub(crate) value: Value<'a>,
    pub(crate) pos: u64,
}

/// Parses a trimmed decimal integer.
#[inline]
fn parse_int(t: &[u8]) -> Option<i64> {
    let (neg, digits) = match t.first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(if neg { -v } else { v })
}

/// Parses a real number written as text (surrounding whitespace allowed).
///
/// Plain decimals (`-12.375`, up to 15 significant digits and 22 decimals) take Clinger's fast
/// path: the digits as an exact integer divided by an exact power of ten, which is correctly
/// rounded. Everything else (exponents, long mantissas) goes to the standard library parser.
#[inline]
pub(crate) fn parse_f64(t: &[u8]) -> Option<f64> {
    let t = t.trim_ascii();
    if let Some(v) = fast_decimal(t) {
        return Some(v);
    }
    std::str::from_utf8(t).ok()?.parse::<f64>().ok()
}

#[inline]
fn fast_decimal(t: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (neg, rest) = match t.first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let mut mant: u64 = 0;
    let mut digits = 0usize;
    let mut frac = 0usize;
    let mut seen_dot = false;
    let mut any = false;
    for &c in rest {
        match c {
            b'0'..=b'9' => {
                any = true;
                if mant == 0 && c == b'0' {
                    // Leading zeros do not count as significant digits.
                } else {
                    digits += 1;
                }
                mant = mant.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                if seen_dot {
                    frac += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if !any || digits > 15 || frac > 22 {
        return None;
    }
    let v = mant as f64 / POW10[frac];
    Some(if neg { -v } else { v })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// ASCII with `\n` (optionally `\r\n`) line ends.
    Lf,
    /// ASCII with bare `\r` line ends.
    Cr,
    /// Binary with 1-byte group codes (R12).
    Bin1,
    /// Binary with 2-byte group codes (R13+).
    Bin2,
}

/// The streaming tag reader.
pub(crate) struct TagReader<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
    mode: Mode,
}

/// How a binary value is stored, by group code.
enum BinType {
    Str,
    F64,
    I16,
    I32,
    I64,
    Bool,
    Chunk,
}

fn bin_type(code: i32) -> BinType {
    match code {
        10..=59 | 110..=149 | 210..=239 | 460..=469 | 1010..=1059 => BinType::F64,
        60..=79 | 170..=179 | 270..=289 | 370..=389 | 400..=409 | 1060..=1070 => BinType::I16,
        90..=99 | 420..=429 | 440..=459 | 1071 => BinType::I32,
        160..=169 => BinType::I64,
        290..=299 => BinType::Bool,
        310..=319 | 1004 => BinType::Chunk,
        _ => BinType::Str,
    }
}

impl<'a> TagReader<'a> {
    /// A reader over `data`, ASCII or binary (detected by the sentinel).
    pub(crate) fn new(data: &'a [u8]) -> Self {
        if let Some(rest) = data.strip_prefix(BINARY_DXF_SENTINEL) {
            let pos = BINARY_DXF_SENTINEL.len();
            // Two-byte codes start with `00 00` (code 0); R12 one-byte codes with `00 'S'`.
            let mode = if rest.len() >= 2 && rest[0] == 0 && rest[1] == 0 {
                Mode::Bin2
            } else {
                Mode::Bin1
            };
            return TagReader {
                data,
                pos,
                line: 0,
                mode,
            };
        }
        let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        let head = &data[..data.len().min(1 << 16)];
        let mode = if memchr::memchr(b'\n', head).is_none() && memchr::memchr(b'\r', head).is_some()
        {
            Mode::Cr
        } else {
            Mode::Lf
        };
        TagReader {
            data,
            pos: 0,
            line: 0,
            mode,
        }
    }

    fn err(&self, loc: Location, msg: impl Into<String>) -> Error {
        Error::malformed(Format::Dxf, loc, msg)
    }

    /// The next tag, `None` at the end of the input. `999` comments are skipped.
    #[inline]
    pub(crate) fn next_tag(&mut self) -> Result<Option<Tag<'a>>> {
        loop {
            let t = match self.mode {
                Mode::Lf | Mode::Cr => self.next_ascii()?,
                Mode::Bin1 | Mode::Bin2 => self.next_binary()?,
            };
            match t {
                Some(t) if t.code == 999 => continue,
                other => return Ok(other),
            }
        }
    }

    #[inline]
    fn read_line(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let sep = if self.mode == Mode::Cr { b'\r' } else { b'\n' };
        // DXF lines are short (group codes, numbers, names): a plain scan of the first bytes
        // beats a vectorised search's set-up cost; long lines fall through to memchr.
        const SHORT: usize = 24;
        let head = &rest[..rest.len().min(SHORT)];
        let found = match head.iter().position(|&c| c == sep) {
            Some(i) => Some(i),
            None if rest.len() > SHORT => memchr::memchr(sep, &rest[SHORT..]).map(|i| i + SHORT),
            None => None,
        };
        let (line, adv) = match found {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += adv;
        self.line += 1;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }

    fn next_ascii(&mut self) -> Result<Option<Tag<'a>>> {
        let Some(code_line) = self.read_line() else {
            return Ok(None);
        };
        let code_at = self.line;
        let trimmed = code_line.trim_ascii();
        if trimmed.is_empty() {
            // Trailing blank lines (or NUL padding) after the last tag are tolerated.
            let rest = self.data.get(self.pos..).unwrap_or(b"");
            if rest.iter().all(|c| c.is_ascii_whitespace() || *c == 0) {
                self.pos = self.data.len();
                return Ok(None);
            }
            return Err(self.err(Location::Line(code_at), "empty group code line"));
        }
        let code = match parse_int(trimmed) {
            Some(c) if (-5..=1071).contains(&c) => c as i32,
            _ => {
                let shown = String::from_utf8_lossy(&trimmed[..trimmed.len().min(40)]);
                return Err(self.err(
                    Location::Line(code_at),
                    format!("group code expected, found {shown:?}"),
                ));
            }
        };
        let Some(value) = self.read_line() else {
            return Err(self.err(
                Location::Line(code_at),
                format!("file ends after group code {code} (value line missing)"),
            ));
        };
        Ok(Some(Tag {
            code,
            value: Value::Text(value),
            pos: code_at,
        }))
    }

    fn take(&mut self, n: usize, at: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        match end.and_then(|e| self.data.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.err(
                Location::Byte(at as u64),
                format!("file ends inside a binary tag ({what})"),
            )),
        }
    }

    fn next_binary(&mut self) -> Result<Option<Tag<'a>>> {
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let at = self.pos;
        let code = match self.mode {
            Mode::Bin1 => {
                let b = self.take(1, at, "group code")?[0];
                if b == 0xFF {
                    let c = self.take(2, at, "group code")?;
                    i32::from(i16::from_le_bytes([c[0], c[1]]))
                } else {
                    i32::from(b)
                }
            }
            _ => {
                let c = self.take(2, at, "group code")?;
                i32::from(i16::from_le_bytes([c[0], c[1]]))
            }
        };
        let value = match bin_type(code) {
            BinType::Str => {
                let rest = &self.data[self.pos..];
                let Some(n) = memchr::memchr(0, rest) else {
                    return Err(self.err(
                        Location::Byte(at as u64),
                        format!("unterminated string value of group code {code}"),
                    ));
                };
                let s = &rest[..n];
                self.pos += n + 1;
                Value::Text(s)
            }
            BinType::F64 => {
                let b = self.take(8, at, "real")?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Value::Real(f64::from_le_bytes(a))
            }
            BinType::I16 => {
                let b = self.take(2, at, "16-bit integer")?;
                Value::Int(i64::from(i16::from_le_bytes([b[0], b[1]])))
            }
            BinType::I32 => {
                let b = self.take(4, at, "32-bit integer")?;
                Value::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            }
            BinType::I64 => {
                let b = self.take(8, at, "64-bit integer")?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Value::Int(i64::from_le_bytes(a))
            }
            BinType::Bool => Value::Int(i64::from(self.take(1, at, "boolean")?[0])),
            BinType::Chunk => {
                let n = usize::from(self.take(1, at, "chunk length")?[0]);
                Value::Text(self.take(n, at, "binary chunk")?)
            }
        };
        Ok(Some(Tag {
            code,
            value,
            pos: at as u64,
        }))
    }
}

/// Writes tags as a binary DXF with 2-byte group codes (used by tests to round-trip a drawing).
#[cfg(test)]
pub(crate) fn write_binary(tags: &[(i32, &str)]) -> Vec<u8> {
    let mut out = BINARY_DXF_SENTINEL.to_vec();
    for &(code, v) in tags {
        out.extend_from_slice(&(code as i16).to_le_bytes());
        match bin_type(code) {
            BinType::Str => {
                out.extend_from_slice(v.as_bytes());
                out.push(0);
            }
            BinType::F64 => {
                out.extend_from_slice(&v.trim().parse::<f64>().unwrap_or(0.0).to_le_bytes())
            }
            BinType::I16 => {
                out.extend_from_slice(&v.trim().parse::<i16>().unwrap_or(0).to_le_bytes())
            }
            BinType::I32 => {
                out.extend_from_slice(&v.trim().parse::<i32>().unwrap_or(0).to_le_bytes())
            }
            BinType::I64 => {
                out.extend_from_slice(&v.trim().parse::<i64>().unwrap_or(0).to_le_bytes())
            }
            BinType::Bool => out.push(v.trim().parse::<u8>().unwrap_or(0)),
            BinType::Chunk => {
                out.push(v.len().min(255) as u8);
                out.extend_from_slice(&v.as_bytes()[..v.len().min(255)]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> Result<Vec<(i32, String)>> {
        let mut r = TagReader::new(data);
        let mut out = Vec::new();
        while let Some(t) = r.next_tag()? {
            let v = match t.value {
                Value::Text(b) => String::from_utf8_lossy(b).into_owned(),
                Value::Real(f) => f.to_string(),
                Value::Int(i) => i.to_string(),
            };
            out.push((t.code, v));
        }
        Ok(out)
    }

    #[test]
    fn fast_decimal_matches_std() {
        for t in [
            "0",
            "-0.5",
            "1.25",
            "123456.789012",
            "0.1",
            "-3.7707275776824707",
            "1e5",
            "2.5E-3",
            " 42 ",
            ".5",
            "5.",
            "-.75",
            "0.30000000000000004",
            "999999999999999",
        ] {
            let want: f64 = t.trim().parse().unwrap();
            assert_eq!(parse_f64(t.as_bytes()), Some(want), "{t}");
        }
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b"-"), None);
        assert_eq!(parse_f64(b"1.2.3"), None);
    }

    #[test]
    fn ascii_line_endings_and_padding() {
        let lf = all(b"  0\nSECTION\n999\ncomment\n 10\n1.5\n").unwrap();
        let crlf = all(b"  0\r\nSECTION\r\n999\r\ncomment\r\n 10\r\n1.5\r\n").unwrap();
        let cr = all(b"  0\rSECTION\r999\rcomment\r 10\r1.5\r").unwrap();
        assert_eq!(lf, vec![(0, "SECTION".into()), (10, "1.5".into())]);
        assert_eq!(lf, crlf);
        assert_eq!(lf, cr);
    }

    #[test]
    fn ends_mid_tag_is_malformed_with_line() {
        match all(b"0\nSECTION\n2\nENTITIES\n0\nLINE\n10\n") {
            Err(Error::Malformed { location, .. }) => assert_eq!(location, Location::Line(7)),
            other => panic!("unexpected {other:?}"),
        }
        match all(b"0\nSECTION\nabc\nX\n") {
            Err(Error::Malformed { location, .. }) => assert_eq!(location, Location::Line(3)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn binary_two_byte_codes() {
        let b = write_binary(&[
            (0, "SECTION"),
            (10, "2.5"),
            (70, "3"),
            (90, "70000"),
            (290, "1"),
        ]);
        let tags = all(&b).unwrap();
        assert_eq!(
            tags,
            vec![
                (0, "SECTION".into()),
                (10, "2.5".into()),
                (70, "3".into()),
                (90, "70000".into()),
                (290, "1".into())
            ]
        );
        // Truncated inside the real value.
        let cut = &b[..b.len() - 12];
        assert!(matches!(
            all(cut),
            Err(Error::Malformed {
                location: Location::Byte(_),
                ..
            })
        ));
    }
}
