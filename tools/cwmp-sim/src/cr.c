/*
 * cwmp-sim: the Connection Request listener.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * One libmicrohttpd daemon serves every simulated device: the URL path
 * /cr/<serial> names the device, so a thousand CPEs need one socket, not a
 * thousand.  MHD runs without a thread of its own (MHD_USE_EPOLL, external
 * select): its epoll fd is watched by a uv_poll on the simulator's loop and
 * a uv_timer is re-armed from MHD_get_timeout() after every MHD_run()
 * (stack-notes.md).  MHD checks the credentials itself (Digest MD5 with
 * MHD_digest_auth_check2, or Basic), against the device's current
 * ManagementServer.ConnectionRequestUsername/Password: the ACS may change
 * them with SetParameterValues, as on a real CPE.  An accepted request is
 * answered 200 with an empty body and starts a session with
 * "6 CONNECTION REQUEST" (after the running one, if any).
 */
#include "sim_engine.h"

#include <microhttpd.h>

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define CR_REALM "cwmp-sim"
#define CR_OPAQUE "d4f2c1a0b9e8"

struct sim_cr {
    struct sim_engine *e;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
    uint16_t port;
    unsigned char rnd[32];
    int closing;
};

static void cr_run(struct sim_cr *cr);

static void on_cr_timer(uv_timer_t *t)
{
    cr_run(t->data);
}

static void on_cr_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    cr_run(p->data);
}

static void cr_run(struct sim_cr *cr)
{
    MHD_UNSIGNED_LONG_LONG ms;

    if (!cr->d)
        return;
    MHD_run(cr->d);
    if (MHD_get_timeout(cr->d, &ms) == MHD_YES)
        uv_timer_start(&cr->timer, on_cr_timer, ms, 0);
    else
        uv_timer_stop(&cr->timer);
}

static enum MHD_Result reply(struct MHD_Connection *con, unsigned status)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    ret = MHD_queue_response(con, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void auth_failed(struct sim_engine *e, const char *serial,
                        const char *why)
{
    char f[128];
    snprintf(f, sizeof(f), "\"side\":\"cr\",\"reason\":\"%s\"", why);
    sim_emit(e, "auth_failed", serial, f);
}

/* Returns 1 when authenticated, 0 when a 401 was queued, -1 on error. */
static int cr_digest(struct sim_cr *cr, struct MHD_Connection *con,
                     const char *serial, const char *user, const char *pass)
{
    char *u = MHD_digest_auth_get_username(con);
    int rc = MHD_NO;
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (u && strcmp(u, user) == 0)
        rc = MHD_digest_auth_check2(con, CR_REALM, user, pass, 300,
                                    MHD_DIGEST_ALG_MD5);
    if (rc == MHD_YES) {
        MHD_free(u);
        return 1;
    }
    /* the first request of a Digest exchange carries no credentials: only
     * a wrong answer is a failure worth reporting */
    if (u && rc != MHD_INVALID_NONCE)
        auth_failed(cr->e, serial, "digest");
    MHD_free(u);
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return -1;
    ret = MHD_queue_auth_fail_response2(con, CR_REALM, CR_OPAQUE, r,
                                        rc == MHD_INVALID_NONCE ? MHD_YES : MHD_NO,
                                        MHD_DIGEST_ALG_MD5);
    MHD_destroy_response(r);
    return ret == MHD_YES ? 0 : -1;
}

/* Same returns as cr_digest. */
static int cr_basic(struct sim_cr *cr, struct MHD_Connection *con,
                    const char *serial, const char *user, const char *pass)
{
    char *p = NULL;
    char *u = MHD_basic_auth_get_username_password(con, &p);
    bool ok = u && p && strcmp(u, user) == 0 && strcmp(p, pass) == 0;
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (u && !ok)
        auth_failed(cr->e, serial, "basic");
    MHD_free(u);
    MHD_free(p);
    if (ok)
        return 1;
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return -1;
    ret = MHD_queue_basic_auth_fail_response(con, CR_REALM, r);
    MHD_destroy_response(r);
    return ret == MHD_YES ? 0 : -1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    static int marker;
    struct sim_cr *cr = cls;
    struct sim_engine *e = cr->e;
    struct sim_device *d;
    const char *serial;
    char user[256], pass[256];
    int ok = 1;

    (void)version;
    (void)upload;
    if (*req_cls == NULL) {
        *req_cls = &marker; /* headers seen; answer on the next call */
        return MHD_YES;
    }
    *upload_size = 0; /* a CR has no body: ignore one */
    if (strncmp(url, "/cr/", 4) != 0 || !(d = sim_engine_find(e, url + 4)))
        return reply(con, MHD_HTTP_NOT_FOUND);
    serial = d->cpe.mac.serial;
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        return reply(con, MHD_HTTP_METHOD_NOT_ALLOWED);
    sim_cpe_ms_get(&d->cpe, "ConnectionRequestUsername", user, sizeof(user));
    sim_cpe_ms_get(&d->cpe, "ConnectionRequestPassword", pass, sizeof(pass));
    if (e->o->cr_auth == SIM_AUTH_DIGEST)
        ok = cr_digest(cr, con, serial, user, pass);
    else if (e->o->cr_auth == SIM_AUTH_BASIC)
        ok = cr_basic(cr, con, serial, user, pass);
    if (ok <= 0)
        return ok == 0 ? MHD_YES : MHD_NO; /* a 401 is queued, or failure */
    sim_emit(e, "cr_received", serial, NULL);
    sim_cpe_event(&d->cpe, "6 CONNECTION REQUEST", NULL);
    sim_device_want_session(d);
    return reply(con, MHD_HTTP_OK);
}

int sim_cr_start(struct sim_engine *e, struct sim_cr **out)
{
    const struct sim_opts *o = e->o;
    struct sim_cr *cr = ub_calloc(1, sizeof(*cr));
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *di;

    if (!cr)
        return UB_ENOMEM;
    cr->e = e;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->cr_port);
    if (inet_pton(AF_INET, o->cr_bind, &sa.sin_addr) != 1) {
        UB_LOGE("cwmp-sim", "--cr-bind: not an IPv4 address: %s", o->cr_bind);
        ub_free(cr);
        return UB_ECONFIG;
    }
    if (getrandom(cr->rnd, sizeof(cr->rnd), 0) != (ssize_t)sizeof(cr->rnd)) {
        ub_free(cr);
        return UB_EIO;
    }
    cr->d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, cr, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        MHD_OPTION_DIGEST_AUTH_RANDOM, sizeof(cr->rnd), cr->rnd,
        MHD_OPTION_NONCE_NC_SIZE, (unsigned)4096, MHD_OPTION_END);
    if (!cr->d) {
        UB_LOGE("cwmp-sim", "cannot listen for Connection Requests on %s:%d",
                o->cr_bind, o->cr_port);
        ub_free(cr);
        return UB_EIO;
    }
    di = MHD_get_daemon_info(cr->d, MHD_DAEMON_INFO_BIND_PORT);
    cr->port = di ? di->port : (uint16_t)o->cr_port;
    di = MHD_get_daemon_info(cr->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di || uv_poll_init(e->loop, &cr->poll, di->epoll_fd) != 0) {
        MHD_stop_daemon(cr->d);
        ub_free(cr);
        return UB_EIO;
    }
    cr->poll.data = cr;
    uv_timer_init(e->loop, &cr->timer);
    cr->timer.data = cr;
    uv_poll_start(&cr->poll, UV_READABLE, on_cr_poll);
    cr_run(cr);
    *out = cr;
    return UB_OK;
}

uint16_t sim_cr_port(const struct sim_cr *cr)
{
    return cr->port;
}

static void cr_closed(uv_handle_t *h)
{
    struct sim_cr *cr = h->data;

    if (--cr->closing == 0) {
        MHD_stop_daemon(cr->d);
        ub_free(cr);
    }
}

void sim_cr_stop(struct sim_cr *cr)
{
    if (!cr)
        return;
    /* the uv handles go first (they watch MHD's epoll fd), then MHD */
    cr->closing = 2;
    uv_close((uv_handle_t *)&cr->poll, cr_closed);
    uv_close((uv_handle_t *)&cr->timer, cr_closed);
}
