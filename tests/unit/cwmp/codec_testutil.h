/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Helpers shared by the codec tests (test_codec*.c).  Header-only. */
#ifndef CODEC_TESTUTIL_H
#define CODEC_TESTUTIL_H

#include <ub/cwmp.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURES "../../fixtures/cwmp/"

static inline char *tu_slurp(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    long n;
    char *b;

    snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Encodes m into a fresh buffer (returned; caller ub_buf_free()s). */
static inline struct ub_buf tu_encode(struct cwmp_codec *c,
                                      const struct cwmp_msg *m)
{
    struct ub_buf b;
    int rc;

    ub_buf_init(&b, 8u << 20);
    rc = cwmp_encode(c, m, &b);
    if (rc)
        fail_msg("encode %s kind %d: %s", cwmp_method_name(m->method),
                 (int)m->kind, ub_strerror(rc));
    assert_non_null(b.data);
    return b;
}

static inline struct cwmp_msg *tu_decode_str(struct cwmp_codec *c,
                                             const char *s, size_t len)
{
    struct cwmp_msg *m = NULL;
    char err[256];
    int rc = cwmp_decode(c, s, len, &m, err, sizeof(err));

    if (rc)
        fail_msg("decode: %s (%s)\n%.*s", ub_strerror(rc), err,
                 (int)(len > 2000 ? 2000 : len), s);
    assert_non_null(m);
    return m;
}

/* encode -> decode -> encode: both encodings must be identical, and the
 * decoded message has the same method/kind/version/id.  Returns the
 * decoded message (caller frees). */
static inline struct cwmp_msg *tu_round_trip(struct cwmp_codec *c,
                                             const struct cwmp_msg *m)
{
    struct ub_buf a = tu_encode(c, m), b;
    struct cwmp_msg *d = tu_decode_str(c, a.data, a.len);

    assert_int_equal(d->method, m->method);
    assert_int_equal(d->kind, m->kind);
    assert_int_equal(d->version, m->version);
    if (m->id)
        assert_string_equal(d->id, m->id);
    else
        assert_null(d->id);
    assert_int_equal(d->hold_requests, m->hold_requests);
    b = tu_encode(c, d);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        fail_msg("re-encoding differs:\n%s\n---\n%s", a.data, b.data);
    ub_buf_free(&a);
    ub_buf_free(&b);
    return d;
}

static inline bool tu_contains(const struct ub_buf *b, const char *needle)
{
    return b->data && strstr(b->data, needle) != NULL;
}

#define assert_contains(buf, needle)                                           \
    do {                                                                       \
        if (!tu_contains(buf, needle))                                         \
            fail_msg("missing '%s' in:\n%s", needle, (buf)->data);             \
    } while (0)

static inline void tu_add_param(struct ub_param_list *l, const char *path,
                                const char *value, enum ub_type t)
{
    assert_int_equal(ub_param_list_add(l, path, value, t), UB_OK);
}

static inline char *tu_strdup(const char *s)
{
    char *d = ub_strdup(s);
    assert_non_null(d);
    return d;
}

#endif
