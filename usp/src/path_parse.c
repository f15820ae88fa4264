/*
 * USP path names: parser.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 * A hand-written recursive-descent parser for TR-369's Instantiated Data
 * Model path grammar (there is no library for it):
 *
 *   path     ::= name '.' ( comp '.' )* leaf?
 *   comp     ::= name reffollow? | posnum | '*' | '[' expr ']' | '[' alias ']'
 *   leaf     ::= name | name '()' | name '!'
 *   reffollow::= ( '#' ( posnum | '*' ) )? '+'
 *   expr     ::= term ( '&&' term )*
 *   term     ::= relpath ws* oper ws* value
 *   relpath  ::= name ( reffollow? '.' name )*
 *   oper     ::= '==' | '!=' | '~=' | '<=' | '>=' | '<' | '>'
 *   value    ::= '"' [^"]* '"' (with %XX escapes) | bare token
 *
 * Rules beyond the grammar, checked here so the caller can answer 7008:
 * an instance identifier (number, '*', [...]) must follow a table name, not
 * the root or another identifier; a reference "+" must be followed by '.';
 * names are [A-Za-z_][A-Za-z0-9_-]* (TR-106 allows '-', USP's BNF does not:
 * we are lenient).  "[...]" with an operator outside quotes is a search or
 * unique-key expression; without one it is a TR-069 style instance alias.
 * Everything lives in one arena owned by the struct usp_path.
 */
#include "usp_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct pp {
    const char *s; /* whole text */
    size_t i;      /* cursor */
    struct usp_path *p;
    struct usp_path_err *err;
};

static int fail(struct pp *pp, const char *fmt, ...) UB_PRINTF(2, 3);

static int fail(struct pp *pp, const char *fmt, ...)
{
    if (pp->err) {
        va_list ap;
        pp->err->offset = pp->i;
        va_start(ap, fmt);
        vsnprintf(pp->err->msg, sizeof(pp->err->msg), fmt, ap);
        va_end(ap);
    }
    return UB_EPROTO;
}

static bool name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* name: returns an arena copy, or NULL with *e set. */
static const char *parse_name(struct pp *pp, int *e)
{
    size_t st = pp->i;
    char *n;
    if (!name_start(pp->s[pp->i])) {
        *e = fail(pp, "a name was expected");
        return NULL;
    }
    while (name_char(pp->s[pp->i]))
        pp->i++;
    n = usp__arena_alloc(&pp->p->arena, pp->i - st + 1);
    if (!n) {
        *e = UB_ENOMEM;
        return NULL;
    }
    memcpy(n, pp->s + st, pp->i - st);
    return n;
}

/* posnum [1-9][0-9]* up to 4294967295 */
static int parse_posnum(struct pp *pp, uint32_t *out)
{
    uint64_t v = 0;
    if (pp->s[pp->i] < '1' || pp->s[pp->i] > '9')
        return fail(pp, "an instance number must be 1 or more, no leading 0");
    while (is_digit(pp->s[pp->i])) {
        v = v * 10 + (uint64_t)(pp->s[pp->i] - '0');
        if (v > UINT32_MAX)
            return fail(pp, "instance number too large");
        pp->i++;
    }
    *out = (uint32_t)v;
    return UB_OK;
}

/* Optional reffollow after a name: sets *ref. */
static int parse_reffollow(struct pp *pp, int *ref)
{
    *ref = USP__REF_NONE;
    if (pp->s[pp->i] == '#') {
        pp->i++;
        if (pp->s[pp->i] == '*') {
            pp->i++;
            *ref = USP__REF_ALL;
        } else {
            uint32_t n;
            int e = parse_posnum(pp, &n);
            if (e)
                return e;
            if (n > 1000000)
                return fail(pp, "list index too large");
            *ref = (int)n;
        }
        if (pp->s[pp->i] != '+')
            return fail(pp, "'+' expected after a list index");
    }
    if (pp->s[pp->i] == '+') {
        pp->i++;
        if (*ref == USP__REF_NONE)
            *ref = 1;
    }
    return UB_OK;
}

static void skip_ws(struct pp *pp)
{
    while (pp->s[pp->i] == ' ' || pp->s[pp->i] == '\t')
        pp->i++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* value: "literal" (percent-decoded) or a bare token. */
static int parse_value(struct pp *pp, struct usp__term *t)
{
    size_t st;
    char *v, *o;

    if (pp->s[pp->i] == '"') {
        pp->i++;
        st = pp->i;
        while (pp->s[pp->i] && pp->s[pp->i] != '"')
            pp->i++;
        if (!pp->s[pp->i])
            return fail(pp, "unterminated string literal");
        v = usp__arena_alloc(&pp->p->arena, pp->i - st + 1);
        if (!v)
            return UB_ENOMEM;
        o = v;
        for (size_t k = st; k < pp->i; k++) {
            if (pp->s[k] == '%' && k + 2 < pp->i &&
                hexval(pp->s[k + 1]) >= 0 && hexval(pp->s[k + 2]) >= 0) {
                *o++ = (char)(hexval(pp->s[k + 1]) * 16 + hexval(pp->s[k + 2]));
                k += 2;
            } else {
                *o++ = pp->s[k];
            }
        }
        *o = '\0';
        pp->i++; /* closing quote */
        t->value = v;
        t->quoted = true;
        return UB_OK;
    }
    st = pp->i;
    while (name_char(pp->s[pp->i]) || pp->s[pp->i] == '.' ||
           pp->s[pp->i] == ':' || pp->s[pp->i] == '+')
        pp->i++;
    if (pp->i == st)
        return fail(pp, "a value was expected");
    v = usp__arena_alloc(&pp->p->arena, pp->i - st + 1);
    if (!v)
        return UB_ENOMEM;
    memcpy(v, pp->s + st, pp->i - st);
    t->value = v;
    t->quoted = false;
    return UB_OK;
}

#define MAX_REL_PARTS 8

static int parse_term(struct pp *pp, struct usp__term *t)
{
    struct usp__relname parts[MAX_REL_PARTS];
    size_t n = 0;
    int e = UB_OK;

    skip_ws(pp);
    for (;;) {
        if (n == MAX_REL_PARTS)
            return fail(pp, "relative path too deep");
        parts[n].name = parse_name(pp, &e);
        if (!parts[n].name)
            return e;
        e = parse_reffollow(pp, &parts[n].ref);
        if (e)
            return e;
        n++;
        if (pp->s[pp->i] != '.') {
            if (parts[n - 1].ref != USP__REF_NONE)
                return fail(pp, "'.' expected after a reference");
            break;
        }
        pp->i++;
    }
    skip_ws(pp);
    {
        const char *o = pp->s + pp->i;
        if (!strncmp(o, "==", 2)) t->op = USP__OP_EQ, pp->i += 2;
        else if (!strncmp(o, "!=", 2)) t->op = USP__OP_NE, pp->i += 2;
        else if (!strncmp(o, "~=", 2)) t->op = USP__OP_CONTAINS, pp->i += 2;
        else if (!strncmp(o, "<=", 2)) t->op = USP__OP_LE, pp->i += 2;
        else if (!strncmp(o, ">=", 2)) t->op = USP__OP_GE, pp->i += 2;
        else if (*o == '<') t->op = USP__OP_LT, pp->i += 1;
        else if (*o == '>') t->op = USP__OP_GT, pp->i += 1;
        else
            return fail(pp, "an operator (== != ~= < > <= >=) was expected");
    }
    skip_ws(pp);
    e = parse_value(pp, t);
    if (e)
        return e;
    skip_ws(pp);
    t->parts = usp__arena_calloc(&pp->p->arena, n, sizeof(*t->parts));
    if (!t->parts)
        return UB_ENOMEM;
    memcpy(t->parts, parts, n * sizeof(*parts));
    t->n_parts = n;
    return UB_OK;
}

/* Does the bracket content [st, end) hold an operator outside quotes? */
static bool has_operator(const char *s, size_t st, size_t end)
{
    bool q = false;
    for (size_t k = st; k < end; k++) {
        if (s[k] == '"')
            q = !q;
        else if (!q && strchr("=!<>~&", s[k]))
            return true;
    }
    return false;
}

/* '[' ... ']' at pp->i. */
static int parse_bracket(struct pp *pp, struct usp__seg *sg)
{
    size_t st = ++pp->i, end = st;
    bool q = false;

    while (pp->s[end] && (q || pp->s[end] != ']')) {
        if (pp->s[end] == '"')
            q = !q;
        end++;
    }
    if (!pp->s[end])
        return fail(pp, "unterminated '['");
    if (end == st)
        return fail(pp, "empty instance expression '[]'");

    if (!has_operator(pp->s, st, end)) {
        char *a;
        for (size_t k = st; k < end; k++) {
            unsigned char c = (unsigned char)pp->s[k];
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '[') {
                pp->i = k;
                return fail(pp, "invalid character in instance alias");
            }
        }
        a = usp__arena_alloc(&pp->p->arena, end - st + 1);
        if (!a)
            return UB_ENOMEM;
        memcpy(a, pp->s + st, end - st);
        sg->kind = USP__SEG_ALIAS;
        sg->name = a;
        pp->i = end + 1;
        return UB_OK;
    }

    struct usp__term terms[USP_PATH_MAX_TERMS];
    size_t n = 0;
    for (;;) {
        int e;
        if (n == USP_PATH_MAX_TERMS)
            return fail(pp, "too many expression components");
        memset(&terms[n], 0, sizeof(terms[n]));
        e = parse_term(pp, &terms[n]);
        if (e)
            return e;
        n++;
        if (pp->s[pp->i] == ']')
            break;
        if (strncmp(pp->s + pp->i, "&&", 2) != 0)
            return fail(pp, "'&&' or ']' expected");
        pp->i += 2;
    }
    pp->i++; /* ']' */
    sg->kind = USP__SEG_EXPR;
    sg->terms = usp__arena_calloc(&pp->p->arena, n, sizeof(*sg->terms));
    if (!sg->terms)
        return UB_ENOMEM;
    memcpy(sg->terms, terms, n * sizeof(*terms));
    sg->n_terms = n;
    return UB_OK;
}

static int parse(struct pp *pp)
{
    struct usp_path *p = pp->p;
    struct usp__seg segs[USP_PATH_MAX_SEGS];
    size_t n = 0;
    int e = UB_OK;

    if (!name_start(pp->s[0]))
        return fail(pp, "a path starts with a name (e.g. Device.)");
    for (;;) {
        struct usp__seg sg;
        char c = pp->s[pp->i];

        memset(&sg, 0, sizeof(sg));
        if (n == USP_PATH_MAX_SEGS)
            return fail(pp, "too many path segments");
        if (c == '[' || c == '*' || is_digit(c)) {
            /* Exit if an instance identifier does not follow a table. */
            if (n < 2 || segs[n - 1].kind != USP__SEG_NAME ||
                segs[n - 1].ref != USP__REF_NONE)
                return fail(pp, "an instance identifier must follow a "
                                "table name");
            if (c == '[') {
                e = parse_bracket(pp, &sg);
            } else if (c == '*') {
                sg.kind = USP__SEG_WILD;
                pp->i++;
            } else {
                sg.kind = USP__SEG_INST;
                e = parse_posnum(pp, &sg.inst);
            }
            if (e)
                return e;
            /* An alias addresses one instance; '*' and [expr] search.
             * (A complete unique-key expression also addresses one, but
             * telling needs the data model: treated as a search.) */
            if (sg.kind == USP__SEG_WILD || sg.kind == USP__SEG_EXPR)
                p->is_search = true;
            if (pp->s[pp->i] != '.')
                return fail(pp, "'.' expected after an instance identifier");
            pp->i++;
            segs[n++] = sg;
        } else {
            const char *nm = parse_name(pp, &e);
            if (!nm)
                return e;
            // Exit if the leaf would hang directly off the root ("Device").
            if (n == 0 && (!pp->s[pp->i] || pp->s[pp->i] == '(' ||
                           pp->s[pp->i] == '!'))
                return fail(pp, "a path needs an object before its last name");
            if (pp->s[pp->i] == '(') {
                if (strcmp(pp->s + pp->i, "()") != 0)
                    return fail(pp, "a command path ends with \"()\"");
                p->kind = USP_PATH_COMMAND;
                p->leaf = nm;
                break;
            }
            if (pp->s[pp->i] == '!') {
                if (pp->s[pp->i + 1])
                    return fail(pp, "an event path ends with '!'");
                p->kind = USP_PATH_EVENT;
                p->leaf = nm;
                break;
            }
            if (!pp->s[pp->i]) {
                p->kind = USP_PATH_PARAM;
                p->leaf = nm;
                break;
            }
            sg.kind = USP__SEG_NAME;
            sg.name = nm;
            e = parse_reffollow(pp, &sg.ref);
            if (e)
                return e;
            if (sg.ref == USP__REF_ALL)
                p->is_search = true;
            if (pp->s[pp->i] != '.')
                return fail(pp, sg.ref ? "'.' expected after a reference"
                                       : "invalid character in path");
            pp->i++;
            segs[n++] = sg;
        }
        if (!pp->s[pp->i]) {
            p->kind = USP_PATH_OBJECT;
            break;
        }
    }
    p->segs = usp__arena_calloc(&p->arena, n ? n : 1, sizeof(*p->segs));
    if (!p->segs)
        return UB_ENOMEM;
    memcpy(p->segs, segs, n * sizeof(*segs));
    p->n_segs = n;
    return UB_OK;
}

int usp_path_parse(const char *text, struct usp_path **out,
                   struct usp_path_err *err)
{
    struct usp_path *p;
    struct pp pp;
    int e;

    if (err)
        memset(err, 0, sizeof(*err));
    if (!text || !out)
        return UB_EINVAL;
    memset(&pp, 0, sizeof(pp));
    pp.s = text;
    pp.err = err;
    if (strnlen(text, UB_PATH_MAX + 1) > UB_PATH_MAX)
        return fail(&pp, "path longer than %d bytes", UB_PATH_MAX);
    p = ub_calloc(1, sizeof(*p));
    if (!p)
        return UB_ENOMEM;
    usp__arena_init(&p->arena);
    pp.p = p;
    p->text = usp__arena_strdup(&p->arena, text);
    e = p->text ? parse(&pp) : UB_ENOMEM;
    if (e) {
        usp_path_free(p);
        return e;
    }
    *out = p;
    return UB_OK;
}

void usp_path_free(struct usp_path *p)
{
    if (!p)
        return;
    usp__arena_free(&p->arena);
    ub_free(p);
}

enum usp_path_kind usp_path_get_kind(const struct usp_path *p)
{
    return p->kind;
}

bool usp_path_is_search(const struct usp_path *p) { return p->is_search; }

const char *usp_path_text(const struct usp_path *p) { return p->text; }
