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
           "basic-upfront, echo-cookie-attrs, spv-always-0, tr098";
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

int sim_quirks_apply(unsigned quirks, struct ub_buf *b)
{
    if (!b->data)
        return UB_OK;
    if (quirks & SIM_Q_NO_XSI_TYPE) {
        b->len = drop_xsi_types(b->data, b->len);
        b->data[b->len] = 0;
    }
    if (quirks & SIM_Q_BAD_ARRAYTYPE)
        return bump_array_counts(b);
    return UB_OK;
}
