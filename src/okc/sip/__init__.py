"""okc.sip: the SIP protocol core (RFC 3261), sans-I/O.

Messages (`parse_message`, `Request`, `Response`, `response_to`), their header values (`Via`, `NameAddr`,
`CSeq`, `ContentType`, `Headers`), URIs (`SipUri`, `TelUri`, `AbsoluteUri`, `parse_uri`), stream framing
(`StreamFramer`), request validation (`validate_request`) and the errors (`SipParseError` carries the
status a server should answer with).
"""

from __future__ import annotations

from okc.sip.errors import SipError, SipParseError, SipStateError
from okc.sip.framing import StreamFramer
from okc.sip.headers import COMPACT_FORMS, ContentType, CSeq, Headers, NameAddr, Via
from okc.sip.message import Message, Request, Response, parse_message, response_to
from okc.sip.uri import AbsoluteUri, Params, SipUri, TelUri, Uri, parse_uri, unescape
from okc.sip.validate import DEFAULT_ACCEPTED_TYPES, validate_request, validate_response

__all__ = [
    "COMPACT_FORMS",
    "DEFAULT_ACCEPTED_TYPES",
    "AbsoluteUri",
    "CSeq",
    "ContentType",
    "Headers",
    "Message",
    "NameAddr",
    "Params",
    "Request",
    "Response",
    "SipError",
    "SipParseError",
    "SipStateError",
    "SipUri",
    "StreamFramer",
    "TelUri",
    "Uri",
    "Via",
    "parse_message",
    "parse_uri",
    "response_to",
    "unescape",
    "validate_request",
    "validate_response",
]
