/*
 * uspbridge cwmp: the ACS side.  CWMP (TR-069 Amendment 6) SOAP codec, the
 * HTTP(S) endpoint CPEs talk to, the session state machine, CPE
 * authentication and Connection Requests.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Two layers share this header:
 *
 *  1. The codec (cwmp_codec_*, struct cwmp_msg): one SOAP envelope <-> one
 *     neutral struct cwmp_msg.  Pure buffers, no I/O.  Used by the server
 *     below and by tools/cwmp-sim (which plays the CPE side), so there is one
 *     parser for these bytes in the whole project.
 *
 *  2. The server (cwmp_server_*): libmicrohttpd on the caller's libuv loop,
 *     sessions, a bounded per-device RPC queue that sessions drain, and
 *     Connection Requests through libcurl multi on the same loop.
 *
 * Ownership: a struct cwmp_msg owns every string and array it points to;
 * cwmp_msg_free() frees all of it.  Functions say "taken" when they take a
 * message (and free it even on failure).
 *
 * Caveats:
 *  - the codec holds a gSOAP context (~160 KB): create a few, reuse them;
 *    a codec is not re-entrant (one decode or encode at a time).
 *  - all server calls and callbacks run on the loop thread.
 */
#ifndef UB_CWMP_H
#define UB_CWMP_H

#include <ub/base.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* cwmp-1-0 .. cwmp-1-4; the answer uses the version the CPE used. */
enum cwmp_version {
    CWMP_V1_0 = 0,
    CWMP_V1_1,
    CWMP_V1_2,
    CWMP_V1_3,
    CWMP_V1_4,
};

enum cwmp_method {
    CWMP_M_NONE = 0,
    /* CPE methods: the ACS calls them on the CPE. */
    CWMP_M_GET_RPC_METHODS, /* also an ACS method: direction tells */
    CWMP_M_SET_PARAMETER_VALUES,
    CWMP_M_GET_PARAMETER_VALUES,
    CWMP_M_GET_PARAMETER_NAMES,
    CWMP_M_SET_PARAMETER_ATTRIBUTES,
    CWMP_M_GET_PARAMETER_ATTRIBUTES,
    CWMP_M_ADD_OBJECT,
    CWMP_M_DELETE_OBJECT,
    CWMP_M_REBOOT,
    CWMP_M_DOWNLOAD,
    CWMP_M_UPLOAD,
    CWMP_M_FACTORY_RESET,
    CWMP_M_SCHEDULE_INFORM,
    CWMP_M_SCHEDULE_DOWNLOAD,
    CWMP_M_CANCEL_TRANSFER,
    CWMP_M_CHANGE_DU_STATE,
    /* ACS methods: the CPE calls them on the ACS. */
    CWMP_M_INFORM,
    CWMP_M_TRANSFER_COMPLETE,
    CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE,
    CWMP_M_DU_STATE_CHANGE_COMPLETE,
    CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE,
    CWMP_M_REQUEST_DOWNLOAD,
    CWMP_M_KICKED,
    CWMP_M_MAX_
};

/* "GetParameterValues" etc.; "" for CWMP_M_NONE. */
const char *cwmp_method_name(enum cwmp_method m);
/* Name -> method (no "Response" suffix).  CWMP_M_NONE if unknown. */
enum cwmp_method cwmp_method_from_name(const char *name);

enum cwmp_kind {
    CWMP_REQUEST = 0,
    CWMP_RESPONSE,
    CWMP_FAULT,
};

/* Fault codes of TR-069 Table 38 (ACS 8000-8005) and Table 18 (CPE
 * 9000-9032) are plain ints here; mapping/ translates them to USP. */
struct cwmp_spv_fault {
    char *name;
    unsigned code;
    char *string;
};

struct cwmp_fault {
    unsigned code;    /* 0 = no fault */
    char *string;     /* FaultString, may be NULL */
    bool server;      /* SOAP faultcode Server (true) or Client (false) */
    struct cwmp_spv_fault *spv; /* SetParameterValuesFault entries */
    size_t n_spv;
};

struct cwmp_event {
    char *code;        /* "0 BOOTSTRAP", "M Reboot", ... */
    char *command_key; /* may be "" */
};

struct cwmp_device_id {
    char *manufacturer;
    char *oui;
    char *product_class;
    char *serial_number;
};

struct cwmp_inform {
    struct cwmp_device_id device_id;
    struct cwmp_event *events;
    size_t n_events;
    unsigned max_envelopes;
    char *current_time; /* dateTime text as sent */
    unsigned retry_count;
    struct ub_param_list params; /* ParameterList, with types */
};

/* GetParameterAttributes result / SetParameterAttributes request entry. */
struct cwmp_attr {
    char *name;
    bool notification_change; /* SPA only */
    uint8_t notification;      /* 0 off, 1 passive, 2 active (3..6 TR-069a6) */
    bool access_list_change;   /* SPA only */
    struct ub_strv access_list;
};

struct cwmp_time_window {
    unsigned window_start, window_end;
    char *window_mode;
    char *user_message;
    int max_retries;
};

/* ChangeDUState operation (Install / Update / Uninstall). */
enum cwmp_du_op { CWMP_DU_INSTALL = 1, CWMP_DU_UPDATE, CWMP_DU_UNINSTALL };
struct cwmp_du_operation {
    enum cwmp_du_op op;
    char *url, *uuid, *username, *password, *execution_env_ref, *version;
};

struct cwmp_du_result {
    char *uuid, *deployment_unit_ref, *version, *current_state;
    bool resolved;
    char *execution_unit_ref_list;
    char *start_time, *complete_time;
    struct cwmp_fault fault;
    char *operation_performed; /* Autonomous only */
};

struct cwmp_arg {
    char *name, *value;
};

/* Download / Upload / ScheduleDownload / *TransferComplete fields share one
 * struct; unused fields stay NULL/0. */
struct cwmp_transfer {
    char *command_key;
    char *file_type;
    char *url;
    char *username;
    char *password;
    unsigned long file_size;
    char *target_file_name;
    unsigned delay_seconds;
    char *success_url, *failure_url;
    struct cwmp_time_window *windows; /* ScheduleDownload: 1..2 */
    size_t n_windows;
    /* TransferComplete / AutonomousTransferComplete */
    char *announce_url, *transfer_url;
    bool is_download;
    struct cwmp_fault fault;
    char *start_time, *complete_time;
    /* DownloadResponse / UploadResponse */
    int status;
};

/* The body of one envelope.  Which member is valid follows from
 * (method, kind); a CWMP_FAULT carries only 'fault'.
 *
 *   method                 REQUEST uses            RESPONSE uses
 *   GetRPCMethods          -                       strv (method list)
 *   SetParameterValues     params, parameter_key   status
 *   GetParameterValues     strv (names)            params
 *   GetParameterNames      path, next_level        params (path + writable,
 *                                                  value NULL)
 *   SetParameterAttributes attrs                   -
 *   GetParameterAttributes strv (names)            attrs
 *   AddObject              path, parameter_key     instance_number, status
 *   DeleteObject           path, parameter_key     status
 *   Reboot                 command_key             -
 *   Download/Upload        transfer                transfer (status, times)
 *   FactoryReset           -                       -
 *   ScheduleInform         delay_seconds,          -
 *                          command_key
 *   ScheduleDownload       transfer                -
 *   CancelTransfer         command_key             -
 *   ChangeDUState          du_ops, command_key     -
 *   Inform                 inform                  max_envelopes
 *   TransferComplete,      transfer                -
 *   AutonomousTransferComplete
 *   DUStateChangeComplete, du_results,             -
 *   Autonomous...          command_key
 *   RequestDownload        transfer.file_type,     -
 *                          args (FileTypeArg)
 *   Kicked                 args: command, referer, next_url
 *                          arg, next
 */
struct cwmp_msg {
    enum cwmp_method method;
    enum cwmp_kind kind;
    enum cwmp_version version;
    char *id;            /* cwmp:ID header, NULL if absent */
    bool hold_requests;  /* cwmp:HoldRequests header (ACS -> CPE) */

    struct cwmp_fault fault;

    struct ub_param_list params;
    struct ub_strv strv;
    struct cwmp_attr *attrs;
    size_t n_attrs;
    char *path;
    bool next_level;
    char *parameter_key;
    char *command_key;
    int status;
    unsigned instance_number;
    unsigned delay_seconds;
    unsigned max_envelopes;
    struct cwmp_inform inform;
    struct cwmp_transfer transfer;
    struct cwmp_du_operation *du_ops;
    size_t n_du_ops;
    struct cwmp_du_result *du_results;
    size_t n_du_results;
    struct cwmp_arg *args;
    size_t n_args;
    char *next_url;
};

/* Returns a zeroed message (owned) or NULL. */
struct cwmp_msg *cwmp_msg_new(enum cwmp_method m, enum cwmp_kind k);
void cwmp_msg_free(struct cwmp_msg *m);

/* ------------------------------------------------------------------ */
/* Codec                                                               */
/* ------------------------------------------------------------------ */

/* A zero field means its default. */
struct cwmp_codec_limits {
    size_t max_envelope;   /* bytes; default 1 MiB */
    unsigned max_depth;    /* XML nesting; default 32 */
    size_t max_elements;   /* array items; default 100,000 */
    size_t max_string;     /* one string (or attribute); default 64 KiB */
};

struct cwmp_codec;

/* lim may be NULL for defaults. */
int cwmp_codec_create(const struct cwmp_codec_limits *lim,
                      struct cwmp_codec **out) UB_WARN_UNUSED;
void cwmp_codec_destroy(struct cwmp_codec *c);

/* Decodes one SOAP envelope (buf borrowed; need not be NUL-terminated).
 * On success *out is owned by the caller.  On failure returns UB_EPROTO
 * (empty body, not a SOAP 1.1 envelope, malformed XML/SOAP, DTD), UB_ETOOBIG
 * (a limit crossed) or UB_ENOMEM, leaves *out untouched, and writes a short
 * printable reason into err (may be NULL).  An envelope with an unknown
 * method decodes as UB_ENOTSUP with *out set (method CWMP_M_NONE, id and
 * version filled) so the caller can answer with fault 8000 / 9000 using the
 * right cwmp:ID. */
int cwmp_decode(struct cwmp_codec *c, const char *buf, size_t len,
                struct cwmp_msg **out, char *err, size_t errsz)
    UB_WARN_UNUSED;

/* Encodes m (borrowed) as one SOAP envelope appended to out, in the cwmp
 * namespace of m->version.  UB_EINVAL if (method, kind) cannot be encoded;
 * UB_ETOOBIG / UB_ENOMEM when out cannot grow, in which case ub_buf has
 * freed out (see struct ub_buf). */
int cwmp_encode(struct cwmp_codec *c, const struct cwmp_msg *m,
                struct ub_buf *out) UB_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* Server (the ACS endpoint)                                           */
/* ------------------------------------------------------------------ */

enum cwmp_auth_mode {
    CWMP_AUTH_NONE = 0,
    CWMP_AUTH_BASIC,
    CWMP_AUTH_DIGEST,     /* challenge with Digest only */
    CWMP_AUTH_ANY,        /* accept Basic sent up front, else Digest */
};

enum cwmp_digest_algo {
    CWMP_DIGEST_MD5 = 0,
    CWMP_DIGEST_SHA256,
};

struct cwmp_server_config {
    const char *bind_addr;     /* default "0.0.0.0" */
    uint16_t port;             /* default 7547; 0 = pick a free port */
    const char *path;          /* URL path served, default "/" (any path if
                                  NULL) */
    /* TLS: when cert_file and key_file are set the endpoint is HTTPS. */
    const char *tls_cert_file, *tls_key_file;
    const char *tls_client_ca_file; /* when set, a client certificate
                                       signed by it is required */
    /* CPE authentication. */
    enum cwmp_auth_mode auth;
    enum cwmp_digest_algo digest_algo;
    const char *realm;              /* default "uspbridge" */
    const char *username, *password; /* shared credentials (may be NULL
                                        when get_credentials is used) */
    size_t max_body;           /* bytes; default 1 MiB -> 413 above */
    unsigned session_timeout_s;/* whole session; default 300 */
    unsigned idle_timeout_s;   /* between requests; default 30 */
    unsigned max_sessions;     /* concurrent; default 10,000 -> 503 above */
    unsigned max_queue;        /* queued RPCs per device; default 64 */
    unsigned max_conn_per_ip;  /* concurrent TCP connections from one
                                  address; default 0 = no limit (CPEs
                                  behind carrier NAT share addresses) */
    /* Connection Requests */
    unsigned cr_timeout_s;     /* per attempt; default 10 */
    unsigned cr_retries;       /* extra attempts; default 2 */
    unsigned cr_min_interval_s;/* per device rate limit; default 5 */
    unsigned cr_max_inflight;  /* default 256 */
    unsigned cr_backoff_ms;    /* delay before the first retry, doubled
                                  for each further one; default 1000 */
    struct cwmp_codec_limits limits;
};

/* Fills cfg with the defaults above. */
void cwmp_server_config_init(struct cwmp_server_config *cfg);

struct cwmp_server;
struct cwmp_session;

/* The stable key of a device across sessions: "<OUI>-<SerialNumber>"
 * (TR-069 DeviceId), percent-free, as given in the Inform. */
#define CWMP_DEVKEY_MAX 160

enum cwmp_end_reason {
    CWMP_END_OK = 0,      /* 204 / empty POST with empty queue */
    CWMP_END_TIMEOUT,     /* session or idle timeout */
    CWMP_END_FAULT,       /* protocol error: fault sent, session closed */
    CWMP_END_CLOSED,      /* the CPE closed the connection */
    CWMP_END_SHUTDOWN,    /* the server is stopping */
};

struct cwmp_callbacks {
    void *user;
    /* Per-device credentials: copy the password for 'username' into pw
     * (size pwsz) and return UB_OK, or UB_ENOTFOUND to refuse.  NULL: only
     * the shared credentials of the config are accepted. */
    int (*get_credentials)(void *user, const char *username, char *pw,
                           size_t pwsz);
    /* An authenticated CPE sent its Inform (borrowed for the call).
     * Return UB_OK to accept (InformResponse follows) or an error to refuse
     * (fault 8002 / 8005 and the session ends).  RPCs queued from inside
     * this callback run in this session. */
    int (*on_inform)(void *user, const char *devkey,
                     const struct cwmp_msg *inform);
    /* Other CPE requests (TransferComplete, AutonomousTransferComplete,
     * DUStateChangeComplete, Autonomous..., RequestDownload, Kicked,
     * GetRPCMethods).  The server answers them itself after the call. */
    void (*on_cpe_request)(void *user, const char *devkey,
                           const struct cwmp_msg *req);
    /* Result of an RPC queued with cwmp_rpc_enqueue.  resp is the
     * response or a CWMP_FAULT message (borrowed for the call), or NULL
     * with err set (UB_ECLOSED: the session died before an answer,
     * UB_ETIMEDOUT, UB_ESHUTDOWN-like UB_ECLOSED on stop).  Always called
     * exactly once per accepted RPC. */
    void (*on_rpc_result)(void *user, const char *devkey, uint64_t rpc_id,
                          const struct cwmp_msg *resp, int err);
    /* The session is about to finish: the last chance to queue RPCs
     * (return true if any were queued: the session goes on). */
    bool (*on_session_idle)(void *user, const char *devkey);
    void (*on_session_end)(void *user, const char *devkey,
                           enum cwmp_end_reason why);
    /* Outcome of cwmp_connection_request: err UB_OK and the HTTP status. */
    void (*on_cr_result)(void *user, const char *devkey, int err,
                         long http_status);
};

/* loop and cfg borrowed (cfg strings copied); cb copied. */
int cwmp_server_create(uv_loop_t *loop, const struct cwmp_server_config *cfg,
                       const struct cwmp_callbacks *cb,
                       struct cwmp_server **out) UB_WARN_UNUSED;
/* Binds and starts serving. */
int cwmp_server_start(struct cwmp_server *s) UB_WARN_UNUSED;
/* The port actually bound (useful with port 0). */
uint16_t cwmp_server_port(const struct cwmp_server *s);
/* Ends every session (on_rpc_result with UB_ECLOSED for pending RPCs,
 * on_session_end with CWMP_END_SHUTDOWN), reports pending Connection
 * Requests (on_cr_result with UB_ECLOSED), stops listening and closes the
 * loop handles; done(user) runs when every handle is closed (at once if
 * the server was never started).  May be called from inside a cwmp
 * callback: from the call on no request is served and no RPC or Connection
 * Request accepted; the teardown itself runs on the next loop iteration. */
void cwmp_server_stop(struct cwmp_server *s, void (*done)(void *user),
                      void *user);
/* Frees the server: after stop's done() ran, or if it was never started.
 * NULL is a no-op. */
void cwmp_server_destroy(struct cwmp_server *s);

/* Queues an RPC request for a device (req taken, freed even on failure).
 * If the device is in session the RPC runs in it; otherwise at its next
 * session.  *rpc_id identifies it in on_rpc_result.  UB_EFULL when the
 * device's queue is at max_queue. */
int cwmp_rpc_enqueue(struct cwmp_server *s, const char *devkey,
                     struct cwmp_msg *req, uint64_t *rpc_id) UB_WARN_UNUSED;
/* Drops queued (not yet sent) RPCs of a device; each gets on_rpc_result
 * with UB_ECLOSED.  Returns the count dropped. */
size_t cwmp_rpc_cancel_all(struct cwmp_server *s, const char *devkey);
/* True while the device has an open session. */
bool cwmp_device_in_session(const struct cwmp_server *s, const char *devkey);

/* Sends a Connection Request (HTTP GET with Digest or Basic auth via
 * libcurl multi on the loop).  url/username/password borrowed (copied).
 * UB_EAGAIN if rate-limited (cr_min_interval_s), UB_EFULL at
 * cr_max_inflight.  The outcome arrives in on_cr_result. */
int cwmp_connection_request(struct cwmp_server *s, const char *devkey,
                            const char *url, const char *username,
                            const char *password) UB_WARN_UNUSED;

struct cwmp_server_stats {
    uint64_t sessions_total, sessions_active, informs, rpcs_sent,
        faults_sent, auth_failures, bad_requests, cr_sent, cr_failed;
    uint64_t tls_connections; /* HTTPS connections that sent a request */
    uint64_t tls_resumed;     /* ... of which resumed a TLS session */
};
void cwmp_server_get_stats(const struct cwmp_server *s,
                           struct cwmp_server_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* UB_CWMP_H */
