/*
 * libFuzzer target: USP Record decode -> validate -> Msg decode.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Every decoded message is also printed (text format) and re-encoded, and
 * every refused record goes through the Error-reply builder, so the whole
 * receive path of a USP agent is exercised with hostile bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include <ub/usp.h>

#define MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct usp_record_limits lim = {.max_record = MAX_INPUT};
    struct usp_record_diag diag;
    struct usp_record *rec = NULL;
    struct usp_msg *msg = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;

    if (size > MAX_INPUT)
        return 0;
    if (usp_record_decode(data, size, &lim, &rec, &diag) != UB_OK) {
        if (usp_record_error_build(&diag, diag.to_id, &out, &out_len) ==
            UB_OK)
            ub_free(out);
        return 0;
    }
    {
        struct ub_buf b;
        ub_buf_init(&b, 1 << 20);
        if (usp_record_print(rec, &b) == UB_OK)
            ub_buf_free(&b);
    }
    if (rec->kind == USP_REC_NO_SESSION &&
        usp_msg_decode(rec->payload, rec->payload_len, &msg) == UB_OK) {
        struct ub_buf b;
        ub_buf_init(&b, 1 << 20);
        if (usp_msg_print(msg, &b) == UB_OK)
            ub_buf_free(&b);
        if (usp_msg_encode(msg, 0, &out, &out_len) == UB_OK) {
            struct usp_msg *again = NULL;
            /* what we encode must decode again */
            if (usp_msg_decode(out, out_len, &again) != UB_OK)
                __builtin_trap();
            usp_msg_free(again);
            ub_free(out);
        }
        usp_msg_free(msg);
    }
    if (usp_record_encode(rec, 0, &out, &out_len) == UB_OK)
        ub_free(out);
    usp_record_free(rec);
    return 0;
}
