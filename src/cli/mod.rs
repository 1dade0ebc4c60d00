//! Command-line interface: argument parsing and the subcommands.
//!
//! Every subcommand that reports on files prints one JSON object per line on stdout (the
//! contract scripts and tests parse: fields are only ever added), diagnostics on stderr.

mod bench;
mod extract;
mod index;
mod output;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cadfeat::FeatureVersion;

/// Turns CAD files (STEP, IGES, DXF, STL, OBJ, PLY, JSON) into feature vectors.
#[derive(Debug, Parser)]
#[command(name = "cadfeat", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Extract feature vectors: one JSON object per file and line on stdout.
    Extract(extract::ExtractArgs),
    /// Measure extraction speed over a directory: per-format files/s, MB/s, median and p95.
    Bench(bench::BenchArgs),
    /// Extract files and add their vectors to an index (a local file or Redis): one JSON line
    /// per file.
    Index(index::IndexArgs),
    /// The most similar indexed files to FILE: one `{"id","score"}` JSON line per hit, best first.
    Search(index::SearchArgs),
    /// List the slots (name, category, version) of a feature version, one JSON object per line.
    Slots {
        /// Feature version (v1 … v5).
        #[arg(long = "feature-version", default_value = "v4")]
        feature_version: FeatureVersion,
    },
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Extract(args) => extract::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Index(args) => index::run_index(&args),
        Command::Search(args) => index::run_search(&args),
        Command::Slots { feature_version } => output::print_slots(feature_version),
    }
}

/// Expands the given paths: files as given, directories (with `--recursive`) walked for files
/// whose extension names a supported format, in sorted order.
pub(crate) fn expand_paths(paths: &[PathBuf], recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            if recursive {
                walk(p, &mut out);
            } else {
                // Kept so that the caller reports it as an error line.
                out.push(p.clone());
            }
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push(dir.to_path_buf());
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .and_then(cadfeat::Format::from_extension)
            .is_some()
        {
            out.push(p);
        }
    }
}
