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
    /// Capacity of the in-memory cache in vectors; 0 (the default) disables caching unless
    /// `redis_url` is set (then the memory tier holds a single vector). Cache keys are the
    /// SHA-256 of the exact input bytes with the feature version and limits, so a hit returns
    /// the vector the same input computed before.
    pub cache_capacity: u64,
    /// Time to live of cached vectors in seconds, in memory and in Redis; 0 (the default)
    /// means no expiry in memory and the Redis default (7 days).
    pub cache_ttl_seconds: u64,
    /// URL of a Redis server for the shared cache (`redis://[user:password@]host:port/db`), or
    /// NULL (the default) for none. The connection is made lazily: an absent or failing Redis
    /// never fails an extraction, it only costs the cache (see `redis_errors`).
    pub redis_url: *const c_char,
    /// Prefix prepended to the Redis keys (a namespace, e.g. `"myapp:"`), or NULL (the default)
    /// for none (the keys already start with `cadfeat:`).
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
    #[cfg(feature = "cache")]
    cache: Option<cached::CacheParts>,
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
    /// Where the vector came from: 0 computed by this call, 1 the memory cache, 2 Redis, 3
    /// computed by a concurrent call for the same input that this call waited for.
    pub cache_source: u32,
    /// True when this call parsed the file, so the document facts below are filled in; false
    /// for a vector from a cache (then only `format` is known and the counts, box and B-Rep
    /// facts are zero).
    pub has_document: bool,
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
    /// Vectors computed (cache misses, successful or not).
    pub computations: u64,
    /// Calls that waited for a concurrent computation of the same input.
    pub coalesced: u64,
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
        let limits = Limits::from(&c.limits);
        let wants_cache = c.cache_capacity > 0 || redis_url.is_some();
        if !wants_cache && (redis_prefix.is_some() || c.cache_ttl_seconds > 0) {
            return Err(FfiError::new(
                CadfeatStatus::InvalidArgument,
                "cache_ttl_seconds and redis_prefix need a cache (cache_capacity > 0 or redis_url)",
            ));
        }
        #[cfg(feature = "cache")]
        let cache = if wants_cache {
            Some(cached::CacheParts::new(
                version,
                &limits,
                c.cache_capacity,
                c.cache_ttl_seconds,
                redis_url,
                redis_prefix,
            )?)
        } else {
            None
        };
        #[cfg(not(feature = "cache"))]
        if wants_cache {
            return Err(FfiError::new(
                CadfeatStatus::Unsupported,
                "caching is not available: libcadfeat was built without the `cache` feature; \
                 set cache_capacity to 0 and redis_url to NULL",
            ));
        }
        Ok(CadfeatExtractor {
            extractor: FeatureExtractor::new(version),
            limits,
            #[cfg(feature = "cache")]
            cache,
        })
    }

    /// Extraction of a file: through the cache when there is one, else exactly
    /// `cadfeat::read_file` + `FeatureExtractor::extract`.
    fn extract_path(&self, path: &str) -> FfiResult<*mut CadfeatResult> {
        #[cfg(feature = "cache")]
        if self.cache.is_some() {
            let p = std::path::Path::new(path);
            let bytes = crate::read_file_bytes(p, &self.limits)?;
            let hint = p.extension().and_then(|e| e.to_str());
            return self.extract_bytes(&bytes, hint);
        }
        let doc = crate::read_file(path, &self.limits)?;
        let fv = self.extractor.extract(&doc);
        make_result(Some(&doc), doc.format, fv, 0)
    }

    /// Extraction of a buffer: through the cache when there is one, else exactly
    /// `cadfeat::read_bytes` + `FeatureExtractor::extract`.
    fn extract_bytes(&self, bytes: &[u8], hint: Option<&str>) -> FfiResult<*mut CadfeatResult> {
        self.limits
            .check(crate::error::LimitKind::Bytes, bytes.len() as u64)?;
        #[cfg(feature = "cache")]
        if let Some(cache) = &self.cache {
            // Detection first: it is cheap, fails exactly as reading would, and names the
            // format of a cache hit too.
            let format = crate::format::detect(bytes, hint)?;
            let (fv, doc, source) = cache.extract(bytes, hint)?;
            return make_result(doc.as_ref(), format, fv, source);
        }
        let doc = crate::read_bytes(bytes, hint, &self.limits)?;
        let fv = self.extractor.extract(&doc);
        make_result(Some(&doc), doc.format, fv, 0)
    }
}

#[cfg(feature = "cache")]
mod cached {
    //! The cache behind an extractor: a `CachedExtractor` over a `TieredCache` (memory, then
    //! optionally Redis), driven by a small private Tokio runtime so that C callers stay
    //! synchronous.

    use std::sync::Arc;
    use std::time::Duration;

    use super::super::{CadfeatStatus, FfiError, FfiResult};
    use super::CadfeatCacheStats;
    use crate::cache::{CacheSource, CachedExtractor, MemoryCache, TieredCache, TieredConfig};
    use crate::document::CadDocument;
    use crate::features::{FeatureExtractor, FeatureVector, FeatureVersion};
    use crate::limits::Limits;

    #[derive(Debug)]
    pub(super) struct CacheParts {
        // Declared before the runtime so that the cache (and its Redis connection tasks) is
        // dropped while the runtime still exists.
        cached: CachedExtractor,
        runtime: tokio::runtime::Runtime,
    }

    impl CacheParts {
        pub(super) fn new(
            version: FeatureVersion,
            limits: &Limits,
            capacity: u64,
            ttl_seconds: u64,
            redis_url: Option<&str>,
            redis_prefix: Option<&str>,
        ) -> FfiResult<Self> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .max_blocking_threads(8)
                .thread_name("cadfeat-cache")
                .enable_all()
                .build()
                .map_err(|e| {
                    FfiError::new(
                        CadfeatStatus::Error,
                        format!("cannot start the cache runtime: {e}"),
                    )
                })?;
            let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
            let l1 = Arc::new(MemoryCache::new(capacity, ttl_seconds));
            let ttl = (ttl_seconds > 0).then(|| Duration::from_secs(ttl_seconds));
            let l2 = match redis_url {
                None => None,
                Some(url) => Some(redis_backend(&runtime, url, redis_prefix, ttl)?),
            };
            let config = TieredConfig {
                l2_ttl: ttl,
                ..TieredConfig::default()
            };
            let tiered = Arc::new(TieredCache::new(l1, l2, config));
            let cached =
                CachedExtractor::new(FeatureExtractor::new(version), limits.clone(), tiered);
            Ok(CacheParts { cached, runtime })
        }

        /// The vector of `bytes`, the document when this call parsed it, and the source code.
        pub(super) fn extract(
            &self,
            bytes: &[u8],
            hint: Option<&str>,
        ) -> FfiResult<(FeatureVector, Option<CadDocument>, u32)> {
            let data: Arc<[u8]> = Arc::from(bytes);
            let r = self
                .runtime
                .block_on(self.cached.extract_bytes(data, hint))?;
            let source = match r.source {
                CacheSource::Miss => 0,
                CacheSource::L1 => 1,
                CacheSource::L2 => 2,
                CacheSource::Coalesced => 3,
            };
            Ok((r.vector, r.document, source))
        }

        pub(super) fn stats(&self) -> CadfeatCacheStats {
            let cache = self.cached.cache();
            let t = cache.stats();
            let l2 = t.l2.unwrap_or_default();
            CadfeatCacheStats {
                memory_hits: t.l1_hits,
                memory_misses: t.l1.misses,
                memory_entries: cache.l1().len() as u64,
                memory_evictions: t.l1.evictions.saturating_add(t.l1.shrink_evictions),
                memory_expirations: t.l1.expirations,
                redis_hits: t.l2_hits,
                redis_misses: l2.misses,
                redis_errors: t.l2_errors,
                corrupt: t
                    .l1
                    .corrupt
                    .saturating_add(l2.corrupt)
                    .saturating_add(t.l2_wrong_version),
                computations: t.computations,
                coalesced: t.coalesced,
            }
        }
    }

    #[cfg(feature = "redis")]
    fn redis_backend(
        runtime: &tokio::runtime::Runtime,
        url: &str,
        prefix: Option<&str>,
        ttl: Option<Duration>,
    ) -> FfiResult<Arc<dyn crate::cache::CacheBackend>> {
        let mut config = crate::cache::RedisConfig::new(url);
        config.key_prefix = prefix.unwrap_or_default().to_string();
        if ttl.is_some() {
            config.ttl = ttl;
        }
        // The Redis client may spawn tasks when it connects: give it the runtime's context.
        let _enter = runtime.enter();
        let cache = crate::cache::RedisCache::new(config).map_err(|e| {
            FfiError::new(
                CadfeatStatus::InvalidArgument,
                format!("config.redis_url: {e}"),
            )
        })?;
        Ok(Arc::new(cache))
    }

    #[cfg(not(feature = "redis"))]
    fn redis_backend(
        _runtime: &tokio::runtime::Runtime,
        _url: &str,
        _prefix: Option<&str>,
        _ttl: Option<Duration>,
    ) -> FfiResult<Arc<dyn crate::cache::CacheBackend>> {
        Err(FfiError::new(
            CadfeatStatus::Unsupported,
            "Redis is not available: libcadfeat was built without the `redis` feature",
        ))
    }
}

fn make_result(
    doc: Option<&CadDocument>,
    format: Format,
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
    let (has_bbox, bbox_min, bbox_max) = match doc.map(|d| (d.bbox.min(), d.bbox.max())) {
        Some((Some(lo), Some(hi))) => (true, lo, hi),
        _ => (false, [0.0; 3], [0.0; 3]),
    };
    let brep = doc.and_then(|d| d.brep.as_ref());
    let public = CadfeatResult {
        vector: values.as_ptr(),
        len: values.len(),
        feature_version: u32::from(fv.version.number()),
        cache_source,
        has_document: doc.is_some(),
        format: format_cstr(format).as_ptr(),
        entity_count: doc.map_or(0, |d| d.entity_count()),
        layer_count: doc.map_or(0, |d| d.layers.len() as u64),
        triangle_count: doc.map_or(0, |d| d.triangle_count() as u64),
        has_bbox,
        bbox_min,
        bbox_max,
        mm_per_unit: doc.map_or(0.0, |d| d.to_mm),
        has_brep: brep.is_some(),
        brep_solids: brep.map_or(0, |b| b.solids),
        brep_faces: brep.map_or(0, |b| b.faces),
        degraded: doc.is_some_and(|d| d.metadata.degraded.is_some()),
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
        *out = ex.extract_path(path)?;
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
        *out = ex.extract_bytes(bytes, hint)?;
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

/// Fills `*out` with the cache statistics of `extractor` (zeros first, whatever happens).
///
/// Returns `CADFEAT_STATUS_UNSUPPORTED` when the extractor has no cache (its config had
/// `cache_capacity` 0 and no `redis_url`) or libcadfeat was built without the `cache` feature.
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
        let ex = unsafe { extractor_arg(extractor) }?;
        #[cfg(feature = "cache")]
        if let Some(cache) = &ex.cache {
            *out = cache.stats();
            return Ok(());
        }
        let _ = ex;
        Err(FfiError::new(
            CadfeatStatus::Unsupported,
            "this extractor has no cache: set cache_capacity > 0 or redis_url in its config \
             (and build libcadfeat with the `cache` feature, on by default)",
        ))
    })
}

/// Renders the metrics of `extractor` in the Prometheus text format into a new string
/// (`*out`, freed with `cadfeat_string_free`; NULL on failure).
///
/// Returns `CADFEAT_STATUS_UNSUPPORTED` in this build: the library does not collect metrics
/// yet.
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
