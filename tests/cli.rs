//! The CLI's JSON lines are a contract: these tests parse them as a script would.

mod common;

use std::process::Command;

use serde_json::Value;

fn cadfeat(args: &[&str]) -> (Vec<Value>, i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cadfeat"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cadfeat");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    (
        lines,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `cadfeat extract --feature-version VERSION FILES…`, which must succeed with one `ok` line per
/// file, in order, each naming its file.
fn extract_ok(version: &str, files: &[&str]) -> Vec<Value> {
    let mut args = vec!["extract", "--feature-version", version];
    args.extend(files);
    let (lines, code, stderr) = cadfeat(&args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines.len(), files.len());
    for (line, file) in lines.iter().zip(files) {
        assert_eq!(line["path"], *file);
        assert_eq!(line["ok"], true, "{file}");
    }
    lines
}

#[test]
fn extract_prints_one_line_per_file_with_the_contract_fields() {
    let files = [
        "tests/data/step/cadquery_red_cube_blue_cylinder_colors.step",
        "tests/data/stl/blender_benchy_low_poly_binary.stl",
        "tests/data/dxf/vision3d_r10_3dface.dxf",
    ];
    let lines = extract_ok("v5", &files);
    for (line, file) in lines.iter().zip(files) {
        assert_eq!(line["feature_version"], "v5");
        assert_eq!(line["vector"].as_array().map(Vec::len), Some(64));
        assert!(line["seconds"].as_f64().is_some());
        let doc = &line["document"];
        for key in [
            "entity_counts",
            "layers",
            "bbox",
            "unit",
            "solids",
            "facets",
            "triangles",
        ] {
            assert!(doc.get(key).is_some(), "{file}: document.{key} missing");
        }
        assert!(doc["bbox"]["min"].as_array().is_some_and(|a| a.len() == 3));
    }
    assert_eq!(lines[0]["format"], "step");
    assert_eq!(lines[1]["format"], "stl");
    assert_eq!(lines[2]["format"], "dxf");
    // STEP lines carry the B-Rep facts.
    let brep = &lines[0]["document"]["brep"];
    assert_eq!(brep["solids"], 2);
    assert!(brep["faces"].as_u64().is_some_and(|f| f > 0));
    assert!(brep["surface_types"]["plane"].as_u64().is_some());
    // v5 vectors begin with the v4 slots: entity_count of the STL is its triangle count.
    assert_eq!(
        lines[1]["vector"][0].as_f64(),
        lines[1]["document"]["triangles"].as_f64()
    );
    // STEP documents carry `solids` but no `facets` (the replaced service's rule, so that v3
    // does not depend on the tessellation).
    assert_eq!(lines[0]["document"]["facets"], Value::Null);
}

/// Huge finite coordinates (fuzz findings in `tests/regressions/`): every vector value is a
/// JSON number (an infinite value would print as `null`), the overflowing slots `f64::MAX`,
/// and the line keeps the contract fields.
#[test]
fn extract_lines_carry_only_numbers_for_huge_coordinates() {
    let files = [
        "tests/regressions/obj/nonfinite-bbox-volume-huge-coords.obj",
        "tests/regressions/obj/nonfinite-width-height-ratio.obj",
    ];
    for version in ["v1", "v2", "v5"] {
        let lines = extract_ok(version, &files);
        for (line, file) in lines.iter().zip(files) {
            assert_eq!(line["format"], "obj");
            let vector = line["vector"].as_array().expect("vector");
            assert!(
                vector
                    .iter()
                    .all(|x| x.as_f64().is_some_and(f64::is_finite)),
                "{file} {version}: {vector:?}"
            );
            assert!(line["document"]["bbox"]["max"].as_array().is_some());
        }
        // bbox_volume_estimate of the 1e200 triangle, and width_height_ratio of the 1e308 box.
        assert_eq!(lines[0]["vector"][4].as_f64(), Some(f64::MAX));
        if version != "v1" {
            assert_eq!(lines[1]["vector"][10].as_f64(), Some(f64::MAX));
        }
    }
}

#[test]
fn a_failed_file_is_a_line_with_an_error_and_a_nonzero_exit() {
    let dir = std::env::temp_dir().join(format!("cadfeat-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.stl");
    // A binary STL header claiming 1000 triangles in a 100-byte file.
    let mut bytes = vec![0u8; 100];
    bytes[80..84].copy_from_slice(&1000u32.to_le_bytes());
    std::fs::write(&bad, &bytes).unwrap();
    let bad = bad.to_string_lossy().into_owned();
    let (lines, code, stderr) = cadfeat(&["extract", &bad, "tests/data/obj/polygon_ngon_face.obj"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("1 of 2"), "{stderr}");
    assert_eq!(lines[0]["ok"], false);
    assert_eq!(lines[0]["format"], "stl");
    assert_eq!(lines[0]["error_kind"], "malformed");
    assert!(
        lines[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("1000"))
    );
    assert!(lines[0]["vector"].is_null());
    assert_eq!(lines[1]["ok"], true);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_feature_version_is_refused() {
    let (_, code, stderr) = cadfeat(&["extract", "--feature-version", "v9", "x.stl"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("v9"), "{stderr}");
}

#[test]
fn slots_lists_the_manifest() {
    for (v, n) in [("v1", 7), ("v2", 12), ("v3", 22), ("v4", 24), ("v5", 64)] {
        let (lines, code, _) = cadfeat(&["slots", "--feature-version", v]);
        assert_eq!(code, 0);
        assert_eq!(lines.len(), n);
    }
    let (lines, _, _) = cadfeat(&["slots", "--feature-version", "v4"]);
    assert_eq!(lines[0]["name"], "entity_count");
    assert_eq!(lines[23]["name"], "shape_entropy");
    assert_eq!(lines[23]["category"], "geometric");
}

#[test]
fn l1_cache_serves_a_repeated_file() {
    let f = "tests/data/obj/polygon_ngon_face.obj";
    let (lines, code, _) = cadfeat(&["extract", "--l1-capacity", "8", f, f]);
    assert_eq!(code, 0);
    assert_eq!(lines[0]["cache"], "miss");
    assert_eq!(lines[1]["cache"], "l1");
    assert_eq!(lines[0]["vector"], lines[1]["vector"]);
    assert!(lines[1]["document"].is_null());
}

#[test]
fn recursive_walks_directories_for_cad_files() {
    let (lines, code, _) = cadfeat(&["extract", "--recursive", "tests/data/obj"]);
    assert_eq!(code, 0);
    let on_disk = std::fs::read_dir("tests/data/obj")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "obj"))
                .count()
        })
        .unwrap_or(0);
    assert!(on_disk > 0);
    assert_eq!(lines.len(), on_disk);
}
