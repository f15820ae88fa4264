/*
 * cwmp server: sessions over real HTTP on 127.0.0.1 (libcurl as the CPE).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include "srvtest.h"

#include "cwmp_int.h"

#include <time.h>

static char big_body[300000];

/* ---- the full session path ---- */

static void cl_full(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], id[64], resp[4096];

    st_inform(inform, sizeof(inform), 0, "inf-1", "SN1");
    st_post(t, e, inform);               /* r0: InformResponse */
    st_post(t, e, NULL);                 /* r1: GPV request */
    if (st_find_id(t->r[1].body, id, sizeof(id))) {
        snprintf(resp, sizeof(resp), ST_GPVR_FMT, id);
        st_post(t, e, resp);             /* r2: 204 */
    }
    curl_easy_cleanup(e);
}

static void test_full_session(void **state)
{
    struct st t;
    struct cwmp_server_stats s;
    char id[64];

    (void)state;
    st_init(&t);
    t.enqueue_on_inform = 1;
    t.client = cl_full;
    st_run(&t);
    assert_int_equal(t.nr, 3);
    /* InformResponse: 200, cookie, echoes the ID */
    assert_int_equal(t.r[0].status, 200);
    assert_non_null(strstr(t.r[0].body, "InformResponse"));
    assert_non_null(strstr(t.r[0].body, "urn:dslforum-org:cwmp-1-0"));
    assert_true(st_find_id(t.r[0].body, id, sizeof(id)));
    assert_string_equal(id, "inf-1");
    assert_non_null(strstr(t.r[0].hdrs, "Set-Cookie: ubsession="));
    assert_non_null(strstr(t.r[0].body, "<MaxEnvelopes>1</MaxEnvelopes>"));
    /* the queued GPV */
    assert_int_equal(t.r[1].status, 200);
    assert_non_null(strstr(t.r[1].body, "GetParameterValues"));
    assert_non_null(strstr(t.r[1].body, "Device.DeviceInfo.UpTime"));
    /* end */
    assert_int_equal(t.r[2].status, 204);
    assert_int_equal(t.n_inform, 1);
    assert_string_equal(t.devkey, "00D09E-SN1");
    assert_int_equal(t.n_rpc_result, 1);
    assert_int_equal(t.rpc_err[0], UB_OK);
    assert_int_equal(t.rpc_method[0], CWMP_M_GET_PARAMETER_VALUES);
    assert_int_equal(t.rpc_kind[0], CWMP_RESPONSE);
    assert_int_equal(t.n_end, 1);
    assert_int_equal(t.end_why[0], CWMP_END_OK);
    assert_true(t.n_idle >= 1);
    s = st_stats(&t);
    assert_int_equal(s.sessions_total, 1);
    assert_int_equal(s.sessions_active, 0);
    assert_int_equal(s.informs, 1);
    assert_int_equal(s.rpcs_sent, 1);
    assert_int_equal(s.faults_sent, 0);
    st_done(&t);
}

/* Version echo (cwmp-1-2), CPE request (TransferComplete), GetRPCMethods
 * not needed; a second session on the same keep-alive connection. */
static void cl_version(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], tc[4096];

    st_inform(inform, sizeof(inform), 2, "a7", "SN2");
    st_post(t, e, inform);               /* r0 */
    snprintf(tc, sizeof(tc), ST_TC_FMT, "tc-9");
    st_post(t, e, tc);                   /* r1: TransferCompleteResponse */
    st_post(t, e, NULL);                 /* r2: 204 */
    st_inform(inform, sizeof(inform), 0, "b1", "SN2");
    st_post(t, e, inform);               /* r3: new session */
    st_post(t, e, NULL);                 /* r4: 204 */
    curl_easy_cleanup(e);
}

static void test_version_and_cpe_request(void **state)
{
    struct st t;
    char id[64];

    (void)state;
    st_init(&t);
    t.client = cl_version;
    st_run(&t);
    assert_int_equal(t.nr, 5);
    assert_int_equal(t.r[0].status, 200);
    assert_non_null(strstr(t.r[0].body, "urn:dslforum-org:cwmp-1-2"));
    assert_int_equal(t.r[1].status, 200);
    assert_non_null(strstr(t.r[1].body, "TransferCompleteResponse"));
    assert_true(st_find_id(t.r[1].body, id, sizeof(id)));
    assert_string_equal(id, "tc-9");
    assert_int_equal(t.r[2].status, 204);
    assert_int_equal(t.r[3].status, 200);
    assert_int_equal(t.r[4].status, 204);
    assert_int_equal(t.n_cpe_req, 1);
    assert_int_equal(t.cpe_req_method, CWMP_M_TRANSFER_COMPLETE);
    assert_int_equal(t.n_inform, 2);
    assert_int_equal(t.n_end, 2);
    st_done(&t);
}

/* ---- cookies and connection binding ---- */

static void cl_cookie(struct st *t)
{
    CURL *e = st_client(t), *e2;
    char inform[4096], cookie[128], hdr[160];
    const char *p;
    size_t n = 0;

    st_inform(inform, sizeof(inform), 0, "c1", "SN3");
    st_post(t, e, inform);               /* r0 */
    curl_easy_cleanup(e);                /* the CPE drops the connection */
    p = strstr(t->r[0].hdrs, "ubsession=");
    if (p) {
        while (p[n] && p[n] != ';' && p[n] != '\r' && n < sizeof(cookie) - 1)
            n++;
    }
    memcpy(cookie, p ? p : "", n);
    cookie[n] = '\0';
    /* New connection, cookie echoed with its attributes. */
    e2 = curl_easy_init();
    curl_easy_setopt(e2, CURLOPT_URL, t->url);
    if (t->client_flag) { /* RFC 2109 style echo, quoted */
        const char *eq = strchr(cookie, '=');
        snprintf(hdr, sizeof(hdr), "$Version=\"1\"; ubsession=\"%s\"; "
                 "$Path=\"/acs\"", eq ? eq + 1 : "");
    } else {
        snprintf(hdr, sizeof(hdr), "%s; Path=/acs", cookie);
    }
    curl_easy_setopt(e2, CURLOPT_COOKIE, hdr);
    st_post(t, e2, NULL);                /* r1: the GPV */
    curl_easy_cleanup(e2);               /* drops with the RPC in flight */
    {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);            /* let the server see the close */
    }
}

static void run_cookie(int quoted)
{
    struct st t;

    st_init(&t);
    t.client_flag = quoted;
    t.enqueue_on_inform = 1;
    t.client = cl_cookie;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.r[1].status, 200);
    assert_non_null(strstr(t.r[1].body, "GetParameterValues"));
    /* in-flight RPC when the CPE disconnected -> UB_ECLOSED */
    assert_int_equal(t.n_rpc_result, 1);
    assert_int_equal(t.rpc_err[0], UB_ECLOSED);
    assert_int_equal(t.n_end, 1);
    assert_int_equal(t.end_why[0], CWMP_END_CLOSED);
    st_done(&t);
}

static void test_cookie_new_connection(void **state)
{
    (void)state;
    run_cookie(0);
    run_cookie(1);
}


/* Two CPEs through one connection (a proxy reusing its backend
 * connection): the second Inform, without the first session's cookie,
 * starts its own session. */
static void cl_shared_conn(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];

    st_inform(inform, sizeof(inform), 0, "a1", "SHA");
    st_post(t, e, inform);                          /* r0: session A */
    curl_easy_setopt(e, CURLOPT_COOKIELIST, "ALL"); /* no cookie for B */
    st_inform(inform, sizeof(inform), 0, "b1", "SHB");
    st_post(t, e, inform);                          /* r1: session B */
    st_post(t, e, NULL);                            /* r2: B ends, 204 */
    curl_easy_cleanup(e);
}

static void test_shared_connection(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.client = cl_shared_conn;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.r[1].status, 200);
    assert_non_null(strstr(t.r[1].body, "InformResponse"));
    assert_int_equal(t.r[2].status, 204);
    assert_int_equal(t.n_inform, 2);
    assert_string_equal(t.devkey, "00D09E-SHB");
    /* B ended with 204; A (detached) ended at shutdown */
    assert_int_equal(t.n_end, 2);
    assert_int_equal(t.end_why[0], CWMP_END_OK);
    assert_int_equal(t.end_why[1], CWMP_END_SHUTDOWN);
    st_done(&t);
}

/* ---- waiting for an RPC (suspend / resume) ---- */

static void later_enqueue(struct st *t)
{
    assert_int_equal(st_enqueue_gpv(t, "00D09E-SN4"), UB_OK);
}

static void cl_wait(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], id[64], resp[4096];

    st_inform(inform, sizeof(inform), 0, "w1", "SN4");
    st_post(t, e, inform);               /* r0 */
    st_post(t, e, NULL);                 /* r1: waits, then GPV */
    if (st_find_id(t->r[1].body, id, sizeof(id))) {
        snprintf(resp, sizeof(resp), ST_GPVR_FMT, id);
        st_post(t, e, resp);             /* r2: 204 */
    }
    curl_easy_cleanup(e);
}

static void test_idle_wait_resume(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.idle_promise = 1;
    t.on_later = later_enqueue;
    t.later_ms = 300;
    t.client = cl_wait;
    st_run(&t);
    assert_int_equal(t.nr, 3);
    assert_int_equal(t.r[1].status, 200);
    assert_non_null(strstr(t.r[1].body, "GetParameterValues"));
    assert_int_equal(t.r[2].status, 204);
    assert_int_equal(t.n_rpc_result, 1);
    assert_int_equal(t.rpc_err[0], UB_OK);
    assert_int_equal(t.end_why[0], CWMP_END_OK);
    st_done(&t);
}

/* on_session_idle queues more work synchronously. */
static void cl_idle_more(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], id[64], resp[4096];
    int i;

    st_inform(inform, sizeof(inform), 0, "m1", "SN5");
    st_post(t, e, inform);
    st_post(t, e, NULL);
    for (i = 0; i < 4; i++) {
        struct st_resp *r = &t->r[t->nr - 1];
        if (r->status != 200 || !st_find_id(r->body, id, sizeof(id)))
            break;
        snprintf(resp, sizeof(resp), ST_GPVR_FMT, id);
        st_post(t, e, resp);
    }
    curl_easy_cleanup(e);
}

static void test_idle_queues_more(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.enqueue_on_inform = 1;
    t.idle_enqueue = 2;
    t.client = cl_idle_more;
    st_run(&t);
    /* Inform, GPV, GPV (idle), GPV (idle), 204 */
    assert_int_equal(t.nr, 5);
    assert_int_equal(t.r[4].status, 204);
    assert_int_equal(t.n_rpc_result, 3);
    assert_true(t.rpc_ids[0] < t.rpc_ids[1] && t.rpc_ids[1] < t.rpc_ids[2]);
    st_done(&t);
}

/* ---- protocol errors ---- */

static void cl_malformed(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];

    st_post(t, e, "<soap-env:Envelope><unclosed>");      /* r0 */
    curl_easy_cleanup(e);
    e = st_client(t);
    snprintf(inform, sizeof(inform), ST_GPVR_FMT, "x1");
    st_post(t, e, inform);                               /* r1: not Inform */
    curl_easy_cleanup(e);
    e = st_client(t);
    st_post(t, e, NULL);                                 /* r2: empty first */
    curl_easy_cleanup(e);
    e = st_client(t);
    /* billion laughs */
    st_post(t, e,
            "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
            "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
            "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
            "<soap-env:Envelope xmlns:soap-env="
            "\"http://schemas.xmlsoap.org/soap/envelope/\"><soap-env:Body>"
            "&c;</soap-env:Body></soap-env:Envelope>");  /* r3 */
    curl_easy_cleanup(e);
    e = st_client(t);
    {
        /* 10k deep nesting */
        size_t n = 0, i;
        n += (size_t)snprintf(big_body, sizeof(big_body),
                              "<soap-env:Envelope xmlns:soap-env=\"http://"
                              "schemas.xmlsoap.org/soap/envelope/\">"
                              "<soap-env:Body>");
        for (i = 0; i < 10000; i++)
            n += (size_t)snprintf(big_body + n, sizeof(big_body) - n, "<a>");
        st_post(t, e, big_body);                         /* r4 */
    }
    curl_easy_cleanup(e);
    /* A good session still works afterwards. */
    e = st_client(t);
    st_inform(inform, sizeof(inform), 0, "ok", "SN6");
    st_post(t, e, inform);                               /* r5 */
    st_post(t, e, NULL);                                 /* r6 */
    curl_easy_cleanup(e);
}

static void test_malformed_and_not_inform(void **state)
{
    struct st t;
    struct cwmp_server_stats s;
    int i;

    (void)state;
    st_init(&t);
    t.client = cl_malformed;
    st_run(&t);
    assert_int_equal(t.nr, 7);
    for (i = 0; i < 5; i++) {
        if (i == 2) {
            assert_int_equal(t.r[i].status, 400);
            continue;
        }
        assert_int_equal(t.r[i].status, 500);
        assert_non_null(strstr(t.r[i].body, "Fault"));
        assert_non_null(strstr(t.r[i].hdrs, "Connection: close"));
    }
    assert_non_null(strstr(t.r[1].body, "8003"));
    assert_int_equal(t.r[5].status, 200);
    assert_int_equal(t.r[6].status, 204);
    assert_int_equal(t.n_inform, 1);
    s = st_stats(&t);
    assert_true(s.bad_requests >= 5);
    assert_true(s.faults_sent >= 4);
    st_done(&t);
}

static void cl_wrong_id(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], resp[4096];

    st_inform(inform, sizeof(inform), 0, "i1", "SN7");
    st_post(t, e, inform);
    st_post(t, e, NULL);
    snprintf(resp, sizeof(resp), ST_GPVR_FMT, "not-the-id");
    st_post(t, e, resp);
    curl_easy_cleanup(e);
}

static void test_wrong_id(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.enqueue_on_inform = 1;
    t.client = cl_wrong_id;
    st_run(&t);
    assert_int_equal(t.nr, 3);
    assert_int_equal(t.r[2].status, 500);
    assert_non_null(strstr(t.r[2].body, "8003"));
    assert_int_equal(t.n_rpc_result, 1);
    assert_int_equal(t.rpc_err[0], UB_EPROTO);
    assert_int_equal(t.n_end, 1);
    assert_int_equal(t.end_why[0], CWMP_END_FAULT);
    st_done(&t);
}

static void cl_two_informs(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];

    st_inform(inform, sizeof(inform), 0, "i1", "SN8");
    st_post(t, e, inform);
    st_post(t, e, inform);
    curl_easy_cleanup(e);
}

static void test_second_inform_refused(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.client = cl_two_informs;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.r[1].status, 500);
    assert_int_equal(t.n_inform, 1);
    assert_int_equal(t.end_why[0], CWMP_END_FAULT);
    st_done(&t);
}

static void test_inform_refused_by_app(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.inform_result = UB_EAGAIN;
    t.client = cl_two_informs;
    st_run(&t);
    assert_int_equal(t.r[0].status, 500);
    assert_non_null(strstr(t.r[0].body, "8005"));
    assert_int_equal(t.end_why[0], CWMP_END_FAULT);
    st_done(&t);
}

/* ---- bodies ---- */

struct rd {
    const char *p;
    size_t left, step;
};

static size_t rd_cb(char *buf, size_t sz, size_t n, void *u)
{
    struct rd *r = u;
    size_t k = sz * n;

    if (k > r->step)
        k = r->step; /* many small chunks */
    if (k > r->left)
        k = r->left;
    memcpy(buf, r->p, k);
    r->p += k;
    r->left -= k;
    return k;
}

static long post_chunked(struct st *t, CURL *e, const char *body, size_t step)
{
    struct curl_slist *h = NULL;
    struct st_resp *r = &t->r[t->nr++];
    struct rd rd = {body, strlen(body), step};

    memset(r, 0, sizeof(*r));
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Content-Type: text/xml");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, -1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, rd_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, &rd);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, st_wr);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, st_hd);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    r->rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return r->status;
}

static void cl_bodies(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];

    st_inform(inform, sizeof(inform), 0, "ch", "SN9");
    post_chunked(t, e, inform, 100);     /* r0: chunked Inform */
    st_post(t, e, NULL);                 /* r1: 204 */
    curl_easy_cleanup(e);
    memset(big_body, 'x', 5000);
    big_body[5000] = '\0';
    e = st_client(t);
    st_post(t, e, big_body);             /* r2: Content-Length > max */
    curl_easy_cleanup(e);
    e = st_client(t);
    post_chunked(t, e, big_body, 1000);  /* r3: chunked > max */
    curl_easy_cleanup(e);
}

static void test_chunked_and_too_big(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.cfg.max_body = 4000;
    t.client = cl_bodies;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_non_null(strstr(t.r[0].body, "InformResponse"));
    assert_int_equal(t.r[1].status, 204);
    assert_int_equal(t.r[2].status, 413);
    assert_int_equal(t.r[3].status, 413);
    assert_int_equal(t.n_inform, 1);
    st_done(&t);
}

/* ---- limits ---- */

static void cl_busy(struct st *t)
{
    CURL *a = st_client(t), *b = st_client(t);
    char inform[4096];

    st_inform(inform, sizeof(inform), 0, "b1", "SNA");
    st_post(t, a, inform);               /* r0: 200, session open */
    st_inform(inform, sizeof(inform), 0, "b2", "SNB");
    st_post(t, b, inform);               /* r1: 503 */
    st_post(t, a, NULL);                 /* r2: 204 */
    st_post(t, b, inform);               /* r3: 200 now */
    st_post(t, b, NULL);                 /* r4: 204 */
    curl_easy_cleanup(a);
    curl_easy_cleanup(b);
}

static void test_max_sessions(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.cfg.max_sessions = 1;
    t.client = cl_busy;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.r[1].status, 503);
    assert_int_equal(t.r[2].status, 204);
    assert_int_equal(t.r[3].status, 200);
    assert_int_equal(t.r[4].status, 204);
    st_done(&t);
}

static void later_queue_full(struct st *t)
{
    int i, full = 0;
    uint64_t id;

    for (i = 0; i < 5; i++) {
        struct cwmp_msg *m = cwmp_msg_new(CWMP_M_REBOOT, CWMP_REQUEST);
        if (cwmp_rpc_enqueue(t->srv, "00D09E-OFF", m, &id) == UB_EFULL)
            full++;
    }
    t->client_flag = full;
    assert_false(cwmp_device_in_session(t->srv, "00D09E-OFF"));
    t->n_cpe_req = (int)cwmp_rpc_cancel_all(t->srv, "00D09E-OFF");
}

static void cl_nothing(struct st *t)
{
    struct timespec ts = {0, 400 * 1000 * 1000};

    (void)t;
    nanosleep(&ts, NULL);
}

static void test_queue_bounds(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.cfg.max_queue = 3;
    t.on_later = later_queue_full;
    t.later_ms = 10;
    t.client = cl_nothing;
    st_run(&t);
    assert_int_equal(t.client_flag, 2);      /* 2 of 5 refused */
    assert_int_equal(t.n_cpe_req, 3);        /* 3 cancelled */
    assert_int_equal(t.n_rpc_result, 3);
    assert_int_equal(t.rpc_err[0], UB_ECLOSED);
    st_done(&t);
}

static void cl_idle_timeout(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];
    struct timespec ts = {2, 600 * 1000 * 1000};

    st_inform(inform, sizeof(inform), 0, "t1", "SNT");
    st_post(t, e, inform);
    nanosleep(&ts, NULL);                 /* idle > 1 s */
    st_post(t, e, NULL);                  /* session gone: 400 */
    curl_easy_cleanup(e);
}

static void test_idle_timeout(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.cfg.idle_timeout_s = 1;
    t.client = cl_idle_timeout;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.n_end, 1);
    assert_true(t.end_why[0] == CWMP_END_TIMEOUT ||
                t.end_why[0] == CWMP_END_CLOSED);
    assert_true(t.r[1].status == 400 || t.r[1].status == 0);
    st_done(&t);
}

static void cl_shutdown(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];

    st_inform(inform, sizeof(inform), 0, "s1", "SNS");
    st_post(t, e, inform);
    st_post(t, e, NULL);                  /* GPV in flight at stop */
    curl_easy_cleanup(e);
}

static void test_disconnect_in_flight(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.enqueue_on_inform = 2;
    t.client = cl_shutdown;
    st_run(&t);
    assert_int_equal(t.r[1].status, 200);
    /* one in flight (closed), one queued (closed at stop) */
    assert_int_equal(t.n_rpc_result, 2);
    assert_int_equal(t.rpc_err[0], UB_ECLOSED);
    assert_int_equal(t.rpc_err[1], UB_ECLOSED);
    st_done(&t);
}

/* ---- authentication ---- */

static void cl_auth(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];
    const char *pw = t->client_flag ? "wrong" : "secret";
    long mode = (long)(intptr_t)t->user;

    curl_easy_setopt(e, CURLOPT_HTTPAUTH, mode);
    curl_easy_setopt(e, CURLOPT_USERNAME, "cpe1");
    curl_easy_setopt(e, CURLOPT_PASSWORD, pw);
    st_inform(inform, sizeof(inform), 0, "au", "SNU");
    st_post(t, e, inform);
    if (t->r[0].status == 200)
        st_post(t, e, NULL);
    curl_easy_cleanup(e);
}

static int creds(void *user, const char *username, char *pw, size_t pwsz)
{
    (void)user;
    if (strcmp(username, "cpe1") != 0)
        return UB_ENOTFOUND;
    snprintf(pw, pwsz, "secret");
    return UB_OK;
}

static void run_auth2(enum cwmp_auth_mode mode, enum cwmp_digest_algo algo,
                      long curl_mode, bool wrong, bool use_cb, bool refused)
{
    struct st t;
    struct cwmp_server_stats s;

    st_init(&t);
    t.cfg.auth = mode;
    t.cfg.digest_algo = algo;
    if (use_cb) {
        t.cb.get_credentials = creds;
    } else {
        t.cfg.username = "cpe1";
        t.cfg.password = "secret";
    }
    t.client_flag = wrong;
    t.user = (void *)(intptr_t)curl_mode;
    t.client = cl_auth;
    st_run(&t);
    s = st_stats(&t);
    if (wrong || refused) {
        assert_int_equal(t.r[0].status, 401);
        assert_int_equal(t.n_inform, 0);
        assert_true(s.auth_failures >= 1);
        assert_int_equal(s.sessions_total, 0);
    } else {
        assert_int_equal(t.r[0].status, 200);
        assert_int_equal(t.r[1].status, 204);
        assert_int_equal(t.n_inform, 1);
        assert_int_equal(s.auth_failures, 0);
    }
    st_done(&t);
}

static void run_auth(enum cwmp_auth_mode mode, enum cwmp_digest_algo algo,
                     long curl_mode, bool wrong, bool use_cb)
{
    run_auth2(mode, algo, curl_mode, wrong, use_cb, false);
}


/* Many CPEs challenged in the same second must all get in (MHD 0.9.75
 * would hand them one nonce and refuse all but the first). */
#define BURST 100

static void cl_burst(struct st *t)
{
    CURLM *m = curl_multi_init();
    CURL *e[BURST];
    struct st_resp *r = calloc(BURST, sizeof(*r));
    char inform[BURST][2048];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/xml");
    int running = 1, i, ok = 0;

    h = curl_slist_append(h, "Expect:");
    for (i = 0; i < BURST; i++) {
        char sn[32];
        snprintf(sn, sizeof(sn), "BURST%d", i);
        st_inform(inform[i], sizeof(inform[i]), 0, "b", sn);
        e[i] = st_client(t);
        curl_easy_setopt(e[i], CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
        curl_easy_setopt(e[i], CURLOPT_USERNAME, "cpe1");
        curl_easy_setopt(e[i], CURLOPT_PASSWORD, "secret");
        curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, inform[i]);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, st_wr);
        curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &r[i]);
        curl_multi_add_handle(m, e[i]);
    }
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (i = 0; i < BURST; i++) {
        long st = 0;
        curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &st);
        if (st == 200)
            ok++;
        else
            print_message("burst %d: status %ld rc %d %.300s\n", i, st,
                          (int)r[i].rc, strstr(r[i].body, "FaultCode") ? strstr(r[i].body, "FaultCode") : r[i].body);
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    free(r);
    t->client_flag = ok;
}

static void test_auth_digest_burst(void **state)
{
    struct st t;
    struct cwmp_server_stats s;

    (void)state;
    st_init(&t);
    t.cfg.auth = CWMP_AUTH_DIGEST;
    t.cfg.username = "cpe1";
    t.cfg.password = "secret";
    t.client = cl_burst;
    st_run(&t);
    s = st_stats(&t);
    print_message("burst: %d/%d in, auth failures %" PRIu64 "\n",
                  t.client_flag, BURST, s.auth_failures);
    assert_int_equal(t.client_flag, BURST);
    assert_int_equal(t.n_inform, BURST);
    assert_int_equal(s.auth_failures, 0);
    st_done(&t);
}

static void test_auth_param(void **state)
{
    char v[32];

    (void)state;
    assert_int_equal(cwmp__auth_param("Digest username=\"a\", "
                                      "realm=\"uspbridge/0011aabb\", "
                                      "nonce=\"x\"",
                                      "realm", v, sizeof(v)),
                     UB_OK);
    assert_string_equal(v, "uspbridge/0011aabb");
    /* realm= inside another value is not the realm */
    assert_int_equal(cwmp__auth_param("Digest username=\"realm=\\\"x\\\"\","
                                      "realm=r2",
                                      "realm", v, sizeof(v)),
                     UB_OK);
    assert_string_equal(v, "r2");
    assert_int_equal(cwmp__auth_param("digest  REALM = \"a\\\"b\"", "realm",
                                      v, sizeof(v)),
                     UB_OK);
    assert_string_equal(v, "a\"b");
    assert_int_equal(cwmp__auth_param("Digest realm=\"unterminated", "realm",
                                      v, sizeof(v)),
                     UB_EPROTO);
    assert_int_equal(cwmp__auth_param("Digest nonce=1", "realm", v,
                                      sizeof(v)),
                     UB_ENOTFOUND);
    assert_int_equal(cwmp__auth_param("Basic abc", "realm", v, sizeof(v)),
                     UB_EINVAL);
    assert_int_equal(cwmp__auth_param("Digest realm=\"0123456789012345678901"
                                      "234567890123456789\"",
                                      "realm", v, sizeof(v)),
                     UB_ETOOBIG);
}

static void test_auth_basic(void **state)
{
    (void)state;
    run_auth(CWMP_AUTH_BASIC, CWMP_DIGEST_MD5, CURLAUTH_BASIC, false, false);
    run_auth(CWMP_AUTH_BASIC, CWMP_DIGEST_MD5, CURLAUTH_BASIC, true, false);
}

static void test_auth_digest_md5(void **state)
{
    (void)state;
    run_auth(CWMP_AUTH_DIGEST, CWMP_DIGEST_MD5, CURLAUTH_DIGEST, false, false);
    run_auth(CWMP_AUTH_DIGEST, CWMP_DIGEST_MD5, CURLAUTH_DIGEST, true, false);
    run_auth(CWMP_AUTH_DIGEST, CWMP_DIGEST_MD5, CURLAUTH_DIGEST, false, true);
}

static void test_auth_digest_sha256(void **state)
{
    (void)state;
    run_auth(CWMP_AUTH_DIGEST, CWMP_DIGEST_SHA256, CURLAUTH_DIGEST, false,
             true);
    run_auth(CWMP_AUTH_DIGEST, CWMP_DIGEST_SHA256, CURLAUTH_DIGEST, true,
             true);
}

static void test_auth_any(void **state)
{
    (void)state;
    /* Basic up front is accepted; Digest after a challenge too. */
    run_auth(CWMP_AUTH_ANY, CWMP_DIGEST_MD5, CURLAUTH_BASIC, false, false);
    run_auth(CWMP_AUTH_ANY, CWMP_DIGEST_MD5, CURLAUTH_DIGEST, false, false);
    run_auth(CWMP_AUTH_ANY, CWMP_DIGEST_MD5, CURLAUTH_BASIC, true, false);
    /* Digest-only server refuses Basic. */
    run_auth2(CWMP_AUTH_DIGEST, CWMP_DIGEST_MD5, CURLAUTH_BASIC, false, false,
              true);
}

/* ---- plain HTTP details ---- */

static void cl_http(struct st *t)
{
    CURL *e = curl_easy_init();
    char url[160];

    snprintf(url, sizeof(url), "%s", t->url);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, st_wr);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->r[0]);
    curl_easy_perform(e);                            /* GET */
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t->r[0].status);
    curl_easy_cleanup(e);
    e = st_client(t);
    snprintf(url, sizeof(url), "%s/other", t->url);
    curl_easy_setopt(e, CURLOPT_URL, url);
    t->nr = 1;
    st_post(t, e, "x");                              /* wrong path */
    curl_easy_cleanup(e);
}

static void test_method_and_path(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.client = cl_http;
    st_run(&t);
    assert_int_equal(t.r[0].status, 405);
    assert_int_equal(t.r[1].status, 404);
    st_done(&t);
}



#define CPE_FAULT_FMT                                                        \
    "<soap-env:Envelope"                                                     \
    " xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\""          \
    " xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Header>"            \
    "<cwmp:ID soap-env:mustUnderstand=\"1\">%s</cwmp:ID></soap-env:Header>"  \
    "<soap-env:Body><soap-env:Fault><faultcode>Client</faultcode>"           \
    "<faultstring>CWMP fault</faultstring><detail><cwmp:Fault>"              \
    "<FaultCode>9005</FaultCode><FaultString>Invalid parameter name"         \
    "</FaultString></cwmp:Fault></detail></soap-env:Fault></soap-env:Body>"  \
    "</soap-env:Envelope>"

static void cl_cpe_fault(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], id[64], resp[4096];

    st_inform(inform, sizeof(inform), 0, "f1", "SNF");
    st_post(t, e, inform);
    st_post(t, e, NULL);
    if (st_find_id(t->r[1].body, id, sizeof(id))) {
        snprintf(resp, sizeof(resp), CPE_FAULT_FMT, id);
        st_post(t, e, resp);
    }
    curl_easy_cleanup(e);
}

static void test_cpe_fault_result(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.enqueue_on_inform = 1;
    t.client = cl_cpe_fault;
    st_run(&t);
    assert_int_equal(t.nr, 3);
    assert_int_equal(t.r[2].status, 204);
    assert_int_equal(t.n_rpc_result, 1);
    assert_int_equal(t.rpc_err[0], UB_OK);
    assert_int_equal(t.rpc_kind[0], CWMP_FAULT);
    assert_int_equal(t.rpc_fault[0], 9005);
    assert_int_equal(t.end_why[0], CWMP_END_OK);
    st_done(&t);
}

/* ---- more CPE requests ---- */

#define ENV_HEAD                                                             \
    "<soap-env:Envelope"                                                     \
    " xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\""          \
    " xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Header>"            \
    "<cwmp:ID soap-env:mustUnderstand=\"1\">%s</cwmp:ID></soap-env:Header>"  \
    "<soap-env:Body>"
#define ENV_TAIL "</soap-env:Body></soap-env:Envelope>"

static void cl_requests(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], req[1024];

    st_inform(inform, sizeof(inform), 0, "r1", "SNR");
    st_post(t, e, inform);                                   /* r0 */
    snprintf(req, sizeof(req), ENV_HEAD "<cwmp:GetRPCMethods/>" ENV_TAIL,
             "g1");
    st_post(t, e, req);                                      /* r1 */
    snprintf(req, sizeof(req),
             ENV_HEAD "<cwmp:X_ACME_Frobnicate><A>1</A>"
                      "</cwmp:X_ACME_Frobnicate>" ENV_TAIL,
             "u1");
    st_post(t, e, req);                                      /* r2: 8000 */
    curl_easy_cleanup(e);
    e = st_client(t);
    st_inform(inform, sizeof(inform), 0, "r2", "SNR");
    st_post(t, e, inform);                                   /* r3 */
    snprintf(req, sizeof(req),
             ENV_HEAD "<cwmp:Reboot><CommandKey>x</CommandKey></cwmp:Reboot>"
                      ENV_TAIL,
             "u2");
    st_post(t, e, req);                                      /* r4: 8000 */
    curl_easy_cleanup(e);
}

static void test_cpe_requests(void **state)
{
    struct st t;
    char id[64];

    (void)state;
    st_init(&t);
    t.client = cl_requests;
    st_run(&t);
    assert_int_equal(t.nr, 5);
    assert_int_equal(t.r[1].status, 200);
    assert_non_null(strstr(t.r[1].body, "GetRPCMethodsResponse"));
    assert_non_null(strstr(t.r[1].body, "TransferComplete"));
    assert_true(st_find_id(t.r[1].body, id, sizeof(id)));
    assert_string_equal(id, "g1");
    assert_int_equal(t.r[2].status, 500);
    assert_non_null(strstr(t.r[2].body, "8000"));
    assert_int_equal(t.r[3].status, 200);
    assert_int_equal(t.r[4].status, 500);
    assert_non_null(strstr(t.r[4].body, "8000"));
    assert_int_equal(t.n_inform, 2);
    assert_int_equal(t.n_end, 2);
    assert_int_equal(t.end_why[0], CWMP_END_FAULT);
    assert_int_equal(t.end_why[1], CWMP_END_FAULT);
    st_done(&t);
}

static void cl_session_timeout(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096], tc[4096];
    struct timespec ts = {0, 400 * 1000 * 1000};
    int i;

    st_inform(inform, sizeof(inform), 0, "s1", "SNST");
    st_post(t, e, inform);                   /* r0 */
    snprintf(tc, sizeof(tc), ST_TC_FMT, "tc");
    for (i = 0; i < 6; i++) {                /* busy for 2.4 s > 1 s */
        nanosleep(&ts, NULL);
        st_post(t, e, tc);
        if (t->r[t->nr - 1].status != 200)
            break;
    }
    curl_easy_cleanup(e);
}

static void test_session_timeout(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.cfg.session_timeout_s = 1;
    t.cfg.idle_timeout_s = 5;
    t.client = cl_session_timeout;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.n_end, 1);
    assert_int_equal(t.end_why[0], CWMP_END_TIMEOUT);
    /* the session is gone: the next request is not an Inform */
    assert_int_equal(t.r[t.nr - 1].status, 500);
    assert_true(t.nr < 7);
    st_done(&t);
}

static void later_stop(struct st *t)
{
    cwmp_server_stop(t->srv, st_stopped, t);
}

static void cl_wait_forever(struct st *t)
{
    CURL *e = st_client(t);
    char inform[4096];

    st_inform(inform, sizeof(inform), 0, "w", "SNW");
    st_post(t, e, inform);                   /* r0 */
    st_post(t, e, NULL);                     /* r1: suspended, then stop */
    curl_easy_cleanup(e);
}

static void test_stop_while_waiting(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.idle_promise = 1;
    t.on_later = later_stop;
    t.later_ms = 300;
    t.client = cl_wait_forever;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_true(t.r[1].rc != CURLE_OK || t.r[1].status == 204);
    assert_int_equal(t.n_end, 1);
    assert_int_equal(t.end_why[0], CWMP_END_SHUTDOWN);
    st_done(&t);
}


static void test_wait_times_out(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.idle_promise = 1;          /* promises work, never queues any */
    t.cfg.idle_timeout_s = 1;
    t.client = cl_wait_forever;
    st_run(&t);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.r[1].status, 204);
    assert_int_equal(t.n_end, 1);
    assert_int_equal(t.end_why[0], CWMP_END_TIMEOUT);
    st_done(&t);
}

static size_t slow_rd(char *buf, size_t sz, size_t n, void *u)
{
    int *left = u;
    struct timespec ts = {0, 300 * 1000 * 1000};

    (void)sz;
    (void)n;
    if (*left <= 0)
        return 0;
    nanosleep(&ts, NULL);
    (*left)--;
    memset(buf, ' ', 10);
    return 10;
}

static void cl_slow(struct st *t)
{
    CURL *e = st_client(t);
    struct curl_slist *h = NULL;
    int left = 10; /* 3 s of trickle, idle timeout 1 s */

    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, slow_rd);
    curl_easy_setopt(e, CURLOPT_READDATA, &left);
    t->r[0].rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t->r[0].status);
    t->client_flag = left;
    t->nr = 1;
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
}

static void test_slow_body(void **state)
{
    struct st t;

    (void)state;
    st_init(&t);
    t.cfg.idle_timeout_s = 1;
    t.client = cl_slow;
    st_run(&t);
    /* cut off before the trickle ended, no answer */
    assert_true(t.r[0].rc != CURLE_OK);
    assert_true(t.client_flag > 0);
    assert_true(st_stats(&t).bad_requests >= 1);
    st_done(&t);
}

static void test_devkey(void **state)
{
    struct cwmp_msg m;
    char k[CWMP_DEVKEY_MAX];
    char longsn[300];

    (void)state;
    memset(&m, 0, sizeof(m));
    m.inform.device_id.oui = "00D09E";
    m.inform.device_id.serial_number = "AB 12-x";
    assert_int_equal(cwmp__devkey_make(&m, k, sizeof(k)), UB_OK);
    assert_string_equal(k, "00D09E-AB 12-x");
    m.inform.device_id.serial_number = "bad\x01";
    assert_int_not_equal(cwmp__devkey_make(&m, k, sizeof(k)), UB_OK);
    m.inform.device_id.serial_number = "";
    assert_int_not_equal(cwmp__devkey_make(&m, k, sizeof(k)), UB_OK);
    memset(longsn, 'S', sizeof(longsn) - 1);
    longsn[sizeof(longsn) - 1] = '\0';
    m.inform.device_id.serial_number = longsn;
    assert_int_equal(cwmp__devkey_make(&m, k, sizeof(k)), UB_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devkey),
        cmocka_unit_test(test_full_session),
        cmocka_unit_test(test_version_and_cpe_request),
        cmocka_unit_test(test_cookie_new_connection),
        cmocka_unit_test(test_shared_connection),
        cmocka_unit_test(test_idle_wait_resume),
        cmocka_unit_test(test_idle_queues_more),
        cmocka_unit_test(test_malformed_and_not_inform),
        cmocka_unit_test(test_wrong_id),
        cmocka_unit_test(test_second_inform_refused),
        cmocka_unit_test(test_inform_refused_by_app),
        cmocka_unit_test(test_chunked_and_too_big),
        cmocka_unit_test(test_max_sessions),
        cmocka_unit_test(test_queue_bounds),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_disconnect_in_flight),
        cmocka_unit_test(test_auth_basic),
        cmocka_unit_test(test_auth_digest_md5),
        cmocka_unit_test(test_auth_digest_sha256),
        cmocka_unit_test(test_auth_any),
        cmocka_unit_test(test_auth_param),
        cmocka_unit_test(test_auth_digest_burst),
        cmocka_unit_test(test_method_and_path),
        cmocka_unit_test(test_cpe_requests),
        cmocka_unit_test(test_cpe_fault_result),
        cmocka_unit_test(test_session_timeout),
        cmocka_unit_test(test_stop_while_waiting),
        cmocka_unit_test(test_wait_times_out),
        cmocka_unit_test(test_slow_body),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (getenv("UB_TEST_DEBUG"))
        ub_log_set_level(UB_LOG_INFO);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
