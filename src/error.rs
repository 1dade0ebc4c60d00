//! The one error type of cadfeat.
//!
//! Every reader, the extractor and the vector utilities return [`Result<T>`]. Errors name the
//! problem and, for malformed input, where it was found ([`Location`]).

use std::fmt;

use crate::format::Format;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the input a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line number (text formats).
    Line(u64),
    /// A 0-based byte offset (binary formats, or text formats where lines do not help).
    Byte(u64),
    /// A STEP entity instance name, `#123`.
    Entity(u64),
    /// Nowhere in particular (the input as a whole).
    Unknown,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Byte(n) => write!(f, "byte {n}"),
            Location::Entity(n) => write!(f, "entity #{n}"),
            Location::Unknown => f.write_str("input"),
        }
    }
}

/// Which configurable limit was exceeded (see [`crate::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// [`crate::Limits::max_bytes`].
    Bytes,
    /// [`crate::Limits::max_entities`].
    Entities,
    /// [`crate::Limits::max_triangles`].
    Triangles,
    /// [`crate::Limits::max_vertices`].
    Vertices,
    /// [`crate::Limits::max_block_depth`].
    BlockDepth,
    /// [`crate::Limits::max_nesting`].
    Nesting,
    /// [`crate::Limits::max_expanded_entities`].
    ExpandedEntities,
    /// [`crate::Limits::max_work`].
    Work,
}

impl LimitKind {
    /// A short stable name, used in messages and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Bytes => "max_bytes",
            LimitKind::Entities => "max_entities",
            LimitKind::Triangles => "max_triangles",
            LimitKind::Vertices => "max_vertices",
            LimitKind::BlockDepth => "max_block_depth",
            LimitKind::Nesting => "max_nesting",
            LimitKind::ExpandedEntities => "max_expanded_entities",
            LimitKind::Work => "max_work",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in cadfeat.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input has no bytes (or only whitespace where the format needs content).
    #[error("empty input")]
    Empty,

    /// Neither the content nor the extension hint identifies a supported format.
    #[error("unknown format{}", hint.as_ref().map(|h| format!(" (extension hint {h:?})")).unwrap_or_default())]
    UnknownFormat {
        /// The extension hint that was given, if any.
        hint: Option<String>,
    },

    /// The input claims to be `format` but is not valid.
    #[error("malformed {format} at {location}: {message}")]
    Malformed {
        /// The format being read.
        format: Format,
        /// Where the problem was found.
        location: Location,
        /// What is wrong.
        message: String,
    },

    /// A valid input uses a feature cadfeat does not read (e.g. DWG).
    #[error("unsupported {format} input: {message}")]
    Unsupported {
        /// The format being read.
        format: Format,
        /// What is not supported.
        message: String,
    },

    /// A configured resource limit was exceeded.
    #[error("limit {limit} exceeded: {actual} > {max}")]
    LimitExceeded {
        /// Which limit.
        limit: LimitKind,
        /// The value found (or a lower bound of it).
        actual: u64,
        /// The configured maximum.
        max: u64,
    },

    /// A feature version string or number that cadfeat does not know.
    #[error("unknown feature version {0:?} (known: v1, v2, v3, v4, v5)")]
    UnknownVersion(String),

    /// A vector whose length does not match its feature version.
    #[error("Unsupported existing vector length {actual}; expected {expected} for {version}")]
    VectorLength {
        /// The length found.
        actual: usize,
        /// The length the version requires.
        expected: usize,
        /// The version name, e.g. `v3`.
        version: String,
    },

    /// An I/O error while reading a file.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Shorthand for [`Error::Malformed`].
    pub fn malformed(format: Format, location: Location, message: impl Into<String>) -> Self {
        Error::Malformed {
            format,
            location,
            message: message.into(),
        }
    }

    /// A short stable code for this error kind (used by the CLI, metrics and the C API).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Empty => "empty",
            Error::UnknownFormat { .. } => "unknown_format",
            Error::Malformed { .. } => "malformed",
            Error::Unsupported { .. } => "unsupported",
            Error::LimitExceeded { .. } => "limit_exceeded",
            Error::UnknownVersion(_) => "unknown_version",
            Error::VectorLength { .. } => "vector_length",
            Error::Io(_) => "io",
        }
    }
}
