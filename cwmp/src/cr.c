/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: Connection Requests (TR-069 §3.2.2): an HTTP GET to the CPE's
 * ConnectionRequestURL with Digest (or Basic) credentials, through libcurl's
 * multi-socket API on the server's loop (the docs/examples/multi-uv.c
 * shape): one uv_poll per curl socket (curl_multi_assign), one uv_timer
 * for curl's timeout, CURLOPT_NOSIGNAL, no blocking call anywhere.
 *
 * Outcome: HTTP 200 or 204 is success.  401 after curl tried the
 * credentials is UB_EAUTH (no retry: the password will not improve).
 * Connect errors, timeouts and 5xx are retried cr_retries times after
 * cr_backoff_ms, doubling (a uv_timer per request, never a sleep); the
 * final error is UB_ETIMEDOUT, UB_EIO or UB_EPROTO (other statuses).
 * on_cr_result runs exactly once per accepted request.
 *
 * Bounds: cr_max_inflight requests at once (UB_EFULL), one per device and
 * at most one started per cr_min_interval_s (UB_EAGAIN).  The device entry
 * (session.c) carries the rate-limit state.
 */
#include "cwmp_int.h"

#include <curl/curl.h>
#include <string.h>

struct cwmp__cr {
    struct ub_list link;       /* server.cr_list */
    struct cwmp_server *srv;
    CURL *easy;                /* NULL between attempts */
    uv_timer_t retry;          /* backoff timer (initialised once) */
    bool retry_init;
    unsigned attempt;          /* 0 = first */
    char *url, *user, *pw;
    char errbuf[CURL_ERROR_SIZE];
    char key[CWMP_DEVKEY_MAX];
};

struct cr_sock {
    uv_poll_t poll;
    struct cwmp_server *srv;
    curl_socket_t fd;
};

static void cr_attempt(struct cwmp__cr *cr);
static void cr_check_done(struct cwmp_server *s);

/* ------------------------------------------------------------------ */
/* curl <-> uv                                                          */
/* ------------------------------------------------------------------ */

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct cr_sock *cs = p->data;
    struct cwmp_server *s = cs->srv;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(s->curlm, cs->fd, flags, &running);
    cr_check_done(s);
}

static void on_sock_closed(uv_handle_t *h)
{
    struct cr_sock *cs = h->data;
    struct cwmp_server *s = cs->srv;

    ub_free(cs);
    /* h->data pointed at cs: account through the server directly. */
    if (--s->handles_open == 0 && s->stop_done) {
        void (*done)(void *) = s->stop_done;
        s->stop_done = NULL;
        done(s->stop_user);
    }
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *userp,
                   void *sockp)
{
    struct cwmp_server *s = userp;
    struct cr_sock *cs = sockp;
    int ev = 0;

    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (cs) {
            uv_poll_stop(&cs->poll);
            curl_multi_assign(s->curlm, fd, NULL);
            uv_close((uv_handle_t *)&cs->poll, on_sock_closed);
        }
        return 0;
    }
    if (!cs) {
        cs = ub_malloc(sizeof(*cs));
        if (!cs)
            return -1;
        cs->srv = s;
        cs->fd = fd;
        if (uv_poll_init_socket(s->loop, &cs->poll, fd) != 0) {
            ub_free(cs);
            return -1;
        }
        cs->poll.data = cs;
        s->handles_open++;
        curl_multi_assign(s->curlm, fd, cs);
    }
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&cs->poll, ev, on_poll);
    return 0;
}

static void on_curl_timer(uv_timer_t *t)
{
    struct cwmp_server *s = t->data;
    int running;

    curl_multi_socket_action(s->curlm, CURL_SOCKET_TIMEOUT, 0, &running);
    cr_check_done(s);
}

static int timer_cb(CURLM *m, long ms, void *userp)
{
    struct cwmp_server *s = userp;

    (void)m;
    if (s->stopping && !s->curlm)
        return 0;
    if (ms < 0)
        uv_timer_stop(&s->cr_timer);
    else
        uv_timer_start(&s->cr_timer, on_curl_timer, ms == 0 ? 1 : (uint64_t)ms,
                       0);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

static void cr_free(struct cwmp__cr *cr)
{
    if (cr->pw) {
        explicit_bzero(cr->pw, strlen(cr->pw));
        ub_free(cr->pw);
    }
    ub_free(cr->user);
    ub_free(cr->url);
    ub_free(cr);
}

static void on_retry_closed(uv_handle_t *h)
{
    struct cwmp__cr *cr = h->data;
    struct cwmp_server *s = cr->srv;

    cr_free(cr);
    if (--s->handles_open == 0 && s->stop_done) {
        void (*done)(void *) = s->stop_done;
        s->stop_done = NULL;
        done(s->stop_user);
    }
}

/* Reports and disposes of cr (removed from the list). */
static void cr_finish(struct cwmp__cr *cr, int err, long status)
{
    struct cwmp_server *s = cr->srv;
    struct cwmp__device *d;

    ub_list_remove(&cr->link);
    s->cr_inflight--;
    if (err)
        s->stats.cr_failed++;
    d = cwmp__dev_find(s, cr->key);
    if (d) {
        d->cr_inflight = false;
        d->pin++;
    }
    UB_LOGI(CWMP__LOG, "connection request %s: %s (HTTP %ld)", cr->key,
            err ? ub_strerror(err) : "ok", status);
    if (s->cb.on_cr_result)
        s->cb.on_cr_result(s->cb.user, cr->key, err, status);
    if (d) {
        d->pin--;
        cwmp__dev_release(s, d);
    }
    if (cr->retry_init)
        uv_close((uv_handle_t *)&cr->retry, on_retry_closed);
    else
        cr_free(cr);
}

static void on_retry(uv_timer_t *t)
{
    cr_attempt(t->data);
}

static void cr_done(struct cwmp__cr *cr, CURLcode rc)
{
    struct cwmp_server *s = cr->srv;
    long status = 0;
    int err;
    bool retry;

    curl_easy_getinfo(cr->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(s->curlm, cr->easy);
    curl_easy_cleanup(cr->easy);
    cr->easy = NULL;
    if (rc == CURLE_OK && (status == 200 || status == 204)) {
        cr_finish(cr, UB_OK, status);
        return;
    }
    if (rc == CURLE_OK && (status == 401 || status == 403)) {
        cr_finish(cr, UB_EAUTH, status);
        return;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        err = UB_ETIMEDOUT;
        retry = true;
    } else if (rc != CURLE_OK) {
        err = UB_EIO;
        retry = true;
    } else {
        err = UB_EPROTO;
        retry = status >= 500;
    }
    UB_LOGD(CWMP__LOG, "connection request %s attempt %u: %s %s (HTTP %ld)",
            cr->key, cr->attempt + 1, curl_easy_strerror(rc), cr->errbuf,
            status);
    if (!retry || cr->attempt >= s->cfg.cr_retries || s->stopping) {
        cr_finish(cr, err, status);
        return;
    }
    if (!cr->retry_init) {
        uv_timer_init(s->loop, &cr->retry);
        cr->retry.data = cr;
        cr->retry_init = true;
        s->handles_open++;
    }
    {
        uint64_t delay = s->cfg.cr_backoff_ms;
        unsigned i;
        for (i = 0; i < cr->attempt && delay < 3600 * 1000; i++)
            delay *= 2;
        cr->attempt++;
        uv_timer_start(&cr->retry, on_retry, delay, 0);
    }
}

static void cr_check_done(struct cwmp_server *s)
{
    CURLMsg *msg;
    int left;

    if (!s->curlm)
        return;
    while ((msg = curl_multi_info_read(s->curlm, &left))) {
        struct cwmp__cr *cr = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&cr);
        if (cr)
            cr_done(cr, msg->data.result);
    }
}

static void cr_attempt(struct cwmp__cr *cr)
{
    struct cwmp_server *s = cr->srv;
    CURL *e = curl_easy_init();

    if (!e) {
        cr_finish(cr, UB_ENOMEM, 0);
        return;
    }
    cr->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, cr->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, cr);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cr->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->cfg.cr_timeout_s * 1000);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)s->cfg.cr_timeout_s * 1000);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "uspbridge");
    if (cr->user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST | CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, cr->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, cr->pw ? cr->pw : "");
    }
    cr->easy = e;
    if (curl_multi_add_handle(s->curlm, e) != CURLM_OK) {
        cr->easy = NULL;
        curl_easy_cleanup(e);
        cr_finish(cr, UB_EIO, 0);
        return;
    }
    s->stats.cr_sent++;
}

int cwmp_connection_request(struct cwmp_server *s, const char *devkey,
                            const char *url, const char *username,
                            const char *password)
{
    struct cwmp__device *d;
    struct cwmp__cr *cr;
    uint64_t now = ub_now_ms();
    int err;

    if (!s || !devkey || !url)
        return UB_EINVAL;
    if (strlen(devkey) >= CWMP_DEVKEY_MAX)
        return UB_EINVAL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return UB_EINVAL;
    if (!s->started || s->stopping || !s->curlm)
        return UB_ESTATE;
    // Exit if this device was woken recently or is being woken now.
    d = cwmp__dev_find(s, devkey);
    if (d && (d->cr_inflight ||
              (d->cr_last_ms && now - d->cr_last_ms <
                                    (uint64_t)s->cfg.cr_min_interval_s * 1000)))
        return UB_EAGAIN;
    if (s->cr_inflight >= s->cfg.cr_max_inflight)
        return UB_EFULL;
    err = cwmp__dev_get(s, devkey, &d);
    if (err)
        return err;
    cr = ub_calloc(1, sizeof(*cr));
    if (!cr) {
        cwmp__dev_release(s, d);
        return UB_ENOMEM;
    }
    cr->srv = s;
    strcpy(cr->key, devkey);
    cr->url = ub_strdup(url);
    cr->user = username ? ub_strdup(username) : NULL;
    cr->pw = password ? ub_strdup(password) : NULL;
    if (!cr->url || (username && !cr->user) || (password && !cr->pw)) {
        cr_free(cr);
        cwmp__dev_release(s, d);
        return UB_ENOMEM;
    }
    d->cr_inflight = true;
    d->cr_last_ms = now ? now : 1;
    ub_list_insert_tail(&s->cr_list, &cr->link);
    s->cr_inflight++;
    cr_attempt(cr);
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

int cwmp__cr_init(struct cwmp_server *s)
{
    static bool global_done;

    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return UB_EIO;
        global_done = true;
    }
    s->curlm = curl_multi_init();
    if (!s->curlm)
        return UB_ENOMEM;
    curl_multi_setopt(s->curlm, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(s->curlm, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->curlm, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(s->curlm, CURLMOPT_TIMERDATA, s);
    uv_timer_init(s->loop, &s->cr_timer);
    s->cr_timer.data = s;
    s->handles_open++;
    return UB_OK;
}

void cwmp__cr_stop(struct cwmp_server *s)
{
    struct ub_list *l;

    if (!s->curlm)
        return;
    while ((l = ub_list_first(&s->cr_list))) {
        struct cwmp__cr *cr = UB_CONTAINER_OF(l, struct cwmp__cr, link);
        if (cr->easy) {
            /* Removing the handle makes curl close its sockets through
             * sock_cb(CURL_POLL_REMOVE). */
            curl_multi_remove_handle(s->curlm, cr->easy);
            curl_easy_cleanup(cr->easy);
            cr->easy = NULL;
        }
        cr_finish(cr, UB_ECLOSED, 0);
    }
    curl_multi_cleanup(s->curlm);
    s->curlm = NULL;
    uv_close((uv_handle_t *)&s->cr_timer, cwmp__handle_closed);
}

void cwmp__cr_fini(struct cwmp_server *s)
{
    /* Only reached without a start (or after stop): nothing is open. */
    if (s->curlm) {
        curl_multi_cleanup(s->curlm);
        s->curlm = NULL;
    }
}
