//! The format-neutral document every reader produces.
//!
//! A [`CadDocument`] holds what the feature extractor needs and nothing per entity: entity
//! counts by kind, layers, an axis-aligned [`BoundingBox`] that can be empty, [`Metadata`], and,
//! where the format has them, a triangle [`Mesh`] and a [`BrepSummary`]. A 5-million-triangle
//! STL costs its coordinates and indices, not 5 million entity objects.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::format::Format;

/// An axis-aligned bounding box that may be empty.
///
/// An empty box (no points added) is distinct from a box around the single point at the origin:
/// `BoundingBox::EMPTY.is_empty()` is true and its [`min`](Self::min)/[`max`](Self::max) are
/// `None`. Non-finite points are ignored by [`add`](Self::add).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    lo: [f64; 3],
    hi: [f64; 3],
}

impl Default for BoundingBox {
    fn default() -> Self {
        BoundingBox::EMPTY
    }
}

impl BoundingBox {
    /// The empty box.
    pub const EMPTY: BoundingBox = BoundingBox {
        lo: [f64::INFINITY; 3],
        hi: [f64::NEG_INFINITY; 3],
    };

    /// A box from two corners (each coordinate is ordered).
    pub fn from_corners(a: [f64; 3], b: [f64; 3]) -> Self {
        let mut bb = BoundingBox::EMPTY;
        bb.add(a);
        bb.add(b);
        bb
    }

    /// True when no point has been added.
    pub fn is_empty(&self) -> bool {
        self.lo[0] > self.hi[0]
    }

    /// Extends the box to contain `p`. Points with a NaN or infinite coordinate are ignored.
    #[inline]
    pub fn add(&mut self, p: [f64; 3]) {
        if !(p[0].is_finite() && p[1].is_finite() && p[2].is_finite()) {
            return;
        }
        for ((lo, hi), v) in self.lo.iter_mut().zip(self.hi.iter_mut()).zip(p) {
            *lo = lo.min(v);
            *hi = hi.max(v);
        }
    }

    /// Extends the box to contain `other`.
    pub fn union(&mut self, other: &BoundingBox) {
        if !other.is_empty() {
            self.add(other.lo);
            self.add(other.hi);
        }
    }

    /// The minimum corner, `None` when empty.
    pub fn min(&self) -> Option<[f64; 3]> {
        (!self.is_empty()).then_some(self.lo)
    }

    /// The maximum corner, `None` when empty.
    pub fn max(&self) -> Option<[f64; 3]> {
        (!self.is_empty()).then_some(self.hi)
    }

    /// Extents `[width, height, depth]`; zeros when empty.
    pub fn extents(&self) -> [f64; 3] {
        if self.is_empty() {
            [0.0; 3]
        } else {
            [
                self.hi[0] - self.lo[0],
                self.hi[1] - self.lo[1],
                self.hi[2] - self.lo[2],
            ]
        }
    }

    /// Length of the diagonal; 0 when empty.
    pub fn diagonal(&self) -> f64 {
        let [w, h, d] = self.extents();
        (w * w + h * h + d * d).sqrt()
    }

    /// The box scaled by `factor` about the origin (unit conversion).
    pub fn scaled(&self, factor: f64) -> BoundingBox {
        if self.is_empty() {
            return *self;
        }
        BoundingBox::from_corners(
            [
                self.lo[0] * factor,
                self.lo[1] * factor,
                self.lo[2] * factor,
            ],
            [
                self.hi[0] * factor,
                self.hi[1] * factor,
                self.hi[2] * factor,
            ],
        )
    }
}

/// A length unit, with its size in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LengthUnit {
    /// The file declares no unit (STL, OBJ, PLY, DXF `$INSUNITS=0`). Taken as millimetres for v5.
    Unitless,
    /// Millimetre.
    Millimetre,
    /// Centimetre.
    Centimetre,
    /// Metre.
    Metre,
    /// Inch (25.4 mm).
    Inch,
    /// Foot (304.8 mm).
    Foot,
    /// Micrometre.
    Micrometre,
    /// Any other unit, given by its size in millimetres.
    Other(f64),
}

impl LengthUnit {
    /// The size of one unit in millimetres (1 for [`LengthUnit::Unitless`]).
    pub fn to_mm(self) -> f64 {
        match self {
            LengthUnit::Unitless | LengthUnit::Millimetre => 1.0,
            LengthUnit::Centimetre => 10.0,
            LengthUnit::Metre => 1000.0,
            LengthUnit::Inch => 25.4,
            LengthUnit::Foot => 304.8,
            LengthUnit::Micrometre => 0.001,
            LengthUnit::Other(mm) => mm,
        }
    }

    /// A short name: `mm`, `cm`, `m`, `in`, `ft`, `um`, `unitless`, or `<x>mm`.
    pub fn name(self) -> String {
        match self {
            LengthUnit::Unitless => "unitless".into(),
            LengthUnit::Millimetre => "mm".into(),
            LengthUnit::Centimetre => "cm".into(),
            LengthUnit::Metre => "m".into(),
            LengthUnit::Inch => "in".into(),
            LengthUnit::Foot => "ft".into(),
            LengthUnit::Micrometre => "um".into(),
            LengthUnit::Other(mm) => format!("{mm}mm"),
        }
    }
}

/// Metadata that readers fill in. Keys mirror the original service's `metadata` dict (spec §1).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    /// Which parser produced the document (`"cadfeat-stl"`, …).
    pub parser: String,
    /// Number of solids (STEP/IGES). Feeds v3 `solids_count`.
    pub solids: Option<u64>,
    /// Number of facets (mesh triangles). Feeds v3 `facets_count`.
    pub facets: Option<u64>,
    /// Number of surfaces, when a reader knows it. Feeds v4 `surface_count` rule 2.
    pub surfaces: Option<u64>,
    /// The length unit the file declares.
    pub unit: Option<LengthUnit>,
    /// Header facts, e.g. `"$ACADVER" → "AC1015"`, STEP `"schema"`, `"originating_system"`.
    pub header: BTreeMap<String, String>,
    /// Annotation text strings found (DXF TEXT/MTEXT, JSON `text_content`), cleaned.
    pub text_count: Option<u64>,
    /// Number of DIMENSION entities.
    pub dimension_count: Option<u64>,
    /// Set when only part of the file could be understood: a human-readable reason.
    /// The document is still usable (e.g. STEP header and entity counts without the B-Rep).
    pub degraded: Option<String>,
    /// Non-fatal problems found while reading (bounded in number by the readers).
    pub warnings: Vec<String>,
    /// Counts of the file's own record types, upper-case (STEP entity types such as
    /// `ADVANCED_FACE`, IGES entity types such as `128 B_SPLINE_SURFACE`). Informational: unlike
    /// [`CadDocument::entity_counts`] these do not feed v1–v4.
    pub raw_counts: BTreeMap<String, u64>,
}

/// A triangle mesh: shared positions and index triples. Coordinates are in file units.
///
/// Triangles keep file order. Readers of unindexed formats (STL) store three positions per
/// triangle; welding, where needed, happens in [`crate::geometry`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mesh {
    /// Vertex positions.
    pub positions: Vec<[f64; 3]>,
    /// Triangles as indices into `positions`.
    pub triangles: Vec<[u32; 3]>,
}

impl Mesh {
    /// Number of triangles.
    pub fn triangle_count(&self) -> usize {
        self.triangles.len()
    }

    /// True when the mesh has no triangles.
    pub fn is_empty(&self) -> bool {
        self.triangles.is_empty()
    }

    /// The three corners of triangle `i`.
    #[inline]
    pub fn triangle(&self, i: usize) -> [[f64; 3]; 3] {
        let [a, b, c] = self.triangles[i];
        [
            self.positions[a as usize],
            self.positions[b as usize],
            self.positions[c as usize],
        ]
    }

    /// Iterates over the corners of every triangle.
    pub fn iter_triangles(&self) -> impl Iterator<Item = [[f64; 3]; 3]> + '_ {
        self.triangles.iter().map(move |&[a, b, c]| {
            [
                self.positions[a as usize],
                self.positions[b as usize],
                self.positions[c as usize],
            ]
        })
    }

    /// The bounding box of the positions used by triangles (all positions when there are no
    /// triangles).
    pub fn bounding_box(&self) -> BoundingBox {
        let mut bb = BoundingBox::EMPTY;
        for p in &self.positions {
            bb.add(*p);
        }
        bb
    }
}

/// The kind of surface that carries a B-Rep face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurfaceKind {
    /// Plane.
    Plane,
    /// Circular cylinder.
    Cylinder,
    /// Circular cone.
    Cone,
    /// Sphere.
    Sphere,
    /// Torus (including degenerate tori).
    Torus,
    /// Bézier surface.
    Bezier,
    /// B-spline or NURBS surface.
    Bspline,
    /// Surface of revolution.
    Revolution,
    /// Surface of linear extrusion.
    Extrusion,
    /// Offset surface.
    Offset,
    /// Any other surface.
    Other,
    /// A face with no geometric surface (tessellated data only).
    None,
}

impl SurfaceKind {
    /// The lowercase name used in JSON (`plane`, `bspline`, …), matching REFERENCE.tsv.
    pub fn as_str(self) -> &'static str {
        match self {
            SurfaceKind::Plane => "plane",
            SurfaceKind::Cylinder => "cylinder",
            SurfaceKind::Cone => "cone",
            SurfaceKind::Sphere => "sphere",
            SurfaceKind::Torus => "torus",
            SurfaceKind::Bezier => "bezier",
            SurfaceKind::Bspline => "bspline",
            SurfaceKind::Revolution => "revolution",
            SurfaceKind::Extrusion => "extrusion",
            SurfaceKind::Offset => "offset",
            SurfaceKind::Other => "other",
            SurfaceKind::None => "none",
        }
    }

    /// The original service's eight surface keys (spec §4): plane, cylinder, cone, sphere,
    /// torus, bezier, bspline, other. Revolution, extrusion, offset and none map to `other`.
    pub fn original_key(self) -> &'static str {
        match self {
            SurfaceKind::Plane => "plane",
            SurfaceKind::Cylinder => "cylinder",
            SurfaceKind::Cone => "cone",
            SurfaceKind::Sphere => "sphere",
            SurfaceKind::Torus => "torus",
            SurfaceKind::Bezier => "bezier",
            SurfaceKind::Bspline => "bspline",
            _ => "other",
        }
    }
}

/// Facts about a document's boundary representation (STEP, IGES).
///
/// Counts are deduplicated: a face shared by two shells counts once; a part placed twice in an
/// assembly counts twice (like OpenCascade's `TopExp::MapShapes`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrepSummary {
    /// Solids (manifold solid B-Reps, faceted B-Reps, B-Reps with voids).
    pub solids: u64,
    /// Shells.
    pub shells: u64,
    /// Faces.
    pub faces: u64,
    /// Edges.
    pub edges: u64,
    /// Vertices.
    pub vertices: u64,
    /// Face count per surface kind (sums to `faces`).
    pub surface_types: BTreeMap<SurfaceKind, u64>,
    /// Face area per surface kind, in mm², where computed.
    pub surface_areas: BTreeMap<SurfaceKind, f64>,
    /// Total face area in mm², when computed.
    pub area: Option<f64>,
    /// Enclosed volume in mm³ of the closed solids, when computed.
    pub volume: Option<f64>,
}

/// The format-neutral result of reading a CAD file.
#[derive(Debug, Clone, PartialEq)]
pub struct CadDocument {
    /// The format that was read.
    pub format: Format,
    /// Entity counts by kind, upper-case (`LINE`, `FACET`, `SOLID`, `ADVANCED_FACE`, …).
    /// The sum is the document's entity count (v1 slot 0).
    pub entity_counts: BTreeMap<String, u64>,
    /// Layer name → number of entities on that layer.
    pub layers: BTreeMap<String, u64>,
    /// The axis-aligned box of the geometry, in file units. Empty when there is no geometry.
    pub bbox: BoundingBox,
    /// Reader metadata.
    pub metadata: Metadata,
    /// Triangles, where the format has them (meshes, DXF 3D faces, tessellated B-Reps).
    pub mesh: Option<Mesh>,
    /// B-Rep facts, where the format has them.
    pub brep: Option<BrepSummary>,
    /// Millimetres per coordinate unit of `bbox` and `mesh`. 1 when the coordinates are already
    /// in millimetres (STEP and IGES readers convert to mm, as OpenCascade does) or unitless
    /// (STL, OBJ, PLY); 25.4 for an inch DXF. Feature v5 multiplies lengths by it.
    pub to_mm: f64,
}

impl CadDocument {
    /// An empty document of the given format.
    pub fn new(format: Format) -> Self {
        CadDocument {
            format,
            entity_counts: BTreeMap::new(),
            layers: BTreeMap::new(),
            bbox: BoundingBox::EMPTY,
            metadata: Metadata::default(),
            mesh: None,
            brep: None,
            to_mm: 1.0,
        }
    }

    /// Total number of entities (the sum of [`entity_counts`](Self::entity_counts)).
    pub fn entity_count(&self) -> u64 {
        self.entity_counts.values().sum()
    }

    /// Adds `n` entities of `kind` (upper-cased) on an optional layer.
    pub fn add_entities(&mut self, kind: &str, layer: Option<&str>, n: u64) {
        if n == 0 {
            return;
        }
        let key = if kind.bytes().any(|b| b.is_ascii_lowercase()) {
            kind.to_ascii_uppercase()
        } else {
            kind.to_string()
        };
        *self.entity_counts.entry(key).or_insert(0) += n;
        if let Some(layer) = layer {
            *self.layers.entry(layer.to_string()).or_insert(0) += n;
        }
    }

    /// The original's complexity bucket: `low` (< 50), `medium` (< 500), `high`.
    pub fn complexity_bucket(&self) -> &'static str {
        match self.entity_count() {
            n if n < 50 => "low",
            n if n < 500 => "medium",
            _ => "high",
        }
    }

    /// Number of mesh triangles (0 without a mesh).
    pub fn triangle_count(&self) -> usize {
        self.mesh.as_ref().map_or(0, Mesh::triangle_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_box_is_not_a_point() {
        let e = BoundingBox::EMPTY;
        assert!(e.is_empty());
        assert_eq!(e.min(), None);
        let p = BoundingBox::from_corners([0.0; 3], [0.0; 3]);
        assert!(!p.is_empty());
        assert_eq!(p.extents(), [0.0; 3]);
        let mut n = BoundingBox::EMPTY;
        n.add([f64::NAN, 0.0, 0.0]);
        assert!(n.is_empty());
    }

    #[test]
    fn complexity_buckets() {
        let mut d = CadDocument::new(Format::Dxf);
        d.add_entities("line", Some("0"), 49);
        assert_eq!(d.complexity_bucket(), "low");
        d.add_entities("LINE", None, 1);
        assert_eq!(d.complexity_bucket(), "medium");
        assert_eq!(d.entity_counts["LINE"], 50);
        assert_eq!(d.layers["0"], 49);
        d.add_entities("ARC", None, 450);
        assert_eq!(d.complexity_bucket(), "high");
    }
}
