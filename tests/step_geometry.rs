//! STEP geometry against OpenCascade (REFERENCE.tsv, tool `occ`): area and volume of the
//! tessellated B-Rep, and read + tessellation time against OCC's read + mass-properties time.
//!
//! Issue 9 asks for area and volume within 1% on ≥ 90% of the closed solids both read. The
//! reference area is `BRepGProp::SurfaceProperties` with SkipShared (each distinct face once),
//! the volume `BRepGProp::VolumeProperties`; ours are sums over the tessellation (every face
//! once per placement, volume only when every shell of every solid is closed in the mesh).

mod common;

use std::time::Instant;

use cadfeat::{Format, Limits};

/// Files whose OpenCascade volume is not the volume of their closed solids, with the reason.
const VOLUME_REFERENCE_UNUSABLE: &[(&str, &str)] = &[(
    "step/nist_ctc05_pmi_ap242.stp",
    "besides the solid (#90, one CLOSED_SHELL of 204 faces) the file has a surface body \
     (#22 SHELL_BASED_SURFACE_MODEL of OPEN_SHELL #21 'Fill.3', one face; REFERENCE counts 2 \
     shells, 205 faces); OCC's VolumeProperties on the compound adds that open face's \
     divergence integral (~1.4e5 mm3, 1.3%): the solid alone is 1.2661e7, solid + open face \
     1.2803e7 against OCC's 1.2830e7",
)];

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Files whose area / volume agree with OpenCascade within 1%, out of those compared.
struct Agreement {
    area_ok: usize,
    area_checked: usize,
    vol_ok: usize,
    vol_checked: usize,
}

/// Issue 9's acceptance bar: ≥ 90% of the files within 1% for area and for volume (area 32/33,
/// volume 27/29 when this was written; the misses are listed by the test's output and in the
/// closing notes: the inventor4 space ship, and onshape_abc_0000's volume at 1.07%).
#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn step_area_volume_within_1pct_on_90pct_of_files() {
    let a = step_area_volume_and_speed_against_occ();
    assert!(
        a.area_ok * 10 >= a.area_checked * 9,
        "area within 1% on {}/{}",
        a.area_ok,
        a.area_checked
    );
    assert!(
        a.vol_ok * 10 >= a.vol_checked * 9,
        "volume within 1% on {}/{}",
        a.vol_ok,
        a.vol_checked
    );
}

/// The agreement reached so far must not get worse.
#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn agreement_does_not_regress() {
    let a = step_area_volume_and_speed_against_occ();
    assert!(a.area_checked >= 33 && a.vol_checked >= 29);
    assert!(
        a.area_ok >= 32,
        "area within 1% on {}/{}",
        a.area_ok,
        a.area_checked
    );
    assert!(
        a.vol_ok >= 27,
        "volume within 1% on {}/{}",
        a.vol_ok,
        a.vol_checked
    );
}

fn step_area_volume_and_speed_against_occ() -> Agreement {
    let dir = common::corpus_dir();
    let mut area_checked = 0;
    let mut area_ok = 0;
    let mut vol_checked = 0;
    let mut vol_ok = 0;
    let mut ratios = Vec::new();
    let mut misses = Vec::new();
    for row in common::reference_rows("step") {
        if row.get("ok").map(String::as_str) != Some("1") {
            continue;
        }
        let file = &row["file"];
        let bytes = std::fs::read(dir.join(file)).expect("corpus file");
        let start = Instant::now();
        let doc = cadfeat::readers::read(&bytes, Format::Step, &Limits::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let ours_s = start.elapsed().as_secs_f64();
        if let (Some(r), Some(p)) = (
            common::num(&row, "seconds_read"),
            common::num(&row, "seconds_props"),
        ) {
            ratios.push(((r + p) / ours_s.max(1e-9), file.clone()));
        }
        let brep = doc.brep.as_ref().expect("STEP documents carry a B-Rep");
        let notes = row.get("notes").cloned().unwrap_or_default();
        println!(
            "{file:<55} {:>9.1} ms  area {:?} (occ {:?}) volume {:?} (occ {:?}) | {}",
            ours_s * 1e3,
            brep.area,
            common::num(&row, "area"),
            brep.volume,
            common::num(&row, "volume"),
            notes.chars().take(120).collect::<String>()
        );
        if let (Some(ref_area), Some(area)) = (common::num(&row, "area"), brep.area)
            && ref_area > 0.0
        {
            area_checked += 1;
            let e = rel(area, ref_area);
            if e <= 0.01 {
                area_ok += 1;
            } else {
                misses.push(format!(
                    "{file}: area {area:.6e} vs occ {ref_area:.6e} ({:.3}%)",
                    e * 100.0
                ));
            }
        }
        let closed_solid = common::num(&row, "solids").unwrap_or(0.0) > 0.0
            && !notes.contains("open shell")
            && !notes.contains("not closed")
            && !VOLUME_REFERENCE_UNUSABLE.iter().any(|(f, _)| f == file);
        if closed_solid && let Some(ref_vol) = common::num(&row, "volume").filter(|v| *v > 0.0) {
            vol_checked += 1;
            match brep.volume {
                Some(v) if rel(v, ref_vol) <= 0.01 => vol_ok += 1,
                Some(v) => misses.push(format!(
                    "{file}: volume {v:.6e} vs occ {ref_vol:.6e} ({:.3}%)",
                    rel(v, ref_vol) * 100.0
                )),
                None => misses.push(format!(
                    "{file}: volume not computed (mesh not closed) vs occ {ref_vol:.6e}"
                )),
            }
        }
    }
    for (f, why) in VOLUME_REFERENCE_UNUSABLE {
        println!("volume not compared: {f}: {why}");
    }
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = ratios.get(ratios.len() / 2).map(|r| r.0).unwrap_or(0.0);
    println!("area within 1%: {area_ok}/{area_checked}; volume within 1%: {vol_ok}/{vol_checked}");
    println!(
        "speed-up over OCC read+props, per file: median {median:.1}x, worst {:.2}x ({})",
        ratios.first().map(|r| r.0).unwrap_or(0.0),
        ratios.first().map(|r| r.1.as_str()).unwrap_or("")
    );
    for m in &misses {
        println!("miss: {m}");
    }
    Agreement {
        area_ok,
        area_checked,
        vol_ok,
        vol_checked,
    }
}
