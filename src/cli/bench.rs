//! `cadfeat bench DIR`: extraction throughput per format, for benchmark harnesses.
//!
//! The directory is walked recursively for files with a CAD extension. Each file's bytes are read
//! from disk once (disk speed is not measured); then, per file, format detection + parsing +
//! feature extraction runs `--warmup` times untimed and `--repeat` times timed. A file's time is
//! the median of its timed runs. Per format the command reports:
//!
//! - `files` (read successfully) and `errors` (files whose read failed; named on stderr),
//! - `files_per_s` = files / Σ file times, `mb_per_s` = bytes / Σ file times / 10⁶,
//! - `median_s` and `p95_s` (nearest rank) of the file times,
//!
//! as a table on stdout, or with `--json` one JSON object per format per line, then a line whose
//! `format` is `"total"` aggregating every format.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use cadfeat::{FeatureExtractor, FeatureVersion, Format, Limits};

/// Arguments of `cadfeat bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Untimed runs per file before the timed ones.
    #[arg(long, default_value_t = 1)]
    pub warmup: u32,
    /// Timed runs per file (at least 1); a file's time is their median.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Feature version (v1 … v5).
    #[arg(long = "feature-version", default_value = "v4")]
    pub feature_version: FeatureVersion,
    /// One JSON object per format and line (then a `total` line) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Directory walked recursively for CAD files.
    pub dir: PathBuf,
}

/// Timings collected for one format (or for the total).
#[derive(Debug, Default)]
struct Group {
    /// Median seconds of each successfully read file.
    times: Vec<f64>,
    bytes: u64,
    errors: usize,
}

impl Group {
    fn add(&mut self, seconds: f64, bytes: u64) {
        self.times.push(seconds);
        self.bytes = self.bytes.saturating_add(bytes);
    }

    fn summary(&self, name: &str, args: &BenchArgs) -> serde_json::Value {
        let mut sorted = self.times.clone();
        sorted.sort_by(f64::total_cmp);
        let total: f64 = sorted.iter().sum();
        let rate = |x: f64| if total > 0.0 { x / total } else { 0.0 };
        json!({
            "format": name,
            "files": sorted.len(),
            "errors": self.errors,
            "bytes": self.bytes,
            "seconds": total,
            "files_per_s": rate(sorted.len() as f64),
            "mb_per_s": rate(self.bytes as f64 / 1e6),
            "median_s": median(&sorted),
            "p95_s": percentile(&sorted, 0.95),
            "warmup": args.warmup,
            "repeat": args.repeat,
            "feature_version": args.feature_version.to_string(),
        })
    }
}

/// Median of sorted values (mean of the two middle ones for an even count); 0 when empty.
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let hi = sorted.get(n / 2).copied().unwrap_or(0.0);
    if n % 2 == 1 {
        hi
    } else {
        let lo = sorted.get(n / 2 - 1).copied().unwrap_or(hi);
        (lo + hi) / 2.0
    }
}

/// Nearest-rank percentile of sorted values (`q` in 0..=1); 0 when empty.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let rank = (q * n as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, n) - 1)
        .copied()
        .unwrap_or_default()
}

/// Runs detection + parse + extraction once on in-memory bytes.
fn run_once(
    bytes: &[u8],
    ext: Option<&str>,
    extractor: &FeatureExtractor,
    limits: &Limits,
) -> cadfeat::Result<()> {
    let doc = cadfeat::read_bytes(bytes, ext, limits)?;
    std::hint::black_box(extractor.extract(&doc));
    Ok(())
}

/// Runs `cadfeat bench`.
pub fn run(args: &BenchArgs) -> ExitCode {
    if !args.dir.is_dir() {
        eprintln!("cadfeat bench: {} is not a directory", args.dir.display());
        return ExitCode::from(2);
    }
    let files = super::expand_paths(std::slice::from_ref(&args.dir), true);
    let limits = Limits::default();
    let extractor = FeatureExtractor::new(args.feature_version);
    let mut groups: BTreeMap<&'static str, Group> = BTreeMap::new();
    let mut total = Group::default();
    for path in &files {
        let ext = path.extension().and_then(|e| e.to_str());
        let by_ext = ext.and_then(Format::from_extension).map(Format::as_str);
        let bytes = match cadfeat::read_file_bytes(path, &limits) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                groups
                    .entry(by_ext.unwrap_or("unknown"))
                    .or_default()
                    .errors += 1;
                total.errors += 1;
                continue;
            }
        };
        let name = cadfeat::format::detect(&bytes, ext)
            .map(Format::as_str)
            .ok()
            .or(by_ext)
            .unwrap_or("unknown");
        let group = groups.entry(name).or_default();
        let mut failed = None;
        for _ in 0..args.warmup {
            if let Err(e) = run_once(&bytes, ext, &extractor, &limits) {
                failed = Some(e);
                break;
            }
        }
        let mut times = Vec::with_capacity(args.repeat as usize);
        if failed.is_none() {
            for _ in 0..args.repeat {
                let start = Instant::now();
                let r = run_once(&bytes, ext, &extractor, &limits);
                times.push(start.elapsed().as_secs_f64());
                if let Err(e) = r {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            eprintln!("{}: {e}", path.display());
            group.errors += 1;
            total.errors += 1;
            continue;
        }
        times.sort_by(f64::total_cmp);
        let t = median(&times);
        group.add(t, bytes.len() as u64);
        total.add(t, bytes.len() as u64);
    }
    let mut rows: Vec<serde_json::Value> = groups
        .iter()
        .map(|(name, g)| g.summary(name, args))
        .collect();
    rows.push(total.summary("total", args));
    // A closed stdout (`| head`) ends the output quietly instead of panicking.
    let mut out = std::io::stdout().lock();
    let _ = if args.json {
        rows.iter().try_for_each(|row| writeln!(out, "{row}"))
    } else {
        print_table(&mut out, &rows, args)
    }
    .and_then(|_| out.flush());
    if total.times.is_empty() {
        eprintln!("cadfeat bench: no file was read successfully");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn print_table(
    out: &mut impl Write,
    rows: &[serde_json::Value],
    args: &BenchArgs,
) -> std::io::Result<()> {
    writeln!(
        out,
        "cadfeat bench: {} ({}, warmup {}, repeat {}; time per file = median of the repeats)",
        args.dir.display(),
        args.feature_version,
        args.warmup,
        args.repeat
    )?;
    writeln!(
        out,
        "{:<8} {:>6} {:>6} {:>10} {:>9} {:>11} {:>11}",
        "format", "files", "errors", "files/s", "MB/s", "median s", "p95 s"
    )?;
    for r in rows {
        let f = |k: &str| r.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
        let u = |k: &str| r.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        writeln!(
            out,
            "{:<8} {:>6} {:>6} {:>10.1} {:>9.2} {:>11.6} {:>11.6}",
            r.get("format").and_then(|v| v.as_str()).unwrap_or("?"),
            u("files"),
            u("errors"),
            f("files_per_s"),
            f("mb_per_s"),
            f("median_s"),
            f("p95_s"),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{median, percentile};

    #[test]
    fn median_and_nearest_rank_percentile() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0]), 3.0);
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), 2.5);
        let xs: Vec<f64> = (1..=20).map(f64::from).collect();
        // Nearest rank: ceil(0.95 · 20) = 19th value.
        assert_eq!(percentile(&xs, 0.95), 19.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
    }
}
