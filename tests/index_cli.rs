//! `cadfeat index` and `cadfeat search` end to end with a local index file.

#![cfg(feature = "cli")]

mod common;

use std::process::Command;

use serde_json::Value;

fn cadfeat() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cadfeat"))
}

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn index_then_search_with_a_local_file() {
    let dir = std::env::temp_dir().join(format!("cadfeat-cli-index-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let idx = dir.join("idx.jsonl");
    let data = common::data_dir();
    let wall = data.join("obj/rhino_wall_with_hole.obj");
    let files = [
        wall.clone(),
        data.join("stl/sphere_with_hole_ascii.stl"),
        data.join("ply/cube_binary_crlf_header.ply"),
        dir.join("missing.stl"),
    ];
    let out = cadfeat()
        .arg("index")
        .args(&files)
        .args(["--feature-version", "v5", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one file is missing");
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 4);
    for r in &rows {
        let id = r["id"].as_str().unwrap();
        if id.ends_with("missing.stl") {
            assert_eq!(r["status"], "failed");
            assert_eq!(r["error_kind"], "io");
        } else {
            assert_eq!(r["status"], "indexed", "{r}");
            assert_eq!(r["cache"], "miss");
        }
    }

    // The query file itself is the best hit, with score 1 (same vector).
    let out = cadfeat()
        .args(["search", "-k", "2", "--feature-version", "v5", "--index"])
        .arg(&idx)
        .arg(&wall)
        .output()
        .unwrap();
    assert!(out.status.success());
    let hits = lines(&out.stdout);
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["id"], wall.display().to_string());
    assert!((hits[0]["score"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!(hits[0]["score"].as_f64() >= hits[1]["score"].as_f64());

    // Indexing again adds to the same file (upsert by id): still 3 vectors.
    let out = cadfeat()
        .arg("index")
        .arg(&wall)
        .args(["--feature-version", "v5", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = cadfeat()
        .args(["search", "-k", "10", "--feature-version", "v5", "--index"])
        .arg(&idx)
        .arg(&wall)
        .output()
        .unwrap();
    assert_eq!(lines(&out.stdout).len(), 3);
    // A v4 query finds nothing among v5 vectors (dimensions are per version).
    let out = cadfeat()
        .args(["search", "--index"])
        .arg(&idx)
        .arg(&wall)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(lines(&out.stdout).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "redis")]
#[path = "support/redis_server.rs"]
mod redis_server;

#[cfg(feature = "redis")]
#[test]
fn index_then_search_through_redis() {
    let server = redis_server::RedisServer::start();
    let url = server.url();
    let data = common::data_dir();
    let wall = data.join("obj/rhino_wall_with_hole.obj");
    let stl = data.join("stl/sphere_with_hole_ascii.stl");
    let out = cadfeat()
        .arg("index")
        .arg(&wall)
        .arg(&stl)
        .args(["--redis", &url, "--redis-prefix", "cli:"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out.stdout).len(), 2);
    assert_eq!(server.cli(&["SCARD", "cli:cadfeat:index:default:ids"]), "2");
    // A second process (the search command) loads the shared index from Redis.
    let out = cadfeat()
        .args([
            "search",
            "-k",
            "5",
            "--redis",
            &url,
            "--redis-prefix",
            "cli:",
        ])
        .arg(&stl)
        .output()
        .unwrap();
    assert!(out.status.success());
    let hits = lines(&out.stdout);
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["id"], stl.display().to_string());
    // Re-indexing is served by the Redis L2 cache in a new process.
    let out = cadfeat()
        .arg("index")
        .arg(&wall)
        .args(["--redis", &url, "--redis-prefix", "cli:"])
        .output()
        .unwrap();
    let rows = lines(&out.stdout);
    assert_eq!(rows[0]["status"], "cached");
    assert_eq!(rows[0]["cache"], "l2");
}
