/*
 * libFuzzer target: the durable request-queue payload of uspbridged
 * (bridge/src/payload.c), as read back from the store.  Whatever decodes
 * must re-encode and decode to the same fields.
 */
#include "bridge.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bridge_reply_to rt, rt2;
    const uint8_t *msg, *msg2;
    size_t msg_len, msg2_len;
    struct ub_buf out;

    if (size > 1 << 16)
        return 0;
    if (bridge_job_payload_decode(data, size, &rt, &msg, &msg_len) != UB_OK)
        return 0;
    if (bridge_job_payload_encode(&rt, msg, msg_len, &out) != UB_OK) {
        ub_buf_free(&out);
        return 0; /* an oversized message: refused on the way back, fine */
    }
    if (bridge_job_payload_decode(out.data, out.len, &rt2, &msg2, &msg2_len) !=
            UB_OK ||
        rt.mtp != rt2.mtp || rt.broker_id != rt2.broker_id ||
        rt.ws_conn != rt2.ws_conn || strcmp(rt.controller, rt2.controller) ||
        strcmp(rt.agent, rt2.agent) || strcmp(rt.topic, rt2.topic) ||
        msg_len != msg2_len || memcmp(msg, msg2, msg_len) != 0)
        abort();
    ub_buf_free(&out);
    return 0;
}
