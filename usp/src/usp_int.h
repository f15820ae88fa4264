/*
 * usp module internals shared between the codec, path engine and MTP files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * Not API: names are usp__verb.  Only files under usp/src include this.
 */
#ifndef USP_INT_H
#define USP_INT_H

#include <ub/usp.h>

#include <protobuf-c/protobuf-c.h>

#include "usp-msg.pb-c.h"
#include "usp-record.pb-c.h"

/* ---- arena: many small allocations freed at once ---- */

struct usp__chunk;
struct usp__arena {
    struct usp__chunk *head;
};

void usp__arena_init(struct usp__arena *a);
/* Zeroed, max_align_t aligned memory; NULL on ENOMEM.  n == 0 is fine. */
void *usp__arena_alloc(struct usp__arena *a, size_t n);
/* n elements of size sz, overflow checked. */
void *usp__arena_calloc(struct usp__arena *a, size_t n, size_t sz);
char *usp__arena_strdup(struct usp__arena *a, const char *s);
void usp__arena_free(struct usp__arena *a);

/* protobuf-c allocator on ub_malloc/ub_free (accounting, limits, failure
 * injection apply to the unpacked trees too). */
extern ProtobufCAllocator usp__pb_alloc;

/* Private part of a usp_msg made by usp_msg_new / usp_msg_decode. */
struct usp__msg_priv {
    struct usp__arena arena;
    Usp__Msg *pb; /* unpacked tree the strings point into, or NULL */
};

/* Neutral message -> protobuf-c tree, every node allocated in 'a' (strings
 * are borrowed from m, not copied).  UB_EINVAL for malformed input. */
int usp__msg_to_pb(const struct usp_msg *m, struct usp__arena *a,
                   Usp__Msg **out);

/* Appends the protobuf text format of any protobuf-c message. */
int usp__pb_print(const ProtobufCMessage *msg, struct ub_buf *out);

/* ---- path engine (path_parse.c builds, path_eval.c walks) ---- */

enum usp__seg_kind {
    USP__SEG_NAME,  /* object name, maybe with reference following */
    USP__SEG_INST,  /* instance number */
    USP__SEG_WILD,  /* '*' */
    USP__SEG_EXPR,  /* [relpath op value && ...] */
    USP__SEG_ALIAS, /* [alias] */
};

enum usp__op { USP__OP_EQ, USP__OP_NE, USP__OP_CONTAINS, USP__OP_LT,
               USP__OP_GT, USP__OP_LE, USP__OP_GE };

#define USP__REF_NONE 0   /* no reference following */
#define USP__REF_ALL (-1) /* "#*+": every list item */
/* > 0: "#n+" (1-based item); "+" alone is item 1 */

struct usp__relname {
    const char *name;
    int ref; /* USP__REF_* or item number; never set on the last part */
};

struct usp__term {
    struct usp__relname *parts;
    size_t n_parts;
    enum usp__op op;
    const char *value; /* literal, percent-decoded */
    bool quoted;       /* "..." literal rather than a bare token */
};

struct usp__seg {
    enum usp__seg_kind kind;
    const char *name; /* NAME; ALIAS: the alias text */
    int ref;          /* NAME: USP__REF_* or item number */
    uint32_t inst;    /* INST */
    struct usp__term *terms; /* EXPR */
    size_t n_terms;
};

struct usp_path {
    struct usp__arena arena;
    const char *text;
    enum usp_path_kind kind;
    bool is_search;
    struct usp__seg *segs; /* objects down to the leaf */
    size_t n_segs;
    const char *leaf; /* param / command / event name; NULL for objects */
};

/* Bounded copy that always NUL-terminates. */
void usp__strlcpy(char *dst, const char *src, size_t dstsz);

#define USP__STR(s) ((s) ? (s) : "")

#endif /* USP_INT_H */
