//! Extracts the same file twice through a tiered cache (memory L1, optional Redis L2) and prints
//! where each vector came from: `miss` the first time, `l1` the second.
//!
//! ```text
//! cargo run --example cached_extract -- tests/data/step/freecad_comb.step
//! CADFEAT_REDIS_URL=redis://127.0.0.1:6379/0 cargo run --example cached_extract -- part.step
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use cadfeat::cache::{
    CacheBackend, CachedExtractor, MemoryCache, RedisCache, RedisConfig, TieredCache, TieredConfig,
};
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

/// Builds the cache (Redis only when `redis_url` is given), extracts `path` twice and returns
/// the cache source of each extraction.
async fn extract_twice(
    path: &Path,
    redis_url: Option<String>,
) -> Result<Vec<&'static str>, Box<dyn std::error::Error>> {
    let l1 = Arc::new(MemoryCache::new(1_000, 0));
    let l2: Option<Arc<dyn CacheBackend>> = match redis_url {
        Some(url) => Some(Arc::new(RedisCache::new(RedisConfig::new(url))?)),
        None => None,
    };
    let cache = Arc::new(TieredCache::new(l1, l2, TieredConfig::default()));
    let extractor = CachedExtractor::new(
        FeatureExtractor::new(FeatureVersion::V4),
        Limits::default(),
        cache,
    );
    let mut sources = Vec::new();
    for _ in 0..2 {
        let hit = extractor.extract_path(path).await?;
        println!("{:?}", hit.vector.values);
        sources.push(hit.source.as_str());
    }
    Ok(sources)
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: cached_extract PATH   (Redis L2 from $CADFEAT_REDIS_URL when set)");
        return ExitCode::from(2);
    };
    let redis_url = std::env::var("CADFEAT_REDIS_URL").ok();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(extract_twice(Path::new(&path), redis_url)) {
        Ok(sources) => {
            println!("sources: {}", sources.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
