//! `cadfeat index` and `cadfeat search`: build a vector index from files and query it.
//!
//! `index` prints, per file (in completion order): `id` (the path as given), `status`
//! (`indexed`, `cached`, `failed`, `cancelled`), `cache` (`miss`, `l1`, `l2`, `coalesced`; for
//! indexed and cached items), `error` and `error_kind` (when failed), `seconds`.
//! `search` prints one `{"id", "score"}` per hit, best first.
//!
//! The index is a local file (`--index FILE`, JSON lines, default `cadfeat-index.jsonl`) or a
//! Redis index shared by several processes (`--redis URL`, which also serves as the L2 cache).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use cadfeat::cache::{CacheBackend, CachedExtractor, MemoryCache, TieredCache, TieredConfig};
use cadfeat::index::{Filter, MemoryIndex, VectorIndex};
use cadfeat::pipeline::{ItemStatus, PipelineOptions, Source, extract_and_index};
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

use super::progress::Progress;

/// Default local index file.
const DEFAULT_INDEX: &str = "cadfeat-index.jsonl";

/// Where the index lives.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Local index file (JSON lines); created when absent.
    #[arg(long = "index", value_name = "FILE", conflicts_with = "redis")]
    pub index: Option<PathBuf>,
    /// Redis URL of a shared index (also used as the L2 cache), e.g. redis://127.0.0.1:6379/0.
    #[arg(long = "redis", value_name = "URL")]
    pub redis: Option<String>,
    /// Key prefix (namespace) in Redis, for the index and the cache alike.
    #[arg(long = "redis-prefix", requires = "redis")]
    pub redis_prefix: Option<String>,
}

impl StoreArgs {
    #[cfg(feature = "redis")]
    fn redis_config(&self, url: &str) -> cadfeat::cache::RedisConfig {
        let mut config = cadfeat::cache::RedisConfig::new(url);
        if let Some(p) = &self.redis_prefix {
            config.key_prefix = p.clone();
        }
        config
    }
}

/// Arguments of `cadfeat index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Feature version (v1 … v5).
    #[arg(long = "feature-version", default_value = "v4")]
    pub feature_version: FeatureVersion,
    /// Files extracted at once (default: the number of cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub concurrency: usize,
    /// Walk directories for files with a CAD extension.
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// Largest file accepted, in bytes.
    #[arg(long = "max-bytes")]
    pub max_bytes: Option<u64>,
    /// Files (or, with --recursive, directories). The id of a file is its path as given.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Arguments of `cadfeat search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Number of results.
    #[arg(short = 'k', default_value_t = 10)]
    pub k: usize,
    /// Feature version of the query (must match the indexed vectors to find them).
    #[arg(long = "feature-version", default_value = "v4")]
    pub feature_version: FeatureVersion,
    /// Only hits whose metadata has KEY=VALUE (repeatable; applied before the top-k cut).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// The query file.
    pub file: PathBuf,
}

enum Store {
    File(PathBuf, Arc<MemoryIndex>),
    #[cfg(feature = "redis")]
    Redis(Arc<cadfeat::index::RedisIndex>),
}

impl Store {
    fn open(args: &StoreArgs) -> Result<Store, String> {
        if let Some(url) = &args.redis {
            #[cfg(feature = "redis")]
            {
                let config = args.redis_config(url);
                return cadfeat::index::RedisIndex::connect(config)
                    .map(|r| Store::Redis(Arc::new(r)))
                    .map_err(|e| format!("redis index: {e}"));
            }
            #[cfg(not(feature = "redis"))]
            return Err(format!("--redis {url}: this build has no `redis` feature"));
        }
        let path = args
            .index
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX));
        let index = if path.exists() {
            MemoryIndex::load(&path).map_err(|e| e.to_string())?
        } else {
            MemoryIndex::new()
        };
        Ok(Store::File(path, Arc::new(index)))
    }

    fn index(&self) -> Arc<dyn VectorIndex> {
        match self {
            Store::File(_, m) => m.clone(),
            #[cfg(feature = "redis")]
            Store::Redis(r) => r.clone(),
        }
    }

    fn l2(&self, _args: &StoreArgs) -> Result<Option<Arc<dyn CacheBackend>>, String> {
        #[cfg(feature = "redis")]
        if let (Store::Redis(_), Some(url)) = (self, &_args.redis) {
            let cache =
                cadfeat::cache::RedisCache::new(cadfeat::cache::RedisConfig::new(url.as_str()))
                    .map_err(|e| e.to_string())?;
            return Ok(Some(Arc::new(cache)));
        }
        Ok(None)
    }

    /// Persists a file index (Redis is written through already).
    fn save(&self) -> Result<(), String> {
        match self {
            Store::File(path, m) => m.save(path).map_err(|e| format!("{}: {e}", path.display())),
            #[cfg(feature = "redis")]
            Store::Redis(_) => Ok(()),
        }
    }
}

/// Runs `cadfeat index`; non-zero exit when any file failed or the index could not be saved.
pub fn run_index(args: &IndexArgs) -> ExitCode {
    let store = match Store::open(&args.store) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cadfeat: {e}");
            return ExitCode::from(2);
        }
    };
    let l2 = match store.l2(&args.store) {
        Ok(l2) => l2,
        Err(e) => {
            eprintln!("cadfeat: {e}");
            return ExitCode::from(2);
        }
    };
    let mut limits = Limits::default();
    if let Some(m) = args.max_bytes {
        limits.max_bytes = m;
    }
    let cache = Arc::new(TieredCache::new(
        Arc::new(MemoryCache::new(4096, 0)),
        l2,
        TieredConfig::default(),
    ));
    let extractor =
        CachedExtractor::new(FeatureExtractor::new(args.feature_version), limits, cache);
    let files = super::expand_paths(&args.paths, args.recursive);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cadfeat: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let mut progress = Progress::new(files.len());
    let mut stdout_open = true;
    let options = PipelineOptions::with_concurrency(args.concurrency);
    let cancel = options.cancel.clone();
    let summary = rt.block_on(extract_and_index(
        files.iter().map(Source::path),
        &extractor,
        store.index(),
        options,
        |item, _| {
            let mut line = json!({
                "id": item.id,
                "status": item.status.as_str(),
                "seconds": item.seconds,
            });
            match &item.status {
                ItemStatus::Indexed => line["cache"] = json!("miss"),
                ItemStatus::Cached(s) => line["cache"] = json!(s.as_str()),
                ItemStatus::Failed(e) => {
                    line["error"] = json!(e.to_string());
                    line["error_kind"] = json!(e.code());
                }
                ItemStatus::Cancelled => {}
            }
            if stdout_open {
                let mut out = std::io::stdout().lock();
                if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                    // stdout closed (e.g. piped into `head`): stop taking new files.
                    stdout_open = false;
                    cancel.cancel();
                }
            }
            progress.tick(&item.id);
        },
    ));
    let saved = store.save();
    if let Err(e) = &saved {
        eprintln!("cadfeat: cannot save the index: {e}");
    }
    if summary.failed > 0 {
        eprintln!(
            "cadfeat: {} of {} file(s) failed",
            summary.failed,
            files.len()
        );
    }
    if summary.failed > 0 || saved.is_err() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs `cadfeat search`.
pub fn run_search(args: &SearchArgs) -> ExitCode {
    let mut filter = Filter::new();
    for f in &args.filters {
        match f.split_once('=') {
            Some((k, v)) => filter = filter.eq(k, v),
            None => {
                eprintln!("cadfeat: --filter {f:?}: expected KEY=VALUE");
                return ExitCode::from(2);
            }
        }
    }
    let store = match Store::open(&args.store) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cadfeat: {e}");
            return ExitCode::from(2);
        }
    };
    let query = match cadfeat::read_file(&args.file, &Limits::default()) {
        Ok(doc) => FeatureExtractor::new(args.feature_version).extract(&doc),
        Err(e) => {
            eprintln!("cadfeat: {}: {e}", args.file.display());
            return ExitCode::from(1);
        }
    };
    let hits = match store.index().search(&query.values, args.k, &filter) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cadfeat: search failed: {e}");
            return ExitCode::from(1);
        }
    };
    if hits.is_empty() {
        // Nothing on stdout (the JSON lines stay a clean, possibly empty, stream); say why on
        // stderr, since the usual causes are a version or filter mismatch.
        let n = store.index().len();
        eprintln!(
            "cadfeat search: no match among {n} indexed vector(s) for a {} query{}; vectors \
             of another feature version never match (index and search with the same \
             --feature-version), and a filter key must be a metadata key of the index",
            args.feature_version,
            if args.filters.is_empty() {
                String::new()
            } else {
                format!(" with --filter {}", args.filters.join(" --filter "))
            }
        );
    }
    let mut out = std::io::stdout().lock();
    for h in hits {
        if writeln!(out, "{}", json!({"id": h.id, "score": h.score})).is_err() {
            break;
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
