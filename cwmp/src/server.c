/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: the ACS HTTP(S) endpoint.
 *
 * libmicrohttpd runs as a guest on the caller's libuv loop, without any MHD
 * thread: the daemon is started with MHD_USE_EPOLL (| MHD_USE_TURBO), a
 * uv_poll watches MHD's epoll fd and calls MHD_run(); after EVERY MHD_run()
 * a uv_timer is re-armed from MHD_get_timeout() (0 means MHD holds buffered
 * work and its epoll fd will not fire again, so the timer must run MHD).
 *
 * Per TCP connection MHD gives us a socket context (NOTIFY_CONNECTION):
 * struct cwmp__conn, taken from a small free list.  It carries the
 * authentication state (a connection authenticates once), the body buffer
 * (reused across keep-alive requests) and the CWMP session bound to it.
 * The request handler only does HTTP: method/path/auth/TLS client checks,
 * body accumulation with the max_body bound (413 + close), then hands the
 * complete body to session.c, which answers with a struct cwmp__reply.
 * Sessions are never freed inside MHD in a way MHD could see: MHD only
 * knows the conn, which dies in NOTIFY_CONNECTION(CLOSED).
 *
 * Waiting: when on_session_idle() promises RPCs but queued none yet, the
 * session suspends the MHD connection (MHD_ALLOW_SUSPEND_RESUME);
 * cwmp_rpc_enqueue() or the idle timeout resumes it and the handler runs
 * again for the same request.
 *
 * Static responses (204, errors) are created once and shared (MHD
 * reference-counts them).  One codec and one encode buffer are shared by
 * all sessions: encoding/decoding is synchronous on the loop.
 */
#include "cwmp_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TLS_FILE_MAX (1024 * 1024)
#define CONN_FREE_MAX 256
#define DISCARD_MAX (4 * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Config                                                              */
/* ------------------------------------------------------------------ */

void cwmp_server_config_init(struct cwmp_server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->bind_addr = "0.0.0.0";
    cfg->port = 7547;
    cfg->path = "/";
    cfg->auth = CWMP_AUTH_NONE;
    cfg->digest_algo = CWMP_DIGEST_MD5;
    cfg->realm = "uspbridge";
    cfg->max_body = 1024 * 1024;
    cfg->session_timeout_s = 300;
    cfg->idle_timeout_s = 30;
    cfg->max_sessions = 10000;
    cfg->max_queue = 64;
    cfg->cr_timeout_s = 10;
    cfg->cr_retries = 2;
    cfg->cr_min_interval_s = 5;
    cfg->cr_max_inflight = 256;
    cfg->cr_backoff_ms = 1000;
}

static int dup_opt(const char *in, char **out)
{
    *out = NULL;
    if (!in)
        return UB_OK;
    *out = ub_strdup(in);
    return *out ? UB_OK : UB_ENOMEM;
}

int cwmp_server_create(uv_loop_t *loop, const struct cwmp_server_config *cfg,
                       const struct cwmp_callbacks *cb,
                       struct cwmp_server **out)
{
    struct cwmp_server *s;
    int err;

    if (!loop || !cfg || !cb || !out)
        return UB_EINVAL;
    if (cfg->tls_client_ca_file && !(cfg->tls_cert_file && cfg->tls_key_file))
        return UB_ECONFIG;
    if ((cfg->tls_cert_file != NULL) != (cfg->tls_key_file != NULL))
        return UB_ECONFIG;
    if (cfg->auth != CWMP_AUTH_NONE && !cb->get_credentials &&
        !(cfg->username && cfg->password))
        return UB_ECONFIG;
    s = ub_calloc(1, sizeof(*s));
    if (!s)
        return UB_ENOMEM;
    s->loop = loop;
    s->cfg = *cfg;
    s->cb = *cb;
    err = dup_opt(cfg->bind_addr ? cfg->bind_addr : "0.0.0.0", &s->s_bind);
    if (!err)
        err = dup_opt(cfg->path, &s->s_path);
    if (!err)
        err = dup_opt(cfg->tls_cert_file, &s->s_cert);
    if (!err)
        err = dup_opt(cfg->tls_key_file, &s->s_key);
    if (!err)
        err = dup_opt(cfg->tls_client_ca_file, &s->s_ca);
    if (!err)
        err = dup_opt(cfg->realm ? cfg->realm : "uspbridge", &s->s_realm);
    if (!err)
        err = dup_opt(cfg->username, &s->s_user);
    if (!err)
        err = dup_opt(cfg->password, &s->s_pw);
    if (err)
        goto out;
    s->cfg.bind_addr = s->s_bind;
    s->cfg.path = s->s_path;
    s->cfg.tls_cert_file = s->s_cert;
    s->cfg.tls_key_file = s->s_key;
    s->cfg.tls_client_ca_file = s->s_ca;
    s->cfg.realm = s->s_realm;
    s->cfg.username = s->s_user;
    s->cfg.password = s->s_pw;
    if (!s->cfg.max_body)
        s->cfg.max_body = 1024 * 1024;
    if (!s->cfg.max_sessions)
        s->cfg.max_sessions = 10000;
    if (!s->cfg.max_queue)
        s->cfg.max_queue = 64;
    if (!s->cfg.idle_timeout_s)
        s->cfg.idle_timeout_s = 30;
    if (!s->cfg.session_timeout_s)
        s->cfg.session_timeout_s = 300;
    if (!s->cfg.cr_timeout_s)
        s->cfg.cr_timeout_s = 10;
    if (!s->cfg.cr_max_inflight)
        s->cfg.cr_max_inflight = 256;
    if (!s->cfg.cr_backoff_ms)
        s->cfg.cr_backoff_ms = 1000;

    err = cwmp_codec_create(&s->cfg.limits, &s->codec);
    if (err)
        goto out;
    ub_buf_init(&s->out, 16 * 1024 * 1024);
    cwmp__sessions_init(s);
    if (!s->dev_buckets || !s->ck_buckets) {
        err = UB_ENOMEM;
        goto out;
    }
    ub_list_init(&s->cr_list);
    if (getrandom(s->digest_rnd, sizeof(s->digest_rnd), 0) !=
            (ssize_t)sizeof(s->digest_rnd) ||
        getrandom(&s->cookie_state, sizeof(s->cookie_state), 0) !=
            (ssize_t)sizeof(s->cookie_state)) {
        err = UB_EIO;
        goto out;
    }
    {
        uint64_t o;
        memcpy(&o, s->digest_rnd, sizeof(o));
        snprintf(s->opaque, sizeof(s->opaque), "%016" PRIx64, o ^ 0x5bd1e995u);
    }
    s->next_rpc_id = 1;
    *out = s;
    return UB_OK;
out:
    cwmp_server_destroy(s);
    return err;
}

/* ------------------------------------------------------------------ */
/* MHD on the loop                                                     */
/* ------------------------------------------------------------------ */

static void on_mhd_timer(uv_timer_t *t);

static void mhd_run(struct cwmp_server *s)
{
    MHD_UNSIGNED_LONG_LONG to = 0;

    if (!s->mhd || s->stopping)
        return;
    s->in_run = true;
    MHD_run(s->mhd);
    s->in_run = false;
    if (s->stopping)
        return;
    if (MHD_get_timeout(s->mhd, &to) == MHD_YES) {
        if (to > 24ull * 3600 * 1000)
            to = 24ull * 3600 * 1000;
        uv_timer_start(&s->mhd_timer, on_mhd_timer, to, 0);
    } else {
        uv_timer_stop(&s->mhd_timer);
    }
}

static void on_mhd_timer(uv_timer_t *t) { mhd_run(t->data); }

static void on_mhd_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    mhd_run(p->data);
}

void cwmp__server_kick(struct cwmp_server *s)
{
    if (!s->mhd || s->stopping)
        return;
    uv_timer_start(&s->mhd_timer, on_mhd_timer, 0, 0);
}

void cwmp__conn_resume(struct cwmp__conn *c)
{
    if (!c->suspended)
        return;
    c->suspended = false;
    c->resumed = true;
    MHD_resume_connection(c->mc);
    cwmp__server_kick(c->srv);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
    UB_PRINTF(2, 0);
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    /* MHD 0.9.75 reports a nonce whose slot in its nonce table was reused
     * only through this message (MHD_digest_auth_check2 then says MHD_NO,
     * as for a wrong password): auth.c turns it into a stale challenge. */
    if (strncmp(line, "Stale nonce received", 20) == 0) {
        ((struct cwmp_server *)cls)->mhd_stale_seen = true;
        UB_LOGD(CWMP__LOG, "mhd: %s", line);
        return;
    }
    UB_LOGI(CWMP__LOG, "mhd: %s", line);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static void on_connection(void *cls, struct MHD_Connection *mc,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct cwmp_server *s = cls;
    struct cwmp__conn *c;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        c = s->free_conns;
        if (c) {
            s->free_conns = c->next_free;
            s->n_free_conns--;
        } else {
            c = ub_malloc(sizeof(*c));
            if (!c) {
                /* Without a context the handler refuses the request. */
                *socket_context = NULL;
                return;
            }
            ub_buf_init(&c->body, s->cfg.max_body);
            c->body.data = NULL;
        }
        {
            struct ub_buf keep = c->body;
            memset(c, 0, sizeof(*c));
            c->body = keep;
        }
        c->srv = s;
        c->mc = mc;
        *socket_context = c;
        if (s->ticket_key_data) {
            /* MHD 0.9.75 creates the GnuTLS session before this callback
             * but never enables session tickets: do it here, before the
             * handshake, so resumed handshakes are possible. */
            const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
                mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            if (ci && ci->tls_session) {
                gnutls_datum_t k = {s->ticket_key_data, s->ticket_key_size};
                int r = gnutls_session_ticket_enable_server(
                    (gnutls_session_t)ci->tls_session, &k);
                if (r < 0)
                    UB_LOGI(CWMP__LOG, "tls: session tickets: %s",
                            gnutls_strerror(r));
            }
        }
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED */
    c = *socket_context;
    if (!c)
        return;
    *socket_context = NULL;
    if (c->session)
        cwmp__session_conn_closed(s, c);
    c->mc = NULL;
    if (s->n_free_conns < CONN_FREE_MAX) {
        ub_buf_reset(&c->body);
        if (c->body.cap > 64 * 1024) /* do not keep big buffers around */
            ub_buf_free(&c->body);
        c->next_free = s->free_conns;
        s->free_conns = c;
        s->n_free_conns++;
    } else {
        ub_buf_free(&c->body);
        ub_free(c);
    }
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    /* Only the marker is cleared: the per-request state of the conn is
     * reset when the next request starts (on_request), so nothing here
     * depends on the order MHD reports request completion and connection
     * close in. */
    (void)cls;
    (void)mc;
    (void)toe;
    *req_cls = NULL;
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */
/* ------------------------------------------------------------------ */

static enum MHD_Result queue_status(struct MHD_Connection *mc,
                                    unsigned status, bool close)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(mc, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_reply(struct cwmp_server *s, struct cwmp__conn *c,
                                   const struct cwmp__reply *rp)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char cookie[96];

    if (rp->len == 0)
        return queue_status(c->mc, rp->status, rp->close);
    r = MHD_create_response_from_buffer(rp->len, (void *)rp->body,
                                        MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/xml; charset=\"utf-8\"");
    if (rp->set_cookie && c->session) {
        snprintf(cookie, sizeof(cookie), CWMP__COOKIE_NAME "=%016" PRIx64
                 "; Path=%s",
                 c->session->cookie,
                 (s->cfg.path && s->cfg.path[0] == '/') ? s->cfg.path : "/");
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    }
    if (rp->close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(c->mc, rp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result finish_reply(struct cwmp_server *s,
                                    struct cwmp__conn *c,
                                    struct cwmp__reply *rp)
{
    if (rp->suspend) {
        c->suspended = true;
        MHD_suspend_connection(c->mc);
        return MHD_YES;
    }
    return queue_reply(s, c, rp);
}

/* ------------------------------------------------------------------ */
/* Request handler                                                     */
/* ------------------------------------------------------------------ */

static bool path_ok(const struct cwmp_server *s, const char *url)
{
    const char *p = s->cfg.path;
    size_t n;

    if (!p)
        return true;
    n = strlen(p);
    if (strncmp(url, p, n) != 0)
        return false;
    /* "/acs" serves "/acs" and "/acs?x=y"; "/" serves exactly "/". */
    return url[n] == '\0' || url[n] == '?';
}

static enum MHD_Result first_call(struct cwmp_server *s, struct cwmp__conn *c,
                                  const char *url, const char *method)
{
    const char *cl;

    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
        s->stats.bad_requests++;
        return queue_status(c->mc, MHD_HTTP_METHOD_NOT_ALLOWED, true);
    }
    if (!path_ok(s, url)) {
        s->stats.bad_requests++;
        return queue_status(c->mc, MHD_HTTP_NOT_FOUND, true);
    }
    if (s->cfg.tls_cert_file && !c->tls_seen) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
            c->mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        c->tls_seen = true;
        s->stats.tls_connections++;
        if (ci && ci->tls_session &&
            gnutls_session_is_resumed((gnutls_session_t)ci->tls_session))
            s->stats.tls_resumed++;
    }
    if (s->cfg.tls_client_ca_file && !c->tls_ok) {
        // Exit if the client certificate is missing or not trusted.
        if (!cwmp__auth_tls_client(s, c->mc)) {
            s->stats.auth_failures++;
            return queue_status(c->mc, MHD_HTTP_FORBIDDEN, true);
        }
        c->tls_ok = true;
    }
    if (s->cfg.auth != CWMP_AUTH_NONE && !c->authed) {
        switch (cwmp__auth_check(s, c->mc, c->user, sizeof(c->user))) {
        case CWMP__AUTH_OK:
            c->authed = true;
            break;
        case CWMP__AUTH_QUEUED:
            return MHD_YES;
        default:
            return MHD_NO;
        }
    }
    cl = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long v;
        errno = 0;
        v = strtoull(cl, &end, 10);
        if (errno || end == cl || v > s->cfg.max_body) {
            // Exit if the announced body is over the limit.
            s->stats.bad_requests++;
            return queue_status(c->mc, MHD_HTTP_CONTENT_TOO_LARGE, true);
        }
    }
    c->in_request = true;
    c->req_start_ms = ub_now_ms();
    ub_buf_reset(&c->body);
    c->body.max = s->cfg.max_body;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct cwmp_server *s = cls;
    struct cwmp__conn *c;
    struct cwmp__reply rp;
    const union MHD_ConnectionInfo *ci;
    const char *cookie;

    (void)version;
    if (!*req_cls) {
        ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        c = ci ? ci->socket_context : NULL;
        // Exit if the connection context could not be allocated.
        if (!c)
            return MHD_NO;
        *req_cls = c;
        c->in_request = false;
        c->too_big = false;
        c->discarded = 0;
        c->resumed = false;
        c->req_start_ms = ub_now_ms();
        if (s->stopping)
            return queue_status(mc, MHD_HTTP_SERVICE_UNAVAILABLE, true);
        return first_call(s, c, url, method);
    }
    c = *req_cls;
    if (*upload_size) {
        // Exit (close) if the body trickles in for longer than the idle
        // timeout: MHD's own timeout only sees inactivity.
        if (ub_now_ms() - c->req_start_ms >
            (uint64_t)s->cfg.idle_timeout_s * 1000) {
            UB_LOGI(CWMP__LOG, "request body too slow: connection closed");
            s->stats.bad_requests++;
            return MHD_NO;
        }
    }
    if (!c->in_request) {
        /* A response was queued on the first call (401/413/...): MHD
         * still delivers the body; swallow a bounded amount of it. */
        c->discarded += *upload_size;
        *upload_size = 0;
        return c->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    if (*upload_size) {
        /* MHD 0.9.75 refuses a response queued while the body is still
         * arriving (chunked bodies have no Content-Length to check up
         * front): past max_body, discard up to DISCARD_MAX more bytes,
         * then answer 413; a peer that keeps sending is cut off. */
        if (c->too_big) {
            c->discarded += *upload_size;
            *upload_size = 0;
            return c->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (ub_buf_append(&c->body, upload, *upload_size) != UB_OK) {
            c->too_big = true;
            c->discarded = *upload_size;
            ub_buf_init(&c->body, s->cfg.max_body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (c->too_big) {
        c->in_request = false;
        s->stats.bad_requests++;
        return queue_status(mc, MHD_HTTP_CONTENT_TOO_LARGE, true);
    }
    memset(&rp, 0, sizeof(rp));
    if (c->resumed) {
        c->resumed = false;
        cwmp__session_resumed(s, c, &rp);
        return finish_reply(s, c, &rp);
    }
    if (s->stopping)
        return queue_status(mc, MHD_HTTP_SERVICE_UNAVAILABLE, true);
    cookie = MHD_lookup_connection_value(mc, MHD_COOKIE_KIND,
                                         CWMP__COOKIE_NAME);
    cwmp__session_post(s, c, c->body.data ? c->body.data : "", c->body.len,
                       cookie, &rp);
    return finish_reply(s, c, &rp);
}

/* ------------------------------------------------------------------ */
/* Start / stop                                                        */
/* ------------------------------------------------------------------ */

static int read_file(const char *path, char **out)
{
    struct ub_buf b;
    char tmp[4096];
    ssize_t n;
    int fd, err = UB_OK;

    ub_buf_init(&b, TLS_FILE_MAX);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        UB_LOGE(CWMP__LOG, "cannot open %s: %s", path, strerror(errno));
        return UB_ECONFIG;
    }
    for (;;) {
        n = read(fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = UB_EIO;
            break;
        }
        if (n == 0)
            break;
        err = ub_buf_append(&b, tmp, (size_t)n);
        if (err)
            break;
    }
    close(fd);
    if (!err && !b.data)
        err = UB_ECONFIG;
    if (err) {
        ub_buf_free(&b);
        return err;
    }
    *out = ub_buf_take(&b, NULL);
    return UB_OK;
}

int cwmp_server_start(struct cwmp_server *s)
{
    struct MHD_OptionItem ops[24];
    size_t n = 0;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    unsigned nonces, conn_limit;
    int err;

    if (!s || s->started)
        return UB_ESTATE;
    memset(&ss, 0, sizeof(ss));
    if (strchr(s->cfg.bind_addr, ':')) {
        if (uv_ip6_addr(s->cfg.bind_addr, s->cfg.port,
                        (struct sockaddr_in6 *)&ss))
            return UB_ECONFIG;
        /* "::" also takes IPv4 (mapped addresses) */
        flags |= strcmp(s->cfg.bind_addr, "::") == 0 ? MHD_USE_DUAL_STACK
                                                     : MHD_USE_IPv6;
    } else if (uv_ip4_addr(s->cfg.bind_addr, s->cfg.port,
                           (struct sockaddr_in *)&ss)) {
        return UB_ECONFIG;
    }
    if (s->cfg.tls_cert_file) {
        gnutls_datum_t k;
        err = read_file(s->cfg.tls_cert_file, &s->tls_cert_pem);
        if (!err)
            err = read_file(s->cfg.tls_key_file, &s->tls_key_pem);
        if (!err && s->cfg.tls_client_ca_file)
            err = read_file(s->cfg.tls_client_ca_file, &s->tls_ca_pem);
        if (err)
            return err;
        if (gnutls_session_ticket_key_generate(&k) == 0) {
            s->ticket_key_data = ub_malloc(k.size);
            if (s->ticket_key_data) {
                memcpy(s->ticket_key_data, k.data, k.size);
                s->ticket_key_size = k.size;
            }
            gnutls_memset(k.data, 0, k.size);
            gnutls_free(k.data);
        }
        flags |= MHD_USE_TLS;
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                           s->tls_cert_pem};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                           s->tls_key_pem};
        if (s->tls_ca_pem)
            ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                               s->tls_ca_pem};
    }
    /* Every challenge takes a slot until answered; collisions cost a
     * stale round trip (auth.c), so keep the table sparse. */
    nonces = s->cfg.max_sessions < 1024    ? 4096
             : s->cfg.max_sessions > 65536 ? 262144
                                           : s->cfg.max_sessions * 4;
    conn_limit = s->cfg.max_sessions + s->cfg.max_sessions / 4 + 64;
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                       (intptr_t)s->cfg.idle_timeout_s + 1,
                                       NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                       (intptr_t)conn_limit, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
                                       NULL};
    if (s->cfg.max_conn_per_ip)
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                           (intptr_t)s->cfg.max_conn_per_ip,
                                           NULL};
    ops[n++] = (struct MHD_OptionItem){
        MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                       (intptr_t)on_completed, s};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_DIGEST_AUTH_RANDOM,
                                       (intptr_t)sizeof(s->digest_rnd),
                                       s->digest_rnd};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NONCE_NC_SIZE,
                                       (intptr_t)nonces, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    /* The logger must be the first option to catch every message. */
    s->mhd = MHD_start_daemon(flags, s->cfg.port, NULL, NULL, on_request, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
                              MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    if (!s->mhd) {
        UB_LOGE(CWMP__LOG, "cannot start HTTP%s server on %s:%u",
                s->cfg.tls_cert_file ? "S" : "", s->cfg.bind_addr,
                (unsigned)s->cfg.port);
        return UB_EIO;
    }
    di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->cfg.port;
    di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
        return UB_EIO;
    }
    uv_poll_init(s->loop, &s->mhd_poll, di->epoll_fd);
    s->mhd_poll.data = s;
    uv_timer_init(s->loop, &s->mhd_timer);
    s->mhd_timer.data = s;
    uv_timer_init(s->loop, &s->sweep_timer);
    s->sweep_timer.data = s;
    s->handles_open = 3;
    err = cwmp__cr_init(s);
    if (err) {
        /* cr_init leaves no handle open on failure */
        UB_LOGE(CWMP__LOG, "connection requests: %s", ub_strerror(err));
        err = UB_OK; /* the endpoint works without them */
    }
    s->started = true;
    uv_poll_start(&s->mhd_poll, UV_READABLE, on_mhd_poll);
    uv_timer_start(&s->sweep_timer, cwmp__sweep_cb, 1000, 1000);
    mhd_run(s);
    {
        bool v6 = strchr(s->cfg.bind_addr, ':') != NULL;
        UB_LOGN(CWMP__LOG, "ACS endpoint on %s%s%s%s:%u%s",
                s->cfg.tls_cert_file ? "https://" : "http://", v6 ? "[" : "",
                s->cfg.bind_addr, v6 ? "]" : "", (unsigned)s->port,
                s->cfg.path ? s->cfg.path : "");
    }
    return err;
}

uint16_t cwmp_server_port(const struct cwmp_server *s)
{
    return s ? s->port : 0;
}

void cwmp__handle_closed(uv_handle_t *h)
{
    struct cwmp_server *s = h->data;

    if (--s->handles_open == 0 && s->stop_done) {
        void (*done)(void *) = s->stop_done;
        s->stop_done = NULL;
        done(s->stop_user);
    }
}

/* The teardown proper, from a loop callback of its own: never inside
 * MHD_run() (MHD must not be stopped, nor a connection resumed, from one of
 * its callbacks) nor inside our own list walks. */
static void stop_now(uv_timer_t *t)
{
    struct cwmp_server *s = t->data;

    /* Sessions first (callbacks), then MHD (closes connections), then
     * Connection Requests, then our handles. */
    cwmp__session_shutdown(s);
    uv_close((uv_handle_t *)&s->mhd_poll, cwmp__handle_closed);
    uv_close((uv_handle_t *)&s->mhd_timer, cwmp__handle_closed);
    uv_close((uv_handle_t *)&s->sweep_timer, cwmp__handle_closed);
    if (s->mhd) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
    }
    cwmp__cr_stop(s);
}

void cwmp_server_stop(struct cwmp_server *s, void (*done)(void *user),
                      void *user)
{
    if (!s)
        return;
    if (!s->started || s->stopping) {
        if (done && !s->started)
            done(user);
        return;
    }
    /* From here MHD is not run again, new RPCs and Connection Requests are
     * refused; the teardown runs on the next loop iteration (the sweep
     * timer is reused for it). */
    s->stopping = true;
    s->stop_done = done;
    s->stop_user = user;
    uv_timer_stop(&s->mhd_timer);
    uv_timer_start(&s->sweep_timer, stop_now, 0, 0);
}

void cwmp_server_destroy(struct cwmp_server *s)
{
    struct cwmp__conn *c;

    if (!s)
        return;
    if (s->mhd) {
        /* Not stopped: the handles are still open, which is a caller bug;
         * at least stop MHD so no callback can reach freed memory. */
        UB_LOGE(CWMP__LOG, "cwmp_server_destroy without cwmp_server_stop");
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
    }
    cwmp__cr_fini(s);
    cwmp__sessions_fini(s);
    while ((c = s->free_conns)) {
        s->free_conns = c->next_free;
        ub_buf_free(&c->body);
        ub_free(c);
    }
    cwmp_codec_destroy(s->codec);
    ub_buf_free(&s->out);
    ub_free(s->tls_cert_pem);
    if (s->tls_key_pem) {
        explicit_bzero(s->tls_key_pem, strlen(s->tls_key_pem));
        ub_free(s->tls_key_pem);
    }
    ub_free(s->tls_ca_pem);
    if (s->ticket_key_data) {
        explicit_bzero(s->ticket_key_data, s->ticket_key_size);
        ub_free(s->ticket_key_data);
    }
    ub_free(s->s_bind);
    ub_free(s->s_path);
    ub_free(s->s_cert);
    ub_free(s->s_key);
    ub_free(s->s_ca);
    ub_free(s->s_realm);
    ub_free(s->s_user);
    if (s->s_pw) {
        explicit_bzero(s->s_pw, strlen(s->s_pw));
        ub_free(s->s_pw);
    }
    ub_free(s);
}

void cwmp_server_get_stats(const struct cwmp_server *s,
                           struct cwmp_server_stats *out)
{
    if (!s || !out)
        return;
    *out = s->stats;
    out->sessions_active = s->n_sessions;
}
