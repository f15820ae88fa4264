/*
 * Integration: the ACS endpoint (ub_cwmp) against the CPE simulator
 * (tools/cwmp-sim) over real HTTP/HTTPS sockets on 127.0.0.1.
 *
 * Each case starts a cwmp server on a fresh libuv loop, spawns cwmp-sim as a
 * child process (uv_spawn: the loop never blocks) and checks what the ACS
 * sees: Informs, RPC results, session ends, Connection Request outcomes.
 *
 * Usage: test_cwmp_sim <path-to-cwmp-sim> <tmpdir>
 */
#include <ub/base.h>
#include <ub/cwmp.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

static const char *sim_path;
static const char *tmpdir;

#define MAX_RESULTS 32

struct result {
    enum cwmp_method method;
    enum cwmp_kind kind;
    int err;
    unsigned fault;
    int status;
    unsigned instance;
    size_t n_params;
    char value[256];   /* value of the first param, if any */
    bool saw_writable_false;
};

struct ctx {
    uv_loop_t loop;
    struct cwmp_server *srv;
    uv_process_t proc;
    bool proc_running;
    int64_t proc_exit;
    uv_timer_t deadline;
    bool timed_out;
    /* what the ACS saw */
    unsigned informs, sessions_ok, sessions_other;
    unsigned cr_informs;
    char cr_url[256];
    char last_devkey[CWMP_DEVKEY_MAX];
    struct result res[MAX_RESULTS];
    size_t n_res;
    uint64_t ids[MAX_RESULTS];
    int cr_err;
    long cr_status;
    bool cr_done;
    /* scenario */
    int scenario;
    unsigned expect_informs;
    bool stop_when_done;
    void (*tick)(struct ctx *c);
    bool tick_fired;
    uv_timer_t tick_timer;
};

enum { SC_RPCS = 1, SC_COUNT, SC_CR };

static int find_id(struct ctx *c, uint64_t id)
{
    for (size_t i = 0; i < MAX_RESULTS; i++)
        if (c->ids[i] == id)
            return (int)i;
    return -1;
}

static void enqueue(struct ctx *c, const char *devkey, struct cwmp_msg *m)
{
    uint64_t id;
    size_t slot = c->n_res++;
    assert_true(slot < MAX_RESULTS);
    assert_int_equal(cwmp_rpc_enqueue(c->srv, devkey, m, &id), UB_OK);
    c->ids[slot] = id;
    c->res[slot].method = m ? CWMP_M_NONE : CWMP_M_NONE;
    c->res[slot].err = -1; /* not answered yet */
}

static struct cwmp_msg *req(enum cwmp_method m)
{
    struct cwmp_msg *r = cwmp_msg_new(m, CWMP_REQUEST);
    assert_non_null(r);
    return r;
}

static void queue_rpc_script(struct ctx *c, const char *devkey)
{
    struct cwmp_msg *m;

    /* 0: GPN of the whole tree */
    m = req(CWMP_M_GET_PARAMETER_NAMES);
    m->path = ub_strdup("Device.");
    m->next_level = false;
    enqueue(c, devkey, m);
    /* 1: GPV of one parameter */
    m = req(CWMP_M_GET_PARAMETER_VALUES);
    assert_int_equal(ub_strv_add(&m->strv, "Device.DeviceInfo.SerialNumber"), UB_OK);
    enqueue(c, devkey, m);
    /* 2: SPV of a writable parameter */
    m = req(CWMP_M_SET_PARAMETER_VALUES);
    assert_int_equal(ub_param_list_add(&m->params,
        "Device.ManagementServer.PeriodicInformInterval", "1234", UB_T_UINT), UB_OK);
    m->parameter_key = ub_strdup("it-1");
    enqueue(c, devkey, m);
    /* 3: read it back */
    m = req(CWMP_M_GET_PARAMETER_VALUES);
    assert_int_equal(ub_strv_add(&m->strv, "Device.ManagementServer.PeriodicInformInterval"), UB_OK);
    enqueue(c, devkey, m);
    /* 4: SPV of a read-only parameter: fault 9003 with 9008 inside */
    m = req(CWMP_M_SET_PARAMETER_VALUES);
    assert_int_equal(ub_param_list_add(&m->params,
        "Device.DeviceInfo.SerialNumber", "x", UB_T_STRING), UB_OK);
    m->parameter_key = ub_strdup("it-2");
    enqueue(c, devkey, m);
    /* 5: GPV of a name that does not exist: fault 9005 */
    m = req(CWMP_M_GET_PARAMETER_VALUES);
    assert_int_equal(ub_strv_add(&m->strv, "Device.NoSuchThing.Foo"), UB_OK);
    enqueue(c, devkey, m);
    /* 6: AddObject */
    m = req(CWMP_M_ADD_OBJECT);
    m->path = ub_strdup("Device.NAT.PortMapping.");
    m->parameter_key = ub_strdup("it-3");
    enqueue(c, devkey, m);
}

static void queue_after_add(struct ctx *c, const char *devkey, unsigned inst)
{
    struct cwmp_msg *m;
    char path[128];

    /* 7: GPN of the new instance (NextLevel) */
    snprintf(path, sizeof(path), "Device.NAT.PortMapping.%u.", inst);
    m = req(CWMP_M_GET_PARAMETER_NAMES);
    m->path = ub_strdup(path);
    m->next_level = true;
    enqueue(c, devkey, m);
    /* 8: DeleteObject */
    m = req(CWMP_M_DELETE_OBJECT);
    m->path = ub_strdup(path);
    m->parameter_key = ub_strdup("it-4");
    enqueue(c, devkey, m);
    /* 9: GPV of the deleted instance: fault 9005 */
    m = req(CWMP_M_GET_PARAMETER_VALUES);
    assert_int_equal(ub_strv_add(&m->strv, path), UB_OK);
    enqueue(c, devkey, m);
}

static void maybe_finish(struct ctx *c);

static int on_inform(void *user, const char *devkey,
                     const struct cwmp_msg *inform)
{
    struct ctx *c = user;

    c->informs++;
    snprintf(c->last_devkey, sizeof(c->last_devkey), "%s", devkey);
    for (size_t i = 0; i < inform->inform.n_events; i++)
        if (strcmp(inform->inform.events[i].code, "6 CONNECTION REQUEST") == 0)
            c->cr_informs++;
    for (size_t i = 0; i < inform->inform.params.n; i++) {
        const struct ub_param *p = &inform->inform.params.v[i];
        if (strstr(p->path, "ManagementServer.ConnectionRequestURL") && p->value)
            snprintf(c->cr_url, sizeof(c->cr_url), "%s", p->value);
    }
    if (c->scenario == SC_RPCS && c->informs == 1)
        queue_rpc_script(c, devkey);
    return UB_OK;
}

static void on_rpc_result(void *user, const char *devkey, uint64_t rpc_id,
                          const struct cwmp_msg *resp, int err)
{
    struct ctx *c = user;
    int i = find_id(c, rpc_id);
    struct result *r;

    assert_true(i >= 0);
    r = &c->res[i];
    r->err = err;
    if (!resp)
        return;
    r->method = resp->method;
    r->kind = resp->kind;
    r->fault = resp->fault.code;
    r->status = resp->status;
    r->instance = resp->instance_number;
    r->n_params = resp->params.n;
    if (resp->params.n && resp->params.v[0].value)
        snprintf(r->value, sizeof(r->value), "%s", resp->params.v[0].value);
    for (size_t k = 0; k < resp->params.n; k++)
        if (!resp->params.v[k].writable)
            r->saw_writable_false = true;
    if (c->scenario == SC_RPCS && i == 6 && resp->kind == CWMP_RESPONSE)
        queue_after_add(c, devkey, resp->instance_number);
}

static void on_session_end(void *user, const char *devkey,
                           enum cwmp_end_reason why)
{
    struct ctx *c = user;
    (void)devkey;
    if (why == CWMP_END_OK)
        c->sessions_ok++;
    else
        c->sessions_other++;
    maybe_finish(c);
}

static void on_cr_result(void *user, const char *devkey, int err, long status)
{
    struct ctx *c = user;
    (void)devkey;
    c->cr_done = true;
    c->cr_err = err;
    c->cr_status = status;
}

static void on_stopped(void *user) { (void)user; }

static void stop_all(struct ctx *c)
{
    if (c->proc_running)
        uv_process_kill(&c->proc, SIGTERM);
    if (!uv_is_closing((uv_handle_t *)&c->deadline))
        uv_close((uv_handle_t *)&c->deadline, NULL);
    if (!uv_is_closing((uv_handle_t *)&c->tick_timer))
        uv_close((uv_handle_t *)&c->tick_timer, NULL);
    cwmp_server_stop(c->srv, on_stopped, c);
}

static void on_deadline(uv_timer_t *t)
{
    struct ctx *c = t->data;
    c->timed_out = true;
    stop_all(c);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct ctx *c = p->data;
    c->proc_exit = sig ? -sig : status;
    c->proc_running = false;
    uv_close((uv_handle_t *)p, NULL);
    if (c->scenario != SC_CR)
        stop_all(c);
}

static void maybe_finish(struct ctx *c)
{
    if (c->scenario == SC_CR && c->cr_informs >= 1 && c->sessions_ok >= 2)
        stop_all(c);
}

static void on_sim_output(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    /* The sim's JSON lines go to our stderr for debugging failures. */
    if (n > 0 && getenv("UB_TEST_VERBOSE"))
        fwrite(buf->base, 1, (size_t)n, stderr);
    free(buf->base);
    if (n < 0)
        uv_close((uv_handle_t *)s, NULL);
}

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)h;
    b->base = malloc(sz);
    b->len = b->base ? sz : 0;
}

static void on_tick(uv_timer_t *t)
{
    struct ctx *c = t->data;
    if (c->tick)
        c->tick(c);
}

static void run_case(struct ctx *c, struct cwmp_server_config *sc,
                     char **sim_args, unsigned timeout_s)
{
    struct cwmp_callbacks cb = {
        .user = c, .on_inform = on_inform, .on_rpc_result = on_rpc_result,
        .on_session_end = on_session_end, .on_cr_result = on_cr_result,
    };
    uv_process_options_t po;
    uv_stdio_container_t stdio[3];
    uv_pipe_t out;
    char url[128];
    char *args[64];
    size_t na = 0;

    assert_int_equal(uv_loop_init(&c->loop), 0);
    assert_int_equal(cwmp_server_create(&c->loop, sc, &cb, &c->srv), UB_OK);
    assert_int_equal(cwmp_server_start(c->srv), UB_OK);
    snprintf(url, sizeof(url), "%s://127.0.0.1:%u/acs",
             sc->tls_cert_file ? "https" : "http",
             (unsigned)cwmp_server_port(c->srv));

    args[na++] = (char *)sim_path;
    args[na++] = "--acs";
    args[na++] = url;
    for (char **a = sim_args; *a; a++)
        args[na++] = *a;
    args[na] = NULL;

    uv_pipe_init(&c->loop, &out, 0);
    memset(&po, 0, sizeof(po));
    po.file = sim_path;
    po.args = args;
    po.exit_cb = on_exit_cb;
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&out;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    po.stdio = stdio;
    po.stdio_count = 3;
    c->proc.data = c;
    assert_int_equal(uv_spawn(&c->loop, &c->proc, &po), 0);
    c->proc_running = true;
    uv_read_start((uv_stream_t *)&out, alloc_cb, on_sim_output);

    uv_timer_init(&c->loop, &c->deadline);
    c->deadline.data = c;
    uv_timer_start(&c->deadline, on_deadline, timeout_s * 1000u, 0);
    uv_timer_init(&c->loop, &c->tick_timer);
    c->tick_timer.data = c;
    uv_timer_start(&c->tick_timer, on_tick, 50, 50);

    uv_run(&c->loop, UV_RUN_DEFAULT);
    cwmp_server_destroy(c->srv);
    assert_int_equal(uv_loop_close(&c->loop), 0);
}

static void base_config(struct cwmp_server_config *sc)
{
    cwmp_server_config_init(sc);
    sc->bind_addr = "127.0.0.1";
    sc->port = 0;
    sc->path = "/acs";
    sc->auth = CWMP_AUTH_DIGEST;
    sc->username = "cpe";
    sc->password = "secret";
    sc->cr_min_interval_s = 0;
}

/* The ACS's RPCs reach the simulated CPE and the results come back right. */
static void check_rpc_results(struct ctx *c)
{
    assert_false(c->timed_out);
    assert_int_equal(c->proc_exit, 0);
    assert_int_equal(c->informs, 1);
    assert_int_equal(c->n_res, 10);
    for (size_t i = 0; i < c->n_res; i++)
        if (c->res[i].err != UB_OK)
            fail_msg("RPC %zu: err %d", i, c->res[i].err);
    /* GPN of the whole tree: the model has >= 1000 parameters */
    assert_int_equal(c->res[0].kind, CWMP_RESPONSE);
    assert_true(c->res[0].n_params >= 1000);
    assert_true(c->res[0].saw_writable_false);
    assert_int_equal(c->res[1].kind, CWMP_RESPONSE);
    assert_int_equal(c->res[1].n_params, 1);
    assert_true(strncmp(c->res[1].value, "SIM", 3) == 0);
    assert_int_equal(c->res[2].kind, CWMP_RESPONSE);
    assert_int_equal(c->res[2].status, 0);
    assert_string_equal(c->res[3].value, "1234");
    assert_int_equal(c->res[4].kind, CWMP_FAULT);
    assert_int_equal(c->res[4].fault, 9003);
    assert_int_equal(c->res[5].kind, CWMP_FAULT);
    assert_int_equal(c->res[5].fault, 9005);
    assert_int_equal(c->res[6].kind, CWMP_RESPONSE);
    assert_true(c->res[6].instance >= 1);
    assert_int_equal(c->res[7].kind, CWMP_RESPONSE);
    assert_true(c->res[7].n_params >= 3);
    assert_int_equal(c->res[8].kind, CWMP_RESPONSE);
    assert_int_equal(c->res[8].status, 0);
    assert_int_equal(c->res[9].kind, CWMP_FAULT);
    assert_int_equal(c->res[9].fault, 9005);
    assert_int_equal(c->sessions_ok, 1);
}

static void test_rpcs_http_digest(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct cwmp_server_config sc;
    char *args[] = {"--once", "--count", "1", "--serial-prefix", "SIM",
                    "--username", "cpe", "--password", "secret",
                    "--auth", "digest", "--json", NULL};
    (void)state;
    base_config(&sc);
    c->scenario = SC_RPCS;
    run_case(c, &sc, args, 60);
    check_rpc_results(c);
    free(c);
}

static void test_rpcs_https_sha256(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct cwmp_server_config sc;
    char cert[512], key[512], cmd[2048];
    (void)state;
    snprintf(cert, sizeof(cert), "%s/acs-cert.pem", tmpdir);
    snprintf(key, sizeof(key), "%s/acs-key.pem", tmpdir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1", key, cert);
    assert_int_equal(system(cmd), 0);
    char *args[] = {"--once", "--count", "1", "--serial-prefix", "SIM",
                    "--username", "cpe", "--password", "secret",
                    "--auth", "digest", "--cacert", cert, "--json", NULL};
    base_config(&sc);
    sc.tls_cert_file = cert;
    sc.tls_key_file = key;
    sc.digest_algo = CWMP_DIGEST_SHA256;
    c->scenario = SC_RPCS;
    run_case(c, &sc, args, 60);
    check_rpc_results(c);
    free(c);
}

/* A CPE with the wrong password never reaches a session. */
static void test_bad_password(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct cwmp_server_config sc;
    struct cwmp_server_stats st;
    char *args[] = {"--once", "--count", "1", "--username", "cpe",
                    "--password", "wrong", "--auth", "digest", "--json", NULL};
    (void)state;
    base_config(&sc);
    c->scenario = SC_COUNT;
    run_case(c, &sc, args, 60);
    assert_false(c->timed_out);
    assert_int_equal(c->informs, 0);
    assert_int_not_equal(c->proc_exit, 0);
    (void)st;
    free(c);
}

/* A Connection Request (Digest) wakes the CPE: it opens a session with
 * "6 CONNECTION REQUEST". */
static void cr_tick(struct ctx *c)
{
    if (c->sessions_ok >= 1 && c->cr_url[0] && !c->tick_fired) {
        c->tick_fired = true;
        assert_int_equal(cwmp_connection_request(c->srv, c->last_devkey,
                                                 c->cr_url, "cruser", "crpass"),
                         UB_OK);
    }
}

static void test_connection_request(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct cwmp_server_config sc;
    char *args[] = {"--count", "1", "--username", "cpe", "--password", "secret",
                    "--auth", "digest", "--cr-port", "0", "--cr-auth", "digest",
                    "--cr-username", "cruser", "--cr-password", "crpass",
                    "--json", NULL};
    (void)state;
    base_config(&sc);
    c->scenario = SC_CR;
    c->tick = cr_tick;
    run_case(c, &sc, args, 60);
    assert_false(c->timed_out);
    assert_true(c->cr_done);
    assert_int_equal(c->cr_err, UB_OK);
    assert_int_equal(c->cr_informs, 1);
    assert_true(c->sessions_ok >= 2);
    free(c);
}

/* 1,000 simulated CPEs complete Inform sessions concurrently. */
static void test_thousand_cpes(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct cwmp_server_config sc;
    struct rlimit rl;
    char *args[] = {"--once", "--count", "1000", "--max-concurrent", "1000",
                    "--username", "cpe", "--password", "secret",
                    "--auth", "digest", NULL};
    (void)state;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    base_config(&sc);
    c->scenario = SC_COUNT;
    run_case(c, &sc, args, 240);
    assert_false(c->timed_out);
    assert_int_equal(c->proc_exit, 0);
    assert_int_equal(c->informs, 1000);
    assert_int_equal(c->sessions_ok, 1000);
    free(c);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpcs_http_digest),
        cmocka_unit_test(test_rpcs_https_sha256),
        cmocka_unit_test(test_bad_password),
        cmocka_unit_test(test_connection_request),
        cmocka_unit_test(test_thousand_cpes),
    };
    if (argc < 3) {
        fprintf(stderr, "usage: %s <cwmp-sim> <tmpdir>\n", argv[0]);
        return 2;
    }
    sim_path = argv[1];
    tmpdir = argv[2];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
