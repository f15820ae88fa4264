/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * TR-106 helpers: ParameterKey, types, access, booleans, grouping.
 *
 * DESIGN
 * Small pure functions.  The only allocation is map_paths_group, which
 * sorts indices by object path (qsort, O(n log n)) so that thousands of
 * parameters group without a quadratic scan, then restores first-appearance
 * order of the groups.
 */
#include "mapping_int.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* ParameterKey                                                        */
/* ------------------------------------------------------------------ */

#define PK_PREFIX "usp:"
#define PK_HEAD 13
#define PK_TAIL 14

static char pk_char(unsigned char c)
{
    return (c >= 0x20 && c <= 0x7e) ? (char)c : '_';
}

int map_parameter_key(const char *msg_id, char *out, size_t outsz)
{
    size_t len, o = 0;

    if (!msg_id || !out || outsz < MAP_PARAMETER_KEY_MAX + 1)
        return UB_EINVAL;
    len = strlen(msg_id);
    memcpy(out, PK_PREFIX, sizeof(PK_PREFIX) - 1);
    o = sizeof(PK_PREFIX) - 1;
    if (o + len <= MAP_PARAMETER_KEY_MAX) {
        for (size_t i = 0; i < len; i++)
            out[o++] = pk_char((unsigned char)msg_id[i]);
    } else {
        /* 4 + 13 + 1 + 14 = 32 */
        for (size_t i = 0; i < PK_HEAD; i++)
            out[o++] = pk_char((unsigned char)msg_id[i]);
        out[o++] = '~';
        for (size_t i = len - PK_TAIL; i < len; i++)
            out[o++] = pk_char((unsigned char)msg_id[i]);
    }
    out[o] = '\0';
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* Types and access                                                    */
/* ------------------------------------------------------------------ */

enum map_usp_type map_type_to_usp(enum ub_type t)
{
    switch (t) {
    case UB_T_NONE:
    case UB_T_STRING:
        return MAP_USP_PARAM_STRING;
    case UB_T_INT:
        return MAP_USP_PARAM_INT;
    case UB_T_UINT:
        return MAP_USP_PARAM_UNSIGNED_INT;
    case UB_T_LONG:
        return MAP_USP_PARAM_LONG;
    case UB_T_ULONG:
        return MAP_USP_PARAM_UNSIGNED_LONG;
    case UB_T_BOOL:
        return MAP_USP_PARAM_BOOLEAN;
    case UB_T_DATETIME:
        return MAP_USP_PARAM_DATE_TIME;
    case UB_T_BASE64:
        return MAP_USP_PARAM_BASE_64;
    case UB_T_HEXBINARY:
        return MAP_USP_PARAM_HEX_BINARY;
    case UB_T_DECIMAL:
        return MAP_USP_PARAM_DECIMAL;
    default:
        return MAP_USP_PARAM_UNKNOWN;
    }
}

enum ub_type map_type_from_usp(enum map_usp_type t)
{
    switch (t) {
    case MAP_USP_PARAM_BASE_64:
        return UB_T_BASE64;
    case MAP_USP_PARAM_BOOLEAN:
        return UB_T_BOOL;
    case MAP_USP_PARAM_DATE_TIME:
        return UB_T_DATETIME;
    case MAP_USP_PARAM_DECIMAL:
        return UB_T_DECIMAL;
    case MAP_USP_PARAM_HEX_BINARY:
        return UB_T_HEXBINARY;
    case MAP_USP_PARAM_INT:
        return UB_T_INT;
    case MAP_USP_PARAM_LONG:
        return UB_T_LONG;
    case MAP_USP_PARAM_STRING:
        return UB_T_STRING;
    case MAP_USP_PARAM_UNSIGNED_INT:
        return UB_T_UINT;
    case MAP_USP_PARAM_UNSIGNED_LONG:
        return UB_T_ULONG;
    default:
        return UB_T_NONE;
    }
}

const char *map_type_xsd(enum ub_type t)
{
    switch (t) {
    case UB_T_NONE:
    case UB_T_STRING:
        return "xsd:string";
    case UB_T_INT:
        return "xsd:int";
    case UB_T_UINT:
        return "xsd:unsignedInt";
    case UB_T_LONG:
        return "xsd:long";
    case UB_T_ULONG:
        return "xsd:unsignedLong";
    case UB_T_BOOL:
        return "xsd:boolean";
    case UB_T_DATETIME:
        return "xsd:dateTime";
    case UB_T_BASE64:
        return "xsd:base64";
    case UB_T_HEXBINARY:
        return "xsd:hexBinary";
    case UB_T_DECIMAL:
        return "xsd:decimal";
    default:
        return "";
    }
}

enum map_param_access map_param_access(bool writable)
{
    return writable ? MAP_PARAM_READ_WRITE : MAP_PARAM_READ_ONLY;
}

enum map_obj_access map_obj_access(bool is_table, bool table_writable,
                                   bool instance_writable)
{
    if (!is_table)
        return MAP_OBJ_READ_ONLY;
    if (table_writable && instance_writable)
        return MAP_OBJ_ADD_DELETE;
    if (table_writable)
        return MAP_OBJ_ADD_ONLY;
    if (instance_writable)
        return MAP_OBJ_DELETE_ONLY;
    return MAP_OBJ_READ_ONLY;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

const char *map_bool_to_usp(const char *v)
{
    const char *s, *e;
    size_t n;

    if (!v)
        return NULL;
    for (s = v; *s == ' ' || *s == '\t'; s++)
        ;
    for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
        ;
    n = (size_t)(e - s);
    if ((n == 1 && *s == '1') ||
        (n == 4 && mapping__strncasecmp(s, "true", 4) == 0))
        return "true";
    if ((n == 1 && *s == '0') ||
        (n == 5 && mapping__strncasecmp(s, "false", 5) == 0))
        return "false";
    return NULL;
}

const char *map_value_to_usp(enum ub_type t, const char *v)
{
    const char *b;

    if (t != UB_T_BOOL || !v)
        return v;
    b = map_bool_to_usp(v);
    return b ? b : v;
}

/* ------------------------------------------------------------------ */
/* Grouping                                                            */
/* ------------------------------------------------------------------ */

struct gitem {
    const char *path;
    size_t objlen; /* bytes of the object part, including the last '.' */
    size_t idx;
};

static int gitem_cmp(const void *a, const void *b)
{
    const struct gitem *x = a, *y = b;
    size_t n = x->objlen < y->objlen ? x->objlen : y->objlen;
    int c = memcmp(x->path, y->path, n);

    if (c)
        return c;
    if (x->objlen != y->objlen)
        return x->objlen < y->objlen ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static bool same_obj(const struct gitem *a, const struct gitem *b)
{
    return a->objlen == b->objlen && memcmp(a->path, b->path, a->objlen) == 0;
}

static int group_cmp(const void *a, const void *b)
{
    const struct map_group *x = a, *y = b;
    return x->idx[0] < y->idx[0] ? -1 : (x->idx[0] > y->idx[0]);
}

void map_groups_free(struct map_groups *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        ub_free(g->v[i].object);
        ub_free(g->v[i].idx);
    }
    ub_free(g->v);
    g->v = NULL;
    g->n = 0;
}

int map_paths_group(const char *const *paths, size_t n,
                    struct map_groups *out)
{
    struct gitem *it = NULL;
    struct map_groups g = {0};
    size_t ngroups = 0;
    int err = UB_OK;

    if (!out || (n > 0 && !paths))
        return UB_EINVAL;
    if (n == 0) {
        *out = g;
        return UB_OK;
    }
    if (n > SIZE_MAX / sizeof(*it))
        return UB_ETOOBIG;
    it = ub_malloc(n * sizeof(*it));
    if (!it)
        return UB_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *p = paths[i], *dot;
        size_t len;

        if (!p) {
            err = UB_EINVAL;
            goto out;
        }
        len = strlen(p);
        dot = strrchr(p, '.');
        if (!dot || len == 0 || p[len - 1] == '.') {
            err = UB_EINVAL;
            goto out;
        }
        it[i].path = p;
        it[i].objlen = (size_t)(dot - p) + 1;
        it[i].idx = i;
    }
    qsort(it, n, sizeof(*it), gitem_cmp);
    ngroups = 1;
    for (size_t i = 1; i < n; i++)
        if (!same_obj(&it[i], &it[i - 1]))
            ngroups++;
    g.v = ub_calloc(ngroups, sizeof(*g.v));
    if (!g.v) {
        err = UB_ENOMEM;
        goto out;
    }
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        struct map_group *grp = &g.v[g.n];

        while (end < n && same_obj(&it[end], &it[start]))
            end++;
        /* [start, end) is one group, indices ascending (sort tie-break) */
        grp->object = ub_strndup(it[start].path, it[start].objlen);
        grp->idx = ub_malloc((end - start) * sizeof(size_t));
        g.n++; /* counted even if half built: map_groups_free copes */
        if (!grp->object || !grp->idx) {
            err = UB_ENOMEM;
            goto out;
        }
        for (size_t k = start; k < end; k++)
            grp->idx[grp->n++] = it[k].idx;
        start = end;
    }
    qsort(g.v, g.n, sizeof(*g.v), group_cmp);
    *out = g;
    g.v = NULL;
    g.n = 0;
out:
    map_groups_free(&g);
    ub_free(it);
    return err;
}

int map_params_group(const struct ub_param_list *l, struct map_groups *out)
{
    const char **paths;
    int err;

    if (!l || !out)
        return UB_EINVAL;
    if (l->n == 0) {
        out->v = NULL;
        out->n = 0;
        return UB_OK;
    }
    paths = ub_malloc(l->n * sizeof(*paths));
    if (!paths)
        return UB_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        paths[i] = l->v[i].path;
    err = map_paths_group(paths, l->n, out);
    ub_free(paths);
    return err;
}
