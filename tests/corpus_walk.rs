//! Walks every file of the shared corpus through detection, reading and all five feature
//! versions, and checks the unusual and defective files listed in the corpus README behave as
//! documented.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use cadfeat::{CadDocument, FeatureExtractor, FeatureVersion, Format, Limits};

fn read(file: &str) -> CadDocument {
    let path = common::corpus_dir().join(file);
    cadfeat::read_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn every_corpus_file_is_detected_read_and_extracted_without_panic() {
    let dir = common::corpus_dir();
    let rows = common::read_tsv("MANIFEST.tsv");
    assert!(rows.len() >= 100);
    let mut failures = Vec::new();
    for row in &rows {
        let file = &row["file"];
        let bytes = std::fs::read(dir.join(file)).expect("corpus file");
        // Detection by content alone must name the manifest's format.
        let detected = cadfeat::format::detect_content(&bytes);
        assert_eq!(
            detected.map(Format::as_str),
            Some(row["format"].as_str()),
            "{file}: content detection"
        );
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let doc = cadfeat::read_bytes(&bytes, None, &Limits::default())?;
            let mut vectors = Vec::new();
            for v in FeatureVersion::ALL {
                vectors.push(FeatureExtractor::new(v).extract(&doc));
            }
            Ok::<_, cadfeat::Error>((doc, vectors))
        }));
        match outcome {
            Err(_) => failures.push(format!("{file}: PANIC")),
            Ok(Err(e)) => failures.push(format!("{file}: {e}")),
            Ok(Ok((doc, vectors))) => {
                for v in vectors {
                    assert_eq!(v.values.len(), v.version.dim(), "{file} {}", v.version);
                    assert!(
                        v.values.iter().all(|x| x.is_finite()),
                        "{file} {}: non-finite slot",
                        v.version
                    );
                }
                assert!(doc.metadata.degraded.is_none(), "{file}: degraded");
            }
        }
    }
    // Every corpus file reads: the defective ones too (see the test below for how).
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The corpus README's "Unusual and defective files", each with the documented outcome.
#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn defective_files_degrade_as_documented() {
    // SPLINE under an R10 header (ezdxf refuses it): read, and the spline measured.
    let d = read("dxf/ac1006_header_with_spline_odd.dxf");
    assert_eq!(d.entity_counts.get("SPLINE"), Some(&1));
    assert!(!d.bbox.is_empty());
    // No header and entities without handles: read with their layers.
    let d = read("dxf/cadman_sdi_no_handles.dxf");
    assert_eq!(d.entity_counts.get("LINE"), Some(&8));
    assert_eq!(d.layers.len(), 2);
    assert_eq!(d.metadata.header.get("$ACADVER"), None);
    // Missing BLOCK_RECORD table head and invalid owners (ezdxf needed `recover`): read.
    let d = read("dxf/r2018_recover_test.dxf");
    assert!(d.entity_count() > 0);
    // A malformed IGES global section: read, the problem reported as a warning, inch assumed
    // (OpenCascade's reading: flag 1, 25.4 mm).
    for f in [
        "iges/rhino1998_bad_header.igs",
        "iges/trout_lake_swapped_units.igs",
    ] {
        let d = read(f);
        assert_eq!(
            d.metadata.header.get("unit_mm").map(String::as_str),
            Some("25.4"),
            "{f}"
        );
        assert!(
            !d.metadata.warnings.is_empty(),
            "{f}: the defect is reported"
        );
        assert!(d.brep.is_some(), "{f}");
    }
    // An open shell given as a solid: read, faces counted, no volume (the shell is not closed).
    let d = read("step/occt67_box_open_shell.stp");
    let b = d.brep.as_ref().expect("brep");
    assert_eq!(b.faces, 6);
    // Lower- and mixed-case keywords: the same cube as its upper-case siblings.
    let d = read("step/occt76_case_insensitive_keywords.stp");
    assert_eq!(d.brep.as_ref().map(|b| b.faces), Some(6));
    assert_eq!(d.metadata.solids, Some(1));
    // Relative OBJ indices: resolved.
    let d = read("obj/negative_indices.obj");
    assert!(d.triangle_count() > 0);
    // Binary PLY whose header has CRLF line ends: read.
    let d = read("ply/cube_binary_crlf_header.ply");
    assert_eq!(d.triangle_count(), 12);
    // Zero triangles: a valid, empty mesh with an empty box (not a point at the origin).
    let d = read("stl/blender_empty_binary.stl");
    assert_eq!(d.triangle_count(), 0);
    assert!(d.bbox.is_empty());
    assert_eq!(d.entity_count(), 0);
    // Cyrillic UTF-8 text in a STEP header: read, the B-Rep intact.
    let d = read("step/solidworks2012_valve_cyrillic_name_ap203.step");
    assert!(d.brep.as_ref().is_some_and(|b| b.faces > 400));
    // A Windows-1252 degree sign (in MTEXT, byte 0xB0 — invalid as UTF-8): the file reads, its
    // text is counted, and its 17 used layers are all there (REFERENCE.tsv `layers_used`).
    let d = read("dxf/r2004_floorplan_many_layers.dxf");
    assert!(d.metadata.text_count.is_some_and(|n| n > 0));
    let reference = common::reference_rows("dxf");
    let row = reference
        .iter()
        .find(|r| r["file"] == "dxf/r2004_floorplan_many_layers.dxf")
        .expect("reference row");
    assert_eq!(Some(d.layers.len() as f64), common::num(row, "layers_used"));
}
