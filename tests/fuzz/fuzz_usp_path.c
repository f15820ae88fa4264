/*
 * libFuzzer target: USP path parse + resolve over a small tree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * The input is the path text.  The tree holds tables, instances, aliases,
 * list and key references and a self-reference, so searches, reference
 * following and its recursion bound are all reachable.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ub/usp.h>

#define O UB_T_OBJECT
static const struct ub_node nodes[] = {
    {"Device.", O, false, NULL},
    {"Device.IP.", O, false, NULL},
    {"Device.IP.Interface.", O, true, NULL},
    {"Device.IP.Interface.1.", O, false, NULL},
    {"Device.IP.Interface.1.Alias", UB_T_STRING, true, "wan"},
    {"Device.IP.Interface.1.Enable", UB_T_BOOL, true, "true"},
    {"Device.IP.Interface.1.Name", UB_T_STRING, false, "eth0"},
    {"Device.IP.Interface.1.LowerLayers", UB_T_STRING, false,
     "Device.IP.Interface.2, Device.IP.Interface.[Name==\"eth0\"]"},
    {"Device.IP.Interface.1.Stats.", O, false, NULL},
    {"Device.IP.Interface.1.Stats.BytesSent", UB_T_ULONG, false, "5000"},
    {"Device.IP.Interface.2.", O, false, NULL},
    {"Device.IP.Interface.2.Alias", UB_T_STRING, true, "lan"},
    {"Device.IP.Interface.2.Enable", UB_T_NONE, true, "0"},
    {"Device.IP.Interface.2.Name", UB_T_NONE, false, "br0"},
    {"Device.IP.Interface.2.LowerLayers", UB_T_STRING, false,
     "Device.IP.Interface.2.LowerLayers#*+."},
    {"Device.IP.Interface.2.Stats.", O, false, NULL},
    {"Device.IP.Interface.2.Stats.BytesSent", UB_T_NONE, false, "-7.5e3"},
    {"Device.NAT.", O, false, NULL},
    {"Device.NAT.PortMapping.", O, true, NULL},
    {"Device.NAT.PortMapping.1.", O, false, NULL},
    {"Device.NAT.PortMapping.1.Interface", UB_T_STRING, true,
     "Device.IP.Interface.1"},
};

static int f_lookup(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++)
        if (!strcmp(nodes[i].path, path))
            return cb(user, &nodes[i]);
    return UB_ENOTFOUND;
}

static int f_children(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    size_t n = strlen(path);
    (void)ctx;
    for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++) {
        const char *p = nodes[i].path, *dot;
        if (strncmp(p, path, n) || !p[n])
            continue;
        dot = strchr(p + n, '.');
        if (!dot || !dot[1]) {
            int rc = cb(user, &nodes[i]);
            if (rc)
                return rc;
        }
    }
    return UB_OK;
}

static int f_subtree(void *ctx, const char *path, ub_node_cb cb, void *user)
{
    (void)ctx, (void)path, (void)cb, (void)user;
    return UB_OK;
}

static const struct ub_tree_ops ops = {f_lookup, f_children, f_subtree};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[UB_PATH_MAX + 64];
    struct ub_tree tree = {&ops, NULL};
    struct usp_path *p = NULL;
    struct usp_resolved r;
    struct usp_resolve_opts o = {.max_results = 1000};

    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (usp_path_parse(text, &p, NULL) != UB_OK)
        return 0;
    (void)usp_path_get_kind(p);
    if (usp_path_resolve(p, &tree, &o, &r) == UB_OK)
        (void)usp_resolve_nomatch_err(USP_MSG_GET, &r);
    usp_resolved_free(&r);
    usp_path_free(p);
    return 0;
}
