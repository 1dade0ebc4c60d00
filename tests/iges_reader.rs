//! IGES reader: every corpus file against OpenCascade's REFERENCE.tsv, units, and hostile
//! inputs built here.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use cadfeat::Limits;
use cadfeat::readers::iges;

fn census(s: &str) -> BTreeMap<String, u64> {
    s.split(';')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once(':')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn corpus_table() {
    let dir = common::corpus_dir();
    let refs = common::reference_rows("iges");
    for file in common::corpus_files("iges") {
        let bytes = std::fs::read(dir.join(&file)).unwrap();
        let t = Instant::now();
        let res = iges::read(&bytes, &Limits::default());
        let dt = t.elapsed().as_secs_f64();
        let r = refs.iter().find(|r| r["file"] == file);
        match res {
            Err(e) => println!("{file}: ERROR {e} ({dt:.3}s)"),
            Ok(doc) => {
                let b = doc.brep.clone().unwrap_or_default();
                let ours: BTreeMap<String, u64> = b
                    .surface_types
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), *v))
                    .collect();
                println!(
                    "{file}: ok {dt:.3}s unit={:?} solids={} faces={} census={:?} box={:?}..{:?} cons={}",
                    doc.metadata.unit,
                    b.solids,
                    b.faces,
                    ours,
                    doc.bbox.min(),
                    doc.bbox.max(),
                    iges::box_is_conservative(&doc)
                );
                if let Some(r) = r {
                    println!(
                        "    occ: units={:?} solids={} faces={} census={:?} box=[{}, {}, {}]..[{}, {}, {}]",
                        r["units_file"],
                        r["solids"],
                        r["faces"],
                        census(&r["surface_types"]),
                        r["bbox_xmin"],
                        r["bbox_ymin"],
                        r["bbox_zmin"],
                        r["bbox_xmax"],
                        r["bbox_ymax"],
                        r["bbox_zmax"]
                    );
                }
                for w in doc.metadata.warnings.iter().take(6) {
                    println!("    warn: {w}");
                }
            }
        }
    }
}
