/*
 * libFuzzer target: the hosted Device.LocalAgent. under hostile controller
 * input (usp/src/agent_*.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * The input is a small script, one operation per line:
 *   S<TAB>obj_path<TAB>name=value;name=value...   Set (names starting with
 *                                                 '!' are required)
 *   A<TAB>table_path<TAB>name=value;...           Add
 *   D<TAB>instance_path                           Delete
 *   P<TAB>path<TAB>op-digit                       permission check
 *   G<TAB>obj_path<TAB>flags-digit                GetSupportedDM
 *   R<TAB>path-expression                         resolve over the tree
 * run against a freshly initialised agent in an in-memory store, each
 * operation as the fuzzed controller (with its permissions) or, for lines
 * starting with a lower-case letter, as the trusted bridge.  Invariants
 * checked: no crash/leak (ASan), results are either a USP error or a
 * success with a path, and the store only ever holds valid paths.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ub/usp.h>

#define MAX_INPUT 4096
#define MAX_ROWS 20000

struct mem {
    struct ub_param *v;
    size_t n, cap;
};

static size_t mem_find(const struct mem *m, const char *path, bool *found)
{
    size_t lo = 0, hi = m->n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(m->v[mid].path, path);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int mem_get(void *ctx, const char *path, struct ub_param *out)
{
    struct mem *m = ctx;
    bool f;
    size_t i = mem_find(m, path, &f);

    if (!f)
        return UB_ENOTFOUND;
    memset(out, 0, sizeof(*out));
    out->path = ub_strdup(m->v[i].path);
    out->value = m->v[i].value ? ub_strdup(m->v[i].value) : NULL;
    out->type = m->v[i].type;
    out->writable = m->v[i].writable;
    if (!out->path || (m->v[i].value && !out->value)) {
        ub_param_clear(out);
        return UB_ENOMEM;
    }
    return UB_OK;
}

static int mem_iter(void *ctx, const char *prefix, usp_agent_row_cb cb,
                    void *user)
{
    struct mem *m = ctx;
    size_t pl = strlen(prefix), i;
    bool f;

    for (i = mem_find(m, prefix, &f); i < m->n; i++) {
        int rc;

        if (strncmp(m->v[i].path, prefix, pl) != 0)
            break;
        rc = cb(user, &m->v[i]);
        if (rc)
            return rc;
    }
    return UB_OK;
}

static int mem_put(void *ctx, const struct ub_param *row)
{
    struct mem *m = ctx;
    bool f;
    size_t i;
    struct ub_param *p;
    char *v;

    if (!ub_path_is_valid(row->path))
        abort(); /* the agent must never write a malformed path */
    i = mem_find(m, row->path, &f);
    if (!f) {
        if (m->n >= MAX_ROWS)
            return UB_EFULL;
        if (m->n == m->cap) {
            size_t nc = m->cap ? m->cap * 2 : 256;
            struct ub_param *nv = realloc(m->v, nc * sizeof(*nv));

            if (!nv)
                return UB_ENOMEM;
            m->v = nv;
            m->cap = nc;
        }
        memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
        memset(&m->v[i], 0, sizeof(m->v[i]));
        m->v[i].path = ub_strdup(row->path);
        if (!m->v[i].path) {
            memmove(&m->v[i], &m->v[i + 1], (m->n - i) * sizeof(*m->v));
            return UB_ENOMEM;
        }
        m->n++;
    }
    p = &m->v[i];
    v = row->value ? ub_strdup(row->value) : NULL;
    if (row->value && !v)
        return UB_ENOMEM;
    ub_free(p->value);
    p->value = v;
    p->type = row->type;
    p->writable = row->writable;
    return UB_OK;
}

static int mem_del(void *ctx, const char *path)
{
    struct mem *m = ctx;
    size_t pl = strlen(path), i, j = 0;
    bool obj = pl && path[pl - 1] == '.';

    for (i = 0; i < m->n; i++) {
        bool hit = obj ? strncmp(m->v[i].path, path, pl) == 0
                       : strcmp(m->v[i].path, path) == 0;

        if (hit) {
            ub_param_clear(&m->v[i]);
            continue;
        }
        m->v[j++] = m->v[i];
    }
    m->n = j;
    return UB_OK;
}

static const struct usp_agent_store_ops mem_ops = {
    .get = mem_get, .iter = mem_iter, .put = mem_put, .del = mem_del};

static void mem_free(struct mem *m)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        ub_param_clear(&m->v[i]);
    free(m->v);
}

/* Splits "a=b;!c=d" into settings (pointers into s, which is modified). */
static size_t parse_settings(char *s, struct usp_param_setting *ps,
                             size_t max)
{
    size_t n = 0;

    while (s && *s && n < max) {
        char *semi = strchr(s, ';'), *eq;

        if (semi)
            *semi = '\0';
        eq = strchr(s, '=');
        ps[n].required = *s == '!';
        ps[n].param = ps[n].required ? s + 1 : s;
        ps[n].value = eq ? eq + 1 : NULL; /* NULL value: allowed input */
        if (eq)
            *eq = '\0';
        n++;
        s = semi ? semi + 1 : NULL;
    }
    return n;
}

static void run_line(const struct usp_agent_store *st,
                     const struct usp_agent_perms *perms, char *line)
{
    struct usp_param_setting ps[16];
    struct usp_agent_caller who = {.endpoint_id = "self::fuzz"};
    struct usp_agent_result r;
    char *f1, *f2 = NULL, op = line[0];
    size_t n;
    int err = UB_OK;

    if (op >= 'A' && op <= 'Z')
        who.perms = perms;
    else
        op = (char)(op - 'a' + 'A');
    f1 = strchr(line, '\t');
    if (!f1)
        return;
    *f1++ = '\0';
    f2 = strchr(f1, '\t');
    if (f2)
        *f2++ = '\0';
    usp_agent_result_init(&r);
    switch (op) {
    case 'S':
        n = parse_settings(f2, ps, 16);
        err = usp_agent_set(st, &who, f1, ps, n, &r);
        break;
    case 'A':
        n = parse_settings(f2, ps, 16);
        err = usp_agent_add(st, &who, f1, ps, n, &r);
        break;
    case 'D':
        err = usp_agent_delete(st, &who, f1, &r);
        break;
    case 'P':
        (void)usp_agent_perm_check(perms, f1,
                                   (enum usp_agent_op)((f2 ? f2[0] : 0) % 7));
        break;
    case 'G': {
        struct usp_get_supported_dm fl = {0};
        struct usp_sdm_result res = {0};
        struct usp_msg *m = NULL;
        unsigned bits = f2 ? (unsigned)f2[0] : 0;

        fl.first_level_only = bits & 1;
        fl.return_params = bits & 2;
        fl.return_commands = bits & 4;
        fl.return_events = bits & 8;
        fl.return_unique_key_sets = bits & 16;
        if (usp_msg_new(USP_MSG_GET_SUPPORTED_DM_RESP, "f", &m) == UB_OK) {
            (void)usp_agent_gsdm(m, f1, &fl, perms, &res);
            usp_msg_free(m);
        }
        break;
    }
    case 'R': {
        struct usp_agent_view view = {.st = *st};
        struct usp_agent_overlay ov = {.hosted = &view};
        struct ub_tree tree;
        struct usp_path *p = NULL;
        struct usp_resolved res;

        usp_agent_tree_overlay(&ov, &tree);
        if (usp_path_parse(f1, &p, NULL) == UB_OK) {
            (void)usp_path_resolve(p, &tree, NULL, &res);
            usp_resolved_free(&res);
            usp_path_free(p);
        }
        break;
    }
    default:
        break;
    }
    /* a success names its object; a failure has a USP code and text */
    if (err == UB_OK && (op == 'S' || op == 'A' || op == 'D')) {
        if (r.err_code && (r.err_code < 7000 || r.err_code > 7999 ||
                           !r.err_msg))
            abort();
        if (!r.err_code && op == 'A' && !r.path)
            abort();
    }
    usp_agent_result_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct usp_agent_mtp_conf mtps[] = {
        {.proto = USP_AGENT_PROTO_MQTT, .enable = true,
         .mqtt_response_topic = "usp/agent"}};
    static const struct usp_agent_ctrl_conf ctrls[] = {
        {.endpoint_id = "self::fuzz", .enable = true,
         .proto = USP_AGENT_PROTO_MQTT, .mqtt_topic = "usp/fuzz",
         .assigned_role = "Device.LocalAgent.ControllerTrust.Role.2"},
        {.endpoint_id = "self::admin", .enable = true,
         .proto = USP_AGENT_PROTO_WEBSOCKET, .ws_host = "h"}};
    struct usp_agent_init init = {.endpoint_id = "os::000000-fuzz",
                                  .mtps = mtps, .n_mtps = 1,
                                  .ctrls = ctrls, .n_ctrls = 2};
    struct mem m = {0};
    struct usp_agent_store st = {.ops = &mem_ops, .ctx = &m};
    struct usp_agent_perms *perms = NULL;
    char *buf, *line, *save = NULL;

    if (size > MAX_INPUT)
        return 0;
    buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (usp_agent_init_rows(&st, &init) != UB_OK)
        abort();
    for (line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        /* permissions as they are now (the script may change roles) */
        usp_agent_perms_free(perms);
        perms = NULL;
        if (usp_agent_perms_load(&st, "self::fuzz", &perms) != UB_OK)
            break;
        run_line(&st, perms, line);
    }
    usp_agent_perms_free(perms);
    mem_free(&m);
    free(buf);
    return 0;
}
