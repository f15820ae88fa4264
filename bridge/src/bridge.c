/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: the bridge owns the one libuv loop and composes the modules.  It
 * creates them in dependency order (store, CWMP endpoint, USP MTPs), wires
 * their callbacks to each other, and stops them in reverse order.  Signals
 * arrive as uv_signal watchers, so handlers run on the loop like everything
 * else: SIGTERM/SIGINT start an orderly stop, SIGHUP reopens the log.
 */
#include "bridge.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define MOD "bridge"

/* ---- CWMP callbacks ---- */

static int cb_get_credentials(void *user, const char *username, char *pw,
                              size_t pwsz)
{
    struct bridge *b = user;

    for (size_t i = 0; i < b->cfg->n_creds; i++) {
        if (strcmp(b->cfg->creds[i].username, username) == 0) {
            if (strlen(b->cfg->creds[i].password) >= pwsz)
                return UB_ETOOBIG;
            strcpy(pw, b->cfg->creds[i].password);
            return UB_OK;
        }
    }
    if (*b->cfg->cwmp_username && strcmp(b->cfg->cwmp_username, username) == 0) {
        if (strlen(b->cfg->cwmp_password) >= pwsz)
            return UB_ETOOBIG;
        strcpy(pw, b->cfg->cwmp_password);
        return UB_OK;
    }
    return UB_ENOTFOUND;
}

static int cb_on_inform(void *user, const char *devkey,
                        const struct cwmp_msg *inform)
{
    struct bridge *b = user;
    const struct cwmp_inform *in = &inform->inform;
    char events[256] = "";
    size_t o = 0;

    for (size_t i = 0; i < in->n_events && o < sizeof(events) - 1; i++) {
        int n = snprintf(events + o, sizeof(events) - o, "%s%s", i ? "," : "",
                         in->events[i].code ? in->events[i].code : "");
        if (n < 0)
            break;
        o += (size_t)n;
    }
    UB_LOGI(MOD, "Inform from %s (%s %s) events [%s], %zu parameters", devkey,
            in->device_id.manufacturer ? in->device_id.manufacturer : "?",
            in->device_id.product_class ? in->device_id.product_class : "?",
            events, in->params.n);
    b->stats.informs++;
    {
        int err = bridge_device_inform(b, devkey, inform);
        if (!err)
            bridge_req_on_inform(b, devkey);
        return err;
    }
}

static void cb_on_cpe_request(void *user, const char *devkey,
                              const struct cwmp_msg *req)
{
    (void)user;
    UB_LOGI(MOD, "%s from %s", cwmp_method_name(req->method), devkey);
}

static void cb_on_rpc_result(void *user, const char *devkey, uint64_t rpc_id,
                             const struct cwmp_msg *resp, int err)
{
    struct bridge *b = user;

    if (bridge_sync_rpc_result(b, devkey, rpc_id, resp, err) ||
        bridge_req_rpc_result(b, devkey, rpc_id, resp, err))
        return;
    UB_LOGD(MOD, "RPC %llu for %s: %s", (unsigned long long)rpc_id, devkey,
            err ? ub_strerror(err)
                : resp->kind == CWMP_FAULT ? "fault" : "ok");
}

static bool cb_on_session_idle(void *user, const char *devkey)
{
    (void)user;
    (void)devkey;
    return false;
}

static void cb_on_session_end(void *user, const char *devkey,
                              enum cwmp_end_reason why)
{
    struct bridge *b = user;

    bridge_sync_session_end(b, devkey);
    UB_LOGD(MOD, "session of %s ended (%d)", devkey, (int)why);
}

static void cb_on_cr_result(void *user, const char *devkey, int err,
                            long http_status)
{
    (void)user;
    if (err)
        UB_LOGW(MOD, "Connection Request to %s failed: %s (HTTP %ld)", devkey,
                ub_strerror(err), http_status);
}

/* ---- signals ---- */

static void on_signal(uv_signal_t *h, int signum)
{
    struct bridge *b = h->data;

    if (signum == SIGHUP) {
        if (ub_log_reopen())
            UB_LOGE(MOD, "cannot reopen the log file");
        else
            UB_LOGN(MOD, "log reopened (SIGHUP)");
        return;
    }
    UB_LOGN(MOD, "%s received: stopping",
            signum == SIGTERM ? "SIGTERM" : "SIGINT");
    bridge_stop(b);
}

static int cwmp_config(const struct bridge_config *c,
                       struct cwmp_server_config *sc)
{
    cwmp_server_config_init(sc);
    sc->bind_addr = c->cwmp_listen;
    sc->port = (uint16_t)c->cwmp_port;
    sc->path = c->cwmp_path;
    sc->tls_cert_file = *c->cwmp_tls_cert ? c->cwmp_tls_cert : NULL;
    sc->tls_key_file = *c->cwmp_tls_key ? c->cwmp_tls_key : NULL;
    sc->tls_client_ca_file =
        *c->cwmp_tls_client_ca ? c->cwmp_tls_client_ca : NULL;
    sc->auth = !strcmp(c->cwmp_auth, "none")    ? CWMP_AUTH_NONE
               : !strcmp(c->cwmp_auth, "basic") ? CWMP_AUTH_BASIC
               : !strcmp(c->cwmp_auth, "any")   ? CWMP_AUTH_ANY
                                                : CWMP_AUTH_DIGEST;
    sc->digest_algo = !strcmp(c->cwmp_digest_algorithm, "sha256")
                          ? CWMP_DIGEST_SHA256
                          : CWMP_DIGEST_MD5;
    sc->realm = c->cwmp_realm;
    sc->username = *c->cwmp_username ? c->cwmp_username : NULL;
    sc->password = sc->username ? c->cwmp_password : NULL;
    sc->max_body = (size_t)c->cwmp_max_body;
    sc->session_timeout_s = (unsigned)c->cwmp_session_timeout;
    sc->idle_timeout_s = (unsigned)c->cwmp_idle_timeout;
    sc->max_sessions = (unsigned)c->cwmp_max_sessions;
    sc->max_queue = (unsigned)c->cwmp_max_queue;
    sc->cr_timeout_s = (unsigned)c->cwmp_cr_timeout;
    sc->cr_retries = (unsigned)c->cwmp_cr_retries;
    sc->cr_min_interval_s = (unsigned)c->cwmp_cr_min_interval;
    sc->cr_max_inflight = (unsigned)c->cwmp_cr_max_inflight;
    return UB_OK;
}

int bridge_init(struct bridge *b, uv_loop_t *loop, struct bridge_config *cfg)
{
    struct cwmp_server_config sc;
    struct cwmp_callbacks cb = {
        .user = b,
        .get_credentials = cb_get_credentials,
        .on_inform = cb_on_inform,
        .on_cpe_request = cb_on_cpe_request,
        .on_rpc_result = cb_on_rpc_result,
        .on_session_idle = cb_on_session_idle,
        .on_session_end = cb_on_session_end,
        .on_cr_result = cb_on_cr_result,
    };
    int err;

    memset(b, 0, sizeof(*b));
    b->loop = loop;
    b->cfg = cfg;
    uv_signal_init(loop, &b->sig_term);
    uv_signal_init(loop, &b->sig_int);
    uv_signal_init(loop, &b->sig_hup);
    b->sig_term.data = b->sig_int.data = b->sig_hup.data = b;

    ub_list_init(&b->sync_jobs);
    ub_list_init(&b->jobs);
    b->started_ms = ub_now_ms();
    err = bridge_controllers_parse(b);
    if (!err)
        err = bridge_policies_parse(b);
    if (err)
        return err;

    {
        struct pdb_config pc;
        char *path = *cfg->store_path ? ub_strdup(cfg->store_path)
                                      : ub_asprintf("%s/db", cfg->data_dir);
        if (!path)
            return UB_ENOMEM;
        pdb_config_init(&pc);
        pc.map_size = (size_t)cfg->store_map_size_mb << 20;
        pc.map_max = (size_t)cfg->store_map_max_mb << 20;
        pc.nosync = cfg->store_nosync;
        err = pdb_env_open(path, &pc, &b->pdb);
        if (err)
            UB_LOGE(MOD, "cannot open the store %s: %s", path,
                    ub_strerror(err));
        else
            UB_LOGN(MOD, "store %s open", path);
        ub_free(path);
        if (err)
            return err;
    }

    err = cwmp_config(cfg, &sc);
    if (!err)
        err = cwmp_server_create(loop, &sc, &cb, &b->cwmp);
    if (err)
        UB_LOGE(MOD, "cannot create the CWMP endpoint: %s", ub_strerror(err));
    return err;
}

int bridge_start(struct bridge *b)
{
    int err;

    uv_signal_start(&b->sig_term, on_signal, SIGTERM);
    uv_signal_start(&b->sig_int, on_signal, SIGINT);
    uv_signal_start(&b->sig_hup, on_signal, SIGHUP);

    err = cwmp_server_start(b->cwmp);
    if (err) {
        UB_LOGE(MOD, "cannot start the CWMP endpoint on %s:%ld: %s",
                b->cfg->cwmp_listen, b->cfg->cwmp_port, ub_strerror(err));
        return err;
    }
    UB_LOGN(MOD, "ACS endpoint listening on %s://%s:%u%s",
            *b->cfg->cwmp_tls_cert ? "https" : "http", b->cfg->cwmp_listen,
            (unsigned)cwmp_server_port(b->cwmp), b->cfg->cwmp_path);
    err = bridge_mtp_start(b);
    if (err) {
        UB_LOGE(MOD, "cannot start the USP MTPs: %s", ub_strerror(err));
        return err;
    }
    err = bridge_req_start(b);
    if (err)
        UB_LOGE(MOD, "cannot load the request queue: %s", ub_strerror(err));
    b->req_started = !err;
    b->started = !err;
    bridge_flush_start(b);
    bridge_stats_start(b);
    return err;
}

static void on_cwmp_stopped(void *user)
{
    struct bridge *b = user;
    UB_LOGD(MOD, "CWMP endpoint stopped");
    (void)b;
}

void bridge_stop(struct bridge *b)
{
    if (b->stopping)
        return;
    b->stopping = true;
    bridge_flush_stop(b);
    bridge_stats_stop(b);
    if (b->req_started)
        bridge_req_stop(b);
    bridge_mtp_stop(b);
    if (b->cwmp)
        cwmp_server_stop(b->cwmp, on_cwmp_stopped, b);
    if (!uv_is_closing((uv_handle_t *)&b->sig_term)) {
        uv_close((uv_handle_t *)&b->sig_term, NULL);
        uv_close((uv_handle_t *)&b->sig_int, NULL);
        uv_close((uv_handle_t *)&b->sig_hup, NULL);
    }
}

void bridge_destroy(struct bridge *b)
{
    bridge_sync_destroy_all(b);
    bridge_req_destroy(b);
    bridge_perms_forget_all(b);
    ub_free(b->perm_cache);
    b->perm_cache = NULL;
    cwmp_server_destroy(b->cwmp);
    b->cwmp = NULL;
    if (b->pdb && b->cfg->store_nosync && pdb_env_sync(b->pdb))
        UB_LOGE(MOD, "final store flush failed");
    pdb_env_close(b->pdb);
    b->pdb = NULL;
}
