/*
 * proxy-db durable request queue (per device) and notification outbox
 * (per agent).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Both are key-ordered logs: key = u32 BE device id + u64 BE sequence
 * number, so one device's entries are contiguous and FIFO.  Sequence
 * numbers come from meta counters ("queue_seq", "outbox_seq"), global and
 * never reused, so a stale seq held by the caller can never delete a newer
 * entry.  Payloads are opaque bytes (the bridge's serialised RPC or USP
 * record).  Caps: queue_max / outbox_max entries per device (counted by a
 * bounded scan at push: the caps are small) and payload_max bytes; hitting
 * one is UB_EFULL / UB_ETOOBIG for that push only (the batch stays usable).
 * Expiry is explicit (pdb_queue_expire / pdb_outbox_expire, from a timer):
 * proxy-db never looks at the clock for the caller.
 */
#include <string.h>

#include "pdb_int.h"

#define QKEY 12

static void qkey(uint8_t *k, uint32_t dev, uint64_t seq)
{
    pdb__be32_put(k, dev);
    pdb__be64_put(k + 4, seq);
}

/* Counts entries with this device prefix, stopping at 'cap'. */
static int count_prefix(struct pdb_batch *b, MDB_dbi dbi, uint32_t dev,
                        size_t cap, size_t *out)
{
    uint8_t kb[4];
    MDB_cursor *c;
    MDB_val k = {4, kb}, v;
    size_t n = 0;
    int rc;

    pdb__be32_put(kb, dev);
    rc = mdb_cursor_open(b->r.txn, dbi, &c);
    if (rc)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "cursor_open"));
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         rc == 0 && n < cap && k.mv_size == QKEY &&
         memcmp(k.mv_data, kb, 4) == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        n++;
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "count"));
    *out = n;
    return UB_OK;
}

static int put_rec(struct pdb_batch *b, MDB_dbi dbi, const uint8_t *key,
                   struct ub_buf *buf)
{
    MDB_val k = {QKEY, (void *)(uintptr_t)key}, v = {buf->len, buf->data};
    int err = pdb__mdb_err(mdb_put(b->r.txn, dbi, &k, &v, 0), "put entry");

    ub_buf_free(buf);
    return pdb__batch_fail(b, err);
}

static int del_key(struct pdb_batch *b, MDB_dbi dbi, uint32_t dev,
                   uint64_t seq)
{
    uint8_t kb[QKEY];
    MDB_val k = {QKEY, kb};
    int rc;

    qkey(kb, dev, seq);
    rc = mdb_del(b->r.txn, dbi, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return UB_ENOTFOUND;
    return pdb__batch_fail(b, pdb__mdb_err(rc, "del entry"));
}

/* ---- queue ---- */

static int q_entry(const MDB_val *k, const MDB_val *v,
                   struct pdb_queue_entry *e)
{
    struct pdb__qrec q;

    if (k->mv_size != QKEY || pdb__qrec_decode(v->mv_data, v->mv_size, &q))
        return UB_ECORRUPT;
    e->dev = pdb__be32_get(k->mv_data);
    e->seq = pdb__be64_get((const uint8_t *)k->mv_data + 4);
    e->state = q.state;
    e->deadline = q.deadline;
    e->created_at = q.created_at;
    e->payload = q.payload;
    e->payload_len = q.payload_len;
    return UB_OK;
}

int pdb_queue_push(struct pdb_batch *b, uint32_t dev, const void *payload,
                   size_t payload_len, int64_t deadline, uint64_t *seq)
{
    struct pdb__qrec q;
    struct ub_buf buf;
    uint8_t kb[QKEY];
    uint64_t s;
    size_t n;
    int err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    if (!payload && payload_len)
        return UB_EINVAL;
    if (payload_len > b->r.env->cfg.payload_max)
        return UB_ETOOBIG;
    err = pdb__batch_load_dev(b, dev);
    if (!err)
        err = count_prefix(b, b->r.env->db[PDB__DB_QUEUE], dev,
                           b->r.env->cfg.queue_max, &n);
    if (err)
        return err;
    if (n >= b->r.env->cfg.queue_max)
        return UB_EFULL; /* a full queue, not a full map: not sticky */
    err = pdb__meta_next(b, "queue_seq", &s);
    if (err)
        return err;
    q.state = 0;
    q.deadline = deadline;
    q.created_at = ub_wall_s();
    q.payload = payload;
    q.payload_len = payload_len;
    err = pdb__qrec_encode(&q, &buf);
    if (err) {
        ub_buf_free(&buf);
        return pdb__batch_fail(b, err);
    }
    qkey(kb, dev, s);
    err = put_rec(b, b->r.env->db[PDB__DB_QUEUE], kb, &buf);
    if (!err && seq)
        *seq = s;
    return err;
}

int pdb_queue_peek(struct pdb_rtxn *r, uint32_t dev,
                   struct pdb_queue_entry *out)
{
    uint8_t kb[4];
    MDB_cursor *c;
    MDB_val k = {4, kb}, v;
    int rc, err;

    if (!r || !out)
        return UB_EINVAL;
    pdb__be32_put(kb, dev);
    rc = mdb_cursor_open(r->txn, r->env->db[PDB__DB_QUEUE], &c);
    if (rc)
        return pdb__mdb_err(rc, "cursor_open");
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && k.mv_size >= 4 && memcmp(k.mv_data, kb, 4) == 0)
        err = q_entry(&k, &v, out);
    else if (rc == 0 || rc == MDB_NOTFOUND)
        err = UB_ENOTFOUND;
    else
        err = pdb__mdb_err(rc, "peek");
    mdb_cursor_close(c);
    return err;
}

/* Walks one device (all = false) or the whole db, decoding with dec. */
typedef int (*entry_fn)(void *ctx, MDB_cursor *c, const MDB_val *k,
                        const MDB_val *v, bool *deleted);

static int walk(MDB_txn *txn, MDB_dbi dbi, bool all, uint32_t dev,
                entry_fn fn, void *ctx)
{
    uint8_t kb[4];
    MDB_cursor *c;
    MDB_val k = {4, kb}, v;
    int rc, err = UB_OK;

    pdb__be32_put(kb, dev);
    rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return pdb__mdb_err(rc, "cursor_open");
    rc = mdb_cursor_get(c, &k, &v, all ? MDB_FIRST : MDB_SET_RANGE);
    while (rc == 0 && (all || (k.mv_size >= 4 && memcmp(k.mv_data, kb, 4) == 0))) {
        bool deleted = false;
        err = fn(ctx, c, &k, &v, &deleted);
        if (err)
            break;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = pdb__mdb_err(rc, "walk");
    return err;
}

struct qlist {
    pdb_queue_cb qcb;
    pdb_outbox_cb ocb;
    void *user;
    int64_t now;
    size_t count;
    int store_err; /* storage error met by a deleting walk (sticky) */
};

static int q_list_fn(void *ctx, MDB_cursor *c, const MDB_val *k,
                     const MDB_val *v, bool *deleted)
{
    struct qlist *l = ctx;
    struct pdb_queue_entry e;

    if (q_entry(k, v, &e)) {
        UB_LOGE(PDB_MOD, "corrupt queue entry");
        return UB_ECORRUPT;
    }
    return l->qcb(l->user, &e);
}

int pdb_queue_list(struct pdb_rtxn *r, uint32_t dev, pdb_queue_cb cb,
                   void *user)
{
    struct qlist l = {.qcb = cb, .user = user};

    if (!r || !cb)
        return UB_EINVAL;
    return walk(r->txn, r->env->db[PDB__DB_QUEUE], false, dev, q_list_fn, &l);
}

int pdb_queue_set_state(struct pdb_batch *b, uint32_t dev, uint64_t seq,
                        uint32_t state)
{
    struct pdb__qrec q;
    struct ub_buf buf;
    uint8_t kb[QKEY];
    MDB_val k = {QKEY, kb}, v;
    int err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    qkey(kb, dev, seq);
    err = pdb__mdb_err(mdb_get(b->r.txn, b->r.env->db[PDB__DB_QUEUE], &k, &v),
                       "get entry");
    if (err)
        return pdb__batch_fail(b, err);
    if (pdb__qrec_decode(v.mv_data, v.mv_size, &q))
        return UB_ECORRUPT;
    q.state = state;
    err = pdb__qrec_encode(&q, &buf);
    if (err) {
        ub_buf_free(&buf);
        return pdb__batch_fail(b, err);
    }
    return put_rec(b, b->r.env->db[PDB__DB_QUEUE], kb, &buf);
}

int pdb_queue_del(struct pdb_batch *b, uint32_t dev, uint64_t seq)
{
    int err = pdb__batch_check(b);

    if (err)
        return err;
    return del_key(b, b->r.env->db[PDB__DB_QUEUE], dev, seq);
}

static int q_expire_fn(void *ctx, MDB_cursor *c, const MDB_val *k,
                       const MDB_val *v, bool *deleted)
{
    struct qlist *l = ctx;
    struct pdb_queue_entry e;
    int err = UB_OK, rc;

    if (q_entry(k, v, &e)) {
        UB_LOGE(PDB_MOD, "dropping corrupt queue entry");
    } else {
        if (e.deadline > l->now)
            return UB_OK;
        if (l->qcb)
            err = l->qcb(l->user, &e);
    }
    rc = mdb_cursor_del(c, 0);
    if (rc)
        return l->store_err = pdb__mdb_err(rc, "expire");
    *deleted = true;
    l->count++;
    return err;
}

int pdb_queue_expire(struct pdb_batch *b, int64_t now, pdb_queue_cb cb,
                     void *user, size_t *count)
{
    struct qlist l = {.qcb = cb, .user = user, .now = now};
    int err = pdb__batch_check(b);

    if (err)
        return err;
    err = walk(b->r.txn, b->r.env->db[PDB__DB_QUEUE], true, 0, q_expire_fn, &l);
    if (l.store_err)
        return pdb__batch_fail(b, l.store_err);
    if (err)
        return err;
    if (count)
        *count = l.count;
    return UB_OK;
}

/* ---- outbox ---- */

static int o_entry(const MDB_val *k, const MDB_val *v,
                   struct pdb_outbox_entry *e)
{
    struct pdb__orec o;

    if (k->mv_size != QKEY || pdb__orec_decode(v->mv_data, v->mv_size, &o))
        return UB_ECORRUPT;
    e->agent = pdb__be32_get(k->mv_data);
    e->seq = pdb__be64_get((const uint8_t *)k->mv_data + 4);
    e->attempts = o.attempts;
    e->expiry = o.expiry;
    e->created_at = o.created_at;
    e->msg_id = o.msg_id;
    e->payload = o.payload;
    e->payload_len = o.payload_len;
    return UB_OK;
}

int pdb_outbox_push(struct pdb_batch *b, uint32_t agent, const char *msg_id,
                    const void *payload, size_t payload_len, int64_t expiry,
                    uint64_t *seq)
{
    struct pdb__orec o;
    struct ub_buf buf;
    uint8_t kb[QKEY];
    uint64_t s;
    size_t n;
    int err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    if (!msg_id || !*msg_id || (!payload && payload_len))
        return UB_EINVAL;
    if (payload_len > b->r.env->cfg.payload_max || strlen(msg_id) > 4096)
        return UB_ETOOBIG;
    err = pdb__batch_load_dev(b, agent);
    if (!err)
        err = count_prefix(b, b->r.env->db[PDB__DB_OUTBOX], agent,
                           b->r.env->cfg.outbox_max, &n);
    if (err)
        return err;
    if (n >= b->r.env->cfg.outbox_max)
        return UB_EFULL;
    err = pdb__meta_next(b, "outbox_seq", &s);
    if (err)
        return err;
    o.attempts = 0;
    o.expiry = expiry;
    o.created_at = ub_wall_s();
    o.msg_id = msg_id;
    o.payload = payload;
    o.payload_len = payload_len;
    err = pdb__orec_encode(&o, &buf);
    if (err) {
        ub_buf_free(&buf);
        return pdb__batch_fail(b, err);
    }
    qkey(kb, agent, s);
    err = put_rec(b, b->r.env->db[PDB__DB_OUTBOX], kb, &buf);
    if (!err && seq)
        *seq = s;
    return err;
}

static int o_list_fn(void *ctx, MDB_cursor *c, const MDB_val *k,
                     const MDB_val *v, bool *deleted)
{
    struct qlist *l = ctx;
    struct pdb_outbox_entry e;

    if (o_entry(k, v, &e)) {
        UB_LOGE(PDB_MOD, "corrupt outbox entry");
        return UB_ECORRUPT;
    }
    return l->ocb(l->user, &e);
}

int pdb_outbox_list(struct pdb_rtxn *r, uint32_t agent, pdb_outbox_cb cb,
                    void *user)
{
    struct qlist l = {.ocb = cb, .user = user};

    if (!r || !cb)
        return UB_EINVAL;
    return walk(r->txn, r->env->db[PDB__DB_OUTBOX], false, agent, o_list_fn,
                &l);
}

struct oack {
    const char *msg_id;
    bool found;
};

static int o_ack_fn(void *ctx, MDB_cursor *c, const MDB_val *k,
                    const MDB_val *v, bool *deleted)
{
    struct oack *a = ctx;
    struct pdb_outbox_entry e;
    int rc;

    if (o_entry(k, v, &e) || strcmp(e.msg_id, a->msg_id) != 0)
        return UB_OK;
    rc = mdb_cursor_del(c, 0);
    if (rc)
        return pdb__mdb_err(rc, "ack");
    a->found = true;
    return -1; /* stop */
}

int pdb_outbox_ack(struct pdb_batch *b, uint32_t agent, const char *msg_id)
{
    struct oack a = {.msg_id = msg_id};
    int err = pdb__batch_check(b);

    if (err)
        return err;
    if (!msg_id)
        return UB_EINVAL;
    err = walk(b->r.txn, b->r.env->db[PDB__DB_OUTBOX], false, agent, o_ack_fn,
               &a);
    if (a.found)
        return UB_OK;
    if (err && err != -1)
        return pdb__batch_fail(b, err);
    return UB_ENOTFOUND;
}

int pdb_outbox_attempt(struct pdb_batch *b, uint32_t agent, uint64_t seq)
{
    struct pdb__orec o;
    struct ub_buf buf;
    uint8_t kb[QKEY];
    MDB_val k = {QKEY, kb}, v;
    int err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    qkey(kb, agent, seq);
    err = pdb__mdb_err(mdb_get(b->r.txn, b->r.env->db[PDB__DB_OUTBOX], &k, &v),
                       "get entry");
    if (err)
        return pdb__batch_fail(b, err);
    if (pdb__orec_decode(v.mv_data, v.mv_size, &o))
        return UB_ECORRUPT;
    if (o.attempts < UINT32_MAX)
        o.attempts++;
    err = pdb__orec_encode(&o, &buf);
    if (err) {
        ub_buf_free(&buf);
        return pdb__batch_fail(b, err);
    }
    return put_rec(b, b->r.env->db[PDB__DB_OUTBOX], kb, &buf);
}

int pdb_outbox_del(struct pdb_batch *b, uint32_t agent, uint64_t seq)
{
    int err = pdb__batch_check(b);

    if (err)
        return err;
    return del_key(b, b->r.env->db[PDB__DB_OUTBOX], agent, seq);
}

static int o_expire_fn(void *ctx, MDB_cursor *c, const MDB_val *k,
                       const MDB_val *v, bool *deleted)
{
    struct qlist *l = ctx;
    struct pdb_outbox_entry e;
    int err = UB_OK, rc;

    if (o_entry(k, v, &e)) {
        UB_LOGE(PDB_MOD, "dropping corrupt outbox entry");
    } else {
        if (e.expiry > l->now)
            return UB_OK;
        if (l->ocb)
            err = l->ocb(l->user, &e);
    }
    rc = mdb_cursor_del(c, 0);
    if (rc)
        return l->store_err = pdb__mdb_err(rc, "expire");
    *deleted = true;
    l->count++;
    return err;
}

int pdb_outbox_expire(struct pdb_batch *b, int64_t now, pdb_outbox_cb cb,
                      void *user, size_t *count)
{
    struct qlist l = {.ocb = cb, .user = user, .now = now};
    int err = pdb__batch_check(b);

    if (err)
        return err;
    err = walk(b->r.txn, b->r.env->db[PDB__DB_OUTBOX], true, 0, o_expire_fn,
               &l);
    if (l.store_err)
        return pdb__batch_fail(b, l.store_err);
    if (err)
        return err;
    if (count)
        *count = l.count;
    return UB_OK;
}
