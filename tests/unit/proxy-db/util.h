/*
 * Helpers shared by the proxy-db tests: throw-away store directories.
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#ifndef PDB_TEST_UTIL_H
#define PDB_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void tdir_remove(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates a fresh directory, returns it in buf. */
static inline char *tdir_make(char *buf, size_t n)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, n, "%s/pdb-test-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(buf);
}

#endif
