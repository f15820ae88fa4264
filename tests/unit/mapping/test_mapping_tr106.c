/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Unit tests of the TR-106 helpers (mapping/src/tr106.c). */
#include <ub/mapping.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const struct {
    const char *msg_id, *key;
} pk_rows[] = {
    {"", "usp:"},
    {"42", "usp:42"},
    {"set-0001", "usp:set-0001"},
    /* exactly 28 bytes of id: 32 in all, kept */
    {"abcdefghijklmnopqrstuvwxyz01", "usp:abcdefghijklmnopqrstuvwxyz01"},
    /* 29 bytes: head 13 + '~' + tail 14 */
    {"abcdefghijklmnopqrstuvwxyz012", "usp:abcdefghijklm~pqrstuvwxyz012"},
    {"0f5c9b2e-4d7a-4e63-9a1f-3b8c2d7e6f10",
     "usp:0f5c9b2e-4d7a~f-3b8c2d7e6f10"},
    {"ctl\x01\xff", "usp:ctl__"},
};

static void test_parameter_key(void **state)
{
    char out[MAP_PARAMETER_KEY_MAX + 1];
    (void)state;
    for (size_t i = 0; i < sizeof(pk_rows) / sizeof(pk_rows[0]); i++) {
        assert_int_equal(map_parameter_key(pk_rows[i].msg_id, out, sizeof(out)),
                         UB_OK);
        assert_string_equal(out, pk_rows[i].key);
        assert_true(strlen(out) <= MAP_PARAMETER_KEY_MAX);
    }
    /* stable and distinct on the tail */
    char a[MAP_PARAMETER_KEY_MAX + 1], b[MAP_PARAMETER_KEY_MAX + 1];
    assert_int_equal(map_parameter_key("controller-1-request-000000000001", a,
                                       sizeof(a)), UB_OK);
    assert_int_equal(map_parameter_key("controller-1-request-000000000002", b,
                                       sizeof(b)), UB_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(map_parameter_key("controller-1-request-000000000001", b,
                                       sizeof(b)), UB_OK);
    assert_string_equal(a, b);
    assert_int_equal(map_parameter_key("x", out, MAP_PARAMETER_KEY_MAX),
                     UB_EINVAL);
    assert_int_equal(map_parameter_key(NULL, out, sizeof(out)), UB_EINVAL);
}

/* One row per ub_type. */
static const struct {
    enum ub_type t;
    enum map_usp_type usp;
    const char *xsd;
    enum ub_type back; /* map_type_from_usp(usp) */
} type_rows[] = {
    {UB_T_NONE, MAP_USP_PARAM_STRING, "xsd:string", UB_T_STRING},
    {UB_T_STRING, MAP_USP_PARAM_STRING, "xsd:string", UB_T_STRING},
    {UB_T_INT, MAP_USP_PARAM_INT, "xsd:int", UB_T_INT},
    {UB_T_UINT, MAP_USP_PARAM_UNSIGNED_INT, "xsd:unsignedInt", UB_T_UINT},
    {UB_T_LONG, MAP_USP_PARAM_LONG, "xsd:long", UB_T_LONG},
    {UB_T_ULONG, MAP_USP_PARAM_UNSIGNED_LONG, "xsd:unsignedLong", UB_T_ULONG},
    {UB_T_BOOL, MAP_USP_PARAM_BOOLEAN, "xsd:boolean", UB_T_BOOL},
    {UB_T_DATETIME, MAP_USP_PARAM_DATE_TIME, "xsd:dateTime", UB_T_DATETIME},
    {UB_T_BASE64, MAP_USP_PARAM_BASE_64, "xsd:base64", UB_T_BASE64},
    {UB_T_HEXBINARY, MAP_USP_PARAM_HEX_BINARY, "xsd:hexBinary",
     UB_T_HEXBINARY},
    {UB_T_DECIMAL, MAP_USP_PARAM_DECIMAL, "xsd:decimal", UB_T_DECIMAL},
    {UB_T_OBJECT, MAP_USP_PARAM_UNKNOWN, "", UB_T_NONE},
};

static void test_types(void **state)
{
    (void)state;
    assert_int_equal(sizeof(type_rows) / sizeof(type_rows[0]), UB_T_MAX_);
    for (size_t i = 0; i < sizeof(type_rows) / sizeof(type_rows[0]); i++) {
        assert_int_equal(map_type_to_usp(type_rows[i].t), type_rows[i].usp);
        assert_string_equal(map_type_xsd(type_rows[i].t), type_rows[i].xsd);
        assert_int_equal(map_type_from_usp(type_rows[i].usp),
                         type_rows[i].back);
        /* the xsd name parses back to the type (base.h) */
        if (type_rows[i].t != UB_T_NONE && type_rows[i].t != UB_T_OBJECT)
            assert_int_equal(ub_type_from_name(type_rows[i].xsd),
                             type_rows[i].t);
    }
    /* wire numbers of usp-msg.proto ParamValueType */
    assert_int_equal(MAP_USP_PARAM_BASE_64, 1);
    assert_int_equal(MAP_USP_PARAM_STRING, 8);
    assert_int_equal(MAP_USP_PARAM_UNSIGNED_LONG, 10);
    assert_int_equal(map_type_from_usp((enum map_usp_type)77), UB_T_NONE);
}

static const struct {
    const char *in, *out;
} bool_rows[] = {
    {"1", "true"},   {"0", "false"},  {"true", "true"}, {"false", "false"},
    {"TRUE", "true"}, {"False", "false"}, {" 1 ", "true"}, {"\t0", "false"},
    {"2", NULL},     {"", NULL},      {"yes", NULL},    {"10", NULL},
    {"truex", NULL}, {NULL, NULL},
};

static void test_bools(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bool_rows) / sizeof(bool_rows[0]); i++) {
        const char *got = map_bool_to_usp(bool_rows[i].in);
        if (bool_rows[i].out)
            assert_string_equal(got, bool_rows[i].out);
        else
            assert_null(got);
    }
    const char *v = "1";
    assert_string_equal(map_value_to_usp(UB_T_BOOL, v), "true");
    assert_ptr_equal(map_value_to_usp(UB_T_STRING, v), v);
    assert_ptr_equal(map_value_to_usp(UB_T_BOOL, "maybe") != NULL, 1);
    assert_null(map_value_to_usp(UB_T_BOOL, NULL));
}

static void test_access(void **state)
{
    (void)state;
    assert_int_equal(map_param_access(true), MAP_PARAM_READ_WRITE);
    assert_int_equal(map_param_access(false), MAP_PARAM_READ_ONLY);
    assert_int_equal(map_obj_access(false, true, true), MAP_OBJ_READ_ONLY);
    assert_int_equal(map_obj_access(true, true, true), MAP_OBJ_ADD_DELETE);
    assert_int_equal(map_obj_access(true, true, false), MAP_OBJ_ADD_ONLY);
    assert_int_equal(map_obj_access(true, false, true), MAP_OBJ_DELETE_ONLY);
    assert_int_equal(map_obj_access(true, false, false), MAP_OBJ_READ_ONLY);
}

static void test_group(void **state)
{
    const char *paths[] = {
        "Device.WiFi.SSID.2.SSID",
        "Device.DeviceInfo.ProvisioningCode",
        "Device.WiFi.SSID.2.Enable",
        "Device.WiFi.SSID.10.SSID",
        "Device.DeviceInfo.X_ACME_Note",
        "Device.WiFi.SSID.2.X.Y", /* sub-object: its own group */
    };
    struct map_groups g;
    (void)state;
    assert_int_equal(map_paths_group(paths, 6, &g), UB_OK);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.v[0].object, "Device.WiFi.SSID.2.");
    assert_int_equal(g.v[0].n, 2);
    assert_int_equal(g.v[0].idx[0], 0);
    assert_int_equal(g.v[0].idx[1], 2);
    assert_string_equal(g.v[1].object, "Device.DeviceInfo.");
    assert_int_equal(g.v[1].n, 2);
    assert_int_equal(g.v[1].idx[0], 1);
    assert_int_equal(g.v[1].idx[1], 4);
    assert_string_equal(g.v[2].object, "Device.WiFi.SSID.10.");
    assert_int_equal(g.v[2].n, 1);
    assert_int_equal(g.v[2].idx[0], 3);
    assert_string_equal(g.v[3].object, "Device.WiFi.SSID.2.X.");
    assert_int_equal(g.v[3].idx[0], 5);
    map_groups_free(&g);
    assert_null(g.v);
    map_groups_free(&g); /* twice is fine */
    map_groups_free(NULL);
}

static void test_group_errors(void **state)
{
    const char *bad1[] = {"Device.A.B", "Device.WiFi."};
    const char *bad2[] = {"NoDot"};
    const char *bad3[] = {"Device.A", NULL};
    struct map_groups g = {(struct map_group *)0x1, 7};
    (void)state;
    assert_int_equal(map_paths_group(bad1, 2, &g), UB_EINVAL);
    assert_int_equal(map_paths_group(bad2, 1, &g), UB_EINVAL);
    assert_int_equal(map_paths_group(bad3, 2, &g), UB_EINVAL);
    assert_int_equal(map_paths_group(NULL, 1, &g), UB_EINVAL);
    /* untouched on failure */
    assert_ptr_equal(g.v, (struct map_group *)0x1);
    assert_int_equal(g.n, 7);
    assert_int_equal(map_paths_group(NULL, 0, &g), UB_OK);
    assert_int_equal(g.n, 0);
}

static void test_group_alloc_failures(void **state)
{
    const char *paths[] = {"Device.A.x", "Device.B.y", "Device.A.z"};
    size_t base = ub_mem_in_use();
    (void)state;
    /* fail each allocation in turn: no leak, clean error */
    for (long k = 0; k < 20; k++) {
        struct map_groups g;
        int err;
        ub_mem_fail_after(k);
        err = map_paths_group(paths, 3, &g);
        ub_mem_fail_after(-1);
        if (err == UB_OK) {
            assert_int_equal(g.n, 2);
            map_groups_free(&g);
            break;
        }
        assert_int_equal(err, UB_ENOMEM);
        assert_int_equal(ub_mem_in_use(), base);
    }
    assert_int_equal(ub_mem_in_use(), base);
}

static void test_params_group(void **state)
{
    struct ub_param_list l;
    struct map_groups g;
    (void)state;
    ub_param_list_init(&l, 0);
    assert_int_equal(ub_param_list_add(&l, "Device.X.a", "1", UB_T_STRING),
                     UB_OK);
    assert_int_equal(ub_param_list_add(&l, "Device.Y.b", "1", UB_T_STRING),
                     UB_OK);
    assert_int_equal(ub_param_list_add(&l, "Device.X.c", "1", UB_T_STRING),
                     UB_OK);
    assert_int_equal(map_params_group(&l, &g), UB_OK);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.v[0].object, "Device.X.");
    assert_int_equal(g.v[0].n, 2);
    map_groups_free(&g);
    ub_param_list_free(&l);
}

static void test_schema(void **state)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"Device.IP.Interface.3.Name", "Device.IP.Interface.{i}.Name"},
        {"Device.DeviceInfo.FirmwareImage.2.Download()",
         "Device.DeviceInfo.FirmwareImage.{i}.Download()"},
        {"Device.Boot!", "Device.Boot!"},
        {"Device.A.1.B.22.", "Device.A.{i}.B.{i}."},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *s = map_path_schema(rows[i].in);
        assert_non_null(s);
        assert_string_equal(s, rows[i].out);
        ub_free(s);
    }
    assert_null(map_path_schema(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameter_key),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_group_errors),
        cmocka_unit_test(test_group_alloc_failures),
        cmocka_unit_test(test_params_group),
        cmocka_unit_test(test_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
