/*
 * cwmp server over HTTPS (libmicrohttpd + GnuTLS), test-only certificates
 * from tests/fixtures/tls (the test runs in tests/unit/cwmp).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include "srvtest.h"

#define TLS_DIR "../../fixtures/tls/"

struct tls_case {
    const char *cert, *key; /* client certificate, NULL for none */
    int sessions;           /* sequential sessions, each on a new connection */
};

static void cl_tls(struct st *t)
{
    const struct tls_case *tc = t->user;
    CURL *e = st_client(t);
    char inform[4096];
    int i;

    curl_easy_setopt(e, CURLOPT_CAINFO, TLS_DIR "ca.pem");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    /* a new TCP connection (and TLS handshake) for every request; the
     * TLS session cache of the handle stays, so later ones may resume */
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    if (tc->cert) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, tc->cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY, tc->key);
    }
    for (i = 0; i < tc->sessions; i++) {
        st_inform(inform, sizeof(inform), 0, "tls", "SNTLS");
        st_post(t, e, inform);
        if (t->r[t->nr - 1].status != 200)
            break;
        st_post(t, e, NULL); /* new connection: continues by cookie */
    }
    curl_easy_cleanup(e);
}

static void run_tls(struct st *t, const struct tls_case *tc, bool client_ca)
{
    st_init(t);
    snprintf(t->scheme, sizeof(t->scheme), "https");
    t->cfg.tls_cert_file = TLS_DIR "server.pem";
    t->cfg.tls_key_file = TLS_DIR "server.key";
    if (client_ca)
        t->cfg.tls_client_ca_file = TLS_DIR "ca.pem";
    t->user = (void *)tc;
    t->client = cl_tls;
    st_run(t);
}

static void test_https_session_and_resumption(void **state)
{
    struct tls_case tc = {NULL, NULL, 3};
    struct st t;
    struct cwmp_server_stats s;
    int i;

    (void)state;
    run_tls(&t, &tc, false);
    assert_int_equal(t.nr, 6);
    for (i = 0; i < 6; i += 2) {
        assert_int_equal(t.r[i].rc, CURLE_OK);
        assert_int_equal(t.r[i].status, 200);
        assert_non_null(strstr(t.r[i].body, "InformResponse"));
        assert_int_equal(t.r[i + 1].status, 204);
    }
    assert_int_equal(t.n_inform, 3);
    s = st_stats(&t);
    assert_int_equal(s.tls_connections, 6);
    /* GnuTLS session tickets (enabled by the server per connection): every
     * connection after the first should resume. */
    print_message("tls connections %" PRIu64 ", resumed %" PRIu64 "\n",
                  s.tls_connections, s.tls_resumed);
    assert_true(s.tls_resumed >= 4);
    st_done(&t);
}

static void test_client_cert_required(void **state)
{
    struct tls_case none = {NULL, NULL, 1};
    struct tls_case good = {TLS_DIR "client.pem", TLS_DIR "client.key", 1};
    struct tls_case rogue = {TLS_DIR "rogue-client.pem",
                             TLS_DIR "rogue-client.key", 1};
    struct st t;

    (void)state;
    run_tls(&t, &none, true);
    /* Refused: 403, or the handshake itself failed. */
    assert_true(t.r[0].status == 403 || t.r[0].rc != CURLE_OK);
    assert_int_equal(t.n_inform, 0);
    st_done(&t);

    run_tls(&t, &rogue, true);
    assert_true(t.r[0].status == 403 || t.r[0].rc != CURLE_OK);
    assert_int_equal(t.n_inform, 0);
    assert_true(st_stats(&t).auth_failures >= 1 || t.r[0].rc != CURLE_OK);
    st_done(&t);

    run_tls(&t, &good, true);
    assert_int_equal(t.r[0].rc, CURLE_OK);
    assert_int_equal(t.r[0].status, 200);
    assert_int_equal(t.r[1].status, 204);
    assert_int_equal(t.n_inform, 1);
    st_done(&t);
}

static void test_bad_tls_files(void **state)
{
    struct st t;
    uv_loop_t loop;

    (void)state;
    st_init(&t);
    t.cfg.tls_cert_file = TLS_DIR "missing.pem";
    t.cfg.tls_key_file = TLS_DIR "server.key";
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(cwmp_server_create(&loop, &t.cfg, &t.cb, &t.srv), UB_OK);
    assert_int_not_equal(cwmp_server_start(t.srv), UB_OK);
    cwmp_server_destroy(t.srv);
    /* key without certificate is a configuration error */
    t.cfg.tls_cert_file = NULL;
    assert_int_equal(cwmp_server_create(&loop, &t.cfg, &t.cb, &t.srv),
                     UB_ECONFIG);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_https_session_and_resumption),
        cmocka_unit_test(test_client_cert_required),
        cmocka_unit_test(test_bad_tls_files),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
