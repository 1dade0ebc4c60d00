//! The fixed-column record layer: 80-byte lines sorted into the Start (S), Global (G),
//! Directory (D), Parameter (P) and Terminate (T) sections.
//!
//! Each record has its section letter in column 73 and a sequence number in columns 74–80.
//! Lines may end in LF or CRLF, may have lost their trailing blanks, or may not be terminated at
//! all (one long line: the records are then cut every 80 bytes). The Global section is parsed
//! here too: its first two fields define the parameter and record delimiters.

use crate::document::LengthUnit;
use crate::error::{Error, LimitKind, Result};
use crate::format::Format;
use crate::limits::Limits;

use super::params::{Param, parse_params};

/// One record: its 1-based line number in the file and its bytes (without line ending).
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// 1-based line (or 80-byte record) number in the file.
    pub line: u64,
    /// The record's bytes.
    pub bytes: &'a [u8],
}

impl<'a> Record<'a> {
    /// Columns `from..to` (0-based, end exclusive), clipped to the record.
    pub fn cols(&self, from: usize, to: usize) -> &'a [u8] {
        let end = to.min(self.bytes.len());
        self.bytes.get(from.min(end)..end).unwrap_or_default()
    }

    /// The section letter in column 73.
    pub fn section(&self) -> Option<u8> {
        self.bytes.get(72).copied()
    }
}

/// The records of each section, in file order.
#[derive(Debug, Default)]
pub struct Sections<'a> {
    /// Start section.
    pub start: Vec<Record<'a>>,
    /// Global section.
    pub global: Vec<Record<'a>>,
    /// Directory entry section (two records per entry).
    pub directory: Vec<Record<'a>>,
    /// Parameter data section.
    pub parameter: Vec<Record<'a>>,
    /// Whether a Terminate record was seen.
    pub terminated: bool,
    /// True when the file was one long unterminated line cut into 80-byte records.
    pub unterminated_lines: bool,
    /// Records whose column 73 holds no known section letter (ignored).
    pub stray: u64,
}

fn err(line: u64, msg: impl Into<String>) -> Error {
    Error::malformed(Format::Iges, crate::error::Location::Line(line), msg)
}

/// Splits the file into records and sections.
pub fn split<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Sections<'a>> {
    let mut lines: Vec<&[u8]> = Vec::new();
    let first_nl = memchr::memchr(b'\n', bytes);
    let first_len = first_nl.map_or(bytes.len(), |p| {
        if p > 0 && bytes.get(p - 1) == Some(&b'\r') {
            p - 1
        } else {
            p
        }
    });
    let unterminated = first_len > 82;
    if unterminated {
        // No usable line structure: fixed 80-byte records (a final newline is tolerated).
        let body = match bytes.iter().rposition(|b| !b.is_ascii_whitespace()) {
            Some(last) => bytes.get(..=last).unwrap_or_default(),
            None => &[][..],
        };
        lines.extend(body.chunks(80));
    } else {
        for l in bytes.split(|&b| b == b'\n') {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            lines.push(l);
        }
    }
    limits.check(LimitKind::Entities, (lines.len() / 2) as u64)?;
    let mut s = Sections {
        unterminated_lines: unterminated,
        ..Sections::default()
    };
    for (i, l) in lines.into_iter().enumerate() {
        let rec = Record {
            line: i as u64 + 1,
            bytes: l,
        };
        if l.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match rec.section() {
            Some(b'S') => s.start.push(rec),
            Some(b'G') => s.global.push(rec),
            Some(b'D') => s.directory.push(rec),
            Some(b'P') => s.parameter.push(rec),
            Some(b'T') => s.terminated = true,
            Some(b'C') if i == 0 => {
                return Err(Error::Unsupported {
                    format: Format::Iges,
                    message: "compressed IGES (C section) is not supported".into(),
                });
            }
            _ if s.global.is_empty() && s.start.is_empty() && i < 3 => {
                return Err(err(
                    rec.line,
                    "not a fixed-format IGES file: no section letter in column 73",
                ));
            }
            _ => s.stray += 1,
        }
    }
    if s.directory.is_empty() && s.global.is_empty() {
        return Err(err(1, "no Global or Directory section"));
    }
    Ok(s)
}

/// Facts from the Global section.
#[derive(Debug, Clone)]
pub struct Global {
    /// Parameter delimiter (field 1).
    pub pdelim: u8,
    /// Record delimiter (field 2).
    pub rdelim: u8,
    /// Sending system product id (field 3).
    pub product_id: String,
    /// File name (field 4).
    pub file_name: String,
    /// Native system id (field 5).
    pub sending_system: String,
    /// Preprocessor version (field 6).
    pub preprocessor: String,
    /// Model space scale (field 13).
    pub model_scale: f64,
    /// Unit flag as written (field 14), `None` when missing or not an integer.
    pub unit_flag: Option<i64>,
    /// Unit name (field 15).
    pub unit_name: String,
    /// IGES version code (field 23).
    pub version: Option<i64>,
    /// The unit the reader settled on.
    pub unit: LengthUnit,
    /// Millimetres per file unit.
    pub to_mm: f64,
    /// What was odd about the Global section.
    pub warnings: Vec<String>,
}

/// The IGES version name of a version code (field 23).
pub fn version_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "1.0",
        2 => "ANSI Y14.26M-1981",
        3 => "2.0",
        4 => "3.0",
        5 => "ASME/ANSI Y14.26M-1987",
        6 => "4.0",
        7 => "ASME Y14.26M-1989",
        8 => "5.0",
        9 => "5.1",
        10 => "5.2",
        11 => "5.3",
        _ => return None,
    })
}

/// The unit of a unit flag (field 14): `(unit, mm per unit)`.
pub fn unit_of_flag(flag: i64) -> Option<(LengthUnit, f64)> {
    Some(match flag {
        1 => (LengthUnit::Inch, 25.4),
        2 => (LengthUnit::Millimetre, 1.0),
        4 => (LengthUnit::Foot, 304.8),
        5 => (LengthUnit::Other(1_609_344.0), 1_609_344.0),
        6 => (LengthUnit::Metre, 1000.0),
        7 => (LengthUnit::Other(1_000_000.0), 1_000_000.0),
        8 => (LengthUnit::Other(0.0254), 0.0254),
        9 => (LengthUnit::Micrometre, 0.001),
        10 => (LengthUnit::Centimetre, 10.0),
        11 => (LengthUnit::Other(0.0000254), 0.0000254),
        _ => return None,
    })
}

/// The unit flag of a unit name (field 15), as listed in IGES 5.3 §2.2.4.3.15.
pub fn flag_of_name(name: &str) -> Option<i64> {
    let n = name.trim().to_ascii_uppercase();
    Some(match n.as_str() {
        "IN" | "INCH" | "INCHES" => 1,
        "MM" | "MILLIMETER" | "MILLIMETRE" => 2,
        "FT" | "FOOT" | "FEET" => 4,
        "MI" | "MILE" => 5,
        "M" | "METER" | "METRE" => 6,
        "KM" => 7,
        "MIL" => 8,
        "UM" | "MICRON" => 9,
        "CM" => 10,
        "UIN" => 11,
        _ => return None,
    })
}

/// Parses the Global section. Never fails: a missing or malformed section gives IGES defaults
/// (inch, as the standard and OpenCascade assume) with warnings.
pub fn parse_global(records: &[Record<'_>]) -> Global {
    let mut data = Vec::with_capacity(records.len() * 72);
    for r in records {
        data.extend_from_slice(r.cols(0, 72));
        // Records that lost trailing blanks: pad so Hollerith counts stay aligned.
        let got = r.cols(0, 72).len();
        data.extend(std::iter::repeat_n(b' ', 72 - got));
    }
    let mut warnings = Vec::new();
    let lead = data.iter().position(|&b| b != b' ').unwrap_or(data.len());
    let rest = data.get(lead..).unwrap_or_default();
    let (pdelim, after) = match rest {
        [b'1', b'H' | b'h', c, tail @ ..] => (*c, tail),
        _ => (b',', rest),
    };
    // `after` starts at the delimiter that ends field 1 (or at field 2 if field 1 was empty).
    let after_field1 = after
        .iter()
        .position(|&b| b != b' ')
        .and_then(|p| after.get(p + 1..))
        .unwrap_or_default();
    let rdelim = match after_field1
        .iter()
        .position(|&b| b != b' ')
        .and_then(|p| after_field1.get(p..))
    {
        Some([b'1', b'H' | b'h', c, ..]) => *c,
        _ => b';',
    };
    if pdelim == rdelim || pdelim == b' ' || rdelim == b' ' {
        warnings.push(format!(
            "invalid delimiters {:?}/{:?} in the Global section; using ',' and ';'",
            pdelim as char, rdelim as char
        ));
    }
    let (pdelim, rdelim) = if pdelim == rdelim || pdelim == b' ' || rdelim == b' ' {
        (b',', b';')
    } else {
        (pdelim, rdelim)
    };
    let (fields, notes) = parse_params(rest, pdelim, rdelim, 64);
    for f in &notes.hollerith_overrun {
        warnings.push(format!(
            "Global field {f}: a Hollerith string is not followed by a delimiter (its count does not match its text); the text up to the next delimiter was dropped and the later fields taken as they fall, like OpenCascade"
        ));
    }
    if notes.hollerith_truncated {
        warnings.push("Global section: a Hollerith string runs past the end".into());
    }
    if records.is_empty() {
        warnings.push("no Global section; IGES defaults assumed".into());
    }
    let get = |i: usize| fields.get(i - 1).unwrap_or(&Param::Empty);
    let text = |i: usize| get(i).text().unwrap_or_default().trim().to_string();
    let int = |i: usize| get(i).num().filter(|v| v.fract() == 0.0).map(|v| v as i64);
    let model_scale = get(13).num().filter(|v| *v > 0.0).unwrap_or(1.0);
    let unit_flag = int(14);
    let unit_name = text(15);
    if unit_flag.is_none() {
        let found = match get(14) {
            Param::Empty => "nothing".to_string(),
            Param::Num(v) => v.to_string(),
            Param::Text(s) | Param::Bad(s) => format!("{s:?}"),
        };
        warnings.push(format!(
            "Global field 14 (unit flag) holds {found}, not an integer; unit fields look out of place"
        ));
    }
    let (unit, to_mm) = match unit_flag {
        Some(3) => match flag_of_name(&unit_name).and_then(unit_of_flag) {
            Some(u) => u,
            None => {
                warnings.push(format!(
                    "unit flag 3 with unknown unit name {unit_name:?}; inch assumed (IGES default)"
                ));
                (LengthUnit::Inch, 25.4)
            }
        },
        Some(f) => match unit_of_flag(f) {
            Some(u) => {
                if let Some(nf) = flag_of_name(&unit_name)
                    && nf != f
                {
                    warnings.push(format!(
                        "unit flag {f} disagrees with unit name {unit_name:?}; the flag wins"
                    ));
                }
                u
            }
            None => {
                warnings.push(format!(
                    "invalid unit flag {f}; inch assumed (IGES default, as OpenCascade does)"
                ));
                (LengthUnit::Inch, 25.4)
            }
        },
        None => {
            warnings.push(
                "no valid unit flag; inch assumed (IGES default, as OpenCascade does)".into(),
            );
            (LengthUnit::Inch, 25.4)
        }
    };
    if (model_scale - 1.0).abs() > 1e-12 {
        warnings.push(format!(
            "model space scale {model_scale} recorded but not applied (as OpenCascade)"
        ));
    }
    Global {
        pdelim,
        rdelim,
        product_id: text(3),
        file_name: text(4),
        sending_system: text(5),
        preprocessor: text(6),
        model_scale,
        unit_flag,
        unit_name,
        version: int(23),
        unit,
        to_mm,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(lines: &[&'static str]) -> Vec<Record<'static>> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| Record {
                line: i as u64 + 1,
                bytes: l.as_bytes(),
            })
            .collect()
    }

    #[test]
    fn catia_global() {
        let g = parse_global(&recs(&[
            "1H,,1H;,20HCNEXT - IGES PRODUCT,14Hcone_CATIA.igs,44HIBM CATIA IGES - CAG      1",
            "TIA Version 5 Release 14 ,27HCATIA Version 5 Release 14 ,32,75,6,75,15, G      2",
            "5HPart1,1.0,2,2HMM,1000,1.0,15H20050408.142506,0.001,10000.0,13HAdministG      3",
            "rator,8HVCAD-23B,11,0,15H20050408.142506,;                              G      4",
        ]));
        assert_eq!(
            g.sending_system,
            "IBM CATIA IGES - CATIA Version 5 Release 14"
        );
        assert_eq!(g.unit_flag, Some(2));
        assert_eq!(g.unit_name, "MM");
        assert_eq!(g.version, Some(11));
        assert_eq!(g.to_mm, 1.0);
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
    }

    #[test]
    fn custom_delimiters() {
        let g = parse_global(&recs(&[
            "1H//1H#/4Habcd/4Hfile/3Hsys/1H1/32/38/6/308/15/3Hxyz/1.0/6/1HM#",
        ]));
        assert_eq!((g.pdelim, g.rdelim), (b'/', b'#'));
        assert_eq!(g.sending_system, "sys");
        assert_eq!(g.unit, LengthUnit::Metre);
        assert_eq!(g.to_mm, 1000.0);
    }
}
