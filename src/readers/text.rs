//! Small byte-level text scanning helpers shared by the mesh readers (STL, OBJ, PLY).
//!
//! The mesh readers work on `&[u8]`, not on `&str`: a file is never validated as UTF-8 as a
//! whole (that would cost a full pass and reject files with a stray Latin-1 byte in a comment).
//! Only the short tokens that must be numbers are checked, and numbers are parsed with the
//! standard library's correctly rounded `str::parse::<f64>` (or `::<f32>` where the format
//! declares single precision).
//!
//! Whitespace is ASCII space, tab, CR, LF, vertical tab and form feed.

/// Lookup table of the token separators (one load instead of six compares per byte).
static SPACE: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t[0x0b] = true;
    t[0x0c] = true;
    t
};

/// True for the ASCII whitespace bytes that separate tokens (LF included).
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    SPACE[b as usize]
}

/// True for whitespace inside a line (LF excluded).
#[inline]
pub(crate) fn is_inline_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// Parses a whole token as an `f64`, correctly rounded. Accepts what Rust accepts (`1e5`,
/// `-.5`, `inf`, `NaN`, …); `None` for anything else, including non-UTF-8 bytes.
#[inline]
pub(crate) fn parse_f64(tok: &[u8]) -> Option<f64> {
    // A leading '+' is accepted by Rust's parser too.
    std::str::from_utf8(tok).ok()?.parse::<f64>().ok()
}

/// Parses a whole token as an `f32` (correctly rounded to single precision).
#[inline]
pub(crate) fn parse_f32(tok: &[u8]) -> Option<f32> {
    std::str::from_utf8(tok).ok()?.parse::<f32>().ok()
}

/// Parses a whole token as a signed decimal integer.
#[inline]
pub(crate) fn parse_i64(tok: &[u8]) -> Option<i64> {
    std::str::from_utf8(tok).ok()?.parse::<i64>().ok()
}

/// The 1-based line number of byte offset `pos` (counts LF bytes before it). Only used to
/// build error messages, so its linear cost is paid once.
pub(crate) fn line_of(bytes: &[u8], pos: usize) -> u64 {
    let end = pos.min(bytes.len());
    memchr::memchr_iter(b'\n', &bytes[..end]).count() as u64 + 1
}

/// A whitespace tokenizer over a byte slice that remembers its position.
pub(crate) struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    /// Starts at byte `pos` of `bytes`.
    pub(crate) fn new(bytes: &'a [u8], pos: usize) -> Self {
        Tokens { bytes, pos }
    }

    /// The current byte offset.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next whitespace-separated token, or `None` at the end.
    #[inline]
    pub(crate) fn next_token(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        let Some(skip) = rest.iter().position(|&c| !is_space(c)) else {
            self.pos = self.bytes.len();
            return None;
        };
        let rest = &rest[skip..];
        let len = rest.iter().position(|&c| is_space(c)).unwrap_or(rest.len());
        self.pos += skip + len;
        Some(&rest[..len])
    }

    /// Skips to just after the next LF (or to the end).
    pub(crate) fn skip_line(&mut self) {
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        self.pos = match memchr::memchr(b'\n', rest) {
            Some(i) => self.pos + i + 1,
            None => self.bytes.len(),
        };
    }
}

/// Splits `line` into whitespace-separated tokens (LF never occurs inside a line).
pub(crate) fn split_ws(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| is_space(b)).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_correctly_rounded() {
        assert_eq!(parse_f64(b"0.1"), Some(0.1));
        assert_eq!(parse_f64(b"-1.5e-3"), Some(-1.5e-3));
        assert_eq!(parse_f64(b"+2"), Some(2.0));
        assert_eq!(parse_f32(b"0.1").map(f64::from), Some(f64::from(0.1f32)));
        assert!(parse_f64(b"1.0.0").is_none());
        assert!(parse_f64(b"\xff").is_none());
        assert!(parse_f64(b"nan").is_some_and(f64::is_nan));
        assert_eq!(parse_i64(b"-7"), Some(-7));
    }

    #[test]
    fn tokens_and_lines() {
        let s = b"  solid a\r\n facet\tnormal 0 0 1\n";
        let mut t = Tokens::new(s, 0);
        assert_eq!(t.next_token(), Some(&b"solid"[..]));
        t.skip_line();
        assert_eq!(t.next_token(), Some(&b"facet"[..]));
        assert_eq!(line_of(s, t.pos()), 2);
        let toks: Vec<&[u8]> = split_ws(b" a  b\tc\r").collect();
        assert_eq!(toks, vec![&b"a"[..], b"b", b"c"]);
    }
}
