/*
 * cwmp-sim: one simulated CPE without I/O: events, Inform, transfers,
 * reboot / factory reset, local changes and the state file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Events follow TR-069 3.7.1.5: single events ("0 BOOTSTRAP", "1 BOOT",
 * "2 PERIODIC", "4 VALUE CHANGE", "6 CONNECTION REQUEST", ...) are kept once,
 * "M <Method>" events once per CommandKey.  Events go into the Inform of the
 * next session (marked 'sent'); the InformResponse clears them, except
 * "7 TRANSFER COMPLETE" and "M Download"/"M Upload", which stay until the
 * ACS answered the TransferComplete.  A failed session leaves everything
 * pending, as a real CPE retries.
 *
 * The state file (--state-dir) is a replay log against the model: the
 * structural journal of the dm ("add"/"del"), then the values and
 * attributes the ACS or the control channel set, then the flags and pending
 * events.  It is rewritten whole (temp file + rename) when dirty.
 */
#include "sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_single(const char *code) { return strncmp(code, "M ", 2) != 0; }

bool sim_cpe_has_event(const struct sim_cpe *c, const char *code)
{
    for (size_t i = 0; i < c->n_ev; i++)
        if (strcmp(c->ev[i].code, code) == 0)
            return true;
    return false;
}

static void ev_remove(struct sim_cpe *c, size_t i)
{
    memmove(&c->ev[i], &c->ev[i + 1], (c->n_ev - i - 1) * sizeof(c->ev[0]));
    c->n_ev--;
}

void sim_cpe_event(struct sim_cpe *c, const char *code, const char *key)
{
    struct sim_event *e;

    if (!key)
        key = "";
    for (size_t i = 0; i < c->n_ev; i++) {
        if (strcmp(c->ev[i].code, code) != 0)
            continue;
        if (is_single(code) || strcmp(c->ev[i].key, key) == 0)
            return;
    }
    if (c->n_ev == SIM_MAX_EVENTS) {
        /* Full: drop the oldest event that is not a boot event. */
        size_t i;
        for (i = 0; i < c->n_ev; i++)
            if (strcmp(c->ev[i].code, "0 BOOTSTRAP") != 0 &&
                strcmp(c->ev[i].code, "1 BOOT") != 0)
                break;
        ev_remove(c, i < c->n_ev ? i : 0);
    }
    e = &c->ev[c->n_ev++];
    memset(e, 0, sizeof(*e));
    sim_strlcpy(e->code, code, sizeof(e->code));
    sim_strlcpy(e->key, key, sizeof(e->key));
    c->dirty = true;
}

static void macros_free(struct sim_macros *m)
{
    ub_free((char *)m->serial);
    ub_free((char *)m->oui);
    ub_free((char *)m->product_class);
    ub_free((char *)m->manufacturer);
    ub_free((char *)m->acs_url);
    ub_free((char *)m->acs_user);
    ub_free((char *)m->acs_pass);
    ub_free((char *)m->cr_url);
    ub_free((char *)m->cr_user);
    ub_free((char *)m->cr_pass);
    memset(m, 0, sizeof(*m));
}

static int macros_copy(struct sim_macros *d, const struct sim_macros *s)
{
#define CP(f)                                                                  \
    do {                                                                       \
        d->f = ub_strdup(s->f ? s->f : "");                                    \
        if (!d->f)                                                             \
            goto nomem;                                                        \
    } while (0)
    memset(d, 0, sizeof(*d));
    CP(serial);
    CP(oui);
    CP(product_class);
    CP(manufacturer);
    CP(acs_url);
    CP(acs_user);
    CP(acs_pass);
    CP(cr_url);
    CP(cr_user);
    CP(cr_pass);
    d->periodic = s->periodic;
    d->idx = s->idx;
    return UB_OK;
nomem:
    macros_free(d);
    return UB_ENOMEM;
#undef CP
}

/* ---- state file ---- */

static char *state_path(const struct sim_cpe *c, const char *suffix)
{
    return ub_asprintf("%s/%s.state%s", c->cfg->state_dir, c->mac.serial,
                       suffix);
}

static int write_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        int r;
        if (*s == '\\')
            r = fputs("\\\\", f);
        else if (*s == '\t')
            r = fputs("\\t", f);
        else if (*s == '\n')
            r = fputs("\\n", f);
        else
            r = fputc(*s, f);
        if (r == EOF)
            return UB_EIO;
    }
    return UB_OK;
}

static int save_ovl(void *user, const struct sim_node *nd, struct sim_ovl *e)
{
    FILE *f = user;

    if (e->has_value && e->persist) {
        fprintf(f, "set\t%s\t", nd->path);
        if (write_escaped(f, e->value) || fputc('\n', f) == EOF)
            return UB_EIO;
    }
    if (e->has_notif && e->notif != nd->notif)
        fprintf(f, "notif\t%s\t%u\n", nd->path, e->notif);
    return UB_OK;
}

int sim_cpe_save(struct sim_cpe *c)
{
    char *tmp = NULL, *dst = NULL;
    FILE *f = NULL;
    int err = UB_ENOMEM;

    if (!c->cfg->state_dir || !c->dirty)
        return UB_OK;
    tmp = state_path(c, ".tmp");
    dst = state_path(c, "");
    if (!tmp || !dst)
        goto out;
    err = UB_EIO;
    f = fopen(tmp, "w");
    if (!f)
        goto out;
    fprintf(f, "cwmp-sim-state\t1\nbootstrapped\t%d\nboot_count\t%u\n",
            c->bootstrapped ? 1 : 0, c->boot_count);
    fprintf(f, "acs_url\t");
    {
        char url[1024];
        sim_cpe_ms_get(c, "URL", url, sizeof(url));
        write_escaped(f, url);
    }
    fputc('\n', f);
    for (size_t i = 0; i < c->dm.journal.n; i++)
        fprintf(f, "%s\n", c->dm.journal.v[i]);
    if (sim_dm_overlay_walk(&c->dm, save_ovl, f))
        goto out;
    for (size_t i = 0; i < c->n_ev; i++)
        fprintf(f, "event\t%s\t%s\n", c->ev[i].code, c->ev[i].key);
    if (fflush(f) != 0 || ferror(f))
        goto out;
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    if (rename(tmp, dst) != 0)
        goto out;
    c->dirty = false;
    err = UB_OK;
out:
    if (f)
        fclose(f);
    if (err && tmp)
        unlink(tmp);
    ub_free(tmp);
    ub_free(dst);
    return err;
}

/* Splits "a\tb\tc" in place into at most n fields. */
static size_t split_tabs(char *s, char **f, size_t n)
{
    size_t k = 0;

    f[k++] = s;
    for (; *s && k < n; s++) {
        if (*s == '\t') {
            *s = 0;
            f[k++] = s + 1;
        }
    }
    return k;
}

static void unescape(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        } else {
            *w++ = *s;
        }
    }
    *w = 0;
}

/* Replays the state file; UB_ENOTFOUND when there is none. */
static int load_state(struct sim_cpe *c, char *old_url, size_t old_url_sz)
{
    char *path = state_path(c, "");
    char line[8192];
    FILE *f;
    int err = UB_OK;

    if (!path)
        return UB_ENOMEM;
    f = fopen(path, "r");
    ub_free(path);
    if (!f)
        return UB_ENOTFOUND;
    while (fgets(line, sizeof(line), f)) {
        char *fl[3] = {0};
        size_t n, len = strlen(line);
        const struct sim_node *nd;

        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        n = split_tabs(line, fl, 3);
        if (n >= 2 && strcmp(fl[0], "bootstrapped") == 0) {
            c->bootstrapped = atoi(fl[1]) != 0;
        } else if (n >= 2 && strcmp(fl[0], "boot_count") == 0) {
            c->boot_count = (unsigned)strtoul(fl[1], NULL, 10);
        } else if (n >= 2 && strcmp(fl[0], "acs_url") == 0) {
            unescape(fl[1]);
            sim_strlcpy(old_url, fl[1], old_url_sz);
        } else if (n == 3 && strcmp(fl[0], "add") == 0) {
            unsigned got;
            err = sim_dm_add(&c->dm, fl[1], (unsigned)strtoul(fl[2], NULL, 10),
                             &c->mac, &got);
            if (err == UB_EEXIST || err == UB_ENOTFOUND)
                err = UB_OK; /* model changed since: skip */
        } else if (n >= 2 && strcmp(fl[0], "del") == 0) {
            err = sim_dm_del(&c->dm, fl[1]);
            if (err == UB_ENOTFOUND)
                err = UB_OK;
        } else if (n == 3 && strcmp(fl[0], "set") == 0) {
            unescape(fl[2]);
            nd = sim_dm_find(&c->dm, fl[1], NULL);
            if (nd && !(nd->flags & SIM_F_OBJECT))
                err = sim_dm_set(&c->dm, nd, fl[2], true, false);
        } else if (n == 3 && strcmp(fl[0], "notif") == 0) {
            nd = sim_dm_find(&c->dm, fl[1], NULL);
            if (nd)
                err = sim_dm_set_notif(&c->dm, nd,
                                       (uint8_t)strtoul(fl[2], NULL, 10));
        } else if (n >= 2 && strcmp(fl[0], "event") == 0) {
            sim_cpe_event(c, fl[1], n == 3 ? fl[2] : "");
        }
        if (err)
            break;
    }
    fclose(f);
    return err;
}

int sim_cpe_init(struct sim_cpe *c, const struct sim_cpe_config *cfg,
                 const struct sim_macros *mac, const char *first_event)
{
    char old_url[1024] = "";
    int err;

    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    err = macros_copy(&c->mac, mac);
    if (err)
        return err;
    err = sim_dm_init(&c->dm, cfg->model, &c->mac);
    if (err)
        goto fail;
    c->boot_count = 1;
    if (cfg->state_dir) {
        err = load_state(c, old_url, sizeof(old_url));
        if (err == UB_ENOTFOUND)
            err = UB_OK;
        else if (!err) {
            /* the command line's ACS wins; a different one is an ACS
             * change, which calls for a new bootstrap */
            const struct sim_node *nd;
            char *p = ub_asprintf("%sManagementServer.URL", cfg->model->root);
            if (!p) {
                err = UB_ENOMEM;
                goto fail;
            }
            nd = sim_dm_find(&c->dm, p, NULL);
            ub_free(p);
            if (nd && old_url[0] && strcmp(old_url, mac->acs_url) != 0)
                c->bootstrapped = false;
            if (nd)
                err = sim_dm_set(&c->dm, nd, mac->acs_url, false, false);
            c->boot_count++;
        }
        if (err)
            goto fail;
    }
    if (first_event) {
        sim_cpe_event(c, first_event, NULL);
    } else if (c->cfg->quirks & SIM_Q_PERIODIC_FIRST) {
        sim_cpe_event(c, "2 PERIODIC", NULL);
    } else if (!c->bootstrapped) {
        sim_cpe_event(c, "0 BOOTSTRAP", NULL);
        sim_cpe_event(c, "1 BOOT", NULL);
    } else {
        sim_cpe_event(c, "1 BOOT", NULL);
    }
    c->dirty = true;
    return UB_OK;
fail:
    sim_dm_free(&c->dm);
    macros_free(&c->mac);
    return err;
}

void sim_cpe_free(struct sim_cpe *c)
{
    sim_dm_free(&c->dm);
    macros_free(&c->mac);
}

/* ---- ManagementServer ---- */

void sim_cpe_ms_get(const struct sim_cpe *c, const char *name, char *out,
                    size_t outsz)
{
    char path[256], tmp[64];
    const struct sim_node *nd;

    snprintf(path, sizeof(path), "%sManagementServer.%s",
             c->cfg->model->root, name);
    nd = sim_dm_find(&c->dm, path, NULL);
    sim_strlcpy(out, nd ? sim_dm_value(&c->dm, nd, tmp, sizeof(tmp)) : "",
                outsz);
}

unsigned sim_cpe_periodic_interval(const struct sim_cpe *c)
{
    char v[32];
    unsigned long n;

    sim_cpe_ms_get(c, "PeriodicInformEnable", v, sizeof(v));
    if (strcmp(v, "true") != 0 && strcmp(v, "1") != 0)
        return 0;
    sim_cpe_ms_get(c, "PeriodicInformInterval", v, sizeof(v));
    n = strtoul(v, NULL, 10);
    return n > 0 && n < 0xffffffffUL ? (unsigned)n : 0;
}

/* ---- Inform ---- */

struct inform_ctx {
    struct sim_cpe *c;
    struct ub_param_list *pl;
    int err;
    bool any;
};

static int add_param(struct sim_cpe *c, struct ub_param_list *pl,
                     const struct sim_node *nd)
{
    char tmp[64];
    const char *v = sim_dm_value(&c->dm, nd, tmp, sizeof(tmp));
    return ub_param_list_add(pl, nd->path, (nd->flags & SIM_F_SECRET) ? "" : v,
                             (enum ub_type)nd->type);
}

static int inform_changed(void *user, const struct sim_node *nd,
                          struct sim_ovl *e)
{
    struct inform_ctx *x = user;
    int err;

    if (!e->changed || !e->has_value || (e->has_notif ? e->notif : nd->notif) == 0)
        return 0;
    e->reported = true;
    x->any = true;
    if (nd->flags & SIM_F_FORCED)
        return 0; /* already in the list */
    err = add_param(x->c, x->pl, nd);
    return err;
}

int sim_cpe_inform(struct sim_cpe *c, unsigned retry_count,
                   struct cwmp_msg **out)
{
    struct cwmp_msg *m = cwmp_msg_new(CWMP_M_INFORM, CWMP_REQUEST);
    struct cwmp_inform *in;
    struct inform_ctx x;
    char now[32];
    int err = UB_ENOMEM;

    if (!m)
        return UB_ENOMEM;
    in = &m->inform;
    m->version = c->cfg->version;
    m->id = ub_asprintf("%s-%u", c->mac.serial, ++c->id_seq);
    in->device_id.manufacturer = ub_strdup(c->mac.manufacturer);
    in->device_id.oui = ub_strdup(c->mac.oui);
    in->device_id.product_class = ub_strdup(c->mac.product_class);
    in->device_id.serial_number = ub_strdup(c->mac.serial);
    in->current_time = ub_strdup(ub_time_iso8601(ub_wall_s(), now, sizeof(now)));
    if (!m->id || !in->device_id.manufacturer || !in->device_id.oui ||
        !in->device_id.product_class || !in->device_id.serial_number ||
        !in->current_time)
        goto out;
    in->max_envelopes = 1;
    in->retry_count = retry_count;

    /* forced parameters, in tree order */
    for (size_t i = 0; i < c->dm.n; i++) {
        const struct sim_node *nd = sim_dm_at(&c->dm, i);
        if (nd->flags & SIM_F_FORCED) {
            err = add_param(c, &in->params, nd);
            if (err)
                goto out;
        }
    }
    /* changed parameters with a notification attribute */
    x = (struct inform_ctx){.c = c, .pl = &in->params};
    err = sim_dm_overlay_walk(&c->dm, inform_changed, &x);
    if (err)
        goto out;
    if (x.any)
        sim_cpe_event(c, "4 VALUE CHANGE", NULL);

    err = UB_ENOMEM;
    in->events = ub_calloc(c->n_ev ? c->n_ev : 1, sizeof(*in->events));
    if (!in->events)
        goto out;
    for (size_t i = 0; i < c->n_ev; i++) {
        in->events[i].code = ub_strdup(c->ev[i].code);
        in->events[i].command_key = ub_strdup(c->ev[i].key);
        in->n_events++;
        if (!in->events[i].code || !in->events[i].command_key)
            goto out;
        c->ev[i].sent = true;
    }
    *out = m;
    m = NULL;
    err = UB_OK;
out:
    cwmp_msg_free(m);
    return err;
}

static int clear_reported(void *user, const struct sim_node *nd,
                          struct sim_ovl *e)
{
    (void)user;
    (void)nd;
    if (e->reported) {
        e->reported = false;
        e->changed = false;
    }
    return 0;
}

static bool kept_until_tc(const char *code)
{
    return strcmp(code, "7 TRANSFER COMPLETE") == 0 ||
           strcmp(code, "M Download") == 0 || strcmp(code, "M Upload") == 0;
}

void sim_cpe_inform_acked(struct sim_cpe *c)
{
    for (size_t i = 0; i < c->n_ev;) {
        if (!c->ev[i].sent || kept_until_tc(c->ev[i].code)) {
            i++;
            continue;
        }
        if (strcmp(c->ev[i].code, "0 BOOTSTRAP") == 0)
            c->bootstrapped = true;
        ev_remove(c, i);
    }
    (void)sim_dm_overlay_walk(&c->dm, clear_reported, NULL);
    c->dirty = true;
}

static int unreport(void *user, const struct sim_node *nd, struct sim_ovl *e)
{
    (void)user;
    (void)nd;
    e->reported = false;
    return 0;
}

void sim_cpe_session_failed(struct sim_cpe *c)
{
    for (size_t i = 0; i < c->n_ev; i++)
        c->ev[i].sent = false;
    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++)
        c->xfer[i].sent = false;
    (void)sim_dm_overlay_walk(&c->dm, unreport, NULL);
    /* RPC effects still happen: the device accepted them */
}

/* ---- transfers ---- */

uint64_t sim_cpe_transfer_due(const struct sim_cpe *c)
{
    uint64_t due = 0;

    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++) {
        const struct sim_transfer *t = &c->xfer[i];
        if (t->used && !t->complete && (!due || t->due_ms < due))
            due = t->due_ms;
    }
    return due;
}

bool sim_cpe_transfers_tick(struct sim_cpe *c, uint64_t now_ms)
{
    bool any = false;

    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++) {
        struct sim_transfer *t = &c->xfer[i];
        if (!t->used || t->complete || t->due_ms > now_ms)
            continue;
        t->complete = true;
        ub_time_iso8601(ub_wall_s(), t->end, sizeof(t->end));
        sim_cpe_event(c, "7 TRANSFER COMPLETE", NULL);
        sim_cpe_event(c, t->download ? "M Download" : "M Upload", t->key);
        /* a firmware image means a reboot into it */
        if (t->download && strncmp(t->file_type, "1 ", 2) == 0) {
            sim_cpe_do_reboot(c);
        }
        any = true;
    }
    return any;
}

int sim_cpe_next_request(struct sim_cpe *c, uint64_t now_ms,
                         struct cwmp_msg **out)
{
    struct cwmp_msg *m;

    (void)now_ms;
    *out = NULL;
    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++) {
        struct sim_transfer *t = &c->xfer[i];
        if (!t->used || !t->complete || t->sent)
            continue;
        m = cwmp_msg_new(CWMP_M_TRANSFER_COMPLETE, CWMP_REQUEST);
        if (!m)
            return UB_ENOMEM;
        m->version = c->cfg->version;
        m->id = ub_asprintf("%s-%u", c->mac.serial, ++c->id_seq);
        m->transfer.command_key = ub_strdup(t->key);
        m->transfer.start_time = ub_strdup(t->start);
        m->transfer.complete_time = ub_strdup(t->end);
        m->transfer.is_download = t->download;
        m->transfer.fault.code = t->fault;
        if (t->fault)
            m->transfer.fault.string = ub_strdup("transfer failed");
        if (!m->id || !m->transfer.command_key || !m->transfer.start_time ||
            !m->transfer.complete_time) {
            cwmp_msg_free(m);
            return UB_ENOMEM;
        }
        t->sent = true;
        *out = m;
        return UB_OK;
    }
    return UB_OK;
}

void sim_cpe_request_acked(struct sim_cpe *c, const struct cwmp_msg *resp)
{
    bool more = false;

    (void)resp;
    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++) {
        struct sim_transfer *t = &c->xfer[i];
        if (!t->used || !t->sent)
            continue;
        for (size_t k = 0; k < c->n_ev; k++) {
            if ((strcmp(c->ev[k].code, "M Download") == 0 ||
                 strcmp(c->ev[k].code, "M Upload") == 0) &&
                strcmp(c->ev[k].key, t->key) == 0) {
                ev_remove(c, k);
                break;
            }
        }
        memset(t, 0, sizeof(*t));
    }
    for (size_t i = 0; i < SIM_MAX_TRANSFERS; i++)
        if (c->xfer[i].used && c->xfer[i].complete)
            more = true;
    if (!more) {
        for (size_t k = 0; k < c->n_ev; k++) {
            if (strcmp(c->ev[k].code, "7 TRANSFER COMPLETE") == 0) {
                ev_remove(c, k);
                break;
            }
        }
    }
    c->dirty = true;
}

/* ---- reboot, factory reset, local changes ---- */

void sim_cpe_do_reboot(struct sim_cpe *c)
{
    c->dm.boot_ms = ub_now_ms();
    c->boot_count++;
    sim_cpe_event(c, "1 BOOT", NULL);
    if (c->after & SIM_AFTER_REBOOT)
        sim_cpe_event(c, "M Reboot", c->reboot_key);
    c->after &= ~SIM_AFTER_REBOOT;
    c->dirty = true;
}

int sim_cpe_do_factory_reset(struct sim_cpe *c)
{
    int err;

    sim_dm_free(&c->dm);
    err = sim_dm_init(&c->dm, c->cfg->model, &c->mac);
    if (err)
        return err;
    c->n_ev = 0;
    memset(c->xfer, 0, sizeof(c->xfer));
    c->bootstrapped = false;
    c->boot_count = 1;
    c->after = 0;
    sim_cpe_event(c, (c->cfg->quirks & SIM_Q_PERIODIC_FIRST) ? "2 PERIODIC"
                                                              : "0 BOOTSTRAP",
                  NULL);
    sim_cpe_event(c, "1 BOOT", NULL);
    c->dirty = true;
    return UB_OK;
}

int sim_cpe_local_set(struct sim_cpe *c, const char *path, const char *value,
                      bool *active)
{
    const struct sim_node *nd = sim_dm_find(&c->dm, path, NULL);
    char tmp[64];
    uint8_t notif;
    int err;

    *active = false;
    if (!nd || (nd->flags & SIM_F_OBJECT))
        return UB_ENOTFOUND;
    if (ub_value_check((enum ub_type)nd->type, value) != UB_OK)
        return UB_EINVAL;
    if (strcmp(sim_dm_value(&c->dm, nd, tmp, sizeof(tmp)), value) == 0)
        return UB_OK; /* not a change */
    notif = sim_dm_notif(&c->dm, nd);
    err = sim_dm_set(&c->dm, nd, value, true, notif > 0);
    if (err)
        return err;
    c->dirty = true;
    if (notif == 2) {
        sim_cpe_event(c, "4 VALUE CHANGE", NULL);
        *active = true;
    }
    return UB_OK;
}
