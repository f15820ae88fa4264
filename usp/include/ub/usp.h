/*
 * uspbridge USP module: Record/Msg codec, path engine, endpoint IDs, MTPs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * This is the only public header of the usp/ module (CMake target ub_usp).
 * It uses neutral types only: no protobuf-c, libwebsockets or libmosquitto
 * type ever appears here.  The wire schemas are usp/proto/usp-record.proto
 * and usp/proto/usp-msg.proto (TR-369 USP 1.0 - 1.4 wire compatible).
 *
 * Sections:
 *   1. USP error codes (7000-7999) and their texts
 *   2. Record layer: decode + validate, encode, Error replies for bad records
 *   3. Msg layer: a neutral struct usp_msg for every message type, decode,
 *      encode, builder helpers, a protobuf-text-format printer
 *   4. Path engine: parse USP path names, resolve them over a struct ub_tree
 *   5. Endpoint IDs: build os::/ops:: IDs, validate any endpoint ID
 *   6. MTPs (owned by the MTP part of the module)
 *
 * Conventions: functions return UB_OK or an enum ub_err (base.h); outputs
 * come last and are left untouched on failure.  Wire codes (enum
 * usp_err_code) are data carried in messages, never return values.
 *
 * Caveats:
 *  - SessionContext records (E2E sessions, segmentation, TLS payloads) are
 *    not supported: usp_record_decode() reports them as UB_ENOTSUP with USP
 *    error 7106 in the diagnostics, so the caller can answer clearly.
 *  - Decoded records and messages never reference the caller's input buffer:
 *    the input may be freed right after the decode call.
 *  - Nothing here is thread safe; one loop thread owns every object.
 */
#ifndef UB_USP_H
#define UB_USP_H

#include <ub/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================== */
/* 1. USP error codes                                                  */
/* ================================================================== */

/* TR-369 error codes.  7000-7031: message and parameter errors;
 * 7100-7106: Record errors; 7800-7999: vendor specific. */
enum usp_err_code {
    USP_ERR_OK = 0,
    USP_ERR_MESSAGE_FAILED = 7000,
    USP_ERR_MESSAGE_NOT_SUPPORTED = 7001,
    USP_ERR_REQUEST_DENIED = 7002,
    USP_ERR_INTERNAL_ERROR = 7003,
    USP_ERR_INVALID_ARGUMENTS = 7004,
    USP_ERR_RESOURCES_EXCEEDED = 7005,
    USP_ERR_PERMISSION_DENIED = 7006,
    USP_ERR_INVALID_CONFIGURATION = 7007,
    USP_ERR_INVALID_PATH_SYNTAX = 7008,
    USP_ERR_PARAM_ACTION_FAILED = 7009,
    USP_ERR_UNSUPPORTED_PARAM = 7010,
    USP_ERR_INVALID_TYPE = 7011,
    USP_ERR_INVALID_VALUE = 7012,
    USP_ERR_PARAM_READ_ONLY = 7013,
    USP_ERR_VALUE_CONFLICT = 7014,
    USP_ERR_OPERATION_ERROR = 7015,
    USP_ERR_OBJECT_DOES_NOT_EXIST = 7016,
    USP_ERR_OBJECT_NOT_CREATED = 7017,
    USP_ERR_NOT_A_TABLE = 7018,
    USP_ERR_OBJECT_NOT_CREATABLE = 7019,
    USP_ERR_OBJECT_NOT_UPDATED = 7020,
    USP_ERR_REQUIRED_PARAM_FAILED = 7021,
    USP_ERR_COMMAND_FAILURE = 7022,
    USP_ERR_COMMAND_CANCELED = 7023,
    USP_ERR_DELETE_FAILURE = 7024,
    USP_ERR_DUPLICATE_KEY = 7025,
    USP_ERR_INVALID_PATH = 7026,
    USP_ERR_INVALID_COMMAND_ARGS = 7027,
    USP_ERR_REGISTER_FAILURE = 7028,
    USP_ERR_ALREADY_IN_USE = 7029,
    USP_ERR_DEREGISTER_FAILURE = 7030,
    USP_ERR_PATH_ALREADY_REGISTERED = 7031,
    /* Record errors */
    USP_ERR_RECORD_NOT_PARSED = 7100,
    USP_ERR_SECURE_SESSION_REQUIRED = 7101,
    USP_ERR_SECURE_SESSION_NOT_SUPPORTED = 7102,
    USP_ERR_SAR_NOT_SUPPORTED = 7103,
    USP_ERR_INVALID_RECORD_VALUE = 7104,
    USP_ERR_SESSION_CONTEXT_TERMINATED = 7105,
    USP_ERR_SESSION_CONTEXT_NOT_ALLOWED = 7106,
    /* Vendor range */
    USP_ERR_VENDOR_FIRST = 7800,
    USP_ERR_VENDOR_LAST = 7999,
};

/* Short English name of a USP error code ("Invalid path syntax").  Codes
 * without a defined meaning give "Vendor defined error" (7800-7999) or
 * "Unknown error".  Never NULL, static storage. */
const char *usp_err_text(uint32_t code);

/* ================================================================== */
/* 2. Record layer                                                     */
/* ================================================================== */

#define USP_RECORD_MAX_DEFAULT (256u * 1024u) /* bytes, per record */
#define USP_ID_MAX 255 /* longest to_id/from_id accepted in a record */
/* The USP version uspbridge writes into the Records it sends. */
#define USP_VERSION_DEFAULT "1.3"
/* The versions accepted in received records, and announced in
 * GetSupportedProtocolResp / OnBoardRequest. */
#define USP_VERSIONS_SUPPORTED "1.0,1.1,1.2,1.3,1.4"

enum usp_record_kind {
    USP_REC_NONE = 0,
    USP_REC_NO_SESSION,    /* carries one whole USP Msg in payload */
    USP_REC_SESSION,       /* E2E session context: decoded as UB_ENOTSUP */
    USP_REC_WS_CONNECT,    /* WebSocketConnectRecord (no fields) */
    USP_REC_MQTT_CONNECT,  /* MQTTConnectRecord */
    USP_REC_STOMP_CONNECT, /* STOMPConnectRecord */
    USP_REC_DISCONNECT,    /* DisconnectRecord */
    USP_REC_UDS_CONNECT,   /* UDSConnectRecord (no fields) */
};

enum usp_mqtt_version {
    USP_MQTT_V3_1_1 = 0, /* wire values of MQTTConnectRecord.MQTTVersion */
    USP_MQTT_V5 = 1,
};

/* A USP Record in neutral form.
 *
 * From usp_record_decode(): returned owned, free with usp_record_free();
 * every pointer inside (strings, payload) is owned by the record and valid
 * until usp_record_free().  Strings are never NULL ("" when absent).
 *
 * For usp_record_encode(): filled in by the caller (e.g. on the stack, with
 * priv_ = NULL); every pointer is borrowed for the duration of the call.
 * NULL strings encode as "". */
struct usp_record {
    const char *version; /* "1.3" */
    const char *to_id;
    const char *from_id;
    enum usp_record_kind kind;
    /* USP_REC_NO_SESSION: the encoded USP Msg */
    const uint8_t *payload;
    size_t payload_len;
    /* USP_REC_MQTT_CONNECT */
    enum usp_mqtt_version mqtt_version;
    const char *mqtt_topic; /* subscribed_topic */
    /* USP_REC_STOMP_CONNECT (version is always 0 = STOMP 1.2) */
    const char *stomp_destination; /* subscribed_destination */
    /* USP_REC_DISCONNECT */
    uint32_t disconnect_code; /* reason_code, usually a 71xx code */
    const char *disconnect_reason;
    void *priv_; /* decoder internals; NULL in caller-built records */
};

/* What was wrong with a record that failed usp_record_decode().  Filled on
 * every failure (and zeroed on success).  The strings are copies, so the
 * caller may keep the struct after the input buffer is gone. */
struct usp_record_diag {
    uint32_t usp_err;   /* 7100, 7102, 7104, 7106 ... (0 on success) */
    char msg[160];      /* human readable, safe to log (no peer bytes) */
    bool ids_valid;     /* from_id/to_id below were readable and sane */
    char from_id[USP_ID_MAX + 1];
    char to_id[USP_ID_MAX + 1];
    bool payload_known;      /* the payload could be parsed as a Msg */
    bool payload_is_request; /* ... and it holds a Request */
    char msg_id[128];   /* msg_id of that payload, "" if unknown */
};

/* Limits for decoding; pass NULL for the defaults. */
struct usp_record_limits {
    size_t max_record; /* 0 = USP_RECORD_MAX_DEFAULT */
};

/* Decodes and validates one USP Record.
 *   buf, len: borrowed (not referenced after the call).
 *   lim:      borrowed, NULL = defaults.
 *   out:      on success, a record returned owned (usp_record_free).
 *   diag:     may be NULL; filled with details on failure.
 * Validation: len <= max_record; protobuf parses; version "1.0".."1.4"
 * (any other version is refused, 7104, with the version in diag->msg);
 * to_id and from_id non-empty, at most USP_ID_MAX bytes of printable ASCII
 * without spaces; a record_type is set; payload_security is PLAINTEXT;
 * a no_session_context record carries a non-empty payload.
 * The payload itself is not decoded (see usp_msg_decode).
 * Returns UB_OK; UB_ETOOBIG (oversized, 7100); UB_EPROTO (garbage or a
 * missing/invalid field, 7100 or 7104); UB_EVERSION (unsupported version,
 * 7104); UB_ENOTSUP (session context 7106, TLS payload security 7102);
 * UB_ENOMEM; UB_EINVAL (NULL arguments). */
int usp_record_decode(const void *buf, size_t len,
                      const struct usp_record_limits *lim,
                      struct usp_record **out, struct usp_record_diag *diag)
    UB_WARN_UNUSED;

void usp_record_free(struct usp_record *rec);

/* Encodes a record of any kind except USP_REC_SESSION (UB_ENOTSUP) and
 * USP_REC_NONE (UB_EINVAL).  rec is borrowed.  version NULL means
 * USP_VERSION_DEFAULT.  max: largest encoding allowed (0 = default),
 * UB_ETOOBIG beyond.  *out is returned owned (ub_free), *out_len its size. */
int usp_record_encode(const struct usp_record *rec, size_t max,
                      uint8_t **out, size_t *out_len) UB_WARN_UNUSED;

/* Shorthand: a no_session_context record around an encoded Msg.  All
 * pointers borrowed; output as usp_record_encode(). */
int usp_record_wrap(const char *to_id, const char *from_id,
                    const uint8_t *msg, size_t msg_len, uint8_t **out,
                    size_t *out_len) UB_WARN_UNUSED;

/* Builds the reply R-MTP.5 asks for when a received record is erroneous: a
 * no_session_context Record from own_id to diag->from_id holding an Error
 * Msg (err_code = diag->usp_err, err_msg = diag->msg, msg_id = diag->msg_id
 * or "record-error" when unknown).
 *   diag, own_id: borrowed.  *out returned owned (ub_free).
 * Returns UB_ENOTFOUND when no reply may be sent: the sender's ID is not
 * known or not sane, the record was not addressed to own_id, or the record
 * is known to carry a Response or an Error (the spec says: ignore it).
 * UB_EINVAL if diag reports no error. */
int usp_record_error_build(const struct usp_record_diag *diag,
                           const char *own_id, uint8_t **out,
                           size_t *out_len) UB_WARN_UNUSED;

/* ================================================================== */
/* 3. Msg layer                                                        */
/* ================================================================== */

/* Values are the wire values of Header.MsgType. */
enum usp_msg_type {
    USP_MSG_ERROR = 0,
    USP_MSG_GET = 1,
    USP_MSG_GET_RESP = 2,
    USP_MSG_NOTIFY = 3,
    USP_MSG_SET = 4,
    USP_MSG_SET_RESP = 5,
    USP_MSG_OPERATE = 6,
    USP_MSG_OPERATE_RESP = 7,
    USP_MSG_ADD = 8,
    USP_MSG_ADD_RESP = 9,
    USP_MSG_DELETE = 10,
    USP_MSG_DELETE_RESP = 11,
    USP_MSG_GET_SUPPORTED_DM = 12,
    USP_MSG_GET_SUPPORTED_DM_RESP = 13,
    USP_MSG_GET_INSTANCES = 14,
    USP_MSG_GET_INSTANCES_RESP = 15,
    USP_MSG_NOTIFY_RESP = 16,
    USP_MSG_GET_SUPPORTED_PROTO = 17,
    USP_MSG_GET_SUPPORTED_PROTO_RESP = 18,
    USP_MSG_REGISTER = 19,
    USP_MSG_REGISTER_RESP = 20,
    USP_MSG_DEREGISTER = 21,
    USP_MSG_DEREGISTER_RESP = 22,
    USP_MSG_TYPE_MAX_
};

/* "GET", "GET_RESP", ... (the wire enum names); "?" if out of range. */
const char *usp_msg_type_name(enum usp_msg_type t);
/* True for the request types (Get, Set, ..., Notify, Register...). */
bool usp_msg_type_is_request(enum usp_msg_type t);
/* The response type that answers request t (GET -> GET_RESP), or
 * USP_MSG_ERROR when t is not a request. */
enum usp_msg_type usp_msg_type_response(enum usp_msg_type t);

/* A map<string,string> entry. */
struct usp_kv {
    const char *key;
    const char *value;
};

/* Result of one parameter in Error.param_errs, Set/Add ParameterError and
 * Delete UnaffectedPathError (path = param_path / param / unaffected_path). */
struct usp_param_err {
    const char *path;
    uint32_t err_code;
    const char *err_msg;
};

/* ---- Error ---- */
struct usp_error {
    uint32_t err_code;
    const char *err_msg;
    struct usp_param_err *param_errs;
    size_t n_param_errs;
};

/* ---- Get / GetResp ---- */
struct usp_get {
    const char **paths; /* param_paths */
    size_t n_paths;
    uint32_t max_depth; /* 0 = unlimited */
};

struct usp_resolved_path {
    const char *path;      /* resolved_path (an object path, ends in '.') */
    struct usp_kv *params; /* result_params: relative name -> value */
    size_t n_params;
};

struct usp_get_result {
    const char *requested_path;
    uint32_t err_code; /* 0 = success */
    const char *err_msg;
    struct usp_resolved_path *resolved;
    size_t n_resolved;
};

struct usp_get_resp {
    struct usp_get_result *results;
    size_t n_results;
};

/* ---- Set / Add requests ---- */
struct usp_param_setting {
    const char *param; /* relative to obj_path */
    const char *value;
    bool required;
};

struct usp_obj_settings {
    const char *obj_path;
    struct usp_param_setting *params;
    size_t n_params;
};

struct usp_set {
    bool allow_partial;
    struct usp_obj_settings *objs; /* update_objs */
    size_t n_objs;
};

struct usp_add {
    bool allow_partial;
    struct usp_obj_settings *objs; /* create_objs */
    size_t n_objs;
};

/* ---- SetResp ---- */
/* One instance in an OperationSuccess (updated_inst_results) or in an
 * OperationFailure (updated_inst_failures: updated_params unused). */
struct usp_updated_inst {
    const char *affected_path;
    struct usp_param_err *param_errs; /* path = param */
    size_t n_param_errs;
    struct usp_kv *updated_params;
    size_t n_updated_params;
};

struct usp_set_result {
    const char *requested_path;
    bool success;      /* oper_success, else oper_failure */
    uint32_t err_code; /* failure only */
    const char *err_msg;
    struct usp_updated_inst *insts;
    size_t n_insts;
};

struct usp_set_resp {
    struct usp_set_result *results;
    size_t n_results;
};

/* ---- AddResp ---- */
struct usp_add_result {
    const char *requested_path;
    bool success;
    uint32_t err_code; /* failure only */
    const char *err_msg;
    const char *instantiated_path; /* success only */
    struct usp_param_err *param_errs; /* path = param */
    size_t n_param_errs;
    struct usp_kv *unique_keys;
    size_t n_unique_keys;
};

struct usp_add_resp {
    struct usp_add_result *results;
    size_t n_results;
};

/* ---- Delete / DeleteResp ---- */
struct usp_delete {
    bool allow_partial;
    const char **paths; /* obj_paths */
    size_t n_paths;
};

struct usp_delete_result {
    const char *requested_path;
    bool success;
    uint32_t err_code; /* failure only */
    const char *err_msg;
    const char **affected; /* affected_paths */
    size_t n_affected;
    struct usp_param_err *unaffected; /* path = unaffected_path */
    size_t n_unaffected;
};

struct usp_delete_resp {
    struct usp_delete_result *results;
    size_t n_results;
};

/* ---- Operate / OperateResp ---- */
struct usp_operate {
    const char *command;
    const char *command_key;
    bool send_resp;
    struct usp_kv *input_args;
    size_t n_input_args;
};

/* Which member of an operation_resp oneof is set. */
enum usp_oper_outcome {
    USP_OPER_NONE = 0,
    USP_OPER_REQ_OBJ_PATH, /* OperateResp only: async Request.{i}. */
    USP_OPER_OUTPUT_ARGS,
    USP_OPER_FAILURE,
};

struct usp_oper_result {
    const char *executed_command;
    enum usp_oper_outcome outcome;
    const char *req_obj_path; /* USP_OPER_REQ_OBJ_PATH */
    struct usp_kv *output_args; /* USP_OPER_OUTPUT_ARGS */
    size_t n_output_args;
    uint32_t err_code; /* USP_OPER_FAILURE */
    const char *err_msg;
};

struct usp_operate_resp {
    struct usp_oper_result *results;
    size_t n_results;
};

/* ---- Notify / NotifyResp ---- */
enum usp_notif_kind {
    USP_NOTIF_NONE = 0,
    USP_NOTIF_EVENT,
    USP_NOTIF_VALUE_CHANGE,
    USP_NOTIF_OBJ_CREATION,
    USP_NOTIF_OBJ_DELETION,
    USP_NOTIF_OPER_COMPLETE,
    USP_NOTIF_ON_BOARD_REQ,
};

struct usp_notify {
    const char *subscription_id;
    bool send_resp;
    enum usp_notif_kind kind;
    union {
        struct {
            const char *obj_path;
            const char *event_name;
            struct usp_kv *params;
            size_t n_params;
        } event;
        struct {
            const char *param_path;
            const char *param_value;
        } value_change;
        struct {
            const char *obj_path;
            struct usp_kv *unique_keys;
            size_t n_unique_keys;
        } obj_creation;
        struct {
            const char *obj_path;
        } obj_deletion;
        struct {
            const char *obj_path;
            const char *command_name;
            const char *command_key;
            enum usp_oper_outcome outcome; /* NONE, OUTPUT_ARGS, FAILURE */
            struct usp_kv *output_args;
            size_t n_output_args;
            uint32_t err_code;
            const char *err_msg;
        } oper_complete;
        struct {
            const char *oui;
            const char *product_class;
            const char *serial_number;
            const char *agent_supported_protocol_versions;
        } on_board_req;
    };
};

struct usp_notify_resp {
    const char *subscription_id;
};

/* ---- GetSupportedDM / Resp ---- */
struct usp_get_supported_dm {
    const char **obj_paths;
    size_t n_obj_paths;
    bool first_level_only;
    bool return_commands;
    bool return_events;
    bool return_params;
    bool return_unique_key_sets;
};

/* Wire values of the GetSupportedDMResp enums. */
enum usp_param_access { USP_PARAM_READ_ONLY = 0, USP_PARAM_READ_WRITE = 1,
                        USP_PARAM_WRITE_ONLY = 2 };
enum usp_obj_access { USP_OBJ_READ_ONLY = 0, USP_OBJ_ADD_DELETE = 1,
                      USP_OBJ_ADD_ONLY = 2, USP_OBJ_DELETE_ONLY = 3 };
enum usp_param_vtype {
    USP_VT_UNKNOWN = 0, USP_VT_BASE_64 = 1, USP_VT_BOOLEAN = 2,
    USP_VT_DATE_TIME = 3, USP_VT_DECIMAL = 4, USP_VT_HEX_BINARY = 5,
    USP_VT_INT = 6, USP_VT_LONG = 7, USP_VT_STRING = 8,
    USP_VT_UNSIGNED_INT = 9, USP_VT_UNSIGNED_LONG = 10,
};
enum usp_value_change { USP_VC_UNKNOWN = 0, USP_VC_ALLOWED = 1,
                        USP_VC_WILL_IGNORE = 2 };
enum usp_cmd_type { USP_CMD_UNKNOWN = 0, USP_CMD_SYNC = 1, USP_CMD_ASYNC = 2 };

/* enum ub_type <-> ParamValueType (UB_T_NONE/OBJECT -> USP_VT_UNKNOWN). */
enum usp_param_vtype usp_vtype_from_ub(enum ub_type t);
enum ub_type usp_vtype_to_ub(enum usp_param_vtype v);

struct usp_sdm_param {
    const char *name;
    enum usp_param_access access;
    enum usp_param_vtype value_type;
    enum usp_value_change value_change;
};

struct usp_sdm_command {
    const char *name; /* "Reboot()" */
    const char **input_args;
    size_t n_input_args;
    const char **output_args;
    size_t n_output_args;
    enum usp_cmd_type command_type;
};

struct usp_sdm_event {
    const char *name; /* "Boot!" */
    const char **args;
    size_t n_args;
};

struct usp_sdm_key_set {
    const char **keys; /* key_names */
    size_t n_keys;
};

struct usp_sdm_obj {
    const char *path; /* supported_obj_path, with {i} */
    enum usp_obj_access access;
    bool is_multi_instance;
    struct usp_sdm_command *commands;
    size_t n_commands;
    struct usp_sdm_event *events;
    size_t n_events;
    struct usp_sdm_param *params;
    size_t n_params;
    const char **divergent_paths;
    size_t n_divergent_paths;
    struct usp_sdm_key_set *key_sets; /* unique_key_sets */
    size_t n_key_sets;
};

struct usp_sdm_result {
    const char *req_obj_path;
    uint32_t err_code;
    const char *err_msg;
    const char *data_model_inst_uri;
    struct usp_sdm_obj *objs; /* supported_objs */
    size_t n_objs;
};

struct usp_get_supported_dm_resp {
    struct usp_sdm_result *results;
    size_t n_results;
};

/* ---- GetInstances / Resp ---- */
struct usp_get_instances {
    const char **obj_paths;
    size_t n_obj_paths;
    bool first_level_only;
};

struct usp_curr_inst {
    const char *path; /* instantiated_obj_path */
    struct usp_kv *unique_keys;
    size_t n_unique_keys;
};

struct usp_inst_result {
    const char *requested_path;
    uint32_t err_code;
    const char *err_msg;
    struct usp_curr_inst *insts; /* curr_insts */
    size_t n_insts;
};

struct usp_get_instances_resp {
    struct usp_inst_result *results;
    size_t n_results;
};

/* ---- GetSupportedProtocol / Resp ---- */
struct usp_get_supported_proto {
    const char *versions; /* controller_supported_protocol_versions */
};

struct usp_get_supported_proto_resp {
    const char *versions; /* agent_supported_protocol_versions */
};

/* ---- Register / Deregister (USP 1.3) ---- */
struct usp_register {
    bool allow_partial;
    const char **paths; /* reg_paths[].path */
    size_t n_paths;
};

struct usp_register_result {
    const char *requested_path;
    bool success;
    uint32_t err_code; /* failure only */
    const char *err_msg;
    const char *registered_path; /* success only */
};

struct usp_register_resp {
    struct usp_register_result *results;
    size_t n_results;
};

struct usp_deregister {
    const char **paths;
    size_t n_paths;
};

struct usp_deregister_result {
    const char *requested_path;
    bool success;
    uint32_t err_code;
    const char *err_msg;
    const char **deregistered; /* deregistered_path (repeated) */
    size_t n_deregistered;
};

struct usp_deregister_resp {
    struct usp_deregister_result *results;
    size_t n_results;
};

/* One USP Msg.  'type' selects the union member (named after the type).
 *
 * Decoded messages (usp_msg_decode) are returned owned: every pointer inside
 * lives until usp_msg_free(); do not modify them.  Strings are never NULL.
 *
 * Messages to encode may be built two ways:
 *  - on the stack / in caller memory (priv_ = NULL), all pointers borrowed
 *    for the duration of usp_msg_encode(); NULL strings encode as "";
 *  - with usp_msg_new() + usp_msg_alloc()/usp_msg_strdup(), whose memory
 *    is released by usp_msg_free() (convenient for large responses). */
struct usp_msg {
    const char *msg_id;
    enum usp_msg_type type;
    union {
        struct usp_error error;
        struct usp_get get;
        struct usp_get_resp get_resp;
        struct usp_set set;
        struct usp_set_resp set_resp;
        struct usp_add add;
        struct usp_add_resp add_resp;
        struct usp_delete del;
        struct usp_delete_resp delete_resp;
        struct usp_operate operate;
        struct usp_operate_resp operate_resp;
        struct usp_notify notify;
        struct usp_notify_resp notify_resp;
        struct usp_get_supported_dm gsdm;
        struct usp_get_supported_dm_resp gsdm_resp;
        struct usp_get_instances get_instances;
        struct usp_get_instances_resp get_instances_resp;
        struct usp_get_supported_proto gsp;
        struct usp_get_supported_proto_resp gsp_resp;
        struct usp_register reg;
        struct usp_register_resp reg_resp;
        struct usp_deregister dereg;
        struct usp_deregister_resp dereg_resp;
    };
    /* Header.msg_type as received; differs from 'type' only for sloppy
     * peers (the body wins, R-MSG.10).  Ignored when encoding. */
    enum usp_msg_type header_type;
    void *priv_; /* arena + decoder internals */
};

/* Decodes a USP Msg (the payload of a no_session_context record).
 *   buf, len: borrowed, not referenced after the call.
 *   out:      returned owned (usp_msg_free).
 * Checks: the protobuf parses; header and body are present; the body holds
 * exactly one request/response/error with its inner message set; msg_id is
 * non-empty.  Returns UB_OK, UB_EPROTO (malformed: R-MSG.1 lets the
 * receiver ignore it or answer an Error, e.g. 7000 Message failed, when the
 * record's diag gave a msg_id), UB_ENOMEM, UB_EINVAL. */
int usp_msg_decode(const void *buf, size_t len, struct usp_msg **out)
    UB_WARN_UNUSED;

/* Encodes m (borrowed).  max: largest encoding allowed (0 = default
 * USP_RECORD_MAX_DEFAULT), UB_ETOOBIG beyond.  *out returned owned (ub_free).
 * The header msg_type is written from m->type.  UB_EINVAL for an unknown
 * type, a notify/oper outcome out of range, or counts with NULL arrays. */
int usp_msg_encode(const struct usp_msg *m, size_t max, uint8_t **out,
                   size_t *out_len) UB_WARN_UNUSED;

/* Builder: a zeroed message with type and a copy of msg_id, returned owned.
 * Arrays and strings for it come from usp_msg_alloc / usp_msg_strdup and
 * are freed with it. */
int usp_msg_new(enum usp_msg_type type, const char *msg_id,
                struct usp_msg **out) UB_WARN_UNUSED;
/* Zeroed memory owned by m (freed by usp_msg_free).  NULL on ENOMEM or if m
 * was not made by usp_msg_new/usp_msg_decode.  n == 0 returns a valid
 * non-NULL pointer. */
void *usp_msg_alloc(struct usp_msg *m, size_t n);
/* Copy of s (borrowed; NULL gives "") owned by m.  NULL on ENOMEM. */
const char *usp_msg_strdup(struct usp_msg *m, const char *s);
/* Frees a message from usp_msg_decode or usp_msg_new.  NULL is a no-op.
 * Never call it on a caller-built (priv_ == NULL) message. */
void usp_msg_free(struct usp_msg *m);

/* Convenience: encodes an Error message (msg_id and err_msg borrowed).
 * Output as usp_msg_encode. */
int usp_msg_encode_error(const char *msg_id, uint32_t err_code,
                         const char *err_msg, uint8_t **out, size_t *out_len)
    UB_WARN_UNUSED;

/* Appends m in protobuf text format ("header { msg_id: \"1\" ... }") to out,
 * field names as in usp-msg.proto, maps as repeated key/value entries.
 * Strings are escaped (C style), so peer data is safe to log; a value
 * longer than 1024 bytes is cut with "...".  Errors: those of ub_buf_append
 * (which frees out on failure), UB_EINVAL for a malformed m. */
int usp_msg_print(const struct usp_msg *m, struct ub_buf *out) UB_WARN_UNUSED;
/* The same for a record (payload shown as its length only). */
int usp_record_print(const struct usp_record *rec, struct ub_buf *out)
    UB_WARN_UNUSED;

/* ================================================================== */
/* 4. Path engine                                                      */
/* ================================================================== */

/* Parses and resolves USP Path Names (TR-369 "Path Names" and the
 * Instantiated Data Model grammar) over a struct ub_tree (base.h):
 *   Device.DeviceInfo.                 object path (partial path)
 *   Device.IP.Interface.1.Name         parameter path, instance number
 *   Device.IP.Interface.*.Status       wildcard
 *   Device.IP.Interface.[Name=="eth0"&&Stats.ErrorsSent>=1].Type
 *                                      search / unique key expression with
 *                                      ==, !=, ~= (list contains), <, >,
 *                                      <=, >= joined by && (whitespace
 *                                      around operators tolerated)
 *   Device.IP.Interface.[cpe-1].       instance alias: the instance whose
 *                                      Alias parameter is "cpe-1"
 *   Device.NAT.PortMapping.1.Interface+.Name      reference following
 *   Device.WiFi.SSID.1.LowerLayers#2+.Name        list item 2, #* = all
 *   Device.IP.Interface.1.Reset()  /  Device.Boot!   command / event
 * Literals are "quoted" (with %22 / %25 percent escapes) or bare tokens
 * (numbers, true/false, dateTimes).
 *
 * Invalid syntax is UB_EPROTO from usp_path_parse(): answer USP 7008. */

struct usp_path; /* opaque, parsed path */

enum usp_path_kind {
    USP_PATH_OBJECT,  /* ends in '.' */
    USP_PATH_PARAM,
    USP_PATH_COMMAND, /* ends in "()" */
    USP_PATH_EVENT,   /* ends in '!' */
};

/* Where parsing stopped and why (for err_msg texts). */
struct usp_path_err {
    size_t offset;
    char msg[96];
};

#define USP_PATH_MAX_SEGS 64
#define USP_PATH_MAX_TERMS 16 /* expression components per [...] */

/* Parses text (borrowed; at most UB_PATH_MAX bytes).  *out returned owned
 * (usp_path_free).  err may be NULL.  Returns UB_OK, UB_EPROTO (syntax;
 * USP 7008), UB_ENOMEM, UB_EINVAL (NULL). */
int usp_path_parse(const char *text, struct usp_path **out,
                   struct usp_path_err *err) UB_WARN_UNUSED;
void usp_path_free(struct usp_path *p);
enum usp_path_kind usp_path_get_kind(const struct usp_path *p);
/* True if the path searches (wildcard, [expression] or #*): it may match
 * 0..n instances and "no match" is not an error for most messages. */
bool usp_path_is_search(const struct usp_path *p);
/* The text the path was parsed from (owned by p). */
const char *usp_path_text(const struct usp_path *p);

struct usp_resolve_opts {
    size_t max_results;   /* 0 = 100000; beyond: UB_ETOOBIG (7005) */
    unsigned max_ref_hops; /* nested reference following, 0 = 8 */
};

/* The result of a resolution. */
struct usp_resolved {
    /* Concrete paths in tree order, instance numbers only, no duplicates:
     * objects end in '.', parameters do not, commands end in "()", events
     * in '!'.  Command and event names are not checked against the tree
     * (a ub_tree holds objects and parameters only). */
    struct ub_strv paths;
    bool is_search; /* copy of usp_path_is_search() */
    /* Set when paths is empty because an addressed (non-search) element
     * does not exist; clear when a search matched nothing. */
    bool missing;
};

/* Resolves p over tree (both borrowed).  out is initialised by the call
 * (release with usp_resolved_free, also after a failure).  opts may be NULL.
 * An empty result is UB_OK: look at out->missing and
 * usp_resolve_nomatch_err().  Returns UB_OK, UB_ETOOBIG (too many results),
 * UB_ENOMEM, or an error returned by a tree callback (other than
 * UB_ENOTFOUND, which means "absent"). */
int usp_path_resolve(const struct usp_path *p, const struct ub_tree *tree,
                     const struct usp_resolve_opts *opts,
                     struct usp_resolved *out) UB_WARN_UNUSED;
void usp_resolved_free(struct usp_resolved *r);

/* The USP error a request of type 'req' reports for one of its paths that
 * resolved to nothing (r->paths.n == 0), or 0 when an empty success is the
 * right answer:
 *   search path, any message            -> 0 (R-MSG.4a: empty success)
 *   Get, GetInstances, Operate: exact   -> 7026 Invalid Path (R-GET.0)
 *   Set: exact object missing           -> 7016 Object does not exist
 *   Add: exact parent object missing    -> 7026 Invalid Path
 *   Delete: exact instance missing      -> 0 (R-DEL.2a: empty success)
 *   anything else                       -> 7026
 * Whether the path exists in the supported data model (7026 also for a
 * search path outside it) is the caller's knowledge, not the tree's. */
uint32_t usp_resolve_nomatch_err(enum usp_msg_type req,
                                 const struct usp_resolved *r);

/* ================================================================== */
/* 5. Endpoint IDs                                                     */
/* ================================================================== */

#define USP_EID_INSTANCE_MAX 50 /* R-ARC.6, after percent-encoding */

/* Builds "os::<OUI>-<SerialNumber>" (product_class NULL) or
 * "ops::<OUI>-<ProductClass>-<SerialNumber>".  Every byte of product_class
 * and serial outside A-Za-z0-9 - . _ is percent-encoded (%XX upper case,
 * R-ARC.5).  oui must be 6 hex digits and is upper-cased.  All strings
 * borrowed; *out returned owned (ub_free).  Returns UB_OK, UB_EINVAL (bad
 * OUI, empty serial or product class), UB_ETOOBIG (instance-id longer than
 * 50 characters after encoding), UB_ENOMEM. */
int usp_eid_build(const char *oui, const char *product_class,
                  const char *serial, char **out) UB_WARN_UNUSED;

/* Checks an endpoint ID "authority-scheme:[authority-id]:instance-id":
 * scheme one of oui cid pen self user os ops uuid imei proto doc; the
 * authority-id as the scheme demands (6 hex digits for oui/cid, digits for
 * pen, empty for os/ops/uuid/imei, 0-6 unreserved characters for
 * self/user/doc/proto, '.' excluded for proto); instance-id non-empty,
 * unreserved characters or %HH only, at most 50 characters.
 * Returns UB_OK, UB_EINVAL (malformed), UB_ETOOBIG (instance-id too long). */
int usp_eid_check(const char *eid) UB_WARN_UNUSED;

/* ---- Hosted Device.LocalAgent. ---- */
/* ================================================================== */
/* 5b. Hosted Device.LocalAgent. (the bridge's synthesized objects)    */
/* ================================================================== */

/* CWMP devices have no Device.LocalAgent.: the bridge hosts it, one tree per
 * bridged agent.  This part of the module owns its TR-181 (Device:2.15 USP)
 * schema as a static table, the rules of Set/Add/Delete on it, its
 * GetSupportedDM answer, the ControllerTrust permission decision (used for
 * the device tree too) and the queries the bridge needs (controllers,
 * subscriptions, requests).
 *
 * Storage is not ours: every read and write goes through a struct
 * usp_agent_store that the caller implements (bridge/: proxy-db space
 * PDB_AGENT of one device; tests: an array).  Rows are struct ub_param
 * with full paths, in the param-cache format:
 *   "Device.LocalAgent."                       object row (type OBJECT)
 *   "Device.LocalAgent.Controller."            table row (writable = Add ok)
 *   "Device.LocalAgent.Controller.2."          instance row
 *   "Device.LocalAgent.Controller.2.Enable"    parameter row (type, writable)
 *   "_Meta.Device.LocalAgent.Controller.NextInstance"
 *                                              bookkeeping (next instance
 *                                              number: never reused), kept
 *                                              outside "Device." so that no
 *                                              Get ever sees it.
 * Write side = one transaction: the functions below that change rows call
 * only put/del of the store they are given and never commit.  The bridge
 * opens one proxy-db batch per USP message, wraps it in a store, calls any
 * number of functions, then commits (or aborts on an error return or when
 * allow_partial=false and an object failed).  Per object, a function checks
 * everything before its first write, so an object that fails with a USP
 * error leaves no rows behind; an ub_err return (storage, memory) may leave
 * partial writes: abort the transaction.
 *
 * Error reporting: USP-level outcomes (7006, 7010-7026 ...) are data in a
 * struct usp_agent_result (functions return UB_OK); the int return is an
 * enum ub_err for the caller's own failures (UB_ENOMEM, storage errors,
 * UB_EINVAL for misuse such as a read-only store passed to a writer).
 *
 * Supported subset (GetSupportedDM tells controllers exactly): LocalAgent
 * (EndpointID, SoftwareVersion, UpTime, SupportedProtocols, counters,
 * Periodic! and TransferComplete! events), MTP.{i} with WebSocket/MQTT
 * (read-only: the bridge's MTPs come from its configuration), Controller.{i}
 * with MTP.{i} (WebSocket, MQTT), BootParameter.{i}, SendOnBoardRequest(),
 * Subscription.{i}, Request.{i} (read-only, Cancel()), ControllerTrust
 * (UntrustedRole, BannedRole, Role.{i}, Role.{i}.Permission.{i}).  Not
 * hosted: Certificate, Credential, Challenge, Threshold, E2ESession, STOMP,
 * CoAP.
 *
 * Caveats:
 *  - Functions take concrete paths (instance numbers, no search
 *    expressions): resolve USP path expressions first (usp_path_resolve
 *    over usp_agent_tree()).
 *  - Object references are written as TR-106 paths without the trailing
 *    dot ("Device.LocalAgent.Controller.1"); comparisons accept both.
 *  - Permission Targets: partial paths, parameter/command/event paths and
 *    '*' (or "{i}") in place of instance numbers.  Search expressions in
 *    Targets are not supported and match nothing (as in obuspa).
 *  - Not thread safe; one loop thread owns the store. */

#define USP_AGENT_ROOT "Device.LocalAgent."

/* Row callback of a store walk: row borrowed for the call.  Non-zero stops
 * the walk and is returned by iter. */
typedef int (*usp_agent_row_cb)(void *user, const struct ub_param *row);

struct usp_agent_store_ops {
    /* Reads the row 'path' into *out (owned copy: ub_param_clear).
     * UB_ENOTFOUND when absent, other ub_err on storage failure. */
    int (*get)(void *ctx, const char *path, struct ub_param *out);
    /* Calls cb for every row whose path starts with the object path
     * 'prefix' (the prefix row itself included), preferably in data-model
     * order (proxy-db order); results are presented in that order. */
    int (*iter)(void *ctx, const char *prefix, usp_agent_row_cb cb,
                void *user);
    /* Creates or replaces a row (row and its strings borrowed).  NULL in a
     * read-only store. */
    int (*put)(void *ctx, const struct ub_param *row);
    /* Deletes 'path' and, for an object path, every row below it; absent
     * rows are not an error.  NULL in a read-only store. */
    int (*del)(void *ctx, const char *path);
};

/* A store handle: ops and ctx borrowed, both must outlive every call that
 * uses the handle.  A store whose put/del are set is a write transaction
 * view and must see its own writes through get/iter. */
struct usp_agent_store {
    const struct usp_agent_store_ops *ops;
    void *ctx;
};

/* ---- Creating a bridged agent's rows ---- */

enum usp_agent_proto {
    USP_AGENT_PROTO_MQTT = 0,
    USP_AGENT_PROTO_WEBSOCKET,
};

/* One MTP the bridge offers this agent (-> Device.LocalAgent.MTP.{i}.).
 * Strings borrowed; NULL = "". */
struct usp_agent_mtp_conf {
    enum usp_agent_proto proto;
    bool enable;
    const char *alias;                /* NULL: "cpe-<n>" */
    const char *mqtt_reference;       /* Device.MQTT.Client.{i} or "" */
    const char *mqtt_response_topic;  /* ResponseTopicConfigured */
    unsigned mqtt_qos;                /* PublishQoS 0..2 */
    unsigned ws_port;                 /* 0 = TR-181 default 5683 */
    const char *ws_path;
    bool ws_encryption;
};

/* One controller known from the configuration (-> Controller.{i}.). */
struct usp_agent_ctrl_conf {
    const char *endpoint_id;          /* required */
    const char *alias;                /* NULL: "cpe-<n>" */
    bool enable;
    /* AssignedRole: a list of Role references; NULL = the default "Full
     * Access" role (Device.LocalAgent.ControllerTrust.Role.1). */
    const char *assigned_role;
    enum usp_agent_proto proto;       /* its one MTP */
    const char *mqtt_topic;           /* MQTT.Topic (where it listens) */
    const char *ws_host;
    unsigned ws_port;                 /* 0 = 443 */
    const char *ws_path;
    bool ws_encryption;
    unsigned periodic_notif_interval; /* 0 = 86400 */
};

struct usp_agent_init {
    const char *endpoint_id;         /* required, e.g. "os::00D09E-SN1" */
    const char *software_version;    /* NULL: PROJECT version "0.1.0" */
    /* SupportedProtocols is the list of MTP protocols (TR-181), not USP
     * versions; NULL derives it from mtps ("MQTT", "WebSocket"). */
    const char *supported_protocols;
    const struct usp_agent_mtp_conf *mtps;
    size_t n_mtps;
    const struct usp_agent_ctrl_conf *ctrls;
    size_t n_ctrls;
    /* Default ControllerTrust roles: Role.1 "Full Access" (Targets
     * "Device.", rwxn everywhere), Role.2 "Untrusted" (read-only on
     * Device.DeviceInfo. and Device.LocalAgent., nothing else) and
     * UntrustedRole = Role.2.  TR-181 defines no defaults; these follow
     * obuspa's ROLE_FULL_ACCESS / ROLE_UNTRUSTED. */
    bool no_default_roles;
};

/* Writes every row of a newly bridged agent: the static objects, empty
 * tables, MTPs, controllers (each with its MTP), default roles, counters.
 * st must be writable; init borrowed.  Returns UB_OK, UB_EEXIST (the
 * agent already has rows: nothing written), UB_EINVAL (missing endpoint
 * ID, bad MTP/controller settings), UB_ENOMEM, storage errors. */
int usp_agent_init_rows(const struct usp_agent_store *st,
                        const struct usp_agent_init *init) UB_WARN_UNUSED;

/* Brings an existing agent's bridge-owned rows in line with the
 * configuration (after a restart or an upgrade): SoftwareVersion and
 * SupportedProtocols; MTP.{i} matched by Protocol and updated in place,
 * added when configured anew, deleted when no longer configured; a
 * configured controller without Controller instance (by EndpointID) is
 * added.  Existing controllers, roles and subscriptions are left as
 * controllers changed them.  Only values that differ are written;
 * *changed (may be NULL) tells whether anything was.  Returns UB_OK,
 * UB_ENOTFOUND (no rows yet: call usp_agent_init_rows), UB_EINVAL,
 * UB_ENOMEM, storage errors. */
int usp_agent_refresh_rows(const struct usp_agent_store *st,
                           const struct usp_agent_init *init, bool *changed)
    UB_WARN_UNUSED;

/* ---- Reading: the hosted tree for the path engine ---- */

/* A read view over a store (struct ub_tree, base.h) for usp_path_resolve
 * and Get: rows as stored, except UpTime (computed from up_since_ms, a
 * ub_now_ms() reading taken when the bridge started) and the "_Meta."
 * bookkeeping (never shown).  'view' is caller memory that must outlive
 * 'out'; st is copied into it (the store's ctx must stay valid). */
struct usp_agent_view {
    struct usp_agent_store st;
    uint64_t up_since_ms;
};
void usp_agent_tree(struct usp_agent_view *view, struct ub_tree *out);

/* The whole tree a controller sees: 'device' (e.g. proxy-db's cached tree,
 * borrowed, may be NULL) with the hosted view grafted in at
 * "Device.LocalAgent." (the hosted rows win over any the device has there).
 * children("Device.") lists the device's children, then LocalAgent;
 * subtree() walks the device's part, then the hosted part.  'ov' is caller
 * memory that must outlive 'out', as must hosted and device. */
struct usp_agent_overlay {
    struct usp_agent_view *hosted;
    const struct ub_tree *device;
};
void usp_agent_tree_overlay(struct usp_agent_overlay *ov, struct ub_tree *out);

/* True if path (concrete, schema or search form) lies in the hosted
 * subtree "Device.LocalAgent." (including that object). */
bool usp_agent_path_is_hosted(const char *path);

/* ---- Permissions (ControllerTrust) ---- */

/* What a controller wants to do with a concrete path.  The permission
 * column follows the path's kind: parameter -> Param, object (not an
 * instance) -> Obj, instance ("...Table.3.") -> InstantiatedObj,
 * command "X()" / event "X!" -> CommandEvent. */
enum usp_agent_op {
    USP_AGENT_OP_READ,      /* Get (r); GetInstances on an instance (r) */
    USP_AGENT_OP_WRITE,     /* Set / Add param_settings on a param (w) */
    USP_AGENT_OP_ADD,       /* Add on a table object path (Obj w) */
    USP_AGENT_OP_DELETE,    /* Delete of an instance (InstantiatedObj w) */
    USP_AGENT_OP_OPERATE,   /* Operate a command (CommandEvent x) */
    USP_AGENT_OP_NOTIFY,    /* use in a Subscription ReferenceList (n) */
    USP_AGENT_OP_SUPPORTED, /* GetSupportedDM meta-information (r) */
};

/* The permission rows of one controller's roles, loaded once per message.
 * Opaque, owned by the caller (usp_agent_perms_free). */
struct usp_agent_perms;

/* Loads the roles of the controller 'endpoint_id' (borrowed): its
 * AssignedRole and InheritedRole; when both are empty or the controller is
 * unknown, ControllerTrust.UntrustedRole.  Disabled roles and permissions
 * are skipped.  A controller holding BannedRole gets nothing.  *out
 * returned owned.  Returns UB_OK, UB_ENOMEM, storage errors. */
int usp_agent_perms_load(const struct usp_agent_store *st,
                         const char *endpoint_id,
                         struct usp_agent_perms **out) UB_WARN_UNUSED;
void usp_agent_perms_free(struct usp_agent_perms *p);

/* Decides one operation on one concrete path (borrowed; hosted or device
 * tree alike): per role, the enabled Permission with the highest Order
 * whose Targets match the path decides; roles are united (any role allowing
 * allows).  No matching permission denies.  Returns 0 (allowed) or
 * USP_ERR_PERMISSION_DENIED (7006).  perms NULL allows everything. */
uint32_t usp_agent_perm_check(const struct usp_agent_perms *perms,
                              const char *path, enum usp_agent_op op);

/* ---- Changing hosted objects (Set / Add / Delete) ---- */

/* Who asks: the requesting controller.  All borrowed. */
struct usp_agent_caller {
    const char *endpoint_id; /* from_id of the request */
    /* Checked per parameter / object when non-NULL (7006 on refusal);
     * NULL = a trusted local caller (the bridge itself). */
    const struct usp_agent_perms *perms;
};

/* One failed parameter (all strings owned by the result). */
struct usp_agent_perr {
    char *param;     /* relative to the object, as requested */
    uint32_t err_code;
    char *err_msg;
};

/* Outcome of one object of a Set, Add or Delete, filled by the call
 * (initialise with usp_agent_result_init, release with
 * usp_agent_result_clear, also after a failure).  Everything is owned. */
struct usp_agent_result {
    uint32_t err_code;  /* 0 = success, else the object's USP error */
    char *err_msg;      /* NULL on success */
    char *path;         /* Add: instantiated path; Set/Delete: affected */
    /* Failed parameters: on success the non-required ones (param_err_list
     * of OperationSuccess); on 7021 the failed required ones. */
    struct usp_agent_perr *perrs;
    size_t n_perrs;
    /* Set: updated params; Add: created params (relative name -> value,
     * defaults included). */
    struct ub_param_list params;
    /* Add: the instance's unique keys (relative name -> value) the caller
     * may read (R-ADD.6). */
    struct ub_param_list keys;
    /* Delete: every instance path deleted (the instance, and references
     * deleted with it: a deleted Controller takes its Subscriptions). */
    struct ub_strv deleted;
};
void usp_agent_result_init(struct usp_agent_result *r);
void usp_agent_result_clear(struct usp_agent_result *r);

/* Set on one concrete object or instance path (ends in '.').  Params are
 * relative names (a single-instance sub-object's parameter may be given as
 * "MQTT.Topic").  Checks, per parameter: exists (7010), writable (7013),
 * permission (7006), type (7011), value: enumeration, range, length, Alias
 * and permission-string syntax, references to existing roles,
 * ReferenceList immutability (7012); then unique keys across the table
 * (7025, object fails).  A failed required param fails the object (7021,
 * nothing written); failed non-required params are reported and skipped.
 * Unknown object: 7016.  Changing a Controller MTP's Protocol replaces its
 * protocol sub-object.  st writable; everything else borrowed. */
int usp_agent_set(const struct usp_agent_store *st,
                  const struct usp_agent_caller *who, const char *obj_path,
                  const struct usp_param_setting *ps, size_t n,
                  struct usp_agent_result *res) UB_WARN_UNUSED;

/* Add one instance to the concrete table path 'table_path' (ends in '.').
 * Takes the next instance number (never reused, persisted per table),
 * applies defaults, then the settings (checked as in usp_agent_set);
 * assigns unique keys not given (Alias "cpe-<n>", Subscription ID,
 * free Order / names) and sets agent-owned values (Subscription Recipient
 * = the caller's Controller instance, CreationDate = now).  Errors: not in
 * the schema or parent missing 7026, not a table 7018, not creatable by
 * controllers (MTP, Request) 7019, no permission 7006, a required param
 * failed 7021, duplicate unique key 7025, Subscription from a controller
 * without Controller instance 7017. */
int usp_agent_add(const struct usp_agent_store *st,
                  const struct usp_agent_caller *who, const char *table_path,
                  const struct usp_param_setting *ps, size_t n,
                  struct usp_agent_result *res) UB_WARN_UNUSED;

/* Delete one concrete instance path ("...Subscription.3.").  An absent
 * instance is success with nothing deleted (R-DEL.2a).  Errors: not an
 * instance of a hosted table 7026 / 7018, not deletable 7024, no
 * permission 7006.  Strong references are honoured: deleting a Controller
 * deletes its Subscriptions; deleting a Role removes it from role lists. */
int usp_agent_delete(const struct usp_agent_store *st,
                     const struct usp_agent_caller *who,
                     const char *inst_path,
                     struct usp_agent_result *res) UB_WARN_UNUSED;

/* Response helpers (all memory from m, r borrowed):
 * usp_agent_add_result_fill: one AddResp CreatedObjectResult; success
 *   (r->err_code 0) gives instantiated_path, param_errs (non-required
 *   failures) and unique_keys, failure gives err_code / err_msg (put
 *   r->perrs in the Error message when allow_partial is false).
 * usp_agent_set_inst_fill: one UpdatedInstanceResult (success:
 *   affected_path, param_errs, updated_params) or UpdatedInstanceFailure
 *   (failure: affected_path, param_errs) of a SetResp.
 * Return UB_OK, UB_ENOMEM, UB_EINVAL. */
int usp_agent_add_result_fill(struct usp_msg *m,
                              const struct usp_agent_result *r,
                              const char *requested_path,
                              struct usp_add_result *out) UB_WARN_UNUSED;
int usp_agent_set_inst_fill(struct usp_msg *m,
                            const struct usp_agent_result *r,
                            struct usp_updated_inst *out) UB_WARN_UNUSED;

/* ---- GetSupportedDM ---- */

/* Appends the hosted objects a GetSupportedDM for obj_path asks for to
 * out->objs, allocating from m (usp_msg_new/decode memory, owned by m).
 * obj_path may use {i} or instance numbers and may be an ancestor
 * ("Device.": only the hosted objects below it are added, e.g.
 * Device.LocalAgent. alone when first_level_only).  flags: borrowed
 * request (first_level_only, return_*).  perms may be NULL; objects,
 * params, commands and events the controller may not read are left out.
 * Existing out->objs are kept (the bridge may put device objects first):
 * the array is replaced by a larger copy allocated from m (the old array
 * is not freed; what its entries point to must outlive m's use).
 * Returns UB_OK (nothing added when obj_path is outside the hosted model
 * or not an object path), UB_ENOTFOUND (obj_path is inside
 * Device.LocalAgent. but names no supported object: answer 7026),
 * UB_ENOMEM, UB_EINVAL. */
int usp_agent_gsdm(struct usp_msg *m, const char *obj_path,
                   const struct usp_get_supported_dm *flags,
                   const struct usp_agent_perms *perms,
                   struct usp_sdm_result *out) UB_WARN_UNUSED;

/* ---- Queries for the bridge ---- */

/* A controller row, everything owned (usp_agent_controller_clear). */
struct usp_agent_controller {
    unsigned inst;
    char *path;        /* "Device.LocalAgent.Controller.2" (no dot) */
    char *endpoint_id;
    bool enable;
    uint32_t periodic_notif_interval;
    char *periodic_notif_time;
    /* The first enabled MTP with Protocol MQTT / WebSocket, "" if none. */
    char *mqtt_topic;
    char *ws_host;
    uint32_t ws_port;
    char *ws_path;
    bool ws_encryption;
};
void usp_agent_controller_clear(struct usp_agent_controller *c);

/* Finds the Controller instance whose EndpointID is endpoint_id.  *out is
 * filled (owned) on success.  UB_ENOTFOUND if none. */
int usp_agent_controller_find(const struct usp_agent_store *st,
                              const char *endpoint_id,
                              struct usp_agent_controller *out)
    UB_WARN_UNUSED;

enum usp_agent_notif {
    USP_AGENT_NOTIF_NONE = 0, /* NotifType empty or unknown */
    USP_AGENT_NOTIF_VALUE_CHANGE,
    USP_AGENT_NOTIF_OBJ_CREATION,
    USP_AGENT_NOTIF_OBJ_DELETION,
    USP_AGENT_NOTIF_OPER_COMPLETE,
    USP_AGENT_NOTIF_EVENT,
};

/* A subscription as handed to a callback: borrowed for the call. */
struct usp_agent_sub {
    unsigned inst;
    const char *path;          /* "Device.LocalAgent.Subscription.3." */
    bool enable;
    const char *id;
    const char *recipient;     /* Controller reference */
    const char *recipient_eid; /* its EndpointID, "" if dangling */
    bool recipient_enabled;
    enum usp_agent_notif notif_type;
    const char *reference_list;
    bool persistent;
    bool notif_retry;
    uint32_t time_to_live;     /* seconds, 0 = forever */
    uint32_t notif_expiration; /* seconds */
    int64_t creation_date;     /* wall seconds, 0 unknown */
};
typedef int (*usp_agent_sub_cb)(void *user, const struct usp_agent_sub *s);

/* Calls cb for each subscription (only those with Enable=true and an
 * enabled recipient when enabled_only).  Non-zero from cb stops and is
 * returned. */
int usp_agent_subs_list(const struct usp_agent_store *st, bool enabled_only,
                        usp_agent_sub_cb cb, void *user) UB_WARN_UNUSED;

/* Deletes the subscriptions whose TimeToLive has run out at 'now' (wall
 * seconds) and, when restarted is true, the non-Persistent ones (call once
 * after the bridge starts).  *n_deleted may be NULL.  st writable. */
int usp_agent_subs_expire(const struct usp_agent_store *st, int64_t now,
                          bool restarted, size_t *n_deleted) UB_WARN_UNUSED;

/* Request.{i}. bookkeeping for async Operate (strings borrowed).
 * usp_agent_request_add returns the new instance path in *path (owned,
 * ub_free, with trailing dot); Status starts "Requested".  status must be
 * one of Requested Active Canceling Canceled Success Error (UB_EINVAL). */
int usp_agent_request_add(const struct usp_agent_store *st,
                          const char *originator, const char *command,
                          const char *command_key, char **path)
    UB_WARN_UNUSED;
int usp_agent_request_set_status(const struct usp_agent_store *st,
                                 const char *path, const char *status)
    UB_WARN_UNUSED;
int usp_agent_request_del(const struct usp_agent_store *st,
                          const char *path) UB_WARN_UNUSED;

/* The enabled BootParameter.{i}.ParameterName values of a controller
 * (ctrl_path with or without trailing dot), appended to out (owned by the
 * caller's strv). */
int usp_agent_boot_params(const struct usp_agent_store *st,
                          const char *ctrl_path, struct ub_strv *out)
    UB_WARN_UNUSED;

/* ---- end of Hosted Device.LocalAgent. ---- */

/* ================================================================== */
/* 6. MTPs                                                             */
/* ================================================================== */
/* ---- MTPs ---- */
/*
 * Message Transfer Protocols: move opaque USP Record bytes over MQTT
 * (libmosquitto) and WebSocket (libwebsockets), all on the caller's libuv
 * loop.  This layer never looks inside a record: the codec is someone
 * else's job.  See usp/README.md "MTP" for the design and the caveats.
 *
 * Lifetime: usp_mtp_create() -> add brokers / agents / listeners / clients
 * -> usp_mtp_send() ... -> usp_mtp_destroy().  usp_mtp_destroy() starts an
 * orderly shutdown and returns at once: for up to 1 s the loop keeps
 * writing records already queued on sessions that are up (and waits for
 * their MQTT QoS 1 PUBACKs), then MQTT DISCONNECT and WebSocket close; the
 * memory is released from the loop.  Do not use the handle after the call
 * returns (within that same loop turn usp_mtp_send() answers UB_ESTATE).
 * Keep running the loop until uv_run() returns (it does once nothing else
 * is active) before uv_loop_close().  No callback is called after
 * usp_mtp_destroy().
 *
 * All functions must be called on the loop thread.  Identifiers (broker
 * ids, connection ids) are never reused within one struct usp_mtp.
 */
struct usp_mtp;
/* The libuv loop type (a pointer to it is all that crosses this API; the
 * same typedef as <uv.h>, which C11 allows to repeat). */
typedef struct uv_loop_s uv_loop_t;

enum usp_mtp_kind {
    USP_MTP_MQTT = 1,
    USP_MTP_WS = 2,
};

/* MQTT 5 Content Type values (R-MQTT.27, R-MQTT.28). */
#define USP_MTP_CT_MSG "application/vnd.bbf.usp.msg"
#define USP_MTP_CT_ERROR "application/vnd.bbf.usp.error"

/* One received record.  Everything is borrowed for the duration of the
 * on_record call only: copy what you keep. */
struct usp_mtp_rx {
    enum usp_mtp_kind kind;
    const uint8_t *data; /* the USP Record bytes */
    size_t len;
    const char *agent_eid; /* the local (bridged) agent this arrived for */

    /* MQTT */
    uint32_t broker_id;
    const char *topic;        /* the PUBLISH topic as received */
    const char *reply_topic;  /* MQTT 5 Response Topic, else the 3.1.1
                                 "/reply-to=" suffix with %2F decoded
                                 (R-MQTT.25/26); NULL if none */
    const char *content_type; /* MQTT 5 Content Type, NULL if none */
    const char *usp_err_id;   /* MQTT 5 "usp-err-id" user property or NULL */

    /* WebSocket */
    uint64_t conn_id;     /* answer with dest.conn_id = this */
    const char *peer_eid; /* the peer's endpoint id (eid= query or the
                             bbf-usp-protocol extension), NULL if unknown */
};

/* Callbacks, all optional except on_record.  Called on the loop thread,
 * never after usp_mtp_destroy().  They may call any usp_mtp_* function,
 * usp_mtp_destroy() included. */
struct usp_mtp_callbacks {
    void (*on_record)(void *user, const struct usp_mtp_rx *rx);
    /* A broker session came up (after CONNACK, subscriptions sent) or went
     * down.  response_info: MQTT 5 CONNACK Response Information (borrowed,
     * NULL if none).  The bridge sends its MQTTConnect records here. */
    void (*on_mqtt_state)(void *user, uint32_t broker_id, bool up,
                          const char *response_info);
    /* A WebSocket session was established or closed.  Strings borrowed
     * for the call; peer_eid may be NULL. */
    void (*on_ws_state)(void *user, uint64_t conn_id, const char *agent_eid,
                        const char *peer_eid, bool up);
    void *user;
};

/* Bounds.  Zero fields take the default shown. */
struct usp_mtp_limits {
    size_t max_record;        /* largest record sent or received: 1 MiB */
    size_t queue_max_count;   /* per broker / per WS connection: 256 */
    size_t queue_max_bytes;   /* per broker / per WS connection: 4 MiB */
    uint32_t queue_max_age_ms; /* a record waiting for a session: 120000 */
};

/* Creates the MTP layer on 'loop' (borrowed; must outlive the object).
 * cb is copied; lim may be NULL (defaults).  *out returned owned: free
 * with usp_mtp_destroy(). */
int usp_mtp_create(uv_loop_t *loop, const struct usp_mtp_callbacks *cb,
                   const struct usp_mtp_limits *lim, struct usp_mtp **out)
    UB_WARN_UNUSED;
/* See the lifetime note above.  NULL is a no-op. */
void usp_mtp_destroy(struct usp_mtp *m);

/* Counters (monotonic, for tests and the operator). */
struct usp_mtp_stats {
    uint64_t rx_records;
    uint64_t tx_records;      /* handed to the library */
    uint64_t rx_dropped;      /* oversized, unknown agent, bad topic, text */
    uint64_t tx_refused;      /* usp_mtp_send() returned UB_EFULL/ETOOBIG */
    uint64_t tx_expired;      /* queued longer than queue_max_age_ms */
    uint64_t mqtt_connects;   /* successful CONNACKs */
    uint64_t ws_sessions;     /* established WebSocket sessions */
    uint64_t ws_refused;      /* handshakes for unknown agents */
};
void usp_mtp_stats_get(const struct usp_mtp *m, struct usp_mtp_stats *out);

/* MQTT QoS of PUBLISH (and, for a broker, SUBSCRIBE).  R-MQTT.20: 0 and 1
 * (a PublishQoS of 2 is sent as 1).  The zero value means "default". */
enum usp_mtp_qos {
    USP_MTP_QOS_DEFAULT = 0, /* dest: the broker's; broker config: QoS 1 */
    USP_MTP_QOS_0,
    USP_MTP_QOS_1,
};

/* Where to send a record. */
struct usp_mtp_dest {
    enum usp_mtp_kind kind;
    const char *agent_eid; /* the sending local agent (MQTT: picks the
                              reply-to topic, R-MQTT.22; WS: informative) */
    /* MQTT */
    uint32_t broker_id;
    const char *topic;        /* the controller's topic (exact, no wildcard) */
    const char *content_type; /* MQTT 5; NULL = USP_MTP_CT_MSG */
    const char *usp_err_id;   /* MQTT 5 "usp-err-id" user property; NULL =
                                 none (R-MQTT.29 wants "<to_id>/<msg_id>") */
    enum usp_mtp_qos qos;     /* e.g. the controller's PublishQoS */
    /* WebSocket */
    uint64_t conn_id; /* from usp_mtp_rx.conn_id, on_ws_state, or
                         usp_mtp_ws_connect() */
};

/* Queues one record.  bytes borrowed (copied).  Records are queued while a
 * session is down and flushed when it is up again (older than
 * queue_max_age_ms: dropped and counted).  Overflow policy: REFUSE, the
 * queue is never trimmed behind the caller's back:
 *   UB_EFULL     queue_max_count / queue_max_bytes reached (counted, logged
 *                at most once a second);
 *   UB_ETOOBIG   len > max_record;
 *   UB_ENOTFOUND no such broker / agent / connection (a closed server-side
 *                connection is gone for good: the controller reconnects);
 *   UB_EINVAL    bad arguments;  UB_ESTATE after usp_mtp_destroy() (same
 *                loop turn only, see the lifetime note). */
int usp_mtp_send(struct usp_mtp *m, const struct usp_mtp_dest *dest,
                 const uint8_t *bytes, size_t len) UB_WARN_UNUSED;

/* ---- MQTT ---- */

/* Strings borrowed (copied).  Zero / NULL fields take the default shown. */
struct usp_mtp_mqtt_config {
    const char *host; /* required; resolved on the connect worker */
    uint16_t port;    /* 1883, 8883 with TLS */
    enum usp_mqtt_version version; /* section 2's enum: USP_MQTT_V5 or
                                      USP_MQTT_V3_1_1 (the zero value!) */
    const char *client_id; /* NULL/"": connect_eid for 3.1.1 (R-MQTT.8),
                              else a random "ub-<hex>"; kept across
                              reconnects (R-MQTT.11) */
    const char *connect_eid; /* MQTT 5 CONNECT user property
                                "usp-endpoint-id" (R-MQTT.13); NULL = none */
    const char *username, *password;
    uint16_t keepalive_s; /* 60 */
    enum usp_mtp_qos qos; /* subscribe and default publish QoS: 1 */
    const char *topic_template; /* "usp/agents/{eid}"; {eid} replaced */
    bool tls;
    const char *ca_file, *ca_path, *cert_file, *key_file;
    bool tls_insecure;         /* skip host name verification (tests) */
    uint32_t retry_min_ms;     /* 5000 (R-MQTT.10: ConnectRetryTime) */
    uint32_t retry_max_ms;     /* 300000; doubling with 0-25% jitter */
};

/* Adds a broker and starts connecting.  *broker_id out. */
int usp_mtp_mqtt_add_broker(struct usp_mtp *m,
                            const struct usp_mtp_mqtt_config *cfg,
                            uint32_t *broker_id) UB_WARN_UNUSED;
/* Sends DISCONNECT and forgets the broker (queued records dropped). */
int usp_mtp_mqtt_remove_broker(struct usp_mtp *m, uint32_t broker_id)
    UB_WARN_UNUSED;
/* Serves agent_eid on this broker: its topic is 'topic' or, if NULL, the
 * template.  Subscribes the one filter "<topic>/#", which matches both
 * "<topic>" (MQTT 5 style, Response Topic property) and the 3.1.1 form
 * "<topic>/reply-to=..." (R-MQTT.24).  UB_EEXIST if already served,
 * UB_EINVAL for a topic with '+' or '#'.  Strings copied. */
int usp_mtp_mqtt_add_agent(struct usp_mtp *m, uint32_t broker_id,
                           const char *agent_eid, const char *topic)
    UB_WARN_UNUSED;
/* UNSUBSCRIBEs (R-MQTT.34) and forgets the agent. */
int usp_mtp_mqtt_remove_agent(struct usp_mtp *m, uint32_t broker_id,
                              const char *agent_eid) UB_WARN_UNUSED;
/* The agent's own ("reply to") topic, borrowed until the agent is removed. */
int usp_mtp_mqtt_agent_topic(struct usp_mtp *m, uint32_t broker_id,
                             const char *agent_eid, const char **topic)
    UB_WARN_UNUSED;
/* Whether the broker session is up (CONNACK received). */
bool usp_mtp_mqtt_is_up(const struct usp_mtp *m, uint32_t broker_id);

/* ---- WebSocket ---- */

/* Agent as WebSocket server.  Strings copied. */
struct usp_mtp_ws_server_config {
    const char *bind_addr;   /* "127.0.0.1"; NULL = all interfaces */
    uint16_t port;           /* 0 = any free port (see *bound_port) */
    const char *path_prefix; /* "/usp/": the agent id follows it */
    const char *cert_file, *key_file; /* both set = TLS */
    const char *ca_file;     /* set = require client certificates */
    uint32_t ping_interval_s; /* 30: PING when idle this long (R-WS.17) */
    uint32_t idle_timeout_s;  /* 90: close when nothing heard this long */
    uint32_t max_conns;       /* 1000 */
};

/* Starts the one WebSocket listener.  A controller connects to
 * <path_prefix><agent-eid>[?eid=<controller-eid>] with subprotocol v1.usp
 * (path and query are percent-decoded: a '%' in an id travels as %25);
 * an agent not added with usp_mtp_ws_add_agent() gets its session closed
 * with status 1008 (policy violation).  *bound_port out (may be NULL). */
int usp_mtp_ws_listen(struct usp_mtp *m,
                      const struct usp_mtp_ws_server_config *cfg,
                      uint16_t *bound_port) UB_WARN_UNUSED;
/* Serve / stop serving agent_eid on the listener.  Removing closes its
 * sessions (status 1001). */
int usp_mtp_ws_add_agent(struct usp_mtp *m, const char *agent_eid)
    UB_WARN_UNUSED;
int usp_mtp_ws_remove_agent(struct usp_mtp *m, const char *agent_eid)
    UB_WARN_UNUSED;

/* Agent as WebSocket client: one session per bridged agent and controller
 * (R-WS.4).  Strings copied. */
struct usp_mtp_ws_client_config {
    const char *url;       /* ws://host:port/path or wss://... required */
    const char *agent_eid; /* required: sent as "?eid=" (R-WS.10b) */
    const char *controller_eid; /* expected peer; NULL = any */
    const char *ca_file, *cert_file, *key_file;
    bool tls_insecure;        /* accept any server certificate (tests) */
    uint32_t ping_interval_s; /* 30 */
    uint32_t idle_timeout_s;  /* 90 */
    uint32_t retry_min_ms;    /* 5000 (R-WS.19 m) */
    uint32_t retry_mult_permille; /* 2000 (R-WS.19 k) */
    uint32_t retry_max_ms;    /* 5120000 */
};

/* Starts connecting (and reconnecting after any loss, with the R-WS.19
 * backoff).  *conn_id out: stable across reconnects, use it in
 * usp_mtp_dest.  Records sent while down are queued (bounded). */
int usp_mtp_ws_connect(struct usp_mtp *m,
                       const struct usp_mtp_ws_client_config *cfg,
                       uint64_t *conn_id) UB_WARN_UNUSED;
/* Closes a session (client: stops reconnecting and forgets it; server
 * side: closes with 1000).  UB_ENOTFOUND if unknown. */
int usp_mtp_ws_close(struct usp_mtp *m, uint64_t conn_id) UB_WARN_UNUSED;
/* ---- end of MTPs ---- */

#ifdef __cplusplus
}
#endif
#endif /* UB_USP_H */
