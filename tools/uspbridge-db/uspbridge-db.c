/*
 * uspbridge-db: inspect, dump, export and import the uspbridge store.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * A thin operator tool over the public proxy-db API (ub/pdb.h), in the
 * spirit of mdb_stat / mdb_dump.  Every command except import opens the
 * store read-only (MDB_RDONLY), so it can run next to a live uspbridged
 * (LMDB is multi-process); each command is one short read transaction.
 * import opens it read-write and writes one batch per device (it waits for
 * the daemon's write lock like any LMDB writer).  JSON is read and written
 * with jansson.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ub/pdb.h>

#define EXPORT_FORMAT "uspbridge-db/1"

static const char usage_text[] =
    "NAME\n"
    "    uspbridge-db - inspect, dump, export and import the uspbridge store\n"
    "\n"
    "SYNOPSIS\n"
    "    uspbridge-db [--db DIR] list\n"
    "    uspbridge-db [--db DIR] show DEVICE\n"
    "    uspbridge-db [--db DIR] [--agent] dump DEVICE [PREFIX]\n"
    "    uspbridge-db [--db DIR] export DEVICE\n"
    "    uspbridge-db [--db DIR] import < FILE.json\n"
    "    uspbridge-db [--db DIR] stats\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the LMDB store of uspbridged (device registry, parameter\n"
    "    cache, bridged Device.LocalAgent. objects, request queue and\n"
    "    notification outbox).  Every command but import opens the store\n"
    "    read-only and may run while the daemon is running.\n"
    "\n"
    "    DEVICE is a USP endpoint ID (os::00D09E-SN1), a CWMP DeviceId\n"
    "    (OUI-ProductClass-Serial) or #N for the numeric device id.\n"
    "\n"
    "COMMANDS\n"
    "    list    One line per device: id, endpoint ID, CWMP DeviceId, last\n"
    "            contact (last Inform), sync state, cached parameter count.\n"
    "    show    All registry fields of one device (the Connection Request\n"
    "            password is masked) and its queue/outbox entries.\n"
    "    dump    The cached rows of the device under PREFIX (default: all)\n"
    "            in data-model order: path, type, access (rw/ro),\n"
    "            notification, value, age (time since read from the device).\n"
    "            With --agent, the bridged Device.LocalAgent. rows instead.\n"
    "    export  The device (registry fields, cache and agent rows) as JSON\n"
    "            on stdout.  Includes the Connection Request credentials.\n"
    "    import  Reads JSON produced by export (one object or an array) on\n"
    "            stdin.  A device is matched by endpoint ID (updated) or\n"
    "            registered; its cache and agent rows are replaced, in one\n"
    "            write transaction per device.  Imported devices are left\n"
    "            unsynced, so the daemon re-reads them from the device.\n"
    "    stats   Devices, rows, map size and use, page counts per database.\n"
    "\n"
    "OPTIONS\n"
    "    --db DIR     Store directory (default ./data/db).\n"
    "    --agent      dump: show the agent (Device.LocalAgent.) rows.\n"
    "    -h, --help   This text.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success, 1 error (message on stderr), 2 usage error.\n";

static void usage(FILE *f)
{
    fputs(usage_text, f);
}

static int open_store(const char *dir, bool rw, struct pdb_env **env)
{
    struct pdb_config cfg;
    int err;

    pdb_config_init(&cfg);
    cfg.read_only = !rw;
    err = pdb_env_open(dir, &cfg, env);
    if (err)
        fprintf(stderr, "uspbridge-db: cannot open store %s: %s\n", dir,
                ub_strerror(err));
    return err;
}

static int find_device(struct pdb_rtxn *r, const char *arg, uint32_t *id)
{
    int err;

    if (arg[0] == '#') {
        char *end;
        unsigned long v;
        errno = 0;
        v = strtoul(arg + 1, &end, 10);
        if (errno || *end || v == 0 || v > UINT32_MAX)
            return UB_EINVAL;
        *id = (uint32_t)v;
        return UB_OK;
    }
    err = pdb_device_find_endpoint(r, arg, id);
    if (err == UB_ENOTFOUND)
        err = pdb_device_find_cwmp(r, arg, id);
    return err;
}

static const char *fmt_time(int64_t t, char *buf, size_t n)
{
    if (t <= 0)
        return "never";
    return ub_time_iso8601(t, buf, n);
}

static const char *fmt_age(int64_t t, int64_t now, char *buf, size_t n)
{
    int64_t a = now - t;

    if (t <= 0)
        return "-";
    if (a < 0)
        a = 0;
    if (a < 120)
        snprintf(buf, n, "%" PRId64 "s", a);
    else if (a < 7200)
        snprintf(buf, n, "%" PRId64 "m", a / 60);
    else if (a < 172800)
        snprintf(buf, n, "%" PRId64 "h", a / 3600);
    else
        snprintf(buf, n, "%" PRId64 "d", a / 86400);
    return buf;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* ---- list ---- */

static int list_cb(void *user, const struct pdb_device *d)
{
    char tb[32];

    (void)user;
    printf("%-6u %-32s %-32s %-20s %-11s %u\n", (unsigned)d->id,
           nz(d->endpoint_id), nz(d->cwmp_device_id),
           fmt_time(d->last_inform, tb, sizeof(tb)),
           pdb_sync_state_name(d->sync_state), (unsigned)d->param_count);
    return 0;
}

static int cmd_list(struct pdb_rtxn *r)
{
    printf("%-6s %-32s %-32s %-20s %-11s %s\n", "ID", "ENDPOINT-ID",
           "CWMP-DEVICE-ID", "LAST-CONTACT", "SYNC", "PARAMS");
    return pdb_device_list(r, list_cb, NULL);
}

/* ---- show ---- */

static int show_q(void *user, const struct pdb_queue_entry *e)
{
    (void)user;
    printf("  queue  seq=%" PRIu64 " state=%u deadline=%" PRId64
           " bytes=%zu\n",
           e->seq, (unsigned)e->state, e->deadline, e->payload_len);
    return 0;
}

static int show_o(void *user, const struct pdb_outbox_entry *e)
{
    (void)user;
    printf("  outbox seq=%" PRIu64 " msg_id=%s attempts=%u expiry=%" PRId64
           " bytes=%zu\n",
           e->seq, e->msg_id, (unsigned)e->attempts, e->expiry,
           e->payload_len);
    return 0;
}

static int cmd_show(struct pdb_rtxn *r, uint32_t id)
{
    struct pdb_device d;
    char t1[32], t2[32];
    int err = pdb_device_get(r, id, &d);

    if (err)
        return err;
    printf("id:                %u\n", (unsigned)d.id);
    printf("endpoint_id:       %s\n", nz(d.endpoint_id));
    printf("cwmp_device_id:    %s\n", nz(d.cwmp_device_id));
    printf("oui:               %s\n", nz(d.oui));
    printf("product_class:     %s\n", nz(d.product_class));
    printf("serial:            %s\n", nz(d.serial));
    printf("manufacturer:      %s\n", nz(d.manufacturer));
    printf("software_version:  %s\n", nz(d.software_version));
    printf("hardware_version:  %s\n", nz(d.hardware_version));
    printf("cwmp_version:      %s\n", nz(d.cwmp_version));
    printf("root:              %s\n", nz(d.root));
    printf("conn_req_url:      %s\n", nz(d.conn_req_url));
    printf("conn_req_username: %s\n", nz(d.conn_req_username));
    printf("conn_req_password: %s\n", d.conn_req_password ? "********" : "");
    printf("rpc_methods:       %s\n", nz(d.rpc_methods));
    printf("created_at:        %s\n", fmt_time(d.created_at, t1, sizeof(t1)));
    printf("last_inform:       %s\n", fmt_time(d.last_inform, t2, sizeof(t2)));
    printf("flags:             0x%x\n", (unsigned)d.flags);
    printf("sync_state:        %s\n", pdb_sync_state_name(d.sync_state));
    printf("sync_gen:          %u\n", (unsigned)d.sync_gen);
    printf("sync_cursor:       %s\n", nz(d.sync_cursor));
    printf("param_count:       %u\n", (unsigned)d.param_count);
    pdb_device_clear(&d);
    err = pdb_queue_list(r, id, show_q, NULL);
    if (!err)
        err = pdb_outbox_list(r, id, show_o, NULL);
    return err;
}

/* ---- dump ---- */

static int dump_cb(void *user, const struct ub_param *p)
{
    int64_t now = *(int64_t *)user;
    char age[32];
    const char *type = p->type_name ? p->type_name : ub_type_name(p->type);

    printf("%s\t%s\t%s\t%u\t%s\t%s\n", p->path, *type ? type : "-",
           p->writable ? "rw" : "ro", (unsigned)p->notification,
           p->value ? p->value : "", fmt_age(p->updated_at, now, age, sizeof(age)));
    return 0;
}

static int cmd_dump(struct pdb_rtxn *r, uint32_t id, const char *prefix,
                    bool agent)
{
    int64_t now = ub_wall_s();
    return pdb_param_iter(r, agent ? PDB_AGENT : PDB_PARAMS, id, prefix,
                          dump_cb, &now);
}

/* ---- export ---- */

struct jrows {
    json_t *arr;
    int err;
};

static int export_row(void *user, const struct ub_param *p)
{
    struct jrows *j = user;
    json_t *o = json_object();

    if (!o)
        return UB_ENOMEM;
    json_object_set_new(o, "path", json_string(p->path));
    json_object_set_new(o, "type", json_string(ub_type_name(p->type)));
    if (p->type_name)
        json_object_set_new(o, "type_name", json_string(p->type_name));
    json_object_set_new(o, "writable", json_boolean(p->writable));
    json_object_set_new(o, "notification", json_integer(p->notification));
    if (p->value)
        json_object_set_new(o, "value", json_string(p->value));
    json_object_set_new(o, "updated_at", json_integer(p->updated_at));
    if (json_array_append_new(j->arr, o))
        return UB_ENOMEM;
    return 0;
}

static void jset_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

static json_t *device_json(const struct pdb_device *d)
{
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(d->id));
    jset_str(o, "endpoint_id", d->endpoint_id);
    jset_str(o, "cwmp_device_id", d->cwmp_device_id);
    jset_str(o, "oui", d->oui);
    jset_str(o, "product_class", d->product_class);
    jset_str(o, "serial", d->serial);
    jset_str(o, "manufacturer", d->manufacturer);
    jset_str(o, "conn_req_url", d->conn_req_url);
    jset_str(o, "conn_req_username", d->conn_req_username);
    jset_str(o, "conn_req_password", d->conn_req_password);
    jset_str(o, "software_version", d->software_version);
    jset_str(o, "hardware_version", d->hardware_version);
    jset_str(o, "cwmp_version", d->cwmp_version);
    jset_str(o, "rpc_methods", d->rpc_methods);
    jset_str(o, "root", d->root);
    json_object_set_new(o, "created_at", json_integer(d->created_at));
    json_object_set_new(o, "last_inform", json_integer(d->last_inform));
    json_object_set_new(o, "flags", json_integer(d->flags));
    json_object_set_new(o, "sync_state",
                        json_string(pdb_sync_state_name(d->sync_state)));
    json_object_set_new(o, "param_count", json_integer(d->param_count));
    return o;
}

static int cmd_export(struct pdb_rtxn *r, uint32_t id)
{
    struct pdb_device d;
    struct jrows params = {0}, agent = {0};
    json_t *root;
    int err = pdb_device_get(r, id, &d);

    if (err)
        return err;
    root = json_object();
    params.arr = json_array();
    agent.arr = json_array();
    json_object_set_new(root, "format", json_string(EXPORT_FORMAT));
    json_object_set_new(root, "device", device_json(&d));
    pdb_device_clear(&d);
    err = pdb_param_iter(r, PDB_PARAMS, id, NULL, export_row, &params);
    if (!err)
        err = pdb_param_iter(r, PDB_AGENT, id, NULL, export_row, &agent);
    json_object_set_new(root, "params", params.arr);
    json_object_set_new(root, "agent", agent.arr);
    if (!err) {
        if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
            err = UB_EIO;
        fputc('\n', stdout);
    }
    json_decref(root);
    return err;
}

/* ---- import ---- */

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int import_rows(struct pdb_batch *b, enum pdb_space space, uint32_t id,
                       json_t *arr, size_t *n)
{
    size_t i;
    json_t *row;
    int err;

    if (!arr)
        return UB_OK;
    if (!json_is_array(arr))
        return UB_EPROTO;
    json_array_foreach(arr, i, row) {
        struct ub_param p = {0};
        const char *type = jstr(row, "type");
        json_int_t notif = json_integer_value(json_object_get(row, "notification"));

        p.path = (char *)(uintptr_t)jstr(row, "path");
        if (!p.path) {
            fprintf(stderr, "uspbridge-db: row %zu has no path\n", i);
            return UB_EPROTO;
        }
        p.value = (char *)(uintptr_t)jstr(row, "value");
        p.type_name = (char *)(uintptr_t)jstr(row, "type_name");
        p.type = ub_path_is_object(p.path) ? UB_T_OBJECT
                                           : ub_type_from_name(type);
        if (p.type == UB_T_NONE && type && *type && !p.type_name)
            p.type_name = (char *)(uintptr_t)type;
        p.writable = json_is_true(json_object_get(row, "writable"));
        p.notification = notif < 0 || notif > 255 ? 0 : (uint8_t)notif;
        p.updated_at = json_integer_value(json_object_get(row, "updated_at"));
        if (p.updated_at <= 0)
            p.updated_at = -1; /* keep "unknown age", do not stamp now */
        err = pdb_batch_put_param(b, space, id, &p, PDB_PUT_ALL, NULL);
        if (err) {
            fprintf(stderr, "uspbridge-db: row %s: %s\n", p.path,
                    ub_strerror(err));
            return err;
        }
        (*n)++;
    }
    return UB_OK;
}

static int import_one(struct pdb_env *env, json_t *obj)
{
    json_t *dj = json_object_get(obj, "device");
    struct pdb_device d = {0};
    struct pdb_batch *b = NULL;
    const char *fmt = jstr(obj, "format");
    uint32_t id = 0;
    size_t np = 0, na = 0;
    int err;

    if (!json_is_object(obj) || !json_is_object(dj) ||
        (fmt && strcmp(fmt, EXPORT_FORMAT) != 0)) {
        fprintf(stderr, "uspbridge-db: not a %s export\n", EXPORT_FORMAT);
        return UB_EPROTO;
    }
    d.endpoint_id = (char *)(uintptr_t)jstr(dj, "endpoint_id");
    d.cwmp_device_id = (char *)(uintptr_t)jstr(dj, "cwmp_device_id");
    d.oui = (char *)(uintptr_t)jstr(dj, "oui");
    d.product_class = (char *)(uintptr_t)jstr(dj, "product_class");
    d.serial = (char *)(uintptr_t)jstr(dj, "serial");
    d.manufacturer = (char *)(uintptr_t)jstr(dj, "manufacturer");
    d.conn_req_url = (char *)(uintptr_t)jstr(dj, "conn_req_url");
    d.conn_req_username = (char *)(uintptr_t)jstr(dj, "conn_req_username");
    d.conn_req_password = (char *)(uintptr_t)jstr(dj, "conn_req_password");
    d.software_version = (char *)(uintptr_t)jstr(dj, "software_version");
    d.hardware_version = (char *)(uintptr_t)jstr(dj, "hardware_version");
    d.cwmp_version = (char *)(uintptr_t)jstr(dj, "cwmp_version");
    d.rpc_methods = (char *)(uintptr_t)jstr(dj, "rpc_methods");
    d.root = (char *)(uintptr_t)jstr(dj, "root");
    d.last_inform = json_integer_value(json_object_get(dj, "last_inform"));
    d.flags = (uint32_t)json_integer_value(json_object_get(dj, "flags"));
    if (!d.endpoint_id || !d.cwmp_device_id) {
        fprintf(stderr, "uspbridge-db: device needs endpoint_id and "
                        "cwmp_device_id\n");
        return UB_EPROTO;
    }
    err = pdb_batch_begin(env, &b);
    if (err)
        goto out;
    err = pdb_device_find_endpoint(pdb_batch_reader(b), d.endpoint_id, &id);
    if (err == UB_ENOTFOUND) {
        id = 0;
        err = UB_OK;
    }
    if (err)
        goto out;
    d.id = id;
    err = pdb_device_put(b, &d, &id);
    if (!err)
        err = pdb_batch_del_subtree(b, PDB_PARAMS, id, NULL, NULL, NULL, NULL);
    if (!err)
        err = pdb_batch_del_subtree(b, PDB_AGENT, id, NULL, NULL, NULL, NULL);
    if (!err)
        err = import_rows(b, PDB_PARAMS, id, json_object_get(obj, "params"),
                          &np);
    if (!err)
        err = import_rows(b, PDB_AGENT, id, json_object_get(obj, "agent"), &na);
    if (!err)
        err = pdb_device_mark_unsynced(b, id);
    if (err)
        goto out;
    err = pdb_batch_commit(b);
    b = NULL;
    if (!err)
        fprintf(stderr, "imported %s as #%u: %zu params, %zu agent rows\n",
                d.endpoint_id, (unsigned)id, np, na);
out:
    pdb_batch_abort(b);
    if (err)
        fprintf(stderr, "uspbridge-db: import of %s failed: %s\n",
                d.endpoint_id, ub_strerror(err));
    return err;
}

static int cmd_import(struct pdb_env *env)
{
    json_error_t jerr;
    json_t *root = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
    int err = UB_OK;

    if (!root) {
        fprintf(stderr, "uspbridge-db: JSON error line %d: %s\n", jerr.line,
                jerr.text);
        return UB_EPROTO;
    }
    if (json_is_array(root)) {
        size_t i;
        json_t *o;
        json_array_foreach(root, i, o) {
            err = import_one(env, o);
            if (err)
                break;
        }
    } else {
        err = import_one(env, root);
    }
    json_decref(root);
    return err;
}

/* ---- stats ---- */

static int cmd_stats(struct pdb_rtxn *r)
{
    struct pdb_stats s;
    int err = pdb_stats_get(r, &s);

    if (err)
        return err;
    printf("schema_version: %u\n", (unsigned)s.schema_version);
    printf("devices:        %" PRIu64 "\n", s.devices);
    printf("params:         %" PRIu64 "\n", s.params);
    printf("agent_rows:     %" PRIu64 "\n", s.agent_rows);
    printf("queue_entries:  %" PRIu64 "\n", s.queue_entries);
    printf("outbox_entries: %" PRIu64 "\n", s.outbox_entries);
    printf("map_size:       %" PRIu64 "\n", s.map_size);
    printf("map_used:       %" PRIu64 " (%.1f%%)\n", s.map_used,
           s.map_size ? 100.0 * (double)s.map_used / (double)s.map_size : 0);
    printf("page_size:      %u\n", (unsigned)s.page_size);
    printf("readers:        %u/%u\n", (unsigned)s.num_readers,
           (unsigned)s.max_readers);
    if (s.params)
        printf("bytes/param:    %.1f (map used / params)\n",
               (double)s.map_used / (double)s.params);
    printf("\n%-10s %10s %6s %10s %10s %10s\n", "DATABASE", "ENTRIES",
           "DEPTH", "BRANCH", "LEAF", "OVERFLOW");
    for (int i = 0; i < PDB_STAT_DBS; i++) {
        if (!s.db[i].name)
            continue;
        printf("%-10s %10" PRIu64 " %6u %10" PRIu64 " %10" PRIu64
               " %10" PRIu64 "\n",
               s.db[i].name, s.db[i].entries, (unsigned)s.db[i].depth,
               s.db[i].branch_pages, s.db[i].leaf_pages,
               s.db[i].overflow_pages);
    }
    return UB_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"agent", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = "./data/db", *cmd;
    struct pdb_env *env = NULL;
    struct pdb_rtxn *r = NULL;
    bool agent = false;
    uint32_t id = 0;
    int c, err, nargs;

    while ((c = getopt_long(argc, argv, "d:ah", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'a':
            agent = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    ub_log_set_level(UB_LOG_WARN);
    cmd = argv[optind];
    nargs = argc - optind - 1;
    if (strcmp(cmd, "import") == 0) {
        if (nargs != 0) {
            usage(stderr);
            return 2;
        }
        if (open_store(dir, true, &env))
            return 1;
        err = cmd_import(env);
        pdb_env_close(env);
        return err ? 1 : 0;
    }
    if (!((strcmp(cmd, "list") == 0 && nargs == 0) ||
          (strcmp(cmd, "stats") == 0 && nargs == 0) ||
          (strcmp(cmd, "show") == 0 && nargs == 1) ||
          (strcmp(cmd, "export") == 0 && nargs == 1) ||
          (strcmp(cmd, "dump") == 0 && (nargs == 1 || nargs == 2)))) {
        usage(stderr);
        return 2;
    }
    if (open_store(dir, false, &env))
        return 1;
    err = pdb_rtxn_begin(env, &r);
    if (err)
        goto out;
    if (nargs >= 1) {
        err = find_device(r, argv[optind + 1], &id);
        if (err) {
            fprintf(stderr, "uspbridge-db: no device %s\n", argv[optind + 1]);
            goto out;
        }
    }
    if (strcmp(cmd, "list") == 0)
        err = cmd_list(r);
    else if (strcmp(cmd, "stats") == 0)
        err = cmd_stats(r);
    else if (strcmp(cmd, "show") == 0)
        err = cmd_show(r, id);
    else if (strcmp(cmd, "export") == 0)
        err = cmd_export(r, id);
    else
        err = cmd_dump(r, id, nargs == 2 ? argv[optind + 2] : NULL, agent);
    if (err)
        fprintf(stderr, "uspbridge-db: %s: %s\n", cmd, ub_strerror(err));
out:
    pdb_rtxn_end(r);
    pdb_env_close(env);
    return err ? 1 : 0;
}
