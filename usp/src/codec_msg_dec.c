/*
 * USP Msg decoding: protobuf-c tree -> neutral struct usp_msg.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * usp__msg__unpack() builds the tree (with ub_malloc); the neutral view is
 * then built in the message's arena.  Strings are not copied: they point
 * into the tree, which lives until usp_msg_free().  protobuf-c gives "" for
 * absent proto3 strings, so neutral strings are never NULL.
 * The decoder is strict about the envelope (header, body, exactly one
 * request/response/error with its inner message) and lenient inside: a
 * result without oper_status decodes as a failure with err_code 0, so a
 * controller can still show what it got.
 */
#include "usp_int.h"

#include <string.h>

#define NEW_ARR(a, dst, n)                                                     \
    do {                                                                       \
        (dst) = usp__arena_calloc((a), (n) ? (n) : 1, sizeof(*(dst)));         \
        if (!(dst))                                                            \
            return UB_ENOMEM;                                                  \
    } while (0)

/* map<string,string> entries share one layout: base, key, value. */
#define KV_COPY(a, dst, ndst, src, nsrc)                                       \
    do {                                                                       \
        NEW_ARR(a, dst, nsrc);                                                 \
        for (size_t k_ = 0; k_ < (nsrc); k_++) {                               \
            (dst)[k_].key = (src)[k_]->key;                                    \
            (dst)[k_].value = (src)[k_]->value;                                \
        }                                                                      \
        (ndst) = (nsrc);                                                       \
    } while (0)

#define STRV_COPY(a, dst, ndst, src, nsrc)                                     \
    do {                                                                       \
        NEW_ARR(a, dst, nsrc);                                                 \
        for (size_t k_ = 0; k_ < (nsrc); k_++)                                 \
            (dst)[k_] = (src)[k_];                                             \
        (ndst) = (nsrc);                                                       \
    } while (0)

/* Parameter-error style lists: path field name differs per message. */
#define PERR_COPY(a, dst, ndst, src, nsrc, pathfield)                          \
    do {                                                                       \
        NEW_ARR(a, dst, nsrc);                                                 \
        for (size_t k_ = 0; k_ < (nsrc); k_++) {                               \
            (dst)[k_].path = (src)[k_]->pathfield;                             \
            (dst)[k_].err_code = (src)[k_]->err_code;                          \
            (dst)[k_].err_msg = (src)[k_]->err_msg;                            \
        }                                                                      \
        (ndst) = (nsrc);                                                       \
    } while (0)

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

static int dec_set(struct usp__arena *a, struct usp_set *s,
                   const Usp__Set *pb)
{
    s->allow_partial = pb->allow_partial;
    NEW_ARR(a, s->objs, pb->n_update_objs);
    s->n_objs = pb->n_update_objs;
    for (size_t i = 0; i < pb->n_update_objs; i++) {
        const Usp__Set__UpdateObject *u = pb->update_objs[i];
        struct usp_obj_settings *o = &s->objs[i];
        o->obj_path = u->obj_path;
        NEW_ARR(a, o->params, u->n_param_settings);
        o->n_params = u->n_param_settings;
        for (size_t j = 0; j < u->n_param_settings; j++) {
            o->params[j].param = u->param_settings[j]->param;
            o->params[j].value = u->param_settings[j]->value;
            o->params[j].required = u->param_settings[j]->required;
        }
    }
    return UB_OK;
}

static int dec_add(struct usp__arena *a, struct usp_add *s,
                   const Usp__Add *pb)
{
    s->allow_partial = pb->allow_partial;
    NEW_ARR(a, s->objs, pb->n_create_objs);
    s->n_objs = pb->n_create_objs;
    for (size_t i = 0; i < pb->n_create_objs; i++) {
        const Usp__Add__CreateObject *c = pb->create_objs[i];
        struct usp_obj_settings *o = &s->objs[i];
        o->obj_path = c->obj_path;
        NEW_ARR(a, o->params, c->n_param_settings);
        o->n_params = c->n_param_settings;
        for (size_t j = 0; j < c->n_param_settings; j++) {
            o->params[j].param = c->param_settings[j]->param;
            o->params[j].value = c->param_settings[j]->value;
            o->params[j].required = c->param_settings[j]->required;
        }
    }
    return UB_OK;
}

static int dec_notify(struct usp__arena *a, struct usp_notify *n,
                      const Usp__Notify *pb)
{
    n->subscription_id = pb->subscription_id;
    n->send_resp = pb->send_resp;
    switch (pb->notification_case) {
    case USP__NOTIFY__NOTIFICATION_EVENT:
        n->kind = USP_NOTIF_EVENT;
        n->event.obj_path = pb->event->obj_path;
        n->event.event_name = pb->event->event_name;
        KV_COPY(a, n->event.params, n->event.n_params, pb->event->params,
                pb->event->n_params);
        break;
    case USP__NOTIFY__NOTIFICATION_VALUE_CHANGE:
        n->kind = USP_NOTIF_VALUE_CHANGE;
        n->value_change.param_path = pb->value_change->param_path;
        n->value_change.param_value = pb->value_change->param_value;
        break;
    case USP__NOTIFY__NOTIFICATION_OBJ_CREATION:
        n->kind = USP_NOTIF_OBJ_CREATION;
        n->obj_creation.obj_path = pb->obj_creation->obj_path;
        KV_COPY(a, n->obj_creation.unique_keys, n->obj_creation.n_unique_keys,
                pb->obj_creation->unique_keys,
                pb->obj_creation->n_unique_keys);
        break;
    case USP__NOTIFY__NOTIFICATION_OBJ_DELETION:
        n->kind = USP_NOTIF_OBJ_DELETION;
        n->obj_deletion.obj_path = pb->obj_deletion->obj_path;
        break;
    case USP__NOTIFY__NOTIFICATION_OPER_COMPLETE: {
        const Usp__Notify__OperationComplete *oc = pb->oper_complete;
        n->kind = USP_NOTIF_OPER_COMPLETE;
        n->oper_complete.obj_path = oc->obj_path;
        n->oper_complete.command_name = oc->command_name;
        n->oper_complete.command_key = oc->command_key;
        n->oper_complete.err_msg = "";
        if (oc->operation_resp_case ==
            USP__NOTIFY__OPERATION_COMPLETE__OPERATION_RESP_REQ_OUTPUT_ARGS) {
            n->oper_complete.outcome = USP_OPER_OUTPUT_ARGS;
            KV_COPY(a, n->oper_complete.output_args,
                    n->oper_complete.n_output_args,
                    oc->req_output_args->output_args,
                    oc->req_output_args->n_output_args);
        } else if (oc->operation_resp_case ==
                   USP__NOTIFY__OPERATION_COMPLETE__OPERATION_RESP_CMD_FAILURE) {
            n->oper_complete.outcome = USP_OPER_FAILURE;
            n->oper_complete.err_code = oc->cmd_failure->err_code;
            n->oper_complete.err_msg = oc->cmd_failure->err_msg;
        }
        break;
    }
    case USP__NOTIFY__NOTIFICATION_ON_BOARD_REQ:
        n->kind = USP_NOTIF_ON_BOARD_REQ;
        n->on_board_req.oui = pb->on_board_req->oui;
        n->on_board_req.product_class = pb->on_board_req->product_class;
        n->on_board_req.serial_number = pb->on_board_req->serial_number;
        n->on_board_req.agent_supported_protocol_versions =
            pb->on_board_req->agent_supported_protocol_versions;
        break;
    default:
        /* A Notify without a notification: keep it, kind NONE. */
        n->kind = USP_NOTIF_NONE;
        break;
    }
    return UB_OK;
}

static int dec_request(struct usp__arena *a, struct usp_msg *m,
                       const Usp__Request *rq)
{
    switch (rq->req_type_case) {
    case USP__REQUEST__REQ_TYPE_GET:
        m->type = USP_MSG_GET;
        STRV_COPY(a, m->get.paths, m->get.n_paths, rq->get->param_paths,
                  rq->get->n_param_paths);
        m->get.max_depth = rq->get->max_depth;
        return UB_OK;
    case USP__REQUEST__REQ_TYPE_GET_SUPPORTED_DM: {
        const Usp__GetSupportedDM *g = rq->get_supported_dm;
        m->type = USP_MSG_GET_SUPPORTED_DM;
        STRV_COPY(a, m->gsdm.obj_paths, m->gsdm.n_obj_paths, g->obj_paths,
                  g->n_obj_paths);
        m->gsdm.first_level_only = g->first_level_only;
        m->gsdm.return_commands = g->return_commands;
        m->gsdm.return_events = g->return_events;
        m->gsdm.return_params = g->return_params;
        m->gsdm.return_unique_key_sets = g->return_unique_key_sets;
        return UB_OK;
    }
    case USP__REQUEST__REQ_TYPE_GET_INSTANCES:
        m->type = USP_MSG_GET_INSTANCES;
        STRV_COPY(a, m->get_instances.obj_paths, m->get_instances.n_obj_paths,
                  rq->get_instances->obj_paths,
                  rq->get_instances->n_obj_paths);
        m->get_instances.first_level_only =
            rq->get_instances->first_level_only;
        return UB_OK;
    case USP__REQUEST__REQ_TYPE_SET:
        m->type = USP_MSG_SET;
        return dec_set(a, &m->set, rq->set);
    case USP__REQUEST__REQ_TYPE_ADD:
        m->type = USP_MSG_ADD;
        return dec_add(a, &m->add, rq->add);
    case USP__REQUEST__REQ_TYPE_DELETE:
        m->type = USP_MSG_DELETE;
        m->del.allow_partial = rq->delete_->allow_partial;
        STRV_COPY(a, m->del.paths, m->del.n_paths, rq->delete_->obj_paths,
                  rq->delete_->n_obj_paths);
        return UB_OK;
    case USP__REQUEST__REQ_TYPE_OPERATE:
        m->type = USP_MSG_OPERATE;
        m->operate.command = rq->operate->command;
        m->operate.command_key = rq->operate->command_key;
        m->operate.send_resp = rq->operate->send_resp;
        KV_COPY(a, m->operate.input_args, m->operate.n_input_args,
                rq->operate->input_args, rq->operate->n_input_args);
        return UB_OK;
    case USP__REQUEST__REQ_TYPE_NOTIFY:
        m->type = USP_MSG_NOTIFY;
        return dec_notify(a, &m->notify, rq->notify);
    case USP__REQUEST__REQ_TYPE_GET_SUPPORTED_PROTOCOL:
        m->type = USP_MSG_GET_SUPPORTED_PROTO;
        m->gsp.versions =
            rq->get_supported_protocol->controller_supported_protocol_versions;
        return UB_OK;
    case USP__REQUEST__REQ_TYPE_REGISTER:
        m->type = USP_MSG_REGISTER;
        m->reg.allow_partial = rq->register_->allow_partial;
        NEW_ARR(a, m->reg.paths, rq->register_->n_reg_paths);
        m->reg.n_paths = rq->register_->n_reg_paths;
        for (size_t i = 0; i < m->reg.n_paths; i++)
            m->reg.paths[i] = rq->register_->reg_paths[i]->path;
        return UB_OK;
    case USP__REQUEST__REQ_TYPE_DEREGISTER:
        m->type = USP_MSG_DEREGISTER;
        STRV_COPY(a, m->dereg.paths, m->dereg.n_paths,
                  rq->deregister->paths, rq->deregister->n_paths);
        return UB_OK;
    default:
        return UB_EPROTO;
    }
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */
/* ------------------------------------------------------------------ */

static int dec_get_resp(struct usp__arena *a, struct usp_get_resp *r,
                        const Usp__GetResp *pb)
{
    NEW_ARR(a, r->results, pb->n_req_path_results);
    r->n_results = pb->n_req_path_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__GetResp__RequestedPathResult *q = pb->req_path_results[i];
        struct usp_get_result *g = &r->results[i];
        g->requested_path = q->requested_path;
        g->err_code = q->err_code;
        g->err_msg = q->err_msg;
        NEW_ARR(a, g->resolved, q->n_resolved_path_results);
        g->n_resolved = q->n_resolved_path_results;
        for (size_t j = 0; j < g->n_resolved; j++) {
            const Usp__GetResp__ResolvedPathResult *rp =
                q->resolved_path_results[j];
            g->resolved[j].path = rp->resolved_path;
            KV_COPY(a, g->resolved[j].params, g->resolved[j].n_params,
                    rp->result_params, rp->n_result_params);
        }
    }
    return UB_OK;
}

static int dec_set_resp(struct usp__arena *a, struct usp_set_resp *r,
                        const Usp__SetResp *pb)
{
    NEW_ARR(a, r->results, pb->n_updated_obj_results);
    r->n_results = pb->n_updated_obj_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__SetResp__UpdatedObjectResult *q =
            pb->updated_obj_results[i];
        const Usp__SetResp__UpdatedObjectResult__OperationStatus *st =
            q->oper_status;
        struct usp_set_result *s = &r->results[i];
        s->requested_path = q->requested_path;
        s->err_msg = "";
        if (st && st->oper_status_case ==
                      USP__SET_RESP__UPDATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS) {
            const Usp__SetResp__UpdatedObjectResult__OperationStatus__OperationSuccess
                *ok = st->oper_success;
            s->success = true;
            NEW_ARR(a, s->insts, ok->n_updated_inst_results);
            s->n_insts = ok->n_updated_inst_results;
            for (size_t j = 0; j < s->n_insts; j++) {
                const Usp__SetResp__UpdatedInstanceResult *u =
                    ok->updated_inst_results[j];
                s->insts[j].affected_path = u->affected_path;
                PERR_COPY(a, s->insts[j].param_errs, s->insts[j].n_param_errs,
                          u->param_errs, u->n_param_errs, param);
                KV_COPY(a, s->insts[j].updated_params,
                        s->insts[j].n_updated_params, u->updated_params,
                        u->n_updated_params);
            }
        } else if (st && st->oper_status_case ==
                             USP__SET_RESP__UPDATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE) {
            const Usp__SetResp__UpdatedObjectResult__OperationStatus__OperationFailure
                *ko = st->oper_failure;
            s->err_code = ko->err_code;
            s->err_msg = ko->err_msg;
            NEW_ARR(a, s->insts, ko->n_updated_inst_failures);
            s->n_insts = ko->n_updated_inst_failures;
            for (size_t j = 0; j < s->n_insts; j++) {
                const Usp__SetResp__UpdatedInstanceFailure *u =
                    ko->updated_inst_failures[j];
                s->insts[j].affected_path = u->affected_path;
                PERR_COPY(a, s->insts[j].param_errs, s->insts[j].n_param_errs,
                          u->param_errs, u->n_param_errs, param);
            }
        }
    }
    return UB_OK;
}

static int dec_add_resp(struct usp__arena *a, struct usp_add_resp *r,
                        const Usp__AddResp *pb)
{
    NEW_ARR(a, r->results, pb->n_created_obj_results);
    r->n_results = pb->n_created_obj_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__AddResp__CreatedObjectResult *q =
            pb->created_obj_results[i];
        const Usp__AddResp__CreatedObjectResult__OperationStatus *st =
            q->oper_status;
        struct usp_add_result *s = &r->results[i];
        s->requested_path = q->requested_path;
        s->err_msg = "";
        s->instantiated_path = "";
        if (st && st->oper_status_case ==
                      USP__ADD_RESP__CREATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS) {
            const Usp__AddResp__CreatedObjectResult__OperationStatus__OperationSuccess
                *ok = st->oper_success;
            s->success = true;
            s->instantiated_path = ok->instantiated_path;
            PERR_COPY(a, s->param_errs, s->n_param_errs, ok->param_errs,
                      ok->n_param_errs, param);
            KV_COPY(a, s->unique_keys, s->n_unique_keys, ok->unique_keys,
                    ok->n_unique_keys);
        } else if (st && st->oper_status_case ==
                             USP__ADD_RESP__CREATED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE) {
            s->err_code = st->oper_failure->err_code;
            s->err_msg = st->oper_failure->err_msg;
        }
    }
    return UB_OK;
}

static int dec_delete_resp(struct usp__arena *a, struct usp_delete_resp *r,
                           const Usp__DeleteResp *pb)
{
    NEW_ARR(a, r->results, pb->n_deleted_obj_results);
    r->n_results = pb->n_deleted_obj_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__DeleteResp__DeletedObjectResult *q =
            pb->deleted_obj_results[i];
        const Usp__DeleteResp__DeletedObjectResult__OperationStatus *st =
            q->oper_status;
        struct usp_delete_result *s = &r->results[i];
        s->requested_path = q->requested_path;
        s->err_msg = "";
        if (st && st->oper_status_case ==
                      USP__DELETE_RESP__DELETED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS) {
            const Usp__DeleteResp__DeletedObjectResult__OperationStatus__OperationSuccess
                *ok = st->oper_success;
            s->success = true;
            STRV_COPY(a, s->affected, s->n_affected, ok->affected_paths,
                      ok->n_affected_paths);
            PERR_COPY(a, s->unaffected, s->n_unaffected,
                      ok->unaffected_path_errs, ok->n_unaffected_path_errs,
                      unaffected_path);
        } else if (st && st->oper_status_case ==
                             USP__DELETE_RESP__DELETED_OBJECT_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE) {
            s->err_code = st->oper_failure->err_code;
            s->err_msg = st->oper_failure->err_msg;
        }
    }
    return UB_OK;
}

static int dec_operate_resp(struct usp__arena *a, struct usp_operate_resp *r,
                            const Usp__OperateResp *pb)
{
    NEW_ARR(a, r->results, pb->n_operation_results);
    r->n_results = pb->n_operation_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__OperateResp__OperationResult *q = pb->operation_results[i];
        struct usp_oper_result *o = &r->results[i];
        o->executed_command = q->executed_command;
        o->req_obj_path = "";
        o->err_msg = "";
        switch (q->operation_resp_case) {
        case USP__OPERATE_RESP__OPERATION_RESULT__OPERATION_RESP_REQ_OBJ_PATH:
            o->outcome = USP_OPER_REQ_OBJ_PATH;
            o->req_obj_path = q->req_obj_path;
            break;
        case USP__OPERATE_RESP__OPERATION_RESULT__OPERATION_RESP_REQ_OUTPUT_ARGS:
            o->outcome = USP_OPER_OUTPUT_ARGS;
            KV_COPY(a, o->output_args, o->n_output_args,
                    q->req_output_args->output_args,
                    q->req_output_args->n_output_args);
            break;
        case USP__OPERATE_RESP__OPERATION_RESULT__OPERATION_RESP_CMD_FAILURE:
            o->outcome = USP_OPER_FAILURE;
            o->err_code = q->cmd_failure->err_code;
            o->err_msg = q->cmd_failure->err_msg;
            break;
        default:
            o->outcome = USP_OPER_NONE;
            break;
        }
    }
    return UB_OK;
}

static int dec_gsdm_resp(struct usp__arena *a,
                         struct usp_get_supported_dm_resp *r,
                         const Usp__GetSupportedDMResp *pb)
{
    NEW_ARR(a, r->results, pb->n_req_obj_results);
    r->n_results = pb->n_req_obj_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__GetSupportedDMResp__RequestedObjectResult *q =
            pb->req_obj_results[i];
        struct usp_sdm_result *s = &r->results[i];
        s->req_obj_path = q->req_obj_path;
        s->err_code = q->err_code;
        s->err_msg = q->err_msg;
        s->data_model_inst_uri = q->data_model_inst_uri;
        NEW_ARR(a, s->objs, q->n_supported_objs);
        s->n_objs = q->n_supported_objs;
        for (size_t j = 0; j < s->n_objs; j++) {
            const Usp__GetSupportedDMResp__SupportedObjectResult *so =
                q->supported_objs[j];
            struct usp_sdm_obj *o = &s->objs[j];
            o->path = so->supported_obj_path;
            o->access = (enum usp_obj_access)so->access;
            o->is_multi_instance = so->is_multi_instance;
            NEW_ARR(a, o->commands, so->n_supported_commands);
            o->n_commands = so->n_supported_commands;
            for (size_t k = 0; k < o->n_commands; k++) {
                const Usp__GetSupportedDMResp__SupportedCommandResult *c =
                    so->supported_commands[k];
                o->commands[k].name = c->command_name;
                STRV_COPY(a, o->commands[k].input_args,
                          o->commands[k].n_input_args, c->input_arg_names,
                          c->n_input_arg_names);
                STRV_COPY(a, o->commands[k].output_args,
                          o->commands[k].n_output_args, c->output_arg_names,
                          c->n_output_arg_names);
                o->commands[k].command_type = (enum usp_cmd_type)c->command_type;
            }
            NEW_ARR(a, o->events, so->n_supported_events);
            o->n_events = so->n_supported_events;
            for (size_t k = 0; k < o->n_events; k++) {
                const Usp__GetSupportedDMResp__SupportedEventResult *e =
                    so->supported_events[k];
                o->events[k].name = e->event_name;
                STRV_COPY(a, o->events[k].args, o->events[k].n_args,
                          e->arg_names, e->n_arg_names);
            }
            NEW_ARR(a, o->params, so->n_supported_params);
            o->n_params = so->n_supported_params;
            for (size_t k = 0; k < o->n_params; k++) {
                const Usp__GetSupportedDMResp__SupportedParamResult *p =
                    so->supported_params[k];
                o->params[k].name = p->param_name;
                o->params[k].access = (enum usp_param_access)p->access;
                o->params[k].value_type = (enum usp_param_vtype)p->value_type;
                o->params[k].value_change =
                    (enum usp_value_change)p->value_change;
            }
            STRV_COPY(a, o->divergent_paths, o->n_divergent_paths,
                      so->divergent_paths, so->n_divergent_paths);
            NEW_ARR(a, o->key_sets, so->n_unique_key_sets);
            o->n_key_sets = so->n_unique_key_sets;
            for (size_t k = 0; k < o->n_key_sets; k++)
                STRV_COPY(a, o->key_sets[k].keys, o->key_sets[k].n_keys,
                          so->unique_key_sets[k]->key_names,
                          so->unique_key_sets[k]->n_key_names);
        }
    }
    return UB_OK;
}

static int dec_gi_resp(struct usp__arena *a, struct usp_get_instances_resp *r,
                       const Usp__GetInstancesResp *pb)
{
    NEW_ARR(a, r->results, pb->n_req_path_results);
    r->n_results = pb->n_req_path_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__GetInstancesResp__RequestedPathResult *q =
            pb->req_path_results[i];
        struct usp_inst_result *s = &r->results[i];
        s->requested_path = q->requested_path;
        s->err_code = q->err_code;
        s->err_msg = q->err_msg;
        NEW_ARR(a, s->insts, q->n_curr_insts);
        s->n_insts = q->n_curr_insts;
        for (size_t j = 0; j < s->n_insts; j++) {
            s->insts[j].path = q->curr_insts[j]->instantiated_obj_path;
            KV_COPY(a, s->insts[j].unique_keys, s->insts[j].n_unique_keys,
                    q->curr_insts[j]->unique_keys,
                    q->curr_insts[j]->n_unique_keys);
        }
    }
    return UB_OK;
}

static int dec_reg_resp(struct usp__arena *a, struct usp_register_resp *r,
                        const Usp__RegisterResp *pb)
{
    NEW_ARR(a, r->results, pb->n_registered_path_results);
    r->n_results = pb->n_registered_path_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__RegisterResp__RegisteredPathResult *q =
            pb->registered_path_results[i];
        const Usp__RegisterResp__RegisteredPathResult__OperationStatus *st =
            q->oper_status;
        struct usp_register_result *s = &r->results[i];
        s->requested_path = q->requested_path;
        s->err_msg = "";
        s->registered_path = "";
        if (st && st->oper_status_case ==
                      USP__REGISTER_RESP__REGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS) {
            s->success = true;
            s->registered_path = st->oper_success->registered_path;
        } else if (st && st->oper_status_case ==
                             USP__REGISTER_RESP__REGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE) {
            s->err_code = st->oper_failure->err_code;
            s->err_msg = st->oper_failure->err_msg;
        }
    }
    return UB_OK;
}

static int dec_dereg_resp(struct usp__arena *a, struct usp_deregister_resp *r,
                          const Usp__DeregisterResp *pb)
{
    NEW_ARR(a, r->results, pb->n_deregistered_path_results);
    r->n_results = pb->n_deregistered_path_results;
    for (size_t i = 0; i < r->n_results; i++) {
        const Usp__DeregisterResp__DeregisteredPathResult *q =
            pb->deregistered_path_results[i];
        const Usp__DeregisterResp__DeregisteredPathResult__OperationStatus *st =
            q->oper_status;
        struct usp_deregister_result *s = &r->results[i];
        s->requested_path = q->requested_path;
        s->err_msg = "";
        if (st && st->oper_status_case ==
                      USP__DEREGISTER_RESP__DEREGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_SUCCESS) {
            s->success = true;
            STRV_COPY(a, s->deregistered, s->n_deregistered,
                      st->oper_success->deregistered_path,
                      st->oper_success->n_deregistered_path);
        } else if (st && st->oper_status_case ==
                             USP__DEREGISTER_RESP__DEREGISTERED_PATH_RESULT__OPERATION_STATUS__OPER_STATUS_OPER_FAILURE) {
            s->err_code = st->oper_failure->err_code;
            s->err_msg = st->oper_failure->err_msg;
        }
        if (!s->deregistered)
            NEW_ARR(a, s->deregistered, 0);
    }
    return UB_OK;
}

static int dec_response(struct usp__arena *a, struct usp_msg *m,
                        const Usp__Response *rs)
{
    switch (rs->resp_type_case) {
    case USP__RESPONSE__RESP_TYPE_GET_RESP:
        m->type = USP_MSG_GET_RESP;
        return dec_get_resp(a, &m->get_resp, rs->get_resp);
    case USP__RESPONSE__RESP_TYPE_GET_SUPPORTED_DM_RESP:
        m->type = USP_MSG_GET_SUPPORTED_DM_RESP;
        return dec_gsdm_resp(a, &m->gsdm_resp, rs->get_supported_dm_resp);
    case USP__RESPONSE__RESP_TYPE_GET_INSTANCES_RESP:
        m->type = USP_MSG_GET_INSTANCES_RESP;
        return dec_gi_resp(a, &m->get_instances_resp, rs->get_instances_resp);
    case USP__RESPONSE__RESP_TYPE_SET_RESP:
        m->type = USP_MSG_SET_RESP;
        return dec_set_resp(a, &m->set_resp, rs->set_resp);
    case USP__RESPONSE__RESP_TYPE_ADD_RESP:
        m->type = USP_MSG_ADD_RESP;
        return dec_add_resp(a, &m->add_resp, rs->add_resp);
    case USP__RESPONSE__RESP_TYPE_DELETE_RESP:
        m->type = USP_MSG_DELETE_RESP;
        return dec_delete_resp(a, &m->delete_resp, rs->delete_resp);
    case USP__RESPONSE__RESP_TYPE_OPERATE_RESP:
        m->type = USP_MSG_OPERATE_RESP;
        return dec_operate_resp(a, &m->operate_resp, rs->operate_resp);
    case USP__RESPONSE__RESP_TYPE_NOTIFY_RESP:
        m->type = USP_MSG_NOTIFY_RESP;
        m->notify_resp.subscription_id = rs->notify_resp->subscription_id;
        return UB_OK;
    case USP__RESPONSE__RESP_TYPE_GET_SUPPORTED_PROTOCOL_RESP:
        m->type = USP_MSG_GET_SUPPORTED_PROTO_RESP;
        m->gsp_resp.versions =
            rs->get_supported_protocol_resp->agent_supported_protocol_versions;
        return UB_OK;
    case USP__RESPONSE__RESP_TYPE_REGISTER_RESP:
        m->type = USP_MSG_REGISTER_RESP;
        return dec_reg_resp(a, &m->reg_resp, rs->register_resp);
    case USP__RESPONSE__RESP_TYPE_DEREGISTER_RESP:
        m->type = USP_MSG_DEREGISTER_RESP;
        return dec_dereg_resp(a, &m->dereg_resp, rs->deregister_resp);
    default:
        return UB_EPROTO;
    }
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

int usp_msg_new(enum usp_msg_type type, const char *msg_id,
                struct usp_msg **out)
{
    struct usp_msg *m;
    struct usp__msg_priv *pv;

    if (!out || (unsigned)type >= USP_MSG_TYPE_MAX_)
        return UB_EINVAL;
    m = ub_calloc(1, sizeof(*m));
    pv = ub_calloc(1, sizeof(*pv));
    if (!m || !pv) {
        ub_free(m);
        ub_free(pv);
        return UB_ENOMEM;
    }
    usp__arena_init(&pv->arena);
    m->priv_ = pv;
    m->type = type;
    m->header_type = type;
    m->msg_id = usp__arena_strdup(&pv->arena, msg_id);
    if (!m->msg_id) {
        usp_msg_free(m);
        return UB_ENOMEM;
    }
    *out = m;
    return UB_OK;
}

void *usp_msg_alloc(struct usp_msg *m, size_t n)
{
    struct usp__msg_priv *pv = m ? m->priv_ : NULL;
    return pv ? usp__arena_alloc(&pv->arena, n) : NULL;
}

const char *usp_msg_strdup(struct usp_msg *m, const char *s)
{
    struct usp__msg_priv *pv = m ? m->priv_ : NULL;
    return pv ? usp__arena_strdup(&pv->arena, s) : NULL;
}

void usp_msg_free(struct usp_msg *m)
{
    struct usp__msg_priv *pv;
    if (!m)
        return;
    pv = m->priv_;
    if (pv) {
        if (pv->pb)
            usp__msg__free_unpacked(pv->pb, &usp__pb_alloc);
        usp__arena_free(&pv->arena);
        ub_free(pv);
    }
    ub_free(m);
}

int usp_msg_decode(const void *buf, size_t len, struct usp_msg **out)
{
    Usp__Msg *pb;
    struct usp_msg *m = NULL;
    struct usp__msg_priv *pv;
    struct usp__arena *a;
    int err;

    if ((!buf && len) || !out)
        return UB_EINVAL;
    pb = usp__msg__unpack(&usp__pb_alloc, len, buf);
    if (!pb)
        return UB_EPROTO;
    // Exit if the envelope is incomplete: no header, no body, no msg_id.
    if (!pb->header || !pb->body || !pb->header->msg_id[0]) {
        usp__msg__free_unpacked(pb, &usp__pb_alloc);
        return UB_EPROTO;
    }
    err = usp_msg_new(USP_MSG_ERROR, "", &m);
    if (err) {
        usp__msg__free_unpacked(pb, &usp__pb_alloc);
        return err;
    }
    pv = m->priv_;
    pv->pb = pb;
    a = &pv->arena;
    m->msg_id = pb->header->msg_id;
    m->header_type = (enum usp_msg_type)pb->header->msg_type;

    switch (pb->body->msg_body_case) {
    case USP__BODY__MSG_BODY_REQUEST:
        err = dec_request(a, m, pb->body->request);
        break;
    case USP__BODY__MSG_BODY_RESPONSE:
        err = dec_response(a, m, pb->body->response);
        break;
    case USP__BODY__MSG_BODY_ERROR: {
        const Usp__Error *e = pb->body->error;
        m->type = USP_MSG_ERROR;
        m->error.err_code = e->err_code;
        m->error.err_msg = e->err_msg;
        m->error.param_errs =
            usp__arena_calloc(a, e->n_param_errs ? e->n_param_errs : 1,
                              sizeof(*m->error.param_errs));
        if (!m->error.param_errs) {
            err = UB_ENOMEM;
            break;
        }
        m->error.n_param_errs = e->n_param_errs;
        for (size_t i = 0; i < e->n_param_errs; i++) {
            m->error.param_errs[i].path = e->param_errs[i]->param_path;
            m->error.param_errs[i].err_code = e->param_errs[i]->err_code;
            m->error.param_errs[i].err_msg = e->param_errs[i]->err_msg;
        }
        err = UB_OK;
        break;
    }
    default:
        err = UB_EPROTO;
        break;
    }
    if (err) {
        usp_msg_free(m);
        return err;
    }
    *out = m;
    return UB_OK;
}
