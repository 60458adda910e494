"""RTP relay capacity on loopback: packets relayed per second per core, and calls relayed and recorded.

1. Throughput: a separate process floods one leg of an okc relay (two asyncio RtpEndpoints, relay()) with
   RTP; the figure is packets forwarded per CPU second of the relaying process. The peer, in the same run,
   is the least a Python relay can do: a blocking recvfrom/sendto loop with no parsing.
2. Capacity: a separate process plays both far ends of N calls (50 packets/s each way, A-law, phases spread
   over the 20 ms tick, each payload stamped with its send time on CLOCK_MONOTONIC). The okc process relays
   every call and also records it (CallRecorder.push_g711 queues the A-law payload; decoding, alignment and
   the GSM 06.10 WAV write run in one pass per call every 0.5 s). A packet is late when it is forwarded
   more than 20 ms after it was sent. N grows until late packets reach 0.1 % or the core is saturated; the
   largest N below that is printed beside Asterisk's sizing figure of about 240 calls per 2.4 GHz core
   without transcoding (relay only, no recording).
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from benchmarks.report import Measurement, show
from okc.rtp.endpoint import PortAllocator, RtpEndpoint, RtpReceived
from okc.rtp.recorder import CallRecorder, Direction
from okc.rtp.relay import Relay, relay

LATE = 0.020
ASTERISK_CALLS_PER_CORE = 240  # per 2.4 GHz core, relaying without transcoding

# The far ends, in their own process: "flood" sends as fast as it can to one port; "calls" sends 50 packets
# a second each way for every call, with call i's packets offset by i/N of the 20 ms tick.
# It runs at a lower priority than the relay so that on a small machine it does not take the relay's core;
# its packets carry the time they were actually sent, so its own delays do not count as the relay's.
GENERATOR = r"""
import json, os, socket, struct, sys, time
os.nice(10)
spec = json.loads(sys.argv[1])
payload = b"\xd5" * 152
if spec["mode"] == "flood":
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = ("127.0.0.1", spec["port"])
    end = time.monotonic() + spec["seconds"]
    seq = 0
    while time.monotonic() < end:
        for _ in range(200):
            seq = (seq + 1) & 0xFFFF
            header = struct.pack("!BBHII", 0x80, 8, seq, seq * 160 & 0xFFFFFFFF, 1)
            sock.sendto(header + struct.pack("!d", time.monotonic()) + payload, target)
    sys.exit(0)
legs = []
for index, (port_a, port_b) in enumerate(spec["ports"]):
    for port in (port_a, port_b):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.bind(("127.0.0.1", 0))
        legs.append((sock, ("127.0.0.1", port), 1000 + len(legs), index / len(spec["ports"])))
start = time.monotonic() + 0.2
ticks = int(spec["seconds"] * 50)
slots = 20  # 1 ms slots: each call sends in the slot of its phase
by_slot = [[leg for leg in legs if int(leg[3] * slots) == slot] for slot in range(slots)]
for tick in range(ticks):
    for slot, members in enumerate(by_slot):
        due = start + tick * 0.02 + slot * 0.001
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        for sock, target, ssrc, _ in members:
            header = struct.pack("!BBHII", 0x80, 8, tick & 0xFFFF, tick * 160 & 0xFFFFFFFF, ssrc)
            sock.sendto(header + struct.pack("!d", time.monotonic()) + payload, target)
"""


def _generator(spec: dict[str, object]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", GENERATOR, json.dumps(spec)])


def _sink() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


async def _okc_throughput(seconds: float) -> float:
    """Packets per CPU second okc's asyncio relay forwards under a flood."""
    allocator = PortAllocator(31000, 31100)
    with _sink() as sink:
        a = await RtpEndpoint.open(allocator)
        b = await RtpEndpoint.open(allocator, remote_rtp=sink.getsockname())
        link = relay(a, b)
        generator = _generator({"mode": "flood", "port": a.pair.rtp, "seconds": seconds})
        await asyncio.sleep(0.2)
        cpu, forwarded = time.process_time(), link.forwarded
        while generator.poll() is None:
            await asyncio.sleep(0.05)
        cpu, forwarded = time.process_time() - cpu, link.forwarded - forwarded
        link.stop()
        a.close()
        b.close()
    return forwarded / cpu


def _plain_throughput(seconds: float) -> float:
    """Packets per CPU second of a bare recvfrom/sendto loop (no parsing, no latching)."""
    with _sink() as sink, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as leg:
        leg.bind(("127.0.0.1", 0))
        leg.settimeout(0.5)
        target = sink.getsockname()
        generator = _generator({"mode": "flood", "port": leg.getsockname()[1], "seconds": seconds})
        forwarded = 0
        cpu = time.process_time()
        while True:
            try:
                data = leg.recv(2048)
            except TimeoutError:
                if generator.poll() is not None:
                    break
                continue
            leg.sendto(data, target)
            forwarded += 1
        return forwarded / (time.process_time() - cpu)


@dataclass(frozen=True, slots=True)
class CapacityRun:
    """One capacity trial."""

    calls: int
    packets: int
    late: int
    cpu_share: float

    @property
    def late_share(self) -> float:
        """Late packets as a share of all forwarded."""
        return self.late / self.packets if self.packets else 1.0


async def _capacity(calls: int, seconds: float, folder: Path, *, record: bool) -> CapacityRun:
    """Relay (and record, if asked) `calls` calls for `seconds`; count packets forwarded late."""
    loop = asyncio.get_running_loop()
    allocator = PortAllocator(32000, 32000 + 4 * calls + 200)
    endpoints: list[tuple[RtpEndpoint, RtpEndpoint]] = []
    recorders: list[CallRecorder] = []
    links: list[Relay] = []
    counts = {"packets": 0, "late": 0}

    def tap_for(
        recorder: CallRecorder | None, customer_leg: RtpEndpoint
    ) -> Callable[[RtpEndpoint, RtpReceived], None]:
        def tap(leg: RtpEndpoint, packet: RtpReceived) -> None:
            (sent,) = struct.unpack_from("!d", packet.payload)
            counts["packets"] += 1
            if loop.time() - sent > LATE:
                counts["late"] += 1
            if recorder is not None:
                direction = Direction.CUSTOMER if leg is customer_leg else Direction.AGENT
                # Queued undecoded; decoding and placing run once per write for all of a call's packets.
                recorder.push_g711(direction, packet.ssrc, packet.timestamp, packet.payload, packet.arrival)

        return tap

    handles: dict[int, asyncio.TimerHandle] = {}

    def flush(index: int, recorder: CallRecorder) -> None:
        # The thin-adapter way: each recorder's own timer, re-armed after it fires.
        recorder.handle_timer(loop.time())
        timer = recorder.get_timer()
        if timer is not None:
            handles[index] = loop.call_at(timer, flush, index, recorder)

    for index in range(calls):
        a = await RtpEndpoint.open(allocator)
        b = await RtpEndpoint.open(allocator)
        recorder = None
        if record:
            # Calls start at different moments, so their recorders' writes fall at different moments too.
            recorder = CallRecorder(folder / f"call-{index}.wav", loop.time() - 0.5 * index / calls)
            handles[index] = loop.call_at(recorder.get_timer() or loop.time(), flush, index, recorder)
            recorders.append(recorder)
        links.append(relay(a, b, tap=tap_for(recorder, a)))
        endpoints.append((a, b))
    generator = _generator({"mode": "calls", "ports": [[a.pair.rtp, b.pair.rtp] for a, b in endpoints],
                            "seconds": seconds})  # fmt: skip
    await asyncio.sleep(0.5)  # let every leg latch
    counts["packets"] = counts["late"] = 0
    cpu, wall = time.process_time(), time.monotonic()
    while generator.poll() is None:
        await asyncio.sleep(0.1)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    result = CapacityRun(calls, counts["packets"], counts["late"], cpu / wall)
    for handle in handles.values():
        handle.cancel()
    for recorder in recorders:
        recorder.close()
    for link, (a, b) in zip(links, endpoints, strict=True):
        link.stop()
        a.close()
        b.close()
    return result


def main() -> None:
    """Print relay throughput beside a bare socket loop, then relayed-and-recorded call capacity."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 16384)), hard))
    console = Console()
    ours = asyncio.run(_okc_throughput(3.0))
    plain = _plain_throughput(3.0)
    show(
        "RTP packets relayed per CPU second on loopback (flooded)",
        Measurement("okc relay (asyncio endpoints, latching, rewriter)", ours, "packets/s/core"),
        [Measurement("bare Python recvfrom/sendto loop", plain, "packets/s/core")],
        console,
    )
    mhz = _cpu_mhz()
    with tempfile.TemporaryDirectory() as name:
        relayed = _largest(console, Path(name), record=False, first=200, step=60)
        recorded = _largest(console, Path(name), record=True, first=90, step=30)
    show(
        f"Concurrent calls on one {mhz / 1000:.1f} GHz core with < 0.1 % of packets late (> 20 ms)",
        Measurement("okc relay only", relayed, "calls"),
        [
            Measurement("Asterisk sizing, relay only, 2.4 GHz core", ASTERISK_CALLS_PER_CORE, "calls"),
            Measurement(
                f"Asterisk sizing scaled to {mhz / 1000:.1f} GHz",
                ASTERISK_CALLS_PER_CORE * mhz / 2400,
                "calls",
            ),
        ],
        console,
    )
    show(
        f"Concurrent calls relayed AND recorded on one {mhz / 1000:.1f} GHz core, < 0.1 % late",
        Measurement("okc relay + A-law decode + GSM 06.10 recording", recorded, "calls"),
        [
            Measurement(
                "Asterisk sizing, relay only (no recording), 2.4 GHz", ASTERISK_CALLS_PER_CORE, "calls"
            )
        ],
        console,
    )


def _largest(console: Console, folder: Path, *, record: bool, first: int, step: int) -> int:
    """The most calls that passed, growing by `step` until late packets reach 0.1 % or the core is full.

    A failed trial is run once more before it counts: on a shared machine another program's burst can take
    the core for a few tens of milliseconds, which makes a 4 s trial fail at any load.
    """
    best, calls = 0, first
    while calls <= 2000:
        for _ in range(2):
            run = asyncio.run(_capacity(calls, 4.0, folder, record=record))
            console.print(
                f"{'relay+record' if record else 'relay'} {run.calls} calls: {run.packets:,} packets, "
                f"{run.late_share:.4%} late, relay process at {run.cpu_share:.0%} of a core"
            )
            if run.late_share < 0.001 and run.cpu_share <= 0.95:
                break
        else:
            if best == 0 and calls > step:  # the first size already failed: look below it
                calls -= step
                continue
            break
        best = calls
        calls += step
    return best


def _cpu_mhz() -> float:
    """This machine's clock from /proc/cpuinfo (2,400 MHz when unknown)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1])
    except OSError:
        pass
    return 2400.0
