/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: CWMP sessions (TR-069 §3.7) and the per-device RPC queues.
 *
 * No MHD here: server.c hands a complete POST body and gets back a
 * struct cwmp__reply (status, body in the server's encode buffer, cookie,
 * close, suspend).
 *
 *   no session --Inform--> CPE --(CPE requests, answered)--> CPE
 *   CPE --empty POST--> pop queue --RPC--> ACS --response/fault--> pop ...
 *   queue empty: on_session_idle(); RPC queued -> send it; promised but
 *   none queued yet -> WAIT (connection suspended until cwmp_rpc_enqueue or
 *   the idle timeout); else 204 and the session ends.
 *
 * Every protocol error (malformed envelope, not-Inform first, second Inform,
 * unexpected response, wrong cwmp:ID, unknown method) is answered with a
 * SOAP Fault (8000/8003/8004) in HTTP 500 with "Connection: close", and the
 * session ends (CWMP_END_FAULT); the in-flight RPC gets UB_EPROTO.
 *
 * A session is bound to its connection and to a cookie.  When the
 * connection closes while the CPE owes the next request and no RPC is in
 * flight, the session is kept detached for idle_timeout_s so that a CPE
 * that reconnects (with the cookie, after authenticating again as the same
 * user) continues it.  With an RPC in flight, a close ends the session
 * (CWMP_END_CLOSED, the RPC gets UB_ECLOSED: its outcome is unknown).
 *
 * Devices (struct cwmp__device) live in a chained hash table keyed by the
 * devkey; sessions additionally in one keyed by cookie.  Sessions come from
 * a small free list.  A device entry is freed as soon as it holds nothing
 * (no session, no queue, no CR state), so the table tracks activity, not
 * the fleet.  Callbacks get dev->key; dev->pin keeps the entry alive while
 * a callback that could free it runs.
 */
#include "cwmp_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_FREE_MAX 1024
#define DEV_BUCKETS_INIT 1024
#define CK_BUCKETS_INIT 1024

/* ------------------------------------------------------------------ */
/* Hash tables                                                         */
/* ------------------------------------------------------------------ */

static uint32_t key_hash(const char *k)
{
    uint32_t h = 2166136261u;

    while (*k) {
        h ^= (unsigned char)*k++;
        h *= 16777619u;
    }
    return h;
}

static size_t ck_slot(const struct cwmp_server *s, uint64_t cookie)
{
    return (size_t)((cookie ^ (cookie >> 29)) & (s->ck_nbuckets - 1));
}

void cwmp__sessions_init(struct cwmp_server *s)
{
    ub_list_init(&s->sessions);
    ub_list_init(&s->free_sessions);
    s->dev_buckets = ub_calloc(DEV_BUCKETS_INIT, sizeof(*s->dev_buckets));
    s->dev_nbuckets = DEV_BUCKETS_INIT;
    s->ck_buckets = ub_calloc(CK_BUCKETS_INIT, sizeof(*s->ck_buckets));
    s->ck_nbuckets = CK_BUCKETS_INIT;
}

static void dev_grow(struct cwmp_server *s)
{
    size_t n = s->dev_nbuckets * 2, i;
    struct cwmp__device **nb, *d, *next;

    nb = ub_calloc(n, sizeof(*nb));
    if (!nb)
        return; /* keep the longer chains */
    for (i = 0; i < s->dev_nbuckets; i++) {
        for (d = s->dev_buckets[i]; d; d = next) {
            next = d->hnext;
            d->hnext = nb[d->hash & (n - 1)];
            nb[d->hash & (n - 1)] = d;
        }
    }
    ub_free(s->dev_buckets);
    s->dev_buckets = nb;
    s->dev_nbuckets = n;
}

static void ck_grow(struct cwmp_server *s)
{
    size_t old = s->ck_nbuckets, i;
    struct cwmp_session **ob = s->ck_buckets, *ss, *next;
    struct cwmp_session **nb = ub_calloc(old * 2, sizeof(*nb));

    if (!nb)
        return;
    s->ck_buckets = nb;
    s->ck_nbuckets = old * 2;
    for (i = 0; i < old; i++) {
        for (ss = ob[i]; ss; ss = next) {
            size_t k = ck_slot(s, ss->cookie);
            next = ss->cnext;
            ss->cnext = nb[k];
            nb[k] = ss;
        }
    }
    ub_free(ob);
}

struct cwmp__device *cwmp__dev_find(const struct cwmp_server *s,
                                    const char *key)
{
    uint32_t h = key_hash(key);
    struct cwmp__device *d;

    for (d = s->dev_buckets[h & (s->dev_nbuckets - 1)]; d; d = d->hnext)
        if (d->hash == h && strcmp(d->key, key) == 0)
            return d;
    return NULL;
}

int cwmp__dev_get(struct cwmp_server *s, const char *key,
                  struct cwmp__device **out)
{
    struct cwmp__device *d = cwmp__dev_find(s, key);
    size_t len = strlen(key);

    if (d) {
        *out = d;
        return UB_OK;
    }
    if (len == 0 || len >= CWMP_DEVKEY_MAX)
        return UB_EINVAL;
    d = ub_malloc(offsetof(struct cwmp__device, key) + len + 1);
    if (!d)
        return UB_ENOMEM;
    memset(d, 0, offsetof(struct cwmp__device, key));
    memcpy(d->key, key, len + 1);
    d->hash = key_hash(key);
    ub_list_init(&d->queue);
    if (s->dev_count >= s->dev_nbuckets)
        dev_grow(s);
    d->hnext = s->dev_buckets[d->hash & (s->dev_nbuckets - 1)];
    s->dev_buckets[d->hash & (s->dev_nbuckets - 1)] = d;
    s->dev_count++;
    *out = d;
    return UB_OK;
}

static bool dev_idle(const struct cwmp_server *s, const struct cwmp__device *d,
                     uint64_t now)
{
    if (d->session || d->n_queued || d->cr_inflight || d->pin)
        return false;
    if (d->cr_last_ms &&
        now - d->cr_last_ms < (uint64_t)s->cfg.cr_min_interval_s * 1000)
        return false;
    return true;
}

static void dev_unlink_free(struct cwmp_server *s, struct cwmp__device *d)
{
    struct cwmp__device **pp = &s->dev_buckets[d->hash & (s->dev_nbuckets - 1)];

    while (*pp && *pp != d)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = d->hnext;
    s->dev_count--;
    ub_free(d);
}

void cwmp__dev_release(struct cwmp_server *s, struct cwmp__device *d)
{
    if (d && dev_idle(s, d, ub_now_ms()))
        dev_unlink_free(s, d);
}

/* ------------------------------------------------------------------ */
/* Device key                                                          */
/* ------------------------------------------------------------------ */

static bool key_part_ok(const char *p)
{
    if (!p || !*p)
        return false;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return false;
    return true;
}

int cwmp__devkey_make(const struct cwmp_msg *inform, char *out, size_t outsz)
{
    const struct cwmp_device_id *id = &inform->inform.device_id;
    int n;

    /* Refuse rather than rewrite: two serials that differ only in a
     * rewritten byte would otherwise share one device. */
    if (!key_part_ok(id->oui) || !key_part_ok(id->serial_number))
        return UB_EPROTO;
    n = snprintf(out, outsz, "%s-%s", id->oui, id->serial_number);
    if (n < 0 || (size_t)n >= outsz)
        return UB_ETOOBIG;
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* RPC queue (public)                                                  */
/* ------------------------------------------------------------------ */

static void rpc_free(struct cwmp__rpc *r)
{
    cwmp_msg_free(r->req);
    ub_free(r);
}

void cwmp__rpc_fail(struct cwmp_server *s, const char *devkey,
                    struct cwmp__rpc *r, int err)
{
    if (s->cb.on_rpc_result)
        s->cb.on_rpc_result(s->cb.user, devkey, r->id, NULL, err);
    rpc_free(r);
}

static struct cwmp__rpc *dev_pop(struct cwmp__device *d)
{
    struct ub_list *l = ub_list_first(&d->queue);

    if (!l)
        return NULL;
    ub_list_remove(l);
    d->n_queued--;
    return UB_CONTAINER_OF(l, struct cwmp__rpc, link);
}

int cwmp_rpc_enqueue(struct cwmp_server *s, const char *devkey,
                     struct cwmp_msg *req, uint64_t *rpc_id)
{
    struct cwmp__device *d;
    struct cwmp__rpc *r;
    int err;

    if (!s || !devkey || !req || !rpc_id) {
        cwmp_msg_free(req);
        return UB_EINVAL;
    }
    // Exit if the message is not something the ACS may ask a CPE.
    if (req->kind != CWMP_REQUEST || req->method == CWMP_M_NONE ||
        req->method >= CWMP_M_INFORM) {
        cwmp_msg_free(req);
        return UB_EINVAL;
    }
    if (s->stopping) {
        cwmp_msg_free(req);
        return UB_ESTATE;
    }
    err = cwmp__dev_get(s, devkey, &d);
    if (err) {
        cwmp_msg_free(req);
        return err;
    }
    if (d->n_queued >= s->cfg.max_queue) {
        cwmp_msg_free(req);
        cwmp__dev_release(s, d);
        return UB_EFULL;
    }
    r = ub_malloc(sizeof(*r));
    if (!r) {
        cwmp_msg_free(req);
        cwmp__dev_release(s, d);
        return UB_ENOMEM;
    }
    r->id = s->next_rpc_id++;
    r->req = req;
    ub_list_insert_tail(&d->queue, &r->link);
    d->n_queued++;
    *rpc_id = r->id;
    if (d->session && d->session->state == CWMP__S_WAIT && d->session->conn)
        cwmp__conn_resume(d->session->conn);
    return UB_OK;
}

size_t cwmp_rpc_cancel_all(struct cwmp_server *s, const char *devkey)
{
    struct cwmp__device *d;
    struct ub_list tmp, *l;
    size_t n = 0;

    if (!s || !devkey)
        return 0;
    d = cwmp__dev_find(s, devkey);
    if (!d)
        return 0;
    /* Detach first: callbacks may queue new RPCs for the device. */
    ub_list_init(&tmp);
    while ((l = ub_list_first(&d->queue))) {
        ub_list_remove(l);
        ub_list_insert_tail(&tmp, l);
    }
    d->n_queued = 0;
    d->pin++;
    while ((l = ub_list_first(&tmp))) {
        ub_list_remove(l);
        cwmp__rpc_fail(s, d->key, UB_CONTAINER_OF(l, struct cwmp__rpc, link),
                       UB_ECLOSED);
        n++;
    }
    d->pin--;
    cwmp__dev_release(s, d);
    return n;
}

bool cwmp_device_in_session(const struct cwmp_server *s, const char *devkey)
{
    const struct cwmp__device *d;

    if (!s || !devkey)
        return false;
    d = cwmp__dev_find(s, devkey);
    return d && d->session;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

uint64_t cwmp__rand64(struct cwmp_server *s)
{
    /* splitmix64 over a random seed: unique and unguessable enough for a
     * routing token (a session never continues on a new connection
     * without authenticating again as the same user). */
    uint64_t z = (s->cookie_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z ? z : 1;
}

static struct cwmp_session *session_alloc(struct cwmp_server *s)
{
    struct ub_list *l = ub_list_first(&s->free_sessions);
    struct cwmp_session *ss;

    if (l) {
        ub_list_remove(l);
        s->n_free_sessions--;
        ss = UB_CONTAINER_OF(l, struct cwmp_session, link);
    } else {
        ss = ub_malloc(sizeof(*ss));
        if (!ss)
            return NULL;
    }
    memset(ss, 0, sizeof(*ss));
    ub_list_init(&ss->link);
    return ss;
}

static void session_release(struct cwmp_server *s, struct cwmp_session *ss)
{
    if (s->n_free_sessions < SESSION_FREE_MAX) {
        ub_list_insert_tail(&s->free_sessions, &ss->link);
        s->n_free_sessions++;
    } else {
        ub_free(ss);
    }
}

static void ck_unlink(struct cwmp_server *s, struct cwmp_session *ss)
{
    struct cwmp_session **pp = &s->ck_buckets[ck_slot(s, ss->cookie)];

    while (*pp && *pp != ss)
        pp = &(*pp)->cnext;
    if (*pp)
        *pp = ss->cnext;
    ss->cnext = NULL;
}

static struct cwmp_session *ck_find(const struct cwmp_server *s,
                                    uint64_t cookie)
{
    struct cwmp_session *ss;

    for (ss = s->ck_buckets[ck_slot(s, cookie)]; ss; ss = ss->cnext)
        if (ss->cookie == cookie)
            return ss;
    return NULL;
}

void cwmp__session_end(struct cwmp_session *ss, enum cwmp_end_reason why,
                       int rpc_err)
{
    struct cwmp_server *s = ss->srv;
    struct cwmp__device *d = ss->dev;
    struct cwmp__rpc *r = ss->inflight;

    ss->inflight = NULL;
    ub_list_remove(&ss->link);
    ck_unlink(s, ss);
    s->n_sessions--;
    if (ss->conn)
        ss->conn->session = NULL;
    ss->conn = NULL;
    d->session = NULL;
    session_release(s, ss);
    d->pin++;
    if (r)
        cwmp__rpc_fail(s, d->key, r, rpc_err);
    UB_LOGD(CWMP__LOG, "session %s ended (%d)", d->key, (int)why);
    if (s->cb.on_session_end)
        s->cb.on_session_end(s->cb.user, d->key, why);
    d->pin--;
    cwmp__dev_release(s, d);
}

/* ------------------------------------------------------------------ */
/* Replies                                                             */
/* ------------------------------------------------------------------ */

static const char *fault_string(unsigned code)
{
    switch (code) {
    case 8000: return "Method not supported";
    case 8001: return "Request denied";
    case 8002: return "Internal error";
    case 8003: return "Invalid arguments";
    case 8004: return "Resources exceeded";
    case 8005: return "Retry request";
    default: return "Fault";
    }
}

static void reply_encode(struct cwmp_server *s, const struct cwmp_msg *m,
                         unsigned status, struct cwmp__reply *r)
{
    int err;

    ub_buf_reset(&s->out);
    err = cwmp_encode(s->codec, m, &s->out);
    if (err || !s->out.data) {
        UB_LOGW(CWMP__LOG, "encoding %s failed: %s",
                cwmp_method_name(m->method), ub_strerror(err));
        r->status = 500;
        r->close = true;
        r->body = NULL;
        r->len = 0;
        return;
    }
    r->status = status;
    r->body = s->out.data;
    r->len = s->out.len;
}

/* ACS fault, HTTP 500, connection closed. */
static void reply_fault(struct cwmp_server *s, unsigned code, const char *id,
                        enum cwmp_version v, struct cwmp__reply *r)
{
    struct cwmp_msg m;

    memset(&m, 0, sizeof(m));
    m.kind = CWMP_FAULT;
    m.method = CWMP_M_NONE;
    m.version = v;
    m.id = (char *)id;
    m.fault.code = code;
    m.fault.string = (char *)fault_string(code);
    m.fault.server = code == 8002 || code == 8004 || code == 8005;
    s->stats.faults_sent++;
    reply_encode(s, &m, 500, r);
    r->close = true;
}

static void reply_status(unsigned status, bool close, struct cwmp__reply *r)
{
    r->status = status;
    r->close = close;
    r->body = NULL;
    r->len = 0;
}

/* Protocol error inside a session: fault, in-flight RPC gets UB_EPROTO,
 * the session ends. */
static void session_fault(struct cwmp_session *ss, unsigned code,
                          const char *id, struct cwmp__reply *r)
{
    struct cwmp_server *s = ss->srv;

    s->stats.bad_requests++;
    reply_fault(s, code, id, ss->version, r);
    cwmp__session_end(ss, CWMP_END_FAULT, UB_EPROTO);
}

static unsigned decode_fault_code(int err)
{
    return err == UB_ETOOBIG || err == UB_ENOMEM ? 8004 : 8003;
}

/* Pops and sends the next RPC, asks the application when the queue is
 * empty, or ends the session with 204. */
static void next_rpc(struct cwmp_session *ss, struct cwmp__reply *r)
{
    struct cwmp_server *s = ss->srv;
    struct cwmp__device *d = ss->dev;
    struct cwmp__rpc *rpc;
    struct cwmp_msg m;
    char id[24];
    bool asked = false;

    for (;;) {
        rpc = dev_pop(d);
        if (!rpc && !asked && s->cb.on_session_idle) {
            asked = true;
            if (s->cb.on_session_idle(s->cb.user, d->key)) {
                if (!ub_list_empty(&d->queue))
                    continue;
                // Exit: promised work, none queued yet -> wait for it.
                ss->state = CWMP__S_WAIT;
                r->suspend = true;
                return;
            }
            continue;
        }
        if (!rpc) {
            reply_status(204, false, r);
            cwmp__session_end(ss, CWMP_END_OK, UB_ECLOSED);
            return;
        }
        m = *rpc->req;
        snprintf(id, sizeof(id), "ub%" PRIx64, rpc->id);
        m.id = id;
        m.kind = CWMP_REQUEST;
        m.version = ss->version;
        m.hold_requests = false;
        reply_encode(s, &m, 200, r);
        if (r->status != 200) {
            r->close = false;
            cwmp__rpc_fail(s, d->key, rpc, UB_EINVAL);
            continue;
        }
        ss->inflight = rpc;
        ss->state = CWMP__S_ACS;
        s->stats.rpcs_sent++;
        return;
    }
}

static void start_with(struct cwmp_server *s, struct cwmp__conn *c,
                       struct cwmp_msg *m, struct cwmp__reply *r);

static void start_session(struct cwmp_server *s, struct cwmp__conn *c,
                          const char *body, size_t len, struct cwmp__reply *r)
{
    struct cwmp_msg *m = NULL;
    char why[128];
    int err;

    // Exit if there is nothing to start a session with.
    if (len == 0) {
        s->stats.bad_requests++;
        reply_status(400, true, r);
        return;
    }
    // Exit if the server is full: refuse before spending a decode on it.
    if (s->n_sessions >= s->cfg.max_sessions) {
        reply_status(503, true, r);
        return;
    }
    why[0] = '\0';
    err = cwmp_decode(s->codec, body, len, &m, why, sizeof(why));
    if (err) {
        s->stats.bad_requests++;
        UB_LOGI(CWMP__LOG, "bad first request: %s (%s)", ub_strerror(err),
                why);
        reply_fault(s, err == UB_ENOTSUP ? 8003 : decode_fault_code(err),
                    m ? m->id : NULL, m ? m->version : CWMP_V1_0, r);
        cwmp_msg_free(m);
        return;
    }
    start_with(s, c, m, r);
}

/* Starts a session from a decoded first message (m taken). */
static void start_with(struct cwmp_server *s, struct cwmp__conn *c,
                       struct cwmp_msg *m, struct cwmp__reply *r)
{
    struct cwmp_msg resp;
    struct cwmp_session *ss;
    struct cwmp__device *d;
    char key[CWMP_DEVKEY_MAX];
    int err;

    if (m->method != CWMP_M_INFORM || m->kind != CWMP_REQUEST) {
        UB_LOGI(CWMP__LOG, "first request is %s (kind %d), not an Inform",
                cwmp_method_name(m->method), (int)m->kind);
        s->stats.bad_requests++;
        reply_fault(s, 8003, m->id, m->version, r);
        cwmp_msg_free(m);
        return;
    }
    err = cwmp__devkey_make(m, key, sizeof(key));
    if (!err)
        err = cwmp__dev_get(s, key, &d);
    if (err) {
        UB_LOGI(CWMP__LOG, "Inform without a usable DeviceId: %s",
                ub_strerror(err));
        s->stats.bad_requests++;
        reply_fault(s, err == UB_ENOMEM ? 8004 : 8003, m->id, m->version, r);
        cwmp_msg_free(m);
        return;
    }
    if (d->session) /* a stale session of the same device */
        cwmp__session_end(d->session, CWMP_END_CLOSED, UB_ECLOSED);
    ss = session_alloc(s);
    if (!ss) {
        reply_fault(s, 8004, m->id, m->version, r);
        cwmp__dev_release(s, d);
        cwmp_msg_free(m);
        return;
    }
    ss->srv = s;
    ss->conn = c;
    ss->dev = d;
    ss->state = CWMP__S_CPE;
    ss->version = m->version;
    ss->start_ms = ss->last_ms = ub_now_ms();
    do
        ss->cookie = cwmp__rand64(s);
    while (ck_find(s, ss->cookie));
    memcpy(ss->user, c->user, sizeof(ss->user));
    c->session = ss;
    d->session = ss;
    ub_list_insert_tail(&s->sessions, &ss->link);
    if (s->n_sessions >= s->ck_nbuckets)
        ck_grow(s);
    ss->cnext = s->ck_buckets[ck_slot(s, ss->cookie)];
    s->ck_buckets[ck_slot(s, ss->cookie)] = ss;
    s->n_sessions++;
    s->stats.sessions_total++;
    s->stats.informs++;

    err = s->cb.on_inform ? s->cb.on_inform(s->cb.user, d->key, m) : UB_OK;
    if (err) {
        UB_LOGI(CWMP__LOG, "Inform of %s refused: %s", d->key,
                ub_strerror(err));
        reply_fault(s,
                    err == UB_EAGAIN || err == UB_EFULL ||
                            err == UB_ETIMEDOUT
                        ? 8005
                        : 8002,
                    m->id, m->version, r);
        cwmp_msg_free(m);
        cwmp__session_end(ss, CWMP_END_FAULT, UB_ECLOSED);
        return;
    }
    memset(&resp, 0, sizeof(resp));
    resp.method = CWMP_M_INFORM;
    resp.kind = CWMP_RESPONSE;
    resp.version = m->version;
    resp.id = m->id;
    resp.max_envelopes = 1;
    reply_encode(s, &resp, 200, r);
    cwmp_msg_free(m);
    if (r->status != 200) {
        cwmp__session_end(ss, CWMP_END_FAULT, UB_ECLOSED);
        return;
    }
    r->set_cookie = true;
}

/* The ACS methods, as answered to GetRPCMethods. */
static char *acs_methods[] = {
    "Inform",
    "GetRPCMethods",
    "TransferComplete",
    "AutonomousTransferComplete",
    "DUStateChangeComplete",
    "AutonomousDUStateChangeComplete",
    "RequestDownload",
    "Kicked",
};

static void cpe_request(struct cwmp_session *ss, struct cwmp_msg *m,
                        struct cwmp__reply *r)
{
    struct cwmp_server *s = ss->srv;
    struct cwmp_msg resp;
    size_t i;

    // Exit if this is a second Inform or a method the ACS does not serve.
    if (m->method == CWMP_M_INFORM) {
        UB_LOGI(CWMP__LOG, "%s: second Inform in one session", ss->dev->key);
        session_fault(ss, 8003, m->id, r);
        return;
    }
    if (m->method != CWMP_M_GET_RPC_METHODS && m->method < CWMP_M_INFORM) {
        session_fault(ss, 8000, m->id, r);
        return;
    }
    if (s->cb.on_cpe_request)
        s->cb.on_cpe_request(s->cb.user, ss->dev->key, m);
    memset(&resp, 0, sizeof(resp));
    resp.method = m->method;
    resp.kind = CWMP_RESPONSE;
    resp.version = ss->version;
    resp.id = m->id;
    if (m->method == CWMP_M_GET_RPC_METHODS) {
        resp.strv.v = acs_methods;
        resp.strv.n = UB_ARRAY_LEN(acs_methods);
        resp.strv.cap = resp.strv.n;
    } else if (m->method == CWMP_M_KICKED) {
        /* No web-redirect flows: send the CPE where it wanted to go. */
        for (i = 0; i < m->n_args; i++)
            if (m->args[i].name && strcmp(m->args[i].name, "Next") == 0)
                resp.next_url = m->args[i].value;
        if (!resp.next_url)
            resp.next_url = "";
    }
    reply_encode(s, &resp, 200, r);
}

static void cpe_response(struct cwmp_session *ss, struct cwmp_msg *m,
                         struct cwmp__reply *r)
{
    struct cwmp_server *s = ss->srv;
    struct cwmp__rpc *rpc = ss->inflight;
    char id[24];

    // Exit if nothing was asked, or the answer does not match the question.
    if (!rpc) {
        UB_LOGI(CWMP__LOG, "%s: %s response, but no RPC was sent",
                ss->dev->key, cwmp_method_name(m->method));
        session_fault(ss, 8003, NULL, r);
        return;
    }
    snprintf(id, sizeof(id), "ub%" PRIx64, rpc->id);
    if (!m->id || strcmp(m->id, id) != 0 ||
        (m->kind == CWMP_RESPONSE && m->method != rpc->req->method)) {
        char got[40];
        UB_LOGI(CWMP__LOG, "%s: response %s/%s does not match %s/%s",
                ss->dev->key, cwmp_method_name(m->method),
                ub_log_repr(got, sizeof(got), m->id ? m->id : "",
                            m->id ? strlen(m->id) : 0, 24),
                cwmp_method_name(rpc->req->method), id);
        session_fault(ss, 8003, NULL, r);
        return;
    }
    ss->inflight = NULL;
    if (s->cb.on_rpc_result)
        s->cb.on_rpc_result(s->cb.user, ss->dev->key, rpc->id, m, UB_OK);
    rpc_free(rpc);
    next_rpc(ss, r);
}

static bool parse_cookie(const char *cookie, uint64_t *out)
{
    char *end;

    if (!cookie || !*cookie)
        return false;
    *out = strtoull(cookie, &end, 16);
    return *end == '\0' && end - cookie == 16;
}

/* Moves this connection's current session aside (it stays alive,
 * detached, reachable by its cookie until the idle timeout). */
static void detach(struct cwmp__conn *c)
{
    if (c->session) {
        c->session->conn = NULL;
        c->session->last_ms = ub_now_ms();
        c->session = NULL;
    }
}

static struct cwmp_session *reattach(struct cwmp_server *s,
                                     struct cwmp__conn *c, uint64_t cookie)
{
    struct cwmp_session *ss = ck_find(s, cookie);

    // Exit unless a session of the same user can move to this connection.
    if (!ss || ss->state == CWMP__S_WAIT || strcmp(ss->user, c->user) != 0)
        return NULL;
    /* The old connection may be gone without MHD having noticed yet:
     * the session follows the CPE to its new connection.  Whatever
     * session this connection carried steps aside (a proxy that reuses
     * connections for several CPEs). */
    if (ss->conn)
        ss->conn->session = NULL;
    detach(c);
    ss->conn = c;
    c->session = ss;
    UB_LOGD(CWMP__LOG, "session %s continues on a new connection",
            ss->dev->key);
    return ss;
}

void cwmp__session_post(struct cwmp_server *s, struct cwmp__conn *c,
                        const char *body, size_t len, const char *cookie,
                        struct cwmp__reply *r)
{
    struct cwmp_session *ss = c->session;
    struct cwmp_msg *m = NULL;
    char why[128];
    uint64_t ck = 0;
    bool has_ck = parse_cookie(cookie, &ck);
    int err;

    /* A cookie naming another session brings that session here. */
    if (has_ck && (!ss || ss->cookie != ck)) {
        struct cwmp_session *other = reattach(s, c, ck);
        if (other)
            ss = other;
    }
    if (!ss) {
        start_session(s, c, body, len, r);
        return;
    }
    ss->last_ms = ub_now_ms();
    if (len == 0) {
        /* The CPE has no more requests (or, with an RPC in flight, gave no
         * answer to it: that RPC failed, the session goes on). */
        if (ss->inflight) {
            struct cwmp__rpc *rpc = ss->inflight;
            ss->inflight = NULL;
            cwmp__rpc_fail(s, ss->dev->key, rpc, UB_EPROTO);
        }
        ss->state = CWMP__S_ACS;
        next_rpc(ss, r);
        return;
    }
    why[0] = '\0';
    err = cwmp_decode(s->codec, body, len, &m, why, sizeof(why));
    if (err == UB_ENOTSUP && m && m->kind == CWMP_REQUEST) {
        session_fault(ss, 8000, m->id, r);
        cwmp_msg_free(m);
        return;
    }
    if (err) {
        UB_LOGI(CWMP__LOG, "%s: bad request: %s (%s)", ss->dev->key,
                ub_strerror(err), why);
        session_fault(ss, decode_fault_code(err), m ? m->id : NULL, r);
        cwmp_msg_free(m);
        return;
    }
    if (m->kind == CWMP_REQUEST && m->method == CWMP_M_INFORM &&
        !(has_ck && ck == ss->cookie)) {
        /* An Inform without this session's cookie on a connection that
         * carries a session: another CPE behind a connection-reusing
         * proxy, or a CPE without cookies that started over.  The old
         * session steps aside; a new one starts. */
        detach(c);
        if (s->n_sessions >= s->cfg.max_sessions) {
            reply_status(503, true, r);
            cwmp_msg_free(m);
            return;
        }
        start_with(s, c, m, r);
        return;
    }
    if (m->kind == CWMP_REQUEST)
        cpe_request(ss, m, r);
    else
        cpe_response(ss, m, r);
    cwmp_msg_free(m);
}

void cwmp__session_resumed(struct cwmp_server *s, struct cwmp__conn *c,
                           struct cwmp__reply *r)
{
    struct cwmp_session *ss = c->session;

    (void)s;
    // Exit if the session ended while the connection waited.
    if (!ss || ss->state != CWMP__S_WAIT) {
        reply_status(204, false, r);
        return;
    }
    ss->state = CWMP__S_ACS;
    ss->last_ms = ub_now_ms();
    next_rpc(ss, r);
}

void cwmp__session_conn_closed(struct cwmp_server *s, struct cwmp__conn *c)
{
    struct cwmp_session *ss = c->session;

    (void)s;
    c->session = NULL;
    ss->conn = NULL;
    if (ss->inflight || ss->state == CWMP__S_WAIT || s->stopping) {
        cwmp__session_end(ss, CWMP_END_CLOSED, UB_ECLOSED);
        return;
    }
    /* Detached: the CPE may come back with the cookie (idle timeout). */
    ss->last_ms = ub_now_ms();
}

void cwmp__session_sweep(struct cwmp_server *s, uint64_t now)
{
    struct ub_list *l, *next;
    uint64_t total = (uint64_t)s->cfg.session_timeout_s * 1000;
    uint64_t idle = (uint64_t)s->cfg.idle_timeout_s * 1000;
    size_t i;

    for (l = s->sessions.next; l != &s->sessions; l = next) {
        struct cwmp_session *ss = UB_CONTAINER_OF(l, struct cwmp_session, link);
        struct cwmp__conn *c = ss->conn;
        bool wait = ss->state == CWMP__S_WAIT;

        next = l->next;
        if (now - ss->start_ms < total && now - ss->last_ms < idle)
            continue;
        /* Ending may run callbacks that end other sessions? Only
         * cwmp_server_stop could, and it is not allowed in callbacks. */
        cwmp__session_end(ss, c ? CWMP_END_TIMEOUT : CWMP_END_CLOSED,
                          c ? UB_ETIMEDOUT : UB_ECLOSED);
        if (wait && c)
            cwmp__conn_resume(c); /* answers 204 */
        /* callbacks may have changed the list: restart from next only if
         * it is still linked (it is: callbacks cannot end sessions). */
    }
    /* Devices kept only for the Connection Request rate limit. */
    for (i = 0; i < s->dev_nbuckets; i++) {
        struct cwmp__device **pp = &s->dev_buckets[i];
        while (*pp) {
            struct cwmp__device *d = *pp;
            if (dev_idle(s, d, now)) {
                *pp = d->hnext;
                s->dev_count--;
                ub_free(d);
            } else {
                pp = &d->hnext;
            }
        }
    }
}

void cwmp__sweep_cb(uv_timer_t *t)
{
    struct cwmp_server *s = t->data;

    if (s->stopping)
        return;
    cwmp__session_sweep(s, ub_now_ms());
}

void cwmp__session_shutdown(struct cwmp_server *s)
{
    struct ub_list *l;
    size_t i;

    while ((l = ub_list_first(&s->sessions))) {
        struct cwmp_session *ss = UB_CONTAINER_OF(l, struct cwmp_session, link);
        struct cwmp__conn *c = ss->conn;
        cwmp__session_end(ss, CWMP_END_SHUTDOWN, UB_ECLOSED);
        /* MHD must not stop with suspended connections. */
        if (c)
            cwmp__conn_resume(c);
    }
    /* Queued RPCs of every device fail with UB_ECLOSED. */
    for (i = 0; i < s->dev_nbuckets; i++) {
        struct cwmp__device *d, *next;
        for (d = s->dev_buckets[i]; d; d = next) {
            struct cwmp__rpc *rpc;
            next = d->hnext;
            d->pin++;
            while ((rpc = dev_pop(d)))
                cwmp__rpc_fail(s, d->key, rpc, UB_ECLOSED);
            d->pin--;
        }
    }
}

void cwmp__sessions_fini(struct cwmp_server *s)
{
    struct ub_list *l;
    size_t i;

    if (!s->dev_buckets || !s->ck_buckets) {
        ub_free(s->dev_buckets);
        ub_free(s->ck_buckets);
        s->dev_buckets = NULL;
        s->ck_buckets = NULL;
        return;
    }
    /* Never-started or stopped: no callbacks any more, just free. */
    while ((l = ub_list_first(&s->sessions))) {
        struct cwmp_session *ss = UB_CONTAINER_OF(l, struct cwmp_session, link);
        ub_list_remove(l);
        if (ss->inflight)
            rpc_free(ss->inflight);
        ub_free(ss);
    }
    while ((l = ub_list_first(&s->free_sessions))) {
        ub_list_remove(l);
        ub_free(UB_CONTAINER_OF(l, struct cwmp_session, link));
    }
    for (i = 0; i < s->dev_nbuckets; i++) {
        struct cwmp__device *d, *next;
        for (d = s->dev_buckets[i]; d; d = next) {
            struct cwmp__rpc *rpc;
            next = d->hnext;
            while ((rpc = dev_pop(d)))
                rpc_free(rpc);
            ub_free(d);
        }
    }
    ub_free(s->dev_buckets);
    ub_free(s->ck_buckets);
    s->dev_buckets = NULL;
    s->ck_buckets = NULL;
}
