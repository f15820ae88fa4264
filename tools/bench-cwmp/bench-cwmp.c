/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * bench-cwmp: sessions per second of the ACS endpoint (ub_cwmp), measured
 * as CPU time of the server thread only.
 *
 * DESIGN: the server runs in-process on the main thread's libuv loop,
 * exactly as in uspbridged (no auth, no RPCs: the cheapest real session).
 * A load generator runs in C other threads with plain blocking sockets
 * (GnuTLS client for HTTPS); each session is a new TCP connection:
 *
 *   connect, [TLS handshake], POST Inform -> 200 InformResponse + cookie,
 *   POST empty (cookie) -> 204, close.
 *
 * The generator's cost is not counted: the server's figure is the
 * getrusage(RUSAGE_THREAD) delta of the loop thread.  Wall-clock rate is
 * printed too, but on a small shared machine the generator competes for
 * the same cores, so read "per server CPU second" as the capacity figure.
 *
 * Usage: bench-cwmp [-n sessions] [-c concurrency] [-r repetitions]
 *                   [-t none|full|resume] [-k ecdsa|rsa] [-d fixtures-dir]
 */
#include <ub/base.h>
#include <ub/cwmp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_FIXTURES
#define BENCH_FIXTURES "tests/fixtures/tls"
#endif

enum tls_mode { TLS_NONE, TLS_FULL, TLS_RESUME };

struct bench {
    unsigned n, c;
    enum tls_mode tls;
    const char *dir;
    const char *keytype;
    uint16_t port;
    unsigned next;          /* next session index (atomic) */
    unsigned ok, failed;    /* atomic */
    gnutls_certificate_credentials_t xcred;
    uv_async_t done;
    struct cwmp_server *srv;
};

static const char inform_fmt[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<soap-env:Envelope"
    " xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\""
    " xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\""
    " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
    " xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">"
    "<soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">%u</cwmp:ID>"
    "</soap-env:Header><soap-env:Body><cwmp:Inform>"
    "<DeviceId><Manufacturer>Acme</Manufacturer><OUI>00D09E</OUI>"
    "<ProductClass>GW</ProductClass><SerialNumber>B%u</SerialNumber>"
    "</DeviceId><Event soap-enc:arrayType=\"cwmp:EventStruct[1]\">"
    "<EventStruct><EventCode>2 PERIODIC</EventCode><CommandKey></CommandKey>"
    "</EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes>"
    "<CurrentTime>2026-11-25T08:00:00Z</CurrentTime>"
    "<RetryCount>0</RetryCount>"
    "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[0]\">"
    "</ParameterList></cwmp:Inform></soap-env:Body></soap-env:Envelope>";

/* ---- generator: one blocking connection ---- */

struct conn {
    int fd;
    gnutls_session_t tls;
    char buf[16384];
    size_t have;
};

static int c_send(struct conn *c, const char *p, size_t n)
{
    while (n) {
        ssize_t k = c->tls ? gnutls_record_send(c->tls, p, n)
                           : send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && (c->tls ? (k == GNUTLS_E_AGAIN ||
                                k == GNUTLS_E_INTERRUPTED)
                             : errno == EINTR))
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int c_fill(struct conn *c)
{
    ssize_t k;

    if (c->have >= sizeof(c->buf) - 1)
        return -1;
    do
        k = c->tls ? gnutls_record_recv(c->tls, c->buf + c->have,
                                        sizeof(c->buf) - 1 - c->have)
                   : recv(c->fd, c->buf + c->have,
                          sizeof(c->buf) - 1 - c->have, 0);
    while (k < 0 && (c->tls ? (k == GNUTLS_E_AGAIN ||
                               k == GNUTLS_E_INTERRUPTED)
                            : errno == EINTR));
    if (k <= 0)
        return -1;
    c->have += (size_t)k;
    c->buf[c->have] = '\0';
    return 0;
}

/* Reads one response; returns the status, fills cookie if one is set. */
static int c_response(struct conn *c, char *cookie, size_t cookiesz)
{
    char *end, *p;
    size_t hlen, clen = 0, total;
    int status;

    while (!(end = strstr(c->buf, "\r\n\r\n")))
        if (c_fill(c))
            return -1;
    hlen = (size_t)(end - c->buf) + 4;
    if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    for (p = c->buf; p && p < end; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtoul(p + 15, NULL, 10);
        else if (cookie && strncasecmp(p, "Set-Cookie:", 11) == 0) {
            size_t n = 0;
            p += 11;
            while (*p == ' ')
                p++;
            while (p[n] && p[n] != ';' && p[n] != '\r' && n < cookiesz - 1)
                n++;
            memcpy(cookie, p, n);
            cookie[n] = '\0';
        }
    }
    total = hlen + clen;
    while (c->have < total)
        if (c_fill(c))
            return -1;
    memmove(c->buf, c->buf + total, c->have - total);
    c->have -= total;
    c->buf[c->have] = '\0';
    return status;
}

static int one_session(struct bench *b, unsigned idx, gnutls_datum_t *resume)
{
    struct conn c;
    struct sockaddr_in a;
    char body[2048], req[3072], cookie[128] = "";
    int one = 1, n, rc = -1, st;

    memset(&c, 0, sizeof(c));
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0)
        return -1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(b->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c.fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto out;
    if (b->tls != TLS_NONE) {
        int r;
        gnutls_init(&c.tls, GNUTLS_CLIENT);
        gnutls_set_default_priority(c.tls);
        gnutls_credentials_set(c.tls, GNUTLS_CRD_CERTIFICATE, b->xcred);
        gnutls_transport_set_int(c.tls, c.fd);
        if (b->tls == TLS_RESUME && resume->data)
            gnutls_session_set_data(c.tls, resume->data, resume->size);
        do
            r = gnutls_handshake(c.tls);
        while (r < 0 && !gnutls_error_is_fatal(r));
        if (r < 0)
            goto out;
    }
    n = snprintf(body, sizeof(body), inform_fmt, idx, idx);
    n = snprintf(req, sizeof(req),
                 "POST /acs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: text/xml; charset=\"utf-8\"\r\n"
                 "SOAPAction: \r\nContent-Length: %d\r\n\r\n%s",
                 n, body);
    if (c_send(&c, req, (size_t)n))
        goto out;
    st = c_response(&c, cookie, sizeof(cookie));
    if (st != 200)
        goto out;
    n = snprintf(req, sizeof(req),
                 "POST /acs HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s\r\n"
                 "Content-Length: 0\r\n\r\n",
                 cookie);
    if (c_send(&c, req, (size_t)n))
        goto out;
    st = c_response(&c, NULL, 0);
    if (st != 204)
        goto out;
    if (b->tls == TLS_RESUME && !resume->data)
        gnutls_session_get_data2(c.tls, resume);
    rc = 0;
out:
    if (c.tls) {
        gnutls_bye(c.tls, GNUTLS_SHUT_WR);
        gnutls_deinit(c.tls);
    }
    close(c.fd);
    return rc;
}

static void *gen_thread(void *arg)
{
    struct bench *b = arg;
    gnutls_datum_t resume = {NULL, 0};
    unsigned i;

    while ((i = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED)) < b->n) {
        if (one_session(b, i, &resume) == 0)
            __atomic_add_fetch(&b->ok, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&b->failed, 1, __ATOMIC_RELAXED);
    }
    gnutls_free(resume.data);
    return NULL;
}

/* ---- server side (main thread) ---- */

static int on_inform(void *user, const char *devkey,
                     const struct cwmp_msg *inform)
{
    (void)user;
    (void)devkey;
    (void)inform;
    return UB_OK;
}

static void closed(uv_handle_t *h) { (void)h; }
static void stopped(void *user) { (void)user; }

static void on_done(uv_async_t *a)
{
    struct bench *b = a->data;

    uv_close((uv_handle_t *)a, closed);
    cwmp_server_stop(b->srv, stopped, b);
}

static void *gen_main(void *arg)
{
    struct bench *b = arg;
    pthread_t th[256];
    unsigned i;

    for (i = 0; i < b->c; i++)
        pthread_create(&th[i], NULL, gen_thread, b);
    for (i = 0; i < b->c; i++)
        pthread_join(th[i], NULL);
    uv_async_send(&b->done);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_THREAD, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct result {
    double wall, cpu, per_cpu, per_wall, us;
    uint64_t resumed, tls;
    unsigned ok, failed;
};

static int run_once(struct bench *b, struct result *res)
{
    uv_loop_t loop;
    struct cwmp_server_config cfg;
    struct cwmp_callbacks cb;
    struct cwmp_server_stats st;
    pthread_t gen;
    char cert[512], key[512];
    double w0, c0;
    int err;

    uv_loop_init(&loop);
    cwmp_server_config_init(&cfg);
    cfg.bind_addr = "127.0.0.1";
    cfg.port = 0;
    cfg.path = "/acs";
    cfg.max_sessions = 100000;
    if (b->tls != TLS_NONE) {
        snprintf(cert, sizeof(cert), "%s/%s.pem", b->dir,
                 strcmp(b->keytype, "rsa") == 0 ? "server-rsa" : "server");
        snprintf(key, sizeof(key), "%s/%s.key", b->dir,
                 strcmp(b->keytype, "rsa") == 0 ? "server-rsa" : "server");
        cfg.tls_cert_file = cert;
        cfg.tls_key_file = key;
    }
    memset(&cb, 0, sizeof(cb));
    cb.on_inform = on_inform;
    err = cwmp_server_create(&loop, &cfg, &cb, &b->srv);
    if (!err)
        err = cwmp_server_start(b->srv);
    if (err) {
        fprintf(stderr, "server: %s\n", ub_strerror(err));
        return 1;
    }
    b->port = cwmp_server_port(b->srv);
    b->next = b->ok = b->failed = 0;
    uv_async_init(&loop, &b->done, on_done);
    b->done.data = b;
    w0 = now_s();
    c0 = thread_cpu_s();
    pthread_create(&gen, NULL, gen_main, b);
    uv_run(&loop, UV_RUN_DEFAULT);
    res->cpu = thread_cpu_s() - c0;
    res->wall = now_s() - w0;
    pthread_join(gen, NULL);
    cwmp_server_get_stats(b->srv, &st);
    cwmp_server_destroy(b->srv);
    uv_loop_close(&loop);
    res->ok = b->ok;
    res->failed = b->failed;
    res->per_cpu = res->cpu > 0 ? res->ok / res->cpu : 0;
    res->per_wall = res->wall > 0 ? res->ok / res->wall : 0;
    res->us = res->ok ? res->cpu * 1e6 / res->ok : 0;
    res->resumed = st.tls_resumed;
    res->tls = st.tls_connections;
    return st.sessions_total == res->ok ? 0 : 2;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct bench b;
    struct result res[32];
    double v[32];
    unsigned reps = 3, i;
    int opt, rc = 0;

    memset(&b, 0, sizeof(b));
    b.n = 20000;
    b.c = 8;
    b.dir = BENCH_FIXTURES;
    b.keytype = "ecdsa";
    while ((opt = getopt(argc, argv, "n:c:r:t:k:d:h")) != -1) {
        switch (opt) {
        case 'n': b.n = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'c': b.c = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'r': reps = (unsigned)strtoul(optarg, NULL, 10); break;
        case 't':
            b.tls = strcmp(optarg, "full") == 0     ? TLS_FULL
                    : strcmp(optarg, "resume") == 0 ? TLS_RESUME
                                                    : TLS_NONE;
            break;
        case 'k': b.keytype = optarg; break;
        case 'd': b.dir = optarg; break;
        default:
            fprintf(stderr,
                    "usage: %s [-n sessions] [-c concurrency] [-r reps] "
                    "[-t none|full|resume] [-k ecdsa|rsa] [-d fixtures]\n",
                    argv[0]);
            return opt == 'h' ? 0 : 1;
        }
    }
    if (b.c < 1 || b.c > 256 || reps < 1 || reps > 32 || b.n < 1) {
        fprintf(stderr, "bad arguments\n");
        return 1;
    }
    ub_log_set_level(UB_LOG_WARN);
    gnutls_global_init();
    gnutls_certificate_allocate_credentials(&b.xcred);
    {
        char ca[512];
        snprintf(ca, sizeof(ca), "%s/ca.pem", b.dir);
        gnutls_certificate_set_x509_trust_file(b.xcred, ca,
                                               GNUTLS_X509_FMT_PEM);
    }
    printf("bench-cwmp: %u sessions x %u reps, concurrency %u, %s%s%s\n",
           b.n, reps, b.c,
           b.tls == TLS_NONE   ? "HTTP"
           : b.tls == TLS_FULL ? "HTTPS full handshakes"
                               : "HTTPS resumed sessions",
           b.tls != TLS_NONE ? ", key " : "",
           b.tls != TLS_NONE ? b.keytype : "");
    for (i = 0; i < reps; i++) {
        int r = run_once(&b, &res[i]);
        if (r)
            rc = r;
        printf("  run %u: ok %u failed %u  wall %.3f s (%.0f/s)  server CPU "
               "%.3f s  -> %.0f sessions/s per server CPU second, %.1f us "
               "each",
               i + 1, res[i].ok, res[i].failed, res[i].wall, res[i].per_wall,
               res[i].cpu, res[i].per_cpu, res[i].us);
        if (b.tls != TLS_NONE)
            printf("  (TLS resumed %" PRIu64 "/%" PRIu64 ")", res[i].resumed,
                   res[i].tls);
        printf("\n");
        v[i] = res[i].per_cpu;
    }
    qsort(v, reps, sizeof(v[0]), cmp_d);
    printf("median: %.0f sessions/s per server CPU second (%.1f us/session)\n",
           v[reps / 2], v[reps / 2] > 0 ? 1e6 / v[reps / 2] : 0.0);
    for (i = 0; i < reps; i++)
        v[i] = res[i].per_wall;
    qsort(v, reps, sizeof(v[0]), cmp_d);
    printf("median wall: %.0f sessions/s (generator on the same cores)\n",
           v[reps / 2]);
    gnutls_certificate_free_credentials(b.xcred);
    gnutls_global_deinit();
    return rc;
}
