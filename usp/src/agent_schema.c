/*
 * Hosted Device.LocalAgent.: the static, table-driven schema.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * One struct agent_obj per supported object, in data-model order, each
 * with its parameters (type, access, default, enumeration, range, length),
 * unique key sets, commands and events.  The facts come from TR-181
 * Device:2.15 USP (tr-181-2-usp-full.xml, objects Device.LocalAgent.*):
 * names, types, readOnly/readWrite, <default type="object">, enumerations,
 * <range>, <size> and <uniqueKey> are copied from there.  Where TR-181 has
 * no default for a parameter a new instance needs, we chose one and say so
 * next to it ("bridge default").  Deliberate differences from TR-181:
 *  - LocalAgent.MTP.{i} and its sub-objects are read-only (TR-181:
 *    readWrite): the bridge's MTPs come from its configuration, not from
 *    controllers.
 *  - Deprecated and certificate-related items (IsEncrypted, CoAP,
 *    Credential, Certificate, AddCertificate(), ScheduleTimer()) and
 *    E2ESession / Threshold / Challenge are not hosted.
 * Everything else is a plain lookup; the schema is small (a few dozen
 * entries), so linear search is fine.
 */
#include "agent_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Enumerations ---- */

static const char *const e_protocols[] = {"CoAP", "WebSocket", "STOMP",
                                          "MQTT", NULL};
/* Protocols a bridge MTP / controller MTP can use (CoAP deprecated, STOMP
 * not offered by the bridge). */
static const char *const e_mtp_proto[] = {"WebSocket", "MQTT", NULL};
static const char *const e_mtp_status[] = {"Up", "Down", "Error", NULL};
static const char *const e_notif_type[] = {
    "ValueChange", "ObjectCreation", "ObjectDeletion", "OperationComplete",
    "Event", NULL};
static const char *const e_req_status[] = {"Requested", "Active",
                                           "Canceling", "Canceled",
                                           "Success",   "Error", NULL};

/* ---- Device.LocalAgent. ---- */

static const struct agent_param p_la[] = {
    {.name = "EndpointID", .type = UB_T_STRING},
    {.name = "SoftwareVersion", .type = UB_T_STRING, .max_len = 64},
    {.name = "UpTime", .type = UB_T_UINT, .flags = AGENT_P_VC_IGNORE},
    {.name = "SupportedProtocols", .type = UB_T_STRING,
     .flags = AGENT_P_LIST, .enums = e_protocols},
    {.name = "SubscriptionNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
    {.name = "RequestNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
    {.name = "MTPNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
    {.name = "ControllerNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
};

static const char *const tc_args[] = {
    "Command",   "CommandKey",   "Requestor", "TransferType", "Affected",
    "TransferURL", "StartTime", "CompleteTime", "FaultCode", "FaultString",
    NULL};
static const struct agent_evt ev_la[] = {
    {.name = "Periodic!"},
    {.name = "TransferComplete!", .args = tc_args},
};

/* ---- Device.LocalAgent.MTP.{i}. (read-only here, see DESIGN) ---- */

static const struct agent_param p_mtp[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "Enable", .type = UB_T_BOOL, .dflt = "false"},
    {.name = "Status", .type = UB_T_STRING, .enums = e_mtp_status,
     .dflt = "Down"},
    {.name = "Protocol", .type = UB_T_STRING, .enums = e_protocols,
     .dflt = "WebSocket"},
};
static const char *const k_alias[] = {"Alias", NULL};
static const char *const *const keys_mtp[] = {k_alias, NULL};

static const struct agent_param p_mtp_ws[] = {
    {.name = "Interfaces", .type = UB_T_STRING, .flags = AGENT_P_LIST},
    {.name = "Port", .type = UB_T_UINT, .dflt = "5683", .has_min = true,
     .min = 1, .has_max = true, .max = 65535},
    {.name = "Path", .type = UB_T_STRING},
    {.name = "EnableEncryption", .type = UB_T_BOOL, .dflt = "true"},
    {.name = "KeepAliveInterval", .type = UB_T_UINT, .dflt = "30",
     .has_min = true, .min = 1}, /* bridge default (TR-181 has none) */
};

static const struct agent_param p_mtp_mqtt[] = {
    {.name = "Reference", .type = UB_T_STRING, .dflt = ""},
    {.name = "ResponseTopicConfigured", .type = UB_T_STRING,
     .max_len = 65535},
    {.name = "ResponseTopicDiscovered", .type = UB_T_STRING,
     .max_len = 65535},
    {.name = "PublishQoS", .type = UB_T_UINT, .has_min = true, .min = 0,
     .has_max = true, .max = 2},
};

/* ---- Device.LocalAgent.Controller.{i}. ---- */

static const struct agent_param p_ctrl[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "EndpointID", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .dflt = ""},
    {.name = "ControllerCode", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .dflt = "", .max_len = 128},
    {.name = "ProvisioningCode", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .dflt = "", .max_len = 64},
    {.name = "Enable", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "AssignedRole", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_LIST | AGENT_P_ROLEREF},
    {.name = "InheritedRole", .type = UB_T_STRING,
     .flags = AGENT_P_LIST | AGENT_P_ROLEREF},
    /* bridge default (TR-181 has none, range min 1) */
    {.name = "PeriodicNotifInterval", .type = UB_T_UINT, .flags = AGENT_P_RW,
     .dflt = "86400", .has_min = true, .min = 1},
    /* TR-106 Unknown Time */
    {.name = "PeriodicNotifTime", .type = UB_T_DATETIME, .flags = AGENT_P_RW,
     .dflt = "0001-01-01T00:00:00Z"},
    {.name = "USPNotifRetryMinimumWaitInterval", .type = UB_T_UINT,
     .flags = AGENT_P_RW, .dflt = "5", .has_min = true, .min = 1,
     .has_max = true, .max = 65535},
    {.name = "USPNotifRetryIntervalMultiplier", .type = UB_T_UINT,
     .flags = AGENT_P_RW, .dflt = "2000", .has_min = true, .min = 1000,
     .has_max = true, .max = 65535},
    {.name = "MTPNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
    {.name = "BootParameterNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
};
static const char *const k_eid[] = {"EndpointID", NULL};
static const char *const *const keys_ctrl[] = {k_eid, k_alias, NULL};
static const struct agent_cmd cmd_ctrl[] = {
    {.name = "SendOnBoardRequest()"},
};

static const struct agent_param p_cmtp[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "Enable", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    /* enumerationRef ##.SupportedProtocols: what the bridge can speak */
    {.name = "Protocol", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .enums = e_mtp_proto, .dflt = "WebSocket"},
};
static const char *const k_proto[] = {"Protocol", NULL};
static const char *const *const keys_cmtp[] = {k_proto, k_alias, NULL};

static const struct agent_param p_cmtp_ws[] = {
    {.name = "Host", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .max_len = 256},
    /* bridge default (TR-181 has none) */
    {.name = "Port", .type = UB_T_UINT, .flags = AGENT_P_RW, .dflt = "443",
     .has_min = true, .min = 1, .has_max = true, .max = 65535},
    {.name = "Path", .type = UB_T_STRING, .flags = AGENT_P_RW},
    {.name = "EnableEncryption", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "true"},
    /* bridge default (TR-181 has none) */
    {.name = "KeepAliveInterval", .type = UB_T_UINT, .flags = AGENT_P_RW,
     .dflt = "30", .has_min = true, .min = 1},
    {.name = "CurrentRetryCount", .type = UB_T_UINT},
    {.name = "SessionRetryMinimumWaitInterval", .type = UB_T_UINT,
     .flags = AGENT_P_RW, .dflt = "5", .has_min = true, .min = 1,
     .has_max = true, .max = 65535},
    {.name = "SessionRetryIntervalMultiplier", .type = UB_T_UINT,
     .flags = AGENT_P_RW, .dflt = "2000", .has_min = true, .min = 1000,
     .has_max = true, .max = 65535},
};

static const struct agent_param p_cmtp_mqtt[] = {
    {.name = "Reference", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .dflt = ""},
    {.name = "Topic", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .max_len = 65535},
    {.name = "PublishRetainResponse", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "PublishRetainNotify", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
};

static const struct agent_param p_boot[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "Enable", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "ParameterName", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .dflt = "", .max_len = 256},
};
static const char *const k_pname[] = {"ParameterName", NULL};
static const char *const *const keys_boot[] = {k_pname, k_alias, NULL};

/* ---- Device.LocalAgent.Subscription.{i}. ---- */

static const struct agent_param p_sub[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "Enable", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "Recipient", .type = UB_T_STRING, .flags = AGENT_P_AGENT},
    {.name = "ID", .type = UB_T_STRING, .flags = AGENT_P_RW, .min_len = 1,
     .max_len = 64},
    {.name = "CreationDate", .type = UB_T_DATETIME, .flags = AGENT_P_AGENT},
    {.name = "NotifType", .type = UB_T_STRING, .flags = AGENT_P_RW,
     .enums = e_notif_type},
    {.name = "ReferenceList", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_LIST | AGENT_P_IMMUTABLE,
     .max_len = 256},
    {.name = "Persistent", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "TimeToLive", .type = UB_T_UINT, .flags = AGENT_P_RW,
     .dflt = "0"},
    {.name = "NotifRetry", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "NotifExpiration", .type = UB_T_UINT, .flags = AGENT_P_RW,
     .dflt = "0"},
};
static const char *const k_recip_id[] = {"Recipient", "ID", NULL};
static const char *const *const keys_sub[] = {k_alias, k_recip_id, NULL};

/* ---- Device.LocalAgent.Request.{i}. ---- */

static const struct agent_param p_req[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "Originator", .type = UB_T_STRING},
    {.name = "Command", .type = UB_T_STRING},
    {.name = "CommandKey", .type = UB_T_STRING},
    {.name = "Status", .type = UB_T_STRING, .enums = e_req_status,
     .dflt = "Requested"},
};
static const char *const k_req[] = {"Originator", "Command", "CommandKey",
                                    NULL};
static const char *const *const keys_req[] = {k_req, k_alias, NULL};
static const struct agent_cmd cmd_req[] = {
    {.name = "Cancel()"},
};

/* ---- Device.LocalAgent.ControllerTrust. ---- */

static const struct agent_param p_ct[] = {
    {.name = "UntrustedRole", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_LIST | AGENT_P_ROLEREF, .max_items = 1},
    {.name = "BannedRole", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ROLEREF},
    {.name = "RoleNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
};

static const struct agent_param p_role[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "Enable", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "Name", .type = UB_T_STRING, .flags = AGENT_P_RW},
    {.name = "PermissionNumberOfEntries", .type = UB_T_UINT,
     .flags = AGENT_P_NUMENTRIES},
};
static const char *const k_name[] = {"Name", NULL};
static const char *const *const keys_role[] = {k_name, k_alias, NULL};

static const struct agent_param p_perm[] = {
    {.name = "Alias", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_ALIAS, .max_len = 64},
    {.name = "Enable", .type = UB_T_BOOL, .flags = AGENT_P_RW,
     .dflt = "false"},
    {.name = "Order", .type = UB_T_UINT, .flags = AGENT_P_RW, .dflt = "0"},
    {.name = "Targets", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_LIST, .dflt = ""},
    {.name = "Param", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_PERMBITS, .dflt = "----"},
    {.name = "Obj", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_PERMBITS, .dflt = "----"},
    {.name = "InstantiatedObj", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_PERMBITS, .dflt = "----"},
    {.name = "CommandEvent", .type = UB_T_STRING,
     .flags = AGENT_P_RW | AGENT_P_PERMBITS, .dflt = "----"},
};
static const char *const k_order[] = {"Order", NULL};
static const char *const *const keys_perm[] = {k_order, k_alias, NULL};

/* ---- The object table ---- */

#define PARAMS(a) .params = a, .n_params = N(a)

const struct agent_obj agent__objs[] = {
    {.path = "Device.LocalAgent.", PARAMS(p_la), .evts = ev_la,
     .n_evts = N(ev_la)},
    {.path = "Device.LocalAgent.MTP.{i}.", .multi = true,
     .num_entries = "MTPNumberOfEntries", PARAMS(p_mtp), .keys = keys_mtp},
    {.path = "Device.LocalAgent.MTP.{i}.WebSocket.", .proto = "WebSocket",
     PARAMS(p_mtp_ws)},
    {.path = "Device.LocalAgent.MTP.{i}.MQTT.", .proto = "MQTT",
     PARAMS(p_mtp_mqtt)},
    {.path = "Device.LocalAgent.Controller.{i}.", .multi = true,
     .creatable = true, .num_entries = "ControllerNumberOfEntries",
     PARAMS(p_ctrl), .keys = keys_ctrl, .cmds = cmd_ctrl,
     .n_cmds = N(cmd_ctrl)},
    {.path = "Device.LocalAgent.Controller.{i}.MTP.{i}.", .multi = true,
     .creatable = true, .num_entries = "MTPNumberOfEntries", PARAMS(p_cmtp),
     .keys = keys_cmtp},
    {.path = "Device.LocalAgent.Controller.{i}.MTP.{i}.WebSocket.",
     .proto = "WebSocket", PARAMS(p_cmtp_ws)},
    {.path = "Device.LocalAgent.Controller.{i}.MTP.{i}.MQTT.",
     .proto = "MQTT", PARAMS(p_cmtp_mqtt)},
    {.path = "Device.LocalAgent.Controller.{i}.BootParameter.{i}.",
     .multi = true, .creatable = true,
     .num_entries = "BootParameterNumberOfEntries", PARAMS(p_boot),
     .keys = keys_boot},
    {.path = "Device.LocalAgent.Subscription.{i}.", .multi = true,
     .creatable = true, .num_entries = "SubscriptionNumberOfEntries",
     PARAMS(p_sub), .keys = keys_sub},
    {.path = "Device.LocalAgent.Request.{i}.", .multi = true,
     .num_entries = "RequestNumberOfEntries", PARAMS(p_req),
     .keys = keys_req, .cmds = cmd_req, .n_cmds = N(cmd_req)},
    {.path = "Device.LocalAgent.ControllerTrust.", PARAMS(p_ct)},
    {.path = "Device.LocalAgent.ControllerTrust.Role.{i}.", .multi = true,
     .creatable = true, .num_entries = "RoleNumberOfEntries",
     PARAMS(p_role), .keys = keys_role},
    {.path = "Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}.",
     .multi = true, .creatable = true,
     .num_entries = "PermissionNumberOfEntries", PARAMS(p_perm),
     .keys = keys_perm},
};
const size_t agent__n_objs = N(agent__objs);

/* ---- Lookups ---- */

const struct agent_obj *agent__obj_find(const char *schema_path)
{
    size_t i;

    if (!schema_path)
        return NULL;
    for (i = 0; i < agent__n_objs; i++)
        if (strcmp(agent__objs[i].path, schema_path) == 0)
            return &agent__objs[i];
    return NULL;
}

const struct agent_obj *agent__obj_for_path(const char *path)
{
    const struct agent_obj *o;
    char *s;

    if (!path || !ub_path_is_object(path))
        return NULL;
    s = ub_path_to_schema(path);
    if (!s)
        return NULL;
    o = agent__obj_find(s);
    ub_free(s);
    return o;
}

const struct agent_param *agent__param_find(const struct agent_obj *o,
                                            const char *name)
{
    size_t i;

    if (!o || !name)
        return NULL;
    for (i = 0; i < o->n_params; i++)
        if (strcmp(o->params[i].name, name) == 0)
            return &o->params[i];
    return NULL;
}

bool agent__obj_is_child(const struct agent_obj *parent,
                         const struct agent_obj *child)
{
    size_t pl = strlen(parent->path), cl = strlen(child->path);
    const char *rest, *dot;

    if (cl <= pl || strncmp(parent->path, child->path, pl) != 0)
        return false;
    rest = child->path + pl;
    dot = strchr(rest, '.');
    if (!dot)
        return false;
    if (dot[1] == '\0')
        return true; /* "A." -> "A.B." */
    /* "A." -> "A.B.{i}." */
    return strcmp(dot + 1, "{i}.") == 0;
}

const char *agent__param_default(const struct agent_param *p)
{
    if (p->dflt)
        return p->dflt;
    switch (p->type) {
    case UB_T_INT:
    case UB_T_UINT:
    case UB_T_LONG:
    case UB_T_ULONG:
    case UB_T_DECIMAL:
        return p->has_min && p->min > 0 ? "1" : "0";
    case UB_T_BOOL:
        return "false";
    case UB_T_DATETIME:
        return "0001-01-01T00:00:00Z";
    default:
        return "";
    }
}

const char *agent__value_norm(const struct agent_param *p, const char *value)
{
    if (p->type == UB_T_BOOL) {
        if (strcmp(value, "1") == 0)
            return "true";
        if (strcmp(value, "0") == 0)
            return "false";
    }
    return value;
}

static bool in_enum(const char *const *e, const char *v, size_t n)
{
    for (; *e; e++)
        if (strlen(*e) == n && strncmp(*e, v, n) == 0)
            return true;
    return false;
}

/* Checks one list item (or a scalar) of length n. */
static uint32_t check_item(const struct agent_param *p, const char *v,
                           size_t n, const char **msg)
{
    if (p->min_len && n < p->min_len) {
        *msg = "value too short";
        return USP_ERR_INVALID_VALUE;
    }
    if (p->max_len && n > p->max_len) {
        *msg = "value too long";
        return USP_ERR_INVALID_VALUE;
    }
    if (p->enums && !in_enum(p->enums, v, n)) {
        *msg = "value not in the enumeration";
        return USP_ERR_INVALID_VALUE;
    }
    if (p->flags & AGENT_P_ROLEREF) {
        static const char pre[] = "Device.LocalAgent.ControllerTrust.Role.";
        size_t pl = sizeof(pre) - 1, k;

        if (n <= pl || strncmp(v, pre, pl) != 0) {
            *msg = "not a ControllerTrust.Role reference";
            return USP_ERR_INVALID_VALUE;
        }
        k = n;
        if (v[k - 1] == '.')
            k--;
        if (!ub_path_seg_is_instance(v + pl, k - pl)) {
            *msg = "not a ControllerTrust.Role reference";
            return USP_ERR_INVALID_VALUE;
        }
    }
    return 0;
}

uint32_t agent__value_check(const struct agent_param *p, const char *value,
                            const char **msg)
{
    static const char perm_chars[] = "rwxn";

    *msg = NULL;
    if (!value) {
        *msg = "missing value";
        return USP_ERR_INVALID_VALUE;
    }
    if (p->type != UB_T_STRING && ub_value_check(p->type, value)) {
        *msg = "value is not of the parameter's type";
        return USP_ERR_INVALID_TYPE;
    }
    if (p->type == UB_T_UINT || p->type == UB_T_INT || p->type == UB_T_LONG ||
        p->type == UB_T_ULONG) {
        long long v;
        char *end;

        errno = 0;
        v = strtoll(value, &end, 10);
        if (p->type == UB_T_ULONG && errno == ERANGE)
            v = INT64_MAX; /* above any range we define */
        if ((p->has_min && v < p->min) || (p->has_max && v > p->max)) {
            *msg = "value out of range";
            return USP_ERR_INVALID_VALUE;
        }
        return 0;
    }
    if (p->flags & AGENT_P_ALIAS) {
        if (!((value[0] >= 'a' && value[0] <= 'z') ||
              (value[0] >= 'A' && value[0] <= 'Z'))) {
            *msg = "Alias must be non-empty and start with a letter";
            return USP_ERR_INVALID_VALUE;
        }
    }
    if (p->flags & AGENT_P_PERMBITS) {
        size_t i;

        if (strlen(value) != 4) {
            *msg = "permissions are 4 characters (rwxn or -)";
            return USP_ERR_INVALID_VALUE;
        }
        for (i = 0; i < 4; i++)
            if (value[i] != '-' && value[i] != perm_chars[i]) {
                *msg = "permissions are 4 characters (rwxn or -)";
                return USP_ERR_INVALID_VALUE;
            }
        return 0;
    }
    if (p->flags & AGENT_P_LIST) {
        const char *s = value, *c;
        size_t items = 0;
        uint32_t rc;

        if (!*value)
            return 0; /* empty list */
        for (;;) {
            const char *b, *e;

            c = strchr(s, ',');
            e = c ? c : s + strlen(s);
            b = s;
            while (b < e && (*b == ' ' || *b == '\t'))
                b++;
            while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            items++;
            rc = check_item(p, b, (size_t)(e - b), msg);
            if (rc)
                return rc;
            if (!c)
                break;
            s = c + 1;
        }
        if (p->max_items && items > p->max_items) {
            *msg = "too many list items";
            return USP_ERR_INVALID_VALUE;
        }
        return 0;
    }
    if (p->type == UB_T_STRING && !*value && (p->flags & AGENT_P_ROLEREF))
        return 0; /* an empty reference */
    return check_item(p, value, strlen(value), msg);
}
