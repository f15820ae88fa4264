/*
 * Hosted Device.LocalAgent.: queries and bookkeeping for the bridge
 * (controllers, subscriptions, async requests, boot parameters).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Plain reads over the store, decoded into neutral structs.  Functions
 * that delete (subscription expiry, request removal) first collect the
 * paths, then delete, so the store is never changed under a running walk.
 */
#include "agent_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CTRL_TABLE "Device.LocalAgent.Controller."
#define SUB_TABLE "Device.LocalAgent.Subscription."
#define REQ_TABLE "Device.LocalAgent.Request."

static char *nz(char *s)
{
    return s ? s : ub_strdup("");
}

static bool get_bool(const struct usp_agent_store *st, const char *path,
                     bool dflt)
{
    char *v = NULL;
    bool b = dflt;

    if (agent__get_value(st, path, &v) == UB_OK)
        agent__parse_bool(v, &b);
    ub_free(v);
    return b;
}

static uint32_t get_u32(const struct usp_agent_store *st, const char *path)
{
    char *v = NULL;
    uint64_t u = 0;

    if (agent__get_value(st, path, &v) == UB_OK && !agent__parse_u64(v, &u))
        u = 0;
    ub_free(v);
    return u > UINT32_MAX ? UINT32_MAX : (uint32_t)u;
}

void usp_agent_controller_clear(struct usp_agent_controller *c)
{
    if (!c)
        return;
    ub_free(c->path);
    ub_free(c->endpoint_id);
    ub_free(c->periodic_notif_time);
    ub_free(c->mqtt_topic);
    ub_free(c->ws_host);
    ub_free(c->ws_path);
    memset(c, 0, sizeof(*c));
}

static int fill_controller(const struct usp_agent_store *st, unsigned inst,
                           struct usp_agent_controller *c)
{
    char p[UB_PATH_MAX + 1], table[96];
    unsigned *m = NULL;
    size_t n = 0, i;
    bool have_mqtt = false, have_ws = false;
    int err;

    memset(c, 0, sizeof(*c));
    c->inst = inst;
    c->path = ub_asprintf(CTRL_TABLE "%u", inst);
    agent__fmt(p, sizeof(p), CTRL_TABLE "%u.Enable", inst);
    c->enable = get_bool(st, p, false);
    agent__fmt(p, sizeof(p), CTRL_TABLE "%u.PeriodicNotifInterval", inst);
    c->periodic_notif_interval = get_u32(st, p);
    err = agent__get_valuef(st, &c->endpoint_id, CTRL_TABLE "%u.EndpointID",
                            inst);
    if (!err)
        err = agent__get_valuef(st, &c->periodic_notif_time,
                                CTRL_TABLE "%u.PeriodicNotifTime", inst);
    agent__fmt(table, sizeof(table), CTRL_TABLE "%u.MTP.", inst);
    if (!err)
        err = agent__instances(st, table, &m, &n);
    for (i = 0; !err && i < n; i++) {
        char *proto = NULL;

        agent__fmt(p, sizeof(p), "%s%u.Enable", table, m[i]);
        if (!get_bool(st, p, false))
            continue;
        err = agent__get_valuef(st, &proto, "%s%u.Protocol", table, m[i]);
        if (!err && proto && strcmp(proto, "MQTT") == 0 && !have_mqtt) {
            have_mqtt = true;
            err = agent__get_valuef(st, &c->mqtt_topic, "%s%u.MQTT.Topic",
                                    table, m[i]);
        } else if (!err && proto && strcmp(proto, "WebSocket") == 0 &&
                   !have_ws) {
            have_ws = true;
            err = agent__get_valuef(st, &c->ws_host, "%s%u.WebSocket.Host",
                                    table, m[i]);
            if (!err)
                err = agent__get_valuef(st, &c->ws_path,
                                        "%s%u.WebSocket.Path", table, m[i]);
            agent__fmt(p, sizeof(p), "%s%u.WebSocket.Port", table, m[i]);
            c->ws_port = get_u32(st, p);
            agent__fmt(p, sizeof(p), "%s%u.WebSocket.EnableEncryption",
                       table, m[i]);
            c->ws_encryption = get_bool(st, p, true);
        }
        ub_free(proto);
    }
    ub_free(m);
    c->endpoint_id = nz(c->endpoint_id);
    c->periodic_notif_time = nz(c->periodic_notif_time);
    c->mqtt_topic = nz(c->mqtt_topic);
    c->ws_host = nz(c->ws_host);
    c->ws_path = nz(c->ws_path);
    if (!err && (!c->path || !c->endpoint_id || !c->periodic_notif_time ||
                 !c->mqtt_topic || !c->ws_host || !c->ws_path))
        err = UB_ENOMEM;
    if (err)
        usp_agent_controller_clear(c);
    return err;
}

int usp_agent_controller_find(const struct usp_agent_store *st,
                              const char *endpoint_id,
                              struct usp_agent_controller *out)
{
    unsigned *insts = NULL;
    size_t n = 0, i;
    int err;

    if (!st || !endpoint_id || !out)
        return UB_EINVAL;
    err = agent__instances(st, CTRL_TABLE, &insts, &n);
    for (i = 0; !err && i < n; i++) {
        char *v = NULL;
        bool hit;

        err = agent__get_valuef(st, &v, CTRL_TABLE "%u.EndpointID", insts[i]);
        hit = !err && v && strcmp(v, endpoint_id) == 0;
        ub_free(v);
        if (hit) {
            err = fill_controller(st, insts[i], out);
            ub_free(insts);
            return err;
        }
    }
    ub_free(insts);
    return err ? err : UB_ENOTFOUND;
}

/* ---- Subscriptions ---- */

static enum usp_agent_notif notif_of(const char *s)
{
    static const struct {
        const char *name;
        enum usp_agent_notif t;
    } map[] = {
        {"ValueChange", USP_AGENT_NOTIF_VALUE_CHANGE},
        {"ObjectCreation", USP_AGENT_NOTIF_OBJ_CREATION},
        {"ObjectDeletion", USP_AGENT_NOTIF_OBJ_DELETION},
        {"OperationComplete", USP_AGENT_NOTIF_OPER_COMPLETE},
        {"Event", USP_AGENT_NOTIF_EVENT},
    };
    size_t i;

    for (i = 0; s && i < UB_ARRAY_LEN(map); i++)
        if (strcmp(map[i].name, s) == 0)
            return map[i].t;
    return USP_AGENT_NOTIF_NONE;
}

static int64_t parse_time(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, se;

    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi,
                     &se) != 6 ||
        y < 1970)
        return 0;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return (int64_t)timegm(&tm);
}

struct sub_strs {
    char *path, *id, *recipient, *eid, *notif, *refs, *created;
};

static void sub_strs_free(struct sub_strs *s)
{
    ub_free(s->path);
    ub_free(s->id);
    ub_free(s->recipient);
    ub_free(s->eid);
    ub_free(s->notif);
    ub_free(s->refs);
    ub_free(s->created);
}

static int load_sub(const struct usp_agent_store *st, unsigned inst,
                    struct usp_agent_sub *s, struct sub_strs *k)
{
    char p[128];
    int err;

    memset(s, 0, sizeof(*s));
    memset(k, 0, sizeof(*k));
    s->inst = inst;
    k->path = ub_asprintf(SUB_TABLE "%u.", inst);
    if (!k->path)
        return UB_ENOMEM;
    err = agent__get_valuef(st, &k->id, SUB_TABLE "%u.ID", inst);
    if (!err)
        err = agent__get_valuef(st, &k->recipient, SUB_TABLE "%u.Recipient",
                                inst);
    if (!err)
        err = agent__get_valuef(st, &k->notif, SUB_TABLE "%u.NotifType",
                                inst);
    if (!err)
        err = agent__get_valuef(st, &k->refs, SUB_TABLE "%u.ReferenceList",
                                inst);
    if (!err)
        err = agent__get_valuef(st, &k->created,
                                SUB_TABLE "%u.CreationDate", inst);
    if (!err && k->recipient && *k->recipient) {
        size_t rl = strlen(k->recipient);

        if (k->recipient[rl - 1] == '.')
            rl--;
        err = agent__get_valuef(st, &k->eid, "%.*s.EndpointID", (int)rl,
                                k->recipient);
        agent__fmt(p, sizeof(p), "%.*s.Enable", (int)rl, k->recipient);
        s->recipient_enabled = k->eid && get_bool(st, p, false);
    }
    if (err)
        return err;
    s->path = k->path;
    s->id = k->id ? k->id : "";
    s->recipient = k->recipient ? k->recipient : "";
    s->recipient_eid = k->eid ? k->eid : "";
    s->notif_type = notif_of(k->notif);
    s->reference_list = k->refs ? k->refs : "";
    s->creation_date = parse_time(k->created);
    agent__fmt(p, sizeof(p), SUB_TABLE "%u.Enable", inst);
    s->enable = get_bool(st, p, false);
    agent__fmt(p, sizeof(p), SUB_TABLE "%u.Persistent", inst);
    s->persistent = get_bool(st, p, false);
    agent__fmt(p, sizeof(p), SUB_TABLE "%u.NotifRetry", inst);
    s->notif_retry = get_bool(st, p, false);
    agent__fmt(p, sizeof(p), SUB_TABLE "%u.TimeToLive", inst);
    s->time_to_live = get_u32(st, p);
    agent__fmt(p, sizeof(p), SUB_TABLE "%u.NotifExpiration", inst);
    s->notif_expiration = get_u32(st, p);
    return UB_OK;
}

int usp_agent_subs_list(const struct usp_agent_store *st, bool enabled_only,
                        usp_agent_sub_cb cb, void *user)
{
    unsigned *insts = NULL;
    size_t n = 0, i;
    int err;

    if (!st || !cb)
        return UB_EINVAL;
    err = agent__instances(st, SUB_TABLE, &insts, &n);
    for (i = 0; !err && i < n; i++) {
        struct usp_agent_sub s;
        struct sub_strs k;

        err = load_sub(st, insts[i], &s, &k);
        if (!err && (!enabled_only || (s.enable && s.recipient_enabled)))
            err = cb(user, &s);
        sub_strs_free(&k);
    }
    ub_free(insts);
    return err;
}

struct expire_ctx {
    int64_t now;
    bool restarted;
    struct ub_strv doomed;
};

static int expire_cb(void *user, const struct usp_agent_sub *s)
{
    struct expire_ctx *c = user;
    bool dead = false;

    if (c->restarted && !s->persistent)
        dead = true;
    if (s->time_to_live && s->creation_date &&
        s->creation_date + (int64_t)s->time_to_live <= c->now)
        dead = true;
    return dead ? ub_strv_add(&c->doomed, s->path) : 0;
}

int usp_agent_subs_expire(const struct usp_agent_store *st, int64_t now,
                          bool restarted, size_t *n_deleted)
{
    const struct agent_obj *o = agent__obj_find(SUB_TABLE "{i}.");
    struct expire_ctx c = {.now = now, .restarted = restarted};
    struct usp_agent_result r;
    size_t i;
    int err;

    if (!agent__store_writable(st))
        return UB_EINVAL;
    ub_strv_init(&c.doomed, 0);
    usp_agent_result_init(&r);
    err = usp_agent_subs_list(st, false, expire_cb, &c);
    for (i = 0; !err && i < c.doomed.n; i++)
        err = agent__del_instance(st, o, c.doomed.v[i], &r);
    if (!err && n_deleted)
        *n_deleted = r.deleted.n;
    usp_agent_result_clear(&r);
    ub_strv_free(&c.doomed);
    return err;
}

/* ---- Requests ---- */

int usp_agent_request_add(const struct usp_agent_store *st,
                          const char *originator, const char *command,
                          const char *command_key, char **path)
{
    const struct agent_obj *o = agent__obj_find(REQ_TABLE "{i}.");
    struct ub_param_list ov;
    unsigned inst = 0;
    char alias[24];
    int err;

    if (!agent__store_writable(st) || !originator || !command || !path)
        return UB_EINVAL;
    err = agent__next_instance(st, REQ_TABLE, false, &inst);
    if (err)
        return err;
    agent__fmt(alias, sizeof(alias), "cpe-%u", inst);
    ub_param_list_init(&ov, 0);
    err = ub_param_list_add(&ov, "Alias", alias, UB_T_STRING);
    if (!err)
        err = ub_param_list_add(&ov, "Originator", originator, UB_T_STRING);
    if (!err)
        err = ub_param_list_add(&ov, "Command", command, UB_T_STRING);
    if (!err)
        err = ub_param_list_add(&ov, "CommandKey",
                                command_key ? command_key : "", UB_T_STRING);
    if (!err)
        err = agent__insert(st, o, REQ_TABLE, &ov, NULL, path);
    ub_param_list_free(&ov);
    return err;
}

int usp_agent_request_set_status(const struct usp_agent_store *st,
                                 const char *path, const char *status)
{
    const struct agent_obj *o = agent__obj_find(REQ_TABLE "{i}.");
    const struct agent_param *p = agent__param_find(o, "Status");
    const char *msg;
    char obj[UB_PATH_MAX + 1];
    size_t l;

    if (!agent__store_writable(st) || !path || !status ||
        agent__value_check(p, status, &msg))
        return UB_EINVAL;
    l = strlen(path);
    if (!agent__fmt(obj, sizeof(obj), "%s%s", path,
                    l && path[l - 1] == '.' ? "" : "."))
        return UB_EINVAL;
    if (agent__obj_for_path(obj) != o || !agent__row_exists(st, obj))
        return UB_ENOTFOUND;
    return agent__put_param(st, obj, p, status);
}

int usp_agent_request_del(const struct usp_agent_store *st, const char *path)
{
    const struct agent_obj *o = agent__obj_find(REQ_TABLE "{i}.");
    struct usp_agent_result r;
    char obj[UB_PATH_MAX + 1];
    size_t l;
    int err;

    if (!agent__store_writable(st) || !path)
        return UB_EINVAL;
    l = strlen(path);
    if (!agent__fmt(obj, sizeof(obj), "%s%s", path,
                    l && path[l - 1] == '.' ? "" : "."))
        return UB_EINVAL;
    if (agent__obj_for_path(obj) != o || !agent__row_exists(st, obj))
        return UB_ENOTFOUND;
    usp_agent_result_init(&r);
    err = agent__del_instance(st, o, obj, &r);
    usp_agent_result_clear(&r);
    return err;
}

/* ---- Boot parameters ---- */

int usp_agent_boot_params(const struct usp_agent_store *st,
                          const char *ctrl_path, struct ub_strv *out)
{
    char table[UB_PATH_MAX + 1], p[UB_PATH_MAX + 1];
    unsigned *insts = NULL;
    size_t n = 0, i, l;
    int err;

    if (!st || !ctrl_path || !out)
        return UB_EINVAL;
    l = strlen(ctrl_path);
    if (!agent__fmt(table, sizeof(table), "%s%sBootParameter.", ctrl_path,
                    l && ctrl_path[l - 1] == '.' ? "" : "."))
        return UB_EINVAL;
    err = agent__instances(st, table, &insts, &n);
    for (i = 0; !err && i < n; i++) {
        char *v = NULL;

        agent__fmt(p, sizeof(p), "%s%u.Enable", table, insts[i]);
        if (!get_bool(st, p, false))
            continue;
        err = agent__get_valuef(st, &v, "%s%u.ParameterName", table,
                                insts[i]);
        if (!err && v && *v)
            err = ub_strv_add(out, v);
        ub_free(v);
    }
    ub_free(insts);
    return err;
}
