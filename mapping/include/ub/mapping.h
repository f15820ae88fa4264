/*
 * uspbridge mapping: pure CWMP (TR-069) <-> USP (TR-369) translation.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * No I/O, no event loop, no state beyond read-only tables (and the optional
 * data-model lookup a caller loads from a BBF XML file).  Neutral types only:
 * CWMP fault codes are unsigned ints, USP error codes are uint32_t, Inform
 * EventCodes are strings.  The bridge converts the cwmp/ and usp/ structs
 * at its own edge and asks this module what they mean on the other side.
 *
 * Contents:
 *  1. fault/error tables: CWMP 8xxx/9xxx faults -> USP 7xxx errors by the
 *     context of the request, names and texts of both, ub_err -> wire codes;
 *  2. event mapping: an Inform's EventCodes -> the USP notifications and
 *     bridge actions they call for (a plan);
 *  3. the command/event table the bridge offers in GetSupportedDM, with
 *     argument names from TR-181 and the CWMP realisation of each command;
 *  4. TR-106 helpers: ParameterKey, types, per-object grouping of paths,
 *     boolean normalisation, access mapping;
 *  5. data-model knowledge loaded from a BBF data-model XML (libxml2).
 *
 * Conventions (base.h): functions that can fail return UB_OK or a positive
 * enum ub_err and leave their outputs untouched on failure.  Every table
 * entry handed out by pointer is static and lives as long as the process;
 * do not modify or free it.  Pointer parameters are borrowed unless said
 * otherwise.  Everything is reentrant (no global mutable state) except the
 * data-model handle, which belongs to one thread like everything else.
 *
 * Caveats: see mapping/README.md ("Caveats").  In short: the fault tables
 * encode a choice where the specs leave room (each row says why in
 * src/fault.c), the event plan only says *what* to emit, matching a
 * TransferComplete to its USP Request is the bridge's work (by CommandKey),
 * and the command table is a fixed list, not a data-model parser.
 */
#ifndef UB_MAPPING_H
#define UB_MAPPING_H

#include <ub/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* 1. Faults and errors                                                */
/* ------------------------------------------------------------------ */

/* CWMP fault code ranges (TR-069 Amendment 6, ACS and CPE fault tables). */
#define MAP_ACS_FAULT_MIN 8000u
#define MAP_ACS_FAULT_MAX 8005u
#define MAP_ACS_VENDOR_MIN 8800u
#define MAP_ACS_VENDOR_MAX 8899u
#define MAP_CPE_FAULT_MIN 9000u
#define MAP_CPE_FAULT_MAX 9032u
#define MAP_CPE_VENDOR_MIN 9800u
#define MAP_CPE_VENDOR_MAX 9899u

/* USP error code ranges (TR-369 "Error Codes"). */
#define MAP_USP_ERR_MIN 7000u
#define MAP_USP_ERR_MAX 7999u
#define MAP_USP_RECORD_ERR_MIN 7100u
#define MAP_USP_RECORD_ERR_MAX 7199u
#define MAP_USP_VENDOR_MIN 7800u
#define MAP_USP_VENDOR_MAX 7999u

/* Where in a USP exchange a CWMP fault surfaces.  The same fault means a
 * different USP error depending on what the controller asked for. */
enum map_ctx {
    MAP_CTX_ANY = 0,    /* whole-message Error (and the fallback) */
    MAP_CTX_GET,        /* Get / GetInstances / GetSupportedDM path result */
    MAP_CTX_SET,        /* Set: object result / Error of a failed SPV */
    MAP_CTX_PARAM,      /* one ParamError of a Set or Add (SPV fault entry) */
    MAP_CTX_ADD,        /* Add: AddObject fault (object result) */
    MAP_CTX_DELETE,     /* Delete: DeleteObject fault (per instance) */
    MAP_CTX_OPERATE,    /* Operate error / OperationComplete cmd_failure */
    MAP_CTX_SUBSCRIBE,  /* SetParameterAttributes behind a Subscription */
    MAP_CTX_MAX_
};

/* "any", "get", "set", "param", "add", "delete", "operate", "subscribe". */
const char *map_ctx_name(enum map_ctx ctx);

/* Translates a CWMP fault (ACS 8000-8005 or CPE 9000-9032, vendor or
 * unknown codes included) into the USP error code to report in context
 * ctx.  Never returns 0 for a non-zero fault: codes without a row get the
 * context's general code (7000 message failed, 7009 parameter action
 * failed, 7020/7017/7024 object update/create/delete failed, 7022 command
 * failure).  fault 0 (no fault) gives 0. */
uint32_t map_fault_to_usp(unsigned fault, enum map_ctx ctx);

/* TR-369 R-DEL.2a: a Delete of a path that resolves to no instance is a
 * success with an empty affected_paths.  True when a DeleteObject fault
 * means exactly that (9005: the instance is already gone), so the bridge
 * reports success instead of map_fault_to_usp(fault, MAP_CTX_DELETE). */
bool map_delete_fault_is_success(unsigned fault);

/* Nearest CWMP CPE fault for a USP error (for logs and for answering a
 * CPE when a USP-side error must be expressed in CWMP terms).  Unknown
 * codes give 9002 (internal error); 0 gives 0. */
unsigned map_usp_to_cwmp_fault(uint32_t usp_err);

/* ub_err -> USP error code (the bridge's own failures: 7003 internal,
 * 7005 resources, 7006 permission...).  UB_OK gives 0. */
uint32_t map_ub_err_to_usp(int err);
/* ub_err -> ACS fault (8000-8005) for answering a CPE's request the bridge
 * could not serve.  UB_OK gives 0. */
unsigned map_ub_err_to_acs_fault(int err);

/* Names.  Static strings, never NULL: "Invalid parameter name",
 * "Vendor-defined fault" (8800-8899, 9800-9899), "Unknown fault". */
const char *map_cwmp_fault_name(unsigned fault);
/* True if the fault's SOAP faultcode is "Server" (false: "Client"), as
 * TR-069 lists it.  Vendor and unknown codes: Server. */
bool map_cwmp_fault_is_server(unsigned fault);
/* "Invalid path", "USP Record error" (7100-7199 not listed), "Vendor
 * defined error" (7800-7999), "Unknown error".  Static, never NULL. */
const char *map_usp_err_name(uint32_t usp_err);

/* One row of the fault translation table (read-only, for tests and docs):
 * faults lo..hi in context ctx map to usp. */
struct map_fault_row {
    unsigned lo, hi;
    enum map_ctx ctx;
    uint32_t usp;
    const char *why; /* one line of reasoning */
};
size_t map_fault_row_count(void);
const struct map_fault_row *map_fault_row_at(size_t i); /* NULL past end */

/* ------------------------------------------------------------------ */
/* 2. Inform events -> USP notifications                               */
/* ------------------------------------------------------------------ */

/* The EventCodes of TR-069 Amendment 6 (Inform EventStruct). */
enum map_evt {
    MAP_EV_BOOTSTRAP = 0,               /* "0 BOOTSTRAP" */
    MAP_EV_BOOT,                        /* "1 BOOT" */
    MAP_EV_PERIODIC,                    /* "2 PERIODIC" */
    MAP_EV_SCHEDULED,                   /* "3 SCHEDULED" */
    MAP_EV_VALUE_CHANGE,                /* "4 VALUE CHANGE" */
    MAP_EV_KICKED,                      /* "5 KICKED" */
    MAP_EV_CONNECTION_REQUEST,          /* "6 CONNECTION REQUEST" */
    MAP_EV_TRANSFER_COMPLETE,           /* "7 TRANSFER COMPLETE" */
    MAP_EV_DIAGNOSTICS_COMPLETE,        /* "8 DIAGNOSTICS COMPLETE" */
    MAP_EV_REQUEST_DOWNLOAD,            /* "9 REQUEST DOWNLOAD" */
    MAP_EV_AUTONOMOUS_TRANSFER_COMPLETE,/* "10 AUTONOMOUS TRANSFER COMPLETE" */
    MAP_EV_DU_STATE_CHANGE_COMPLETE,    /* "11 DU STATE CHANGE COMPLETE" */
    MAP_EV_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE, /* "12 AUTONOMOUS DU ..." */
    MAP_EV_WAKEUP,                      /* "13 WAKEUP" */
    MAP_EV_HEARTBEAT,                   /* "14 HEARTBEAT" */
    MAP_EV_M_REBOOT,                    /* "M Reboot" */
    MAP_EV_M_SCHEDULE_INFORM,           /* "M ScheduleInform" */
    MAP_EV_M_DOWNLOAD,                  /* "M Download" */
    MAP_EV_M_SCHEDULE_DOWNLOAD,         /* "M ScheduleDownload" */
    MAP_EV_M_UPLOAD,                    /* "M Upload" */
    MAP_EV_M_CHANGE_DU_STATE,           /* "M ChangeDUState" */
    MAP_EV_VENDOR,                      /* "X <OUI> <event>", "M X_<...>" */
    MAP_EV_UNKNOWN,                     /* anything else */
    MAP_EV_MAX_
};

#define MAP_EVENT_CODE_MAX 64 /* EventCode is string(64) */

/* Parses an EventCode.  Leading/trailing blanks and letter case are
 * tolerated (sloppy CPEs), so are repeated inner blanks.  A string that is
 * no EventCode at all gives MAP_EV_UNKNOWN and UB_OK; NULL or longer than
 * MAP_EVENT_CODE_MAX gives UB_EINVAL. */
int map_event_parse(const char *code, enum map_evt *out) UB_WARN_UNUSED;
/* Canonical text ("0 BOOTSTRAP", "M Reboot"); "" for VENDOR/UNKNOWN. */
const char *map_event_name(enum map_evt ev);

/* Device.Boot! Cause values (TR-181 Device.Boot!.Cause). */
enum map_boot_cause {
    MAP_BOOT_LOCAL_REBOOT = 0,
    MAP_BOOT_REMOTE_REBOOT,
    MAP_BOOT_LOCAL_FACTORY_RESET,
    MAP_BOOT_REMOTE_FACTORY_RESET,
    MAP_BOOT_MAX_
};
/* "LocalReboot", "RemoteReboot", "LocalFactoryReset", "RemoteFactoryReset". */
const char *map_boot_cause_name(enum map_boot_cause c);

/* One EventStruct of an Inform (both strings borrowed; command_key may be
 * NULL, meaning ""). */
struct map_inform_event {
    const char *code;
    const char *command_key;
};

/* What the bridge knows that the EventCodes alone do not say. */
struct map_boot_info {
    bool sw_version_changed;    /* SoftwareVersion differs from the cache */
    bool first_contact;         /* the registry had no such device before */
    bool factory_reset_pending; /* the bridge sent FactoryReset, no
                                   BOOTSTRAP seen since */
};

enum map_notif_type {
    MAP_NOTIF_ONBOARD_REQUEST = 1, /* Notify OnBoardRequest */
    MAP_NOTIF_EVENT,               /* Notify Event obj_path + event_name */
    MAP_NOTIF_VALUE_CHANGE,        /* Notify ValueChange per changed param */
    MAP_NOTIF_OPERATION_COMPLETE,  /* Notify OperationComplete */
};

/* What completes an OperationComplete (or fills a deferred event). */
enum map_oc_source {
    MAP_OC_NONE = 0,
    MAP_OC_TRANSFER,     /* TransferComplete RPC, matched by CommandKey.
                            TransferComplete!.FaultCode is a TR-369 code:
                            map_fault_to_usp(fault, MAP_CTX_OPERATE) */
    MAP_OC_DIAGNOSTICS,  /* GPV of the running diagnostics' results */
    MAP_OC_DU,           /* DUStateChangeComplete RPC, by CommandKey */
    MAP_OC_AUTONOMOUS_TRANSFER, /* AutonomousTransferComplete RPC */
    MAP_OC_AUTONOMOUS_DU,       /* AutonomousDUStateChangeComplete RPC */
};

/* One notification to emit.  Strings are static or borrowed from the
 * input events (command_key): valid as long as the input is. */
struct map_notif {
    enum map_notif_type type;
    enum map_evt source;       /* the EventCode that called for it */
    const char *obj_path;      /* EVENT: "Device.", "Device.LocalAgent." */
    const char *event_name;    /* EVENT: "Boot!", "TransferComplete!" ... */
    const char *command_key;   /* never NULL ("" if none) */
    /* Device.Boot! fields */
    enum map_boot_cause cause;
    bool firmware_updated;
    /* Deferred: the fields come later in this session (an RPC or a GPV
     * named by 'from'); emit it then.  false: emit now. */
    bool deferred;
    enum map_oc_source from;
};

/* Bridge actions an Inform calls for (bits of map_event_plan.actions). */
#define MAP_ACT_RESYNC (1u << 0)        /* full tree sync (GPN + GPV) */
#define MAP_ACT_REFRESH (1u << 1)       /* cache refresh / liveness */
#define MAP_ACT_DRAIN (1u << 2)         /* run the device's queued RPCs */
#define MAP_ACT_REAPPLY_ATTRS (1u << 3) /* re-send SetParameterAttributes of
                                           subscriptions (device lost them) */
#define MAP_ACT_READ_DIAG (1u << 4)     /* GPV the diagnostics' results */
#define MAP_ACT_EXPECT_TRANSFER (1u << 5) /* TransferComplete RPC follows */
#define MAP_ACT_EXPECT_DU (1u << 6)     /* DUStateChangeComplete follows */
#define MAP_ACT_REBOOT_DONE (1u << 7)   /* a Reboot the bridge sent is done */
#define MAP_ACT_FACTORY_RESET_DONE (1u << 8) /* ... FactoryReset done */
#define MAP_ACT_ANSWER_REQUEST_DOWNLOAD (1u << 9) /* RequestDownload RPC
                                           follows: no USP meaning */

#define MAP_PLAN_MAX 32 /* bound on plan entries (input beyond is counted) */

struct map_event_plan {
    struct map_notif v[MAP_PLAN_MAX];
    size_t n;
    size_t n_dropped;  /* entries beyond MAP_PLAN_MAX (logged, not kept) */
    uint32_t seen;     /* bit (1u << enum map_evt) for each code present */
    uint32_t actions;  /* MAP_ACT_* */
    size_t n_vendor;   /* vendor EventCodes (ignored) */
    size_t n_unknown;  /* unparseable EventCodes (ignored) */
};

/* Builds the plan for one Inform.  ev: n events (borrowed, may be NULL if
 * n == 0; entries with a NULL code count as unknown).  info may be NULL
 * (all false).  The plan borrows command_key strings from ev.  UB_EINVAL
 * only for ev == NULL with n > 0 or out == NULL. */
int map_events_plan(const struct map_inform_event *ev, size_t n,
                    const struct map_boot_info *info,
                    struct map_event_plan *out) UB_WARN_UNUSED;

/* Device.Boot! arguments for a Boot! plan entry, appended to out in
 * TR-181 order (path = argument name): CommandKey, Cause, FirmwareUpdated
 * ("true"/"false"), ParameterMap (parameter_map: the JSON object the
 * bridge built from the controller's BootParameters, NULL -> "{}").
 * UB_EINVAL if nf is no Boot! entry; out is unchanged on failure. */
int map_boot_args(const struct map_notif *nf, const char *parameter_map,
                  struct ub_param_list *out) UB_WARN_UNUSED;

/* What a (Autonomous)TransferComplete RPC tells, plus the USP context the
 * bridge kept for it.  All strings borrowed, NULL means "". */
struct map_transfer_info {
    const char *command;      /* USP command path that asked for it */
    const char *command_key;  /* the USP command_key (not the CWMP one) */
    const char *requestor;    /* controller endpoint ID */
    bool is_download;
    const char *affected;     /* object path the transfer touched */
    const char *url;
    const char *start_time;   /* CWMP dateTime text; empty -> Unknown Time */
    const char *complete_time;
    unsigned fault;           /* CWMP FaultCode, 0 = success */
    const char *fault_string; /* CWMP FaultString */
};
/* Device.LocalAgent.TransferComplete! arguments in TR-181 order: Command,
 * CommandKey, Requestor, TransferType ("Download"/"Upload"), Affected,
 * TransferURL, StartTime, CompleteTime ("0001-01-01T00:00:00Z" when
 * unknown), FaultCode (TR-369 code: map_fault_to_usp(fault,
 * MAP_CTX_OPERATE), "0" on success), FaultString (map_fault_errmsg, cut
 * to TR-181's 256).  Appended to out; unchanged on failure. */
int map_transfer_complete_args(const struct map_transfer_info *t,
                               struct ub_param_list *out) UB_WARN_UNUSED;

/* Diagnostics: classify a CWMP DiagnosticsState value. */
enum map_diag_state {
    MAP_DIAG_IDLE = 0,  /* "None" / "" : nothing ran or it was reset */
    MAP_DIAG_RUNNING,   /* "Requested" */
    MAP_DIAG_COMPLETE,  /* "Complete" */
    MAP_DIAG_ERROR,     /* "Error" or "Error_*": still output args, the USP
                           Status output carries the value */
    MAP_DIAG_CANCELED,  /* "Canceled" */
};
enum map_diag_state map_diag_state_classify(const char *state);

/* ------------------------------------------------------------------ */
/* 3. Commands and events the bridge offers                            */
/* ------------------------------------------------------------------ */

/* How a USP command is carried out on a CWMP device. */
enum map_cwmp_op {
    MAP_OP_NONE = 0,
    MAP_OP_REBOOT,         /* Reboot RPC (CommandKey) */
    MAP_OP_FACTORY_RESET,  /* FactoryReset RPC */
    MAP_OP_DOWNLOAD,       /* Download RPC with file_type */
    MAP_OP_UPLOAD,         /* Upload RPC with file_type */
    MAP_OP_DIAGNOSTICS,    /* SPV of inputs + DiagnosticsState=Requested on
                              diag_object, then GPV of the outputs */
    MAP_OP_CHANGE_DU_STATE,/* ChangeDUState RPC with du_op */
    MAP_OP_BRIDGE,         /* served by the bridge itself (LocalAgent) */
};
const char *map_cwmp_op_name(enum map_cwmp_op op);

enum map_du_op { MAP_DU_NONE = 0, MAP_DU_INSTALL, MAP_DU_UPDATE,
                 MAP_DU_UNINSTALL };

/* One input or output argument.  cwmp is what carries it on the CWMP side:
 * for DOWNLOAD/UPLOAD/CHANGE_DU_STATE the RPC argument name, for
 * DIAGNOSTICS the parameter name relative to diag_object (may contain
 * "{i}" for result tables), NULL if CWMP has no equivalent (the argument
 * is accepted and ignored; see README Caveats). */
struct map_arg {
    const char *name;
    const char *cwmp;
    bool mandatory;
    enum ub_type type; /* inputs: TR-181 type (xsi:type of the SPV) */
};

struct map_command {
    const char *path;        /* schema path, "Device.Reboot()" */
    bool async;
    enum map_cwmp_op op;
    const char *file_type;   /* DOWNLOAD/UPLOAD: TR-069 FileType */
    const char *diag_object; /* DIAGNOSTICS: TR-181 CWMP object path */
    const char *diag_object_tr098; /* same on an InternetGatewayDevice
                                      root, NULL if none */
    enum map_du_op du_op;
    bool virtual_home;       /* the bridge may present a virtual instance
                                when the device lacks the object */
    const struct map_arg *in;
    size_t n_in;
    const struct map_arg *out;
    size_t n_out;
};

struct map_event_def {
    const char *path;        /* schema path, "Device.Boot!" */
    const char *const *args;
    size_t n_args;
};

/* Looks a command up by concrete path ("Device.DeviceInfo.FirmwareImage.2.
 * Download()"), schema path ("...FirmwareImage.{i}.Download()") or either
 * with a trailing "()" missing.  NULL if the bridge offers no such
 * command. */
const struct map_command *map_command_find(const char *path);
size_t map_command_count(void);
const struct map_command *map_command_at(size_t i); /* NULL past end */
/* Finds an input argument by name; NULL if the command has none. */
const struct map_arg *map_command_input(const struct map_command *cmd,
                                        const char *name);

/* Diagnostics, request side: the SetParameterValues list for running a
 * DIAGNOSTICS command.  in: the Operate input_args as name = path, value
 * (borrowed).  diag_object: the object on this device (NULL: the TR-181
 * cmd->diag_object; a TR-098 device passes cmd->diag_object_tr098).
 * Appends to out (owned by the caller, bounded by its max) one entry per
 * given argument (full path, value, TR-181 type), then DiagnosticsState =
 * "Requested" last.  UB_EINVAL for an unknown argument, a missing
 * mandatory one or a non-diagnostics command, with *bad_arg (may be NULL)
 * naming the argument (borrowed from in or from the table): the bridge
 * answers 7027.  On failure out is left as it was. */
int map_diag_request(const struct map_command *cmd, const char *diag_object,
                     const struct ub_param_list *in,
                     struct ub_param_list *out, const char **bad_arg)
    UB_WARN_UNUSED;
/* Diagnostics, result side: output args from a GPV of the diagnostics
 * object.  gpv: parameters with full paths (borrowed); those under
 * diag_object whose relative schema path is an output of cmd become
 * output args named relative to the command ("RouteHops.2.Host"), with
 * DiagnosticsState reported as "Status" and booleans as true/false.
 * Appends to out (path = argument name).  Parameters outside the outputs
 * are skipped. */
int map_diag_outputs(const struct map_command *cmd, const char *diag_object,
                     const struct ub_param_list *gpv,
                     struct ub_param_list *out) UB_WARN_UNUSED;

/* err_msg for a CWMP fault: "CWMP <code> <name>: <FaultString>", the
 * FaultString cut to 128 bytes and made printable (peer data).  Always
 * NUL-terminates out (outsz > 0); returns out. */
char *map_fault_errmsg(unsigned fault, const char *fault_string, char *out,
                       size_t outsz);

const struct map_event_def *map_event_def_find(const char *path);
size_t map_event_def_count(void);
const struct map_event_def *map_event_def_at(size_t i);

/* ------------------------------------------------------------------ */
/* 4. TR-106 helpers                                                   */
/* ------------------------------------------------------------------ */

#define MAP_PARAMETER_KEY_MAX 32 /* CWMP ParameterKey is string(32) */

/* ParameterKey for an SPV/AddObject/DeleteObject made on behalf of USP
 * message msg_id: "usp:<msg_id>".  Bytes outside printable ASCII become
 * '_'.  Longer than 32 characters: "usp:" + the first 13 bytes + "~" +
 * the last 14 bytes of msg_id, so one msg_id always gives the same key and
 * ids that differ only in their tail (counters) stay distinct.  out must
 * hold MAP_PARAMETER_KEY_MAX + 1 bytes.  UB_EINVAL for NULL arguments or a
 * too small out. */
int map_parameter_key(const char *msg_id, char *out, size_t outsz)
    UB_WARN_UNUSED;

/* USP GetSupportedDM ParamValueType (wire numbers of usp-msg.proto). */
enum map_usp_type {
    MAP_USP_PARAM_UNKNOWN = 0,
    MAP_USP_PARAM_BASE_64 = 1,
    MAP_USP_PARAM_BOOLEAN = 2,
    MAP_USP_PARAM_DATE_TIME = 3,
    MAP_USP_PARAM_DECIMAL = 4,
    MAP_USP_PARAM_HEX_BINARY = 5,
    MAP_USP_PARAM_INT = 6,
    MAP_USP_PARAM_LONG = 7,
    MAP_USP_PARAM_STRING = 8,
    MAP_USP_PARAM_UNSIGNED_INT = 9,
    MAP_USP_PARAM_UNSIGNED_LONG = 10,
};
/* ub_type -> ParamValueType.  UB_T_NONE (no xsi:type) -> STRING, as
 * mapping.md says; UB_T_OBJECT -> UNKNOWN. */
enum map_usp_type map_type_to_usp(enum ub_type t);
/* ParamValueType -> ub_type (UNKNOWN -> UB_T_NONE). */
enum ub_type map_type_from_usp(enum map_usp_type t);
/* CWMP xsi:type for a ub_type: "xsd:string", "xsd:unsignedInt",
 * "xsd:base64"...; UB_T_NONE gives "xsd:string", UB_T_OBJECT "". */
const char *map_type_xsd(enum ub_type t);

/* USP access enums (usp-msg.proto wire numbers). */
enum map_param_access { MAP_PARAM_READ_ONLY = 0, MAP_PARAM_READ_WRITE = 1,
                        MAP_PARAM_WRITE_ONLY = 2 };
enum map_obj_access { MAP_OBJ_READ_ONLY = 0, MAP_OBJ_ADD_DELETE = 1,
                      MAP_OBJ_ADD_ONLY = 2, MAP_OBJ_DELETE_ONLY = 3 };
/* GPN writable -> access.  For a multi-instance table ("...{i}." schema
 * path or "X." answered writable by GPN) CWMP's writable means AddObject
 * is allowed; DeleteObject is allowed on instances whose own writable bit
 * is set: both -> ADD_DELETE.  Not a table -> READ_ONLY. */
enum map_param_access map_param_access(bool writable);
enum map_obj_access map_obj_access(bool is_table, bool table_writable,
                                   bool instance_writable);

/* CWMP boolean -> USP lexical form: "1"/"true" -> "true", "0"/"false" ->
 * "false" (case-insensitive, blanks around tolerated).  NULL if not a
 * boolean.  Returns a static string. */
const char *map_bool_to_usp(const char *v);
/* Normalises a value read from CWMP for USP: booleans as above, any other
 * type unchanged (the input pointer is returned).  Invalid booleans are
 * returned unchanged too (never lose data). */
const char *map_value_to_usp(enum ub_type t, const char *v);

/* Per-object grouping of parameter paths (Set allow_partial=true -> one
 * SPV per object).  A group's object is the path up to and including its
 * last '.'.  Groups come in the order their first member appears; members
 * keep input order. */
struct map_group {
    char *object;  /* owned by the group list */
    size_t *idx;   /* indices into the input, owned */
    size_t n;
};
struct map_groups {
    struct map_group *v;
    size_t n;
};
/* paths: n strings (borrowed).  A path without a '.' or an object path
 * (ending in '.') is refused with UB_EINVAL (nothing to set).  On success
 * *out must be released with map_groups_free. */
int map_paths_group(const char *const *paths, size_t n,
                    struct map_groups *out) UB_WARN_UNUSED;
/* Same over a ub_param_list (paths of l->v[i].path). */
int map_params_group(const struct ub_param_list *l, struct map_groups *out)
    UB_WARN_UNUSED;
void map_groups_free(struct map_groups *g);

/* TR-098 <-> TR-181 path translation (best effort, names only, see
 * src/tr098.c for the table and its limits).  Concrete or schema paths.
 * Returned owned (ub_free); NULL when no row covers the path (the caller
 * exposes it untranslated under its own root, or not at all) or on
 * allocation failure.  *hidden (may be NULL) is set when a row says the
 * TR-098 name has no TR-181 twin and must not be exposed. */
char *map_tr098_to_tr181(const char *path, bool *hidden);
char *map_tr181_to_tr098(const char *path);
/* The table, for tests and GetSupportedDM: false past the end. */
size_t map_tr098_row_count(void);
bool map_tr098_row_at(size_t i, const char **tr098, const char **tr181,
                      bool *prefix);

/* Schema path of a concrete path ("{i}" for instance numbers): returned
 * owned (ub_free), NULL on allocation failure.  A thin wrapper of
 * ub_path_to_schema that also accepts command and event paths. */
char *map_path_schema(const char *path);

/* ------------------------------------------------------------------ */
/* 5. Data-model knowledge (BBF data-model XML)                        */
/* ------------------------------------------------------------------ */

struct map_dm; /* opaque: schema path -> type and access */

enum map_dm_kind { MAP_DM_OBJECT = 1, MAP_DM_PARAM, MAP_DM_COMMAND,
                   MAP_DM_EVENT };

struct map_dm_entry {
    const char *path;   /* schema path ("Device.IP.Interface.{i}.Name") */
    enum map_dm_kind kind;
    enum ub_type type;  /* params: base type (data types resolved when the
                           file defines them); objects: UB_T_OBJECT */
    bool writable;      /* params: readWrite; objects: table with
                           access="readWrite" (Add/Delete) */
    bool multi;         /* objects: multi-instance table */
    bool async;         /* commands */
};

struct map_dm_limits {
    size_t max_bytes;   /* input size; default 64 MiB */
    size_t max_entries; /* default 200,000 */
    unsigned max_depth; /* XML nesting; default 64 */
};

/* Parses a BBF data-model XML document (cwmp-datamodel schema: <model>,
 * <object>, <parameter>, <command>, <event>, <dataType>) from memory.
 * Safe settings: no network, no entity substitution, no DTD loading, no
 * XML_PARSE_HUGE; the limits above.  Only the first <model> is read.
 * lim may be NULL.  Returned owned (map_dm_free).  UB_EPROTO for
 * malformed or non-BBF XML (a DOCTYPE included: BBF files have none),
 * UB_ETOOBIG past a limit, UB_ENOMEM.  Only objects of the first <model>
 * are read ("full" files, as report.pl writes them: <component>s and
 * <import>s are not followed). */
int map_dm_load_mem(const char *buf, size_t len,
                    const struct map_dm_limits *lim, struct map_dm **out)
    UB_WARN_UNUSED;
/* Same from a file (read with plain stdio: call it at start-up or on a
 * worker, not from a loop callback). */
int map_dm_load_file(const char *path, const struct map_dm_limits *lim,
                     struct map_dm **out) UB_WARN_UNUSED;
void map_dm_free(struct map_dm *dm);
/* Looks up a concrete or schema path.  The entry is borrowed until
 * map_dm_free.  NULL if absent. */
const struct map_dm_entry *map_dm_lookup(const struct map_dm *dm,
                                         const char *path);
size_t map_dm_count(const struct map_dm *dm);
/* Entries in document order; NULL past the end. */
const struct map_dm_entry *map_dm_at(const struct map_dm *dm, size_t i);
/* The model name ("Device:2.15"), borrowed until map_dm_free. */
const char *map_dm_model(const struct map_dm *dm);

#ifdef __cplusplus
}
#endif
#endif /* UB_MAPPING_H */
