/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * Operate helpers: diagnostics request/result translation, fault err_msg.
 *
 * DESIGN
 * A diagnostics command on CWMP is one SPV: the input arguments become
 * parameters of the diagnostics object (same names, map_arg.cwmp) with
 * their TR-181 types, and DiagnosticsState=Requested goes last in the same
 * SPV (TR-181 DiagnosticsState: inputs must be set "prior to or at the
 * same time as" the request).  The results come back by GPV of the object;
 * map_diag_outputs keeps what the command's output list names, matching
 * on the schema form so that table rows ("RouteHops.{i}.Host") match any
 * instance.  Both work on caller-owned ub_param_lists and undo their own
 * appends on failure.
 */
#include "mapping_int.h"

#include <stdio.h>
#include <string.h>

static void list_truncate(struct ub_param_list *l, size_t n)
{
    while (l->n > n)
        ub_param_clear(&l->v[--l->n]);
}

static const struct map_arg *arg_find(const struct map_arg *a, size_t n,
                                      const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i];
    return NULL;
}

static int add_joined(struct ub_param_list *out, const char *obj,
                      const char *rel, const char *value, enum ub_type t)
{
    char *path = ub_asprintf("%s%s", obj, rel);
    int err;

    if (!path)
        return UB_ENOMEM;
    err = ub_param_list_add(out, path, value, t);
    ub_free(path);
    return err;
}

int map_diag_request(const struct map_command *cmd, const char *diag_object,
                     const struct ub_param_list *in,
                     struct ub_param_list *out, const char **bad_arg)
{
    size_t n0;
    int err = UB_OK;

    if (bad_arg)
        *bad_arg = NULL;
    if (!cmd || !in || !out || cmd->op != MAP_OP_DIAGNOSTICS)
        return UB_EINVAL;
    if (!diag_object)
        diag_object = cmd->diag_object;
    if (!diag_object || !ub_path_is_object(diag_object))
        return UB_EINVAL;
    /* arguments first: refuse before appending anything */
    for (size_t i = 0; i < in->n; i++) {
        const struct map_arg *a = arg_find(cmd->in, cmd->n_in, in->v[i].path);
        if (!a || !a->cwmp || !in->v[i].value) {
            if (bad_arg)
                *bad_arg = in->v[i].path;
            return UB_EINVAL;
        }
    }
    for (size_t k = 0; k < cmd->n_in; k++) {
        bool given = false;
        if (!cmd->in[k].mandatory)
            continue;
        for (size_t i = 0; i < in->n && !given; i++)
            given = strcmp(in->v[i].path, cmd->in[k].name) == 0;
        if (!given) {
            if (bad_arg)
                *bad_arg = cmd->in[k].name;
            return UB_EINVAL;
        }
    }
    n0 = out->n;
    /* in table order, so the SPV is the same whatever the map order of
     * the controller's input_args */
    for (size_t k = 0; k < cmd->n_in && !err; k++) {
        for (size_t i = 0; i < in->n && !err; i++) {
            if (strcmp(in->v[i].path, cmd->in[k].name) != 0)
                continue;
            err = add_joined(out, diag_object, cmd->in[k].cwmp,
                             in->v[i].value, cmd->in[k].type);
            break; /* a repeated argument: the first one counts */
        }
    }
    if (!err)
        err = add_joined(out, diag_object, "DiagnosticsState", "Requested",
                         UB_T_STRING);
    if (err)
        list_truncate(out, n0);
    return err;
}

int map_diag_outputs(const struct map_command *cmd, const char *diag_object,
                     const struct ub_param_list *gpv,
                     struct ub_param_list *out)
{
    size_t n0, lo;
    bool tr098;
    int err = UB_OK;

    if (!cmd || !gpv || !out || cmd->op != MAP_OP_DIAGNOSTICS)
        return UB_EINVAL;
    if (!diag_object)
        diag_object = cmd->diag_object;
    if (!diag_object)
        return UB_EINVAL;
    /* a TR-098 home: read its parameters under their TR-181 names */
    tr098 = cmd->diag_object && strcmp(diag_object, cmd->diag_object) != 0 &&
            strncmp(diag_object, "InternetGatewayDevice.", 22) == 0;
    lo = strlen(diag_object);
    n0 = out->n;
    for (size_t i = 0; i < gpv->n && !err; i++) {
        const struct ub_param *p = &gpv->v[i];
        const char *rel, *value;
        char *schema, *t181 = NULL;

        if (!p->path || strncmp(p->path, diag_object, lo) != 0)
            continue;
        rel = p->path + lo;
        if (tr098) {
            t181 = map_tr098_to_tr181(p->path, NULL);
            if (!t181 || strncmp(t181, cmd->diag_object,
                                 strlen(cmd->diag_object)) != 0) {
                ub_free(t181);
                continue;
            }
            rel = t181 + strlen(cmd->diag_object);
        }
        if (!*rel || ub_path_is_object(rel)) {
            ub_free(t181);
            continue;
        }
        schema = ub_path_to_schema(rel);
        if (!schema) {
            ub_free(t181);
            err = UB_ENOMEM;
            break;
        }
        value = map_value_to_usp(p->type, p->value ? p->value : "");
        for (size_t k = 0; k < cmd->n_out; k++) {
            const struct map_arg *a = &cmd->out[k];
            if (!a->cwmp || strcmp(a->cwmp, schema) != 0)
                continue;
            /* "Status" <- "DiagnosticsState"; table rows otherwise keep
             * their name, instance numbers come from the device path */
            err = ub_param_list_add(out,
                                    strcmp(a->name, a->cwmp) == 0 ? rel
                                                                  : a->name,
                                    value, p->type);
            break;
        }
        ub_free(schema);
        ub_free(t181);
    }
    if (err)
        list_truncate(out, n0);
    return err;
}

char *map_fault_errmsg(unsigned fault, const char *fault_string, char *out,
                       size_t outsz)
{
    char fs[160];

    if (!out || outsz == 0)
        return out;
    if (fault_string && *fault_string) {
        ub_log_repr(fs, sizeof(fs), fault_string, strlen(fault_string), 128);
        snprintf(out, outsz, "CWMP %u %s: %s", fault,
                 map_cwmp_fault_name(fault), fs);
    } else {
        snprintf(out, outsz, "CWMP %u %s", fault, map_cwmp_fault_name(fault));
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* Event arguments                                                     */
/* ------------------------------------------------------------------ */

#define UNKNOWN_TIME "0001-01-01T00:00:00Z"

static const char *nz(const char *s) { return s ? s : ""; }

int map_boot_args(const struct map_notif *nf, const char *parameter_map,
                  struct ub_param_list *out)
{
    size_t n0;
    int err;

    if (!nf || !out || nf->type != MAP_NOTIF_EVENT || !nf->event_name ||
        strcmp(nf->event_name, "Boot!") != 0)
        return UB_EINVAL;
    n0 = out->n;
    err = ub_param_list_add(out, "CommandKey", nz(nf->command_key),
                            UB_T_STRING);
    if (!err)
        err = ub_param_list_add(out, "Cause", map_boot_cause_name(nf->cause),
                                UB_T_STRING);
    if (!err)
        err = ub_param_list_add(out, "FirmwareUpdated",
                                nf->firmware_updated ? "true" : "false",
                                UB_T_BOOL);
    if (!err)
        err = ub_param_list_add(out, "ParameterMap",
                                parameter_map ? parameter_map : "{}",
                                UB_T_STRING);
    if (err)
        list_truncate(out, n0);
    return err;
}

int map_transfer_complete_args(const struct map_transfer_info *t,
                               struct ub_param_list *out)
{
    char code[16], msg[257];
    size_t n0;
    int err = UB_OK;

    if (!t || !out)
        return UB_EINVAL;
    snprintf(code, sizeof(code), "%u",
             (unsigned)map_fault_to_usp(t->fault, MAP_CTX_OPERATE));
    if (t->fault)
        map_fault_errmsg(t->fault, t->fault_string, msg, sizeof(msg));
    else
        msg[0] = '\0';
    {
        const struct {
            const char *name, *value;
            enum ub_type type;
        } a[] = {
            {"Command", nz(t->command), UB_T_STRING},
            {"CommandKey", nz(t->command_key), UB_T_STRING},
            {"Requestor", nz(t->requestor), UB_T_STRING},
            {"TransferType", t->is_download ? "Download" : "Upload",
             UB_T_STRING},
            {"Affected", nz(t->affected), UB_T_STRING},
            {"TransferURL", nz(t->url), UB_T_STRING},
            {"StartTime", *nz(t->start_time) ? t->start_time : UNKNOWN_TIME,
             UB_T_DATETIME},
            {"CompleteTime",
             *nz(t->complete_time) ? t->complete_time : UNKNOWN_TIME,
             UB_T_DATETIME},
            {"FaultCode", code, UB_T_UINT},
            {"FaultString", msg, UB_T_STRING},
        };
        n0 = out->n;
        for (size_t i = 0; i < UB_ARRAY_LEN(a) && !err; i++)
            err = ub_param_list_add(out, a[i].name, a[i].value, a[i].type);
    }
    if (err)
        list_truncate(out, n0);
    return err;
}
