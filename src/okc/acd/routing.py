"""Choosing an agent for an interaction under a service's routing policy (pure functions over candidates)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from okc.acd.policy import RoutingPolicy

__all__ = ["Candidate", "choose_agent"]

Candidate = tuple[str, int, float]  # agent, level in the service skill (> 0), idle since


def choose_agent(policy: RoutingPolicy, candidates: Sequence[Candidate], rng: random.Random) -> str | None:
    """Pick one agent: longest idle, most skilled (ties by longest idle), or level-weighted at random."""
    if not candidates:
        return None
    if policy is RoutingPolicy.LONGEST_IDLE:
        return min(candidates, key=lambda c: (c[2], c[0]))[0]
    if policy is RoutingPolicy.MOST_SKILLED:
        return min(candidates, key=lambda c: (-c[1], c[2], c[0]))[0]
    total = sum(c[1] for c in candidates)
    pick = rng.random() * total
    for agent, level, _ in candidates:
        pick -= level
        if pick < 0:
            return agent
    return candidates[-1][0]
