/* SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception */
/*
 * Custom gSOAP serializer for cwmp__text (gsoap/cwmp.h: "extern typedef
 * char *cwmp__text"), the type of every text leaf of the CWMP structs.
 *
 * Input is gSOAP's own string reader.  Output differs from gSOAP's char *
 * serializer in one point: an empty string is written <Tag></Tag>, never
 * <Tag/>, because CPE parsers that search for "<ParameterKey>" literally
 * exist.  A NULL pointer writes nothing (the element is omitted).
 */
#include "cwmp_int.h"

#include "soapH.h"

void soap_default_cwmp__text(struct soap *soap, char **a)
{
    (void)soap;
    *a = NULL;
}

void soap_serialize_cwmp__text(struct soap *soap, char *const *a)
{
    (void)soap;
    (void)a;
}

const char *soap_cwmp__text2s(struct soap *soap, char *s)
{
    (void)soap;
    return s;
}

int soap_s2cwmp__text(struct soap *soap, const char *s, char **a)
{
    return soap_s2char(soap, s, a, 1, 0, -1, NULL);
}

int soap_out_cwmp__text(struct soap *soap, const char *tag, int id,
                        char *const *a, const char *type)
{
    if (!*a)
        return SOAP_OK;
    if (soap_element_begin_out(soap, tag, id, type) ||
        soap_string_out(soap, *a, 0))
        return soap->error;
    return soap_element_end_out(soap, tag);
}

char **soap_in_cwmp__text(struct soap *soap, const char *tag, char **a,
                          const char *type)
{
    return soap_instring(soap, tag, a, type, SOAP_TYPE_cwmp__text, 1, 0, -1,
                         NULL);
}
