//! Prometheus metrics: a registry the caller owns, recording the signals of the service cadfeat
//! replaces under the same names, types, labels and buckets, and rendering them in the
//! Prometheus text exposition format.
//!
//! There is no global registry. Create a [`Metrics`], share it (`Arc<Metrics>`), hand it to the
//! places that record, and call [`Metrics::render`] whenever a scrape (or a file, or the C API)
//! asks for the text. Two [`Metrics`] never share a counter, so tests can make a fresh one each.
//! Without the `metrics` feature this module does not exist and nothing else in cadfeat records
//! or times anything: the readers and the extractor never know about metrics.
//!
//! ```
//! use std::sync::Arc;
//! use cadfeat::metrics::Metrics;
//! use cadfeat::{FeatureExtractor, FeatureVersion, Limits};
//!
//! let metrics = Arc::new(Metrics::new());
//! let bytes = b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";
//! let doc = metrics.read(bytes, Some("stl"), &Limits::default()).unwrap();
//! let v = metrics.extract(&FeatureExtractor::new(FeatureVersion::V4), &doc);
//! assert_eq!(v.values.len(), 24);
//! let text = metrics.render();
//! assert!(text.contains("feature_extraction_latency_seconds_count{version=\"v4\"} 1"));
//! assert!(text.contains("parse_stage_latency_seconds_count{format=\"stl\"} 1"));
//! ```
//!
//! # Where it records
//!
//! | where | how |
//! |---|---|
//! | reading | [`Metrics::read`] (= [`Metrics::detect`] + [`Metrics::parse`]) instead of [`crate::read_bytes`] |
//! | extraction | [`Metrics::extract`] instead of [`FeatureExtractor::extract`] |
//! | tiered cache (feature `cache`) | `TieredCache::with_observer(metrics.clone())`: [`Metrics`] is a [`CacheObserver`] |
//! | cached extraction (feature `cache`) | `CachedExtractor::with_metrics(metrics.clone())`: reading, extraction, requests, rejections |
//! | cache tuning, prewarm (feature `cache`) | [`Metrics::record_tuning`], [`Metrics::record_tuning_advice`], [`Metrics::record_prewarm`] |
//! | vector migration | [`Metrics::migrate`], or [`Metrics::record_migration`] for a store's own statuses |
//! | vector store | [`Metrics::record_dimension_rejection`] |
//! | CLI | `cadfeat extract --metrics-out FILE` writes [`Metrics::render`] after the run |
//!
//! # The metrics
//!
//! Names, types, labels and buckets of the original service (spec §8), where the concept exists
//! in cadfeat ([`METRIC_NAMES`] lists every family):
//!
//! | family | type | labels |
//! |---|---|---|
//! | `feature_extraction_latency_seconds` | histogram | `version` (v1 … v5) |
//! | `v4_surface_count`, `v4_shape_entropy` | histogram | – (observed for v4 and v5 vectors, which carry both slots) |
//! | `parse_stage_latency_seconds` | histogram | `format` (successful and failed parses) |
//! | `analysis_requests_total` | counter | `status` (success, error) |
//! | `analysis_rejections_total` | counter | `reason` (empty, unknown_format, malformed, unsupported, file_too_large, entity_count_exceeded, limit_exceeded) |
//! | `feature_cache_hits_total`, `feature_cache_miss_total` | counter | `tier` (l1, l2) |
//! | `feature_cache_evictions_total` | counter | `tier` (l1) |
//! | `feature_cache_size` | gauge | `tier` (l1) |
//! | `feature_cache_lookup_seconds` | histogram | `tier` |
//! | `feature_cache_prewarm_total` | counter | `result` (ok, error) |
//! | `feature_cache_tuning_requests_total` | counter | `status` (ok, invalid, error) |
//! | `feature_cache_tuning_recommended_capacity`, `…_ttl_seconds` | gauge | – |
//! | `vector_migrate_total` | counter | `status` (migrated, skipped, dry_run, error, not_found, downgraded) |
//! | `vector_migrate_dimension_delta` | histogram | – |
//! | `vector_dimension_rejections_total` | counter | `reason` |
//!
//! and cadfeat's own signals: `cadfeat_cache_l2_errors_total{operation,kind}` (kind `timeout`
//! for timeouts), `cadfeat_cache_wrong_version_total{tier}`,
//! `cadfeat_cache_singleflight_waits_total`, `cadfeat_cache_computations_total{status}`,
//! `cadfeat_cache_corrupt_values_total{tier}` (for caches passed to [`Metrics::watch_cache`]),
//! `cadfeat_limit_exceeded_total{limit}`, `cadfeat_degraded_reads_total{format}`.
//!
//! # Cost
//!
//! Histograms keep one shard per thread, written with plain loads and stores (no locked
//! instruction; [`AtomicHistogram`]), and the three histograms an extraction feeds share one
//! shard, found through a one-entry thread-local cache. A bucket is found from a small table
//! indexed by the value's exponent plus at most two comparisons. Timing uses the CPU's
//! time-stamp counter where the kernel trusts it as a clock ([`Stopwatch`]: a pair of reads
//! costs 20–30 ns on the 2-core KVM this was measured on, against 40–80 ns for a pair of
//! `Instant::now()`). Even so, timing every v1–v4 extraction of a small document (70 ns to
//! 2 µs) would cost 15–100 %, so [`Metrics::extract`] times one in
//! [`SMALL_EXTRACTION_TIMING_INTERVAL`] of those per thread and every v5 or large one (its docs
//! say exactly what that means for the histogram). An untimed one reads only a thread-local
//! credit before the extraction, and then costs a countdown and the two shape histograms.
//! `benches/metrics.rs` measures the overhead (`paired/*` lines and the criterion groups); the
//! figures are in `BENCHMARKS.md`. Without a [`Metrics`] nothing is timed or counted.
//!
//! # The original's defects, not copied
//!
//! * **Double counting.** The original incremented the hit/miss counters in the cache *and*
//!   in the pipeline. Here each tiered request records one L1 lookup, and at most one L2
//!   lookup, at the one place it happens ([`crate::cache::observe`]); a hit or a miss is never
//!   recorded by a caller as well. `feature_cache_{hits,miss}_total{tier="l1"}` therefore move
//!   exactly like `MemoryCache::stats()`.
//! * **"Last hour" gauges** (`feature_cache_hits_last_hour`, `…_miss_last_hour`) measured the
//!   analysis cache, not the feature cache, in a per-process window. They do not exist here:
//!   use `increase(feature_cache_hits_total[1h])` in PromQL, which is correct across processes
//!   and restarts.
//! * The cache-size gauge is set on every L1 change, not only when an endpoint is called.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

pub mod clock;
pub mod histogram;

pub use clock::Stopwatch;
pub use histogram::{AtomicHistogram, ShardStore};

use crate::document::CadDocument;
use crate::error::{Error, LimitKind, Result};
use crate::features::{
    FeatureExtractor, FeatureVector, FeatureVersion, Migration, MigrationDirection,
};
use crate::format::Format;
use crate::limits::Limits;

#[cfg(feature = "cache")]
use prometheus_client::collector::Collector;
#[cfg(feature = "cache")]
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
#[cfg(feature = "cache")]
use prometheus_client::metrics::MetricType;
#[cfg(feature = "cache")]
use prometheus_client::metrics::counter::ConstCounter;

#[cfg(feature = "cache")]
use crate::cache::{
    CacheError, CacheObserver, CacheTuning, L2Op, PrewarmReport, Tier, TieredCache, TuningAdvice,
    TuningError,
};

/// `Content-Type` of [`Metrics::render`] (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// `Content-Type` of [`Metrics::render_openmetrics`].
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Buckets of `feature_extraction_latency_seconds` (spec §8).
pub const EXTRACTION_LATENCY_BUCKETS: [f64; 10] =
    [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0];
/// Buckets of `v4_surface_count`.
pub const SURFACE_COUNT_BUCKETS: [f64; 10] =
    [0.0, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
/// Buckets of `v4_shape_entropy`.
pub const SHAPE_ENTROPY_BUCKETS: [f64; 9] = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0];
/// Buckets of `parse_stage_latency_seconds`.
pub const PARSE_LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
];
/// Buckets of `feature_cache_lookup_seconds`.
pub const CACHE_LOOKUP_BUCKETS: [f64; 5] = [0.0001, 0.0005, 0.001, 0.005, 0.01];
/// Buckets of `vector_migrate_dimension_delta`.
pub const MIGRATE_DELTA_BUCKETS: [f64; 13] = [
    -20.0, -10.0, -5.0, -2.0, -1.0, 0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
];

/// Every metric family [`Metrics`] exposes, by its exposed name (counters with `_total`;
/// histograms expose `_bucket`, `_sum` and `_count` series under these names).
pub const METRIC_NAMES: &[&str] = &[
    "feature_extraction_latency_seconds",
    "v4_surface_count",
    "v4_shape_entropy",
    "parse_stage_latency_seconds",
    "analysis_requests_total",
    "analysis_rejections_total",
    "feature_cache_hits_total",
    "feature_cache_miss_total",
    "feature_cache_evictions_total",
    "feature_cache_size",
    "feature_cache_lookup_seconds",
    "feature_cache_prewarm_total",
    "feature_cache_tuning_requests_total",
    "feature_cache_tuning_recommended_capacity",
    "feature_cache_tuning_recommended_ttl_seconds",
    "vector_migrate_total",
    "vector_migrate_dimension_delta",
    "vector_dimension_rejections_total",
    "cadfeat_cache_l2_errors_total",
    "cadfeat_cache_wrong_version_total",
    "cadfeat_cache_singleflight_waits_total",
    "cadfeat_cache_computations_total",
    "cadfeat_cache_corrupt_values_total",
    "cadfeat_limit_exceeded_total",
    "cadfeat_degraded_reads_total",
];

/// Label values of `analysis_rejections_total{reason}`.
pub const REJECTION_REASONS: [&str; 7] = [
    "empty",
    "unknown_format",
    "malformed",
    "unsupported",
    "file_too_large",
    "entity_count_exceeded",
    "limit_exceeded",
];

const LIMIT_KINDS: [LimitKind; 8] = [
    LimitKind::Bytes,
    LimitKind::Entities,
    LimitKind::Triangles,
    LimitKind::Vertices,
    LimitKind::BlockDepth,
    LimitKind::Nesting,
    LimitKind::ExpandedEntities,
    LimitKind::Work,
];

/// Status of one vector in a migration (`vector_migrate_total{status}`, spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrateStatus {
    /// Upgraded and written back.
    Migrated,
    /// Already at the target version.
    Skipped,
    /// Computed but not written (dry run).
    DryRun,
    /// Failed (e.g. a length that does not match the version).
    Error,
    /// The id was not in the store.
    NotFound,
    /// Migrated to an older version.
    Downgraded,
}

impl MigrateStatus {
    /// Every status.
    pub const ALL: [MigrateStatus; 6] = [
        MigrateStatus::Migrated,
        MigrateStatus::Skipped,
        MigrateStatus::DryRun,
        MigrateStatus::Error,
        MigrateStatus::NotFound,
        MigrateStatus::Downgraded,
    ];

    /// The label value: `migrated`, `skipped`, `dry_run`, `error`, `not_found`, `downgraded`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrateStatus::Migrated => "migrated",
            MigrateStatus::Skipped => "skipped",
            MigrateStatus::DryRun => "dry_run",
            MigrateStatus::Error => "error",
            MigrateStatus::NotFound => "not_found",
            MigrateStatus::Downgraded => "downgraded",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FormatLabel {
    format: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TierLabel {
    tier: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabel {
    limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct L2ErrorLabel {
    operation: &'static str,
    kind: &'static str,
}

type HistFamily<L> = Family<L, AtomicHistogram, fn() -> AtomicHistogram>;

/// Hands out pre-built histograms (sharing one [`ShardStore`]) to a family, in the order its
/// label sets are first created; a fresh standalone histogram after that.
#[derive(Debug, Clone)]
struct Pool(
    Arc<std::sync::Mutex<std::collections::VecDeque<AtomicHistogram>>>,
    &'static [f64],
);

impl prometheus_client::metrics::family::MetricConstructor<AtomicHistogram> for Pool {
    fn new_metric(&self) -> AtomicHistogram {
        let next = self.0.lock().ok().and_then(|mut q| q.pop_front());
        next.unwrap_or_else(|| AtomicHistogram::new(self.1))
    }
}

/// An extraction's per-thread slots after its histograms ([`histogram::Untimed`]): a sequence
/// number, then per feature version the countdown to the next timed small extraction, then per
/// version the last timed small duration (`f64` bits).
const EXT_SEQ: usize = 0;
const EXT_COUNTDOWN: usize = 1;
const EXT_LAST: usize = 1 + FeatureVersion::ALL.len();
const EXT_EXTRA: usize = 1 + 2 * FeatureVersion::ALL.len();

/// One small v1–v4 extraction in this many (per thread) is timed; see [`Metrics::extract`].
pub const SMALL_EXTRACTION_TIMING_INTERVAL: u64 = 64;

thread_local! {
    /// Per feature version v1–v4: `(store id, n)`, this thread may make `n` more untimed small
    /// extractions with the registry whose extraction store has that id before the next timed
    /// one. The decision is the only thing [`Metrics::extract`] reads before an untimed
    /// extraction, and it is one load off the thread pointer; everything else happens after the
    /// extraction. It mirrors the registry's own countdown slot in the thread's shard (which
    /// scrapes read), set with it by every timed extraction and decremented with it.
    static SMALL_CREDIT: [Cell<(u64, u64)>; 4] =
        const { [const { Cell::new((0, 0)) }; 4] };
}

/// A document is "small" for timing purposes when it has at most this many entity kinds: a
/// v1–v4 extraction then does O(kinds) work, a few microseconds at most, far below the
/// smallest `feature_extraction_latency_seconds` bucket (0.5 ms).
pub const SMALL_DOCUMENT_KINDS: usize = 1024;
fn parse_hist() -> AtomicHistogram {
    AtomicHistogram::new(&PARSE_LATENCY_BUCKETS)
}
fn lookup_hist() -> AtomicHistogram {
    AtomicHistogram::new(&CACHE_LOOKUP_BUCKETS)
}

/// Pre-resolved handles of one `tier` (no label hashing on the hot path).
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "cache"), allow(dead_code))]
struct TierHandles {
    hits: Counter,
    misses: Counter,
    lookup_seconds: AtomicHistogram,
    wrong_version: Counter,
}

/// A Prometheus registry with cadfeat's metrics. Owned by the caller; share it in an `Arc`.
/// See the [module docs](self) for the metrics and where they are recorded.
#[derive(Debug)]
#[cfg_attr(not(feature = "cache"), allow(dead_code))]
pub struct Metrics {
    registry: Registry,
    /// The per-thread store of `extraction`, `surface_count` and `shape_entropy`, followed by
    /// [`EXT_EXTRA`] slots at `ext_extra`.
    ext_store: Arc<ShardStore>,
    /// `ext_store`'s id, kept here so that the untimed path reads nothing behind the pointer.
    ext_id: u64,
    ext_extra: usize,
    /// Layouts of the five `extraction` histograms, then `surface_count`, `shape_entropy`.
    ext_layout: [histogram::Layout; 7],
    parse: [AtomicHistogram; 7],
    requests_ok: Counter,
    requests_err: Counter,
    rejections: Family<ReasonLabel, Counter>,
    limits: Family<LimitLabel, Counter>,
    degraded: Family<FormatLabel, Counter>,
    l1: TierHandles,
    l2: TierHandles,
    l1_evictions: Counter,
    l1_size: Gauge,
    l2_errors: Family<L2ErrorLabel, Counter>,
    singleflight_waits: Counter,
    computations: Family<StatusLabel, Counter>,
    prewarm: Family<ResultLabel, Counter>,
    tuning_requests: Family<StatusLabel, Counter>,
    tuning_capacity: Gauge,
    tuning_ttl: Gauge<i64>,
    migrate: Family<StatusLabel, Counter>,
    migrate_delta: AtomicHistogram,
    dimension_rejections: Family<ReasonLabel, Counter>,
    #[cfg(feature = "cache")]
    watched: Arc<WatchedCaches>,
    /// Index of `surface_count` and `shape_entropy` in a v4/v5 vector.
    surface_slot: Option<usize>,
    entropy_slot: Option<usize>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every cadfeat metric registered. Every labelled series that cadfeat
    /// knows in advance (each version, format, tier, status, reason) exists from the start with
    /// value 0, so `rate()` works from the first scrape and dashboards never see "no data".
    pub fn new() -> Self {
        // The stopwatch's one-off calibration (a few milliseconds, once per process) happens
        // here rather than in the first timed extraction.
        clock::calibrate();
        let mut registry = Registry::default();

        // Extraction latency (five versions), surface count and shape entropy: one store, so
        // recording an extraction costs one thread-local lookup.
        let mut bounds: Vec<&[f64]> = vec![&EXTRACTION_LATENCY_BUCKETS; FeatureVersion::ALL.len()];
        bounds.push(&SURFACE_COUNT_BUCKETS);
        bounds.push(&SHAPE_ENTROPY_BUCKETS);
        let (ext_store, mut group, ext_extra) = AtomicHistogram::group(&bounds, EXT_EXTRA);
        let layouts: Vec<histogram::Layout> = group.iter().filter_map(|h| h.layout()).collect();
        let ext_layout: [histogram::Layout; 7] = layouts
            .try_into()
            .unwrap_or_else(|_| unreachable!("seven histograms of at most 16 bounds"));
        let shape_entropy = group.pop().unwrap_or_else(|| AtomicHistogram::new(&[]));
        let surface_count = group.pop().unwrap_or_else(|| AtomicHistogram::new(&[]));
        let group: Vec<AtomicHistogram> = group
            .into_iter()
            .enumerate()
            .map(|(vi, h)| {
                h.with_untimed(histogram::Untimed {
                    seq: ext_extra + EXT_SEQ,
                    countdown: ext_extra + EXT_COUNTDOWN + vi,
                    last: ext_extra + EXT_LAST + vi,
                    interval: SMALL_EXTRACTION_TIMING_INTERVAL,
                })
            })
            .collect();
        let pool = Pool(
            Arc::new(std::sync::Mutex::new(group.into())),
            &EXTRACTION_LATENCY_BUCKETS,
        );
        let extraction_f: Family<VersionLabel, AtomicHistogram, Pool> =
            Family::new_with_constructor(pool);
        registry.register(
            "feature_extraction_latency_seconds",
            "Time to extract a feature vector from a parsed document, per feature version",
            extraction_f.clone(),
        );
        // Creating the five series in version order hands them the pooled histograms.
        for v in FeatureVersion::ALL {
            let _ = extraction_f.get_or_create(&VersionLabel {
                version: v.as_str(),
            });
        }

        registry.register(
            "v4_surface_count",
            "Surface count slot of extracted v4/v5 vectors",
            surface_count.clone(),
        );
        registry.register(
            "v4_shape_entropy",
            "Shape entropy slot of extracted v4/v5 vectors",
            shape_entropy.clone(),
        );

        let parse_f: HistFamily<FormatLabel> = Family::new_with_constructor(parse_hist);
        registry.register(
            "parse_stage_latency_seconds",
            "Time to parse a file into a document, per detected format (failed parses included)",
            parse_f.clone(),
        );
        let parse =
            Format::ALL.map(|f| parse_f.get_or_create_owned(&FormatLabel { format: f.as_str() }));

        let requests: Family<StatusLabel, Counter> = Family::default();
        registry.register(
            "analysis_requests",
            "Extraction requests (read + extract, or answered by the cache), by outcome",
            requests.clone(),
        );
        let requests_ok = requests.get_or_create_owned(&StatusLabel { status: "success" });
        let requests_err = requests.get_or_create_owned(&StatusLabel { status: "error" });

        let rejections: Family<ReasonLabel, Counter> = Family::default();
        registry.register(
            "analysis_rejections",
            "Inputs refused, by reason",
            rejections.clone(),
        );
        for reason in REJECTION_REASONS {
            let _ = rejections.get_or_create(&ReasonLabel { reason });
        }

        let limits: Family<LimitLabel, Counter> = Family::default();
        registry.register(
            "cadfeat_limit_exceeded",
            "Inputs refused by a configured limit, by limit",
            limits.clone(),
        );
        for k in LIMIT_KINDS {
            let _ = limits.get_or_create(&LimitLabel { limit: k.as_str() });
        }

        let degraded: Family<FormatLabel, Counter> = Family::default();
        registry.register(
            "cadfeat_degraded_reads",
            "Files read only in part (metadata.degraded set), by format",
            degraded.clone(),
        );
        for f in [Format::Step, Format::Iges] {
            let _ = degraded.get_or_create(&FormatLabel { format: f.as_str() });
        }

        let hits: Family<TierLabel, Counter> = Family::default();
        registry.register(
            "feature_cache_hits",
            "Feature-vector cache lookups that found a usable vector, per tier (each lookup once)",
            hits.clone(),
        );
        let misses: Family<TierLabel, Counter> = Family::default();
        registry.register(
            "feature_cache_miss",
            "Feature-vector cache lookups that found nothing usable, per tier (each lookup once)",
            misses.clone(),
        );
        let evictions: Family<TierLabel, Counter> = Family::default();
        registry.register(
            "feature_cache_evictions",
            "Live entries pushed out of the cache by capacity, per tier",
            evictions.clone(),
        );
        let size: Family<TierLabel, Gauge> = Family::default();
        registry.register(
            "feature_cache_size",
            "Entries in the cache, per tier",
            size.clone(),
        );
        let lookup_f: HistFamily<TierLabel> = Family::new_with_constructor(lookup_hist);
        registry.register(
            "feature_cache_lookup_seconds",
            "Time of one cache lookup call, per tier",
            lookup_f.clone(),
        );
        let wrong: Family<TierLabel, Counter> = Family::default();
        registry.register(
            "cadfeat_cache_wrong_version",
            "Cached values of another feature version or length than their key's, ignored",
            wrong.clone(),
        );
        let tier = |t: &'static str| TierHandles {
            hits: hits.get_or_create_owned(&TierLabel { tier: t }),
            misses: misses.get_or_create_owned(&TierLabel { tier: t }),
            lookup_seconds: lookup_f.get_or_create_owned(&TierLabel { tier: t }),
            wrong_version: wrong.get_or_create_owned(&TierLabel { tier: t }),
        };
        let (l1, l2) = (tier("l1"), tier("l2"));
        let l1_evictions = evictions.get_or_create_owned(&TierLabel { tier: "l1" });
        let l1_size = size.get_or_create_owned(&TierLabel { tier: "l1" });

        let l2_errors: Family<L2ErrorLabel, Counter> = Family::default();
        registry.register(
            "cadfeat_cache_l2_errors",
            "L2 calls that failed and were degraded to a miss, by operation and kind (kind=\"timeout\" for timeouts)",
            l2_errors.clone(),
        );
        for operation in ["get", "get_many", "set", "delete"] {
            for kind in [
                "unavailable",
                "timeout",
                "circuit_open",
                "backend",
                "config",
            ] {
                let _ = l2_errors.get_or_create(&L2ErrorLabel { operation, kind });
            }
        }

        let singleflight_waits = Counter::default();
        registry.register(
            "cadfeat_cache_singleflight_waits",
            "Requests that waited for a concurrent request's result for the same key",
            singleflight_waits.clone(),
        );
        let computations: Family<StatusLabel, Counter> = Family::default();
        registry.register(
            "cadfeat_cache_computations",
            "Vectors computed after a miss in every tier, by outcome",
            computations.clone(),
        );
        for status in ["ok", "error"] {
            let _ = computations.get_or_create(&StatusLabel { status });
        }

        let prewarm: Family<ResultLabel, Counter> = Family::default();
        registry.register(
            "feature_cache_prewarm",
            "Cache prewarm runs, by result",
            prewarm.clone(),
        );
        for result in ["ok", "error"] {
            let _ = prewarm.get_or_create(&ResultLabel { result });
        }
        let tuning_requests: Family<StatusLabel, Counter> = Family::default();
        registry.register(
            "feature_cache_tuning_requests",
            "Cache tuning recommendations computed, by status",
            tuning_requests.clone(),
        );
        for status in ["ok", "invalid", "error"] {
            let _ = tuning_requests.get_or_create(&StatusLabel { status });
        }
        let tuning_capacity = Gauge::default();
        registry.register(
            "feature_cache_tuning_recommended_capacity",
            "Capacity of the last cache tuning recommendation",
            tuning_capacity.clone(),
        );
        let tuning_ttl = Gauge::<i64>::default();
        registry.register(
            "feature_cache_tuning_recommended_ttl_seconds",
            "TTL of the last cache tuning recommendation, in seconds",
            tuning_ttl.clone(),
        );

        let migrate: Family<StatusLabel, Counter> = Family::default();
        registry.register(
            "vector_migrate",
            "Vectors migrated between feature versions, by status",
            migrate.clone(),
        );
        for s in MigrateStatus::ALL {
            let _ = migrate.get_or_create(&StatusLabel { status: s.as_str() });
        }
        let migrate_delta = AtomicHistogram::new(&MIGRATE_DELTA_BUCKETS);
        registry.register(
            "vector_migrate_dimension_delta",
            "Length after minus length before, per migrated vector (dry runs included)",
            migrate_delta.clone(),
        );
        let dimension_rejections: Family<ReasonLabel, Counter> = Family::default();
        registry.register(
            "vector_dimension_rejections",
            "Vectors refused by a store for a dimension that does not match, by reason",
            dimension_rejections.clone(),
        );
        for reason in [
            "dimension_mismatch_register",
            "dimension_mismatch_faiss_add",
        ] {
            let _ = dimension_rejections.get_or_create(&ReasonLabel { reason });
        }

        #[cfg(feature = "cache")]
        let watched = {
            let w = Arc::new(WatchedCaches::default());
            registry.register_collector(Box::new(w.clone()));
            w
        };

        let slots = crate::features::slots(FeatureVersion::V4);
        let pos = |name: &str| slots.iter().position(|s| s.name == name);
        Metrics {
            registry,
            ext_id: ext_store.id(),
            ext_store,
            ext_extra,
            ext_layout,
            parse,
            requests_ok,
            requests_err,
            rejections,
            limits,
            degraded,
            l1,
            l2,
            l1_evictions,
            l1_size,
            l2_errors,
            singleflight_waits,
            computations,
            prewarm,
            tuning_requests,
            tuning_capacity,
            tuning_ttl,
            migrate,
            migrate_delta,
            dimension_rejections,
            #[cfg(feature = "cache")]
            watched,
            surface_slot: pos("surface_count"),
            entropy_slot: pos("shape_entropy"),
        }
    }

    /// The underlying registry (e.g. to encode it yourself).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry, to register the application's own metrics next to cadfeat's (before the
    /// `Metrics` is shared).
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The metrics in the Prometheus text exposition format 0.0.4 ([`CONTENT_TYPE`]): what a
    /// Prometheus server scrapes, and what `--metrics-out` writes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would leave a partial text.
        if prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry).is_err() {
            let _ = writeln!(out, "# cadfeat: metrics encoding failed");
        }
        out
    }

    /// The metrics in the OpenMetrics text format ([`OPENMETRICS_CONTENT_TYPE`]), ending in
    /// `# EOF`.
    pub fn render_openmetrics(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            let _ = writeln!(out, "# cadfeat: metrics encoding failed");
        }
        out
    }

    // ----- reading and extraction -------------------------------------------------------

    /// [`crate::format::detect`], counting an unknown format as a rejection.
    pub fn detect(&self, bytes: &[u8], extension_hint: Option<&str>) -> Result<Format> {
        crate::format::detect(bytes, extension_hint).inspect_err(|e| {
            self.record_rejection(e);
        })
    }

    /// [`crate::readers::read`], timed in `parse_stage_latency_seconds{format}` (failures
    /// too); a failure is counted as a rejection, a document with `metadata.degraded` in
    /// `cadfeat_degraded_reads_total`.
    pub fn parse(&self, bytes: &[u8], format: Format, limits: &Limits) -> Result<CadDocument> {
        let start = Stopwatch::start();
        let r = crate::readers::read(bytes, format, limits);
        self.observe_parse(format, start.seconds());
        match &r {
            Ok(doc) if doc.metadata.degraded.is_some() => self.record_degraded(format),
            Ok(_) => {}
            Err(e) => {
                self.record_rejection(e);
            }
        }
        r
    }

    /// [`crate::read_bytes`] with metrics: [`Metrics::detect`] then [`Metrics::parse`].
    pub fn read(
        &self,
        bytes: &[u8],
        extension_hint: Option<&str>,
        limits: &Limits,
    ) -> Result<CadDocument> {
        let format = self.detect(bytes, extension_hint)?;
        self.parse(bytes, format, limits)
    }

    /// [`FeatureExtractor::extract`], recorded in `feature_extraction_latency_seconds{version}`;
    /// v4 and v5 vectors also feed `v4_surface_count` and `v4_shape_entropy` (the values of
    /// the vector's own slots, nothing is recomputed).
    ///
    /// # What is timed
    /// Every extraction is counted, in its exact bucket. A v5 extraction (mesh geometry:
    /// microseconds to seconds), and any extraction of a document with more than
    /// [`SMALL_DOCUMENT_KINDS`] entity kinds, is timed every time. A v1–v4 extraction of a
    /// smaller document reads a few counts (`benches/metrics.rs`: 70 ns for a small STL, 130 ns
    /// on average over the shared corpus), which a pair of clock reads (20–80 ns on a VM) would
    /// slow by 15–100 %: one such extraction in [`SMALL_EXTRACTION_TIMING_INTERVAL`] per thread
    /// and version is timed (the first one included), and the others are counted as taking the
    /// duration last timed on that thread for that version. Their bucket is exact either way
    /// (they all take far less than the smallest bound, 0.5 ms, unless the thread is preempted
    /// during one, which the timed sample sees at the same rate); their share of `_sum` is an
    /// estimate from the samples. A scrape sees every extraction that has returned, once.
    ///
    /// The thread's permission for an untimed extraction is a thread-local credit per version,
    /// held by one registry at a time. A thread that alternates between two `Metrics`
    /// registries for the same version hands it back and forth, so its small extractions are
    /// all timed (still counted exactly, only slower).
    pub fn extract(&self, extractor: &FeatureExtractor, doc: &CadDocument) -> FeatureVector {
        // The untimed path is here, everything else out of line in `extract_timed`. Before an
        // untimed extraction only the thread's credit is read (`SMALL_CREDIT`); counting and
        // the shape histograms come after it. Not `#[inline]`: inlined into a caller, the
        // overhead on a 72 ns extraction moved between 4 % and 14 % with the caller's code
        // (`benches/metrics.rs` restructured), out of line between 2 % and 8 %.
        let version = extractor.version();
        let vi = usize::from(version.number()) - 1;
        if doc.entity_counts.len() <= SMALL_DOCUMENT_KINDS
            && let Some(left) = SMALL_CREDIT.with(|credits| {
                let credit = credits.get(vi)?;
                let (id, n) = credit.get();
                (id == self.ext_id && n > 0).then(|| {
                    credit.set((id, n - 1));
                    n - 1
                })
            })
        {
            let mut shape = [0.0; 2];
            let v = extractor.extract_with_shape(doc, &mut shape);
            // Untimed: counted by the countdown alone (see `histogram::Untimed`).
            let shard = self.ext_store.shard();
            if let Some(countdown) = shard.get(self.ext_extra + EXT_COUNTDOWN + vi) {
                countdown.store(left, Ordering::Relaxed);
            }
            self.observe_shape_values(shard, version, shape);
            return v;
        }
        self.extract_timed(extractor, doc)
    }

    /// [`Metrics::extract`] when the extraction is timed: v5, a large document, or a small one
    /// that the thread's credit does not cover (one in [`SMALL_EXTRACTION_TIMING_INTERVAL`], the
    /// thread's first, or one after another registry took the credit).
    #[inline(never)]
    fn extract_timed(&self, extractor: &FeatureExtractor, doc: &CadDocument) -> FeatureVector {
        let version = extractor.version();
        if version == FeatureVersion::V5 || doc.entity_counts.len() > SMALL_DOCUMENT_KINDS {
            return self.extract_with(|| extractor.extract(doc));
        }
        let shard = self.ext_store.shard();
        let vi = usize::from(version.number()) - 1;
        let at = |k: usize| shard.get(self.ext_extra + k);
        let (Some(countdown), Some(latency)) = (at(EXT_COUNTDOWN + vi), self.ext_layout.get(vi))
        else {
            return self.extract_with(|| extractor.extract(doc));
        };
        let start = Stopwatch::start();
        let mut shape = [0.0; 2];
        let v = extractor.extract_with_shape(doc, &mut shape);
        let seconds = start.seconds();
        // Fold the untimed extractions since the last timed one into the bucket of its
        // duration, and record this one, inside the write side of the seqlock.
        if let (Some(seq), Some(last)) = (at(EXT_SEQ), at(EXT_LAST + vi)) {
            let s = seq.load(Ordering::Relaxed);
            seq.store(s.wrapping_add(1), Ordering::Relaxed);
            std::sync::atomic::fence(Ordering::Release);
            let last_bits = last.load(Ordering::Relaxed);
            if last_bits != 0 {
                // All the untimed ones since the last timed one: usually the whole interval,
                // fewer when another registry took this thread's credit in between.
                let pending = (SMALL_EXTRACTION_TIMING_INTERVAL - 1)
                    .saturating_sub(countdown.load(Ordering::Relaxed));
                latency.record_n(shard, f64::from_bits(last_bits), pending);
            }
            latency.record(shard, seconds);
            // Never store 0 (it means "not timed yet"): the smallest positive f64 instead.
            last.store(seconds.max(f64::MIN_POSITIVE).to_bits(), Ordering::Relaxed);
            countdown.store(SMALL_EXTRACTION_TIMING_INTERVAL - 1, Ordering::Relaxed);
            seq.store(s.wrapping_add(2), Ordering::Release);
            SMALL_CREDIT.with(|credits| {
                if let Some(credit) = credits.get(vi) {
                    credit.set((self.ext_id, SMALL_EXTRACTION_TIMING_INTERVAL - 1));
                }
            });
        }
        self.observe_shape_values(shard, version, shape);
        v
    }

    /// Runs a custom extraction and records it like [`Metrics::extract`] (always timed).
    pub fn extract_with(&self, f: impl FnOnce() -> FeatureVector) -> FeatureVector {
        let start = Stopwatch::start();
        let v = f();
        self.observe_extraction(&v, start.seconds());
        v
    }

    /// Records an extraction of `vector` that took `seconds` (for callers that time it
    /// themselves).
    pub fn observe_extraction(&self, vector: &FeatureVector, seconds: f64) {
        let shard = self.ext_store.shard();
        if let Some(h) = self
            .ext_layout
            .get(usize::from(vector.version.number()) - 1)
        {
            h.record(shard, seconds);
        }
        self.observe_shape_in(shard, vector);
    }

    /// `v4_surface_count` and `v4_shape_entropy` from a v4/v5 vector's own slots.
    fn observe_shape_in(&self, shard: &[AtomicU64], vector: &FeatureVector) {
        let slot = |i: Option<usize>| i.and_then(|i| vector.values.get(i)).copied();
        if let (Some(s), Some(e)) = (slot(self.surface_slot), slot(self.entropy_slot)) {
            self.observe_shape_values(shard, vector.version, [s, e]);
        }
    }

    /// `v4_surface_count` and `v4_shape_entropy` (for v4 and v5 vectors only).
    #[inline(always)]
    fn observe_shape_values(
        &self,
        shard: &[AtomicU64],
        version: FeatureVersion,
        [surface_count, entropy]: [f64; 2],
    ) {
        if version >= FeatureVersion::V4 {
            let [.., surface_h, entropy_h] = &self.ext_layout;
            surface_h.record(shard, surface_count);
            entropy_h.record(shard, entropy);
        }
    }

    /// Records a parse of `format` that took `seconds`.
    pub fn observe_parse(&self, format: Format, seconds: f64) {
        if let Some(i) = Format::ALL.iter().position(|f| *f == format)
            && let Some(h) = self.parse.get(i)
        {
            h.observe(seconds);
        }
    }

    /// Counts a document read only in part.
    pub fn record_degraded(&self, format: Format) {
        self.degraded
            .get_or_create(&FormatLabel {
                format: format.as_str(),
            })
            .inc();
    }

    /// Counts an extraction request (read + extract, or a cache answer) by outcome:
    /// `analysis_requests_total{status="success"|"error"}`.
    pub fn record_request(&self, ok: bool) {
        if ok {
            self.requests_ok.inc();
        } else {
            self.requests_err.inc();
        }
    }

    /// Counts `error` in `analysis_rejections_total{reason}` when it is a refusal of the input
    /// (and a limit also in `cadfeat_limit_exceeded_total{limit}`); I/O errors, unknown
    /// versions and vector lengths are not rejections of an input and are not counted.
    /// Returns the reason counted.
    pub fn record_rejection(&self, error: &Error) -> Option<&'static str> {
        let reason = rejection_reason(error)?;
        self.rejections.get_or_create(&ReasonLabel { reason }).inc();
        if let Error::LimitExceeded { limit, .. } = error {
            self.limits
                .get_or_create(&LimitLabel {
                    limit: limit.as_str(),
                })
                .inc();
        }
        Some(reason)
    }

    // ----- vectors ------------------------------------------------------------------------

    /// [`crate::features::migrate`], counted in `vector_migrate_total{status}` (`migrated`,
    /// `downgraded`, `skipped` for the same version, `error`) and, unless skipped or failed,
    /// `vector_migrate_dimension_delta`.
    pub fn migrate(
        &self,
        values: &[f64],
        from: FeatureVersion,
        to: FeatureVersion,
    ) -> Result<Migration> {
        match crate::features::migrate(values, from, to) {
            Ok(m) => {
                let status = match m.direction {
                    MigrationDirection::Upgrade => MigrateStatus::Migrated,
                    MigrationDirection::Downgrade => MigrateStatus::Downgraded,
                    MigrationDirection::Unchanged => MigrateStatus::Skipped,
                };
                let delta = (status != MigrateStatus::Skipped)
                    .then_some(m.values.len() as f64 - values.len() as f64);
                self.record_migration(status, delta);
                Ok(m)
            }
            Err(e) => {
                self.record_migration(MigrateStatus::Error, None);
                Err(e)
            }
        }
    }

    /// Counts one vector of a migration with `status`, and observes the dimension delta
    /// (length after − before) when given (the original observes it for dry runs too).
    pub fn record_migration(&self, status: MigrateStatus, dimension_delta: Option<f64>) {
        self.migrate
            .get_or_create(&StatusLabel {
                status: status.as_str(),
            })
            .inc();
        if let Some(d) = dimension_delta {
            self.migrate_delta.observe(d);
        }
    }

    /// Counts a vector a store refused for its dimension (`reason`, e.g.
    /// `dimension_mismatch_register`).
    pub fn record_dimension_rejection(&self, reason: &'static str) {
        self.dimension_rejections
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }
}

/// The `analysis_rejections_total` reason of an error, `None` when it is not a rejection of
/// the input.
pub fn rejection_reason(error: &Error) -> Option<&'static str> {
    Some(match error {
        Error::Empty => "empty",
        Error::UnknownFormat { .. } => "unknown_format",
        Error::Malformed { .. } => "malformed",
        Error::Unsupported { .. } => "unsupported",
        Error::LimitExceeded {
            limit: LimitKind::Bytes,
            ..
        } => "file_too_large",
        Error::LimitExceeded {
            limit: LimitKind::Entities,
            ..
        } => "entity_count_exceeded",
        Error::LimitExceeded { .. } => "limit_exceeded",
        _ => return None,
    })
}

// ----- cache ------------------------------------------------------------------------------

#[cfg(feature = "cache")]
impl Metrics {
    fn tier(&self, tier: Tier) -> &TierHandles {
        match tier {
            Tier::L1 => &self.l1,
            Tier::L2 => &self.l2,
        }
    }

    /// Records recommendation A ([`crate::cache::recommend_from_stats`],
    /// `MemoryCache::tuning`): the two gauges and `feature_cache_tuning_requests_total{status="ok"}`.
    pub fn record_tuning(&self, tuning: &CacheTuning) {
        self.set_tuning_gauges(tuning.recommended_capacity, tuning.recommended_ttl_seconds);
        self.count_tuning("ok");
    }

    /// Records recommendation B ([`crate::cache::recommend_from_hit_rate`]): the gauges and
    /// `status="ok"`, or `status="invalid"` for refused inputs (gauges unchanged).
    pub fn record_tuning_advice(&self, advice: &std::result::Result<TuningAdvice, TuningError>) {
        match advice {
            Ok(a) => {
                self.set_tuning_gauges(a.recommended_capacity, a.recommended_ttl);
                self.count_tuning("ok");
            }
            Err(_) => self.count_tuning("invalid"),
        }
    }

    /// Counts a tuning request that failed inside the caller (`status="error"`).
    pub fn record_tuning_error(&self) {
        self.count_tuning("error");
    }

    fn count_tuning(&self, status: &'static str) {
        self.tuning_requests
            .get_or_create(&StatusLabel { status })
            .inc();
    }

    fn set_tuning_gauges(&self, capacity: u64, ttl: u64) {
        self.tuning_capacity
            .set(i64::try_from(capacity).unwrap_or(i64::MAX));
        self.tuning_ttl.set(i64::try_from(ttl).unwrap_or(i64::MAX));
    }

    /// Exposes, on every render, the corrupt values (undecodable, truncated, foreign data)
    /// that `cache`'s backends counted, in `cadfeat_cache_corrupt_values_total{tier}`. The
    /// backends count these themselves (a corrupt value reaches the tiered cache as a plain
    /// miss), so they are read from [`crate::cache::CacheStats::corrupt`] at render time;
    /// each backend is counted once even when several watched caches share it. The cache is
    /// held weakly: dropping it stops the watching.
    pub fn watch_cache(&self, cache: &Arc<TieredCache>) {
        let mut list = self
            .watched
            .caches
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        list.retain(|w| w.strong_count() > 0);
        if !list
            .iter()
            .any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(cache)))
        {
            list.push(Arc::downgrade(cache));
        }
    }

    /// Counts a prewarm (`MemoryCache::prewarm`) in `feature_cache_prewarm_total{result="ok"}`.
    pub fn record_prewarm(&self, _report: &PrewarmReport) {
        self.prewarm
            .get_or_create(&ResultLabel { result: "ok" })
            .inc();
    }
}

/// The caches whose backend counters [`Metrics::watch_cache`] exposes.
#[cfg(feature = "cache")]
#[derive(Debug, Default)]
struct WatchedCaches {
    caches: std::sync::Mutex<Vec<std::sync::Weak<TieredCache>>>,
}

#[cfg(feature = "cache")]
impl Collector for WatchedCaches {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let caches: Vec<Arc<TieredCache>> = {
            let list = self.caches.lock().unwrap_or_else(|p| p.into_inner());
            list.iter().filter_map(|w| w.upgrade()).collect()
        };
        // One count per backend object, however many caches share it.
        let mut seen: Vec<*const ()> = Vec::new();
        let (mut l1, mut l2) = (0u64, 0u64);
        for c in &caches {
            let p = Arc::as_ptr(c.l1()).cast::<()>();
            if !seen.contains(&p) {
                seen.push(p);
                l1 = l1.saturating_add(c.l1().stats().corrupt);
            }
            if let Some(b) = c.l2() {
                let p = Arc::as_ptr(b).cast::<()>();
                if !seen.contains(&p) {
                    seen.push(p);
                    l2 = l2.saturating_add(b.stats().corrupt);
                }
            }
        }
        let mut family = encoder.encode_descriptor(
            "cadfeat_cache_corrupt_values",
            "Cached values that did not decode as a cadfeat vector (treated as misses), per tier",
            None,
            MetricType::Counter,
        )?;
        for (tier, n) in [("l1", l1), ("l2", l2)] {
            ConstCounter::new(n).encode(family.encode_family(&TierLabel { tier })?)?;
        }
        Ok(())
    }
}

#[cfg(feature = "cache")]
impl CacheObserver for Metrics {
    fn lookup(&self, tier: Tier, hit: bool) {
        let t = self.tier(tier);
        if hit {
            t.hits.inc();
        } else {
            t.misses.inc();
        }
    }

    fn lookup_latency(&self, tier: Tier, seconds: f64) {
        self.tier(tier).lookup_seconds.observe(seconds);
    }

    fn l2_error(&self, op: L2Op, error: &CacheError) {
        self.l2_errors
            .get_or_create(&L2ErrorLabel {
                operation: op.as_str(),
                kind: crate::cache::observe::error_kind(error),
            })
            .inc();
    }

    fn wrong_version(&self, tier: Tier) {
        self.tier(tier).wrong_version.inc();
    }

    fn l1_changed(&self, evicted: u64, len: usize) {
        if evicted > 0 {
            self.l1_evictions.inc_by(evicted);
        }
        self.l1_size.set(i64::try_from(len).unwrap_or(i64::MAX));
    }

    fn coalesced(&self) {
        self.singleflight_waits.inc();
    }

    fn computed(&self, ok: bool) {
        self.computations
            .get_or_create(&StatusLabel {
                status: if ok { "ok" } else { "error" },
            })
            .inc();
    }
}
