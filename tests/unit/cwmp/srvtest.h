/*
 * Test harness for the cwmp server tests (test_server*.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * The server runs on a libuv loop in the test's main thread; the CPE is
 * libcurl easy in a helper thread (real sockets on 127.0.0.1, port 0).
 * The client thread only records what it saw; all asserts run in the main
 * thread after the loop has ended.  A watchdog timer stops a hung test.
 */
#ifndef SRVTEST_H
#define SRVTEST_H

#include <ub/base.h>
#include <ub/cwmp.h>

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define ST_MAX 16

struct st_resp {
    long status;
    char body[32768];
    size_t len;
    char hdrs[4096];
    size_t hlen;
    CURLcode rc;
};

struct st {
    uv_loop_t loop;
    struct cwmp_server *srv;
    struct cwmp_server_config cfg;
    struct cwmp_callbacks cb;
    uv_async_t async;
    uv_timer_t watchdog;
    uv_timer_t later;       /* test-specific deferred action */
    pthread_t th;
    void (*client)(struct st *);
    void (*on_later)(struct st *);
    uint64_t later_ms;
    char url[128];
    char scheme[8];
    bool timed_out;

    /* server-side observations */
    int n_inform, n_rpc_result, n_end, n_idle, n_cpe_req, n_cr;
    int rpc_err[ST_MAX];
    enum cwmp_method rpc_method[ST_MAX];
    enum cwmp_kind rpc_kind[ST_MAX];
    unsigned rpc_fault[ST_MAX];
    uint64_t rpc_ids[ST_MAX];
    enum cwmp_end_reason end_why[ST_MAX];
    char devkey[CWMP_DEVKEY_MAX];
    enum cwmp_method cpe_req_method;
    int cr_err;
    long cr_status;
    int inform_result;       /* returned by on_inform */
    int enqueue_on_inform;   /* GPVs queued from on_inform */
    int idle_promise;        /* on_session_idle returns true N times */
    int idle_enqueue;        /* GPVs queued from on_session_idle */

    /* client-side observations */
    struct st_resp r[ST_MAX];
    int nr;
    int client_flag;
    char cookie[128];
    void *user;
};

#define ST_INFORM_FMT \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<soap-env:Envelope" \
    " xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\"" \
    " xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\"" \
    " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"" \
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"" \
    " xmlns:cwmp=\"urn:dslforum-org:cwmp-1-%d\">" \
    "<soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">%s</cwmp:ID>" \
    "</soap-env:Header><soap-env:Body><cwmp:Inform>" \
    "<DeviceId><Manufacturer>Acme</Manufacturer><OUI>00D09E</OUI>" \
    "<ProductClass>GW</ProductClass><SerialNumber>%s</SerialNumber>" \
    "</DeviceId>" \
    "<Event soap-enc:arrayType=\"cwmp:EventStruct[1]\"><EventStruct>" \
    "<EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct>" \
    "</Event><MaxEnvelopes>1</MaxEnvelopes>" \
    "<CurrentTime>2026-11-25T08:00:00Z</CurrentTime>" \
    "<RetryCount>0</RetryCount>" \
    "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">" \
    "<ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name>" \
    "<Value xsi:type=\"xsd:string\">1.0</Value></ParameterValueStruct>" \
    "</ParameterList></cwmp:Inform></soap-env:Body></soap-env:Envelope>"

#define ST_GPVR_FMT \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<soap-env:Envelope" \
    " xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\"" \
    " xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\"" \
    " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"" \
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"" \
    " xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">" \
    "<soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">%s</cwmp:ID>" \
    "</soap-env:Header><soap-env:Body><cwmp:GetParameterValuesResponse>" \
    "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">" \
    "<ParameterValueStruct><Name>Device.DeviceInfo.UpTime</Name>" \
    "<Value xsi:type=\"xsd:unsignedInt\">42</Value></ParameterValueStruct>" \
    "</ParameterList></cwmp:GetParameterValuesResponse></soap-env:Body>" \
    "</soap-env:Envelope>"

#define ST_TC_FMT \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<soap-env:Envelope" \
    " xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\"" \
    " xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\"" \
    " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"" \
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"" \
    " xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">" \
    "<soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">%s</cwmp:ID>" \
    "</soap-env:Header><soap-env:Body><cwmp:TransferComplete>" \
    "<CommandKey>k1</CommandKey><FaultStruct><FaultCode>0</FaultCode>" \
    "<FaultString></FaultString></FaultStruct>" \
    "<StartTime>2026-11-25T08:00:00Z</StartTime>" \
    "<CompleteTime>2026-11-25T08:00:01Z</CompleteTime>" \
    "</cwmp:TransferComplete></soap-env:Body></soap-env:Envelope>"

static inline void st_inform(char *out, size_t n, int minor, const char *id,
                             const char *sn)
{
    snprintf(out, n, ST_INFORM_FMT, minor, id, sn);
}

/* ---- server callbacks (loop thread) ---- */

static inline int st_enqueue_gpv(struct st *t, const char *devkey)
{
    struct cwmp_msg *m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES,
                                      CWMP_REQUEST);
    uint64_t id = 0;
    int err;

    if (!m)
        return UB_ENOMEM;
    err = ub_strv_add(&m->strv, "Device.DeviceInfo.UpTime");
    if (err) {
        cwmp_msg_free(m);
        return err;
    }
    return cwmp_rpc_enqueue(t->srv, devkey, m, &id);
}

static inline int st_on_inform(void *user, const char *devkey,
                               const struct cwmp_msg *inform)
{
    struct st *t = user;
    int i;

    (void)inform;
    t->n_inform++;
    snprintf(t->devkey, sizeof(t->devkey), "%s", devkey);
    for (i = 0; i < t->enqueue_on_inform; i++)
        if (st_enqueue_gpv(t, devkey) != UB_OK)
            return UB_ENOMEM;
    return t->inform_result;
}

static inline void st_on_cpe_request(void *user, const char *devkey,
                                     const struct cwmp_msg *req)
{
    struct st *t = user;

    (void)devkey;
    t->n_cpe_req++;
    t->cpe_req_method = req->method;
}

static inline void st_on_rpc_result(void *user, const char *devkey,
                                    uint64_t rpc_id,
                                    const struct cwmp_msg *resp, int err)
{
    struct st *t = user;
    int i = t->n_rpc_result++;

    (void)devkey;
    if (i >= ST_MAX)
        return;
    t->rpc_ids[i] = rpc_id;
    t->rpc_err[i] = err;
    t->rpc_method[i] = resp ? resp->method : CWMP_M_NONE;
    t->rpc_kind[i] = resp ? resp->kind : CWMP_REQUEST;
    t->rpc_fault[i] = resp ? resp->fault.code : 0;
}

static inline bool st_on_idle(void *user, const char *devkey)
{
    struct st *t = user;

    t->n_idle++;
    if (t->idle_enqueue > 0) {
        t->idle_enqueue--;
        return st_enqueue_gpv(t, devkey) == UB_OK;
    }
    if (t->idle_promise > 0) {
        t->idle_promise--;
        return true;
    }
    return false;
}

static inline void st_on_end(void *user, const char *devkey,
                             enum cwmp_end_reason why)
{
    struct st *t = user;

    (void)devkey;
    if (t->n_end < ST_MAX)
        t->end_why[t->n_end] = why;
    t->n_end++;
}

static inline void st_on_cr(void *user, const char *devkey, int err,
                            long status)
{
    struct st *t = user;

    (void)devkey;
    t->n_cr++;
    t->cr_err = err;
    t->cr_status = status;
}

/* ---- client (helper thread) ---- */

static inline size_t st_wr(char *p, size_t sz, size_t n, void *u)
{
    struct st_resp *r = u;
    size_t len = sz * n, room = sizeof(r->body) - 1 - r->len;

    if (len > room)
        len = room;
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return sz * n;
}

static inline size_t st_hd(char *p, size_t sz, size_t n, void *u)
{
    struct st_resp *r = u;
    size_t len = sz * n, room = sizeof(r->hdrs) - 1 - r->hlen;

    if (len > room)
        len = room;
    memcpy(r->hdrs + r->hlen, p, len);
    r->hlen += len;
    r->hdrs[r->hlen] = '\0';
    return sz * n;
}

static inline CURL *st_client(struct st *t)
{
    CURL *e = curl_easy_init();

    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    return e;
}

/* POSTs body (NULL/"" = empty POST) and records the answer in t->r[nr++].
 * Returns the HTTP status (0 on transport error). */
static inline long st_post(struct st *t, CURL *e, const char *body)
{
    struct st_resp *r;
    struct curl_slist *h = NULL;

    if (t->nr >= ST_MAX)
        return -1;
    r = &t->r[t->nr++];
    memset(r, 0, sizeof(*r));
    h = curl_slist_append(h, "Content-Type: text/xml; charset=\"utf-8\"");
    h = curl_slist_append(h, "Expect:");
    h = curl_slist_append(h, "SOAPAction:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, st_wr);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, st_hd);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    r->rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return r->rc == CURLE_OK ? r->status : 0;
}

/* Copies the text of <...:ID ...>text</...:ID> from an envelope. */
static inline bool st_find_id(const char *body, char *out, size_t n)
{
    const char *p = strstr(body, ":ID");
    const char *q;

    if (!p)
        return false;
    p = strchr(p, '>');
    if (!p)
        return false;
    p++;
    q = strchr(p, '<');
    if (!q || (size_t)(q - p) >= n)
        return false;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return true;
}

static inline void *st_thread(void *arg)
{
    struct st *t = arg;

    t->client(t);
    uv_async_send(&t->async);
    return NULL;
}

/* ---- loop side ---- */

static inline void st_closed(uv_handle_t *h) { (void)h; }

static inline void st_stopped(void *user)
{
    (void)user;
}

static inline void st_finish(struct st *t)
{
    uv_close((uv_handle_t *)&t->async, st_closed);
    uv_close((uv_handle_t *)&t->watchdog, st_closed);
    uv_close((uv_handle_t *)&t->later, st_closed);
    cwmp_server_stop(t->srv, st_stopped, t);
}

static inline void st_async(uv_async_t *a) { st_finish(a->data); }

static inline void st_watchdog(uv_timer_t *w)
{
    struct st *t = w->data;

    t->timed_out = true;
    /* The client thread is still blocked in curl (10 s timeout): let it
     * finish; the loop keeps running until it does. */
}

static inline void st_later_cb(uv_timer_t *w)
{
    struct st *t = w->data;

    if (t->on_later)
        t->on_later(t);
}

static inline void st_init(struct st *t)
{
    memset(t, 0, sizeof(*t));
    cwmp_server_config_init(&t->cfg);
    t->cfg.bind_addr = "127.0.0.1";
    t->cfg.port = 0;
    t->cfg.path = "/acs";
    t->cb.user = t;
    t->cb.on_inform = st_on_inform;
    t->cb.on_cpe_request = st_on_cpe_request;
    t->cb.on_rpc_result = st_on_rpc_result;
    t->cb.on_session_idle = st_on_idle;
    t->cb.on_session_end = st_on_end;
    t->cb.on_cr_result = st_on_cr;
    snprintf(t->scheme, sizeof(t->scheme), "http");
}

/* Runs the server and t->client until the client is done. */
static inline void st_run(struct st *t)
{
    assert_int_equal(uv_loop_init(&t->loop), 0);
    assert_int_equal(cwmp_server_create(&t->loop, &t->cfg, &t->cb, &t->srv),
                     UB_OK);
    assert_int_equal(cwmp_server_start(t->srv), UB_OK);
    assert_true(cwmp_server_port(t->srv) != 0);
    snprintf(t->url, sizeof(t->url), "%s://127.0.0.1:%u/acs", t->scheme,
             (unsigned)cwmp_server_port(t->srv));
    uv_async_init(&t->loop, &t->async, st_async);
    t->async.data = t;
    uv_timer_init(&t->loop, &t->watchdog);
    t->watchdog.data = t;
    uv_timer_start(&t->watchdog, st_watchdog, 30000, 0);
    uv_timer_init(&t->loop, &t->later);
    t->later.data = t;
    if (t->on_later)
        uv_timer_start(&t->later, st_later_cb, t->later_ms, 0);
    assert_int_equal(pthread_create(&t->th, NULL, st_thread, t), 0);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    pthread_join(t->th, NULL);
    assert_int_equal(uv_loop_close(&t->loop), 0);
}

static inline void st_done(struct st *t)
{
    cwmp_server_destroy(t->srv);
    t->srv = NULL;
}

static inline struct cwmp_server_stats st_stats(struct st *t)
{
    struct cwmp_server_stats s;

    cwmp_server_get_stats(t->srv, &s);
    return s;
}

#endif
