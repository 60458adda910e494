"""Caller identity (RFC 3325): P-Asserted-Identity and Privacy inside a trust domain.

okc asserts the caller's identity with `assert_identity`; when a request leaves the trust domain,
`strip_for_untrusted` removes P-Asserted-Identity if the caller asked for Privacy: id. `caller_id` picks
what to show an agent: the asserted identity when the sender is trusted, else the From header.
"""

from __future__ import annotations

from okc.sip.dialog import DialogError
from okc.sip.errors import SipParseError
from okc.sip.headers import NameAddr
from okc.sip.message import Request

__all__ = [
    "PRIVACY_VALUES",
    "assert_identity",
    "asserted_identities",
    "caller_id",
    "privacy",
    "strip_for_untrusted",
]

PRIVACY_VALUES = frozenset({"header", "session", "user", "none", "critical", "id", "history"})


def asserted_identities(request: Request) -> tuple[NameAddr, ...]:
    """The P-Asserted-Identity values (at most one SIP/SIPS and one tel URI, RFC 3325 §9.1)."""
    try:
        values = tuple(NameAddr.parse(v) for v in request.headers.get_all("P-Asserted-Identity"))
    except SipParseError as exc:
        raise DialogError(f"invalid P-Asserted-Identity: {exc}", 400) from None
    schemes = [str(v.uri).split(":", 1)[0].lower() for v in values]
    sip_like = sum(s in ("sip", "sips") for s in schemes)
    if len(values) > 2 or sip_like > 1 or schemes.count("tel") > 1:
        raise DialogError("too many P-Asserted-Identity values", 400)
    return values


def privacy(request: Request) -> frozenset[str]:
    """The Privacy header's values (RFC 3323), lower case; unknown values raise DialogError(400)."""
    values: set[str] = set()
    for line in request.headers.get_all("Privacy"):
        for item in line.split(";"):
            value = item.strip().lower()
            if value:
                values.add(value)
    unknown = values - PRIVACY_VALUES
    if unknown:
        raise DialogError(f"unknown Privacy values {sorted(unknown)}", 400)
    if "none" in values and len(values) > 1:
        raise DialogError("Privacy: none cannot be combined", 400)
    return frozenset(values)


def assert_identity(request: Request, identity: NameAddr, *, hide: bool = False) -> Request:
    """The request with okc's P-Asserted-Identity (replacing any) and, when `hide`, Privacy: id."""
    headers = request.headers.without("P-Asserted-Identity").with_added("P-Asserted-Identity", str(identity))
    if hide:
        headers = headers.with_replaced("Privacy", "id")
    return request.replace(headers=headers)


def strip_for_untrusted(request: Request) -> Request:
    """The request as sent outside the trust domain: PAI removed when Privacy asks for id."""
    if "id" in privacy(request):
        return request.replace(headers=request.headers.without("P-Asserted-Identity"))
    return request


def caller_id(request: Request, *, trusted: bool) -> NameAddr | None:
    """Who is calling, for display: the asserted identity from a trusted peer, else the From header.

    None when the caller asked for anonymity (Privacy: id/user/header from an untrusted peer's From).
    """
    if trusted:
        identities = asserted_identities(request)
        if identities:
            return identities[0]
    if privacy(request) & {"user", "header"}:
        return None
    return request.from_
