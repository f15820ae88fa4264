/* Unit tests of the base library. */
#include <ub/base.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(ub_strerror(UB_OK), "success");
    assert_string_equal(ub_strerror(UB_EFULL), "store or queue full");
    assert_string_equal(ub_strerror(-1), "unknown error");
    assert_string_equal(ub_strerror(UB_ERR_MAX_), "unknown error");
    for (int e = 0; e < UB_ERR_MAX_; e++)
        assert_string_not_equal(ub_strerror(e), "unknown error");
}

static void test_buf_bounded(void **state)
{
    struct ub_buf b;
    (void)state;
    ub_buf_init(&b, 8);
    assert_int_equal(ub_buf_appends(&b, "abcd"), UB_OK);
    assert_int_equal(ub_buf_printf(&b, "%d", 123), UB_OK);
    assert_string_equal(b.data, "abcd123");
    assert_int_equal(b.len, 7);
    assert_int_equal(ub_buf_append(&b, "xy", 2), UB_ETOOBIG);
    /* a failed append frees the buffer */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(ub_buf_appends(&b, "12345678"), UB_OK);
    size_t n;
    char *d = ub_buf_take(&b, &n);
    assert_int_equal(n, 8);
    assert_string_equal(d, "12345678");
    ub_free(d);
    ub_buf_free(&b);
}

static void test_mem_accounting(void **state)
{
    (void)state;
    size_t base = ub_mem_in_use();
    char *p = ub_malloc(100);
    assert_non_null(p);
    assert_int_equal(ub_mem_in_use(), base + 100);
    p = ub_realloc(p, 300);
    assert_int_equal(ub_mem_in_use(), base + 300);
    ub_free(p);
    assert_int_equal(ub_mem_in_use(), base);

    ub_mem_set_limit(base + 50);
    assert_null(ub_malloc(100));
    ub_mem_set_limit(0);

    ub_mem_fail_after(1);
    p = ub_strdup("ok");
    assert_non_null(p);
    assert_null(ub_strdup("fails"));
    ub_mem_fail_after(-1);
    ub_free(p);
    assert_null(ub_calloc(SIZE_MAX / 2, 4));
}

static void test_types(void **state)
{
    (void)state;
    assert_int_equal(ub_type_from_name("xsd:unsignedInt"), UB_T_UINT);
    assert_int_equal(ub_type_from_name("boolean"), UB_T_BOOL);
    assert_int_equal(ub_type_from_name("xsd:base64Binary"), UB_T_BASE64);
    assert_int_equal(ub_type_from_name("vendor:Foo"), UB_T_NONE);
    assert_string_equal(ub_type_name(UB_T_DATETIME), "dateTime");

    struct { enum ub_type t; const char *v; int ok; } rows[] = {
        {UB_T_INT, "-2147483648", 1}, {UB_T_INT, "2147483648", 0},
        {UB_T_INT, "12a", 0},         {UB_T_INT, "", 0},
        {UB_T_UINT, "4294967295", 1}, {UB_T_UINT, "-1", 0},
        {UB_T_UINT, "4294967296", 0}, {UB_T_ULONG, "18446744073709551615", 1},
        {UB_T_LONG, "-9223372036854775808", 1},
        {UB_T_BOOL, "true", 1},       {UB_T_BOOL, "1", 1},
        {UB_T_BOOL, "yes", 0},        {UB_T_DATETIME, "2026-11-25T08:00:00Z", 1},
        {UB_T_DATETIME, "0001-01-01T00:00:00Z", 1},
        {UB_T_DATETIME, "2026-11-25T08:00:00.123+01:00", 1},
        {UB_T_DATETIME, "2026-11-25 08:00:00", 0},
        {UB_T_HEXBINARY, "00aaFF", 1}, {UB_T_HEXBINARY, "0a0", 0},
        {UB_T_BASE64, "aGVsbG8=", 1},  {UB_T_BASE64, "aGVsbG8", 0},
        {UB_T_BASE64, "a=Vs", 0},      {UB_T_DECIMAL, "3.25", 1},
        {UB_T_DECIMAL, "x", 0},        {UB_T_STRING, "anything", 1},
    };
    for (size_t i = 0; i < UB_ARRAY_LEN(rows); i++) {
        int err = ub_value_check(rows[i].t, rows[i].v);
        if ((err == UB_OK) != rows[i].ok)
            fail_msg("row %zu: type %d value '%s' expected %s", i, rows[i].t,
                     rows[i].v, rows[i].ok ? "ok" : "invalid");
    }
}

static void test_paths(void **state)
{
    (void)state;
    assert_true(ub_path_is_valid("Device."));
    assert_true(ub_path_is_valid("Device.WiFi.SSID.10.SSID"));
    assert_true(ub_path_is_valid("InternetGatewayDevice.X_ACME-COM_Foo.1."));
    assert_false(ub_path_is_valid("Device..WiFi"));
    assert_false(ub_path_is_valid("1.Device"));
    assert_false(ub_path_is_valid("Device.WiFi.SSID.01."));
    assert_false(ub_path_is_valid("Device.WiFi.*."));
    assert_false(ub_path_is_valid(""));
    assert_true(ub_path_is_object("Device.WiFi."));
    assert_false(ub_path_is_object("Device.WiFi.SSID.1.SSID"));
    char *s = ub_path_to_schema("Device.IP.Interface.3.IPv4Address.12.IPAddress");
    assert_string_equal(s, "Device.IP.Interface.{i}.IPv4Address.{i}.IPAddress");
    ub_free(s);
    s = ub_path_to_schema("Device.Hosts.Host.7.");
    assert_string_equal(s, "Device.Hosts.Host.{i}.");
    ub_free(s);
}

static void test_lists(void **state)
{
    (void)state;
    struct ub_param_list l;
    ub_param_list_init(&l, 3);
    assert_int_equal(ub_param_list_add(&l, "A.b", "1", UB_T_INT), UB_OK);
    assert_int_equal(ub_param_list_add(&l, "A.c", NULL, UB_T_OBJECT), UB_OK);
    assert_int_equal(ub_param_list_add(&l, "A.d", "x", UB_T_STRING), UB_OK);
    assert_int_equal(ub_param_list_add(&l, "A.e", "x", UB_T_STRING), UB_ETOOBIG);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].value, "1");
    assert_null(l.v[1].value);
    ub_param_list_free(&l);

    struct ub_strv sv;
    ub_strv_init(&sv, 2);
    assert_int_equal(ub_strv_add(&sv, "one"), UB_OK);
    assert_int_equal(ub_strv_addn(&sv, "twox", 3), UB_OK);
    assert_int_equal(ub_strv_add(&sv, "three"), UB_ETOOBIG);
    assert_string_equal(sv.v[1], "two");
    ub_strv_free(&sv);
}

static char last_line[256];
static void sink(void *u, enum ub_log_level l, const char *m, const char *line)
{
    (void)u;
    (void)l;
    snprintf(last_line, sizeof(last_line), "%s|%s", m, line);
}

static void test_log(void **state)
{
    (void)state;
    enum ub_log_level lvl;
    assert_int_equal(ub_log_level_parse("debug", &lvl), UB_OK);
    assert_int_equal(lvl, UB_LOG_DEBUG);
    assert_int_equal(ub_log_level_parse("loud", &lvl), UB_EINVAL);
    ub_log_set_sink(sink, NULL);
    ub_log_set_level(UB_LOG_INFO);
    UB_LOGI("test", "hello %d", 42);
    assert_string_equal(last_line, "test|hello 42");
    UB_LOGD("test", "hidden");
    assert_string_equal(last_line, "test|hello 42");
    ub_log_set_sink(NULL, NULL);

    char out[32];
    ub_log_repr(out, sizeof(out), "a\0b\n", 4, 64);
    assert_string_equal(out, "a\\x00b\\x0a");
    ub_log_repr(out, sizeof(out), "abcdefgh", 8, 3);
    assert_string_equal(out, "abc");
}

static uint64_t fake_mono(void *u) { return *(uint64_t *)u; }
static int64_t fake_wall(void *u) { return (int64_t)*(uint64_t *)u; }

static void test_clock(void **state)
{
    (void)state;
    uint64_t t = 123;
    char iso[32];
    ub_clock_override(fake_mono, fake_wall, &t);
    assert_int_equal(ub_now_ms(), 123);
    t = 86400;
    assert_string_equal(ub_time_iso8601(ub_wall_s(), iso, sizeof(iso)),
                        "1970-01-02T00:00:00Z");
    ub_clock_override(NULL, NULL, NULL);
    assert_true(ub_wall_s() > 1700000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror), cmocka_unit_test(test_buf_bounded),
        cmocka_unit_test(test_mem_accounting), cmocka_unit_test(test_types),
        cmocka_unit_test(test_paths), cmocka_unit_test(test_lists),
        cmocka_unit_test(test_log), cmocka_unit_test(test_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
