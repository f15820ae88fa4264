/*
 * Unit tests of the hosted Device.LocalAgent. (usp/src/agent_*.c) over an
 * in-memory store: a sorted array of rows implementing
 * struct usp_agent_store_ops, read through usp_agent_tree() and the USP
 * path engine.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ub/usp.h>

/* ------------------------------------------------------------------ */
/* In-memory store                                                     */
/* ------------------------------------------------------------------ */

struct mem {
    struct ub_param *v;
    size_t n, cap;
    size_t writes; /* put + del calls that changed something */
};

static size_t mem_find(const struct mem *m, const char *path, bool *found)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(m->v[mid].path, path);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int mem_get(void *ctx, const char *path, struct ub_param *out)
{
    struct mem *m = ctx;
    bool f;
    size_t i = mem_find(m, path, &f);

    if (!f)
        return UB_ENOTFOUND;
    memset(out, 0, sizeof(*out));
    out->path = ub_strdup(m->v[i].path);
    out->value = m->v[i].value ? ub_strdup(m->v[i].value) : NULL;
    out->type = m->v[i].type;
    out->writable = m->v[i].writable;
    return UB_OK;
}

static int mem_iter(void *ctx, const char *prefix, usp_agent_row_cb cb,
                    void *user)
{
    struct mem *m = ctx;
    size_t pl = strlen(prefix), i;
    bool f;

    for (i = mem_find(m, prefix, &f); i < m->n; i++) {
        int rc;

        if (strncmp(m->v[i].path, prefix, pl) != 0)
            break;
        rc = cb(user, &m->v[i]);
        if (rc)
            return rc;
    }
    return UB_OK;
}

static int mem_put(void *ctx, const struct ub_param *row)
{
    struct mem *m = ctx;
    bool f;
    size_t i = mem_find(m, row->path, &f);
    struct ub_param *p;

    assert_true(ub_path_is_valid(row->path));
    if (!f) {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->v = realloc(m->v, m->cap * sizeof(*m->v));
            assert_non_null(m->v);
        }
        memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
        m->n++;
        memset(&m->v[i], 0, sizeof(m->v[i]));
        m->v[i].path = ub_strdup(row->path);
    }
    p = &m->v[i];
    ub_free(p->value);
    p->value = row->value ? ub_strdup(row->value) : NULL;
    p->type = row->type;
    p->writable = row->writable;
    m->writes++;
    return UB_OK;
}

static int mem_del(void *ctx, const char *path)
{
    struct mem *m = ctx;
    size_t pl = strlen(path), i = 0, j = 0;
    bool obj = pl && path[pl - 1] == '.';

    for (i = 0; i < m->n; i++) {
        bool hit = obj ? strncmp(m->v[i].path, path, pl) == 0
                       : strcmp(m->v[i].path, path) == 0;

        if (hit) {
            ub_param_clear(&m->v[i]);
            m->writes++;
            continue;
        }
        m->v[j++] = m->v[i];
    }
    m->n = j;
    return UB_OK;
}

static const struct usp_agent_store_ops mem_ops = {
    .get = mem_get, .iter = mem_iter, .put = mem_put, .del = mem_del};

static void mem_free(struct mem *m)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        ub_param_clear(&m->v[i]);
    free(m->v);
    memset(m, 0, sizeof(*m));
}

static const char *mem_val(struct mem *m, const char *path)
{
    bool f;
    size_t i = mem_find(m, path, &f);

    return f ? (m->v[i].value ? m->v[i].value : "") : NULL;
}

/* ------------------------------------------------------------------ */
/* Fixture: one agent with an MQTT MTP, two controllers                */
/* ------------------------------------------------------------------ */

#define AGENT_EID "os::00D09E-SN12345"
#define CTRL1 "self::ctrl-1"
#define CTRL2 "self::ctrl-2"

struct fx {
    struct mem mem;
    struct usp_agent_store st;
};

static int64_t fixed_wall(void *u)
{
    (void)u;
    return 1700000000; /* 2023-11-14T22:13:20Z */
}

static uint64_t fixed_mono(void *u)
{
    (void)u;
    return 1000000; /* ms */
}

static int setup(void **state)
{
    static const struct usp_agent_mtp_conf mtps[] = {
        {.proto = USP_AGENT_PROTO_MQTT, .enable = true,
         .mqtt_reference = "Device.MQTT.Client.1",
         .mqtt_response_topic = "usp/agent/os::00D09E-SN12345",
         .mqtt_qos = 1},
    };
    static const struct usp_agent_ctrl_conf ctrls[] = {
        {.endpoint_id = CTRL1, .enable = true,
         .proto = USP_AGENT_PROTO_MQTT, .mqtt_topic = "usp/ctrl-1"},
        {.endpoint_id = CTRL2, .enable = true,
         .proto = USP_AGENT_PROTO_WEBSOCKET, .ws_host = "ctrl2.example",
         .ws_port = 8443, .ws_path = "/usp", .ws_encryption = true,
         .assigned_role = "Device.LocalAgent.ControllerTrust.Role.2"},
    };
    struct usp_agent_init init = {
        .endpoint_id = AGENT_EID, .software_version = "1.2.3",
        .mtps = mtps, .n_mtps = 1, .ctrls = ctrls, .n_ctrls = 2};
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    ub_clock_override(fixed_mono, fixed_wall, NULL);
    f->st.ops = &mem_ops;
    f->st.ctx = &f->mem;
    assert_int_equal(usp_agent_init_rows(&f->st, &init), UB_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    mem_free(&f->mem);
    free(f);
    ub_clock_override(NULL, NULL, NULL);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Init and Get                                                        */
/* ------------------------------------------------------------------ */

static void test_init_rows(void **state)
{
    struct fx *f = *state;
    struct mem *m = &f->mem;
    struct usp_agent_init again = {.endpoint_id = AGENT_EID};
    size_t before;

    assert_string_equal(mem_val(m, "Device.LocalAgent.EndpointID"),
                        AGENT_EID);
    assert_string_equal(mem_val(m, "Device.LocalAgent.SoftwareVersion"),
                        "1.2.3");
    assert_string_equal(mem_val(m, "Device.LocalAgent.SupportedProtocols"),
                        "MQTT");
    assert_string_equal(mem_val(m, "Device.LocalAgent.MTPNumberOfEntries"),
                        "1");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.ControllerNumberOfEntries"), "2");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.SubscriptionNumberOfEntries"), "0");
    assert_string_equal(mem_val(m, "Device.LocalAgent.MTP.1.Protocol"),
                        "MQTT");
    assert_string_equal(mem_val(m, "Device.LocalAgent.MTP.1.Alias"),
                        "cpe-1");
    assert_string_equal(mem_val(m, "Device.LocalAgent.MTP.1.MQTT.Reference"),
                        "Device.MQTT.Client.1");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.MTP.1.MQTT.PublishQoS"), "1");
    assert_null(mem_val(m, "Device.LocalAgent.MTP.1.WebSocket."));
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.Controller.1.EndpointID"), CTRL1);
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.Controller.1.AssignedRole"),
        "Device.LocalAgent.ControllerTrust.Role.1");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.Controller.1.MTP.1.MQTT.Topic"),
        "usp/ctrl-1");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.Controller.1.MTPNumberOfEntries"), "1");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.Controller.2.MTP.1.WebSocket.Port"),
        "8443");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.Controller.2.MTP.1.Protocol"),
        "WebSocket");
    assert_string_equal(
        mem_val(m,
                "Device.LocalAgent.ControllerTrust.Role.1.Permission.1."
                "Targets"),
        "Device.");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.ControllerTrust.Role.2.Name"),
        "Untrusted");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.ControllerTrust.UntrustedRole"),
        "Device.LocalAgent.ControllerTrust.Role.2");
    assert_string_equal(
        mem_val(m, "Device.LocalAgent.ControllerTrust.RoleNumberOfEntries"),
        "2");

    /* never twice */
    before = m->writes;
    assert_int_equal(usp_agent_init_rows(&f->st, &again), UB_EEXIST);
    assert_int_equal(m->writes, before);
}

static void test_init_bad_config(void **state)
{
    struct mem m = {0};
    struct usp_agent_store st = {.ops = &mem_ops, .ctx = &m};
    static const struct usp_agent_mtp_conf bad_qos[] = {
        {.proto = USP_AGENT_PROTO_MQTT, .mqtt_qos = 3}};
    struct usp_agent_init init = {.endpoint_id = AGENT_EID,
                                  .mtps = bad_qos, .n_mtps = 1};
    struct usp_agent_init noeid = {0};
    struct usp_agent_store_ops ro = mem_ops;
    struct usp_agent_store rost = {.ops = &ro, .ctx = &m};

    (void)state;
    assert_int_equal(usp_agent_init_rows(&st, &noeid), UB_EINVAL);
    assert_int_equal(usp_agent_init_rows(&st, &init), UB_EINVAL);
    ro.put = NULL;
    init.n_mtps = 0;
    assert_int_equal(usp_agent_init_rows(&rost, &init), UB_EINVAL);
    mem_free(&m);
}

struct collect {
    struct ub_strv s;
};

static void resolve(struct fx *f, const char *text, struct ub_strv *out)
{
    struct usp_agent_view view = {.st = f->st, .up_since_ms = 400000};
    struct ub_tree tree;
    struct usp_path *p = NULL;
    struct usp_resolved r;
    size_t i;

    usp_agent_tree(&view, &tree);
    assert_int_equal(usp_path_parse(text, &p, NULL), UB_OK);
    assert_int_equal(usp_path_resolve(p, &tree, NULL, &r), UB_OK);
    for (i = 0; i < r.paths.n; i++)
        assert_int_equal(ub_strv_add(out, r.paths.v[i]), UB_OK);
    usp_resolved_free(&r);
    usp_path_free(p);
}

static int node_value(void *user, const struct ub_node *n)
{
    snprintf(user, 64, "%s", n->value ? n->value : "<obj>");
    return 0;
}

static int node_path(void *user, const struct ub_node *n)
{
    return ub_strv_add(user, n->path);
}

static void test_get_via_tree(void **state)
{
    struct fx *f = *state;
    struct usp_agent_view view = {.st = f->st, .up_since_ms = 400000};
    struct ub_tree tree;
    struct ub_strv s;
    char val[64];

    ub_strv_init(&s, 0);
    resolve(f, "Device.LocalAgent.Controller.*.EndpointID", &s);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0], "Device.LocalAgent.Controller.1.EndpointID");
    assert_string_equal(s.v[1], "Device.LocalAgent.Controller.2.EndpointID");
    ub_strv_free(&s);

    ub_strv_init(&s, 0);
    resolve(f, "Device.LocalAgent.Controller.[EndpointID==\"" CTRL2
               "\"].MTP.1.WebSocket.Host",
            &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(
        s.v[0], "Device.LocalAgent.Controller.2.MTP.1.WebSocket.Host");
    ub_strv_free(&s);

    /* alias addressing */
    ub_strv_init(&s, 0);
    resolve(f, "Device.LocalAgent.Controller.[cpe-2].EndpointID", &s);
    assert_int_equal(s.n, 1);
    ub_strv_free(&s);

    /* the "_Meta." bookkeeping is invisible; UpTime is live */
    usp_agent_tree(&view, &tree);
    assert_int_equal(tree.ops->lookup(tree.ctx,
                                      "_Meta.Device.LocalAgent.Controller."
                                      "NextInstance",
                                      node_value, val),
                     UB_ENOTFOUND);
    assert_int_equal(
        tree.ops->lookup(tree.ctx, "Device.LocalAgent.UpTime", node_value,
                         val),
        UB_OK);
    assert_string_equal(val, "600"); /* (1000000 - 400000) / 1000 */
    ub_strv_init(&s, 0);
    assert_int_equal(tree.ops->subtree(tree.ctx, "Device.", node_path, &s),
                     UB_OK);
    assert_true(s.n > 50);
    assert_string_equal(s.v[0], "Device.");
    assert_string_equal(s.v[1], "Device.LocalAgent.");
    for (size_t i = 0; i < s.n; i++)
        assert_null(strstr(s.v[i], "_Meta"));
    ub_strv_free(&s);
    ub_strv_init(&s, 0);
    assert_int_equal(tree.ops->children(tree.ctx,
                                        "Device.LocalAgent.Controller.",
                                        node_path, &s),
                     UB_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[1], "Device.LocalAgent.Controller.2.");
    ub_strv_free(&s);
    assert_true(usp_agent_path_is_hosted("Device.LocalAgent.Subscription."));
    assert_false(usp_agent_path_is_hosted("Device.DeviceInfo."));
}

/* ------------------------------------------------------------------ */
/* Set                                                                 */
/* ------------------------------------------------------------------ */

struct set_case {
    const char *obj;
    const char *param;
    const char *value;
    uint32_t perr;  /* expected param error, 0 = accepted */
    uint32_t oerr;  /* expected object error when required */
};

static void test_set_table(void **state)
{
    static const struct set_case cases[] = {
        /* valid */
        {"Device.LocalAgent.Controller.1.", "PeriodicNotifInterval", "3600",
         0, 0},
        {"Device.LocalAgent.Controller.1.", "Enable", "0", 0, 0},
        {"Device.LocalAgent.Controller.1.", "Alias", "north", 0, 0},
        {"Device.LocalAgent.Controller.1.", "PeriodicNotifTime",
         "2024-01-01T00:00:00Z", 0, 0},
        {"Device.LocalAgent.Controller.1.MTP.1.", "MQTT.Topic", "usp/new", 0,
         0},
        {"Device.LocalAgent.ControllerTrust.", "UntrustedRole",
         "Device.LocalAgent.ControllerTrust.Role.1", 0, 0},
        /* invalid type */
        {"Device.LocalAgent.Controller.1.", "PeriodicNotifInterval", "abc",
         USP_ERR_INVALID_TYPE, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "Enable", "yes",
         USP_ERR_INVALID_TYPE, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "PeriodicNotifTime", "yesterday",
         USP_ERR_INVALID_TYPE, USP_ERR_REQUIRED_PARAM_FAILED},
        /* read-only */
        {"Device.LocalAgent.Controller.1.", "InheritedRole", "",
         USP_ERR_PARAM_READ_ONLY, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.", "EndpointID", "os::x-y",
         USP_ERR_PARAM_READ_ONLY, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.MTP.1.", "Enable", "false",
         USP_ERR_PARAM_READ_ONLY, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "MTPNumberOfEntries", "3",
         USP_ERR_PARAM_READ_ONLY, USP_ERR_REQUIRED_PARAM_FAILED},
        /* enumeration, range, syntax */
        {"Device.LocalAgent.Controller.1.MTP.1.", "Protocol", "CoAP",
         USP_ERR_INVALID_VALUE, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "USPNotifRetryIntervalMultiplier",
         "999", USP_ERR_INVALID_VALUE, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "PeriodicNotifInterval", "0",
         USP_ERR_INVALID_VALUE, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "Alias", "1abc",
         USP_ERR_INVALID_VALUE, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "AssignedRole",
         "Device.LocalAgent.ControllerTrust.Role.9", USP_ERR_INVALID_VALUE,
         USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.", "AssignedRole", "Device.WiFi.",
         USP_ERR_INVALID_VALUE, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.ControllerTrust.Role.1.Permission.1.", "Param",
         "rw-q", USP_ERR_INVALID_VALUE, USP_ERR_REQUIRED_PARAM_FAILED},
        /* unknown parameter, or the other protocol's sub-object */
        {"Device.LocalAgent.Controller.1.", "NoSuchParam", "1",
         USP_ERR_UNSUPPORTED_PARAM, USP_ERR_REQUIRED_PARAM_FAILED},
        {"Device.LocalAgent.Controller.1.MTP.1.", "WebSocket.Host", "h",
         USP_ERR_UNSUPPORTED_PARAM, USP_ERR_REQUIRED_PARAM_FAILED},
    };
    struct fx *f = *state;
    size_t i;

    for (i = 0; i < UB_ARRAY_LEN(cases); i++) {
        const struct set_case *c = &cases[i];
        int req;

        for (req = 0; req < 2; req++) {
            struct usp_param_setting ps = {.param = c->param,
                                           .value = c->value,
                                           .required = req};
            struct usp_agent_caller who = {.endpoint_id = CTRL1};
            struct usp_agent_result r;
            size_t before = f->mem.writes;

            usp_agent_result_init(&r);
            assert_int_equal(usp_agent_set(&f->st, &who, c->obj, &ps, 1, &r),
                             UB_OK);
            if (!c->perr) {
                char path[256];

                assert_int_equal(r.err_code, 0);
                assert_int_equal(r.n_perrs, 0);
                assert_int_equal(r.params.n, 1);
                snprintf(path, sizeof(path), "%s%s", c->obj, c->param);
                assert_string_equal(
                    mem_val(&f->mem, path),
                    strcmp(c->value, "0") == 0 ? "false" : c->value);
            } else {
                if (req)
                    assert_int_equal(r.err_code, c->oerr);
                else
                    assert_int_equal(r.err_code, 0);
                assert_int_equal(r.n_perrs, 1);
                assert_string_equal(r.perrs[0].param, c->param);
                assert_int_equal(r.perrs[0].err_code, c->perr);
                assert_int_equal(f->mem.writes, before); /* nothing written */
            }
            usp_agent_result_clear(&r);
        }
    }
}

static void test_set_partial_and_objects(void **state)
{
    struct fx *f = *state;
    struct usp_agent_caller who = {.endpoint_id = CTRL1};
    struct usp_agent_result r;
    struct usp_param_setting ps[] = {
        {.param = "ProvisioningCode", .value = "abc", .required = true},
        {.param = "PeriodicNotifInterval", .value = "-5", .required = false},
    };

    /* non-required failure: the rest is applied */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_set(&f->st, &who,
                                   "Device.LocalAgent.Controller.1.", ps, 2,
                                   &r),
                     UB_OK);
    assert_int_equal(r.err_code, 0);
    assert_int_equal(r.n_perrs, 1);
    assert_string_equal(r.perrs[0].param, "PeriodicNotifInterval");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.Controller.1.ProvisioningCode"),
        "abc");
    assert_string_equal(
        mem_val(&f->mem,
                "Device.LocalAgent.Controller.1.PeriodicNotifInterval"),
        "86400");
    /* into a SetResp, through the codec */
    {
        struct usp_msg *m = NULL, *back = NULL;
        struct usp_set_result *sr;
        uint8_t *buf = NULL;
        size_t len = 0;

        assert_int_equal(usp_msg_new(USP_MSG_SET_RESP, "s1", &m), UB_OK);
        sr = usp_msg_alloc(m, sizeof(*sr));
        m->set_resp.results = sr;
        m->set_resp.n_results = 1;
        sr->requested_path = "Device.LocalAgent.Controller.1.";
        sr->success = true;
        sr->insts = usp_msg_alloc(m, sizeof(*sr->insts));
        sr->n_insts = 1;
        assert_int_equal(usp_agent_set_inst_fill(m, &r, &sr->insts[0]),
                         UB_OK);
        assert_int_equal(usp_msg_encode(m, 0, &buf, &len), UB_OK);
        assert_int_equal(usp_msg_decode(buf, len, &back), UB_OK);
        sr = &back->set_resp.results[0];
        assert_int_equal(sr->n_insts, 1);
        assert_string_equal(sr->insts[0].affected_path,
                            "Device.LocalAgent.Controller.1.");
        assert_int_equal(sr->insts[0].n_updated_params, 1);
        assert_string_equal(sr->insts[0].updated_params[0].key,
                            "ProvisioningCode");
        assert_int_equal(sr->insts[0].n_param_errs, 1);
        assert_int_equal(sr->insts[0].param_errs[0].err_code,
                         USP_ERR_INVALID_TYPE);
        usp_msg_free(back);
        usp_msg_free(m);
        ub_free(buf);
    }
    usp_agent_result_clear(&r);

    /* missing object, table path, unique key collision */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_set(&f->st, &who,
                                   "Device.LocalAgent.Controller.9.", ps, 1,
                                   &r),
                     UB_OK);
    assert_int_equal(r.err_code, USP_ERR_OBJECT_DOES_NOT_EXIST);
    usp_agent_result_clear(&r);
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_set(&f->st, &who,
                                   "Device.LocalAgent.Controller.", ps, 1,
                                   &r),
                     UB_OK);
    assert_int_equal(r.err_code, USP_ERR_OBJECT_DOES_NOT_EXIST);
    usp_agent_result_clear(&r);
    {
        struct usp_param_setting dup = {.param = "EndpointID",
                                        .value = CTRL2};
        size_t before = f->mem.writes;

        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_set(&f->st, &who,
                                       "Device.LocalAgent.Controller.1.",
                                       &dup, 1, &r),
                         UB_OK);
        assert_int_equal(r.err_code, USP_ERR_DUPLICATE_KEY);
        assert_int_equal(f->mem.writes, before);
        usp_agent_result_clear(&r);
    }
    /* switching a controller MTP from MQTT to WebSocket swaps sub-objects */
    {
        struct usp_param_setting sw[] = {
            {.param = "WebSocket.Host", .value = "c1.example"},
            {.param = "Protocol", .value = "WebSocket", .required = true},
        };

        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_set(&f->st, &who,
                                       "Device.LocalAgent.Controller.1.MTP."
                                       "1.",
                                       sw, 2, &r),
                         UB_OK);
        assert_int_equal(r.err_code, 0);
        assert_int_equal(r.n_perrs, 0);
        assert_null(mem_val(&f->mem,
                            "Device.LocalAgent.Controller.1.MTP.1.MQTT."));
        assert_string_equal(
            mem_val(&f->mem,
                    "Device.LocalAgent.Controller.1.MTP.1.WebSocket.Host"),
            "c1.example");
        assert_string_equal(
            mem_val(&f->mem,
                    "Device.LocalAgent.Controller.1.MTP.1.WebSocket.Port"),
            "443");
        usp_agent_result_clear(&r);
    }
}

/* ------------------------------------------------------------------ */
/* Add / Delete                                                        */
/* ------------------------------------------------------------------ */

static const char *kv(const struct ub_param_list *l, const char *name)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->v[i].path, name) == 0)
            return l->v[i].value;
    return NULL;
}

static void add_sub(struct fx *f, const char *eid,
                    const struct usp_param_setting *ps, size_t n,
                    struct usp_agent_result *r)
{
    struct usp_agent_caller who = {.endpoint_id = eid};

    usp_agent_result_init(r);
    assert_int_equal(usp_agent_add(&f->st, &who,
                                   "Device.LocalAgent.Subscription.", ps, n,
                                   r),
                     UB_OK);
}

static void test_add_subscription(void **state)
{
    struct fx *f = *state;
    struct usp_agent_result r;
    struct usp_param_setting ps[] = {
        {.param = "Enable", .value = "true", .required = true},
        {.param = "ID", .value = "s1", .required = true},
        {.param = "NotifType", .value = "ValueChange", .required = true},
        {.param = "ReferenceList", .value = "Device.WiFi.SSID.*.SSID",
         .required = true},
    };
    size_t before;

    add_sub(f, CTRL1, ps, 4, &r);
    assert_int_equal(r.err_code, 0);
    assert_string_equal(r.path, "Device.LocalAgent.Subscription.1.");
    assert_string_equal(kv(&r.params, "Recipient"),
                        "Device.LocalAgent.Controller.1");
    assert_string_equal(kv(&r.params, "CreationDate"),
                        "2023-11-14T22:13:20Z");
    assert_string_equal(kv(&r.params, "Persistent"), "false");
    assert_string_equal(kv(&r.params, "TimeToLive"), "0");
    assert_string_equal(kv(&r.params, "Enable"), "true");
    assert_string_equal(kv(&r.keys, "Alias"), "cpe-1");
    assert_string_equal(kv(&r.keys, "ID"), "s1");
    assert_string_equal(kv(&r.keys, "Recipient"),
                        "Device.LocalAgent.Controller.1");
    assert_int_equal(r.keys.n, 3);
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.Subscription.1.NotifType"),
        "ValueChange");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.SubscriptionNumberOfEntries"),
        "1");
    /* into an AddResp, through the codec */
    {
        struct usp_msg *m = NULL, *back = NULL;
        uint8_t *buf = NULL;
        size_t len = 0;
        const struct usp_add_result *a;

        assert_int_equal(usp_msg_new(USP_MSG_ADD_RESP, "a1", &m), UB_OK);
        m->add_resp.results = usp_msg_alloc(m, sizeof(struct usp_add_result));
        m->add_resp.n_results = 1;
        assert_int_equal(usp_agent_add_result_fill(
                             m, &r, "Device.LocalAgent.Subscription.",
                             &m->add_resp.results[0]),
                         UB_OK);
        assert_int_equal(usp_msg_encode(m, 0, &buf, &len), UB_OK);
        assert_int_equal(usp_msg_decode(buf, len, &back), UB_OK);
        a = &back->add_resp.results[0];
        assert_true(a->success);
        assert_string_equal(a->requested_path,
                            "Device.LocalAgent.Subscription.");
        assert_string_equal(a->instantiated_path,
                            "Device.LocalAgent.Subscription.1.");
        assert_int_equal(a->n_unique_keys, 3);
        assert_int_equal(a->n_param_errs, 0);
        usp_msg_free(back);
        usp_msg_free(m);
        ub_free(buf);
    }
    usp_agent_result_clear(&r);

    /* same ID from the same controller: duplicate key, nothing written */
    before = f->mem.writes;
    add_sub(f, CTRL1, ps, 4, &r);
    assert_int_equal(r.err_code, USP_ERR_DUPLICATE_KEY);
    assert_int_equal(f->mem.writes, before);
    usp_agent_result_clear(&r);

    /* same ID from another controller: a different key (Recipient, ID) */
    add_sub(f, CTRL2, ps, 4, &r);
    assert_int_equal(r.err_code, 0);
    assert_string_equal(r.path, "Device.LocalAgent.Subscription.2.");
    assert_string_equal(kv(&r.params, "Recipient"),
                        "Device.LocalAgent.Controller.2");
    usp_agent_result_clear(&r);

    /* defaults only: ID and Alias assigned */
    add_sub(f, CTRL1, NULL, 0, &r);
    assert_int_equal(r.err_code, 0);
    assert_string_equal(r.path, "Device.LocalAgent.Subscription.3.");
    assert_string_equal(kv(&r.keys, "ID"), "cpe-3");
    assert_string_equal(kv(&r.keys, "Alias"), "cpe-3");
    assert_string_equal(kv(&r.params, "Enable"), "false");
    usp_agent_result_clear(&r);

    /* an Alias the controller chose; then that Alias again: 7025 */
    {
        struct usp_param_setting a[] = {{.param = "Alias", .value = "mine"},
                                        {.param = "ID", .value = "s9"}};
        struct usp_param_setting b[] = {{.param = "Alias", .value = "mine"},
                                        {.param = "ID", .value = "s10"}};

        add_sub(f, CTRL1, a, 2, &r);
        assert_int_equal(r.err_code, 0);
        assert_string_equal(kv(&r.keys, "Alias"), "mine");
        usp_agent_result_clear(&r);
        add_sub(f, CTRL1, b, 2, &r);
        assert_int_equal(r.err_code, USP_ERR_DUPLICATE_KEY);
        usp_agent_result_clear(&r);
    }

    /* required bad value: 7021; optional bad value: created + perr */
    {
        struct usp_param_setting bad = {.param = "NotifType",
                                        .value = "Sometimes",
                                        .required = true};

        before = f->mem.writes;
        add_sub(f, CTRL1, &bad, 1, &r);
        assert_int_equal(r.err_code, USP_ERR_REQUIRED_PARAM_FAILED);
        assert_int_equal(r.n_perrs, 1);
        assert_int_equal(r.perrs[0].err_code, USP_ERR_INVALID_VALUE);
        assert_int_equal(f->mem.writes, before);
        usp_agent_result_clear(&r);
        bad.required = false;
        add_sub(f, CTRL1, &bad, 1, &r);
        assert_int_equal(r.err_code, 0);
        assert_int_equal(r.n_perrs, 1);
        assert_string_equal(kv(&r.params, "NotifType"), "");
        usp_agent_result_clear(&r);
    }
    /* Recipient is the agent's to set */
    {
        struct usp_param_setting rc = {.param = "Recipient",
                                       .value = "Device.LocalAgent."
                                                "Controller.2",
                                       .required = true};

        add_sub(f, CTRL1, &rc, 1, &r);
        assert_int_equal(r.err_code, USP_ERR_REQUIRED_PARAM_FAILED);
        assert_int_equal(r.perrs[0].err_code, USP_ERR_PARAM_READ_ONLY);
        usp_agent_result_clear(&r);
    }
    /* a controller without Controller instance cannot subscribe */
    add_sub(f, "self::stranger", NULL, 0, &r);
    assert_int_equal(r.err_code, USP_ERR_OBJECT_NOT_CREATED);
    usp_agent_result_clear(&r);

    /* ReferenceList is immutable once set */
    {
        struct usp_param_setting rl = {.param = "ReferenceList",
                                       .value = "Device.IP."};
        struct usp_agent_caller who = {.endpoint_id = CTRL1};

        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_set(&f->st, &who,
                                       "Device.LocalAgent.Subscription.1.",
                                       &rl, 1, &r),
                         UB_OK);
        assert_int_equal(r.n_perrs, 1);
        assert_int_equal(r.perrs[0].err_code, USP_ERR_INVALID_VALUE);
        usp_agent_result_clear(&r);
    }
}

static void test_add_errors(void **state)
{
    static const struct {
        const char *table;
        uint32_t err;
    } cases[] = {
        {"Device.LocalAgent.Request.", USP_ERR_OBJECT_NOT_CREATABLE},
        {"Device.LocalAgent.MTP.", USP_ERR_OBJECT_NOT_CREATABLE},
        {"Device.LocalAgent.", USP_ERR_NOT_A_TABLE},
        {"Device.LocalAgent.ControllerTrust.", USP_ERR_NOT_A_TABLE},
        {"Device.LocalAgent.Subscription.1.", USP_ERR_NOT_A_TABLE},
        {"Device.LocalAgent.Nope.", USP_ERR_INVALID_PATH},
        {"Device.LocalAgent.Controller.7.MTP.", USP_ERR_INVALID_PATH},
    };
    struct fx *f = *state;
    size_t i;

    for (i = 0; i < UB_ARRAY_LEN(cases); i++) {
        struct usp_agent_caller who = {.endpoint_id = CTRL1};
        struct usp_agent_result r;
        size_t before = f->mem.writes;

        usp_agent_result_init(&r);
        assert_int_equal(
            usp_agent_add(&f->st, &who, cases[i].table, NULL, 0, &r), UB_OK);
        assert_int_equal(r.err_code, cases[i].err);
        assert_int_equal(f->mem.writes, before);
        usp_agent_result_clear(&r);
    }
}

static void test_add_controller_mtp(void **state)
{
    struct fx *f = *state;
    struct usp_agent_caller who = {.endpoint_id = CTRL1};
    struct usp_agent_result r;
    struct usp_param_setting ps[] = {
        {.param = "Protocol", .value = "MQTT", .required = true},
        {.param = "MQTT.Topic", .value = "usp/c2-mqtt", .required = true},
        {.param = "Enable", .value = "true"},
    };

    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_add(&f->st, &who,
                                   "Device.LocalAgent.Controller.2.MTP.", ps,
                                   3, &r),
                     UB_OK);
    assert_int_equal(r.err_code, 0);
    assert_string_equal(r.path, "Device.LocalAgent.Controller.2.MTP.2.");
    assert_string_equal(kv(&r.params, "MQTT.Topic"), "usp/c2-mqtt");
    assert_string_equal(kv(&r.keys, "Protocol"), "MQTT");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.Controller.2.MTP.2.MQTT.Topic"),
        "usp/c2-mqtt");
    assert_null(
        mem_val(&f->mem, "Device.LocalAgent.Controller.2.MTP.2.WebSocket."));
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.Controller.2.MTPNumberOfEntries"),
        "2");
    usp_agent_result_clear(&r);

    /* Protocol is a unique key: a second MQTT MTP collides */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_add(&f->st, &who,
                                   "Device.LocalAgent.Controller.2.MTP.", ps,
                                   1, &r),
                     UB_OK);
    assert_int_equal(r.err_code, USP_ERR_DUPLICATE_KEY);
    usp_agent_result_clear(&r);

    /* Permission Order not given: assigned above the largest */
    {
        struct usp_param_setting pp = {.param = "Targets",
                                       .value = "Device.WiFi."};

        usp_agent_result_init(&r);
        assert_int_equal(
            usp_agent_add(&f->st, &who,
                          "Device.LocalAgent.ControllerTrust.Role.1."
                          "Permission.",
                          &pp, 1, &r),
            UB_OK);
        assert_int_equal(r.err_code, 0);
        usp_agent_result_clear(&r);
        usp_agent_result_init(&r);
        assert_int_equal(
            usp_agent_add(&f->st, &who,
                          "Device.LocalAgent.ControllerTrust.Role.1."
                          "Permission.",
                          &pp, 1, &r),
            UB_OK);
        assert_int_equal(r.err_code, 0);
        assert_string_equal(kv(&r.keys, "Order"), "2");
        usp_agent_result_clear(&r);
    }
}

static void test_delete_and_numbers(void **state)
{
    struct fx *f = *state;
    struct usp_agent_caller who = {.endpoint_id = CTRL1};
    struct usp_agent_result r;
    size_t i;

    for (i = 0; i < 3; i++) {
        add_sub(f, i == 2 ? CTRL2 : CTRL1, NULL, 0, &r);
        assert_int_equal(r.err_code, 0);
        usp_agent_result_clear(&r);
    }
    /* delete 3 (the last): the next Add must not reuse 3 */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_delete(&f->st, &who,
                                      "Device.LocalAgent.Subscription.3.",
                                      &r),
                     UB_OK);
    assert_int_equal(r.err_code, 0);
    assert_int_equal(r.deleted.n, 1);
    assert_null(mem_val(&f->mem, "Device.LocalAgent.Subscription.3."));
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.SubscriptionNumberOfEntries"),
        "2");
    usp_agent_result_clear(&r);
    add_sub(f, CTRL1, NULL, 0, &r);
    assert_string_equal(r.path, "Device.LocalAgent.Subscription.4.");
    usp_agent_result_clear(&r);

    /* absent instance: success, nothing deleted */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_delete(&f->st, &who,
                                      "Device.LocalAgent.Subscription.3.",
                                      &r),
                     UB_OK);
    assert_int_equal(r.err_code, 0);
    assert_int_equal(r.deleted.n, 0);
    usp_agent_result_clear(&r);

    /* not deletable / not an instance */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_delete(&f->st, &who,
                                      "Device.LocalAgent.MTP.1.", &r),
                     UB_OK);
    assert_int_equal(r.err_code, USP_ERR_DELETE_FAILURE);
    usp_agent_result_clear(&r);
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_delete(&f->st, &who,
                                      "Device.LocalAgent.ControllerTrust.",
                                      &r),
                     UB_OK);
    assert_int_equal(r.err_code, USP_ERR_NOT_A_TABLE);
    usp_agent_result_clear(&r);

    /* deleting Controller.1 takes its subscriptions (1, 2, 4) along */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_delete(&f->st, &who,
                                      "Device.LocalAgent.Controller.1.", &r),
                     UB_OK);
    assert_int_equal(r.err_code, 0);
    assert_int_equal(r.deleted.n, 4);
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.SubscriptionNumberOfEntries"),
        "0");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.ControllerNumberOfEntries"), "1");
    assert_null(mem_val(&f->mem,
                        "_Meta.Device.LocalAgent.Controller.1.MTP."
                        "NextInstance"));
    usp_agent_result_clear(&r);

    /* deleting a Role removes it from role lists */
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_delete(&f->st, NULL,
                                      "Device.LocalAgent.ControllerTrust."
                                      "Role.2.",
                                      &r),
                     UB_OK);
    assert_int_equal(r.err_code, 0);
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.Controller.2.AssignedRole"), "");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.ControllerTrust.UntrustedRole"),
        "");
    usp_agent_result_clear(&r);
}

/* ------------------------------------------------------------------ */
/* Permissions                                                         */
/* ------------------------------------------------------------------ */

static void add_perm(struct fx *f, const char *role, const char *order,
                     const char *targets, const char *param, const char *obj,
                     const char *inst, const char *cmd)
{
    struct usp_param_setting ps[] = {
        {.param = "Enable", .value = "true", .required = true},
        {.param = "Order", .value = order, .required = true},
        {.param = "Targets", .value = targets, .required = true},
        {.param = "Param", .value = param, .required = true},
        {.param = "Obj", .value = obj, .required = true},
        {.param = "InstantiatedObj", .value = inst, .required = true},
        {.param = "CommandEvent", .value = cmd, .required = true},
    };
    struct usp_agent_result r;
    char table[128];

    snprintf(table, sizeof(table), "%sPermission.", role);
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_add(&f->st, NULL, table, ps, 7, &r), UB_OK);
    assert_int_equal(r.err_code, 0);
    usp_agent_result_clear(&r);
}

static char *add_role(struct fx *f, const char *name)
{
    struct usp_param_setting ps[] = {
        {.param = "Enable", .value = "true", .required = true},
        {.param = "Name", .value = name, .required = true},
    };
    struct usp_agent_result r;
    char *path;

    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_add(&f->st, NULL,
                                   "Device.LocalAgent.ControllerTrust.Role.",
                                   ps, 2, &r),
                     UB_OK);
    assert_int_equal(r.err_code, 0);
    path = r.path;
    r.path = NULL;
    usp_agent_result_clear(&r);
    return path;
}

static void set1(struct fx *f, const char *obj, const char *param,
                 const char *value)
{
    struct usp_param_setting ps = {.param = param, .value = value,
                                   .required = true};
    struct usp_agent_result r;

    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_set(&f->st, NULL, obj, &ps, 1, &r), UB_OK);
    assert_int_equal(r.err_code, 0);
    usp_agent_result_clear(&r);
}

static void test_permissions(void **state)
{
    struct fx *f = *state;
    char *wifi, *noeid;
    struct usp_agent_perms *pf = NULL, *pw = NULL, *pu = NULL, *pb = NULL;
    size_t i;

    /* Role.3 "WiFi": read everything under Device.WiFi., write SSIDs,
     * but never the radios' Status (higher Order wins), no Reboot */
    wifi = add_role(f, "WiFi");
    add_perm(f, wifi, "1", "Device.WiFi.", "r---", "r---", "r---", "r---");
    add_perm(f, wifi, "2", "Device.WiFi.SSID.*.SSID,Device.WiFi.SSID.*.Enable",
             "rw-n", "r---", "r---", "r---");
    add_perm(f, wifi, "3", "Device.WiFi.Radio.*.Status", "----", "----",
             "----", "----");
    add_perm(f, wifi, "4", "Device.WiFi.AccessPoint.", "r---", "rw--",
             "rw--", "r-x-");
    add_perm(f, wifi, "5", "Device.WiFi.Radio.[Enable==true].", "rwxn",
             "rwxn", "rwxn", "rwxn"); /* search: unsupported, ignored */
    /* Controller.2 gets the WiFi role on top of Untrusted (Role.2) */
    {
        char roles[256];

        snprintf(roles, sizeof(roles),
                 "Device.LocalAgent.ControllerTrust.Role.2,%.*s",
                 (int)strlen(wifi) - 1, wifi);
        set1(f, "Device.LocalAgent.Controller.2.", "AssignedRole", roles);
    }
    /* Controller without roles -> UntrustedRole */
    {
        struct usp_param_setting ps[] = {
            {.param = "EndpointID", .value = "self::noroles"},
        };
        struct usp_agent_result r;

        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_add(&f->st, NULL,
                                       "Device.LocalAgent.Controller.", ps, 1,
                                       &r),
                         UB_OK);
        assert_int_equal(r.err_code, 0);
        noeid = r.path;
        r.path = NULL;
        usp_agent_result_clear(&r);
    }

    assert_int_equal(usp_agent_perms_load(&f->st, CTRL1, &pf), UB_OK);
    assert_int_equal(usp_agent_perms_load(&f->st, CTRL2, &pw), UB_OK);
    assert_int_equal(usp_agent_perms_load(&f->st, "self::noroles", &pu),
                     UB_OK);

    static const struct {
        int who; /* 0 full, 1 wifi+untrusted, 2 untrusted */
        const char *path;
        enum usp_agent_op op;
        bool allowed;
    } cases[] = {
        {0, "Device.WiFi.Radio.1.Status", USP_AGENT_OP_READ, true},
        {0, "Device.Reboot()", USP_AGENT_OP_OPERATE, true},
        {0, "Device.LocalAgent.Subscription.", USP_AGENT_OP_ADD, true},
        {0, "Device.LocalAgent.Subscription.3.", USP_AGENT_OP_DELETE, true},
        {1, "Device.WiFi.Radio.1.Channel", USP_AGENT_OP_READ, true},
        {1, "Device.WiFi.Radio.1.Channel", USP_AGENT_OP_WRITE, false},
        {1, "Device.WiFi.Radio.1.Status", USP_AGENT_OP_READ, false},
        {1, "Device.WiFi.Radio.2.Status", USP_AGENT_OP_READ, false},
        {1, "Device.WiFi.SSID.3.SSID", USP_AGENT_OP_WRITE, true},
        {1, "Device.WiFi.SSID.3.SSID", USP_AGENT_OP_NOTIFY, true},
        {1, "Device.WiFi.SSID.3.BSSID", USP_AGENT_OP_WRITE, false},
        {1, "Device.WiFi.SSID.", USP_AGENT_OP_ADD, false},
        {1, "Device.WiFi.AccessPoint.", USP_AGENT_OP_ADD, true},
        {1, "Device.WiFi.AccessPoint.2.", USP_AGENT_OP_DELETE, true},
        {1, "Device.WiFi.SSID.2.", USP_AGENT_OP_DELETE, false},
        {1, "Device.WiFi.AccessPoint.1.WPS.InitiateWPSPBC()",
         USP_AGENT_OP_OPERATE, true},
        {1, "Device.WiFi.Radio.1.Reset()", USP_AGENT_OP_OPERATE, false},
        {1, "Device.Reboot()", USP_AGENT_OP_OPERATE, false},
        {1, "Device.DeviceInfo.SoftwareVersion", USP_AGENT_OP_READ, true},
        {1, "Device.LocalAgent.EndpointID", USP_AGENT_OP_READ, true},
        {1, "Device.LocalAgent.Controller.1.EndpointID", USP_AGENT_OP_READ,
         false},
        {2, "Device.DeviceInfo.SoftwareVersion", USP_AGENT_OP_READ, true},
        {2, "Device.DeviceInfo.SoftwareVersion", USP_AGENT_OP_WRITE, false},
        {2, "Device.DeviceInfo.", USP_AGENT_OP_SUPPORTED, true},
        {2, "Device.WiFi.Radio.1.Status", USP_AGENT_OP_READ, false},
        {2, "Device.LocalAgent.Subscription.", USP_AGENT_OP_ADD, false},
        {2, "Device.Boot!", USP_AGENT_OP_NOTIFY, false},
    };
    for (i = 0; i < UB_ARRAY_LEN(cases); i++) {
        const struct usp_agent_perms *p =
            cases[i].who == 0 ? pf : cases[i].who == 1 ? pw : pu;
        uint32_t got = usp_agent_perm_check(p, cases[i].path, cases[i].op);

        if (got != (cases[i].allowed ? 0 : USP_ERR_PERMISSION_DENIED))
            fail_msg("case %zu: %s op %d: got %u", i, cases[i].path,
                     (int)cases[i].op, got);
    }
    assert_int_equal(usp_agent_perm_check(NULL, "Device.X", USP_AGENT_OP_WRITE),
                     0);

    /* a disabled permission no longer counts */
    {
        char obj[160];

        snprintf(obj, sizeof(obj), "%sPermission.3.", wifi);
        set1(f, obj, "Enable", "false");
        usp_agent_perms_free(pw);
        pw = NULL;
        assert_int_equal(usp_agent_perms_load(&f->st, CTRL2, &pw), UB_OK);
        assert_int_equal(usp_agent_perm_check(pw, "Device.WiFi.Radio.1.Status",
                                              USP_AGENT_OP_READ),
                         0);
    }
    /* banned: nothing at all */
    set1(f, "Device.LocalAgent.ControllerTrust.", "BannedRole",
         "Device.LocalAgent.ControllerTrust.Role.1");
    assert_int_equal(usp_agent_perms_load(&f->st, CTRL1, &pb), UB_OK);
    assert_int_equal(usp_agent_perm_check(pb, "Device.DeviceInfo.",
                                          USP_AGENT_OP_SUPPORTED),
                     USP_ERR_PERMISSION_DENIED);

    /* permissions enforced inside Set and Add */
    {
        struct usp_param_setting ps = {.param = "Enable", .value = "false"};
        struct usp_agent_caller who = {.endpoint_id = "self::noroles",
                                       .perms = pu};
        struct usp_agent_result r;

        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_set(&f->st, &who, noeid, &ps, 1, &r),
                         UB_OK);
        assert_int_equal(r.n_perrs, 1);
        assert_int_equal(r.perrs[0].err_code, USP_ERR_PERMISSION_DENIED);
        usp_agent_result_clear(&r);
        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_add(&f->st, &who,
                                       "Device.LocalAgent.Subscription.",
                                       NULL, 0, &r),
                         UB_OK);
        assert_int_equal(r.err_code, USP_ERR_PERMISSION_DENIED);
        usp_agent_result_clear(&r);
        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_delete(&f->st, &who, noeid, &r), UB_OK);
        assert_int_equal(r.err_code, USP_ERR_PERMISSION_DENIED);
        usp_agent_result_clear(&r);
    }
    /* subscribing needs "n" on every ReferenceList entry */
    add_perm(f, wifi, "6", "Device.LocalAgent.Subscription.", "rw--", "rw--",
             "rw--", "----");
    usp_agent_perms_free(pw);
    pw = NULL;
    assert_int_equal(usp_agent_perms_load(&f->st, CTRL2, &pw), UB_OK);
    {
        struct usp_param_setting ok[] = {
            {.param = "ReferenceList", .value = "Device.WiFi.SSID.*.SSID",
             .required = true}};
        struct usp_param_setting no[] = {
            {.param = "ReferenceList",
             .value = "Device.WiFi.SSID.1.SSID,Device.WiFi.Radio.1.Channel",
             .required = true}};
        struct usp_agent_caller who = {.endpoint_id = CTRL2, .perms = pw};
        struct usp_agent_result r;

        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_add(&f->st, &who,
                                       "Device.LocalAgent.Subscription.", ok,
                                       1, &r),
                         UB_OK);
        assert_int_equal(r.err_code, 0);
        usp_agent_result_clear(&r);
        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_add(&f->st, &who,
                                       "Device.LocalAgent.Subscription.", no,
                                       1, &r),
                         UB_OK);
        assert_int_equal(r.err_code, USP_ERR_REQUIRED_PARAM_FAILED);
        assert_int_equal(r.perrs[0].err_code, USP_ERR_PERMISSION_DENIED);
        usp_agent_result_clear(&r);
    }
    usp_agent_perms_free(pf);
    usp_agent_perms_free(pw);
    usp_agent_perms_free(pu);
    usp_agent_perms_free(pb);
    ub_free(wifi);
    ub_free(noeid);
}

/* ------------------------------------------------------------------ */
/* GetSupportedDM                                                      */
/* ------------------------------------------------------------------ */

static const struct usp_sdm_obj *find_obj(const struct usp_sdm_result *r,
                                          const char *path)
{
    size_t i;

    for (i = 0; i < r->n_objs; i++)
        if (strcmp(r->objs[i].path, path) == 0)
            return &r->objs[i];
    return NULL;
}

static const struct usp_sdm_param *find_param(const struct usp_sdm_obj *o,
                                              const char *name)
{
    size_t i;

    for (i = 0; i < o->n_params; i++)
        if (strcmp(o->params[i].name, name) == 0)
            return &o->params[i];
    return NULL;
}

static size_t gsdm_count(const char *path, bool first, int *rc)
{
    struct usp_get_supported_dm fl = {.first_level_only = first};
    struct usp_sdm_result r = {0};
    struct usp_msg *m = NULL;
    size_t n;

    assert_int_equal(usp_msg_new(USP_MSG_GET_SUPPORTED_DM_RESP, "x", &m),
                     UB_OK);
    *rc = usp_agent_gsdm(m, path, &fl, NULL, &r);
    n = r.n_objs;
    usp_msg_free(m);
    return n;
}

static void test_gsdm(void **state)
{
    struct fx *f = *state;
    struct usp_get_supported_dm fl = {
        .first_level_only = true, .return_commands = true,
        .return_events = true, .return_params = true,
        .return_unique_key_sets = true};
    struct usp_msg *m = NULL, *back = NULL;
    struct usp_sdm_result *res;
    const struct usp_sdm_obj *o;
    const struct usp_sdm_param *p;
    struct usp_agent_perms *pu = NULL, *pf = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;

    assert_int_equal(usp_msg_new(USP_MSG_GET_SUPPORTED_DM_RESP, "g1", &m),
                     UB_OK);
    m->gsdm_resp.results = usp_msg_alloc(m, sizeof(*res));
    m->gsdm_resp.n_results = 1;
    res = &m->gsdm_resp.results[0];
    res->req_obj_path = "Device.LocalAgent.";
    assert_int_equal(usp_agent_gsdm(m, "Device.LocalAgent.", &fl, NULL, res),
                     UB_OK);
    /* the object and its direct children */
    assert_int_equal(res->n_objs, 6);
    assert_string_equal(res->objs[0].path, "Device.LocalAgent.");
    assert_non_null(find_obj(res, "Device.LocalAgent.MTP.{i}."));
    assert_non_null(find_obj(res, "Device.LocalAgent.Controller.{i}."));
    assert_non_null(find_obj(res, "Device.LocalAgent.Subscription.{i}."));
    assert_non_null(find_obj(res, "Device.LocalAgent.Request.{i}."));
    assert_non_null(find_obj(res, "Device.LocalAgent.ControllerTrust."));
    assert_null(find_obj(res, "Device.LocalAgent.Controller.{i}.MTP.{i}."));

    o = &res->objs[0];
    assert_false(o->is_multi_instance);
    assert_int_equal(o->access, USP_OBJ_READ_ONLY);
    p = find_param(o, "EndpointID");
    assert_non_null(p);
    assert_int_equal(p->access, USP_PARAM_READ_ONLY);
    assert_int_equal(p->value_type, USP_VT_STRING);
    p = find_param(o, "UpTime");
    assert_int_equal(p->value_type, USP_VT_UNSIGNED_INT);
    assert_int_equal(p->value_change, USP_VC_WILL_IGNORE);
    assert_int_equal(o->n_events, 2);
    assert_string_equal(o->events[1].name, "TransferComplete!");
    assert_int_equal(o->events[1].n_args, 10);
    assert_string_equal(o->events[1].args[9], "FaultString");

    o = find_obj(res, "Device.LocalAgent.Controller.{i}.");
    assert_true(o->is_multi_instance);
    assert_int_equal(o->access, USP_OBJ_ADD_DELETE);
    assert_int_equal(o->n_key_sets, 2);
    assert_int_equal(o->key_sets[0].n_keys, 1);
    assert_string_equal(o->key_sets[0].keys[0], "EndpointID");
    assert_int_equal(o->n_commands, 1);
    assert_string_equal(o->commands[0].name, "SendOnBoardRequest()");
    assert_int_equal(o->commands[0].command_type, USP_CMD_SYNC);
    assert_int_equal(find_param(o, "Enable")->access, USP_PARAM_READ_WRITE);
    assert_int_equal(find_param(o, "Enable")->value_type, USP_VT_BOOLEAN);
    assert_int_equal(find_param(o, "PeriodicNotifTime")->value_type,
                     USP_VT_DATE_TIME);
    assert_int_equal(find_param(o, "InheritedRole")->access,
                     USP_PARAM_READ_ONLY);
    o = find_obj(res, "Device.LocalAgent.Request.{i}.");
    assert_int_equal(o->access, USP_OBJ_READ_ONLY);
    assert_int_equal(o->n_key_sets, 2);
    assert_int_equal(o->key_sets[0].n_keys, 3);
    o = find_obj(res, "Device.LocalAgent.Subscription.{i}.");
    assert_int_equal(o->n_commands, 0);
    assert_int_equal(o->n_events, 0);
    assert_int_equal(find_param(o, "Recipient")->access,
                     USP_PARAM_READ_ONLY);

    /* the response encodes and decodes with the codec */
    assert_int_equal(usp_msg_encode(m, 0, &buf, &len), UB_OK);
    assert_int_equal(usp_msg_decode(buf, len, &back), UB_OK);
    assert_int_equal(back->gsdm_resp.n_results, 1);
    assert_int_equal(back->gsdm_resp.results[0].n_objs, 6);
    assert_string_equal(back->gsdm_resp.results[0].objs[1].path,
                        res->objs[1].path);
    usp_msg_free(back);
    ub_free(buf);
    usp_msg_free(m);

    /* selections */
    assert_int_equal(gsdm_count("Device.LocalAgent.", false, &rc), 14);
    assert_int_equal(rc, UB_OK);
    assert_int_equal(gsdm_count("Device.", true, &rc), 1);
    assert_int_equal(gsdm_count("Device.", false, &rc), 14);
    assert_int_equal(gsdm_count("Device.LocalAgent.Controller.", true, &rc),
                     3);
    assert_int_equal(gsdm_count("Device.LocalAgent.Controller.", false, &rc),
                     5);
    assert_int_equal(gsdm_count("Device.LocalAgent.Controller.1.", false,
                                &rc),
                     5);
    assert_int_equal(
        gsdm_count("Device.LocalAgent.Controller.{i}.MTP.{i}.", true, &rc),
        3);
    assert_int_equal(gsdm_count("Device.LocalAgent.Nope.", true, &rc), 0);
    assert_int_equal(rc, UB_ENOTFOUND);
    assert_int_equal(gsdm_count("Device.WiFi.", false, &rc), 0);
    assert_int_equal(rc, UB_OK);

    /* permissions filter: untrusted sees nothing of LocalAgent objects,
     * full access sees everything */
    assert_int_equal(usp_agent_perms_load(&f->st, "self::nobody", &pu),
                     UB_OK);
    assert_int_equal(usp_agent_perms_load(&f->st, CTRL1, &pf), UB_OK);
    {
        struct usp_sdm_result r = {0};

        fl.first_level_only = false;
        assert_int_equal(usp_msg_new(USP_MSG_GET_SUPPORTED_DM_RESP, "x", &m),
                         UB_OK);
        assert_int_equal(usp_agent_gsdm(m, "Device.", &fl, pu, &r), UB_OK);
        assert_int_equal(r.n_objs, 0);
        assert_int_equal(usp_agent_gsdm(m, "Device.", &fl, pf, &r), UB_OK);
        assert_int_equal(r.n_objs, 14);
        /* appending keeps what is there */
        assert_int_equal(usp_agent_gsdm(m, "Device.LocalAgent.", &fl, pf, &r),
                         UB_OK);
        assert_int_equal(r.n_objs, 28);
        usp_msg_free(m);
    }
    usp_agent_perms_free(pu);
    usp_agent_perms_free(pf);
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

static int count_sub(void *user, const struct usp_agent_sub *s)
{
    size_t *n = user;

    assert_string_equal(s->recipient, "Device.LocalAgent.Controller.1");
    assert_string_equal(s->recipient_eid, CTRL1);
    assert_int_equal(s->creation_date, 1700000000);
    (*n)++;
    return 0;
}

static void test_queries(void **state)
{
    struct fx *f = *state;
    struct usp_agent_controller c;
    struct usp_agent_result r;
    struct ub_strv bp;
    char *req = NULL;
    size_t n, del;
    static const struct usp_param_setting s1[] = {
        {.param = "Enable", .value = "true"},
        {.param = "Persistent", .value = "true"},
        {.param = "NotifType", .value = "Event"},
        {.param = "ReferenceList", .value = "Device.Boot!"}};
    static const struct usp_param_setting s2[] = {
        {.param = "Enable", .value = "true"},
        {.param = "NotifType", .value = "ValueChange"}};
    static const struct usp_param_setting s3[] = {
        {.param = "TimeToLive", .value = "100"}};

    assert_int_equal(usp_agent_controller_find(&f->st, CTRL1, &c), UB_OK);
    assert_int_equal(c.inst, 1);
    assert_string_equal(c.path, "Device.LocalAgent.Controller.1");
    assert_true(c.enable);
    assert_string_equal(c.mqtt_topic, "usp/ctrl-1");
    assert_string_equal(c.ws_host, "");
    assert_int_equal(c.periodic_notif_interval, 86400);
    usp_agent_controller_clear(&c);
    assert_int_equal(usp_agent_controller_find(&f->st, CTRL2, &c), UB_OK);
    assert_string_equal(c.ws_host, "ctrl2.example");
    assert_int_equal(c.ws_port, 8443);
    assert_string_equal(c.ws_path, "/usp");
    assert_true(c.ws_encryption);
    assert_string_equal(c.mqtt_topic, "");
    usp_agent_controller_clear(&c);
    assert_int_equal(usp_agent_controller_find(&f->st, "self::x", &c),
                     UB_ENOTFOUND);

    add_sub(f, CTRL1, s1, 4, &r);
    usp_agent_result_clear(&r);
    add_sub(f, CTRL1, s2, 2, &r);
    usp_agent_result_clear(&r);
    add_sub(f, CTRL1, s3, 1, &r);
    usp_agent_result_clear(&r);
    n = 0;
    assert_int_equal(usp_agent_subs_list(&f->st, true, count_sub, &n), UB_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(usp_agent_subs_list(&f->st, false, count_sub, &n),
                     UB_OK);
    assert_int_equal(n, 3);
    assert_int_equal(usp_agent_subs_expire(&f->st, 1700000050, false, &del),
                     UB_OK);
    assert_int_equal(del, 0);
    assert_int_equal(usp_agent_subs_expire(&f->st, 1700000100, false, &del),
                     UB_OK);
    assert_int_equal(del, 1);
    assert_null(mem_val(&f->mem, "Device.LocalAgent.Subscription.3."));
    assert_int_equal(usp_agent_subs_expire(&f->st, 1700000100, true, &del),
                     UB_OK);
    assert_int_equal(del, 1);
    assert_non_null(mem_val(&f->mem, "Device.LocalAgent.Subscription.1."));
    assert_null(mem_val(&f->mem, "Device.LocalAgent.Subscription.2."));
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.SubscriptionNumberOfEntries"),
        "1");

    /* async requests */
    assert_int_equal(usp_agent_request_add(&f->st, CTRL1,
                                           "Device.DeviceInfo.FirmwareImage."
                                           "1.Download()",
                                           "fw-1", &req),
                     UB_OK);
    assert_string_equal(req, "Device.LocalAgent.Request.1.");
    assert_string_equal(mem_val(&f->mem, "Device.LocalAgent.Request.1.Status"),
                        "Requested");
    assert_string_equal(mem_val(&f->mem, "Device.LocalAgent.Request.1.Alias"),
                        "cpe-1");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.RequestNumberOfEntries"), "1");
    assert_int_equal(usp_agent_request_set_status(&f->st, req, "Active"),
                     UB_OK);
    assert_string_equal(mem_val(&f->mem, "Device.LocalAgent.Request.1.Status"),
                        "Active");
    assert_int_equal(usp_agent_request_set_status(&f->st, req, "Busy"),
                     UB_EINVAL);
    usp_agent_result_init(&r);
    assert_int_equal(usp_agent_delete(&f->st, NULL, req, &r), UB_OK);
    assert_int_equal(r.err_code, USP_ERR_DELETE_FAILURE);
    usp_agent_result_clear(&r);
    assert_int_equal(usp_agent_request_del(&f->st, req), UB_OK);
    assert_int_equal(usp_agent_request_del(&f->st, req), UB_ENOTFOUND);
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.RequestNumberOfEntries"), "0");
    ub_free(req);

    /* boot parameters: only enabled ones */
    {
        struct usp_param_setting b1[] = {
            {.param = "Enable", .value = "true"},
            {.param = "ParameterName",
             .value = "Device.DeviceInfo.SoftwareVersion"}};
        struct usp_param_setting b2[] = {
            {.param = "ParameterName", .value = "Device.DeviceInfo.UpTime"}};

        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_add(&f->st, NULL,
                                       "Device.LocalAgent.Controller.1."
                                       "BootParameter.",
                                       b1, 2, &r),
                         UB_OK);
        assert_int_equal(r.err_code, 0);
        usp_agent_result_clear(&r);
        usp_agent_result_init(&r);
        assert_int_equal(usp_agent_add(&f->st, NULL,
                                       "Device.LocalAgent.Controller.1."
                                       "BootParameter.",
                                       b2, 1, &r),
                         UB_OK);
        assert_int_equal(r.err_code, 0);
        usp_agent_result_clear(&r);
    }
    ub_strv_init(&bp, 0);
    assert_int_equal(usp_agent_boot_params(&f->st,
                                           "Device.LocalAgent.Controller.1",
                                           &bp),
                     UB_OK);
    assert_int_equal(bp.n, 1);
    assert_string_equal(bp.v[0], "Device.DeviceInfo.SoftwareVersion");
    ub_strv_free(&bp);
}

/* ------------------------------------------------------------------ */
/* Refresh after restart / upgrade                                     */
/* ------------------------------------------------------------------ */

static void test_refresh(void **state)
{
    struct fx *f = *state;
    struct usp_agent_mtp_conf mtps[] = {
        {.proto = USP_AGENT_PROTO_MQTT, .enable = true,
         .mqtt_reference = "Device.MQTT.Client.1",
         .mqtt_response_topic = "usp/agent/os::00D09E-SN12345",
         .mqtt_qos = 1},
        {.proto = USP_AGENT_PROTO_WEBSOCKET, .enable = true, .ws_port = 8080,
         .ws_path = "/usp"},
    };
    struct usp_agent_ctrl_conf ctrls[] = {
        {.endpoint_id = CTRL1, .enable = true,
         .proto = USP_AGENT_PROTO_MQTT, .mqtt_topic = "usp/ctrl-1"},
        {.endpoint_id = "self::ctrl-3", .enable = true,
         .proto = USP_AGENT_PROTO_MQTT, .mqtt_topic = "usp/ctrl-3"},
    };
    struct usp_agent_init init = {
        .endpoint_id = AGENT_EID, .software_version = "1.2.3",
        .mtps = mtps, .n_mtps = 1, .ctrls = ctrls, .n_ctrls = 1};
    struct mem empty = {0};
    struct usp_agent_store est = {.ops = &mem_ops, .ctx = &empty};
    bool changed = true;
    size_t before = f->mem.writes;

    /* unchanged configuration: nothing written */
    assert_int_equal(usp_agent_refresh_rows(&f->st, &init, &changed), UB_OK);
    assert_false(changed);
    assert_int_equal(f->mem.writes, before);

    /* an upgrade, a second MTP, a new topic, a new controller; a value a
     * controller changed stays */
    set1(f, "Device.LocalAgent.Controller.1.", "Enable", "false");
    init.software_version = "1.3.0";
    mtps[0].mqtt_response_topic = "usp/agent/new";
    init.n_mtps = 2;
    init.n_ctrls = 2;
    assert_int_equal(usp_agent_refresh_rows(&f->st, &init, &changed), UB_OK);
    assert_true(changed);
    assert_string_equal(mem_val(&f->mem, "Device.LocalAgent.SoftwareVersion"),
                        "1.3.0");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.SupportedProtocols"),
        "MQTT,WebSocket");
    assert_string_equal(
        mem_val(&f->mem,
                "Device.LocalAgent.MTP.1.MQTT.ResponseTopicConfigured"),
        "usp/agent/new");
    assert_string_equal(mem_val(&f->mem, "Device.LocalAgent.MTP.2.Protocol"),
                        "WebSocket");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.MTP.2.WebSocket.Port"), "8080");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.Controller.3.EndpointID"),
        "self::ctrl-3");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.Controller.1.Enable"), "false");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.ControllerNumberOfEntries"), "3");

    /* MQTT no longer configured: its MTP goes */
    init.mtps = &mtps[1];
    init.n_mtps = 1;
    assert_int_equal(usp_agent_refresh_rows(&f->st, &init, &changed), UB_OK);
    assert_true(changed);
    assert_null(mem_val(&f->mem, "Device.LocalAgent.MTP.1."));
    assert_non_null(mem_val(&f->mem, "Device.LocalAgent.MTP.2."));
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.MTPNumberOfEntries"), "1");
    assert_string_equal(
        mem_val(&f->mem, "Device.LocalAgent.SupportedProtocols"),
        "WebSocket");

    assert_int_equal(usp_agent_refresh_rows(&est, &init, NULL), UB_ENOTFOUND);
    mem_free(&empty);
}

/* ------------------------------------------------------------------ */
/* Overlay of the device tree and the hosted tree                      */
/* ------------------------------------------------------------------ */

static void resolve_in(const struct ub_tree *tree, const char *text,
                       struct ub_strv *out)
{
    struct usp_path *p = NULL;
    struct usp_resolved r;
    size_t i;

    assert_int_equal(usp_path_parse(text, &p, NULL), UB_OK);
    if (usp_path_resolve(p, tree, NULL, &r) != UB_OK)
        fail_msg("resolve %s failed", text);
    for (i = 0; i < r.paths.n; i++)
        assert_int_equal(ub_strv_add(out, r.paths.v[i]), UB_OK);
    usp_resolved_free(&r);
    usp_path_free(p);
}

static void test_overlay(void **state)
{
    static const char *const rows[][2] = {
        {"Device.", NULL},
        {"Device.DeviceInfo.", NULL},
        {"Device.DeviceInfo.SoftwareVersion", "9.9"},
        {"Device.LocalAgent.", NULL},
        {"Device.LocalAgent.Bogus", "x"},
        {"Device.WiFi.", NULL},
        {"Device.WiFi.SSID.", NULL},
        {"Device.WiFi.SSID.1.", NULL},
        {"Device.WiFi.SSID.1.SSID", "home"},
    };
    struct fx *f = *state;
    struct mem dev = {0};
    struct usp_agent_view dview = {.st = {.ops = &mem_ops, .ctx = &dev}};
    struct usp_agent_view hview = {.st = f->st};
    struct ub_tree dtree, tree;
    struct usp_agent_overlay ov = {.hosted = &hview, .device = &dtree};
    struct ub_strv s;
    size_t i, la = 0;

    for (i = 0; i < UB_ARRAY_LEN(rows); i++) {
        struct ub_param p = {.path = (char *)rows[i][0],
                             .value = (char *)rows[i][1],
                             .type = rows[i][1] ? UB_T_STRING : UB_T_OBJECT};

        assert_int_equal(mem_put(&dev, &p), UB_OK);
    }
    usp_agent_tree(&dview, &dtree);
    usp_agent_tree_overlay(&ov, &tree);

    ub_strv_init(&s, 0);
    resolve_in(&tree, "Device.LocalAgent.Controller.*.EndpointID", &s);
    assert_int_equal(s.n, 2);
    ub_strv_free(&s);
    ub_strv_init(&s, 0);
    resolve_in(&tree, "Device.WiFi.SSID.*.SSID", &s);
    assert_int_equal(s.n, 1);
    ub_strv_free(&s);
    ub_strv_init(&s, 0);
    resolve_in(&tree, "Device.LocalAgent.Bogus", &s);
    assert_int_equal(s.n, 0);
    ub_strv_free(&s);
    ub_strv_init(&s, 0);
    resolve_in(&tree, "Device.DeviceInfo.SoftwareVersion", &s);
    assert_int_equal(s.n, 1);
    ub_strv_free(&s);

    ub_strv_init(&s, 0);
    assert_int_equal(tree.ops->children(tree.ctx, "Device.", node_path, &s),
                     UB_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.v[0], "Device.DeviceInfo.");
    assert_string_equal(s.v[1], "Device.WiFi.");
    assert_string_equal(s.v[2], "Device.LocalAgent.");
    ub_strv_free(&s);

    ub_strv_init(&s, 0);
    assert_int_equal(tree.ops->subtree(tree.ctx, "Device.", node_path, &s),
                     UB_OK);
    for (i = 0; i < s.n; i++) {
        assert_null(strstr(s.v[i], "Bogus"));
        la += strcmp(s.v[i], "Device.LocalAgent.") == 0;
    }
    assert_int_equal(la, 1);
    assert_true(s.n > 60);
    ub_strv_free(&s);
    mem_free(&dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_rows, setup, teardown),
        cmocka_unit_test(test_init_bad_config),
        cmocka_unit_test_setup_teardown(test_get_via_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_partial_and_objects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_subscription, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_controller_mtp, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_numbers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gsdm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlay, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
