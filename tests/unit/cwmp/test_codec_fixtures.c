/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP codec: golden fixtures (tests/fixtures/cwmp, one .xml each) in the styles of
 * real CPEs: soapenv/SOAP-ENV/soap/s prefixes, default namespaces, cwmp-1-0
 * .. 1-4, arrayType counts too high/low or absent, no xsi:type, qualified
 * children, CRLF, TR-098 roots, software-module and transfer RPCs.  Each fixture is decoded and checked, then
 * re-encoded and decoded again (the result must encode identically).
 */
#include "codec_testutil.h"

static struct cwmp_codec *C;
static size_t mem0;

static int grp_setup(void **state)
{
    (void)state;
    if (cwmp_codec_create(NULL, &C))
        return -1;
    mem0 = ub_mem_in_use();
    return 0;
}

static int grp_teardown(void **state)
{
    size_t now = ub_mem_in_use();
    (void)state;
    cwmp_codec_destroy(C);
    if (now != mem0) {
        fprintf(stderr, "leak: %zu bytes in use, %zu before\n", now, mem0);
        return -1;
    }
    return 0;
}

static struct cwmp_msg *load(const char *name)
{
    size_t len;
    char *buf = tu_slurp(name, &len);
    struct cwmp_msg *m = tu_decode_str(C, buf, len);
    struct cwmp_msg *d;

    free(buf);
    /* Stable through our own encoder. */
    d = tu_round_trip(C, m);
    cwmp_msg_free(d);
    return m;
}

static const struct ub_param *param(const struct ub_param_list *l,
                                    const char *path)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].path, path))
            return &l->v[i];
    fail_msg("no parameter %s", path);
    return NULL;
}

static void test_inform_tr098_soapenv_bootstrap(void **state)
{
    struct cwmp_msg *m = load("inform_tr098_soapenv_bootstrap.xml");
    const struct cwmp_inform *i = &m->inform;
    (void)state;
    assert_int_equal(m->method, CWMP_M_INFORM);
    assert_int_equal(m->kind, CWMP_REQUEST);
    assert_int_equal(m->version, CWMP_V1_0);
    assert_string_equal(m->id, "1");
    assert_string_equal(i->device_id.manufacturer, "Huawei Technologies Co., Ltd");
    assert_string_equal(i->device_id.oui, "00259E");
    assert_string_equal(i->device_id.serial_number, "48575443A1B2C3D4");
    assert_int_equal(i->n_events, 2);
    assert_string_equal(i->events[0].code, "0 BOOTSTRAP");
    assert_string_equal(i->events[1].code, "1 BOOT");
    assert_string_equal(i->events[1].command_key, "");
    assert_string_equal(i->current_time, "2026-11-25T09:12:33+01:00");
    assert_int_equal(i->params.n, 8);
    assert_string_equal(
        param(&i->params, "InternetGatewayDevice.ManagementServer."
                          "ConnectionRequestURL")->value,
        "http://100.64.12.7:7547/tr069");
    assert_string_equal(
        param(&i->params, "InternetGatewayDevice.DeviceInfo.ProvisioningCode")->value,
        "");
    assert_int_equal(param(&i->params, "InternetGatewayDevice.DeviceSummary")->type,
                     UB_T_STRING);
    cwmp_msg_free(m);
}

static void test_inform_boot_soapenc_nocount(void **state)
{
    struct cwmp_msg *m = load("inform_boot_soapenc_nocount.xml");
    const struct cwmp_inform *i = &m->inform;
    (void)state;
    assert_int_equal(m->version, CWMP_V1_2);
    assert_string_equal(m->id, "51a3f2");
    assert_string_equal(i->device_id.product_class, "TG789vac v2");
    assert_int_equal(i->n_events, 2);
    assert_string_equal(i->events[1].code, "M Reboot");
    assert_string_equal(i->events[1].command_key, "reboot-42");
    assert_int_equal(i->params.n, 8);
    assert_int_equal(param(&i->params, "Device.DeviceInfo.UpTime")->type, UB_T_UINT);
    assert_int_equal(
        param(&i->params, "Device.ManagementServer.PeriodicInformEnable")->type,
        UB_T_BOOL);
    cwmp_msg_free(m);
}

static void test_inform_periodic_mismatch_notype(void **state)
{
    struct cwmp_msg *m = load("inform_periodic_soap_mismatch_notype.xml");
    const struct cwmp_inform *i = &m->inform;
    (void)state;
    assert_int_equal(m->version, CWMP_V1_4);
    assert_string_equal(m->id, "cpe-00091");
    /* arrayType says 3 events / 2 params; the document has 1 / 4 */
    assert_int_equal(i->n_events, 1);
    assert_string_equal(i->events[0].code, "2 PERIODIC");
    assert_int_equal(i->retry_count, 2);
    assert_int_equal(i->params.n, 4);
    for (size_t k = 0; k < i->params.n; k++) {
        assert_int_equal(i->params.v[k].type, UB_T_NONE);
        assert_null(i->params.v[k].type_name);
    }
    assert_string_equal(
        param(&i->params, "InternetGatewayDevice.ManagementServer.ParameterKey")->value,
        "");
    cwmp_msg_free(m);
}

static void test_inform_value_change_defaultns(void **state)
{
    struct cwmp_msg *m = load("inform_value_change_defaultns.xml");
    const struct cwmp_inform *i = &m->inform;
    (void)state;
    assert_int_equal(m->version, CWMP_V1_2);
    assert_string_equal(m->id, "77");
    assert_int_equal(i->n_events, 2);
    assert_string_equal(i->events[0].code, "4 VALUE CHANGE");
    assert_string_equal(i->events[1].code, "6 CONNECTION REQUEST");
    assert_string_equal(param(&i->params, "Device.WiFi.SSID.1.SSID")->value,
                        "FRITZ!Box 7590 XY & <Guest> \xc3\xa4");
    /* xs:/i: prefixes bound to the XSD namespaces still give types */
    assert_int_equal(
        param(&i->params, "Device.ManagementServer.PeriodicInformInterval")->type,
        UB_T_UINT);
    cwmp_msg_free(m);
}

static void test_inform_transfer_complete_cwmp11(void **state)
{
    struct cwmp_msg *m = load("inform_transfer_complete_cwmp11.xml");
    const struct cwmp_inform *i = &m->inform;
    (void)state;
    assert_int_equal(m->version, CWMP_V1_1);
    assert_int_equal(i->n_events, 3);
    assert_string_equal(i->events[1].code, "7 TRANSFER COMPLETE");
    assert_string_equal(i->events[2].code, "M Download");
    assert_string_equal(i->events[2].command_key, "fw-2026-11");
    assert_int_equal(i->params.n, 6);
    cwmp_msg_free(m);
}

static void test_inform_qualified_children_crlf(void **state)
{
    struct cwmp_msg *m = load("inform_qualified_children_crlf.xml");
    const struct cwmp_inform *i = &m->inform;
    (void)state;
    assert_string_equal(i->device_id.manufacturer, "TP-Link");
    assert_int_equal(i->n_events, 1);
    assert_string_equal(i->events[0].code, "6 CONNECTION REQUEST");
    assert_int_equal(i->params.n, 1);
    assert_string_equal(i->params.v[0].value, "1.0.3 Build 210202");
    cwmp_msg_free(m);
}

static void test_transfer_complete(void **state)
{
    struct cwmp_msg *m = load("transfer_complete_cwmp11.xml");
    (void)state;
    assert_int_equal(m->method, CWMP_M_TRANSFER_COMPLETE);
    assert_int_equal(m->kind, CWMP_REQUEST);
    assert_string_equal(m->transfer.command_key, "fw-2026-11");
    assert_int_equal(m->transfer.fault.code, 0);
    assert_string_equal(m->transfer.start_time, "2026-11-25T08:38:02Z");
    assert_string_equal(m->transfer.complete_time, "2026-11-25T08:39:47Z");
    cwmp_msg_free(m);
}

static void test_gpv_counts(void **state)
{
    struct cwmp_msg *m = load("gpv_response_tr098_count_too_high.xml");
    (void)state;
    assert_int_equal(m->method, CWMP_M_GET_PARAMETER_VALUES);
    assert_int_equal(m->kind, CWMP_RESPONSE);
    assert_int_equal(m->params.n, 3);
    assert_int_equal(m->params.v[1].type, UB_T_BOOL);
    assert_string_equal(m->params.v[1].value, "1");
    cwmp_msg_free(m);

    m = load("gpv_response_count_too_low_soapenv.xml");
    assert_int_equal(m->version, CWMP_V1_2);
    assert_int_equal(m->params.n, 5);
    assert_int_equal(m->params.v[3].type, UB_T_ULONG);
    assert_string_equal(m->params.v[3].value, "18446744073709551615");
    assert_int_equal(m->params.v[4].type, UB_T_INT);
    cwmp_msg_free(m);
}

static void test_gpn_response(void **state)
{
    struct cwmp_msg *m = load("gpn_response_nextlevel.xml");
    (void)state;
    assert_int_equal(m->method, CWMP_M_GET_PARAMETER_NAMES);
    assert_int_equal(m->params.n, 4);
    assert_int_equal(m->params.v[0].type, UB_T_OBJECT);
    assert_false(m->params.v[0].writable);
    assert_true(m->params.v[1].writable);
    assert_true(m->params.v[2].writable);
    assert_false(m->params.v[3].writable);
    cwmp_msg_free(m);
}

static void test_spv_response(void **state)
{
    struct cwmp_msg *m = load("spv_response_status1.xml");
    (void)state;
    assert_int_equal(m->method, CWMP_M_SET_PARAMETER_VALUES);
    assert_int_equal(m->kind, CWMP_RESPONSE);
    assert_int_equal(m->status, 1);
    cwmp_msg_free(m);
}

static void test_faults(void **state)
{
    struct cwmp_msg *m = load("fault_spv_soap.xml");
    (void)state;
    assert_int_equal(m->kind, CWMP_FAULT);
    assert_string_equal(m->id, "acs-21");
    assert_false(m->fault.server);
    assert_int_equal(m->fault.code, 9003);
    assert_int_equal(m->fault.n_spv, 3);
    assert_string_equal(m->fault.spv[0].name,
                        "InternetGatewayDevice.DeviceInfo.SoftwareVersion");
    assert_int_equal(m->fault.spv[0].code, 9008);
    assert_int_equal(m->fault.spv[2].code, 9005);
    assert_null(m->fault.spv[2].string);
    cwmp_msg_free(m);

    m = load("fault_9004_server_qualified.xml");
    assert_int_equal(m->kind, CWMP_FAULT);
    assert_true(m->fault.server);
    assert_int_equal(m->fault.code, 9004);
    assert_string_equal(m->fault.string, "Resources exceeded");
    cwmp_msg_free(m);
}

static void test_gpa_add_grm(void **state)
{
    struct cwmp_msg *m = load("gpa_response.xml");
    (void)state;
    assert_int_equal(m->method, CWMP_M_GET_PARAMETER_ATTRIBUTES);
    assert_int_equal(m->n_attrs, 2);
    assert_int_equal(m->attrs[0].notification, 2);
    assert_int_equal(m->attrs[0].access_list.n, 0);
    assert_string_equal(m->attrs[1].access_list.v[0], "Subscriber");
    cwmp_msg_free(m);

    m = load("add_object_response_cwmp14.xml");
    assert_int_equal(m->version, CWMP_V1_4);
    assert_int_equal(m->instance_number, 7);
    assert_int_equal(m->status, 0);
    cwmp_msg_free(m);

    m = load("get_rpc_methods_from_cpe.xml");
    assert_int_equal(m->method, CWMP_M_GET_RPC_METHODS);
    assert_int_equal(m->kind, CWMP_REQUEST);
    assert_false(m->hold_requests);
    cwmp_msg_free(m);
}

static void test_software_modules_and_transfers(void **state)
{
    struct cwmp_msg *m = load("du_state_change_complete_cwmp12.xml");
    (void)state;
    assert_int_equal(m->method, CWMP_M_DU_STATE_CHANGE_COMPLETE);
    assert_int_equal(m->version, CWMP_V1_2);
    assert_int_equal(m->n_du_results, 2);
    assert_true(m->du_results[0].resolved);
    assert_string_equal(m->du_results[0].deployment_unit_ref,
                        "Device.SoftwareModules.DeploymentUnit.2");
    assert_int_equal(m->du_results[0].fault.code, 0);
    assert_false(m->du_results[1].resolved);
    assert_string_equal(m->du_results[1].current_state, "Failed");
    assert_int_equal(m->du_results[1].fault.code, 9017);
    assert_string_equal(m->command_key, "cdus-77");
    cwmp_msg_free(m);

    m = load("change_du_state_from_acs.xml");
    assert_int_equal(m->method, CWMP_M_CHANGE_DU_STATE);
    assert_int_equal(m->n_du_ops, 2);
    assert_int_equal(m->du_ops[0].op, CWMP_DU_INSTALL);
    assert_string_equal(m->du_ops[0].url, "https://apps.example/speedtest_1.0.ipk");
    assert_string_equal(m->du_ops[0].uuid, "");
    assert_int_equal(m->du_ops[1].op, CWMP_DU_UNINSTALL);
    assert_string_equal(m->du_ops[1].uuid, "3c8e1b5e-8a3e-4b1c-9d7e-1f2a3b4c5d6e");
    assert_string_equal(m->command_key, "cdus-77");
    cwmp_msg_free(m);

    m = load("autonomous_transfer_complete.xml");
    assert_int_equal(m->method, CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE);
    assert_true(m->transfer.is_download);
    assert_int_equal(m->transfer.file_size, 28311552);
    assert_string_equal(m->transfer.transfer_url, "http://fw.vendor.example/ont/v2.bin");
    assert_string_equal(m->transfer.announce_url, "");
    cwmp_msg_free(m);

    m = load("request_download.xml");
    assert_int_equal(m->method, CWMP_M_REQUEST_DOWNLOAD);
    assert_string_equal(m->transfer.file_type, "3 Vendor Configuration File");
    assert_int_equal(m->n_args, 1);
    assert_string_equal(m->args[0].name, "Profile");
    assert_string_equal(m->args[0].value, "residential");
    cwmp_msg_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inform_tr098_soapenv_bootstrap),
        cmocka_unit_test(test_inform_boot_soapenc_nocount),
        cmocka_unit_test(test_inform_periodic_mismatch_notype),
        cmocka_unit_test(test_inform_value_change_defaultns),
        cmocka_unit_test(test_inform_transfer_complete_cwmp11),
        cmocka_unit_test(test_inform_qualified_children_crlf),
        cmocka_unit_test(test_transfer_complete),
        cmocka_unit_test(test_gpv_counts),
        cmocka_unit_test(test_gpn_response),
        cmocka_unit_test(test_spv_response),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_gpa_add_grm),
        cmocka_unit_test(test_software_modules_and_transfers),
    };
    return cmocka_run_group_tests(tests, grp_setup, grp_teardown);
}
