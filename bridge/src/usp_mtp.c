/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: the bridge side of the USP MTPs.  One struct usp_mtp carries every
 * bridged agent: one MQTT broker connection (when configured) on which each
 * agent subscribes its own topic, and one WebSocket listener on which a
 * controller reaches agent E at <ws_path>/<E>.  Agents are added at start
 * (every device in the registry) and when a new device registers.
 *
 * Replies: MQTT requests are answered on their Response Topic (MQTT 5) or
 * "/reply-to=" topic (3.1.1); a request with neither is answered on the
 * topic configured for that controller ([usp] controllers), as the MQTT
 * binding requires; WebSocket requests on their connection.
 */
#include "bridge.h"

#include <stdio.h>
#include <string.h>

#define MOD "mtp"


static void on_record(void *user, const struct usp_mtp_rx *rx)
{
    struct bridge *b = user;
    struct bridge_reply_to rt;

    memset(&rt, 0, sizeof(rt));
    if (rx->kind == USP_MTP_MQTT) {
        rt.mtp = BRIDGE_MTP_MQTT;
        rt.broker_id = rx->broker_id;
        if (rx->reply_topic && !bridge_scopy(rt.topic, sizeof(rt.topic), rx->reply_topic)) {
            UB_LOGI(MOD, "reply topic too long: record dropped");
            return;
        }
    } else {
        rt.mtp = BRIDGE_MTP_WS;
        rt.ws_conn = rx->conn_id;
    }
    bridge_usp_on_record(b, rx->data, rx->len, &rt);
}

/* ---- presence: MQTTConnect records ----
 *
 * When the broker session comes up, every bridged agent tells each
 * configured controller (those with a topic) that it is online with an
 * MQTTConnect record (mapping.md, "Presence").  A fleet has many agents and
 * the MTP send queue is bounded (overflow: refuse), so the records are
 * dripped from a timer: each tick sends until the queue refuses, and the
 * next tick resumes there.  The agent list is a snapshot taken when the
 * session came up (endpoint IDs only). */

#define PRESENCE_TICK_MS 20

static void presence_free(struct bridge *b)
{
    for (size_t i = 0; i < b->presence.n; i++)
        ub_free(b->presence.eids[i]);
    ub_free(b->presence.eids);
    memset(&b->presence.eids, 0, sizeof(b->presence.eids));
    b->presence.n = b->presence.next = b->presence.ctrl = 0;
}

static int collect_eid(void *user, const struct pdb_device *d)
{
    struct bridge *b = user;
    char **v;

    if (b->presence.n % 1024 == 0) {
        v = ub_realloc(b->presence.eids, (b->presence.n + 1024) * sizeof(*v));
        if (!v)
            return UB_ENOMEM;
        b->presence.eids = v;
    }
    if (!(b->presence.eids[b->presence.n] = ub_strdup(d->endpoint_id)))
        return UB_ENOMEM;
    b->presence.n++;
    return 0;
}

/* Sends the MQTTConnect record of agent eid to controller c.  UB_EFULL
 * when the MTP queue is full (try again later). */
static int presence_send(struct bridge *b, const char *eid,
                         const struct bridge_controller *c)
{
    struct usp_record rec;
    struct usp_mtp_dest d;
    const char *topic = NULL;
    uint8_t *out = NULL;
    size_t len = 0;
    int err;

    err = usp_mtp_mqtt_agent_topic(b->mtp, b->mqtt_broker, eid, &topic);
    if (err)
        return err;
    memset(&rec, 0, sizeof(rec));
    rec.to_id = c->eid;
    rec.from_id = eid;
    rec.kind = USP_REC_MQTT_CONNECT;
    rec.mqtt_version = strcmp(b->cfg->usp_mqtt_version, "5") == 0
                           ? USP_MQTT_V5
                           : USP_MQTT_V3_1_1;
    rec.mqtt_topic = topic;
    err = usp_record_encode(&rec, 0, &out, &len);
    if (err)
        return err;
    memset(&d, 0, sizeof(d));
    d.kind = USP_MTP_MQTT;
    d.agent_eid = eid;
    d.broker_id = b->mqtt_broker;
    d.topic = c->topic;
    err = usp_mtp_send(b->mtp, &d, out, len);
    ub_free(out);
    return err;
}

static void presence_tick(uv_timer_t *t)
{
    struct bridge *b = t->data;

    while (b->presence.next < b->presence.n) {
        const struct bridge_controller *c = NULL;
        /* next controller with a topic for the current agent */
        while (b->presence.ctrl < b->n_controllers &&
               !*b->controllers[b->presence.ctrl].topic)
            b->presence.ctrl++;
        if (b->presence.ctrl >= b->n_controllers) {
            b->presence.next++;
            b->presence.ctrl = 0;
            continue;
        }
        c = &b->controllers[b->presence.ctrl];
        int err = presence_send(b, b->presence.eids[b->presence.next], c);
        if (err == UB_EFULL)
            return; /* the queue drains; resume at the next tick */
        if (err && err != UB_ENOTFOUND)
            UB_LOGW(MOD, "MQTTConnect of %s to %s not sent: %s",
                    b->presence.eids[b->presence.next], c->eid,
                    ub_strerror(err));
        b->presence.ctrl++;
    }
    UB_LOGI(MOD, "MQTTConnect records sent for %zu agents", b->presence.n);
    uv_timer_stop(t);
    presence_free(b);
}

static void presence_start(struct bridge *b)
{
    struct pdb_rtxn *r = NULL;
    bool any = false;
    int err;

    for (size_t i = 0; i < b->n_controllers; i++)
        any |= *b->controllers[i].topic != '\0';
    if (!any || b->stopping)
        return;
    presence_free(b);
    err = pdb_rtxn_begin(b->pdb, &r);
    if (!err)
        err = pdb_device_list(r, collect_eid, b);
    pdb_rtxn_end(r);
    if (err) {
        UB_LOGW(MOD, "MQTTConnect records not sent: %s", ub_strerror(err));
        presence_free(b);
        return;
    }
    uv_timer_start(&b->presence.timer, presence_tick, 0, PRESENCE_TICK_MS);
}

/* A new agent comes online while the broker is up. */
void bridge_mtp_presence_agent(struct bridge *b, const char *eid)
{
    if (!b->mqtt_broker || !usp_mtp_mqtt_is_up(b->mtp, b->mqtt_broker))
        return;
    for (size_t i = 0; i < b->n_controllers; i++) {
        if (!*b->controllers[i].topic)
            continue;
        int err = presence_send(b, eid, &b->controllers[i]);
        if (err)
            UB_LOGI(MOD, "MQTTConnect of %s to %s not sent: %s", eid,
                    b->controllers[i].eid, ub_strerror(err));
    }
}

static void on_mqtt_state(void *user, uint32_t broker_id, bool up,
                          const char *response_info)
{
    struct bridge *b = user;

    (void)response_info;
    UB_LOGN(MOD, "MQTT broker %u %s", broker_id, up ? "connected" : "lost");
    if (up)
        presence_start(b);
}

/* R-WS.8: on a session the agent opened to a controller's WebSocket
 * server, the agent's first record is a WebSocketConnectRecord. */
static void ws_send_connect_record(struct bridge *b, uint64_t conn_id,
                                   const char *agent_eid,
                                   const char *peer_eid)
{
    struct usp_record rec;
    struct usp_mtp_dest d;
    uint8_t *out = NULL;
    size_t len = 0;
    int err;

    memset(&rec, 0, sizeof(rec));
    rec.to_id = peer_eid;
    rec.from_id = agent_eid;
    rec.kind = USP_REC_WS_CONNECT;
    err = usp_record_encode(&rec, 0, &out, &len);
    if (!err) {
        memset(&d, 0, sizeof(d));
        d.kind = USP_MTP_WS;
        d.agent_eid = agent_eid;
        d.conn_id = conn_id;
        err = usp_mtp_send(b->mtp, &d, out, len);
    }
    ub_free(out);
    if (err)
        UB_LOGI(MOD, "WebSocketConnect record of %s not sent: %s", agent_eid,
                ub_strerror(err));
}

static void on_ws_state(void *user, uint64_t conn_id, const char *agent_eid,
                        const char *peer_eid, bool up)
{
    struct bridge *b = user;

    if (up && agent_eid && peer_eid) {
        for (size_t i = 0; i < b->n_ws_ctrls; i++)
            if (strcmp(b->ws_ctrls[i].eid, peer_eid) == 0)
                ws_send_connect_record(b, conn_id, agent_eid, peer_eid);
    }
    UB_LOGI(MOD, "WebSocket %llu %s: agent %s, controller %s",
            (unsigned long long)conn_id, up ? "up" : "down",
            agent_eid ? agent_eid : "?", peer_eid ? peer_eid : "?");
}

int bridge_usp_send(struct bridge *b, const struct bridge_reply_to *rt,
                    const uint8_t *rec, size_t len)
{
    struct usp_mtp_dest d;

    if (!b->mtp)
        return UB_ESTATE;
    memset(&d, 0, sizeof(d));
    d.agent_eid = rt->agent;
    if (rt->mtp == BRIDGE_MTP_WS) {
        d.kind = USP_MTP_WS;
        d.conn_id = rt->ws_conn;
    } else {
        const char *topic = rt->topic;
        char ctopic[256] = "";
        if (!*topic) {
            const struct bridge_controller *c =
                bridge_controller_find(b, rt->controller);
            struct pdb_rtxn *r = NULL;
            uint32_t dev = 0;
            if (c && *c->topic) {
                topic = c->topic;
            } else if (pdb_rtxn_begin(b->pdb, &r) == UB_OK) {
                /* the agent's Controller.{i}.MTP.{i}.MQTT.Topic */
                bool found = pdb_device_find_endpoint(r, rt->agent, &dev) == UB_OK;
                pdb_rtxn_end(r);
                if (found)
                    bridge_controller_known(b, dev, rt->controller, ctopic,
                                            sizeof(ctopic));
                topic = ctopic;
            }
            if (!*topic) {
                UB_LOGI(MOD, "no reply topic for controller %.64s: the "
                        "request had none and none is configured",
                        rt->controller);
                return UB_ENOTFOUND;
            }
        }
        d.kind = USP_MTP_MQTT;
        d.broker_id = rt->broker_id;
        d.topic = topic;
    }
    return usp_mtp_send(b->mtp, &d, rec, len);
}

/* Agent as WebSocket client: one session per agent and controller server
 * (R-WS.4); usp/ reconnects with the R-WS.19 backoff and queues what is
 * sent while the session is down (bounded). */
static int ws_connect_agent(struct bridge *b, const char *eid)
{
    for (size_t i = 0; i < b->n_ws_ctrls; i++) {
        struct usp_mtp_ws_client_config wc;
        uint64_t conn = 0;
        int err;

        memset(&wc, 0, sizeof(wc));
        wc.url = b->ws_ctrls[i].url;
        wc.agent_eid = eid;
        wc.controller_eid = b->ws_ctrls[i].eid;
        err = usp_mtp_ws_connect(b->mtp, &wc, &conn);
        if (err)
            return err;
        UB_LOGD(MOD, "agent %s connects to controller %s at %s (ws %llu)", eid,
                b->ws_ctrls[i].eid, b->ws_ctrls[i].url,
                (unsigned long long)conn);
    }
    return UB_OK;
}

int bridge_mtp_add_agent(struct bridge *b, const char *eid)
{
    int err;

    if (!b->mtp)
        return UB_OK;
    err = ws_connect_agent(b, eid);
    if (err)
        return err;
    if (b->ws_listening) {
        err = usp_mtp_ws_add_agent(b->mtp, eid);
        if (err && err != UB_EEXIST)
            return err;
    }
    if (b->mqtt_broker) {
        err = usp_mtp_mqtt_add_agent(b->mtp, b->mqtt_broker, eid, NULL);
        if (err == UB_EEXIST)
            return UB_OK;
        if (err)
            return err;
        if (b->started)
            bridge_mtp_presence_agent(b, eid);
    }
    return UB_OK;
}

static int add_one(void *user, const struct pdb_device *d)
{
    struct bridge *b = user;
    int err = bridge_mtp_add_agent(b, d->endpoint_id);
    if (err)
        UB_LOGW(MOD, "agent %s not served: %s", d->endpoint_id,
                ub_strerror(err));
    return 0;
}

int bridge_mtp_start(struct bridge *b)
{
    struct usp_mtp_callbacks cb = {
        .on_record = on_record,
        .on_mqtt_state = on_mqtt_state,
        .on_ws_state = on_ws_state,
        .user = b,
    };
    const struct bridge_config *c = b->cfg;
    struct pdb_rtxn *r = NULL;
    int err;

    uv_timer_init(b->loop, &b->presence.timer);
    b->presence.timer.data = b;
    b->presence.timer_init = true;
    err = usp_mtp_create(b->loop, &cb, NULL, &b->mtp);
    if (err)
        return err;
    if (c->usp_ws_port >= 0) {
        struct usp_mtp_ws_server_config ws;
        char prefix[256];
        uint16_t port = 0;

        memset(&ws, 0, sizeof(ws));
        snprintf(prefix, sizeof(prefix), "%s/", c->usp_ws_path);
        ws.bind_addr = c->usp_ws_listen;
        ws.port = (uint16_t)c->usp_ws_port;
        ws.path_prefix = prefix;
        err = usp_mtp_ws_listen(b->mtp, &ws, &port);
        if (err) {
            UB_LOGE(MOD, "cannot listen for WebSocket controllers on %s:%ld: %s",
                    c->usp_ws_listen, c->usp_ws_port, ub_strerror(err));
            return err;
        }
        b->ws_listening = true;
        b->ws_port = port;
        UB_LOGN(MOD, "USP WebSocket MTP on ws://%s:%u%s<endpoint-id>",
                c->usp_ws_listen, (unsigned)port, prefix);
    }
    if (*c->usp_mqtt_broker) {
        struct usp_mtp_mqtt_config mc;
        char tmpl[512];
        const char *pct = strstr(c->usp_mqtt_agent_topic, "%s");

        memset(&mc, 0, sizeof(mc));
        snprintf(tmpl, sizeof(tmpl), "%.*s{eid}%s",
                 (int)(pct - c->usp_mqtt_agent_topic), c->usp_mqtt_agent_topic,
                 pct + 2);
        mc.host = c->usp_mqtt_broker;
        mc.port = (uint16_t)c->usp_mqtt_port;
        mc.version = strcmp(c->usp_mqtt_version, "5") == 0 ? USP_MQTT_V5
                                                           : USP_MQTT_V3_1_1;
        mc.client_id = c->usp_mqtt_client_id;
        mc.username = *c->usp_mqtt_username ? c->usp_mqtt_username : NULL;
        mc.password = *c->usp_mqtt_password ? c->usp_mqtt_password : NULL;
        mc.topic_template = tmpl;
        err = usp_mtp_mqtt_add_broker(b->mtp, &mc, &b->mqtt_broker);
        if (err) {
            UB_LOGE(MOD, "cannot add MQTT broker %s:%ld: %s",
                    c->usp_mqtt_broker, c->usp_mqtt_port, ub_strerror(err));
            return err;
        }
        UB_LOGN(MOD, "USP MQTT MTP via %s:%ld (MQTT %s), agent topics %s",
                c->usp_mqtt_broker, c->usp_mqtt_port, c->usp_mqtt_version, tmpl);
    }
    /* serve every registered agent */
    err = pdb_rtxn_begin(b->pdb, &r);
    if (!err)
        err = pdb_device_list(r, add_one, b);
    pdb_rtxn_end(r);
    return err;
}

void bridge_mtp_stop(struct bridge *b)
{
    if (b->presence.timer_init &&
        !uv_is_closing((uv_handle_t *)&b->presence.timer))
        uv_close((uv_handle_t *)&b->presence.timer, NULL);
    presence_free(b);
    usp_mtp_destroy(b->mtp);
    b->mtp = NULL;
}
