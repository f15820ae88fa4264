/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Unit tests of the TR-098 <-> TR-181 path table (mapping/src/tr098.c):
 * one translation per row in both directions, plus misses. */
#include <ub/mapping.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define IGD "InternetGatewayDevice."
#define WLAN3 IGD "LANDevice.1.WLANConfiguration.3."

/* One row per table row (concrete examples); tr181 NULL = hidden. */
static const struct {
    const char *tr098, *tr181;
} rows[] = {
    {IGD "Time.LocalTimeZone", NULL},
    {IGD "Time.LocalTimeZoneName", "Device.Time.LocalTimeZone"},
    {WLAN3, "Device.WiFi.SSID.3."},
    {WLAN3 "Enable", "Device.WiFi.SSID.3.Enable"},
    {WLAN3 "SSID", "Device.WiFi.SSID.3.SSID"},
    {WLAN3 "BSSID", "Device.WiFi.SSID.3.BSSID"},
    {WLAN3 "TotalBytesSent", "Device.WiFi.SSID.3.Stats.BytesSent"},
    {WLAN3 "TotalBytesReceived", "Device.WiFi.SSID.3.Stats.BytesReceived"},
    {WLAN3 "TotalPacketsSent", "Device.WiFi.SSID.3.Stats.PacketsSent"},
    {WLAN3 "TotalPacketsReceived",
     "Device.WiFi.SSID.3.Stats.PacketsReceived"},
    {WLAN3 "RadioEnabled", "Device.WiFi.Radio.3.Enable"},
    {WLAN3 "Channel", "Device.WiFi.Radio.3.Channel"},
    {WLAN3 "AutoChannelEnable", "Device.WiFi.Radio.3.AutoChannelEnable"},
    {WLAN3 "PossibleChannels", "Device.WiFi.Radio.3.PossibleChannels"},
    {WLAN3 "SSIDAdvertisementEnabled",
     "Device.WiFi.AccessPoint.3.SSIDAdvertisementEnabled"},
    {WLAN3 "KeyPassphrase",
     "Device.WiFi.AccessPoint.3.Security.KeyPassphrase"},
    {WLAN3 "TotalAssociations",
     "Device.WiFi.AccessPoint.3.AssociatedDeviceNumberOfEntries"},
    {IGD "TraceRouteDiagnostics.RouteHops.2.HopHost",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.2.Host"},
    {IGD "TraceRouteDiagnostics.RouteHops.2.HopHostAddress",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.2.HostAddress"},
    {IGD "TraceRouteDiagnostics.RouteHops.2.HopErrorCode",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.2.ErrorCode"},
    {IGD "TraceRouteDiagnostics.RouteHops.2.HopRTTimes",
     "Device.IP.Diagnostics.TraceRoute.RouteHops.2.RTTimes"},
    {IGD "DeviceInfo.SoftwareVersion", "Device.DeviceInfo.SoftwareVersion"},
    {IGD "ManagementServer.URL", "Device.ManagementServer.URL"},
    {IGD "Time.NTPServer1", "Device.Time.NTPServer1"},
    {IGD "UserInterface.ISPName", "Device.UserInterface.ISPName"},
    {IGD "IPPingDiagnostics.Host", "Device.IP.Diagnostics.IPPing.Host"},
    {IGD "TraceRouteDiagnostics.NumberOfTries",
     "Device.IP.Diagnostics.TraceRoute.NumberOfTries"},
    {IGD "DownloadDiagnostics.DownloadURL",
     "Device.IP.Diagnostics.DownloadDiagnostics.DownloadURL"},
    {IGD "UploadDiagnostics.UploadURL",
     "Device.IP.Diagnostics.UploadDiagnostics.UploadURL"},
    {IGD "LANDevice.1.Hosts.Host.7.MACAddress",
     "Device.Hosts.Host.7.MACAddress"},
};

static void test_rows(void **state)
{
    (void)state;
    assert_int_equal(map_tr098_row_count(), sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        bool hidden = true;
        char *t = map_tr098_to_tr181(rows[i].tr098, &hidden);
        if (!rows[i].tr181) {
            assert_null(t);
            assert_true(hidden);
            continue;
        }
        if (!t || strcmp(t, rows[i].tr181) != 0)
            fail_msg("%s: want %s got %s", rows[i].tr098, rows[i].tr181,
                     t ? t : "(null)");
        assert_false(hidden);
        ub_free(t);
        t = map_tr181_to_tr098(rows[i].tr181);
        if (!t || strcmp(t, rows[i].tr098) != 0)
            fail_msg("back %s: want %s got %s", rows[i].tr181, rows[i].tr098,
                     t ? t : "(null)");
        ub_free(t);
    }
}

static void test_table_shape(void **state)
{
    (void)state;
    for (size_t i = 0; i < map_tr098_row_count(); i++) {
        const char *a, *b;
        bool prefix;
        size_t ia = 0, ib = 0;
        assert_true(map_tr098_row_at(i, &a, &b, &prefix));
        assert_non_null(a);
        assert_int_equal(strncmp(a, "InternetGatewayDevice.", 22), 0);
        if (!b)
            continue;
        assert_int_equal(strncmp(b, "Device.", 7), 0);
        for (const char *p = a; (p = strstr(p, "{i}")); p += 3)
            ia++;
        for (const char *p = b; (p = strstr(p, "{i}")); p += 3)
            ib++;
        assert_int_equal(ia, ib); /* instances carry over */
        if (prefix) {
            assert_true(ub_path_is_object(a));
            assert_true(ub_path_is_object(b));
        }
    }
    assert_false(map_tr098_row_at(map_tr098_row_count(), NULL, NULL, NULL));
}

static void test_misses_and_schema(void **state)
{
    bool hidden = true;
    char *t;
    (void)state;
    /* not in the table: WAN side, a second LANDevice, WLAN params whose
     * values differ, vendor extensions */
    static const char *const miss[] = {
        IGD "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1."
            "ExternalIPAddress",
        IGD "LANDevice.2.Hosts.Host.1.MACAddress",
        WLAN3 "Status",
        WLAN3 "BeaconType",
        IGD "X_ACME_LED.Enable",
        IGD "DeviceInfoX.Foo",
        IGD "LANDevice.1.WLANConfiguration.0.SSID",
        "Device.DeviceInfo",
        "",
    };
    for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++) {
        t = map_tr098_to_tr181(miss[i], &hidden);
        if (t)
            fail_msg("%s translated to %s", miss[i], t);
        assert_false(hidden);
    }
    assert_null(map_tr098_to_tr181(NULL, NULL));
    assert_null(map_tr181_to_tr098("Device.WiFi.Radio.1.Status"));
    assert_null(map_tr181_to_tr098("Device.TimeX.CurrentLocalTime"));
    /* schema paths translate too */
    t = map_tr098_to_tr181(IGD "LANDevice.1.WLANConfiguration.{i}.SSID",
                           NULL);
    assert_string_equal(t, "Device.WiFi.SSID.{i}.SSID");
    ub_free(t);
    t = map_tr181_to_tr098("Device.Hosts.Host.{i}.");
    assert_string_equal(t, IGD "LANDevice.1.Hosts.Host.{i}.");
    ub_free(t);
    /* the subtree roots themselves */
    t = map_tr098_to_tr181(IGD "DeviceInfo.", NULL);
    assert_string_equal(t, "Device.DeviceInfo.");
    ub_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_table_shape),
        cmocka_unit_test(test_misses_and_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
