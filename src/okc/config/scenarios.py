"""Voice scenarios: named, ordered blocks a call runs through (the blocks the starter scenario needs).

Blocks run in order; a block may carry a name that menus, go-tos and fallbacks jump to. The running
center gives the blocks behaviour and adds more kinds; here they load and cross-check.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from okc.config.base import Model, Name, Seconds, SkillLevels, empty_mapping
from okc.config.people import Login

__all__ = [
    "Block",
    "GotoBlock",
    "HangupBlock",
    "MenuBlock",
    "MenuChoice",
    "PlayBlock",
    "QueueBlock",
    "RecordingOverride",
    "Scenario",
    "VoicemailBlock",
]


class RecordingOverride(enum.Enum):
    """A scenario's recording setting: follow the others, or force recording on or off."""

    INHERIT = "inherit"
    RECORD = "record"
    DO_NOT_RECORD = "do_not_record"


class PlayBlock(Model):
    """Play an audio message to the caller."""

    type: Literal["play"]
    name: Name | None = None
    message: Name
    interruptible: bool = False


class MenuChoice(Model):
    """A DTMF key and the block it leads to."""

    digit: Annotated[str, Field(pattern=r"^[0-9*#]$")]
    goto: Name


class MenuBlock(Model):
    """Play a prompt and branch on the key the caller presses."""

    type: Literal["menu"]
    name: Name | None = None
    message: Name
    choices: Annotated[tuple[MenuChoice, ...], Field(min_length=1, max_length=12)]
    timeout: Seconds = 5
    retries: Annotated[int, Field(ge=0, le=9)] = 2
    default: Name | None = None
    """Block to go to after the retries run out (None: continue with the next block)."""

    @model_validator(mode="after")
    def _unique_digits(self) -> Self:
        seen: set[str] = set()
        for choice in self.choices:
            if choice.digit in seen:
                raise ValueError(f"menu digit {choice.digit!r} is used twice")
            seen.add(choice.digit)
        return self


class QueueBlock(Model):
    """Queue the call to a service for an agent with the service skill and any extra skills."""

    type: Literal["queue"]
    name: Name | None = None
    service: Name
    message: Name | None = None
    """Audio message played while waiting (None: the system's queue music)."""
    skills: SkillLevels = Field(default_factory=empty_mapping)
    """Extra skills the agent needs, at least at these levels."""
    priority: Annotated[int, Field(ge=1, le=100)] | None = None
    on_no_agents: Name | None = None
    """Block to go to when no agent is logged in or the queue overflows (None: the next block)."""


class VoicemailBlock(Model):
    """Take a voice message, mailed to a user (or the service's supervisors when mailbox is None)."""

    type: Literal["voicemail"]
    name: Name | None = None
    greeting: Name | None = None
    mailbox: Login | None = None


class HangupBlock(Model):
    """End the call."""

    type: Literal["hangup"]
    name: Name | None = None


class GotoBlock(Model):
    """Continue at another block."""

    type: Literal["goto"]
    name: Name | None = None
    target: Name


Block = Annotated[
    PlayBlock | MenuBlock | QueueBlock | VoicemailBlock | HangupBlock | GotoBlock, Field(discriminator="type")
]


class Scenario(Model):
    """A voice scenario: its blocks, optional hours with a block for closed times, a recording override."""

    name: Name
    blocks: Annotated[tuple[Block, ...], Field(min_length=1)]
    hours: Name | None = None
    when_closed: Name | None = None
    recording: RecordingOverride = RecordingOverride.INHERIT

    @model_validator(mode="after")
    def _labels(self) -> Self:
        labels: set[str] = set()
        for block in self.blocks:
            if block.name is not None:
                if block.name in labels:
                    raise ValueError(f"two blocks are named {block.name!r}")
                labels.add(block.name)
        if self.when_closed is not None and self.hours is None:
            raise ValueError("when_closed needs hours")
        return self

    def labels(self) -> frozenset[str]:
        """The names of the scenario's blocks."""
        return frozenset(block.name for block in self.blocks if block.name is not None)

    def jumps(self) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        """Every (field path within the scenario, target block name) that must name a block."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        if self.when_closed is not None:
            found.append((("when_closed",), self.when_closed))
        for i, block in enumerate(self.blocks):
            here: tuple[str | int, ...] = ("blocks", i)
            if isinstance(block, MenuBlock):
                found.extend((((*here, "choices", j, "goto"), c.goto) for j, c in enumerate(block.choices)))
                if block.default is not None:
                    found.append(((*here, "default"), block.default))
            elif isinstance(block, QueueBlock) and block.on_no_agents is not None:
                found.append(((*here, "on_no_agents"), block.on_no_agents))
            elif isinstance(block, GotoBlock):
                found.append(((*here, "target"), block.target))
        return tuple(found)
