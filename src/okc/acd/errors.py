"""Errors the ACD engine raises for bad input: unknown agents, illegal transitions, bad policies."""

from __future__ import annotations

from okc.errors import OkcError

__all__ = [
    "AcdError",
    "DispositionRequiredError",
    "IllegalTransitionError",
    "UnknownAgentError",
    "UnknownInteractionError",
    "UnknownServiceError",
]


class AcdError(OkcError):
    """Root of every error okc.acd raises."""


class IllegalTransitionError(AcdError):
    """An agent or interaction was asked to move to a state its transition table does not allow."""


class UnknownAgentError(AcdError):
    """An event named an agent that is not logged in."""


class UnknownInteractionError(AcdError):
    """An event named an interaction the engine does not hold (or no longer in that state)."""


class UnknownServiceError(AcdError):
    """An interaction named a service the engine was not built with."""


class DispositionRequiredError(AcdError):
    """After-call work on a service that requires a disposition cannot end without one."""
