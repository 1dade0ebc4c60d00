//! The Part-21 header: `FILE_DESCRIPTION`, `FILE_NAME` (optional: FreeCAD files may lack it)
//! and `FILE_SCHEMA`, turned into `metadata.header` keys `description`, `file_name`,
//! `preprocessor_version`, `originating_system`, `schema`.

use std::collections::BTreeMap;

use super::part21::{Table, Value, decode_string};

fn text(v: Option<&Value<'_>>) -> Option<String> {
    match v? {
        Value::Str(s) => Some(decode_string(s)),
        Value::List(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|i| i.as_str_bytes().map(decode_string))
                .filter(|s| !s.is_empty())
                .collect();
            Some(parts.join("; "))
        }
        _ => None,
    }
}

/// Header facts of a scanned file. Missing entities or fields are simply absent.
pub fn header_facts(t: &Table<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|s| !s.trim().is_empty()) {
            out.insert(k.to_string(), v.trim().to_string());
        }
    };
    for e in t.header_entities() {
        let Some(p) = e.parts.first() else { continue };
        if p.name.eq_ignore_ascii_case(b"FILE_DESCRIPTION") {
            put("description", text(p.params.first()));
        } else if p.name.eq_ignore_ascii_case(b"FILE_NAME") {
            put("file_name", text(p.params.first()));
            put("preprocessor_version", text(p.params.get(4)));
            put("originating_system", text(p.params.get(5)));
        } else if p.name.eq_ignore_ascii_case(b"FILE_SCHEMA") {
            put("schema", text(p.params.first()));
        }
    }
    out
}
