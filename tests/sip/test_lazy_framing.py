"""Stream framing finds Content-Length in any spelling and frames exactly one message at a time."""

from __future__ import annotations

import pytest

from okc.sip import SipParseError, StreamFramer


def _options(length_line: bytes | None, body: bytes = b"") -> bytes:
    lines = [
        b"OPTIONS sip:h.example.com SIP/2.0",
        b"Via: SIP/2.0/TCP pc.example.com;branch=z9hG4bK1",
        b"From: <sip:a@example.com>;tag=1",
        b"To: <sip:h.example.com>",
        b"Call-ID: x",
        b"CSeq: 1 OPTIONS",
    ]
    if length_line is not None:
        lines.append(length_line)
    return b"\r\n".join([*lines, b"", b""]) + body


@pytest.mark.parametrize(
    "line", [b"Content-Length: 4", b"content-length:4", b"l: 4", b"L :  4 ", b"CONTENT-LENGTH:\t4"]
)
def test_length_in_any_spelling(line: bytes) -> None:
    framer = StreamFramer()
    data = _options(line, b"v=0\n") + _options(b"l: 0")
    got = framer.feed(data[:30]) + framer.feed(data[30:])
    assert [m.body for m in got] == [b"v=0\n", b""]
    assert framer.pending == 0


def test_missing_length_means_empty_body_and_next_message_follows() -> None:
    framer = StreamFramer()
    got = framer.feed(_options(None) + _options(b"Content-Length: 0"))
    assert [m.body for m in got] == [b"", b""]
    assert got[0].content_length == 0


@pytest.mark.parametrize(
    "line", [b"Content-Length: abc", b"Content-Length:", b"l: 99999999999", b"Content-Length: -1"]
)
def test_invalid_length_is_an_error(line: bytes) -> None:
    with pytest.raises(SipParseError):
        StreamFramer().feed(_options(line) + b"x" * 20)


def test_first_length_line_decides() -> None:
    with pytest.raises(SipParseError):
        StreamFramer().feed(_options(b"Content-Length: x\r\nl: 0"))
