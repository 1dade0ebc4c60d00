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
pub type RunMetrics = cadfeat::metrics::Metrics;
/// The metrics of a run (none without the `metrics` feature).
#[cfg(not(feature = "metrics"))]
pub type RunMetrics = ();

/// The outcome of one file.
pub struct FileResult {
    /// The detected format, when detection got that far.
    pub format: Option<Format>,
    /// The document and vector, or the error.
    pub outcome: Result<(CadDocument, FeatureVector), cadfeat::Error>,
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
            return Ok((doc, vector));
        }
        #[cfg(not(feature = "metrics"))]
        let _ = metrics;
        let bytes = cadfeat::read_file_bytes(path, limits)?;
        let ext = path.extension().and_then(|e| e.to_str());
        let f = cadfeat::format::detect(&bytes, ext)?;
        format = Some(f);
        let doc = cadfeat::readers::read(&bytes, f, limits)?;
        let vector = extractor.extract(&doc);
        Ok((doc, vector))
    })();
    #[cfg(feature = "metrics")]
    if let Some(m) = metrics {
        m.record_request(outcome.is_ok());
    }
    FileResult {
        format,
        outcome,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Runs the subcommand; non-zero exit when any file failed.
pub fn run(args: &ExtractArgs) -> ExitCode {
    let mut limits = Limits::default();
    if let Some(m) = args.max_bytes {
        limits.max_bytes = m;
    }
    let extractor = FeatureExtractor::new(args.feature_version);
    let files = super::expand_paths(&args.paths, args.recursive);
    let mut progress = Progress::new(files.len());
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    #[cfg(feature = "metrics")]
    let metrics = args
        .metrics_out
        .as_ref()
        .map(|_| cadfeat::metrics::Metrics::new());
    #[cfg(not(feature = "metrics"))]
    let metrics: Option<RunMetrics> = None;
    for path in &files {
        let result = extract_file(path, &extractor, &limits, metrics.as_ref());
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
