/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP codec, encode half: struct cwmp_msg (borrowed) -> gSOAP structs ->
 * XML through the generated soap_out_* functions.
 *
 * DESIGN
 *  - The gSOAP structs point straight at the message's strings (gSOAP only
 *    reads them); numbers, arrayType texts and item arrays live in gSOAP's
 *    arena and die at the soap_end() in codec.c.
 *  - Every element the XSD requires is written, empty when the message has
 *    NULL (TR-069 parsers on CPEs often insist on the full sequence);
 *    unknown times are "0001-01-01T00:00:00Z" (TR-069 "Unknown Time").
 *  - Arrays carry SOAP-ENC:arrayType="cwmp:ParameterValueStruct[N]" with
 *    the real N; values carry xsi:type (their own type_name, else the xsd
 *    name of their ub_type, else xsd:string).
 *  - Booleans are written "1"/"0" (valid xsd:boolean; some CPE parsers
 *    only atoi() them).
 */
#include "cwmp_int.h"

#include "soapH.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define S(x) ((char *)(x))
#define Z(x) ((char *)((x) ? (x) : ""))
#define UNKNOWN_TIME "0001-01-01T00:00:00Z"
#define T(x) ((char *)((x) ? (x) : UNKNOWN_TIME))
#define B(x) ((char *)((x) ? "1" : "0"))

/* Returned by helpers when the message cannot be encoded (too many items). */
#define ENC_EINVAL (-1)

static char *num_u(struct soap *soap, unsigned long v)
{
    char *s = soap_malloc(soap, 24);
    if (s)
        snprintf(s, 24, "%lu", v);
    return s;
}

static char *num_i(struct soap *soap, long v)
{
    char *s = soap_malloc(soap, 24);
    if (s)
        snprintf(s, 24, "%ld", v);
    return s;
}

static char *array_type(struct soap *soap, const char *item, size_t n)
{
    size_t len = strlen(item) + 24;
    char *s = soap_malloc(soap, len);
    if (s)
        snprintf(s, len, "%s[%zu]", item, n);
    return s;
}

/* n items of size sz in the arena; NULL with *e set on failure. */
static void *items(struct soap *soap, size_t n, size_t sz, int *e)
{
    void *p;

    if (n > INT_MAX || (n && sz > SIZE_MAX / n)) {
        *e = ENC_EINVAL;
        return NULL;
    }
    if (!n)
        return NULL;
    p = soap_malloc(soap, n * sz);
    if (!p) {
        *e = SOAP_EOM;
        return NULL;
    }
    memset(p, 0, n * sz);
    return p;
}

static const char *xsd_type(const struct ub_param *p)
{
    static const char *const names[UB_T_MAX_] = {
        [UB_T_NONE] = "xsd:string",        [UB_T_STRING] = "xsd:string",
        [UB_T_INT] = "xsd:int",            [UB_T_UINT] = "xsd:unsignedInt",
        [UB_T_LONG] = "xsd:long",          [UB_T_ULONG] = "xsd:unsignedLong",
        [UB_T_BOOL] = "xsd:boolean",       [UB_T_DATETIME] = "xsd:dateTime",
        [UB_T_BASE64] = "xsd:base64",      [UB_T_HEXBINARY] = "xsd:hexBinary",
        [UB_T_DECIMAL] = "xsd:decimal",    [UB_T_OBJECT] = "xsd:string",
    };

    if (p->type_name && *p->type_name)
        return p->type_name;
    if ((unsigned)p->type >= UB_T_MAX_)
        return "xsd:string";
    return names[p->type];
}

static struct cwmp__ParameterValueList *
pvlist(struct soap *soap, const struct ub_param_list *l, int *e)
{
    struct cwmp__ParameterValueList *o = soap_malloc(soap, sizeof(*o));

    if (!o) {
        *e = SOAP_EOM;
        return NULL;
    }
    soap_default_cwmp__ParameterValueList(soap, o);
    o->ParameterValueStruct = items(soap, l->n, sizeof(*o->ParameterValueStruct), e);
    if (*e)
        return NULL;
    o->__sizeParameterValueStruct = (int)l->n;
    o->SOAP_ENC__arrayType =
        array_type(soap, "cwmp:ParameterValueStruct", l->n);
    for (size_t i = 0; i < l->n; i++) {
        struct cwmp__ParameterValueStruct *s = &o->ParameterValueStruct[i];
        s->Name = Z(l->v[i].path);
        s->Value.__item = Z(l->v[i].value);
        s->Value.xsi__type = S(xsd_type(&l->v[i]));
    }
    return o;
}

static struct cwmp__StringList *strlist(struct soap *soap,
                                        const struct ub_strv *v, int *e)
{
    struct cwmp__StringList *o = soap_malloc(soap, sizeof(*o));

    if (!o) {
        *e = SOAP_EOM;
        return NULL;
    }
    soap_default_cwmp__StringList(soap, o);
    o->string = items(soap, v->n, sizeof(*o->string), e);
    if (*e)
        return NULL;
    o->__sizestring = (int)v->n;
    o->SOAP_ENC__arrayType = array_type(soap, "xsd:string", v->n);
    for (size_t i = 0; i < v->n; i++)
        o->string[i] = Z(v->v[i]);
    return o;
}

static struct cwmp__FaultStruct *fault_struct(struct soap *soap,
                                              const struct cwmp_fault *f,
                                              int *e)
{
    struct cwmp__FaultStruct *o = soap_malloc(soap, sizeof(*o));

    if (!o) {
        *e = SOAP_EOM;
        return NULL;
    }
    o->FaultCode = num_u(soap, f->code);
    o->FaultString = Z(f->string);
    return o;
}

/* ------------------------------------------------------------------ */
/* Bodies                                                              */
/* ------------------------------------------------------------------ */

static int enc_inform(struct soap *soap, const struct cwmp_msg *m)
{
    const struct cwmp_inform *inf = &m->inform;
    struct cwmp__Inform x;
    struct cwmp__DeviceIdStruct dev;
    struct cwmp__EventList ev;
    int e = 0;

    soap_default_cwmp__Inform(soap, &x);
    dev.Manufacturer = Z(inf->device_id.manufacturer);
    dev.OUI = Z(inf->device_id.oui);
    dev.ProductClass = Z(inf->device_id.product_class);
    dev.SerialNumber = Z(inf->device_id.serial_number);
    x.DeviceId = &dev;
    soap_default_cwmp__EventList(soap, &ev);
    ev.EventStruct = items(soap, inf->n_events, sizeof(*ev.EventStruct), &e);
    if (e)
        return e;
    ev.__sizeEventStruct = (int)inf->n_events;
    ev.SOAP_ENC__arrayType = array_type(soap, "cwmp:EventStruct", inf->n_events);
    for (size_t i = 0; i < inf->n_events; i++) {
        ev.EventStruct[i].EventCode = Z(inf->events[i].code);
        ev.EventStruct[i].CommandKey = Z(inf->events[i].command_key);
    }
    x.Event = &ev;
    x.MaxEnvelopes = num_u(soap, inf->max_envelopes ? inf->max_envelopes : 1);
    x.CurrentTime = T(inf->current_time);
    x.RetryCount = num_u(soap, inf->retry_count);
    x.ParameterList = pvlist(soap, &inf->params, &e);
    if (e)
        return e;
    return soap_out_cwmp__Inform(soap, "cwmp:Inform", -1, &x, "");
}

static int enc_attrs(struct soap *soap, const struct cwmp_msg *m, bool set)
{
    int e = 0;

    if (set) {
        struct cwmp__SetParameterAttributes x;
        struct cwmp__SetParameterAttributesList l;

        soap_default_cwmp__SetParameterAttributesList(soap, &l);
        l.SetParameterAttributesStruct =
            items(soap, m->n_attrs, sizeof(*l.SetParameterAttributesStruct), &e);
        if (e)
            return e;
        l.__sizeSetParameterAttributesStruct = (int)m->n_attrs;
        l.SOAP_ENC__arrayType = array_type(
            soap, "cwmp:SetParameterAttributesStruct", m->n_attrs);
        for (size_t i = 0; i < m->n_attrs; i++) {
            const struct cwmp_attr *a = &m->attrs[i];
            struct cwmp__SetParameterAttributesStruct *s =
                &l.SetParameterAttributesStruct[i];
            s->Name = Z(a->name);
            s->NotificationChange = B(a->notification_change);
            s->Notification = num_u(soap, a->notification);
            s->AccessListChange = B(a->access_list_change);
            s->AccessList = strlist(soap, &a->access_list, &e);
            if (e)
                return e;
        }
        x.ParameterList = &l;
        return soap_out_cwmp__SetParameterAttributes(
            soap, "cwmp:SetParameterAttributes", -1, &x, "");
    } else {
        struct cwmp__GetParameterAttributesResponse x;
        struct cwmp__ParameterAttributeList l;

        soap_default_cwmp__ParameterAttributeList(soap, &l);
        l.ParameterAttributeStruct =
            items(soap, m->n_attrs, sizeof(*l.ParameterAttributeStruct), &e);
        if (e)
            return e;
        l.__sizeParameterAttributeStruct = (int)m->n_attrs;
        l.SOAP_ENC__arrayType =
            array_type(soap, "cwmp:ParameterAttributeStruct", m->n_attrs);
        for (size_t i = 0; i < m->n_attrs; i++) {
            const struct cwmp_attr *a = &m->attrs[i];
            struct cwmp__ParameterAttributeStruct *s =
                &l.ParameterAttributeStruct[i];
            s->Name = Z(a->name);
            s->Notification = num_u(soap, a->notification);
            s->AccessList = strlist(soap, &a->access_list, &e);
            if (e)
                return e;
        }
        x.ParameterList = &l;
        return soap_out_cwmp__GetParameterAttributesResponse(
            soap, "cwmp:GetParameterAttributesResponse", -1, &x, "");
    }
}

static int enc_gpn_resp(struct soap *soap, const struct cwmp_msg *m)
{
    struct cwmp__GetParameterNamesResponse x;
    struct cwmp__ParameterInfoList l;
    int e = 0;

    soap_default_cwmp__ParameterInfoList(soap, &l);
    l.ParameterInfoStruct =
        items(soap, m->params.n, sizeof(*l.ParameterInfoStruct), &e);
    if (e)
        return e;
    l.__sizeParameterInfoStruct = (int)m->params.n;
    l.SOAP_ENC__arrayType =
        array_type(soap, "cwmp:ParameterInfoStruct", m->params.n);
    for (size_t i = 0; i < m->params.n; i++) {
        l.ParameterInfoStruct[i].Name = Z(m->params.v[i].path);
        l.ParameterInfoStruct[i].Writable = B(m->params.v[i].writable);
    }
    x.ParameterList = &l;
    return soap_out_cwmp__GetParameterNamesResponse(
        soap, "cwmp:GetParameterNamesResponse", -1, &x, "");
}

static int enc_cdus(struct soap *soap, const struct cwmp_msg *m)
{
    const char *tag = "cwmp:ChangeDUState";
    int e;

    e = soap_element_begin_out(soap, tag, -1, NULL);
    for (size_t i = 0; !e && i < m->n_du_ops; i++) {
        const struct cwmp_du_operation *o = &m->du_ops[i];
        switch (o->op) {
        case CWMP_DU_INSTALL: {
            struct cwmp__InstallOpStruct s = {
                S("cwmp:InstallOpStruct"), Z(o->url), S(o->uuid),
                S(o->username), S(o->password), S(o->execution_env_ref)};
            e = soap_out_cwmp__InstallOpStruct(soap, "Operations", -1, &s, "");
            break;
        }
        case CWMP_DU_UPDATE: {
            struct cwmp__UpdateOpStruct s = {
                S("cwmp:UpdateOpStruct"), S(o->uuid), S(o->version),
                S(o->url), S(o->username), S(o->password)};
            e = soap_out_cwmp__UpdateOpStruct(soap, "Operations", -1, &s, "");
            break;
        }
        case CWMP_DU_UNINSTALL: {
            struct cwmp__UninstallOpStruct s = {
                S("cwmp:UninstallOpStruct"), Z(o->uuid), S(o->version),
                S(o->execution_env_ref)};
            e = soap_out_cwmp__UninstallOpStruct(soap, "Operations", -1, &s,
                                                 "");
            break;
        }
        default:
            return ENC_EINVAL;
        }
    }
    if (!e && m->command_key)
        e = soap_out_string(soap, "CommandKey", -1, (char *const *)&m->command_key,
                            "");
    if (!e)
        e = soap_element_end_out(soap, tag);
    return e;
}

static int enc_dusc(struct soap *soap, const struct cwmp_msg *m, bool auton)
{
    struct cwmp__DUStateChangeComplete x;
    int e = 0;

    soap_default_cwmp__DUStateChangeComplete(soap, &x);
    x.Results = items(soap, m->n_du_results, sizeof(*x.Results), &e);
    if (e)
        return e;
    x.__sizeResults = (int)m->n_du_results;
    for (size_t i = 0; i < m->n_du_results; i++) {
        const struct cwmp_du_result *r = &m->du_results[i];
        struct cwmp__OpResultStruct *s = &x.Results[i];
        s->UUID = Z(r->uuid);
        s->DeploymentUnitRef = Z(r->deployment_unit_ref);
        s->Version = Z(r->version);
        s->CurrentState = Z(r->current_state);
        s->Resolved = B(r->resolved);
        s->ExecutionUnitRefList = Z(r->execution_unit_ref_list);
        s->StartTime = T(r->start_time);
        s->CompleteTime = T(r->complete_time);
        s->Fault = fault_struct(soap, &r->fault, &e);
        if (e)
            return e;
        if (auton)
            s->OperationPerformed = Z(r->operation_performed);
    }
    if (auton)
        return soap_out_cwmp__DUStateChangeComplete(
            soap, "cwmp:AutonomousDUStateChangeComplete", -1, &x, "");
    x.CommandKey = S(m->command_key);
    return soap_out_cwmp__DUStateChangeComplete(
        soap, "cwmp:DUStateChangeComplete", -1, &x, "");
}

static const char *arg_value(const struct cwmp_msg *m, const char *name)
{
    for (size_t i = 0; i < m->n_args; i++)
        if (m->args[i].name && !strcasecmp(m->args[i].name, name))
            return m->args[i].value;
    return NULL;
}

static int enc_request(struct soap *soap, const struct cwmp_msg *m,
                       const char *tag)
{
    const struct cwmp_transfer *t = &m->transfer;
    int e = 0;

    switch (m->method) {
    case CWMP_M_INFORM:
        return enc_inform(soap, m);
    case CWMP_M_GET_RPC_METHODS:
    case CWMP_M_FACTORY_RESET: {
        struct cwmp__Empty x;
        soap_default_cwmp__Empty(soap, &x);
        return soap_out_cwmp__Empty(soap, tag, -1, &x, "");
    }
    case CWMP_M_SET_PARAMETER_VALUES: {
        struct cwmp__SetParameterValues x;
        x.ParameterList = pvlist(soap, &m->params, &e);
        if (e)
            return e;
        x.ParameterKey = Z(m->parameter_key);
        return soap_out_cwmp__SetParameterValues(soap, tag, -1, &x, "");
    }
    case CWMP_M_GET_PARAMETER_VALUES:
    case CWMP_M_GET_PARAMETER_ATTRIBUTES: {
        struct cwmp__GetParameterValues x;
        x.ParameterNames = strlist(soap, &m->strv, &e);
        if (e)
            return e;
        return soap_out_cwmp__GetParameterValues(soap, tag, -1, &x, "");
    }
    case CWMP_M_GET_PARAMETER_NAMES: {
        struct cwmp__GetParameterNames x = {Z(m->path), B(m->next_level)};
        return soap_out_cwmp__GetParameterNames(soap, tag, -1, &x, "");
    }
    case CWMP_M_SET_PARAMETER_ATTRIBUTES:
        return enc_attrs(soap, m, true);
    case CWMP_M_ADD_OBJECT:
    case CWMP_M_DELETE_OBJECT: {
        struct cwmp__AddObject x = {Z(m->path), Z(m->parameter_key)};
        return soap_out_cwmp__AddObject(soap, tag, -1, &x, "");
    }
    case CWMP_M_REBOOT:
    case CWMP_M_CANCEL_TRANSFER: {
        struct cwmp__CommandKeyOnly x = {Z(m->command_key)};
        return soap_out_cwmp__CommandKeyOnly(soap, tag, -1, &x, "");
    }
    case CWMP_M_DOWNLOAD: {
        struct cwmp__Download x = {
            Z(t->command_key),      Z(t->file_type),
            Z(t->url),              Z(t->username),
            Z(t->password),         num_u(soap, t->file_size),
            Z(t->target_file_name), num_u(soap, t->delay_seconds),
            Z(t->success_url),      Z(t->failure_url)};
        return soap_out_cwmp__Download(soap, tag, -1, &x, "");
    }
    case CWMP_M_UPLOAD: {
        struct cwmp__Upload x = {Z(t->command_key), Z(t->file_type),
                                 Z(t->url),         Z(t->username),
                                 Z(t->password),    num_u(soap, t->delay_seconds)};
        return soap_out_cwmp__Upload(soap, tag, -1, &x, "");
    }
    case CWMP_M_SCHEDULE_INFORM: {
        struct cwmp__ScheduleInform x = {num_u(soap, m->delay_seconds),
                                         Z(m->command_key)};
        return soap_out_cwmp__ScheduleInform(soap, tag, -1, &x, "");
    }
    case CWMP_M_SCHEDULE_DOWNLOAD: {
        struct cwmp__ScheduleDownload x;
        struct cwmp__TimeWindowList l;
        soap_default_cwmp__TimeWindowList(soap, &l);
        l.TimeWindowStruct = items(soap, t->n_windows, sizeof(*l.TimeWindowStruct), &e);
        if (e)
            return e;
        l.__sizeTimeWindowStruct = (int)t->n_windows;
        l.SOAP_ENC__arrayType =
            array_type(soap, "cwmp:TimeWindowStruct", t->n_windows);
        for (size_t i = 0; i < t->n_windows; i++) {
            const struct cwmp_time_window *w = &t->windows[i];
            struct cwmp__TimeWindowStruct *s = &l.TimeWindowStruct[i];
            s->WindowStart = num_u(soap, w->window_start);
            s->WindowEnd = num_u(soap, w->window_end);
            s->WindowMode = Z(w->window_mode);
            s->UserMessage = Z(w->user_message);
            s->MaxRetries = num_i(soap, w->max_retries);
        }
        x.CommandKey = Z(t->command_key);
        x.FileType = Z(t->file_type);
        x.URL = Z(t->url);
        x.Username = Z(t->username);
        x.Password = Z(t->password);
        x.FileSize = num_u(soap, t->file_size);
        x.TargetFileName = Z(t->target_file_name);
        x.TimeWindowList = &l;
        return soap_out_cwmp__ScheduleDownload(soap, tag, -1, &x, "");
    }
    case CWMP_M_CHANGE_DU_STATE:
        return enc_cdus(soap, m);
    case CWMP_M_TRANSFER_COMPLETE: {
        struct cwmp__TransferComplete x;
        x.CommandKey = Z(t->command_key);
        x.FaultStruct = fault_struct(soap, &t->fault, &e);
        if (e)
            return e;
        x.StartTime = T(t->start_time);
        x.CompleteTime = T(t->complete_time);
        return soap_out_cwmp__TransferComplete(soap, tag, -1, &x, "");
    }
    case CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE: {
        struct cwmp__AutonomousTransferComplete x;
        x.AnnounceURL = Z(t->announce_url);
        x.TransferURL = Z(t->transfer_url);
        x.IsDownload = B(t->is_download);
        x.FileType = Z(t->file_type);
        x.FileSize = num_u(soap, t->file_size);
        x.TargetFileName = Z(t->target_file_name);
        x.FaultStruct = fault_struct(soap, &t->fault, &e);
        if (e)
            return e;
        x.StartTime = T(t->start_time);
        x.CompleteTime = T(t->complete_time);
        return soap_out_cwmp__AutonomousTransferComplete(soap, tag, -1, &x,
                                                         "");
    }
    case CWMP_M_DU_STATE_CHANGE_COMPLETE:
        return enc_dusc(soap, m, false);
    case CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE:
        return enc_dusc(soap, m, true);
    case CWMP_M_REQUEST_DOWNLOAD: {
        struct cwmp__RequestDownload x;
        struct cwmp__ArgList l;
        soap_default_cwmp__ArgList(soap, &l);
        l.ArgStruct = items(soap, m->n_args, sizeof(*l.ArgStruct), &e);
        if (e)
            return e;
        l.__sizeArgStruct = (int)m->n_args;
        l.SOAP_ENC__arrayType = array_type(soap, "cwmp:ArgStruct", m->n_args);
        for (size_t i = 0; i < m->n_args; i++) {
            l.ArgStruct[i].Name = Z(m->args[i].name);
            l.ArgStruct[i].Value = Z(m->args[i].value);
        }
        x.FileType = Z(t->file_type);
        x.FileTypeArg = &l;
        return soap_out_cwmp__RequestDownload(soap, tag, -1, &x, "");
    }
    case CWMP_M_KICKED: {
        struct cwmp__Kicked x = {
            Z(arg_value(m, "Command")), Z(arg_value(m, "Referer")),
            Z(arg_value(m, "Arg")), Z(arg_value(m, "Next"))};
        return soap_out_cwmp__Kicked(soap, tag, -1, &x, "");
    }
    default:
        return ENC_EINVAL;
    }
}

static int enc_response(struct soap *soap, const struct cwmp_msg *m,
                        const char *tag)
{
    int e = 0;

    switch (m->method) {
    case CWMP_M_INFORM: {
        struct cwmp__InformResponse x = {
            num_u(soap, m->max_envelopes ? m->max_envelopes : 1)};
        return soap_out_cwmp__InformResponse(soap, tag, -1, &x, "");
    }
    case CWMP_M_GET_RPC_METHODS: {
        struct cwmp__GetRPCMethodsResponse x;
        x.MethodList = strlist(soap, &m->strv, &e);
        if (e)
            return e;
        return soap_out_cwmp__GetRPCMethodsResponse(soap, tag, -1, &x, "");
    }
    case CWMP_M_SET_PARAMETER_VALUES:
    case CWMP_M_DELETE_OBJECT: {
        struct cwmp__StatusResponse x = {num_i(soap, m->status)};
        return soap_out_cwmp__StatusResponse(soap, tag, -1, &x, "");
    }
    case CWMP_M_GET_PARAMETER_VALUES: {
        struct cwmp__GetParameterValuesResponse x;
        x.ParameterList = pvlist(soap, &m->params, &e);
        if (e)
            return e;
        return soap_out_cwmp__GetParameterValuesResponse(soap, tag, -1, &x,
                                                         "");
    }
    case CWMP_M_GET_PARAMETER_NAMES:
        return enc_gpn_resp(soap, m);
    case CWMP_M_GET_PARAMETER_ATTRIBUTES:
        return enc_attrs(soap, m, false);
    case CWMP_M_ADD_OBJECT: {
        struct cwmp__AddObjectResponse x = {num_u(soap, m->instance_number),
                                            num_i(soap, m->status)};
        return soap_out_cwmp__AddObjectResponse(soap, tag, -1, &x, "");
    }
    case CWMP_M_DOWNLOAD:
    case CWMP_M_UPLOAD: {
        struct cwmp__TransferResponse x = {num_i(soap, m->transfer.status),
                                           T(m->transfer.start_time),
                                           T(m->transfer.complete_time)};
        return soap_out_cwmp__TransferResponse(soap, tag, -1, &x, "");
    }
    case CWMP_M_KICKED: {
        struct cwmp__KickedResponse x = {Z(m->next_url)};
        return soap_out_cwmp__KickedResponse(soap, tag, -1, &x, "");
    }
    case CWMP_M_SET_PARAMETER_ATTRIBUTES:
    case CWMP_M_REBOOT:
    case CWMP_M_FACTORY_RESET:
    case CWMP_M_SCHEDULE_INFORM:
    case CWMP_M_SCHEDULE_DOWNLOAD:
    case CWMP_M_CANCEL_TRANSFER:
    case CWMP_M_CHANGE_DU_STATE:
    case CWMP_M_TRANSFER_COMPLETE:
    case CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE:
    case CWMP_M_DU_STATE_CHANGE_COMPLETE:
    case CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE:
    case CWMP_M_REQUEST_DOWNLOAD: {
        struct cwmp__Empty x;
        soap_default_cwmp__Empty(soap, &x);
        return soap_out_cwmp__Empty(soap, tag, -1, &x, "");
    }
    default:
        return ENC_EINVAL;
    }
}

static int enc_fault(struct soap *soap, const struct cwmp_msg *m)
{
    const struct cwmp_fault *f = &m->fault;
    struct SOAP_ENV__Fault x;
    struct SOAP_ENV__Detail d;
    struct cwmp__Fault cf;
    int e = 0;

    soap_default_SOAP_ENV__Fault(soap, &x);
    soap_default_cwmp__Fault(soap, &cf);
    x.faultcode = S(f->server ? "Server" : "Client");
    x.faultstring = S("CWMP fault");
    cf.FaultCode = num_u(soap, f->code);
    cf.FaultString = Z(f->string);
    cf.SetParameterValuesFault =
        items(soap, f->n_spv, sizeof(*cf.SetParameterValuesFault), &e);
    if (e)
        return e;
    cf.__sizeSetParameterValuesFault = (int)f->n_spv;
    for (size_t i = 0; i < f->n_spv; i++) {
        struct cwmp__SetParameterValuesFault *s = &cf.SetParameterValuesFault[i];
        s->ParameterName = Z(f->spv[i].name);
        s->FaultCode = num_u(soap, f->spv[i].code);
        s->FaultString = Z(f->spv[i].string);
    }
    d.cwmp__Fault = &cf;
    x.detail = &d;
    return soap_out_SOAP_ENV__Fault(soap, "SOAP-ENV:Fault", -1, &x, "");
}

int cwmp__enc_body(struct soap *soap, const struct cwmp_msg *m)
{
    char tag[64];

    if (m->kind == CWMP_FAULT)
        return enc_fault(soap, m);
    snprintf(tag, sizeof(tag), "cwmp:%s%s", cwmp_method_name(m->method),
             m->kind == CWMP_RESPONSE ? "Response" : "");
    if (m->kind == CWMP_RESPONSE)
        return enc_response(soap, m, tag);
    return enc_request(soap, m, tag);
}
