//! Length and plane-angle units of a geometric representation context.
//!
//! A STEP context names its units in `GLOBAL_UNIT_ASSIGNED_CONTEXT((…))`. A length unit is either
//! an `SI_UNIT(prefix, .METRE.)` (prefix `.MILLI.`, `.CENTI.`, `.KILO.`, … or `$`) or a
//! `CONVERSION_BASED_UNIT('INCH', #m)` where `#m = LENGTH_MEASURE_WITH_UNIT(LENGTH_MEASURE(25.4), #u)`
//! gives the size in another unit `#u` (followed to a bounded depth). Plane angles work the same
//! way (`.RADIAN.`, or `'DEGREE'` with its factor). Every length read from the file is
//! multiplied by [`Units::length_mm`]; every angle by [`Units::angle_rad`].

use super::graph::{err, first, get_ref};
use super::part21::{Entity, Table, Value};
use crate::document::LengthUnit;
use crate::error::Result;

/// The units of one representation context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Units {
    /// Millimetres per file length unit.
    pub length_mm: f64,
    /// Radians per file plane-angle unit.
    pub angle_rad: f64,
    /// True when the context declared a length unit.
    pub declared: bool,
}

impl Default for Units {
    fn default() -> Self {
        Units {
            length_mm: 1.0,
            angle_rad: 1.0,
            declared: false,
        }
    }
}

impl Units {
    /// The declared length unit as a [`LengthUnit`].
    pub fn length_unit(&self) -> LengthUnit {
        classify(self.length_mm)
    }
}

/// Maps a size in millimetres to a named unit when it is one (within 1e-6 relative).
pub fn classify(mm: f64) -> LengthUnit {
    let near = |x: f64| (mm - x).abs() <= 1e-6 * x;
    if near(1.0) {
        LengthUnit::Millimetre
    } else if near(10.0) {
        LengthUnit::Centimetre
    } else if near(1000.0) {
        LengthUnit::Metre
    } else if near(25.4) {
        LengthUnit::Inch
    } else if near(304.8) {
        LengthUnit::Foot
    } else if near(0.001) {
        LengthUnit::Micrometre
    } else {
        LengthUnit::Other(mm)
    }
}

fn prefix_factor(p: &[u8]) -> f64 {
    match p.to_ascii_uppercase().as_slice() {
        b"EXA" => 1e18,
        b"PETA" => 1e15,
        b"TERA" => 1e12,
        b"GIGA" => 1e9,
        b"MEGA" => 1e6,
        b"KILO" => 1e3,
        b"HECTO" => 1e2,
        b"DECA" => 1e1,
        b"DECI" => 1e-1,
        b"CENTI" => 1e-2,
        b"MILLI" => 1e-3,
        b"MICRO" => 1e-6,
        b"NANO" => 1e-9,
        b"PICO" => 1e-12,
        b"FEMTO" => 1e-15,
        b"ATTO" => 1e-18,
        _ => 1.0,
    }
}

/// What a unit entity measures, and its size in the base unit (mm for lengths, radians for
/// angles).
#[derive(Debug, Clone, Copy, PartialEq)]
enum UnitSize {
    Length(f64),
    Angle(f64),
    Other,
}

fn unit_size(t: &Table<'_>, id: u64, depth: u32) -> Result<UnitSize> {
    if depth > 8 {
        return Err(err(id, "unit definitions nest too deep (cycle?)"));
    }
    let e = t.entity(id)?;
    let is_len = e.is("LENGTH_UNIT");
    let is_ang = e.is("PLANE_ANGLE_UNIT");
    if let Some(si) = e.part("SI_UNIT") {
        // Complex form: SI_UNIT(prefix, name); simple form: SI_UNIT(dims, prefix, name).
        let n = si.params.len();
        let name = si
            .params
            .get(n.wrapping_sub(1))
            .and_then(Value::as_enum)
            .unwrap_or(b"");
        let prefix = si
            .params
            .get(n.wrapping_sub(2))
            .and_then(Value::as_enum)
            .map_or(1.0, prefix_factor);
        let name = name.to_ascii_uppercase();
        return Ok(match name.as_slice() {
            b"METRE" => UnitSize::Length(1000.0 * prefix),
            b"RADIAN" => UnitSize::Angle(prefix),
            _ if is_len => UnitSize::Length(1000.0 * prefix),
            _ => UnitSize::Other,
        });
    }
    if let Some(cb) = e.part("CONVERSION_BASED_UNIT") {
        let m = get_ref(&e, cb, 1)?;
        let me = t.entity(m)?;
        let mp = first(&me)?;
        let value = mp
            .params
            .first()
            .and_then(Value::as_f64)
            .ok_or_else(|| err(m, "measure with unit has no numeric value"))?;
        let base = get_ref(&me, mp, 1)?;
        return Ok(match unit_size(t, base, depth + 1)? {
            UnitSize::Length(f) => UnitSize::Length(value * f),
            UnitSize::Angle(f) => UnitSize::Angle(value * f),
            UnitSize::Other if is_len => UnitSize::Length(value),
            UnitSize::Other if is_ang => UnitSize::Angle(value),
            UnitSize::Other => UnitSize::Other,
        });
    }
    Ok(UnitSize::Other)
}

/// The units of context `#ctx` (a `GLOBAL_UNIT_ASSIGNED_CONTEXT`). A context without units,
/// or with units that cannot be resolved, yields millimetres and radians.
pub fn context_units(t: &Table<'_>, ctx: u64) -> Result<Units> {
    let e: Entity<'_> = t.entity(ctx)?;
    let mut u = Units::default();
    let Some(g) = e.part("GLOBAL_UNIT_ASSIGNED_CONTEXT") else {
        return Ok(u);
    };
    let list = g.params.first().and_then(Value::as_list).unwrap_or(&[]);
    for v in list {
        let Some(id) = v.as_ref_id() else { continue };
        match unit_size(t, id, 0)? {
            UnitSize::Length(f) if f.is_finite() && f > 0.0 => {
                u.length_mm = f;
                u.declared = true;
            }
            UnitSize::Angle(f) if f.is_finite() && f > 0.0 => u.angle_rad = f,
            _ => {}
        }
    }
    Ok(u)
}
