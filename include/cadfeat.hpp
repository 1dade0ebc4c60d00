// cadfeat.hpp: a small header-only C++17 RAII wrapper over the C API in cadfeat.h.
// SPDX-License-Identifier: MIT OR Apache-2.0
//
// * cadfeat::extractor and cadfeat::result own their C handles (move-only, freed in the
//   destructor).
// * Every failing call throws cadfeat::error, which carries the cadfeat_status and the message
//   of cadfeat_last_error() (copied at once).
// * Thread safety follows the C API: one extractor may be used by many threads at once; a
//   result is plain data.
//
//   cadfeat::extractor ex(cadfeat::parse_feature_version("v4"));
//   cadfeat::result r = ex.extract_file("part.step");
//   for (double x : r.values()) std::cout << x << '\n';
#ifndef CADFEAT_HPP
#define CADFEAT_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cadfeat.h"

namespace cadfeat {

/// A failed cadfeat call: the status and the library's message.
class error : public std::runtime_error {
public:
    error(cadfeat_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}

    /// The status the C function returned.
    cadfeat_status status() const noexcept { return status_; }

    /// The stable name of the status ("malformed", "io", ...).
    const char *kind() const noexcept { return cadfeat_status_str(static_cast<int32_t>(status_)); }

private:
    cadfeat_status status_;
};

/// Throws cadfeat::error unless `status` is CADFEAT_STATUS_OK.
inline void check(cadfeat_status status) {
    if (status != CADFEAT_STATUS_OK) {
        throw error(status, cadfeat_last_error());
    }
}

/// The library version, e.g. "0.1.0".
inline std::string version() { return cadfeat_version(); }

/// "v1".."v5" (or "1".."5") to the version number 1..5.
inline std::uint32_t parse_feature_version(const std::string &name) {
    std::uint32_t v = 0;
    check(cadfeat_feature_version_parse(name.c_str(), &v));
    return v;
}

/// Number of slots of a feature version (7, 12, 22, 24, 64).
inline std::size_t feature_dim(std::uint32_t version) {
    std::size_t n = 0;
    check(cadfeat_feature_version_dim(version, &n));
    return n;
}

/// Names of the slots of a feature version, in slot order.
inline std::vector<std::string> slot_names(std::uint32_t version) {
    std::size_t count = 0;
    check(cadfeat_slot_count(version, &count));
    std::vector<std::string> names;
    names.reserve(count);
    for (std::size_t i = 0; i < count; i++) {
        std::size_t needed = 0;
        cadfeat_status st = cadfeat_slot_name(version, i, nullptr, 0, &needed);
        if (st != CADFEAT_STATUS_BUFFER_TOO_SMALL) {
            check(st);
        }
        std::string buf(needed, '\0');
        check(cadfeat_slot_name(version, i, &buf[0], buf.size(), &needed));
        buf.resize(needed > 0 ? needed - 1 : 0);
        names.push_back(std::move(buf));
    }
    return names;
}

/// Migrates a vector from one feature version to another.
inline std::vector<double> migrate(const std::vector<double> &values, std::uint32_t from,
                                   std::uint32_t to) {
    std::vector<double> out(feature_dim(to));
    std::size_t len = 0;
    check(cadfeat_migrate(values.data(), values.size(), from, to, out.data(), out.size(), &len));
    out.resize(len);
    return out;
}

/// Cosine similarity (0 for empty, mismatched or zero vectors).
inline double cosine_similarity(const std::vector<double> &a, const std::vector<double> &b) {
    double s = 0.0;
    check(cadfeat_cosine_similarity(a.data(), a.size(), b.data(), b.size(), &s));
    return s;
}

/// The default configuration (feature version 5, default limits, no cache).
inline cadfeat_config default_config() {
    cadfeat_config c;
    check(cadfeat_config_init(&c));
    return c;
}

/// One extraction result (owns a cadfeat_result).
class result {
public:
    explicit result(cadfeat_result *r) noexcept : r_(r) {}

    /// The raw C struct (valid while this object lives).
    const cadfeat_result &raw() const noexcept { return *r_; }
    /// The vector values.
    const double *data() const noexcept { return r_->vector; }
    /// The number of values.
    std::size_t size() const noexcept { return r_->len; }
    /// A copy of the vector values.
    std::vector<double> values() const { return std::vector<double>(data(), data() + size()); }
    /// The feature version number 1..5.
    std::uint32_t feature_version() const noexcept { return r_->feature_version; }
    /// The detected format ("step", "stl", ...).
    std::string format() const { return r_->format; }

private:
    struct deleter {
        void operator()(cadfeat_result *r) const noexcept { cadfeat_result_free(r); }
    };
    std::unique_ptr<cadfeat_result, deleter> r_;
};

/// An extractor (owns a cadfeat_extractor). Safe to share between threads by reference.
class extractor {
public:
    /// An extractor with the given configuration.
    explicit extractor(const cadfeat_config &config) {
        cadfeat_extractor *e = nullptr;
        check(cadfeat_extractor_new(&config, &e));
        e_.reset(e);
    }

    /// An extractor for a feature version (1..5) with the default configuration.
    explicit extractor(std::uint32_t feature_version) : extractor(config_for(feature_version)) {}

    /// Reads and extracts a file.
    result extract_file(const std::string &path) const {
        cadfeat_result *r = nullptr;
        check(cadfeat_extract_file(e_.get(), path.c_str(), &r));
        return result(r);
    }

    /// Extracts a buffer; `format_hint` (e.g. "stl") is used only when the content is
    /// inconclusive, nullptr for none.
    result extract_bytes(const void *data, std::size_t len,
                         const char *format_hint = nullptr) const {
        cadfeat_result *r = nullptr;
        check(cadfeat_extract_bytes(e_.get(), static_cast<const std::uint8_t *>(data), len,
                                    format_hint, &r));
        return result(r);
    }

    /// Cache statistics (throws CADFEAT_STATUS_UNSUPPORTED when the build has no cache).
    cadfeat_cache_stats cache_stats() const {
        cadfeat_cache_stats s{};
        check(cadfeat_extractor_cache_stats(e_.get(), &s));
        return s;
    }

    /// Metrics in the Prometheus text format.
    std::string metrics_text() const {
        char *s = nullptr;
        check(cadfeat_metrics_text(e_.get(), &s));
        std::string out = s ? s : "";
        cadfeat_string_free(s);
        return out;
    }

    /// The raw handle (owned by this object).
    const cadfeat_extractor *get() const noexcept { return e_.get(); }

private:
    static cadfeat_config config_for(std::uint32_t feature_version) {
        cadfeat_config c = default_config();
        c.feature_version = feature_version;
        return c;
    }
    struct deleter {
        void operator()(cadfeat_extractor *e) const noexcept { cadfeat_extractor_free(e); }
    };
    std::unique_ptr<cadfeat_extractor, deleter> e_;
};

}  // namespace cadfeat

#endif  // CADFEAT_HPP
