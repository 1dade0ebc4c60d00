//! Migration of stored vectors to another feature version (spec `original-service.md` §7.2).
//!
//! For each id, [`migrate`]:
//!
//! 1. loads the vector and metadata; missing → [`MigrationStatus::NotFound`];
//! 2. reads `from = feature_version` (default `v1`); equal to the target →
//!    [`MigrationStatus::Skipped`];
//! 3. splits off a 3D-embedding tail for the `base_sem_ext_v1+l3` layout (`l3_3d_dim`, or the
//!    excess over the version's dimension when absent; the length must be at least
//!    `dim(from) + l3`, else "L3 layout length mismatch"), and reorders the legacy
//!    `geom_all_sem_v1` layout into the canonical one;
//! 4. builds the new base vector. The original zero-padded upgrades; here, when the metadata
//!    holds `source_path` and the file is still readable, the vector is **recomputed** from the
//!    file at the target version ([`MigrationMethod::Recomputed`]), otherwise zero-padded
//!    ([`MigrationMethod::Padded`], with the reason in `recompute_error` when a recompute was
//!    tried). Downgrades truncate ([`MigrationMethod::Truncated`]), which is exact: every
//!    version is a prefix of the next;
//! 5. dry run → [`MigrationStatus::DryRun`] with the dimensions before and after, nothing
//!    written;
//! 6. otherwise writes back the vector (tail re-appended) with `feature_version`,
//!    `geometric_dim = dim - 2`, `semantic_dim = 2`, `total_dim`, `vector_layout` (`…+l3` with a
//!    tail, else the canonical layout; a legacy layout becomes canonical) and `l3_3d_dim` (set or
//!    removed);
//! 7. a move to an older version is [`MigrationStatus::Downgraded`] (not counted as migrated
//!    or skipped), anything else [`MigrationStatus::Migrated`];
//! 8. any failure is [`MigrationStatus::Error`] with the message (counted as skipped).
//!
//! The report carries the original's totals (`migrated`, `skipped` including not-found and
//! error items, `dry_run_total` only for dry runs) and per-status `counts`;
//! [`MigrationHistory`] keeps the last 10 runs.
//!
//! Golden values (§7.2): a 27-float v4 vector with layout `base_sem_ext_v1+l3` and
//! `l3_3d_dim = "3"` migrated to v3 becomes 25 floats (22 + 3) with `feature_version = "v3"`,
//! `l3_3d_dim = "3"`, `total_dim = "25"`, `semantic_dim = "2"`, `geometric_dim = "20"`.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{
    LAYOUT_BASE, LAYOUT_BASE_L3, LAYOUT_LEGACY, META_FEATURE_VERSION, META_GEOMETRIC_DIM,
    META_L3_DIM, META_SEMANTIC_DIM, META_SOURCE_PATH, META_TOTAL_DIM, META_VECTOR_LAYOUT,
    VectorIndex,
};
use crate::features::{FeatureExtractor, FeatureVersion, reorder_legacy_vector, upgrade_vector};
use crate::limits::Limits;

/// How many runs [`MigrationHistory`] keeps.
pub const HISTORY_LEN: usize = 10;

/// Options of a migration run.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// The target version.
    pub to: FeatureVersion,
    /// Compute and report, but write nothing.
    pub dry_run: bool,
    /// Recompute upgraded vectors from `source_path` when the file is readable (default true).
    pub recompute: bool,
    /// Limits for reading source files when recomputing.
    pub limits: Limits,
}

impl MigrateOptions {
    /// Migration to `to`, writing, recomputing from source files when possible.
    pub fn new(to: FeatureVersion) -> Self {
        MigrateOptions {
            to,
            dry_run: false,
            recompute: true,
            limits: Limits::default(),
        }
    }

    /// Sets the dry-run flag.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Sets whether to recompute from source files.
    pub fn recompute(mut self, recompute: bool) -> Self {
        self.recompute = recompute;
        self
    }
}

/// The outcome of one id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrationStatus {
    /// Moved to a newer version (or rewritten from the legacy layout).
    Migrated,
    /// Moved to an older version.
    Downgraded,
    /// Already at the target version.
    Skipped,
    /// No vector with this id.
    NotFound,
    /// The vector could not be migrated (see `error`).
    Error,
    /// Dry run: what would have happened, nothing written.
    DryRun,
}

impl MigrationStatus {
    /// `"migrated"`, `"downgraded"`, `"skipped"`, `"not_found"`, `"error"`, `"dry_run"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationStatus::Migrated => "migrated",
            MigrationStatus::Downgraded => "downgraded",
            MigrationStatus::Skipped => "skipped",
            MigrationStatus::NotFound => "not_found",
            MigrationStatus::Error => "error",
            MigrationStatus::DryRun => "dry_run",
        }
    }
}

/// How the new base vector was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrationMethod {
    /// Re-extracted from the source file at the target version.
    Recomputed,
    /// Zero-padded (new slots are 0.0, not the real features).
    Padded,
    /// Truncated to the older version (exact).
    Truncated,
}

impl MigrationMethod {
    /// `"recomputed"`, `"padded"`, `"truncated"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationMethod::Recomputed => "recomputed",
            MigrationMethod::Padded => "padded",
            MigrationMethod::Truncated => "truncated",
        }
    }
}

/// One id's result.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationItem {
    /// The id.
    pub id: String,
    /// What happened.
    pub status: MigrationStatus,
    /// The stored version (when the vector was found and its metadata readable).
    pub from_version: Option<FeatureVersion>,
    /// Length before (when found).
    pub dimension_before: Option<usize>,
    /// Length after (migrated, downgraded, dry run).
    pub dimension_after: Option<usize>,
    /// How the values were produced (migrated, downgraded, dry run).
    pub method: Option<MigrationMethod>,
    /// The error (status `error`, or `"not_found"`).
    pub error: Option<String>,
    /// Why a recompute from `source_path` was tried and failed (the vector was padded).
    pub recompute_error: Option<String>,
}

impl MigrationItem {
    /// `dimension_after - dimension_before`, when both are known.
    pub fn dimension_delta(&self) -> Option<i64> {
        let a = i64::try_from(self.dimension_after?).ok()?;
        let b = i64::try_from(self.dimension_before?).ok()?;
        Some(a - b)
    }
}

/// Per-status counts. `skipped` includes the not-found and error items (as the original).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrationCounts {
    /// Items migrated.
    pub migrated: usize,
    /// Items skipped, not found or in error.
    pub skipped: usize,
    /// Dry-run items.
    pub dry_run: usize,
    /// Items downgraded.
    pub downgraded: usize,
    /// Items in error.
    pub error: usize,
    /// Items not found.
    pub not_found: usize,
}

/// The result of [`migrate`].
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationReport {
    /// A unique id of this run.
    pub migration_id: String,
    /// Start, naive UTC ISO-8601 (`2026-11-24T16:40:00.123456`).
    pub started_at: String,
    /// End, same format.
    pub finished_at: String,
    /// The target version.
    pub to_version: FeatureVersion,
    /// Number of ids asked for.
    pub total: usize,
    /// Items migrated (not downgraded, not dry run).
    pub migrated: usize,
    /// Items skipped, not found or in error.
    pub skipped: usize,
    /// Dry-run items, `Some` only for a dry run.
    pub dry_run_total: Option<usize>,
    /// Per-status counts.
    pub counts: MigrationCounts,
    /// One item per id, in the order asked.
    pub items: Vec<MigrationItem>,
}

/// One history entry: a report without its items.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The run's id.
    pub migration_id: String,
    /// Start.
    pub started_at: String,
    /// End.
    pub finished_at: String,
    /// Ids asked for.
    pub total: usize,
    /// Items migrated.
    pub migrated: usize,
    /// Items skipped (incl. not found and error).
    pub skipped: usize,
    /// Dry-run items, for dry runs.
    pub dry_run_total: Option<usize>,
    /// Per-status counts.
    pub counts: MigrationCounts,
}

/// The last [`HISTORY_LEN`] migration runs, oldest first. Thread-safe.
#[derive(Debug, Default)]
pub struct MigrationHistory {
    runs: Mutex<VecDeque<HistoryEntry>>,
}

impl MigrationHistory {
    /// An empty history.
    pub fn new() -> Self {
        MigrationHistory::default()
    }

    /// Records a run, dropping the oldest beyond [`HISTORY_LEN`].
    pub fn record(&self, r: &MigrationReport) {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.push_back(HistoryEntry {
            migration_id: r.migration_id.clone(),
            started_at: r.started_at.clone(),
            finished_at: r.finished_at.clone(),
            total: r.total,
            migrated: r.migrated,
            skipped: r.skipped,
            dry_run_total: r.dry_run_total,
            counts: r.counts,
        });
        while runs.len() > HISTORY_LEN {
            runs.pop_front();
        }
    }

    /// The recorded runs, oldest first.
    pub fn entries(&self) -> Vec<HistoryEntry> {
        self.runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// Migrates `ids` in `index` to `opts.to` (see the module docs), recording the run in
/// `history` when given.
pub fn migrate(
    index: &dyn VectorIndex,
    ids: &[String],
    opts: &MigrateOptions,
    history: Option<&MigrationHistory>,
) -> MigrationReport {
    let started_at = iso_utc(SystemTime::now());
    let mut counts = MigrationCounts::default();
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let item = migrate_one(index, id, opts);
        match item.status {
            MigrationStatus::Migrated => counts.migrated += 1,
            MigrationStatus::Downgraded => counts.downgraded += 1,
            MigrationStatus::Skipped => counts.skipped += 1,
            MigrationStatus::NotFound => {
                counts.not_found += 1;
                counts.skipped += 1;
            }
            MigrationStatus::Error => {
                counts.error += 1;
                counts.skipped += 1;
            }
            MigrationStatus::DryRun => counts.dry_run += 1,
        }
        items.push(item);
    }
    let report = MigrationReport {
        migration_id: new_id(),
        started_at,
        finished_at: iso_utc(SystemTime::now()),
        to_version: opts.to,
        total: ids.len(),
        migrated: counts.migrated,
        skipped: counts.skipped,
        dry_run_total: opts.dry_run.then_some(counts.dry_run),
        counts,
        items,
    };
    if let Some(h) = history {
        h.record(&report);
    }
    report
}

fn item(id: &str, status: MigrationStatus) -> MigrationItem {
    MigrationItem {
        id: id.to_string(),
        status,
        from_version: None,
        dimension_before: None,
        dimension_after: None,
        method: None,
        error: None,
        recompute_error: None,
    }
}

fn migrate_one(index: &dyn VectorIndex, id: &str, opts: &MigrateOptions) -> MigrationItem {
    let entry = match index.get(id) {
        Ok(Some(e)) => e,
        Ok(None) => {
            let mut it = item(id, MigrationStatus::NotFound);
            it.error = Some("not_found".into());
            return it;
        }
        Err(e) => {
            let mut it = item(id, MigrationStatus::Error);
            it.error = Some(e.to_string());
            return it;
        }
    };
    let mut it = item(id, MigrationStatus::Error);
    it.dimension_before = Some(entry.values.len());
    let fail = |mut it: MigrationItem, msg: String| {
        it.status = MigrationStatus::Error;
        it.error = Some(msg);
        it
    };
    let from: FeatureVersion = match entry.metadata.get(META_FEATURE_VERSION) {
        None => FeatureVersion::V1,
        Some(s) => match s.parse() {
            Ok(v) => v,
            Err(e) => return fail(it, format!("{e}")),
        },
    };
    it.from_version = Some(from);
    if from == opts.to {
        it.status = MigrationStatus::Skipped;
        it.dimension_before = None;
        return it;
    }
    let layout = entry
        .metadata
        .get(META_VECTOR_LAYOUT)
        .map(String::as_str)
        .unwrap_or(LAYOUT_BASE);
    let len = entry.values.len();
    let (base, tail): (Vec<f64>, Vec<f64>) = if layout.ends_with("+l3") {
        let l3 = match entry.metadata.get(META_L3_DIM) {
            Some(s) => s.trim().parse::<usize>().unwrap_or(0),
            None => len.saturating_sub(from.dim()),
        };
        if l3 == 0 || len < from.dim().saturating_add(l3) {
            return fail(it, "L3 layout length mismatch".into());
        }
        let (b, t) = entry.values.split_at(len - l3);
        (b.to_vec(), t.to_vec())
    } else if layout == LAYOUT_LEGACY {
        match reorder_legacy_vector(&entry.values, from) {
            Ok(b) => (b, Vec::new()),
            Err(e) => return fail(it, e.to_string()),
        }
    } else {
        (entry.values.clone(), Vec::new())
    };
    // The stored base must be exactly `from`'s length (as the original's upgrade_vector).
    let padded = match upgrade_vector(&base, Some(from), opts.to) {
        Ok(v) => v,
        Err(e) => return fail(it, e.to_string()),
    };
    let downgrade = opts.to < from;
    let mut new_base = padded;
    it.method = Some(if downgrade {
        MigrationMethod::Truncated
    } else {
        MigrationMethod::Padded
    });
    if !downgrade
        && opts.recompute
        && let Some(path) = entry.metadata.get(META_SOURCE_PATH)
    {
        match recompute(Path::new(path), opts) {
            Ok(v) => {
                new_base = v;
                it.method = Some(MigrationMethod::Recomputed);
            }
            Err(e) => it.recompute_error = Some(e),
        }
    }
    let mut new = new_base;
    new.extend_from_slice(&tail);
    it.dimension_after = Some(new.len());
    if opts.dry_run {
        it.status = MigrationStatus::DryRun;
        return it;
    }
    let mut meta = entry.metadata.clone();
    meta.insert(META_FEATURE_VERSION.into(), opts.to.as_str().into());
    meta.insert(META_GEOMETRIC_DIM.into(), (opts.to.dim() - 2).to_string());
    meta.insert(META_SEMANTIC_DIM.into(), "2".into());
    meta.insert(META_TOTAL_DIM.into(), new.len().to_string());
    if tail.is_empty() {
        meta.insert(META_VECTOR_LAYOUT.into(), LAYOUT_BASE.into());
        meta.remove(META_L3_DIM);
    } else {
        meta.insert(META_VECTOR_LAYOUT.into(), LAYOUT_BASE_L3.into());
        meta.insert(META_L3_DIM.into(), tail.len().to_string());
    }
    if let Err(e) = index.insert(id, new, meta) {
        return fail(it, e.to_string());
    }
    it.status = if downgrade {
        MigrationStatus::Downgraded
    } else {
        MigrationStatus::Migrated
    };
    it
}

/// Re-extracts the file at `path` at the target version.
fn recompute(path: &Path, opts: &MigrateOptions) -> Result<Vec<f64>, String> {
    let doc = crate::read_file(path, &opts.limits).map_err(|e| e.to_string())?;
    Ok(FeatureExtractor::new(opts.to).extract(&doc).values)
}

static RUN_SEQ: AtomicU64 = AtomicU64::new(0);

/// A unique run id, formatted like a UUID (version 4 bits set), from the clock, the process id
/// and a counter hashed with SHA-256.
fn new_id() -> String {
    use sha2::{Digest, Sha256};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(RUN_SEQ.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Naive UTC ISO-8601 with microseconds.
fn iso_utc(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn iso_utc_known_instants() {
        assert_eq!(iso_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000000");
        // 2000-03-01T00:00:00Z = 951868800 (leap-year February handled).
        assert_eq!(
            iso_utc(UNIX_EPOCH + Duration::from_secs(951_868_800)),
            "2000-03-01T00:00:00.000000"
        );
    }

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}
