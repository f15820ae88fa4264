/*
 * cwmp-sim against the project's ACS endpoint (ub_cwmp server) on
 * 127.0.0.1: the behaviours a bridge relies on (VALUE CHANGE after a local
 * change, Reboot, FactoryReset, Download/TransferComplete, ScheduleInform)
 * and each quirk, as the ACS sees them.
 *
 * Each case runs a cwmp server on a fresh libuv loop and spawns cwmp-sim
 * (uv_spawn) with --json; the sim's stdout is parsed for its control port.
 *
 * Usage: test_sim_acs <path-to-cwmp-sim> [test-name-filter]
 */
#include <ub/base.h>
#include <ub/cwmp.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

static const char *sim_path;

#define MAX_INFORMS 16
#define MAX_RES 16

struct inform_seen {
    char events[8][40];
    char keys[8][40];
    size_t n_events;
    size_t n_params;
    bool any_typed;      /* some parameter had an xsi:type */
    bool root_igd;
    char vc_value[128];  /* value of Device.WiFi.SSID.1.SSID if present */
    char cr_url[256];
};

struct ctx {
    uv_loop_t loop;
    struct cwmp_server *srv;
    uv_process_t proc;
    uv_pipe_t out;
    bool proc_running;
    int64_t proc_exit;
    uv_timer_t deadline, stop_timer;
    bool timed_out, stopping;
    char outbuf[65536];
    size_t outlen;
    int control_port;
    struct inform_seen inf[MAX_INFORMS];
    size_t n_inf;
    unsigned sessions_ok, sessions_other;
    struct cwmp_msg *res[MAX_RES];
    size_t n_res;
    uint64_t ids[MAX_RES];
    unsigned transfer_completes;
    char tc_key[64];
    /* scenario hooks */
    void (*on_inform)(struct ctx *c, const char *devkey, size_t n);
    void (*on_end)(struct ctx *c, const char *devkey);
    const char *tls_cert, *tls_key, *tls_client_ca;
    int cr_err;
    long cr_status;
    unsigned cr_results;
    bool (*done)(struct ctx *c);
    char devkey[CWMP_DEVKEY_MAX];
};

static bool has_event(const struct inform_seen *s, const char *code)
{
    for (size_t i = 0; i < s->n_events; i++)
        if (strcmp(s->events[i], code) == 0)
            return true;
    return false;
}

static void stop_all(struct ctx *c);

static void on_stopped(void *user) { (void)user; }

static void on_stop_timer(uv_timer_t *t)
{
    stop_all(t->data);
}

/* Stops from the next loop iteration: cwmp_server_stop() must not run
 * inside a server callback (MHD is inside MHD_run there). */
static void check_done(struct ctx *c)
{
    if (c->done && c->done(c) && !c->stopping)
        uv_timer_start(&c->stop_timer, on_stop_timer, 0, 0);
}

static int acs_inform(void *user, const char *devkey, const struct cwmp_msg *m)
{
    struct ctx *c = user;
    struct inform_seen *s;

    snprintf(c->devkey, sizeof(c->devkey), "%s", devkey);
    if (c->n_inf >= MAX_INFORMS)
        return UB_OK;
    s = &c->inf[c->n_inf++];
    for (size_t i = 0; i < m->inform.n_events && i < 8; i++) {
        snprintf(s->events[i], sizeof(s->events[i]), "%s", m->inform.events[i].code);
        snprintf(s->keys[i], sizeof(s->keys[i]), "%s",
                 m->inform.events[i].command_key ? m->inform.events[i].command_key : "");
        s->n_events++;
    }
    s->n_params = m->inform.params.n;
    for (size_t i = 0; i < m->inform.params.n; i++) {
        const struct ub_param *p = &m->inform.params.v[i];
        if (p->type != UB_T_NONE || p->type_name)
            s->any_typed = true;
        if (strncmp(p->path, "InternetGatewayDevice.", 22) == 0)
            s->root_igd = true;
        if (strcmp(p->path, "Device.WiFi.SSID.1.SSID") == 0 && p->value)
            snprintf(s->vc_value, sizeof(s->vc_value), "%s", p->value);
        if (strstr(p->path, "ManagementServer.ConnectionRequestURL") && p->value)
            snprintf(s->cr_url, sizeof(s->cr_url), "%s", p->value);
    }
    if (c->on_inform)
        c->on_inform(c, devkey, c->n_inf);
    return UB_OK;
}

static void acs_cpe_request(void *user, const char *devkey,
                            const struct cwmp_msg *req)
{
    struct ctx *c = user;
    (void)devkey;
    if (req->method == CWMP_M_TRANSFER_COMPLETE) {
        c->transfer_completes++;
        snprintf(c->tc_key, sizeof(c->tc_key), "%s",
                 req->transfer.command_key ? req->transfer.command_key : "");
    }
}

static void acs_rpc_result(void *user, const char *devkey, uint64_t id,
                           const struct cwmp_msg *resp, int err)
{
    struct ctx *c = user;
    (void)devkey;
    for (size_t i = 0; i < c->n_res; i++) {
        if (c->ids[i] != id)
            continue;
        if (resp && !err) {
            /* keep what the checks need: a shallow summary message */
            struct cwmp_msg *k = cwmp_msg_new(resp->method, resp->kind);
            k->fault.code = resp->fault.code;
            k->status = resp->status;
            for (size_t j = 0; j < resp->params.n && j < 4; j++)
                assert_int_equal(ub_param_list_add(&k->params, resp->params.v[j].path,
                    resp->params.v[j].value ? resp->params.v[j].value : "",
                    resp->params.v[j].type), UB_OK);
            k->instance_number = (unsigned)resp->params.n; /* count */
            c->res[i] = k;
        }
    }
}

static void acs_cr_result(void *user, const char *devkey, int err, long status)
{
    struct ctx *c = user;
    (void)devkey;
    c->cr_results++;
    c->cr_err = err;
    c->cr_status = status;
}

static void acs_session_end(void *user, const char *devkey,
                            enum cwmp_end_reason why)
{
    struct ctx *c = user;
    if (why == CWMP_END_OK)
        c->sessions_ok++;
    else
        c->sessions_other++;
    if (c->on_end)
        c->on_end(c, devkey);
    check_done(c);
}

static void enqueue(struct ctx *c, struct cwmp_msg *m)
{
    size_t slot = c->n_res++;
    assert_true(slot < MAX_RES);
    assert_int_equal(cwmp_rpc_enqueue(c->srv, c->devkey, m, &c->ids[slot]), UB_OK);
}

static void stop_all(struct ctx *c)
{
    if (c->stopping)
        return;
    c->stopping = true;
    if (c->proc_running)
        uv_process_kill(&c->proc, SIGTERM);
    uv_close((uv_handle_t *)&c->deadline, NULL);
    uv_close((uv_handle_t *)&c->stop_timer, NULL);
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
    stop_all(c);
}

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    struct ctx *c = h->data;
    (void)sz;
    b->base = c->outbuf + c->outlen;
    b->len = sizeof(c->outbuf) - 1 - c->outlen;
}

static void on_sim_output(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct ctx *c = s->data;
    const char *p;
    (void)buf;
    if (n < 0) {
        uv_close((uv_handle_t *)s, NULL);
        return;
    }
    c->outlen += (size_t)n;
    c->outbuf[c->outlen] = 0;
    if (getenv("UB_TEST_VERBOSE"))
        fwrite(buf->base, 1, (size_t)n, stderr);
    if (c->control_port < 0 && (p = strstr(c->outbuf, "\"control_listen\",\"port\":")))
        c->control_port = atoi(p + strlen("\"control_listen\",\"port\":"));
    if (c->outlen >= sizeof(c->outbuf) - 1)
        c->outlen = 0; /* keep reading; only the start matters */
}

/* Sends one control command and returns the reply line (blocking: a test). */
static void control(struct ctx *c, const char *cmd, char *reply, size_t sz)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ssize_t n;
    size_t got = 0;

    assert_true(c->control_port > 0);
    sa.sin_port = htons((uint16_t)c->control_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
    while (got < sz - 1 && (n = read(fd, reply + got, sz - 1 - got)) > 0) {
        got += (size_t)n;
        if (memchr(reply, '\n', got))
            break;
    }
    reply[got] = 0;
    close(fd);
}

static void run_case(struct ctx *c, enum cwmp_auth_mode auth, char **sim_args,
                     unsigned timeout_s)
{
    struct cwmp_callbacks cb = {
        .user = c, .on_inform = acs_inform, .on_cpe_request = acs_cpe_request,
        .on_rpc_result = acs_rpc_result, .on_session_end = acs_session_end,
        .on_cr_result = acs_cr_result,
    };
    struct cwmp_server_config sc;
    uv_process_options_t po;
    uv_stdio_container_t stdio[3];
    char url[128];
    char *args[64];
    size_t na = 0;

    cwmp_server_config_init(&sc);
    sc.bind_addr = "127.0.0.1";
    sc.port = 0;
    sc.path = "/acs";
    sc.auth = auth;
    sc.username = "cpe";
    sc.password = "secret";
    sc.cr_min_interval_s = 0;
    sc.tls_cert_file = c->tls_cert;
    sc.tls_key_file = c->tls_key;
    sc.tls_client_ca_file = c->tls_client_ca;
    c->control_port = -1;
    assert_int_equal(uv_loop_init(&c->loop), 0);
    assert_int_equal(cwmp_server_create(&c->loop, &sc, &cb, &c->srv), UB_OK);
    assert_int_equal(cwmp_server_start(c->srv), UB_OK);
    snprintf(url, sizeof(url), "%s://127.0.0.1:%u/acs",
             c->tls_cert ? "https" : "http", (unsigned)cwmp_server_port(c->srv));
    args[na++] = (char *)sim_path;
    args[na++] = "--acs";
    args[na++] = url;
    args[na++] = "--json";
    args[na++] = "--username";
    args[na++] = "cpe";
    args[na++] = "--password";
    args[na++] = "secret";
    for (char **a = sim_args; *a; a++)
        args[na++] = *a;
    args[na] = NULL;

    uv_pipe_init(&c->loop, &c->out, 0);
    c->out.data = c;
    memset(&po, 0, sizeof(po));
    po.file = sim_path;
    po.args = args;
    po.exit_cb = on_exit_cb;
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&c->out;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    po.stdio = stdio;
    po.stdio_count = 3;
    c->proc.data = c;
    assert_int_equal(uv_spawn(&c->loop, &c->proc, &po), 0);
    c->proc_running = true;
    uv_read_start((uv_stream_t *)&c->out, alloc_cb, on_sim_output);
    uv_timer_init(&c->loop, &c->deadline);
    c->deadline.data = c;
    uv_timer_start(&c->deadline, on_deadline, timeout_s * 1000u, 0);
    uv_timer_init(&c->loop, &c->stop_timer);
    c->stop_timer.data = c;
    uv_run(&c->loop, UV_RUN_DEFAULT);
    cwmp_server_destroy(c->srv);
    assert_int_equal(uv_loop_close(&c->loop), 0);
}

static void ctx_free(struct ctx *c)
{
    for (size_t i = 0; i < MAX_RES; i++)
        cwmp_msg_free(c->res[i]);
    free(c);
}

/* ---- VALUE CHANGE: SPA notification 2, then a local change ---- */

static void vc_inform(struct ctx *c, const char *devkey, size_t n)
{
    (void)devkey;
    if (n == 1) {
        struct cwmp_msg *m = cwmp_msg_new(CWMP_M_SET_PARAMETER_ATTRIBUTES, CWMP_REQUEST);
        m->attrs = ub_calloc(1, sizeof(*m->attrs));
        m->n_attrs = 1;
        m->attrs[0].name = ub_strdup("Device.WiFi.SSID.1.SSID");
        m->attrs[0].notification_change = true;
        m->attrs[0].notification = 2;
        ub_strv_init(&m->attrs[0].access_list, 0);
        enqueue(c, m);
    }
}

static void vc_end(struct ctx *c, const char *devkey)
{
    char reply[128];
    (void)devkey;
    if (c->sessions_ok == 1) {
        control(c, "set SIM000001 Device.WiFi.SSID.1.SSID changed-locally\n",
                reply, sizeof(reply));
        assert_string_equal(reply, "ok\n");
    }
}

static bool vc_done(struct ctx *c) { return c->n_inf >= 2 && c->sessions_ok >= 2; }

static void test_value_change(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *args[] = {"--control", "0", NULL};
    (void)state;
    c->on_inform = vc_inform;
    c->on_end = vc_end;
    c->done = vc_done;
    run_case(c, CWMP_AUTH_DIGEST, args, 30);
    assert_false(c->timed_out);
    assert_int_equal(c->n_inf, 2);
    assert_true(has_event(&c->inf[0], "0 BOOTSTRAP"));
    assert_true(has_event(&c->inf[0], "1 BOOT"));
    assert_non_null(c->res[0]);
    assert_int_equal(c->res[0]->kind, CWMP_RESPONSE);
    assert_true(has_event(&c->inf[1], "4 VALUE CHANGE"));
    assert_false(has_event(&c->inf[1], "0 BOOTSTRAP"));
    assert_string_equal(c->inf[1].vc_value, "changed-locally");
    ctx_free(c);
}

/* ---- Reboot, then Download + TransferComplete, then FactoryReset ---- */

static void life_inform(struct ctx *c, const char *devkey, size_t n)
{
    struct cwmp_msg *m;
    (void)devkey;
    if (n == 1) {
        m = cwmp_msg_new(CWMP_M_REBOOT, CWMP_REQUEST);
        m->command_key = ub_strdup("rb-1");
        enqueue(c, m);
    } else if (n == 2) {
        m = cwmp_msg_new(CWMP_M_DOWNLOAD, CWMP_REQUEST);
        m->transfer.command_key = ub_strdup("dl-1");
        m->transfer.file_type = ub_strdup("3 Vendor Configuration File");
        m->transfer.url = ub_strdup("http://127.0.0.1:9/config.bin");
        enqueue(c, m);
    } else if (n == 3) {
        enqueue(c, cwmp_msg_new(CWMP_M_FACTORY_RESET, CWMP_REQUEST));
    }
}

static bool life_done(struct ctx *c) { return c->n_inf >= 4 && c->sessions_ok >= 4; }

static void test_reboot_download_reset(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *args[] = {"--reboot-delay", "100", "--transfer-time", "0",
                    "--state-dir", "/tmp", "--serial-prefix", "LIFE", NULL};
    char st[64];
    (void)state;
    snprintf(st, sizeof(st), "/tmp/LIFE000001.state");
    unlink(st);
    c->on_inform = life_inform;
    c->done = life_done;
    run_case(c, CWMP_AUTH_DIGEST, args, 30);
    unlink(st);
    assert_false(c->timed_out);
    assert_int_equal(c->n_inf, 4);
    /* after Reboot: 1 BOOT + M Reboot with the CommandKey */
    assert_true(has_event(&c->inf[1], "1 BOOT"));
    assert_true(has_event(&c->inf[1], "M Reboot"));
    assert_false(has_event(&c->inf[1], "0 BOOTSTRAP"));
    assert_int_equal(c->res[1]->kind, CWMP_RESPONSE); /* Download: status 1 */
    assert_int_equal(c->res[1]->method, CWMP_M_DOWNLOAD);
    /* after the download: 7 TRANSFER COMPLETE + M Download, TransferComplete */
    assert_true(has_event(&c->inf[2], "7 TRANSFER COMPLETE"));
    assert_true(has_event(&c->inf[2], "M Download"));
    assert_int_equal(c->transfer_completes, 1);
    assert_string_equal(c->tc_key, "dl-1");
    /* after FactoryReset: a new bootstrap */
    assert_true(has_event(&c->inf[3], "0 BOOTSTRAP"));
    ctx_free(c);
}

/* ---- Connection Request from the ACS, then periodic informs ---- */

static void cr_end(struct ctx *c, const char *devkey)
{
    if (c->sessions_ok == 1) {
        assert_true(c->inf[0].cr_url[0] != 0);
        assert_int_equal(cwmp_connection_request(c->srv, devkey, c->inf[0].cr_url,
                                                 "cruser", "crpass"), UB_OK);
    }
}

static bool cr_done(struct ctx *c) { return c->n_inf >= 3 && c->sessions_ok >= 3; }

static void test_cr_then_periodic(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *args[] = {"--cr-username", "cruser", "--cr-password", "crpass",
                    "--periodic", "2", NULL};
    (void)state;
    c->on_end = cr_end;
    c->done = cr_done;
    run_case(c, CWMP_AUTH_DIGEST, args, 30);
    assert_false(c->timed_out);
    assert_int_equal(c->cr_results, 1);
    assert_int_equal(c->cr_err, UB_OK);
    assert_true(c->cr_status == 200 || c->cr_status == 204);
    assert_true(has_event(&c->inf[1], "6 CONNECTION REQUEST"));
    assert_true(has_event(&c->inf[2], "2 PERIODIC"));
    assert_int_equal(c->inf[2].n_events, 1);
    ctx_free(c);
}

/* ---- quirks ---- */


static void test_quirk_periodic_first_tr098_no_xsi(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *args[] = {"--once", "--quirk", "periodic-first", "--quirk", "tr098",
                    "--quirk", "no-xsi-type", "--quirk", "bad-arraytype-count",
                    NULL};
    (void)state;
    /* --once: the sim exits by itself after its session */
    run_case(c, CWMP_AUTH_DIGEST, args, 30);
    assert_false(c->timed_out);
    assert_int_equal(c->proc_exit, 0);
    assert_int_equal(c->n_inf, 1);
    assert_int_equal(c->inf[0].n_events, 1);
    assert_string_equal(c->inf[0].events[0], "2 PERIODIC");
    assert_true(c->inf[0].root_igd);
    assert_true(c->inf[0].n_params >= 7);
    assert_false(c->inf[0].any_typed);
    ctx_free(c);
}

static void q_inform(struct ctx *c, const char *devkey, size_t n)
{
    struct cwmp_msg *m;
    (void)devkey;
    if (n != 1)
        return;
    m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
    assert_int_equal(ub_strv_add(&m->strv, "Device."), UB_OK);
    enqueue(c, m);
    m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
    assert_int_equal(ub_strv_add(&m->strv, "Device.Time."), UB_OK);
    enqueue(c, m);
    m = cwmp_msg_new(CWMP_M_SET_PARAMETER_VALUES, CWMP_REQUEST);
    assert_int_equal(ub_param_list_add(&m->params, "Device.DeviceInfo.SerialNumber",
                                       "X", UB_T_STRING), UB_OK);
    m->parameter_key = ub_strdup("q1");
    enqueue(c, m);
    m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
    assert_int_equal(ub_strv_add(&m->strv, "Device.DeviceInfo.SerialNumber"), UB_OK);
    enqueue(c, m);
}

static void test_quirk_gpv9004_spv0_cookie(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *args[] = {"--once", "--quirk", "gpv-9004", "--quirk", "spv-always-0",
                    "--quirk", "echo-cookie-attrs", "--quirk", "mixed-ns-prefixes",
                    "--quirk", "naive-parser", NULL};
    (void)state;
    c->on_inform = q_inform;
    /* --once: the sim exits by itself after its session */
    run_case(c, CWMP_AUTH_DIGEST, args, 30);
    assert_false(c->timed_out);
    assert_int_equal(c->proc_exit, 0);
    assert_int_equal(c->sessions_ok, 1);
    assert_int_equal(c->res[0]->kind, CWMP_FAULT);
    assert_int_equal(c->res[0]->fault.code, 9004);
    assert_int_equal(c->res[1]->kind, CWMP_RESPONSE);
    assert_true(c->res[1]->instance_number > 3);
    assert_int_equal(c->res[2]->kind, CWMP_RESPONSE);
    assert_int_equal(c->res[2]->status, 0);
    assert_string_equal(c->res[3]->params.v[0].value, "SIM000001");
    ctx_free(c);
}

static void test_quirk_basic_upfront(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *args[] = {"--once", "--quirk", "basic-upfront", NULL};
    (void)state;
    /* a Digest-only ACS: the CPE sends Basic, gets 401 and gives up */
    /* --once: the sim exits by itself after its session */
    run_case(c, CWMP_AUTH_DIGEST, args, 30);
    assert_false(c->timed_out);
    assert_int_not_equal(c->proc_exit, 0);
    assert_int_equal(c->n_inf, 0);
    assert_non_null(strstr(c->outbuf, "\"auth_failed\""));
    ctx_free(c);
    /* an ACS that accepts Basic up front works */
    c = calloc(1, sizeof(*c));
    /* --once: the sim exits by itself after its session */
    run_case(c, CWMP_AUTH_ANY, args, 30);
    assert_false(c->timed_out);
    assert_int_equal(c->proc_exit, 0);
    assert_int_equal(c->n_inf, 1);
    ctx_free(c);
}

/* ---- HTTPS with a client certificate ---- */

static void test_https_client_cert(void **state)
{
    char dir[] = "/tmp/sim-tls-XXXXXX", cmd[4096], ca[128], crt[128], key[128],
         ccrt[128], ckey[128], rm[160];
    struct ctx *c;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    snprintf(crt, sizeof(crt), "%s/acs.pem", dir);
    snprintf(key, sizeof(key), "%s/acs.key", dir);
    snprintf(ccrt, sizeof(ccrt), "%s/cpe.pem", dir);
    snprintf(ckey, sizeof(ckey), "%s/cpe.key", dir);
    snprintf(cmd, sizeof(cmd),
        "(cd %s && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-keyout ca.key -out ca.pem -days 2 -subj /CN=sim-test-ca && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-keyout acs.key -out acs.csr -subj /CN=127.0.0.1 && "
        "printf 'subjectAltName=IP:127.0.0.1\n' > acs.ext && "
        "openssl x509 -req -in acs.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out acs.pem -days 2 -extfile acs.ext && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-keyout cpe.key -out cpe.csr -subj /CN=SIM000001 && "
        "openssl x509 -req -in cpe.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out cpe.pem -days 2) >/dev/null 2>&1", dir);
    assert_int_equal(system(cmd), 0);

    /* with its certificate the CPE gets in */
    c = calloc(1, sizeof(*c));
    c->tls_cert = crt;
    c->tls_key = key;
    c->tls_client_ca = ca;
    /* --once: the sim exits by itself after its session */
    {
        char *args[] = {"--once", "--cacert", ca, "--cert", ccrt, "--key", ckey, NULL};
        run_case(c, CWMP_AUTH_DIGEST, args, 30);
    }
    assert_false(c->timed_out);
    assert_int_equal(c->proc_exit, 0);
    assert_int_equal(c->n_inf, 1);
    ctx_free(c);
    /* without it the ACS refuses */
    c = calloc(1, sizeof(*c));
    c->tls_cert = crt;
    c->tls_key = key;
    c->tls_client_ca = ca;
    {
        char *args[] = {"--once", "--cacert", ca, NULL};
        run_case(c, CWMP_AUTH_DIGEST, args, 30);
    }
    assert_false(c->timed_out);
    assert_int_not_equal(c->proc_exit, 0);
    assert_int_equal(c->n_inf, 0);
    ctx_free(c);
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    assert_int_equal(system(rm), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_change),
        cmocka_unit_test(test_reboot_download_reset),
        cmocka_unit_test(test_cr_then_periodic),
        cmocka_unit_test(test_quirk_periodic_first_tr098_no_xsi),
        cmocka_unit_test(test_quirk_gpv9004_spv0_cookie),
        cmocka_unit_test(test_quirk_basic_upfront),
        cmocka_unit_test(test_https_client_cert),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: %s <cwmp-sim> [test-name-filter]\n", argv[0]);
        return 2;
    }
    sim_path = argv[1];
    if (argc > 2)
        cmocka_set_test_filter(argv[2]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
