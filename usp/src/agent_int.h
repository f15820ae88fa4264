/*
 * Internals of the hosted Device.LocalAgent. (agent_*.c): the static schema
 * and the store helpers shared by the agent files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 */
#ifndef UB_USP_AGENT_INT_H
#define UB_USP_AGENT_INT_H

#include <ub/usp.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Schema ---- */

/* Parameter flags. */
#define AGENT_P_RW 0x0001u        /* writable by controllers (Set/Add) */
#define AGENT_P_LIST 0x0002u      /* comma-separated list; checks per item */
#define AGENT_P_ALIAS 0x0004u     /* Alias rules: non-empty, starts a-zA-Z */
#define AGENT_P_PERMBITS 0x0008u  /* 4 chars "rwxn" with '-' for absent */
#define AGENT_P_ROLEREF 0x0010u   /* each item references a Role instance */
#define AGENT_P_IMMUTABLE 0x0020u /* once non-empty, cannot change */
#define AGENT_P_VC_IGNORE 0x0040u /* value change: agent will ignore */
#define AGENT_P_NUMENTRIES 0x0080u /* a {{numentries}} counter */
#define AGENT_P_AGENT 0x0100u     /* set by the agent on creation */

struct agent_param {
    const char *name;
    enum ub_type type;
    unsigned flags;
    const char *dflt; /* value on creation; NULL = type's zero value */
    const char *const *enums; /* NULL-terminated, or NULL */
    bool has_min, has_max;
    int64_t min, max;  /* numeric range (inclusive) */
    size_t min_len, max_len; /* string length (per item for lists), 0 none */
    size_t max_items;  /* lists: 0 = unbounded */
};

struct agent_cmd {
    const char *name; /* "Cancel()" */
    const char *const *in;
    const char *const *out;
    bool async;
};

struct agent_evt {
    const char *name; /* "Periodic!" */
    const char *const *args;
};

struct agent_obj {
    const char *path;     /* schema path, "{i}" for instances, ends '.' */
    bool multi;           /* a table ("...{i}.") */
    bool creatable;       /* controllers may Add / Delete */
    const char *num_entries; /* tables: counter param name in the parent */
    /* Sub-object instantiated only when the parent's Protocol equals this
     * value (TR-181 discriminatorParameter). */
    const char *proto;
    const struct agent_param *params;
    size_t n_params;
    const char *const *const *keys; /* NULL-terminated list of key sets */
    const struct agent_cmd *cmds;
    size_t n_cmds;
    const struct agent_evt *evts;
    size_t n_evts;
};

/* All hosted objects in data-model order (parents before children). */
extern const struct agent_obj agent__objs[];
extern const size_t agent__n_objs;

/* The object for a schema path ("...{i}."), NULL if not hosted. */
const struct agent_obj *agent__obj_find(const char *schema_path);
/* The object for a concrete object path (instance numbers allowed). */
const struct agent_obj *agent__obj_for_path(const char *path);
const struct agent_param *agent__param_find(const struct agent_obj *o,
                                            const char *name);
/* True if 'child' is a direct child object of 'parent' in the schema
 * (tables count as their "{i}" instance object: "A.B.{i}." is a child of
 * "A."). */
bool agent__obj_is_child(const struct agent_obj *parent,
                         const struct agent_obj *child);
/* The value a new parameter gets: dflt or the type's zero value. */
const char *agent__param_default(const struct agent_param *p);
/* Checks a value against the definition (type, enums, range, lengths,
 * syntax).  Returns 0 or a USP code (7011 / 7012) and a static message in
 * *msg.  Booleans are stored normalised: see agent__value_norm. */
uint32_t agent__value_check(const struct agent_param *p, const char *value,
                            const char **msg);
/* "1"/"0" -> "true"/"false" for booleans; value itself otherwise. */
const char *agent__value_norm(const struct agent_param *p, const char *value);

/* ---- Store helpers (agent_store.c) ---- */

bool agent__store_writable(const struct usp_agent_store *st);
/* Value of a row as an owned string (ub_free); UB_ENOTFOUND if absent. */
int agent__get_value(const struct usp_agent_store *st, const char *path,
                     char **out) UB_WARN_UNUSED;
/* printf-style path, then get.  Absent -> *out = NULL and UB_OK. */
int agent__get_valuef(const struct usp_agent_store *st, char **out,
                      const char *fmt, ...) UB_PRINTF(3, 4) UB_WARN_UNUSED;
bool agent__row_exists(const struct usp_agent_store *st, const char *path);
int agent__put_row(const struct usp_agent_store *st, const char *path,
                   enum ub_type type, bool writable, const char *value)
    UB_WARN_UNUSED;
/* Puts a parameter row of object path obj (ends '.') with its schema
 * type and writability. */
int agent__put_param(const struct usp_agent_store *st, const char *obj,
                     const struct agent_param *p, const char *value)
    UB_WARN_UNUSED;
int agent__put_obj(const struct usp_agent_store *st, const char *path,
                   bool writable) UB_WARN_UNUSED;
int agent__del(const struct usp_agent_store *st, const char *path)
    UB_WARN_UNUSED;
/* Instance numbers of the table 'table' (ends '.'), ascending. */
int agent__instances(const struct usp_agent_store *st, const char *table,
                     unsigned **out, size_t *n) UB_WARN_UNUSED;
/* Next instance number of a table (persisted under "_Meta."); commit
 * bumps the counter, otherwise it is only a peek. */
int agent__next_instance(const struct usp_agent_store *st, const char *table,
                         bool commit, unsigned *out) UB_WARN_UNUSED;
/* Rewrites the {{numentries}} counter of table 'table' in its parent. */
int agent__update_count(const struct usp_agent_store *st,
                        const struct agent_obj *tobj, const char *table)
    UB_WARN_UNUSED;
/* Creates the rows of a new object 'path' (concrete, ends '.') from the
 * schema object o, with defaults, then its static sub-objects (and the
 * protocol sub-object for 'proto', may be NULL) and empty tables.
 * overrides: values by relative name (may be NULL), used instead of
 * defaults. */
int agent__create_obj(const struct usp_agent_store *st,
                      const struct agent_obj *o, const char *path,
                      const struct ub_param_list *overrides)
    UB_WARN_UNUSED;

/* Adds an instance to the concrete table path 'table' of schema table
 * tobj: next instance number, rows with defaults (or overrides), counter.
 * *inst and *path (owned, trailing dot) may be NULL. */
int agent__insert(const struct usp_agent_store *st,
                  const struct agent_obj *tobj, const char *table,
                  const struct ub_param_list *overrides, unsigned *inst,
                  char **path) UB_WARN_UNUSED;

/* Deletes one instance (rows, "_Meta." rows, counter) without any check,
 * appending its path to res->deleted. */
int agent__del_instance(const struct usp_agent_store *st,
                        const struct agent_obj *o, const char *inst_path,
                        struct usp_agent_result *res) UB_WARN_UNUSED;

/* ---- Small string helpers ---- */

/* snprintf into buf; on truncation buf becomes "" (an invalid path that
 * matches and writes nothing) and false is returned. */
bool agent__fmt(char *buf, size_t n, const char *fmt, ...) UB_PRINTF(3, 4);

/* "a.b.3." -> true and *inst = 3 when the last segment is a number. */
bool agent__path_last_inst(const char *path, unsigned *inst);
/* Reference comparison ignoring one trailing '.'. */
bool agent__ref_eq(const char *a, const char *b);
/* True if the comma-separated list contains item (references compared with
 * agent__ref_eq, items trimmed of blanks). */
bool agent__list_has(const char *list, const char *item);
/* Parses an unsigned decimal; false if not one. */
bool agent__parse_u64(const char *s, uint64_t *out);
bool agent__parse_bool(const char *s, bool *out);

#endif /* UB_USP_AGENT_INT_H */
