/*
 * usp-ctl: a small USP Controller for the command line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * One request per run: build the Msg with the public codec (ub/usp.h),
 * wrap it in a no_session_context Record, send it over the usp module's
 * MTP layer (MQTT 5 / 3.1.1 or WebSocket, client side), wait for the
 * Record whose Msg has the same msg_id, print it in protobuf text form and
 * exit.  The MTP layer is endpoint-neutral: here the "local endpoint" it
 * serves is the controller (--id) and its topic the controller's topic.
 * "listen" prints Notify messages (answering NotifyResp when asked) until
 * --count of them arrived or the timeout passed (0 = forever).
 * Everything runs on one libuv loop; a timer bounds the wait.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include <ub/usp.h>

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 1,
    EXIT_USP_ERROR = 2,
    EXIT_TIMEOUT = 3,
    EXIT_PARTIAL = 4,
    EXIT_TRANSPORT = 5,
};

static const char usage_text[] =
    "NAME\n"
    "    usp-ctl - send one USP message to an agent and print the answer\n"
    "\n"
    "SYNOPSIS\n"
    "    usp-ctl --mqtt HOST[:PORT] [--mqtt-version 5|3.1.1] [--topic T]\n"
    "            [--agent-topic T] [--user U --pass P]\n"
    "            --agent EID [--id EID] [--timeout S] VERB [ARGS...]\n"
    "    usp-ctl --ws ws://HOST:PORT/PATH --agent EID [--id EID] VERB ...\n"
    "\n"
    "DESCRIPTION\n"
    "    Builds a USP request, wraps it in a NoSessionContext Record from\n"
    "    --id to --agent, sends it over MQTT or WebSocket, waits for the\n"
    "    response with the same msg_id and prints it in protobuf text\n"
    "    format on stdout.  Notify messages that arrive meanwhile are\n"
    "    printed on stderr and acknowledged when they ask for it.\n"
    "\n"
    "OPTIONS\n"
    "    --mqtt HOST[:PORT]    MQTT broker (port 1883 by default).\n"
    "    --mqtt-version V      5 (default) or 3.1.1.\n"
    "    --topic T             this controller's topic, subscribed for the\n"
    "                          answers (default usp/controllers/<id>).\n"
    "    --agent-topic T       the agent's topic\n"
    "                          (default usp/agents/<agent>).\n"
    "    --user U, --pass P    MQTT user name and password.\n"
    "    --tls                 MQTT over TLS (port 8883 by default).\n"
    "    --ca FILE             CA certificate(s) for the broker / wss server.\n"
    "    --cert F, --key F     client certificate and key (TLS).\n"
    "    --insecure            do not check the server certificate (tests).\n"
    "    --ws URL              connect to the agent's WebSocket server,\n"
    "                          ws:// or wss:// (subprotocol v1.usp,\n"
    "                          ?eid=<id> is appended).\n"
    "    --agent EID           the agent's endpoint ID (to_id). Required.\n"
    "    --id EID              this controller's endpoint ID (from_id),\n"
    "                          default self::usp-ctl.\n"
    "    --timeout S           seconds to wait for the answer (default 10;\n"
    "                          for listen, 0 = forever).\n"
    "    --depth N             get: max_depth.\n"
    "    --partial             set/add/delete: allow_partial = true.\n"
    "    --first-level         instances, supported-dm: first_level_only.\n"
    "    --key K               operate: command_key.\n"
    "    --count N             listen: exit after N notifications.\n"
    "    -v, --verbose         log transport details on stderr.\n"
    "    -h, --help            this text.\n"
    "\n"
    "VERBS\n"
    "    get PATH...                         Get\n"
    "    set OBJ.PARAM=VALUE...              Set (grouped per object)\n"
    "    add OBJ. [PARAM=VALUE...]           Add one instance\n"
    "    delete OBJ.N. ...                   Delete\n"
    "    operate CMD() [ARG=VALUE...]        Operate (send_resp = true)\n"
    "    instances OBJ....                   GetInstances\n"
    "    supported-dm OBJ....                GetSupportedDM (all kinds)\n"
    "    supported-proto [VERSIONS]          GetSupportedProtocol\n"
    "    listen                              print Notify messages\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 usage; 2 the agent answered with a USP Error;\n"
    "    3 timeout; 4 the response reports a failure for some path;\n"
    "    5 transport or encoding failure.\n"
    "\n"
    "EXAMPLES\n"
    "    usp-ctl --mqtt 127.0.0.1:1883 --agent os::012345-CPE-1 \\\n"
    "            get Device.DeviceInfo.SoftwareVersion\n"
    "    usp-ctl --mqtt 127.0.0.1 --mqtt-version 3.1.1 --agent os::A \\\n"
    "            set Device.WiFi.SSID.1.SSID=home Device.WiFi.SSID.1.Enable=1\n"
    "    usp-ctl --ws ws://127.0.0.1:8080/usp/os::A --agent os::A \\\n"
    "            operate 'Device.Reboot()'\n"
    "    usp-ctl --mqtt 127.0.0.1 --agent os::A --timeout 0 listen\n";

struct ctl {
    uv_loop_t *loop;
    struct usp_mtp *mtp;
    uv_timer_t timer;
    uv_signal_t sig;
    bool is_ws;
    uint32_t broker;
    uint64_t conn;
    const char *id, *agent, *topic, *agent_topic;
    char msg_id[64];
    uint8_t *rec;
    size_t rec_len;
    bool sent;
    bool listen;
    long count, seen;
    int exit_code;
    bool done;
};

static void finish(struct ctl *c, int code)
{
    if (c->done)
        return;
    c->done = true;
    c->exit_code = code;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, NULL);
    uv_close((uv_handle_t *)&c->sig, NULL);
    usp_mtp_destroy(c->mtp);
    c->mtp = NULL;
}

static void on_timeout(uv_timer_t *t)
{
    struct ctl *c = t->data;
    if (!c->listen)
        fprintf(stderr, "usp-ctl: no answer to %s within the timeout\n",
                c->msg_id);
    finish(c, c->listen ? EXIT_OK : EXIT_TIMEOUT);
}

static int c_exit_for_signal(int signum)
{
    return 128 + signum;
}

static void on_signal(uv_signal_t *s, int signum)
{
    finish(s->data, c_exit_for_signal(signum));
}

static void send_request(struct ctl *c)
{
    if (c->sent || !c->rec)
        return;
    struct usp_mtp_dest d = {.agent_eid = c->id};
    if (c->is_ws) {
        d.kind = USP_MTP_WS;
        d.conn_id = c->conn;
    } else {
        d.kind = USP_MTP_MQTT;
        d.broker_id = c->broker;
        d.topic = c->agent_topic;
    }
    int err = usp_mtp_send(c->mtp, &d, c->rec, c->rec_len);
    if (err) {
        fprintf(stderr, "usp-ctl: send: %s\n", ub_strerror(err));
        finish(c, EXIT_TRANSPORT);
        return;
    }
    c->sent = true;
}

static void on_mqtt_state(void *user, uint32_t broker, bool up,
                          const char *info)
{
    struct ctl *c = user;
    if (up)
        send_request(c);
}

static void on_ws_state(void *user, uint64_t conn, const char *agent,
                        const char *peer, bool up)
{
    struct ctl *c = user;
    if (up)
        send_request(c);
}

/* 4 if a response reports a per-path failure, else 0. */
static int result_code(const struct usp_msg *m)
{
    size_t i;
    switch (m->type) {
    case USP_MSG_GET_RESP:
        for (i = 0; i < m->get_resp.n_results; i++)
            if (m->get_resp.results[i].err_code)
                return EXIT_PARTIAL;
        break;
    case USP_MSG_SET_RESP:
        for (i = 0; i < m->set_resp.n_results; i++)
            if (!m->set_resp.results[i].success)
                return EXIT_PARTIAL;
        break;
    case USP_MSG_ADD_RESP:
        for (i = 0; i < m->add_resp.n_results; i++)
            if (!m->add_resp.results[i].success)
                return EXIT_PARTIAL;
        break;
    case USP_MSG_DELETE_RESP:
        for (i = 0; i < m->delete_resp.n_results; i++)
            if (!m->delete_resp.results[i].success)
                return EXIT_PARTIAL;
        break;
    case USP_MSG_OPERATE_RESP:
        for (i = 0; i < m->operate_resp.n_results; i++)
            if (m->operate_resp.results[i].outcome == USP_OPER_FAILURE)
                return EXIT_PARTIAL;
        break;
    case USP_MSG_GET_INSTANCES_RESP:
        for (i = 0; i < m->get_instances_resp.n_results; i++)
            if (m->get_instances_resp.results[i].err_code)
                return EXIT_PARTIAL;
        break;
    case USP_MSG_GET_SUPPORTED_DM_RESP:
        for (i = 0; i < m->gsdm_resp.n_results; i++)
            if (m->gsdm_resp.results[i].err_code)
                return EXIT_PARTIAL;
        break;
    default:
        break;
    }
    return EXIT_OK;
}

static void print_msg(FILE *f, const struct usp_msg *m)
{
    struct ub_buf b;
    ub_buf_init(&b, 64u * 1024 * 1024);
    if (usp_msg_print(m, &b) == UB_OK && b.data)
        fprintf(f, "%s%s", b.data,
                b.len && b.data[b.len - 1] == '\n' ? "" : "\n");
    else
        fprintf(f, "(message could not be printed)\n");
    ub_buf_free(&b);
    fflush(f);
}

static void ack_notify(struct ctl *c, const struct usp_mtp_rx *rx,
                       const struct usp_msg *n)
{
    struct usp_msg r;
    memset(&r, 0, sizeof(r));
    r.msg_id = n->msg_id;
    r.type = USP_MSG_NOTIFY_RESP;
    r.notify_resp.subscription_id = n->notify.subscription_id;
    uint8_t *msg = NULL, *rec = NULL;
    size_t msg_len = 0, rec_len = 0;
    int err = usp_msg_encode(&r, 0, &msg, &msg_len);
    if (!err)
        err = usp_record_wrap(c->agent, c->id, msg, msg_len, &rec, &rec_len);
    if (!err) {
        struct usp_mtp_dest d = {.agent_eid = c->id};
        if (rx->kind == USP_MTP_WS) {
            d.kind = USP_MTP_WS;
            d.conn_id = rx->conn_id;
        } else {
            d.kind = USP_MTP_MQTT;
            d.broker_id = rx->broker_id;
            d.topic = rx->reply_topic ? rx->reply_topic : c->agent_topic;
        }
        err = usp_mtp_send(c->mtp, &d, rec, rec_len);
    }
    if (err)
        fprintf(stderr, "usp-ctl: NotifyResp not sent: %s\n",
                ub_strerror(err));
    ub_free(msg);
    ub_free(rec);
}

static void on_record(void *user, const struct usp_mtp_rx *rx)
{
    struct ctl *c = user;
    if (c->done)
        return;
    struct usp_record *rec = NULL;
    struct usp_record_diag diag;
    int err = usp_record_decode(rx->data, rx->len, NULL, &rec, &diag);
    if (err) {
        fprintf(stderr, "usp-ctl: bad record (%u): %s\n", diag.usp_err,
                diag.msg);
        return;
    }
    if (rec->kind != USP_REC_NO_SESSION) {
        if (UB_LOG_ENABLED(UB_LOG_INFO)) {
            struct ub_buf b;
            ub_buf_init(&b, 65536);
            if (usp_record_print(rec, &b) == UB_OK && b.data)
                fprintf(stderr, "usp-ctl: record ignored:\n%s\n", b.data);
            ub_buf_free(&b);
        }
        usp_record_free(rec);
        return;
    }
    if (strcmp(rec->to_id, c->id)) {
        fprintf(stderr, "usp-ctl: record for %s ignored\n", rec->to_id);
        usp_record_free(rec);
        return;
    }
    struct usp_msg *m = NULL;
    err = usp_msg_decode(rec->payload, rec->payload_len, &m);
    if (err) {
        fprintf(stderr, "usp-ctl: bad message from %s: %s\n", rec->from_id,
                ub_strerror(err));
        usp_record_free(rec);
        return;
    }
    if (m->type == USP_MSG_NOTIFY) {
        FILE *f = c->listen ? stdout : stderr;
        fprintf(f, "# Notify from %s\n", rec->from_id);
        print_msg(f, m);
        if (m->notify.send_resp)
            ack_notify(c, rx, m);
        if (c->listen && c->count > 0 && ++c->seen >= c->count)
            finish(c, EXIT_OK);
    } else if (!c->listen && !strcmp(m->msg_id, c->msg_id)) {
        print_msg(stdout, m);
        finish(c, m->type == USP_MSG_ERROR ? EXIT_USP_ERROR
                                           : result_code(m));
    } else {
        fprintf(stderr, "usp-ctl: %s message %s from %s ignored\n",
                usp_msg_type_name(m->type), m->msg_id, rec->from_id);
    }
    usp_msg_free(m);
    usp_record_free(rec);
}

/* ------------------------------------------------------------------ */
/* building the request                                                */
/* ------------------------------------------------------------------ */

/* "A.B.C=v" -> obj "A.B.", param "C", value "v" (in caller buffers owned
 * by m).  Returns false on bad syntax. */
/* The '=' that separates PATH from VALUE: the first one outside a search
 * expression ("A.[Name==\"x\"].P=v" splits before "v"). */
static const char *setting_eq(const char *arg)
{
    int depth = 0;
    bool quoted = false;

    for (const char *p = arg; *p; p++) {
        if (quoted) {
            quoted = *p != '"';
        } else if (*p == '"') {
            quoted = depth > 0;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']' && depth > 0) {
            depth--;
        } else if (*p == '=' && depth == 0) {
            return p;
        }
    }
    /* unbalanced brackets: let the agent judge the path (7008) */
    return strchr(arg, '=');
}

static bool split_setting(struct usp_msg *m, const char *arg,
                          const char **obj, const char **param,
                          const char **value)
{
    const char *eq = setting_eq(arg);
    if (!eq || eq == arg)
        return false;
    size_t plen = (size_t)(eq - arg);
    char *path = usp_msg_alloc(m, plen + 1);
    if (!path)
        return false;
    memcpy(path, arg, plen);
    path[plen] = '\0';
    *value = usp_msg_strdup(m, eq + 1);
    char *dot = strrchr(path, '.');
    if (!dot || !dot[1]) {
        /* add: parameters are relative names */
        *obj = NULL;
        *param = path;
        return *value != NULL;
    }
    *param = usp_msg_strdup(m, dot + 1);
    dot[1] = '\0';
    *obj = path;
    return *param && *value;
}

static int build_set(struct usp_msg *m, int argc, char **argv)
{
    /* one obj_settings per distinct object, in order of appearance */
    struct usp_obj_settings *objs =
        usp_msg_alloc(m, sizeof(*objs) * (size_t)argc);
    size_t n = 0;
    if (!objs)
        return UB_ENOMEM;
    for (int i = 0; i < argc; i++) {
        const char *obj, *param, *value;
        if (!split_setting(m, argv[i], &obj, &param, &value) || !obj) {
            fprintf(stderr, "usp-ctl: set wants OBJ.PARAM=VALUE, got %s\n",
                    argv[i]);
            return UB_EINVAL;
        }
        size_t k;
        for (k = 0; k < n && strcmp(objs[k].obj_path, obj); k++)
            ;
        if (k == n) {
            objs[n].obj_path = obj;
            objs[n].params = usp_msg_alloc(
                m, sizeof(struct usp_param_setting) * (size_t)argc);
            if (!objs[n].params)
                return UB_ENOMEM;
            n++;
        }
        struct usp_param_setting *p = &objs[k].params[objs[k].n_params++];
        p->param = param;
        p->value = value;
        p->required = true;
    }
    m->set.objs = objs;
    m->set.n_objs = n;
    return UB_OK;
}

static const char **paths_copy(struct usp_msg *m, int argc, char **argv)
{
    const char **v = usp_msg_alloc(m, sizeof(char *) * (size_t)(argc + 1));
    for (int i = 0; v && i < argc; i++)
        if (!(v[i] = usp_msg_strdup(m, argv[i])))
            return NULL;
    return v;
}

struct req_opts {
    uint32_t depth;
    bool partial, first_level;
    const char *key;
};

static int build_request(const char *verb, int argc, char **argv,
                         const struct req_opts *o, const char *msg_id,
                         struct usp_msg **out)
{
    struct usp_msg *m = NULL;
    int err = UB_EINVAL;
    enum usp_msg_type t;
    if (!strcmp(verb, "get"))
        t = USP_MSG_GET;
    else if (!strcmp(verb, "set"))
        t = USP_MSG_SET;
    else if (!strcmp(verb, "add"))
        t = USP_MSG_ADD;
    else if (!strcmp(verb, "delete"))
        t = USP_MSG_DELETE;
    else if (!strcmp(verb, "operate"))
        t = USP_MSG_OPERATE;
    else if (!strcmp(verb, "instances"))
        t = USP_MSG_GET_INSTANCES;
    else if (!strcmp(verb, "supported-dm"))
        t = USP_MSG_GET_SUPPORTED_DM;
    else if (!strcmp(verb, "supported-proto"))
        t = USP_MSG_GET_SUPPORTED_PROTO;
    else {
        fprintf(stderr, "usp-ctl: unknown verb %s\n", verb);
        return UB_EINVAL;
    }
    bool need_args = t != USP_MSG_GET_SUPPORTED_PROTO;
    if (need_args && argc < 1) {
        fprintf(stderr, "usp-ctl: %s needs arguments\n", verb);
        return UB_EINVAL;
    }
    err = usp_msg_new(t, msg_id, &m);
    if (err)
        return err;
    err = UB_ENOMEM;
    switch (t) {
    case USP_MSG_GET:
        if (!(m->get.paths = paths_copy(m, argc, argv)))
            goto out;
        m->get.n_paths = (size_t)argc;
        m->get.max_depth = o->depth;
        break;
    case USP_MSG_SET:
        m->set.allow_partial = o->partial;
        err = build_set(m, argc, argv);
        if (err)
            goto out;
        break;
    case USP_MSG_ADD: {
        struct usp_obj_settings *obj = usp_msg_alloc(m, sizeof(*obj));
        if (!obj)
            goto out;
        obj->obj_path = usp_msg_strdup(m, argv[0]);
        obj->params = usp_msg_alloc(
            m, sizeof(struct usp_param_setting) * (size_t)argc);
        if (!obj->obj_path || !obj->params)
            goto out;
        for (int i = 1; i < argc; i++) {
            const char *ob, *param, *value;
            if (!split_setting(m, argv[i], &ob, &param, &value) || ob) {
                fprintf(stderr, "usp-ctl: add wants PARAM=VALUE, got %s\n",
                        argv[i]);
                err = UB_EINVAL;
                goto out;
            }
            struct usp_param_setting *p = &obj->params[obj->n_params++];
            p->param = param;
            p->value = value;
            p->required = true;
        }
        m->add.allow_partial = o->partial;
        m->add.objs = obj;
        m->add.n_objs = 1;
        break;
    }
    case USP_MSG_DELETE:
        if (!(m->del.paths = paths_copy(m, argc, argv)))
            goto out;
        m->del.n_paths = (size_t)argc;
        m->del.allow_partial = o->partial;
        break;
    case USP_MSG_OPERATE: {
        m->operate.command = usp_msg_strdup(m, argv[0]);
        m->operate.command_key = usp_msg_strdup(m, o->key ? o->key : "");
        m->operate.send_resp = true;
        m->operate.input_args =
            usp_msg_alloc(m, sizeof(struct usp_kv) * (size_t)argc);
        if (!m->operate.command || !m->operate.input_args)
            goto out;
        for (int i = 1; i < argc; i++) {
            const char *eq = strchr(argv[i], '=');
            if (!eq || eq == argv[i]) {
                fprintf(stderr, "usp-ctl: operate wants ARG=VALUE, got %s\n",
                        argv[i]);
                err = UB_EINVAL;
                goto out;
            }
            char *k = usp_msg_alloc(m, (size_t)(eq - argv[i]) + 1);
            if (!k)
                goto out;
            memcpy(k, argv[i], (size_t)(eq - argv[i]));
            struct usp_kv *kv =
                &m->operate.input_args[m->operate.n_input_args++];
            kv->key = k;
            kv->value = usp_msg_strdup(m, eq + 1);
        }
        break;
    }
    case USP_MSG_GET_INSTANCES:
        if (!(m->get_instances.obj_paths = paths_copy(m, argc, argv)))
            goto out;
        m->get_instances.n_obj_paths = (size_t)argc;
        m->get_instances.first_level_only = o->first_level;
        break;
    case USP_MSG_GET_SUPPORTED_DM:
        if (!(m->gsdm.obj_paths = paths_copy(m, argc, argv)))
            goto out;
        m->gsdm.n_obj_paths = (size_t)argc;
        m->gsdm.first_level_only = o->first_level;
        m->gsdm.return_commands = true;
        m->gsdm.return_events = true;
        m->gsdm.return_params = true;
        m->gsdm.return_unique_key_sets = true;
        break;
    case USP_MSG_GET_SUPPORTED_PROTO:
        m->gsp.versions =
            usp_msg_strdup(m, argc ? argv[0] : USP_VERSIONS_SUPPORTED);
        if (!m->gsp.versions)
            goto out;
        break;
    default:
        break;
    }
    *out = m;
    return UB_OK;
out:
    usp_msg_free(m);
    return err;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static int split_host_port(const char *s, char **host, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    *port = 0;
    if (colon && colon[1] && strspn(colon + 1, "0123456789") ==
                                 strlen(colon + 1) &&
        !strchr(s, ']') == !strchr(colon, ']')) {
        long p = strtol(colon + 1, NULL, 10);
        if (p <= 0 || p > 65535)
            return UB_EINVAL;
        *port = (uint16_t)p;
        *host = ub_strndup(s, (size_t)(colon - s));
    } else {
        *host = ub_strdup(s);
    }
    if (*host && (*host)[0] == '[') { /* [::1] */
        size_t n = strlen(*host);
        if ((*host)[n - 1] == ']') {
            memmove(*host, *host + 1, n - 2);
            (*host)[n - 2] = '\0';
        }
    }
    return *host ? UB_OK : UB_ENOMEM;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"mqtt", required_argument, NULL, 'M'},
        {"mqtt-version", required_argument, NULL, 'V'},
        {"topic", required_argument, NULL, 'T'},
        {"agent-topic", required_argument, NULL, 'A'},
        {"user", required_argument, NULL, 'u'},
        {"pass", required_argument, NULL, 'p'},
        {"ws", required_argument, NULL, 'W'},
        {"agent", required_argument, NULL, 'a'},
        {"id", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 't'},
        {"depth", required_argument, NULL, 'd'},
        {"partial", no_argument, NULL, 'P'},
        {"first-level", no_argument, NULL, 'F'},
        {"key", required_argument, NULL, 'k'},
        {"count", required_argument, NULL, 'n'},
        {"tls", no_argument, NULL, 'S'},
        {"ca", required_argument, NULL, 'C'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'K'},
        {"insecure", no_argument, NULL, 'I'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *mqtt = NULL, *ws = NULL, *user = NULL, *pass = NULL;
    const char *topic = NULL, *agent_topic = NULL;
    const char *ca = NULL, *cert = NULL, *key = NULL;
    bool tls = false, insecure = false;
    const char *agent = NULL, *id = "self::usp-ctl";
    enum usp_mqtt_version ver = USP_MQTT_V5;
    double timeout = 10;
    long count = 0;
    int verbose = 0;
    struct req_opts ro = {0};
    int o;
    /* '+': stop at the verb, so that its arguments may start with '-' */
    while ((o = getopt_long(argc, argv, "+vh", lo, NULL)) != -1) {
        switch (o) {
        case 'M': mqtt = optarg; break;
        case 'W': ws = optarg; break;
        case 'V':
            if (!strcmp(optarg, "5"))
                ver = USP_MQTT_V5;
            else if (!strcmp(optarg, "3.1.1") || !strcmp(optarg, "311"))
                ver = USP_MQTT_V3_1_1;
            else {
                fprintf(stderr, "usp-ctl: --mqtt-version 5 or 3.1.1\n");
                return EXIT_USAGE;
            }
            break;
        case 'T': topic = optarg; break;
        case 'A': agent_topic = optarg; break;
        case 'u': user = optarg; break;
        case 'p': pass = optarg; break;
        case 'a': agent = optarg; break;
        case 'i': id = optarg; break;
        case 't': timeout = strtod(optarg, NULL); break;
        case 'd': ro.depth = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'P': ro.partial = true; break;
        case 'F': ro.first_level = true; break;
        case 'k': ro.key = optarg; break;
        case 'n': count = strtol(optarg, NULL, 10); break;
        case 'S': tls = true; break;
        case 'C': ca = optarg; break;
        case 'c': cert = optarg; break;
        case 'K': key = optarg; break;
        case 'I': insecure = true; break;
        case 'v': verbose++; break;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        default: fputs(usage_text, stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc || !agent || (!mqtt == !ws) || timeout < 0) {
        fprintf(stderr, "usp-ctl: need --agent, one of --mqtt/--ws and a "
                        "verb (see --help)\n");
        return EXIT_USAGE;
    }
    /* verb options may also follow the verb: get --depth 1 Device. */
    const char *verb = argv[optind++];
    optind--;
    argv[optind] = (char *)"usp-ctl";
    int vargc = argc - optind;
    char **vargv = argv + optind;
    optind = 1;
    while ((o = getopt_long(vargc, vargv, "+", lo, NULL)) != -1) {
        switch (o) {
        case 'd': ro.depth = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'P': ro.partial = true; break;
        case 'F': ro.first_level = true; break;
        case 'k': ro.key = optarg; break;
        case 'n': count = strtol(optarg, NULL, 10); break;
        case 't': timeout = strtod(optarg, NULL); break;
        default:
            fprintf(stderr, "usp-ctl: option not allowed after the verb\n");
            return EXIT_USAGE;
        }
    }
    vargc -= optind;
    vargv += optind;
    ub_log_set_level(verbose > 1 ? UB_LOG_DEBUG
                     : verbose  ? UB_LOG_INFO
                                : UB_LOG_ERR);
    signal(SIGPIPE, SIG_IGN);

    struct ctl c;
    memset(&c, 0, sizeof(c));
    c.loop = uv_default_loop();
    c.id = id;
    c.agent = agent;
    c.is_ws = ws != NULL;
    c.listen = !strcmp(verb, "listen");
    c.count = count;
    snprintf(c.msg_id, sizeof(c.msg_id), "usp-ctl-%ld-%" PRIu64,
             (long)getpid(), ub_now_ms());

    int err = UB_OK;
    char *own_topic = NULL, *ag_topic = NULL;
    if (!c.listen) {
        struct usp_msg *m = NULL;
        err = build_request(verb, vargc, vargv, &ro, c.msg_id, &m);
        if (err)
            return err == UB_EINVAL ? EXIT_USAGE : EXIT_TRANSPORT;
        uint8_t *mb = NULL;
        size_t ml = 0;
        err = usp_msg_encode(m, 0, &mb, &ml);
        usp_msg_free(m);
        if (!err)
            err = usp_record_wrap(agent, id, mb, ml, &c.rec, &c.rec_len);
        ub_free(mb);
        if (err) {
            fprintf(stderr, "usp-ctl: encoding failed: %s\n",
                    ub_strerror(err));
            return EXIT_TRANSPORT;
        }
    }

    struct usp_mtp_callbacks cb = {.on_record = on_record,
                                   .on_mqtt_state = on_mqtt_state,
                                   .on_ws_state = on_ws_state,
                                   .user = &c};
    err = usp_mtp_create(c.loop, &cb, NULL, &c.mtp);
    if (err)
        goto fail;
    if (mqtt) {
        char *host = NULL;
        uint16_t port = 0;
        err = split_host_port(mqtt, &host, &port);
        if (err)
            goto fail;
        own_topic = topic ? ub_strdup(topic)
                          : ub_asprintf("usp/controllers/%s", id);
        ag_topic = agent_topic ? ub_strdup(agent_topic)
                               : ub_asprintf("usp/agents/%s", agent);
        c.agent_topic = ag_topic;
        struct usp_mtp_mqtt_config mc = {.host = host,
                                         .port = port,
                                         .version = ver,
                                         .connect_eid = id,
                                         .username = user,
                                         .password = pass,
                                         .tls = tls,
                                         .ca_file = ca,
                                         .ca_path = tls && !ca
                                                        ? "/etc/ssl/certs"
                                                        : NULL,
                                         .cert_file = cert,
                                         .key_file = key,
                                         .tls_insecure = insecure,
                                         .retry_min_ms = 1000,
                                         .retry_max_ms = 5000};
        err = usp_mtp_mqtt_add_broker(c.mtp, &mc, &c.broker);
        ub_free(host);
        if (!err)
            err = usp_mtp_mqtt_add_agent(c.mtp, c.broker, id, own_topic);
        if (err)
            goto fail;
    } else {
        struct usp_mtp_ws_client_config wc = {.url = ws,
                                              .agent_eid = id,
                                              .controller_eid = agent,
                                              .ca_file = ca,
                                              .cert_file = cert,
                                              .key_file = key,
                                              .tls_insecure = insecure,
                                              .retry_min_ms = 1000,
                                              .retry_max_ms = 5000};
        err = usp_mtp_ws_connect(c.mtp, &wc, &c.conn);
        if (err)
            goto fail;
    }
    uv_timer_init(c.loop, &c.timer);
    c.timer.data = &c;
    if (timeout > 0)
        uv_timer_start(&c.timer, on_timeout, (uint64_t)(timeout * 1000), 0);
    uv_signal_init(c.loop, &c.sig);
    c.sig.data = &c;
    uv_signal_start(&c.sig, on_signal, SIGINT);
    uv_run(c.loop, UV_RUN_DEFAULT);
    uv_loop_close(c.loop);
    ub_free(c.rec);
    ub_free(own_topic);
    ub_free(ag_topic);
    return c.exit_code;

fail:
    fprintf(stderr, "usp-ctl: %s\n", ub_strerror(err));
    usp_mtp_destroy(c.mtp);
    uv_run(c.loop, UV_RUN_DEFAULT);
    ub_free(c.rec);
    ub_free(own_topic);
    ub_free(ag_topic);
    return err == UB_EINVAL ? EXIT_USAGE : EXIT_TRANSPORT;
}
