//! Indexes CAD files in memory and finds the files most similar to a query file.
//!
//! ```text
//! cargo run --example index_search -- QUERY FILE...
//! cargo run --example index_search -- tests/data/stl/sphere_with_hole_ascii.stl tests/data/stl/*.stl tests/data/obj/*.obj
//! ```
//!
//! Every FILE is extracted (v5) and inserted under its path with the metadata a
//! [`MemoryIndex`] expects ([`metadata_for`]); the query's vector is then searched for, its own
//! path excluded, and the top 5 hits are printed with their cosine similarity.

use std::process::ExitCode;

use cadfeat::index::{Filter, META_SOURCE_PATH, MemoryIndex, SearchHit, VectorIndex, metadata_for};
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

/// Indexes `files` (files that fail to read are reported on stderr and skipped), then returns
/// the `k` hits most similar to `query`, `query` itself excluded.
fn index_and_search(
    query: &str,
    files: &[String],
    k: usize,
) -> Result<Vec<SearchHit>, Box<dyn std::error::Error>> {
    let version = FeatureVersion::V5;
    let extractor = FeatureExtractor::new(version);
    let limits = Limits::default();
    let index = MemoryIndex::new();
    for path in files {
        match cadfeat::read_file(path, &limits) {
            Ok(doc) => {
                let mut meta = metadata_for(version, 0);
                meta.insert(META_SOURCE_PATH.into(), path.clone());
                index.insert(path, extractor.extract(&doc).values, meta)?;
            }
            Err(e) => eprintln!("{path}: {e} (skipped)"),
        }
    }
    let query_vector = extractor.extract(&cadfeat::read_file(query, &limits)?);
    Ok(index.search(&query_vector.values, k, &Filter::new().exclude(query))?)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((query, files)) = args.split_first() else {
        eprintln!("usage: index_search QUERY FILE...");
        return ExitCode::from(2);
    };
    match index_and_search(query, files, 5) {
        Ok(hits) => {
            for hit in hits {
                println!("{:.4}  {}", hit.score, hit.id);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
