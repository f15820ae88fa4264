/*
 * Unit tests: USP Record and Msg codec, error texts, endpoint IDs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Golden bytes below are written by hand from the field numbers and wire
 * types of TR-369's usp-record / usp-msg schemas (tag = field << 3 | wire
 * type), not produced by our encoder, so they pin the wire format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ub/usp.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Encode m, decode it, re-encode the decoded message: the bytes must be
 * identical (this compares every field, nested ones included).  Returns
 * the decoded message (caller frees). */
static struct usp_msg *roundtrip(const struct usp_msg *m)
{
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    struct usp_msg *d = NULL;

    assert_int_equal(usp_msg_encode(m, 0, &b1, &n1), UB_OK);
    assert_int_equal(usp_msg_decode(b1, n1, &d), UB_OK);
    assert_int_equal(d->type, m->type);
    assert_int_equal(d->header_type, m->type);
    assert_string_equal(d->msg_id, m->msg_id);
    assert_int_equal(usp_msg_encode(d, 0, &b2, &n2), UB_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    ub_free(b1);
    ub_free(b2);
    return d;
}

static void msg_init(struct usp_msg *m, enum usp_msg_type t, const char *id)
{
    memset(m, 0, sizeof(*m));
    m->type = t;
    m->msg_id = id;
}

/* ------------------------------------------------------------------ */
/* Golden bytes                                                        */
/* ------------------------------------------------------------------ */

/* Msg{header{msg_id:"1" msg_type:GET} body{request{get{
 *   param_paths:"Device." max_depth:2}}}} */
static const uint8_t golden_get[] = {
    0x0a, 0x05,                         /* Msg.header, len 5 */
    0x0a, 0x01, '1',                    /*   Header.msg_id */
    0x10, 0x01,                         /*   Header.msg_type = GET */
    0x12, 0x12,                         /* Msg.body, len 18 */
    0x0a, 0x10,                         /*   Body.request, len 16 */
    0x0a, 0x0e,                         /*     Request.get, len 14 */
    0x0a, 0x07, 'D', 'e', 'v', 'i', 'c', 'e', '.', /* Get.param_paths */
    0x15, 0x02, 0x00, 0x00, 0x00,       /*       Get.max_depth fixed32 */
};

/* Msg{header{msg_id:"e" msg_type:ERROR} body{error{err_code:7026
 *   err_msg:"x"}}}  (msg_type ERROR = 0 is the proto3 default: absent) */
static const uint8_t golden_error[] = {
    0x0a, 0x03, 0x0a, 0x01, 'e',        /* header */
    0x12, 0x0a,                         /* body, len 10 */
    0x1a, 0x08,                         /*   Body.error (field 3), len 8 */
    0x0d, 0x72, 0x1b, 0x00, 0x00,       /*     err_code fixed32 7026 */
    0x12, 0x01, 'x',                    /*     err_msg */
};

/* Record{version:"1.3" to_id:"ctrl" from_id:"os::X"
 *   mqtt_connect{version:V5 subscribed_topic:"t"}} */
static const uint8_t golden_mqtt_rec[] = {
    0x0a, 0x03, '1', '.', '3',
    0x12, 0x04, 'c', 't', 'r', 'l',
    0x1a, 0x05, 'o', 's', ':', ':', 'X',
    0x52, 0x05,                         /* field 10, len 5 */
    0x08, 0x01,                         /*   version V5 */
    0x12, 0x01, 't',                    /*   subscribed_topic */
};

/* Record{version:"1.0" to_id:"a" from_id:"b" disconnect{reason:"bye"
 *   reason_code:7105}} */
static const uint8_t golden_disc_rec[] = {
    0x0a, 0x03, '1', '.', '0',
    0x12, 0x01, 'a',
    0x1a, 0x01, 'b',
    0x62, 0x0a,                         /* field 12, len 10 */
    0x0a, 0x03, 'b', 'y', 'e',          /*   reason */
    0x15, 0xc1, 0x1b, 0x00, 0x00,       /*   reason_code fixed32 7105 */
};

static void test_golden_get(void **state)
{
    (void)state;
    const char *paths[] = {"Device."};
    struct usp_msg m;
    struct usp_msg *d = NULL;
    uint8_t *b = NULL;
    size_t n = 0;

    msg_init(&m, USP_MSG_GET, "1");
    m.get.paths = paths;
    m.get.n_paths = 1;
    m.get.max_depth = 2;
    assert_int_equal(usp_msg_encode(&m, 0, &b, &n), UB_OK);
    assert_int_equal(n, sizeof(golden_get));
    assert_memory_equal(b, golden_get, n);
    ub_free(b);

    assert_int_equal(usp_msg_decode(golden_get, sizeof(golden_get), &d),
                     UB_OK);
    assert_int_equal(d->type, USP_MSG_GET);
    assert_string_equal(d->msg_id, "1");
    assert_int_equal(d->get.n_paths, 1);
    assert_string_equal(d->get.paths[0], "Device.");
    assert_int_equal(d->get.max_depth, 2);
    usp_msg_free(d);
}

static void test_golden_error(void **state)
{
    (void)state;
    struct usp_msg *d = NULL;
    uint8_t *b = NULL;
    size_t n = 0;

    assert_int_equal(usp_msg_encode_error("e", 7026, "x", &b, &n), UB_OK);
    assert_int_equal(n, sizeof(golden_error));
    assert_memory_equal(b, golden_error, n);
    ub_free(b);
    assert_int_equal(usp_msg_decode(golden_error, sizeof(golden_error), &d),
                     UB_OK);
    assert_int_equal(d->type, USP_MSG_ERROR);
    assert_int_equal(d->error.err_code, 7026);
    assert_string_equal(d->error.err_msg, "x");
    assert_int_equal(d->error.n_param_errs, 0);
    usp_msg_free(d);
}

static void test_golden_records(void **state)
{
    (void)state;
    struct usp_record r = {0};
    struct usp_record *d = NULL;
    uint8_t *b = NULL;
    size_t n = 0;

    r.version = "1.3";
    r.to_id = "ctrl";
    r.from_id = "os::X";
    r.kind = USP_REC_MQTT_CONNECT;
    r.mqtt_version = USP_MQTT_V5;
    r.mqtt_topic = "t";
    assert_int_equal(usp_record_encode(&r, 0, &b, &n), UB_OK);
    assert_int_equal(n, sizeof(golden_mqtt_rec));
    assert_memory_equal(b, golden_mqtt_rec, n);
    ub_free(b);
    assert_int_equal(usp_record_decode(golden_mqtt_rec,
                                       sizeof(golden_mqtt_rec), NULL, &d,
                                       NULL),
                     UB_OK);
    assert_int_equal(d->kind, USP_REC_MQTT_CONNECT);
    assert_int_equal(d->mqtt_version, USP_MQTT_V5);
    assert_string_equal(d->mqtt_topic, "t");
    assert_string_equal(d->from_id, "os::X");
    usp_record_free(d);

    memset(&r, 0, sizeof(r));
    r.version = "1.0";
    r.to_id = "a";
    r.from_id = "b";
    r.kind = USP_REC_DISCONNECT;
    r.disconnect_reason = "bye";
    r.disconnect_code = 7105;
    assert_int_equal(usp_record_encode(&r, 0, &b, &n), UB_OK);
    assert_int_equal(n, sizeof(golden_disc_rec));
    assert_memory_equal(b, golden_disc_rec, n);
    ub_free(b);
    assert_int_equal(usp_record_decode(golden_disc_rec,
                                       sizeof(golden_disc_rec), NULL, &d,
                                       NULL),
                     UB_OK);
    assert_int_equal(d->kind, USP_REC_DISCONNECT);
    assert_int_equal(d->disconnect_code, 7105);
    assert_string_equal(d->disconnect_reason, "bye");
    assert_string_equal(d->version, "1.0");
    usp_record_free(d);
}

/* ------------------------------------------------------------------ */
/* Round trips: every message type                                     */
/* ------------------------------------------------------------------ */

static struct usp_kv kv2[] = {{"Name", "eth0"}, {"Alias", "cpe-1"}};
static struct usp_param_err perr[] = {{"Enable", 7012, "bad"},
                                      {"Name", 7013, "ro"}};
static const char *paths2[] = {"Device.IP.Interface.*.", "Device.Boot!"};

static void test_rt_requests(void **state)
{
    (void)state;
    struct usp_msg m, *d;

    /* Get */
    msg_init(&m, USP_MSG_GET, "g1");
    m.get.paths = paths2;
    m.get.n_paths = 2;
    m.get.max_depth = 3;
    d = roundtrip(&m);
    assert_string_equal(d->get.paths[1], "Device.Boot!");
    usp_msg_free(d);

    /* Set */
    struct usp_param_setting ps[] = {{"Enable", "true", true},
                                     {"Alias", "x", false}};
    struct usp_obj_settings os[] = {{"Device.IP.Interface.1.", ps, 2},
                                    {"Device.DNS.", NULL, 0}};
    msg_init(&m, USP_MSG_SET, "s1");
    m.set.allow_partial = true;
    m.set.objs = os;
    m.set.n_objs = 2;
    d = roundtrip(&m);
    assert_true(d->set.allow_partial);
    assert_int_equal(d->set.n_objs, 2);
    assert_string_equal(d->set.objs[0].params[0].value, "true");
    assert_true(d->set.objs[0].params[0].required);
    assert_false(d->set.objs[0].params[1].required);
    assert_int_equal(d->set.objs[1].n_params, 0);
    usp_msg_free(d);

    /* Add */
    msg_init(&m, USP_MSG_ADD, "a1");
    m.add.objs = os;
    m.add.n_objs = 1;
    d = roundtrip(&m);
    assert_false(d->add.allow_partial);
    assert_string_equal(d->add.objs[0].obj_path, "Device.IP.Interface.1.");
    usp_msg_free(d);

    /* Delete */
    msg_init(&m, USP_MSG_DELETE, "d1");
    m.del.allow_partial = true;
    m.del.paths = paths2;
    m.del.n_paths = 1;
    d = roundtrip(&m);
    assert_int_equal(d->del.n_paths, 1);
    usp_msg_free(d);

    /* Operate */
    msg_init(&m, USP_MSG_OPERATE, "o1");
    m.operate.command = "Device.Reboot()";
    m.operate.command_key = "ck";
    m.operate.send_resp = true;
    m.operate.input_args = kv2;
    m.operate.n_input_args = 2;
    d = roundtrip(&m);
    assert_string_equal(d->operate.command, "Device.Reboot()");
    assert_string_equal(d->operate.input_args[1].key, "Alias");
    assert_string_equal(d->operate.input_args[1].value, "cpe-1");
    usp_msg_free(d);

    /* GetSupportedDM */
    msg_init(&m, USP_MSG_GET_SUPPORTED_DM, "sdm");
    m.gsdm.obj_paths = paths2;
    m.gsdm.n_obj_paths = 1;
    m.gsdm.first_level_only = true;
    m.gsdm.return_commands = true;
    m.gsdm.return_events = true;
    m.gsdm.return_params = true;
    m.gsdm.return_unique_key_sets = true;
    d = roundtrip(&m);
    assert_true(d->gsdm.return_unique_key_sets);
    usp_msg_free(d);

    /* GetInstances */
    msg_init(&m, USP_MSG_GET_INSTANCES, "gi");
    m.get_instances.obj_paths = paths2;
    m.get_instances.n_obj_paths = 1;
    m.get_instances.first_level_only = true;
    d = roundtrip(&m);
    assert_true(d->get_instances.first_level_only);
    usp_msg_free(d);

    /* GetSupportedProtocol */
    msg_init(&m, USP_MSG_GET_SUPPORTED_PROTO, "gsp");
    m.gsp.versions = "1.0,1.3";
    d = roundtrip(&m);
    assert_string_equal(d->gsp.versions, "1.0,1.3");
    usp_msg_free(d);

    /* Register / Deregister */
    msg_init(&m, USP_MSG_REGISTER, "r");
    m.reg.allow_partial = true;
    m.reg.paths = paths2;
    m.reg.n_paths = 2;
    d = roundtrip(&m);
    assert_string_equal(d->reg.paths[0], paths2[0]);
    usp_msg_free(d);
    msg_init(&m, USP_MSG_DEREGISTER, "dr");
    m.dereg.paths = paths2;
    m.dereg.n_paths = 2;
    d = roundtrip(&m);
    assert_int_equal(d->dereg.n_paths, 2);
    usp_msg_free(d);
}

static void test_rt_notify(void **state)
{
    (void)state;
    struct usp_msg m, *d;

    msg_init(&m, USP_MSG_NOTIFY, "n1");
    m.notify.subscription_id = "sub";
    m.notify.send_resp = true;
    m.notify.kind = USP_NOTIF_EVENT;
    m.notify.event.obj_path = "Device.";
    m.notify.event.event_name = "Boot!";
    m.notify.event.params = kv2;
    m.notify.event.n_params = 2;
    d = roundtrip(&m);
    assert_int_equal(d->notify.kind, USP_NOTIF_EVENT);
    assert_string_equal(d->notify.event.event_name, "Boot!");
    assert_int_equal(d->notify.event.n_params, 2);
    assert_true(d->notify.send_resp);
    usp_msg_free(d);

    msg_init(&m, USP_MSG_NOTIFY, "n2");
    m.notify.kind = USP_NOTIF_VALUE_CHANGE;
    m.notify.value_change.param_path = "Device.X";
    m.notify.value_change.param_value = "1";
    d = roundtrip(&m);
    assert_string_equal(d->notify.value_change.param_value, "1");
    usp_msg_free(d);

    msg_init(&m, USP_MSG_NOTIFY, "n3");
    m.notify.kind = USP_NOTIF_OBJ_CREATION;
    m.notify.obj_creation.obj_path = "Device.IP.Interface.3.";
    m.notify.obj_creation.unique_keys = kv2;
    m.notify.obj_creation.n_unique_keys = 1;
    d = roundtrip(&m);
    assert_int_equal(d->notify.obj_creation.n_unique_keys, 1);
    usp_msg_free(d);

    msg_init(&m, USP_MSG_NOTIFY, "n4");
    m.notify.kind = USP_NOTIF_OBJ_DELETION;
    m.notify.obj_deletion.obj_path = "Device.IP.Interface.3.";
    d = roundtrip(&m);
    assert_string_equal(d->notify.obj_deletion.obj_path,
                        "Device.IP.Interface.3.");
    usp_msg_free(d);

    msg_init(&m, USP_MSG_NOTIFY, "n5");
    m.notify.kind = USP_NOTIF_OPER_COMPLETE;
    m.notify.oper_complete.obj_path = "Device.";
    m.notify.oper_complete.command_name = "Reboot()";
    m.notify.oper_complete.command_key = "k";
    m.notify.oper_complete.outcome = USP_OPER_OUTPUT_ARGS;
    m.notify.oper_complete.output_args = kv2;
    m.notify.oper_complete.n_output_args = 2;
    d = roundtrip(&m);
    assert_int_equal(d->notify.oper_complete.outcome, USP_OPER_OUTPUT_ARGS);
    usp_msg_free(d);
    m.notify.oper_complete.outcome = USP_OPER_FAILURE;
    m.notify.oper_complete.err_code = 7022;
    m.notify.oper_complete.err_msg = "9010 download failed";
    d = roundtrip(&m);
    assert_int_equal(d->notify.oper_complete.outcome, USP_OPER_FAILURE);
    assert_int_equal(d->notify.oper_complete.err_code, 7022);
    usp_msg_free(d);
    m.notify.oper_complete.outcome = USP_OPER_REQ_OBJ_PATH; /* invalid */
    {
        uint8_t *b = NULL;
        size_t n = 0;
        assert_int_equal(usp_msg_encode(&m, 0, &b, &n), UB_EINVAL);
    }

    msg_init(&m, USP_MSG_NOTIFY, "n6");
    m.notify.kind = USP_NOTIF_ON_BOARD_REQ;
    m.notify.send_resp = true;
    m.notify.on_board_req.oui = "00D09E";
    m.notify.on_board_req.product_class = "IGD";
    m.notify.on_board_req.serial_number = "SN1";
    m.notify.on_board_req.agent_supported_protocol_versions =
        USP_VERSIONS_SUPPORTED;
    d = roundtrip(&m);
    assert_string_equal(d->notify.on_board_req.serial_number, "SN1");
    assert_string_equal(d->notify.on_board_req
                            .agent_supported_protocol_versions,
                        USP_VERSIONS_SUPPORTED);
    usp_msg_free(d);

    msg_init(&m, USP_MSG_NOTIFY_RESP, "n6");
    m.notify_resp.subscription_id = "sub";
    d = roundtrip(&m);
    assert_string_equal(d->notify_resp.subscription_id, "sub");
    usp_msg_free(d);
}

static void test_rt_responses(void **state)
{
    (void)state;
    struct usp_msg m, *d;

    /* GetResp */
    struct usp_resolved_path rp[] = {{"Device.IP.Interface.1.", kv2, 2},
                                     {"Device.IP.Interface.2.", NULL, 0}};
    struct usp_get_result gr[] = {
        {"Device.IP.Interface.*.", 0, NULL, rp, 2},
        {"Device.Nope.", 7026, "Invalid path", NULL, 0}};
    msg_init(&m, USP_MSG_GET_RESP, "g1");
    m.get_resp.results = gr;
    m.get_resp.n_results = 2;
    d = roundtrip(&m);
    assert_int_equal(d->get_resp.n_results, 2);
    assert_int_equal(d->get_resp.results[0].n_resolved, 2);
    assert_string_equal(d->get_resp.results[0].resolved[0].params[0].value,
                        "eth0");
    assert_int_equal(d->get_resp.results[1].err_code, 7026);
    usp_msg_free(d);

    /* SetResp: one success, one failure */
    struct usp_updated_inst ok_inst[] = {
        {"Device.IP.Interface.1.", perr, 1, kv2, 2}};
    struct usp_updated_inst ko_inst[] = {
        {"Device.IP.Interface.2.", perr, 2, NULL, 0}};
    struct usp_set_result sr[] = {
        {"Device.IP.Interface.1.", true, 0, NULL, ok_inst, 1},
        {"Device.IP.Interface.2.", false, 7021, "req", ko_inst, 1}};
    msg_init(&m, USP_MSG_SET_RESP, "s1");
    m.set_resp.results = sr;
    m.set_resp.n_results = 2;
    d = roundtrip(&m);
    assert_true(d->set_resp.results[0].success);
    assert_int_equal(d->set_resp.results[0].insts[0].n_updated_params, 2);
    assert_false(d->set_resp.results[1].success);
    assert_int_equal(d->set_resp.results[1].err_code, 7021);
    assert_int_equal(d->set_resp.results[1].insts[0].n_param_errs, 2);
    assert_int_equal(d->set_resp.results[1].insts[0].param_errs[1].err_code,
                     7013);
    usp_msg_free(d);

    /* AddResp */
    struct usp_add_result ar[] = {
        {"Device.IP.Interface.", true, 0, NULL, "Device.IP.Interface.4.", perr,
         1, kv2, 2},
        {"Device.X.", false, 7017, "no", NULL, NULL, 0, NULL, 0}};
    msg_init(&m, USP_MSG_ADD_RESP, "a1");
    m.add_resp.results = ar;
    m.add_resp.n_results = 2;
    d = roundtrip(&m);
    assert_string_equal(d->add_resp.results[0].instantiated_path,
                        "Device.IP.Interface.4.");
    assert_int_equal(d->add_resp.results[0].n_unique_keys, 2);
    assert_int_equal(d->add_resp.results[1].err_code, 7017);
    usp_msg_free(d);

    /* DeleteResp */
    const char *aff[] = {"Device.IP.Interface.4."};
    struct usp_delete_result dr[] = {
        {"Device.IP.Interface.*.", true, 0, NULL, aff, 1, perr, 1},
        {"Device.IP.Interface.9.", false, 7024, "nope", NULL, 0, NULL, 0}};
    msg_init(&m, USP_MSG_DELETE_RESP, "d1");
    m.delete_resp.results = dr;
    m.delete_resp.n_results = 2;
    d = roundtrip(&m);
    assert_int_equal(d->delete_resp.results[0].n_affected, 1);
    assert_string_equal(d->delete_resp.results[0].unaffected[0].path,
                        "Enable");
    assert_int_equal(d->delete_resp.results[1].err_code, 7024);
    usp_msg_free(d);

    /* OperateResp: all outcomes */
    struct usp_oper_result orr[] = {
        {"Device.Reboot()", USP_OPER_OUTPUT_ARGS, NULL, kv2, 2, 0, NULL},
        {"Device.X.Download()", USP_OPER_REQ_OBJ_PATH,
         "Device.LocalAgent.Request.1.", NULL, 0, 0, NULL},
        {"Device.Y()", USP_OPER_FAILURE, NULL, NULL, 0, 7022, "failed"},
        {"Device.Z()", USP_OPER_NONE, NULL, NULL, 0, 0, NULL}};
    msg_init(&m, USP_MSG_OPERATE_RESP, "o1");
    m.operate_resp.results = orr;
    m.operate_resp.n_results = 4;
    d = roundtrip(&m);
    assert_int_equal(d->operate_resp.results[0].outcome,
                     USP_OPER_OUTPUT_ARGS);
    assert_int_equal(d->operate_resp.results[1].outcome,
                     USP_OPER_REQ_OBJ_PATH);
    assert_string_equal(d->operate_resp.results[1].req_obj_path,
                        "Device.LocalAgent.Request.1.");
    assert_int_equal(d->operate_resp.results[2].err_code, 7022);
    assert_int_equal(d->operate_resp.results[3].outcome, USP_OPER_NONE);
    usp_msg_free(d);

    /* GetSupportedDMResp with every 1.2-1.4 extra */
    const char *in[] = {"Delay"}, *outa[] = {"Status"}, *keys[] = {"Name"};
    struct usp_sdm_command cmds[] = {
        {"Reboot()", in, 1, outa, 1, USP_CMD_ASYNC}};
    struct usp_sdm_event evs[] = {{"Boot!", in, 1}};
    struct usp_sdm_param prm[] = {
        {"Name", USP_PARAM_READ_WRITE, USP_VT_STRING, USP_VC_ALLOWED},
        {"Stats", USP_PARAM_READ_ONLY, USP_VT_UNSIGNED_LONG,
         USP_VC_WILL_IGNORE}};
    struct usp_sdm_key_set ks[] = {{keys, 1}};
    struct usp_sdm_obj objs[] = {{"Device.IP.Interface.{i}.",
                                  USP_OBJ_ADD_DELETE, true, cmds, 1, evs, 1,
                                  prm, 2, aff, 1, ks, 1}};
    struct usp_sdm_result sdr[] = {
        {"Device.IP.", 0, NULL, "urn:broadband-forum-org:tr-181-2-17-0-usp",
         objs, 1}};
    msg_init(&m, USP_MSG_GET_SUPPORTED_DM_RESP, "sdm");
    m.gsdm_resp.results = sdr;
    m.gsdm_resp.n_results = 1;
    d = roundtrip(&m);
    {
        const struct usp_sdm_obj *o = &d->gsdm_resp.results[0].objs[0];
        assert_int_equal(o->access, USP_OBJ_ADD_DELETE);
        assert_true(o->is_multi_instance);
        assert_int_equal(o->commands[0].command_type, USP_CMD_ASYNC);
        assert_int_equal(o->params[1].value_type, USP_VT_UNSIGNED_LONG);
        assert_int_equal(o->params[1].value_change, USP_VC_WILL_IGNORE);
        assert_string_equal(o->key_sets[0].keys[0], "Name");
        assert_int_equal(o->n_divergent_paths, 1);
    }
    usp_msg_free(d);

    /* GetInstancesResp */
    struct usp_curr_inst ci[] = {{"Device.IP.Interface.1.", kv2, 2},
                                 {"Device.IP.Interface.2.", NULL, 0}};
    struct usp_inst_result ir[] = {{"Device.IP.Interface.", 0, NULL, ci, 2}};
    msg_init(&m, USP_MSG_GET_INSTANCES_RESP, "gi");
    m.get_instances_resp.results = ir;
    m.get_instances_resp.n_results = 1;
    d = roundtrip(&m);
    assert_int_equal(d->get_instances_resp.results[0].n_insts, 2);
    usp_msg_free(d);

    /* GetSupportedProtocolResp */
    msg_init(&m, USP_MSG_GET_SUPPORTED_PROTO_RESP, "gsp");
    m.gsp_resp.versions = USP_VERSIONS_SUPPORTED;
    d = roundtrip(&m);
    assert_string_equal(d->gsp_resp.versions, USP_VERSIONS_SUPPORTED);
    usp_msg_free(d);

    /* RegisterResp / DeregisterResp */
    struct usp_register_result rr[] = {
        {"Device.X.", true, 0, NULL, "Device.X."},
        {"Device.Y.", false, 7031, "taken", NULL}};
    msg_init(&m, USP_MSG_REGISTER_RESP, "rr");
    m.reg_resp.results = rr;
    m.reg_resp.n_results = 2;
    d = roundtrip(&m);
    assert_string_equal(d->reg_resp.results[0].registered_path, "Device.X.");
    assert_int_equal(d->reg_resp.results[1].err_code, 7031);
    usp_msg_free(d);
    struct usp_deregister_result der[] = {
        {"Device.X.", true, 0, NULL, aff, 1},
        {"Device.Y.", false, 7030, "no", NULL, 0}};
    msg_init(&m, USP_MSG_DEREGISTER_RESP, "drr");
    m.dereg_resp.results = der;
    m.dereg_resp.n_results = 2;
    d = roundtrip(&m);
    assert_int_equal(d->dereg_resp.results[0].n_deregistered, 1);
    assert_int_equal(d->dereg_resp.results[1].err_code, 7030);
    usp_msg_free(d);

    /* Error with param_errs */
    msg_init(&m, USP_MSG_ERROR, "err");
    m.error.err_code = 7004;
    m.error.err_msg = "Invalid arguments";
    m.error.param_errs = perr;
    m.error.n_param_errs = 2;
    d = roundtrip(&m);
    assert_int_equal(d->error.n_param_errs, 2);
    assert_string_equal(d->error.param_errs[1].path, "Name");
    usp_msg_free(d);
}

static void test_builder(void **state)
{
    (void)state;
    struct usp_msg *m = NULL, *d;
    struct usp_get_result *r;

    assert_int_equal(usp_msg_new(USP_MSG_GET_RESP, "b1", &m), UB_OK);
    r = usp_msg_alloc(m, 3 * sizeof(*r));
    assert_non_null(r);
    for (int i = 0; i < 3; i++) {
        r[i].requested_path = usp_msg_strdup(m, "Device.");
        r[i].err_code = (uint32_t)(7000 + i);
    }
    m->get_resp.results = r;
    m->get_resp.n_results = 3;
    d = roundtrip(m);
    assert_int_equal(d->get_resp.results[2].err_code, 7002);
    usp_msg_free(d);
    usp_msg_free(m);
    usp_msg_free(NULL);
}

static void test_encode_bad(void **state)
{
    (void)state;
    struct usp_msg m;
    uint8_t *b = NULL;
    size_t n = 0;
    const char *big[] = {"Device.0123456789012345678901234567890123456789."};

    msg_init(&m, USP_MSG_GET, "x");
    m.get.n_paths = 1; /* paths NULL */
    assert_int_equal(usp_msg_encode(&m, 0, &b, &n), UB_EINVAL);
    m.get.paths = big;
    assert_int_equal(usp_msg_encode(&m, 16, &b, &n), UB_ETOOBIG);
    m.type = (enum usp_msg_type)99;
    assert_int_equal(usp_msg_encode(&m, 0, &b, &n), UB_EINVAL);
    msg_init(&m, USP_MSG_NOTIFY, "x");
    m.notify.kind = (enum usp_notif_kind)42;
    assert_int_equal(usp_msg_encode(&m, 0, &b, &n), UB_EINVAL);
    /* NULL strings encode as "" */
    msg_init(&m, USP_MSG_NOTIFY_RESP, NULL);
    assert_int_equal(usp_msg_encode(&m, 0, &b, &n), UB_OK);
    ub_free(b);
}

static void test_decode_bad_msgs(void **state)
{
    (void)state;
    struct usp_msg *d = (struct usp_msg *)0x1;
    /* Msg with a header but no body */
    static const uint8_t no_body[] = {0x0a, 0x03, 0x0a, 0x01, '1'};
    /* Msg with a body but empty msg_id */
    static const uint8_t no_id[] = {0x0a, 0x02, 0x10, 0x01, 0x12, 0x04,
                                    0x0a, 0x02, 0x0a, 0x00};
    /* Msg whose Request has no req_type */
    static const uint8_t no_req[] = {0x0a, 0x03, 0x0a, 0x01, '1',
                                     0x12, 0x02, 0x0a, 0x00};
    /* Garbage: a length running past the end */
    static const uint8_t garbage[] = {0x0a, 0x7f, 0x01};

    assert_int_equal(usp_msg_decode(no_body, sizeof(no_body), &d), UB_EPROTO);
    assert_int_equal(usp_msg_decode(no_id, sizeof(no_id), &d), UB_EPROTO);
    assert_int_equal(usp_msg_decode(no_req, sizeof(no_req), &d), UB_EPROTO);
    assert_int_equal(usp_msg_decode(garbage, sizeof(garbage), &d),
                     UB_EPROTO);
    assert_int_equal(usp_msg_decode(golden_get, sizeof(golden_get) - 3, &d),
                     UB_EPROTO);
    assert_int_equal(usp_msg_decode("", 0, &d), UB_EPROTO);
    assert_ptr_equal(d, (struct usp_msg *)0x1); /* untouched on failure */
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

static uint8_t *make_record(const char *version, const char *to,
                            const char *from, size_t *n)
{
    uint8_t *msg = NULL, *rec = NULL;
    size_t mlen = 0;
    struct usp_record r = {0};

    msg = ub_malloc(sizeof(golden_get));
    memcpy(msg, golden_get, sizeof(golden_get));
    mlen = sizeof(golden_get);
    r.version = version;
    r.to_id = to;
    r.from_id = from;
    r.kind = USP_REC_NO_SESSION;
    r.payload = msg;
    r.payload_len = mlen;
    assert_int_equal(usp_record_encode(&r, 0, &rec, n), UB_OK);
    ub_free(msg);
    return rec;
}

static void test_record_kinds(void **state)
{
    (void)state;
    static const enum usp_record_kind kinds[] = {
        USP_REC_NO_SESSION, USP_REC_WS_CONNECT, USP_REC_MQTT_CONNECT,
        USP_REC_STOMP_CONNECT, USP_REC_DISCONNECT, USP_REC_UDS_CONNECT};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct usp_record r = {0}, *d = NULL;
        uint8_t *b = NULL;
        size_t n = 0;
        r.to_id = "os::00D09E-SN1";
        r.from_id = "proto::ctrl";
        r.kind = kinds[i];
        r.payload = golden_get;
        r.payload_len = sizeof(golden_get);
        r.mqtt_version = USP_MQTT_V3_1_1;
        r.mqtt_topic = "usp/agent";
        r.stomp_destination = "/queue/agent";
        r.disconnect_code = 7105;
        r.disconnect_reason = "shutdown";
        assert_int_equal(usp_record_encode(&r, 0, &b, &n), UB_OK);
        assert_int_equal(usp_record_decode(b, n, NULL, &d, NULL), UB_OK);
        assert_int_equal(d->kind, kinds[i]);
        assert_string_equal(d->version, USP_VERSION_DEFAULT);
        assert_string_equal(d->to_id, "os::00D09E-SN1");
        assert_string_equal(d->from_id, "proto::ctrl");
        switch (kinds[i]) {
        case USP_REC_NO_SESSION:
            assert_int_equal(d->payload_len, sizeof(golden_get));
            assert_memory_equal(d->payload, golden_get, sizeof(golden_get));
            break;
        case USP_REC_MQTT_CONNECT:
            assert_int_equal(d->mqtt_version, USP_MQTT_V3_1_1);
            assert_string_equal(d->mqtt_topic, "usp/agent");
            break;
        case USP_REC_STOMP_CONNECT:
            assert_string_equal(d->stomp_destination, "/queue/agent");
            break;
        case USP_REC_DISCONNECT:
            assert_int_equal(d->disconnect_code, 7105);
            assert_string_equal(d->disconnect_reason, "shutdown");
            break;
        default:
            break;
        }
        ub_free(b); /* the decoded record must not need the input */
        {
            struct ub_buf t;
            ub_buf_init(&t, 4096);
            assert_int_equal(usp_record_print(d, &t), UB_OK);
            assert_non_null(strstr(t.data, "from_id: \"proto::ctrl\""));
            ub_buf_free(&t);
        }
        usp_record_free(d);
    }
    {
        struct usp_record r = {0};
        uint8_t *b = NULL;
        size_t n = 0;
        r.kind = USP_REC_SESSION;
        assert_int_equal(usp_record_encode(&r, 0, &b, &n), UB_ENOTSUP);
        r.kind = USP_REC_NONE;
        assert_int_equal(usp_record_encode(&r, 0, &b, &n), UB_EINVAL);
    }
}

static void test_record_bad(void **state)
{
    (void)state;
    struct usp_record *d = (struct usp_record *)0x1;
    struct usp_record_diag dg;
    struct usp_record_limits lim = {.max_record = 40};
    uint8_t *rec, *reply = NULL;
    size_t n, rn = 0;

    /* garbage */
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(usp_record_decode(garbage, sizeof(garbage), NULL, &d,
                                       &dg),
                     UB_EPROTO);
    assert_int_equal(dg.usp_err, USP_ERR_RECORD_NOT_PARSED);
    assert_false(dg.ids_valid);
    assert_int_equal(usp_record_error_build(&dg, "os::X", &reply, &rn),
                     UB_ENOTFOUND);

    /* truncated */
    rec = make_record("1.3", "os::X", "ctrl", &n);
    assert_int_equal(usp_record_decode(rec, n - 4, NULL, &d, &dg), UB_EPROTO);
    assert_int_equal(dg.usp_err, USP_ERR_RECORD_NOT_PARSED);
    /* oversized */
    assert_int_equal(usp_record_decode(rec, n, &lim, &d, &dg), UB_ETOOBIG);
    assert_int_equal(dg.usp_err, USP_ERR_RECORD_NOT_PARSED);
    ub_free(rec);

    /* wrong versions */
    static const char *bad_versions[] = {"2.0", "1.5", "1.", "1.10", "x",
                                         "1.3 "};
    for (size_t i = 0; i < sizeof(bad_versions) / sizeof(*bad_versions);
         i++) {
        rec = make_record(bad_versions[i], "os::X", "ctrl", &n);
        assert_int_equal(usp_record_decode(rec, n, NULL, &d, &dg),
                         UB_EVERSION);
        assert_int_equal(dg.usp_err, USP_ERR_INVALID_RECORD_VALUE);
        assert_non_null(strstr(dg.msg, "unsupported USP version"));
        ub_free(rec);
    }
    /* ... but the error reply may be built: ids fine, payload a request */
    rec = make_record("9.9", "os::X", "ctrl", &n);
    assert_int_equal(usp_record_decode(rec, n, NULL, &d, &dg), UB_EVERSION);
    assert_true(dg.ids_valid);
    assert_true(dg.payload_known && dg.payload_is_request);
    assert_string_equal(dg.msg_id, "1");
    assert_int_equal(usp_record_error_build(&dg, "os::other", &reply, &rn),
                     UB_ENOTFOUND); /* not for us: ignore */
    assert_int_equal(usp_record_error_build(&dg, "os::X", &reply, &rn),
                     UB_OK);
    ub_free(rec);
    {
        struct usp_record *er = NULL;
        struct usp_msg *em = NULL;
        assert_int_equal(usp_record_decode(reply, rn, NULL, &er, NULL),
                         UB_OK);
        assert_string_equal(er->to_id, "ctrl");
        assert_string_equal(er->from_id, "os::X");
        assert_int_equal(usp_msg_decode(er->payload, er->payload_len, &em),
                         UB_OK);
        assert_int_equal(em->type, USP_MSG_ERROR);
        assert_string_equal(em->msg_id, "1");
        assert_int_equal(em->error.err_code, USP_ERR_INVALID_RECORD_VALUE);
        usp_msg_free(em);
        usp_record_free(er);
        ub_free(reply);
    }

    /* missing to_id / from_id, bad characters, too long */
    rec = make_record("1.3", "", "ctrl", &n);
    assert_int_equal(usp_record_decode(rec, n, NULL, &d, &dg), UB_EPROTO);
    assert_int_equal(dg.usp_err, USP_ERR_INVALID_RECORD_VALUE);
    assert_false(dg.ids_valid);
    ub_free(rec);
    rec = make_record("1.3", "os::X", "", &n);
    assert_int_equal(usp_record_decode(rec, n, NULL, &d, &dg), UB_EPROTO);
    ub_free(rec);
    rec = make_record("1.3", "os::X", "a b", &n);
    assert_int_equal(usp_record_decode(rec, n, NULL, &d, &dg), UB_EPROTO);
    ub_free(rec);
    {
        char longid[USP_ID_MAX + 2];
        memset(longid, 'a', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        rec = make_record("1.3", longid, "ctrl", &n);
        assert_int_equal(usp_record_decode(rec, n, NULL, &d, &dg),
                         UB_EPROTO);
        ub_free(rec);
    }
    assert_ptr_equal(d, (struct usp_record *)0x1);

    /* no record_type; empty payload */
    static const uint8_t no_type[] = {0x0a, 0x03, '1', '.', '3', 0x12, 0x01,
                                      'a', 0x1a, 0x01, 'b'};
    assert_int_equal(usp_record_decode(no_type, sizeof(no_type), NULL, &d,
                                       &dg),
                     UB_EPROTO);
    assert_int_equal(dg.usp_err, USP_ERR_INVALID_RECORD_VALUE);
    static const uint8_t empty_payload[] = {0x0a, 0x03, '1', '.', '3', 0x12,
                                            0x01, 'a',  0x1a, 0x01, 'b',
                                            0x3a, 0x00};
    assert_int_equal(usp_record_decode(empty_payload, sizeof(empty_payload),
                                       NULL, &d, &dg),
                     UB_EPROTO);

    /* session context: not supported, 7106, reply allowed */
    static const uint8_t sess[] = {
        0x0a, 0x03, '1', '.', '3', 0x12, 0x01, 'a', 0x1a, 0x01, 'b',
        0x42, 0x04, 0x08, 0x01, 0x10, 0x01}; /* session_id 1 sequence 1 */
    assert_int_equal(usp_record_decode(sess, sizeof(sess), NULL, &d, &dg),
                     UB_ENOTSUP);
    assert_int_equal(dg.usp_err, USP_ERR_SESSION_CONTEXT_NOT_ALLOWED);
    assert_int_equal(usp_record_error_build(&dg, "a", &reply, &rn), UB_OK);
    ub_free(reply);

    /* TLS payload security: 7102 */
    static const uint8_t tls[] = {0x0a, 0x03, '1', '.', '3', 0x12, 0x01,
                                  'a',  0x1a, 0x01, 'b', 0x20, 0x01,
                                  0x3a, 0x03, 0x12, 0x01, 0x00};
    assert_int_equal(usp_record_decode(tls, sizeof(tls), NULL, &d, &dg),
                     UB_ENOTSUP);
    assert_int_equal(dg.usp_err, USP_ERR_SECURE_SESSION_NOT_SUPPORTED);

    /* a bad record carrying an Error message is never answered */
    {
        struct usp_record r = {0};
        uint8_t *b = NULL;
        size_t bn = 0;
        r.version = "7.7";
        r.to_id = "a";
        r.from_id = "b";
        r.kind = USP_REC_NO_SESSION;
        r.payload = golden_error;
        r.payload_len = sizeof(golden_error);
        assert_int_equal(usp_record_encode(&r, 0, &b, &bn), UB_OK);
        assert_int_equal(usp_record_decode(b, bn, NULL, &d, &dg),
                         UB_EVERSION);
        assert_true(dg.payload_known);
        assert_false(dg.payload_is_request);
        assert_int_equal(usp_record_error_build(&dg, "a", &reply, &rn),
                         UB_ENOTFOUND);
        ub_free(b);
    }
}

static void test_alloc_failures(void **state)
{
    (void)state;
    /* Fail every allocation in turn (curl torture): each decode must fail
     * cleanly or succeed, and nothing may leak. */
    size_t before = ub_mem_in_use();
    uint8_t *rec;
    size_t n;
    int ok = 0;

    rec = make_record("1.3", "os::X", "ctrl", &n);
    for (long i = 0; i < 200 && !ok; i++) {
        struct usp_record *r = NULL;
        struct usp_msg *m = NULL;
        int err;
        ub_mem_fail_after(i);
        err = usp_record_decode(rec, n, NULL, &r, NULL);
        if (!err) {
            err = usp_msg_decode(r->payload, r->payload_len, &m);
            if (!err) {
                ok = 1;
                usp_msg_free(m);
            }
            usp_record_free(r);
        }
        ub_mem_fail_after(-1);
        assert_true(err == UB_OK || err == UB_ENOMEM || err == UB_EPROTO);
    }
    assert_true(ok);
    ub_free(rec);
    assert_int_equal(ub_mem_in_use(), before);
}

/* ------------------------------------------------------------------ */
/* Text, errors, types, endpoint IDs                                   */
/* ------------------------------------------------------------------ */

static void test_print(void **state)
{
    (void)state;
    struct usp_msg *d = NULL;
    struct ub_buf b;

    assert_int_equal(usp_msg_decode(golden_get, sizeof(golden_get), &d),
                     UB_OK);
    ub_buf_init(&b, 4096);
    assert_int_equal(usp_msg_print(d, &b), UB_OK);
    assert_string_equal(b.data,
                        "header {\n"
                        "  msg_id: \"1\"\n"
                        "  msg_type: GET\n"
                        "}\n"
                        "body {\n"
                        "  request {\n"
                        "    get {\n"
                        "      param_paths: \"Device.\"\n"
                        "      max_depth: 2\n"
                        "    }\n"
                        "  }\n"
                        "}\n");
    ub_buf_free(&b);
    usp_msg_free(d);

    /* escaping of peer data, maps as key/value */
    struct usp_kv kv[] = {{"k\"", "a\nb\x01"}};
    struct usp_msg m;
    msg_init(&m, USP_MSG_OPERATE, "p");
    m.operate.command = "X()";
    m.operate.input_args = kv;
    m.operate.n_input_args = 1;
    ub_buf_init(&b, 4096);
    assert_int_equal(usp_msg_print(&m, &b), UB_OK);
    assert_non_null(strstr(b.data, "input_args {\n"));
    assert_non_null(strstr(b.data, "key: \"k\\\"\""));
    assert_non_null(strstr(b.data, "value: \"a\\nb\\001\""));
    ub_buf_free(&b);
}

static void test_err_text(void **state)
{
    (void)state;
    assert_string_equal(usp_err_text(7008), "Invalid path syntax");
    assert_string_equal(usp_err_text(7026), "Invalid path");
    assert_string_equal(usp_err_text(7106), "Session Context not allowed");
    assert_string_equal(usp_err_text(7031), "Path already registered");
    assert_string_equal(usp_err_text(7850), "Vendor defined error");
    assert_string_equal(usp_err_text(1234), "Unknown error");
    assert_string_equal(usp_msg_type_name(USP_MSG_DEREGISTER_RESP),
                        "DEREGISTER_RESP");
    assert_string_equal(usp_msg_type_name((enum usp_msg_type)77), "?");
    assert_int_equal(usp_msg_type_response(USP_MSG_GET), USP_MSG_GET_RESP);
    assert_int_equal(usp_msg_type_response(USP_MSG_REGISTER),
                     USP_MSG_REGISTER_RESP);
    assert_true(usp_msg_type_is_request(USP_MSG_NOTIFY));
    assert_false(usp_msg_type_is_request(USP_MSG_NOTIFY_RESP));
    assert_false(usp_msg_type_is_request(USP_MSG_ERROR));
    assert_int_equal(usp_vtype_from_ub(UB_T_ULONG), USP_VT_UNSIGNED_LONG);
    assert_int_equal(usp_vtype_to_ub(USP_VT_BOOLEAN), UB_T_BOOL);
    assert_int_equal(usp_vtype_from_ub(UB_T_OBJECT), USP_VT_UNKNOWN);
}

static void test_eid(void **state)
{
    (void)state;
    char *id = NULL;

    assert_int_equal(usp_eid_build("00d09e", NULL, "SN12345", &id), UB_OK);
    assert_string_equal(id, "os::00D09E-SN12345");
    assert_int_equal(usp_eid_check(id), UB_OK);
    ub_free(id);
    assert_int_equal(usp_eid_build("00D09E", "IGD", "AB-12_x.y", &id),
                     UB_OK);
    assert_string_equal(id, "ops::00D09E-IGD-AB-12_x.y");
    ub_free(id);
    assert_int_equal(usp_eid_build("00D09E", "Home Gw", "S/N:1%", &id),
                     UB_OK);
    assert_string_equal(id, "ops::00D09E-Home%20Gw-S%2FN%3A1%25");
    assert_int_equal(usp_eid_check(id), UB_OK);
    ub_free(id);
    assert_int_equal(usp_eid_build("00D09E", NULL, "\xc3\xa9", &id), UB_OK);
    assert_string_equal(id, "os::00D09E-%C3%A9");
    ub_free(id);

    /* the 50-character instance-id limit: 6 + 1 + 43 = 50 fits, 44 not */
    char sn[64];
    memset(sn, 'A', 43);
    sn[43] = '\0';
    assert_int_equal(usp_eid_build("00D09E", NULL, sn, &id), UB_OK);
    assert_int_equal(strlen(id), 4 + 50);
    ub_free(id);
    id = NULL;
    sn[43] = 'A';
    sn[44] = '\0';
    assert_int_equal(usp_eid_build("00D09E", NULL, sn, &id), UB_ETOOBIG);
    sn[42] = ' '; /* encoding makes it longer: 42 + 3 + 1 */
    sn[43] = '\0';
    assert_int_equal(usp_eid_build("00D09E", NULL, sn, &id), UB_ETOOBIG);
    assert_null(id);

    assert_int_equal(usp_eid_build("00D09", NULL, "x", &id), UB_EINVAL);
    assert_int_equal(usp_eid_build("00D09G", NULL, "x", &id), UB_EINVAL);
    assert_int_equal(usp_eid_build("00D09E", NULL, "", &id), UB_EINVAL);
    assert_int_equal(usp_eid_build("00D09E", "", "x", &id), UB_EINVAL);

    static const char *good[] = {
        "oui:00256D:my-unique-bbf-id-42", "cid:3AA3F8:my-unique-usp-id-42",
        "pen:3561:my-unique-bbf-id-42", "self::my-Agent", "self:ab:x",
        "user::x", "os::00256D-0123456789", "ops::00256D-STB-0123456789",
        "uuid::f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "imei::990000862471854", "proto::my-Agent", "doc::x",
        "os::00D09E-S%2FN"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        assert_int_equal(usp_eid_check(good[i]), UB_OK);
    static const char *bad[] = {
        "", "os", "os:", "os::", "foo::x", "oui:00256:x", "oui:00256G:x",
        "pen::x", "pen:12a:x", "os:a:x", "self:1234567:x", "proto:a.b:x",
        "os::a b", "os::a%2", "os::a%zz", "os::a:b", "OS::x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(usp_eid_check(bad[i]), UB_EINVAL);
    memset(sn, 'x', 51);
    sn[51] = '\0';
    char eid[80];
    strcpy(eid, "os::");
    strcat(eid, sn);
    assert_int_equal(usp_eid_check(eid), UB_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_get),
        cmocka_unit_test(test_golden_error),
        cmocka_unit_test(test_golden_records),
        cmocka_unit_test(test_rt_requests),
        cmocka_unit_test(test_rt_notify),
        cmocka_unit_test(test_rt_responses),
        cmocka_unit_test(test_builder),
        cmocka_unit_test(test_encode_bad),
        cmocka_unit_test(test_decode_bad_msgs),
        cmocka_unit_test(test_record_kinds),
        cmocka_unit_test(test_record_bad),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_err_text),
        cmocka_unit_test(test_eid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
