"""Helpers for benchmarks that run programs side by side: CPU pinning and free loopback ports."""

from __future__ import annotations

import os
import shutil
import socket


def pin(core: int) -> list[str]:
    """A `taskset -c core` prefix for a command line, or nothing where taskset or a second core is missing."""
    taskset = shutil.which("taskset")
    if taskset is None or (os.cpu_count() or 1) < 2:
        return []
    return [taskset, "-c", str(core)]


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
