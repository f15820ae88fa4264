/*
 * Hosted Device.LocalAgent.: Set, Add and Delete.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Each call handles one object and works in three phases:
 *  1. check: every parameter setting is resolved against the schema
 *     (direct parameter, or "Sub.Param" of a single-instance sub-object
 *     whose protocol discriminator matches), then checked for writability,
 *     permission, type and value (agent__value_check); failures become
 *     struct usp_agent_perr entries;
 *  2. decide: a failed required setting fails the object (7021); the
 *     values the object will have are computed (stored or default values
 *     overlaid with the settings, agent-owned values, auto-assigned unique
 *     keys) and every unique key set is compared with the other instances
 *     of the table (7025);
 *  3. write: only now are rows put, so a USP-level failure never leaves
 *     rows behind in the caller's transaction.
 * Delete honours TR-181's strong references: a Controller takes its
 * Subscriptions with it, and a Role disappears from every role list.
 */
#include "agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_TABLE "Device.LocalAgent.Subscription."
#define CTRL_TABLE "Device.LocalAgent.Controller."
#define ROLE_TABLE "Device.LocalAgent.ControllerTrust.Role."

void usp_agent_result_init(struct usp_agent_result *r)
{
    memset(r, 0, sizeof(*r));
    ub_param_list_init(&r->params, 0);
    ub_param_list_init(&r->keys, 0);
    ub_strv_init(&r->deleted, 0);
}

void usp_agent_result_clear(struct usp_agent_result *r)
{
    size_t i;

    if (!r)
        return;
    ub_free(r->err_msg);
    ub_free(r->path);
    for (i = 0; i < r->n_perrs; i++) {
        ub_free(r->perrs[i].param);
        ub_free(r->perrs[i].err_msg);
    }
    ub_free(r->perrs);
    ub_param_list_free(&r->params);
    ub_param_list_free(&r->keys);
    ub_strv_free(&r->deleted);
    usp_agent_result_init(r);
}

static int res_fail(struct usp_agent_result *r, uint32_t code,
                    const char *msg)
{
    r->err_code = code;
    ub_free(r->err_msg);
    r->err_msg = ub_strdup(msg ? msg : usp_err_text(code));
    return r->err_msg ? UB_OK : UB_ENOMEM;
}

static int res_perr(struct usp_agent_result *r, const char *param,
                    uint32_t code, const char *msg)
{
    struct usp_agent_perr *nv;

    nv = ub_realloc(r->perrs, (r->n_perrs + 1) * sizeof(*nv));
    if (!nv)
        return UB_ENOMEM;
    r->perrs = nv;
    nv[r->n_perrs].param = ub_strdup(param);
    nv[r->n_perrs].err_code = code;
    nv[r->n_perrs].err_msg = ub_strdup(msg ? msg : usp_err_text(code));
    r->n_perrs++;
    if (!nv[r->n_perrs - 1].param || !nv[r->n_perrs - 1].err_msg)
        return UB_ENOMEM;
    return UB_OK;
}

/* One parameter setting after phase 1. */
struct pend {
    const char *rel;    /* as requested (borrowed) */
    const struct agent_param *p;
    const struct agent_obj *so; /* object the param belongs to */
    char *sub;          /* "" or "Sub." (owned) */
    const char *value;  /* normalised (borrowed) */
    bool required;
    bool ok;
};

static void pends_free(struct pend *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++)
        ub_free(v[i].sub);
    ub_free(v);
}

/* The Protocol value an object will have: the setting, else the stored
 * value, else the default.  NULL if the object has no Protocol. */
static const char *effective_proto(const struct agent_obj *o,
                                   const struct usp_param_setting *ps,
                                   size_t n, const char *stored)
{
    const struct agent_param *p = agent__param_find(o, "Protocol");
    const char *msg;
    size_t i;

    if (!p)
        return NULL;
    for (i = 0; i < n; i++)
        if (ps[i].param && strcmp(ps[i].param, "Protocol") == 0 &&
            ps[i].value && agent__value_check(p, ps[i].value, &msg) == 0)
            return ps[i].value;
    return stored ? stored : agent__param_default(p);
}

/* Phase 1 for one setting.  obj: concrete path of the object (for the
 * permission check; may hold the peeked instance number for Add). */
static int check_setting(const struct usp_agent_store *st,
                         const struct usp_agent_caller *who,
                         const struct agent_obj *o, const char *obj,
                         const char *proto, bool is_add,
                         const struct usp_param_setting *s, struct pend *pd,
                         struct usp_agent_result *res)
{
    char path[UB_PATH_MAX + 1];
    const char *name = s->param ? s->param : "", *dot, *msg = NULL;
    uint32_t code = 0;

    memset(pd, 0, sizeof(*pd));
    pd->rel = name;
    pd->required = s->required;
    pd->so = o;
    dot = strrchr(name, '.');
    if (dot) {
        /* "Sub.Param": a single-instance sub-object (one level) */
        char sp[UB_PATH_MAX + 1];
        const struct agent_obj *so;

        if (strchr(name, '.') != dot ||
            !agent__fmt(sp, sizeof(sp), "%s%.*s", o->path,
                        (int)(dot - name + 1), name) ||
            !(so = agent__obj_find(sp)) || so->multi ||
            (so->proto && (!proto || strcmp(so->proto, proto) != 0))) {
            code = USP_ERR_UNSUPPORTED_PARAM;
            goto fail;
        }
        pd->so = so;
        pd->sub = ub_strndup(name, (size_t)(dot - name + 1));
        if (!pd->sub)
            return UB_ENOMEM;
        name = dot + 1;
    } else {
        pd->sub = ub_strdup("");
        if (!pd->sub)
            return UB_ENOMEM;
    }
    pd->p = agent__param_find(pd->so, name);
    if (!pd->p) {
        code = USP_ERR_UNSUPPORTED_PARAM;
        goto fail;
    }
    if (!(pd->p->flags & AGENT_P_RW)) {
        code = USP_ERR_PARAM_READ_ONLY;
        goto fail;
    }
    agent__fmt(path, sizeof(path), "%s%s%s", obj, pd->sub, name);
    if (who && who->perms &&
        usp_agent_perm_check(who->perms, path, USP_AGENT_OP_WRITE)) {
        code = USP_ERR_PERMISSION_DENIED;
        goto fail;
    }
    if (!s->value) {
        code = USP_ERR_INVALID_VALUE;
        msg = "missing value";
        goto fail;
    }
    code = agent__value_check(pd->p, s->value, &msg);
    if (code)
        goto fail;
    pd->value = agent__value_norm(pd->p, s->value);
    if (!is_add && (pd->p->flags & AGENT_P_IMMUTABLE)) {
        char *cur = NULL;
        int err = agent__get_value(st, path, &cur);

        if (err && err != UB_ENOTFOUND)
            return err;
        if (cur && *cur && strcmp(cur, pd->value) != 0) {
            ub_free(cur);
            code = USP_ERR_INVALID_VALUE;
            msg = "value cannot change once set (delete and re-create)";
            goto fail;
        }
        ub_free(cur);
    }
    if (who && who->perms && strcmp(pd->p->name, "ReferenceList") == 0) {
        /* TR-181 Permission "n": a controller may only subscribe to what
         * it may be notified about */
        const char *it = pd->value;

        while (it && *it) {
            const char *c = strchr(it, ','), *b = it, *e;
            char rp[UB_PATH_MAX + 1];

            e = c ? c : it + strlen(it);
            while (b < e && *b == ' ')
                b++;
            while (e > b && e[-1] == ' ')
                e--;
            agent__fmt(rp, sizeof(rp), "%.*s", (int)(e - b), b);
            if (*rp && usp_agent_perm_check(who->perms, rp,
                                            USP_AGENT_OP_NOTIFY)) {
                code = USP_ERR_PERMISSION_DENIED;
                msg = "no notify permission on a ReferenceList entry";
                goto fail;
            }
            it = c ? c + 1 : NULL;
        }
    }
    if (pd->p->flags & AGENT_P_ROLEREF) {
        /* every referenced Role must exist */
        const char *it = pd->value;

        while (it && *it) {
            const char *c = strchr(it, ','), *b = it, *e;
            char rp[UB_PATH_MAX + 1];

            e = c ? c : it + strlen(it);
            while (b < e && *b == ' ')
                b++;
            while (e > b && e[-1] == ' ')
                e--;
            if (e > b && e[-1] == '.')
                e--;
            agent__fmt(rp, sizeof(rp), "%.*s.", (int)(e - b), b);
            if (e > b && !agent__row_exists(st, rp)) {
                code = USP_ERR_INVALID_VALUE;
                msg = "referenced Role does not exist";
                goto fail;
            }
            it = c ? c + 1 : NULL;
        }
    }
    pd->ok = true;
    return UB_OK;
fail:
    pd->ok = false;
    return res_perr(res, pd->rel, code, msg);
}

/* Is there a failed required setting? */
static bool required_failed(const struct pend *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!v[i].ok && v[i].required)
            return true;
    return false;
}

/* ---- Unique keys ---- */

/* Value of key 'name' for the object being written: from vals (direct
 * params, relative names) if present. */
static const char *val_of(const struct ub_param_list *vals, const char *name)
{
    size_t i;

    for (i = 0; i < vals->n; i++)
        if (strcmp(vals->v[i].path, name) == 0)
            return vals->v[i].value;
    return NULL;
}

static int set_val(struct ub_param_list *vals, const char *name,
                   const char *value)
{
    size_t i;

    for (i = 0; i < vals->n; i++)
        if (strcmp(vals->v[i].path, name) == 0) {
            char *v = ub_strdup(value);

            if (!v)
                return UB_ENOMEM;
            ub_free(vals->v[i].value);
            vals->v[i].value = v;
            return UB_OK;
        }
    return ub_param_list_add(vals, name, value, UB_T_STRING);
}

static bool key_eq(const char *name, const char *a, const char *b)
{
    if (strcmp(name, "Recipient") == 0)
        return agent__ref_eq(a, b);
    return strcmp(a, b) == 0;
}

/* Does key set ks collide with another instance of table (self excluded)?
 * *hit is set when it does. */
static int key_collides(const struct usp_agent_store *st, const char *table,
                        unsigned self, const char *const *ks,
                        const struct ub_param_list *vals, bool *hit)
{
    unsigned *insts = NULL;
    size_t n = 0, i, k;
    int err;

    *hit = false;
    err = agent__instances(st, table, &insts, &n);
    if (err)
        return err;
    for (i = 0; i < n && !*hit; i++) {
        bool all = true;

        if (insts[i] == self)
            continue;
        for (k = 0; ks[k] && all; k++) {
            char *cur = NULL;
            const char *mine = val_of(vals, ks[k]);

            err = agent__get_valuef(st, &cur, "%s%u.%s", table, insts[i],
                                    ks[k]);
            if (err)
                break;
            all = cur && mine && key_eq(ks[k], cur, mine);
            ub_free(cur);
        }
        if (err)
            break;
        *hit = all;
    }
    ub_free(insts);
    return err;
}

/* Largest numeric value of 'name' over the table's instances. */
static int max_uint(const struct usp_agent_store *st, const char *table,
                    const char *name, uint64_t *out)
{
    unsigned *insts = NULL;
    size_t n = 0, i;
    uint64_t m = 0;
    int err;

    err = agent__instances(st, table, &insts, &n);
    for (i = 0; !err && i < n; i++) {
        char *cur = NULL;
        uint64_t v;

        err = agent__get_valuef(st, &cur, "%s%u.%s", table, insts[i], name);
        if (!err && cur && agent__parse_u64(cur, &v) && v > m)
            m = v;
        ub_free(cur);
    }
    ub_free(insts);
    *out = m;
    return err;
}

/* Phase 2 key handling.  given: names the caller set (NULL-safe check via
 * pends).  auto_assign: Add (keys not given may be assigned).  Returns
 * UB_OK with *code = 0 or 7025. */
static int check_keys(const struct usp_agent_store *st,
                      const struct agent_obj *o, const char *table,
                      unsigned self, const struct pend *pv, size_t np,
                      bool auto_assign, struct ub_param_list *vals,
                      uint32_t *code, const char **bad)
{
    size_t s, k, i;
    int err = UB_OK;

    *code = 0;
    if (!o->keys)
        return UB_OK;
    for (s = 0; o->keys[s]; s++) {
        const char *const *ks = o->keys[s];
        bool hit = false;
        unsigned round;

        for (round = 0; round < 50; round++) {
            const char *assignable = NULL;
            const struct agent_param *ap = NULL;

            err = key_collides(st, table, self, ks, vals, &hit);
            if (err || !hit)
                break;
            if (!auto_assign)
                break;
            /* a key of this set the caller did not give, that we may
             * choose: a string without enumeration, or a number */
            for (k = 0; ks[k] && !assignable; k++) {
                const struct agent_param *p = agent__param_find(o, ks[k]);
                bool given = false;

                for (i = 0; i < np; i++)
                    if (pv[i].ok && pv[i].p == p && !*pv[i].sub)
                        given = true;
                if (!p || given || (p->flags & AGENT_P_AGENT) || p->enums)
                    continue;
                assignable = ks[k];
                ap = p;
            }
            if (!assignable)
                break;
            if (ap->type == UB_T_UINT) {
                uint64_t m = 0;
                char num[24];

                err = max_uint(st, table, assignable, &m);
                if (err)
                    break;
                agent__fmt(num, sizeof(num), "%llu",
                         (unsigned long long)(m + 1));
                err = set_val(vals, assignable, num);
            } else {
                char v[32];

                if (round == 0)
                    agent__fmt(v, sizeof(v), "cpe-%u", self);
                else
                    agent__fmt(v, sizeof(v), "cpe-%u-%u", self, round);
                err = set_val(vals, assignable, v);
            }
            if (err)
                break;
        }
        if (err)
            return err;
        if (hit) {
            *code = USP_ERR_DUPLICATE_KEY;
            *bad = ks[0];
            return UB_OK;
        }
    }
    return UB_OK;
}

/* Reads the current direct parameter values of an object into vals. */
struct load_ctx {
    const char *obj;
    size_t olen;
    struct ub_param_list *vals;
};

static int load_cb(void *user, const struct ub_param *row)
{
    struct load_ctx *c = user;
    const char *rest = row->path + c->olen;

    if (strncmp(row->path, c->obj, c->olen) != 0 || !*rest ||
        strchr(rest, '.'))
        return 0;
    return ub_param_list_add(c->vals, rest, row->value ? row->value : "",
                             row->type);
}

static int load_vals(const struct usp_agent_store *st, const char *obj,
                     struct ub_param_list *vals)
{
    struct load_ctx c = {.obj = obj, .olen = strlen(obj), .vals = vals};

    return st->ops->iter(st->ctx, obj, load_cb, &c);
}

/* The table path of an instance path ("a.B.3." -> "a.B.") into buf. */
static bool table_of(const char *inst_path, char *buf, size_t bufsz)
{
    size_t n = strlen(inst_path), b;

    if (n < 2)
        return false;
    b = n - 1;
    while (b > 0 && inst_path[b - 1] != '.')
        b--;
    if (b >= bufsz)
        return false;
    memcpy(buf, inst_path, b);
    buf[b] = '\0';
    return true;
}

/* ---- Set ---- */

int usp_agent_set(const struct usp_agent_store *st,
                  const struct usp_agent_caller *who, const char *obj_path,
                  const struct usp_param_setting *ps, size_t n,
                  struct usp_agent_result *res)
{
    const struct agent_obj *o;
    struct pend *pv = NULL;
    struct ub_param_list vals;
    const char *proto = NULL, *bad = NULL;
    char *stored_proto = NULL, table[UB_PATH_MAX + 1];
    unsigned self = 0;
    uint32_t code = 0;
    size_t i;
    int err = UB_OK;

    ub_param_list_init(&vals, 0);
    if (!agent__store_writable(st) || !obj_path || !res || (n && !ps))
        return UB_EINVAL;
    res->path = ub_strdup(obj_path);
    if (!res->path)
        return UB_ENOMEM;
    o = agent__obj_for_path(obj_path);
    if (!o || !agent__row_exists(st, obj_path) ||
        (o->multi && !agent__path_last_inst(obj_path, NULL)))
        return res_fail(res, USP_ERR_OBJECT_DOES_NOT_EXIST, NULL);

    /* phase 1 */
    if (agent__param_find(o, "Protocol")) {
        err = agent__get_valuef(st, &stored_proto, "%sProtocol", obj_path);
        if (err)
            goto out;
    }
    proto = effective_proto(o, ps, n, stored_proto);
    pv = ub_calloc(n ? n : 1, sizeof(*pv));
    if (!pv) {
        err = UB_ENOMEM;
        goto out;
    }
    for (i = 0; i < n && !err; i++)
        err = check_setting(st, who, o, obj_path, proto, false, &ps[i],
                            &pv[i], res);
    if (err)
        goto out;
    if (required_failed(pv, n)) {
        err = res_fail(res, USP_ERR_REQUIRED_PARAM_FAILED, NULL);
        goto out;
    }

    /* phase 2: unique keys over the new direct values */
    if (o->multi && o->keys) {
        agent__path_last_inst(obj_path, &self);
        table_of(obj_path, table, sizeof(table));
        err = load_vals(st, obj_path, &vals);
        for (i = 0; i < n && !err; i++)
            if (pv[i].ok && !*pv[i].sub)
                err = set_val(&vals, pv[i].p->name, pv[i].value);
        if (!err)
            err = check_keys(st, o, table, self, pv, n, false, &vals, &code,
                             &bad);
        if (err)
            goto out;
        if (code) {
            char msg[128];

            agent__fmt(msg, sizeof(msg), "unique key %s already used", bad);
            err = res_fail(res, code, msg);
            goto out;
        }
    }

    /* phase 3: write; Protocol first (it swaps the sub-objects) */
    for (i = 0; i < n && !err; i++) {
        if (!pv[i].ok || strcmp(pv[i].rel, "Protocol") != 0)
            continue;
        err = agent__put_param(st, obj_path, pv[i].p, pv[i].value);
        if (!err && stored_proto && strcmp(stored_proto, pv[i].value) != 0) {
            size_t k, ol = strlen(o->path);

            for (k = 0; k < agent__n_objs && !err; k++) {
                const struct agent_obj *c = &agent__objs[k];
                char sp[UB_PATH_MAX + 1];

                if (!c->proto || !agent__obj_is_child(o, c))
                    continue;
                agent__fmt(sp, sizeof(sp), "%s%s", obj_path, c->path + ol);
                if (strcmp(c->proto, stored_proto) == 0)
                    err = agent__del(st, sp);
                else if (strcmp(c->proto, pv[i].value) == 0)
                    err = agent__create_obj(st, c, sp, NULL);
            }
        }
        if (!err)
            err = ub_param_list_add(&res->params, pv[i].rel, pv[i].value,
                                    pv[i].p->type);
    }
    for (i = 0; i < n && !err; i++) {
        char op[UB_PATH_MAX + 1];

        if (!pv[i].ok || strcmp(pv[i].rel, "Protocol") == 0)
            continue;
        agent__fmt(op, sizeof(op), "%s%s", obj_path, pv[i].sub);
        err = agent__put_param(st, op, pv[i].p, pv[i].value);
        if (!err)
            err = ub_param_list_add(&res->params, pv[i].rel, pv[i].value,
                                    pv[i].p->type);
    }
out:
    ub_free(stored_proto);
    pends_free(pv, n);
    ub_param_list_free(&vals);
    return err;
}

/* ---- Add ---- */

static int caller_ctrl_ref(const struct usp_agent_store *st, const char *eid,
                           char **out)
{
    unsigned *insts = NULL;
    size_t n = 0, i;
    int err;

    *out = NULL;
    if (!eid || !*eid)
        return UB_OK;
    err = agent__instances(st, CTRL_TABLE, &insts, &n);
    for (i = 0; !err && i < n && !*out; i++) {
        char *v = NULL;

        err = agent__get_valuef(st, &v, CTRL_TABLE "%u.EndpointID",
                                insts[i]);
        if (!err && v && strcmp(v, eid) == 0) {
            *out = ub_asprintf(CTRL_TABLE "%u", insts[i]);
            if (!*out)
                err = UB_ENOMEM;
        }
        ub_free(v);
    }
    ub_free(insts);
    return err;
}

int usp_agent_add(const struct usp_agent_store *st,
                  const struct usp_agent_caller *who, const char *table_path,
                  const struct usp_param_setting *ps, size_t n,
                  struct usp_agent_result *res)
{
    const struct agent_obj *o;
    struct pend *pv = NULL;
    struct ub_param_list vals, ov;
    char *schema = NULL, *tschema = NULL, *inst_path = NULL, *recip = NULL;
    const char *proto, *bad = NULL;
    unsigned inst = 0, got = 0;
    uint32_t code = 0;
    size_t i, j, tl;
    int err = UB_OK;

    ub_param_list_init(&vals, 0);
    ub_param_list_init(&ov, 0);
    if (!agent__store_writable(st) || !table_path || !res || (n && !ps))
        return UB_EINVAL;
    tl = strlen(table_path);
    if (tl < 2 || table_path[tl - 1] != '.' ||
        agent__path_last_inst(table_path, NULL))
        return res_fail(res, USP_ERR_NOT_A_TABLE, NULL);
    schema = ub_path_to_schema(table_path);
    if (!schema)
        return UB_ENOMEM;
    tschema = ub_asprintf("%s{i}.", schema);
    if (!tschema) {
        err = UB_ENOMEM;
        goto out;
    }
    o = agent__obj_find(tschema);
    if (!o) {
        err = res_fail(res, agent__obj_find(schema) ? USP_ERR_NOT_A_TABLE
                                                     : USP_ERR_INVALID_PATH,
                       NULL);
        goto out;
    }
    if (!agent__row_exists(st, table_path)) {
        err = res_fail(res, USP_ERR_INVALID_PATH, "parent object missing");
        goto out;
    }
    if (!o->creatable) {
        err = res_fail(res, USP_ERR_OBJECT_NOT_CREATABLE, NULL);
        goto out;
    }
    if (who && who->perms &&
        usp_agent_perm_check(who->perms, table_path, USP_AGENT_OP_ADD)) {
        err = res_fail(res, USP_ERR_PERMISSION_DENIED, NULL);
        goto out;
    }
    err = agent__next_instance(st, table_path, false, &inst);
    if (err)
        goto out;
    inst_path = ub_asprintf("%s%u.", table_path, inst);
    if (!inst_path) {
        err = UB_ENOMEM;
        goto out;
    }

    /* phase 1 */
    proto = effective_proto(o, ps, n, NULL);
    pv = ub_calloc(n ? n : 1, sizeof(*pv));
    if (!pv) {
        err = UB_ENOMEM;
        goto out;
    }
    for (i = 0; i < n && !err; i++)
        err = check_setting(st, who, o, inst_path, proto, true, &ps[i],
                            &pv[i], res);
    if (err)
        goto out;
    if (required_failed(pv, n)) {
        err = res_fail(res, USP_ERR_REQUIRED_PARAM_FAILED, NULL);
        goto out;
    }

    /* phase 2: direct values = defaults + settings + agent-owned */
    for (i = 0; i < o->n_params && !err; i++)
        err = ub_param_list_add(&vals, o->params[i].name,
                                agent__param_default(&o->params[i]),
                                o->params[i].type);
    for (i = 0; i < n && !err; i++)
        if (pv[i].ok && !*pv[i].sub)
            err = set_val(&vals, pv[i].p->name, pv[i].value);
    if (err)
        goto out;
    if (strcmp(o->path, SUB_TABLE "{i}.") == 0) {
        char now[32];

        err = caller_ctrl_ref(st, who ? who->endpoint_id : NULL, &recip);
        if (err)
            goto out;
        if (!recip) {
            err = res_fail(res, USP_ERR_OBJECT_NOT_CREATED,
                           "the requesting controller has no Controller "
                           "instance");
            goto out;
        }
        ub_time_iso8601(ub_wall_s(), now, sizeof(now));
        err = set_val(&vals, "Recipient", recip);
        if (!err)
            err = set_val(&vals, "CreationDate", now);
        if (err)
            goto out;
    }
    /* Empty string keys (Alias, ID, ...) are assigned, never left empty. */
    if (o->keys) {
        size_t s, k;

        for (s = 0; o->keys[s] && !err; s++)
            for (k = 0; o->keys[s][k] && !err; k++) {
                const struct agent_param *p =
                    agent__param_find(o, o->keys[s][k]);
                const char *v = val_of(&vals, o->keys[s][k]);
                char a[32];

                if (!p || p->type != UB_T_STRING || p->enums ||
                    (p->flags & AGENT_P_AGENT) || (v && *v))
                    continue;
                agent__fmt(a, sizeof(a), "cpe-%u", inst);
                err = set_val(&vals, p->name, a);
            }
    }
    if (!err)
        err = check_keys(st, o, table_path, inst, pv, n, true, &vals, &code,
                         &bad);
    if (err)
        goto out;
    if (code) {
        char msg[128];

        agent__fmt(msg, sizeof(msg), "unique key %s already used", bad);
        err = res_fail(res, code, msg);
        goto out;
    }

    /* phase 3: write */
    for (i = 0; i < vals.n && !err; i++)
        err = ub_param_list_add(&ov, vals.v[i].path, vals.v[i].value,
                                UB_T_STRING);
    for (i = 0; i < n && !err; i++)
        if (pv[i].ok && *pv[i].sub) {
            char rel[UB_PATH_MAX + 1];

            agent__fmt(rel, sizeof(rel), "%s%s", pv[i].sub, pv[i].p->name);
            err = ub_param_list_add(&ov, rel, pv[i].value, UB_T_STRING);
        }
    if (!err)
        err = agent__insert(st, o, table_path, &ov, &got, NULL);
    if (err)
        goto out;
    if (got != inst) { /* cannot happen in one transaction */
        err = UB_ESTATE;
        goto out;
    }
    res->path = inst_path;
    inst_path = NULL;

    /* created params (defaults included) and unique keys */
    for (i = 0; i < vals.n && !err; i++)
        err = ub_param_list_add(&res->params, vals.v[i].path,
                                vals.v[i].value, vals.v[i].type);
    for (i = 0; i < n && !err; i++)
        if (pv[i].ok && *pv[i].sub) {
            char rel[UB_PATH_MAX + 1];

            agent__fmt(rel, sizeof(rel), "%s%s", pv[i].sub, pv[i].p->name);
            err = ub_param_list_add(&res->params, rel, pv[i].value,
                                    pv[i].p->type);
        }
    if (o->keys) {
        size_t s, k;

        for (s = 0; o->keys[s] && !err; s++)
            for (k = 0; o->keys[s][k] && !err; k++) {
                const char *name = o->keys[s][k];
                char kp[UB_PATH_MAX + 1];
                bool dup = false;

                for (j = 0; j < res->keys.n; j++)
                    dup |= strcmp(res->keys.v[j].path, name) == 0;
                agent__fmt(kp, sizeof(kp), "%s%s", res->path, name);
                if (dup || (who && who->perms &&
                            usp_agent_perm_check(who->perms, kp,
                                                 USP_AGENT_OP_READ)))
                    continue;
                err = ub_param_list_add(&res->keys, name,
                                        val_of(&vals, name), UB_T_STRING);
            }
    }
out:
    ub_free(schema);
    ub_free(tschema);
    ub_free(inst_path);
    ub_free(recip);
    pends_free(pv, n);
    ub_param_list_free(&vals);
    ub_param_list_free(&ov);
    return err;
}

/* ---- Delete ---- */

int agent__del_instance(const struct usp_agent_store *st,
                        const struct agent_obj *o, const char *inst_path,
                        struct usp_agent_result *res)
{
    char table[UB_PATH_MAX + 1], *meta;
    int err;

    if (!table_of(inst_path, table, sizeof(table)))
        return UB_EINVAL;
    err = agent__del(st, inst_path);
    if (err)
        return err;
    meta = ub_asprintf("_Meta.%s", inst_path);
    if (!meta)
        return UB_ENOMEM;
    err = agent__del(st, meta);
    ub_free(meta);
    if (!err)
        err = agent__update_count(st, o, table);
    if (!err)
        err = ub_strv_add(&res->deleted, inst_path);
    return err;
}

/* Removes 'ref' from the list value at 'path' if present. */
static int drop_list_item(const struct usp_agent_store *st, const char *path,
                          const char *ref)
{
    struct ub_buf b;
    char *v = NULL;
    const char *s;
    int err;

    err = agent__get_value(st, path, &v);
    if (err == UB_ENOTFOUND)
        return UB_OK;
    if (err)
        return err;
    if (!agent__list_has(v, ref)) {
        ub_free(v);
        return UB_OK;
    }
    ub_buf_init(&b, UB_PATH_MAX * 8);
    err = ub_buf_append(&b, "", 0);
    for (s = v; !err && s && *s;) {
        const char *c = strchr(s, ','), *bb = s, *e;
        char item[UB_PATH_MAX + 1];

        e = c ? c : s + strlen(s);
        while (bb < e && *bb == ' ')
            bb++;
        while (e > bb && e[-1] == ' ')
            e--;
        agent__fmt(item, sizeof(item), "%.*s", (int)(e - bb), bb);
        if (*item && !agent__ref_eq(item, ref))
            err = b.len ? ub_buf_printf(&b, ",%s", item)
                        : ub_buf_appends(&b, item);
        s = c ? c + 1 : NULL;
    }
    if (!err)
        err = agent__put_row(st, path, UB_T_STRING,
                             strstr(path, "InheritedRole") == NULL, b.data);
    ub_buf_free(&b);
    ub_free(v);
    return err;
}

static int cascade(const struct usp_agent_store *st, const char *schema,
                   const char *inst_path, struct usp_agent_result *res)
{
    unsigned *insts = NULL;
    size_t n = 0, i;
    char ref[UB_PATH_MAX + 1];
    int err = UB_OK;

    agent__fmt(ref, sizeof(ref), "%.*s", (int)(strlen(inst_path) - 1),
             inst_path);
    if (strcmp(schema, CTRL_TABLE "{i}.") == 0) {
        const struct agent_obj *so = agent__obj_find(SUB_TABLE "{i}.");

        err = agent__instances(st, SUB_TABLE, &insts, &n);
        for (i = 0; !err && i < n; i++) {
            char *v = NULL, sp[64];

            err = agent__get_valuef(st, &v, SUB_TABLE "%u.Recipient",
                                    insts[i]);
            if (!err && v && agent__ref_eq(v, ref)) {
                agent__fmt(sp, sizeof(sp), SUB_TABLE "%u.", insts[i]);
                err = agent__del_instance(st, so, sp, res);
            }
            ub_free(v);
        }
    } else if (strcmp(schema, ROLE_TABLE "{i}.") == 0) {
        err = agent__instances(st, CTRL_TABLE, &insts, &n);
        for (i = 0; !err && i < n; i++) {
            char p[96];

            agent__fmt(p, sizeof(p), CTRL_TABLE "%u.AssignedRole", insts[i]);
            err = drop_list_item(st, p, ref);
            if (!err) {
                agent__fmt(p, sizeof(p), CTRL_TABLE "%u.InheritedRole",
                         insts[i]);
                err = drop_list_item(st, p, ref);
            }
        }
        if (!err)
            err = drop_list_item(
                st, "Device.LocalAgent.ControllerTrust.UntrustedRole", ref);
        if (!err)
            err = drop_list_item(
                st, "Device.LocalAgent.ControllerTrust.BannedRole", ref);
    }
    ub_free(insts);
    return err;
}

int usp_agent_delete(const struct usp_agent_store *st,
                     const struct usp_agent_caller *who,
                     const char *inst_path, struct usp_agent_result *res)
{
    const struct agent_obj *o;
    char *schema = NULL;
    int err = UB_OK;

    if (!agent__store_writable(st) || !inst_path || !res)
        return UB_EINVAL;
    res->path = ub_strdup(inst_path);
    if (!res->path)
        return UB_ENOMEM;
    if (!ub_path_is_object(inst_path))
        return res_fail(res, USP_ERR_INVALID_PATH, NULL);
    o = agent__obj_for_path(inst_path);
    if (!o)
        return res_fail(res, USP_ERR_INVALID_PATH, NULL);
    if (!o->multi || !agent__path_last_inst(inst_path, NULL))
        return res_fail(res, USP_ERR_NOT_A_TABLE,
                        "not an instance of a table");
    if (!o->creatable)
        return res_fail(res, USP_ERR_DELETE_FAILURE,
                        "instances of this table cannot be deleted");
    if (who && who->perms &&
        usp_agent_perm_check(who->perms, inst_path, USP_AGENT_OP_DELETE))
        return res_fail(res, USP_ERR_PERMISSION_DENIED, NULL);
    if (!agent__row_exists(st, inst_path))
        return UB_OK; /* R-DEL.2a: nothing to do, success */
    err = agent__del_instance(st, o, inst_path, res);
    if (!err) {
        schema = ub_path_to_schema(inst_path);
        if (!schema)
            err = UB_ENOMEM;
    }
    if (!err)
        err = cascade(st, schema, inst_path, res);
    ub_free(schema);
    return err;
}

/* ---- Filling response structs ---- */

static int fill_perrs(struct usp_msg *m, const struct usp_agent_result *r,
                      struct usp_param_err **out, size_t *n)
{
    size_t i;

    *out = usp_msg_alloc(m, (r->n_perrs ? r->n_perrs : 1) * sizeof(**out));
    if (!*out)
        return UB_ENOMEM;
    for (i = 0; i < r->n_perrs; i++) {
        (*out)[i].path = usp_msg_strdup(m, r->perrs[i].param);
        (*out)[i].err_code = r->perrs[i].err_code;
        (*out)[i].err_msg = usp_msg_strdup(m, r->perrs[i].err_msg);
        if (!(*out)[i].path || !(*out)[i].err_msg)
            return UB_ENOMEM;
    }
    *n = r->n_perrs;
    return UB_OK;
}

static int fill_kvs(struct usp_msg *m, const struct ub_param_list *l,
                    struct usp_kv **out, size_t *n)
{
    size_t i;

    *out = usp_msg_alloc(m, (l->n ? l->n : 1) * sizeof(**out));
    if (!*out)
        return UB_ENOMEM;
    for (i = 0; i < l->n; i++) {
        (*out)[i].key = usp_msg_strdup(m, l->v[i].path);
        (*out)[i].value = usp_msg_strdup(m, l->v[i].value);
        if (!(*out)[i].key || !(*out)[i].value)
            return UB_ENOMEM;
    }
    *n = l->n;
    return UB_OK;
}

int usp_agent_add_result_fill(struct usp_msg *m,
                              const struct usp_agent_result *r,
                              const char *requested_path,
                              struct usp_add_result *out)
{
    int err;

    if (!m || !r || !out)
        return UB_EINVAL;
    memset(out, 0, sizeof(*out));
    out->requested_path = usp_msg_strdup(m, requested_path);
    if (!out->requested_path)
        return UB_ENOMEM;
    out->success = r->err_code == 0;
    if (!out->success) {
        out->err_code = r->err_code;
        out->err_msg = usp_msg_strdup(m, r->err_msg);
        return out->err_msg ? UB_OK : UB_ENOMEM;
    }
    out->instantiated_path = usp_msg_strdup(m, r->path);
    if (!out->instantiated_path)
        return UB_ENOMEM;
    err = fill_perrs(m, r, &out->param_errs, &out->n_param_errs);
    if (!err)
        err = fill_kvs(m, &r->keys, &out->unique_keys, &out->n_unique_keys);
    return err;
}

int usp_agent_set_inst_fill(struct usp_msg *m,
                            const struct usp_agent_result *r,
                            struct usp_updated_inst *out)
{
    int err;

    if (!m || !r || !out)
        return UB_EINVAL;
    memset(out, 0, sizeof(*out));
    out->affected_path = usp_msg_strdup(m, r->path);
    if (!out->affected_path)
        return UB_ENOMEM;
    err = fill_perrs(m, r, &out->param_errs, &out->n_param_errs);
    if (!err && r->err_code == 0)
        err = fill_kvs(m, &r->params, &out->updated_params,
                       &out->n_updated_params);
    return err;
}
