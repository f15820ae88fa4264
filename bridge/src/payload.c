/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * The payload of a durable request-queue entry (proxy-db stores it opaque):
 * where to send the answer and the encoded USP Msg, so that a request
 * survives kill -9 and runs (or is answered) after a restart.  Read back
 * from disk, so the decoder checks every length; it is fuzzed
 * (tests/fuzz/fuzz_bridge_payload.c).
 *
 *   "UBJ1" | mtp u8 | broker u32 | ws-conn u64 |
 *   controller, agent, topic: u16 length + bytes each | Msg bytes (rest)
 * Integers big-endian.
 */
#include "bridge.h"

#include <stddef.h>
#include <string.h>

static int put_u(struct ub_buf *o, uint64_t v, int n)
{
    uint8_t t[8];
    for (int i = 0; i < n; i++)
        t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return ub_buf_append(o, t, (size_t)n);
}

static int put_s(struct ub_buf *o, const char *s)
{
    size_t l = strlen(s);
    int err = put_u(o, l, 2);
    return err ? err : ub_buf_append(o, s, l);
}

int bridge_job_payload_encode(const struct bridge_reply_to *rt,
                              const uint8_t *msg, size_t len,
                              struct ub_buf *o)
{
    int err;

    ub_buf_init(o, 1 << 20);
    if ((err = ub_buf_append(o, "UBJ1", 4)) || (err = put_u(o, rt->mtp, 1)) ||
        (err = put_u(o, rt->broker_id, 4)) || (err = put_u(o, rt->ws_conn, 8)) ||
        (err = put_s(o, rt->controller)) || (err = put_s(o, rt->agent)) ||
        (err = put_s(o, rt->topic)) || (err = ub_buf_append(o, msg, len)))
        return err;
    return UB_OK;
}

static bool get_u(const uint8_t **p, const uint8_t *end, int n, uint64_t *v)
{
    if (end - *p < n)
        return false;
    *v = 0;
    for (int i = 0; i < n; i++)
        *v = (*v << 8) | (*p)[i];
    *p += n;
    return true;
}

static bool get_s(const uint8_t **p, const uint8_t *end, char *d, size_t dsz)
{
    uint64_t l;
    if (!get_u(p, end, 2, &l) || l >= dsz || end - *p < (ptrdiff_t)l)
        return false;
    memcpy(d, *p, l);
    d[l] = '\0';
    *p += l;
    return true;
}

int bridge_job_payload_decode(const void *payload, size_t len,
                              struct bridge_reply_to *rt, const uint8_t **msg,
                              size_t *msg_len)
{
    const uint8_t *p = payload, *end = p + len;
    uint64_t v;

    memset(rt, 0, sizeof(*rt));
    if (len < 4 || memcmp(p, "UBJ1", 4) != 0)
        return UB_ECORRUPT;
    p += 4;
    if (!get_u(&p, end, 1, &v))
        return UB_ECORRUPT;
    if (v != BRIDGE_MTP_MQTT && v != BRIDGE_MTP_WS)
        return UB_ECORRUPT;
    rt->mtp = (enum bridge_mtp)v;
    if (!get_u(&p, end, 4, &v))
        return UB_ECORRUPT;
    rt->broker_id = (uint32_t)v;
    if (!get_u(&p, end, 8, &v))
        return UB_ECORRUPT;
    rt->ws_conn = v;
    if (!get_s(&p, end, rt->controller, sizeof(rt->controller)) ||
        !get_s(&p, end, rt->agent, sizeof(rt->agent)) ||
        !get_s(&p, end, rt->topic, sizeof(rt->topic)))
        return UB_ECORRUPT;
    *msg = p;
    *msg_len = (size_t)(end - p);
    return UB_OK;
}

