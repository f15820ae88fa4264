/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: the tree a bridged agent shows its controllers: the device's
 * cached tree (proxy-db PDB_PARAMS) with the bridge-hosted
 * Device.LocalAgent. (PDB_AGENT) grafted in.  Paths under
 * "Device.LocalAgent." are served by the agent space only (a device's own
 * rows there, if any, are hidden); "Device." itself exists if either space
 * has it (a TR-098 device has only the hosted part under Device.).  The
 * grafted subtree is emitted after the device's own children of Device.:
 * order between siblings is bytewise elsewhere, and Get results do not
 * depend on it.
 */
#include "bridge.h"

#include <string.h>

#define LA "Device.LocalAgent."
#define LA_LEN (sizeof(LA) - 1)

static bool under_la(const char *path)
{
    return strncmp(path, LA, LA_LEN) == 0;
}

/* Filters the device space's callbacks: hides its Device.LocalAgent. rows. */
struct filt {
    ub_node_cb cb;
    void *user;
};

static int filt_cb(void *user, const struct ub_node *n)
{
    struct filt *f = user;
    if (under_la(n->path))
        return 0;
    return f->cb(f->user, n);
}

static int c_lookup(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct agent_tree *t = ctx;
    int err;

    if (under_la(path))
        return t->agent.ops->lookup(t->agent.ctx, path, cb, user);
    err = t->dev.ops->lookup(t->dev.ctx, path, cb, user);
    if (err == UB_ENOTFOUND && strcmp(path, "Device.") == 0)
        err = t->agent.ops->lookup(t->agent.ctx, path, cb, user);
    return err;
}

struct once {
    ub_node_cb cb;
    void *user;
    bool la_seen;
};

static int note_la(void *user, const struct ub_node *n)
{
    struct once *o = user;
    if (strcmp(n->path, LA) == 0)
        o->la_seen = true;
    return 0;
}

static int c_children(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct agent_tree *t = ctx;
    struct filt f = {cb, user};
    int err, err2;

    if (under_la(path))
        return t->agent.ops->children(t->agent.ctx, path, cb, user);
    err = t->dev.ops->children(t->dev.ctx, path, filt_cb, &f);
    if (err && err != UB_ENOTFOUND)
        return err;
    if (strcmp(path, "Device.") != 0)
        return err;
    /* graft Device.LocalAgent. */
    {
        struct once o = {cb, user, false};
        err2 = t->agent.ops->children(t->agent.ctx, "Device.", note_la, &o);
        if (err2 && err2 != UB_ENOTFOUND)
            return err2;
        if (o.la_seen)
            return t->agent.ops->lookup(t->agent.ctx, LA, cb, user);
    }
    return err;
}

static int c_subtree(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    struct agent_tree *t = ctx;
    struct filt f = {cb, user};
    int err, err2;

    if (under_la(path))
        return t->agent.ops->subtree(t->agent.ctx, path, cb, user);
    err = t->dev.ops->subtree(t->dev.ctx, path, filt_cb, &f);
    if (err && err != UB_ENOTFOUND)
        return err;
    if (strcmp(path, "Device.") != 0)
        return err;
    if (err == UB_ENOTFOUND) {
        /* TR-098 device: Device. exists only through the graft */
        err2 = t->agent.ops->lookup(t->agent.ctx, "Device.", cb, user);
        if (err2 == UB_ENOTFOUND) {
            struct ub_node n = {.path = "Device.", .type = UB_T_OBJECT};
            err2 = cb(user, &n);
        }
        if (err2)
            return err2;
    }
    err2 = t->agent.ops->subtree(t->agent.ctx, LA, cb, user);
    if (err2 == UB_ENOTFOUND)
        return err;
    return err2;
}

static const struct ub_tree_ops combined_ops = {
    .lookup = c_lookup,
    .children = c_children,
    .subtree = c_subtree,
};

int agent_tree_open(struct agent_tree *t, struct bridge *b,
                    struct pdb_rtxn *r, uint32_t dev)
{
    int err;

    memset(t, 0, sizeof(*t));
    err = pdb_tree_create(r, PDB_PARAMS, dev, &t->dev);
    if (err)
        return err;
    /* the hosted part through usp/'s view: computed UpTime, no _Meta. */
    hosted_store_ro(&t->hs, r, dev);
    t->view.st = t->hs.st;
    t->view.up_since_ms = b->started_ms;
    usp_agent_tree(&t->view, &t->agent);
    t->tree.ops = &combined_ops;
    t->tree.ctx = t;
    return UB_OK;
}

void agent_tree_close(struct agent_tree *t)
{
    pdb_tree_destroy(&t->dev);
    memset(t, 0, sizeof(*t));
}
