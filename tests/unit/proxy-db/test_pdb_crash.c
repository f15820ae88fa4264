/*
 * proxy-db crash consistency (LABELS integration): a child process commits
 * batches in a loop and is killed with SIGKILL at a random moment; the
 * parent reopens the store and checks that no half batch is visible.
 *
 * Every batch writes the same counter into N parameters, into the device
 * record (last_inform) and pushes one queue entry, so any torn batch shows
 * as rows that disagree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "ub/pdb.h"
#include "util.h"

#define NPARAMS 300

static void writer(const char *dir)
{
    struct pdb_env *env;
    struct pdb_batch *b;
    struct pdb_device d = {0};
    uint32_t id;
    char val[32];

    if (pdb_env_open(dir, NULL, &env))
        _exit(2);
    d.endpoint_id = "os::crash";
    d.cwmp_device_id = "C-R-ASH";
    if (pdb_batch_begin(env, &b) || pdb_device_put(b, &d, &id) ||
        pdb_batch_commit(b))
        _exit(3);
    for (long gen = 1;; gen++) {
        uint32_t g;
        if (pdb_batch_begin(env, &b))
            _exit(4);
        snprintf(val, sizeof(val), "%ld", gen);
        if (pdb_sync_begin(b, id, NULL, &g))
            _exit(5);
        /* Grow the tree a little each round so pages split and move. */
        for (int i = 0; i < NPARAMS + (int)(gen % 50); i++) {
            char path[64];
            struct ub_param p = {0};
            snprintf(path, sizeof(path), "Device.X.%d.Value", i + 1);
            p.path = path;
            p.value = val;
            p.type = UB_T_STRING;
            if (pdb_batch_put_param(b, PDB_PARAMS, id, &p, PDB_PUT_ALL, NULL))
                _exit(6);
        }
        if (pdb_sync_finish(b, id, g, NULL, NULL, NULL, NULL))
            _exit(7);
        d.id = id;
        d.last_inform = gen;
        if (pdb_device_put(b, &d, NULL))
            _exit(8);
        if (pdb_queue_push(b, id, val, strlen(val), gen, NULL) == UB_EFULL) {
            if (pdb_queue_expire(b, gen, NULL, NULL, NULL))
                _exit(9);
        }
        if (pdb_batch_commit(b))
            _exit(10);
    }
}

struct check {
    const char *want;
    int n;
    int bad;
};

static int check_row(void *user, const struct ub_param *p)
{
    struct check *c = user;
    c->n++;
    if (!p->value || strcmp(p->value, c->want) != 0)
        c->bad++;
    return 0;
}

static void test_kill9(void **state)
{
    (void)state;
    char dir[256];
    unsigned seed = (unsigned)time(NULL);

    assert_non_null(tdir_make(dir, sizeof(dir)));
    for (int round = 0; round < 5; round++) {
        int status;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            writer(dir);
        /* Let it run 50..300 ms, then kill it mid-flight. */
        struct timespec ts = {0, (long)(50 + rand_r(&seed) % 250) * 1000000L};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status)); /* it was still writing */

        struct pdb_env *env;
        struct pdb_rtxn *r;
        struct pdb_device d;
        uint32_t id;
        char want[32];

        assert_int_equal(pdb_env_open(dir, NULL, &env), UB_OK);
        assert_int_equal(pdb_rtxn_begin(env, &r), UB_OK);
        if (pdb_device_find_endpoint(r, "os::crash", &id) == UB_ENOTFOUND) {
            /* Killed before the registration committed: nothing at all. */
            struct pdb_stats st;
            assert_int_equal(pdb_stats_get(r, &st), UB_OK);
            assert_int_equal(st.params, 0);
        } else {
            assert_int_equal(pdb_device_get(r, id, &d), UB_OK);
            snprintf(want, sizeof(want), "%lld", (long long)d.last_inform);
            struct check c = {.want = want};
            assert_int_equal(
                pdb_param_iter(r, PDB_PARAMS, id, NULL, check_row, &c), UB_OK);
            assert_int_equal(c.bad, 0);
            assert_int_equal((unsigned)c.n, d.param_count);
            if (d.last_inform > 0) {
                assert_int_equal(
                    c.n, NPARAMS + (int)(d.last_inform % 50));
                assert_int_equal(d.sync_state, PDB_SYNC_SYNCED);
            }
            print_message("round %d: last committed batch %lld, %d rows\n",
                          round, (long long)d.last_inform, c.n);
            pdb_device_clear(&d);
            /* The next round's writer re-registers: drop the device. */
        }
        pdb_rtxn_end(r);
        pdb_env_close(env);
        tdir_remove(dir);
        assert_non_null(tdir_make(dir, sizeof(dir)));
    }
    tdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
