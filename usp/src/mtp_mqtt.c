/*
 * MQTT MTP (TR-369 MQTT binding) on libmosquitto 2.0, on the libuv loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 *  - One broker session (struct mq_broker) serves many bridged agents: each
 *    agent has its own topic ("usp/agents/{eid}" by default) and the
 *    session subscribes "<topic>/#", which matches "<topic>" itself (MQTT 5
 *    publishers give their reply topic in the Response Topic property) and
 *    "<topic>/reply-to=<enc>" (MQTT 3.1.1 publishers, R-MQTT.24).
 *  - I/O on the loop, no mosquitto thread: a uv_poll on mosquitto_socket()
 *    calls mosquitto_loop_read/write; WRITABLE is armed only while
 *    mosquitto_want_write(); a 1 s timer calls mosquitto_loop_misc
 *    (keepalive).  on_disconnect only sets b->lost; the socket teardown and
 *    the reconnect timer run after the mosquitto call returned.
 *  - CONNECT: libmosquitto 2.0.11 cannot send CONNECT properties from its
 *    non-blocking connect, and MQTT 5 wants them (R-MQTT.12 Request
 *    Response Information, R-MQTT.13 "usp-endpoint-id").  So the connect
 *    (name resolution, TCP, TLS, CONNECT) runs as one uv_queue_work job on
 *    the libuv thread pool with mosquitto_connect_bind_v5 (blocking); the
 *    loop does not touch that mosquitto object until the job is done
 *    (b->work_busy), which is the hand-off.  Passing the host name (not a
 *    pre-resolved address) keeps TLS host name verification and SNI right.
 *    At most one job per broker is in flight.
 *  - Reconnect with exponential backoff (retry_min_ms doubling to
 *    retry_max_ms, 0-25 % jitter), same client id (R-MQTT.11), and every
 *    agent resubscribed after each CONNACK.
 *  - Sending: records wait in b->pending (bounded with the in-flight ones
 *    by count and bytes; refused with UB_EFULL when full) and are handed
 *    to mosquitto by mq_pump() only while the session is up and
 *    mosquitto's own queues are short: QoS 1 at most MQ_SEND_WINDOW
 *    unacknowledged PUBLISHes (tracked by mid until on_publish), QoS 0 only
 *    while mosquitto has nothing unwritten.  QoS per record (dest.qos,
 *    e.g. the controller's PublishQoS) or the broker's default (1).  So libmosquitto never holds an
 *    unbounded backlog.
 *  - MQTT 5 PUBLISH carries Response Topic = the agent's topic (R-MQTT.23),
 *    Content Type (R-MQTT.27) and optionally "usp-err-id" (R-MQTT.29);
 *    3.1.1 appends "/reply-to=<agent topic, '/' as %2F>" to the topic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>

#include "mtp_int.h"

#define MQ_SEND_WINDOW 20
#define MQ_REPLY_TO "/reply-to="

enum mq_state {
    MQ_DOWN = 0,     /* waiting for the retry timer */
    MQ_CONNECTING,   /* connect job on the thread pool */
    MQ_WAIT_CONNACK, /* socket under uv_poll, CONNECT sent */
    MQ_UP,           /* CONNACK 0 received, subscriptions sent */
};

struct mq_agent {
    struct ub_list link;
    char *eid;
    char *topic;
    char *filter; /* topic + "/#" */
};

struct mq_inflight {
    struct ub_list link;
    int mid;
    size_t len;
};

struct mq_broker {
    struct ub_list link;
    struct usp_mtp *m;
    uint32_t id;
    /* configuration (owned copies) */
    char *host, *client_id, *connect_eid, *username, *password, *tmpl;
    char *ca_file, *ca_path, *cert_file, *key_file;
    uint16_t port, keepalive;
    enum usp_mqtt_version version;
    int qos;
    bool tls, tls_insecure;
    uint32_t retry_min_ms, retry_max_ms;

    struct mosquitto *mosq;
    mosquitto_property *connect_props;
    enum mq_state state;
    unsigned tries;
    bool lost;     /* on_disconnect seen inside a mosquitto call */
    bool removing; /* remove_broker() or usp_mtp_destroy() */
    bool closing;  /* handles are being closed */

    uv_work_t work;
    bool work_busy;
    bool tls_waiting; /* waits for another broker's TLS connect job */
    int work_rc;
    int work_errno;

    uv_poll_t poll;
    bool poll_open;
    int poll_events;
    uv_timer_t misc, retry;
    unsigned open_handles;

    struct ub_list agents;
    struct mtp__queue pending;
    struct ub_list inflight;
    size_t inflight_count, inflight_bytes;
};

static void mq_after(struct mq_broker *b);
static void on_poll(uv_poll_t *h, int status, int events);
static void mq_pump(struct mq_broker *b);
static void mq_start_connect(struct mq_broker *b);

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static struct mq_broker *mq_find(const struct usp_mtp *m, uint32_t id)
{
    for (struct ub_list *l = m->brokers.next; l != &m->brokers; l = l->next) {
        struct mq_broker *b = UB_CONTAINER_OF(l, struct mq_broker, link);
        if (b->id == id && !b->removing)
            return b;
    }
    return NULL;
}

static struct mq_agent *mq_agent_find(struct mq_broker *b, const char *eid)
{
    for (struct ub_list *l = b->agents.next; l != &b->agents; l = l->next) {
        struct mq_agent *a = UB_CONTAINER_OF(l, struct mq_agent, link);
        if (!strcmp(a->eid, eid))
            return a;
    }
    return NULL;
}

static void mq_agent_free(struct mq_agent *a)
{
    ub_free(a->eid);
    ub_free(a->topic);
    ub_free(a->filter);
    ub_free(a);
}

static char *dup_or_null(const char *s)
{
    return (s && *s) ? ub_strdup(s) : NULL;
}

/* "usp/agents/{eid}" -> topic; every "{eid}" replaced. */
static char *topic_from_template(const char *tmpl, const char *eid)
{
    struct ub_buf out;
    ub_buf_init(&out, 4096);
    for (const char *p = tmpl; *p;) {
        const char *q = strstr(p, "{eid}");
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (ub_buf_append(&out, p, n))
            return NULL;
        p += n;
        if (q) {
            if (ub_buf_appends(&out, eid))
                return NULL;
            p += 5;
        }
    }
    if (!out.data && ub_buf_append(&out, "", 0))
        return NULL;
    return ub_buf_take(&out, NULL);
}

/* R-MQTT.24: '/' -> "%2F". */
static char *reply_to_encode(const char *topic)
{
    struct ub_buf out;
    ub_buf_init(&out, 8192);
    for (const char *p = topic; *p; p++) {
        int err = (*p == '/') ? ub_buf_append(&out, "%2F", 3)
                              : ub_buf_append(&out, p, 1);
        if (err)
            return NULL;
    }
    if (!out.data && ub_buf_append(&out, "", 0))
        return NULL;
    return ub_buf_take(&out, NULL);
}

/* R-MQTT.25: "%2F" (either case) -> '/', nothing else decoded (endpoint
 * ids may contain '%'). */
static char *reply_to_decode(const char *s)
{
    char *out = ub_malloc(strlen(s) + 1), *o = out;
    if (!out)
        return NULL;
    while (*s) {
        if (s[0] == '%' && s[1] == '2' && (s[2] == 'F' || s[2] == 'f')) {
            *o++ = '/';
            s += 3;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static bool topic_has_wildcard(const char *t)
{
    return strpbrk(t, "+#") != NULL;
}

static void mq_inflight_clear(struct mq_broker *b)
{
    struct ub_list *l;
    while ((l = ub_list_first(&b->inflight))) {
        ub_list_remove(l);
        ub_free(UB_CONTAINER_OF(l, struct mq_inflight, link));
    }
    b->inflight_count = 0;
    b->inflight_bytes = 0;
}

/* ------------------------------------------------------------------ */
/* poll / timers                                                       */
/* ------------------------------------------------------------------ */

static void handle_closed(uv_handle_t *h);

static void mq_try_free(struct mq_broker *b)
{
    if (!b->closing || b->open_handles || b->work_busy)
        return;
    struct usp_mtp *m = b->m;
    if (b->mosq)
        mosquitto_destroy(b->mosq);
    mosquitto_property_free_all(&b->connect_props);
    mosquitto_lib_cleanup();
    struct ub_list *l;
    while ((l = ub_list_first(&b->agents))) {
        ub_list_remove(l);
        mq_agent_free(UB_CONTAINER_OF(l, struct mq_agent, link));
    }
    mtp__queue_clear(&b->pending);
    mq_inflight_clear(b);
    ub_list_remove(&b->link);
    ub_free(b->host);
    ub_free(b->client_id);
    ub_free(b->connect_eid);
    ub_free(b->username);
    if (b->password) {
        memset(b->password, 0, strlen(b->password));
        ub_free(b->password);
    }
    ub_free(b->tmpl);
    ub_free(b->ca_file);
    ub_free(b->ca_path);
    ub_free(b->cert_file);
    ub_free(b->key_file);
    ub_free(b);
    mtp__live_put(m);
}

static void handle_closed(uv_handle_t *h)
{
    struct mq_broker *b = h->data;
    if (h == (uv_handle_t *)&b->poll)
        b->poll_open = false;
    b->open_handles--;
    mq_try_free(b);
}

static void mq_poll_close(struct mq_broker *b)
{
    if (b->poll_open && !uv_is_closing((uv_handle_t *)&b->poll))
        uv_close((uv_handle_t *)&b->poll, handle_closed);
}

static void mq_update_poll(struct mq_broker *b)
{
    if (!b->poll_open || uv_is_closing((uv_handle_t *)&b->poll))
        return;
    int ev = UV_READABLE;
    if (mosquitto_want_write(b->mosq))
        ev |= UV_WRITABLE;
    if (ev != b->poll_events) {
        b->poll_events = ev;
        uv_poll_start(&b->poll, ev, on_poll);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct mq_broker *b = h->data;
    int rc = MOSQ_ERR_SUCCESS;
    if (status < 0 || (events & UV_READABLE)) {
        rc = mosquitto_loop_read(b->mosq, 1);
        /* mosquitto reads one packet per call; with TLS, later packets
         * may already sit decrypted in OpenSSL's buffer, where the socket
         * will not signal them again: drain those (bounded per turn). */
        SSL *ssl = b->tls ? mosquitto_ssl_get(b->mosq) : NULL;
        for (int i = 0; ssl && rc == MOSQ_ERR_SUCCESS && !b->lost &&
                        i < 256 && SSL_pending(ssl) > 0;
             i++) {
            rc = mosquitto_loop_read(b->mosq, 1);
            ssl = mosquitto_ssl_get(b->mosq);
        }
    }
    if (rc == MOSQ_ERR_SUCCESS && !b->lost && (events & UV_WRITABLE))
        rc = mosquitto_loop_write(b->mosq, 1);
    if (rc != MOSQ_ERR_SUCCESS && mosquitto_socket(b->mosq) < 0)
        b->lost = true;
    mq_after(b);
}

static int mq_poll_start(struct mq_broker *b)
{
    int fd = mosquitto_socket(b->mosq);
    if (fd < 0 || b->poll_open) /* poll_open: the old handle still closing */
        return UB_EIO;
    if (uv_poll_init_socket(b->m->loop, &b->poll, fd))
        return UB_EIO;
    b->poll.data = b;
    b->poll_open = true;
    b->open_handles++;
    b->poll_events = UV_READABLE |
                     (mosquitto_want_write(b->mosq) ? UV_WRITABLE : 0);
    uv_poll_start(&b->poll, b->poll_events, on_poll);
    return UB_OK;
}

static void on_retry(uv_timer_t *t)
{
    mq_start_connect(t->data);
}

static void mq_schedule_retry(struct mq_broker *b)
{
    if (b->removing || b->closing)
        return;
    uint64_t d = mtp__backoff_ms(b->retry_min_ms, 2000, b->retry_max_ms,
                                 b->tries++);
    UB_LOGN(MTP_LOG, "mqtt broker %u (%s:%u): retry in %llu ms", b->id,
            b->host, b->port, (unsigned long long)d);
    b->state = MQ_DOWN;
    uv_timer_start(&b->retry, on_retry, d, 0);
}

/* The session is gone (socket closed by mosquitto). */
static void mq_lost(struct mq_broker *b)
{
    bool was_up = b->state == MQ_UP;
    mq_poll_close(b);
    mq_inflight_clear(b);
    b->state = MQ_DOWN;
    UB_LOGN(MTP_LOG, "mqtt broker %u (%s:%u): session %s", b->id, b->host,
            b->port, was_up ? "lost" : "failed");
    if (was_up && b->m->cb.on_mqtt_state && !b->m->closing)
        b->m->cb.on_mqtt_state(b->m->cb.user, b->id, false, NULL);
    mq_schedule_retry(b);
}

/* After every call into mosquitto that may have queued packets or lost
 * the connection. */
static void mq_after(struct mq_broker *b)
{
    if (b->closing)
        return;
    if (b->lost) {
        b->lost = false;
        mq_lost(b);
        return;
    }
    mq_pump(b);
    mq_update_poll(b);
}

static void on_misc(uv_timer_t *t)
{
    struct mq_broker *b = t->data;
    if (b->state != MQ_WAIT_CONNACK && b->state != MQ_UP)
        return;
    mosquitto_loop_misc(b->mosq);
    if (mosquitto_socket(b->mosq) < 0)
        b->lost = true;
    mtp__queue_expire(b->m, &b->pending);
    mq_after(b);
}

/* ------------------------------------------------------------------ */
/* connect job (thread pool)                                           */
/* ------------------------------------------------------------------ */

static void connect_work(uv_work_t *w)
{
    /* Runs on a libuv worker thread.  The loop does not touch b->mosq
     * while b->work_busy; no callback of ours runs from here (mosquitto
     * calls on_connect etc. only from loop_read). */
    struct mq_broker *b = w->data;
    b->work_rc = mosquitto_connect_bind_v5(
        b->mosq, b->host, b->port, b->keepalive, NULL,
        b->version == USP_MQTT_V5 ? b->connect_props : NULL);
    b->work_errno = errno; /* errno is per thread: carry it over */
}

/* libmosquitto's TLS set-up touches process globals without a lock (seen:
 * two concurrent TLS connects each created its UI_METHOD, one leaked), so
 * TLS connect jobs run one at a time; plain ones in parallel. */
static void mq_tls_next(struct usp_mtp *m)
{
    m->mq_tls_connecting = false;
    for (struct ub_list *l = m->brokers.next; l != &m->brokers; l = l->next) {
        struct mq_broker *o = UB_CONTAINER_OF(l, struct mq_broker, link);
        if (o->tls_waiting && !o->closing && !o->removing) {
            o->tls_waiting = false;
            mq_start_connect(o);
            return;
        }
    }
}

static void connect_done(uv_work_t *w, int status)
{
    struct mq_broker *b = w->data;
    b->work_busy = false;
    if (b->tls)
        mq_tls_next(b->m);
    if (b->closing) {
        mq_try_free(b);
        return;
    }
    if (status < 0 || b->work_rc != MOSQ_ERR_SUCCESS) {
        const char *why = status < 0 ? uv_strerror(status)
                          : b->work_rc == MOSQ_ERR_ERRNO
                              ? strerror(b->work_errno)
                              : mosquitto_strerror(b->work_rc);
        UB_LOGW(MTP_LOG, "mqtt broker %u (%s:%u): connect failed: %s", b->id,
                b->host, b->port, why);
        mq_schedule_retry(b);
        return;
    }
    if (mq_poll_start(b)) {
        UB_LOGW(MTP_LOG, "mqtt broker %u: cannot poll socket", b->id);
        mosquitto_disconnect(b->mosq);
        mq_schedule_retry(b);
        return;
    }
    b->state = MQ_WAIT_CONNACK;
}

static void mq_start_connect(struct mq_broker *b)
{
    if (b->work_busy || b->removing || b->closing || b->m->closing)
        return;
    if (b->tls && b->m->mq_tls_connecting) {
        b->tls_waiting = true; /* mq_tls_next() starts it */
        b->state = MQ_DOWN;
        return;
    }
    b->state = MQ_CONNECTING;
    b->work.data = b;
    b->work_busy = true;
    int rc = uv_queue_work(b->m->loop, &b->work, connect_work, connect_done);
    if (rc) {
        b->work_busy = false;
        UB_LOGE(MTP_LOG, "uv_queue_work: %s", uv_strerror(rc));
        mq_schedule_retry(b);
        return;
    }
    if (b->tls)
        b->m->mq_tls_connecting = true;
}

/* ------------------------------------------------------------------ */
/* mosquitto callbacks (called from loop_read/write/misc on the loop)   */
/* ------------------------------------------------------------------ */

static void mq_subscribe_agent(struct mq_broker *b, struct mq_agent *a)
{
    int rc = mosquitto_subscribe(b->mosq, NULL, a->filter, b->qos);
    if (rc != MOSQ_ERR_SUCCESS)
        UB_LOGW(MTP_LOG, "mqtt broker %u: SUBSCRIBE %s: %s", b->id, a->filter,
                mosquitto_strerror(rc));
}

static void cb_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    struct mq_broker *b = obj;
    if (b->closing)
        return;
    if (rc != 0) {
        UB_LOGW(MTP_LOG, "mqtt broker %u (%s:%u): CONNACK refused: %s", b->id,
                b->host, b->port,
                b->version == USP_MQTT_V5 ? mosquitto_reason_string(rc)
                                          : mosquitto_connack_string(rc));
        return; /* mosquitto closes the socket: on_disconnect follows */
    }
    b->state = MQ_UP;
    b->tries = 0;
    b->m->stats.mqtt_connects++;
    UB_LOGN(MTP_LOG, "mqtt broker %u (%s:%u): session up (MQTT %s)", b->id,
            b->host, b->port, b->version == USP_MQTT_V5 ? "5" : "3.1.1");
    for (struct ub_list *l = b->agents.next; l != &b->agents; l = l->next)
        mq_subscribe_agent(b, UB_CONTAINER_OF(l, struct mq_agent, link));
    char *info = NULL;
    if (props)
        mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_INFORMATION,
                                       &info, false);
    if (b->m->cb.on_mqtt_state && !b->m->closing)
        b->m->cb.on_mqtt_state(b->m->cb.user, b->id, true, info);
    free(info); /* allocated by libmosquitto */
}

static void cb_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
    struct mq_broker *b = obj;
    b->lost = true;
}

static void cb_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
    struct mq_broker *b = obj;
    for (struct ub_list *l = b->inflight.next; l != &b->inflight;
         l = l->next) {
        struct mq_inflight *f = UB_CONTAINER_OF(l, struct mq_inflight, link);
        if (f->mid == mid) {
            ub_list_remove(l);
            b->inflight_count--;
            b->inflight_bytes -= f->len;
            ub_free(f);
            break;
        }
    }
    if (reason >= 0x80)
        UB_LOGW(MTP_LOG, "mqtt broker %u: PUBLISH mid %d refused: %s", b->id,
                mid, mosquitto_reason_string(reason));
}

static void cb_subscribe(struct mosquitto *mosq, void *obj, int mid,
                         int qos_count, const int *granted,
                         const mosquitto_property *props)
{
    struct mq_broker *b = obj;
    for (int i = 0; i < qos_count; i++)
        if (granted[i] >= 0x80)
            UB_LOGE(MTP_LOG,
                    "mqtt broker %u: a subscription was refused (reason %d): "
                    "records for that agent will not arrive",
                    b->id, granted[i]);
}

/* Finds the agent a topic is for; *suffix gets what follows its topic. */
static struct mq_agent *mq_agent_for_topic(struct mq_broker *b,
                                           const char *topic,
                                           const char **suffix)
{
    for (struct ub_list *l = b->agents.next; l != &b->agents; l = l->next) {
        struct mq_agent *a = UB_CONTAINER_OF(l, struct mq_agent, link);
        size_t n = strlen(a->topic);
        if (!strncmp(topic, a->topic, n) &&
            (topic[n] == '\0' ||
             !strncmp(topic + n, MQ_REPLY_TO, strlen(MQ_REPLY_TO)))) {
            *suffix = topic + n;
            return a;
        }
    }
    return NULL;
}

static void cb_message(struct mosquitto *mosq, void *obj,
                       const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    struct mq_broker *b = obj;
    struct usp_mtp *m = b->m;
    if (b->closing || m->closing)
        return;
    const char *suffix = NULL;
    struct mq_agent *a = mq_agent_for_topic(b, msg->topic, &suffix);
    if (!a) {
        char repr[80];
        m->stats.rx_dropped++;
        mtp__log_drop(m, "mqtt broker %u: PUBLISH on unknown topic \"%s\"",
                      b->id,
                      ub_log_repr(repr, sizeof(repr), msg->topic,
                                  strlen(msg->topic), 64));
        return;
    }
    if (msg->payloadlen < 0 || (size_t)msg->payloadlen > m->lim.max_record) {
        m->stats.rx_dropped++;
        mtp__log_drop(m, "mqtt broker %u: record of %d bytes for %s dropped "
                         "(max %zu)",
                      b->id, msg->payloadlen, a->eid, m->lim.max_record);
        return;
    }
    char *resp = NULL, *ctype = NULL, *err_id = NULL, *reply3 = NULL;
    if (props) {
        mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &resp,
                                       false);
        mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &ctype,
                                       false);
        const mosquitto_property *p = props;
        bool skip = false;
        for (;;) {
            char *name = NULL, *value = NULL;
            p = mosquitto_property_read_string_pair(
                p, MQTT_PROP_USER_PROPERTY, &name, &value, skip);
            if (!p)
                break;
            skip = true;
            if (name && !strcmp(name, "usp-err-id") && !err_id) {
                err_id = value;
                value = NULL;
            }
            free(name);
            free(value);
        }
    }
    if (!resp && suffix && *suffix) {
        reply3 = reply_to_decode(suffix + strlen(MQ_REPLY_TO));
        if (!reply3 || !*reply3 || topic_has_wildcard(reply3)) {
            m->stats.rx_dropped++;
            mtp__log_drop(m, "mqtt broker %u: bad reply-to topic for %s",
                          b->id, a->eid);
            goto out;
        }
    }
    struct usp_mtp_rx rx = {
        .kind = USP_MTP_MQTT,
        .data = msg->payload,
        .len = (size_t)msg->payloadlen,
        .agent_eid = a->eid,
        .broker_id = b->id,
        .topic = msg->topic,
        .reply_topic = resp ? resp : reply3,
        .content_type = ctype,
        .usp_err_id = err_id,
    };
    m->stats.rx_records++;
    m->cb.on_record(m->cb.user, &rx);
out:
    free(resp); /* libmosquitto allocations */
    free(ctype);
    free(err_id);
    ub_free(reply3);
}

/* ------------------------------------------------------------------ */
/* sending                                                             */
/* ------------------------------------------------------------------ */

static int mq_publish_item(struct mq_broker *b, struct mtp__item *it,
                           int *mid)
{
    mosquitto_property *props = NULL;
    int rc = MOSQ_ERR_SUCCESS;
    if (b->version == USP_MQTT_V5) {
        if (it->resp_topic)
            rc = mosquitto_property_add_string(
                &props, MQTT_PROP_RESPONSE_TOPIC, it->resp_topic);
        if (!rc && it->ctype)
            rc = mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE,
                                               it->ctype);
        if (!rc && it->err_id)
            rc = mosquitto_property_add_string_pair(
                &props, MQTT_PROP_USER_PROPERTY, "usp-err-id", it->err_id);
    }
    if (!rc)
        rc = mosquitto_publish_v5(b->mosq, mid, it->topic, (int)it->len,
                                  it->buf + it->pre, it->qos, false, props);
    mosquitto_property_free_all(&props);
    return rc;
}

/* Hands pending records to mosquitto while its queues are short. */
static void mq_pump(struct mq_broker *b)
{
    while (b->state == MQ_UP && !b->lost && b->pending.count) {
        struct mtp__item *head = UB_CONTAINER_OF(b->pending.head.next,
                                                 struct mtp__item, link);
        if (head->qos > 0 ? b->inflight_count >= MQ_SEND_WINDOW
                          : mosquitto_want_write(b->mosq))
            return;
        struct mtp__item *it = mtp__queue_pop(&b->pending);
        struct mq_inflight *f = NULL;
        if (it->qos > 0 && !(f = ub_calloc(1, sizeof(*f)))) {
            /* put it back and try later */
            ub_list_insert_tail(&b->pending.head, &it->link);
            b->pending.count++;
            b->pending.bytes += it->len;
            return;
        }
        int mid = 0;
        int rc = mq_publish_item(b, it, &mid);
        if (rc != MOSQ_ERR_SUCCESS) {
            UB_LOGW(MTP_LOG, "mqtt broker %u: PUBLISH to %s failed: %s",
                    b->id, it->topic, mosquitto_strerror(rc));
            ub_free(f);
            mtp__item_free(it);
            if (mosquitto_socket(b->mosq) < 0)
                b->lost = true;
            continue;
        }
        b->m->stats.tx_records++;
        if (f) { /* QoS 1: PUBACK arrives later, never inside publish */
            f->mid = mid;
            f->len = it->len;
            ub_list_insert_tail(&b->inflight, &f->link);
            b->inflight_count++;
            b->inflight_bytes += it->len;
        }
        mtp__item_free(it);
    }
}

int mtp__mqtt_send(struct usp_mtp *m, const struct usp_mtp_dest *d,
                   const uint8_t *bytes, size_t len)
{
    if (!d->topic || !*d->topic || topic_has_wildcard(d->topic) ||
        !d->agent_eid)
        return UB_EINVAL;
    struct mq_broker *b = mq_find(m, d->broker_id);
    if (!b)
        return UB_ENOTFOUND;
    struct mq_agent *a = mq_agent_find(b, d->agent_eid);
    if (!a)
        return UB_ENOTFOUND;
    int err = mtp__queue_admit(m, &b->pending, b->inflight_count,
                               b->inflight_bytes, len);
    if (err)
        return err;
    if ((unsigned)d->qos > USP_MTP_QOS_1)
        return UB_EINVAL;
    struct mtp__item *it = NULL;
    err = mtp__item_new(0, bytes, len, &it);
    if (err)
        return err;
    it->qos = d->qos == USP_MTP_QOS_DEFAULT ? b->qos
              : d->qos == USP_MTP_QOS_1     ? 1
                                            : 0;
    if (b->version == USP_MQTT_V5) {
        it->topic = ub_strdup(d->topic);
        it->resp_topic = ub_strdup(a->topic);
        it->ctype = ub_strdup(d->content_type ? d->content_type
                                              : USP_MTP_CT_MSG);
        if (d->usp_err_id && !(it->err_id = ub_strdup(d->usp_err_id)))
            err = UB_ENOMEM;
        if (!it->topic || !it->resp_topic || !it->ctype)
            err = UB_ENOMEM;
    } else {
        char *enc = reply_to_encode(a->topic);
        it->topic = enc ? ub_asprintf("%s%s%s", d->topic, MQ_REPLY_TO, enc)
                        : NULL;
        ub_free(enc);
        if (!it->topic)
            err = UB_ENOMEM;
    }
    if (err) {
        mtp__item_free(it);
        return err;
    }
    mtp__queue_push(&b->pending, it);
    if (b->state == MQ_UP)
        mq_after(b);
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* public API                                                          */
/* ------------------------------------------------------------------ */

int usp_mtp_mqtt_add_broker(struct usp_mtp *m,
                            const struct usp_mtp_mqtt_config *cfg,
                            uint32_t *broker_id)
{
    if (!m || !cfg || !cfg->host || !*cfg->host || !broker_id)
        return UB_EINVAL;
    if (m->closing)
        return UB_ESTATE;
    if (cfg->version != USP_MQTT_V5 && cfg->version != USP_MQTT_V3_1_1)
        return UB_EINVAL;
    if ((unsigned)cfg->qos > USP_MTP_QOS_1)
        return UB_EINVAL;
    struct mq_broker *b = ub_calloc(1, sizeof(*b));
    if (!b)
        return UB_ENOMEM;
    int err = UB_ENOMEM;
    b->m = m;
    ub_list_init(&b->link);
    ub_list_init(&b->agents);
    ub_list_init(&b->inflight);
    mtp__queue_init(&b->pending);
    b->version = cfg->version;
    b->tls = cfg->tls;
    b->tls_insecure = cfg->tls_insecure;
    b->port = cfg->port ? cfg->port : (cfg->tls ? 8883 : 1883);
    b->keepalive = cfg->keepalive_s ? cfg->keepalive_s : 60;
    b->qos = cfg->qos == USP_MTP_QOS_0 ? 0 : 1;
    b->retry_min_ms = cfg->retry_min_ms ? cfg->retry_min_ms : 5000;
    b->retry_max_ms = cfg->retry_max_ms ? cfg->retry_max_ms : 300000;
    if (b->retry_max_ms < b->retry_min_ms)
        b->retry_max_ms = b->retry_min_ms;
    b->host = ub_strdup(cfg->host);
    b->tmpl = ub_strdup(cfg->topic_template ? cfg->topic_template
                                            : "usp/agents/{eid}");
    b->connect_eid = dup_or_null(cfg->connect_eid);
    b->username = dup_or_null(cfg->username);
    b->password = dup_or_null(cfg->password);
    b->ca_file = dup_or_null(cfg->ca_file);
    b->ca_path = dup_or_null(cfg->ca_path);
    b->cert_file = dup_or_null(cfg->cert_file);
    b->key_file = dup_or_null(cfg->key_file);
    if (cfg->client_id && *cfg->client_id) {
        b->client_id = ub_strdup(cfg->client_id);
    } else if (b->version == USP_MQTT_V3_1_1 && b->connect_eid) {
        b->client_id = ub_strdup(b->connect_eid); /* R-MQTT.8 */
    } else {
        uint64_t r = ub_now_ms() ^ ((uint64_t)(uintptr_t)b << 16);
        uint32_t rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) == sizeof(rnd))
            r ^= (uint64_t)rnd << 32;
        b->client_id = ub_asprintf("ub-%016llx", (unsigned long long)r);
    }
    if (!b->host || !b->tmpl || !b->client_id)
        goto fail;
    mosquitto_lib_init();
    b->mosq = mosquitto_new(b->client_id, true, b);
    if (!b->mosq) {
        mosquitto_lib_cleanup();
        goto fail;
    }
    err = UB_ECONFIG;
    if (mosquitto_int_option(b->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                             b->version == USP_MQTT_V5 ? MQTT_PROTOCOL_V5
                                                       : MQTT_PROTOCOL_V311))
        goto fail_mosq;
    /* Small request/response records: without TCP_NODELAY each reply waits
     * for the broker's delayed ACK (~40 ms seen on loopback). */
    if (mosquitto_int_option(b->mosq, MOSQ_OPT_TCP_NODELAY, 1))
        goto fail_mosq;
    if (b->username &&
        mosquitto_username_pw_set(b->mosq, b->username, b->password))
        goto fail_mosq;
    if (b->tls) {
        int rc = mosquitto_tls_set(b->mosq, b->ca_file, b->ca_path,
                                   b->cert_file, b->key_file, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            UB_LOGE(MTP_LOG, "mqtt broker %s: TLS setup: %s", b->host,
                    mosquitto_strerror(rc));
            goto fail_mosq;
        }
        if (b->tls_insecure)
            mosquitto_tls_insecure_set(b->mosq, true);
    }
    mosquitto_connect_v5_callback_set(b->mosq, cb_connect);
    mosquitto_disconnect_v5_callback_set(b->mosq, cb_disconnect);
    mosquitto_message_v5_callback_set(b->mosq, cb_message);
    mosquitto_publish_v5_callback_set(b->mosq, cb_publish);
    mosquitto_subscribe_v5_callback_set(b->mosq, cb_subscribe);
    if (b->version == USP_MQTT_V5) {
        int rc = mosquitto_property_add_byte(
            &b->connect_props, MQTT_PROP_REQUEST_RESPONSE_INFORMATION, 1);
        /* records + topic + properties: tell the broker what we accept */
        if (!rc)
            rc = mosquitto_property_add_int32(
                &b->connect_props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                (uint32_t)(m->lim.max_record + 65536));
        if (!rc && b->connect_eid)
            rc = mosquitto_property_add_string_pair(
                &b->connect_props, MQTT_PROP_USER_PROPERTY, "usp-endpoint-id",
                b->connect_eid);
        if (rc)
            goto fail_mosq;
    }
    b->id = m->next_broker_id++;
    uv_timer_init(m->loop, &b->misc);
    uv_timer_init(m->loop, &b->retry);
    b->misc.data = b->retry.data = b;
    b->open_handles = 2;
    uv_timer_start(&b->misc, on_misc, 1000, 1000);
    ub_list_insert_tail(&m->brokers, &b->link);
    m->live++;
    mq_start_connect(b);
    *broker_id = b->id;
    return UB_OK;

fail_mosq:
    mosquitto_destroy(b->mosq);
    mosquitto_property_free_all(&b->connect_props);
    mosquitto_lib_cleanup();
fail:
    ub_free(b->host);
    ub_free(b->tmpl);
    ub_free(b->client_id);
    ub_free(b->connect_eid);
    ub_free(b->username);
    ub_free(b->password);
    ub_free(b->ca_file);
    ub_free(b->ca_path);
    ub_free(b->cert_file);
    ub_free(b->key_file);
    ub_free(b);
    return err;
}

int usp_mtp_mqtt_remove_broker(struct usp_mtp *m, uint32_t broker_id)
{
    if (!m)
        return UB_EINVAL;
    struct mq_broker *b = mq_find(m, broker_id);
    if (!b)
        return UB_ENOTFOUND;
    b->removing = true;
    mtp__reap_soon(m);
    return UB_OK;
}

int usp_mtp_mqtt_add_agent(struct usp_mtp *m, uint32_t broker_id,
                           const char *agent_eid, const char *topic)
{
    if (!m || !agent_eid || !*agent_eid)
        return UB_EINVAL;
    struct mq_broker *b = mq_find(m, broker_id);
    if (!b)
        return UB_ENOTFOUND;
    if (mq_agent_find(b, agent_eid))
        return UB_EEXIST;
    struct mq_agent *a = ub_calloc(1, sizeof(*a));
    if (!a)
        return UB_ENOMEM;
    a->eid = ub_strdup(agent_eid);
    a->topic = topic ? ub_strdup(topic) : topic_from_template(b->tmpl,
                                                               agent_eid);
    a->filter = a->topic ? ub_asprintf("%s/#", a->topic) : NULL;
    if (!a->eid || !a->topic || !a->filter) {
        mq_agent_free(a);
        return UB_ENOMEM;
    }
    if (!*a->topic || topic_has_wildcard(a->topic) ||
        strstr(a->topic, MQ_REPLY_TO)) {
        mq_agent_free(a);
        return UB_EINVAL;
    }
    ub_list_insert_tail(&b->agents, &a->link);
    if (b->state == MQ_UP) {
        mq_subscribe_agent(b, a);
        mq_after(b);
    }
    return UB_OK;
}

int usp_mtp_mqtt_remove_agent(struct usp_mtp *m, uint32_t broker_id,
                              const char *agent_eid)
{
    if (!m || !agent_eid)
        return UB_EINVAL;
    struct mq_broker *b = mq_find(m, broker_id);
    if (!b)
        return UB_ENOTFOUND;
    struct mq_agent *a = mq_agent_find(b, agent_eid);
    if (!a)
        return UB_ENOTFOUND;
    if (b->state == MQ_UP) {
        int rc = mosquitto_unsubscribe(b->mosq, NULL, a->filter);
        if (rc != MOSQ_ERR_SUCCESS)
            UB_LOGW(MTP_LOG, "mqtt broker %u: UNSUBSCRIBE %s: %s", b->id,
                    a->filter, mosquitto_strerror(rc));
    }
    ub_list_remove(&a->link);
    mq_agent_free(a);
    if (b->state == MQ_UP)
        mq_after(b);
    return UB_OK;
}

int usp_mtp_mqtt_agent_topic(struct usp_mtp *m, uint32_t broker_id,
                             const char *agent_eid, const char **topic)
{
    if (!m || !agent_eid || !topic)
        return UB_EINVAL;
    struct mq_broker *b = mq_find(m, broker_id);
    struct mq_agent *a = b ? mq_agent_find(b, agent_eid) : NULL;
    if (!a)
        return UB_ENOTFOUND;
    *topic = a->topic;
    return UB_OK;
}

bool usp_mtp_mqtt_is_up(const struct usp_mtp *m, uint32_t broker_id)
{
    struct mq_broker *b = m ? mq_find(m, broker_id) : NULL;
    return b && b->state == MQ_UP;
}

/* ------------------------------------------------------------------ */
/* teardown                                                            */
/* ------------------------------------------------------------------ */

size_t mtp__mqtt_unsent(const struct usp_mtp *m)
{
    size_t n = 0;
    for (struct ub_list *l = m->brokers.next; l != &m->brokers; l = l->next) {
        struct mq_broker *b = UB_CONTAINER_OF(l, struct mq_broker, link);
        if (b->state == MQ_UP && !b->removing) {
            /* in flight too: closing with PUBACKs unread in our receive
             * buffer makes the kernel send RST, and the broker then drops
             * what it had not read yet (seen: the last of 3 PUBLISHes) */
            n += b->pending.count + b->inflight_count;
            if (mosquitto_want_write(b->mosq))
                n++;
        }
    }
    return n;
}

static void mq_close(struct mq_broker *b)
{
    if (b->closing)
        return;
    b->closing = true;
    if (!b->work_busy && (b->state == MQ_UP || b->state == MQ_WAIT_CONNACK)) {
        /* Read what already arrived first: closing a socket with unread
         * input sends RST, and the broker may then drop our last packets
         * (received records are not delivered any more: m->closing). */
        int fd = mosquitto_socket(b->mosq), avail = 0;
        for (int i = 0; fd >= 0 && i < 64 && !b->lost &&
                        ioctl(fd, FIONREAD, &avail) == 0 && avail > 0;
             i++)
            if (mosquitto_loop_read(b->mosq, 1) != MOSQ_ERR_SUCCESS)
                break;
        /* R-MQTT.35: DISCONNECT, written now (not in a callback) */
        if (b->version == USP_MQTT_V5)
            mosquitto_disconnect_v5(b->mosq, 0, NULL);
        else
            mosquitto_disconnect(b->mosq);
    }
    b->state = MQ_DOWN;
    mq_poll_close(b);
    uv_close((uv_handle_t *)&b->misc, handle_closed);
    uv_close((uv_handle_t *)&b->retry, handle_closed);
}

void mtp__mqtt_reap(struct usp_mtp *m)
{
    struct ub_list *l = m->brokers.next;
    while (l != &m->brokers) {
        struct mq_broker *b = UB_CONTAINER_OF(l, struct mq_broker, link);
        l = l->next;
        if (b->removing || m->closing) {
            b->removing = true;
            mq_close(b);
        }
    }
}
