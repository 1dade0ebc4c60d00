/*
 * Calls every function of the C API through the real C ABI with NULL and invalid arguments and
 * checks the statuses (built against libcadfeat and run, also under valgrind, by
 * tests/ffi_examples.rs). Prints the layout of the public structs ("layout NAME SIZE
 * OFFSET...") so that the test can compare it with Rust's, then "ok N" or "FAIL ..." lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cadfeat.h"

static int failures = 0;
static int checks = 0;

#define CHECK(expr, want)                                                                   \
    do {                                                                                    \
        cadfeat_status got_ = (expr);                                                       \
        checks++;                                                                           \
        if (got_ != (want)) {                                                               \
            printf("FAIL line %d: %s gave %s (%s), want %s\n", __LINE__, #expr,             \
                   cadfeat_status_str((int32_t)got_), cadfeat_last_error(),                 \
                   cadfeat_status_str((int32_t)(want)));                                    \
            failures++;                                                                     \
        } else if ((want) != CADFEAT_STATUS_OK && cadfeat_last_error()[0] == '\0') {        \
            printf("FAIL line %d: %s left no message\n", __LINE__, #expr);                  \
            failures++;                                                                     \
        }                                                                                   \
    } while (0)

#define TRUE_(cond)                                                                         \
    do {                                                                                    \
        checks++;                                                                           \
        if (!(cond)) {                                                                      \
            printf("FAIL line %d: %s\n", __LINE__, #cond);                                  \
            failures++;                                                                     \
        }                                                                                   \
    } while (0)

int main(int argc, char **argv) {
    printf("layout cadfeat_status %zu\n", sizeof(cadfeat_status));
    printf("layout cadfeat_limits %zu %zu %zu\n", sizeof(cadfeat_limits),
           offsetof(cadfeat_limits, max_block_depth), offsetof(cadfeat_limits, max_work));
    printf("layout cadfeat_config %zu %zu %zu %zu\n", sizeof(cadfeat_config),
           offsetof(cadfeat_config, limits), offsetof(cadfeat_config, cache_capacity),
           offsetof(cadfeat_config, redis_prefix));
    printf("layout cadfeat_result %zu %zu %zu %zu %zu %zu %zu\n", sizeof(cadfeat_result),
           offsetof(cadfeat_result, format), offsetof(cadfeat_result, has_bbox),
           offsetof(cadfeat_result, bbox_min), offsetof(cadfeat_result, has_brep),
           offsetof(cadfeat_result, brep_faces), offsetof(cadfeat_result, degraded));
    printf("layout cadfeat_cache_stats %zu\n", sizeof(cadfeat_cache_stats));

    const char *file = argc > 1 ? argv[1] : "missing";
    TRUE_(cadfeat_version() != NULL && cadfeat_version()[0] != '\0');
    TRUE_(strcmp(cadfeat_status_str(-7), "unknown_status") == 0);
    TRUE_(strcmp(cadfeat_status_str(CADFEAT_STATUS_INTERNAL), "internal") == 0);

    CHECK(cadfeat_config_init(NULL), CADFEAT_STATUS_NULL_POINTER);
    cadfeat_config config;
    CHECK(cadfeat_config_init(&config), CADFEAT_STATUS_OK);
    TRUE_(config.feature_version == 5 && config.redis_url == NULL);
    TRUE_(cadfeat_last_error()[0] == '\0');

    cadfeat_extractor *ex = (cadfeat_extractor *)&config; /* must be reset to NULL */
    CHECK(cadfeat_extractor_new(&config, NULL), CADFEAT_STATUS_NULL_POINTER);
    config.feature_version = 0;
    CHECK(cadfeat_extractor_new(&config, &ex), CADFEAT_STATUS_UNKNOWN_VERSION);
    TRUE_(ex == NULL);
    config.feature_version = 4;
    config.redis_url = "\xff\xfe";
    CHECK(cadfeat_extractor_new(&config, &ex), CADFEAT_STATUS_INVALID_UTF8);
    config.redis_url = NULL;
    config.cache_ttl_seconds = 3;
    CHECK(cadfeat_extractor_new(&config, &ex), CADFEAT_STATUS_INVALID_ARGUMENT);
    config.cache_ttl_seconds = 0;
    CHECK(cadfeat_extractor_new(&config, &ex), CADFEAT_STATUS_OK);
    TRUE_(ex != NULL);

    cadfeat_result *r = NULL;
    CHECK(cadfeat_extract_file(NULL, file, &r), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_extract_file(ex, NULL, &r), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_extract_file(ex, file, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_extract_file(ex, "/tmp/\xc3\x28.stl", &r), CADFEAT_STATUS_INVALID_UTF8);
    CHECK(cadfeat_extract_file(ex, "/no/such/file.stl", &r), CADFEAT_STATUS_IO);
    TRUE_(r == NULL);
    CHECK(cadfeat_extract_bytes(ex, NULL, 0, NULL, &r), CADFEAT_STATUS_EMPTY);
    CHECK(cadfeat_extract_bytes(ex, NULL, 5, NULL, &r), CADFEAT_STATUS_NULL_POINTER);
    const uint8_t junk[] = {0, 1, 2, 3};
    CHECK(cadfeat_extract_bytes(ex, junk, sizeof junk, "\xff", &r), CADFEAT_STATUS_INVALID_UTF8);
    CHECK(cadfeat_extract_bytes(ex, junk, sizeof junk, "nope", &r),
          CADFEAT_STATUS_UNKNOWN_FORMAT);
    CHECK(cadfeat_extract_bytes(ex, junk, SIZE_MAX, NULL, &r), CADFEAT_STATUS_INVALID_ARGUMENT);
    TRUE_(r == NULL);

    CHECK(cadfeat_extract_file(ex, file, &r), CADFEAT_STATUS_OK);
    if (r != NULL) {
        TRUE_(r->len == 24 && r->feature_version == 4 && r->has_document);
        TRUE_(r->cache_source == 0 && r->format != NULL);
    }
    cadfeat_result_free(r);
    cadfeat_result_free(NULL);

    cadfeat_cache_stats stats;
    CHECK(cadfeat_extractor_cache_stats(NULL, &stats), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_extractor_cache_stats(ex, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_extractor_cache_stats(ex, &stats), CADFEAT_STATUS_UNSUPPORTED);
    char *text = (char *)"x";
    CHECK(cadfeat_metrics_text(NULL, &text), CADFEAT_STATUS_NULL_POINTER);
    TRUE_(text == NULL);
    CHECK(cadfeat_metrics_text(ex, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_metrics_text(ex, &text), CADFEAT_STATUS_UNSUPPORTED);
    cadfeat_string_free(text);
    cadfeat_string_free(NULL);

    uint32_t v = 0;
    CHECK(cadfeat_feature_version_parse(NULL, &v), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_feature_version_parse("v2", NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_feature_version_parse("v\xff", &v), CADFEAT_STATUS_INVALID_UTF8);
    CHECK(cadfeat_feature_version_parse("v6", &v), CADFEAT_STATUS_UNKNOWN_VERSION);
    CHECK(cadfeat_feature_version_parse("v2", &v), CADFEAT_STATUS_OK);
    TRUE_(v == 2);
    size_t n = 0;
    CHECK(cadfeat_feature_version_dim(3, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_feature_version_dim(UINT32_MAX, &n), CADFEAT_STATUS_UNKNOWN_VERSION);
    CHECK(cadfeat_feature_version_dim(3, &n), CADFEAT_STATUS_OK);
    TRUE_(n == 22);
    CHECK(cadfeat_slot_count(1, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_slot_count(77, &n), CADFEAT_STATUS_UNKNOWN_VERSION);
    CHECK(cadfeat_slot_count(1, &n), CADFEAT_STATUS_OK);
    TRUE_(n == 7);

    char buf[64];
    size_t needed = 0;
    CHECK(cadfeat_slot_name(9, 0, buf, sizeof buf, &needed), CADFEAT_STATUS_UNKNOWN_VERSION);
    CHECK(cadfeat_slot_name(1, 7, buf, sizeof buf, &needed), CADFEAT_STATUS_INVALID_ARGUMENT);
    CHECK(cadfeat_slot_name(1, 0, NULL, 0, &needed), CADFEAT_STATUS_BUFFER_TOO_SMALL);
    TRUE_(needed > 1 && needed <= sizeof buf);
    memset(buf, 'Z', sizeof buf);
    CHECK(cadfeat_slot_name(1, 0, buf, needed - 1, NULL), CADFEAT_STATUS_BUFFER_TOO_SMALL);
    TRUE_(buf[0] == 'Z');
    CHECK(cadfeat_slot_name(1, 0, NULL, sizeof buf, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_slot_name(1, 0, buf, needed, NULL), CADFEAT_STATUS_OK);
    TRUE_(strlen(buf) == needed - 1);

    double vec4[24] = {0};
    vec4[0] = 1.5;
    double out[64];
    size_t out_len = 0;
    CHECK(cadfeat_migrate(vec4, 24, 4, 5, out, 64, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_migrate(NULL, 24, 4, 5, out, 64, &out_len), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_migrate(vec4, 23, 4, 5, out, 64, &out_len), CADFEAT_STATUS_VECTOR_LENGTH);
    CHECK(cadfeat_migrate(vec4, 24, 4, 8, out, 64, &out_len), CADFEAT_STATUS_UNKNOWN_VERSION);
    CHECK(cadfeat_migrate(vec4, 24, 4, 5, out, 10, &out_len), CADFEAT_STATUS_BUFFER_TOO_SMALL);
    TRUE_(out_len == 64);
    CHECK(cadfeat_migrate(vec4, 24, 4, 5, NULL, 64, &out_len), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_migrate(vec4, 24, 4, 5, out, 64, &out_len), CADFEAT_STATUS_OK);
    TRUE_(out_len == 64 && out[0] == 1.5 && out[63] == 0.0);
    CHECK(cadfeat_migrate(vec4, 24, 4, 1, out, 64, &out_len), CADFEAT_STATUS_OK);
    TRUE_(out_len == 7 && out[0] == 1.5);

    double s = -1.0;
    const double a[2] = {3.0, 4.0}, b[2] = {-6.0, -8.0};
    CHECK(cadfeat_cosine_similarity(NULL, 2, b, 2, &s), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_cosine_similarity(a, 2, NULL, 2, &s), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_cosine_similarity(a, 2, b, 2, NULL), CADFEAT_STATUS_NULL_POINTER);
    CHECK(cadfeat_cosine_similarity(a, 2, b, 2, &s), CADFEAT_STATUS_OK);
    TRUE_(s == -1.0);
    CHECK(cadfeat_cosine_similarity(a, 2, b, 1, &s), CADFEAT_STATUS_OK);
    TRUE_(s == 0.0);
    CHECK(cadfeat_cosine_similarity(NULL, 0, NULL, 0, &s), CADFEAT_STATUS_OK);
    TRUE_(s == 0.0);

    cadfeat_extractor_free(ex);
    cadfeat_extractor_free(NULL);
    printf("%s %d checks, %d failed\n", failures ? "FAIL" : "ok", checks, failures);
    return failures ? 1 : 0;
}
