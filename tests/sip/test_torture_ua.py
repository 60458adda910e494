"""RFC 4475's torture messages fed to a whole UserAgentCore: what goes back on the wire is the RFC's outcome.

The table test (test_torture.py) checks the parser and validate_request; this one checks that the layer and
the UA core really send those answers — a 400 salvaged from unparseable bytes, 505/416/420/483 for an
out-of-dialog OPTIONS, a stateless 400 for a CSeq method mismatch, and an RFC 2543 INVITE (no From tag, no
Contact) accepted as a call.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from okc.sip import Response, UserAgentCore, parse_message
from okc.sip.ua_events import MessageDropped, OptionsReceived
from tests.sip.test_torture import DROP, RFC4475, VALID

#: Valid requests a UA without those dialogs or methods still turns down, with the status it must use.
_VALID_REFUSALS = {"wsinv": 481, "intmeth": 501, "esc02": 501}
#: The one request RFC 4475 wants a 400 for whose Via itself is broken: nothing can be addressed.
_UNADDRESSABLE = {"ipv6-bug-abnf-3-colons"}


def _feed(data: bytes) -> tuple[list[int], list[object]]:
    ua = UserAgentCore(("127.0.0.1", 5060), rng=random.Random(1), user="bob")
    ua.receive(data, ("192.0.2.9", 5060), 0.0)
    statuses = []
    for sent, _ in ua.datagrams():
        answer = parse_message(sent)
        assert isinstance(answer, Response)
        statuses.append(answer.status)
    return statuses, list(ua.events())


@pytest.mark.parametrize(("name", "expected"), [(n, o) for n, (_, o) in sorted(RFC4475.items())])
def test_user_agent_core_answers_as_rfc_4475_says(
    shared_testdata: Path, name: str, expected: str | int
) -> None:
    statuses, events = _feed((shared_testdata / "rfc4475" / f"{name}.dat").read_bytes())
    if expected == DROP:
        assert statuses == []
        assert any(isinstance(e, MessageDropped) for e in events)
    elif expected == VALID:
        if name in _VALID_REFUSALS:
            assert statuses == [_VALID_REFUSALS[name]]
        else:
            assert all(s < 300 for s in statuses), statuses  # accepted (or a response: nothing to send)
            assert not any(isinstance(e, MessageDropped) for e in events)
    else:
        assert statuses == [expected]
        assert not any(isinstance(e, OptionsReceived) for e in events)


def test_the_broken_ipv6_via_is_only_dropped(shared_testdata: Path) -> None:
    for name in _UNADDRESSABLE:
        statuses, events = _feed((shared_testdata / "rfc5118" / f"{name}.dat").read_bytes())
        assert statuses == []
        assert any(isinstance(e, MessageDropped) for e in events)
