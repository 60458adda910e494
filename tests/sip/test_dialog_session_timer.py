"""Session timers (RFC 4028) on a virtual clock."""

from __future__ import annotations

import pytest

from okc.sip import parse_message
from okc.sip.dialog import DialogError
from okc.sip.message import Request
from okc.sip.session_timer import (
    RefreshDue,
    Refresher,
    SessionExpired,
    SessionExpires,
    SessionTimer,
    SessionTimerError,
    check_session_interval,
)


def _invite(extra: str) -> Request:
    raw = (
        "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
        "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:a@h>\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()
    msg = parse_message(raw)
    assert isinstance(msg, Request)
    return msg


def test_parse_and_format() -> None:
    value = SessionExpires.parse("1800; refresher=UAS")
    assert value == SessionExpires(1800, Refresher.UAS)
    assert str(value) == "1800;refresher=uas"
    assert SessionExpires.parse(str(SessionExpires(90))) == SessionExpires(90)


@pytest.mark.parametrize("text", ["abc", "1800;refresher=both", "0"])
def test_bad_values(text: str) -> None:
    with pytest.raises(DialogError):
        SessionExpires.parse(text)


def test_too_small_interval_is_422_with_min_se() -> None:
    with pytest.raises(SessionTimerError) as info:
        check_session_interval(_invite("Session-Expires: 60\r\n"), 90)
    assert info.value.status == 422
    assert info.value.extra_headers == (("Min-SE", "90"),)


def test_uas_check_defaults_refresher_to_uac() -> None:
    assert check_session_interval(_invite("x: 1800\r\n")) == SessionExpires(1800, Refresher.UAC)
    assert check_session_interval(_invite("")) is None


def test_refresher_refreshes_at_half_interval() -> None:
    timer = SessionTimer(SessionExpires(1800, Refresher.UAC), we_refresh=True, now=100.0)
    assert timer.get_timer() == 1000.0
    assert timer.handle_timer(999.0) == []
    assert timer.handle_timer(1000.0) == [RefreshDue(1800)]
    timer.refreshed(1001.0)
    assert timer.get_timer() == 1901.0


def test_refresher_gives_up_when_refresh_never_succeeds() -> None:
    timer = SessionTimer(SessionExpires(1800), we_refresh=True, now=0.0)
    assert timer.handle_timer(900.0) == [RefreshDue(1800)]
    deadline = timer.get_timer()
    assert deadline == 1768.0
    assert timer.handle_timer(deadline) == [SessionExpired(1800)]
    assert timer.get_timer() is None


def test_non_refresher_sends_bye_at_expiry() -> None:
    timer = SessionTimer(SessionExpires(90), we_refresh=False, now=0.0)
    assert timer.get_timer() == 60.0
    timer.refreshed(50.0)
    assert timer.handle_timer(60.0) == []
    assert timer.handle_timer(110.0) == [SessionExpired(90)]
    assert timer.handle_timer(500.0) == []


def test_stop() -> None:
    timer = SessionTimer(SessionExpires(90), we_refresh=False, now=0.0)
    timer.stop()
    assert timer.get_timer() is None
    assert timer.handle_timer(1000.0) == []
