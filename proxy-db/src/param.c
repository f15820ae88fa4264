/*
 * proxy-db parameter cache and agent objects: rows, prefix scans, sync.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * params and agent hold the same rows: key = key.c encoding of (device,
 * path), value = record.c param row.  Objects and instances are rows of
 * type UB_T_OBJECT whose path ends in '.'.
 *
 * Each row carries the sync generation current when it was last put.  A
 * sync (pdb_sync_begin) bumps the device's generation; pdb_sync_finish
 * deletes rows under the synced prefix whose generation is older, which is
 * exactly the set of rows the device no longer reported, and tells the
 * caller (ObjectDeletion).  New rows are reported by put (ObjectCreation).
 * Corrupt rows met by sync_finish are deleted too (the sync rewrote every
 * row it saw, so a corrupt one is stale by construction).
 *
 * param_count (params only) is kept in the device record through the
 * batch's device cache.
 */
#include <stdio.h>
#include <string.h>

#include "pdb_int.h"

static MDB_dbi space_dbi(struct pdb_env *e, enum pdb_space space)
{
    return e->db[space == PDB_AGENT ? PDB__DB_AGENT : PDB__DB_PARAMS];
}

static bool space_ok(enum pdb_space space)
{
    return space == PDB_PARAMS || space == PDB_AGENT;
}

int pdb_batch_put_param(struct pdb_batch *b, enum pdb_space space,
                        uint32_t dev, const struct ub_param *p, unsigned mask,
                        bool *created)
{
    uint8_t kb[PDB__KEY_MAX];
    struct pdb__prow row, old;
    struct ub_buf buf;
    MDB_val k, v;
    MDB_dbi dbi;
    bool is_obj, existed = false;
    size_t klen;
    int rc, err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    if (!p || !p->path || !*p->path || !space_ok(space) ||
        (mask & ~PDB_PUT_ALL))
        return UB_EINVAL;
    is_obj = p->path[strlen(p->path) - 1] == '.';
    if ((mask & PDB_PUT_TYPE) &&
        (is_obj ? (p->type != UB_T_OBJECT && p->type != UB_T_NONE)
                : (p->type == UB_T_OBJECT || (unsigned)p->type >= UB_T_MAX_)))
        return UB_EINVAL;
    err = pdb__key_encode(dev, p->path, kb, &klen);
    if (err)
        return err;
    err = pdb__batch_load_dev(b, dev);
    if (err)
        return err;
    dbi = space_dbi(b->r.env, space);
    k.mv_data = kb;
    k.mv_size = klen;

    memset(&row, 0, sizeof(row));
    row.type = is_obj ? UB_T_OBJECT : UB_T_NONE;
    rc = mdb_get(b->r.txn, dbi, &k, &v);
    if (rc == 0) {
        existed = true;
        if (pdb__prow_decode(v.mv_data, v.mv_size, &old) == UB_OK) {
            row = old;
        } else {
            UB_LOGW(PDB_MOD, "device %u: overwriting corrupt row %.200s",
                    (unsigned)dev, p->path);
        }
    } else if (rc != MDB_NOTFOUND) {
        return pdb__batch_fail(b, pdb__mdb_err(rc, "get row"));
    }
    if ((mask & PDB_PUT_VALUE) || is_obj) {
        if (mask & PDB_PUT_VALUE)
            row.value = is_obj ? NULL : p->value;
        row.updated_at = p->updated_at > 0   ? p->updated_at
                         : p->updated_at < 0 ? 0
                                             : ub_wall_s();
    }
    if (mask & PDB_PUT_TYPE) {
        row.type = is_obj ? UB_T_OBJECT : p->type;
        row.type_name = p->type_name;
    }
    if (mask & PDB_PUT_WRITABLE)
        row.writable = p->writable;
    if (mask & PDB_PUT_NOTIF)
        row.notification = p->notification;
    row.gen = b->dev.sync_gen;

    err = pdb__prow_encode(&row, &buf);
    if (err) {
        ub_buf_free(&buf);
        return pdb__batch_fail(b, err == UB_ETOOBIG ? UB_ETOOBIG : err);
    }
    v.mv_data = buf.data;
    v.mv_size = buf.len;
    rc = mdb_put(b->r.txn, dbi, &k, &v, 0);
    ub_buf_free(&buf);
    if (rc)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "put row"));
    if (!existed && space == PDB_PARAMS) {
        b->dev.param_count++;
        b->dev_dirty = true;
    }
    if (created)
        *created = !existed;
    return UB_OK;
}

/* Fills a node from a key/value pair; path goes to pbuf.  A corrupt value
 * gives UB_ECORRUPT with the path still decoded when possible. */
static int row_node(const MDB_val *k, const MDB_val *v, char *pbuf,
                    size_t pbufsz, struct pdb__prow *row)
{
    uint32_t dev;
    int err = pdb__key_decode(k->mv_data, k->mv_size, &dev, pbuf, pbufsz);

    if (err) {
        snprintf(pbuf, pbufsz, "<bad key>");
        return UB_ECORRUPT;
    }
    return pdb__prow_decode(v->mv_data, v->mv_size, row) ? UB_ECORRUPT
                                                          : UB_OK;
}

static void node_from_row(struct ub_node *n, const char *path,
                          const struct pdb__prow *row)
{
    n->path = path;
    n->type = row->type;
    n->writable = row->writable;
    n->value = row->value;
}

/* Shared walk: calls visit for every key under prefix.  If del, each row
 * is deleted after the visit decides so (visit returns 1 = delete). */
struct walk {
    struct pdb_batch *b;
    const char *why;
    uint32_t dev;
    uint32_t gen;   /* sync_finish: rows with gen < this are deleted */
    bool all;       /* del_subtree: delete everything */
    pdb_deleted_cb cb;
    void *user;
    size_t count;
};

static int walk_delete(struct walk *w, MDB_dbi dbi, const uint8_t *prefix,
                       size_t plen)
{
    char path[PDB__PATH_BUF];
    MDB_cursor *c = NULL;
    MDB_val k = {plen, (void *)(uintptr_t)prefix}, v;
    struct pdb_batch *b = w->b;
    int rc, err = UB_OK;

    rc = mdb_cursor_open(b->r.txn, dbi, &c);
    if (rc)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "cursor_open"));
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
        struct pdb__prow row;
        struct ub_node node;
        bool corrupt = row_node(&k, &v, path, sizeof(path), &row) != UB_OK;

        if (!w->all && !corrupt && row.gen >= w->gen) {
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            continue;
        }
        if (corrupt) {
            UB_LOGW(PDB_MOD, "device %u: %s drops corrupt row %.200s",
                    (unsigned)w->dev, w->why, path);
            memset(&row, 0, sizeof(row));
            row.type = path[0] && path[strlen(path) - 1] == '.' ? UB_T_OBJECT
                                                                : UB_T_NONE;
        }
        if (w->cb) {
            /* Before the delete: the value lives in the page being changed. */
            node_from_row(&node, path, &row);
            err = w->cb(w->user, &node);
        }
        rc = mdb_cursor_del(c, 0);
        if (rc)
            break;
        w->count++;
        if (err)
            break;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return pdb__batch_fail(b, pdb__mdb_err(rc, w->why));
    return err;
}

static void count_sub(struct pdb_batch *b, enum pdb_space space, size_t n)
{
    if (space != PDB_PARAMS || n == 0)
        return;
    b->dev.param_count = n > b->dev.param_count
                             ? 0
                             : b->dev.param_count - (uint32_t)n;
    b->dev_dirty = true;
}

int pdb_batch_del_subtree(struct pdb_batch *b, enum pdb_space space,
                          uint32_t dev, const char *path, pdb_deleted_cb cb,
                          void *user, size_t *count)
{
    uint8_t kb[PDB__KEY_MAX];
    struct walk w;
    size_t klen;
    int err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    if (!space_ok(space))
        return UB_EINVAL;
    err = pdb__key_encode(dev, path, kb, &klen);
    if (err)
        return err;
    err = pdb__batch_load_dev(b, dev);
    if (err)
        return err;
    memset(&w, 0, sizeof(w));
    w.b = b;
    w.why = "del_subtree";
    w.dev = dev;
    w.all = true;
    w.cb = cb;
    w.user = user;
    err = walk_delete(&w, space_dbi(b->r.env, space), kb, klen);
    count_sub(b, space, w.count);
    if (!err && count)
        *count = w.count;
    return err;
}

int pdb_param_get(struct pdb_rtxn *r, enum pdb_space space, uint32_t dev,
                  const char *path, struct ub_param *out)
{
    uint8_t kb[PDB__KEY_MAX];
    struct pdb__prow row;
    struct ub_param p;
    MDB_val k, v;
    size_t klen;
    int err;

    if (!r || !path || !*path || !out || !space_ok(space))
        return UB_EINVAL;
    err = pdb__key_encode(dev, path, kb, &klen);
    if (err)
        return err == UB_ETOOBIG ? UB_ENOTFOUND : err;
    k.mv_data = kb;
    k.mv_size = klen;
    err = pdb__mdb_err(mdb_get(r->txn, space_dbi(r->env, space), &k, &v),
                       "get row");
    if (err)
        return err;
    if (pdb__prow_decode(v.mv_data, v.mv_size, &row)) {
        UB_LOGE(PDB_MOD, "device %u: corrupt row %.200s", (unsigned)dev, path);
        return UB_ECORRUPT;
    }
    memset(&p, 0, sizeof(p));
    p.type = row.type;
    p.writable = row.writable;
    p.notification = row.notification;
    p.updated_at = row.updated_at;
    p.path = ub_strdup(path);
    if (row.value)
        p.value = ub_strdup(row.value);
    if (row.type_name)
        p.type_name = ub_strdup(row.type_name);
    if (!p.path || (row.value && !p.value) || (row.type_name && !p.type_name)) {
        ub_free(p.path);
        ub_free(p.value);
        ub_free(p.type_name);
        return UB_ENOMEM;
    }
    *out = p;
    return UB_OK;
}

int pdb_param_iter(struct pdb_rtxn *r, enum pdb_space space, uint32_t dev,
                   const char *prefix, pdb_param_cb cb, void *user)
{
    uint8_t kb[PDB__KEY_MAX];
    char path[PDB__PATH_BUF];
    MDB_cursor *c = NULL;
    MDB_val k, v;
    size_t plen;
    int rc, err;

    if (!r || !cb || !space_ok(space))
        return UB_EINVAL;
    err = pdb__key_encode(dev, prefix, kb, &plen);
    if (err)
        return err == UB_ETOOBIG ? UB_OK : err;
    rc = mdb_cursor_open(r->txn, space_dbi(r->env, space), &c);
    if (rc)
        return pdb__mdb_err(rc, "cursor_open");
    k.mv_data = kb;
    k.mv_size = plen;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, kb, plen) == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        struct pdb__prow row;
        struct ub_param p;

        if (row_node(&k, &v, path, sizeof(path), &row)) {
            UB_LOGE(PDB_MOD, "device %u: corrupt row %.200s", (unsigned)dev,
                    path);
            err = UB_ECORRUPT;
            goto out;
        }
        p.path = path;
        p.value = (char *)(uintptr_t)row.value;
        p.type_name = (char *)(uintptr_t)row.type_name;
        p.type = row.type;
        p.writable = row.writable;
        p.notification = row.notification;
        p.updated_at = row.updated_at;
        err = cb(user, &p);
        if (err)
            goto out;
    }
    err = (rc == 0 || rc == MDB_NOTFOUND) ? UB_OK : pdb__mdb_err(rc, "scan");
out:
    mdb_cursor_close(c);
    return err;
}

/* ---- sync ---- */

int pdb_sync_begin(struct pdb_batch *b, uint32_t dev, const char *prefix,
                   uint32_t *gen)
{
    bool full = !prefix || !*prefix;
    int err;

    if (!full) {
        uint8_t kb[PDB__KEY_MAX];
        size_t klen;
        err = pdb__key_encode(dev, prefix, kb, &klen);
        if (err)
            return err;
    }
    err = pdb__batch_load_dev(b, dev);
    if (err)
        return err;
    if (full || b->dev.sync_state != PDB_SYNC_IN_PROGRESS) {
        b->dev.sync_gen++;
        if (b->dev.sync_gen == 0)
            b->dev.sync_gen = 1; /* wrapped after 2^32 syncs */
    }
    if (full) {
        b->dev.sync_state = PDB_SYNC_IN_PROGRESS;
        ub_free(b->dev.sync_cursor);
        b->dev.sync_cursor = NULL;
    }
    b->dev_dirty = true;
    if (gen)
        *gen = b->dev.sync_gen;
    return UB_OK;
}

int pdb_sync_set_cursor(struct pdb_batch *b, uint32_t dev, const char *cursor)
{
    char *c = NULL;
    int err = pdb__batch_load_dev(b, dev);

    if (err)
        return err;
    if (cursor) {
        c = ub_strdup(cursor);
        if (!c)
            return pdb__batch_fail(b, UB_ENOMEM);
    }
    ub_free(b->dev.sync_cursor);
    b->dev.sync_cursor = c;
    b->dev_dirty = true;
    return UB_OK;
}

int pdb_sync_finish(struct pdb_batch *b, uint32_t dev, uint32_t gen,
                    const char *prefix, pdb_deleted_cb cb, void *user,
                    size_t *deleted)
{
    uint8_t kb[PDB__KEY_MAX];
    bool full = !prefix || !*prefix;
    struct walk w;
    size_t klen;
    int err;

    err = pdb__key_encode(dev, prefix, kb, &klen);
    if (err)
        return err;
    err = pdb__batch_load_dev(b, dev);
    if (err)
        return err;
    if (gen == 0 || gen > b->dev.sync_gen)
        return UB_ESTATE;
    memset(&w, 0, sizeof(w));
    w.b = b;
    w.why = "sync_finish";
    w.dev = dev;
    w.gen = gen;
    w.cb = cb;
    w.user = user;
    err = walk_delete(&w, b->r.env->db[PDB__DB_PARAMS], kb, klen);
    count_sub(b, PDB_PARAMS, w.count);
    if (err)
        return err;
    if (full && b->dev.sync_state == PDB_SYNC_IN_PROGRESS) {
        b->dev.sync_state = PDB_SYNC_SYNCED;
        ub_free(b->dev.sync_cursor);
        b->dev.sync_cursor = NULL;
        b->dev_dirty = true;
    }
    if (deleted)
        *deleted = w.count;
    return UB_OK;
}
