"""Request and response validation a UAS or proxy applies before acting (RFC 3261 §8.2, §16.3).

`validate_request` raises SipParseError carrying the rejection to send: 400 for malformed or missing
mandatory headers, 416 for an unsupported Request-URI scheme, 420 (with Unsupported) for unknown required
extensions, 415 (with Accept) for bodies we cannot read, 406 when Accept rules out our answer type, 483
when Max-Forwards is exhausted, 505 for another SIP version. `validate_response` says whether a response
may be processed at all (a malformed response is dropped: status None). `answer_unparseable` salvages
the answer to a request whose bytes do not parse at all (a bad Request-Line or Content-Length).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from okc.sip.errors import SipParseError
from okc.sip.headers import ContentType, Headers, NameAddr, canonical_key
from okc.sip.message import Request, Response
from okc.sip.uri import AbsoluteUri

__all__ = ["DEFAULT_ACCEPTED_TYPES", "answer_unparseable", "validate_request", "validate_response"]

DEFAULT_ACCEPTED_TYPES = frozenset(
    {"application/sdp", "multipart/mixed", "message/sipfrag", "application/dtmf-relay", "text/plain"}
)
_SINGLE = ("to", "from", "call-id", "cseq", "max-forwards", "content-type", "expires")
_DATE_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} GMT"
)
_WARNING_RE = re.compile(r'\d{3} \S+ "([^"\\]|\\.)*"')


def _common(msg: Request | Response) -> None:
    """Parse every header the core relies on; any failure is a 400."""
    for key in _SINGLE:
        if msg.headers.count(key) > 1:
            raise SipParseError(f"more than one {key} header")
    for key in ("to", "from", "call-id", "cseq"):
        if key not in msg.headers:
            raise SipParseError(f"missing mandatory {key} header")
    _ = (msg.to, msg.from_, msg.call_id, msg.cseq, msg.top_via, msg.vias, msg.contacts)
    _ = (msg.routes, msg.record_routes, msg.content_type, msg.expires, msg.require, msg.supported)
    _ = msg.proxy_require
    for value in msg.headers.get_all("accept"):
        if value:
            ContentType.parse(value)
    for value in msg.headers.get_all("p-asserted-identity"):
        NameAddr.parse(value)
    date = msg.headers.get("date")
    if date is not None and not _DATE_RE.fullmatch(date):
        raise SipParseError(f"invalid Date (RFC 1123, GMT only): {date!r}")
    for value in msg.headers.get_all("warning"):
        if not _WARNING_RE.fullmatch(value):
            raise SipParseError(f"invalid Warning {value!r}")
    retry = msg.headers.get("retry-after")
    if retry is not None:
        seconds = retry.split(";")[0].split("(")[0].strip()
        if not seconds.isdigit() or len(seconds) > 10:
            raise SipParseError(f"invalid Retry-After {retry!r}")


def validate_request(
    request: Request,
    *,
    supported: Iterable[str] = (),
    accepted_types: Iterable[str] = DEFAULT_ACCEPTED_TYPES,
    answer_type: str = "application/sdp",
) -> None:
    """Raise SipParseError with the status to answer if a UAS must reject request; return if acceptable."""
    if request.version != "SIP/2.0":
        raise SipParseError(f"unsupported version {request.version}", 505)
    _common(request)
    if "max-forwards" in request.headers:
        _ = request.max_forwards
    if request.cseq.method != request.method:
        raise SipParseError(f"CSeq method {request.cseq.method} differs from {request.method}")
    uri = request.uri
    if isinstance(uri, AbsoluteUri):
        raise SipParseError(f"unsupported URI scheme {uri.scheme}", 416)
    if getattr(uri, "headers", ()):
        raise SipParseError("Request-URI carries headers")
    if request.max_forwards == 0:
        raise SipParseError("Max-Forwards exhausted", 483)
    known = set(supported)
    unknown = [tag for tag in (*request.require, *request.proxy_require) if tag not in known]
    if unknown and request.method not in ("ACK", "CANCEL"):
        raise SipParseError(
            f"unsupported extensions {', '.join(unknown)}",
            420,
            extra_headers=(("Unsupported", ", ".join(unknown)),),
        )
    accepted = frozenset(accepted_types)
    ctype = request.content_type
    if request.body and ctype is not None and ctype.mime not in accepted:
        raise SipParseError(
            f"unsupported body type {ctype.mime}",
            415,
            extra_headers=(("Accept", ", ".join(sorted(accepted))),),
        )
    encodings = [e.lower() for e in request.headers.get_all("content-encoding") if e]
    if any(e != "identity" for e in encodings):
        raise SipParseError(
            "unsupported Content-Encoding", 415, extra_headers=(("Accept-Encoding", "identity"),)
        )
    if request.method == "INVITE" and "accept" in request.headers:
        kinds = [ContentType.parse(v).mime for v in request.headers.get_all("accept") if v]
        atype, _, _ = answer_type.partition("/")
        if kinds and not any(k in (answer_type, f"{atype}/*", "*/*") for k in kinds):
            raise SipParseError(f"Accept rules out {answer_type}", 406)


def validate_response(response: Response) -> None:
    """Raise SipParseError (status None: drop it) if response is too malformed to process."""
    try:
        if response.version != "SIP/2.0":
            raise SipParseError(f"unsupported version {response.version}")
        _common(response)
    except SipParseError as exc:
        raise SipParseError(str(exc), None) from None


_ANSWER_COPIES = ("via", "from", "to", "call-id", "cseq")
_UNFOLD_RE = re.compile(r"\r?\n[ \t]+")


def answer_unparseable(data: bytes, error: SipParseError) -> Response | None:
    """The 400 (or error's status) answering a request that `parse_message` rejected, or None.

    RFC 4475 wants a 400 for a request with a broken Request-Line or Content-Length; the header fields a
    response copies (Via, From, To, Call-ID, CSeq) are taken from the raw lines and must each parse, or
    nothing can be addressed and the datagram is only dropped. Responses and ACKs are never answered.
    """
    if error.status is None or data[:4] == b"SIP/" or data[:4] == b"ACK ":
        return None
    end = data.find(b"\r\n\r\n")
    head = (data if end < 0 else data[:end]).decode("utf-8", "replace")
    lines = _UNFOLD_RE.sub(" ", head).replace("\r\n", "\n").split("\n")[1:]
    fields: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        if colon and canonical_key(name.strip()) in _ANSWER_COPIES:
            fields.append((name.strip(), value.strip()))
    fields.append(("Content-Length", "0"))
    try:
        answer = Response(error.status, error.reason or "Bad Request", Headers(fields))
        _ = (answer.vias, answer.from_, answer.to, answer.call_id, answer.cseq)
    except SipParseError:
        return None
    if answer.cseq.method == "ACK" or not answer.vias:
        return None
    return answer
