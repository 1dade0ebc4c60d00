//! `cadfeat extract`: read files, extract vectors, print JSON lines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use cadfeat::{CadDocument, FeatureExtractor, FeatureVector, FeatureVersion, Format, Limits};

use super::output;
use super::progress::Progress;

/// Arguments of `cadfeat extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Feature version (v1 … v5).
    #[arg(long = "feature-version", default_value = "v4")]
    pub feature_version: FeatureVersion,
    /// Walk directories for files with a CAD extension.
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// Largest file accepted, in bytes.
    #[arg(long = "max-bytes")]
    pub max_bytes: Option<u64>,
    /// Redis URL of the L2 cache (`redis://[user][:password]@host:port/db`). Turns the cache on;
    /// every line then carries `"cache": "miss" | "l1" | "l2"`.
    #[arg(long, env = "CADFEAT_REDIS_URL")]
    pub redis: Option<String>,
    /// Key prefix in Redis (a namespace).
    #[arg(long = "redis-prefix")]
    pub redis_prefix: Option<String>,
    /// Capacity of the in-memory L1 cache. Turns the cache on.
    #[arg(long = "l1-capacity")]
    pub l1_capacity: Option<usize>,
    /// After the run, write the metrics (Prometheus text format) to this file.
    #[cfg(feature = "metrics")]
    #[arg(long = "metrics-out", value_name = "FILE")]
    pub metrics_out: Option<PathBuf>,
    /// Files (or, with --recursive, directories).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// The metrics of a run, when `--metrics-out` asks for them.
#[cfg(feature = "metrics")]
pub type RunMetrics = std::sync::Arc<cadfeat::metrics::Metrics>;
/// The metrics of a run (none without the `metrics` feature).
#[cfg(not(feature = "metrics"))]
pub type RunMetrics = ();

/// The outcome of one file.
pub struct FileResult {
    /// The detected format, when detection got that far.
    pub format: Option<Format>,
    /// The document (absent when the vector came from the cache) and vector, or the error.
    pub outcome: Result<(Option<CadDocument>, FeatureVector), cadfeat::Error>,
    /// Where the vector came from (`miss`, `l1`, `l2`, `coalesced`) when a cache is in use.
    pub cache: Option<&'static str>,
    /// Wall time of read + extract.
    pub seconds: f64,
}

/// Reads and extracts one file, recording in `metrics` when given.
pub fn extract_file(
    path: &Path,
    extractor: &FeatureExtractor,
    limits: &Limits,
    metrics: Option<&RunMetrics>,
) -> FileResult {
    let start = Instant::now();
    let mut format = None;
    let outcome = (|| {
        #[cfg(feature = "metrics")]
        if let Some(m) = metrics {
            let bytes = cadfeat::read_file_bytes(path, limits).inspect_err(|e| {
                m.record_rejection(e);
            })?;
            let ext = path.extension().and_then(|e| e.to_str());
            let f = m.detect(&bytes, ext)?;
            format = Some(f);
            let doc = m.parse(&bytes, f, limits)?;
            let vector = m.extract(extractor, &doc);
            return Ok((Some(doc), vector));
        }
        #[cfg(not(feature = "metrics"))]
        let _ = metrics;
        let bytes = cadfeat::read_file_bytes(path, limits)?;
        let ext = path.extension().and_then(|e| e.to_str());
        let f = cadfeat::format::detect(&bytes, ext)?;
        format = Some(f);
        let doc = cadfeat::readers::read(&bytes, f, limits)?;
        let vector = extractor.extract(&doc);
        Ok((Some(doc), vector))
    })();
    #[cfg(feature = "metrics")]
    if let Some(m) = metrics {
        m.record_request(outcome.is_ok());
    }
    FileResult {
        format,
        outcome,
        cache: None,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// A tiered cache (L1 memory, optional Redis L2) and the runtime that drives it.
struct CliCache {
    runtime: tokio::runtime::Runtime,
    extractor: cadfeat::cache::CachedExtractor,
    metrics: Option<RunMetrics>,
}

impl CliCache {
    /// Builds the cache when `--redis` or `--l1-capacity` asks for one.
    fn from_args(
        args: &ExtractArgs,
        limits: &Limits,
        metrics: Option<&RunMetrics>,
    ) -> Result<Option<CliCache>, String> {
        use std::sync::Arc;

        use cadfeat::cache::{
            CacheBackend, CachedExtractor, MemoryCache, RedisCache, RedisConfig, TieredCache,
            TieredConfig,
        };

        if args.redis.is_none() && args.l1_capacity.is_none() {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let l1 = Arc::new(MemoryCache::new(args.l1_capacity.unwrap_or(1024).max(1), 0));
        let l2: Option<Arc<dyn CacheBackend>> = match &args.redis {
            Some(url) => {
                let mut config = RedisConfig::new(url.clone());
                if let Some(prefix) = &args.redis_prefix {
                    config.key_prefix = prefix.clone();
                }
                let redis = RedisCache::new(config).map_err(|e| format!("--redis: {e}"))?;
                Some(Arc::new(redis))
            }
            None => None,
        };
        let tiered = TieredCache::new(l1, l2, TieredConfig::default());
        #[cfg(feature = "metrics")]
        let tiered = match metrics {
            Some(m) => tiered.with_observer(m.clone()),
            None => tiered,
        };
        let tiered = Arc::new(tiered);
        let extractor = CachedExtractor::new(
            FeatureExtractor::new(args.feature_version),
            limits.clone(),
            tiered,
        );
        #[cfg(feature = "metrics")]
        let extractor = match metrics {
            Some(m) => {
                m.watch_cache(extractor.cache());
                extractor.with_metrics(m.clone())
            }
            None => extractor,
        };
        Ok(Some(CliCache {
            runtime,
            extractor,
            metrics: metrics.cloned(),
        }))
    }

    /// Extracts one file through the cache.
    fn extract_file(&self, path: &Path, limits: &Limits) -> FileResult {
        let start = Instant::now();
        let mut format = None;
        let mut cache = None;
        let outcome = (|| {
            // Failures before the cached extraction are recorded here; the cached extraction
            // records its own request, rejections, parse and extraction.
            let before = (|| {
                let bytes = cadfeat::read_file_bytes(path, limits)?;
                let ext = path.extension().and_then(|e| e.to_str());
                let f = cadfeat::format::detect(&bytes, ext)?;
                Ok::<_, cadfeat::Error>((bytes, ext, f))
            })();
            #[cfg(feature = "metrics")]
            if let (Err(e), Some(m)) = (&before, &self.metrics) {
                m.record_rejection(e);
                m.record_request(false);
            }
            #[cfg(not(feature = "metrics"))]
            let _ = &self.metrics;
            let (bytes, ext, f) = before?;
            format = Some(f);
            let r = self
                .runtime
                .block_on(self.extractor.extract_bytes(bytes, ext))?;
            cache = Some(r.source.as_str());
            Ok((r.document, r.vector))
        })();
        FileResult {
            format,
            outcome,
            cache,
            seconds: start.elapsed().as_secs_f64(),
        }
    }
}

/// Runs the subcommand; non-zero exit when any file failed.
pub fn run(args: &ExtractArgs) -> ExitCode {
    let mut limits = Limits::default();
    if let Some(m) = args.max_bytes {
        limits.max_bytes = m;
    }
    let extractor = FeatureExtractor::new(args.feature_version);
    #[cfg(feature = "metrics")]
    let metrics: Option<RunMetrics> = args
        .metrics_out
        .as_ref()
        .map(|_| std::sync::Arc::new(cadfeat::metrics::Metrics::new()));
    #[cfg(not(feature = "metrics"))]
    let metrics: Option<RunMetrics> = None;
    let cache = match CliCache::from_args(args, &limits, metrics.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cadfeat: {e}");
            return ExitCode::from(2);
        }
    };
    let files = super::expand_paths(&args.paths, args.recursive);
    let mut progress = Progress::new(files.len());
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    for path in &files {
        let result = match &cache {
            Some(c) => c.extract_file(path, &limits),
            None => extract_file(path, &extractor, &limits, metrics.as_ref()),
        };
        if result.outcome.is_err() {
            failed += 1;
        }
        let line = output::result_json(path, args.feature_version, &result);
        let mut out = stdout.lock();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            // stdout closed (e.g. piped into `head`): stop quietly.
            return ExitCode::from(if failed > 0 { 1 } else { 0 });
        }
        progress.tick(&path.display().to_string());
    }
    #[cfg(feature = "metrics")]
    if let (Some(file), Some(m)) = (&args.metrics_out, &metrics)
        && let Err(e) = std::fs::write(file, m.render())
    {
        eprintln!("cadfeat: cannot write metrics to {}: {e}", file.display());
        return ExitCode::from(1);
    }
    if failed > 0 {
        eprintln!("cadfeat: {failed} of {} file(s) failed", files.len());
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
