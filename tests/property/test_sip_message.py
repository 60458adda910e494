"""Property tests of the SIP message parser: only SipParseError escapes; generated messages round trip."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from okc.sip import (
    NameAddr,
    Request,
    SipParseError,
    SipUri,
    StreamFramer,
    Via,
    parse_message,
    validate_request,
)
from okc.sip.uri import Params

SEED = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice" <sip:alice@example.org>;tag=1928301774\r\n'
    b"To: <sip:bob@example.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33.example.org\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.1>;q=0.5, *\r\n"
    b"Route: <sip:[2001:db8::1]:5060;lr>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)
_SPECIALS = b' \t\r\n:;,<>"\\@%=/?[]*'


def _exercise(data: bytes) -> None:
    """Parse, touch every accessor and validate; only SipParseError may escape."""
    try:
        msg = parse_message(data)
        _ = (msg.vias, msg.to, msg.from_, msg.call_id, msg.cseq, msg.contacts, msg.routes)
        _ = (msg.record_routes, msg.max_forwards, msg.content_type, msg.expires, msg.require)
        for contact in msg.contacts:
            _ = (contact.q, contact.expires)
        if isinstance(msg, Request):
            validate_request(msg)
        again = parse_message(bytes(msg))
        assert again == msg
    except SipParseError:
        pass


@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    _exercise(data)


@given(
    st.lists(
        st.tuples(st.integers(0, len(SEED) - 1), st.sampled_from([*_SPECIALS, 0, 0xFF, 0x41])),
        max_size=8,
    )
)
def test_mutated_valid_message(edits: list[tuple[int, int]]) -> None:
    data = bytearray(SEED)
    for pos, byte in edits:
        data[pos] = byte
    _exercise(bytes(data))


@given(st.integers(0, len(SEED)), st.binary(max_size=20))
def test_inserted_bytes(pos: int, junk: bytes) -> None:
    _exercise(SEED[:pos] + junk + SEED[pos:])


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~", min_size=1, max_size=12).filter(
    lambda t: "%" not in t
)
_user = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()&=+$,;?/", min_size=1, max_size=12)
_host = st.from_regex(r"[a-z][a-z0-9]{0,8}(\.[a-z][a-z0-9]{0,8}){0,3}", fullmatch=True)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    method = draw(st.sampled_from(["INVITE", "OPTIONS", "BYE", "REGISTER", "X-CUSTOM"]))
    target = SipUri(draw(_host), user=draw(_user), port=draw(st.none() | st.integers(1, 65535)))
    params = Params((("branch", "z9hG4bK" + draw(_token)),))
    via = Via(
        draw(st.sampled_from(["UDP", "TCP", "TLS"])),
        draw(_host),
        draw(st.none() | st.integers(1, 65535)),
        params,
    )
    display = draw(
        st.none() | st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=10)
    )
    from_ = NameAddr(SipUri(draw(_host), user=draw(_user)), display).with_tag(draw(_token))
    to = NameAddr(target)
    body = draw(st.binary(max_size=40))
    extra = tuple(
        draw(st.lists(st.tuples(st.sampled_from(["X-A", "Subject", "User-Agent"]), _token), max_size=3))
    )
    return Request.build(
        method,
        target,
        via=via,
        from_=from_,
        to=to,
        call_id=draw(_token) + "@" + draw(_host),
        cseq=draw(st.integers(0, 2**31 - 1)),
        max_forwards=draw(st.integers(1, 255)),
        contact=NameAddr(SipUri(draw(_host))),
        extra=extra,
        body=body,
        content_type="application/sdp" if body else None,
    )


@given(requests())
def test_generated_requests_round_trip(req: Request) -> None:
    again = parse_message(bytes(req))
    assert again == req
    assert isinstance(again, Request)
    assert again.from_ == req.from_
    assert again.vias == req.vias
    assert again.cseq == req.cseq
    assert again.body == req.body
    validate_request(again)


@given(st.lists(requests(), min_size=1, max_size=4), st.integers(1, 64))
def test_stream_framer_any_chunking(reqs: list[Request], size: int) -> None:
    stream = b"".join(bytes(r) for r in reqs)
    framer = StreamFramer()
    out = []
    for i in range(0, len(stream), size):
        out.extend(framer.feed(stream[i : i + size]))
    assert out == reqs
