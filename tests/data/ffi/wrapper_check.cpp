// Exercises include/cadfeat.hpp (built and run by tests/ffi_examples.rs). Prints one line per
// check, "ok <name>" or "FAIL <name>: <why>", and exits 1 when any check failed.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cadfeat.hpp"

static int failures = 0;

static void report(bool ok, const char *name, const std::string &why = "") {
    if (ok) {
        std::printf("ok %s\n", name);
    } else {
        std::printf("FAIL %s: %s\n", name, why.c_str());
        failures++;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: wrapper_check FILE\n");
        return 2;
    }
    report(!cadfeat::version().empty(), "version");
    report(cadfeat::parse_feature_version("v4") == 4, "parse_feature_version");
    try {
        cadfeat::parse_feature_version("v9");
        report(false, "parse_feature_version throws", "no exception");
    } catch (const cadfeat::error &e) {
        report(e.status() == CADFEAT_STATUS_UNKNOWN_VERSION &&
                   std::string(e.kind()) == "unknown_version" &&
                   std::string(e.what()).find("v9") != std::string::npos,
               "parse_feature_version throws", e.what());
    }
    report(cadfeat::feature_dim(5) == 64, "feature_dim");
    std::vector<std::string> names = cadfeat::slot_names(4);
    report(names.size() == 24 && !names[0].empty(), "slot_names");
    for (const std::string &n : names) std::printf("slot %s\n", n.c_str());

    std::vector<double> v4(24);
    for (std::size_t i = 0; i < v4.size(); i++) v4[i] = 0.5 * static_cast<double>(i);
    std::vector<double> v5 = cadfeat::migrate(v4, 4, 5);
    bool kept = v5.size() == 64;
    for (std::size_t i = 0; kept && i < 64; i++) kept = v5[i] == (i < 24 ? v4[i] : 0.0);
    report(kept, "migrate");
    try {
        cadfeat::migrate(std::vector<double>(10), 4, 5);
        report(false, "migrate throws", "no exception");
    } catch (const cadfeat::error &e) {
        report(e.status() == CADFEAT_STATUS_VECTOR_LENGTH, "migrate throws", e.what());
    }
    double c = cadfeat::cosine_similarity({1.0, 1.0}, {1.0, 0.0});
    report(std::fabs(c - std::sqrt(0.5)) < 1e-15, "cosine_similarity");
    report(cadfeat::cosine_similarity({}, {}) == 0.0, "cosine_similarity empty");

    const cadfeat::extractor ex(4);
    cadfeat::result r = ex.extract_file(argv[1]);
    report(r.size() == 24 && r.feature_version() == 4 && r.raw().has_document, "extract_file");
    for (double x : r.values()) std::printf("value %.17g\n", x);
    try {
        ex.extract_file("/no/such/file.stl");
        report(false, "extract_file throws", "no exception");
    } catch (const cadfeat::error &e) {
        report(e.status() == CADFEAT_STATUS_IO, "extract_file throws", e.what());
    }
    try {
        ex.cache_stats();
        report(false, "cache_stats without cache throws", "no exception");
    } catch (const cadfeat::error &e) {
        report(e.status() == CADFEAT_STATUS_UNSUPPORTED, "cache_stats without cache throws",
               e.what());
    }

    cadfeat_config cfg = cadfeat::default_config();
    cfg.feature_version = 4;
    cfg.cache_capacity = 4;
    const cadfeat::extractor cached(cfg);
    cadfeat::result a = cached.extract_file(argv[1]);
    cadfeat::result b = cached.extract_file(argv[1]);
    bool same = a.size() == b.size();
    for (std::size_t i = 0; same && i < a.size(); i++) same = a.data()[i] == b.data()[i];
    cadfeat_cache_stats s = cached.cache_stats();
    report(same && b.raw().cache_source == 1 && s.memory_hits == 1 && s.computations == 1,
           "memory cache");

    cadfeat::result moved = std::move(a);
    report(moved.size() == 24, "result is movable");
    return failures == 0 ? 0 : 1;
}
