/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * Inform EventCodes -> USP notifications (a plan).
 *
 * DESIGN
 * An Inform carries a list of EventCodes (TR-069 Amendment 6, "Inform
 * EventCodes" table): single ones ("1 BOOT"), which the CPE sends at most
 * once and which we collapse if a sloppy CPE repeats them, and "M <method>"
 * ones that refer to one earlier ACS request each, by CommandKey, and may
 * repeat ("M Download" twice for two downloads).  map_events_plan() turns
 * the list into a plan: the USP notifications to emit, in a fixed order,
 * plus bridge actions as bits.  It decides *what* to emit, never *to whom*
 * (subscriptions are the bridge's) and never matches CommandKeys to USP
 * Requests (the bridge's queue knows them).
 *
 * Order of the plan: OnBoardRequest, Boot!, ValueChange, WakeUp!, then
 * one entry per completion event in input order.  Deferred entries are emitted by the
 * bridge when the RPC or GPV named in 'from' has delivered their fields.
 *
 * Device.Boot! Cause (TR-181: LocalReboot, RemoteReboot, LocalFactoryReset,
 * RemoteFactoryReset; "FactoryReset" of 2.15 is not used):
 *   BOOTSTRAP with a FactoryReset pending      -> RemoteFactoryReset
 *   M Reboot                                   -> RemoteReboot (its key)
 *   M Download/M ScheduleDownload              -> RemoteReboot (its key):
 *                                                 the CPE rebooted to apply
 *                                                 the file the ACS sent
 *   BOOTSTRAP otherwise (fresh or reset device)-> LocalFactoryReset
 *   otherwise                                  -> LocalReboot
 * FirmwareUpdated is the "software version changed" flag.  mapping.md's
 * "Cause = FirmwareUpdate" does not exist in TR-181: a firmware update is a
 * RemoteReboot (or LocalReboot) with FirmwareUpdated=true.
 */
#include "mapping_int.h"

#include <string.h>

static const char *const ev_names[MAP_EV_MAX_] = {
    [MAP_EV_BOOTSTRAP] = "0 BOOTSTRAP",
    [MAP_EV_BOOT] = "1 BOOT",
    [MAP_EV_PERIODIC] = "2 PERIODIC",
    [MAP_EV_SCHEDULED] = "3 SCHEDULED",
    [MAP_EV_VALUE_CHANGE] = "4 VALUE CHANGE",
    [MAP_EV_KICKED] = "5 KICKED",
    [MAP_EV_CONNECTION_REQUEST] = "6 CONNECTION REQUEST",
    [MAP_EV_TRANSFER_COMPLETE] = "7 TRANSFER COMPLETE",
    [MAP_EV_DIAGNOSTICS_COMPLETE] = "8 DIAGNOSTICS COMPLETE",
    [MAP_EV_REQUEST_DOWNLOAD] = "9 REQUEST DOWNLOAD",
    [MAP_EV_AUTONOMOUS_TRANSFER_COMPLETE] = "10 AUTONOMOUS TRANSFER COMPLETE",
    [MAP_EV_DU_STATE_CHANGE_COMPLETE] = "11 DU STATE CHANGE COMPLETE",
    [MAP_EV_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE] =
        "12 AUTONOMOUS DU STATE CHANGE COMPLETE",
    [MAP_EV_WAKEUP] = "13 WAKEUP",
    [MAP_EV_HEARTBEAT] = "14 HEARTBEAT",
    [MAP_EV_M_REBOOT] = "M Reboot",
    [MAP_EV_M_SCHEDULE_INFORM] = "M ScheduleInform",
    [MAP_EV_M_DOWNLOAD] = "M Download",
    [MAP_EV_M_SCHEDULE_DOWNLOAD] = "M ScheduleDownload",
    [MAP_EV_M_UPLOAD] = "M Upload",
    [MAP_EV_M_CHANGE_DU_STATE] = "M ChangeDUState",
    [MAP_EV_VENDOR] = "",
    [MAP_EV_UNKNOWN] = "",
};

const char *map_event_name(enum map_evt ev)
{
    if ((unsigned)ev >= MAP_EV_MAX_)
        return "";
    return ev_names[ev];
}

int mapping__strncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca = (unsigned char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (unsigned char)(cb - 'A' + 'a');
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (!ca)
            return 0;
    }
    return 0;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' ||
                                      c == '\n'; }

int map_event_parse(const char *code, enum map_evt *out)
{
    char norm[MAP_EVENT_CODE_MAX + 1];
    size_t n = 0;
    const char *p;

    if (!code || !out || strnlen(code, MAP_EVENT_CODE_MAX + 1) >
                             MAP_EVENT_CODE_MAX)
        return UB_EINVAL;
    /* trim, collapse inner blank runs to one space */
    for (p = code; *p; p++) {
        if (is_blank(*p)) {
            if (n > 0 && norm[n - 1] != ' ')
                norm[n++] = ' ';
            continue;
        }
        norm[n++] = *p;
    }
    if (n > 0 && norm[n - 1] == ' ')
        n--;
    norm[n] = '\0';

    for (int e = 0; e < MAP_EV_VENDOR; e++) {
        if (strlen(ev_names[e]) == n &&
            mapping__strncasecmp(norm, ev_names[e], n) == 0) {
            *out = (enum map_evt)e;
            return UB_OK;
        }
    }
    /* "X <OUI> <event>" vendor events, "M X_<vendor method>" */
    if ((n > 2 && (norm[0] == 'X' || norm[0] == 'x') && norm[1] == ' ') ||
        (n > 4 && (norm[0] == 'M' || norm[0] == 'm') && norm[1] == ' ' &&
         (norm[2] == 'X' || norm[2] == 'x') && norm[3] == '_')) {
        *out = MAP_EV_VENDOR;
        return UB_OK;
    }
    *out = MAP_EV_UNKNOWN;
    return UB_OK;
}

static const char *const cause_names[MAP_BOOT_MAX_] = {
    [MAP_BOOT_LOCAL_REBOOT] = "LocalReboot",
    [MAP_BOOT_REMOTE_REBOOT] = "RemoteReboot",
    [MAP_BOOT_LOCAL_FACTORY_RESET] = "LocalFactoryReset",
    [MAP_BOOT_REMOTE_FACTORY_RESET] = "RemoteFactoryReset",
};

const char *map_boot_cause_name(enum map_boot_cause c)
{
    if ((unsigned)c >= MAP_BOOT_MAX_)
        return "";
    return cause_names[c];
}

enum map_diag_state map_diag_state_classify(const char *state)
{
    if (!state || !*state || strcmp(state, "None") == 0)
        return MAP_DIAG_IDLE;
    if (strcmp(state, "Requested") == 0)
        return MAP_DIAG_RUNNING;
    if (strcmp(state, "Complete") == 0 || strcmp(state, "Completed") == 0)
        return MAP_DIAG_COMPLETE;
    if (strcmp(state, "Canceled") == 0)
        return MAP_DIAG_CANCELED;
    if (strncmp(state, "Error", 5) == 0)
        return MAP_DIAG_ERROR;
    return MAP_DIAG_IDLE;
}

/* ------------------------------------------------------------------ */
/* Plan                                                                */
/* ------------------------------------------------------------------ */

static struct map_notif *plan_push(struct map_event_plan *pl,
                                   enum map_notif_type type,
                                   enum map_evt source)
{
    struct map_notif *nf;

    if (pl->n >= MAP_PLAN_MAX) {
        pl->n_dropped++;
        return NULL;
    }
    nf = &pl->v[pl->n++];
    memset(nf, 0, sizeof(*nf));
    nf->type = type;
    nf->source = source;
    nf->command_key = "";
    return nf;
}

static void push_event(struct map_event_plan *pl, enum map_evt source,
                       const char *obj, const char *name, const char *key,
                       enum map_oc_source from)
{
    struct map_notif *nf = plan_push(pl, MAP_NOTIF_EVENT, source);

    if (!nf)
        return;
    nf->obj_path = obj;
    nf->event_name = name;
    nf->command_key = key;
    nf->deferred = from != MAP_OC_NONE;
    nf->from = from;
}

static void push_oc(struct map_event_plan *pl, enum map_evt source,
                    const char *key, enum map_oc_source from)
{
    struct map_notif *nf = plan_push(pl, MAP_NOTIF_OPERATION_COMPLETE, source);

    if (!nf)
        return;
    nf->command_key = key;
    nf->deferred = true;
    nf->from = from;
}

#define SEEN(pl, e) (((pl)->seen >> (e)) & 1u)

int map_events_plan(const struct map_inform_event *ev, size_t n,
                    const struct map_boot_info *info,
                    struct map_event_plan *out)
{
    static const struct map_boot_info no_info;
    struct map_event_plan pl;
    const char *reboot_key = NULL, *download_key = NULL;
    size_t n_transfer_m = 0, n_du_m = 0;
    bool done_tc = false, done_diag = false, done_atc = false;
    bool done_du = false, done_adu = false;

    if (!out || (n > 0 && !ev))
        return UB_EINVAL;
    if (!info)
        info = &no_info;
    memset(&pl, 0, sizeof(pl));

    /* Pass 1: what is there. */
    for (size_t i = 0; i < n; i++) {
        enum map_evt e;
        const char *key = ev[i].command_key ? ev[i].command_key : "";

        if (map_event_parse(ev[i].code, &e) != UB_OK)
            e = MAP_EV_UNKNOWN;
        pl.seen |= 1u << e;
        switch (e) {
        case MAP_EV_VENDOR:
            pl.n_vendor++;
            break;
        case MAP_EV_UNKNOWN:
            pl.n_unknown++;
            break;
        case MAP_EV_M_REBOOT:
            if (!reboot_key)
                reboot_key = key;
            break;
        case MAP_EV_M_DOWNLOAD:
        case MAP_EV_M_SCHEDULE_DOWNLOAD:
            if (!download_key)
                download_key = key;
            n_transfer_m++;
            break;
        case MAP_EV_M_UPLOAD:
            n_transfer_m++;
            break;
        case MAP_EV_M_CHANGE_DU_STATE:
            n_du_m++;
            break;
        default:
            break;
        }
    }

    /* OnBoardRequest: BOOTSTRAP, or the first Inform we ever see from a
     * device (CPEs switched to a new ACS often skip BOOTSTRAP). */
    if (SEEN(&pl, MAP_EV_BOOTSTRAP) || info->first_contact) {
        plan_push(&pl, MAP_NOTIF_ONBOARD_REQUEST,
                  SEEN(&pl, MAP_EV_BOOTSTRAP) ? MAP_EV_BOOTSTRAP
                                              : MAP_EV_UNKNOWN);
        pl.actions |= MAP_ACT_RESYNC;
    }
    if (SEEN(&pl, MAP_EV_BOOTSTRAP)) {
        /* A bootstrapped device forgot every attribute we set. */
        pl.actions |= MAP_ACT_REAPPLY_ATTRS;
        if (info->factory_reset_pending)
            pl.actions |= MAP_ACT_FACTORY_RESET_DONE;
    }

    /* Device.Boot! */
    if (SEEN(&pl, MAP_EV_BOOT) || SEEN(&pl, MAP_EV_M_REBOOT)) {
        struct map_notif *nf = plan_push(
            &pl, MAP_NOTIF_EVENT,
            SEEN(&pl, MAP_EV_BOOT) ? MAP_EV_BOOT : MAP_EV_M_REBOOT);
        if (nf) {
            nf->obj_path = "Device.";
            nf->event_name = "Boot!";
            nf->firmware_updated = info->sw_version_changed;
            if (SEEN(&pl, MAP_EV_BOOTSTRAP) && info->factory_reset_pending) {
                nf->cause = MAP_BOOT_REMOTE_FACTORY_RESET;
            } else if (reboot_key) {
                nf->cause = MAP_BOOT_REMOTE_REBOOT;
                nf->command_key = reboot_key;
            } else if (download_key) {
                nf->cause = MAP_BOOT_REMOTE_REBOOT;
                nf->command_key = download_key;
            } else if (SEEN(&pl, MAP_EV_BOOTSTRAP)) {
                nf->cause = MAP_BOOT_LOCAL_FACTORY_RESET;
            } else {
                nf->cause = MAP_BOOT_LOCAL_REBOOT;
            }
        }
        if (reboot_key)
            pl.actions |= MAP_ACT_REBOOT_DONE;
        /* Counters and volatile values restart; a new firmware may bring
         * a different data model. */
        pl.actions |= info->sw_version_changed ? MAP_ACT_RESYNC
                                               : MAP_ACT_REFRESH;
    }

    if (SEEN(&pl, MAP_EV_VALUE_CHANGE))
        plan_push(&pl, MAP_NOTIF_VALUE_CHANGE, MAP_EV_VALUE_CHANGE);

    /* TR-181 Device.LocalAgent.WakeUp! ("Wake-up event", no arguments) is
     * the USP twin of "13 WAKEUP". */
    if (SEEN(&pl, MAP_EV_WAKEUP))
        push_event(&pl, MAP_EV_WAKEUP, "Device.LocalAgent.", "WakeUp!", "",
                   MAP_OC_NONE);

    /* Completions, in input order; repeated single codes count once. */
    for (size_t i = 0; i < n; i++) {
        enum map_evt e;
        const char *key = ev[i].command_key ? ev[i].command_key : "";

        if (map_event_parse(ev[i].code, &e) != UB_OK)
            continue;
        switch (e) {
        case MAP_EV_M_DOWNLOAD:
        case MAP_EV_M_SCHEDULE_DOWNLOAD:
        case MAP_EV_M_UPLOAD:
            /* TR-181: results of Download()/Backup()/Restore()/Upload()
             * are in TransferComplete! as well as OperationComplete. */
            push_oc(&pl, e, key, MAP_OC_TRANSFER);
            push_event(&pl, e, "Device.LocalAgent.", "TransferComplete!", key,
                       MAP_OC_TRANSFER);
            pl.actions |= MAP_ACT_EXPECT_TRANSFER;
            break;
        case MAP_EV_TRANSFER_COMPLETE:
            if (n_transfer_m == 0 && !done_tc) {
                /* the M event went out in an earlier Inform: the
                 * TransferComplete RPC still names the CommandKey */
                push_oc(&pl, e, "", MAP_OC_TRANSFER);
                push_event(&pl, e, "Device.LocalAgent.", "TransferComplete!",
                           "", MAP_OC_TRANSFER);
            }
            done_tc = true;
            pl.actions |= MAP_ACT_EXPECT_TRANSFER;
            break;
        case MAP_EV_DIAGNOSTICS_COMPLETE:
            if (!done_diag)
                push_oc(&pl, e, "", MAP_OC_DIAGNOSTICS);
            done_diag = true;
            pl.actions |= MAP_ACT_READ_DIAG;
            break;
        case MAP_EV_AUTONOMOUS_TRANSFER_COMPLETE:
            if (!done_atc)
                push_event(&pl, e, "Device.LocalAgent.", "TransferComplete!",
                           "", MAP_OC_AUTONOMOUS_TRANSFER);
            done_atc = true;
            pl.actions |= MAP_ACT_EXPECT_TRANSFER;
            break;
        case MAP_EV_M_CHANGE_DU_STATE:
            push_oc(&pl, e, key, MAP_OC_DU);
            pl.actions |= MAP_ACT_EXPECT_DU;
            break;
        case MAP_EV_DU_STATE_CHANGE_COMPLETE:
            if (n_du_m == 0 && !done_du)
                push_oc(&pl, e, "", MAP_OC_DU);
            done_du = true;
            pl.actions |= MAP_ACT_EXPECT_DU;
            break;
        case MAP_EV_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE:
            if (!done_adu)
                push_event(&pl, e, "Device.SoftwareModules.", "DUStateChange!",
                           "", MAP_OC_AUTONOMOUS_DU);
            done_adu = true;
            pl.actions |= MAP_ACT_EXPECT_DU;
            break;
        default:
            break;
        }
    }

    if (SEEN(&pl, MAP_EV_PERIODIC) || SEEN(&pl, MAP_EV_SCHEDULED) ||
        SEEN(&pl, MAP_EV_WAKEUP) || SEEN(&pl, MAP_EV_HEARTBEAT))
        pl.actions |= MAP_ACT_REFRESH;
    if (SEEN(&pl, MAP_EV_REQUEST_DOWNLOAD))
        pl.actions |= MAP_ACT_ANSWER_REQUEST_DOWNLOAD;
    /* Every session is a chance to run what waits for this device; a
     * CONNECTION REQUEST is the session we asked for. */
    pl.actions |= MAP_ACT_DRAIN;

    *out = pl;
    return UB_OK;
}
