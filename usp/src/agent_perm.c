/*
 * Hosted Device.LocalAgent.: ControllerTrust permission decisions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * usp_agent_perms_load() copies, once per message, the enabled Permission
 * rows of the controller's enabled roles (AssignedRole + InheritedRole, or
 * ControllerTrust.UntrustedRole when it has none or is unknown) into plain
 * arrays, so that the many checks of one message (one per parameter of a
 * Get) need no storage access.  usp_agent_perm_check() then follows
 * TR-181 Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}.:
 *  - a Target ending in '.' (partial path) covers that object and
 *    everything below it; other Targets (parameter, "Cmd()", "Evt!") match
 *    exactly; '*' or "{i}" stand for one instance number;
 *  - within a role, the matching Permission with the highest Order decides
 *    ("the permissions for the entry with the highest value takes
 *    priority"), all four characters of its column at once (obuspa reads
 *    it the same way);
 *  - roles are united: allowed if any role allows (TR-181 Role: "a union
 *    of the identified permissions");
 *  - nothing matching denies.
 * The column is chosen by the path's kind (Param / Obj / InstantiatedObj /
 * CommandEvent), the character by the operation (r w x n).
 */
#include "agent_int.h"

#include <stdio.h>
#include <string.h>

#define CTRL_TABLE "Device.LocalAgent.Controller."
#define CT "Device.LocalAgent.ControllerTrust."

enum { COL_PARAM, COL_OBJ, COL_INST, COL_CMD, N_COLS };

struct perm_entry {
    uint64_t order;
    struct ub_strv targets;
    char bits[N_COLS][5];
};

struct role_perms {
    struct perm_entry *v;
    size_t n;
};

struct usp_agent_perms {
    struct role_perms *roles;
    size_t n_roles;
    bool banned;
};

void usp_agent_perms_free(struct usp_agent_perms *p)
{
    size_t r, i;

    if (!p)
        return;
    for (r = 0; r < p->n_roles; r++) {
        for (i = 0; i < p->roles[r].n; i++)
            ub_strv_free(&p->roles[r].v[i].targets);
        ub_free(p->roles[r].v);
    }
    ub_free(p->roles);
    ub_free(p);
}

static int split_list(const char *list, struct ub_strv *out)
{
    const char *s = list;
    int err = UB_OK;

    while (s && *s && !err) {
        const char *c = strchr(s, ','), *b = s, *e;

        e = c ? c : s + strlen(s);
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b)
            err = ub_strv_addn(out, b, (size_t)(e - b));
        s = c ? c + 1 : NULL;
    }
    return err;
}

static bool enabled(const struct usp_agent_store *st, const char *obj)
{
    char *v = NULL;
    bool b = false;

    if (agent__get_valuef(st, &v, "%sEnable", obj) || !v)
        return false;
    agent__parse_bool(v, &b);
    ub_free(v);
    return b;
}

static int load_role(const struct usp_agent_store *st, const char *ref,
                     struct usp_agent_perms *p)
{
    char role[UB_PATH_MAX + 1], table[UB_PATH_MAX + 1];
    unsigned *insts = NULL;
    size_t n = 0, i, rl = strlen(ref);
    struct role_perms *rp, *nv;
    int err;

    if (rl && ref[rl - 1] == '.')
        rl--;
    if (rl + 16 >= sizeof(role))
        return UB_OK;
    agent__fmt(role, sizeof(role), "%.*s.", (int)rl, ref);
    if (!enabled(st, role))
        return UB_OK;
    nv = ub_realloc(p->roles, (p->n_roles + 1) * sizeof(*nv));
    if (!nv)
        return UB_ENOMEM;
    p->roles = nv;
    rp = &p->roles[p->n_roles++];
    memset(rp, 0, sizeof(*rp));
    agent__fmt(table, sizeof(table), "%sPermission.", role);
    err = agent__instances(st, table, &insts, &n);
    if (err)
        return err;
    rp->v = ub_calloc(n ? n : 1, sizeof(*rp->v));
    if (!rp->v) {
        ub_free(insts);
        return UB_ENOMEM;
    }
    for (i = 0; i < n && !err; i++) {
        static const char *const cols[N_COLS] = {"Param", "Obj",
                                                 "InstantiatedObj",
                                                 "CommandEvent"};
        struct perm_entry *e = &rp->v[rp->n];
        char inst[UB_PATH_MAX + 1], *v = NULL;
        size_t c;

        agent__fmt(inst, sizeof(inst), "%s%u.", table, insts[i]);
        if (!enabled(st, inst))
            continue;
        ub_strv_init(&e->targets, 0);
        rp->n++;
        err = agent__get_valuef(st, &v, "%sOrder", inst);
        if (!err && v && !agent__parse_u64(v, &e->order))
            e->order = 0;
        ub_free(v);
        v = NULL;
        if (!err)
            err = agent__get_valuef(st, &v, "%sTargets", inst);
        if (!err && v)
            err = split_list(v, &e->targets);
        ub_free(v);
        for (c = 0; c < N_COLS && !err; c++) {
            v = NULL;
            err = agent__get_valuef(st, &v, "%s%s", inst, cols[c]);
            memcpy(e->bits[c], "----", 5);
            if (!err && v && strlen(v) == 4)
                memcpy(e->bits[c], v, 5);
            ub_free(v);
        }
    }
    ub_free(insts);
    return err;
}

static int load_roles(const struct usp_agent_store *st, const char *list,
                      struct usp_agent_perms *p)
{
    struct ub_strv v;
    size_t i;
    int err;

    ub_strv_init(&v, 0);
    err = split_list(list, &v);
    for (i = 0; i < v.n && !err; i++)
        err = load_role(st, v.v[i], p);
    ub_strv_free(&v);
    return err;
}

int usp_agent_perms_load(const struct usp_agent_store *st,
                         const char *endpoint_id,
                         struct usp_agent_perms **out)
{
    struct usp_agent_perms *p;
    unsigned *insts = NULL;
    size_t n = 0, i;
    char *assigned = NULL, *inherited = NULL, *banned = NULL, *untr = NULL;
    int err;

    if (!st || !st->ops || !st->ops->get || !st->ops->iter || !out)
        return UB_EINVAL;
    p = ub_calloc(1, sizeof(*p));
    if (!p)
        return UB_ENOMEM;
    err = agent__instances(st, CTRL_TABLE, &insts, &n);
    for (i = 0; !err && endpoint_id && i < n; i++) {
        char *v = NULL;

        err = agent__get_valuef(st, &v, CTRL_TABLE "%u.EndpointID", insts[i]);
        if (!err && v && strcmp(v, endpoint_id) == 0) {
            err = agent__get_valuef(st, &assigned, CTRL_TABLE
                                    "%u.AssignedRole", insts[i]);
            if (!err)
                err = agent__get_valuef(st, &inherited, CTRL_TABLE
                                        "%u.InheritedRole", insts[i]);
            ub_free(v);
            break;
        }
        ub_free(v);
    }
    if (!err)
        err = agent__get_valuef(st, &banned, CT "BannedRole");
    if (err)
        goto out;
    if (banned && *banned &&
        ((assigned && agent__list_has(assigned, banned)) ||
         (inherited && agent__list_has(inherited, banned)))) {
        p->banned = true;
        goto out;
    }
    if ((!assigned || !*assigned) && (!inherited || !*inherited)) {
        err = agent__get_valuef(st, &untr, CT "UntrustedRole");
        if (!err && untr)
            err = load_roles(st, untr, p);
    } else {
        if (assigned)
            err = load_roles(st, assigned, p);
        if (!err && inherited)
            err = load_roles(st, inherited, p);
    }
out:
    ub_free(insts);
    ub_free(assigned);
    ub_free(inherited);
    ub_free(banned);
    ub_free(untr);
    if (err) {
        usp_agent_perms_free(p);
        return err;
    }
    *out = p;
    return UB_OK;
}

/* ---- Matching ---- */

static bool seg_any(const char *s, size_t n)
{
    return (n == 1 && s[0] == '*') || (n == 3 && strncmp(s, "{i}", 3) == 0);
}

static bool seg_match(const char *t, size_t tn, const char *p, size_t pn)
{
    if (seg_any(t, tn))
        return ub_path_seg_is_instance(p, pn) || seg_any(p, pn);
    return tn == pn && strncmp(t, p, tn) == 0;
}

/* Target t covers path p? */
static bool target_match(const char *t, const char *p)
{
    size_t tl = strlen(t);
    bool partial = tl && t[tl - 1] == '.';

    if (strchr(t, '['))
        return false; /* search expressions: not supported */
    for (;;) {
        const char *td = strchr(t, '.'), *pd = strchr(p, '.');
        size_t tn = td ? (size_t)(td - t) : strlen(t);
        size_t pn = pd ? (size_t)(pd - p) : strlen(p);

        if (partial && tn == 0 && !*t)
            return true; /* every target segment matched */
        if (!seg_match(t, tn, p, pn))
            return false;
        if (!td)
            return !pd && !partial; /* exact path done */
        if (!pd)
            return false; /* target is longer */
        t = td + 1;
        p = pd + 1;
        if (!*t)
            return partial; /* target "X." consumed, path continues */
        if (!*p)
            return false; /* path consumed, target continues */
    }
}

static int column_of(const char *path)
{
    size_t n = strlen(path);

    if (n >= 2 && path[n - 1] == ')' && path[n - 2] == '(')
        return COL_CMD;
    if (n && path[n - 1] == '!')
        return COL_CMD;
    if (n && path[n - 1] == '.') {
        size_t b = n - 1;

        while (b > 0 && path[b - 1] != '.')
            b--;
        if (b > 0 && (ub_path_seg_is_instance(path + b, n - 1 - b) ||
                      seg_any(path + b, n - 1 - b)))
            return COL_INST;
        return COL_OBJ;
    }
    return COL_PARAM;
}

static int char_of(enum usp_agent_op op)
{
    switch (op) {
    case USP_AGENT_OP_READ:
    case USP_AGENT_OP_SUPPORTED:
        return 0;
    case USP_AGENT_OP_WRITE:
    case USP_AGENT_OP_ADD:
    case USP_AGENT_OP_DELETE:
        return 1;
    case USP_AGENT_OP_OPERATE:
        return 2;
    case USP_AGENT_OP_NOTIFY:
        return 3;
    }
    return 0;
}

uint32_t usp_agent_perm_check(const struct usp_agent_perms *perms,
                              const char *path, enum usp_agent_op op)
{
    int col, ch;
    size_t r, i, k;

    if (!perms)
        return 0;
    if (perms->banned || !path)
        return USP_ERR_PERMISSION_DENIED;
    col = column_of(path);
    /* Add needs Obj w on the table; GetSupportedDM reads an object's
     * meta-information (Obj r), also for a table's "{i}." path. */
    if (op == USP_AGENT_OP_ADD ||
        (op == USP_AGENT_OP_SUPPORTED && col == COL_INST))
        col = COL_OBJ;
    ch = char_of(op);
    for (r = 0; r < perms->n_roles; r++) {
        const struct role_perms *rp = &perms->roles[r];
        const struct perm_entry *best = NULL;

        for (i = 0; i < rp->n; i++) {
            const struct perm_entry *e = &rp->v[i];

            if (best && e->order <= best->order)
                continue;
            for (k = 0; k < e->targets.n; k++)
                if (target_match(e->targets.v[k], path)) {
                    best = e;
                    break;
                }
        }
        if (best && best->bits[col][ch] != '-')
            return 0;
    }
    return USP_ERR_PERMISSION_DENIED;
}
