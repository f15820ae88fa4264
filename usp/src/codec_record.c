/*
 * USP Record layer: decode + validate, encode, Error replies.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * Decoding follows obuspa's shape: size check -> unpack -> validate ->
 * hand out.  The unpacked protobuf-c tree stays alive behind rec->priv_ and
 * the neutral struct points into it (no copies; protobuf-c copies bytes
 * fields out of the input buffer, so nothing refers to the caller's
 * buffer).  Every failure fills a struct usp_record_diag with the USP error
 * code the spec names (7100..7106) and, when they were readable, the
 * endpoint IDs, so the caller can answer per R-MTP.5 with
 * usp_record_error_build() after the input is gone.
 */
#include "usp_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Validation helpers                                                  */
/* ------------------------------------------------------------------ */

/* "1.0" .. "1.4" */
static bool version_ok(const char *v)
{
    return v && v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '4' &&
           v[3] == '\0';
}

static bool id_ok(const char *id)
{
    size_t n = 0;
    if (!id || !*id)
        return false;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
        if (++n > USP_ID_MAX)
            return false;
    }
    return true;
}

static void diag_set(struct usp_record_diag *d, uint32_t code,
                     const char *fmt, ...) UB_PRINTF(3, 4);

static void diag_set(struct usp_record_diag *d, uint32_t code,
                     const char *fmt, ...)
{
    va_list ap;
    if (!d)
        return;
    d->usp_err = code;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    va_end(ap);
}

/* Copies a version string into a log-safe short form. */
static void safe_copy(char *dst, size_t dstsz, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < dstsz; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[i] = '\0';
}

/* Looks into a plaintext payload to learn msg_id and whether it is a
 * request (R-MTP.5: never answer a Response or Error with an Error). */
static void peek_payload(struct usp_record_diag *d, const uint8_t *p,
                         size_t n)
{
    Usp__Msg *m;
    if (!d || !p || !n)
        return;
    m = usp__msg__unpack(&usp__pb_alloc, n, p);
    if (!m)
        return;
    d->payload_known = true;
    d->payload_is_request = m->body &&
        m->body->msg_body_case == USP__BODY__MSG_BODY_REQUEST;
    if (m->header && id_ok(m->header->msg_id) &&
        strlen(m->header->msg_id) < sizeof(d->msg_id))
        usp__strlcpy(d->msg_id, m->header->msg_id, sizeof(d->msg_id));
    usp__msg__free_unpacked(m, &usp__pb_alloc);
}

/* ------------------------------------------------------------------ */
/* Decode                                                              */
/* ------------------------------------------------------------------ */

int usp_record_decode(const void *buf, size_t len,
                      const struct usp_record_limits *lim,
                      struct usp_record **out, struct usp_record_diag *diag)
{
    size_t max = (lim && lim->max_record) ? lim->max_record
                                          : USP_RECORD_MAX_DEFAULT;
    UspRecord__Record *pb = NULL;
    struct usp_record *rec = NULL;
    int err;

    if (diag)
        memset(diag, 0, sizeof(*diag));
    if ((!buf && len) || !out) {
        diag_set(diag, USP_ERR_RECORD_NOT_PARSED, "no record");
        return UB_EINVAL;
    }
    // Exit if the record is larger than we accept: never unpack it.
    if (len > max) {
        char n[32];
        snprintf(n, sizeof(n), "%zu", len);
        diag_set(diag, USP_ERR_RECORD_NOT_PARSED,
                 "record of %s bytes exceeds the size limit", n);
        return UB_ETOOBIG;
    }
    pb = usp_record__record__unpack(&usp__pb_alloc, len, buf);
    if (!pb) {
        diag_set(diag, USP_ERR_RECORD_NOT_PARSED,
                 "record could not be parsed");
        return UB_EPROTO;
    }

    /* IDs first: they decide whether an Error reply is possible at all. */
    if (!id_ok(pb->from_id)) {
        diag_set(diag, USP_ERR_INVALID_RECORD_VALUE,
                 "from_id is missing or invalid");
        err = UB_EPROTO;
        goto out;
    }
    if (diag)
        usp__strlcpy(diag->from_id, pb->from_id, sizeof(diag->from_id));
    if (!id_ok(pb->to_id)) {
        diag_set(diag, USP_ERR_INVALID_RECORD_VALUE,
                 "to_id is missing or invalid");
        err = UB_EPROTO;
        goto out;
    }
    if (diag) {
        usp__strlcpy(diag->to_id, pb->to_id, sizeof(diag->to_id));
        diag->ids_valid = true;
    }

    /* Learn what the payload is before refusing anything else. */
    if (pb->record_type_case ==
            USP_RECORD__RECORD__RECORD_TYPE_NO_SESSION_CONTEXT &&
        pb->payload_security == USP_RECORD__RECORD__PAYLOAD_SECURITY__PLAINTEXT)
        peek_payload(diag, pb->no_session_context->payload.data,
                     pb->no_session_context->payload.len);
    else if (pb->record_type_case ==
                 USP_RECORD__RECORD__RECORD_TYPE_SESSION_CONTEXT &&
             pb->payload_security ==
                 USP_RECORD__RECORD__PAYLOAD_SECURITY__PLAINTEXT &&
             pb->session_context->n_payload == 1)
        peek_payload(diag, pb->session_context->payload[0].data,
                     pb->session_context->payload[0].len);

    if (!version_ok(pb->version)) {
        char v[16];
        safe_copy(v, sizeof(v), pb->version);
        diag_set(diag, USP_ERR_INVALID_RECORD_VALUE,
                 "unsupported USP version '%s' (supported: "
                 USP_VERSIONS_SUPPORTED ")", v);
        err = *pb->version ? UB_EVERSION : UB_EPROTO;
        goto out;
    }

    switch (pb->record_type_case) {
    case USP_RECORD__RECORD__RECORD_TYPE_SESSION_CONTEXT:
        diag_set(diag, USP_ERR_SESSION_CONTEXT_NOT_ALLOWED,
                 "session context records are not supported");
        err = UB_ENOTSUP;
        goto out;
    case USP_RECORD__RECORD__RECORD_TYPE_NO_SESSION_CONTEXT:
        if (pb->payload_security !=
            USP_RECORD__RECORD__PAYLOAD_SECURITY__PLAINTEXT) {
            diag_set(diag, USP_ERR_SECURE_SESSION_NOT_SUPPORTED,
                     "payload security is not supported");
            err = UB_ENOTSUP;
            goto out;
        }
        if (!pb->no_session_context->payload.len) {
            diag_set(diag, USP_ERR_INVALID_RECORD_VALUE,
                     "no_session_context record without payload");
            err = UB_EPROTO;
            goto out;
        }
        break;
    case USP_RECORD__RECORD__RECORD_TYPE_WEBSOCKET_CONNECT:
    case USP_RECORD__RECORD__RECORD_TYPE_MQTT_CONNECT:
    case USP_RECORD__RECORD__RECORD_TYPE_STOMP_CONNECT:
    case USP_RECORD__RECORD__RECORD_TYPE_DISCONNECT:
    case USP_RECORD__RECORD__RECORD_TYPE_UDS_CONNECT:
        break;
    default:
        diag_set(diag, USP_ERR_INVALID_RECORD_VALUE,
                 "record has no record_type");
        err = UB_EPROTO;
        goto out;
    }

    rec = ub_calloc(1, sizeof(*rec));
    if (!rec) {
        diag_set(diag, USP_ERR_INTERNAL_ERROR, "out of memory");
        err = UB_ENOMEM;
        goto out;
    }
    rec->version = pb->version;
    rec->to_id = pb->to_id;
    rec->from_id = pb->from_id;
    rec->mqtt_topic = "";
    rec->stomp_destination = "";
    rec->disconnect_reason = "";
    switch (pb->record_type_case) {
    case USP_RECORD__RECORD__RECORD_TYPE_NO_SESSION_CONTEXT:
        rec->kind = USP_REC_NO_SESSION;
        rec->payload = pb->no_session_context->payload.data;
        rec->payload_len = pb->no_session_context->payload.len;
        break;
    case USP_RECORD__RECORD__RECORD_TYPE_WEBSOCKET_CONNECT:
        rec->kind = USP_REC_WS_CONNECT;
        break;
    case USP_RECORD__RECORD__RECORD_TYPE_MQTT_CONNECT:
        rec->kind = USP_REC_MQTT_CONNECT;
        rec->mqtt_version = pb->mqtt_connect->version == 1 ? USP_MQTT_V5
                                                           : USP_MQTT_V3_1_1;
        rec->mqtt_topic = pb->mqtt_connect->subscribed_topic;
        break;
    case USP_RECORD__RECORD__RECORD_TYPE_STOMP_CONNECT:
        rec->kind = USP_REC_STOMP_CONNECT;
        rec->stomp_destination = pb->stomp_connect->subscribed_destination;
        break;
    case USP_RECORD__RECORD__RECORD_TYPE_DISCONNECT:
        rec->kind = USP_REC_DISCONNECT;
        rec->disconnect_code = pb->disconnect->reason_code;
        rec->disconnect_reason = pb->disconnect->reason;
        break;
    default: /* USP_RECORD__RECORD__RECORD_TYPE_UDS_CONNECT */
        rec->kind = USP_REC_UDS_CONNECT;
        break;
    }
    rec->priv_ = pb;
    pb = NULL;
    *out = rec;
    err = UB_OK;
out:
    if (pb)
        usp_record__record__free_unpacked(pb, &usp__pb_alloc);
    return err;
}

void usp_record_free(struct usp_record *rec)
{
    if (!rec)
        return;
    if (rec->priv_)
        usp_record__record__free_unpacked(rec->priv_, &usp__pb_alloc);
    ub_free(rec);
}

/* ------------------------------------------------------------------ */
/* Encode                                                              */
/* ------------------------------------------------------------------ */

int usp_record_encode(const struct usp_record *rec, size_t max,
                      uint8_t **out, size_t *out_len)
{
    UspRecord__Record pb = USP_RECORD__RECORD__INIT;
    UspRecord__NoSessionContextRecord nsc =
        USP_RECORD__NO_SESSION_CONTEXT_RECORD__INIT;
    UspRecord__WebSocketConnectRecord ws =
        USP_RECORD__WEB_SOCKET_CONNECT_RECORD__INIT;
    UspRecord__MQTTConnectRecord mq = USP_RECORD__MQTTCONNECT_RECORD__INIT;
    UspRecord__STOMPConnectRecord st = USP_RECORD__STOMPCONNECT_RECORD__INIT;
    UspRecord__DisconnectRecord dc = USP_RECORD__DISCONNECT_RECORD__INIT;
    UspRecord__UDSConnectRecord uds = USP_RECORD__UDSCONNECT_RECORD__INIT;
    size_t len;
    uint8_t *buf;

    if (!rec || !out || !out_len)
        return UB_EINVAL;
    if (!max)
        max = USP_RECORD_MAX_DEFAULT;
    pb.version = (char *)(rec->version ? rec->version : USP_VERSION_DEFAULT);
    pb.to_id = (char *)USP__STR(rec->to_id);
    pb.from_id = (char *)USP__STR(rec->from_id);
    switch (rec->kind) {
    case USP_REC_NO_SESSION:
        if (!rec->payload && rec->payload_len)
            return UB_EINVAL;
        nsc.payload.data = (uint8_t *)rec->payload;
        nsc.payload.len = rec->payload_len;
        pb.record_type_case =
            USP_RECORD__RECORD__RECORD_TYPE_NO_SESSION_CONTEXT;
        pb.no_session_context = &nsc;
        break;
    case USP_REC_WS_CONNECT:
        pb.record_type_case = USP_RECORD__RECORD__RECORD_TYPE_WEBSOCKET_CONNECT;
        pb.websocket_connect = &ws;
        break;
    case USP_REC_MQTT_CONNECT:
        mq.version = rec->mqtt_version == USP_MQTT_V5
            ? USP_RECORD__MQTTCONNECT_RECORD__MQTTVERSION__V5
            : USP_RECORD__MQTTCONNECT_RECORD__MQTTVERSION__V3_1_1;
        mq.subscribed_topic = (char *)USP__STR(rec->mqtt_topic);
        pb.record_type_case = USP_RECORD__RECORD__RECORD_TYPE_MQTT_CONNECT;
        pb.mqtt_connect = &mq;
        break;
    case USP_REC_STOMP_CONNECT:
        st.subscribed_destination = (char *)USP__STR(rec->stomp_destination);
        pb.record_type_case = USP_RECORD__RECORD__RECORD_TYPE_STOMP_CONNECT;
        pb.stomp_connect = &st;
        break;
    case USP_REC_DISCONNECT:
        dc.reason = (char *)USP__STR(rec->disconnect_reason);
        dc.reason_code = rec->disconnect_code;
        pb.record_type_case = USP_RECORD__RECORD__RECORD_TYPE_DISCONNECT;
        pb.disconnect = &dc;
        break;
    case USP_REC_UDS_CONNECT:
        pb.record_type_case = USP_RECORD__RECORD__RECORD_TYPE_UDS_CONNECT;
        pb.uds_connect = &uds;
        break;
    case USP_REC_SESSION:
        return UB_ENOTSUP;
    default:
        return UB_EINVAL;
    }
    len = usp_record__record__get_packed_size(&pb);
    if (len > max)
        return UB_ETOOBIG;
    buf = ub_malloc(len ? len : 1);
    if (!buf)
        return UB_ENOMEM;
    usp_record__record__pack(&pb, buf);
    *out = buf;
    *out_len = len;
    return UB_OK;
}

int usp_record_wrap(const char *to_id, const char *from_id,
                    const uint8_t *msg, size_t msg_len, uint8_t **out,
                    size_t *out_len)
{
    struct usp_record r = {0};
    r.kind = USP_REC_NO_SESSION;
    r.to_id = to_id;
    r.from_id = from_id;
    r.payload = msg;
    r.payload_len = msg_len;
    return usp_record_encode(&r, 0, out, out_len);
}

int usp_record_error_build(const struct usp_record_diag *diag,
                           const char *own_id, uint8_t **out,
                           size_t *out_len)
{
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    int err;

    if (!diag || !own_id || !out || !out_len || !diag->usp_err)
        return UB_EINVAL;
    // Exit if R-MTP.5 says the bad record must be ignored.
    if (!diag->ids_valid || strcmp(diag->to_id, own_id) != 0)
        return UB_ENOTFOUND;
    if (diag->payload_known && !diag->payload_is_request)
        return UB_ENOTFOUND;
    err = usp_msg_encode_error(diag->msg_id[0] ? diag->msg_id
                                               : "record-error",
                               diag->usp_err, diag->msg, &msg, &msg_len);
    if (err)
        return err;
    err = usp_record_wrap(diag->from_id, own_id, msg, msg_len, out, out_len);
    ub_free(msg);
    return err;
}
