"""RFC 4733 sender → lossy, reordering, duplicating network → receiver: each digit exactly once, in order."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from okc.rtp.dtmf import DIGITS, DigitEvent, DtmfReceiver, DtmfSender, OutgoingEvent, TelephoneEvent

GAP = 0.1  # sender's pause between digits
JITTER = 0.09  # reordering window: less than the pause, so digits cannot overtake each other


@given(
    presses=st.lists(
        st.tuples(st.sampled_from(DIGITS), st.floats(min_value=0.02, max_value=0.6)), min_size=1, max_size=8
    ),
    loss=st.floats(min_value=0.0, max_value=0.6),
    duplication=st.floats(min_value=0.0, max_value=0.3),
    rng=st.randoms(use_true_random=False),
    start_stamp=st.integers(min_value=0, max_value=0xFFFF_FFFF),
)
def test_each_digit_once_and_in_order(
    presses: list[tuple[str, float]], loss: float, duplication: float, rng: random.Random, start_stamp: int
) -> None:
    sender = DtmfSender(interval=0.05, gap=GAP)
    for digit, duration in presses:
        sender.send(digit, duration, now=0.0, timestamp=start_stamp)
    sent: list[tuple[float, OutgoingEvent]] = []
    while (timer := sender.get_timer()) is not None:
        sent += [(timer, event) for event in sender.handle_timer(timer)]

    # Lose packets at random, but never every packet of an event (the digit would be gone for anyone).
    kept: list[tuple[float, OutgoingEvent]] = []
    events: list[list[tuple[float, OutgoingEvent]]] = []
    for time, event in sent:
        if event.marker or not events:
            events.append([])
        events[-1].append((time, event))
    for packets in events:
        survivors = [p for p in packets if rng.random() >= loss] or [rng.choice(packets)]
        kept += survivors
    arrivals: list[tuple[float, TelephoneEvent, int]] = []
    for time, event in kept:
        copies = 2 if rng.random() < duplication else 1
        arrivals += [(time + rng.uniform(0, JITTER), event.event, event.timestamp) for _ in range(copies)]
    arrivals.sort(key=lambda arrival: arrival[0])

    receiver = DtmfReceiver(timeout=0.25)
    heard: list[DigitEvent] = []
    for time, payload, stamp in arrivals:
        while (timer := receiver.get_timer()) is not None and timer <= time:
            heard += receiver.handle_timer(timer)
        heard += receiver.receive_event(payload, stamp, time)
    heard += receiver.handle_timer(1e9)
    assert "".join(event.digit for event in heard) == "".join(digit for digit, _ in presses)


@given(
    first=st.lists(st.sampled_from(DIGITS), min_size=1, max_size=4),
    second=st.lists(st.sampled_from(DIGITS), min_size=1, max_size=4),
    stamps=st.tuples(st.integers(0, 0xFFFF_FFFF), st.integers(0, 0xFFFF_FFFF)),
    lose_first_ends=st.booleans(),
    rng=st.randoms(use_true_random=False),
)
def test_digits_of_a_transferred_call_are_each_heard_once_whatever_the_new_clock(
    first: list[str],
    second: list[str],
    stamps: tuple[int, int],
    lose_first_ends: bool,
    rng: random.Random,
) -> None:
    # The far end changes mid-call (a transfer): a new SSRC whose RTP clock starts anywhere, even at or
    # below the old one's. Packets of both are duplicated and reordered within the jitter window.
    arrivals: list[tuple[float, TelephoneEvent, int, int]] = []
    begin = 0.0
    for ssrc, digits, stamp in ((0xA, first, stamps[0]), (0xB, second, stamps[1])):
        sender = DtmfSender(interval=0.05, gap=GAP)
        for digit in digits:
            sender.send(digit, 0.1, now=begin, timestamp=stamp)
        while (timer := sender.get_timer()) is not None:
            for event in sender.handle_timer(timer):
                if ssrc == 0xA and lose_first_ends and event.event.end and len(arrivals) > 0:
                    continue  # the old source's end packets are lost: its last digit must end anyway
                for _ in range(1 + (rng.random() < 0.3)):
                    arrivals.append((timer + rng.uniform(0, JITTER), event.event, event.timestamp, ssrc))
            begin = timer + GAP + JITTER
    arrivals.sort(key=lambda arrival: arrival[0])
    receiver = DtmfReceiver(timeout=0.25)
    heard: list[DigitEvent] = []
    for time, payload, stamp, ssrc in arrivals:
        while (timer := receiver.get_timer()) is not None and timer <= time:
            heard += receiver.handle_timer(timer)
        heard += receiver.receive_event(payload, stamp, time, ssrc=ssrc)
    heard += receiver.handle_timer(1e9)
    assert "".join(event.digit for event in heard) == "".join(first + second)
