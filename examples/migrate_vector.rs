//! Migrates a feature vector between versions: v4 → v5 → v3.
//!
//! ```text
//! cargo run --example migrate_vector [PATH]
//! ```
//!
//! With a PATH the v4 vector is extracted from that file; without one a hand-made v4 vector of
//! ones is used. Upgrading fills the slots the older version lacks with their defaults;
//! downgrading keeps the slots the target version has.

use std::process::ExitCode;

use cadfeat::{FeatureExtractor, FeatureVector, FeatureVersion, Limits};

/// Migrates `v4` to v5, then the v5 vector to v3, returning both.
fn migrate(v4: &FeatureVector) -> cadfeat::Result<(FeatureVector, FeatureVector)> {
    let v5 = v4.to_version(FeatureVersion::V5)?;
    let v3 = v5.to_version(FeatureVersion::V3)?;
    Ok((v5, v3))
}

fn main() -> ExitCode {
    let v4 = match std::env::args().nth(1) {
        Some(path) => match cadfeat::read_file(&path, &Limits::default()) {
            Ok(doc) => FeatureExtractor::new(FeatureVersion::V4).extract(&doc),
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => FeatureVector {
            version: FeatureVersion::V4,
            values: vec![1.0; 24],
        },
    };
    match migrate(&v4) {
        Ok((v5, v3)) => {
            for v in [&v4, &v5, &v3] {
                println!("{} ({} slots): {:?}", v.version, v.values.len(), v.values);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("migration failed: {e}");
            ExitCode::FAILURE
        }
    }
}
