/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP fault <-> USP error tables.
 *
 * DESIGN
 * Sources: TR-069 Amendment 6 fault tables (ACS faults 8000-8005, CPE
 * faults 9000-9032, vendor ranges 8800-8899 / 9800-9899) and the TR-369
 * "Error Codes" table (7000-7027, record errors 7100-7199, vendor
 * 7800-7999), with the per-message "Supported Error Codes" lists of TR-369
 * (Add: 7000-7019, 7026; Set: 7000-7016, 7020, 7021, 7026; Delete:
 * 7000-7008, 7015, 7016, 7018, 7024, 7026; Operate: 7000-7008, 7012, 7015,
 * 7016, 7022; OperationComplete cmd_failure: any).
 *
 * Translation is by (fault, context).  Lookup order:
 *   1. the first row whose range holds the fault and whose ctx is the
 *      asked context;
 *   2. the first row whose range holds the fault with ctx MAP_CTX_ANY;
 *   3. the context's general code (ctx_default below).
 * So a context row only exists where that context differs from the general
 * meaning.  Every row carries its reasoning ('why'), which the unit test
 * and the README print from; change the two together.
 */
#include "mapping_int.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

struct fault_name {
    unsigned code;
    bool server; /* SOAP faultcode Server (true) / Client (false) */
    const char *name;
};

/* TR-069 Amendment 6: ACS fault codes, then CPE fault codes. */
static const struct fault_name fault_names[] = {
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
    {9018, true, "File transfer failure: file corrupted or otherwise "
                 "unusable"},
    {9019, true, "File transfer failure: file authentication failure"},
    {9020, true, "File transfer failure: unable to complete download "
                 "within specified time windows"},
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

static const struct fault_name *fault_name_find(unsigned code)
{
    for (size_t i = 0; i < UB_ARRAY_LEN(fault_names); i++)
        if (fault_names[i].code == code)
            return &fault_names[i];
    return NULL;
}

const char *map_cwmp_fault_name(unsigned fault)
{
    const struct fault_name *f = fault_name_find(fault);

    if (f)
        return f->name;
    if ((fault >= MAP_CPE_VENDOR_MIN && fault <= MAP_CPE_VENDOR_MAX) ||
        (fault >= MAP_ACS_VENDOR_MIN && fault <= MAP_ACS_VENDOR_MAX))
        return "Vendor-defined fault";
    return "Unknown fault";
}

bool map_cwmp_fault_is_server(unsigned fault)
{
    const struct fault_name *f = fault_name_find(fault);
    return f ? f->server : true;
}

struct usp_name {
    uint32_t code;
    const char *name;
};

/* TR-369 "Error Codes"; 7100-7104 as the MTP sections name them. */
static const struct usp_name usp_names[] = {
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

const char *map_usp_err_name(uint32_t usp_err)
{
    for (size_t i = 0; i < UB_ARRAY_LEN(usp_names); i++)
        if (usp_names[i].code == usp_err)
            return usp_names[i].name;
    if (usp_err >= MAP_USP_RECORD_ERR_MIN && usp_err <= MAP_USP_RECORD_ERR_MAX)
        return "USP Record error";
    if (usp_err >= MAP_USP_VENDOR_MIN && usp_err <= MAP_USP_VENDOR_MAX)
        return "Vendor defined error";
    return "Unknown error";
}

static const char *const ctx_names[MAP_CTX_MAX_] = {
    [MAP_CTX_ANY] = "any",         [MAP_CTX_GET] = "get",
    [MAP_CTX_SET] = "set",         [MAP_CTX_PARAM] = "param",
    [MAP_CTX_ADD] = "add",         [MAP_CTX_DELETE] = "delete",
    [MAP_CTX_OPERATE] = "operate", [MAP_CTX_SUBSCRIBE] = "subscribe",
};

const char *map_ctx_name(enum map_ctx ctx)
{
    if ((unsigned)ctx >= MAP_CTX_MAX_)
        return "";
    return ctx_names[ctx];
}

/* ------------------------------------------------------------------ */
/* CWMP fault -> USP error                                             */
/* ------------------------------------------------------------------ */

#define R1(code, ctx, usp, why) {code, code, MAP_CTX_##ctx, usp, why}
#define RR(lo, hi, ctx, usp, why) {lo, hi, MAP_CTX_##ctx, usp, why}

static const struct map_fault_row fault_rows[] = {
    /* --- ACS faults: only the bridge sends these (to a CPE); a USP
     *     request that failed because of one gets the same meaning. --- */
    R1(8000, ANY, 7001, "ACS method not supported = message not supported"),
    R1(8001, ANY, 7002, "ACS request denied = request denied"),
    R1(8002, ANY, 7003, "ACS internal error = internal error"),
    R1(8003, ANY, 7004, "ACS invalid arguments = invalid arguments"),
    R1(8004, ANY, 7005, "ACS resources exceeded = resources exceeded"),
    R1(8005, ANY, 7003, "retry request: the work did not happen and USP "
                        "has no retry-later code; internal error"),

    /* --- CPE faults --- */
    R1(9000, ANY, 7001, "the device lacks the RPC the message needs: "
                        "message not supported"),
    R1(9000, OPERATE, 7022, "the RPC behind the command (Reboot, Download, "
                            "...) is not supported: the command failed; "
                            "7001 would say Operate itself is unknown"),
    R1(9001, ANY, 7002, "request denied = request denied"),
    R1(9001, ADD, 7017, "AddObject refused: the object could not be "
                        "created (the Add-specific code)"),
    R1(9001, DELETE, 7024, "DeleteObject refused: this instance failed to "
                           "be deleted (UnaffectedPathError code)"),
    R1(9002, ANY, 7003, "internal error = internal error"),
    R1(9003, ANY, 7004, "invalid arguments = invalid arguments (for Set/"
                        "Add: the SPV failed, ParamErrors carry details)"),
    R1(9003, OPERATE, 7027, "arguments of the command's RPC rejected: "
                            "invalid command arguments"),
    R1(9004, ANY, 7005, "resources exceeded = resources exceeded"),
    R1(9005, ANY, 7026, "invalid parameter name: the path matches nothing "
                        "the device supports: invalid path"),
    R1(9005, GET, 7026, "Get of a name the device does not know: invalid "
                        "path (R-GET: path not in the supported model)"),
    R1(9005, PARAM, 7010, "SPV fault entry on one parameter: unsupported "
                          "parameter"),
    R1(9005, SET, 7016, "object-level failure of a Set: the object does "
                        "not exist"),
    R1(9005, ADD, 7016, "AddObject on a table under a missing instance: "
                        "object does not exist"),
    R1(9005, DELETE, 7016, "DeleteObject of a missing instance: object "
                           "does not exist (but see R-DEL.2a: report "
                           "success, map_delete_fault_is_success)"),
    R1(9005, OPERATE, 7027, "the device has no parameter for an input "
                            "argument of the command: invalid command "
                            "arguments"),
    R1(9005, SUBSCRIBE, 7012, "SetParameterAttributes on an unknown name: "
                              "the Subscription's ReferenceList value is "
                              "invalid"),
    R1(9006, ANY, 7011, "invalid parameter type = invalid type"),
    R1(9006, OPERATE, 7027, "an input argument had the wrong type: "
                            "invalid command arguments"),
    R1(9007, ANY, 7012, "invalid parameter value = invalid value"),
    R1(9007, OPERATE, 7027, "an input argument value was refused: invalid "
                            "command arguments"),
    R1(9008, ANY, 7013, "non-writable parameter = attempt to update "
                        "non-writeable parameter"),
    R1(9008, OPERATE, 7022, "the device's own diagnostics object refused "
                            "an input: a device defect, command failure"),
    R1(9009, ANY, 7002, "notification request rejected: the subscription "
                        "cannot be honoured, request denied (err_msg says "
                        "why)"),
    R1(9021, ANY, 7002, "cancelation not permitted now: request denied"),
    R1(9021, OPERATE, 7022, "Request.{i}.Cancel() of a transfer the device "
                            "will not cancel: command failure"),
    RR(9010, 9020, ANY, 7000, "file transfer failure outside a command: "
                              "message failed, CWMP text in err_msg"),
    RR(9010, 9020, OPERATE, 7022, "file transfer failure: OperationComplete "
                                  "cmd_failure, CWMP code and text in "
                                  "err_msg"),
    R1(9027, ANY, 7005, "system resources exceeded = resources exceeded"),
    RR(9022, 9032, ANY, 7000, "deployment unit failure outside a command: "
                              "message failed, CWMP text in err_msg"),
    RR(9022, 9032, OPERATE, 7022, "deployment unit failure: "
                                  "OperationComplete cmd_failure, CWMP code "
                                  "and text in err_msg"),
};

#undef R1
#undef RR

size_t map_fault_row_count(void) { return UB_ARRAY_LEN(fault_rows); }

const struct map_fault_row *map_fault_row_at(size_t i)
{
    return i < UB_ARRAY_LEN(fault_rows) ? &fault_rows[i] : NULL;
}

/* The general code of each context, for faults without a row (vendor
 * 8800-8899 / 9800-9899, future 9033-9799, garbage). */
static uint32_t ctx_default(enum map_ctx ctx)
{
    switch (ctx) {
    case MAP_CTX_PARAM:
        return 7009; /* parameter action failed (err_msg explains) */
    case MAP_CTX_SET:
        return 7020; /* object could not be updated */
    case MAP_CTX_ADD:
        return 7017; /* object could not be created */
    case MAP_CTX_DELETE:
        return 7024; /* delete failure */
    case MAP_CTX_OPERATE:
        return 7022; /* command failure */
    default:
        return 7000; /* message failed (err_msg explains) */
    }
}

static const struct map_fault_row *row_find(unsigned fault, enum map_ctx ctx)
{
    for (size_t i = 0; i < UB_ARRAY_LEN(fault_rows); i++) {
        const struct map_fault_row *r = &fault_rows[i];
        if (r->ctx == ctx && fault >= r->lo && fault <= r->hi)
            return r;
    }
    return NULL;
}

uint32_t map_fault_to_usp(unsigned fault, enum map_ctx ctx)
{
    const struct map_fault_row *r;

    if (fault == 0)
        return 0;
    if ((unsigned)ctx >= MAP_CTX_MAX_)
        ctx = MAP_CTX_ANY;
    r = row_find(fault, ctx);
    if (!r && ctx != MAP_CTX_ANY) {
        /* The context-specific general code beats a generic row only for
         * codes the table does not know at all. */
        r = row_find(fault, MAP_CTX_ANY);
    }
    return r ? r->usp : ctx_default(ctx);
}

bool map_delete_fault_is_success(unsigned fault) { return fault == 9005; }

/* ------------------------------------------------------------------ */
/* Reverse and internal errors                                         */
/* ------------------------------------------------------------------ */

static const struct {
    uint32_t usp;
    unsigned fault;
} usp_to_fault[] = {
    {7000, 9002}, {7001, 9000}, {7002, 9001}, {7003, 9002}, {7004, 9003},
    {7005, 9004}, {7006, 9001}, {7008, 9005}, {7010, 9005}, {7011, 9006},
    {7012, 9007}, {7013, 9008}, {7016, 9005}, {7026, 9005}, {7027, 9003},
};

unsigned map_usp_to_cwmp_fault(uint32_t usp_err)
{
    if (usp_err == 0)
        return 0;
    for (size_t i = 0; i < UB_ARRAY_LEN(usp_to_fault); i++)
        if (usp_to_fault[i].usp == usp_err)
            return usp_to_fault[i].fault;
    return 9002;
}

static const struct {
    uint32_t usp;
    unsigned acs;
} ub_err_map[UB_ERR_MAX_] = {
    [UB_OK] = {0, 0},
    [UB_ENOMEM] = {7005, 8004},
    [UB_EINVAL] = {7004, 8003},
    [UB_EPROTO] = {7004, 8003},
    [UB_ETOOBIG] = {7005, 8004},
    [UB_EAGAIN] = {7003, 8005},
    [UB_ETIMEDOUT] = {7003, 8005}, /* device unreachable (mapping.md) */
    [UB_EDB] = {7003, 8002},
    [UB_ENOTFOUND] = {7026, 8003},
    [UB_EEXIST] = {7025, 8003},
    [UB_EIO] = {7003, 8002},
    [UB_EFULL] = {7005, 8004},
    [UB_ECLOSED] = {7003, 8002},
    [UB_EAUTH] = {7006, 8001},
    [UB_ESTATE] = {7002, 8001},
    [UB_ECONFIG] = {7007, 8002},
    [UB_EVERSION] = {7001, 8000},
    [UB_ECORRUPT] = {7003, 8002},
    [UB_ENOTSUP] = {7001, 8000},
};

uint32_t map_ub_err_to_usp(int err)
{
    if (err < 0 || err >= UB_ERR_MAX_)
        return 7003;
    return ub_err_map[err].usp;
}

unsigned map_ub_err_to_acs_fault(int err)
{
    if (err < 0 || err >= UB_ERR_MAX_)
        return 8002;
    return ub_err_map[err].acs;
}
