//! The Grafana dashboard (`dashboards/cadfeat.json`) only queries metrics that cadfeat exposes:
//! every metric name in every PromQL expression of the dashboard must be a sample name in the
//! rendered exposition (the original service had a script for this; here it is a test).

#![cfg(feature = "metrics")]

use std::collections::BTreeSet;

use cadfeat::metrics::{METRIC_NAMES, Metrics};

const KEYWORDS: [&str; 14] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "atan2",
    "inf",
    "nan",
];

/// Removes `open … close` blocks (`{…}` matchers, `[…]` ranges), string literals first.
fn strip_blocks(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    let mut depth_brace = 0usize;
    let mut depth_bracket = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                // Skip the literal, honouring backslash escapes.
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
            }
            '{' => depth_brace += 1,
            '}' => depth_brace = depth_brace.saturating_sub(1),
            '[' => depth_bracket += 1,
            ']' => depth_bracket = depth_bracket.saturating_sub(1),
            _ if depth_brace > 0 || depth_bracket > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// Removes the label lists of `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`,
/// `group_left (…)`, `group_right (…)`.
fn strip_groupings(s: &str) -> String {
    let mut out = s.to_owned();
    for kw in [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ] {
        while let Some(at) = find_word(&out, kw) {
            let rest = &out[at + kw.len()..];
            let trimmed = rest.trim_start();
            if !trimmed.starts_with('(') {
                // A keyword without a list (e.g. `group_left` alone): drop the word.
                out.replace_range(at..at + kw.len(), " ");
                continue;
            }
            let open = at + kw.len() + (rest.len() - trimmed.len());
            let close = out[open..]
                .find(')')
                .map(|i| open + i)
                .expect("closed label list");
            out.replace_range(at..=close, " ");
        }
    }
    out
}

/// Byte offset of `word` as a whole identifier.
fn find_word(s: &str, word: &str) -> Option<usize> {
    let is_id = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut from = 0;
    while let Some(i) = s[from..].find(word).map(|i| from + i) {
        let before = s[..i].chars().next_back();
        let after = s[i + word.len()..].chars().next();
        if !before.is_some_and(is_id) && !after.is_some_and(is_id) {
            return Some(i);
        }
        from = i + word.len();
    }
    None
}

/// The metric names a PromQL expression reads.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let s = strip_groupings(&strip_blocks(expr));
    let chars: Vec<char> = s.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // A number (0.95, 1e3): skip it whole.
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let is_call = chars.get(j) == Some(&'(');
            if !is_call && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
                names.insert(word);
            }
            continue;
        }
        i += 1;
    }
    names
}

/// Every `expr` of every panel target, rows' nested panels included.
fn dashboard_exprs() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/dashboards/cadfeat.json");
    let text = std::fs::read_to_string(path).expect("dashboards/cadfeat.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("dashboard is JSON");
    let mut out = Vec::new();
    let mut stack: Vec<&serde_json::Value> = json["panels"].as_array().unwrap().iter().collect();
    while let Some(p) = stack.pop() {
        if let Some(inner) = p["panels"].as_array() {
            stack.extend(inner);
        }
        for t in p["targets"].as_array().into_iter().flatten() {
            if let Some(e) = t["expr"].as_str() {
                out.push(e.to_owned());
            }
        }
    }
    out
}

/// Sample names of the exposition (`name` of `name{labels} value`).
fn sample_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let end = l.find(['{', ' ']).unwrap_or(l.len());
            l[..end].to_owned()
        })
        .collect()
}

#[test]
fn the_extractor_finds_metric_names_and_only_them() {
    let e = r#"histogram_quantile(0.95, sum by (le, version) (rate(a_seconds_bucket{tier="l1",x=~"a|b"}[$__rate_interval])))
        / on (version) group_left sum without (job) (b_total offset 5m) > bool 0.5 and c:recorded or vector(1)"#;
    let want: BTreeSet<String> = ["a_seconds_bucket", "b_total", "c:recorded"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(metric_names(e), want);
}

#[test]
fn every_metric_in_the_dashboard_exists_in_the_exposition() {
    let exprs = dashboard_exprs();
    assert!(exprs.len() >= 20, "only {} expressions found", exprs.len());
    let used: BTreeSet<String> = exprs.iter().flat_map(|e| metric_names(e)).collect();
    let exposed = sample_names(&Metrics::new().render());
    let missing: Vec<&String> = used.iter().filter(|n| !exposed.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "dashboard queries unknown metrics: {missing:?}"
    );
    // Every metric family cadfeat exposes has a panel.
    for family in METRIC_NAMES {
        let covered = used.iter().any(|n| {
            n == family
                || ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| n.strip_suffix(s) == Some(family))
        });
        assert!(covered, "no dashboard panel reads {family}");
    }
}

#[test]
fn the_exposition_has_exactly_the_documented_families() {
    let text = Metrics::new().render();
    let families: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let documented: BTreeSet<&str> = METRIC_NAMES.iter().copied().collect();
    assert_eq!(families, documented);
    // The original's misleading per-process "last hour" gauges are gone.
    assert!(!text.contains("last_hour"));
}
