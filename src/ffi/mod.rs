//! The C API of `libcadfeat` (feature `ffi`, on by default).
//!
//! C and C++ hosts link `libcadfeat.so` or `libcadfeat.a` and include `include/cadfeat.h`, which
//! cbindgen generates from this module (`cbindgen.toml` at the repository root; the test
//! `tests/ffi_header.rs` fails when the committed header is stale). `include/cadfeat.hpp` is a
//! header-only C++17 RAII wrapper over it.
//!
//! # Conventions
//!
//! * Every function is named `cadfeat_*` and every type `cadfeat_*`.
//! * Every fallible function returns a [`CadfeatStatus`]; results come back through out
//!   pointers. On failure a thread-local message explains what went wrong:
//!   [`cadfeat_last_error`]. Out pointers to owned objects are set to `NULL` on failure.
//! * Null pointers, paths that are not UTF-8, buffers too short and unknown feature versions
//!   are reported as statuses, never as crashes.
//! * No Rust panic crosses the boundary: every exported function runs inside
//!   [`std::panic::catch_unwind`] and turns a panic into [`CadfeatStatus::Internal`]. The
//!   library does not install a panic hook (that is the host's business), so the default hook
//!   may still print the panic message to standard error. Stack overflow and out-of-memory
//!   abort the process, as they do in Rust.
//! * Ownership is explicit: what cadfeat allocates, the caller frees with the matching
//!   `_free` function (`cadfeat_extractor_free`, `cadfeat_result_free`,
//!   `cadfeat_string_free`), each of which accepts `NULL`. Functions that fill caller buffers
//!   (`cadfeat_slot_name`, `cadfeat_migrate`) report the size they need and return
//!   [`CadfeatStatus::BufferTooSmall`] when the buffer is too short.
//! * Feature versions cross the boundary as numbers 1...5 (`cadfeat_feature_version_parse`
//!   turns `"v4"` into 4); enums are never read from the caller, only returned, so an out of
//!   range integer from C can never become an invalid Rust enum.
//!
//! # Building and linking
//!
//! ```text
//! cargo build --release          # target/release/libcadfeat.so and libcadfeat.a
//! cc  -std=c11   -Iinclude examples/c/extract.c     -Ltarget/release -lcadfeat -o extract
//! c++ -std=c++17 -Iinclude examples/cpp/extract.cpp -Ltarget/release -lcadfeat -o extract_cpp
//! LD_LIBRARY_PATH=target/release ./extract v4 part.step
//! # static: cc ... target/release/libcadfeat.a -lpthread -ldl -lm -lrt -lutil -lgcc_s
//! sh cmake/install.sh /usr/local  # lib/, include/, lib/pkgconfig/cadfeat.pc, lib/cmake/cadfeat/
//! ```
//!
//! After the install, `pkg-config --cflags --libs cadfeat` and CMake's `find_package(cadfeat)`
//! (imported targets `cadfeat::cadfeat` and `cadfeat::cadfeat_static`) work;
//! `examples/CMakeLists.txt` builds both examples that way.
//!
//! # Caching
//!
//! An extractor whose config sets `cache_capacity` and/or `redis_url` answers repeated inputs
//! from the `cadfeat::cache` tiers (memory, then Redis) and reports where a vector came from in
//! `cadfeat_result.cache_source`; `cadfeat_extractor_cache_stats` gives its counters. Such an
//! extractor owns a small Tokio runtime (one worker thread plus blocking threads for parsing),
//! created with it and shut down by `cadfeat_extractor_free`. `cadfeat_metrics_text` returns
//! `CADFEAT_STATUS_UNSUPPORTED` until the library collects metrics.
//!
//! # Thread safety
//!
//! * `cadfeat_extractor`: immutable after creation; one handle may be used by any number of
//!   threads at once. Free it once, after every other use has finished.
//! * `cadfeat_result`: owned by the caller; read it from any thread, free it once.
//! * The last-error message is per thread.

mod extract;
mod vector;

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use extract::{
    CadfeatCacheStats, CadfeatConfig, CadfeatExtractor, CadfeatLimits, CadfeatResult,
    cadfeat_config_init, cadfeat_extract_bytes, cadfeat_extract_file,
    cadfeat_extractor_cache_stats, cadfeat_extractor_free, cadfeat_extractor_new,
    cadfeat_metrics_text, cadfeat_result_free, cadfeat_string_free,
};
pub use vector::{
    cadfeat_cosine_similarity, cadfeat_feature_version_dim, cadfeat_feature_version_parse,
    cadfeat_migrate, cadfeat_slot_count, cadfeat_slot_name, cosine_similarity,
};

use crate::error::Error;
use crate::features::FeatureVersion;

/// The outcome of a C API call. `CADFEAT_STATUS_OK` (0) is success; every other value is a
/// failure whose detail is in `cadfeat_last_error()`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CadfeatStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was `NULL`.
    NullPointer = 1,
    /// A string argument (path, format hint, version name, Redis URL) is not valid UTF-8.
    InvalidUtf8 = 2,
    /// An argument is out of range or inconsistent (e.g. a misaligned or oversized buffer,
    /// a slot index past the end).
    InvalidArgument = 3,
    /// A caller buffer is too short; the size needed was written to the `needed` / `out_len`
    /// argument.
    BufferTooSmall = 4,
    /// A feature version that cadfeat does not know (valid: 1...5, `"v1"`...`"v5"`).
    UnknownVersion = 5,
    /// The file could not be read (missing, permission denied, ...).
    Io = 6,
    /// The input is empty.
    Empty = 7,
    /// Neither the content nor the format hint identifies a supported format.
    UnknownFormat = 8,
    /// The input is not a valid file of its format.
    Malformed = 9,
    /// A valid input uses something cadfeat does not read.
    UnsupportedInput = 10,
    /// A configured resource limit was exceeded.
    LimitExceeded = 11,
    /// A vector's length does not match its feature version.
    VectorLength = 12,
    /// The requested functionality is not available in this build of the library.
    Unsupported = 13,
    /// An error of a kind this version of the header does not name; see the message.
    Error = 14,
    /// A bug in cadfeat (a caught panic). The library stays usable.
    Internal = 15,
}

impl CadfeatStatus {
    /// A short stable name: `ok`, `null_pointer`, ...; for the error kinds shared with the Rust
    /// API it equals [`Error::code`] (`malformed`, `limit_exceeded`, ...).
    pub fn as_str(self) -> &'static str {
        self.as_cstr().to_str().unwrap_or("internal")
    }

    fn as_cstr(self) -> &'static CStr {
        match self {
            CadfeatStatus::Ok => c"ok",
            CadfeatStatus::NullPointer => c"null_pointer",
            CadfeatStatus::InvalidUtf8 => c"invalid_utf8",
            CadfeatStatus::InvalidArgument => c"invalid_argument",
            CadfeatStatus::BufferTooSmall => c"buffer_too_small",
            CadfeatStatus::UnknownVersion => c"unknown_version",
            CadfeatStatus::Io => c"io",
            CadfeatStatus::Empty => c"empty",
            CadfeatStatus::UnknownFormat => c"unknown_format",
            CadfeatStatus::Malformed => c"malformed",
            CadfeatStatus::UnsupportedInput => c"unsupported",
            CadfeatStatus::LimitExceeded => c"limit_exceeded",
            CadfeatStatus::VectorLength => c"vector_length",
            CadfeatStatus::Unsupported => c"not_available",
            CadfeatStatus::Error => c"error",
            CadfeatStatus::Internal => c"internal",
        }
    }

    /// Every status, in numeric order.
    pub const ALL: [CadfeatStatus; 16] = [
        CadfeatStatus::Ok,
        CadfeatStatus::NullPointer,
        CadfeatStatus::InvalidUtf8,
        CadfeatStatus::InvalidArgument,
        CadfeatStatus::BufferTooSmall,
        CadfeatStatus::UnknownVersion,
        CadfeatStatus::Io,
        CadfeatStatus::Empty,
        CadfeatStatus::UnknownFormat,
        CadfeatStatus::Malformed,
        CadfeatStatus::UnsupportedInput,
        CadfeatStatus::LimitExceeded,
        CadfeatStatus::VectorLength,
        CadfeatStatus::Unsupported,
        CadfeatStatus::Error,
        CadfeatStatus::Internal,
    ];

    /// The status of a Rust [`Error`].
    pub fn of_error(e: &Error) -> CadfeatStatus {
        match e.code() {
            "empty" => CadfeatStatus::Empty,
            "unknown_format" => CadfeatStatus::UnknownFormat,
            "malformed" => CadfeatStatus::Malformed,
            "unsupported" => CadfeatStatus::UnsupportedInput,
            "limit_exceeded" => CadfeatStatus::LimitExceeded,
            "unknown_version" => CadfeatStatus::UnknownVersion,
            "vector_length" => CadfeatStatus::VectorLength,
            "io" => CadfeatStatus::Io,
            _ => CadfeatStatus::Error,
        }
    }
}

/// A failure inside the C API: a status and its message.
#[derive(Debug)]
pub(crate) struct FfiError {
    status: CadfeatStatus,
    message: String,
}

impl FfiError {
    pub(crate) fn new(status: CadfeatStatus, message: impl Into<String>) -> Self {
        FfiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &str) -> Self {
        FfiError::new(CadfeatStatus::NullPointer, format!("{what} is NULL"))
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        FfiError::new(CadfeatStatus::of_error(&e), e.to_string())
    }
}

pub(crate) type FfiResult<T> = Result<T, FfiError>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // `try_with`: during thread teardown the slot may be gone; then there is nobody to read it.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut s) = slot.try_borrow_mut() {
            *s = c;
        }
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

/// Runs the body of a fallible export: catches panics, records the last error, returns the
/// status. A successful call clears the last-error message.
pub(crate) fn guard(f: impl FnOnce() -> FfiResult<()>) -> CadfeatStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_last_error("");
            CadfeatStatus::Ok
        }
        Ok(Err(e)) => {
            set_last_error(&e.message);
            e.status
        }
        Err(payload) => {
            let msg = format!(
                "internal error: cadfeat panicked: {}",
                panic_message(payload.as_ref())
            );
            // Dropping a payload can itself panic (a payload whose Drop panics); contain it.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            set_last_error(&msg);
            CadfeatStatus::Internal
        }
    }
}

/// Runs the body of an infallible export (one that returns a value rather than a status),
/// returning `fallback` if it panics. Leaves the last-error message alone.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Reads a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(FfiError::null(what));
    }
    // SAFETY: the caller guarantees a NUL-terminated string.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        FfiError::new(
            CadfeatStatus::InvalidUtf8,
            format!(
                "{what} is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// Reads an optional NUL-terminated UTF-8 string argument (NULL → `None`).
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, what: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded.
        unsafe { str_arg(p, what) }.map(Some)
    }
}

/// Reads a `(pointer, length)` array argument. A NULL pointer is accepted when `len` is 0.
///
/// # Safety
/// When `len > 0`, `p` points to `len` initialised elements valid for `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(p: *const T, len: usize, what: &str) -> FfiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(FfiError::null(what));
    }
    if !p.is_aligned() {
        return Err(FfiError::new(
            CadfeatStatus::InvalidArgument,
            format!("{what} is not aligned for its element type"),
        ));
    }
    let bytes = len.saturating_mul(size_of::<T>());
    if bytes > isize::MAX as usize {
        return Err(FfiError::new(
            CadfeatStatus::InvalidArgument,
            format!("{what}: length {len} is larger than any possible buffer"),
        ));
    }
    // SAFETY: non-null, aligned, size checked; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Checks an out pointer and returns it as a mutable reference.
///
/// # Safety
/// `p` is NULL or valid for writes of a `T` for `'a`.
pub(crate) unsafe fn out_arg<'a, T>(p: *mut T, what: &str) -> FfiResult<&'a mut T> {
    if p.is_null() {
        return Err(FfiError::null(what));
    }
    if !p.is_aligned() {
        return Err(FfiError::new(
            CadfeatStatus::InvalidArgument,
            format!("{what} is not aligned for its type"),
        ));
    }
    // SAFETY: non-null and aligned; validity is the caller's contract. Written before read.
    Ok(unsafe { &mut *p })
}

/// A feature version number from C (1...5).
pub(crate) fn version_arg(n: u32) -> FfiResult<FeatureVersion> {
    u8::try_from(n)
        .map_err(|_| Error::UnknownVersion(n.to_string()))
        .and_then(FeatureVersion::from_number)
        .map_err(FfiError::from)
}

/// The version of the library, e.g. `"0.1.0"`: a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn cadfeat_version() -> *const c_char {
    static VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(c) => c,
            Err(_) => c"unknown",
        };
    guard_value(c"unknown".as_ptr(), || VERSION.as_ptr())
}

/// The message of the last failed call on this thread, or `""` after a successful call.
///
/// Never NULL. The string belongs to cadfeat; it stays valid until the next `cadfeat_*` call on
/// the same thread (copy it to keep it). Do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn cadfeat_last_error() -> *const c_char {
    guard_value(c"".as_ptr(), || {
        LAST_ERROR
            .try_with(|slot| slot.try_borrow().map(|s| s.as_ptr()).ok())
            .ok()
            .flatten()
            .unwrap_or(c"".as_ptr())
    })
}

/// A short stable name for a status value (`"ok"`, `"null_pointer"`, `"malformed"`, ...), or
/// `"unknown_status"` for a value that is not a status. A static string, never freed.
///
/// The names of the error kinds shared with the Rust API and the CLI (`empty`,
/// `unknown_format`, `malformed`, `unsupported`, `limit_exceeded`, `unknown_version`,
/// `vector_length`, `io`) are the CLI's `error_kind` values.
#[unsafe(no_mangle)]
pub extern "C" fn cadfeat_status_str(status: i32) -> *const c_char {
    guard_value(c"unknown_status".as_ptr(), || {
        usize::try_from(status)
            .ok()
            .and_then(|i| CadfeatStatus::ALL.get(i))
            .map_or(c"unknown_status", |s| s.as_cstr())
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_match_their_index() {
        for (i, s) in CadfeatStatus::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i, "{s:?}");
        }
    }

    #[test]
    fn guard_catches_panics() {
        let st = guard(|| panic!("boom"));
        assert_eq!(st, CadfeatStatus::Internal);
        // SAFETY: cadfeat_last_error never returns NULL.
        let msg = unsafe { CStr::from_ptr(cadfeat_last_error()) };
        assert!(msg.to_str().unwrap().contains("boom"), "{msg:?}");
        assert_eq!(guard(|| Ok(())), CadfeatStatus::Ok);
        // SAFETY: as above.
        let msg = unsafe { CStr::from_ptr(cadfeat_last_error()) };
        assert!(msg.to_bytes().is_empty());
    }

    #[test]
    fn error_codes_map_to_statuses_with_the_same_name() {
        let errors = [
            Error::Empty,
            Error::UnknownFormat { hint: None },
            Error::UnknownVersion("v9".into()),
            Error::Io(std::io::Error::other("x")),
        ];
        for e in errors {
            assert_eq!(CadfeatStatus::of_error(&e).as_str(), e.code());
        }
    }
}
