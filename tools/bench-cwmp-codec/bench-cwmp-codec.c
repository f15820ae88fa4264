/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * bench-cwmp-codec: CPU cost of the CWMP SOAP codec per message.
 *
 * Usage: bench-cwmp-codec [-n iterations] [-r runs] [file.xml ...]
 *
 * Prints, for each case, the envelope size and the median over the runs of
 * the process CPU time per operation (CLOCK_PROCESS_CPUTIME_ID), plus the
 * min and max run.  Built-in cases: a typical ~1.5 KB Inform (decode), the
 * InformResponse (encode), a GetParameterValues request (encode), a
 * GetParameterValuesResponse with 100 parameters (decode and encode), a
 * SetParameterValues with 10 parameters (encode), a CWMP Fault (decode).
 * Extra files given on the command line are timed for decode.
 * Uses only the public header <ub/cwmp.h>.
 */
#include <ub/cwmp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long iters = 20000;
static int runs = 5;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench-cwmp-codec: %s: %s\n", what, ub_strerror(rc));
    exit(1);
}

static void report(const char *name, size_t bytes, double *us)
{
    qsort(us, (size_t)runs, sizeof(*us), cmp_double);
    printf("%-44s %6zu B  %8.2f us/msg  (min %.2f, max %.2f)\n", name, bytes,
           us[runs / 2], us[0], us[runs - 1]);
}

static void bench_decode(struct cwmp_codec *c, const char *name,
                         const char *doc, size_t len)
{
    double us[64];

    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        for (long i = 0; i < iters; i++) {
            struct cwmp_msg *m = NULL;
            int rc = cwmp_decode(c, doc, len, &m, NULL, 0);
            if (rc)
                die(name, rc);
            cwmp_msg_free(m);
        }
        us[r] = (cpu_now() - t0) * 1e6 / (double)iters;
    }
    report(name, len, us);
}

static void bench_encode(struct cwmp_codec *c, const char *name,
                         const struct cwmp_msg *m)
{
    struct ub_buf b;
    double us[64];
    size_t len = 0;

    ub_buf_init(&b, 16u << 20);
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        for (long i = 0; i < iters; i++) {
            int rc;
            ub_buf_reset(&b);
            rc = cwmp_encode(c, m, &b);
            if (rc)
                die(name, rc);
        }
        us[r] = (cpu_now() - t0) * 1e6 / (double)iters;
        len = b.len;
    }
    ub_buf_free(&b);
    report(name, len, us);
}

static char *encode_str(struct cwmp_codec *c, const struct cwmp_msg *m,
                        size_t *len)
{
    struct ub_buf b;
    int rc;

    ub_buf_init(&b, 16u << 20);
    rc = cwmp_encode(c, m, &b);
    if (rc)
        die("encode", rc);
    return ub_buf_take(&b, len);
}

static void add(struct ub_param_list *l, const char *p, const char *v,
                enum ub_type t)
{
    int rc = ub_param_list_add(l, p, v, t);
    if (rc)
        die("param", rc);
}

static struct cwmp_msg *make_inform(void)
{
    struct cwmp_msg *m = cwmp_msg_new(CWMP_M_INFORM, CWMP_REQUEST);
    struct cwmp_inform *i;

    if (!m)
        die("msg", UB_ENOMEM);
    i = &m->inform;
    m->id = ub_strdup("1234567");
    m->version = CWMP_V1_2;
    i->device_id.manufacturer = ub_strdup("Technicolor");
    i->device_id.oui = ub_strdup("A0B53C");
    i->device_id.product_class = ub_strdup("TG789vac v2");
    i->device_id.serial_number = ub_strdup("CP1622TA2XK");
    i->events = ub_calloc(2, sizeof(*i->events));
    i->events[0].code = ub_strdup("2 PERIODIC");
    i->events[0].command_key = ub_strdup("");
    i->events[1].code = ub_strdup("4 VALUE CHANGE");
    i->events[1].command_key = ub_strdup("");
    i->n_events = 2;
    i->max_envelopes = 1;
    i->current_time = ub_strdup("2026-11-25T08:15:02Z");
    add(&i->params, "Device.RootDataModelVersion", "2.11", UB_T_STRING);
    add(&i->params, "Device.DeviceInfo.HardwareVersion", "VANT-6", UB_T_STRING);
    add(&i->params, "Device.DeviceInfo.SoftwareVersion",
        "17.2.0405-2761005-20200220101005", UB_T_STRING);
    add(&i->params, "Device.DeviceInfo.ProvisioningCode", "", UB_T_STRING);
    add(&i->params, "Device.DeviceInfo.UpTime", "93211", UB_T_UINT);
    add(&i->params, "Device.ManagementServer.ConnectionRequestURL",
        "http://10.0.0.138:51005/", UB_T_STRING);
    add(&i->params, "Device.ManagementServer.ParameterKey", "key-7",
        UB_T_STRING);
    add(&i->params, "Device.ManagementServer.AliasBasedAddressing", "false",
        UB_T_BOOL);
    add(&i->params, "Device.IP.Interface.1.IPv4Address.1.IPAddress",
        "10.0.0.138", UB_T_STRING);
    add(&i->params, "Device.WiFi.SSID.1.SSID", "HOME-1A2B", UB_T_STRING);
    return m;
}

static struct cwmp_msg *make_gpv_resp(int n)
{
    struct cwmp_msg *m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES,
                                      CWMP_RESPONSE);
    char path[128], val[32];

    if (!m)
        die("msg", UB_ENOMEM);
    m->id = ub_strdup("acs-42");
    for (int k = 0; k < n; k++) {
        snprintf(path, sizeof(path),
                 "Device.Hosts.Host.%d.PhysAddress", k + 1);
        snprintf(val, sizeof(val), "00:11:22:33:%02x:%02x", k / 256, k % 256);
        add(&m->params, path, val, k % 3 ? UB_T_STRING : UB_T_UINT);
    }
    return m;
}

int main(int argc, char **argv)
{
    struct cwmp_codec *c;
    struct cwmp_msg *inform, *iresp, *gpv, *gpvr, *spv, *fault;
    char *doc;
    size_t len;
    int a = 1, rc;

    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "-n") && a + 1 < argc)
            iters = atol(argv[++a]);
        else if (!strcmp(argv[a], "-r") && a + 1 < argc)
            runs = atoi(argv[++a]);
        else {
            fprintf(stderr, "usage: %s [-n iterations] [-r runs] [file.xml ...]\n",
                    argv[0]);
            return 2;
        }
    }
    if (iters < 1)
        iters = 1;
    if (runs < 1 || runs > 64)
        runs = 5;
    rc = cwmp_codec_create(NULL, &c);
    if (rc)
        die("codec", rc);
    printf("bench-cwmp-codec: %ld iterations x %d runs, CPU time per message "
           "(median of runs)\n", iters, runs);

    inform = make_inform();
    doc = encode_str(c, inform, &len);
    bench_decode(c, "decode Inform (10 params)", doc, len);
    ub_free(doc);
    bench_encode(c, "encode Inform (10 params)", inform);

    iresp = cwmp_msg_new(CWMP_M_INFORM, CWMP_RESPONSE);
    iresp->id = ub_strdup("1234567");
    iresp->max_envelopes = 1;
    bench_encode(c, "encode InformResponse", iresp);
    doc = encode_str(c, iresp, &len);
    bench_decode(c, "decode InformResponse", doc, len);
    ub_free(doc);

    gpv = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
    gpv->id = ub_strdup("acs-42");
    if (ub_strv_add(&gpv->strv, "Device.Hosts.") ||
        ub_strv_add(&gpv->strv, "Device.DeviceInfo.UpTime"))
        die("strv", UB_ENOMEM);
    bench_encode(c, "encode GetParameterValues (2 names)", gpv);

    gpvr = make_gpv_resp(100);
    doc = encode_str(c, gpvr, &len);
    bench_decode(c, "decode GetParameterValuesResponse (100)", doc, len);
    ub_free(doc);
    bench_encode(c, "encode GetParameterValuesResponse (100)", gpvr);

    spv = make_gpv_resp(10);
    spv->method = CWMP_M_SET_PARAMETER_VALUES;
    spv->kind = CWMP_REQUEST;
    spv->parameter_key = ub_strdup("pk");
    bench_encode(c, "encode SetParameterValues (10)", spv);

    fault = cwmp_msg_new(CWMP_M_NONE, CWMP_FAULT);
    fault->id = ub_strdup("acs-42");
    fault->fault.code = 9005;
    fault->fault.string = ub_strdup("Invalid parameter name");
    doc = encode_str(c, fault, &len);
    bench_decode(c, "decode Fault 9005", doc, len);
    ub_free(doc);

    for (; a < argc; a++) {
        FILE *f = fopen(argv[a], "rb");
        char *buf;
        long n;
        if (!f) {
            perror(argv[a]);
            continue;
        }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            char name[64];
            const char *base = strrchr(argv[a], '/');
            snprintf(name, sizeof(name), "decode %.37s", base ? base + 1 : argv[a]);
            bench_decode(c, name, buf, (size_t)n);
        }
        free(buf);
        fclose(f);
    }

    cwmp_msg_free(inform);
    cwmp_msg_free(iresp);
    cwmp_msg_free(gpv);
    cwmp_msg_free(gpvr);
    cwmp_msg_free(spv);
    cwmp_msg_free(fault);
    cwmp_codec_destroy(c);
    return 0;
}
