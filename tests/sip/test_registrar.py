"""Registrar and location service: every §10.3 rule, digest auth from stored HA1s, expiry in virtual time."""

from __future__ import annotations

import random

import pytest

from okc.config import CenterConfig
from okc.config.people import User
from okc.credentials import HA1Algorithm as StoredAlgorithm
from okc.credentials import digest_ha1
from okc.sip import DigestClient, NameAddr, Request, Response, Via, parse_uri
from okc.sip.auth import DigestAlgorithm, DigestChallenge, DigestCredentials
from okc.sip.registrar import (
    Account,
    LocationService,
    PhoneRegistered,
    PhoneUnregistered,
    Registrar,
    RegistrarError,
    RegistrarSettings,
    UnregisterReason,
)

REALM = "okc.test"
SECRET = b"registrar-secret-0123456789abcdef"
PHONE = ("192.0.2.10", 5062)


def account(login: str, password: str, extension: str | None = None) -> Account:
    return Account(
        login,
        extension,
        digest_ha1(login, REALM, password, StoredAlgorithm.MD5),
        digest_ha1(login, REALM, password, StoredAlgorithm.SHA_256),
    )


def make_registrar(**settings: int) -> Registrar:
    accounts = [account("alice", "wonder", "1001"), account("bob", "builder", "1002")]
    return Registrar(REALM, accounts, SECRET, random.Random(1), settings=RegistrarSettings(**settings))


class Phone:
    """A registering phone: builds REGISTERs with its own Call-ID and CSeq and answers challenges."""

    def __init__(self, user: str, password: str, *, call_id: str = "reg-1", login: str | None = None) -> None:
        self.user = user
        self.call_id = call_id
        self.cseq = 0
        self.client = DigestClient(login or user, password, random.Random(2))
        self.branch = 0

    def request(
        self, contacts: tuple[str, ...] = ("<sip:alice@192.0.2.10:5062>",), expires: int | None = None
    ) -> Request:
        self.cseq += 1
        self.branch += 1
        extra: list[tuple[str, str]] = [("Contact", c) for c in contacts]
        if expires is not None:
            extra.append(("Expires", str(expires)))
        return Request.build(
            "REGISTER",
            f"sip:{REALM}",
            via=Via.parse(f"SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK{self.call_id}-{self.branch}"),
            from_=NameAddr.parse(f"<sip:{self.user}@{REALM}>;tag=ph"),
            to=NameAddr.parse(f"<sip:{self.user}@{REALM}>"),
            call_id=self.call_id,
            cseq=self.cseq,
            extra=tuple(extra),
        )

    def register(
        self,
        registrar: Registrar,
        now: float,
        contacts: tuple[str, ...] = ("<sip:alice@192.0.2.10:5062>",),
        expires: int | None = None,
    ) -> Response:
        """REGISTER, answer the 401 with credentials, return the final response."""
        first = registrar.handle_register(self.request(contacts, expires), PHONE, now).response
        assert first.status == 401
        retry = self.client.retry(self.request(contacts, expires), first)
        self.cseq = retry.cseq.seq
        return registrar.handle_register(retry, PHONE, now).response


def contact_expiries(response: Response) -> dict[str, int | None]:
    return {str(c.uri): c.expires for c in response.contacts}


def test_register_is_challenged_then_accepted_with_the_stored_ha1() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "wonder")
    challenge = registrar.handle_register(phone.request(), PHONE, 0.0)
    assert challenge.response.status == 401
    assert challenge.response.headers.get_all("WWW-Authenticate")
    assert challenge.response.to.tag is not None
    assert not challenge.auth_failed
    response = phone.register(registrar, 1.0)
    assert response.status == 200
    assert contact_expiries(response) == {"sip:alice@192.0.2.10:5062": 3600}
    events = registrar.events()
    assert events == [
        PhoneRegistered("sip:alice@okc.test", parse_uri("sip:alice@192.0.2.10:5062"), 3600, PHONE)
    ]


def test_wrong_password_fails_and_registers_nothing() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "not-the-password")
    first = registrar.handle_register(phone.request(), PHONE, 0.0)
    outcome = registrar.handle_register(phone.client.retry(phone.request(), first.response), PHONE, 0.0)
    assert outcome.auth_failed
    assert outcome.response.status == 401
    assert registrar.lookup("alice") == ()
    assert registrar.events() == []


def test_extension_is_an_alias_of_the_login() -> None:
    registrar = make_registrar()
    phone = Phone("1001", "wonder", login="alice")
    assert phone.register(registrar, 0.0).status == 200
    assert [str(b.uri) for b in registrar.lookup("sip:alice@okc.test")] == ["sip:alice@192.0.2.10:5062"]
    assert registrar.lookup("1001") == registrar.lookup("alice")


def test_a_user_cannot_register_someone_else() -> None:
    registrar = make_registrar()
    bob_as_alice = Phone("alice", "builder", login="bob")
    assert bob_as_alice.register(registrar, 0.0).status == 403
    assert registrar.lookup("alice") == ()


def test_unknown_user_is_404_after_authentication() -> None:
    registrar = make_registrar()
    phone = Phone("nobody", "wonder", login="alice")
    assert phone.register(registrar, 0.0).status == 404


def test_expires_below_minimum_is_423_with_min_expires() -> None:
    registrar = make_registrar(min_expires=120)
    response = Phone("alice", "wonder").register(registrar, 0.0, expires=30)
    assert response.status == 423
    assert response.headers.get("Min-Expires") == "120"
    assert registrar.lookup("alice") == ()


def test_expires_above_maximum_is_capped_and_contact_param_beats_header() -> None:
    registrar = make_registrar(max_expires=600, default_expires=300)
    contacts = ("<sip:alice@192.0.2.10:5062>;expires=100000", "<sip:alice@192.0.2.11>")
    response = Phone("alice", "wonder").register(registrar, 0.0, contacts=contacts, expires=400)
    assert contact_expiries(response) == {"sip:alice@192.0.2.10:5062": 600, "sip:alice@192.0.2.11": 400}


def test_default_expiry_when_none_is_given() -> None:
    registrar = make_registrar(default_expires=1800, max_expires=3600)
    response = Phone("alice", "wonder").register(registrar, 0.0)
    assert contact_expiries(response) == {"sip:alice@192.0.2.10:5062": 1800}


def test_several_contacts_and_a_query_lists_remaining_expiry() -> None:
    registrar = make_registrar()
    desk = Phone("alice", "wonder", call_id="desk")
    soft = Phone("alice", "wonder", call_id="soft")
    desk.register(registrar, 0.0, contacts=("<sip:alice@192.0.2.10:5062>",), expires=600)
    response = soft.register(registrar, 100.0, contacts=("<sip:alice@198.51.100.7>;q=0.5",), expires=600)
    assert contact_expiries(response) == {"sip:alice@192.0.2.10:5062": 500, "sip:alice@198.51.100.7": 600}
    query = soft.register(registrar, 250.0, contacts=())
    assert contact_expiries(query) == {"sip:alice@192.0.2.10:5062": 350, "sip:alice@198.51.100.7": 450}


def test_lookup_orders_by_q_then_most_recent() -> None:
    registrar = make_registrar()
    Phone("alice", "wonder", call_id="a").register(registrar, 0.0, contacts=("<sip:a@192.0.2.1>;q=0.5",))
    Phone("alice", "wonder", call_id="b").register(registrar, 1.0, contacts=("<sip:b@192.0.2.2>",))
    Phone("alice", "wonder", call_id="c").register(registrar, 2.0, contacts=("<sip:c@192.0.2.3>;q=0.5",))
    assert [str(b.uri) for b in registrar.lookup("alice")] == [
        "sip:b@192.0.2.2",
        "sip:c@192.0.2.3",
        "sip:a@192.0.2.1",
    ]


def test_bindings_expire_in_virtual_time() -> None:
    registrar = make_registrar()
    Phone("alice", "wonder").register(registrar, 10.0, expires=60)
    registrar.events()
    assert registrar.get_timer() == 70.0
    registrar.handle_timer(69.9)
    assert registrar.events() == []
    registrar.handle_timer(70.0)
    assert registrar.events() == [
        PhoneUnregistered(
            "sip:alice@okc.test", parse_uri("sip:alice@192.0.2.10:5062"), UnregisterReason.EXPIRED
        )
    ]
    assert registrar.lookup("alice") == ()
    assert registrar.get_timer() is None


def test_refresh_extends_without_a_new_registered_event() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "wonder")
    phone.register(registrar, 0.0, expires=60)
    registrar.events()
    phone.register(registrar, 50.0, expires=60)
    assert registrar.events() == []
    registrar.handle_timer(100.0)
    assert registrar.events() == []
    assert registrar.get_timer() == 110.0


def test_expires_zero_removes_one_contact() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "wonder")
    phone.register(registrar, 0.0, contacts=("<sip:alice@192.0.2.10:5062>", "<sip:alice@192.0.2.11>"))
    registrar.events()
    response = phone.register(registrar, 5.0, contacts=("<sip:alice@192.0.2.11>;expires=0",))
    assert contact_expiries(response) == {"sip:alice@192.0.2.10:5062": 3595}
    assert registrar.events() == [
        PhoneUnregistered("sip:alice@okc.test", parse_uri("sip:alice@192.0.2.11"), UnregisterReason.REMOVED)
    ]


def test_star_with_expires_zero_removes_every_contact() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "wonder")
    Phone("alice", "wonder", call_id="other").register(registrar, 0.0, contacts=("<sip:x@192.0.2.9>",))
    phone.register(registrar, 0.0)
    registrar.events()
    response = phone.register(registrar, 1.0, contacts=("*",), expires=0)
    assert response.status == 200
    assert response.contacts == ()
    assert {e.contact for e in registrar.events() if isinstance(e, PhoneUnregistered)} == {
        parse_uri("sip:x@192.0.2.9"),
        parse_uri("sip:alice@192.0.2.10:5062"),
    }
    assert registrar.lookup("alice") == ()


@pytest.mark.parametrize(
    ("contacts", "expires"), [(("*",), 60), (("*",), None), (("*", "<sip:alice@192.0.2.10>"), 0)]
)
def test_star_needs_expires_zero_and_to_stand_alone(contacts: tuple[str, ...], expires: int | None) -> None:
    registrar = make_registrar()
    assert Phone("alice", "wonder").register(registrar, 0.0, contacts=contacts, expires=expires).status == 400


def test_same_call_id_with_an_old_cseq_is_rejected_and_changes_nothing() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "wonder")
    phone.register(registrar, 0.0, contacts=("<sip:alice@192.0.2.10:5062>",), expires=600)
    registrar.events()
    phone.cseq -= 5  # an out-of-order (delayed) REGISTER
    late = phone.register(registrar, 1.0, contacts=("<sip:alice@192.0.2.10:5062>",), expires=0)
    assert late.status == 500
    assert [b.remaining(1.0) for b in registrar.lookup("alice")] == [599]
    assert registrar.events() == []


def test_star_with_an_old_cseq_on_the_same_call_id_is_rejected() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "wonder")
    phone.register(registrar, 0.0)
    phone.cseq -= 5
    assert phone.register(registrar, 1.0, contacts=("*",), expires=0).status == 500
    assert len(registrar.lookup("alice")) == 1


def test_a_new_call_id_replaces_the_binding_and_reports_a_restart() -> None:
    registrar = make_registrar()
    Phone("alice", "wonder", call_id="boot-1").register(registrar, 0.0)
    registrar.events()
    restarted = Phone("alice", "wonder", call_id="boot-2")
    assert restarted.register(registrar, 10.0).status == 200
    (event,) = registrar.events()
    assert isinstance(event, PhoneRegistered)
    (binding,) = registrar.lookup("alice")
    assert binding.call_id == "boot-2"


def test_too_many_contacts_is_refused_whole() -> None:
    registrar = make_registrar(max_contacts=2)
    contacts = tuple(f"<sip:alice@192.0.2.{i}>" for i in range(1, 4))
    assert Phone("alice", "wonder").register(registrar, 0.0, contacts=contacts).status == 403
    assert registrar.lookup("alice") == ()


def test_required_extension_is_refused_with_420() -> None:
    registrar = make_registrar()
    phone = Phone("alice", "wonder")
    request = phone.request()
    request = request.replace(headers=request.headers.with_added("Require", "gruu"))
    response = registrar.handle_register(request, PHONE, 0.0).response
    assert response.status == 420
    assert response.headers.get("Unsupported") == "gruu"


def test_foreign_domain_is_404_when_domains_are_set() -> None:
    registrar = Registrar(REALM, [account("alice", "wonder")], SECRET, random.Random(1), domains=())
    request = Phone("alice", "wonder").request()
    request = request.replace(uri=parse_uri("sip:elsewhere.example"))
    assert registrar.handle_register(request, PHONE, 0.0).response.status == 404


def test_location_service_replace_reports_changes() -> None:
    location = LocationService()
    location.replace("sip:a@r", [])
    assert location.events() == []
    assert location.aors() == ()


def test_settings_and_accounts_validate() -> None:
    with pytest.raises(RegistrarError):
        RegistrarSettings(min_expires=100, default_expires=50)
    with pytest.raises(RegistrarError):
        Registrar(REALM, [account("a", "p", "1"), account("b", "p", "1")], SECRET, random.Random(1))
    registrar = make_registrar()
    with pytest.raises(RegistrarError):
        registrar.handle_register(
            Request.build(
                "OPTIONS",
                "sip:okc.test",
                via=Via.parse("SIP/2.0/UDP h;branch=z9hG4bKx"),
                from_=NameAddr.parse("<sip:a@h>;tag=1"),
                to=NameAddr.parse("<sip:a@h>"),
                call_id="c",
                cseq=1,
            ),
            PHONE,
            0.0,
        )


def test_from_config_takes_users_with_digest_hashes() -> None:
    center = CenterConfig(
        users=(
            User(
                login="agent1",
                extension="1002",
                ha1_md5=digest_ha1("agent1", "okc.local", "pw", StoredAlgorithm.MD5),
                ha1_sha256=digest_ha1("agent1", "okc.local", "pw", StoredAlgorithm.SHA_256),
            ),
            User(login="viewer"),
        )
    )
    registrar = Registrar.from_config(center, SECRET, random.Random(3))
    assert registrar.realm == "okc.local"
    assert registrar.account_for("1002") == registrar.account_for("agent1")
    assert registrar.account_for("viewer") is None


@pytest.mark.parametrize(
    ("lenient", "signed", "status"),
    [
        (False, "sip:okc.test;transport=UDP", 401),
        (True, "sip:okc.test;transport=UDP", 200),
        (True, "sip:elsewhere.test", 401),
    ],
)
def test_digest_uri_differing_only_in_parameters(lenient: bool, signed: str, status: int) -> None:
    registrar = Registrar(
        REALM, [account("alice", "wonder")], SECRET, random.Random(1), lenient_digest_uri=lenient
    )
    phone = Phone("alice", "wonder")
    challenge = registrar.handle_register(phone.request(), PHONE, 0.0).response
    target, picked = phone.client.pick(challenge)[0]
    creds = phone.client.credentials(picked, "REGISTER", signed)
    request = phone.request()
    request = request.replace(headers=request.headers.with_added(target, str(creds)))
    assert registrar.handle_register(request, PHONE, 0.0).response.status == status


def test_sha256_challenges_when_offered_and_a_matching_proxy_digest() -> None:
    algorithms = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5)
    registrar = Registrar(
        REALM, [account("alice", "wonder")], SECRET, random.Random(1), algorithms=algorithms
    )
    phone = Phone("alice", "wonder")
    challenge = registrar.handle_register(phone.request(), PHONE, 0.0).response
    assert [
        DigestChallenge.parse(v).algorithm for v in challenge.headers.get_all("WWW-Authenticate")
    ] == list(algorithms)
    retry = phone.client.retry(phone.request(), challenge)
    assert (
        DigestCredentials.parse(retry.headers.get_all("Authorization")[0]).algorithm
        is DigestAlgorithm.SHA_256
    )
    assert registrar.handle_register(retry, PHONE, 0.0).response.status == 200
    proxy = registrar.proxy_digest(b"another-secret-0123456789abcdef0")
    assert proxy.proxy
    assert proxy.algorithms == algorithms
    assert make_registrar().algorithms == (DigestAlgorithm.MD5,)
