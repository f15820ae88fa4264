/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * Cache repair: a row that fails its checksum when read (proxy-db reports
 * UB_ECORRUPT) is answered with an error and the device is marked for a full
 * re-sync, which its next session performs (device.c starts a sync for any
 * device not marked synced).  The store's other rows stay usable meanwhile.
 */
#include "bridge.h"

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
