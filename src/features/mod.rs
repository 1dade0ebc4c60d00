//! Versioned feature vectors.
//!
//! [`FeatureExtractor`] turns a [`CadDocument`] into a [`FeatureVector`] of a given
//! [`FeatureVersion`]. v1–v4 keep the slot order and formulas of the service cadfeat replaces
//! (see [`slots`](mod@slots) for the manifest); v5 appends 40 slots of real geometry.
//!
//! * [`slots`](mod@slots): name, category and version of every slot.
//! * [`legacy`]: the v1–v4 formulas; [`entropy`]: the v4 helpers (shape entropy, surface count).
//! * [`v5`]: slots 24–63 from [`crate::geometry`] and the B-Rep summary.
//! * [`vector`]: flatten / rehydrate / legacy reorder / upgrade / downgrade / migrate.
//!
//! Every version is a prefix of the next: a v*N* vector is the first `dim()` values of the v5
//! vector of the same document.
//!
//! # Finite values
//!
//! Every vector [`FeatureExtractor::extract`] returns has only finite values: JSON has no
//! infinity (the CLI would print `null`), and NaN or ±∞ poison normalisation, distances and
//! training downstream. Ordinary inputs never meet the rules below, so their values are the
//! formulas' bit for bit; they apply where f64 arithmetic leaves the finite range, which finite
//! but huge coordinates (1e200, 1e308: valid numbers in every format) can make it do.
//!
//! The rule is **saturation**: a quantity too large for an f64 is taken as [`f64::MAX`] (the
//! true value is at least that), and NaN as 0 ([`finite_value`]). Slot by slot:
//!
//! | slots | overflows when | value |
//! |---|---|---|
//! | 1–3 `bbox_width/height/depth` | max − min exceeds `f64::MAX` (coordinates near −1e308 and +1e308) | `f64::MAX`; the slots below read this saturated extent |
//! | 4 `bbox_volume_estimate` | w·h·d exceeds `f64::MAX` (e.g. every extent 1e200) | `f64::MAX` |
//! | 7–9 `norm_width/height/depth` | never, from saturated extents (an overflowed extent gave ∞/∞ = NaN) | extent / largest extent, so 1 for the largest |
//! | 10–11 `width_height_ratio`, `width_depth_ratio` | a huge width over a small height or depth | `f64::MAX` |
//! | 14 `avg_volume_per_entity` | slot 4 overflowed (∞ / n) | `f64::MAX` |
//! | 24–63 (v5) | area, volume, diameter or moments overflow | each v5 formula's own guard ([`v5`]): a log or ratio of a non-finite quantity is 0, and a mesh whose area overflows is treated as having no area |
//!
//! The other v1–v4 slots are counts, ratios of counts and an entropy, finite by construction.
//! Last, each producer of slots guarantees the rule whatever its formulas do:
//! [`legacy::legacy_v4`] passes its 24 values through [`finite_value`] (±∞ → ±`f64::MAX`,
//! NaN → 0) and [`v5::v5_slots`] sets any value still not finite to 0, so `extract` only copies.

use std::fmt;
use std::str::FromStr;

use crate::document::CadDocument;
use crate::error::{Error, Result};

pub mod entropy;
pub mod legacy;
pub mod slots;
pub mod v5;
pub mod vector;

pub use entropy::{compute_shape_entropy, compute_surface_count};
pub use slots::{Slot, SlotCategory, slots};
pub use vector::{
    Migration, MigrationDirection, downgrade_vector, flatten, migrate, rehydrate,
    reorder_legacy_vector, upgrade_vector,
};

/// `x` under the finite-values rule (see [Finite values](self#finite-values)): finite values
/// unchanged (bit for bit), +∞ → [`f64::MAX`], −∞ → [`f64::MIN`] (= −`f64::MAX`), NaN → 0.
#[inline]
pub fn finite_value(x: f64) -> f64 {
    // Written without branches (a clamp and a select), so that a pass over a vector is a few
    // vector instructions: `clamp` leaves finite values (and −0.0) unchanged and maps ±∞ to
    // ±MAX; it would keep NaN, which the select replaces by 0.
    let clamped = x.clamp(f64::MIN, f64::MAX);
    if x.is_nan() { 0.0 } else { clamped }
}

/// A feature version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureVersion {
    /// 7 slots.
    V1,
    /// 12 slots.
    V2,
    /// 22 slots.
    V3,
    /// 24 slots.
    V4,
    /// 64 slots.
    V5,
}

impl FeatureVersion {
    /// Every version, oldest first.
    pub const ALL: [FeatureVersion; 5] = [
        FeatureVersion::V1,
        FeatureVersion::V2,
        FeatureVersion::V3,
        FeatureVersion::V4,
        FeatureVersion::V5,
    ];

    /// The newest version.
    pub const LATEST: FeatureVersion = FeatureVersion::V5;

    /// The number of slots: 7, 12, 22, 24, 64.
    pub const fn dim(self) -> usize {
        match self {
            FeatureVersion::V1 => 7,
            FeatureVersion::V2 => 12,
            FeatureVersion::V3 => 22,
            FeatureVersion::V4 => 24,
            FeatureVersion::V5 => 64,
        }
    }

    /// `"v1"` … `"v5"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FeatureVersion::V1 => "v1",
            FeatureVersion::V2 => "v2",
            FeatureVersion::V3 => "v3",
            FeatureVersion::V4 => "v4",
            FeatureVersion::V5 => "v5",
        }
    }

    /// 1 … 5.
    pub const fn number(self) -> u8 {
        match self {
            FeatureVersion::V1 => 1,
            FeatureVersion::V2 => 2,
            FeatureVersion::V3 => 3,
            FeatureVersion::V4 => 4,
            FeatureVersion::V5 => 5,
        }
    }

    /// The version with the given number (1 … 5).
    pub fn from_number(n: u8) -> Result<FeatureVersion> {
        FeatureVersion::ALL
            .get(usize::from(n).wrapping_sub(1))
            .copied()
            .ok_or_else(|| Error::UnknownVersion(n.to_string()))
    }
}

impl fmt::Display for FeatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FeatureVersion {
    type Err = Error;
    /// Accepts `v1`…`v5` (any case) and `1`…`5`. Anything else is an error, never a silent v1.
    fn from_str(s: &str) -> Result<FeatureVersion> {
        let t = s.trim();
        let digits = t.strip_prefix(['v', 'V']).unwrap_or(t);
        match digits {
            "1" => Ok(FeatureVersion::V1),
            "2" => Ok(FeatureVersion::V2),
            "3" => Ok(FeatureVersion::V3),
            "4" => Ok(FeatureVersion::V4),
            "5" => Ok(FeatureVersion::V5),
            _ => Err(Error::UnknownVersion(s.to_string())),
        }
    }
}

/// A feature vector with its version. `values.len() == version.dim()`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureVector {
    /// The version the values follow.
    pub version: FeatureVersion,
    /// The flattened values in canonical slot order (layout `base_sem_ext_v1`).
    pub values: Vec<f64>,
}

/// Extracts feature vectors of one version.
#[derive(Debug, Clone)]
pub struct FeatureExtractor {
    version: FeatureVersion,
}

impl FeatureExtractor {
    /// An extractor for `version`.
    pub fn new(version: FeatureVersion) -> Self {
        FeatureExtractor { version }
    }

    /// The version this extractor produces.
    pub fn version(&self) -> FeatureVersion {
        self.version
    }

    /// Extracts the feature vector of `doc`.
    ///
    /// v1–v4 are the first 7, 12, 22, 24 values of [`legacy::legacy_v4`]; v5 appends
    /// [`v5::v5_slots`]. Never fails and never panics: missing data gives zeros. Every value
    /// is finite (see [Finite values](self#finite-values)).
    #[inline]
    pub fn extract(&self, doc: &CadDocument) -> FeatureVector {
        self.extract_with_shape(doc, &mut [0.0; 2])
    }

    /// [`FeatureExtractor::extract`], also writing the v4 `surface_count` and `shape_entropy`
    /// values (computed for every version) to `shape` from the extractor's own copy, so that a
    /// caller that records them need not read them back from the vector's freshly written heap
    /// buffer (a load that waits for those stores).
    ///
    /// Not inlined, so that [`FeatureExtractor::extract`] and `Metrics::extract` run one and the
    /// same machine code and `benches/metrics.rs` compares only what recording adds (inlined
    /// into each caller, the two copies' placement moved their ratio by up to ±10 % between
    /// builds). The shape goes out through `shape`, not in a returned tuple, so that
    /// [`FeatureExtractor::extract`] returns this call's vector directly instead of copying it
    /// out of a tuple.
    #[inline(never)]
    pub(crate) fn extract_with_shape(
        &self,
        doc: &CadDocument,
        shape: &mut [f64; 2],
    ) -> FeatureVector {
        // Both producers return finite values already (see "Finite values" above).
        let legacy = legacy::legacy_v4(doc);
        let dim = self.version.dim();
        let mut values = Vec::with_capacity(dim);
        values.extend_from_slice(legacy.get(..dim.min(24)).unwrap_or(&legacy));
        if self.version == FeatureVersion::V5 {
            values.extend_from_slice(&v5::v5_slots(doc));
        }
        let [.., surface_count, shape_entropy] = legacy;
        *shape = [surface_count, shape_entropy];
        FeatureVector {
            version: self.version,
            values,
        }
    }

    /// The extractor for a version string (`v1`…`v5` or `1`…`5`); an unknown version is an
    /// error ([`Error::UnknownVersion`]), never a silent v1.
    pub fn from_version_str(s: &str) -> Result<Self> {
        Ok(FeatureExtractor::new(s.parse()?))
    }
}

impl FeatureVector {
    /// The slot manifest of this vector's version.
    pub fn slots(&self) -> &'static [Slot] {
        slots(self.version)
    }

    /// This vector truncated (downgrade) or zero-padded (upgrade) to `to`. The length must
    /// match the version ([`Error::VectorLength`]). Padded slots are zeros, not recomputed:
    /// re-extract from the file when possible.
    pub fn to_version(&self, to: FeatureVersion) -> Result<FeatureVector> {
        Ok(FeatureVector {
            version: to,
            values: upgrade_vector(&self.values, Some(self.version), to)?,
        })
    }

    /// `(geometric, semantic)` lists of the original's output dict (see [`rehydrate`]).
    pub fn rehydrate(&self) -> (Vec<f64>, Vec<f64>) {
        rehydrate(&self.values, self.version)
    }
}
