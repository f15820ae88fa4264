/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * CWMP SOAP codec: one envelope <-> one struct cwmp_msg.
 *
 * DESIGN
 *  - gSOAP is a buffer codec here and nothing else: the serializers that
 *    soapcpp2 generates from cwmp/gsoap/cwmp.h (gen/soapC.c) plus the
 *    runtime's XML scanner.  Input comes from memory through soap->frecv,
 *    output goes to a struct ub_buf through soap->fsend; no socket, no
 *    HTTP, no soap_serve.
 *  - One struct soap per codec (~160 KB), reused: soap_end() after every
 *    message frees gSOAP's arena.  Everything handed out is copied into
 *    ub_malloc memory first (codec_dec.c), so nothing points into the arena.
 *  - Limits from struct cwmp_codec_limits become soap->recv_maxlength,
 *    maxlevel, maxlength and maxoccurs.  Arrays are literal repeated
 *    elements (see cwmp/gsoap/cwmp.h), so an arrayType count from the peer
 *    never sizes an allocation.
 *  - gSOAP does not expand entities beyond the five predefined and numeric
 *    ones (unknown ones are dropped) and skips a DTD without reading it; a
 *    document with a DOCTYPE is refused up front anyway (billion laughs,
 *    external entities) with a clear reason.
 *  - gSOAP's maxlevel is not applied while it skips unknown elements, so a
 *    small depth counter (prescan) scans the bytes first; see there.
 *  - Namespaces: one table per CWMP version.  For input the cwmp entry has
 *    the pattern "urn:dslforum-org:cwmp-1-*", so any prefix bound to any of
 *    cwmp-1-0 .. 1-4 (or a default namespace) matches; the version comes
 *    from the URI of the Body element.  For output the table of
 *    msg->version gives the literal prefixes SOAP-ENV, SOAP-ENC, xsi, xsd
 *    and cwmp that naive CPE parsers expect.
 *  - The Body element is dispatched on its local name; the namespace is not
 *    checked beyond that (vendors bind odd prefixes, some use defaults).
 */
#include "cwmp_int.h"

#include "soapH.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gSOAP's runtime refers to a global table; we always install our own per
 * message with soap_set_namespaces(), this one only satisfies the linker. */
SOAP_NMAC struct Namespace namespaces[] = {
    {"SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/", NULL, NULL},
    {"SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/", NULL, NULL},
    {"xsi", "http://www.w3.org/2001/XMLSchema-instance", NULL, NULL},
    {"xsd", "http://www.w3.org/2001/XMLSchema", NULL, NULL},
    {"cwmp", "urn:dslforum-org:cwmp-1-0", NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

#define NS_COMMON                                                              \
    {"SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/", NULL, NULL},     \
        {"SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/", NULL,        \
         NULL},                                                                \
        {"xsi", "http://www.w3.org/2001/XMLSchema-instance",                   \
         "http://www.w3.org/*/XMLSchema-instance", NULL},                      \
        {"xsd", "http://www.w3.org/2001/XMLSchema",                            \
         "http://www.w3.org/*/XMLSchema", NULL}
#define NS_CWMP_INDEX 4

static const struct Namespace ns_in[] = {
    NS_COMMON,
    {"cwmp", "urn:dslforum-org:cwmp-1-0", "urn:dslforum-org:cwmp-1-*", NULL},
    {NULL, NULL, NULL, NULL},
};

#define NS_OUT(n)                                                              \
    {                                                                          \
        NS_COMMON, {"cwmp", "urn:dslforum-org:cwmp-1-" #n, NULL, NULL},        \
        {                                                                      \
            NULL, NULL, NULL, NULL                                             \
        }                                                                      \
    }
static const struct Namespace ns_out[][6] = {
    NS_OUT(0), NS_OUT(1), NS_OUT(2), NS_OUT(3), NS_OUT(4),
};

struct cwmp_codec {
    struct soap *soap;
    struct cwmp_codec_limits lim;
    /* current input */
    const char *in;
    size_t in_len, in_pos;
    /* current output */
    struct ub_buf *out;
    int out_err;
};

/* ------------------------------------------------------------------ */
/* Helpers shared with codec_dec.c / codec_enc.c                      */
/* ------------------------------------------------------------------ */

void cwmp__codec_reason(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errsz)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

int cwmp__dup(char **dst, const char *s)
{
    char *d;

    if (!s) {
        *dst = NULL;
        return UB_OK;
    }
    d = ub_strdup(s);
    if (!d)
        return UB_ENOMEM;
    *dst = d;
    return UB_OK;
}

int cwmp__dup0(char **dst, const char *s)
{
    return cwmp__dup(dst, s ? s : "");
}

static const char *skip_blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return s;
}

static bool only_blank(const char *s)
{
    return *skip_blank(s) == '\0';
}

int cwmp__parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v;
    char *end;

    if (!s || only_blank(s)) {
        *out = 0;
        return UB_OK;
    }
    s = skip_blank(s);
    if (*s == '+')
        s++;
    if (!isdigit((unsigned char)*s))
        return UB_EPROTO;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || v > max || !only_blank(end))
        return UB_EPROTO;
    *out = v;
    return UB_OK;
}

int cwmp__parse_int(const char *s, int *out)
{
    long v;
    char *end;

    if (!s || only_blank(s)) {
        *out = 0;
        return UB_OK;
    }
    s = skip_blank(s);
    if (!isdigit((unsigned char)*s) && *s != '-' && *s != '+')
        return UB_EPROTO;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || v < INT_MIN || v > INT_MAX || !only_blank(end))
        return UB_EPROTO;
    *out = (int)v;
    return UB_OK;
}

int cwmp__parse_bool(const char *s, bool *out)
{
    size_t n;

    if (!s || only_blank(s)) {
        *out = false;
        return UB_OK;
    }
    s = skip_blank(s);
    for (n = 0; s[n] && !isspace((unsigned char)s[n]); n++)
        ;
    if (!only_blank(s + n))
        return UB_EPROTO;
    if ((n == 1 && *s == '1') || (n == 4 && !strncasecmp(s, "true", 4))) {
        *out = true;
        return UB_OK;
    }
    if ((n == 1 && *s == '0') || (n == 5 && !strncasecmp(s, "false", 5))) {
        *out = false;
        return UB_OK;
    }
    return UB_EPROTO;
}

/* ------------------------------------------------------------------ */
/* Context                                                             */
/* ------------------------------------------------------------------ */

static size_t codec_recv(struct soap *soap, char *buf, size_t n)
{
    struct cwmp_codec *c = soap->user;
    size_t left = c->in_len - c->in_pos;

    if (n > left)
        n = left;
    memcpy(buf, c->in + c->in_pos, n);
    c->in_pos += n;
    return n;
}

static int codec_send(struct soap *soap, const char *p, size_t n)
{
    struct cwmp_codec *c = soap->user;

    if (c->out_err)
        return SOAP_EOF;
    c->out_err = ub_buf_append(c->out, p, n);
    return c->out_err ? SOAP_EOF : SOAP_OK;
}

/* Unknown elements (vendor headers, extra children) are skipped; without
 * this callback gSOAP refuses any unknown element inside the SOAP Header.
 * A header the peer marked mustUnderstand="1" is still refused. */
static int codec_ignore(struct soap *soap, const char *tag)
{
    (void)tag;
    if (soap->mustUnderstand)
        return soap->error = SOAP_MUSTUNDERSTAND;
    return SOAP_OK;
}

int cwmp_codec_create(const struct cwmp_codec_limits *lim,
                      struct cwmp_codec **out)
{
    struct cwmp_codec *c;

    c = ub_calloc(1, sizeof(*c));
    if (!c)
        return UB_ENOMEM;
    if (lim)
        c->lim = *lim;
    if (!c->lim.max_envelope)
        c->lim.max_envelope = CWMP_CODEC_DEF_MAX_ENVELOPE;
    if (!c->lim.max_depth)
        c->lim.max_depth = CWMP_CODEC_DEF_MAX_DEPTH;
    if (!c->lim.max_elements)
        c->lim.max_elements = CWMP_CODEC_DEF_MAX_ELEMENTS;
    if (!c->lim.max_string)
        c->lim.max_string = CWMP_CODEC_DEF_MAX_STRING;
    if (c->lim.max_string > LONG_MAX)
        c->lim.max_string = LONG_MAX;
    if (c->lim.max_elements > INT_MAX)
        c->lim.max_elements = INT_MAX;

    /* UTF-8 text kept as is; XML tree (no id/href graphs, no multi-ref
     * pass); no xsi:type on output except where we carry one ourselves;
     * plain input (never parse HTTP headers). */
    c->soap = soap_new1(SOAP_C_UTFSTRING | SOAP_XML_TREE | SOAP_XML_NOTYPE |
                        SOAP_ENC_PLAIN | SOAP_IO_BUFFER);
    if (!c->soap) {
        ub_free(c);
        return UB_ENOMEM;
    }
    c->soap->user = c;
    c->soap->frecv = codec_recv;
    c->soap->fsend = codec_send;
    c->soap->fignore = codec_ignore;
    c->soap->maxlevel = c->lim.max_depth;
    c->soap->maxlength = (long)c->lim.max_string;
    c->soap->maxoccurs = c->lim.max_elements;
    c->soap->recv_maxlength = c->lim.max_envelope;
    *out = c;
    return UB_OK;
}

void cwmp_codec_destroy(struct cwmp_codec *c)
{
    if (!c)
        return;
    soap_end(c->soap);
    soap_free(c->soap);
    ub_free(c);
}

/* ------------------------------------------------------------------ */
/* Decode                                                              */
/* ------------------------------------------------------------------ */

struct body_name {
    const char *name;
    enum cwmp_method method;
    enum cwmp_kind kind;
};

#define REQ_RESP(n, m)                                                         \
    {n, m, CWMP_REQUEST}, { n "Response", m, CWMP_RESPONSE }
static const struct body_name body_names[] = {
    REQ_RESP("Inform", CWMP_M_INFORM),
    REQ_RESP("GetParameterValues", CWMP_M_GET_PARAMETER_VALUES),
    REQ_RESP("SetParameterValues", CWMP_M_SET_PARAMETER_VALUES),
    REQ_RESP("GetParameterNames", CWMP_M_GET_PARAMETER_NAMES),
    REQ_RESP("GetRPCMethods", CWMP_M_GET_RPC_METHODS),
    REQ_RESP("SetParameterAttributes", CWMP_M_SET_PARAMETER_ATTRIBUTES),
    REQ_RESP("GetParameterAttributes", CWMP_M_GET_PARAMETER_ATTRIBUTES),
    REQ_RESP("AddObject", CWMP_M_ADD_OBJECT),
    REQ_RESP("DeleteObject", CWMP_M_DELETE_OBJECT),
    REQ_RESP("Reboot", CWMP_M_REBOOT),
    REQ_RESP("Download", CWMP_M_DOWNLOAD),
    REQ_RESP("Upload", CWMP_M_UPLOAD),
    REQ_RESP("FactoryReset", CWMP_M_FACTORY_RESET),
    REQ_RESP("ScheduleInform", CWMP_M_SCHEDULE_INFORM),
    REQ_RESP("ScheduleDownload", CWMP_M_SCHEDULE_DOWNLOAD),
    REQ_RESP("CancelTransfer", CWMP_M_CANCEL_TRANSFER),
    REQ_RESP("ChangeDUState", CWMP_M_CHANGE_DU_STATE),
    REQ_RESP("TransferComplete", CWMP_M_TRANSFER_COMPLETE),
    REQ_RESP("AutonomousTransferComplete",
             CWMP_M_AUTONOMOUS_TRANSFER_COMPLETE),
    REQ_RESP("DUStateChangeComplete", CWMP_M_DU_STATE_CHANGE_COMPLETE),
    REQ_RESP("AutonomousDUStateChangeComplete",
             CWMP_M_AUTONOMOUS_DU_STATE_CHANGE_COMPLETE),
    REQ_RESP("RequestDownload", CWMP_M_REQUEST_DOWNLOAD),
    REQ_RESP("Kicked", CWMP_M_KICKED),
};

static const char *local_name(const char *tag)
{
    const char *c = strrchr(tag, ':');
    return c ? c + 1 : tag;
}

/* One pass over the raw bytes before gSOAP sees them, counting element
 * nesting without interpreting anything else:
 *  - gSOAP skips unknown elements (vendor extensions, anything under an
 *    unknown header) with a flat scan that does not apply soap->maxlevel,
 *    so a 10k-deep subtree there would otherwise be accepted;
 *  - a DOCTYPE or ENTITY declaration is refused: gSOAP would skip a DTD
 *    without expanding anything, but a CWMP envelope never has one, so
 *    billion-laughs and external-entity documents get a clear reason.
 * It only recognises what changes depth: start tags (with quoted attribute
 * values, which may hold '>'), end tags, empty-element tags, and skips
 * comments, CDATA sections and processing instructions.  It stops at the
 * first finding.  Malformed input is left to gSOAP. */
enum prescan { PRESCAN_OK = 0, PRESCAN_TOO_DEEP, PRESCAN_DTD };

static enum prescan prescan(const char *p, size_t len, unsigned max)
{
    const char *end = p + len;
    unsigned depth = 0;

    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt || lt + 1 >= end)
            return PRESCAN_OK;
        p = lt + 1;
        if (*p == '/') {
            if (depth)
                depth--;
            p = memchr(p, '>', (size_t)(end - p));
            if (!p)
                return PRESCAN_OK;
            p++;
        } else if (*p == '?') {
            p = memmem(p, (size_t)(end - p), "?>", 2);
            if (!p)
                return PRESCAN_OK;
            p += 2;
        } else if (*p == '!') {
            const char *term = "-->";
            if ((size_t)(end - p) >= 8 && !memcmp(p, "![CDATA[", 8))
                term = "]]>";
            else if ((size_t)(end - p) < 3 || memcmp(p, "!--", 3) != 0) {
                if ((size_t)(end - p) >= 8 && (!memcmp(p, "!DOCTYPE", 8) ||
                                               !memcmp(p, "!ENTITY", 7)))
                    return PRESCAN_DTD;
                term = ">";
            }
            p = memmem(p, (size_t)(end - p), term, strlen(term));
            if (!p)
                return PRESCAN_OK;
            p += strlen(term);
        } else {
            char quote = 0;
            bool empty = false;
            for (; p < end; p++) {
                if (quote) {
                    if (*p == quote)
                        quote = 0;
                } else if (*p == '"' || *p == '\'') {
                    quote = *p;
                } else if (*p == '>') {
                    empty = p[-1] == '/';
                    break;
                }
            }
            if (p >= end)
                return PRESCAN_OK;
            p++;
            if (!empty && ++depth > max)
                return PRESCAN_TOO_DEEP;
        }
    }
    return PRESCAN_OK;
}

static int map_soap_error(struct soap *soap, char *err, size_t errsz)
{
    char tag[64];
    int e = soap->error;

    ub_log_repr(tag, sizeof(tag), soap->tag, strnlen(soap->tag, sizeof(soap->tag)),
                40);
    switch (e) {
    case SOAP_LEVEL:
        cwmp__codec_reason(err, errsz, "XML nesting deeper than %u",
                           soap->maxlevel);
        return UB_ETOOBIG;
    case SOAP_LENGTH:
        cwmp__codec_reason(err, errsz, "string longer than %ld at <%s>",
                           soap->maxlength, tag);
        return UB_ETOOBIG;
    case SOAP_OCCURS:
        cwmp__codec_reason(err, errsz, "more than %zu items at <%s>",
                           soap->maxoccurs, tag);
        return UB_ETOOBIG;
    case SOAP_EOM:
        cwmp__codec_reason(err, errsz, "out of memory");
        return UB_ENOMEM;
    case SOAP_EOF:
        cwmp__codec_reason(err, errsz, "truncated XML");
        return UB_EPROTO;
    case SOAP_VERSIONMISMATCH:
        cwmp__codec_reason(err, errsz, "not a SOAP 1.1 envelope");
        return UB_EPROTO;
    case SOAP_TAG_MISMATCH:
        cwmp__codec_reason(err, errsz, "unexpected element <%s>", tag);
        return UB_EPROTO;
    case SOAP_NO_TAG:
        cwmp__codec_reason(err, errsz, "element missing near <%s>", tag);
        return UB_EPROTO;
    case SOAP_SYNTAX_ERROR:
        cwmp__codec_reason(err, errsz, "XML syntax error near <%s>", tag);
        return UB_EPROTO;
    case SOAP_MUSTUNDERSTAND:
        cwmp__codec_reason(err, errsz,
                           "header <%s> with mustUnderstand not understood",
                           tag);
        return UB_EPROTO;
    case SOAP_NAMESPACE:
        cwmp__codec_reason(err, errsz, "namespace error near <%s>", tag);
        return UB_EPROTO;
    case SOAP_UTF_ERROR:
        cwmp__codec_reason(err, errsz, "invalid UTF-8");
        return UB_EPROTO;
    case SOAP_TYPE:
        cwmp__codec_reason(err, errsz, "type mismatch at <%s>", tag);
        return UB_EPROTO;
    default:
        cwmp__codec_reason(err, errsz, "malformed SOAP (gSOAP error %d)", e);
        return UB_EPROTO;
    }
}

static int copy_header(const struct SOAP_ENV__Header *h, struct cwmp_msg *m)
{
    int err;

    if (!h)
        return UB_OK;
    if (h->cwmp__ID) {
        err = cwmp__dup(&m->id, h->cwmp__ID);
        if (err)
            return err;
    }
    if (h->cwmp__HoldRequests) {
        /* Lenient: anything not clearly true is false. */
        bool b = false;
        if (cwmp__parse_bool(h->cwmp__HoldRequests, &b) == UB_OK)
            m->hold_requests = b;
    }
    return UB_OK;
}

int cwmp_decode(struct cwmp_codec *c, const char *buf, size_t len,
                struct cwmp_msg **out, char *err, size_t errsz)
{
    struct soap *soap = c->soap;
    struct cwmp_msg *m = NULL;
    const struct body_name *bn = NULL;
    const char *uri;
    int rc = UB_OK;

    if (err && errsz)
        *err = '\0';
    if (!out || (!buf && len))
        return UB_EINVAL;
    // Exit if the envelope is over the limit before parsing anything.
    if (len > c->lim.max_envelope) {
        cwmp__codec_reason(err, errsz, "envelope of %zu bytes over %zu", len,
                           c->lim.max_envelope);
        return UB_ETOOBIG;
    }
    {
        size_t i = 0;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
                           buf[i] == '\n'))
            i++;
        if (i == len) {
            cwmp__codec_reason(err, errsz, "empty body");
            return UB_EPROTO;
        }
    }
    switch (prescan(buf, len, c->lim.max_depth)) {
    case PRESCAN_DTD:
        cwmp__codec_reason(err, errsz, "DTD/entity declarations not allowed");
        return UB_EPROTO;
    case PRESCAN_TOO_DEEP:
        cwmp__codec_reason(err, errsz, "XML nesting deeper than %u",
                           c->lim.max_depth);
        return UB_ETOOBIG;
    default:
        break;
    }

    m = cwmp_msg_new(CWMP_M_NONE, CWMP_REQUEST);
    if (!m)
        return UB_ENOMEM;
    ub_param_list_init(&m->params, c->lim.max_elements);
    ub_param_list_init(&m->inform.params, c->lim.max_elements);
    ub_strv_init(&m->strv, c->lim.max_elements);

    c->in = buf;
    c->in_len = len;
    c->in_pos = 0;
    soap_set_namespaces(soap, ns_in);
    soap->mode &= ~(soap_mode)SOAP_XML_IGNORENS;
    soap->header = NULL;
    if (soap_begin_recv(soap) || soap_envelope_begin_in(soap))
        goto soap_fail;
    // Exit if there was no SOAP 1.1 Envelope (gSOAP tolerates plain XML
    // and any namespace on it).
    uri = soap_current_namespace_tag(soap, soap->tag);
    if (soap->version != 1 || !uri ||
        strcmp(uri, "http://schemas.xmlsoap.org/soap/envelope/") != 0) {
        cwmp__codec_reason(err, errsz, "not a SOAP 1.1 envelope");
        rc = UB_EPROTO;
        goto out;
    }
    if (soap_recv_header(soap))
        goto soap_fail;
    /* Inside the Body, match elements by local name: some CPEs qualify the
     * RPC's children (<cwmp:DeviceId>) or use odd default namespaces.  Not
     * in the Header: there gSOAP would then refuse unknown elements. */
    soap->mode |= SOAP_XML_IGNORENS;
    if (soap_body_begin_in(soap))
        goto soap_fail;
    rc = copy_header(soap->header, m);
    if (rc)
        goto out;

    if (soap_peek_element(soap)) {
        if (soap->error == SOAP_NO_TAG) {
            cwmp__codec_reason(err, errsz, "empty SOAP Body");
            rc = UB_EPROTO;
            goto out;
        }
        goto soap_fail;
    }

    /* Version: gSOAP records in local_namespaces[cwmp].out the cwmp-1-*
     * URI the document bound when it differs from the table's (that is
     * also what it would answer with); else the Body element's namespace;
     * else 1-0. */
    if (soap->local_namespaces && soap->local_namespaces[NS_CWMP_INDEX].out)
        uri = soap->local_namespaces[NS_CWMP_INDEX].out;
    else
        uri = soap_current_namespace_tag(soap, soap->tag);
    if (uri)
        (void)cwmp__version_from_uri(uri, &m->version);

    if (!soap_match_tag(soap, soap->tag, "SOAP-ENV:Fault") ||
        !strcmp(local_name(soap->tag), "Fault")) {
        m->method = CWMP_M_NONE;
        m->kind = CWMP_FAULT;
    } else {
        const char *ln = local_name(soap->tag);
        for (size_t i = 0; i < UB_ARRAY_LEN(body_names); i++) {
            if (!strcmp(ln, body_names[i].name)) {
                bn = &body_names[i];
                break;
            }
        }
        // Exit if the method is unknown: the caller answers 8000/9000.
        if (!bn) {
            char tag[64];
            ub_log_repr(tag, sizeof(tag), ln, strlen(ln), 40);
            cwmp__codec_reason(err, errsz, "unknown method <%s>", tag);
            rc = UB_ENOTSUP;
            soap_end_recv(soap); /* best effort, result irrelevant */
            soap_end(soap);
            *out = m;
            return rc;
        }
        m->method = bn->method;
        m->kind = bn->kind;
    }

    rc = cwmp__dec_body(soap, m, err, errsz);
    if (rc) {
        if (soap->error)
            goto soap_fail;
        goto out;
    }
    if (soap_body_end_in(soap) || soap_envelope_end_in(soap) ||
        soap_end_recv(soap))
        goto soap_fail;
    soap_end(soap);
    *out = m;
    return UB_OK;

soap_fail:
    rc = map_soap_error(soap, err, errsz);
out:
    soap_end(soap);
    cwmp_msg_free(m);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Encode                                                              */
/* ------------------------------------------------------------------ */

int cwmp_encode(struct cwmp_codec *c, const struct cwmp_msg *m,
                struct ub_buf *out)
{
    struct soap *soap = c->soap;
    struct SOAP_ENV__Header hdr;
    int e;

    if (!m || !out)
        return UB_EINVAL;
    if (m->kind != CWMP_FAULT &&
        (m->method <= CWMP_M_NONE || m->method >= CWMP_M_MAX_))
        return UB_EINVAL;

    c->out = out;
    c->out_err = UB_OK;
    soap_set_namespaces(soap, ns_out[m->version > CWMP_V1_4 ? CWMP_V1_4
                                                             : m->version]);
    soap_default_SOAP_ENV__Header(soap, &hdr);
    hdr.cwmp__ID = m->id;
    hdr.cwmp__HoldRequests = m->hold_requests ? (char *)"1" : NULL;
    soap->header = (m->id || m->hold_requests) ? &hdr : NULL;

    e = soap_begin_send(soap);
    if (!e)
        e = soap_envelope_begin_out(soap);
    if (!e)
        e = soap_putheader(soap);
    soap->mustUnderstand = 0;
    if (!e)
        e = soap_body_begin_out(soap);
    if (!e)
        e = cwmp__enc_body(soap, m);
    /* A failed soap_malloc (numbers, arrayType texts) only sets
     * soap->error; the element would silently be missing. */
    if (!e && soap->error)
        e = soap->error;
    if (!e)
        e = soap_body_end_out(soap);
    if (!e)
        e = soap_envelope_end_out(soap);
    if (!e)
        e = soap_end_send(soap);
    soap->header = NULL;
    soap_end(soap);
    c->out = NULL;
    if (c->out_err)
        return c->out_err;
    if (e == -1)
        return UB_EINVAL;
    if (e == SOAP_EOM)
        return UB_ENOMEM;
    return e ? UB_EPROTO : UB_OK;
}
