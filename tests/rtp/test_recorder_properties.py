"""Recorder timeline properties: whatever the jitter and reordering within the latency, the audio of each
direction comes out whole, in order, at one offset, with silence around it, and nothing is dropped."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st

from okc.rtp.recorder import CallTimeline, Direction

LATENCY = 0.2


def _packet_audio(direction: int, count: int) -> npt.NDArray[np.int16]:
    return ((np.arange(count * 160) * 7 + 1000 * direction + 1) % 20000 + 1).astype(np.int16)


@given(
    st.lists(st.floats(0.0, LATENCY - 0.03), min_size=2, max_size=60),
    st.lists(st.floats(0.0, LATENCY - 0.03), min_size=2, max_size=60),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.02, 0.05, 0.3]),
)
def test_each_direction_comes_out_whole_in_order_at_one_offset(
    jitter_customer: list[float], jitter_agent: list[float], base_customer: int, base_agent: int, step: float
) -> None:
    timeline = CallTimeline(-1.0, latency=LATENCY)
    arrivals: list[tuple[float, Direction, int, int]] = []
    for direction, jitters, base in (
        (Direction.CUSTOMER, jitter_customer, base_customer),
        (Direction.AGENT, jitter_agent, base_agent),
    ):
        for n, jitter in enumerate(jitters):
            arrivals.append((0.02 * (n + 1) + jitter, direction, n, (base + 160 * n) % 2**32))
    arrivals.sort(key=lambda a: (a[0], a[1].value, a[2]))
    audio = {Direction.CUSTOMER: _packet_audio(0, len(jitter_customer)),
             Direction.AGENT: _packet_audio(1, len(jitter_agent))}  # fmt: skip
    blocks = []
    clock = 0.0
    for arrival, direction, n, timestamp in arrivals:
        while clock + step <= arrival:  # the owner's timer fires every `step` seconds
            clock += step
            blocks.append(timeline.take(clock))
        timeline.push(
            direction, 7 + direction.value, timestamp, audio[direction][160 * n : 160 * (n + 1)], arrival
        )
    blocks.append(timeline.take_all())
    out = np.concatenate(blocks, axis=1)
    assert timeline.dropped_samples == 0
    for direction, samples in audio.items():
        row = out[direction.value]
        first = int(np.flatnonzero(row)[0])
        assert np.array_equal(row[first : first + samples.size], samples)
        assert not row[:first].any()
        assert not row[first + samples.size :].any()
        # The stream sits where its first-arriving packet put it: ending at that packet's arrival.
        arrival, _, n, _ = next(a for a in arrivals if a[1] is direction)
        assert first == math.floor((arrival + 1.0) * 8000) - 160 * (n + 1)
