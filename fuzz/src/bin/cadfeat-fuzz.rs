//! Stable-Rust fuzz runner for the cadfeat targets (no nightly, no libFuzzer needed).
//!
//! ```text
//! cadfeat-fuzz [--seconds N] [--target NAME]... [--corpus DIR] [--artifacts DIR] [--seed S]
//! cadfeat-fuzz --replay --target NAME FILE_OR_DIR...
//! ```
//!
//! For each target the parent process starts a worker (this binary with `--worker`) that loads
//! the seeds (corpus files of the target's formats, large ones cut to their first 64 KiB, plus
//! hand-written seeds), then mutates inputs from a pool for the time given. An input whose
//! outcome (`ok` or error class) was never seen joins the pool: coverage-less, but cheap feedback.
//!
//! * A panic is caught in the worker, minimized (greedy chunk removal keeping the same panic
//!   location) and written to `<artifacts>/<target>/crash-<hash>`.
//! * An abort, a stack overflow or an allocation over the cap (`--mem-cap-mib`, default 1024)
//!   kills the worker; the parent saves the input being run (`.current`) as `abort-<hash>` and
//!   restarts the worker for the remaining time.
//! * An input running longer than `--timeout` seconds (default 10) is saved as `timeout-<hash>`.
//!
//! At the end the parent prints, per target: executions, seconds, executions per second, pool
//! size, distinct outcomes, peak bytes allocated by one execution, slowest execution, findings.
//! Exit status is 1 when anything was found.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use cadfeat_fuzz::mutate::{self, Rng};
use cadfeat_fuzz::{Target, targets};

// ---------------------------------------------------------------- counting allocator

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !reserve(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !reserve(new_size - old) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > old {
                CURRENT.fetch_sub(new_size - old, Ordering::Relaxed);
            }
        } else if new_size < old {
            CURRENT.fetch_sub(old - new_size, Ordering::Relaxed);
        }
        p
    }
}

fn reserve(n: usize) -> bool {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    if now > CAP.load(Ordering::Relaxed) {
        CURRENT.fetch_sub(n, Ordering::Relaxed);
        return false;
    }
    PEAK.fetch_max(now, Ordering::Relaxed);
    true
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------- options

struct Opts {
    seconds: f64,
    targets: Vec<String>,
    corpus: PathBuf,
    artifacts: PathBuf,
    seed: u64,
    timeout: f64,
    mem_cap_mib: usize,
    max_seed_bytes: usize,
    worker: bool,
    replay: bool,
    paths: Vec<PathBuf>,
}

fn default_corpus() -> PathBuf {
    if let Some(d) = std::env::var_os("CADFEAT_CORPUS") {
        return PathBuf::from(d);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for cand in [
        here.join("../../shared/corpus"),
        here.join("../shared/corpus"),
        PathBuf::from("/work/shared/corpus"),
    ] {
        if cand.is_dir() {
            return cand;
        }
    }
    here.join("corpus")
}

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        seconds: 20.0,
        targets: Vec::new(),
        corpus: default_corpus(),
        artifacts: Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts"),
        seed: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        timeout: 10.0,
        mem_cap_mib: 1024,
        max_seed_bytes: 64 * 1024,
        worker: false,
        replay: false,
        paths: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--seconds" => o.seconds = val()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--target" => o.targets.push(val()?),
            "--corpus" => o.corpus = PathBuf::from(val()?),
            "--artifacts" => o.artifacts = PathBuf::from(val()?),
            "--seed" => o.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--timeout" => o.timeout = val()?.parse().map_err(|e| format!("--timeout: {e}"))?,
            "--mem-cap-mib" => {
                o.mem_cap_mib = val()?.parse().map_err(|e| format!("--mem-cap-mib: {e}"))?
            }
            "--max-seed-bytes" => {
                o.max_seed_bytes = val()?
                    .parse()
                    .map_err(|e| format!("--max-seed-bytes: {e}"))?
            }
            "--worker" => o.worker = true,
            "--replay" => o.replay = true,
            "--list" => {
                for t in targets() {
                    println!("{}", t.name);
                }
                std::process::exit(0);
            }
            "-h" | "--help" => {
                println!(
                    "usage: cadfeat-fuzz [--seconds N] [--target NAME]... [--corpus DIR] [--artifacts DIR] [--seed S] [--timeout S] [--mem-cap-mib M] | --replay --target NAME PATH... | --list"
                );
                std::process::exit(0);
            }
            p if !p.starts_with("--") => o.paths.push(PathBuf::from(p)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.targets.is_empty() {
        o.targets = targets().iter().map(|t| t.name.to_string()).collect();
    }
    Ok(o)
}

fn main() -> ExitCode {
    let o = match parse_opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cadfeat-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let mut all = targets();
    all.push(cadfeat_fuzz::selftest_target());
    for name in &o.targets {
        if !all.iter().any(|t| t.name == name) {
            eprintln!("cadfeat-fuzz: unknown target {name}");
            return ExitCode::from(2);
        }
    }
    if o.replay {
        return replay(&o, &all);
    }
    if o.worker {
        let t = all
            .iter()
            .find(|t| t.name == o.targets[0])
            .expect("checked above");
        return worker(&o, t);
    }
    parent(&o)
}

// ---------------------------------------------------------------- helpers

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn save(dir: &Path, kind: &str, data: &[u8]) -> PathBuf {
    let _ = fs::create_dir_all(dir);
    let p = dir.join(format!("{kind}-{:016x}", fnv(data)));
    let _ = fs::write(&p, data);
    p
}

static PANIC_AT: Mutex<Option<String>> = Mutex::new(None);

fn install_quiet_hook() {
    panic::set_hook(Box::new(|info| {
        let loc = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if let Ok(mut g) = PANIC_AT.lock() {
            *g = Some(format!("{loc}: {msg}"));
        }
    }));
}

/// Runs `t` on `data`: Ok(outcome) or Err(panic location and message).
fn exec(t: &Target, data: &[u8]) -> Result<String, String> {
    match panic::catch_unwind(AssertUnwindSafe(|| (t.run)(data))) {
        Ok(s) => Ok(s),
        Err(_) => Err(PANIC_AT
            .lock()
            .ok()
            .and_then(|mut g| g.take())
            .unwrap_or_else(|| "panic".into())),
    }
}

fn panic_site(p: &str) -> &str {
    p.split(": ").next().unwrap_or(p)
}

/// Greedy chunk removal keeping the same panic site, at most `budget` executions.
fn minimize(t: &Target, input: &[u8], site: &str, budget: usize) -> Vec<u8> {
    let mut best = input.to_vec();
    let mut runs = 0;
    let mut chunk = (best.len() / 2).max(1);
    while chunk >= 1 && runs < budget {
        let mut i = 0;
        let mut shrank = false;
        while i < best.len() && runs < budget {
            let end = (i + chunk).min(best.len());
            let mut cand = best.clone();
            cand.drain(i..end);
            runs += 1;
            match exec(t, &cand) {
                Err(p) if panic_site(&p) == site => {
                    best = cand;
                    shrank = true;
                }
                _ => i += chunk,
            }
        }
        if !shrank {
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
    }
    best
}

fn load_seeds(o: &Opts, t: &Target) -> Vec<Vec<u8>> {
    let mut seeds = (t.seeds)();
    for sub in t.corpus {
        let Ok(rd) = fs::read_dir(o.corpus.join(sub)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if let Ok(mut b) = fs::read(&p) {
                if b.len() > o.max_seed_bytes {
                    // Keep the head (headers, first entities) and, for binary STL/PLY, a
                    // consistent-looking prefix; the cut itself is a useful "truncated" seed.
                    b.truncate(o.max_seed_bytes);
                }
                seeds.push(b);
            }
        }
    }
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    seeds
}

// ---------------------------------------------------------------- worker

fn worker(o: &Opts, t: &Target) -> ExitCode {
    install_quiet_hook();
    let dir = o.artifacts.join(t.name);
    let _ = fs::create_dir_all(&dir);
    let cur = match File::create(dir.join(".current")) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot create {}: {e}", dir.join(".current").display());
            return ExitCode::from(2);
        }
    };
    let write_cur = |d: &[u8]| {
        let _ = cur.set_len(0);
        let _ = cur.write_all_at(d, 0);
    };
    let deadline = Instant::now() + Duration::from_secs_f64(o.seconds.max(0.0));
    let mut rng = Rng::new(o.seed);
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let mut outcomes: HashSet<String> = HashSet::new();
    let mut crash_sites: HashMap<String, PathBuf> = HashMap::new();
    let mut execs: u64 = 0;
    let mut max_peak: usize = 0;
    let mut slowest = Duration::ZERO;
    let mut slow_input: Vec<u8> = Vec::new();
    let started = Instant::now();
    let stats_path = dir.join(".stats");
    let mut last_stats = Instant::now();
    // Statistics survive a worker that dies: they are rewritten twice a second.
    let write_stats =
        |execs: u64, pool: usize, outcomes: usize, peak: usize, slow: Duration, crashes: usize| {
            let _ = fs::write(
                &stats_path,
                format!(
                    "{} {} {:.1} {} {} {} {:.1} {}\n",
                    t.name,
                    execs,
                    started.elapsed().as_secs_f64(),
                    pool,
                    outcomes,
                    peak,
                    slow.as_secs_f64() * 1e3,
                    crashes
                ),
            );
        };
    CAP.store(o.mem_cap_mib.saturating_mul(1 << 20), Ordering::Relaxed);

    let mut run_one = |data: &[u8], pool: &mut Vec<Vec<u8>>, outcomes: &mut HashSet<String>| {
        write_cur(data);
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t0 = Instant::now();
        let r = exec(t, data);
        let dt = t0.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        max_peak = max_peak.max(peak);
        if dt > slowest {
            slowest = dt;
            slow_input = data.to_vec();
        }
        execs += 1;
        if last_stats.elapsed() > Duration::from_millis(500) {
            last_stats = Instant::now();
            write_stats(
                execs,
                pool.len(),
                outcomes.len(),
                max_peak,
                slowest,
                crash_sites.len(),
            );
        }
        match r {
            Ok(class) => {
                if class.starts_with(cadfeat_fuzz::NONFINITE) && !outcomes.contains(&class) {
                    let path = save(&dir, "nonfinite", data);
                    eprintln!("[{}] {class}: input saved to {}", t.name, path.display());
                }
                if outcomes.insert(class) && pool.len() < 4096 {
                    pool.push(data.to_vec());
                }
            }
            Err(p) => {
                let site = panic_site(&p).to_string();
                if let std::collections::hash_map::Entry::Vacant(slot) = crash_sites.entry(site) {
                    let small = minimize(t, data, slot.key(), 3000);
                    let path = save(&dir, "crash", &small);
                    eprintln!(
                        "[{}] CRASH {p}\n    minimized {} -> {} bytes: {}",
                        t.name,
                        data.len(),
                        small.len(),
                        path.display()
                    );
                    slot.insert(path);
                }
            }
        }
    };

    for s in load_seeds(o, t) {
        run_one(&s, &mut pool, &mut outcomes);
        // Seeds always stay in the pool, whatever their outcome.
        if !pool.contains(&s) {
            pool.push(s);
        }
    }
    let mut input = Vec::new();
    while Instant::now() < deadline {
        let a = rng.below(pool.len());
        let b = rng.below(pool.len());
        input.clear();
        input.extend_from_slice(&pool[a]);
        mutate::mutate(&mut rng, &mut input, &pool[b], t.dict);
        let data = std::mem::take(&mut input);
        run_one(&data, &mut pool, &mut outcomes);
        input = data;
    }
    if slowest > Duration::from_millis(500) {
        let p = save(&dir, "slow", &slow_input);
        eprintln!(
            "[{}] slowest input {:.0} ms saved to {}",
            t.name,
            slowest.as_secs_f64() * 1e3,
            p.display()
        );
    }
    let _ = fs::remove_file(dir.join(".current"));
    write_stats(
        execs,
        pool.len(),
        outcomes.len(),
        max_peak,
        slowest,
        crash_sites.len(),
    );
    println!("DONE");
    let _ = std::io::stdout().flush();
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------- parent

#[derive(Default)]
struct Stats {
    execs: u64,
    secs: f64,
    pool: usize,
    outcomes: usize,
    peak: usize,
    slowest_ms: f64,
    crashes: usize,
    aborts: usize,
    timeouts: usize,
}

fn parent(o: &Opts) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cadfeat-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "corpus: {}  artifacts: {}  seed: {}  {} s per target",
        o.corpus.display(),
        o.artifacts.display(),
        o.seed,
        o.seconds
    );
    let mut table = Vec::new();
    let mut found = false;
    for (ti, name) in o.targets.iter().enumerate() {
        let dir = o.artifacts.join(name);
        let mut st = Stats::default();
        let crash_files = |d: &Path| -> HashSet<String> {
            fs::read_dir(d)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("crash-"))
                .collect()
        };
        let crashes_before = crash_files(&dir);
        let end = Instant::now() + Duration::from_secs_f64(o.seconds);
        let mut round = 0u64;
        loop {
            let left = end.saturating_duration_since(Instant::now()).as_secs_f64();
            if round > 0 && left < 0.5 {
                break;
            }
            round += 1;
            let child = Command::new(&exe)
                .args(["--worker", "--target", name])
                .arg("--seconds")
                .arg(format!("{left:.2}"))
                .arg("--corpus")
                .arg(&o.corpus)
                .arg("--artifacts")
                .arg(&o.artifacts)
                .arg("--seed")
                .arg(
                    (o.seed ^ ((ti as u64) << 32))
                        .wrapping_add(round)
                        .to_string(),
                )
                .arg("--mem-cap-mib")
                .arg(o.mem_cap_mib.to_string())
                .arg("--max-seed-bytes")
                .arg(o.max_seed_bytes.to_string())
                .stdout(Stdio::piped())
                .spawn();
            let mut child = match child {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cadfeat-fuzz: cannot start worker: {e}");
                    return ExitCode::from(2);
                }
            };
            let cur = dir.join(".current");
            let stats_file = dir.join(".stats");
            let mut timed_out = false;
            let status = loop {
                match child.try_wait() {
                    Ok(Some(s)) => break Some(s),
                    Ok(None) => {}
                    Err(_) => break None,
                }
                std::thread::sleep(Duration::from_millis(100));
                let stale = fs::metadata(&cur)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age.as_secs_f64() > o.timeout);
                if stale {
                    timed_out = true;
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            };
            let out = child.stdout.take().map(|mut s| {
                let mut v = String::new();
                let _ = std::io::Read::read_to_string(&mut s, &mut v);
                v
            });
            let finished = !timed_out
                && out
                    .as_deref()
                    .is_some_and(|s| s.lines().any(|l| l == "DONE"));
            let stats_line = fs::read_to_string(&stats_file).ok();
            let _ = fs::remove_file(&stats_file);
            if let Some(l) = stats_line {
                let f: Vec<&str> = l.split_whitespace().collect();
                let num = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
                st.execs += num(1) as u64;
                st.secs += num(2);
                st.pool = st.pool.max(num(3) as usize);
                st.outcomes = st.outcomes.max(num(4) as usize);
                st.peak = st.peak.max(num(5) as usize);
                st.slowest_ms = st.slowest_ms.max(num(6));
            }
            match finished {
                true => {}
                false => {
                    let data = fs::read(&cur).unwrap_or_default();
                    let kind = if timed_out { "timeout" } else { "abort" };
                    let p = save(&dir, kind, &data);
                    eprintln!(
                        "[{name}] worker died ({kind}, status {status:?}); input saved to {}",
                        p.display()
                    );
                    if timed_out {
                        st.timeouts += 1;
                    } else {
                        st.aborts += 1;
                    }
                    // Statistics up to the last half-second before the death were counted.
                }
            }
            if finished {
                break;
            }
        }
        // Crashes are counted from the files: a worker that found one may have died later.
        st.crashes = crash_files(&dir).difference(&crashes_before).count();
        found |= st.crashes + st.aborts + st.timeouts > 0;
        table.push((name.clone(), st));
    }
    println!();
    println!(
        "{:<8} {:>10} {:>7} {:>9} {:>6} {:>8} {:>10} {:>10} {:>8} {:>7} {:>8}",
        "target",
        "execs",
        "secs",
        "execs/s",
        "pool",
        "classes",
        "peak MiB",
        "slowest ms",
        "crashes",
        "aborts",
        "timeouts"
    );
    for (name, s) in &table {
        println!(
            "{:<8} {:>10} {:>7.1} {:>9.0} {:>6} {:>8} {:>10.1} {:>10.1} {:>8} {:>7} {:>8}",
            name,
            s.execs,
            s.secs,
            s.execs as f64 / s.secs.max(1e-9),
            s.pool,
            s.outcomes,
            s.peak as f64 / (1 << 20) as f64,
            s.slowest_ms,
            s.crashes,
            s.aborts,
            s.timeouts
        );
    }
    if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

// ---------------------------------------------------------------- replay

fn replay(o: &Opts, all: &[Target]) -> ExitCode {
    install_quiet_hook();
    let t = all
        .iter()
        .find(|t| t.name == o.targets[0])
        .expect("checked above");
    let mut files = Vec::new();
    for p in &o.paths {
        if p.is_dir() {
            if let Ok(rd) = fs::read_dir(p) {
                files.extend(
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_file()),
                );
            }
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    let mut bad = false;
    for f in files {
        let Ok(data) = fs::read(&f) else { continue };
        let t0 = Instant::now();
        let r = exec(t, &data);
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        match r {
            Ok(class) => println!("{}: {class} ({ms:.1} ms)", f.display()),
            Err(p) => {
                bad = true;
                println!("{}: PANIC {p}", f.display());
            }
        }
    }
    if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
