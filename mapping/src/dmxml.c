/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * BBF data-model XML (cwmp-datamodel schema) -> schema path lookup.
 *
 * DESIGN
 * The full TR-181 XML is several MB; a DOM of it would be ten times that.
 * We stream it with libxml2's xmlTextReader and expand one subtree at a
 * time: each top-level <dataType> (name -> base type, for resolving
 * <dataType ref=...> in parameter syntax) and each <object> of the first
 * <model>.  The reader frees an expanded subtree when it moves past it.
 *
 * Hostile input: the parser runs with XML_PARSE_NONET and without
 * XML_PARSE_NOENT / XML_PARSE_DTDLOAD / XML_PARSE_HUGE / XInclude, so no
 * entity is substituted, nothing is fetched, and libxml2's own depth and
 * size limits stay on.  A document type declaration is refused outright
 * (BBF files have none; an internal subset is where entity bombs live).
 * Our own limits: input bytes, entries, nesting depth.
 *
 * Result: entries in document order (map_dm_at) plus an index sorted by
 * path for lookup (bsearch).  Objects, their parameters, commands and
 * events are entries; command/event arguments are not.  A path defined
 * twice (base= re-definitions) keeps both entries; lookup returns the later.
 */
#include "mapping_int.h"

#include <libxml/tree.h>
#include <libxml/xmlreader.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DM_DEF_MAX_BYTES ((size_t)64 << 20)
#define DM_DEF_MAX_ENTRIES 200000
#define DM_DEF_MAX_DEPTH 64
#define DM_MAX_DATATYPES 4096
#define DM_BASE_HOPS 16

struct dm_type {
    char *name;
    char *base;        /* base= attribute, may be NULL */
    enum ub_type t;    /* from a type element, UB_T_NONE if none */
    bool list;
};

struct map_dm {
    struct map_dm_entry *v;
    size_t n, cap;
    size_t *sorted;
    char *model;
    struct dm_type *dt;
    size_t ndt, capdt;
    struct map_dm_limits lim;
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static bool is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

/* Attribute value, borrowed from the node (no namespace). */
static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, name) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    }
    return NULL;
}

/* Base type of a type element name ("unsignedInt" ...), UB_T_NONE if the
 * element is no TR-106 base type. */
static enum ub_type type_of_element(const char *name)
{
    enum ub_type t = ub_type_from_name(name);
    return t == UB_T_OBJECT ? UB_T_NONE : t;
}

static const struct dm_type *dt_find(const struct map_dm *dm,
                                     const char *name)
{
    /* later definitions win (search backwards) */
    for (size_t i = dm->ndt; i-- > 0;)
        if (strcmp(dm->dt[i].name, name) == 0)
            return &dm->dt[i];
    return NULL;
}

static enum ub_type dt_resolve(const struct map_dm *dm, const char *name)
{
    for (int hop = 0; name && hop < DM_BASE_HOPS; hop++) {
        const struct dm_type *d = dt_find(dm, name);
        if (!d)
            break;
        if (d->list)
            return UB_T_STRING;
        if (d->t != UB_T_NONE)
            return d->t;
        name = d->base;
    }
    return UB_T_STRING; /* unknown or imported type: a string on the wire */
}

static int entry_add(struct map_dm *dm, const char *obj, const char *name,
                     enum map_dm_kind kind, struct map_dm_entry **out)
{
    struct map_dm_entry *e;
    size_t lo = strlen(obj), ln = name ? strlen(name) : 0;
    char *path;

    if (dm->n >= dm->lim.max_entries)
        return UB_ETOOBIG;
    if (lo + ln > UB_PATH_MAX)
        return UB_EPROTO;
    if (dm->n == dm->cap) {
        size_t cap = dm->cap ? dm->cap * 2 : 256;
        struct map_dm_entry *v = ub_realloc(dm->v, cap * sizeof(*v));
        if (!v)
            return UB_ENOMEM;
        dm->v = v;
        dm->cap = cap;
    }
    path = ub_malloc(lo + ln + 1);
    if (!path)
        return UB_ENOMEM;
    memcpy(path, obj, lo);
    if (ln)
        memcpy(path + lo, name, ln);
    path[lo + ln] = '\0';
    e = &dm->v[dm->n++];
    memset(e, 0, sizeof(*e));
    e->path = path;
    e->kind = kind;
    *out = e;
    return UB_OK;
}

/* A parameter's type from its <syntax>. */
static enum ub_type syntax_type(const struct map_dm *dm, const xmlNode *param)
{
    for (const xmlNode *c = param->children; c; c = c->next) {
        if (!is_el(c, "syntax"))
            continue;
        for (const xmlNode *s = c->children; s; s = s->next) {
            enum ub_type t;
            if (s->type != XML_ELEMENT_NODE)
                continue;
            if (is_el(s, "list"))
                return UB_T_STRING; /* comma-separated on the wire */
            if (is_el(s, "dataType")) {
                const char *ref = attr(s, "ref");
                if (!ref)
                    ref = attr(s, "base");
                return dt_resolve(dm, ref);
            }
            t = type_of_element((const char *)s->name);
            if (t != UB_T_NONE)
                return t;
        }
    }
    return UB_T_STRING;
}

static bool name_ok(const char *s, size_t max)
{
    size_t n;
    if (!s)
        return false;
    n = strnlen(s, max + 1);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* Elements                                                            */
/* ------------------------------------------------------------------ */

static int do_datatype(struct map_dm *dm, const xmlNode *n)
{
    const char *name = attr(n, "name");
    struct dm_type d = {0};

    if (!name_ok(name, 256))
        return UB_OK; /* nameless: nothing to resolve against */
    if (dm->ndt >= DM_MAX_DATATYPES)
        return UB_ETOOBIG;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(c, "list"))
            d.list = true;
        else if (d.t == UB_T_NONE)
            d.t = type_of_element((const char *)c->name);
    }
    if (dm->ndt == dm->capdt) {
        size_t cap = dm->capdt ? dm->capdt * 2 : 64;
        struct dm_type *v = ub_realloc(dm->dt, cap * sizeof(*v));
        if (!v)
            return UB_ENOMEM;
        dm->dt = v;
        dm->capdt = cap;
    }
    d.name = ub_strdup(name);
    d.base = attr(n, "base") ? ub_strdup(attr(n, "base")) : NULL;
    if (!d.name || (attr(n, "base") && !d.base)) {
        ub_free(d.name);
        ub_free(d.base);
        return UB_ENOMEM;
    }
    dm->dt[dm->ndt++] = d;
    return UB_OK;
}

static int do_object(struct map_dm *dm, const xmlNode *n)
{
    const char *path = attr(n, "name"), *s;
    struct map_dm_entry *e;
    size_t len;
    int err;

    if (!path)
        path = attr(n, "base");
    if (!name_ok(path, UB_PATH_MAX))
        return UB_EPROTO;
    len = strlen(path);
    if (path[len - 1] != '.')
        return UB_EPROTO;
    err = entry_add(dm, path, NULL, MAP_DM_OBJECT, &e);
    if (err)
        return err;
    e->type = UB_T_OBJECT;
    s = attr(n, "access");
    e->writable = s && strcmp(s, "readWrite") == 0;
    s = attr(n, "maxEntries");
    e->multi = (len >= 4 && strcmp(path + len - 4, "{i}.") == 0) ||
               (s && (strcmp(s, "unbounded") == 0 || atoi(s) > 1));

    for (const xmlNode *c = n->children; c; c = c->next) {
        const char *name;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        name = attr(c, "name");
        if (!name)
            name = attr(c, "base");
        if (is_el(c, "parameter")) {
            if (!name_ok(name, 256))
                return UB_EPROTO;
            err = entry_add(dm, path, name, MAP_DM_PARAM, &e);
            if (err)
                return err;
            e->type = syntax_type(dm, c);
            s = attr(c, "access");
            e->writable = s && strcmp(s, "readWrite") == 0;
        } else if (is_el(c, "command")) {
            if (!name_ok(name, 256))
                return UB_EPROTO;
            err = entry_add(dm, path, name, MAP_DM_COMMAND, &e);
            if (err)
                return err;
            s = attr(c, "async");
            e->async = s && strcmp(s, "true") == 0;
        } else if (is_el(c, "event")) {
            if (!name_ok(name, 256))
                return UB_EPROTO;
            err = entry_add(dm, path, name, MAP_DM_EVENT, &e);
            if (err)
                return err;
        }
    }
    return UB_OK;
}

/* ------------------------------------------------------------------ */
/* Load                                                                */
/* ------------------------------------------------------------------ */

static int path_cmp(const struct map_dm *dm, size_t a, size_t b)
{
    int c = strcmp(dm->v[a].path, dm->v[b].path);
    if (c)
        return c;
    return a < b ? -1 : (a > b);
}

/* qsort has no context argument in C11: sort with a local merge sort. */
static void sort_index(const struct map_dm *dm, size_t *v, size_t *tmp,
                       size_t n)
{
    size_t mid, i, j, k;

    if (n < 2)
        return;
    mid = n / 2;
    sort_index(dm, v, tmp, mid);
    sort_index(dm, v + mid, tmp, n - mid);
    for (i = 0, j = mid, k = 0; i < mid && j < n;)
        tmp[k++] = path_cmp(dm, v[i], v[j]) <= 0 ? v[i++] : v[j++];
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(*v));
}

void map_dm_free(struct map_dm *dm)
{
    if (!dm)
        return;
    for (size_t i = 0; i < dm->n; i++)
        ub_free((char *)dm->v[i].path);
    for (size_t i = 0; i < dm->ndt; i++) {
        ub_free(dm->dt[i].name);
        ub_free(dm->dt[i].base);
    }
    ub_free(dm->v);
    ub_free(dm->sorted);
    ub_free(dm->dt);
    ub_free(dm->model);
    ub_free(dm);
}

static void dm_drop_types(struct map_dm *dm)
{
    for (size_t i = 0; i < dm->ndt; i++) {
        ub_free(dm->dt[i].name);
        ub_free(dm->dt[i].base);
    }
    ub_free(dm->dt);
    dm->dt = NULL;
    dm->ndt = dm->capdt = 0;
}

static int walk(struct map_dm *dm, xmlTextReaderPtr r)
{
    bool have_model = false, in_model = false;
    int ret = xmlTextReaderRead(r);

    while (ret == 1) {
        int type = xmlTextReaderNodeType(r);
        int depth = xmlTextReaderDepth(r);
        const char *name = (const char *)xmlTextReaderConstLocalName(r);
        xmlNodePtr node;
        int err;

        if (depth < 0 || (unsigned)depth > dm->lim.max_depth)
            return UB_ETOOBIG;
        if (type == XML_READER_TYPE_DOCUMENT_TYPE)
            return UB_EPROTO; /* no DTDs, no entity declarations */
        if (type == XML_READER_TYPE_ENTITY_REFERENCE)
            return UB_EPROTO;
        if (type == XML_READER_TYPE_END_ELEMENT && depth == 1 && in_model)
            in_model = false;
        if (type != XML_READER_TYPE_ELEMENT || !name) {
            ret = xmlTextReaderRead(r);
            continue;
        }
        if (depth == 0) {
            if (strcmp(name, "document") != 0)
                return UB_EPROTO;
            ret = xmlTextReaderRead(r);
            continue;
        }
        if (depth == 1 && strcmp(name, "model") == 0 && !have_model &&
            !xmlTextReaderIsEmptyElement(r)) {
            xmlChar *mname = xmlTextReaderGetAttribute(r, BAD_CAST "name");
            have_model = in_model = true;
            dm->model = ub_strdup(mname ? (const char *)mname : "");
            xmlFree(mname);
            if (!dm->model)
                return UB_ENOMEM;
            ret = xmlTextReaderRead(r);
            continue;
        }
        if ((depth == 1 && strcmp(name, "dataType") == 0) ||
            (depth == 2 && in_model && strcmp(name, "object") == 0)) {
            node = xmlTextReaderExpand(r);
            if (!node)
                return UB_EPROTO;
            err = depth == 1 ? do_datatype(dm, node) : do_object(dm, node);
            if (err)
                return err;
        }
        /* everything else at these levels, and what we expanded: skip */
        ret = depth <= 2 ? xmlTextReaderNext(r) : xmlTextReaderRead(r);
    }
    if (ret < 0)
        return UB_EPROTO;
    return have_model ? UB_OK : UB_EPROTO;
}

int map_dm_load_mem(const char *buf, size_t len,
                    const struct map_dm_limits *lim, struct map_dm **out)
{
    struct map_dm *dm = NULL;
    xmlTextReaderPtr r = NULL;
    size_t *tmp = NULL;
    int err;

    if (!buf || !out)
        return UB_EINVAL;
    dm = ub_calloc(1, sizeof(*dm));
    if (!dm)
        return UB_ENOMEM;
    dm->lim.max_bytes = lim && lim->max_bytes ? lim->max_bytes
                                              : DM_DEF_MAX_BYTES;
    dm->lim.max_entries = lim && lim->max_entries ? lim->max_entries
                                                  : DM_DEF_MAX_ENTRIES;
    dm->lim.max_depth = lim && lim->max_depth ? lim->max_depth
                                              : DM_DEF_MAX_DEPTH;
    if (len > dm->lim.max_bytes || len > (size_t)INT32_MAX) {
        err = UB_ETOOBIG;
        goto out;
    }
    if (len == 0) {
        err = UB_EPROTO;
        goto out;
    }
    r = xmlReaderForMemory(buf, (int)len, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
    if (!r) {
        err = UB_ENOMEM;
        goto out;
    }
    err = walk(dm, r);
    if (err)
        goto out;
    dm_drop_types(dm); /* only needed while loading */
    if (dm->n) {
        dm->sorted = ub_malloc(dm->n * sizeof(size_t));
        tmp = ub_malloc(dm->n * sizeof(size_t));
        if (!dm->sorted || !tmp) {
            err = UB_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < dm->n; i++)
            dm->sorted[i] = i;
        sort_index(dm, dm->sorted, tmp, dm->n);
    }
    *out = dm;
    dm = NULL;
out:
    if (r)
        xmlFreeTextReader(r);
    ub_free(tmp);
    map_dm_free(dm);
    return err;
}

int map_dm_load_file(const char *path, const struct map_dm_limits *lim,
                     struct map_dm **out)
{
    size_t max = lim && lim->max_bytes ? lim->max_bytes : DM_DEF_MAX_BYTES;
    struct ub_buf b;
    char chunk[65536];
    FILE *f;
    int err = UB_OK;

    if (!path || !out)
        return UB_EINVAL;
    f = fopen(path, "rb");
    if (!f) {
        UB_LOGW(MAP_LOG, "cannot open data-model file %s", path);
        return UB_EIO;
    }
    ub_buf_init(&b, max);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0) {
            err = ub_buf_append(&b, chunk, n);
            if (err)
                break; /* the buffer freed itself */
        }
        if (n < sizeof(chunk)) {
            if (ferror(f))
                err = UB_EIO;
            break;
        }
    }
    fclose(f);
    if (!err)
        err = map_dm_load_mem(b.data ? b.data : "", b.len, lim, out);
    ub_buf_free(&b);
    return err;
}

const struct map_dm_entry *map_dm_lookup(const struct map_dm *dm,
                                         const char *path)
{
    const struct map_dm_entry *found = NULL;
    char *schema;
    size_t lo = 0, hi;

    if (!dm || !path || !dm->n || strnlen(path, UB_PATH_MAX + 1) > UB_PATH_MAX)
        return NULL;
    schema = ub_path_to_schema(path);
    if (!schema)
        return NULL;
    /* first index with path >= schema */
    hi = dm->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(dm->v[dm->sorted[mid]].path, schema) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* the last of equal paths (a later definition wins) */
    while (lo < dm->n && strcmp(dm->v[dm->sorted[lo]].path, schema) == 0)
        found = &dm->v[dm->sorted[lo++]];
    ub_free(schema);
    return found;
}

size_t map_dm_count(const struct map_dm *dm) { return dm ? dm->n : 0; }

const struct map_dm_entry *map_dm_at(const struct map_dm *dm, size_t i)
{
    return dm && i < dm->n ? &dm->v[i] : NULL;
}

const char *map_dm_model(const struct map_dm *dm)
{
    return dm && dm->model ? dm->model : "";
}
