//! IGES reader: every corpus file against OpenCascade's REFERENCE.tsv (faces, surface census,
//! solids, units, bounding box), the small files in `tests/data/iges/`, and hostile inputs
//! built here with a tiny IGES writer.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use cadfeat::document::{CadDocument, LengthUnit};
use cadfeat::readers::iges;
use cadfeat::{Error, Limits};

// ---------------------------------------------------------------------------------------------
// Helpers

fn census(s: &str) -> BTreeMap<String, u64> {
    s.split(';')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once(':')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn our_census(doc: &CadDocument) -> BTreeMap<String, u64> {
    doc.brep
        .as_ref()
        .map(|b| {
            b.surface_types
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), *v))
                .collect()
        })
        .unwrap_or_default()
}

/// `mm per unit` from a REFERENCE.tsv `units_file` cell such as `MM (flag 2, unit = 1.0 mm)`.
fn ref_unit_mm(cell: &str) -> Option<f64> {
    let v = cell.split("unit = ").nth(1)?;
    v.trim_end_matches(')')
        .trim()
        .trim_end_matches("mm")
        .trim()
        .parse()
        .ok()
}

fn ref_box(r: &common::Row) -> Option<([f64; 3], [f64; 3])> {
    let g = |c: &str| common::num(r, c);
    Some((
        [g("bbox_xmin")?, g("bbox_ymin")?, g("bbox_zmin")?],
        [g("bbox_xmax")?, g("bbox_ymax")?, g("bbox_zmax")?],
    ))
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(common::data_dir().join("iges").join(name)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The corpus against OpenCascade

#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn corpus_agrees_with_opencascade() {
    let dir = common::corpus_dir();
    let refs = common::reference_rows("iges");
    let files = common::corpus_files("iges");
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for file in &files {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let t = Instant::now();
        let res = iges::read(&bytes, &Limits::default());
        let dt = t.elapsed().as_secs_f64();
        let doc = match res {
            Ok(d) => d,
            Err(e) => {
                println!("{file}: ERROR {e} ({dt:.3}s)");
                failures.push(format!("{file}: read failed: {e}"));
                continue;
            }
        };
        let b = doc.brep.clone().unwrap_or_default();
        let conservative = iges::box_is_conservative(&doc);
        println!(
            "{file}: ok {dt:.3}s unit={} solids={} faces={} edges={} vertices={} census={:?} box={:?}..{:?}{}",
            doc.metadata.unit.map(|u| u.name()).unwrap_or_default(),
            b.solids,
            b.faces,
            b.edges,
            b.vertices,
            our_census(&doc),
            doc.bbox.min(),
            doc.bbox.max(),
            if conservative { " (conservative)" } else { "" },
        );
        let Some(r) = refs.iter().find(|r| &r["file"] == file) else {
            println!("    no REFERENCE.tsv row");
            continue;
        };
        // Faces, solids, surface census.
        let occ_faces = common::num(r, "faces").unwrap_or(-1.0) as u64;
        let occ_solids = common::num(r, "solids").unwrap_or(-1.0) as u64;
        let occ_census = census(&r["surface_types"]);
        println!(
            "    occ: units={:?} solids={occ_solids} faces={occ_faces} edges={} vertices={} census={occ_census:?} (edges/vertices informational: 142/141 loops are not shared)",
            r["units_file"], r["edges"], r["vertices"]
        );
        if b.faces != occ_faces {
            failures.push(format!("{file}: faces {} vs OCC {occ_faces}", b.faces));
        }
        if b.solids != occ_solids {
            failures.push(format!("{file}: solids {} vs OCC {occ_solids}", b.solids));
        }
        if our_census(&doc) != occ_census {
            failures.push(format!("{file}: census differs"));
        }
        assert_eq!(doc.metadata.surfaces, Some(b.faces));
        assert_eq!(
            doc.entity_counts.get("SOLID").copied().unwrap_or(0),
            b.solids
        );
        // Units.
        let occ_mm = ref_unit_mm(&r["units_file"]);
        let ours_mm = doc.metadata.unit.map(LengthUnit::to_mm);
        println!("    unit mm/unit: ours {ours_mm:?}, occ {occ_mm:?}");
        if ours_mm != occ_mm {
            failures.push(format!("{file}: unit {ours_mm:?} vs OCC {occ_mm:?}"));
        }
        // Box.
        if let Some((lo, hi)) = ref_box(r) {
            let diag =
                ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2) + (hi[2] - lo[2]).powi(2))
                    .sqrt();
            let tol = 0.005 * diag;
            let (Some(our_lo), Some(our_hi)) = (doc.bbox.min(), doc.bbox.max()) else {
                failures.push(format!("{file}: empty box, OCC has one"));
                continue;
            };
            let max_dev = (0..3)
                .map(|i| (our_lo[i] - lo[i]).abs().max((our_hi[i] - hi[i]).abs()))
                .fold(0.0, f64::max);
            println!(
                "    box: max deviation from OCC {:.3e} = {:.4}% of diagonal {diag:.4e}",
                max_dev,
                100.0 * max_dev / diag
            );
            if conservative {
                let contains = (0..3).all(|i| our_lo[i] <= lo[i] + tol && our_hi[i] >= hi[i] - tol);
                if !contains {
                    failures.push(format!("{file}: conservative box does not contain OCC's"));
                }
            } else if max_dev > tol {
                failures.push(format!("{file}: box off by {max_dev} (> 0.5% of diagonal)"));
            }
        }
        for w in doc.metadata.warnings.iter().take(8) {
            println!("    warning: {w}");
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn corpus_raw_counts_match_the_directory() {
    // c3d_converter_part.igs: MANIFEST notes list 110:48, 126:48, 502:10, 504:10, 128:10, 508:10.
    let bytes = std::fs::read(common::corpus_dir().join("iges/c3d_converter_part.igs")).unwrap();
    let doc = iges::read(&bytes, &Limits::default()).unwrap();
    let rc = &doc.metadata.raw_counts;
    assert_eq!(rc["110 LINE"], 48);
    assert_eq!(rc["126 RATIONAL_B_SPLINE_CURVE"], 48);
    assert_eq!(rc["128 RATIONAL_B_SPLINE_SURFACE"], 10);
    assert_eq!(rc["502 VERTEX_LIST"], 10);
    assert_eq!(rc["504 EDGE_LIST"], 10);
    assert_eq!(rc["508 LOOP"], 10);
    // Header: MANIFEST says system='C3D-based application', units flag=2 name='MM'.
    assert_eq!(
        doc.metadata.header["sending_system"],
        "C3D-based application"
    );
    assert_eq!(doc.metadata.header["unit_flag"], "2");
    assert_eq!(doc.metadata.header["unit_name"], "MM");
    // 4 instances (408) of a 10-solid subfigure: 40 solids, as OCC (REFERENCE.tsv solids=40).
    assert_eq!(doc.entity_counts["SOLID"], 40);
}

// ---------------------------------------------------------------------------------------------
// Small real files (tests/data/iges, see SOURCES.tsv); expected values from REFERENCE.tsv.

#[test]
fn catia_cone_faces_census_and_box() {
    let doc = iges::read(&data("catia_v5r14_cone.igs"), &Limits::default()).unwrap();
    // REFERENCE.tsv: faces 3, plane:1;revolution:2, box (-60,-60,-70)..(60,60,80), MM.
    assert_eq!(doc.metadata.parser, "cadfeat-iges");
    assert_eq!(doc.metadata.unit, Some(LengthUnit::Millimetre));
    assert_eq!(doc.metadata.header["iges_version"], "5.3");
    assert_eq!(doc.metadata.surfaces, Some(3));
    assert_eq!(doc.metadata.solids, Some(0));
    assert!(doc.entity_counts.is_empty());
    let mut want = BTreeMap::new();
    want.insert("plane".to_string(), 1);
    want.insert("revolution".to_string(), 2);
    assert_eq!(our_census(&doc), want);
    let (lo, hi) = (doc.bbox.min().unwrap(), doc.bbox.max().unwrap());
    for (a, b) in lo
        .iter()
        .chain(hi.iter())
        .zip([-60.0, -60.0, -70.0, 60.0, 60.0, 80.0])
    {
        assert!((a - b).abs() < 1e-6, "{lo:?} {hi:?}");
    }
    assert_eq!(doc.metadata.raw_counts["144 TRIMMED_SURFACE"], 3);
    assert_eq!(doc.metadata.raw_counts["124 TRANSFORMATION_MATRIX"], 4);
}

#[test]
fn ideas_bounded_surfaces() {
    let doc = iges::read(&data("ideas_ms6_csg_simple.igs"), &Limits::default()).unwrap();
    // REFERENCE.tsv: 11 faces, plane:9;extrusion:2, box (-70,-100,-100)..(30,0,0).
    assert_eq!(doc.metadata.surfaces, Some(11));
    let c = our_census(&doc);
    assert_eq!((c["plane"], c["extrusion"]), (9, 2));
    let (lo, hi) = (doc.bbox.min().unwrap(), doc.bbox.max().unwrap());
    for (a, b) in lo
        .iter()
        .chain(hi.iter())
        .zip([-70.0, -100.0, -100.0, 30.0, 0.0, 0.0])
    {
        assert!((a - b).abs() < 1e-3, "{lo:?} {hi:?}");
    }
}

#[test]
fn malformed_global_sections_fall_back_to_inch_like_occ() {
    // REFERENCE.tsv units_file for both: "(flag 1, unit = 25.4 mm)".
    for name in ["rhino1998_bad_header.igs", "trout_lake_swapped_units.igs"] {
        let doc = iges::read(&data(name), &Limits::default()).unwrap();
        assert_eq!(doc.metadata.unit, Some(LengthUnit::Inch), "{name}");
        assert_eq!(doc.to_mm, 1.0);
        assert!(
            doc.metadata
                .warnings
                .iter()
                .any(|w| w.contains("inch assumed")),
            "{name}: {:?}",
            doc.metadata.warnings
        );
        assert_eq!(doc.metadata.surfaces, Some(1), "{name}");
    }
    // trout lake: OCC box (-443.77, -38.39, 0)..(565.64, 991.10, 0) in mm: the coordinates were
    // multiplied by 25.4.
    let doc = iges::read(&data("trout_lake_swapped_units.igs"), &Limits::default()).unwrap();
    let hi = doc.bbox.max().unwrap();
    assert!((hi[1] - 991.1005635572656).abs() < 0.005 * 1100.0, "{hi:?}");
}

// ---------------------------------------------------------------------------------------------
// A tiny IGES writer for hostile and hand-checkable inputs.

struct Ent {
    etype: i64,
    form: i64,
    transform: i64,
    params: String,
}

fn ent(etype: i64, params: &str) -> Ent {
    Ent {
        etype,
        form: 0,
        transform: 0,
        params: params.to_string(),
    }
}

fn rec(body: &str, sec: char, seq: usize) -> String {
    format!("{body:<72}{sec}{seq:>7}\n")
}

fn global(unit_flag: i64, unit_name: &str) -> String {
    format!(
        "1H,,1H;,4Htest,8Htest.igs,7Hcadfeat,3H0.1,32,38,6,308,15,4Htest,1.0,{unit_flag},{}H{unit_name},1,0.01,15H20260101.000000,0.001,100.0,6Hauthor,3Horg,11,0;",
        unit_name.len()
    )
}

fn write_iges(ents: &[Ent], g: &str) -> String {
    let mut out = rec("cadfeat test file", 'S', 1);
    let gb = g.as_bytes();
    let mut gn = 0;
    for chunk in gb.chunks(72) {
        gn += 1;
        out += &rec(std::str::from_utf8(chunk).unwrap(), 'G', gn);
    }
    let mut d = String::new();
    let mut p = String::new();
    let mut pline = 1usize;
    for (i, e) in ents.iter().enumerate() {
        let de = 2 * i + 1;
        let text = format!("{},{};", e.etype, e.params);
        let chunks: Vec<&[u8]> = text.as_bytes().chunks(64).collect();
        let first = pline;
        for c in &chunks {
            p += &format!(
                "{:<64}{de:>8}P{pline:>7}\n",
                std::str::from_utf8(c).unwrap()
            );
            pline += 1;
        }
        d += &format!(
            "{:>8}{first:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}D{de:>7}\n",
            e.etype, 0, 0, 0, 0, e.transform, 0, "00000000"
        );
        d += &format!(
            "{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}D{:>7}\n",
            e.etype,
            0,
            0,
            chunks.len(),
            e.form,
            "",
            "",
            "",
            0,
            de + 1
        );
    }
    out += &d;
    out += &p;
    out += &rec(
        &format!("S{:>7}G{gn:>7}D{:>7}P{:>7}", 1, 2 * ents.len(), pline - 1),
        'T',
        1,
    );
    out
}

fn read_str(s: &str) -> cadfeat::Result<CadDocument> {
    iges::read(s.as_bytes(), &Limits::default())
}

fn bbox(doc: &CadDocument) -> ([f64; 3], [f64; 3]) {
    (doc.bbox.min().unwrap(), doc.bbox.max().unwrap())
}

fn close(a: [f64; 3], b: [f64; 3]) -> bool {
    (0..3).all(|i| (a[i] - b[i]).abs() < 1e-9)
}

#[test]
fn inch_line_is_converted_to_mm() {
    let f = write_iges(&[ent(110, "0.,0.,0.,1.,2.,3.")], &global(1, "INCH"));
    let doc = read_str(&f).unwrap();
    assert_eq!(doc.metadata.unit, Some(LengthUnit::Inch));
    let (lo, hi) = bbox(&doc);
    assert!(
        close(lo, [0.0; 3]) && close(hi, [25.4, 50.8, 76.2]),
        "{lo:?} {hi:?}"
    );
    assert_eq!(doc.metadata.raw_counts["110 LINE"], 1);
    assert!(doc.brep.is_none());
    assert_eq!(doc.metadata.surfaces, Some(0));
}

#[test]
fn no_geometry_means_an_empty_box() {
    let f = write_iges(&[ent(314, "50.,50.,50.")], &global(2, "MM"));
    let doc = read_str(&f).unwrap();
    assert!(doc.bbox.is_empty());
    assert_eq!(doc.metadata.raw_counts["314 COLOR"], 1);
}

#[test]
fn arc_extent_with_rotation_and_d_exponents() {
    // A half circle of radius 2 about (1,0) at ZT=0, from (3,0) to (-1,0) counter-clockwise:
    // by hand x in [-1,3], y in [0,2]. A 124 rotating 90° about z (x→y, y→-x) maps the box to
    // x in [-2,0], y in [-1,3].
    let mut arc = ent(100, "0.D0,1.D0,0.D0,3.0D0,0.D0,-1.D0,0.D0");
    arc.transform = 3;
    let rot = ent(124, "0.,-1.,0.,0.,1.,0.,0.,0.,0.,0.,1.,0.");
    let doc = read_str(&write_iges(&[arc, rot], &global(2, "MM"))).unwrap();
    let (lo, hi) = bbox(&doc);
    assert!(
        close(lo, [-2.0, -1.0, 0.0]) && close(hi, [0.0, 3.0, 0.0]),
        "{lo:?} {hi:?}"
    );
}

#[test]
fn transform_chains_compose() {
    // Line (0,0,0)-(1,0,0) → 124 translate (10,0,0) → 124 translate (0,5,0).
    let mut line = ent(110, "0.,0.,0.,1.,0.,0.");
    line.transform = 3;
    let mut t1 = ent(124, "1.,0.,0.,10.,0.,1.,0.,0.,0.,0.,1.,0.");
    t1.transform = 5;
    let t2 = ent(124, "1.,0.,0.,0.,0.,1.,0.,5.,0.,0.,1.,0.");
    let doc = read_str(&write_iges(&[line, t1, t2], &global(2, "MM"))).unwrap();
    let (lo, hi) = bbox(&doc);
    assert!(
        close(lo, [10.0, 5.0, 0.0]) && close(hi, [11.0, 5.0, 0.0]),
        "{lo:?} {hi:?}"
    );
}

#[test]
fn subfigure_instances_place_their_definition() {
    // 308 holding a line (0,0,0)-(1,1,0); two 408 instances at (0,0,0) scale 1 and at
    // (10,0,0) scale 2: boxes (0,0)-(1,1) and (10,0)-(12,2).
    let line = ent(110, "0.,0.,0.,1.,1.,0.");
    let def = ent(308, "0,3Hsub,1,1");
    let i1 = ent(408, "3,0.,0.,0.,1.");
    let i2 = ent(408, "3,10.,0.,0.,2.");
    let doc = read_str(&write_iges(&[line, def, i1, i2], &global(2, "MM"))).unwrap();
    let (lo, hi) = bbox(&doc);
    assert!(
        close(lo, [0.0; 3]) && close(hi, [12.0, 2.0, 0.0]),
        "{lo:?} {hi:?}"
    );
}

#[test]
fn untrimmed_bspline_surface_is_one_face() {
    // A bilinear patch over the unit square lifted at one corner: degree 1×1, 2×2 points.
    let s = ent(
        128,
        "1,1,1,1,0,0,1,0,0,0.,0.,1.,1.,0.,0.,1.,1.,1.,1.,1.,1.,0.,0.,0.,1.,0.,0.,0.,1.,0.,1.,1.,4.,0.,1.,0.,1.",
    );
    let doc = read_str(&write_iges(&[s], &global(2, "MM"))).unwrap();
    assert_eq!(doc.metadata.surfaces, Some(1));
    assert_eq!(our_census(&doc)["bspline"], 1);
    let (lo, hi) = bbox(&doc);
    assert!(
        close(lo, [0.0; 3]) && close(hi, [1.0, 1.0, 4.0]),
        "{lo:?} {hi:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs: typed errors or documented warnings, never a panic or a hang.

fn is_malformed(r: &cadfeat::Result<CadDocument>) -> bool {
    matches!(r, Err(Error::Malformed { .. }))
}

#[test]
fn truncated_files_fail_cleanly() {
    let bytes = data("catia_v5r14_cone.igs");
    let mut malformed = 0;
    for cut in (0..bytes.len()).step_by(97) {
        match iges::read(&bytes[..cut], &Limits::default()) {
            Ok(doc) => assert!(
                !doc.metadata.warnings.is_empty(),
                "cut {cut}: a truncated file read without a warning"
            ),
            Err(Error::Malformed { .. }) => malformed += 1,
            Err(Error::Empty) => assert_eq!(cut, 0),
            Err(e) => panic!("cut {cut}: unexpected error {e}"),
        }
    }
    assert!(malformed > 0);
    // Cut in the middle of the Parameter section: an entity's parameters are missing.
    let half = &bytes[..bytes.len() / 2];
    assert!(is_malformed(&iges::read(half, &Limits::default())));
}

#[test]
fn dangling_pointer_is_a_warning() {
    // A composite curve naming DE 99, which does not exist, and a real line.
    let f = write_iges(
        &[ent(102, "2,99,3"), ent(110, "0.,0.,0.,2.,0.,0.")],
        &global(2, "MM"),
    );
    let doc = read_str(&f).unwrap();
    assert!(
        doc.metadata
            .warnings
            .iter()
            .any(|w| w.contains("pointer 99 names no directory entry")),
        "{:?}",
        doc.metadata.warnings
    );
    let (_, hi) = bbox(&doc);
    assert!(close(hi, [2.0, 0.0, 0.0]));
}

#[test]
fn transform_cycle_is_an_error() {
    let mut line = ent(110, "0.,0.,0.,1.,0.,0.");
    line.transform = 3;
    let mut a = ent(124, "1.,0.,0.,0.,0.,1.,0.,0.,0.,0.,1.,0.");
    a.transform = 5;
    let mut b = ent(124, "1.,0.,0.,0.,0.,1.,0.,0.,0.,0.,1.,0.");
    b.transform = 3;
    let r = read_str(&write_iges(&[line, a, b], &global(2, "MM")));
    assert!(is_malformed(&r), "{r:?}");
    assert!(format!("{}", r.unwrap_err()).contains("cyclic"));
}

#[test]
fn composite_curve_containing_itself_is_an_error() {
    let f = write_iges(
        &[ent(102, "2,1,3"), ent(110, "0.,0.,0.,1.,0.,0.")],
        &global(2, "MM"),
    );
    let r = read_str(&f);
    assert!(is_malformed(&r), "{r:?}");
    assert!(format!("{}", r.unwrap_err()).contains("contains itself"));
}

#[test]
fn subfigure_containing_itself_is_an_error() {
    // 308 (DE 1) holds 408 (DE 3) which instances the 308 again; plus a root 408 (DE 5).
    let f = write_iges(
        &[
            ent(308, "0,1Hx,1,3"),
            ent(408, "1,0.,0.,0.,1."),
            ent(408, "1,0.,0.,0.,1."),
        ],
        &global(2, "MM"),
    );
    let r = read_str(&f);
    assert!(
        matches!(
            r,
            Err(Error::Malformed { .. }) | Err(Error::LimitExceeded { .. })
        ),
        "{r:?}"
    );
}

#[test]
fn huge_bspline_counts_are_refused_before_allocation() {
    // K = 999,999,999: 10^9 control points claimed, a handful of parameters present.
    let f = write_iges(
        &[ent(
            126,
            "999999999,3,0,0,1,0,0.,0.,0.,0.,1.,1.,1.,1.,0.,0.,0.",
        )],
        &global(2, "MM"),
    );
    let r = read_str(&f);
    assert!(
        matches!(
            r,
            Err(Error::LimitExceeded {
                limit: cadfeat::LimitKind::Vertices,
                ..
            })
        ),
        "{r:?}"
    );
    // With no limits, the count is checked against the parameters actually present.
    let r = iges::read(f.as_bytes(), &Limits::unlimited());
    assert!(is_malformed(&r), "{r:?}");
    assert!(format!("{}", r.unwrap_err()).contains("claims"));
    // Same for a surface and for copious data.
    let f = write_iges(
        &[ent(128, "99999,99999,3,3,0,0,1,0,0,0.")],
        &global(2, "MM"),
    );
    assert!(iges::read(f.as_bytes(), &Limits::unlimited()).is_err());
    let f = write_iges(&[ent(106, "2,1000000000,0.,0.,0.")], &global(2, "MM"));
    assert!(is_malformed(&read_str(&f)));
}

#[test]
fn inconsistent_bspline_is_skipped_with_a_warning() {
    // Decreasing knots.
    let f = write_iges(
        &[
            ent(
                126,
                "1,1,0,0,1,0,1.,0.,1.,0.,1.,1.,0.,0.,0.,1.,1.,1.,0.,1.,0.,0.,1.",
            ),
            ent(110, "0.,0.,0.,1.,0.,0."),
        ],
        &global(2, "MM"),
    );
    let doc = read_str(&f).unwrap();
    assert!(
        doc.metadata
            .warnings
            .iter()
            .any(|w| w.contains("knots decrease"))
    );
    let (_, hi) = bbox(&doc);
    assert!(close(hi, [1.0, 0.0, 0.0]));
    // Wrong types: text where numbers belong.
    let f = write_iges(&[ent(110, "3Habc,0.,0.,1.,0.,0.")], &global(2, "MM"));
    let doc = read_str(&f).unwrap();
    assert!(doc.bbox.is_empty());
    assert!(!doc.metadata.warnings.is_empty());
}

#[test]
fn one_unterminated_line_reads_like_the_normal_file() {
    let f = write_iges(
        &[ent(110, "0.,0.,0.,1.,2.,3."), ent(116, "-4.,5.,6.")],
        &global(10, "CM"),
    );
    let one_line: String = f.lines().collect();
    assert_eq!(one_line.len() % 80, 0);
    assert!(!one_line.contains('\n'));
    let a = read_str(&f).unwrap();
    let b = read_str(&one_line).unwrap();
    assert_eq!(a.bbox, b.bbox);
    assert_eq!(a.metadata.raw_counts, b.metadata.raw_counts);
    assert_eq!(bbox(&a), ([-40.0, 0.0, 0.0], [10.0, 50.0, 60.0]));
    assert!(
        b.metadata
            .warnings
            .iter()
            .any(|w| w.contains("not terminated"))
    );
    // CRLF and stripped trailing blanks read the same too.
    let crlf = f.replace('\n', "\r\n");
    assert_eq!(read_str(&crlf).unwrap().bbox, a.bbox);
}

#[test]
fn non_ascii_bytes_do_not_break_the_reader() {
    let f = write_iges(&[ent(110, "0.,0.,0.,1.,0.,0.")], &global(2, "MM"));
    let mut bytes = f.into_bytes();
    // Latin-1 bytes inside the Start section and inside the sending-system Hollerith.
    bytes[3] = 0xE9;
    let g = bytes.windows(7).position(|w| w == b"cadfeat").unwrap();
    bytes[g] = 0xFF;
    let doc = iges::read(&bytes, &Limits::default()).unwrap();
    assert_eq!(doc.metadata.raw_counts["110 LINE"], 1);
    // Garbage of all kinds: never a panic.
    let mut seed = 0x2545F4914F6CDD1Du64;
    for _ in 0..200 {
        let mut v = bytes.clone();
        for _ in 0..20 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed % v.len() as u64) as usize;
            v[i] = (seed >> 32) as u8;
        }
        let _ = iges::read(&v, &Limits::default());
    }
}

fn triangle_solid(edge_index: &str) -> String {
    let mut shell = ent(514, "1,15,1");
    shell.form = 1;
    write_iges(
        &[
            ent(110, "0.,0.,0.,1.,0.,0."),
            ent(110, "1.,0.,0.,0.,1.,0."),
            ent(110, "0.,1.,0.,0.,0.,0."),
            ent(502, "3,0.,0.,0.,1.,0.,0.,0.,1.,0."),
            ent(504, "3,1,7,1,7,2,3,7,2,7,3,5,7,3,7,1"),
            ent(
                128,
                "1,1,1,1,0,0,1,0,0,0.,0.,1.,1.,0.,0.,1.,1.,1.,1.,1.,1.,0.,0.,0.,1.,0.,0.,0.,1.,0.,1.,1.,0.,0.,1.,0.,1.",
            ),
            ent(508, &format!("3,0,9,1,1,0,0,9,2,1,0,0,9,{edge_index},1,0")),
            ent(510, "11,1,1,13"),
            shell,
            ent(186, "17,1,0"),
        ],
        &global(2, "MM"),
    )
}

#[test]
fn manifold_solid_shares_edges_and_vertices() {
    let doc = read_str(&triangle_solid("3")).unwrap();
    let b = doc.brep.clone().unwrap();
    // By construction: one solid, one shell, one face, three edges, three vertices.
    assert_eq!(
        (b.solids, b.shells, b.faces, b.edges, b.vertices),
        (1, 1, 1, 3, 3)
    );
    assert_eq!(doc.entity_counts["SOLID"], 1);
    assert_eq!(our_census(&doc)["bspline"], 1);
    let (lo, hi) = bbox(&doc);
    assert!(
        close(lo, [0.0; 3]) && close(hi, [1.0, 1.0, 0.0]),
        "{lo:?} {hi:?}"
    );
}

#[test]
fn edge_index_out_of_range_is_a_warning() {
    for idx in ["99", "9223372036854775807", "-5", "1.5D300"] {
        let doc = read_str(&triangle_solid(idx)).unwrap();
        assert!(
            doc.metadata
                .warnings
                .iter()
                .any(|w| w.contains("out of range")),
            "{idx}: {:?}",
            doc.metadata.warnings
        );
        assert_eq!(doc.brep.unwrap().edges, 2, "{idx}");
    }
}

#[test]
fn deep_reference_chains_are_bounded() {
    // 400 composite curves, each containing the next, ending in a line: deeper than any
    // nesting limit. Must fail cleanly (no stack overflow), even with unlimited limits.
    let n = 400;
    let mut ents: Vec<Ent> = (0..n)
        .map(|i| ent(102, &format!("1,{}", 2 * i + 3)))
        .collect();
    ents.push(ent(110, "0.,0.,0.,1.,0.,0."));
    let f = write_iges(&ents, &global(2, "MM"));
    for limits in [Limits::default(), Limits::unlimited()] {
        let r = iges::read(f.as_bytes(), &limits);
        assert!(is_malformed(&r), "{r:?}");
        assert!(format!("{}", r.unwrap_err()).contains("max_nesting"));
    }
    // Within the limit it reads.
    let mut ents: Vec<Ent> = (0..20)
        .map(|i| ent(102, &format!("1,{}", 2 * i + 3)))
        .collect();
    ents.push(ent(110, "0.,0.,0.,1.,0.,0."));
    let doc = read_str(&write_iges(&ents, &global(2, "MM"))).unwrap();
    assert!(close(bbox(&doc).1, [1.0, 0.0, 0.0]));
}

#[test]
fn exponential_reference_fanout_hits_a_limit() {
    // 30 composite curves, each containing the next one twice: 2^30 leaf visits if expanded.
    let mut ents: Vec<Ent> = (0..30)
        .map(|i| ent(102, &format!("2,{},{}", 2 * i + 3, 2 * i + 3)))
        .collect();
    ents.push(ent(110, "0.,0.,0.,1.,0.,0."));
    let f = write_iges(&ents, &global(2, "MM"));
    let limits = Limits {
        max_expanded_entities: 100_000,
        ..Limits::default()
    };
    let t = Instant::now();
    let r = iges::read(f.as_bytes(), &limits);
    assert!(
        matches!(
            r,
            Err(Error::LimitExceeded {
                limit: cadfeat::LimitKind::ExpandedEntities,
                ..
            })
        ),
        "{r:?}"
    );
    println!("fan-out stopped after {:?}", t.elapsed());
    // The work budget (20 units per visit) stops it too. With the default 50M units this
    // takes about 0.6 s in a release build; a smaller budget keeps the debug test quick.
    let limits = Limits {
        max_work: 2_000_000,
        ..Limits::default()
    };
    let t = Instant::now();
    let r = iges::read(f.as_bytes(), &limits);
    assert!(
        matches!(
            r,
            Err(Error::LimitExceeded {
                limit: cadfeat::LimitKind::Work,
                ..
            })
        ),
        "{r:?}"
    );
    println!("fan-out (work budget) stopped after {:?}", t.elapsed());
}
