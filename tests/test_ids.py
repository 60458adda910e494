"""Interaction ids: ordering, round trips, legs and bad input."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okc.ids import InteractionId, InteractionIdError


@given(st.floats(min_value=0, max_value=2**47 / 1000), st.integers(0, 2**32))
def test_round_trip_and_timestamp(now: float, seed: int) -> None:
    iid = InteractionId.new(now, random.Random(seed))
    assert InteractionId.parse(str(iid).lower()) == iid
    assert iid.timestamp == int(now * 1000) / 1000
    assert InteractionId.from_leg(iid.leg(3) + "@host") == iid


def test_ids_sort_by_time_and_seed_reproduces() -> None:
    a = InteractionId.new(1000.0, random.Random(1))
    b = InteractionId.new(1000.001, random.Random(0))
    assert a < b
    assert InteractionId.new(5.0, random.Random(7)) == InteractionId.new(5.0, random.Random(7))


@pytest.mark.parametrize("text", ["", "0" * 25, "8" + "0" * 25, "U" * 26, "0" * 27])
def test_bad_ids_are_rejected(text: str) -> None:
    with pytest.raises(InteractionIdError):
        InteractionId.parse(text)
