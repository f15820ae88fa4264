/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
#include <ub/base.h>

#include <stdio.h>
#include <time.h>

static ub_clock_mono_fn mono_fn;
static ub_clock_wall_fn wall_fn;
static void *clock_user;

uint64_t ub_now_ms(void)
{
    struct timespec ts;

    if (mono_fn)
        return mono_fn(clock_user);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t ub_wall_s(void)
{
    if (wall_fn)
        return wall_fn(clock_user);
    return (int64_t)time(NULL);
}

void ub_clock_override(ub_clock_mono_fn mono, ub_clock_wall_fn wall,
                       void *user)
{
    mono_fn = mono;
    wall_fn = wall;
    clock_user = user;
}

char *ub_time_iso8601(int64_t t, char *out, size_t outsz)
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (!outsz)
        return out;
    if (!gmtime_r(&tt, &tm) || !strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm))
        out[0] = '\0';
    return out;
}
