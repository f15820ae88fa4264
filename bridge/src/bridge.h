/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Internals of the uspbridged daemon (no public header: bridge/ composes
 * the modules and is composed by nothing). */
#ifndef UB_BRIDGE_H
#define UB_BRIDGE_H

#include "config.h"

#include <ub/base.h>
#include <ub/cwmp.h>
#include <uv.h>

struct bridge {
    uv_loop_t *loop;
    struct bridge_config *cfg;
    struct cwmp_server *cwmp;
    uv_signal_t sig_term, sig_int, sig_hup;
    bool stopping;
    int exit_code;
};

/* Lifecycle, called from main in this order (stop/destroy reversed). */
int bridge_init(struct bridge *b, uv_loop_t *loop, struct bridge_config *cfg)
    UB_WARN_UNUSED;
int bridge_start(struct bridge *b) UB_WARN_UNUSED;
/* Asynchronous: closes sessions and handles; the loop ends when done. */
void bridge_stop(struct bridge *b);
void bridge_destroy(struct bridge *b);

#endif
