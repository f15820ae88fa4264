/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: one formatted line per call, written with a single write(2) so
 * lines from the daemon never interleave mid-line.  Lines are capped at
 * LINE_MAX_ bytes (peer data must be passed through ub_log_repr first).
 * SIGHUP handling is the daemon's: it calls ub_log_reopen() from a uv_signal
 * watcher on the loop, never from a raw signal handler.
 */
#include <ub/base.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_ 2048

static enum ub_log_level cur_level = UB_LOG_NOTICE;
static int log_fd = -1; /* -1: stderr */
static char *log_path;
static ub_log_sink_fn sink;
static void *sink_user;

static const char *const level_names[] = {"err", "warn", "notice", "info",
                                          "debug"};

void ub_log_set_level(enum ub_log_level lvl) { cur_level = lvl; }
enum ub_log_level ub_log_get_level(void) { return cur_level; }

const char *ub_log_level_name(enum ub_log_level lvl)
{
    if ((unsigned)lvl >= UB_ARRAY_LEN(level_names))
        return "?";
    return level_names[lvl];
}

int ub_log_level_parse(const char *s, enum ub_log_level *out)
{
    for (size_t i = 0; i < UB_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum ub_log_level)i;
            return UB_OK;
        }
    }
    if (strcmp(s, "error") == 0) {
        *out = UB_LOG_ERR;
        return UB_OK;
    }
    if (strcmp(s, "warning") == 0) {
        *out = UB_LOG_WARN;
        return UB_OK;
    }
    return UB_EINVAL;
}

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int ub_log_open(const char *path)
{
    int fd;

    ub_log_close();
    if (!path || strcmp(path, "-") == 0)
        return UB_OK;
    fd = open_path(path);
    if (fd < 0) {
        fprintf(stderr, "uspbridge: cannot open log file %s: %s\n", path,
                strerror(errno));
        return UB_EIO;
    }
    log_path = ub_strdup(path);
    if (!log_path) {
        close(fd);
        return UB_ENOMEM;
    }
    log_fd = fd;
    return UB_OK;
}

int ub_log_reopen(void)
{
    int fd;

    if (!log_path)
        return UB_OK;
    fd = open_path(log_path);
    if (fd < 0)
        return UB_EIO;
    close(log_fd);
    log_fd = fd;
    return UB_OK;
}

void ub_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    ub_free(log_path);
    log_path = NULL;
}

void ub_log_set_sink(ub_log_sink_fn fn, void *user)
{
    sink = fn;
    sink_user = user;
}

void ub_vlog(enum ub_log_level lvl, const char *module, const char *fmt,
             va_list ap)
{
    char line[LINE_MAX_];
    char ts[32];
    struct timespec now;
    struct tm tm;
    int n, m;

    if (lvl > cur_level)
        return;
    n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    if (sink) {
        sink(sink_user, lvl, module ? module : "", line);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    {
        char out[LINE_MAX_ + 96];
        m = snprintf(out, sizeof(out), "%s.%03ldZ %-6s %-6s %s\n", ts,
                     now.tv_nsec / 1000000L, level_names[lvl],
                     module ? module : "", line);
        if (m < 0)
            return;
        if ((size_t)m >= sizeof(out))
            m = sizeof(out) - 1;
        if (write(log_fd >= 0 ? log_fd : STDERR_FILENO, out, (size_t)m) < 0) {
            /* nowhere left to report it */
        }
    }
}

void ub_log(enum ub_log_level lvl, const char *module, const char *fmt, ...)
{
    va_list ap;

    if (lvl > cur_level)
        return;
    va_start(ap, fmt);
    ub_vlog(lvl, module, fmt, ap);
    va_end(ap);
}

char *ub_log_repr(char *out, size_t outsz, const void *data, size_t len,
                  size_t max)
{
    const unsigned char *p = data;
    size_t o = 0;

    if (!outsz)
        return out;
    if (len > max)
        len = max;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            if (o + 1 >= outsz)
                break;
            out[o++] = (char)c;
        } else {
            if (o + 4 >= outsz)
                break;
            snprintf(out + o, outsz - o, "\\x%02x", c);
            o += 4;
        }
    }
    out[o] = '\0';
    return out;
}
