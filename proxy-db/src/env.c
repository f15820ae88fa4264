/*
 * proxy-db environment, transactions, batches, map growth and stats.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * One LMDB environment (a directory with data.mdb + lock.mdb), opened with
 * MDB_NOTLS so that several read transactions may be open in one thread,
 * and eight named databases (pdb__db_names).  The schema version lives in
 * meta["schema"] (u32 BE) and is written in the same transaction that
 * creates the databases, so a store without it is not ours.
 *
 * Writes go through struct pdb_batch = one LMDB write transaction.  LMDB
 * has one writer; a second begin from the same thread would self-deadlock
 * on LMDB's mutex, so env->batch_open refuses it with UB_ESTATE.  A storage
 * error makes the batch sticky-failed (LMDB's own rule: a write transaction
 * that failed must be aborted).
 *
 * The batch caches the device record its rows belong to (param_count and
 * the sync fields change with nearly every row) and writes it back once at
 * flush time: before commit, before reading the registry through the
 * batch, or when another device is touched.
 *
 * Map growth: before a batch, if less than half a map_grow_step is free,
 * the map is grown by one step (up to map_max).  mdb_env_set_mapsize needs no open
 * transaction in this process, so growth is skipped while read transactions
 * are open.  MDB_MAP_FULL inside a batch poisons it (UB_EFULL); commit then
 * aborts, grows the map if it can and returns UB_EFULL so that the caller
 * retries the message.  When another process grew the map, begin returns
 * MDB_MAP_RESIZED: we adopt the new size (set_mapsize 0) and retry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdb_int.h"

const char *const pdb__db_names[PDB__DB_COUNT] = {
    "meta", "devices", "dev_ep", "dev_cwmp",
    "params", "agent", "queue", "outbox",
};

#define MIB ((size_t)1024 * 1024)

void pdb_config_init(struct pdb_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->map_size = 64 * MIB;
    cfg->map_max = 4096 * MIB;
    cfg->map_grow_step = 64 * MIB;
    cfg->max_readers = 126;
    cfg->queue_max = 1000;
    cfg->outbox_max = 1000;
    cfg->payload_max = 1 * MIB;
}

const char *pdb_sync_state_name(enum pdb_sync_state s)
{
    switch (s) {
    case PDB_SYNC_NONE:
        return "none";
    case PDB_SYNC_IN_PROGRESS:
        return "in-progress";
    case PDB_SYNC_SYNCED:
        return "synced";
    }
    return "?";
}

int pdb__mdb_err(int rc, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS:
        return UB_OK;
    case MDB_NOTFOUND:
        return UB_ENOTFOUND;
    case MDB_KEYEXIST:
        return UB_EEXIST;
    case ENOMEM:
        return UB_ENOMEM;
    default:
        break;
    }
    UB_LOGE(PDB_MOD, "%s: %s", what, mdb_strerror(rc));
    switch (rc) {
    case MDB_MAP_FULL:
        return UB_EFULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
        return UB_ECORRUPT;
    case MDB_VERSION_MISMATCH:
        return UB_EVERSION;
    case ENOENT:
        return UB_ENOTFOUND;
    case EACCES:
    case EROFS:
    case EIO:
    case ENOSPC:
        return UB_EIO;
    default:
        return UB_EDB;
    }
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(buf))
        return UB_EINVAL;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0750) != 0 && errno != EEXIST) {
            UB_LOGE(PDB_MOD, "mkdir %s: %s", buf, strerror(errno));
            return UB_EIO;
        }
        buf[i] = c;
    }
    return UB_OK;
}

/* Opens the named databases and checks/writes the schema version. */
static int open_dbs(struct pdb_env *e)
{
    unsigned tflags = e->cfg.read_only ? MDB_RDONLY : 0;
    unsigned dflags = e->cfg.read_only ? 0 : MDB_CREATE;
    MDB_txn *txn = NULL;
    MDB_val k = {6, (void *)"schema"}, v;
    uint8_t vb[4];
    int rc, err;

    rc = mdb_txn_begin(e->env, NULL, tflags, &txn);
    if (rc)
        return pdb__mdb_err(rc, "begin");
    for (int i = 0; i < PDB__DB_COUNT; i++) {
        rc = mdb_dbi_open(txn, pdb__db_names[i], dflags, &e->db[i]);
        if (rc == MDB_NOTFOUND) {
            UB_LOGE(PDB_MOD, "store has no '%s' database: not a uspbridge "
                             "store, or never initialised by the daemon",
                    pdb__db_names[i]);
            err = UB_ECORRUPT;
            goto out;
        }
        if (rc) {
            err = pdb__mdb_err(rc, "dbi_open");
            goto out;
        }
    }
    rc = mdb_get(txn, e->db[PDB__DB_META], &k, &v);
    if (rc == MDB_NOTFOUND && !e->cfg.read_only) {
        MDB_stat st;
        rc = mdb_stat(txn, e->db[PDB__DB_DEVICES], &st);
        if (rc == 0 && st.ms_entries > 0) {
            UB_LOGE(PDB_MOD, "store has devices but no schema version");
            err = UB_ECORRUPT;
            goto out;
        }
        pdb__be32_put(vb, PDB_SCHEMA_VERSION);
        v.mv_data = vb;
        v.mv_size = 4;
        rc = mdb_put(txn, e->db[PDB__DB_META], &k, &v, 0);
        if (rc) {
            err = pdb__mdb_err(rc, "put schema");
            goto out;
        }
        e->schema = PDB_SCHEMA_VERSION;
    } else if (rc == MDB_NOTFOUND) {
        UB_LOGE(PDB_MOD, "store has no schema version: not a uspbridge store");
        err = UB_ECORRUPT;
        goto out;
    } else if (rc) {
        err = pdb__mdb_err(rc, "get schema");
        goto out;
    } else {
        if (v.mv_size != 4) {
            UB_LOGE(PDB_MOD, "schema version record is malformed");
            err = UB_ECORRUPT;
            goto out;
        }
        e->schema = pdb__be32_get(v.mv_data);
        // Exit if the store was written by a newer uspbridge
        if (e->schema > PDB_SCHEMA_VERSION) {
            UB_LOGE(PDB_MOD,
                    "store schema version %u is newer than this build "
                    "supports (%u): refusing to open it; use a newer "
                    "uspbridge or a fresh store directory",
                    (unsigned)e->schema, (unsigned)PDB_SCHEMA_VERSION);
            err = UB_EVERSION;
            goto out;
        }
        if (e->schema == 0) {
            UB_LOGE(PDB_MOD, "schema version 0 is invalid");
            err = UB_ECORRUPT;
            goto out;
        }
        /* Older schemas would be upgraded here (none exist before v1). */
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    err = pdb__mdb_err(rc, "commit");
out:
    if (txn)
        mdb_txn_abort(txn);
    return err;
}

int pdb_env_open(const char *path, const struct pdb_config *cfg,
                 struct pdb_env **out)
{
    struct pdb_env *e = NULL;
    unsigned flags = MDB_NOTLS;
    int rc, err;

    if (!path || !*path || !out)
        return UB_EINVAL;
    e = ub_calloc(1, sizeof(*e));
    if (!e)
        return UB_ENOMEM;
    if (cfg)
        e->cfg = *cfg;
    else
        pdb_config_init(&e->cfg);
    if (e->cfg.map_size == 0 || e->cfg.map_max < e->cfg.map_size) {
        UB_LOGE(PDB_MOD, "map_size must be > 0 and <= map_max");
        err = UB_ECONFIG;
        goto out;
    }
    if (e->cfg.read_only) {
        char f[4200];
        struct stat st;
        snprintf(f, sizeof(f), "%s/data.mdb", path);
        // Exit if there is no store to inspect
        if (stat(f, &st) != 0) {
            UB_LOGE(PDB_MOD, "no store at %s", path);
            err = UB_ENOTFOUND;
            goto out;
        }
        flags |= MDB_RDONLY;
    } else {
        err = mkdir_p(path);
        if (err)
            goto out;
    }
    if (e->cfg.nosync)
        flags |= MDB_NOSYNC;
    rc = mdb_env_create(&e->env);
    if (rc) {
        e->env = NULL;
        err = pdb__mdb_err(rc, "env_create");
        goto out;
    }
    rc = mdb_env_set_maxdbs(e->env, 16);
    if (!rc)
        rc = mdb_env_set_mapsize(e->env, e->cfg.map_size);
    if (!rc && e->cfg.max_readers)
        rc = mdb_env_set_maxreaders(e->env, e->cfg.max_readers);
    if (rc) {
        err = pdb__mdb_err(rc, "env_set");
        goto out;
    }
    rc = mdb_env_open(e->env, path, flags, 0640);
    if (rc) {
        err = pdb__mdb_err(rc, path);
        goto out;
    }
    if (!e->cfg.read_only) {
        /* Free reader slots left by killed processes (tools, a crashed
         * daemon): they would pin old pages and let the file grow. */
        int dead = 0;
        if (mdb_reader_check(e->env, &dead) == 0 && dead > 0)
            UB_LOGN(PDB_MOD, "cleared %d stale reader slot(s)", dead);
    }
    err = open_dbs(e);
    if (err)
        goto out;
    *out = e;
    e = NULL;
out:
    if (e) {
        if (e->env)
            mdb_env_close(e->env);
        ub_free(e);
    }
    return err;
}

void pdb_env_close(struct pdb_env *env)
{
    if (!env)
        return;
    if (env->batch_open || env->rtxn_open)
        UB_LOGE(PDB_MOD, "closing with open transactions (programmer error)");
    mdb_env_close(env->env);
    ub_free(env);
}

int pdb_env_sync(struct pdb_env *env)
{
    if (env->cfg.read_only)
        return UB_OK;
    return pdb__mdb_err(mdb_env_sync(env->env, 1), "env_sync");
}

/* Grows the map by one step if less than 'want_free' bytes are free. */
static void maybe_grow(struct pdb_env *e, size_t want_free)
{
    MDB_envinfo info;
    MDB_stat st;
    size_t used, nsize;
    int rc;

    if (e->cfg.read_only || e->rtxn_open || e->batch_open)
        return;
    if (mdb_env_info(e->env, &info) || mdb_env_stat(e->env, &st))
        return;
    used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    if (info.me_mapsize >= used && info.me_mapsize - used >= want_free)
        return;
    if (info.me_mapsize >= e->cfg.map_max)
        return;
    nsize = info.me_mapsize + e->cfg.map_grow_step;
    if (nsize > e->cfg.map_max || nsize < info.me_mapsize)
        nsize = e->cfg.map_max;
    rc = mdb_env_set_mapsize(e->env, nsize);
    if (rc)
        UB_LOGW(PDB_MOD, "growing the map to %zu: %s", nsize, mdb_strerror(rc));
    else
        UB_LOGN(PDB_MOD, "map grown to %zu bytes (max %zu)", nsize,
                e->cfg.map_max);
}

static int txn_begin(struct pdb_env *e, unsigned flags, MDB_txn **txn)
{
    int rc = mdb_txn_begin(e->env, NULL, flags, txn);

    if (rc == MDB_MAP_RESIZED && !e->rtxn_open && !e->batch_open) {
        /* Another process grew the map: adopt its size and retry. */
        rc = mdb_env_set_mapsize(e->env, 0);
        if (!rc)
            rc = mdb_txn_begin(e->env, NULL, flags, txn);
    }
    return pdb__mdb_err(rc, "txn_begin");
}

int pdb_rtxn_begin(struct pdb_env *env, struct pdb_rtxn **out)
{
    struct pdb_rtxn *r;
    int err;

    if (!env || !out)
        return UB_EINVAL;
    r = ub_calloc(1, sizeof(*r));
    if (!r)
        return UB_ENOMEM;
    err = txn_begin(env, MDB_RDONLY, &r->txn);
    if (err) {
        ub_free(r);
        return err;
    }
    r->env = env;
    env->rtxn_open++;
    *out = r;
    return UB_OK;
}

void pdb_rtxn_end(struct pdb_rtxn *r)
{
    if (!r)
        return;
    if (r->batch) {
        UB_LOGE(PDB_MOD, "pdb_rtxn_end on a batch reader (ignored)");
        return;
    }
    mdb_txn_abort(r->txn);
    r->env->rtxn_open--;
    ub_free(r);
}

int pdb_batch_begin(struct pdb_env *env, struct pdb_batch **out)
{
    struct pdb_batch *b;
    int err;

    if (!env || !out)
        return UB_EINVAL;
    if (env->cfg.read_only || env->batch_open)
        return UB_ESTATE;
    maybe_grow(env, env->cfg.map_grow_step / 2);
    b = ub_calloc(1, sizeof(*b));
    if (!b)
        return UB_ENOMEM;
    err = txn_begin(env, 0, &b->r.txn);
    if (err) {
        ub_free(b);
        return err;
    }
    b->r.env = env;
    b->r.batch = b;
    env->batch_open = true;
    *out = b;
    return UB_OK;
}

static void batch_free(struct pdb_batch *b)
{
    b->r.env->batch_open = false;
    pdb_device_clear(&b->dev);
    ub_free(b);
}

void pdb_batch_abort(struct pdb_batch *b)
{
    struct pdb_env *e;
    bool full;

    if (!b)
        return;
    e = b->r.env;
    full = b->err == UB_EFULL;
    mdb_txn_abort(b->r.txn);
    batch_free(b);
    if (full)
        maybe_grow(e, (size_t)-1);
}

int pdb_batch_commit(struct pdb_batch *b)
{
    struct pdb_env *e;
    int err, rc;

    if (!b)
        return UB_EINVAL;
    e = b->r.env;
    err = pdb__batch_flush_dev(b);
    if (err) {
        mdb_txn_abort(b->r.txn);
    } else {
        rc = mdb_txn_commit(b->r.txn);
        err = pdb__mdb_err(rc, "commit");
    }
    batch_free(b);
    if (err == UB_EFULL)
        maybe_grow(e, (size_t)-1);
    return err;
}

struct pdb_rtxn *pdb_batch_reader(struct pdb_batch *b)
{
    return &b->r;
}

int pdb__batch_check(struct pdb_batch *b)
{
    if (!b)
        return UB_EINVAL;
    return b->err;
}

int pdb__batch_fail(struct pdb_batch *b, int err)
{
    if (err == UB_EDB || err == UB_EFULL || err == UB_ECORRUPT ||
        err == UB_ENOMEM || err == UB_EIO || err == UB_EVERSION) {
        if (!b->err)
            b->err = err;
    }
    return err;
}

int pdb__batch_flush_dev(struct pdb_batch *b)
{
    struct ub_buf buf;
    uint8_t kb[4];
    MDB_val k = {4, kb}, v;
    int err;

    err = pdb__batch_check(b);
    if (err || !b->dev_loaded || !b->dev_dirty)
        return err;
    err = pdb__dev_encode(&b->dev, &buf);
    if (err)
        goto out;
    pdb__be32_put(kb, b->dev.id);
    v.mv_data = buf.data;
    v.mv_size = buf.len;
    err = pdb__mdb_err(mdb_put(b->r.txn, b->r.env->db[PDB__DB_DEVICES], &k,
                               &v, 0),
                       "put device");
    if (!err)
        b->dev_dirty = false;
out:
    ub_buf_free(&buf);
    return pdb__batch_fail(b, err);
}

int pdb__batch_load_dev(struct pdb_batch *b, uint32_t dev)
{
    struct pdb_device d;
    uint8_t kb[4];
    MDB_val k = {4, kb}, v;
    int err;

    err = pdb__batch_check(b);
    if (err)
        return err;
    if (b->dev_loaded && b->dev.id == dev)
        return UB_OK;
    err = pdb__batch_flush_dev(b);
    if (err)
        return err;
    pdb_device_clear(&b->dev);
    b->dev_loaded = false;
    pdb__be32_put(kb, dev);
    err = pdb__mdb_err(
        mdb_get(b->r.txn, b->r.env->db[PDB__DB_DEVICES], &k, &v), "get dev");
    if (err)
        return pdb__batch_fail(b, err);
    err = pdb__dev_decode(v.mv_data, v.mv_size, &d);
    if (err) {
        /* Not sticky: the caller may still delete and re-register it. */
        UB_LOGE(PDB_MOD, "device %u: corrupt registry record", (unsigned)dev);
        return UB_ECORRUPT;
    }
    err = pdb__dev_copy(&d, &b->dev);
    if (err)
        return pdb__batch_fail(b, err);
    b->dev.id = dev;
    b->dev_loaded = true;
    b->dev_dirty = false;
    return UB_OK;
}

int pdb__rtxn_prepare(struct pdb_rtxn *r)
{
    if (!r)
        return UB_EINVAL;
    if (r->batch)
        return pdb__batch_flush_dev(r->batch);
    return UB_OK;
}

int pdb__meta_next(struct pdb_batch *b, const char *name, uint64_t *out)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    uint8_t vb[8];
    uint64_t n = 0;
    int rc, err;

    rc = mdb_get(b->r.txn, b->r.env->db[PDB__DB_META], &k, &v);
    if (rc == 0) {
        if (v.mv_size != 8)
            return pdb__batch_fail(b, UB_ECORRUPT);
        n = pdb__be64_get(v.mv_data);
    } else if (rc != MDB_NOTFOUND) {
        return pdb__batch_fail(b, pdb__mdb_err(rc, "get meta"));
    }
    n++;
    pdb__be64_put(vb, n);
    v.mv_data = vb;
    v.mv_size = 8;
    err = pdb__mdb_err(mdb_put(b->r.txn, b->r.env->db[PDB__DB_META], &k, &v, 0),
                       "put meta");
    if (err)
        return pdb__batch_fail(b, err);
    *out = n;
    return UB_OK;
}

int pdb__del_prefix(struct pdb_batch *b, MDB_dbi dbi, const uint8_t *prefix,
                    size_t len, size_t *count)
{
    MDB_cursor *c = NULL;
    MDB_val k = {len, (void *)(uintptr_t)prefix}, v;
    size_t n = 0;
    int rc, err;

    rc = mdb_cursor_open(b->r.txn, dbi, &c);
    if (rc)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "cursor_open"));
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= len && memcmp(k.mv_data, prefix, len) == 0) {
        rc = mdb_cursor_del(c, 0);
        if (rc)
            break;
        n++;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return pdb__batch_fail(b, pdb__mdb_err(rc, "delete range"));
    err = UB_OK;
    if (count)
        *count = n;
    return err;
}

int pdb_stats_get(struct pdb_rtxn *r, struct pdb_stats *out)
{
    struct pdb_stats s;
    MDB_envinfo info;
    MDB_stat st;
    int rc, err;

    err = pdb__rtxn_prepare(r);
    if (err)
        return err;
    memset(&s, 0, sizeof(s));
    rc = mdb_env_info(r->env->env, &info);
    if (!rc)
        rc = mdb_env_stat(r->env->env, &st);
    if (rc)
        return pdb__mdb_err(rc, "env_info");
    s.page_size = st.ms_psize;
    s.map_size = info.me_mapsize;
    s.map_used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    s.map_max = r->env->cfg.map_max;
    s.max_readers = info.me_maxreaders;
    s.num_readers = info.me_numreaders;
    s.schema_version = r->env->schema;
    for (int i = 0; i < PDB__DB_COUNT && i < PDB_STAT_DBS; i++) {
        rc = mdb_stat(r->txn, r->env->db[i], &st);
        if (rc)
            return pdb__mdb_err(rc, "stat");
        s.db[i].name = pdb__db_names[i];
        s.db[i].entries = st.ms_entries;
        s.db[i].depth = st.ms_depth;
        s.db[i].branch_pages = st.ms_branch_pages;
        s.db[i].leaf_pages = st.ms_leaf_pages;
        s.db[i].overflow_pages = st.ms_overflow_pages;
    }
    s.devices = s.db[PDB__DB_DEVICES].entries;
    s.params = s.db[PDB__DB_PARAMS].entries;
    s.agent_rows = s.db[PDB__DB_AGENT].entries;
    s.queue_entries = s.db[PDB__DB_QUEUE].entries;
    s.outbox_entries = s.db[PDB__DB_OUTBOX].entries;
    *out = s;
    return UB_OK;
}
