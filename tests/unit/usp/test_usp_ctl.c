/*
 * tools/usp-ctl against a fake agent, over a real mosquitto broker and over
 * WebSocket, all on 127.0.0.1 with free ports.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * The fake agent is this process: the usp module's MTP layer (agent side)
 * plus its codec.  It answers Get with a GetResp, Set with an Error 7004,
 * and sends Notify messages to the controller topic for "listen".
 * usp-ctl runs as a child (uv_spawn, stdout through a pipe) on the same
 * loop, so the test sees its exit status and output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include <ub/usp.h>

#ifndef USP_CTL_PATH
#error "USP_CTL_PATH must name the usp-ctl binary"
#endif

#define AGENT "os::012345-CPE-0042"
#define CTL_ID "self::usp-ctl"
#define CTL_TOPIC "usp/controllers/" CTL_ID

static char g_dir[32], g_conf[64], g_cert[64], g_key[64];
static pid_t g_broker = -1;
static int g_port;

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof(a);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(s);
    return ok;
}

static int group_setup(void **state)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/ub-uspctl-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    g_port = free_port();
    snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
    snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s "
             "-days 2 -subj /CN=localhost -addext "
             "subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
             g_key, g_cert);
    if (system(cmd) != 0)
        return -1;
    snprintf(g_conf, sizeof(g_conf), "%s/mosquitto.conf", g_dir);
    FILE *f = fopen(g_conf, "w");
    if (!f)
        return -1;
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\n"
               "persistence false\n", g_port);
    fclose(f);
    g_broker = fork();
    if (g_broker == 0) {
        int fd = open("/dev/null", 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("mosquitto", "mosquitto", "-c", g_conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !port_open(g_port); i++)
        usleep(10000);
    return port_open(g_port) ? 0 : -1;
}

static int group_teardown(void **state)
{
    if (g_broker > 0) {
        kill(g_broker, SIGTERM);
        waitpid(g_broker, NULL, 0);
    }
    unlink(g_conf);
    unlink(g_cert);
    unlink(g_key);
    rmdir(g_dir);
    return 0;
}

/* ------------------------------------------------------------------ */
/* fake agent                                                          */
/* ------------------------------------------------------------------ */

struct agent {
    uv_loop_t loop;
    struct usp_mtp *m;
    uint32_t bid;
    int requests, notify_resps;
    uv_timer_t notify_timer;
    bool notifying;
    /* child */
    uv_process_t proc;
    uv_pipe_t out;
    bool exited, eof;
    int64_t status;
    char outbuf[16384];
    size_t outlen;
};

/* Controllers that give no reply topic (usp-js publishes without MQTT 5
 * properties) are answered on this one, as an agent would use its
 * configured Controller.{i}.MTP.{i}.MQTT.Topic. */
static const char *g_fallback_topic;

static void send_reply(struct agent *a, const struct usp_mtp_rx *rx,
                       const char *to_id, const struct usp_msg *m)
{
    uint8_t *mb = NULL, *rb = NULL;
    size_t ml = 0, rl = 0;
    assert_int_equal(usp_msg_encode(m, 0, &mb, &ml), UB_OK);
    assert_int_equal(usp_record_wrap(to_id, AGENT, mb, ml, &rb, &rl),
                     UB_OK);
    struct usp_mtp_dest d = {.agent_eid = AGENT};
    if (rx->kind == USP_MTP_WS) {
        d.kind = USP_MTP_WS;
        d.conn_id = rx->conn_id;
    } else {
        d.kind = USP_MTP_MQTT;
        d.broker_id = rx->broker_id;
        d.topic = rx->reply_topic ? rx->reply_topic : g_fallback_topic;
        assert_non_null(d.topic);
    }
    assert_int_equal(usp_mtp_send(a->m, &d, rb, rl), UB_OK);
    ub_free(mb);
    ub_free(rb);
}

static void agent_on_record(void *user, const struct usp_mtp_rx *rx)
{
    struct agent *a = user;
    struct usp_record *rec = NULL;
    assert_int_equal(usp_record_decode(rx->data, rx->len, NULL, &rec, NULL),
                     UB_OK);
    assert_string_equal(rec->to_id, AGENT);
    struct usp_msg *q = NULL;
    assert_int_equal(usp_msg_decode(rec->payload, rec->payload_len, &q),
                     UB_OK);
    a->requests++;
    struct usp_msg r;
    memset(&r, 0, sizeof(r));
    r.msg_id = q->msg_id;
    if (q->type == USP_MSG_GET) {
        struct usp_kv kv = {"SoftwareVersion", "1.2.3"};
        struct usp_resolved_path rp = {"Device.DeviceInfo.", &kv, 1};
        struct usp_get_result gr = {.requested_path = q->get.paths[0],
                                    .resolved = &rp,
                                    .n_resolved = 1};
        r.type = USP_MSG_GET_RESP;
        r.get_resp.results = &gr;
        r.get_resp.n_results = 1;
        send_reply(a, rx, rec->from_id, &r);
    } else if (q->type == USP_MSG_SET) {
        assert_int_equal(q->set.n_objs, 1);
        assert_string_equal(q->set.objs[0].obj_path, "Device.WiFi.SSID.1.");
        assert_int_equal(q->set.objs[0].n_params, 2);
        r.type = USP_MSG_ERROR;
        r.error.err_code = 7004;
        r.error.err_msg = "invalid arguments (test)";
        send_reply(a, rx, rec->from_id, &r);
    } else if (q->type == USP_MSG_NOTIFY_RESP) {
        a->notify_resps++;
    }
    usp_msg_free(q);
    usp_record_free(rec);
}

static void on_notify_timer(uv_timer_t *t)
{
    struct agent *a = t->data;
    if (!usp_mtp_mqtt_is_up(a->m, a->bid))
        return;
    struct usp_msg n;
    memset(&n, 0, sizeof(n));
    n.msg_id = "notif-1";
    n.type = USP_MSG_NOTIFY;
    n.notify.subscription_id = "sub-1";
    n.notify.send_resp = true;
    n.notify.kind = USP_NOTIF_VALUE_CHANGE;
    n.notify.value_change.param_path = "Device.DeviceInfo.UpTime";
    n.notify.value_change.param_value = "42";
    uint8_t *mb = NULL, *rb = NULL;
    size_t ml = 0, rl = 0;
    assert_int_equal(usp_msg_encode(&n, 0, &mb, &ml), UB_OK);
    assert_int_equal(usp_record_wrap(CTL_ID, AGENT, mb, ml, &rb, &rl),
                     UB_OK);
    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = a->bid,
                             .topic = CTL_TOPIC};
    int err = usp_mtp_send(a->m, &d, rb, rl);
    assert_true(err == UB_OK || err == UB_EFULL);
    ub_free(mb);
    ub_free(rb);
}

static void agent_up_tls(struct agent *a, enum usp_mqtt_version v,
                         uint16_t *ws_port, bool ws_tls)
{
    memset(a, 0, sizeof(*a));
    assert_int_equal(uv_loop_init(&a->loop), 0);
    struct usp_mtp_callbacks cb = {.on_record = agent_on_record, .user = a};
    assert_int_equal(usp_mtp_create(&a->loop, &cb, NULL, &a->m), UB_OK);
    struct usp_mtp_mqtt_config mc = {.host = "127.0.0.1",
                                     .port = (uint16_t)g_port,
                                     .version = v,
                                     .connect_eid = AGENT,
                                     .retry_min_ms = 100};
    assert_int_equal(usp_mtp_mqtt_add_broker(a->m, &mc, &a->bid), UB_OK);
    assert_int_equal(usp_mtp_mqtt_add_agent(a->m, a->bid, AGENT, NULL),
                     UB_OK);
    if (ws_port) {
        struct usp_mtp_ws_server_config sc = {.bind_addr = "127.0.0.1"};
        if (ws_tls) {
            sc.cert_file = g_cert;
            sc.key_file = g_key;
        }
        assert_int_equal(usp_mtp_ws_listen(a->m, &sc, ws_port), UB_OK);
        assert_int_equal(usp_mtp_ws_add_agent(a->m, AGENT), UB_OK);
    }
    uint64_t end = uv_hrtime() / 1000000 + 5000;
    while (!usp_mtp_mqtt_is_up(a->m, a->bid) && uv_hrtime() / 1000000 < end)
        uv_run(&a->loop, UV_RUN_ONCE);
    assert_true(usp_mtp_mqtt_is_up(a->m, a->bid));
    uv_timer_init(&a->loop, &a->notify_timer);
    a->notify_timer.data = a;
}

static void agent_up(struct agent *a, enum usp_mqtt_version v,
                     uint16_t *ws_port)
{
    agent_up_tls(a, v, ws_port, false);
}

static void agent_down(struct agent *a)
{
    uv_close((uv_handle_t *)&a->notify_timer, NULL);
    usp_mtp_destroy(a->m);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&a->loop), 0);
}

/* ------------------------------------------------------------------ */
/* running usp-ctl                                                     */
/* ------------------------------------------------------------------ */

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct agent *a = p->data;
    a->exited = true;
    a->status = sig ? 128 + sig : status;
    uv_close((uv_handle_t *)p, NULL);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    struct agent *a = h->data;
    b->base = a->outbuf + a->outlen;
    b->len = sizeof(a->outbuf) - 1 - a->outlen;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct agent *a = s->data;
    if (n > 0) {
        a->outlen += (size_t)n;
        a->outbuf[a->outlen] = '\0';
    } else if (n < 0) {
        a->eof = true;
        uv_close((uv_handle_t *)s, NULL);
    }
}

/* Runs file with args (NULL-terminated) and env (NULL = inherit),
 * returns its exit status. */
static int run_cmd(struct agent *a, const char *file, char **args,
                   char **env)
{
    char *argv[32] = {(char *)file};
    int n = 1;
    while (args[n - 1] && n < 31) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    a->exited = a->eof = false;
    a->outlen = 0;
    a->outbuf[0] = '\0';
    uv_pipe_init(&a->loop, &a->out, 0);
    a->out.data = a;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
         .data.stream = (uv_stream_t *)&a->out},
        {.flags = UV_INHERIT_FD, .data.fd = 2},
    };
    uv_process_options_t o = {.exit_cb = on_exit_cb,
                              .file = file,
                              .args = argv,
                              .env = env,
                              .stdio = stdio,
                              .stdio_count = 3};
    a->proc.data = a;
    assert_int_equal(uv_spawn(&a->loop, &a->proc, &o), 0);
    uv_read_start((uv_stream_t *)&a->out, on_alloc, on_read);
    uint64_t end = uv_hrtime() / 1000000 + 20000;
    while (!(a->exited && a->eof) && uv_hrtime() / 1000000 < end)
        uv_run(&a->loop, UV_RUN_ONCE);
    assert_true(a->exited);
    return (int)a->status;
}

static int run_ctl(struct agent *a, char **args)
{
    return run_cmd(a, USP_CTL_PATH, args, NULL);
}

static char g_portarg[32];

static void test_get_mqtt5(void **state)
{
    struct agent a;
    agent_up(&a, USP_MQTT_V5, NULL);
    snprintf(g_portarg, sizeof(g_portarg), "127.0.0.1:%d", g_port);
    char *args[] = {"--mqtt", g_portarg, "--agent", AGENT, "--timeout", "5",
                    "get", "Device.DeviceInfo.SoftwareVersion", NULL};
    assert_int_equal(run_ctl(&a, args), 0);
    assert_non_null(strstr(a.outbuf, "SoftwareVersion"));
    assert_non_null(strstr(a.outbuf, "1.2.3"));
    assert_non_null(strstr(a.outbuf, "Device.DeviceInfo.SoftwareVersion"));
    assert_int_equal(a.requests, 1);
    agent_down(&a);
}

static void test_set_error_mqtt311(void **state)
{
    struct agent a;
    agent_up(&a, USP_MQTT_V3_1_1, NULL);
    snprintf(g_portarg, sizeof(g_portarg), "127.0.0.1:%d", g_port);
    char *args[] = {"--mqtt", g_portarg, "--mqtt-version", "3.1.1",
                    "--agent", AGENT, "--timeout", "5", "set",
                    "Device.WiFi.SSID.1.SSID=home",
                    "Device.WiFi.SSID.1.Enable=true", NULL};
    assert_int_equal(run_ctl(&a, args), 2); /* USP Error */
    assert_non_null(strstr(a.outbuf, "7004"));
    agent_down(&a);
}

static void test_get_ws(void **state)
{
    struct agent a;
    uint16_t wp = 0;
    agent_up(&a, USP_MQTT_V5, &wp);
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%u/usp/" AGENT, wp);
    char *args[] = {"--ws", url, "--agent", AGENT, "--timeout", "5", "get",
                    "Device.DeviceInfo.", NULL};
    assert_int_equal(run_ctl(&a, args), 0);
    assert_non_null(strstr(a.outbuf, "1.2.3"));
    agent_down(&a);
}

static void test_get_wss(void **state)
{
    struct agent a;
    uint16_t wp = 0;
    agent_up_tls(&a, USP_MQTT_V5, &wp, true);
    char url[128];
    snprintf(url, sizeof(url), "wss://localhost:%u/usp/" AGENT, wp);
    char *args[] = {"--ws", url, "--ca", g_cert, "--agent", AGENT,
                    "--timeout", "5", "get", "Device.DeviceInfo.", NULL};
    assert_int_equal(run_ctl(&a, args), 0);
    assert_non_null(strstr(a.outbuf, "1.2.3"));
    agent_down(&a);
}

static void test_timeout_and_usage(void **state)
{
    struct agent a;
    agent_up(&a, USP_MQTT_V5, NULL);
    snprintf(g_portarg, sizeof(g_portarg), "127.0.0.1:%d", g_port);
    char *args[] = {"--mqtt", g_portarg, "--agent", "os::nobody",
                    "--timeout", "1", "get", "Device.", NULL};
    assert_int_equal(run_ctl(&a, args), 3);
    char *bad[] = {"--agent", AGENT, "get", "Device.", NULL}; /* no MTP */
    assert_int_equal(run_ctl(&a, bad), 1);
    char *help[] = {"--help", NULL};
    assert_int_equal(run_ctl(&a, help), 0);
    assert_non_null(strstr(a.outbuf, "SYNOPSIS"));
    agent_down(&a);
}

static void test_listen(void **state)
{
    struct agent a;
    agent_up(&a, USP_MQTT_V5, NULL);
    uv_timer_start(&a.notify_timer, on_notify_timer, 200, 200);
    snprintf(g_portarg, sizeof(g_portarg), "127.0.0.1:%d", g_port);
    char *args[] = {"--mqtt", g_portarg, "--agent", AGENT, "--timeout", "10",
                    "--count", "1", "listen", NULL};
    assert_int_equal(run_ctl(&a, args), 0);
    uv_timer_stop(&a.notify_timer);
    assert_non_null(strstr(a.outbuf, "Device.DeviceInfo.UpTime"));
    /* the NotifyResp comes back to the agent */
    uint64_t end = uv_hrtime() / 1000000 + 3000;
    while (!a.notify_resps && uv_hrtime() / 1000000 < end)
        uv_run(&a.loop, UV_RUN_NOWAIT);
    assert_true(a.notify_resps >= 1);
    agent_down(&a);
}

/* A controller nobody here wrote: usp-js over MQTT 5 (skipped when node or
 * tests/interop/node_modules is not there: run `npm ci` in tests/interop). */
static void test_usp_js_mqtt(void **state)
{
#if defined(NODE_EXE) && defined(USP_JS_NODE_PATH) && defined(USP_JS_SCRIPT)
    char probe[512];
    snprintf(probe, sizeof(probe), "%s/usp-js/package.json",
             USP_JS_NODE_PATH);
    if (access(probe, R_OK)) {
        skip();
        return;
    }
    struct agent a;
    agent_up(&a, USP_MQTT_V5, NULL);
    g_fallback_topic = "usp/controller/usp-js";
    char port[16], nodepath[600], pathenv[1024];
    snprintf(port, sizeof(port), "%d", g_port);
    snprintf(nodepath, sizeof(nodepath), "NODE_PATH=%s", USP_JS_NODE_PATH);
    snprintf(pathenv, sizeof(pathenv), "PATH=%s",
             getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    char *env[] = {nodepath, pathenv, NULL};
    char *args[] = {USP_JS_SCRIPT, port, AGENT, "self::usp-js",
                    "usp/agents/" AGENT, "usp/controller/usp-js",
                    "Device.DeviceInfo.SoftwareVersion", NULL};
    assert_int_equal(run_cmd(&a, NODE_EXE, args, env), 0);
    assert_non_null(strstr(a.outbuf, "value=1.2.3"));
    assert_int_equal(a.requests, 1);
    g_fallback_topic = NULL;
    agent_down(&a);
#else
    skip();
#endif
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_mqtt5),
        cmocka_unit_test(test_set_error_mqtt311),
        cmocka_unit_test(test_get_ws),
        cmocka_unit_test(test_get_wss),
        cmocka_unit_test(test_timeout_and_usage),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_usp_js_mqtt),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
