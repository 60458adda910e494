"""Two UserAgentCores joined by a pipe on one virtual clock, with a hook to lose datagrams (test helper)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from okc.sip.layer import Address
from okc.sip.sdp import LocalMedia, SessionDescription, make_offer
from okc.sip.ua import UserAgentCore
from okc.sip.ua_events import UaEvent

A: Address = ("127.0.0.1", 5070)
B: Address = ("127.0.0.1", 5080)
E = TypeVar("E")


def sdp(port: int = 40000) -> SessionDescription:
    """A PCMA/PCMU offer on 127.0.0.1:port."""
    return make_offer(LocalMedia("127.0.0.1", port, port))


class Net:
    """A at 5070 and B at 5080; `drop(data, src, dst)` returning True loses that datagram."""

    def __init__(self, a: UserAgentCore | None = None, b: UserAgentCore | None = None) -> None:
        self.a = a or UserAgentCore(A, rng=random.Random(1), user="alice")
        self.b = b or UserAgentCore(B, rng=random.Random(2), user="bob")
        self.now = 0.0
        self.got_a: list[UaEvent] = []
        self.got_b: list[UaEvent] = []
        self.wire: list[tuple[Address, bytes]] = []  # (sender, data) of every datagram delivered
        self.drop: Callable[[bytes, Address, Address], bool] = lambda data, src, dst: False

    def _deliver(self, core: UserAgentCore, src: Address, dst: Address) -> bool:
        moved = False
        for data, _ in core.datagrams():
            moved = True
            if self.drop(data, src, dst):
                continue
            self.wire.append((src, data))
            (self.b if dst == B else self.a).receive(data, src, self.now)
        return moved

    def pump(self) -> None:
        """Move datagrams both ways until quiet; collect events."""
        while True:
            moved = self._deliver(self.a, A, B) | self._deliver(self.b, B, A)
            self.got_a += self.a.events()
            self.got_b += self.b.events()
            if not moved:
                return

    def run_until(self, end: float) -> None:
        """Advance the clock, firing both cores' timers in order, pumping after each."""
        while True:
            deadlines = [t for t in (self.a.get_timer(), self.b.get_timer()) if t is not None]
            nxt = min(deadlines) if deadlines else None
            if nxt is None or nxt > end:
                self.now = end
                return
            self.now = max(self.now, nxt)
            self.a.handle_timer(self.now)
            self.b.handle_timer(self.now)
            self.pump()

    def sent_by(self, who: Address, start: str) -> list[bytes]:
        """Delivered datagrams from `who` whose first line starts with `start`."""
        return [d for src, d in self.wire if src == who and d.startswith(start.encode())]

    def of(self, events: list[UaEvent], kind: type[E]) -> list[E]:
        """The events of one type."""
        return [e for e in events if isinstance(e, kind)]
