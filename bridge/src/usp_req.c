/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: a USP Record arriving on any MTP for a bridged agent.
 *
 *   record decode + validate (usp/)      -> bad record: Error per R-MTP.5
 *   to_id: a bridged agent? (registry)   -> unknown agent: dropped, logged
 *   from_id: a known controller?         -> unknown: untrusted role policy
 *   msg decode                            -> bad msg: Error 7004
 *   dispatch by type:
 *     Get, GetInstances, GetSupportedDM, GetSupportedProtocol: answered
 *       from proxy-db in one read transaction (cache policy);
 *     Register/Deregister: refused (the bridge hosts no USP Services);
 *     responses/errors/NotifyResp from controllers: consumed;
 *     anything else: Error 7001 until its handler lands.
 *   response encode + wrap + send back on the MTP it came from.
 *
 * Every reply goes out through bridge_usp_send() with the struct
 * bridge_reply_to captured at receipt, so a reply can also be sent later
 * (asynchronous requests) without holding MTP objects.
 */
#include "bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "usp"


/* ---- Get policies ---- */

static int parse_policy(const char *s, int64_t *age)
{
    char *end;
    if (strcmp(s, "cache") == 0) {
        *age = -1;
        return UB_OK;
    }
    if (strcmp(s, "live") == 0) {
        *age = 0;
        return UB_OK;
    }
    if (strncmp(s, "max-age:", 8) == 0) {
        long v = strtol(s + 8, &end, 10);
        if (*end || v <= 0)
            return UB_ECONFIG;
        *age = v;
        return UB_OK;
    }
    return UB_ECONFIG;
}

int bridge_policies_parse(struct bridge *b)
{
    const char *p = b->cfg->usp_get_policy_paths;

    if (parse_policy(b->cfg->usp_get_policy, &b->default_max_age_s)) {
        UB_LOGE(MOD, "[usp] get_policy: '%s' is not cache, live or "
                "max-age:<seconds>", b->cfg->usp_get_policy);
        return UB_ECONFIG;
    }
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[UB_PATH_MAX + 32];
        char *eq;
        struct bridge_policy *bp;

        if (n >= sizeof(item) || b->n_policies >= BRIDGE_MAX_POLICIES) {
            UB_LOGE(MOD, "[usp] get_policy_paths: entry too long or too many");
            return UB_ECONFIG;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        eq = strchr(item, '=');
        bp = &b->policies[b->n_policies];
        if (!eq || !ub_path_is_object((*eq = '\0', item)) ||
            strlen(item) >= sizeof(bp->prefix) ||
            parse_policy(eq + 1, &bp->max_age_s)) {
            UB_LOGE(MOD, "[usp] get_policy_paths: '%.*s' is not "
                    "<object path>=<policy>", (int)n, p);
            return UB_ECONFIG;
        }
        memcpy(bp->prefix, item, strlen(item) + 1);
        b->n_policies++;
        p = end ? end + 1 : NULL;
    }
    return UB_OK;
}

/* ---- controllers ---- */

static int ws_controllers_parse(struct bridge *b)
{
    const char *p = b->cfg->usp_ws_controllers;

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[600];
        char *eq;
        struct bridge_ws_ctrl *w;

        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        if (n >= sizeof(item) || b->n_ws_ctrls >= BRIDGE_MAX_CONTROLLERS ||
            b->n_controllers >= BRIDGE_MAX_CONTROLLERS) {
            UB_LOGE(MOD, "[usp] ws_controllers: entry too long or too many");
            return UB_ECONFIG;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        eq = strchr(item, '=');
        w = &b->ws_ctrls[b->n_ws_ctrls];
        if (!eq || (strncmp(eq + 1, "ws://", 5) != 0 &&
                    strncmp(eq + 1, "wss://", 6) != 0)) {
            UB_LOGE(MOD, "[usp] ws_controllers: '%s' is not "
                    "<endpoint-id>=ws[s]://host:port/path", item);
            return UB_ECONFIG;
        }
        *eq = '\0';
        if (usp_eid_check(item) != UB_OK || !bridge_scopy(w->eid, sizeof(w->eid), item) ||
            !bridge_scopy(w->url, sizeof(w->url), eq + 1)) {
            UB_LOGE(MOD, "[usp] ws_controllers: '%s' is not an endpoint ID",
                    item);
            return UB_ECONFIG;
        }
        b->n_ws_ctrls++;
        if (!bridge_controller_find(b, w->eid)) {
            struct bridge_controller *c = &b->controllers[b->n_controllers++];
            memcpy(c->eid, w->eid, sizeof(c->eid));
            c->topic[0] = '\0';
        }
        p = end ? end + 1 : NULL;
    }
    return UB_OK;
}

int bridge_controllers_parse(struct bridge *b)
{
    const char *p = b->cfg->usp_controllers;

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[600];
        char *eq;

        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        if (n >= sizeof(item) || b->n_controllers >= BRIDGE_MAX_CONTROLLERS) {
            UB_LOGE(MOD, "[usp] controllers: entry too long or too many");
            return UB_ECONFIG;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        while (n && item[n - 1] == ' ')
            item[--n] = '\0';
        if (n) {
            struct bridge_controller *c = &b->controllers[b->n_controllers];
            eq = strchr(item, '=');
            if (eq)
                *eq = '\0';
            if (usp_eid_check(item) != UB_OK) {
                UB_LOGE(MOD, "[usp] controllers: '%s' is not an endpoint ID",
                        item);
                return UB_ECONFIG;
            }
            if (!bridge_scopy(c->eid, sizeof(c->eid), item) ||
                !bridge_scopy(c->topic, sizeof(c->topic), eq ? eq + 1 : "")) {
                UB_LOGE(MOD, "[usp] controllers: entry too long");
                return UB_ECONFIG;
            }
            b->n_controllers++;
        }
        p = end ? end + 1 : NULL;
    }
    return ws_controllers_parse(b);
}

const struct bridge_controller *bridge_controller_find(const struct bridge *b,
                                                       const char *eid)
{
    for (size_t i = 0; i < b->n_controllers; i++)
        if (strcmp(b->controllers[i].eid, eid) == 0)
            return &b->controllers[i];
    return NULL;
}

/* ---- replies ---- */

void bridge_usp_send_msg(struct bridge *b, const struct bridge_reply_to *rt,
                         const struct usp_msg *m)
{
    uint8_t *mb = NULL, *rb = NULL;
    size_t ml = 0, rl = 0;
    int err;

    err = usp_msg_encode(m, 0, &mb, &ml);
    if (err == UB_ETOOBIG) {
        /* the response does not fit one record: say so (7005) */
        ub_free(mb);
        mb = NULL;
        err = usp_msg_encode_error(m->msg_id, USP_ERR_RESOURCES_EXCEEDED,
                                   "response exceeds the record size limit",
                                   &mb, &ml);
    }
    if (!err)
        err = usp_record_wrap(rt->controller, rt->agent, mb, ml, &rb, &rl);
    if (!err)
        err = bridge_usp_send(b, rt, rb, rl);
    if (err)
        UB_LOGW(MOD, "cannot answer %s (msg %s): %s", rt->controller,
                m->msg_id, ub_strerror(err));
    else
        b->stats.usp_sent++;
    ub_free(mb);
    ub_free(rb);
}

static void send_error(struct bridge *b, const struct bridge_reply_to *rt,
                       const char *msg_id, uint32_t code, const char *text)
{
    struct usp_msg m;

    memset(&m, 0, sizeof(m));
    m.msg_id = msg_id;
    m.type = USP_MSG_ERROR;
    m.error.err_code = code;
    m.error.err_msg = text ? text : usp_err_text(code);
    bridge_usp_send_msg(b, rt, &m);
}

/* ---- permissions ---- */

/* Checks op on the literal part of a path expression (up to the first
 * wildcard or search): 0 or 7006. */
bool bridge_expr_prefix(const char *text, char *out, size_t outsz)
{
    size_t n = strcspn(text, "*[+#");
    bool fits = n < outsz;

    if (!fits)
        n = outsz - 1;
    memcpy(out, text, n);
    out[n] = '\0';
    if (n < strlen(text)) {
        char *dot = strrchr(out, '.');
        if (dot)
            dot[1] = '\0';
    }
    return fits;
}

uint32_t bridge_perm_check_expr(const struct usp_agent_perms *perms,
                                const char *text, enum usp_agent_op op)
{
    char prefix[UB_PATH_MAX + 1];

    if (!perms)
        return 0;
    (void)bridge_expr_prefix(text, prefix, sizeof(prefix));
    return usp_agent_perm_check(perms, prefix, op);
}

/* Parses a requested path the controller may read.  On a syntax error
 * (7008) or a refusal (7006) the code and message are set and *p stays
 * NULL. */
static int parse_readable(struct usp_msg *resp, const char *text,
                          const struct usp_agent_perms *perms,
                          struct usp_path **p, uint32_t *code,
                          const char **msg)
{
    struct usp_path_err perr;
    int err;

    *p = NULL;
    if ((*code = bridge_perm_check_expr(perms, text, USP_AGENT_OP_READ))) {
        *msg = usp_msg_strdup(resp, "no read permission on this path");
        return UB_OK;
    }
    err = usp_path_parse(text, p, &perr);
    if (err == UB_EPROTO) {
        *code = USP_ERR_INVALID_PATH_SYNTAX;
        *msg = usp_msg_strdup(resp, perr.msg);
        return UB_OK;
    }
    return err;
}

/* ---- Get ---- */

struct get_walk {
    struct usp_msg *resp;
    struct usp_get_result *res;
    size_t cap;              /* of res->resolved */
    const char *base;        /* object the request resolved to */
    size_t base_depth;
    uint32_t max_depth;
    int err;
};

static size_t path_depth(const char *p)
{
    size_t d = 0;
    for (; *p; p++)
        d += *p == '.';
    return d;
}

/* Room for one more element in arr, an array of n elements of size elem
 * (capacity *cap) allocated from resp's arena.  A full array is copied into
 * one twice as large (at least first); the old one stays in the arena until
 * the message is freed.  Returns the array to use, or NULL (no memory). */
static void *arena_grow(struct usp_msg *resp, void *arr, size_t n,
                        size_t *cap, size_t elem, size_t first)
{
    size_t ncap;
    void *v;

    if (n < *cap)
        return arr;
    ncap = *cap ? *cap * 2 : first;
    v = usp_msg_alloc(resp, ncap * elem);
    if (!v)
        return NULL;
    if (n)
        memcpy(v, arr, n * elem);
    *cap = ncap;
    return v;
}

/* Appends a resolved_path_result for object 'obj' (copied). */
static struct usp_resolved_path *rp_add(struct get_walk *w, const char *obj)
{
    struct usp_get_result *r = w->res;
    struct usp_resolved_path *v = arena_grow(w->resp, r->resolved,
                                             r->n_resolved, &w->cap,
                                             sizeof(*v), 8);

    if (!v)
        return NULL;
    r->resolved = v;
    struct usp_resolved_path *rp = &r->resolved[r->n_resolved++];
    memset(rp, 0, sizeof(*rp));
    rp->path = usp_msg_strdup(w->resp, obj);
    return rp->path ? rp : NULL;
}

/* Adds param name/value to rp (a small growable array in the arena). */
static int rp_param(struct get_walk *w, struct usp_resolved_path *rp,
                    size_t *cap, const char *name, const char *value)
{
    struct usp_kv *v = arena_grow(w->resp, rp->params, rp->n_params, cap,
                                  sizeof(*v), 8);

    if (!v)
        return UB_ENOMEM;
    rp->params = v;
    rp->params[rp->n_params].key = usp_msg_strdup(w->resp, name);
    rp->params[rp->n_params].value = usp_msg_strdup(w->resp, value ? value : "");
    if (!rp->params[rp->n_params].key || !rp->params[rp->n_params].value)
        return UB_ENOMEM;
    rp->n_params++;
    return UB_OK;
}

struct subtree_walk {
    struct get_walk *w;
    struct usp_resolved_path *cur;
    size_t cur_cap;
};

static int on_subtree_node(void *user, const struct ub_node *n)
{
    struct subtree_walk *s = user;
    struct get_walk *w = s->w;
    size_t depth;

    if (n->type == UB_T_OBJECT) {
        depth = path_depth(n->path) - w->base_depth + 1;
        /* R-GET.1b: objects without parameters give no result entry */
        if (s->cur && s->cur->n_params == 0 &&
            s->cur == &w->res->resolved[w->res->n_resolved - 1])
            w->res->n_resolved--;
        if (w->max_depth && depth > w->max_depth) {
            s->cur = NULL;
            return 0;
        }
        s->cur = rp_add(w, n->path);
        s->cur_cap = 0;
        return s->cur ? 0 : UB_ENOMEM;
    }
    if (!s->cur)
        return 0; /* below max_depth, or a parameter without its object */
    return rp_param(w, s->cur, &s->cur_cap, n->path + strlen(s->cur->path),
                    n->value);
}

struct one_param {
    const char *value;
    bool found;
    char buf[4096];
    char *big;
};

static int on_one_param(void *user, const struct ub_node *n)
{
    struct one_param *o = user;
    o->found = true;
    if (!n->value) {
        o->value = "";
    } else if (strlen(n->value) < sizeof(o->buf)) {
        strcpy(o->buf, n->value);
        o->value = o->buf;
    } else {
        o->big = ub_strdup(n->value);
        o->value = o->big ? o->big : "";
    }
    return 0;
}

static int get_one_path(struct bridge *b, const struct ub_tree *tree,
                        struct usp_msg *resp, struct usp_get_result *res,
                        const char *text, uint32_t max_depth,
                        const struct usp_agent_perms *perms)
{
    struct usp_path *p = NULL;
    struct usp_resolved rs;
    struct get_walk w;
    int err;

    memset(&rs, 0, sizeof(rs));
    res->requested_path = usp_msg_strdup(resp, text);
    err = parse_readable(resp, text, perms, &p, &res->err_code, &res->err_msg);
    if (err || !p)
        return err; /* a syntax or permission error is in the result */
    if (usp_path_get_kind(p) == USP_PATH_COMMAND ||
        usp_path_get_kind(p) == USP_PATH_EVENT) {
        res->err_code = USP_ERR_INVALID_PATH;
        res->err_msg = usp_msg_strdup(resp, "Get takes parameter or object paths");
        usp_path_free(p);
        return UB_OK;
    }
    err = usp_path_resolve(p, tree, NULL, &rs);
    if (err == UB_ETOOBIG) {
        res->err_code = USP_ERR_RESOURCES_EXCEEDED;
        res->err_msg = usp_msg_strdup(resp, "too many matches");
        err = UB_OK;
        goto out;
    }
    if (err)
        goto out;
    if (rs.paths.n == 0) {
        res->err_code = usp_resolve_nomatch_err(USP_MSG_GET, &rs);
        if (res->err_code)
            res->err_msg = usp_msg_strdup(resp, "no such object or parameter");
        goto out;
    }
    memset(&w, 0, sizeof(w));
    w.resp = resp;
    w.res = res;
    w.max_depth = max_depth;
    for (size_t i = 0; !err && i < rs.paths.n; i++) {
        const char *rp = rs.paths.v[i];
        if (ub_path_is_object(rp)) {
            struct subtree_walk s = {&w, NULL, 0};
            w.base = rp;
            w.base_depth = path_depth(rp);
            err = tree->ops->subtree(tree->ctx, rp, on_subtree_node, &s);
            if (s.cur && s.cur->n_params == 0 &&
                s.cur == &res->resolved[res->n_resolved - 1])
                res->n_resolved--;
        } else {
            /* a parameter: resolved_path is its parent object (R-GET.2),
             * result_params holds that parameter only (R-GET.3) */
            struct one_param o = {0};
            const char *dot = strrchr(rp, '.');
            char parent[UB_PATH_MAX + 1];
            size_t plen = dot ? (size_t)(dot - rp) + 1 : 0;
            struct usp_resolved_path *r;
            size_t cap = 0;
            if (plen >= sizeof(parent))
                continue;
            memcpy(parent, rp, plen);
            parent[plen] = '\0';
            err = tree->ops->lookup(tree->ctx, rp, on_one_param, &o);
            if (err == UB_ENOTFOUND) {
                err = UB_OK;
                continue;
            }
            if (!err && (r = rp_add(&w, parent)) != NULL) {
                err = rp_param(&w, r, &cap, dot ? dot + 1 : rp, o.value);
            } else if (!err) {
                err = UB_ENOMEM;
            }
            ub_free(o.big);
        }
    }
out:
    if (err == UB_ECORRUPT) {
        /* a stored row failed its checksum: report it, re-sync the device
         * (marked by the caller once the read transaction has ended) */
        res->err_code = USP_ERR_INTERNAL_ERROR;
        res->err_msg = usp_msg_strdup(resp, "cached data corrupt; device re-sync scheduled");
        res->n_resolved = 0;
        b->saw_corrupt = true;
        err = UB_OK;
    }
    usp_resolved_free(&rs);
    usp_path_free(p);
    return err;
}

/* ---- GetInstances ---- */

struct inst_walk {
    struct usp_msg *resp;
    struct usp_inst_result *res;
    size_t cap;
    const struct ub_tree *tree;
    const char *base;
    bool first_level_only;
    size_t base_depth;
    int err;
};

static bool is_instance_path(const char *p)
{
    size_t n = strlen(p);
    const char *s;
    if (n < 2 || p[n - 1] != '.')
        return false;
    s = p + n - 2;
    while (s > p && *s != '.')
        s--;
    if (*s == '.')
        s++;
    return ub_path_seg_is_instance(s, (size_t)(p + n - 1 - s));
}

struct alias_lookup {
    char value[128];
    bool found;
};

static int on_alias(void *user, const struct ub_node *n)
{
    struct alias_lookup *a = user;
    if (n->value) {
        snprintf(a->value, sizeof(a->value), "%s", n->value);
        a->found = true;
    }
    return 0;
}

/* A hosted instance: every unique key of its table (from the hosted
 * schema's key sets, e.g. Subscription: Alias, Recipient, ID). */
static int hosted_unique_keys(struct inst_walk *w, const char *inst,
                              struct usp_curr_inst *ci)
{
    struct usp_get_supported_dm flags = {.first_level_only = true,
                                         .return_unique_key_sets = true};
    struct usp_sdm_result sr;
    const struct usp_sdm_obj *o = NULL;
    char *schema = ub_path_to_schema(inst);
    size_t cap = 0;
    int err;

    if (!schema)
        return UB_ENOMEM;
    memset(&sr, 0, sizeof(sr));
    err = usp_agent_gsdm(w->resp, schema, &flags, NULL, &sr);
    for (size_t i = 0; !err && i < sr.n_objs && !o; i++)
        if (strcmp(sr.objs[i].path, schema) == 0)
            o = &sr.objs[i];
    ub_free(schema);
    if (err == UB_ENOTFOUND || !o)
        return UB_OK;
    if (err)
        return err;
    for (size_t k = 0; k < o->n_key_sets; k++)
        cap += o->key_sets[k].n_keys;
    if (!cap)
        return UB_OK;
    ci->unique_keys = usp_msg_alloc(w->resp, cap * sizeof(*ci->unique_keys));
    if (!ci->unique_keys)
        return UB_ENOMEM;
    for (size_t k = 0; k < o->n_key_sets; k++) {
        for (size_t i = 0; i < o->key_sets[k].n_keys; i++) {
            const char *name = o->key_sets[k].keys[i];
            char kpath[UB_PATH_MAX + 64];
            struct alias_lookup v = {{0}, false};
            bool dup = false;
            for (size_t d = 0; d < ci->n_unique_keys; d++)
                dup = dup || strcmp(ci->unique_keys[d].key, name) == 0;
            snprintf(kpath, sizeof(kpath), "%s%s", inst, name);
            if (dup || w->tree->ops->lookup(w->tree->ctx, kpath, on_alias,
                                            &v) != UB_OK || !v.found)
                continue;
            ci->unique_keys[ci->n_unique_keys].key = name;
            ci->unique_keys[ci->n_unique_keys].value =
                usp_msg_strdup(w->resp, v.value);
            if (!ci->unique_keys[ci->n_unique_keys].value)
                return UB_ENOMEM;
            ci->n_unique_keys++;
        }
    }
    return UB_OK;
}

static int on_inst_node(void *user, const struct ub_node *n)
{
    struct inst_walk *w = user;
    struct usp_curr_inst *ci;
    char apath[UB_PATH_MAX + 8];
    struct alias_lookup al = {{0}, false};

    if (n->type != UB_T_OBJECT || !is_instance_path(n->path))
        return 0;
    if (strcmp(n->path, w->base) == 0)
        return 0;
    if (w->first_level_only) {
        /* only instances directly inside the requested table(s): one
         * segment (the number) below a table that is the base or whose
         * parent is the base object */
        size_t d = path_depth(n->path);
        if (d > w->base_depth + 2)
            return 0;
    }
    ci = arena_grow(w->resp, w->res->insts, w->res->n_insts, &w->cap,
                    sizeof(*ci), 8);
    if (!ci)
        return UB_ENOMEM;
    w->res->insts = ci;
    ci = &w->res->insts[w->res->n_insts++];
    memset(ci, 0, sizeof(*ci));
    ci->path = usp_msg_strdup(w->resp, n->path);
    if (!ci->path)
        return UB_ENOMEM;
    if (usp_agent_path_is_hosted(n->path))
        return hosted_unique_keys(w, n->path, ci);
    snprintf(apath, sizeof(apath), "%sAlias", n->path);
    if (w->tree->ops->lookup(w->tree->ctx, apath, on_alias, &al) == UB_OK &&
        al.found) {
        ci->unique_keys = usp_msg_alloc(w->resp, sizeof(*ci->unique_keys));
        if (!ci->unique_keys)
            return UB_ENOMEM;
        ci->unique_keys[0].key = "Alias";
        ci->unique_keys[0].value = usp_msg_strdup(w->resp, al.value);
        ci->n_unique_keys = 1;
    }
    return 0;
}

static int instances_one_path(const struct ub_tree *tree, struct usp_msg *resp,
                              struct usp_inst_result *res, const char *text,
                              bool first_level_only,
                              const struct usp_agent_perms *perms)
{
    struct usp_path *p = NULL;
    struct usp_resolved rs;
    int err;

    memset(&rs, 0, sizeof(rs));
    res->requested_path = usp_msg_strdup(resp, text);
    err = parse_readable(resp, text, perms, &p, &res->err_code, &res->err_msg);
    if (err || !p)
        return err; /* a syntax or permission error is in the result */
    if (usp_path_get_kind(p) != USP_PATH_OBJECT) {
        res->err_code = USP_ERR_INVALID_PATH;
        res->err_msg = usp_msg_strdup(resp, "GetInstances takes object paths");
        goto out;
    }
    err = usp_path_resolve(p, tree, NULL, &rs);
    if (err)
        goto out;
    if (rs.paths.n == 0) {
        res->err_code = usp_resolve_nomatch_err(USP_MSG_GET_INSTANCES, &rs);
        if (res->err_code)
            res->err_msg = usp_msg_strdup(resp, "no such object");
        goto out;
    }
    for (size_t i = 0; !err && i < rs.paths.n; i++) {
        struct inst_walk w = {resp, res, 0, tree, rs.paths.v[i],
                              first_level_only, path_depth(rs.paths.v[i]), 0};
        /* keep the array growth state across resolved paths */
        w.cap = res->n_insts;
        err = tree->ops->subtree(tree->ctx, rs.paths.v[i], on_inst_node, &w);
    }
out:
    usp_resolved_free(&rs);
    usp_path_free(p);
    return err;
}

/* ---- GetSupportedDM (device part: derived from the cached tree) ---- */

struct sdm_walk {
    struct usp_msg *resp;
    struct usp_sdm_result *res;
    size_t cap;
    bool first_level_only, params;
    size_t base_depth;
    struct usp_sdm_obj *cur;
    size_t cur_cap;
    char last_schema[UB_PATH_MAX + 8];
    const char *filter; /* requested Foo.{i}. path: only the schema below */
};

static struct usp_sdm_obj *sdm_find(struct sdm_walk *w, const char *schema)
{
    for (size_t i = 0; i < w->res->n_objs; i++)
        if (strcmp(w->res->objs[i].path, schema) == 0)
            return &w->res->objs[i];
    return NULL;
}

static int on_sdm_node(void *user, const struct ub_node *n)
{
    struct sdm_walk *w = user;
    char *schema;
    int err = UB_OK;

    if (usp_agent_path_is_hosted(n->path))
        return 0; /* described by usp_agent_gsdm */
    schema = ub_path_to_schema(n->path);

    if (!schema)
        return UB_ENOMEM;
    if (n->type == UB_T_OBJECT) {
        size_t d = path_depth(schema);
        if (w->filter && strncmp(schema, w->filter, strlen(w->filter)) != 0) {
            w->cur = NULL; /* beside a requested Foo.{i}. path */
            goto done;
        }
        if (w->first_level_only && d > w->base_depth + 1 &&
            !(d == w->base_depth + 2 && strlen(schema) > 5 &&
              strcmp(schema + strlen(schema) - 5, ".{i}.") == 0)) {
            w->cur = NULL;
            goto done;
        }
        if (!is_instance_path(n->path)) {
            /* a table already described through its instances (Foo.{i}.)
             * keeps that entry: tables have no parameters of their own */
            char *ti = ub_asprintf("%s{i}.", schema);
            if (!ti) {
                err = UB_ENOMEM;
                goto done;
            }
            w->cur = sdm_find(w, ti);
            ub_free(ti);
            if (w->cur) {
                w->cur_cap = w->cur->n_params;
                goto done;
            }
        } else {
            /* an instance: its schema is Foo.{i}. (multi-instance); the
             * table node Foo. seen before it was only a placeholder */
            char *tbl = ub_strndup(schema, strlen(schema) - 4);
            struct usp_sdm_obj *ph, *found = sdm_find(w, schema);
            if (!tbl) {
                err = UB_ENOMEM;
                goto done;
            }
            ph = sdm_find(w, tbl);
            ub_free(tbl);
            if (ph && !ph->is_multi_instance && ph->n_params == 0) {
                if (!found) {
                    ph->path = usp_msg_strdup(w->resp, schema);
                    ph->is_multi_instance = true;
                    w->cur = ph;
                    w->cur_cap = 0;
                    if (!ph->path)
                        err = UB_ENOMEM;
                    goto done;
                }
                /* drop the placeholder; found moves down with the rest */
                size_t at = (size_t)(ph - w->res->objs);
                if (found > ph)
                    found--;
                memmove(ph, ph + 1,
                        (w->res->n_objs - at - 1) * sizeof(*ph));
                w->res->n_objs--;
            }
            if (found) {
                w->cur = found;
                w->cur_cap = found->n_params;
                goto done;
            }
        }
        w->cur = sdm_find(w, schema);
        if (!w->cur) {
            struct usp_sdm_obj *v = arena_grow(w->resp, w->res->objs,
                                               w->res->n_objs, &w->cap,
                                               sizeof(*v), 16);
            if (!v) {
                err = UB_ENOMEM;
                goto done;
            }
            w->res->objs = v;
            w->cur = &w->res->objs[w->res->n_objs++];
            memset(w->cur, 0, sizeof(*w->cur));
            w->cur->path = usp_msg_strdup(w->resp, schema);
            w->cur->access = n->writable ? USP_OBJ_ADD_DELETE : USP_OBJ_READ_ONLY;
            {
                size_t sl = strlen(schema);
                w->cur->is_multi_instance =
                    sl >= 5 && strcmp(schema + sl - 4, "{i}.") == 0;
            }
            w->cur_cap = 0;
        } else {
            /* params were collected from an earlier instance */
            w->cur_cap = w->cur->n_params;
        }
        goto done;
    }
    if (!w->cur || !w->params)
        goto done;
    {
        const char *name = strrchr(schema, '.');
        name = name ? name + 1 : schema;
        for (size_t i = 0; i < w->cur->n_params; i++)
            if (strcmp(w->cur->params[i].name, name) == 0)
                goto done; /* seen in another instance */
        struct usp_sdm_param *v = arena_grow(w->resp, w->cur->params,
                                             w->cur->n_params, &w->cur_cap,
                                             sizeof(*v), 8);
        if (!v) {
            err = UB_ENOMEM;
            goto done;
        }
        w->cur->params = v;
        struct usp_sdm_param *sp = &w->cur->params[w->cur->n_params++];
        sp->name = usp_msg_strdup(w->resp, name);
        sp->access = n->writable ? USP_PARAM_READ_WRITE : USP_PARAM_READ_ONLY;
        sp->value_type = usp_vtype_from_ub(n->type);
        sp->value_change = USP_VC_ALLOWED;
    }
done:
    ub_free(schema);
    return err;
}

static int sdm_one_path(const struct ub_tree *tree, struct usp_msg *resp,
                        struct usp_sdm_result *res, const char *text,
                        const struct usp_get_supported_dm *req,
                        const struct usp_agent_perms *perms)
{
    struct sdm_walk w;
    char concrete[UB_PATH_MAX + 1];
    int err;

    memset(&w, 0, sizeof(w));
    res->req_obj_path = usp_msg_strdup(resp, text);
    res->data_model_inst_uri = "urn:broadband-forum-org:tr-181-2-16-0-usp";
    if ((res->err_code = bridge_perm_check_expr(perms, text,
                                                USP_AGENT_OP_SUPPORTED))) {
        res->err_msg = usp_msg_strdup(resp, "no permission on this path");
        return UB_OK;
    }
    if (usp_agent_path_is_hosted(text)) {
        /* Device.LocalAgent. and below: the hosted schema alone */
        err = usp_agent_gsdm(resp, text, req, perms, res);
        if (!err && res->n_objs == 0) {
            res->err_code = USP_ERR_INVALID_PATH;
            res->err_msg = usp_msg_strdup(resp, "not in the supported data model");
        }
        return err;
    }
    if (!ub_path_is_object(text) || strlen(text) > UB_PATH_MAX) {
        res->err_code = USP_ERR_INVALID_PATH;
        res->err_msg = usp_msg_strdup(resp, "GetSupportedDM takes object paths");
        return UB_OK;
    }
    /* A supported path may use {i} (Foo.{i}.Bar.): walk the cached
     * instances below the table before the first {i} and keep only what
     * has the requested schema as prefix. */
    snprintf(concrete, sizeof(concrete), "%s", text);
    if (strstr(concrete, "{i}")) {
        strstr(concrete, "{i}")[0] = '\0';
        w.filter = text;
    }
    w.resp = resp;
    w.res = res;
    w.first_level_only = req->first_level_only;
    w.params = req->return_params;
    w.base_depth = path_depth(text);
    err = tree->ops->subtree(tree->ctx, concrete, on_sdm_node, &w);
    if (!err && strcmp(text, "Device.") == 0)
        err = usp_agent_gsdm(resp, text, req, perms, res); /* graft */
    if (err == UB_ENOTFOUND || (!err && res->n_objs == 0)) {
        res->err_code = USP_ERR_INVALID_PATH;
        res->err_msg = usp_msg_strdup(resp, "not in the supported data model");
        return UB_OK;
    }
    return err;
}

/* ---- dispatch ---- */

static uint32_t err_to_usp(int err)
{
    switch (err) {
    case UB_ENOMEM:
    case UB_ETOOBIG:
    case UB_EFULL:
        return USP_ERR_RESOURCES_EXCEEDED;
    case UB_ETIMEDOUT:
        return USP_ERR_MESSAGE_FAILED;
    default:
        return USP_ERR_INTERNAL_ERROR;
    }
}

void bridge_usp_answer_read(struct bridge *b, const struct bridge_reply_to *rt,
                            uint32_t dev, const struct usp_msg *req)
{
    struct pdb_rtxn *r = NULL;
    struct agent_tree at;
    struct usp_msg *resp = NULL;
    const struct usp_agent_perms *perms = NULL; /* cached, borrowed */
    bool tree_open = false;
    int err;

    err = bridge_perms_load(b, dev, rt->controller, &perms);
    if (!err)
        err = usp_msg_new(usp_msg_type_response(req->type), req->msg_id, &resp);
    if (!err)
        err = pdb_rtxn_begin(b->pdb, &r);
    if (!err) {
        err = agent_tree_open(&at, b, r, dev);
        tree_open = !err;
    }
    if (err)
        goto out;

    switch (req->type) {
    case USP_MSG_GET:
        resp->get_resp.results = usp_msg_alloc(
            resp, (req->get.n_paths ? req->get.n_paths : 1) *
                      sizeof(*resp->get_resp.results));
        if (!resp->get_resp.results) {
            err = UB_ENOMEM;
            break;
        }
        for (size_t i = 0; !err && i < req->get.n_paths; i++) {
            err = get_one_path(b, &at.tree, resp, &resp->get_resp.results[i],
                               req->get.paths[i], req->get.max_depth, perms);
            resp->get_resp.n_results++;
        }
        break;
    case USP_MSG_GET_INSTANCES:
        resp->get_instances_resp.results = usp_msg_alloc(
            resp, (req->get_instances.n_obj_paths ? req->get_instances.n_obj_paths
                                                  : 1) *
                      sizeof(*resp->get_instances_resp.results));
        if (!resp->get_instances_resp.results) {
            err = UB_ENOMEM;
            break;
        }
        for (size_t i = 0; !err && i < req->get_instances.n_obj_paths; i++) {
            err = instances_one_path(&at.tree, resp,
                                     &resp->get_instances_resp.results[i],
                                     req->get_instances.obj_paths[i],
                                     req->get_instances.first_level_only,
                                     perms);
            resp->get_instances_resp.n_results++;
        }
        break;
    case USP_MSG_GET_SUPPORTED_DM:
        resp->gsdm_resp.results = usp_msg_alloc(
            resp, (req->gsdm.n_obj_paths ? req->gsdm.n_obj_paths : 1) *
                      sizeof(*resp->gsdm_resp.results));
        if (!resp->gsdm_resp.results) {
            err = UB_ENOMEM;
            break;
        }
        for (size_t i = 0; !err && i < req->gsdm.n_obj_paths; i++) {
            err = sdm_one_path(&at.tree, resp, &resp->gsdm_resp.results[i],
                               req->gsdm.obj_paths[i], &req->gsdm, perms);
            resp->gsdm_resp.n_results++;
        }
        break;
    default:
        err = UB_EINVAL;
        break;
    }
out:
    if (tree_open)
        agent_tree_close(&at);
    pdb_rtxn_end(r);
    r = NULL;
    if (err == UB_ECORRUPT)
        b->saw_corrupt = true;
    if (b->saw_corrupt) {
        b->saw_corrupt = false;
        bridge_mark_unsynced(b, dev);
    }
    if (err) {
        UB_LOGW(MOD, "%s %s from %s failed: %s", usp_msg_type_name(req->type),
                req->msg_id, rt->controller, ub_strerror(err));
        send_error(b, rt, req->msg_id, err_to_usp(err),
                   err == UB_ECORRUPT
                       ? "cached data corrupt; device re-sync scheduled"
                       : NULL);
    } else {
        bridge_usp_send_msg(b, rt, resp);
    }
    usp_msg_free(resp);
}

/* True if a cached parameter under the literal part of 'path' (up to the
 * first wildcard or search) was read longer than max_age_s ago. */
static bool cache_older_than(struct bridge *b, uint32_t dev, const char *path,
                             int64_t max_age_s)
{
    char prefix[UB_PATH_MAX + 1];
    struct pdb_rtxn *r = NULL;
    bool stale = false, any = false;

    if (!bridge_expr_prefix(path, prefix, sizeof(prefix)))
        return true;
    if (pdb_rtxn_begin(b->pdb, &r))
        return true;
    if (bridge_cache_age(r, dev, prefix, max_age_s, &stale, &any) ==
        UB_ECORRUPT)
        stale = true;
    pdb_rtxn_end(r);
    return stale;
}

/* Does the Get need the device ("live" policy, or cache older than the
 * max-age of its subtree)?  Policy: [usp] get_policy, per subtree
 * overrides in [usp] get_policy_paths ("Device.WiFi.=live,..."). */
static bool get_needs_device(struct bridge *b, uint32_t dev,
                             const struct usp_msg *m)
{
    for (size_t i = 0; i < m->get.n_paths; i++) {
        const char *p = m->get.paths[i];
        const struct bridge_policy *best = NULL;
        for (size_t k = 0; k < b->n_policies; k++) {
            size_t l = strlen(b->policies[k].prefix);
            if (strncmp(p, b->policies[k].prefix, l) == 0 &&
                (!best || l > strlen(best->prefix)))
                best = &b->policies[k];
        }
        if (strncmp(p, "Device.LocalAgent.", 18) == 0)
            continue;
        int64_t age = best ? best->max_age_s : b->default_max_age_s;
        if (age == 0)
            return true; /* live */
        if (age > 0 && cache_older_than(b, dev, p, age))
            return true; /* max-age exceeded */
    }
    return false;
}

static bool all_hosted(const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(paths[i], "Device.LocalAgent.", 18) != 0)
            return false;
    return n > 0;
}

static void dispatch(struct bridge *b, const struct bridge_reply_to *rt,
                     uint32_t dev, struct usp_msg *m, const uint8_t *raw,
                     size_t raw_len, bool *taken)
{
    *taken = false;
    switch (m->type) {
    case USP_MSG_GET:
        if (get_needs_device(b, dev, m)) {
            *taken = true;
            bridge_req_submit(b, rt, dev, m, raw, raw_len);
            return;
        }
        bridge_usp_answer_read(b, rt, dev, m);
        return;
    case USP_MSG_GET_INSTANCES:
    case USP_MSG_GET_SUPPORTED_DM:
        bridge_usp_answer_read(b, rt, dev, m);
        return;
    case USP_MSG_SET:
    case USP_MSG_ADD:
    case USP_MSG_DELETE: {
        const char *paths[BRIDGE_JOB_MAX_RPCS];
        size_t n = 0;
        if (m->type == USP_MSG_DELETE) {
            for (size_t i = 0; i < m->del.n_paths && n < UB_ARRAY_LEN(paths); i++)
                paths[n++] = m->del.paths[i];
        } else {
            const struct usp_obj_settings *o =
                m->type == USP_MSG_SET ? m->set.objs : m->add.objs;
            size_t no = m->type == USP_MSG_SET ? m->set.n_objs : m->add.n_objs;
            for (size_t i = 0; i < no && n < UB_ARRAY_LEN(paths); i++)
                paths[n++] = o[i].obj_path;
        }
        if (all_hosted(paths, n)) {
            bridge_hosted_write(b, rt, dev, m);
            return;
        }
        *taken = true;
        bridge_req_submit(b, rt, dev, m, raw, raw_len);
        return;
    }
    case USP_MSG_GET_SUPPORTED_PROTO: {
        struct usp_msg r;
        memset(&r, 0, sizeof(r));
        r.msg_id = m->msg_id;
        r.type = USP_MSG_GET_SUPPORTED_PROTO_RESP;
        r.gsp_resp.versions = USP_VERSIONS_SUPPORTED;
        bridge_usp_send_msg(b, rt, &r);
        return;
    }
    case USP_MSG_REGISTER:
    case USP_MSG_DEREGISTER:
        send_error(b, rt, m->msg_id, USP_ERR_REQUEST_DENIED,
                   "this agent hosts no USP Services: Register/Deregister "
                   "are not accepted");
        return;
    default:
        if (!usp_msg_type_is_request(m->type)) {
            /* responses and errors from controllers (NotifyResp, ...) */
            UB_LOGD(MOD, "%s from %s consumed", usp_msg_type_name(m->type),
                    rt->controller);
            return;
        }
        send_error(b, rt, m->msg_id, USP_ERR_MESSAGE_NOT_SUPPORTED,
                   "message type not supported by this bridged agent yet");
        return;
    }
}

void bridge_usp_on_record(struct bridge *b, const uint8_t *buf, size_t len,
                          struct bridge_reply_to *rt)
{
    struct usp_record *rec = NULL;
    struct usp_record_diag diag;
    struct usp_record_limits lim = {.max_record = 0};
    struct usp_msg *m = NULL;
    struct pdb_rtxn *r = NULL;
    uint32_t dev = 0;
    int err;

    b->stats.usp_received++;
    err = usp_record_decode(buf, len, &lim, &rec, &diag);
    if (err) {
        uint8_t *eb = NULL;
        size_t el = 0;
        b->stats.usp_bad_records++;
        UB_LOGI(MOD, "bad record (%zu bytes): %s", len, diag.msg);
        /* R-MTP.5: answer with an Error when the sender is identifiable */
        if (diag.ids_valid && bridge_controller_find(b, diag.from_id)) {
            bridge_scopy(rt->controller, sizeof(rt->controller), diag.from_id);
            bridge_scopy(rt->agent, sizeof(rt->agent), diag.to_id);
            if (usp_record_error_build(&diag, diag.to_id, &eb, &el) == UB_OK &&
                bridge_usp_send(b, rt, eb, el) != UB_OK)
                UB_LOGD(MOD, "error reply to %.64s not sent", diag.from_id);
            ub_free(eb);
        }
        return;
    }
    /* both fit: the decoder bounds IDs to USP_ID_MAX */
    bridge_scopy(rt->controller, sizeof(rt->controller), rec->from_id);
    bridge_scopy(rt->agent, sizeof(rt->agent), rec->to_id);

    /* Exit if the record is not for a bridged agent */
    err = pdb_rtxn_begin(b->pdb, &r);
    if (!err)
        err = pdb_device_find_endpoint(r, rec->to_id, &dev);
    pdb_rtxn_end(r);
    if (err) {
        b->stats.usp_unknown_agent++;
        UB_LOGI(MOD, "record for unknown agent %.64s from %.64s dropped",
                rec->to_id, rec->from_id);
        goto out;
    }
    if (rec->kind != USP_REC_NO_SESSION) {
        if (rec->kind == USP_REC_DISCONNECT)
            UB_LOGI(MOD, "controller %.64s disconnected from %s",
                    rec->from_id, rec->to_id);
        goto out; /* connect records need no answer */
    }
    /* Exit if the controller is not allowed */
    if (!bridge_controller_find(b, rec->from_id) &&
        !bridge_controller_known(b, dev, rec->from_id, NULL, 0) &&
        strcmp(b->cfg->usp_untrusted_role, "refuse") == 0) {
        b->stats.usp_refused++;
        UB_LOGN(MOD, "record from unknown controller %.64s refused",
                rec->from_id);
        err = usp_msg_decode(rec->payload, rec->payload_len, &m);
        if (!err && usp_msg_type_is_request(m->type))
            send_error(b, rt, m->msg_id, USP_ERR_REQUEST_DENIED,
                       "unknown controller");
        goto out;
    }
    err = usp_msg_decode(rec->payload, rec->payload_len, &m);
    if (err) {
        b->stats.usp_bad_records++;
        UB_LOGI(MOD, "undecodable Msg from %.64s: %s", rec->from_id,
                ub_strerror(err));
        send_error(b, rt, "unknown", USP_ERR_MESSAGE_FAILED,
                   "the USP Msg could not be decoded");
        goto out;
    }
    {
        bool taken = false;
        dispatch(b, rt, dev, m, rec->payload, rec->payload_len, &taken);
        if (taken)
            m = NULL;
    }
out:
    usp_msg_free(m);
    usp_record_free(rec);
}
