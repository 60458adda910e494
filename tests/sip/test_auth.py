"""Digest authentication: RFC 7616 vectors, header grammar, and okc's client against okc's server."""

from __future__ import annotations

import random

import pytest

from okc.credentials import HA1Algorithm as StoredAlgorithm
from okc.credentials import digest_ha1
from okc.sip import parse_message
from okc.sip.auth import (
    AuthAccepted,
    AuthChallenged,
    AuthError,
    AuthFailed,
    DigestAlgorithm,
    DigestChallenge,
    DigestClient,
    DigestCredentials,
    DigestServer,
    digest_response,
    parse_auth_params,
)
from okc.sip.message import Request

REALM = "okc.test"
SECRET = b"0123456789abcdef0123456789abcdef"

# RFC 7616 §3.9.1 (HTTP, but the digest arithmetic is the one SIP uses)
RFC_USER, RFC_PASS, RFC_REALM = "Mufasa", "Circle of Life", "http-auth@example.org"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        (DigestAlgorithm.MD5, "8ca523f5e9506fed4657c9700eebdbec"),
        (DigestAlgorithm.SHA_256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_vectors(algorithm: DigestAlgorithm, expected: str) -> None:
    ha1 = algorithm.hexdigest(f"{RFC_USER}:{RFC_REALM}:{RFC_PASS}")
    got = digest_response(
        algorithm,
        ha1,
        method="GET",
        uri="/dir/index.html",
        nonce=RFC_NONCE,
        qop="auth",
        nc=1,
        cnonce=RFC_CNONCE,
    )
    assert got == expected


def test_rfc7616_authorization_header_parses() -> None:
    value = (
        'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        'algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
        'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    creds = DigestCredentials.parse(value)
    assert creds.username == "Mufasa"
    assert creds.nc == 1
    assert creds.algorithm is DigestAlgorithm.SHA_256
    assert DigestCredentials.parse(str(creds)) == creds


def test_stored_ha1_matches_credentials_module() -> None:
    ha1 = digest_ha1("alice", REALM, "pw", StoredAlgorithm.SHA_256)
    assert ha1 == DigestAlgorithm.SHA_256.hexdigest(f"alice:{REALM}:pw")


def test_challenge_round_trip_and_unknown_params() -> None:
    c = DigestChallenge.parse('Digest realm="a\\"b", nonce="n1", qop="auth,auth-int", foo=bar, stale=TRUE')
    assert c.realm == 'a"b'
    assert c.qop == ("auth", "auth-int")
    assert c.stale
    assert c.algorithm is DigestAlgorithm.MD5
    assert DigestChallenge.parse(str(c)) == c


@pytest.mark.parametrize(
    "value",
    [
        "Basic realm=x",
        'Digest realm="x"',
        'Digest realm="x, nonce="y"',
        "Digest realm x",
        'Digest realm="x" nonce="y"',
        'Digest realm="x", nonce="y", algorithm=SHA-512-256',
        'Digest realm="x", realm="y", nonce="z"',
    ],
)
def test_bad_challenges_raise_auth_error(value: str) -> None:
    with pytest.raises(AuthError):
        DigestChallenge.parse(value)


def test_bad_nonce_count_rejected() -> None:
    base = 'Digest username="u", realm="r", nonce="n", uri="sip:x", response="0", qop=auth, cnonce="c", '
    with pytest.raises(AuthError):
        DigestCredentials.parse(base + "nc=1")
    with pytest.raises(AuthError):
        DigestCredentials.parse(base + "nc=00000000")


def test_parse_auth_params_keeps_commas_in_quotes() -> None:
    scheme, params = parse_auth_params('Digest a="x, y", b=z')
    assert scheme == "Digest"
    assert params == (("a", "x, y"), ("b", "z"))


def test_sess_algorithm_rekeys_ha1() -> None:
    ha1 = DigestAlgorithm.MD5.hexdigest("u:r:p")
    plain = digest_response(
        DigestAlgorithm.MD5, ha1, method="INVITE", uri="sip:x", nonce="n", qop="auth", nc=1, cnonce="c"
    )
    sess = digest_response(
        DigestAlgorithm.MD5_SESS, ha1, method="INVITE", uri="sip:x", nonce="n", qop="auth", nc=1, cnonce="c"
    )
    assert plain != sess
    assert DigestAlgorithm.MD5_SESS.base is DigestAlgorithm.MD5


# --- okc client against okc server ------------------------------------------------------------------


def _register() -> Request:
    raw = (
        b"REGISTER sip:okc.test SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKfirst\r\n"
        b"Max-Forwards: 70\r\n"
        b"From: <sip:alice@okc.test>;tag=a1\r\n"
        b"To: <sip:alice@okc.test>\r\n"
        b"Call-ID: reg-1\r\n"
        b"CSeq: 1 REGISTER\r\n"
        b"Contact: <sip:alice@127.0.0.1:5070>\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    msg = parse_message(raw)
    assert isinstance(msg, Request)
    return msg


def _server(
    algorithms: tuple[DigestAlgorithm, ...] = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5),
    *,
    proxy: bool = False,
) -> DigestServer:
    def lookup(user: str, algorithm: DigestAlgorithm) -> str | None:
        if user != "alice":
            return None
        return algorithm.hexdigest(f"alice:{REALM}:secret")

    return DigestServer(REALM, SECRET, lookup, random.Random(1), algorithms=algorithms, proxy=proxy)


def _challenge(server: DigestServer, now: float) -> AuthChallenged:
    outcome = server.authenticate(_register(), now)
    assert isinstance(outcome, AuthChallenged)
    return outcome


def test_server_challenges_sha256_first_then_md5() -> None:
    outcome = _challenge(_server(), 0.0)
    assert outcome.response.status == 401
    assert not outcome.stale
    algs = [DigestChallenge.parse(v).algorithm for v in outcome.response.headers.get_all("WWW-Authenticate")]
    assert algs == [DigestAlgorithm.SHA_256, DigestAlgorithm.MD5]


@pytest.mark.parametrize(
    ("enabled", "expected"),
    [
        (frozenset(DigestAlgorithm), DigestAlgorithm.SHA_256),
        (frozenset({DigestAlgorithm.MD5}), DigestAlgorithm.MD5),
    ],
)
def test_client_success_picks_strongest_supported(
    enabled: frozenset[DigestAlgorithm], expected: DigestAlgorithm
) -> None:
    server = _server()
    client = DigestClient("alice", "secret", random.Random(2), algorithms=enabled)
    first = _register()
    retried = client.retry(first, _challenge(server, 10.0).response)
    assert retried.cseq.seq == 2
    assert retried.top_via.branch != first.top_via.branch
    assert retried.top_via.branch is not None
    assert retried.top_via.branch.startswith("z9hG4bK")
    creds = DigestCredentials.parse(retried.headers.get_all("Authorization")[0])
    assert creds.algorithm is expected
    assert server.authenticate(retried, 11.0) == AuthAccepted("alice")


def test_proxy_407_answered_in_proxy_authorization() -> None:
    server = _server(proxy=True)
    challenge = _challenge(server, 0.0).response
    assert challenge.status == 407
    retried = DigestClient("alice", "secret", random.Random(3)).retry(_register(), challenge)
    assert retried.headers.get("Proxy-Authorization") is not None
    assert retried.headers.get("Authorization") is None
    assert isinstance(server.authenticate(retried, 1.0), AuthAccepted)


def test_wrong_password_fails_and_rechallenges() -> None:
    server = _server()
    retried = DigestClient("alice", "wrong", random.Random(4)).retry(
        _register(), _challenge(server, 0.0).response
    )
    outcome = server.authenticate(retried, 1.0)
    assert isinstance(outcome, AuthFailed)
    assert outcome.username == "alice"
    assert outcome.response.status == 401


def test_unknown_user_fails() -> None:
    server = _server()
    retried = DigestClient("mallory", "secret", random.Random(4)).retry(
        _register(), _challenge(server, 0.0).response
    )
    assert isinstance(server.authenticate(retried, 1.0), AuthFailed)


def test_stale_nonce_yields_stale_challenge_and_retry_succeeds() -> None:
    server = _server()
    client = DigestClient("alice", "secret", random.Random(5))
    retried = client.retry(_register(), _challenge(server, 0.0).response)
    late = server.authenticate(retried, 301.0)
    assert isinstance(late, AuthChallenged)
    assert late.stale
    assert all(DigestChallenge.parse(v).stale for v in late.response.headers.get_all("WWW-Authenticate"))
    again = client.retry(retried, late.response)
    assert again.cseq.seq == 3
    assert isinstance(server.authenticate(again, 302.0), AuthAccepted)


def test_replayed_nonce_count_fails_and_increasing_nc_passes() -> None:
    server = _server()
    client = DigestClient("alice", "secret", random.Random(6))
    challenge_response = _challenge(server, 0.0).response
    retried = client.retry(_register(), challenge_response)
    assert isinstance(server.authenticate(retried, 1.0), AuthAccepted)
    replay = server.authenticate(retried, 2.0)
    assert isinstance(replay, AuthFailed)
    assert "replayed" in replay.reason
    # the client reuses the nonce with nc=2: accepted
    next_request = client.retry(retried, challenge_response)
    creds = DigestCredentials.parse(next_request.headers.get_all("Authorization")[0])
    assert creds.nc == 2
    assert isinstance(server.authenticate(next_request, 3.0), AuthAccepted)


def test_forged_nonce_fails() -> None:
    server = _server()
    other = DigestServer(REALM, b"another-secret-of-32-bytes......", lambda u, a: None, random.Random(0))
    forged = other.challenge(_register(), 0.0)
    retried = DigestClient("alice", "secret", random.Random(7)).retry(_register(), forged)
    outcome = server.authenticate(retried, 1.0)
    assert isinstance(outcome, AuthFailed)
    assert "nonce" in outcome.reason


def test_credentials_for_other_realm_are_ignored() -> None:
    server = _server()
    req = _register()
    req = req.replace(
        headers=req.headers.with_added(
            "Authorization",
            'Digest username="alice", realm="other", nonce="n", uri="sip:okc.test", response="00"',
        )
    )
    assert isinstance(server.authenticate(req, 0.0), AuthChallenged)


def test_client_rejects_unanswerable_challenges() -> None:
    client = DigestClient(
        "alice", "secret", random.Random(8), algorithms=frozenset({DigestAlgorithm.SHA_256})
    )
    md5_only = _server((DigestAlgorithm.MD5,))
    with pytest.raises(AuthError):
        client.retry(_register(), _challenge(md5_only, 0.0).response)
    ok = _server()
    not_challenge = _challenge(ok, 0.0).response.replace()
    with pytest.raises(AuthError):
        client.pick(parse_message(bytes(not_challenge).replace(b"401 Unauthorized", b"403 Forbidden")))  # type: ignore[arg-type]


def test_server_rejects_short_secret() -> None:
    with pytest.raises(AuthError):
        DigestServer(REALM, b"short", lambda u, a: None, random.Random(0))
