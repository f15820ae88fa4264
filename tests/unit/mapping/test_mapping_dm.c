/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Unit tests of the BBF data-model XML loader (mapping/src/dmxml.c) on the
 * committed fixture tests/fixtures/mapping/tr-181-mini.xml and on hostile
 * documents. */
#include <ub/mapping.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FIXTURE UB_FIXTURES "/mapping/tr-181-mini.xml"

#define O MAP_DM_OBJECT
#define P MAP_DM_PARAM
#define C MAP_DM_COMMAND
#define E MAP_DM_EVENT

/* Every entry of the fixture, in document order. */
static const struct {
    const char *path;
    enum map_dm_kind kind;
    enum ub_type type;
    bool writable, multi, async;
} rows[] = {
    {"Device.", O, UB_T_OBJECT, false, false, false},
    {"Device.RootDataModelVersion", P, UB_T_STRING, false, false, false},
    {"Device.InterfaceStackNumberOfEntries", P, UB_T_UINT, false, false,
     false},
    {"Device.Reboot()", C, UB_T_NONE, false, false, false},
    {"Device.Boot!", E, UB_T_NONE, false, false, false},
    {"Device.SelfTestDiagnostics()", C, UB_T_NONE, false, false, true},
    {"Device.DeviceInfo.", O, UB_T_OBJECT, false, false, false},
    {"Device.DeviceInfo.ProvisioningCode", P, UB_T_STRING, true, false,
     false},
    {"Device.DeviceInfo.UpTime", P, UB_T_UINT, false, false, false},
    {"Device.DeviceInfo.FirstUseDate", P, UB_T_DATETIME, false, false, false},
    {"Device.DeviceInfo.DeviceCategory", P, UB_T_STRING, false, false, false},
    {"Device.IP.Interface.{i}.", O, UB_T_OBJECT, true, true, false},
    {"Device.IP.Interface.{i}.Enable", P, UB_T_BOOL, true, false, false},
    {"Device.IP.Interface.{i}.IPv4Address", P, UB_T_STRING, true, false,
     false},
    {"Device.IP.Interface.{i}.MaxMTUSize", P, UB_T_UINT, true, false, false},
    {"Device.IP.Interface.{i}.LastChange", P, UB_T_INT, false, false, false},
    {"Device.IP.Interface.{i}.BytesSent", P, UB_T_ULONG, false, false, false},
    {"Device.IP.Interface.{i}.PacketsSent", P, UB_T_UINT, false, false,
     false},
    {"Device.IP.Interface.{i}.Weird", P, UB_T_STRING, false, false, false},
    {"Device.IP.Interface.{i}.Imported", P, UB_T_STRING, false, false, false},
    {"Device.IP.Interface.{i}.Prios", P, UB_T_STRING, true, false, false},
    {"Device.IP.Interface.{i}.Key", P, UB_T_HEXBINARY, true, false, false},
    {"Device.IP.Interface.{i}.Cert", P, UB_T_BASE64, false, false, false},
    {"Device.IP.Interface.{i}.Ratio", P, UB_T_DECIMAL, false, false, false},
    {"Device.IP.Interface.{i}.Offset", P, UB_T_LONG, false, false, false},
    {"Device.IP.Interface.{i}.Reset()", C, UB_T_NONE, false, false, false},
    {"Device.IP.Diagnostics.", O, UB_T_OBJECT, false, false, false},
    {"Device.IP.Diagnostics.IPPing()", C, UB_T_NONE, false, false, true},
    {"Device.DeviceInfo.", O, UB_T_OBJECT, false, false, false},
    {"Device.DeviceInfo.UpTime", P, UB_T_ULONG, true, false, false},
    {"Device.LocalAgent.", O, UB_T_OBJECT, false, false, false},
    {"Device.LocalAgent.TransferComplete!", E, UB_T_NONE, false, false,
     false},
};

static void test_fixture_entries(void **state)
{
    struct map_dm *dm = NULL;
    size_t base = ub_mem_in_use();
    (void)state;
    assert_int_equal(map_dm_load_file(FIXTURE, NULL, &dm), UB_OK);
    assert_non_null(dm);
    assert_string_equal(map_dm_model(dm), "Device:2.15");
    assert_int_equal(map_dm_count(dm), sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct map_dm_entry *e = map_dm_at(dm, i);
        assert_non_null(e);
        if (strcmp(e->path, rows[i].path) != 0)
            fail_msg("entry %zu: want %s got %s", i, rows[i].path, e->path);
        assert_int_equal(e->kind, rows[i].kind);
        if (e->kind == MAP_DM_PARAM || e->kind == MAP_DM_OBJECT)
            if (e->type != rows[i].type)
                fail_msg("%s: type want %s got %s", e->path,
                         ub_type_name(rows[i].type), ub_type_name(e->type));
        assert_int_equal(e->writable, rows[i].writable);
        assert_int_equal(e->multi, rows[i].multi);
        assert_int_equal(e->async, rows[i].async);
    }
    assert_null(map_dm_at(dm, map_dm_count(dm)));
    map_dm_free(dm);
    assert_int_equal(ub_mem_in_use(), base);
}

static void test_fixture_lookup(void **state)
{
    struct map_dm *dm = NULL;
    const struct map_dm_entry *e;
    (void)state;
    assert_int_equal(map_dm_load_file(FIXTURE, NULL, &dm), UB_OK);
    e = map_dm_lookup(dm, "Device.IP.Interface.3.Enable");
    assert_non_null(e);
    assert_string_equal(e->path, "Device.IP.Interface.{i}.Enable");
    assert_int_equal(e->type, UB_T_BOOL);
    assert_true(e->writable);
    e = map_dm_lookup(dm, "Device.IP.Interface.{i}.");
    assert_non_null(e);
    assert_true(e->multi);
    e = map_dm_lookup(dm, "Device.IP.Interface.12.Reset()");
    assert_non_null(e);
    assert_int_equal(e->kind, MAP_DM_COMMAND);
    /* the later definition (base=) wins */
    e = map_dm_lookup(dm, "Device.DeviceInfo.UpTime");
    assert_non_null(e);
    assert_int_equal(e->type, UB_T_ULONG);
    assert_true(e->writable);
    /* command arguments are no entries, the second model is ignored */
    assert_null(map_dm_lookup(dm, "Device.IP.Diagnostics.Host"));
    assert_null(map_dm_lookup(dm, "Device.Boot!.Cause"));
    assert_null(map_dm_lookup(dm, "Ignored.X"));
    assert_null(map_dm_lookup(dm, "Device.Nope"));
    assert_null(map_dm_lookup(dm, "A"));
    assert_null(map_dm_lookup(dm, "Z"));
    assert_null(map_dm_lookup(dm, NULL));
    assert_null(map_dm_lookup(NULL, "Device."));
    map_dm_free(dm);
    map_dm_free(NULL);
}

static int load_str(const char *xml, const struct map_dm_limits *lim,
                    struct map_dm **out)
{
    return map_dm_load_mem(xml, strlen(xml), lim, out);
}

#define DOC_HEAD                                                              \
    "<?xml version=\"1.0\"?>"                                                 \
    "<dm:document xmlns:dm=\"urn:broadband-forum-org:cwmp:datamodel-1-9\">"
#define DOC_TAIL "</dm:document>"

static void test_hostile(void **state)
{
    static const struct {
        const char *name, *xml;
        int err;
    } bad[] = {
        {"empty", "", UB_EPROTO},
        {"not xml", "hello", UB_EPROTO},
        {"truncated", DOC_HEAD "<model name=\"m\"><object name=\"Device.\">",
         UB_EPROTO},
        {"wrong root", "<?xml version=\"1.0\"?><html><model name=\"m\"/>"
                       "</html>",
         UB_EPROTO},
        {"no model", DOC_HEAD "<dataType name=\"x\"><int/></dataType>"
                     DOC_TAIL,
         UB_EPROTO},
        {"billion laughs",
         "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">"
         "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
         "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
         "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
         "<dm:document xmlns:dm=\"urn:x\"><model name=\"&d;\"/>"
         "</dm:document>",
         UB_EPROTO},
        {"external entity",
         "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM "
         "\"file:///etc/passwd\">]><dm:document xmlns:dm=\"urn:x\">"
         "<model name=\"m\"><object name=\"Device.\">"
         "<parameter name=\"&x;\"/></object></model></dm:document>",
         UB_EPROTO},
        {"object without dot",
         DOC_HEAD "<model name=\"m\"><object name=\"Device\"/></model>"
                  DOC_TAIL,
         UB_EPROTO},
        {"object without name",
         DOC_HEAD "<model name=\"m\"><object/></model>" DOC_TAIL, UB_EPROTO},
        {"param without name",
         DOC_HEAD "<model name=\"m\"><object name=\"Device.\"><parameter/>"
                  "</object></model>" DOC_TAIL,
         UB_EPROTO},
        {"param name with blank",
         DOC_HEAD "<model name=\"m\"><object name=\"Device.\">"
                  "<parameter name=\"a b\"/></object></model>" DOC_TAIL,
         UB_EPROTO},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct map_dm *dm = (struct map_dm *)0x1;
        size_t base = ub_mem_in_use();
        int err = load_str(bad[i].xml, NULL, &dm);
        if (err != bad[i].err)
            fail_msg("%s: want %s got %s", bad[i].name,
                     ub_strerror(bad[i].err), ub_strerror(err));
        assert_ptr_equal(dm, (struct map_dm *)0x1); /* untouched */
        assert_int_equal(ub_mem_in_use(), base);
    }
}

static void test_limits(void **state)
{
    struct map_dm *dm = NULL;
    struct map_dm_limits lim = {0};
    const char *xml = DOC_HEAD "<model name=\"m\"><object name=\"Device.\">"
                               "<parameter name=\"A\"/><parameter name=\"B\"/>"
                               "</object></model>" DOC_TAIL;
    (void)state;
    assert_int_equal(load_str(xml, NULL, &dm), UB_OK);
    assert_int_equal(map_dm_count(dm), 3);
    /* untyped parameter: string */
    assert_int_equal(map_dm_lookup(dm, "Device.A")->type, UB_T_STRING);
    map_dm_free(dm);

    lim.max_entries = 2;
    assert_int_equal(load_str(xml, &lim, &dm), UB_ETOOBIG);
    lim.max_entries = 0;
    lim.max_bytes = 10;
    assert_int_equal(load_str(xml, &lim, &dm), UB_ETOOBIG);
    lim.max_bytes = 0;
    lim.max_depth = 1;
    assert_int_equal(load_str(xml, &lim, &dm), UB_ETOOBIG);

    /* deep nesting inside a skipped element is libxml2's problem (its own
     * depth limit); deep nesting in an object is walked without recursion
     * beyond syntax/type: a 5000-deep document must fail cleanly */
    {
        size_t depth = 5000, o = 0;
        char *big = malloc(depth * 8 + 256);
        assert_non_null(big);
        o += (size_t)sprintf(big, "%s<model name=\"m\">", DOC_HEAD);
        for (size_t i = 0; i < depth; i++)
            o += (size_t)sprintf(big + o, "<x>");
        big[o] = '\0';
        assert_int_not_equal(load_str(big, NULL, &dm), UB_OK);
        free(big);
    }
    assert_int_equal(map_dm_load_file("/nonexistent/dm.xml", NULL, &dm),
                     UB_EIO);
    assert_int_equal(map_dm_load_mem(NULL, 0, NULL, &dm), UB_EINVAL);
}

static void test_alloc_failures(void **state)
{
    size_t base = ub_mem_in_use();
    char *xml;
    long len;
    FILE *f = fopen(FIXTURE, "rb");
    (void)state;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    xml = malloc((size_t)len);
    assert_non_null(xml);
    assert_int_equal(fread(xml, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    for (long k = 0; k < 400; k++) {
        struct map_dm *dm = NULL;
        int err;
        ub_mem_fail_after(k);
        err = map_dm_load_mem(xml, (size_t)len, NULL, &dm);
        ub_mem_fail_after(-1);
        if (err == UB_OK) {
            assert_int_equal(map_dm_count(dm), sizeof(rows) / sizeof(rows[0]));
            map_dm_free(dm);
            break;
        }
        assert_int_equal(err, UB_ENOMEM);
        assert_int_equal(ub_mem_in_use(), base);
        assert_true(k < 399);
    }
    free(xml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_entries),
        cmocka_unit_test(test_fixture_lookup),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
