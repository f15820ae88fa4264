/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * libFuzzer target: one SOAP envelope into the CWMP codec (gSOAP with our
 * limits).  When the decode succeeds, the message is encoded, decoded again
 * and encoded again: the second decode must succeed and both encodings
 * must be identical (the codec is stable on its own output).
 *
 * Seed corpus: tests/fuzz/corpus/fuzz_cwmp_envelope/ (the fixtures of
 * tests/fixtures/cwmp); dictionary: tests/fuzz/cwmp.dict.
 *   fuzz_cwmp_envelope -dict=tests/fuzz/cwmp.dict -max_total_time=60 \
 *       tests/fuzz/corpus/fuzz_cwmp_envelope
 */
#include <ub/cwmp.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (64 * 1024)

static struct cwmp_codec *tight, *roomy;

static void init(void)
{
    struct cwmp_codec_limits t = {FUZZ_MAX_INPUT, 16, 256, 4096};
    /* Our own output of a tight-limits message may be larger than its input
     * (default times, arrayType attributes), so re-decode with more room. */
    struct cwmp_codec_limits r = {8u << 20, 16, 256, 4096};

    if (cwmp_codec_create(&t, &tight) || cwmp_codec_create(&r, &roomy))
        abort();
}

static char *encode(const struct cwmp_msg *m, size_t *len)
{
    struct ub_buf b;
    int rc;

    ub_buf_init(&b, 16u << 20);
    rc = cwmp_encode(roomy, m, &b);
    if (rc) {
        fprintf(stderr, "encode of a decoded message failed: %s\n",
                ub_strerror(rc));
        abort();
    }
    return ub_buf_take(&b, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cwmp_msg *m = NULL, *m2 = NULL;
    char err[128];
    char *e1, *e2;
    size_t l1, l2;
    int rc;

    if (!tight)
        init();
    if (size > FUZZ_MAX_INPUT)
        return 0;
    rc = cwmp_decode(tight, (const char *)data, size, &m, err, sizeof(err));
    if (rc == UB_ENOTSUP) {
        if (!m || m->method != CWMP_M_NONE)
            abort();
        cwmp_msg_free(m);
        return 0;
    }
    if (rc) {
        if (m)
            abort(); /* out must stay untouched on failure */
        return 0;
    }
    e1 = encode(m, &l1);
    rc = cwmp_decode(roomy, e1, l1, &m2, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "re-decode failed: %s (%s)\n%.*s\n", ub_strerror(rc),
                err, (int)(l1 > 4000 ? 4000 : l1), e1);
        abort();
    }
    if (m2->method != m->method || m2->kind != m->kind ||
        m2->version != m->version)
        abort();
    e2 = encode(m2, &l2);
    if (l1 != l2 || memcmp(e1, e2, l1) != 0) {
        fprintf(stderr, "unstable encoding:\n%.*s\n---\n%.*s\n",
                (int)(l1 > 4000 ? 4000 : l1), e1,
                (int)(l2 > 4000 ? 4000 : l2), e2);
        abort();
    }
    ub_free(e1);
    ub_free(e2);
    cwmp_msg_free(m);
    cwmp_msg_free(m2);
    return 0;
}
