"""Toll-fraud gate and authentication ban: verdicts per source, bans in virtual time, and a property that
no unauthenticated request from a non-trunk address is ever allowed to a trunk."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.config import CenterConfig
from okc.config.telephony import Telephony, Trunk, TrunkAuth
from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import DigestClient, DigestServer, NameAddr, Request, Via
from okc.sip.auth import DigestAlgorithm
from okc.sip.security import (
    AddressBanned,
    AddressUnbanned,
    AuthBan,
    BanAction,
    BanSettings,
    RequestGate,
    SecurityError,
    TrustedTrunk,
    Verdict,
)

REALM = "okc.test"
SECRET = b"gate-secret-0123456789abcdef0123"
PROVIDER = ("203.0.113.5", 5060)
STRANGER = ("198.51.100.66", 5060)
HA1 = {
    DigestAlgorithm.MD5: digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
    DigestAlgorithm.SHA_256: digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
}


def lookup(username: str, algorithm: DigestAlgorithm) -> str | None:
    return HA1[algorithm] if username == "alice" else None


def make_gate(settings: BanSettings | None = None, *, trunk_to_trunk: bool = False) -> RequestGate:
    digest = DigestServer(REALM, SECRET, lookup, random.Random(1), proxy=True)
    trunks = [TrustedTrunk.parse("provider", ["203.0.113.0/28", "2001:db8::1"])]
    return RequestGate(digest, trunks, ban=AuthBan(settings), trunk_to_trunk=trunk_to_trunk)


def invite(
    number: str = "84951234567", *, branch: str = "1", extra: tuple[tuple[str, str], ...] = ()
) -> Request:
    return Request.build(
        "INVITE",
        f"sip:{number}@{REALM}",
        via=Via.parse(f"SIP/2.0/UDP 198.51.100.66;branch=z9hG4bK{branch}"),
        from_=NameAddr.parse("<sip:alice@okc.test>;tag=f"),
        to=NameAddr.parse(f"<sip:{number}@okc.test>"),
        call_id=f"call-{branch}",
        cseq=1,
        extra=extra,
    )


def test_trunk_address_is_trusted_for_local_targets_only() -> None:
    gate = make_gate()
    allowed = gate.check(invite(), ("203.0.113.9", 5060), 0.0, to_trunk=False)
    assert allowed.verdict is Verdict.ALLOW
    assert allowed.trunk == "provider"
    hairpin = gate.check(invite(), PROVIDER, 0.0, to_trunk=True)
    assert hairpin.verdict is Verdict.REJECT
    assert hairpin.response is not None
    assert hairpin.response.status == 403
    assert gate.check(invite(), ("2001:db8::1", 5060), 0.0, to_trunk=False).trunk == "provider"
    assert (
        make_gate(trunk_to_trunk=True).check(invite(), PROVIDER, 0.0, to_trunk=True).verdict is Verdict.ALLOW
    )


def test_stranger_is_challenged_then_allowed_with_valid_credentials() -> None:
    gate = make_gate()
    first = gate.check(invite(), STRANGER, 0.0, to_trunk=True)
    assert first.verdict is Verdict.CHALLENGE
    assert first.response is not None
    assert first.response.status == 407
    retry = DigestClient("alice", "wonder", random.Random(5)).retry(invite(), first.response)
    decision = gate.check(retry, STRANGER, 1.0, to_trunk=True)
    assert decision.verdict is Verdict.ALLOW
    assert decision.user == "alice"


def test_wrong_credentials_are_refused_with_403() -> None:
    gate = make_gate()
    first = gate.check(invite(), STRANGER, 0.0, to_trunk=True)
    assert first.response is not None
    retry = DigestClient("alice", "guess", random.Random(5)).retry(invite(), first.response)
    decision = gate.check(retry, STRANGER, 1.0, to_trunk=True)
    assert decision.verdict is Verdict.REJECT
    assert decision.response is not None
    assert decision.response.status == 403


def test_cancel_and_ack_never_reach_a_trunk_from_a_stranger() -> None:
    gate = make_gate()
    cancel = Request.build(
        "CANCEL",
        "sip:84951234567@okc.test",
        via=Via.parse("SIP/2.0/UDP 198.51.100.66;branch=z9hG4bKc"),
        from_=NameAddr.parse("<sip:a@okc.test>;tag=f"),
        to=NameAddr.parse("<sip:84951234567@okc.test>"),
        call_id="c",
        cseq=1,
    )
    assert gate.check(cancel, STRANGER, 0.0, to_trunk=True).verdict is Verdict.REJECT
    assert gate.check(cancel, STRANGER, 0.0, to_trunk=False).verdict is Verdict.ALLOW


def test_registered_source_reaches_local_targets_but_not_trunks_by_default() -> None:
    def registered(source: tuple[str, int]) -> str | None:
        return "alice" if source == STRANGER else None

    digest = DigestServer(REALM, SECRET, lookup, random.Random(1), proxy=True)
    gate = RequestGate(digest, registered=registered)
    local = gate.check(invite("1002"), STRANGER, 0.0, to_trunk=False)
    assert (local.verdict, local.user) == (Verdict.ALLOW, "alice")
    assert gate.check(invite(), STRANGER, 0.0, to_trunk=True).verdict is Verdict.CHALLENGE
    trusting = RequestGate(digest, registered=registered, registered_may_use_trunks=True)
    assert trusting.check(invite(), STRANGER, 0.0, to_trunk=True).verdict is Verdict.ALLOW


def failed_attempt(gate: RequestGate, source: tuple[str, int], now: float, n: int) -> Verdict:
    first = gate.check(invite(branch=f"a{n}"), source, now, to_trunk=True)
    if first.response is None or first.response.status != 407:
        return first.verdict
    retry = DigestClient("alice", "guess", random.Random(n)).retry(invite(branch=f"a{n}"), first.response)
    return gate.check(retry, source, now, to_trunk=True).verdict


def test_repeated_failures_ban_the_address_for_ban_time_only() -> None:
    gate = make_gate(BanSettings(max_failures=3, window=60.0, ban_time=300.0))
    assert [failed_attempt(gate, STRANGER, float(t), t) for t in range(3)] == [
        Verdict.REJECT,
        Verdict.REJECT,
        Verdict.DROP,
    ]
    assert gate.ban.events() == [AddressBanned(STRANGER[0], 302.0, 3)]
    assert gate.check(invite(), STRANGER, 100.0, to_trunk=False).verdict is Verdict.DROP
    other = ("198.51.100.67", 5060)
    assert gate.check(invite(), other, 100.0, to_trunk=True).verdict is Verdict.CHALLENGE
    assert gate.ban.get_timer() == 302.0
    gate.ban.handle_timer(302.0)
    assert gate.ban.events() == [AddressUnbanned(STRANGER[0])]
    assert gate.check(invite(), STRANGER, 302.0, to_trunk=True).verdict is Verdict.CHALLENGE


def test_failures_spread_beyond_the_window_do_not_ban() -> None:
    ban = AuthBan(BanSettings(max_failures=3, window=10.0, ban_time=60.0))
    assert not any(ban.failure("192.0.2.1", t) for t in (0.0, 6.0, 12.0, 18.0, 24.0))
    assert not ban.is_banned("192.0.2.1", 24.0)
    assert ban.failure("192.0.2.1", 25.0)
    assert ban.is_banned("192.0.2.1", 84.9)
    assert not ban.is_banned("192.0.2.1", 85.0)


def test_ban_can_answer_403_instead_of_dropping() -> None:
    gate = make_gate(BanSettings(max_failures=1, action=BanAction.REJECT))
    assert gate.auth_failed(STRANGER, 0.0)
    decision = gate.check(invite(), STRANGER, 1.0, to_trunk=False)
    assert decision.verdict is Verdict.REJECT
    assert decision.banned
    assert decision.response is not None
    assert decision.response.status == 403


def test_ban_timer_forgets_old_failures() -> None:
    ban = AuthBan(BanSettings(max_failures=5, window=10.0))
    ban.failure("192.0.2.1", 0.0)
    assert ban.get_timer() == 10.0
    ban.handle_timer(10.0)
    assert ban.get_timer() is None


def test_settings_validate() -> None:
    with pytest.raises(SecurityError):
        BanSettings(max_failures=0)
    with pytest.raises(SecurityError):
        TrustedTrunk.parse("t", ["not-an-ip"])
    with pytest.raises(SecurityError):
        RequestGate(DigestServer(REALM, SECRET, lookup, random.Random(1)))


def test_from_config_trusts_static_ip_trunks() -> None:
    center = CenterConfig(
        telephony=Telephony(
            trunks=(
                Trunk(
                    name="static",
                    host="sip.example.org",
                    auth=TrunkAuth.STATIC_IP,
                    allowed_addresses=("192.0.2.7",),
                ),
            )
        )
    )
    gate = RequestGate.from_config(center, DigestServer(REALM, SECRET, lookup, random.Random(1), proxy=True))
    assert gate.trunk_at("192.0.2.7") == "static"
    assert gate.trunk_at("192.0.2.8") is None


_headers = st.sampled_from(
    [
        (
            "Proxy-Authorization",
            'Digest username="alice", realm="okc.test", nonce="x", uri="sip:a", response="0"',
        ),
        ("Authorization", 'Digest username="alice", realm="okc.test", nonce="x", uri="sip:a", response="0"'),
        ("Proxy-Authorization", "Basic YWxpY2U6d29uZGVy"),
        ("Proxy-Authorization", "Digest garbage"),
        ("X-Trunk", "provider"),
        ("P-Asserted-Identity", "<sip:provider@203.0.113.5>"),
    ]
)


@st.composite
def forged_requests(draw: st.DrawFn) -> tuple[Request, tuple[str, int]]:
    method = draw(
        st.sampled_from(["INVITE", "MESSAGE", "REFER", "SUBSCRIBE", "OPTIONS", "ACK", "CANCEL", "BYE"])
    )
    extra = tuple(draw(st.lists(_headers, max_size=3)))
    nonce = draw(st.text(alphabet="ABCDEFabcdef0123456789-_", min_size=1, max_size=40))
    if draw(st.booleans()):
        extra += (
            (
                "Proxy-Authorization",
                f'Digest username="alice", realm="okc.test", nonce="{nonce}", uri="sip:x@okc.test", '
                f'response="{draw(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))}"',
            ),
        )
    via_host = draw(st.sampled_from(["203.0.113.5", "198.51.100.66", "localhost"]))
    request = Request.build(
        method,
        "sip:84951234567@okc.test",
        via=Via.parse(f"SIP/2.0/UDP {via_host};branch=z9hG4bK{nonce}"),
        from_=NameAddr.parse("<sip:alice@okc.test>;tag=f"),
        to=NameAddr.parse("<sip:84951234567@okc.test>"),
        call_id=nonce,
        cseq=1,
        extra=extra,
    )
    octets = draw(st.tuples(*(st.integers(0, 255) for _ in range(4))))
    host = ".".join(map(str, octets))
    return request, (host, draw(st.integers(1, 65535)))


@given(st.lists(forged_requests(), min_size=1, max_size=20), st.floats(0, 1e6))
def test_no_unauthenticated_request_from_a_non_trunk_address_reaches_a_trunk(
    attempts: list[tuple[Request, tuple[str, int]]], start: float
) -> None:
    gate = make_gate(BanSettings(max_failures=3, window=30.0, ban_time=60.0))
    for step, (request, source) in enumerate(attempts):
        if gate.trunk_at(source[0]) is not None:
            continue
        decision = gate.check(request, source, start + step, to_trunk=True)
        assert decision.verdict is not Verdict.ALLOW
