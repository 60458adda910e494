"""Outbound registration (against okc's own registrar and scripted replies) and OPTIONS keep-alive, all in
virtual time."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.config.telephony import Transport, Trunk, TrunkAuth
from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import DigestClient, Request, Response, parse_uri, response_to
from okc.sip.outbound import (
    BackOff,
    KeepAlive,
    OutboundError,
    OutboundRegistration,
    Outgoing,
    PeerDown,
    PeerState,
    PeerUp,
    RegistrationState,
    TrunkRegistered,
    TrunkRegistrationFailed,
    TrunkUnregistered,
)
from okc.sip.registrar import Account, Registrar, RegistrarSettings
from okc.sip.resolver import Target, TransportKind
from okc.sip.uri import SipUri

REALM = "provider.test"
LOCAL = ("192.0.2.50", 5060)
PROVIDER = Target(TransportKind.UDP, "203.0.113.1", 5060)


def provider(password: str = "trunk-secret", **settings: int) -> Registrar:
    account = Account(
        "74950000000",
        None,
        digest_ha1("74950000000", REALM, password, HA1Algorithm.MD5),
        digest_ha1("74950000000", REALM, password, HA1Algorithm.SHA_256),
    )
    return Registrar(
        REALM,
        [account],
        b"provider-secret-0123456789abcdef",
        random.Random(9),
        settings=RegistrarSettings(**settings),
    )


def registration(
    password: str = "trunk-secret", *, expires: int = 3600, seed: int = 4
) -> OutboundRegistration:
    uri = parse_uri(f"sip:{REALM}")
    aor = parse_uri(f"sip:74950000000@{REALM}")
    contact = parse_uri("sip:74950000000@192.0.2.50:5060")
    assert isinstance(uri, SipUri)
    assert isinstance(aor, SipUri)
    assert isinstance(contact, SipUri)
    rng = random.Random(seed)
    return OutboundRegistration(
        "provider",
        uri,
        aor,
        contact,
        PROVIDER,
        client=DigestClient("74950000000", password, rng),
        rng=rng,
        local=LOCAL,
        expires=expires,
    )


def exchange(reg: OutboundRegistration, registrar: Registrar, now: float) -> list[int]:
    """Deliver every pending REGISTER to the registrar and its answers back; the statuses seen."""
    statuses: list[int] = []
    while out := reg.requests():
        for item in out:
            assert item.target == PROVIDER
            response = registrar.handle_register(item.request, LOCAL, now).response
            statuses.append(response.status)
            reg.receive_response(response, now)
    return statuses


def test_registers_with_digest_and_refreshes_before_expiry() -> None:
    registrar = provider(max_expires=600, default_expires=600)
    reg = registration(expires=3600)
    reg.start(0.0)
    assert exchange(reg, registrar, 0.0) == [401, 200]
    assert reg.events() == [TrunkRegistered("provider", 600)]
    assert reg.state is RegistrationState.REGISTERED
    assert reg.get_timer() == 570.0
    reg.handle_timer(569.0)
    assert reg.requests() == []
    reg.handle_timer(570.0)
    assert exchange(reg, registrar, 570.0) in ([200], [401, 200])
    assert reg.events() == [TrunkRegistered("provider", 600)]
    assert [b.remaining(570.0) for b in registrar.lookup("74950000000")] == [600]
    assert registrar.events()[0].contact == parse_uri("sip:74950000000@192.0.2.50:5060")


def test_short_expiry_refreshes_at_half() -> None:
    registrar = provider(min_expires=10, default_expires=40, max_expires=40)
    reg = registration(expires=40)
    reg.start(0.0)
    exchange(reg, registrar, 0.0)
    assert reg.get_timer() == 20.0


def test_wrong_password_fails_and_backs_off_increasingly() -> None:
    registrar = provider()
    reg = registration("wrong")
    reg.start(0.0)
    assert exchange(reg, registrar, 0.0) == [401, 401]
    (failed,) = reg.events()
    assert isinstance(failed, TrunkRegistrationFailed)
    assert failed.status == 401
    assert 30.0 <= failed.retry_at <= 60.0
    waits = []
    now = failed.retry_at
    for _ in range(8):
        reg.handle_timer(now)
        exchange(reg, registrar, now)
        (event,) = reg.events()
        assert isinstance(event, TrunkRegistrationFailed)
        waits.append(event.retry_at - now)
        now = event.retry_at
    ceilings = [min(1800.0, 30.0 * 2**n) for n in range(2, 10)]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert reg.state is RegistrationState.WAITING


def test_timeout_counts_as_failure_and_success_resets_the_back_off() -> None:
    registrar = provider()
    reg = registration()
    reg.start(0.0)
    (lost,) = reg.requests()
    reg.failed(lost.request, 32.0)
    (event,) = reg.events()
    assert isinstance(event, TrunkRegistrationFailed)
    assert (event.status, event.reason) == (None, "no response")
    assert 32.0 + 30.0 <= event.retry_at <= 32.0 + 60.0
    assert reg.failures == 1
    reg.handle_timer(event.retry_at)
    exchange(reg, registrar, event.retry_at)
    assert isinstance(reg.events()[0], TrunkRegistered)
    assert reg.failures == 0


def test_423_retries_with_min_expires() -> None:
    registrar = provider(min_expires=1200, default_expires=1200, max_expires=3600)
    reg = registration(expires=300)
    reg.start(0.0)
    assert exchange(reg, registrar, 0.0) == [401, 423, 401, 200]
    assert reg.events() == [TrunkRegistered("provider", 1200)]
    assert reg.expires == 1200


def test_503_retry_after_is_honoured() -> None:
    reg = registration()
    reg.start(0.0)
    (item,) = reg.requests()
    reg.receive_response(
        response_to(item.request, 503, "Service Unavailable", extra=(("Retry-After", "900"),)), 1.0
    )
    (event,) = reg.events()
    assert isinstance(event, TrunkRegistrationFailed)
    assert event.retry_at == 901.0


def test_responses_to_other_requests_are_ignored() -> None:
    reg = registration()
    reg.start(0.0)
    (item,) = reg.requests()
    other = Request.build(
        "REGISTER",
        item.request.uri,
        via=item.request.top_via,
        from_=item.request.from_,
        to=item.request.to,
        call_id="someone-else",
        cseq=1,
    )
    reg.receive_response(response_to(other, 200, "OK"), 0.0)
    reg.receive_response(response_to(item.request, 180, "Ringing"), 0.0)
    assert reg.events() == []
    assert reg.state is RegistrationState.REGISTERING


def test_stop_removes_the_binding() -> None:
    registrar = provider()
    reg = registration()
    reg.start(0.0)
    exchange(reg, registrar, 0.0)
    registrar.events()
    reg.events()
    reg.stop(10.0)
    (item,) = reg.requests()
    assert item.request.expires == 0
    reg.receive_response(registrar.handle_register(item.request, LOCAL, 10.0).response, 10.0)
    exchange(reg, registrar, 10.0)
    assert reg.events() == [TrunkUnregistered("provider")]
    assert registrar.lookup("74950000000") == ()
    assert reg.get_timer() is None
    assert reg.state is RegistrationState.STOPPED


def test_for_trunk_builds_uris_from_the_configuration() -> None:
    trunk = Trunk(
        name="provider",
        host="sip.provider.test",
        port=5080,
        transport=Transport.TCP,
        auth=TrunkAuth.REGISTRATION,
        username="74950000000",
        secret_env="OKC_TRUNK_SECRET",
    )
    target = Target(TransportKind.TCP, "203.0.113.1", 5080)
    reg = OutboundRegistration.for_trunk(trunk, "pw", target, random.Random(1), local=LOCAL)
    reg.start(0.0)
    (item,) = reg.requests()
    assert str(item.request.uri) == "sip:sip.provider.test:5080;transport=tcp"
    assert str(item.request.to.uri) == "sip:74950000000@sip.provider.test"
    assert item.request.top_via.transport == "TCP"
    assert item.target == target


def test_settings_validate() -> None:
    with pytest.raises(OutboundError):
        BackOff(base_time=0)
    with pytest.raises(OutboundError):
        registration(expires=0)
    with pytest.raises(OutboundError):
        KeepAlive(LOCAL, random.Random(1), interval=0)


PHONE = Target(TransportKind.UDP, "192.0.2.10", 5062)


def answer(probes: list[Outgoing], status: int = 200) -> list[Response]:
    return [response_to(p.request, status, "OK") for p in probes]


def make_keepalive() -> KeepAlive:
    keepalive = KeepAlive(LOCAL, random.Random(3), interval=30.0, max_misses=3)
    uri = parse_uri("sip:alice@192.0.2.10:5062")
    assert isinstance(uri, SipUri)
    keepalive.add("alice-desk", uri, PHONE, 0.0)
    return keepalive


def test_keepalive_probes_every_interval_and_reports_up() -> None:
    keepalive = make_keepalive()
    assert keepalive.get_timer() == 0.0
    keepalive.handle_timer(0.0)
    (probe,) = keepalive.requests()
    assert probe.request.method == "OPTIONS"
    assert probe.target == PHONE
    keepalive.receive_response(answer([probe], 404)[0], 0.1)
    assert keepalive.events() == [PeerUp("alice-desk")]
    assert keepalive.state("alice-desk") is PeerState.UP
    assert keepalive.get_timer() == 30.0
    keepalive.handle_timer(30.0)
    (again,) = keepalive.requests()
    keepalive.receive_response(answer([again])[0], 30.2)
    assert keepalive.events() == []


def test_keepalive_marks_down_after_k_misses_and_up_again() -> None:
    keepalive = make_keepalive()
    for t in (0.0, 30.0, 60.0):
        keepalive.handle_timer(t)
        keepalive.requests()
    assert keepalive.events() == []
    keepalive.handle_timer(90.0)  # the third unanswered probe is counted now
    (probe,) = keepalive.requests()
    assert keepalive.events() == [PeerDown("alice-desk", 3)]
    assert keepalive.state("alice-desk") is PeerState.DOWN
    keepalive.receive_response(answer([probe])[0], 90.5)
    assert keepalive.events() == [PeerUp("alice-desk")]


def test_keepalive_transaction_failures_count_as_misses_once() -> None:
    keepalive = KeepAlive(LOCAL, random.Random(3), interval=30.0, max_misses=2)
    uri = parse_uri("sip:provider.test")
    assert isinstance(uri, SipUri)
    keepalive.add("trunk", uri, PROVIDER, 0.0)
    keepalive.handle_timer(0.0)
    (first,) = keepalive.requests()
    keepalive.failed(first.request, 32.0)
    keepalive.failed(first.request, 32.0)
    assert keepalive.events() == []
    keepalive.handle_timer(32.0)
    (second,) = keepalive.requests()
    keepalive.failed(second.request, 64.0)
    assert keepalive.events() == [PeerDown("trunk", 2)]
    keepalive.receive_response(answer([first])[0], 65.0)  # a late answer to an old probe changes nothing
    assert keepalive.events() == []


def test_keepalive_remove_stops_probing() -> None:
    keepalive = make_keepalive()
    assert keepalive.peers() == ("alice-desk",)
    keepalive.remove("alice-desk")
    keepalive.handle_timer(0.0)
    assert keepalive.requests() == []
    assert keepalive.get_timer() is None
    assert keepalive.state("alice-desk") is PeerState.UNKNOWN


@given(st.lists(st.sampled_from(["answer", "timeout", "silence"]), max_size=40), st.integers(1, 4))
def test_keepalive_state_follows_the_probe_outcomes(outcomes: list[str], max_misses: int) -> None:
    """One probe per interval, answered, failed or left silent (a miss once the next probe is due)."""
    keepalive = KeepAlive(LOCAL, random.Random(3), interval=30.0, max_misses=max_misses)
    uri = parse_uri("sip:provider.test")
    assert isinstance(uri, SipUri)
    keepalive.add("trunk", uri, PROVIDER, 0.0)
    state, misses = PeerState.UNKNOWN, 0
    expected: list[PeerUp | PeerDown] = []
    for step, outcome in enumerate([*outcomes, "end"]):
        now = 30.0 * step
        keepalive.handle_timer(now)
        assert keepalive.state("trunk") is state
        if outcome == "end":
            break
        (probe,) = keepalive.requests()
        if outcome == "answer":
            keepalive.receive_response(answer([probe])[0], now + 1.0)
            misses = 0
            if state is not PeerState.UP:
                state = PeerState.UP
                expected.append(PeerUp("trunk"))
            continue
        if outcome == "timeout":
            keepalive.failed(probe.request, now + 1.0)
        misses += 1
        if misses >= max_misses and state is not PeerState.DOWN:
            state = PeerState.DOWN
            expected.append(PeerDown("trunk", misses))
        if outcome == "timeout":
            assert keepalive.state("trunk") is state
    assert keepalive.events() == expected


def test_timeouts_and_503_fail_over_to_the_next_server_before_backing_off() -> None:
    second = Target(TransportKind.UDP, "203.0.113.2", 5060)
    third = Target(TransportKind.TCP, "203.0.113.3", 5060)
    uri, aor, contact = (
        parse_uri(f"sip:{REALM}"),
        parse_uri(f"sip:74950000000@{REALM}"),
        parse_uri("sip:x@192.0.2.50"),
    )
    assert isinstance(uri, SipUri)
    assert isinstance(aor, SipUri)
    assert isinstance(contact, SipUri)
    rng = random.Random(4)
    reg = OutboundRegistration(
        "provider",
        uri,
        aor,
        contact,
        PROVIDER,
        client=DigestClient("74950000000", "trunk-secret", rng),
        rng=rng,
        local=LOCAL,
        alternates=(second, third),
    )
    reg.start(0.0)
    (first,) = reg.requests()
    assert first.target == PROVIDER
    reg.failed(first.request, 32.0)
    (retry,) = reg.requests()
    assert retry.target == second
    assert reg.events() == []
    reg.receive_response(response_to(retry.request, 503, "Service Unavailable"), 33.0)
    (last,) = reg.requests()
    assert last.target == third
    assert last.request.top_via.transport == "TCP"
    reg.failed(last.request, 65.0)
    (event,) = reg.events()
    assert isinstance(event, TrunkRegistrationFailed)
    reg.handle_timer(event.retry_at)
    (again,) = reg.requests()
    assert again.target == PROVIDER
    assert exchange_with(reg, provider(), again, event.retry_at) == [401, 200]
    assert isinstance(reg.events()[0], TrunkRegistered)


def exchange_with(reg: OutboundRegistration, registrar: Registrar, first: Outgoing, now: float) -> list[int]:
    """Answer `first` (already taken from reg) and whatever follows from the registrar."""
    pending = [first]
    statuses: list[int] = []
    while pending:
        for item in pending:
            response = registrar.handle_register(item.request, LOCAL, now).response
            statuses.append(response.status)
            reg.receive_response(response, now)
        pending = reg.requests()
    return statuses


def test_stop_while_waiting_to_retry_still_removes_a_live_binding() -> None:
    registrar = provider()
    reg = registration()
    reg.start(0.0)
    exchange(reg, registrar, 0.0)
    reg.handle_timer(reg.get_timer() or 0.0)
    (refresh,) = reg.requests()
    reg.failed(refresh.request, 3600.0 - 10.0)
    assert reg.state is RegistrationState.WAITING
    reg.events()
    reg.stop(3600.0 - 5.0)
    (removal,) = reg.requests()
    assert removal.request.expires == 0


def test_stop_before_any_registration_sends_nothing() -> None:
    reg = registration()
    reg.stop(0.0)
    assert reg.requests() == []
    assert reg.state is RegistrationState.STOPPED
