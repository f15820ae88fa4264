/*
 * proxy-db value records: encoding and checked decoding.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Every stored value is a compact, versioned record:
 *
 *   u8 version (PDB__REC_VERSION) | fields ... | u32 LE CRC-32 (zlib)
 *
 * The CRC covers every byte before it.  Integers are LEB128 varints
 * (signed ones zigzag-encoded), strings are varint(len + 1) (0 = NULL),
 * the bytes, then a NUL, so that readers can hand out pointers into the
 * LMDB map without copying.  Payloads are varint(len) + bytes.
 *
 * Decoding trusts nothing: the CRC is checked first, then the version
 * (newer -> UB_EVERSION), then each field against the remaining length; a
 * record must be consumed exactly.  Any mismatch is UB_ECORRUPT.  This is
 * the surface fuzzed by tests/fuzz/fuzz_pdb_value.c.
 *
 * Field layouts (v1):
 *  param row: u8 ver, u8 type, u8 flags (1 writable, 2 value, 4 type_name),
 *             u8 notification, varint gen, zigzag updated_at,
 *             [string type_name], [string value], crc
 *  device:    u8 ver, u8 sync_state, varint flags, varint sync_gen,
 *             varint param_count, zigzag created_at, zigzag last_inform,
 *             15 strings (pdb__dev_str_off order), crc
 *  queue:     u8 ver, varint state, zigzag deadline, zigzag created_at,
 *             payload, crc
 *  outbox:    u8 ver, varint attempts, zigzag expiry, zigzag created_at,
 *             string msg_id, payload, crc
 */
#include <stddef.h>
#include <string.h>
#include <zlib.h>

#include "pdb_int.h"

#define REC_MAX ((size_t)64 * 1024 * 1024)

#define PF_WRITABLE 0x01u
#define PF_VALUE 0x02u
#define PF_TYPENAME 0x04u

const size_t pdb__dev_str_off[] = {
    offsetof(struct pdb_device, endpoint_id),
    offsetof(struct pdb_device, cwmp_device_id),
    offsetof(struct pdb_device, oui),
    offsetof(struct pdb_device, product_class),
    offsetof(struct pdb_device, serial),
    offsetof(struct pdb_device, manufacturer),
    offsetof(struct pdb_device, conn_req_url),
    offsetof(struct pdb_device, conn_req_username),
    offsetof(struct pdb_device, conn_req_password),
    offsetof(struct pdb_device, software_version),
    offsetof(struct pdb_device, hardware_version),
    offsetof(struct pdb_device, cwmp_version),
    offsetof(struct pdb_device, rpc_methods),
    offsetof(struct pdb_device, root),
    offsetof(struct pdb_device, sync_cursor),
};
const size_t pdb__dev_str_count = UB_ARRAY_LEN(pdb__dev_str_off);

uint32_t pdb__crc32(const void *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const Bytef *b = p;

    while (n > 0) {
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, b, chunk);
        b += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

/* ---- writer ---- */

static int put_u8(struct ub_buf *o, uint8_t v)
{
    return ub_buf_append(o, &v, 1);
}

static int put_varint(struct ub_buf *o, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        tmp[n++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
    return ub_buf_append(o, tmp, n);
}

static int put_zigzag(struct ub_buf *o, int64_t v)
{
    return put_varint(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static int put_str(struct ub_buf *o, const char *s)
{
    int err;
    size_t n;

    if (!s)
        return put_varint(o, 0);
    n = strlen(s);
    err = put_varint(o, (uint64_t)n + 1);
    if (!err)
        err = ub_buf_append(o, s, n + 1);
    return err;
}

static int put_bytes(struct ub_buf *o, const void *p, size_t n)
{
    int err = put_varint(o, n);
    if (!err && n)
        err = ub_buf_append(o, p, n);
    return err;
}

static int put_crc(struct ub_buf *o)
{
    uint32_t c = pdb__crc32(o->data, o->len);
    uint8_t b[4] = {(uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16),
                    (uint8_t)(c >> 24)};
    return ub_buf_append(o, b, 4);
}

/* ---- reader ---- */

struct rd {
    const uint8_t *p;
    size_t n; /* bytes before the CRC */
    size_t off;
    bool bad;
};

static uint8_t get_u8(struct rd *r)
{
    if (r->bad || r->off >= r->n) {
        r->bad = true;
        return 0;
    }
    return r->p[r->off++];
}

static uint64_t get_varint(struct rd *r)
{
    uint64_t v = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t c = get_u8(r);
        if (r->bad)
            return 0;
        // Exit if the 10th byte carries more than the top bit
        if (shift == 63 && (c & 0x7e)) {
            r->bad = true;
            return 0;
        }
        // Exit if overlong (a trailing zero group): encodings are canonical
        if (c == 0 && shift > 0) {
            r->bad = true;
            return 0;
        }
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static uint32_t get_u32v(struct rd *r)
{
    uint64_t v = get_varint(r);
    if (v > UINT32_MAX)
        r->bad = true;
    return (uint32_t)v;
}

static int64_t get_zigzag(struct rd *r)
{
    uint64_t v = get_varint(r);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static const char *get_str(struct rd *r)
{
    uint64_t n = get_varint(r);
    const char *s;

    if (r->bad || n == 0)
        return NULL;
    // Exit if the string overruns the record or is not NUL-terminated
    if (n > r->n - r->off || r->p[r->off + n - 1] != 0 ||
        memchr(r->p + r->off, 0, (size_t)n - 1) != NULL) {
        r->bad = true;
        return NULL;
    }
    s = (const char *)(r->p + r->off);
    r->off += (size_t)n;
    return s;
}

static const void *get_bytes(struct rd *r, size_t *len)
{
    uint64_t n = get_varint(r);
    const void *p;

    *len = 0;
    if (r->bad)
        return NULL;
    if (n > r->n - r->off) {
        r->bad = true;
        return NULL;
    }
    p = r->p + r->off;
    r->off += (size_t)n;
    *len = (size_t)n;
    return n ? p : NULL;
}

/* Checks CRC and version; sets up r past the version byte. */
static int rd_open(struct rd *r, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    uint32_t want;

    memset(r, 0, sizeof(*r));
    // Exit if too short to hold version + CRC
    if (!buf || len < 5)
        return UB_ECORRUPT;
    want = (uint32_t)b[len - 4] | ((uint32_t)b[len - 3] << 8) |
           ((uint32_t)b[len - 2] << 16) | ((uint32_t)b[len - 1] << 24);
    if (pdb__crc32(b, len - 4) != want)
        return UB_ECORRUPT;
    if (b[0] > PDB__REC_VERSION)
        return UB_EVERSION;
    if (b[0] != PDB__REC_VERSION)
        return UB_ECORRUPT;
    r->p = b;
    r->n = len - 4;
    r->off = 1;
    return UB_OK;
}

static int rd_close(struct rd *r)
{
    return (r->bad || r->off != r->n) ? UB_ECORRUPT : UB_OK;
}

/* ---- params rows ---- */

int pdb__prow_encode(const struct pdb__prow *row, struct ub_buf *out)
{
    unsigned flags = 0;
    int err;

    ub_buf_init(out, REC_MAX);
    if ((unsigned)row->type >= UB_T_MAX_)
        return UB_EINVAL;
    if (row->writable)
        flags |= PF_WRITABLE;
    if (row->value)
        flags |= PF_VALUE;
    if (row->type_name)
        flags |= PF_TYPENAME;
    err = put_u8(out, PDB__REC_VERSION);
    if (!err)
        err = put_u8(out, (uint8_t)row->type);
    if (!err)
        err = put_u8(out, (uint8_t)flags);
    if (!err)
        err = put_u8(out, row->notification);
    if (!err)
        err = put_varint(out, row->gen);
    if (!err)
        err = put_zigzag(out, row->updated_at);
    if (!err && row->type_name)
        err = put_str(out, row->type_name);
    if (!err && row->value)
        err = put_str(out, row->value);
    if (!err)
        err = put_crc(out);
    return err;
}

int pdb__prow_decode(const void *buf, size_t len, struct pdb__prow *out)
{
    struct pdb__prow row;
    struct rd r;
    unsigned flags;
    uint8_t type;
    int err;

    err = rd_open(&r, buf, len);
    if (err)
        return err;
    memset(&row, 0, sizeof(row));
    type = get_u8(&r);
    flags = get_u8(&r);
    row.notification = get_u8(&r);
    row.gen = get_u32v(&r);
    row.updated_at = get_zigzag(&r);
    if (type >= UB_T_MAX_ || (flags & ~(PF_WRITABLE | PF_VALUE | PF_TYPENAME)))
        return UB_ECORRUPT;
    row.type = (enum ub_type)type;
    row.writable = (flags & PF_WRITABLE) != 0;
    if (flags & PF_TYPENAME) {
        row.type_name = get_str(&r);
        if (!row.type_name)
            return UB_ECORRUPT;
    }
    if (flags & PF_VALUE) {
        row.value = get_str(&r);
        if (!row.value)
            return UB_ECORRUPT;
    }
    err = rd_close(&r);
    if (err)
        return err;
    *out = row;
    return UB_OK;
}

/* ---- device records ---- */

int pdb__dev_encode(const struct pdb_device *d, struct ub_buf *out)
{
    int err;

    ub_buf_init(out, REC_MAX);
    err = put_u8(out, PDB__REC_VERSION);
    if (!err)
        err = put_u8(out, (uint8_t)d->sync_state);
    if (!err)
        err = put_varint(out, d->flags);
    if (!err)
        err = put_varint(out, d->sync_gen);
    if (!err)
        err = put_varint(out, d->param_count);
    if (!err)
        err = put_zigzag(out, d->created_at);
    if (!err)
        err = put_zigzag(out, d->last_inform);
    for (size_t i = 0; !err && i < pdb__dev_str_count; i++)
        err = put_str(out, PDB__DEV_STR(d, i));
    if (!err)
        err = put_crc(out);
    return err;
}

int pdb__dev_decode(const void *buf, size_t len, struct pdb_device *out)
{
    struct pdb_device d;
    struct rd r;
    uint8_t st;
    int err;

    err = rd_open(&r, buf, len);
    if (err)
        return err;
    memset(&d, 0, sizeof(d));
    st = get_u8(&r);
    d.flags = get_u32v(&r);
    d.sync_gen = get_u32v(&r);
    d.param_count = get_u32v(&r);
    d.created_at = get_zigzag(&r);
    d.last_inform = get_zigzag(&r);
    for (size_t i = 0; i < pdb__dev_str_count; i++)
        PDB__DEV_STR(&d, i) = (char *)(uintptr_t)get_str(&r);
    if (st > PDB_SYNC_SYNCED)
        return UB_ECORRUPT;
    d.sync_state = (enum pdb_sync_state)st;
    err = rd_close(&r);
    if (err)
        return err;
    *out = d;
    return UB_OK;
}

int pdb__dev_copy(const struct pdb_device *src, struct pdb_device *dst)
{
    struct pdb_device d = *src;

    for (size_t i = 0; i < pdb__dev_str_count; i++)
        PDB__DEV_STR(&d, i) = NULL;
    for (size_t i = 0; i < pdb__dev_str_count; i++) {
        const char *s = PDB__DEV_STR(src, i);
        if (!s)
            continue;
        PDB__DEV_STR(&d, i) = ub_strdup(s);
        if (!PDB__DEV_STR(&d, i)) {
            pdb_device_clear(&d);
            return UB_ENOMEM;
        }
    }
    *dst = d;
    return UB_OK;
}

void pdb_device_clear(struct pdb_device *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < pdb__dev_str_count; i++)
        ub_free(PDB__DEV_STR(d, i));
    memset(d, 0, sizeof(*d));
}

/* ---- queue / outbox ---- */

int pdb__qrec_encode(const struct pdb__qrec *q, struct ub_buf *out)
{
    int err;

    ub_buf_init(out, REC_MAX);
    err = put_u8(out, PDB__REC_VERSION);
    if (!err)
        err = put_varint(out, q->state);
    if (!err)
        err = put_zigzag(out, q->deadline);
    if (!err)
        err = put_zigzag(out, q->created_at);
    if (!err)
        err = put_bytes(out, q->payload, q->payload_len);
    if (!err)
        err = put_crc(out);
    return err;
}

int pdb__qrec_decode(const void *buf, size_t len, struct pdb__qrec *out)
{
    struct pdb__qrec q;
    struct rd r;
    int err;

    err = rd_open(&r, buf, len);
    if (err)
        return err;
    q.state = get_u32v(&r);
    q.deadline = get_zigzag(&r);
    q.created_at = get_zigzag(&r);
    q.payload = get_bytes(&r, &q.payload_len);
    err = rd_close(&r);
    if (err)
        return err;
    *out = q;
    return UB_OK;
}

int pdb__orec_encode(const struct pdb__orec *o, struct ub_buf *out)
{
    int err;

    ub_buf_init(out, REC_MAX);
    err = put_u8(out, PDB__REC_VERSION);
    if (!err)
        err = put_varint(out, o->attempts);
    if (!err)
        err = put_zigzag(out, o->expiry);
    if (!err)
        err = put_zigzag(out, o->created_at);
    if (!err)
        err = put_str(out, o->msg_id);
    if (!err)
        err = put_bytes(out, o->payload, o->payload_len);
    if (!err)
        err = put_crc(out);
    return err;
}

int pdb__orec_decode(const void *buf, size_t len, struct pdb__orec *out)
{
    struct pdb__orec o;
    struct rd r;
    int err;

    err = rd_open(&r, buf, len);
    if (err)
        return err;
    o.attempts = get_u32v(&r);
    o.expiry = get_zigzag(&r);
    o.created_at = get_zigzag(&r);
    o.msg_id = get_str(&r);
    o.payload = get_bytes(&r, &o.payload_len);
    err = rd_close(&r);
    if (err)
        return err;
    if (!o.msg_id)
        return UB_ECORRUPT;
    *out = o;
    return UB_OK;
}
