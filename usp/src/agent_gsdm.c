/*
 * Hosted Device.LocalAgent.: GetSupportedDM from the static schema.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * The answer is a projection of agent__objs: which objects (the requested
 * one and, unless first_level_only, everything below it; with
 * first_level_only, the object and its direct child objects, as
 * TR-369 GetSupportedDM describes), and per object its access, whether it
 * is a table, and on request its parameters, commands, events and unique
 * key sets.  Every array is allocated from the response message (usp_msg
 * arena); names point to the schema's static strings, which outlive any
 * message.  Permissions filter what a controller may see (R-GSD: Obj r,
 * Param r, CommandEvent r).
 */
#include "agent_int.h"

#include <string.h>

/* The requested path normalised to a schema path; a table named without
 * "{i}." ("Device.LocalAgent.Controller.") means its instances' object. */
static char *norm_request(const char *obj_path)
{
    char *s, *t;

    s = ub_path_to_schema(obj_path);
    if (!s)
        return NULL;
    if (agent__obj_find(s))
        return s;
    t = ub_asprintf("%s{i}.", s);
    if (t && agent__obj_find(t)) {
        ub_free(s);
        return t;
    }
    ub_free(t);
    return s;
}

static const char **strs(struct usp_msg *m, const char *const *v, size_t *n)
{
    const char **out;
    size_t k = 0, i;

    while (v && v[k])
        k++;
    out = usp_msg_alloc(m, (k ? k : 1) * sizeof(*out));
    if (!out)
        return NULL;
    for (i = 0; i < k; i++)
        out[i] = v[i];
    *n = k;
    return out;
}

static bool can(const struct usp_agent_perms *perms, const char *path)
{
    return usp_agent_perm_check(perms, path, USP_AGENT_OP_SUPPORTED) == 0;
}

static int fill_obj(struct usp_msg *m, const struct agent_obj *o,
                    const struct usp_get_supported_dm *f,
                    const struct usp_agent_perms *perms,
                    struct usp_sdm_obj *out)
{
    char path[UB_PATH_MAX + 1];
    size_t i, k;

    memset(out, 0, sizeof(*out));
    out->path = o->path;
    out->access = o->creatable ? USP_OBJ_ADD_DELETE : USP_OBJ_READ_ONLY;
    out->is_multi_instance = o->multi;
    if (f->return_params && o->n_params) {
        out->params = usp_msg_alloc(m, o->n_params * sizeof(*out->params));
        if (!out->params)
            return UB_ENOMEM;
        for (i = 0, k = 0; i < o->n_params; i++) {
            const struct agent_param *p = &o->params[i];
            struct usp_sdm_param *sp = &out->params[k];

            agent__fmt(path, sizeof(path), "%s%s", o->path, p->name);
            if (!can(perms, path))
                continue;
            sp->name = p->name;
            sp->access = (p->flags & AGENT_P_RW) ? USP_PARAM_READ_WRITE
                                                 : USP_PARAM_READ_ONLY;
            sp->value_type = usp_vtype_from_ub(p->type);
            sp->value_change = (p->flags & AGENT_P_VC_IGNORE)
                                   ? USP_VC_WILL_IGNORE
                                   : USP_VC_ALLOWED;
            k++;
        }
        out->n_params = k;
    }
    if (f->return_commands && o->n_cmds) {
        out->commands = usp_msg_alloc(m, o->n_cmds * sizeof(*out->commands));
        if (!out->commands)
            return UB_ENOMEM;
        for (i = 0, k = 0; i < o->n_cmds; i++) {
            const struct agent_cmd *c = &o->cmds[i];
            struct usp_sdm_command *sc = &out->commands[k];

            agent__fmt(path, sizeof(path), "%s%s", o->path, c->name);
            if (!can(perms, path))
                continue;
            sc->name = c->name;
            sc->input_args = strs(m, c->in, &sc->n_input_args);
            sc->output_args = strs(m, c->out, &sc->n_output_args);
            if (!sc->input_args || !sc->output_args)
                return UB_ENOMEM;
            sc->command_type = c->async ? USP_CMD_ASYNC : USP_CMD_SYNC;
            k++;
        }
        out->n_commands = k;
    }
    if (f->return_events && o->n_evts) {
        out->events = usp_msg_alloc(m, o->n_evts * sizeof(*out->events));
        if (!out->events)
            return UB_ENOMEM;
        for (i = 0, k = 0; i < o->n_evts; i++) {
            const struct agent_evt *e = &o->evts[i];
            struct usp_sdm_event *se = &out->events[k];

            agent__fmt(path, sizeof(path), "%s%s", o->path, e->name);
            if (!can(perms, path))
                continue;
            se->name = e->name;
            se->args = strs(m, e->args, &se->n_args);
            if (!se->args)
                return UB_ENOMEM;
            k++;
        }
        out->n_events = k;
    }
    if (f->return_unique_key_sets && o->keys) {
        size_t n = 0;

        while (o->keys[n])
            n++;
        out->key_sets = usp_msg_alloc(m, n * sizeof(*out->key_sets));
        if (!out->key_sets)
            return UB_ENOMEM;
        for (i = 0; i < n; i++) {
            out->key_sets[i].keys =
                strs(m, o->keys[i], &out->key_sets[i].n_keys);
            if (!out->key_sets[i].keys)
                return UB_ENOMEM;
        }
        out->n_key_sets = n;
    }
    return UB_OK;
}

/* Should object o be listed for request r (schema path)? */
static bool selected(const struct agent_obj *o, const char *r,
                     const struct agent_obj *ro, bool first_level)
{
    size_t rl = strlen(r);

    if (strncmp(o->path, r, rl) != 0)
        return false;
    if (!first_level)
        return true;
    if (strcmp(o->path, r) == 0)
        return true;
    if (ro)
        return agent__obj_is_child(ro, o);
    /* r is an ancestor of the hosted root ("Device."): only the root is
     * at the first level below it */
    return strcmp(o->path, USP_AGENT_ROOT) == 0 &&
           strcmp(r, "Device.") == 0;
}

int usp_agent_gsdm(struct usp_msg *m, const char *obj_path,
                   const struct usp_get_supported_dm *flags,
                   const struct usp_agent_perms *perms,
                   struct usp_sdm_result *out)
{
    const struct agent_obj *ro;
    struct usp_sdm_obj *nv;
    char *r;
    size_t i, n = 0, k;
    int err = UB_OK;

    if (!m || !obj_path || !flags || !out)
        return UB_EINVAL;
    if (!ub_path_is_object(obj_path))
        return UB_OK;
    r = norm_request(obj_path);
    if (!r)
        return UB_ENOMEM;
    ro = agent__obj_find(r);
    if (!ro && usp_agent_path_is_hosted(r)) {
        ub_free(r);
        return UB_ENOTFOUND;
    }
    if (!ro && strncmp(USP_AGENT_ROOT, r, strlen(r)) != 0) {
        ub_free(r); /* outside the hosted model */
        return UB_OK;
    }
    for (i = 0; i < agent__n_objs; i++)
        if (selected(&agent__objs[i], r, ro, flags->first_level_only) &&
            can(perms, agent__objs[i].path))
            n++;
    if (!n)
        goto out;
    nv = usp_msg_alloc(m, (out->n_objs + n) * sizeof(*nv));
    if (!nv) {
        err = UB_ENOMEM;
        goto out;
    }
    if (out->n_objs)
        memcpy(nv, out->objs, out->n_objs * sizeof(*nv));
    k = out->n_objs;
    for (i = 0; i < agent__n_objs && !err; i++) {
        const struct agent_obj *o = &agent__objs[i];

        if (!selected(o, r, ro, flags->first_level_only) ||
            !can(perms, o->path))
            continue;
        err = fill_obj(m, o, flags, perms, &nv[k++]);
    }
    if (!err) {
        out->objs = nv;
        out->n_objs = k;
    }
out:
    ub_free(r);
    return err;
}
