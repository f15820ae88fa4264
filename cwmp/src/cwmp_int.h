/*
 * ub_cwmp internals shared between the files of cwmp/src (not API).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Each part of the module keeps its declarations in its own marked section
 * so that the codec and the server can grow them independently.
 */
#ifndef UB_CWMP_INT_H
#define UB_CWMP_INT_H

#include <ub/cwmp.h>

/* ================================================================== */
/* Codec (codec*.c, msg.c)                                            */
/* ================================================================== */

#define CWMP_LOG_MOD "cwmp"

/* Defaults of struct cwmp_codec_limits (a zero field means "default"). */
#define CWMP_CODEC_DEF_MAX_ENVELOPE ((size_t)1 << 20)
#define CWMP_CODEC_DEF_MAX_DEPTH 32u
#define CWMP_CODEC_DEF_MAX_ELEMENTS ((size_t)100000)
#define CWMP_CODEC_DEF_MAX_STRING ((size_t)64 * 1024)

/* "urn:dslforum-org:cwmp-1-N" for v (v clamped to the known range). */
const char *cwmp__version_uri(enum cwmp_version v);
/* Parses a cwmp namespace URI.  UB_OK and *out set, or UB_EPROTO. */
int cwmp__version_from_uri(const char *uri, enum cwmp_version *out);

/* Frees every member of a struct cwmp_fault and zeroes it. */
void cwmp__fault_clear(struct cwmp_fault *f);

/* codec.c <-> codec_dec.c / codec_enc.c.  The gSOAP context is only
 * forward-declared here so that server files need not see gSOAP. */
struct soap;

/* Reason text for a failed decode (err may be NULL). */
void cwmp__codec_reason(char *err, size_t errsz, const char *fmt, ...)
    UB_PRINTF(3, 4);

/* Peer text -> owned copy.  cwmp__dup: NULL stays NULL; cwmp__dup0: NULL
 * becomes "".  UB_OK or UB_ENOMEM (*dst untouched on failure). */
int cwmp__dup(char **dst, const char *s) UB_WARN_UNUSED;
int cwmp__dup0(char **dst, const char *s) UB_WARN_UNUSED;
/* Lenient number/boolean parsing of peer text (surrounding blanks allowed,
 * NULL or "" = 0 / false).  UB_OK or UB_EPROTO. */
int cwmp__parse_ulong(const char *s, unsigned long max, unsigned long *out)
    UB_WARN_UNUSED;
int cwmp__parse_int(const char *s, int *out) UB_WARN_UNUSED;
int cwmp__parse_bool(const char *s, bool *out) UB_WARN_UNUSED;

/* Reads the Body's first element (the one soap_peek_element just saw)
 * as (m->method, m->kind) and converts it into m.  On a gSOAP error returns
 * UB_EPROTO with soap->error set (the caller maps it); on a conversion
 * error returns the ub_err with a reason in err. */
int cwmp__dec_body(struct soap *soap, struct cwmp_msg *m, char *err,
                   size_t errsz) UB_WARN_UNUSED;
/* Writes the Body element for m.  Returns a gSOAP error code (SOAP_OK = 0)
 * or -1 for an argument the message cannot carry (too many items). */
int cwmp__enc_body(struct soap *soap, const struct cwmp_msg *m)
    UB_WARN_UNUSED;

/* ================================================================== */
/* Server (server*.c, session*.c, cr*.c, auth*.c)                     */
/* ================================================================== */

/* Third-party handles stay opaque here; only server.c / auth.c / cr.c
 * include the library headers. */
struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;

#define CWMP__LOG "cwmp"
#define CWMP__USER_MAX 128  /* longest accepted CPE username */
#define CWMP__PW_MAX 256    /* longest password from get_credentials */
#define CWMP__COOKIE_NAME "ubsession"
#define CWMP__REALM_MAX 160 /* cfg.realm + "/" + 8 hex, and header input */

/* One queued (or in-flight) RPC of a device. */
struct cwmp__rpc {
    struct ub_list link;    /* cwmp__device.queue */
    uint64_t id;            /* rpc_id given to the caller */
    struct cwmp_msg *req;   /* owned */
};

/* Everything the server knows about one device key, kept while it has a
 * session, queued RPCs, a Connection Request in flight or a recent one
 * (rate limit).  Freed by cwmp__dev_release when none of these hold. */
struct cwmp__device {
    struct cwmp__device *hnext;
    uint32_t hash;
    struct ub_list queue;   /* struct cwmp__rpc, FIFO */
    size_t n_queued;
    struct cwmp_session *session;
    uint64_t cr_last_ms;    /* 0: never */
    bool cr_inflight;
    unsigned pin;           /* >0 while a callback runs with its key */
    char key[CWMP_DEVKEY_MAX];
};

enum cwmp__sstate {
    CWMP__S_CPE = 0,   /* CPE may send requests; it owes the next POST */
    CWMP__S_ACS,       /* an RPC is in flight; CPE owes its response */
    CWMP__S_WAIT,      /* connection suspended: waiting for an RPC */
};

struct cwmp__conn;

struct cwmp_session {
    struct ub_list link;          /* server.sessions */
    struct cwmp_session *cnext;   /* cookie hash chain */
    struct cwmp_server *srv;
    struct cwmp__conn *conn;      /* NULL while detached */
    struct cwmp__device *dev;
    enum cwmp__sstate state;
    enum cwmp_version version;
    uint64_t cookie;
    uint64_t start_ms, last_ms;
    struct cwmp__rpc *inflight;   /* owned while set */
    char user[CWMP__USER_MAX];    /* authenticated user ("" if none) */
};

/* Per TCP connection (MHD socket context). */
struct cwmp__conn {
    struct cwmp__conn *next_free;
    struct cwmp_server *srv;
    struct MHD_Connection *mc;
    struct cwmp_session *session;
    struct ub_buf body;
    bool in_request;      /* between first call and completion */
    bool too_big;         /* body over max_body: 413 at the end */
    size_t discarded;     /* body bytes dropped after too_big */
    uint64_t req_start_ms; /* first handler call of this request */
    bool authed;          /* authenticated on this connection */
    bool tls_ok;          /* client certificate checked */
    bool tls_seen;        /* TLS connection counted in the stats */
    bool suspended;       /* MHD_suspend_connection in effect */
    bool resumed;         /* resumed, handler will be called again */
    char user[CWMP__USER_MAX];
};

/* What the session layer wants sent back. */
struct cwmp__reply {
    unsigned status;      /* HTTP status */
    const char *body;     /* borrowed (server scratch buffer) */
    size_t len;
    bool set_cookie;
    bool close;
    bool suspend;         /* no answer now: suspend the connection */
};

struct cwmp__cr;

struct cwmp_server {
    uv_loop_t *loop;
    struct cwmp_server_config cfg;  /* strings point into owned copies */
    char *s_bind, *s_path, *s_cert, *s_key, *s_ca, *s_realm, *s_user, *s_pw;
    struct cwmp_callbacks cb;

    struct MHD_Daemon *mhd;
    uv_poll_t mhd_poll;
    uv_timer_t mhd_timer;
    uv_timer_t sweep_timer;
    uint16_t port;
    bool started, stopping, in_run;
    bool mhd_stale_seen;            /* set by the MHD logger (auth.c) */
    int handles_open;
    void (*stop_done)(void *user);
    void *stop_user;

    struct cwmp_codec *codec;
    struct ub_buf out;              /* encode scratch */
    char *tls_cert_pem, *tls_key_pem, *tls_ca_pem;
    void *ticket_key_data;          /* gnutls_datum_t data */
    unsigned ticket_key_size;
    char digest_rnd[32];
    char opaque[17];

    /* device table: power-of-two buckets */
    struct cwmp__device **dev_buckets;
    size_t dev_nbuckets, dev_count;
    /* sessions */
    struct ub_list sessions;
    size_t n_sessions;
    struct cwmp_session **ck_buckets;  /* by cookie */
    size_t ck_nbuckets;
    struct ub_list free_sessions;
    size_t n_free_sessions;
    struct cwmp__conn *free_conns;
    size_t n_free_conns;

    uint64_t next_rpc_id;
    uint64_t cookie_state;

    struct cwmp_server_stats stats;

    /* Connection Requests (cr.c) */
    void *curlm;                    /* CURLM * */
    uv_timer_t cr_timer;
    struct ub_list cr_list;         /* struct cwmp__cr */
    size_t cr_inflight;
};

/* server.c */
void cwmp__server_kick(struct cwmp_server *s);
void cwmp__conn_resume(struct cwmp__conn *c);
void cwmp__handle_closed(uv_handle_t *h);

/* session.c */
int cwmp__devkey_make(const struct cwmp_msg *inform, char *out, size_t outsz)
    UB_WARN_UNUSED;
struct cwmp__device *cwmp__dev_find(const struct cwmp_server *s,
                                    const char *key);
int cwmp__dev_get(struct cwmp_server *s, const char *key,
                  struct cwmp__device **out) UB_WARN_UNUSED;
void cwmp__dev_release(struct cwmp_server *s, struct cwmp__device *d);
void cwmp__sessions_init(struct cwmp_server *s);
void cwmp__sessions_fini(struct cwmp_server *s);
/* A complete POST body on connection c (body borrowed). */
void cwmp__session_post(struct cwmp_server *s, struct cwmp__conn *c,
                        const char *body, size_t len, const char *cookie,
                        struct cwmp__reply *r);
/* The handler runs again for a resumed connection. */
void cwmp__session_resumed(struct cwmp_server *s, struct cwmp__conn *c,
                           struct cwmp__reply *r);
void cwmp__session_conn_closed(struct cwmp_server *s, struct cwmp__conn *c);
void cwmp__session_end(struct cwmp_session *ss, enum cwmp_end_reason why,
                       int rpc_err);
void cwmp__session_sweep(struct cwmp_server *s, uint64_t now);
void cwmp__session_shutdown(struct cwmp_server *s);
void cwmp__sweep_cb(uv_timer_t *t);
void cwmp__rpc_fail(struct cwmp_server *s, const char *devkey,
                    struct cwmp__rpc *r, int err);
/* Unpredictable-enough 64-bit values (splitmix64 over a getrandom seed):
 * cookies, per-challenge realms. */
uint64_t cwmp__rand64(struct cwmp_server *s);

/* auth.c */
enum cwmp__auth_res {
    CWMP__AUTH_OK = 0,    /* user filled */
    CWMP__AUTH_QUEUED,    /* a 401 was queued */
    CWMP__AUTH_ERROR,     /* internal error: close */
};
enum cwmp__auth_res cwmp__auth_check(struct cwmp_server *s,
                                     struct MHD_Connection *mc, char *user,
                                     size_t usersz);
/* Value of auth-param name in a "Digest ..." Authorization header (out
 * NUL-terminated).  UB_OK, UB_ENOTFOUND, UB_ETOOBIG, UB_EPROTO, UB_EINVAL. */
int cwmp__auth_param(const char *hdr, const char *name, char *out,
                     size_t outsz) UB_WARN_UNUSED;
/* TLS client certificate check.  true when acceptable. */
bool cwmp__auth_tls_client(struct cwmp_server *s, struct MHD_Connection *mc);

/* cr.c */
int cwmp__cr_init(struct cwmp_server *s) UB_WARN_UNUSED;
/* Cancels pending requests (on_cr_result UB_ECLOSED) and closes handles. */
void cwmp__cr_stop(struct cwmp_server *s);
void cwmp__cr_fini(struct cwmp_server *s);

/* End of the server section. */

#endif /* UB_CWMP_INT_H */
