/*
 * Hosted Device.LocalAgent.: the rows of a newly bridged agent.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * usp_agent_init_rows() builds the whole hosted tree of one agent in the
 * caller's transaction: the static objects from the schema (defaults), the
 * MTPs and controllers from the bridge configuration, and two default
 * roles.  It refuses to run twice (UB_EEXIST when Device.LocalAgent.
 * exists) so that a restart never resets what controllers changed.
 * Validation of the configured values reuses the schema checks, so a bad
 * configuration (port 0, unknown protocol) is UB_EINVAL, not a broken row.
 */
#include "agent_int.h"

#include <stdio.h>
#include <string.h>

#define ROLE_TABLE "Device.LocalAgent.ControllerTrust.Role."
#define ROLE_FULL ROLE_TABLE "1"
#define ROLE_UNTRUSTED ROLE_TABLE "2"

static const char *proto_name(enum usp_agent_proto p)
{
    return p == USP_AGENT_PROTO_MQTT ? "MQTT" : "WebSocket";
}

/* Adds one override after checking it against the schema object o
 * (name may be "Sub.Param" for a sub-object). */
static int ov_add(struct ub_param_list *l, const struct agent_obj *o,
                  const char *name, const char *value)
{
    const struct agent_obj *so = o;
    const struct agent_param *p;
    const char *dot = strchr(name, '.'), *msg;
    char sub[UB_PATH_MAX + 1];

    if (!value)
        value = "";
    if (dot) {
        agent__fmt(sub, sizeof(sub), "%s%.*s", o->path,
                 (int)(dot - name + 1), name);
        so = agent__obj_find(sub);
        if (!so)
            return UB_EINVAL;
        p = agent__param_find(so, dot + 1);
    } else {
        p = agent__param_find(o, name);
    }
    if (!p)
        return UB_EINVAL;
    if (agent__value_check(p, value, &msg)) {
        UB_LOGW("usp", "hosted agent: bad value for %s: %s", name, msg);
        return UB_EINVAL;
    }
    return ub_param_list_add(l, name, agent__value_norm(p, value),
                             UB_T_STRING);
}

static int add_uint(struct ub_param_list *l, const struct agent_obj *o,
                    const char *name, unsigned v)
{
    char num[16];

    agent__fmt(num, sizeof(num), "%u", v);
    return ov_add(l, o, name, num);
}

static int fix_alias(const struct usp_agent_store *st, const char *inst_path,
                     unsigned inst, const struct agent_obj *o,
                     bool given)
{
    char path[UB_PATH_MAX + 1], val[24];

    if (given || !agent__param_find(o, "Alias"))
        return UB_OK;
    agent__fmt(path, sizeof(path), "%sAlias", inst_path);
    agent__fmt(val, sizeof(val), "cpe-%u", inst);
    return agent__put_row(st, path, UB_T_STRING, true, val);
}

/* The configured values of one MTP, as overrides of MTP.{i}. */
static int mtp_values(const struct agent_obj *o,
                      const struct usp_agent_mtp_conf *m,
                      struct ub_param_list *l)
{
    int err;

    err = ov_add(l, o, "Protocol", proto_name(m->proto));
    if (!err)
        err = ov_add(l, o, "Enable", m->enable ? "true" : "false");
    if (!err && m->alias)
        err = ov_add(l, o, "Alias", m->alias);
    if (!err && m->proto == USP_AGENT_PROTO_MQTT) {
        err = ov_add(l, o, "MQTT.Reference", m->mqtt_reference);
        if (!err)
            err = ov_add(l, o, "MQTT.ResponseTopicConfigured",
                         m->mqtt_response_topic);
        if (!err)
            err = add_uint(l, o, "MQTT.PublishQoS", m->mqtt_qos);
    } else if (!err) {
        err = add_uint(l, o, "WebSocket.Port", m->ws_port ? m->ws_port : 5683);
        if (!err)
            err = ov_add(l, o, "WebSocket.Path", m->ws_path);
        if (!err)
            err = ov_add(l, o, "WebSocket.EnableEncryption",
                         m->ws_encryption ? "true" : "false");
    }
    return err;
}

static int add_mtp(const struct usp_agent_store *st,
                   const struct usp_agent_mtp_conf *m)
{
    const struct agent_obj *o = agent__obj_find("Device.LocalAgent.MTP.{i}.");
    struct ub_param_list l;
    char *path = NULL;
    unsigned inst = 0;
    int err;

    ub_param_list_init(&l, 0);
    err = mtp_values(o, m, &l);
    if (!err)
        err = agent__insert(st, o, "Device.LocalAgent.MTP.", &l, &inst,
                            &path);
    ub_param_list_free(&l);
    if (!err)
        err = fix_alias(st, path, inst, o, m->alias != NULL);
    ub_free(path);
    return err;
}

static int add_controller(const struct usp_agent_store *st,
                          const struct usp_agent_ctrl_conf *c)
{
    const struct agent_obj *o =
        agent__obj_find("Device.LocalAgent.Controller.{i}.");
    const struct agent_obj *mo =
        agent__obj_find("Device.LocalAgent.Controller.{i}.MTP.{i}.");
    struct ub_param_list l;
    char *path = NULL, *mpath = NULL, table[UB_PATH_MAX + 1];
    unsigned inst = 0, minst = 0;
    int err;

    if (!c->endpoint_id || !*c->endpoint_id)
        return UB_EINVAL;
    ub_param_list_init(&l, 0);
    err = ov_add(&l, o, "EndpointID", c->endpoint_id);
    if (!err)
        err = ov_add(&l, o, "Enable", c->enable ? "true" : "false");
    if (!err && c->alias)
        err = ov_add(&l, o, "Alias", c->alias);
    if (!err)
        err = ov_add(&l, o, "AssignedRole",
                     c->assigned_role ? c->assigned_role : ROLE_FULL);
    if (!err && c->periodic_notif_interval)
        err = add_uint(&l, o, "PeriodicNotifInterval",
                       c->periodic_notif_interval);
    if (!err)
        err = agent__insert(st, o, "Device.LocalAgent.Controller.", &l,
                            &inst, &path);
    ub_param_list_free(&l);
    if (!err)
        err = fix_alias(st, path, inst, o, c->alias != NULL);
    if (err)
        goto out;

    ub_param_list_init(&l, 0);
    err = ov_add(&l, mo, "Protocol", proto_name(c->proto));
    if (!err)
        err = ov_add(&l, mo, "Enable", "true");
    if (!err && c->proto == USP_AGENT_PROTO_MQTT) {
        err = ov_add(&l, mo, "MQTT.Topic", c->mqtt_topic);
    } else if (!err) {
        err = ov_add(&l, mo, "WebSocket.Host", c->ws_host);
        if (!err && c->ws_port)
            err = add_uint(&l, mo, "WebSocket.Port", c->ws_port);
        if (!err)
            err = ov_add(&l, mo, "WebSocket.Path", c->ws_path);
        if (!err)
            err = ov_add(&l, mo, "WebSocket.EnableEncryption",
                         c->ws_encryption ? "true" : "false");
    }
    agent__fmt(table, sizeof(table), "%sMTP.", path);
    if (!err)
        err = agent__insert(st, mo, table, &l, &minst, &mpath);
    ub_param_list_free(&l);
    if (!err)
        err = fix_alias(st, mpath, minst, mo, false);
out:
    ub_free(path);
    ub_free(mpath);
    return err;
}

struct perm_def {
    const char *targets, *param, *obj, *inst, *cmd;
};

static int add_role(const struct usp_agent_store *st, const char *name,
                    const struct perm_def *pd)
{
    const struct agent_obj *ro =
        agent__obj_find("Device.LocalAgent.ControllerTrust.Role.{i}.");
    const struct agent_obj *po = agent__obj_find(
        "Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}.");
    struct ub_param_list l;
    char *path = NULL, *ppath = NULL, table[UB_PATH_MAX + 1];
    unsigned inst = 0, pinst = 0;
    int err;

    ub_param_list_init(&l, 0);
    err = ov_add(&l, ro, "Name", name);
    if (!err)
        err = ov_add(&l, ro, "Enable", "true");
    if (!err)
        err = agent__insert(st, ro, ROLE_TABLE, &l, &inst, &path);
    ub_param_list_free(&l);
    if (!err)
        err = fix_alias(st, path, inst, ro, false);
    if (err)
        goto out;
    ub_param_list_init(&l, 0);
    err = ov_add(&l, po, "Enable", "true");
    if (!err)
        err = ov_add(&l, po, "Order", "1");
    if (!err)
        err = ov_add(&l, po, "Targets", pd->targets);
    if (!err)
        err = ov_add(&l, po, "Param", pd->param);
    if (!err)
        err = ov_add(&l, po, "Obj", pd->obj);
    if (!err)
        err = ov_add(&l, po, "InstantiatedObj", pd->inst);
    if (!err)
        err = ov_add(&l, po, "CommandEvent", pd->cmd);
    agent__fmt(table, sizeof(table), "%sPermission.", path);
    if (!err)
        err = agent__insert(st, po, table, &l, &pinst, &ppath);
    ub_param_list_free(&l);
    if (!err)
        err = fix_alias(st, ppath, pinst, po, false);
out:
    ub_free(path);
    ub_free(ppath);
    return err;
}

int usp_agent_init_rows(const struct usp_agent_store *st,
                        const struct usp_agent_init *init)
{
    static const struct perm_def full = {"Device.", "rwxn", "rwxn", "rwxn",
                                         "rwxn"};
    static const struct perm_def untrusted = {
        "Device.DeviceInfo.,Device.LocalAgent.EndpointID,"
        "Device.LocalAgent.SoftwareVersion,"
        "Device.LocalAgent.SupportedProtocols",
        "r---", "r---", "r---", "----"};
    const struct agent_obj *root = agent__obj_find(USP_AGENT_ROOT);
    struct ub_param_list l;
    char protos[32] = "";
    size_t i;
    int err;

    if (!agent__store_writable(st) || !init || !init->endpoint_id ||
        !*init->endpoint_id || (init->n_mtps && !init->mtps) ||
        (init->n_ctrls && !init->ctrls))
        return UB_EINVAL;
    if (agent__row_exists(st, USP_AGENT_ROOT))
        return UB_EEXIST;

    if (!init->supported_protocols) {
        bool mqtt = false, ws = false;

        for (i = 0; i < init->n_mtps; i++) {
            mqtt |= init->mtps[i].proto == USP_AGENT_PROTO_MQTT;
            ws |= init->mtps[i].proto == USP_AGENT_PROTO_WEBSOCKET;
        }
        agent__fmt(protos, sizeof(protos), "%s%s%s", mqtt ? "MQTT" : "",
                 mqtt && ws ? "," : "", ws ? "WebSocket" : "");
    }
    ub_param_list_init(&l, 0);
    err = ov_add(&l, root, "EndpointID", init->endpoint_id);
    if (!err)
        err = ov_add(&l, root, "SoftwareVersion",
                     init->software_version ? init->software_version
                                            : "0.1.0");
    if (!err)
        err = ov_add(&l, root, "SupportedProtocols",
                     init->supported_protocols ? init->supported_protocols
                                               : protos);
    if (!err)
        err = agent__create_obj(st, root, USP_AGENT_ROOT, &l);
    ub_param_list_free(&l);
    if (err)
        return err;

    if (!init->no_default_roles) {
        err = add_role(st, "Full Access", &full);
        if (!err)
            err = add_role(st, "Untrusted", &untrusted);
        if (!err)
            err = agent__put_row(st,
                                 "Device.LocalAgent.ControllerTrust."
                                 "UntrustedRole",
                                 UB_T_STRING, true, ROLE_UNTRUSTED);
        if (err)
            return err;
    }
    for (i = 0; i < init->n_mtps && !err; i++)
        err = add_mtp(st, &init->mtps[i]);
    for (i = 0; i < init->n_ctrls && !err; i++)
        err = add_controller(st, &init->ctrls[i]);
    return err;
}

/* ---- Refresh after a restart / upgrade ---- */

/* Writes value at obj + name (name may be "Sub.Param", resolved in the
 * schema of obj) when it differs from the stored one. */
static int put_if_diff(const struct usp_agent_store *st,
                       const struct agent_obj *o, const char *obj,
                       const char *name, const char *value, bool *changed)
{
    const struct agent_obj *so = o;
    const struct agent_param *p;
    const char *dot = strchr(name, '.');
    char sub[UB_PATH_MAX + 1], path[UB_PATH_MAX + 1], *cur = NULL;
    int err;

    if (dot) {
        agent__fmt(sub, sizeof(sub), "%s%.*s", o->path,
                   (int)(dot - name + 1), name);
        so = agent__obj_find(sub);
        p = so ? agent__param_find(so, dot + 1) : NULL;
    } else {
        p = agent__param_find(o, name);
    }
    if (!p || !agent__fmt(path, sizeof(path), "%s%s", obj, name))
        return UB_EINVAL;
    err = agent__get_value(st, path, &cur);
    if (err && err != UB_ENOTFOUND)
        return err;
    if (!err && strcmp(cur, value) == 0) {
        ub_free(cur);
        return UB_OK;
    }
    ub_free(cur);
    agent__fmt(sub, sizeof(sub), "%s%.*s", obj,
               dot ? (int)(dot - name + 1) : 0, name);
    if (dot && !agent__row_exists(st, sub))
        err = agent__create_obj(st, so, sub, NULL); /* protocol changed */
    if (!err)
        err = agent__put_param(st, sub, p, value);
    if (!err)
        *changed = true;
    return err;
}

int usp_agent_refresh_rows(const struct usp_agent_store *st,
                           const struct usp_agent_init *init, bool *changed)
{
    const struct agent_obj *root = agent__obj_find(USP_AGENT_ROOT);
    const struct agent_obj *mo = agent__obj_find("Device.LocalAgent.MTP.{i}.");
    struct usp_agent_result r;
    unsigned *insts = NULL;
    bool *used = NULL, dummy = false;
    size_t n = 0, i, k;
    char protos[32] = "";
    int err;

    if (!changed)
        changed = &dummy;
    *changed = false;
    if (!agent__store_writable(st) || !init ||
        (init->n_mtps && !init->mtps) || (init->n_ctrls && !init->ctrls))
        return UB_EINVAL;
    if (!agent__row_exists(st, USP_AGENT_ROOT))
        return UB_ENOTFOUND;
    usp_agent_result_init(&r);

    if (!init->supported_protocols) {
        bool mqtt = false, ws = false;

        for (i = 0; i < init->n_mtps; i++) {
            mqtt |= init->mtps[i].proto == USP_AGENT_PROTO_MQTT;
            ws |= init->mtps[i].proto == USP_AGENT_PROTO_WEBSOCKET;
        }
        agent__fmt(protos, sizeof(protos), "%s%s%s", mqtt ? "MQTT" : "",
                   mqtt && ws ? "," : "", ws ? "WebSocket" : "");
    }
    err = put_if_diff(st, root, USP_AGENT_ROOT, "SoftwareVersion",
                      init->software_version ? init->software_version
                                             : "0.1.0",
                      changed);
    if (!err)
        err = put_if_diff(st, root, USP_AGENT_ROOT, "SupportedProtocols",
                          init->supported_protocols
                              ? init->supported_protocols
                              : protos,
                          changed);

    /* MTPs: matched by Protocol, updated in place; extra ones deleted */
    if (!err)
        err = agent__instances(st, "Device.LocalAgent.MTP.", &insts, &n);
    if (!err && n) {
        used = ub_calloc(n, sizeof(*used));
        if (!used)
            err = UB_ENOMEM;
    }
    for (i = 0; !err && i < init->n_mtps; i++) {
        const char *want = proto_name(init->mtps[i].proto);
        struct ub_param_list l;
        char ip[64];
        size_t hit = n;

        for (k = 0; k < n && hit == n && !err; k++) {
            char *pr = NULL;

            if (used[k])
                continue;
            err = agent__get_valuef(st, &pr, "Device.LocalAgent.MTP.%u."
                                    "Protocol", insts[k]);
            if (!err && pr && strcmp(pr, want) == 0)
                hit = k;
            ub_free(pr);
        }
        if (err)
            break;
        if (hit == n) {
            err = add_mtp(st, &init->mtps[i]);
            *changed = true;
            continue;
        }
        used[hit] = true;
        agent__fmt(ip, sizeof(ip), "Device.LocalAgent.MTP.%u.", insts[hit]);
        ub_param_list_init(&l, 0);
        err = mtp_values(mo, &init->mtps[i], &l);
        for (k = 0; !err && k < l.n; k++)
            err = put_if_diff(st, mo, ip, l.v[k].path, l.v[k].value,
                              changed);
        ub_param_list_free(&l);
    }
    for (k = 0; !err && k < n; k++) {
        char ip[64];

        if (used[k])
            continue;
        agent__fmt(ip, sizeof(ip), "Device.LocalAgent.MTP.%u.", insts[k]);
        err = agent__del_instance(st, mo, ip, &r);
        *changed = true;
    }

    /* Controllers: configured ones that are missing are added; existing
     * ones belong to the controllers now and are left alone */
    for (i = 0; !err && i < init->n_ctrls; i++) {
        struct usp_agent_controller c;

        err = usp_agent_controller_find(st, init->ctrls[i].endpoint_id, &c);
        if (!err) {
            usp_agent_controller_clear(&c);
            continue;
        }
        if (err != UB_ENOTFOUND)
            break;
        err = add_controller(st, &init->ctrls[i]);
        *changed = true;
    }
    ub_free(insts);
    ub_free(used);
    usp_agent_result_clear(&r);
    return err;
}
