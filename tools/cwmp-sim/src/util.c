/*
 * cwmp-sim: small helpers (JSON string escaping, macro expansion).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#include "sim_int.h"

#include <stdio.h>
#include <string.h>

int sim_json_str(struct ub_buf *b, const char *s)
{
    int err = ub_buf_append(b, "\"", 1);

    for (; !err && s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            err = ub_buf_append(b, e, 2);
        } else if (c < 0x20) {
            err = ub_buf_printf(b, "\\u%04x", c);
        } else {
            err = ub_buf_append(b, s, 1);
        }
    }
    if (!err)
        err = ub_buf_append(b, "\"", 1);
    return err;
}

void sim_strlcpy(char *dst, const char *src, size_t dstsz)
{
    size_t n;

    if (!dstsz)
        return;
    n = src ? strlen(src) : 0;
    if (n >= dstsz)
        n = dstsz - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}

/* Value of one macro name (length n), or NULL if unknown. */
static const char *macro(const struct sim_macros *mac, const char *name,
                         size_t n, char *tmp, size_t tmpsz)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
    if (IS("SERIAL")) return mac->serial;
    if (IS("OUI")) return mac->oui;
    if (IS("PRODUCTCLASS")) return mac->product_class;
    if (IS("MANUFACTURER")) return mac->manufacturer;
    if (IS("ACSURL")) return mac->acs_url;
    if (IS("ACSUSER")) return mac->acs_user;
    if (IS("ACSPASS")) return mac->acs_pass;
    if (IS("CRURL")) return mac->cr_url;
    if (IS("CRUSER")) return mac->cr_user;
    if (IS("CRPASS")) return mac->cr_pass;
    if (IS("PERIODIC")) {
        snprintf(tmp, tmpsz, "%u", mac->periodic ? mac->periodic : 86400u);
        return tmp;
    }
    if (IS("PERIODICENABLE")) return mac->periodic ? "true" : "false";
    if (IS("IDX")) { snprintf(tmp, tmpsz, "%u", mac->idx); return tmp; }
    if (IS("IDX_HI")) { snprintf(tmp, tmpsz, "%u", (mac->idx >> 8) & 255u); return tmp; }
    if (IS("IDX_LO")) { snprintf(tmp, tmpsz, "%u", mac->idx & 255u); return tmp; }
    if (IS("IDXH")) { snprintf(tmp, tmpsz, "%02X", (mac->idx >> 8) & 255u); return tmp; }
    if (IS("IDXL")) { snprintf(tmp, tmpsz, "%02X", mac->idx & 255u); return tmp; }
#undef IS
    return NULL;
}

char *sim_macro_expand(const char *v, const struct sim_macros *mac)
{
    struct ub_buf b;
    const char *p = v;

    ub_buf_init(&b, 64 * 1024);
    while (*p) {
        const char *s = strstr(p, "${"), *e, *val;
        char tmp[32];

        if (!s) {
            if (ub_buf_appends(&b, p))
                return NULL;
            break;
        }
        e = strchr(s + 2, '}');
        if (!e) {
            if (ub_buf_appends(&b, p))
                return NULL;
            break;
        }
        if (ub_buf_append(&b, p, (size_t)(s - p)))
            return NULL;
        val = macro(mac, s + 2, (size_t)(e - s - 2), tmp, sizeof(tmp));
        if (val ? ub_buf_appends(&b, val)
                : ub_buf_append(&b, s, (size_t)(e + 1 - s)))
            return NULL;
        p = e + 1;
    }
    if (!b.data)
        return ub_strdup("");
    return ub_buf_take(&b, NULL);
}
