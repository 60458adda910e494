"""RFC 4475 torture messages and the RFC 5118 IPv6 set: each file's expected outcome, and the core doing it.

Outcome per file: "valid" (parses, validates, round-trips), a status a UAS answers with, or "drop"
(a response or garbage that no one can answer, so it is discarded).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from okc.sip import (
    Request,
    Response,
    SipParseError,
    SipUri,
    parse_message,
    validate_request,
    validate_response,
)

VALID = "valid"
DROP = "drop"

#: RFC 4475: file -> (section, expected outcome).
RFC4475: dict[str, tuple[str, str | int]] = {
    # §3.1.1 valid messages
    "wsinv": ("3.1.1.1", VALID),
    "intmeth": ("3.1.1.2", VALID),
    "esc01": ("3.1.1.3", VALID),
    "escnull": ("3.1.1.4", VALID),
    "esc02": ("3.1.1.5", VALID),
    "lwsdisp": ("3.1.1.6", VALID),
    "longreq": ("3.1.1.7", VALID),
    "dblreq": ("3.1.1.8", VALID),
    "semiuri": ("3.1.1.9", VALID),
    "transports": ("3.1.1.10", VALID),
    "mpart01": ("3.1.1.11", VALID),
    "unreason": ("3.1.1.12", VALID),
    "noreason": ("3.1.1.13", VALID),
    # §3.1.2 invalid messages
    "badinv01": ("3.1.2.1", 400),
    "clerr": ("3.1.2.2", 400),
    "ncl": ("3.1.2.3", 400),
    "scalar02": ("3.1.2.4", 400),
    "scalarlg": ("3.1.2.5", DROP),
    "quotbal": ("3.1.2.6", 400),
    "ltgtruri": ("3.1.2.7", 400),
    "lwsruri": ("3.1.2.8", 400),
    "lwsstart": ("3.1.2.9", 400),
    "trws": ("3.1.2.10", 400),
    "escruri": ("3.1.2.11", 400),
    "baddate": ("3.1.2.12", 400),
    "regbadct": ("3.1.2.13", 400),
    "badaspec": ("3.1.2.14", 400),
    "baddn": ("3.1.2.15", 400),
    "badvers": ("3.1.2.16", 505),
    "mismatch01": ("3.1.2.17", 400),
    "mismatch02": ("3.1.2.18", 400),
    "bigcode": ("3.1.2.19", DROP),
    # §3.2 transaction layer
    "badbranch": ("3.2.1", VALID),
    # §3.3 application layer
    "insuf": ("3.3.1", 400),
    "unkscm": ("3.3.2", 416),
    "novelsc": ("3.3.3", 416),
    "unksm2": ("3.3.4", VALID),
    "bext01": ("3.3.5", 420),
    "invut": ("3.3.6", 415),
    "regaut01": ("3.3.7", VALID),
    "multi01": ("3.3.8", 400),
    "mcl01": ("3.3.9", 400),
    "bcast": ("3.3.10", VALID),
    "zeromf": ("3.3.11", 483),
    "cparam01": ("3.3.12", VALID),
    "cparam02": ("3.3.13", VALID),
    "regescrt": ("3.3.14", VALID),
    "sdp01": ("3.3.15", 406),
    # §3.4 backward compatibility
    "inv2543": ("3.4.1", VALID),
}

#: RFC 5118 (IPv6): file -> expected outcome.
RFC5118: dict[str, str | int] = {
    "ipv6-good": VALID,
    "port-ambiguous": VALID,
    "port-unambiguous": VALID,
    "ipv6-bad": 400,
    "ipv6-correct-abnf-2-colons": VALID,
    "ipv6-bug-abnf-3-colons": 400,
    "via-received-param-with-delim": VALID,
    "via-received-param-no-delim": VALID,
    "ipv4-mapped-ipv6": VALID,
    "mult-ip-in-header": VALID,
    "ipv6-in-sdp": VALID,
    "mult-ip-in-sdp": VALID,
}


def outcome(data: bytes) -> str | int:
    """What the core does with a datagram: valid, a rejection status, or drop."""
    try:
        message = parse_message(data)
        if isinstance(message, Request):
            validate_request(message)
        else:
            validate_response(message)
    except SipParseError as exc:
        return DROP if exc.status is None else exc.status
    return VALID


def test_table_covers_every_file(shared_testdata: Path) -> None:
    assert {p.stem for p in (shared_testdata / "rfc4475").glob("*.dat")} == set(RFC4475)
    assert len(RFC4475) == 49
    assert {p.stem for p in (shared_testdata / "rfc5118").glob("*.dat")} == set(RFC5118)


@pytest.mark.parametrize("name", sorted(RFC4475))
def test_rfc4475_outcome(shared_testdata: Path, name: str) -> None:
    data = (shared_testdata / "rfc4475" / f"{name}.dat").read_bytes()
    assert outcome(data) == RFC4475[name][1]


@pytest.mark.parametrize("name", sorted(RFC5118))
def test_rfc5118_outcome(shared_testdata: Path, name: str) -> None:
    data = (shared_testdata / "rfc5118" / f"{name}.dat").read_bytes()
    assert outcome(data) == RFC5118[name]


VALID_FILES = [("rfc4475", n) for n, (_, o) in sorted(RFC4475.items()) if o == VALID] + [
    ("rfc5118", n) for n, o in sorted(RFC5118.items()) if o == VALID
]


@pytest.mark.parametrize(("folder", "name"), VALID_FILES)
def test_valid_messages_round_trip(shared_testdata: Path, folder: str, name: str) -> None:
    message = parse_message((shared_testdata / folder / f"{name}.dat").read_bytes())
    again = parse_message(bytes(message))
    assert again == message
    assert bytes(again) == bytes(message)
    assert again.vias == message.vias
    assert (again.to, again.from_, again.cseq, again.call_id) == (
        message.to,
        message.from_,
        message.cseq,
        message.call_id,
    )


def _load(shared_testdata: Path, name: str) -> Request | Response:
    return parse_message((shared_testdata / "rfc4475" / f"{name}.dat").read_bytes())


def test_wsinv_values(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "wsinv")
    assert isinstance(msg, Request)
    assert msg.method == "INVITE"
    assert msg.to.tag == "1918181833n"
    assert msg.from_.tag == "98asjd8"
    assert msg.from_.display_name == 'J Rosenberg \\"'
    assert msg.max_forwards == 68
    assert (msg.cseq.seq, msg.cseq.method) == (9, "INVITE")
    assert [v.transport for v in msg.vias] == ["UDP", "TCP", "UDP"]
    assert [v.branch for v in msg.vias] == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"]
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert msg.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    assert msg.headers.get("subject") == ""
    (contact,) = msg.contacts
    assert contact.display_name == 'Quoted string ""'
    assert contact.q == 0.33
    assert contact.params.get("newparam") == "newvalue"
    assert len(msg.body) == 150


def test_dblreq_takes_only_the_first_message(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "dblreq")
    assert isinstance(msg, Request)
    assert msg.method == "REGISTER"
    assert msg.body == b""


def test_semiuri_user_with_semicolons(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "semiuri")
    assert isinstance(msg, Request)
    assert isinstance(msg.uri, SipUri)
    assert msg.uri.user == "user;par=u%40example.net"
    assert msg.uri.host == "example.com"


def test_escnull_keeps_escaped_nul(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "escnull")
    assert isinstance(msg.to.uri, SipUri)
    assert "%00" in (msg.to.uri.user or "")


def test_unreason_utf8_reason(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "unreason")
    assert isinstance(msg, Response)
    assert msg.status == 200
    assert "простое" in msg.reason


def test_bext01_names_the_unsupported_tags(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "bext01")
    assert isinstance(msg, Request)
    with pytest.raises(SipParseError) as info:
        validate_request(msg)
    assert info.value.status == 420
    (name, tags), *_ = info.value.extra_headers
    assert name == "Unsupported"
    assert "nothingSupportsThis" in tags


def test_bext01_accepted_when_extensions_supported(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "bext01")
    assert isinstance(msg, Request)
    validate_request(msg, supported=(*msg.require, *msg.proxy_require))


def test_invut_offers_accept(shared_testdata: Path) -> None:
    msg = _load(shared_testdata, "invut")
    assert isinstance(msg, Request)
    with pytest.raises(SipParseError) as info:
        validate_request(msg)
    assert info.value.status == 415
    assert info.value.extra_headers[0][0] == "Accept"


def test_ipv6_references(shared_testdata: Path) -> None:
    msg = parse_message((shared_testdata / "rfc5118" / "port-unambiguous.dat").read_bytes())
    assert isinstance(msg, Request)
    assert isinstance(msg.uri, SipUri)
    assert (msg.uri.host, msg.uri.port) == ("[2001:db8::10]", 5070)
    amb = parse_message((shared_testdata / "rfc5118" / "port-ambiguous.dat").read_bytes())
    assert isinstance(amb, Request)
    assert isinstance(amb.uri, SipUri)
    assert amb.uri.port is None
