"""Audit: unknown headers verbatim, compact/folded/IPv6/tel input round-trips, and the RFC 4475 table as
the transaction layer sees it (which statuses the layer answers itself, which the TU must)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okc.sip import (
    MessageDropped,
    Request,
    RequestReceived,
    Response,
    SipParseError,
    StrayResponse,
    TelUri,
    TransactionLayer,
    parse_message,
    validate_request,
)
from okc.sip.validate import answer_unparseable
from tests.sip.test_torture import DROP, RFC4475, RFC5118, VALID

RAW = (
    b"OPTIONS sip:bob@[2001:db8::1]:5060;transport=udp SIP/2.0\r\n"
    b"v: SIP/2.0/UDP [2001:db8::2]:5070;branch=z9hG4bKx;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'f: "A \\"q\\" b" <sip:a@x>;tag=1\r\n'
    b"t: <tel:+1-555-0100;phone-context=+1>\r\n"
    b"i: c1\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b'X-Odd:   a ,b;c="d, e"  \r\n'
    b"X-Fold: one\r\n  two\r\n"
    b"X-Odd: second\r\n"
    b"l: 0\r\n\r\n"
)


def test_unknown_headers_kept_verbatim_and_in_order() -> None:
    message = parse_message(RAW)
    # the value is kept as written (only the surrounding LWS goes), commas inside quotes are not split
    assert message.headers.get_all("x-odd") == ['a ,b;c="d, e"', "second"]
    assert message.headers.get("X-FOLD") == "one two"  # folding is one SP
    out = bytes(message)
    assert b'X-Odd: a ,b;c="d, e"\r\nX-Fold: one two\r\nX-Odd: second\r\n' in out
    assert out.startswith(b"OPTIONS sip:bob@[2001:db8::1]:5060;transport=udp SIP/2.0\r\nv: ")


def test_compact_ipv6_tel_and_escaped_quotes_round_trip() -> None:
    message = parse_message(RAW)
    assert isinstance(message, Request)
    assert message.from_.display_name == 'A "q" b'
    assert isinstance(message.to.uri, TelUri)
    assert message.top_via.host == "[2001:db8::2]"
    assert message.top_via.port == 5070
    assert message.call_id == "c1"
    again = parse_message(bytes(message))
    assert again == message
    assert bytes(again) == bytes(message)


def _layer_outcome(data: bytes) -> tuple[str, int | None]:
    """What a TransactionLayer does with a datagram: answered (status), passed up, stray, or dropped."""
    layer = TransactionLayer()
    layer.receive(data, ("192.0.2.9", 5060), 0.0)
    events, datagrams = layer.events(), layer.datagrams()
    if datagrams:
        (datagram,) = datagrams
        answer = parse_message(datagram.data)
        assert isinstance(answer, Response)
        assert events == []
        return "answered", answer.status
    (event,) = events
    if isinstance(event, RequestReceived):
        try:
            validate_request(event.request)
        except SipParseError as exc:
            return "tu-rejects", exc.status
        return "tu-accepts", None
    if isinstance(event, StrayResponse):
        return "stray", None
    assert isinstance(event, MessageDropped)
    return "dropped", None


#: RFC 4475 asks for a 400 but the bytes do not parse into a message at all (bad Content-Length, a
#: broken Request-Line, a bad IPv6 reference): the layer answers from the raw Via/From/To/Call-ID/CSeq
#: lines when they parse (SALVAGEABLE below) and drops the rest.
UNANSWERED_400 = {"clerr", "ltgtruri", "lwsruri", "lwsstart", "mcl01", "ncl", "trws", "ipv6-bad",
                  "ipv6-bug-abnf-3-colons"}  # fmt: skip

_TABLE = [(f"rfc4475/{n}", o) for n, (_, o) in sorted(RFC4475.items())] + [
    (f"rfc5118/{n}", o) for n, o in sorted(RFC5118.items())
]


@pytest.mark.parametrize(("path", "expected"), _TABLE)
def test_layer_and_tu_together_give_the_table_outcome(
    shared_testdata: Path, path: str, expected: str | int
) -> None:
    kind, status = _layer_outcome((shared_testdata / f"{path}.dat").read_bytes())
    name = path.split("/")[1]
    if expected == VALID:
        assert kind in ("tu-accepts", "stray")
    elif expected == DROP:
        assert kind == "dropped"
    elif name in UNANSWERED_400:  # the layer salvages the 400 where the copied header lines parse
        assert expected == 400
        assert (kind, status) == (("answered", 400) if name in SALVAGEABLE else ("dropped", None))
    else:
        assert kind in ("answered", "tu-rejects")
        assert status == expected


def test_appended_header_is_found_under_any_spelling_and_the_original_is_untouched() -> None:
    """with_added extends a copy of the lookup index: the source message must not see the new line."""
    message = parse_message(RAW)
    headers = message.headers
    added = headers.with_added("via", "SIP/2.0/UDP h;branch=z9hG4bKy").with_added("X-New", "1")
    assert added.get_all("v") == [*headers.get_all("Via"), "SIP/2.0/UDP h;branch=z9hG4bKy"]
    assert added.get("x-new") == "1"
    assert added.count("X-ODD") == 2
    assert headers.count("Via") == 1
    assert "X-New" not in headers
    assert added == type(headers)([*headers, ("via", "SIP/2.0/UDP h;branch=z9hG4bKy"), ("X-New", "1")])


#: Of the files the layer can only drop, those whose Via/From/To/Call-ID/CSeq are still sound.
SALVAGEABLE = UNANSWERED_400 - {"ipv6-bug-abnf-3-colons"}  # its Via holds the broken IPv6 reference


@pytest.mark.parametrize("path", [p for p, _ in _TABLE if p.split("/")[1] in SALVAGEABLE])
def test_answer_unparseable_salvages_the_400(shared_testdata: Path, path: str) -> None:
    data = (shared_testdata / f"{path}.dat").read_bytes()
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    answer = answer_unparseable(data, info.value)
    assert answer is not None
    assert answer.status == 400
    # the answer is addressed like response_to would: the five copied fields, verbatim from the request
    copied = [
        line.split(b":", 1)[1].strip()
        for line in data.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
        if line.split(b":", 1)[0].strip().lower() in (b"call-id", b"i")
    ]
    assert answer.call_id.encode() == copied[0]
    assert parse_message(bytes(answer)) == answer


def test_answer_unparseable_refuses_what_cannot_be_addressed(shared_testdata: Path) -> None:
    for path in ("rfc5118/ipv6-bug-abnf-3-colons", "rfc4475/bigcode"):
        data = (shared_testdata / f"{path}.dat").read_bytes()
        with pytest.raises(SipParseError) as info:
            parse_message(data)
        assert answer_unparseable(data, info.value) is None
    ack = b"ACK sip:a@b  SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 ACK\r\n\r\n"
    assert answer_unparseable(ack, SipParseError("bad request line", 400)) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([400, 505]))
def test_answer_unparseable_never_raises(data: bytes, status: int) -> None:
    answer = answer_unparseable(RAW[:40] + data, SipParseError("fuzz", status))
    if answer is not None:
        assert answer.status == status
        assert answer.vias
