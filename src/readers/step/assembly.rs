//! Product structure: which shape representations are roots and where every part instance
//! sits.
//!
//! * Shape representations (`SHAPE_REPRESENTATION`, `ADVANCED_BREP_SHAPE_REPRESENTATION`,
//!   `TESSELLATED_SHAPE_REPRESENTATION`, … — any type whose name contains
//!   `SHAPE_REPRESENTATION`; draughting and presentation models are not shapes) are joined into
//!   *groups* by plain `SHAPE_REPRESENTATION_RELATIONSHIP`s (and AP242's
//!   `MECHANICAL_DESIGN_AND_DRAUGHTING_RELATIONSHIP`): a part's `SHAPE_REPRESENTATION` and the
//!   B-Rep representation it points to are one part. Constructive (supplemental) geometry is
//!   not part of the shape.
//! * A `REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION` with an `ITEM_DEFINED_TRANSFORMATION`
//!   places `rep_1` (the component) in `rep_2` (the assembly): the transform maps the
//!   component's `transform_item_1` frame onto the assembly's `transform_item_2` frame. When the
//!   `NEXT_ASSEMBLY_USAGE_OCCURRENCE` of its `CONTEXT_DEPENDENT_SHAPE_REPRESENTATION` says the
//!   exporter wrote the two the other way round, they are swapped (OpenCascade does the same).
//! * A `MAPPED_ITEM` inside a shape representation places its `REPRESENTATION_MAP`'s
//!   representation by `mapping_target ∘ mapping_origin⁻¹`.
//! * Roots are the groups that are nobody's component and — when the file has a product
//!   structure — hold the shape of a `PRODUCT_DEFINITION` (not of a shape aspect): this matches
//!   the roots OpenCascade transfers on every corpus file. Every root is placed with the
//!   identity, then each component with the composed transform, depth-first with an explicit
//!   stack ([`Structure::walk`]). A cycle is an error ([`Structure::post_order`]); placed totals
//!   are computed without expanding ([`Structure::placed_sum`]).

use std::collections::{HashMap, HashSet};

use super::graph::{err, first, get_ref, get_refs};
use super::part21::{Entity, Table};
use super::topology::{frame_inverse, frame_to_transform, local_frame};
use super::units::{Units, context_units};
use crate::brep::Transform;
use crate::error::{Error, LimitKind, Result};
use crate::limits::Limits;

/// Deepest assembly nesting followed.
pub const MAX_DEPTH: usize = 64;

/// A set of shape representations that describe the same part.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Representation ids.
    pub reps: Vec<u64>,
    /// Items of all the representations.
    pub items: Vec<u64>,
    /// Units of the first representation context that declares them.
    pub units: Units,
}

/// The product structure of a file.
#[derive(Debug, Clone, Default)]
pub struct Structure {
    /// Part groups.
    pub groups: Vec<Group>,
    /// Components of each group: (child group, child → parent transform in mm).
    pub children: Vec<Vec<(usize, Transform)>>,
    /// Groups that are nobody's component.
    pub roots: Vec<usize>,
    /// Non-fatal problems.
    pub warnings: Vec<String>,
}

/// One placed part.
#[derive(Debug, Clone, Copy)]
pub struct Instance {
    /// The group.
    pub group: usize,
    /// Part mm → world mm.
    pub xf: Transform,
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// True for `PRODUCT_DEFINITION` and its subtypes (not its shape, formation, context, usage…).
fn is_product_definition_name(n: &[u8]) -> bool {
    n.len() >= 18
        && n.get(..18)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"PRODUCT_DEFINITION"))
        && !contains_ci(n, b"SHAPE")
        && !contains_ci(n, b"RELATIONSHIP")
        && !contains_ci(n, b"USAGE")
        && !contains_ci(n, b"FORMATION")
        && !contains_ci(n, b"CONTEXT")
}

/// True when a type name denotes a shape representation.
pub fn is_shape_rep_name(n: &[u8]) -> bool {
    contains_ci(n, b"SHAPE_REPRESENTATION")
        && !contains_ci(n, b"RELATIONSHIP")
        && !contains_ci(n, b"CONTEXT_DEPENDENT")
}

struct Uf(Vec<usize>);
impl Uf {
    fn find(&mut self, mut x: usize) -> usize {
        while let Some(&p) = self.0.get(x) {
            if p == x {
                break;
            }
            let gp = self.0.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.0.get_mut(x) {
                *slot = gp;
            }
            x = p;
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b
            && let Some(s) = self.0.get_mut(b)
        {
            *s = a;
        }
    }
}

/// (name, items, context) of a representation, simple or complex.
fn rep_parts(e: &Entity<'_>) -> Result<(Vec<u64>, Option<u64>)> {
    for p in &e.parts {
        if p.params.len() >= 3 && p.params.get(1).and_then(|v| v.as_list()).is_some() {
            let items = get_refs(e, p, 1)?;
            let ctx = p.params.get(2).and_then(|v| v.as_ref_id());
            return Ok((items, ctx));
        }
    }
    Err(err(e.id, "representation without items"))
}

/// Reads the product structure.
pub fn structure(t: &Table<'_>) -> Result<Structure> {
    let mut rep_ids: Vec<u64> = Vec::new();
    let mut rels = Vec::new();
    let mut mapped = HashSet::new();
    let mut cdsrs = Vec::new();
    let mut sdrs = Vec::new();
    let mut names = Vec::new();
    for r in &t.records {
        t.type_names(r, &mut names);
        let mut is_rep = false;
        for n in &names {
            if is_shape_rep_name(n) {
                is_rep = true;
            } else if (contains_ci(n, b"REPRESENTATION_RELATIONSHIP")
                || n.eq_ignore_ascii_case(b"MECHANICAL_DESIGN_AND_DRAUGHTING_RELATIONSHIP"))
                && !contains_ci(n, b"CONSTRUCTIVE_GEOMETRY")
            {
                rels.push(r.id);
            } else if n.eq_ignore_ascii_case(b"MAPPED_ITEM") {
                mapped.insert(r.id);
            } else if n.eq_ignore_ascii_case(b"CONTEXT_DEPENDENT_SHAPE_REPRESENTATION") {
                cdsrs.push(r.id);
            } else if n.eq_ignore_ascii_case(b"SHAPE_DEFINITION_REPRESENTATION") {
                sdrs.push(r.id);
            }
        }
        if is_rep {
            rep_ids.push(r.id);
        }
    }
    rels.sort_unstable();
    rels.dedup();
    let idx: HashMap<u64, usize> = rep_ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut uf = Uf((0..rep_ids.len()).collect());
    let mut warnings = Vec::new();

    // Parsed representations.
    let mut rep_items = Vec::with_capacity(rep_ids.len());
    let mut rep_units = Vec::with_capacity(rep_ids.len());
    for &id in &rep_ids {
        // A broken representation is left empty with a warning rather than failing the file;
        // if it held the geometry, the B-Rep ends up empty and the reader degrades.
        let (items, ctx) = match t.entity(id).and_then(|e| rep_parts(&e)) {
            Ok(x) => x,
            Err(e) => {
                warnings.push(format!("representation #{id} skipped: {e}"));
                (Vec::new(), None)
            }
        };
        let units = match ctx.map(|c| context_units(t, c)) {
            Some(Ok(u)) => u,
            Some(Err(e)) => {
                warnings.push(format!(
                    "representation #{id}: units not read ({e}); mm assumed"
                ));
                Units::default()
            }
            None => Units::default(),
        };
        rep_items.push(items);
        rep_units.push(units);
    }

    // Relationships: identity unions and placed components.
    struct Placed {
        rel: u64,
        rep1: usize,
        rep2: usize,
        item1: u64,
        item2: u64,
    }
    let mut placed = Vec::new();
    for &id in &rels {
        let e = t.entity(id)?;
        let p = e
            .part("REPRESENTATION_RELATIONSHIP")
            .or(e.part("SHAPE_REPRESENTATION_RELATIONSHIP"))
            .filter(|p| p.params.len() >= 4)
            .or_else(|| e.parts.iter().find(|p| p.params.len() >= 4));
        let Some(p) = p else { continue };
        let (r1, r2) = (get_ref(&e, p, 2)?, get_ref(&e, p, 3)?);
        let (Some(&a), Some(&b)) = (idx.get(&r1), idx.get(&r2)) else {
            continue;
        };
        if let Some(w) = e.part("REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION") {
            let tid = get_ref(&e, w, 0)?;
            let te = t.entity(tid)?;
            match te.part("ITEM_DEFINED_TRANSFORMATION") {
                Some(tp) => placed.push(Placed {
                    rel: id,
                    rep1: a,
                    rep2: b,
                    item1: get_ref(&te, tp, 2)?,
                    item2: get_ref(&te, tp, 3)?,
                }),
                None => warnings.push(format!(
                    "#{id}: transformation {} not supported, component skipped",
                    te.type_name()
                )),
            }
        } else {
            uf.union(a, b);
        }
    }

    // Which relationships are written parent-first: NAUO (relating = parent, related = child)
    // through CONTEXT_DEPENDENT_SHAPE_REPRESENTATION, and product definition → representations
    // through SHAPE_DEFINITION_REPRESENTATION.
    let mut pd_reps: HashMap<u64, Vec<usize>> = HashMap::new();
    // Representations that are the shape of a product definition (not of a shape aspect or
    // another property): OpenCascade's roots are taken among these.
    let mut product_reps: Vec<usize> = Vec::new();
    let mut tn = Vec::new();
    for &id in &sdrs {
        let e = t.entity(id)?;
        let p = first(&e)?;
        let (Ok(pds), Ok(rep)) = (get_ref(&e, p, 0), get_ref(&e, p, 1)) else {
            continue;
        };
        let Some(&ri) = idx.get(&rep) else { continue };
        let Ok(pe) = t.entity(pds) else { continue };
        if !pe.is("PRODUCT_DEFINITION_SHAPE") {
            continue;
        }
        let Some(pp) = pe.parts.first() else { continue };
        if let Some(pd) = pp.params.get(2).and_then(|v| v.as_ref_id()) {
            pd_reps.entry(pd).or_default().push(ri);
            if let Some(rec) = t.record(pd) {
                t.type_names(rec, &mut tn);
                if tn.iter().any(|n| is_product_definition_name(n)) {
                    product_reps.push(ri);
                }
            }
        }
    }
    let mut swapped: HashSet<u64> = HashSet::new();
    for &id in &cdsrs {
        let e = t.entity(id)?;
        let p = first(&e)?;
        let (Ok(rel), Ok(pds)) = (get_ref(&e, p, 0), get_ref(&e, p, 1)) else {
            continue;
        };
        let Ok(pe) = t.entity(pds) else { continue };
        let Some(nauo) = pe
            .parts
            .first()
            .and_then(|pp| pp.params.get(2))
            .and_then(|v| v.as_ref_id())
        else {
            continue;
        };
        let Ok(ne) = t.entity(nauo) else { continue };
        let Some(np) = ne.parts.first() else { continue };
        let (Some(parent), Some(child)) = (
            np.params.get(3).and_then(|v| v.as_ref_id()),
            np.params.get(4).and_then(|v| v.as_ref_id()),
        ) else {
            continue;
        };
        let Some(pl) = placed.iter().find(|pl| pl.rel == rel) else {
            continue;
        };
        let g = |uf: &mut Uf, pd: u64| -> Vec<usize> {
            pd_reps
                .get(&pd)
                .map_or(Vec::new(), |v| v.iter().map(|&r| uf.find(r)).collect())
        };
        let (pg, cg) = (g(&mut uf, parent), g(&mut uf, child));
        let (g1, g2) = (uf.find(pl.rep1), uf.find(pl.rep2));
        if pg.contains(&g1) && cg.contains(&g2) && !(cg.contains(&g1) && pg.contains(&g2)) {
            swapped.insert(rel);
        }
    }

    // Groups.
    let mut group_of = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (i, &id) in rep_ids.iter().enumerate() {
        let root = uf.find(i);
        let gi = *group_of.entry(root).or_insert_with(|| {
            groups.push(Group::default());
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(gi) {
            g.reps.push(id);
            g.items
                .extend(rep_items.get(i).into_iter().flatten().copied());
            let u = rep_units.get(i).copied().unwrap_or_default();
            if !g.units.declared && u.declared {
                g.units = u;
            }
        }
    }
    let gidx = |uf: &mut Uf, rep: usize| group_of.get(&uf.find(rep)).copied();
    let mut children: Vec<Vec<(usize, Transform)>> = vec![Vec::new(); groups.len()];
    let mut is_child = vec![false; groups.len()];
    for pl in &placed {
        let (mut child, mut parent) = (pl.rep1, pl.rep2);
        let (mut ci, mut pi) = (pl.item1, pl.item2);
        if swapped.contains(&pl.rel) {
            std::mem::swap(&mut child, &mut parent);
            std::mem::swap(&mut ci, &mut pi);
        }
        let (Some(cg), Some(pg)) = (gidx(&mut uf, child), gidx(&mut uf, parent)) else {
            continue;
        };
        let cu = groups.get(cg).map_or(1.0, |g| g.units.length_mm);
        let pu = groups.get(pg).map_or(1.0, |g| g.units.length_mm);
        let fc = local_frame(t, ci, cu)?;
        let fp = local_frame(t, pi, pu)?;
        let xf = frame_to_transform(&fp).then_after(&frame_inverse(&fc));
        if cg == pg {
            warnings.push(format!("#{}: a part placed inside itself, skipped", pl.rel));
            continue;
        }
        if let Some(c) = children.get_mut(pg) {
            c.push((cg, xf));
        }
        if let Some(f) = is_child.get_mut(cg) {
            *f = true;
        }
    }
    // Mapped items inside shape representations.
    for (gi, g) in groups.iter().enumerate() {
        for &item in &g.items {
            if !mapped.contains(&item) {
                continue;
            }
            let e = t.entity(item)?;
            let p = first(&e)?;
            let map = t.entity(get_ref(&e, p, 1)?)?;
            let mp = first(&map)?;
            let origin = get_ref(&map, mp, 0)?;
            let rep = get_ref(&map, mp, 1)?;
            let target = get_ref(&e, p, 2)?;
            let Some(&ri) = idx.get(&rep) else { continue };
            let Some(cg) = group_of.get(&uf.find(ri)).copied() else {
                continue;
            };
            if cg == gi {
                continue;
            }
            let cu = groups.get(cg).map_or(1.0, |g| g.units.length_mm);
            let fo = local_frame(t, origin, cu)?;
            let xf = match local_frame(t, target, g.units.length_mm) {
                Ok(ft) => frame_to_transform(&ft).then_after(&frame_inverse(&fo)),
                Err(_) => {
                    warnings.push(format!(
                        "#{item}: mapping target is not an axis placement; identity used"
                    ));
                    frame_inverse(&fo)
                }
            };
            if let Some(c) = children.get_mut(gi) {
                c.push((cg, xf));
            }
            if let Some(f) = is_child.get_mut(cg) {
                *f = true;
            }
        }
    }
    // Roots: groups that are nobody's component and, when the file has a product structure,
    // hold the shape of a product definition.
    let mut is_product = vec![product_reps.is_empty(); groups.len()];
    for &r in &product_reps {
        if let Some(g) = group_of.get(&uf.find(r)).copied()
            && let Some(f) = is_product.get_mut(g)
        {
            *f = true;
        }
    }
    let roots = (0..groups.len())
        .filter(|&g| {
            !is_child.get(g).copied().unwrap_or(false)
                && is_product.get(g).copied().unwrap_or(false)
        })
        .collect();
    Ok(Structure {
        groups,
        children,
        roots,
        warnings,
    })
}

impl Structure {
    /// The groups reachable from the roots, each once, components before their assemblies.
    /// A cycle in the product structure is a malformed-input error.
    pub fn post_order(&self) -> Result<Vec<usize>> {
        let n = self.groups.len();
        let mut state = vec![0u8; n]; // 0 unseen, 1 on the path, 2 done
        let mut out = Vec::new();
        for &r in &self.roots {
            if state.get(r).copied() != Some(0) {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(r, 0)];
            if let Some(s) = state.get_mut(r) {
                *s = 1;
            }
            while let Some(top) = stack.last_mut() {
                let (g, i) = *top;
                match self.children.get(g).and_then(|c| c.get(i)) {
                    Some(&(c, _)) => {
                        top.1 += 1;
                        match state.get(c).copied() {
                            Some(0) => {
                                if let Some(s) = state.get_mut(c) {
                                    *s = 1;
                                }
                                stack.push((c, 0));
                            }
                            Some(1) => {
                                return Err(Error::malformed(
                                    crate::format::Format::Step,
                                    crate::error::Location::Entity(
                                        self.groups
                                            .get(c)
                                            .and_then(|g| g.reps.first().copied())
                                            .unwrap_or(0),
                                    ),
                                    "the assembly structure has a cycle",
                                ));
                            }
                            _ => {}
                        }
                    }
                    None => {
                        if let Some(s) = state.get_mut(g) {
                            *s = 2;
                        }
                        out.push(g);
                        stack.pop();
                    }
                }
            }
        }
        Ok(out)
    }

    /// The sum of `own[g]` over every placed instance (a part placed k times counts k times),
    /// computed over the structure without expanding it. `order` is [`Structure::post_order`].
    pub fn placed_sum(&self, order: &[usize], own: &[u64]) -> u64 {
        let mut sum = vec![0u64; self.groups.len()];
        for &g in order {
            let mut v = own.get(g).copied().unwrap_or(0);
            for &(c, _) in self.children.get(g).map_or(&[][..], |c| c.as_slice()) {
                v = v.saturating_add(sum.get(c).copied().unwrap_or(0));
            }
            if let Some(s) = sum.get_mut(g) {
                *s = v;
            }
        }
        self.roots.iter().fold(0u64, |a, &r| {
            a.saturating_add(sum.get(r).copied().unwrap_or(0))
        })
    }

    /// Visits every placed part instance, roots first, depth-first, without storing them. The
    /// number of instances is bounded by `limits.max_expanded_entities`; nesting deeper than
    /// [`MAX_DEPTH`] is an error. Returns the number of instances visited.
    pub fn walk(
        &self,
        limits: &Limits,
        mut visit: impl FnMut(Instance, bool) -> Result<()>,
    ) -> Result<u64> {
        let mut n: u64 = 0;
        let mut stack: Vec<(usize, Transform, usize)> = self
            .roots
            .iter()
            .rev()
            .map(|&g| (g, Transform::IDENTITY, 0))
            .collect();
        while let Some((g, xf, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(Error::LimitExceeded {
                    limit: LimitKind::Nesting,
                    actual: depth as u64,
                    max: MAX_DEPTH as u64,
                });
            }
            n += 1;
            limits.check(LimitKind::ExpandedEntities, n)?;
            visit(Instance { group: g, xf }, depth == 0)?;
            if let Some(ch) = self.children.get(g) {
                for (c, cx) in ch.iter().rev() {
                    stack.push((*c, xf.then_after(cx), depth + 1));
                }
            }
        }
        Ok(n)
    }
}
