/*
 * cwmp-sim: the I/O side shared by engine.c, cr.c, control.c and main.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Everything runs on one libuv loop: the CWMP sessions (libcurl multi
 * socket interface, one multi + one easy handle per running session), the
 * Connection Request listener (one libmicrohttpd daemon for all devices,
 * URL path /cr/<serial>), the control channel (libuv TCP) and the timers of
 * every device (periodic inform, delayed actions).
 */
#ifndef CWMP_SIM_ENGINE_H
#define CWMP_SIM_ENGINE_H

#include "sim_int.h"

#include <uv.h>

enum sim_auth { SIM_AUTH_NONE = 0, SIM_AUTH_BASIC, SIM_AUTH_DIGEST, SIM_AUTH_ANY };

struct sim_opts {
    const char *acs_url;
    const char *model_file;
    unsigned count;
    const char *serial_prefix, *oui, *product_class, *manufacturer;
    const char *username, *password;
    enum sim_auth auth;
    int cr_port;               /* -1: no listener; 0: any free port */
    const char *cr_bind;
    const char *cr_username, *cr_password;
    enum sim_auth cr_auth;     /* NONE, BASIC or DIGEST */
    unsigned periodic;         /* seconds, 0 = off */
    const char *first_event;   /* NULL = by state */
    unsigned sessions;         /* 0 = run until stopped */
    unsigned max_concurrent;
    unsigned ramp_ms;          /* spread of the first sessions */
    unsigned duration_s;       /* 0 = no limit */
    const char *cacert, *cert, *key;
    bool insecure;
    const char *state_dir;
    unsigned quirks;
    int control_port;          /* -1 = none */
    bool json;
    unsigned http_timeout_s;
    unsigned gpv_limit;
    unsigned transfer_s;
    unsigned reboot_delay_ms;
    enum cwmp_version version;
};

struct sim_session;
struct sim_engine;

struct sim_device {
    struct sim_engine *eng;
    struct sim_cpe cpe;
    unsigned idx;
    uv_timer_t periodic;
    uv_timer_t wake;          /* delayed actions, see engine.c */
    unsigned periodic_s;      /* armed interval */
    struct sim_session *sess;
    struct ub_list qlink;     /* in eng->waitq while queued */
    bool queued;
    bool done;                /* --sessions reached */
    unsigned sessions_done;
    unsigned retries;         /* consecutive failed sessions */
    uint64_t start_due, retry_due, boot_due, reset_due, sched_due;
};

struct sim_cr;
struct sim_control;

struct sim_engine {
    uv_loop_t *loop;
    const struct sim_opts *o;
    struct sim_model *model;
    struct sim_cpe_config ccfg;
    struct cwmp_codec *codec;
    struct sim_device *devs;
    size_t n;
    struct ub_list waitq;
    unsigned active;
    uint64_t ok, failed, started;
    size_t done_devices;
    uint64_t t_start;
    struct sim_cr *cr;
    struct sim_control *ctl;
    uv_signal_t sigterm, sigint;
    uv_timer_t duration;
    bool stopping;
    bool handles_ready;       /* signals and duration timer initialised */
    char cr_base[256];        /* "http://127.0.0.1:PORT/cr/" */
};

/* engine.c */
int sim_engine_init(struct sim_engine *e, uv_loop_t *loop,
                    const struct sim_opts *o) UB_WARN_UNUSED;
void sim_engine_start(struct sim_engine *e);
/* Stops everything; the loop then runs out.  Safe to call twice. */
void sim_engine_stop(struct sim_engine *e);
void sim_engine_free(struct sim_engine *e);
struct sim_device *sim_engine_find(struct sim_engine *e, const char *serial);
/* The device wants a session (events are pending): start it now, queue it
 * behind the concurrency limit, or leave it for after the running one. */
void sim_device_want_session(struct sim_device *d);
/* Writes one JSON event line on stdout when --json is on.  'fields' is
 * pre-formatted JSON members (may be NULL), appended after "ev"/"serial". */
void sim_emit(struct sim_engine *e, const char *ev, const char *serial,
              const char *fields);
void sim_print_summary(struct sim_engine *e);

/* cr.c: Connection Request listener (libmicrohttpd on the loop). */
int sim_cr_start(struct sim_engine *e, struct sim_cr **out) UB_WARN_UNUSED;
uint16_t sim_cr_port(const struct sim_cr *cr);
void sim_cr_stop(struct sim_cr *cr);

/* control.c: line protocol on 127.0.0.1 TCP. */
int sim_control_start(struct sim_engine *e, struct sim_control **out)
    UB_WARN_UNUSED;
void sim_control_stop(struct sim_control *c);

#endif /* CWMP_SIM_ENGINE_H */
