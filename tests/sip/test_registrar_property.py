"""Registrar state machine under hypothesis: random REGISTER sequences (several phones, refreshes, removals,
Contact *, stale CSeqs) and clock jumps agree with a simple model, and the events replay to the bindings."""

from __future__ import annotations

import random

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from okc.credentials import HA1Algorithm, digest_ha1
from okc.sip import DigestClient, NameAddr, Request, Via, parse_uri
from okc.sip.registrar import (
    Account,
    PhoneRegistered,
    PhoneUnregistered,
    Registrar,
    RegistrarSettings,
    contact_key,
)

REALM = "okc.test"
SOURCE = ("192.0.2.10", 5062)
CONTACTS = tuple(f"sip:alice@192.0.2.{n}" for n in range(1, 6))
SETTINGS = RegistrarSettings(min_expires=10, default_expires=100, max_expires=200, max_contacts=3)


class RegistrarMachine(RuleBasedStateMachine):
    """Model: contact -> (call_id, cseq, expires_at); phones: call_id -> last CSeq."""

    def __init__(self) -> None:
        super().__init__()
        account = Account(
            "alice",
            "1001",
            digest_ha1("alice", REALM, "wonder", HA1Algorithm.MD5),
            digest_ha1("alice", REALM, "wonder", HA1Algorithm.SHA_256),
        )
        self.registrar = Registrar(
            REALM, [account], b"property-secret-0123456789abcdef", random.Random(0), settings=SETTINGS
        )
        self.client = DigestClient("alice", "wonder", random.Random(1))
        self.now = 0.0
        self.cseq: dict[str, int] = {}
        self.model: dict[str, tuple[str, int, float]] = {}
        self.live: set[str] = set()  # what the events say is registered

    def _send(self, call_id: str, cseq: int, contacts: list[str], expires: int | None) -> int:
        extra = [("Contact", c) for c in contacts]
        if expires is not None:
            extra.append(("Expires", str(expires)))
        request = Request.build(
            "REGISTER",
            f"sip:{REALM}",
            via=Via.parse(f"SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK{call_id}{cseq}"),
            from_=NameAddr.parse(f"<sip:alice@{REALM}>;tag=t"),
            to=NameAddr.parse(f"<sip:alice@{REALM}>"),
            call_id=call_id,
            cseq=cseq,
            extra=tuple(extra),
        )
        challenge = self.registrar.handle_register(request, SOURCE, self.now).response
        retry = self.client.retry(request, challenge)
        retry = retry.replace(headers=retry.headers.with_replaced("CSeq", f"{cseq} REGISTER"))
        return self.registrar.handle_register(retry, SOURCE, self.now).response.status

    def _expected(self, call_id: str, cseq: int, contacts: list[str], expires: int | None) -> int:
        """The status §10.3 calls for, applying the change to the model when it is accepted."""
        star = contacts == ["*"]
        if star:
            if expires != 0:
                return 400
            if any(c == call_id and cseq <= s for c, s, _ in self.model.values()):
                return 500
            self.model.clear()
            return 200
        updated = dict(self.model)
        for contact in contacts:
            value = expires if expires is not None else SETTINGS.default_expires
            if value != 0 and value < SETTINGS.min_expires:
                return 423
            key = contact_key(parse_uri(contact))
            old = self.model.get(key)
            if old is not None and old[0] == call_id and cseq <= old[1]:
                return 500
            if value == 0:
                updated.pop(key, None)
            else:
                updated[key] = (call_id, cseq, self.now + min(value, SETTINGS.max_expires))
        if len(updated) > SETTINGS.max_contacts:
            return 403
        self.model = updated
        return 200

    @rule(
        phone=st.sampled_from(["desk", "soft", "mobile"]),
        contacts=st.one_of(st.just(["*"]), st.lists(st.sampled_from(CONTACTS), max_size=3, unique=True)),
        expires=st.one_of(st.none(), st.sampled_from([0, 5, 10, 60, 150, 500])),
        stale=st.booleans(),
    )
    def register(self, phone: str, contacts: list[str], expires: int | None, stale: bool) -> None:
        last = self.cseq.get(phone, 0)
        cseq = max(1, last - 1) if stale and last > 1 else last + 1
        self.cseq[phone] = max(last, cseq)
        expected = self._expected(phone, cseq, contacts, expires)
        assert self._send(phone, cseq, contacts, expires) == expected

    @rule(seconds=st.sampled_from([1.0, 9.5, 50.0, 120.0, 250.0]))
    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.registrar.handle_timer(self.now)
        self.model = {k: v for k, v in self.model.items() if v[2] > self.now}

    @invariant()
    def bindings_match_the_model_and_the_events(self) -> None:
        bindings = self.registrar.lookup("alice")
        assert {contact_key(b.uri): (b.call_id, b.cseq, b.expires_at) for b in bindings} == self.model
        assert len(bindings) <= SETTINGS.max_contacts
        assert all(b.expires_at > self.now for b in bindings)
        timer = self.registrar.get_timer()
        assert timer == (min(b.expires_at for b in bindings) if bindings else None)
        for event in self.registrar.events():
            key = contact_key(event.contact)
            if isinstance(event, PhoneRegistered):
                self.live.add(key)
            elif isinstance(event, PhoneUnregistered):
                self.live.discard(key)
        assert self.live == set(self.model)


TestRegistrarMachine = RegistrarMachine.TestCase
TestRegistrarMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
