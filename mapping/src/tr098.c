/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * TR-098 (InternetGatewayDevice.) <-> TR-181 (Device.) path translation.
 *
 * DESIGN
 * A declarative table, best effort (docs/mapping.md calls it a stretch).
 * Two kinds of rows, both written on schema paths ("{i}" for instance
 * numbers):
 *   - exact rows: one parameter (or object) to one; tr181 == NULL hides a
 *     TR-098 name that has no TR-181 twin or would collide with one;
 *   - prefix rows (tr098 ending in '.', flagged): a whole subtree whose
 *     parameter names are the same on both sides.
 * Exact rows are tried first, then prefix rows, in table order; the first
 * match wins.  Instance numbers matched by "{i}" are carried over in order
 * (both sides of a row have the same number of "{i}").  Values are NOT
 * translated: where TR-098 and TR-181 enumerations differ (WLAN Status,
 * BeaconType, Standard) the parameter is simply not in the table.
 * LANDevice.1 is the only LANDevice translated (one LAN, as most CPEs
 * have); the WLANConfiguration.{i} index is used for the SSID, Radio and
 * AccessPoint instance alike, which holds for the usual one-SSID-per-radio
 * gateways and not beyond.
 */
#include "mapping_int.h"

#include <string.h>

struct tr098_row {
    const char *tr098, *tr181; /* tr181 NULL: hidden */
    bool prefix;
};

#define IGD "InternetGatewayDevice."
#define WLAN IGD "LANDevice.1.WLANConfiguration.{i}."

static const struct tr098_row rows[] = {
    /* exact rows */
    {IGD "Time.LocalTimeZone", NULL, false}, /* "+hh:mm": gone in TR-181 */
    {IGD "Time.LocalTimeZoneName", "Device.Time.LocalTimeZone", false},
    {WLAN, "Device.WiFi.SSID.{i}.", false},
    {WLAN "Enable", "Device.WiFi.SSID.{i}.Enable", false},
    {WLAN "SSID", "Device.WiFi.SSID.{i}.SSID", false},
    {WLAN "BSSID", "Device.WiFi.SSID.{i}.BSSID", false},
    {WLAN "TotalBytesSent", "Device.WiFi.SSID.{i}.Stats.BytesSent", false},
    {WLAN "TotalBytesReceived", "Device.WiFi.SSID.{i}.Stats.BytesReceived",
     false},
    {WLAN "TotalPacketsSent", "Device.WiFi.SSID.{i}.Stats.PacketsSent",
     false},
    {WLAN "TotalPacketsReceived",
     "Device.WiFi.SSID.{i}.Stats.PacketsReceived", false},
    {WLAN "RadioEnabled", "Device.WiFi.Radio.{i}.Enable", false},
    {WLAN "Channel", "Device.WiFi.Radio.{i}.Channel", false},
    {WLAN "AutoChannelEnable", "Device.WiFi.Radio.{i}.AutoChannelEnable",
     false},
    {WLAN "PossibleChannels", "Device.WiFi.Radio.{i}.PossibleChannels",
     false},
    {WLAN "SSIDAdvertisementEnabled",
     "Device.WiFi.AccessPoint.{i}.SSIDAdvertisementEnabled", false},
    {WLAN "KeyPassphrase",
     "Device.WiFi.AccessPoint.{i}.Security.KeyPassphrase", false},
    {WLAN "TotalAssociations",
     "Device.WiFi.AccessPoint.{i}.AssociatedDeviceNumberOfEntries", false},

    /* TR-098 prefixes the hop parameters with "Hop" */
    {IGD "TraceRouteDiagnostics.RouteHops.{i}.HopHost",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.Host", false},
    {IGD "TraceRouteDiagnostics.RouteHops.{i}.HopHostAddress",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.HostAddress", false},
    {IGD "TraceRouteDiagnostics.RouteHops.{i}.HopErrorCode",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.ErrorCode", false},
    {IGD "TraceRouteDiagnostics.RouteHops.{i}.HopRTTimes",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.RTTimes", false},

    /* prefix rows: same parameter names below */
    {IGD "DeviceInfo.", "Device.DeviceInfo.", true},
    {IGD "ManagementServer.", "Device.ManagementServer.", true},
    {IGD "Time.", "Device.Time.", true},
    {IGD "UserInterface.", "Device.UserInterface.", true},
    {IGD "IPPingDiagnostics.", "Device.IP.Diagnostics.IPPing.", true},
    {IGD "TraceRouteDiagnostics.", "Device.IP.Diagnostics.TraceRoute.", true},
    {IGD "DownloadDiagnostics.", "Device.IP.Diagnostics.DownloadDiagnostics.",
     true},
    {IGD "UploadDiagnostics.", "Device.IP.Diagnostics.UploadDiagnostics.",
     true},
    {IGD "LANDevice.1.Hosts.", "Device.Hosts.", true},
};

#undef WLAN
#undef IGD

#define MAX_INST 8

/* Matches concrete path p against pattern pat (exact or as a prefix).
 * Captures instance numbers (as pointers/lengths into p).  Returns the
 * number of bytes of p consumed, or 0 for no match. */
static size_t match(const char *p, const char *pat, bool prefix,
                    const char **inst, size_t *ilen, size_t *ninst)
{
    const char *s = p, *t = pat;

    *ninst = 0;
    while (*t) {
        if (strncmp(t, "{i}", 3) == 0) {
            size_t n = 0;
            if (strncmp(s, "{i}", 3) == 0) {
                n = 3; /* a schema path translates too */
            } else {
                while (s[n] >= '0' && s[n] <= '9')
                    n++;
                if (!ub_path_seg_is_instance(s, n))
                    return 0;
            }
            if (*ninst >= MAX_INST)
                return 0;
            inst[*ninst] = s;
            ilen[(*ninst)++] = n;
            s += n;
            t += 3;
            continue;
        }
        if (*s != *t)
            return 0;
        s++;
        t++;
    }
    if (!prefix && *s)
        return 0;
    return (size_t)(s - p);
}

/* Writes pattern pat with its "{i}" replaced by the captures, then rest. */
static char *build(const char *pat, const char *const *inst,
                   const size_t *ilen, size_t ninst, const char *rest)
{
    struct ub_buf b;
    size_t k = 0;

    ub_buf_init(&b, 2 * UB_PATH_MAX);
    if (ub_buf_append(&b, "", 0))
        return NULL;
    for (const char *t = pat; *t;) {
        const char *brace = strstr(t, "{i}");
        size_t lit = brace ? (size_t)(brace - t) : strlen(t);
        if (ub_buf_append(&b, t, lit))
            return NULL;
        t += lit;
        if (!brace)
            break;
        if (k >= ninst) {
            ub_buf_free(&b);
            return NULL; /* table error: caught by the unit test */
        }
        if (ub_buf_append(&b, inst[k], ilen[k]))
            return NULL;
        k++;
        t += 3;
    }
    if (rest && ub_buf_appends(&b, rest))
        return NULL;
    if (b.len > UB_PATH_MAX) {
        ub_buf_free(&b);
        return NULL;
    }
    return ub_buf_take(&b, NULL);
}

static char *translate(const char *path, bool to181, bool *hidden)
{
    const char *inst[MAX_INST];
    size_t ilen[MAX_INST], ninst;

    *hidden = false;
    if (!path || strnlen(path, UB_PATH_MAX + 1) > UB_PATH_MAX)
        return NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < UB_ARRAY_LEN(rows); i++) {
            const struct tr098_row *r = &rows[i];
            const char *from = to181 ? r->tr098 : r->tr181;
            const char *to = to181 ? r->tr181 : r->tr098;
            size_t used;

            if (r->prefix != (pass == 1) || !from)
                continue;
            used = match(path, from, r->prefix, inst, ilen, &ninst);
            if (!used)
                continue;
            if (!to) {
                *hidden = true;
                return NULL;
            }
            return build(to, inst, ilen, ninst, r->prefix ? path + used
                                                          : NULL);
        }
    }
    return NULL;
}

char *map_tr098_to_tr181(const char *path, bool *hidden)
{
    bool h;
    char *out = translate(path, true, &h);
    if (hidden)
        *hidden = h;
    return out;
}

char *map_tr181_to_tr098(const char *path)
{
    bool h;
    return translate(path, false, &h);
}

size_t map_tr098_row_count(void) { return UB_ARRAY_LEN(rows); }

bool map_tr098_row_at(size_t i, const char **tr098, const char **tr181,
                      bool *prefix)
{
    if (i >= UB_ARRAY_LEN(rows))
        return false;
    if (tr098)
        *tr098 = rows[i].tr098;
    if (tr181)
        *tr181 = rows[i].tr181;
    if (prefix)
        *prefix = rows[i].prefix;
    return true;
}
