/*
 * extract: prints the feature vector of each CAD file as one JSON object per line, like
 * `cadfeat extract`.
 *
 *   usage: extract VERSION FILE...        (VERSION: v1..v5)
 *
 * Build after `cargo build --release`:
 *   cc -std=c11 -Iinclude examples/c/extract.c -Ltarget/release -lcadfeat -o extract
 *   LD_LIBRARY_PATH=target/release ./extract v4 part.stl
 * or statically:
 *   cc -std=c11 -Iinclude examples/c/extract.c target/release/libcadfeat.a \
 *      -lpthread -ldl -lm -lrt -lutil -lgcc_s -o extract
 *
 * Each line has `path`, `ok`, `format`, `feature_version` and `vector` (doubles printed with
 * %.17g, so they parse back to the same bits), plus `document` facts on success and `error` /
 * `error_kind` on failure. The exit status is 0 when every file was read, 1 when some failed,
 * 2 on a usage error.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "cadfeat.h"

/* Writes `s` as a JSON string literal. */
static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (*p < 0x20) {
                printf("\\u%04x", (unsigned)*p);
            } else {
                putchar(*p);
            }
        }
    }
    putchar('"');
}

/* Writes a double so that it parses back to the same value; JSON has no NaN or infinity. */
static void json_double(double x) {
    if (isfinite(x)) {
        printf("%.17g", x);
    } else {
        fputs("null", stdout);
    }
}

static void json_point(const double p[3]) {
    putchar('[');
    for (int i = 0; i < 3; i++) {
        if (i > 0) putchar(',');
        json_double(p[i]);
    }
    putchar(']');
}

static void print_result(const char *path, const cadfeat_result *r) {
    fputs("{\"path\":", stdout);
    json_string(path);
    fputs(",\"ok\":true,\"format\":", stdout);
    json_string(r->format);
    printf(",\"feature_version\":\"v%" PRIu32 "\",\"vector\":[", r->feature_version);
    for (size_t i = 0; i < r->len; i++) {
        if (i > 0) putchar(',');
        json_double(r->vector[i]);
    }
    printf("],\"document\":{\"entity_count\":%" PRIu64 ",\"layer_count\":%" PRIu64
           ",\"triangles\":%" PRIu64 ",\"bbox\":",
           r->entity_count, r->layer_count, r->triangle_count);
    if (r->has_bbox) {
        fputs("{\"min\":", stdout);
        json_point(r->bbox_min);
        fputs(",\"max\":", stdout);
        json_point(r->bbox_max);
        putchar('}');
    } else {
        fputs("null", stdout);
    }
    if (r->has_brep) {
        printf(",\"brep\":{\"solids\":%" PRIu64 ",\"faces\":%" PRIu64 "}", r->brep_solids,
               r->brep_faces);
    }
    printf("}%s}\n", r->degraded ? ",\"degraded\":true" : "");
}

static void print_error(const char *path, uint32_t version, cadfeat_status status) {
    fputs("{\"path\":", stdout);
    json_string(path);
    printf(",\"ok\":false,\"format\":null,\"feature_version\":\"v%" PRIu32
           "\",\"vector\":null,\"error\":",
           version);
    json_string(cadfeat_last_error());
    fputs(",\"error_kind\":", stdout);
    json_string(cadfeat_status_str((int32_t)status));
    fputs("}\n", stdout);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s VERSION FILE...   (VERSION: v1..v5; libcadfeat %s)\n",
                argc > 0 ? argv[0] : "extract", cadfeat_version());
        return 2;
    }
    uint32_t version = 0;
    if (cadfeat_feature_version_parse(argv[1], &version) != CADFEAT_STATUS_OK) {
        fprintf(stderr, "extract: %s\n", cadfeat_last_error());
        return 2;
    }
    cadfeat_config config;
    cadfeat_config_init(&config);
    config.feature_version = version;
    cadfeat_extractor *extractor = NULL;
    if (cadfeat_extractor_new(&config, &extractor) != CADFEAT_STATUS_OK) {
        fprintf(stderr, "extract: %s\n", cadfeat_last_error());
        return 2;
    }
    int failed = 0;
    for (int i = 2; i < argc; i++) {
        cadfeat_result *result = NULL;
        cadfeat_status status = cadfeat_extract_file(extractor, argv[i], &result);
        if (status == CADFEAT_STATUS_OK) {
            print_result(argv[i], result);
        } else {
            print_error(argv[i], version, status);
            failed = 1;
        }
        cadfeat_result_free(result); /* NULL after a failure: accepted */
    }
    cadfeat_extractor_free(extractor);
    return failed;
}
