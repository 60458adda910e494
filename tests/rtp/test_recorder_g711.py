"""Queued G.711 pushes (`push_g711`, decoded in batches) place audio exactly as decoded pushes do."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okc.rtp.g711 import ALAW_DECODE, ULAW_DECODE
from okc.rtp.packet import PCMA, PCMU
from okc.rtp.recorder import CallTimeline, Direction, RecorderError

# One step of a call: a packet (direction, SSRC choice, timestamp step, jitter, payload type, size) or a
# take / pause / resume at that moment.
_packet = st.tuples(
    st.sampled_from(list(Direction)),
    st.integers(0, 1),
    st.sampled_from([160, 160, 160, 320, -160, 80_000]),
    st.floats(0.0, 0.15),
    st.sampled_from([PCMA, PCMU]),
    st.sampled_from([160, 160, 80]),
)
_step = st.one_of(_packet, st.sampled_from(["take", "pause", "resume"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_step, min_size=1, max_size=200), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_queued_payloads_come_out_like_decoded_ones(steps: list[object], base: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    decoded, queued = CallTimeline(0.0, max_jump=1.0), CallTimeline(0.0, max_jump=1.0)
    timestamps = {Direction.CUSTOMER: base, Direction.AGENT: (base * 7) % 2**32}
    now = 0.0
    out_decoded: list[np.ndarray] = []
    out_queued: list[np.ndarray] = []
    for step in steps:
        now += 0.01
        if step == "take":
            out_decoded.append(decoded.take(now))
            out_queued.append(queued.take(now))
        elif step == "pause":
            decoded.pause(now)
            queued.pause(now)
        elif step == "resume":
            decoded.resume(now)
            queued.resume(now)
        else:
            assert isinstance(step, tuple)
            direction, ssrc, advance, jitter, kind, size = step
            timestamps[direction] = (timestamps[direction] + advance) % 2**32
            payload = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
            table = ALAW_DECODE if kind == PCMA else ULAW_DECODE
            samples = table.take(np.frombuffer(payload, dtype=np.uint8))
            decoded.push(direction, 1000 + ssrc, timestamps[direction], samples, now + jitter)
            queued.push_g711(
                direction, 1000 + ssrc, timestamps[direction], payload, now + jitter, payload_type=kind
            )
    out_decoded.append(decoded.take_all())
    out_queued.append(queued.take_all())
    assert np.array_equal(np.concatenate(out_decoded, axis=1), np.concatenate(out_queued, axis=1))
    assert (decoded.dropped_samples, decoded.reanchors, decoded.paused_samples) == (
        queued.dropped_samples,
        queued.reanchors,
        queued.paused_samples,
    )


def test_a_long_call_wraps_the_ring_and_keeps_every_sample() -> None:
    timeline = CallTimeline(0.0)
    payloads = [bytes([n % 256]) * 160 for n in range(2000)]  # 40 s: several times round the ring
    taken = []
    for n, payload in enumerate(payloads):
        timeline.push_g711(Direction.AGENT, 5, (n * 160) % 2**32, payload, 0.02 * (n + 1))
        if n % 37 == 0:
            taken.append(timeline.take(0.02 * (n + 1)))
    taken.append(timeline.take_all())
    agent = np.concatenate(taken, axis=1)[1]
    expected = ALAW_DECODE.take(np.frombuffer(b"".join(payloads), dtype=np.uint8))
    assert np.array_equal(agent[agent.size - expected.size :], expected)
    assert timeline.dropped_samples == 0


def test_mixed_decoded_and_queued_pushes_keep_their_order() -> None:
    timeline = CallTimeline(0.0)
    timeline.push_g711(Direction.CUSTOMER, 1, 0, b"\xd5" * 160, 0.02)
    # The same place again, decoded: the later packet wins, as it would if both had been decoded.
    timeline.push(Direction.CUSTOMER, 1, 0, np.full(160, 99, dtype=np.int16), 0.021)
    assert np.all(timeline.take_all()[0][-160:] == 99)


@pytest.mark.parametrize(("ssrc", "timestamp", "kind"), [(1, 2**32, PCMA), (-1, 0, PCMA), (1, 0, 18)])
def test_bad_queued_packets_raise(ssrc: int, timestamp: int, kind: int) -> None:
    with pytest.raises(RecorderError):
        CallTimeline(0.0).push_g711(Direction.AGENT, ssrc, timestamp, b"\x00" * 160, 0.02, payload_type=kind)
