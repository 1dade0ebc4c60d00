//! Vector indexes: store feature vectors with string metadata and find the most similar ones.
//!
//! The service cadfeat replaces kept vectors in process-global dictionaries, rejected any vector
//! whose length differed from *the first vector ever stored*, and filtered top-k results *after*
//! cutting the list to k, so a filtered query could return fewer than k hits (spec
//! `original-service.md` §7.1, §11.13). This module fixes those defects:
//!
//! * [`VectorIndex`] is the trait: insert (upsert) / remove / get by id, metadata, and cosine
//!   [`VectorIndex::search`] with a [`Filter`] applied **before** the cut: whenever at least k
//!   stored vectors match the filter (and have the query's length), k hits come back.
//! * Each vector's length is checked against **its own** feature version and layout, read from
//!   its metadata ([`expected_len`]): `feature_version` (`v1`…`v5`), `vector_layout`
//!   (`base_sem_ext_v1`, `base_sem_ext_v1+l3` with `l3_3d_dim`, or the legacy `geom_all_sem_v1`).
//!   v3 and v5 vectors live side by side; a query is compared with the vectors of its own
//!   length only.
//! * [`MemoryIndex`] ([`memory`]) is exact (brute force over contiguous per-length blocks with
//!   precomputed norms; about 1–2 ms for a top-10 over 100,000 v5 vectors on one core) and
//!   saves to / loads from a local JSON-lines file with a version header.
//! * `RedisIndex` (`redis_store`, feature `redis`) shares one index between processes:
//!   write-through to Redis, loaded on start, with the cache's `RedisConfig`.
//! * [`migrate`](mod@migrate) moves stored vectors to another feature version (spec §7.2): statuses, deltas,
//!   a history of the last 10 runs, and recomputation from the source file when its path is in
//!   the metadata.
//!
//! Cosine similarity follows the original's rules ([`cosine`]): `dot / (‖a‖‖b‖)`, and 0.0 when
//! either vector is empty, the lengths differ, or a norm is 0.
//!
//! ```
//! use cadfeat::index::{Filter, MemoryIndex, VectorIndex, metadata_for};
//! use cadfeat::{FeatureVector, FeatureVersion};
//!
//! let index = MemoryIndex::new();
//! let v = |values: Vec<f64>| FeatureVector { version: FeatureVersion::V1, values };
//! let mut meta = metadata_for(FeatureVersion::V1, 0);
//! meta.insert("material".into(), "steel".into());
//! index.insert("a", v(vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]).values, meta.clone()).unwrap();
//! index.insert("b", v(vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]).values, meta).unwrap();
//! let hits = index.search(&[1.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0], 1, &Filter::new()).unwrap();
//! assert_eq!(hits[0].id, "a");
//! ```

use std::collections::BTreeMap;

use crate::features::FeatureVersion;

pub mod memory;
pub mod migrate;
#[cfg(feature = "redis")]
pub mod redis_store;

pub use memory::{DimensionCheck, MemoryIndex};
pub use migrate::{
    MigrateOptions, MigrationCounts, MigrationHistory, MigrationItem, MigrationMethod,
    MigrationReport, MigrationStatus, migrate,
};
#[cfg(feature = "redis")]
pub use redis_store::RedisIndex;

/// String metadata of a stored vector (the original stored every value as a string).
pub type Metadata = BTreeMap<String, String>;

/// Metadata key: the feature version (`v1`…`v5`).
pub const META_FEATURE_VERSION: &str = "feature_version";
/// Metadata key: the vector layout.
pub const META_VECTOR_LAYOUT: &str = "vector_layout";
/// Metadata key: the length of an appended 3D embedding (layout `…+l3`).
pub const META_L3_DIM: &str = "l3_3d_dim";
/// Metadata key: the number of geometric slots (`dim - 2`).
pub const META_GEOMETRIC_DIM: &str = "geometric_dim";
/// Metadata key: the number of semantic slots (`2`).
pub const META_SEMANTIC_DIM: &str = "semantic_dim";
/// Metadata key: the total length of the stored vector.
pub const META_TOTAL_DIM: &str = "total_dim";
/// Metadata key: the path of the source file; [`migrate()`] recomputes from it when it is
/// still readable.
pub const META_SOURCE_PATH: &str = "source_path";

/// The canonical layout: 5 base geometric slots, 2 semantic slots, then the extensions.
pub const LAYOUT_BASE: &str = "base_sem_ext_v1";
/// The canonical layout followed by a 3D embedding of `l3_3d_dim` values.
pub const LAYOUT_BASE_L3: &str = "base_sem_ext_v1+l3";
/// The legacy layout: all geometric slots, then the 2 semantic slots.
pub const LAYOUT_LEGACY: &str = "geom_all_sem_v1";

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The vector's length does not match its version and layout.
    #[error(
        "dimension mismatch for {version} ({layout}): expected {expected} values, got {actual}"
    )]
    Dimension {
        /// The feature version from the metadata.
        version: String,
        /// The layout from the metadata.
        layout: String,
        /// The length the version and layout require.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The vector has a NaN or infinite value (`slot` is its index).
    #[error("vector has a non-finite value at slot {slot}")]
    NonFinite {
        /// The offending index.
        slot: usize,
    },
    /// The metadata is unusable (unknown version or layout, bad `l3_3d_dim`, …).
    #[error("invalid metadata: {0}")]
    Metadata(String),
    /// The id is empty.
    #[error("empty id")]
    EmptyId,
    /// A local index file is not a cadfeat index, or has a bad line.
    #[error("index file {path}: line {line}: {message}")]
    File {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// An I/O error on a local index file.
    #[error("index I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The shared store (Redis) failed; the in-process copy was not changed.
    #[error("index backend error: {0}")]
    Backend(String),
}

/// A result with an [`IndexError`].
pub type IndexResult<T> = std::result::Result<T, IndexError>;

/// One stored vector.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// Its id.
    pub id: String,
    /// The values (canonical layout, possibly followed by an embedding).
    pub values: Vec<f64>,
    /// Its metadata.
    pub metadata: Metadata,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The stored vector's id.
    pub id: String,
    /// Cosine similarity with the query, in [-1, 1].
    pub score: f64,
}

/// Conditions on metadata, all of which must hold. An empty filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `key == value` conditions.
    pub equals: Vec<(String, String)>,
    /// Ids to leave out (e.g. the query's own id: the original's `exclude_self`).
    pub exclude_ids: Vec<String>,
}

impl Filter {
    /// The filter that matches everything.
    pub fn new() -> Self {
        Filter::default()
    }

    /// Adds the condition `metadata[key] == value`.
    pub fn eq(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.equals.push((key.into(), value.into()));
        self
    }

    /// Leaves out `id`.
    pub fn exclude(mut self, id: impl Into<String>) -> Self {
        self.exclude_ids.push(id.into());
        self
    }

    /// True when the filter has no conditions.
    pub fn is_empty(&self) -> bool {
        self.equals.is_empty() && self.exclude_ids.is_empty()
    }

    /// Whether `id` with `metadata` passes.
    pub fn matches(&self, id: &str, metadata: &Metadata) -> bool {
        self.equals
            .iter()
            .all(|(k, v)| metadata.get(k).is_some_and(|m| m == v))
            && !self.exclude_ids.iter().any(|x| x == id)
    }
}

/// A store of feature vectors with metadata and cosine top-k search.
///
/// Every method takes `&self` (implementations use interior mutability) so that one index can
/// be shared by the tasks of a pipeline behind an `Arc`.
pub trait VectorIndex: Send + Sync + std::fmt::Debug {
    /// Inserts or replaces the vector `id`. The length is checked against the version and
    /// layout in `metadata` ([`expected_len`]); missing `feature_version` / `vector_layout`
    /// are filled in from the length (`total_dim` etc. are filled in too).
    fn insert(&self, id: &str, values: Vec<f64>, metadata: Metadata) -> IndexResult<()>;
    /// Removes `id`; `true` if it was present.
    fn remove(&self, id: &str) -> IndexResult<bool>;
    /// The vector and metadata of `id`.
    fn get(&self, id: &str) -> IndexResult<Option<IndexEntry>>;
    /// The metadata of `id`.
    fn metadata(&self, id: &str) -> IndexResult<Option<Metadata>> {
        Ok(self.get(id)?.map(|e| e.metadata))
    }
    /// The number of stored vectors.
    fn len(&self) -> usize;
    /// True when nothing is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Every id, sorted.
    fn ids(&self) -> Vec<String>;
    /// The `k` stored vectors most similar to `query` (cosine, best first; ties by id) among
    /// those of the query's length that pass `filter`. The filter is applied before the cut.
    fn search(&self, query: &[f64], k: usize, filter: &Filter) -> IndexResult<Vec<SearchHit>>;
}

/// Cosine similarity with the original's rules: 0.0 for empty inputs, different lengths or a
/// zero norm.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// The metadata the pipeline stores with a freshly extracted vector of `version` followed by
/// an embedding of `l3_dim` values (0 = none): `feature_version`, `vector_layout`,
/// `geometric_dim`, `semantic_dim`, `total_dim` (and `l3_3d_dim`).
pub fn metadata_for(version: FeatureVersion, l3_dim: usize) -> Metadata {
    let mut m = Metadata::new();
    m.insert(META_FEATURE_VERSION.into(), version.as_str().into());
    m.insert(
        META_VECTOR_LAYOUT.into(),
        if l3_dim > 0 {
            LAYOUT_BASE_L3
        } else {
            LAYOUT_BASE
        }
        .into(),
    );
    m.insert(META_GEOMETRIC_DIM.into(), (version.dim() - 2).to_string());
    m.insert(META_SEMANTIC_DIM.into(), "2".into());
    m.insert(
        META_TOTAL_DIM.into(),
        (version.dim().saturating_add(l3_dim)).to_string(),
    );
    if l3_dim > 0 {
        m.insert(META_L3_DIM.into(), l3_dim.to_string());
    }
    m
}

/// The version named in `metadata` (`feature_version`), if present.
pub fn metadata_version(metadata: &Metadata) -> IndexResult<Option<FeatureVersion>> {
    match metadata.get(META_FEATURE_VERSION) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| IndexError::Metadata(format!("unknown feature_version {s:?}"))),
    }
}

/// The length a vector with `metadata` must have: `dim(feature_version)`, plus `l3_3d_dim`
/// for the `…+l3` layout. Unknown versions, layouts and unparsable `l3_3d_dim` are errors.
pub fn expected_len(metadata: &Metadata) -> IndexResult<usize> {
    let version = metadata_version(metadata)?
        .ok_or_else(|| IndexError::Metadata(format!("missing {META_FEATURE_VERSION}")))?;
    let layout = metadata
        .get(META_VECTOR_LAYOUT)
        .map(String::as_str)
        .unwrap_or(LAYOUT_BASE);
    match layout {
        LAYOUT_BASE | LAYOUT_LEGACY => Ok(version.dim()),
        LAYOUT_BASE_L3 => {
            let l3 = metadata
                .get(META_L3_DIM)
                .and_then(|s| s.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    IndexError::Metadata(format!(
                        "layout {LAYOUT_BASE_L3} needs a positive {META_L3_DIM}"
                    ))
                })?;
            version
                .dim()
                .checked_add(l3)
                .ok_or_else(|| IndexError::Metadata(format!("{META_L3_DIM} too large")))
        }
        other => Err(IndexError::Metadata(format!(
            "unknown vector_layout {other:?}"
        ))),
    }
}

/// Checks `values` against `metadata` and fills in the defaults: a missing `feature_version`
/// is inferred from the length when the length is exactly one version's dimension (else an
/// error), a missing `vector_layout` becomes the canonical layout, and `total_dim` is set.
/// With `check_dim` false only the defaults are filled (the original's
/// `ANALYSIS_VECTOR_DIM_CHECK=0`).
pub fn validate(values: &[f64], metadata: &mut Metadata, check_dim: bool) -> IndexResult<()> {
    if let Some(slot) = values.iter().position(|v| !v.is_finite()) {
        return Err(IndexError::NonFinite { slot });
    }
    if !metadata.contains_key(META_FEATURE_VERSION) {
        let v = FeatureVersion::ALL
            .iter()
            .find(|v| v.dim() == values.len())
            .ok_or_else(|| {
                IndexError::Metadata(format!(
                    "missing {META_FEATURE_VERSION} and length {} is no version's dimension",
                    values.len()
                ))
            })?;
        metadata.insert(META_FEATURE_VERSION.into(), v.as_str().into());
    }
    metadata
        .entry(META_VECTOR_LAYOUT.into())
        .or_insert_with(|| LAYOUT_BASE.into());
    if check_dim {
        let expected = expected_len(metadata)?;
        if expected != values.len() {
            return Err(IndexError::Dimension {
                version: metadata
                    .get(META_FEATURE_VERSION)
                    .cloned()
                    .unwrap_or_default(),
                layout: metadata
                    .get(META_VECTOR_LAYOUT)
                    .cloned()
                    .unwrap_or_default(),
                expected,
                actual: values.len(),
            });
        }
    }
    metadata.insert(META_TOTAL_DIM.into(), values.len().to_string());
    Ok(())
}
