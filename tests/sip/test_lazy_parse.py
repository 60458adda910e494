"""What parse_message checks at once, what waits for first access; fast-path values equal plain ones."""

from __future__ import annotations

import pytest

from okc.sip import (
    CSeq,
    NameAddr,
    Request,
    Response,
    SipParseError,
    SipUri,
    Via,
    parse_message,
    parse_uri,
    validate_request,
)
from okc.sip.uri import Params


def _invite(*extra: bytes, via2: bytes = b"SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2") -> bytes:
    return b"\r\n".join(
        [
            b"INVITE sip:bob@example.com SIP/2.0",
            b"Via: SIP/2.0/UDP pc.example.com:5060;branch=z9hG4bK1;rport",
            b"Via: " + via2,
            b"Max-Forwards: 70",
            b'From: "Alice" <sip:alice@example.com>;tag=a1',
            b"To: <sip:bob@example.com>",
            b"Call-ID: c1@pc.example.com",
            b"CSeq: 1 INVITE",
            *extra,
            b"Content-Length: 0",
            b"",
            b"",
        ]
    )


def test_malformed_contact_surfaces_on_access_and_in_validation() -> None:
    msg = parse_message(_invite(b"Contact: <sip:alice@pc.example.com"))
    assert isinstance(msg, Request)
    assert msg.call_id == "c1@pc.example.com"
    with pytest.raises(SipParseError) as info:
        _ = msg.contacts
    assert info.value.status == 400
    with pytest.raises(SipParseError) as info:
        validate_request(msg)
    assert info.value.status == 400


def test_top_via_parses_only_the_first_element() -> None:
    msg = parse_message(_invite(via2=b"SIP/2.0/UDP bad host"))
    assert msg.top_via.branch == "z9hG4bK1"
    with pytest.raises(SipParseError):
        _ = msg.vias


def test_typed_values_are_parsed_once() -> None:
    msg = parse_message(_invite())
    assert msg.from_ is msg.from_
    assert msg.top_via is msg.top_via
    assert msg.cseq is msg.cseq


@pytest.mark.parametrize(
    "line",
    [b"Bad Header: x", b"NoColon", b"X\x00: y", b": no-name"],
)
def test_header_line_syntax_is_checked_at_parse_time(line: bytes) -> None:
    data = _invite().replace(b"Max-Forwards: 70", line)
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    assert info.value.status == 400


def test_fast_path_values_equal_constructed_ones() -> None:
    msg = parse_message(_invite(b"Contact: <sip:alice@pc.example.com;transport=udp>"))
    alice = NameAddr(SipUri("example.com", "alice"), "Alice", Params((("tag", "a1"),)))
    assert msg.from_ == alice
    assert hash(msg.from_) == hash(alice)
    assert repr(msg.from_) == repr(alice)
    assert msg.to == NameAddr(SipUri("example.com", "bob"))
    assert msg.contacts == (
        NameAddr(SipUri("pc.example.com", "alice", params=Params((("transport", "udp"),)))),
    )
    via = Via("UDP", "pc.example.com", 5060, Params((("branch", "z9hG4bK1"), ("rport", None))))
    assert msg.top_via == via
    assert msg.cseq == CSeq(1, "INVITE")
    assert isinstance(msg, Request)
    assert msg.uri == SipUri("example.com", "bob")
    assert parse_uri("sips:a:pw@h.example.com:5061;lr") == SipUri(
        "h.example.com", "a", "pw", 5061, Params((("lr", None),)), scheme="sips"
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("sip:h:65535", True),
        ("sip:h:65536", False),
        ("sip:a@b@h", False),
        ("sip:h;=x", True),
        ("sip:h;a=", False),
        ("sip:%41@h", True),
        ("sip:%4@h", False),
    ],
)
def test_uri_edges_decided_by_the_general_parser(text: str, ok: bool) -> None:
    if ok:
        assert str(parse_uri(text)) == text
    else:
        with pytest.raises(SipParseError):
            parse_uri(text)


def test_parsed_response_equals_constructed_one() -> None:
    head = b"Via: SIP/2.0/UDP pc.example.com;branch=z9hG4bK1\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"
    msg = parse_message(b"SIP/2.0 180 Ringing\r\n" + head)
    assert msg == Response(180, "Ringing", msg.headers)
    assert parse_message(b"SIP/2.0 200 \r\n" + head) == Response(200, "", msg.headers)
    for bad in (
        b"SIP/2.0 099 Low\r\n",
        b"SIP/2.0 700 High\r\n",
        b"SIP/2.0 200 O\rK\r\n",
        b"SIP/3 200 OK\r\n",
    ):
        with pytest.raises(SipParseError) as info:
            parse_message(bad + head)
        assert info.value.status is None
