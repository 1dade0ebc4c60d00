//! JSON entity export of the service cadfeat replaces (spec `original-service.md` §2.3).
//!
//! The payload is an object with an `entities` array (a top-level array is taken as the
//! entity list), optional `meta`/`metadata`, `text_content` and `dimensions`. Each entity is an
//! object with a `type` (default `UNKNOWN`), an optional `layer` and type-specific geometry.
//!
//! Behaviour kept from the original:
//! * coordinates are rounded to 3 decimals (its `normalize_v2` step) before they are measured;
//! * the bounding box is XY only (z = 0), starts at the first point seen (not at the origin), and
//!   is measured from `LINE` (`start`, `end`), `CIRCLE`/`ARC` (`center ± radius`: an arc counts
//!   as its full circle), `LWPOLYLINE`/`POLYLINE` (`points`), `ELLIPSE` (`center ± ‖major‖ ×
//!   max(1, ratio)`), `SPLINE`/`LEADER` (`control_points` or `vertices`); other types do not
//!   affect it;
//! * an entity's layer is counted only when it is a non-empty string.
//!
//! What differs: invalid JSON is an [`Error::Malformed`] with its line, where the original
//! returned an empty "stub" document; nesting deeper than [`Limits::max_nesting`] and more
//! entities than [`Limits::max_entities`] are limit errors.
//!
//! A point may be written `[x, y]`, `[x, y, z]` or `{"x": …, "y": …}`.

use serde_json::Value;

use crate::document::{BoundingBox, CadDocument, LengthUnit};
use crate::error::{Error, LimitKind, Location, Result};
use crate::format::Format;
use crate::limits::Limits;

/// Reads a JSON entity export.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    check_nesting(bytes, limits)?;
    let text = String::from_utf8_lossy(bytes);
    let value: Value = if text.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(&text).map_err(|e| {
            Error::malformed(Format::Json, Location::Line(e.line() as u64), e.to_string())
        })?
    };
    let payload = match value {
        Value::Array(list) => {
            let mut m = serde_json::Map::new();
            m.insert("entities".into(), Value::Array(list));
            m
        }
        Value::Object(m) => m,
        other => {
            return Err(Error::malformed(
                Format::Json,
                Location::Line(1),
                format!("expected an object or an array at the top level, found {other}"),
            ));
        }
    };

    let mut doc = CadDocument::new(Format::Json);
    doc.metadata.parser = "cadfeat-json".into();
    doc.metadata.unit = Some(LengthUnit::Unitless);
    if let Some(meta) = payload.get("meta").or_else(|| payload.get("metadata")) {
        doc.metadata.header.insert("meta".into(), meta.to_string());
    }
    if let Some(Value::Array(texts)) = payload.get("text_content") {
        let n = texts
            .iter()
            .filter(|t| t.as_str().is_some_and(|s| !s.trim().is_empty()))
            .count();
        doc.metadata.text_count = Some(n as u64);
    }
    doc.metadata.dimension_count = Some(match payload.get("dimensions") {
        Some(Value::Array(a)) => a.len() as u64,
        Some(Value::Object(o)) => o.len() as u64,
        _ => 0,
    });

    let entities = match payload.get("entities") {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    };
    limits.check(LimitKind::Entities, entities.len() as u64)?;
    let mut bbox = BoundingBox::EMPTY;
    for e in entities {
        let Value::Object(obj) = e else { continue };
        let kind = match obj.get("type") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Null) | None => "UNKNOWN".to_string(),
            Some(Value::String(_)) => "UNKNOWN".to_string(),
            Some(other) => other.to_string(),
        };
        let layer = obj
            .get("layer")
            .and_then(Value::as_str)
            .filter(|l| !l.is_empty());
        doc.add_entities(&kind, layer, 1);
        add_entity_extent(&mut bbox, &kind.to_ascii_uppercase(), obj);
    }
    doc.bbox = bbox;
    Ok(doc)
}

/// Rejects input nested deeper than `limits.max_nesting` before parsing it (serde_json would
/// stop at 128 levels on its own; this makes the configured limit the one that applies).
fn check_nesting(bytes: &[u8], limits: &Limits) -> Result<()> {
    let mut depth: u64 = 0;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                limits.check(LimitKind::Nesting, depth)?;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The original's 3-decimal rounding (Python `round(x, 3)`, ties to even).
fn round3(x: f64) -> f64 {
    (x * 1000.0).round_ties_even() / 1000.0
}

fn number(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64).filter(|x| x.is_finite())
}

/// A point as `[x, y(, z)]` or `{"x", "y"}`; only x and y are used.
fn point(v: &Value) -> Option<[f64; 2]> {
    match v {
        Value::Array(a) => Some([number(a.first())?, number(a.get(1))?]),
        Value::Object(o) => Some([number(o.get("x"))?, number(o.get("y"))?]),
        _ => None,
    }
}

fn add_xy(bbox: &mut BoundingBox, p: [f64; 2]) {
    bbox.add([round3(p[0]), round3(p[1]), 0.0]);
}

fn add_entity_extent(bbox: &mut BoundingBox, kind: &str, obj: &serde_json::Map<String, Value>) {
    match kind {
        "LINE" => {
            for key in ["start", "end"] {
                if let Some(p) = obj.get(key).and_then(point) {
                    add_xy(bbox, p);
                }
            }
        }
        "CIRCLE" | "ARC" => {
            if let (Some(c), Some(r)) =
                (obj.get("center").and_then(point), number(obj.get("radius")))
            {
                let (c, r) = ([round3(c[0]), round3(c[1])], round3(r));
                bbox.add([c[0] - r, c[1] - r, 0.0]);
                bbox.add([c[0] + r, c[1] + r, 0.0]);
            }
        }
        "LWPOLYLINE" | "POLYLINE" => {
            if let Some(Value::Array(pts)) = obj.get("points") {
                for p in pts.iter().filter_map(point) {
                    add_xy(bbox, p);
                }
            }
        }
        "ELLIPSE" => {
            let center = obj.get("center").and_then(point);
            let major = obj
                .get("major_axis")
                .or_else(|| obj.get("major"))
                .and_then(point);
            if let (Some(c), Some(m)) = (center, major) {
                let ratio = number(obj.get("ratio")).unwrap_or(1.0);
                let r = (round3(m[0]).hypot(round3(m[1]))) * ratio.max(1.0);
                let c = [round3(c[0]), round3(c[1])];
                bbox.add([c[0] - r, c[1] - r, 0.0]);
                bbox.add([c[0] + r, c[1] + r, 0.0]);
            }
        }
        "SPLINE" | "LEADER" => {
            let pts = obj.get("control_points").or_else(|| obj.get("vertices"));
            if let Some(Value::Array(pts)) = pts {
                for p in pts.iter().filter_map(point) {
                    add_xy(bbox, p);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The golden example of spec §2.3.
    #[test]
    fn golden_example() {
        let src = br#"{"entities": [
            {"type": "LINE", "layer": "0", "start": [0, 0], "end": [10, 0]},
            {"type": "CIRCLE", "layer": "A", "center": [5, 5], "radius": 2},
            {"type": "TEXT", "text": "Bolt_M6x20"}
        ], "text_content": ["Bolt_M6x20"]}"#;
        let doc = read(src, &Limits::default()).unwrap();
        assert_eq!(doc.layers.len(), 2);
        assert_eq!(doc.layers["0"], 1);
        assert_eq!(doc.layers["A"], 1);
        assert_eq!(doc.bbox.min(), Some([0.0, 0.0, 0.0]));
        assert_eq!(doc.bbox.max(), Some([10.0, 7.0, 0.0]));
        assert_eq!(doc.entity_counts["LINE"], 1);
        assert_eq!(doc.entity_counts["CIRCLE"], 1);
        assert_eq!(doc.entity_counts["TEXT"], 1);
        assert_eq!(doc.metadata.text_count, Some(1));
    }

    #[test]
    fn box_starts_at_first_point_not_origin() {
        let doc = read(
            br#"[{"type": "LINE", "start": {"x": 5, "y": 6}, "end": [7, 9]}]"#,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(doc.bbox.min(), Some([5.0, 6.0, 0.0]));
        assert_eq!(doc.bbox.max(), Some([7.0, 9.0, 0.0]));
        assert!(doc.layers.is_empty());
    }

    #[test]
    fn empty_and_malformed() {
        let doc = read(b"  ", &Limits::default()).unwrap();
        assert_eq!(doc.entity_count(), 0);
        assert!(doc.bbox.is_empty());
        match read(b"{\n\"entities\": [\n1,", &Limits::default()) {
            Err(Error::Malformed {
                format: Format::Json,
                location: Location::Line(3),
                ..
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
        let deep = "[".repeat(10_000);
        assert!(matches!(
            read(deep.as_bytes(), &Limits::default()),
            Err(Error::LimitExceeded {
                limit: LimitKind::Nesting,
                ..
            })
        ));
    }

    #[test]
    fn ellipse_and_rounding() {
        let doc = read(
            br#"[{"type": "ELLIPSE", "center": [0, 0], "major_axis": [3, 4], "ratio": 0.5},
                 {"type": "POLYLINE", "points": [[1.23449, 0], [0, -6.0004]]}]"#,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(doc.bbox.min(), Some([-5.0, -6.0, 0.0]));
        assert_eq!(doc.bbox.max(), Some([5.0, 5.0, 0.0]));
    }
}
