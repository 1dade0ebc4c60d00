//! A format-neutral boundary representation (B-Rep): the geometry and topology that the STEP
//! and IGES readers build, and that the tessellator turns into triangles.
//!
//! Data flow: `readers::step` / `readers::iges` → [`BrepModel`] (in millimetres, assemblies
//! already placed) → `brep::tessellate` → [`crate::document::Mesh`] + per-face areas →
//! [`crate::document::BrepSummary`].
//!
//! Topology is index-based (no `Rc`, no per-entity allocation beyond what the geometry needs):
//! faces refer to edges by index, edges to vertices by index. An edge shared by two faces is
//! stored once, so that the tessellation of both faces uses the same edge samples and the mesh
//! is watertight where the solid is closed.
//!
//! # Conventions (what readers must produce)
//!
//! * Lengths in millimetres; angles (cone semi-angle, curve and surface angle parameters) in
//!   radians. Frames need not be normalised: [`geom::orthonormal`] re-orthonormalises `z`
//!   first, then `x`; a zero, parallel or non-finite direction makes the geometry invalid.
//! * Parameterisations of every curve and surface: the table in [`geom`]. In short: circles
//!   and ellipses by the angle from `x`; cylinders, cones, spheres and tori by `(angle, axial
//!   or latitude)`, the cone's radius being `radius + v·tan(semi_angle)` along `z`;
//!   revolutions by `(angle, profile parameter)`; extrusions by `(profile parameter, distance)`.
//! * B-spline knots are expanded; surface control points are row-major with `u` outer.
//! * An `Edge` runs from `start` to `end`, along the curve's parameter when `same_sense`, else
//!   against it; a closed curve with `start == end` is traversed once completely.
//! * Loops: `forward == false` traverses an edge end → start; `FaceBound::orientation == false`
//!   reverses the whole loop. As in STEP, outer loops run counter-clockwise about the face
//!   normal; the tessellator does not need that (inside/outside comes from a parity flood
//!   fill) except to decide on which side of a loop winding around a cylinder-like surface the
//!   face lies (e.g. a spherical cap bounded only by its rim circle).
//! * A face normal is `∂S/∂u × ∂S/∂v` (outward for the analytic surfaces), flipped when
//!   `Face::same_sense` is false; mesh triangles are counter-clockwise about it.
//! * A face with no bounds, or only `Loop::Vertex` bounds (OpenCascade writes a full sphere as
//!   one face bounded by a vertex loop at a pole), covers its surface's natural domain.
//!
//! # Modules
//! * [`math`], [`nurbs`] (de Boor with derivatives, validation), [`geom`] (evaluation and
//!   point inversion for every variant), [`tessellate`](mod@tessellate) (edge sampling, face triangulation,
//!   budgets), [`analysis`] (areas, closedness, volume, bbox: [`analyze`]),
//!   [`primitives`] (box, cylinder, cone, sphere, torus as STEP-like B-Reps; `BrepModel::append`),
//!   [`transform`] ([`Transform`] and [`BrepModel::transformed`]).

use crate::document::{BoundingBox, BrepSummary, Mesh, SurfaceKind};
use crate::error::Result;
use crate::limits::Limits;

pub mod analysis;
pub mod geom;
pub mod math;
pub mod nurbs;
pub mod primitives;
pub mod tessellate;
mod tjunction;
pub mod transform;

pub use analysis::{analyze_with, compact_mesh, is_closed, signed_volume, triangle_area};
pub use tessellate::{TessOptions, Tessellation, tessellate};
pub use transform::Transform;

/// A 3-D point or vector.
pub type Vec3 = [f64; 3];

/// A right-handed orthonormal placement: origin and axes (`z` is the "axis" of STEP's
/// `AXIS2_PLACEMENT_3D`, `x` its ref direction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Origin.
    pub origin: Vec3,
    /// Unit x axis.
    pub x: Vec3,
    /// Unit y axis (`z × x`).
    pub y: Vec3,
    /// Unit z axis.
    pub z: Vec3,
}

impl Frame {
    /// The world frame.
    pub const WORLD: Frame = Frame {
        origin: [0.0; 3],
        x: [1.0, 0.0, 0.0],
        y: [0.0, 1.0, 0.0],
        z: [0.0, 0.0, 1.0],
    };
}

/// A non-uniform rational B-spline curve. `knots` are fully expanded (multiplicities written
/// out), so `knots.len() == control.len() + degree + 1`. `weights` is `None` for non-rational
/// curves.
#[derive(Debug, Clone, PartialEq)]
pub struct BsplineCurve {
    /// Polynomial degree (≥ 1).
    pub degree: usize,
    /// Expanded knot vector, non-decreasing.
    pub knots: Vec<f64>,
    /// Control points.
    pub control: Vec<Vec3>,
    /// Weights (rational curves), same length as `control`.
    pub weights: Option<Vec<f64>>,
}

/// A non-uniform rational B-spline surface. Control points are stored row-major with `u` as the
/// outer index: point `(i, j)` is `control[i * nv + j]`, `i < nu`, `j < nv`.
#[derive(Debug, Clone, PartialEq)]
pub struct BsplineSurface {
    /// Degree in u.
    pub u_degree: usize,
    /// Degree in v.
    pub v_degree: usize,
    /// Number of control points in u.
    pub nu: usize,
    /// Number of control points in v.
    pub nv: usize,
    /// Expanded knots in u (`nu + u_degree + 1`).
    pub u_knots: Vec<f64>,
    /// Expanded knots in v (`nv + v_degree + 1`).
    pub v_knots: Vec<f64>,
    /// Control points, `nu * nv`.
    pub control: Vec<Vec3>,
    /// Weights, `nu * nv`, for rational surfaces.
    pub weights: Option<Vec<f64>>,
}

/// Curve geometry of an edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Curve {
    /// A line through `origin` with unit direction `dir`.
    Line {
        /// A point on the line.
        origin: Vec3,
        /// Unit direction.
        dir: Vec3,
    },
    /// A circle in the frame's xy plane, centred on its origin. Parameter: angle from `x`.
    Circle {
        /// Placement.
        frame: Frame,
        /// Radius.
        radius: f64,
    },
    /// An ellipse in the frame's xy plane: `origin + a cos t x + b sin t y`.
    Ellipse {
        /// Placement.
        frame: Frame,
        /// Semi-axis along x.
        a: f64,
        /// Semi-axis along y.
        b: f64,
    },
    /// A (rational) B-spline curve.
    Bspline(BsplineCurve),
    /// A polyline through the given points.
    Polyline(Vec<Vec3>),
    /// A curve type the reader does not model; the edge is then treated as the straight segment
    /// between its vertices.
    Unknown,
}

/// Surface geometry of a face.
#[derive(Debug, Clone, PartialEq)]
pub enum Surface {
    /// The frame's xy plane.
    Plane(Frame),
    /// Cylinder around the frame's z axis.
    Cylinder {
        /// Placement.
        frame: Frame,
        /// Radius.
        radius: f64,
    },
    /// Cone around the frame's z axis, with `radius` at z = 0 and half-angle `semi_angle`
    /// (radians).
    Cone {
        /// Placement.
        frame: Frame,
        /// Radius at the placement origin.
        radius: f64,
        /// Half-angle in radians.
        semi_angle: f64,
    },
    /// Sphere centred on the frame origin.
    Sphere {
        /// Placement.
        frame: Frame,
        /// Radius.
        radius: f64,
    },
    /// Torus around the frame's z axis (also degenerate tori, `minor > major`).
    Torus {
        /// Placement.
        frame: Frame,
        /// Distance from the axis to the tube centre.
        major: f64,
        /// Tube radius.
        minor: f64,
    },
    /// A (rational) B-spline or Bézier surface.
    Bspline(BsplineSurface),
    /// A profile curve revolved about an axis.
    Revolution {
        /// The swept curve.
        profile: Box<Curve>,
        /// A point on the axis.
        axis_origin: Vec3,
        /// Unit axis direction.
        axis_dir: Vec3,
    },
    /// A profile curve swept along a vector.
    Extrusion {
        /// The swept curve.
        profile: Box<Curve>,
        /// Sweep direction (unit).
        dir: Vec3,
    },
    /// A surface offset along its normal.
    Offset {
        /// The base surface.
        base: Box<Surface>,
        /// Signed distance.
        distance: f64,
    },
    /// A surface type the reader does not model.
    Unknown,
}

/// A topological vertex.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vertex {
    /// Position.
    pub point: Vec3,
}

/// A topological edge: a curve bounded by two vertices. When `same_sense` is false the edge
/// runs against the curve's parameter direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Start vertex index.
    pub start: u32,
    /// End vertex index.
    pub end: u32,
    /// The underlying curve.
    pub curve: Curve,
    /// Whether the edge follows the curve's direction.
    pub same_sense: bool,
}

/// An edge used in a loop, in its own direction (`forward`) or reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrientedEdge {
    /// Edge index.
    pub edge: u32,
    /// True when the loop traverses the edge from `start` to `end`.
    pub forward: bool,
}

/// A closed boundary of a face.
#[derive(Debug, Clone, PartialEq)]
pub enum Loop {
    /// A cycle of oriented edges.
    Edges(Vec<OrientedEdge>),
    /// A degenerate loop at a single vertex (e.g. the apex of a cone).
    Vertex(u32),
    /// A polygon (faceted B-Reps: STEP `POLY_LOOP`).
    Poly(Vec<Vec3>),
}

/// One boundary of a face.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceBound {
    /// The loop.
    pub boundary: Loop,
    /// True for the outer bound (`FACE_OUTER_BOUND`).
    pub outer: bool,
    /// False when the loop is used reversed.
    pub orientation: bool,
}

/// A face: a bounded region of a surface.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// The carrier surface.
    pub surface: Surface,
    /// The surface kind, for the census (kept even when `surface` is `Unknown`).
    pub kind: SurfaceKind,
    /// False when the face normal is opposite to the surface normal.
    pub same_sense: bool,
    /// Bounds (outer and holes). Empty for a face bounded only by its surface's natural
    /// domain (e.g. a full sphere, or an untrimmed IGES B-spline surface).
    pub bounds: Vec<FaceBound>,
    /// Triangles given by the file itself (AP242 tessellated faces), already in mm.
    pub triangles: Option<crate::document::Mesh>,
}

/// A connected set of faces.
#[derive(Debug, Clone, PartialEq)]
pub struct Shell {
    /// Face indices.
    pub faces: Vec<u32>,
    /// True for closed shells (`CLOSED_SHELL`).
    pub closed: bool,
}

/// A solid: an outer shell and optional void shells.
#[derive(Debug, Clone, PartialEq)]
pub struct Solid {
    /// Shell indices, the outer one first.
    pub shells: Vec<u32>,
}

/// A complete B-Rep in millimetres, with assembly instances already placed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrepModel {
    /// Vertices.
    pub vertices: Vec<Vertex>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// Faces.
    pub faces: Vec<Face>,
    /// Shells.
    pub shells: Vec<Shell>,
    /// Solids.
    pub solids: Vec<Solid>,
}

impl BrepModel {
    /// Face counts per surface kind.
    pub fn surface_census(&self) -> std::collections::BTreeMap<SurfaceKind, u64> {
        let mut m = std::collections::BTreeMap::new();
        for f in &self.faces {
            *m.entry(f.kind).or_insert(0) += 1;
        }
        m
    }
}

/// What [`analyze`] computes from a [`BrepModel`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrepAnalysis {
    /// The tessellation of every face (mm), watertight where the solids are closed.
    pub mesh: Mesh,
    /// The bounding box of the geometry (not of control points), in mm.
    pub bbox: BoundingBox,
    /// Counts, surface census, areas and volume.
    pub summary: BrepSummary,
    /// Non-fatal problems (faces that could not be tessellated, budgets reached, …).
    pub warnings: Vec<String>,
}

/// Tessellates `model` within `limits` and summarises it.
///
/// Never panics and never exceeds [`Limits::max_triangles`] or [`Limits::max_work`]: a face
/// that cannot be meshed within its budget is reported in `warnings` and left out of the mesh.
pub fn analyze(model: &BrepModel, limits: &Limits) -> Result<BrepAnalysis> {
    analysis::analyze_model(model, limits)
}
