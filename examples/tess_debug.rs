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
    let opts = TessOptions::for_model(&b.model);
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
    println!("faces {} tol {}", b.model.faces.len(), opts.tolerance);
}
