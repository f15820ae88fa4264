/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* uspbridged: command line, configuration, the one libuv loop. */
#include "bridge.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOD "main"

static const char usage_text[] =
"NAME\n"
"    uspbridged - CWMP (TR-069) to USP (TR-369) migration gateway\n"
"\n"
"SYNOPSIS\n"
"    uspbridged [--config FILE] [OPTIONS]\n"
"    uspbridged --check-config [--config FILE] [OPTIONS]\n"
"    uspbridged --print-config [--config FILE] [OPTIONS]\n"
"\n"
"DESCRIPTION\n"
"    uspbridged acts as the ACS towards TR-069 devices (SOAP over HTTP/S,\n"
"    CPE-initiated sessions, Connection Requests) and presents every device\n"
"    to USP Controllers as a native USP Agent (endpoint os::<OUI>-<Serial>)\n"
"    over MQTT and WebSocket.  Each device's parameter tree is cached in an\n"
"    LMDB store under the data directory.\n"
"\n"
"    Without --config it runs on the embedded default configuration: the\n"
"    ACS endpoint on http://127.0.0.1:7547/ (Digest, user cpe, password\n"
"    cpe), the WebSocket MTP on ws://127.0.0.1:8080/usp/<endpoint-id>, and\n"
"    state under ./data.  It runs in the foreground and logs to stderr;\n"
"    use a service manager to daemonize.\n"
"\n"
"OPTIONS\n"
"    -c, --config FILE      Read the INI configuration FILE over the\n"
"                           embedded defaults.\n"
"    -t, --check-config     Load and validate the configuration, print\n"
"                           'configuration OK' and exit 0, or print the\n"
"                           error (file:line) and exit 2.\n"
"    -p, --print-config     Print the effective configuration, every\n"
"                           option with its help text and default, and\n"
"                           exit.  Secrets are masked.\n"
"    -d, --data-dir DIR     Override [general] data_dir.\n"
"    -l, --log-level LVL    Override [general] log_level (err, warn,\n"
"                           notice, info, debug).\n"
"    -L, --log-file FILE    Override [general] log_file (- = stderr).\n"
"        --cwmp-listen ADDR Override [cwmp] listen.\n"
"        --cwmp-port PORT   Override [cwmp] port (0 = any free port).\n"
"        --ws-port PORT     Override [usp] ws_port (0 = any free port,\n"
"                           -1 = no WebSocket MTP).\n"
"        --mqtt-broker HOST[:PORT]\n"
"                           Override [usp] mqtt_broker (and mqtt_port).\n"
"    -o, --set SECTION.KEY=VALUE\n"
"                           Override any option; may be repeated.\n"
"    -h, --help             Show this text and exit.\n"
"    -V, --version          Show the version and exit.\n"
"\n"
"SIGNALS\n"
"    SIGTERM, SIGINT  Stop cleanly: open CWMP sessions are ended, pending\n"
"                     requests answered, the store flushed and closed.\n"
"    SIGHUP           Reopen the log file (after rotation).\n"
"\n"
"EXIT STATUS\n"
"    0 on a clean stop, 1 on a runtime failure, 2 on a usage or\n"
"    configuration error.\n"
"\n"
"FILES\n"
"    <data_dir>/db     The LMDB store (inspect with uspbridge-db).\n"
"\n"
"SEE ALSO\n"
"    uspbridge-db(1), cwmp-sim(1), usp-ctl(1), docs/configuration.md\n";

enum { OPT_CWMP_LISTEN = 256, OPT_CWMP_PORT, OPT_WS_PORT, OPT_MQTT_BROKER };

static int apply_set(struct bridge_config *cfg, const char *arg)
{
    char buf[512], err[256];
    char *dot, *eq;
    int e;

    if (strlen(arg) >= sizeof(buf)) {
        fprintf(stderr, "uspbridged: --set argument too long\n");
        return UB_ECONFIG;
    }
    strcpy(buf, arg);
    dot = strchr(buf, '.');
    eq = strchr(buf, '=');
    if (!dot || !eq || dot > eq) {
        fprintf(stderr, "uspbridged: --set wants SECTION.KEY=VALUE, got '%s'\n",
                arg);
        return UB_ECONFIG;
    }
    *dot = '\0';
    *eq = '\0';
    e = bridge_config_set(cfg, buf, dot + 1, eq + 1, err, sizeof(err));
    if (e)
        fprintf(stderr, "uspbridged: %s\n", err);
    return e;
}

static int mkdir_p(const char *path)
{
    char tmp[1024];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 't'},
        {"print-config", no_argument, NULL, 'p'},
        {"data-dir", required_argument, NULL, 'd'},
        {"log-level", required_argument, NULL, 'l'},
        {"log-file", required_argument, NULL, 'L'},
        {"cwmp-listen", required_argument, NULL, OPT_CWMP_LISTEN},
        {"cwmp-port", required_argument, NULL, OPT_CWMP_PORT},
        {"ws-port", required_argument, NULL, OPT_WS_PORT},
        {"mqtt-broker", required_argument, NULL, OPT_MQTT_BROKER},
        {"set", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct bridge_config cfg;
    struct bridge b;
    uv_loop_t loop;
    const char *config_path = NULL;
    bool check = false, print = false;
    char err[512];
    int c, e;
    /* overrides are applied after the file, in command-line order */
    const char *sets[64];
    size_t n_sets = 0;
    char *owned[64];
    size_t n_owned = 0;

    while ((c = getopt_long(argc, argv, "c:tpd:l:L:o:hV", longopts, NULL)) !=
           -1) {
        char *s = NULL;
        switch (c) {
        case 'c': config_path = optarg; break;
        case 't': check = true; break;
        case 'p': print = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'V': printf("uspbridged %s\n", UB_VERSION); return 0;
        case 'd': s = ub_asprintf("general.data_dir=%s", optarg); break;
        case 'l': s = ub_asprintf("general.log_level=%s", optarg); break;
        case 'L': s = ub_asprintf("general.log_file=%s", optarg); break;
        case OPT_CWMP_LISTEN: s = ub_asprintf("cwmp.listen=%s", optarg); break;
        case OPT_CWMP_PORT: s = ub_asprintf("cwmp.port=%s", optarg); break;
        case OPT_WS_PORT: s = ub_asprintf("usp.ws_port=%s", optarg); break;
        case OPT_MQTT_BROKER: {
            const char *colon = strrchr(optarg, ':');
            if (colon && n_owned < UB_ARRAY_LEN(owned) &&
                n_sets < UB_ARRAY_LEN(sets)) {
                owned[n_owned] = ub_asprintf("usp.mqtt_port=%s", colon + 1);
                sets[n_sets++] = owned[n_owned++];
                s = ub_asprintf("usp.mqtt_broker=%.*s", (int)(colon - optarg),
                                optarg);
            } else {
                s = ub_asprintf("usp.mqtt_broker=%s", optarg);
            }
            break;
        }
        case 'o':
            if (n_sets < UB_ARRAY_LEN(sets))
                sets[n_sets++] = optarg;
            break;
        default:
            fprintf(stderr, "Try 'uspbridged --help'.\n");
            return 2;
        }
        if (s) {
            if (n_owned >= UB_ARRAY_LEN(owned) || n_sets >= UB_ARRAY_LEN(sets)) {
                fprintf(stderr, "uspbridged: too many overrides\n");
                return 2;
            }
            owned[n_owned++] = s;
            sets[n_sets++] = s;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "uspbridged: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    if (bridge_config_defaults(&cfg)) {
        fprintf(stderr, "uspbridged: out of memory\n");
        return 1;
    }
    e = config_path ? bridge_config_load(&cfg, config_path, err, sizeof(err))
                    : UB_OK;
    for (size_t i = 0; !e && i < n_sets; i++)
        e = apply_set(&cfg, sets[i]);
    for (size_t i = 0; i < n_owned; i++)
        ub_free(owned[i]);
    if (!e)
        e = bridge_config_validate(&cfg, err, sizeof(err));
    if (!e) {
        /* options whose syntax the bridge itself parses (controller list,
         * Get policies): checked here too, so --check-config catches them */
        struct bridge *scratch = ub_calloc(1, sizeof(*scratch));
        if (!scratch) {
            fprintf(stderr, "uspbridged: out of memory\n");
            bridge_config_free(&cfg);
            return 1;
        }
        scratch->cfg = &cfg;
        e = bridge_controllers_parse(scratch);
        if (!e)
            e = bridge_policies_parse(scratch);
        ub_free(scratch);
        err[0] = '\0'; /* the parsers logged the reason */
    }
    if (e) {
        if (e != UB_ECONFIG || err[0])
            fprintf(stderr, "uspbridged: %s\n", err);
        bridge_config_free(&cfg);
        return 2;
    }
    if (print)
        bridge_config_print(&cfg, false, stdout);
    if (check || print) {
        if (check)
            printf("configuration OK (%s)\n", cfg.source);
        bridge_config_free(&cfg);
        return 0;
    }

    {
        enum ub_log_level lvl;
        if (ub_log_level_parse(cfg.log_level, &lvl) == UB_OK)
            ub_log_set_level(lvl);
    }
    if (ub_log_open(cfg.log_file)) {
        bridge_config_free(&cfg);
        return 1;
    }
    if (mkdir_p(cfg.data_dir) != 0) {
        UB_LOGE(MOD, "cannot create data directory %s: %s", cfg.data_dir,
                strerror(errno));
        bridge_config_free(&cfg);
        return 1;
    }
    UB_LOGN(MOD, "uspbridged %s starting (configuration: %s)", UB_VERSION,
            cfg.source);

    uv_loop_init(&loop);
    e = bridge_init(&b, &loop, &cfg);
    if (!e)
        e = bridge_start(&b);
    if (e) {
        UB_LOGE(MOD, "start-up failed: %s", ub_strerror(e));
        bridge_stop(&b);
        uv_run(&loop, UV_RUN_DEFAULT);
        bridge_destroy(&b);
        uv_loop_close(&loop);
        bridge_config_free(&cfg);
        ub_log_close();
        return 1;
    }
    if (*cfg.pid_file) {
        FILE *pf = fopen(cfg.pid_file, "w");
        if (pf) {
            fprintf(pf, "%ld\n", (long)getpid());
            fclose(pf);
        } else {
            UB_LOGW(MOD, "cannot write pid file %s: %s", cfg.pid_file,
                    strerror(errno));
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    bridge_destroy(&b);
    if (uv_loop_close(&loop) != 0)
        UB_LOGW(MOD, "event loop closed with handles still open");
    UB_LOGN(MOD, "uspbridged stopped");
    if (*cfg.pid_file)
        unlink(cfg.pid_file);
    e = b.exit_code;
    bridge_config_free(&cfg);
    ub_log_close();
    return e;
}
