//! Extractor handles, configuration, extraction results, cache statistics and metrics.

use std::ffi::{CStr, CString, c_char};

use super::{
    CadfeatStatus, FfiError, FfiResult, guard, guard_value, opt_str_arg, out_arg, slice_arg,
    str_arg, version_arg,
};
use crate::document::CadDocument;
use crate::features::{FeatureExtractor, FeatureVector, FeatureVersion};
use crate::format::Format;
use crate::limits::Limits;

/// Resource limits (the fields of the Rust `Limits`). `cadfeat_config_init` fills in the
/// defaults: 512 MiB, 20 M entities, 10 M triangles, 30 M vertices, block depth 16,
/// nesting 64, 10 M expanded entities, 50 M work units.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CadfeatLimits {
    /// Largest input accepted, in bytes.
    pub max_bytes: u64,
    /// Most entities a document may hold.
    pub max_entities: u64,
    /// Most triangles in a document's mesh.
    pub max_triangles: u64,
    /// Most mesh vertices.
    pub max_vertices: u64,
    /// Deepest nesting of DXF block inserts.
    pub max_block_depth: u32,
    /// Deepest nesting of structures in the input (STEP parameter lists, JSON).
    pub max_nesting: u32,
    /// Most entities visited when expanding block inserts.
    pub max_expanded_entities: u64,
    /// Budget of abstract work units for expensive steps (tessellation, ...).
    pub max_work: u64,
}

impl From<&Limits> for CadfeatLimits {
    fn from(l: &Limits) -> Self {
        CadfeatLimits {
            max_bytes: l.max_bytes,
            max_entities: l.max_entities,
            max_triangles: l.max_triangles,
            max_vertices: l.max_vertices,
            max_block_depth: l.max_block_depth,
            max_nesting: l.max_nesting,
            max_expanded_entities: l.max_expanded_entities,
            max_work: l.max_work,
        }
    }
}

impl From<&CadfeatLimits> for Limits {
    fn from(l: &CadfeatLimits) -> Self {
        Limits {
            max_bytes: l.max_bytes,
            max_entities: l.max_entities,
            max_triangles: l.max_triangles,
            max_vertices: l.max_vertices,
            max_block_depth: l.max_block_depth,
            max_nesting: l.max_nesting,
            max_expanded_entities: l.max_expanded_entities,
            max_work: l.max_work,
        }
    }
}

/// The configuration of an extractor. Always start from `cadfeat_config_init`, then change
/// fields, so that fields added in later versions get their defaults.
///
/// The strings are borrowed: cadfeat copies what it needs during `cadfeat_extractor_new`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CadfeatConfig {
    /// The feature version to extract, 1...5 (default 5, the latest).
    pub feature_version: u32,
    /// Resource limits for each extraction.
    pub limits: CadfeatLimits,
    /// Capacity of the in-memory cache in vectors; 0 (the default) disables it.
    pub cache_capacity: u64,
    /// Time to live of cached vectors in seconds; 0 (the default) means no expiry.
    pub cache_ttl_seconds: u64,
    /// URL of a Redis server for the shared cache (`redis://host:port/db`), or NULL (the
    /// default) for none.
    pub redis_url: *const c_char,
    /// Prefix of the Redis keys, or NULL (the default) for the library's default prefix.
    pub redis_prefix: *const c_char,
}

/// An extractor: a feature version, limits and (when configured) caches.
///
/// Thread safety: immutable after `cadfeat_extractor_new`; share one handle between any
/// number of threads. Free it with `cadfeat_extractor_free` once no thread uses it.
#[derive(Debug)]
pub struct CadfeatExtractor {
    extractor: FeatureExtractor,
    limits: Limits,
}

/// The result of one extraction. Owned by the caller, freed with `cadfeat_result_free`.
/// Every field is read-only: the pointers belong to the result.
///
/// Thread safety: plain data; read it from any thread, free it once.
#[repr(C)]
#[derive(Debug)]
pub struct CadfeatResult {
    /// The feature vector: `len` doubles, valid until the result is freed.
    pub vector: *const f64,
    /// Number of values in `vector` (7, 12, 22, 24 or 64).
    pub len: usize,
    /// The feature version of `vector`, 1...5.
    pub feature_version: u32,
    /// Where the vector came from: 0 computed, 1 the memory cache, 2 Redis.
    pub cache_source: u32,
    /// The detected format: `"step"`, `"iges"`, `"dxf"`, `"stl"`, `"obj"`, `"ply"` or
    /// `"json"` (a static string).
    pub format: *const c_char,
    /// Total number of entities of the document.
    pub entity_count: u64,
    /// Number of layers.
    pub layer_count: u64,
    /// Number of mesh triangles (read or tessellated), 0 without a mesh.
    pub triangle_count: u64,
    /// True when the document has geometry, so `bbox_min` / `bbox_max` are meaningful
    /// (they are zeros otherwise).
    pub has_bbox: bool,
    /// Minimum corner of the bounding box, in file units.
    pub bbox_min: [f64; 3],
    /// Maximum corner of the bounding box, in file units.
    pub bbox_max: [f64; 3],
    /// Millimetres per file unit (1 for unitless meshes and for STEP/IGES, read in mm).
    pub mm_per_unit: f64,
    /// True when the document has a boundary representation (STEP, IGES).
    pub has_brep: bool,
    /// Number of B-Rep solids (0 without a B-Rep).
    pub brep_solids: u64,
    /// Number of B-Rep faces (0 without a B-Rep).
    pub brep_faces: u64,
    /// True when only part of the file could be understood (the vector is still valid).
    pub degraded: bool,
}

/// The allocation behind a `cadfeat_result *`: the public struct first, so the pointers are
/// interchangeable, then the storage it points into. Freeing never trusts the public fields.
#[repr(C)]
struct ResultBox {
    public: CadfeatResult,
    values: Box<[f64]>,
}

/// Cache statistics of an extractor (see `cadfeat_extractor_cache_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CadfeatCacheStats {
    /// Lookups answered by the memory cache.
    pub memory_hits: u64,
    /// Lookups the memory cache could not answer.
    pub memory_misses: u64,
    /// Vectors currently in the memory cache.
    pub memory_entries: u64,
    /// Vectors evicted from the memory cache for capacity.
    pub memory_evictions: u64,
    /// Vectors dropped from the memory cache because their TTL expired.
    pub memory_expirations: u64,
    /// Lookups answered by Redis.
    pub redis_hits: u64,
    /// Lookups Redis could not answer.
    pub redis_misses: u64,
    /// Redis errors and timeouts (each degraded to computing the vector).
    pub redis_errors: u64,
    /// Cached values that failed their checksum or format check (treated as misses).
    pub corrupt: u64,
}

fn format_cstr(f: Format) -> &'static CStr {
    match f {
        Format::Step => c"step",
        Format::Iges => c"iges",
        Format::Dxf => c"dxf",
        Format::Stl => c"stl",
        Format::Obj => c"obj",
        Format::Ply => c"ply",
        Format::Json => c"json",
    }
}

fn default_config() -> CadfeatConfig {
    CadfeatConfig {
        feature_version: u32::from(FeatureVersion::LATEST.number()),
        limits: CadfeatLimits::from(&Limits::default()),
        cache_capacity: 0,
        cache_ttl_seconds: 0,
        redis_url: std::ptr::null(),
        redis_prefix: std::ptr::null(),
    }
}

/// Fills `*config` with the defaults: feature version 5, the default limits, no cache.
///
/// # Safety
/// `config` is NULL or points to writable memory for a `cadfeat_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_config_init(config: *mut CadfeatConfig) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(config, "config") }?;
        *out = default_config();
        Ok(())
    })
}

impl CadfeatExtractor {
    fn from_config(c: &CadfeatConfig) -> FfiResult<Self> {
        let version = version_arg(c.feature_version)?;
        // SAFETY: the config's strings are NULL or NUL-terminated (caller contract).
        let redis_url = unsafe { opt_str_arg(c.redis_url, "config.redis_url") }?;
        // SAFETY: as above.
        let redis_prefix = unsafe { opt_str_arg(c.redis_prefix, "config.redis_prefix") }?;
        if c.cache_capacity > 0 || redis_url.is_some() {
            return Err(FfiError::new(
                CadfeatStatus::Unsupported,
                "caching is not available through the C API in this build: set \
                 cache_capacity to 0 and redis_url to NULL",
            ));
        }
        if redis_prefix.is_some() || c.cache_ttl_seconds > 0 {
            return Err(FfiError::new(
                CadfeatStatus::InvalidArgument,
                "cache_ttl_seconds and redis_prefix need a cache (cache_capacity > 0 or redis_url)",
            ));
        }
        Ok(CadfeatExtractor {
            extractor: FeatureExtractor::new(version),
            limits: Limits::from(&c.limits),
        })
    }

    fn extract_doc(&self, doc: &CadDocument) -> FfiResult<*mut CadfeatResult> {
        let fv = self.extractor.extract(doc);
        make_result(doc, fv, 0)
    }
}

fn make_result(
    doc: &CadDocument,
    fv: FeatureVector,
    cache_source: u32,
) -> FfiResult<*mut CadfeatResult> {
    if fv.values.len() != fv.version.dim() {
        return Err(FfiError::new(
            CadfeatStatus::Internal,
            format!(
                "internal error: extractor returned {} values for {}",
                fv.values.len(),
                fv.version
            ),
        ));
    }
    let values: Box<[f64]> = fv.values.into_boxed_slice();
    let (has_bbox, bbox_min, bbox_max) = match (doc.bbox.min(), doc.bbox.max()) {
        (Some(lo), Some(hi)) => (true, lo, hi),
        _ => (false, [0.0; 3], [0.0; 3]),
    };
    let public = CadfeatResult {
        vector: values.as_ptr(),
        len: values.len(),
        feature_version: u32::from(fv.version.number()),
        cache_source,
        format: format_cstr(doc.format).as_ptr(),
        entity_count: doc.entity_count(),
        layer_count: doc.layers.len() as u64,
        triangle_count: doc.triangle_count() as u64,
        has_bbox,
        bbox_min,
        bbox_max,
        mm_per_unit: doc.to_mm,
        has_brep: doc.brep.is_some(),
        brep_solids: doc.brep.as_ref().map_or(0, |b| b.solids),
        brep_faces: doc.brep.as_ref().map_or(0, |b| b.faces),
        degraded: doc.metadata.degraded.is_some(),
    };
    // Moving the Box<[f64]> into ResultBox does not move its heap storage: `vector` stays valid.
    let boxed = Box::new(ResultBox { public, values });
    Ok(Box::into_raw(boxed).cast::<CadfeatResult>())
}

/// Creates an extractor from `config` (NULL means the defaults of `cadfeat_config_init`).
/// On success `*out` holds a new handle to free with `cadfeat_extractor_free`; on failure
/// `*out` is set to NULL.
///
/// Fails with `CADFEAT_STATUS_UNKNOWN_VERSION` for a feature version outside 1...5,
/// `CADFEAT_STATUS_INVALID_UTF8` for a Redis URL or prefix that is not UTF-8, and
/// `CADFEAT_STATUS_UNSUPPORTED` when a cache is requested but this build cannot provide it.
///
/// # Safety
/// `config` is NULL or points to a valid `cadfeat_config` whose strings are NULL or
/// NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_extractor_new(
    config: *const CadfeatConfig,
    out: *mut *mut CadfeatExtractor,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        *out = std::ptr::null_mut();
        let config = if config.is_null() {
            default_config()
        } else if !config.is_aligned() {
            return Err(FfiError::new(
                CadfeatStatus::InvalidArgument,
                "config is not aligned",
            ));
        } else {
            // SAFETY: non-null, aligned, valid by the caller's contract.
            unsafe { *config }
        };
        let ex = CadfeatExtractor::from_config(&config)?;
        *out = Box::into_raw(Box::new(ex));
        Ok(())
    })
}

/// Frees an extractor. NULL is accepted and ignored. Leaves the last-error message alone.
///
/// # Safety
/// `extractor` is NULL or a handle from `cadfeat_extractor_new` not yet freed, and no other
/// thread is using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_extractor_free(extractor: *mut CadfeatExtractor) {
    guard_value((), || {
        if !extractor.is_null() {
            // SAFETY: caller contract: a live handle from Box::into_raw.
            drop(unsafe { Box::from_raw(extractor) });
        }
    });
}

/// # Safety
/// `p` is NULL or a live extractor handle.
unsafe fn extractor_arg<'a>(p: *const CadfeatExtractor) -> FfiResult<&'a CadfeatExtractor> {
    if p.is_null() {
        return Err(FfiError::null("extractor"));
    }
    // SAFETY: caller contract.
    Ok(unsafe { &*p })
}

/// Reads the file at `path` (UTF-8, NUL-terminated) and extracts its feature vector. The format
/// is detected from the content, the extension only as a hint. On success `*out` holds a new
/// result to free with `cadfeat_result_free`; on failure `*out` is NULL and the status says
/// why (`CADFEAT_STATUS_IO`, `_MALFORMED`, `_LIMIT_EXCEEDED`, ...).
///
/// # Safety
/// `extractor` is NULL or a live handle; `path` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_extract_file(
    extractor: *const CadfeatExtractor,
    path: *const c_char,
    out: *mut *mut CadfeatResult,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        *out = std::ptr::null_mut();
        // SAFETY: caller contract.
        let ex = unsafe { extractor_arg(extractor) }?;
        // SAFETY: caller contract.
        let path = unsafe { str_arg(path, "path") }?;
        let doc = crate::read_file(path, &ex.limits)?;
        *out = ex.extract_doc(&doc)?;
        Ok(())
    })
}

/// Extracts the feature vector of `len` bytes at `data` (NULL is accepted when `len` is 0, and
/// fails as empty input). `format_hint` is an optional file extension or format name
/// (`"stl"`, `"step"`, ...; NULL for none) used only when the content does not identify the
/// format. On success `*out` holds a new result to free with `cadfeat_result_free`; on failure
/// `*out` is NULL.
///
/// # Safety
/// `extractor` is NULL or a live handle; `data` points to `len` readable bytes (or `len` is
/// 0); `format_hint` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_extract_bytes(
    extractor: *const CadfeatExtractor,
    data: *const u8,
    len: usize,
    format_hint: *const c_char,
    out: *mut *mut CadfeatResult,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        *out = std::ptr::null_mut();
        // SAFETY: caller contract.
        let ex = unsafe { extractor_arg(extractor) }?;
        // SAFETY: caller contract.
        let bytes = unsafe { slice_arg(data, len, "data") }?;
        // SAFETY: caller contract.
        let hint = unsafe { opt_str_arg(format_hint, "format_hint") }?;
        ex.limits
            .check(crate::error::LimitKind::Bytes, bytes.len() as u64)?;
        let doc = crate::read_bytes(bytes, hint, &ex.limits)?;
        *out = ex.extract_doc(&doc)?;
        Ok(())
    })
}

/// Frees a result. NULL is accepted and ignored. Leaves the last-error message alone.
///
/// # Safety
/// `result` is NULL or a result from `cadfeat_extract_file` / `cadfeat_extract_bytes` not yet
/// freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_result_free(result: *mut CadfeatResult) {
    guard_value((), || {
        if !result.is_null() {
            // SAFETY: every result pointer is a Box<ResultBox> whose first field it points to.
            drop(unsafe { Box::from_raw(result.cast::<ResultBox>()) });
        }
    });
}

/// Fills `*out` with the cache statistics of `extractor`.
///
/// Returns `CADFEAT_STATUS_UNSUPPORTED` in this build: the C API does not provide caching yet.
///
/// # Safety
/// `extractor` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_extractor_cache_stats(
    extractor: *const CadfeatExtractor,
    out: *mut CadfeatCacheStats,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        *out = CadfeatCacheStats::default();
        // SAFETY: caller contract.
        let _ex = unsafe { extractor_arg(extractor) }?;
        Err(FfiError::new(
            CadfeatStatus::Unsupported,
            "cache statistics are not available: the C API has no cache in this build",
        ))
    })
}

/// Renders the metrics of `extractor` in the Prometheus text format into a new string
/// (`*out`, freed with `cadfeat_string_free`; NULL on failure).
///
/// Returns `CADFEAT_STATUS_UNSUPPORTED` in this build: metrics are not available yet.
///
/// # Safety
/// `extractor` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_metrics_text(
    extractor: *const CadfeatExtractor,
    out: *mut *mut c_char,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        *out = std::ptr::null_mut();
        // SAFETY: caller contract.
        let _ex = unsafe { extractor_arg(extractor) }?;
        Err(FfiError::new(
            CadfeatStatus::Unsupported,
            "metrics are not available in this build of the C API",
        ))
    })
}

/// Turns a Rust string into a C string owned by the caller (freed with `cadfeat_string_free`).
#[allow(dead_code)] // used by cadfeat_metrics_text once metrics are available
pub(crate) fn owned_cstring(s: &str) -> *mut c_char {
    CString::new(s.replace('\0', "\\0"))
        .unwrap_or_default()
        .into_raw()
}

/// Frees a string returned by cadfeat (`cadfeat_metrics_text`). NULL is accepted and ignored. Leaves the
/// last-error message alone.
///
/// # Safety
/// `s` is NULL or a string from cadfeat not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: every string cadfeat hands out comes from CString::into_raw.
            drop(unsafe { CString::from_raw(s) });
        }
    });
}
