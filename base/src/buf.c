/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Bounded byte buffers and bounded lists (curl dynbuf style: the maximum is
 * fixed at init and a failed append frees the buffer). */
#include <ub/base.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ub_buf_init(struct ub_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : SIZE_MAX / 2;
}

void ub_buf_free(struct ub_buf *b)
{
    ub_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ub_buf_reset(struct ub_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(struct ub_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > b->max || b->len > b->max - extra) {
        ub_buf_free(b);
        return UB_ETOOBIG;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return UB_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = ub_realloc(b->data, cap);
    if (!p) {
        ub_buf_free(b);
        return UB_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return UB_OK;
}

int ub_buf_append(struct ub_buf *b, const void *p, size_t n)
{
    int err = reserve(b, n);

    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return UB_OK;
}

int ub_buf_appends(struct ub_buf *b, const char *s)
{
    return ub_buf_append(b, s, strlen(s));
}

int ub_buf_printf(struct ub_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, err;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ub_buf_free(b);
        return UB_EINVAL;
    }
    err = reserve(b, (size_t)n);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return UB_OK;
}

char *ub_buf_take(struct ub_buf *b, size_t *len)
{
    char *d = b->data;

    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

/* ---- parameter and string lists ---- */

#define LIST_DEFAULT_MAX 1000000u

void ub_param_clear(struct ub_param *p)
{
    if (!p)
        return;
    ub_free(p->path);
    ub_free(p->value);
    ub_free(p->type_name);
    memset(p, 0, sizeof(*p));
}

void ub_param_list_init(struct ub_param_list *l, size_t max)
{
    l->v = NULL;
    l->n = l->cap = 0;
    l->max = max ? max : LIST_DEFAULT_MAX;
}

int ub_param_list_push(struct ub_param_list *l, struct ub_param **out)
{
    if (!l->max)
        l->max = LIST_DEFAULT_MAX;
    if (l->n >= l->max)
        return UB_ETOOBIG;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct ub_param *v;

        if (cap > l->max)
            cap = l->max;
        v = ub_realloc(l->v, cap * sizeof(*v));
        if (!v)
            return UB_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    *out = &l->v[l->n++];
    return UB_OK;
}

int ub_param_list_add(struct ub_param_list *l, const char *path,
                      const char *value, enum ub_type type)
{
    struct ub_param *p;
    int err = ub_param_list_push(l, &p);

    if (err)
        return err;
    p->path = ub_strdup(path);
    p->value = value ? ub_strdup(value) : NULL;
    p->type = type;
    if (!p->path || (value && !p->value)) {
        ub_param_clear(p);
        l->n--;
        return UB_ENOMEM;
    }
    return UB_OK;
}

void ub_param_list_free(struct ub_param_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        ub_param_clear(&l->v[i]);
    ub_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

void ub_strv_init(struct ub_strv *s, size_t max)
{
    s->v = NULL;
    s->n = s->cap = 0;
    s->max = max ? max : LIST_DEFAULT_MAX;
}

int ub_strv_addn(struct ub_strv *s, const char *str, size_t n)
{
    char *d;

    if (!s->max)
        s->max = LIST_DEFAULT_MAX;
    if (s->n >= s->max)
        return UB_ETOOBIG;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **v;

        if (cap > s->max)
            cap = s->max;
        v = ub_realloc(s->v, cap * sizeof(*v));
        if (!v)
            return UB_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    d = ub_strndup(str, n);
    if (!d)
        return UB_ENOMEM;
    s->v[s->n++] = d;
    return UB_OK;
}

int ub_strv_add(struct ub_strv *s, const char *str)
{
    return ub_strv_addn(s, str, strlen(str));
}

void ub_strv_free(struct ub_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        ub_free(s->v[i]);
    ub_free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
