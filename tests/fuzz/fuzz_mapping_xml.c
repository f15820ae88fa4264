/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* libFuzzer target: BBF data-model XML -> map_dm_load_mem, then lookups
 * over every loaded entry (concrete-path form included). */
#include <ub/mapping.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct map_dm_limits lim = {.max_bytes = MAX_INPUT,
                                .max_entries = 20000,
                                .max_depth = 32};
    struct map_dm *dm = NULL;

    if (size > MAX_INPUT)
        return 0;
    if (map_dm_load_mem((const char *)data, size, &lim, &dm) != UB_OK)
        return 0;
    (void)map_dm_model(dm);
    for (size_t i = 0; i < map_dm_count(dm); i++) {
        const struct map_dm_entry *e = map_dm_at(dm, i);
        const struct map_dm_entry *l;
        if (!e || !e->path)
            abort();
        l = map_dm_lookup(dm, e->path);
        /* ub_path_to_schema may rewrite numeric segments of odd names,
         * so only a schema-shaped path must find itself */
        if (!l && !strpbrk(e->path, "0123456789"))
            abort();
    }
    (void)map_dm_lookup(dm, "Device.IP.Interface.1.Enable");
    map_dm_free(dm);
    return 0;
}
