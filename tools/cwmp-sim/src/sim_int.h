/*
 * cwmp-sim internals: the CPE simulator shared between its files and its
 * white-box tests (tests/sim/).  Not a public header: tools use public module
 * headers only, and nothing outside tools/cwmp-sim and tests/sim includes
 * this one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Layers (bottom up):
 *   model.c   the data-model file loader: one read-only struct sim_model
 *             shared by every simulated device.
 *   dm.c      struct sim_dm, one device's view of the model, copy-on-write:
 *             values and attributes it changed live in a small per-device
 *             overlay, and only a device that adds or deletes objects gets
 *             its own (pointer) index of the nodes.
 *   cpe.c     struct sim_cpe, one simulated CPE without any I/O: identity,
 *             pending events, the Inform it would send, its answer to every
 *             ACS request (rpc.c), transfers, reboot/factory reset, state
 *             files.
 *   engine.c  the I/O: libcurl multi on the libuv loop for CWMP sessions,
 *             timers, the concurrency limit; cr.c (libmicrohttpd Connection
 *             Request listener), control.c (line protocol on TCP), main.c
 *             (command line).
 */
#ifndef CWMP_SIM_INT_H
#define CWMP_SIM_INT_H

#include <ub/base.h>
#include <ub/cwmp.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Model (model.c)                                                     */
/* ------------------------------------------------------------------ */

enum sim_node_flag {
    SIM_F_WRITABLE = 1u << 0,   /* parameter writable; table: Add/Delete */
    SIM_F_OBJECT = 1u << 1,     /* object, table or instance (path ends '.') */
    SIM_F_TABLE = 1u << 2,      /* multi-instance table "X.Y." */
    SIM_F_INSTANCE = 1u << 3,   /* table instance "X.Y.3." */
    SIM_F_FORCED = 1u << 4,     /* forced Inform parameter */
    SIM_F_SECRET = 1u << 5,     /* reads as "" (passwords) */
    SIM_F_DENY_ACTIVE = 1u << 6,/* active notification is refused (9009) */
    SIM_F_MACRO = 1u << 7,      /* value holds ${...}: expanded per device */
    SIM_F_COUNT = 1u << 8,      /* XNumberOfEntries next to table X. */
    SIM_F_UPTIME = 1u << 9,     /* DeviceInfo.UpTime: seconds since boot */
    SIM_F_NOW = 1u << 10,       /* Time.CurrentLocalTime: wall clock */
    SIM_F_OWNED = 1u << 11,     /* node allocated by one device (AddObject) */
};

struct sim_node {
    const char *path;  /* "Device.IP.Interface.1.Name", objects end in '.' */
    const char *value; /* "" for objects */
    uint32_t flags;    /* enum sim_node_flag */
    uint8_t type;      /* enum ub_type; UB_T_OBJECT for objects */
    uint8_t notif;     /* default notification attribute 0/1/2 */
};

struct sim_model {
    char *file;
    char *root;                    /* "Device." or "InternetGatewayDevice." */
    struct sim_node *nodes;        /* concrete nodes, sorted (sim_path_cmp) */
    const struct sim_node **index; /* pointers to nodes, the shared index */
    size_t n;
    struct sim_node *tmpl;         /* templates ("{i}" paths), sorted */
    size_t n_tmpl;
    size_t n_params;               /* concrete parameters (not objects) */
    size_t n_objects;
    size_t n_tables;
    char *strings;                 /* one block holding every path/value */
};

/* Loads a model file (format: tools/cwmp-sim/README.md).  *out owned, free
 * with sim_model_free.  UB_EIO (cannot read), UB_EPROTO (bad line: err says
 * which), UB_ENOMEM. */
int sim_model_load(const char *file, struct sim_model **out, char *err,
                   size_t errsz) UB_WARN_UNUSED;
void sim_model_free(struct sim_model *m);

/* Orders data-model paths: segment by segment, an object before what is
 * below it, parameters before sub-objects, instance numbers numerically.
 * Every subtree is then one contiguous run. */
int sim_path_cmp(const char *a, const char *b);

/* Finds a template node by schema path ("Device.IP.Interface.{i}.Name"). */
const struct sim_node *sim_model_tmpl_find(const struct sim_model *m,
                                           const char *schema_path);

/* ------------------------------------------------------------------ */
/* Per-device data model (dm.c)                                        */
/* ------------------------------------------------------------------ */

/* What the device-specific macros in values expand to. */
struct sim_macros {
    const char *serial, *oui, *product_class, *manufacturer;
    const char *acs_url, *acs_user, *acs_pass;
    const char *cr_url, *cr_user, *cr_pass;
    unsigned periodic;  /* 0 = periodic informs disabled */
    unsigned idx;       /* device number, 1-based */
};

/* One overlay entry: what a device changed about one node. */
struct sim_ovl {
    const char *path; /* borrowed from the node */
    uint64_t hash;
    char *value;      /* owned when has_value */
    bool has_value;
    bool persist;     /* changed by the ACS or the control channel */
    bool changed;     /* changed locally: due for a VALUE CHANGE report */
    bool reported;    /* in the Inform of the running session */
    bool has_notif;
    uint8_t notif;
};
struct sim_next_inst; /* per-table instance counter (dm.c) */

struct sim_dm {
    const struct sim_model *m;
    const struct sim_node **index; /* m->index, or private when own_index */
    size_t n;
    size_t cap;
    bool own_index;
    /* overlay hash: path -> changed value / attribute */
    struct sim_ovl **slots;
    size_t n_slots, n_used;
    struct sim_next_inst *next;
    size_t n_next;
    /* structural changes, in order ("add <table>\t<n>", "del <obj>"), for
     * the state file */
    struct ub_strv journal;
    uint64_t boot_ms; /* for UpTime */
};

/* Binds dm to model m (borrowed, must outlive dm) and expands the macros
 * (borrowed for the call). */
int sim_dm_init(struct sim_dm *dm, const struct sim_model *m,
                const struct sim_macros *mac) UB_WARN_UNUSED;
void sim_dm_free(struct sim_dm *dm);

/* Exact lookup: NULL if absent.  *pos (may be NULL) gets the index. */
const struct sim_node *sim_dm_find(const struct sim_dm *dm, const char *path,
                                   size_t *pos);
/* First index whose path is >= path (for subtree walks). */
size_t sim_dm_lower(const struct sim_dm *dm, const char *path);
/* Node at index i (i < dm->n). */
static inline const struct sim_node *sim_dm_at(const struct sim_dm *dm,
                                               size_t i)
{
    return dm->index[i];
}

/* Current value of parameter node (secret values included).  The result is
 * borrowed until the next change of dm; tmp (>= 32 bytes) holds computed
 * values. */
const char *sim_dm_value(const struct sim_dm *dm, const struct sim_node *nd,
                         char *tmp, size_t tmpsz);
/* Sets a value (copied).  'persist' marks a change to keep in the state
 * file; 'changed' marks it for a VALUE CHANGE report. */
int sim_dm_set(struct sim_dm *dm, const struct sim_node *nd,
               const char *value, bool persist, bool changed) UB_WARN_UNUSED;
uint8_t sim_dm_notif(const struct sim_dm *dm, const struct sim_node *nd);
int sim_dm_set_notif(struct sim_dm *dm, const struct sim_node *nd,
                     uint8_t notif) UB_WARN_UNUSED;

/* Adds an instance to table 'table' ("X.Y."), with its template children.
 * inst 0 = next free number.  *out = the number. UB_ENOTFOUND (no such
 * table or no template), UB_EEXIST (instance number taken). */
int sim_dm_add(struct sim_dm *dm, const char *table, unsigned inst,
               const struct sim_macros *mac, unsigned *out) UB_WARN_UNUSED;
/* Deletes instance 'obj' ("X.Y.3.") and everything below. */
int sim_dm_del(struct sim_dm *dm, const char *obj) UB_WARN_UNUSED;
/* Number of instances directly in table node 'table'. */
size_t sim_dm_count(const struct sim_dm *dm, const char *table);

/* Calls cb for every overlay entry (with its node).  Return non-zero from
 * cb to stop; that value is returned. */
typedef int (*sim_dm_ovl_cb)(void *user, const struct sim_node *nd,
                             struct sim_ovl *e);
int sim_dm_overlay_walk(struct sim_dm *dm, sim_dm_ovl_cb cb, void *user);

/* ------------------------------------------------------------------ */
/* Simulated CPE (cpe.c, rpc.c)                                        */
/* ------------------------------------------------------------------ */

enum sim_quirk {
    SIM_Q_PERIODIC_FIRST = 1u << 0,
    SIM_Q_NO_XSI_TYPE = 1u << 1,
    SIM_Q_BAD_ARRAYTYPE = 1u << 2,
    SIM_Q_GPV_9004 = 1u << 3,
    SIM_Q_BASIC_UPFRONT = 1u << 4,
    SIM_Q_ECHO_COOKIE = 1u << 5,
    SIM_Q_SPV_ALWAYS_0 = 1u << 6,
    SIM_Q_TR098 = 1u << 7,
    SIM_Q_MIXED_NS = 1u << 8,      /* other and mixed namespace prefixes */
    SIM_Q_NAIVE_PARSER = 1u << 9,  /* needs literal "cwmp:" and cwmp:ID */
};

/* "periodic-first" -> flag; 0 if unknown. */
unsigned sim_quirk_from_name(const char *name);
const char *sim_quirk_names(void); /* for --help */

#define SIM_MAX_EVENTS 16
#define SIM_MAX_TRANSFERS 4
#define SIM_KEY_MAX 33 /* CommandKey / ParameterKey: 32 chars + NUL */

struct sim_event {
    char code[32];
    char key[SIM_KEY_MAX];
    bool sent; /* in the Inform of the running session */
};

struct sim_transfer {
    bool used;
    bool download;
    bool complete;  /* done: TransferComplete pending */
    bool sent;      /* TransferComplete sent in this session */
    char key[SIM_KEY_MAX];
    char file_type[64];
    uint64_t due_ms; /* when it "completes" */
    unsigned fault;
    char start[32], end[32];
};

/* What the engine must do once the running session has ended. */
enum sim_after {
    SIM_AFTER_REBOOT = 1u << 0,
    SIM_AFTER_FACTORY_RESET = 1u << 1,
    SIM_AFTER_SCHEDULE_INFORM = 1u << 2,
    SIM_AFTER_TRANSFER = 1u << 3,    /* a transfer was started */
    SIM_AFTER_PERIODIC = 1u << 4,    /* periodic settings changed */
    SIM_AFTER_ACS_CHANGE = 1u << 5,  /* ManagementServer.URL changed */
};

struct sim_cpe_config {
    const struct sim_model *model;
    unsigned quirks;
    unsigned gpv_limit;     /* gpv-9004: max parameters in one GPV */
    unsigned transfer_s;    /* simulated transfer time */
    const char *state_dir;  /* NULL: no persistence */
    enum cwmp_version version; /* of the envelopes the CPE sends */
};

struct sim_cpe {
    const struct sim_cpe_config *cfg;
    struct sim_macros mac; /* strings owned by the cpe */
    struct sim_dm dm;
    struct sim_event ev[SIM_MAX_EVENTS];
    size_t n_ev;
    struct sim_transfer xfer[SIM_MAX_TRANSFERS];
    bool bootstrapped;
    unsigned after;          /* enum sim_after, set by RPCs */
    char reboot_key[SIM_KEY_MAX];
    unsigned sched_delay;
    char sched_key[SIM_KEY_MAX];
    bool dirty;              /* state to save */
    uint32_t id_seq;         /* cwmp:ID of CPE requests */
    unsigned boot_count;
};

/* Initialises a CPE (mac strings copied).  Loads its state file when the
 * config has a state_dir and one exists; otherwise starts fresh with
 * "0 BOOTSTRAP" pending.  'first_event' overrides the first event
 * ("0 BOOTSTRAP", "1 BOOT", "2 PERIODIC"; NULL = by state). */
int sim_cpe_init(struct sim_cpe *c, const struct sim_cpe_config *cfg,
                 const struct sim_macros *mac, const char *first_event)
    UB_WARN_UNUSED;
void sim_cpe_free(struct sim_cpe *c);

/* Queues an event (code like "2 PERIODIC", key may be NULL).  Single
 * events are not duplicated; M events are, up to SIM_MAX_EVENTS (the
 * oldest non-boot event is dropped when full). */
void sim_cpe_event(struct sim_cpe *c, const char *code, const char *key);
bool sim_cpe_has_event(const struct sim_cpe *c, const char *code);

/* The Inform for a new session (returned owned): pending events (marked
 * sent), forced parameters and notified changes. */
int sim_cpe_inform(struct sim_cpe *c, unsigned retry_count,
                   struct cwmp_msg **out) UB_WARN_UNUSED;
/* InformResponse received: delivered events and changes are cleared. */
void sim_cpe_inform_acked(struct sim_cpe *c);
/* Session failed: events stay pending for the next attempt. */
void sim_cpe_session_failed(struct sim_cpe *c);
/* A CPE request to send after the InformResponse (TransferComplete), or
 * NULL in *out when there is none. */
int sim_cpe_next_request(struct sim_cpe *c, uint64_t now_ms,
                         struct cwmp_msg **out) UB_WARN_UNUSED;
/* The ACS answered the CPE request (resp borrowed). */
void sim_cpe_request_acked(struct sim_cpe *c, const struct cwmp_msg *resp);

/* Answers one ACS request (borrowed) with a response or fault (owned). */
int sim_cpe_handle(struct sim_cpe *c, const struct cwmp_msg *req,
                   struct cwmp_msg **out) UB_WARN_UNUSED;

/* Local change from outside (control channel): like the device's own
 * software changing a value.  *active is set when an active notification is
 * now due (the caller starts a session).  UB_ENOTFOUND (no such parameter),
 * UB_EINVAL (value does not fit the type). */
int sim_cpe_local_set(struct sim_cpe *c, const char *path, const char *value,
                      bool *active) UB_WARN_UNUSED;

/* Effects after the session (engine calls these). */
void sim_cpe_do_reboot(struct sim_cpe *c);
int sim_cpe_do_factory_reset(struct sim_cpe *c) UB_WARN_UNUSED;
/* Completes transfers due by now_ms.  Returns true if any completed. */
bool sim_cpe_transfers_tick(struct sim_cpe *c, uint64_t now_ms);
/* Earliest due time of a running transfer, or 0. */
uint64_t sim_cpe_transfer_due(const struct sim_cpe *c);
/* Reads ManagementServer values the engine needs (copied into out). */
void sim_cpe_ms_get(const struct sim_cpe *c, const char *name, char *out,
                    size_t outsz);
unsigned sim_cpe_periodic_interval(const struct sim_cpe *c); /* 0 = off */

/* State file <state_dir>/<serial>.state. */
int sim_cpe_save(struct sim_cpe *c) UB_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* Output post-processing for quirks (quirks.c)                        */
/* ------------------------------------------------------------------ */

/* Applies the text-level quirks (no-xsi-type, bad-arraytype-count,
 * mixed-ns-prefixes) to an encoded envelope (b borrowed; its data may be
 * replaced). */
int sim_quirks_apply(unsigned quirks, struct ub_buf *b) UB_WARN_UNUSED;
/* naive-parser: true if an ACS envelope would be understood by a CPE that
 * looks for the literal "<cwmp:" prefix and a cwmp:ID header (buf borrowed,
 * NUL-terminated). */
bool sim_quirks_naive_ok(const char *buf);

/* ------------------------------------------------------------------ */
/* Small helpers (util.c)                                              */
/* ------------------------------------------------------------------ */

/* Appends s as a JSON string literal (with quotes) to b. */
int sim_json_str(struct ub_buf *b, const char *s) UB_WARN_UNUSED;
/* Copies at most dstsz-1 bytes and NUL-terminates. */
void sim_strlcpy(char *dst, const char *src, size_t dstsz);
/* Expands ${NAME} macros of one value; returned owned. */
char *sim_macro_expand(const char *v, const struct sim_macros *mac);

#endif /* CWMP_SIM_INT_H */
