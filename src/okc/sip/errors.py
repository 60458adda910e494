"""SIP errors: every bad-input error of okc.sip derives from SipError (an OkcError)."""

from __future__ import annotations

from okc.errors import OkcError

__all__ = ["SipError", "SipParseError", "SipStateError"]


class SipError(OkcError):
    """Root of the SIP core's errors."""


class SipParseError(SipError):
    """A message is malformed or must be rejected.

    `status` is the response a server should send (400, 415, 416, 420, 483, 505, ...), or None when no
    response is possible (garbage, or a response message) and the input is simply dropped.
    """

    def __init__(
        self,
        message: str,
        status: int | None = 400,
        *,
        reason: str | None = None,
        extra_headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason or _REASONS.get(status or 0, "Bad Request")
        self.extra_headers = extra_headers

    @property
    def respondable(self) -> bool:
        """Whether a server can (and should) answer the offending request with `status`."""
        return self.status is not None


class SipStateError(SipError):
    """An event arrived that the state machine's transition table does not allow."""


_REASONS = {
    400: "Bad Request",
    406: "Not Acceptable",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    483: "Too Many Hops",
    501: "Not Implemented",
    505: "Version Not Supported",
}
