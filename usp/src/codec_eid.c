/*
 * USP Endpoint IDs: build os::/ops:: IDs from CWMP identity, check any ID.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * TR-369 "Endpoint Identifier": authority-scheme ":" [authority-id] ":"
 * instance-id.  R-ARC.5 limits instance-id to RFC 3986 unreserved
 * characters (ALPHA / DIGIT / "-" / "." / "_") and %HH escapes; R-ARC.6 to
 * 50 characters.  A CWMP serial number or product class may hold anything,
 * so every other byte is percent-encoded (upper-case hex, as RFC 3986
 * recommends).  The OUI is upper-cased so one device always gets the same
 * ID whatever case its Inform used.
 */
#include "usp_int.h"

#include <string.h>

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static bool hexdig(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
           (c >= 'a' && c <= 'f');
}

/* Appends the percent-encoding of s to b.  Returns the number of
 * instance-id characters added through *n. */
static int pct_append(struct ub_buf *b, const char *s, size_t *n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int err;
        if (unreserved(*p)) {
            err = ub_buf_append(b, p, 1);
            *n += 1;
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            err = ub_buf_append(b, e, 3);
            *n += 3;
        }
        if (err)
            return err;
    }
    return UB_OK;
}

int usp_eid_build(const char *oui, const char *product_class,
                  const char *serial, char **out)
{
    struct ub_buf b;
    char ouiu[7];
    size_t n = 0;
    int err;

    if (!oui || !serial || !out)
        return UB_EINVAL;
    // Exit if the identity is unusable: a bad OUI or an empty part.
    if (strlen(oui) != 6 || !*serial || (product_class && !*product_class))
        return UB_EINVAL;
    for (int i = 0; i < 6; i++) {
        unsigned char c = (unsigned char)oui[i];
        if (!hexdig(c))
            return UB_EINVAL;
        ouiu[i] = (char)((c >= 'a' && c <= 'f') ? c - 'a' + 'A' : c);
    }
    ouiu[6] = '\0';

    ub_buf_init(&b, 512);
    err = ub_buf_appends(&b, product_class ? "ops::" : "os::");
    if (!err)
        err = ub_buf_appends(&b, ouiu);
    n = 6;
    if (!err && product_class) {
        err = ub_buf_appends(&b, "-");
        n++;
        if (!err)
            err = pct_append(&b, product_class, &n);
    }
    if (!err) {
        err = ub_buf_appends(&b, "-");
        n++;
    }
    if (!err)
        err = pct_append(&b, serial, &n);
    if (err)
        return err; /* ub_buf freed itself */
    if (n > USP_EID_INSTANCE_MAX) {
        ub_buf_free(&b);
        return UB_ETOOBIG;
    }
    *out = ub_buf_take(&b, NULL);
    return *out ? UB_OK : UB_ENOMEM;
}

/* Checks n bytes of an authority-id of the "0-6 unreserved" kind. */
static bool auth_short(const char *s, size_t n, bool allow_dot)
{
    if (n > 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!unreserved((unsigned char)s[i]) || (!allow_dot && s[i] == '.'))
            return false;
    return true;
}

int usp_eid_check(const char *eid)
{
    static const char *const schemes[] = {"oui",  "cid",  "pen",  "self",
                                          "user", "os",   "ops",  "uuid",
                                          "imei", "proto", "doc"};
    const char *c1, *c2, *auth, *inst;
    size_t slen, alen, ilen = 0;
    int scheme = -1;

    if (!eid)
        return UB_EINVAL;
    c1 = strchr(eid, ':');
    if (!c1)
        return UB_EINVAL;
    c2 = strchr(c1 + 1, ':');
    if (!c2)
        return UB_EINVAL;
    slen = (size_t)(c1 - eid);
    auth = c1 + 1;
    alen = (size_t)(c2 - auth);
    inst = c2 + 1;
    for (size_t i = 0; i < UB_ARRAY_LEN(schemes); i++)
        if (strlen(schemes[i]) == slen && !memcmp(schemes[i], eid, slen))
            scheme = (int)i;
    switch (scheme) {
    case 0: /* oui */
    case 1: /* cid */
        if (alen != 6)
            return UB_EINVAL;
        for (size_t i = 0; i < 6; i++)
            if (!hexdig((unsigned char)auth[i]))
                return UB_EINVAL;
        break;
    case 2: /* pen */
        if (!alen)
            return UB_EINVAL;
        for (size_t i = 0; i < alen; i++)
            if (auth[i] < '0' || auth[i] > '9')
                return UB_EINVAL;
        break;
    case 3: /* self */
    case 4: /* user */
    case 10: /* doc */
        if (!auth_short(auth, alen, true))
            return UB_EINVAL;
        break;
    case 9: /* proto */
        if (!auth_short(auth, alen, false))
            return UB_EINVAL;
        break;
    case 5: case 6: case 7: case 8: /* os ops uuid imei */
        if (alen)
            return UB_EINVAL;
        break;
    default:
        return UB_EINVAL;
    }
    if (!*inst)
        return UB_EINVAL;
    for (const char *p = inst; *p; p++) {
        if (*p == '%') {
            if (!hexdig((unsigned char)p[1]) || !hexdig((unsigned char)p[2]))
                return UB_EINVAL;
            p += 2;
        } else if (!unreserved((unsigned char)*p)) {
            return UB_EINVAL;
        }
        ilen++;
    }
    /* The limit counts characters as sent, so an escape counts 3. */
    ilen = strlen(inst);
    return ilen > USP_EID_INSTANCE_MAX ? UB_ETOOBIG : UB_OK;
}
