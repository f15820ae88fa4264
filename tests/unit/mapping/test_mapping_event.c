/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Unit tests of Inform EventCode parsing and the event plan
 * (mapping/src/event.c).  Each case lists the EventCodes of one Inform and
 * the plan expected, written as text:
 *   ONBOARD                      OnBoardRequest
 *   BOOT(cause,key,fw)           Device.Boot! (fw: FirmwareUpdated 0/1)
 *   VC                           ValueChange
 *   OC(from,key)                 deferred OperationComplete
 *   EV(name,from,key)            Event (deferred when from != now) */
#include <ub/mapping.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static const struct {
    const char *text;
    enum map_evt ev;
} parse_rows[] = {
    {"0 BOOTSTRAP", MAP_EV_BOOTSTRAP},
    {"1 BOOT", MAP_EV_BOOT},
    {"2 PERIODIC", MAP_EV_PERIODIC},
    {"3 SCHEDULED", MAP_EV_SCHEDULED},
    {"4 VALUE CHANGE", MAP_EV_VALUE_CHANGE},
    {"5 KICKED", MAP_EV_KICKED},
    {"6 CONNECTION REQUEST", MAP_EV_CONNECTION_REQUEST},
    {"7 TRANSFER COMPLETE", MAP_EV_TRANSFER_COMPLETE},
    {"8 DIAGNOSTICS COMPLETE", MAP_EV_DIAGNOSTICS_COMPLETE},
    {"9 REQUEST DOWNLOAD", MAP_EV_REQUEST_DOWNLOAD},
    {"10 AUTONOMOUS TRANSFER COMPLETE", MAP_EV_AUTONOMOUS_TRANSFER_COMPLETE},
    {"11 DU STATE CHANGE COMPLETE", MAP_EV_DU_STATE_CHANGE_COMPLETE},
    {"12 AUTONOMOUS DU STATE CHANGE COMPLETE",
     MAP_EV_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE},
    {"13 WAKEUP", MAP_EV_WAKEUP},
    {"14 HEARTBEAT", MAP_EV_HEARTBEAT},
    {"M Reboot", MAP_EV_M_REBOOT},
    {"M ScheduleInform", MAP_EV_M_SCHEDULE_INFORM},
    {"M Download", MAP_EV_M_DOWNLOAD},
    {"M ScheduleDownload", MAP_EV_M_SCHEDULE_DOWNLOAD},
    {"M Upload", MAP_EV_M_UPLOAD},
    {"M ChangeDUState", MAP_EV_M_CHANGE_DU_STATE},
    /* sloppy spellings */
    {"  1  boot ", MAP_EV_BOOT},
    {"4\tvalue change", MAP_EV_VALUE_CHANGE},
    {"m reboot", MAP_EV_M_REBOOT},
    {"0 BOOTSTRAP\r\n", MAP_EV_BOOTSTRAP},
    /* vendor and unknown */
    {"X 00D09E ReadyForService", MAP_EV_VENDOR},
    {"M X_00D09E_Restart", MAP_EV_VENDOR},
    {"x 00D09E foo", MAP_EV_VENDOR},
    {"", MAP_EV_UNKNOWN},
    {"   ", MAP_EV_UNKNOWN},
    {"15 SOMETHING", MAP_EV_UNKNOWN},
    {"1BOOT", MAP_EV_UNKNOWN},
    {"1 BOOTX", MAP_EV_UNKNOWN},
    {"M Rebooted", MAP_EV_UNKNOWN},
    {"X", MAP_EV_UNKNOWN},
    {"M X", MAP_EV_UNKNOWN},
};

static void test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        enum map_evt ev = MAP_EV_MAX_;
        assert_int_equal(map_event_parse(parse_rows[i].text, &ev), UB_OK);
        if (ev != parse_rows[i].ev)
            fail_msg("'%s': want %d got %d", parse_rows[i].text,
                     (int)parse_rows[i].ev, (int)ev);
    }
}

static void test_parse_names_roundtrip(void **state)
{
    (void)state;
    for (int e = 0; e < MAP_EV_VENDOR; e++) {
        enum map_evt ev;
        const char *name = map_event_name((enum map_evt)e);
        assert_true(strlen(name) > 0);
        assert_int_equal(map_event_parse(name, &ev), UB_OK);
        assert_int_equal(ev, e);
    }
    assert_string_equal(map_event_name(MAP_EV_VENDOR), "");
    assert_string_equal(map_event_name(MAP_EV_MAX_), "");
}

static void test_parse_bad(void **state)
{
    char big[MAP_EVENT_CODE_MAX + 2];
    enum map_evt ev = MAP_EV_BOOT;
    (void)state;
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(map_event_parse(big, &ev), UB_EINVAL);
    assert_int_equal(ev, MAP_EV_BOOT); /* untouched */
    big[MAP_EVENT_CODE_MAX] = '\0';     /* exactly 64: allowed */
    assert_int_equal(map_event_parse(big, &ev), UB_OK);
    assert_int_equal(ev, MAP_EV_UNKNOWN);
    assert_int_equal(map_event_parse(NULL, &ev), UB_EINVAL);
    assert_int_equal(map_event_parse("1 BOOT", NULL), UB_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Plans                                                               */
/* ------------------------------------------------------------------ */

#define MAXEV 6
#define A_RESYNC MAP_ACT_RESYNC
#define A_REFRESH MAP_ACT_REFRESH
#define A_DRAIN MAP_ACT_DRAIN
#define A_REAPPLY MAP_ACT_REAPPLY_ATTRS
#define A_DIAG MAP_ACT_READ_DIAG
#define A_XFER MAP_ACT_EXPECT_TRANSFER
#define A_DU MAP_ACT_EXPECT_DU
#define A_RBDONE MAP_ACT_REBOOT_DONE
#define A_FRDONE MAP_ACT_FACTORY_RESET_DONE
#define A_RD MAP_ACT_ANSWER_REQUEST_DOWNLOAD

struct plan_case {
    const char *name;
    struct map_inform_event ev[MAXEV];
    struct map_boot_info info;
    const char *expect;
    uint32_t actions;
    size_t n_vendor, n_unknown;
};

static const struct plan_case cases[] = {
    {"bootstrap only", {{"0 BOOTSTRAP", ""}}, {0},
     "ONBOARD", A_RESYNC | A_REAPPLY | A_DRAIN, 0, 0},
    {"bootstrap+boot: fresh device", {{"0 BOOTSTRAP", ""}, {"1 BOOT", ""}},
     {0}, "ONBOARD BOOT(LocalFactoryReset,,0)",
     A_RESYNC | A_REAPPLY | A_REFRESH | A_DRAIN, 0, 0},
    {"bootstrap+boot after our FactoryReset",
     {{"1 BOOT", ""}, {"0 BOOTSTRAP", ""}},
     {.factory_reset_pending = true}, "ONBOARD BOOT(RemoteFactoryReset,,0)",
     A_RESYNC | A_REAPPLY | A_REFRESH | A_FRDONE | A_DRAIN, 0, 0},
    {"local reboot", {{"1 BOOT", NULL}}, {0}, "BOOT(LocalReboot,,0)",
     A_REFRESH | A_DRAIN, 0, 0},
    {"remote reboot", {{"1 BOOT", ""}, {"M Reboot", "rb-1"}}, {0},
     "BOOT(RemoteReboot,rb-1,0)", A_REFRESH | A_RBDONE | A_DRAIN, 0, 0},
    {"M Reboot without 1 BOOT", {{"M Reboot", "rb-2"}}, {0},
     "BOOT(RemoteReboot,rb-2,0)", A_REFRESH | A_RBDONE | A_DRAIN, 0, 0},
    {"firmware upgrade",
     {{"1 BOOT", ""}, {"7 TRANSFER COMPLETE", ""}, {"M Download", "fw-1"}},
     {.sw_version_changed = true},
     "BOOT(RemoteReboot,fw-1,1) OC(transfer,fw-1) "
     "EV(TransferComplete!,transfer,fw-1)",
     A_RESYNC | A_XFER | A_DRAIN, 0, 0},
    {"config download with reboot",
     {{"1 BOOT", ""}, {"M Download", "cfg"}, {"7 TRANSFER COMPLETE", ""}},
     {0},
     "BOOT(RemoteReboot,cfg,0) OC(transfer,cfg) "
     "EV(TransferComplete!,transfer,cfg)",
     A_REFRESH | A_XFER | A_DRAIN, 0, 0},
    {"local firmware change", {{"1 BOOT", ""}},
     {.sw_version_changed = true}, "BOOT(LocalReboot,,1)",
     A_RESYNC | A_DRAIN, 0, 0},
    {"periodic", {{"2 PERIODIC", ""}}, {0}, "", A_REFRESH | A_DRAIN, 0, 0},
    {"scheduled", {{"3 SCHEDULED", ""}, {"M ScheduleInform", "si"}}, {0},
     "", A_REFRESH | A_DRAIN, 0, 0},
    {"value change", {{"4 VALUE CHANGE", ""}}, {0}, "VC", A_DRAIN, 0, 0},
    {"kicked", {{"5 KICKED", ""}}, {0}, "", A_DRAIN, 0, 0},
    {"connection request", {{"6 CONNECTION REQUEST", ""}}, {0}, "",
     A_DRAIN, 0, 0},
    {"transfer complete, M event sent earlier",
     {{"7 TRANSFER COMPLETE", ""}}, {0},
     "OC(transfer,) EV(TransferComplete!,transfer,)", A_XFER | A_DRAIN, 0,
     0},
    {"upload", {{"M Upload", "up-1"}, {"7 TRANSFER COMPLETE", ""}}, {0},
     "OC(transfer,up-1) EV(TransferComplete!,transfer,up-1)",
     A_XFER | A_DRAIN, 0, 0},
    {"schedule download",
     {{"7 TRANSFER COMPLETE", ""}, {"M ScheduleDownload", "sd-1"}}, {0},
     "OC(transfer,sd-1) EV(TransferComplete!,transfer,sd-1)",
     A_XFER | A_DRAIN, 0, 0},
    {"two downloads",
     {{"M Download", "a"}, {"7 TRANSFER COMPLETE", ""}, {"M Download", "b"}},
     {0},
     "OC(transfer,a) EV(TransferComplete!,transfer,a) OC(transfer,b) "
     "EV(TransferComplete!,transfer,b)",
     A_XFER | A_DRAIN, 0, 0},
    {"diagnostics complete", {{"8 DIAGNOSTICS COMPLETE", ""}}, {0},
     "OC(diagnostics,)", A_DIAG | A_DRAIN, 0, 0},
    {"request download", {{"9 REQUEST DOWNLOAD", ""}}, {0}, "",
     A_RD | A_DRAIN, 0, 0},
    {"autonomous transfer", {{"10 AUTONOMOUS TRANSFER COMPLETE", ""}}, {0},
     "EV(TransferComplete!,autonomous-transfer,)", A_XFER | A_DRAIN, 0, 0},
    {"du state change",
     {{"11 DU STATE CHANGE COMPLETE", ""}, {"M ChangeDUState", "du-1"}}, {0},
     "OC(du,du-1)", A_DU | A_DRAIN, 0, 0},
    {"du state change, M event sent earlier",
     {{"11 DU STATE CHANGE COMPLETE", ""}}, {0}, "OC(du,)", A_DU | A_DRAIN,
     0, 0},
    {"autonomous du state change",
     {{"12 AUTONOMOUS DU STATE CHANGE COMPLETE", ""}}, {0},
     "EV(DUStateChange!,autonomous-du,)", A_DU | A_DRAIN, 0, 0},
    {"wakeup", {{"13 WAKEUP", ""}}, {0}, "EV(WakeUp!,now,)",
     A_REFRESH | A_DRAIN, 0, 0},
    {"heartbeat", {{"14 HEARTBEAT", ""}}, {0}, "", A_REFRESH | A_DRAIN, 0,
     0},
    {"vendor", {{"X 00D09E ReadyForService", ""}, {"M X_00D09E_Foo", "k"}},
     {0}, "", A_DRAIN, 2, 0},
    {"unknown", {{"garbage", ""}, {NULL, NULL}, {"7 TRANSFER", ""}}, {0},
     "", A_DRAIN, 0, 3},
    {"first contact without bootstrap", {{"2 PERIODIC", ""}},
     {.first_contact = true}, "ONBOARD", A_RESYNC | A_REFRESH | A_DRAIN, 0,
     0},
    {"duplicates collapse",
     {{"1 BOOT", ""}, {"4 VALUE CHANGE", ""}, {"1 BOOT", ""},
      {"4 VALUE CHANGE", ""}, {"8 DIAGNOSTICS COMPLETE", ""},
      {"8 DIAGNOSTICS COMPLETE", ""}},
     {0}, "BOOT(LocalReboot,,0) VC OC(diagnostics,)",
     A_REFRESH | A_DIAG | A_DRAIN, 0, 0},
    {"sloppy spelling", {{" 1  boot", ""}, {"m reboot", "x"}}, {0},
     "BOOT(RemoteReboot,x,0)", A_REFRESH | A_RBDONE | A_DRAIN, 0, 0},
    {"empty inform", {{0}}, {0}, "", A_DRAIN, 0, 0},
    {"everything at once",
     {{"0 BOOTSTRAP", ""}, {"1 BOOT", ""}, {"4 VALUE CHANGE", ""},
      {"10 AUTONOMOUS TRANSFER COMPLETE", ""},
      {"12 AUTONOMOUS DU STATE CHANGE COMPLETE", ""},
      {"6 CONNECTION REQUEST", ""}},
     {.first_contact = true, .sw_version_changed = true},
     "ONBOARD BOOT(LocalFactoryReset,,1) VC "
     "EV(TransferComplete!,autonomous-transfer,) "
     "EV(DUStateChange!,autonomous-du,)",
     A_RESYNC | A_REAPPLY | A_XFER | A_DU | A_DRAIN, 0, 0},
};

static const char *from_name(enum map_oc_source f)
{
    switch (f) {
    case MAP_OC_NONE: return "now";
    case MAP_OC_TRANSFER: return "transfer";
    case MAP_OC_DIAGNOSTICS: return "diagnostics";
    case MAP_OC_DU: return "du";
    case MAP_OC_AUTONOMOUS_TRANSFER: return "autonomous-transfer";
    case MAP_OC_AUTONOMOUS_DU: return "autonomous-du";
    }
    return "?";
}

static void format_plan(const struct map_event_plan *pl, char *out,
                        size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < pl->n; i++) {
        const struct map_notif *nf = &pl->v[i];
        char tok[160];

        assert_non_null(nf->command_key);
        switch (nf->type) {
        case MAP_NOTIF_ONBOARD_REQUEST:
            snprintf(tok, sizeof(tok), "ONBOARD");
            break;
        case MAP_NOTIF_VALUE_CHANGE:
            snprintf(tok, sizeof(tok), "VC");
            break;
        case MAP_NOTIF_OPERATION_COMPLETE:
            assert_true(nf->deferred);
            snprintf(tok, sizeof(tok), "OC(%s,%s)", from_name(nf->from),
                     nf->command_key);
            break;
        case MAP_NOTIF_EVENT:
            assert_non_null(nf->obj_path);
            assert_non_null(nf->event_name);
            if (strcmp(nf->event_name, "Boot!") == 0) {
                assert_string_equal(nf->obj_path, "Device.");
                assert_false(nf->deferred);
                snprintf(tok, sizeof(tok), "BOOT(%s,%s,%d)",
                         map_boot_cause_name(nf->cause), nf->command_key,
                         nf->firmware_updated ? 1 : 0);
            } else {
                assert_int_equal(nf->deferred, nf->from != MAP_OC_NONE);
                snprintf(tok, sizeof(tok), "EV(%s,%s,%s)", nf->event_name,
                         from_name(nf->from), nf->command_key);
            }
            break;
        default:
            fail_msg("bad notif type %d", (int)nf->type);
        }
        o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? " " : "", tok);
        assert_true(o < outsz);
    }
}

static void test_plans(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const struct plan_case *pc = &cases[c];
        struct map_event_plan pl;
        char got[1024];
        size_t n = 0;

        while (n < MAXEV && (pc->ev[n].code || pc->ev[n].command_key ||
                             (n + 1 < MAXEV && pc->ev[n + 1].code)))
            n++;
        assert_int_equal(map_events_plan(pc->ev, n, &pc->info, &pl), UB_OK);
        format_plan(&pl, got, sizeof(got));
        if (strcmp(got, pc->expect) != 0)
            fail_msg("case '%s':\n want '%s'\n got  '%s'", pc->name,
                     pc->expect, got);
        if (pl.actions != pc->actions)
            fail_msg("case '%s': actions want 0x%x got 0x%x", pc->name,
                     (unsigned)pc->actions, (unsigned)pl.actions);
        if (pl.n_vendor != pc->n_vendor || pl.n_unknown != pc->n_unknown)
            fail_msg("case '%s': vendor %zu/%zu unknown %zu/%zu", pc->name,
                     pl.n_vendor, pc->n_vendor, pl.n_unknown, pc->n_unknown);
        assert_int_equal(pl.n_dropped, 0);
    }
}

static void test_plan_borrows_keys(void **state)
{
    char key[] = "reboot-42";
    struct map_inform_event ev[] = {{"1 BOOT", ""}, {"M Reboot", key}};
    struct map_event_plan pl;
    (void)state;
    assert_int_equal(map_events_plan(ev, 2, NULL, &pl), UB_OK);
    assert_int_equal(pl.n, 1);
    assert_ptr_equal(pl.v[0].command_key, key);
    assert_true((pl.seen >> MAP_EV_BOOT) & 1u);
    assert_true((pl.seen >> MAP_EV_M_REBOOT) & 1u);
    assert_false((pl.seen >> MAP_EV_BOOTSTRAP) & 1u);
}

static void test_plan_bounded(void **state)
{
    struct map_inform_event ev[40];
    struct map_event_plan pl;
    (void)state;
    for (size_t i = 0; i < 40; i++) {
        ev[i].code = "M Download";
        ev[i].command_key = "k";
    }
    assert_int_equal(map_events_plan(ev, 40, NULL, &pl), UB_OK);
    assert_int_equal(pl.n, MAP_PLAN_MAX);
    assert_int_equal(pl.n_dropped, 80 - MAP_PLAN_MAX);
}

static void test_plan_args(void **state)
{
    struct map_event_plan pl;
    (void)state;
    assert_int_equal(map_events_plan(NULL, 1, NULL, &pl), UB_EINVAL);
    assert_int_equal(map_events_plan(NULL, 0, NULL, NULL), UB_EINVAL);
    assert_int_equal(map_events_plan(NULL, 0, NULL, &pl), UB_OK);
    assert_int_equal(pl.n, 0);
    assert_int_equal(pl.actions, MAP_ACT_DRAIN);
}

static const struct {
    const char *state;
    enum map_diag_state cls;
} diag_rows[] = {
    {NULL, MAP_DIAG_IDLE},
    {"", MAP_DIAG_IDLE},
    {"None", MAP_DIAG_IDLE},
    {"Requested", MAP_DIAG_RUNNING},
    {"Complete", MAP_DIAG_COMPLETE},
    {"Completed", MAP_DIAG_COMPLETE},
    {"Canceled", MAP_DIAG_CANCELED},
    {"Error", MAP_DIAG_ERROR},
    {"Error_CannotResolveHostName", MAP_DIAG_ERROR},
    {"Error_MaxHopCountExceeded", MAP_DIAG_ERROR},
    {"Bogus", MAP_DIAG_IDLE},
};

static void test_diag_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(diag_rows) / sizeof(diag_rows[0]); i++)
        assert_int_equal(map_diag_state_classify(diag_rows[i].state),
                         diag_rows[i].cls);
}

static void test_boot_cause_names(void **state)
{
    (void)state;
    assert_string_equal(map_boot_cause_name(MAP_BOOT_LOCAL_REBOOT),
                        "LocalReboot");
    assert_string_equal(map_boot_cause_name(MAP_BOOT_REMOTE_REBOOT),
                        "RemoteReboot");
    assert_string_equal(map_boot_cause_name(MAP_BOOT_LOCAL_FACTORY_RESET),
                        "LocalFactoryReset");
    assert_string_equal(map_boot_cause_name(MAP_BOOT_REMOTE_FACTORY_RESET),
                        "RemoteFactoryReset");
    assert_string_equal(map_boot_cause_name(MAP_BOOT_MAX_), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_names_roundtrip),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_plan_borrows_keys),
        cmocka_unit_test(test_plan_bounded),
        cmocka_unit_test(test_plan_args),
        cmocka_unit_test(test_diag_state),
        cmocka_unit_test(test_boot_cause_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
