/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * The tree a controller sees for one bridged agent: the device's cached
 * tree (proxy-db PDB_PARAMS) with the hosted Device.LocalAgent. (PDB_AGENT,
 * read through usp/'s view: computed UpTime, no bookkeeping rows) grafted in
 * by usp_agent_tree_overlay().  Everything reads through one proxy-db read
 * transaction; the tree is valid until agent_tree_close or the end of it.
 * bridge_resolve() parses and resolves a requested path over such a tree.
 */
#include "bridge.h"

#include <string.h>

int agent_tree_open(struct agent_tree *t, struct bridge *b,
                    struct pdb_rtxn *r, uint32_t dev)
{
    int err;

    memset(t, 0, sizeof(*t));
    err = pdb_tree_create(r, PDB_PARAMS, dev, &t->dev);
    if (err)
        return err;
    hosted_store_ro(&t->hs, r, dev);
    t->view.st = t->hs.st;
    t->view.up_since_ms = b->started_ms;
    t->ov.hosted = &t->view;
    t->ov.device = &t->dev;
    usp_agent_tree_overlay(&t->ov, &t->tree);
    return UB_OK;
}

void agent_tree_close(struct agent_tree *t)
{
    pdb_tree_destroy(&t->dev);
    memset(t, 0, sizeof(*t));
}

int bridge_resolve(const struct ub_tree *tree, const char *text,
                   enum usp_msg_type type, struct usp_resolved *rs,
                   uint32_t *uerr, const char **umsg)
{
    struct usp_path *p = NULL;
    struct usp_path_err perr;
    int err;

    *uerr = 0;
    *umsg = NULL;
    memset(rs, 0, sizeof(*rs));
    err = usp_path_parse(text, &p, &perr);
    if (err == UB_EPROTO) {
        *uerr = USP_ERR_INVALID_PATH_SYNTAX;
        *umsg = "invalid path syntax";
        return UB_OK;
    }
    if (err)
        return err;
    err = usp_path_resolve(p, tree, NULL, rs);
    if (!err && rs->paths.n == 0) {
        *uerr = usp_resolve_nomatch_err(type, rs);
        *umsg = *uerr ? "no such object" : NULL;
    }
    usp_path_free(p);
    return err;
}
