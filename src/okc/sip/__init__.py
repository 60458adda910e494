"""okc.sip: the SIP protocol core (RFC 3261), sans-I/O.

Messages (`parse_message`, `Request`, `Response`, `response_to`), their header values (`Via`, `NameAddr`,
`CSeq`, `ContentType`, `Headers`), URIs (`SipUri`, `TelUri`, `AbsoluteUri`, `parse_uri`), stream framing
(`StreamFramer`), request validation (`validate_request`) and the errors (`SipParseError` carries the
status a server should answer with), and the transaction layer (`TransactionLayer`, RFC 3261 §17 with
RFC 6026) whose events are RequestReceived, ResponseReceived, StrayResponse, TransactionTimedOut,
TransportFailed, TransactionTerminated and MessageDropped.

Digest authentication (`DigestServer`, `DigestClient`, okc.sip.auth) and SDP offer/answer
(`SessionDescription`, `make_offer`, `answer`, `SdpError` → 488, okc.sip.sdp), and dialogs (`Dialog`,
okc.sip.dialog). Authentication outcomes: AuthAccepted, AuthChallenged (none or stale), AuthFailed. Dialog
events: DialogConfirmed, DialogTerminated, TargetRefreshed, ReInviteReceived (.hold), UpdateReceived,
ByeReceived, OptionsReceived, DtmfReceived (INFO dtmf-relay), RequestReceivedInDialog (REFER, NOTIFY ...);
session timers (okc.sip.session_timer): RefreshDue, SessionExpired; 100rel (okc.sip.prack): PrackTimedOut.
Transfer (okc.sip.refer: ReferTo, Replaces, sipfrag NOTIFY) and caller ID (okc.sip.identity) are helpers.

Registrar and location service (`Registrar`, `LocationService`, okc.sip.registrar; events PhoneRegistered,
PhoneUnregistered), registration toward providers and OPTIONS keep-alive (`OutboundRegistration`,
`KeepAlive`, okc.sip.outbound; events TrunkRegistered, TrunkRegistrationFailed, TrunkUnregistered, PeerUp,
PeerDown), the toll-fraud gate and authentication ban (`RequestGate`, `AuthBan`, okc.sip.security) and
RFC 3263 server location (`ServerLocator`, okc.sip.resolver); `RegistrarServer` puts the registrar and
the gate on the wire as a UserAgent's request filter (okc.sip.registrar_server).

The user agent: `UserAgentCore` (okc.sip.ua, sans-I/O: dialogs joined to transactions, ACK/2xx
retransmission, CANCEL, glare, PRACK, session timers, REFER), its asyncio transports (`SipTransport`,
`TransportOptions`: UDP, TCP, TLS, okc.sip.transport) and the API that drives both (`UserAgent`,
`AgentSettings`, okc.sip.agent). Calls are named by `CallRef`; call events (okc.sip.ua_events): IncomingCall,
CallRinging, CallAnswered, CallEstablished, CallFailed, CallEnded (`EndReason`), CallHeld, CallResumed,
MediaUpdated, CallUpdateFailed, DtmfReceived, TransferRequested, TransferStatus; outside calls:
OptionsReceived, OutOfDialogRequest, ResponseToRequest, RequestFailed, MessageDropped.
"""

from __future__ import annotations

from okc.sip.agent import AgentSettings, UserAgent
from okc.sip.auth import (
    AuthAccepted,
    AuthChallenged,
    AuthError,
    AuthFailed,
    DigestChallenge,
    DigestClient,
    DigestCredentials,
    DigestServer,
)
from okc.sip.dialog import Dialog, DialogError, DialogEvent, DialogId, DialogState
from okc.sip.errors import SipError, SipParseError, SipStateError
from okc.sip.framing import StreamFramer
from okc.sip.headers import COMPACT_FORMS, ContentType, CSeq, Headers, NameAddr, Via
from okc.sip.identity import caller_id
from okc.sip.layer import (
    Address,
    Datagram,
    MessageDropped,
    RequestReceived,
    ResponseReceived,
    StrayResponse,
    TransactionKey,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
    TxEvent,
)
from okc.sip.message import Message, Request, Response, parse_message, response_to
from okc.sip.outbound import (
    KeepAlive,
    OutboundRegistration,
    PeerDown,
    PeerUp,
    TrunkRegistered,
    TrunkRegistrationFailed,
    TrunkUnregistered,
)
from okc.sip.prack import ReliableProvisionals
from okc.sip.refer import ReferTo, Replaces
from okc.sip.registrar import LocationService, PhoneRegistered, PhoneUnregistered, Registrar
from okc.sip.registrar_server import RegistrarServer
from okc.sip.resolver import ServerLocator
from okc.sip.sdp import Direction, LocalMedia, SdpError, SessionDescription, answer, make_offer
from okc.sip.security import AuthBan, RequestGate
from okc.sip.session_timer import SessionExpires, SessionTimer
from okc.sip.timers import Timer, TimerConfig
from okc.sip.transaction import Kind, State, Transaction
from okc.sip.transport import SipTransport, TransportOptions
from okc.sip.ua import CallState, UserAgentCore
from okc.sip.ua_events import CallRef, EndReason, UaEvent
from okc.sip.uri import AbsoluteUri, Params, SipUri, TelUri, Uri, parse_uri, unescape
from okc.sip.validate import DEFAULT_ACCEPTED_TYPES, answer_unparseable, validate_request, validate_response

__all__ = [
    "COMPACT_FORMS",
    "DEFAULT_ACCEPTED_TYPES",
    "AbsoluteUri",
    "Address",
    "AgentSettings",
    "AuthAccepted",
    "AuthBan",
    "AuthChallenged",
    "AuthError",
    "AuthFailed",
    "CSeq",
    "CallRef",
    "CallState",
    "ContentType",
    "Datagram",
    "Dialog",
    "DialogError",
    "DialogEvent",
    "DialogId",
    "DialogState",
    "DigestChallenge",
    "DigestClient",
    "DigestCredentials",
    "DigestServer",
    "Direction",
    "EndReason",
    "Headers",
    "KeepAlive",
    "Kind",
    "LocalMedia",
    "LocationService",
    "Message",
    "MessageDropped",
    "NameAddr",
    "OutboundRegistration",
    "Params",
    "PeerDown",
    "PeerUp",
    "PhoneRegistered",
    "PhoneUnregistered",
    "ReferTo",
    "Registrar",
    "RegistrarServer",
    "ReliableProvisionals",
    "Replaces",
    "Request",
    "RequestGate",
    "RequestReceived",
    "Response",
    "ResponseReceived",
    "SdpError",
    "ServerLocator",
    "SessionDescription",
    "SessionExpires",
    "SessionTimer",
    "SipError",
    "SipParseError",
    "SipStateError",
    "SipTransport",
    "SipUri",
    "State",
    "StrayResponse",
    "StreamFramer",
    "TelUri",
    "Timer",
    "TimerConfig",
    "Transaction",
    "TransactionKey",
    "TransactionLayer",
    "TransactionTerminated",
    "TransactionTimedOut",
    "TransportFailed",
    "TransportOptions",
    "TrunkRegistered",
    "TrunkRegistrationFailed",
    "TrunkUnregistered",
    "TxEvent",
    "UaEvent",
    "Uri",
    "UserAgent",
    "UserAgentCore",
    "Via",
    "answer",
    "answer_unparseable",
    "caller_id",
    "make_offer",
    "parse_message",
    "parse_uri",
    "response_to",
    "unescape",
    "validate_request",
    "validate_response",
]
