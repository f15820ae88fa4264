/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP codec against hostile input: malformed and truncated XML, billion
 * laughs, external entities, 10k-deep nesting, strings / arrays / envelopes
 * over the limits, lying arrayType counts, allocation failures at every
 * point.  Each case must fail cleanly (right error, no crash, no leak);
 * run it under the ASan build too.
 */
#include "codec_testutil.h"

#include <time.h>

static size_t mem0;

static int grp_setup(void **state)
{
    (void)state;
    mem0 = ub_mem_in_use();
    return 0;
}

static int grp_teardown(void **state)
{
    size_t now = ub_mem_in_use();
    (void)state;
    ub_mem_fail_after(-1);
    if (now != mem0) {
        fprintf(stderr, "leak: %zu bytes in use, %zu before\n", now, mem0);
        return -1;
    }
    return 0;
}

static struct cwmp_codec *codec(size_t env, unsigned depth, size_t elems,
                                size_t str)
{
    struct cwmp_codec_limits lim = {env, depth, elems, str};
    struct cwmp_codec *c = NULL;
    assert_int_equal(cwmp_codec_create(&lim, &c), UB_OK);
    return c;
}

static int decode(struct cwmp_codec *c, const char *doc, size_t len,
                  char *err, size_t errsz)
{
    struct cwmp_msg *m = NULL;
    int rc = cwmp_decode(c, doc, len, &m, err, errsz);
    if (rc == UB_OK || rc == UB_ENOTSUP)
        assert_non_null(m);
    else
        assert_null(m);
    cwmp_msg_free(m);
    return rc;
}

static void expect(struct cwmp_codec *c, const char *doc, int want,
                   const char *reason_part)
{
    char err[256] = "";
    int rc = decode(c, doc, strlen(doc), err, sizeof(err));
    if (rc != want)
        fail_msg("want %s got %s (%s) for:\n%.400s", ub_strerror(want),
                 ub_strerror(rc), err, doc);
    if (reason_part && !strstr(err, reason_part))
        fail_msg("reason '%s' lacks '%s'", err, reason_part);
}

#define ENV "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
            "xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" "                 \
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "                      \
            "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "                               \
            "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">"
#define BODY(x) ENV "<SOAP-ENV:Body>" x "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
#define GPVR(x)                                                                \
    BODY("<cwmp:GetParameterValuesResponse><ParameterList>" x                  \
         "</ParameterList></cwmp:GetParameterValuesResponse>")
#define PVS(n, v)                                                              \
    "<ParameterValueStruct><Name>" n "</Name><Value>" v                        \
    "</Value></ParameterValueStruct>"

static void test_malformed(void **state)
{
    struct cwmp_codec *c = codec(0, 0, 0, 0);
    (void)state;
    expect(c, ENV "<SOAP-ENV:Body><cwmp:GetRPCMethods></SOAP-ENV:Body>"
                  "</SOAP-ENV:Envelope>",
           UB_EPROTO, NULL);
    expect(c, BODY("<cwmp:GetParameterNames><ParameterPath>A. < B"
                   "</ParameterPath></cwmp:GetParameterNames>"),
           UB_EPROTO, NULL);
    expect(c, BODY("<cwmp:GetParameterNames><ParameterPath>A.&bogus"
                   "</ParameterPath></cwmp:GetParameterNames>"),
           UB_EPROTO, NULL);
    /* gSOAP's own leniency, kept on record: end-tag names are not compared,
     * unquoted attributes and bytes after the Envelope are tolerated. */
    expect(c, BODY("<cwmp:GetRPCMethods></cwmp:Inform>"), UB_OK, NULL);
    expect(c, BODY("<cwmp:GetRPCMethods a=b></cwmp:GetRPCMethods>"), UB_OK,
           NULL);
    expect(c, BODY("<cwmp:GetRPCMethods/>") "trailing<junk", UB_OK, NULL);
    expect(c, GPVR(PVS("A", "1") "<ParameterValueStruct><Name>B</Value>"),
           UB_EPROTO, NULL);
    expect(c, ENV "<SOAP-ENV:Body><cwmp:GetRPCMethods/>", UB_EPROTO, NULL);
    expect(c, "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/"
              "soap-envelope\"><SOAP-ENV:Body><GetRPCMethods/></SOAP-ENV:Body>"
              "</SOAP-ENV:Envelope>",
           UB_EPROTO, NULL);
    expect(c, "<x:Envelope xmlns:x=\"urn:not-soap\"><x:Body><GetRPCMethods/>"
              "</x:Body></x:Envelope>",
           UB_EPROTO, NULL);
    expect(c, "<?xml version=\"1.0\"?>", UB_EPROTO, NULL);
    expect(c, "<", UB_EPROTO, NULL);
    expect(c, "\xef\xbb\xbf", UB_EPROTO, NULL);
    /* unknown header with mustUnderstand="1" */
    expect(c, ENV "<SOAP-ENV:Header><x:Sec xmlns:x=\"urn:x\" "
                  "SOAP-ENV:mustUnderstand=\"1\">s</x:Sec></SOAP-ENV:Header>"
                  "<SOAP-ENV:Body><cwmp:GetRPCMethods/></SOAP-ENV:Body>"
                  "</SOAP-ENV:Envelope>",
           UB_EPROTO, "mustUnderstand");
    /* ... but with mustUnderstand="0" it is ignored */
    expect(c, ENV "<SOAP-ENV:Header><x:Sec xmlns:x=\"urn:x\" "
                  "SOAP-ENV:mustUnderstand=\"0\">s</x:Sec></SOAP-ENV:Header>"
                  "<SOAP-ENV:Body><cwmp:GetRPCMethods/></SOAP-ENV:Body>"
                  "</SOAP-ENV:Envelope>",
           UB_OK, NULL);
    /* unknown headers without mustUnderstand, unknown children: skipped */
    expect(c, ENV "<SOAP-ENV:Header><x:Sec xmlns:x=\"urn:x\">s</x:Sec>"
                  "<cwmp:X_Foo>1</cwmp:X_Foo></SOAP-ENV:Header>"
                  "<SOAP-ENV:Body><cwmp:GetParameterNames><X_Vendor><a>1</a>"
                  "</X_Vendor><ParameterPath>A.</ParameterPath><NextLevel>1"
                  "</NextLevel></cwmp:GetParameterNames></SOAP-ENV:Body>"
                  "</SOAP-ENV:Envelope>",
           UB_OK, NULL);
    /* bad numbers and booleans */
    expect(c, BODY("<cwmp:AddObjectResponse><InstanceNumber>x7</InstanceNumber>"
                   "<Status>0</Status></cwmp:AddObjectResponse>"),
           UB_EPROTO, "InstanceNumber");
    expect(c, BODY("<cwmp:AddObjectResponse><InstanceNumber>99999999999"
                   "</InstanceNumber><Status>0</Status></cwmp:AddObjectResponse>"),
           UB_EPROTO, "InstanceNumber");
    expect(c, BODY("<cwmp:GetParameterNames><ParameterPath>A.</ParameterPath>"
                   "<NextLevel>maybe</NextLevel></cwmp:GetParameterNames>"),
           UB_EPROTO, "NextLevel");
    expect(c, BODY("<cwmp:ChangeDUState><Operations xsi:type=\"cwmp:FooOp\">"
                   "<URL>u</URL></Operations></cwmp:ChangeDUState>"),
           UB_EPROTO, "xsi:type");
    expect(c, BODY("<cwmp:Inform></cwmp:Inform>"), UB_EPROTO, "DeviceId");
    /* NUL bytes and binary garbage */
    {
        static const char bin[] = "<SOAP-ENV:Envelope\0\x01\x02\xff\xfe>";
        char err[128];
        int rc = decode(c, bin, sizeof(bin) - 1, err, sizeof(err));
        assert_int_not_equal(rc, UB_OK);
    }
    cwmp_codec_destroy(c);
}

static void test_truncated_everywhere(void **state)
{
    struct cwmp_codec *c = codec(0, 0, 0, 0);
    size_t len;
    char *doc = tu_slurp("inform_tr098_soapenv_bootstrap.xml", &len);
    const char *end = strstr(doc, "</soapenv:Envelope>");
    size_t complete;
    (void)state;
    assert_non_null(end);
    complete = (size_t)(end - doc) + strlen("</soapenv:Envelope>");
    for (size_t n = 0; n < len; n++) {
        char *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
        char err[128];
        int rc;
        assert_non_null(copy);
        memcpy(copy, doc, n);
        rc = decode(c, copy, n, err, sizeof(err));
        if (n < complete && rc == UB_OK)
            fail_msg("prefix of %zu bytes decoded", n);
        if (n >= complete)
            assert_int_equal(rc, UB_OK);
        free(copy);
    }
    free(doc);
    cwmp_codec_destroy(c);
}

static void test_billion_laughs_and_xxe(void **state)
{
    struct cwmp_codec *c = codec(0, 0, 0, 0);
    (void)state;
    expect(c,
           "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
           " <!ENTITY lol \"lol\">\n"
           " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
           " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
           " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
           "]>\n" GPVR(PVS("A", "&lol3;")),
           UB_EPROTO, "DTD");
    expect(c,
           "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "
           "\"file:///etc/passwd\">]>" GPVR(PVS("A", "&xxe;")),
           UB_EPROTO, "DTD");
    expect(c, "<!DOCTYPE SOAP-ENV:Envelope SYSTEM \"http://evil/x.dtd\">"
              BODY("<cwmp:GetRPCMethods/>"),
           UB_EPROTO, "DTD");
    /* Entity references without any DTD are never expanded. */
    {
        const char *doc = GPVR(PVS("A", "&lol3;x&xxe;"));
        struct cwmp_msg *m = NULL;
        int rc = cwmp_decode(c, doc, strlen(doc), &m, NULL, 0);
        if (rc == UB_OK) {
            assert_int_equal(m->params.n, 1);
            assert_null(strstr(m->params.v[0].value, "lollol"));
            assert_null(strstr(m->params.v[0].value, "root:"));
        }
        cwmp_msg_free(m);
    }
    cwmp_codec_destroy(c);
}

static char *deep_doc(const char *pre, const char *open, const char *close,
                      unsigned depth, const char *post)
{
    size_t cap = strlen(pre) + strlen(post) +
                 depth * (strlen(open) + (close ? strlen(close) : 0)) + 1;
    char *d = malloc(cap), *p;
    assert_non_null(d);
    p = d + sprintf(d, "%s", pre);
    for (unsigned i = 0; i < depth; i++)
        p += sprintf(p, "%s", open);
    if (close)
        for (unsigned i = 0; i < depth; i++)
            p += sprintf(p, "%s", close);
    sprintf(p, "%s", post);
    return d;
}

static void test_deep_nesting(void **state)
{
    struct cwmp_codec *c = codec(0, 0, 0, 0);
    static const struct {
        const char *pre, *post;
    } where[] = {
        {ENV "<SOAP-ENV:Body>", "</SOAP-ENV:Body></SOAP-ENV:Envelope>"},
        {ENV "<SOAP-ENV:Body><cwmp:X_Unknown>",
         "</cwmp:X_Unknown></SOAP-ENV:Body></SOAP-ENV:Envelope>"},
        {ENV "<SOAP-ENV:Body><cwmp:Inform><DeviceId>",
         "</DeviceId></cwmp:Inform></SOAP-ENV:Body></SOAP-ENV:Envelope>"},
        {ENV "<SOAP-ENV:Header>",
         "</SOAP-ENV:Header><SOAP-ENV:Body><cwmp:GetRPCMethods/>"
         "</SOAP-ENV:Body></SOAP-ENV:Envelope>"},
        {ENV "<SOAP-ENV:Body><cwmp:GetParameterValuesResponse><ParameterList>"
             "<ParameterValueStruct><Name>A</Name><Value>",
         "</Value></ParameterValueStruct></ParameterList>"
         "</cwmp:GetParameterValuesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"},
    };
    (void)state;
    for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
        for (int closed = 0; closed < 2; closed++) {
            /* the attribute holds a '>' on purpose */
            char *d = deep_doc(where[w].pre, "<a x='>'>", closed ? "</a>" : NULL,
                               10000, where[w].post);
            struct timespec t0, t1;
            char err[128];
            int rc;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            rc = decode(c, d, strlen(d), err, sizeof(err));
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (rc != UB_ETOOBIG)
                fail_msg("case %zu/%d: %s (%s)", w, closed, ub_strerror(rc), err);
            assert_non_null(strstr(err, "nesting"));
            /* "quickly": well under 50 ms even under ASan */
            assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L +
                            (t1.tv_nsec - t0.tv_nsec) <
                        50000000L);
            free(d);
        }
    }
    /* Comments, CDATA, PIs and empty elements do not count as depth. */
    {
        char *d = deep_doc(ENV "<SOAP-ENV:Body><cwmp:GetRPCMethods>",
                           "<x/><!-- <a><a> --><![CDATA[<a><a>]]><?pi <a>?>",
                           NULL, 200,
                           "</cwmp:GetRPCMethods></SOAP-ENV:Body></SOAP-ENV:Envelope>");
        char err[128];
        int rc = decode(c, d, strlen(d), err, sizeof(err));
        assert_int_equal(rc, UB_OK);
        free(d);
    }
    cwmp_codec_destroy(c);
}

static void test_limits(void **state)
{
    struct cwmp_codec *c = codec(4096, 12, 3, 16);
    char err[128];
    char *big;
    (void)state;
    /* within limits */
    expect(c, GPVR(PVS("A", "0123456789abcde") PVS("B", "1") PVS("C", "2")),
           UB_OK, NULL);
    /* string over max_string */
    expect(c, GPVR(PVS("A", "0123456789abcdef0")), UB_ETOOBIG, NULL);
    /* array over max_elements */
    expect(c, GPVR(PVS("A", "1") PVS("B", "1") PVS("C", "1") PVS("D", "1")),
           UB_ETOOBIG, NULL);
    /* an attribute is a string too */
    expect(c, BODY("<cwmp:GetParameterValuesResponse><ParameterList "
                   "SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[2147483647]\">"
                   PVS("A", "1") "</ParameterList>"
                   "</cwmp:GetParameterValuesResponse>"),
           UB_ETOOBIG, "string longer");
    cwmp_codec_destroy(c);
    c = codec(4096, 12, 3, 0);
    /* a lying arrayType count sizes nothing */
    expect(c, BODY("<cwmp:GetParameterValuesResponse><ParameterList "
                   "SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[2147483647]\">"
                   PVS("A", "1") "</ParameterList>"
                   "</cwmp:GetParameterValuesResponse>"),
           UB_OK, NULL);
    expect(c, BODY("<cwmp:GetParameterValuesResponse><ParameterList "
                   "SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[-5]\">"
                   PVS("A", "1") "</ParameterList>"
                   "</cwmp:GetParameterValuesResponse>"),
           UB_OK, NULL);
    /* envelope over max_envelope, refused before parsing */
    big = malloc(5000);
    assert_non_null(big);
    memset(big, ' ', 4999);
    big[4999] = '\0';
    memcpy(big, ENV, strlen(ENV));
    assert_int_equal(decode(c, big, 4999, err, sizeof(err)), UB_ETOOBIG);
    assert_non_null(strstr(err, "4999"));
    free(big);
    /* deeper than max_depth 12 but otherwise harmless */
    expect(c, BODY("<cwmp:GetRPCMethods><a><b><c><d><e><f><g><h><i><j>"
                   "</j></i></h></g></f></e></d></c></b></a></cwmp:GetRPCMethods>"),
           UB_ETOOBIG, "nesting");
    /* the codec is still usable after all those errors */
    expect(c, GPVR(PVS("A", "ok")), UB_OK, NULL);
    cwmp_codec_destroy(c);

    /* many strings in a GetParameterValues request */
    c = codec(0, 0, 1000, 0);
    {
        size_t n = 1001, cap = n * 40 + 1024;
        char *d = malloc(cap), *p;
        assert_non_null(d);
        p = d + sprintf(d, ENV "<SOAP-ENV:Body><cwmp:GetParameterValues>"
                               "<ParameterNames>");
        for (size_t i = 0; i < n; i++)
            p += sprintf(p, "<string>Device.P%zu</string>", i);
        sprintf(p, "</ParameterNames></cwmp:GetParameterValues></SOAP-ENV:Body>"
                   "</SOAP-ENV:Envelope>");
        assert_int_equal(decode(c, d, strlen(d), err, sizeof(err)), UB_ETOOBIG);
        free(d);
    }
    cwmp_codec_destroy(c);
}

/* Found by fuzzing: an xsd namespace URI cut by a NUL byte made gSOAP hand
 * over "URI":boolean QNames, which it then wrote back as xsi:type="". */
static void test_odd_type_qnames(void **state)
{
    static const char doc[] =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSc\0\x11ma\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns:v=\"urn:vendor\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\">"
        "<s:Body><cwmp:GetParameterValuesResponse><ParameterList>"
        "<ParameterValueStruct><Name>A</Name><Value xsi:type=\"xsd:boolean\">"
        "1</Value></ParameterValueStruct>"
        "<ParameterValueStruct><Name>B</Name><Value xsi:type=\"v:thing\">"
        "x</Value></ParameterValueStruct>"
        "<ParameterValueStruct><Name>C</Name><Value xsi:type=\"a b\">"
        "y</Value></ParameterValueStruct>"
        "</ParameterList></cwmp:GetParameterValuesResponse></s:Body>"
        "</s:Envelope>";
    struct cwmp_codec *c = codec(0, 0, 0, 0);
    struct cwmp_msg *m = tu_decode_str(c, doc, sizeof(doc) - 1), *d;
    struct ub_buf b;
    (void)state;
    assert_int_equal(m->params.n, 3);
    assert_int_equal(m->params.v[0].type, UB_T_BOOL);
    assert_int_equal(m->params.v[1].type, UB_T_NONE);
    assert_string_equal(m->params.v[1].type_name, "thing");
    assert_int_equal(m->params.v[2].type, UB_T_NONE);
    assert_null(m->params.v[2].type_name);
    b = tu_encode(c, m);
    assert_false(tu_contains(&b, "xsi:type=\"\""));
    assert_contains(&b, "<Value xsi:type=\"thing\">x</Value>");
    ub_buf_free(&b);
    d = tu_round_trip(c, m);
    cwmp_msg_free(d);
    cwmp_msg_free(m);
    cwmp_codec_destroy(c);
}

/* curl "torture": fail the Nth ub_malloc for every N during a decode. */
static void test_alloc_failures(void **state)
{
    static const char *const files[] = {
        "inform_boot_soapenc_nocount.xml",
        "fault_spv_soap.xml",
        "gpa_response.xml",
    };
    (void)state;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        size_t len;
        char *doc = tu_slurp(files[f], &len);
        struct cwmp_codec *c = codec(0, 0, 0, 0);
        bool succeeded = false;
        for (long n = 0; n < 2000 && !succeeded; n++) {
            struct cwmp_msg *m = NULL;
            size_t before = ub_mem_in_use();
            int rc;
            ub_mem_fail_after(n);
            rc = cwmp_decode(c, doc, len, &m, NULL, 0);
            ub_mem_fail_after(-1);
            if (rc == UB_OK) {
                succeeded = true;
                cwmp_msg_free(m);
            } else {
                assert_int_equal(rc, UB_ENOMEM);
                assert_null(m);
            }
            assert_int_equal(ub_mem_in_use(), before);
        }
        assert_true(succeeded);
        cwmp_codec_destroy(c);
        free(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_billion_laughs_and_xxe),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_odd_type_qnames),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, grp_setup, grp_teardown);
}
