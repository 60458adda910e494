"""Erlang B, C and A: staffing figures for a queue of callers served by interchangeable agents.

Traffic is in Erlangs (arrival rate × average handling time); times are in the caller's unit (seconds
throughout okc). Every function uses a recursion or a log-space sum that stays finite for 10,000 agents:
Erlang B by its textbook recursion, Erlang C from Erlang B, and Erlang A (M/M/N+M, exponential patience)
from the birth–death chain with the queue part summed in log space and the waiting-time law of a caller
who finds k ahead of them written with the regularised incomplete beta function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from okc.errors import OkcError

__all__ = [
    "ErlangAResult",
    "ErlangError",
    "StaffingResult",
    "agents_required",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "service_level",
]

# Queue-part terms smaller than this, relative to the largest, no longer change a double-precision sum.
_LOG_NEGLIGIBLE = -60.0


class ErlangError(OkcError):
    """Inputs outside the model: negative traffic, no agents, a non-positive time, a goal outside 0..1."""


def _check_traffic(traffic: float) -> float:
    if not 0.0 <= traffic < math.inf:  # also rejects NaN
        raise ErlangError(f"traffic must be a finite number of Erlangs ≥ 0, not {traffic!r}")
    return traffic


def _check_agents(agents: int, name: str = "agents") -> int:
    if type(agents) is not int or agents <= 0:  # bool is an int subclass, not a head count
        raise ErlangError(f"{name} must be a whole number > 0, not {agents!r}")
    return agents


def _check_time(value: float, name: str, *, allow_zero: bool = False) -> float:
    if not ((value >= 0.0 if allow_zero else value > 0.0) and value < math.inf):  # NaN fails both
        bound = "≥ 0" if allow_zero else "> 0"
        raise ErlangError(f"{name} must be a finite number of seconds {bound}, not {value!r}")
    return value


def _check_fraction(value: float, name: str, *, allow_zero: bool = True) -> float:
    if not math.isfinite(value) or value > 1 or value < 0 or (value == 0 and not allow_zero):
        raise ErlangError(f"{name} must be between 0 and 1, not {value!r}")
    return float(value)


def erlang_b(traffic: float, servers: int) -> float:
    """Probability that a call finds all servers busy and is lost (M/M/N/N), by the stable recursion."""
    return _erlang_b(_check_traffic(traffic), _check_agents(servers, "servers"))


def _erlang_b(a: float, n: int) -> float:
    # 1/B_k = 1 + (k/a)·(1/B_{k-1}): positive terms only, so no cancellation; a huge 1/B goes to inf → B = 0.
    if a == 0.0:
        return 0.0
    inverse = 1.0
    for k in range(1, n + 1):
        inverse = 1.0 + inverse * k / a
    return 1.0 / inverse


def _erlang_c_from_b(a: float, n: int, b: float) -> float:
    if a >= n:
        return 1.0
    return n * b / (n - a * (1.0 - b))


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a caller waits (M/M/N, infinite patience); 1.0 when traffic ≥ agents (unstable)."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    return _erlang_c_from_b(a, n, _erlang_b(a, n))


def _sl_from_c(a: float, n: int, c: float, aht: float, threshold: float) -> float:
    if a >= n:
        return 0.0
    return max(0.0, 1.0 - c * math.exp(-(n - a) * threshold / aht))


def service_level(traffic: float, agents: int, aht: float, threshold: float) -> float:
    """Share of callers answered within threshold seconds (Erlang C); 0.0 when the queue is unstable."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    h = _check_time(aht, "aht")
    t = _check_time(threshold, "threshold", allow_zero=True)
    return _sl_from_c(a, n, _erlang_c_from_b(a, n, _erlang_b(a, n)), h, t)


def average_speed_of_answer(traffic: float, agents: int, aht: float) -> float:
    """Mean wait of all callers, in seconds (Erlang C); infinity when traffic ≥ agents."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    h = _check_time(aht, "aht")
    if a >= n:
        return math.inf
    return _erlang_c_from_b(a, n, _erlang_b(a, n)) * h / (n - a)


def occupancy(traffic: float, agents: int) -> float:
    """Share of agents' time spent handling calls: traffic / agents, capped at 1 (all busy)."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    return min(1.0, a / n)


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """The smallest staffing that meets a service-level goal, with the figures it achieves."""

    agents: int
    p_wait: float
    service_level: float
    average_speed_of_answer: float
    occupancy: float


def agents_required(
    traffic: float,
    aht: float,
    target_service_level: float,
    threshold: float,
    max_occupancy: float = 1.0,
) -> StaffingResult:
    """Fewest agents whose Erlang C service level reaches the target and whose occupancy ≤ max_occupancy.

    Walks upward from the first stable staffing, extending the Erlang B recursion one agent at a time, so
    the whole search costs one pass of the recursion.
    """
    a = _check_traffic(traffic)
    h = _check_time(aht, "aht")
    target = _check_fraction(target_service_level, "target service level")
    t = _check_time(threshold, "threshold", allow_zero=True)
    max_occ = _check_fraction(max_occupancy, "max occupancy", allow_zero=False)
    if target == 1.0 and a > 0:
        raise ErlangError("a service level of exactly 1 is unreachable with any finite staffing")
    start = max(math.floor(a) + 1, math.ceil(a / max_occ))
    b = 1.0
    n = 0
    while True:
        n += 1
        b = a * b / (n + a * b)
        if n < start:
            continue
        c = _erlang_c_from_b(a, n, b)
        sl = _sl_from_c(a, n, c, h, t)
        if sl >= target and a / n <= max_occ:
            asa = c * h / (n - a)
            return StaffingResult(
                agents=n, p_wait=c, service_level=sl, average_speed_of_answer=asa, occupancy=a / n
            )


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady-state figures of M/M/N+M (Erlang A): every probability is per arriving caller.

    mean_wait is over all callers (those who abandon count with the time they waited);
    average_speed_of_answer is over answered callers only; service_level is the share of all callers
    answered within the threshold (abandons count in the denominator), or None when no threshold is given.
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    average_speed_of_answer: float
    mean_queue_length: float
    occupancy: float
    service_level: float | None


def _log_inverse_erlang_b_minus_one(a: float, n: int) -> float:
    """log(1/B(a, n) - 1) = log(Σ_{k<n} π_k/π_n), by the recursion 1/B_k = 1 + (k/a)/B_{k-1} in logs."""
    log_inv = 0.0  # log(1/B_0)
    log_a = math.log(a)
    for k in range(1, n + 1):
        x = math.log(k) - log_a + log_inv
        log_inv = x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
    # log(1/B - 1) = log(e^{L} - 1) = L + log(-expm1(-L)); L > 0 whenever n ≥ 1 and a > 0.
    return log_inv + math.log(-math.expm1(-log_inv))


def _log_queue_terms(a: float, n: int, ratio: float) -> np.ndarray:
    """log(π_{n+j} / π_n) for j = 0, 1, …, until the terms no longer matter (θ/μ = ratio > 0)."""
    # Term j+1 over term j is a / (n + (j+1)·ratio): terms grow until j ≈ (a - n)/ratio, then fall fast.
    peak = max(0.0, (a - n) / ratio)
    size = int(peak) + 64
    while True:
        j = np.arange(1, size + 1, dtype=np.float64)
        steps = math.log(a) - np.log(n + j * ratio)
        logs = np.concatenate(([0.0], np.cumsum(steps)))
        if logs[-1] < logs.max() + _LOG_NEGLIGIBLE:
            return logs
        size *= 2


def erlang_a(
    traffic: float, agents: int, aht: float, patience: float, threshold: float | None = None
) -> ErlangAResult:
    """Erlang A (M/M/N+M): Poisson arrivals, exponential handling and exponential patience (mean seconds).

    Exact from the birth–death chain: states below N follow the Erlang B weights, the queue part is
    summed in log space, so large traffic and 10,000 agents neither overflow nor lose precision.
    """
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    h = _check_time(aht, "aht")
    p = _check_time(patience, "patience")
    if not math.isfinite(p):
        raise ErlangError("patience must be finite; use erlang_c for callers who never abandon")
    t = None if threshold is None else _check_time(threshold, "threshold", allow_zero=True)
    if a == 0:
        return ErlangAResult(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None if t is None else 1.0)
    ratio = h / p  # θ/μ: abandonment rate per waiting caller in units of the service rate
    logs = _log_queue_terms(a, n, ratio)  # log(π_{n+j}/π_n)
    log_below = _log_inverse_erlang_b_minus_one(a, n)  # log(Σ_{k<n} π_k/π_n)
    scale = max(float(logs.max()), log_below)
    weights = np.exp(logs - scale)
    below = math.exp(log_below - scale)
    total = float(weights.sum()) + below
    probs = weights / total  # π_{n+j}: the chance an arriving caller finds j waiting (PASTA)
    no_wait = below / total
    p_wait = min(1.0, float(probs.sum()))
    queue_len = float((probs * np.arange(probs.size)).sum())
    lam = a / h
    p_abandon = min(p_wait, queue_len / p / lam)  # abandonment flow θ·E[Q] over the arrival flow λ
    mean_wait = queue_len / lam  # Little's law over all callers
    # A caller who finds k = j+1 in line moves up at rate nμ + (k-1)θ … nμ while themselves abandoning at
    # rate θ; with x = 1 - e^{-θs} their time to reach an agent is Beta(k, nμ/θ) in x, so
    # P(answered) = β/(k+β) and E[wait; answered] = β/(k+β) · (ψ(k+β+1) - ψ(β+1)) / θ, β = nμ/θ.
    k = np.arange(1, probs.size + 1, dtype=np.float64)
    beta = n / ratio
    answered_share = beta / (k + beta)
    p_answered = no_wait + float((probs * answered_share).sum())
    log_gain = special.digamma(k + beta + 1.0) - special.digamma(beta + 1.0)
    wait_answered = float((probs * answered_share * log_gain).sum())
    asa = wait_answered * p / p_answered if p_answered > 0 else math.inf
    sl: float | None = None
    if t is not None:
        x = -math.expm1(-t / p)
        within = special.betainc(k, beta + 1.0, x) if x > 0 else np.zeros_like(k)
        sl = min(1.0, no_wait + float((probs * answered_share * within).sum()))
    busy = a * p_answered  # carried traffic: only answered callers occupy agents
    return ErlangAResult(
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=mean_wait,
        average_speed_of_answer=asa,
        mean_queue_length=queue_len,
        occupancy=min(1.0, busy / n),
        service_level=sl,
    )
