/*
 * cwmp-sim: the data-model file loader.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * The file (format in ../README.md) is read once at start-up into one
 * buffer that becomes the string block of the model: unescaping only ever
 * shortens a field, so paths and values are NUL-terminated in place and the
 * nodes point into it.  Nodes are sorted with sim_path_cmp so that lookups
 * are binary searches and every subtree is one contiguous run; templates
 * (paths with "{i}") are kept apart, sorted the same way, and only used by
 * AddObject.  The model is read-only after loading and shared by all
 * simulated devices.
 */
#include "sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One segment of a path: [p, p+len), 'last' when no '.' follows it. */
struct seg {
    const char *p;
    size_t len;
    bool last;
};

static const char *next_seg(const char *p, struct seg *s)
{
    const char *q = strchr(p, '.');

    s->p = p;
    if (q) {
        s->len = (size_t)(q - p);
        s->last = false;
        return q + 1;
    }
    s->len = strlen(p);
    s->last = true;
    return p + s->len;
}

static bool seg_numeric(const struct seg *s)
{
    if (s->len == 0)
        return false;
    for (size_t i = 0; i < s->len; i++)
        if (s->p[i] < '0' || s->p[i] > '9')
            return false;
    return true;
}

int sim_path_cmp(const char *a, const char *b)
{
    for (;;) {
        struct seg sa, sb;
        bool na, nb;
        int c;

        if (!*a || !*b)
            return (*a != 0) - (*b != 0);
        a = next_seg(a, &sa);
        b = next_seg(b, &sb);
        if (sa.len == sb.len && sa.last == sb.last &&
            memcmp(sa.p, sb.p, sa.len) == 0)
            continue;
        /* parameters before objects of the same parent */
        if (sa.last != sb.last)
            return sa.last ? -1 : 1;
        na = seg_numeric(&sa);
        nb = seg_numeric(&sb);
        if (na && nb) {
            /* instance numbers: no leading zeros, so length first */
            if (sa.len != sb.len)
                return sa.len < sb.len ? -1 : 1;
            return memcmp(sa.p, sb.p, sa.len) < 0 ? -1 : 1;
        }
        if (na != nb)
            return na ? -1 : 1;
        c = memcmp(sa.p, sb.p, sa.len < sb.len ? sa.len : sb.len);
        if (c)
            return c < 0 ? -1 : 1;
        return sa.len < sb.len ? -1 : 1;
    }
}

static int node_cmp(const void *a, const void *b)
{
    const struct sim_node *x = a, *y = b;
    return sim_path_cmp(x->path, y->path);
}

/* Unescapes \\ \t \n in place; returns the string. */
static char *unescape(char *s)
{
    char *r = s, *w = s;

    while (*r) {
        if (*r == '\\' && r[1]) {
            r++;
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
            r++;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
    return s;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Last segment of an object path "A.B.7." is numeric. */
static bool is_instance_path(const char *p)
{
    size_t n = strlen(p), i;

    if (n < 3 || p[n - 1] != '.')
        return false;
    i = n - 1;
    while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
        i--;
    return i < n - 1 && i > 0 && p[i - 1] == '.' && p[i] != '0';
}

static int read_file(const char *file, char **out, size_t *len)
{
    FILE *f = fopen(file, "rb");
    char *buf = NULL;
    long sz;
    int err = UB_EIO;

    if (!f)
        return UB_EIO;
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    /* Exit if absurdly large: a model is a few hundred KB. */
    if (sz > 64L * 1024 * 1024) {
        err = UB_ETOOBIG;
        goto out;
    }
    buf = ub_malloc((size_t)sz + 1);
    if (!buf) {
        err = UB_ENOMEM;
        goto out;
    }
    if (fread(buf, 1, (size_t)sz, f) != (size_t)sz)
        goto out;
    buf[sz] = 0;
    *out = buf;
    *len = (size_t)sz;
    buf = NULL;
    err = UB_OK;
out:
    ub_free(buf);
    fclose(f);
    return err;
}

/* Parses the flags column. */
static int parse_flags(const char *f, struct sim_node *nd)
{
    if (strcmp(f, "-") == 0)
        return UB_OK;
    for (; *f; f++) {
        switch (*f) {
        case 'F': nd->flags |= SIM_F_FORCED; break;
        case 'S': nd->flags |= SIM_F_SECRET; break;
        case 'D': nd->flags |= SIM_F_DENY_ACTIVE; break;
        case 'P': nd->notif = 1; break;
        case 'A': nd->notif = 2; break;
        default: return UB_EPROTO;
        }
    }
    return UB_OK;
}

const struct sim_node *sim_model_tmpl_find(const struct sim_model *m,
                                           const char *schema_path)
{
    size_t lo = 0, hi = m->n_tmpl;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = sim_path_cmp(m->tmpl[mid].path, schema_path);
        if (c == 0)
            return &m->tmpl[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const struct sim_node *find_concrete(const struct sim_model *m,
                                            const char *path)
{
    struct sim_node key = {.path = path};
    return bsearch(&key, m->nodes, m->n, sizeof(*m->nodes), node_cmp);
}

/* Parent object path of p (object or parameter) into buf. */
static bool parent_of(const char *p, char *buf, size_t bufsz)
{
    size_t n = strlen(p);

    if (n && p[n - 1] == '.')
        n--;
    while (n > 0 && p[n - 1] != '.')
        n--;
    if (n == 0 || n >= bufsz)
        return false;
    memcpy(buf, p, n);
    buf[n] = 0;
    return true;
}

int sim_model_load(const char *file, struct sim_model **out, char *err,
                   size_t errsz)
{
    struct sim_model *m = NULL;
    char *buf = NULL, *line, *next;
    size_t len = 0, lines = 0, nc = 0, nt = 0, lineno = 0;
    int rc;

    rc = read_file(file, &buf, &len);
    if (rc) {
        snprintf(err, errsz, "%s: cannot read (%s)", file,
                 rc == UB_EIO ? strerror(errno) : ub_strerror(rc));
        goto out;
    }
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n')
            lines++;
    lines++;
    rc = UB_ENOMEM;
    m = ub_calloc(1, sizeof(*m));
    if (!m)
        goto out;
    m->nodes = ub_calloc(lines, sizeof(*m->nodes));
    m->tmpl = ub_calloc(lines, sizeof(*m->tmpl));
    m->file = ub_strdup(file);
    if (!m->nodes || !m->tmpl || !m->file)
        goto out;
    m->strings = buf;
    buf = NULL;

    rc = UB_EPROTO;
    for (line = m->strings; line; line = next) {
        char *f[5] = {0};
        size_t nf = 0;
        struct sim_node nd = {0};
        enum ub_type t;

        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (*line && line[strlen(line) - 1] == '\r')
            line[strlen(line) - 1] = 0;
        if (*line == 0 || *line == '#')
            continue;
        f[nf++] = line;
        for (char *p = line; *p && nf < 5; p++) {
            if (*p == '\t') {
                *p = 0;
                f[nf++] = p + 1;
            }
        }
        if (nf < 4) {
            snprintf(err, errsz, "%s:%zu: expected 4 or 5 tab-separated "
                     "columns", file, lineno);
            goto out;
        }
        nd.path = f[0];
        nd.value = nf == 5 ? unescape(f[4]) : "";
        if (strlen(nd.path) >= UB_PATH_MAX) {
            snprintf(err, errsz, "%s:%zu: path too long", file, lineno);
            goto out;
        }
        if (strcmp(f[1], "object") == 0 || strcmp(f[1], "table") == 0) {
            nd.type = UB_T_OBJECT;
            nd.flags |= SIM_F_OBJECT;
            if (f[1][0] == 't')
                nd.flags |= SIM_F_TABLE;
            else if (is_instance_path(nd.path) || ends_with(nd.path, ".{i}."))
                nd.flags |= SIM_F_INSTANCE;
            if (nd.path[strlen(nd.path) - 1] != '.') {
                snprintf(err, errsz, "%s:%zu: object path must end in '.'",
                         file, lineno);
                goto out;
            }
        } else {
            t = ub_type_from_name(f[1]);
            if (t == UB_T_NONE || t == UB_T_OBJECT) {
                snprintf(err, errsz, "%s:%zu: unknown type '%s'", file,
                         lineno, f[1]);
                goto out;
            }
            nd.type = (uint8_t)t;
            if (nd.path[strlen(nd.path) - 1] == '.') {
                snprintf(err, errsz, "%s:%zu: parameter path ends in '.'",
                         file, lineno);
                goto out;
            }
            if (ends_with(nd.path, "NumberOfEntries"))
                nd.flags |= SIM_F_COUNT;
            if (ends_with(nd.path, ".DeviceInfo.UpTime"))
                nd.flags |= SIM_F_UPTIME;
            if (ends_with(nd.path, ".Time.CurrentLocalTime"))
                nd.flags |= SIM_F_NOW;
        }
        if (strcmp(f[2], "W") == 0)
            nd.flags |= SIM_F_WRITABLE;
        else if (strcmp(f[2], "R") != 0) {
            snprintf(err, errsz, "%s:%zu: access must be R or W", file,
                     lineno);
            goto out;
        }
        if (parse_flags(f[3], &nd)) {
            snprintf(err, errsz, "%s:%zu: bad flags '%s'", file, lineno,
                     f[3]);
            goto out;
        }
        if (strstr(nd.value, "${"))
            nd.flags |= SIM_F_MACRO;
        if (strstr(nd.path, "{i}")) {
            m->tmpl[nt++] = nd;
            continue;
        }
        if (!ub_path_is_valid(nd.path)) {
            snprintf(err, errsz, "%s:%zu: invalid path '%s'", file, lineno,
                     nd.path);
            goto out;
        }
        if (nd.flags & SIM_F_OBJECT) {
            m->n_objects++;
            if (nd.flags & SIM_F_TABLE)
                m->n_tables++;
        } else {
            m->n_params++;
        }
        m->nodes[nc++] = nd;
    }
    m->n = nc;
    m->n_tmpl = nt;
    if (nc == 0) {
        snprintf(err, errsz, "%s: no nodes", file);
        goto out;
    }
    qsort(m->nodes, nc, sizeof(*m->nodes), node_cmp);
    qsort(m->tmpl, nt, sizeof(*m->tmpl), node_cmp);
    for (size_t i = 1; i < nc; i++) {
        if (sim_path_cmp(m->nodes[i - 1].path, m->nodes[i].path) == 0) {
            snprintf(err, errsz, "%s: duplicate path %s", file,
                     m->nodes[i].path);
            goto out;
        }
    }
    /* the root is the first node and every node has its parent object */
    if (!(m->nodes[0].flags & SIM_F_OBJECT) ||
        strchr(m->nodes[0].path, '.')[1] != 0) {
        snprintf(err, errsz, "%s: the first object must be the root", file);
        goto out;
    }
    for (size_t i = 1; i < nc; i++) {
        char parent[UB_PATH_MAX];
        const struct sim_node *p;

        if (!parent_of(m->nodes[i].path, parent, sizeof(parent)) ||
            !(p = find_concrete(m, parent)) || !(p->flags & SIM_F_OBJECT)) {
            snprintf(err, errsz, "%s: %s has no parent object", file,
                     m->nodes[i].path);
            goto out;
        }
        if ((m->nodes[i].flags & SIM_F_INSTANCE) && !(p->flags & SIM_F_TABLE)) {
            snprintf(err, errsz, "%s: instance %s is not in a table", file,
                     m->nodes[i].path);
            goto out;
        }
    }
    rc = UB_ENOMEM;
    m->index = ub_calloc(nc, sizeof(*m->index));
    if (!m->index)
        goto out;
    for (size_t i = 0; i < nc; i++)
        m->index[i] = &m->nodes[i];
    m->root = ub_strdup(m->nodes[0].path);
    if (!m->root)
        goto out;
    *out = m;
    m = NULL;
    rc = UB_OK;
out:
    ub_free(buf);
    sim_model_free(m);
    return rc;
}

void sim_model_free(struct sim_model *m)
{
    if (!m)
        return;
    ub_free(m->file);
    ub_free(m->root);
    ub_free(m->nodes);
    ub_free(m->index);
    ub_free(m->tmpl);
    ub_free(m->strings);
    ub_free(m);
}
