//! Debug aid: reads a STEP file, tessellates its B-Rep and prints every face the tessellator
//! skipped with its surface kind and bound count. `cargo run --release --example tess_debug -- FILE`
use cadfeat::Limits;
use cadfeat::brep::tessellate::{TessOptions, tessellate};
use cadfeat::readers::step::{part21, read_brep};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tess_debug FILE.stp");
        return;
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return;
        }
    };
    let limits = Limits::default();
    let t = match part21::scan(&bytes, &limits) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let b = match read_brep(&t, &limits) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    for w in &b.warnings {
        println!("read: {w}");
    }
    let mut opts = TessOptions::for_model(&b.model);
    if let Some(k) = std::env::var("TESS_TOL_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        opts.tolerance *= k;
    }
    let tess = tessellate(&b.model, &opts, &limits);
    for w in &tess.warnings {
        let kind = w
            .strip_prefix("face ")
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|i| b.model.faces.get(i))
            .map(|f| {
                let s = format!("{:?}", f.surface);
                let name: String = s.chars().take_while(|c| c.is_alphanumeric()).collect();
                format!(
                    "{name}, {} bounds, same_sense {}",
                    f.bounds.len(),
                    f.same_sense
                )
            })
            .unwrap_or_default();
        println!("{w} [{kind}]");
    }
    let m = &tess.mesh;
    let mut vol = 0.0;
    for t in &m.triangles {
        let [a, b, c] = t.map(|i| m.positions.get(i as usize).copied().unwrap_or([0.0; 3]));
        vol += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
            + a[2] * (b[0] * c[1] - b[1] * c[0]))
            / 6.0;
    }
    let mut in_shell = vec![false; b.model.faces.len()];
    for s in &b.model.shells {
        for &f in &s.faces {
            if let Some(x) = in_shell.get_mut(f as usize) {
                *x = true;
            }
        }
    }
    for (i, ok) in in_shell.iter().enumerate() {
        if !ok {
            let n = tess.face_triangles.get(i).map(|r| r.len()).unwrap_or(0);
            println!("face {i} is in no shell ({n} triangles)");
        }
    }
    if std::env::var_os("TESS_FACES").is_some() {
        for (i, f) in b.model.faces.iter().enumerate() {
            let mut a = 0.0;
            if let Some(r) = tess.face_triangles.get(i) {
                for t in &m.triangles[r.clone()] {
                    let [p, q, s] =
                        t.map(|k| m.positions.get(k as usize).copied().unwrap_or([0.0; 3]));
                    let (u, v) = (
                        [q[0] - p[0], q[1] - p[1], q[2] - p[2]],
                        [s[0] - p[0], s[1] - p[1], s[2] - p[2]],
                    );
                    let c = [
                        u[1] * v[2] - u[2] * v[1],
                        u[2] * v[0] - u[0] * v[2],
                        u[0] * v[1] - u[1] * v[0],
                    ];
                    a += 0.5 * (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
                }
            }
            let s = format!("{:?}", f.surface);
            let name: String = s.chars().take_while(|c| c.is_alphanumeric()).collect();
            println!("face {i} {name} bounds {} area {a:.4}", f.bounds.len());
        }
    }
    // TESS_OBJ=path writes the mesh as Wavefront OBJ, one group per solid.
    let mut obj = std::env::var("TESS_OBJ").ok().map(|p| {
        let mut o = String::new();
        for p in &m.positions {
            o.push_str(&format!("v {} {} {}\n", p[0], p[1], p[2]));
        }
        (p, o)
    });
    for (si, s) in b.model.solids.iter().enumerate() {
        for &sh in &s.shells {
            let Some(shell) = b.model.shells.get(sh as usize) else {
                continue;
            };
            let mut tris = Vec::new();
            for &f in &shell.faces {
                if let Some(r) = tess.face_triangles.get(f as usize) {
                    tris.extend_from_slice(&m.triangles[r.clone()]);
                }
            }
            if let Some((_, o)) = obj.as_mut() {
                o.push_str(&format!("g solid{si}\n"));
                for t in &tris {
                    o.push_str(&format!("f {} {} {}\n", t[0] + 1, t[1] + 1, t[2] + 1));
                }
            }
            let v = cadfeat::brep::analysis::signed_volume(m, &tris);
            let mut count = std::collections::HashMap::new();
            for t in &tris {
                for k in 0..3 {
                    let (a, c) = (t[k], t[(k + 1) % 3]);
                    *count.entry((a.min(c), a.max(c))).or_insert(0u32) += 1;
                }
            }
            let bad: Vec<_> = count.iter().filter(|e| *e.1 != 2).take(6).collect();
            let nbad = count.values().filter(|&&c| c != 2).count();
            println!("  {nbad} edges not used twice, e.g. {bad:?}");
            let mut dir = std::collections::HashMap::new();
            for t in &tris {
                for k in 0..3 {
                    *dir.entry((t[k], t[(k + 1) % 3])).or_insert(0u32) += 1;
                }
            }
            let flipped = dir.iter().filter(|e| *e.1 > 1).count();
            println!("  {flipped} directed edges used twice the same way (flipped faces)");
            let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
            for t in &tris {
                for &k in t {
                    if let Some(p) = m.positions.get(k as usize) {
                        for d in 0..3 {
                            lo[d] = lo[d].min(p[d]);
                            hi[d] = hi[d].max(p[d]);
                        }
                    }
                }
            }
            println!(
                "solid {si} shell {sh}: {} faces, signed volume {v:.6e}, bbox {lo:.3?} {hi:.3?}",
                shell.faces.len()
            );
        }
    }
    if let Some((p, o)) = obj
        && let Err(e) = std::fs::write(&p, o)
    {
        eprintln!("{p}: {e}");
    }
    println!(
        "faces {} tol {} triangles {} signed volume {vol:.6e}",
        b.model.faces.len(),
        opts.tolerance,
        m.triangles.len()
    );
}
