/*
 * MTP core: the struct usp_mtp object, send dispatch, bounded queues,
 * backoff, deferred teardown.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 *  - One struct usp_mtp per process part that speaks USP over the network;
 *    it owns every MQTT broker session (mtp_mqtt.c) and the one lws context
 *    (mtp_ws.c), all as guests on the caller's libuv loop.  No thread of
 *    our own; the only other thread that ever touches a library object is a
 *    libuv thread-pool worker doing one blocking mosquitto connect (see
 *    mtp_mqtt.c), while the loop leaves that mosquitto object alone.
 *  - The layer moves opaque bytes: it never includes the codec.
 *  - Teardown is deferred: usp_mtp_destroy() and remove calls only mark
 *    things and arm the "reaper", a 0 ms timer, so nothing is freed inside
 *    a mosquitto or lws callback that may still be on the stack.  m->live
 *    counts the sub-objects still closing their handles; the struct is
 *    freed when it drops to zero.
 *  - usp_mtp_destroy() first drains: for up to MTP_DRAIN_MS the loop keeps
 *    writing what is queued on sessions that are up (nothing new is
 *    accepted, nothing received is delivered), then everything closes.
 *  - Send queues are bounded by count, bytes and age; overflow refuses the
 *    new record (UB_EFULL) instead of trimming what callers already
 *    handed over.  Every drop is counted and logged at most once a second.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "mtp_int.h"

/* ------------------------------------------------------------------ */
/* queues                                                              */
/* ------------------------------------------------------------------ */

void mtp__queue_init(struct mtp__queue *q)
{
    ub_list_init(&q->head);
    q->count = 0;
    q->bytes = 0;
}

int mtp__item_new(size_t pre, const uint8_t *data, size_t len,
                  struct mtp__item **out)
{
    struct mtp__item *it = ub_calloc(1, sizeof(*it));
    if (!it)
        return UB_ENOMEM;
    it->buf = ub_malloc(pre + len + 1);
    if (!it->buf) {
        ub_free(it);
        return UB_ENOMEM;
    }
    it->pre = pre;
    it->len = len;
    if (len)
        memcpy(it->buf + pre, data, len);
    ub_list_init(&it->link);
    it->t_enq = ub_now_ms();
    *out = it;
    return UB_OK;
}

void mtp__item_free(struct mtp__item *it)
{
    if (!it)
        return;
    ub_free(it->buf);
    ub_free(it->topic);
    ub_free(it->resp_topic);
    ub_free(it->ctype);
    ub_free(it->err_id);
    ub_free(it);
}

int mtp__queue_admit(struct usp_mtp *m, const struct mtp__queue *q,
                     size_t extra_count, size_t extra_bytes, size_t len)
{
    if (len > m->lim.max_record) {
        m->stats.tx_refused++;
        mtp__log_drop(m, "send refused: record of %zu bytes > max %zu", len,
                      m->lim.max_record);
        return UB_ETOOBIG;
    }
    if (q->count + extra_count + 1 > m->lim.queue_max_count ||
        q->bytes + extra_bytes + len > m->lim.queue_max_bytes) {
        m->stats.tx_refused++;
        mtp__log_drop(m,
                      "send refused: queue full (%zu records, %zu bytes "
                      "queued or in flight)",
                      q->count + extra_count, q->bytes + extra_bytes);
        return UB_EFULL;
    }
    return UB_OK;
}

void mtp__queue_push(struct mtp__queue *q, struct mtp__item *it)
{
    ub_list_insert_tail(&q->head, &it->link);
    q->count++;
    q->bytes += it->len;
}

struct mtp__item *mtp__queue_pop(struct mtp__queue *q)
{
    struct ub_list *l = ub_list_first(&q->head);
    if (!l)
        return NULL;
    ub_list_remove(l);
    struct mtp__item *it = UB_CONTAINER_OF(l, struct mtp__item, link);
    q->count--;
    q->bytes -= it->len;
    return it;
}

void mtp__queue_expire(struct usp_mtp *m, struct mtp__queue *q)
{
    uint64_t now = ub_now_ms();
    struct ub_list *l = q->head.next;
    while (l != &q->head) {
        struct ub_list *next = l->next;
        struct mtp__item *it = UB_CONTAINER_OF(l, struct mtp__item, link);
        if (now - it->t_enq > m->lim.queue_max_age_ms) {
            ub_list_remove(l);
            q->count--;
            q->bytes -= it->len;
            m->stats.tx_expired++;
            mtp__log_drop(m, "queued record of %zu bytes expired", it->len);
            mtp__item_free(it);
        }
        l = next;
    }
}

void mtp__queue_clear(struct mtp__queue *q)
{
    struct mtp__item *it;
    while ((it = mtp__queue_pop(q)))
        mtp__item_free(it);
}

/* ------------------------------------------------------------------ */
/* logging, backoff                                                    */
/* ------------------------------------------------------------------ */

void mtp__log_drop(struct usp_mtp *m, const char *fmt, ...)
{
    uint64_t now = ub_now_ms();
    if (m->drop_log_ms && now - m->drop_log_ms < 1000) {
        m->drop_log_suppressed++;
        return;
    }
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (m->drop_log_suppressed)
        UB_LOGW(MTP_LOG, "%s (%llu similar messages suppressed)", line,
                (unsigned long long)m->drop_log_suppressed);
    else
        UB_LOGW(MTP_LOG, "%s", line);
    m->drop_log_ms = now;
    m->drop_log_suppressed = 0;
}

uint64_t mtp__backoff_ms(uint32_t min_ms, uint32_t mult_permille,
                         uint32_t max_ms, unsigned tries)
{
    double d = min_ms;
    for (unsigned i = 0; i < tries && d < max_ms; i++)
        d = d * mult_permille / 1000.0;
    if (d > max_ms)
        d = max_ms;
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint32_t)ub_now_ms();
    /* 0..25 % jitter on top, so that many agents do not retry in step */
    return (uint64_t)d + (uint64_t)(d * (r % 251) / 1000.0);
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */
/* ------------------------------------------------------------------ */

static void reaper_closed(uv_handle_t *h)
{
    struct usp_mtp *m = h->data;
    mtp__live_put(m);
}

void mtp__live_put(struct usp_mtp *m)
{
    if (--m->live == 0)
        ub_free(m);
}

static void reaper_cb(uv_timer_t *t)
{
    struct usp_mtp *m = t->data;
    m->reaper_armed = false;
    if (m->closing && !m->drained) {
        /* give records already queued on live sessions (a last response,
         * a NotifyResp, Disconnect records) a bounded chance to leave */
        if ((mtp__mqtt_unsent(m) || mtp__ws_unsent(m)) &&
            ub_now_ms() < m->drain_until) {
            m->reaper_armed = true;
            uv_timer_start(&m->reaper, reaper_cb, 10, 0);
            return;
        }
        m->drained = true;
    }
    mtp__mqtt_reap(m);
    mtp__ws_reap(m);
    if (m->closing && !uv_is_closing((uv_handle_t *)&m->reaper))
        uv_close((uv_handle_t *)&m->reaper, reaper_closed);
}

void mtp__reap_soon(struct usp_mtp *m)
{
    if (m->reaper_armed || uv_is_closing((uv_handle_t *)&m->reaper))
        return;
    m->reaper_armed = true;
    uv_timer_start(&m->reaper, reaper_cb, 0, 0);
}

int usp_mtp_create(uv_loop_t *loop, const struct usp_mtp_callbacks *cb,
                   const struct usp_mtp_limits *lim, struct usp_mtp **out)
{
    if (!loop || !cb || !cb->on_record || !out)
        return UB_EINVAL;
    struct usp_mtp *m = ub_calloc(1, sizeof(*m));
    if (!m)
        return UB_ENOMEM;
    m->loop = loop;
    m->cb = *cb;
    if (lim)
        m->lim = *lim;
    if (!m->lim.max_record)
        m->lim.max_record = MTP_DEF_MAX_RECORD;
    if (!m->lim.queue_max_count)
        m->lim.queue_max_count = MTP_DEF_QUEUE_COUNT;
    if (!m->lim.queue_max_bytes)
        m->lim.queue_max_bytes = MTP_DEF_QUEUE_BYTES;
    if (!m->lim.queue_max_age_ms)
        m->lim.queue_max_age_ms = MTP_DEF_QUEUE_AGE_MS;
    m->next_conn_id = 1;
    m->next_broker_id = 1;
    ub_list_init(&m->brokers);
    uv_timer_init(loop, &m->reaper);
    m->reaper.data = m;
    m->live = 1; /* the reaper handle */
    *out = m;
    return UB_OK;
}

void usp_mtp_destroy(struct usp_mtp *m)
{
    if (!m || m->closing)
        return;
    m->closing = true;
    m->drain_until = ub_now_ms() + MTP_DRAIN_MS;
    mtp__reap_soon(m);
}

void usp_mtp_stats_get(const struct usp_mtp *m, struct usp_mtp_stats *out)
{
    *out = m->stats;
}

int usp_mtp_send(struct usp_mtp *m, const struct usp_mtp_dest *dest,
                 const uint8_t *bytes, size_t len)
{
    if (!m || !dest || (!bytes && len))
        return UB_EINVAL;
    if (m->closing)
        return UB_ESTATE;
    switch (dest->kind) {
    case USP_MTP_MQTT:
        return mtp__mqtt_send(m, dest, bytes, len);
    case USP_MTP_WS:
        return mtp__ws_send(m, dest, bytes, len);
    }
    return UB_EINVAL;
}
