/*
 * MTP internals shared by mtp_core.c, mtp_mqtt.c and mtp_ws.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Kept apart from usp_int.h on purpose: the transports move opaque bytes
 * and must not see the codec (protobuf-c) internals.  Not API: names are
 * mtp__verb.
 */
#ifndef USP_MTP_INT_H
#define USP_MTP_INT_H

#include <uv.h>

#include <ub/usp.h>

#define MTP_LOG "mtp"

#define MTP_DEF_MAX_RECORD (1024u * 1024u)
#define MTP_DEF_QUEUE_COUNT 256u
#define MTP_DEF_QUEUE_BYTES (4u * 1024u * 1024u)
#define MTP_DEF_QUEUE_AGE_MS 120000u
#define MTP_DRAIN_MS 1000u /* destroy waits this long for queued records */

struct mtp__ws; /* mtp_ws.c: the lws context, listener, clients */

struct usp_mtp {
    uv_loop_t *loop;
    struct usp_mtp_callbacks cb;
    struct usp_mtp_limits lim;
    struct usp_mtp_stats stats;
    bool closing;           /* usp_mtp_destroy() was called */
    bool drained;           /* ... and the drain phase is over */
    uint64_t drain_until;   /* ub_now_ms() deadline of the drain phase */
    uv_timer_t reaper;      /* deferred teardown (never inside callbacks) */
    bool reaper_armed;
    unsigned live;          /* sub-objects still closing, + 1 for reaper */
    struct ub_list brokers; /* mtp_mqtt.c: struct mq_broker */
    uint32_t next_broker_id;
    bool mq_tls_connecting; /* one TLS connect job at a time (mtp_mqtt.c) */
    struct mtp__ws *ws;     /* NULL until the first listener/client */
    uint64_t next_conn_id;
    uint64_t drop_log_ms;   /* rate limit for drop/refuse logs */
    uint64_t drop_log_suppressed;
};

/* One queued record.  The payload lives at buf + pre (pre bytes of head
 * room for lws's LWS_PRE).  MQTT items also carry their PUBLISH topic and
 * properties. */
struct mtp__item {
    struct ub_list link;
    uint64_t t_enq;
    uint8_t *buf;
    size_t pre, len;
    char *topic, *resp_topic, *ctype, *err_id; /* MQTT only */
    int qos;                                   /* MQTT only: 0 or 1 */
};

/* A bounded FIFO of items (count, bytes, age). */
struct mtp__queue {
    struct ub_list head;
    size_t count, bytes;
};

void mtp__queue_init(struct mtp__queue *q);
/* Allocates an item with 'pre' bytes of head room and a copy of data. */
int mtp__item_new(size_t pre, const uint8_t *data, size_t len,
                  struct mtp__item **out);
void mtp__item_free(struct mtp__item *it);
/* UB_EFULL / UB_ETOOBIG (counted and logged) or UB_OK when one more record
 * of len bytes fits next to 'extra_count'/'extra_bytes' in flight. */
int mtp__queue_admit(struct usp_mtp *m, const struct mtp__queue *q,
                     size_t extra_count, size_t extra_bytes, size_t len);
void mtp__queue_push(struct mtp__queue *q, struct mtp__item *it);
struct mtp__item *mtp__queue_pop(struct mtp__queue *q);
/* Drops items older than the age limit (counted in stats.tx_expired). */
void mtp__queue_expire(struct usp_mtp *m, struct mtp__queue *q);
void mtp__queue_clear(struct mtp__queue *q);

/* Rate-limited (1/s) warning for dropped input / refused output. */
void mtp__log_drop(struct usp_mtp *m, const char *fmt, ...) UB_PRINTF(2, 3);

/* Backoff: base * mult^(tries) capped at max, + 0..25% jitter, in ms. */
uint64_t mtp__backoff_ms(uint32_t min_ms, uint32_t mult_permille,
                         uint32_t max_ms, unsigned tries);

/* Arms the reaper (a 0 ms timer): teardown work never runs inside a
 * library callback. */
void mtp__reap_soon(struct usp_mtp *m);
/* A sub-object finished closing (drops m->live; may free m). */
void mtp__live_put(struct usp_mtp *m);

/* mtp_mqtt.c */
int mtp__mqtt_send(struct usp_mtp *m, const struct usp_mtp_dest *d,
                   const uint8_t *bytes, size_t len);
/* Records still queued on sessions that are up (drain on destroy). */
size_t mtp__mqtt_unsent(const struct usp_mtp *m);
size_t mtp__ws_unsent(const struct usp_mtp *m);
/* Closes removed brokers (and all of them when m->closing). */
void mtp__mqtt_reap(struct usp_mtp *m);

/* mtp_ws.c */
int mtp__ws_send(struct usp_mtp *m, const struct usp_mtp_dest *d,
                 const uint8_t *bytes, size_t len);
void mtp__ws_reap(struct usp_mtp *m);

#endif /* USP_MTP_INT_H */
