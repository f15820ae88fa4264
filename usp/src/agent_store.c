/*
 * Hosted Device.LocalAgent.: row helpers over the caller's store, object
 * creation from the schema, and the ub_tree read view.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Everything reads and writes through struct usp_agent_store (usp.h), so
 * this module never knows about LMDB.  Instance numbers come from a
 * per-table counter row under "_Meta." (outside "Device.", so no Get sees
 * it): the counter only grows, and when it is missing (an older store) it
 * restarts above the largest instance present, so a number is never
 * reused.  {{numentries}} counters are stored rows, rewritten after every
 * Add/Delete in the same transaction.
 *
 * The tree view answers the three ub_tree calls from get/iter: children()
 * walks the subtree rows and keeps the direct children, which costs a
 * subtree scan per call; the hosted tree is a few hundred rows at most, so
 * that is cheaper than keeping an index.  UpTime is computed at read time.
 */
#include "agent_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_PREFIX "_Meta."

bool agent__fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n) {
        if (n)
            buf[0] = '\0';
        return false;
    }
    return true;
}

bool agent__store_writable(const struct usp_agent_store *st)
{
    return st && st->ops && st->ops->put && st->ops->del && st->ops->get &&
           st->ops->iter;
}

int agent__get_value(const struct usp_agent_store *st, const char *path,
                     char **out)
{
    struct ub_param p = {0};
    int err;

    err = st->ops->get(st->ctx, path, &p);
    if (err)
        return err;
    *out = p.value ? p.value : ub_strdup("");
    p.value = NULL;
    ub_param_clear(&p);
    return *out ? UB_OK : UB_ENOMEM;
}

int agent__get_valuef(const struct usp_agent_store *st, char **out,
                      const char *fmt, ...)
{
    char path[UB_PATH_MAX + 1];
    va_list ap;
    int n, err;

    va_start(ap, fmt);
    n = vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(path))
        return UB_ETOOBIG;
    *out = NULL;
    err = agent__get_value(st, path, out);
    if (err == UB_ENOTFOUND) {
        *out = NULL;
        return UB_OK;
    }
    return err;
}

bool agent__row_exists(const struct usp_agent_store *st, const char *path)
{
    struct ub_param p = {0};

    if (st->ops->get(st->ctx, path, &p))
        return false;
    ub_param_clear(&p);
    return true;
}

int agent__put_row(const struct usp_agent_store *st, const char *path,
                   enum ub_type type, bool writable, const char *value)
{
    struct ub_param p = {0};

    p.path = (char *)path;
    p.type = type;
    p.writable = writable;
    p.value = type == UB_T_OBJECT ? NULL : (char *)(value ? value : "");
    return st->ops->put(st->ctx, &p);
}

int agent__put_param(const struct usp_agent_store *st, const char *obj,
                     const struct agent_param *p, const char *value)
{
    char path[UB_PATH_MAX + 1];

    if (!agent__fmt(path, sizeof(path), "%s%s", obj, p->name))
        return UB_ETOOBIG;
    return agent__put_row(st, path, p->type, (p->flags & AGENT_P_RW) != 0,
                          value);
}

int agent__put_obj(const struct usp_agent_store *st, const char *path,
                   bool writable)
{
    return agent__put_row(st, path, UB_T_OBJECT, writable, NULL);
}

int agent__del(const struct usp_agent_store *st, const char *path)
{
    return st->ops->del(st->ctx, path);
}

/* ---- Instances ---- */

struct inst_walk {
    const char *table;
    size_t tlen;
    unsigned *v;
    size_t n, cap;
    int err;
};

static int inst_cb(void *user, const struct ub_param *row)
{
    struct inst_walk *w = user;
    const char *rest;
    size_t rl;
    unsigned long long inst;

    if (strncmp(row->path, w->table, w->tlen) != 0)
        return 0;
    rest = row->path + w->tlen;
    rl = strlen(rest);
    if (rl < 2 || rest[rl - 1] != '.' || !ub_path_seg_is_instance(rest, rl - 1))
        return 0;
    inst = strtoull(rest, NULL, 10);
    if (inst == 0 || inst > UINT32_MAX)
        return 0;
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 8;
        unsigned *nv = ub_realloc(w->v, nc * sizeof(*nv));

        if (!nv) {
            w->err = UB_ENOMEM;
            return UB_ENOMEM;
        }
        w->v = nv;
        w->cap = nc;
    }
    w->v[w->n++] = (unsigned)inst;
    return 0;
}

static int cmp_uns(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

int agent__instances(const struct usp_agent_store *st, const char *table,
                     unsigned **out, size_t *n)
{
    struct inst_walk w = {.table = table, .tlen = strlen(table)};
    int err;

    err = st->ops->iter(st->ctx, table, inst_cb, &w);
    if (w.err)
        err = w.err;
    if (err) {
        ub_free(w.v);
        return err;
    }
    if (w.n > 1)
        qsort(w.v, w.n, sizeof(*w.v), cmp_uns);
    *out = w.v;
    *n = w.n;
    return UB_OK;
}

int agent__next_instance(const struct usp_agent_store *st, const char *table,
                         bool commit, unsigned *out)
{
    char meta[UB_PATH_MAX + 1], num[16];
    char *v = NULL;
    unsigned *insts = NULL;
    size_t n = 0;
    uint64_t next = 0;
    int err;

    if (!agent__fmt(meta, sizeof(meta), META_PREFIX "%sNextInstance", table))
        return UB_ETOOBIG;
    err = agent__get_value(st, meta, &v);
    if (err && err != UB_ENOTFOUND)
        return err;
    if (!err && !agent__parse_u64(v, &next))
        next = 0;
    ub_free(v);
    /* Never below what exists (a lost or stale counter must not make us
     * hand out a number that is in use). */
    err = agent__instances(st, table, &insts, &n);
    if (err)
        return err;
    if (n && next <= insts[n - 1])
        next = (uint64_t)insts[n - 1] + 1;
    ub_free(insts);
    if (next == 0)
        next = 1;
    if (next >= UINT32_MAX)
        return UB_EFULL;
    if (!commit) {
        *out = (unsigned)next;
        return UB_OK;
    }
    agent__fmt(num, sizeof(num), "%u", (unsigned)(next + 1));
    err = agent__put_row(st, meta, UB_T_UINT, false, num);
    if (err)
        return err;
    *out = (unsigned)next;
    return UB_OK;
}

int agent__update_count(const struct usp_agent_store *st,
                        const struct agent_obj *tobj, const char *table)
{
    char path[UB_PATH_MAX + 1], num[16];
    unsigned *insts = NULL;
    size_t n = 0, tl = strlen(table), pl;
    int err;

    if (!tobj->num_entries)
        return UB_OK;
    /* parent = table minus its last segment "Name." */
    pl = tl - 1;
    while (pl > 0 && table[pl - 1] != '.')
        pl--;
    err = agent__instances(st, table, &insts, &n);
    if (err)
        return err;
    ub_free(insts);
    if (!agent__fmt(path, sizeof(path), "%.*s%s", (int)pl, table,
                 tobj->num_entries))
        return UB_ETOOBIG;
    agent__fmt(num, sizeof(num), "%zu", n);
    return agent__put_row(st, path, UB_T_UINT, false, num);
}

/* ---- Object creation ---- */

static const char *override_of(const struct ub_param_list *ov,
                               const char *name)
{
    size_t i;

    if (!ov)
        return NULL;
    for (i = 0; i < ov->n; i++)
        if (strcmp(ov->v[i].path, name) == 0)
            return ov->v[i].value;
    return NULL;
}

int agent__create_obj(const struct usp_agent_store *st,
                      const struct agent_obj *o, const char *path,
                      const struct ub_param_list *overrides)
{
    const char *proto = NULL;
    size_t i, ol = strlen(o->path);
    int err;

    err = agent__put_obj(st, path, o->creatable);
    if (err)
        return err;
    for (i = 0; i < o->n_params; i++) {
        const struct agent_param *p = &o->params[i];
        const char *v = override_of(overrides, p->name);

        if (!v)
            v = agent__param_default(p);
        if (strcmp(p->name, "Protocol") == 0)
            proto = v;
        err = agent__put_param(st, path, p, v);
        if (err)
            return err;
    }
    /* Static sub-objects (recursively) and empty tables. */
    for (i = 0; i < agent__n_objs; i++) {
        const struct agent_obj *c = &agent__objs[i];
        char cpath[UB_PATH_MAX + 1];
        const char *rest;

        if (!agent__obj_is_child(o, c))
            continue;
        rest = c->path + ol; /* "Name." or "Name.{i}." */
        if (c->multi) {
            if (!agent__fmt(cpath, sizeof(cpath), "%s%.*s", path,
                         (int)(strlen(rest) - 4), rest))
                return UB_ETOOBIG;
            err = agent__put_obj(st, cpath, c->creatable);
            if (!err)
                err = agent__update_count(st, c, cpath);
        } else {
            if (c->proto && (!proto || strcmp(proto, c->proto) != 0))
                continue;
            if (!agent__fmt(cpath, sizeof(cpath), "%s%s", path, rest))
                return UB_ETOOBIG;
            /* sub-object values may be overridden as "Sub.Param" */
            if (overrides) {
                struct ub_param_list sub;
                size_t j, rl = strlen(rest);

                ub_param_list_init(&sub, 0);
                for (j = 0; j < overrides->n && !err; j++)
                    if (strncmp(overrides->v[j].path, rest, rl) == 0)
                        err = ub_param_list_add(&sub,
                                                overrides->v[j].path + rl,
                                                overrides->v[j].value,
                                                UB_T_STRING);
                if (!err)
                    err = agent__create_obj(st, c, cpath, &sub);
                ub_param_list_free(&sub);
            } else {
                err = agent__create_obj(st, c, cpath, NULL);
            }
        }
        if (err)
            return err;
    }
    return UB_OK;
}

/* ---- String helpers ---- */

bool agent__path_last_inst(const char *path, unsigned *inst)
{
    size_t n = strlen(path), b;
    unsigned long long v;

    if (n < 3 || path[n - 1] != '.')
        return false;
    b = n - 1;
    while (b > 0 && path[b - 1] != '.')
        b--;
    if (b == 0 || !ub_path_seg_is_instance(path + b, n - 1 - b))
        return false;
    v = strtoull(path + b, NULL, 10);
    if (v == 0 || v > UINT32_MAX)
        return false;
    if (inst)
        *inst = (unsigned)v;
    return true;
}

bool agent__ref_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

bool agent__list_has(const char *list, const char *item)
{
    const char *s = list;
    size_t il = strlen(item);

    if (il && item[il - 1] == '.')
        il--;
    while (s && *s) {
        const char *c = strchr(s, ','), *b = s, *e;

        e = c ? c : s + strlen(s);
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b && e[-1] == '.')
            e--;
        if ((size_t)(e - b) == il && strncmp(b, item, il) == 0)
            return true;
        s = c ? c + 1 : NULL;
    }
    return false;
}

bool agent__parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

bool agent__parse_bool(const char *s, bool *out)
{
    if (!s)
        return false;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        *out = false;
        return true;
    }
    return false;
}

bool usp_agent_path_is_hosted(const char *path)
{
    static const char root[] = USP_AGENT_ROOT;

    return path && strncmp(path, root, sizeof(root) - 1) == 0;
}

/* ---- The ub_tree view ---- */

struct view_cb {
    const struct usp_agent_view *v;
    ub_node_cb cb;
    void *user;
    const char *parent; /* children(): the parent path */
    size_t plen;
    const char *skip;   /* subtree(): the root, already reported */
};

static int emit(const struct usp_agent_view *v, const struct ub_param *row,
                ub_node_cb cb, void *user)
{
    struct ub_node n;
    char up[24];
    size_t l = strlen(row->path);

    if (strncmp(row->path, META_PREFIX, sizeof(META_PREFIX) - 1) == 0)
        return 0;
    n.path = row->path;
    n.writable = row->writable;
    if (l && row->path[l - 1] == '.') {
        n.type = UB_T_OBJECT;
        n.value = NULL;
    } else {
        n.type = row->type;
        n.value = row->value ? row->value : "";
        if (strcmp(row->path, USP_AGENT_ROOT "UpTime") == 0) {
            uint64_t now = ub_now_ms();

            agent__fmt(up, sizeof(up), "%llu",
                     (unsigned long long)(now > v->up_since_ms
                                              ? (now - v->up_since_ms) / 1000
                                              : 0));
            n.value = up;
        }
    }
    return cb(user, &n);
}

#define ANY_ROW 0x7fff /* walk stopper, distinct from every ub_err */

static int any_row(void *user, const struct ub_param *row)
{
    (void)user;
    (void)row;
    return ANY_ROW;
}

static int lookup_cb_row(const struct usp_agent_view *v, const char *path,
                         ub_node_cb cb, void *user)
{
    struct ub_param p = {0};
    int err;

    if (strncmp(path, META_PREFIX, sizeof(META_PREFIX) - 1) == 0)
        return UB_ENOTFOUND;
    err = v->st.ops->get(v->st.ctx, path, &p);
    if (err == UB_ENOTFOUND && ub_path_is_object(path)) {
        /* an ancestor without a row of its own ("Device."): synthesised
         * when rows exist below it, as proxy-db's tree does */
        int any = v->st.ops->iter(v->st.ctx, path, any_row, NULL);

        if (any != ANY_ROW)
            return any ? any : UB_ENOTFOUND;
        p.path = (char *)path;
        p.type = UB_T_OBJECT;
        return emit(v, &p, cb, user);
    }
    if (err)
        return err;
    err = emit(v, &p, cb, user);
    ub_param_clear(&p);
    return err;
}

static int tree_lookup(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    return lookup_cb_row(ctx, path, cb, user);
}

static int children_row(void *user, const struct ub_param *row)
{
    struct view_cb *c = user;
    const char *rest, *dot;

    if (strncmp(row->path, c->parent, c->plen) != 0)
        return 0;
    rest = row->path + c->plen;
    if (!*rest)
        return 0; /* the parent itself */
    dot = strchr(rest, '.');
    if (dot && dot[1] != '\0')
        return 0; /* deeper */
    return emit(c->v, row, c->cb, c->user);
}

static int tree_children(void *ctx, const char *path, ub_node_cb cb,
                         void *user)
{
    struct usp_agent_view *v = ctx;
    struct view_cb c = {.v = v, .cb = cb, .user = user, .parent = path,
                        .plen = strlen(path)};

    if (!ub_path_is_object(path) ||
        strncmp(path, META_PREFIX, sizeof(META_PREFIX) - 1) == 0)
        return UB_OK;
    return v->st.ops->iter(v->st.ctx, path, children_row, &c);
}

static int subtree_row(void *user, const struct ub_param *row)
{
    struct view_cb *c = user;

    if (strcmp(row->path, c->skip) == 0)
        return 0;
    if (strncmp(row->path, c->parent, c->plen) != 0)
        return 0;
    return emit(c->v, row, c->cb, c->user);
}

static int tree_subtree(void *ctx, const char *path, ub_node_cb cb,
                        void *user)
{
    struct usp_agent_view *v = ctx;
    struct view_cb c = {.v = v, .cb = cb, .user = user, .parent = path,
                        .plen = strlen(path), .skip = path};
    int err;

    err = lookup_cb_row(v, path, cb, user);
    if (err == UB_ENOTFOUND)
        err = UB_OK; /* rows below may still exist */
    if (err || !ub_path_is_object(path))
        return err;
    return v->st.ops->iter(v->st.ctx, path, subtree_row, &c);
}

static const struct ub_tree_ops view_ops = {
    .lookup = tree_lookup,
    .children = tree_children,
    .subtree = tree_subtree,
};

void usp_agent_tree(struct usp_agent_view *view, struct ub_tree *out)
{
    out->ops = &view_ops;
    out->ctx = view;
}

int agent__insert(const struct usp_agent_store *st,
                  const struct agent_obj *tobj, const char *table,
                  const struct ub_param_list *overrides, unsigned *inst,
                  char **path)
{
    char *p;
    unsigned n;
    int err;

    err = agent__next_instance(st, table, true, &n);
    if (err)
        return err;
    p = ub_asprintf("%s%u.", table, n);
    if (!p)
        return UB_ENOMEM;
    err = agent__create_obj(st, tobj, p, overrides);
    if (!err)
        err = agent__update_count(st, tobj, table);
    if (err) {
        ub_free(p);
        return err;
    }
    if (inst)
        *inst = n;
    if (path)
        *path = p;
    else
        ub_free(p);
    return UB_OK;
}

/* ---- Overlay: the device tree with the hosted subtree grafted in ---- */

struct ov_cb {
    ub_node_cb cb;
    void *user;
};

static int skip_hosted(void *user, const struct ub_node *n)
{
    struct ov_cb *c = user;

    if (usp_agent_path_is_hosted(n->path))
        return 0; /* the hosted tree wins over a device's own rows */
    return c->cb(c->user, n);
}

static int ov_lookup(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct usp_agent_overlay *o = ctx;
    int err;

    if (usp_agent_path_is_hosted(path))
        return tree_lookup(o->hosted, path, cb, user);
    if (!o->device)
        return tree_lookup(o->hosted, path, cb, user);
    err = o->device->ops->lookup(o->device->ctx, path, cb, user);
    if (err == UB_ENOTFOUND && strncmp(USP_AGENT_ROOT, path, strlen(path)) == 0)
        err = tree_lookup(o->hosted, path, cb, user); /* "Device." */
    return err;
}

static int ov_children(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct usp_agent_overlay *o = ctx;
    struct ov_cb c = {.cb = cb, .user = user};
    int err = UB_OK;

    if (usp_agent_path_is_hosted(path))
        return tree_children(o->hosted, path, cb, user);
    if (o->device) {
        err = o->device->ops->children(o->device->ctx, path, skip_hosted, &c);
        if (err == UB_ENOTFOUND)
            err = UB_OK;
    }
    if (!err && strcmp(path, "Device.") == 0) {
        err = tree_lookup(o->hosted, USP_AGENT_ROOT, cb, user);
        if (err == UB_ENOTFOUND)
            err = UB_OK;
    }
    return err;
}

static int ov_subtree(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct usp_agent_overlay *o = ctx;
    struct ov_cb c = {.cb = cb, .user = user};
    size_t pl = strlen(path);
    int err = UB_OK;

    if (usp_agent_path_is_hosted(path))
        return tree_subtree(o->hosted, path, cb, user);
    if (o->device) {
        err = o->device->ops->subtree(o->device->ctx, path, skip_hosted, &c);
        if (err == UB_ENOTFOUND)
            err = UB_OK;
    }
    if (!err && ub_path_is_object(path) &&
        strncmp(USP_AGENT_ROOT, path, pl) == 0)
        err = tree_subtree(o->hosted, USP_AGENT_ROOT, cb, user);
    return err;
}

static const struct ub_tree_ops overlay_ops = {
    .lookup = ov_lookup,
    .children = ov_children,
    .subtree = ov_subtree,
};

void usp_agent_tree_overlay(struct usp_agent_overlay *ov, struct ub_tree *out)
{
    out->ops = &overlay_ops;
    out->ctx = ov;
}
