//! Free-format parameter lists: the Global section and every entity's Parameter data.
//!
//! Both are a stream of fields separated by the *parameter delimiter* (default `,`) and ended
//! by the *record delimiter* (default `;`). A field is empty (a default), a number (integers,
//! reals with `E` or `D` exponents such as `1.0D0`), or a Hollerith string `nH…` whose `n`
//! bytes are taken literally (they may contain delimiters). Pointers are integers: a directory
//! entry sequence number, negated where the entity uses the sign for orientation.

/// One parsed field.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// An empty field (the entity's default applies).
    Empty,
    /// A number (integers are kept exactly as `f64`; IGES integers fit easily).
    Num(f64),
    /// A Hollerith string.
    Text(String),
    /// A field that is neither a number nor a string (kept for messages).
    Bad(String),
}

impl Param {
    /// The number, `None` for anything else. Empty fields are `None` too (use [`num_or`]).
    ///
    /// [`num_or`]: Param::num_or
    pub fn num(&self) -> Option<f64> {
        match self {
            Param::Num(v) => Some(*v),
            _ => None,
        }
    }

    /// The number, or `default` for an empty field; `None` for text or garbage.
    pub fn num_or(&self, default: f64) -> Option<f64> {
        match self {
            Param::Num(v) => Some(*v),
            Param::Empty => Some(default),
            _ => None,
        }
    }

    /// The string of a Hollerith field.
    pub fn text(&self) -> Option<&str> {
        match self {
            Param::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// What the tokenizer noticed besides the fields.
#[derive(Debug, Default)]
pub struct ParseNotes {
    /// A Hollerith string that was followed by text other than a delimiter (its count is
    /// wrong): the extra text was dropped up to the next delimiter.
    pub hollerith_overrun: Vec<usize>,
    /// A Hollerith count that runs past the end of the data.
    pub hollerith_truncated: bool,
    /// No record delimiter was found.
    pub unterminated: bool,
}

/// Parses a number field: `12`, `-3.5`, `1.E-6`, `2.5D0`, `.5d+2`. Spaces inside are ignored
/// (some writers pad fields).
pub fn parse_number(field: &[u8]) -> Option<f64> {
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    for &b in field {
        if b == b' ' {
            continue;
        }
        let c = match b {
            b'D' | b'd' => b'E',
            b'0'..=b'9' | b'+' | b'-' | b'.' | b'E' | b'e' => b,
            _ => return None,
        };
        *buf.get_mut(n)? = c;
        n += 1;
    }
    let s = std::str::from_utf8(buf.get(..n)?).ok()?;
    if s.is_empty() {
        return None;
    }
    let v = s.parse::<f64>().ok().or_else(|| {
        // `1.E` or `5.` style leftovers: strip a dangling exponent marker.
        s.strip_suffix('E').and_then(|t| t.parse::<f64>().ok())
    })?;
    v.is_finite().then_some(v)
}

/// Splits `data` into fields. Stops at the first record delimiter outside a Hollerith string;
/// at most `max_fields` fields are produced (the rest is ignored and reported as truncation by
/// the caller, which knows its limits).
pub fn parse_params(
    data: &[u8],
    pdelim: u8,
    rdelim: u8,
    max_fields: usize,
) -> (Vec<Param>, ParseNotes) {
    let mut out = Vec::new();
    let mut notes = ParseNotes::default();
    let mut i = 0usize;
    let len = data.len();
    let mut ended = false;
    while i <= len && out.len() < max_fields {
        // Skip leading blanks of the field.
        while i < len && data.get(i) == Some(&b' ') {
            i += 1;
        }
        let start = i;
        // A Hollerith string: digits then 'H'.
        let mut j = i;
        while j < len && data.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > start && matches!(data.get(j), Some(b'H') | Some(b'h')) {
            let count = std::str::from_utf8(data.get(start..j).unwrap_or_default())
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0);
            let text_start = j + 1;
            let text_end = text_start.saturating_add(count).min(len);
            if text_start.saturating_add(count) > len {
                notes.hollerith_truncated = true;
            }
            let text = data.get(text_start..text_end).unwrap_or_default();
            out.push(Param::Text(String::from_utf8_lossy(text).into_owned()));
            // Expect a delimiter next (blanks allowed).
            let mut k = text_end;
            while k < len && data.get(k) == Some(&b' ') {
                k += 1;
            }
            if k < len && data.get(k) != Some(&pdelim) && data.get(k) != Some(&rdelim) {
                notes.hollerith_overrun.push(out.len());
                while k < len && data.get(k) != Some(&pdelim) && data.get(k) != Some(&rdelim) {
                    k += 1;
                }
            }
            match data.get(k) {
                Some(&c) if c == rdelim => {
                    ended = true;
                    break;
                }
                Some(_) => i = k + 1,
                None => break,
            }
            continue;
        }
        // A plain field up to the next delimiter.
        let mut k = start;
        while k < len && data.get(k) != Some(&pdelim) && data.get(k) != Some(&rdelim) {
            k += 1;
        }
        let raw = data.get(start..k).unwrap_or_default();
        let trimmed = trim(raw);
        let p = if trimmed.is_empty() {
            Param::Empty
        } else if let Some(v) = parse_number(trimmed) {
            Param::Num(v)
        } else {
            Param::Bad(String::from_utf8_lossy(trimmed).into_owned())
        };
        match data.get(k) {
            Some(&c) if c == rdelim => {
                out.push(p);
                ended = true;
                break;
            }
            Some(_) => {
                out.push(p);
                i = k + 1;
            }
            None => {
                if !trimmed.is_empty() {
                    out.push(p);
                }
                break;
            }
        }
    }
    notes.unterminated = !ended && out.len() < max_fields;
    (out, notes)
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s.iter().position(|&b| b != b' ').unwrap_or(s.len());
    let b = s.iter().rposition(|&b| b != b' ').map_or(a, |p| p + 1);
    s.get(a..b).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"1.0D0"), Some(1.0));
        assert_eq!(parse_number(b" -2.5d+1 "), Some(-25.0));
        assert_eq!(parse_number(b"1.E-6"), Some(1e-6));
        assert_eq!(parse_number(b"42"), Some(42.0));
        assert_eq!(parse_number(b"1.E"), Some(1.0));
        assert_eq!(parse_number(b"MM"), None);
        assert_eq!(parse_number(b"1e999"), None);
    }

    #[test]
    fn fields_and_hollerith() {
        let (p, n) = parse_params(b"110,1.,2.0D0,,3H,;x,-7;junk", b',', b';', 100);
        assert_eq!(
            p,
            vec![
                Param::Num(110.0),
                Param::Num(1.0),
                Param::Num(2.0),
                Param::Empty,
                Param::Text(",;x".into()),
                Param::Num(-7.0),
            ]
        );
        assert!(!n.unterminated);
        let (p, n) = parse_params(b"5Habc", b',', b';', 100);
        assert_eq!(p, vec![Param::Text("abc".into())]);
        assert!(n.hollerith_truncated && n.unterminated);
        let (p, n) = parse_params(b"2Habcd,1;", b',', b';', 100);
        assert_eq!(p, vec![Param::Text("ab".into()), Param::Num(1.0)]);
        assert_eq!(n.hollerith_overrun, vec![1]);
    }
}
