/*
 * gSOAP interface header for CWMP (TR-069 Amendment 6, cwmp-1-0 .. cwmp-1-4
 * namespaces; element names and order from BroadbandForum cwmp-1-2.xsd, which
 * cwmp-1-3.xsd / cwmp-1-4.xsd extend).  Input to soapcpp2 -c, NOT a C header:
 * only the generated serializers (gen/soapC.c) are compiled, and only
 * cwmp/src/codec*.c includes gen/soapH.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later WITH openvpn-openssl-exception
 *
 * DESIGN
 *  - Tolerance first.  Real CPEs send xsi:type on anything (or nothing),
 *    "true"/"1"/" 1 ", arrayType counts that do not match, qualified or
 *    unqualified children.  So every leaf is text (cwmp__text, a char *;
 *    gSOAP checks no xsi:type on strings) and codec_dec.c converts numbers
 *    and booleans itself.
 *  - Arrays are literal repeated elements (int __sizeX; T *X;) inside a
 *    wrapper struct that carries SOAP-ENC:arrayType as a plain attribute:
 *    on input the count in arrayType is ignored (the elements are counted,
 *    bounded by soap->maxoccurs, so "[99999999]" allocates nothing); on
 *    output codec.c writes "cwmp:ParameterValueStruct[N]" with the real N.
 *  - Values keep their xsi:type: struct cwmp__AnyValue { @_QName xsi__type;
 *    char *__item; } round-trips text and type, vendor types included.
 *  - ChangeDUState Operations are polymorphic in the XSD (xsi:type
 *    cwmp:InstallOpStruct / UpdateOpStruct / UninstallOpStruct): one struct
 *    with all optional members plus the xsi:type attribute.
 *  - The type names below only matter for gSOAP; codec.c sets
 *    SOAP_XML_NOTYPE so none of them is ever written as xsi:type.
 */

//gsoap cwmp schema namespace: urn:dslforum-org:cwmp-1-0
//gsoap cwmp schema elementForm: unqualified
//gsoap cwmp schema attributeForm: unqualified


/* Every text leaf: a char * with our own serializer (codec_text.c), which
 * writes an empty string as <Tag></Tag> instead of gSOAP's <Tag/>: some CPE
 * parsers look for the start tag literally. */
extern typedef char *cwmp__text;

/* ------------------------------------------------------------------ */
/* SOAP Header                                                         */
/* ------------------------------------------------------------------ */

/* The ignored members come first: gSOAP sets soap->mustUnderstand before
 * a mustUnderstand member and only clears it when something is written, so
 * a NULL HoldRequests must not hand the flag to a member after it (codec.c
 * also clears it after the header). */
struct SOAP_ENV__Header {
    char *cwmp__NoMoreRequests;           /* cwmp-1-0 only, ignored */
    char *cwmp__SessionTimeout;           /* TR-069a5, ignored */
    char *cwmp__SupportedCWMPVersions;    /* TR-069a5, ignored */
    char *cwmp__UseCWMPVersion;           /* TR-069a5, ignored */
    mustUnderstand char *cwmp__ID;
    mustUnderstand char *cwmp__HoldRequests;
};

/* ------------------------------------------------------------------ */
/* Common types                                                        */
/* ------------------------------------------------------------------ */

struct cwmp__AnyValue {
    @_QName xsi__type;
    cwmp__text __item;
};

struct cwmp__ParameterValueStruct {
    cwmp__text Name;
    struct cwmp__AnyValue Value;
};

struct cwmp__ParameterValueList {
    @char *SOAP_ENC__arrayType;
    int __sizeParameterValueStruct;
    struct cwmp__ParameterValueStruct *ParameterValueStruct;
};

/* ParameterNames, MethodList, AccessList: <string> items. */
struct cwmp__StringList {
    @char *SOAP_ENC__arrayType;
    int __sizestring;
    cwmp__text *string;
};

struct cwmp__DeviceIdStruct {
    cwmp__text Manufacturer;
    cwmp__text OUI;
    cwmp__text ProductClass;
    cwmp__text SerialNumber;
};

struct cwmp__EventStruct {
    cwmp__text EventCode;
    cwmp__text CommandKey;
};

struct cwmp__EventList {
    @char *SOAP_ENC__arrayType;
    int __sizeEventStruct;
    struct cwmp__EventStruct *EventStruct;
};

struct cwmp__ParameterInfoStruct {
    cwmp__text Name;
    cwmp__text Writable;
};

struct cwmp__ParameterInfoList {
    @char *SOAP_ENC__arrayType;
    int __sizeParameterInfoStruct;
    struct cwmp__ParameterInfoStruct *ParameterInfoStruct;
};

struct cwmp__SetParameterAttributesStruct {
    cwmp__text Name;
    cwmp__text NotificationChange;
    cwmp__text Notification;
    cwmp__text AccessListChange;
    struct cwmp__StringList *AccessList;
};

struct cwmp__SetParameterAttributesList {
    @char *SOAP_ENC__arrayType;
    int __sizeSetParameterAttributesStruct;
    struct cwmp__SetParameterAttributesStruct *SetParameterAttributesStruct;
};

struct cwmp__ParameterAttributeStruct {
    cwmp__text Name;
    cwmp__text Notification;
    struct cwmp__StringList *AccessList;
};

struct cwmp__ParameterAttributeList {
    @char *SOAP_ENC__arrayType;
    int __sizeParameterAttributeStruct;
    struct cwmp__ParameterAttributeStruct *ParameterAttributeStruct;
};

struct cwmp__TimeWindowStruct {
    cwmp__text WindowStart;
    cwmp__text WindowEnd;
    cwmp__text WindowMode;
    cwmp__text UserMessage;
    cwmp__text MaxRetries;
};

struct cwmp__TimeWindowList {
    @char *SOAP_ENC__arrayType;
    int __sizeTimeWindowStruct;
    struct cwmp__TimeWindowStruct *TimeWindowStruct;
};

/* TransferCompleteFaultStruct and DeploymentUnitFaultStruct. */
struct cwmp__FaultStruct {
    cwmp__text FaultCode;
    cwmp__text FaultString;
};

struct cwmp__ArgStruct {
    cwmp__text Name;
    cwmp__text Value;
};

struct cwmp__ArgList {
    @char *SOAP_ENC__arrayType;
    int __sizeArgStruct;
    struct cwmp__ArgStruct *ArgStruct;
};

/* Install/Update/UninstallOpStruct in one (xsi:type tells which). */
struct cwmp__OperationStruct {
    @_QName xsi__type;
    cwmp__text URL;
    cwmp__text UUID;
    cwmp__text Username;
    cwmp__text Password;
    cwmp__text ExecutionEnvRef;
    cwmp__text Version;
};

/* Output only: the three operation types in XSD member order. */
struct cwmp__InstallOpStruct {
    @_QName xsi__type;
    cwmp__text URL;
    cwmp__text UUID;
    cwmp__text Username;
    cwmp__text Password;
    cwmp__text ExecutionEnvRef;
};

struct cwmp__UpdateOpStruct {
    @_QName xsi__type;
    cwmp__text UUID;
    cwmp__text Version;
    cwmp__text URL;
    cwmp__text Username;
    cwmp__text Password;
};

struct cwmp__UninstallOpStruct {
    @_QName xsi__type;
    cwmp__text UUID;
    cwmp__text Version;
    cwmp__text ExecutionEnvRef;
};

/* OpResultStruct and AutonOpResultStruct in one. */
struct cwmp__OpResultStruct {
    cwmp__text UUID;
    cwmp__text DeploymentUnitRef;
    cwmp__text Version;
    cwmp__text CurrentState;
    cwmp__text Resolved;
    cwmp__text ExecutionUnitRefList;
    cwmp__text StartTime;
    cwmp__text CompleteTime;
    struct cwmp__FaultStruct *Fault;
    cwmp__text OperationPerformed;
};

/* ------------------------------------------------------------------ */
/* Fault                                                               */
/* ------------------------------------------------------------------ */

struct cwmp__SetParameterValuesFault {
    cwmp__text ParameterName;
    cwmp__text FaultCode;
    cwmp__text FaultString;
};

struct cwmp__Fault {
    cwmp__text FaultCode;
    cwmp__text FaultString;
    int __sizeSetParameterValuesFault;
    struct cwmp__SetParameterValuesFault *SetParameterValuesFault;
};

struct SOAP_ENV__Detail {
    struct cwmp__Fault *cwmp__Fault;
};

/* SOAP 1.1 Fault; gSOAP insists on the SOAP 1.2 members too (never set). */
struct SOAP_ENV__Code {
    _QName SOAP_ENV__Value;
    struct SOAP_ENV__Code *SOAP_ENV__Subcode;
};
struct SOAP_ENV__Reason {
    char *SOAP_ENV__Text;
};
struct SOAP_ENV__Fault {
    _QName faultcode;
    char *faultstring;
    char *faultactor;
    struct SOAP_ENV__Detail *detail;
    struct SOAP_ENV__Code *SOAP_ENV__Code;
    struct SOAP_ENV__Reason *SOAP_ENV__Reason;
    char *SOAP_ENV__Node;
    char *SOAP_ENV__Role;
    struct SOAP_ENV__Detail *SOAP_ENV__Detail;
};

/* ------------------------------------------------------------------ */
/* RPC bodies (one struct may serve several element names)            */
/* ------------------------------------------------------------------ */

/* GetRPCMethods, *Response without content, FactoryReset, ... */
struct cwmp__Empty {
};

struct cwmp__GetRPCMethodsResponse {
    struct cwmp__StringList *MethodList;
};

struct cwmp__SetParameterValues {
    struct cwmp__ParameterValueList *ParameterList;
    cwmp__text ParameterKey;
};

/* SetParameterValuesResponse, DeleteObjectResponse. */
struct cwmp__StatusResponse {
    cwmp__text Status;
};

/* GetParameterValues, GetParameterAttributes. */
struct cwmp__GetParameterValues {
    struct cwmp__StringList *ParameterNames;
};

/* GetParameterValuesResponse. */
struct cwmp__GetParameterValuesResponse {
    struct cwmp__ParameterValueList *ParameterList;
};

struct cwmp__GetParameterNames {
    cwmp__text ParameterPath;
    cwmp__text NextLevel;
};

struct cwmp__GetParameterNamesResponse {
    struct cwmp__ParameterInfoList *ParameterList;
};

struct cwmp__SetParameterAttributes {
    struct cwmp__SetParameterAttributesList *ParameterList;
};

struct cwmp__GetParameterAttributesResponse {
    struct cwmp__ParameterAttributeList *ParameterList;
};

/* AddObject, DeleteObject. */
struct cwmp__AddObject {
    cwmp__text ObjectName;
    cwmp__text ParameterKey;
};

struct cwmp__AddObjectResponse {
    cwmp__text InstanceNumber;
    cwmp__text Status;
};

/* Reboot, CancelTransfer. */
struct cwmp__CommandKeyOnly {
    cwmp__text CommandKey;
};

struct cwmp__Download {
    cwmp__text CommandKey;
    cwmp__text FileType;
    cwmp__text URL;
    cwmp__text Username;
    cwmp__text Password;
    cwmp__text FileSize;
    cwmp__text TargetFileName;
    cwmp__text DelaySeconds;
    cwmp__text SuccessURL;
    cwmp__text FailureURL;
};

/* DownloadResponse, UploadResponse. */
struct cwmp__TransferResponse {
    cwmp__text Status;
    cwmp__text StartTime;
    cwmp__text CompleteTime;
};

struct cwmp__Upload {
    cwmp__text CommandKey;
    cwmp__text FileType;
    cwmp__text URL;
    cwmp__text Username;
    cwmp__text Password;
    cwmp__text DelaySeconds;
};

struct cwmp__ScheduleInform {
    cwmp__text DelaySeconds;
    cwmp__text CommandKey;
};

struct cwmp__ScheduleDownload {
    cwmp__text CommandKey;
    cwmp__text FileType;
    cwmp__text URL;
    cwmp__text Username;
    cwmp__text Password;
    cwmp__text FileSize;
    cwmp__text TargetFileName;
    struct cwmp__TimeWindowList *TimeWindowList;
};

struct cwmp__ChangeDUState {
    int __sizeOperations;
    struct cwmp__OperationStruct *Operations;
    cwmp__text CommandKey;
};

struct cwmp__Inform {
    struct cwmp__DeviceIdStruct *DeviceId;
    struct cwmp__EventList *Event;
    cwmp__text MaxEnvelopes;
    cwmp__text CurrentTime;
    cwmp__text RetryCount;
    struct cwmp__ParameterValueList *ParameterList;
};

struct cwmp__InformResponse {
    cwmp__text MaxEnvelopes;
};

struct cwmp__TransferComplete {
    cwmp__text CommandKey;
    struct cwmp__FaultStruct *FaultStruct;
    cwmp__text StartTime;
    cwmp__text CompleteTime;
};

struct cwmp__AutonomousTransferComplete {
    cwmp__text AnnounceURL;
    cwmp__text TransferURL;
    cwmp__text IsDownload;
    cwmp__text FileType;
    cwmp__text FileSize;
    cwmp__text TargetFileName;
    struct cwmp__FaultStruct *FaultStruct;
    cwmp__text StartTime;
    cwmp__text CompleteTime;
};

/* DUStateChangeComplete, AutonomousDUStateChangeComplete. */
struct cwmp__DUStateChangeComplete {
    int __sizeResults;
    struct cwmp__OpResultStruct *Results;
    cwmp__text CommandKey;
};

struct cwmp__RequestDownload {
    cwmp__text FileType;
    struct cwmp__ArgList *FileTypeArg;
};

struct cwmp__Kicked {
    cwmp__text Command;
    cwmp__text Referer;
    cwmp__text Arg;
    cwmp__text Next;
};

struct cwmp__KickedResponse {
    cwmp__text NextURL;
};
