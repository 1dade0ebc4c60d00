//! The cache key scheme.
//!
//! A key names one feature vector: the output of one extractor configuration on one exact
//! byte string. It is
//!
//! ```text
//! [prefix]cadfeat:<cache format>:<feature version>:<options>:<sha256 hex of the bytes>
//! e.g.    cadfeat:1:v4:l3f1c0e9a2b7d4c68:dc919c8f27c3229e9c4a240278f07819b2ed960642d983ceefc6604750b621f2
//! ```
//!
//! * `cadfeat` — a namespace, so that cadfeat's keys can share a Redis database.
//! * `<cache format>` — [`CACHE_FORMAT_VERSION`]. It changes when the value encoding
//!   ([`codec`](super::codec)) or the meaning of any key component changes, so that old
//!   entries are simply never read again (and expire by TTL or eviction).
//! * `<feature version>` — `v1` … `v5`: vectors of different versions never collide.
//! * `<options>` — everything else that can change the output. Today that is the
//!   [`Limits`] (a tighter work budget can change a tessellation, a tighter entity limit turns a
//!   vector into an error): `l` followed by the first 16 hex digits of the SHA-256 of the limit
//!   values. [`KeyBuilder::with_options_tag`] appends a caller-chosen tag for custom
//!   extraction functions.
//! * `<sha256 hex>` — the full 64-hex SHA-256 of the **exact** input bytes (no normalisation:
//!   two files that differ by one byte are two entries). The extension hint is not part of the
//!   key: the format is detected from the content, and the hint only breaks ties that the
//!   content already decides the same way for the same bytes.
//!
//! The original service used `"{sha256}:{version}:layout_v2"` (spec §5.1); cadfeat's keys
//! are deliberately different (namespaced, versioned, options-aware), so the two never mix.
//!
//! SHA-256 comes from the `sha2` crate, which picks the CPU's SHA extensions at run time
//! (about 1.8 GB/s here); hashing runs on the blocking pool for large inputs
//! (see [`CachedExtractor`](super::CachedExtractor)).

use sha2::{Digest, Sha256};

use crate::features::FeatureVersion;
use crate::limits::Limits;

/// The version of the key scheme and value encoding. Part of every key.
pub const CACHE_FORMAT_VERSION: u32 = 1;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

/// The lower-case 64-hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Builds keys for one extractor configuration (feature version + limits + optional tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBuilder {
    /// Everything before the digest, ending with `:`.
    stem: String,
}

impl KeyBuilder {
    /// Keys for vectors of `version` extracted under `limits`.
    pub fn new(version: FeatureVersion, limits: &Limits) -> Self {
        KeyBuilder {
            stem: format!(
                "cadfeat:{CACHE_FORMAT_VERSION}:{}:{}:",
                version.as_str(),
                limits_tag(limits)
            ),
        }
    }

    /// Appends `tag` to the options component (e.g. the name and revision of a custom
    /// extraction function). Characters other than ASCII alphanumerics, `-`, `_` and `.` are
    /// replaced by `_` so that the key stays parseable.
    pub fn with_options_tag(mut self, tag: &str) -> Self {
        let clean: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.stem.pop(); // the trailing ':'
        self.stem.push('+');
        self.stem.push_str(&clean);
        self.stem.push(':');
        self
    }

    /// The key of `bytes`: the stem followed by the SHA-256 of the bytes.
    pub fn key(&self, bytes: &[u8]) -> String {
        self.key_from_digest(&Sha256::digest(bytes))
    }

    /// The key for an already computed SHA-256 digest.
    pub fn key_from_digest(&self, digest: &[u8]) -> String {
        let mut s = String::with_capacity(self.stem.len() + 64);
        s.push_str(&self.stem);
        s.push_str(&to_hex(digest));
        s
    }

    /// Everything before the digest (`cadfeat:1:v4:l…:`).
    pub fn stem(&self) -> &str {
        &self.stem
    }
}

/// `l` + 16 hex digits of the SHA-256 of the limit values in a fixed order.
fn limits_tag(l: &Limits) -> String {
    let mut h = Sha256::new();
    for v in [
        l.max_bytes,
        l.max_entities,
        l.max_triangles,
        l.max_vertices,
        u64::from(l.max_block_depth),
        u64::from(l.max_nesting),
        l.max_expanded_entities,
        l.max_work,
    ] {
        h.update(v.to_le_bytes());
    }
    let d = h.finalize();
    let mut s = String::from("l");
    s.push_str(&to_hex(d.get(..8).unwrap_or(&[])));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_the_original_services_example() {
        // spec §5.1: this content hashes to dc919c8f… (the original's key for v4 was
        // "<digest>:v4:layout_v2").
        let content = b"0\nSECTION\n2\nENTITIES\n0\nENDSEC\n0\nEOF\n";
        assert_eq!(
            sha256_hex(content),
            "dc919c8f27c3229e9c4a240278f07819b2ed960642d983ceefc6604750b621f2"
        );
        let kb = KeyBuilder::new(FeatureVersion::V4, &Limits::default());
        let key = kb.key(content);
        assert!(key.starts_with("cadfeat:1:v4:l"));
        assert!(key.ends_with(":dc919c8f27c3229e9c4a240278f07819b2ed960642d983ceefc6604750b621f2"));
        // cadfeat:1:v4:l<16 hex>:<64 hex>
        assert_eq!(key.len(), "cadfeat:1:v4:".len() + 17 + 1 + 64);
    }

    #[test]
    fn empty_input_digest() {
        // The well-known SHA-256 of the empty string.
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_component_changes_the_key() {
        let l = Limits::default();
        let a = KeyBuilder::new(FeatureVersion::V4, &l).key(b"x");
        let b = KeyBuilder::new(FeatureVersion::V5, &l).key(b"x");
        let c = KeyBuilder::new(
            FeatureVersion::V4,
            &Limits {
                max_work: 1,
                ..Limits::default()
            },
        )
        .key(b"x");
        let d = KeyBuilder::new(FeatureVersion::V4, &l).key(b"y");
        let e = KeyBuilder::new(FeatureVersion::V4, &l)
            .with_options_tag("my fn/2")
            .key(b"x");
        let all = [&a, &b, &c, &d, &e];
        for (i, x) in all.iter().enumerate() {
            for y in all.iter().skip(i + 1) {
                assert_ne!(x, y);
            }
        }
        assert!(e.contains("+my_fn_2:"));
        // Same inputs, same key.
        assert_eq!(a, KeyBuilder::new(FeatureVersion::V4, &l).key(b"x"));
    }
}
