/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: what the bridge does with a CWMP device's Informs and how it keeps
 * the parameter cache in proxy-db faithful.
 *
 * Every Inform is stored in ONE write batch: the registry record (created on
 * first contact, with its USP endpoint ID), the registry fields the Inform
 * carries (ConnectionRequestURL, software version, last contact) and the
 * Inform's ParameterList (typed values, so VALUE CHANGE updates the cache).
 *
 * A full sync runs on 0 BOOTSTRAP, on first contact, on 1 BOOT with a
 * changed SoftwareVersion, and whenever the device is not marked synced
 * (interrupted sync, corrupt row detected):
 *   1. GetParameterNames(root, NextLevel=false): object rows are written at
 *      once (one batch), parameter names are kept in memory, sorted;
 *   2. GetParameterValues in batches of [sync] batch names, one RPC in
 *      flight, each result stored in one batch together with the resume
 *      cursor (the last name stored).  Fault 9004 (resources exceeded)
 *      halves the batch and retries, and the halved size becomes the
 *      ceiling for the rest of this sync (growing back would draw a 9004
 *      on every other RPC); 9005 halves without a ceiling, and on a
 *      one-name batch skips it (the parameter vanished between GPN and GPV);
 *   3. pdb_sync_finish deletes rows not seen in this sync generation and
 *      reports removed objects; objects first seen are reported as created
 *      (only for a device that was synced before: flag DEV_F_SYNCED_ONCE in
 *      the registry record, so a resumed re-sync reports them too).  Only then is the device
 *      marked synced.
 * A sync cut short (session end, kill -9) leaves the device IN_PROGRESS with
 * its cursor: the next session resumes after the cursor, in a NEW
 * generation with the cursor carried over.  Its GPN lists the device as it
 * is now: a parameter up to the cursor that is cached (with a type) is only
 * re-stamped with the new generation, one that is not (new on the device
 * since the interruption) is read like those after the cursor; so
 * pdb_sync_finish drops what the device lost meanwhile, objects and
 * parameters on either side of the cursor, and reports the objects.
 *
 * In-memory state is only the running sync jobs (bounded by the number of
 * devices in session); everything else is read from the store on demand.
 */
#include "bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "sync"

/* pdb_device.flags bits (the field is the bridge's) */
#define DEV_F_SYNCED_ONCE 0x1u /* a full sync completed at least once */

struct sync_job {
    struct ub_list link;
    char devkey[CWMP_DEVKEY_MAX];
    uint32_t dev;
    uint32_t gen;
    bool was_synced;     /* report object creations only after a first sync */
    char *root;
    char *cursor;        /* resume after this name (owned), or NULL */
    struct ub_param_list names; /* parameters from GPN, sorted, value NULL */
    size_t next;         /* index of the first name not yet stored */
    size_t batch;        /* current GPV batch size */
    size_t batch_max;    /* largest batch the device takes (9004 lowers it) */
    size_t inflight;     /* names in the RPC in flight, 0 = none */
    uint64_t rpc_id;
    bool gpn_pending;
    size_t created, deleted, stored;
    size_t kept;         /* resumed sync: rows kept from before the cursor */
    uint64_t started_ms;
    bool full;           /* full sync (else a periodic subtree refresh) */
};

static int cmp_param_path(const void *a, const void *b)
{
    return strcmp(((const struct ub_param *)a)->path,
                  ((const struct ub_param *)b)->path);
}

static struct sync_job *job_find(struct bridge *b, const char *devkey)
{
    for (struct ub_list *l = b->sync_jobs.next; l != &b->sync_jobs; l = l->next) {
        struct sync_job *j = UB_CONTAINER_OF(l, struct sync_job, link);
        if (strcmp(j->devkey, devkey) == 0)
            return j;
    }
    return NULL;
}

static void job_free(struct bridge *b, struct sync_job *j)
{
    if (!j)
        return;
    ub_list_remove(&j->link);
    b->n_sync_jobs--;
    ub_param_list_free(&j->names);
    ub_free(j->root);
    ub_free(j->cursor);
    ub_free(j);
}

static const char *param_value(const struct cwmp_inform *in, const char *suffix)
{
    size_t sl = strlen(suffix);
    for (size_t i = 0; i < in->params.n; i++) {
        const char *p = in->params.v[i].path;
        size_t pl = strlen(p);
        if (pl >= sl && strcmp(p + pl - sl, suffix) == 0)
            return in->params.v[i].value;
    }
    return NULL;
}

static bool has_event(const struct cwmp_inform *in, const char *code)
{
    for (size_t i = 0; i < in->n_events; i++)
        if (in->events[i].code && strcmp(in->events[i].code, code) == 0)
            return true;
    return false;
}

static const char *detect_root(const struct cwmp_inform *in)
{
    for (size_t i = 0; i < in->params.n; i++)
        if (strncmp(in->params.v[i].path, "InternetGatewayDevice.", 22) == 0)
            return "InternetGatewayDevice.";
    return "Device.";
}

static const char *version_text(enum cwmp_version v)
{
    static const char *const t[] = {"1.0", "1.1", "1.2", "1.3", "1.4"};
    return (unsigned)v < UB_ARRAY_LEN(t) ? t[v] : "1.0";
}

static int enqueue_gpn(struct bridge *b, struct sync_job *j)
{
    struct cwmp_msg *m = cwmp_msg_new(CWMP_M_GET_PARAMETER_NAMES, CWMP_REQUEST);
    int err;

    if (!m)
        return UB_ENOMEM;
    m->path = ub_strdup(j->root);
    m->next_level = false;
    if (!m->path) {
        cwmp_msg_free(m);
        return UB_ENOMEM;
    }
    err = cwmp_rpc_enqueue(b->cwmp, j->devkey, m, &j->rpc_id);
    if (!err)
        j->gpn_pending = true;
    return err;
}

static int enqueue_gpv(struct bridge *b, struct sync_job *j)
{
    struct cwmp_msg *m;
    size_t n = j->names.n - j->next;
    int err = UB_OK;

    if (n > j->batch)
        n = j->batch;
    m = cwmp_msg_new(CWMP_M_GET_PARAMETER_VALUES, CWMP_REQUEST);
    if (!m)
        return UB_ENOMEM;
    for (size_t i = 0; i < n && !err; i++)
        err = ub_strv_add(&m->strv, j->names.v[j->next + i].path);
    if (err) {
        cwmp_msg_free(m);
        return err;
    }
    err = cwmp_rpc_enqueue(b->cwmp, j->devkey, m, &j->rpc_id);
    if (!err)
        j->inflight = n;
    return err;
}

struct finish_ctx {
    const char *devkey; /* borrowed, for the log */
    size_t objects;
};

static int on_deleted_row(void *user, const struct ub_node *node)
{
    struct finish_ctx *fc = user;
    if (node->type == UB_T_OBJECT) {
        fc->objects++;
        UB_LOGI(MOD, "%s: object removed on the device: %s", fc->devkey,
                node->path);
    }
    return 0;
}

static void sync_finish(struct bridge *b, struct sync_job *j)
{
    struct pdb_batch *bt = NULL;
    struct finish_ctx fc = {.devkey = j->devkey};
    size_t rows = 0;
    int err;

    err = pdb_batch_begin(b->pdb, &bt);
    if (!err)
        err = pdb_sync_finish(bt, j->dev, j->gen, j->full ? NULL : j->root,
                              on_deleted_row, &fc, &rows);
    if (!err && j->full && !j->was_synced) {
        /* remember it, so a later interrupted sync still reports creations */
        struct pdb_device d;
        memset(&d, 0, sizeof(d));
        err = pdb_device_get(pdb_batch_reader(bt), j->dev, &d);
        if (!err && !(d.flags & DEV_F_SYNCED_ONCE)) {
            d.flags |= DEV_F_SYNCED_ONCE;
            err = pdb_device_put(bt, &d, NULL);
        }
        pdb_device_clear(&d);
    }
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    if (err) {
        UB_LOGE(MOD, "%s: cannot finish sync: %s", j->devkey, ub_strerror(err));
    } else {
        j->deleted = fc.objects;
        b->stats.syncs_completed++;
        b->stats.objects_created += j->created;
        b->stats.objects_deleted += j->deleted;
        UB_LOGN(MOD,
                "%s: %s complete: %zu parameters in %llu ms, %zu objects "
                "created, %zu removed, %zu stale rows dropped",
                j->devkey, j->full ? "sync" : "subtree refresh", j->stored,
                (unsigned long long)(ub_now_ms() - j->started_ms), j->created,
                j->deleted, rows);
    }
    job_free(b, j);
}

static void sync_next(struct bridge *b, struct sync_job *j)
{
    int err;

    if (j->next >= j->names.n) {
        sync_finish(b, j);
        return;
    }
    err = enqueue_gpv(b, j);
    if (err) {
        UB_LOGW(MOD, "%s: cannot queue GetParameterValues: %s (sync resumes "
                "at the next session)", j->devkey, ub_strerror(err));
        job_free(b, j);
    }
}

/* GPN result: write object rows, keep parameter names. */
static void on_gpn_result(struct bridge *b, struct sync_job *j,
                          const struct cwmp_msg *resp)
{
    struct pdb_batch *bt = NULL;
    int err;

    j->gpn_pending = false;
    err = pdb_batch_begin(b->pdb, &bt);
    for (size_t i = 0; !err && i < resp->params.n; i++) {
        const struct ub_param *p = &resp->params.v[i];
        if (!p->path || !ub_path_is_valid(p->path)) {
            UB_LOGW(MOD, "%s: GPN returned an invalid name, skipped", j->devkey);
            continue;
        }
        if (ub_path_is_object(p->path)) {
            struct ub_param row = {.path = p->path, .type = UB_T_OBJECT,
                                   .writable = p->writable};
            bool created = false;
            err = pdb_batch_put_param(bt, PDB_PARAMS, j->dev, &row,
                                      PDB_PUT_TYPE | PDB_PUT_WRITABLE, &created);
            if (err == UB_ETOOBIG || err == UB_EINVAL) {
                UB_LOGW(MOD, "%s: object path not storable (%s), skipped",
                        j->devkey, ub_strerror(err));
                err = UB_OK;
            } else if (!err && created && j->was_synced) {
                j->created++;
                UB_LOGI(MOD, "%s: object created on the device: %s", j->devkey,
                        p->path);
            }
            continue;
        }
        if (j->cursor && strcmp(p->path, j->cursor) <= 0) {
            /* read before the interruption: keep the row (re-stamped with
             * this generation) unless it is new on the device */
            struct ub_param old = {0};
            int e2 = pdb_param_get(pdb_batch_reader(bt), PDB_PARAMS, j->dev,
                                   p->path, &old);
            bool cached = e2 == UB_OK && old.type != UB_T_NONE;
            ub_param_clear(&old);
            if (e2 != UB_OK && e2 != UB_ENOTFOUND && e2 != UB_ECORRUPT) {
                err = e2;
                continue;
            }
            if (cached) {
                struct ub_param row = {.path = p->path,
                                       .writable = p->writable};
                err = pdb_batch_put_param(bt, PDB_PARAMS, j->dev, &row,
                                          PDB_PUT_WRITABLE, NULL);
                if (err == UB_ETOOBIG || err == UB_EINVAL)
                    err = UB_OK;
                j->kept++;
                continue;
            }
        }
        struct ub_param *n;
        err = ub_param_list_push(&j->names, &n);
        if (!err) {
            n->path = ub_strdup(p->path);
            n->writable = p->writable;
            if (!n->path)
                err = UB_ENOMEM;
        }
    }
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    if (err) {
        UB_LOGE(MOD, "%s: cannot store the object list: %s", j->devkey,
                ub_strerror(err));
        job_free(b, j);
        return;
    }
    qsort(j->names.v, j->names.n, sizeof(j->names.v[0]), cmp_param_path);
    if (j->cursor)
        UB_LOGI(MOD, "%s: %zu parameters to read (resumed: %zu kept from the "
                "interrupted sync)", j->devkey, j->names.n, j->kept);
    else
        UB_LOGI(MOD, "%s: %zu parameters to read", j->devkey, j->names.n);
    sync_next(b, j);
}

static void on_gpv_result(struct bridge *b, struct sync_job *j,
                          const struct cwmp_msg *resp)
{
    struct pdb_batch *bt = NULL;
    size_t n = j->inflight;
    int err;

    j->inflight = 0;
    if (resp->kind == CWMP_FAULT) {
        unsigned code = resp->fault.code;
        if ((code == 9004 || code == 9005) && n > 1) {
            j->batch = n / 2;
            if (code == 9004 && j->batch < j->batch_max)
                j->batch_max = j->batch; /* do not grow into 9004 again */
            UB_LOGI(MOD, "%s: GPV fault %u on %zu names: batch now %zu",
                    j->devkey, code, n, j->batch);
        } else if (code == 9005 && n == 1) {
            UB_LOGI(MOD, "%s: %s vanished during sync, skipped", j->devkey,
                    j->names.v[j->next].path);
            j->next++;
        } else {
            UB_LOGW(MOD, "%s: sync stopped by fault %u (resumes at the next "
                    "session)", j->devkey, code);
            job_free(b, j);
            return;
        }
        sync_next(b, j);
        return;
    }
    err = pdb_batch_begin(b->pdb, &bt);
    for (size_t i = 0; !err && i < resp->params.n; i++) {
        struct ub_param row = resp->params.v[i];
        struct ub_param key = {.path = row.path};
        const struct ub_param *known;

        if (!row.path)
            continue;
        known = bsearch(&key, j->names.v, j->names.n, sizeof(key),
                        cmp_param_path);
        row.writable = known ? known->writable : false;
        row.updated_at = 0; /* now */
        err = pdb_batch_put_param(bt, PDB_PARAMS, j->dev, &row,
                                  PDB_PUT_VALUE | PDB_PUT_TYPE |
                                      PDB_PUT_WRITABLE,
                                  NULL);
        if (err == UB_ETOOBIG || err == UB_EINVAL) {
            err = UB_OK; /* not storable: skip the row, keep the batch */
            continue;
        }
        j->stored++;
    }
    if (!err) {
        /* names new on the device may sort before the resume cursor */
        const char *last = j->names.v[j->next + n - 1].path;
        if (j->cursor && strcmp(last, j->cursor) < 0)
            last = j->cursor;
        err = pdb_sync_set_cursor(bt, j->dev, last);
    }
    if (!err) {
        err = pdb_batch_commit(bt);
        bt = NULL;
    }
    pdb_batch_abort(bt);
    if (err) {
        UB_LOGE(MOD, "%s: cannot store a GPV batch: %s", j->devkey,
                ub_strerror(err));
        job_free(b, j);
        return;
    }
    j->next += n;
    if (j->batch < j->batch_max)
        j->batch = j->batch * 2 > j->batch_max ? j->batch_max : j->batch * 2;
    sync_next(b, j);
}

bool bridge_sync_rpc_result(struct bridge *b, const char *devkey,
                            uint64_t rpc_id, const struct cwmp_msg *resp,
                            int err)
{
    struct sync_job *j = job_find(b, devkey);

    if (!j || j->rpc_id != rpc_id)
        return false; /* not ours */
    if (err || !resp) {
        UB_LOGI(MOD, "%s: sync interrupted (%s); resumes at the next session",
                devkey, ub_strerror(err));
        job_free(b, j);
        return true;
    }
    if (j->gpn_pending) {
        if (resp->kind == CWMP_FAULT) {
            UB_LOGW(MOD, "%s: GetParameterNames fault %u: sync postponed",
                    devkey, resp->fault.code);
            job_free(b, j);
        } else {
            on_gpn_result(b, j, resp);
        }
    } else {
        on_gpv_result(b, j, resp);
    }
    return true;
}

void bridge_sync_session_end(struct bridge *b, const char *devkey)
{
    struct sync_job *j = job_find(b, devkey);
    if (j) {
        UB_LOGI(MOD, "%s: session ended during sync; resumes next time", devkey);
        job_free(b, j);
    }
}

/* A new job for devkey on the running list (job_free undoes it). */
static struct sync_job *job_new(struct bridge *b, const char *devkey,
                                uint32_t dev, const char *root)
{
    struct sync_job *j = ub_calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    j->root = ub_strdup(root);
    if (!j->root) {
        ub_free(j);
        return NULL;
    }
    snprintf(j->devkey, sizeof(j->devkey), "%s", devkey);
    j->dev = dev;
    j->batch = j->batch_max = (size_t)b->cfg->sync_batch;
    j->started_ms = ub_now_ms();
    ub_param_list_init(&j->names, 0);
    ub_list_insert_tail(&b->sync_jobs, &j->link);
    b->n_sync_jobs++;
    return j;
}

static int start_sync(struct bridge *b, const char *devkey,
                      const struct pdb_device *d, struct pdb_batch *bt,
                      const char *root)
{
    struct sync_job *j;
    int err;

    if (job_find(b, devkey))
        return UB_OK; /* already running in this session */
    j = job_new(b, devkey, d->id, root);
    if (!j)
        return UB_ENOMEM;
    j->full = true;
    j->was_synced = d->sync_state == PDB_SYNC_SYNCED ||
                    (d->flags & DEV_F_SYNCED_ONCE) ||
                    (d->sync_state == PDB_SYNC_NONE && d->param_count > 0);
    /* an interrupted sync resumes after its cursor, in a new generation
     * (see DESIGN) */
    if (d->sync_state == PDB_SYNC_IN_PROGRESS && d->sync_cursor &&
        !(j->cursor = ub_strdup(d->sync_cursor))) {
        job_free(b, j);
        return UB_ENOMEM;
    }
    err = pdb_sync_begin(bt, d->id, NULL, &j->gen);
    if (!err && j->cursor)
        err = pdb_sync_set_cursor(bt, d->id, j->cursor);
    if (err) {
        job_free(b, j);
        return err;
    }
    UB_LOGI(MOD, "%s: full sync of %s (generation %u)%s", devkey, root, j->gen,
            j->cursor ? ", resuming" : "");
    return UB_OK;
}

/* ---- periodic subtree refresh ([sync] periodic_paths) ---- */

/* On a periodic Inform of a synced device: the first configured subtree
 * whose cached values are older than periodic_interval is re-read (GPN +
 * batched GPV of that subtree, rows not seen any more are dropped).  One
 * subtree per session keeps sessions short; the others follow at later
 * Informs. */
static int start_subtree_refresh(struct bridge *b, const char *devkey,
                                 const struct pdb_device *d,
                                 struct pdb_batch *bt)
{
    const char *p = b->cfg->sync_periodic_paths;
    char prefix[UB_PATH_MAX + 1];

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        bool stale = false, any = false;
        struct sync_job *j;
        int err;

        while (n && *p == ' ') {
            p++;
            n--;
        }
        if (n == 0 || n >= sizeof(prefix))
            goto next;
        memcpy(prefix, p, n);
        prefix[n] = '\0';
        while (n && prefix[n - 1] == ' ')
            prefix[--n] = '\0';
        err = bridge_cache_age(pdb_batch_reader(bt), d->id, prefix,
                               b->cfg->sync_periodic_interval, &stale, &any);
        if (err && err != UB_ENOTFOUND)
            return err;
        if (any && !stale)
            goto next;
        j = job_new(b, devkey, d->id, prefix);
        if (!j)
            return UB_ENOMEM;
        j->was_synced = true;
        err = pdb_sync_begin(bt, d->id, prefix, &j->gen);
        if (err) {
            job_free(b, j);
            return err;
        }
        UB_LOGI(MOD, "%s: periodic refresh of %s (generation %u)", devkey,
                prefix, j->gen);
        return UB_OK;
    next:
        p = end ? end + 1 : NULL;
    }
    return UB_OK;
}

/* Stores the Inform and decides about a sync.  Runs in on_inform. */
int bridge_device_inform(struct bridge *b, const char *devkey,
                         const struct cwmp_msg *msg)
{
    const struct cwmp_inform *in = &msg->inform;
    struct pdb_batch *bt = NULL;
    struct pdb_device d;
    uint32_t id = 0;
    bool is_new = false, need_sync;
    const char *sw = param_value(in, ".DeviceInfo.SoftwareVersion");
    const char *hw = param_value(in, ".DeviceInfo.HardwareVersion");
    const char *cru = param_value(in, ".ManagementServer.ConnectionRequestURL");
    const char *root = detect_root(in);
    char *eid = NULL;
    bool sw_changed = false;
    int err;

    memset(&d, 0, sizeof(d));
    err = pdb_batch_begin(b->pdb, &bt);
    if (err)
        goto out;
    err = pdb_device_find_cwmp(pdb_batch_reader(bt), devkey, &id);
    if (err == UB_ENOTFOUND) {
        is_new = true;
        err = UB_OK;
    } else if (!err) {
        err = pdb_device_get(pdb_batch_reader(bt), id, &d);
        if (err == UB_ECORRUPT) {
            UB_LOGE(MOD, "%s: registry record corrupt: re-registering", devkey);
            err = pdb_device_del(bt, id);
            is_new = true;
        }
    }
    if (err)
        goto out;
    if (is_new) {
        err = usp_eid_build(in->device_id.oui,
                            strcmp(b->cfg->usp_endpoint_scheme, "ops") == 0
                                ? in->device_id.product_class
                                : NULL,
                            in->device_id.serial_number, &eid);
        if (err) {
            UB_LOGW(MOD, "%s: no valid USP endpoint ID from this DeviceId "
                    "(%s): refused", devkey, ub_strerror(err));
            goto out;
        }
    }

    /* registry fields from the Inform (pointers borrowed for the put) */
    {
        struct pdb_device upd = d;
        if (is_new) {
            memset(&upd, 0, sizeof(upd));
            upd.endpoint_id = eid;
            upd.cwmp_device_id = (char *)devkey;
        }
        sw_changed = !is_new && sw && (!d.software_version ||
                                       strcmp(sw, d.software_version) != 0);
        upd.oui = in->device_id.oui;
        upd.product_class = in->device_id.product_class;
        upd.serial = in->device_id.serial_number;
        upd.manufacturer = in->device_id.manufacturer;
        if (cru)
            upd.conn_req_url = (char *)cru;
        if (sw)
            upd.software_version = (char *)sw;
        if (hw)
            upd.hardware_version = (char *)hw;
        if (!upd.conn_req_username && *b->cfg->cwmp_cr_username) {
            upd.conn_req_username = b->cfg->cwmp_cr_username;
            upd.conn_req_password = b->cfg->cwmp_cr_password;
        }
        upd.cwmp_version = (char *)version_text(msg->version);
        upd.root = (char *)root;
        upd.last_inform = ub_wall_s();
        err = pdb_device_put(bt, &upd, is_new ? &id : NULL);
        if (err)
            goto out;
        if (is_new) {
            err = pdb_device_get(pdb_batch_reader(bt), id, &d);
            if (err)
                goto out;
            err = bridge_hosted_init(b, bt, id, d.endpoint_id);
            if (err) {
                UB_LOGE(MOD, "%s: cannot create Device.LocalAgent. of %s: %s",
                        devkey, d.endpoint_id, ub_strerror(err));
                goto out;
            }
            UB_LOGN(MOD, "new device %s registered as USP agent %s", devkey,
                    d.endpoint_id);
            b->stats.devices_registered++;
        }
    }

    /* the Inform's ParameterList goes into the cache */
    for (size_t i = 0; i < in->params.n; i++) {
        struct ub_param row = in->params.v[i];
        if (!row.path || ub_path_is_object(row.path) ||
            !ub_path_is_valid(row.path))
            continue;
        row.updated_at = 0;
        err = pdb_batch_put_param(bt, PDB_PARAMS, id, &row,
                                  PDB_PUT_VALUE |
                                      (row.type != UB_T_NONE ? PDB_PUT_TYPE : 0),
                                  NULL);
        if (err == UB_ETOOBIG || err == UB_EINVAL)
            err = UB_OK;
        if (err)
            goto out;
    }

    need_sync = is_new || has_event(in, "0 BOOTSTRAP") ||
                (has_event(in, "1 BOOT") && sw_changed) ||
                d.sync_state != PDB_SYNC_SYNCED;
    if (need_sync) {
        err = start_sync(b, devkey, &d, bt, root);
        if (err)
            goto out;
    } else if (*b->cfg->sync_periodic_paths && has_event(in, "2 PERIODIC") &&
               !job_find(b, devkey)) {
        err = start_subtree_refresh(b, devkey, &d, bt);
        if (err)
            goto out;
        need_sync = job_find(b, devkey) != NULL; /* queue its GPN below */
    }
    err = pdb_batch_commit(bt);
    bt = NULL;
    if (err)
        goto out;
    if (is_new && bridge_mtp_add_agent(b, d.endpoint_id) != UB_OK)
        UB_LOGW(MOD, "%s: agent %s not served on every MTP", devkey,
                d.endpoint_id);
    if (need_sync) {
        struct sync_job *j = job_find(b, devkey);
        if (j && !j->gpn_pending && !j->inflight) {
            err = enqueue_gpn(b, j);
            if (err) {
                UB_LOGW(MOD, "%s: cannot queue GetParameterNames: %s", devkey,
                        ub_strerror(err));
                job_free(b, j);
                err = UB_OK;
            }
        }
    }
out:
    pdb_batch_abort(bt);
    if (err) {
        /* the batch (and a sync_begin in it) was not committed */
        struct sync_job *j = job_find(b, devkey);
        if (j && !j->gpn_pending && !j->inflight)
            job_free(b, j);
        UB_LOGE(MOD, "%s: cannot store the Inform: %s", devkey,
                ub_strerror(err));
    }
    ub_free(eid);
    pdb_device_clear(&d);
    return err;
}

void bridge_sync_destroy_all(struct bridge *b)
{
    while (!ub_list_empty(&b->sync_jobs))
        job_free(b, UB_CONTAINER_OF(b->sync_jobs.next, struct sync_job, link));
}
