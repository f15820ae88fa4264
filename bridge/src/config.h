/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * uspbridged configuration: one table of options (section, key, type,
 * default, help) drives parsing (libinih), the defaults, validation,
 * --print-config and the option reference in docs/configuration.md.
 */
#ifndef UB_BRIDGE_CONFIG_H
#define UB_BRIDGE_CONFIG_H

#include <ub/base.h>

struct bridge_cred {
    char *username;
    char *password;
};

struct bridge_config {
    /* [general] */
    char *data_dir;
    char *log_file;
    char *log_level;
    char *pid_file;
    long stats_interval;
    /* [cwmp] */
    char *cwmp_listen;
    long cwmp_port;
    char *cwmp_path;
    char *cwmp_tls_cert;
    char *cwmp_tls_key;
    char *cwmp_tls_client_ca;
    char *cwmp_auth;
    char *cwmp_digest_algorithm;
    char *cwmp_realm;
    char *cwmp_username;
    char *cwmp_password;
    long cwmp_max_body;
    long cwmp_session_timeout;
    long cwmp_idle_timeout;
    long cwmp_max_sessions;
    long cwmp_max_queue;
    long cwmp_cr_timeout;
    long cwmp_cr_retries;
    long cwmp_cr_min_interval;
    long cwmp_cr_max_inflight;
    char *cwmp_cr_username;
    char *cwmp_cr_password;
    /* [store] */
    char *store_path;
    long store_map_size_mb;
    long store_map_max_mb;
    bool store_nosync;
    long store_sync_interval_ms;
    /* [sync] */
    long sync_batch;
    char *sync_periodic_paths;
    long sync_periodic_interval;
    /* [usp] */
    char *usp_endpoint_scheme;
    char *usp_ws_listen;
    long usp_ws_port;
    char *usp_ws_path;
    char *usp_mqtt_broker;
    long usp_mqtt_port;
    char *usp_mqtt_version;
    char *usp_mqtt_client_id;
    char *usp_mqtt_username;
    char *usp_mqtt_password;
    char *usp_mqtt_agent_topic;
    char *usp_controllers;
    char *usp_ws_controllers;
    char *usp_untrusted_role;
    long usp_request_timeout;
    long usp_max_pending;
    char *usp_get_policy;
    char *usp_get_policy_paths;
    /* [cpe-credentials]: username = password */
    struct bridge_cred *creds;
    size_t n_creds;

    /* where it came from, for messages */
    char *source;
};

/* Fills every option with its default (the embedded configuration). */
int bridge_config_defaults(struct bridge_config *c) UB_WARN_UNUSED;
/* Reads an INI file over the current values.  On a parse or validation
 * error writes a message naming file:line into err. */
int bridge_config_load(struct bridge_config *c, const char *path, char *err,
                       size_t errsz) UB_WARN_UNUSED;
/* Sets one option from "section.key=value" (command-line overrides). */
int bridge_config_set(struct bridge_config *c, const char *section,
                      const char *key, const char *value, char *err,
                      size_t errsz) UB_WARN_UNUSED;
/* Cross-option checks (files readable, ranges).  */
int bridge_config_validate(const struct bridge_config *c, char *err,
                           size_t errsz) UB_WARN_UNUSED;
/* Writes the effective configuration as INI with every option's help text
 * and default as comments (passwords masked unless show_secrets). */
void bridge_config_print(const struct bridge_config *c, bool show_secrets,
                         void *fp);
void bridge_config_free(struct bridge_config *c);

#endif
