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
 *    unqualified children.  So every leaf is a plain char * (gSOAP checks
 *    no xsi:type on strings) and codec.c converts numbers and booleans
 *    itself.
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


typedef char *xsd__string;

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
    char *__item;
};

struct cwmp__ParameterValueStruct {
    char *Name;
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
    char **string;
};

struct cwmp__DeviceIdStruct {
    char *Manufacturer;
    char *OUI;
    char *ProductClass;
    char *SerialNumber;
};

struct cwmp__EventStruct {
    char *EventCode;
    char *CommandKey;
};

struct cwmp__EventList {
    @char *SOAP_ENC__arrayType;
    int __sizeEventStruct;
    struct cwmp__EventStruct *EventStruct;
};

struct cwmp__ParameterInfoStruct {
    char *Name;
    char *Writable;
};

struct cwmp__ParameterInfoList {
    @char *SOAP_ENC__arrayType;
    int __sizeParameterInfoStruct;
    struct cwmp__ParameterInfoStruct *ParameterInfoStruct;
};

struct cwmp__SetParameterAttributesStruct {
    char *Name;
    char *NotificationChange;
    char *Notification;
    char *AccessListChange;
    struct cwmp__StringList *AccessList;
};

struct cwmp__SetParameterAttributesList {
    @char *SOAP_ENC__arrayType;
    int __sizeSetParameterAttributesStruct;
    struct cwmp__SetParameterAttributesStruct *SetParameterAttributesStruct;
};

struct cwmp__ParameterAttributeStruct {
    char *Name;
    char *Notification;
    struct cwmp__StringList *AccessList;
};

struct cwmp__ParameterAttributeList {
    @char *SOAP_ENC__arrayType;
    int __sizeParameterAttributeStruct;
    struct cwmp__ParameterAttributeStruct *ParameterAttributeStruct;
};

struct cwmp__TimeWindowStruct {
    char *WindowStart;
    char *WindowEnd;
    char *WindowMode;
    char *UserMessage;
    char *MaxRetries;
};

struct cwmp__TimeWindowList {
    @char *SOAP_ENC__arrayType;
    int __sizeTimeWindowStruct;
    struct cwmp__TimeWindowStruct *TimeWindowStruct;
};

/* TransferCompleteFaultStruct and DeploymentUnitFaultStruct. */
struct cwmp__FaultStruct {
    char *FaultCode;
    char *FaultString;
};

struct cwmp__ArgStruct {
    char *Name;
    char *Value;
};

struct cwmp__ArgList {
    @char *SOAP_ENC__arrayType;
    int __sizeArgStruct;
    struct cwmp__ArgStruct *ArgStruct;
};

/* Install/Update/UninstallOpStruct in one (xsi:type tells which). */
struct cwmp__OperationStruct {
    @_QName xsi__type;
    char *URL;
    char *UUID;
    char *Username;
    char *Password;
    char *ExecutionEnvRef;
    char *Version;
};

/* Output only: the three operation types in XSD member order. */
struct cwmp__InstallOpStruct {
    @_QName xsi__type;
    char *URL;
    char *UUID;
    char *Username;
    char *Password;
    char *ExecutionEnvRef;
};

struct cwmp__UpdateOpStruct {
    @_QName xsi__type;
    char *UUID;
    char *Version;
    char *URL;
    char *Username;
    char *Password;
};

struct cwmp__UninstallOpStruct {
    @_QName xsi__type;
    char *UUID;
    char *Version;
    char *ExecutionEnvRef;
};

/* OpResultStruct and AutonOpResultStruct in one. */
struct cwmp__OpResultStruct {
    char *UUID;
    char *DeploymentUnitRef;
    char *Version;
    char *CurrentState;
    char *Resolved;
    char *ExecutionUnitRefList;
    char *StartTime;
    char *CompleteTime;
    struct cwmp__FaultStruct *Fault;
    char *OperationPerformed;
};

/* ------------------------------------------------------------------ */
/* Fault                                                               */
/* ------------------------------------------------------------------ */

struct cwmp__SetParameterValuesFault {
    char *ParameterName;
    char *FaultCode;
    char *FaultString;
};

struct cwmp__Fault {
    char *FaultCode;
    char *FaultString;
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
    char *ParameterKey;
};

/* SetParameterValuesResponse, DeleteObjectResponse. */
struct cwmp__StatusResponse {
    char *Status;
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
    char *ParameterPath;
    char *NextLevel;
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
    char *ObjectName;
    char *ParameterKey;
};

struct cwmp__AddObjectResponse {
    char *InstanceNumber;
    char *Status;
};

/* Reboot, CancelTransfer. */
struct cwmp__CommandKeyOnly {
    char *CommandKey;
};

struct cwmp__Download {
    char *CommandKey;
    char *FileType;
    char *URL;
    char *Username;
    char *Password;
    char *FileSize;
    char *TargetFileName;
    char *DelaySeconds;
    char *SuccessURL;
    char *FailureURL;
};

/* DownloadResponse, UploadResponse. */
struct cwmp__TransferResponse {
    char *Status;
    char *StartTime;
    char *CompleteTime;
};

struct cwmp__Upload {
    char *CommandKey;
    char *FileType;
    char *URL;
    char *Username;
    char *Password;
    char *DelaySeconds;
};

struct cwmp__ScheduleInform {
    char *DelaySeconds;
    char *CommandKey;
};

struct cwmp__ScheduleDownload {
    char *CommandKey;
    char *FileType;
    char *URL;
    char *Username;
    char *Password;
    char *FileSize;
    char *TargetFileName;
    struct cwmp__TimeWindowList *TimeWindowList;
};

struct cwmp__ChangeDUState {
    int __sizeOperations;
    struct cwmp__OperationStruct *Operations;
    char *CommandKey;
};

struct cwmp__Inform {
    struct cwmp__DeviceIdStruct *DeviceId;
    struct cwmp__EventList *Event;
    char *MaxEnvelopes;
    char *CurrentTime;
    char *RetryCount;
    struct cwmp__ParameterValueList *ParameterList;
};

struct cwmp__InformResponse {
    char *MaxEnvelopes;
};

struct cwmp__TransferComplete {
    char *CommandKey;
    struct cwmp__FaultStruct *FaultStruct;
    char *StartTime;
    char *CompleteTime;
};

struct cwmp__AutonomousTransferComplete {
    char *AnnounceURL;
    char *TransferURL;
    char *IsDownload;
    char *FileType;
    char *FileSize;
    char *TargetFileName;
    struct cwmp__FaultStruct *FaultStruct;
    char *StartTime;
    char *CompleteTime;
};

/* DUStateChangeComplete, AutonomousDUStateChangeComplete. */
struct cwmp__DUStateChangeComplete {
    int __sizeResults;
    struct cwmp__OpResultStruct *Results;
    char *CommandKey;
};

struct cwmp__RequestDownload {
    char *FileType;
    struct cwmp__ArgList *FileTypeArg;
};

struct cwmp__Kicked {
    char *Command;
    char *Referer;
    char *Arg;
    char *Next;
};

struct cwmp__KickedResponse {
    char *NextURL;
};
