/*
 * proxy-db: a device's rows as a struct ub_tree (base.h) for the USP path
 * engine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Every operation is a cursor range scan over the device's key prefix
 * (key.c gives data-model order).  children() does not read the whole
 * subtree: after each child object it jumps (MDB_SET_RANGE) to the key
 * successor of that child's prefix, so it costs O(children * log n).
 * Objects with rows below them but no row of their own (the bridge wrote
 * parameters without their object) are synthesised so that the engine
 * always sees parents before children; subtree() tracks the last emitted
 * key: an ancestor is emitted iff it is a prefix of that key (pre-order).
 */
#include <string.h>

#include "pdb_int.h"

struct tree_ctx {
    struct pdb_rtxn *r;
    MDB_dbi dbi;
    uint32_t dev;
};

static int emit_row(const MDB_val *k, const MDB_val *v, ub_node_cb cb,
                    void *user)
{
    char path[PDB__PATH_BUF];
    struct pdb__prow row;
    struct ub_node n;
    uint32_t dev;

    if (pdb__key_decode(k->mv_data, k->mv_size, &dev, path, sizeof(path)) ||
        pdb__prow_decode(v->mv_data, v->mv_size, &row)) {
        UB_LOGE(PDB_MOD, "corrupt row in tree walk");
        return UB_ECORRUPT;
    }
    n.path = path;
    n.type = row.type;
    n.writable = row.writable;
    n.value = row.value;
    return cb(user, &n);
}

/* Emits a synthesised object node for an encoded object prefix. */
static int emit_synth(const uint8_t *key, size_t len, ub_node_cb cb,
                      void *user)
{
    char path[PDB__PATH_BUF];
    struct ub_node n;
    uint32_t dev;

    if (pdb__key_decode(key, len, &dev, path, sizeof(path)))
        return UB_ECORRUPT;
    n.path = path;
    n.type = UB_T_OBJECT;
    n.writable = false;
    n.value = NULL;
    return cb(user, &n);
}

static bool has_prefix(const MDB_val *k, const uint8_t *p, size_t n)
{
    return k->mv_size >= n && memcmp(k->mv_data, p, n) == 0;
}

static int t_lookup(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct tree_ctx *t = ctx;
    uint8_t kb[PDB__KEY_MAX];
    MDB_cursor *c = NULL;
    MDB_val k, v;
    size_t klen;
    int rc, err;

    if (!path || !*path || !cb)
        return UB_EINVAL;
    err = pdb__key_encode(t->dev, path, kb, &klen);
    if (err)
        return err == UB_ETOOBIG ? UB_ENOTFOUND : err;
    rc = mdb_cursor_open(t->r->txn, t->dbi, &c);
    if (rc)
        return pdb__mdb_err(rc, "cursor_open");
    k.mv_data = kb;
    k.mv_size = klen;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && k.mv_size == klen && memcmp(k.mv_data, kb, klen) == 0)
        err = emit_row(&k, &v, cb, user);
    else if (rc == 0 && has_prefix(&k, kb, klen) &&
             path[strlen(path) - 1] == '.')
        err = emit_synth(kb, klen, cb, user); /* object with rows below */
    else if (rc == 0 || rc == MDB_NOTFOUND)
        err = UB_ENOTFOUND;
    else
        err = pdb__mdb_err(rc, "lookup");
    mdb_cursor_close(c);
    return err;
}

static int t_children(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct tree_ctx *t = ctx;
    uint8_t kb[PDB__KEY_MAX], skip[PDB__KEY_MAX];
    size_t starts[PDB__KEY_MAX / 2], ends[PDB__KEY_MAX / 2];
    MDB_cursor *c = NULL;
    MDB_val k, v;
    size_t plen;
    int rc, err = UB_OK, pseg;

    if (!cb)
        return UB_EINVAL;
    if (path && *path && path[strlen(path) - 1] != '.')
        return UB_EINVAL; /* parameters have no children */
    err = pdb__key_encode(t->dev, path, kb, &plen);
    if (err)
        return err == UB_ETOOBIG ? UB_ENOTFOUND : err;
    pseg = pdb__key_segments(kb, plen, starts, ends, UB_ARRAY_LEN(starts));
    rc = mdb_cursor_open(t->r->txn, t->dbi, &c);
    if (rc)
        return pdb__mdb_err(rc, "cursor_open");
    k.mv_data = kb;
    k.mv_size = plen;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && has_prefix(&k, kb, plen)) {
        int n = pdb__key_segments(k.mv_data, k.mv_size, starts, ends,
                                  UB_ARRAY_LEN(starts));
        size_t clen;

        if (n < 0) {
            err = UB_ECORRUPT;
            break;
        }
        if (n == pseg) { /* the object itself */
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            continue;
        }
        clen = ends[pseg]; /* key length of the direct child */
        if ((size_t)k.mv_size == clen)
            err = emit_row(&k, &v, cb, user);
        else
            err = emit_synth(k.mv_data, clen, cb, user);
        if (err)
            break;
        if (((const uint8_t *)k.mv_data)[starts[pseg]] == PDB__TAG_PARAM) {
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            continue;
        }
        /* Child object: jump past its subtree. */
        memcpy(skip, k.mv_data, clen);
        clen = pdb__key_successor(skip, clen, skip);
        if (clen == 0)
            break;
        k.mv_data = skip;
        k.mv_size = clen;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = pdb__mdb_err(rc, "children");
    mdb_cursor_close(c);
    return err;
}

static int t_subtree(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct tree_ctx *t = ctx;
    uint8_t kb[PDB__KEY_MAX], last[PDB__KEY_MAX];
    size_t starts[PDB__KEY_MAX / 2], ends[PDB__KEY_MAX / 2];
    MDB_cursor *c = NULL;
    MDB_val k, v;
    size_t plen, lastlen;
    int rc, err = UB_OK, pseg;
    bool seen = false;

    if (!cb)
        return UB_EINVAL;
    if (path && *path && path[strlen(path) - 1] != '.')
        return t_lookup(ctx, path, cb, user);
    err = pdb__key_encode(t->dev, path, kb, &plen);
    if (err)
        return err == UB_ETOOBIG ? UB_ENOTFOUND : err;
    pseg = pdb__key_segments(kb, plen, starts, ends, UB_ARRAY_LEN(starts));
    memcpy(last, kb, 4);
    lastlen = 4; /* nothing at or below the scan root emitted yet */
    rc = mdb_cursor_open(t->r->txn, t->dbi, &c);
    if (rc)
        return pdb__mdb_err(rc, "cursor_open");
    k.mv_data = kb;
    k.mv_size = plen;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         rc == 0 && has_prefix(&k, kb, plen);
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        int n = pdb__key_segments(k.mv_data, k.mv_size, starts, ends,
                                  UB_ARRAY_LEN(starts));
        if (n < 0) {
            err = UB_ECORRUPT;
            break;
        }
        seen = true;
        /* Ancestors of k from the scan root down, not yet emitted. */
        for (int d = pseg > 0 ? pseg - 1 : 0; d < n - 1; d++) {
            size_t alen = ends[d];
            if (alen < plen)
                continue;
            if (lastlen >= alen && memcmp(last, k.mv_data, alen) == 0)
                continue;
            err = emit_synth(k.mv_data, alen, cb, user);
            if (err)
                goto out;
            memcpy(last, k.mv_data, alen);
            lastlen = alen;
        }
        err = emit_row(&k, &v, cb, user);
        if (err)
            goto out;
        memcpy(last, k.mv_data, k.mv_size);
        lastlen = k.mv_size;
    }
    if (rc && rc != MDB_NOTFOUND)
        err = pdb__mdb_err(rc, "subtree");
    else if (!seen && path && *path)
        err = UB_ENOTFOUND;
out:
    mdb_cursor_close(c);
    return err;
}

static const struct ub_tree_ops tree_ops = {
    .lookup = t_lookup,
    .children = t_children,
    .subtree = t_subtree,
};

int pdb_tree_create(struct pdb_rtxn *r, enum pdb_space space, uint32_t dev,
                    struct ub_tree *out)
{
    struct tree_ctx *t;

    if (!r || !out || (space != PDB_PARAMS && space != PDB_AGENT))
        return UB_EINVAL;
    t = ub_calloc(1, sizeof(*t));
    if (!t)
        return UB_ENOMEM;
    t->r = r;
    t->dev = dev;
    t->dbi = r->env->db[space == PDB_AGENT ? PDB__DB_AGENT : PDB__DB_PARAMS];
    out->ops = &tree_ops;
    out->ctx = t;
    return UB_OK;
}

void pdb_tree_destroy(struct ub_tree *t)
{
    if (!t)
        return;
    ub_free(t->ctx);
    t->ctx = NULL;
    t->ops = NULL;
}
