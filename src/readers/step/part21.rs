//! The Part-21 layer: a fast scanner that splits an ISO 10303-21 file into statements, and a
//! parser that turns one entity instance into untyped [`Value`]s on demand.
//!
//! The scanner ([`scan`]) walks the raw bytes once. It never decodes text (Latin-1 or UTF-8
//! bytes inside strings are fine), skips `/* … */` comments and `'…'` strings (with `''`
//! escapes) and tracks the parenthesis depth so that hostile nesting is refused with
//! [`LimitKind::Nesting`] before any parse. It records, for each `#id = …;` instance, where
//! its body lies; nothing else is allocated per entity. Parameters are parsed lazily by
//! [`Table::entity`] with an explicit stack (no recursion that input can deepen).
//!
//! Handled syntax: case-insensitive keywords, complex instances `#1=(A(…) B(…))`, typed
//! parameters `LENGTH_MEASURE(1.)`, `$`, `*`, enumerations `.T.`, binaries `"…"`, several DATA
//! sections. Numbers that overflow `f64` (`1.E999`) are a malformed-input error at the entity
//! that holds them; integers beyond `i64` are read as reals.

use std::collections::HashMap;

use crate::error::{Error, LimitKind, Location, Result};
use crate::format::Format;
use crate::limits::Limits;

/// One parameter value of an entity instance.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `$`: not given.
    Null,
    /// `*`: derived.
    Derived,
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A string, raw bytes between the quotes (escapes not decoded, see [`decode_string`]).
    Str(&'a [u8]),
    /// An enumeration value without the dots, e.g. `T`, `MILLI`.
    Enum(&'a [u8]),
    /// A binary `"…"`, raw.
    Binary(&'a [u8]),
    /// A reference `#id`.
    Ref(u64),
    /// A list `( … )`.
    List(Vec<Value<'a>>),
    /// A typed parameter `NAME( … )`.
    Typed(&'a [u8], Vec<Value<'a>>),
}

impl<'a> Value<'a> {
    /// The value as a real (integers convert; a typed parameter yields its single argument).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Real(r) => Some(*r),
            Value::Int(i) => Some(*i as f64),
            Value::Typed(_, args) if args.len() == 1 => args.first()?.as_f64(),
            _ => None,
        }
    }
    /// The value as an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Some(*r as i64),
            _ => None,
        }
    }
    /// The referenced instance name.
    pub fn as_ref_id(&self) -> Option<u64> {
        match self {
            Value::Ref(r) => Some(*r),
            _ => None,
        }
    }
    /// The list items.
    pub fn as_list(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    /// An enumeration's text.
    pub fn as_enum(&self) -> Option<&'a [u8]> {
        match self {
            Value::Enum(e) => Some(e),
            _ => None,
        }
    }
    /// A boolean / logical enumeration: `.T.` → true, `.F.` → false, others → `None`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_enum()? {
            b"T" | b"t" => Some(true),
            b"F" | b"f" => Some(false),
            _ => None,
        }
    }
    /// A string's raw bytes.
    pub fn as_str_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// One partial record: a type name and its parameters. A simple instance has one, a complex
/// instance `(A(…) B(…))` several.
#[derive(Debug, Clone, PartialEq)]
pub struct Part<'a> {
    /// The type name as written (compare with [`eq_ignore_ascii_case`](slice::eq_ignore_ascii_case)).
    pub name: &'a [u8],
    /// The parameters.
    pub params: Vec<Value<'a>>,
}

/// A parsed entity instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity<'a> {
    /// Instance name (`#id`).
    pub id: u64,
    /// The partial records (one for a simple instance).
    pub parts: Vec<Part<'a>>,
}

impl<'a> Entity<'a> {
    /// True for a complex instance.
    pub fn is_complex(&self) -> bool {
        self.parts.len() != 1
    }
    /// The partial record named `name` (case-insensitive).
    pub fn part(&self, name: &str) -> Option<&Part<'a>> {
        self.parts
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.as_bytes()))
    }
    /// True when the instance is (or, for a complex instance, has a part) of type `name`.
    pub fn is(&self, name: &str) -> bool {
        self.part(name).is_some()
    }
    /// The type name of a simple instance (upper-cased); for a complex one, its part names
    /// joined with `+`.
    pub fn type_name(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                s.push('+');
            }
            s.push_str(&String::from_utf8_lossy(p.name).to_ascii_uppercase());
        }
        s
    }
    /// Parameters of a simple instance (of the first part of a complex one).
    pub fn params(&self) -> &[Value<'a>] {
        self.parts.first().map_or(&[], |p| &p.params)
    }
}

/// Where one entity instance lies in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Instance name.
    pub id: u64,
    /// Byte offset of the `#`.
    pub start: usize,
    /// Byte offset of the body (after `=`).
    pub body: usize,
    /// Byte offset of the terminating `;`.
    pub end: usize,
}

/// The result of [`scan`]: header statements and data records, not yet parsed.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    /// The whole input.
    pub bytes: &'a [u8],
    /// Header entities (`FILE_NAME(…)` …) as byte ranges `(start, end)` of the statement.
    pub header: Vec<(usize, usize)>,
    /// Data instances in file order.
    pub records: Vec<Record>,
    index: Index,
    /// Instance names defined more than once (the first definition is kept).
    pub duplicates: Vec<u64>,
    max_nesting: u32,
}

/// Instance name → record position: a direct table when names are dense (the usual case,
/// `#1`…`#n`), a hash map otherwise. The first definition of a duplicated name wins.
#[derive(Debug, Clone)]
struct Index {
    dense: Vec<u32>,
    sparse: HashMap<u64, u32>,
    duplicates: Vec<u64>,
}

impl Index {
    const NONE: u32 = u32::MAX;

    fn build(records: &[Record]) -> Index {
        let max = records.iter().map(|r| r.id).max().unwrap_or(0);
        let mut ix = Index {
            dense: Vec::new(),
            sparse: HashMap::new(),
            duplicates: Vec::new(),
        };
        let dense_ok = max
            <= (records.len() as u64)
                .saturating_mul(4)
                .saturating_add(1024);
        if dense_ok {
            ix.dense = vec![Self::NONE; max as usize + 1];
            for (i, r) in records.iter().enumerate() {
                if let Some(slot) = ix.dense.get_mut(r.id as usize) {
                    if *slot == Self::NONE {
                        *slot = i as u32;
                    } else {
                        ix.duplicates.push(r.id);
                    }
                }
            }
        } else {
            ix.sparse.reserve(records.len());
            for (i, r) in records.iter().enumerate() {
                match ix.sparse.entry(r.id) {
                    std::collections::hash_map::Entry::Occupied(_) => ix.duplicates.push(r.id),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(i as u32);
                    }
                }
            }
        }
        ix
    }

    #[inline]
    fn get(&self, id: u64) -> Option<u32> {
        if self.dense.is_empty() {
            self.sparse.get(&id).copied()
        } else {
            usize::try_from(id)
                .ok()
                .and_then(|i| self.dense.get(i))
                .copied()
                .filter(|&v| v != Self::NONE)
        }
    }
}

/// 1-based line number of byte `offset`.
pub fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    memchr::memchr_iter(b'\n', bytes.get(..end).unwrap_or(&[])).count() as u64 + 1
}

fn malformed_at(bytes: &[u8], offset: usize, msg: impl Into<String>) -> Error {
    Error::malformed(Format::Step, Location::Line(line_of(bytes, offset)), msg)
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0c | 0x0b)
}

/// Skips whitespace and comments from `pos`; returns the new position (may be `len`).
fn skip_ws(bytes: &[u8], mut pos: usize) -> Result<usize> {
    loop {
        while pos < bytes.len() && bytes.get(pos).is_some_and(|&b| is_ws(b)) {
            pos += 1;
        }
        if bytes.get(pos) == Some(&b'/') && bytes.get(pos + 1) == Some(&b'*') {
            match memchr::memmem::find(bytes.get(pos + 2..).unwrap_or(&[]), b"*/") {
                Some(k) => pos = pos + 2 + k + 2,
                None => return Err(malformed_at(bytes, pos, "unterminated comment")),
            }
        } else {
            return Ok(pos);
        }
    }
}

/// Bytes the statement scanner must look at; everything else is skipped in a tight loop.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'\'' as usize] = true;
    t[b'"' as usize] = true;
    t[b'/' as usize] = true;
    t[b'(' as usize] = true;
    t[b')' as usize] = true;
    t[b';' as usize] = true;
    t
};

/// Finds the end of the statement starting at `pos`: the offset of its top-level `;`.
/// Checks the parenthesis depth against `max_nesting`.
fn statement_end(bytes: &[u8], mut pos: usize, max_nesting: u32) -> Result<usize> {
    let start = pos;
    let mut depth: u32 = 0;
    let len = bytes.len();
    while pos < len {
        // Skip ordinary bytes through a lookup table (most of a file).
        while pos < len && !SPECIAL[bytes[pos] as usize] {
            pos += 1;
        }
        let Some(&b) = bytes.get(pos) else { break };
        match b {
            b'\'' => {
                // String: find the closing quote that is not doubled.
                let mut p = pos + 1;
                loop {
                    match memchr::memchr(b'\'', bytes.get(p..).unwrap_or(&[])) {
                        Some(k) => {
                            let q = p + k;
                            if bytes.get(q + 1) == Some(&b'\'') {
                                p = q + 2;
                            } else {
                                pos = q;
                                break;
                            }
                        }
                        None => {
                            return Err(malformed_at(
                                bytes,
                                pos,
                                "unterminated string (truncated file?)",
                            ));
                        }
                    }
                }
            }
            b'"' => match memchr::memchr(b'"', bytes.get(pos + 1..).unwrap_or(&[])) {
                Some(k) => pos = pos + 1 + k,
                None => return Err(malformed_at(bytes, pos, "unterminated binary")),
            },
            b'/' if bytes.get(pos + 1) == Some(&b'*') => {
                match memchr::memmem::find(bytes.get(pos + 2..).unwrap_or(&[]), b"*/") {
                    Some(k) => pos = pos + 2 + k + 1,
                    None => return Err(malformed_at(bytes, pos, "unterminated comment")),
                }
            }
            b'(' => {
                depth += 1;
                if depth > max_nesting {
                    return Err(Error::LimitExceeded {
                        limit: LimitKind::Nesting,
                        actual: u64::from(depth),
                        max: u64::from(max_nesting),
                    });
                }
            }
            b')' => {
                if depth == 0 {
                    return Err(malformed_at(bytes, pos, "unbalanced ')'"));
                }
                depth -= 1;
            }
            b';' => {
                if depth == 0 {
                    return Ok(pos);
                }
                return Err(malformed_at(
                    bytes,
                    pos,
                    "';' inside a parameter list (unbalanced parentheses)",
                ));
            }
            _ => {}
        }
        pos += 1;
    }
    Err(malformed_at(
        bytes,
        start,
        "unexpected end of file inside a statement (truncated file?)",
    ))
}

fn keyword_end(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&b) = bytes.get(pos) {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            pos += 1;
        } else {
            break;
        }
    }
    pos
}

#[derive(PartialEq, Clone, Copy)]
enum Section {
    None,
    Header,
    Data,
}

/// Scans a Part-21 file: finds the header statements and every data instance, checks nesting
/// and the entity count against `limits`. Never parses parameters.
pub fn scan<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Table<'a>> {
    let max_nesting = limits.max_nesting;
    let mut header = Vec::new();
    let cap = (bytes.len() / 64).min(usize::try_from(limits.max_entities).unwrap_or(usize::MAX));
    let mut records: Vec<Record> = Vec::with_capacity(cap);
    let mut section = Section::None;
    let mut saw_data = false;
    let mut saw_end = false;
    // A UTF-8 byte-order mark is tolerated.
    let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let mut pos = skip_ws(bytes, start)?;
    while pos < bytes.len() {
        let end = statement_end(bytes, pos, max_nesting)?;
        let first = bytes.get(pos).copied().unwrap_or(b';');
        if first == b'#' {
            if section != Section::Data {
                return Err(malformed_at(
                    bytes,
                    pos,
                    "entity instance outside a DATA section",
                ));
            }
            // #digits ws = body
            let mut p = pos + 1;
            let mut id: u64 = 0;
            let digits_start = p;
            while let Some(&d) = bytes.get(p) {
                if d.is_ascii_digit() {
                    id = id
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(d - b'0')))
                        .ok_or_else(|| malformed_at(bytes, pos, "instance name too large"))?;
                    p += 1;
                } else {
                    break;
                }
            }
            if p == digits_start {
                return Err(malformed_at(bytes, pos, "'#' without an instance number"));
            }
            p = skip_ws(bytes, p)?;
            if bytes.get(p) != Some(&b'=') {
                return Err(malformed_at(bytes, pos, "expected '=' after instance name"));
            }
            let body = p + 1;
            if records.len() as u64 >= limits.max_entities {
                limits.check(LimitKind::Entities, records.len() as u64 + 1)?;
            }
            records.push(Record {
                id,
                start: pos,
                body,
                end,
            });
        } else {
            let kend = keyword_end(bytes, pos);
            let kw = bytes.get(pos..kend).unwrap_or(&[]);
            if kw.eq_ignore_ascii_case(b"ISO-10303-21") {
            } else if kw.eq_ignore_ascii_case(b"HEADER") {
                section = Section::Header;
            } else if kw.eq_ignore_ascii_case(b"DATA") {
                section = Section::Data;
                saw_data = true;
            } else if kw.eq_ignore_ascii_case(b"ENDSEC") {
                section = Section::None;
            } else if kw.eq_ignore_ascii_case(b"END-ISO-10303-21") {
                saw_end = true;
                break;
            } else if section == Section::Header && !kw.is_empty() {
                header.push((pos, end));
            } else {
                return Err(malformed_at(
                    bytes,
                    pos,
                    format!(
                        "unexpected statement {:?}",
                        String::from_utf8_lossy(kw.get(..kw.len().min(40)).unwrap_or(&[]))
                    ),
                ));
            }
        }
        pos = skip_ws(bytes, end + 1)?;
    }
    if !saw_data {
        return Err(malformed_at(bytes, bytes.len(), "no DATA section"));
    }
    if section == Section::Data || !saw_end {
        return Err(malformed_at(
            bytes,
            bytes.len(),
            "file ends without ENDSEC / END-ISO-10303-21 (truncated file?)",
        ));
    }
    let index = Index::build(&records);
    let duplicates = index.duplicates.clone();
    Ok(Table {
        bytes,
        header,
        records,
        index,
        duplicates,
        max_nesting,
    })
}

impl<'a> Table<'a> {
    /// The record of instance `#id`.
    pub fn record(&self, id: u64) -> Option<&Record> {
        self.records.get(self.index.get(id)? as usize)
    }

    /// True when `#id` exists.
    pub fn contains(&self, id: u64) -> bool {
        self.index.get(id).is_some()
    }

    /// Parses instance `#id`. A dangling reference is a malformed-input error.
    pub fn entity(&self, id: u64) -> Result<Entity<'a>> {
        let r = self.record(id).ok_or_else(|| {
            Error::malformed(
                Format::Step,
                Location::Entity(id),
                format!("reference to #{id}, which does not exist"),
            )
        })?;
        self.parse_record(r)
    }

    /// Parses one record.
    pub fn parse_record(&self, r: &Record) -> Result<Entity<'a>> {
        let body = self.bytes.get(r.body..r.end).unwrap_or(&[]);
        let parts = parse_body(body, self.max_nesting)
            .map_err(|msg| Error::malformed(Format::Step, Location::Entity(r.id), msg))?;
        Ok(Entity { id: r.id, parts })
    }

    /// The upper-cased type name(s) of a record without parsing its parameters: one name for a
    /// simple instance, each part name for a complex one.
    pub fn type_names(&self, r: &Record, out: &mut Vec<&'a [u8]>) {
        out.clear();
        let bytes = self.bytes;
        let Ok(mut p) = skip_ws(bytes, r.body) else {
            return;
        };
        if bytes.get(p) == Some(&b'(') {
            // Complex: NAME ( ... ) NAME ( ... ) )
            p += 1;
            loop {
                let Ok(q) = skip_ws(bytes, p) else { return };
                p = q;
                let k = keyword_end(bytes, p);
                if k == p || p >= r.end {
                    return;
                }
                out.push(bytes.get(p..k).unwrap_or(&[]));
                // Skip the balanced parameter list.
                let Ok(q) = skip_ws(bytes, k) else { return };
                if bytes.get(q) != Some(&b'(') {
                    return;
                }
                let mut depth = 0usize;
                let mut i = q;
                while i < r.end {
                    match bytes.get(i) {
                        Some(b'\'') => {
                            i += 1;
                            while i < r.end {
                                if bytes.get(i) == Some(&b'\'') {
                                    if bytes.get(i + 1) == Some(&b'\'') {
                                        i += 1;
                                    } else {
                                        break;
                                    }
                                }
                                i += 1;
                            }
                        }
                        Some(b'(') => depth += 1,
                        Some(b')') => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                p = i + 1;
            }
        } else {
            let k = keyword_end(bytes, p);
            if k > p {
                out.push(bytes.get(p..k).unwrap_or(&[]));
            }
        }
    }

    /// Parses the header statements into entities (id 0).
    pub fn header_entities(&self) -> Vec<Entity<'a>> {
        self.header
            .iter()
            .filter_map(|&(s, e)| {
                let parts = parse_body(self.bytes.get(s..e)?, self.max_nesting).ok()?;
                Some(Entity { id: 0, parts })
            })
            .collect()
    }
}

/// Parses an instance body (`NAME(…)` or `(A(…) B(…))`) into parts.
fn parse_body(body: &[u8], max_nesting: u32) -> std::result::Result<Vec<Part<'_>>, String> {
    let mut p = skip_ws_plain(body, 0);
    let mut parts = Vec::new();
    if body.get(p) == Some(&b'(') {
        p += 1;
        loop {
            p = skip_ws_plain(body, p);
            match body.get(p) {
                Some(b')') => {
                    p += 1;
                    break;
                }
                Some(_) => {
                    let (part, q) = parse_part(body, p, max_nesting)?;
                    parts.push(part);
                    p = q;
                }
                None => return Err("unterminated complex instance".into()),
            }
        }
        if parts.is_empty() {
            return Err("empty complex instance".into());
        }
    } else {
        let (part, q) = parse_part(body, p, max_nesting)?;
        parts.push(part);
        p = q;
    }
    p = skip_ws_plain(body, p);
    if p < body.len() {
        return Err("unexpected text after the instance".into());
    }
    Ok(parts)
}

fn skip_ws_plain(bytes: &[u8], pos: usize) -> usize {
    skip_ws(bytes, pos).unwrap_or(bytes.len())
}

/// Parses `NAME ( params )` at `p`; returns the part and the position after `)`.
fn parse_part(
    body: &[u8],
    p: usize,
    max_nesting: u32,
) -> std::result::Result<(Part<'_>, usize), String> {
    let k = keyword_end(body, p);
    if k == p {
        return Err(format!(
            "expected an entity type name, found {:?}",
            body.get(p).map(|&b| b as char)
        ));
    }
    let name = body.get(p..k).unwrap_or(&[]);
    let q = skip_ws_plain(body, k);
    if body.get(q) != Some(&b'(') {
        return Err("expected '(' after the type name".into());
    }
    let (params, end) = parse_list(body, q, max_nesting)?;
    Ok((Part { name, params }, end))
}

/// Parses a parenthesised parameter list starting at `(` (offset `p`) with an explicit stack.
/// Returns the items and the position after the closing `)`.
fn parse_list(
    body: &[u8],
    p: usize,
    max_nesting: u32,
) -> std::result::Result<(Vec<Value<'_>>, usize), String> {
    // Each frame: items so far, and the typed-parameter name if the list is `NAME(…)`.
    let mut stack: Vec<(Vec<Value<'_>>, Option<&[u8]>)> = vec![(Vec::new(), None)];
    let mut pos = p + 1;
    loop {
        pos = skip_ws_plain(body, pos);
        let Some(&b) = body.get(pos) else {
            return Err("unterminated parameter list".into());
        };
        let value = match b {
            b',' => {
                pos += 1;
                continue;
            }
            b'(' => {
                if stack.len() >= max_nesting as usize {
                    return Err("parameter nesting too deep".into());
                }
                stack.push((Vec::new(), None));
                pos += 1;
                continue;
            }
            b')' => {
                pos += 1;
                let Some((items, typed)) = stack.pop() else {
                    return Err("unbalanced ')'".into());
                };
                let v = match typed {
                    Some(name) => Value::Typed(name, items),
                    None => Value::List(items),
                };
                match stack.last_mut() {
                    Some(parent) => {
                        parent.0.push(v);
                        continue;
                    }
                    None => {
                        let Value::List(items) = v else {
                            return Err("internal: typed top-level list".into());
                        };
                        return Ok((items, pos));
                    }
                }
            }
            b'$' => {
                pos += 1;
                Value::Null
            }
            b'*' => {
                pos += 1;
                Value::Derived
            }
            b'#' => {
                let mut q = pos + 1;
                let mut id: u64 = 0;
                while let Some(&d) = body.get(q) {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    id = id
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(d - b'0')))
                        .ok_or("reference number too large")?;
                    q += 1;
                }
                if q == pos + 1 {
                    return Err("'#' without a number".into());
                }
                pos = q;
                Value::Ref(id)
            }
            b'\'' => {
                let start = pos + 1;
                let mut q = start;
                loop {
                    match memchr::memchr(b'\'', body.get(q..).unwrap_or(&[])) {
                        Some(k) => {
                            let e = q + k;
                            if body.get(e + 1) == Some(&b'\'') {
                                q = e + 2;
                            } else {
                                pos = e + 1;
                                break Value::Str(body.get(start..e).unwrap_or(&[]));
                            }
                        }
                        None => return Err("unterminated string".into()),
                    }
                }
            }
            b'"' => {
                let start = pos + 1;
                let k = memchr::memchr(b'"', body.get(start..).unwrap_or(&[]))
                    .ok_or("unterminated binary")?;
                pos = start + k + 1;
                Value::Binary(body.get(start..start + k).unwrap_or(&[]))
            }
            b'.' if body
                .get(pos + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                let start = pos + 1;
                let k = memchr::memchr(b'.', body.get(start..).unwrap_or(&[]))
                    .ok_or("unterminated enumeration")?;
                pos = start + k + 1;
                Value::Enum(body.get(start..start + k).unwrap_or(&[]))
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => {
                let (v, q) = parse_number(body, pos)?;
                pos = q;
                v
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let k = keyword_end(body, pos);
                let name = body.get(pos..k).unwrap_or(&[]);
                let q = skip_ws_plain(body, k);
                if body.get(q) != Some(&b'(') {
                    return Err(format!(
                        "keyword {:?} not followed by '('",
                        String::from_utf8_lossy(name)
                    ));
                }
                if stack.len() >= max_nesting as usize {
                    return Err("parameter nesting too deep".into());
                }
                stack.push((Vec::new(), Some(name)));
                pos = q + 1;
                continue;
            }
            other => return Err(format!("unexpected character {:?}", other as char)),
        };
        match stack.last_mut() {
            Some(top) => top.0.push(value),
            None => return Err("value outside a list".into()),
        }
    }
}

fn parse_number(body: &[u8], start: usize) -> std::result::Result<(Value<'_>, usize), String> {
    let mut q = start;
    if matches!(body.get(q), Some(b'+' | b'-')) {
        q += 1;
    }
    let mut is_real = false;
    let mut digits = 0;
    while let Some(&c) = body.get(q) {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' => is_real = true,
            b'E' | b'e' => {
                is_real = true;
                if matches!(body.get(q + 1), Some(b'+' | b'-')) {
                    q += 1;
                }
            }
            _ => break,
        }
        q += 1;
    }
    let text = body.get(start..q).unwrap_or(&[]);
    if digits == 0 {
        return Err(format!("bad number {:?}", String::from_utf8_lossy(text)));
    }
    // ASCII only by construction.
    let s = std::str::from_utf8(text).map_err(|_| "bad number".to_string())?;
    if !is_real && let Ok(i) = s.parse::<i64>() {
        return Ok((Value::Int(i), q));
    }
    // STEP allows "1." and "1.E5"; Rust's parser accepts both.
    let r: f64 = s.parse().map_err(|_| format!("bad number {s:?}"))?;
    if !r.is_finite() {
        return Err(format!("number {s:?} is out of the f64 range"));
    }
    Ok((Value::Real(r), q))
}

/// Decodes a Part-21 string: `''` → `'`, `\\` → `\`, `\X2\…\X0\` (UTF-16 hex), `\X4\…\X0\`,
/// `\X\hh` (ISO 8859-1 byte), `\S\c` (high half of ISO 8859-1); other bytes are taken as
/// UTF-8, or ISO 8859-1 when they are not valid UTF-8.
pub fn decode_string(raw: &[u8]) -> String {
    let text: String = match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => raw.iter().map(|&b| b as char).collect(),
    };
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let hex =
        |s: &[u8]| -> Option<u32> { u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok() };
    while i < b.len() {
        let rest = b.get(i..).unwrap_or(&[]);
        if rest.starts_with(b"''") {
            out.push('\'');
            i += 2;
        } else if rest.starts_with(b"\\\\") {
            out.push('\\');
            i += 2;
        } else if rest.starts_with(b"\\X2\\") || rest.starts_with(b"\\X4\\") {
            let w = if rest.get(2) == Some(&b'2') { 4 } else { 8 };
            let mut j = i + 4;
            let mut units: Vec<u16> = Vec::new();
            let mut chars = String::new();
            while let Some(chunk) = b.get(j..j + w) {
                if chunk.first() == Some(&b'\\') {
                    break;
                }
                match hex(chunk) {
                    Some(v) if w == 4 => units.push(v as u16),
                    Some(v) => chars.extend(char::from_u32(v)),
                    None => break,
                }
                j += w;
            }
            out.push_str(&String::from_utf16_lossy(&units));
            out.push_str(&chars);
            if b.get(j..j + 4) == Some(b"\\X0\\") {
                j += 4;
            }
            i = j.max(i + 1);
        } else if rest.starts_with(b"\\X\\") && rest.len() >= 5 {
            match rest.get(3..5).and_then(hex) {
                Some(v) => {
                    out.extend(char::from_u32(v));
                    i += 5;
                }
                None => {
                    out.push('\\');
                    i += 1;
                }
            }
        } else if rest.starts_with(b"\\S\\") && rest.len() >= 4 {
            out.extend(
                rest.get(3)
                    .and_then(|&c| char::from_u32(u32::from(c) + 128)),
            );
            i += 4;
        } else {
            // Copy one UTF-8 character.
            let ch = text
                .get(i..)
                .and_then(|s| s.chars().next())
                .unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Result<Table<'_>> {
        scan(s.as_bytes(), &Limits::default())
    }

    const HEAD: &str = "ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('X'));\nENDSEC;\nDATA;\n";

    #[test]
    fn parses_simple_and_complex() {
        let src = format!(
            "{HEAD}#1=CARTESIAN_POINT('a''b',(0.,-1.5E2,3));\n#2=(A(1)B(#1,$,*,.T.,LENGTH_MEASURE(2.5),\"0F\"));\n/* c; */ #3 = x ( 'é;' ) ;\nENDSEC;\nEND-ISO-10303-21;\n"
        );
        let t = table(&src).unwrap();
        assert_eq!(t.records.len(), 3);
        let e1 = t.entity(1).unwrap();
        assert!(e1.is("cartesian_point"));
        assert_eq!(e1.params()[0], Value::Str(b"a''b"));
        assert_eq!(
            e1.params()[1],
            Value::List(vec![Value::Real(0.0), Value::Real(-150.0), Value::Int(3)])
        );
        let e2 = t.entity(2).unwrap();
        assert!(e2.is_complex());
        let b = e2.part("B").unwrap();
        assert_eq!(b.params[0], Value::Ref(1));
        assert_eq!(b.params[1], Value::Null);
        assert_eq!(b.params[2], Value::Derived);
        assert_eq!(b.params[3].as_bool(), Some(true));
        assert_eq!(b.params[4].as_f64(), Some(2.5));
        assert_eq!(b.params[5], Value::Binary(b"0F"));
        assert!(t.entity(3).unwrap().is("X"));
        assert_eq!(decode_string(b"a''b"), "a'b");
        assert_eq!(decode_string(b"\\X2\\041F0440\\X0\\"), "Пр");
        // Raw Latin-1 bytes (not UTF-8) inside a string: scanned as bytes, decoded as ISO 8859-1.
        assert_eq!(decode_string(b"caf\xe9"), "café");
        assert_eq!(decode_string(b"\\X\\E9t\\S\\i"), "été");
        let latin = [
            HEAD.as_bytes(),
            b"#1=A('caf\xe9');\nENDSEC;\nEND-ISO-10303-21;\n",
        ]
        .concat();
        let t = scan(&latin, &Limits::default()).unwrap();
        assert_eq!(t.entity(1).unwrap().params()[0], Value::Str(b"caf\xe9"));
    }

    #[test]
    fn duplicate_names_keep_the_first() {
        let src = format!("{HEAD}#5=A(1);\n#5=B(2);\n#9=C(#5);\nENDSEC;\nEND-ISO-10303-21;\n");
        let t = table(&src).unwrap();
        assert_eq!(t.duplicates, vec![5]);
        assert!(t.entity(5).unwrap().is("A"));
        // Sparse names use the hash index.
        let src = format!("{HEAD}#1=A(1);\n#900000=B(2);\nENDSEC;\nEND-ISO-10303-21;\n");
        let t = table(&src).unwrap();
        assert!(t.entity(900_000).unwrap().is("B"));
        assert!(t.entity(2).is_err());
    }

    #[test]
    fn hostile_inputs_are_typed_errors() {
        let deep = format!(
            "{HEAD}#1=A({}{});\nENDSEC;\nEND-ISO-10303-21;\n",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert!(matches!(
            table(&deep),
            Err(Error::LimitExceeded {
                limit: LimitKind::Nesting,
                ..
            })
        ));
        let trunc = format!("{HEAD}#1=A(1.5");
        assert!(matches!(
            table(&trunc),
            Err(Error::Malformed {
                location: Location::Line(6),
                ..
            })
        ));
        let big = format!("{HEAD}#1=A(1.E999);\nENDSEC;\nEND-ISO-10303-21;\n");
        let t = table(&big).unwrap();
        assert!(matches!(
            t.entity(1),
            Err(Error::Malformed {
                location: Location::Entity(1),
                ..
            })
        ));
        assert!(matches!(
            t.entity(7),
            Err(Error::Malformed {
                location: Location::Entity(7),
                ..
            })
        ));
        let nodata = "ISO-10303-21;\nHEADER;\nENDSEC;\nEND-ISO-10303-21;\n";
        assert!(matches!(table(nodata), Err(Error::Malformed { .. })));
        let id = format!("{HEAD}#2147483648=A(#2147483648);\nENDSEC;\nEND-ISO-10303-21;\n");
        let t = table(&id).unwrap();
        assert_eq!(
            t.entity(2_147_483_648).unwrap().params()[0],
            Value::Ref(2_147_483_648)
        );
    }
}
