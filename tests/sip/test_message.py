"""Message parsing, serialisation, typed accessors, building, responses and stream framing."""

from __future__ import annotations

import pytest

from okc.sip import (
    CSeq,
    Headers,
    NameAddr,
    Request,
    Response,
    SipParseError,
    SipUri,
    StreamFramer,
    Via,
    parse_message,
    parse_uri,
    response_to,
    validate_request,
)

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice A." <sip:alice@example.org>;tag=1928301774\r\n'
    b"To: Bob <sip:bob@example.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33.example.org\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.1:5060>;expires=3600;q=0.5\r\n"
    b"Supported: 100rel, timer\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)


def test_parse_request_fields() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    assert msg.method == "INVITE"
    assert msg.uri == SipUri("example.com", user="bob")
    assert msg.top_via.branch == "z9hG4bK776asdhds"
    assert msg.top_via.rport_requested
    assert msg.top_via.rport is None
    assert msg.top_via.sent_by == ("192.0.2.1", 5060)
    assert msg.from_.tag == "1928301774"
    assert msg.from_.display_name == "Alice A."
    assert msg.to.tag is None
    assert msg.to.display_name == "Bob"
    assert msg.call_id == "a84b4c76e66710@pc33.example.org"
    assert msg.cseq == CSeq(314159, "INVITE")
    assert msg.contacts[0].expires == 3600
    assert msg.contacts[0].q == 0.5
    assert msg.supported == ("100rel", "timer")
    assert msg.content_type is not None
    assert msg.content_type.mime == "application/sdp"
    assert msg.content_length == 4
    assert msg.body == b"v=0\n"
    validate_request(msg)


def test_compact_forms_and_case_insensitive_names() -> None:
    data = (
        b"OPTIONS sip:x@example.com SIP/2.0\r\n"
        b"v: SIP/2.0/TCP h.example.com;branch=z9hG4bKa\r\n"
        b"f: <sip:a@example.com>;tag=1\r\nt: <sip:x@example.com>\r\n"
        b"i: abc\r\nCSEQ: 1 OPTIONS\r\nk: path\r\nm: *\r\nl: 0\r\n\r\n"
    )
    msg = parse_message(data)
    assert msg.headers.get("Call-ID") == "abc"
    assert msg.headers.get("CALL-id") == "abc"
    assert "supported" in msg.headers
    assert msg.contact_is_star
    assert msg.contacts == ()
    assert msg.top_via.transport == "TCP"


def test_folding_and_multiple_values() -> None:
    data = (
        b"SIP/2.0 200 OK\r\n"
        b"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,\r\n  SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\n"
        b"Via: SIP/2.0/UDP c.example.com:5070;branch=z9hG4bK3;received=192.0.2.9\r\n"
        b'Record-Route: <sip:p1.example.com;lr>, "a,b" <sip:p2.example.com;lr>\r\n'
        b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
        b"Call-ID: x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    msg = parse_message(data)
    assert isinstance(msg, Response)
    assert [v.host for v in msg.vias] == ["a.example.com", "b.example.com", "c.example.com"]
    assert msg.vias[2].port == 5070
    assert msg.vias[2].received == "192.0.2.9"
    assert [r.display_name for r in msg.record_routes] == [None, "a,b"]
    assert all(isinstance(r.uri, SipUri) and r.uri.lr for r in msg.record_routes)


def test_missing_content_length_takes_rest_of_datagram() -> None:
    data = INVITE.replace(b"Content-Length: 4\r\n", b"") + b"more"
    msg = parse_message(data)
    assert msg.body == b"v=0\nmore"


def test_extra_octets_after_content_length_ignored() -> None:
    assert parse_message(INVITE + b"garbage").body == b"v=0\n"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", None),
        (b"garbage\r\n\r\n", 400),
        (b"INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", 400),
        (b"INVITE sip:a@b SIP/2.0\r\n continuation\r\n\r\n", 400),
        (b"SIP/2.0 99 Too Low\r\n\r\n", None),
        (b"SIP/2.0 2000 OK\r\n\r\n", None),
        (b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort", 400),
        (b"INVITE sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", 400),
        (b"INVITE sip:a@b SIP2.0\r\n\r\n", 400),
        (b"INV<ITE sip:a@b SIP/2.0\r\n\r\n", 400),
        (b"INVITE sip:a@b:99999 SIP/2.0\r\n\r\n", 400),
    ],
)
def test_malformed_input(data: bytes, status: int | None) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    assert info.value.status == status
    assert info.value.respondable == (status is not None)


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (b"Max-Forwards: 0", 483),
        (b"Max-Forwards: 256", 400),
        (b"Require: foo", 420),
        (b"CSeq: 314159 BYE", 400),
        (b"Content-Type: text/x-weird", 415),
        (b"Content-Encoding: gzip", 415),
        (b"Date: Sat, 13 Nov 2010 23:29:00 PST", 400),
        (b"To: <sip:a@example.com>, <sip:b@example.com>", 400),
        (b"Expires: soon", 400),
    ],
)
def test_validation_rejections(header: bytes, status: int) -> None:
    name = header.split(b":")[0]
    lines = [line for line in INVITE.split(b"\r\n") if not line.startswith(name + b":")]
    data = b"\r\n".join([lines[0], header, *lines[1:]])
    with pytest.raises(SipParseError) as info:
        validate_request(parse_message(data))  # type: ignore[arg-type]
    assert info.value.status == status


def test_missing_mandatory_header_is_400() -> None:
    data = INVITE.replace(b"Call-ID: a84b4c76e66710@pc33.example.org\r\n", b"")
    msg = parse_message(data)
    assert isinstance(msg, Request)
    with pytest.raises(SipParseError) as info:
        validate_request(msg)
    assert info.value.status == 400


def test_round_trip_and_equality() -> None:
    msg = parse_message(INVITE)
    assert bytes(msg) == INVITE
    assert parse_message(bytes(msg)) == msg


def test_build_and_respond() -> None:
    req = Request.build(
        "INVITE",
        "sip:bob@example.com",
        via=Via("UDP", "192.0.2.1", 5060).with_params(
            Via("UDP", "x").params.with_param("branch", "z9hG4bKx")
        ),
        from_=NameAddr(parse_uri("sip:alice@example.org"), "Alice").with_tag("a1"),
        to=NameAddr(parse_uri("sip:bob@example.com")),
        call_id="c1",
        cseq=1,
        contact=NameAddr(parse_uri("sip:alice@192.0.2.1")),
        body=b"v=0\r\n",
        content_type="application/sdp",
    )
    again = parse_message(bytes(req))
    assert again == req
    validate_request(req)
    resp = response_to(req, 180, "Ringing", to_tag="b1")
    assert resp.status == 180
    assert resp.to.tag == "b1"
    assert resp.from_ == req.from_
    assert resp.vias == req.vias
    assert resp.cseq == req.cseq
    assert resp.call_id == "c1"
    assert parse_message(bytes(resp)) == resp


def test_headers_editing_is_copying() -> None:
    headers = Headers([("Via", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("X-A", "1")])
    added = headers.with_added("Via", "SIP/2.0/UDP b;branch=z9hG4bK2", first=True)
    assert headers.count("via") == 1
    assert added.get_all("v") == ["SIP/2.0/UDP b;branch=z9hG4bK2", "SIP/2.0/UDP a;branch=z9hG4bK1"]
    assert added.with_replaced("x-a", "2", "3").get_all("X-A") == ["2", "3"]
    assert "X-A" not in added.without("x-a")


def test_response_rejects_bad_status() -> None:
    with pytest.raises(SipParseError):
        Response(99, "x", Headers())


def test_stream_framer_arbitrary_chunks() -> None:
    stream = b"\r\n\r\n" + INVITE + INVITE.replace(b"INVITE sip", b"INVITE sip", 1)
    for size in (1, 3, 17, len(stream)):
        framer = StreamFramer()
        out = []
        for i in range(0, len(stream), size):
            out.extend(framer.feed(stream[i : i + size]))
        assert [m.body for m in out] == [b"v=0\n", b"v=0\n"]
        assert framer.pending == 0


def test_stream_framer_missing_length_means_empty_body() -> None:
    data = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 1\r\n\r\nZ"
    msgs = StreamFramer().feed(data)
    assert [m.body for m in msgs] == [b"", b"Z"]


def test_stream_framer_rejects_bad_length() -> None:
    with pytest.raises(SipParseError):
        StreamFramer().feed(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n")


def test_errors_belong_to_the_okc_tree() -> None:
    from okc.errors import OkcError

    with pytest.raises(OkcError):
        parse_message(b"\xff\xfe")
    err = SipParseError("x", 420)
    assert err.reason == "Bad Extension"
    assert err.respondable
