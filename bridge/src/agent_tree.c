/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * The tree a controller sees for one bridged agent: the device's cached
 * tree (proxy-db PDB_PARAMS) with the hosted Device.LocalAgent. (PDB_AGENT,
 * read through usp/'s view: computed UpTime, no bookkeeping rows) grafted in
 * by usp_agent_tree_overlay().  Everything reads through one proxy-db read
 * transaction; the tree is valid until agent_tree_close or the end of it.
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
