/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Concrete data-model path helpers (the USP path *expression* engine lives
 * in usp/; these only validate and transform concrete paths). */
#include <ub/base.h>

#include <ctype.h>
#include <string.h>

bool ub_path_is_object(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return n > 0 && path[n - 1] == '.';
}

bool ub_path_seg_is_instance(const char *seg, size_t n)
{
    unsigned long long v = 0;

    if (n == 0 || n > 10 || seg[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)seg[i]))
            return false;
        v = v * 10 + (unsigned)(seg[i] - '0');
    }
    return v <= 4294967295ull;
}

static bool seg_is_name(const char *seg, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)seg[0]) || seg[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)seg[i];
        if (!(isalnum(c) || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool ub_path_is_valid(const char *path)
{
    const char *p, *dot;
    size_t len;

    if (!path)
        return false;
    len = strlen(path);
    if (len == 0 || len > UB_PATH_MAX)
        return false;
    p = path;
    for (;;) {
        size_t n;
        dot = strchr(p, '.');
        n = dot ? (size_t)(dot - p) : strlen(p);
        if (!seg_is_name(p, n) && !(p != path && ub_path_seg_is_instance(p, n)))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
        if (!*p)
            return true; /* trailing '.' : object path */
    }
}

char *ub_path_to_schema(const char *path)
{
    struct ub_buf b;
    const char *p = path, *dot;

    ub_buf_init(&b, UB_PATH_MAX * 2);
    if (ub_buf_append(&b, "", 0))
        return NULL;
    while (*p) {
        size_t n;
        dot = strchr(p, '.');
        n = dot ? (size_t)(dot - p) : strlen(p);
        if (ub_path_seg_is_instance(p, n) ? ub_buf_appends(&b, "{i}")
                                          : ub_buf_append(&b, p, n))
            return NULL;
        if (!dot)
            break;
        if (ub_buf_append(&b, ".", 1))
            return NULL;
        p = dot + 1;
    }
    return ub_buf_take(&b, NULL);
}
