/*
 * MQTT MTP against a real mosquitto broker on 127.0.0.1 (a free port).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * The test plays the controller with libmosquitto in blocking mode on the
 * test thread: pump() alternates uv_run(NOWAIT) for the MTP under test and
 * mosquitto_loop() for the controller, so there is one thread and no race.
 * The broker is a child process (`mosquitto -c <tmp conf>`), killed by PID.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <ub/usp.h>

#define AGENT "os::012345-CPE-0001"
#define AGENT2 "os::012345-CPE-0002"
#define CTL_TOPIC "usp/controllers/ctl"

/* ------------------------------------------------------------------ */
/* broker                                                              */
/* ------------------------------------------------------------------ */

static char g_dir[32];
static char g_conf[128];
static char g_cert[64], g_key[64];
static pid_t g_broker = -1;
static int g_port, g_tls_port;

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
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

static void broker_start(void)
{
    g_broker = fork();
    assert_true(g_broker >= 0);
    if (g_broker == 0) {
        int fd = open("/dev/null", 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("mosquitto", "mosquitto", "-c", g_conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !(port_open(g_port) && port_open(g_tls_port));
         i++)
        usleep(10000);
    assert_true(port_open(g_port));
    assert_true(port_open(g_tls_port));
}

static void broker_stop(void)
{
    if (g_broker > 0) {
        kill(g_broker, SIGTERM);
        waitpid(g_broker, NULL, 0);
        g_broker = -1;
    }
}

static int group_setup(void **state)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/ub-mqtt-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    g_port = free_port();
    g_tls_port = free_port();
    /* a self-signed certificate for localhost / 127.0.0.1 (its own CA) */
    snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
    snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s "
             "-days 2 -subj /CN=localhost -addext "
             "subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1 && "
             "chmod 0755 %s && chmod 0644 %s %s",
             g_key, g_cert, g_dir, g_key, g_cert);
    if (system(cmd) != 0)
        return -1;
    snprintf(g_conf, sizeof(g_conf), "%s/mosquitto.conf", g_dir);
    FILE *f = fopen(g_conf, "w");
    if (!f)
        return -1;
    fprintf(f, "per_listener_settings false\nallow_anonymous true\n"
               "persistence false\n"
               "listener %d 127.0.0.1\n"
               "listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n",
            g_port, g_tls_port, g_cert, g_cert, g_key);
    fclose(f);
    mosquitto_lib_init();
    broker_start();
    return 0;
}

static int group_teardown(void **state)
{
    broker_stop();
    unlink(g_conf);
    unlink(g_cert);
    unlink(g_key);
    rmdir(g_dir);
    mosquitto_lib_cleanup();
    return 0;
}

/* ------------------------------------------------------------------ */
/* the MTP under test and the controller                               */
/* ------------------------------------------------------------------ */

struct rxrec {
    char agent[64];
    char topic[256];
    char reply[256];
    char ctype[64];
    char errid[64];
    uint8_t data[64];
    size_t len;
    int qos;
};

struct t {
    uv_loop_t loop;
    struct usp_mtp *m;
    uint32_t bid;
    int ups, downs;
    int nrx;
    struct rxrec rx[16];
    /* controller */
    struct mosquitto *ctl;
    int ctl_nrx;
    struct rxrec ctl_rx[16];
};

static void on_record(void *user, const struct usp_mtp_rx *rx)
{
    struct t *t = user;
    assert_int_equal(rx->kind, USP_MTP_MQTT);
    if (t->nrx >= 16)
        return;
    struct rxrec *r = &t->rx[t->nrx++];
    snprintf(r->agent, sizeof(r->agent), "%s", rx->agent_eid);
    snprintf(r->topic, sizeof(r->topic), "%s", rx->topic);
    snprintf(r->reply, sizeof(r->reply), "%s",
             rx->reply_topic ? rx->reply_topic : "");
    snprintf(r->ctype, sizeof(r->ctype), "%s",
             rx->content_type ? rx->content_type : "");
    snprintf(r->errid, sizeof(r->errid), "%s",
             rx->usp_err_id ? rx->usp_err_id : "");
    r->len = rx->len < sizeof(r->data) ? rx->len : sizeof(r->data);
    memcpy(r->data, rx->data, r->len);
}

static void on_state(void *user, uint32_t bid, bool up, const char *info)
{
    struct t *t = user;
    if (up)
        t->ups++;
    else
        t->downs++;
}

static void ctl_on_message(struct mosquitto *mosq, void *obj,
                           const struct mosquitto_message *msg,
                           const mosquitto_property *props)
{
    struct t *t = obj;
    if (t->ctl_nrx >= 16)
        return;
    struct rxrec *r = &t->ctl_rx[t->ctl_nrx++];
    snprintf(r->topic, sizeof(r->topic), "%s", msg->topic);
    r->qos = msg->qos;
    char *s = NULL;
    if (mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &s,
                                       false)) {
        snprintf(r->reply, sizeof(r->reply), "%s", s);
        free(s);
    }
    s = NULL;
    if (mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &s,
                                       false)) {
        snprintf(r->ctype, sizeof(r->ctype), "%s", s);
        free(s);
    }
    char *n = NULL, *v = NULL;
    if (mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY,
                                            &n, &v, false)) {
        if (!strcmp(n, "usp-err-id"))
            snprintf(r->errid, sizeof(r->errid), "%s", v);
        free(n);
        free(v);
    }
    r->len = msg->payloadlen < (int)sizeof(r->data) ? (size_t)msg->payloadlen
                                                    : sizeof(r->data);
    memcpy(r->data, msg->payload, r->len);
}

static void pump_ms(struct t *t, int ms)
{
    uint64_t end = uv_hrtime() / 1000000 + ms;
    while (uv_hrtime() / 1000000 < end) {
        uv_run(&t->loop, UV_RUN_NOWAIT);
        if (t->ctl)
            mosquitto_loop(t->ctl, 5, 1);
        else
            usleep(5000);
    }
}

#define PUMP_UNTIL(t, cond, ms)                                                \
    do {                                                                       \
        uint64_t end_ = uv_hrtime() / 1000000 + (ms);                         \
        while (!(cond) && uv_hrtime() / 1000000 < end_)                        \
            pump_ms((t), 10);                                                  \
    } while (0)

static void ctl_connect(struct t *t, int version)
{
    t->ctl = mosquitto_new("test-controller", true, t);
    assert_non_null(t->ctl);
    mosquitto_int_option(t->ctl, MOSQ_OPT_PROTOCOL_VERSION, version);
    mosquitto_message_v5_callback_set(t->ctl, ctl_on_message);
    assert_int_equal(mosquitto_connect(t->ctl, "127.0.0.1", g_port, 30),
                     MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_subscribe(t->ctl, NULL, CTL_TOPIC "/#", 1),
                     MOSQ_ERR_SUCCESS);
    pump_ms(t, 100);
}

static void ctl_close(struct t *t)
{
    if (!t->ctl)
        return;
    mosquitto_disconnect(t->ctl);
    mosquitto_loop(t->ctl, 10, 1);
    mosquitto_destroy(t->ctl);
    t->ctl = NULL;
}

/* Publishes until the agent got one more record (the agent's SUBSCRIBE may
 * still be on its way right after CONNACK). */
static void ctl_publish_until_rx(struct t *t, const char *topic,
                                 const char *resp, const void *p, int n)
{
    int before = t->nrx;
    for (int i = 0; i < 20 && t->nrx == before; i++) {
        mosquitto_property *props = NULL;
        if (resp)
            mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC,
                                          resp);
        if (resp)
            mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE,
                                          USP_MTP_CT_MSG);
        assert_int_equal(mosquitto_publish_v5(t->ctl, NULL, topic, n, p, 1,
                                              false, props),
                         MOSQ_ERR_SUCCESS);
        mosquitto_property_free_all(&props);
        PUMP_UNTIL(t, t->nrx > before, 250);
    }
    assert_int_equal(t->nrx, before + 1);
}

static void mtp_up_qos(struct t *t, enum usp_mqtt_version v,
                       const struct usp_mtp_limits *lim, enum usp_mtp_qos q)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(uv_loop_init(&t->loop), 0);
    struct usp_mtp_callbacks cb = {
        .on_record = on_record, .on_mqtt_state = on_state, .user = t};
    assert_int_equal(usp_mtp_create(&t->loop, &cb, lim, &t->m), UB_OK);
    struct usp_mtp_mqtt_config cfg = {
        .host = "localhost", /* resolved on the connect worker */
        .port = (uint16_t)g_port,
        .version = v,
        .connect_eid = AGENT,
        .keepalive_s = 5,
        .retry_min_ms = 100,
        .retry_max_ms = 400,
        .qos = q,
    };
    assert_int_equal(usp_mtp_mqtt_add_broker(t->m, &cfg, &t->bid), UB_OK);
    assert_int_equal(usp_mtp_mqtt_add_agent(t->m, t->bid, AGENT, NULL),
                     UB_OK);
    PUMP_UNTIL(t, t->ups == 1, 5000);
    assert_int_equal(t->ups, 1);
    assert_true(usp_mtp_mqtt_is_up(t->m, t->bid));
}

static void mtp_up(struct t *t, enum usp_mqtt_version v,
                   const struct usp_mtp_limits *lim)
{
    mtp_up_qos(t, v, lim, USP_MTP_QOS_DEFAULT);
}

static void mtp_down(struct t *t)
{
    ctl_close(t);
    usp_mtp_destroy(t->m);
    int guard = 0;
    while (uv_run(&t->loop, UV_RUN_DEFAULT) && guard++ < 100)
        ;
    assert_int_equal(uv_loop_close(&t->loop), 0);
}

/* ------------------------------------------------------------------ */
/* tests                                                               */
/* ------------------------------------------------------------------ */

static void test_v5_roundtrip(void **state)
{
    struct t t;
    mtp_up(&t, USP_MQTT_V5, NULL);
    const char *topic = NULL;
    assert_int_equal(usp_mtp_mqtt_agent_topic(t.m, t.bid, AGENT, &topic),
                     UB_OK);
    assert_string_equal(topic, "usp/agents/" AGENT);

    ctl_connect(&t, MQTT_PROTOCOL_V5);
    static const uint8_t rec[] = {0x0a, 0x03, '1', '.', '3', 0x00, 0xff};
    ctl_publish_until_rx(&t, topic, CTL_TOPIC, rec, sizeof(rec));
    assert_string_equal(t.rx[0].agent, AGENT);
    assert_string_equal(t.rx[0].topic, topic);
    assert_string_equal(t.rx[0].reply, CTL_TOPIC);
    assert_string_equal(t.rx[0].ctype, USP_MTP_CT_MSG);
    assert_int_equal(t.rx[0].len, sizeof(rec));
    assert_memory_equal(t.rx[0].data, rec, sizeof(rec));

    /* answer on the Response Topic */
    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = t.bid,
                             .topic = t.rx[0].reply,
                             .usp_err_id = AGENT "/m1"};
    static const uint8_t ans[] = {1, 2, 3, 0, 4};
    assert_int_equal(usp_mtp_send(t.m, &d, ans, sizeof(ans)), UB_OK);
    PUMP_UNTIL(&t, t.ctl_nrx == 1, 3000);
    assert_int_equal(t.ctl_nrx, 1);
    assert_string_equal(t.ctl_rx[0].topic, CTL_TOPIC);
    assert_string_equal(t.ctl_rx[0].reply, "usp/agents/" AGENT);
    assert_string_equal(t.ctl_rx[0].ctype, "application/vnd.bbf.usp.msg");
    assert_string_equal(t.ctl_rx[0].errid, AGENT "/m1");
    assert_int_equal(t.ctl_rx[0].len, sizeof(ans));
    assert_memory_equal(t.ctl_rx[0].data, ans, sizeof(ans));

    /* a second agent added at run time gets its own subscription */
    assert_int_equal(usp_mtp_mqtt_add_agent(t.m, t.bid, AGENT2, "x/agent2"),
                     UB_OK);
    assert_int_equal(usp_mtp_mqtt_add_agent(t.m, t.bid, AGENT2, NULL),
                     UB_EEXIST);
    assert_int_equal(usp_mtp_mqtt_add_agent(t.m, t.bid, "os::bad", "a/+/b"),
                     UB_EINVAL);
    ctl_publish_until_rx(&t, "x/agent2", CTL_TOPIC, "z", 1);
    assert_string_equal(t.rx[1].agent, AGENT2);

    /* bad destinations */
    d.topic = "usp/#";
    assert_int_equal(usp_mtp_send(t.m, &d, ans, 1), UB_EINVAL);
    d.topic = CTL_TOPIC;
    d.agent_eid = "os::nobody";
    assert_int_equal(usp_mtp_send(t.m, &d, ans, 1), UB_ENOTFOUND);
    d.agent_eid = AGENT;
    d.broker_id = 999;
    assert_int_equal(usp_mtp_send(t.m, &d, ans, 1), UB_ENOTFOUND);

    /* removed agent: UNSUBSCRIBEd, records for it no longer arrive */
    assert_int_equal(usp_mtp_mqtt_remove_agent(t.m, t.bid, AGENT2), UB_OK);
    pump_ms(&t, 200);
    int before = t.nrx;
    mosquitto_publish(t.ctl, NULL, "x/agent2", 1, "z", 1, false);
    pump_ms(&t, 300);
    assert_int_equal(t.nrx, before);
    mtp_down(&t);
}

static void test_v311_reply_to(void **state)
{
    struct t t;
    mtp_up(&t, USP_MQTT_V3_1_1, NULL);
    ctl_connect(&t, MQTT_PROTOCOL_V311);
    /* R-MQTT.24: the controller's reply-to topic rides in the topic */
    ctl_publish_until_rx(&t,
                         "usp/agents/" AGENT "/reply-to=usp%2Fcontrollers%2F"
                         "ctl",
                         NULL, "abc", 3);
    assert_string_equal(t.rx[0].agent, AGENT);
    assert_string_equal(t.rx[0].reply, CTL_TOPIC);
    assert_string_equal(t.rx[0].ctype, "");
    assert_int_equal(t.rx[0].len, 3);

    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = t.bid,
                             .topic = t.rx[0].reply};
    assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"xyz", 3),
                     UB_OK);
    PUMP_UNTIL(&t, t.ctl_nrx == 1, 3000);
    assert_int_equal(t.ctl_nrx, 1);
    assert_string_equal(t.ctl_rx[0].topic,
                        CTL_TOPIC "/reply-to=usp%2Fagents%2F" AGENT);
    assert_string_equal(t.ctl_rx[0].reply, ""); /* no properties in 3.1.1 */
    assert_memory_equal(t.ctl_rx[0].data, "xyz", 3);

    /* a topic under the agent's filter that is not the agent topic or a
     * reply-to form is dropped, as is an oversized record */
    struct usp_mtp_stats st;
    usp_mtp_stats_get(t.m, &st);
    uint64_t dropped = st.rx_dropped;
    mosquitto_publish(t.ctl, NULL, "usp/agents/" AGENT "/other", 1, "q", 1,
                      false);
    PUMP_UNTIL(&t, (usp_mtp_stats_get(t.m, &st), st.rx_dropped > dropped),
               2000);
    assert_int_equal(st.rx_dropped, dropped + 1);
    assert_int_equal(t.nrx, 1);
    mtp_down(&t);
}

static void test_limits(void **state)
{
    struct t t;
    struct usp_mtp_limits lim = {.max_record = 100, .queue_max_count = 3};
    mtp_up(&t, USP_MQTT_V5, &lim);
    ctl_connect(&t, MQTT_PROTOCOL_V5);
    /* make sure the subscription is active */
    ctl_publish_until_rx(&t, "usp/agents/" AGENT, CTL_TOPIC, "ok", 2);

    static uint8_t big[4096];
    struct usp_mtp_stats st;
    usp_mtp_stats_get(t.m, &st);
    uint64_t dropped = st.rx_dropped;
    mosquitto_publish(t.ctl, NULL, "usp/agents/" AGENT, sizeof(big), big, 1,
                      false);
    PUMP_UNTIL(&t, (usp_mtp_stats_get(t.m, &st), st.rx_dropped > dropped),
               2000);
    assert_int_equal(st.rx_dropped, dropped + 1);
    assert_int_equal(t.nrx, 1);

    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = t.bid,
                             .topic = CTL_TOPIC};
    assert_int_equal(usp_mtp_send(t.m, &d, big, 101), UB_ETOOBIG);
    mtp_down(&t);
}

/* Broker restart: the session comes back by itself, the agent is
 * resubscribed, and records queued while down (bounded) are delivered. */
static void test_reconnect(void **state)
{
    struct t t;
    struct usp_mtp_limits lim = {.queue_max_count = 3};
    mtp_up(&t, USP_MQTT_V5, &lim);
    broker_stop();
    PUMP_UNTIL(&t, t.downs == 1, 5000);
    assert_int_equal(t.downs, 1);
    assert_false(usp_mtp_mqtt_is_up(t.m, t.bid));

    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = t.bid,
                             .topic = CTL_TOPIC};
    for (int i = 0; i < 3; i++) {
        uint8_t b = (uint8_t)('a' + i);
        assert_int_equal(usp_mtp_send(t.m, &d, &b, 1), UB_OK);
    }
    assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"x", 1),
                     UB_EFULL);
    struct usp_mtp_stats st;
    usp_mtp_stats_get(t.m, &st);
    assert_int_equal(st.tx_refused, 1);

    pump_ms(&t, 300); /* a few failed connects while the broker is away */
    broker_start();
    /* the controller subscribes before the agent's session is back */
    ctl_connect(&t, MQTT_PROTOCOL_V5);
    PUMP_UNTIL(&t, t.ups == 2, 8000);
    assert_int_equal(t.ups, 2);
    PUMP_UNTIL(&t, t.ctl_nrx == 3, 3000);
    assert_int_equal(t.ctl_nrx, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(t.ctl_rx[i].data[0], 'a' + i);
    /* resubscribed */
    ctl_publish_until_rx(&t, "usp/agents/" AGENT, CTL_TOPIC, "again", 5);
    assert_memory_equal(t.rx[0].data, "again", 5);
    mtp_down(&t);
}

/* A QoS 0 broker (the pump's "nothing unwritten" path), a per-record QoS 1
 * override, and the default QoS 1. */
static void test_qos(void **state)
{
    struct t t;
    mtp_up_qos(&t, USP_MQTT_V5, NULL, USP_MTP_QOS_0);
    ctl_connect(&t, MQTT_PROTOCOL_V5);
    ctl_publish_until_rx(&t, "usp/agents/" AGENT, CTL_TOPIC, "x", 1);
    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = t.bid,
                             .topic = CTL_TOPIC};
    for (int i = 0; i < 15; i++) {
        uint8_t b = (uint8_t)i;
        assert_int_equal(usp_mtp_send(t.m, &d, &b, 1), UB_OK);
    }
    d.qos = USP_MTP_QOS_1;
    assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"\x0f", 1),
                     UB_OK);
    d.qos = (enum usp_mtp_qos)7;
    assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"z", 1),
                     UB_EINVAL);
    PUMP_UNTIL(&t, t.ctl_nrx == 16, 3000);
    assert_int_equal(t.ctl_nrx, 16);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(t.ctl_rx[i].data[0], i);
        assert_int_equal(t.ctl_rx[i].qos, i < 15 ? 0 : 1);
    }
    mtp_down(&t);

    mtp_up(&t, USP_MQTT_V5, NULL);
    ctl_connect(&t, MQTT_PROTOCOL_V5);
    d.broker_id = t.bid;
    d.qos = USP_MTP_QOS_DEFAULT;
    assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"q", 1), UB_OK);
    PUMP_UNTIL(&t, t.ctl_nrx == 1, 3000);
    assert_int_equal(t.ctl_nrx, 1);
    assert_int_equal(t.ctl_rx[0].qos, 1);
    mtp_down(&t);
}

/* usp_mtp_destroy() right after a send: the record still leaves. */
static void test_drain_on_destroy(void **state)
{
    struct t t;
    mtp_up(&t, USP_MQTT_V5, NULL);
    ctl_connect(&t, MQTT_PROTOCOL_V5);
    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = t.bid,
                             .topic = CTL_TOPIC};
    /* the controller's subscription is in place once a record got there */
    assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"hi", 2), UB_OK);
    PUMP_UNTIL(&t, t.ctl_nrx == 1, 3000);
    assert_int_equal(t.ctl_nrx, 1);
    t.ctl_nrx = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"bye", 3),
                         UB_OK);
    usp_mtp_destroy(t.m);
    PUMP_UNTIL(&t, t.ctl_nrx == 3, 3000);
    assert_int_equal(t.ctl_nrx, 3);
    ctl_close(&t);
    int guard = 0;
    while (uv_run(&t.loop, UV_RUN_DEFAULT) && guard++ < 100)
        ;
    assert_int_equal(uv_loop_close(&t.loop), 0);
}

/* MQTT over TLS: the broker's certificate is checked against the CA file
 * and the host name; a wrong CA means no session. */
static void test_tls(void **state)
{
    struct t t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(uv_loop_init(&t.loop), 0);
    struct usp_mtp_callbacks cb = {
        .on_record = on_record, .on_mqtt_state = on_state, .user = &t};
    assert_int_equal(usp_mtp_create(&t.loop, &cb, NULL, &t.m), UB_OK);
    struct usp_mtp_mqtt_config cfg = {.host = "localhost",
                                      .port = (uint16_t)g_tls_port,
                                      .version = USP_MQTT_V5,
                                      .tls = true,
                                      .ca_file = g_cert,
                                      .retry_min_ms = 100};
    assert_int_equal(usp_mtp_mqtt_add_broker(t.m, &cfg, &t.bid), UB_OK);
    assert_int_equal(usp_mtp_mqtt_add_agent(t.m, t.bid, AGENT, NULL), UB_OK);
    /* the same CA file but checked against a system-only trust store:
     * a second broker entry with no CA must not come up */
    struct usp_mtp_mqtt_config bad = cfg;
    bad.ca_file = NULL;
    bad.ca_path = "/etc/ssl/certs";
    uint32_t bad_id;
    assert_int_equal(usp_mtp_mqtt_add_broker(t.m, &bad, &bad_id), UB_OK);
    PUMP_UNTIL(&t, t.ups == 1, 8000);
    assert_int_equal(t.ups, 1);
    assert_true(usp_mtp_mqtt_is_up(t.m, t.bid));
    /* records cross from the plain listener to the TLS one */
    ctl_connect(&t, MQTT_PROTOCOL_V5);
    ctl_publish_until_rx(&t, "usp/agents/" AGENT, CTL_TOPIC, "tls", 3);
    struct usp_mtp_dest d = {.kind = USP_MTP_MQTT,
                             .agent_eid = AGENT,
                             .broker_id = t.bid,
                             .topic = CTL_TOPIC};
    assert_int_equal(usp_mtp_send(t.m, &d, (const uint8_t *)"back", 4),
                     UB_OK);
    PUMP_UNTIL(&t, t.ctl_nrx == 1, 3000);
    assert_int_equal(t.ctl_nrx, 1);
    assert_memory_equal(t.ctl_rx[0].data, "back", 4);
    pump_ms(&t, 300);
    assert_false(usp_mtp_mqtt_is_up(t.m, bad_id));
    assert_int_equal(t.ups, 1);
    mtp_down(&t);
}

/* Broker gone for good: destroy while a connect may be in flight. */
static void test_destroy_while_connecting(void **state)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct t t = {0};
    struct usp_mtp_callbacks cb = {.on_record = on_record, .user = &t};
    struct usp_mtp *m = NULL;
    assert_int_equal(usp_mtp_create(&loop, &cb, NULL, &m), UB_OK);
    struct usp_mtp_mqtt_config cfg = {.host = "127.0.0.1",
                                      .port = (uint16_t)free_port(),
                                      .retry_min_ms = 50};
    uint32_t bid;
    assert_int_equal(usp_mtp_mqtt_add_broker(m, &cfg, &bid), UB_OK);
    assert_int_equal(usp_mtp_mqtt_add_agent(m, bid, AGENT, NULL), UB_OK);
    for (int i = 0; i < 20; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    usp_mtp_destroy(m);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v5_roundtrip),
        cmocka_unit_test(test_v311_reply_to),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_qos),
        cmocka_unit_test(test_drain_on_destroy),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_destroy_while_connecting),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
