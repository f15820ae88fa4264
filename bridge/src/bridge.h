/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Internals of the uspbridged daemon (no public header: bridge/ composes
 * the modules and is composed by nothing). */
#ifndef UB_BRIDGE_H
#define UB_BRIDGE_H

#include "config.h"

#include <ub/base.h>
#include <ub/cwmp.h>
#include <ub/pdb.h>
#include <ub/usp.h>
#include <uv.h>

struct bridge_stats {
    uint64_t informs, devices_registered, syncs_completed, objects_created,
        objects_deleted;
};

struct bridge {
    uv_loop_t *loop;
    struct bridge_config *cfg;
    struct pdb_env *pdb;
    struct cwmp_server *cwmp;
    uv_signal_t sig_term, sig_int, sig_hup;
    bool stopping;
    int exit_code;
    /* running full syncs (device.c) */
    struct ub_list sync_jobs;
    size_t n_sync_jobs;
    struct bridge_stats stats;
};

/* Lifecycle, called from main in this order (stop/destroy reversed). */
int bridge_init(struct bridge *b, uv_loop_t *loop, struct bridge_config *cfg)
    UB_WARN_UNUSED;
int bridge_start(struct bridge *b) UB_WARN_UNUSED;
/* Asynchronous: closes sessions and handles; the loop ends when done. */
void bridge_stop(struct bridge *b);
void bridge_destroy(struct bridge *b);

/* device.c: Informs, registry and the parameter-cache sync. */
int bridge_device_inform(struct bridge *b, const char *devkey,
                         const struct cwmp_msg *inform) UB_WARN_UNUSED;
/* Returns true if the RPC result belonged to a sync (and was consumed). */
bool bridge_sync_rpc_result(struct bridge *b, const char *devkey,
                            uint64_t rpc_id, const struct cwmp_msg *resp,
                            int err);
void bridge_sync_session_end(struct bridge *b, const char *devkey);
void bridge_sync_destroy_all(struct bridge *b);

#endif
