/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Unit tests of the Operate helpers (mapping/src/operate.c). */
#include <ub/mapping.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void add(struct ub_param_list *l, const char *p, const char *v,
                enum ub_type t)
{
    assert_int_equal(ub_param_list_add(l, p, v, t), UB_OK);
}

/* "path=value:type;..." */
static void expect_list(const struct ub_param_list *l, const char *want)
{
    char got[2048];
    size_t o = 0;
    got[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s=%s:%s",
                              i ? ";" : "", l->v[i].path,
                              l->v[i].value ? l->v[i].value : "(null)",
                              ub_type_name(l->v[i].type));
        assert_true(o < sizeof(got));
    }
    if (strcmp(got, want) != 0)
        fail_msg("\n want %s\n got  %s", want, got);
}

static void test_ipping_request(void **state)
{
    const struct map_command *c =
        map_command_find("Device.IP.Diagnostics.IPPing()");
    struct ub_param_list in, out;
    const char *bad = "x";
    (void)state;
    ub_param_list_init(&in, 0);
    ub_param_list_init(&out, 0);
    add(&in, "Timeout", "1000", UB_T_STRING);
    add(&in, "Host", "192.0.2.1", UB_T_STRING);
    add(&in, "NumberOfRepetitions", "3", UB_T_STRING);
    add(&out, "Keep.Me", "1", UB_T_STRING); /* appended to, not replaced */
    assert_int_equal(map_diag_request(c, NULL, &in, &out, &bad), UB_OK);
    assert_null(bad);
    expect_list(&out,
                "Keep.Me=1:string;"
                "Device.IP.Diagnostics.IPPing.Host=192.0.2.1:string;"
                "Device.IP.Diagnostics.IPPing.NumberOfRepetitions=3:"
                "unsignedInt;"
                "Device.IP.Diagnostics.IPPing.Timeout=1000:unsignedInt;"
                "Device.IP.Diagnostics.IPPing.DiagnosticsState=Requested:"
                "string");
    ub_param_list_free(&out);

    /* TR-098 home of the same test */
    ub_param_list_init(&out, 0);
    assert_int_equal(map_diag_request(c, c->diag_object_tr098, &in, &out,
                                      NULL),
                     UB_OK);
    assert_int_equal(out.n, 4);
    assert_string_equal(out.v[0].path,
                        "InternetGatewayDevice.IPPingDiagnostics.Host");
    assert_string_equal(out.v[3].path, "InternetGatewayDevice."
                                       "IPPingDiagnostics.DiagnosticsState");
    ub_param_list_free(&out);
    ub_param_list_free(&in);
}

static void test_request_refusals(void **state)
{
    const struct map_command *c =
        map_command_find("Device.IP.Diagnostics.TraceRoute()");
    struct ub_param_list in, out;
    const char *bad = NULL;
    (void)state;
    ub_param_list_init(&in, 0);
    ub_param_list_init(&out, 0);
    add(&out, "Keep.Me", "1", UB_T_STRING);

    /* missing mandatory Host */
    add(&in, "MaxHopCount", "10", UB_T_STRING);
    assert_int_equal(map_diag_request(c, NULL, &in, &out, &bad), UB_EINVAL);
    assert_string_equal(bad, "Host");
    assert_int_equal(out.n, 1);

    /* unknown argument */
    add(&in, "Host", "example.com", UB_T_STRING);
    add(&in, "Bogus", "1", UB_T_STRING);
    assert_int_equal(map_diag_request(c, NULL, &in, &out, &bad), UB_EINVAL);
    assert_string_equal(bad, "Bogus");
    assert_int_equal(out.n, 1);

    /* not a diagnostics command; bad object */
    assert_int_equal(map_diag_request(map_command_find("Device.Reboot()"),
                                      NULL, &in, &out, &bad),
                     UB_EINVAL);
    assert_int_equal(map_diag_request(c, "Device.NoDot", &in, &out, &bad),
                     UB_EINVAL);
    assert_int_equal(map_diag_request(NULL, NULL, &in, &out, &bad),
                     UB_EINVAL);
    assert_int_equal(out.n, 1);

    /* allocation failures leave out as it was */
    ub_param_list_free(&in);
    ub_param_list_init(&in, 0);
    add(&in, "Host", "example.com", UB_T_STRING);
    add(&in, "MaxHopCount", "10", UB_T_STRING);
    for (long k = 0; k < 30; k++) {
        int err;
        ub_mem_fail_after(k);
        err = map_diag_request(c, NULL, &in, &out, &bad);
        ub_mem_fail_after(-1);
        if (err == UB_OK) {
            assert_int_equal(out.n, 4);
            break;
        }
        assert_int_equal(err, UB_ENOMEM);
        assert_int_equal(out.n, 1);
    }
    ub_param_list_free(&in);
    ub_param_list_free(&out);
}

static void test_traceroute_outputs(void **state)
{
    const struct map_command *c =
        map_command_find("Device.IP.Diagnostics.TraceRoute()");
    struct ub_param_list gpv, out;
    (void)state;
    ub_param_list_init(&gpv, 0);
    ub_param_list_init(&out, 0);
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.", NULL, UB_T_OBJECT);
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.DiagnosticsState", "Complete",
        UB_T_STRING);
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.Host", "example.com",
        UB_T_STRING); /* an input, not an output */
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.ResponseTime", "12",
        UB_T_UINT);
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.RouteHopsNumberOfEntries",
        "2", UB_T_UINT);
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.RouteHops.1.Host", "gw",
        UB_T_STRING);
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.RouteHops.1.HostAddress",
        "192.0.2.254", UB_T_STRING);
    add(&gpv, "Device.IP.Diagnostics.TraceRoute.RouteHops.2.RTTimes", "5,6",
        UB_T_STRING);
    add(&gpv, "Device.IP.Diagnostics.TraceRouteX.ResponseTime", "1",
        UB_T_UINT);
    add(&gpv, "Device.IP.Diagnostics.IPPing.SuccessCount", "1", UB_T_UINT);
    assert_int_equal(map_diag_outputs(c, NULL, &gpv, &out), UB_OK);
    expect_list(&out, "Status=Complete:string;"
                      "ResponseTime=12:unsignedInt;"
                      "RouteHops.1.Host=gw:string;"
                      "RouteHops.1.HostAddress=192.0.2.254:string;"
                      "RouteHops.2.RTTimes=5,6:string");
    ub_param_list_free(&gpv);
    ub_param_list_free(&out);
}

static void test_tr098_outputs(void **state)
{
    const struct map_command *c =
        map_command_find("Device.IP.Diagnostics.TraceRoute()");
    struct ub_param_list gpv, out;
    (void)state;
    ub_param_list_init(&gpv, 0);
    ub_param_list_init(&out, 0);
    add(&gpv, "InternetGatewayDevice.TraceRouteDiagnostics.DiagnosticsState",
        "Complete", UB_T_STRING);
    add(&gpv, "InternetGatewayDevice.TraceRouteDiagnostics.RouteHops.1."
              "HopHost",
        "gw", UB_T_STRING);
    add(&gpv, "InternetGatewayDevice.TraceRouteDiagnostics.RouteHops.1."
              "HopRTTimes",
        "3", UB_T_STRING);
    add(&gpv, "InternetGatewayDevice.TraceRouteDiagnostics.ResponseTime", "9",
        UB_T_UINT);
    add(&gpv, "InternetGatewayDevice.TraceRouteDiagnostics.Host", "x",
        UB_T_STRING);
    assert_int_equal(map_diag_outputs(c, c->diag_object_tr098, &gpv, &out),
                     UB_OK);
    expect_list(&out, "Status=Complete:string;RouteHops.1.Host=gw:string;"
                      "RouteHops.1.RTTimes=3:string;"
                      "ResponseTime=9:unsignedInt");
    ub_param_list_free(&gpv);
    ub_param_list_free(&out);
}

static void test_udpecho_bool_outputs(void **state)
{
    const struct map_command *c =
        map_command_find("Device.IP.Diagnostics.UDPEchoDiagnostics()");
    struct ub_param_list gpv, out;
    (void)state;
    ub_param_list_init(&gpv, 0);
    ub_param_list_init(&out, 0);
    add(&gpv,
        "Device.IP.Diagnostics.UDPEchoDiagnostics.IndividualPacketResult.3."
        "PacketSuccess",
        "1", UB_T_BOOL);
    add(&gpv, "Device.IP.Diagnostics.UDPEchoDiagnostics.DiagnosticsState",
        "Error_CannotResolveHostName", UB_T_STRING);
    assert_int_equal(map_diag_outputs(c, NULL, &gpv, &out), UB_OK);
    expect_list(&out, "IndividualPacketResult.3.PacketSuccess=true:boolean;"
                      "Status=Error_CannotResolveHostName:string");
    assert_int_equal(map_diag_outputs(map_command_find("Device.Reboot()"),
                                      NULL, &gpv, &out),
                     UB_EINVAL);
    ub_param_list_free(&gpv);
    ub_param_list_free(&out);
}

static void test_errmsg(void **state)
{
    char buf[256], small[12];
    char longfs[400];
    (void)state;
    assert_string_equal(map_fault_errmsg(9007, "Bad value\n", buf,
                                         sizeof(buf)),
                        "CWMP 9007 Invalid parameter value: Bad value\\x0a");
    assert_string_equal(map_fault_errmsg(9850, NULL, buf, sizeof(buf)),
                        "CWMP 9850 Vendor-defined fault");
    assert_string_equal(map_fault_errmsg(9002, "", buf, sizeof(buf)),
                        "CWMP 9002 Internal error");
    assert_string_equal(map_fault_errmsg(9002, "x", small, sizeof(small)),
                        "CWMP 9002 I");
    memset(longfs, 'a', sizeof(longfs) - 1);
    longfs[sizeof(longfs) - 1] = '\0';
    map_fault_errmsg(9010, longfs, buf, sizeof(buf));
    assert_true(strlen(buf) < 40 + 128);
}

static void test_boot_args(void **state)
{
    struct map_inform_event ev[] = {{"1 BOOT", ""}, {"M Reboot", "rk"}};
    struct map_boot_info info = {.sw_version_changed = true};
    struct map_event_plan pl;
    struct ub_param_list out;
    (void)state;
    assert_int_equal(map_events_plan(ev, 2, &info, &pl), UB_OK);
    assert_int_equal(pl.n, 1);
    ub_param_list_init(&out, 0);
    assert_int_equal(map_boot_args(&pl.v[0], NULL, &out), UB_OK);
    expect_list(&out, "CommandKey=rk:string;Cause=RemoteReboot:string;"
                      "FirmwareUpdated=true:boolean;ParameterMap={}:string");
    ub_param_list_free(&out);
    ub_param_list_init(&out, 0);
    pl.v[0].cause = MAP_BOOT_LOCAL_FACTORY_RESET;
    pl.v[0].firmware_updated = false;
    pl.v[0].command_key = "";
    assert_int_equal(map_boot_args(&pl.v[0], "{\"Device.X\":\"1\"}", &out),
                     UB_OK);
    expect_list(&out, "CommandKey=:string;Cause=LocalFactoryReset:string;"
                      "FirmwareUpdated=false:boolean;"
                      "ParameterMap={\"Device.X\":\"1\"}:string");
    /* not a Boot! entry */
    pl.v[0].event_name = "TransferComplete!";
    assert_int_equal(map_boot_args(&pl.v[0], NULL, &out), UB_EINVAL);
    assert_int_equal(out.n, 4);
    ub_param_list_free(&out);
}

static void test_transfer_complete_args(void **state)
{
    struct map_transfer_info ok = {
        .command = "Device.DeviceInfo.FirmwareImage.2.Download()",
        .command_key = "fw-upgrade",
        .requestor = "proto::controller-1",
        .is_download = true,
        .affected = "Device.DeviceInfo.FirmwareImage.2.",
        .url = "https://files.example/fw.bin",
        .start_time = "2026-11-25T09:00:00Z",
        .complete_time = "2026-11-25T09:01:00Z",
    };
    struct map_transfer_info bad = {
        .is_download = false,
        .fault = 9012,
        .fault_string = "401 from server",
    };
    struct ub_param_list out;
    (void)state;
    ub_param_list_init(&out, 0);
    assert_int_equal(map_transfer_complete_args(&ok, &out), UB_OK);
    expect_list(&out,
                "Command=Device.DeviceInfo.FirmwareImage.2.Download():string;"
                "CommandKey=fw-upgrade:string;"
                "Requestor=proto::controller-1:string;"
                "TransferType=Download:string;"
                "Affected=Device.DeviceInfo.FirmwareImage.2.:string;"
                "TransferURL=https://files.example/fw.bin:string;"
                "StartTime=2026-11-25T09:00:00Z:dateTime;"
                "CompleteTime=2026-11-25T09:01:00Z:dateTime;"
                "FaultCode=0:unsignedInt;FaultString=:string");
    ub_param_list_free(&out);
    ub_param_list_init(&out, 0);
    assert_int_equal(map_transfer_complete_args(&bad, &out), UB_OK);
    expect_list(&out,
                "Command=:string;CommandKey=:string;Requestor=:string;"
                "TransferType=Upload:string;Affected=:string;"
                "TransferURL=:string;"
                "StartTime=0001-01-01T00:00:00Z:dateTime;"
                "CompleteTime=0001-01-01T00:00:00Z:dateTime;"
                "FaultCode=7022:unsignedInt;"
                "FaultString=CWMP 9012 File transfer server authentication "
                "failure: 401 from server:string");
    ub_param_list_free(&out);
    assert_int_equal(map_transfer_complete_args(NULL, &out), UB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipping_request),
        cmocka_unit_test(test_request_refusals),
        cmocka_unit_test(test_traceroute_outputs),
        cmocka_unit_test(test_tr098_outputs),
        cmocka_unit_test(test_udpecho_bool_outputs),
        cmocka_unit_test(test_errmsg),
        cmocka_unit_test(test_boot_args),
        cmocka_unit_test(test_transfer_complete_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
