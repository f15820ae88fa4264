/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/* Data-model types (TR-106) and lexical checks of values. */
#include <ub/base.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[UB_T_MAX_] = {
    [UB_T_NONE] = "",           [UB_T_STRING] = "string",
    [UB_T_INT] = "int",         [UB_T_UINT] = "unsignedInt",
    [UB_T_LONG] = "long",       [UB_T_ULONG] = "unsignedLong",
    [UB_T_BOOL] = "boolean",    [UB_T_DATETIME] = "dateTime",
    [UB_T_BASE64] = "base64",   [UB_T_HEXBINARY] = "hexBinary",
    [UB_T_DECIMAL] = "decimal", [UB_T_OBJECT] = "object",
};

const char *ub_type_name(enum ub_type t)
{
    if ((unsigned)t >= UB_T_MAX_)
        return "";
    return type_names[t];
}

enum ub_type ub_type_from_name(const char *name)
{
    const char *colon;

    if (!name)
        return UB_T_NONE;
    colon = strchr(name, ':');
    if (colon)
        name = colon + 1;
    for (int t = UB_T_STRING; t < UB_T_MAX_; t++)
        if (strcmp(name, type_names[t]) == 0)
            return (enum ub_type)t;
    /* xsd spellings that differ from TR-106 names */
    if (strcmp(name, "base64Binary") == 0)
        return UB_T_BASE64;
    if (strcmp(name, "integer") == 0)
        return UB_T_LONG;
    return UB_T_NONE;
}

static bool check_int(const char *s, bool is_unsigned, long long lo,
                      unsigned long long hi)
{
    char *end;

    if (!*s || isspace((unsigned char)*s))
        return false;
    errno = 0;
    if (is_unsigned) {
        unsigned long long v;
        if (*s == '-')
            return false;
        v = strtoull(s, &end, 10);
        return !*end && !errno && v <= hi;
    } else {
        long long v = strtoll(s, &end, 10);
        return !*end && !errno && v >= lo && (v < 0 || (unsigned long long)v <= hi);
    }
}

static bool check_datetime(const char *s)
{
    /* YYYY-MM-DDThh:mm:ss[.fff][Z|(+|-)hh:mm] */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;

    for (i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    }
    s += i;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == 'Z')
        return s[1] == '\0';
    if (*s == '+' || *s == '-')
        return isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
               s[3] == ':' && isdigit((unsigned char)s[4]) &&
               isdigit((unsigned char)s[5]) && s[6] == '\0';
    return *s == '\0';
}

int ub_value_check(enum ub_type t, const char *s)
{
    bool ok = true;

    if (!s)
        return UB_EINVAL;
    switch (t) {
    case UB_T_INT:
        ok = check_int(s, false, INT32_MIN, INT32_MAX);
        break;
    case UB_T_UINT:
        ok = check_int(s, true, 0, UINT32_MAX);
        break;
    case UB_T_LONG:
        ok = check_int(s, false, INT64_MIN, INT64_MAX);
        break;
    case UB_T_ULONG:
        ok = check_int(s, true, 0, UINT64_MAX);
        break;
    case UB_T_BOOL:
        ok = !strcmp(s, "0") || !strcmp(s, "1") || !strcmp(s, "true") ||
             !strcmp(s, "false");
        break;
    case UB_T_DATETIME:
        ok = check_datetime(s);
        break;
    case UB_T_HEXBINARY: {
        size_t n = strlen(s);
        ok = n % 2 == 0;
        for (size_t i = 0; ok && i < n; i++)
            ok = isxdigit((unsigned char)s[i]);
        break;
    }
    case UB_T_BASE64: {
        size_t n = strlen(s), pad = 0;
        ok = n % 4 == 0;
        for (size_t i = 0; ok && i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '=') {
                pad++;
                ok = i >= n - 2;
            } else {
                ok = !pad && (isalnum(c) || c == '+' || c == '/');
            }
        }
        break;
    }
    case UB_T_DECIMAL: {
        char *end;
        errno = 0;
        if (!*s || isspace((unsigned char)*s))
            return UB_EINVAL;
        (void)strtod(s, &end);
        ok = !*end && !errno;
        break;
    }
    case UB_T_OBJECT:
        ok = false;
        break;
    default:
        break; /* string, unknown: any text */
    }
    return ok ? UB_OK : UB_EINVAL;
}
