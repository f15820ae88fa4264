/*
 * proxy-db internals shared between the files of proxy-db/src (and the
 * white-box tests and the fuzz target).  Not API.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#ifndef UB_PDB_INT_H
#define UB_PDB_INT_H

#include <lmdb.h>

#include "ub/pdb.h"

#define PDB_MOD "pdb"

/* Named databases.  Order matters: it is the order of pdb_stats.db[]. */
enum pdb__db {
    PDB__DB_META = 0,
    PDB__DB_DEVICES,
    PDB__DB_DEV_EP,   /* endpoint id -> u32 BE device id */
    PDB__DB_DEV_CWMP, /* CWMP DeviceId -> u32 BE device id */
    PDB__DB_PARAMS,
    PDB__DB_AGENT,
    PDB__DB_QUEUE,
    PDB__DB_OUTBOX,
    PDB__DB_COUNT
};

extern const char *const pdb__db_names[PDB__DB_COUNT];

struct pdb_env {
    MDB_env *env;
    MDB_dbi db[PDB__DB_COUNT];
    struct pdb_config cfg;
    bool batch_open;
    unsigned rtxn_open;
    uint32_t schema;
};

struct pdb_rtxn {
    struct pdb_env *env;
    MDB_txn *txn;
    struct pdb_batch *batch; /* non-NULL for a batch's reader */
};

/* The batch caches one device record (the one its writes touch) so that
 * param_count and sync fields are written once per batch, at flush. */
struct pdb_batch {
    struct pdb_rtxn r;
    int err; /* sticky */
    bool dev_loaded;
    bool dev_dirty;
    struct pdb_device dev; /* owned copy */
};

/* ---- keys (key.c) ---- */

#define PDB__KEY_MAX 511 /* LMDB's default max key size */
#define PDB__TAG_PARAM 0x01 /* last segment of a parameter path: name\0 */
#define PDB__TAG_NAME 0x02  /* object name segment: name\0 */
#define PDB__TAG_INST 0x03  /* instance number: u32 BE */
/* Decoded paths are at most this long (an instance segment is 5 key bytes
 * but up to 11 path bytes). */
#define PDB__PATH_BUF 1200

void pdb__be32_put(uint8_t *p, uint32_t v);
uint32_t pdb__be32_get(const uint8_t *p);
void pdb__be64_put(uint8_t *p, uint64_t v);
uint64_t pdb__be64_get(const uint8_t *p);

/* Encodes dev + path into key (PDB__KEY_MAX bytes).  path NULL or "" gives
 * the 4-byte device prefix.  UB_EINVAL for a malformed path, UB_ETOOBIG if
 * the key would exceed PDB__KEY_MAX. */
int pdb__key_encode(uint32_t dev, const char *path, uint8_t *key,
                    size_t *keylen) UB_WARN_UNUSED;
/* Decodes a key into dev + path (out, size outsz, NUL-terminated).
 * UB_ECORRUPT if malformed. */
int pdb__key_decode(const uint8_t *key, size_t keylen, uint32_t *dev,
                    char *out, size_t outsz) UB_WARN_UNUSED;
/* Byte offsets where each segment of an encoded key starts (after the 4
 * device bytes), returns count or -1 if malformed; ends[i] = end offset. */
int pdb__key_segments(const uint8_t *key, size_t keylen, size_t *starts,
                      size_t *ends, size_t max);
/* The smallest key greater than every key that has 'prefix' as prefix,
 * written to out (same buffer allowed).  Returns new length, 0 if none. */
size_t pdb__key_successor(const uint8_t *prefix, size_t len, uint8_t *out);

/* ---- records (record.c) ---- */

#define PDB__REC_VERSION 1

uint32_t pdb__crc32(const void *p, size_t n);

/* A decoded params/agent row (strings borrowed from the record buffer). */
struct pdb__prow {
    enum ub_type type;
    bool writable;
    uint8_t notification;
    uint32_t gen;
    int64_t updated_at;
    const char *type_name; /* NULL if none */
    const char *value;     /* NULL for objects */
};

int pdb__prow_encode(const struct pdb__prow *row, struct ub_buf *out)
    UB_WARN_UNUSED;
int pdb__prow_decode(const void *buf, size_t len, struct pdb__prow *out)
    UB_WARN_UNUSED;

/* Offsets of the char * fields of struct pdb_device, in record order. */
extern const size_t pdb__dev_str_off[];
extern const size_t pdb__dev_str_count;
#define PDB__DEV_STR(d, i) (*(char **)(void *)((char *)(d) + pdb__dev_str_off[i]))

/* Device record: strings in *out are borrowed from buf. */
int pdb__dev_encode(const struct pdb_device *d, struct ub_buf *out)
    UB_WARN_UNUSED;
int pdb__dev_decode(const void *buf, size_t len, struct pdb_device *out)
    UB_WARN_UNUSED;

struct pdb__qrec {
    uint32_t state;
    int64_t deadline;
    int64_t created_at;
    const void *payload;
    size_t payload_len;
};
int pdb__qrec_encode(const struct pdb__qrec *q, struct ub_buf *out)
    UB_WARN_UNUSED;
int pdb__qrec_decode(const void *buf, size_t len, struct pdb__qrec *out)
    UB_WARN_UNUSED;

struct pdb__orec {
    uint32_t attempts;
    int64_t expiry;
    int64_t created_at;
    const char *msg_id;
    const void *payload;
    size_t payload_len;
};
int pdb__orec_encode(const struct pdb__orec *o, struct ub_buf *out)
    UB_WARN_UNUSED;
int pdb__orec_decode(const void *buf, size_t len, struct pdb__orec *out)
    UB_WARN_UNUSED;

/* ---- env.c helpers ---- */

/* Converts an LMDB return code into ub_err, logging 'what' on error. */
int pdb__mdb_err(int rc, const char *what);
/* Batch sticky-error helpers: returns b->err if set. */
int pdb__batch_check(struct pdb_batch *b);
/* Records a storage error as sticky (EDB/EFULL/ECORRUPT/ENOMEM), returns it. */
int pdb__batch_fail(struct pdb_batch *b, int err);
/* Flushes the cached device record into the txn (no-op if clean). */
int pdb__batch_flush_dev(struct pdb_batch *b) UB_WARN_UNUSED;
/* Loads device 'dev' into the batch cache (flushing another one first).
 * UB_ENOTFOUND if not registered. */
int pdb__batch_load_dev(struct pdb_batch *b, uint32_t dev) UB_WARN_UNUSED;
/* Before reading the registry through r: flush a batch's cached device. */
int pdb__rtxn_prepare(struct pdb_rtxn *r) UB_WARN_UNUSED;
/* Next value of a u64 counter in meta (queue/outbox sequence). */
int pdb__meta_next(struct pdb_batch *b, const char *name, uint64_t *out)
    UB_WARN_UNUSED;
/* Deletes every key of db starting with prefix[0..len).  count may be NULL. */
int pdb__del_prefix(struct pdb_batch *b, MDB_dbi dbi, const uint8_t *prefix,
                    size_t len, size_t *count) UB_WARN_UNUSED;
/* Deep copy of a (borrowed) device record into owned strings. */
int pdb__dev_copy(const struct pdb_device *src, struct pdb_device *dst)
    UB_WARN_UNUSED;

#endif /* UB_PDB_INT_H */
