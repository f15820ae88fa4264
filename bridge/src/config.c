/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: the option table below is the single source of truth for every
 * configuration option: its INI section and key, type, default and help.
 * INI was chosen (libinih, Debian libinih-dev) because the configuration is
 * flat sections of scalar options, operators know the format from
 * mosquitto/systemd/php, and inih is a small, maintained, fuzzed parser with
 * line numbers in its errors; YAML's typing surprises ("no" -> false) and
 * TOML's lack of a maintained C parser in Debian 12 weighed against them.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum opt_type { OPT_STR, OPT_LONG, OPT_BOOL };

struct opt {
    const char *section;
    const char *key;
    enum opt_type type;
    size_t off;
    const char *def;
    long min, max;          /* OPT_LONG */
    const char *const *choices; /* OPT_STR, NULL = free text */
    bool secret;
    const char *help;
};

#define O(f) offsetof(struct bridge_config, f)

static const char *const levels[] = {"err", "warn", "notice", "info", "debug",
                                     NULL};
static const char *const auths[] = {"none", "basic", "digest", "any", NULL};
static const char *const algos[] = {"md5", "sha256", NULL};
static const char *const schemes[] = {"os", "ops", NULL};
static const char *const mqttv[] = {"5", "3.1.1", NULL};

static const struct opt opts[] = {
    {"general", "data_dir", OPT_STR, O(data_dir), "./data", 0, 0, NULL, false,
     "Directory for state (the LMDB store lives under it unless [store] path "
     "says otherwise). Created if missing."},
    {"general", "log_file", OPT_STR, O(log_file), "-", 0, 0, NULL, false,
     "Log file path, or - for standard error. SIGHUP reopens it (logrotate)."},
    {"general", "log_level", OPT_STR, O(log_level), "notice", 0, 0, levels,
     false, "One of err, warn, notice, info, debug."},
    {"general", "stats_interval", OPT_LONG, O(stats_interval), "300", 0,
     86400, NULL, false,
     "Seconds between one-line operational statistics in the log (level "
     "notice): CWMP sessions, informs, auth failures, Connection Requests, "
     "USP records, pending requests, syncs.  0: never."},
    {"general", "pid_file", OPT_STR, O(pid_file), "", 0, 0, NULL, false,
     "Write the daemon's PID here (empty: none)."},

    {"cwmp", "listen", OPT_STR, O(cwmp_listen), "127.0.0.1", 0, 0, NULL, false,
     "Address of the ACS endpoint CPEs connect to. The embedded default "
     "listens on loopback only; set 0.0.0.0 (or an interface address) in "
     "production."},
    {"cwmp", "port", OPT_LONG, O(cwmp_port), "7547", 0, 65535, NULL, false,
     "TCP port of the ACS endpoint (0: pick a free port and log it)."},
    {"cwmp", "path", OPT_STR, O(cwmp_path), "/", 0, 0, NULL, false,
     "URL path of the ACS endpoint (the ManagementServer.URL path)."},
    {"cwmp", "tls_cert", OPT_STR, O(cwmp_tls_cert), "", 0, 0, NULL, false,
     "PEM certificate (chain) file: when set with tls_key the endpoint "
     "speaks HTTPS only."},
    {"cwmp", "tls_key", OPT_STR, O(cwmp_tls_key), "", 0, 0, NULL, false,
     "PEM private key of tls_cert."},
    {"cwmp", "tls_client_ca", OPT_STR, O(cwmp_tls_client_ca), "", 0, 0, NULL,
     false,
     "PEM CA bundle: when set, CPEs must present a client certificate "
     "signed by it (checked before any session starts)."},
    {"cwmp", "auth", OPT_STR, O(cwmp_auth), "digest", 0, 0, auths, false,
     "CPE authentication: none, basic, digest, or any (Basic sent up front "
     "is accepted, otherwise a Digest challenge)."},
    {"cwmp", "digest_algorithm", OPT_STR, O(cwmp_digest_algorithm), "md5", 0,
     0, algos, false, "Digest algorithm offered to CPEs: md5 or sha256."},
    {"cwmp", "realm", OPT_STR, O(cwmp_realm), "uspbridge", 0, 0, NULL, false,
     "HTTP authentication realm."},
    {"cwmp", "username", OPT_STR, O(cwmp_username), "cpe", 0, 0, NULL, false,
     "Shared CPE username (per-device credentials go in "
     "[cpe-credentials])."},
    {"cwmp", "password", OPT_STR, O(cwmp_password), "cpe", 0, 0, NULL, true,
     "Shared CPE password. The embedded default 'cpe' is for trying the "
     "bridge out on loopback; change it before exposing the endpoint."},
    {"cwmp", "max_body", OPT_LONG, O(cwmp_max_body), "1048576", 1024,
     64L * 1024 * 1024, NULL, false,
     "Largest SOAP request body in bytes; larger ones get HTTP 413."},
    {"cwmp", "session_timeout", OPT_LONG, O(cwmp_session_timeout), "300", 5,
     86400, NULL, false, "Seconds a whole CWMP session may last."},
    {"cwmp", "idle_timeout", OPT_LONG, O(cwmp_idle_timeout), "30", 1, 3600,
     NULL, false,
     "Seconds of silence from a CPE in session before the session ends."},
    {"cwmp", "max_sessions", OPT_LONG, O(cwmp_max_sessions), "10000", 1,
     1000000, NULL, false,
     "Concurrent CWMP sessions; above it new CPEs get HTTP 503."},
    {"cwmp", "max_queue", OPT_LONG, O(cwmp_max_queue), "64", 1, 100000, NULL,
     false, "RPCs queued per device; above it requests are refused."},
    {"cwmp", "cr_timeout", OPT_LONG, O(cwmp_cr_timeout), "10", 1, 300, NULL,
     false, "Seconds per Connection Request attempt."},
    {"cwmp", "cr_retries", OPT_LONG, O(cwmp_cr_retries), "2", 0, 10, NULL,
     false, "Extra Connection Request attempts after a failure."},
    {"cwmp", "cr_min_interval", OPT_LONG, O(cwmp_cr_min_interval), "1", 0,
     3600, NULL, false,
     "Minimum seconds between Connection Requests to one device."},
    {"cwmp", "cr_max_inflight", OPT_LONG, O(cwmp_cr_max_inflight), "256", 1,
     100000, NULL, false, "Connection Requests in flight at once."},

    {"cwmp", "cr_username", OPT_STR, O(cwmp_cr_username), "", 0, 0, NULL,
     false,
     "Connection Request username the devices were provisioned with "
     "(shared default; per-device values live in the store)."},
    {"cwmp", "cr_password", OPT_STR, O(cwmp_cr_password), "", 0, 0, NULL,
     true, "Connection Request password (shared default)."},

    {"store", "path", OPT_STR, O(store_path), "", 0, 0, NULL, false,
     "LMDB environment directory (empty: <data_dir>/db)."},
    {"store", "map_size_mb", OPT_LONG, O(store_map_size_mb), "256", 1,
     1L << 30, NULL, false,
     "Initial LMDB map size in MiB; it grows up to map_max_mb."},
    {"store", "map_max_mb", OPT_LONG, O(store_map_max_mb), "65536", 1,
     1L << 30, NULL, false,
     "Largest LMDB map in MiB; a full map is reported, never a crash."},
    {"store", "nosync", OPT_BOOL, O(store_nosync), "true", 0, 0, NULL, false,
     "Commit without fsync and flush to disk every sync_interval_ms from a "
     "worker thread instead.  A crash or kill -9 of the daemon loses "
     "nothing either way (the data is in the OS page cache); a power loss "
     "or kernel crash may lose the last sync_interval_ms of commits, never "
     "corrupt the store.  false: fsync on every commit (each live request "
     "then costs several fsyncs)."},
    {"store", "sync_interval_ms", OPT_LONG, O(store_sync_interval_ms), "1000",
     10, 3600000, NULL, false,
     "With nosync: how often the store is flushed to disk."},

    {"sync", "batch", OPT_LONG, O(sync_batch), "200", 1, 100000, NULL, false,
     "Parameters per GetParameterValues during a full sync."},
    {"sync", "periodic_paths", OPT_STR, O(sync_periodic_paths), "", 0, 0,
     NULL, false,
     "Comma-separated object paths (e.g. Device.WiFi.,Device.Hosts.) "
     "re-read from each synced device at its periodic Inform when their "
     "cached values are older than periodic_interval seconds; one subtree "
     "per session (empty: none)."},
    {"sync", "periodic_interval", OPT_LONG, O(sync_periodic_interval), "3600",
     1, 86400 * 30, NULL, false,
     "Age in seconds after which a periodic_paths subtree is re-read."},

    {"usp", "endpoint_scheme", OPT_STR, O(usp_endpoint_scheme), "os", 0, 0,
     schemes, false,
     "Endpoint ID form of bridged agents: os (os::<OUI>-<Serial>) or ops "
     "(ops::<OUI>-<ProductClass>-<Serial>)."},
    {"usp", "ws_listen", OPT_STR, O(usp_ws_listen), "127.0.0.1", 0, 0, NULL,
     false, "Address of the WebSocket MTP server controllers connect to."},
    {"usp", "ws_port", OPT_LONG, O(usp_ws_port), "8080", -1, 65535, NULL,
     false,
     "Port of the WebSocket MTP server (0: any free port, logged; -1: no "
     "WebSocket MTP)."},
    {"usp", "ws_path", OPT_STR, O(usp_ws_path), "/usp", 0, 0, NULL, false,
     "URL path prefix: a controller reaches agent E at <ws_path>/<E>."},
    {"usp", "mqtt_broker", OPT_STR, O(usp_mqtt_broker), "", 0, 0, NULL, false,
     "MQTT broker host (empty: no MQTT MTP)."},
    {"usp", "mqtt_port", OPT_LONG, O(usp_mqtt_port), "1883", 1, 65535, NULL,
     false, "MQTT broker port."},
    {"usp", "mqtt_version", OPT_STR, O(usp_mqtt_version), "5", 0, 0, mqttv,
     false, "MQTT protocol version spoken to the broker: 5 or 3.1.1."},
    {"usp", "mqtt_client_id", OPT_STR, O(usp_mqtt_client_id), "uspbridge", 0,
     0, NULL, false, "MQTT client identifier (kept across reconnects)."},
    {"usp", "mqtt_username", OPT_STR, O(usp_mqtt_username), "", 0, 0, NULL,
     false, "MQTT username (empty: none)."},
    {"usp", "mqtt_password", OPT_STR, O(usp_mqtt_password), "", 0, 0, NULL,
     true, "MQTT password."},
    {"usp", "mqtt_agent_topic", OPT_STR, O(usp_mqtt_agent_topic),
     "usp/agents/%s", 0, 0, NULL, false,
     "Topic each bridged agent subscribes to; %s is its endpoint ID."},
    {"usp", "controllers", OPT_STR, O(usp_controllers), "self::usp-ctl", 0, 0,
     NULL, false,
     "Known controllers: comma-separated 'endpoint-id=reply-topic' entries "
     "(reply-topic used when a request carries no MQTT Response Topic)."},
    {"usp", "ws_controllers", OPT_STR, O(usp_ws_controllers), "", 0, 0, NULL,
     false,
     "Controllers that run a WebSocket server the agents connect to: "
     "comma-separated 'endpoint-id=ws://host:port/path' (or wss://) entries. "
     "Every bridged agent keeps its own session to each (R-WS.4), "
     "reconnecting with the TR-369 backoff; the controller is also added "
     "to the known controllers."},
    {"usp", "untrusted_role", OPT_STR, O(usp_untrusted_role), "refuse", 0, 0,
     NULL, false,
     "What an unknown controller may do: refuse (default), or the name of a "
     "role (e.g. untrusted) to grant."},
    {"usp", "request_timeout", OPT_LONG, O(usp_request_timeout), "30", 1,
     86400, NULL, false,
     "Seconds a USP request may wait for its device before it is answered "
     "with an error; expired changes are never applied later."},
    {"usp", "max_pending", OPT_LONG, O(usp_max_pending), "10000", 1, 10000000,
     NULL, false,
     "Requests waiting for or running on devices at once; beyond it new "
     "ones are answered with error 7005."},
    {"usp", "get_policy", OPT_STR, O(usp_get_policy), "cache", 0, 0, NULL,
     false,
     "Where Get values come from: cache (proxy-db, kept fresh by syncs and "
     "Informs), live (GetParameterValues on the device, which refreshes "
     "the cache) or max-age:<seconds> (cache if younger, else live)."},
    {"usp", "get_policy_paths", OPT_STR, O(usp_get_policy_paths), "", 0, 0,
     NULL, false,
     "Per-subtree overrides of get_policy: comma-separated "
     "<object path>=<policy>, longest prefix wins (e.g. "
     "Device.WiFi.=live,Device.Hosts.=max-age:60)."},
};

static char **str_at(struct bridge_config *c, const struct opt *o)
{
    return (char **)(void *)((char *)c + o->off);
}
static long *long_at(struct bridge_config *c, const struct opt *o)
{
    return (long *)(void *)((char *)c + o->off);
}
static bool *bool_at(struct bridge_config *c, const struct opt *o)
{
    return (bool *)(void *)((char *)c + o->off);
}

static int set_opt(struct bridge_config *c, const struct opt *o,
                   const char *v, char *err, size_t errsz)
{
    switch (o->type) {
    case OPT_STR: {
        char *d;
        if (o->choices) {
            bool ok = false;
            for (const char *const *ch = o->choices; *ch; ch++)
                ok |= strcmp(*ch, v) == 0;
            if (!ok) {
                snprintf(err, errsz, "[%s] %s: '%s' is not one of the allowed "
                         "values", o->section, o->key, v);
                return UB_ECONFIG;
            }
        }
        d = ub_strdup(v);
        if (!d)
            return UB_ENOMEM;
        ub_free(*str_at(c, o));
        *str_at(c, o) = d;
        return UB_OK;
    }
    case OPT_LONG: {
        char *end;
        long n;
        errno = 0;
        n = strtol(v, &end, 10);
        if (!*v || *end || errno || n < o->min || n > o->max) {
            snprintf(err, errsz, "[%s] %s: '%s' is not an integer in %ld..%ld",
                     o->section, o->key, v, o->min, o->max);
            return UB_ECONFIG;
        }
        *long_at(c, o) = n;
        return UB_OK;
    }
    case OPT_BOOL:
        if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") ||
            !strcasecmp(v, "on")) {
            *bool_at(c, o) = true;
        } else if (!strcasecmp(v, "false") || !strcmp(v, "0") ||
                   !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
            *bool_at(c, o) = false;
        } else {
            snprintf(err, errsz, "[%s] %s: '%s' is not a boolean", o->section,
                     o->key, v);
            return UB_ECONFIG;
        }
        return UB_OK;
    }
    return UB_EINVAL;
}

int bridge_config_defaults(struct bridge_config *c)
{
    char err[128];

    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < UB_ARRAY_LEN(opts); i++) {
        int e = set_opt(c, &opts[i], opts[i].def, err, sizeof(err));
        if (e)
            return e;
    }
    c->source = ub_strdup("embedded default");
    return c->source ? UB_OK : UB_ENOMEM;
}

static int add_cred(struct bridge_config *c, const char *user,
                    const char *pw)
{
    struct bridge_cred *v;

    if (c->n_creds >= 1000000)
        return UB_ETOOBIG;
    v = ub_realloc(c->creds, (c->n_creds + 1) * sizeof(*v));
    if (!v)
        return UB_ENOMEM;
    c->creds = v;
    v[c->n_creds].username = ub_strdup(user);
    v[c->n_creds].password = ub_strdup(pw);
    if (!v[c->n_creds].username || !v[c->n_creds].password) {
        ub_free(v[c->n_creds].username);
        ub_free(v[c->n_creds].password);
        return UB_ENOMEM;
    }
    c->n_creds++;
    return UB_OK;
}

int bridge_config_set(struct bridge_config *c, const char *section,
                      const char *key, const char *value, char *err,
                      size_t errsz)
{
    if (strcmp(section, "cpe-credentials") == 0)
        return add_cred(c, key, value);
    for (size_t i = 0; i < UB_ARRAY_LEN(opts); i++) {
        if (strcmp(opts[i].section, section) == 0 &&
            strcmp(opts[i].key, key) == 0)
            return set_opt(c, &opts[i], value, err, errsz);
    }
    snprintf(err, errsz, "unknown option [%s] %s", section, key);
    return UB_ECONFIG;
}

struct load_ctx {
    struct bridge_config *c;
    char *err;
    size_t errsz;
    int result;
};

static int on_ini(void *user, const char *section, const char *name,
                  const char *value)
{
    struct load_ctx *lc = user;
    char msg[256];
    int e;

    if (!name) /* section start */
        return 1;
    e = bridge_config_set(lc->c, section, name, value, msg, sizeof(msg));
    if (e) {
        if (!lc->result) {
            lc->result = e;
            snprintf(lc->err, lc->errsz, "%s",
                     e == UB_ENOMEM ? "out of memory" : msg);
        }
        return 0;
    }
    return 1;
}

int bridge_config_load(struct bridge_config *c, const char *path, char *err,
                       size_t errsz)
{
    struct load_ctx lc = {c, err, errsz, 0};
    char *src = ub_strdup(path);
    FILE *f;
    int r;

    if (!src)
        return UB_ENOMEM;
    ub_free(c->source);
    c->source = src;
    f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return UB_ECONFIG;
    }
    /* inih returns the line of the first error (handler refusal or syntax) */
    r = ini_parse_file(f, on_ini, &lc);
    fclose(f);
    if (lc.result) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", err);
        snprintf(err, errsz, "%s:%d: %s", path, r, msg);
        return lc.result;
    }
    if (r != 0) {
        snprintf(err, errsz, "%s:%d: syntax error", path, r);
        return UB_ECONFIG;
    }
    return UB_OK;
}

static int check_readable(const char *what, const char *path, char *err,
                          size_t errsz)
{
    if (path && *path && access(path, R_OK) != 0) {
        snprintf(err, errsz, "%s '%s': %s", what, path, strerror(errno));
        return UB_ECONFIG;
    }
    return UB_OK;
}

int bridge_config_validate(const struct bridge_config *c, char *err,
                           size_t errsz)
{
    int e;

    if (!*c->cwmp_tls_cert != !*c->cwmp_tls_key) {
        snprintf(err, errsz, "[cwmp] tls_cert and tls_key go together");
        return UB_ECONFIG;
    }
    if (*c->cwmp_tls_client_ca && !*c->cwmp_tls_cert) {
        snprintf(err, errsz, "[cwmp] tls_client_ca needs tls_cert and tls_key");
        return UB_ECONFIG;
    }
    if ((e = check_readable("[cwmp] tls_cert", c->cwmp_tls_cert, err, errsz)) ||
        (e = check_readable("[cwmp] tls_key", c->cwmp_tls_key, err, errsz)) ||
        (e = check_readable("[cwmp] tls_client_ca", c->cwmp_tls_client_ca, err,
                            errsz)))
        return e;
    if (strcmp(c->cwmp_auth, "none") != 0 && !*c->cwmp_username &&
        !c->n_creds) {
        snprintf(err, errsz, "[cwmp] auth=%s needs username/password or "
                 "[cpe-credentials]", c->cwmp_auth);
        return UB_ECONFIG;
    }
    if (!*c->cwmp_path || c->cwmp_path[0] != '/') {
        snprintf(err, errsz, "[cwmp] path must start with '/'");
        return UB_ECONFIG;
    }
    if (c->store_map_max_mb < c->store_map_size_mb) {
        snprintf(err, errsz, "[store] map_max_mb is below map_size_mb");
        return UB_ECONFIG;
    }
    {
        const char *p = c->sync_periodic_paths;
        while (p && *p) {
            const char *end = strchr(p, ',');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            char path[UB_PATH_MAX + 1];
            while (n && *p == ' ') {
                p++;
                n--;
            }
            while (n && p[n - 1] == ' ')
                n--;
            if (n >= sizeof(path)) {
                snprintf(err, errsz, "[sync] periodic_paths: path too long");
                return UB_ECONFIG;
            }
            memcpy(path, p, n);
            path[n] = '\0';
            if (!ub_path_is_valid(path) || !ub_path_is_object(path)) {
                snprintf(err, errsz, "[sync] periodic_paths: '%s' is not an "
                         "object path like Device.WiFi.", path);
                return UB_ECONFIG;
            }
            p = end ? end + 1 : NULL;
        }
    }
    if (!strstr(c->usp_mqtt_agent_topic, "%s") ||
        strchr(strstr(c->usp_mqtt_agent_topic, "%s") + 1, '%')) {
        snprintf(err, errsz, "[usp] mqtt_agent_topic needs exactly one %%s");
        return UB_ECONFIG;
    }
    return UB_OK;
}

static void print_wrapped(FILE *f, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t n = strlen(p), cut = n;
        if (n > 74) {
            cut = 74;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = 74;
        }
        fprintf(f, "# %.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

void bridge_config_print(const struct bridge_config *c, bool show_secrets,
                         void *fp)
{
    FILE *f = fp;
    const char *sec = "";
    struct bridge_config *mc = (struct bridge_config *)c;

    fprintf(f, "# uspbridged configuration (from %s)\n", c->source);
    for (size_t i = 0; i < UB_ARRAY_LEN(opts); i++) {
        const struct opt *o = &opts[i];
        if (strcmp(sec, o->section) != 0) {
            sec = o->section;
            fprintf(f, "\n[%s]\n", sec);
        }
        fprintf(f, "\n");
        print_wrapped(f, o->help);
        fprintf(f, "# default: %s\n", *o->def ? o->def : "(empty)");
        switch (o->type) {
        case OPT_STR: {
            const char *v = *str_at(mc, o);
            fprintf(f, "%s = %s\n", o->key,
                    o->secret && !show_secrets && *v ? "********" : v);
            break;
        }
        case OPT_LONG:
            fprintf(f, "%s = %ld\n", o->key, *long_at(mc, o));
            break;
        case OPT_BOOL:
            fprintf(f, "%s = %s\n", o->key, *bool_at(mc, o) ? "true" : "false");
            break;
        }
    }
    fprintf(f, "\n[cpe-credentials]\n# Per-device credentials: <username> = "
               "<password>, one per line.\n");
    for (size_t i = 0; i < c->n_creds; i++)
        fprintf(f, "%s = %s\n", c->creds[i].username,
                show_secrets ? c->creds[i].password : "********");
}

void bridge_config_free(struct bridge_config *c)
{
    for (size_t i = 0; i < UB_ARRAY_LEN(opts); i++)
        if (opts[i].type == OPT_STR)
            ub_free(*str_at(c, &opts[i]));
    for (size_t i = 0; i < c->n_creds; i++) {
        ub_free(c->creds[i].username);
        ub_free(c->creds[i].password);
    }
    ub_free(c->creds);
    ub_free(c->source);
    memset(c, 0, sizeof(*c));
}
