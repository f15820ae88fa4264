/*
 * WebSocket MTP: real sessions on 127.0.0.1 (free ports), one loop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * "A" is an MTP with a listener (agent as server); "B" is a second MTP on
 * the same loop using usp_mtp_ws_connect (agent as client, here standing in
 * for the peer).  Handshake details (R-WS.11a extension answer, R-WS.12a,
 * 1008 for an unknown agent, 1003 for a text frame) are checked with a
 * raw TCP socket that writes the HTTP upgrade and frames by hand, so the
 * bytes on the wire are what is asserted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include <ub/usp.h>

#define AGENT "os::012345-CPE-0001"
#define CTL "self::ctl"

struct side {
    struct usp_mtp *m;
    int ups, downs, nrx;
    uint64_t last_conn;
    char last_agent[64], last_peer[64];
    uint8_t last[200000];
    size_t last_len;
    /* sequence check: records "S" + seq (4 bytes) + (seq & 0xff) filler */
    uint32_t next_seq;
    int seq_bad;
};

struct t {
    uv_loop_t loop;
    struct side a, b;
    uint16_t port;
};

static void on_record(void *user, const struct usp_mtp_rx *rx)
{
    struct side *s = user;
    assert_int_equal(rx->kind, USP_MTP_WS);
    s->nrx++;
    s->last_conn = rx->conn_id;
    snprintf(s->last_agent, sizeof(s->last_agent), "%s",
             rx->agent_eid ? rx->agent_eid : "");
    snprintf(s->last_peer, sizeof(s->last_peer), "%s",
             rx->peer_eid ? rx->peer_eid : "");
    assert_true(rx->len <= sizeof(s->last));
    memcpy(s->last, rx->data, rx->len);
    s->last_len = rx->len;
    if (rx->len >= 5 && rx->data[0] == 'S') {
        uint32_t seq;
        memcpy(&seq, rx->data + 1, 4);
        if (seq != s->next_seq)
            s->seq_bad++;
        for (size_t i = 5; i < rx->len; i++)
            if (rx->data[i] != (uint8_t)seq) {
                s->seq_bad++;
                break;
            }
        s->next_seq = seq + 1;
    }
}

/* Sends n sequence records of varying size (5 B .. ~40 KB) from 'from' on
 * conn and checks that 'to' gets them all, whole and in order. */
static void seq_burst(struct t *t, struct side *from, struct side *to,
                      uint64_t conn, uint32_t n)
{
    static uint8_t rec[40000];
    struct usp_mtp_dest d = {.kind = USP_MTP_WS, .conn_id = conn};
    int before = to->nrx;
    to->next_seq = 0;
    to->seq_bad = 0;
    uint32_t sent = 0;
    uint64_t end = uv_hrtime() / 1000000 + 10000;
    while ((sent < n || to->nrx < before + (int)n) &&
           uv_hrtime() / 1000000 < end) {
        while (sent < n) {
            size_t len = 5 + (sent * 7919u) % (sizeof(rec) - 5);
            rec[0] = 'S';
            memcpy(rec + 1, &sent, 4);
            memset(rec + 5, (uint8_t)sent, len - 5);
            int err = usp_mtp_send(from->m, &d, rec, len);
            if (err == UB_EFULL)
                break;
            assert_int_equal(err, UB_OK);
            sent++;
        }
        uv_run(&t->loop, UV_RUN_NOWAIT);
    }
    assert_int_equal(to->nrx, before + (int)n);
    assert_int_equal(to->seq_bad, 0);
}

static void on_ws_state(void *user, uint64_t conn, const char *agent,
                        const char *peer, bool up)
{
    struct side *s = user;
    if (up) {
        s->ups++;
        s->last_conn = conn;
        snprintf(s->last_peer, sizeof(s->last_peer), "%s", peer ? peer : "");
    } else {
        s->downs++;
    }
}

static void pump_ms(struct t *t, int ms)
{
    uint64_t end = uv_hrtime() / 1000000 + ms;
    while (uv_hrtime() / 1000000 < end) {
        uv_run(&t->loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

#define PUMP_UNTIL(t, cond, ms)                                                \
    do {                                                                       \
        uint64_t end_ = uv_hrtime() / 1000000 + (ms);                         \
        while (!(cond) && uv_hrtime() / 1000000 < end_)                        \
            pump_ms((t), 5);                                                   \
    } while (0)

static void setup_a(struct t *t, const struct usp_mtp_limits *lim)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(uv_loop_init(&t->loop), 0);
    struct usp_mtp_callbacks cb = {.on_record = on_record,
                                   .on_ws_state = on_ws_state,
                                   .user = &t->a};
    assert_int_equal(usp_mtp_create(&t->loop, &cb, lim, &t->a.m), UB_OK);
    struct usp_mtp_ws_server_config sc = {.bind_addr = "127.0.0.1",
                                          .ping_interval_s = 5};
    assert_int_equal(usp_mtp_ws_listen(t->a.m, &sc, &t->port), UB_OK);
    assert_true(t->port > 0);
    assert_int_equal(usp_mtp_ws_add_agent(t->a.m, AGENT), UB_OK);
    assert_int_equal(usp_mtp_ws_add_agent(t->a.m, AGENT), UB_EEXIST);
}

static uint64_t connect_b(struct t *t, const char *path)
{
    struct usp_mtp_callbacks cb = {.on_record = on_record,
                                   .on_ws_state = on_ws_state,
                                   .user = &t->b};
    if (!t->b.m)
        assert_int_equal(usp_mtp_create(&t->loop, &cb, NULL, &t->b.m),
                         UB_OK);
    char url[256];
    snprintf(url, sizeof(url), "ws://localhost:%u%s", t->port, path);
    struct usp_mtp_ws_client_config cc = {.url = url,
                                          .agent_eid = CTL,
                                          .controller_eid = AGENT,
                                          .retry_min_ms = 100,
                                          .retry_max_ms = 400};
    uint64_t id = 0;
    assert_int_equal(usp_mtp_ws_connect(t->b.m, &cc, &id), UB_OK);
    return id;
}

static void teardown(struct t *t)
{
    usp_mtp_destroy(t->a.m);
    usp_mtp_destroy(t->b.m);
    int guard = 0;
    while (uv_run(&t->loop, UV_RUN_DEFAULT) && guard++ < 100)
        ;
    assert_int_equal(uv_loop_close(&t->loop), 0);
}

/* ------------------------------------------------------------------ */
/* raw socket peer                                                     */
/* ------------------------------------------------------------------ */

static int raw_connect(uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    return s;
}

/* Reads whatever arrives within ms (pumping the loop) into buf. */
static size_t raw_read(struct t *t, int s, char *buf, size_t cap, int ms,
                       size_t want)
{
    size_t n = 0;
    uint64_t end = uv_hrtime() / 1000000 + ms;
    while (uv_hrtime() / 1000000 < end && n < want) {
        pump_ms(t, 2);
        ssize_t r = recv(s, buf + n, cap - 1 - n, MSG_DONTWAIT);
        if (r > 0)
            n += (size_t)r;
        else if (r == 0)
            break;
    }
    buf[n] = '\0';
    return n;
}

static void raw_upgrade(int s, const char *path, const char *extra)
{
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     path, extra);
    assert_int_equal(send(s, req, (size_t)n, 0), n);
}

/* Offset just past the HTTP header block, or 0. */
static size_t hdr_end(const char *buf)
{
    const char *e = strstr(buf, "\r\n\r\n");
    return e ? (size_t)(e - buf) + 4 : 0;
}

/* Reads until the header block and 'extra' bytes after it arrived. */
static size_t raw_read_hdr(struct t *t, int s, char *buf, size_t cap,
                           size_t extra, int ms)
{
    size_t n = 0;
    buf[0] = '\0';
    uint64_t end = uv_hrtime() / 1000000 + ms;
    while (uv_hrtime() / 1000000 < end) {
        size_t h = hdr_end(buf);
        if (h && n >= h + extra)
            break;
        pump_ms(t, 2);
        ssize_t r = recv(s, buf + n, cap - 1 - n, MSG_DONTWAIT);
        if (r > 0) {
            n += (size_t)r;
            buf[n] = '\0';
        } else if (r == 0) {
            break;
        }
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* tests                                                               */
/* ------------------------------------------------------------------ */

static void test_roundtrip(void **state)
{
    struct t t;
    setup_a(&t, NULL);
    uint64_t bid = connect_b(&t, "/usp/" AGENT);
    PUMP_UNTIL(&t, t.a.ups == 1 && t.b.ups == 1, 5000);
    assert_int_equal(t.a.ups, 1);
    assert_int_equal(t.b.ups, 1);
    assert_string_equal(t.a.last_peer, CTL); /* from ?eid= (R-WS.10b) */

    struct usp_mtp_dest d = {.kind = USP_MTP_WS, .conn_id = bid};
    static const uint8_t rec[] = {0x0a, 0x03, '1', '.', '3', 0, 0xff};
    assert_int_equal(usp_mtp_send(t.b.m, &d, rec, sizeof(rec)), UB_OK);
    PUMP_UNTIL(&t, t.a.nrx == 1, 3000);
    assert_int_equal(t.a.nrx, 1);
    assert_string_equal(t.a.last_agent, AGENT);
    assert_string_equal(t.a.last_peer, CTL);
    assert_int_equal(t.a.last_len, sizeof(rec));
    assert_memory_equal(t.a.last, rec, sizeof(rec));

    /* answer on the same session; a big record crosses many frames */
    static uint8_t big[150000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    d.conn_id = t.a.last_conn;
    assert_int_equal(usp_mtp_send(t.a.m, &d, big, sizeof(big)), UB_OK);
    assert_int_equal(usp_mtp_send(t.a.m, &d, rec, 3), UB_OK);
    PUMP_UNTIL(&t, t.b.nrx == 2, 5000);
    assert_int_equal(t.b.nrx, 2);
    assert_int_equal(t.b.last_len, 3); /* order kept */
    d.conn_id = 987654;
    assert_int_equal(usp_mtp_send(t.a.m, &d, rec, 3), UB_ENOTFOUND);
    seq_burst(&t, &t.b, &t.a, bid, 2000);
    seq_burst(&t, &t.a, &t.b, t.a.last_conn, 2000);

    struct usp_mtp_stats st;
    usp_mtp_stats_get(t.a.m, &st);
    assert_int_equal(st.ws_sessions, 1);
    assert_int_equal(st.rx_records, 2001);
    assert_int_equal(st.tx_records, 2002);
    teardown(&t);
}

/* The server side drops the session: the client comes back by itself and
 * what was sent while it was down is delivered after the reconnect. */
static void test_client_reconnect(void **state)
{
    struct t t;
    setup_a(&t, NULL);
    uint64_t bid = connect_b(&t, "/usp/" AGENT);
    PUMP_UNTIL(&t, t.a.ups == 1 && t.b.ups == 1, 5000);
    assert_int_equal(t.b.ups, 1);
    assert_int_equal(usp_mtp_ws_close(t.a.m, t.a.last_conn), UB_OK);
    PUMP_UNTIL(&t, t.b.downs == 1 && t.a.downs == 1, 3000);
    assert_int_equal(t.b.downs, 1);
    assert_int_equal(t.a.downs, 1);

    struct usp_mtp_dest d = {.kind = USP_MTP_WS, .conn_id = bid};
    assert_int_equal(usp_mtp_send(t.b.m, &d, (const uint8_t *)"late", 4),
                     UB_OK);
    PUMP_UNTIL(&t, t.b.ups == 2 && t.a.nrx == 1, 5000);
    assert_int_equal(t.b.ups, 2);
    assert_int_equal(t.a.ups, 2);
    assert_int_equal(t.a.nrx, 1);
    assert_memory_equal(t.a.last, "late", 4);

    /* the whole server goes away and comes back on the same port */
    uint16_t port = t.port;
    usp_mtp_destroy(t.a.m);
    t.a.m = NULL;
    PUMP_UNTIL(&t, t.b.downs == 2, 3000);
    assert_int_equal(t.b.downs, 2);
    pump_ms(&t, 300); /* a few refused connects */
    struct usp_mtp_callbacks cb = {.on_record = on_record,
                                   .on_ws_state = on_ws_state,
                                   .user = &t.a};
    assert_int_equal(usp_mtp_create(&t.loop, &cb, NULL, &t.a.m), UB_OK);
    struct usp_mtp_ws_server_config sc = {.bind_addr = "127.0.0.1",
                                          .port = port};
    uint16_t p2 = 0;
    assert_int_equal(usp_mtp_ws_listen(t.a.m, &sc, &p2), UB_OK);
    assert_int_equal(p2, port);
    assert_int_equal(usp_mtp_ws_add_agent(t.a.m, AGENT), UB_OK);
    PUMP_UNTIL(&t, t.b.ups == 3, 5000);
    assert_int_equal(t.b.ups, 3);

    /* closing the client side stops it for good */
    assert_int_equal(usp_mtp_ws_close(t.b.m, bid), UB_OK);
    PUMP_UNTIL(&t, t.b.downs == 3, 3000);
    assert_int_equal(t.b.downs, 3);
    pump_ms(&t, 400);
    assert_int_equal(t.b.ups, 3);
    assert_int_equal(usp_mtp_send(t.b.m, &d, (const uint8_t *)"x", 1),
                     UB_ENOTFOUND);
    teardown(&t);
}

static void test_handshake_rules(void **state)
{
    struct t t;
    setup_a(&t, NULL);
    char buf[4096];

    /* the extension offer is answered with the agent's id (R-WS.11a) and
     * its eid= names the peer (R-WS.10a) */
    int s = raw_connect(t.port);
    raw_upgrade(s, "/usp/" AGENT,
                "Sec-WebSocket-Protocol: v1.usp\r\n"
                "Sec-WebSocket-Extensions: bbf-usp-protocol; "
                "eid=\"" CTL "\"\r\n");
    raw_read_hdr(&t, s, buf, sizeof(buf), 0, 2000);
    assert_non_null(strstr(buf, "HTTP/1.1 101"));
    assert_non_null(strcasestr(buf, "sec-websocket-protocol: v1.usp"));
    assert_non_null(strcasestr(buf, "sec-websocket-extensions: "
                                    "bbf-usp-protocol; eid=\"" AGENT "\""));
    PUMP_UNTIL(&t, t.a.ups == 1, 2000);
    assert_string_equal(t.a.last_peer, CTL);
    /* a text frame closes the session with 1003 (R-WS.16) */
    const uint8_t text[] = {0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2};
    assert_int_equal(send(s, text, sizeof(text), 0), (ssize_t)sizeof(text));
    size_t n = raw_read(&t, s, buf, sizeof(buf), 2000, 4);
    assert_true(n >= 4);
    assert_int_equal((uint8_t)buf[0], 0x88);
    assert_int_equal(((uint8_t)buf[2] << 8) | (uint8_t)buf[3], 1003);
    close(s);
    PUMP_UNTIL(&t, t.a.downs == 1, 2000);
    assert_int_equal(t.a.downs, 1);

    /* no subprotocol: no session (R-WS.12a) */
    s = raw_connect(t.port);
    raw_upgrade(s, "/usp/" AGENT, "");
    raw_read(&t, s, buf, sizeof(buf), 500, 12);
    assert_null(strstr(buf, " 101 "));
    close(s);

    /* unknown agent: handshake, then close 1008 */
    s = raw_connect(t.port);
    raw_upgrade(s, "/usp/os::nobody?eid=" CTL,
                "Sec-WebSocket-Protocol: v1.usp\r\n");
    raw_read_hdr(&t, s, buf, sizeof(buf), 4, 2000);
    size_t h = hdr_end(buf);
    assert_true(h > 0);
    assert_non_null(strstr(buf, "HTTP/1.1 101"));
    assert_int_equal((uint8_t)buf[h], 0x88);
    assert_int_equal(((uint8_t)buf[h + 2] << 8) | (uint8_t)buf[h + 3], 1008);
    close(s);
    struct usp_mtp_stats st;
    usp_mtp_stats_get(t.a.m, &st);
    assert_int_equal(st.ws_refused, 1);
    assert_int_equal(t.a.ups, 1);
    teardown(&t);
}

static void test_limits(void **state)
{
    struct t t;
    struct usp_mtp_limits lim = {.max_record = 1000, .queue_max_count = 2};
    setup_a(&t, &lim);
    uint64_t bid = connect_b(&t, "/usp/" AGENT);
    PUMP_UNTIL(&t, t.a.ups == 1 && t.b.ups == 1, 5000);
    struct usp_mtp_dest d = {.kind = USP_MTP_WS, .conn_id = bid};
    static uint8_t big[5000];
    assert_int_equal(usp_mtp_send(t.b.m, &d, big, sizeof(big)), UB_OK);
    assert_int_equal(usp_mtp_send(t.b.m, &d, (const uint8_t *)"ok", 2),
                     UB_OK);
    PUMP_UNTIL(&t, t.a.nrx == 1, 3000);
    assert_int_equal(t.a.nrx, 1); /* the oversized one was dropped */
    assert_memory_equal(t.a.last, "ok", 2);
    struct usp_mtp_stats st;
    usp_mtp_stats_get(t.a.m, &st);
    assert_int_equal(st.rx_dropped, 1);
    assert_int_equal(t.a.downs, 0); /* and the session stayed */

    /* A's queue holds 2: a third record before a loop turn is refused */
    d.conn_id = t.a.last_conn;
    assert_int_equal(usp_mtp_send(t.a.m, &d, big, 10), UB_OK);
    assert_int_equal(usp_mtp_send(t.a.m, &d, big, 10), UB_OK);
    assert_int_equal(usp_mtp_send(t.a.m, &d, big, 10), UB_EFULL);
    assert_int_equal(usp_mtp_send(t.a.m, &d, big, 1001), UB_ETOOBIG);
    PUMP_UNTIL(&t, t.b.nrx == 2, 3000);
    assert_int_equal(t.b.nrx, 2);
    teardown(&t);
}

/* Hostile peers: more sessions than max_conns, a 2 MB message in 64 KB
 * continuation frames (dropped whole, session kept), a sender flood
 * against the bounded queue. */
static void send_frame(int s, uint8_t op, bool fin, const uint8_t *p,
                       size_t n)
{
    uint8_t h[14];
    size_t hl = 0;
    h[hl++] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (n < 126) {
        h[hl++] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        h[hl++] = 0x80 | 126;
        h[hl++] = (uint8_t)(n >> 8);
        h[hl++] = (uint8_t)n;
    } else {
        h[hl++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            h[hl++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    memset(h + hl, 0, 4); /* zero mask: payload goes as is */
    hl += 4;
    assert_int_equal(send(s, h, hl, 0), (ssize_t)hl);
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(s, p + off, n - off, 0);
        assert_true(w > 0);
        off += (size_t)w;
    }
}

static void test_hostile(void **state)
{
    struct t t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(uv_loop_init(&t.loop), 0);
    struct usp_mtp_callbacks cb = {.on_record = on_record,
                                   .on_ws_state = on_ws_state,
                                   .user = &t.a};
    assert_int_equal(usp_mtp_create(&t.loop, &cb, NULL, &t.a.m), UB_OK);
    struct usp_mtp_ws_server_config sc = {.bind_addr = "127.0.0.1",
                                          .max_conns = 3};
    assert_int_equal(usp_mtp_ws_listen(t.a.m, &sc, &t.port), UB_OK);
    assert_int_equal(usp_mtp_ws_add_agent(t.a.m, AGENT), UB_OK);

    int s[5];
    char buf[4096];
    for (int i = 0; i < 5; i++) {
        s[i] = raw_connect(t.port);
        raw_upgrade(s[i], "/usp/" AGENT "?eid=" CTL,
                    "Sec-WebSocket-Protocol: v1.usp\r\n");
        PUMP_UNTIL(&t, t.a.ups == (i < 3 ? i + 1 : 3), 1000);
        pump_ms(&t, 20);
    }
    assert_int_equal(t.a.ups, 3);
    for (int i = 3; i < 5; i++) {
        raw_read(&t, s[i], buf, sizeof(buf), 300, 12);
        assert_null(strstr(buf, " 101 "));
    }
    /* 2 MB in 32 frames of 64 KB on session 0: dropped, session kept */
    raw_read_hdr(&t, s[0], buf, sizeof(buf), 0, 1000);
    static uint8_t chunk[65536];
    for (int i = 0; i < 32; i++) {
        send_frame(s[0], i == 0 ? 0x2 : 0x0, i == 31, chunk, sizeof(chunk));
        pump_ms(&t, 2);
    }
    send_frame(s[0], 0x2, true, (const uint8_t *)"small", 5);
    PUMP_UNTIL(&t, t.a.nrx == 1, 3000);
    assert_int_equal(t.a.nrx, 1);
    assert_int_equal(t.a.last_len, 5);
    struct usp_mtp_stats st;
    usp_mtp_stats_get(t.a.m, &st);
    assert_int_equal(st.rx_dropped, 1);
    assert_int_equal(t.a.downs, 0);
    /* a flood of answers: the queue takes 256, then refuses */
    struct usp_mtp_dest d = {.kind = USP_MTP_WS, .conn_id = t.a.last_conn};
    int ok = 0, full = 0;
    for (int i = 0; i < 1000; i++) {
        int err = usp_mtp_send(t.a.m, &d, chunk, 100);
        if (err == UB_OK)
            ok++;
        else if (err == UB_EFULL)
            full++;
    }
    assert_int_equal(ok, 256);
    assert_int_equal(full, 744);
    for (int i = 0; i < 5; i++)
        close(s[i]);
    PUMP_UNTIL(&t, t.a.downs == 3, 3000);
    assert_int_equal(t.a.downs, 3);
    teardown(&t);
}

/* usp_mtp_destroy() right after a send: the record still leaves. */
static void test_drain_on_destroy(void **state)
{
    struct t t;
    setup_a(&t, NULL);
    connect_b(&t, "/usp/" AGENT);
    PUMP_UNTIL(&t, t.a.ups == 1 && t.b.ups == 1, 5000);
    assert_int_equal(t.b.ups, 1);
    struct usp_mtp_dest d = {.kind = USP_MTP_WS, .conn_id = t.a.last_conn};
    for (int i = 0; i < 3; i++)
        assert_int_equal(usp_mtp_send(t.a.m, &d, (const uint8_t *)"bye", 3),
                         UB_OK);
    usp_mtp_destroy(t.a.m);
    assert_int_equal(usp_mtp_send(t.a.m, &d, (const uint8_t *)"x", 1),
                     UB_ESTATE);
    t.a.m = NULL;
    PUMP_UNTIL(&t, t.b.nrx == 3, 3000);
    assert_int_equal(t.b.nrx, 3);
    teardown(&t);
}

/* R-WS.17/18: the server PINGs an idle peer; a peer that answers (lws
 * client) stays, a silent one (raw socket) is hung up on. */
static void test_keepalive(void **state)
{
    struct t t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(uv_loop_init(&t.loop), 0);
    struct usp_mtp_callbacks cb = {.on_record = on_record,
                                   .on_ws_state = on_ws_state,
                                   .user = &t.a};
    assert_int_equal(usp_mtp_create(&t.loop, &cb, NULL, &t.a.m), UB_OK);
    struct usp_mtp_ws_server_config sc = {.bind_addr = "127.0.0.1",
                                          .ping_interval_s = 1,
                                          .idle_timeout_s = 3};
    assert_int_equal(usp_mtp_ws_listen(t.a.m, &sc, &t.port), UB_OK);
    assert_int_equal(usp_mtp_ws_add_agent(t.a.m, AGENT), UB_OK);
    connect_b(&t, "/usp/" AGENT);
    int s = raw_connect(t.port);
    raw_upgrade(s, "/usp/" AGENT, "Sec-WebSocket-Protocol: v1.usp\r\n");
    char buf[4096];
    size_t n = raw_read_hdr(&t, s, buf, sizeof(buf), 0, 2000);
    size_t h = hdr_end(buf);
    assert_true(h > 0);
    PUMP_UNTIL(&t, t.a.ups == 2, 2000);
    assert_int_equal(t.a.ups, 2);
    /* a PING (0x89) arrives on the silent socket within ~2 s */
    if (n == h)
        n = h + raw_read(&t, s, buf + h, sizeof(buf) - h, 2500, 2);
    assert_true(n >= h + 2);
    assert_int_equal((uint8_t)buf[h], 0x89);
    /* no PONG from us: hung up; the lws client answered and stays */
    PUMP_UNTIL(&t, t.a.downs == 1, 5000);
    assert_int_equal(t.a.downs, 1);
    pump_ms(&t, 1500);
    assert_int_equal(t.a.downs, 1);
    assert_int_equal(t.b.downs, 0);
    close(s);
    teardown(&t);
}

/* ------------------------------------------------------------------ */
/* TLS                                                                 */
/* ------------------------------------------------------------------ */

static char g_dir[32], g_cert[64], g_key[64];

static int group_setup(void **state)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/ub-ws-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
    snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s "
             "-days 2 -subj /CN=localhost -addext "
             "subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
             g_key, g_cert);
    return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    unlink(g_cert);
    unlink(g_key);
    rmdir(g_dir);
    return 0;
}

/* wss: the client checks the server certificate against its CA file (and
 * the host name); without that CA it gets no session unless told to be
 * insecure. */
static void test_tls(void **state)
{
    struct t t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(uv_loop_init(&t.loop), 0);
    struct usp_mtp_callbacks cba = {.on_record = on_record,
                                    .on_ws_state = on_ws_state,
                                    .user = &t.a};
    assert_int_equal(usp_mtp_create(&t.loop, &cba, NULL, &t.a.m), UB_OK);
    struct usp_mtp_ws_server_config sc = {.bind_addr = "127.0.0.1",
                                          .cert_file = g_cert,
                                          .key_file = g_key};
    assert_int_equal(usp_mtp_ws_listen(t.a.m, &sc, &t.port), UB_OK);
    assert_int_equal(usp_mtp_ws_add_agent(t.a.m, AGENT), UB_OK);

    struct usp_mtp_callbacks cbb = {.on_record = on_record,
                                    .on_ws_state = on_ws_state,
                                    .user = &t.b};
    assert_int_equal(usp_mtp_create(&t.loop, &cbb, NULL, &t.b.m), UB_OK);
    char url[256];
    snprintf(url, sizeof(url), "wss://localhost:%u/usp/" AGENT, t.port);
    struct usp_mtp_ws_client_config cc = {.url = url,
                                          .agent_eid = CTL,
                                          .ca_file = g_cert,
                                          .retry_min_ms = 100,
                                          .retry_max_ms = 400};
    uint64_t good = 0, bad = 0;
    assert_int_equal(usp_mtp_ws_connect(t.b.m, &cc, &good), UB_OK);
    PUMP_UNTIL(&t, t.a.ups == 1 && t.b.ups == 1, 5000);
    assert_int_equal(t.b.ups, 1);
    struct usp_mtp_dest d = {.kind = USP_MTP_WS, .conn_id = good};
    assert_int_equal(usp_mtp_send(t.b.m, &d, (const uint8_t *)"sec", 3),
                     UB_OK);
    PUMP_UNTIL(&t, t.a.nrx == 1, 3000);
    assert_int_equal(t.a.nrx, 1);
    assert_memory_equal(t.a.last, "sec", 3);
    seq_burst(&t, &t.b, &t.a, good, 1000); /* TLS: partial writes */
    seq_burst(&t, &t.a, &t.b, t.a.last_conn, 1000);

    /* no CA for the self-signed server: refused, retried, never up */
    struct usp_mtp_ws_client_config nc = cc;
    nc.ca_file = NULL;
    nc.agent_eid = "self::other";
    assert_int_equal(usp_mtp_ws_connect(t.b.m, &nc, &bad), UB_OK);
    pump_ms(&t, 700);
    assert_int_equal(t.b.ups, 1);
    assert_int_equal(t.a.ups, 1);
    assert_int_equal(usp_mtp_ws_close(t.b.m, bad), UB_OK);

    /* ... unless told to be insecure */
    nc.tls_insecure = true;
    assert_int_equal(usp_mtp_ws_connect(t.b.m, &nc, &bad), UB_OK);
    PUMP_UNTIL(&t, t.b.ups == 2, 5000);
    assert_int_equal(t.b.ups, 2);
    teardown(&t);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_client_reconnect),
        cmocka_unit_test(test_handshake_rules),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_drain_on_destroy),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
