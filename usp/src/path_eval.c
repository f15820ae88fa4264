/*
 * USP path names: resolution over a struct ub_tree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Resolution walks the parsed segments breadth first: a list of current
 * object paths (starting with "") is turned into the next list, segment by
 * segment.  Names and instance numbers are one lookup each; '*', [expr] and
 * [alias] list the table's children (instances are the children whose last
 * segment is a number) and filter them.  Each list stays in tree order
 * because every step keeps its parents' order and the tree hands children
 * in data-model order.  Reference following ("Ref+", "Ref#2+", "Ref#*+")
 * reads the parameter, splits a list value on commas, and resolves each item
 * as a path of its own (so unique-key references like
 * Device.IP.Interface.[Name=="eth0"] work too), at most max_ref_hops deep;
 * its targets come in reference order, duplicates dropped.
 *
 * Comparisons: numeric when the parameter's type is numeric (int, unsigned,
 * long, decimal), or when the type is unknown (UB_T_NONE, e.g. a CWMP value
 * without xsi:type) and both sides parse as numbers; booleans compare after
 * normalising 1/0/true/false; everything else compares as strings (strcmp,
 * which also orders ISO 8601 UTC dateTimes correctly).  A term whose
 * parameter is missing is false.
 *
 * The tree's nodes are borrowed for one callback only, so values are copied
 * before use.  The tree callbacks run synchronously; nothing here blocks.
 */
#include "usp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEF_MAX_RESULTS 100000u
#define DEF_MAX_HOPS 8u

struct ev {
    const struct ub_tree *t;
    size_t max_results;
    unsigned max_hops;
    unsigned hops;
};

/* ------------------------------------------------------------------ */
/* Tree access                                                         */
/* ------------------------------------------------------------------ */

struct got {
    bool found;
    bool is_obj;
    enum ub_type type;
    char *value;
};

static int got_cb(void *user, const struct ub_node *n)
{
    struct got *g = user;
    g->found = true;
    g->type = n->type;
    g->is_obj = n->type == UB_T_OBJECT;
    if (n->value && !g->value) {
        g->value = ub_strdup(n->value);
        if (!g->value)
            return UB_ENOMEM;
    }
    return 0;
}

/* Looks path up; absent is not an error (g->found false). */
static int get_node(struct ev *ev, const char *path, struct got *g)
{
    int rc;
    memset(g, 0, sizeof(*g));
    rc = ev->t->ops->lookup(ev->t->ctx, path, got_cb, g);
    if (rc == UB_ENOTFOUND) {
        ub_free(g->value);
        memset(g, 0, sizeof(*g));
        return UB_OK;
    }
    if (rc) {
        ub_free(g->value);
        g->value = NULL;
    }
    return rc;
}

struct kids {
    struct ub_strv *out;
    size_t plen;
    size_t max;
};

/* Keeps the children that are instances: "<parent><digits>." */
static int kids_cb(void *user, const struct ub_node *n)
{
    struct kids *k = user;
    const char *s;
    size_t d = 0;

    if (n->type != UB_T_OBJECT || strlen(n->path) <= k->plen)
        return 0;
    s = n->path + k->plen;
    while (s[d] >= '0' && s[d] <= '9')
        d++;
    if (!d || s[d] != '.' || s[d + 1] != '\0')
        return 0;
    if (k->out->n >= k->max)
        return UB_ETOOBIG;
    return ub_strv_add(k->out, n->path);
}

static int instances(struct ev *ev, const char *table, struct ub_strv *out)
{
    struct kids k = {out, strlen(table), ev->max_results};
    int rc = ev->t->ops->children(ev->t->ctx, table, kids_cb, &k);
    return rc == UB_ENOTFOUND ? UB_OK : rc;
}

static int push(struct ev *ev, struct ub_strv *v, const char *s)
{
    if (v->n >= ev->max_results)
        return UB_ETOOBIG;
    return ub_strv_add(v, s);
}

static int push_unique(struct ev *ev, struct ub_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->v[i], s))
            return UB_OK;
    return push(ev, v, s);
}

static char *join(const char *a, const char *b, const char *c)
{
    return ub_asprintf("%s%s%s", a, b, c ? c : "");
}

/* ------------------------------------------------------------------ */
/* Reference following                                                 */
/* ------------------------------------------------------------------ */

static int resolve_into(struct ev *ev, const struct usp_path *p,
                        struct ub_strv *out, bool *missing);

/* Resolves one reference item (a path, maybe without the trailing '.') and
 * appends the objects it names to out. */
static int follow_item(struct ev *ev, const char *item, size_t len,
                       struct ub_strv *out)
{
    struct usp_path *p = NULL;
    struct ub_strv tmp;
    char *s;
    bool missing;
    int err;

    while (len && (*item == ' ' || *item == '\t'))
        item++, len--;
    while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
        len--;
    if (!len)
        return UB_OK; /* empty reference: nothing to follow */
    s = ub_asprintf("%.*s%s", (int)len, item, item[len - 1] == '.' ? "" : ".");
    if (!s)
        return UB_ENOMEM;
    err = usp_path_parse(s, &p, NULL);
    ub_free(s);
    if (err == UB_EPROTO)
        return UB_OK; /* a dangling or malformed reference matches nothing */
    if (err)
        return err;
    ub_strv_init(&tmp, ev->max_results);
    ev->hops++;
    err = resolve_into(ev, p, &tmp, &missing);
    ev->hops--;
    for (size_t i = 0; !err && i < tmp.n; i++)
        err = push_unique(ev, out, tmp.v[i]);
    ub_strv_free(&tmp);
    usp_path_free(p);
    return err;
}

/* Follows the reference(s) held by value; ref is an item number or
 * USP__REF_ALL. */
static int follow(struct ev *ev, const char *value, int ref,
                  struct ub_strv *out)
{
    const char *s = value;
    int idx = 1;

    if (ev->hops >= ev->max_hops)
        return UB_OK; /* too deep: treat as unresolvable */
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (ref == USP__REF_ALL || ref == idx) {
            int err = follow_item(ev, s, len, out);
            if (err || ref != USP__REF_ALL)
                return err;
        }
        if (!comma)
            return UB_OK;
        s = comma + 1;
        idx++;
    }
}

/* ------------------------------------------------------------------ */
/* Comparisons                                                         */
/* ------------------------------------------------------------------ */

/* Integer text: optional sign then digits.  Sets neg and magnitude. */
static bool parse_int(const char *s, bool *neg, uint64_t *mag)
{
    char *end;
    *neg = false;
    if (*s == '-' || *s == '+') {
        *neg = *s == '-';
        s++;
    }
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *mag = strtoull(s, &end, 10);
    return !*end && errno == 0;
}

static bool parse_num(const char *s, double *d)
{
    char *end;
    if (!*s)
        return false;
    errno = 0;
    *d = strtod(s, &end);
    return !*end && errno == 0;
}

/* -1, 0, 1, or 2 when either side is not a number. */
static int num_cmp(const char *a, const char *b)
{
    bool na, nb;
    uint64_t ma, mb;
    double da, db;

    if (parse_int(a, &na, &ma) && parse_int(b, &nb, &mb)) {
        if (ma == 0)
            na = false;
        if (mb == 0)
            nb = false;
        if (na != nb)
            return na ? -1 : 1;
        if (ma == mb)
            return 0;
        return ((ma < mb) != na) ? -1 : 1;
    }
    if (parse_num(a, &da) && parse_num(b, &db))
        return da < db ? -1 : da > db ? 1 : 0;
    return 2;
}

/* 1 true, 0 false, -1 not a boolean */
static int bool_val(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "1"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "0"))
        return 0;
    return -1;
}

static bool is_numeric_type(enum ub_type t)
{
    return t == UB_T_INT || t == UB_T_UINT || t == UB_T_LONG ||
           t == UB_T_ULONG || t == UB_T_DECIMAL;
}

static bool apply(enum usp__op op, int c)
{
    switch (op) {
    case USP__OP_EQ: return c == 0;
    case USP__OP_NE: return c != 0;
    case USP__OP_LT: return c < 0;
    case USP__OP_GT: return c > 0;
    case USP__OP_LE: return c <= 0;
    case USP__OP_GE: return c >= 0;
    default: return false;
    }
}

/* Compares one scalar value with the constant (op is not CONTAINS). */
static bool cmp_scalar(enum ub_type type, const char *val, enum usp__op op,
                       const struct usp__term *t)
{
    int c;

    if (type == UB_T_BOOL ||
        (type == UB_T_NONE && !t->quoted && bool_val(t->value) >= 0 &&
         bool_val(val) >= 0 && num_cmp(t->value, val) == 2)) {
        int a = bool_val(val), b = bool_val(t->value);
        if (a < 0 || b < 0 || (op != USP__OP_EQ && op != USP__OP_NE))
            return false;
        return apply(op, a - b);
    }
    if (is_numeric_type(type) || (type == UB_T_NONE && !t->quoted)) {
        c = num_cmp(val, t->value);
        if (c != 2)
            return apply(op, c);
        if (is_numeric_type(type))
            return false; /* a numeric parameter that holds no number */
    }
    c = strcmp(val, t->value);
    return apply(op, c < 0 ? -1 : c > 0);
}

static bool cmp_value(enum ub_type type, const char *val,
                      const struct usp__term *t)
{
    if (t->op != USP__OP_CONTAINS)
        return cmp_scalar(type, val, t->op, t);
    /* ~=: a comma separated list holds an element equal to the constant */
    for (const char *s = val;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char item[512];
        while (len && *s == ' ')
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        if (len < sizeof(item)) {
            memcpy(item, s, len);
            item[len] = '\0';
            if (cmp_scalar(type == UB_T_BOOL ? UB_T_BOOL : UB_T_NONE, item,
                           USP__OP_EQ, t) ||
                !strcmp(item, t->value))
                return true;
        }
        if (!comma)
            return false;
        s = comma + 1;
    }
}

/* Evaluates one term against instance inst ("...Table.3."). */
static int eval_term(struct ev *ev, const char *inst,
                     const struct usp__term *t, bool *match)
{
    struct ub_strv objs, next;
    int err = UB_OK;

    *match = false;
    ub_strv_init(&objs, ev->max_results);
    ub_strv_init(&next, ev->max_results);
    err = ub_strv_add(&objs, inst);
    for (size_t k = 0; !err && k + 1 < t->n_parts; k++) {
        const struct usp__relname *rn = &t->parts[k];
        for (size_t i = 0; !err && i < objs.n; i++) {
            struct got g;
            char *path = join(objs.v[i], rn->name, rn->ref ? NULL : ".");
            if (!path) {
                err = UB_ENOMEM;
                break;
            }
            err = get_node(ev, path, &g);
            if (!err && g.found) {
                if (rn->ref && !g.is_obj && g.value)
                    err = follow(ev, g.value, rn->ref, &next);
                else if (!rn->ref && g.is_obj)
                    err = push(ev, &next, path);
            }
            ub_free(g.value);
            ub_free(path);
        }
        ub_strv_free(&objs);
        objs = next;
        ub_strv_init(&next, ev->max_results);
    }
    for (size_t i = 0; !err && !*match && i < objs.n; i++) {
        struct got g;
        char *path = join(objs.v[i], t->parts[t->n_parts - 1].name, NULL);
        if (!path) {
            err = UB_ENOMEM;
            break;
        }
        err = get_node(ev, path, &g);
        if (!err && g.found && !g.is_obj)
            *match = cmp_value(g.type, g.value ? g.value : "", t);
        ub_free(g.value);
        ub_free(path);
    }
    ub_strv_free(&objs);
    ub_strv_free(&next);
    return err;
}

/* ------------------------------------------------------------------ */
/* Segment steps                                                       */
/* ------------------------------------------------------------------ */

static int step(struct ev *ev, const struct usp__seg *sg, const char *obj,
                struct ub_strv *next)
{
    struct ub_strv kids;
    struct got g;
    char num[16];
    char *path;
    int err = UB_OK;

    switch (sg->kind) {
    case USP__SEG_NAME:
        path = join(obj, sg->name, sg->ref ? NULL : ".");
        if (!path)
            return UB_ENOMEM;
        err = get_node(ev, path, &g);
        if (!err && g.found) {
            if (sg->ref && !g.is_obj && g.value)
                err = follow(ev, g.value, sg->ref, next);
            else if (!sg->ref && g.is_obj)
                err = push(ev, next, path);
        }
        ub_free(g.value);
        ub_free(path);
        return err;
    case USP__SEG_INST:
        snprintf(num, sizeof(num), "%u.", (unsigned)sg->inst);
        path = join(obj, num, NULL);
        if (!path)
            return UB_ENOMEM;
        err = get_node(ev, path, &g);
        if (!err && g.found && g.is_obj)
            err = push(ev, next, path);
        ub_free(g.value);
        ub_free(path);
        return err;
    default:
        break;
    }

    /* '*', [expr], [alias]: filter the table's instances */
    ub_strv_init(&kids, ev->max_results);
    err = instances(ev, obj, &kids);
    for (size_t i = 0; !err && i < kids.n; i++) {
        bool ok = true;
        if (sg->kind == USP__SEG_EXPR) {
            for (size_t k = 0; !err && ok && k < sg->n_terms; k++)
                err = eval_term(ev, kids.v[i], &sg->terms[k], &ok);
        } else if (sg->kind == USP__SEG_ALIAS) {
            path = join(kids.v[i], "Alias", NULL);
            if (!path) {
                err = UB_ENOMEM;
                break;
            }
            err = get_node(ev, path, &g);
            ok = !err && g.found && g.value && !strcmp(g.value, sg->name);
            ub_free(g.value);
            ub_free(path);
        }
        if (!err && ok)
            err = push(ev, next, kids.v[i]);
    }
    ub_strv_free(&kids);
    return err;
}

static int resolve_into(struct ev *ev, const struct usp_path *p,
                        struct ub_strv *out, bool *missing)
{
    struct ub_strv cur, next;
    int err;

    ub_strv_init(&cur, ev->max_results);
    err = ub_strv_add(&cur, "");
    for (size_t s = 0; !err && s < p->n_segs && cur.n; s++) {
        ub_strv_init(&next, ev->max_results);
        for (size_t i = 0; !err && i < cur.n; i++)
            err = step(ev, &p->segs[s], cur.v[i], &next);
        ub_strv_free(&cur);
        cur = next;
    }
    for (size_t i = 0; !err && i < cur.n; i++) {
        struct got g;
        char *path;
        switch (p->kind) {
        case USP_PATH_OBJECT:
            err = push_unique(ev, out, cur.v[i]);
            break;
        case USP_PATH_PARAM:
            path = join(cur.v[i], p->leaf, NULL);
            if (!path) {
                err = UB_ENOMEM;
                break;
            }
            err = get_node(ev, path, &g);
            if (!err && g.found && !g.is_obj)
                err = push_unique(ev, out, path);
            ub_free(g.value);
            ub_free(path);
            break;
        case USP_PATH_COMMAND:
        case USP_PATH_EVENT:
            path = join(cur.v[i], p->leaf,
                        p->kind == USP_PATH_COMMAND ? "()" : "!");
            if (!path) {
                err = UB_ENOMEM;
                break;
            }
            err = push_unique(ev, out, path);
            ub_free(path);
            break;
        }
    }
    ub_strv_free(&cur);
    *missing = !err && out->n == 0 && !p->is_search;
    return err;
}

int usp_path_resolve(const struct usp_path *p, const struct ub_tree *tree,
                     const struct usp_resolve_opts *opts,
                     struct usp_resolved *out)
{
    struct ev ev;
    int err;

    if (out) {
        memset(out, 0, sizeof(*out));
        ub_strv_init(&out->paths, 0);
    }
    if (!p || !tree || !tree->ops || !out)
        return UB_EINVAL;
    memset(&ev, 0, sizeof(ev));
    ev.t = tree;
    ev.max_results =
        opts && opts->max_results ? opts->max_results : DEF_MAX_RESULTS;
    ev.max_hops = opts && opts->max_ref_hops ? opts->max_ref_hops
                                             : DEF_MAX_HOPS;
    out->paths.max = ev.max_results;
    out->is_search = p->is_search;
    err = resolve_into(&ev, p, &out->paths, &out->missing);
    return err;
}

void usp_resolved_free(struct usp_resolved *r)
{
    if (!r)
        return;
    ub_strv_free(&r->paths);
    r->missing = false;
}

uint32_t usp_resolve_nomatch_err(enum usp_msg_type req,
                                 const struct usp_resolved *r)
{
    if (!r || r->paths.n || r->is_search)
        return USP_ERR_OK;
    switch (req) {
    case USP_MSG_DELETE:
        return USP_ERR_OK; /* R-DEL.2a */
    case USP_MSG_SET:
        return USP_ERR_OBJECT_DOES_NOT_EXIST;
    default:
        return USP_ERR_INVALID_PATH;
    }
}
