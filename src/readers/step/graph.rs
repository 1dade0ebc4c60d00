//! Typed access to the untyped entity table: parameter getters that name the entity and the
//! problem when the file is wrong (dangling reference, wrong parameter type, missing part).

use super::part21::{Entity, Part, Table, Value};
use crate::error::{Error, Location, Result};
use crate::format::Format;

/// A malformed-input error located at entity `#id`.
pub fn err(id: u64, msg: impl Into<String>) -> Error {
    Error::malformed(Format::Step, Location::Entity(id), msg)
}

/// Parameter `i` of `part` of entity `e`.
pub fn param<'e, 'a>(e: &'e Entity<'a>, part: &'e Part<'a>, i: usize) -> Result<&'e Value<'a>> {
    part.params.get(i).ok_or_else(|| {
        err(
            e.id,
            format!(
                "{} has no parameter {}",
                String::from_utf8_lossy(part.name).to_ascii_uppercase(),
                i + 1
            ),
        )
    })
}

/// The partial record `name` of `e`, or an error.
pub fn need_part<'e, 'a>(e: &'e Entity<'a>, name: &str) -> Result<&'e Part<'a>> {
    e.part(name)
        .ok_or_else(|| err(e.id, format!("expected {name}, found {}", e.type_name())))
}

/// The first part of `e` (simple instances).
pub fn first<'e, 'a>(e: &'e Entity<'a>) -> Result<&'e Part<'a>> {
    e.parts
        .first()
        .ok_or_else(|| err(e.id, "instance has no record"))
}

/// A reference parameter.
pub fn get_ref(e: &Entity<'_>, p: &Part<'_>, i: usize) -> Result<u64> {
    param(e, p, i)?
        .as_ref_id()
        .ok_or_else(|| err(e.id, format!("parameter {} is not a reference", i + 1)))
}

/// A reference parameter that may be `$`.
pub fn get_opt_ref(e: &Entity<'_>, p: &Part<'_>, i: usize) -> Result<Option<u64>> {
    match p.params.get(i) {
        None | Some(Value::Null) | Some(Value::Derived) => Ok(None),
        Some(v) => v
            .as_ref_id()
            .map(Some)
            .ok_or_else(|| err(e.id, format!("parameter {} is not a reference", i + 1))),
    }
}

/// A real parameter.
pub fn get_f64(e: &Entity<'_>, p: &Part<'_>, i: usize) -> Result<f64> {
    param(e, p, i)?
        .as_f64()
        .ok_or_else(|| err(e.id, format!("parameter {} is not a number", i + 1)))
}

/// An integer parameter.
pub fn get_i64(e: &Entity<'_>, p: &Part<'_>, i: usize) -> Result<i64> {
    param(e, p, i)?
        .as_i64()
        .ok_or_else(|| err(e.id, format!("parameter {} is not an integer", i + 1)))
}

/// A boolean parameter (`.T.` / `.F.`); `.U.` and anything else give `default`.
pub fn get_bool(e: &Entity<'_>, p: &Part<'_>, i: usize, default: bool) -> Result<bool> {
    Ok(param(e, p, i)?.as_bool().unwrap_or(default))
}

/// A list parameter.
pub fn get_list<'e, 'a>(e: &'e Entity<'a>, p: &'e Part<'a>, i: usize) -> Result<&'e [Value<'a>]> {
    param(e, p, i)?
        .as_list()
        .ok_or_else(|| err(e.id, format!("parameter {} is not a list", i + 1)))
}

/// The references of a list parameter.
pub fn get_refs(e: &Entity<'_>, p: &Part<'_>, i: usize) -> Result<Vec<u64>> {
    get_list(e, p, i)?
        .iter()
        .map(|v| {
            v.as_ref_id()
                .ok_or_else(|| err(e.id, format!("parameter {} holds a non-reference", i + 1)))
        })
        .collect()
}

/// The reals of a list value.
pub fn reals(id: u64, v: &[Value<'_>]) -> Result<Vec<f64>> {
    v.iter()
        .map(|x| x.as_f64().ok_or_else(|| err(id, "list holds a non-number")))
        .collect()
}

/// Parses `#id` and checks that it is of type `name`.
pub fn typed<'a>(t: &Table<'a>, id: u64, name: &str) -> Result<Entity<'a>> {
    let e = t.entity(id)?;
    if e.is(name) {
        Ok(e)
    } else {
        Err(err(id, format!("expected {name}, found {}", e.type_name())))
    }
}
