"""RFC 4733 telephone events: payload, sender schedule (updates, end redundancy, long events), receiver."""

from __future__ import annotations

import pytest

from okc.rtp.dtmf import (
    DigitEvent,
    DigitSource,
    DtmfError,
    DtmfReceiver,
    DtmfSender,
    OutgoingEvent,
    TelephoneEvent,
    digit_code,
)
from okc.rtp.packet import RtpPacket


def drain(sender: DtmfSender, until: float = 1e9) -> list[tuple[float, OutgoingEvent]]:
    out = []
    while (timer := sender.get_timer()) is not None and timer <= until:
        out += [(timer, event) for event in sender.handle_timer(timer)]
    return out


def test_payload_round_trip_and_fields() -> None:
    event = TelephoneEvent(11, end=True, volume=10, duration=800)
    assert bytes(event) == bytes([11, 0x8A, 0x03, 0x20])
    assert TelephoneEvent.parse(bytes(event)) == event
    assert event.digit == "#"
    assert TelephoneEvent(16).digit is None
    # The R bit is ignored on receipt.
    assert TelephoneEvent.parse(bytes([5, 0xCA, 0, 160])) == TelephoneEvent(5, True, 10, 160)


@pytest.mark.parametrize("data", [b"", b"\x01\x02\x03"], ids=["empty", "three-octets"])
def test_short_payload_is_an_error(data: bytes) -> None:
    with pytest.raises(DtmfError):
        TelephoneEvent.parse(data)


def test_field_ranges_validate() -> None:
    for kwargs in ({"event": 256}, {"event": 1, "volume": 64}, {"event": 1, "duration": 0x10000}):
        with pytest.raises(DtmfError):
            TelephoneEvent(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(DtmfError):
        digit_code("x")
    assert digit_code("a") == 12


def test_sender_schedule_for_one_digit() -> None:
    sender = DtmfSender(101, interval=0.05)
    sender.send("5", 0.12, now=10.0, timestamp=4000)
    sent = drain(sender)
    times = [round(t, 3) for t, _ in sent]
    assert times == [10.0, 10.05, 10.1, 10.15, 10.2, 10.25]
    assert [e.marker for _, e in sent] == [True] + [False] * 5
    assert {e.timestamp for _, e in sent} == {4000}
    assert [e.event.duration for _, e in sent] == [0, 400, 800, 960, 960, 960]
    assert [e.event.end for _, e in sent] == [False, False, False, True, True, True]
    assert all(e.event.event == 5 and e.payload_type == 101 for _, e in sent)
    packet = sent[0][1].packet(sequence=7, ssrc=0x1234)
    assert RtpPacket.parse(bytes(packet)) == packet
    assert packet.marker
    assert packet.payload == bytes(sent[0][1].event)
    assert sender.get_timer() is None
    assert not sender.busy


def test_queued_digits_follow_with_new_timestamps() -> None:
    sender = DtmfSender(interval=0.05, gap=0.1)
    sender.send("1", 0.1, now=0.0, timestamp=0)
    sender.send("2", 0.1, now=0.0, timestamp=0)
    sent = drain(sender)
    starts = [(t, e.timestamp) for t, e in sent if e.marker]
    assert starts[0] == (0.0, 0)
    # The second starts after the first's duration, its three end packets and the gap.
    assert starts[1][0] == pytest.approx(0.35)
    assert starts[1][1] == 0.35 * 8000


def test_timestamp_wraps() -> None:
    sender = DtmfSender()
    sender.send("1", 0.1, now=0.0, timestamp=0xFFFF_FFF0)
    sender.send("2", 0.1, now=0.0, timestamp=0xFFFF_FFF0)
    stamps = {e.timestamp for _, e in drain(sender)}
    assert stamps == {0xFFFF_FFF0, (0xFFFF_FFF0 + 2800) & 0xFFFF_FFFF}


def test_long_event_is_split_into_segments() -> None:
    sender = DtmfSender(interval=0.05)
    sender.send("0", 20.0, now=0.0, timestamp=1000)  # 160,000 units: segments of 65535, 65535, 28930
    sent = [e for _, e in drain(sender)]
    stamps = sorted({e.timestamp for e in sent})
    assert stamps == [1000, 1000 + 65535, 1000 + 2 * 65535]
    for stamp in stamps[:2]:
        assert max(e.event.duration for e in sent if e.timestamp == stamp) == 65535
        assert not any(e.event.end for e in sent if e.timestamp == stamp)
    last = [e for e in sent if e.timestamp == stamps[2]]
    assert [e.event.duration for e in last if e.event.end] == [160_000 - 2 * 65535] * 3
    assert [e.marker for e in sent].count(True) == 1
    receiver = DtmfReceiver()
    events = [d for i, e in enumerate(sent) for d in receiver.receive_event(e.event, e.timestamp, i * 0.05)]
    assert [(e.digit, e.duration) for e in events] == [("0", 20.0)]


def test_sender_rejects_bad_settings() -> None:
    with pytest.raises(DtmfError):
        DtmfSender(8)
    sender = DtmfSender()
    with pytest.raises(DtmfError):
        sender.send("5", 0, now=0, timestamp=0)
    with pytest.raises(DtmfError):
        sender.send("G", 0.1, now=0, timestamp=0)


def feed(receiver: DtmfReceiver, sent: list[tuple[float, OutgoingEvent]]) -> list[DigitEvent]:
    out: list[DigitEvent] = []
    for time, event in sent:
        out += receiver.receive(event.packet(0, 1), time)
    return out


def sample_events(digits: str = "1") -> list[tuple[float, OutgoingEvent]]:
    sender = DtmfSender()
    for digit in digits:
        sender.send(digit, 0.1, now=1.0, timestamp=8000)
    return drain(sender)


def test_receiver_emits_once_at_the_end_with_duration() -> None:
    receiver = DtmfReceiver()
    events = feed(receiver, sample_events())
    assert events == [DigitEvent("1", 1.0, 0.1, DigitSource.RFC4733)]
    assert receiver.ignored == 2  # the two redundant end packets


def test_receiver_handles_a_lost_start() -> None:
    sent = sample_events()[1:]
    assert [e.digit for e in feed(DtmfReceiver(), sent)] == ["1"]


def test_lost_end_packets_end_the_event_on_the_next_one() -> None:
    sent = [s for s in sample_events("12") if not (s[1].event.end and s[1].event.event == 1)]
    events = feed(DtmfReceiver(), sent)
    # The first digit's duration is what its last update said.
    assert [(e.digit, e.duration) for e in events] == [("1", 0.05), ("2", 0.1)]


def test_lost_end_packets_end_the_event_on_timeout() -> None:
    receiver = DtmfReceiver(timeout=0.25)
    sent = [s for s in sample_events() if not s[1].event.end]
    assert feed(receiver, sent) == []
    last = sent[-1][0]
    assert receiver.get_timer() == pytest.approx(last + 0.25)
    assert receiver.handle_timer(last + 0.2) == []
    assert [e.digit for e in receiver.handle_timer(last + 0.25)] == ["1"]
    assert receiver.get_timer() is None
    # A late end packet of the timed-out event is recognised, not a new digit.
    end = TelephoneEvent(1, end=True, duration=800)
    assert receiver.receive_event(end, 8000, last + 0.3) == []


def test_duplicates_and_an_older_event_are_ignored() -> None:
    sent = sample_events("12")
    receiver = DtmfReceiver()
    doubled = [s for s in sent for _ in range(2)]
    assert [e.digit for e in feed(receiver, doubled)] == ["1", "2"]
    # A packet of the first event arriving after the second ended changes nothing.
    assert feed(receiver, sent[:1]) == []


def test_non_dtmf_events_and_wrong_payload_type() -> None:
    receiver = DtmfReceiver()
    assert receiver.receive_event(TelephoneEvent(16, end=True), 100, 0.0) == []
    with pytest.raises(DtmfError):
        receiver.receive(RtpPacket(0, 1, 2, 3, b"\x00" * 160), 0.0)
    with pytest.raises(DtmfError):
        receiver.receive(RtpPacket(101, 1, 2, 3, b"\x00"), 0.0)


def _digit(digit: str, timestamp: int, now: float) -> list[tuple[float, OutgoingEvent]]:
    sender = DtmfSender()
    sender.send(digit, 0.1, now=now, timestamp=timestamp)
    return drain(sender)


def _feed_from(receiver: DtmfReceiver, sent: list[tuple[float, OutgoingEvent]], ssrc: int) -> list[str]:
    return [e.digit for time, event in sent for e in receiver.receive(event.packet(0, ssrc), time)]


def test_a_new_source_is_heard_whatever_its_timestamps() -> None:
    # The far end is transferred: the new phone's RTP clock starts below, or exactly at, the old one's.
    receiver = DtmfReceiver()
    assert _feed_from(receiver, _digit("1", 1_000_000, 0.0), ssrc=0xA) == ["1"]
    assert _feed_from(receiver, _digit("2", 500_000, 5.0), ssrc=0xB) == ["2"]
    assert _feed_from(receiver, _digit("3", 1_000_000, 10.0), ssrc=0xC) == ["3"]
    assert _feed_from(receiver, _digit("4", 500_000 + 800, 15.0), ssrc=0xB) == ["4"]  # B's clock went on


def test_a_new_source_ends_the_old_sources_open_event_and_old_late_packets_change_nothing() -> None:
    receiver = DtmfReceiver()
    first = [s for s in _digit("1", 1_000_000, 0.0) if not s[1].event.end]  # its end packets are lost
    assert _feed_from(receiver, first, ssrc=0xA) == []
    second = _digit("2", 42, 0.5)
    # B's first packet ends A's event at what A's last update said; then B's digit as usual.
    assert _feed_from(receiver, second[:1], ssrc=0xB) == ["1"]
    # A's redundant end packets arrive late, in the middle of B's digit: no repeat of "1", "2" not cut short.
    late_ends = [s for s in _digit("1", 1_000_000, 0.0) if s[1].event.end]
    assert _feed_from(receiver, late_ends, ssrc=0xA) == []
    events = [e for time, event in second[1:] for e in receiver.receive(event.packet(0, 0xB), time)]
    assert [(e.digit, e.duration) for e in events] == [("2", 0.1)]


def test_reset_forgets_a_restarted_sources_timestamps() -> None:
    receiver = DtmfReceiver()
    assert _feed_from(receiver, _digit("7", 900_000, 0.0), ssrc=0xA) == ["7"]
    assert _feed_from(receiver, _digit("8", 100, 2.0), ssrc=0xA) == []  # same SSRC, older clock: ignored
    assert receiver.reset() == []
    assert _feed_from(receiver, _digit("9", 100, 4.0), ssrc=0xA) == ["9"]  # after the session's NEW_SOURCE
