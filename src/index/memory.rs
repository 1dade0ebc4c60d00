//! [`MemoryIndex`]: an exact in-memory vector index, with a local index file.
//!
//! Vectors are grouped by length. Each group keeps its vectors in one contiguous `Vec<f64>`
//! (row after row) with the norms precomputed, plus a copy of every row divided by its norm in
//! `f32` (50 % more memory). A query is one linear pass over the group of its own length: the
//! `f32` unit rows give an approximate cosine (half the memory traffic of `f64`; a top-10 over
//! 100,000 v5 vectors is bandwidth-bound), and only rows whose approximation comes within a
//! safe margin of the current k-th best are scored exactly in `f64`. Results are therefore
//! exact: the same ids and scores as brute-force `f64` cosine. Filters are checked before a
//! candidate enters the top-k heap, so k hits come back whenever k vectors match. Removal
//! swaps the last row into the hole (O(dim)).
//!
//! # Index file
//!
//! [`MemoryIndex::save`] writes JSON lines: a header `{"format":"cadfeat-index","version":1}`,
//! then one `{"id":…,"values":[…],"metadata":{…}}` per vector, sorted by id. Floats are written
//! in their shortest round-trip form and read back exactly. The file is written to a temporary
//! name next to the target and renamed, so a crash never leaves half an index.
//! [`MemoryIndex::load`] checks the header and every vector (as [`VectorIndex::insert`] does)
//! and names the line of the first problem.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};

use super::{
    Filter, IndexEntry, IndexError, IndexResult, Metadata, SearchHit, VectorIndex, validate,
};

/// The `format` field of an index file header.
pub const FILE_FORMAT: &str = "cadfeat-index";
/// The `version` of the index file format this build writes and reads.
pub const FILE_VERSION: u32 = 1;

/// Whether inserts check the length against the version and layout in the metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DimensionCheck {
    /// Check (the default).
    #[default]
    On,
    /// Accept any length (for importing legacy stores; the original's
    /// `ANALYSIS_VECTOR_DIM_CHECK=0`). Searches still compare only equal lengths.
    Off,
}

#[derive(Debug, Default)]
struct Group {
    dim: usize,
    /// `ids.len() * dim` values, row after row.
    data: Vec<f64>,
    norms: Vec<f64>,
    /// The rows divided by their norms, in `f32` (zero rows stay zero): half the memory traffic
    /// of `data` for the first, approximate pass of a search.
    unit32: Vec<f32>,
    ids: Vec<String>,
    metas: Vec<Metadata>,
}

#[derive(Debug, Default)]
struct Inner {
    groups: HashMap<usize, Group>,
    /// id → (length, row).
    slots: HashMap<String, (usize, usize)>,
}

impl Inner {
    fn remove(&mut self, id: &str) -> Option<IndexEntry> {
        let (len, pos) = self.slots.remove(id)?;
        let group = self.groups.get_mut(&len)?;
        let last = group.ids.len().checked_sub(1)?;
        let start = pos.checked_mul(group.dim)?;
        let values = group.data.get(start..start + group.dim)?.to_vec();
        if pos != last {
            let (from, to) = (last * group.dim, start);
            group.data.copy_within(from..from + group.dim, to);
            group.unit32.copy_within(from..from + group.dim, to);
        }
        group.data.truncate(last * group.dim);
        group.unit32.truncate(last * group.dim);
        group.norms.swap_remove(pos);
        let id = group.ids.swap_remove(pos);
        let metadata = group.metas.swap_remove(pos);
        if let Some(moved) = group.ids.get(pos) {
            self.slots.insert(moved.clone(), (len, pos));
        }
        if group.ids.is_empty() {
            self.groups.remove(&len);
        }
        Some(IndexEntry {
            id,
            values,
            metadata,
        })
    }

    fn insert(&mut self, id: String, values: Vec<f64>, metadata: Metadata) {
        self.remove(&id);
        let len = values.len();
        let group = self.groups.entry(len).or_insert_with(|| Group {
            dim: len,
            ..Group::default()
        });
        let pos = group.ids.len();
        let n = norm(&values);
        group.norms.push(n);
        group.unit32.extend(values.iter().map(|&x| {
            let u = if n > 0.0 && n.is_finite() { x / n } else { 0.0 };
            u as f32
        }));
        group.data.extend_from_slice(&values);
        group.ids.push(id.clone());
        group.metas.push(metadata);
        self.slots.insert(id, (len, pos));
    }
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// `f32` dot product in 8 independent lanes.
#[inline]
fn dot32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// Dot product in 4 independent lanes (lets the compiler vectorise without reassociation).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// A heap candidate; `Ord` is "worse is greater" so that a max-heap keeps the worst on top.
#[derive(Debug)]
struct Cand<'a> {
    score: f64,
    id: &'a str,
}

impl PartialEq for Cand<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Cand<'_> {}
impl PartialOrd for Cand<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.id.cmp(other.id))
    }
}

/// An exact in-memory [`VectorIndex`].
#[derive(Debug, Default)]
pub struct MemoryIndex {
    inner: RwLock<Inner>,
    check: DimensionCheck,
}

#[derive(Serialize, Deserialize)]
struct FileHeader {
    format: String,
    version: u32,
}

#[derive(Serialize, Deserialize)]
struct FileRecord {
    id: String,
    values: Vec<f64>,
    metadata: Metadata,
}

impl MemoryIndex {
    /// An empty index that checks dimensions.
    pub fn new() -> Self {
        MemoryIndex::default()
    }

    /// An empty index with the given dimension check.
    pub fn with_dimension_check(check: DimensionCheck) -> Self {
        MemoryIndex {
            inner: RwLock::default(),
            check,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated in a way that
        // breaks memory safety; keep serving.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks and normalises a vector and its metadata as [`VectorIndex::insert`] would,
    /// without storing it.
    pub fn prepare(&self, id: &str, values: &[f64], metadata: &mut Metadata) -> IndexResult<()> {
        if id.is_empty() {
            return Err(IndexError::EmptyId);
        }
        validate(values, metadata, self.check == DimensionCheck::On)
    }

    /// Stores an already prepared vector (see [`MemoryIndex::prepare`]).
    pub(crate) fn insert_prepared(&self, id: &str, values: Vec<f64>, metadata: Metadata) {
        self.write().insert(id.to_string(), values, metadata);
    }

    /// Every entry, sorted by id.
    pub fn entries(&self) -> Vec<IndexEntry> {
        let inner = self.read();
        let mut ids: Vec<&String> = inner.slots.keys().collect();
        ids.sort();
        ids.into_iter()
            .filter_map(|id| entry_of(&inner, id))
            .collect()
    }

    /// Removes everything.
    pub fn clear(&self) {
        *self.write() = Inner::default();
    }

    /// Writes the index to `path` (see the module docs), atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> IndexResult<()> {
        let path = path.as_ref();
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let result = (|| -> IndexResult<()> {
            let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
            let header = FileHeader {
                format: FILE_FORMAT.into(),
                version: FILE_VERSION,
            };
            serde_json::to_writer(&mut w, &header).map_err(std::io::Error::other)?;
            w.write_all(b"\n")?;
            for e in self.entries() {
                let rec = FileRecord {
                    id: e.id,
                    values: e.values,
                    metadata: e.metadata,
                };
                serde_json::to_writer(&mut w, &rec).map_err(std::io::Error::other)?;
                w.write_all(b"\n")?;
            }
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&tmp, path)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Reads an index written by [`MemoryIndex::save`], checking every vector.
    pub fn load(path: impl AsRef<Path>) -> IndexResult<MemoryIndex> {
        MemoryIndex::load_with(path, DimensionCheck::On)
    }

    /// [`MemoryIndex::load`] with a dimension check setting.
    pub fn load_with(path: impl AsRef<Path>, check: DimensionCheck) -> IndexResult<MemoryIndex> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let bad = |line: u64, message: String| IndexError::File {
            path: shown.clone(),
            line,
            message,
        };
        let reader = std::io::BufReader::new(std::fs::File::open(path)?);
        let index = MemoryIndex::with_dimension_check(check);
        let mut seen_header = false;
        for (n, line) in reader.lines().enumerate() {
            let line_no = u64::try_from(n).unwrap_or(u64::MAX).saturating_add(1);
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            if !seen_header {
                let h: FileHeader = serde_json::from_str(&line)
                    .map_err(|e| bad(line_no, format!("not a cadfeat index header: {e}")))?;
                if h.format != FILE_FORMAT {
                    return Err(bad(
                        line_no,
                        format!("format {:?} is not {FILE_FORMAT:?}", h.format),
                    ));
                }
                if h.version != FILE_VERSION {
                    return Err(bad(
                        line_no,
                        format!(
                            "index file version {} (this build reads {FILE_VERSION})",
                            h.version
                        ),
                    ));
                }
                seen_header = true;
                continue;
            }
            let rec: FileRecord =
                serde_json::from_str(&line).map_err(|e| bad(line_no, e.to_string()))?;
            index
                .insert(&rec.id, rec.values, rec.metadata)
                .map_err(|e| bad(line_no, format!("id {:?}: {e}", rec.id)))?;
        }
        if !seen_header {
            return Err(bad(1, "empty file (no header)".into()));
        }
        Ok(index)
    }
}

fn entry_of(inner: &Inner, id: &str) -> Option<IndexEntry> {
    let &(len, pos) = inner.slots.get(id)?;
    let g = inner.groups.get(&len)?;
    let start = pos.checked_mul(g.dim)?;
    Some(IndexEntry {
        id: id.to_string(),
        values: g.data.get(start..start.checked_add(g.dim)?)?.to_vec(),
        metadata: g.metas.get(pos)?.clone(),
    })
}

impl VectorIndex for MemoryIndex {
    fn insert(&self, id: &str, values: Vec<f64>, mut metadata: Metadata) -> IndexResult<()> {
        self.prepare(id, &values, &mut metadata)?;
        self.insert_prepared(id, values, metadata);
        Ok(())
    }

    fn remove(&self, id: &str) -> IndexResult<bool> {
        Ok(self.write().remove(id).is_some())
    }

    fn get(&self, id: &str) -> IndexResult<Option<IndexEntry>> {
        Ok(entry_of(&self.read(), id))
    }

    fn metadata(&self, id: &str) -> IndexResult<Option<Metadata>> {
        let inner = self.read();
        Ok(inner
            .slots
            .get(id)
            .and_then(|&(len, pos)| inner.groups.get(&len)?.metas.get(pos).cloned()))
    }

    fn len(&self) -> usize {
        self.read().slots.len()
    }

    fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.read().slots.keys().cloned().collect();
        ids.sort();
        ids
    }

    fn search(&self, query: &[f64], k: usize, filter: &Filter) -> IndexResult<Vec<SearchHit>> {
        if k == 0 || query.is_empty() {
            return Ok(Vec::new());
        }
        let inner = self.read();
        let Some(group) = inner.groups.get(&query.len()) else {
            return Ok(Vec::new());
        };
        let qn = norm(query);
        let dim = group.dim;
        // The query as a unit vector in f32 for the approximate pass.
        let q32: Vec<f32> = query
            .iter()
            .map(|&x| {
                if qn > 0.0 && qn.is_finite() {
                    (x / qn) as f32
                } else {
                    0.0
                }
            })
            .collect();
        // |approximate − exact cosine| ≤ about (dim + 2)·2⁻²⁴ for unit vectors; `slack` is
        // far above that, so skipping rows whose approximation is below the current k-th
        // exact score minus `slack` never drops a row that belongs in the result.
        let slack = 1e-4 + dim as f64 * 1e-7;
        let mut heap: std::collections::BinaryHeap<Cand<'_>> =
            std::collections::BinaryHeap::with_capacity(k.min(group.ids.len()) + 1);
        let check_filter = !filter.is_empty();
        let rows = group
            .data
            .chunks_exact(dim)
            .zip(group.unit32.chunks_exact(dim));
        for (pos, (row, row32)) in rows.enumerate() {
            let (Some(id), Some(&n)) = (group.ids.get(pos), group.norms.get(pos)) else {
                break;
            };
            let full = heap.len() >= k;
            if full && let Some(worst) = heap.peek() {
                let approx = f64::from(dot32(&q32, row32));
                if approx + slack < worst.score {
                    continue;
                }
            }
            // Exact score, in f64, with the original's rules.
            let score = if qn == 0.0 || n == 0.0 {
                0.0
            } else {
                let s = dot(query, row) / (qn * n);
                if s.is_finite() {
                    s.clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            };
            let cand = Cand { score, id };
            // Cheap rejection first: a candidate that would not enter the top k is dropped
            // whether or not it matches; only candidates that would enter pay for the filter.
            // Same result as filtering first, so k hits come back whenever k match.
            if full && heap.peek().is_some_and(|worst| cand >= *worst) {
                continue;
            }
            if check_filter && !group.metas.get(pos).is_some_and(|m| filter.matches(id, m)) {
                continue;
            }
            if full {
                heap.pop();
            }
            heap.push(cand);
        }
        // `into_sorted_vec` is ascending in `Ord`, i.e. best first.
        Ok(heap
            .into_sorted_vec()
            .into_iter()
            .map(|c| SearchHit {
                id: c.id.to_string(),
                score: c.score,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureVersion;
    use crate::index::metadata_for;

    #[test]
    fn remove_keeps_the_moved_row_addressable() {
        let idx = MemoryIndex::new();
        for i in 0..5 {
            let mut v = vec![0.0; 7];
            v[i] = 1.0;
            idx.insert(&format!("v{i}"), v, metadata_for(FeatureVersion::V1, 0))
                .unwrap();
        }
        assert!(idx.remove("v1").unwrap());
        assert!(!idx.remove("v1").unwrap());
        // v4 was moved into row 1.
        let e = idx.get("v4").unwrap().unwrap();
        assert_eq!(e.values[4], 1.0);
        assert_eq!(idx.len(), 4);
        let hits = idx.search(&e.values, 1, &Filter::new()).unwrap();
        assert_eq!(hits[0].id, "v4");
        assert_eq!(hits[0].score, 1.0);
    }

    #[test]
    fn dot_matches_naive_for_odd_lengths() {
        let a: Vec<f64> = (0..11).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| 3.0 - i as f64).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-12);
    }
}
