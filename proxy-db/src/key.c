/*
 * proxy-db key encoding.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * A params/agent key is the device id (u32 big-endian, so one device's rows
 * are contiguous and devices sort by id) followed by the path, one encoded
 * segment per dot-separated segment:
 *
 *   0x01 name 0x00   last segment of a parameter path ("...Enable")
 *   0x02 name 0x00   object name segment ("WiFi." in any position)
 *   0x03 u32 BE      instance number ("2.")
 *
 * so that bytewise key order is data-model order:
 *  - a parent object's key is a strict prefix of its descendants' keys, so
 *    it sorts first and a subtree is one contiguous prefix range;
 *  - the 0x00 terminator sorts before any name byte: "Host\0" < "HostX\0",
 *    and "Host." (prefix 02 Host 00) never captures "HostNumberOfEntries";
 *  - inside one object: its parameters (0x01) come first, by name bytewise,
 *    then child objects (0x02) by name bytewise, then instances (0x03)
 *    numerically (big-endian u32: 2 before 10).  The device's own order of
 *    names is not known to the bridge, so names are ordered bytewise.
 *  - the key alone tells an object from a parameter (last tag), so a path
 *    can be rebuilt from the key without reading the value.
 *
 * Segments made of digits without a leading zero that fit in u32 (1..2^32-1)
 * are instances; any other segment is a name.  Names may hold any byte from
 * 0x21 up except '.' and 0x7f (lenient: real devices send odd vendor names).
 * The key is limited to LMDB's 511 bytes: longer paths get UB_ETOOBIG (no
 * hashed fallback: it would break ordering and prefix scans).
 */
#include <stdio.h>
#include <string.h>

#include "pdb_int.h"

void pdb__be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t pdb__be32_get(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

void pdb__be64_put(uint8_t *p, uint64_t v)
{
    pdb__be32_put(p, (uint32_t)(v >> 32));
    pdb__be32_put(p + 4, (uint32_t)v);
}

uint64_t pdb__be64_get(const uint8_t *p)
{
    return ((uint64_t)pdb__be32_get(p) << 32) | pdb__be32_get(p + 4);
}

static bool name_byte_ok(uint8_t c)
{
    return c > 0x20 && c != '.' && c != 0x7f;
}

/* Instance number: digits, no leading zero, 1..UINT32_MAX. */
static bool seg_instance(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 10 || s[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

int pdb__key_encode(uint32_t dev, const char *path, uint8_t *key,
                    size_t *keylen)
{
    size_t len = 4, plen;
    const char *s, *end;
    bool is_obj;

    pdb__be32_put(key, dev);
    if (!path || !*path) {
        *keylen = len;
        return UB_OK;
    }
    plen = strlen(path);
    if (plen > UB_PATH_MAX)
        return UB_ETOOBIG;
    is_obj = path[plen - 1] == '.';
    end = path + (is_obj ? plen - 1 : plen);
    s = path;
    for (;;) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        const char *segend = dot ? dot : end;
        size_t n = (size_t)(segend - s);
        bool last = dot == NULL;
        uint32_t inst;

        // Exit if an empty segment ("a..b", ".a", "." alone)
        if (n == 0)
            return UB_EINVAL;
        if (last && !is_obj) {
            if (len + n + 2 > PDB__KEY_MAX)
                return UB_ETOOBIG;
            key[len++] = PDB__TAG_PARAM;
        } else if (seg_instance(s, n, &inst)) {
            if (len + 5 > PDB__KEY_MAX)
                return UB_ETOOBIG;
            key[len++] = PDB__TAG_INST;
            pdb__be32_put(key + len, inst);
            len += 4;
            goto next;
        } else {
            if (len + n + 2 > PDB__KEY_MAX)
                return UB_ETOOBIG;
            key[len++] = PDB__TAG_NAME;
        }
        for (size_t i = 0; i < n; i++) {
            if (!name_byte_ok((uint8_t)s[i]))
                return UB_EINVAL;
            key[len++] = (uint8_t)s[i];
        }
        key[len++] = 0;
    next:
        if (last)
            break;
        s = dot + 1;
    }
    *keylen = len;
    return UB_OK;
}

int pdb__key_segments(const uint8_t *key, size_t keylen, size_t *starts,
                      size_t *ends, size_t max)
{
    size_t off = 4;
    int n = 0;

    if (keylen < 4)
        return -1;
    while (off < keylen) {
        size_t st = off;
        uint8_t tag = key[off++];

        if ((size_t)n >= max)
            return -1;
        if (tag == PDB__TAG_INST) {
            if (keylen - off < 4 || pdb__be32_get(key + off) == 0)
                return -1;
            off += 4;
        } else if (tag == PDB__TAG_NAME || tag == PDB__TAG_PARAM) {
            const uint8_t *z = memchr(key + off, 0, keylen - off);
            if (!z || z == key + off)
                return -1;
            for (const uint8_t *c = key + off; c < z; c++)
                if (!name_byte_ok(*c))
                    return -1;
            uint32_t inst;
            // Exit if an object name would have been encoded as instance
            if (tag == PDB__TAG_NAME &&
                seg_instance((const char *)key + off, (size_t)(z - key - off),
                             &inst))
                return -1;
            off = (size_t)(z - key) + 1;
            // Exit if a parameter segment is not the last one
            if (tag == PDB__TAG_PARAM && off != keylen)
                return -1;
        } else {
            return -1;
        }
        starts[n] = st;
        ends[n] = off;
        n++;
    }
    return n;
}

int pdb__key_decode(const uint8_t *key, size_t keylen, uint32_t *dev,
                    char *out, size_t outsz)
{
    size_t starts[PDB__KEY_MAX / 2], ends[PDB__KEY_MAX / 2];
    size_t o = 0;
    int n;

    n = pdb__key_segments(key, keylen, starts, ends, UB_ARRAY_LEN(starts));
    if (n < 0 || outsz == 0)
        return UB_ECORRUPT;
    for (int i = 0; i < n; i++) {
        const uint8_t *seg = key + starts[i];
        if (seg[0] == PDB__TAG_INST) {
            char num[16];
            int k = snprintf(num, sizeof(num), "%u.",
                             (unsigned)pdb__be32_get(seg + 1));
            if (k < 0 || o + (size_t)k >= outsz)
                return UB_ECORRUPT;
            memcpy(out + o, num, (size_t)k);
            o += (size_t)k;
        } else {
            size_t nlen = ends[i] - starts[i] - 2;
            if (o + nlen + 1 >= outsz)
                return UB_ECORRUPT;
            memcpy(out + o, seg + 1, nlen);
            o += nlen;
            if (seg[0] == PDB__TAG_NAME)
                out[o++] = '.';
        }
    }
    out[o] = 0;
    *dev = pdb__be32_get(key);
    return UB_OK;
}

size_t pdb__key_successor(const uint8_t *prefix, size_t len, uint8_t *out)
{
    if (out != prefix)
        memmove(out, prefix, len);
    while (len > 0) {
        if (out[len - 1] != 0xff) {
            out[len - 1]++;
            return len;
        }
        len--;
    }
    return 0;
}
