//! # cadfeat
//!
//! Turns CAD files into versioned feature vectors for machine learning, search and
//! deduplication, fast.
//!
//! ## Quick start
//!
//! ```
//! use cadfeat::{FeatureExtractor, FeatureVersion, Limits};
//!
//! let doc = cadfeat::read_file("tests/data/step/freecad_comb.step", &Limits::default())?;
//! let v5 = FeatureExtractor::new(FeatureVersion::V5).extract(&doc);
//! assert_eq!(v5.values.len(), 64);
//! # Ok::<(), cadfeat::Error>(())
//! ```
//!
//! Index vectors and search by cosine similarity (filters apply before the top-k cut):
//!
//! ```
//! use cadfeat::index::{Filter, MemoryIndex, VectorIndex, metadata_for};
//! use cadfeat::{FeatureExtractor, FeatureVersion, Limits};
//!
//! let extractor = FeatureExtractor::new(FeatureVersion::V5);
//! let index = MemoryIndex::new();
//! for path in ["tests/data/step/freecad_comb.step", "tests/data/stl/blender_benchy_low_poly_binary.stl"] {
//!     let doc = cadfeat::read_file(path, &Limits::default())?;
//!     index.insert(path, extractor.extract(&doc).values, metadata_for(FeatureVersion::V5, 0))?;
//! }
//! let query = extractor.extract(&cadfeat::read_file("tests/data/step/freecad_comb.step", &Limits::default())?);
//! let hits = index.search(&query.values, 1, &Filter::new())?;
//! assert_eq!(hits[0].id, "tests/data/step/freecad_comb.step");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The data flow, one module per step:
//!
//! ```text
//! bytes ──► format::detect ──► readers::{step,iges,dxf,stl,obj,ply,json} ──► CadDocument
//!        ──► features::FeatureExtractor ──► FeatureVector ──► cache / index / C API
//! ```
//!
//! * [`format`](mod@format): format detection by content, the extension only as a hint.
//! * [`readers`]: one module per format, all with the same signature and honouring [`Limits`].
//! * [`document`]: the format-neutral [`CadDocument`].
//! * [`brep`]: the B-Rep model that STEP and IGES are read into, and its tessellation.
//! * [`geometry`]: mesh geometry (area, volume, inertia, topology, shape distribution).
//! * [`features`]: versioned feature vectors, slot manifests and migration between versions.
//! * [`index`]: vector indexes (in memory with a local file, Redis) with cosine top-k and
//!   migration of stored vectors; `pipeline` (feature `pipeline`): async extract-and-index.
//! * `ffi` (feature `ffi`, on by default): the C API of `libcadfeat`, header `include/cadfeat.h`.
//! * [`error`]: the one [`Error`] enum.

#![deny(missing_docs)]

pub mod brep;
#[cfg(feature = "cache")]
pub mod cache;
pub mod document;
pub mod error;
pub mod features;
#[cfg(feature = "ffi")]
pub mod ffi;
pub mod format;
pub mod geometry;
pub mod index;
pub mod limits;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "pipeline")]
pub mod pipeline;
pub mod readers;
#[cfg(feature = "redis")]
mod redis_conn;

use std::path::Path;

pub use document::{
    BoundingBox, BrepSummary, CadDocument, LengthUnit, Mesh, Metadata, SurfaceKind,
};
pub use error::{Error, LimitKind, Location, Result};
pub use features::{FeatureExtractor, FeatureVector, FeatureVersion};
pub use format::Format;
pub use limits::Limits;

/// Detects the format of `bytes` (content first, then `extension_hint`) and reads it.
pub fn read_bytes(
    bytes: &[u8],
    extension_hint: Option<&str>,
    limits: &Limits,
) -> Result<CadDocument> {
    let format = format::detect(bytes, extension_hint)?;
    readers::read(bytes, format, limits)
}

/// Reads the file at `path`, checking its size against [`Limits::max_bytes`] before reading it.
pub fn read_file(path: impl AsRef<Path>, limits: &Limits) -> Result<CadDocument> {
    let bytes = read_file_bytes(path.as_ref(), limits)?;
    let ext = path.as_ref().extension().and_then(|e| e.to_str());
    read_bytes(&bytes, ext, limits)
}

/// Reads the bytes of `path`, refusing files over [`Limits::max_bytes`] before allocating.
pub fn read_file_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)?.len();
    limits.check(LimitKind::Bytes, len)?;
    Ok(std::fs::read(path)?)
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "redis"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
