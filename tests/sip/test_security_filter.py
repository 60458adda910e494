"""AccessFilter plugged into the sans-I/O user agent core: REGISTER answered by the registrar, INVITEs
challenged by the gate, failures from either counted toward one ban."""

from __future__ import annotations

import random

from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import DigestClient, DigestServer, NameAddr, Request, Response, Via, parse_message
from okc.sip.registrar import Account, Registrar
from okc.sip.security import AccessFilter, AuthBan, BanAction, BanSettings, RequestGate
from okc.sip.ua import UserAgentCore
from okc.sip.ua_events import IncomingCall

REALM = "okc.test"
SECRET = b"filter-secret-0123456789abcdef01"
PHONE = ("192.0.2.10", 5062)
SERVER = ("192.0.2.1", 5060)


def make_server(action: BanAction = BanAction.DROP) -> tuple[UserAgentCore, AccessFilter, Registrar]:
    account = Account(
        "alice",
        "1001",
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
        digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
    )
    rng = random.Random(7)
    registrar = Registrar(REALM, [account], SECRET, rng)
    digest = DigestServer(REALM, SECRET, registrar.ha1, rng, proxy=True)
    gate = RequestGate(digest, ban=AuthBan(BanSettings(max_failures=2, ban_time=60.0, action=action)))
    access = AccessFilter(gate, registrar)
    return UserAgentCore(SERVER, rng=rng, request_filter=access), access, registrar


def request(method: str, branch: str, cseq: int = 1) -> Request:
    return Request.build(
        method,
        f"sip:{'1001@' if method == 'INVITE' else ''}{REALM}",
        via=Via.parse(f"SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK{branch}"),
        from_=NameAddr.parse(f"<sip:alice@{REALM}>;tag=ph"),
        to=NameAddr.parse(f"<sip:alice@{REALM}>"),
        call_id=f"{method}-call",
        cseq=cseq,
        contact=NameAddr.parse("<sip:alice@192.0.2.10:5062>"),
    )


def exchange(ua: UserAgentCore, message: Request, now: float) -> list[Response]:
    ua.receive(bytes(message), PHONE, now)
    out = []
    for data, address in ua.datagrams():
        assert address == PHONE
        parsed = parse_message(data)
        assert isinstance(parsed, Response)
        out.append(parsed)
    return out


def test_register_over_the_user_agent_core() -> None:
    ua, _, registrar = make_server()
    (challenge,) = exchange(ua, request("REGISTER", "r1"), 0.0)
    assert challenge.status == 401
    retry = DigestClient("alice", "wonder", random.Random(1)).retry(request("REGISTER", "r1"), challenge)
    (ok,) = exchange(ua, retry, 0.5)
    assert ok.status == 200
    assert [str(b.uri) for b in registrar.lookup("1001")] == ["sip:alice@192.0.2.10:5062"]


def test_invite_is_challenged_with_407_then_reaches_the_user_agent() -> None:
    ua, _, _ = make_server()
    responses = exchange(ua, request("INVITE", "i1"), 0.0)
    assert [r.status for r in responses] == [407]
    assert ua.events() == []
    retry = DigestClient("alice", "wonder", random.Random(1)).retry(request("INVITE", "i1"), responses[0])
    exchange(ua, retry, 0.1)
    assert [type(e) for e in ua.events()] == [IncomingCall]


def test_register_failures_ban_the_source_for_invites_too() -> None:
    ua, access, _ = make_server()
    for n in range(2):
        (challenge,) = exchange(ua, request("REGISTER", f"b{n}", 2 * n + 1), float(n))
        retry = DigestClient("alice", "guess", random.Random(n)).retry(
            request("REGISTER", f"b{n}", 2 * n + 1), challenge
        )
        exchange(ua, retry, float(n))
    assert access.should_drop(PHONE, 5.0)
    assert not access.should_drop(("192.0.2.11", 5062), 5.0)  # other addresses unaffected
    assert [r.status for r in exchange(ua, request("INVITE", "i9"), 5.0)] == [403]
    assert not access.should_drop(PHONE, 62.0)


def test_options_pass_without_credentials() -> None:
    ua, _, _ = make_server()
    assert [r.status for r in exchange(ua, request("OPTIONS", "o1"), 0.0)] == [200]
