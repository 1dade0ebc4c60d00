//! One reader per format, all behind the same signature:
//!
//! ```text
//! fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument>
//! ```
//!
//! [`read`] checks the size limit and dispatches on a [`Format`] (usually from
//! [`crate::format::detect`]). Readers never panic on input, check [`Limits`] before allocating
//! on the strength of a count found in the file, and report malformed input with a
//! [`Location`](crate::error::Location).

use crate::document::CadDocument;
use crate::error::{LimitKind, Result};
use crate::format::Format;
use crate::limits::Limits;

mod bigvec;
pub mod dxf;
pub mod iges;
pub mod json;
pub mod obj;
pub mod ply;
pub mod step;
pub mod stl;
mod text;

/// Reads `bytes` as `format`.
pub fn read(bytes: &[u8], format: Format, limits: &Limits) -> Result<CadDocument> {
    limits.check(LimitKind::Bytes, bytes.len() as u64)?;
    if bytes.is_empty() {
        return Err(crate::Error::Empty);
    }
    match format {
        Format::Step => step::read(bytes, limits),
        Format::Iges => iges::read(bytes, limits),
        Format::Dxf => dxf::read(bytes, limits),
        Format::Stl => stl::read(bytes, limits),
        Format::Obj => obj::read(bytes, limits),
        Format::Ply => ply::read(bytes, limits),
        Format::Json => json::read(bytes, limits),
    }
}
