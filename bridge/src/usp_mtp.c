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

static bool scopy(char *d, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (l >= n)
        return false;
    memcpy(d, s, l + 1);
    return true;
}

static void on_record(void *user, const struct usp_mtp_rx *rx)
{
    struct bridge *b = user;
    struct bridge_reply_to rt;

    memset(&rt, 0, sizeof(rt));
    if (rx->kind == USP_MTP_MQTT) {
        rt.mtp = BRIDGE_MTP_MQTT;
        rt.broker_id = rx->broker_id;
        if (rx->reply_topic && !scopy(rt.topic, sizeof(rt.topic), rx->reply_topic)) {
            UB_LOGI(MOD, "reply topic too long: record dropped");
            return;
        }
    } else {
        rt.mtp = BRIDGE_MTP_WS;
        rt.ws_conn = rx->conn_id;
    }
    bridge_usp_on_record(b, rx->data, rx->len, &rt);
}

static void on_mqtt_state(void *user, uint32_t broker_id, bool up,
                          const char *response_info)
{
    (void)user;
    (void)response_info;
    UB_LOGN(MOD, "MQTT broker %u %s", broker_id, up ? "connected" : "lost");
}

static void on_ws_state(void *user, uint64_t conn_id, const char *agent_eid,
                        const char *peer_eid, bool up)
{
    (void)user;
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

int bridge_mtp_add_agent(struct bridge *b, const char *eid)
{
    int err;

    if (!b->mtp)
        return UB_OK;
    if (b->ws_listening) {
        err = usp_mtp_ws_add_agent(b->mtp, eid);
        if (err && err != UB_EEXIST)
            return err;
    }
    if (b->mqtt_broker) {
        err = usp_mtp_mqtt_add_agent(b->mtp, b->mqtt_broker, eid, NULL);
        if (err && err != UB_EEXIST)
            return err;
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
    usp_mtp_destroy(b->mtp);
    b->mtp = NULL;
}
