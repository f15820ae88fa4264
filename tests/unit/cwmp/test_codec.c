/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP codec: core RPCs both ways, wire details that CPEs depend on, error
 * reporting.  Every test checks that no ub_malloc memory is left behind.
 */
#include "codec_testutil.h"

struct ctx {
    struct cwmp_codec *c;
    size_t mem0;
};

static int setup(void **state)
{
    struct ctx *x = calloc(1, sizeof(*x));
    if (!x || cwmp_codec_create(NULL, &x->c))
        return -1;
    x->mem0 = ub_mem_in_use();
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *x = *state;
    size_t now = ub_mem_in_use(), before = x->mem0;

    cwmp_codec_destroy(x->c);
    free(x);
    if (now != before) {
        fprintf(stderr, "leak: %zu bytes in use, %zu before\n", now, before);
        return -1;
    }
    return 0;
}

static struct cwmp_msg *new_msg(enum cwmp_method m, enum cwmp_kind k)
{
    struct cwmp_msg *msg = cwmp_msg_new(m, k);
    assert_non_null(msg);
    return msg;
}

static struct cwmp_msg *make_inform(void)
{
    struct cwmp_msg *m = new_msg(CWMP_M_INFORM, CWMP_REQUEST);
    struct cwmp_inform *inf = &m->inform;

    m->version = CWMP_V1_2;
    m->id = tu_strdup("inf-1");
    inf->device_id.manufacturer = tu_strdup("Acme & Sons <Ltd>");
    inf->device_id.oui = tu_strdup("00D09E");
    inf->device_id.product_class = tu_strdup("IGD");
    inf->device_id.serial_number = tu_strdup("SN-0001");
    inf->events = ub_calloc(2, sizeof(*inf->events));
    assert_non_null(inf->events);
    inf->events[0].code = tu_strdup("1 BOOT");
    inf->events[0].command_key = tu_strdup("");
    inf->events[1].code = tu_strdup("M Reboot");
    inf->events[1].command_key = tu_strdup("ck-7");
    inf->n_events = 2;
    inf->max_envelopes = 1;
    inf->current_time = tu_strdup("2026-11-25T08:00:00Z");
    inf->retry_count = 3;
    tu_add_param(&inf->params, "Device.DeviceInfo.SoftwareVersion", "1.2.3",
                 UB_T_STRING);
    tu_add_param(&inf->params, "Device.DeviceInfo.UpTime", "42", UB_T_UINT);
    tu_add_param(&inf->params, "Device.X_ACME.Blob", "AAEC", UB_T_BASE64);
    tu_add_param(&inf->params, "Device.X_ACME.NoType", "plain", UB_T_NONE);
    tu_add_param(&inf->params, "Device.X_ACME.Vendor", "v", UB_T_NONE);
    inf->params.v[4].type_name = tu_strdup("xsd:acmeThing");
    tu_add_param(&inf->params, "Device.X_ACME.Utf8", "gr\xc3\xbc\xc3\x9f", UB_T_STRING);
    return m;
}

static void test_inform_round_trip(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = make_inform();
    struct cwmp_msg *d = tu_round_trip(x->c, m);
    const struct cwmp_inform *i = &d->inform;

    assert_string_equal(i->device_id.manufacturer, "Acme & Sons <Ltd>");
    assert_string_equal(i->device_id.oui, "00D09E");
    assert_string_equal(i->device_id.serial_number, "SN-0001");
    assert_int_equal(i->n_events, 2);
    assert_string_equal(i->events[1].code, "M Reboot");
    assert_string_equal(i->events[1].command_key, "ck-7");
    assert_string_equal(i->events[0].command_key, "");
    assert_int_equal(i->retry_count, 3);
    assert_int_equal(i->max_envelopes, 1);
    assert_string_equal(i->current_time, "2026-11-25T08:00:00Z");
    assert_int_equal(i->params.n, 6);
    assert_int_equal(i->params.v[1].type, UB_T_UINT);
    assert_string_equal(i->params.v[1].value, "42");
    assert_int_equal(i->params.v[2].type, UB_T_BASE64);
    /* no type given -> written as xsd:string -> read back as string */
    assert_int_equal(i->params.v[3].type, UB_T_STRING);
    /* unknown vendor type survives */
    assert_int_equal(i->params.v[4].type, UB_T_NONE);
    assert_string_equal(i->params.v[4].type_name, "xsd:acmeThing");
    assert_string_equal(i->params.v[5].value, "gr\xc3\xbc\xc3\x9f");
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_inform_wire(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = make_inform();
    struct ub_buf b = tu_encode(x->c, m);

    assert_contains(&b, "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"");
    assert_contains(&b, "xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"");
    assert_contains(&b, "xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\"");
    assert_contains(&b, "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"");
    assert_contains(&b, "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
    assert_contains(&b, "<cwmp:ID SOAP-ENV:mustUnderstand=\"1\">inf-1</cwmp:ID>");
    assert_contains(&b, "<SOAP-ENV:Body><cwmp:Inform>");
    assert_contains(&b, "SOAP-ENC:arrayType=\"cwmp:EventStruct[2]\"");
    assert_contains(&b, "SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[6]\"");
    assert_contains(&b, "<Value xsi:type=\"xsd:unsignedInt\">42</Value>");
    assert_contains(&b, "<Value xsi:type=\"xsd:string\">plain</Value>");
    assert_contains(&b, "<Value xsi:type=\"xsd:acmeThing\">v</Value>");
    assert_contains(&b, "Acme &amp; Sons &lt;Ltd&gt;");
    assert_false(tu_contains(&b, "HoldRequests"));
    assert_contains(&b, "<EventCode>1 BOOT</EventCode><CommandKey></CommandKey>");
    assert_false(tu_contains(&b, "/>"));
    ub_buf_free(&b);
    cwmp_msg_free(m);
}

static void test_inform_response(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_INFORM, CWMP_RESPONSE);
    struct cwmp_msg *d;
    struct ub_buf b;

    m->version = CWMP_V1_4;
    m->id = tu_strdup("inf-1");
    m->max_envelopes = 1;
    b = tu_encode(x->c, m);
    assert_contains(&b, "<cwmp:ID SOAP-ENV:mustUnderstand=\"1\">inf-1</cwmp:ID>");
    assert_contains(&b, "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes>"
                        "</cwmp:InformResponse>");
    assert_contains(&b, "urn:dslforum-org:cwmp-1-4");
    ub_buf_free(&b);
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->max_envelopes, 1);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_hold_requests(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_GET_RPC_METHODS, CWMP_REQUEST);
    struct cwmp_msg *d;
    struct ub_buf b;

    m->id = tu_strdup("h1");
    m->hold_requests = true;
    b = tu_encode(x->c, m);
    assert_contains(&b, "<cwmp:HoldRequests SOAP-ENV:mustUnderstand=\"1\">1"
                        "</cwmp:HoldRequests>");
    /* mustUnderstand must not leak onto the Body */
    assert_contains(&b, "<SOAP-ENV:Body>");
    ub_buf_free(&b);
    d = tu_round_trip(x->c, m);
    assert_true(d->hold_requests);
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    /* no header at all without id and hold */
    m = new_msg(CWMP_M_GET_RPC_METHODS, CWMP_REQUEST);
    b = tu_encode(x->c, m);
    assert_false(tu_contains(&b, "Header"));
    assert_contains(&b, "<SOAP-ENV:Body><cwmp:GetRPCMethods></cwmp:GetRPCMethods>");
    ub_buf_free(&b);
    cwmp_msg_free(m);
}

static void test_gpv(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
    struct cwmp_msg *d;
    struct ub_buf b;

    m->id = tu_strdup("gpv-1");
    assert_int_equal(ub_strv_add(&m->strv, "Device.DeviceInfo."), UB_OK);
    assert_int_equal(ub_strv_add(&m->strv, "Device.ManagementServer.URL"), UB_OK);
    b = tu_encode(x->c, m);
    assert_contains(&b, "<cwmp:GetParameterValues><ParameterNames "
                        "SOAP-ENC:arrayType=\"xsd:string[2]\"><string>"
                        "Device.DeviceInfo.</string>");
    ub_buf_free(&b);
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->strv.n, 2);
    assert_string_equal(d->strv.v[1], "Device.ManagementServer.URL");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = new_msg(CWMP_M_GET_PARAMETER_VALUES, CWMP_RESPONSE);
    m->id = tu_strdup("gpv-1");
    tu_add_param(&m->params, "Device.DeviceInfo.UpTime", "100", UB_T_UINT);
    tu_add_param(&m->params, "Device.DeviceInfo.X", "", UB_T_STRING);
    tu_add_param(&m->params, "Device.DeviceInfo.Enable", "true", UB_T_BOOL);
    tu_add_param(&m->params, "Device.DeviceInfo.Big", "-9000000000", UB_T_LONG);
    tu_add_param(&m->params, "Device.DeviceInfo.When", "2026-01-01T00:00:00Z",
                 UB_T_DATETIME);
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->params.n, 5);
    assert_string_equal(d->params.v[1].value, "");
    assert_int_equal(d->params.v[2].type, UB_T_BOOL);
    assert_int_equal(d->params.v[3].type, UB_T_LONG);
    assert_int_equal(d->params.v[4].type, UB_T_DATETIME);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_spv(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_SET_PARAMETER_VALUES, CWMP_REQUEST);
    struct cwmp_msg *d;
    struct ub_buf b;

    m->id = tu_strdup("spv-9");
    m->parameter_key = tu_strdup("pk-1");
    tu_add_param(&m->params, "Device.ManagementServer.PeriodicInformInterval",
                 "300", UB_T_UINT);
    tu_add_param(&m->params, "Device.WiFi.SSID.1.SSID", "caf\xc3\xa9 & co",
                 UB_T_STRING);
    b = tu_encode(x->c, m);
    assert_contains(&b, "SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[2]\"");
    assert_contains(&b, "<Value xsi:type=\"xsd:unsignedInt\">300</Value>");
    assert_contains(&b, "<ParameterKey>pk-1</ParameterKey>");
    ub_buf_free(&b);
    d = tu_round_trip(x->c, m);
    assert_string_equal(d->parameter_key, "pk-1");
    assert_int_equal(d->params.n, 2);
    assert_string_equal(d->params.v[1].value, "caf\xc3\xa9 & co");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = new_msg(CWMP_M_SET_PARAMETER_VALUES, CWMP_RESPONSE);
    m->status = 1;
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->status, 1);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_gpn(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_GET_PARAMETER_NAMES, CWMP_REQUEST);
    struct cwmp_msg *d;

    m->path = tu_strdup("InternetGatewayDevice.LANDevice.");
    m->next_level = true;
    d = tu_round_trip(x->c, m);
    assert_string_equal(d->path, "InternetGatewayDevice.LANDevice.");
    assert_true(d->next_level);
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = new_msg(CWMP_M_GET_PARAMETER_NAMES, CWMP_RESPONSE);
    tu_add_param(&m->params, "InternetGatewayDevice.LANDevice.1.", NULL,
                 UB_T_OBJECT);
    tu_add_param(&m->params, "InternetGatewayDevice.LANDevice.1.Alias", NULL,
                 UB_T_NONE);
    m->params.v[1].writable = true;
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->params.n, 2);
    assert_int_equal(d->params.v[0].type, UB_T_OBJECT);
    assert_false(d->params.v[0].writable);
    assert_true(d->params.v[1].writable);
    assert_null(d->params.v[1].value);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_add_delete(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_ADD_OBJECT, CWMP_REQUEST);
    struct cwmp_msg *d;

    m->path = tu_strdup("Device.IP.Interface.");
    m->parameter_key = tu_strdup("k");
    d = tu_round_trip(x->c, m);
    assert_string_equal(d->path, "Device.IP.Interface.");
    assert_string_equal(d->parameter_key, "k");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = new_msg(CWMP_M_ADD_OBJECT, CWMP_RESPONSE);
    m->instance_number = 4294967295u;
    m->status = 0;
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->instance_number, 4294967295u);
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = new_msg(CWMP_M_DELETE_OBJECT, CWMP_REQUEST);
    m->path = tu_strdup("Device.IP.Interface.3.");
    {
        /* empty elements are written open/close, never <Tag/> */
        struct ub_buf b = tu_encode(x->c, m);
        assert_contains(&b, "<ParameterKey></ParameterKey>");
        assert_false(tu_contains(&b, "/>"));
        ub_buf_free(&b);
    }
    d = tu_round_trip(x->c, m);
    assert_string_equal(d->path, "Device.IP.Interface.3.");
    assert_string_equal(d->parameter_key, "");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = new_msg(CWMP_M_DELETE_OBJECT, CWMP_RESPONSE);
    m->status = 1;
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->status, 1);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_fault_spv(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_NONE, CWMP_FAULT);
    struct cwmp_fault *f = &m->fault;
    struct cwmp_msg *d;
    struct ub_buf b;

    m->id = tu_strdup("spv-9");
    f->code = 9003;
    f->string = tu_strdup("Invalid arguments");
    f->spv = ub_calloc(2, sizeof(*f->spv));
    assert_non_null(f->spv);
    f->n_spv = 2;
    f->spv[0].name = tu_strdup("Device.DeviceInfo.UpTime");
    f->spv[0].code = 9008;
    f->spv[0].string = tu_strdup("not writable");
    f->spv[1].name = tu_strdup("Device.WiFi.Radio.1.Channel");
    f->spv[1].code = 9007;
    f->spv[1].string = tu_strdup("out of range");
    b = tu_encode(x->c, m);
    assert_contains(&b, "<SOAP-ENV:Fault><faultcode>Client</faultcode>"
                        "<faultstring>CWMP fault</faultstring><detail>"
                        "<cwmp:Fault><FaultCode>9003</FaultCode>");
    assert_contains(&b, "<SetParameterValuesFault><ParameterName>"
                        "Device.DeviceInfo.UpTime</ParameterName><FaultCode>"
                        "9008</FaultCode>");
    ub_buf_free(&b);
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->fault.code, 9003);
    assert_false(d->fault.server);
    assert_string_equal(d->fault.string, "Invalid arguments");
    assert_int_equal(d->fault.n_spv, 2);
    assert_string_equal(d->fault.spv[1].name, "Device.WiFi.Radio.1.Channel");
    assert_int_equal(d->fault.spv[1].code, 9007);
    assert_string_equal(d->fault.spv[1].string, "out of range");
    cwmp_msg_free(d);
    cwmp_msg_free(m);

    m = new_msg(CWMP_M_NONE, CWMP_FAULT);
    m->fault.code = 8005;
    m->fault.server = true;
    d = tu_round_trip(x->c, m);
    assert_int_equal(d->fault.code, 8005);
    assert_true(d->fault.server);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
}

static void test_versions(void **state)
{
    struct ctx *x = *state;

    for (int v = CWMP_V1_0; v <= CWMP_V1_4; v++) {
        struct cwmp_msg *m = new_msg(CWMP_M_INFORM, CWMP_RESPONSE);
        struct cwmp_msg *d;
        char uri[64];
        struct ub_buf b;

        m->version = (enum cwmp_version)v;
        m->id = tu_strdup("v");
        b = tu_encode(x->c, m);
        snprintf(uri, sizeof(uri), "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-%d\"", v);
        assert_contains(&b, uri);
        ub_buf_free(&b);
        d = tu_round_trip(x->c, m);
        assert_int_equal(d->version, v);
        cwmp_msg_free(d);
        cwmp_msg_free(m);
    }
}

static void expect_error(struct cwmp_codec *c, const char *doc, int want,
                         const char *reason_part)
{
    struct cwmp_msg *m = NULL;
    char err[256] = "";
    int rc = cwmp_decode(c, doc, strlen(doc), &m, err, sizeof(err));

    if (rc != want)
        fail_msg("want %s got %s (%s) for:\n%.300s", ub_strerror(want),
                 ub_strerror(rc), err, doc);
    if (want != UB_ENOTSUP)
        assert_null(m);
    if (reason_part && !strstr(err, reason_part))
        fail_msg("reason '%s' lacks '%s'", err, reason_part);
    cwmp_msg_free(m);
}

#define ENV_OPEN                                                               \
    "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/"    \
    "envelope/\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">"

static void test_empty_and_not_envelope(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = (struct cwmp_msg *)&m; /* must stay untouched */
    char err[128];

    assert_int_equal(cwmp_decode(x->c, "", 0, &m, err, sizeof(err)), UB_EPROTO);
    assert_ptr_equal(m, (struct cwmp_msg *)&m);
    assert_string_equal(err, "empty body");
    expect_error(x->c, " \r\n\t ", UB_EPROTO, "empty body");
    expect_error(x->c, ENV_OPEN "<SOAP-ENV:Body></SOAP-ENV:Body></SOAP-ENV:Envelope>",
                 UB_EPROTO, "empty SOAP Body");
    expect_error(x->c, ENV_OPEN "<SOAP-ENV:Body/></SOAP-ENV:Envelope>",
                 UB_EPROTO, NULL);
    expect_error(x->c, "<html><body>502 Bad Gateway</body></html>", UB_EPROTO,
                 "not a SOAP 1.1 envelope");
    expect_error(x->c, "HTTP/1.1 200 OK\r\n\r\n", UB_EPROTO, NULL);
    expect_error(x->c, "just text", UB_EPROTO, NULL);
    /* NULL err is fine; an empty POST may come as NULL, 0 */
    assert_int_equal(cwmp_decode(x->c, "", 0, &m, NULL, 0), UB_EPROTO);
    assert_int_equal(cwmp_decode(x->c, NULL, 0, &m, err, sizeof(err)),
                     UB_EPROTO);
    assert_string_equal(err, "empty body");
}

static void test_unknown_method(void **state)
{
    struct ctx *x = *state;
    const char *doc =
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/"
        "envelope/\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soapenv:Header>"
        "<cwmp:ID soapenv:mustUnderstand=\"1\">id-77</cwmp:ID></soapenv:Header>"
        "<soapenv:Body><cwmp:X_0000FF_Frobnicate><A>1</A>"
        "</cwmp:X_0000FF_Frobnicate></soapenv:Body></soapenv:Envelope>";
    struct cwmp_msg *m = NULL;
    char err[128];

    assert_int_equal(cwmp_decode(x->c, doc, strlen(doc), &m, err, sizeof(err)),
                     UB_ENOTSUP);
    assert_non_null(m);
    assert_int_equal(m->method, CWMP_M_NONE);
    assert_string_equal(m->id, "id-77");
    assert_int_equal(m->version, CWMP_V1_2);
    assert_non_null(strstr(err, "X_0000FF_Frobnicate"));
    cwmp_msg_free(m);
}

static void test_method_names(void **state)
{
    (void)state;
    assert_string_equal(cwmp_method_name(CWMP_M_NONE), "");
    assert_string_equal(cwmp_method_name(CWMP_M_MAX_), "");
    for (int i = CWMP_M_NONE + 1; i < CWMP_M_MAX_; i++) {
        const char *n = cwmp_method_name((enum cwmp_method)i);
        assert_true(*n);
        assert_int_equal(cwmp_method_from_name(n), i);
    }
    assert_int_equal(cwmp_method_from_name("InformResponse"), CWMP_M_NONE);
    assert_int_equal(cwmp_method_from_name(""), CWMP_M_NONE);
    assert_int_equal(cwmp_method_from_name(NULL), CWMP_M_NONE);
}

static void test_encode_invalid(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_NONE, CWMP_REQUEST);
    struct ub_buf b;

    ub_buf_init(&b, 1 << 20);
    assert_int_equal(cwmp_encode(x->c, m, &b), UB_EINVAL);
    cwmp_msg_free(m);
    /* output bound crossed -> error, buffer freed by ub_buf */
    m = make_inform();
    ub_buf_init(&b, 100);
    assert_int_equal(cwmp_encode(x->c, m, &b), UB_ETOOBIG);
    assert_null(b.data);
    cwmp_msg_free(m);
    /* the codec still works afterwards */
    m = make_inform();
    b = tu_encode(x->c, m);
    ub_buf_free(&b);
    cwmp_msg_free(m);
}

static void test_encode_appends(void **state)
{
    struct ctx *x = *state;
    struct cwmp_msg *m = new_msg(CWMP_M_INFORM, CWMP_RESPONSE);
    struct ub_buf b;

    ub_buf_init(&b, 1 << 20);
    assert_int_equal(ub_buf_appends(&b, "PREFIX"), UB_OK);
    assert_int_equal(cwmp_encode(x->c, m, &b), UB_OK);
    assert_memory_equal(b.data, "PREFIX<?xml", 11);
    ub_buf_free(&b);
    cwmp_msg_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inform_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inform_wire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inform_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gpv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gpn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_spv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_not_envelope, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, setup, teardown),
        cmocka_unit_test(test_method_names),
        cmocka_unit_test_setup_teardown(test_encode_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_appends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
