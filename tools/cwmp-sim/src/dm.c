/*
 * cwmp-sim: one device's copy-on-write view of the shared model.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * A thousand simulated devices share one read-only struct sim_model.  What a
 * device changes is stored per device:
 *  - values and notification attributes: an open-addressing hash (linear
 *    probing, backward-shift deletion) keyed by path.  Entries borrow the
 *    path of their node, which lives as long as the node does (entries under
 *    a deleted object are purged before its nodes are freed).
 *  - structure (AddObject/DeleteObject): the first such change copies the
 *    model's sorted pointer index into a private one (8 bytes per node);
 *    added nodes are allocated by the device (SIM_F_OWNED, path and value in
 *    the same block).  Devices that never add or delete keep pointing at the
 *    model's index.
 * Values that depend on the device (serial number, MAC and IP addresses,
 * URLs: ${...} macros in the file) are expanded into the overlay at init.
 */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sim_next_inst {
    char *table;
    unsigned next;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static struct sim_ovl *ovl_get(const struct sim_dm *dm, const char *path,
                               size_t *slot)
{
    uint64_t h;
    size_t mask, i;

    if (!dm->n_slots)
        return NULL;
    h = hash_str(path);
    mask = dm->n_slots - 1;
    for (i = h & mask; dm->slots[i]; i = (i + 1) & mask) {
        if (dm->slots[i]->hash == h && strcmp(dm->slots[i]->path, path) == 0) {
            if (slot)
                *slot = i;
            return dm->slots[i];
        }
    }
    return NULL;
}

static int ovl_grow(struct sim_dm *dm)
{
    size_t n = dm->n_slots ? dm->n_slots * 2 : 64;
    struct sim_ovl **s = ub_calloc(n, sizeof(*s));

    if (!s)
        return UB_ENOMEM;
    for (size_t i = 0; i < dm->n_slots; i++) {
        struct sim_ovl *e = dm->slots[i];
        size_t j;
        if (!e)
            continue;
        for (j = e->hash & (n - 1); s[j]; j = (j + 1) & (n - 1))
            ;
        s[j] = e;
    }
    ub_free(dm->slots);
    dm->slots = s;
    dm->n_slots = n;
    return UB_OK;
}

/* Returns the entry for node nd, creating it. */
static int ovl_put(struct sim_dm *dm, const struct sim_node *nd,
                   struct sim_ovl **out)
{
    struct sim_ovl *e = ovl_get(dm, nd->path, NULL);
    size_t j;

    if (e) {
        *out = e;
        return UB_OK;
    }
    if ((dm->n_used + 1) * 2 > dm->n_slots) {
        int err = ovl_grow(dm);
        if (err)
            return err;
    }
    e = ub_calloc(1, sizeof(*e));
    if (!e)
        return UB_ENOMEM;
    e->path = nd->path;
    e->hash = hash_str(nd->path);
    e->notif = nd->notif;
    for (j = e->hash & (dm->n_slots - 1); dm->slots[j];
         j = (j + 1) & (dm->n_slots - 1))
        ;
    dm->slots[j] = e;
    dm->n_used++;
    *out = e;
    return UB_OK;
}

static void ovl_del_slot(struct sim_dm *dm, size_t i)
{
    size_t mask = dm->n_slots - 1, j = i;
    struct sim_ovl *e = dm->slots[i];

    ub_free(e->value);
    ub_free(e);
    dm->slots[i] = NULL;
    dm->n_used--;
    /* backward-shift deletion keeps probe sequences unbroken */
    for (;;) {
        size_t k;
        j = (j + 1) & mask;
        if (!dm->slots[j])
            break;
        k = dm->slots[j]->hash & mask;
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            dm->slots[i] = dm->slots[j];
            dm->slots[j] = NULL;
            i = j;
        }
    }
}

/* Removes every entry whose path starts with prefix. */
static void ovl_purge(struct sim_dm *dm, const char *prefix)
{
    size_t plen = strlen(prefix);
    bool again = true;

    /* Deleting shifts entries backwards, possibly past the scan position:
     * rescan until a pass deletes nothing (purges are rare and small). */
    while (again) {
        again = false;
        for (size_t i = 0; i < dm->n_slots; i++) {
            if (dm->slots[i] && strncmp(dm->slots[i]->path, prefix, plen) == 0) {
                ovl_del_slot(dm, i);
                again = true;
            }
        }
    }
}

int sim_dm_init(struct sim_dm *dm, const struct sim_model *m,
                const struct sim_macros *mac)
{
    memset(dm, 0, sizeof(*dm));
    dm->m = m;
    dm->index = m->index;
    dm->n = m->n;
    dm->boot_ms = ub_now_ms();
    ub_strv_init(&dm->journal, 100000);
    for (size_t i = 0; i < m->n; i++) {
        const struct sim_node *nd = m->index[i];
        struct sim_ovl *e;
        char *v;
        int err;

        if (!(nd->flags & SIM_F_MACRO))
            continue;
        v = sim_macro_expand(nd->value, mac);
        if (!v)
            goto nomem;
        err = ovl_put(dm, nd, &e);
        if (err) {
            ub_free(v);
            goto nomem;
        }
        e->value = v;
        e->has_value = true;
    }
    return UB_OK;
nomem:
    sim_dm_free(dm);
    return UB_ENOMEM;
}

void sim_dm_free(struct sim_dm *dm)
{
    if (!dm->m)
        return;
    for (size_t i = 0; i < dm->n_slots; i++) {
        if (dm->slots[i]) {
            ub_free(dm->slots[i]->value);
            ub_free(dm->slots[i]);
        }
    }
    ub_free(dm->slots);
    if (dm->own_index) {
        for (size_t i = 0; i < dm->n; i++)
            if (dm->index[i]->flags & SIM_F_OWNED)
                ub_free((void *)dm->index[i]);
        ub_free(dm->index);
    }
    for (size_t i = 0; i < dm->n_next; i++)
        ub_free(dm->next[i].table);
    ub_free(dm->next);
    ub_strv_free(&dm->journal);
    memset(dm, 0, sizeof(*dm));
}

size_t sim_dm_lower(const struct sim_dm *dm, const char *path)
{
    size_t lo = 0, hi = dm->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sim_path_cmp(dm->index[mid]->path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct sim_node *sim_dm_find(const struct sim_dm *dm, const char *path,
                                   size_t *pos)
{
    size_t i = sim_dm_lower(dm, path);

    if (i < dm->n && strcmp(dm->index[i]->path, path) == 0) {
        if (pos)
            *pos = i;
        return dm->index[i];
    }
    return NULL;
}

size_t sim_dm_count(const struct sim_dm *dm, const char *table)
{
    size_t plen = strlen(table), n = 0;

    for (size_t i = sim_dm_lower(dm, table); i < dm->n; i++) {
        const char *p = dm->index[i]->path;
        const char *dot;
        if (strncmp(p, table, plen) != 0)
            break;
        if (!(dm->index[i]->flags & SIM_F_INSTANCE))
            continue;
        dot = strchr(p + plen, '.');
        if (dot && dot[1] == 0)
            n++;
    }
    return n;
}

const char *sim_dm_value(const struct sim_dm *dm, const struct sim_node *nd,
                         char *tmp, size_t tmpsz)
{
    const struct sim_ovl *e = dm->n_used ? ovl_get(dm, nd->path, NULL) : NULL;

    if (e && e->has_value)
        return e->value;
    if (nd->flags & SIM_F_COUNT) {
        char table[UB_PATH_MAX];
        size_t n = strlen(nd->path) - strlen("NumberOfEntries");
        if (n + 2 <= sizeof(table)) {
            memcpy(table, nd->path, n);
            table[n] = '.';
            table[n + 1] = 0;
            const struct sim_node *t = sim_dm_find(dm, table, NULL);
            if (t && (t->flags & SIM_F_TABLE)) {
                snprintf(tmp, tmpsz, "%zu", sim_dm_count(dm, table));
                return tmp;
            }
        }
    }
    if (nd->flags & SIM_F_UPTIME) {
        snprintf(tmp, tmpsz, "%llu",
                 (unsigned long long)((ub_now_ms() - dm->boot_ms) / 1000));
        return tmp;
    }
    if (nd->flags & SIM_F_NOW)
        return ub_time_iso8601(ub_wall_s(), tmp, tmpsz);
    return nd->value;
}

int sim_dm_set(struct sim_dm *dm, const struct sim_node *nd,
               const char *value, bool persist, bool changed)
{
    struct sim_ovl *e;
    char *v = ub_strdup(value ? value : "");
    int err;

    if (!v)
        return UB_ENOMEM;
    err = ovl_put(dm, nd, &e);
    if (err) {
        ub_free(v);
        return err;
    }
    ub_free(e->value);
    e->value = v;
    e->has_value = true;
    e->persist |= persist;
    if (changed) {
        e->changed = true;
        e->reported = false;
    }
    return UB_OK;
}

uint8_t sim_dm_notif(const struct sim_dm *dm, const struct sim_node *nd)
{
    const struct sim_ovl *e = dm->n_used ? ovl_get(dm, nd->path, NULL) : NULL;
    return e && e->has_notif ? e->notif : nd->notif;
}

int sim_dm_set_notif(struct sim_dm *dm, const struct sim_node *nd,
                     uint8_t notif)
{
    struct sim_ovl *e;
    int err = ovl_put(dm, nd, &e);

    if (err)
        return err;
    e->notif = notif;
    e->has_notif = true;
    return UB_OK;
}

int sim_dm_overlay_walk(struct sim_dm *dm, sim_dm_ovl_cb cb, void *user)
{
    for (size_t i = 0; i < dm->n_slots; i++) {
        struct sim_ovl *e = dm->slots[i];
        const struct sim_node *nd;
        int rc;

        if (!e)
            continue;
        nd = sim_dm_find(dm, e->path, NULL);
        if (!nd)
            continue;
        rc = cb(user, nd, e);
        if (rc)
            return rc;
    }
    return UB_OK;
}

/* Copies the shared index before the first structural change. */
static int own_index(struct sim_dm *dm, size_t extra)
{
    const struct sim_node **ix;
    size_t cap;

    if (dm->own_index && dm->n + extra <= dm->cap)
        return UB_OK;
    cap = (dm->n + extra) + (dm->n + extra) / 4 + 16;
    ix = ub_malloc(cap * sizeof(*ix));
    if (!ix)
        return UB_ENOMEM;
    memcpy(ix, dm->index, dm->n * sizeof(*ix));
    if (dm->own_index)
        ub_free(dm->index);
    dm->index = ix;
    dm->cap = cap;
    dm->own_index = true;
    return UB_OK;
}

/* "Device.IP.Interface.3.IPv4Address." -> "Device.IP.Interface.{i}.IPv4Address." */
static char *to_schema(const char *p)
{
    char *s = ub_path_to_schema(p);
    return s;
}

static struct sim_next_inst *next_slot(struct sim_dm *dm, const char *table)
{
    struct sim_next_inst *n;

    for (size_t i = 0; i < dm->n_next; i++)
        if (strcmp(dm->next[i].table, table) == 0)
            return &dm->next[i];
    n = ub_realloc(dm->next, (dm->n_next + 1) * sizeof(*n));
    if (!n)
        return NULL;
    dm->next = n;
    n = &dm->next[dm->n_next];
    n->table = ub_strdup(table);
    if (!n->table)
        return NULL;
    n->next = 0;
    dm->n_next++;
    return n;
}

static unsigned max_instance(const struct sim_dm *dm, const char *table)
{
    size_t plen = strlen(table);
    unsigned long max = 0;

    for (size_t i = sim_dm_lower(dm, table); i < dm->n; i++) {
        const char *p = dm->index[i]->path;
        if (strncmp(p, table, plen) != 0)
            break;
        if (dm->index[i]->flags & SIM_F_INSTANCE) {
            const char *dot = strchr(p + plen, '.');
            if (dot && dot[1] == 0) {
                unsigned long v = strtoul(p + plen, NULL, 10);
                if (v > max)
                    max = v;
            }
        }
    }
    return (unsigned)max;
}

int sim_dm_add(struct sim_dm *dm, const char *table, unsigned inst,
               const struct sim_macros *mac, unsigned *out)
{
    const struct sim_node *t = sim_dm_find(dm, table, NULL);
    const struct sim_model *m = dm->m;
    struct sim_next_inst *ni;
    struct sim_node **added = NULL;
    char *schema = NULL, *tprefix = NULL, prefix[UB_PATH_MAX], *j = NULL;
    size_t first, last, n_add = 0, tplen, pos;
    unsigned num;
    int err = UB_ENOTFOUND;

    if (!t || !(t->flags & SIM_F_TABLE))
        return UB_ENOTFOUND;
    schema = to_schema(table);
    if (!schema)
        return UB_ENOMEM;
    tprefix = ub_asprintf("%s{i}.", schema);
    if (!tprefix) {
        err = UB_ENOMEM;
        goto out;
    }
    /* Exit if the table has no template to instantiate. */
    if (!sim_model_tmpl_find(m, tprefix))
        goto out;
    err = UB_ENOMEM;
    ni = next_slot(dm, table);
    if (!ni)
        goto out;
    num = inst;
    if (num == 0) {
        unsigned mx = max_instance(dm, table);
        num = ni->next > mx ? ni->next : mx + 1;
    }
    if (num == 0 || (size_t)snprintf(prefix, sizeof(prefix), "%s%u.", table,
                                     num) >= sizeof(prefix)) {
        err = UB_EINVAL;
        goto out;
    }
    if (sim_dm_find(dm, prefix, NULL)) {
        err = UB_EEXIST;
        goto out;
    }
    /* the template run: every template path under tprefix */
    tplen = strlen(tprefix);
    first = 0;
    while (first < m->n_tmpl && sim_path_cmp(m->tmpl[first].path, tprefix) < 0)
        first++;
    for (last = first; last < m->n_tmpl &&
                       strncmp(m->tmpl[last].path, tprefix, tplen) == 0;
         last++)
        ;
    added = ub_calloc(last - first, sizeof(*added));
    if (!added)
        goto out;
    for (size_t i = first; i < last; i++) {
        const struct sim_node *tn = &m->tmpl[i];
        const char *rel = tn->path + tplen;
        char *val = NULL;
        const char *v = tn->value;
        size_t pl, vl;
        struct sim_node *nn;

        /* nested tables stay templates of their own */
        if (strstr(rel, "{i}"))
            continue;
        if (tn->flags & SIM_F_MACRO) {
            val = sim_macro_expand(tn->value, mac);
            if (!val)
                goto out;
            v = val;
        }
        pl = strlen(prefix) + strlen(rel);
        vl = strlen(v);
        if (pl >= UB_PATH_MAX) {
            ub_free(val);
            err = UB_EINVAL;
            goto out;
        }
        nn = ub_malloc(sizeof(*nn) + pl + 1 + vl + 1);
        if (!nn) {
            ub_free(val);
            goto out;
        }
        *nn = *tn;
        nn->flags = (tn->flags | SIM_F_OWNED) & ~SIM_F_MACRO;
        if (*rel == 0)
            nn->flags |= SIM_F_INSTANCE;
        nn->path = (char *)(nn + 1);
        snprintf((char *)nn->path, pl + 1, "%s%s", prefix, rel);
        nn->value = nn->path + pl + 1;
        memcpy((char *)nn->value, v, vl + 1);
        ub_free(val);
        added[n_add++] = nn;
    }
    j = ub_asprintf("add\t%s\t%u", table, num);
    if (!j || own_index(dm, n_add))
        goto out;
    err = ub_strv_add(&dm->journal, j);
    if (err)
        goto out;
    /* the new nodes are sorted among themselves and share a prefix no
     * existing node has: insert them as one block */
    pos = sim_dm_lower(dm, prefix);
    memmove(&dm->index[pos + n_add], &dm->index[pos],
            (dm->n - pos) * sizeof(*dm->index));
    for (size_t i = 0; i < n_add; i++)
        dm->index[pos + i] = added[i];
    dm->n += n_add;
    n_add = 0;
    if (num + 1 > ni->next)
        ni->next = num + 1;
    *out = num;
    err = UB_OK;
out:
    for (size_t i = 0; i < n_add; i++)
        ub_free(added[i]);
    ub_free(added);
    ub_free(j);
    ub_free(tprefix);
    ub_free(schema);
    return err;
}

int sim_dm_del(struct sim_dm *dm, const char *obj)
{
    size_t pos, end, plen = strlen(obj);
    const struct sim_node *nd = sim_dm_find(dm, obj, &pos);
    char *j;
    int err;

    if (!nd || !(nd->flags & SIM_F_INSTANCE))
        return UB_ENOTFOUND;
    j = ub_asprintf("del\t%s", obj);
    if (!j)
        return UB_ENOMEM;
    err = ub_strv_add(&dm->journal, j);
    ub_free(j);
    if (err)
        return err;
    err = own_index(dm, 0);
    if (err)
        return err;
    for (end = pos; end < dm->n && strncmp(dm->index[end]->path, obj, plen) == 0;
         end++)
        ;
    ovl_purge(dm, obj);
    for (size_t i = pos; i < end; i++)
        if (dm->index[i]->flags & SIM_F_OWNED)
            ub_free((void *)dm->index[i]);
    memmove(&dm->index[pos], &dm->index[end],
            (dm->n - end) * sizeof(*dm->index));
    dm->n -= end - pos;
    return UB_OK;
}
