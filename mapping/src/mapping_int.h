/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Internals shared by the files of the mapping module (not API). */
#ifndef UB_MAPPING_INT_H
#define UB_MAPPING_INT_H

#include <ub/mapping.h>

#define MAP_LOG "mapping"

/* ASCII case-insensitive compare of n bytes (locale independent). */
int mapping__strncasecmp(const char *a, const char *b, size_t n);

#endif /* UB_MAPPING_INT_H */
