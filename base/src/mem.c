/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: every allocation of the project goes through here so that we have
 * one place for accounting (ub_mem_in_use), an operator limit
 * (ub_mem_set_limit) and allocation-failure injection for tests
 * (ub_mem_fail_after).  Each block carries a 16-byte header with its size;
 * that keeps ub_free() O(1) without malloc_usable_size().  The counters are
 * plain variables: one loop thread allocates (helper threads, if any, must
 * use their own allocator or atomics would be needed here).
 */
#include <ub/base.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hdr {
    size_t size;
    size_t pad; /* keeps user memory 16-byte aligned */
};

static size_t in_use;
static size_t limit;
static long fail_after = -1;

static bool may_alloc(size_t n)
{
    if (fail_after == 0)
        return false;
    if (fail_after > 0)
        fail_after--;
    if (limit && in_use + n > limit)
        return false;
    return true;
}

void *ub_malloc(size_t n)
{
    struct hdr *h;

    if (n > SIZE_MAX - sizeof(*h) || !may_alloc(n))
        return NULL;
    h = malloc(sizeof(*h) + n);
    if (!h)
        return NULL;
    h->size = n;
    in_use += n;
    return h + 1;
}

void *ub_calloc(size_t nmemb, size_t size)
{
    void *p;

    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    p = ub_malloc(nmemb * size);
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}

void *ub_realloc(void *p, size_t n)
{
    struct hdr *h, *nh;
    size_t old;

    if (!p)
        return ub_malloc(n);
    h = (struct hdr *)p - 1;
    old = h->size;
    if (n > old && !may_alloc(n - old))
        return NULL;
    if (n > SIZE_MAX - sizeof(*h))
        return NULL;
    nh = realloc(h, sizeof(*nh) + n);
    if (!nh)
        return NULL;
    in_use = in_use - old + n;
    nh->size = n;
    return nh + 1;
}

void ub_free(void *p)
{
    struct hdr *h;

    if (!p)
        return;
    h = (struct hdr *)p - 1;
    in_use -= h->size;
    free(h);
}

char *ub_strndup(const char *s, size_t n)
{
    char *d;

    if (!s)
        return NULL;
    n = strnlen(s, n);
    d = ub_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *ub_strdup(const char *s)
{
    return s ? ub_strndup(s, SIZE_MAX) : NULL;
}

char *ub_asprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    s = ub_malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void ub_mem_set_limit(size_t bytes) { limit = bytes; }
size_t ub_mem_in_use(void) { return in_use; }
void ub_mem_fail_after(long n) { fail_after = n; }
