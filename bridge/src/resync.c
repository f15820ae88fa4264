/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * Cache repair: a row that fails its checksum when read (proxy-db reports
 * UB_ECORRUPT) is answered with an error and the device is marked for a full
 * re-sync, which its next session performs (device.c starts a sync for any
 * device not marked synced).  The store's other rows stay usable meanwhile.
 */
#include "bridge.h"

#include <string.h>

#define MOD "sync"

void bridge_mark_unsynced(struct bridge *b, uint32_t dev)
{
    struct pdb_batch *bt = NULL;
    int err = pdb_batch_begin(b->pdb, &bt);

    if (!err)
        err = pdb_device_mark_unsynced(bt, dev);
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    if (err)
        UB_LOGE(MOD, "device #%u: cannot mark for re-sync: %s", dev,
                ub_strerror(err));
    else
        UB_LOGW(MOD, "device #%u: corrupt cached data; full re-sync at its "
                "next session", dev);
}

/* ---- cache age ----
 * One scan serves the Get max-age policy (usp_req.c) and the periodic
 * subtree refresh (device.c). */

struct age_scan {
    int64_t oldest_ok;
    bool stale, any;
};

#define AGE_STOP 1 /* returned by the callback to end the walk early */

static int on_row_age(void *user, const struct ub_param *p)
{
    struct age_scan *a = user;

    if (p->type == UB_T_OBJECT)
        return 0;
    a->any = true;
    if (p->updated_at < a->oldest_ok) {
        a->stale = true;
        return AGE_STOP;
    }
    return 0;
}

int bridge_cache_age(struct pdb_rtxn *r, uint32_t dev, const char *prefix,
                     int64_t max_age_s, bool *stale, bool *any)
{
    struct age_scan a = {ub_wall_s() - max_age_s, false, false};
    int err = pdb_param_iter(r, PDB_PARAMS, dev, prefix, on_row_age, &a);

    *stale = a.stale;
    *any = a.any;
    return err == AGE_STOP ? UB_OK : err;
}

/* ---- background flush ([store] nosync) ----
 *
 * With MDB_NOSYNC commits only reach the OS page cache; this timer hands
 * mdb_env_sync (an fdatasync of the data file) to libuv's worker pool every
 * sync_interval_ms, so the loop never waits for the disk.  One flush at a
 * time; mdb_env_sync touches no LMDB state shared with the loop's write
 * transactions.  The final flush at shutdown is synchronous (bridge.c). */

static void flush_work(uv_work_t *w)
{
    struct bridge *b = w->data;
    b->flush.result = pdb_env_sync(b->pdb);
}

static void flush_done(uv_work_t *w, int status)
{
    struct bridge *b = w->data;

    b->flush.busy = false;
    if (status == 0 && b->flush.result)
        UB_LOGE(MOD, "store flush failed: %s", ub_strerror(b->flush.result));
}

static void flush_tick(uv_timer_t *t)
{
    struct bridge *b = t->data;

    if (b->flush.busy || b->stopping)
        return;
    b->flush.work.data = b;
    if (uv_queue_work(b->loop, &b->flush.work, flush_work, flush_done) == 0)
        b->flush.busy = true;
}

void bridge_flush_start(struct bridge *b)
{
    if (!b->cfg->store_nosync)
        return;
    uv_timer_init(b->loop, &b->flush.timer);
    b->flush.timer.data = b;
    b->flush.timer_init = true;
    uv_timer_start(&b->flush.timer, flush_tick,
                   (uint64_t)b->cfg->store_sync_interval_ms,
                   (uint64_t)b->cfg->store_sync_interval_ms);
}

void bridge_flush_stop(struct bridge *b)
{
    if (b->flush.timer_init &&
        !uv_is_closing((uv_handle_t *)&b->flush.timer))
        uv_close((uv_handle_t *)&b->flush.timer, NULL);
}

/* ---- periodic statistics ([general] stats_interval) ---- */

static void stats_tick(uv_timer_t *t)
{
    struct bridge *b = t->data;
    struct cwmp_server_stats cs;
    struct usp_mtp_stats ms;
    const struct bridge_stats *s = &b->stats;

    memset(&cs, 0, sizeof(cs));
    memset(&ms, 0, sizeof(ms));
    if (b->cwmp)
        cwmp_server_get_stats(b->cwmp, &cs);
    if (b->mtp)
        usp_mtp_stats_get(b->mtp, &ms);
    UB_LOGN("stats",
            "cwmp sessions=%llu active=%llu informs=%llu auth_fail=%llu "
            "bad=%llu cr=%llu cr_fail=%llu | devices_new=%llu syncs=%llu "
            "syncing=%zu | usp rx=%llu tx=%llu bad=%llu refused=%llu "
            "device_requests=%llu pending=%zu expired=%llu | mtp_dropped=%llu "
            "mtp_refused=%llu | mem=%zu",
            (unsigned long long)cs.sessions_total,
            (unsigned long long)cs.sessions_active,
            (unsigned long long)cs.informs,
            (unsigned long long)cs.auth_failures,
            (unsigned long long)cs.bad_requests, (unsigned long long)cs.cr_sent,
            (unsigned long long)cs.cr_failed,
            (unsigned long long)s->devices_registered,
            (unsigned long long)s->syncs_completed, b->n_sync_jobs,
            (unsigned long long)s->usp_received,
            (unsigned long long)s->usp_sent,
            (unsigned long long)s->usp_bad_records,
            (unsigned long long)s->usp_refused,
            (unsigned long long)s->usp_device_requests, b->n_jobs,
            (unsigned long long)s->usp_expired,
            (unsigned long long)ms.rx_dropped,
            (unsigned long long)ms.tx_refused, ub_mem_in_use());
}

void bridge_stats_start(struct bridge *b)
{
    if (b->cfg->stats_interval <= 0)
        return;
    uv_timer_init(b->loop, &b->stats_timer);
    b->stats_timer.data = b;
    b->stats_timer_init = true;
    uv_timer_start(&b->stats_timer, stats_tick,
                   (uint64_t)b->cfg->stats_interval * 1000,
                   (uint64_t)b->cfg->stats_interval * 1000);
}

void bridge_stats_stop(struct bridge *b)
{
    if (b->stats_timer_init &&
        !uv_is_closing((uv_handle_t *)&b->stats_timer))
        uv_close((uv_handle_t *)&b->stats_timer, NULL);
}
