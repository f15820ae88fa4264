/*
 * Protobuf text format printer for USP messages and records.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * protobuf-c has no text format.  Rather than one printer per message type,
 * this walks any protobuf-c message through its descriptor (field names,
 * labels, oneof cases), the way protobuf's TextFormat does.  usp_msg_print
 * converts the neutral struct with the encoder's own neutral->protobuf step
 * first, so the text shows exactly what goes on the wire.
 * Output rules: proto3 scalars equal to their default are omitted except
 * enums (so "msg_type: ERROR" shows); maps print as repeated key/value
 * entries; strings are C-escaped (octal for non-printables, as protobuf
 * does) and cut at USP__TEXT_MAX bytes; bytes print as "<N bytes>".
 */
#include "usp_int.h"

#include <inttypes.h>
#include <string.h>

#define USP__TEXT_MAX 1024

static int indent(struct ub_buf *b, int depth)
{
    static const char sp[] = "                                ";
    size_t n = (size_t)depth * 2;
    if (n > sizeof(sp) - 1)
        n = sizeof(sp) - 1;
    return ub_buf_append(b, sp, n);
}

static int put_str(struct ub_buf *b, const char *s)
{
    char tmp[8];
    size_t i = 0;
    int err = ub_buf_append(b, "\"", 1);
    for (; !err && s && s[i] && i < USP__TEXT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': err = ub_buf_append(b, "\\\"", 2); break;
        case '\\': err = ub_buf_append(b, "\\\\", 2); break;
        case '\n': err = ub_buf_append(b, "\\n", 2); break;
        case '\r': err = ub_buf_append(b, "\\r", 2); break;
        case '\t': err = ub_buf_append(b, "\\t", 2); break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                tmp[0] = '\\';
                tmp[1] = (char)('0' + ((c >> 6) & 7));
                tmp[2] = (char)('0' + ((c >> 3) & 7));
                tmp[3] = (char)('0' + (c & 7));
                err = ub_buf_append(b, tmp, 4);
            } else {
                err = ub_buf_append(b, (const char *)&c, 1);
            }
        }
    }
    if (!err && s && s[i])
        err = ub_buf_append(b, "...", 3);
    if (!err)
        err = ub_buf_append(b, "\"", 1);
    return err;
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return 4;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* True when a singular proto3 value equals its default (so it is omitted). */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p == NULL;
    case PROTOBUF_C_TYPE_ENUM:
        return false; /* always shown: readable (msg_type: ERROR) */
    default: {
        static const unsigned char zero[16];
        return memcmp(p, zero, elem_size(f)) == 0;
    }
    }
}

static int print_msg(struct ub_buf *b, const ProtobufCMessage *m, int depth);

static int print_value(struct ub_buf *b, const ProtobufCFieldDescriptor *f,
                       const void *p, int depth)
{
    int err = indent(b, depth);
    if (!err)
        err = ub_buf_appends(b, f->name);
    if (err)
        return err;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return ub_buf_printf(b, ": %" PRId32 "\n", *(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return ub_buf_printf(b, ": %" PRIu32 "\n", *(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return ub_buf_printf(b, ": %" PRId64 "\n", *(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return ub_buf_printf(b, ": %" PRIu64 "\n", *(const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT:
        return ub_buf_printf(b, ": %g\n", (double)*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return ub_buf_printf(b, ": %g\n", *(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return ub_buf_printf(b, ": %s\n",
                             *(const protobuf_c_boolean *)p ? "true" : "false");
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        if (ev)
            return ub_buf_printf(b, ": %s\n", ev->name);
        return ub_buf_printf(b, ": %d\n", v);
    }
    case PROTOBUF_C_TYPE_STRING:
        err = ub_buf_appends(b, ": ");
        if (!err)
            err = put_str(b, *(char *const *)p);
        if (!err)
            err = ub_buf_appends(b, "\n");
        return err;
    case PROTOBUF_C_TYPE_BYTES:
        return ub_buf_printf(b, ": <%zu bytes>\n",
                             ((const ProtobufCBinaryData *)p)->len);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        err = ub_buf_appends(b, " {\n");
        if (!err && sub)
            err = print_msg(b, sub, depth + 1);
        if (!err)
            err = indent(b, depth);
        if (!err)
            err = ub_buf_appends(b, "}\n");
        return err;
    }
    }
    return UB_EINVAL;
}

static int print_msg(struct ub_buf *b, const ProtobufCMessage *m, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    int err = UB_OK;

    for (unsigned i = 0; !err && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;

        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *arr = *(char *const *)p;
            size_t sz = elem_size(f);
            for (size_t k = 0; !err && k < n; k++)
                err = print_value(b, f, arr + k * sz, depth);
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
            if (which != f->id)
                continue;
        } else if (is_default(f, p)) {
            continue;
        }
        err = print_value(b, f, p, depth);
    }
    return err;
}

int usp__pb_print(const ProtobufCMessage *msg, struct ub_buf *out)
{
    if (!msg || !out)
        return UB_EINVAL;
    return print_msg(out, msg, 0);
}

static int kv_line(struct ub_buf *b, int depth, const char *k, const char *v)
{
    int err = indent(b, depth);
    if (!err)
        err = ub_buf_printf(b, "%s: ", k);
    if (!err)
        err = put_str(b, v);
    if (!err)
        err = ub_buf_appends(b, "\n");
    return err;
}

int usp_record_print(const struct usp_record *rec, struct ub_buf *out)
{
    int err;

    if (!rec || !out)
        return UB_EINVAL;
    err = kv_line(out, 0, "version", USP__STR(rec->version));
    if (!err)
        err = kv_line(out, 0, "to_id", USP__STR(rec->to_id));
    if (!err)
        err = kv_line(out, 0, "from_id", USP__STR(rec->from_id));
    if (err)
        return err;
    switch (rec->kind) {
    case USP_REC_NO_SESSION:
        return ub_buf_printf(out,
                             "no_session_context {\n  payload: <%zu bytes>\n}\n",
                             rec->payload_len);
    case USP_REC_SESSION:
        return ub_buf_appends(out, "session_context {\n}\n");
    case USP_REC_WS_CONNECT:
        return ub_buf_appends(out, "websocket_connect {\n}\n");
    case USP_REC_UDS_CONNECT:
        return ub_buf_appends(out, "uds_connect {\n}\n");
    case USP_REC_MQTT_CONNECT:
        err = ub_buf_printf(out, "mqtt_connect {\n  version: %s\n",
                            rec->mqtt_version == USP_MQTT_V5 ? "V5"
                                                             : "V3_1_1");
        if (!err)
            err = kv_line(out, 1, "subscribed_topic",
                          USP__STR(rec->mqtt_topic));
        if (!err)
            err = ub_buf_appends(out, "}\n");
        return err;
    case USP_REC_STOMP_CONNECT:
        err = ub_buf_appends(out, "stomp_connect {\n  version: V1_2\n");
        if (!err)
            err = kv_line(out, 1, "subscribed_destination",
                          USP__STR(rec->stomp_destination));
        if (!err)
            err = ub_buf_appends(out, "}\n");
        return err;
    case USP_REC_DISCONNECT:
        err = ub_buf_appends(out, "disconnect {\n");
        if (!err)
            err = kv_line(out, 1, "reason", USP__STR(rec->disconnect_reason));
        if (!err)
            err = ub_buf_printf(out, "  reason_code: %" PRIu32 "\n}\n",
                                rec->disconnect_code);
        return err;
    default:
        return UB_EINVAL;
    }
}
