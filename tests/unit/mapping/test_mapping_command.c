/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Unit tests of the command/event table (mapping/src/command.c): one row
 * per command and per event, written independently of the code table. */
#include <ub/mapping.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

struct cmd_row {
    const char *path;     /* schema path */
    const char *concrete; /* a concrete path that must find it */
    bool async;
    enum map_cwmp_op op;
    const char *file_type;
    const char *diag_object;
    enum map_du_op du_op;
    const char *inputs;  /* all input names, comma separated */
    const char *outputs; /* all output names, comma separated */
};

static const struct cmd_row rows[] = {
    {"Device.Reboot()", "Device.Reboot()", false, MAP_OP_REBOOT, NULL, NULL,
     MAP_DU_NONE, "", ""},
    {"Device.FactoryReset()", "Device.FactoryReset", false,
     MAP_OP_FACTORY_RESET, NULL, NULL, MAP_DU_NONE, "", ""},
    {"Device.SelfTestDiagnostics()", "Device.SelfTestDiagnostics()", true,
     MAP_OP_DIAGNOSTICS, NULL, "Device.SelfTestDiagnostics.", MAP_DU_NONE,
     "", "Status,Results"},
    {"Device.DeviceInfo.FirmwareImage.{i}.Download()",
     "Device.DeviceInfo.FirmwareImage.2.Download()", true, MAP_OP_DOWNLOAD,
     "1 Firmware Upgrade Image", NULL, MAP_DU_NONE,
     "URL,AutoActivate,Username,Password,FileSize,CheckSumAlgorithm,"
     "CheckSum",
     ""},
    {"Device.DeviceInfo.VendorConfigFile.{i}.Backup()",
     "Device.DeviceInfo.VendorConfigFile.1.Backup()", true, MAP_OP_UPLOAD,
     "1 Vendor Configuration File", NULL, MAP_DU_NONE,
     "URL,Username,Password", ""},
    {"Device.DeviceInfo.VendorConfigFile.{i}.Restore()",
     "Device.DeviceInfo.VendorConfigFile.10.Restore()", true,
     MAP_OP_DOWNLOAD, "3 Vendor Configuration File", NULL, MAP_DU_NONE,
     "URL,Username,Password,FileSize,TargetFileName,CheckSumAlgorithm,"
     "CheckSum",
     ""},
    {"Device.DeviceInfo.VendorLogFile.{i}.Upload()",
     "Device.DeviceInfo.VendorLogFile.4294967295.Upload()", true,
     MAP_OP_UPLOAD, "2 Vendor Log File", NULL, MAP_DU_NONE,
     "URL,Username,Password", ""},
    {"Device.IP.Diagnostics.IPPing()", "Device.IP.Diagnostics.IPPing()", true,
     MAP_OP_DIAGNOSTICS, NULL, "Device.IP.Diagnostics.IPPing.", MAP_DU_NONE,
     "Interface,ProtocolVersion,Host,NumberOfRepetitions,Timeout,"
     "DataBlockSize,DSCP",
     "Status,IPAddressUsed,SuccessCount,FailureCount,AverageResponseTime,"
     "MinimumResponseTime,MaximumResponseTime,AverageResponseTimeDetailed,"
     "MinimumResponseTimeDetailed,MaximumResponseTimeDetailed"},
    {"Device.IP.Diagnostics.TraceRoute()", "Device.IP.Diagnostics.TraceRoute",
     true, MAP_OP_DIAGNOSTICS, NULL, "Device.IP.Diagnostics.TraceRoute.",
     MAP_DU_NONE,
     "Interface,ProtocolVersion,Host,NumberOfTries,Timeout,DataBlockSize,"
     "DSCP,MaxHopCount",
     "Status,IPAddressUsed,ResponseTime,RouteHops.{i}.Host,"
     "RouteHops.{i}.HostAddress,RouteHops.{i}.ErrorCode,"
     "RouteHops.{i}.RTTimes"},
    {"Device.IP.Diagnostics.DownloadDiagnostics()",
     "Device.IP.Diagnostics.DownloadDiagnostics()", true, MAP_OP_DIAGNOSTICS,
     NULL, "Device.IP.Diagnostics.DownloadDiagnostics.", MAP_DU_NONE,
     "Interface,DownloadURL,DSCP,EthernetPriority,TimeBasedTestDuration,"
     "TimeBasedTestMeasurementInterval,TimeBasedTestMeasurementOffset,"
     "ProtocolVersion,NumberOfConnections,EnablePerConnectionResults",
     NULL},
    {"Device.IP.Diagnostics.UploadDiagnostics()",
     "Device.IP.Diagnostics.UploadDiagnostics()", true, MAP_OP_DIAGNOSTICS,
     NULL, "Device.IP.Diagnostics.UploadDiagnostics.", MAP_DU_NONE,
     "Interface,UploadURL,DSCP,EthernetPriority,TestFileLength,"
     "TimeBasedTestDuration,TimeBasedTestMeasurementInterval,"
     "TimeBasedTestMeasurementOffset,ProtocolVersion,NumberOfConnections,"
     "EnablePerConnectionResults",
     NULL},
    {"Device.IP.Diagnostics.UDPEchoDiagnostics()",
     "Device.IP.Diagnostics.UDPEchoDiagnostics()", true, MAP_OP_DIAGNOSTICS,
     NULL, "Device.IP.Diagnostics.UDPEchoDiagnostics.", MAP_DU_NONE,
     "Interface,Host,Port,NumberOfRepetitions,Timeout,DataBlockSize,DSCP,"
     "InterTransmissionTime,ProtocolVersion,EnableIndividualPacketResults",
     NULL},
    {"Device.IP.Diagnostics.ServerSelectionDiagnostics()",
     "Device.IP.Diagnostics.ServerSelectionDiagnostics()", true,
     MAP_OP_DIAGNOSTICS, NULL,
     "Device.IP.Diagnostics.ServerSelectionDiagnostics.", MAP_DU_NONE,
     "Interface,ProtocolVersion,Protocol,HostList,NumberOfRepetitions,"
     "Timeout",
     "Status,FastestHost,MinimumResponseTime,AverageResponseTime,"
     "MaximumResponseTime,IPAddressUsed"},
    {"Device.DNS.Diagnostics.NSLookupDiagnostics()",
     "Device.DNS.Diagnostics.NSLookupDiagnostics()", true, MAP_OP_DIAGNOSTICS,
     NULL, "Device.DNS.Diagnostics.NSLookupDiagnostics.", MAP_DU_NONE,
     "Interface,HostName,DNSServer,Timeout,NumberOfRepetitions",
     "Status,SuccessCount,Result.{i}.Status,Result.{i}.AnswerType,"
     "Result.{i}.HostNameReturned,Result.{i}.IPAddresses,"
     "Result.{i}.DNSServerIP,Result.{i}.ResponseTime"},
    {"Device.SoftwareModules.InstallDU()",
     "Device.SoftwareModules.InstallDU()", true, MAP_OP_CHANGE_DU_STATE, NULL,
     NULL, MAP_DU_INSTALL, "URL,UUID,Username,Password,ExecutionEnvRef", ""},
    {"Device.SoftwareModules.DeploymentUnit.{i}.Update()",
     "Device.SoftwareModules.DeploymentUnit.7.Update()", true,
     MAP_OP_CHANGE_DU_STATE, NULL, NULL, MAP_DU_UPDATE,
     "URL,Username,Password", ""},
    {"Device.SoftwareModules.DeploymentUnit.{i}.Uninstall()",
     "Device.SoftwareModules.DeploymentUnit.7.Uninstall()", true,
     MAP_OP_CHANGE_DU_STATE, NULL, NULL, MAP_DU_UNINSTALL, "", ""},
    {"Device.LocalAgent.Controller.{i}.SendOnBoardRequest()",
     "Device.LocalAgent.Controller.1.SendOnBoardRequest()", false,
     MAP_OP_BRIDGE, NULL, NULL, MAP_DU_NONE, "", ""},
    {"Device.LocalAgent.Request.{i}.Cancel()",
     "Device.LocalAgent.Request.3.Cancel()", false, MAP_OP_BRIDGE, NULL, NULL,
     MAP_DU_NONE, "", ""},
};

static void join_names(const struct map_arg *a, size_t n, char *out,
                       size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? "," : "",
                              a[i].name);
        assert_true(o < outsz);
    }
}

static void test_rows(void **state)
{
    char buf[2048];
    (void)state;
    assert_int_equal(map_command_count(), sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct cmd_row *r = &rows[i];
        const struct map_command *c = map_command_find(r->path);

        if (!c)
            fail_msg("%s not found", r->path);
        assert_ptr_equal(map_command_at(i), c); /* same order */
        assert_ptr_equal(map_command_find(r->concrete), c);
        assert_string_equal(c->path, r->path);
        assert_int_equal(c->async, r->async);
        assert_int_equal(c->op, r->op);
        assert_int_equal(c->du_op, r->du_op);
        if (r->file_type)
            assert_string_equal(c->file_type, r->file_type);
        else
            assert_null(c->file_type);
        if (r->diag_object)
            assert_string_equal(c->diag_object, r->diag_object);
        else
            assert_null(c->diag_object);
        join_names(c->in, c->n_in, buf, sizeof(buf));
        if (strcmp(buf, r->inputs) != 0)
            fail_msg("%s inputs:\n want %s\n got  %s", r->path, r->inputs,
                     buf);
        join_names(c->out, c->n_out, buf, sizeof(buf));
        if (r->outputs && strcmp(buf, r->outputs) != 0)
            fail_msg("%s outputs:\n want %s\n got  %s", r->path, r->outputs,
                     buf);
        /* invariants of the table */
        if (c->op == MAP_OP_DIAGNOSTICS) {
            assert_true(c->async);
            assert_true(c->n_out > 0);
            assert_string_equal(c->out[0].name, "Status");
            assert_string_equal(c->out[0].cwmp, "DiagnosticsState");
            for (size_t k = 0; k < c->n_in; k++)
                assert_non_null(c->in[k].cwmp); /* every input is a param */
        }
        if (c->op == MAP_OP_DOWNLOAD || c->op == MAP_OP_UPLOAD) {
            assert_true(c->async);
            assert_true(c->virtual_home);
            assert_non_null(map_command_input(c, "URL"));
            assert_true(map_command_input(c, "URL")->mandatory);
        }
    }
    assert_null(map_command_at(map_command_count()));
}

static void test_lookup_misses(void **state)
{
    (void)state;
    assert_null(map_command_find(NULL));
    assert_null(map_command_find(""));
    assert_null(map_command_find("Device.Reboot(x)"));
    assert_null(map_command_find("Device.Rebootx()"));
    assert_null(map_command_find("Device.DeviceInfo.FirmwareImage.Download()"));
    assert_null(map_command_find("Device.DeviceInfo.FirmwareImage.0."
                                 "Download()")); /* 0 is no instance */
    assert_null(map_command_find("Device.IP.Diagnostics.IPPing.Host"));
    assert_null(map_command_find("InternetGatewayDevice.IPPingDiagnostics."));
    assert_null(map_command_input(map_command_find("Device.Reboot()"),
                                  "URL"));
    assert_null(map_command_input(NULL, "URL"));
}

static void test_tr098_objects(void **state)
{
    static const struct {
        const char *cmd, *tr098;
    } t[] = {
        {"Device.IP.Diagnostics.IPPing()",
         "InternetGatewayDevice.IPPingDiagnostics."},
        {"Device.IP.Diagnostics.TraceRoute()",
         "InternetGatewayDevice.TraceRouteDiagnostics."},
        {"Device.IP.Diagnostics.DownloadDiagnostics()",
         "InternetGatewayDevice.DownloadDiagnostics."},
        {"Device.IP.Diagnostics.UploadDiagnostics()",
         "InternetGatewayDevice.UploadDiagnostics."},
        {"Device.IP.Diagnostics.UDPEchoDiagnostics()", NULL},
        {"Device.DNS.Diagnostics.NSLookupDiagnostics()", NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const struct map_command *c = map_command_find(t[i].cmd);
        assert_non_null(c);
        if (t[i].tr098)
            assert_string_equal(c->diag_object_tr098, t[i].tr098);
        else
            assert_null(c->diag_object_tr098);
    }
}

static void test_unmapped_inputs(void **state)
{
    const struct map_command *c =
        map_command_find("Device.DeviceInfo.FirmwareImage.1.Download()");
    (void)state;
    assert_non_null(c);
    assert_null(map_command_input(c, "AutoActivate")->cwmp);
    assert_null(map_command_input(c, "CheckSum")->cwmp);
    assert_string_equal(map_command_input(c, "FileSize")->cwmp, "FileSize");
    assert_false(map_command_input(c, "FileSize")->mandatory);
}

static const struct {
    const char *path, *concrete, *args;
} ev_rows[] = {
    {"Device.Boot!", "Device.Boot!",
     "CommandKey,Cause,FirmwareUpdated,ParameterMap"},
    {"Device.LocalAgent.TransferComplete!",
     "Device.LocalAgent.TransferComplete!",
     "Command,CommandKey,Requestor,TransferType,Affected,TransferURL,"
     "StartTime,CompleteTime,FaultCode,FaultString"},
    {"Device.LocalAgent.Periodic!", "Device.LocalAgent.Periodic!", ""},
    {"Device.LocalAgent.WakeUp!", "Device.LocalAgent.WakeUp!", ""},
    {"Device.SoftwareModules.DUStateChange!",
     "Device.SoftwareModules.DUStateChange!",
     "UUID,DeploymentUnitRef,Version,CurrentState,Resolved,"
     "ExecutionUnitRefList,StartTime,CompleteTime,OperationPerformed,"
     "FaultCode,FaultString"},
};

static void test_events(void **state)
{
    (void)state;
    assert_int_equal(map_event_def_count(),
                     sizeof(ev_rows) / sizeof(ev_rows[0]));
    for (size_t i = 0; i < sizeof(ev_rows) / sizeof(ev_rows[0]); i++) {
        const struct map_event_def *e = map_event_def_find(ev_rows[i].concrete);
        char buf[512];
        size_t o = 0;
        assert_non_null(e);
        assert_ptr_equal(map_event_def_at(i), e);
        assert_string_equal(e->path, ev_rows[i].path);
        buf[0] = '\0';
        for (size_t k = 0; k < e->n_args; k++)
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
                                  k ? "," : "", e->args[k]);
        assert_string_equal(buf, ev_rows[i].args);
    }
    assert_null(map_event_def_at(map_event_def_count()));
    assert_null(map_event_def_find("Device.Boot"));
    assert_null(map_event_def_find(NULL));
}

static void test_op_names(void **state)
{
    (void)state;
    assert_string_equal(map_cwmp_op_name(MAP_OP_REBOOT), "Reboot");
    assert_string_equal(map_cwmp_op_name(MAP_OP_CHANGE_DU_STATE),
                        "ChangeDUState");
    assert_string_equal(map_cwmp_op_name((enum map_cwmp_op)99), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_lookup_misses),
        cmocka_unit_test(test_tr098_objects),
        cmocka_unit_test(test_unmapped_inputs),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_op_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
