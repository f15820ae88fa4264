/*
 * cwmp-sim core tests: the model files, the copy-on-write device model and
 * the simulated CPE's answers to every RPC, called in-process with
 * struct cwmp_msg requests (no network).
 *
 * Usage: test_sim_core <models-dir>
 */
#include "sim_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char *models_dir;
static struct sim_model *tr181, *tr098;

static char *model_path(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "%s/%s", models_dir, name);
    return buf;
}

static int setup_models(void **state)
{
    char err[256] = "";
    (void)state;
    if (sim_model_load(model_path("tr181-hgw.tsv"), &tr181, err, sizeof(err)) ||
        sim_model_load(model_path("tr098-igd.tsv"), &tr098, err, sizeof(err))) {
        fprintf(stderr, "load: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown_models(void **state)
{
    (void)state;
    sim_model_free(tr181);
    sim_model_free(tr098);
    return 0;
}

static const struct sim_macros test_mac = {
    .serial = "SIM000001", .oui = "ACDE48", .product_class = "SimGW",
    .manufacturer = "uspbridge-sim", .acs_url = "http://127.0.0.1:7547/acs",
    .acs_user = "cpe", .acs_pass = "secret",
    .cr_url = "http://127.0.0.1:7548/cr/SIM000001", .cr_user = "cr",
    .cr_pass = "crpw", .periodic = 0, .idx = 1,
};

struct dev {
    struct sim_cpe_config cfg;
    struct sim_cpe cpe;
};

static struct dev *dev_new(struct sim_model *m, unsigned quirks)
{
    struct dev *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    d->cfg.model = m;
    d->cfg.quirks = quirks;
    d->cfg.gpv_limit = 100;
    d->cfg.transfer_s = 0;
    assert_int_equal(sim_cpe_init(&d->cpe, &d->cfg, &test_mac, NULL), UB_OK);
    return d;
}

static void dev_free(struct dev *d)
{
    sim_cpe_free(&d->cpe);
    free(d);
}

static struct cwmp_msg *call(struct dev *d, struct cwmp_msg *req)
{
    struct cwmp_msg *resp = NULL;
    req->id = ub_strdup("acs-1");
    assert_int_equal(sim_cpe_handle(&d->cpe, req, &resp), UB_OK);
    assert_non_null(resp);
    assert_string_equal(resp->id, "acs-1");
    assert_int_equal(resp->method, req->method);
    cwmp_msg_free(req);
    return resp;
}

static struct cwmp_msg *gpv1(struct dev *d, const char *name)
{
    struct cwmp_msg *r = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
    assert_int_equal(ub_strv_add(&r->strv, name), UB_OK);
    return call(d, r);
}

static const char *value_of(const struct cwmp_msg *m, const char *path)
{
    for (size_t i = 0; i < m->params.n; i++)
        if (strcmp(m->params.v[i].path, path) == 0)
            return m->params.v[i].value;
    return NULL;
}

static void want_value(struct dev *d, const char *path, const char *v)
{
    struct cwmp_msg *r = gpv1(d, path);
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_int_equal(r->params.n, 1);
    assert_string_equal(r->params.v[0].value, v);
    cwmp_msg_free(r);
}

static void want_fault(struct cwmp_msg *r, unsigned code)
{
    assert_int_equal(r->kind, CWMP_FAULT);
    assert_int_equal(r->fault.code, code);
    assert_non_null(r->fault.string);
    cwmp_msg_free(r);
}

/* ---- model files ---- */

static void test_model_tr181(void **state)
{
    const struct sim_node *n;
    (void)state;
    assert_string_equal(tr181->root, "Device.");
    assert_true(tr181->n_params >= 1000);
    assert_true(tr181->n_tables >= 40);
    assert_true(tr181->n_tmpl > 100);
    n = sim_model_tmpl_find(tr181, "Device.NAT.PortMapping.{i}.ExternalPort");
    assert_non_null(n);
    assert_int_equal(n->type, UB_T_UINT);
    /* every object and parameter of the index is in sorted order */
    for (size_t i = 1; i < tr181->n; i++)
        assert_true(sim_path_cmp(tr181->index[i - 1]->path,
                                 tr181->index[i]->path) < 0);
    /* types and flags as written */
    struct sim_dm dm;
    assert_int_equal(sim_dm_init(&dm, tr181, &test_mac), UB_OK);
    n = sim_dm_find(&dm, "Device.WiFi.Radio.2.Channel", NULL);
    assert_non_null(n);
    assert_int_equal(n->type, UB_T_UINT);
    assert_true(n->flags & SIM_F_WRITABLE);
    n = sim_dm_find(&dm, "Device.DeviceInfo.UpTime", NULL);
    assert_true(n && !(n->flags & SIM_F_WRITABLE) && (n->flags & SIM_F_UPTIME));
    n = sim_dm_find(&dm, "Device.IP.Interface.", NULL);
    assert_true(n && (n->flags & SIM_F_TABLE));
    n = sim_dm_find(&dm, "Device.IP.Interface.2.", NULL);
    assert_true(n && (n->flags & SIM_F_INSTANCE));
    n = sim_dm_find(&dm, "Device.WiFi.AccessPoint.1.Security.KeyPassphrase", NULL);
    assert_true(n && (n->flags & SIM_F_SECRET));
    n = sim_dm_find(&dm, "Device.DeviceInfo.SerialNumber", NULL);
    char tmp[64];
    assert_string_equal(sim_dm_value(&dm, n, tmp, sizeof(tmp)), "SIM000001");
    n = sim_dm_find(&dm, "Device.IP.InterfaceNumberOfEntries", NULL);
    assert_string_equal(sim_dm_value(&dm, n, tmp, sizeof(tmp)), "3");
    n = sim_dm_find(&dm, "Device.WiFi.AccessPoint.2.AssociatedDeviceNumberOfEntries", NULL);
    assert_string_equal(sim_dm_value(&dm, n, tmp, sizeof(tmp)), "3");
    /* sections a home gateway has */
    static const char *const must[] = {
        "Device.DeviceInfo.", "Device.ManagementServer.", "Device.Time.",
        "Device.UserInterface.", "Device.Ethernet.Interface.1.",
        "Device.WiFi.Radio.1.", "Device.WiFi.SSID.1.",
        "Device.WiFi.AccessPoint.1.Security.",
        "Device.WiFi.AccessPoint.1.AssociatedDevice.1.",
        "Device.IP.Interface.1.IPv4Address.1.",
        "Device.IP.Interface.1.IPv6Address.1.",
        "Device.Routing.Router.1.IPv4Forwarding.1.",
        "Device.DHCPv4.Server.Pool.1.Client.1.", "Device.DNS.Client.Server.1.",
        "Device.NAT.PortMapping.1.", "Device.Firewall.Chain.1.Rule.1.",
        "Device.Hosts.Host.1.", "Device.Users.User.1.", "Device.PPP.Interface.1.",
        "Device.DSL.Line.1.", "Device.Optical.Interface.1.",
        "Device.Bridging.Bridge.1.Port.1.", "Device.X_ACME_LED.",
    };
    for (size_t i = 0; i < UB_ARRAY_LEN(must); i++)
        if (!sim_dm_find(&dm, must[i], NULL))
            fail_msg("missing %s", must[i]);
    sim_dm_free(&dm);
}

static void test_model_tr098(void **state)
{
    (void)state;
    assert_string_equal(tr098->root, "InternetGatewayDevice.");
    assert_true(tr098->n_params >= 300);
}

static void test_model_bad_file(void **state)
{
    char path[] = "/tmp/sim-model-XXXXXX";
    char err[256] = "";
    struct sim_model *m = NULL;
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    const char *txt = "Device.\tobject\tR\t-\t\nDevice.X\tfloat\tR\t-\t1\n";
    assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
    close(fd);
    assert_int_equal(sim_model_load(path, &m, err, sizeof(err)), UB_EPROTO);
    assert_null(m);
    assert_non_null(strstr(err, ":2:"));
    assert_int_equal(sim_model_load("/nonexistent/x.tsv", &m, err, sizeof(err)),
                     UB_EIO);
    unlink(path);
}

static void test_path_cmp(void **state)
{
    (void)state;
    assert_true(sim_path_cmp("Device.A.2.", "Device.A.10.") < 0);
    assert_true(sim_path_cmp("Device.A.", "Device.A.X") < 0);
    assert_true(sim_path_cmp("Device.A.Z", "Device.A.B.") < 0); /* params first */
    assert_true(sim_path_cmp("Device.AB", "Device.A.C") < 0);
    assert_int_equal(sim_path_cmp("Device.A.", "Device.A."), 0);
}

/* ---- Inform ---- */

static void test_inform_bootstrap(void **state)
{
    struct dev *d = dev_new(tr181, 0);
    struct cwmp_msg *m = NULL;
    (void)state;
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &m), UB_OK);
    assert_int_equal(m->method, CWMP_M_INFORM);
    assert_int_equal(m->inform.n_events, 2);
    assert_string_equal(m->inform.events[0].code, "0 BOOTSTRAP");
    assert_string_equal(m->inform.events[1].code, "1 BOOT");
    assert_string_equal(m->inform.device_id.serial_number, "SIM000001");
    assert_string_equal(m->inform.device_id.oui, "ACDE48");
    const struct ub_param_list *pl = &m->inform.params;
    bool crurl = false, wan = false, hw = false, sw = false, pc = false, pk = false;
    for (size_t i = 0; i < pl->n; i++) {
        const char *p = pl->v[i].path, *v = pl->v[i].value;
        if (!strcmp(p, "Device.ManagementServer.ConnectionRequestURL"))
            crurl = !strcmp(v, test_mac.cr_url);
        if (!strcmp(p, "Device.IP.Interface.1.IPv4Address.1.IPAddress"))
            wan = !strcmp(v, "100.64.0.1");
        hw |= !strcmp(p, "Device.DeviceInfo.HardwareVersion");
        sw |= !strcmp(p, "Device.DeviceInfo.SoftwareVersion");
        pc |= !strcmp(p, "Device.DeviceInfo.ProvisioningCode");
        pk |= !strcmp(p, "Device.ManagementServer.ParameterKey");
    }
    assert_true(crurl && wan && hw && sw && pc && pk);
    cwmp_msg_free(m);
    sim_cpe_inform_acked(&d->cpe);
    assert_true(d->cpe.bootstrapped);
    assert_int_equal(d->cpe.n_ev, 0);
    dev_free(d);

    /* periodic-first: the first Inform claims 2 PERIODIC */
    d = dev_new(tr181, SIM_Q_PERIODIC_FIRST);
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &m), UB_OK);
    assert_int_equal(m->inform.n_events, 1);
    assert_string_equal(m->inform.events[0].code, "2 PERIODIC");
    cwmp_msg_free(m);
    /* a failed session keeps the events */
    sim_cpe_session_failed(&d->cpe);
    assert_int_equal(d->cpe.n_ev, 1);
    dev_free(d);

    /* TR-098 root */
    d = dev_new(tr098, SIM_Q_TR098);
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &m), UB_OK);
    bool ext = false;
    for (size_t i = 0; i < m->inform.params.n; i++)
        if (strstr(m->inform.params.v[i].path, "WANPPPConnection.1.ExternalIPAddress"))
            ext = true;
    assert_true(ext);
    cwmp_msg_free(m);
    dev_free(d);
}

/* ---- GPV ---- */

static void test_gpv(void **state)
{
    struct dev *d = dev_new(tr181, 0);
    struct cwmp_msg *r;
    (void)state;
    want_value(d, "Device.DeviceInfo.SerialNumber", "SIM000001");
    /* secrets read as empty */
    want_value(d, "Device.ManagementServer.ConnectionRequestPassword", "");
    r = gpv1(d, "Device.DeviceInfo.");
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_true(r->params.n > 20);
    assert_string_equal(value_of(r, "Device.DeviceInfo.ManufacturerOUI"), "ACDE48");
    for (size_t i = 0; i < r->params.n; i++)
        assert_int_equal(strncmp(r->params.v[i].path, "Device.DeviceInfo.", 18), 0);
    cwmp_msg_free(r);
    r = gpv1(d, "");
    assert_true(r->params.n >= 1000);
    cwmp_msg_free(r);
    want_fault(gpv1(d, "Device.NoSuch.Thing"), 9005);
    want_fault(gpv1(d, "Device.DeviceInfo"), 9005);   /* object w/o dot */
    want_fault(gpv1(d, "Device.DeviceInfo.UpTime."), 9005);
    dev_free(d);

    /* gpv-9004: the whole tree is too much, a smaller batch works */
    d = dev_new(tr181, SIM_Q_GPV_9004);
    want_fault(gpv1(d, "Device."), 9004);
    r = gpv1(d, "Device.Time.");
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    dev_free(d);
}

/* ---- SPV ---- */

static struct cwmp_msg *spv_req(const char *key, ...)
{
    struct cwmp_msg *r = cwmp_msg_new(CWMP_M_SET_PARAMETER_VALUES, CWMP_REQUEST);
    va_list ap;
    const char *p;
    va_start(ap, key);
    while ((p = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        assert_int_equal(ub_param_list_add(&r->params, p, v, UB_T_STRING), UB_OK);
    }
    va_end(ap);
    r->parameter_key = ub_strdup(key);
    return r;
}

static void test_spv(void **state)
{
    struct dev *d = dev_new(tr181, 0);
    struct cwmp_msg *r;
    (void)state;
    r = call(d, spv_req("k1", "Device.WiFi.Radio.1.Channel", "11",
                        "Device.Time.NTPServer3", "ntp.example.org", NULL));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_int_equal(r->status, 0);
    cwmp_msg_free(r);
    want_value(d, "Device.WiFi.Radio.1.Channel", "11");
    want_value(d, "Device.ManagementServer.ParameterKey", "k1");

    /* atomic: one bad entry, nothing applied, each fault listed */
    r = call(d, spv_req("k2", "Device.WiFi.Radio.1.Channel", "1",
                        "Device.DeviceInfo.SerialNumber", "X",
                        "Device.WiFi.Radio.1.Enable", "maybe",
                        "Device.No.Such", "1", NULL));
    assert_int_equal(r->kind, CWMP_FAULT);
    assert_int_equal(r->fault.code, 9003);
    assert_int_equal(r->fault.n_spv, 3);
    assert_string_equal(r->fault.spv[0].name, "Device.DeviceInfo.SerialNumber");
    assert_int_equal(r->fault.spv[0].code, 9008);
    assert_int_equal(r->fault.spv[1].code, 9007);
    assert_int_equal(r->fault.spv[2].code, 9005);
    cwmp_msg_free(r);
    want_value(d, "Device.WiFi.Radio.1.Channel", "11");
    want_value(d, "Device.ManagementServer.ParameterKey", "k1");
    /* a number out of range for unsignedInt */
    r = call(d, spv_req("k3", "Device.WiFi.Radio.1.Channel", "-1", NULL));
    assert_int_equal(r->fault.code, 9003);
    assert_int_equal(r->fault.spv[0].code, 9007);
    cwmp_msg_free(r);
    /* periodic settings change is reported to the engine */
    d->cpe.after = 0;
    r = call(d, spv_req("k4", "Device.ManagementServer.PeriodicInformInterval", "60", NULL));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    assert_true(d->cpe.after & SIM_AFTER_PERIODIC);
    dev_free(d);

    /* spv-always-0: status 0, the read-only value stays */
    d = dev_new(tr181, SIM_Q_SPV_ALWAYS_0);
    r = call(d, spv_req("k5", "Device.DeviceInfo.SerialNumber", "X",
                        "Device.WiFi.Radio.1.Channel", "1", NULL));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_int_equal(r->status, 0);
    cwmp_msg_free(r);
    want_value(d, "Device.DeviceInfo.SerialNumber", "SIM000001");
    want_value(d, "Device.WiFi.Radio.1.Channel", "1");
    dev_free(d);
}

/* ---- GPN ---- */

static struct cwmp_msg *gpn_req(const char *path, bool next)
{
    struct cwmp_msg *r = cwmp_msg_new(CWMP_M_GET_PARAMETER_NAMES, CWMP_REQUEST);
    r->path = ub_strdup(path);
    r->next_level = next;
    return r;
}

static bool has_name(const struct cwmp_msg *m, const char *p, bool *w)
{
    for (size_t i = 0; i < m->params.n; i++)
        if (strcmp(m->params.v[i].path, p) == 0) {
            if (w)
                *w = m->params.v[i].writable;
            return true;
        }
    return false;
}

static void test_gpn(void **state)
{
    struct dev *d = dev_new(tr181, 0);
    struct cwmp_msg *r;
    bool w;
    (void)state;
    r = call(d, gpn_req("Device.WiFi.", true));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_true(has_name(r, "Device.WiFi.Radio.", &w) && !w);
    assert_true(has_name(r, "Device.WiFi.SSID.", &w) && w);
    assert_true(has_name(r, "Device.WiFi.RadioNumberOfEntries", &w) && !w);
    assert_false(has_name(r, "Device.WiFi.", NULL));
    assert_false(has_name(r, "Device.WiFi.Radio.1.", NULL));
    cwmp_msg_free(r);
    r = call(d, gpn_req("Device.WiFi.", false));
    assert_true(has_name(r, "Device.WiFi.", NULL));
    assert_true(has_name(r, "Device.WiFi.Radio.1.Channel", &w) && w);
    assert_true(has_name(r, "Device.WiFi.SSID.3.", &w) && w);
    cwmp_msg_free(r);
    r = call(d, gpn_req("", true));
    assert_int_equal(r->params.n, 1);
    assert_string_equal(r->params.v[0].path, "Device.");
    cwmp_msg_free(r);
    r = call(d, gpn_req("Device.", false));
    assert_true(r->params.n >= 1000);
    cwmp_msg_free(r);
    r = call(d, gpn_req("Device.Time.Enable", false));
    assert_int_equal(r->params.n, 1);
    cwmp_msg_free(r);
    want_fault(call(d, gpn_req("Device.Time.Enable", true)), 9003);
    want_fault(call(d, gpn_req("Device.Nope.", true)), 9005);
    dev_free(d);
}

/* ---- Add/DeleteObject and copy-on-write ---- */

static struct cwmp_msg *obj_req(enum cwmp_method m, const char *path,
                                const char *key)
{
    struct cwmp_msg *r = cwmp_msg_new(m, CWMP_REQUEST);
    r->path = ub_strdup(path);
    r->parameter_key = ub_strdup(key);
    return r;
}

static void test_add_delete(void **state)
{
    struct dev *d = dev_new(tr181, 0), *other = dev_new(tr181, 0);
    struct cwmp_msg *r;
    (void)state;
    r = call(d, obj_req(CWMP_M_ADD_OBJECT, "Device.NAT.PortMapping.", "a1"));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_int_equal(r->instance_number, 3);
    assert_int_equal(r->status, 0);
    cwmp_msg_free(r);
    want_value(d, "Device.NAT.PortMapping.3.Protocol", "TCP");
    want_value(d, "Device.NAT.PortMappingNumberOfEntries", "3");
    want_value(d, "Device.ManagementServer.ParameterKey", "a1");
    /* the other device does not see it */
    want_fault(gpv1(other, "Device.NAT.PortMapping.3."), 9005);
    want_value(other, "Device.NAT.PortMappingNumberOfEntries", "2");
    /* the new instance is writable and can be set */
    r = call(d, spv_req("a2", "Device.NAT.PortMapping.3.ExternalPort", "8080", NULL));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    want_value(d, "Device.NAT.PortMapping.3.ExternalPort", "8080");
    /* nested tables: an added IP interface has an empty IPv4Address table
     * to which addresses can be added */
    r = call(d, obj_req(CWMP_M_ADD_OBJECT, "Device.IP.Interface.", "a3"));
    assert_int_equal(r->instance_number, 4);
    cwmp_msg_free(r);
    want_value(d, "Device.IP.Interface.4.IPv4AddressNumberOfEntries", "0");
    r = call(d, obj_req(CWMP_M_ADD_OBJECT, "Device.IP.Interface.4.IPv4Address.", "a4"));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_int_equal(r->instance_number, 1);
    cwmp_msg_free(r);
    want_value(d, "Device.IP.Interface.4.IPv4Address.1.AddressingType", "Static");
    /* delete, then it is gone; numbers are not reused */
    r = call(d, obj_req(CWMP_M_DELETE_OBJECT, "Device.NAT.PortMapping.3.", "d1"));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    want_fault(gpv1(d, "Device.NAT.PortMapping.3."), 9005);
    want_fault(gpv1(d, "Device.NAT.PortMapping.3.ExternalPort"), 9005);
    r = call(d, obj_req(CWMP_M_ADD_OBJECT, "Device.NAT.PortMapping.", "a5"));
    assert_int_equal(r->instance_number, 4);
    cwmp_msg_free(r);
    /* deleting a base instance */
    r = call(d, obj_req(CWMP_M_DELETE_OBJECT, "Device.NAT.PortMapping.1.", "d2"));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    want_value(d, "Device.NAT.PortMappingNumberOfEntries", "2");
    want_value(other, "Device.NAT.PortMapping.1.Description", "NAS web");
    /* not a table / read-only table / not an instance */
    want_fault(call(d, obj_req(CWMP_M_ADD_OBJECT, "Device.DeviceInfo.", "x")), 9005);
    want_fault(call(d, obj_req(CWMP_M_ADD_OBJECT, "Device.Hosts.Host.", "x")), 9005);
    want_fault(call(d, obj_req(CWMP_M_DELETE_OBJECT, "Device.Hosts.Host.1.", "x")), 9005);
    want_fault(call(d, obj_req(CWMP_M_DELETE_OBJECT, "Device.NAT.PortMapping.", "x")), 9005);
    dev_free(d);
    dev_free(other);
}

/* ---- attributes and VALUE CHANGE ---- */

static struct cwmp_msg *spa_req(const char *name, uint8_t notif)
{
    struct cwmp_msg *r = cwmp_msg_new(CWMP_M_SET_PARAMETER_ATTRIBUTES, CWMP_REQUEST);
    r->attrs = ub_calloc(1, sizeof(*r->attrs));
    r->n_attrs = 1;
    r->attrs[0].name = ub_strdup(name);
    r->attrs[0].notification_change = true;
    r->attrs[0].notification = notif;
    ub_strv_init(&r->attrs[0].access_list, 0);
    return r;
}

static void test_attributes_value_change(void **state)
{
    struct dev *d = dev_new(tr181, 0);
    struct cwmp_msg *r, *inf;
    bool active;
    (void)state;
    r = call(d, spa_req("Device.WiFi.SSID.1.SSID", 2));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    r = call(d, spa_req("Device.Time.", 1));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    want_fault(call(d, spa_req("Device.DeviceInfo.UpTime", 2)), 9009);
    want_fault(call(d, spa_req("Device.Nope", 1)), 9005);
    want_fault(call(d, spa_req("Device.Time.Enable", 7)), 9003);

    r = cwmp_msg_new(CWMP_M_GET_PARAMETER_ATTRIBUTES, CWMP_REQUEST);
    assert_int_equal(ub_strv_add(&r->strv, "Device.WiFi.SSID.1.SSID"), UB_OK);
    assert_int_equal(ub_strv_add(&r->strv, "Device.Time."), UB_OK);
    r = call(d, r);
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_true(r->n_attrs > 5);
    assert_int_equal(r->attrs[0].notification, 2);
    assert_int_equal(r->attrs[1].notification, 1);
    cwmp_msg_free(r);

    /* an ACS change does not notify */
    sim_cpe_inform_acked(&d->cpe);
    r = call(d, spv_req("v1", "Device.WiFi.SSID.1.SSID", "acs-set", NULL));
    cwmp_msg_free(r);
    assert_false(sim_cpe_has_event(&d->cpe, "4 VALUE CHANGE"));
    /* a local change of an active parameter does */
    assert_int_equal(sim_cpe_local_set(&d->cpe, "Device.WiFi.SSID.1.SSID",
                                       "user-set", &active), UB_OK);
    assert_true(active);
    /* a passive one only rides along */
    assert_int_equal(sim_cpe_local_set(&d->cpe, "Device.Time.NTPServer2",
                                       "ntp2.example", &active), UB_OK);
    assert_false(active);
    assert_int_equal(sim_cpe_local_set(&d->cpe, "Device.Time.Enable", "x", &active),
                     UB_EINVAL);
    assert_int_equal(sim_cpe_local_set(&d->cpe, "Device.Nope", "x", &active),
                     UB_ENOTFOUND);
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &inf), UB_OK);
    bool vc = false;
    for (size_t i = 0; i < inf->inform.n_events; i++)
        vc |= !strcmp(inf->inform.events[i].code, "4 VALUE CHANGE");
    assert_true(vc);
    assert_string_equal(value_of(&(struct cwmp_msg){.params = inf->inform.params},
                                 "Device.WiFi.SSID.1.SSID"), "user-set");
    assert_string_equal(value_of(&(struct cwmp_msg){.params = inf->inform.params},
                                 "Device.Time.NTPServer2"), "ntp2.example");
    cwmp_msg_free(inf);
    sim_cpe_inform_acked(&d->cpe);
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &inf), UB_OK);
    assert_int_equal(inf->inform.n_events, 0);
    assert_null(value_of(&(struct cwmp_msg){.params = inf->inform.params},
                         "Device.WiFi.SSID.1.SSID"));
    cwmp_msg_free(inf);
    dev_free(d);
}

/* ---- Reboot, FactoryReset, Download, others ---- */

static void test_reboot_reset_download(void **state)
{
    struct dev *d = dev_new(tr181, 0);
    struct cwmp_msg *r, *inf, *tc;
    (void)state;
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &inf), UB_OK);
    cwmp_msg_free(inf);
    sim_cpe_inform_acked(&d->cpe);
    assert_int_equal(d->cpe.n_ev, 0);
    r = cwmp_msg_new(CWMP_M_REBOOT, CWMP_REQUEST);
    r->command_key = ub_strdup("rb1");
    r = call(d, r);
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    assert_true(d->cpe.after & SIM_AFTER_REBOOT);
    sim_cpe_do_reboot(&d->cpe);
    assert_true(sim_cpe_has_event(&d->cpe, "1 BOOT"));
    assert_true(sim_cpe_has_event(&d->cpe, "M Reboot"));
    assert_string_equal(d->cpe.ev[0].code, "1 BOOT");
    assert_string_equal(d->cpe.ev[1].key, "rb1");
    sim_cpe_inform_acked(&d->cpe); /* nothing sent yet: nothing cleared */
    assert_int_equal(d->cpe.n_ev, 2);
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &inf), UB_OK);
    cwmp_msg_free(inf);
    sim_cpe_inform_acked(&d->cpe);
    assert_int_equal(d->cpe.n_ev, 0);

    /* Download: status 1 now, TransferComplete in a later session */
    r = cwmp_msg_new(CWMP_M_DOWNLOAD, CWMP_REQUEST);
    r->transfer.command_key = ub_strdup("dl1");
    r->transfer.file_type = ub_strdup("3 Vendor Configuration File");
    r->transfer.url = ub_strdup("http://127.0.0.1/cfg.bin");
    r = call(d, r);
    assert_int_equal(r->kind, CWMP_RESPONSE);
    assert_int_equal(r->transfer.status, 1);
    cwmp_msg_free(r);
    assert_true(sim_cpe_transfers_tick(&d->cpe, ub_now_ms() + 1));
    assert_true(sim_cpe_has_event(&d->cpe, "7 TRANSFER COMPLETE"));
    assert_true(sim_cpe_has_event(&d->cpe, "M Download"));
    assert_int_equal(sim_cpe_inform(&d->cpe, 0, &inf), UB_OK);
    cwmp_msg_free(inf);
    sim_cpe_inform_acked(&d->cpe);
    assert_true(sim_cpe_has_event(&d->cpe, "7 TRANSFER COMPLETE"));
    assert_int_equal(sim_cpe_next_request(&d->cpe, ub_now_ms(), &tc), UB_OK);
    assert_non_null(tc);
    assert_int_equal(tc->method, CWMP_M_TRANSFER_COMPLETE);
    assert_string_equal(tc->transfer.command_key, "dl1");
    assert_int_equal(tc->transfer.fault.code, 0);
    cwmp_msg_free(tc);
    sim_cpe_request_acked(&d->cpe, NULL);
    assert_int_equal(d->cpe.n_ev, 0);
    assert_int_equal(sim_cpe_next_request(&d->cpe, ub_now_ms(), &tc), UB_OK);
    assert_null(tc);

    /* Bad URL scheme */
    r = cwmp_msg_new(CWMP_M_DOWNLOAD, CWMP_REQUEST);
    r->transfer.file_type = ub_strdup("1 Firmware Upgrade Image");
    r->transfer.url = ub_strdup("gopher://x");
    want_fault(call(d, r), 9013);

    /* FactoryReset: back to the initial model and BOOTSTRAP */
    r = call(d, spv_req("f1", "Device.Time.NTPServer1", "changed", NULL));
    cwmp_msg_free(r);
    r = call(d, cwmp_msg_new(CWMP_M_FACTORY_RESET, CWMP_REQUEST));
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    assert_true(d->cpe.after & SIM_AFTER_FACTORY_RESET);
    assert_int_equal(sim_cpe_do_factory_reset(&d->cpe), UB_OK);
    want_value(d, "Device.Time.NTPServer1", "pool.ntp.org");
    want_value(d, "Device.ManagementServer.ParameterKey", "");
    assert_true(sim_cpe_has_event(&d->cpe, "0 BOOTSTRAP"));

    /* GetRPCMethods lists what is supported; the rest is 9000 */
    r = call(d, cwmp_msg_new(CWMP_M_GET_RPC_METHODS, CWMP_REQUEST));
    assert_true(r->strv.n >= 12);
    cwmp_msg_free(r);
    want_fault(call(d, cwmp_msg_new(CWMP_M_CHANGE_DU_STATE, CWMP_REQUEST)), 9000);
    want_fault(call(d, cwmp_msg_new(CWMP_M_SCHEDULE_DOWNLOAD, CWMP_REQUEST)), 9000);
    r = cwmp_msg_new(CWMP_M_SCHEDULE_INFORM, CWMP_REQUEST);
    r->delay_seconds = 5;
    r->command_key = ub_strdup("si");
    r = call(d, r);
    assert_int_equal(r->kind, CWMP_RESPONSE);
    cwmp_msg_free(r);
    assert_int_equal(d->cpe.sched_delay, 5);
    dev_free(d);
}

/* ---- state file ---- */

static void test_state_roundtrip(void **state)
{
    char dir[] = "/tmp/sim-state-XXXXXX";
    struct sim_cpe_config cfg = {.model = tr181, .gpv_limit = 100};
    struct sim_cpe a, b;
    struct cwmp_msg *r = NULL, *req;
    bool active;
    (void)state;
    assert_non_null(mkdtemp(dir));
    cfg.state_dir = dir;
    assert_int_equal(sim_cpe_init(&a, &cfg, &test_mac, NULL), UB_OK);
    struct cwmp_msg *inf;
    assert_int_equal(sim_cpe_inform(&a, 0, &inf), UB_OK);
    cwmp_msg_free(inf);
    sim_cpe_inform_acked(&a);
    req = obj_req(CWMP_M_ADD_OBJECT, "Device.NAT.PortMapping.", "s1");
    assert_int_equal(sim_cpe_handle(&a, req, &r), UB_OK);
    cwmp_msg_free(req);
    cwmp_msg_free(r);
    assert_int_equal(sim_cpe_local_set(&a, "Device.Time.NTPServer2", "a\tb", &active),
                     UB_OK);
    assert_int_equal(sim_cpe_save(&a), UB_OK);
    sim_cpe_free(&a);

    assert_int_equal(sim_cpe_init(&b, &cfg, &test_mac, NULL), UB_OK);
    assert_true(b.bootstrapped);
    assert_true(sim_cpe_has_event(&b, "1 BOOT"));
    assert_false(sim_cpe_has_event(&b, "0 BOOTSTRAP"));
    const struct sim_node *n = sim_dm_find(&b.dm, "Device.NAT.PortMapping.3.Protocol", NULL);
    assert_non_null(n);
    n = sim_dm_find(&b.dm, "Device.Time.NTPServer2", NULL);
    char tmp[64];
    assert_string_equal(sim_dm_value(&b.dm, n, tmp, sizeof(tmp)), "a\tb");
    n = sim_dm_find(&b.dm, "Device.ManagementServer.ParameterKey", NULL);
    assert_string_equal(sim_dm_value(&b.dm, n, tmp, sizeof(tmp)), "s1");
    sim_cpe_free(&b);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- text quirks ---- */

static void test_text_quirks(void **state)
{
    struct ub_buf b;
    (void)state;
    ub_buf_init(&b, 1 << 20);
    assert_int_equal(ub_buf_appends(&b,
        "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">"
        "<Value xsi:type=\"xsd:string\">a xsi:type=\"x\"</Value>"
        "<Value xsi:type=\"xsd:unsignedInt\">1</Value></ParameterList>"), UB_OK);
    assert_int_equal(sim_quirks_apply(SIM_Q_NO_XSI_TYPE | SIM_Q_BAD_ARRAYTYPE, &b),
                     UB_OK);
    assert_string_equal(b.data,
        "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[3]\">"
        "<Value>a xsi:type=\"x\"</Value>"
        "<Value>1</Value></ParameterList>");
    ub_buf_free(&b);
    assert_int_equal(sim_quirk_from_name("gpv-9004"), SIM_Q_GPV_9004);
    assert_int_equal(sim_quirk_from_name("naive-parser"), SIM_Q_NAIVE_PARSER);
    assert_true(sim_quirks_naive_ok("<s:Envelope><s:Header><cwmp:ID>1</cwmp:ID>"
                                    "</s:Header><s:Body><cwmp:Reboot/>"));
    assert_false(sim_quirks_naive_ok("<s:Envelope><s:Body><c:Reboot/>"));
    assert_false(sim_quirks_naive_ok("<s:Envelope><s:Body><cwmp:Reboot/>"));
    assert_int_equal(sim_quirk_from_name("nope"), 0);
}

/* ---- through the codec: what the sim sends decodes, quirks included ---- */

static void test_codec_roundtrip(void **state)
{
    struct cwmp_codec *codec;
    struct dev *d = dev_new(tr181, 0);
    unsigned variants[] = {0, SIM_Q_NO_XSI_TYPE, SIM_Q_BAD_ARRAYTYPE, SIM_Q_MIXED_NS,
                           SIM_Q_MIXED_NS | SIM_Q_NO_XSI_TYPE | SIM_Q_BAD_ARRAYTYPE};
    (void)state;
    assert_int_equal(cwmp_codec_create(NULL, &codec), UB_OK);
    for (size_t v = 0; v < UB_ARRAY_LEN(variants); v++) {
        struct cwmp_msg *inf = NULL, *back = NULL;
        struct ub_buf b;
        char err[128] = "";
        ub_buf_init(&b, 1 << 20);
        assert_int_equal(sim_cpe_inform(&d->cpe, 0, &inf), UB_OK);
        size_t n_params = inf->inform.params.n, n_ev = inf->inform.n_events;
        assert_int_equal(cwmp_encode(codec, inf, &b), UB_OK);
        cwmp_msg_free(inf);
        assert_int_equal(sim_quirks_apply(variants[v], &b), UB_OK);
        if (variants[v] == SIM_Q_NO_XSI_TYPE)
            assert_null(strstr(b.data, "xsi:type"));
        if (variants[v] == SIM_Q_MIXED_NS) {
            assert_null(strstr(b.data, "SOAP-ENV:"));
            assert_non_null(strstr(b.data, "<cwmp:ID"));
            assert_non_null(strstr(b.data, "<ns2:Inform>"));
            assert_non_null(strstr(b.data, "xmlns:ns2=\"urn:dslforum-org:cwmp-1-0\""));
            assert_non_null(strstr(b.data, "xsi:type=\"xs:string\""));
        }
        assert_int_equal(cwmp_decode(codec, b.data, b.len, &back, err, sizeof(err)),
                         UB_OK);
        assert_int_equal(back->method, CWMP_M_INFORM);
        assert_int_equal(back->inform.params.n, n_params);
        assert_int_equal(back->inform.n_events, n_ev);
        assert_string_equal(back->inform.device_id.serial_number, "SIM000001");
        cwmp_msg_free(back);
        ub_buf_free(&b);
    }
    cwmp_codec_destroy(codec);
    dev_free(d);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_tr181),
        cmocka_unit_test(test_model_tr098),
        cmocka_unit_test(test_model_bad_file),
        cmocka_unit_test(test_path_cmp),
        cmocka_unit_test(test_inform_bootstrap),
        cmocka_unit_test(test_gpv),
        cmocka_unit_test(test_spv),
        cmocka_unit_test(test_gpn),
        cmocka_unit_test(test_add_delete),
        cmocka_unit_test(test_attributes_value_change),
        cmocka_unit_test(test_reboot_reset_download),
        cmocka_unit_test(test_state_roundtrip),
        cmocka_unit_test(test_text_quirks),
        cmocka_unit_test(test_codec_roundtrip),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: %s <models-dir>\n", argv[0]);
        return 2;
    }
    models_dir = argv[1];
    return cmocka_run_group_tests(tests, setup_models, teardown_models);
}
