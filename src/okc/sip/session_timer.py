"""SIP session timers (RFC 4028), sans-I/O: Session-Expires / Min-SE values, the UAS check, and the timer.

`check_session_interval` answers a request whose Session-Expires is below our Min-SE with a 422 hint;
`SessionTimer` runs on the caller's clock: the refresher gets `RefreshDue` at half the interval, the other
side gets `SessionExpired` (send BYE) when no refresh came by the interval minus min(32, interval/3).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from okc.sip.dialog import DialogError
from okc.sip.message import Request, Response

__all__ = [
    "RefreshDue",
    "Refresher",
    "SessionExpired",
    "SessionExpires",
    "SessionTimer",
    "SessionTimerError",
    "check_session_interval",
]

MIN_SE_FLOOR = 90


class Refresher(enum.Enum):
    """Which side sends the refreshes."""

    UAC = "uac"
    UAS = "uas"


class SessionTimerError(DialogError):
    """A Session-Expires below our minimum: answer 422 with `min_se` in a Min-SE header."""

    def __init__(self, message: str, min_se: int) -> None:
        super().__init__(message, 422)
        self.min_se = min_se

    @property
    def extra_headers(self) -> tuple[tuple[str, str], ...]:
        """The Min-SE header the 422 must carry."""
        return (("Min-SE", str(self.min_se)),)


@dataclass(frozen=True, slots=True)
class SessionExpires:
    """A Session-Expires value: interval in seconds and the optional refresher parameter."""

    interval: int
    refresher: Refresher | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.interval < 2**32:
            raise DialogError(f"Session-Expires out of range: {self.interval}", 400)

    @classmethod
    def parse(cls, text: str) -> SessionExpires:
        """Parse `1800;refresher=uac`."""
        head, *params = [p.strip() for p in text.split(";")]
        if not head.isdigit():
            raise DialogError(f"invalid Session-Expires {text!r}", 400)
        refresher: Refresher | None = None
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "refresher":
                try:
                    refresher = Refresher(value.strip().lower())
                except ValueError:
                    raise DialogError(f"invalid refresher {value!r}", 400) from None
        return cls(int(head), refresher)

    @classmethod
    def of(cls, message: Request | Response) -> SessionExpires | None:
        """The Session-Expires (or compact x) of a message, if present."""
        value = message.headers.get("Session-Expires") or message.headers.get("x")
        return None if value is None else cls.parse(value)

    def __str__(self) -> str:
        return (
            str(self.interval)
            if self.refresher is None
            else f"{self.interval};refresher={self.refresher.value}"
        )


def check_session_interval(request: Request, min_se: int = MIN_SE_FLOOR) -> SessionExpires | None:
    """UAS side: the requested Session-Expires, with the refresher chosen (uac when unset) or None.

    Raises SessionTimerError (422) when it is below `min_se`.
    """
    wanted = SessionExpires.of(request)
    if wanted is None:
        return None
    if wanted.interval < min_se:
        raise SessionTimerError(f"Session-Expires {wanted.interval} below Min-SE {min_se}", min_se)
    return SessionExpires(wanted.interval, wanted.refresher or Refresher.UAC)


@dataclass(frozen=True, slots=True)
class RefreshDue:
    """Send a refresh (re-INVITE or UPDATE) now: we are the refresher and half the interval passed."""

    interval: int


@dataclass(frozen=True, slots=True)
class SessionExpired:
    """No refresh arrived in time: send BYE and end the dialog."""

    interval: int


SessionTimerEvent = RefreshDue | SessionExpired


class SessionTimer:
    """The timer of one dialog's session; `refreshed(now)` after each successful refresh."""

    def __init__(self, expires: SessionExpires, *, we_refresh: bool, now: float) -> None:
        self.expires = expires
        self.we_refresh = we_refresh
        self._deadline = 0.0
        self._stopped = False
        self._refresh_sent = False
        self.refreshed(now)

    def refreshed(self, now: float, expires: SessionExpires | None = None) -> None:
        """A refresh succeeded at `now` (optionally with a new negotiated interval): restart the timer."""
        if expires is not None:
            self.expires = expires
        interval = self.expires.interval
        self._refresh_sent = False
        if self.we_refresh:
            self._deadline = now + interval / 2
        else:
            self._deadline = now + interval - min(32.0, interval / 3)

    def stop(self) -> None:
        """The dialog ended; no more events."""
        self._stopped = True

    def get_timer(self) -> float | None:
        """When `handle_timer` must next be called."""
        return None if self._stopped else self._deadline

    def handle_timer(self, now: float) -> list[SessionTimerEvent]:
        """Events due at `now` (none before the deadline)."""
        if self._stopped or now < self._deadline:
            return []
        if self.we_refresh and not self._refresh_sent:
            # until the refresh succeeds, the session still expires at the full interval
            self._deadline = now + self.expires.interval / 2 - min(32.0, self.expires.interval / 3)
            self._refresh_sent = True
            return [RefreshDue(self.expires.interval)]
        self._stopped = True
        return [SessionExpired(self.expires.interval)]
