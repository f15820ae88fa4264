/*
 * uspbridge base library: the ground floor every module stands on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * What lives here: the one error enum (ub_err) and ub_strerror(), levelled
 * logging with a pluggable sink, an injectable clock, allocation wrappers with
 * accounting and a limit, bounded byte buffers, and the neutral types that
 * cross module boundaries (ub_value types, ub_param, ub_param_list, path
 * helpers, and the ub_tree interface the USP path engine walks).
 *
 * Conventions (see docs/ and ../shared/docs/style.md):
 *  - functions that can fail return int: UB_OK (0) or a positive ub_err;
 *    results go to the last pointer argument, which is untouched on failure.
 *  - every pointer parameter is documented as borrowed / taken / returned
 *    owned.  x_free(NULL) is always a no-op.
 *  - nothing here is thread safe unless it says so: one loop thread owns it.
 *
 * Caveats:
 *  - the clock override and the memory limit are process-wide (they are test
 *    and operator knobs, set once at start-up, never changed from callbacks).
 */
#ifndef UB_BASE_H
#define UB_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define UB_WARN_UNUSED __attribute__((warn_unused_result))
#define UB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define UB_WARN_UNUSED
#define UB_PRINTF(a, b)
#endif

#define UB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* Internal error codes.  Wire codes (CWMP 8xxx/9xxx faults, USP 7xxx errors)
 * never travel in this enum: mapping/ translates them at the edges. */
enum ub_err {
    UB_OK = 0,
    UB_ENOMEM,     /* allocation failed or memory limit reached */
    UB_EINVAL,     /* invalid argument (programmer or caller error) */
    UB_EPROTO,     /* malformed input from a peer */
    UB_ETOOBIG,    /* a bound was crossed (buffer, queue, message size) */
    UB_EAGAIN,     /* try again later (would block, busy) */
    UB_ETIMEDOUT,  /* a deadline passed */
    UB_EDB,        /* storage error (details logged at the call site) */
    UB_ENOTFOUND,  /* no such object / key / device */
    UB_EEXIST,     /* already exists */
    UB_EIO,        /* I/O or network error */
    UB_EFULL,      /* a store or queue is full (e.g. LMDB map full) */
    UB_ECLOSED,    /* the peer or session is gone */
    UB_EAUTH,      /* authentication or permission failure */
    UB_ESTATE,     /* call not allowed in the current state */
    UB_ECONFIG,    /* bad configuration */
    UB_EVERSION,   /* unsupported version (schema, protocol) */
    UB_ECORRUPT,   /* stored data failed validation */
    UB_ENOTSUP,    /* not supported */
    UB_ERR_MAX_
};

/* Returns a static string for an ub_err code (never NULL). */
const char *ub_strerror(int err);

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

enum ub_log_level {
    UB_LOG_ERR = 0,
    UB_LOG_WARN,
    UB_LOG_NOTICE,
    UB_LOG_INFO,
    UB_LOG_DEBUG,
};

/* A sink receives one fully formatted line (no trailing newline).
 * 'line' is borrowed for the duration of the call. */
typedef void (*ub_log_sink_fn)(void *user, enum ub_log_level lvl,
                               const char *module, const char *line);

void ub_log_set_level(enum ub_log_level lvl);
enum ub_log_level ub_log_get_level(void);
/* Parses "err", "warn", "notice", "info", "debug".  Returns UB_EINVAL for
 * anything else, leaving *out untouched. */
int ub_log_level_parse(const char *s, enum ub_log_level *out) UB_WARN_UNUSED;
const char *ub_log_level_name(enum ub_log_level lvl);

/* Log to a file (path borrowed; NULL or "-" = stderr).  Reopening the same
 * path after rotation is ub_log_reopen(), safe to call from a signal watcher
 * on the loop (not from a raw signal handler). */
int ub_log_open(const char *path) UB_WARN_UNUSED;
int ub_log_reopen(void) UB_WARN_UNUSED;
void ub_log_close(void);
/* Replace the sink (tests).  NULL restores the file/stderr sink. */
void ub_log_set_sink(ub_log_sink_fn fn, void *user);

void ub_log(enum ub_log_level lvl, const char *module, const char *fmt, ...)
    UB_PRINTF(3, 4);
void ub_vlog(enum ub_log_level lvl, const char *module, const char *fmt,
             va_list ap) UB_PRINTF(3, 0);

#define UB_LOG_ENABLED(lvl) ((lvl) <= ub_log_get_level())
#define UB_LOGE(mod, ...) ub_log(UB_LOG_ERR, mod, __VA_ARGS__)
#define UB_LOGW(mod, ...) ub_log(UB_LOG_WARN, mod, __VA_ARGS__)
#define UB_LOGN(mod, ...) ub_log(UB_LOG_NOTICE, mod, __VA_ARGS__)
#define UB_LOGI(mod, ...)                                                      \
    do {                                                                       \
        if (UB_LOG_ENABLED(UB_LOG_INFO))                                       \
            ub_log(UB_LOG_INFO, mod, __VA_ARGS__);                             \
    } while (0)
#define UB_LOGD(mod, ...)                                                      \
    do {                                                                       \
        if (UB_LOG_ENABLED(UB_LOG_DEBUG))                                      \
            ub_log(UB_LOG_DEBUG, mod, __VA_ARGS__);                            \
    } while (0)

/* Copies at most 'max' bytes of peer data into 'out' (size outsz) as a
 * printable, escaped string for logs ("\x00" style).  Always NUL-terminates.
 * Returns out. */
char *ub_log_repr(char *out, size_t outsz, const void *data, size_t len,
                  size_t max);

/* ------------------------------------------------------------------ */
/* Clock                                                               */
/* ------------------------------------------------------------------ */

/* Monotonic milliseconds (for deadlines) and wall-clock seconds since the
 * epoch (for stored timestamps).  Both can be overridden for tests. */
uint64_t ub_now_ms(void);
int64_t ub_wall_s(void);

typedef uint64_t (*ub_clock_mono_fn)(void *user);
typedef int64_t (*ub_clock_wall_fn)(void *user);
/* NULL functions restore the system clocks. */
void ub_clock_override(ub_clock_mono_fn mono, ub_clock_wall_fn wall,
                       void *user);

/* Formats a wall time as ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" into out
 * (at least 21 bytes).  Returns out. */
char *ub_time_iso8601(int64_t t, char *out, size_t outsz);

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/* All allocations of uspbridge go through these.  They account the bytes in
 * use and refuse (return NULL) past the limit set with ub_mem_set_limit
 * (0 = none).  ub_mem_fail_after(n) makes the (n+1)th allocation from now
 * fail (tests: allocation-failure sweep); -1 disables. */
void *ub_malloc(size_t n);
void *ub_calloc(size_t nmemb, size_t size);
void *ub_realloc(void *p, size_t n);
void ub_free(void *p);
char *ub_strdup(const char *s);
char *ub_strndup(const char *s, size_t n);
/* printf into a new string (returned owned; NULL on failure). */
char *ub_asprintf(const char *fmt, ...) UB_PRINTF(1, 2);

void ub_mem_set_limit(size_t bytes);
size_t ub_mem_in_use(void);
void ub_mem_fail_after(long n);

/* ------------------------------------------------------------------ */
/* Bounded buffers                                                     */
/* ------------------------------------------------------------------ */

/* A growable byte buffer with a hard maximum fixed at init (curl dynbuf).
 * data is always NUL-terminated when non-NULL (the NUL is not counted in
 * len).  A failed append frees the buffer and returns UB_ETOOBIG or
 * UB_ENOMEM: the caller must not keep using the old contents. */
struct ub_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

void ub_buf_init(struct ub_buf *b, size_t max);
int ub_buf_append(struct ub_buf *b, const void *p, size_t n) UB_WARN_UNUSED;
int ub_buf_appends(struct ub_buf *b, const char *s) UB_WARN_UNUSED;
int ub_buf_printf(struct ub_buf *b, const char *fmt, ...)
    UB_PRINTF(2, 3) UB_WARN_UNUSED;
void ub_buf_reset(struct ub_buf *b); /* len = 0, keeps memory */
void ub_buf_free(struct ub_buf *b);
/* Hands the data over (returned owned, free with ub_free) and resets b. */
char *ub_buf_take(struct ub_buf *b, size_t *len);

/* ------------------------------------------------------------------ */
/* Intrusive doubly linked list (for bounded queues owned by modules)  */
/* ------------------------------------------------------------------ */

struct ub_list {
    struct ub_list *prev, *next;
};

#define UB_CONTAINER_OF(ptr, type, member)                                     \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void ub_list_init(struct ub_list *h) { h->prev = h->next = h; }
static inline bool ub_list_empty(const struct ub_list *h)
{
    return h->next == h;
}
static inline void ub_list_insert_tail(struct ub_list *h, struct ub_list *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}
static inline void ub_list_remove(struct ub_list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}
static inline struct ub_list *ub_list_first(const struct ub_list *h)
{
    return ub_list_empty(h) ? NULL : h->next;
}

/* ------------------------------------------------------------------ */
/* Values and parameters                                               */
/* ------------------------------------------------------------------ */

/* Data-model types shared by CWMP (xsd:*) and USP (TR-106 names). */
enum ub_type {
    UB_T_NONE = 0, /* unknown / not given (e.g. no xsi:type) */
    UB_T_STRING,
    UB_T_INT,
    UB_T_UINT,
    UB_T_LONG,
    UB_T_ULONG,
    UB_T_BOOL,
    UB_T_DATETIME,
    UB_T_BASE64,
    UB_T_HEXBINARY,
    UB_T_DECIMAL,
    UB_T_OBJECT, /* an object or table path ending in '.' */
    UB_T_MAX_
};

/* "xsd:string" / "string" / "unsignedInt" ... -> enum (prefix ignored).
 * Unknown names give UB_T_NONE. */
enum ub_type ub_type_from_name(const char *name);
/* Short TR-106 name: "string", "int", "unsignedInt", "long", "unsignedLong",
 * "boolean", "dateTime", "base64", "hexBinary", "decimal", "object", "". */
const char *ub_type_name(enum ub_type t);
/* Checks that text is a valid lexical value of type t (boolean accepts
 * 0/1/true/false; dateTime is ISO 8601).  UB_OK or UB_EINVAL. */
int ub_value_check(enum ub_type t, const char *text) UB_WARN_UNUSED;

/* One parameter.  All strings owned by the structure (ub_param_clear frees
 * them).  type_name keeps an xsi:type that is not one of enum ub_type (e.g.
 * vendor types) so that it round-trips; NULL otherwise. */
struct ub_param {
    char *path;
    char *value;
    char *type_name;
    enum ub_type type;
    bool writable;
    uint8_t notification; /* CWMP attribute: 0 off, 1 passive, 2 active */
    int64_t updated_at;   /* wall seconds the value was read, 0 unknown */
};

void ub_param_clear(struct ub_param *p);

/* A growable list of parameters with a hard bound on count. */
struct ub_param_list {
    struct ub_param *v;
    size_t n;
    size_t cap;
    size_t max; /* 0 = default (1,000,000) */
};

void ub_param_list_init(struct ub_param_list *l, size_t max);
/* Appends a copy of path/value (borrowed).  type_name may be NULL. */
int ub_param_list_add(struct ub_param_list *l, const char *path,
                      const char *value, enum ub_type type) UB_WARN_UNUSED;
/* Appends an uninitialised slot (zeroed) and returns it in *out. */
int ub_param_list_push(struct ub_param_list *l, struct ub_param **out)
    UB_WARN_UNUSED;
void ub_param_list_free(struct ub_param_list *l);

/* A list of owned strings, bounded like ub_param_list. */
struct ub_strv {
    char **v;
    size_t n;
    size_t cap;
    size_t max;
};
void ub_strv_init(struct ub_strv *s, size_t max);
int ub_strv_add(struct ub_strv *s, const char *str) UB_WARN_UNUSED;
int ub_strv_addn(struct ub_strv *s, const char *str, size_t n) UB_WARN_UNUSED;
void ub_strv_free(struct ub_strv *s);

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

#define UB_PATH_MAX 1024 /* longest data-model path accepted anywhere */

/* True for "Device.WiFi." (object/partial path), false for parameters. */
bool ub_path_is_object(const char *path);
/* Validates a concrete CWMP/TR-106 path: dot separated names
 * ([A-Za-z_][A-Za-z0-9_-]*) or instance numbers (1..4294967295), no empty
 * segment except the trailing '.', at most UB_PATH_MAX bytes. */
bool ub_path_is_valid(const char *path);
/* True if seg (length n) is a decimal instance number without leading 0. */
bool ub_path_seg_is_instance(const char *seg, size_t n);
/* Replaces every instance number with "{i}": "Device.IP.Interface.3.Name"
 * -> "Device.IP.Interface.{i}.Name".  Returned owned. */
char *ub_path_to_schema(const char *path);

/* ------------------------------------------------------------------ */
/* Tree interface                                                      */
/* ------------------------------------------------------------------ */

/* A read-only view of a data-model tree, implemented by whoever holds one
 * (proxy-db cache, the hosted Device.LocalAgent. objects, a test fixture)
 * and walked by engines that must not know where the tree lives (the USP
 * path engine).  Object paths end in '.'; table instances are objects whose
 * last segment is a number.
 *
 * A node handed to a callback is borrowed for the duration of that callback
 * only: copy what you keep. */
struct ub_node {
    const char *path;
    enum ub_type type; /* UB_T_OBJECT for objects and instances */
    bool writable;     /* for objects: table allows Add/Delete */
    const char *value; /* NULL for objects */
};

/* Return 0 to continue, non-zero to stop the walk (that value is returned
 * by the walk function). */
typedef int (*ub_node_cb)(void *user, const struct ub_node *node);

struct ub_tree_ops {
    /* Looks up one exact path (object or parameter).  UB_ENOTFOUND if
     * absent.  The node is handed to cb (called at most once). */
    int (*lookup)(void *ctx, const char *path, ub_node_cb cb, void *user);
    /* Calls cb for every direct child (parameters and objects, in
     * data-model order) of the object 'path'. */
    int (*children)(void *ctx, const char *path, ub_node_cb cb, void *user);
    /* Calls cb for 'path' itself and everything below it, in order. */
    int (*subtree)(void *ctx, const char *path, ub_node_cb cb, void *user);
};

struct ub_tree {
    const struct ub_tree_ops *ops;
    void *ctx;
};

#ifdef __cplusplus
}
#endif
#endif /* UB_BASE_H */
