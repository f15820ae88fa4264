/*
 * bench-usp: a USP Controller load generator for uspbridged.  Prints
 * figures, asserts nothing about time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Sends N requests per run (Get of --get paths, or Set of --set values) to
 * the bridged agents named by --to, round robin, keeping a window of W
 * requests outstanding: each reply (matched by msg_id) sends the next
 * request.  For every run it prints the wall rate, the CPU time uspbridged
 * spent (--pid: /proc/<pid>/stat utime+stime and, with nanosecond
 * resolution, the sum of /proc/<pid>/task/<tid>/schedstat), the rate per
 * bridge CPU second and bridge CPU per request, and latency p50/p99/max
 * (send to reply decoded); then the median over --runs runs.  The load
 * generator's own CPU is measured with getrusage and printed apart, so it
 * never counts as the bridge's.
 *
 * Transports:
 *  - MQTT 5 (--broker HOST:PORT): libmosquitto with its own network thread
 *    (mosquitto_loop_start).  Requests are published to the agent topic
 *    (--agent-topic, "%s" = endpoint ID) with Response Topic = --topic and
 *    Content Type application/vnd.bbf.usp.msg.  The main thread sends the
 *    first window; the rest is sent from the on_message callback.  One
 *    mutex serialises everything that touches ub_usp/ub_base (their
 *    allocation accounting is not thread safe).
 *  - WebSocket (--ws URL-PREFIX, e.g. ws://127.0.0.1:8080/usp/): one
 *    session per agent at <prefix><eid>, through the usp module's own MTP
 *    client on a libuv loop (single thread; the mutex is then uncontended).
 *
 * Replies are decoded (record + msg) and checked: a GetResp/SetResp with
 * every result successful counts ok; a USP Error, a failed result or an
 * unexpected type counts as an error (the first one is printed).  Replies
 * of an earlier run (stale msg_id) are ignored.  A run with no reply for
 * --timeout seconds ends early and reports the requests lost.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <uv.h>

#include <ub/usp.h>

#define MAX_AGENTS 1024
#define MAX_PATHS 32
#define MAX_RUNS 64

static const char usage_text[] =
    "Usage: bench-usp (--broker HOST:PORT | --ws URL-PREFIX) --to EID[,EID...]\n"
    "                 [--get PATH]... | [--set PATH=VALUE]...\n"
    "                 [-n N] [-w W] [-r RUNS] [--pid PID] [--broker-pid PID]\n"
    "                 [--from EID] [--topic T] [--agent-topic FMT] [--qos 0|1]\n"
    "                 [--timeout S] [--label NAME]\n"
    "\n"
    "  --broker HOST:PORT  MQTT 5 broker (libmosquitto client)\n"
    "  --ws URL-PREFIX     USP WebSocket MTP: agent E is at URL-PREFIX<E>\n"
    "  --to EIDS           bridged agents, comma separated (round robin)\n"
    "  --get PATH          a path of the Get (repeatable; default\n"
    "                      Device.LocalAgent.EndpointID)\n"
    "  --set PATH=VALUE    a Set instead of a Get (repeatable); {seq} in\n"
    "                      VALUE is replaced by the request number\n"
    "  -n N                requests per run (20000)\n"
    "  -w W                requests outstanding (32)\n"
    "  -r RUNS             runs; the summary is their median (5)\n"
    "  --pid PID           uspbridged: its CPU is measured per run\n"
    "  --broker-pid PID    mosquitto: its CPU is printed too (MQTT)\n"
    "  --from EID          controller endpoint ID (self::bench)\n"
    "  --topic T           controller topic = Response Topic\n"
    "                      (usp/controller/bench)\n"
    "  --agent-topic FMT   agent topic, %s = EID (usp/agents/%s)\n"
    "  --qos Q             MQTT QoS of requests and subscription (1)\n"
    "  --timeout S         a run ends after S seconds without a reply (10)\n"
    "  --label NAME        prefix of the output lines (get)\n"
    "Exit status: 0 if every request of every run was answered without\n"
    "error, 1 otherwise, 2 for usage or connection errors.\n";

/* ---- CPU of another process ---- */

struct pcpu {
    double stat_s;  /* utime+stime from /proc/<pid>/stat (clock ticks) */
    double sched_s; /* sum of per-thread schedstat run time (ns) */
    bool ok;
};

static void pcpu_read(pid_t pid, struct pcpu *out)
{
    char path[64], buf[1024];
    FILE *f;
    size_t n;
    unsigned long ut = 0, st = 0;
    DIR *d;
    struct dirent *de;
    unsigned long long ns = 0;

    memset(out, 0, sizeof(*out));
    if (pid <= 0)
        return;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    {
        /* comm may hold spaces and parentheses: fields follow the last ')' */
        const char *p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                                "%lu %lu", &ut, &st) != 2)
            return;
    }
    out->stat_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    out->ok = true;
    snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
    d = opendir(path);
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char tp[300];
        unsigned long long v;
        if (de->d_name[0] == '.')
            continue;
        snprintf(tp, sizeof(tp), "/proc/%ld/task/%s/schedstat", (long)pid,
                 de->d_name);
        f = fopen(tp, "r");
        if (!f)
            continue;
        if (fscanf(f, "%llu", &v) == 1)
            ns += v;
        fclose(f);
    }
    closedir(d);
    out->sched_s = (double)ns / 1e9;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- state ---- */

struct setting {
    char obj[UB_PATH_MAX + 1];
    const char *param;
    const char *value; /* may hold {seq} */
};

struct run_result {
    unsigned answered, errors, lost;
    double wall_s, rate;
    double br_stat_s, br_sched_s, br_per_cpu_s, br_us_per_req;
    double mq_s;   /* broker CPU (stat), -1 if unknown */
    double gen_s;  /* our own CPU */
    double p50_ms, p99_ms, max_ms;
};

struct bench {
    /* options */
    const char *broker_host;
    int broker_port;
    const char *ws_prefix;
    char *to[MAX_AGENTS];
    size_t n_to;
    const char *paths[MAX_PATHS];
    size_t n_paths;
    struct setting sets[MAX_PATHS];
    size_t n_sets;
    unsigned n, w, runs;
    pid_t pid, broker_pid;
    const char *from, *topic, *agent_topic;
    int qos;
    double timeout_s;
    const char *label;

    /* transport */
    struct mosquitto *mosq;
    mosquitto_property *props;
    char **agent_topics;
    uv_loop_t *loop;
    struct usp_mtp *mtp;
    uint64_t ws_conn[MAX_AGENTS];
    size_t ws_up;
    uv_timer_t tick;

    /* run state, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned run;     /* current run number (1-based) */
    bool running;
    bool connected, subscribed, conn_failed;
    unsigned sent, answered, errors, stale;
    uint64_t *t_sent; /* per seq; 0 = answered */
    uint64_t *lat_ns; /* per answer */
    uint64_t last_progress_ns;
    uint64_t t0_ns;
    struct pcpu br0, mq0;
    double gen0;
    bool printed_err;
    struct run_result res[MAX_RUNS];
    unsigned n_res;
    bool failed;
};

/* ---- requests ---- */

/* Encodes request seq into a record (returned owned, ub_free).  mu held. */
static int build_request(struct bench *b, unsigned seq, const char *to,
                         uint8_t **rec, size_t *rec_len)
{
    char msg_id[64];
    struct usp_msg m;
    struct usp_obj_settings objs[MAX_PATHS];
    struct usp_param_setting ps[MAX_PATHS];
    char vals[MAX_PATHS][256];
    uint8_t *mb = NULL;
    size_t ml = 0;
    int err;

    snprintf(msg_id, sizeof(msg_id), "bench-%u-%u", b->run, seq);
    memset(&m, 0, sizeof(m));
    m.msg_id = msg_id;
    if (b->n_sets) {
        m.type = USP_MSG_SET;
        m.set.allow_partial = false;
        for (size_t i = 0; i < b->n_sets; i++) {
            const char *v = b->sets[i].value, *q = strstr(v, "{seq}");
            if (q)
                snprintf(vals[i], sizeof(vals[i]), "%.*s%u%s", (int)(q - v), v,
                         seq, q + 5);
            else
                snprintf(vals[i], sizeof(vals[i]), "%s", v);
            ps[i].param = b->sets[i].param;
            ps[i].value = vals[i];
            ps[i].required = true;
            objs[i].obj_path = b->sets[i].obj;
            objs[i].params = &ps[i];
            objs[i].n_params = 1;
        }
        m.set.objs = objs;
        m.set.n_objs = b->n_sets;
    } else {
        m.type = USP_MSG_GET;
        m.get.paths = b->paths;
        m.get.n_paths = b->n_paths;
    }
    err = usp_msg_encode(&m, 0, &mb, &ml);
    if (!err)
        err = usp_record_wrap(to, b->from, mb, ml, rec, rec_len);
    ub_free(mb);
    return err;
}

/* Sends request number b->sent (mu held). */
static int send_next(struct bench *b)
{
    unsigned seq = b->sent;
    size_t a = seq % b->n_to;
    uint8_t *rec = NULL;
    size_t len = 0;
    int err = build_request(b, seq, b->to[a], &rec, &len);

    if (err) {
        fprintf(stderr, "bench-usp: encode: %s\n", ub_strerror(err));
        return err;
    }
    b->sent++;
    b->t_sent[seq] = mono_ns();
    if (b->mosq) {
        int rc = mosquitto_publish_v5(b->mosq, NULL, b->agent_topics[a],
                                      (int)len, rec, b->qos, false, b->props);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "bench-usp: publish: %s\n", mosquitto_strerror(rc));
            err = UB_EIO;
        }
    } else {
        struct usp_mtp_dest d;
        memset(&d, 0, sizeof(d));
        d.kind = USP_MTP_WS;
        d.agent_eid = b->from;
        d.conn_id = b->ws_conn[a];
        err = usp_mtp_send(b->mtp, &d, rec, len);
        if (err)
            fprintf(stderr, "bench-usp: ws send: %s\n", ub_strerror(err));
    }
    ub_free(rec);
    return err;
}

static void note_error(struct bench *b, const char *what)
{
    b->errors++;
    if (!b->printed_err) {
        b->printed_err = true;
        fprintf(stderr, "bench-usp: first error reply: %s\n", what);
    }
}

/* Checks a decoded reply; returns true if it is a success. */
static bool check_reply(struct bench *b, const struct usp_msg *m)
{
    char what[512];

    if (m->type == USP_MSG_ERROR) {
        snprintf(what, sizeof(what), "Error %u %s", m->error.err_code,
                 m->error.err_msg);
        note_error(b, what);
        return false;
    }
    if (b->n_sets) {
        if (m->type != USP_MSG_SET_RESP) {
            snprintf(what, sizeof(what), "unexpected %s",
                     usp_msg_type_name(m->type));
            note_error(b, what);
            return false;
        }
        for (size_t i = 0; i < m->set_resp.n_results; i++) {
            const struct usp_set_result *r = &m->set_resp.results[i];
            if (!r->success) {
                snprintf(what, sizeof(what), "SetResp %s: %u %s",
                         r->requested_path, r->err_code, r->err_msg);
                note_error(b, what);
                return false;
            }
        }
        return true;
    }
    if (m->type != USP_MSG_GET_RESP) {
        snprintf(what, sizeof(what), "unexpected %s",
                 usp_msg_type_name(m->type));
        note_error(b, what);
        return false;
    }
    for (size_t i = 0; i < m->get_resp.n_results; i++) {
        const struct usp_get_result *r = &m->get_resp.results[i];
        if (r->err_code || r->n_resolved == 0) {
            snprintf(what, sizeof(what), "GetResp %s: %u %s (%zu resolved)",
                     r->requested_path, r->err_code, r->err_msg,
                     r->n_resolved);
            note_error(b, what);
            return false;
        }
    }
    return true;
}

static void run_finish(struct bench *b);

/* A record arrived (any thread; takes mu). */
static void on_reply(struct bench *b, const void *data, size_t len)
{
    struct usp_record *rec = NULL;
    struct usp_record_diag diag;
    struct usp_msg *m = NULL;
    unsigned run, seq;
    uint64_t now = mono_ns();

    pthread_mutex_lock(&b->mu);
    if (!b->running)
        goto out;
    if (usp_record_decode(data, len, NULL, &rec, &diag) != UB_OK) {
        note_error(b, diag.msg);
        goto out;
    }
    if (rec->kind != USP_REC_NO_SESSION)
        goto out; /* connect records */
    if (usp_msg_decode(rec->payload, rec->payload_len, &m) != UB_OK) {
        note_error(b, "undecodable Msg");
        goto out;
    }
    if (sscanf(m->msg_id, "bench-%u-%u", &run, &seq) != 2 || run != b->run ||
        seq >= b->sent || !b->t_sent[seq]) {
        b->stale++;
        goto out;
    }
    b->lat_ns[b->answered++] = now - b->t_sent[seq];
    b->t_sent[seq] = 0;
    b->last_progress_ns = now;
    (void)check_reply(b, m);
    if (b->sent < b->n) {
        if (send_next(b))
            b->failed = true;
    }
    if (b->answered == b->sent && (b->sent == b->n || b->failed))
        run_finish(b);
out:
    usp_msg_free(m);
    usp_record_free(rec);
    pthread_mutex_unlock(&b->mu);
}

/* ---- runs ---- */

/* Starts run b->run + 1 (mu held). */
static int run_start(struct bench *b)
{
    int err = UB_OK;

    b->run++;
    b->sent = b->answered = b->errors = b->stale = 0;
    b->printed_err = false;
    memset(b->t_sent, 0, b->n * sizeof(*b->t_sent));
    pcpu_read(b->pid, &b->br0);
    pcpu_read(b->broker_pid, &b->mq0);
    b->gen0 = self_cpu_s();
    b->t0_ns = b->last_progress_ns = mono_ns();
    b->running = true;
    for (unsigned i = 0; i < b->w && b->sent < b->n && !err; i++)
        err = send_next(b);
    return err;
}

/* Ends the current run (mu held); wakes the main thread. */
static void run_finish(struct bench *b)
{
    struct run_result *r = &b->res[b->n_res++];
    struct pcpu br1, mq1;
    uint64_t t1 = mono_ns();

    pcpu_read(b->pid, &br1);
    pcpu_read(b->broker_pid, &mq1);
    b->running = false;
    memset(r, 0, sizeof(*r));
    r->answered = b->answered;
    r->errors = b->errors;
    r->lost = b->sent - b->answered + (b->n - b->sent);
    r->wall_s = (double)(t1 - b->t0_ns) / 1e9;
    r->rate = r->wall_s > 0 ? b->answered / r->wall_s : 0;
    r->gen_s = self_cpu_s() - b->gen0;
    r->br_stat_s = br1.ok && b->br0.ok ? br1.stat_s - b->br0.stat_s : -1;
    r->br_sched_s = br1.ok && b->br0.ok ? br1.sched_s - b->br0.sched_s : -1;
    r->mq_s = mq1.ok && b->mq0.ok ? mq1.stat_s - b->mq0.stat_s : -1;
    {
        /* schedstat has ns resolution; stat ticks are 10 ms */
        double cpu = r->br_sched_s > 0 ? r->br_sched_s : r->br_stat_s;
        r->br_per_cpu_s = cpu > 0 ? b->answered / cpu : 0;
        r->br_us_per_req = b->answered && cpu >= 0 ? cpu * 1e6 / b->answered
                                                   : 0;
    }
    if (b->answered) {
        qsort(b->lat_ns, b->answered, sizeof(*b->lat_ns), cmp_u64);
        r->p50_ms = (double)b->lat_ns[(b->answered - 1) / 2] / 1e6;
        r->p99_ms = (double)b->lat_ns[(size_t)((b->answered - 1) * 0.99)] / 1e6;
        r->max_ms = (double)b->lat_ns[b->answered - 1] / 1e6;
    }
    printf("%s run %u: %u/%u answered, %u errors, %u lost in %.3f s: "
           "%.0f req/s wall; ",
           b->label, b->run, r->answered, b->n, r->errors, r->lost, r->wall_s,
           r->rate);
    if (r->br_stat_s >= 0)
        printf("bridge CPU %.3f s (stat %.2f s): %.0f req per bridge CPU-s, "
               "%.1f us/req; ", r->br_sched_s, r->br_stat_s, r->br_per_cpu_s,
               r->br_us_per_req);
    else
        printf("bridge CPU n/a%s; ", b->pid ? " (process gone?)" : "");
    printf("latency p50 %.3f p99 %.3f max %.3f ms; generator CPU %.2f s",
           r->p50_ms, r->p99_ms, r->max_ms, r->gen_s);
    if (r->mq_s >= 0)
        printf("; broker CPU %.2f s", r->mq_s);
    printf("\n");
    fflush(stdout);
    if (r->errors || r->lost || b->stale)
        b->failed = true;
    pthread_cond_broadcast(&b->cv);
}

/* Stall check (mu held): ends the run if nothing came back for timeout. */
static bool run_stalled(struct bench *b)
{
    if (!b->running)
        return false;
    if ((double)(mono_ns() - b->last_progress_ns) / 1e9 < b->timeout_s)
        return false;
    fprintf(stderr, "bench-usp: run %u: no reply for %.0f s (%u of %u sent "
            "answered)\n", b->run, b->timeout_s, b->answered, b->sent);
    run_finish(b);
    return true;
}

static double med(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_d);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

static void summary(struct bench *b)
{
    double v[7][MAX_RUNS];
    double maxmax = 0;
    unsigned n = b->n_res, errs = 0, lost = 0;

    for (unsigned i = 0; i < n; i++) {
        const struct run_result *r = &b->res[i];
        v[0][i] = r->rate;
        v[1][i] = r->br_per_cpu_s;
        v[2][i] = r->br_us_per_req;
        v[3][i] = r->p50_ms;
        v[4][i] = r->p99_ms;
        v[5][i] = r->gen_s;
        v[6][i] = r->mq_s;
        if (r->max_ms > maxmax)
            maxmax = r->max_ms;
        errs += r->errors;
        lost += r->lost;
    }
    printf("%s median of %u runs (N=%u, W=%u, %zu agents, %s): %.0f req/s "
           "wall, %.0f req per bridge CPU-s (%.1f us bridge CPU/req), "
           "latency p50 %.3f ms p99 %.3f ms, max %.3f ms (all runs); "
           "errors %u, lost %u",
           b->label, n, b->n, b->w, b->n_to,
           b->mosq ? (b->qos ? "MQTT 5 QoS 1" : "MQTT 5 QoS 0") : "WebSocket",
           med(v[0], n), med(v[1], n), med(v[2], n), med(v[3], n),
           med(v[4], n), maxmax, errs, lost);
    if (b->broker_pid > 0)
        printf("; broker CPU/run %.2f s", med(v[6], n));
    printf("; generator CPU/run %.2f s\n", med(v[5], n));
    if (!b->pid)
        printf("%s (no --pid: bridge CPU not measured)\n", b->label);
}

/* ---- MQTT transport ---- */

static void mq_on_connect(struct mosquitto *mosq, void *user, int rc, int flags,
                          const mosquitto_property *props)
{
    struct bench *b = user;
    (void)flags;
    (void)props;
    pthread_mutex_lock(&b->mu);
    if (rc) {
        fprintf(stderr, "bench-usp: CONNACK: %s\n",
                mosquitto_reason_string(rc));
        b->conn_failed = true;
    } else {
        b->connected = true;
        if (mosquitto_subscribe_v5(mosq, NULL, b->topic, b->qos, 0, NULL) !=
            MOSQ_ERR_SUCCESS)
            b->conn_failed = true;
    }
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void mq_on_subscribe(struct mosquitto *mosq, void *user, int mid,
                            int qos_count, const int *granted,
                            const mosquitto_property *props)
{
    struct bench *b = user;
    (void)mosq;
    (void)mid;
    (void)props;
    pthread_mutex_lock(&b->mu);
    if (qos_count < 1 || granted[0] >= 0x80)
        b->conn_failed = true;
    else
        b->subscribed = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void mq_on_message(struct mosquitto *mosq, void *user,
                          const struct mosquitto_message *msg,
                          const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    on_reply(user, msg->payload, (size_t)msg->payloadlen);
}

static void mq_on_disconnect(struct mosquitto *mosq, void *user, int rc,
                             const mosquitto_property *props)
{
    struct bench *b = user;
    (void)mosq;
    (void)props;
    if (rc)
        fprintf(stderr, "bench-usp: MQTT connection lost: %s\n",
                mosquitto_strerror(rc));
    pthread_mutex_lock(&b->mu);
    b->conn_failed = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void wait_until(struct bench *b, double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&b->cv, &b->mu, &ts);
}

static int run_mqtt(struct bench *b)
{
    char cid[64];
    int rc, ret = 2;
    uint64_t deadline;

    mosquitto_lib_init();
    snprintf(cid, sizeof(cid), "bench-usp-%ld", (long)getpid());
    b->mosq = mosquitto_new(cid, true, b);
    if (!b->mosq) {
        fprintf(stderr, "bench-usp: mosquitto_new failed\n");
        goto out;
    }
    mosquitto_int_option(b->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_max_inflight_messages_set(b->mosq, 0); /* the window rules */
    /* no Nagle delay on our side: a request is one small write */
    mosquitto_int_option(b->mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_v5_callback_set(b->mosq, mq_on_connect);
    mosquitto_subscribe_v5_callback_set(b->mosq, mq_on_subscribe);
    mosquitto_message_v5_callback_set(b->mosq, mq_on_message);
    mosquitto_disconnect_v5_callback_set(b->mosq, mq_on_disconnect);
    if (mosquitto_property_add_string(&b->props, MQTT_PROP_RESPONSE_TOPIC,
                                      b->topic) ||
        mosquitto_property_add_string(&b->props, MQTT_PROP_CONTENT_TYPE,
                                      USP_MTP_CT_MSG)) {
        fprintf(stderr, "bench-usp: properties: out of memory\n");
        goto out;
    }
    b->agent_topics = calloc(b->n_to, sizeof(char *));
    for (size_t i = 0; b->agent_topics && i < b->n_to; i++) {
        const char *pct = strstr(b->agent_topic, "%s");
        b->agent_topics[i] = pct ? ub_asprintf("%.*s%s%s",
                                               (int)(pct - b->agent_topic),
                                               b->agent_topic, b->to[i], pct + 2)
                                 : ub_strdup(b->agent_topic);
        if (!b->agent_topics[i])
            goto out;
    }
    rc = mosquitto_connect_bind_v5(b->mosq, b->broker_host, b->broker_port, 60,
                                   NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench-usp: connect %s:%d: %s\n", b->broker_host,
                b->broker_port, mosquitto_strerror(rc));
        goto out;
    }
    if (mosquitto_loop_start(b->mosq) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench-usp: mosquitto_loop_start failed\n");
        goto out;
    }
    pthread_mutex_lock(&b->mu);
    deadline = mono_ns() + 10000000000ull;
    while (!b->subscribed && !b->conn_failed && mono_ns() < deadline)
        wait_until(b, 0.2);
    if (!b->subscribed) {
        pthread_mutex_unlock(&b->mu);
        fprintf(stderr, "bench-usp: no MQTT session with %s:%d\n",
                b->broker_host, b->broker_port);
        goto stop;
    }
    ret = 0;
    for (unsigned r = 0; r < b->runs && !b->conn_failed; r++) {
        if (run_start(b)) {
            b->failed = true;
            run_finish(b);
            break;
        }
        while (b->running) {
            wait_until(b, 0.2);
            if (b->conn_failed && b->running)
                run_finish(b);
            else
                (void)run_stalled(b);
        }
    }
    pthread_mutex_unlock(&b->mu);
    summary(b);
    ret = b->failed || b->n_res < b->runs ? 1 : 0;
stop:
    mosquitto_disconnect_v5(b->mosq, 0, NULL);
    mosquitto_loop_stop(b->mosq, false);
out:
    if (b->mosq)
        mosquitto_destroy(b->mosq);
    mosquitto_property_free_all(&b->props);
    for (size_t i = 0; b->agent_topics && i < b->n_to; i++)
        ub_free(b->agent_topics[i]);
    free(b->agent_topics);
    mosquitto_lib_cleanup();
    return ret;
}

/* ---- WebSocket transport ---- */

static void ws_on_record(void *user, const struct usp_mtp_rx *rx)
{
    on_reply(user, rx->data, rx->len);
}

static void ws_next_run(struct bench *b)
{
    pthread_mutex_lock(&b->mu);
    if (b->run < b->runs && !b->failed) {
        if (run_start(b)) {
            b->failed = true;
            run_finish(b);
        }
    }
    pthread_mutex_unlock(&b->mu);
}

static void ws_on_state(void *user, uint64_t conn_id, const char *agent_eid,
                        const char *peer_eid, bool up)
{
    struct bench *b = user;
    (void)agent_eid;
    (void)peer_eid;
    (void)conn_id;
    if (up) {
        if (++b->ws_up == b->n_to)
            ws_next_run(b);
    } else if (b->running) {
        fprintf(stderr, "bench-usp: WebSocket session lost\n");
        pthread_mutex_lock(&b->mu);
        b->failed = true;
        run_finish(b);
        pthread_mutex_unlock(&b->mu);
    }
}

static void ws_tick(uv_timer_t *t)
{
    struct bench *b = t->data;
    bool done;

    pthread_mutex_lock(&b->mu);
    (void)run_stalled(b);
    if (!b->running && b->ws_up == b->n_to && b->run < b->runs && !b->failed) {
        if (run_start(b)) {
            b->failed = true;
            run_finish(b);
        }
    }
    done = !b->running && (b->run >= b->runs || b->failed ||
                           (b->ws_up < b->n_to &&
                            (double)(mono_ns() - b->t0_ns) / 1e9 > 10));
    pthread_mutex_unlock(&b->mu);
    if (done) {
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
        usp_mtp_destroy(b->mtp);
        b->mtp = NULL;
    }
}

static int run_ws(struct bench *b)
{
    uv_loop_t loop;
    struct usp_mtp_callbacks cb;
    int err;

    uv_loop_init(&loop);
    b->loop = &loop;
    memset(&cb, 0, sizeof(cb));
    cb.on_record = ws_on_record;
    cb.on_ws_state = ws_on_state;
    cb.user = b;
    err = usp_mtp_create(&loop, &cb, NULL, &b->mtp);
    for (size_t i = 0; !err && i < b->n_to; i++) {
        struct usp_mtp_ws_client_config wc;
        char *url = ub_asprintf("%s%s", b->ws_prefix, b->to[i]);
        if (!url) {
            err = UB_ENOMEM;
            break;
        }
        memset(&wc, 0, sizeof(wc));
        wc.url = url;
        wc.agent_eid = b->from; /* "?eid=": our (the controller's) ID */
        wc.controller_eid = b->to[i];
        wc.retry_min_ms = 1000;
        err = usp_mtp_ws_connect(b->mtp, &wc, &b->ws_conn[i]);
        ub_free(url);
    }
    if (err) {
        fprintf(stderr, "bench-usp: WebSocket setup: %s\n", ub_strerror(err));
        usp_mtp_destroy(b->mtp);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        return 2;
    }
    b->t0_ns = mono_ns();
    uv_timer_init(&loop, &b->tick);
    b->tick.data = b;
    uv_timer_start(&b->tick, ws_tick, 200, 200);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (b->ws_up < b->n_to && !b->n_res) {
        fprintf(stderr, "bench-usp: WebSocket sessions up: %zu of %zu\n",
                b->ws_up, b->n_to);
        return 2;
    }
    summary(b);
    return b->failed || b->n_res < b->runs ? 1 : 0;
}

/* ---- main ---- */

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (*end || errno || v > max)
        return -1;
    *out = v;
    return 0;
}

static int add_agents(struct bench *b, char *list)
{
    char *save = NULL;
    for (char *t = strtok_r(list, ", ", &save); t;
         t = strtok_r(NULL, ", ", &save)) {
        if (b->n_to >= MAX_AGENTS)
            return -1;
        b->to[b->n_to++] = t;
    }
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_BROKER = 256, O_WS, O_TO, O_GET, O_SET, O_PID, O_BPID, O_FROM,
           O_TOPIC, O_ATOPIC, O_QOS, O_TIMEOUT, O_LABEL };
    static const struct option lo[] = {
        {"broker", required_argument, NULL, O_BROKER},
        {"ws", required_argument, NULL, O_WS},
        {"to", required_argument, NULL, O_TO},
        {"get", required_argument, NULL, O_GET},
        {"set", required_argument, NULL, O_SET},
        {"pid", required_argument, NULL, O_PID},
        {"broker-pid", required_argument, NULL, O_BPID},
        {"from", required_argument, NULL, O_FROM},
        {"topic", required_argument, NULL, O_TOPIC},
        {"agent-topic", required_argument, NULL, O_ATOPIC},
        {"qos", required_argument, NULL, O_QOS},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"label", required_argument, NULL, O_LABEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct bench b; /* large: keep it off the stack */
    unsigned long v;
    int c, ret;
    char *hostbuf = NULL;

    b.n = 20000;
    b.w = 32;
    b.runs = 5;
    b.from = "self::bench";
    b.topic = "usp/controller/bench";
    b.agent_topic = "usp/agents/%s";
    b.qos = 1;
    b.timeout_s = 10;
    b.label = NULL;
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    signal(SIGPIPE, SIG_IGN);

    while ((c = getopt_long(argc, argv, "n:w:r:h", lo, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_uint(optarg, 100000000, &v) || !v)
                goto usage;
            b.n = (unsigned)v;
            break;
        case 'w':
            if (parse_uint(optarg, 100000, &v) || !v)
                goto usage;
            b.w = (unsigned)v;
            break;
        case 'r':
            if (parse_uint(optarg, MAX_RUNS, &v) || !v)
                goto usage;
            b.runs = (unsigned)v;
            break;
        case O_BROKER: {
            char *colon;
            free(hostbuf);
            hostbuf = strdup(optarg);
            if (!hostbuf)
                return 2;
            colon = strrchr(hostbuf, ':');
            b.broker_port = 1883;
            if (colon) {
                *colon = '\0';
                if (parse_uint(colon + 1, 65535, &v) || !v)
                    goto usage;
                b.broker_port = (int)v;
            }
            b.broker_host = hostbuf;
            break;
        }
        case O_WS: b.ws_prefix = optarg; break;
        case O_TO:
            if (add_agents(&b, optarg))
                goto usage;
            break;
        case O_GET:
            if (b.n_paths >= MAX_PATHS)
                goto usage;
            b.paths[b.n_paths++] = optarg;
            break;
        case O_SET: {
            struct setting *s;
            char *eq = strchr(optarg, '='), *dot;
            if (b.n_sets >= MAX_PATHS || !eq)
                goto usage;
            *eq = '\0';
            dot = strrchr(optarg, '.');
            if (!dot || !dot[1] || (size_t)(dot - optarg + 1) > UB_PATH_MAX)
                goto usage;
            s = &b.sets[b.n_sets++];
            memcpy(s->obj, optarg, (size_t)(dot - optarg + 1));
            s->obj[dot - optarg + 1] = '\0';
            s->param = dot + 1;
            s->value = eq + 1;
            break;
        }
        case O_PID:
            if (parse_uint(optarg, 0x7fffffff, &v))
                goto usage;
            b.pid = (pid_t)v;
            break;
        case O_BPID:
            if (parse_uint(optarg, 0x7fffffff, &v))
                goto usage;
            b.broker_pid = (pid_t)v;
            break;
        case O_FROM: b.from = optarg; break;
        case O_TOPIC: b.topic = optarg; break;
        case O_ATOPIC: b.agent_topic = optarg; break;
        case O_QOS:
            if (parse_uint(optarg, 1, &v))
                goto usage;
            b.qos = (int)v;
            break;
        case O_TIMEOUT:
            if (parse_uint(optarg, 3600, &v) || !v)
                goto usage;
            b.timeout_s = (double)v;
            break;
        case O_LABEL: b.label = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: goto usage;
        }
    }
    if (optind != argc || !b.n_to || !b.broker_host == !b.ws_prefix ||
        (b.n_paths && b.n_sets))
        goto usage;
    if (!b.n_paths && !b.n_sets)
        b.paths[b.n_paths++] = "Device.LocalAgent.EndpointID";
    if (!b.label)
        b.label = b.n_sets ? "set" : "get";
    b.t_sent = calloc(b.n, sizeof(*b.t_sent));
    b.lat_ns = calloc(b.n, sizeof(*b.lat_ns));
    if (!b.t_sent || !b.lat_ns) {
        fprintf(stderr, "bench-usp: out of memory\n");
        return 2;
    }
    if (b.pid) {
        struct pcpu p;
        pcpu_read(b.pid, &p);
        if (!p.ok) {
            fprintf(stderr, "bench-usp: cannot read /proc/%ld/stat\n",
                    (long)b.pid);
            return 2;
        }
    }
    ret = b.broker_host ? run_mqtt(&b) : run_ws(&b);
    free(b.t_sent);
    free(b.lat_ns);
    free(hostbuf);
    return ret;

usage:
    fputs(usage_text, stderr);
    return 2;
}
