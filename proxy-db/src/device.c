/*
 * proxy-db device registry.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * devices:  u32 BE device id -> device record (record.c).  Ids come from
 *           meta["next_dev_id"], are never reused, and keep every other key
 *           small (4 bytes instead of a 20-60 byte endpoint ID).
 * dev_ep:   endpoint ID bytes -> u32 BE id      (secondary index)
 * dev_cwmp: CWMP DeviceId bytes -> u32 BE id    (secondary index)
 * The indexes are written immediately; the record itself goes through the
 * batch's device cache (env.c) and is written at flush time.
 * Deleting a device deletes its rows in every per-device database.
 */
#include <string.h>

#include "pdb_int.h"

#define IDX_KEY_MAX 500

static int idx_get(struct pdb_rtxn *r, int db, const char *s, uint32_t *id)
{
    MDB_val k, v;
    int rc;

    if (!r || !s || !*s || !id)
        return UB_EINVAL;
    k.mv_size = strlen(s);
    k.mv_data = (void *)(uintptr_t)s;
    if (k.mv_size > IDX_KEY_MAX)
        return UB_ENOTFOUND;
    rc = mdb_get(r->txn, r->env->db[db], &k, &v);
    if (rc)
        return pdb__mdb_err(rc, "index get");
    if (v.mv_size != 4)
        return UB_ECORRUPT;
    *id = pdb__be32_get(v.mv_data);
    return UB_OK;
}

static int idx_put(struct pdb_batch *b, int db, const char *s, uint32_t id)
{
    uint8_t vb[4];
    MDB_val k = {strlen(s), (void *)(uintptr_t)s}, v = {4, vb};

    pdb__be32_put(vb, id);
    return pdb__batch_fail(
        b, pdb__mdb_err(mdb_put(b->r.txn, b->r.env->db[db], &k, &v, 0),
                        "index put"));
}

static int idx_del(struct pdb_batch *b, int db, const char *s)
{
    MDB_val k = {strlen(s), (void *)(uintptr_t)s};
    int rc = mdb_del(b->r.txn, b->r.env->db[db], &k, NULL);

    if (rc == MDB_NOTFOUND)
        return UB_OK;
    return pdb__batch_fail(b, pdb__mdb_err(rc, "index del"));
}

int pdb_device_find_endpoint(struct pdb_rtxn *r, const char *endpoint_id,
                             uint32_t *id)
{
    return idx_get(r, PDB__DB_DEV_EP, endpoint_id, id);
}

int pdb_device_find_cwmp(struct pdb_rtxn *r, const char *cwmp_device_id,
                         uint32_t *id)
{
    return idx_get(r, PDB__DB_DEV_CWMP, cwmp_device_id, id);
}

/* UB_EEXIST if s is indexed to a device other than self. */
static int idx_check_free(struct pdb_batch *b, int db, const char *s,
                          uint32_t self)
{
    uint32_t other;
    int err = idx_get(&b->r, db, s, &other);

    if (err == UB_ENOTFOUND)
        return UB_OK;
    if (err)
        return pdb__batch_fail(b, err);
    return other == self ? UB_OK : UB_EEXIST;
}

/* Moves index entry from old to new string (either may be equal). */
static int idx_move(struct pdb_batch *b, int db, const char *old,
                    const char *nw, uint32_t id)
{
    int err = UB_OK;

    if (old && strcmp(old, nw) == 0)
        return UB_OK;
    if (old)
        err = idx_del(b, db, old);
    if (!err)
        err = idx_put(b, db, nw, id);
    return err;
}

int pdb_device_put(struct pdb_batch *b, const struct pdb_device *d,
                   uint32_t *id)
{
    struct pdb_device nd;
    bool is_new;
    uint64_t nid;
    int err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    if (!d || !d->endpoint_id || !*d->endpoint_id || !d->cwmp_device_id ||
        !*d->cwmp_device_id)
        return UB_EINVAL;
    if (strlen(d->endpoint_id) > IDX_KEY_MAX ||
        strlen(d->cwmp_device_id) > IDX_KEY_MAX)
        return UB_ETOOBIG;
    is_new = d->id == 0;
    if (!is_new) {
        err = pdb__batch_load_dev(b, d->id);
        if (err)
            return err;
    }
    err = idx_check_free(b, PDB__DB_DEV_EP, d->endpoint_id, d->id);
    if (!err)
        err = idx_check_free(b, PDB__DB_DEV_CWMP, d->cwmp_device_id, d->id);
    if (err)
        return err;
    if (is_new) {
        err = pdb__batch_flush_dev(b);
        if (err)
            return err;
        err = pdb__meta_next(b, "next_dev_id", &nid);
        if (err)
            return err;
        if (nid > UINT32_MAX)
            return pdb__batch_fail(b, UB_EFULL);
        err = idx_put(b, PDB__DB_DEV_EP, d->endpoint_id, (uint32_t)nid);
        if (!err)
            err = idx_put(b, PDB__DB_DEV_CWMP, d->cwmp_device_id, (uint32_t)nid);
    } else {
        nid = d->id;
        err = idx_move(b, PDB__DB_DEV_EP, b->dev.endpoint_id, d->endpoint_id,
                       d->id);
        if (!err)
            err = idx_move(b, PDB__DB_DEV_CWMP, b->dev.cwmp_device_id,
                           d->cwmp_device_id, d->id);
    }
    if (err)
        return err;

    /* Build the new cached record: caller fields from d, [store] fields
     * from the old record (or fresh ones). */
    err = pdb__dev_copy(d, &nd);
    if (err)
        return pdb__batch_fail(b, err);
    ub_free(nd.sync_cursor);
    nd.sync_cursor = NULL;
    nd.id = (uint32_t)nid;
    if (is_new) {
        nd.created_at = ub_wall_s();
        nd.sync_state = PDB_SYNC_NONE;
        nd.sync_gen = 0;
        nd.param_count = 0;
    } else {
        nd.created_at = b->dev.created_at;
        nd.sync_state = b->dev.sync_state;
        nd.sync_gen = b->dev.sync_gen;
        nd.param_count = b->dev.param_count;
        nd.sync_cursor = b->dev.sync_cursor;
        b->dev.sync_cursor = NULL;
    }
    pdb_device_clear(&b->dev);
    b->dev = nd;
    b->dev_loaded = true;
    b->dev_dirty = true;
    if (id)
        *id = (uint32_t)nid;
    return UB_OK;
}

int pdb_device_get(struct pdb_rtxn *r, uint32_t id, struct pdb_device *out)
{
    struct pdb_device d;
    uint8_t kb[4];
    MDB_val k = {4, kb}, v;
    int err;

    if (!out)
        return UB_EINVAL;
    err = pdb__rtxn_prepare(r);
    if (err)
        return err;
    pdb__be32_put(kb, id);
    err = pdb__mdb_err(mdb_get(r->txn, r->env->db[PDB__DB_DEVICES], &k, &v),
                       "get device");
    if (err)
        return err;
    err = pdb__dev_decode(v.mv_data, v.mv_size, &d);
    if (err) {
        UB_LOGE(PDB_MOD, "device %u: corrupt registry record (%s)",
                (unsigned)id, ub_strerror(err));
        return UB_ECORRUPT;
    }
    d.id = id;
    return pdb__dev_copy(&d, out);
}

int pdb_device_list(struct pdb_rtxn *r, pdb_device_cb cb, void *user)
{
    MDB_cursor *c = NULL;
    MDB_val k, v;
    bool corrupt = false;
    int rc, err;

    if (!cb)
        return UB_EINVAL;
    err = pdb__rtxn_prepare(r);
    if (err)
        return err;
    rc = mdb_cursor_open(r->txn, r->env->db[PDB__DB_DEVICES], &c);
    if (rc)
        return pdb__mdb_err(rc, "cursor_open");
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        struct pdb_device d;
        if (k.mv_size != 4 || pdb__dev_decode(v.mv_data, v.mv_size, &d)) {
            /* Skip it so that one bad record does not hide the fleet. */
            UB_LOGE(PDB_MOD, "device %u: corrupt registry record (skipped)",
                    k.mv_size == 4 ? (unsigned)pdb__be32_get(k.mv_data) : 0u);
            corrupt = true;
            continue;
        }
        d.id = pdb__be32_get(k.mv_data);
        err = cb(user, &d);
        if (err)
            goto out;
    }
    err = rc == MDB_NOTFOUND ? UB_OK : pdb__mdb_err(rc, "cursor_get");
    if (!err && corrupt)
        err = UB_ECORRUPT;
out:
    mdb_cursor_close(c);
    return err;
}

/* Deletes every entry of an index that points at id (repair path for a
 * corrupt device record, whose keys are unknown): a full index scan. */
static int idx_del_id(struct pdb_batch *b, int db, uint32_t id)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc;

    rc = mdb_cursor_open(b->r.txn, b->r.env->db[db], &c);
    if (rc)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "cursor_open"));
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (v.mv_size == 4 && pdb__be32_get(v.mv_data) == id) {
            rc = mdb_cursor_del(c, 0);
            if (rc)
                break;
        }
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "index scan"));
    return UB_OK;
}

int pdb_device_del(struct pdb_batch *b, uint32_t id)
{
    uint8_t kb[4];
    MDB_val k = {4, kb};
    int err;

    err = pdb__batch_load_dev(b, id);
    if (err == UB_ECORRUPT) {
        UB_LOGW(PDB_MOD, "device %u: deleting despite a corrupt record",
                (unsigned)id);
        err = idx_del_id(b, PDB__DB_DEV_EP, id);
        if (!err)
            err = idx_del_id(b, PDB__DB_DEV_CWMP, id);
    } else if (!err) {
        err = idx_del(b, PDB__DB_DEV_EP, b->dev.endpoint_id);
        if (!err)
            err = idx_del(b, PDB__DB_DEV_CWMP, b->dev.cwmp_device_id);
    }
    if (err)
        return err;
    /* Drop the cached copy: it must not be flushed back. */
    pdb_device_clear(&b->dev);
    b->dev_loaded = false;
    b->dev_dirty = false;
    pdb__be32_put(kb, id);
    err = pdb__batch_fail(
        b, pdb__mdb_err(mdb_del(b->r.txn, b->r.env->db[PDB__DB_DEVICES], &k,
                                NULL),
                        "del device"));
    if (!err)
        err = pdb__del_prefix(b, b->r.env->db[PDB__DB_PARAMS], kb, 4, NULL);
    if (!err)
        err = pdb__del_prefix(b, b->r.env->db[PDB__DB_AGENT], kb, 4, NULL);
    if (!err)
        err = pdb__del_prefix(b, b->r.env->db[PDB__DB_QUEUE], kb, 4, NULL);
    if (!err)
        err = pdb__del_prefix(b, b->r.env->db[PDB__DB_OUTBOX], kb, 4, NULL);
    return err;
}

int pdb_device_mark_unsynced(struct pdb_batch *b, uint32_t id)
{
    int err = pdb__batch_load_dev(b, id);

    if (err)
        return err;
    b->dev.sync_state = PDB_SYNC_NONE;
    ub_free(b->dev.sync_cursor);
    b->dev.sync_cursor = NULL;
    b->dev_dirty = true;
    UB_LOGN(PDB_MOD, "device %u marked for re-sync", (unsigned)id);
    return UB_OK;
}
