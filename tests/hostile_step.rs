//! Hostile STEP inputs: references that form a cycle or point nowhere, non-finite
//! coordinates, a 10,000-deep parameter list and a file cut inside a number. Each must end in a
//! typed error, or in a document the STEP reader marks as degraded (its documented behaviour
//! for broken references), with a finite feature vector, within a "does not hang" time and a
//! peak-allocation bound (counting global allocator).
//!
//! The inputs are edits of a small committed file (`tests/data/step/`, a CadQuery cube and
//! cylinder), so that the broken reference sits inside a structure the B-Rep layer really
//! follows.

mod hostile;

use cadfeat::{CadDocument, Error, Format, LimitKind, Limits, Result, readers};
use hostile::{Counting, MIB, assert_bounded, assert_finite_vector, assert_limit, measure};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn cube() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/step/cadquery_red_cube_blue_cylinder_colors.step"),
    )
    .expect("committed STEP sample")
}

/// Reads `text` with the default limits under the time and memory bounds.
fn read_bounded(what: &str, text: &str) -> Result<CadDocument> {
    let (r, cost) = measure(|| readers::read(text.as_bytes(), Format::Step, &Limits::default()));
    // The sample is 18 KB; its normal read is the reference for "bounded".
    assert_bounded(what, cost, 64 * MIB);
    r
}

/// A typed error, or a document that is degraded (or otherwise sane) with a finite vector.
fn assert_typed_or_degraded(what: &str, r: &Result<CadDocument>, expect_degraded: bool) {
    match r {
        Err(Error::Malformed { .. } | Error::LimitExceeded { .. }) => {}
        Err(e) => panic!("{what}: untyped outcome {e:?}"),
        Ok(doc) => {
            if expect_degraded {
                assert!(
                    doc.metadata.degraded.is_some() || !doc.metadata.warnings.is_empty(),
                    "{what}: read as if nothing were wrong"
                );
            }
            assert_finite_vector(what, doc);
        }
    }
}

#[test]
fn the_unedited_sample_reads() {
    let r = read_bounded("sample", &cube());
    let doc = r.expect("the sample reads");
    assert!(doc.metadata.degraded.is_none());
}

#[test]
fn references_that_point_nowhere() {
    // The location #150 of the placement #118 of the plane #78 becomes #888888, which no
    // instance defines.
    let text = cube().replace(
        "#118 = AXIS2_PLACEMENT_3D( '', #150,",
        "#118 = AXIS2_PLACEMENT_3D( '', #888888,",
    );
    assert_ne!(text, cube());
    let r = read_bounded("dangling reference", &text);
    assert_typed_or_degraded("dangling reference", &r, true);

    // Every reference to #150 dangles (#150 is removed).
    let text: String = cube()
        .lines()
        .filter(|l| !l.starts_with("#150 ="))
        .map(|l| format!("{l}\n"))
        .collect();
    let r = read_bounded("removed instance", &text);
    assert_typed_or_degraded("removed instance", &r, true);
}

#[test]
fn references_that_form_a_cycle() {
    // The placement #118 of the plane #78 has itself as its location.
    let text = cube().replace(
        "#118 = AXIS2_PLACEMENT_3D( '', #150,",
        "#118 = AXIS2_PLACEMENT_3D( '', #118,",
    );
    assert_ne!(text, cube());
    let r = read_bounded("self reference", &text);
    assert_typed_or_degraded("self reference", &r, true);

    // A two-instance cycle: #118's location is #999991, whose location is #118.
    let text = cube()
        .replace(
            "#118 = AXIS2_PLACEMENT_3D( '', #150,",
            "#118 = AXIS2_PLACEMENT_3D( '', #999991,",
        )
        .replace(
            "ENDSEC;\nEND-ISO",
            "#999991 = AXIS2_PLACEMENT_3D( '', #118, #151, #152 );\nENDSEC;\nEND-ISO",
        );
    assert!(
        text.contains("#999991 ="),
        "the sample ends with ENDSEC; END-ISO"
    );
    let r = read_bounded("two-instance cycle", &text);
    assert_typed_or_degraded("two-instance cycle", &r, true);

    // A closed shell and an edge loop that list themselves among their members.
    for (what, from, to) in [
        (
            "shell containing itself",
            "#106 = CLOSED_SHELL( '', ( #44,",
            "#106 = CLOSED_SHELL( '', ( #106,",
        ),
        (
            "edge loop containing itself",
            "#117 = EDGE_LOOP( '', ( #146,",
            "#117 = EDGE_LOOP( '', ( #117,",
        ),
    ] {
        let text = cube().replace(from, to);
        assert_ne!(text, cube(), "{what}");
        let r = read_bounded(what, &text);
        assert_typed_or_degraded(what, &r, true);
    }
}

#[test]
fn non_finite_coordinates() {
    // Part 21 has no NaN literal; 1.E400 overflows to infinity when parsed.
    let text = cube().replacen(
        "#107 = CARTESIAN_POINT( '', ( 0.00000000000000,",
        "#107 = CARTESIAN_POINT( '', ( 1.E400,",
        1,
    );
    assert_ne!(text, cube());
    let r = read_bounded("1.E400 coordinate", &text);
    assert_typed_or_degraded("1.E400 coordinate", &r, false);
    let text = cube().replacen(
        "#107 = CARTESIAN_POINT( '', ( 0.00000000000000,",
        "#107 = CARTESIAN_POINT( '', ( -1.E99999,",
        1,
    );
    let r = read_bounded("-1.E99999 coordinate", &text);
    assert_typed_or_degraded("-1.E99999 coordinate", &r, false);
}

#[test]
fn parameter_list_nested_10000_deep() {
    let deep = format!(
        "#999992 = CARTESIAN_POINT( '', {}0.{} );\nENDSEC;\nEND-ISO",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let text = cube().replace("ENDSEC;\nEND-ISO", &deep);
    for limits in [Limits::default(), Limits::unlimited()] {
        let (r, cost) = measure(|| readers::read(text.as_bytes(), Format::Step, &limits));
        assert_limit("step 10000 deep", &r, LimitKind::Nesting);
        assert_bounded("step 10000 deep", cost, 16 * MIB);
    }
}

#[test]
fn file_ending_in_the_middle_of_a_number() {
    let text = cube();
    let at = text
        .find("#107 = CARTESIAN_POINT( '', ( 0.0000")
        .expect("point #107")
        + "#107 = CARTESIAN_POINT( '', ( 0.0000".len();
    let r = read_bounded("cut inside a number", &text[..at]);
    match r {
        Err(Error::Malformed { .. }) => {}
        other => panic!("cut inside a number: {other:?}"),
    }
}

/// A committed regression input under `tests/regressions/step/`: its bytes, its B-Rep and
/// that B-Rep tessellated with the default options and limits.
fn tessellate_regression(
    file: &str,
) -> (
    Vec<u8>,
    cadfeat::brep::BrepModel,
    cadfeat::brep::Tessellation,
) {
    use cadfeat::brep::{TessOptions, tessellate};
    use cadfeat::readers::step::{part21, read_brep};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions/step")
        .join(file);
    let bytes = std::fs::read(&path).expect("committed regression input");
    let limits = Limits::default();
    let table = part21::scan(&bytes, &limits).expect("the finding scans");
    let model = read_brep(&table, &limits)
        .expect("the finding has a B-Rep")
        .model;
    let tess = tessellate(&model, &TessOptions::for_model(&model), &limits);
    (bytes, model, tess)
}

/// The whole read of a hostile file ends in a typed error, or in a document that says it lost
/// something and whose vectors are finite.
fn assert_read_degraded_and_finite(what: &str, bytes: &[u8]) {
    match readers::read(bytes, Format::Step, &Limits::default()) {
        Err(Error::Malformed { .. } | Error::LimitExceeded { .. }) => {}
        Err(e) => panic!("{what}: untyped outcome {e:?}"),
        Ok(doc) => {
            assert!(
                doc.metadata.degraded.is_some() || !doc.metadata.warnings.is_empty(),
                "{what}: read as if nothing were wrong"
            );
            assert_finite_vector(what, &doc);
        }
    }
}

/// Fuzz finding `tests/regressions/step/step-timeout-8ea6e60c680f4fbc.step`: a 25 KB mutation of a
/// CATIA part with a vertex at y = 1e308 and B-spline control points at x = 2^32. Two edges
/// sampled to ~20,000 points each project onto their cylinders as a sliver of nearly collinear
/// parameter points, and the Delaunay insertion of those took 7–16 s, outside `max_work`.
/// Boundary points far off their face's surface now skip the face (a warning) before the
/// triangulation: the read ends, with its work counted, far inside the budget.
#[test]
fn edges_far_off_their_surface_do_not_reach_the_triangulation() {
    let (bytes, _, tess) = tessellate_regression("step-timeout-8ea6e60c680f4fbc.step");
    let limits = Limits::default();
    // The faces whose boundary leaves the surface by more than `OFF_SURFACE_TOLERANCES`
    // tolerances are skipped and say so (two cylinders with an edge through the 2^32 control
    // point, one with the 1e308 vertex).
    let off: Vec<&String> = tess
        .warnings
        .iter()
        .filter(|w| w.contains("off the face's surface"))
        .collect();
    assert!(
        off.len() >= 2,
        "expected off-surface skips, got {:?}",
        tess.warnings
    );
    assert!(off.len() < tess.face_ok.len(), "every face skipped");
    // The Delaunay cost was not charged; the work that is stays far inside the budget.
    assert!(
        tess.work < limits.max_work / 10,
        "work {} of {}",
        tess.work,
        limits.max_work
    );
    // The whole read ends in a typed error or a document that says it lost faces, with a
    // finite vector: slot 4 `bbox_volume_estimate` overflowed to inf on the 1e308 vertex and
    // is now saturated to f64::MAX (`cadfeat::features`, "Finite values").
    assert_read_degraded_and_finite("step-timeout finding", &bytes);
}

/// Fuzz finding `tests/regressions/step/step-slow-2307db009f7521e7.step` (60 s `--target step` run, seed
/// 20261124): a plane whose outer loop has ~20,000 boundary points, most of them on a B-spline
/// edge running out to x ≈ −9·10⁵ mm as a nearly straight chain, closed by one straight segment
/// of ~9·10⁷ mm that runs along that chain a few mm away. In the Delaunay triangulation of the
/// loop's points nearly every chain point is joined to points beyond the closing segment, so
/// inserting that segment as a constraint crossed 19,893 edges (counted by walking along it),
/// and spade re-triangulated the crossed region with a quadratic number of flips (0.3–0.6 s,
/// outside `max_work`). The insertion is now charged by the edges each segment crosses
/// (`e + e²/64` units, counted before inserting it), and a face whose segments would cost more
/// than the rest of its triangulation is skipped.
#[test]
fn a_boundary_segment_crossing_thousands_of_edges_skips_its_face() {
    use cadfeat::brep::Surface;
    use cadfeat::brep::tessellate::CROSSING_WORK_DIVISOR;
    let (bytes, model, tess) = tessellate_regression("step-slow-2307db009f7521e7.step");
    let limits = Limits::default();
    let crossing: Vec<&String> = tess
        .warnings
        .iter()
        .filter(|w| w.contains("triangulation edges"))
        .collect();
    assert_eq!(crossing.len(), 1, "{:?}", tess.warnings);
    let w = crossing[0];
    // The face is the plane with the long chain.
    let face: usize = w
        .strip_prefix("face ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("the warning names its face");
    assert!(matches!(model.faces[face].surface, Surface::Plane(_)));
    assert!(!tess.face_ok[face]);
    // The segment was not inserted: the walk along it stopped once the crossings counted would
    // cost more than the face's triangulation was charged (both stated by the warning; the
    // face's other segments are edges of the triangulation already and cost nothing).
    let number_after = |key: &str| -> u64 {
        w.split(key)
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number after {key:?} in {w}"))
    };
    let most = number_after("crosses more than ");
    let charge = number_after("than its triangulation, ");
    let work = |e: u64| e + e * e / CROSSING_WORK_DIVISOR;
    assert!(work(most) <= charge && work(most + 1) > charge, "{w}");
    assert!(most < 19_893, "{w}");
    // The other faces are unaffected: those skipped are skipped for their unknown surfaces or
    // their boundaries off their surfaces, the rest are meshed.
    let others_skipped = tess
        .warnings
        .iter()
        .filter(|w| {
            w.starts_with("face ") && w.contains(": skipped") && !w.contains("triangulation edges")
        })
        .count();
    assert_eq!(
        tess.face_ok.iter().filter(|ok| !**ok).count(),
        others_skipped + 1
    );
    assert!(tess.face_ok.iter().any(|ok| *ok));
    assert!(tess.work < limits.max_work / 10, "work {}", tess.work);
    // The whole read ends in a document that says it lost faces, and whose vectors are finite
    // (slot 4 overflowed to inf before overflow saturated to f64::MAX).
    assert_read_degraded_and_finite("step-slow finding", &bytes);
}
