/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * DESIGN: CPE authentication, checked by libmicrohttpd (no digest code of
 * our own).  A connection authenticates once, on the first request that
 * carries valid credentials; server.c remembers it in the connection.
 *
 *   CWMP_AUTH_BASIC   Basic only.
 *   CWMP_AUTH_DIGEST  Digest only (cfg.digest_algo: MD5 or SHA-256; MHD puts
 *                     one algorithm per challenge).  Each challenge has its
 *                     own realm "<realm>/<8 hex>": see challenge_realm().
 *   CWMP_AUTH_ANY     Basic sent up front is accepted (some CPEs never
 *                     answer a 401); anything else is challenged with Digest.
 *
 * A missing Authorization header or a stale nonce is a challenge, not a
 * failure; wrong credentials count in stats.auth_failures and are logged
 * with the (escaped, capped) user name only, never a secret.
 *
 * TLS client certificates: MHD's HTTPS_MEM_TRUST only *asks* for one, so
 * the first request of each TLS connection is checked here with
 * gnutls_certificate_verify_peers2 against that trust list.
 */
#include "cwmp_int.h"

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NONCE_TIMEOUT_S 300

static bool ct_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i;
    unsigned char d = (unsigned char)(la != lb);

    for (i = 0; i < la; i++)
        d |= (unsigned char)a[i] ^ (unsigned char)(i < lb ? b[i] : 0);
    return d == 0;
}

static int lookup_pw(struct cwmp_server *s, const char *user, char *pw,
                     size_t pwsz)
{
    if (s->cb.get_credentials)
        return s->cb.get_credentials(s->cb.user, user, pw, pwsz);
    if (s->cfg.username && s->cfg.password &&
        strcmp(user, s->cfg.username) == 0 &&
        strlen(s->cfg.password) < pwsz) {
        strcpy(pw, s->cfg.password);
        return UB_OK;
    }
    return UB_ENOTFOUND;
}

static enum MHD_DigestAuthAlgorithm algo_of(const struct cwmp_server *s)
{
    return s->cfg.digest_algo == CWMP_DIGEST_SHA256 ? MHD_DIGEST_ALG_SHA256
                                                     : MHD_DIGEST_ALG_MD5;
}

/* Digest challenges carry a realm of their own: "<cfg.realm>/<8 hex>".
 * libmicrohttpd 0.9.75 derives the nonce from (seconds since the daemon
 * started, method, URI, realm, a daemon-wide random) only, so every CPE
 * challenged in the same second would get the SAME nonce; the first one to
 * answer with nc=1 wins and MHD rejects the others as replays (seen: 1,000
 * simultaneous CPEs, most refused).  The realm is the one input we
 * control, so a per-challenge realm gives every challenge its own nonce.
 * The check takes the realm back from the CPE's Authorization header and
 * MHD verifies that the nonce was made for it. */
static void challenge_realm(struct cwmp_server *s, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s/%08x", s->cfg.realm,
             (unsigned)(cwmp__rand64(s) >> 32));
}

/* True if realm is cfg.realm or one of our per-challenge realms. */
static bool realm_ok(const struct cwmp_server *s, const char *realm)
{
    size_t n = strlen(s->cfg.realm), i;

    if (strncmp(realm, s->cfg.realm, n) != 0)
        return false;
    if (realm[n] == '\0')
        return true;
    if (realm[n] != '/' || strlen(realm + n + 1) != 8)
        return false;
    for (i = n + 1; realm[i]; i++)
        if (!((realm[i] >= '0' && realm[i] <= '9') ||
              (realm[i] >= 'a' && realm[i] <= 'f')))
            return false;
    return true;
}

static enum cwmp__auth_res challenge(struct cwmp_server *s,
                                     struct MHD_Connection *mc, bool digest,
                                     bool stale)
{
    struct MHD_Response *r;
    enum MHD_Result ok;
    char realm[CWMP__REALM_MAX];

    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return CWMP__AUTH_ERROR;
    if (digest) {
        challenge_realm(s, realm, sizeof(realm));
        ok = MHD_queue_auth_fail_response2(mc, realm, s->opaque, r,
                                           stale ? MHD_YES : MHD_NO,
                                           algo_of(s));
    } else {
        ok = MHD_queue_basic_auth_fail_response(mc, s->cfg.realm, r);
    }
    MHD_destroy_response(r);
    return ok == MHD_YES ? CWMP__AUTH_QUEUED : CWMP__AUTH_ERROR;
}

/* The value of auth-param 'name' in "Digest a=b, c=\"d\", ..." (RFC 7616
 * syntax: token or quoted-string with backslash escapes).  Only used to
 * take the realm back; MHD validates everything else, and a wrong
 * extraction can only make MHD refuse. */
int cwmp__auth_param(const char *hdr, const char *name, char *out,
                     size_t outsz)
{
    size_t nlen = strlen(name);
    const char *p;

    if (!hdr || strncasecmp(hdr, "Digest", 6) != 0 || outsz == 0)
        return UB_EINVAL;
    p = hdr + 6;
    for (;;) {
        const char *k;
        size_t klen, o = 0;
        bool match, too_long = false;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return UB_ENOTFOUND;
        k = p;
        while (*p && *p != '=' && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        klen = (size_t)(p - k);
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=') {
            while (*p && *p != ',')
                p++;
            continue;
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        match = klen == nlen && strncasecmp(k, name, nlen) == 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (match && o + 1 < outsz)
                    out[o++] = *p;
                else if (match)
                    too_long = true;
            }
            if (*p != '"')
                return UB_EPROTO; /* unterminated quoted-string */
            p++;
        } else {
            for (; *p && *p != ',' && *p != ' ' && *p != '\t'; p++) {
                if (match && o + 1 < outsz)
                    out[o++] = *p;
                else if (match)
                    too_long = true;
            }
        }
        if (match) {
            out[o] = '\0';
            return too_long ? UB_ETOOBIG : UB_OK;
        }
    }
}

static void log_failure(struct cwmp_server *s, struct MHD_Connection *mc,
                        const char *scheme, const char *user)
{
    char u[64];

    s->stats.auth_failures++;
    UB_LOGN(CWMP__LOG, "%s authentication failed for user \"%s\"", scheme,
            ub_log_repr(u, sizeof(u), user ? user : "",
                        user ? strlen(user) : 0, 40));
    (void)mc;
}

static enum cwmp__auth_res check_basic(struct cwmp_server *s,
                                       struct MHD_Connection *mc, char *user,
                                       size_t usersz, bool digest_on_fail)
{
    char *u, *p = NULL;
    char pw[CWMP__PW_MAX];
    bool ok = false;

    u = MHD_basic_auth_get_username_password(mc, &p);
    if (!u) {
        if (p)
            MHD_free(p);
        return challenge(s, mc, digest_on_fail, false);
    }
    if (p && strlen(u) < usersz &&
        lookup_pw(s, u, pw, sizeof(pw)) == UB_OK) {
        ok = ct_equal(p, pw);
        explicit_bzero(pw, sizeof(pw));
    }
    if (ok)
        strcpy(user, u);
    else
        log_failure(s, mc, "Basic", u);
    if (p) {
        explicit_bzero(p, strlen(p));
        MHD_free(p);
    }
    MHD_free(u);
    return ok ? CWMP__AUTH_OK : challenge(s, mc, digest_on_fail, false);
}

static enum cwmp__auth_res check_digest(struct cwmp_server *s,
                                        struct MHD_Connection *mc,
                                        const char *hdr, char *user,
                                        size_t usersz)
{
    char *u;
    char pw[CWMP__PW_MAX], realm[CWMP__REALM_MAX];
    int r = MHD_NO;

    u = MHD_digest_auth_get_username(mc);
    if (!u) {
        if (hdr) /* something was sent, and it was not usable Digest */
            log_failure(s, mc, "Digest", NULL);
        return challenge(s, mc, true, false);
    }
    if (cwmp__auth_param(hdr, "realm", realm, sizeof(realm)) != UB_OK ||
        !realm_ok(s, realm)) {
        /* Not one of our realms (e.g. a CPE replaying an old header):
         * a fresh challenge, not a failure. */
        MHD_free(u);
        return challenge(s, mc, true, true);
    }
    if (strlen(u) < usersz && lookup_pw(s, u, pw, sizeof(pw)) == UB_OK) {
        s->mhd_stale_seen = false;
        r = MHD_digest_auth_check2(mc, realm, u, pw, NONCE_TIMEOUT_S,
                                   algo_of(s));
        explicit_bzero(pw, sizeof(pw));
        /* A nonce-table collision in MHD 0.9.75 is reported as MHD_NO
         * plus a "Stale nonce" log line (see mhd_logger): the password
         * may well be right, so challenge again with stale=true. */
        if (r == MHD_NO && s->mhd_stale_seen)
            r = MHD_INVALID_NONCE;
    }
    if (r == MHD_YES) {
        strcpy(user, u);
        MHD_free(u);
        return CWMP__AUTH_OK;
    }
    if (r == MHD_INVALID_NONCE) {
        MHD_free(u);
        return challenge(s, mc, true, true);
    }
    log_failure(s, mc, "Digest", u);
    MHD_free(u);
    return challenge(s, mc, true, false);
}

enum cwmp__auth_res cwmp__auth_check(struct cwmp_server *s,
                                     struct MHD_Connection *mc, char *user,
                                     size_t usersz)
{
    const char *hdr = MHD_lookup_connection_value(
        mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    bool basic = hdr && strncasecmp(hdr, "Basic ", 6) == 0;

    user[0] = '\0';
    switch (s->cfg.auth) {
    case CWMP_AUTH_NONE:
        return CWMP__AUTH_OK;
    case CWMP_AUTH_BASIC:
        return check_basic(s, mc, user, usersz, false);
    case CWMP_AUTH_ANY:
        if (basic)
            return check_basic(s, mc, user, usersz, true);
        return check_digest(s, mc, hdr, user, usersz);
    case CWMP_AUTH_DIGEST:
    default:
        if (basic) /* credentials offered in a scheme we do not accept */
            log_failure(s, mc, "Basic (Digest required)", NULL);
        return check_digest(s, mc, basic ? NULL : hdr, user, usersz);
    }
}

bool cwmp__auth_tls_client(struct cwmp_server *s, struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci;
    unsigned status = 0;
    int r;

    (void)s;
    ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return false;
    r = gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session,
                                         &status);
    if (r < 0 || status != 0) {
        UB_LOGN(CWMP__LOG, "TLS client certificate refused: %s",
                r < 0 ? gnutls_strerror(r) : "not trusted");
        return false;
    }
    return true;
}
