//! The JSON line format of the CLI. Fields are only ever added, never renamed or removed.
//!
//! `extract` prints, per file:
//! `path`, `format` (null when undetected), `ok`, `error` and `error_kind` (when not ok),
//! `feature_version`, `vector` (array, null when not ok), `seconds`, and `document`:
//! `entity_counts`, `layers`, `bbox` (`{"min":[x,y,z],"max":[x,y,z]}` or null when empty), `unit`,
//! `solids`, `facets`, `triangles`, plus `brep` (when the document has one: `solids`, `shells`,
//! `faces`, `edges`, `vertices`, `surface_types`, `area`, `volume`), and `degraded: true` with
//! `degraded_reason` when only part of the file could be read. With a cache in use
//! (`--redis`, `--l1-capacity`) every line also has `cache`: `"miss"`, `"l1"` or `"l2"`, and
//! `document` is null when the vector came from the cache (the file was not parsed).

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};

use cadfeat::{BoundingBox, BrepSummary, CadDocument, FeatureVersion};

use super::extract::FileResult;

/// `{"min": [...], "max": [...]}` or null.
pub fn bbox_json(b: &BoundingBox) -> Value {
    match (b.min(), b.max()) {
        (Some(lo), Some(hi)) => json!({"min": lo, "max": hi}),
        _ => Value::Null,
    }
}

fn brep_json(b: &BrepSummary) -> Value {
    let types: serde_json::Map<String, Value> = b
        .surface_types
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), json!(v)))
        .collect();
    json!({
        "solids": b.solids,
        "shells": b.shells,
        "faces": b.faces,
        "edges": b.edges,
        "vertices": b.vertices,
        "surface_types": types,
        "area": b.area,
        "volume": b.volume,
    })
}

/// The `document` object of an extract line.
pub fn document_json(doc: &CadDocument) -> Value {
    let mut d = json!({
        "entity_counts": doc.entity_counts,
        "layers": doc.layers,
        "bbox": bbox_json(&doc.bbox),
        "unit": doc.metadata.unit.map(|u| u.name()),
        "solids": doc.metadata.solids,
        "facets": doc.metadata.facets,
        "triangles": doc.triangle_count(),
    });
    if let Some(b) = &doc.brep {
        d["brep"] = brep_json(b);
    }
    d
}

/// One JSON line for one file.
pub fn result_json(path: &Path, version: FeatureVersion, r: &FileResult) -> Value {
    let mut line = json!({
        "path": path.display().to_string(),
        "format": r.format.map(|f| f.as_str()),
        "feature_version": version.as_str(),
        "seconds": r.seconds,
    });
    if let Some(source) = r.cache {
        line["cache"] = json!(source);
    }
    match &r.outcome {
        Ok((doc, vector)) => {
            line["ok"] = json!(true);
            line["vector"] = json!(vector.values);
            match doc {
                Some(doc) => {
                    line["document"] = document_json(doc);
                    if let Some(reason) = &doc.metadata.degraded {
                        line["degraded"] = json!(true);
                        line["degraded_reason"] = json!(reason);
                    }
                }
                // Served from the cache: the file was not parsed.
                None => line["document"] = Value::Null,
            }
        }
        Err(e) => {
            line["ok"] = json!(false);
            line["error"] = json!(e.to_string());
            line["error_kind"] = json!(e.code());
            line["vector"] = Value::Null;
        }
    }
    line
}

/// `cadfeat slots`: one line per slot, `{"index", "name", "category", "version"}`.
pub fn print_slots(version: FeatureVersion) -> ExitCode {
    use std::io::Write as _;
    // A closed stdout (`| head`) ends the output quietly instead of panicking.
    let mut out = std::io::stdout().lock();
    for (index, slot) in cadfeat::features::slots(version).iter().enumerate() {
        let line = json!({
            "index": index,
            "name": slot.name,
            "category": slot.category.as_str(),
            "version": slot.version.as_str(),
        });
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
