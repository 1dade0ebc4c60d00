//! STEP (ISO 10303-21) reader: AP203, AP214 and AP242 files → [`CadDocument`] with a B-Rep.
//!
//! Two layers, so that a file the B-Rep layer cannot understand still gives a useful document:
//!
//! 1. **Part 21** ([`part21`]): a byte-level scanner (no UTF-8 decoding, no recursion, nesting
//!    and entity count bounded by [`Limits`]) that yields the header ([`header`]), every
//!    instance's type name (→ `metadata.raw_counts`) and lazily parsed parameters.
//! 2. **B-Rep** ([`assembly`], [`topology`], [`units`]): the product structure gives the
//!    root shape representations and the placement of every part instance. Each part's solids,
//!    shells, faces, edges and vertices are converted once — exact geometry, in millimetres —
//!    and copied into a [`crate::brep::BrepModel`] once per placement, moved by the composed
//!    transform from the root. The placed totals are computed on the structure and checked
//!    against [`Limits`] (`max_entities`, `max_expanded_entities`, `max_work`) before any copy.
//!    [`crate::brep::analyze`] then measures and tessellates the model.
//!
//! When layer 2 fails (unsupported structure, broken references), the document is still
//! produced from layer 1 with `metadata.degraded = Some(reason)`: header, unit, raw counts and
//! the solid count taken from the `MANIFOLD_SOLID_BREP` / `BREP_WITH_VOIDS` / `FACETED_BREP`
//! instances. Resource limits ([`crate::Error::LimitExceeded`]) are never downgraded: they
//! fail the read.
//!
//! The document mirrors the original service (spec §2.5): `entity_counts = {"SOLID": n}`,
//! `metadata.solids = Some(n)`, `metadata.parser = "cadfeat-step"`, coordinates in mm
//! (`to_mm = 1`).

pub mod assembly;
pub mod graph;
pub mod header;
pub mod part21;
pub mod topology;
pub mod units;

use std::collections::{BTreeMap, HashMap};

use crate::brep::BrepModel;
use crate::document::{CadDocument, LengthUnit};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::limits::Limits;

use part21::Table;

/// What the B-Rep layer produced.
#[derive(Debug, Clone)]
pub struct BrepRead {
    /// The placed model in mm.
    pub model: BrepModel,
    /// The length unit of the (first) part with geometry.
    pub unit: Option<LengthUnit>,
    /// Number of root representations with geometry.
    pub roots: usize,
    /// Number of placed part instances.
    pub instances: u64,
    /// Warnings (bounded).
    pub warnings: Vec<String>,
}

/// Reads a STEP file.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    let t = part21::scan(bytes, limits)?;
    let mut doc = CadDocument::new(Format::Step);
    doc.metadata.parser = "cadfeat-step".into();
    doc.metadata.header = header::header_facts(&t);
    doc.metadata.raw_counts = raw_counts(&t);
    // `doc.layers` stays empty: the original service reports no layers for STEP and v1's
    // `layer_count` must match it. [`layers`] gives them to callers that want them.
    if !t.duplicates.is_empty() {
        doc.metadata.warnings.push(format!(
            "{} instance names defined twice (first definition kept), e.g. #{}",
            t.duplicates.len(),
            t.duplicates.first().copied().unwrap_or(0)
        ));
    }
    match read_brep(&t, limits) {
        Ok(b) => {
            let analysis = match crate::brep::analyze(&b.model, limits) {
                Ok(a) => a,
                Err(e @ Error::LimitExceeded { .. }) => return Err(e),
                Err(e) => return Ok(degrade(doc, &t, format!("B-Rep analysis failed: {e}"))),
            };
            let n = b.model.solids.len() as u64;
            doc.add_entities("SOLID", None, n);
            doc.metadata.solids = Some(n);
            doc.metadata.surfaces = Some(b.model.faces.len() as u64);
            doc.metadata.unit = b.unit.or_else(|| first_unit(&t));
            doc.metadata.warnings.extend(b.warnings);
            for w in analysis.warnings {
                if doc.metadata.warnings.len() >= topology::MAX_WARNINGS {
                    break;
                }
                doc.metadata.warnings.push(w);
            }
            doc.bbox = analysis.bbox;
            // `metadata.facets` stays unset: the replaced service's STEP documents carry only
            // `solids`, and v3's facets slots must not depend on the tessellation density.
            if !analysis.mesh.is_empty() {
                doc.mesh = Some(analysis.mesh);
            }
            doc.brep = Some(analysis.summary);
            Ok(doc)
        }
        Err(e @ Error::LimitExceeded { .. }) => Err(e),
        Err(e) => Ok(degrade(doc, &t, e.to_string())),
    }
}

/// Fills a document from the Part-21 layer alone.
fn degrade(mut doc: CadDocument, t: &Table<'_>, reason: String) -> CadDocument {
    let c = &doc.metadata.raw_counts;
    let n: u64 = ["MANIFOLD_SOLID_BREP", "BREP_WITH_VOIDS", "FACETED_BREP"]
        .iter()
        .filter_map(|k| c.get(*k))
        .sum();
    doc.add_entities("SOLID", None, n);
    doc.metadata.solids = Some(n);
    doc.metadata.unit = first_unit(t);
    doc.metadata.degraded = Some(reason);
    doc
}

/// The B-Rep layer: product structure, then every placed instance.
pub fn read_brep(t: &Table<'_>, limits: &Limits) -> Result<BrepRead> {
    let s = assembly::structure(t)?;
    let mut warnings: Vec<String> = s
        .warnings
        .iter()
        .take(topology::MAX_WARNINGS)
        .cloned()
        .collect();
    let mut suppressed = s.warnings.len().saturating_sub(topology::MAX_WARNINGS) as u64;
    let mut unit = None;
    let mut roots_with_geometry = 0usize;
    let mut current_root_counted = false;
    // Each part group is converted once, in its own mm coordinates (a prototype); every
    // placement then appends a moved copy. The placed totals are computed over the structure
    // and checked against the limits before anything is copied, so an assembly that
    // multiplies parts beyond them fails at once.
    let order = s.post_order()?;
    let mut protos: Vec<Option<BrepModel>> = vec![None; s.groups.len()];
    let mut own = vec![0u64; s.groups.len()];
    let mut work: u64 = 0;
    for &gi in &order {
        let Some(g) = s.groups.get(gi) else { continue };
        let mut b = topology::Builder::new(t, limits);
        b.begin_instance(crate::brep::Transform::IDENTITY, g.units)?;
        for &item in &g.items {
            b.item(item)?;
        }
        work = work.saturating_add(b.work);
        limits.check(crate::error::LimitKind::Work, work)?;
        for w in b.warnings {
            if warnings.len() < topology::MAX_WARNINGS {
                warnings.push(w);
            } else {
                suppressed += 1;
            }
        }
        suppressed += b.suppressed;
        if let Some(o) = own.get_mut(gi) {
            *o = topology::entity_total(&b.model);
        }
        if let Some(p) = protos.get_mut(gi) {
            *p = Some(b.model);
        }
    }
    limits.check(
        crate::error::LimitKind::ExpandedEntities,
        s.placed_sum(&order, &vec![1; s.groups.len()]),
    )?;
    let total = s.placed_sum(&order, &own);
    limits.check(crate::error::LimitKind::Entities, total)?;
    limits.check(crate::error::LimitKind::Work, work.saturating_add(total))?;
    let mut model = BrepModel::default();
    let instances = s.walk(limits, |inst, is_root| {
        if is_root {
            current_root_counted = false;
        }
        let (Some(g), Some(Some(proto))) = (s.groups.get(inst.group), protos.get(inst.group))
        else {
            return Ok(());
        };
        if !proto.faces.is_empty() || !proto.shells.is_empty() {
            topology::append_placed(&mut model, proto, &inst.xf);
            if unit.is_none() && g.units.declared {
                unit = Some(g.units.length_unit());
            }
            if !current_root_counted {
                current_root_counted = true;
                roots_with_geometry += 1;
            }
        }
        Ok(())
    })?;
    if suppressed > 0 {
        warnings.push(format!("{suppressed} more warnings suppressed"));
    }
    if model.faces.is_empty() && model.shells.is_empty() {
        return Err(Error::Unsupported {
            format: Format::Step,
            message: "no B-Rep or tessellated shape found in the shape representations".into(),
        });
    }
    Ok(BrepRead {
        model,
        unit,
        roots: roots_with_geometry,
        instances,
        warnings,
    })
}
/// The length unit of the first representation context that declares one.
fn first_unit(t: &Table<'_>) -> Option<LengthUnit> {
    let mut names = Vec::new();
    for r in &t.records {
        t.type_names(r, &mut names);
        if names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(b"GLOBAL_UNIT_ASSIGNED_CONTEXT"))
            && let Ok(u) = units::context_units(t, r.id)
            && u.declared
        {
            return Some(u.length_unit());
        }
    }
    None
}

/// `PRESENTATION_LAYER_ASSIGNMENT(name, description, (items))`: layer name → number of
/// assigned items (an unreadable assignment is skipped).
pub fn layers(t: &Table<'_>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut names = Vec::new();
    for r in &t.records {
        t.type_names(r, &mut names);
        if !names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(b"PRESENTATION_LAYER_ASSIGNMENT"))
        {
            continue;
        }
        let Ok(e) = t.parse_record(r) else { continue };
        let Some(p) = e.part("PRESENTATION_LAYER_ASSIGNMENT") else {
            continue;
        };
        let (Some(name), Some(items)) = (
            p.params.first().and_then(part21::Value::as_str_bytes),
            p.params.get(2).and_then(part21::Value::as_list),
        ) else {
            continue;
        };
        *out.entry(part21::decode_string(name)).or_insert(0) += items.len() as u64;
    }
    out
}

/// Instance counts by upper-case type name; a complex instance counts under its part names
/// joined with `+` (e.g. `BOUNDED_CURVE+B_SPLINE_CURVE+…`).
pub fn raw_counts(t: &Table<'_>) -> BTreeMap<String, u64> {
    let mut simple: HashMap<&[u8], u64> = HashMap::new();
    let mut complex: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut names = Vec::new();
    for r in &t.records {
        t.type_names(r, &mut names);
        match names.as_slice() {
            [one] => *simple.entry(one).or_insert(0) += 1,
            [] => {}
            many => *complex.entry(many.join(&b'+')).or_insert(0) += 1,
        }
    }
    let mut out = BTreeMap::new();
    for (k, v) in simple
        .into_iter()
        .map(|(k, v)| (k.to_vec(), v))
        .chain(complex)
    {
        *out.entry(String::from_utf8_lossy(&k).to_ascii_uppercase())
            .or_insert(0) += v;
    }
    out
}
