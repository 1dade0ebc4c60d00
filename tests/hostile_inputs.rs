//! Hostile inputs: every one must end in a typed error (or, where the reader's documented
//! behaviour is to recover, in a document with a finite feature vector), within a generous
//! "does not hang" time and a peak-allocation bound measured by a counting global allocator.
//!
//! The peak bounds are small multiples of what the input can justify: these inputs are a few
//! hundred bytes to a few hundred KiB, so anything near the bounds would mean an allocation
//! driven by a count in the file rather than by its size.

mod hostile;

use cadfeat::{Error, Format, LimitKind, Limits, Location, readers};
use hostile::{
    Counting, MIB, assert_bounded, assert_finite_vector, assert_limit, assert_malformed, measure,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn binary_stl_header(count: u32) -> Vec<u8> {
    let mut b = b"hostile".to_vec();
    b.resize(80, b' ');
    b.extend_from_slice(&count.to_le_bytes());
    b
}

// ------------------------------------------------------------------ claimed counts

#[test]
fn binary_stl_claiming_4g_triangles_in_200_bytes() {
    let mut b = binary_stl_header(u32::MAX);
    b.resize(200, 0);
    for hint in [None, Some("stl")] {
        let (r, cost) = measure(|| cadfeat::read_bytes(&b, hint, &Limits::default()));
        // Without a hint the content is inconclusive (the count disagrees with the size).
        if hint.is_none() {
            assert!(
                matches!(r, Err(Error::UnknownFormat { .. })),
                "no hint: {r:?}"
            );
        } else {
            let msg = assert_malformed("stl 2^32-1", &r);
            assert!(msg.contains("4294967295"), "{msg}");
            assert!(
                matches!(
                    r,
                    Err(Error::Malformed {
                        location: Location::Byte(80),
                        ..
                    })
                ),
                "{r:?}"
            );
        }
        assert_bounded("stl 2^32-1", cost, 64 * 1024);
    }
}

#[test]
fn binary_stl_whose_consistent_count_exceeds_the_triangle_limit() {
    // 1001 zero triangles: size and count agree, the limit must stop it before allocating.
    let mut b = binary_stl_header(1001);
    b.resize(84 + 50 * 1001, 0);
    let limits = Limits {
        max_triangles: 1000,
        ..Limits::default()
    };
    let (r, cost) = measure(|| readers::read(&b, Format::Stl, &limits));
    assert_limit("stl over max_triangles", &r, LimitKind::Triangles);
    assert_bounded("stl over max_triangles", cost, 64 * 1024);
}

#[test]
fn ply_element_count_of_4g_in_a_tiny_file() {
    let text = b"ply\nformat binary_little_endian 1.0\nelement vertex 4294967295\nproperty float x\nproperty float y\nproperty float z\nend_header\n\0\0\0\0";
    let (r, cost) = measure(|| readers::read(text, Format::Ply, &Limits::default()));
    assert!(
        matches!(
            r,
            Err(Error::Malformed { .. } | Error::LimitExceeded { .. })
        ),
        "{r:?}"
    );
    assert_bounded("ply 2^32-1 vertices", cost, 64 * 1024);
}

// ------------------------------------------------------------------ DXF blocks

fn dxf(blocks: &str, entities: &str) -> Vec<u8> {
    format!(
        "0\nSECTION\n2\nBLOCKS\n{blocks}0\nENDSEC\n0\nSECTION\n2\nENTITIES\n{entities}0\nENDSEC\n0\nEOF\n"
    )
    .into_bytes()
}

fn block(name: &str, body: &str) -> String {
    format!("0\nBLOCK\n2\n{name}\n10\n0\n20\n0\n30\n0\n{body}0\nENDBLK\n")
}

fn insert(name: &str, x: f64, y: f64, extra: &str) -> String {
    format!("0\nINSERT\n2\n{name}\n10\n{x}\n20\n{y}\n30\n0\n{extra}")
}

const UNIT_LINE: &str = "0\nLINE\n8\n0\n10\n0\n20\n0\n30\n0\n11\n1\n21\n1\n31\n0\n";

#[test]
fn dxf_blocks_inserting_each_other_in_a_cycle() {
    // A draws the unit line and inserts B at (5,0); B inserts A at (0,5): a cycle. The DXF
    // reader's documented behaviour is to skip the reference that closes the cycle with a
    // warning (not an error). Expanding top-level A → B → A stops at the second A, and B draws
    // nothing itself, so only the line of the top-level A counts: (0,0,0)..(1,1,0).
    let b = dxf(
        &(block("A", &(UNIT_LINE.to_string() + &insert("B", 5.0, 0.0, "")))
            + &block("B", &insert("A", 0.0, 5.0, ""))),
        &insert("A", 0.0, 0.0, ""),
    );
    let (r, cost) = measure(|| readers::read(&b, Format::Dxf, &Limits::default()));
    assert_bounded("dxf cycle", cost, 4 * MIB);
    let doc = r.expect("a cycle is skipped with a warning, not an error");
    assert!(
        doc.metadata.warnings.iter().any(|w| w.contains("cyclic")),
        "{:?}",
        doc.metadata.warnings
    );
    assert_eq!(doc.bbox.min(), Some([0.0, 0.0, 0.0]));
    assert_eq!(doc.bbox.max(), Some([1.0, 1.0, 0.0]));
    assert_finite_vector("dxf cycle", &doc);

    // A block that inserts itself.
    let b = dxf(
        &block("S", &(UNIT_LINE.to_string() + &insert("S", 3.0, 3.0, ""))),
        &insert("S", 0.0, 0.0, ""),
    );
    let (r, cost) = measure(|| readers::read(&b, Format::Dxf, &Limits::default()));
    assert_bounded("dxf self insert", cost, 4 * MIB);
    let doc = r.expect("a self insert is skipped with a warning");
    assert_eq!(doc.bbox.max(), Some([1.0, 1.0, 0.0]));
}

#[test]
fn dxf_insert_array_of_a_billion_copies() {
    // 100000 columns × 10000 rows = 10^9 copies of the unit line, spacing 2 (x) and 3 (y).
    // The reader expands only the corner copies, so the box is exact and cheap:
    // max = ((cols-1)·2 + 1, (rows-1)·3 + 1) = (199999, 29998).
    let b = dxf(
        &block("A", UNIT_LINE),
        &insert("A", 0.0, 0.0, "70\n100000\n71\n10000\n44\n2\n45\n3\n"),
    );
    let (r, cost) = measure(|| readers::read(&b, Format::Dxf, &Limits::default()));
    assert_bounded("dxf 10^9 array", cost, 4 * MIB);
    let doc = r.expect("an array is bounded by its corner copies");
    assert_eq!(doc.bbox.min(), Some([0.0, 0.0, 0.0]));
    assert_eq!(doc.bbox.max(), Some([199_999.0, 29_998.0, 0.0]));
    assert_finite_vector("dxf array", &doc);
}

#[test]
fn dxf_exponential_nesting_hits_the_expansion_budget() {
    // B0 inserts B1 ten times, …, B8 inserts B9 ten times, B9 draws a line: 10^9 leaf copies
    // from a 3 KiB file. Every copy is charged to max_expanded_entities. The default budget
    // (10^7) takes tens of seconds in a debug build, so this test uses 10^5; the release
    // figure for the defaults is in the fuzz report.
    let mut blocks = String::new();
    for k in 0..10 {
        let body = if k < 9 {
            (0..10)
                .map(|j| insert(&format!("B{}", k + 1), f64::from(j), 0.0, ""))
                .collect::<String>()
        } else {
            UNIT_LINE.to_string()
        };
        blocks += &block(&format!("B{k}"), &body);
    }
    let b = dxf(&blocks, &insert("B0", 0.0, 0.0, ""));
    let limits = Limits {
        max_expanded_entities: 100_000,
        ..Limits::default()
    };
    let (r, cost) = measure(|| readers::read(&b, Format::Dxf, &limits));
    assert_limit("dxf 10^9 nested copies", &r, LimitKind::ExpandedEntities);
    assert_bounded("dxf 10^9 nested copies", cost, 4 * MIB);
}

#[test]
fn dxf_block_nesting_deeper_than_the_limit_is_cut() {
    // A chain B0 → B1 → … → B39 (deeper than max_block_depth = 16); only B39 draws a line,
    // at (1,1)…(2,2) after the offsets of (1,0) per level are skipped beyond the limit, so
    // the line is never reached and the box is empty; the reader warns.
    let mut blocks = String::new();
    for k in 0..40 {
        let body = if k < 39 {
            insert(&format!("B{}", k + 1), 1.0, 0.0, "")
        } else {
            UNIT_LINE.to_string()
        };
        blocks += &block(&format!("B{k}"), &body);
    }
    let b = dxf(&blocks, &insert("B0", 0.0, 0.0, ""));
    let (r, cost) = measure(|| readers::read(&b, Format::Dxf, &Limits::default()));
    assert_bounded("dxf deep chain", cost, 4 * MIB);
    match r {
        Ok(doc) => {
            assert!(doc.bbox.is_empty(), "{:?}", doc.bbox);
            assert!(!doc.metadata.warnings.is_empty());
        }
        Err(e) => assert!(
            matches!(
                e,
                Error::LimitExceeded {
                    limit: LimitKind::BlockDepth,
                    ..
                }
            ),
            "{e:?}"
        ),
    }
}

// ------------------------------------------------------------------ NaN and infinities

/// The mesh readers accept non-finite coordinates but keep them out of the box (see
/// `BoundingBox::add`), and the feature vector stays finite. Each mesh input's only fully
/// finite points are (1,0,0) and (0,1,0).
#[test]
fn nan_and_infinite_coordinates() {
    let ascii_stl = b"solid a\nfacet normal 0 0 1\nouter loop\nvertex nan 0 0\nvertex 1 0 0\nvertex 0 inf 0\nendloop\nendfacet\nfacet normal 0 0 1\nouter loop\nvertex -inf 0 0\nvertex 0 1 0\nvertex NaN NaN NaN\nendloop\nendfacet\nendsolid a\n".to_vec();
    let mut bin_stl = binary_stl_header(2);
    for tri in [
        [
            [f32::NAN, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, f32::INFINITY, 0.0],
        ],
        [
            [f32::NEG_INFINITY, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [f32::NAN; 3],
        ],
    ] {
        bin_stl.extend_from_slice(&[0u8; 12]);
        for v in tri {
            for c in v {
                bin_stl.extend_from_slice(&c.to_le_bytes());
            }
        }
        bin_stl.extend_from_slice(&[0, 0]);
    }
    let obj =
        b"v nan 0 0\nv 1 0 0\nv 0 inf 0\nv -inf 0 0\nv 0 1 0\nv NaN NaN NaN\nf 1 2 3\nf 4 5 6\n"
            .to_vec();
    let ply_ascii = b"ply\nformat ascii 1.0\nelement vertex 6\nproperty float x\nproperty float y\nproperty float z\nelement face 2\nproperty list uchar int vertex_indices\nend_header\nnan 0 0\n1 0 0\n0 inf 0\n-inf 0 0\n0 1 0\nnan nan nan\n3 0 1 2\n3 3 4 5\n".to_vec();
    let mut ply_bin = b"ply\nformat binary_little_endian 1.0\nelement vertex 6\nproperty float x\nproperty float y\nproperty float z\nelement face 2\nproperty list uchar int vertex_indices\nend_header\n".to_vec();
    for v in [
        [f32::NAN, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, f32::INFINITY, 0.0],
        [f32::NEG_INFINITY, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [f32::NAN; 3],
    ] {
        for c in v {
            ply_bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    for f in [[0i32, 1, 2], [3, 4, 5]] {
        ply_bin.push(3);
        for i in f {
            ply_bin.extend_from_slice(&i.to_le_bytes());
        }
    }
    let dxf_lines = dxf(
        "",
        "0\nLINE\n8\n0\n10\nnan\n20\n0\n30\n0\n11\n1\n21\n0\n31\n0\n\
         0\nLINE\n8\n0\n10\n0\n20\ninf\n30\n0\n11\n0\n21\n1\n31\n0\n",
    );
    let cases: [(&str, Format, &[u8]); 5] = [
        ("ascii stl", Format::Stl, &ascii_stl),
        ("binary stl", Format::Stl, &bin_stl),
        ("obj", Format::Obj, &obj),
        ("ascii ply", Format::Ply, &ply_ascii),
        ("binary ply", Format::Ply, &ply_bin),
    ];
    for (what, format, bytes) in cases {
        let (r, cost) = measure(|| readers::read(bytes, format, &Limits::default()));
        assert_bounded(what, cost, MIB);
        let doc = r.unwrap_or_else(|e| panic!("{what}: {e}"));
        // The finite points are (1,0,0) and (0,1,0).
        assert_eq!(doc.bbox.min(), Some([0.0, 0.0, 0.0]), "{what}");
        assert_eq!(doc.bbox.max(), Some([1.0, 1.0, 0.0]), "{what}");
        assert_finite_vector(what, &doc);
    }
    // DXF: a line with one non-finite end contributes neither end (the reader drops the
    // primitive), so the box stays empty; a typed error would also be acceptable.
    let (r, cost) = measure(|| readers::read(&dxf_lines, Format::Dxf, &Limits::default()));
    assert_bounded("dxf nan", cost, MIB);
    match r {
        Ok(doc) => assert_finite_vector("dxf nan", &doc),
        Err(e) => assert!(matches!(e, Error::Malformed { .. }), "{e:?}"),
    }
}

// ------------------------------------------------------------------ deep nesting

#[test]
fn json_nested_10000_deep() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let b = [open.repeat(10_000), "0".into(), close.repeat(10_000)].concat();
        let (r, cost) = measure(|| readers::read(b.as_bytes(), Format::Json, &Limits::default()));
        assert_limit("json 10000 deep", &r, LimitKind::Nesting);
        assert_bounded("json 10000 deep", cost, 4 * MIB);
        // Even with unlimited limits the nesting stays bounded (no stack overflow).
        let (r, cost) = measure(|| readers::read(b.as_bytes(), Format::Json, &Limits::unlimited()));
        assert_limit("json 10000 deep, unlimited", &r, LimitKind::Nesting);
        assert_bounded("json 10000 deep, unlimited", cost, 4 * MIB);
    }
}

// ------------------------------------------------------------------ truncated numbers

#[test]
fn files_ending_in_the_middle_of_a_number() {
    let iges = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/iges/catia_v5r14_cone.igs"),
    )
    .expect("committed IGES sample");
    // Cut the IGES file inside a number of the Parameter section.
    let p_start = iges
        .windows(2)
        .position(|w| w == b"P ")
        .map(|i| i - 72)
        .unwrap_or(iges.len() / 2);
    let cut = (p_start..iges.len())
        .find(|&i| iges[i].is_ascii_digit() && iges.get(i + 1).is_some_and(u8::is_ascii_digit))
        .map_or(iges.len() / 2, |i| i + 1);
    let cases: Vec<(&str, Format, Vec<u8>)> = vec![
        (
            "ascii stl",
            Format::Stl,
            b"solid a\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1.2".to_vec(),
        ),
        ("obj", Format::Obj, b"v 1 2 3\nv 4 5 6\nv 7 8 9.5e".to_vec()),
        (
            "ascii ply",
            Format::Ply,
            b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n1 0 0\n0 1.".to_vec(),
        ),
        (
            "dxf (inside the group code 11)",
            Format::Dxf,
            b"0\nSECTION\n2\nENTITIES\n0\nLINE\n8\n0\n10\n1.5\n20\n0\n30\n0\n1".to_vec(),
        ),
        (
            "json",
            Format::Json,
            b"{\"entities\":[{\"type\":\"LINE\",\"start\":[0,0],\"end\":[1.".to_vec(),
        ),
        ("iges", Format::Iges, iges[..cut].to_vec()),
    ];
    for (what, format, bytes) in &cases {
        let (r, cost) = measure(|| readers::read(bytes, *format, &Limits::default()));
        assert_malformed(what, &r);
        assert_bounded(what, cost, 4 * MIB);
    }
}

// ------------------------------------------------------------------ size limit

#[test]
fn inputs_over_the_size_limit() {
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let big = {
        let mut s = b"solid x\n".to_vec();
        while s.len() <= 100 {
            s.extend_from_slice(b"facet normal 0 0 1\n");
        }
        s
    };
    for format in Format::ALL {
        let (r, cost) = measure(|| readers::read(&big, format, &limits));
        assert_limit(format.as_str(), &r, LimitKind::Bytes);
        assert_bounded(format.as_str(), cost, 64 * 1024);
    }
    let (r, _) = measure(|| cadfeat::read_bytes(&big, Some("stl"), &limits));
    assert_limit("read_bytes", &r, LimitKind::Bytes);
    // At exactly the limit the size check passes.
    let exact = &big[..100];
    let r = readers::read(exact, Format::Stl, &limits);
    assert!(
        !matches!(
            r,
            Err(Error::LimitExceeded {
                limit: LimitKind::Bytes,
                ..
            })
        ),
        "{r:?}"
    );

    // read_file refuses a 4 MiB file before reading it: the peak stays far below its size.
    let dir = std::env::temp_dir().join(format!("cadfeat-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.stl");
    std::fs::write(&path, vec![b' '; 4 * MIB]).expect("write temp file");
    let limits = Limits {
        max_bytes: MIB as u64,
        ..Limits::default()
    };
    let (r, cost) = measure(|| cadfeat::read_file(&path, &limits));
    assert_limit("read_file", &r, LimitKind::Bytes);
    assert_bounded("read_file over the limit", cost, 64 * 1024);
    let _ = std::fs::remove_dir_all(&dir);
}
