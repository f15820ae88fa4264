/*
 * bench-pdb: figures for the proxy-db store.  Prints numbers, asserts
 * nothing about time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Runs in a throw-away directory (or --dir) with default settings
 * (fsync on commit unless --nosync):
 *  1. full-sync ingest of a 5,000-row TR-181-like device in ONE batch
 *     (sync_begin, 5,000 puts, sync_finish, commit): CPU time of this
 *     process (getrusage) and wall time, first sync (new rows) and re-sync
 *     (same rows, new generation), median of --runs devices;
 *  2. prefix-scan rate: pdb_param_iter over the whole device and over
 *     Device.WiFi., rows/s (CPU);
 *  3. bytes on disk per cached row after --devices devices of 5,000 rows:
 *     map pages used / rows and data.mdb allocated blocks / rows;
 *  4. registry cost: --idle idle devices registered (1,000 per batch),
 *     then the registry read back (list + lookup by endpoint ID of each);
 *     VmRSS growth of this process per device and store bytes per device.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ftw.h>

#include <ub/pdb.h>

#define NROWS 5000

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            break;
    fclose(f);
    return v;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "bench-pdb: %s: %s\n", what, ub_strerror(err));
    exit(1);
}

/* A TR-181-like tree of exactly NROWS rows (objects included). */
struct row {
    char path[128];
    const char *value;
    enum ub_type type;
};

static struct row *make_tree(size_t *n)
{
    static const char *leaf[] = {"Enable", "Status", "Alias", "Name",
                                 "LastChange", "LowerLayers", "MACAddress",
                                 "BytesSent", "BytesReceived"};
    struct row *rows = calloc(NROWS, sizeof(*rows));
    static const char *tables[] = {"Device.WiFi.SSID.", "Device.Hosts.Host.",
                                   "Device.IP.Interface.",
                                   "Device.Ethernet.Interface.",
                                   "Device.DHCPv4.Server.Pool.1.Client."};
    size_t k = 0;

    snprintf(rows[k++].path, 128, "Device.");
    snprintf(rows[k++].path, 128, "Device.DeviceInfo.");
    for (int i = 0; k < NROWS; i++) {
        const char *t = tables[i % 5];
        int inst = i / 5 + 1;
        snprintf(rows[k].path, 128, "%s%d.", t, inst);
        rows[k++].type = UB_T_OBJECT;
        for (size_t l = 0; l < UB_ARRAY_LEN(leaf) && k < NROWS; l++) {
            snprintf(rows[k].path, 128, "%s%d.%s", t, inst, leaf[l]);
            rows[k].value = l == 0 ? "true" : l == 6 ? "00:11:22:33:44:55"
                                                     : "Up-ish value 12345";
            rows[k++].type = l == 0 ? UB_T_BOOL : UB_T_STRING;
        }
    }
    for (size_t i = 0; i < NROWS; i++)
        if (!rows[i].type && rows[i].path[strlen(rows[i].path) - 1] == '.')
            rows[i].type = UB_T_OBJECT;
    *n = NROWS;
    return rows;
}

static uint32_t register_dev(struct pdb_env *env, struct pdb_batch *b,
                             unsigned n)
{
    struct pdb_device d = {0};
    char ep[64], cw[64], serial[32], url[64];
    uint32_t id;
    int err;

    snprintf(serial, sizeof(serial), "SN%08u", n);
    snprintf(ep, sizeof(ep), "os::00D09E-%s", serial);
    snprintf(cw, sizeof(cw), "00D09E-IGD-%s", serial);
    snprintf(url, sizeof(url), "http://10.%u.%u.%u:7547/cr", (n >> 16) & 255,
             (n >> 8) & 255, n & 255);
    d.endpoint_id = ep;
    d.cwmp_device_id = cw;
    d.oui = "00D09E";
    d.product_class = "IGD";
    d.serial = serial;
    d.manufacturer = "ACME Networks";
    d.conn_req_url = url;
    d.conn_req_username = "cpe";
    d.conn_req_password = "0123456789abcdef";
    d.software_version = "4.2.1-build1234";
    d.cwmp_version = "1.4";
    d.root = "Device.";
    d.last_inform = ub_wall_s();
    (void)env;
    err = pdb_device_put(b, &d, &id);
    if (err)
        die("device_put", err);
    return id;
}

static double sync_device(struct pdb_env *env, uint32_t id,
                          const struct row *rows, size_t n, double *wall)
{
    struct pdb_batch *b;
    double c0 = cpu_now(), w0 = wall_now();
    uint32_t gen;
    int err;

    err = pdb_batch_begin(env, &b);
    if (!err)
        err = pdb_sync_begin(b, id, NULL, &gen);
    for (size_t i = 0; !err && i < n; i++) {
        struct ub_param p = {0};
        p.path = (char *)(uintptr_t)rows[i].path;
        p.value = (char *)(uintptr_t)rows[i].value;
        p.type = rows[i].type;
        p.writable = rows[i].type == UB_T_BOOL;
        err = pdb_batch_put_param(b, PDB_PARAMS, id, &p, PDB_PUT_ALL, NULL);
    }
    if (!err)
        err = pdb_sync_finish(b, id, gen, NULL, NULL, NULL, NULL);
    if (err) {
        pdb_batch_abort(b);
        die("sync", err);
    }
    err = pdb_batch_commit(b);
    if (err)
        die("commit", err);
    *wall = wall_now() - w0;
    return cpu_now() - c0;
}

static int count_cb(void *user, const struct ub_param *p)
{
    (void)p;
    (*(size_t *)user)++;
    return 0;
}

static long long du_bytes(const char *dir)
{
    char f[4200];
    struct stat st;
    snprintf(f, sizeof(f), "%s/data.mdb", dir);
    if (stat(f, &st))
        return -1;
    return (long long)st.st_blocks * 512;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int list_cb(void *user, const struct pdb_device *d)
{
    uint32_t *sum = user;
    *sum += d->id + (uint32_t)strlen(d->endpoint_id);
    return 0;
}

static void usage(void)
{
    puts("Usage: bench-pdb [--dir DIR] [--runs N] [--devices N] [--idle N] "
         "[--nosync]\n"
         "  --dir DIR     work directory (default: a new one under $TMPDIR "
         "or /tmp, removed at exit)\n"
         "  --runs N      ingest runs for the medians (default 5)\n"
         "  --devices N   5,000-row devices for the bytes/row figure "
         "(default 20)\n"
         "  --idle N      idle registered devices for the registry cost "
         "(default 100000)\n"
         "  --nosync      open with nosync (no fsync per commit)");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"runs", required_argument, NULL, 'r'},
        {"devices", required_argument, NULL, 'n'},
        {"idle", required_argument, NULL, 'i'},
        {"nosync", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char base[512], dir1[600], dir2[600];
    int runs = 5, ndev = 20, nidle = 100000, c;
    bool nosync = false, own_dir = true;
    struct pdb_config cfg;
    struct pdb_env *env;
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    struct pdb_stats st;
    struct row *rows;
    size_t nrows;
    int err;

    base[0] = 0;
    while ((c = getopt_long(argc, argv, "d:r:n:i:sh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            snprintf(base, sizeof(base), "%s", optarg);
            own_dir = false;
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'n':
            ndev = atoi(optarg);
            break;
        case 'i':
            nidle = atoi(optarg);
            break;
        case 's':
            nosync = true;
            break;
        default:
            usage();
            return c == 'h' ? 0 : 2;
        }
    }
    if (runs < 1 || runs > 1000 || ndev < runs || nidle < 1) {
        usage();
        return 2;
    }
    if (own_dir) {
        const char *t = getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/bench-pdb-XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(base)) {
            perror("mkdtemp");
            return 1;
        }
    }
    snprintf(dir1, sizeof(dir1), "%s/cache", base);
    snprintf(dir2, sizeof(dir2), "%s/registry", base);
    ub_log_set_level(UB_LOG_WARN);
    pdb_config_init(&cfg);
    cfg.nosync = nosync;
    rows = make_tree(&nrows);

    printf("bench-pdb: dir %s, %s, %d runs\n", base,
           nosync ? "nosync" : "fsync per commit", runs);

    /* 1 + 3: ingest and bytes per row. */
    err = pdb_env_open(dir1, &cfg, &env);
    if (err)
        die("open", err);
    uint32_t *ids = calloc((size_t)ndev, sizeof(*ids));
    err = pdb_batch_begin(env, &b);
    if (err)
        die("begin", err);
    for (int i = 0; i < ndev; i++)
        ids[i] = register_dev(env, b, (unsigned)i);
    err = pdb_batch_commit(b);
    if (err)
        die("commit", err);
    double *cpu1 = calloc((size_t)ndev, sizeof(double));
    double *wall1 = calloc((size_t)ndev, sizeof(double));
    double *cpu2 = calloc((size_t)runs, sizeof(double));
    double *wall2 = calloc((size_t)runs, sizeof(double));
    for (int i = 0; i < ndev; i++)
        cpu1[i] = sync_device(env, ids[i], rows, nrows, &wall1[i]);
    for (int i = 0; i < runs; i++)
        cpu2[i] = sync_device(env, ids[i], rows, nrows, &wall2[i]);
    double mc1 = median(cpu1, ndev), mw1 = median(wall1, ndev);
    double mc2 = median(cpu2, runs), mw2 = median(wall2, runs);
    printf("\n[ingest] full sync of a %zu-row device in one batch "
           "(median of %d / %d)\n",
           nrows, ndev, runs);
    printf("  first sync : cpu %7.2f ms (%5.2f us/row)  wall %7.2f ms\n",
           mc1 * 1e3, mc1 * 1e6 / (double)nrows, mw1 * 1e3);
    printf("  re-sync    : cpu %7.2f ms (%5.2f us/row)  wall %7.2f ms\n",
           mc2 * 1e3, mc2 * 1e6 / (double)nrows, mw2 * 1e3);

    /* 2: scans. */
    err = pdb_rtxn_begin(env, &r);
    if (err)
        die("rtxn", err);
    const int reps = 50;
    size_t seen = 0, seen_w = 0;
    double c0 = cpu_now(), w0 = wall_now();
    for (int i = 0; i < reps; i++) {
        err = pdb_param_iter(r, PDB_PARAMS, ids[i % ndev], NULL, count_cb,
                             &seen);
        if (err)
            die("iter", err);
    }
    double sc = cpu_now() - c0, sw = wall_now() - w0;
    c0 = cpu_now();
    for (int i = 0; i < reps * 5; i++) {
        err = pdb_param_iter(r, PDB_PARAMS, ids[i % ndev], "Device.WiFi.",
                             count_cb, &seen_w);
        if (err)
            die("iter", err);
    }
    double scw = cpu_now() - c0;
    printf("\n[scan] pdb_param_iter (decode key + record, callback)\n");
    printf("  whole device : %zu rows in %.1f ms cpu -> %.2f M rows/s "
           "(wall %.2f M rows/s)\n",
           seen, sc * 1e3, (double)seen / sc / 1e6, (double)seen / sw / 1e6);
    printf("  Device.WiFi. : %zu rows in %.1f ms cpu -> %.2f M rows/s\n",
           seen_w, scw * 1e3, (double)seen_w / scw / 1e6);
    err = pdb_stats_get(r, &st);
    if (err)
        die("stats", err);
    pdb_rtxn_end(r);
    /* Point reads, each in its own short read transaction (the pattern
     * of the loop: never hold a read txn across callbacks). */
    const int npt = 100000;
    c0 = cpu_now();
    for (int i = 0; i < npt; i++) {
        struct ub_param gp;
        const struct row *rw = &rows[(size_t)(i * 7919) % nrows];
        err = pdb_rtxn_begin(env, &r);
        if (!err)
            err = pdb_param_get(r, PDB_PARAMS, ids[i % ndev], rw->path, &gp);
        if (err)
            die("point read", err);
        ub_param_clear(&gp);
        pdb_rtxn_end(r);
    }
    double ptc = cpu_now() - c0;
    printf("  point read   : %.2f us cpu (rtxn begin + param_get + end)\n",
           ptc * 1e6 / npt);
    printf("\n[size] %llu rows (%d devices x %zu)\n",
           (unsigned long long)st.params, ndev, nrows);
    printf("  map pages used : %.1f bytes/row (%llu KiB; params db: %llu "
           "leaf + %llu branch pages)\n",
           (double)st.map_used / (double)st.params,
           (unsigned long long)(st.map_used / 1024),
           (unsigned long long)st.db[4].leaf_pages,
           (unsigned long long)st.db[4].branch_pages);
    printf("  params db pages: %.1f bytes/row\n",
           (double)(st.db[4].leaf_pages + st.db[4].branch_pages +
                    st.db[4].overflow_pages) *
               st.page_size / (double)st.params);
    printf("  data.mdb on disk: %.1f bytes/row (%lld KiB allocated)\n",
           (double)du_bytes(dir1) / (double)st.params, du_bytes(dir1) / 1024);
    pdb_env_close(env);

    /* 4: registry cost. */
    long rss0 = rss_kib();
    err = pdb_env_open(dir2, &cfg, &env);
    if (err)
        die("open", err);
    long rss1 = rss_kib();
    c0 = cpu_now();
    for (int i = 0; i < nidle;) {
        err = pdb_batch_begin(env, &b);
        if (err)
            die("begin", err);
        for (int k = 0; k < 1000 && i < nidle; k++, i++)
            register_dev(env, b, (unsigned)i);
        err = pdb_batch_commit(b);
        if (err)
            die("commit", err);
    }
    double regc = cpu_now() - c0;
    long rss2 = rss_kib();
    uint32_t sum = 0;
    c0 = cpu_now();
    err = pdb_rtxn_begin(env, &r);
    if (err)
        die("rtxn", err);
    err = pdb_device_list(r, list_cb, &sum);
    if (err)
        die("list", err);
    for (int i = 0; i < nidle; i++) {
        char ep[64];
        uint32_t id;
        snprintf(ep, sizeof(ep), "os::00D09E-SN%08u", (unsigned)i);
        err = pdb_device_find_endpoint(r, ep, &id);
        if (err)
            die("find", err);
        sum += id;
    }
    double lookc = cpu_now() - c0;
    err = pdb_stats_get(r, &st);
    if (err)
        die("stats", err);
    pdb_rtxn_end(r);
    long rss3 = rss_kib();
    printf("\n[registry] %d idle devices (1,000 per batch) (checksum %u)\n",
           nidle, (unsigned)sum);
    printf("  register     : %.2f s cpu (%.1f us/device)\n", regc,
           regc * 1e6 / nidle);
    printf("  list + lookup: %.2f s cpu (%.2f us/device)\n", lookc,
           lookc * 1e6 / nidle);
    printf("  RSS          : %ld KiB before open, %ld after open, %ld after "
           "register, %ld after reading all\n",
           rss0, rss1, rss2, rss3);
    printf("  RSS growth   : %.0f bytes/device (after reading the registry, "
           "mostly file pages mapped by LMDB)\n",
           (double)(rss3 - rss1) * 1024 / nidle);
    printf("  store        : %.0f bytes/device map used, %.0f bytes/device "
           "data.mdb allocated\n",
           (double)st.map_used / nidle, (double)du_bytes(dir2) / nidle);
    pdb_env_close(env);

    free(ids);
    free(cpu1);
    free(wall1);
    free(cpu2);
    free(wall2);
    free(rows);
    if (own_dir)
        nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
