//! DXF reader.

use crate::document::CadDocument;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::limits::Limits;

/// Reads a DXF file.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    let _ = (bytes, limits);
    Err(Error::Unsupported {
        format: Format::Dxf,
        message: "reader not implemented yet".into(),
    })
}
