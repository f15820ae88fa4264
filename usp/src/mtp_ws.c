/*
 * WebSocket MTP (placeholder until the lws implementation lands).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include "mtp_int.h"

int mtp__ws_send(struct usp_mtp *m, const struct usp_mtp_dest *d,
                 const uint8_t *bytes, size_t len)
{
    return UB_ENOTSUP;
}

void mtp__ws_reap(struct usp_mtp *m) {}
