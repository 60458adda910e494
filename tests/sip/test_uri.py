"""SIP, SIPS, tel and other URIs."""

from __future__ import annotations

import pytest

from okc.sip import AbsoluteUri, Params, SipParseError, SipUri, TelUri, parse_uri, unescape


def test_full_sip_uri() -> None:
    uri = parse_uri("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&priority=urgent")
    assert isinstance(uri, SipUri)
    assert uri.scheme == "sips"
    assert (uri.user, uri.password, uri.host, uri.port) == ("alice", "secret", "[2001:db8::1]", 5061)
    assert uri.transport == "tcp"
    assert uri.lr
    assert uri.headers == (("subject", "hi"), ("priority", "urgent"))
    assert parse_uri(str(uri)) == uri
    assert uri.without_headers().headers == ()


def test_escapes_kept_and_decoded() -> None:
    uri = parse_uri("sip:sips%3Auser%40example.com@example.net")
    assert isinstance(uri, SipUri)
    assert uri.user == "sips%3Auser%40example.com"
    assert unescape(uri.user) == "sips:user@example.com"
    assert str(uri) == "sip:sips%3Auser%40example.com@example.net"


def test_tel_and_absolute() -> None:
    tel = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert isinstance(tel, TelUri)
    assert tel.number == "+1-201-555-0123"
    assert tel.params.get("phone-context") == "example.com"
    other = parse_uri("mailto:alice@example.com")
    assert other == AbsoluteUri("mailto", "alice@example.com")
    assert str(other) == "mailto:alice@example.com"


@pytest.mark.parametrize(
    "text",
    [
        "sip:",
        "sip:@example.com",
        "sip:a@",
        "sip:a@host:",
        "sip:a@host:70000",
        "sip:a@[2001:db8:::1]",
        "sip:a@[2001:db8::1",
        "sip:a b@example.com",
        "sip:a@exa mple.com",
        "sip:a@example.com;;lr",
        "sip:a%zz@example.com",
        "sip:a@example.com?x",
        "nocolon",
        "1x:abc",
        "tel:",
    ],
)
def test_invalid_uris(text: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_uri(text)
    assert info.value.status == 400


def test_params_case_insensitive_and_editing() -> None:
    params = Params((("Transport", "UDP"), ("lr", None)))
    assert params.get("transport") == "UDP"
    assert "LR" in params
    assert str(params.with_param("transport", "tcp")) == ";Transport=tcp;lr"
    assert str(params.without("lr")) == ";Transport=UDP"
    assert str(params.with_param("maddr", "x")) == ";Transport=UDP;lr;maddr=x"
