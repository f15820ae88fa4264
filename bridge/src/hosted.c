/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: the hosted Device.LocalAgent. of each bridged agent lives in
 * proxy-db (space PDB_AGENT of the device); its rules live in usp/ (the
 * usp_agent_* functions).  This file adapts one to the other:
 *   - a struct usp_agent_store over a read transaction (reads) or over a
 *     write batch (one batch per USP message: every change of a Set, Add or
 *     Delete commits together, or not at all);
 *   - the creation of a new agent's rows, in the registration batch;
 *   - Set/Add/Delete requests whose paths are all hosted;
 *   - permission loading for a controller.
 */
#include "bridge.h"

#include <stdio.h>
#include <string.h>

#define MOD "hosted"

/* ---- store adapter ---- */

static int hs_get(void *ctx, const char *path, struct ub_param *out)
{
    struct hosted_ctx *h = ctx;
    return pdb_param_get(h->r, PDB_AGENT, h->dev, path, out);
}

struct iter_fwd {
    usp_agent_row_cb cb;
    void *user;
};

static int hs_iter_cb(void *user, const struct ub_param *p)
{
    struct iter_fwd *f = user;
    return f->cb(f->user, p);
}

static int hs_iter(void *ctx, const char *prefix, usp_agent_row_cb cb,
                   void *user)
{
    struct hosted_ctx *h = ctx;
    struct iter_fwd f = {cb, user};
    int err = pdb_param_iter(h->r, PDB_AGENT, h->dev, prefix, hs_iter_cb, &f);
    return err == UB_ENOTFOUND ? UB_OK : err;
}

static int hs_put(void *ctx, const struct ub_param *row)
{
    struct hosted_ctx *h = ctx;
    struct ub_param p = *row;
    if (ub_path_is_object(p.path))
        p.type = UB_T_OBJECT;
    return pdb_batch_put_param(h->bt, PDB_AGENT, h->dev, &p, PDB_PUT_ALL, NULL);
}

static int hs_del(void *ctx, const char *path)
{
    struct hosted_ctx *h = ctx;
    return pdb_batch_del_subtree(h->bt, PDB_AGENT, h->dev, path, NULL, NULL,
                                 NULL);
}

static const struct usp_agent_store_ops ro_ops = {.get = hs_get,
                                                  .iter = hs_iter};
static const struct usp_agent_store_ops rw_ops = {
    .get = hs_get, .iter = hs_iter, .put = hs_put, .del = hs_del};

void hosted_store_ro(struct hosted_store *hs, struct pdb_rtxn *r, uint32_t dev)
{
    hs->h.r = r;
    hs->h.bt = NULL;
    hs->h.dev = dev;
    hs->st.ops = &ro_ops;
    hs->st.ctx = &hs->h;
}

void hosted_store_rw(struct hosted_store *hs, struct pdb_batch *bt,
                     uint32_t dev)
{
    hs->h.r = pdb_batch_reader(bt);
    hs->h.bt = bt;
    hs->h.dev = dev;
    hs->st.ops = &rw_ops;
    hs->st.ctx = &hs->h;
}

/* ---- a new agent ---- */

int bridge_hosted_init(struct bridge *b, struct pdb_batch *bt, uint32_t dev,
                       const char *eid)
{
    struct hosted_store hs;
    struct usp_agent_init init;
    struct usp_agent_mtp_conf mtps[2];
    struct usp_agent_ctrl_conf ctrls[BRIDGE_MAX_CONTROLLERS];
    size_t n_mtps = 0;
    int err;

    memset(&init, 0, sizeof(init));
    memset(mtps, 0, sizeof(mtps));
    memset(ctrls, 0, sizeof(ctrls));
    if (b->cfg->usp_ws_port >= 0) {
        mtps[n_mtps].proto = USP_AGENT_PROTO_WEBSOCKET;
        mtps[n_mtps].enable = true;
        mtps[n_mtps].ws_port = (unsigned)(b->ws_port ? b->ws_port
                                                     : b->cfg->usp_ws_port);
        mtps[n_mtps].ws_path = b->cfg->usp_ws_path;
        n_mtps++;
    }
    if (*b->cfg->usp_mqtt_broker) {
        mtps[n_mtps].proto = USP_AGENT_PROTO_MQTT;
        mtps[n_mtps].enable = true;
        mtps[n_mtps].mqtt_qos = 1;
        n_mtps++;
    }
    for (size_t i = 0; i < b->n_controllers; i++) {
        ctrls[i].endpoint_id = b->controllers[i].eid;
        ctrls[i].enable = true;
        if (*b->controllers[i].topic || *b->cfg->usp_mqtt_broker) {
            ctrls[i].proto = USP_AGENT_PROTO_MQTT;
            ctrls[i].mqtt_topic = b->controllers[i].topic;
        } else {
            ctrls[i].proto = USP_AGENT_PROTO_WEBSOCKET;
        }
    }
    init.endpoint_id = eid;
    init.software_version = UB_VERSION;
    init.mtps = mtps;
    init.n_mtps = n_mtps;
    init.ctrls = ctrls;
    init.n_ctrls = b->n_controllers;
    hosted_store_rw(&hs, bt, dev);
    err = usp_agent_init_rows(&hs.st, &init);
    if (err == UB_EEXIST)
        err = UB_OK;
    return err;
}

/* ---- permissions ---- */

/* Permission sets are cached per (agent, controller): loading them reads
 * every ControllerTrust row of the agent (the biggest cost of a Get, seen
 * in profiles).  The cache is a small direct-mapped table; an entry is
 * dropped when that agent's hosted objects change (bridge_perms_forget),
 * which is the only way roles and permissions change. */
static size_t perm_slot(uint32_t dev, const char *controller)
{
    uint32_t h = 2166136261u ^ dev;
    for (const char *c = controller; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h % BRIDGE_PERM_CACHE;
}

int bridge_perms_load(struct bridge *b, uint32_t dev, const char *controller,
                      const struct usp_agent_perms **out)
{
    struct bridge_perm_entry *e;
    struct usp_agent_perms *p = NULL;
    struct pdb_rtxn *r = NULL;
    struct hosted_store hs;
    int err;

    if (!b->perm_cache) {
        b->perm_cache = ub_calloc(BRIDGE_PERM_CACHE, sizeof(*b->perm_cache));
        if (!b->perm_cache)
            return UB_ENOMEM;
    }
    e = &b->perm_cache[perm_slot(dev, controller)];
    if (e->perms && e->dev == dev && strcmp(e->controller, controller) == 0) {
        *out = e->perms;
        return UB_OK;
    }
    err = pdb_rtxn_begin(b->pdb, &r);
    if (err)
        return err;
    hosted_store_ro(&hs, r, dev);
    err = usp_agent_perms_load(&hs.st, controller, &p);
    pdb_rtxn_end(r);
    if (err)
        return err;
    usp_agent_perms_free(e->perms);
    e->perms = NULL;
    if (strlen(controller) < sizeof(e->controller)) {
        e->dev = dev;
        memcpy(e->controller, controller, strlen(controller) + 1);
        e->perms = p;
        *out = p;
        return UB_OK;
    }
    /* not cacheable (cannot happen: IDs are bounded by the decoder) */
    usp_agent_perms_free(p);
    return UB_ETOOBIG;
}

void bridge_perms_forget(struct bridge *b, uint32_t dev)
{
    if (!b->perm_cache)
        return;
    for (size_t i = 0; i < BRIDGE_PERM_CACHE; i++) {
        if (b->perm_cache[i].perms && b->perm_cache[i].dev == dev) {
            usp_agent_perms_free(b->perm_cache[i].perms);
            b->perm_cache[i].perms = NULL;
        }
    }
}

void bridge_perms_forget_all(struct bridge *b)
{
    if (!b->perm_cache)
        return;
    for (size_t i = 0; i < BRIDGE_PERM_CACHE; i++) {
        usp_agent_perms_free(b->perm_cache[i].perms);
        b->perm_cache[i].perms = NULL;
    }
}

bool bridge_controller_known(struct bridge *b, uint32_t dev,
                             const char *controller, char *topic,
                             size_t topic_sz)
{
    struct pdb_rtxn *r = NULL;
    struct hosted_store hs;
    struct usp_agent_controller c;
    bool known = false;

    memset(&c, 0, sizeof(c));
    if (pdb_rtxn_begin(b->pdb, &r) == UB_OK) {
        hosted_store_ro(&hs, r, dev);
        if (usp_agent_controller_find(&hs.st, controller, &c) == UB_OK &&
            c.enable) {
            known = true;
            if (topic && c.mqtt_topic && strlen(c.mqtt_topic) < topic_sz)
                memcpy(topic, c.mqtt_topic, strlen(c.mqtt_topic) + 1);
        }
        usp_agent_controller_clear(&c);
        pdb_rtxn_end(r);
    }
    return known;
}

/* ---- Set / Add / Delete on hosted objects ---- */


void bridge_hosted_write(struct bridge *b, const struct bridge_reply_to *rt,
                         uint32_t dev, const struct usp_msg *m)
{
    struct pdb_batch *bt = NULL;
    struct hosted_store hs;
    struct usp_agent_view view;
    struct ub_tree tree;
    const struct usp_agent_perms *perms = NULL;
    struct usp_agent_caller who;
    struct usp_msg *resp = NULL;
    bool partial, failed = false;
    uint32_t fail_code = 0;
    char fail_msg[300] = "";
    int err;

    partial = m->type == USP_MSG_SET   ? m->set.allow_partial
              : m->type == USP_MSG_ADD ? m->add.allow_partial
                                       : m->del.allow_partial;
    err = bridge_perms_load(b, dev, rt->controller, &perms);
    if (!err)
        err = usp_msg_new(usp_msg_type_response(m->type), m->msg_id, &resp);
    if (!err)
        err = pdb_batch_begin(b->pdb, &bt);
    if (err)
        goto out;
    hosted_store_rw(&hs, bt, dev);
    view.st = hs.st;
    view.up_since_ms = b->started_ms;
    usp_agent_tree(&view, &tree);
    who.endpoint_id = rt->controller;
    who.perms = perms;

    if (m->type == USP_MSG_SET) {
        struct usp_set_resp *sr = &resp->set_resp;
        sr->results = usp_msg_alloc(resp, (m->set.n_objs + 1) * sizeof(*sr->results));
        for (size_t o = 0; !err && sr->results && o < m->set.n_objs; o++) {
            struct usp_set_result *res = &sr->results[sr->n_results++];
            struct usp_resolved rs;
            uint32_t uerr;
            const char *umsg;
            res->requested_path = usp_msg_strdup(resp, m->set.objs[o].obj_path);
            err = bridge_resolve(&tree, m->set.objs[o].obj_path, USP_MSG_SET,
                                 &rs, &uerr, &umsg);
            if (!err && uerr) {
                res->err_code = uerr == USP_ERR_INVALID_PATH
                                    ? USP_ERR_OBJECT_DOES_NOT_EXIST : uerr;
                res->err_msg = usp_msg_strdup(resp, usp_err_text(res->err_code));
            } else if (!err) {
                res->success = true;
                res->insts = usp_msg_alloc(resp, (rs.paths.n + 1) * sizeof(*res->insts));
            }
            for (size_t i = 0; !err && !uerr && res->insts && i < rs.paths.n; i++) {
                struct usp_agent_result ar;
                usp_agent_result_init(&ar);
                err = usp_agent_set(&hs.st, &who, rs.paths.v[i],
                                    m->set.objs[o].params,
                                    m->set.objs[o].n_params, &ar);
                if (!err && ar.err_code) {
                    res->success = false;
                    res->err_code = ar.err_code;
                    res->err_msg = usp_msg_strdup(resp, ar.err_msg);
                }
                if (!err)
                    err = usp_agent_set_inst_fill(resp, &ar,
                                                  &res->insts[res->n_insts++]);
                usp_agent_result_clear(&ar);
            }
            if (!err && !res->success && !failed) {
                failed = true;
                fail_code = res->err_code;
                snprintf(fail_msg, sizeof(fail_msg), "%s: %s",
                         res->requested_path, res->err_msg ? res->err_msg : "");
            }
            usp_resolved_free(&rs);
        }
    } else if (m->type == USP_MSG_ADD) {
        struct usp_add_resp *ar_ = &resp->add_resp;
        ar_->results = usp_msg_alloc(resp, (m->add.n_objs + 1) * sizeof(*ar_->results));
        for (size_t o = 0; !err && ar_->results && o < m->add.n_objs; o++) {
            struct usp_add_result *res = &ar_->results[ar_->n_results++];
            struct usp_agent_result ar;
            usp_agent_result_init(&ar);
            err = usp_agent_add(&hs.st, &who, m->add.objs[o].obj_path,
                                m->add.objs[o].params, m->add.objs[o].n_params,
                                &ar);
            if (!err)
                err = usp_agent_add_result_fill(resp, &ar,
                                                m->add.objs[o].obj_path, res);
            if (!err && ar.err_code && !failed) {
                failed = true;
                fail_code = ar.err_code;
                snprintf(fail_msg, sizeof(fail_msg), "%s: %s",
                         m->add.objs[o].obj_path, ar.err_msg ? ar.err_msg : "");
            }
            usp_agent_result_clear(&ar);
        }
    } else {
        struct usp_delete_resp *dr = &resp->delete_resp;
        dr->results = usp_msg_alloc(resp, (m->del.n_paths + 1) * sizeof(*dr->results));
        for (size_t o = 0; !err && dr->results && o < m->del.n_paths; o++) {
            struct usp_delete_result *res = &dr->results[dr->n_results++];
            struct usp_resolved rs;
            uint32_t uerr;
            const char *umsg;
            res->requested_path = usp_msg_strdup(resp, m->del.paths[o]);
            err = bridge_resolve(&tree, m->del.paths[o], USP_MSG_DELETE, &rs,
                                 &uerr, &umsg);
            if (!err && uerr) {
                res->err_code = uerr;
                res->err_msg = usp_msg_strdup(resp, usp_err_text(uerr));
            } else if (!err) {
                res->success = true;
                res->affected = usp_msg_alloc(resp, (rs.paths.n * 4 + 1) * sizeof(char *));
                res->unaffected = usp_msg_alloc(resp, (rs.paths.n + 1) * sizeof(*res->unaffected));
            }
            for (size_t i = 0; !err && !uerr && res->affected && i < rs.paths.n; i++) {
                struct usp_agent_result ar;
                usp_agent_result_init(&ar);
                err = usp_agent_delete(&hs.st, &who, rs.paths.v[i], &ar);
                if (!err && ar.err_code) {
                    struct usp_param_err *u = &res->unaffected[res->n_unaffected++];
                    u->path = usp_msg_strdup(resp, rs.paths.v[i]);
                    u->err_code = ar.err_code;
                    u->err_msg = usp_msg_strdup(resp, ar.err_msg);
                    if (!failed) {
                        failed = true;
                        fail_code = ar.err_code;
                        snprintf(fail_msg, sizeof(fail_msg), "%s: %s",
                                 rs.paths.v[i], ar.err_msg ? ar.err_msg : "");
                    }
                } else if (!err) {
                    for (size_t k = 0; k < ar.deleted.n && k < 4; k++)
                        res->affected[res->n_affected++] =
                            usp_msg_strdup(resp, ar.deleted.v[k]);
                }
                usp_agent_result_clear(&ar);
            }
            if (!err && uerr && !failed) {
                failed = true;
                fail_code = uerr;
                snprintf(fail_msg, sizeof(fail_msg), "%s: %s",
                         m->del.paths[o], usp_err_text(uerr));
            }
            usp_resolved_free(&rs);
        }
    }
    if (err)
        goto out;
    if (failed && !partial) {
        /* all or nothing: nothing of this message is kept */
        pdb_batch_abort(bt);
        bt = NULL;
        usp_msg_free(resp);
        resp = NULL;
        {
            struct usp_msg e;
            memset(&e, 0, sizeof(e));
            e.msg_id = m->msg_id;
            e.type = USP_MSG_ERROR;
            e.error.err_code = fail_code;
            e.error.err_msg = fail_msg;
            bridge_usp_send_msg(b, rt, &e);
        }
        goto out;
    }
    err = pdb_batch_commit(bt);
    bt = NULL;
    bridge_perms_forget(b, dev); /* roles or permissions may have changed */
    if (!err)
        bridge_usp_send_msg(b, rt, resp);
out:
    pdb_batch_abort(bt);
    if (err) {
        struct usp_msg e;
        UB_LOGW(MOD, "%s %s from %s failed: %s", usp_msg_type_name(m->type),
                m->msg_id, rt->controller, ub_strerror(err));
        memset(&e, 0, sizeof(e));
        e.msg_id = m->msg_id;
        e.type = USP_MSG_ERROR;
        e.error.err_code = err == UB_EFULL || err == UB_ENOMEM
                               ? USP_ERR_RESOURCES_EXCEEDED
                               : USP_ERR_INTERNAL_ERROR;
        e.error.err_msg = usp_err_text(e.error.err_code);
        bridge_usp_send_msg(b, rt, &e);
    }
    usp_msg_free(resp);
}
