"""The parser's fast paths agree with its general paths.

URIs, Via and name-addr values have a regex fast path for their usual spelling and a general parser for
everything else. Each property feeds the same value twice, once spelled so that only the general parser
can take it (upper-case scheme, whitespace around separators), and requires the same outcome.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from okc.sip import NameAddr, SipParseError, Via, parse_message, parse_uri
from okc.sip.uri import Params, Uri

_PIECES = [
    "alice", "bob", "a-b", "x.y", "example.com", "192.0.2.1", "[2001:db8::1]", "h", "1", "5060", "65536",
    "99999", ":", "@", ";", "=", "?", "&", ",", "%41", "%4", "-", ".", "transport=udp", "lr", "tag", "user",
    "branch=z9hG4bK1", "rport", "a b", "\t", '"', "<", ">", "'", "~", "*", "[", "]", "/", "$", "+",
]  # fmt: skip
_text = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


def _outcome_uri(text: str) -> Uri | None:
    try:
        return parse_uri(text)
    except SipParseError:
        return None


@given(_text)
def test_sip_uri_fast_path_matches_general(rest: str) -> None:
    # "SIP:" is never taken by the fast path; the general parser lower-cases the scheme.
    assert _outcome_uri("sip:" + rest) == _outcome_uri("SIP:" + rest)
    assert _outcome_uri("sips:" + rest) == _outcome_uri("SIPS:" + rest)


def _outcome_via(text: str) -> Via | None:
    try:
        return Via.parse(text)
    except SipParseError:
        return None


@given(st.sampled_from(["UDP", "tcp", "TLS", "ws", "x y", ""]), _text)
def test_via_fast_path_matches_general(transport: str, rest: str) -> None:
    usual = _outcome_via(f"SIP/2.0/{transport} {rest}")
    spaced = _outcome_via(f"SIP / 2.0 / {transport} {rest}")
    if usual is not None:
        assert spaced == usual
    else:
        assert spaced is None or " " in transport or "/" in rest


_DISPLAYS = ["", '"Alice" ', '"A \\"q\\" b" ', "Bob ", "Bob Smith ", "Bob  Smith ", '"" ', "b@d "]
_URIS = ["sip:alice@example.com", "sips:[2001:db8::1]:5061", "tel:+1-555", "sip:a;b@h;lr", "sip:h?x=y", ""]


@given(
    st.sampled_from(_DISPLAYS),
    st.booleans(),
    st.one_of(st.sampled_from(_URIS), _text),
    st.lists(st.sampled_from(["tag=1", "q=0.5", "expires=60", 'x="a;b"', "lr", "=", "", "a b"]), max_size=3),
)
def test_name_addr_fast_path_matches_general(
    display: str, bracket: bool, uri: str, params: list[str]
) -> None:
    core = f"{display}<{uri}>" if bracket else uri
    text = core + "".join(";" + p for p in params)
    try:
        usual: NameAddr | None = NameAddr.parse(text)
    except SipParseError:
        usual = None
    # A probe parameter after optional whitespace: only the general parser takes that spelling.
    try:
        probed: NameAddr | None = NameAddr.parse(text + " ;okcprobe")
    except SipParseError:
        probed = None
    if usual is None:
        assert probed is None
    else:
        assert probed is not None
        assert (probed.uri, probed.display_name) == (usual.uri, usual.display_name)
        assert probed.params == Params((*usual.params.items, ("okcprobe", None)))


_HEADERS = [
    "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "via:SIP/2.0/UDP h", "v: SIP/2.0/TCP h", "From: <sip:a@h>;tag=1",
    "f:<sip:a@h>", "To: sip:b@h", "t: <sip:b@h>", "Call-ID: x", "i: y", "CSeq: 1 INVITE", "Max-Forwards: 70",
    "X-Odd : v", "Bad Name: v", "NoColon", "", " folded", "\tfolded", "Contact: *", "m: <sip:c@h>",
    "Content-Length: 0", "l: 0", "Subject:", "Subject:   ", "Weird\x00: v", "Content-Length: 1",
]  # fmt: skip


@given(st.lists(st.sampled_from(_HEADERS), max_size=8), st.sampled_from(["\r\n", "\n"]))
def test_header_block_split_matches_bare_lf_splitter(lines: list[str], eol: str) -> None:
    # Bare-LF line ends are never taken by the fast splitter.
    def outcome(sep: str) -> object:
        data = sep.join(["OPTIONS sip:h SIP/2.0", *lines, "", ""]).encode()
        try:
            return parse_message(data).headers
        except SipParseError as exc:
            return exc.status

    assert outcome(eol) == outcome("\n")
