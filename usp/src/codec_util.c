/*
 * usp codec helpers: arena, protobuf-c allocator, error texts, type names.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * A decoded USP message is a protobuf-c tree plus a neutral view of it whose
 * arrays point at the tree's strings.  The neutral arrays are many small
 * allocations with the same lifetime, so they come from an arena: a list of
 * chunks freed in one go by usp_msg_free().  The same arena holds the
 * temporary protobuf-c structs built while encoding.  All memory comes from
 * ub_malloc (base.h), protobuf-c's own unpack allocations included.
 */
#include "usp_int.h"

#include <stdalign.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Arena                                                               */
/* ------------------------------------------------------------------ */

#define ARENA_CHUNK 4096u
#define ARENA_ALIGN (alignof(max_align_t))

struct usp__chunk {
    struct usp__chunk *next;
    size_t used;
    size_t cap;
    alignas(max_align_t) unsigned char data[];
};

void usp__arena_init(struct usp__arena *a) { a->head = NULL; }

void *usp__arena_alloc(struct usp__arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    struct usp__chunk *c = a->head;

    if (need < n) /* overflow */
        return NULL;
    if (need == 0)
        need = ARENA_ALIGN;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        if (cap > SIZE_MAX - sizeof(*c))
            return NULL;
        c = ub_malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        /* Big blocks go behind the head so the head's free space stays. */
        if (a->head && need > ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    memset(p, 0, need);
    return p;
}

void *usp__arena_calloc(struct usp__arena *a, size_t n, size_t sz)
{
    if (sz && n > SIZE_MAX / sz)
        return NULL;
    return usp__arena_alloc(a, n * sz);
}

char *usp__arena_strdup(struct usp__arena *a, const char *s)
{
    size_t n = strlen(USP__STR(s));
    char *d = usp__arena_alloc(a, n + 1);
    if (d)
        memcpy(d, USP__STR(s), n);
    return d;
}

void usp__arena_free(struct usp__arena *a)
{
    struct usp__chunk *c = a->head;
    while (c) {
        struct usp__chunk *next = c->next;
        ub_free(c);
        c = next;
    }
    a->head = NULL;
}

/* ------------------------------------------------------------------ */
/* protobuf-c allocator                                                */
/* ------------------------------------------------------------------ */

static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return ub_malloc(size);
}

static void pb_free(void *data, void *ptr)
{
    (void)data;
    ub_free(ptr);
}

ProtobufCAllocator usp__pb_alloc = {pb_alloc, pb_free, NULL};

void usp__strlcpy(char *dst, const char *src, size_t dstsz)
{
    size_t n;
    if (!dstsz)
        return;
    n = strnlen(USP__STR(src), dstsz - 1);
    memcpy(dst, USP__STR(src), n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------ */
/* Error codes                                                         */
/* ------------------------------------------------------------------ */

static const struct {
    uint32_t code;
    const char *text;
} err_texts[] = {
    {USP_ERR_OK, "Success"},
    {USP_ERR_MESSAGE_FAILED, "Message failed"},
    {USP_ERR_MESSAGE_NOT_SUPPORTED, "Message not supported"},
    {USP_ERR_REQUEST_DENIED, "Request denied"},
    {USP_ERR_INTERNAL_ERROR, "Internal error"},
    {USP_ERR_INVALID_ARGUMENTS, "Invalid arguments"},
    {USP_ERR_RESOURCES_EXCEEDED, "Resources exceeded"},
    {USP_ERR_PERMISSION_DENIED, "Permission denied"},
    {USP_ERR_INVALID_CONFIGURATION, "Invalid configuration"},
    {USP_ERR_INVALID_PATH_SYNTAX, "Invalid path syntax"},
    {USP_ERR_PARAM_ACTION_FAILED, "Parameter action failed"},
    {USP_ERR_UNSUPPORTED_PARAM, "Unsupported parameter"},
    {USP_ERR_INVALID_TYPE, "Invalid type"},
    {USP_ERR_INVALID_VALUE, "Invalid value"},
    {USP_ERR_PARAM_READ_ONLY, "Attempt to update non-writeable parameter"},
    {USP_ERR_VALUE_CONFLICT, "Value conflict"},
    {USP_ERR_OPERATION_ERROR, "Operation error"},
    {USP_ERR_OBJECT_DOES_NOT_EXIST, "Object does not exist"},
    {USP_ERR_OBJECT_NOT_CREATED, "Object could not be created"},
    {USP_ERR_NOT_A_TABLE, "Object is not a table"},
    {USP_ERR_OBJECT_NOT_CREATABLE, "Attempt to create non-creatable object"},
    {USP_ERR_OBJECT_NOT_UPDATED, "Object could not be updated"},
    {USP_ERR_REQUIRED_PARAM_FAILED, "Required parameter failed"},
    {USP_ERR_COMMAND_FAILURE, "Command failure"},
    {USP_ERR_COMMAND_CANCELED, "Command canceled"},
    {USP_ERR_DELETE_FAILURE, "Delete failure"},
    {USP_ERR_DUPLICATE_KEY, "Object exists with duplicate key"},
    {USP_ERR_INVALID_PATH, "Invalid path"},
    {USP_ERR_INVALID_COMMAND_ARGS, "Invalid command arguments"},
    {USP_ERR_REGISTER_FAILURE, "Register failure"},
    {USP_ERR_ALREADY_IN_USE, "Already in use"},
    {USP_ERR_DEREGISTER_FAILURE, "Deregister failure"},
    {USP_ERR_PATH_ALREADY_REGISTERED, "Path already registered"},
    {USP_ERR_RECORD_NOT_PARSED, "Record could not be parsed"},
    {USP_ERR_SECURE_SESSION_REQUIRED, "Secure session required"},
    {USP_ERR_SECURE_SESSION_NOT_SUPPORTED, "Secure session not supported"},
    {USP_ERR_SAR_NOT_SUPPORTED, "Segmentation and reassembly not supported"},
    {USP_ERR_INVALID_RECORD_VALUE, "Invalid Record value"},
    {USP_ERR_SESSION_CONTEXT_TERMINATED, "Session Context terminated"},
    {USP_ERR_SESSION_CONTEXT_NOT_ALLOWED, "Session Context not allowed"},
};

const char *usp_err_text(uint32_t code)
{
    for (size_t i = 0; i < UB_ARRAY_LEN(err_texts); i++)
        if (err_texts[i].code == code)
            return err_texts[i].text;
    if (code >= USP_ERR_VENDOR_FIRST && code <= USP_ERR_VENDOR_LAST)
        return "Vendor defined error";
    return "Unknown error";
}

/* ------------------------------------------------------------------ */
/* Message types                                                       */
/* ------------------------------------------------------------------ */

static const char *const type_names[USP_MSG_TYPE_MAX_] = {
    [USP_MSG_ERROR] = "ERROR",
    [USP_MSG_GET] = "GET",
    [USP_MSG_GET_RESP] = "GET_RESP",
    [USP_MSG_NOTIFY] = "NOTIFY",
    [USP_MSG_SET] = "SET",
    [USP_MSG_SET_RESP] = "SET_RESP",
    [USP_MSG_OPERATE] = "OPERATE",
    [USP_MSG_OPERATE_RESP] = "OPERATE_RESP",
    [USP_MSG_ADD] = "ADD",
    [USP_MSG_ADD_RESP] = "ADD_RESP",
    [USP_MSG_DELETE] = "DELETE",
    [USP_MSG_DELETE_RESP] = "DELETE_RESP",
    [USP_MSG_GET_SUPPORTED_DM] = "GET_SUPPORTED_DM",
    [USP_MSG_GET_SUPPORTED_DM_RESP] = "GET_SUPPORTED_DM_RESP",
    [USP_MSG_GET_INSTANCES] = "GET_INSTANCES",
    [USP_MSG_GET_INSTANCES_RESP] = "GET_INSTANCES_RESP",
    [USP_MSG_NOTIFY_RESP] = "NOTIFY_RESP",
    [USP_MSG_GET_SUPPORTED_PROTO] = "GET_SUPPORTED_PROTO",
    [USP_MSG_GET_SUPPORTED_PROTO_RESP] = "GET_SUPPORTED_PROTO_RESP",
    [USP_MSG_REGISTER] = "REGISTER",
    [USP_MSG_REGISTER_RESP] = "REGISTER_RESP",
    [USP_MSG_DEREGISTER] = "DEREGISTER",
    [USP_MSG_DEREGISTER_RESP] = "DEREGISTER_RESP",
};

const char *usp_msg_type_name(enum usp_msg_type t)
{
    if ((unsigned)t >= USP_MSG_TYPE_MAX_)
        return "?";
    return type_names[t];
}

enum usp_msg_type usp_msg_type_response(enum usp_msg_type t)
{
    switch (t) {
    case USP_MSG_GET: return USP_MSG_GET_RESP;
    case USP_MSG_SET: return USP_MSG_SET_RESP;
    case USP_MSG_ADD: return USP_MSG_ADD_RESP;
    case USP_MSG_DELETE: return USP_MSG_DELETE_RESP;
    case USP_MSG_OPERATE: return USP_MSG_OPERATE_RESP;
    case USP_MSG_NOTIFY: return USP_MSG_NOTIFY_RESP;
    case USP_MSG_GET_SUPPORTED_DM: return USP_MSG_GET_SUPPORTED_DM_RESP;
    case USP_MSG_GET_INSTANCES: return USP_MSG_GET_INSTANCES_RESP;
    case USP_MSG_GET_SUPPORTED_PROTO: return USP_MSG_GET_SUPPORTED_PROTO_RESP;
    case USP_MSG_REGISTER: return USP_MSG_REGISTER_RESP;
    case USP_MSG_DEREGISTER: return USP_MSG_DEREGISTER_RESP;
    default: return USP_MSG_ERROR;
    }
}

bool usp_msg_type_is_request(enum usp_msg_type t)
{
    return usp_msg_type_response(t) != USP_MSG_ERROR;
}

/* ------------------------------------------------------------------ */
/* Value types                                                         */
/* ------------------------------------------------------------------ */

enum usp_param_vtype usp_vtype_from_ub(enum ub_type t)
{
    switch (t) {
    case UB_T_STRING: return USP_VT_STRING;
    case UB_T_INT: return USP_VT_INT;
    case UB_T_UINT: return USP_VT_UNSIGNED_INT;
    case UB_T_LONG: return USP_VT_LONG;
    case UB_T_ULONG: return USP_VT_UNSIGNED_LONG;
    case UB_T_BOOL: return USP_VT_BOOLEAN;
    case UB_T_DATETIME: return USP_VT_DATE_TIME;
    case UB_T_BASE64: return USP_VT_BASE_64;
    case UB_T_HEXBINARY: return USP_VT_HEX_BINARY;
    case UB_T_DECIMAL: return USP_VT_DECIMAL;
    default: return USP_VT_UNKNOWN;
    }
}

enum ub_type usp_vtype_to_ub(enum usp_param_vtype v)
{
    switch (v) {
    case USP_VT_STRING: return UB_T_STRING;
    case USP_VT_INT: return UB_T_INT;
    case USP_VT_UNSIGNED_INT: return UB_T_UINT;
    case USP_VT_LONG: return UB_T_LONG;
    case USP_VT_UNSIGNED_LONG: return UB_T_ULONG;
    case USP_VT_BOOLEAN: return UB_T_BOOL;
    case USP_VT_DATE_TIME: return UB_T_DATETIME;
    case USP_VT_BASE_64: return UB_T_BASE64;
    case USP_VT_HEX_BINARY: return UB_T_HEXBINARY;
    case USP_VT_DECIMAL: return UB_T_DECIMAL;
    default: return UB_T_NONE;
    }
}
