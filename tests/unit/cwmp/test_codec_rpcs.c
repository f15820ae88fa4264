/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP codec: every RPC of TR-069 Amendment 6, request and response, in
 * both directions (CPE methods and ACS methods), through
 * encode -> decode -> encode (byte-identical) with field checks.
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

static struct cwmp_msg *msg(enum cwmp_method m, enum cwmp_kind k)
{
    struct cwmp_msg *x = cwmp_msg_new(m, k);
    assert_non_null(x);
    x->version = CWMP_V1_4;
    x->id = tu_strdup("rpc-1");
    return x;
}

/* Messages whose body is empty (or has no fields in struct cwmp_msg). */
static void test_empty_bodies(void **state)
{
    static const struct {
        enum cwmp_method m;
        enum cwmp_kind k;
        const char *tag;
    } cases[] = {
        {CWMP_M_GET_RPC_METHODS, CWMP_REQUEST, "<cwmp:GetRPCMethods></cwmp:GetRPCMethods>"},
        {CWMP_M_FACTORY_RESET, CWMP_REQUEST, "<cwmp:FactoryReset></cwmp:FactoryReset>"},
        {CWMP_M_SET_PARAMETER_ATTRIBUTES, CWMP_RESPONSE, "<cwmp:SetParameterAttributesResponse>"},
        {CWMP_M_REBOOT, CWMP_RESPONSE, "<cwmp:RebootResponse>"},
        {CWMP_M_FACTORY_RESET, CWMP_RESPONSE, "<cwmp:FactoryResetResponse>"},
        {CWMP_M_SCHEDULE_INFORM, CWMP_RESPONSE, "<cwmp:ScheduleInformResponse>"},
        {CWMP_M_SCHEDULE_DOWNLOAD, CWMP_RESPONSE, "<cwmp:ScheduleDownloadResponse>"},
        {CWMP_M_CANCEL_TRANSFER, CWMP_RESPONSE, "<cwmp:CancelTransferResponse>"},
        {CWMP_M_CHANGE_DU_STATE, CWMP_RESPONSE, "<cwmp:ChangeDUStateResponse>"},
        {CWMP_M_TRANSFER_COMPLETE, CWMP_RESPONSE, "<cwmp:TransferCompleteResponse>"},
        {CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE, CWMP_RESPONSE,
         "<cwmp:AutonomousTransferCompleteResponse>"},
        {CWMP_M_DU_STATE_CHANGE_COMPLETE, CWMP_RESPONSE,
         "<cwmp:DUStateChangeCompleteResponse>"},
        {CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE, CWMP_RESPONSE,
         "<cwmp:AutonomousDUStateChangeCompleteResponse>"},
        {CWMP_M_REQUEST_DOWNLOAD, CWMP_RESPONSE, "<cwmp:RequestDownloadResponse>"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cwmp_msg *m = msg(cases[i].m, cases[i].k), *d;
        struct ub_buf b = tu_encode(C, m);
        assert_contains(&b, cases[i].tag);
        ub_buf_free(&b);
        d = tu_round_trip(C, m);
        cwmp_msg_free(d);
        cwmp_msg_free(m);
    }
}

static void test_get_rpc_methods_response(void **state)
{
    struct cwmp_msg *m = msg(CWMP_M_GET_RPC_METHODS, CWMP_RESPONSE), *d;
    struct ub_buf b;
    (void)state;
    for (int i = CWMP_M_GET_RPC_METHODS; i <= CWMP_M_CHANGE_DU_STATE; i++)
        assert_int_equal(ub_strv_add(&m->strv, cwmp_method_name(i)), UB_OK);
    b = tu_encode(C, m);
    assert_contains(&b, "<MethodList SOAP-ENC:arrayType=\"xsd:string[16]\">"
                        "<string>GetRPCMethods</string>");
    ub_buf_free(&b);
    d = tu_round_trip(C, m);
    assert_int_equal(d->strv.n, 16);
    assert_string_equal(d->strv.v[15], "ChangeDUState");
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void add_attr(struct cwmp_msg *m, const char *name, uint8_t n,
                     const char *acl)
{
    struct cwmp_attr *a;
    m->attrs = ub_realloc(m->attrs, (m->n_attrs + 1) * sizeof(*m->attrs));
    assert_non_null(m->attrs);
    a = &m->attrs[m->n_attrs++];
    memset(a, 0, sizeof(*a));
    a->name = tu_strdup(name);
    a->notification = n;
    a->notification_change = true;
    a->access_list_change = acl != NULL;
    ub_strv_init(&a->access_list, 0);
    if (acl)
        assert_int_equal(ub_strv_add(&a->access_list, acl), UB_OK);
}

static void test_parameter_attributes(void **state)
{
    struct cwmp_msg *m = msg(CWMP_M_SET_PARAMETER_ATTRIBUTES, CWMP_REQUEST), *d;
    struct ub_buf b;
    (void)state;
    add_attr(m, "Device.DeviceInfo.SoftwareVersion", 2, NULL);
    add_attr(m, "Device.WiFi.SSID.", 1, "Subscriber");
    m->attrs[1].notification_change = false;
    b = tu_encode(C, m);
    assert_contains(&b, "SOAP-ENC:arrayType=\"cwmp:SetParameterAttributesStruct[2]\"");
    assert_contains(&b, "<Name>Device.DeviceInfo.SoftwareVersion</Name>"
                        "<NotificationChange>1</NotificationChange>"
                        "<Notification>2</Notification><AccessListChange>0"
                        "</AccessListChange><AccessList SOAP-ENC:arrayType="
                        "\"xsd:string[0]\"></AccessList>");
    ub_buf_free(&b);
    d = tu_round_trip(C, m);
    assert_int_equal(d->n_attrs, 2);
    assert_true(d->attrs[0].notification_change);
    assert_int_equal(d->attrs[0].notification, 2);
    assert_false(d->attrs[1].notification_change);
    assert_true(d->attrs[1].access_list_change);
    assert_int_equal(d->attrs[1].access_list.n, 1);
    assert_string_equal(d->attrs[1].access_list.v[0], "Subscriber");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_GET_PARAMETER_ATTRIBUTES, CWMP_REQUEST);
    assert_int_equal(ub_strv_add(&m->strv, "Device.WiFi."), UB_OK);
    d = tu_round_trip(C, m);
    assert_int_equal(d->strv.n, 1);
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_GET_PARAMETER_ATTRIBUTES, CWMP_RESPONSE);
    add_attr(m, "Device.WiFi.SSID.1.SSID", 6, "Subscriber");
    add_attr(m, "Device.WiFi.SSID.1.Enable", 0, NULL);
    d = tu_round_trip(C, m);
    assert_int_equal(d->n_attrs, 2);
    assert_int_equal(d->attrs[0].notification, 6);
    assert_string_equal(d->attrs[0].access_list.v[0], "Subscriber");
    assert_int_equal(d->attrs[1].access_list.n, 0);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_reboot_cancel_schedule_inform(void **state)
{
    struct cwmp_msg *m, *d;
    (void)state;
    m = msg(CWMP_M_REBOOT, CWMP_REQUEST);
    m->command_key = tu_strdup("reboot-1");
    d = tu_round_trip(C, m);
    assert_string_equal(d->command_key, "reboot-1");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_CANCEL_TRANSFER, CWMP_REQUEST);
    m->command_key = tu_strdup("dl-3");
    d = tu_round_trip(C, m);
    assert_string_equal(d->command_key, "dl-3");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_SCHEDULE_INFORM, CWMP_REQUEST);
    m->command_key = tu_strdup("si");
    m->delay_seconds = 86400;
    d = tu_round_trip(C, m);
    assert_string_equal(d->command_key, "si");
    assert_int_equal(d->delay_seconds, 86400);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void fill_transfer(struct cwmp_transfer *t)
{
    t->command_key = tu_strdup("fw-2026");
    t->file_type = tu_strdup("1 Firmware Upgrade Image");
    t->url = tu_strdup("https://fw.example.net/img.bin?a=1&b=2");
    t->username = tu_strdup("u");
    t->password = tu_strdup("p<w>");
    t->file_size = 4000000000ul;
    t->target_file_name = tu_strdup("img.bin");
    t->delay_seconds = 30;
    t->success_url = tu_strdup("http://ok/");
    t->failure_url = tu_strdup("");
}

static void test_download_upload(void **state)
{
    struct cwmp_msg *m, *d;
    struct ub_buf b;
    (void)state;
    m = msg(CWMP_M_DOWNLOAD, CWMP_REQUEST);
    fill_transfer(&m->transfer);
    b = tu_encode(C, m);
    assert_contains(&b, "<cwmp:Download><CommandKey>fw-2026</CommandKey>"
                        "<FileType>1 Firmware Upgrade Image</FileType>"
                        "<URL>https://fw.example.net/img.bin?a=1&amp;b=2</URL>");
    assert_contains(&b, "<FileSize>4000000000</FileSize>");
    ub_buf_free(&b);
    d = tu_round_trip(C, m);
    assert_string_equal(d->transfer.password, "p<w>");
    assert_int_equal(d->transfer.file_size, 4000000000ul);
    assert_int_equal(d->transfer.delay_seconds, 30);
    assert_string_equal(d->transfer.success_url, "http://ok/");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_DOWNLOAD, CWMP_RESPONSE);
    m->transfer.status = 1;
    b = tu_encode(C, m);
    assert_contains(&b, "<Status>1</Status><StartTime>0001-01-01T00:00:00Z"
                        "</StartTime><CompleteTime>0001-01-01T00:00:00Z");
    ub_buf_free(&b);
    d = tu_round_trip(C, m);
    assert_int_equal(d->transfer.status, 1);
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_UPLOAD, CWMP_REQUEST);
    m->transfer.command_key = tu_strdup("up");
    m->transfer.file_type = tu_strdup("2 Vendor Log File");
    m->transfer.url = tu_strdup("http://logs/");
    m->transfer.delay_seconds = 5;
    d = tu_round_trip(C, m);
    assert_string_equal(d->transfer.file_type, "2 Vendor Log File");
    assert_int_equal(d->transfer.delay_seconds, 5);
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_UPLOAD, CWMP_RESPONSE);
    m->transfer.status = 0;
    m->transfer.start_time = tu_strdup("2026-11-25T08:00:00Z");
    m->transfer.complete_time = tu_strdup("2026-11-25T08:00:09Z");
    d = tu_round_trip(C, m);
    assert_string_equal(d->transfer.complete_time, "2026-11-25T08:00:09Z");
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_schedule_download(void **state)
{
    struct cwmp_msg *m = msg(CWMP_M_SCHEDULE_DOWNLOAD, CWMP_REQUEST), *d;
    struct cwmp_transfer *t = &m->transfer;
    struct ub_buf b;
    (void)state;
    fill_transfer(t);
    t->windows = ub_calloc(2, sizeof(*t->windows));
    assert_non_null(t->windows);
    t->n_windows = 2;
    t->windows[0].window_start = 0;
    t->windows[0].window_end = 3600;
    t->windows[0].window_mode = tu_strdup("1 At Any Time");
    t->windows[0].user_message = tu_strdup("");
    t->windows[0].max_retries = -1;
    t->windows[1].window_start = 7200;
    t->windows[1].window_end = 10800;
    t->windows[1].window_mode = tu_strdup("3 When Idle");
    t->windows[1].user_message = tu_strdup("Updating");
    t->windows[1].max_retries = 3;
    b = tu_encode(C, m);
    assert_contains(&b, "<TimeWindowList SOAP-ENC:arrayType=\"cwmp:TimeWindowStruct[2]\">");
    assert_contains(&b, "<MaxRetries>-1</MaxRetries>");
    ub_buf_free(&b);
    d = tu_round_trip(C, m);
    assert_int_equal(d->transfer.n_windows, 2);
    assert_int_equal(d->transfer.windows[0].max_retries, -1);
    assert_int_equal(d->transfer.windows[1].window_end, 10800);
    assert_string_equal(d->transfer.windows[1].user_message, "Updating");
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_change_du_state(void **state)
{
    struct cwmp_msg *m = msg(CWMP_M_CHANGE_DU_STATE, CWMP_REQUEST), *d;
    struct ub_buf b;
    (void)state;
    m->du_ops = ub_calloc(3, sizeof(*m->du_ops));
    assert_non_null(m->du_ops);
    m->n_du_ops = 3;
    m->du_ops[0].op = CWMP_DU_INSTALL;
    m->du_ops[0].url = tu_strdup("http://apps/x.ipk");
    m->du_ops[0].uuid = tu_strdup("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    m->du_ops[0].execution_env_ref = tu_strdup("Device.SoftwareModules.ExecEnv.1");
    m->du_ops[1].op = CWMP_DU_UPDATE;
    m->du_ops[1].uuid = tu_strdup("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
    m->du_ops[1].version = tu_strdup("2.0");
    m->du_ops[2].op = CWMP_DU_UNINSTALL;
    m->du_ops[2].uuid = tu_strdup("6ba7b812-9dad-11d1-80b4-00c04fd430c8");
    m->command_key = tu_strdup("cdus");
    b = tu_encode(C, m);
    assert_contains(&b, "<Operations xsi:type=\"cwmp:InstallOpStruct\"><URL>"
                        "http://apps/x.ipk</URL><UUID>");
    assert_contains(&b, "<Operations xsi:type=\"cwmp:UpdateOpStruct\"><UUID>"
                        "6ba7b811-9dad-11d1-80b4-00c04fd430c8</UUID><Version>2.0"
                        "</Version></Operations>");
    assert_contains(&b, "<Operations xsi:type=\"cwmp:UninstallOpStruct\">");
    assert_contains(&b, "</Operations><CommandKey>cdus</CommandKey>"
                        "</cwmp:ChangeDUState>");
    ub_buf_free(&b);
    d = tu_round_trip(C, m);
    assert_int_equal(d->n_du_ops, 3);
    assert_int_equal(d->du_ops[0].op, CWMP_DU_INSTALL);
    assert_string_equal(d->du_ops[0].execution_env_ref,
                        "Device.SoftwareModules.ExecEnv.1");
    assert_int_equal(d->du_ops[1].op, CWMP_DU_UPDATE);
    assert_string_equal(d->du_ops[1].version, "2.0");
    assert_null(d->du_ops[1].url);
    assert_int_equal(d->du_ops[2].op, CWMP_DU_UNINSTALL);
    assert_string_equal(d->command_key, "cdus");
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_transfer_complete(void **state)
{
    struct cwmp_msg *m = msg(CWMP_M_TRANSFER_COMPLETE, CWMP_REQUEST), *d;
    struct ub_buf b;
    (void)state;
    m->transfer.command_key = tu_strdup("fw-2026");
    m->transfer.fault.code = 9010;
    m->transfer.fault.string = tu_strdup("Download failed");
    m->transfer.start_time = tu_strdup("2026-11-25T08:00:00Z");
    m->transfer.complete_time = tu_strdup("2026-11-25T08:01:00Z");
    b = tu_encode(C, m);
    assert_contains(&b, "<FaultStruct><FaultCode>9010</FaultCode><FaultString>"
                        "Download failed</FaultString></FaultStruct>");
    ub_buf_free(&b);
    d = tu_round_trip(C, m);
    assert_string_equal(d->transfer.command_key, "fw-2026");
    assert_int_equal(d->transfer.fault.code, 9010);
    assert_string_equal(d->transfer.fault.string, "Download failed");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE, CWMP_REQUEST);
    m->transfer.announce_url = tu_strdup("http://announce/");
    m->transfer.transfer_url = tu_strdup("http://file/");
    m->transfer.is_download = true;
    m->transfer.file_type = tu_strdup("3 Vendor Configuration File");
    m->transfer.file_size = 1234;
    m->transfer.target_file_name = tu_strdup("cfg.xml");
    d = tu_round_trip(C, m);
    assert_true(d->transfer.is_download);
    assert_int_equal(d->transfer.file_size, 1234);
    assert_int_equal(d->transfer.fault.code, 0);
    assert_string_equal(d->transfer.fault.string, "");
    assert_string_equal(d->transfer.start_time, "0001-01-01T00:00:00Z");
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_du_state_change_complete(void **state)
{
    (void)state;
    for (int auton = 0; auton < 2; auton++) {
        struct cwmp_msg *m, *d;
        struct ub_buf b;
        m = msg(auton ? CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE
                      : CWMP_M_DU_STATE_CHANGE_COMPLETE,
                CWMP_REQUEST);
        m->du_results = ub_calloc(2, sizeof(*m->du_results));
        assert_non_null(m->du_results);
        m->n_du_results = 2;
        m->du_results[0].uuid = tu_strdup("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        m->du_results[0].deployment_unit_ref = tu_strdup("Device.SoftwareModules.DeploymentUnit.1");
        m->du_results[0].version = tu_strdup("1.0");
        m->du_results[0].current_state = tu_strdup("Installed");
        m->du_results[0].resolved = true;
        m->du_results[0].execution_unit_ref_list =
            tu_strdup("Device.SoftwareModules.ExecutionUnit.1");
        m->du_results[1].current_state = tu_strdup("Failed");
        m->du_results[1].fault.code = 9018;
        m->du_results[1].fault.string = tu_strdup("corrupt");
        if (auton) {
            m->du_results[0].operation_performed = tu_strdup("Install");
            m->du_results[1].operation_performed = tu_strdup("Update");
        } else {
            m->command_key = tu_strdup("cdus");
        }
        b = tu_encode(C, m);
        if (auton)
            assert_contains(&b, "</Fault><OperationPerformed>Install"
                                "</OperationPerformed></Results>");
        ub_buf_free(&b);
        d = tu_round_trip(C, m);
        assert_int_equal(d->n_du_results, 2);
        assert_true(d->du_results[0].resolved);
        assert_string_equal(d->du_results[0].current_state, "Installed");
        assert_int_equal(d->du_results[1].fault.code, 9018);
        if (auton)
            assert_string_equal(d->du_results[1].operation_performed, "Update");
        else
            assert_string_equal(d->command_key, "cdus");
        cwmp_msg_free(d);
        cwmp_msg_free(m);
    }
}

static void test_request_download_kicked(void **state)
{
    struct cwmp_msg *m, *d;
    (void)state;
    m = msg(CWMP_M_REQUEST_DOWNLOAD, CWMP_REQUEST);
    m->transfer.file_type = tu_strdup("1 Firmware Upgrade Image");
    m->args = ub_calloc(2, sizeof(*m->args));
    assert_non_null(m->args);
    m->n_args = 2;
    m->args[0].name = tu_strdup("Version");
    m->args[0].value = tu_strdup("2.0");
    m->args[1].name = tu_strdup("Channel");
    m->args[1].value = tu_strdup("beta");
    d = tu_round_trip(C, m);
    assert_string_equal(d->transfer.file_type, "1 Firmware Upgrade Image");
    assert_int_equal(d->n_args, 2);
    assert_string_equal(d->args[1].name, "Channel");
    assert_string_equal(d->args[1].value, "beta");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_KICKED, CWMP_REQUEST);
    m->args = ub_calloc(3, sizeof(*m->args));
    assert_non_null(m->args);
    m->n_args = 3;
    m->args[0].name = tu_strdup("Command");
    m->args[0].value = tu_strdup("activate");
    m->args[1].name = tu_strdup("Referer");
    m->args[1].value = tu_strdup("http://portal/");
    m->args[2].name = tu_strdup("Next");
    m->args[2].value = tu_strdup("http://next/");
    d = tu_round_trip(C, m);
    assert_int_equal(d->n_args, 4);
    assert_string_equal(d->args[0].name, "Command");
    assert_string_equal(d->args[0].value, "activate");
    assert_string_equal(d->args[2].name, "Arg");
    assert_string_equal(d->args[2].value, "");
    assert_string_equal(d->args[3].value, "http://next/");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = msg(CWMP_M_KICKED, CWMP_RESPONSE);
    m->next_url = tu_strdup("http://portal/done");
    d = tu_round_trip(C, m);
    assert_string_equal(d->next_url, "http://portal/done");
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

/* The ACS also answers GetRPCMethods from the CPE, and the CPE answers
 * the ACS's: both directions use the same envelope shape. */
static void test_every_method_both_kinds(void **state)
{
    (void)state;
    for (int i = CWMP_M_NONE + 1; i < CWMP_M_MAX_; i++) {
        for (int k = CWMP_REQUEST; k <= CWMP_RESPONSE; k++) {
            struct cwmp_msg *m = msg((enum cwmp_method)i, (enum cwmp_kind)k);
            struct cwmp_msg *d = tu_round_trip(C, m);
            cwmp_msg_free(d);
            cwmp_msg_free(m);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_bodies),
        cmocka_unit_test(test_get_rpc_methods_response),
        cmocka_unit_test(test_parameter_attributes),
        cmocka_unit_test(test_reboot_cancel_schedule_inform),
        cmocka_unit_test(test_download_upload),
        cmocka_unit_test(test_schedule_download),
        cmocka_unit_test(test_change_du_state),
        cmocka_unit_test(test_transfer_complete),
        cmocka_unit_test(test_du_state_change_complete),
        cmocka_unit_test(test_request_download_kicked),
        cmocka_unit_test(test_every_method_both_kinds),
    };
    return cmocka_run_group_tests(tests, grp_setup, grp_teardown);
}
