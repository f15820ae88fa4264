/*
 * cwmp server: Connection Requests (libcurl multi on the loop) against a
 * tiny libmicrohttpd Digest server playing the CPE.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include "srvtest.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the CPE's Connection Request server (own MHD thread) ---- */

static int cpe_hits;

static enum MHD_Result cpe_handler(void *cls, struct MHD_Connection *c,
                                   const char *url, const char *method,
                                   const char *version, const char *upload,
                                   size_t *upload_size, void **req_cls)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char *user;
    int ok;

    (void)cls;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    if (!*req_cls) {
        *req_cls = (void *)1;
        return MHD_YES;
    }
    __atomic_add_fetch(&cpe_hits, 1, __ATOMIC_SEQ_CST);
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    user = MHD_digest_auth_get_username(c);
    ok = user ? MHD_digest_auth_check2(c, "cpe", user, "crpw", 300,
                                       MHD_DIGEST_ALG_MD5)
              : MHD_NO;
    if (user && strcmp(user, "acs") != 0)
        ok = MHD_NO;
    if (user)
        MHD_free(user);
    if (ok == MHD_YES)
        ret = MHD_queue_response(c, strcmp(url, "/204") == 0 ? 204 : 200, r);
    else
        ret = MHD_queue_auth_fail_response2(c, "cpe", "opq", r,
                                            ok == MHD_INVALID_NONCE,
                                            MHD_DIGEST_ALG_MD5);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *cpe_start(uint16_t *port)
{
    static char rnd[16] = "0123456789abcdef";
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *di;

    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                         0, NULL, NULL, cpe_handler, NULL,
                         MHD_OPTION_DIGEST_AUTH_RANDOM, sizeof(rnd), rnd,
                         MHD_OPTION_NONCE_NC_SIZE, 64, MHD_OPTION_END);
    assert_non_null(d);
    di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di->port;
    return d;
}

/* A loopback port nobody listens on. */
static uint16_t dead_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* A port that accepts connections (backlog) but never answers. */
static int mute_fd = -1;
static uint16_t mute_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    mute_fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(mute_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(mute_fd, 8), 0);
    getsockname(mute_fd, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

/* ---- harness ---- */

struct cr_case {
    char url[128];
    const char *user, *pw;
    int expect_results;
    int rc_first, rc_second; /* return codes of the two calls */
    bool second;             /* issue a second call right after */
    const char *second_key;
};

static void later_cr(struct st *t)
{
    struct cr_case *c = t->user;

    c->rc_first = cwmp_connection_request(t->srv, "00D09E-CR", c->url,
                                          c->user, c->pw);
    if (c->second)
        c->rc_second = cwmp_connection_request(
            t->srv, c->second_key ? c->second_key : "00D09E-CR", c->url,
            c->user, c->pw);
}

static void cl_wait_cr(struct st *t)
{
    struct cr_case *c = t->user;
    struct timespec ts = {0, 10 * 1000 * 1000};
    int i;

    for (i = 0; i < 1500; i++) {
        if (__atomic_load_n(&t->n_cr, __ATOMIC_SEQ_CST) >= c->expect_results)
            break;
        nanosleep(&ts, NULL);
    }
}

static void run_cr(struct st *t, struct cr_case *c)
{
    st_init(t);
    t->cfg.cr_timeout_s = 1;
    t->cfg.cr_retries = 2;
    t->cfg.cr_backoff_ms = 50;
    t->user = c;
    t->on_later = later_cr;
    t->later_ms = 1;
    t->client = cl_wait_cr;
    st_run(t);
}

static void test_cr_success_and_rate_limit(void **state)
{
    struct MHD_Daemon *d;
    uint16_t port;
    struct cr_case c;
    struct st t;

    (void)state;
    d = cpe_start(&port);
    memset(&c, 0, sizeof(c));
    snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/cr", port);
    c.user = "acs";
    c.pw = "crpw";
    c.expect_results = 1;
    c.second = true;
    run_cr(&t, &c);
    assert_int_equal(c.rc_first, UB_OK);
    assert_int_equal(c.rc_second, UB_EAGAIN);
    assert_int_equal(t.n_cr, 1);
    assert_int_equal(t.cr_err, UB_OK);
    assert_int_equal(t.cr_status, 200);
    assert_int_equal(st_stats(&t).cr_sent, 1);
    assert_int_equal(st_stats(&t).cr_failed, 0);
    st_done(&t);

    /* 204 is success too */
    snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/204", port);
    c.second = false;
    run_cr(&t, &c);
    assert_int_equal(t.cr_err, UB_OK);
    assert_int_equal(t.cr_status, 204);
    st_done(&t);
    MHD_stop_daemon(d);
}

static void test_cr_bad_password(void **state)
{
    struct MHD_Daemon *d;
    uint16_t port;
    struct cr_case c;
    struct st t;

    (void)state;
    d = cpe_start(&port);
    memset(&c, 0, sizeof(c));
    snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/cr", port);
    c.user = "acs";
    c.pw = "nope";
    c.expect_results = 1;
    run_cr(&t, &c);
    assert_int_equal(c.rc_first, UB_OK);
    assert_int_equal(t.cr_err, UB_EAUTH);
    assert_int_equal(t.cr_status, 401);
    assert_int_equal(st_stats(&t).cr_sent, 1); /* no retry on 401 */
    assert_int_equal(st_stats(&t).cr_failed, 1);
    st_done(&t);
    MHD_stop_daemon(d);
}

static void test_cr_unreachable_retries(void **state)
{
    struct cr_case c;
    struct st t;

    (void)state;
    memset(&c, 0, sizeof(c));
    snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/cr", dead_port());
    c.user = "acs";
    c.pw = "crpw";
    c.expect_results = 2;
    c.second = true;
    c.second_key = "00D09E-OTHER";
    run_cr(&t, &c);
    assert_int_equal(c.rc_first, UB_OK);
    assert_int_equal(c.rc_second, UB_OK); /* another device: not limited */
    assert_int_equal(t.n_cr, 2);
    assert_int_equal(t.cr_err, UB_EIO);
    assert_int_equal(t.cr_status, 0);
    assert_int_equal(st_stats(&t).cr_sent, 6); /* 1 + 2 retries, twice */
    assert_int_equal(st_stats(&t).cr_failed, 2);
    st_done(&t);
}

static void test_cr_timeout_and_inflight_bound(void **state)
{
    struct cr_case c;
    struct st t;
    struct cwmp_server_stats s;

    (void)state;
    memset(&c, 0, sizeof(c));
    snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/cr", mute_port());
    c.user = "acs";
    c.pw = "crpw";
    c.expect_results = 1;
    c.second = true;
    c.second_key = "00D09E-OTHER";
    st_init(&t);
    t.cfg.cr_timeout_s = 1;
    t.cfg.cr_retries = 1;
    t.cfg.cr_backoff_ms = 50;
    t.cfg.cr_max_inflight = 1;
    t.user = &c;
    t.on_later = later_cr;
    t.later_ms = 1;
    t.client = cl_wait_cr;
    st_run(&t);
    close(mute_fd);
    assert_int_equal(c.rc_first, UB_OK);
    assert_int_equal(c.rc_second, UB_EFULL);
    assert_int_equal(t.n_cr, 1);
    assert_int_equal(t.cr_err, UB_ETIMEDOUT);
    s = st_stats(&t);
    assert_int_equal(s.cr_sent, 2); /* first attempt + one retry */
    assert_int_equal(s.cr_failed, 1);
    st_done(&t);
}

static void test_cr_bad_args(void **state)
{
    struct st t;
    uv_loop_t loop;

    (void)state;
    st_init(&t);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(cwmp_server_create(&loop, &t.cfg, &t.cb, &t.srv), UB_OK);
    /* not started */
    assert_int_equal(cwmp_connection_request(t.srv, "k", "http://x/", NULL,
                                             NULL),
                     UB_ESTATE);
    assert_int_equal(cwmp_connection_request(t.srv, "k", "ftp://x/", NULL,
                                             NULL),
                     UB_EINVAL);
    cwmp_server_destroy(t.srv);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cr_bad_args),
        cmocka_unit_test(test_cr_success_and_rate_limit),
        cmocka_unit_test(test_cr_bad_password),
        cmocka_unit_test(test_cr_unreachable_retries),
        cmocka_unit_test(test_cr_timeout_and_inflight_bound),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
