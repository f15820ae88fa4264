/*
 * cwmp-sim: CWMP sessions over HTTP(S) with libcurl multi on the libuv loop,
 * device timers and the concurrency limit.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * A session is what a CPE does against its ACS (TR-069 3.7):
 *   POST Inform -> InformResponse; POST TransferComplete -> ...Response
 *   (when a transfer finished); POST empty -> an ACS request or 204;
 *   POST the answer to each request; ... until the ACS sends 204 (or an
 *   empty 200).
 * Each running session owns one curl multi handle and one easy handle.  A
 * multi per session, rather than one for the process, gives each session
 * its own connection cache: keep-alive stays inside the session (as on a
 * real CPE, whose TCP connection is its own) and one device never sends a
 * request over another device's connection, which an ACS that ties state to
 * a connection would misread.  The easy handle keeps the cookies
 * (CURLOPT_COOKIEFILE "") and the Digest state of the session; it is
 * re-added to its multi for every POST.  The multi runs on the loop through
 * the socket interface (docs/examples/multi-uv.c): uv_poll per socket,
 * a uv_timer per multi.
 *
 * Teardown happens in check_done() after curl_multi_socket_action has
 * returned, never inside a curl callback; the session memory is freed in
 * the close callback of its timer.
 *
 * Device timers: 'periodic' (repeating, ManagementServer.PeriodicInform*)
 * and 'wake', one-shot, armed at the earliest of the device's due times
 * (start spread, retry backoff, reboot, factory reset, ScheduleInform,
 * transfer completion).
 */
#include "sim_engine.h"

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RX_MAX (8u << 20)   /* largest ACS envelope accepted */
#define TX_MAX (64u << 20)  /* largest envelope we send (whole-tree GPV) */
#define MAX_MSGS 100000     /* messages in one session before giving up */
#define COOKIE_MAX 4096

enum sess_state {
    S_INFORM,   /* sent Inform, waiting for InformResponse */
    S_CPE_REQ,  /* sent TransferComplete */
    S_EMPTY,    /* sent an empty POST */
    S_RESPONSE, /* sent the answer to an ACS request */
};

struct sim_session {
    struct sim_device *dev;
    CURLM *multi;
    CURL *easy;
    bool added;
    uv_timer_t timer;
    struct curl_slist *hdrs;
    struct ub_buf rx;
    struct ub_buf tx;
    enum sess_state state;
    unsigned msgs;
    long connects;        /* TCP connections opened (keep-alive check) */
    bool finished;
    bool rx_new_response; /* echo-cookie-attrs: header parsing state */
    char cookie[COOKIE_MAX];
    char cookie_next[COOKIE_MAX];
    char errbuf[CURL_ERROR_SIZE];
    char url[1024];
    char user[256], pass[256];
};

struct sim_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct sim_session *s;
};

static void check_done(struct sim_session *s);
static void dev_rearm_wake(struct sim_device *d);
static void dev_arm_periodic(struct sim_device *d);

/* ------------------------------------------------------------------ */
/* JSON events                                                         */
/* ------------------------------------------------------------------ */

void sim_emit(struct sim_engine *e, const char *ev, const char *serial,
              const char *fields)
{
    struct ub_buf b;

    if (!e->o->json)
        return;
    ub_buf_init(&b, 64 * 1024);
    if (ub_buf_printf(&b, "{\"ev\":\"%s\"", ev) ||
        (serial && (ub_buf_appends(&b, ",\"serial\":") || sim_json_str(&b, serial))) ||
        (fields && *fields && (ub_buf_appends(&b, ",") || ub_buf_appends(&b, fields))) ||
        ub_buf_appends(&b, "}\n"))
        return; /* the buffer was freed by the failed append */
    fwrite(b.data, 1, b.len, stdout);
    fflush(stdout);
    ub_buf_free(&b);
}

void sim_print_summary(struct sim_engine *e)
{
    double el = (double)(ub_now_ms() - e->t_start) / 1000.0;
    double rate = el > 0 ? (double)e->ok / el : 0;

    if (e->o->json) {
        char f[256];
        snprintf(f, sizeof(f),
                 "\"sessions_ok\":%llu,\"sessions_failed\":%llu,"
                 "\"devices\":%zu,\"elapsed_s\":%.3f,\"sessions_per_s\":%.1f",
                 (unsigned long long)e->ok, (unsigned long long)e->failed, e->n,
                 el, rate);
        sim_emit(e, "summary", NULL, f);
    } else {
        printf("cwmp-sim: %zu devices, sessions ok %llu, failed %llu, "
               "%.3f s, %.1f sessions/s\n",
               e->n, (unsigned long long)e->ok, (unsigned long long)e->failed,
               el, rate);
        fflush(stdout);
    }
}

/* ------------------------------------------------------------------ */
/* curl multi on the loop                                              */
/* ------------------------------------------------------------------ */

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sim_sock *k = p->data;
    struct sim_session *s = k->s;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (!status && (events & UV_READABLE))
        flags |= CURL_CSELECT_IN;
    if (!status && (events & UV_WRITABLE))
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(s->multi, k->fd, flags, &running);
    check_done(s);
}

static void on_curl_timer(uv_timer_t *t)
{
    struct sim_session *s = t->data;
    int running;

    curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(s);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct sim_session *s = userp;

    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&s->timer);
    else
        uv_timer_start(&s->timer, on_curl_timer,
                       timeout_ms == 0 ? 1 : (uint64_t)timeout_ms, 0);
    return 0;
}

static void sock_closed(uv_handle_t *h)
{
    ub_free(h->data);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
    struct sim_session *s = userp;
    struct sim_sock *k = socketp;
    int ev = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (k) {
            uv_poll_stop(&k->poll);
            uv_close((uv_handle_t *)&k->poll, sock_closed);
            curl_multi_assign(s->multi, fd, NULL);
        }
        return 0;
    }
    if (!k) {
        k = ub_calloc(1, sizeof(*k));
        if (!k)
            return -1;
        k->fd = fd;
        k->s = s;
        if (uv_poll_init_socket(s->dev->eng->loop, &k->poll, fd) != 0) {
            ub_free(k);
            return -1;
        }
        k->poll.data = k;
        curl_multi_assign(s->multi, fd, k);
    }
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&k->poll, ev, on_poll);
    return 0;
}

static size_t write_cb(char *p, size_t sz, size_t n, void *userp)
{
    struct sim_session *s = userp;

    /* Exit (abort the transfer) if the ACS sends more than we accept. */
    if (ub_buf_append(&s->rx, p, sz * n))
        return 0;
    return sz * n;
}

/* echo-cookie-attrs: remember each response's Set-Cookie lines verbatim,
 * attributes and all, to send them back as the Cookie header. */
static size_t header_cb(char *p, size_t sz, size_t n, void *userp)
{
    struct sim_session *s = userp;
    size_t len = sz * n;
    static const char sc[] = "set-cookie:";

    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        s->rx_new_response = true;
        s->cookie_next[0] = 0;
        return len;
    }
    if (len == 2 && p[0] == '\r') {
        /* end of headers: a response with Set-Cookie replaces the jar */
        if (s->cookie_next[0])
            sim_strlcpy(s->cookie, s->cookie_next, sizeof(s->cookie));
        return len;
    }
    if (len > sizeof(sc) - 1 && strncasecmp(p, sc, sizeof(sc) - 1) == 0) {
        const char *v = p + sizeof(sc) - 1;
        size_t vl = len - (sizeof(sc) - 1), cur = strlen(s->cookie_next);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        if (cur + vl + 3 < sizeof(s->cookie_next)) {
            if (cur) {
                memcpy(s->cookie_next + cur, "; ", 2);
                cur += 2;
            }
            memcpy(s->cookie_next + cur, v, vl);
            s->cookie_next[cur + vl] = 0;
        }
    }
    return len;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

static void sess_freed(uv_handle_t *h)
{
    struct sim_session *s = h->data;

    ub_buf_free(&s->rx);
    ub_buf_free(&s->tx);
    ub_free(s);
}

static int sess_post(struct sim_session *s, const char *soap_action)
{
    const struct sim_opts *o = s->dev->eng->o;
    struct curl_slist *h = NULL, *t;
    char sa[160];

    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
    if (s->tx.len) {
        h = curl_slist_append(NULL, "Content-Type: text/xml; charset=\"utf-8\"");
        snprintf(sa, sizeof(sa), "SOAPAction: %s", soap_action ? soap_action : "");
        if (h && (t = curl_slist_append(h, sa)))
            h = t;
        else if (h) {
            curl_slist_free_all(h);
            h = NULL;
        }
    } else {
        /* empty POST: no body, no content type */
        h = curl_slist_append(NULL, "Content-Type:");
    }
    if (h && (t = curl_slist_append(h, "Expect:")))
        h = t;
    if (!h)
        return UB_ENOMEM;
    s->hdrs = h;
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->tx.len ? s->tx.data : "");
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->tx.len);
    if ((o->quirks & SIM_Q_ECHO_COOKIE) && s->cookie[0])
        curl_easy_setopt(s->easy, CURLOPT_COOKIE, s->cookie);
    ub_buf_reset(&s->rx);
    if (curl_multi_add_handle(s->multi, s->easy) != CURLM_OK)
        return UB_EIO;
    s->added = true;
    return UB_OK;
}

/* Encodes m (taken) into s->tx, applies the output quirks and posts it. */
static int sess_send(struct sim_session *s, struct cwmp_msg *m,
                     const char *soap_action)
{
    struct sim_engine *e = s->dev->eng;
    int err;

    ub_buf_free(&s->tx);
    ub_buf_init(&s->tx, TX_MAX);
    err = cwmp_encode(e->codec, m, &s->tx);
    cwmp_msg_free(m);
    if (!err)
        err = sim_quirks_apply(e->o->quirks, &s->tx);
    if (!err)
        err = sess_post(s, soap_action);
    return err;
}

static int sess_send_empty(struct sim_session *s)
{
    ub_buf_free(&s->tx);
    ub_buf_init(&s->tx, TX_MAX);
    s->state = S_EMPTY;
    return sess_post(s, NULL);
}

/* After the InformResponse or the answer to a CPE request: the next CPE
 * request, or the empty POST that hands over to the ACS. */
static int sess_next_cpe_step(struct sim_session *s, bool hold)
{
    struct cwmp_msg *m = NULL;
    int err;

    if (!hold) {
        err = sim_cpe_next_request(&s->dev->cpe, ub_now_ms(), &m);
        if (err)
            return err;
        if (m) {
            s->state = S_CPE_REQ;
            return sess_send(s, m, "\"urn:dslforum-org:cwmp-1-0#TransferComplete\"");
        }
    }
    return sess_send_empty(s);
}

static void dev_after_session(struct sim_device *d, bool ok);

static void sess_finish(struct sim_session *s, bool ok, long http,
                        const char *why)
{
    struct sim_device *d = s->dev;
    struct sim_engine *e = d->eng;
    char f[512];

    if (s->finished)
        return;
    s->finished = true;
    if (s->added)
        curl_multi_remove_handle(s->multi, s->easy);
    curl_easy_cleanup(s->easy);
    curl_multi_cleanup(s->multi); /* closes the session's connection */
    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, sess_freed);
    d->sess = NULL;
    e->active--;
    if (ok)
        e->ok++;
    else
        e->failed++;
    {
        struct ub_buf b;
        int n = snprintf(f, sizeof(f),
                         "\"ok\":%s,\"http\":%ld,\"messages\":%u,\"connects\":%ld",
                         ok ? "true" : "false", http, s->msgs, s->connects);
        ub_buf_init(&b, sizeof(f));
        if (why && n > 0 && !ub_buf_appends(&b, ",\"error\":") &&
            !sim_json_str(&b, why) && (size_t)n + b.len < sizeof(f))
            memcpy(f + n, b.data, b.len + 1);
        ub_buf_free(&b);
    }
    sim_emit(e, "session_end", d->cpe.mac.serial, f);
    if (!e->o->json && !ok)
        UB_LOGW("cwmp-sim", "%s: session failed (http %ld): %s",
                d->cpe.mac.serial, http, why ? why : "");
    dev_after_session(d, ok);
    /* start queued devices */
    while (!e->stopping && e->active < e->o->max_concurrent &&
           !ub_list_empty(&e->waitq)) {
        struct ub_list *l = ub_list_first(&e->waitq);
        struct sim_device *q = UB_CONTAINER_OF(l, struct sim_device, qlink);
        ub_list_remove(l);
        q->queued = false;
        sim_device_want_session(q);
    }
}

/* Handles a complete HTTP response of the session. */
static void sess_on_response(struct sim_session *s, CURLcode cc)
{
    struct sim_device *d = s->dev;
    struct sim_engine *e = d->eng;
    struct cwmp_msg *m = NULL, *resp = NULL;
    char err[160] = "", f[160];
    long http = 0;
    int rc;

    long nc = 0;

    curl_multi_remove_handle(s->multi, s->easy);
    s->added = false;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &http);
    if (curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK)
        s->connects += nc;
    if (cc != CURLE_OK) {
        sess_finish(s, false, http, s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
        return;
    }
    if (http == 401 || http == 407) {
        snprintf(f, sizeof(f), "\"http\":%ld,\"side\":\"acs\"", http);
        sim_emit(e, "auth_failed", d->cpe.mac.serial, f);
        sess_finish(s, false, http, "authentication failed");
        return;
    }
    if (http != 200 && http != 204) {
        sess_finish(s, false, http, "unexpected HTTP status");
        return;
    }
    if (++s->msgs > MAX_MSGS) {
        sess_finish(s, false, http, "too many messages in one session");
        return;
    }
    if (s->rx.len == 0 || http == 204) {
        /* the ACS has nothing more: the session ends here, unless it had
         * to answer our Inform or TransferComplete */
        if (s->state == S_INFORM || s->state == S_CPE_REQ)
            sess_finish(s, false, http, "empty answer to a CPE request");
        else
            sess_finish(s, true, http, NULL);
        return;
    }
    if ((e->o->quirks & SIM_Q_NAIVE_PARSER) && !sim_quirks_naive_ok(s->rx.data)) {
        /* a CPE that parses by string matching does not understand it */
        sess_finish(s, false, http, "naive parser: no literal cwmp: prefix "
                                    "or cwmp:ID header");
        return;
    }
    rc = cwmp_decode(e->codec, s->rx.data, s->rx.len, &m, err, sizeof(err));
    if (rc == UB_ENOTSUP && m) {
        /* an RPC this CPE does not know: fault 9000 with its ID */
        rc = sim_cpe_handle(&d->cpe, m, &resp);
        cwmp_msg_free(m);
        m = NULL;
        if (!rc) {
            sim_emit(e, "rpc", d->cpe.mac.serial, "\"method\":\"unknown\"");
            s->state = S_RESPONSE;
            rc = sess_send(s, resp, "\"\"");
        }
        if (rc)
            sess_finish(s, false, http, ub_strerror(rc));
        return;
    }
    if (rc) {
        sess_finish(s, false, http, err[0] ? err : "undecodable envelope");
        return;
    }
    if (m->kind != CWMP_REQUEST) {
        /* the ACS answers one of our requests */
        if (s->state == S_INFORM && m->method == CWMP_M_INFORM &&
            m->kind == CWMP_RESPONSE) {
            sim_cpe_inform_acked(&d->cpe);
            rc = sess_next_cpe_step(s, m->hold_requests);
        } else if (s->state == S_CPE_REQ && m->kind == CWMP_RESPONSE &&
                   m->method == CWMP_M_TRANSFER_COMPLETE) {
            sim_cpe_request_acked(&d->cpe, m);
            rc = sess_next_cpe_step(s, m->hold_requests);
        } else {
            snprintf(err, sizeof(err), "unexpected %s %s",
                     cwmp_method_name(m->method),
                     m->kind == CWMP_FAULT ? "fault" : "response");
            if (m->kind == CWMP_FAULT) {
                snprintf(f, sizeof(f), "\"method\":\"%s\",\"fault\":%u",
                         cwmp_method_name(m->method), m->fault.code);
                sim_emit(e, "acs_fault", d->cpe.mac.serial, f);
            }
            cwmp_msg_free(m);
            sess_finish(s, false, http, err);
            return;
        }
        cwmp_msg_free(m);
        if (rc)
            sess_finish(s, false, http, ub_strerror(rc));
        return;
    }
    /* an ACS request */
    if (s->state == S_INFORM || s->state == S_CPE_REQ) {
        cwmp_msg_free(m);
        sess_finish(s, false, http, "ACS request before the answer to ours");
        return;
    }
    snprintf(f, sizeof(f), "\"method\":\"%s\"", cwmp_method_name(m->method));
    sim_emit(e, "rpc", d->cpe.mac.serial, f);
    rc = sim_cpe_handle(&d->cpe, m, &resp);
    cwmp_msg_free(m);
    if (!rc) {
        if (resp->kind == CWMP_FAULT) {
            snprintf(f, sizeof(f), "\"method\":\"%s\",\"fault\":%u",
                     cwmp_method_name(resp->method), resp->fault.code);
            sim_emit(e, "rpc_fault", d->cpe.mac.serial, f);
        }
        s->state = S_RESPONSE;
        rc = sess_send(s, resp, "\"\"");
    }
    if (rc)
        sess_finish(s, false, http, ub_strerror(rc));
}

static void check_done(struct sim_session *s)
{
    CURLMsg *msg;
    int left;

    while (!s->finished && (msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg == CURLMSG_DONE) {
            sess_on_response(s, msg->data.result);
            return; /* one transfer per session at a time */
        }
    }
}

static int sess_setup_easy(struct sim_session *s)
{
    struct sim_device *d = s->dev;
    const struct sim_opts *o = d->eng->o;
    CURL *c = s->easy;
    long auth = CURLAUTH_NONE;

    sim_cpe_ms_get(&d->cpe, "URL", s->url, sizeof(s->url));
    sim_cpe_ms_get(&d->cpe, "Username", s->user, sizeof(s->user));
    sim_cpe_ms_get(&d->cpe, "Password", s->pass, sizeof(s->pass));
    if (!s->url[0])
        return UB_ECONFIG;
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cwmp-sim/" "0.1");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->http_timeout_s * 1000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    /* curl's default upload buffer is 64 KB per handle: 64 MB for 1,000
     * concurrent sessions.  16 KB (the minimum) is plenty for envelopes. */
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 16384L);
    if (o->quirks & SIM_Q_ECHO_COOKIE) {
        /* no cookie engine: the raw Set-Cookie goes back as it came */
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    } else {
        curl_easy_setopt(c, CURLOPT_COOKIEFILE, ""); /* per-session jar */
    }
    if (o->quirks & SIM_Q_BASIC_UPFRONT)
        auth = CURLAUTH_BASIC;
    else if (o->auth == SIM_AUTH_BASIC)
        auth = CURLAUTH_BASIC;
    else if (o->auth == SIM_AUTH_DIGEST)
        auth = CURLAUTH_DIGEST;
    else if (o->auth == SIM_AUTH_ANY)
        auth = CURLAUTH_ANY;
    if (auth != CURLAUTH_NONE) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, auth);
        curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->pass);
    }
    if (o->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
    if (o->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->cert)
        curl_easy_setopt(c, CURLOPT_SSLCERT, o->cert);
    if (o->key)
        curl_easy_setopt(c, CURLOPT_SSLKEY, o->key);
    return UB_OK;
}

static void sess_start(struct sim_device *d)
{
    struct sim_engine *e = d->eng;
    struct sim_session *s = ub_calloc(1, sizeof(*s));
    struct cwmp_msg *inf = NULL;
    int err = UB_ENOMEM;

    if (!s)
        goto fail_early;
    s->dev = d;
    ub_buf_init(&s->rx, RX_MAX);
    ub_buf_init(&s->tx, TX_MAX);
    s->multi = curl_multi_init();
    s->easy = curl_easy_init();
    if (!s->multi || !s->easy) {
        if (s->multi)
            curl_multi_cleanup(s->multi);
        if (s->easy)
            curl_easy_cleanup(s->easy);
        ub_free(s);
        goto fail_early;
    }
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    uv_timer_init(e->loop, &s->timer);
    s->timer.data = s;
    d->sess = s;
    e->active++;
    e->started++;
    sim_emit(e, "session_start", d->cpe.mac.serial, NULL);
    err = sess_setup_easy(s);
    if (!err)
        err = sim_cpe_inform(&d->cpe, d->retries, &inf);
    if (!err) {
        s->state = S_INFORM;
        err = sess_send(s, inf, "\"urn:dslforum-org:cwmp-1-0#Inform\"");
    }
    if (err)
        sess_finish(s, false, 0, ub_strerror(err));
    return;
fail_early:
    e->failed++;
    UB_LOGE("cwmp-sim", "%s: cannot start a session: %s", d->cpe.mac.serial,
            ub_strerror(err));
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

static bool dev_has_work(const struct sim_device *d)
{
    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++)
        if (d->cpe.xfer[i].used && d->cpe.xfer[i].complete)
            return true;
    return d->cpe.n_ev > 0;
}

void sim_device_want_session(struct sim_device *d)
{
    struct sim_engine *e = d->eng;

    if (e->stopping || d->done || d->sess || d->queued)
        return;
    if (d->start_due || d->boot_due || d->reset_due)
        return; /* not started yet, or rebooting: the wake timer decides */
    if (e->active >= e->o->max_concurrent) {
        ub_list_insert_tail(&e->waitq, &d->qlink);
        d->queued = true;
        return;
    }
    sess_start(d);
}

static void dev_after_session(struct sim_device *d, bool ok)
{
    struct sim_engine *e = d->eng;
    const struct sim_opts *o = e->o;
    struct sim_cpe *c = &d->cpe;
    uint64_t now = ub_now_ms();
    int err;

    if (ok) {
        d->retries = 0;
        d->retry_due = 0;
        err = sim_cpe_save(c);
        if (err)
            UB_LOGW("cwmp-sim", "%s: cannot write state: %s", c->mac.serial,
                    ub_strerror(err));
    } else {
        sim_cpe_session_failed(c);
        d->retries++;
    }
    if (o->sessions) {
        d->sessions_done++;
        if (d->sessions_done >= o->sessions) {
            d->done = true;
            uv_timer_stop(&d->periodic);
            uv_timer_stop(&d->wake);
            e->done_devices++;
            if (e->done_devices == e->n)
                sim_engine_stop(e);
            return;
        }
        /* --sessions K: the next one right away */
        if (!dev_has_work(d))
            sim_cpe_event(c, "2 PERIODIC", NULL);
        sim_device_want_session(d);
        return;
    }
    if (!ok) {
        /* TR-069 3.2.1.1 retry: m * k^(n-1) .. m * k^n seconds, m=5, k=2 */
        unsigned n = d->retries > 10 ? 10 : d->retries;
        uint64_t lo = 5000ull << (n - 1), span = lo;
        d->retry_due = now + lo + (uint64_t)rand() % (span + 1);
        if (d->retry_due - now > 600000)
            d->retry_due = now + 600000;
        dev_rearm_wake(d);
        return;
    }
    if (c->after & SIM_AFTER_PERIODIC) {
        c->after &= ~SIM_AFTER_PERIODIC;
        dev_arm_periodic(d);
    }
    if (c->after & SIM_AFTER_FACTORY_RESET) {
        c->after = 0;
        d->reset_due = now + o->reboot_delay_ms + 1;
    } else if (c->after & SIM_AFTER_REBOOT) {
        d->boot_due = now + o->reboot_delay_ms + 1;
    }
    if (c->after & SIM_AFTER_SCHEDULE_INFORM) {
        c->after &= ~SIM_AFTER_SCHEDULE_INFORM;
        d->sched_due = now + 1000ull * c->sched_delay;
    }
    if (c->after & SIM_AFTER_ACS_CHANGE) {
        c->after &= ~SIM_AFTER_ACS_CHANGE;
        c->bootstrapped = false;
        sim_cpe_event(c, (o->quirks & SIM_Q_PERIODIC_FIRST) ? "2 PERIODIC"
                                                            : "0 BOOTSTRAP",
                      NULL);
    }
    c->after &= ~SIM_AFTER_TRANSFER;
    dev_rearm_wake(d);
    if (dev_has_work(d))
        sim_device_want_session(d);
}

static void on_wake(uv_timer_t *t)
{
    struct sim_device *d = t->data;
    struct sim_cpe *c = &d->cpe;
    uint64_t now = ub_now_ms();
    bool want = false;

    if (d->start_due && d->start_due <= now) {
        d->start_due = 0;
        want = true;
    }
    if (d->retry_due && d->retry_due <= now) {
        d->retry_due = 0;
        want = true;
    }
    if (d->reset_due && d->reset_due <= now) {
        d->reset_due = 0;
        if (sim_cpe_do_factory_reset(c) == UB_OK) {
            sim_emit(d->eng, "factory_reset", c->mac.serial, NULL);
            dev_arm_periodic(d);
        }
        want = true;
    }
    if (d->boot_due && d->boot_due <= now) {
        d->boot_due = 0;
        sim_cpe_do_reboot(c);
        sim_emit(d->eng, "reboot", c->mac.serial, NULL);
        want = true;
    }
    if (d->sched_due && d->sched_due <= now) {
        d->sched_due = 0;
        sim_cpe_event(c, "3 SCHEDULED", NULL);
        sim_cpe_event(c, "M ScheduleInform", c->sched_key);
        want = true;
    }
    if (sim_cpe_transfers_tick(c, now)) {
        sim_emit(d->eng, "transfer_complete", c->mac.serial, NULL);
        want = true;
    }
    dev_rearm_wake(d);
    if (want && dev_has_work(d))
        sim_device_want_session(d);
}

static void dev_rearm_wake(struct sim_device *d)
{
    uint64_t due = 0, now = ub_now_ms(), x = sim_cpe_transfer_due(&d->cpe);
    uint64_t c[] = {d->start_due, d->retry_due, d->boot_due, d->reset_due,
                    d->sched_due, x};

    if (d->done || d->eng->stopping)
        return;
    for (size_t i = 0; i < UB_ARRAY_LEN(c); i++)
        if (c[i] && (!due || c[i] < due))
            due = c[i];
    if (!due) {
        uv_timer_stop(&d->wake);
        return;
    }
    uv_timer_start(&d->wake, on_wake, due > now ? due - now : 0, 0);
}

static void on_periodic(uv_timer_t *t)
{
    struct sim_device *d = t->data;

    sim_cpe_event(&d->cpe, "2 PERIODIC", NULL);
    sim_device_want_session(d);
}

static void dev_arm_periodic(struct sim_device *d)
{
    unsigned s = d->eng->o->sessions ? 0 : sim_cpe_periodic_interval(&d->cpe);

    if (s == d->periodic_s && uv_is_active((uv_handle_t *)&d->periodic))
        return;
    d->periodic_s = s;
    uv_timer_stop(&d->periodic);
    if (s)
        uv_timer_start(&d->periodic, on_periodic, 1000ull * s, 1000ull * s);
}

/* ------------------------------------------------------------------ */
/* Engine                                                              */
/* ------------------------------------------------------------------ */

struct sim_device *sim_engine_find(struct sim_engine *e, const char *serial)
{
    size_t lo = 0, hi = e->n;

    /* serials are generated zero-padded, hence sorted */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(e->devs[mid].cpe.mac.serial, serial);
        if (c == 0)
            return &e->devs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct sim_engine *e = s->data;
    (void)signum;
    sim_engine_stop(e);
}

static void on_duration(uv_timer_t *t)
{
    sim_engine_stop(t->data);
}

int sim_engine_init(struct sim_engine *e, uv_loop_t *loop,
                    const struct sim_opts *o)
{
    char err[512] = "";
    unsigned width = 6;
    int rc;

    memset(e, 0, sizeof(*e));
    e->loop = loop;
    e->o = o;
    ub_list_init(&e->waitq);
    rc = sim_model_load(o->model_file, &e->model, err, sizeof(err));
    if (rc) {
        UB_LOGE("cwmp-sim", "model: %s", err);
        return rc;
    }
    e->ccfg.model = e->model;
    e->ccfg.quirks = o->quirks;
    e->ccfg.gpv_limit = o->gpv_limit;
    e->ccfg.transfer_s = o->transfer_s;
    e->ccfg.state_dir = o->state_dir;
    e->ccfg.version = o->version;
    rc = cwmp_codec_create(NULL, &e->codec);
    if (rc)
        return rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return UB_EIO;
    if (o->cr_port >= 0) {
        rc = sim_cr_start(e, &e->cr);
        if (rc)
            return rc;
        snprintf(e->cr_base, sizeof(e->cr_base), "http://%s:%u/cr/",
                 strcmp(o->cr_bind, "0.0.0.0") == 0 ? "127.0.0.1" : o->cr_bind,
                 (unsigned)sim_cr_port(e->cr));
    }
    e->devs = ub_calloc(o->count, sizeof(*e->devs));
    if (!e->devs)
        return UB_ENOMEM;
    for (unsigned n = o->count; n >= 1000000; n /= 10)
        width++;
    for (unsigned i = 0; i < o->count; i++) {
        struct sim_device *d = &e->devs[i];
        char serial[128], crurl[512];
        struct sim_macros mac = {0};

        snprintf(serial, sizeof(serial), "%s%0*u", o->serial_prefix, (int)width,
                 i + 1);
        snprintf(crurl, sizeof(crurl), "%s%s", e->cr_base, serial);
        mac.serial = serial;
        mac.oui = o->oui;
        mac.product_class = o->product_class;
        mac.manufacturer = o->manufacturer;
        mac.acs_url = o->acs_url;
        mac.acs_user = o->username;
        mac.acs_pass = o->password;
        mac.cr_url = e->cr ? crurl : "";
        mac.cr_user = o->cr_username;
        mac.cr_pass = o->cr_password;
        mac.periodic = o->periodic;
        mac.idx = i + 1;
        d->eng = e;
        d->idx = i + 1;
        ub_list_init(&d->qlink);
        rc = sim_cpe_init(&d->cpe, &e->ccfg, &mac, o->first_event);
        if (rc) {
            UB_LOGE("cwmp-sim", "%s: %s", serial, ub_strerror(rc));
            return rc;
        }
        /* the command line wins over a saved CR URL and periodic setting */
        e->n = i + 1;
        uv_timer_init(loop, &d->periodic);
        uv_timer_init(loop, &d->wake);
        d->periodic.data = d;
        d->wake.data = d;
    }
    uv_signal_init(loop, &e->sigterm);
    uv_signal_init(loop, &e->sigint);
    e->sigterm.data = e->sigint.data = e;
    uv_timer_init(loop, &e->duration);
    e->duration.data = e;
    e->handles_ready = true;
    if (o->control_port >= 0) {
        rc = sim_control_start(e, &e->ctl);
        if (rc)
            return rc;
    }
    return UB_OK;
}

void sim_engine_start(struct sim_engine *e)
{
    const struct sim_opts *o = e->o;
    char f[600];

    e->t_start = ub_now_ms();
    uv_signal_start(&e->sigterm, on_signal, SIGTERM);
    uv_signal_start(&e->sigint, on_signal, SIGINT);
    if (o->duration_s)
        uv_timer_start(&e->duration, on_duration, 1000ull * o->duration_s, 0);
    for (size_t i = 0; i < e->n; i++) {
        struct sim_device *d = &e->devs[i];
        if (e->cr) {
            struct ub_buf b;
            char url[512];
            snprintf(url, sizeof(url), "%s%s", e->cr_base, d->cpe.mac.serial);
            ub_buf_init(&b, sizeof(f));
            if (!ub_buf_appends(&b, "\"url\":") && !sim_json_str(&b, url)) {
                sim_emit(e, "cr_listen", d->cpe.mac.serial, b.data);
                ub_buf_free(&b);
            }
        }
        dev_arm_periodic(d);
        /* spread the first sessions over --ramp */
        if (o->ramp_ms && e->n > 1) {
            d->start_due = e->t_start + 1 + (uint64_t)o->ramp_ms * i / e->n;
            dev_rearm_wake(d);
        } else {
            sim_device_want_session(d);
        }
    }
}

static void close_if_open(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void sim_engine_stop(struct sim_engine *e)
{
    if (e->stopping)
        return;
    e->stopping = true;
    for (size_t i = 0; i < e->n; i++) {
        struct sim_device *d = &e->devs[i];
        if (d->queued) {
            ub_list_remove(&d->qlink);
            d->queued = false;
        }
        if (d->sess)
            sess_finish(d->sess, false, 0, "stopped");
        if (sim_cpe_save(&d->cpe) != UB_OK)
            UB_LOGW("cwmp-sim", "%s: cannot write state", d->cpe.mac.serial);
        close_if_open((uv_handle_t *)&d->periodic);
        close_if_open((uv_handle_t *)&d->wake);
    }
    if (e->handles_ready) {
        close_if_open((uv_handle_t *)&e->sigterm);
        close_if_open((uv_handle_t *)&e->sigint);
        close_if_open((uv_handle_t *)&e->duration);
    }
    if (e->cr) {
        sim_cr_stop(e->cr);
        e->cr = NULL;
    }
    if (e->ctl) {
        sim_control_stop(e->ctl);
        e->ctl = NULL;
    }
    sim_print_summary(e);
}

void sim_engine_free(struct sim_engine *e)
{
    for (size_t i = 0; i < e->n; i++)
        sim_cpe_free(&e->devs[i].cpe);
    ub_free(e->devs);
    cwmp_codec_destroy(e->codec);
    sim_model_free(e->model);
    curl_global_cleanup();
}
