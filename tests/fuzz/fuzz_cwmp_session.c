/*
 * libFuzzer: the CWMP session state machine (cwmp/src/session.c) fed with
 * a sequence of POST bodies on one connection, without sockets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Input: POST bodies separated by the two bytes "\0\0" (an empty part is
 * an empty POST).  The application side queues one RPC per Inform and
 * after every RPC result while it has budget, so responses with right and
 * wrong cwmp:IDs are reachable.  Invariants checked: on_rpc_result exactly
 * once per queued RPC (after the server is destroyed nothing is left), no
 * leak (ASan), no crash.
 */
#include "../../cwmp/src/cwmp_int.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT 65536

static struct cwmp_server *srv;
static uint64_t queued, results;
static int budget;

static void queue_one(const char *devkey)
{
    struct cwmp_msg *m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES,
                                      CWMP_REQUEST);
    uint64_t id;

    if (!m || budget <= 0) {
        cwmp_msg_free(m);
        return;
    }
    budget--;
    if (ub_strv_add(&m->strv, "Device.") != UB_OK) {
        cwmp_msg_free(m);
        return;
    }
    if (cwmp_rpc_enqueue(srv, devkey, m, &id) == UB_OK)
        queued++;
}

static int on_inform(void *user, const char *devkey,
                     const struct cwmp_msg *inform)
{
    (void)user;
    (void)inform;
    queue_one(devkey);
    return UB_OK;
}

static void on_rpc_result(void *user, const char *devkey, uint64_t rpc_id,
                          const struct cwmp_msg *resp, int err)
{
    (void)user;
    (void)rpc_id;
    (void)resp;
    (void)err;
    results++;
    queue_one(devkey);
}

static void quiet(void *user, enum ub_log_level lvl, const char *module,
                  const char *line)
{
    (void)user;
    (void)lvl;
    (void)module;
    (void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uv_loop_t loop;
    static bool init;
    struct cwmp_server_config cfg;
    struct cwmp_callbacks cb;
    struct cwmp__conn conn;
    size_t i = 0;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    if (!init) {
        uv_loop_init(&loop);
        ub_log_set_sink(quiet, NULL);
        init = true;
    }
    cwmp_server_config_init(&cfg);
    cfg.max_body = FUZZ_MAX_INPUT;
    memset(&cb, 0, sizeof(cb));
    cb.on_inform = on_inform;
    cb.on_rpc_result = on_rpc_result;
    if (cwmp_server_create(&loop, &cfg, &cb, &srv) != UB_OK)
        return 0;
    memset(&conn, 0, sizeof(conn));
    conn.srv = srv;
    queued = results = 0;
    budget = 8;
    while (i <= size) {
        const uint8_t *sep = NULL;
        size_t n;
        struct cwmp__reply r;
        char *body;

        for (size_t k = i; k + 1 < size; k++)
            if (data[k] == 0 && data[k + 1] == 0) {
                sep = data + k;
                break;
            }
        n = sep ? (size_t)(sep - (data + i)) : size - i;
        body = malloc(n + 1);
        if (!body)
            break;
        memcpy(body, data + i, n);
        body[n] = '\0';
        memset(&r, 0, sizeof(r));
        cwmp__session_post(srv, &conn, body, n, NULL, &r);
        free(body);
        if (r.suspend)
            break; /* would wait for the application */
        i += n + 2;
        if (!sep)
            break;
    }
    /* The connection goes away, then the server. */
    if (conn.session)
        cwmp__session_end(conn.session, CWMP_END_CLOSED, UB_ECLOSED);
    {
        /* Fail what is still queued, as cwmp_server_stop would. */
        srv->stopping = true;
        cwmp__session_shutdown(srv);
    }
    if (results != queued)
        abort();
    cwmp_server_destroy(srv);
    srv = NULL;
    return 0;
}
