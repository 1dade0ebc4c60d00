// extract (C++): prints the feature vector of each CAD file as one JSON object per line, like
// `cadfeat extract`, using the RAII wrapper include/cadfeat.hpp.
//
//   usage: extract VERSION FILE...        (VERSION: v1..v5)
//
// Build after `cargo build --release`:
//   c++ -std=c++17 -Iinclude examples/cpp/extract.cpp -Ltarget/release -lcadfeat -o extract_cpp
//   LD_LIBRARY_PATH=target/release ./extract_cpp v4 part.stl
//
// Same output and exit status as examples/c/extract.c.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "cadfeat.hpp"

namespace {

std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

// %.17g round-trips every double; JSON has no NaN or infinity.
std::string json_double(double x) {
    if (!std::isfinite(x)) return "null";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", x);
    return buf;
}

std::string json_point(const double p[3]) {
    return "[" + json_double(p[0]) + "," + json_double(p[1]) + "," + json_double(p[2]) + "]";
}

std::string result_line(const std::string &path, const cadfeat::result &r) {
    const cadfeat_result &raw = r.raw();
    std::ostringstream o;
    o << "{\"path\":" << json_string(path) << ",\"ok\":true,\"format\":" << json_string(r.format())
      << ",\"feature_version\":\"v" << r.feature_version() << "\",\"vector\":[";
    for (std::size_t i = 0; i < r.size(); i++) {
        o << (i > 0 ? "," : "") << json_double(r.data()[i]);
    }
    o << "],\"document\":{\"entity_count\":" << raw.entity_count << ",\"layer_count\":" << raw.layer_count
      << ",\"triangles\":" << raw.triangle_count << ",\"bbox\":";
    if (raw.has_bbox) {
        o << "{\"min\":" << json_point(raw.bbox_min) << ",\"max\":" << json_point(raw.bbox_max)
          << "}";
    } else {
        o << "null";
    }
    if (raw.has_brep) {
        o << ",\"brep\":{\"solids\":" << raw.brep_solids << ",\"faces\":" << raw.brep_faces << "}";
    }
    o << "}" << (raw.degraded ? ",\"degraded\":true" : "") << "}";
    return o.str();
}

std::string error_line(const std::string &path, std::uint32_t version, const cadfeat::error &e) {
    std::ostringstream o;
    o << "{\"path\":" << json_string(path) << ",\"ok\":false,\"format\":null,\"feature_version\":\"v"
      << version << "\",\"vector\":null,\"error\":" << json_string(e.what())
      << ",\"error_kind\":" << json_string(e.kind()) << "}";
    return o.str();
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 3) {
        std::cerr << "usage: " << (argc > 0 ? argv[0] : "extract")
                  << " VERSION FILE...   (VERSION: v1..v5; libcadfeat " << cadfeat::version()
                  << ")\n";
        return 2;
    }
    std::uint32_t version = 0;
    try {
        version = cadfeat::parse_feature_version(argv[1]);
    } catch (const cadfeat::error &e) {
        std::cerr << "extract: " << e.what() << "\n";
        return 2;
    }
    try {
        const cadfeat::extractor ex(version);
        int failed = 0;
        for (int i = 2; i < argc; i++) {
            try {
                cadfeat::result r = ex.extract_file(argv[i]);
                std::cout << result_line(argv[i], r) << "\n";
            } catch (const cadfeat::error &e) {
                std::cout << error_line(argv[i], version, e) << "\n";
                failed = 1;
            }
        }
        return failed;
    } catch (const cadfeat::error &e) {
        std::cerr << "extract: " << e.what() << "\n";
        return 2;
    }
}
