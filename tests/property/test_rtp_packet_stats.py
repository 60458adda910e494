"""Statistics properties: loss and per-interval fraction match the drops, jitter of a steady stream is 0."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from okc.rtp.packet import SourceTracker
from okc.rtp.stats import StreamStatistics

SSRC = 0x5EED


@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 2**32 - 1),
    st.integers(3, 400),
    st.sets(st.integers(2, 399)),
    st.sets(st.integers(2, 399), max_size=5),
)
def test_loss_and_fraction_lost_match_the_packets_dropped(
    first_seq: int, first_ts: int, count: int, dropped: set[int], report_after: set[int]
) -> None:
    tracker, stats = SourceTracker(), StreamStatistics(SSRC, 8000)
    dropped = {n for n in dropped if n < count - 1}  # the last packet arrives, so expected is known
    highest, received = 0, 0  # packet index, and packets counted, since A.1's base (packet 1)
    prior_expected, prior_received = 0, 0
    for n in range(count):
        if n in report_after:
            # A loss shows only once a later packet arrives: expected runs to the highest received.
            expected = highest
            lost = (expected - prior_expected) - (received - prior_received)
            fraction = (lost << 8) // (expected - prior_expected) if lost > 0 else 0
            assert stats.report_block(0.02 * n).fraction_lost == fraction
            prior_expected, prior_received = expected, received
        if n in dropped:
            continue
        update = tracker.update(SSRC, (first_seq + n) & 0xFFFF)
        stats.on_packet(update, (first_ts + 160 * n) & 0xFFFF_FFFF, 0.02 * n, 160)
        if n >= 1:
            highest, received = n, received + 1
    assert stats.expected == count - 1
    assert stats.cumulative_lost == len(dropped)
    assert stats.packets_received == count - 1 - len(dropped)
    assert stats.octets_received == 160 * stats.packets_received
    # Cycles count from the base, the second packet's sequence number (A.1's init_seq).
    assert stats.report_block(10.0).highest_seq == ((first_seq + 1) & 0xFFFF) + count - 2


@given(st.integers(0, 2**32 - 1), st.floats(0, 10), st.lists(st.integers(1, 20), min_size=2, max_size=50))
def test_a_constant_transit_delay_has_no_jitter(first_ts: int, delay: float, gaps: list[int]) -> None:
    tracker, stats = SourceTracker(), StreamStatistics(SSRC, 8000)
    frames = 0
    for n, gap in enumerate(gaps):
        frames += gap  # silence suppression: the timestamp and the send time jump together
        update = tracker.update(SSRC, n)
        stats.on_packet(update, (first_ts + 160 * frames) & 0xFFFF_FFFF, delay + 0.02 * frames, 160)
    assert abs(stats.jitter) < 1e-3
