/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: USP requests that must reach the CWMP device (Set, Add, Delete on
 * the device tree, Get under the "live" policy).
 *
 * A request becomes a job.  Path errors, permissions, writability and types
 * are decided from the cache BEFORE any CWMP traffic; whatever survives is
 * planned as CWMP RPCs.  The job is written to the device's durable queue in
 * proxy-db (payload: where to answer + the encoded USP Msg) with its
 * deadline, so it survives kill -9.  Then:
 *   - device in session: its RPCs are queued on the session at once;
 *   - otherwise: a Connection Request wakes it; all jobs of the device run,
 *     in arrival order, in the session that follows (on its Inform).
 * RPC results update the cache, the USP response is built and sent, and the
 * queue entry is deleted.  A job whose deadline passes before its RPCs were
 * sent is answered with an error and dropped: an expired change is never
 * applied later.  After a restart, jobs whose RPCs were already sent are
 * answered "outcome unknown" (their effect on the device cannot be known);
 * jobs never sent run again.
 *
 * One timer sweeps deadlines every second; jobs live in one list (bounded
 * by [usp] max_pending) and are matched to RPC results by rpc id.
 */
#include "bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MOD "req"

enum job_state { JOB_NEW = 0, JOB_SENT = 1 };

/* A waiting job whose device has not connected this long after a
 * Connection Request sends another one (until its deadline). */
#define CR_RESEND_MS 3000

#define MIXED_MSG                                                              \
    "Device.LocalAgent. objects and device objects cannot be changed in "     \
    "one request: send them separately"


enum step {
    ST_NONE = 0,
    ST_GPV,       /* live Get */
    ST_SPV,       /* Set (one per group) */
    ST_ADD,       /* AddObject */
    ST_ADD_SPV,   /* param_settings of a new instance */
    ST_ADD_GPN,   /* read back the new instance */
    ST_ADD_UNDO,  /* DeleteObject rollback */
    ST_DEL,       /* DeleteObject */
};

/* One CWMP RPC of a job and what came back. */
struct jrpc {
    uint64_t rpc_id;
    enum step step;
    size_t group;     /* index into the job's groups */
    bool done;
    bool fault;
    unsigned fault_code;
    struct cwmp_fault faultinfo; /* owned copy of spv faults */
    unsigned instance;           /* AddObject result */
    struct ub_param_list params; /* GPV / GPN results */
};

/* A unit of the plan: an object of a Set, an object to Add, an instance to
 * Delete, or the whole Get. */
struct group {
    char *path;                 /* requested path (USP text) */
    char *obj;                  /* concrete object path */
    struct ub_param_list set;   /* params to set (full paths), value, type */
    bool *required;             /* per set param */
    uint32_t err;               /* local (pre-CWMP) error, 0 = ok */
    char *err_msg;
    unsigned instance;          /* Add: new instance */
    bool rolled_back;
    /* parameters refused by the bridge before any CWMP traffic: path is
     * the full parameter path (owned), err_msg static */
    struct usp_param_err *perrs;
    size_t n_perrs;
};

struct job {
    struct ub_list link;
    struct bridge *b;
    uint64_t seq;               /* proxy-db queue entry */
    uint32_t dev;
    char devkey[CWMP_DEVKEY_MAX];
    struct bridge_reply_to rt;
    struct usp_msg *msg;        /* the decoded request (owned) */
    enum job_state state;
    int64_t deadline_ms;        /* wall ms */
    struct group *groups;
    size_t n_groups;
    struct jrpc rpcs[BRIDGE_JOB_MAX_RPCS];
    size_t n_rpcs;
    size_t pending;             /* RPCs sent, not answered */
    bool cr_sent;               /* a Connection Request went out */
    int64_t cr_at_ms;           /* when (wall ms; 0: none, or no URL) */
    const struct usp_agent_perms *perms; /* during planning (borrowed) */
    char pkey[40];              /* ParameterKey for this request */
};

/* Wall-clock milliseconds: deadlines are stored (durable queue) and must
 * survive a restart, so not the monotonic clock; whole seconds would cut
 * up to 1 s off a request_timeout. */
static int64_t wall_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return ub_wall_s() * 1000;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void group_free(struct group *g)
{
    ub_free(g->path);
    ub_free(g->obj);
    ub_param_list_free(&g->set);
    ub_free(g->required);
    ub_free(g->err_msg);
    for (size_t i = 0; i < g->n_perrs; i++)
        ub_free((char *)g->perrs[i].path);
    ub_free(g->perrs);
}

static void fault_free(struct cwmp_fault *f)
{
    ub_free(f->string);
    for (size_t i = 0; i < f->n_spv; i++) {
        ub_free(f->spv[i].name);
        ub_free(f->spv[i].string);
    }
    ub_free(f->spv);
    memset(f, 0, sizeof(*f));
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_groups; i++)
        group_free(&j->groups[i]);
    ub_free(j->groups);
    for (size_t i = 0; i < j->n_rpcs; i++) {
        fault_free(&j->rpcs[i].faultinfo);
        ub_param_list_free(&j->rpcs[i].params);
    }
    usp_msg_free(j->msg);
    ub_free(j);
}

/* ---- answering ---- */

static void job_answer(struct job *j, struct usp_msg *resp)
{
    bridge_usp_send_msg(j->b, &j->rt, resp);
}

static void job_error(struct job *j, uint32_t code, const char *text,
                      const struct usp_param_err *pe, size_t n_pe)
{
    struct usp_msg m;

    memset(&m, 0, sizeof(m));
    m.msg_id = j->msg->msg_id;
    m.type = USP_MSG_ERROR;
    m.error.err_code = code;
    m.error.err_msg = text ? text : usp_err_text(code);
    m.error.param_errs = (struct usp_param_err *)pe;
    m.error.n_param_errs = n_pe;
    bridge_usp_send_msg(j->b, &j->rt, &m);
}

/* Removes the job from memory and its durable queue entry. */
static void job_finish(struct job *j)
{
    struct bridge *b = j->b;
    struct pdb_batch *bt = NULL;
    int err;

    ub_list_remove(&j->link);
    b->n_jobs--;
    err = pdb_batch_begin(b->pdb, &bt);
    if (!err) {
        err = pdb_queue_del(bt, j->dev, j->seq);
        if (err == UB_ENOTFOUND)
            err = UB_OK;
    }
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    if (err)
        UB_LOGE(MOD, "cannot remove request %llu from the queue: %s",
                (unsigned long long)j->seq, ub_strerror(err));
    job_free(j);
}

static void job_set_state(struct job *j, enum job_state st)
{
    struct pdb_batch *bt = NULL;
    int err;

    j->state = st;
    err = pdb_batch_begin(j->b->pdb, &bt);
    if (!err)
        err = pdb_queue_set_state(bt, j->dev, j->seq, st);
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    if (err)
        UB_LOGW(MOD, "request %llu: state not stored: %s",
                (unsigned long long)j->seq, ub_strerror(err));
}

/* ---- sending RPCs ---- */

static struct jrpc *rpc_send(struct job *j, struct cwmp_msg *m, enum step st,
                             size_t group)
{
    struct jrpc *r;
    int err;

    if (j->n_rpcs >= BRIDGE_JOB_MAX_RPCS) {
        cwmp_msg_free(m);
        return NULL;
    }
    r = &j->rpcs[j->n_rpcs];
    memset(r, 0, sizeof(*r));
    ub_param_list_init(&r->params, 0);
    err = cwmp_rpc_enqueue(j->b->cwmp, j->devkey, m, &r->rpc_id);
    if (err) {
        UB_LOGW(MOD, "%s: cannot queue %s: %s", j->devkey,
                usp_msg_type_name(j->msg->type), ub_strerror(err));
        return NULL;
    }
    r->step = st;
    r->group = group;
    j->n_rpcs++;
    j->pending++;
    return r;
}

static struct cwmp_msg *spv_for(struct job *j, const struct group *g,
                                const bool *skip)
{
    struct cwmp_msg *m = cwmp_msg_new(CWMP_M_SET_PARAMETER_VALUES, CWMP_REQUEST);
    int err = UB_OK;

    if (!m)
        return NULL;
    for (size_t i = 0; !err && i < g->set.n; i++) {
        if (skip && skip[i])
            continue;
        err = ub_param_list_add(&m->params, g->set.v[i].path, g->set.v[i].value,
                                g->set.v[i].type);
    }
    m->parameter_key = ub_strdup(j->pkey);
    if (err || !m->parameter_key) {
        cwmp_msg_free(m);
        return NULL;
    }
    return m;
}

static void job_complete(struct job *j);

/* Queues the job's first RPCs on the device's session queue. */
static void job_start(struct job *j)
{
    struct cwmp_msg *m;
    bool ok = true;

    if (j->state != JOB_NEW)
        return;
    switch (j->msg->type) {
    case USP_MSG_GET:
        m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
        for (size_t i = 0; m && i < j->n_groups; i++)
            if (!j->groups[i].err && ub_strv_add(&m->strv, j->groups[i].obj))
                ok = false;
        ok = ok && m && rpc_send(j, m, ST_GPV, 0);
        break;
    case USP_MSG_SET:
        if (!j->msg->set.allow_partial) {
            /* one atomic SPV with every parameter of every object */
            struct group all;
            memset(&all, 0, sizeof(all));
            ub_param_list_init(&all.set, 0);
            for (size_t g = 0; ok && g < j->n_groups; g++)
                for (size_t i = 0; ok && i < j->groups[g].set.n; i++)
                    ok = !ub_param_list_add(&all.set, j->groups[g].set.v[i].path,
                                            j->groups[g].set.v[i].value,
                                            j->groups[g].set.v[i].type);
            m = ok ? spv_for(j, &all, NULL) : NULL;
            ub_param_list_free(&all.set);
            ok = ok && m && rpc_send(j, m, ST_SPV, SIZE_MAX);
        } else {
            for (size_t g = 0; ok && g < j->n_groups; g++) {
                if (j->groups[g].err)
                    continue;
                m = spv_for(j, &j->groups[g], NULL);
                ok = m && rpc_send(j, m, ST_SPV, g);
            }
        }
        break;
    case USP_MSG_ADD:
        for (size_t g = 0; ok && g < j->n_groups; g++) {
            if (j->groups[g].err)
                continue;
            m = cwmp_msg_new(CWMP_M_ADD_OBJECT, CWMP_REQUEST);
            if (m) {
                m->path = ub_strdup(j->groups[g].obj);
                m->parameter_key = ub_strdup(j->pkey);
            }
            ok = m && m->path && rpc_send(j, m, ST_ADD, g);
        }
        break;
    case USP_MSG_DELETE:
        for (size_t g = 0; ok && g < j->n_groups; g++) {
            if (j->groups[g].err || !j->groups[g].obj)
                continue; /* failed locally, or matched nothing */
            m = cwmp_msg_new(CWMP_M_DELETE_OBJECT, CWMP_REQUEST);
            if (m) {
                m->path = ub_strdup(j->groups[g].obj);
                m->parameter_key = ub_strdup(j->pkey);
            }
            ok = m && m->path && rpc_send(j, m, ST_DEL, g);
        }
        break;
    default:
        ok = false;
        break;
    }
    if (!ok) {
        /* what was queued still runs; its results are reported */
        UB_LOGW(MOD, "%s: request %s only partly queued", j->devkey,
                j->msg->msg_id);
    }
    job_set_state(j, JOB_SENT);
    if (j->pending == 0)
        job_complete(j);
}

/* ---- building responses ---- */

static uint32_t fault_to_usp(const struct jrpc *r, enum map_ctx ctx)
{
    return map_fault_to_usp(r->fault_code, ctx);
}

/* Updates the cache with values the device accepted / returned. */
static void cache_update(struct job *j)
{
    struct pdb_batch *bt = NULL;
    int err = pdb_batch_begin(j->b->pdb, &bt);

    for (size_t k = 0; !err && k < j->n_rpcs; k++) {
        struct jrpc *r = &j->rpcs[k];
        if (r->fault || !r->done)
            continue;
        if (r->step == ST_GPV || r->step == ST_ADD_GPN) {
            for (size_t i = 0; !err && i < r->params.n; i++) {
                struct ub_param row = r->params.v[i];
                unsigned mask = r->step == ST_GPV
                                    ? PDB_PUT_VALUE | PDB_PUT_TYPE
                                    : PDB_PUT_TYPE | PDB_PUT_WRITABLE;
                if (!row.path || !ub_path_is_valid(row.path))
                    continue;
                if (r->step == ST_ADD_GPN && ub_path_is_object(row.path))
                    mask = PDB_PUT_TYPE | PDB_PUT_WRITABLE;
                row.updated_at = 0;
                if (ub_path_is_object(row.path))
                    row.type = UB_T_OBJECT;
                err = pdb_batch_put_param(bt, PDB_PARAMS, j->dev, &row, mask,
                                          NULL);
                if (err == UB_EINVAL || err == UB_ETOOBIG)
                    err = UB_OK;
            }
        } else if (r->step == ST_SPV || r->step == ST_ADD_SPV) {
            for (size_t g = 0; !err && g < j->n_groups; g++) {
                if (r->group != SIZE_MAX && r->group != g)
                    continue;
                const struct group *gr = &j->groups[g];
                for (size_t i = 0; !err && i < gr->set.n; i++) {
                    struct ub_param row = gr->set.v[i];
                    char path[UB_PATH_MAX + 32];
                    if (r->step == ST_ADD_SPV) {
                        snprintf(path, sizeof(path), "%s%u.%s", gr->obj,
                                 gr->instance, gr->set.v[i].path);
                        row.path = path;
                    }
                    row.updated_at = 0;
                    err = pdb_batch_put_param(bt, PDB_PARAMS, j->dev, &row,
                                              PDB_PUT_VALUE, NULL);
                    if (err == UB_EINVAL || err == UB_ETOOBIG)
                        err = UB_OK;
                }
            }
        } else if (r->step == ST_DEL) {
            err = pdb_batch_del_subtree(bt, PDB_PARAMS, j->dev,
                                        j->groups[r->group].obj, NULL, NULL,
                                        NULL);
        } else if (r->step == ST_ADD && j->groups[r->group].rolled_back) {
            /* nothing: the rollback removed it */
        } else if (r->step == ST_ADD) {
            char path[UB_PATH_MAX + 32];
            struct ub_param row = {.path = path, .type = UB_T_OBJECT};
            snprintf(path, sizeof(path), "%s%u.", j->groups[r->group].obj,
                     r->instance);
            err = pdb_batch_put_param(bt, PDB_PARAMS, j->dev, &row,
                                      PDB_PUT_TYPE, NULL);
        }
    }
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    if (err)
        UB_LOGW(MOD, "%s: cache not updated after %s: %s", j->devkey,
                usp_msg_type_name(j->msg->type), ub_strerror(err));
}

static void complete_get(struct job *j)
{
    const struct jrpc *r = &j->rpcs[0];

    if (j->n_rpcs && r->fault) {
        job_error(j, fault_to_usp(r, MAP_CTX_GET), NULL, NULL, 0);
        return;
    }
    /* answer from the refreshed cache: live and cached Gets agree */
    bridge_usp_answer_read(j->b, &j->rt, j->dev, j->msg);
}

static struct usp_param_err *spv_param_errs(struct usp_msg *resp,
                                            const struct jrpc *r,
                                            size_t *n, bool relative,
                                            const char *obj)
{
    struct usp_param_err *pe;

    *n = 0;
    if (!r->faultinfo.n_spv)
        return NULL;
    pe = usp_msg_alloc(resp, r->faultinfo.n_spv * sizeof(*pe));
    if (!pe)
        return NULL;
    for (size_t i = 0; i < r->faultinfo.n_spv; i++) {
        const char *name = r->faultinfo.spv[i].name ? r->faultinfo.spv[i].name : "";
        if (relative && obj && strncmp(name, obj, strlen(obj)) == 0)
            name += strlen(obj);
        pe[*n].path = usp_msg_strdup(resp, name);
        pe[*n].err_code = map_fault_to_usp(r->faultinfo.spv[i].code,
                                              MAP_CTX_SET);
        pe[*n].err_msg = usp_msg_strdup(resp, r->faultinfo.spv[i].string);
        (*n)++;
    }
    return pe;
}

/* The group's locally refused parameters, names relative to its object. */
static struct usp_param_err *local_param_errs(struct usp_msg *resp,
                                              const struct group *gr,
                                              size_t *n)
{
    struct usp_param_err *pe;
    size_t ol = gr->obj ? strlen(gr->obj) : 0;

    *n = 0;
    if (!gr->n_perrs)
        return NULL;
    pe = usp_msg_alloc(resp, gr->n_perrs * sizeof(*pe));
    for (size_t i = 0; pe && i < gr->n_perrs; i++) {
        const char *name = gr->perrs[i].path;
        if (ol && strncmp(name, gr->obj, ol) == 0)
            name += ol;
        pe[i].path = usp_msg_strdup(resp, name);
        pe[i].err_code = gr->perrs[i].err_code;
        pe[i].err_msg = gr->perrs[i].err_msg;
        (*n)++;
    }
    return pe;
}

static void complete_set(struct job *j)
{
    struct usp_msg *resp = NULL;
    struct usp_set_resp *sr;

    if (!j->msg->set.allow_partial) {
        const struct jrpc *r = &j->rpcs[0];
        for (size_t g = 0; j->n_rpcs == 0 && g < j->n_groups; g++) {
            if (j->groups[g].err) {
                /* decided by the bridge before any CWMP traffic: the
                 * Error lists every refused parameter (param_errs) */
                char text[400];
                struct usp_param_err *pe = NULL;
                size_t n = 0, cap = 0;
                for (size_t k = 0; k < j->n_groups; k++)
                    cap += j->groups[k].n_perrs;
                if (cap)
                    pe = ub_calloc(cap, sizeof(*pe));
                for (size_t k = 0; pe && k < j->n_groups; k++)
                    for (size_t i = 0; i < j->groups[k].n_perrs; i++)
                        pe[n++] = j->groups[k].perrs[i];
                snprintf(text, sizeof(text), "%s: %s", j->groups[g].path,
                         j->groups[g].err_msg ? j->groups[g].err_msg : "");
                job_error(j, j->groups[g].err, text, pe, n);
                ub_free(pe);
                return;
            }
        }
        if (j->n_rpcs == 0 || r->fault) {
            struct usp_msg *tmp = NULL;
            size_t n = 0;
            struct usp_param_err *pe = NULL;
            if (usp_msg_new(USP_MSG_ERROR, j->msg->msg_id, &tmp) == UB_OK && j->n_rpcs)
                pe = spv_param_errs(tmp, r, &n, false, NULL);
            job_error(j, j->n_rpcs ? fault_to_usp(r, MAP_CTX_SET)
                                   : USP_ERR_INTERNAL_ERROR,
                      j->n_rpcs && r->faultinfo.string ? r->faultinfo.string
                                                       : NULL,
                      pe, n);
            usp_msg_free(tmp);
            return;
        }
    }
    if (usp_msg_new(USP_MSG_SET_RESP, j->msg->msg_id, &resp)) {
        job_error(j, USP_ERR_INTERNAL_ERROR, NULL, NULL, 0);
        return;
    }
    sr = &resp->set_resp;
    sr->results = usp_msg_alloc(resp, (j->n_groups + 1) * sizeof(*sr->results));
    for (size_t g = 0; sr->results && g < j->n_groups; g++) {
        struct group *gr = &j->groups[g];
        struct usp_set_result *res = &sr->results[sr->n_results++];
        const struct jrpc *r = NULL;
        for (size_t k = 0; k < j->n_rpcs; k++)
            if (j->rpcs[k].group == g || j->rpcs[k].group == SIZE_MAX)
                r = &j->rpcs[k];
        res->requested_path = usp_msg_strdup(resp, gr->path);
        if (gr->err || !r || r->fault) {
            res->success = false;
            res->err_code = gr->err ? gr->err
                            : r     ? fault_to_usp(r, MAP_CTX_SET)
                                    : USP_ERR_INTERNAL_ERROR;
            res->err_msg = usp_msg_strdup(resp, gr->err_msg ? gr->err_msg
                                                : usp_err_text(res->err_code));
            res->insts = usp_msg_alloc(resp, sizeof(*res->insts));
            if (res->insts && r) {
                res->n_insts = 1;
                res->insts[0].affected_path = usp_msg_strdup(resp, gr->obj);
                res->insts[0].param_errs = spv_param_errs(
                    resp, r, &res->insts[0].n_param_errs, true, gr->obj);
            } else if (res->insts && gr->n_perrs) {
                res->n_insts = 1;
                res->insts[0].affected_path = usp_msg_strdup(resp, gr->obj);
                res->insts[0].param_errs = local_param_errs(
                    resp, gr, &res->insts[0].n_param_errs);
            }
            continue;
        }
        res->success = true;
        res->insts = usp_msg_alloc(resp, sizeof(*res->insts));
        if (!res->insts)
            continue;
        res->n_insts = 1;
        res->insts[0].affected_path = usp_msg_strdup(resp, gr->obj);
        /* optional parameters the bridge refused (allow_partial) */
        res->insts[0].param_errs =
            local_param_errs(resp, gr, &res->insts[0].n_param_errs);
        res->insts[0].updated_params =
            usp_msg_alloc(resp, (gr->set.n + 1) * sizeof(struct usp_kv));
        for (size_t i = 0; res->insts[0].updated_params && i < gr->set.n; i++) {
            struct usp_kv *kv =
                &res->insts[0].updated_params[res->insts[0].n_updated_params++];
            kv->key = usp_msg_strdup(resp, gr->set.v[i].path + strlen(gr->obj));
            kv->value = usp_msg_strdup(resp, gr->set.v[i].value);
        }
    }
    job_answer(j, resp);
    usp_msg_free(resp);
}

static void complete_add(struct job *j)
{
    struct usp_msg *resp = NULL;
    struct usp_add_resp *ar;

    /* allow_partial=false: any failure is an Error (rollback done) */
    if (!j->msg->add.allow_partial) {
        for (size_t g = 0; g < j->n_groups; g++) {
            struct group *gr = &j->groups[g];
            uint32_t code = gr->err;
            for (size_t k = 0; !code && k < j->n_rpcs; k++)
                if (j->rpcs[k].group == g && j->rpcs[k].fault &&
                    j->rpcs[k].step != ST_ADD_UNDO)
                    code = j->rpcs[k].step == ST_ADD_SPV
                               ? USP_ERR_REQUIRED_PARAM_FAILED
                               : map_fault_to_usp(j->rpcs[k].fault_code,
                                                     MAP_CTX_ADD);
            if (code) {
                char text[256];
                snprintf(text, sizeof(text), "%s: %s", gr->path,
                         gr->err_msg ? gr->err_msg : usp_err_text(code));
                job_error(j, code, text, NULL, 0);
                return;
            }
        }
    }
    if (usp_msg_new(USP_MSG_ADD_RESP, j->msg->msg_id, &resp)) {
        job_error(j, USP_ERR_INTERNAL_ERROR, NULL, NULL, 0);
        return;
    }
    ar = &resp->add_resp;
    ar->results = usp_msg_alloc(resp, (j->n_groups + 1) * sizeof(*ar->results));
    for (size_t g = 0; ar->results && g < j->n_groups; g++) {
        struct group *gr = &j->groups[g];
        struct usp_add_result *res = &ar->results[ar->n_results++];
        const struct jrpc *add = NULL, *spv = NULL, *gpn = NULL, *gpv = NULL;
        char path[UB_PATH_MAX + 32];

        for (size_t k = 0; k < j->n_rpcs; k++) {
            if (j->rpcs[k].group != g)
                continue;
            if (j->rpcs[k].step == ST_ADD)
                add = &j->rpcs[k];
            else if (j->rpcs[k].step == ST_ADD_SPV)
                spv = &j->rpcs[k];
            else if (j->rpcs[k].step == ST_ADD_GPN)
                gpn = &j->rpcs[k];
            else if (j->rpcs[k].step == ST_GPV && !j->rpcs[k].fault)
                gpv = &j->rpcs[k]; /* values of the new instance */
        }
        res->requested_path = usp_msg_strdup(resp, gr->path);
        if (gr->err || !add || add->fault || gr->rolled_back) {
            res->success = false;
            res->err_code = gr->err ? gr->err
                            : gr->rolled_back ? USP_ERR_REQUIRED_PARAM_FAILED
                            : add ? map_fault_to_usp(add->fault_code,
                                                        MAP_CTX_ADD)
                                  : USP_ERR_INTERNAL_ERROR;
            res->err_msg = usp_msg_strdup(resp, gr->err_msg ? gr->err_msg
                                                : usp_err_text(res->err_code));
            continue;
        }
        res->success = true;
        snprintf(path, sizeof(path), "%s%u.", gr->obj, add->instance);
        res->instantiated_path = usp_msg_strdup(resp, path);
        if (spv && spv->fault)
            res->param_errs = spv_param_errs(resp, spv, &res->n_param_errs,
                                             true, path);
        if (gpv || gpn) {
            /* unique keys: Alias, with its value from the GPV that read
             * the new instance (GetParameterNames carries no values) */
            const struct jrpc *src = gpv ? gpv : gpn;
            res->unique_keys = usp_msg_alloc(resp, 2 * sizeof(struct usp_kv));
            for (size_t i = 0; res->unique_keys && i < src->params.n; i++) {
                const char *full = src->params.v[i].path;
                if (strncmp(full, path, strlen(path)) != 0)
                    continue;
                if (strcmp(full + strlen(path), "Alias") == 0 &&
                    res->n_unique_keys == 0) {
                    res->unique_keys[res->n_unique_keys].key = "Alias";
                    res->unique_keys[res->n_unique_keys++].value =
                        usp_msg_strdup(resp, src->params.v[i].value
                                                 ? src->params.v[i].value
                                                 : "");
                }
            }
        }
    }
    job_answer(j, resp);
    usp_msg_free(resp);
}

static void complete_delete(struct job *j)
{
    struct usp_msg *resp = NULL;
    struct usp_delete_resp *dr;
    size_t n_req = j->msg->del.n_paths;

    if (!j->msg->del.allow_partial) {
        for (size_t g = 0; g < j->n_groups; g++) {
            if (j->groups[g].err) {
                char text[400];
                snprintf(text, sizeof(text), "%s: %s",
                         j->groups[g].obj ? j->groups[g].obj
                                          : j->groups[g].path,
                         j->groups[g].err_msg ? j->groups[g].err_msg
                                              : usp_err_text(j->groups[g].err));
                job_error(j, j->groups[g].err, text, NULL, 0);
                return;
            }
        }
        for (size_t k = 0; k < j->n_rpcs; k++) {
            if (j->rpcs[k].fault &&
                !map_delete_fault_is_success(j->rpcs[k].fault_code)) {
                char text[256];
                snprintf(text, sizeof(text), "%s: %s",
                         j->groups[j->rpcs[k].group].obj,
                         usp_err_text(map_fault_to_usp(
                             j->rpcs[k].fault_code, MAP_CTX_DELETE)));
                job_error(j, map_fault_to_usp(j->rpcs[k].fault_code,
                                                 MAP_CTX_DELETE),
                          text, NULL, 0);
                return;
            }
        }
    }
    if (usp_msg_new(USP_MSG_DELETE_RESP, j->msg->msg_id, &resp)) {
        job_error(j, USP_ERR_INTERNAL_ERROR, NULL, NULL, 0);
        return;
    }
    dr = &resp->delete_resp;
    dr->results = usp_msg_alloc(resp, (n_req + 1) * sizeof(*dr->results));
    for (size_t p = 0; dr->results && p < n_req; p++) {
        struct usp_delete_result *res = &dr->results[dr->n_results++];
        res->requested_path = usp_msg_strdup(resp, j->msg->del.paths[p]);
        res->success = true;
        res->affected = usp_msg_alloc(resp, (j->n_groups + 1) * sizeof(char *));
        res->unaffected =
            usp_msg_alloc(resp, (j->n_groups + 1) * sizeof(*res->unaffected));
        for (size_t g = 0; g < j->n_groups; g++) {
            struct group *gr = &j->groups[g];
            const struct jrpc *r = NULL;
            if (strcmp(gr->path, j->msg->del.paths[p]) != 0)
                continue;
            if (gr->err) {
                res->success = false;
                res->err_code = gr->err;
                res->err_msg = usp_msg_strdup(resp, gr->err_msg);
                continue;
            }
            if (!gr->obj)
                continue; /* matched nothing: empty success */
            for (size_t k = 0; k < j->n_rpcs; k++)
                if (j->rpcs[k].group == g)
                    r = &j->rpcs[k];
            if (r && r->fault && map_delete_fault_is_success(r->fault_code))
                continue; /* already gone: success, not affected (R-DEL.2a) */
            if (r && !r->fault && res->affected) {
                res->affected[res->n_affected++] = usp_msg_strdup(resp, gr->obj);
            } else if (res->unaffected) {
                struct usp_param_err *u = &res->unaffected[res->n_unaffected++];
                u->path = usp_msg_strdup(resp, gr->obj);
                u->err_code = r ? map_fault_to_usp(r->fault_code,
                                                      MAP_CTX_DELETE)
                                : USP_ERR_INTERNAL_ERROR;
                u->err_msg = usp_msg_strdup(resp, usp_err_text(u->err_code));
            }
        }
    }
    job_answer(j, resp);
    usp_msg_free(resp);
}

static void job_complete(struct job *j)
{
    cache_update(j);
    switch (j->msg->type) {
    case USP_MSG_GET: complete_get(j); break;
    case USP_MSG_SET: complete_set(j); break;
    case USP_MSG_ADD: complete_add(j); break;
    case USP_MSG_DELETE: complete_delete(j); break;
    default: break;
    }
    j->b->stats.usp_device_requests++;
    job_finish(j);
}

/* ---- RPC results ---- */

static struct job *find_rpc(struct bridge *b, uint64_t rpc_id, struct jrpc **r)
{
    for (struct ub_list *l = b->jobs.next; l != &b->jobs; l = l->next) {
        struct job *j = UB_CONTAINER_OF(l, struct job, link);
        for (size_t k = 0; k < j->n_rpcs; k++) {
            if (j->rpcs[k].rpc_id == rpc_id && !j->rpcs[k].done) {
                *r = &j->rpcs[k];
                return j;
            }
        }
    }
    return NULL;
}

static void copy_fault(struct cwmp_fault *d, const struct cwmp_fault *s)
{
    d->code = s->code;
    d->string = ub_strdup(s->string);
    if (s->n_spv) {
        d->spv = ub_calloc(s->n_spv, sizeof(*d->spv));
        for (size_t i = 0; d->spv && i < s->n_spv; i++) {
            d->spv[i].name = ub_strdup(s->spv[i].name);
            d->spv[i].code = s->spv[i].code;
            d->spv[i].string = ub_strdup(s->spv[i].string);
            d->n_spv++;
        }
    }
}

bool bridge_req_rpc_result(struct bridge *b, const char *devkey,
                           uint64_t rpc_id, const struct cwmp_msg *resp,
                           int err)
{
    struct jrpc *r = NULL;
    struct job *j = find_rpc(b, rpc_id, &r);

    (void)devkey;
    if (!j)
        return false;
    r->done = true;
    j->pending--;
    if (err || !resp) {
        r->fault = true;
        r->fault_code = err == UB_ETIMEDOUT ? 9002 : 9002;
        UB_LOGW(MOD, "%s: %s lost (%s)", j->devkey,
                usp_msg_type_name(j->msg->type), ub_strerror(err));
    } else if (resp->kind == CWMP_FAULT) {
        r->fault = true;
        r->fault_code = resp->fault.code;
        copy_fault(&r->faultinfo, &resp->fault);
    } else {
        r->instance = resp->instance_number;
        for (size_t i = 0; i < resp->params.n; i++) {
            struct ub_param *p;
            if (ub_param_list_push(&r->params, &p))
                break;
            p->path = ub_strdup(resp->params.v[i].path);
            p->value = ub_strdup(resp->params.v[i].value);
            p->type = resp->params.v[i].type;
            p->writable = resp->params.v[i].writable;
            if (!p->path) {
                ub_param_clear(p);
                r->params.n--;
            }
        }
    }

    /* next steps of Add */
    if (r->step == ST_ADD && !r->fault) {
        struct group *g = &j->groups[r->group];
        g->instance = r->instance;
        if (g->set.n) {
            struct cwmp_msg *m = cwmp_msg_new(CWMP_M_SET_PARAMETER_VALUES,
                                              CWMP_REQUEST);
            bool ok = m != NULL;
            for (size_t i = 0; ok && i < g->set.n; i++) {
                char path[UB_PATH_MAX + 32];
                snprintf(path, sizeof(path), "%s%u.%s", g->obj, g->instance,
                         g->set.v[i].path);
                ok = !ub_param_list_add(&m->params, path, g->set.v[i].value,
                                        g->set.v[i].type);
            }
            if (ok)
                ok = (m->parameter_key = ub_strdup(j->pkey)) != NULL;
            if (ok)
                rpc_send(j, m, ST_ADD_SPV, r->group);
            else
                cwmp_msg_free(m);
        } else {
            struct cwmp_msg *m = cwmp_msg_new(CWMP_M_GET_PARAMETER_NAMES,
                                              CWMP_REQUEST);
            if (m) {
                m->path = ub_asprintf("%s%u.", g->obj, g->instance);
                m->next_level = false;
                rpc_send(j, m, ST_ADD_GPN, r->group);
            }
        }
    } else if (r->step == ST_ADD_SPV) {
        struct group *g = &j->groups[r->group];
        bool required_failed = false;
        if (r->fault) {
            /* which failed params were required? */
            for (size_t i = 0; i < g->set.n; i++)
                if (g->required[i])
                    required_failed = true;
            if (r->faultinfo.n_spv) {
                required_failed = false;
                for (size_t f = 0; f < r->faultinfo.n_spv; f++)
                    for (size_t i = 0; i < g->set.n; i++)
                        if (g->required[i] && r->faultinfo.spv[f].name &&
                            strstr(r->faultinfo.spv[f].name, g->set.v[i].path))
                            required_failed = true;
            }
        }
        if (required_failed || (r->fault && !j->msg->add.allow_partial)) {
            struct cwmp_msg *m = cwmp_msg_new(CWMP_M_DELETE_OBJECT, CWMP_REQUEST);
            g->rolled_back = true;
            if (m) {
                m->path = ub_asprintf("%s%u.", g->obj, g->instance);
                m->parameter_key = ub_strdup(j->pkey);
                rpc_send(j, m, ST_ADD_UNDO, r->group);
            }
        } else {
            struct cwmp_msg *m = cwmp_msg_new(CWMP_M_GET_PARAMETER_NAMES,
                                              CWMP_REQUEST);
            if (m) {
                m->path = ub_asprintf("%s%u.", g->obj, g->instance);
                m->next_level = false;
                rpc_send(j, m, ST_ADD_GPN, r->group);
            }
        }
    } else if (r->step == ST_ADD_GPN && !r->fault) {
        /* GPN gives names; read the values of the new instance too */
        struct cwmp_msg *m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES,
                                          CWMP_REQUEST);
        if (m && !ub_strv_add(&m->strv, j->groups[r->group].obj)) {
            char *p = ub_asprintf("%s%u.", j->groups[r->group].obj,
                                  j->groups[r->group].instance);
            ub_free(m->strv.v[0]);
            m->strv.v[0] = p;
            if (p)
                rpc_send(j, m, ST_GPV, r->group);
            else
                cwmp_msg_free(m);
        } else {
            cwmp_msg_free(m);
        }
    }
    if (j->pending == 0)
        job_complete(j);
    return true;
}

/* ---- planning (before any CWMP traffic) ---- */

struct plan_ctx {
    struct job *j;
    const struct ub_tree *tree;
};

struct node_info {
    bool found;
    enum ub_type type;
    bool writable;
    bool object;
};

static int on_info(void *user, const struct ub_node *n)
{
    struct node_info *i = user;
    i->found = true;
    i->type = n->type;
    i->writable = n->writable;
    i->object = n->type == UB_T_OBJECT;
    return 0;
}

static int group_add(struct job *j, struct group **out)
{
    struct group *v = ub_realloc(j->groups, (j->n_groups + 1) * sizeof(*v));
    if (!v)
        return UB_ENOMEM;
    j->groups = v;
    memset(&v[j->n_groups], 0, sizeof(v[0]));
    ub_param_list_init(&v[j->n_groups].set, 0);
    *out = &v[j->n_groups++];
    return UB_OK;
}

static int group_perr(struct group *g, const char *full, uint32_t code)
{
    struct usp_param_err *v =
        ub_realloc(g->perrs, (g->n_perrs + 1) * sizeof(*v));
    if (!v)
        return UB_ENOMEM;
    g->perrs = v;
    v[g->n_perrs].path = ub_strdup(full);
    if (!v[g->n_perrs].path)
        return UB_ENOMEM;
    v[g->n_perrs].err_code = code;
    v[g->n_perrs].err_msg = usp_err_text(code);
    g->n_perrs++;
    return UB_OK;
}

static void group_fail(struct group *g, uint32_t code, const char *msg)
{
    g->err = code;
    ub_free(g->err_msg);
    g->err_msg = ub_strdup(msg ? msg : usp_err_text(code));
}


static int plan_set(struct job *j, const struct ub_tree *tree)
{
    const struct usp_set *s = &j->msg->set;
    int err = UB_OK;

    for (size_t o = 0; !err && o < s->n_objs; o++) {
        struct usp_resolved rs;
        uint32_t uerr;
        const char *umsg;
        err = bridge_resolve(tree, s->objs[o].obj_path, USP_MSG_SET, &rs, &uerr, &umsg);
        if (err) {
            usp_resolved_free(&rs);
            break;
        }
        if (uerr || rs.paths.n == 0) {
            struct group *g;
            err = group_add(j, &g);
            if (!err) {
                g->path = ub_strdup(s->objs[o].obj_path);
                g->obj = ub_strdup(s->objs[o].obj_path);
                if (uerr)
                    group_fail(g, uerr == USP_ERR_INVALID_PATH
                                      ? USP_ERR_OBJECT_DOES_NOT_EXIST
                                      : uerr,
                               umsg);
            }
            usp_resolved_free(&rs);
            continue;
        }
        for (size_t r = 0; !err && r < rs.paths.n; r++) {
            struct group *g;
            const char *obj = rs.paths.v[r];
            err = group_add(j, &g);
            if (err)
                break;
            g->path = ub_strdup(s->objs[o].obj_path);
            g->obj = ub_strdup(obj);
            g->required = ub_calloc(s->objs[o].n_params + 1, sizeof(bool));
            if (!g->path || !g->obj || !g->required) {
                err = UB_ENOMEM;
                break;
            }
            if (!ub_path_is_object(obj)) {
                group_fail(g, USP_ERR_INVALID_PATH, "Set takes object paths");
                continue;
            }
            if (usp_agent_path_is_hosted(obj)) {
                group_fail(g, USP_ERR_REQUEST_DENIED, MIXED_MSG);
                continue;
            }
            for (size_t i = 0; i < s->objs[o].n_params; i++) {
                const struct usp_param_setting *ps = &s->objs[o].params[i];
                char full[UB_PATH_MAX + 64];
                struct node_info ni = {0};
                uint32_t code = 0;
                snprintf(full, sizeof(full), "%s%s", obj, ps->param);
                if (tree->ops->lookup(tree->ctx, full, on_info, &ni) !=
                        UB_OK || !ni.found || ni.object)
                    code = USP_ERR_UNSUPPORTED_PARAM;
                else if (usp_agent_perm_check(j->perms, full,
                                              USP_AGENT_OP_WRITE))
                    code = USP_ERR_PERMISSION_DENIED;
                else if (!ni.writable)
                    code = USP_ERR_PARAM_READ_ONLY;
                else if (ub_value_check(ni.type, ps->value) != UB_OK)
                    code = USP_ERR_INVALID_VALUE;
                if (code) {
                    /* reported as param_errs: in the Error (all or
                     * nothing), in the object's failure (required) or
                     * next to the updated params (optional, dropped) */
                    err = group_perr(g, full, code);
                    if (!err && !g->err &&
                        (ps->required || !s->allow_partial)) {
                        char msg[300];
                        snprintf(msg, sizeof(msg), "%s: %s", ps->param,
                                 usp_err_text(code));
                        group_fail(g, code, msg);
                    }
                    if (err || (g->err && s->allow_partial))
                        break;
                    continue;
                }
                g->required[g->set.n] = ps->required;
                err = ub_param_list_add(&g->set, full, ps->value,
                                        ni.type ? ni.type : UB_T_STRING);
                if (err)
                    break;
            }
        }
        usp_resolved_free(&rs);
    }
    return err;
}

/* The first instance of a table (its children are its instances). */
struct first_inst {
    char path[UB_PATH_MAX + 1];
    bool found;
};

static int on_first_inst(void *user, const struct ub_node *n)
{
    struct first_inst *f = user;
    if (n->type != UB_T_OBJECT || strlen(n->path) >= sizeof(f->path))
        return 0;
    memcpy(f->path, n->path, strlen(n->path) + 1);
    f->found = true;
    return 1; /* stop */
}

static int plan_add(struct job *j, const struct ub_tree *tree)
{
    const struct usp_add *a = &j->msg->add;
    int err = UB_OK;

    for (size_t o = 0; !err && o < a->n_objs; o++) {
        struct group *g;
        struct node_info ni = {0};
        const char *path = a->objs[o].obj_path;
        err = group_add(j, &g);
        if (err)
            break;
        g->path = ub_strdup(path);
        g->obj = ub_strdup(path);
        g->required = ub_calloc(a->objs[o].n_params + 1, sizeof(bool));
        if (!g->path || !g->obj || !g->required) {
            err = UB_ENOMEM;
            break;
        }
        if (usp_agent_path_is_hosted(path)) {
            group_fail(g, USP_ERR_REQUEST_DENIED, MIXED_MSG);
            continue;
        }
        if (!ub_path_is_object(path) || !ub_path_is_valid(path)) {
            group_fail(g, USP_ERR_INVALID_PATH,
                       "Add takes a table path (search paths are not "
                       "supported on bridged devices yet)");
            continue;
        }
        if (tree->ops->lookup(tree->ctx, path, on_info, &ni) != UB_OK ||
            !ni.found) {
            group_fail(g, USP_ERR_INVALID_PATH, "no such table");
            continue;
        }
        if (!ni.writable) {
            group_fail(g, USP_ERR_OBJECT_NOT_CREATABLE,
                       "not a table that accepts Add");
            continue;
        }
        if (usp_agent_perm_check(j->perms, path, USP_AGENT_OP_ADD)) {
            group_fail(g, USP_ERR_PERMISSION_DENIED, "no permission to add");
            continue;
        }
        /* types for the SetParameterValues of the new instance: from a
         * sibling instance in the cache (xsi:type as the device has it) */
        struct first_inst fi = {{0}, false};
        (void)tree->ops->children(tree->ctx, path, on_first_inst, &fi);
        for (size_t i = 0; i < a->objs[o].n_params; i++) {
            const struct usp_param_setting *ps = &a->objs[o].params[i];
            enum ub_type ty = UB_T_STRING;
            if (fi.found) {
                char full[UB_PATH_MAX + 64];
                struct node_info pi = {0};
                snprintf(full, sizeof(full), "%s%s", fi.path, ps->param);
                if (tree->ops->lookup(tree->ctx, full, on_info, &pi) == UB_OK &&
                    pi.found && !pi.object && pi.type)
                    ty = pi.type;
            }
            g->required[g->set.n] = ps->required;
            err = ub_param_list_add(&g->set, ps->param, ps->value, ty);
            if (err)
                break;
        }
    }
    return err;
}

static int plan_delete(struct job *j, const struct ub_tree *tree)
{
    const struct usp_delete *d = &j->msg->del;
    int err = UB_OK;

    for (size_t o = 0; !err && o < d->n_paths; o++) {
        struct usp_resolved rs;
        uint32_t uerr;
        const char *umsg;
        struct group *g;
        err = bridge_resolve(tree, d->paths[o], USP_MSG_DELETE, &rs, &uerr, &umsg);
        if (!err && (uerr || rs.paths.n == 0)) {
            err = group_add(j, &g);
            if (!err) {
                g->path = ub_strdup(d->paths[o]);
                if (uerr)
                    group_fail(g, uerr, umsg);
            }
        }
        for (size_t r = 0; !err && r < rs.paths.n; r++) {
            struct node_info ni = {0};
            err = group_add(j, &g);
            if (err)
                break;
            g->path = ub_strdup(d->paths[o]);
            g->obj = ub_strdup(rs.paths.v[r]);
            (void)tree->ops->lookup(tree->ctx, rs.paths.v[r], on_info, &ni);
            if (!ub_path_is_object(rs.paths.v[r]))
                group_fail(g, USP_ERR_INVALID_PATH, "Delete takes instances");
            else if (usp_agent_path_is_hosted(rs.paths.v[r]))
                group_fail(g, USP_ERR_REQUEST_DENIED, MIXED_MSG);
            else if (!ni.writable && ni.found)
                group_fail(g, USP_ERR_OBJECT_NOT_CREATABLE,
                           "instance of a table that does not allow Delete");
            else if (usp_agent_perm_check(j->perms, rs.paths.v[r],
                                          USP_AGENT_OP_DELETE))
                group_fail(g, USP_ERR_PERMISSION_DENIED,
                           "no permission to delete");
        }
        usp_resolved_free(&rs);
    }
    return err;
}

static int plan_get(struct job *j, const struct ub_tree *tree)
{
    const struct usp_get *g = &j->msg->get;
    int err = UB_OK;

    for (size_t o = 0; !err && o < g->n_paths; o++) {
        struct usp_resolved rs;
        uint32_t uerr;
        const char *umsg;
        err = bridge_resolve(tree, g->paths[o], USP_MSG_GET, &rs, &uerr, &umsg);
        for (size_t r = 0; !err && r < rs.paths.n; r++) {
            struct group *gr;
            if (strncmp(rs.paths.v[r], "Device.LocalAgent.", 18) == 0)
                continue; /* hosted: nothing to read from the device */
            err = group_add(j, &gr);
            if (!err && !(gr->obj = ub_strdup(rs.paths.v[r])))
                err = UB_ENOMEM;
        }
        usp_resolved_free(&rs);
    }
    return err;
}

/* True if an all-or-nothing request (allow_partial=false) has a part that
 * failed locally: then nothing at all may reach the device. */
static bool atomic_failed(const struct job *j)
{
    bool partial = j->msg->type == USP_MSG_SET      ? j->msg->set.allow_partial
                   : j->msg->type == USP_MSG_ADD    ? j->msg->add.allow_partial
                   : j->msg->type == USP_MSG_DELETE ? j->msg->del.allow_partial
                                                    : true;
    if (partial)
        return false;
    for (size_t g = 0; g < j->n_groups; g++)
        if (j->groups[g].err)
            return true;
    return false;
}

/* True if every group failed locally (nothing to send). */
static bool all_failed(const struct job *j)
{
    for (size_t g = 0; g < j->n_groups; g++)
        if (!j->groups[g].err && j->groups[g].obj)
            return false;
    return true;
}

static int plan(struct job *j)
{
    struct pdb_rtxn *r = NULL;
    struct agent_tree at;
    int err = bridge_perms_load(j->b, j->dev, j->rt.controller, &j->perms);

    if (!err)
        err = pdb_rtxn_begin(j->b->pdb, &r);
    if (err) {
        j->perms = NULL;
        return err;
    }
    err = agent_tree_open(&at, j->b, r, j->dev);
    if (!err) {
        switch (j->msg->type) {
        case USP_MSG_SET: err = plan_set(j, &at.tree); break;
        case USP_MSG_ADD: err = plan_add(j, &at.tree); break;
        case USP_MSG_DELETE: err = plan_delete(j, &at.tree); break;
        case USP_MSG_GET: err = plan_get(j, &at.tree); break;
        default: err = UB_EINVAL; break;
        }
        agent_tree_close(&at);
    }
    pdb_rtxn_end(r);
    j->perms = NULL;
    return err;
}

/* ---- waking the device ---- */

static void wake_device(struct bridge *b, struct job *j)
{
    struct pdb_rtxn *r = NULL;
    struct pdb_device d;
    int err;

    if (cwmp_device_in_session(b->cwmp, j->devkey)) {
        job_start(j);
        return;
    }
    memset(&d, 0, sizeof(d));
    err = pdb_rtxn_begin(b->pdb, &r);
    if (!err)
        err = pdb_device_get(r, j->dev, &d);
    pdb_rtxn_end(r);
    if (err || !d.conn_req_url || !*d.conn_req_url) {
        UB_LOGI(MOD, "%s: no ConnectionRequestURL: the request waits for the "
                "device's next session", j->devkey);
        j->cr_sent = true; /* nothing to retry */
        pdb_device_clear(&d);
        return;
    }
    err = cwmp_connection_request(b->cwmp, j->devkey, d.conn_req_url,
                                  d.conn_req_username ? d.conn_req_username
                                                      : "",
                                  d.conn_req_password ? d.conn_req_password
                                                      : "");
    if (!err) {
        /* every waiting job of this device rides on this request */
        for (struct ub_list *l = b->jobs.next; l != &b->jobs; l = l->next) {
            struct job *o = UB_CONTAINER_OF(l, struct job, link);
            if (o->dev == j->dev) {
                o->cr_sent = true;
                o->cr_at_ms = wall_ms();
            }
        }
    } else if (err != UB_EAGAIN) {
        UB_LOGW(MOD, "%s: Connection Request not sent: %s", j->devkey,
                ub_strerror(err));
    }
    /* UB_EAGAIN (rate limit): the sweep tries again each second */
    pdb_device_clear(&d);
}

/* Called on every Inform (after it was stored): run the device's jobs. */
void bridge_req_on_inform(struct bridge *b, const char *devkey)
{
    for (struct ub_list *l = b->jobs.next; l != &b->jobs;) {
        struct job *j = UB_CONTAINER_OF(l, struct job, link);
        l = l->next;
        if (strcmp(j->devkey, devkey) == 0 && j->state == JOB_NEW)
            job_start(j);
    }
}

/* The session ended: RPC results of in-flight RPCs arrive as UB_ECLOSED
 * through on_rpc_result; nothing else to do here. */

static int job_create(struct bridge *b, const struct bridge_reply_to *rt,
                      uint32_t dev, const char *devkey, struct usp_msg *m,
                      struct job **out)
{
    struct job *j = ub_calloc(1, sizeof(*j));

    if (!j) {
        usp_msg_free(m);
        return UB_ENOMEM;
    }
    j->b = b;
    j->dev = dev;
    snprintf(j->devkey, sizeof(j->devkey), "%s", devkey);
    j->rt = *rt;
    j->msg = m;
    if (map_parameter_key(m->msg_id, j->pkey, sizeof(j->pkey)))
        snprintf(j->pkey, sizeof(j->pkey), "usp");
    *out = j;
    return UB_OK;
}

/* Takes m (freed in every case).  raw/raw_len: the encoded Msg (borrowed)
 * for the durable queue. */
void bridge_req_submit(struct bridge *b, const struct bridge_reply_to *rt,
                       uint32_t dev, struct usp_msg *m, const uint8_t *raw,
                       size_t raw_len)
{
    struct pdb_rtxn *r = NULL;
    struct pdb_device d;
    struct pdb_batch *bt = NULL;
    struct ub_buf payload;
    struct job *j = NULL;
    int err;

    memset(&d, 0, sizeof(d));
    ub_buf_init(&payload, 1);
    if (b->n_jobs >= (size_t)b->cfg->usp_max_pending) {
        struct job tmp = {.b = b, .rt = *rt, .msg = m};
        job_error(&tmp, USP_ERR_RESOURCES_EXCEEDED,
                  "too many requests pending on bridged devices", NULL, 0);
        usp_msg_free(m);
        return;
    }
    err = pdb_rtxn_begin(b->pdb, &r);
    if (!err)
        err = pdb_device_get(r, dev, &d);
    pdb_rtxn_end(r);
    if (!err)
        err = job_create(b, rt, dev, d.cwmp_device_id, m, &j);
    pdb_device_clear(&d);
    if (err) {
        struct job tmp = {.b = b, .rt = *rt, .msg = m};
        if (err != UB_ENOMEM)
            job_error(&tmp, USP_ERR_INTERNAL_ERROR, NULL, NULL, 0);
        if (!j && err != UB_ENOMEM)
            usp_msg_free(m);
        return;
    }
    err = plan(j);
    if (err) {
        job_error(j, USP_ERR_INTERNAL_ERROR, NULL, NULL, 0);
        job_free(j);
        return;
    }
    if (j->n_groups == 0 || all_failed(j) || atomic_failed(j)) {
        /* decided locally: nothing goes to the device */
        if (j->msg->type == USP_MSG_GET)
            bridge_usp_answer_read(b, &j->rt, j->dev, j->msg);
        else if (j->msg->type == USP_MSG_SET)
            complete_set(j);
        else if (j->msg->type == USP_MSG_ADD)
            complete_add(j);
        else
            complete_delete(j);
        job_free(j);
        return;
    }
    j->deadline_ms = wall_ms() + (int64_t)b->cfg->usp_request_timeout * 1000;
    err = bridge_job_payload_encode(&j->rt, raw, raw_len, &payload);
    if (!err)
        err = pdb_batch_begin(b->pdb, &bt);
    if (!err)
        err = pdb_queue_push(bt, dev, payload.data, payload.len, j->deadline_ms,
                             &j->seq);
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    ub_buf_free(&payload);
    if (err) {
        job_error(j, err == UB_EFULL ? USP_ERR_RESOURCES_EXCEEDED
                                     : USP_ERR_INTERNAL_ERROR,
                  err == UB_EFULL ? "the device's request queue is full" : NULL,
                  NULL, 0);
        job_free(j);
        return;
    }
    ub_list_insert_tail(&b->jobs, &j->link);
    b->n_jobs++;
    wake_device(b, j);
}

/* ---- deadlines and restart ---- */

static void sweep(uv_timer_t *t)
{
    struct bridge *b = t->data;
    int64_t now = wall_ms();

    for (struct ub_list *l = b->jobs.next; l != &b->jobs;) {
        struct job *j = UB_CONTAINER_OF(l, struct job, link);
        l = l->next;
        if (j->state == JOB_NEW && j->deadline_ms > now &&
            (!j->cr_sent ||
             (j->cr_at_ms && now - j->cr_at_ms >= CR_RESEND_MS))) {
            /* a rate-limited Connection Request, or one that did not
             * bring the device (lost, or refused: a device's Digest
             * nonce table can reject valid credentials under load) */
            wake_device(b, j);
            continue;
        }
        if (j->state != JOB_NEW || j->deadline_ms > now)
            continue;
        UB_LOGN(MOD, "%s: request %s from %s expired before the device "
                "connected", j->devkey, j->msg->msg_id, j->rt.controller);
        b->stats.usp_expired++;
        job_error(j, USP_ERR_MESSAGE_FAILED,
                  "the device did not connect before the request deadline; "
                  "nothing was changed", NULL, 0);
        job_finish(j);
    }
}

struct load_ctx {
    struct bridge *b;
    uint32_t dev;
    const char *devkey;
    size_t loaded, dropped;
};

static int on_queue_entry(void *user, const struct pdb_queue_entry *e)
{
    struct load_ctx *lc = user;
    struct bridge *b = lc->b;
    struct bridge_reply_to rt;
    const uint8_t *raw;
    size_t raw_len;
    struct usp_msg *m = NULL;
    struct job *j = NULL;

    if (bridge_job_payload_decode(e->payload, e->payload_len, &rt, &raw, &raw_len) ||
        usp_msg_decode(raw, raw_len, &m)) {
        UB_LOGE(MOD, "%s: unreadable queue entry %llu dropped", lc->devkey,
                (unsigned long long)e->seq);
        lc->dropped++;
        return 0;
    }
    if (job_create(b, &rt, lc->dev, lc->devkey, m, &j))
        return 0;
    j->seq = e->seq;
    j->deadline_ms = e->deadline;
    j->state = (enum job_state)e->state;
    ub_list_insert_tail(&b->jobs, &j->link);
    b->n_jobs++;
    lc->loaded++;
    return 0;
}

static int on_device_load(void *user, const struct pdb_device *d)
{
    struct load_ctx *lc = user;
    struct pdb_rtxn *r = NULL;
    int err;

    lc->dev = d->id;
    lc->devkey = d->cwmp_device_id;
    err = pdb_rtxn_begin(lc->b->pdb, &r);
    if (!err)
        err = pdb_queue_list(r, d->id, on_queue_entry, lc);
    pdb_rtxn_end(r);
    return 0;
}

/* Loads the durable queue after a start; replans what was never sent,
 * answers what was in flight as "outcome unknown". */
int bridge_req_start(struct bridge *b)
{
    struct load_ctx lc = {b, 0, NULL, 0, 0};
    struct pdb_rtxn *r = NULL;
    int err;

    uv_timer_init(b->loop, &b->req_timer);
    b->req_timer.data = b;
    uv_timer_start(&b->req_timer, sweep, 1000, 1000);
    err = pdb_rtxn_begin(b->pdb, &r);
    if (!err)
        err = pdb_device_list(r, on_device_load, &lc);
    pdb_rtxn_end(r);
    if (lc.loaded || lc.dropped)
        UB_LOGN(MOD, "request queue: %zu pending requests restored, %zu "
                "unreadable dropped", lc.loaded, lc.dropped);
    for (struct ub_list *l = b->jobs.next; l != &b->jobs;) {
        struct job *j = UB_CONTAINER_OF(l, struct job, link);
        l = l->next;
        if (j->state == JOB_SENT) {
            job_error(j, USP_ERR_MESSAGE_FAILED,
                      "the bridge restarted while this request was in "
                      "progress on the device; its outcome is unknown",
                      NULL, 0);
            job_finish(j);
            continue;
        }
        if (plan(j) != UB_OK) {
            job_finish(j);
            continue;
        }
        wake_device(b, j);
    }
    return err;
}

void bridge_req_stop(struct bridge *b)
{
    if (!uv_is_closing((uv_handle_t *)&b->req_timer))
        uv_close((uv_handle_t *)&b->req_timer, NULL);
}

void bridge_req_destroy(struct bridge *b)
{
    /* jobs stay in the durable queue for the next start */
    while (!ub_list_empty(&b->jobs)) {
        struct job *j = UB_CONTAINER_OF(b->jobs.next, struct job, link);
        ub_list_remove(&j->link);
        job_free(j);
    }
    b->n_jobs = 0;
}
