/*
 * proxy-db unit tests (cmocka).  White-box where useful: the key and
 * record codecs from src/pdb_int.h, raw LMDB to corrupt stored bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>

#include "pdb_int.h"
#include "util.h"

struct fx {
    char dir[256];
    struct pdb_env *env;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_non_null(tdir_make(f->dir, sizeof(f->dir)));
    assert_int_equal(pdb_env_open(f->dir, NULL, &f->env), UB_OK);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    pdb_env_close(f->env);
    tdir_remove(f->dir);
    free(f);
    return 0;
}

static void reopen(struct fx *f, const struct pdb_config *cfg)
{
    pdb_env_close(f->env);
    f->env = NULL;
    assert_int_equal(pdb_env_open(f->dir, cfg, &f->env), UB_OK);
}

static uint32_t add_device(struct pdb_env *env, const char *ep,
                           const char *cwmp)
{
    struct pdb_batch *b;
    struct pdb_device d = {0};
    uint32_t id = 0;

    d.endpoint_id = (char *)ep;
    d.cwmp_device_id = (char *)cwmp;
    d.oui = "00D09E";
    assert_int_equal(pdb_batch_begin(env, &b), UB_OK);
    assert_int_equal(pdb_device_put(b, &d, &id), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    assert_true(id > 0);
    return id;
}

static int put(struct pdb_batch *b, uint32_t dev, const char *path,
               const char *value, bool *created)
{
    struct ub_param p = {0};
    p.path = (char *)path;
    p.value = (char *)value;
    p.type = ub_path_is_object(path) ? UB_T_OBJECT : UB_T_STRING;
    p.updated_at = 1000;
    return pdb_batch_put_param(b, PDB_PARAMS, dev, &p, PDB_PUT_ALL, created);
}

/* Collects visited paths into a newline-joined string. */
struct coll {
    char buf[8192];
    size_t n;
};

static void coll_add(struct coll *c, const char *s)
{
    size_t l = strlen(s);
    assert_true(c->n + l + 2 < sizeof(c->buf));
    memcpy(c->buf + c->n, s, l);
    c->n += l;
    c->buf[c->n++] = '\n';
    c->buf[c->n] = 0;
}

static int coll_param(void *user, const struct ub_param *p)
{
    coll_add(user, p->path);
    return 0;
}

static int coll_node(void *user, const struct ub_node *n)
{
    coll_add(user, n->path);
    return 0;
}

/* ---- keys ---- */

static int key_cmp(const void *a, const void *b)
{
    const char *const *pa = a, *const *pb = b;
    uint8_t ka[PDB__KEY_MAX], kb[PDB__KEY_MAX];
    size_t la, lb;
    int c;

    assert_int_equal(pdb__key_encode(7, *pa, ka, &la), UB_OK);
    assert_int_equal(pdb__key_encode(7, *pb, kb, &lb), UB_OK);
    c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c : (la < lb ? -1 : la > lb);
}

static void test_key_order(void **state)
{
    (void)state;
    /* Expected data-model order. */
    const char *want[] = {
        "Device.",
        "Device.RootDataModelVersion",
        "Device.Hosts.",
        "Device.Hosts.HostNumberOfEntries",
        "Device.Hosts.Host.",
        "Device.Hosts.Host.1.",
        "Device.Hosts.Host.1.IPAddress",
        "Device.Hosts.Host.2.",
        "Device.Hosts.Host.2.IPAddress",
        "Device.Hosts.Host.2.IPv4Address.",
        "Device.Hosts.Host.2.IPv4Address.1.",
        "Device.Hosts.Host.10.",
        "Device.Hosts.Host.10.IPAddress",
        "Device.Hosts.Host.4294967295.",
        "Device.Hosts.HostX.",
        "Device.WiFi.",
        "Device.WiFi.SSID.",
        "Device.WiFi.SSID.3.",
    };
    const char *shuf[UB_ARRAY_LEN(want)];
    size_t n = UB_ARRAY_LEN(want);

    for (size_t i = 0; i < n; i++)
        shuf[i] = want[(i * 7 + 3) % n];
    qsort(shuf, n, sizeof(shuf[0]), key_cmp);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(shuf[i], want[i]);
}

static void test_key_roundtrip(void **state)
{
    (void)state;
    const char *ok[] = {"Device.", "Device.WiFi.SSID.2.Name",
                        "InternetGatewayDevice.LANDevice.1.", "A.0.B",
                        "Device.X_00D09E_Foo-bar.01.", "Device.1"};
    uint8_t k[PDB__KEY_MAX];
    char out[PDB__PATH_BUF], big[1100];
    uint32_t dev;
    size_t kl;

    for (size_t i = 0; i < UB_ARRAY_LEN(ok); i++) {
        assert_int_equal(pdb__key_encode(42, ok[i], k, &kl), UB_OK);
        assert_int_equal(pdb__key_decode(k, kl, &dev, out, sizeof(out)),
                         UB_OK);
        assert_int_equal(dev, 42);
        assert_string_equal(out, ok[i]);
    }
    assert_int_equal(pdb__key_encode(1, "Device..X", k, &kl), UB_EINVAL);
    assert_int_equal(pdb__key_encode(1, ".Device", k, &kl), UB_EINVAL);
    assert_int_equal(pdb__key_encode(1, "Dev ice.", k, &kl), UB_EINVAL);
    /* 500 one-letter segments: 1000 path bytes, 1500 key bytes. */
    for (size_t i = 0; i < 500; i++) {
        big[2 * i] = 'a';
        big[2 * i + 1] = '.';
    }
    big[1000] = 0;
    assert_int_equal(pdb__key_encode(1, big, k, &kl), UB_ETOOBIG);
    /* Decoder rejects garbage. */
    uint8_t bad[] = {0, 0, 0, 1, PDB__TAG_PARAM, 'a', 0, PDB__TAG_NAME, 'b', 0};
    assert_int_equal(pdb__key_decode(bad, sizeof(bad), &dev, out, sizeof(out)),
                     UB_ECORRUPT);
    uint8_t bad2[] = {0, 0, 0, 1, PDB__TAG_INST, 0, 0, 0, 0};
    assert_int_equal(pdb__key_decode(bad2, sizeof(bad2), &dev, out, 64),
                     UB_ECORRUPT);
}

static void test_prefix_scan(void **state)
{
    struct fx *f = *state;
    const char *rows[] = {
        "Device.WiFi.SSID.10.Name", "Device.WiFi.", "Device.WiFi.SSID.2.",
        "Device.WiFiX.", "Device.WiFi.SSID.2.Name", "Device.WiFi.SSID.10.",
        "Device.WiFi.SSIDNumberOfEntries", "Device.WiFi.SSID.", "Device.Hosts.",
        "Device.WiFi.Radio.1.Enable",
    };
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    struct coll c = {0};
    uint32_t d1 = add_device(f->env, "os::A", "A-B-C");
    uint32_t d2 = add_device(f->env, "os::B", "A-B-D");

    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    for (size_t i = 0; i < UB_ARRAY_LEN(rows); i++) {
        assert_int_equal(put(b, d1, rows[i], "v", NULL), UB_OK);
        assert_int_equal(put(b, d2, rows[i], "w", NULL), UB_OK);
    }
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(
        pdb_param_iter(r, PDB_PARAMS, d1, "Device.WiFi.", coll_param, &c),
        UB_OK);
    assert_string_equal(c.buf, "Device.WiFi.\n"
                               "Device.WiFi.SSIDNumberOfEntries\n"
                               "Device.WiFi.Radio.1.Enable\n"
                               "Device.WiFi.SSID.\n"
                               "Device.WiFi.SSID.2.\n"
                               "Device.WiFi.SSID.2.Name\n"
                               "Device.WiFi.SSID.10.\n"
                               "Device.WiFi.SSID.10.Name\n");
    memset(&c, 0, sizeof(c));
    assert_int_equal(pdb_param_iter(r, PDB_PARAMS, d2, NULL, coll_param, &c),
                     UB_OK);
    assert_int_equal((int)(strchr(c.buf, 0) - c.buf) > 0, 1);
    {
        size_t lines = 0;
        for (char *p = c.buf; *p; p++)
            lines += *p == '\n';
        assert_int_equal(lines, UB_ARRAY_LEN(rows));
    }
    struct pdb_device dv;
    assert_int_equal(pdb_device_get(r, d1, &dv), UB_OK);
    assert_int_equal(dv.param_count, UB_ARRAY_LEN(rows));
    pdb_device_clear(&dv);
    pdb_rtxn_end(r);
}

/* ---- rows and devices ---- */

static void test_param_roundtrip(void **state)
{
    struct fx *f = *state;
    uint32_t d = add_device(f->env, "os::X", "X-Y-Z");
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    struct ub_param p = {0}, got = {0};
    bool created = false;

    p.path = "Device.DeviceInfo.X_VENDOR_Odd";
    p.value = "héllo \"world\"";
    p.type = UB_T_NONE;
    p.type_name = "vendor:weird";
    p.writable = true;
    p.notification = 2;
    p.updated_at = 1700000000;
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(
        pdb_batch_put_param(b, PDB_PARAMS, d, &p, PDB_PUT_ALL, &created),
        UB_OK);
    assert_true(created);
    assert_int_equal(
        pdb_batch_put_param(b, PDB_PARAMS, d, &p, PDB_PUT_ALL, &created),
        UB_OK);
    assert_false(created);
    /* Partial update: only the notification changes. */
    struct ub_param q = {.path = p.path, .notification = 1};
    assert_int_equal(
        pdb_batch_put_param(b, PDB_PARAMS, d, &q, PDB_PUT_NOTIF, NULL), UB_OK);
    /* Object row and an empty table. */
    struct ub_param o = {.path = "Device.Hosts.Host.", .writable = true};
    assert_int_equal(
        pdb_batch_put_param(b, PDB_PARAMS, d, &o, PDB_PUT_ALL, NULL), UB_OK);
    /* Type checks: object path with a scalar type, and the reverse. */
    struct ub_param bad = {.path = "Device.A.", .type = UB_T_STRING};
    assert_int_equal(
        pdb_batch_put_param(b, PDB_PARAMS, d, &bad, PDB_PUT_ALL, NULL),
        UB_EINVAL);
    bad.path = "Device.A";
    bad.type = UB_T_OBJECT;
    assert_int_equal(
        pdb_batch_put_param(b, PDB_PARAMS, d, &bad, PDB_PUT_ALL, NULL),
        UB_EINVAL);
    /* Unknown device. */
    assert_int_equal(
        pdb_batch_put_param(b, PDB_PARAMS, 999, &p, PDB_PUT_ALL, NULL),
        UB_ENOTFOUND);
    /* Agent space is separate. */
    struct ub_param a = {.path = "Device.LocalAgent.EndpointID",
                         .value = "os::X", .type = UB_T_STRING};
    assert_int_equal(
        pdb_batch_put_param(b, PDB_AGENT, d, &a, PDB_PUT_ALL, NULL), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    reopen(f, NULL);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_param_get(r, PDB_PARAMS, d, p.path, &got), UB_OK);
    assert_string_equal(got.path, p.path);
    assert_string_equal(got.value, p.value);
    assert_string_equal(got.type_name, "vendor:weird");
    assert_int_equal(got.type, UB_T_NONE);
    assert_true(got.writable);
    assert_int_equal(got.notification, 1);
    assert_int_equal(got.updated_at, 1700000000);
    ub_param_clear(&got);
    assert_int_equal(
        pdb_param_get(r, PDB_PARAMS, d, "Device.Hosts.Host.", &got), UB_OK);
    assert_int_equal(got.type, UB_T_OBJECT);
    assert_null(got.value);
    assert_true(got.writable);
    ub_param_clear(&got);
    assert_int_equal(
        pdb_param_get(r, PDB_PARAMS, d, "Device.LocalAgent.EndpointID", &got),
        UB_ENOTFOUND);
    assert_int_equal(
        pdb_param_get(r, PDB_AGENT, d, "Device.LocalAgent.EndpointID", &got),
        UB_OK);
    assert_string_equal(got.value, "os::X");
    ub_param_clear(&got);
    struct pdb_device dv;
    assert_int_equal(pdb_device_get(r, d, &dv), UB_OK);
    assert_int_equal(dv.param_count, 2); /* agent rows not counted */
    pdb_device_clear(&dv);
    pdb_rtxn_end(r);
}

static int count_dev(void *user, const struct pdb_device *d)
{
    (*(int *)user)++;
    assert_non_null(d->endpoint_id);
    return 0;
}

static void test_device_roundtrip(void **state)
{
    struct fx *f = *state;
    struct pdb_device d = {0}, got = {0};
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    uint32_t id = 0, id2 = 0, x;
    int n = 0;

    d.endpoint_id = "os::00D09E-SN1";
    d.cwmp_device_id = "00D09E-IGD-SN1";
    d.oui = "00D09E";
    d.product_class = "IGD";
    d.serial = "SN1";
    d.manufacturer = "ACME";
    d.conn_req_url = "http://10.0.0.1:7547/cr";
    d.conn_req_username = "u";
    d.conn_req_password = "p";
    d.software_version = "1.2.3";
    d.hardware_version = "hw1";
    d.cwmp_version = "1.4";
    d.rpc_methods = "GetParameterValues,SetParameterValues";
    d.root = "Device.";
    d.last_inform = 1234567;
    d.flags = 0x55;
    d.param_count = 99;          /* [store]: ignored */
    d.sync_state = PDB_SYNC_SYNCED; /* [store]: ignored */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_device_put(b, &d, &id), UB_OK);
    /* Duplicate endpoint / CWMP id. */
    d.cwmp_device_id = "other";
    assert_int_equal(pdb_device_put(b, &d, &id2), UB_EEXIST);
    d.endpoint_id = "os::other";
    d.cwmp_device_id = "00D09E-IGD-SN1";
    assert_int_equal(pdb_device_put(b, &d, &id2), UB_EEXIST);
    d.cwmp_device_id = "00D09E-IGD-SN2";
    assert_int_equal(pdb_device_put(b, &d, &id2), UB_OK);
    assert_int_not_equal(id, id2);
    assert_int_equal(pdb_device_find_endpoint(pdb_batch_reader(b),
                                              "os::other", &x),
                     UB_OK);
    assert_int_equal(x, id2);
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    reopen(f, NULL);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_find_endpoint(r, "os::00D09E-SN1", &x), UB_OK);
    assert_int_equal(x, id);
    assert_int_equal(pdb_device_find_cwmp(r, "00D09E-IGD-SN1", &x), UB_OK);
    assert_int_equal(x, id);
    assert_int_equal(pdb_device_find_cwmp(r, "nope", &x), UB_ENOTFOUND);
    assert_int_equal(pdb_device_get(r, id, &got), UB_OK);
    assert_int_equal(got.id, id);
    assert_string_equal(got.endpoint_id, "os::00D09E-SN1");
    assert_string_equal(got.cwmp_device_id, "00D09E-IGD-SN1");
    assert_string_equal(got.oui, "00D09E");
    assert_string_equal(got.product_class, "IGD");
    assert_string_equal(got.serial, "SN1");
    assert_string_equal(got.manufacturer, "ACME");
    assert_string_equal(got.conn_req_url, "http://10.0.0.1:7547/cr");
    assert_string_equal(got.conn_req_username, "u");
    assert_string_equal(got.conn_req_password, "p");
    assert_string_equal(got.software_version, "1.2.3");
    assert_string_equal(got.hardware_version, "hw1");
    assert_string_equal(got.cwmp_version, "1.4");
    assert_string_equal(got.rpc_methods,
                        "GetParameterValues,SetParameterValues");
    assert_string_equal(got.root, "Device.");
    assert_int_equal(got.last_inform, 1234567);
    assert_int_equal(got.flags, 0x55);
    assert_int_equal(got.param_count, 0);
    assert_int_equal(got.sync_state, PDB_SYNC_NONE);
    assert_null(got.sync_cursor);
    assert_true(got.created_at > 0);
    assert_int_equal(pdb_device_list(r, count_dev, &n), UB_OK);
    assert_int_equal(n, 2);
    pdb_rtxn_end(r);

    /* Update: the endpoint id changes, the index follows. */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    got.endpoint_id[3] = 'Z';
    got.last_inform = 42;
    assert_int_equal(pdb_device_put(b, &got, NULL), UB_OK);
    assert_int_equal(put(b, id, "Device.A", "1", NULL), UB_OK);
    uint64_t seq;
    assert_int_equal(pdb_queue_push(b, id, "rpc", 3, 0, &seq), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_find_endpoint(r, "os::00D09E-SN1", &x),
                     UB_ENOTFOUND);
    assert_int_equal(pdb_device_find_endpoint(r, got.endpoint_id, &x), UB_OK);
    assert_int_equal(x, id);
    pdb_device_clear(&got);
    assert_int_equal(pdb_device_get(r, id, &got), UB_OK);
    assert_int_equal(got.last_inform, 42);
    assert_int_equal(got.param_count, 1);
    pdb_rtxn_end(r);

    /* Delete removes record, indexes, rows and queue. */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_device_del(b, id), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_find_endpoint(r, got.endpoint_id, &x),
                     UB_ENOTFOUND);
    assert_int_equal(pdb_device_find_cwmp(r, "00D09E-IGD-SN1", &x),
                     UB_ENOTFOUND);
    struct pdb_device g2;
    assert_int_equal(pdb_device_get(r, id, &g2), UB_ENOTFOUND);
    struct pdb_stats st;
    assert_int_equal(pdb_stats_get(r, &st), UB_OK);
    assert_int_equal(st.devices, 1);
    assert_int_equal(st.params, 0);
    assert_int_equal(st.queue_entries, 0);
    assert_int_equal(st.schema_version, PDB_SCHEMA_VERSION);
    pdb_rtxn_end(r);
    pdb_device_clear(&got);
}

/* ---- records and corruption ---- */

static void test_record_checks(void **state)
{
    (void)state;
    struct pdb__prow row = {.type = UB_T_UINT, .writable = true,
                            .notification = 2, .gen = 77,
                            .updated_at = -5, .value = "12345",
                            .type_name = "xsd:unsignedInt"};
    struct pdb__prow out;
    struct ub_buf buf;

    assert_int_equal(pdb__prow_encode(&row, &buf), UB_OK);
    assert_int_equal(pdb__prow_decode(buf.data, buf.len, &out), UB_OK);
    assert_int_equal(out.type, UB_T_UINT);
    assert_int_equal(out.gen, 77);
    assert_int_equal(out.updated_at, -5);
    assert_string_equal(out.value, "12345");
    assert_string_equal(out.type_name, "xsd:unsignedInt");
    /* Every truncation and every single-bit flip is detected. */
    for (size_t n = 0; n < buf.len; n++)
        assert_int_not_equal(pdb__prow_decode(buf.data, n, &out), UB_OK);
    for (size_t i = 0; i < buf.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf.data[i] ^= (char)(1 << bit);
            assert_int_not_equal(pdb__prow_decode(buf.data, buf.len, &out),
                                 UB_OK);
            buf.data[i] ^= (char)(1 << bit);
        }
    }
    /* A newer record version (with a valid CRC) is UB_EVERSION. */
    buf.data[0] = PDB__REC_VERSION + 1;
    uint32_t c = pdb__crc32(buf.data, buf.len - 4);
    memcpy(buf.data + buf.len - 4,
           (uint8_t[]){(uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16),
                       (uint8_t)(c >> 24)},
           4);
    assert_int_equal(pdb__prow_decode(buf.data, buf.len, &out), UB_EVERSION);
    ub_buf_free(&buf);
}

/* Rewrites the first value of 'dbname' with fn applied (raw LMDB). */
static void raw_mangle(const char *dir, const char *dbname,
                       void (*fn)(MDB_val *v, uint8_t *scratch))
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t scratch[4096], kcopy[512];

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, dbname, 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
    assert_int_equal(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
    memcpy(kcopy, k.mv_data, k.mv_size);
    k.mv_data = kcopy;
    assert_true(v.mv_size <= sizeof(scratch));
    memcpy(scratch, v.mv_data, v.mv_size);
    v.mv_data = scratch;
    fn(&v, scratch);
    mdb_cursor_close(c);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void flip_byte(MDB_val *v, uint8_t *s)
{
    s[v->mv_size / 2] ^= 0x20;
}

static void truncate_val(MDB_val *v, uint8_t *s)
{
    (void)s;
    v->mv_size -= 3;
}

static void test_corrupt_detect(void **state)
{
    struct fx *f = *state;
    uint32_t d = add_device(f->env, "os::C", "C-C-C");
    uint32_t other = add_device(f->env, "os::C2", "C-C-2");
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    struct ub_param got;
    struct coll c = {0};
    uint32_t gen;
    size_t ndel = 0;

    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(put(b, d, "Device.A.Name", "a-long-enough-value", NULL),
                     UB_OK);
    assert_int_equal(put(b, d, "Device.B.Name", "b", NULL), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    pdb_env_close(f->env);
    f->env = NULL;
    raw_mangle(f->dir, "params", flip_byte);
    assert_int_equal(pdb_env_open(f->dir, NULL, &f->env), UB_OK);

    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_param_get(r, PDB_PARAMS, d, "Device.A.Name", &got),
                     UB_ECORRUPT);
    assert_int_equal(pdb_param_get(r, PDB_PARAMS, d, "Device.B.Name", &got),
                     UB_OK);
    ub_param_clear(&got);
    assert_int_equal(pdb_param_iter(r, PDB_PARAMS, d, NULL, coll_param, &c),
                     UB_ECORRUPT);
    pdb_rtxn_end(r);

    /* The caller marks the device for re-sync; a full sync heals it. */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_device_mark_unsynced(b, d), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    struct pdb_device dv;
    assert_int_equal(pdb_device_get(r, d, &dv), UB_OK);
    assert_int_equal(dv.sync_state, PDB_SYNC_NONE);
    pdb_device_clear(&dv);
    pdb_rtxn_end(r);
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_sync_begin(b, d, NULL, &gen), UB_OK);
    assert_int_equal(put(b, d, "Device.B.Name", "b", NULL), UB_OK);
    assert_int_equal(pdb_sync_finish(b, d, gen, NULL, NULL, NULL, &ndel),
                     UB_OK);
    assert_int_equal(ndel, 1);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    memset(&c, 0, sizeof(c));
    assert_int_equal(pdb_param_iter(r, PDB_PARAMS, d, NULL, coll_param, &c),
                     UB_OK);
    assert_string_equal(c.buf, "Device.B.Name\n");
    pdb_rtxn_end(r);

    /* A truncated device record is detected too. */
    pdb_env_close(f->env);
    f->env = NULL;
    raw_mangle(f->dir, "devices", truncate_val);
    assert_int_equal(pdb_env_open(f->dir, NULL, &f->env), UB_OK);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_get(r, d, &dv), UB_ECORRUPT);
    int nlisted = 0;
    assert_int_equal(pdb_device_list(r, count_dev, &nlisted), UB_ECORRUPT);
    assert_int_equal(nlisted, 1); /* the readable one is still listed */
    assert_int_equal(pdb_device_get(r, other, &dv), UB_OK);
    pdb_device_clear(&dv);
    pdb_rtxn_end(r);
    /* Repair: a batch touching it gets UB_ECORRUPT but stays usable; the
     * device can be deleted (indexes found by scan) and registered again. */
    uint32_t x, d2;
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(put(b, d, "Device.B.Name", "b", NULL), UB_ECORRUPT);
    assert_int_equal(pdb_device_del(b, d), UB_OK);
    assert_int_equal(pdb_device_find_cwmp(pdb_batch_reader(b), "C-C-C", &x),
                     UB_ENOTFOUND);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    d2 = add_device(f->env, "os::C", "C-C-C");
    assert_int_not_equal(d2, d);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_find_endpoint(r, "os::C", &x), UB_OK);
    assert_int_equal(x, d2);
    assert_int_equal(pdb_param_get(r, PDB_PARAMS, d, "Device.B.Name", &got),
                     UB_ENOTFOUND);
    pdb_rtxn_end(r);
}

/* ---- map full ---- */

static void test_map_full(void **state)
{
    struct fx *f = *state;
    struct pdb_config cfg;
    struct pdb_batch *b;
    char val[2000];
    int err = UB_OK, i;
    uint32_t d;

    pdb_config_init(&cfg);
    cfg.map_size = 256 * 1024;
    cfg.map_max = 256 * 1024; /* no growth */
    cfg.map_grow_step = 64 * 1024;
    reopen(f, &cfg);
    d = add_device(f->env, "os::F", "F-F-F");
    memset(val, 'x', sizeof(val) - 1);
    val[sizeof(val) - 1] = 0;
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    for (i = 0; i < 1000 && !err; i++) {
        char path[64];
        snprintf(path, sizeof(path), "Device.Big.%d.V", i + 1);
        err = put(b, d, path, val, NULL);
    }
    if (!err)
        err = pdb_batch_commit(b);
    else {
        /* Sticky: further calls fail the same way, commit too. */
        assert_int_equal(put(b, d, "Device.X", "1", NULL), UB_EFULL);
        assert_int_equal(pdb_batch_commit(b), UB_EFULL);
    }
    assert_int_equal(err, UB_EFULL);
    /* The store still works for small batches. */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(put(b, d, "Device.Small", "1", NULL), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    /* With room to grow, the retried message goes through. */
    cfg.map_max = 64 * 1024 * 1024;
    cfg.map_grow_step = 1024 * 1024;
    reopen(f, &cfg);
    int tries = 0;
    do {
        err = UB_OK;
        assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
        for (i = 0; i < 1000 && !err; i++) {
            char path[64];
            snprintf(path, sizeof(path), "Device.Big.%d.V", i + 1);
            err = put(b, d, path, val, NULL);
        }
        if (err)
            pdb_batch_abort(b);
        else
            err = pdb_batch_commit(b);
    } while (err == UB_EFULL && ++tries < 10);
    assert_int_equal(err, UB_OK);
    struct pdb_rtxn *r;
    struct pdb_stats st;
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_stats_get(r, &st), UB_OK);
    assert_true(st.map_size > 256 * 1024);
    assert_int_equal(st.params, 1001);
    pdb_rtxn_end(r);
}

/* ---- schema ---- */

static void set_schema_2(MDB_val *v, uint8_t *s)
{
    assert_int_equal(v->mv_size, 4);
    s[0] = s[1] = s[2] = 0;
    s[3] = PDB_SCHEMA_VERSION + 1;
}

static void test_schema_refusal(void **state)
{
    struct fx *f = *state;
    struct pdb_env *e = NULL;

    pdb_env_close(f->env);
    f->env = NULL;
    raw_mangle(f->dir, "meta", set_schema_2); /* "schema" is the only key */
    assert_int_equal(pdb_env_open(f->dir, NULL, &e), UB_EVERSION);
    assert_null(e);
    struct pdb_config cfg;
    pdb_config_init(&cfg);
    cfg.read_only = true;
    assert_int_equal(pdb_env_open(f->dir, &cfg, &e), UB_EVERSION);
    /* Read-only open of a directory without a store. */
    char empty[256];
    assert_non_null(tdir_make(empty, sizeof(empty)));
    assert_int_equal(pdb_env_open(empty, &cfg, &e), UB_ENOTFOUND);
    tdir_remove(empty);
}

/* ---- queue and outbox ---- */

struct qseen {
    uint64_t seq[16];
    int n;
};

static int q_cb(void *user, const struct pdb_queue_entry *e)
{
    struct qseen *s = user;
    s->seq[s->n++] = e->seq;
    return 0;
}

static int o_cb(void *user, const struct pdb_outbox_entry *e)
{
    struct qseen *s = user;
    s->seq[s->n++] = e->seq;
    assert_int_equal(e->payload_len, 4);
    return 0;
}

static void test_queue_outbox(void **state)
{
    struct fx *f = *state;
    struct pdb_config cfg;
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    struct pdb_queue_entry e;
    struct qseen s = {0};
    uint64_t q1, q2, q3, o1, o2;
    size_t n;
    uint32_t d, d2;

    pdb_config_init(&cfg);
    cfg.queue_max = 3;
    reopen(f, &cfg);
    d = add_device(f->env, "os::Q", "Q-Q-Q");
    d2 = add_device(f->env, "os::R", "R-R-R");
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_queue_push(b, d, "first", 5, 100, &q1), UB_OK);
    assert_int_equal(pdb_queue_push(b, d2, "other", 5, 100, NULL), UB_OK);
    assert_int_equal(pdb_queue_push(b, d, "second", 6, 200, &q2), UB_OK);
    assert_int_equal(pdb_queue_push(b, d, "", 0, 300, &q3), UB_OK);
    assert_int_equal(pdb_queue_push(b, d, "x", 1, 300, NULL), UB_EFULL);
    assert_int_equal(pdb_queue_push(b, 777, "x", 1, 300, NULL), UB_ENOTFOUND);
    assert_int_equal(pdb_queue_set_state(b, d, q2, 5), UB_OK);
    assert_int_equal(pdb_outbox_push(b, d, "m1", "abcd", 4, 50, &o1), UB_OK);
    assert_int_equal(pdb_outbox_push(b, d, "m2", "efgh", 4, 500, &o2), UB_OK);
    assert_int_equal(pdb_outbox_attempt(b, d, o2), UB_OK);
    assert_int_equal(pdb_outbox_attempt(b, d, o2), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    assert_true(q1 < q2 && q2 < q3);

    reopen(f, &cfg); /* survives restart */
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_queue_peek(r, d, &e), UB_OK);
    assert_int_equal(e.seq, q1);
    assert_int_equal(e.payload_len, 5);
    assert_memory_equal(e.payload, "first", 5);
    assert_int_equal(e.deadline, 100);
    assert_int_equal(pdb_queue_list(r, d, q_cb, &s), UB_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.seq[0], q1);
    assert_int_equal(s.seq[1], q2);
    assert_int_equal(s.seq[2], q3);
    memset(&s, 0, sizeof(s));
    assert_int_equal(pdb_outbox_list(r, d, o_cb, &s), UB_OK);
    assert_int_equal(s.n, 2);
    pdb_rtxn_end(r);

    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_queue_del(b, d, q1), UB_OK);
    assert_int_equal(pdb_queue_del(b, d, q1), UB_ENOTFOUND);
    assert_int_equal(pdb_queue_peek(pdb_batch_reader(b), d, &e), UB_OK);
    assert_int_equal(e.seq, q2);
    assert_int_equal(e.state, 5);
    assert_int_equal(pdb_queue_expire(b, 250, NULL, NULL, &n), UB_OK);
    assert_int_equal(n, 2); /* q2 (200) and d2's entry (100) */
    assert_int_equal(pdb_outbox_ack(b, d, "m1"), UB_OK);
    assert_int_equal(pdb_outbox_ack(b, d, "m1"), UB_ENOTFOUND);
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    reopen(f, &cfg);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    memset(&s, 0, sizeof(s));
    assert_int_equal(pdb_queue_list(r, d, q_cb, &s), UB_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seq[0], q3);
    assert_int_equal(pdb_queue_peek(r, d2, &e), UB_ENOTFOUND);
    memset(&s, 0, sizeof(s));
    assert_int_equal(pdb_outbox_list(r, d, o_cb, &s), UB_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seq[0], o2);
    pdb_rtxn_end(r);
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_outbox_expire(b, 1000, NULL, NULL, &n), UB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
}

/* ---- sync ---- */

static int del_collect(void *user, const struct ub_node *n)
{
    if (n->type == UB_T_OBJECT)
        coll_add(user, n->path);
    return 0;
}

static void test_sync_diff(void **state)
{
    struct fx *f = *state;
    uint32_t d = add_device(f->env, "os::S", "S-S-S");
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    struct pdb_device dv;
    struct coll del = {0}, all = {0};
    uint32_t gen;
    bool created;
    size_t n;

    /* First full sync, in two batches with a cursor (resume). */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_sync_begin(b, d, NULL, &gen), UB_OK);
    assert_int_equal(gen, 1);
    assert_int_equal(put(b, d, "Device.Hosts.Host.1.", NULL, NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.Hosts.Host.1.Name", "a", NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.Hosts.Host.2.", NULL, NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.Hosts.Host.2.Name", "b", NULL), UB_OK);
    assert_int_equal(pdb_sync_set_cursor(b, d, "Device.WiFi."), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    reopen(f, NULL);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_get(r, d, &dv), UB_OK);
    assert_int_equal(dv.sync_state, PDB_SYNC_IN_PROGRESS);
    assert_string_equal(dv.sync_cursor, "Device.WiFi.");
    assert_int_equal(dv.sync_gen, gen);
    pdb_device_clear(&dv);
    pdb_rtxn_end(r);
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(put(b, d, "Device.WiFi.SSID.1.", NULL, NULL), UB_OK);
    assert_int_equal(pdb_sync_finish(b, d, gen + 1, NULL, NULL, NULL, NULL),
                     UB_ESTATE);
    assert_int_equal(pdb_sync_finish(b, d, gen, NULL, NULL, NULL, &n), UB_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    /* Second full sync: Host.2 gone, Host.3 new. */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_sync_begin(b, d, NULL, &gen), UB_OK);
    assert_int_equal(gen, 2);
    assert_int_equal(put(b, d, "Device.Hosts.Host.1.", NULL, &created), UB_OK);
    assert_false(created);
    assert_int_equal(put(b, d, "Device.Hosts.Host.1.Name", "a", NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.Hosts.Host.3.", NULL, &created), UB_OK);
    assert_true(created);
    assert_int_equal(put(b, d, "Device.WiFi.SSID.1.", NULL, NULL), UB_OK);
    assert_int_equal(
        pdb_sync_finish(b, d, gen, NULL, del_collect, &del, &n), UB_OK);
    assert_int_equal(n, 2); /* Host.2. and Host.2.Name */
    assert_string_equal(del.buf, "Device.Hosts.Host.2.\n");
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_get(r, d, &dv), UB_OK);
    assert_int_equal(dv.sync_state, PDB_SYNC_SYNCED);
    assert_null(dv.sync_cursor);
    assert_int_equal(dv.param_count, 4);
    pdb_device_clear(&dv);
    assert_int_equal(pdb_param_iter(r, PDB_PARAMS, d, NULL, coll_param, &all),
                     UB_OK);
    assert_string_equal(all.buf, "Device.Hosts.Host.1.\n"
                                 "Device.Hosts.Host.1.Name\n"
                                 "Device.Hosts.Host.3.\n"
                                 "Device.WiFi.SSID.1.\n");
    pdb_rtxn_end(r);

    /* A subtree sync only touches its subtree; state stays SYNCED. */
    memset(&del, 0, sizeof(del));
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_sync_begin(b, d, "Device.Hosts.", &gen), UB_OK);
    assert_int_equal(put(b, d, "Device.Hosts.Host.3.", NULL, NULL), UB_OK);
    assert_int_equal(pdb_sync_finish(b, d, gen, "Device.Hosts.", del_collect,
                                     &del, &n),
                     UB_OK);
    assert_string_equal(del.buf, "Device.Hosts.Host.1.\n");
    /* Replace a subtree atomically in the batch: del + puts. */
    assert_int_equal(pdb_batch_del_subtree(b, PDB_PARAMS, d, "Device.WiFi.",
                                           NULL, NULL, &n),
                     UB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(put(b, d, "Device.WiFi.Radio.1.", NULL, &created), UB_OK);
    assert_true(created);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_device_get(r, d, &dv), UB_OK);
    assert_int_equal(dv.sync_state, PDB_SYNC_SYNCED);
    assert_int_equal(dv.param_count, 2);
    pdb_device_clear(&dv);
    pdb_rtxn_end(r);
}

/* ---- tree view ---- */

static void test_tree(void **state)
{
    struct fx *f = *state;
    uint32_t d = add_device(f->env, "os::T", "T-T-T");
    struct pdb_batch *b;
    struct pdb_rtxn *r;
    struct ub_tree t;
    struct coll c = {0};

    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(put(b, d, "Device.", NULL, NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.WiFi.", NULL, NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.WiFi.RadioNumberOfEntries", "2", NULL),
                     UB_OK);
    /* No rows for Radio. / Radio.10. / Radio.2.: synthesised. */
    assert_int_equal(put(b, d, "Device.WiFi.Radio.10.Enable", "1", NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.WiFi.Radio.2.Enable", "0", NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.WiFi.Radio.2.Stats.Bytes", "9", NULL),
                     UB_OK);
    assert_int_equal(put(b, d, "Device.WiFi.SSID.", NULL, NULL), UB_OK);
    assert_int_equal(put(b, d, "Device.Hosts.HostNumberOfEntries", "0", NULL),
                     UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);

    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_tree_create(r, PDB_PARAMS, d, &t), UB_OK);
    assert_int_equal(t.ops->children(t.ctx, "Device.WiFi.", coll_node, &c),
                     UB_OK);
    assert_string_equal(c.buf, "Device.WiFi.RadioNumberOfEntries\n"
                               "Device.WiFi.Radio.\n"
                               "Device.WiFi.SSID.\n");
    memset(&c, 0, sizeof(c));
    assert_int_equal(
        t.ops->children(t.ctx, "Device.WiFi.Radio.", coll_node, &c), UB_OK);
    assert_string_equal(c.buf, "Device.WiFi.Radio.2.\nDevice.WiFi.Radio.10.\n");
    memset(&c, 0, sizeof(c));
    assert_int_equal(t.ops->subtree(t.ctx, "Device.WiFi.", coll_node, &c),
                     UB_OK);
    assert_string_equal(c.buf, "Device.WiFi.\n"
                               "Device.WiFi.RadioNumberOfEntries\n"
                               "Device.WiFi.Radio.\n"
                               "Device.WiFi.Radio.2.\n"
                               "Device.WiFi.Radio.2.Enable\n"
                               "Device.WiFi.Radio.2.Stats.\n"
                               "Device.WiFi.Radio.2.Stats.Bytes\n"
                               "Device.WiFi.Radio.10.\n"
                               "Device.WiFi.Radio.10.Enable\n"
                               "Device.WiFi.SSID.\n");
    memset(&c, 0, sizeof(c));
    assert_int_equal(t.ops->subtree(t.ctx, "Device.Hosts.", coll_node, &c),
                     UB_OK);
    assert_string_equal(c.buf,
                        "Device.Hosts.\nDevice.Hosts.HostNumberOfEntries\n");
    memset(&c, 0, sizeof(c));
    assert_int_equal(t.ops->lookup(t.ctx, "Device.WiFi.Radio.2.", coll_node,
                                   &c),
                     UB_OK);
    assert_int_equal(
        t.ops->lookup(t.ctx, "Device.WiFi.Radio.10.Enable", coll_node, &c),
        UB_OK);
    assert_string_equal(c.buf,
                        "Device.WiFi.Radio.2.\nDevice.WiFi.Radio.10.Enable\n");
    assert_int_equal(t.ops->lookup(t.ctx, "Device.WiFi.Radio.3.", coll_node,
                                   &c),
                     UB_ENOTFOUND);
    assert_int_equal(t.ops->lookup(t.ctx, "Device.WiFi", coll_node, &c),
                     UB_ENOTFOUND);
    assert_int_equal(t.ops->subtree(t.ctx, "Device.Nope.", coll_node, &c),
                     UB_ENOTFOUND);
    memset(&c, 0, sizeof(c));
    assert_int_equal(t.ops->children(t.ctx, "", coll_node, &c), UB_OK);
    assert_string_equal(c.buf, "Device.\n");
    pdb_tree_destroy(&t);
    pdb_rtxn_end(r);
}

/* ---- batches and read-only access ---- */

static void test_batch_rules(void **state)
{
    struct fx *f = *state;
    struct pdb_batch *b, *b2;
    struct pdb_rtxn *r;
    struct ub_param got;
    uint32_t d = add_device(f->env, "os::B", "B-B-B");

    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(pdb_batch_begin(f->env, &b2), UB_ESTATE);
    assert_int_equal(put(b, d, "Device.A", "1", NULL), UB_OK);
    /* Invalid input does not poison the batch. */
    assert_int_equal(put(b, d, "Device..A", "1", NULL), UB_EINVAL);
    assert_int_equal(put(b, d, "Device.B", "2", NULL), UB_OK);
    /* Reads through the batch see its writes; outside they do not. */
    assert_int_equal(
        pdb_param_get(pdb_batch_reader(b), PDB_PARAMS, d, "Device.B", &got),
        UB_OK);
    ub_param_clear(&got);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_param_get(r, PDB_PARAMS, d, "Device.B", &got),
                     UB_ENOTFOUND);
    pdb_rtxn_end(r);
    pdb_batch_abort(b);
    assert_int_equal(pdb_rtxn_begin(f->env, &r), UB_OK);
    assert_int_equal(pdb_param_get(r, PDB_PARAMS, d, "Device.A", &got),
                     UB_ENOTFOUND);
    pdb_rtxn_end(r);
}

static void test_readonly_while_writer(void **state)
{
    struct fx *f = *state;
    uint32_t d = add_device(f->env, "os::RO", "R-O-1");
    struct pdb_batch *b;
    int status;
    pid_t pid;

    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(put(b, d, "Device.Committed", "yes", NULL), UB_OK);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
    /* Keep a write batch open in the parent while the child reads. */
    assert_int_equal(pdb_batch_begin(f->env, &b), UB_OK);
    assert_int_equal(put(b, d, "Device.Uncommitted", "no", NULL), UB_OK);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct pdb_config cfg;
        struct pdb_env *e;
        struct pdb_rtxn *r;
        struct pdb_batch *cb;
        struct ub_param got;
        uint32_t id;
        int rc = 0;

        pdb_config_init(&cfg);
        cfg.read_only = true;
        if (pdb_env_open(f->dir, &cfg, &e))
            _exit(10);
        if (pdb_rtxn_begin(e, &r))
            _exit(11);
        if (pdb_device_find_endpoint(r, "os::RO", &id) || id != d)
            rc = 12;
        else if (pdb_param_get(r, PDB_PARAMS, d, "Device.Committed", &got))
            rc = 13;
        else if (ub_param_clear(&got),
                 pdb_param_get(r, PDB_PARAMS, d, "Device.Uncommitted", &got) !=
                     UB_ENOTFOUND)
            rc = 14;
        pdb_rtxn_end(r);
        if (!rc && pdb_batch_begin(e, &cb) != UB_ESTATE)
            rc = 15;
        pdb_env_close(e);
        _exit(rc);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(pdb_batch_commit(b), UB_OK);
}

/* ---- allocation failures ---- */

static int ignore_node(void *user, const struct ub_node *n)
{
    (void)user;
    (void)n;
    return 0;
}

/* One pass over most entry points; any call may fail with UB_ENOMEM.
 * Returns UB_OK only if everything succeeded. */
static int alloc_scenario(const char *dir)
{
    struct pdb_env *env = NULL;
    struct pdb_batch *b = NULL;
    struct pdb_rtxn *r = NULL;
    struct pdb_device d = {0}, got = {0};
    struct ub_param p = {0}, gp = {0};
    struct ub_tree t = {0};
    uint32_t id = 0, gen;
    int err;

    err = pdb_env_open(dir, NULL, &env);
    if (err)
        goto out;
    err = pdb_batch_begin(env, &b);
    if (err)
        goto out;
    err = pdb_device_find_endpoint(pdb_batch_reader(b), "os::M", &id);
    if (err == UB_ENOTFOUND) {
        d.endpoint_id = "os::M";
        d.cwmp_device_id = "M-M-M";
        d.conn_req_url = "http://x/";
        err = pdb_device_put(b, &d, &id);
    }
    if (!err)
        err = pdb_sync_begin(b, id, NULL, &gen);
    if (!err)
        err = pdb_sync_set_cursor(b, id, "Device.A.");
    p.path = "Device.A.1.B";
    p.value = "v";
    p.type = UB_T_STRING;
    p.type_name = "xsd:string";
    if (!err)
        err = pdb_batch_put_param(b, PDB_PARAMS, id, &p, PDB_PUT_ALL, NULL);
    if (!err)
        err = pdb_sync_finish(b, id, gen, NULL, NULL, NULL, NULL);
    if (!err)
        err = pdb_queue_push(b, id, "x", 1, 0, NULL);
    if (!err)
        err = pdb_queue_expire(b, 1, NULL, NULL, NULL);
    if (err)
        goto out;
    err = pdb_batch_commit(b);
    b = NULL;
    if (err)
        goto out;
    err = pdb_rtxn_begin(env, &r);
    if (!err)
        err = pdb_device_get(r, id, &got);
    if (!err)
        err = pdb_param_get(r, PDB_PARAMS, id, "Device.A.1.B", &gp);
    if (!err)
        err = pdb_tree_create(r, PDB_PARAMS, id, &t);
    if (!err)
        err = t.ops->subtree(t.ctx, "Device.", ignore_node, NULL);
out:
    pdb_tree_destroy(&t);
    ub_param_clear(&gp);
    pdb_device_clear(&got);
    pdb_rtxn_end(r);
    pdb_batch_abort(b);
    pdb_env_close(env);
    return err;
}

static void test_alloc_failures(void **state)
{
    struct fx *f = *state;
    size_t base;
    int n, err = UB_ENOMEM;

    pdb_env_close(f->env);
    f->env = NULL;
    base = ub_mem_in_use();
    for (n = 0; n < 500 && err; n++) {
        ub_mem_fail_after(n);
        err = alloc_scenario(f->dir);
        ub_mem_fail_after(-1);
        /* Nothing leaks whatever failed, and only ENOMEM may appear. */
        assert_int_equal(ub_mem_in_use(), base);
        if (err)
            assert_int_equal(err, UB_ENOMEM);
    }
    print_message("allocation sweep: succeeded after %d failure points\n",
                  n - 1);
    assert_int_equal(err, UB_OK);
    assert_true(n > 3); /* the sweep did hit several allocations */
    assert_int_equal(pdb_env_open(f->dir, NULL, &f->env), UB_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_key_roundtrip),
        cmocka_unit_test(test_record_checks),
        cmocka_unit_test_setup_teardown(test_prefix_scan, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_param_roundtrip, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_device_roundtrip, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_detect, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_full, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_schema_refusal, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_outbox, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_sync_diff, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tree, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch_rules, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_while_writer, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
