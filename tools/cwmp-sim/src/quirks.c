/*
 * cwmp-sim: text-level quirks applied to the envelopes the simulator sends.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * The codec writes correct SOAP.  Real CPEs do not always: some omit every
 * xsi:type, some send SOAP-ENC:arrayType counts that do not match the
 * number of items.  Rather than teaching the project's one codec to write
 * wrong XML, the simulator edits its own, already encoded output.  This is
 * a rewrite of our own bytes, not a parser of peer input: it only looks at
 * attributes inside tags (between '<' and '>'), and attribute values the
 * codec writes never contain '<' or '>'.
 */
#include "sim_int.h"

#include <string.h>

static const char *quirk_names[] = {
    "periodic-first", "no-xsi-type", "bad-arraytype-count", "gpv-9004",
    "basic-upfront", "echo-cookie-attrs", "spv-always-0", "tr098",
    "mixed-ns-prefixes", "naive-parser",
};

unsigned sim_quirk_from_name(const char *name)
{
    for (size_t i = 0; i < UB_ARRAY_LEN(quirk_names); i++)
        if (strcmp(name, quirk_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *sim_quirk_names(void)
{
    return "periodic-first, no-xsi-type, bad-arraytype-count, gpv-9004, "
           "basic-upfront, echo-cookie-attrs, spv-always-0, tr098, "
           "mixed-ns-prefixes, naive-parser";
}

/* Attribute name at p (inside a tag) ends with ":type" or is "type" of an
 * xsi-like prefix: we match the literal "xsi:type=" the codec writes. */
static size_t drop_xsi_types(char *d, size_t n)
{
    static const char key[] = " xsi:type=\"";
    size_t r = 0, w = 0;
    bool in_tag = false;

    while (r < n) {
        if (in_tag && n - r >= sizeof(key) - 1 &&
            memcmp(d + r, key, sizeof(key) - 1) == 0) {
            const char *q = memchr(d + r + sizeof(key) - 1, '"',
                                   n - r - (sizeof(key) - 1));
            if (q) {
                r = (size_t)(q - d) + 1;
                continue;
            }
        }
        if (d[r] == '<')
            in_tag = true;
        else if (d[r] == '>')
            in_tag = false;
        d[w++] = d[r++];
    }
    return w;
}

/* arrayType="cwmp:ParameterValueStruct[3]" -> "[4]" (the count is off by
 * one, as seen from real CPEs). */
static int bump_array_counts(struct ub_buf *b)
{
    struct ub_buf o;
    const char *p = b->data, *end = b->data + b->len;
    int err = UB_OK;

    ub_buf_init(&o, b->max ? b->max : 16u << 20);
    while (p < end) {
        const char *a = strstr(p, "arrayType=\"");
        const char *lb, *rb, *q;
        unsigned long n = 0;

        if (!a || a >= end) {
            err = ub_buf_append(&o, p, (size_t)(end - p));
            break;
        }
        q = strchr(a + 11, '"');
        lb = q ? memchr(a, '[', (size_t)(q - a)) : NULL;
        rb = lb ? memchr(lb, ']', (size_t)(q - lb)) : NULL;
        if (!q || !lb || !rb) {
            err = ub_buf_append(&o, p, (size_t)(a + 11 - p));
            p = a + 11;
            if (err)
                break;
            continue;
        }
        for (const char *c = lb + 1; c < rb; c++)
            n = n * 10 + (unsigned long)(*c >= '0' && *c <= '9' ? *c - '0' : 0);
        err = ub_buf_append(&o, p, (size_t)(lb + 1 - p));
        if (!err)
            err = ub_buf_printf(&o, "%lu", n + 1);
        if (err)
            break;
        p = rb;
    }
    if (err)
        return err;
    ub_buf_free(b);
    *b = o;
    return UB_OK;
}

/* mixed-ns-prefixes: SOAP-ENV -> soap, SOAP-ENC -> soapenc, xsd -> xs, and
 * the cwmp namespace bound twice: "cwmp" in the Header, "ns2" in the Body
 * (both declared on the Envelope).  Only inside tags, attribute values
 * (QNames such as arrayType="cwmp:...") included. */
static int mix_prefixes(struct ub_buf *b)
{
    static const struct { const char *from, *to; bool body_only; } rep[] = {
        {"xmlns:SOAP-ENV=", "xmlns:soap=", false},
        {"xmlns:SOAP-ENC=", "xmlns:soapenc=", false},
        {"xmlns:xsd=", "xmlns:xs=", false},
        {"SOAP-ENV:", "soap:", false},
        {"SOAP-ENC:", "soapenc:", false},
        {"xsd:", "xs:", false},
        {"cwmp:", "ns2:", true},
    };
    const char *uri = strstr(b->data, "xmlns:cwmp=\""), *uri_end;
    const char *p = b->data, *end = b->data + b->len;
    struct ub_buf o;
    bool in_tag = false, in_body = false, declared = false;
    int err = UB_OK;

    if (!uri)
        return UB_OK; /* not an envelope we wrote */
    uri += strlen("xmlns:cwmp=\"");
    uri_end = strchr(uri, '"');
    if (!uri_end)
        return UB_OK;
    ub_buf_init(&o, b->max ? b->max : 16u << 20);
    while (p < end && !err) {
        bool done = false;
        if (in_tag) {
            for (size_t i = 0; i < UB_ARRAY_LEN(rep); i++) {
                size_t n = strlen(rep[i].from);
                if ((!rep[i].body_only || in_body) && (size_t)(end - p) >= n &&
                    memcmp(p, rep[i].from, n) == 0) {
                    err = ub_buf_appends(&o, rep[i].to);
                    p += n;
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        if (*p == '<') {
            in_tag = true;
        } else if (*p == '>' && in_tag) {
            in_tag = false;
            if (!declared) {
                /* end of the Envelope start tag: the second binding */
                err = ub_buf_printf(&o, " xmlns:ns2=\"%.*s\"",
                                    (int)(uri_end - uri), uri);
                declared = true;
            }
            if (p - b->data >= 5 && memcmp(p - 5, ":Body", 5) == 0)
                in_body = true;
        }
        if (!err && p[0] == '<' && p[1] == '?') {
            /* the XML declaration is not the Envelope tag */
            const char *q = strstr(p, "?>");
            size_t n = q ? (size_t)(q + 2 - p) : (size_t)(end - p);
            err = ub_buf_append(&o, p, n);
            p += n;
            in_tag = false;
            continue;
        }
        if (!err)
            err = ub_buf_append(&o, p, 1);
        p++;
    }
    if (err)
        return err;
    ub_buf_free(b);
    *b = o;
    return UB_OK;
}

bool sim_quirks_naive_ok(const char *buf)
{
    return strstr(buf, "<cwmp:") && strstr(buf, "<cwmp:ID");
}

int sim_quirks_apply(unsigned quirks, struct ub_buf *b)
{
    int err;

    if (!b->data)
        return UB_OK;
    if (quirks & SIM_Q_NO_XSI_TYPE) {
        b->len = drop_xsi_types(b->data, b->len);
        b->data[b->len] = 0;
    }
    if (quirks & SIM_Q_BAD_ARRAYTYPE) {
        err = bump_array_counts(b);
        if (err)
            return err;
    }
    if (quirks & SIM_Q_MIXED_NS)
        return mix_prefixes(b);
    return UB_OK;
}
