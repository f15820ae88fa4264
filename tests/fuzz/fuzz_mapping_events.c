/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* libFuzzer target: Inform EventCode lists -> map_events_plan.
 * Input: one flag byte (bit0 sw_version_changed, bit1 first_contact, bit2
 * factory_reset_pending), then lines "code<TAB>command_key".  Also feeds
 * each line to the command lookup, the TR-098 path table and the
 * ParameterKey builder. */
#include <ub/mapping.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT 4096
#define MAX_EVENTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct map_inform_event ev[MAX_EVENTS];
    struct map_boot_info info = {0};
    struct map_event_plan plan;
    char buf[MAX_INPUT + 1];
    size_t n = 0;
    char *p, *line;

    if (size < 1 || size > MAX_INPUT)
        return 0;
    info.sw_version_changed = data[0] & 1;
    info.first_contact = (data[0] >> 1) & 1;
    info.factory_reset_pending = (data[0] >> 2) & 1;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';

    for (p = buf; p && n < MAX_EVENTS; p = line) {
        char *tab, *nl = strchr(p, '\n');
        line = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        tab = strchr(p, '\t');
        if (tab)
            *tab = '\0';
        ev[n].code = p;
        ev[n].command_key = tab ? tab + 1 : NULL;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        enum map_evt e;
        char key[MAP_PARAMETER_KEY_MAX + 1];
        if (map_event_parse(ev[i].code, &e) == UB_OK &&
            (unsigned)e >= MAP_EV_MAX_)
            abort();
        (void)map_command_find(ev[i].code);
        {
            bool hidden;
            char *t = map_tr098_to_tr181(ev[i].code, &hidden);
            if (t && hidden)
                abort();
            ub_free(t);
            ub_free(map_tr181_to_tr098(ev[i].code));
        }
        (void)map_event_def_find(ev[i].code);
        if (map_parameter_key(ev[i].code, key, sizeof(key)) != UB_OK ||
            strlen(key) > MAP_PARAMETER_KEY_MAX)
            abort();
    }
    if (map_events_plan(ev, n, &info, &plan) != UB_OK)
        abort();
    if (plan.n > MAP_PLAN_MAX)
        abort();
    for (size_t i = 0; i < plan.n; i++) {
        const struct map_notif *nf = &plan.v[i];
        if (!nf->command_key)
            abort();
        if (nf->type == MAP_NOTIF_EVENT && (!nf->obj_path || !nf->event_name))
            abort();
        /* a borrowed key points into our buffer or is a static "" */
        (void)strlen(nf->command_key);
    }
    return 0;
}
