/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Internals of the uspbridged daemon (no public header: bridge/ composes
 * the modules and is composed by nothing). */
#ifndef UB_BRIDGE_H
#define UB_BRIDGE_H

#include "config.h"

#include <ub/base.h>
#include <ub/cwmp.h>
#include <ub/mapping.h>
#include <ub/pdb.h>
#include <ub/usp.h>
#include <string.h>
#include <uv.h>

/* Bounded string copy: false (and nothing copied) if s does not fit d. */
static inline bool bridge_scopy(char *d, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (l >= n)
        return false;
    memcpy(d, s, l + 1);
    return true;
}

struct bridge_stats {
    uint64_t informs, devices_registered, syncs_completed, objects_created,
        objects_deleted;
    uint64_t usp_received, usp_sent, usp_bad_records, usp_unknown_agent,
        usp_refused, usp_device_requests, usp_expired;
};

#define BRIDGE_MAX_CONTROLLERS 64

/* A controller known from the configuration. */
struct bridge_controller {
    char eid[USP_ID_MAX + 1];
    char topic[256]; /* MQTT reply topic when a request carries none */
};

/* A controller whose WebSocket server the agents connect to. */
struct bridge_ws_ctrl {
    char eid[USP_ID_MAX + 1];
    char url[512];
};

enum bridge_mtp { BRIDGE_MTP_MQTT = 1, BRIDGE_MTP_WS };

/* Where to send the answer to a received record: captured by value at
 * receipt so that a late (asynchronous) answer needs no MTP object. */
struct bridge_reply_to {
    enum bridge_mtp mtp;
    char controller[USP_ID_MAX + 1];
    char agent[USP_ID_MAX + 1];
    uint32_t broker_id;
    char topic[512];   /* MQTT: response topic ("" = the configured one) */
    uint64_t ws_conn;  /* WebSocket: connection id */
};

/* Get policy of a subtree: max_age_s -1 = cache, 0 = live, N = max-age. */
#define BRIDGE_MAX_POLICIES 64
struct bridge_policy {
    char prefix[256];
    int64_t max_age_s;
};

struct hosted_ctx {
    struct pdb_rtxn *r;    /* reads (a batch's reader when writing) */
    struct pdb_batch *bt;  /* NULL: read-only */
    uint32_t dev;
};
struct hosted_store {
    struct usp_agent_store st; /* hand &hs.st to usp_agent_* */
    struct hosted_ctx h;
};

struct bridge {
    uv_loop_t *loop;
    struct bridge_config *cfg;
    struct pdb_env *pdb;
    struct cwmp_server *cwmp;
    struct usp_mtp *mtp;
    bool ws_listening;
    uint16_t ws_port;
    uint32_t mqtt_broker; /* 0 = none */
    bool started;         /* bridge_start completed */
    bool saw_corrupt;     /* a read hit a corrupt row (usp_req.c) */
    uv_timer_t stats_timer; /* periodic statistics (resync.c) */
    bool stats_timer_init;
    struct {              /* background store flush (resync.c) */
        uv_timer_t timer;
        bool timer_init, busy;
        uv_work_t work;
        int result;
    } flush;
    struct {              /* MQTTConnect drip (usp_mtp.c) */
        uv_timer_t timer;
        bool timer_init;
        char **eids;
        size_t n, next, ctrl;
    } presence;
    uv_signal_t sig_term, sig_int, sig_hup;
    bool stopping;
    int exit_code;
    uint64_t started_ms; /* ub_now_ms() at start: hosted UpTime */
    /* running full syncs (device.c) */
    struct ub_list sync_jobs;
    size_t n_sync_jobs;
    struct bridge_stats stats;
    struct bridge_controller controllers[BRIDGE_MAX_CONTROLLERS];
    size_t n_controllers;
    struct bridge_ws_ctrl ws_ctrls[BRIDGE_MAX_CONTROLLERS];
    size_t n_ws_ctrls;
    /* requests running on devices (req.c) */
    struct ub_list jobs;
    size_t n_jobs;
    uv_timer_t req_timer;
    bool req_started;
    struct bridge_perm_entry *perm_cache; /* BRIDGE_PERM_CACHE entries */
    struct bridge_policy policies[BRIDGE_MAX_POLICIES];
    size_t n_policies;
    int64_t default_max_age_s;
};

#define BRIDGE_PERM_CACHE 1024
struct bridge_perm_entry {
    uint32_t dev;
    char controller[USP_ID_MAX + 1];
    struct usp_agent_perms *perms; /* owned; NULL = empty slot */
};

/* CWMP RPCs one USP request may need (Add of many objects, etc.). */
#define BRIDGE_JOB_MAX_RPCS 64

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

/* agent_tree.c: the tree a controller sees for one bridged agent (the
 * device cache with the hosted Device.LocalAgent. grafted in).  Valid until
 * agent_tree_close or the end of r. */
struct agent_tree {
    struct ub_tree tree; /* hand &t->tree to the path engine */
    struct ub_tree dev;
    struct hosted_store hs;
    struct usp_agent_view view;
    struct usp_agent_overlay ov;
};
int agent_tree_open(struct agent_tree *t, struct bridge *b,
                    struct pdb_rtxn *r, uint32_t dev) UB_WARN_UNUSED;
void agent_tree_close(struct agent_tree *t);
/* Parses and resolves one requested path over tree.  rs is initialised
 * here (usp_resolved_free it).  A syntax error (7008) or an empty result
 * that the message type treats as an error (usp_resolve_nomatch_err) is
 * reported in *uerr with a short *umsg (static); UB_OK otherwise. */
int bridge_resolve(const struct ub_tree *tree, const char *text,
                   enum usp_msg_type type, struct usp_resolved *rs,
                   uint32_t *uerr, const char **umsg) UB_WARN_UNUSED;

/* resync.c: cache repair. */
/* Marks the device for a full re-sync at its next session (after a corrupt
 * row was read); logs failures. */
void bridge_mark_unsynced(struct bridge *b, uint32_t dev);
/* Scans the cached parameters of dev under prefix (through r): *stale when
 * one was read more than max_age_s ago, *any when there is at least one.
 * Errors of the walk are returned (UB_ENOTFOUND, UB_ECORRUPT...). */
int bridge_cache_age(struct pdb_rtxn *r, uint32_t dev, const char *prefix,
                     int64_t max_age_s, bool *stale, bool *any)
    UB_WARN_UNUSED;
/* With [store] nosync: flush the store every sync_interval_ms off-loop. */
void bridge_flush_start(struct bridge *b);
void bridge_flush_stop(struct bridge *b);
/* [general] stats_interval: one line of counters in the log. */
void bridge_stats_start(struct bridge *b);
void bridge_stats_stop(struct bridge *b);

/* usp_req.c: USP records for bridged agents. */
int bridge_controllers_parse(struct bridge *b) UB_WARN_UNUSED;
int bridge_policies_parse(struct bridge *b) UB_WARN_UNUSED;
/* The literal object part of a path expression: up to the first wildcard,
 * search or reference, cut back to its last '.' ("Device.WiFi.SSID.*.Name"
 * -> "Device.WiFi.SSID."); a path without those is copied whole.  Returns
 * false when it does not fit out (out then holds a truncated copy). */
bool bridge_expr_prefix(const char *text, char *out, size_t outsz);
uint32_t bridge_perm_check_expr(const struct usp_agent_perms *perms,
                                const char *text, enum usp_agent_op op);
/* hosted.c: the hosted Device.LocalAgent. objects in proxy-db. */
void hosted_store_ro(struct hosted_store *hs, struct pdb_rtxn *r,
                     uint32_t dev);
void hosted_store_rw(struct hosted_store *hs, struct pdb_batch *bt,
                     uint32_t dev);
int bridge_hosted_init(struct bridge *b, struct pdb_batch *bt, uint32_t dev,
                       const char *eid) UB_WARN_UNUSED;
/* The controller's permissions on agent dev, from a cache: *out is
 * borrowed until the next bridge_perms_load / bridge_perms_forget call
 * (use it synchronously, never keep it across loop callbacks). */
int bridge_perms_load(struct bridge *b, uint32_t dev, const char *controller,
                      const struct usp_agent_perms **out) UB_WARN_UNUSED;
/* Drops the cached permissions of agent dev (its hosted objects changed). */
void bridge_perms_forget(struct bridge *b, uint32_t dev);
void bridge_perms_forget_all(struct bridge *b);
/* True if the agent's Controller table has this enabled controller; its
 * MQTT topic is copied into topic when given. */
bool bridge_controller_known(struct bridge *b, uint32_t dev,
                             const char *controller, char *topic,
                             size_t topic_sz);
/* Set/Add/Delete whose paths are all hosted. */
void bridge_hosted_write(struct bridge *b, const struct bridge_reply_to *rt,
                         uint32_t dev, const struct usp_msg *m);
const struct bridge_controller *bridge_controller_find(const struct bridge *b,
                                                       const char *eid);
/* buf borrowed; rt filled with the MTP part by the caller, completed here. */
void bridge_usp_on_record(struct bridge *b, const uint8_t *buf, size_t len,
                          struct bridge_reply_to *rt);
/* usp_mtp.c: sends an encoded record back the way rt says. */
/* Encodes, wraps and sends m (borrowed) to rt; logs failures. */
void bridge_usp_send_msg(struct bridge *b, const struct bridge_reply_to *rt,
                         const struct usp_msg *m);
/* Answers a Get/GetInstances/GetSupportedDM from the store. */
void bridge_usp_answer_read(struct bridge *b, const struct bridge_reply_to *rt,
                            uint32_t dev, const struct usp_msg *req);

/* payload.c: durable queue entries.  encode: rt and msg borrowed, o
 * initialised here (free with ub_buf_free).  decode: *msg points into
 * payload (borrowed); UB_ECORRUPT for anything malformed. */
int bridge_job_payload_encode(const struct bridge_reply_to *rt,
                              const uint8_t *msg, size_t len,
                              struct ub_buf *o) UB_WARN_UNUSED;
int bridge_job_payload_decode(const void *payload, size_t len,
                              struct bridge_reply_to *rt, const uint8_t **msg,
                              size_t *msg_len) UB_WARN_UNUSED;

/* req.c: requests that run on the CWMP device. */
int bridge_req_start(struct bridge *b) UB_WARN_UNUSED;
void bridge_req_stop(struct bridge *b);
void bridge_req_destroy(struct bridge *b);
/* m taken; raw (the encoded Msg) borrowed. */
void bridge_req_submit(struct bridge *b, const struct bridge_reply_to *rt,
                       uint32_t dev, struct usp_msg *m, const uint8_t *raw,
                       size_t raw_len);
bool bridge_req_rpc_result(struct bridge *b, const char *devkey,
                           uint64_t rpc_id, const struct cwmp_msg *resp,
                           int err);
void bridge_req_on_inform(struct bridge *b, const char *devkey);

int bridge_mtp_start(struct bridge *b) UB_WARN_UNUSED;
void bridge_mtp_stop(struct bridge *b);
/* Sends a new agent's MQTTConnect records (broker up only). */
void bridge_mtp_presence_agent(struct bridge *b, const char *eid);
/* Serves a (new) agent on every MTP. */
int bridge_mtp_add_agent(struct bridge *b, const char *eid) UB_WARN_UNUSED;
int bridge_usp_send(struct bridge *b, const struct bridge_reply_to *rt,
                    const uint8_t *rec, size_t len) UB_WARN_UNUSED;

#endif
