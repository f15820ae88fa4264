/*
 * bench-usp-codec: throughput of the USP codec and path engine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Prints figures, asserts nothing.  For each case: operations per second
 * and CPU microseconds per operation (getrusage, so other processes on a
 * shared machine do not count), median of 5 runs.
 *   get:      Record(Get, 3 paths) decode + Msg decode + GetResp encode +
 *             Record wrap (one agent round trip through the codec)
 *   getresp:  Record(GetResp, 20 objects x 10 params) decode + Msg decode
 *             (the controller side, usp-ctl)
 *   path:     parse + resolve "Device.IP.Interface.[Enable==true].Name"
 *             over 64 instances
 * Usage: bench-usp-codec [seconds-per-run, default 0.5]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <ub/usp.h>

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef int (*op_fn)(void);

static void run(const char *name, op_fn op, double secs)
{
    double us[5];
    for (int r = 0; r < 5; r++) {
        double t0 = cpu_s(), t;
        long n = 0;
        do {
            for (int k = 0; k < 100; k++)
                if (op()) {
                    fprintf(stderr, "%s: operation failed\n", name);
                    exit(1);
                }
            n += 100;
            t = cpu_s() - t0;
        } while (t < secs);
        us[r] = t * 1e6 / (double)n;
    }
    qsort(us, 5, sizeof(*us), cmp_d);
    printf("%-8s %10.0f ops/s  %8.2f us/op (median of 5; min %.2f max %.2f)\n",
           name, 1e6 / us[2], us[2], us[0], us[4]);
}

/* ---- fixtures ---- */
static uint8_t *get_rec, *getresp_rec;
static size_t get_len, getresp_len;

static int op_get(void)
{
    struct usp_record *r = NULL;
    struct usp_msg *m = NULL;
    struct usp_kv kv[4] = {{"Name", "eth0"}, {"Status", "Up"},
                           {"Enable", "true"}, {"Type", "Normal"}};
    struct usp_resolved_path rp[3];
    struct usp_get_result res[3];
    struct usp_msg resp;
    uint8_t *mb = NULL, *rb = NULL;
    size_t ml, rl;
    int err;

    err = usp_record_decode(get_rec, get_len, NULL, &r, NULL);
    if (!err)
        err = usp_msg_decode(r->payload, r->payload_len, &m);
    if (err)
        goto out;
    memset(&resp, 0, sizeof(resp));
    resp.type = USP_MSG_GET_RESP;
    resp.msg_id = m->msg_id;
    for (size_t i = 0; i < m->get.n_paths && i < 3; i++) {
        rp[i].path = m->get.paths[i];
        rp[i].params = kv;
        rp[i].n_params = 4;
        memset(&res[i], 0, sizeof(res[i]));
        res[i].requested_path = m->get.paths[i];
        res[i].resolved = &rp[i];
        res[i].n_resolved = 1;
    }
    resp.get_resp.results = res;
    resp.get_resp.n_results = m->get.n_paths < 3 ? m->get.n_paths : 3;
    err = usp_msg_encode(&resp, 0, &mb, &ml);
    if (!err)
        err = usp_record_wrap(r->from_id, r->to_id, mb, ml, &rb, &rl);
out:
    ub_free(mb);
    ub_free(rb);
    usp_msg_free(m);
    usp_record_free(r);
    return err;
}

static int op_getresp(void)
{
    struct usp_record *r = NULL;
    struct usp_msg *m = NULL;
    int err = usp_record_decode(getresp_rec, getresp_len, NULL, &r, NULL);
    if (!err)
        err = usp_msg_decode(r->payload, r->payload_len, &m);
    usp_msg_free(m);
    usp_record_free(r);
    return err;
}

/* ---- a 64-instance tree for the path engine ---- */
#define NI 64
static struct ub_node tnodes[3 + NI * 3];
static size_t tn;

static int b_lookup(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    (void)ctx;
    for (size_t i = 0; i < tn; i++)
        if (!strcmp(tnodes[i].path, path))
            return cb(user, &tnodes[i]);
    return UB_ENOTFOUND;
}

static int b_children(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    size_t n = strlen(path);
    (void)ctx;
    for (size_t i = 0; i < tn; i++) {
        const char *p = tnodes[i].path, *dot;
        if (strncmp(p, path, n) || !p[n])
            continue;
        dot = strchr(p + n, '.');
        if (!dot || !dot[1]) {
            int rc = cb(user, &tnodes[i]);
            if (rc)
                return rc;
        }
    }
    return UB_OK;
}

static int b_subtree(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    (void)ctx, (void)path, (void)cb, (void)user;
    return UB_OK;
}

static const struct ub_tree_ops bops = {b_lookup, b_children, b_subtree};
static const struct ub_tree btree = {&bops, NULL};

static int op_path(void)
{
    struct usp_path *p = NULL;
    struct usp_resolved r;
    int err = usp_path_parse("Device.IP.Interface.[Enable==true].Name", &p,
                             NULL);
    if (!err)
        err = usp_path_resolve(p, &btree, NULL, &r);
    if (!err && r.paths.n != NI / 2)
        err = UB_EINVAL;
    usp_resolved_free(&r);
    usp_path_free(p);
    return err;
}

static void setup(void)
{
    const char *paths[] = {"Device.DeviceInfo.", "Device.IP.Interface.*.",
                           "Device.WiFi.SSID.[Enable==true].SSID"};
    struct usp_msg m;
    uint8_t *mb;
    size_t ml;
    static char names[NI * 3][64];

    memset(&m, 0, sizeof(m));
    m.type = USP_MSG_GET;
    m.msg_id = "bench-1";
    m.get.paths = paths;
    m.get.n_paths = 3;
    if (usp_msg_encode(&m, 0, &mb, &ml) ||
        usp_record_wrap("os::00D09E-SN1", "proto::ctrl", mb, ml, &get_rec,
                        &get_len))
        exit(1);
    ub_free(mb);

    static struct usp_kv kv[10];
    static char kn[10][16], kvv[10][32];
    static struct usp_resolved_path rp[20];
    static char rpp[20][48];
    struct usp_get_result res = {0};
    for (int i = 0; i < 10; i++) {
        snprintf(kn[i], sizeof(kn[i]), "Param%d", i);
        snprintf(kvv[i], sizeof(kvv[i]), "value-%d-xxxxxxxx", i);
        kv[i].key = kn[i];
        kv[i].value = kvv[i];
    }
    for (int i = 0; i < 20; i++) {
        snprintf(rpp[i], sizeof(rpp[i]), "Device.IP.Interface.%d.", i + 1);
        rp[i].path = rpp[i];
        rp[i].params = kv;
        rp[i].n_params = 10;
    }
    res.requested_path = "Device.IP.Interface.*.";
    res.resolved = rp;
    res.n_resolved = 20;
    memset(&m, 0, sizeof(m));
    m.type = USP_MSG_GET_RESP;
    m.msg_id = "bench-1";
    m.get_resp.results = &res;
    m.get_resp.n_results = 1;
    if (usp_msg_encode(&m, 0, &mb, &ml) ||
        usp_record_wrap("proto::ctrl", "os::00D09E-SN1", mb, ml, &getresp_rec,
                        &getresp_len))
        exit(1);
    ub_free(mb);

    tnodes[tn++] = (struct ub_node){"Device.", UB_T_OBJECT, false, NULL};
    tnodes[tn++] = (struct ub_node){"Device.IP.", UB_T_OBJECT, false, NULL};
    tnodes[tn++] =
        (struct ub_node){"Device.IP.Interface.", UB_T_OBJECT, true, NULL};
    for (int i = 0; i < NI; i++) {
        snprintf(names[i * 3], 64, "Device.IP.Interface.%d.", i + 1);
        snprintf(names[i * 3 + 1], 64, "Device.IP.Interface.%d.Enable", i + 1);
        snprintf(names[i * 3 + 2], 64, "Device.IP.Interface.%d.Name", i + 1);
        tnodes[tn++] = (struct ub_node){names[i * 3], UB_T_OBJECT, false, NULL};
        tnodes[tn++] = (struct ub_node){names[i * 3 + 1], UB_T_BOOL, true,
                                        i % 2 ? "false" : "true"};
        tnodes[tn++] =
            (struct ub_node){names[i * 3 + 2], UB_T_STRING, false, "eth"};
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    if (secs <= 0)
        secs = 0.5;
    setup();
    printf("bench-usp-codec: Get record %zu bytes, GetResp record %zu bytes\n",
           get_len, getresp_len);
    run("get", op_get, secs);
    run("getresp", op_getresp, secs);
    run("path", op_path, secs);
    ub_free(get_rec);
    ub_free(getresp_rec);
    return 0;
}
