/*
 * cwmp-sim: command line.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include "sim_engine.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
"NAME\n"
"    cwmp-sim - simulated TR-069 (CWMP) CPEs for tests and benchmarks\n"
"\n"
"SYNOPSIS\n"
"    cwmp-sim --acs URL [OPTIONS]\n"
"\n"
"DESCRIPTION\n"
"    Runs N simulated CPEs (home gateways) in one process, each with its own\n"
"    copy-on-write view of a data model loaded from a file, against the ACS\n"
"    at URL.  Each device opens CWMP sessions (Inform, then the ACS's RPCs,\n"
"    until the ACS answers 204), answers every CPE RPC from its model, and\n"
"    listens for Connection Requests.  Everything runs on one libuv loop\n"
"    (libcurl multi for sessions, libmicrohttpd for Connection Requests).\n"
"\n"
"OPTIONS\n"
"  ACS\n"
"    --acs URL               ACS URL (http:// or https://); required\n"
"    --username U, --password P\n"
"                            ACS credentials (ManagementServer.Username /\n"
"                            .Password; the ACS may change them)\n"
"    --auth basic|digest|any|none\n"
"                            HTTP authentication towards the ACS (any)\n"
"    --cacert FILE           CA bundle to verify an https ACS\n"
"    --insecure              do not verify the ACS certificate\n"
"    --cert FILE, --key FILE client certificate and key (PEM)\n"
"    --cwmp-version 1.0..1.4 version of the envelopes sent (1.0)\n"
"    --http-timeout S        per HTTP request (30)\n"
"\n"
"  Devices\n"
"    --model FILE            data-model file (default: the shipped TR-181\n"
"                            tr181-hgw.tsv, or tr098-igd.tsv with\n"
"                            --quirk tr098); format in README.md\n"
"    --count N               number of devices (1)\n"
"    --serial-prefix S       serial numbers are S000001, S000002, ... (SIM)\n"
"    --oui OUI               ManufacturerOUI (ACDE48)\n"
"    --product-class PC      ProductClass (SimGW)\n"
"    --manufacturer M        Manufacturer (uspbridge-sim)\n"
"    --state-dir DIR         keep each device's state (changes, pending\n"
"                            events, bootstrapped) in DIR/<serial>.state\n"
"                            across restarts; without it every start is a\n"
"                            fresh device (0 BOOTSTRAP)\n"
"\n"
"  Sessions\n"
"    --event bootstrap|boot|periodic\n"
"                            event of the first Inform (by state)\n"
"    --periodic S            periodic inform interval, 0 = off (0)\n"
"    --once                  each device runs one session, then the\n"
"                            process exits: status 0 only if every session\n"
"                            ended with the ACS's 204\n"
"    --sessions K            each device runs K sessions back to back, then\n"
"                            exit (load generation); same exit status\n"
"    --max-concurrent C      sessions running at once (256)\n"
"    --ramp S                spread the first sessions over S seconds (0)\n"
"    --duration S            stop after S seconds\n"
"    --reboot-delay MS       time a Reboot or FactoryReset takes (1000)\n"
"    --transfer-time S       time a Download/Upload takes (1)\n"
"\n"
"  Connection Requests\n"
"    --cr-port PORT          listener port, 0 = any free port, -1 = none (0);\n"
"                            URL http://<bind>:<port>/cr/<serial> goes into\n"
"                            ManagementServer.ConnectionRequestURL\n"
"    --cr-bind ADDR          listener IPv4 address (127.0.0.1)\n"
"    --cr-username U, --cr-password P\n"
"                            initial ConnectionRequestUsername/Password\n"
"                            (cpe / cpe; the ACS may change them)\n"
"    --cr-auth digest|basic|none\n"
"                            authentication demanded (digest, MD5)\n"
"\n"
"  Quirks (--quirk NAME, repeatable): behave like sloppy real CPEs\n"
"    periodic-first          first Inform (and after an ACS change) says\n"
"                            2 PERIODIC instead of 0 BOOTSTRAP\n"
"    no-xsi-type             no xsi:type attribute on any value\n"
"    bad-arraytype-count     SOAP-ENC:arrayType counts off by one\n"
"    gpv-9004                GetParameterValues of more than --gpv-limit\n"
"                            parameters (100) fails with fault 9004\n"
"    basic-upfront           Basic credentials on the first request, and\n"
"                            give up on any non-2xx answer (401 included)\n"
"    echo-cookie-attrs       echo each Set-Cookie back whole, attributes\n"
"                            and all (Cookie: s=1; Path=/)\n"
"    spv-always-0            SetParameterValues answers Status 0 even for\n"
"                            read-only parameters (which stay unchanged)\n"
"    tr098                   InternetGatewayDevice. model (TR-098)\n"
"    mixed-ns-prefixes       other prefixes (soap:, soapenc:, xs:) and the\n"
"                            cwmp namespace bound twice (cwmp: in the\n"
"                            Header, ns2: in the Body)\n"
"    naive-parser            give up on ACS envelopes without the literal\n"
"                            cwmp: prefix or without a cwmp:ID header\n"
"\n"
"  Control and output\n"
"    --control PORT          line protocol on 127.0.0.1:PORT (0 = any):\n"
"                            set|get|add|del|inform|stats|quit, see README\n"
"    --json                  JSON lines on stdout: session_start, rpc,\n"
"                            rpc_fault, session_end, cr_listen, cr_received,\n"
"                            auth_failed, control_listen, summary, ...\n"
"    --log-level LEVEL       err|warn|notice|info|debug (warn)\n"
"    -h, --help              this text\n"
"\n"
"EXIT STATUS\n"
"    0 when every session ended with 204 (or empty 200) from the ACS,\n"
"    1 when one failed, 2 for usage errors.  A summary line (sessions ok,\n"
"    failed, sessions/s) is printed at the end and on SIGTERM/SIGINT.\n"
"\n"
"EXAMPLES\n"
"    cwmp-sim --acs http://127.0.0.1:7547/ --username cpe --password pw \\\n"
"             --count 1000 --once --max-concurrent 1000 --json\n"
"    cwmp-sim --acs http://127.0.0.1:7547/ --control 7600 --periodic 60\n";

enum {
    O_ACS = 256, O_MODEL, O_COUNT, O_SERIAL, O_OUI, O_PC, O_MANU, O_USER,
    O_PASS, O_AUTH, O_CRPORT, O_CRBIND, O_CRUSER, O_CRPASS, O_CRAUTH,
    O_PERIODIC, O_EVENT, O_ONCE, O_SESSIONS, O_MAXC, O_CACERT, O_INSECURE,
    O_CERT, O_KEY, O_STATE, O_QUIRK, O_CONTROL, O_JSON, O_RAMP, O_DURATION,
    O_HTTPTO, O_GPVLIMIT, O_XFER, O_REBOOT, O_VERSION, O_LOG,
};

static const struct option longopts[] = {
    {"acs", required_argument, NULL, O_ACS},
    {"model", required_argument, NULL, O_MODEL},
    {"count", required_argument, NULL, O_COUNT},
    {"serial-prefix", required_argument, NULL, O_SERIAL},
    {"oui", required_argument, NULL, O_OUI},
    {"product-class", required_argument, NULL, O_PC},
    {"manufacturer", required_argument, NULL, O_MANU},
    {"username", required_argument, NULL, O_USER},
    {"password", required_argument, NULL, O_PASS},
    {"auth", required_argument, NULL, O_AUTH},
    {"cr-port", required_argument, NULL, O_CRPORT},
    {"cr-bind", required_argument, NULL, O_CRBIND},
    {"cr-username", required_argument, NULL, O_CRUSER},
    {"cr-password", required_argument, NULL, O_CRPASS},
    {"cr-auth", required_argument, NULL, O_CRAUTH},
    {"periodic", required_argument, NULL, O_PERIODIC},
    {"event", required_argument, NULL, O_EVENT},
    {"once", no_argument, NULL, O_ONCE},
    {"sessions", required_argument, NULL, O_SESSIONS},
    {"max-concurrent", required_argument, NULL, O_MAXC},
    {"cacert", required_argument, NULL, O_CACERT},
    {"insecure", no_argument, NULL, O_INSECURE},
    {"cert", required_argument, NULL, O_CERT},
    {"key", required_argument, NULL, O_KEY},
    {"state-dir", required_argument, NULL, O_STATE},
    {"quirk", required_argument, NULL, O_QUIRK},
    {"control", required_argument, NULL, O_CONTROL},
    {"json", no_argument, NULL, O_JSON},
    {"ramp", required_argument, NULL, O_RAMP},
    {"duration", required_argument, NULL, O_DURATION},
    {"http-timeout", required_argument, NULL, O_HTTPTO},
    {"gpv-limit", required_argument, NULL, O_GPVLIMIT},
    {"transfer-time", required_argument, NULL, O_XFER},
    {"reboot-delay", required_argument, NULL, O_REBOOT},
    {"cwmp-version", required_argument, NULL, O_VERSION},
    {"log-level", required_argument, NULL, O_LOG},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *arg)
{
    fprintf(stderr, "cwmp-sim: invalid value for --%s: '%s' (see --help)\n",
            opt, arg);
    return 2;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || !*s || *s == '-')
        return false;
    v = strtoul(s, &end, 10);
    if (*end || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_auth(const char *s, enum sim_auth *out, bool allow_any)
{
    if (!strcmp(s, "none")) *out = SIM_AUTH_NONE;
    else if (!strcmp(s, "basic")) *out = SIM_AUTH_BASIC;
    else if (!strcmp(s, "digest")) *out = SIM_AUTH_DIGEST;
    else if (allow_any && !strcmp(s, "any")) *out = SIM_AUTH_ANY;
    else return false;
    return true;
}

static const char *default_model(bool tr098)
{
    static char path[1024];
    const char *name = tr098 ? "tr098-igd.tsv" : "tr181-hgw.tsv";

    snprintf(path, sizeof(path), "%s/%s", SIM_MODEL_DIR, name);
    if (access(path, R_OK) == 0)
        return path;
    snprintf(path, sizeof(path), "%s/%s", SIM_MODEL_INSTALL_DIR, name);
    return path;
}

static void raise_nofile(void)
{
    struct rlimit rl;

    /* each running session holds a socket and its multi handle's wakeup
     * pair: 1,000 concurrent sessions need several thousand descriptors */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            UB_LOGW("cwmp-sim", "cannot raise RLIMIT_NOFILE");
    }
}

int main(int argc, char **argv)
{
    struct sim_opts o = {
        .count = 1, .serial_prefix = "SIM", .oui = "ACDE48",
        .product_class = "SimGW", .manufacturer = "uspbridge-sim",
        .username = "", .password = "", .auth = SIM_AUTH_ANY,
        .cr_port = 0, .cr_bind = "127.0.0.1", .cr_username = "cpe",
        .cr_password = "cpe", .cr_auth = SIM_AUTH_DIGEST,
        .max_concurrent = 256, .control_port = -1, .http_timeout_s = 30,
        .gpv_limit = 100, .transfer_s = 1, .reboot_delay_ms = 1000,
        .version = CWMP_V1_0,
    };
    struct sim_engine e;
    uv_loop_t loop;
    unsigned long v;
    int c, rc;

    ub_log_set_level(UB_LOG_WARN);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_ACS: o.acs_url = optarg; break;
        case O_MODEL: o.model_file = optarg; break;
        case O_COUNT:
            if (!parse_uint(optarg, 1000000, &v) || !v) return bad("count", optarg);
            o.count = (unsigned)v;
            break;
        case O_SERIAL: o.serial_prefix = optarg; break;
        case O_OUI: o.oui = optarg; break;
        case O_PC: o.product_class = optarg; break;
        case O_MANU: o.manufacturer = optarg; break;
        case O_USER: o.username = optarg; break;
        case O_PASS: o.password = optarg; break;
        case O_AUTH:
            if (!parse_auth(optarg, &o.auth, true)) return bad("auth", optarg);
            break;
        case O_CRPORT:
            if (!strcmp(optarg, "-1") || !strcmp(optarg, "off")) {
                o.cr_port = -1;
                break;
            }
            if (!parse_uint(optarg, 65535, &v)) return bad("cr-port", optarg);
            o.cr_port = (int)v;
            break;
        case O_CRBIND: o.cr_bind = optarg; break;
        case O_CRUSER: o.cr_username = optarg; break;
        case O_CRPASS: o.cr_password = optarg; break;
        case O_CRAUTH:
            if (!parse_auth(optarg, &o.cr_auth, false)) return bad("cr-auth", optarg);
            break;
        case O_PERIODIC:
            if (!parse_uint(optarg, 0x7fffffffUL, &v)) return bad("periodic", optarg);
            o.periodic = (unsigned)v;
            break;
        case O_EVENT:
            if (!strcmp(optarg, "bootstrap")) o.first_event = "0 BOOTSTRAP";
            else if (!strcmp(optarg, "boot")) o.first_event = "1 BOOT";
            else if (!strcmp(optarg, "periodic")) o.first_event = "2 PERIODIC";
            else return bad("event", optarg);
            break;
        case O_ONCE: o.sessions = 1; break;
        case O_SESSIONS:
            if (!parse_uint(optarg, 0x7fffffffUL, &v) || !v) return bad("sessions", optarg);
            o.sessions = (unsigned)v;
            break;
        case O_MAXC:
            if (!parse_uint(optarg, 1000000, &v) || !v) return bad("max-concurrent", optarg);
            o.max_concurrent = (unsigned)v;
            break;
        case O_CACERT: o.cacert = optarg; break;
        case O_INSECURE: o.insecure = true; break;
        case O_CERT: o.cert = optarg; break;
        case O_KEY: o.key = optarg; break;
        case O_STATE: o.state_dir = optarg; break;
        case O_QUIRK: {
            unsigned q = sim_quirk_from_name(optarg);
            if (!q) {
                fprintf(stderr, "cwmp-sim: unknown quirk '%s' (known: %s)\n",
                        optarg, sim_quirk_names());
                return 2;
            }
            o.quirks |= q;
            break;
        }
        case O_CONTROL:
            if (!parse_uint(optarg, 65535, &v)) return bad("control", optarg);
            o.control_port = (int)v;
            break;
        case O_JSON: o.json = true; break;
        case O_RAMP:
            if (!parse_uint(optarg, 86400, &v)) return bad("ramp", optarg);
            o.ramp_ms = (unsigned)v * 1000u;
            break;
        case O_DURATION:
            if (!parse_uint(optarg, 0x7fffffffUL, &v)) return bad("duration", optarg);
            o.duration_s = (unsigned)v;
            break;
        case O_HTTPTO:
            if (!parse_uint(optarg, 3600, &v) || !v) return bad("http-timeout", optarg);
            o.http_timeout_s = (unsigned)v;
            break;
        case O_GPVLIMIT:
            if (!parse_uint(optarg, 1000000, &v) || !v) return bad("gpv-limit", optarg);
            o.gpv_limit = (unsigned)v;
            break;
        case O_XFER:
            if (!parse_uint(optarg, 86400, &v)) return bad("transfer-time", optarg);
            o.transfer_s = (unsigned)v;
            break;
        case O_REBOOT:
            if (!parse_uint(optarg, 3600000, &v)) return bad("reboot-delay", optarg);
            o.reboot_delay_ms = (unsigned)v;
            break;
        case O_VERSION:
            if (strlen(optarg) != 3 || strncmp(optarg, "1.", 2) != 0 ||
                optarg[2] < '0' || optarg[2] > '4')
                return bad("cwmp-version", optarg);
            o.version = (enum cwmp_version)(optarg[2] - '0');
            break;
        case O_LOG: {
            enum ub_log_level lvl;
            if (ub_log_level_parse(optarg, &lvl) != UB_OK)
                return bad("log-level", optarg);
            ub_log_set_level(lvl);
            break;
        }
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fprintf(stderr, "cwmp-sim: see --help\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cwmp-sim: unexpected argument '%s' (see --help)\n",
                argv[optind]);
        return 2;
    }
    if (!o.acs_url) {
        fprintf(stderr, "cwmp-sim: --acs URL is required (see --help)\n");
        return 2;
    }
    if (strncmp(o.acs_url, "http://", 7) != 0 &&
        strncmp(o.acs_url, "https://", 8) != 0)
        return bad("acs", o.acs_url);
    if (o.state_dir && mkdir(o.state_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cwmp-sim: cannot create --state-dir %s: %s\n",
                o.state_dir, strerror(errno));
        return 2;
    }
    if (!o.model_file)
        o.model_file = default_model(o.quirks & SIM_Q_TR098);
    if (o.json)
        setvbuf(stdout, NULL, _IOLBF, 0);
    raise_nofile();
    srand((unsigned)getpid());

    if (uv_loop_init(&loop) != 0)
        return 1;
    rc = sim_engine_init(&e, &loop, &o);
    if (rc) {
        fprintf(stderr, "cwmp-sim: cannot start: %s\n", ub_strerror(rc));
        sim_engine_stop(&e);
        uv_run(&loop, UV_RUN_DEFAULT);
        sim_engine_free(&e);
        uv_loop_close(&loop);
        return 1;
    }
    sim_engine_start(&e);
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = (e.failed == 0 && (!o.sessions || e.done_devices == e.n)) ? 0 : 1;
    sim_engine_free(&e);
    if (uv_loop_close(&loop) != 0)
        UB_LOGW("cwmp-sim", "loop did not close cleanly");
    return rc;
}
