/*
 * cwmp-sim: the simulated CPE's answers to ACS requests.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * One function per RPC, each taking the decoded request and returning a
 * response or a fault message built from the device's data model, as a
 * TR-069 Amendment 6 CPE would (faults of Table 18):
 *   9000 method not supported, 9002 internal error, 9003 invalid arguments,
 *   9004 resources exceeded, 9005 invalid parameter name, 9007 invalid
 *   parameter value, 9008 attempt to set a non-writable parameter,
 *   9009 notification request rejected, 9021 cancelation not permitted.
 * SetParameterValues and SetParameterAttributes are atomic: everything is
 * checked before anything changes.  Effects that happen after the session
 * (reboot, factory reset, scheduled inform, transfers) are recorded in
 * c->after for the engine.
 */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESULT 200000 /* parameters in one answer (bounded) */

static const char *fault_text(unsigned code)
{
    switch (code) {
    case 9000: return "Method not supported";
    case 9001: return "Request denied";
    case 9002: return "Internal error";
    case 9003: return "Invalid arguments";
    case 9004: return "Resources exceeded";
    case 9005: return "Invalid parameter name";
    case 9006: return "Invalid parameter type";
    case 9007: return "Invalid parameter value";
    case 9008: return "Attempt to set a non-writable parameter";
    case 9009: return "Notification request rejected";
    case 9013: return "Unsupported protocol for file transfer";
    case 9021: return "Cancelation of file transfer not permitted in current "
                      "transfer state";
    default: return "Fault";
    }
}

static struct cwmp_msg *new_msg(const struct cwmp_msg *req, enum cwmp_kind k)
{
    struct cwmp_msg *m = cwmp_msg_new(req->method, k);

    if (!m)
        return NULL;
    m->version = req->version;
    if (req->id && !(m->id = ub_strdup(req->id))) {
        cwmp_msg_free(m);
        return NULL;
    }
    return m;
}

static int fault(const struct cwmp_msg *req, unsigned code,
                 struct cwmp_msg **out)
{
    struct cwmp_msg *m = new_msg(req, CWMP_FAULT);

    if (!m)
        return UB_ENOMEM;
    m->fault.code = code;
    m->fault.server = code == 9002 || code == 9004;
    m->fault.string = ub_strdup(fault_text(code));
    if (!m->fault.string) {
        cwmp_msg_free(m);
        return UB_ENOMEM;
    }
    *out = m;
    return UB_OK;
}

static bool is_partial(const char *p)
{
    size_t n = strlen(p);
    return n == 0 || p[n - 1] == '.';
}

/* Resolves a name of a request: "" is the root. */
static const char *resolve(const struct sim_cpe *c, const char *name)
{
    return (!name || !*name) ? c->cfg->model->root : name;
}

static int set_parameter_key(struct sim_cpe *c, const char *key)
{
    char path[128];
    const struct sim_node *nd;

    snprintf(path, sizeof(path), "%sManagementServer.ParameterKey",
             c->cfg->model->root);
    nd = sim_dm_find(&c->dm, path, NULL);
    c->dirty = true;
    return nd ? sim_dm_set(&c->dm, nd, key ? key : "", true, false) : UB_OK;
}

/* ---- GetParameterValues ---- */

static int gpv(struct sim_cpe *c, const struct cwmp_msg *req,
               struct cwmp_msg **out)
{
    struct cwmp_msg *m = new_msg(req, CWMP_RESPONSE);
    size_t limit = (c->cfg->quirks & SIM_Q_GPV_9004) ? c->cfg->gpv_limit
                                                      : MAX_RESULT;
    bool over = false;
    int err = UB_OK;

    if (!m)
        return UB_ENOMEM;
    for (size_t k = 0; k < req->strv.n && !err && !over; k++) {
        const char *name = resolve(c, req->strv.v[k]);
        size_t pos;
        const struct sim_node *nd = sim_dm_find(&c->dm, name, &pos);
        char tmp[64];

        if (!nd || (is_partial(name) != !!(nd->flags & SIM_F_OBJECT))) {
            cwmp_msg_free(m);
            return fault(req, 9005, out);
        }
        if (!(nd->flags & SIM_F_OBJECT)) {
            if (m->params.n >= limit) {
                over = true;
                break;
            }
            err = ub_param_list_add(&m->params, nd->path,
                                    (nd->flags & SIM_F_SECRET)
                                        ? ""
                                        : sim_dm_value(&c->dm, nd, tmp, sizeof(tmp)),
                                    (enum ub_type)nd->type);
            continue;
        }
        for (size_t i = pos; i < c->dm.n && !err; i++) {
            const struct sim_node *x = sim_dm_at(&c->dm, i);
            if (strncmp(x->path, name, strlen(name)) != 0)
                break;
            if (x->flags & SIM_F_OBJECT)
                continue;
            if (m->params.n >= limit) {
                over = true;
                break;
            }
            err = ub_param_list_add(&m->params, x->path,
                                    (x->flags & SIM_F_SECRET)
                                        ? ""
                                        : sim_dm_value(&c->dm, x, tmp, sizeof(tmp)),
                                    (enum ub_type)x->type);
        }
    }
    if (over) {
        /* the gpv-9004 quirk (or the hard bound): too much at once */
        cwmp_msg_free(m);
        return fault(req, 9004, out);
    }
    if (err) {
        cwmp_msg_free(m);
        return err == UB_ETOOBIG ? fault(req, 9004, out) : err;
    }
    *out = m;
    return UB_OK;
}

/* ---- SetParameterValues ---- */

static int spv_fault_add(struct cwmp_fault *f, const char *name, unsigned code)
{
    struct cwmp_spv_fault *v = ub_realloc(f->spv, (f->n_spv + 1) * sizeof(*v));

    if (!v)
        return UB_ENOMEM;
    f->spv = v;
    v = &f->spv[f->n_spv];
    v->code = code;
    v->name = ub_strdup(name ? name : "");
    v->string = ub_strdup(fault_text(code));
    f->n_spv++;
    return v->name && v->string ? UB_OK : UB_ENOMEM;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int spv(struct sim_cpe *c, const struct cwmp_msg *req,
               struct cwmp_msg **out)
{
    const struct ub_param_list *pl = &req->params;
    struct cwmp_msg *m;
    bool spv0 = c->cfg->quirks & SIM_Q_SPV_ALWAYS_0;
    int err;

    if (pl->n == 0)
        return fault(req, 9003, out);
    m = new_msg(req, CWMP_FAULT);
    if (!m)
        return UB_ENOMEM;
    for (size_t i = 0; i < pl->n; i++) {
        const struct ub_param *p = &pl->v[i];
        const struct sim_node *nd = p->path ? sim_dm_find(&c->dm, p->path, NULL)
                                            : NULL;
        unsigned code = 0;

        if (!nd || (nd->flags & SIM_F_OBJECT))
            code = 9005;
        else if (!(nd->flags & SIM_F_WRITABLE) && !spv0)
            code = 9008;
        else if (ub_value_check((enum ub_type)nd->type,
                                p->value ? p->value : "") != UB_OK)
            code = 9007;
        /* the same name twice is an invalid argument */
        for (size_t k = 0; !code && k < i && pl->n <= 4096; k++)
            if (pl->v[k].path && strcmp(pl->v[k].path, p->path) == 0)
                code = 9003;
        if (code) {
            err = spv_fault_add(&m->fault, p->path, code);
            if (err) {
                cwmp_msg_free(m);
                return err;
            }
        }
    }
    if (m->fault.n_spv) {
        m->fault.code = 9003;
        m->fault.string = ub_strdup(fault_text(9003));
        *out = m;
        return m->fault.string ? UB_OK : UB_ENOMEM;
    }
    cwmp_msg_free(m);
    /* all checked: apply */
    for (size_t i = 0; i < pl->n; i++) {
        const struct ub_param *p = &pl->v[i];
        const struct sim_node *nd = sim_dm_find(&c->dm, p->path, NULL);
        char cur[1024];
        char tmp[64];

        if (!(nd->flags & SIM_F_WRITABLE))
            continue; /* spv-always-0: claims success, changes nothing */
        sim_strlcpy(cur, sim_dm_value(&c->dm, nd, tmp, sizeof(tmp)), sizeof(cur));
        err = sim_dm_set(&c->dm, nd, p->value ? p->value : "", true, false);
        if (err)
            return err;
        if (ends_with(nd->path, "ManagementServer.PeriodicInformInterval") ||
            ends_with(nd->path, "ManagementServer.PeriodicInformEnable"))
            c->after |= SIM_AFTER_PERIODIC;
        if (strcmp(nd->path + strlen(c->cfg->model->root),
                   "ManagementServer.URL") == 0 &&
            strcmp(cur, p->value ? p->value : "") != 0)
            c->after |= SIM_AFTER_ACS_CHANGE;
    }
    if (set_parameter_key(c, req->parameter_key))
        return UB_ENOMEM;
    m = new_msg(req, CWMP_RESPONSE);
    if (!m)
        return UB_ENOMEM;
    m->status = 0;
    *out = m;
    return UB_OK;
}

/* ---- GetParameterNames ---- */

static bool object_writable(const struct sim_node *nd)
{
    /* a table: AddObject allowed; an instance: DeleteObject allowed */
    return (nd->flags & (SIM_F_TABLE | SIM_F_INSTANCE)) &&
           (nd->flags & SIM_F_WRITABLE);
}

static int gpn_add(struct cwmp_msg *m, const struct sim_node *nd)
{
    struct ub_param *p;
    int err = ub_param_list_push(&m->params, &p);

    if (err)
        return err;
    p->path = ub_strdup(nd->path);
    if (!p->path)
        return UB_ENOMEM;
    p->type = (enum ub_type)nd->type;
    p->writable = (nd->flags & SIM_F_OBJECT) ? object_writable(nd)
                                             : !!(nd->flags & SIM_F_WRITABLE);
    return UB_OK;
}

static int gpn(struct sim_cpe *c, const struct cwmp_msg *req,
               struct cwmp_msg **out)
{
    const char *path = req->path ? req->path : "";
    struct cwmp_msg *m;
    const struct sim_node *nd;
    size_t pos, plen;
    int err = UB_OK;

    if (!*path && req->next_level) {
        /* TR-069: the empty path with NextLevel lists the root object */
        nd = sim_dm_find(&c->dm, c->cfg->model->root, NULL);
        m = new_msg(req, CWMP_RESPONSE);
        if (!m)
            return UB_ENOMEM;
        err = gpn_add(m, nd);
        goto done;
    }
    path = resolve(c, path);
    nd = sim_dm_find(&c->dm, path, &pos);
    if (!nd || is_partial(path) != !!(nd->flags & SIM_F_OBJECT))
        return fault(req, 9005, out);
    if (!(nd->flags & SIM_F_OBJECT) && req->next_level)
        return fault(req, 9003, out);
    m = new_msg(req, CWMP_RESPONSE);
    if (!m)
        return UB_ENOMEM;
    if (!(nd->flags & SIM_F_OBJECT)) {
        err = gpn_add(m, nd);
        goto done;
    }
    plen = strlen(path);
    for (size_t i = pos; i < c->dm.n && !err; i++) {
        const struct sim_node *x = sim_dm_at(&c->dm, i);
        if (strncmp(x->path, path, plen) != 0)
            break;
        if (req->next_level) {
            const char *rest = x->path + plen;
            const char *dot = strchr(rest, '.');
            /* direct children only: "Name" or "Name." */
            if (!*rest || (dot && dot[1] != 0))
                continue;
        }
        if (m->params.n >= MAX_RESULT) {
            cwmp_msg_free(m);
            return fault(req, 9004, out);
        }
        err = gpn_add(m, x);
    }
done:
    if (err) {
        cwmp_msg_free(m);
        return err;
    }
    *out = m;
    return UB_OK;
}

/* ---- Get/SetParameterAttributes ---- */

static int gpa(struct sim_cpe *c, const struct cwmp_msg *req,
               struct cwmp_msg **out)
{
    struct cwmp_msg *m;
    size_t n = 0, k = 0;

    /* count first (and validate) */
    for (size_t i = 0; i < req->strv.n; i++) {
        const char *name = resolve(c, req->strv.v[i]);
        size_t pos;
        const struct sim_node *nd = sim_dm_find(&c->dm, name, &pos);

        if (!nd || is_partial(name) != !!(nd->flags & SIM_F_OBJECT))
            return fault(req, 9005, out);
        for (size_t j = pos; j < c->dm.n; j++) {
            const struct sim_node *x = sim_dm_at(&c->dm, j);
            if (strncmp(x->path, name, strlen(name)) != 0)
                break;
            if (!(x->flags & SIM_F_OBJECT))
                n++;
            if (!(nd->flags & SIM_F_OBJECT))
                break;
        }
    }
    if (n > MAX_RESULT)
        return fault(req, 9004, out);
    m = new_msg(req, CWMP_RESPONSE);
    if (!m)
        return UB_ENOMEM;
    m->attrs = ub_calloc(n ? n : 1, sizeof(*m->attrs));
    if (!m->attrs) {
        cwmp_msg_free(m);
        return UB_ENOMEM;
    }
    for (size_t i = 0; i < req->strv.n; i++) {
        const char *name = resolve(c, req->strv.v[i]);
        size_t pos;
        const struct sim_node *nd = sim_dm_find(&c->dm, name, &pos);

        for (size_t j = pos; j < c->dm.n && k < n; j++) {
            const struct sim_node *x = sim_dm_at(&c->dm, j);
            struct cwmp_attr *a;
            if (strncmp(x->path, name, strlen(name)) != 0)
                break;
            if (x->flags & SIM_F_OBJECT)
                continue;
            a = &m->attrs[k++];
            m->n_attrs = k;
            ub_strv_init(&a->access_list, 16);
            a->name = ub_strdup(x->path);
            a->notification = sim_dm_notif(&c->dm, x);
            if (!a->name) {
                cwmp_msg_free(m);
                return UB_ENOMEM;
            }
            if (!(nd->flags & SIM_F_OBJECT))
                break;
        }
    }
    *out = m;
    return UB_OK;
}

static int spa(struct sim_cpe *c, const struct cwmp_msg *req,
               struct cwmp_msg **out)
{
    struct cwmp_msg *m;
    int err;

    /* validate everything first: SPA is atomic too */
    for (size_t i = 0; i < req->n_attrs; i++) {
        const struct cwmp_attr *a = &req->attrs[i];
        const char *name = resolve(c, a->name);
        const struct sim_node *nd = sim_dm_find(&c->dm, name, NULL);

        if (!nd || is_partial(name) != !!(nd->flags & SIM_F_OBJECT))
            return fault(req, 9005, out);
        if (!a->notification_change)
            continue;
        if (a->notification > 2)
            return fault(req, 9003, out);
        if (a->notification == 2 && !(nd->flags & SIM_F_OBJECT) &&
            (nd->flags & SIM_F_DENY_ACTIVE))
            return fault(req, 9009, out);
    }
    for (size_t i = 0; i < req->n_attrs; i++) {
        const struct cwmp_attr *a = &req->attrs[i];
        const char *name = resolve(c, a->name);
        size_t pos;
        const struct sim_node *nd = sim_dm_find(&c->dm, name, &pos);

        if (!a->notification_change)
            continue; /* access lists are accepted and not stored */
        for (size_t j = pos; j < c->dm.n; j++) {
            const struct sim_node *x = sim_dm_at(&c->dm, j);
            if (strncmp(x->path, name, strlen(name)) != 0)
                break;
            if (x->flags & SIM_F_OBJECT)
                continue;
            /* under a partial path, parameters that refuse active
             * notification keep their attribute */
            if (a->notification == 2 && (x->flags & SIM_F_DENY_ACTIVE))
                continue;
            err = sim_dm_set_notif(&c->dm, x, a->notification);
            if (err)
                return err;
            if (!(nd->flags & SIM_F_OBJECT))
                break;
        }
    }
    c->dirty = true;
    m = new_msg(req, CWMP_RESPONSE);
    if (!m)
        return UB_ENOMEM;
    *out = m;
    return UB_OK;
}

/* ---- Add/DeleteObject ---- */

static int add_object(struct sim_cpe *c, const struct cwmp_msg *req,
                      struct cwmp_msg **out)
{
    const char *path = req->path ? req->path : "";
    const struct sim_node *nd = sim_dm_find(&c->dm, path, NULL);
    struct cwmp_msg *m;
    unsigned inst;
    int err;

    if (!nd || !(nd->flags & SIM_F_TABLE) || !(nd->flags & SIM_F_WRITABLE))
        return fault(req, 9005, out);
    err = sim_dm_add(&c->dm, path, 0, &c->mac, &inst);
    if (err == UB_ENOTFOUND)
        return fault(req, 9005, out);
    if (err == UB_ENOMEM || err == UB_ETOOBIG)
        return fault(req, 9004, out);
    if (err)
        return fault(req, 9002, out);
    if (set_parameter_key(c, req->parameter_key))
        return UB_ENOMEM;
    m = new_msg(req, CWMP_RESPONSE);
    if (!m)
        return UB_ENOMEM;
    m->instance_number = inst;
    m->status = 0;
    *out = m;
    return UB_OK;
}

static int delete_object(struct sim_cpe *c, const struct cwmp_msg *req,
                         struct cwmp_msg **out)
{
    const char *path = req->path ? req->path : "";
    const struct sim_node *nd = sim_dm_find(&c->dm, path, NULL);
    struct cwmp_msg *m;
    int err;

    if (!nd || !(nd->flags & SIM_F_INSTANCE) || !(nd->flags & SIM_F_WRITABLE))
        return fault(req, 9005, out);
    err = sim_dm_del(&c->dm, path);
    if (err)
        return fault(req, err == UB_ENOTFOUND ? 9005 : 9002, out);
    if (set_parameter_key(c, req->parameter_key))
        return UB_ENOMEM;
    m = new_msg(req, CWMP_RESPONSE);
    if (!m)
        return UB_ENOMEM;
    m->status = 0;
    *out = m;
    return UB_OK;
}

/* ---- GetRPCMethods ---- */

static int get_rpc_methods(struct sim_cpe *c, const struct cwmp_msg *req,
                           struct cwmp_msg **out)
{
    static const enum cwmp_method supported[] = {
        CWMP_M_GET_RPC_METHODS, CWMP_M_SET_PARAMETER_VALUES,
        CWMP_M_GET_PARAMETER_VALUES, CWMP_M_GET_PARAMETER_NAMES,
        CWMP_M_SET_PARAMETER_ATTRIBUTES, CWMP_M_GET_PARAMETER_ATTRIBUTES,
        CWMP_M_ADD_OBJECT, CWMP_M_DELETE_OBJECT, CWMP_M_REBOOT,
        CWMP_M_DOWNLOAD, CWMP_M_UPLOAD, CWMP_M_FACTORY_RESET,
        CWMP_M_SCHEDULE_INFORM, CWMP_M_CANCEL_TRANSFER,
    };
    struct cwmp_msg *m = new_msg(req, CWMP_RESPONSE);

    (void)c;
    if (!m)
        return UB_ENOMEM;
    for (size_t i = 0; i < UB_ARRAY_LEN(supported); i++) {
        if (ub_strv_add(&m->strv, cwmp_method_name(supported[i]))) {
            cwmp_msg_free(m);
            return UB_ENOMEM;
        }
    }
    *out = m;
    return UB_OK;
}

/* ---- Reboot, FactoryReset, ScheduleInform ---- */

static int empty_response(const struct cwmp_msg *req, struct cwmp_msg **out)
{
    struct cwmp_msg *m = new_msg(req, CWMP_RESPONSE);

    if (!m)
        return UB_ENOMEM;
    *out = m;
    return UB_OK;
}

static int reboot(struct sim_cpe *c, const struct cwmp_msg *req,
                  struct cwmp_msg **out)
{
    c->after |= SIM_AFTER_REBOOT;
    sim_strlcpy(c->reboot_key, req->command_key, sizeof(c->reboot_key));
    return empty_response(req, out);
}

static int factory_reset(struct sim_cpe *c, const struct cwmp_msg *req,
                         struct cwmp_msg **out)
{
    c->after |= SIM_AFTER_FACTORY_RESET;
    return empty_response(req, out);
}

static int schedule_inform(struct sim_cpe *c, const struct cwmp_msg *req,
                           struct cwmp_msg **out)
{
    if (req->delay_seconds == 0)
        return fault(req, 9003, out);
    c->after |= SIM_AFTER_SCHEDULE_INFORM;
    c->sched_delay = req->delay_seconds;
    sim_strlcpy(c->sched_key, req->command_key, sizeof(c->sched_key));
    return empty_response(req, out);
}

/* ---- Download, Upload, CancelTransfer ---- */

static int transfer(struct sim_cpe *c, const struct cwmp_msg *req,
                    struct cwmp_msg **out)
{
    const struct cwmp_transfer *rt = &req->transfer;
    struct sim_transfer *t = NULL;
    struct cwmp_msg *m;
    static const char never[] = "0001-01-01T00:00:00Z";

    if (!rt->url || !*rt->url || !rt->file_type || !*rt->file_type)
        return fault(req, 9003, out);
    if (strncmp(rt->url, "http://", 7) != 0 &&
        strncmp(rt->url, "https://", 8) != 0 &&
        strncmp(rt->url, "ftp://", 6) != 0)
        return fault(req, 9013, out);
    for (size_t i = 0; i < SIM_MAX_TRANSFERS && !t; i++)
        if (!c->xfer[i].used)
            t = &c->xfer[i];
    /* Exit if the transfer queue is full. */
    if (!t)
        return fault(req, 9004, out);
    memset(t, 0, sizeof(*t));
    t->used = true;
    t->download = req->method == CWMP_M_DOWNLOAD;
    sim_strlcpy(t->key, rt->command_key, sizeof(t->key));
    sim_strlcpy(t->file_type, rt->file_type, sizeof(t->file_type));
    t->due_ms = ub_now_ms() + 1000ull * (rt->delay_seconds + c->cfg->transfer_s);
    ub_time_iso8601(ub_wall_s() + (int64_t)rt->delay_seconds, t->start,
                    sizeof(t->start));
    c->after |= SIM_AFTER_TRANSFER;
    c->dirty = true;
    m = new_msg(req, CWMP_RESPONSE);
    if (!m)
        return UB_ENOMEM;
    m->transfer.status = 1; /* not yet completed: TransferComplete follows */
    m->status = 1;
    m->transfer.start_time = ub_strdup(never);
    m->transfer.complete_time = ub_strdup(never);
    if (!m->transfer.start_time || !m->transfer.complete_time) {
        cwmp_msg_free(m);
        return UB_ENOMEM;
    }
    *out = m;
    return UB_OK;
}

static int cancel_transfer(struct sim_cpe *c, const struct cwmp_msg *req,
                           struct cwmp_msg **out)
{
    const char *key = req->command_key ? req->command_key : "";

    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++) {
        struct sim_transfer *t = &c->xfer[i];
        if (!t->used || strcmp(t->key, key) != 0)
            continue;
        if (t->complete)
            return fault(req, 9021, out);
        memset(t, 0, sizeof(*t));
        c->dirty = true;
        return empty_response(req, out);
    }
    return fault(req, 9003, out);
}

int sim_cpe_handle(struct sim_cpe *c, const struct cwmp_msg *req,
                   struct cwmp_msg **out)
{
    if (req->kind != CWMP_REQUEST)
        return fault(req, 9003, out);
    switch (req->method) {
    case CWMP_M_GET_RPC_METHODS: return get_rpc_methods(c, req, out);
    case CWMP_M_GET_PARAMETER_VALUES: return gpv(c, req, out);
    case CWMP_M_SET_PARAMETER_VALUES: return spv(c, req, out);
    case CWMP_M_GET_PARAMETER_NAMES: return gpn(c, req, out);
    case CWMP_M_GET_PARAMETER_ATTRIBUTES: return gpa(c, req, out);
    case CWMP_M_SET_PARAMETER_ATTRIBUTES: return spa(c, req, out);
    case CWMP_M_ADD_OBJECT: return add_object(c, req, out);
    case CWMP_M_DELETE_OBJECT: return delete_object(c, req, out);
    case CWMP_M_REBOOT: return reboot(c, req, out);
    case CWMP_M_FACTORY_RESET: return factory_reset(c, req, out);
    case CWMP_M_SCHEDULE_INFORM: return schedule_inform(c, req, out);
    case CWMP_M_DOWNLOAD:
    case CWMP_M_UPLOAD: return transfer(c, req, out);
    case CWMP_M_CANCEL_TRANSFER: return cancel_transfer(c, req, out);
    default: return fault(req, 9000, out);
    }
}
