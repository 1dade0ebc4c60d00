//! The value encoding used in L2: compact, versioned, checksummed.
//!
//! ```text
//! offset  size  field
//! 0       4     magic  b"CFV1"          (cadfeat feature vector)
//! 4       1     codec format version    (CODEC_VERSION = 1)
//! 5       1     feature version number  (1 … 5)
//! 6       2     slot count n, u16 LE    (must equal the feature version's dimension)
//! 8       8·n   values, f64 LE          (bit-exact: NaN payloads and -0.0 survive)
//! 8+8n    8     checksum: the first 8 bytes of SHA-256 over bytes 0 .. 8+8n
//! ```
//!
//! A v4 vector (24 slots) takes 208 bytes, a v5 vector (64 slots) 528. Decoding checks every
//! field and the exact length; anything else — garbage, a truncated value, another program's
//! data, another codec version, a flipped bit — is a [`CodecError`], never a panic and never a
//! wrong vector (a random value passes the checksum with probability 2⁻⁶⁴).

use sha2::{Digest, Sha256};

use crate::features::{FeatureVector, FeatureVersion};

/// The four magic bytes at the start of every value.
pub const MAGIC: [u8; 4] = *b"CFV1";
/// The codec format version (byte 4).
pub const CODEC_VERSION: u8 = 1;
const HEADER: usize = 8;
const CHECKSUM: usize = 8;

/// Why a stored value was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// Shorter than a header plus checksum, or the length does not match the slot count.
    Length {
        /// Bytes found.
        actual: usize,
        /// Bytes the header implies (0 when the header itself is incomplete).
        expected: usize,
    },
    /// The value does not start with [`MAGIC`].
    Magic,
    /// Another codec format version.
    CodecVersion(u8),
    /// An unknown feature version number.
    FeatureVersion(u8),
    /// The slot count does not match the feature version's dimension.
    SlotCount {
        /// Slots found.
        actual: usize,
        /// Slots the version has.
        expected: usize,
    },
    /// The checksum does not match.
    Checksum,
    /// The vector to encode has the wrong length for its version.
    InvalidVector,
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::Length { actual, expected } => {
                write!(f, "value length {actual}, expected {expected}")
            }
            CodecError::Magic => f.write_str("bad magic"),
            CodecError::CodecVersion(v) => write!(f, "unknown codec version {v}"),
            CodecError::FeatureVersion(v) => write!(f, "unknown feature version {v}"),
            CodecError::SlotCount { actual, expected } => {
                write!(f, "{actual} slots, expected {expected}")
            }
            CodecError::Checksum => f.write_str("checksum mismatch"),
            CodecError::InvalidVector => f.write_str("vector length does not match its version"),
        }
    }
}

impl std::error::Error for CodecError {}

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM] {
    let d = Sha256::digest(bytes);
    let mut out = [0u8; CHECKSUM];
    for (o, b) in out.iter_mut().zip(d.iter()) {
        *o = *b;
    }
    out
}

/// Encodes `v`. Fails only when `v.values.len() != v.version.dim()`.
pub fn encode_vector(v: &FeatureVector) -> Result<Vec<u8>, CodecError> {
    let n = v.values.len();
    if n != v.version.dim() {
        return Err(CodecError::InvalidVector);
    }
    let count = u16::try_from(n).map_err(|_| CodecError::InvalidVector)?;
    let mut out = Vec::with_capacity(HEADER + 8 * n + CHECKSUM);
    out.extend_from_slice(&MAGIC);
    out.push(CODEC_VERSION);
    out.push(v.version.number());
    out.extend_from_slice(&count.to_le_bytes());
    for x in &v.values {
        out.extend_from_slice(&x.to_le_bytes());
    }
    let c = checksum(&out);
    out.extend_from_slice(&c);
    Ok(out)
}

/// Decodes a value written by [`encode_vector`], checking every field.
pub fn decode_vector(bytes: &[u8]) -> Result<FeatureVector, CodecError> {
    let (Some(magic), Some(&codec), Some(&ver), Some(count)) =
        (bytes.get(0..4), bytes.get(4), bytes.get(5), bytes.get(6..8))
    else {
        return Err(CodecError::Length {
            actual: bytes.len(),
            expected: 0,
        });
    };
    if magic != MAGIC {
        return Err(CodecError::Magic);
    }
    if codec != CODEC_VERSION {
        return Err(CodecError::CodecVersion(codec));
    }
    let version = FeatureVersion::from_number(ver).map_err(|_| CodecError::FeatureVersion(ver))?;
    let n = usize::from(u16::from_le_bytes([
        count.first().copied().unwrap_or(0),
        count.get(1).copied().unwrap_or(0),
    ]));
    if n != version.dim() {
        return Err(CodecError::SlotCount {
            actual: n,
            expected: version.dim(),
        });
    }
    let body_end = HEADER + 8 * n;
    let expected = body_end + CHECKSUM;
    if bytes.len() != expected {
        return Err(CodecError::Length {
            actual: bytes.len(),
            expected,
        });
    }
    let (Some(body), Some(sum)) = (bytes.get(..body_end), bytes.get(body_end..)) else {
        return Err(CodecError::Length {
            actual: bytes.len(),
            expected,
        });
    };
    if checksum(body) != sum {
        return Err(CodecError::Checksum);
    }
    let values = body
        .get(HEADER..)
        .unwrap_or(&[])
        .chunks_exact(8)
        .map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            f64::from_le_bytes(a)
        })
        .collect();
    Ok(FeatureVector { version, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(version: FeatureVersion) -> FeatureVector {
        FeatureVector {
            version,
            values: (0..version.dim()).map(|i| i as f64 * 0.5 - 3.0).collect(),
        }
    }

    #[test]
    fn round_trips_every_version_bit_exactly() {
        for v in FeatureVersion::ALL {
            let mut fv = sample(v);
            fv.values[0] = -0.0;
            fv.values[1] = f64::from_bits(0x7ff8_0000_dead_beef);
            let enc = encode_vector(&fv).unwrap();
            assert_eq!(enc.len(), 16 + 8 * v.dim());
            let dec = decode_vector(&enc).unwrap();
            assert_eq!(dec.version, v);
            let a: Vec<u64> = fv.values.iter().map(|x| x.to_bits()).collect();
            let b: Vec<u64> = dec.values.iter().map(|x| x.to_bits()).collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn rejects_every_kind_of_damage() {
        let enc = encode_vector(&sample(FeatureVersion::V4)).unwrap();
        assert_eq!(enc.len(), 208);
        assert!(matches!(decode_vector(b""), Err(CodecError::Length { .. })));
        assert!(matches!(
            decode_vector(b"hello world, not a vector"),
            Err(CodecError::Magic)
        ));
        assert!(matches!(
            decode_vector(&enc[..enc.len() - 1]),
            Err(CodecError::Length { .. })
        ));
        let mut longer = enc.clone();
        longer.push(0);
        assert!(matches!(
            decode_vector(&longer),
            Err(CodecError::Length { .. })
        ));
        let mut other_codec = enc.clone();
        other_codec[4] = 2;
        assert_eq!(
            decode_vector(&other_codec),
            Err(CodecError::CodecVersion(2))
        );
        let mut bad_version = enc.clone();
        bad_version[5] = 9;
        assert_eq!(
            decode_vector(&bad_version),
            Err(CodecError::FeatureVersion(9))
        );
        let mut wrong_dim = enc.clone();
        wrong_dim[5] = 3; // v3 has 22 slots, the header says 24
        assert!(matches!(
            decode_vector(&wrong_dim),
            Err(CodecError::SlotCount { .. })
        ));
        // Every single flipped bit in the body or checksum is caught.
        for i in 8..enc.len() {
            let mut flipped = enc.clone();
            flipped[i] ^= 0x10;
            assert_eq!(
                decode_vector(&flipped),
                Err(CodecError::Checksum),
                "byte {i}"
            );
        }
        // A vector of the wrong length is not encoded.
        let bad = FeatureVector {
            version: FeatureVersion::V1,
            values: vec![1.0; 3],
        };
        assert_eq!(encode_vector(&bad), Err(CodecError::InvalidVector));
    }
}
