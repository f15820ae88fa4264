/*
 * Unit tests: USP path name parser and resolver.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * The resolver runs over a small ub_tree implemented here on an array kept
 * in data-model order (instances numerically: 1, 2, 10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <ub/usp.h>

/* ------------------------------------------------------------------ */
/* The test tree                                                       */
/* ------------------------------------------------------------------ */

#define O UB_T_OBJECT
static const struct ub_node nodes[] = {
    {"Device.", O, false, NULL},
    {"Device.DeviceInfo.", O, false, NULL},
    {"Device.DeviceInfo.SerialNumber", UB_T_STRING, false, "SN1"},
    {"Device.IP.", O, false, NULL},
    {"Device.IP.Interface.", O, true, NULL},
    {"Device.IP.Interface.1.", O, false, NULL},
    {"Device.IP.Interface.1.Alias", UB_T_STRING, true, "cpe-wan"},
    {"Device.IP.Interface.1.Enable", UB_T_BOOL, true, "true"},
    {"Device.IP.Interface.1.Name", UB_T_STRING, false, "eth0"},
    {"Device.IP.Interface.1.Type", UB_T_STRING, false, "Normal"},
    {"Device.IP.Interface.1.Stats.", O, false, NULL},
    {"Device.IP.Interface.1.Stats.BytesSent", UB_T_ULONG, false, "5000"},
    {"Device.IP.Interface.1.IPv4Address.", O, true, NULL},
    {"Device.IP.Interface.1.IPv4Address.1.", O, false, NULL},
    {"Device.IP.Interface.1.IPv4Address.1.IPAddress", UB_T_STRING, true,
     "192.168.1.1"},
    {"Device.IP.Interface.1.IPv4Address.1.AddressingType", UB_T_STRING,
     false, "Static"},
    {"Device.IP.Interface.1.IPv4Address.2.", O, false, NULL},
    {"Device.IP.Interface.1.IPv4Address.2.IPAddress", UB_T_STRING, true,
     "10.0.0.1"},
    {"Device.IP.Interface.1.IPv4Address.2.AddressingType", UB_T_STRING,
     false, "DHCP"},
    {"Device.IP.Interface.2.", O, false, NULL},
    {"Device.IP.Interface.2.Alias", UB_T_STRING, true, "cpe-lan"},
    {"Device.IP.Interface.2.Enable", UB_T_BOOL, true, "false"},
    {"Device.IP.Interface.2.Name", UB_T_STRING, false, "br0"},
    {"Device.IP.Interface.2.Type", UB_T_STRING, false, "Normal"},
    {"Device.IP.Interface.2.Stats.", O, false, NULL},
    {"Device.IP.Interface.2.Stats.BytesSent", UB_T_ULONG, false, "999"},
    {"Device.IP.Interface.2.IPv4Address.", O, true, NULL},
    {"Device.IP.Interface.10.", O, false, NULL},
    {"Device.IP.Interface.10.Alias", UB_T_NONE, true, "lo"},
    {"Device.IP.Interface.10.Description", UB_T_NONE, true, "lo \"x\" 5%"},
    {"Device.IP.Interface.10.Enable", UB_T_NONE, true, "1"},
    {"Device.IP.Interface.10.Name", UB_T_NONE, false, "lo"},
    {"Device.IP.Interface.10.Type", UB_T_NONE, false, "Loopback"},
    {"Device.IP.Interface.10.Stats.", O, false, NULL},
    /* no type: numeric compare is inferred */
    {"Device.IP.Interface.10.Stats.BytesSent", UB_T_NONE, false, "20000"},
    {"Device.IP.Interface.10.Stats.Temp", UB_T_INT, false, "-5"},
    {"Device.NAT.", O, false, NULL},
    {"Device.NAT.PortMapping.", O, true, NULL},
    {"Device.NAT.PortMapping.1.", O, false, NULL},
    {"Device.NAT.PortMapping.1.Interface", UB_T_STRING, true,
     "Device.IP.Interface.2"},
    {"Device.NAT.PortMapping.2.", O, false, NULL},
    {"Device.NAT.PortMapping.2.Interface", UB_T_STRING, true,
     "Device.IP.Interface.[Name==\"eth0\"]."},
    {"Device.NAT.PortMapping.3.", O, false, NULL},
    {"Device.NAT.PortMapping.3.Interface", UB_T_STRING, true, ""},
    {"Device.WiFi.", O, false, NULL},
    {"Device.WiFi.Radio.", O, false, NULL},
    {"Device.WiFi.Radio.1.", O, false, NULL},
    {"Device.WiFi.Radio.1.Name", UB_T_STRING, false, "wifi0"},
    {"Device.WiFi.Radio.1.SupportedStandards", UB_T_STRING, false,
     "a,n,ac"},
    {"Device.WiFi.Radio.2.", O, false, NULL},
    {"Device.WiFi.Radio.2.Name", UB_T_STRING, false, "wifi1"},
    {"Device.WiFi.Radio.2.SupportedStandards", UB_T_STRING, false,
     "b, g, n"},
    {"Device.WiFi.SSID.", O, true, NULL},
    {"Device.WiFi.SSID.1.", O, false, NULL},
    {"Device.WiFi.SSID.1.LowerLayers", UB_T_STRING, true,
     "Device.WiFi.Radio.1, Device.WiFi.Radio.2"},
    {"Device.WiFi.SSID.1.SSID", UB_T_STRING, true, "home"},
    {"Device.WiFi.SSID.2.", O, false, NULL},
    {"Device.WiFi.SSID.2.LowerLayers", UB_T_STRING, true,
     "Device.WiFi.Radio.2."},
    {"Device.WiFi.SSID.2.SSID", UB_T_STRING, true, "guest"},
    {"Device.WiFi.AccessPoint.", O, true, NULL},
    {"Device.WiFi.AccessPoint.1.", O, false, NULL},
    {"Device.WiFi.AccessPoint.1.SSIDReference", UB_T_STRING, true,
     "Device.WiFi.SSID.1"},
    {"Device.WiFi.AccessPoint.2.", O, false, NULL},
    {"Device.WiFi.AccessPoint.2.SSIDReference", UB_T_STRING, true,
     "Device.WiFi.SSID.2."},
    /* a reference loop: follows itself */
    {"Device.X_Loop.", O, false, NULL},
    {"Device.X_Loop.Self", UB_T_STRING, false, "Device.X_Loop."},
    /* a value that is itself a reference path: recursion is bounded */
    {"Device.X_Loop.Self2", UB_T_STRING, false, "Device.X_Loop.Self2+."},
};

struct tctx {
    const char *fail_on; /* lookup of this path returns UB_EDB */
    unsigned lookups;
};

static int t_lookup(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct tctx *t = ctx;
    t->lookups++;
    if (t->fail_on && !strcmp(path, t->fail_on))
        return UB_EDB;
    for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++)
        if (!strcmp(nodes[i].path, path))
            return cb(user, &nodes[i]);
    return UB_ENOTFOUND;
}

/* A direct child: the rest after 'path' is "name" or "seg." */
static bool is_child(const char *path, const char *cand)
{
    size_t n = strlen(path);
    const char *rest, *dot;
    if (strncmp(cand, path, n) != 0 || !cand[n])
        return false;
    rest = cand + n;
    dot = strchr(rest, '.');
    return !dot || dot[1] == '\0';
}

static int t_children(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    (void)ctx;
    bool found = false;
    for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++) {
        if (!strcmp(nodes[i].path, path))
            found = true;
        if (is_child(path, nodes[i].path)) {
            int rc = cb(user, &nodes[i]);
            if (rc)
                return rc;
        }
    }
    return found ? UB_OK : UB_ENOTFOUND;
}

static int t_subtree(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    (void)ctx;
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++)
        if (!strncmp(nodes[i].path, path, n)) {
            int rc = cb(user, &nodes[i]);
            if (rc)
                return rc;
        }
    return UB_OK;
}

static const struct ub_tree_ops t_ops = {t_lookup, t_children, t_subtree};
static struct tctx tc;
static const struct ub_tree tree = {&t_ops, &tc};

/* Resolves text and returns the results joined with '|' (static buffer);
 * checks the missing flag against want_missing. */
static const char *resolve(const char *text, bool want_missing)
{
    static char out[2048];
    struct usp_path *p = NULL;
    struct usp_path_err pe;
    struct usp_resolved r;

    out[0] = '\0';
    if (usp_path_parse(text, &p, &pe) != UB_OK)
        fail_msg("parse failed for %s: %s at %zu", text, pe.msg, pe.offset);
    assert_int_equal(usp_path_resolve(p, &tree, NULL, &r), UB_OK);
    for (size_t i = 0; i < r.paths.n; i++) {
        if (i)
            strcat(out, "|");
        strcat(out, r.paths.v[i]);
    }
    if (r.missing != want_missing)
        fail_msg("%s: missing=%d, wanted %d (got '%s')", text, r.missing,
                 want_missing, out);
    assert_int_equal(r.is_search, usp_path_is_search(p));
    usp_resolved_free(&r);
    usp_path_free(p);
    return out;
}

/* ------------------------------------------------------------------ */
/* Parser table                                                        */
/* ------------------------------------------------------------------ */

static void test_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum usp_path_kind kind;
        bool search;
    } ok[] = {
        {"Device.", USP_PATH_OBJECT, false},
        {"Device.IP.Interface.1.Name", USP_PATH_PARAM, false},
        {"Device.IP.Interface.4294967295.", USP_PATH_OBJECT, false},
        {"Device.IP.Interface.*.", USP_PATH_OBJECT, true},
        {"Device.IP.Interface.[Name==\"eth0\"].", USP_PATH_OBJECT, true},
        {"Device.IP.Interface.[Type==\"Normal\"&&Stats.ErrorsSent>0]."
         "IPv4Address.[AddressingType==\"Static\"].IPAddress",
         USP_PATH_PARAM, true},
        {"Device.DSL.Line.[Enable==true].CurrentProfile", USP_PATH_PARAM,
         true},
        {"Device.IP.Interface.*.IPv6Address.[ValidLifetime<"
         "2021-06-06T08:00:00Z].IPAddress",
         USP_PATH_PARAM, true},
        {"Device.USB.USBHosts.Host.*.Device.[DeviceClass==08].",
         USP_PATH_OBJECT, true},
        {"Device.PCP.Client.*.Server.[Capabilities~=\"IPv6Firewall\"].",
         USP_PATH_OBJECT, true},
        {"Device.NAT.PortMapping.[RemoteHost==\"\"&&ExternalPort==0&&"
         "Protocol==\"TCP\"].",
         USP_PATH_OBJECT, true},
        {"Device.NAT.PortMapping.1.Interface+.Name", USP_PATH_PARAM, false},
        {"Device.NAT.PortMapping.1.Interface+.", USP_PATH_OBJECT, false},
        {"Device.WiFi.SSID.1.LowerLayers#1+.Name", USP_PATH_PARAM, false},
        {"Device.WiFi.SSID.1.LowerLayers#*+.", USP_PATH_OBJECT, true},
        {"Device.WiFi.AccessPoint.[SSIDReference+.SSID==\"MyHome\"]."
         "AssociatedDevice.[OperatingStandard==\"ac\"].SignalStrength",
         USP_PATH_PARAM, true},
        {"Device.IP.Interface.[Name==\"eth0\"].Reset()", USP_PATH_COMMAND,
         true},
        {"Device.Boot!", USP_PATH_EVENT, false},
        {"Device.IP.Interface.[cpe-1].", USP_PATH_OBJECT, false},
        {"Device.X_00D09E_Foo.Bar-Baz", USP_PATH_PARAM, false},
        {"Device.IP.Interface.[Type == \"Normal\"].Status", USP_PATH_PARAM,
         true},
        {"Device.IP.Interface.[Name==\"a]b&&c==d\"].", USP_PATH_OBJECT,
         true},
        {"Device.X.[Temp>=-5&&Temp<=+7].", USP_PATH_OBJECT, true},
        {"Device.X.[A.B#2+.C==1].", USP_PATH_OBJECT, true},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        struct usp_path *p = NULL;
        struct usp_path_err pe;
        int rc = usp_path_parse(ok[i].text, &p, &pe);
        if (rc != UB_OK)
            fail_msg("valid path refused: %s (%s at %zu)", ok[i].text,
                     pe.msg, pe.offset);
        assert_int_equal(usp_path_get_kind(p), ok[i].kind);
        if (usp_path_is_search(p) != ok[i].search)
            fail_msg("is_search wrong for %s", ok[i].text);
        assert_string_equal(usp_path_text(p), ok[i].text);
        usp_path_free(p);
    }
}

static void test_parse_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", ".", "Device", "Reset()", "Boot!", "Device..", ".Device.",
        "Device.IP.Interface.[].",
        "Device.IP.Interface.{Type==\"Normal\"}.Status",
        ("Device.IP.Interface.[Type==\"Normal\"&&IPv4Address.*."
         "AddressingType==\"Static\"].Status"),
        "Device.1.", "Device.*.", "Device.IP.Interface.01.",
        "Device.IP.Interface.0.", "Device.IP.Interface.1.2.",
        "Device.IP.Interface.1.*.", "Device.IP.Interface.4294967296.",
        "Device.IP.Interface.*", "Device.IP.Interface.[Name==\"eth0\"]",
        "Device.IP.Interface.[Name==\"eth0\".",
        "Device.IP.Interface.[Name==].",
        "Device.IP.Interface.[Name=\"x\"].",
        "Device.IP.Interface.[Name==\"x\"&&].",
        "Device.IP.Interface.[Name==\"x\"||Type==\"y\"].",
        "Device.IP.Interface.[Name==\"unterminated].",
        "Device.IP.Interface.[a b].", "Device.IP.Interface.[Name==\"x\"]x.",
        "Device.IP.Interface.[1Name==1].", "Device.X+", "Device.X+Y.",
        "Device.X#1.", "Device.X#0+.", "Device.X#+.", "Device.X#1+",
        "Device.Reset(x)", "Device.Reset()x", "Device.Reset(", "Device.Boot!x",
        "Device.IP Interface.", "Device.IP.Interface.[A+==1].",
        "Device.IP.Interface.[A.==1].", " Device.", "Device. ",
        "Device.\xc3\xa9.", "Device.IP.Interface.*.[A==1].",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct usp_path *p = (struct usp_path *)0x1;
        struct usp_path_err pe;
        int rc = usp_path_parse(bad[i], &p, &pe);
        if (rc != UB_EPROTO)
            fail_msg("invalid path accepted (rc %d): '%s'", rc, bad[i]);
        assert_ptr_equal(p, (struct usp_path *)0x1);
        assert_true(pe.msg[0] != '\0');
    }
    /* too long */
    char big[UB_PATH_MAX + 16];
    memset(big, 'A', sizeof(big) - 1);
    big[0] = 'D';
    big[sizeof(big) - 2] = '.';
    big[sizeof(big) - 1] = '\0';
    struct usp_path *p = NULL;
    assert_int_equal(usp_path_parse(big, &p, NULL), UB_EPROTO);
    /* too many segments */
    char segs[600] = "Device.";
    for (int i = 0; i < USP_PATH_MAX_SEGS + 2; i++)
        strcat(segs, "A.");
    assert_int_equal(usp_path_parse(segs, &p, NULL), UB_EPROTO);
    assert_int_equal(usp_path_parse(NULL, &p, NULL), UB_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Resolution                                                          */
/* ------------------------------------------------------------------ */

static void test_exact(void **state)
{
    (void)state;
    assert_string_equal(resolve("Device.DeviceInfo.SerialNumber", false),
                        "Device.DeviceInfo.SerialNumber");
    assert_string_equal(resolve("Device.IP.", false), "Device.IP.");
    assert_string_equal(resolve("Device.IP.Interface.10.Name", false),
                        "Device.IP.Interface.10.Name");
    assert_string_equal(resolve("Device.IP.Interface.5.Name", true), "");
    assert_string_equal(resolve("Device.Nope.", true), "");
    assert_string_equal(resolve("Device.IP", true), ""); /* an object */
    assert_string_equal(resolve("Device.IP.Interface.1.Name.", true), "");
    assert_string_equal(resolve("Device.Boot!", false), "Device.Boot!");
}

static void test_wildcard(void **state)
{
    (void)state;
    assert_string_equal(resolve("Device.IP.Interface.*.", false),
                        "Device.IP.Interface.1.|Device.IP.Interface.2.|"
                        "Device.IP.Interface.10.");
    assert_string_equal(resolve("Device.IP.Interface.*.Name", false),
                        "Device.IP.Interface.1.Name|Device.IP.Interface.2."
                        "Name|Device.IP.Interface.10.Name");
    assert_string_equal(resolve("Device.IP.Interface.*.IPv4Address.*."
                                "IPAddress",
                                false),
                        "Device.IP.Interface.1.IPv4Address.1.IPAddress|"
                        "Device.IP.Interface.1.IPv4Address.2.IPAddress");
    /* a wildcard that matches nothing is an empty search, not missing */
    assert_string_equal(resolve("Device.IP.Interface.2.IPv4Address.*.", false),
                        "");
    assert_string_equal(resolve("Device.IP.Interface.*.Reset()", false),
                        "Device.IP.Interface.1.Reset()|Device.IP.Interface."
                        "2.Reset()|Device.IP.Interface.10.Reset()");
}

static void test_search(void **state)
{
    (void)state;
    assert_string_equal(
        resolve("Device.IP.Interface.[Name==\"eth0\"].Type", false),
        "Device.IP.Interface.1.Type");
    assert_string_equal(
        resolve("Device.IP.Interface.[Name != \"eth0\"].", false),
        "Device.IP.Interface.2.|Device.IP.Interface.10.");
    /* && with a relative path into a sub-object, numeric compare */
    assert_string_equal(resolve("Device.IP.Interface.[Type==\"Normal\"&&"
                                "Stats.BytesSent>1000].",
                                false),
                        "Device.IP.Interface.1.");
    /* numeric, not string, order: strcmp("5000","999") < 0 */
    assert_string_equal(resolve("Device.IP.Interface.[Stats.BytesSent>999].",
                                false),
                        "Device.IP.Interface.1.|Device.IP.Interface.10.");
    assert_string_equal(
        resolve("Device.IP.Interface.[Stats.BytesSent>=999].Name", false),
        "Device.IP.Interface.1.Name|Device.IP.Interface.2.Name|"
        "Device.IP.Interface.10.Name");
    assert_string_equal(
        resolve("Device.IP.Interface.[Stats.BytesSent<=999].", false),
        "Device.IP.Interface.2.");
    assert_string_equal(
        resolve("Device.IP.Interface.[Stats.BytesSent<1000].", false),
        "Device.IP.Interface.2.");
    assert_string_equal(
        resolve("Device.IP.Interface.[Stats.BytesSent!=999].", false),
        "Device.IP.Interface.1.|Device.IP.Interface.10.");
    assert_string_equal(
        resolve("Device.IP.Interface.[Stats.Temp<0].", false),
        "Device.IP.Interface.10.");
    assert_string_equal(
        resolve("Device.IP.Interface.[Stats.Temp>-6&&Stats.Temp<=-5].",
                false),
        "Device.IP.Interface.10.");
    /* booleans: true/1, false/0 */
    assert_string_equal(resolve("Device.IP.Interface.[Enable==true].", false),
                        "Device.IP.Interface.1.|Device.IP.Interface.10.");
    assert_string_equal(resolve("Device.IP.Interface.[Enable==1].", false),
                        "Device.IP.Interface.1.|Device.IP.Interface.10.");
    assert_string_equal(resolve("Device.IP.Interface.[Enable==false].",
                                false),
                        "Device.IP.Interface.2.");
    assert_string_equal(resolve("Device.IP.Interface.[Enable!=0].", false),
                        "Device.IP.Interface.1.|Device.IP.Interface.10.");
    /* strings compare as strings */
    assert_string_equal(resolve("Device.IP.Interface.[Name>\"c\"].", false),
                        "Device.IP.Interface.1.|Device.IP.Interface.10.");
    /* percent escapes in literals */
    assert_string_equal(
        resolve("Device.IP.Interface.[Description==\"lo %22x%22 5%25\"].",
                false),
        "Device.IP.Interface.10.");
    /* nested searches */
    assert_string_equal(
        resolve("Device.IP.Interface.[Type==\"Normal\"].IPv4Address."
                "[AddressingType==\"Static\"].IPAddress",
                false),
        "Device.IP.Interface.1.IPv4Address.1.IPAddress");
    /* list contains */
    assert_string_equal(
        resolve("Device.WiFi.Radio.[SupportedStandards~=\"ac\"].Name", false),
        "Device.WiFi.Radio.1.Name");
    assert_string_equal(
        resolve("Device.WiFi.Radio.[SupportedStandards~=\"n\"].Name", false),
        "Device.WiFi.Radio.1.Name|Device.WiFi.Radio.2.Name");
    assert_string_equal(
        resolve("Device.WiFi.Radio.[SupportedStandards~=\"a\"].", false),
        "Device.WiFi.Radio.1.");
    /* no match, missing parameter: empty search, not an error */
    assert_string_equal(
        resolve("Device.IP.Interface.[Name==\"zzz\"].", false), "");
    assert_string_equal(resolve("Device.IP.Interface.[Nope==1].", false), "");
    /* the missing flag and the per-message verdict */
    {
        struct usp_path *p = NULL;
        struct usp_resolved r;
        assert_int_equal(usp_path_parse("Device.IP.Interface.[Name==\"z\"].",
                                        &p, NULL),
                         UB_OK);
        assert_int_equal(usp_path_resolve(p, &tree, NULL, &r), UB_OK);
        assert_int_equal(r.paths.n, 0);
        assert_false(r.missing);
        assert_int_equal(usp_resolve_nomatch_err(USP_MSG_GET, &r), 0);
        assert_int_equal(usp_resolve_nomatch_err(USP_MSG_SET, &r), 0);
        usp_resolved_free(&r);
        usp_path_free(p);
        assert_int_equal(usp_path_parse("Device.IP.Interface.7.", &p, NULL),
                         UB_OK);
        assert_int_equal(usp_path_resolve(p, &tree, NULL, &r), UB_OK);
        assert_true(r.missing);
        assert_int_equal(usp_resolve_nomatch_err(USP_MSG_GET, &r), 7026);
        assert_int_equal(usp_resolve_nomatch_err(USP_MSG_GET_INSTANCES, &r),
                         7026);
        assert_int_equal(usp_resolve_nomatch_err(USP_MSG_OPERATE, &r), 7026);
        assert_int_equal(usp_resolve_nomatch_err(USP_MSG_SET, &r), 7016);
        assert_int_equal(usp_resolve_nomatch_err(USP_MSG_DELETE, &r), 0);
        usp_resolved_free(&r);
        usp_path_free(p);
    }
}

static void test_alias(void **state)
{
    (void)state;
    assert_string_equal(resolve("Device.IP.Interface.[cpe-lan].Name", false),
                        "Device.IP.Interface.2.Name");
    assert_string_equal(resolve("Device.IP.Interface.[lo].", false),
                        "Device.IP.Interface.10.");
    /* an alias addresses: an unknown one is missing (7026 for Get) */
    assert_string_equal(resolve("Device.IP.Interface.[nope].", true), "");
}

static void test_references(void **state)
{
    (void)state;
    assert_string_equal(resolve("Device.NAT.PortMapping.1.Interface+.Name",
                                false),
                        "Device.IP.Interface.2.Name");
    assert_string_equal(resolve("Device.NAT.PortMapping.1.Interface+.", false),
                        "Device.IP.Interface.2.");
    /* a unique-key reference value */
    assert_string_equal(resolve("Device.NAT.PortMapping.2.Interface+.Name",
                                false),
                        "Device.IP.Interface.1.Name");
    /* an empty reference */
    assert_string_equal(resolve("Device.NAT.PortMapping.3.Interface+.Name",
                                true),
                        "");
    /* targets in reference order */
    assert_string_equal(resolve("Device.NAT.PortMapping.*.Interface+.Name",
                                false),
                        "Device.IP.Interface.2.Name|Device.IP.Interface.1."
                        "Name");
    /* list references */
    assert_string_equal(resolve("Device.WiFi.SSID.1.LowerLayers+.Name", false),
                        "Device.WiFi.Radio.1.Name");
    assert_string_equal(resolve("Device.WiFi.SSID.1.LowerLayers#1+.Name",
                                false),
                        "Device.WiFi.Radio.1.Name");
    assert_string_equal(resolve("Device.WiFi.SSID.1.LowerLayers#2+.Name",
                                false),
                        "Device.WiFi.Radio.2.Name");
    assert_string_equal(resolve("Device.WiFi.SSID.1.LowerLayers#3+.Name",
                                true),
                        "");
    assert_string_equal(resolve("Device.WiFi.SSID.1.LowerLayers#*+.Name",
                                false),
                        "Device.WiFi.Radio.1.Name|Device.WiFi.Radio.2.Name");
    /* duplicates dropped */
    assert_string_equal(resolve("Device.WiFi.SSID.*.LowerLayers#*+.", false),
                        "Device.WiFi.Radio.1.|Device.WiFi.Radio.2.");
    /* following a reference inside a search expression */
    assert_string_equal(resolve("Device.WiFi.AccessPoint.[SSIDReference+."
                                "SSID==\"home\"].",
                                false),
                        "Device.WiFi.AccessPoint.1.");
    assert_string_equal(resolve("Device.WiFi.AccessPoint.[SSIDReference+."
                                "SSID!=\"home\"].SSIDReference+.SSID",
                                false),
                        "Device.WiFi.SSID.2.SSID");
    /* a reference loop stops at max_ref_hops */
    assert_string_equal(resolve("Device.X_Loop.Self+.Self+.Self+.Self+.Self+."
                                "Self+.Self+.Self+.Self+.Self+.",
                                false),
                        "Device.X_Loop.");
    assert_string_equal(resolve("Device.X_Loop.Self2+.", true), "");
}

static void test_limits_and_errors(void **state)
{
    (void)state;
    struct usp_path *p = NULL;
    struct usp_resolved r;
    struct usp_resolve_opts o = {.max_results = 2};

    assert_int_equal(usp_path_parse("Device.IP.Interface.*.Name", &p, NULL),
                     UB_OK);
    assert_int_equal(usp_path_resolve(p, &tree, &o, &r), UB_ETOOBIG);
    usp_resolved_free(&r);
    o.max_results = 3;
    assert_int_equal(usp_path_resolve(p, &tree, &o, &r), UB_OK);
    assert_int_equal(r.paths.n, 3);
    usp_resolved_free(&r);
    /* a tree error is passed through */
    tc.fail_on = "Device.IP.Interface.2.Name";
    assert_int_equal(usp_path_resolve(p, &tree, NULL, &r), UB_EDB);
    usp_resolved_free(&r);
    tc.fail_on = NULL;
    assert_int_equal(usp_path_resolve(p, NULL, NULL, &r), UB_EINVAL);
    usp_resolved_free(&r);
    usp_path_free(p);

    /* allocation failures: clean errors, no leaks */
    size_t before = ub_mem_in_use();
    bool done = false;
    for (long i = 0; i < 5000 && !done; i++) {
        struct usp_path *q = NULL;
        int rc;
        ub_mem_fail_after(i);
        rc = usp_path_parse("Device.WiFi.AccessPoint.[SSIDReference+.SSID=="
                            "\"home\"].SSIDReference+.LowerLayers#*+.Name",
                            &q, NULL);
        if (!rc) {
            rc = usp_path_resolve(q, &tree, NULL, &r);
            if (!rc) {
                done = true;
                assert_string_equal(r.paths.v[0], "Device.WiFi.Radio.1.Name");
            }
            usp_resolved_free(&r);
            usp_path_free(q);
        }
        ub_mem_fail_after(-1);
        assert_true(rc == UB_OK || rc == UB_ENOMEM);
    }
    assert_true(done);
    assert_int_equal(ub_mem_in_use(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_alias),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_limits_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
