//! The slot manifest: name, category and introducing version of every slot of v1–v5.
//!
//! The canonical flattened order (layout `base_sem_ext_v1`) is: the 5 base geometric slots, the
//! 2 semantic slots, then each version's extension in version order. A vector of version `vN`
//! is always the first `vN.dim()` slots of this table, so truncation is a downgrade and
//! zero-padding an upgrade.

use serde::Serialize;

use super::FeatureVersion;

/// The category of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlotCategory {
    /// Sizes, counts and geometry.
    Geometric,
    /// Layer count and complexity flag (slots 5–6).
    Semantic,
    /// The D2 shape distribution (v5 slots 48–63).
    Shape,
}

impl SlotCategory {
    /// `geometric`, `semantic` or `shape`.
    pub fn as_str(self) -> &'static str {
        match self {
            SlotCategory::Geometric => "geometric",
            SlotCategory::Semantic => "semantic",
            SlotCategory::Shape => "shape",
        }
    }
}

/// One slot of the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Slot {
    /// Slot name, e.g. `bbox_width`.
    pub name: &'static str,
    /// Category.
    pub category: SlotCategory,
    /// The version that introduced the slot.
    #[serde(serialize_with = "ser_version")]
    pub version: FeatureVersion,
}

fn ser_version<S: serde::Serializer>(v: &FeatureVersion, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

const fn slot(name: &'static str, category: SlotCategory, version: FeatureVersion) -> Slot {
    Slot {
        name,
        category,
        version,
    }
}

use FeatureVersion::{V1, V2, V3, V4, V5};
use SlotCategory::{Geometric as G, Semantic as S, Shape as Sh};

/// Every slot of v5, in canonical order. v1–v4 are prefixes.
pub const ALL_SLOTS: [Slot; 64] = [
    slot("entity_count", G, V1),
    slot("bbox_width", G, V1),
    slot("bbox_height", G, V1),
    slot("bbox_depth", G, V1),
    slot("bbox_volume_estimate", G, V1),
    slot("layer_count", S, V1),
    slot("complexity_high_flag", S, V1),
    slot("norm_width", G, V2),
    slot("norm_height", G, V2),
    slot("norm_depth", G, V2),
    slot("width_height_ratio", G, V2),
    slot("width_depth_ratio", G, V2),
    slot("solids_count", G, V3),
    slot("facets_count", G, V3),
    slot("avg_volume_per_entity", G, V3),
    slot("solids_ratio", G, V3),
    slot("facets_ratio", G, V3),
    slot("top_kind_freq_1", G, V3),
    slot("top_kind_freq_2", G, V3),
    slot("top_kind_freq_3", G, V3),
    slot("top_kind_freq_4", G, V3),
    slot("top_kind_freq_5", G, V3),
    slot("surface_count", G, V4),
    slot("shape_entropy", G, V4),
    slot("surface_area_log", G, V5),
    slot("volume_log", G, V5),
    slot("diameter_log", G, V5),
    slot("sphericity", G, V5),
    slot("obb_mid_ratio", G, V5),
    slot("obb_min_ratio", G, V5),
    slot("obb_fill_ratio", G, V5),
    slot("inertia_mid_ratio", G, V5),
    slot("inertia_min_ratio", G, V5),
    slot("is_closed", G, V5),
    slot("components_log", G, V5),
    slot("genus_log", G, V5),
    slot("boundary_edge_ratio", G, V5),
    slot("brep_faces_log", G, V5),
    slot("brep_edges_log", G, V5),
    slot("brep_vertices_log", G, V5),
    slot("has_brep", G, V5),
    slot("area_frac_plane", G, V5),
    slot("area_frac_cylinder", G, V5),
    slot("area_frac_cone", G, V5),
    slot("area_frac_sphere", G, V5),
    slot("area_frac_torus", G, V5),
    slot("area_frac_freeform", G, V5),
    slot("area_frac_other", G, V5),
    slot("d2_bin_00", Sh, V5),
    slot("d2_bin_01", Sh, V5),
    slot("d2_bin_02", Sh, V5),
    slot("d2_bin_03", Sh, V5),
    slot("d2_bin_04", Sh, V5),
    slot("d2_bin_05", Sh, V5),
    slot("d2_bin_06", Sh, V5),
    slot("d2_bin_07", Sh, V5),
    slot("d2_bin_08", Sh, V5),
    slot("d2_bin_09", Sh, V5),
    slot("d2_bin_10", Sh, V5),
    slot("d2_bin_11", Sh, V5),
    slot("d2_bin_12", Sh, V5),
    slot("d2_bin_13", Sh, V5),
    slot("d2_bin_14", Sh, V5),
    slot("d2_bin_15", Sh, V5),
];

/// The slots of `version`, in canonical order (`version.dim()` of them).
pub fn slots(version: FeatureVersion) -> &'static [Slot] {
    ALL_SLOTS.get(..version.dim()).unwrap_or(&ALL_SLOTS)
}

/// The index of the slot called `name`, if any.
pub fn slot_index(name: &str) -> Option<usize> {
    ALL_SLOTS.iter().position(|s| s.name == name)
}
