/*
 * uspbridge proxy-db: the persistent state of the bridge in one LMDB
 * environment.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * What is stored (one named LMDB database each, see proxy-db/README.md):
 *  - devices   the registry: one record per bridged CWMP device, with a short
 *              numeric device id assigned at registration (secondary indexes
 *              by USP endpoint ID and by CWMP DeviceId);
 *  - params    the parameter cache: (device id, path) -> type, writable,
 *              notification, value, updated_at, sync generation;
 *  - agent     the bridged Device.LocalAgent. objects, same row format;
 *  - queue     per-device durable request queue (opaque payload, deadline,
 *              state);
 *  - outbox    per-agent notification outbox (opaque payload, msg id, expiry,
 *              attempts);
 *  - meta      schema version and counters.
 *
 * Keys keep one device's subtree contiguous and in data-model order: a
 * prefix scan of "Device.WiFi." returns the rows in order without sorting.
 * Order inside an object: the object itself, then its parameters (by name,
 * bytewise), then its child objects (by name, bytewise), then its instances
 * (numerically: "Host.2." before "Host.10.").
 *
 * Conventions (as base.h): functions return UB_OK or a positive enum ub_err,
 * outputs come last and are untouched on failure.  Pointer parameters are
 * "borrowed" unless documented otherwise.
 *
 * Transactions:
 *  - Reads go through a struct pdb_rtxn (pdb_rtxn_begin/end).  Everything a
 *    read hands out by pointer (struct ub_param / ub_node / pdb_device views
 *    given to callbacks, pdb_queue_entry payloads) is borrowed: valid only
 *    during the callback, or until the transaction ends where said so.  Do
 *    not modify or free it.
 *  - Writes go through a struct pdb_batch: one LMDB write transaction, meant
 *    to be one per device message, never one per parameter.  A batch can be
 *    read through pdb_batch_reader() (sees its own writes).  Only one batch
 *    may be open per environment at a time (LMDB has a single writer);
 *    a second pdb_batch_begin returns UB_ESTATE.
 *  - Sticky failure: once a storage error (UB_EDB, UB_EIO, UB_ENOMEM,
 *    UB_EFULL from a full map) happened in a batch, every further call on it
 *    returns that error and pdb_batch_commit aborts.  Argument errors and
 *    per-call limits (UB_EINVAL, UB_ETOOBIG, UB_ENOTFOUND, UB_EEXIST, a full
 *    queue's UB_EFULL) and a corrupt stored record met by a call
 *    (UB_ECORRUPT: mark the device unsynced, or delete and re-register it
 *    if its registry record is the corrupt one) leave the batch usable.
 *
 * Caveats:
 *  - Avoid long-lived read transactions (they pin old pages and make the file
 *    grow); never hold one across loop callbacks.
 *  - A full map is UB_EFULL.  Before each batch the map is grown by
 *    map_grow_step (up to map_max) when less than half a step is free; when
 *    a single batch still fills it, the batch is poisoned, and its commit or
 *    abort grows the map by one step if map_max allows: the caller may retry
 *    the message (a batch larger than one step may need several retries).
 *  - Growing the map needs no open read transaction in this process.
 *  - Not thread safe: one thread (the loop) owns an environment.  Other
 *    processes may open the same store read-only (pdb_config.read_only).
 *  - Do not open the same store twice in one process (LMDB's POSIX locks).
 *  - Paths whose encoded key exceeds LMDB's key size (511 bytes including
 *    the 4-byte device id, roughly 450 characters of path) are refused with
 *    UB_ETOOBIG; there is no hashed fallback because it would break ordering
 *    and prefix scans.
 *  - Connection Request credentials are stored in clear text (the bridge
 *    needs them to answer a Digest challenge); protect the directory.
 */
#ifndef UB_PDB_H
#define UB_PDB_H

#include <ub/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Schema version this build writes.  pdb_env_open refuses a store with a
 * newer version (UB_EVERSION) and upgrades older ones. */
#define PDB_SCHEMA_VERSION 1u

/* ------------------------------------------------------------------ */
/* Environment                                                         */
/* ------------------------------------------------------------------ */

struct pdb_env;   /* opaque */
struct pdb_rtxn;  /* opaque: a read transaction (or a batch's reader) */
struct pdb_batch; /* opaque: a write transaction */

struct pdb_config {
    size_t map_size;       /* initial map size, bytes (default 64 MiB) */
    size_t map_max;        /* growth limit, bytes (default 4 GiB) */
    size_t map_grow_step;  /* growth step, bytes (default 64 MiB) */
    unsigned max_readers;  /* LMDB reader slots (default 126) */
    bool read_only;        /* MDB_RDONLY: inspect a store another process
                              writes; every write call returns UB_ESTATE */
    bool nosync;           /* MDB_NOSYNC: commits do not fsync.  Integrity
                              is kept (no MDB_WRITEMAP) but the last commits
                              before an OS crash or power loss may be lost;
                              a kill -9 of the process loses nothing.  Call
                              pdb_env_sync from a timer when set.  Off by
                              default. */
    size_t queue_max;      /* max queue entries per device (default 1000) */
    size_t outbox_max;     /* max outbox entries per agent (default 1000) */
    size_t payload_max;    /* max queue/outbox payload bytes (default 1 MiB) */
};

/* Fills *cfg with the defaults above. */
void pdb_config_init(struct pdb_config *cfg);

/* Opens (creating it unless read_only) the store in directory 'path'
 * (borrowed; created if missing, parents included).  cfg is borrowed and
 * may be NULL for the defaults.  Errors: UB_EVERSION (store written by a
 * newer schema: a clear message is logged), UB_ENOTFOUND (read_only and no
 * store there), UB_EDB, UB_ENOMEM, UB_EINVAL.  *out is returned owned:
 * close with pdb_env_close. */
int pdb_env_open(const char *path, const struct pdb_config *cfg,
                 struct pdb_env **out) UB_WARN_UNUSED;
/* Closes the store.  No transaction may be open.  NULL is a no-op. */
void pdb_env_close(struct pdb_env *env);
/* Flushes to disk (useful with nosync).  UB_OK or UB_EDB. */
int pdb_env_sync(struct pdb_env *env) UB_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

/* Starts a read transaction: a consistent snapshot.  *out returned owned,
 * end it with pdb_rtxn_end.  Several may be open at once. */
int pdb_rtxn_begin(struct pdb_env *env, struct pdb_rtxn **out) UB_WARN_UNUSED;
/* Ends it; every pointer obtained through it becomes invalid.  NULL ok.
 * Must not be called on a batch's reader. */
void pdb_rtxn_end(struct pdb_rtxn *r);

/* Starts a write batch.  UB_ESTATE if one is already open or the env is
 * read-only.  *out returned owned: finish with commit or abort. */
int pdb_batch_begin(struct pdb_env *env, struct pdb_batch **out)
    UB_WARN_UNUSED;
/* Commits atomically (all or nothing, durable unless nosync) and frees b
 * (even on failure, in which case nothing was written).  UB_EFULL when the
 * map filled up (see Caveats), the sticky error, or UB_EDB. */
int pdb_batch_commit(struct pdb_batch *b) UB_WARN_UNUSED;
/* Throws the batch away and frees it.  NULL ok. */
void pdb_batch_abort(struct pdb_batch *b);
/* A read view of the batch (sees its writes); valid until the batch ends.
 * Never pass it to pdb_rtxn_end. */
struct pdb_rtxn *pdb_batch_reader(struct pdb_batch *b);

/* ------------------------------------------------------------------ */
/* Device registry                                                     */
/* ------------------------------------------------------------------ */

enum pdb_sync_state {
    PDB_SYNC_NONE = 0,        /* never synced, or marked for re-sync */
    PDB_SYNC_IN_PROGRESS = 1, /* a full sync runs; sync_cursor = resume */
    PDB_SYNC_SYNCED = 2,      /* the cache mirrors the device */
};

/* A registry record.  Strings are NUL-terminated or NULL.  In a record from
 * pdb_device_get they are owned (free with pdb_device_clear); in one handed
 * to a pdb_device_list callback they are borrowed (valid during the call).
 *
 * Fields marked [store] are managed by proxy-db: pdb_device_put ignores
 * them (keeps the stored values; zero for a new device). */
struct pdb_device {
    uint32_t id;               /* [store] device key, assigned at register */
    char *endpoint_id;         /* USP endpoint ID, "os::00D09E-SN1" (unique) */
    char *cwmp_device_id;      /* "OUI-ProductClass-Serial" (unique) */
    char *oui;
    char *product_class;
    char *serial;
    char *manufacturer;
    char *conn_req_url;
    char *conn_req_username;
    char *conn_req_password;   /* clear text, see Caveats */
    char *software_version;
    char *hardware_version;
    char *cwmp_version;        /* "1.0" .. "1.4" */
    char *rpc_methods;         /* comma separated GetRPCMethods answer */
    char *root;                /* data-model root: "Device." or "InternetGatewayDevice." */
    int64_t created_at;        /* [store] wall seconds of registration */
    int64_t last_inform;       /* wall seconds of the last Inform, 0 never */
    uint32_t flags;            /* free for the bridge (opaque to proxy-db) */
    enum pdb_sync_state sync_state; /* [store] */
    char *sync_cursor;         /* [store] resume cursor of a sync, or NULL */
    uint32_t sync_gen;         /* [store] current sync generation */
    uint32_t param_count;      /* [store] rows in the params cache */
};

/* Frees the strings of an owned record and zeroes it.  NULL ok. */
void pdb_device_clear(struct pdb_device *d);

/* Registers or updates a device.  If d->id == 0 a new device is registered
 * (endpoint_id and cwmp_device_id required) and its id returned in *id;
 * otherwise the record d->id is updated (UB_ENOTFOUND if absent).  d is
 * borrowed; [store] fields are ignored.  UB_EEXIST if another device
 * already has the endpoint_id or cwmp_device_id.  id may be NULL. */
int pdb_device_put(struct pdb_batch *b, const struct pdb_device *d,
                   uint32_t *id) UB_WARN_UNUSED;
/* Reads device 'id' into *out (owned copy).  UB_ENOTFOUND, UB_ECORRUPT. */
int pdb_device_get(struct pdb_rtxn *r, uint32_t id, struct pdb_device *out)
    UB_WARN_UNUSED;
/* Secondary lookups: device id by USP endpoint ID / by CWMP DeviceId
 * ("OUI-ProductClass-Serial").  UB_ENOTFOUND if unknown. */
int pdb_device_find_endpoint(struct pdb_rtxn *r, const char *endpoint_id,
                             uint32_t *id) UB_WARN_UNUSED;
int pdb_device_find_cwmp(struct pdb_rtxn *r, const char *cwmp_device_id,
                         uint32_t *id) UB_WARN_UNUSED;
/* Calls cb for every device in id order with a borrowed record.  A non-zero
 * return of cb stops the walk and is returned.  Corrupt records are skipped
 * (logged with their id) and the walk then ends with UB_ECORRUPT after
 * visiting every readable record. */
typedef int (*pdb_device_cb)(void *user, const struct pdb_device *d);
int pdb_device_list(struct pdb_rtxn *r, pdb_device_cb cb, void *user)
    UB_WARN_UNUSED;
/* Deletes the device with its cache, agent objects, queue and outbox. */
int pdb_device_del(struct pdb_batch *b, uint32_t id) UB_WARN_UNUSED;
/* Marks the device for re-sync (sync_state NONE), e.g. after a read
 * returned UB_ECORRUPT.  The cache rows stay until the next full sync. */
int pdb_device_mark_unsynced(struct pdb_batch *b, uint32_t id) UB_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* Parameter cache and agent objects                                   */
/* ------------------------------------------------------------------ */

/* Which table a parameter call works on: the device's cached tree or the
 * bridge-hosted Device.LocalAgent. objects of that device's agent. */
enum pdb_space {
    PDB_PARAMS = 0,
    PDB_AGENT = 1,
};

/* Field mask for pdb_batch_put_param: fields outside the mask keep their
 * stored value (defaults for a new row).  The path is always the key. */
#define PDB_PUT_VALUE 0x01u  /* value (and updated_at) */
#define PDB_PUT_TYPE 0x02u   /* type and type_name */
#define PDB_PUT_WRITABLE 0x04u
#define PDB_PUT_NOTIF 0x08u
#define PDB_PUT_ALL 0x0fu

/* Stores one row.  p is borrowed.  p->path ending in '.' is an object or
 * instance row (type must be UB_T_OBJECT or UB_T_NONE, stored as
 * UB_T_OBJECT; an empty table is its object row with no instances); other
 * paths are parameters (type must not be UB_T_OBJECT).  updated_at 0 means
 * "now" (ub_wall_s), negative means "unknown" (stored as 0).  The row is stamped with the device's current sync
 * generation.  *created (may be NULL) tells if the row is new: the hook for
 * ObjectCreation events.  The device must be registered (UB_ENOTFOUND).
 * UB_EINVAL for a malformed path, UB_ETOOBIG for one too long to encode. */
int pdb_batch_put_param(struct pdb_batch *b, enum pdb_space space,
                        uint32_t dev, const struct ub_param *p, unsigned mask,
                        bool *created) UB_WARN_UNUSED;

/* Called with each row deleted (node borrowed for the call).  The callback
 * must not call write functions on the batch. Non-zero stops and is
 * returned (rows deleted so far stay deleted in the batch). */
typedef int (*pdb_deleted_cb)(void *user, const struct ub_node *node);

/* Deletes 'path' and, for an object path, everything below it.  path NULL
 * or "" = the whole tree of the device.  cb may be NULL.  *count (may be
 * NULL) gets the number of rows deleted (0 is not an error). */
int pdb_batch_del_subtree(struct pdb_batch *b, enum pdb_space space,
                          uint32_t dev, const char *path, pdb_deleted_cb cb,
                          void *user, size_t *count) UB_WARN_UNUSED;

/* Reads one row into *out (owned copy, free with ub_param_clear).
 * UB_ENOTFOUND, UB_ECORRUPT (the device should be marked unsynced). */
int pdb_param_get(struct pdb_rtxn *r, enum pdb_space space, uint32_t dev,
                  const char *path, struct ub_param *out) UB_WARN_UNUSED;

/* Calls cb for every stored row under 'prefix' (an object path; NULL or ""
 * for the whole tree; a parameter path gives that row only) in data-model
 * order.  The ub_param is borrowed for the call.  Non-zero from cb stops
 * the walk and is returned.  A corrupt row stops it with UB_ECORRUPT. */
typedef int (*pdb_param_cb)(void *user, const struct ub_param *p);
int pdb_param_iter(struct pdb_rtxn *r, enum pdb_space space, uint32_t dev,
                   const char *prefix, pdb_param_cb cb, void *user)
    UB_WARN_UNUSED;

/* Exposes a device's rows as a struct ub_tree (base.h) for the USP path
 * engine.  Objects that have rows below them but no row of their own are
 * synthesised (type UB_T_OBJECT, writable false).  The tree reads through
 * r: it is valid until pdb_tree_destroy or the end of r, whichever comes
 * first.  *out is filled; destroy with pdb_tree_destroy. */
int pdb_tree_create(struct pdb_rtxn *r, enum pdb_space space, uint32_t dev,
                    struct ub_tree *out) UB_WARN_UNUSED;
/* Frees what pdb_tree_create allocated and zeroes *t.  NULL ok. */
void pdb_tree_destroy(struct ub_tree *t);

/* ------------------------------------------------------------------ */
/* Sync support                                                        */
/* ------------------------------------------------------------------ */

/* Starts a sync of 'prefix' (NULL or "" = full sync) and returns its
 * generation in *gen.  Rows put afterwards are stamped with it.  A full
 * sync sets sync_state IN_PROGRESS with no cursor.  A sync of a subtree
 * while a full sync is in progress reuses the full sync's generation.
 * A full sync whose process died can be resumed: read sync_state/sync_gen/
 * sync_cursor from the device record and continue with that generation. */
int pdb_sync_begin(struct pdb_batch *b, uint32_t dev, const char *prefix,
                   uint32_t *gen) UB_WARN_UNUSED;
/* Records the resume cursor of an in-progress sync (string borrowed; NULL
 * clears).  Commit it in the same batch as the rows it covers. */
int pdb_sync_set_cursor(struct pdb_batch *b, uint32_t dev, const char *cursor)
    UB_WARN_UNUSED;
/* Finishes a sync: deletes every params row under 'prefix' (NULL = all)
 * whose generation is older than 'gen' (not put since pdb_sync_begin
 * returned gen), calling cb (may be NULL) for each before deleting it (the
 * ObjectDeletion hook; filter on node->type == UB_T_OBJECT).  Corrupt rows
 * under the prefix are deleted too.  A full sync also sets sync_state
 * SYNCED and clears the cursor.  UB_ESTATE if gen is not the device's
 * current generation. *deleted (may be NULL) gets the count. */
int pdb_sync_finish(struct pdb_batch *b, uint32_t dev, uint32_t gen,
                    const char *prefix, pdb_deleted_cb cb, void *user,
                    size_t *deleted) UB_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* Durable request queue (per device) and notification outbox (per agent) */
/* ------------------------------------------------------------------ */

/* One queue entry.  payload is borrowed: valid until the transaction it
 * was read in ends (callback entries: during the call). */
struct pdb_queue_entry {
    uint64_t seq;        /* global, increasing: FIFO order per device */
    uint32_t dev;
    uint32_t state;      /* opaque to proxy-db (0 = new) */
    int64_t deadline;    /* opaque (suggested: wall-clock milliseconds) */
    int64_t created_at;  /* wall seconds */
    const void *payload;
    size_t payload_len;
};

typedef int (*pdb_queue_cb)(void *user, const struct pdb_queue_entry *e);

/* Appends an entry (payload borrowed, copied).  *seq gets its number.
 * UB_EFULL when the device already has queue_max entries, UB_ETOOBIG when
 * payload_len > payload_max, UB_ENOTFOUND for an unknown device. */
int pdb_queue_push(struct pdb_batch *b, uint32_t dev, const void *payload,
                   size_t payload_len, int64_t deadline, uint64_t *seq)
    UB_WARN_UNUSED;
/* The oldest entry of the device into *out.  UB_ENOTFOUND if empty. */
int pdb_queue_peek(struct pdb_rtxn *r, uint32_t dev,
                   struct pdb_queue_entry *out) UB_WARN_UNUSED;
/* All entries of the device, oldest first. */
int pdb_queue_list(struct pdb_rtxn *r, uint32_t dev, pdb_queue_cb cb,
                   void *user) UB_WARN_UNUSED;
int pdb_queue_set_state(struct pdb_batch *b, uint32_t dev, uint64_t seq,
                        uint32_t state) UB_WARN_UNUSED;
/* UB_ENOTFOUND if there is no such entry. */
int pdb_queue_del(struct pdb_batch *b, uint32_t dev, uint64_t seq)
    UB_WARN_UNUSED;
/* Deletes every entry of every device with deadline <= now, calling cb
 * (may be NULL) first for each.  *count may be NULL. */
int pdb_queue_expire(struct pdb_batch *b, int64_t now, pdb_queue_cb cb,
                     void *user, size_t *count) UB_WARN_UNUSED;

struct pdb_outbox_entry {
    uint64_t seq;
    uint32_t agent;      /* device id of the bridged agent */
    uint32_t attempts;
    int64_t expiry;      /* opaque (suggested: wall-clock seconds) */
    int64_t created_at;  /* wall seconds */
    const char *msg_id;  /* borrowed like payload */
    const void *payload;
    size_t payload_len;
};

typedef int (*pdb_outbox_cb)(void *user, const struct pdb_outbox_entry *e);

/* Appends a notification awaiting NotifyResp (msg_id and payload borrowed,
 * copied).  UB_EFULL past outbox_max for the agent, UB_ETOOBIG, UB_EINVAL
 * for an empty msg_id, UB_ENOTFOUND for an unknown agent. */
int pdb_outbox_push(struct pdb_batch *b, uint32_t agent, const char *msg_id,
                    const void *payload, size_t payload_len, int64_t expiry,
                    uint64_t *seq) UB_WARN_UNUSED;
int pdb_outbox_list(struct pdb_rtxn *r, uint32_t agent, pdb_outbox_cb cb,
                    void *user) UB_WARN_UNUSED;
/* Deletes the entry with this msg_id (NotifyResp received).  UB_ENOTFOUND
 * if none. */
int pdb_outbox_ack(struct pdb_batch *b, uint32_t agent, const char *msg_id)
    UB_WARN_UNUSED;
/* Counts one more send attempt. */
int pdb_outbox_attempt(struct pdb_batch *b, uint32_t agent, uint64_t seq)
    UB_WARN_UNUSED;
int pdb_outbox_del(struct pdb_batch *b, uint32_t agent, uint64_t seq)
    UB_WARN_UNUSED;
/* Deletes every entry of every agent with expiry <= now (cb may be NULL). */
int pdb_outbox_expire(struct pdb_batch *b, int64_t now, pdb_outbox_cb cb,
                      void *user, size_t *count) UB_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

struct pdb_db_stat {
    const char *name;       /* static string */
    uint64_t entries;
    uint32_t depth;
    uint64_t branch_pages;
    uint64_t leaf_pages;
    uint64_t overflow_pages;
};

#define PDB_STAT_DBS 8

struct pdb_stats {
    uint64_t devices;
    uint64_t params;
    uint64_t agent_rows;
    uint64_t queue_entries;
    uint64_t outbox_entries;
    uint64_t map_size;      /* bytes mapped */
    uint64_t map_used;      /* bytes up to the last used page */
    uint64_t map_max;       /* configured growth limit */
    uint32_t page_size;
    uint32_t max_readers;
    uint32_t num_readers;
    uint32_t schema_version;
    struct pdb_db_stat db[PDB_STAT_DBS];
};

/* Fills *out through r's snapshot. */
int pdb_stats_get(struct pdb_rtxn *r, struct pdb_stats *out) UB_WARN_UNUSED;

/* Human name of a sync state ("none", "in-progress", "synced"). */
const char *pdb_sync_state_name(enum pdb_sync_state s);

#ifdef __cplusplus
}
#endif
#endif /* UB_PDB_H */
