/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Unit tests of the CWMP fault <-> USP error tables (mapping/src/fault.c).
 * The expected rows are written here independently of the code table; the
 * test fails if either side has a row the other lacks. */
#include <ub/mapping.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define ANY MAP_CTX_ANY
#define GET MAP_CTX_GET
#define SET MAP_CTX_SET
#define PARAM MAP_CTX_PARAM
#define ADD MAP_CTX_ADD
#define DEL MAP_CTX_DELETE
#define OPR MAP_CTX_OPERATE
#define SUB MAP_CTX_SUBSCRIBE

struct exp_row {
    unsigned lo, hi;
    enum map_ctx ctx;
    uint32_t usp;
};

/* One row per entry of fault_rows[] in fault.c. */
static const struct exp_row expected_rows[] = {
    {8000, 8000, ANY, 7001}, {8001, 8001, ANY, 7002},
    {8002, 8002, ANY, 7003}, {8003, 8003, ANY, 7004},
    {8004, 8004, ANY, 7005}, {8005, 8005, ANY, 7003},
    {9000, 9000, ANY, 7001}, {9000, 9000, OPR, 7022},
    {9001, 9001, ANY, 7002}, {9001, 9001, ADD, 7017},
    {9001, 9001, DEL, 7024}, {9002, 9002, ANY, 7003},
    {9003, 9003, ANY, 7004}, {9003, 9003, OPR, 7027},
    {9004, 9004, ANY, 7005}, {9005, 9005, ANY, 7026},
    {9005, 9005, GET, 7026}, {9005, 9005, PARAM, 7010},
    {9005, 9005, SET, 7016}, {9005, 9005, ADD, 7016},
    {9005, 9005, DEL, 7016}, {9005, 9005, OPR, 7027},
    {9005, 9005, SUB, 7012}, {9006, 9006, ANY, 7011},
    {9006, 9006, OPR, 7027}, {9007, 9007, ANY, 7012},
    {9007, 9007, OPR, 7027}, {9008, 9008, ANY, 7013},
    {9008, 9008, OPR, 7022}, {9009, 9009, ANY, 7002},
    {9021, 9021, ANY, 7002}, {9021, 9021, OPR, 7022},
    {9010, 9020, ANY, 7000}, {9010, 9020, OPR, 7022},
    {9027, 9027, ANY, 7005}, {9022, 9032, ANY, 7000},
    {9022, 9032, OPR, 7022},
};

static void test_rows_translate(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(expected_rows) / sizeof(expected_rows[0]);
         i++) {
        const struct exp_row *r = &expected_rows[i];
        unsigned mid = r->lo + (r->hi - r->lo) / 2;
        /* 9027 sits inside 9022-9032 with its own ANY row */
        if (r->lo == 9022 && r->ctx == ANY)
            mid = 9025;
        if (map_fault_to_usp(r->lo, r->ctx) != r->usp ||
            map_fault_to_usp(r->hi, r->ctx) != r->usp ||
            map_fault_to_usp(mid, r->ctx) != r->usp)
            fail_msg("row %zu: %u-%u in %s: want %u got %u", i, r->lo, r->hi,
                     map_ctx_name(r->ctx), (unsigned)r->usp,
                     (unsigned)map_fault_to_usp(r->lo, r->ctx));
    }
}

static void test_rows_match_code_table(void **state)
{
    size_t n = sizeof(expected_rows) / sizeof(expected_rows[0]);
    (void)state;
    assert_int_equal(map_fault_row_count(), n);
    assert_null(map_fault_row_at(n));
    for (size_t i = 0; i < n; i++) {
        const struct map_fault_row *c = map_fault_row_at(i);
        bool found = false;
        assert_non_null(c);
        assert_non_null(c->why);
        assert_true(strlen(c->why) > 10);
        for (size_t k = 0; k < n && !found; k++)
            found = expected_rows[k].lo == c->lo &&
                    expected_rows[k].hi == c->hi &&
                    expected_rows[k].ctx == c->ctx &&
                    expected_rows[k].usp == c->usp;
        if (!found)
            fail_msg("code row %zu (%u-%u %s -> %u) not expected", i, c->lo,
                     c->hi, map_ctx_name(c->ctx), (unsigned)c->usp);
    }
}

/* Fallbacks: no row in the asked context, or no row at all. */
static const struct {
    unsigned fault;
    enum map_ctx ctx;
    uint32_t usp;
} fallback[] = {
    {0, ANY, 0},        {0, OPR, 0},
    {9009, SUB, 7002},  {9007, PARAM, 7012},  {9008, PARAM, 7013},
    {9006, PARAM, 7011}, {9002, OPR, 7003},   {9004, SET, 7005},
    {9010, GET, 7000},  {9027, OPR, 7022},    {9015, SUB, 7000},
    {9850, ANY, 7000},  {9850, GET, 7000},    {9850, SET, 7020},
    {9850, PARAM, 7009}, {9850, ADD, 7017},   {9850, DEL, 7024},
    {9850, OPR, 7022},  {9850, SUB, 7000},    {9033, ANY, 7000},
    {8850, ANY, 7000},  {1, OPR, 7022},       {9005, MAP_CTX_MAX_, 7026},
};

static void test_fallbacks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
        if (map_fault_to_usp(fallback[i].fault, fallback[i].ctx) !=
            fallback[i].usp)
            fail_msg("fallback %zu: %u in %d: want %u got %u", i,
                     fallback[i].fault, (int)fallback[i].ctx,
                     (unsigned)fallback[i].usp,
                     (unsigned)map_fault_to_usp(fallback[i].fault,
                                                fallback[i].ctx));
}

static void test_delete_success(void **state)
{
    (void)state;
    assert_true(map_delete_fault_is_success(9005));
    assert_false(map_delete_fault_is_success(9001));
    assert_false(map_delete_fault_is_success(0));
}

/* One row per CWMP fault name. */
static const struct {
    unsigned code;
    bool server;
    const char *name;
} fault_names[] = {
    {8000, true, "Method not supported"},
    {8001, true, "Request denied (no reason specified)"},
    {8002, true, "Internal error"},
    {8003, false, "Invalid arguments"},
    {8004, true, "Resources exceeded"},
    {8005, true, "Retry request"},
    {9000, true, "Method not supported"},
    {9001, true, "Request denied (no reason specified)"},
    {9002, true, "Internal error"},
    {9003, false, "Invalid arguments"},
    {9004, true, "Resources exceeded"},
    {9005, false, "Invalid parameter name"},
    {9006, false, "Invalid parameter type"},
    {9007, false, "Invalid parameter value"},
    {9008, false, "Attempt to set a non-writable parameter"},
    {9009, true, "Notification request rejected"},
    {9010, true, "File transfer failure"},
    {9011, true, "Upload failure"},
    {9012, true, "File transfer server authentication failure"},
    {9013, true, "Unsupported protocol for file transfer"},
    {9014, true, "File transfer failure: unable to join multicast group"},
    {9015, true, "File transfer failure: unable to contact file server"},
    {9016, true, "File transfer failure: unable to access file"},
    {9017, true, "File transfer failure: unable to complete download"},
    {9018, true,
     "File transfer failure: file corrupted or otherwise unusable"},
    {9019, true, "File transfer failure: file authentication failure"},
    {9020, true, "File transfer failure: unable to complete download within "
                 "specified time windows"},
    {9021, false, "Cancelation of file transfer not permitted in current "
                  "transfer state"},
    {9022, true, "Invalid UUID format"},
    {9023, true, "Unknown Execution Environment"},
    {9024, true, "Disabled Execution Environment"},
    {9025, true, "Deployment Unit to Execution Environment mismatch"},
    {9026, true, "Duplicate Deployment Unit"},
    {9027, true, "System resources exceeded"},
    {9028, true, "Unknown Deployment Unit"},
    {9029, true, "Invalid Deployment Unit state"},
    {9030, true, "Invalid Deployment Unit update: downgrade not permitted"},
    {9031, true, "Invalid Deployment Unit update: version not specified"},
    {9032, true, "Invalid Deployment Unit update: version already exists"},
};

static void test_fault_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
        assert_string_equal(map_cwmp_fault_name(fault_names[i].code),
                            fault_names[i].name);
        assert_int_equal(map_cwmp_fault_is_server(fault_names[i].code),
                         fault_names[i].server);
    }
    assert_string_equal(map_cwmp_fault_name(9800), "Vendor-defined fault");
    assert_string_equal(map_cwmp_fault_name(9899), "Vendor-defined fault");
    assert_string_equal(map_cwmp_fault_name(8800), "Vendor-defined fault");
    assert_string_equal(map_cwmp_fault_name(9900), "Unknown fault");
    assert_string_equal(map_cwmp_fault_name(9033), "Unknown fault");
    assert_string_equal(map_cwmp_fault_name(0), "Unknown fault");
    assert_true(map_cwmp_fault_is_server(9850));
}

/* One row per USP error name. */
static const struct {
    uint32_t code;
    const char *name;
} usp_names[] = {
    {7000, "Message failed"},
    {7001, "Message not supported"},
    {7002, "Request denied (no reason specified)"},
    {7003, "Internal error"},
    {7004, "Invalid arguments"},
    {7005, "Resources exceeded"},
    {7006, "Permission denied"},
    {7007, "Invalid configuration"},
    {7008, "Invalid path syntax"},
    {7009, "Parameter action failed"},
    {7010, "Unsupported parameter"},
    {7011, "Invalid type"},
    {7012, "Invalid value"},
    {7013, "Attempt to update non-writeable parameter"},
    {7014, "Value conflict"},
    {7015, "Operation error"},
    {7016, "Object does not exist"},
    {7017, "Object could not be created"},
    {7018, "Object is not a table"},
    {7019, "Attempt to create non-creatable object"},
    {7020, "Object could not be updated"},
    {7021, "Required parameter failed"},
    {7022, "Command failure"},
    {7023, "Command canceled"},
    {7024, "Delete failure"},
    {7025, "Object exists with duplicate key"},
    {7026, "Invalid path"},
    {7027, "Invalid command arguments"},
    {7100, "Record could not be parsed"},
    {7101, "Secure session required"},
    {7102, "Secure session not supported"},
    {7103, "Segmentation and reassembly not supported"},
    {7104, "Invalid Record value"},
};

static void test_usp_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(usp_names) / sizeof(usp_names[0]); i++)
        assert_string_equal(map_usp_err_name(usp_names[i].code),
                            usp_names[i].name);
    assert_string_equal(map_usp_err_name(7150), "USP Record error");
    assert_string_equal(map_usp_err_name(7800), "Vendor defined error");
    assert_string_equal(map_usp_err_name(7999), "Vendor defined error");
    assert_string_equal(map_usp_err_name(7500), "Unknown error");
    assert_string_equal(map_usp_err_name(0), "Unknown error");
}

/* One row per reverse entry (plus the fallbacks). */
static const struct {
    uint32_t usp;
    unsigned fault;
} reverse[] = {
    {7000, 9002}, {7001, 9000}, {7002, 9001}, {7003, 9002}, {7004, 9003},
    {7005, 9004}, {7006, 9001}, {7008, 9005}, {7010, 9005}, {7011, 9006},
    {7012, 9007}, {7013, 9008}, {7016, 9005}, {7026, 9005}, {7027, 9003},
    {0, 0},       {7022, 9002}, {7999, 9002},
};

static void test_reverse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(reverse) / sizeof(reverse[0]); i++)
        assert_int_equal(map_usp_to_cwmp_fault(reverse[i].usp),
                         reverse[i].fault);
    /* every mapped USP error names a known CPE fault */
    for (size_t i = 0; i < sizeof(reverse) / sizeof(reverse[0]); i++)
        if (reverse[i].fault)
            assert_string_not_equal(map_cwmp_fault_name(reverse[i].fault),
                                    "Unknown fault");
}

/* One row per ub_err. */
static const struct {
    int err;
    uint32_t usp;
    unsigned acs;
} internal[] = {
    {UB_OK, 0, 0},
    {UB_ENOMEM, 7005, 8004},    {UB_EINVAL, 7004, 8003},
    {UB_EPROTO, 7004, 8003},    {UB_ETOOBIG, 7005, 8004},
    {UB_EAGAIN, 7003, 8005},    {UB_ETIMEDOUT, 7003, 8005},
    {UB_EDB, 7003, 8002},       {UB_ENOTFOUND, 7026, 8003},
    {UB_EEXIST, 7025, 8003},    {UB_EIO, 7003, 8002},
    {UB_EFULL, 7005, 8004},     {UB_ECLOSED, 7003, 8002},
    {UB_EAUTH, 7006, 8001},     {UB_ESTATE, 7002, 8001},
    {UB_ECONFIG, 7007, 8002},   {UB_EVERSION, 7001, 8000},
    {UB_ECORRUPT, 7003, 8002},  {UB_ENOTSUP, 7001, 8000},
};

static void test_internal(void **state)
{
    (void)state;
    assert_int_equal(sizeof(internal) / sizeof(internal[0]), UB_ERR_MAX_);
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
        assert_int_equal(map_ub_err_to_usp(internal[i].err), internal[i].usp);
        assert_int_equal(map_ub_err_to_acs_fault(internal[i].err),
                         internal[i].acs);
    }
    assert_int_equal(map_ub_err_to_usp(-1), 7003);
    assert_int_equal(map_ub_err_to_usp(UB_ERR_MAX_), 7003);
    assert_int_equal(map_ub_err_to_acs_fault(999), 8002);
}

static void test_ctx_names(void **state)
{
    static const char *const names[] = {"any", "get", "set", "param",
                                        "add", "delete", "operate",
                                        "subscribe"};
    (void)state;
    for (int c = 0; c < MAP_CTX_MAX_; c++)
        assert_string_equal(map_ctx_name((enum map_ctx)c), names[c]);
    assert_string_equal(map_ctx_name(MAP_CTX_MAX_), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_translate),
        cmocka_unit_test(test_rows_match_code_table),
        cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_delete_success),
        cmocka_unit_test(test_fault_names),
        cmocka_unit_test(test_usp_names),
        cmocka_unit_test(test_reverse),
        cmocka_unit_test(test_internal),
        cmocka_unit_test(test_ctx_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
