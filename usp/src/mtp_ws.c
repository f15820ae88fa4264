/*
 * WebSocket MTP (TR-369 WebSocket binding) on libwebsockets 4.1, as a
 * guest on the caller's libuv loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 *  - One lws context per struct usp_mtp, created on first use with
 *    LWS_SERVER_OPTION_LIBUV + foreign_loops and explicit vhosts: one
 *    listening vhost (agent as server) and one non-listening vhost per
 *    client session (agent as client; per-session TLS files).
 *  - Server: a controller connects to <path_prefix><agent-eid>, subprotocol
 *    v1.usp (required, R-WS.12a), its own id in "?eid=" (R-WS.10b) or in
 *    the older bbf-usp-protocol extension (R-WS.10a).  The agent part is
 *    checked in FILTER_PROTOCOL_CONNECTION and kept in the per-session
 *    data; an unknown agent is let through the handshake and closed with
 *    1008 at once, so the peer learns why.  If the client offered the
 *    extension, the answer names the agent (R-WS.11a).
 *  - Client: the URL host is resolved with uv_getaddrinfo and lws connects
 *    by address (lws's own resolver blocks the loop), with Host/SNI/cert
 *    checks on the name.  The agent's id goes in "?eid=" (R-WS.10b).  No
 *    Sec-WebSocket-Extensions offer: Debian's lws is built with extension
 *    support and fails a handshake whose answer names an extension it has
 *    not registered (and its option parser only takes numbers), so
 *    offering bbf-usp-protocol would break against servers that follow
 *    R-WS.11a.  Reconnect per R-WS.19 (m, k; random wait in
 *    [m*k^n, m*k^(n+1)], capped), count reset once established (R-WS.20).
 *  - Every session has a bounded send queue (count, bytes, age; overflow:
 *    UB_EFULL), up to 32 messages per WRITEABLE callback while the socket
 *    takes them, and a bounded
 *    reassembly buffer (max_record): an oversized message is dropped
 *    whole and counted; a text frame closes with 1003 (R-WS.16).
 *  - PING on idle and hang-up on silence through lws's retry/idle policy
 *    (secs_since_valid_ping / _hangup), R-WS.17/18.
 *  - Shutdown: lws_context_destroy() runs twice with loop turns between
 *    (stack-notes: with a foreign loop lws closes its uv handles first),
 *    driven by our own "fin" timer; only then is the last object freed.
 */
#include <uv.h>

#include <libwebsockets.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mtp_int.h"

#define WS_PROTO "v1.usp"
#define WS_EID_MAX 256

struct ws_conn {
    struct ub_list link;
    struct mtp__ws *w;
    uint64_t id;
    struct lws *wsi;
    bool is_client;
    bool established;
    bool closing;        /* close requested (close_status) */
    bool forget;         /* client: stop reconnecting, free when down */
    int close_status;
    char *agent_eid;
    char *peer_eid;
    struct mtp__queue q;
    struct ub_buf rx;
    bool rx_skip; /* dropping the rest of an oversized or text message */

    /* client only */
    struct lws_vhost *vh;
    char *host, *path, *expect_peer;
    uint16_t port;
    bool tls, tls_insecure;
    lws_retry_bo_t policy;
    uint32_t retry_min_ms, retry_mult, retry_max_ms;
    unsigned tries;
    uv_timer_t retry;
    bool retry_open;
    uv_getaddrinfo_t gai;
    bool resolving;
    bool in_connect;  /* inside lws_client_connect_via_info() */
    bool failed_sync; /* ... which already reported the failure */
};

/* Per-session data lws allocates for us. */
struct ws_pss {
    struct ws_conn *c;
    bool refuse;
    bool ext_offered;
    char agent[WS_EID_MAX];
    char peer[WS_EID_MAX];
};

struct mtp__ws {
    struct usp_mtp *m;
    struct lws_context *ctx;
    void *loops[1];
    struct lws_protocols protos[2];
    struct lws_vhost *srv;
    lws_retry_bo_t srv_policy;
    char *path_prefix;
    uint32_t max_conns;
    unsigned srv_conns;
    struct ub_strv agents;
    struct ub_list conns;
    unsigned next_vh;
    /* teardown */
    bool fin_started;
    int fin_step;
    uv_timer_t fin;
    unsigned pending_handles; /* our uv handles still closing */
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static void lws_log_emit(int level, const char *line)
{
    char buf[256];
    size_t n = strlen(line);
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, line, n);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (level & LLL_ERR)
        UB_LOGW("lws", "%s", buf);
    else
        UB_LOGI("lws", "%s", buf);
}

static struct ws_conn *ws_find(struct mtp__ws *w, uint64_t id)
{
    if (!w)
        return NULL;
    for (struct ub_list *l = w->conns.next; l != &w->conns; l = l->next) {
        struct ws_conn *c = UB_CONTAINER_OF(l, struct ws_conn, link);
        if (c->id == id)
            return c;
    }
    return NULL;
}

static bool ws_agent_served(struct mtp__ws *w, const char *eid)
{
    for (size_t i = 0; i < w->agents.n; i++)
        if (!strcmp(w->agents.v[i], eid))
            return true;
    return false;
}

static void ws_conn_free(struct ws_conn *c)
{
    ub_list_remove(&c->link);
    mtp__queue_clear(&c->q);
    ub_buf_free(&c->rx);
    ub_free(c->agent_eid);
    ub_free(c->peer_eid);
    ub_free(c->host);
    ub_free(c->path);
    ub_free(c->expect_peer);
    ub_free(c);
}

/* Parses eid="..." (or eid=...) out of a Sec-WebSocket-Extensions value
 * that names bbf-usp-protocol.  Returns false if absent. */
static bool ext_eid(const char *ext, char *out, size_t outsz)
{
    const char *p = strstr(ext, "bbf-usp-protocol");
    if (!p)
        return false;
    const char *end = strchr(p, ',');
    const char *e = strstr(p, "eid=");
    out[0] = '\0';
    if (!e || (end && e > end))
        return true; /* offered, no id */
    e += 4;
    bool q = *e == '"';
    if (q)
        e++;
    size_t n = 0;
    while (e[n] && n + 1 < outsz &&
           (q ? e[n] != '"' : (e[n] != ';' && e[n] != ',' && e[n] != ' ')))
        n++;
    memcpy(out, e, n);
    out[n] = '\0';
    return true;
}

/* ------------------------------------------------------------------ */
/* client (re)connect                                                  */
/* ------------------------------------------------------------------ */

static void ws_client_start(struct ws_conn *c);
static void ws_client_release(struct ws_conn *c);

static void on_ws_retry(uv_timer_t *t)
{
    ws_client_start(t->data);
}

static uint64_t ws_backoff(struct ws_conn *c)
{
    /* R-WS.19: wait in [m*k^n, m*k^(n+1)] (k in permille), capped */
    double lo = c->retry_min_ms;
    for (unsigned i = 0; i < c->tries && lo < c->retry_max_ms; i++)
        lo = lo * c->retry_mult / 1000.0;
    double hi = lo * c->retry_mult / 1000.0;
    if (hi > c->retry_max_ms)
        hi = c->retry_max_ms;
    if (lo > hi)
        lo = hi;
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint32_t)ub_now_ms();
    c->tries++;
    return (uint64_t)(lo + (hi - lo) * (r % 1001) / 1000.0);
}

static void ws_client_schedule(struct ws_conn *c)
{
    struct mtp__ws *w = c->w;
    if (w->m->closing || c->forget || !c->retry_open || c->resolving ||
        c->wsi || uv_is_active((uv_handle_t *)&c->retry))
        return;
    uint64_t d = ws_backoff(c);
    UB_LOGN(MTP_LOG, "ws client %llu (%s:%u): retry in %llu ms",
            (unsigned long long)c->id, c->host, c->port,
            (unsigned long long)d);
    uv_timer_start(&c->retry, on_ws_retry, d, 0);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res)
{
    struct ws_conn *c = req->data;
    c->resolving = false;
    struct mtp__ws *w = c->w;
    if (w->m->closing || c->forget) {
        uv_freeaddrinfo(res);
        ws_client_release(c);
        return;
    }
    /* a name with several addresses: each retry takes the next one */
    char addr[INET6_ADDRSTRLEN] = "";
    unsigned n = 0;
    for (struct addrinfo *r = status == 0 ? res : NULL; r; r = r->ai_next)
        if (r->ai_family == AF_INET || r->ai_family == AF_INET6)
            n++;
    unsigned pick = n ? c->tries % n : 0;
    for (struct addrinfo *r = status == 0 ? res : NULL; r; r = r->ai_next) {
        if (r->ai_family != AF_INET && r->ai_family != AF_INET6)
            continue;
        if (pick--)
            continue;
        if (r->ai_family == AF_INET)
            inet_ntop(AF_INET,
                      &((struct sockaddr_in *)(void *)r->ai_addr)->sin_addr,
                      addr, sizeof(addr));
        else
            inet_ntop(AF_INET6,
                      &((struct sockaddr_in6 *)(void *)r->ai_addr)->sin6_addr,
                      addr, sizeof(addr));
        break;
    }
    uv_freeaddrinfo(res);
    if (!addr[0]) {
        UB_LOGW(MTP_LOG, "ws client %llu: cannot resolve %s: %s",
                (unsigned long long)c->id, c->host,
                status ? uv_strerror(status) : "no address");
        ws_client_schedule(c);
        return;
    }
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = w->ctx;
    i.vhost = c->vh;
    i.address = addr;
    i.port = c->port;
    i.path = c->path;
    i.host = c->host;
    i.origin = c->host;
    i.protocol = WS_PROTO;
    i.local_protocol_name = WS_PROTO;
    i.ietf_version_or_minus_one = -1;
    i.retry_and_idle_policy = &c->policy;
    i.opaque_user_data = c;
    if (c->tls) {
        i.ssl_connection = LCCSCF_USE_SSL;
        if (c->tls_insecure)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
                                LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    c->in_connect = true;
    c->failed_sync = false;
    struct lws *wsi = lws_client_connect_via_info(&i);
    c->in_connect = false;
    if (c->failed_sync)
        return; /* session_down already ran and scheduled a retry */
    if (!wsi) {
        UB_LOGW(MTP_LOG, "ws client %llu: connect to %s (%s) failed at once",
                (unsigned long long)c->id, c->host, addr);
        ws_client_schedule(c);
        return;
    }
    c->wsi = wsi;
}

static void ws_client_start(struct ws_conn *c)
{
    if (c->wsi || c->resolving || c->forget || c->w->m->closing)
        return;
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    c->gai.data = c;
    int rc = uv_getaddrinfo(c->w->m->loop, &c->gai, on_resolved, c->host,
                            NULL, &hints);
    if (rc) {
        UB_LOGW(MTP_LOG, "ws client: uv_getaddrinfo: %s", uv_strerror(rc));
        ws_client_schedule(c);
        return;
    }
    c->resolving = true;
}

/* ------------------------------------------------------------------ */
/* the lws protocol callback                                           */
/* ------------------------------------------------------------------ */

static void ws_session_down(struct ws_conn *c)
{
    struct mtp__ws *w = c->w;
    bool was_up = c->established;
    c->wsi = NULL;
    if (c->in_connect)
        c->failed_sync = true;
    c->established = false;
    c->closing = false;
    ub_buf_reset(&c->rx);
    c->rx_skip = false;
    if (was_up && w->m->cb.on_ws_state && !w->m->closing)
        w->m->cb.on_ws_state(w->m->cb.user, c->id, c->agent_eid, c->peer_eid,
                             false);
    if (!c->is_client) {
        w->srv_conns--;
        ws_conn_free(c);
    } else if (c->forget) {
        mtp__reap_soon(w->m);
    } else {
        ws_client_schedule(c);
    }
}

static void ws_deliver(struct ws_conn *c)
{
    struct usp_mtp *m = c->w->m;
    if (m->closing)
        return;
    struct usp_mtp_rx rx = {
        .kind = USP_MTP_WS,
        .data = (const uint8_t *)(c->rx.data ? c->rx.data : ""),
        .len = c->rx.len,
        .agent_eid = c->agent_eid,
        .conn_id = c->id,
        .peer_eid = c->peer_eid,
    };
    m->stats.rx_records++;
    m->cb.on_record(m->cb.user, &rx);
}

static int ws_receive(struct ws_conn *c, struct lws *wsi, const void *in,
                      size_t len)
{
    struct usp_mtp *m = c->w->m;
    if (lws_is_first_fragment(wsi)) {
        ub_buf_reset(&c->rx);
        c->rx_skip = false;
        if (!lws_frame_is_binary(wsi)) {
            /* R-WS.16: a record must come in a binary message */
            m->stats.rx_dropped++;
            mtp__log_drop(m, "ws %llu: text frame, closing with 1003",
                          (unsigned long long)c->id);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                             (unsigned char *)"binary USP records only", 23);
            return -1;
        }
    }
    if (!c->rx_skip && !c->closing) {
        if (c->rx.len + len > m->lim.max_record) {
            c->rx_skip = true;
            ub_buf_reset(&c->rx);
            m->stats.rx_dropped++;
            mtp__log_drop(m, "ws %llu: message over %zu bytes dropped",
                          (unsigned long long)c->id, m->lim.max_record);
        } else if (ub_buf_append(&c->rx, in, len)) {
            /* the failed append freed the buffer; start again clean */
            ub_buf_init(&c->rx, m->lim.max_record + 1);
            c->rx_skip = true;
            m->stats.rx_dropped++;
            mtp__log_drop(m, "ws %llu: out of memory, message dropped",
                          (unsigned long long)c->id);
        }
    }
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        if (!c->rx_skip && !c->closing)
            ws_deliver(c);
        ub_buf_reset(&c->rx);
        c->rx_skip = false;
    }
    return 0;
}

static int ws_writeable(struct ws_conn *c, struct lws *wsi)
{
    if (c->closing) {
        lws_close_reason(wsi, (enum lws_close_status)c->close_status, NULL, 0);
        return -1;
    }
    if (!c->established)
        return 0; /* can fire unasked during close (stack-notes) */
    mtp__queue_expire(c->w->m, &c->q);
    /* HTTP/1 WebSocket only (no h2 streams), so several writes per
     * callback are fine while the kernel takes them (lws_send_pipe_choked
     * also covers lws's own partial-write buffer); bounded per turn so one
     * busy session cannot starve the loop. */
    for (int k = 0; k < 32 && c->q.count; k++) {
        if (k && lws_send_pipe_choked(wsi))
            break;
        struct mtp__item *it = mtp__queue_pop(&c->q);
        int n = lws_write(wsi, it->buf + it->pre, it->len, LWS_WRITE_BINARY);
        size_t len = it->len;
        mtp__item_free(it);
        if (n < (int)len) {
            UB_LOGW(MTP_LOG, "ws %llu: write failed",
                    (unsigned long long)c->id);
            return -1;
        }
        c->w->m->stats.tx_records++;
    }
    if (c->q.count)
        lws_callback_on_writable(wsi);
    return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len)
{
    struct ws_pss *pss = user;
    struct lws_vhost *vh = lws_get_vhost(wsi);
    struct mtp__ws *w = vh ? lws_get_vhost_user(vh) : NULL;
    struct ws_conn *c = NULL;

    switch (reason) {
    /* ---------------- server side ---------------- */
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        if (!w || !pss || w->m->closing)
            return -1;
        char proto[128] = "";
        if (lws_hdr_copy(wsi, proto, sizeof(proto), WSI_TOKEN_PROTOCOL) <= 0 ||
            !strstr(proto, WS_PROTO))
            return -1; /* R-WS.12a */
        if (w->srv_conns >= w->max_conns) {
            mtp__log_drop(w->m, "ws: session limit %u reached, refused",
                          w->max_conns);
            return -1;
        }
        char uri[WS_EID_MAX + 64] = "";
        if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
            return -1;
        size_t pl = strlen(w->path_prefix);
        memset(pss, 0, sizeof(*pss));
        if (strncmp(uri, w->path_prefix, pl) || !uri[pl] ||
            strlen(uri + pl) >= sizeof(pss->agent) ||
            !ws_agent_served(w, uri + pl)) {
            pss->refuse = true;
            snprintf(pss->agent, sizeof(pss->agent), "%.*s",
                     (int)(sizeof(pss->agent) - 1), uri);
        } else {
            snprintf(pss->agent, sizeof(pss->agent), "%s", uri + pl);
        }
        char ext[512] = "";
        if (lws_hdr_copy(wsi, ext, sizeof(ext), WSI_TOKEN_EXTENSIONS) > 0)
            pss->ext_offered = ext_eid(ext, pss->peer, sizeof(pss->peer));
        char arg[WS_EID_MAX + 8];
        const char *v = lws_get_urlarg_by_name(wsi, "eid=", arg,
                                               (int)sizeof(arg));
        if (v && *v) /* the value follows "eid=" in arg */
            snprintf(pss->peer, sizeof(pss->peer), "%s", v);
        return 0;
    }
    case LWS_CALLBACK_ADD_HEADERS: {
        /* R-WS.11a: name ourselves if the client used the extension */
        struct lws_process_html_args *a = in;
        if (!pss || !pss->ext_offered || pss->refuse)
            return 0;
        char v[WS_EID_MAX + 32];
        int n = snprintf(v, sizeof(v), "bbf-usp-protocol; eid=\"%s\"",
                         pss->agent);
        unsigned char *p = (unsigned char *)a->p;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_EXTENSIONS,
                                         (unsigned char *)v, n, &p,
                                         p + a->max_len))
            return 0; /* no room: the extension answer is a SHOULD */
        a->max_len -= (int)((char *)p - a->p);
        a->p = (char *)p;
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        if (!w || !pss)
            return -1;
        if (pss->refuse || w->m->closing) {
            w->m->stats.ws_refused++;
            char repr[80];
            mtp__log_drop(w->m, "ws: session for unknown agent path \"%s\" "
                                "closed with 1008",
                          ub_log_repr(repr, sizeof(repr), pss->agent,
                                      strlen(pss->agent), 64));
            lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                             (unsigned char *)"unknown agent", 13);
            return -1;
        }
        c = ub_calloc(1, sizeof(*c));
        if (!c)
            return -1;
        c->w = w;
        c->id = w->m->next_conn_id++;
        c->wsi = wsi;
        c->agent_eid = ub_strdup(pss->agent);
        c->peer_eid = pss->peer[0] ? ub_strdup(pss->peer) : NULL;
        if (!c->agent_eid || (pss->peer[0] && !c->peer_eid)) {
            ub_free(c->agent_eid);
            ub_free(c->peer_eid);
            ub_free(c);
            return -1;
        }
        mtp__queue_init(&c->q);
        ub_buf_init(&c->rx, w->m->lim.max_record + 1);
        ub_list_insert_tail(&w->conns, &c->link);
        w->srv_conns++;
        c->established = true;
        pss->c = c;
        w->m->stats.ws_sessions++;
        UB_LOGI(MTP_LOG, "ws %llu: session for %s from %s",
                (unsigned long long)c->id, c->agent_eid,
                c->peer_eid ? c->peer_eid : "?");
        if (w->m->cb.on_ws_state)
            w->m->cb.on_ws_state(w->m->cb.user, c->id, c->agent_eid,
                                 c->peer_eid, true);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (!pss || !pss->c)
            return -1;
        return ws_receive(pss->c, wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss || !pss->c)
            return 0;
        return ws_writeable(pss->c, wsi);
    case LWS_CALLBACK_CLOSED:
        if (pss && pss->c) {
            c = pss->c;
            pss->c = NULL;
            ws_session_down(c);
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        /* plain HTTP on the USP port: nothing here */
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;

    /* ---------------- client side ---------------- */
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
        c = lws_get_opaque_user_data(wsi);
        if (!c)
            return -1;
        char proto[64] = "";
        if (lws_hdr_copy(wsi, proto, sizeof(proto), WSI_TOKEN_PROTOCOL) <= 0 ||
            strcmp(proto, WS_PROTO)) {
            UB_LOGW(MTP_LOG, "ws client %llu: server did not agree to %s",
                    (unsigned long long)c->id, WS_PROTO); /* R-WS.12 */
            return -1;
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c = lws_get_opaque_user_data(wsi);
        if (!c)
            return -1;
        c->wsi = wsi;
        c->established = true;
        c->tries = 0; /* R-WS.20 */
        c->w->m->stats.ws_sessions++;
        UB_LOGN(MTP_LOG, "ws client %llu: session up to %s:%u%s",
                (unsigned long long)c->id, c->host, c->port, c->path);
        if (c->w->m->cb.on_ws_state && !c->w->m->closing)
            c->w->m->cb.on_ws_state(c->w->m->cb.user, c->id, c->agent_eid,
                                    c->expect_peer, true);
        if (c->q.count)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        c = lws_get_opaque_user_data(wsi);
        if (!c)
            return -1;
        return ws_receive(c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        c = lws_get_opaque_user_data(wsi);
        if (!c)
            return 0;
        return ws_writeable(c, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        c = lws_get_opaque_user_data(wsi);
        if (c) {
            char repr[96];
            UB_LOGW(MTP_LOG, "ws client %llu: connection error: %s",
                    (unsigned long long)c->id,
                    in ? ub_log_repr(repr, sizeof(repr), in,
                                     strnlen(in, 200), 80)
                       : "?");
            lws_set_opaque_user_data(wsi, NULL);
            ws_session_down(c);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c = lws_get_opaque_user_data(wsi);
        if (c) {
            lws_set_opaque_user_data(wsi, NULL);
            ws_session_down(c);
        }
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        /* a client wsi that died without CLOSED / CONNECTION_ERROR */
        if (lws_get_opaque_user_data(wsi)) {
            c = lws_get_opaque_user_data(wsi);
            lws_set_opaque_user_data(wsi, NULL);
            ws_session_down(c);
        }
        return 0;
    default:
        break;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* context                                                             */
/* ------------------------------------------------------------------ */

/* lws 4.1 loads its libuv glue as a plugin and dlclose()s it when a
 * context is finally destroyed.  With a foreign loop that last step can run
 * from one of the plugin's own uv close callbacks, which then returns into
 * unmapped code (seen: SIGSEGV in uv_run after teardown, about 1 run in 3).
 * Pinning the plugin with RTLD_NODELETE keeps its code mapped for the life
 * of the process; the handle is deliberately never closed. */
static void pin_evlib_plugin(void)
{
    static bool pinned;
    if (pinned)
        return;
    pinned = true;
    if (!dlopen(LWS_INSTALL_LIBDIR "/libwebsockets-evlib_uv.so",
                RTLD_NOW | RTLD_NODELETE))
        UB_LOGW(MTP_LOG, "cannot pin the lws uv plugin: %s", dlerror());
}

static int ws_get(struct usp_mtp *m, struct mtp__ws **out)
{
    if (m->ws) {
        *out = m->ws;
        return UB_OK;
    }
    struct mtp__ws *w = ub_calloc(1, sizeof(*w));
    if (!w)
        return UB_ENOMEM;
    w->m = m;
    ub_list_init(&w->conns);
    ub_strv_init(&w->agents, 100000);
    w->loops[0] = m->loop;
    w->protos[0].name = WS_PROTO;
    w->protos[0].callback = ws_callback;
    w->protos[0].per_session_data_size = sizeof(struct ws_pss);
    w->protos[0].rx_buffer_size = 16384;
    /* protos[1] stays all-zero: the list terminator */
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    pin_evlib_plugin();
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_LIBUV |
                   LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                   LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = w->loops;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = w->protos;
    info.user = w;
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        UB_LOGE(MTP_LOG, "lws_create_context failed (is "
                         "libwebsockets-evlib-uv installed?)");
        ub_strv_free(&w->agents);
        ub_free(w);
        return UB_EIO;
    }
    m->ws = w;
    m->live++; /* released when the context is gone */
    *out = w;
    return UB_OK;
}

static void fin_closed(uv_handle_t *h)
{
    struct mtp__ws *w = h->data;
    struct usp_mtp *m = w->m;
    ub_free(w);
    m->ws = NULL;
    mtp__live_put(m);
}

static void retry_closed(uv_handle_t *h)
{
    struct ws_conn *c = h->data;
    struct mtp__ws *w = c->w;
    c->retry_open = false;
    w->pending_handles--;
    ws_conn_free(c);
}

static void on_fin(uv_timer_t *t)
{
    /* step 0: wait for our client handles; 1: first lws_context_destroy
     * (lws closes its uv handles); 2: second one (frees the context);
     * 3: free what is left and close this timer. */
    struct mtp__ws *w = t->data;
    if (w->pending_handles) {
        uv_timer_start(&w->fin, on_fin, 1, 0);
        return;
    }
    if (w->fin_step < 2) {
        lws_context_destroy(w->ctx);
        if (++w->fin_step == 2)
            w->ctx = NULL;
        uv_timer_start(&w->fin, on_fin, 1, 0);
        return;
    }
    struct ub_list *l;
    while ((l = ub_list_first(&w->conns)))
        ws_conn_free(UB_CONTAINER_OF(l, struct ws_conn, link));
    ub_strv_free(&w->agents);
    ub_free(w->path_prefix);
    uv_close((uv_handle_t *)&w->fin, fin_closed);
}

/* A client session being forgotten: wait for its resolution, detach its
 * wsi if lws still has one (only at shutdown: lws_context_destroy closes
 * it), then close the retry timer, whose close callback frees it. */
static void ws_client_release(struct ws_conn *c)
{
    c->forget = true;
    if (c->resolving) {
        uv_cancel((uv_req_t *)&c->gai);
        return; /* on_resolved comes back here */
    }
    if (c->wsi) {
        if (!c->w->m->closing) {
            if (!c->closing) {
                c->closing = true;
                c->close_status = LWS_CLOSE_STATUS_NORMAL;
                lws_callback_on_writable(c->wsi);
            }
            return; /* session_down -> reaper comes back here */
        }
        lws_set_opaque_user_data(c->wsi, NULL);
        c->wsi = NULL;
    }
    if (c->retry_open && !uv_is_closing((uv_handle_t *)&c->retry)) {
        uv_timer_stop(&c->retry);
        uv_close((uv_handle_t *)&c->retry, retry_closed);
    }
}

static void ws_reap_clients(struct mtp__ws *w, bool all)
{
    struct ub_list *l = w->conns.next;
    while (l != &w->conns) {
        struct ws_conn *c = UB_CONTAINER_OF(l, struct ws_conn, link);
        l = l->next;
        if (c->is_client && (c->forget || all))
            ws_client_release(c);
    }
}

size_t mtp__ws_unsent(const struct usp_mtp *m)
{
    size_t n = 0;
    if (!m->ws)
        return 0;
    for (struct ub_list *l = m->ws->conns.next; l != &m->ws->conns;
         l = l->next) {
        struct ws_conn *c = UB_CONTAINER_OF(l, struct ws_conn, link);
        if (c->wsi && c->established && !c->closing)
            n += c->q.count;
    }
    return n;
}

void mtp__ws_reap(struct usp_mtp *m)
{
    struct mtp__ws *w = m->ws;
    if (!w)
        return;
    if (!m->closing) {
        ws_reap_clients(w, false);
        return;
    }
    if (w->fin_started) {
        ws_reap_clients(w, true);
        return;
    }
    w->fin_started = true;
    ws_reap_clients(w, true);
    uv_timer_init(m->loop, &w->fin);
    w->fin.data = w;
    uv_timer_start(&w->fin, on_fin, 0, 0);
}

/* ------------------------------------------------------------------ */
/* public API                                                          */
/* ------------------------------------------------------------------ */

int mtp__ws_send(struct usp_mtp *m, const struct usp_mtp_dest *d,
                 const uint8_t *bytes, size_t len)
{
    struct ws_conn *c = ws_find(m->ws, d->conn_id);
    if (!c || c->forget)
        return UB_ENOTFOUND;
    int err = mtp__queue_admit(m, &c->q, 0, 0, len);
    if (err)
        return err;
    struct mtp__item *it = NULL;
    err = mtp__item_new(LWS_PRE, bytes, len, &it);
    if (err)
        return err;
    mtp__queue_push(&c->q, it);
    if (c->wsi && c->established)
        lws_callback_on_writable(c->wsi);
    return UB_OK;
}

int usp_mtp_ws_listen(struct usp_mtp *m,
                      const struct usp_mtp_ws_server_config *cfg,
                      uint16_t *bound_port)
{
    if (!m || !cfg)
        return UB_EINVAL;
    if (m->closing)
        return UB_ESTATE;
    if ((cfg->cert_file != NULL) != (cfg->key_file != NULL))
        return UB_ECONFIG;
    struct mtp__ws *w = NULL;
    int err = ws_get(m, &w);
    if (err)
        return err;
    if (w->srv)
        return UB_EEXIST;
    const char *prefix = cfg->path_prefix ? cfg->path_prefix : "/usp/";
    if (prefix[0] != '/')
        return UB_EINVAL;
    w->path_prefix = ub_strdup(prefix);
    if (!w->path_prefix)
        return UB_ENOMEM;
    w->max_conns = cfg->max_conns ? cfg->max_conns : 1000;
    w->srv_policy.secs_since_valid_ping =
        (uint16_t)(cfg->ping_interval_s ? cfg->ping_interval_s : 30);
    w->srv_policy.secs_since_valid_hangup =
        (uint16_t)(cfg->idle_timeout_s ? cfg->idle_timeout_s : 90);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.vhost_name = "usp-server";
    info.port = cfg->port ? cfg->port : CONTEXT_PORT_NO_LISTEN_SERVER;
    info.iface = cfg->bind_addr;
    info.protocols = w->protos;
    info.user = w;
    info.retry_and_idle_policy = &w->srv_policy;
    if (cfg->cert_file) {
        /* without this option on the vhost lws silently serves plain TCP */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->cert_file;
        info.ssl_private_key_filepath = cfg->key_file;
        if (cfg->ca_file) {
            info.ssl_ca_filepath = cfg->ca_file;
            info.options |=
                LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
        }
    }
    if (!cfg->port) {
        /* lws treats port 0 as "no listen": pick a free one ourselves
         * (plain non-blocking syscalls, no loop turn) */
        const char *ip = cfg->bind_addr ? cfg->bind_addr : "0.0.0.0";
        struct sockaddr_storage ss;
        socklen_t sl;
        memset(&ss, 0, sizeof(ss));
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            sl = sizeof(*a4);
        } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            sl = sizeof(*a6);
        } else {
            return UB_ECONFIG;
        }
        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&ss, sl);
        if (!rc)
            rc = getsockname(fd, (struct sockaddr *)&ss, &sl);
        if (fd >= 0)
            close(fd);
        if (rc)
            return UB_EIO;
        info.port = ntohs(ss.ss_family == AF_INET ? a4->sin_port
                                                  : a6->sin6_port);
    }
    w->srv = lws_create_vhost(w->ctx, &info);
    if (!w->srv) {
        UB_LOGE(MTP_LOG, "ws: cannot listen on %s:%d",
                cfg->bind_addr ? cfg->bind_addr : "*", info.port);
        return UB_EIO;
    }
    if (bound_port)
        *bound_port = (uint16_t)lws_get_vhost_listen_port(w->srv);
    UB_LOGN(MTP_LOG, "ws: listening on %s:%d%s<agent>",
            cfg->bind_addr ? cfg->bind_addr : "*",
            lws_get_vhost_listen_port(w->srv), w->path_prefix);
    return UB_OK;
}

int usp_mtp_ws_add_agent(struct usp_mtp *m, const char *agent_eid)
{
    if (!m || !agent_eid || !*agent_eid || strlen(agent_eid) >= WS_EID_MAX)
        return UB_EINVAL;
    if (m->closing)
        return UB_ESTATE;
    struct mtp__ws *w = NULL;
    int err = ws_get(m, &w);
    if (err)
        return err;
    if (ws_agent_served(w, agent_eid))
        return UB_EEXIST;
    return ub_strv_add(&w->agents, agent_eid);
}

int usp_mtp_ws_remove_agent(struct usp_mtp *m, const char *agent_eid)
{
    struct mtp__ws *w = m ? m->ws : NULL;
    if (!w || !agent_eid)
        return UB_EINVAL;
    size_t i;
    for (i = 0; i < w->agents.n; i++)
        if (!strcmp(w->agents.v[i], agent_eid))
            break;
    if (i == w->agents.n)
        return UB_ENOTFOUND;
    ub_free(w->agents.v[i]);
    memmove(&w->agents.v[i], &w->agents.v[i + 1],
            (w->agents.n - i - 1) * sizeof(char *));
    w->agents.n--;
    for (struct ub_list *l = w->conns.next; l != &w->conns; l = l->next) {
        struct ws_conn *c = UB_CONTAINER_OF(l, struct ws_conn, link);
        if (!c->is_client && c->wsi && !strcmp(c->agent_eid, agent_eid) &&
            !c->closing) {
            c->closing = true;
            c->close_status = LWS_CLOSE_STATUS_GOINGAWAY;
            lws_callback_on_writable(c->wsi);
        }
    }
    return UB_OK;
}

/* ws://host[:port][/path] -> parts.  IPv6 literals in brackets. */
static int parse_url(const char *url, bool *tls, char **host, uint16_t *port,
                     char **path)
{
    const char *p;
    if (!strncmp(url, "ws://", 5)) {
        *tls = false;
        p = url + 5;
    } else if (!strncmp(url, "wss://", 6)) {
        *tls = true;
        p = url + 6;
    } else {
        return UB_EINVAL;
    }
    const char *hs = p, *he;
    if (*p == '[') {
        hs = p + 1;
        he = strchr(hs, ']');
        if (!he)
            return UB_EINVAL;
        p = he + 1;
    } else {
        he = p + strcspn(p, ":/?");
        p = he;
    }
    if (he == hs)
        return UB_EINVAL;
    unsigned long pn = *tls ? 443 : 80;
    if (*p == ':') {
        char *end;
        pn = strtoul(p + 1, &end, 10);
        if (end == p + 1 || pn == 0 || pn > 65535)
            return UB_EINVAL;
        p = end;
    }
    if (*p && *p != '/' && *p != '?')
        return UB_EINVAL;
    *host = ub_strndup(hs, (size_t)(he - hs));
    *path = ub_asprintf("%s%s", *p == '/' ? "" : "/", p);
    *port = (uint16_t)pn;
    if (!*host || !*path) {
        ub_free(*host);
        ub_free(*path);
        return UB_ENOMEM;
    }
    return UB_OK;
}

/* Percent-encodes everything but RFC 3986 unreserved characters and ':'
 * (endpoint ids are "scheme:authority:instance"). */
static char *query_encode(const char *s)
{
    struct ub_buf b;
    ub_buf_init(&b, 4 * WS_EID_MAX);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int err;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
            (ch >= '0' && ch <= '9') || strchr("-._~:", ch))
            err = ub_buf_append(&b, s, 1);
        else
            err = ub_buf_printf(&b, "%%%02X", ch);
        if (err)
            return NULL;
    }
    if (!b.data && ub_buf_append(&b, "", 0))
        return NULL;
    return ub_buf_take(&b, NULL);
}

int usp_mtp_ws_connect(struct usp_mtp *m,
                       const struct usp_mtp_ws_client_config *cfg,
                       uint64_t *conn_id)
{
    if (!m || !cfg || !cfg->url || !cfg->agent_eid || !*cfg->agent_eid ||
        !conn_id)
        return UB_EINVAL;
    if (m->closing)
        return UB_ESTATE;
    struct mtp__ws *w = NULL;
    int err = ws_get(m, &w);
    if (err)
        return err;
    struct ws_conn *c = ub_calloc(1, sizeof(*c));
    if (!c)
        return UB_ENOMEM;
    c->w = w;
    c->is_client = true;
    ub_list_init(&c->link);
    mtp__queue_init(&c->q);
    ub_buf_init(&c->rx, m->lim.max_record + 1);
    char *path = NULL;
    err = parse_url(cfg->url, &c->tls, &c->host, &c->port, &path);
    if (err) {
        ws_conn_free(c);
        return err;
    }
    char *eid = query_encode(cfg->agent_eid);
    c->path = eid ? ub_asprintf("%s%seid=%s", path,
                                strchr(path, '?') ? "&" : "?", eid)
                  : NULL;
    ub_free(eid);
    ub_free(path);
    c->agent_eid = ub_strdup(cfg->agent_eid);
    if (cfg->controller_eid)
        c->expect_peer = ub_strdup(cfg->controller_eid);
    if (!c->path || !c->agent_eid ||
        (cfg->controller_eid && !c->expect_peer)) {
        ws_conn_free(c);
        return UB_ENOMEM;
    }
    c->peer_eid = c->expect_peer ? ub_strdup(c->expect_peer) : NULL;
    c->tls_insecure = cfg->tls_insecure;
    c->policy.secs_since_valid_ping =
        (uint16_t)(cfg->ping_interval_s ? cfg->ping_interval_s : 30);
    c->policy.secs_since_valid_hangup =
        (uint16_t)(cfg->idle_timeout_s ? cfg->idle_timeout_s : 90);
    c->retry_min_ms = cfg->retry_min_ms ? cfg->retry_min_ms : 5000;
    c->retry_mult = cfg->retry_mult_permille ? cfg->retry_mult_permille
                                             : 2000;
    if (c->retry_mult < 1000)
        c->retry_mult = 1000;
    c->retry_max_ms = cfg->retry_max_ms ? cfg->retry_max_ms : 5120000;
    /* a vhost of its own: per-session TLS files */
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    char name[32];
    snprintf(name, sizeof(name), "usp-client-%u", w->next_vh++);
    info.vhost_name = name;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = w->protos;
    info.user = w;
    if (c->tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath = cfg->ca_file;
        info.client_ssl_cert_filepath = cfg->cert_file;
        info.client_ssl_private_key_filepath = cfg->key_file;
    }
    c->vh = lws_create_vhost(w->ctx, &info);
    if (!c->vh) {
        ws_conn_free(c);
        return UB_EIO;
    }
    uv_timer_init(m->loop, &c->retry);
    c->retry.data = c;
    c->retry_open = true;
    w->pending_handles++;
    c->id = m->next_conn_id++;
    ub_list_insert_tail(&w->conns, &c->link);
    ws_client_start(c);
    *conn_id = c->id;
    return UB_OK;
}

int usp_mtp_ws_close(struct usp_mtp *m, uint64_t conn_id)
{
    if (!m)
        return UB_EINVAL;
    struct ws_conn *c = ws_find(m->ws, conn_id);
    if (!c || c->forget)
        return UB_ENOTFOUND;
    if (c->is_client) {
        c->forget = true;
        mtp__reap_soon(m);
        return UB_OK;
    }
    if (c->wsi && !c->closing) {
        c->closing = true;
        c->close_status = LWS_CLOSE_STATUS_NORMAL;
        lws_callback_on_writable(c->wsi);
    }
    return UB_OK;
}
