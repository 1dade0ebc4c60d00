//! Set-up shared by the benchmark suites (`mod common;` in each).

use cadfeat::{BoundingBox, CadDocument, Format};

/// The parsed DXF-like document that `v4_extract` (benches/extract.rs) and `metrics_v4/dxf_like`
/// (benches/metrics.rs) both time, so their figures compare: 12 entity kinds, 8 layers.
pub fn dxf_like() -> CadDocument {
    let mut doc = CadDocument::new(Format::Dxf);
    let kinds = [
        "LINE",
        "ARC",
        "CIRCLE",
        "LWPOLYLINE",
        "TEXT",
        "MTEXT",
        "INSERT",
        "SPLINE",
        "ELLIPSE",
        "DIMENSION",
        "HATCH",
        "POINT",
    ];
    for (i, k) in kinds.iter().enumerate() {
        let layer = format!("L{}", i % 8);
        doc.add_entities(k, Some(&layer), 10 + 7 * i as u64);
    }
    doc.bbox = BoundingBox::from_corners([-5.0, 0.0, 0.0], [120.0, 80.0, 0.0]);
    doc
}
