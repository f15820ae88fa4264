/*
 * libFuzzer target: decoding of proxy-db stored values and keys.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * The first input byte selects the decoder (mod 5): param/agent row,
 * device record, queue entry, outbox entry, params key.  The rest is the
 * stored bytes, as read back from LMDB (possibly corrupt).  With the top
 * bit of the first byte set, the harness fixes up the record's CRC before
 * decoding, so that the fuzzer reaches the field parsers behind it.  Whatever
 * decodes must re-encode to the very same bytes (the codecs are
 * canonical), and every pointer the decoder hands out must stay inside
 * the input.  Inputs are capped at 64 KiB.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proxy-db/src/pdb_int.h"

#define MAX_INPUT 65536

static void inside(const void *p, size_t n, const uint8_t *buf, size_t len)
{
    if (!p)
        return;
    if ((const uint8_t *)p < buf || (const uint8_t *)p + n > buf + len)
        abort();
}

static void same(const struct ub_buf *b, const uint8_t *buf, size_t len)
{
    if (b->len != len || memcmp(b->data, buf, len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t fixed[MAX_INPUT];
    const uint8_t *buf;
    struct ub_buf out;
    size_t len;

    if (size < 1 || size > MAX_INPUT)
        return 0;
    buf = data + 1;
    len = size - 1;
    if ((data[0] & 0x80) && len >= 5) {
        uint32_t c;
        memcpy(fixed, buf, len);
        c = pdb__crc32(fixed, len - 4);
        fixed[len - 4] = (uint8_t)c;
        fixed[len - 3] = (uint8_t)(c >> 8);
        fixed[len - 2] = (uint8_t)(c >> 16);
        fixed[len - 1] = (uint8_t)(c >> 24);
        buf = fixed;
    }
    ub_buf_init(&out, 0);
    switch (data[0] % 5) {
    case 0: {
        struct pdb__prow row;
        if (pdb__prow_decode(buf, len, &row) == UB_OK) {
            if (row.value)
                inside(row.value, strlen(row.value) + 1, buf, len);
            if (row.type_name)
                inside(row.type_name, strlen(row.type_name) + 1, buf, len);
            if (pdb__prow_encode(&row, &out) != UB_OK)
                abort();
            same(&out, buf, len);
        }
        break;
    }
    case 1: {
        struct pdb_device d;
        if (pdb__dev_decode(buf, len, &d) == UB_OK) {
            for (size_t i = 0; i < pdb__dev_str_count; i++) {
                const char *s = PDB__DEV_STR(&d, i);
                if (s)
                    inside(s, strlen(s) + 1, buf, len);
            }
            if (pdb__dev_encode(&d, &out) != UB_OK)
                abort();
            same(&out, buf, len);
        }
        break;
    }
    case 2: {
        struct pdb__qrec q;
        if (pdb__qrec_decode(buf, len, &q) == UB_OK) {
            inside(q.payload, q.payload_len, buf, len);
            if (pdb__qrec_encode(&q, &out) != UB_OK)
                abort();
            same(&out, buf, len);
        }
        break;
    }
    case 3: {
        struct pdb__orec o;
        if (pdb__orec_decode(buf, len, &o) == UB_OK) {
            inside(o.msg_id, strlen(o.msg_id) + 1, buf, len);
            inside(o.payload, o.payload_len, buf, len);
            if (pdb__orec_encode(&o, &out) != UB_OK)
                abort();
            same(&out, buf, len);
        }
        break;
    }
    default: {
        char path[PDB__PATH_BUF];
        uint8_t key[PDB__KEY_MAX];
        size_t klen;
        uint32_t dev;
        if (len <= PDB__KEY_MAX &&
            pdb__key_decode(buf, len, &dev, path, sizeof(path)) == UB_OK) {
            int err = pdb__key_encode(dev, path, key, &klen);
            /* A long key of many instances can decode to more than
             * UB_PATH_MAX characters: the only allowed refusal. */
            if (err == UB_ETOOBIG && strlen(path) > UB_PATH_MAX)
                break;
            if (err != UB_OK || klen != len || memcmp(key, buf, len) != 0)
                abort();
        }
        break;
    }
    }
    ub_buf_free(&out);
    return 0;
}
