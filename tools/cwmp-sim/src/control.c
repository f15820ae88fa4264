/*
 * cwmp-sim: the control channel, a small line protocol on 127.0.0.1 TCP so
 * that tests can act on a simulated device from outside.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Commands (one per line, answered "ok[ <data>]" or "err <reason>"):
 *   set <serial> <path> <value...>  a local change (the user or the
 *                                   device's own software): notifies when
 *                                   the parameter's attribute says so
 *   get <serial> <path>             the current value
 *   add <serial> <table.>           a local AddObject: "ok <instance>"
 *   del <serial> <object.>          a local DeleteObject
 *   inform <serial>|* [event...]    a session now, with the given event
 *                                   (default "6 CONNECTION REQUEST")
 *   stats                           "ok sessions_ok=N sessions_failed=M
 *                                   active=A"
 *   quit                            closes the connection
 * Bounded: at most MAX_CLIENTS connections, lines up to LINE_MAX bytes (a
 * longer line gets "err line too long" and the connection is closed), and
 * at most MAX_PENDING_WRITES unsent replies per client (a client that does
 * not read its answers is disconnected).
 */
#include "sim_engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 16
#define LINE_MAX_ 8192
#define MAX_PENDING_WRITES 64

struct sim_control {
    struct sim_engine *e;
    uv_tcp_t srv;
    struct ub_list clients;
    unsigned n_clients;
    bool stopping;
    bool srv_closed;
};

struct ctl_client {
    struct ub_list link;
    struct sim_control *c;
    uv_tcp_t h;
    char buf[LINE_MAX_];
    size_t len;
    unsigned pending;
    bool closing;
};

struct ctl_write {
    uv_write_t req;
    struct ctl_client *cl;
    char data[];
};

static void client_closed(uv_handle_t *h)
{
    struct ctl_client *cl = h->data;
    struct sim_control *c = cl->c;

    ub_list_remove(&cl->link);
    c->n_clients--;
    ub_free(cl);
    /* the last one out frees the server (libuv runs close callbacks in
     * no particular order) */
    if (c->srv_closed && c->n_clients == 0)
        ub_free(c);
}

static void client_close(struct ctl_client *cl)
{
    if (cl->closing)
        return;
    cl->closing = true;
    uv_close((uv_handle_t *)&cl->h, client_closed);
}

static void on_written(uv_write_t *req, int status)
{
    struct ctl_write *w = (struct ctl_write *)req;

    (void)status;
    w->cl->pending--;
    ub_free(w);
}

static void say(struct ctl_client *cl, const char *fmt, ...) UB_PRINTF(2, 3);
static void say(struct ctl_client *cl, const char *fmt, ...)
{
    char line[LINE_MAX_ + 64];
    struct ctl_write *w;
    va_list ap;
    int n;
    uv_buf_t b;

    if (cl->closing)
        return;
    if (cl->pending >= MAX_PENDING_WRITES) {
        client_close(cl);
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    w = ub_malloc(sizeof(*w) + (size_t)n);
    if (!w)
        return;
    memcpy(w->data, line, (size_t)n);
    w->cl = cl;
    b = uv_buf_init(w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&cl->h, &b, 1, on_written) != 0) {
        ub_free(w);
        client_close(cl);
        return;
    }
    cl->pending++;
}

/* Next space-separated word of *p (modified in place), or NULL. */
static char *word(char **p)
{
    char *s = *p, *w;

    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return NULL;
    w = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = 0;
    *p = s;
    return w;
}

static char *rest(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static void inform(struct sim_device *d, const char *ev)
{
    sim_cpe_event(&d->cpe, *ev ? ev : "6 CONNECTION REQUEST", NULL);
    sim_device_want_session(d);
}

static void handle_line(struct ctl_client *cl, char *line)
{
    struct sim_engine *e = cl->c->e;
    char *p = line, *cmd = word(&p), *serial, *path;
    struct sim_device *d = NULL;
    int err;

    if (!cmd)
        return;
    if (strcmp(cmd, "quit") == 0) {
        say(cl, "ok");
        client_close(cl);
        return;
    }
    if (strcmp(cmd, "stats") == 0) {
        say(cl, "ok sessions_ok=%llu sessions_failed=%llu active=%u",
            (unsigned long long)e->ok, (unsigned long long)e->failed, e->active);
        return;
    }
    serial = word(&p);
    if (!serial) {
        say(cl, "err usage: set|get|add|del|inform <serial> ...");
        return;
    }
    if (strcmp(cmd, "inform") == 0 && strcmp(serial, "*") == 0) {
        const char *ev = rest(&p);
        for (size_t i = 0; i < e->n; i++)
            inform(&e->devs[i], ev);
        say(cl, "ok %zu", e->n);
        return;
    }
    d = sim_engine_find(e, serial);
    if (!d) {
        say(cl, "err no such device");
        return;
    }
    if (strcmp(cmd, "inform") == 0) {
        inform(d, rest(&p));
        say(cl, "ok");
        return;
    }
    path = word(&p);
    if (!path) {
        say(cl, "err missing path");
        return;
    }
    if (strcmp(cmd, "set") == 0) {
        bool active = false;
        err = sim_cpe_local_set(&d->cpe, path, rest(&p), &active);
        if (err) {
            say(cl, "err %s", err == UB_ENOTFOUND ? "no such parameter"
                              : err == UB_EINVAL  ? "invalid value"
                                                  : ub_strerror(err));
            return;
        }
        if (active)
            sim_device_want_session(d);
        say(cl, "ok");
    } else if (strcmp(cmd, "get") == 0) {
        const struct sim_node *nd = sim_dm_find(&d->cpe.dm, path, NULL);
        char tmp[64];
        if (!nd || (nd->flags & SIM_F_OBJECT)) {
            say(cl, "err no such parameter");
            return;
        }
        say(cl, "ok %s", sim_dm_value(&d->cpe.dm, nd, tmp, sizeof(tmp)));
    } else if (strcmp(cmd, "add") == 0) {
        unsigned inst;
        err = sim_dm_add(&d->cpe.dm, path, 0, &d->cpe.mac, &inst);
        if (err) {
            say(cl, "err %s", err == UB_ENOTFOUND ? "no such table"
                                                  : ub_strerror(err));
            return;
        }
        d->cpe.dirty = true;
        say(cl, "ok %u", inst);
    } else if (strcmp(cmd, "del") == 0) {
        err = sim_dm_del(&d->cpe.dm, path);
        if (err) {
            say(cl, "err %s", err == UB_ENOTFOUND ? "no such instance"
                                                  : ub_strerror(err));
            return;
        }
        d->cpe.dirty = true;
        say(cl, "ok");
    } else {
        say(cl, "err unknown command");
    }
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    struct ctl_client *cl = h->data;

    (void)sz;
    b->base = cl->buf + cl->len;
    b->len = sizeof(cl->buf) - cl->len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct ctl_client *cl = s->data;
    char *start, *nl;

    (void)b;
    if (n < 0) {
        client_close(cl);
        return;
    }
    cl->len += (size_t)n;
    start = cl->buf;
    while (!cl->closing &&
           (nl = memchr(start, '\n', cl->len - (size_t)(start - cl->buf)))) {
        *nl = 0;
        if (nl > start && nl[-1] == '\r')
            nl[-1] = 0;
        handle_line(cl, start);
        start = nl + 1;
    }
    cl->len -= (size_t)(start - cl->buf);
    memmove(cl->buf, start, cl->len);
    /* Exit (close) if a line does not fit the buffer. */
    if (cl->len == sizeof(cl->buf)) {
        say(cl, "err line too long");
        client_close(cl);
    }
}

static void on_connection(uv_stream_t *srv, int status)
{
    struct sim_control *c = srv->data;
    struct ctl_client *cl;

    if (status < 0)
        return;
    cl = ub_calloc(1, sizeof(*cl));
    if (!cl)
        return;
    cl->c = c;
    uv_tcp_init(c->e->loop, &cl->h);
    cl->h.data = cl;
    ub_list_insert_tail(&c->clients, &cl->link);
    c->n_clients++;
    if (uv_accept(srv, (uv_stream_t *)&cl->h) != 0) {
        client_close(cl);
        return;
    }
    /* Exit (close) if there are too many control connections. */
    if (c->n_clients > MAX_CLIENTS) {
        say(cl, "err too many control connections");
        client_close(cl);
        return;
    }
    uv_read_start((uv_stream_t *)&cl->h, on_alloc, on_read);
}

static void srv_closed(uv_handle_t *h)
{
    struct sim_control *c = h->data;

    c->srv_closed = true;
    if (c->n_clients == 0)
        ub_free(c);
}

int sim_control_start(struct sim_engine *e, struct sim_control **out)
{
    struct sim_control *c = ub_calloc(1, sizeof(*c));
    struct sockaddr_in sa;
    struct sockaddr_storage bound;
    int len = sizeof(bound), rc;
    char f[64];

    if (!c)
        return UB_ENOMEM;
    c->e = e;
    ub_list_init(&c->clients);
    uv_tcp_init(e->loop, &c->srv);
    c->srv.data = c;
    uv_ip4_addr("127.0.0.1", e->o->control_port, &sa);
    rc = uv_tcp_bind(&c->srv, (const struct sockaddr *)&sa, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&c->srv, 16, on_connection);
    if (!rc)
        rc = uv_tcp_getsockname(&c->srv, (struct sockaddr *)&bound, &len);
    if (rc) {
        UB_LOGE("cwmp-sim", "control port %d: %s", e->o->control_port,
                uv_strerror(rc));
        uv_close((uv_handle_t *)&c->srv, srv_closed);
        return UB_EIO;
    }
    snprintf(f, sizeof(f), "\"port\":%u",
             (unsigned)ntohs(((struct sockaddr_in *)&bound)->sin_port));
    sim_emit(e, "control_listen", NULL, f);
    if (!e->o->json)
        fprintf(stderr, "cwmp-sim: control on 127.0.0.1:%u\n",
                (unsigned)ntohs(((struct sockaddr_in *)&bound)->sin_port));
    *out = c;
    return UB_OK;
}


void sim_control_stop(struct sim_control *c)
{
    struct ub_list *l;

    if (!c || c->stopping)
        return;
    c->stopping = true;
    for (l = c->clients.next; l != &c->clients; l = l->next) {
        struct ctl_client *cl = UB_CONTAINER_OF(l, struct ctl_client, link);
        client_close(cl);
    }
    uv_close((uv_handle_t *)&c->srv, srv_closed);
}
