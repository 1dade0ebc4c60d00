//! Extract-and-index: many sources in, vectors in a [`VectorIndex`] out, with bounded
//! concurrency, back-pressure, cancellation, progress and per-item outcomes.
//!
//! The service cadfeat replaces documented an `async_extract_and_index` task that never existed
//! (spec `original-service.md` §6, §11.14). [`extract_and_index`] is that task:
//!
//! ```text
//! sources (lazy iterator) ──► at most `concurrency` tasks ──► CachedExtractor (tiered cache;
//!        ▲ pulled only when a      │                            parsing on the blocking pool)
//!        │ slot frees up           ▼
//!        └──────────────── outcome ◄── VectorIndex::insert (blocking pool)
//!                              │
//!                              ▼
//!                     on_item(&outcome, &progress)
//! ```
//!
//! * **Bounded concurrency**: at most [`PipelineOptions::concurrency`] items are in flight
//!   (default: the number of cores). CPU-bound work (parsing, extraction, hashing large inputs)
//!   runs on Tokio's blocking pool through [`CachedExtractor`]; index writes too (a Redis index
//!   does network I/O synchronously). The executor's threads only coordinate.
//! * **Back-pressure**: the source iterator is consumed lazily, one source per free slot. A
//!   million paths never become a million tasks or a million buffered sources; memory is bounded
//!   by `concurrency` items plus what the cache and the index keep.
//! * **Cancellation**: [`CancelToken::cancel`] stops pulling sources at once; items still being
//!   extracted are reported [`ItemStatus::Cancelled`] and not indexed (their blocking work, which
//!   cannot be interrupted, finishes in the background and is dropped).
//! * **Outcomes**: every started item yields one [`ItemOutcome`]: [`ItemStatus::Indexed`]
//!   (computed now), [`ItemStatus::Cached`] (served from L1 / L2 / a concurrent identical
//!   request, then indexed), [`ItemStatus::Failed`] with its error, or cancelled. They are given
//!   to the `on_item` callback with a [`Progress`] snapshot, in completion order, and not kept,
//!   so a long run does not accumulate them ([`extract_and_index_collect`] keeps them).
//!
//! Each indexed vector gets the metadata of [`crate::index::metadata_for`] (version, layout,
//! dimensions), `source_path` (canonical path, for recomputation during migration) for file
//! sources, plus the source's own metadata (whose keys cannot override those).
//!
//! ```no_run
//! use std::sync::Arc;
//! use cadfeat::cache::{CachedExtractor, TieredCache};
//! use cadfeat::index::{MemoryIndex, VectorIndex};
//! use cadfeat::pipeline::{PipelineOptions, Source, extract_and_index};
//! use cadfeat::{FeatureExtractor, FeatureVersion, Limits};
//!
//! # async fn run() {
//! let cache = Arc::new(TieredCache::memory_only(4096));
//! let extractor =
//!     CachedExtractor::new(FeatureExtractor::new(FeatureVersion::V5), Limits::default(), cache);
//! let index = Arc::new(MemoryIndex::new());
//! let sources = ["a.stl", "b.step"].into_iter().map(Source::path);
//! let summary = extract_and_index(sources, &extractor, index.clone(), PipelineOptions::default(),
//!     |item, progress| eprintln!("{} {} ({} done)", item.id, item.status, progress.completed)).await;
//! assert_eq!(summary.completed, 2);
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::cache::{CacheSource, CachedExtractor};
use crate::error::Error;
use crate::index::{IndexError, META_SOURCE_PATH, Metadata, VectorIndex, metadata_for};

/// Where a source's bytes come from.
#[derive(Debug, Clone)]
pub enum SourceData {
    /// A file, read on the blocking pool (size checked against the limits first).
    Path(PathBuf),
    /// Bytes in memory, with an optional extension hint (`"stl"`).
    Bytes {
        /// The content.
        bytes: Arc<[u8]>,
        /// The extension hint for format detection.
        ext_hint: Option<String>,
    },
}

/// One item to extract and index.
#[derive(Debug, Clone)]
pub struct Source {
    /// The id in the index.
    pub id: String,
    /// The content.
    pub data: SourceData,
    /// Extra metadata stored with the vector.
    pub metadata: Metadata,
}

impl Source {
    /// A file; its id is the path as given.
    pub fn path(path: impl Into<PathBuf>) -> Source {
        let path = path.into();
        Source {
            id: path.display().to_string(),
            data: SourceData::Path(path),
            metadata: Metadata::new(),
        }
    }

    /// Bytes in memory under `id`.
    pub fn bytes(
        id: impl Into<String>,
        bytes: impl Into<Arc<[u8]>>,
        ext_hint: Option<&str>,
    ) -> Source {
        Source {
            id: id.into(),
            data: SourceData::Bytes {
                bytes: bytes.into(),
                ext_hint: ext_hint.map(str::to_owned),
            },
            metadata: Metadata::new(),
        }
    }

    /// Adds a metadata entry.
    pub fn with_meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Source {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

#[derive(Debug, Default)]
struct CancelInner {
    flag: AtomicBool,
    notify: Notify,
}

/// A cancellation token: clone it, hand a clone to the pipeline, call [`CancelToken::cancel`]
/// from anywhere (any thread, a signal handler task, the progress callback).
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<CancelInner>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Cancels; idempotent.
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }

    /// Completes when cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Register before checking the flag so that a cancel in between is not missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Settings of a pipeline run.
#[derive(Debug, Clone, Default)]
pub struct PipelineOptions {
    /// Items in flight at most; 0 = the number of cores.
    pub concurrency: usize,
    /// The cancellation token.
    pub cancel: CancelToken,
}

impl PipelineOptions {
    /// Options with `concurrency` items in flight (0 = the number of cores).
    pub fn with_concurrency(concurrency: usize) -> Self {
        PipelineOptions {
            concurrency,
            ..PipelineOptions::default()
        }
    }

    /// The effective concurrency (≥ 1).
    pub fn effective_concurrency(&self) -> usize {
        if self.concurrency > 0 {
            self.concurrency
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }
    }
}

/// Why an item failed.
#[derive(Debug)]
pub enum ItemError {
    /// Reading or extraction failed.
    Extract(Error),
    /// The index refused the vector or its backend failed.
    Index(IndexError),
    /// The item's task panicked (a bug; the pipeline carried on).
    Panicked(String),
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemError::Extract(e) => write!(f, "{e}"),
            ItemError::Index(e) => write!(f, "{e}"),
            ItemError::Panicked(m) => write!(f, "task panicked: {m}"),
        }
    }
}

impl std::error::Error for ItemError {}

impl ItemError {
    /// A short stable code: the [`Error::code`] of extraction errors, `"index"`, `"panic"`.
    pub fn code(&self) -> &'static str {
        match self {
            ItemError::Extract(e) => e.code(),
            ItemError::Index(_) => "index",
            ItemError::Panicked(_) => "panic",
        }
    }
}

/// What happened to one item.
#[derive(Debug, Clone)]
pub enum ItemStatus {
    /// Extracted now (cache miss) and indexed.
    Indexed,
    /// Served from the cache (`l1`, `l2` or `coalesced`) and indexed.
    Cached(CacheSource),
    /// Not indexed (shared so that outcomes can be cloned).
    Failed(Arc<ItemError>),
    /// Cancelled before it finished; not indexed.
    Cancelled,
}

impl ItemStatus {
    /// `"indexed"`, `"cached"`, `"failed"`, `"cancelled"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ItemStatus::Indexed => "indexed",
            ItemStatus::Cached(_) => "cached",
            ItemStatus::Failed(_) => "failed",
            ItemStatus::Cancelled => "cancelled",
        }
    }

    /// True for indexed and cached items (the vector is in the index).
    pub fn is_indexed(&self) -> bool {
        matches!(self, ItemStatus::Indexed | ItemStatus::Cached(_))
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemStatus::Cached(s) => write!(f, "cached ({s})"),
            ItemStatus::Failed(e) => write!(f, "failed: {e}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// The outcome of one item.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    /// The source's id.
    pub id: String,
    /// What happened.
    pub status: ItemStatus,
    /// Wall time from start to finish of this item.
    pub seconds: f64,
}

/// Counters, as of the last finished item (also the run's summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items pulled from the source iterator and started.
    pub started: u64,
    /// Items finished (any status).
    pub completed: u64,
    /// Items extracted now and indexed.
    pub indexed: u64,
    /// Items served from the cache and indexed.
    pub cached: u64,
    /// Items failed.
    pub failed: u64,
    /// Items cancelled.
    pub cancelled: u64,
    /// Items in flight now.
    pub in_flight: u64,
    /// The most items ever in flight at once (≤ the concurrency: the back-pressure bound).
    pub max_in_flight: u64,
}

/// The summary of a run: the final [`Progress`] and whether it was cancelled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineSummary {
    /// Items finished (any status).
    pub completed: u64,
    /// Items extracted now and indexed.
    pub indexed: u64,
    /// Items served from the cache and indexed.
    pub cached: u64,
    /// Items failed.
    pub failed: u64,
    /// Items cancelled.
    pub cancelled: u64,
    /// The most items ever in flight at once.
    pub max_in_flight: u64,
    /// True when the token was cancelled (sources may remain unread).
    pub was_cancelled: bool,
}

/// Extracts every source through `extractor` and inserts the vectors into `index` (see the
/// module docs). Must run inside a Tokio runtime (multi-threaded with the time driver, as the
/// cache requires).
pub async fn extract_and_index<I, F>(
    sources: I,
    extractor: &CachedExtractor,
    index: Arc<dyn VectorIndex>,
    options: PipelineOptions,
    mut on_item: F,
) -> PipelineSummary
where
    I: IntoIterator<Item = Source>,
    F: FnMut(&ItemOutcome, &Progress),
{
    let limit = options.effective_concurrency();
    let cancel = options.cancel.clone();
    let mut sources = sources.into_iter();
    let mut set: JoinSet<ItemOutcome> = JoinSet::new();
    let mut ids: HashMap<tokio::task::Id, String> = HashMap::with_capacity(limit);
    let mut p = Progress::default();
    let mut exhausted = false;
    loop {
        while !exhausted && set.len() < limit && !cancel.is_cancelled() {
            match sources.next() {
                Some(src) => {
                    let id = src.id.clone();
                    let h = set.spawn(run_item(
                        src,
                        extractor.clone(),
                        index.clone(),
                        cancel.clone(),
                    ));
                    ids.insert(h.id(), id);
                    p.started += 1;
                    p.in_flight = set.len() as u64;
                    p.max_in_flight = p.max_in_flight.max(p.in_flight);
                }
                None => exhausted = true,
            }
        }
        let Some(joined) = set.join_next_with_id().await else {
            break;
        };
        let outcome = match joined {
            Ok((task, outcome)) => {
                ids.remove(&task);
                outcome
            }
            Err(e) => {
                let id = ids.remove(&e.id()).unwrap_or_default();
                let msg = if e.is_panic() {
                    panic_message(e.into_panic())
                } else {
                    e.to_string()
                };
                ItemOutcome {
                    id,
                    status: ItemStatus::Failed(Arc::new(ItemError::Panicked(msg))),
                    seconds: 0.0,
                }
            }
        };
        p.completed += 1;
        p.in_flight = set.len() as u64;
        match &outcome.status {
            ItemStatus::Indexed => p.indexed += 1,
            ItemStatus::Cached(_) => p.cached += 1,
            ItemStatus::Failed(_) => p.failed += 1,
            ItemStatus::Cancelled => p.cancelled += 1,
        }
        on_item(&outcome, &p);
    }
    PipelineSummary {
        completed: p.completed,
        indexed: p.indexed,
        cached: p.cached,
        failed: p.failed,
        cancelled: p.cancelled,
        max_in_flight: p.max_in_flight,
        was_cancelled: cancel.is_cancelled(),
    }
}

/// [`extract_and_index`] keeping every outcome, in completion order (for small runs and tests).
pub async fn extract_and_index_collect<I>(
    sources: I,
    extractor: &CachedExtractor,
    index: Arc<dyn VectorIndex>,
    options: PipelineOptions,
) -> (PipelineSummary, Vec<ItemOutcome>)
where
    I: IntoIterator<Item = Source>,
{
    let mut outcomes = Vec::new();
    let summary = extract_and_index(sources, extractor, index, options, |o, _| {
        outcomes.push(o.clone())
    })
    .await;
    (summary, outcomes)
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

async fn run_item(
    src: Source,
    extractor: CachedExtractor,
    index: Arc<dyn VectorIndex>,
    cancel: CancelToken,
) -> ItemOutcome {
    let start = Instant::now();
    let Source { id, data, metadata } = src;
    let mut source_path = None;
    let work = async {
        match data {
            SourceData::Path(p) => {
                source_path = Some(std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone()));
                extractor.extract_path(&p).await
            }
            SourceData::Bytes { bytes, ext_hint } => {
                extractor.extract_bytes(bytes, ext_hint.as_deref()).await
            }
        }
    };
    let extracted = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        r = work => Some(r),
    };
    let status = match extracted {
        None => ItemStatus::Cancelled,
        Some(Err(e)) => ItemStatus::Failed(Arc::new(ItemError::Extract(e))),
        Some(Ok(r)) => {
            let mut meta = metadata;
            meta.extend(metadata_for(r.vector.version, 0));
            if let Some(p) = &source_path {
                meta.insert(META_SOURCE_PATH.into(), p.display().to_string());
            }
            let values = r.vector.values;
            let id2 = id.clone();
            let inserted =
                tokio::task::spawn_blocking(move || index.insert(&id2, values, meta)).await;
            match inserted {
                Ok(Ok(())) => match r.source {
                    CacheSource::Miss => ItemStatus::Indexed,
                    s => ItemStatus::Cached(s),
                },
                Ok(Err(e)) => ItemStatus::Failed(Arc::new(ItemError::Index(e))),
                Err(e) if e.is_panic() => {
                    ItemStatus::Failed(Arc::new(ItemError::Panicked(panic_message(e.into_panic()))))
                }
                Err(e) => ItemStatus::Failed(Arc::new(ItemError::Panicked(e.to_string()))),
            }
        }
    };
    ItemOutcome {
        id,
        status,
        seconds: start.elapsed().as_secs_f64(),
    }
}
