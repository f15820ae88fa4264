/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * struct cwmp_msg: allocation, freeing, method names.
 *
 * A message owns every string and array it points to; cwmp_msg_free() walks
 * all members whatever (method, kind) says, so a half-filled message (codec
 * error path) frees cleanly.
 */
#include "cwmp_int.h"

#include <string.h>

static const char *const method_names[CWMP_M_MAX_] = {
    [CWMP_M_NONE] = "",
    [CWMP_M_GET_RPC_METHODS] = "GetRPCMethods",
    [CWMP_M_SET_PARAMETER_VALUES] = "SetParameterValues",
    [CWMP_M_GET_PARAMETER_VALUES] = "GetParameterValues",
    [CWMP_M_GET_PARAMETER_NAMES] = "GetParameterNames",
    [CWMP_M_SET_PARAMETER_ATTRIBUTES] = "SetParameterAttributes",
    [CWMP_M_GET_PARAMETER_ATTRIBUTES] = "GetParameterAttributes",
    [CWMP_M_ADD_OBJECT] = "AddObject",
    [CWMP_M_DELETE_OBJECT] = "DeleteObject",
    [CWMP_M_REBOOT] = "Reboot",
    [CWMP_M_DOWNLOAD] = "Download",
    [CWMP_M_UPLOAD] = "Upload",
    [CWMP_M_FACTORY_RESET] = "FactoryReset",
    [CWMP_M_SCHEDULE_INFORM] = "ScheduleInform",
    [CWMP_M_SCHEDULE_DOWNLOAD] = "ScheduleDownload",
    [CWMP_M_CANCEL_TRANSFER] = "CancelTransfer",
    [CWMP_M_CHANGE_DU_STATE] = "ChangeDUState",
    [CWMP_M_INFORM] = "Inform",
    [CWMP_M_TRANSFER_COMPLETE] = "TransferComplete",
    [CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE] = "AutonomousTransferComplete",
    [CWMP_M_DU_STATE_CHANGE_COMPLETE] = "DUStateChangeComplete",
    [CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE] =
        "AutonomousDUStateChangeComplete",
    [CWMP_M_REQUEST_DOWNLOAD] = "RequestDownload",
    [CWMP_M_KICKED] = "Kicked",
};

const char *cwmp_method_name(enum cwmp_method m)
{
    if ((unsigned)m >= CWMP_M_MAX_)
        return "";
    return method_names[m];
}

enum cwmp_method cwmp_method_from_name(const char *name)
{
    if (!name || !*name)
        return CWMP_M_NONE;
    for (int m = CWMP_M_NONE + 1; m < CWMP_M_MAX_; m++)
        if (strcmp(name, method_names[m]) == 0)
            return (enum cwmp_method)m;
    return CWMP_M_NONE;
}

static const char *const version_uris[] = {
    "urn:dslforum-org:cwmp-1-0", "urn:dslforum-org:cwmp-1-1",
    "urn:dslforum-org:cwmp-1-2", "urn:dslforum-org:cwmp-1-3",
    "urn:dslforum-org:cwmp-1-4",
};

const char *cwmp__version_uri(enum cwmp_version v)
{
    if ((unsigned)v > CWMP_V1_4)
        v = CWMP_V1_4;
    return version_uris[v];
}

int cwmp__version_from_uri(const char *uri, enum cwmp_version *out)
{
    static const char pfx[] = "urn:dslforum-org:cwmp-1-";
    const char *p;
    unsigned n = 0;

    if (!uri || strncmp(uri, pfx, sizeof(pfx) - 1) != 0)
        return UB_EPROTO;
    p = uri + sizeof(pfx) - 1;
    if (*p < '0' || *p > '9')
        return UB_EPROTO;
    while (*p >= '0' && *p <= '9' && n < 1000)
        n = n * 10 + (unsigned)(*p++ - '0');
    if (*p)
        return UB_EPROTO;
    /* A newer minor version than we know: answer with the newest we know. */
    *out = n > CWMP_V1_4 ? CWMP_V1_4 : (enum cwmp_version)n;
    return UB_OK;
}

struct cwmp_msg *cwmp_msg_new(enum cwmp_method m, enum cwmp_kind k)
{
    struct cwmp_msg *msg = ub_calloc(1, sizeof(*msg));

    if (!msg)
        return NULL;
    msg->method = m;
    msg->kind = k;
    msg->version = CWMP_V1_0;
    ub_param_list_init(&msg->params, 0);
    ub_param_list_init(&msg->inform.params, 0);
    ub_strv_init(&msg->strv, 0);
    return msg;
}

void cwmp__fault_clear(struct cwmp_fault *f)
{
    if (!f)
        return;
    ub_free(f->string);
    for (size_t i = 0; i < f->n_spv; i++) {
        ub_free(f->spv[i].name);
        ub_free(f->spv[i].string);
    }
    ub_free(f->spv);
    memset(f, 0, sizeof(*f));
}

static void transfer_clear(struct cwmp_transfer *t)
{
    ub_free(t->command_key);
    ub_free(t->file_type);
    ub_free(t->url);
    ub_free(t->username);
    ub_free(t->password);
    ub_free(t->target_file_name);
    ub_free(t->success_url);
    ub_free(t->failure_url);
    for (size_t i = 0; i < t->n_windows; i++) {
        ub_free(t->windows[i].window_mode);
        ub_free(t->windows[i].user_message);
    }
    ub_free(t->windows);
    ub_free(t->announce_url);
    ub_free(t->transfer_url);
    cwmp__fault_clear(&t->fault);
    ub_free(t->start_time);
    ub_free(t->complete_time);
}

void cwmp_msg_free(struct cwmp_msg *m)
{
    if (!m)
        return;
    ub_free(m->id);
    cwmp__fault_clear(&m->fault);
    ub_param_list_free(&m->params);
    ub_strv_free(&m->strv);
    for (size_t i = 0; i < m->n_attrs; i++) {
        ub_free(m->attrs[i].name);
        ub_strv_free(&m->attrs[i].access_list);
    }
    ub_free(m->attrs);
    ub_free(m->path);
    ub_free(m->parameter_key);
    ub_free(m->command_key);

    ub_free(m->inform.device_id.manufacturer);
    ub_free(m->inform.device_id.oui);
    ub_free(m->inform.device_id.product_class);
    ub_free(m->inform.device_id.serial_number);
    for (size_t i = 0; i < m->inform.n_events; i++) {
        ub_free(m->inform.events[i].code);
        ub_free(m->inform.events[i].command_key);
    }
    ub_free(m->inform.events);
    ub_free(m->inform.current_time);
    ub_param_list_free(&m->inform.params);

    transfer_clear(&m->transfer);

    for (size_t i = 0; i < m->n_du_ops; i++) {
        struct cwmp_du_operation *o = &m->du_ops[i];
        ub_free(o->url);
        ub_free(o->uuid);
        ub_free(o->username);
        ub_free(o->password);
        ub_free(o->execution_env_ref);
        ub_free(o->version);
    }
    ub_free(m->du_ops);
    for (size_t i = 0; i < m->n_du_results; i++) {
        struct cwmp_du_result *r = &m->du_results[i];
        ub_free(r->uuid);
        ub_free(r->deployment_unit_ref);
        ub_free(r->version);
        ub_free(r->current_state);
        ub_free(r->execution_unit_ref_list);
        ub_free(r->start_time);
        ub_free(r->complete_time);
        cwmp__fault_clear(&r->fault);
        ub_free(r->operation_performed);
    }
    ub_free(m->du_results);
    for (size_t i = 0; i < m->n_args; i++) {
        ub_free(m->args[i].name);
        ub_free(m->args[i].value);
    }
    ub_free(m->args);
    ub_free(m->next_url);
    ub_free(m);
}
