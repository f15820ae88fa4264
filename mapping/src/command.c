/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * The commands and events a bridged agent offers (GetSupportedDM, Operate).
 *
 * DESIGN
 * A fixed table, one entry per USP command, with its argument names as
 * TR-181 (Device:2.12+, USP flavour) defines them, sync/async, and how the
 * bridge carries it out on a CWMP device (enum map_cwmp_op).  Names were
 * checked against the BBF tr-181-2-usp-full.xml (Device., DeviceInfo.
 * VendorConfigFile) and, for the diagnostics and FirmwareImage/
 * VendorLogFile/SoftwareModules argument lists, against an obuspa vendor
 * layer that registers the same TR-181 2.12/2.13 commands.
 *
 * For DIAGNOSTICS the CWMP side is the TR-181 CWMP object of the same name
 * without "()" ("Device.IP.Diagnostics.IPPing."): the input arguments are
 * parameters of that object with the same names, set in one SPV together
 * with DiagnosticsState=Requested; outputs are read back by GPV after
 * "8 DIAGNOSTICS COMPLETE" (USP Status <- CWMP DiagnosticsState).  TR-098
 * devices have the same parameters under InternetGatewayDevice.*Diagnostics
 * for the four tests TR-098/TR-143 define (diag_object_tr098).
 *
 * Lookup converts instance numbers to "{i}" and compares with the schema
 * paths; the table is small (tens of rows), so a linear scan is fine.
 */
#include "mapping_int.h"

#include <string.h>

#define ARGS(a) a, UB_ARRAY_LEN(a)
#define NOARGS NULL, 0

/* --- Download/Upload style (RPC argument names in .cwmp) --- */
static const struct map_arg fw_download_in[] = {
    {"URL", "URL", true, UB_T_STRING},
    {"AutoActivate", NULL, true, UB_T_BOOL}, /* CWMP activates on its own terms */
    {"Username", "Username", true, UB_T_STRING},
    {"Password", "Password", true, UB_T_STRING},
    {"FileSize", "FileSize", false, UB_T_UINT},
    {"CheckSumAlgorithm", NULL, false, UB_T_STRING},
    {"CheckSum", NULL, false, UB_T_HEXBINARY},
};
static const struct map_arg cfg_backup_in[] = {
    {"URL", "URL", true, UB_T_STRING},
    {"Username", "Username", true, UB_T_STRING},
    {"Password", "Password", true, UB_T_STRING},
};
static const struct map_arg cfg_restore_in[] = {
    {"URL", "URL", true, UB_T_STRING},
    {"Username", "Username", true, UB_T_STRING},
    {"Password", "Password", true, UB_T_STRING},
    {"FileSize", "FileSize", false, UB_T_UINT},
    {"TargetFileName", "TargetFileName", false, UB_T_STRING},
    {"CheckSumAlgorithm", NULL, false, UB_T_STRING},
    {"CheckSum", NULL, false, UB_T_HEXBINARY},
};
static const struct map_arg log_upload_in[] = {
    {"URL", "URL", true, UB_T_STRING},
    {"Username", "Username", true, UB_T_STRING},
    {"Password", "Password", true, UB_T_STRING},
};

/* --- ChangeDUState (OperationStruct field names in .cwmp) --- */
static const struct map_arg du_install_in[] = {
    {"URL", "URL", true, UB_T_STRING},
    {"UUID", "UUID", false, UB_T_STRING},
    {"Username", "Username", false, UB_T_STRING},
    {"Password", "Password", false, UB_T_STRING},
    {"ExecutionEnvRef", "ExecutionEnvRef", false, UB_T_STRING},
};
static const struct map_arg du_update_in[] = {
    {"URL", "URL", false, UB_T_STRING},
    {"Username", "Username", false, UB_T_STRING},
    {"Password", "Password", false, UB_T_STRING},
};

/* --- Diagnostics (parameter names under the diag object in .cwmp) --- */
#define SAME(n) {n, n, false, UB_T_STRING} /* outputs: values as read */
static const struct map_arg ipping_in[] = {
    {"Interface", "Interface", false, UB_T_STRING},
    {"ProtocolVersion", "ProtocolVersion", false, UB_T_STRING},
    {"Host", "Host", true, UB_T_STRING},
    {"NumberOfRepetitions", "NumberOfRepetitions", false, UB_T_UINT},
    {"Timeout", "Timeout", false, UB_T_UINT},
    {"DataBlockSize", "DataBlockSize", false, UB_T_UINT},
    {"DSCP", "DSCP", false, UB_T_UINT},
};
static const struct map_arg ipping_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("IPAddressUsed"), SAME("SuccessCount"), SAME("FailureCount"),
    SAME("AverageResponseTime"), SAME("MinimumResponseTime"),
    SAME("MaximumResponseTime"), SAME("AverageResponseTimeDetailed"),
    SAME("MinimumResponseTimeDetailed"), SAME("MaximumResponseTimeDetailed"),
};
static const struct map_arg traceroute_in[] = {
    {"Interface", "Interface", false, UB_T_STRING},
    {"ProtocolVersion", "ProtocolVersion", false, UB_T_STRING},
    {"Host", "Host", true, UB_T_STRING},
    {"NumberOfTries", "NumberOfTries", false, UB_T_UINT},
    {"Timeout", "Timeout", false, UB_T_UINT},
    {"DataBlockSize", "DataBlockSize", false, UB_T_UINT},
    {"DSCP", "DSCP", false, UB_T_UINT},
    {"MaxHopCount", "MaxHopCount", false, UB_T_UINT},
};
static const struct map_arg traceroute_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("IPAddressUsed"), SAME("ResponseTime"),
    SAME("RouteHops.{i}.Host"), SAME("RouteHops.{i}.HostAddress"),
    SAME("RouteHops.{i}.ErrorCode"), SAME("RouteHops.{i}.RTTimes"),
};
static const struct map_arg download_diag_in[] = {
    {"Interface", "Interface", false, UB_T_STRING},
    {"DownloadURL", "DownloadURL", true, UB_T_STRING},
    {"DSCP", "DSCP", false, UB_T_UINT},
    {"EthernetPriority", "EthernetPriority", false, UB_T_UINT},
    {"TimeBasedTestDuration", "TimeBasedTestDuration", false, UB_T_UINT},
    {"TimeBasedTestMeasurementInterval", "TimeBasedTestMeasurementInterval", false, UB_T_UINT},
    {"TimeBasedTestMeasurementOffset", "TimeBasedTestMeasurementOffset", false, UB_T_UINT},
    {"ProtocolVersion", "ProtocolVersion", false, UB_T_STRING},
    {"NumberOfConnections", "NumberOfConnections", false, UB_T_UINT},
    {"EnablePerConnectionResults", "EnablePerConnectionResults", false, UB_T_BOOL},
};
static const struct map_arg download_diag_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("IPAddressUsed"), SAME("ROMTime"), SAME("BOMTime"), SAME("EOMTime"),
    SAME("TestBytesReceived"), SAME("TotalBytesReceived"),
    SAME("TotalBytesSent"), SAME("TestBytesReceivedUnderFullLoading"),
    SAME("TotalBytesReceivedUnderFullLoading"),
    SAME("TotalBytesSentUnderFullLoading"), SAME("PeriodOfFullLoading"),
    SAME("TCPOpenRequestTime"), SAME("TCPOpenResponseTime"),
    SAME("PerConnectionResult.{i}.ROMTime"),
    SAME("PerConnectionResult.{i}.BOMTime"),
    SAME("PerConnectionResult.{i}.EOMTime"),
    SAME("PerConnectionResult.{i}.TestBytesReceived"),
    SAME("PerConnectionResult.{i}.TotalBytesReceived"),
    SAME("PerConnectionResult.{i}.TotalBytesSent"),
    SAME("PerConnectionResult.{i}.TCPOpenRequestTime"),
    SAME("PerConnectionResult.{i}.TCPOpenResponseTime"),
    SAME("IncrementalResult.{i}.TestBytesReceived"),
    SAME("IncrementalResult.{i}.TotalBytesReceived"),
    SAME("IncrementalResult.{i}.TotalBytesSent"),
    SAME("IncrementalResult.{i}.StartTime"),
    SAME("IncrementalResult.{i}.EndTime"),
};
static const struct map_arg upload_diag_in[] = {
    {"Interface", "Interface", false, UB_T_STRING},
    {"UploadURL", "UploadURL", true, UB_T_STRING},
    {"DSCP", "DSCP", false, UB_T_UINT},
    {"EthernetPriority", "EthernetPriority", false, UB_T_UINT},
    {"TestFileLength", "TestFileLength", true, UB_T_UINT},
    {"TimeBasedTestDuration", "TimeBasedTestDuration", false, UB_T_UINT},
    {"TimeBasedTestMeasurementInterval", "TimeBasedTestMeasurementInterval", false, UB_T_UINT},
    {"TimeBasedTestMeasurementOffset", "TimeBasedTestMeasurementOffset", false, UB_T_UINT},
    {"ProtocolVersion", "ProtocolVersion", false, UB_T_STRING},
    {"NumberOfConnections", "NumberOfConnections", false, UB_T_UINT},
    {"EnablePerConnectionResults", "EnablePerConnectionResults", false, UB_T_BOOL},
};
static const struct map_arg upload_diag_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("IPAddressUsed"), SAME("ROMTime"), SAME("BOMTime"), SAME("EOMTime"),
    SAME("TestBytesSent"), SAME("TotalBytesReceived"), SAME("TotalBytesSent"),
    SAME("TestBytesSentUnderFullLoading"),
    SAME("TotalBytesReceivedUnderFullLoading"),
    SAME("TotalBytesSentUnderFullLoading"), SAME("PeriodOfFullLoading"),
    SAME("TCPOpenRequestTime"), SAME("TCPOpenResponseTime"),
    SAME("PerConnectionResult.{i}.ROMTime"),
    SAME("PerConnectionResult.{i}.BOMTime"),
    SAME("PerConnectionResult.{i}.EOMTime"),
    SAME("PerConnectionResult.{i}.TestBytesSent"),
    SAME("PerConnectionResult.{i}.TotalBytesReceived"),
    SAME("PerConnectionResult.{i}.TotalBytesSent"),
    SAME("PerConnectionResult.{i}.TCPOpenRequestTime"),
    SAME("PerConnectionResult.{i}.TCPOpenResponseTime"),
    SAME("IncrementalResult.{i}.TestBytesSent"),
    SAME("IncrementalResult.{i}.TotalBytesReceived"),
    SAME("IncrementalResult.{i}.TotalBytesSent"),
    SAME("IncrementalResult.{i}.StartTime"),
    SAME("IncrementalResult.{i}.EndTime"),
};
static const struct map_arg udpecho_in[] = {
    {"Interface", "Interface", false, UB_T_STRING},
    {"Host", "Host", true, UB_T_STRING},
    {"Port", "Port", true, UB_T_UINT},
    {"NumberOfRepetitions", "NumberOfRepetitions", false, UB_T_UINT},
    {"Timeout", "Timeout", false, UB_T_UINT},
    {"DataBlockSize", "DataBlockSize", false, UB_T_UINT},
    {"DSCP", "DSCP", false, UB_T_UINT},
    {"InterTransmissionTime", "InterTransmissionTime", false, UB_T_UINT},
    {"ProtocolVersion", "ProtocolVersion", false, UB_T_STRING},
    {"EnableIndividualPacketResults", "EnableIndividualPacketResults", false, UB_T_BOOL},
};
static const struct map_arg udpecho_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("IPAddressUsed"), SAME("SuccessCount"), SAME("FailureCount"),
    SAME("AverageResponseTime"), SAME("MinimumResponseTime"),
    SAME("MaximumResponseTime"),
    SAME("IndividualPacketResult.{i}.PacketSuccess"),
    SAME("IndividualPacketResult.{i}.PacketSendTime"),
    SAME("IndividualPacketResult.{i}.PacketReceiveTime"),
    SAME("IndividualPacketResult.{i}.TestGenSN"),
    SAME("IndividualPacketResult.{i}.TestRespSN"),
    SAME("IndividualPacketResult.{i}.TestRespRcvTimeStamp"),
    SAME("IndividualPacketResult.{i}.TestRespReplyTimeStamp"),
    SAME("IndividualPacketResult.{i}.TestRespReplyFailureCount"),
};
static const struct map_arg serversel_in[] = {
    {"Interface", "Interface", false, UB_T_STRING},
    {"ProtocolVersion", "ProtocolVersion", false, UB_T_STRING},
    {"Protocol", "Protocol", false, UB_T_STRING},
    {"HostList", "HostList", true, UB_T_STRING},
    {"NumberOfRepetitions", "NumberOfRepetitions", false, UB_T_UINT},
    {"Timeout", "Timeout", false, UB_T_UINT},
};
static const struct map_arg serversel_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("FastestHost"), SAME("MinimumResponseTime"),
    SAME("AverageResponseTime"), SAME("MaximumResponseTime"),
    SAME("IPAddressUsed"),
};
static const struct map_arg nslookup_in[] = {
    {"Interface", "Interface", false, UB_T_STRING},
    {"HostName", "HostName", true, UB_T_STRING},
    {"DNSServer", "DNSServer", false, UB_T_STRING},
    {"Timeout", "Timeout", false, UB_T_UINT},
    {"NumberOfRepetitions", "NumberOfRepetitions", false, UB_T_UINT},
};
static const struct map_arg nslookup_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("SuccessCount"), SAME("Result.{i}.Status"),
    SAME("Result.{i}.AnswerType"), SAME("Result.{i}.HostNameReturned"),
    SAME("Result.{i}.IPAddresses"), SAME("Result.{i}.DNSServerIP"),
    SAME("Result.{i}.ResponseTime"),
};
static const struct map_arg selftest_out[] = {
    {"Status", "DiagnosticsState", false, UB_T_STRING},
    SAME("Results"),
};
#undef SAME


static const struct map_command commands[] = {
    /* Device. */
    {.path = "Device.Reboot()", .op = MAP_OP_REBOOT},
    {.path = "Device.FactoryReset()", .op = MAP_OP_FACTORY_RESET},
    {.path = "Device.SelfTestDiagnostics()", .async = true,
     .op = MAP_OP_DIAGNOSTICS, .diag_object = "Device.SelfTestDiagnostics.",
     .diag_object_tr098 = NULL, .in = NOARGS, .out = ARGS(selftest_out)},

    /* Device.DeviceInfo.: file transfers */
    {.path = "Device.DeviceInfo.FirmwareImage.{i}.Download()", .async = true,
     .op = MAP_OP_DOWNLOAD, .file_type = "1 Firmware Upgrade Image",
     .virtual_home = true, .in = ARGS(fw_download_in), .out = NOARGS},
    {.path = "Device.DeviceInfo.VendorConfigFile.{i}.Backup()", .async = true,
     .op = MAP_OP_UPLOAD, .file_type = "1 Vendor Configuration File",
     .virtual_home = true, .in = ARGS(cfg_backup_in), .out = NOARGS},
    {.path = "Device.DeviceInfo.VendorConfigFile.{i}.Restore()", .async = true,
     .op = MAP_OP_DOWNLOAD, .file_type = "3 Vendor Configuration File",
     .virtual_home = true, .in = ARGS(cfg_restore_in), .out = NOARGS},
    {.path = "Device.DeviceInfo.VendorLogFile.{i}.Upload()", .async = true,
     .op = MAP_OP_UPLOAD, .file_type = "2 Vendor Log File",
     .virtual_home = true, .in = ARGS(log_upload_in), .out = NOARGS},

    /* Diagnostics */
    {.path = "Device.IP.Diagnostics.IPPing()", .async = true,
     .op = MAP_OP_DIAGNOSTICS, .diag_object = "Device.IP.Diagnostics.IPPing.",
     .diag_object_tr098 = "InternetGatewayDevice.IPPingDiagnostics.",
     .in = ARGS(ipping_in), .out = ARGS(ipping_out)},
    {.path = "Device.IP.Diagnostics.TraceRoute()", .async = true,
     .op = MAP_OP_DIAGNOSTICS,
     .diag_object = "Device.IP.Diagnostics.TraceRoute.",
     .diag_object_tr098 = "InternetGatewayDevice.TraceRouteDiagnostics.",
     .in = ARGS(traceroute_in), .out = ARGS(traceroute_out)},
    {.path = "Device.IP.Diagnostics.DownloadDiagnostics()", .async = true,
     .op = MAP_OP_DIAGNOSTICS,
     .diag_object = "Device.IP.Diagnostics.DownloadDiagnostics.",
     .diag_object_tr098 = "InternetGatewayDevice.DownloadDiagnostics.",
     .in = ARGS(download_diag_in), .out = ARGS(download_diag_out)},
    {.path = "Device.IP.Diagnostics.UploadDiagnostics()", .async = true,
     .op = MAP_OP_DIAGNOSTICS,
     .diag_object = "Device.IP.Diagnostics.UploadDiagnostics.",
     .diag_object_tr098 = "InternetGatewayDevice.UploadDiagnostics.",
     .in = ARGS(upload_diag_in), .out = ARGS(upload_diag_out)},
    {.path = "Device.IP.Diagnostics.UDPEchoDiagnostics()", .async = true,
     .op = MAP_OP_DIAGNOSTICS,
     .diag_object = "Device.IP.Diagnostics.UDPEchoDiagnostics.",
     .in = ARGS(udpecho_in), .out = ARGS(udpecho_out)},
    {.path = "Device.IP.Diagnostics.ServerSelectionDiagnostics()",
     .async = true, .op = MAP_OP_DIAGNOSTICS,
     .diag_object = "Device.IP.Diagnostics.ServerSelectionDiagnostics.",
     .in = ARGS(serversel_in), .out = ARGS(serversel_out)},
    {.path = "Device.DNS.Diagnostics.NSLookupDiagnostics()", .async = true,
     .op = MAP_OP_DIAGNOSTICS,
     .diag_object = "Device.DNS.Diagnostics.NSLookupDiagnostics.",
     .in = ARGS(nslookup_in), .out = ARGS(nslookup_out)},

    /* Software modules */
    {.path = "Device.SoftwareModules.InstallDU()", .async = true,
     .op = MAP_OP_CHANGE_DU_STATE, .du_op = MAP_DU_INSTALL,
     .in = ARGS(du_install_in), .out = NOARGS},
    {.path = "Device.SoftwareModules.DeploymentUnit.{i}.Update()",
     .async = true, .op = MAP_OP_CHANGE_DU_STATE, .du_op = MAP_DU_UPDATE,
     .in = ARGS(du_update_in), .out = NOARGS},
    {.path = "Device.SoftwareModules.DeploymentUnit.{i}.Uninstall()",
     .async = true, .op = MAP_OP_CHANGE_DU_STATE, .du_op = MAP_DU_UNINSTALL,
     .in = NOARGS, .out = NOARGS},

    /* Hosted by the bridge (Device.LocalAgent. is synthesized) */
    {.path = "Device.LocalAgent.Controller.{i}.SendOnBoardRequest()",
     .op = MAP_OP_BRIDGE},
    {.path = "Device.LocalAgent.Request.{i}.Cancel()", .op = MAP_OP_BRIDGE},
};


static const char *const boot_args[] = {"CommandKey", "Cause",
                                        "FirmwareUpdated", "ParameterMap"};
static const char *const tc_args[] = {
    "Command",   "CommandKey", "Requestor",    "TransferType", "Affected",
    "TransferURL", "StartTime", "CompleteTime", "FaultCode",   "FaultString"};
static const char *const du_args[] = {
    "UUID",         "DeploymentUnitRef", "Version",   "CurrentState",
    "Resolved",     "ExecutionUnitRefList", "StartTime", "CompleteTime",
    "OperationPerformed", "FaultCode", "FaultString"};

static const struct map_event_def events[] = {
    {"Device.Boot!", ARGS(boot_args)},
    {"Device.LocalAgent.TransferComplete!", ARGS(tc_args)},
    {"Device.LocalAgent.Periodic!", NOARGS},
    {"Device.LocalAgent.WakeUp!", NOARGS},
    {"Device.SoftwareModules.DUStateChange!", ARGS(du_args)},
};

static const char *const op_names[] = {
    [MAP_OP_NONE] = "none",
    [MAP_OP_REBOOT] = "Reboot",
    [MAP_OP_FACTORY_RESET] = "FactoryReset",
    [MAP_OP_DOWNLOAD] = "Download",
    [MAP_OP_UPLOAD] = "Upload",
    [MAP_OP_DIAGNOSTICS] = "Diagnostics",
    [MAP_OP_CHANGE_DU_STATE] = "ChangeDUState",
    [MAP_OP_BRIDGE] = "bridge",
};

const char *map_cwmp_op_name(enum map_cwmp_op op)
{
    if ((unsigned)op >= UB_ARRAY_LEN(op_names))
        return "";
    return op_names[op];
}

size_t map_command_count(void) { return UB_ARRAY_LEN(commands); }

const struct map_command *map_command_at(size_t i)
{
    return i < UB_ARRAY_LEN(commands) ? &commands[i] : NULL;
}

size_t map_event_def_count(void) { return UB_ARRAY_LEN(events); }

const struct map_event_def *map_event_def_at(size_t i)
{
    return i < UB_ARRAY_LEN(events) ? &events[i] : NULL;
}

char *map_path_schema(const char *path)
{
    if (!path)
        return NULL;
    return ub_path_to_schema(path);
}

/* Compares schema path s with table path t, where s may lack the "()" of
 * a command. */
static bool cmd_path_eq(const char *s, const char *t)
{
    size_t ls = strlen(s), lt = strlen(t);

    if (ls == lt)
        return memcmp(s, t, ls) == 0;
    return ls + 2 == lt && memcmp(s, t, ls) == 0 && t[ls] == '(';
}

const struct map_command *map_command_find(const char *path)
{
    const struct map_command *found = NULL;
    char *schema;

    if (!path || strnlen(path, UB_PATH_MAX + 1) > UB_PATH_MAX)
        return NULL;
    schema = map_path_schema(path);
    if (!schema)
        return NULL;
    for (size_t i = 0; i < UB_ARRAY_LEN(commands); i++) {
        if (cmd_path_eq(schema, commands[i].path)) {
            found = &commands[i];
            break;
        }
    }
    ub_free(schema);
    return found;
}

const struct map_arg *map_command_input(const struct map_command *cmd,
                                        const char *name)
{
    if (!cmd || !name)
        return NULL;
    for (size_t i = 0; i < cmd->n_in; i++)
        if (strcmp(cmd->in[i].name, name) == 0)
            return &cmd->in[i];
    return NULL;
}

const struct map_event_def *map_event_def_find(const char *path)
{
    const struct map_event_def *found = NULL;
    char *schema;

    if (!path || strnlen(path, UB_PATH_MAX + 1) > UB_PATH_MAX)
        return NULL;
    schema = map_path_schema(path);
    if (!schema)
        return NULL;
    for (size_t i = 0; i < UB_ARRAY_LEN(events); i++) {
        if (strcmp(schema, events[i].path) == 0) {
            found = &events[i];
            break;
        }
    }
    ub_free(schema);
    return found;
}
