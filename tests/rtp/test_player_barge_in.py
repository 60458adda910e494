"""Barge-in end to end: a caller's digit, sent as RFC 4733 events or as in-band tones through G.711, is
detected by okc.rtp's receiver or Goertzel detector and stops the prompt the player is sending.

Everything runs in virtual time: the loop always advances to the earliest timer (player, sender, caller's
20 ms audio frames), as an asyncio adapter would.
"""

from __future__ import annotations

import numpy as np
import pytest

from okc.rtp.dtmf import DigitEvent, DigitSource, DtmfReceiver, DtmfSender
from okc.rtp.g711 import alaw_decode, alaw_encode
from okc.rtp.goertzel import ToneDetector, dtmf_tone
from okc.rtp.packet import RtpPacket
from okc.rtp.player import FRAME_SECONDS, Player, PlayerFrame, PlayerState, Prompt

START = 500.0
PRESS = START + 1.3  # when the caller presses the key
HELD = 0.1  # how long the key is held


def _menu() -> Player:
    """A looping 3 s menu prompt, so only a digit can end it within the test."""
    rng = np.random.default_rng(2)
    samples = np.clip(rng.normal(0, 3000, 3 * 8000), -32768, 32767).astype(np.int16)
    return Player([Prompt("menu", samples)], START, loop=True)


def _run_rfc4733(player: Player) -> tuple[list[PlayerFrame], list[DigitEvent], float]:
    sender = DtmfSender(101)
    sender.send("7", HELD, now=PRESS, timestamp=123_456)
    receiver = DtmfReceiver(101)
    sent: list[PlayerFrame] = []
    digits: list[DigitEvent] = []
    stopped_at = 0.0
    sequence = 1000
    while player.state is PlayerState.PLAYING:
        timers = [t for t in (player.get_timer(), sender.get_timer(), receiver.get_timer()) if t is not None]
        now = min(timers)
        assert now < START + 10.0, "the digit never stopped the prompt"
        sent.extend(player.handle_timer(now))
        for outgoing in sender.handle_timer(now):
            wire = bytes(outgoing.packet(sequence, 0xCA11))
            sequence += 1
            digits.extend(receiver.receive(RtpPacket.parse(wire), now))
        digits.extend(receiver.handle_timer(now))
        for digit in digits:
            if player.handle_digit(digit):
                stopped_at = now
    return sent, digits, stopped_at


def _run_inband(player: Player) -> tuple[list[PlayerFrame], list[DigitEvent], float]:
    # The caller's side: silence, the key's tones, silence — A-law on the wire, decoded by okc.
    tone = dtmf_tone("#", HELD, level_dbm0=-12.0)
    caller = np.zeros(round(10.0 * 8000), dtype=np.int16)
    at = round((PRESS - START) * 8000)
    caller[at : at + tone.size] = tone
    detector = ToneDetector(start_time=START)
    sent: list[PlayerFrame] = []
    digits: list[DigitEvent] = []
    stopped_at = 0.0
    frame = 0
    while player.state is PlayerState.PLAYING:
        caller_due = START + (frame + 1) * FRAME_SECONDS  # a frame is heard once all of it has arrived
        timer = player.get_timer()
        now = caller_due if timer is None else min(timer, caller_due)
        assert now < START + 10.0, "the digit never stopped the prompt"
        sent.extend(player.handle_timer(now))
        if now == caller_due:
            wire = alaw_encode(caller[160 * frame : 160 * (frame + 1)].astype("<i2").tobytes())
            digits.extend(detector.feed(alaw_decode(wire)))
            frame += 1
        for digit in digits:
            if player.handle_digit(digit):
                stopped_at = now
    return sent, digits, stopped_at


@pytest.mark.parametrize(
    ("run", "digit", "source"),
    [(_run_rfc4733, "7", DigitSource.RFC4733), (_run_inband, "#", DigitSource.INBAND)],
)
def test_a_digit_from_either_detector_stops_the_prompt(run: object, digit: str, source: DigitSource) -> None:
    player = _menu()
    sent, digits, stopped_at = run(player)  # type: ignore[operator]
    assert [(d.digit, d.source) for d in digits] == [(digit, source)]
    assert isinstance(digits[0], DigitEvent)  # one event type, whichever way the digit came
    assert digits[0].start_time == pytest.approx(PRESS, abs=0.03)
    assert digits[0].duration == pytest.approx(HELD, abs=0.03)
    assert player.state is PlayerState.INTERRUPTED
    assert player.digit == digit
    # The prompt ran without a gap until the digit was known, and not one frame after.
    assert [f.index for f in sent] == list(range(len(sent)))
    assert sent[-1].due <= stopped_at < sent[-1].due + FRAME_SECONDS
    # The digit is known soon after the key is released (RFC 4733: its end packet; in-band: the
    # 40 ms pause that ends a digit plus the analysis window), so the caller is not talked over.
    assert PRESS + HELD <= stopped_at <= PRESS + HELD + 0.12
    assert player.get_timer() is None
    assert player.handle_timer(START + 20.0) == []


def test_a_digit_does_not_stop_a_prompt_that_must_be_heard_out() -> None:
    rng = np.random.default_rng(3)
    legal = Prompt("legal", np.clip(rng.normal(0, 3000, 8000), -32768, 32767).astype(np.int16))
    late = Player([legal], PRESS - 0.5, interruptible=False)  # playing when the digit comes
    sent, digits, _ = _run_rfc4733(late)
    assert [d.digit for d in digits] == ["7"]
    assert late.state is PlayerState.FINISHED
    assert len(sent) == 50  # every frame of the second, none cut
