/*
 * USP Msg encoding: neutral struct usp_msg -> protobuf-c tree -> bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * The protobuf-c structs are built in a temporary arena (one free at the
 * end, whatever happens), initialised from their descriptors, and point at
 * the caller's strings (no copies).  NULL strings become "", an array with
 * a count but no pointer is UB_EINVAL.  The same tree feeds the text
 * printer (usp_msg_print), so the printed form is exactly what goes on the
 * wire.
 */
#include "usp_int.h"

#include <string.h>

#define S(x) ((char *)USP__STR(x))

#define PB_NEW(a, var, desc)                                                   \
    do {                                                                       \
        (var) = usp__arena_alloc((a), (desc).sizeof_message);                  \
        if (!(var))                                                            \
            return UB_ENOMEM;                                                  \
        protobuf_c_message_init(&(desc), (var));                               \
    } while (0)

#define PB_ARR(a, var, n)                                                      \
    do {                                                                       \
        (var) = usp__arena_calloc((a), (n) ? (n) : 1, sizeof(*(var)));         \
        if (!(var))                                                            \
            return UB_ENOMEM;                                                  \
    } while (0)

#define CHECK_ARR(src, n)                                                      \
    do {                                                                       \
        if ((n) && !(src))                                                     \
            return UB_EINVAL;                                                  \
    } while (0)

#define KV_ENC(a, desc, dst, ndst, src, nsrc)                                  \
    do {                                                                       \
        CHECK_ARR(src, nsrc);                                                  \
        PB_ARR(a, dst, nsrc);                                                  \
        for (size_t k_ = 0; k_ < (nsrc); k_++) {                               \
            PB_NEW(a, (dst)[k_], desc);                                        \
            (dst)[k_]->key = S((src)[k_].key);                                 \
            (dst)[k_]->value = S((src)[k_].value);                             \
        }                                                                      \
        (ndst) = (nsrc);                                                       \
    } while (0)

#define STRV_ENC(a, dst, ndst, src, nsrc)                                      \
    do {                                                                       \
        CHECK_ARR(src, nsrc);                                                  \
        PB_ARR(a, dst, nsrc);                                                  \
        for (size_t k_ = 0; k_ < (nsrc); k_++)                                 \
            (dst)[k_] = S((src)[k_]);                                          \
        (ndst) = (nsrc);                                                       \
    } while (0)

#define PERR_ENC(a, desc, dst, ndst, src, nsrc, pathfield)                     \
    do {                                                                       \
        CHECK_ARR(src, nsrc);                                                  \
        PB_ARR(a, dst, nsrc);                                                  \
        for (size_t k_ = 0; k_ < (nsrc); k_++) {                               \
            PB_NEW(a, (dst)[k_], desc);                                        \
            (dst)[k_]->pathfield = S((src)[k_].path);                          \
            (dst)[k_]->err_code = (src)[k_].err_code;                          \
            (dst)[k_]->err_msg = S((src)[k_].err_msg);                         \
        }                                                                      \
        (ndst) = (nsrc);                                                       \
    } while (0)

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

static int enc_set(struct usp__arena *a, const struct usp_set *s,
                   Usp__Set **out)
{
    Usp__Set *pb;
    PB_NEW(a, pb, usp__set__descriptor);
    pb->allow_partial = s->allow_partial;
    CHECK_ARR(s->objs, s->n_objs);
    PB_ARR(a, pb->update_objs, s->n_objs);
    pb->n_update_objs = s->n_objs;
    for (size_t i = 0; i < s->n_objs; i++) {
        const struct usp_obj_settings *o = &s->objs[i];
        Usp__Set__UpdateObject *u;
        PB_NEW(a, u, usp__set__update_object__descriptor);
        u->obj_path = S(o->obj_path);
        CHECK_ARR(o->params, o->n_params);
        PB_ARR(a, u->param_settings, o->n_params);
        u->n_param_settings = o->n_params;
        for (size_t j = 0; j < o->n_params; j++) {
            Usp__Set__UpdateParamSetting *p;
            PB_NEW(a, p, usp__set__update_param_setting__descriptor);
            p->param = S(o->params[j].param);
            p->value = S(o->params[j].value);
            p->required = o->params[j].required;
            u->param_settings[j] = p;
        }
        pb->update_objs[i] = u;
    }
    *out = pb;
    return UB_OK;
}

static int enc_add(struct usp__arena *a, const struct usp_add *s,
                   Usp__Add **out)
{
    Usp__Add *pb;
    PB_NEW(a, pb, usp__add__descriptor);
    pb->allow_partial = s->allow_partial;
    CHECK_ARR(s->objs, s->n_objs);
    PB_ARR(a, pb->create_objs, s->n_objs);
    pb->n_create_objs = s->n_objs;
    for (size_t i = 0; i < s->n_objs; i++) {
        const struct usp_obj_settings *o = &s->objs[i];
        Usp__Add__CreateObject *c;
        PB_NEW(a, c, usp__add__create_object__descriptor);
        c->obj_path = S(o->obj_path);
        CHECK_ARR(o->params, o->n_params);
        PB_ARR(a, c->param_settings, o->n_params);
        c->n_param_settings = o->n_params;
        for (size_t j = 0; j < o->n_params; j++) {
            Usp__Add__CreateParamSetting *p;
            PB_NEW(a, p, usp__add__create_param_setting__descriptor);
            p->param = S(o->params[j].param);
            p->value = S(o->params[j].value);
            p->required = o->params[j].required;
            c->param_settings[j] = p;
        }
        pb->create_objs[i] = c;
    }
    *out = pb;
    return UB_OK;
}

static int enc_notify(struct usp__arena *a, const struct usp_notify *n,
                      Usp__Notify **out)
{
    Usp__Notify *pb;
    PB_NEW(a, pb, usp__notify__descriptor);
    pb->subscription_id = S(n->subscription_id);
    pb->send_resp = n->send_resp;
    switch (n->kind) {
    case USP_NOTIF_NONE:
        break;
    case USP_NOTIF_EVENT: {
        Usp__Notify__Event *e;
        PB_NEW(a, e, usp__notify__event__descriptor);
        e->obj_path = S(n->event.obj_path);
        e->event_name = S(n->event.event_name);
        KV_ENC(a, usp__notify__event__params_entry__descriptor, e->params,
               e->n_params, n->event.params, n->event.n_params);
        pb->notification_case = USP__NOTIFY__NOTIFICATION_EVENT;
        pb->event = e;
        break;
    }
    case USP_NOTIF_VALUE_CHANGE: {
        Usp__Notify__ValueChange *v;
        PB_NEW(a, v, usp__notify__value_change__descriptor);
        v->param_path = S(n->value_change.param_path);
        v->param_value = S(n->value_change.param_value);
        pb->notification_case = USP__NOTIFY__NOTIFICATION_VALUE_CHANGE;
        pb->value_change = v;
        break;
    }
    case USP_NOTIF_OBJ_CREATION: {
        Usp__Notify__ObjectCreation *c;
        PB_NEW(a, c, usp__notify__object_creation__descriptor);
        c->obj_path = S(n->obj_creation.obj_path);
        KV_ENC(a, usp__notify__object_creation__unique_keys_entry__descriptor,
               c->unique_keys, c->n_unique_keys, n->obj_creation.unique_keys,
               n->obj_creation.n_unique_keys);
        pb->notification_case = USP__NOTIFY__NOTIFICATION_OBJ_CREATION;
        pb->obj_creation = c;
        break;
    }
    case USP_NOTIF_OBJ_DELETION: {
        Usp__Notify__ObjectDeletion *d;
        PB_NEW(a, d, usp__notify__object_deletion__descriptor);
        d->obj_path = S(n->obj_deletion.obj_path);
        pb->notification_case = USP__NOTIFY__NOTIFICATION_OBJ_DELETION;
        pb->obj_deletion = d;
        break;
    }
    case USP_NOTIF_OPER_COMPLETE: {
        Usp__Notify__OperationComplete *oc;
        PB_NEW(a, oc, usp__notify__operation_complete__descriptor);
        oc->obj_path = S(n->oper_complete.obj_path);
        oc->command_name = S(n->oper_complete.command_name);
        oc->command_key = S(n->oper_complete.command_key);
        if (n->oper_complete.outcome == USP_OPER_OUTPUT_ARGS) {
            Usp__Notify__OperationComplete__OutputArgs *oa;
            PB_NEW(a, oa,
                   usp__notify__operation_complete__output_args__descriptor);
            KV_ENC(a,
                   usp__notify__operation_complete__output_args__output_args_entry__descriptor,
                   oa->output_args, oa->n_output_args,
                   n->oper_complete.output_args,
                   n->oper_complete.n_output_args);
            oc->operation_resp_case =
                USP__NOTIFY__OPERATION_COMPLETE__OPERATION_RESP_REQ_OUTPUT_ARGS;
            oc->req_output_args = oa;
        } else if (n->oper_complete.outcome == USP_OPER_FAILURE) {
            Usp__Notify__OperationComplete__CommandFailure *cf;
            PB_NEW(a, cf,
                   usp__notify__operation_complete__command_failure__descriptor);
            cf->err_code = n->oper_complete.err_code;
            cf->err_msg = S(n->oper_complete.err_msg);
            oc->operation_resp_case =
                USP__NOTIFY__OPERATION_COMPLETE__OPERATION_RESP_CMD_FAILURE;
            oc->cmd_failure = cf;
        } else if (n->oper_complete.outcome != USP_OPER_NONE) {
            return UB_EINVAL;
        }
        pb->notification_case = USP__NOTIFY__NOTIFICATION_OPER_COMPLETE;
        pb->oper_complete = oc;
        break;
    }
    case USP_NOTIF_ON_BOARD_REQ: {
        Usp__Notify__OnBoardRequest *ob;
        PB_NEW(a, ob, usp__notify__on_board_request__descriptor);
        ob->oui = S(n->on_board_req.oui);
        ob->product_class = S(n->on_board_req.product_class);
        ob->serial_number = S(n->on_board_req.serial_number);
        ob->agent_supported_protocol_versions =
            S(n->on_board_req.agent_supported_protocol_versions);
        pb->notification_case = USP__NOTIFY__NOTIFICATION_ON_BOARD_REQ;
        pb->on_board_req = ob;
        break;
    }
    default:
        return UB_EINVAL;
    }
    *out = pb;
    return UB_OK;
}

static int enc_request(struct usp__arena *a, const struct usp_msg *m,
                       Usp__Request **out)
{
    Usp__Request *rq;
    int err = UB_OK;

    PB_NEW(a, rq, usp__request__descriptor);
    switch (m->type) {
    case USP_MSG_GET: {
        Usp__Get *g;
        PB_NEW(a, g, usp__get__descriptor);
        STRV_ENC(a, g->param_paths, g->n_param_paths, m->get.paths,
                 m->get.n_paths);
        g->max_depth = m->get.max_depth;
        rq->req_type_case = USP__REQUEST__REQ_TYPE_GET;
        rq->get = g;
        break;
    }
    case USP_MSG_GET_SUPPORTED_DM: {
        Usp__GetSupportedDM *g;
        PB_NEW(a, g, usp__get_supported_dm__descriptor);
        STRV_ENC(a, g->obj_paths, g->n_obj_paths, m->gsdm.obj_paths,
                 m->gsdm.n_obj_paths);
        g->first_level_only = m->gsdm.first_level_only;
        g->return_commands = m->gsdm.return_commands;
        g->return_events = m->gsdm.return_events;
        g->return_params = m->gsdm.return_params;
        g->return_unique_key_sets = m->gsdm.return_unique_key_sets;
        rq->req_type_case = USP__REQUEST__REQ_TYPE_GET_SUPPORTED_DM;
        rq->get_supported_dm = g;
        break;
    }
    case USP_MSG_GET_INSTANCES: {
        Usp__GetInstances *g;
        PB_NEW(a, g, usp__get_instances__descriptor);
        STRV_ENC(a, g->obj_paths, g->n_obj_paths, m->get_instances.obj_paths,
                 m->get_instances.n_obj_paths);
        g->first_level_only = m->get_instances.first_level_only;
        rq->req_type_case = USP__REQUEST__REQ_TYPE_GET_INSTANCES;
        rq->get_instances = g;
        break;
    }
    case USP_MSG_SET:
        err = enc_set(a, &m->set, &rq->set);
        rq->req_type_case = USP__REQUEST__REQ_TYPE_SET;
        break;
    case USP_MSG_ADD:
        err = enc_add(a, &m->add, &rq->add);
        rq->req_type_case = USP__REQUEST__REQ_TYPE_ADD;
        break;
    case USP_MSG_DELETE: {
        Usp__Delete *d;
        PB_NEW(a, d, usp__delete__descriptor);
        d->allow_partial = m->del.allow_partial;
        STRV_ENC(a, d->obj_paths, d->n_obj_paths, m->del.paths,
                 m->del.n_paths);
        rq->req_type_case = USP__REQUEST__REQ_TYPE_DELETE;
        rq->delete_ = d;
        break;
    }
    case USP_MSG_OPERATE: {
        Usp__Operate *o;
        PB_NEW(a, o, usp__operate__descriptor);
        o->command = S(m->operate.command);
        o->command_key = S(m->operate.command_key);
        o->send_resp = m->operate.send_resp;
        KV_ENC(a, usp__operate__input_args_entry__descriptor, o->input_args,
               o->n_input_args, m->operate.input_args,
               m->operate.n_input_args);
        rq->req_type_case = USP__REQUEST__REQ_TYPE_OPERATE;
        rq->operate = o;
        break;
    }
    case USP_MSG_NOTIFY:
        err = enc_notify(a, &m->notify, &rq->notify);
        rq->req_type_case = USP__REQUEST__REQ_TYPE_NOTIFY;
        break;
    case USP_MSG_GET_SUPPORTED_PROTO: {
        Usp__GetSupportedProtocol *g;
        PB_NEW(a, g, usp__get_supported_protocol__descriptor);
        g->controller_supported_protocol_versions = S(m->gsp.versions);
        rq->req_type_case = USP__REQUEST__REQ_TYPE_GET_SUPPORTED_PROTOCOL;
        rq->get_supported_protocol = g;
        break;
    }
    case USP_MSG_REGISTER: {
        Usp__Register *r;
        PB_NEW(a, r, usp__register__descriptor);
        r->allow_partial = m->reg.allow_partial;
        CHECK_ARR(m->reg.paths, m->reg.n_paths);
        PB_ARR(a, r->reg_paths, m->reg.n_paths);
        r->n_reg_paths = m->reg.n_paths;
        for (size_t i = 0; i < m->reg.n_paths; i++) {
            PB_NEW(a, r->reg_paths[i],
                   usp__register__registration_path__descriptor);
            r->reg_paths[i]->path = S(m->reg.paths[i]);
        }
        rq->req_type_case = USP__REQUEST__REQ_TYPE_REGISTER;
        rq->register_ = r;
        break;
    }
    case USP_MSG_DEREGISTER: {
        Usp__Deregister *d;
        PB_NEW(a, d, usp__deregister__descriptor);
        STRV_ENC(a, d->paths, d->n_paths, m->dereg.paths, m->dereg.n_paths);
        rq->req_type_case = USP__REQUEST__REQ_TYPE_DEREGISTER;
        rq->deregister = d;
        break;
    }
    default:
        return UB_EINVAL;
    }
    if (err)
        return err;
    *out = rq;
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */
/* ------------------------------------------------------------------ */

static int enc_get_resp(struct usp__arena *a, const struct usp_get_resp *r,
                        Usp__GetResp **out)
{
    Usp__GetResp *pb;
    PB_NEW(a, pb, usp__get_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->req_path_results, r->n_results);
    pb->n_req_path_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_get_result *g = &r->results[i];
        Usp__GetResp__RequestedPathResult *q;
        PB_NEW(a, q, usp__get_resp__requested_path_result__descriptor);
        q->requested_path = S(g->requested_path);
        q->err_code = g->err_code;
        q->err_msg = S(g->err_msg);
        CHECK_ARR(g->resolved, g->n_resolved);
        PB_ARR(a, q->resolved_path_results, g->n_resolved);
        q->n_resolved_path_results = g->n_resolved;
        for (size_t j = 0; j < g->n_resolved; j++) {
            Usp__GetResp__ResolvedPathResult *rp;
            PB_NEW(a, rp, usp__get_resp__resolved_path_result__descriptor);
            rp->resolved_path = S(g->resolved[j].path);
            KV_ENC(a,
                   usp__get_resp__resolved_path_result__result_params_entry__descriptor,
                   rp->result_params, rp->n_result_params,
                   g->resolved[j].params, g->resolved[j].n_params);
            q->resolved_path_results[j] = rp;
        }
        pb->req_path_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_set_resp(struct usp__arena *a, const struct usp_set_resp *r,
                        Usp__SetResp **out)
{
    Usp__SetResp *pb;
    PB_NEW(a, pb, usp__set_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->updated_obj_results, r->n_results);
    pb->n_updated_obj_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_set_result *s = &r->results[i];
        Usp__SetResp__UpdatedObjectResult *q;
        Usp__SetResp__UpdatedObjectResult__OperationStatus *st;
        PB_NEW(a, q, usp__set_resp__updated_object_result__descriptor);
        PB_NEW(a, st,
               usp__set_resp__updated_object_result__operation_status__descriptor);
        q->requested_path = S(s->requested_path);
        q->oper_status = st;
        CHECK_ARR(s->insts, s->n_insts);
        if (s->success) {
            Usp__SetResp__UpdatedObjectResult__OperationStatus__OperationSuccess
                *ok;
            PB_NEW(a, ok,
                   usp__set_resp__updated_object_result__operation_status__operation_success__descriptor);
            PB_ARR(a, ok->updated_inst_results, s->n_insts);
            ok->n_updated_inst_results = s->n_insts;
            for (size_t j = 0; j < s->n_insts; j++) {
                const struct usp_updated_inst *in = &s->insts[j];
                Usp__SetResp__UpdatedInstanceResult *u;
                PB_NEW(a, u, usp__set_resp__updated_instance_result__descriptor);
                u->affected_path = S(in->affected_path);
                PERR_ENC(a, usp__set_resp__parameter_error__descriptor,
                         u->param_errs, u->n_param_errs, in->param_errs,
                         in->n_param_errs, param);
                KV_ENC(a,
                       usp__set_resp__updated_instance_result__updated_params_entry__descriptor,
                       u->updated_params, u->n_updated_params,
                       in->updated_params, in->n_updated_params);
                ok->updated_inst_results[j] = u;
            }
            st->oper_status_case =
                USP__SET_RESP__UPDATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS;
            st->oper_success = ok;
        } else {
            Usp__SetResp__UpdatedObjectResult__OperationStatus__OperationFailure
                *ko;
            PB_NEW(a, ko,
                   usp__set_resp__updated_object_result__operation_status__operation_failure__descriptor);
            ko->err_code = s->err_code;
            ko->err_msg = S(s->err_msg);
            PB_ARR(a, ko->updated_inst_failures, s->n_insts);
            ko->n_updated_inst_failures = s->n_insts;
            for (size_t j = 0; j < s->n_insts; j++) {
                const struct usp_updated_inst *in = &s->insts[j];
                Usp__SetResp__UpdatedInstanceFailure *u;
                PB_NEW(a, u,
                       usp__set_resp__updated_instance_failure__descriptor);
                u->affected_path = S(in->affected_path);
                PERR_ENC(a, usp__set_resp__parameter_error__descriptor,
                         u->param_errs, u->n_param_errs, in->param_errs,
                         in->n_param_errs, param);
                ko->updated_inst_failures[j] = u;
            }
            st->oper_status_case =
                USP__SET_RESP__UPDATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE;
            st->oper_failure = ko;
        }
        pb->updated_obj_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_add_resp(struct usp__arena *a, const struct usp_add_resp *r,
                        Usp__AddResp **out)
{
    Usp__AddResp *pb;
    PB_NEW(a, pb, usp__add_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->created_obj_results, r->n_results);
    pb->n_created_obj_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_add_result *s = &r->results[i];
        Usp__AddResp__CreatedObjectResult *q;
        Usp__AddResp__CreatedObjectResult__OperationStatus *st;
        PB_NEW(a, q, usp__add_resp__created_object_result__descriptor);
        PB_NEW(a, st,
               usp__add_resp__created_object_result__operation_status__descriptor);
        q->requested_path = S(s->requested_path);
        q->oper_status = st;
        if (s->success) {
            Usp__AddResp__CreatedObjectResult__OperationStatus__OperationSuccess
                *ok;
            PB_NEW(a, ok,
                   usp__add_resp__created_object_result__operation_status__operation_success__descriptor);
            ok->instantiated_path = S(s->instantiated_path);
            PERR_ENC(a, usp__add_resp__parameter_error__descriptor,
                     ok->param_errs, ok->n_param_errs, s->param_errs,
                     s->n_param_errs, param);
            KV_ENC(a,
                   usp__add_resp__created_object_result__operation_status__operation_success__unique_keys_entry__descriptor,
                   ok->unique_keys, ok->n_unique_keys, s->unique_keys,
                   s->n_unique_keys);
            st->oper_status_case =
                USP__ADD_RESP__CREATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS;
            st->oper_success = ok;
        } else {
            Usp__AddResp__CreatedObjectResult__OperationStatus__OperationFailure
                *ko;
            PB_NEW(a, ko,
                   usp__add_resp__created_object_result__operation_status__operation_failure__descriptor);
            ko->err_code = s->err_code;
            ko->err_msg = S(s->err_msg);
            st->oper_status_case =
                USP__ADD_RESP__CREATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE;
            st->oper_failure = ko;
        }
        pb->created_obj_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_delete_resp(struct usp__arena *a,
                           const struct usp_delete_resp *r,
                           Usp__DeleteResp **out)
{
    Usp__DeleteResp *pb;
    PB_NEW(a, pb, usp__delete_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->deleted_obj_results, r->n_results);
    pb->n_deleted_obj_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_delete_result *s = &r->results[i];
        Usp__DeleteResp__DeletedObjectResult *q;
        Usp__DeleteResp__DeletedObjectResult__OperationStatus *st;
        PB_NEW(a, q, usp__delete_resp__deleted_object_result__descriptor);
        PB_NEW(a, st,
               usp__delete_resp__deleted_object_result__operation_status__descriptor);
        q->requested_path = S(s->requested_path);
        q->oper_status = st;
        if (s->success) {
            Usp__DeleteResp__DeletedObjectResult__OperationStatus__OperationSuccess
                *ok;
            PB_NEW(a, ok,
                   usp__delete_resp__deleted_object_result__operation_status__operation_success__descriptor);
            STRV_ENC(a, ok->affected_paths, ok->n_affected_paths, s->affected,
                     s->n_affected);
            PERR_ENC(a, usp__delete_resp__unaffected_path_error__descriptor,
                     ok->unaffected_path_errs, ok->n_unaffected_path_errs,
                     s->unaffected, s->n_unaffected, unaffected_path);
            st->oper_status_case =
                USP__DELETE_RESP__DELETED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS;
            st->oper_success = ok;
        } else {
            Usp__DeleteResp__DeletedObjectResult__OperationStatus__OperationFailure
                *ko;
            PB_NEW(a, ko,
                   usp__delete_resp__deleted_object_result__operation_status__operation_failure__descriptor);
            ko->err_code = s->err_code;
            ko->err_msg = S(s->err_msg);
            st->oper_status_case =
                USP__DELETE_RESP__DELETED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE;
            st->oper_failure = ko;
        }
        pb->deleted_obj_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_operate_resp(struct usp__arena *a,
                            const struct usp_operate_resp *r,
                            Usp__OperateResp **out)
{
    Usp__OperateResp *pb;
    PB_NEW(a, pb, usp__operate_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->operation_results, r->n_results);
    pb->n_operation_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_oper_result *o = &r->results[i];
        Usp__OperateResp__OperationResult *q;
        PB_NEW(a, q, usp__operate_resp__operation_result__descriptor);
        q->executed_command = S(o->executed_command);
        switch (o->outcome) {
        case USP_OPER_NONE:
            break;
        case USP_OPER_REQ_OBJ_PATH:
            q->operation_resp_case =
                USP__OPERATE_RESP__OPERATION_RESULT__OPERATION_RESP_REQ_OBJ_PATH;
            q->req_obj_path = S(o->req_obj_path);
            break;
        case USP_OPER_OUTPUT_ARGS: {
            Usp__OperateResp__OperationResult__OutputArgs *oa;
            PB_NEW(a, oa,
                   usp__operate_resp__operation_result__output_args__descriptor);
            KV_ENC(a,
                   usp__operate_resp__operation_result__output_args__output_args_entry__descriptor,
                   oa->output_args, oa->n_output_args, o->output_args,
                   o->n_output_args);
            q->operation_resp_case =
                USP__OPERATE_RESP__OPERATION_RESULT__OPERATION_RESP_REQ_OUTPUT_ARGS;
            q->req_output_args = oa;
            break;
        }
        case USP_OPER_FAILURE: {
            Usp__OperateResp__OperationResult__CommandFailure *cf;
            PB_NEW(a, cf,
                   usp__operate_resp__operation_result__command_failure__descriptor);
            cf->err_code = o->err_code;
            cf->err_msg = S(o->err_msg);
            q->operation_resp_case =
                USP__OPERATE_RESP__OPERATION_RESULT__OPERATION_RESP_CMD_FAILURE;
            q->cmd_failure = cf;
            break;
        }
        default:
            return UB_EINVAL;
        }
        pb->operation_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_gsdm_resp(struct usp__arena *a,
                         const struct usp_get_supported_dm_resp *r,
                         Usp__GetSupportedDMResp **out)
{
    Usp__GetSupportedDMResp *pb;
    PB_NEW(a, pb, usp__get_supported_dmresp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->req_obj_results, r->n_results);
    pb->n_req_obj_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_sdm_result *s = &r->results[i];
        Usp__GetSupportedDMResp__RequestedObjectResult *q;
        PB_NEW(a, q,
               usp__get_supported_dmresp__requested_object_result__descriptor);
        q->req_obj_path = S(s->req_obj_path);
        q->err_code = s->err_code;
        q->err_msg = S(s->err_msg);
        q->data_model_inst_uri = S(s->data_model_inst_uri);
        CHECK_ARR(s->objs, s->n_objs);
        PB_ARR(a, q->supported_objs, s->n_objs);
        q->n_supported_objs = s->n_objs;
        for (size_t j = 0; j < s->n_objs; j++) {
            const struct usp_sdm_obj *o = &s->objs[j];
            Usp__GetSupportedDMResp__SupportedObjectResult *so;
            PB_NEW(a, so,
                   usp__get_supported_dmresp__supported_object_result__descriptor);
            so->supported_obj_path = S(o->path);
            so->access = (Usp__GetSupportedDMResp__ObjAccessType)o->access;
            so->is_multi_instance = o->is_multi_instance;
            CHECK_ARR(o->commands, o->n_commands);
            PB_ARR(a, so->supported_commands, o->n_commands);
            so->n_supported_commands = o->n_commands;
            for (size_t k = 0; k < o->n_commands; k++) {
                const struct usp_sdm_command *c = &o->commands[k];
                Usp__GetSupportedDMResp__SupportedCommandResult *pc;
                PB_NEW(a, pc,
                       usp__get_supported_dmresp__supported_command_result__descriptor);
                pc->command_name = S(c->name);
                STRV_ENC(a, pc->input_arg_names, pc->n_input_arg_names,
                         c->input_args, c->n_input_args);
                STRV_ENC(a, pc->output_arg_names, pc->n_output_arg_names,
                         c->output_args, c->n_output_args);
                pc->command_type =
                    (Usp__GetSupportedDMResp__CmdType)c->command_type;
                so->supported_commands[k] = pc;
            }
            CHECK_ARR(o->events, o->n_events);
            PB_ARR(a, so->supported_events, o->n_events);
            so->n_supported_events = o->n_events;
            for (size_t k = 0; k < o->n_events; k++) {
                Usp__GetSupportedDMResp__SupportedEventResult *pe;
                PB_NEW(a, pe,
                       usp__get_supported_dmresp__supported_event_result__descriptor);
                pe->event_name = S(o->events[k].name);
                STRV_ENC(a, pe->arg_names, pe->n_arg_names, o->events[k].args,
                         o->events[k].n_args);
                so->supported_events[k] = pe;
            }
            CHECK_ARR(o->params, o->n_params);
            PB_ARR(a, so->supported_params, o->n_params);
            so->n_supported_params = o->n_params;
            for (size_t k = 0; k < o->n_params; k++) {
                const struct usp_sdm_param *p = &o->params[k];
                Usp__GetSupportedDMResp__SupportedParamResult *pp;
                PB_NEW(a, pp,
                       usp__get_supported_dmresp__supported_param_result__descriptor);
                pp->param_name = S(p->name);
                pp->access = (Usp__GetSupportedDMResp__ParamAccessType)p->access;
                pp->value_type =
                    (Usp__GetSupportedDMResp__ParamValueType)p->value_type;
                pp->value_change =
                    (Usp__GetSupportedDMResp__ValueChangeType)p->value_change;
                so->supported_params[k] = pp;
            }
            STRV_ENC(a, so->divergent_paths, so->n_divergent_paths,
                     o->divergent_paths, o->n_divergent_paths);
            CHECK_ARR(o->key_sets, o->n_key_sets);
            PB_ARR(a, so->unique_key_sets, o->n_key_sets);
            so->n_unique_key_sets = o->n_key_sets;
            for (size_t k = 0; k < o->n_key_sets; k++) {
                Usp__GetSupportedDMResp__SupportedUniqueKeySet *ks;
                PB_NEW(a, ks,
                       usp__get_supported_dmresp__supported_unique_key_set__descriptor);
                STRV_ENC(a, ks->key_names, ks->n_key_names,
                         o->key_sets[k].keys, o->key_sets[k].n_keys);
                so->unique_key_sets[k] = ks;
            }
            q->supported_objs[j] = so;
        }
        pb->req_obj_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_gi_resp(struct usp__arena *a,
                       const struct usp_get_instances_resp *r,
                       Usp__GetInstancesResp **out)
{
    Usp__GetInstancesResp *pb;
    PB_NEW(a, pb, usp__get_instances_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->req_path_results, r->n_results);
    pb->n_req_path_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_inst_result *s = &r->results[i];
        Usp__GetInstancesResp__RequestedPathResult *q;
        PB_NEW(a, q,
               usp__get_instances_resp__requested_path_result__descriptor);
        q->requested_path = S(s->requested_path);
        q->err_code = s->err_code;
        q->err_msg = S(s->err_msg);
        CHECK_ARR(s->insts, s->n_insts);
        PB_ARR(a, q->curr_insts, s->n_insts);
        q->n_curr_insts = s->n_insts;
        for (size_t j = 0; j < s->n_insts; j++) {
            Usp__GetInstancesResp__CurrInstance *ci;
            PB_NEW(a, ci, usp__get_instances_resp__curr_instance__descriptor);
            ci->instantiated_obj_path = S(s->insts[j].path);
            KV_ENC(a,
                   usp__get_instances_resp__curr_instance__unique_keys_entry__descriptor,
                   ci->unique_keys, ci->n_unique_keys,
                   s->insts[j].unique_keys, s->insts[j].n_unique_keys);
            q->curr_insts[j] = ci;
        }
        pb->req_path_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_reg_resp(struct usp__arena *a,
                        const struct usp_register_resp *r,
                        Usp__RegisterResp **out)
{
    Usp__RegisterResp *pb;
    PB_NEW(a, pb, usp__register_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->registered_path_results, r->n_results);
    pb->n_registered_path_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_register_result *s = &r->results[i];
        Usp__RegisterResp__RegisteredPathResult *q;
        Usp__RegisterResp__RegisteredPathResult__OperationStatus *st;
        PB_NEW(a, q, usp__register_resp__registered_path_result__descriptor);
        PB_NEW(a, st,
               usp__register_resp__registered_path_result__operation_status__descriptor);
        q->requested_path = S(s->requested_path);
        q->oper_status = st;
        if (s->success) {
            Usp__RegisterResp__RegisteredPathResult__OperationStatus__OperationSuccess
                *ok;
            PB_NEW(a, ok,
                   usp__register_resp__registered_path_result__operation_status__operation_success__descriptor);
            ok->registered_path = S(s->registered_path);
            st->oper_status_case =
                USP__REGISTER_RESP__REGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS;
            st->oper_success = ok;
        } else {
            Usp__RegisterResp__RegisteredPathResult__OperationStatus__OperationFailure
                *ko;
            PB_NEW(a, ko,
                   usp__register_resp__registered_path_result__operation_status__operation_failure__descriptor);
            ko->err_code = s->err_code;
            ko->err_msg = S(s->err_msg);
            st->oper_status_case =
                USP__REGISTER_RESP__REGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE;
            st->oper_failure = ko;
        }
        pb->registered_path_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_dereg_resp(struct usp__arena *a,
                          const struct usp_deregister_resp *r,
                          Usp__DeregisterResp **out)
{
    Usp__DeregisterResp *pb;
    PB_NEW(a, pb, usp__deregister_resp__descriptor);
    CHECK_ARR(r->results, r->n_results);
    PB_ARR(a, pb->deregistered_path_results, r->n_results);
    pb->n_deregistered_path_results = r->n_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const struct usp_deregister_result *s = &r->results[i];
        Usp__DeregisterResp__DeregisteredPathResult *q;
        Usp__DeregisterResp__DeregisteredPathResult__OperationStatus *st;
        PB_NEW(a, q,
               usp__deregister_resp__deregistered_path_result__descriptor);
        PB_NEW(a, st,
               usp__deregister_resp__deregistered_path_result__operation_status__descriptor);
        q->requested_path = S(s->requested_path);
        q->oper_status = st;
        if (s->success) {
            Usp__DeregisterResp__DeregisteredPathResult__OperationStatus__OperationSuccess
                *ok;
            PB_NEW(a, ok,
                   usp__deregister_resp__deregistered_path_result__operation_status__operation_success__descriptor);
            STRV_ENC(a, ok->deregistered_path, ok->n_deregistered_path,
                     s->deregistered, s->n_deregistered);
            st->oper_status_case =
                USP__DEREGISTER_RESP__DEREGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS;
            st->oper_success = ok;
        } else {
            Usp__DeregisterResp__DeregisteredPathResult__OperationStatus__OperationFailure
                *ko;
            PB_NEW(a, ko,
                   usp__deregister_resp__deregistered_path_result__operation_status__operation_failure__descriptor);
            ko->err_code = s->err_code;
            ko->err_msg = S(s->err_msg);
            st->oper_status_case =
                USP__DEREGISTER_RESP__DEREGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE;
            st->oper_failure = ko;
        }
        pb->deregistered_path_results[i] = q;
    }
    *out = pb;
    return UB_OK;
}

static int enc_response(struct usp__arena *a, const struct usp_msg *m,
                        Usp__Response **out)
{
    Usp__Response *rs;
    int err;

    PB_NEW(a, rs, usp__response__descriptor);
    switch (m->type) {
    case USP_MSG_GET_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_GET_RESP;
        err = enc_get_resp(a, &m->get_resp, &rs->get_resp);
        break;
    case USP_MSG_GET_SUPPORTED_DM_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_GET_SUPPORTED_DM_RESP;
        err = enc_gsdm_resp(a, &m->gsdm_resp, &rs->get_supported_dm_resp);
        break;
    case USP_MSG_GET_INSTANCES_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_GET_INSTANCES_RESP;
        err = enc_gi_resp(a, &m->get_instances_resp, &rs->get_instances_resp);
        break;
    case USP_MSG_SET_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_SET_RESP;
        err = enc_set_resp(a, &m->set_resp, &rs->set_resp);
        break;
    case USP_MSG_ADD_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_ADD_RESP;
        err = enc_add_resp(a, &m->add_resp, &rs->add_resp);
        break;
    case USP_MSG_DELETE_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_DELETE_RESP;
        err = enc_delete_resp(a, &m->delete_resp, &rs->delete_resp);
        break;
    case USP_MSG_OPERATE_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_OPERATE_RESP;
        err = enc_operate_resp(a, &m->operate_resp, &rs->operate_resp);
        break;
    case USP_MSG_NOTIFY_RESP: {
        Usp__NotifyResp *n;
        PB_NEW(a, n, usp__notify_resp__descriptor);
        n->subscription_id = S(m->notify_resp.subscription_id);
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_NOTIFY_RESP;
        rs->notify_resp = n;
        err = UB_OK;
        break;
    }
    case USP_MSG_GET_SUPPORTED_PROTO_RESP: {
        Usp__GetSupportedProtocolResp *g;
        PB_NEW(a, g, usp__get_supported_protocol_resp__descriptor);
        g->agent_supported_protocol_versions = S(m->gsp_resp.versions);
        rs->resp_type_case =
            USP__RESPONSE__RESP_TYPE_GET_SUPPORTED_PROTOCOL_RESP;
        rs->get_supported_protocol_resp = g;
        err = UB_OK;
        break;
    }
    case USP_MSG_REGISTER_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_REGISTER_RESP;
        err = enc_reg_resp(a, &m->reg_resp, &rs->register_resp);
        break;
    case USP_MSG_DEREGISTER_RESP:
        rs->resp_type_case = USP__RESPONSE__RESP_TYPE_DEREGISTER_RESP;
        err = enc_dereg_resp(a, &m->dereg_resp, &rs->deregister_resp);
        break;
    default:
        return UB_EINVAL;
    }
    if (err)
        return err;
    *out = rs;
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

int usp__msg_to_pb(const struct usp_msg *m, struct usp__arena *a,
                   Usp__Msg **out)
{
    Usp__Msg *pb;
    Usp__Header *h;
    Usp__Body *b;
    int err;

    if ((unsigned)m->type >= USP_MSG_TYPE_MAX_)
        return UB_EINVAL;
    PB_NEW(a, pb, usp__msg__descriptor);
    PB_NEW(a, h, usp__header__descriptor);
    PB_NEW(a, b, usp__body__descriptor);
    h->msg_id = S(m->msg_id);
    h->msg_type = (Usp__Header__MsgType)m->type;
    pb->header = h;
    pb->body = b;
    if (m->type == USP_MSG_ERROR) {
        Usp__Error *e;
        PB_NEW(a, e, usp__error__descriptor);
        e->err_code = m->error.err_code;
        e->err_msg = S(m->error.err_msg);
        PERR_ENC(a, usp__error__param_error__descriptor, e->param_errs,
                 e->n_param_errs, m->error.param_errs, m->error.n_param_errs,
                 param_path);
        b->msg_body_case = USP__BODY__MSG_BODY_ERROR;
        b->error = e;
    } else if (usp_msg_type_is_request(m->type)) {
        b->msg_body_case = USP__BODY__MSG_BODY_REQUEST;
        err = enc_request(a, m, &b->request);
        if (err)
            return err;
    } else {
        b->msg_body_case = USP__BODY__MSG_BODY_RESPONSE;
        err = enc_response(a, m, &b->response);
        if (err)
            return err;
    }
    *out = pb;
    return UB_OK;
}

int usp_msg_encode(const struct usp_msg *m, size_t max, uint8_t **out,
                   size_t *out_len)
{
    struct usp__arena a;
    Usp__Msg *pb = NULL;
    uint8_t *buf;
    size_t len;
    int err;

    if (!m || !out || !out_len)
        return UB_EINVAL;
    if (!max)
        max = USP_RECORD_MAX_DEFAULT;
    usp__arena_init(&a);
    err = usp__msg_to_pb(m, &a, &pb);
    if (err)
        goto out;
    len = usp__msg__get_packed_size(pb);
    if (len > max) {
        err = UB_ETOOBIG;
        goto out;
    }
    buf = ub_malloc(len ? len : 1);
    if (!buf) {
        err = UB_ENOMEM;
        goto out;
    }
    usp__msg__pack(pb, buf);
    *out = buf;
    *out_len = len;
out:
    usp__arena_free(&a);
    return err;
}

int usp_msg_encode_error(const char *msg_id, uint32_t err_code,
                         const char *err_msg, uint8_t **out, size_t *out_len)
{
    struct usp_msg m;
    memset(&m, 0, sizeof(m));
    m.msg_id = msg_id;
    m.type = USP_MSG_ERROR;
    m.error.err_code = err_code;
    m.error.err_msg = err_msg;
    return usp_msg_encode(&m, 0, out, out_len);
}

int usp_msg_print(const struct usp_msg *m, struct ub_buf *out)
{
    struct usp__arena a;
    Usp__Msg *pb = NULL;
    int err;

    if (!m || !out)
        return UB_EINVAL;
    usp__arena_init(&a);
    err = usp__msg_to_pb(m, &a, &pb);
    if (!err)
        err = usp__pb_print(&pb->base, out);
    usp__arena_free(&a);
    return err;
}
