//! Reads a CAD file and prints its feature vector.
//!
//! ```text
//! cargo run --example extract_file -- tests/data/step/freecad_comb.step [v1|v2|v3|v4|v5]
//! ```

use std::path::Path;
use std::process::ExitCode;

use cadfeat::{FeatureExtractor, FeatureVector, FeatureVersion, Limits};

/// Reads `path` (format detected from content, then extension) and extracts `version`.
fn extract(path: &Path, version: FeatureVersion) -> cadfeat::Result<FeatureVector> {
    let doc = cadfeat::read_file(path, &Limits::default())?;
    Ok(FeatureExtractor::new(version).extract(&doc))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: extract_file PATH [v1|v2|v3|v4|v5]");
        return ExitCode::from(2);
    };
    let version = match args.next().map(|v| v.parse::<FeatureVersion>()) {
        None => FeatureVersion::LATEST,
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match extract(Path::new(&path), version) {
        Ok(vector) => {
            println!("{} ({} slots)", vector.version, vector.values.len());
            for (slot, value) in vector.slots().iter().zip(&vector.values) {
                println!("{:<32} {value}", slot.name);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
