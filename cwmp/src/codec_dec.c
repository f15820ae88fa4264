/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP codec, decode half: gSOAP structs (arena) -> struct cwmp_msg (owned).
 *
 * DESIGN
 *  - cwmp__dec_body() reads the Body element with the generated soap_in_*
 *    function for (method, kind), passing a NULL tag (the element name was
 *    already matched by local name in codec.c), then copies every string
 *    out of gSOAP's arena with ub_strdup before codec.c calls soap_end().
 *  - Leniency: array entries without a Name are skipped (CPEs that pad to
 *    a wrong arrayType count), absent strings become NULL (optional) or ""
 *    (required), numbers and booleans accept blanks, "true"/"1"...
 *  - A value without xsi:type decodes as UB_T_NONE; a type we do not know
 *    keeps its QName text in ub_param.type_name so it round-trips.
 */
#include "cwmp_int.h"

#include "soapH.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

#define TRY(x)                                                                 \
    do {                                                                       \
        err = (x);                                                             \
        if (err)                                                               \
            goto out;                                                          \
    } while (0)

struct dec {
    char *err;
    size_t errsz;
};

/* Number/boolean conversion errors carry the element name. */
static int num_u(struct dec *d, const char *what, const char *s,
                 unsigned long max, unsigned long *out)
{
    if (cwmp__parse_ulong(s, max, out) == UB_OK)
        return UB_OK;
    cwmp__codec_reason(d->err, d->errsz, "bad number in <%s>", what);
    return UB_EPROTO;
}

static int num_uint(struct dec *d, const char *what, const char *s,
                    unsigned *out)
{
    unsigned long v;
    int err = num_u(d, what, s, UINT_MAX, &v);
    if (!err)
        *out = (unsigned)v;
    return err;
}

static int num_int(struct dec *d, const char *what, const char *s, int *out)
{
    if (cwmp__parse_int(s, out) == UB_OK)
        return UB_OK;
    cwmp__codec_reason(d->err, d->errsz, "bad number in <%s>", what);
    return UB_EPROTO;
}

static int boolean(struct dec *d, const char *what, const char *s, bool *out)
{
    if (cwmp__parse_bool(s, out) == UB_OK)
        return UB_OK;
    cwmp__codec_reason(d->err, d->errsz, "bad boolean in <%s>", what);
    return UB_EPROTO;
}

static int too_many(struct dec *d, const char *what)
{
    cwmp__codec_reason(d->err, d->errsz, "too many <%s> items", what);
    return UB_ETOOBIG;
}

/* Allocates n zeroed items (n may be 0: *out = NULL). */
static int alloc_items(void **out, size_t n, size_t size)
{
    void *p;

    *out = NULL;
    if (!n)
        return UB_OK;
    p = ub_calloc(n, size);
    if (!p)
        return UB_ENOMEM;
    *out = p;
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* Shared pieces                                                       */
/* ------------------------------------------------------------------ */

static bool ncname(const char *s, size_t n)
{
    if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' &&
            s[i] != '.')
            return false;
    return true;
}

/* The xsi:type QName as gSOAP hands it over, made safe to write back:
 * "xsd:foo" (prefixes of our own namespace table are kept), "foo" (other
 * prefixes, and gSOAP's "URI":foo form for undeclared namespaces, lose
 * theirs; the local name still gives the type), or NULL when it is not a
 * QName at all (then the value is untyped). */
static const char *clean_qname(const char *q)
{
    static const char *const keep[] = {"xsd:", "xsi:", "SOAP-ENC:",
                                       "SOAP-ENV:", "cwmp:"};
    const char *colon;

    if (!q)
        return NULL;
    if (*q == '"') {
        const char *e = strrchr(q + 1, '"');
        if (!e || e[1] != ':')
            return NULL;
        q = e + 2;
    }
    colon = strchr(q, ':');
    if (colon) {
        for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
            if (!strncmp(q, keep[i], strlen(keep[i])))
                return ncname(colon + 1, strlen(colon + 1)) ? q : NULL;
        q = colon + 1;
    }
    return ncname(q, strlen(q)) ? q : NULL;
}

static int dec_pvlist(struct dec *d, const struct cwmp__ParameterValueList *l,
                      struct ub_param_list *out)
{
    int err = UB_OK;

    if (!l)
        return UB_OK;
    for (int i = 0; i < l->__sizeParameterValueStruct; i++) {
        const struct cwmp__ParameterValueStruct *s = &l->ParameterValueStruct[i];
        struct ub_param *p;
        const char *qn;
        enum ub_type t;

        if (!s->Name)
            continue;
        err = ub_param_list_push(out, &p);
        if (err == UB_ETOOBIG)
            return too_many(d, "ParameterValueStruct");
        if (err)
            return err;
        TRY(cwmp__dup(&p->path, s->Name));
        TRY(cwmp__dup0(&p->value, s->Value.__item));
        qn = clean_qname(s->Value.xsi__type);
        t = ub_type_from_name(qn);
        p->type = t;
        if (t == UB_T_NONE && qn)
            TRY(cwmp__dup(&p->type_name, qn));
    }
out:
    return err;
}

static int dec_strlist(struct dec *d, const struct cwmp__StringList *l,
                       struct ub_strv *out)
{
    int err;

    if (!l)
        return UB_OK;
    for (int i = 0; i < l->__sizestring; i++) {
        err = ub_strv_add(out, l->string[i] ? l->string[i] : "");
        if (err == UB_ETOOBIG)
            return too_many(d, "string");
        if (err)
            return err;
    }
    return UB_OK;
}

static int dec_fault_struct(struct dec *d, const struct cwmp__FaultStruct *f,
                            struct cwmp_fault *out)
{
    if (!f)
        return UB_OK;
    if (num_uint(d, "FaultCode", f->FaultCode, &out->code))
        return UB_EPROTO;
    return cwmp__dup(&out->string, f->FaultString);
}

/* ------------------------------------------------------------------ */
/* Per method                                                          */
/* ------------------------------------------------------------------ */

static int dec_inform(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct cwmp__Inform x;
    struct cwmp_inform *inf = &m->inform;
    int err = UB_OK;

    soap_default_cwmp__Inform(soap, &x);
    if (!soap_in_cwmp__Inform(soap, NULL, &x, NULL))
        return UB_EPROTO;
    if (x.DeviceId) {
        TRY(cwmp__dup0(&inf->device_id.manufacturer, x.DeviceId->Manufacturer));
        TRY(cwmp__dup0(&inf->device_id.oui, x.DeviceId->OUI));
        TRY(cwmp__dup0(&inf->device_id.product_class,
                       x.DeviceId->ProductClass));
        TRY(cwmp__dup0(&inf->device_id.serial_number,
                       x.DeviceId->SerialNumber));
    } else {
        cwmp__codec_reason(d->err, d->errsz, "Inform without DeviceId");
        return UB_EPROTO;
    }
    if (x.Event && x.Event->__sizeEventStruct > 0) {
        int n = x.Event->__sizeEventStruct;
        TRY(alloc_items((void **)&inf->events, (size_t)n,
                        sizeof(*inf->events)));
        for (int i = 0; i < n; i++) {
            const struct cwmp__EventStruct *e = &x.Event->EventStruct[i];
            if (!e->EventCode)
                continue;
            struct cwmp_event *o = &inf->events[inf->n_events];
            TRY(cwmp__dup0(&o->code, e->EventCode));
            inf->n_events++;
            TRY(cwmp__dup0(&o->command_key, e->CommandKey));
        }
    }
    TRY(num_uint(d, "MaxEnvelopes", x.MaxEnvelopes, &inf->max_envelopes));
    TRY(cwmp__dup0(&inf->current_time, x.CurrentTime));
    TRY(num_uint(d, "RetryCount", x.RetryCount, &inf->retry_count));
    TRY(dec_pvlist(d, x.ParameterList, &inf->params));
out:
    return err;
}

static int dec_gpn_resp(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct cwmp__GetParameterNamesResponse x;
    int err = UB_OK;

    soap_default_cwmp__GetParameterNamesResponse(soap, &x);
    if (!soap_in_cwmp__GetParameterNamesResponse(soap, NULL, &x, NULL))
        return UB_EPROTO;
    if (!x.ParameterList)
        return UB_OK;
    for (int i = 0; i < x.ParameterList->__sizeParameterInfoStruct; i++) {
        const struct cwmp__ParameterInfoStruct *s =
            &x.ParameterList->ParameterInfoStruct[i];
        struct ub_param *p;
        bool w = false;

        if (!s->Name)
            continue;
        TRY(boolean(d, "Writable", s->Writable, &w));
        err = ub_param_list_push(&m->params, &p);
        if (err == UB_ETOOBIG)
            return too_many(d, "ParameterInfoStruct");
        if (err)
            return err;
        TRY(cwmp__dup(&p->path, s->Name));
        p->writable = w;
        if (ub_path_is_object(p->path))
            p->type = UB_T_OBJECT;
    }
out:
    return err;
}

static int dec_access_list(struct dec *d, const struct cwmp__StringList *l,
                           struct cwmp_attr *a)
{
    ub_strv_init(&a->access_list, 64);
    return dec_strlist(d, l, &a->access_list);
}

static int dec_notification(struct dec *d, const char *s, uint8_t *out)
{
    unsigned long v;
    int err = num_u(d, "Notification", s, 255, &v);
    if (!err)
        *out = (uint8_t)v;
    return err;
}

static int dec_gpa_resp(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct cwmp__GetParameterAttributesResponse x;
    const struct cwmp__ParameterAttributeList *l;
    int err = UB_OK;

    soap_default_cwmp__GetParameterAttributesResponse(soap, &x);
    if (!soap_in_cwmp__GetParameterAttributesResponse(soap, NULL, &x, NULL))
        return UB_EPROTO;
    l = x.ParameterList;
    if (!l || l->__sizeParameterAttributeStruct <= 0)
        return UB_OK;
    TRY(alloc_items((void **)&m->attrs, (size_t)l->__sizeParameterAttributeStruct,
                    sizeof(*m->attrs)));
    for (int i = 0; i < l->__sizeParameterAttributeStruct; i++) {
        const struct cwmp__ParameterAttributeStruct *s =
            &l->ParameterAttributeStruct[i];
        struct cwmp_attr *a = &m->attrs[m->n_attrs];

        if (!s->Name)
            continue;
        TRY(cwmp__dup(&a->name, s->Name));
        m->n_attrs++;
        TRY(dec_notification(d, s->Notification, &a->notification));
        TRY(dec_access_list(d, s->AccessList, a));
    }
out:
    return err;
}

static int dec_spa(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct cwmp__SetParameterAttributes x;
    const struct cwmp__SetParameterAttributesList *l;
    int err = UB_OK;

    soap_default_cwmp__SetParameterAttributes(soap, &x);
    if (!soap_in_cwmp__SetParameterAttributes(soap, NULL, &x, NULL))
        return UB_EPROTO;
    l = x.ParameterList;
    if (!l || l->__sizeSetParameterAttributesStruct <= 0)
        return UB_OK;
    TRY(alloc_items((void **)&m->attrs,
                    (size_t)l->__sizeSetParameterAttributesStruct,
                    sizeof(*m->attrs)));
    for (int i = 0; i < l->__sizeSetParameterAttributesStruct; i++) {
        const struct cwmp__SetParameterAttributesStruct *s =
            &l->SetParameterAttributesStruct[i];
        struct cwmp_attr *a = &m->attrs[m->n_attrs];

        if (!s->Name)
            continue;
        TRY(cwmp__dup(&a->name, s->Name));
        m->n_attrs++;
        TRY(boolean(d, "NotificationChange", s->NotificationChange,
                    &a->notification_change));
        TRY(dec_notification(d, s->Notification, &a->notification));
        TRY(boolean(d, "AccessListChange", s->AccessListChange,
                    &a->access_list_change));
        TRY(dec_access_list(d, s->AccessList, a));
    }
out:
    return err;
}

static int dec_fault(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct SOAP_ENV__Fault x;
    const struct cwmp__Fault *cf;
    struct cwmp_fault *f = &m->fault;
    int err = UB_OK;

    soap_default_SOAP_ENV__Fault(soap, &x);
    if (!soap_in_SOAP_ENV__Fault(soap, NULL, &x, NULL))
        return UB_EPROTO;
    if (x.faultcode) {
        const char *c = strrchr(x.faultcode, ':');
        c = c ? c + 1 : x.faultcode;
        f->server = strcmp(c, "Server") == 0 || strcmp(c, "Receiver") == 0;
    }
    cf = x.detail ? x.detail->cwmp__Fault : NULL;
    if (!cf) {
        /* A SOAP fault without CWMP detail: code 0, SOAP faultstring. */
        return cwmp__dup(&f->string, x.faultstring);
    }
    TRY(num_uint(d, "FaultCode", cf->FaultCode, &f->code));
    TRY(cwmp__dup(&f->string, cf->FaultString));
    if (cf->__sizeSetParameterValuesFault > 0) {
        TRY(alloc_items((void **)&f->spv,
                        (size_t)cf->__sizeSetParameterValuesFault,
                        sizeof(*f->spv)));
        for (int i = 0; i < cf->__sizeSetParameterValuesFault; i++) {
            const struct cwmp__SetParameterValuesFault *s =
                &cf->SetParameterValuesFault[i];
            struct cwmp_spv_fault *o = &f->spv[f->n_spv];
            TRY(cwmp__dup0(&o->name, s->ParameterName));
            f->n_spv++;
            TRY(num_uint(d, "FaultCode", s->FaultCode, &o->code));
            TRY(cwmp__dup(&o->string, s->FaultString));
        }
    }
out:
    return err;
}

static int dec_windows(struct dec *d, const struct cwmp__TimeWindowList *l,
                       struct cwmp_transfer *t)
{
    int err = UB_OK;

    if (!l || l->__sizeTimeWindowStruct <= 0)
        return UB_OK;
    TRY(alloc_items((void **)&t->windows, (size_t)l->__sizeTimeWindowStruct,
                    sizeof(*t->windows)));
    for (int i = 0; i < l->__sizeTimeWindowStruct; i++) {
        const struct cwmp__TimeWindowStruct *s = &l->TimeWindowStruct[i];
        struct cwmp_time_window *w = &t->windows[t->n_windows++];
        TRY(num_uint(d, "WindowStart", s->WindowStart, &w->window_start));
        TRY(num_uint(d, "WindowEnd", s->WindowEnd, &w->window_end));
        TRY(cwmp__dup0(&w->window_mode, s->WindowMode));
        TRY(cwmp__dup0(&w->user_message, s->UserMessage));
        TRY(num_int(d, "MaxRetries", s->MaxRetries, &w->max_retries));
    }
out:
    return err;
}

static int dec_op_type(const char *qname, enum cwmp_du_op *out)
{
    const char *ln;

    if (!qname)
        return UB_EPROTO;
    ln = strrchr(qname, ':');
    ln = ln ? ln + 1 : qname;
    if (!strcmp(ln, "InstallOpStruct"))
        *out = CWMP_DU_INSTALL;
    else if (!strcmp(ln, "UpdateOpStruct"))
        *out = CWMP_DU_UPDATE;
    else if (!strcmp(ln, "UninstallOpStruct"))
        *out = CWMP_DU_UNINSTALL;
    else
        return UB_EPROTO;
    return UB_OK;
}

static int dec_cdus(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct cwmp__ChangeDUState x;
    int err = UB_OK;

    soap_default_cwmp__ChangeDUState(soap, &x);
    if (!soap_in_cwmp__ChangeDUState(soap, NULL, &x, NULL))
        return UB_EPROTO;
    TRY(cwmp__dup(&m->command_key, x.CommandKey));
    if (x.__sizeOperations <= 0)
        return UB_OK;
    TRY(alloc_items((void **)&m->du_ops, (size_t)x.__sizeOperations,
                    sizeof(*m->du_ops)));
    for (int i = 0; i < x.__sizeOperations; i++) {
        const struct cwmp__OperationStruct *s = &x.Operations[i];
        struct cwmp_du_operation *o = &m->du_ops[m->n_du_ops];
        if (dec_op_type(s->xsi__type, &o->op)) {
            cwmp__codec_reason(d->err, d->errsz,
                               "Operations without a known xsi:type");
            err = UB_EPROTO;
            goto out;
        }
        m->n_du_ops++;
        TRY(cwmp__dup(&o->url, s->URL));
        TRY(cwmp__dup(&o->uuid, s->UUID));
        TRY(cwmp__dup(&o->username, s->Username));
        TRY(cwmp__dup(&o->password, s->Password));
        TRY(cwmp__dup(&o->execution_env_ref, s->ExecutionEnvRef));
        TRY(cwmp__dup(&o->version, s->Version));
    }
out:
    return err;
}

static int dec_dusc(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct cwmp__DUStateChangeComplete x;
    int err = UB_OK;

    soap_default_cwmp__DUStateChangeComplete(soap, &x);
    if (!soap_in_cwmp__DUStateChangeComplete(soap, NULL, &x, NULL))
        return UB_EPROTO;
    TRY(cwmp__dup(&m->command_key, x.CommandKey));
    if (x.__sizeResults <= 0)
        return UB_OK;
    TRY(alloc_items((void **)&m->du_results, (size_t)x.__sizeResults,
                    sizeof(*m->du_results)));
    for (int i = 0; i < x.__sizeResults; i++) {
        const struct cwmp__OpResultStruct *s = &x.Results[i];
        struct cwmp_du_result *r = &m->du_results[m->n_du_results++];
        TRY(cwmp__dup0(&r->uuid, s->UUID));
        TRY(cwmp__dup0(&r->deployment_unit_ref, s->DeploymentUnitRef));
        TRY(cwmp__dup0(&r->version, s->Version));
        TRY(cwmp__dup0(&r->current_state, s->CurrentState));
        TRY(boolean(d, "Resolved", s->Resolved, &r->resolved));
        TRY(cwmp__dup0(&r->execution_unit_ref_list, s->ExecutionUnitRefList));
        TRY(cwmp__dup0(&r->start_time, s->StartTime));
        TRY(cwmp__dup0(&r->complete_time, s->CompleteTime));
        TRY(dec_fault_struct(d, s->Fault, &r->fault));
        TRY(cwmp__dup(&r->operation_performed, s->OperationPerformed));
    }
out:
    return err;
}

static int add_arg(struct cwmp_msg *m, const char *name, const char *value)
{
    struct cwmp_arg *a = &m->args[m->n_args];
    int err = cwmp__dup0(&a->name, name);
    if (err)
        return err;
    m->n_args++;
    return cwmp__dup0(&a->value, value);
}

static int dec_request_download(struct soap *soap, struct dec *d,
                                struct cwmp_msg *m)
{
    struct cwmp__RequestDownload x;
    int err = UB_OK;
    int n;

    (void)d;
    soap_default_cwmp__RequestDownload(soap, &x);
    if (!soap_in_cwmp__RequestDownload(soap, NULL, &x, NULL))
        return UB_EPROTO;
    TRY(cwmp__dup0(&m->transfer.file_type, x.FileType));
    n = x.FileTypeArg ? x.FileTypeArg->__sizeArgStruct : 0;
    if (n <= 0)
        return UB_OK;
    TRY(alloc_items((void **)&m->args, (size_t)n, sizeof(*m->args)));
    for (int i = 0; i < n; i++)
        TRY(add_arg(m, x.FileTypeArg->ArgStruct[i].Name,
                    x.FileTypeArg->ArgStruct[i].Value));
out:
    return err;
}

static int dec_kicked(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    struct cwmp__Kicked x;
    int err = UB_OK;

    (void)d;
    soap_default_cwmp__Kicked(soap, &x);
    if (!soap_in_cwmp__Kicked(soap, NULL, &x, NULL))
        return UB_EPROTO;
    TRY(alloc_items((void **)&m->args, 4, sizeof(*m->args)));
    TRY(add_arg(m, "Command", x.Command));
    TRY(add_arg(m, "Referer", x.Referer));
    TRY(add_arg(m, "Arg", x.Arg));
    TRY(add_arg(m, "Next", x.Next));
out:
    return err;
}

/* Generic "read struct X, then convert" for the small bodies. */
#define READ(T, var)                                                           \
    struct T var;                                                              \
    soap_default_##T(soap, &var);                                              \
    if (!soap_in_##T(soap, NULL, &var, NULL))                                  \
        return UB_EPROTO

static int dec_request(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    int err = UB_OK;
    unsigned long ul;

    switch (m->method) {
    case CWMP_M_INFORM:
        return dec_inform(soap, d, m);
    case CWMP_M_GET_RPC_METHODS:
    case CWMP_M_FACTORY_RESET: {
        READ(cwmp__Empty, x);
        (void)x;
        return UB_OK;
    }
    case CWMP_M_SET_PARAMETER_VALUES: {
        READ(cwmp__SetParameterValues, x);
        TRY(dec_pvlist(d, x.ParameterList, &m->params));
        TRY(cwmp__dup0(&m->parameter_key, x.ParameterKey));
        break;
    }
    case CWMP_M_GET_PARAMETER_VALUES:
    case CWMP_M_GET_PARAMETER_ATTRIBUTES: {
        READ(cwmp__GetParameterValues, x);
        TRY(dec_strlist(d, x.ParameterNames, &m->strv));
        break;
    }
    case CWMP_M_GET_PARAMETER_NAMES: {
        READ(cwmp__GetParameterNames, x);
        TRY(cwmp__dup0(&m->path, x.ParameterPath));
        TRY(boolean(d, "NextLevel", x.NextLevel, &m->next_level));
        break;
    }
    case CWMP_M_SET_PARAMETER_ATTRIBUTES:
        return dec_spa(soap, d, m);
    case CWMP_M_ADD_OBJECT:
    case CWMP_M_DELETE_OBJECT: {
        READ(cwmp__AddObject, x);
        TRY(cwmp__dup0(&m->path, x.ObjectName));
        TRY(cwmp__dup0(&m->parameter_key, x.ParameterKey));
        break;
    }
    case CWMP_M_REBOOT:
    case CWMP_M_CANCEL_TRANSFER: {
        READ(cwmp__CommandKeyOnly, x);
        TRY(cwmp__dup0(&m->command_key, x.CommandKey));
        break;
    }
    case CWMP_M_DOWNLOAD: {
        READ(cwmp__Download, x);
        struct cwmp_transfer *t = &m->transfer;
        TRY(cwmp__dup0(&t->command_key, x.CommandKey));
        TRY(cwmp__dup0(&t->file_type, x.FileType));
        TRY(cwmp__dup0(&t->url, x.URL));
        TRY(cwmp__dup0(&t->username, x.Username));
        TRY(cwmp__dup0(&t->password, x.Password));
        TRY(num_u(d, "FileSize", x.FileSize, ULONG_MAX, &t->file_size));
        TRY(cwmp__dup0(&t->target_file_name, x.TargetFileName));
        TRY(num_uint(d, "DelaySeconds", x.DelaySeconds, &t->delay_seconds));
        TRY(cwmp__dup0(&t->success_url, x.SuccessURL));
        TRY(cwmp__dup0(&t->failure_url, x.FailureURL));
        t->is_download = true;
        break;
    }
    case CWMP_M_UPLOAD: {
        READ(cwmp__Upload, x);
        struct cwmp_transfer *t = &m->transfer;
        TRY(cwmp__dup0(&t->command_key, x.CommandKey));
        TRY(cwmp__dup0(&t->file_type, x.FileType));
        TRY(cwmp__dup0(&t->url, x.URL));
        TRY(cwmp__dup0(&t->username, x.Username));
        TRY(cwmp__dup0(&t->password, x.Password));
        TRY(num_uint(d, "DelaySeconds", x.DelaySeconds, &t->delay_seconds));
        break;
    }
    case CWMP_M_SCHEDULE_INFORM: {
        READ(cwmp__ScheduleInform, x);
        TRY(num_uint(d, "DelaySeconds", x.DelaySeconds, &m->delay_seconds));
        TRY(cwmp__dup0(&m->command_key, x.CommandKey));
        break;
    }
    case CWMP_M_SCHEDULE_DOWNLOAD: {
        READ(cwmp__ScheduleDownload, x);
        struct cwmp_transfer *t = &m->transfer;
        TRY(cwmp__dup0(&t->command_key, x.CommandKey));
        TRY(cwmp__dup0(&t->file_type, x.FileType));
        TRY(cwmp__dup0(&t->url, x.URL));
        TRY(cwmp__dup0(&t->username, x.Username));
        TRY(cwmp__dup0(&t->password, x.Password));
        TRY(num_u(d, "FileSize", x.FileSize, ULONG_MAX, &t->file_size));
        TRY(cwmp__dup0(&t->target_file_name, x.TargetFileName));
        TRY(dec_windows(d, x.TimeWindowList, t));
        t->is_download = true;
        break;
    }
    case CWMP_M_CHANGE_DU_STATE:
        return dec_cdus(soap, d, m);
    case CWMP_M_TRANSFER_COMPLETE: {
        READ(cwmp__TransferComplete, x);
        struct cwmp_transfer *t = &m->transfer;
        TRY(cwmp__dup0(&t->command_key, x.CommandKey));
        TRY(dec_fault_struct(d, x.FaultStruct, &t->fault));
        TRY(cwmp__dup0(&t->start_time, x.StartTime));
        TRY(cwmp__dup0(&t->complete_time, x.CompleteTime));
        break;
    }
    case CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE: {
        READ(cwmp__AutonomousTransferComplete, x);
        struct cwmp_transfer *t = &m->transfer;
        TRY(cwmp__dup0(&t->announce_url, x.AnnounceURL));
        TRY(cwmp__dup0(&t->transfer_url, x.TransferURL));
        TRY(boolean(d, "IsDownload", x.IsDownload, &t->is_download));
        TRY(cwmp__dup0(&t->file_type, x.FileType));
        TRY(num_u(d, "FileSize", x.FileSize, ULONG_MAX, &ul));
        t->file_size = ul;
        TRY(cwmp__dup0(&t->target_file_name, x.TargetFileName));
        TRY(dec_fault_struct(d, x.FaultStruct, &t->fault));
        TRY(cwmp__dup0(&t->start_time, x.StartTime));
        TRY(cwmp__dup0(&t->complete_time, x.CompleteTime));
        break;
    }
    case CWMP_M_DU_STATE_CHANGE_COMPLETE:
    case CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE:
        return dec_dusc(soap, d, m);
    case CWMP_M_REQUEST_DOWNLOAD:
        return dec_request_download(soap, d, m);
    case CWMP_M_KICKED:
        return dec_kicked(soap, d, m);
    default:
        cwmp__codec_reason(d->err, d->errsz, "no decoder for method %d",
                           (int)m->method);
        return UB_ENOTSUP;
    }
out:
    return err;
}

static int dec_response(struct soap *soap, struct dec *d, struct cwmp_msg *m)
{
    int err = UB_OK;

    switch (m->method) {
    case CWMP_M_INFORM: {
        READ(cwmp__InformResponse, x);
        TRY(num_uint(d, "MaxEnvelopes", x.MaxEnvelopes, &m->max_envelopes));
        break;
    }
    case CWMP_M_GET_RPC_METHODS: {
        READ(cwmp__GetRPCMethodsResponse, x);
        TRY(dec_strlist(d, x.MethodList, &m->strv));
        break;
    }
    case CWMP_M_SET_PARAMETER_VALUES:
    case CWMP_M_DELETE_OBJECT: {
        READ(cwmp__StatusResponse, x);
        TRY(num_int(d, "Status", x.Status, &m->status));
        break;
    }
    case CWMP_M_GET_PARAMETER_VALUES: {
        READ(cwmp__GetParameterValuesResponse, x);
        TRY(dec_pvlist(d, x.ParameterList, &m->params));
        break;
    }
    case CWMP_M_GET_PARAMETER_NAMES:
        return dec_gpn_resp(soap, d, m);
    case CWMP_M_GET_PARAMETER_ATTRIBUTES:
        return dec_gpa_resp(soap, d, m);
    case CWMP_M_ADD_OBJECT: {
        READ(cwmp__AddObjectResponse, x);
        TRY(num_uint(d, "InstanceNumber", x.InstanceNumber,
                     &m->instance_number));
        TRY(num_int(d, "Status", x.Status, &m->status));
        break;
    }
    case CWMP_M_DOWNLOAD:
    case CWMP_M_UPLOAD: {
        READ(cwmp__TransferResponse, x);
        TRY(num_int(d, "Status", x.Status, &m->transfer.status));
        TRY(cwmp__dup0(&m->transfer.start_time, x.StartTime));
        TRY(cwmp__dup0(&m->transfer.complete_time, x.CompleteTime));
        break;
    }
    case CWMP_M_KICKED: {
        READ(cwmp__KickedResponse, x);
        TRY(cwmp__dup0(&m->next_url, x.NextURL));
        break;
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
        READ(cwmp__Empty, x);
        (void)x;
        break;
    }
    default:
        cwmp__codec_reason(d->err, d->errsz, "no decoder for method %d",
                           (int)m->method);
        return UB_ENOTSUP;
    }
out:
    return err;
}

int cwmp__dec_body(struct soap *soap, struct cwmp_msg *m, char *err,
                   size_t errsz)
{
    struct dec d = {err, errsz};

    soap->error = SOAP_OK;
    switch (m->kind) {
    case CWMP_FAULT:
        return dec_fault(soap, &d, m);
    case CWMP_RESPONSE:
        return dec_response(soap, &d, m);
    default:
        return dec_request(soap, &d, m);
    }
}
