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
