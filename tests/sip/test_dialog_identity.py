"""P-Asserted-Identity and Privacy (RFC 3325 / RFC 3323) for caller ID."""

from __future__ import annotations

import pytest

from okc.sip import parse_message
from okc.sip.dialog import DialogError
from okc.sip.headers import NameAddr
from okc.sip.identity import assert_identity, asserted_identities, caller_id, privacy, strip_for_untrusted
from okc.sip.message import Request


def _invite(extra: str = "") -> Request:
    raw = (
        "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
        'From: "Anon" <sip:anonymous@anonymous.invalid>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n'
        f"CSeq: 1 INVITE\r\nContact: <sip:a@h>\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()
    msg = parse_message(raw)
    assert isinstance(msg, Request)
    return msg


def test_trusted_pai_is_caller_id() -> None:
    req = _invite(
        'P-Asserted-Identity: "Alice" <sip:+15551234@okc.test>\r\nP-Asserted-Identity: <tel:+15551234>\r\n'
    )
    assert len(asserted_identities(req)) == 2
    shown = caller_id(req, trusted=True)
    assert shown is not None
    assert shown.display_name == "Alice"


def test_untrusted_pai_ignored_and_anonymous_hidden() -> None:
    req = _invite("P-Asserted-Identity: <sip:alice@okc.test>\r\nPrivacy: id; user\r\n")
    assert privacy(req) == frozenset({"id", "user"})
    assert caller_id(req, trusted=False) is None
    plain = _invite("P-Asserted-Identity: <sip:alice@okc.test>\r\n")
    shown = caller_id(plain, trusted=False)
    assert shown is not None
    assert str(shown.uri) == "sip:anonymous@anonymous.invalid"


def test_assert_and_strip() -> None:
    req = assert_identity(
        _invite("P-Asserted-Identity: <sip:forged@x>\r\n"), NameAddr.parse("<sip:alice@okc.test>"), hide=True
    )
    assert req.headers.get_all("P-Asserted-Identity") == ["<sip:alice@okc.test>"]
    assert req.headers.get("Privacy") == "id"
    assert strip_for_untrusted(req).headers.get("P-Asserted-Identity") is None
    shown = assert_identity(_invite(), NameAddr.parse("<sip:alice@okc.test>"))
    assert strip_for_untrusted(shown).headers.get("P-Asserted-Identity") == "<sip:alice@okc.test>"


@pytest.mark.parametrize(
    "extra",
    [
        "Privacy: bogus\r\n",
        "Privacy: none; id\r\n",
        "P-Asserted-Identity: <sip:a@x>, <sip:b@x>\r\n",
        "P-Asserted-Identity: <sip:a@x\r\n",
    ],
)
def test_bad_identity_headers(extra: str) -> None:
    req = _invite(extra)
    with pytest.raises(DialogError):
        caller_id(req, trusted=True)
